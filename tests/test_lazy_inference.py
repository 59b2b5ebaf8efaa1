"""Models and tests of lazy designs: svyglm, regTermTest, wr2, svyttest, svytable, svychisq on DuckDB.

Every case of tests/test_golden_tests_models.py (R's survey package) runs through a lazy twin of
its design (the rows written to Parquet and opened with ``cf.scan_survey``): it must match R at
1e-8 (the golden check) and the in-memory result at 1e-10, and the GLM must stop at the
in-memory IRLS iteration. Then: what a lazy model cannot do raises NotLazyError, and a fit never
brings rows into memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError, NotLazyError
from rcall import run
from test_golden_tests_models import CASES, _designs, _id, _kind, check
from test_lazy_golden import lazy_twin

RTOL_MEMORY = 1e-10
_TWINS: dict[tuple[str, str, str], Any] = {}


def _twins(case: tuple[str, str, dict], memory: dict[str, cf.Design], folder: Path) -> dict[str, Any]:
    """Lazy twins of the case's designs, built once per design (replicate df queries are costly)."""
    source, design_id, entry = case
    out = {}
    for name, design in memory.items():
        key = (source, design_id or entry["design"], name)
        if key not in _TWINS:
            _TWINS[key] = lazy_twin(design, folder)
        out[name] = _TWINS[key]
    return out


def _close(lazy: Any, memory: Any, what: str) -> float:
    a, b = np.asarray(lazy, dtype=float), np.asarray(memory, dtype=float)
    scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0))
    np.testing.assert_allclose(a, b, rtol=RTOL_MEMORY, atol=RTOL_MEMORY * 1e-3 * scale, err_msg=what)
    both = np.isfinite(b) & (b != 0)
    return float(np.max(np.abs(a[both] - b[both]) / np.abs(b[both]), initial=0.0))


def same_inference(lazy: Any, memory: Any) -> float:
    """Assert a lazy model/test/table equals the in-memory one to 1e-10; the largest relative gap.

    Parameters
    ----------
    lazy, memory : ModelResult, TestResult, DataFrame or float
        The two results.

    Returns
    -------
    float
        The largest relative difference.
    """
    if isinstance(memory, pd.DataFrame):  # svytable
        assert [str(v) for v in lazy.index] == [str(v) for v in memory.index]
        assert [str(v) for v in lazy.columns] == [str(v) for v in memory.columns]
        return _close(lazy.to_numpy(), memory.to_numpy(), "table")
    if isinstance(memory, float):  # wr2
        return _close(lazy, memory, "R^2")
    if hasattr(memory, "coefficients"):  # svyglm
        assert list(lazy.coefficients.index) == list(memory.coefficients.index)
        assert lazy.terms == memory.terms and lazy.n == memory.n
        assert lazy.iterations == memory.iterations
        parts = [(lazy.coefficients, memory.coefficients, "coef"), (lazy.vcov, memory.vcov, "vcov"),
                 (lazy.naive_vcov, memory.naive_vcov, "naive vcov"),
                 (lazy.df_residual, memory.df_residual, "df"),
                 (lazy.dispersion, memory.dispersion, "dispersion"),
                 (lazy.deviance, memory.deviance, "deviance"),
                 (lazy.null_deviance, memory.null_deviance, "null deviance")]
        return max(_close(a, b, what) for a, b, what in parts)
    assert lazy.statistic_name == memory.statistic_name and lazy.method == memory.method
    assert sorted(lazy.parameters) == sorted(memory.parameters)
    gaps = [_close(lazy.statistic, memory.statistic, "statistic"),
            _close(lazy.p_value, memory.p_value, "p-value")]
    gaps += [_close(lazy.parameters[k], v, k) for k, v in memory.parameters.items()]
    if memory.estimate is not None:
        gaps.append(_close(list(lazy.estimate.values()), list(memory.estimate.values()), "estimate"))
    if memory.conf_int is not None:
        gaps.append(_close(lazy.conf_int, memory.conf_int, "CI"))
    if memory.observed is not None:
        gaps.append(_close(lazy.observed.to_numpy(), memory.observed.to_numpy(), "observed"))
    return max(gaps)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_golden_model_and_test_cases_lazily(case: tuple[str, str, dict], tmp_path: Path) -> None:
    source, design_id, entry = case
    memory = _designs(source, design_id, entry)
    lazy = _twins(case, memory, tmp_path)
    ours = run(entry["call"], lazy)
    check(entry["result"], ours)
    same_inference(ours, run(entry["call"], memory))


def test_the_golden_cases_cover_every_inference_call_kind() -> None:
    kinds = {_kind(entry["call"]) for _, _, entry in CASES}
    assert kinds == {"svyglm", "regTermTest", "wr2", "svyttest", "svytable", "svychisq"}


# ------------------------------------------------------------------ beyond the golden cases


