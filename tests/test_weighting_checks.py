"""Issue 10, items 2-4: weights never miss their targets silently, margins have one validation,
trimming never shrinks the total silently.

* tolerances, iteration limits and bounds are checked in one place (``check_controls``) for the
  API, the ``weight`` command and the study spec: exit 2, nothing written;
* after raking, calibration and post-stratification the margins are recomputed from the final
  weights; a miss beyond the tolerance is a ConvergenceError (exit 1) even when the iteration
  claims convergence, and the report's max relative error is that recomputed miss;
* a targets TOML goes through rake's margin validation: count margins with different totals are
  refused, naming both;
* trimming keeps the weight total or refuses (limits that cannot hold it, nothing left to absorb
  the cut), without numpy warnings.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.cli import main
from citizensfirst.errors import ConvergenceError, WeightingError
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.samplegen.params import SAMPLE_DIR
from citizensfirst.weighting import targets as tg
from citizensfirst.weighting.methods import calibrate as calibrate_module
from citizensfirst.weighting.methods import rake as rake_module

# sex x age are associated in the sample, so raking to both margins takes several sweeps
FRAME = pd.DataFrame({
    "sex": ["m"] * 6 + ["f"] * 14,
    "age": ["y", "y", "y", "y", "o", "o"] + ["y"] * 3 + ["o"] * 11,
    "w": np.linspace(1.0, 2.9, 20),
})
MARGINS = {"sex": {"m": 0.5, "f": 0.5}, "age": {"y": 0.4, "o": 0.6}}
COUNTS = {"sex": {"m": 500.0, "f": 500.0}, "age": {"y": 400.0, "o": 600.0}}
BAD_TOLS = [float("nan"), float("inf"), 10.0, 0.0, -1.0, 2e-3, "1e-8", None]


def _design() -> cf.Design:
    return cf.Design(FRAME, weights="w")


def _achieved(design: cf.Design, variable: str) -> pd.Series:
    """Weighted count of each level, computed here from the weights (not from the report)."""
    return design.weights.groupby(FRAME[variable].to_numpy()).sum()


def _input_error(info: pytest.ExceptionInfo[BaseException]) -> str:
    """The message of a bad-input WeightingError (exit 2), which must not be a ConvergenceError."""
    assert not isinstance(info.value, ConvergenceError)
    assert info.value.exit_code == 2
    return str(info.value)


# ------------------------------------------------------------------ controls: tol, max_iter, bounds


@pytest.mark.parametrize("tol", BAD_TOLS, ids=repr)
def test_rake_refuses_a_bad_tolerance(tol):
    with pytest.raises(WeightingError) as info:
        _design().rake(MARGINS, tol=tol)
    message = _input_error(info)
    assert f"tol={tol!r}" in message
    if not isinstance(tol, str | None):
        assert "0 < tol <= 0.001" in message


@pytest.mark.parametrize("tol", BAD_TOLS, ids=repr)
def test_calibrate_refuses_a_bad_tolerance(tol):
    with pytest.raises(WeightingError) as info:
        _design().calibrate({"sex": COUNTS["sex"], "age": COUNTS["age"]}, tol=tol)
    assert f"tol={tol!r}" in _input_error(info)


@pytest.mark.parametrize("max_iter", [0, -3, 1.5, True, "10", float("nan")], ids=repr)
def test_max_iter_must_be_a_positive_whole_number(max_iter):
    for weigh in (lambda d: d.rake(MARGINS, max_iter=max_iter),
                  lambda d: d.calibrate(COUNTS, max_iter=max_iter)):
        with pytest.raises(WeightingError) as info:
            weigh(_design())
        assert f"max_iter={max_iter!r}" in _input_error(info)


@pytest.mark.parametrize("bounds", [(float("nan"), 2.0), (1.2, 2.0), (0.5, 1.0), (2.0, 0.5), (0.5,), "ab",
                                    (0.5, "2")], ids=repr)
def test_bounds_must_allow_the_unadjusted_weight(bounds):
    for weigh in (lambda d: d.rake(MARGINS, bounds=bounds),
                  lambda d: d.calibrate(COUNTS, bounds=bounds, method="logit")):
        with pytest.raises(WeightingError) as info:
            weigh(_design())
        assert "bounds" in _input_error(info)


def test_infinite_bounds_mean_no_bound_as_in_r():
    bounded = _design().calibrate(COUNTS, bounds=(-np.inf, np.inf))
    free = _design().calibrate(COUNTS)
    np.testing.assert_allclose(bounded.weights, free.weights, rtol=1e-12)
    with pytest.raises(WeightingError, match="finite bounds"):
        _design().calibrate(COUNTS, method="logit", bounds=(0.5, np.inf))


def test_r_stopping_rule_allows_a_looser_checked_tolerance():
    with pytest.raises(WeightingError, match="0 < tol <= 0.001"):
        _design().rake(MARGINS, tol=5e-3)
    raked = _design().rake(MARGINS, change_tol=1.0, tol=5e-3, max_iter=10)
    report = raked.report
    expected = max(abs(_achieved(raked, var)[level] - share * FRAME["w"].sum()) / (share * FRAME["w"].sum())
                   for var, margin in MARGINS.items() for level, share in margin.items())
    assert report.max_relative_error == pytest.approx(expected, rel=1e-9)
    assert 0 < report.max_relative_error <= 5e-3
    for change_tol in (float("nan"), 0.0, -1.0, float("inf")):
        with pytest.raises(WeightingError) as info:
            _design().rake(MARGINS, change_tol=change_tol, tol=5e-3)
        assert f"change_tol={change_tol!r}" in _input_error(info)
    with pytest.raises(WeightingError, match="with R's stopping rule"):
        _design().rake(MARGINS, change_tol=1.0, tol=0.05)


def test_population_total_and_targets_must_be_finite():
    for total in (float("nan"), float("inf"), -5.0, 0.0):
        with pytest.raises(WeightingError) as info:
            _design().rake(MARGINS, total=total)
        assert "total" in _input_error(info)
        with pytest.raises(WeightingError) as info:
            _design().calibrate(COUNTS, total=total)
        assert "total" in _input_error(info)
    with pytest.raises(WeightingError) as info:
        _design().calibrate({"sex": {"m": 500.0, "f": float("nan")}, "age": COUNTS["age"]})
    assert "'sex', level 'f'" in _input_error(info)
    for totals in ({"m": 10.0, "f": float("nan")}, {"m": 10.0, "f": -1.0}):
        with pytest.raises(WeightingError) as info:
            _design().poststratify("sex", totals)
        assert "('f',)" in _input_error(info)
    with pytest.raises(WeightingError, match="Freq"):
        _design().poststratify("sex", pd.DataFrame({"sex": ["m", "f"], "N": [10.0, 20.0]}))


# ------------------------------------------------------------------ the recheck from the final weights


def test_rake_that_needs_more_sweeps_raises_never_returns():
    design = _design()
    with pytest.raises(ConvergenceError) as info:
        design.rake(MARGINS, max_iter=1, tol=1e-3)
    message = str(info.value)
    assert "after 1 iteration" in message and "worst margins" in message
    assert info.value.exit_code == 1
    # the same data converge with enough sweeps, so it was the limit that failed
    raked = design.rake(MARGINS, tol=1e-10)
    assert raked.report.iterations > 1
    assert _achieved(raked, "age")["y"] == pytest.approx(0.4 * FRAME["w"].sum(), rel=1e-10)


def test_rake_recheck_catches_an_iteration_that_claims_convergence(monkeypatch):
    # the sweep's own convergence measure says "met" after one sweep; the margins recomputed from
    # the final weights still miss, so the result must not be returned
    monkeypatch.setattr(rake_module, "_worst_relative_error", lambda *args: 0.0)
    with pytest.raises(ConvergenceError, match="recomputed from the final weights"):
        _design().rake(MARGINS)


def test_calibrate_recheck_catches_a_solver_that_claims_convergence(monkeypatch):
    monkeypatch.setattr(calibrate_module, "solve_g", lambda X, w, *args, **kwargs: (np.ones(len(w)), 1))
    with pytest.raises(ConvergenceError) as info:
        _design().calibrate(COUNTS)
    assert "calibration (linear) did not meet its targets" in str(info.value)
    assert info.value.exit_code == 1


def test_report_states_the_recomputed_error():
    raked = _design().rake(COUNTS, tol=1e-6, max_iter=100)
    worst = max(abs(_achieved(raked, var)[level] - target) / target
                for var, margin in COUNTS.items() for level, target in margin.items())
    assert raked.report.max_relative_error == pytest.approx(worst, rel=1e-6, abs=1e-15)
    assert raked.report.max_relative_error <= 1e-6
    calibrated = _design().calibrate(COUNTS, total=1000.0)
    assert _achieved(calibrated, "sex")["f"] == pytest.approx(500.0, rel=1e-7)
    assert calibrated.report.max_relative_error <= 1e-7


# ------------------------------------------------------------------ command line and study spec


def _targets_toml(folder: Path) -> Path:
    path = tg.to_toml(tg.canada_2021(("province", "age", "gender", "education")), folder / "targets.toml")
    return path


@pytest.mark.parametrize("extra", [["--tol", "nan", "--max-iter", "1"], ["--tol", "inf"], ["--tol", "10"],
                                   ["--max-iter", "0"], ["--bounds", "nan", "2"]], ids=" ".join)
def test_weight_command_refuses_bad_controls_and_writes_nothing(tmp_path, capsys, extra):
    targets = _targets_toml(tmp_path)
    out = tmp_path / "weighted.sav"
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--weights", "wt_design", *extra])
    assert code == 2
    assert "error:" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml"]


def test_weight_command_unconverged_exits_1_and_writes_nothing(tmp_path, capsys):
    targets = _targets_toml(tmp_path)
    out = tmp_path / "weighted.sav"
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--weights", "wt_design", "--tol", "1e-3", "--max-iter", "1"])
    captured = capsys.readouterr()
    assert code == 1
    assert "margins met" not in captured.out and "did not meet its targets" in captured.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml"]


def test_study_spec_with_tol_nan_is_refused(tmp_path, capsys):
    study = tmp_path / "study"
    shutil.copytree(SAMPLE_DIR, study)
    spec = study / "study.toml"
    text = spec.read_text()
    assert "[[weighting]]" in text and "\ntol = 1e-10\n" in text
    spec.write_text(text.replace("\ntol = 1e-10\n", "\ntol = nan\n", 1))
    out = tmp_path / "report"
    assert main(["report", str(spec), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "study.toml: [[weighting]] #1 .tol = nan" in err and "finite" in err
    assert not out.exists()


# ------------------------------------------------------------------ one validation of margins


CONTRADICTORY = """
[margins.age_grp]
1 = 1000
2 = 1000
3 = 1000

