"""Study specs for every kind of design and weighting step (issue #13): report numbers match R.

The example specs in ``examples/`` (apistrat: strata + fpc; apiclus2: two stages with an fpc at
each; apiclus1 with supplied JK1 replicate weights; 40 strata x 2 PSUs with nest, NHANES-like;
scd: strata + clusters + nest and supplied BRR replicates; raking, calibration,
post-stratification and trimming) are run through ``run_report`` and every
``[[estimates]]`` entry of numbers.json is compared with R's ``survey`` results in
``../shared/reference/golden`` and ``tests/reference/golden`` (estimate and SE to 1e-8 relative).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from citizensfirst.errors import ConvergenceError, DesignError, SpecError, WeightingError
from citizensfirst.io.readers import read_survey
from citizensfirst.report.designs import apply_weighting, design_from_wave, step_margins
from citizensfirst.report.pipeline import run_report, sample_spec_path, spec_inputs
from citizensfirst.report.spec import StudySpec
from citizensfirst.samplegen import sample_path
from conftest import LOCAL_REFERENCE, REPO, golden, reference_data, shared_reference

EXAMPLES = REPO / "examples"
RTOL = 1e-8


def _golden_calls(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every R call of a golden file and its result (entries, replicate designs, adjustments)."""
    calls = {e["call"]: e["result"] for e in doc.get("entries", [])}
    for group in (*doc.get("replicate_designs", []), *doc.get("adjustments", [])):
        calls.update({e["call"]: e["result"] for e in group.get("estimates", [])})
    return calls


