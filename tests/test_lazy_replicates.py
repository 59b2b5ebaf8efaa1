"""Lazy replicate designs made from strata and PSUs (``LazyDesign.as_replicate``), and the
backends' join of a small table (``Backend.with_table``) they rest on.

Every golden case of ``extra_replicate.json`` whose design R made with ``as.svrepdesign``
(the designs given as columns run in ``test_lazy_golden``) runs on a lazy design built from the *base*
design's file: JK1 and JKn by ``as_replicate`` itself (deterministic: R's multipliers), the
random and Hadamard methods from R's exported multipliers (``with_multipliers``), so the numbers
do not depend on random draws. Each must match R (the golden check) and the in-memory design
on R's multipliers to 1e-10 (the lazy harness's ``same``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.backends.duckdb import DuckDBBackend, connect
from citizensfirst.backends.spark import design_from_spark
from citizensfirst.errors import DataError, DesignError
from citizensfirst.lazy.replicates import with_multipliers
from citizensfirst.lazy.structure import ROW_ID
from conftest import LOCAL_REFERENCE
from rcall import build_design, run
from test_golden_estimation import check_result
from test_golden_extra import REPLICATE, _replicate_design
from test_golden_tests_models import check as check_model
from test_lazy_golden import call_kind, lazy_twin, same

#: the designs R made with as.svrepdesign (those given as columns are the lazy harness's)
CONSTRUCTED = [s for s in REPLICATE["replicate_designs"] if "as.svrepdesign(" in s["call"]]
SPECS = {s["id"]: s for s in CONSTRUCTED}
CASES = [(s["id"], e) for s in CONSTRUCTED for e in s["estimates"]]
METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap")


def _base(spec: dict) -> tuple[str, cf.Design]:
    name = re.search(r"as\.svrepdesign\((\w+)", spec["call"]).group(1)
    return name, build_design(REPLICATE["base_designs"][name], pd.read_csv(LOCAL_REFERENCE / spec["data"]))


def _r_multipliers(spec: dict, lazy: cf.LazyDesign) -> tuple[pd.DataFrame, list[str]]:
    """R's multipliers, one row per unit of the lazy design (checked constant within units)."""
    keys = list(lazy.clusters.keys)
    data = pd.read_csv(LOCAL_REFERENCE / spec["data"]).assign(**{ROW_ID: lambda d: np.arange(len(d))})
    reps = pd.read_csv(LOCAL_REFERENCE / spec["repweights_file"]).filter(regex=r"^rep\d+$")
    table = pd.concat([data[keys], reps], axis=1)
    assert (table.groupby(keys).nunique() <= 1).all().all()
    return table.drop_duplicates(keys), keys


@pytest.fixture(scope="module")
def lazy_designs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, cf.LazyDesign]:
    """The lazy replicate design of every golden spec, built once."""
    folder = tmp_path_factory.mktemp("replicates")
    designs = {}
    for spec in CONSTRUCTED:
        base = lazy_twin(_base(spec)[1], folder)
        if spec["type"] in ("JK1", "JKn"):
            designs[spec["id"]] = base.as_replicate(spec["type"].lower(), mse=spec["mse"])
        else:
            table, keys = _r_multipliers(spec, base)
            designs[spec["id"]] = with_multipliers(
                base, table, keys, method=spec["type"].lower(), scale=spec["scale"], rscales=spec["rscales"],
                mse=spec["mse"], rho=0.3 if spec["type"] == "Fay" else None)
    return designs


@pytest.fixture(scope="module")
def memory_designs() -> dict[str, cf.Design]:
    """The in-memory design of every golden spec on R's multipliers."""
    return {s["id"]: _replicate_design(s) for s in CONSTRUCTED}


@pytest.mark.parametrize("design_id,entry", CASES, ids=[f"{d}:{e['call']}" for d, e in CASES])
def test_extra_replicate_golden_through_lazy_replicates(design_id: str, entry: dict, lazy_designs: dict,
                                                        memory_designs: dict) -> None:
    lazy, memory = lazy_designs[design_id], memory_designs[design_id]
    result = entry["result"]
    if result["type"] == "value":
        assert lazy.degrees_of_freedom() == result["value"] == memory.degrees_of_freedom()
        return
    ours = run(entry["call"], {design_id: lazy})
    theirs = run(entry["call"], {design_id: memory})
    if call_kind(entry["call"]) == "svyglm":  # a model: R's check of models, and memory's numbers
        check_model(result, ours)
        for name in ("coefficients", "se", "vcov"):
            np.testing.assert_allclose(np.asarray(getattr(ours, name), dtype=float),
                                       np.asarray(getattr(theirs, name), dtype=float), rtol=1e-10, err_msg=name)
        return
    check_result(result, ours)
    if isinstance(theirs, pd.DataFrame):
        same(ours, theirs)
        return
    estimate, se = theirs.table["estimate"].to_numpy(), theirs.table["se"].to_numpy()
    if np.all(se <= 1e-12 * np.abs(estimate).max()):  # no variance (the strata are the levels):
        assert np.all(ours.table["se"].to_numpy() <= 1e-12 * np.abs(estimate).max())  # rounding noise
        np.testing.assert_allclose(ours.table["estimate"], estimate, rtol=1e-10)
    else:
        same(ours, theirs)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("base", ["rclus1_jk1", "rclus2_jk1", "rstrat_jkn", "rms_jkn"])
