"""Lazy designs on DuckDB: the same Estimates as in memory (1e-10), clear errors, and laziness.

Every design is the reference data written to Parquet in ``tmp_path`` and opened with
``cf.scan_survey``; the in-memory twin is ``cf.Design`` on the same rows and arguments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import CitizensFirstError, DataError, DesignError, NotLazyError
from conftest import LOCAL_REFERENCE, reference_data, shared_reference
from test_lazy_golden import same

API = ["api00", "api99"]
TAYLOR = {
    "srs": ("data/apisrs.csv", False, dict(fpc="fpc")),
    "srs_probs": ("data/apisrs.csv", False, dict(probs="fpc_p")),
    "stratified_fpc": ("data/apistrat.csv", False, dict(strata="stype", weights="pw", fpc="fpc")),
    "one_stage_cluster": ("data/apiclus1.csv", False, dict(psu="dnum", weights="pw", fpc="fpc")),
    "two_stage_fpc": ("data/apiclus2.csv", True, dict(psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])),
    "cluster_no_fpc": ("data/apiclus1.csv", False, dict(psu="dnum", weights="pw")),
}


def _data(relative: str, local: bool) -> pd.DataFrame:
    frame = reference_data(relative, local=local).copy()
    if "fpc" in frame and "apisrs" in relative:
        frame["fpc_p"] = 200 / frame["fpc"]
    return frame


def twins(frame: pd.DataFrame, folder: Path, **args: Any) -> tuple[cf.LazyDesign, cf.Design]:
    path = folder / "survey.parquet"
    frame.to_parquet(path)
    return cf.scan_survey(path, **args), cf.Design(frame, **args)


@pytest.mark.parametrize("name", list(TAYLOR))
def test_taylor_estimators_match_memory(name: str, tmp_path: Path) -> None:
    relative, local, args = TAYLOR[name]
    lazy, memory = twins(_data(relative, local), tmp_path, **args)
    assert (lazy.n_psu, lazy.n_strata, lazy.degrees_of_freedom()) == (
        memory.n_psu, memory.n_strata, memory.degrees_of_freedom())
    calls = [
        lambda d: d.mean(API),
        lambda d: d.mean("enroll", deff="replace"),
        lambda d: d.mean(["enroll", "api00"], missing="listwise", deff=None, level=0.9),
        lambda d: d.total("enroll", by="stype", deff="srswor"),
        lambda d: d.mean(API, by=["stype", "awards"], df=12),
        lambda d: d.proportion("stype"),
        lambda d: d.proportion("sch.wide", by="stype", ci="beta"),
        lambda d: d.proportion(["sch.wide", "awards"], ci="wilson"),
        lambda d: d.count("stype", by="sch.wide"),
        lambda d: d.ratio(["api.stu", "api00"], "enroll", by="awards"),
        lambda d: d.subset("stype == 'H'").mean("api00"),
        lambda d: d.subset("stype in ['E', 'M'] & api00 > 600").proportion("awards", ci="xlogit"),
    ]
    for call in calls:
        same(call(lazy), call(memory))


def test_many_strata_and_every_lonely_psu_rule(tmp_path: Path) -> None:
    frame = reference_data("data/lonely.csv", local=True)
    args = dict(psu="psu", strata="str", weights="wt", nest=True)
    lazy, memory = twins(frame, tmp_path, **args)
    with pytest.raises(DesignError, match="only one PSU"):
        lazy.mean("y")
    for rule in ("adjust", "average", "remove", "certainty"):
        for adjust in (False, True):
            a = lazy.options(lonely_psu=rule, adjust_domain_lonely=adjust)
            b = memory.options(lonely_psu=rule, adjust_domain_lonely=adjust)
            same(a.mean("y", by="dom"), b.mean("y", by="dom"))
            same(a.subset("dom == 'A'").total("y"), b.subset("dom == 'A'").total("y"))
            assert a.degrees_of_freedom() == b.degrees_of_freedom()
    many, many_memory = twins(reference_data("data/manystrata.csv", local=True), tmp_path,
                              psu="psu", strata="str", weights="wt", nest=True)
    same(many.mean(["y", "x", "z"], by="dom"), many_memory.mean(["y", "x", "z"], by="dom"))
    same(many.proportion("grp", by="dom"), many_memory.proportion("grp", by="dom"))


def _supplied(spec_id: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """A golden replicate design as data + its replicate columns (multipliers of the weights)."""
    spec = next(s for s in cf_golden_replicates() if s["id"] == spec_id)
    data = reference_data(spec["data"])
    reps = pd.read_csv(shared_reference() / spec["repweights_file"]).add_prefix("rw_")
    frame = pd.concat([data.reset_index(drop=True), reps], axis=1)
    return frame, dict(weights="rw_pw", replicate_weights="rw_rep.*", method=spec["type"].lower(),
                       scale=spec["scale"], rscales=spec["rscales"], mse=spec["mse"],
                       combined_weights=False)


def cf_golden_replicates() -> list[dict]:
    from conftest import golden

    return golden("survey_replicate.json")["replicate_designs"]


@pytest.mark.parametrize("spec_id", ["rclus1_jk1", "rclus1_boot"])
def test_replicate_columns_match_memory(spec_id: str, tmp_path: Path) -> None:
    frame, args = _supplied(spec_id)
    lazy, memory = twins(frame, tmp_path, **args)
    assert lazy.is_replicate and lazy.degrees_of_freedom() == memory.degrees_of_freedom()
    for call in (lambda d: d.mean(API, by="stype"), lambda d: d.total("enroll"),
                 lambda d: d.proportion("sch.wide", by="stype", ci="logit"),
                 lambda d: d.ratio("api.stu", "enroll"), lambda d: d.subset("stype == 'H'").mean("api00")):
        same(call(lazy), call(memory))


def test_brr_from_full_replicate_weights(tmp_path: Path) -> None:
    frame = reference_data("data/manystrata.csv", local=True)
    full = pd.read_csv(LOCAL_REFERENCE / "data" / "repweights" / "rms_brr_full.csv")
    frame = pd.concat([frame, full.iloc[:, 1:].add_prefix("brr_")], axis=1)
    columns = [c for c in frame.columns if c.startswith("brr_")]
    args = dict(weights="wt", replicate_weights=columns, method="brr")
    lazy, memory = twins(frame, tmp_path, **args)
    same(lazy.mean(["y", "z"], by="dom"), memory.mean(["y", "z"], by="dom"))
    same(lazy.count("grp"), memory.count("grp"))


def test_collect_gives_the_in_memory_design(tmp_path: Path) -> None:
    relative, local, args = TAYLOR["stratified_fpc"]
    lazy, memory = twins(_data(relative, local), tmp_path, **args)
    collected = lazy.subset("stype == 'H'").collect()
    same(collected.mean("api00"), memory.subset("stype == 'H'").mean("api00"))
    assert isinstance(collected, cf.Design) and len(collected.frame) == lazy.n
    assert len(lazy.collect(where="stype == 'E'", columns=["api00"]).frame) == int(
        (memory.frame["stype"] == "E").sum())


def test_from_duckdb_table(tmp_path: Path) -> None:
    import duckdb

    frame = reference_data("data/apiclus1.csv")
    con = duckdb.connect()
    con.register("frame_view", frame)
    con.execute("CREATE TABLE clus AS SELECT * FROM frame_view")
    lazy = cf.Design.from_duckdb(con, "clus", psu="dnum", weights="pw", fpc="fpc")
    same(lazy.mean("api00", by="stype"), cf.Design(frame, psu="dnum", weights="pw", fpc="fpc")
         .mean("api00", by="stype"))
    with pytest.raises(DataError, match="nosuch"):
        cf.Design.from_duckdb(con, "nosuch")


def test_folder_glob_and_csv_read_the_same_rows(tmp_path: Path) -> None:
    frame = reference_data("data/apistrat.csv")
    (tmp_path / "parts").mkdir()
    frame.iloc[:100].to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[100:].to_parquet(tmp_path / "parts" / "b.parquet")
    frame.to_csv(tmp_path / "all.csv", index=False)
    args = dict(strata="stype", weights="pw", fpc="fpc")
    memory = cf.Design(frame, **args).mean("api00")
    for path in (tmp_path / "parts", str(tmp_path / "parts" / "*.parquet"), tmp_path / "all.csv"):
        same(cf.scan_survey(path, **args).mean("api00"), memory)


# ------------------------------------------------------------------ clear errors


def _messages(frame: pd.DataFrame, folder: Path, **args: Any) -> tuple[str, str]:
    path = folder / "bad.parquet"
    frame.to_parquet(path)
    with pytest.raises(CitizensFirstError) as lazy_error:
        cf.scan_survey(path, **args)
    with pytest.raises(CitizensFirstError) as memory_error:
        cf.Design(frame, **args)
    assert type(lazy_error.value) is type(memory_error.value)
    return str(lazy_error.value).replace(str(path), "data"), str(memory_error.value)


BAD = {
    "unknown column": (lambda f: f, dict(weights="pww")),
    "negative weights": (lambda f: f.assign(pw=np.where(np.arange(len(f)) == 7, -1.0, f["pw"])),
                         dict(weights="pw")),
    "missing weights": (lambda f: f.assign(pw=np.where(np.arange(len(f)) >= 5, np.nan, f["pw"])),
                        dict(weights="pw")),
    "text weights": (lambda f: f.assign(pw=f["pw"].astype(str).where(np.arange(len(f)) != 3, "n/a")),
                     dict(weights="pw")),
    "missing strata": (lambda f: f.assign(stype=f["stype"].where(np.arange(len(f)) != 2)),
                       dict(strata="stype", weights="pw")),
    "fpc varying in a stratum": (lambda f: f.assign(fpc=f["fpc"] + np.arange(len(f)) % 2),
                                 dict(strata="stype", weights="pw", fpc="fpc")),
    "PSUs not nested": (lambda f: f.assign(psu=np.arange(len(f)) % 10), dict(strata="stype", psu="psu")),
    "probs above one": (lambda f: f.assign(p=1.5), dict(probs="p")),
    "all weights zero": (lambda f: f.assign(pw=0.0), dict(weights="pw")),
    "replicate pattern": (lambda f: f, dict(replicate_weights="rep[0-9]+", method="jk1")),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_designs_fail_with_the_in_memory_message(case: str, tmp_path: Path) -> None:
    change, args = BAD[case]
    lazy, memory = _messages(change(reference_data("data/apistrat.csv").copy()), tmp_path, **args)
    assert lazy == memory


def test_missing_and_corrupt_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothere.parquet: no such file"):
        cf.scan_survey(tmp_path / "nothere.parquet")
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DataError, match="broken.parquet: cannot be read as Parquet"):
        cf.scan_survey(broken)
    with pytest.raises(DataError, match="no file matches"):
        cf.scan_survey(tmp_path / "*" / "*.parquet")
    (tmp_path / "x.sav").write_bytes(b"")
    with pytest.raises(DataError, match="Parquet .* and CSV"):
        cf.scan_survey(tmp_path / "x.sav")


def test_lazy_only_operations_say_what_to_do(tmp_path: Path) -> None:
    frame = reference_data("data/apistrat.csv")
    lazy, memory = twins(frame, tmp_path, strata="stype", weights="pw")
    with pytest.raises(NotLazyError, match=r"multiple_response\(\).*collect"):  # drivers: test_lazy_drivers
        lazy.multiple_response("ell")
    with pytest.raises(NotLazyError, match="text condition"):
        lazy.subset(frame["stype"] == "H")
    with pytest.raises(DataError, match="selects no rows"):
        lazy.subset("stype == 'Z'")
    with pytest.raises(DataError, match="holds numbers but is compared with the text"):
        lazy.subset("api00 == 'high'")
    with pytest.raises(DataError, match="did you mean 'api00'"):
        lazy.mean("api0")
    with pytest.raises(DataError, match=r"variable 'stype' must be numeric; row 0 holds 'E'"):
        lazy.mean("stype")
    with pytest.raises(DataError) as error:
        memory.mean("stype")
    assert "row 0 holds 'E'" in str(error.value)


# ------------------------------------------------------------------ laziness


def test_estimating_never_brings_the_rows_into_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    n, strata, psus_per_stratum = 300_000, 20, 30
    psu = rng.integers(0, strata * psus_per_stratum, n)
    frame = pd.DataFrame({
        "stratum": psu // psus_per_stratum, "psu": psu, "w": rng.uniform(1, 5, n),
        "y": rng.normal(50, 10, n), "dom": rng.integers(0, 5, n), "answer": rng.choice(list("abc"), n),
    })
    path = tmp_path / "big.parquet"
    frame.to_parquet(path)
    n_psu, n_domains = strata * psus_per_stratum, 5
    del frame
    design = cf.scan_survey(path, strata="stratum", psu="psu", weights="w", nest=True)
    mean = design.mean("y", by="dom")
    share = design.proportion("answer", by="dom")
    stats = design.backend.statistics
    assert len(mean.table) == n_domains and len(share.table) == 3 * n_domains
    assert 0 < stats.largest_answer <= n_psu * n_domains
    assert stats.rows_returned <= 4 * n_psu * n_domains < n / 10
    assert np.all(mean.table["se"] > 0) and np.allclose(share.table.groupby("dom")["estimate"].sum(), 1)