def _r_values(result: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """R's (estimate, se) by row key: variable (+ level) for svystat, the level for svyby."""
    kind = result["type"]
    if kind in ("svystat", "svrepstat"):
        return {k: (v, result["se"][k]) for k, v in result["estimate"].items()}
    if kind == "svyby":
        return {str(lev): (e, s) for lev, e, s in zip(result["by_levels"], result["estimate"], result["se"], strict=True)}
    if kind == "svyratio":
        return {"ratio": (result["ratio"]["values"][0][0], result["se"]["values"][0][0])}
    if kind == "svyquantile":
        (variable,) = [k for k in result if k != "type"]
        table = result[variable]
        return {f"{float(q):g}": (row[0], row[3]) for q, row in zip(table["rownames"], table["values"], strict=True)}
    raise AssertionError(f"no comparison for R result type {kind}")


def _our_values(records: list[dict[str, Any]], kind: str, by: str | None) -> dict[str, tuple[float, float]]:
    """Our (estimate, se) by the same row keys as :func:`_r_values`."""
    def key(row: dict[str, Any]) -> str:
        if kind == "svyby":
            return str(row[by])
        if kind == "svyratio":
            return "ratio"
        if kind == "svyquantile":
            return f"{float(row['level']):g}"
        return str(row["variable"]) + (str(row["level"]) if "level" in row else "")
    return {key(row): (row["estimate"], row["se"]) for row in records}


# (example spec, golden file, local?, {estimate name: (R call, by variable)})
CASES: list[tuple[str, str, bool, dict[str, tuple[str, str | None]]]] = [
    ("apistrat", "survey_estimation.json", False, {
        "api00_mean": ("svymean(~api00, dstrat, deff=TRUE)", None),
        "api00_api99_mean": ("svymean(~api00+api99, dstrat, deff=TRUE)", None),
        "enroll_total": ("svytotal(~enroll, dstrat, deff=TRUE, na.rm=TRUE)", None),
        "sch_wide_share": ("svymean(~sch.wide, dstrat, deff=TRUE)", None),
        "api00_by_stype": ("svyby(~api00, ~stype, dstrat, svymean, deff=TRUE)", "stype"),
        "api_stu_per_enroll": ("svyratio(~api.stu, ~enroll, dstrat, na.rm=TRUE)", None),
        "api00_quantiles": ("svyquantile(~api00, dstrat, quantiles=c(0.1,0.25,0.5,0.75,0.9), ci=TRUE, se=TRUE, "
                            "qrule='math', interval.type='mean')", None),
    }),
    ("apiclus2", "extra_twostage.json", True, {
        "api00_mean": ("svymean(~api00, dclus2, deff=TRUE)", None),
        "api00_api99_mean": ("svymean(~api00+api99, dclus2, deff=TRUE)", None),
        "enroll_mean": ("svymean(~enroll, dclus2, deff=TRUE, na.rm=TRUE)", None),
        "api00_total": ("svytotal(~api00, dclus2, deff=TRUE)", None),
        "enroll_total": ("svytotal(~enroll, dclus2, deff=TRUE, na.rm=TRUE)", None),
        "stype_share": ("svymean(~stype, dclus2, deff=TRUE)", None),
        "api00_by_stype": ("svyby(~api00, ~stype, dclus2, svymean, deff=TRUE)", "stype"),
        "api_stu_per_enroll": ("svyratio(~api.stu, ~enroll, dclus2, na.rm=TRUE)", None),
        "api00_quartiles": ("svyquantile(~api00, dclus2, quantiles=c(0.25,0.5,0.75), ci=TRUE, se=TRUE, "
                            "qrule='math', interval.type='mean')", None),
    }),
    ("apiclus1_jk1", "survey_replicate.json", False, {
        "api00_mean": ("svymean(~api00, rclus1_jk1)", None),
        "api00_api99_mean": ("svymean(~api00+api99, rclus1_jk1)", None),
        "enroll_total": ("svytotal(~enroll, rclus1_jk1, na.rm=TRUE)", None),
        "stype_share": ("svymean(~stype, rclus1_jk1)", None),
        "api00_by_stype": ("svyby(~api00, ~stype, rclus1_jk1, svymean)", "stype"),
        "api_stu_per_enroll": ("svyratio(~api.stu, ~enroll, rclus1_jk1, na.rm=TRUE)", None),
    }),
    ("manystrata", "extra_manystrata.json", True, {
        "y_mean": ("svymean(~y, dms, deff=TRUE)", None),
        "y_x_mean": ("svymean(~y+x, dms, deff=TRUE)", None),
        "z_mean": ("svymean(~z, dms, na.rm=TRUE, deff=TRUE)", None),
        "y_cnt_total": ("svytotal(~y+cnt, dms, deff=TRUE)", None),
        "grp_share": ("svymean(~grp, dms, deff=TRUE)", None),
        "y_by_grp": ("svyby(~y, ~grp, dms, svymean, deff=TRUE)", "grp"),
        "y_total_by_dom": ("svyby(~y, ~dom, dms, svytotal, deff=TRUE)", "dom"),
        "y_per_x": ("svyratio(~y, ~x, dms)", None),
    }),
    ("scd", "survey_replicate.json", False, {
        "brr_alive_mean": ("svymean(~alive, scd2brr)", None),
        "brr_alive_total": ("svytotal(~alive, scd2brr)", None),
        "brr_alive_per_arrest": ("svyratio(~alive, ~arrests, scd2brr)", None),
        # the Taylor design scdnofpc (strata, clusters, nest): with two PSUs per stratum, the variance of a
        # total is exactly that of a full balanced set of half-samples, so R's BRR value is its value too
        "alive_total": ("svytotal(~alive, scd2brr)", None),
    }),
    ("weighting", "extra_weighting.json", True, {
        "calibrated_api00_mean": ("svymean(~api00+enroll, dstrat_cal_raking)", None),
        "calibrated_sch_wide": ("svymean(~sch.wide, dstrat_cal_raking)", None),
        "calibrated_api00_by_stype": ("svyby(~api00, ~stype, dstrat_cal_raking, svymean)", "stype"),
        "poststratified_api00_mean": ("svymean(~api00+enroll, dstrat_ps_cross)", None),
        "poststratified_enroll_total": ("svytotal(~api00+enroll, dstrat_ps_cross)", None),
        "clus1_trimmed_api00_mean": ("svymean(~api00+enroll, dclus1_cal_raking_trim_strict)", None),
        "clus1_trimmed_api00_by_stype": ("svyby(~api00, ~stype, dclus1_cal_raking_trim_strict, svymean)", "stype"),
        "clus1_trimmed_ratio": ("svyratio(~api.stu, ~enroll, dclus1_cal_raking_trim_strict)", None),
    }),
]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """numbers.json of each example, run from a copy of examples/ (so nothing is written there)."""
    folder = tmp_path_factory.mktemp("examples") / "examples"
    shutil.copytree(EXAMPLES, folder)
    out = {}
    for name in {case[0] for case in CASES}:
        report = folder.parent / f"{name}-report"
        run_report(StudySpec.from_toml(folder / f"{name}.toml"), report, progress=lambda m: None)
        out[name] = json.loads((report / "numbers.json").read_text())
        out[name]["manifest"] = json.loads((report / "manifest.json").read_text())
    return out


@pytest.mark.parametrize("example,file,local,entries", CASES, ids=[c[0] for c in CASES])
def test_example_report_matches_r(reports: dict[str, dict[str, Any]], example: str, file: str, local: bool,
                                  entries: dict[str, tuple[str, str | None]]) -> None:
    calls = _golden_calls(golden(file, local=local))
    numbers = reports[example]["estimates"]
    spec = StudySpec.from_toml(EXAMPLES / f"{example}.toml")
    assert {e.name for e in spec.estimates} >= set(entries)
    for name, (call, by) in entries.items():
        result = calls[call]
        theirs = _r_values(result)
        ours = _our_values(numbers[name], result["type"], by)
        assert sorted(ours) == sorted(theirs), name
        scale = max(abs(v[0]) for v in theirs.values())
        for key, (estimate, se) in theirs.items():
            np.testing.assert_allclose(ours[key][0], estimate, rtol=RTOL, atol=1e-10 * scale, err_msg=f"{name} {key}")
            np.testing.assert_allclose(ours[key][1], se, rtol=RTOL, atol=1e-10 * scale, err_msg=f"{name} {key} se")


def test_estimate_records_carry_the_estimate_table(reports: dict[str, dict[str, Any]]) -> None:
    row = reports["apistrat"]["estimates"]["api00_mean"][0]
    assert {"estimate", "se", "ci_low", "ci_high", "deff", "cv", "n", "df", "flag"} <= set(row)
    assert row["n"] == 200 and row["df"] == 197  # 200 schools in 3 strata


def test_weighting_numbers_list_each_step(reports: dict[str, dict[str, Any]]) -> None:
    weighting = reports["weighting"]["weighting"]
    assert [s["method"] for s in weighting["raked"]["steps"]] == ["rake", "trim"]  # the study-wide default
    assert [s["method"] for s in weighting["clus1_trimmed"]["steps"]] == ["calibrate", "trim"]
    rake = weighting["raked"]["steps"][0]
    assert rake["targets"] == "data/api_population.toml"
    assert rake["max_relative_error"] < 1e-10
    achieved = {(m["margin"], str(m["level"])): m["achieved"] for m in rake["margins"]}
    assert achieved[("stype", "E")] == pytest.approx(4421, rel=1e-10)  # apipop counts
    assert achieved[("comp.imp", "Yes")] == pytest.approx(4482, rel=1e-10)
    assert weighting["poststratified"]["steps"][0]["targets"] == "inline"
    trim = weighting["raked"]["steps"][1]["summary"]
    assert trim["weight_min"] >= 15 - 1e-9 and trim["weight_max"] <= 45 + 1e-9
    inputs = {Path(r["path"]).as_posix() for r in reports["weighting"]["manifest"]["inputs"]}
    assert "data/api_population.toml" in inputs  # the targets file is hashed with the inputs


def test_example_data_are_the_reference_data() -> None:
    pd.testing.assert_frame_equal(pd.read_csv(EXAMPLES / "data" / "apistrat.csv"), reference_data("data/apistrat.csv"))
    scd = pd.read_csv(EXAMPLES / "data" / "scd_brr.csv")
    pd.testing.assert_frame_equal(scd[["ESA", "ambulance", "arrests", "alive"]], reference_data("data/scd.csv"))
    brr = pd.read_csv(shared_reference() / "golden" / "repweights" / "scd2brr.csv")
    pd.testing.assert_frame_equal(scd.filter(like="rep"), brr.filter(like="rep"))
    assert (brr["pw"] == 1).all()  # prob=~1: the example gives no weights
    for name in ("apiclus2", "manystrata"):
        pd.testing.assert_frame_equal(pd.read_csv(EXAMPLES / "data" / f"{name}.csv"),
                                      pd.read_csv(LOCAL_REFERENCE / "data" / f"{name}.csv"))
    jk1 = pd.read_csv(EXAMPLES / "data" / "apiclus1_jk1.csv")
    reps = pd.read_csv(shared_reference() / "golden" / "repweights" / "rclus1_jk1.csv")
    pd.testing.assert_frame_equal(jk1.drop(columns=[c for c in reps if c != "pw"]), reference_data("data/apiclus1.csv"))
    pd.testing.assert_frame_equal(jk1[list(reps)], reps)


def test_examples_read_only_their_own_folder() -> None:
    allowed = (EXAMPLES.resolve(), (REPO / "src" / "citizensfirst" / "data").resolve())
    for path in sorted(EXAMPLES.glob("*.toml")):
        spec = StudySpec.from_toml(path)
        assert all(Path(wave.file).is_file() for wave in spec.waves), path.name
        for file in spec_inputs(spec):
            assert any(file.resolve().is_relative_to(folder) for folder in allowed), f"{path.name} reads {file}"


# ----------------------------------------------------------------- design_from_wave


def _wave(tmp_path: Path, wave: dict[str, Any], name: str = "api") -> Any:
    return StudySpec.from_dict({"waves": {name: wave}}, base=tmp_path, source=tmp_path / "study.toml").waves[0]


@pytest.fixture
def apiclus2(tmp_path: Path) -> Path:
    path = tmp_path / "apiclus2.csv"
    shutil.copy(LOCAL_REFERENCE / "data" / "apiclus2.csv", path)
    return path


def test_missing_column_names_spec_wave_key_and_file(tmp_path: Path, apiclus2: Path) -> None:
    wave = _wave(tmp_path, {"file": "apiclus2.csv", "psu": ["dnum", "snum"], "fpc": ["fpc1", "fpc9"]})
    with pytest.raises(SpecError, match=r"study\.toml: \[waves\.api\]\.fpc: column 'fpc9' is not in apiclus2\.csv; "
                                        r"did you mean 'fpc2'\?"):
        design_from_wave(wave, read_survey(apiclus2), source=tmp_path / "study.toml")
    wave = _wave(tmp_path, {"file": "apiclus2.csv", "weights": "pw", "strata": "stype", "psu": "dnm"})
    with pytest.raises(SpecError, match=r"\[waves\.api\]\.psu: column 'dnm'"):
        design_from_wave(wave, read_survey(apiclus2))


def test_replicate_pattern_matching_nothing_or_missing_columns(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "data" / "apiclus1_jk1.csv", tmp_path / "jk.csv")
    data = pd.read_csv(tmp_path / "jk.csv")
    wave = _wave(tmp_path, {"file": "jk.csv", "weights": "pw",
                            "replicates": {"pattern": "rw[0-9]+", "type": "jk1", "combined": False}})
    with pytest.raises(SpecError, match=r"\[waves\.api\.replicates\]\.pattern: 'rw\[0-9\]\+' matches no column of jk\.csv"):
        design_from_wave(wave, data)
    wave = _wave(tmp_path, {"file": "jk.csv", "weights": "pw",
                            "replicates": {"columns": ["rep1", "rep16"], "type": "jk1"}})
    with pytest.raises(SpecError, match=r"\[waves\.api\.replicates\]\.columns: column 'rep16' is not in jk\.csv"):
        design_from_wave(wave, data)
    # the pattern is matched in full: "rep1[0-9]" is rep10..rep15, not rep1
    wave = _wave(tmp_path, {"file": "jk.csv", "weights": "pw",
                            "replicates": {"pattern": "rep1[0-9]", "type": "jk1", "combined": False}})
    assert design_from_wave(wave, data).replicate_weights.n_replicates == 6


def test_weights_and_probs_together_are_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"\[waves\.api\].*weights or probs, not both"):
        _wave(tmp_path, {"file": "a.csv", "weights": "pw", "probs": "p"})