def test_as_replicate_equals_in_memory(base: str, method: str, tmp_path: Path) -> None:
    _, memory = _base(SPECS[base])
    lazy = lazy_twin(memory, tmp_path)
    try:
        expected = memory.as_replicate(method, replicates=12, seed=5, rho=0.3)
    except DesignError as error:  # the same refusal, word for word
        with pytest.raises(DesignError) as raised:
            lazy.as_replicate(method, replicates=12, seed=5, rho=0.3)
        assert str(raised.value) == str(error)
        return
    ours = lazy.as_replicate(method, replicates=12, seed=5, rho=0.3)
    y, by = ("api00", "stype") if "api00" in memory.frame.columns else ("y", "dom")
    same(ours.mean(y), expected.mean(y))
    same(ours.total(y, by=by), expected.total(y, by=by))
    same(ours.subset(f"{by} == {expected.frame[by].iloc[0]!r}").mean(y),
         expected.subset(f"{by} == {expected.frame[by].iloc[0]!r}").mean(y))
    assert ours.degrees_of_freedom() == expected.degrees_of_freedom()
    assert ours.replicate_weights.n_replicates == expected.replicate_weights.n_replicates
    assert ours.history[-1] == expected.history[-1]


def test_as_replicate_refuses_what_memory_refuses(tmp_path: Path) -> None:
    _, memory = _base(SPECS["rclus1_jk1"])
    lazy = lazy_twin(memory, tmp_path)
    with pytest.raises(DesignError, match="needs seed="):
        lazy.as_replicate("bootstrap", replicates=10)
    with pytest.raises(DesignError, match="replicates must be a whole number"):
        lazy.as_replicate("bootstrap", replicates=1, seed=1)
    with pytest.raises(DesignError, match="method must be one of"):
        lazy.as_replicate("half")
    with pytest.raises(DesignError, match="already has replicate weights"):
        lazy.as_replicate("jk1").as_replicate("jk1")
    raked = lazy.rake({"stype": {"E": 0.7, "H": 0.1, "M": 0.2}}, total=6194)
    with pytest.raises(DesignError, match="before weighting"):
        raked.as_replicate("jk1")


def test_with_multipliers_needs_every_unit(tmp_path: Path) -> None:
    spec = SPECS["rms_brr"]
    lazy = lazy_twin(_base(spec)[1], tmp_path)
    table, keys = _r_multipliers(spec, lazy)
    with pytest.raises(DataError, match="rows have a key"):
        with_multipliers(lazy, table.iloc[1:], keys, method="brr", scale=spec["scale"], rscales=spec["rscales"])
    with pytest.raises(DataError, match="non-negative"):
        with_multipliers(lazy, table.assign(rep1=-1.0), keys, method="brr", scale=1.0, rscales=spec["rscales"])


def test_as_replicate_stays_lazy(tmp_path: Path) -> None:
    """The answers are O(PSUs x domains): the file's rows never come back."""
    rng = np.random.default_rng(3)
    n = 30_000
    frame = pd.DataFrame({"h": rng.integers(0, 4, n), "p": rng.integers(0, 25, n), "w": rng.uniform(1, 9, n),
                          "y": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    frame.to_parquet(tmp_path / "big.parquet")
    lazy = cf.scan_survey(tmp_path / "big.parquet", weights="w", strata="h", psu="p", nest=True)
    ours = lazy.as_replicate("bootstrap", replicates=30, seed=2)
    estimate = ours.mean("y", by="g")
    expected = cf.Design(frame, weights="w", strata="h", psu="p", nest=True).as_replicate(
        "bootstrap", replicates=30, seed=2).mean("y", by="g")
    same(estimate, expected)
    assert ours.backend.statistics.largest_answer <= 4 * 25 * 3


def test_duckdb_with_table_joins_on_keys() -> None:
    con = connect()
    con.execute("CREATE TABLE t AS SELECT range AS i, CAST(range % 3 AS VARCHAR) AS g FROM range(10)")
    backend = DuckDBBackend(con, 'SELECT * FROM "t"', "t")
    table = pd.DataFrame({"g": pd.Categorical(["0", "1"]), "m": [1.0, 10.0]})
    joined = backend.with_table(table, ["g"])
    answer = joined.aggregate({"s": "SUM(m)", "n": "COUNT(*)"}, by=["g"])
    assert answer["s"].tolist()[:2] == [4.0, 30.0] and pd.isna(answer["s"].iloc[2])
    assert answer["n"].tolist() == [4, 3, 3] and joined.statistics is backend.statistics
    with pytest.raises(DataError, match="repeats keys"):
        backend.with_table(pd.DataFrame({"g": ["0", "0"], "m": [1.0, 2.0]}), ["g"])
    with pytest.raises(DataError, match="already exist"):
        backend.with_table(pd.DataFrame({"g": ["0"], "i": [1.0]}), ["g"])
    with pytest.raises(DataError, match="cannot join a table on"):
        backend.with_table(pd.DataFrame({"k": ["0"], "m": [1.0]}), ["k"])


def test_spark_as_replicate_equals_in_memory(spark) -> None:
    rng = np.random.default_rng(8)
    n = 300
    frame = pd.DataFrame({"h": rng.choice(["x", "y"], n), "p": rng.integers(0, 6, n), "w": rng.uniform(1, 5, n),
                          "y": rng.normal(size=n)})
    args = dict(weights="w", strata="h", psu="p", nest=True)
    lazy = design_from_spark(spark, spark.createDataFrame(frame), **args)
    for method in ("jkn", "bootstrap"):
        ours = lazy.as_replicate(method, replicates=8, seed=4)
        same(ours.mean("y", by="h"), cf.Design(frame, **args).as_replicate(method, replicates=8, seed=4)
             .mean("y", by="h"))