[margins.gender]
1 = 2000
2 = 2000
3 = 10
"""


@pytest.mark.parametrize("shares", [True, False])
def test_targets_toml_with_disagreeing_count_totals_is_refused(tmp_path, shares):
    path = tmp_path / "targets.toml"
    path.write_text(CONTRADICTORY)
    with pytest.raises(WeightingError) as info:
        tg.from_toml(path, shares=shares)
    message = _input_error(info)
    assert str(path) in message
    assert "'age_grp' sums to 3000" in message and "'gender' to 4010" in message
    # the same margins passed to rake() are refused with the same words
    with pytest.raises(WeightingError, match="do not sum to the same population"):
        _design().rake({"age_grp": {1: 1000, 2: 1000, 3: 1000}, "gender": {1: 2000, 2: 2000, 3: 10}})


def test_targets_toml_margin_total_must_agree_with_count_margins(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text("[margins.a]\n1 = 0.5\n2 = 0.5\ntotal = 10\n[margins.b]\nx = 3\ny = 8\n")
    with pytest.raises(WeightingError, match=r"'a' sums to 10, 'b' to 11"):
        tg.from_toml(path)
    # agreeing counts and shares: shares take the population of the count margins, as in rake()
    path.write_text("[margins.a]\n1 = 0.25\n2 = 0.75\n[margins.b]\nx = 3\ny = 5\n")
    assert tg.from_toml(path, shares=False) == {"a": {1: 2.0, 2: 6.0}, "b": {"x": 3.0, "y": 5.0}}
    assert tg.from_toml(path) == {"a": {1: 0.25, 2: 0.75}, "b": {"x": 0.375, "y": 0.625}}


def test_weight_command_refuses_contradictory_targets(tmp_path, capsys):
    targets = tmp_path / "targets.toml"
    targets.write_text(CONTRADICTORY)
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out",
                 str(tmp_path / "weighted.sav"), "--weights", "wt_design"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'age_grp' sums to 3000" in err and "'gender' to 4010" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml"]


# ------------------------------------------------------------------ trimming keeps the total or refuses


TRIM = pd.DataFrame({"w": np.linspace(20.0, 80.0, 86)})  # total 4300, every weight >= 20


@pytest.mark.parametrize("strict", [True, False])
def test_trim_below_every_weight_is_refused(strict):
    design = cf.Design(TRIM, weights="w")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning on the way
        with pytest.raises(WeightingError) as info:
            design.trim(upper=1.93, strict=strict)
    message = _input_error(info)
    assert "upper=1.93" in message and "86 weights" in message
    if strict:
        assert "4300" in message
    assert design.weights.sum() == pytest.approx(4300.0)


def test_trim_strict_keeps_the_total_next_to_the_limit():
    # the mean weight is 99.9 % of upper: trimming must settle (the exact test ping-pongs on
    # rounding error forever) with every weight within the limit and the total unchanged
    rng = np.random.default_rng(1)
    w = rng.lognormal(0, 1, 100)
    upper = w.mean() / 0.999
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trimmed = cf.Design(pd.DataFrame({"w": w}), weights="w").trim(upper=upper, strict=True)
    assert trimmed.weights.sum() == pytest.approx(w.sum(), rel=1e-9)
    assert trimmed.weights.max() <= upper
    assert trimmed.report.trimmed > 0


@pytest.mark.parametrize(("lower", "upper"), [(50.0, 30.0), (float("nan"), 60.0), (20.0, float("nan")),
                                              (-np.inf, -np.inf), (np.inf, np.inf), (-5.0, 0.0), (1.0, "60")],
                         ids=repr)
def test_trim_limits_are_checked(lower, upper):
    with pytest.raises(WeightingError) as info:
        cf.Design(TRIM, weights="w").trim(lower=lower, upper=upper)
    _input_error(info)


def test_trim_never_pushes_a_weight_below_zero():
    design = cf.Design(pd.DataFrame({"w": [1.0, 1.0, 1.0, 100.0]}), weights="w")
    with pytest.raises(WeightingError, match="zero or below"):
        design.trim(lower=90.0, redistribute="proportional")


def test_trim_strict_counts_each_trimmed_respondent_once():
    # strict passes may trim the same weight again: the report counts respondents, not passes, so
    # it can never exceed n; here every weight that ends at the cap was trimmed (R-style equal
    # redistribution pushes the untrimmed ones up to it), and none below the cap was
    rng = np.random.default_rng(7)
    w = rng.lognormal(0, 1.2, 400)
    upper = 1.6 * w.mean()
    trimmed = cf.Design(pd.DataFrame({"w": w}), weights="w").trim(upper=upper, strict=True)
    final = trimmed.weights.to_numpy()
    assert trimmed.report.trimmed <= len(w)
    at_cap = np.isclose(final, upper, rtol=1e-9)
    assert trimmed.report.trimmed == int(at_cap.sum())