def test_design_errors_name_the_wave(tmp_path: Path) -> None:
    data = pd.read_csv(LOCAL_REFERENCE / "data" / "manystrata.csv")
    wave = _wave(tmp_path, {"file": "ms.csv", "weights": "wt", "strata": "str", "psu": "psu"}, name="ms")
    with pytest.raises(DesignError, match=r"^spec: \[waves\.ms\]: .*nest"):  # PSU ids repeat across strata
        design_from_wave(wave, data)


def test_probs_fractions_numbers_and_lonely_psu_reach_the_design(tmp_path: Path) -> None:
    """Options of the wave table as R computes them (golden values)."""
    strat = reference_data("data/apistrat.csv").assign(p=lambda d: 1 / d["pw"])
    wave = _wave(tmp_path, {"file": "a.csv", "probs": "p", "strata": "stype", "fpc": "fpc"})
    result = design_from_wave(wave, strat).mean("api00").to_frame()
    r = _golden_calls(golden("survey_estimation.json"))["svymean(~api00, dstrat, deff=TRUE)"]
    np.testing.assert_allclose(result[["estimate", "se"]].to_numpy()[0], [r["estimate"]["api00"], r["se"]["api00"]],
                               rtol=RTOL)
    clus2 = pd.read_csv(LOCAL_REFERENCE / "data" / "apiclus2.csv")
    wave = _wave(tmp_path, {"file": "a.csv", "psu": ["dnum", "snum"], "fpc": ["frac1", "frac2"]})
    result = design_from_wave(wave, clus2).mean("api00").to_frame()
    r = _golden_calls(golden("extra_twostage.json", local=True))["svymean(~api00, dclus2_frac, deff=TRUE)"]
    np.testing.assert_allclose(result[["estimate", "se"]].to_numpy()[0], [r["estimate"]["api00"], r["se"]["api00"]],
                               rtol=RTOL)
    clus1 = reference_data("data/apiclus1.csv")
    wave = _wave(tmp_path, {"file": "a.csv", "weights": "pw", "psu": "dnum", "fpc": 757})  # a number, not a column
    result = design_from_wave(wave, clus1).mean("api00").to_frame()
    r = _golden_calls(golden("survey_estimation.json"))["svymean(~api00, dclus1, deff=TRUE)"]
    np.testing.assert_allclose(result["se"].iloc[0], r["se"]["api00"], rtol=RTOL)
    lonely = pd.read_csv(LOCAL_REFERENCE / "data" / "lonely.csv")
    wave = _wave(tmp_path, {"file": "a.csv", "weights": "wt", "strata": "str", "psu": "psu", "nest": True,
                            "lonely_psu": "adjust"})
    result = design_from_wave(wave, lonely).mean("y").to_frame()
    r = next(e for e in golden("extra_lonely.json", local=True)["entries"] if e["id"] == "dlonely.adjust.mean.y")
    np.testing.assert_allclose(result["se"].iloc[0], r["result"]["se"]["y"], rtol=RTOL)