def _survey(tmp_path: Path, n_psu: int = 24, per: int = 10) -> tuple[cf.Design, Any]:
    rng = np.random.default_rng(7)
    n = n_psu * per
    psu = np.repeat(np.arange(n_psu), per)
    x = rng.normal(size=n)
    frame = pd.DataFrame({
        "psu": psu, "stratum": psu % 4, "w": rng.uniform(1, 3, n), "x": x,
        "g": rng.choice(["a", "b", "c"], n), "h": rng.choice([True, False], n),
        "y": 2 + x + rng.normal(size=n), "k": rng.poisson(np.exp(0.3 * x)).astype(float),
        "s.dot": rng.uniform(0, 1, n),
    })
    frame.loc[[3, 50], "x"] = np.nan
    frame.loc[[7], "g"] = None
    path = tmp_path / "survey.parquet"
    frame.to_parquet(path)
    args = dict(weights="w", strata="stratum", psu="psu", nest=True)
    return cf.Design(frame, **args), cf.scan_survey(path, **args)


@pytest.mark.parametrize("formula,family", [
    ("y ~ x + C(g) + h", "gaussian"),
    ("I(g == 'b') ~ x + Q('s.dot')", "binomial"),
    ("k ~ x + g:x", "poisson"),
    ("k ~ C(g) * h", "quasipoisson"),
])
def test_models_with_factors_interactions_and_missing_values(formula: str, family: str,
                                                             tmp_path: Path) -> None:
    memory, lazy = _survey(tmp_path)
    ours = lazy.subset("stratum != 2").regress(formula, family)
    theirs = memory.subset("stratum != 2").regress(formula, family)
    same_inference(ours, theirs)
    terms = list(ours.terms)[1:]
    same_inference(ours.wald_test(terms), theirs.wald_test(terms))
    same_inference(ours.wald_test(terms, method="LRT"), theirs.wald_test(terms, method="LRT"))


def test_a_lazy_fit_never_brings_rows_into_memory(tmp_path: Path) -> None:
    _, lazy = _survey(tmp_path, n_psu=30, per=200)
    before = lazy.backend.statistics.queries
    fit = lazy.regress("y ~ x + g", "gaussian")
    stats = lazy.backend.statistics
    assert stats.largest_answer <= 30  # PSUs, never respondents (6,000 rows)
    assert stats.queries - before == fit.iterations + 4  # categories, setup, start, steps, final


def test_transformed_numeric_terms_are_not_lazy(tmp_path: Path) -> None:
    _, lazy = _survey(tmp_path)
    with pytest.raises(NotLazyError, match=r"np\.log\(k \+ 1\).*\.collect\(\)"):
        lazy.regress("y ~ np.log(k + 1)")
    with pytest.raises(NotLazyError, match=r"'x' both as a number and as categories.*\.collect\(\)"):
        lazy.regress("y ~ x + C(x)")


def test_lazy_model_errors_match_memory(tmp_path: Path) -> None:
    memory, lazy = _survey(tmp_path)
    for call in (lambda d: d.regress("y ~ x", "binomial"), lambda d: d.regress("y ~ x + x2"),
                 lambda d: d.regress("y ~ g + C(g)"), lambda d: d.regress("x", "gaussian")):
        with pytest.raises(DataError) as expected:
            call(memory)
        with pytest.raises(DataError) as got:
            call(lazy)
        assert str(got.value).split(": ", 1)[-1][:40] == str(expected.value).split(": ", 1)[-1][:40]


def test_ttest_and_chisq_on_a_lazy_subset(tmp_path: Path) -> None:
    memory, lazy = _survey(tmp_path)
    m, z = memory.subset("stratum != 1"), lazy.subset("stratum != 1")
    same_inference(z.ttest("y", by="h"), m.ttest("y", by="h"))
    same_inference(z.ttest("y", mu=2.0), m.ttest("y", mu=2.0))
    same_inference(z.table("g"), m.table("g"))
    for statistic in ("F", "Chisq", "Wald", "adjWald", "saddlepoint"):
        same_inference(z.chisq("g", "h", statistic), m.chisq("g", "h", statistic))
    with pytest.raises(DataError, match="exactly 2 levels"):
        z.ttest("y", by="g")


def test_a_model_on_a_calibrated_taylor_design_is_not_lazy(tmp_path: Path) -> None:
    _, lazy = _survey(tmp_path)
    weighted = lazy.poststratify("stratum", {0: 500.0, 1: 600.0, 2: 700.0, 3: 800.0})
    with pytest.raises(NotLazyError, match=r"calibrated lazy design.*\.collect\(\)"):
        weighted.regress("y ~ x")


def test_lazy_designs_answer_the_analysis_methods(tmp_path: Path) -> None:
    _, lazy = _survey(tmp_path)
    assert all(callable(getattr(type(lazy), name, None))
               for name in ("regress", "ttest", "chisq", "table", "drivers"))
    with pytest.raises(NotLazyError, match=r"multiple_response\(\).*\.collect\("):
        lazy.multiple_response("y")