# ----------------------------------------------------------------- weighting steps


def _steps(tmp_path: Path, steps: list[dict[str, Any]], wave: dict[str, Any] | None = None) -> Any:
    wave = wave or {"file": "apistrat.csv", "weights": "pw", "strata": "stype", "fpc": "fpc"}
    return _wave(tmp_path, dict(wave, weighting=steps))


def _r_weights(adjustment: str) -> np.ndarray:
    doc = golden("extra_weighting.json", local=True)
    return np.asarray(next(a for a in doc["adjustments"] if a["id"] == adjustment)["weights"], dtype=float)


@pytest.fixture
def population(tmp_path: Path) -> Path:
    path = tmp_path / "population.toml"
    shutil.copy(EXAMPLES / "data" / "api_population.toml", path)
    return path


def test_calibrate_then_trim_steps_give_rs_weights(tmp_path: Path, population: Path) -> None:
    wave = _steps(tmp_path, [{"method": "calibrate", "file": "population.toml", "distance": "raking"},
                             {"method": "trim", "lower": 28.0, "upper": 40.0, "strict": True}],
                  {"file": "c.csv", "weights": "pw", "psu": "dnum", "fpc": "fpc"})
    design = design_from_wave(wave, reference_data("data/apiclus1.csv"))
    seen: list[str] = []
    weighted = apply_weighting(design, wave.weighting, where="spec: [waves.api]",
                               on_step=lambda n, step, d: seen.append(f"{n}:{step.method}:{d.report.method}"))
    assert seen == ["1:calibrate:calibration (raking)", "2:trim:trimming"]
    np.testing.assert_allclose(weighted.weight_values, _r_weights("dclus1_cal_raking_trim_strict"), rtol=RTOL)


def test_poststratify_inline_crossed_cells_gives_rs_weights(tmp_path: Path) -> None:
    cells = {"E|No": 472, "H|No": 334, "M|No": 266, "E|Yes": 3949, "H|Yes": 421, "M|Yes": 752}
    wave = _steps(tmp_path, [{"method": "poststratify", "cells": ["stype", "sch.wide"],
                              "margins": {"stype|sch.wide": cells}}])
    weighted = apply_weighting(design_from_wave(wave, reference_data("data/apistrat.csv")), wave.weighting, where="w")
    np.testing.assert_allclose(weighted.weight_values, _r_weights("dstrat_ps_cross"), rtol=RTOL)
    wrong = _steps(tmp_path, [{"method": "poststratify", "cells": ["stype", "sch.wide"], "margins": {"stype": {"E": 1.0}}}])
    with pytest.raises(SpecError, match=r"w weighting step 1 \(poststratify\): .*needs targets for 'stype\|sch\.wide'"):
        apply_weighting(design_from_wave(wrong, reference_data("data/apistrat.csv")), wrong.weighting, where="w")


def test_calibrate_with_bounds_and_linear_distance_gives_rs_weights(tmp_path: Path) -> None:
    margins = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
    wave = _steps(tmp_path, [{"method": "calibrate", "margins": margins, "distance": "linear", "bounds": [0.7, 1.7]}])
    weighted = apply_weighting(design_from_wave(wave, reference_data("data/apistrat.csv")), wave.weighting, where="w")
    np.testing.assert_allclose(weighted.weight_values, _r_weights("dstrat_cal2_linear_bounded"), rtol=RTOL)


def test_rake_inline_shares_meets_margins_and_keeps_the_total(tmp_path: Path) -> None:
    wave = _steps(tmp_path, [{"method": "rake", "margins": {"sch.wide": {"No": 0.2, "Yes": 0.8},
                                                           "awards": {"No": 0.4, "Yes": 0.6}}}])
    data = reference_data("data/apistrat.csv")
    weighted = apply_weighting(design_from_wave(wave, data), wave.weighting, where="w")
    w = weighted.weight_values
    assert w.sum() == pytest.approx(data["pw"].sum(), rel=1e-12)  # shares: the weight total is kept
    for variable, level, share in (("sch.wide", "Yes", 0.8), ("awards", "No", 0.4)):
        assert w[(data[variable] == level).to_numpy()].sum() / w.sum() == pytest.approx(share, rel=1e-9)


def test_shipped_set_rakes_the_sample_wave(tmp_path: Path) -> None:
    wave = _steps(tmp_path, [{"method": "rake", "targets": "canada_2021", "variables": ["province", "gender"]}],
                  {"file": str(sample_path("cf2023")), "weights": "wt_design", "strata": "prov"})
    survey = read_survey(sample_path("cf2023"))
    weighted = apply_weighting(design_from_wave(wave, survey), wave.weighting, where="w")
    assert weighted.report.max_relative_error < 1e-8
    assert set(weighted.report.margins["margin"]) == {"prov", "gender"}


def test_a_missed_margin_stops_with_a_check_error_naming_the_step(tmp_path: Path, population: Path) -> None:
    wave = _steps(tmp_path, [{"method": "trim", "upper": 60.0},
                             {"method": "rake", "file": "population.toml", "max_iter": 1}])
    design = design_from_wave(wave, reference_data("data/apistrat.csv"))
    with pytest.raises(ConvergenceError, match=r"^spec: \[waves\.api\] weighting step 2 \(rake\): .*did not meet"):
        apply_weighting(design, wave.weighting, where="spec: [waves.api]")


def test_step_margins_from_file_inline_and_shipped(tmp_path: Path, population: Path) -> None:
    assert step_margins(_steps(tmp_path, [{"method": "rake", "file": "population.toml"}]).weighting[0])["stype"] == {
        "E": 4421.0, "H": 755.0, "M": 1018.0}  # counts: the file's population
    shares = tmp_path / "shares.toml"
    shares.write_text("[margins.gender]\n1 = 0.25\n2 = 0.75\n", encoding="utf-8")
    assert step_margins(_steps(tmp_path, [{"method": "rake", "file": "shares.toml"}]).weighting[0]) == {
        "gender": {1: 0.25, 2: 0.75}}
    inline = _steps(tmp_path, [{"method": "rake", "margins": {"gender": {"1": 0.25, "2": 0.75}}}]).weighting[0]
    assert step_margins(inline) == {"gender": {1: 0.25, 2: 0.75}}  # integer-looking keys are codes, as in files
    bad = _steps(tmp_path, [{"method": "rake", "margins": {"gender": {"1": 0.25, "2": 0.5}}}]).weighting[0]
    with pytest.raises(WeightingError, match="shares sum to 0.75"):
        step_margins(bad)
    picked = _steps(tmp_path, [{"method": "rake", "file": "population.toml", "variables": ["sch.wide"]}]).weighting[0]
    assert step_margins(picked) == {"sch.wide": {"No": 1072.0, "Yes": 5122.0}}  # variables pick margins
    unknown = _steps(tmp_path, [{"method": "rake", "file": "population.toml", "variables": ["awards"]}]).weighting[0]
    with pytest.raises(SpecError, match=r"variables \['awards'\] have no margin"):
        step_margins(unknown)
    shipped = _steps(tmp_path, [{"method": "rake", "targets": "canada_2021", "variables": ["gender"]}]).weighting[0]
    assert sorted(step_margins(shipped)["gender"]) == [1, 2, 3]


def test_study_wide_steps_apply_to_waves_without_their_own(tmp_path: Path, population: Path) -> None:
    shutil.copy(EXAMPLES / "data" / "apistrat.csv", tmp_path / "apistrat.csv")
    design = 'file = "apistrat.csv"\nweights = "pw"\nstrata = "stype"\nfpc = "fpc"\n'
    (tmp_path / "study.toml").write_text(
        f'[[weighting]]\nmethod = "rake"\nfile = "population.toml"\n\n[waves.a]\n{design}\n[waves.b]\n{design}'
        '\n[[waves.b.weighting]]\nmethod = "trim"\nupper = 40.0\n', encoding="utf-8")
    spec = StudySpec.from_toml(tmp_path / "study.toml")
    assert [s.method for s in spec.wave("a").weighting] == ["rake"]
    assert [s.method for s in spec.wave("b").weighting] == ["trim"]
    assert population in spec_inputs(spec)
    run_report(spec, tmp_path / "out", progress=lambda m: None)
    numbers = json.loads((tmp_path / "out" / "numbers.json").read_text())["weighting"]
    assert [s["method"] for s in numbers["a"]["steps"]] == ["rake"]
    assert numbers["a"]["steps"][0]["targets"] == "population.toml"
    assert [s["method"] for s in numbers["b"]["steps"]] == ["trim"]
    assert numbers["b"]["summary"]["weight_max"] <= 40 + 1e-9


# ----------------------------------------------------------------- the sample spec


def test_sample_spec_matches_its_documentation_and_cites_its_targets() -> None:
    """cf2023 is stratified by province (df 4,287 in docs/guide-designs.md); every wave meets the
    17-10-0005-01 margins and the weighting report cites the table and its reference date."""
    spec = StudySpec.from_toml(sample_spec_path())
    waves = {wave.name: wave for wave in spec.waves}
    assert "= 4287" in (REPO / "docs" / "guide-designs.md").read_text(encoding="utf-8")
    assert design_from_wave(waves["cf2023"], read_survey(waves["cf2023"].file)).degrees_of_freedom() == 4287
    assert design_from_wave(waves["cf2018"], read_survey(waves["cf2018"].file)).degrees_of_freedom() == 3180 - 13
    for wave in spec.waves:
        assert [(s.method, s.targets) for s in wave.weighting] == [("rake", "canada_adults_2025")]
        weighted = apply_weighting(design_from_wave(wave, read_survey(wave.file)), wave.weighting, where=wave.name)
        assert weighted.report.max_relative_error < 1e-8
        source = weighted.report.summary()["source"]
        assert "Table 17-10-0005-01" in source and "July 1, 2025" in source


def test_business_first_example_rakes_to_the_business_counts_table(tmp_path: Path) -> None:
    """The BF sample wave weighted from the (illustrative) Canadian Business Counts table: the
    weighted firm-size and region totals are the table's own sums, read here with pandas alone."""
    run_report(StudySpec.from_toml(EXAMPLES / "business_first.toml"), tmp_path / "bf", progress=lambda _: None)
    numbers = json.loads((tmp_path / "bf" / "numbers.json").read_text())
    margins = pd.DataFrame(numbers["weighting"]["bf2023"]["margins"])
    table = pd.read_csv(REPO / "src" / "citizensfirst" / "data" / "targets" / "ILLUSTRATIVE_business_counts_2023.csv")
    naics = "North American Industry Classification System (NAICS)"
    canada = table[(table["GEO"] == "Canada") & (table[naics] == "Total, all industries")]
    size = canada.set_index("Employment size ranges")["VALUE"]
    expected_size = {1: size["1 to 4 employees"], 2: size["5 to 9 employees"] + size["10 to 19 employees"],
                     3: size["20 to 49 employees"] + size["50 to 99 employees"],
                     4: size["100 to 199 employees"] + size["200 to 499 employees"] + size["500 plus employees"]}
    by_geo = table[(table["Employment size ranges"] == "Total, with employees") & (table[naics] == "Total, all industries")]
    geo = by_geo.set_index("GEO")["VALUE"]
    regions = {1: ["Newfoundland and Labrador", "Prince Edward Island", "Nova Scotia", "New Brunswick"],
               2: ["Quebec"], 3: ["Ontario"], 4: ["Manitoba", "Saskatchewan", "Alberta"], 5: ["British Columbia"],
               6: ["Yukon", "Northwest Territories", "Nunavut"]}
    for margin, expected in (("firm_size", expected_size),
                             ("region", {code: geo[names].sum() for code, names in regions.items()})):
        achieved = margins[margins["margin"] == margin].set_index("level")["achieved"]
        for code, count in expected.items():
            assert achieved[code] == pytest.approx(count, rel=1e-8), (margin, code)
    assert "ILLUSTRATIVE" in json.dumps(numbers["weighting"]["bf2023"]["steps"])
