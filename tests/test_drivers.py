"""Tests of citizensfirst.drivers (relative importance / service-driver analysis)."""

from __future__ import annotations

import doctest
import itertools
import json
import math
import os
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from citizensfirst import drivers as drv
from citizensfirst.drivers import analysis, driver_result, measures, regression_measures
from citizensfirst.errors import DataError


def _reference_dir() -> Path:
    env = os.environ.get("CITIZENSFIRST_REFERENCE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "reference"


REF = _reference_dir()
needs_reference = pytest.mark.skipif(
    not (REF / "golden" / "relimp_published.json").exists(),
    reason=f"reference folder not found at {REF} (set CITIZENSFIRST_REFERENCE)",
)


def _cases() -> dict[str, dict]:
    text = (REF / "golden" / "relimp_published.json").read_text()
    data = json.loads(text, parse_float=Decimal)
    return {case["id"]: case for case in data["cases"]}


def _half_unit(value: Decimal) -> float:
    """Half a unit in the last printed digit."""
    return 0.5 * 10.0 ** value.as_tuple().exponent


def _assert_printed(actual: float, printed: Decimal, what: str) -> None:
    tol = _half_unit(printed)
    assert abs(actual - float(printed)) <= tol * (1 + 1e-9), (
        f"{what}: got {actual!r}, published {printed} (tolerance {tol:g})"
    )


# ------------------------------------------------------------------------------------------
# published values
# ------------------------------------------------------------------------------------------


@needs_reference
@pytest.mark.parametrize("metric", ["lmg", "first", "last", "betasq", "pratt"])
def test_swiss_relaimpo_published(metric: str) -> None:
    case = _cases()["groemping2006.swiss"]
    df = pd.read_csv(REF / case["data"])
    preds = case["predictors"]
    method = "shapley" if metric == "lmg" else metric
    res = drv.driver_importance(
        df, case["response"], preds, weights=np.ones(len(df)), method=method
    )
    assert res.n == case["n"]
    for name in preds:
        _assert_printed(
            res.table.loc[name, "importance"], case["metrics"][metric][name], f"{metric} {name}"
        )
    _assert_printed(res.r2, case["r2_lm_summary"], "R^2")


@needs_reference
def test_swiss_low_level_functions_and_moments() -> None:
    case = _cases()["groemping2006.swiss"]
    df = pd.read_csv(REF / case["data"])
    preds = case["predictors"]
    X = df[[*preds, case["response"]]].to_numpy(float)
    n = len(df)
    mean, cov = drv.weighted_moments(X, np.full(n, 2.5))
    # R's var() uses the n - 1 divisor; ours divides by the sum of weights (n here)
    _assert_printed(cov[-1, -1] * n / (n - 1), case["total_response_variance"], "var(y)")
    corr = cov / np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
    p = len(preds)
    table = drv.r2_all_subsets(corr, outcome_index=p)
    checks = {
        "lmg": drv.shapley_lmg(table, p),
        "first": drv.first(corr, p),
        "last": drv.last(corr, p),
        "betasq": drv.betasq(corr, p),
        "pratt": drv.pratt(corr, p),
    }
    checks["general dominance"] = drv.dominance(table, p).general_values
    for metric, values in checks.items():
        published = case["metrics"]["lmg" if metric == "general dominance" else metric]
        for name, value in zip(preds, values, strict=True):
            _assert_printed(value, published[name], f"{metric} {name}")
    # unstandardised coefficients from the standardised ones
    sd = np.sqrt(np.diag(cov))
    b = drv.standardized_betas(corr, p) * sd[-1] / sd[:-1]
    coef = case["lm_coefficients_printed"]
    for name, value in zip(preds, b, strict=True):
        _assert_printed(value, coef[name], f"coefficient {name}")
    _assert_printed(mean[-1] - b @ mean[:-1], coef["(Intercept)"], "intercept")


@needs_reference
def test_mtcars_johnson_relative_weights_published() -> None:
    case = _cases()["rwa.mtcars.4pred"]
    df = pd.read_csv(REF / case["data"])
    preds = case["predictors"]
    res = drv.driver_importance(
        df,
        case["response"],
        preds,
        weights=np.ones(len(df)),
        method="relative_weights",
        warn_collinearity=False,
    )
    assert res.n == case["n"]
    for name in preds:
        _assert_printed(
            res.table.loc[name, "importance"],
            case["metrics"]["johnson_raw"][name],
            f"raw weight {name}",
        )
        _assert_printed(
            res.table.loc[name, "share"],
            case["metrics"]["johnson_rescaled_pct"][name],
            f"rescaled {name}",
        )
    _assert_printed(res.r2, case["r2"], "R^2")


# ------------------------------------------------------------------------------------------
# brute force against statsmodels WLS refits
# ------------------------------------------------------------------------------------------


def _weighted_data(seed: int, n: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(p, p)) * 0.3 + np.eye(p)
    X = rng.normal(size=(n, p)) @ mix + rng.normal(size=p) * 3
    beta = rng.uniform(-1, 1.5, size=p)
    y = X @ beta + rng.normal(scale=2.0, size=n)
    w = rng.gamma(2.0, 1.5, size=n)
    return X, y, w


def _wls_r2_table(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> dict[frozenset, float]:
    p = X.shape[1]
    out: dict[frozenset, float] = {frozenset(): 0.0}
    for k in range(1, p + 1):
        for subset in itertools.combinations(range(p), k):
            fit = sm.WLS(y, sm.add_constant(X[:, subset]), weights=w).fit()
            out[frozenset(subset)] = float(fit.rsquared)
    return out


def _corr_from_data(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    _, cov = drv.weighted_moments(np.column_stack([X, y]), w)
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


@pytest.mark.parametrize("p", [4, 5, 6])
def test_shapley_matches_bruteforce_orderings(p: int) -> None:
    X, y, w = _weighted_data(100 + p, 300, p)
    r2 = _wls_r2_table(X, y, w)
    brute = np.zeros(p)
    orderings = list(itertools.permutations(range(p)))
    for order in orderings:
        seen: set[int] = set()
        for j in order:
            before = r2[frozenset(seen)]
            seen.add(j)
            brute[j] += r2[frozenset(seen)] - before
    brute /= len(orderings)

    corr = _corr_from_data(X, y, w)
    table = drv.r2_all_subsets(corr, outcome_index=p)
    for mask in range(1 << p):
        subset = frozenset(j for j in range(p) if mask >> j & 1)
        assert table[mask] == pytest.approx(r2[subset], abs=1e-10)
    shap = drv.shapley_lmg(table, p)
    np.testing.assert_allclose(shap, brute, rtol=0, atol=1e-10)
    full = r2[frozenset(range(p))]
    assert shap.sum() == pytest.approx(full, abs=1e-12)
    dom = drv.dominance(table, p)
    np.testing.assert_allclose(dom.general_values, brute, rtol=0, atol=1e-10)

    df = pd.DataFrame(X, columns=[f"d{j}" for j in range(p)]).assign(y=y)
    res = drv.driver_importance(df, "y", list(df.columns[:p]), weights=w)
    np.testing.assert_allclose(res.table["importance"].to_numpy(), brute, atol=1e-10)
    assert res.r2 == pytest.approx(full, abs=1e-10)
    assert res.table["share"].sum() == pytest.approx(100.0)


def test_dominance_matches_bruteforce_definitions() -> None:
    p = 5
    X, y, w = _weighted_data(7, 300, p)
    r2 = _wls_r2_table(X, y, w)
    dom = drv.dominance(drv.r2_all_subsets(_corr_from_data(X, y, w), p), p)
    for i in range(p):
        for k in range(p):
            others = [j for j in range(p) if j != i]
            incs = [
                r2[frozenset(s) | {i}] - r2[frozenset(s)] for s in itertools.combinations(others, k)
            ]
            assert dom.conditional_values[i, k] == pytest.approx(np.mean(incs), abs=1e-10)
    for i, j in itertools.permutations(range(p), 2):
        rest = [k for k in range(p) if k not in (i, j)]
        diffs = [
            r2[frozenset(s) | {i}] - r2[frozenset(s) | {j}]
            for k in range(len(rest) + 1)
            for s in itertools.combinations(rest, k)
        ]
        expected = 1.0 if min(diffs) > 0 else 0.0 if max(diffs) < 0 else 0.5
        assert dom.complete[i, j] == expected
        cdiff = dom.conditional_values[i] - dom.conditional_values[j]
        expected_c = 1.0 if cdiff.min() > 0 else 0.0 if cdiff.max() < 0 else 0.5
        assert dom.conditional[i, j] == expected_c
        gd = dom.general_values[i] - dom.general_values[j]
        assert dom.general[i, j] == (1.0 if gd > 0 else 0.0)
    assert np.all(np.isnan(np.diag(dom.complete)))


def test_first_last_betas_match_wls() -> None:
    p = 5
    X, y, w = _weighted_data(11, 300, p)
    r2 = _wls_r2_table(X, y, w)
    corr = _corr_from_data(X, y, w)
    full = frozenset(range(p))
    np.testing.assert_allclose(
        drv.first(corr, p), [r2[frozenset({j})] for j in range(p)], atol=1e-12
    )
    np.testing.assert_allclose(
        drv.last(corr, p), [r2[full] - r2[full - {j}] for j in range(p)], atol=1e-12
    )
    fit = sm.WLS(y, sm.add_constant(X), weights=w).fit()
    _, cov = drv.weighted_moments(np.column_stack([X, y]), w)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(
        drv.standardized_betas(corr, p) * sd[-1] / sd[:-1], fit.params[1:], rtol=1e-10
    )
    assert drv.pratt(corr, p).sum() == pytest.approx(r2[full], abs=1e-12)
    rw = drv.relative_weights(corr, p)
    assert rw.sum() == pytest.approx(r2[full], abs=1e-12)
    assert np.all(rw > 0)


def test_relative_weights_orthogonal_predictors_equal_squared_correlations() -> None:
    r = np.array([0.3, -0.2, 0.4])
    corr = np.eye(4)
    corr[:3, 3] = corr[3, :3] = r
    np.testing.assert_allclose(drv.relative_weights(corr, 3), r**2, atol=1e-14)
    np.testing.assert_allclose(drv.shapley_lmg(drv.r2_all_subsets(corr, 3), 3), r**2, atol=1e-14)


def test_outcome_index_not_last_and_stacked_matrices() -> None:
    X, y, w = _weighted_data(3, 200, 4)
    corr = _corr_from_data(X, y, w)  # outcome last
    order = [4, 0, 1, 2, 3]  # outcome first
    moved = corr[np.ix_(order, order)]
    np.testing.assert_allclose(
        drv.r2_all_subsets(moved, 0), drv.r2_all_subsets(corr, 4), atol=1e-14
    )
    np.testing.assert_allclose(
        drv.relative_weights(moved, 0), drv.relative_weights(corr, -1), atol=1e-14
    )
    stack = np.stack([corr, _corr_from_data(*_weighted_data(4, 200, 4))])
    batched = drv.r2_all_subsets(stack, 4)
    for b in range(2):
        np.testing.assert_allclose(batched[b], drv.r2_all_subsets(stack[b], 4), atol=1e-14)
    np.testing.assert_allclose(
        drv.shapley_lmg(batched, 4)[1], drv.shapley_lmg(batched[1], 4), atol=1e-14
    )


def test_r2_all_subsets_with_exactly_collinear_predictor() -> None:
    X, y, w = _weighted_data(5, 200, 3)
    X = np.column_stack([X, X[:, 0] - 2 * X[:, 1]])
    table = drv.r2_all_subsets(_corr_from_data(X, y, w), 4)
    fit = sm.WLS(y, sm.add_constant(X[:, :3]), weights=w).fit()
    assert table[0b1111] == pytest.approx(fit.rsquared, abs=1e-9)
    assert table[0b1011] == pytest.approx(table[0b0011], abs=1e-9)
    df = pd.DataFrame(X, columns=list("abcd")).assign(y=y)
    with pytest.raises(DataError, match="collinear"):
        drv.driver_importance(df, "y", list("abcd"), weights=w)


def test_weighted_moments_against_numpy_and_replicate_columns() -> None:
    rng = np.random.default_rng(9)
    X = rng.normal(size=(257, 4)) * [1, 10, 0.1, 3] + [5, -100, 0, 1e3]
    W = rng.gamma(1.0, 1.0, size=(257, 6))
    for r in range(W.shape[1]):
        mean, cov = drv.weighted_moments(X, W[:, r])
        np.testing.assert_allclose(mean, np.average(X, axis=0, weights=W[:, r]), rtol=1e-12)
        np.testing.assert_allclose(cov, np.cov(X.T, aweights=W[:, r], ddof=0), rtol=1e-10)
    means, covs = drv.weighted_moments(X, W)
    chunked = drv.weighted_moments(X, W, chunk_rows=7)
    for r in range(W.shape[1]):
        np.testing.assert_allclose(means[r], np.average(X, axis=0, weights=W[:, r]), rtol=1e-12)
        np.testing.assert_allclose(
            covs[r], np.cov(X.T, aweights=W[:, r], ddof=0), rtol=1e-9, atol=1e-9
        )
    np.testing.assert_allclose(chunked[1], covs, rtol=1e-12)
    with pytest.raises(DataError):
        drv.weighted_moments(X, -W)


# ------------------------------------------------------------------------------------------
# sampling approximation
# ------------------------------------------------------------------------------------------


def test_shapley_sampling_within_monte_carlo_error_at_p10() -> None:
    p = 10
    X, y, w = _weighted_data(21, 400, p)
    corr = _corr_from_data(X, y, w)
    table = drv.r2_all_subsets(corr, p)
    exact = drv.shapley_lmg(table, p)
    est = drv.shapley_sampling(corr, p, n_permutations=3000, seed=42)
    assert np.all(est.mc_se > 0)
    assert np.all(est.mc_se < 0.01)
    z = np.abs(est.values - exact) / est.mc_se
    assert z.max() < 4.5, z
    assert est.values.sum() == pytest.approx(table[-1], abs=1e-12)
    again = drv.shapley_sampling(corr, p, n_permutations=3000, seed=42)
    np.testing.assert_array_equal(again.values, est.values)

    df = pd.DataFrame(X, columns=[f"d{j}" for j in range(p)]).assign(y=y)
    res = drv.driver_importance(
        df,
        "y",
        list(df.columns[:p]),
        weights=w,
        max_exact=8,
        n_permutations=3000,
        seed=1,
        warn_collinearity=False,
    )
    assert not res.exact
    t = res.table
    assert np.all(t["mc_se"] > 0)
    assert (np.abs(t["importance"] - exact) / t["mc_se"]).max() < 4.5
    exact_res = drv.driver_importance(
        df, "y", list(df.columns[:p]), weights=w, warn_collinearity=False
    )
    assert exact_res.exact and np.all(exact_res.table["mc_se"] == 0)


# ------------------------------------------------------------------------------------------
# high-level behaviour
# ------------------------------------------------------------------------------------------


def _survey_frame(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 4)) @ np.array(
        [[1, 0.3, 0.2, 0.1], [0, 1, 0.3, 0.2], [0, 0, 1, 0.3], [0, 0, 0, 1]]
    )
    rate = np.clip(np.round(3 + latent), 1, 5)
    overall = latent @ [0.8, 0.5, 0.3, 0.1] + rng.normal(size=n)
    df = pd.DataFrame(rate, columns=["timeliness", "courtesy", "outcome", "access"])
    df["q1"] = overall + rng.normal(scale=0.5, size=n)
    df["q2"] = overall + rng.normal(scale=0.5, size=n)
    df["overall"] = overall
    df["region"] = rng.choice(["north", "south"], size=n)
    return df, rng.gamma(3.0, 1.0, size=n)


DRIVERS = ["timeliness", "courtesy", "outcome", "access"]


@pytest.mark.parametrize("method", drv.METHODS)
def test_weight_scaling_invariance(method: str) -> None:
    df, w = _survey_frame(1)
    a = drv.driver_importance(df, "overall", DRIVERS, weights=w, method=method)
    b = drv.driver_importance(df, "overall", DRIVERS, weights=w * 1234.5, method=method)
    cols = ["importance", "share", "rank", "mean", "vif"]
    pd.testing.assert_frame_equal(a.table[cols], b.table[cols], rtol=1e-10)
    assert a.r2 == pytest.approx(b.r2, rel=1e-12)
    # weights matter: unweighted results differ
    c = drv.driver_importance(df, "overall", DRIVERS, weights=np.ones(len(df)), method=method)
    assert not np.allclose(a.table["importance"], c.table["importance"], rtol=1e-6)


def test_listwise_deletion_counts() -> None:
    df, w = _survey_frame(2, n=100)
    df.loc[[0, 1, 2, 3, 4], "timeliness"] = np.nan
    df.loc[[4, 10, 11], "courtesy"] = np.nan
    df.loc[[20, 21], "overall"] = np.nan
    res = drv.driver_importance(df, "overall", DRIVERS, weights=w)
    assert res.n == 100 - 9
    assert res.n_dropped == 9
    assert res.n_outcome_missing == 2
    assert res.table["dropped"].tolist() == [5, 3, 0, 0]
    assert (res.table["n"] == 91).all()
    keep = df.dropna(subset=[*DRIVERS, "overall"]).index
    direct = drv.driver_importance(df.loc[keep], "overall", DRIVERS, weights=w[keep])
    np.testing.assert_allclose(res.table["importance"], direct.table["importance"], rtol=1e-12)


def test_outcome_items_make_a_row_mean_index() -> None:
    df, w = _survey_frame(3)
    df.loc[[5, 6], "q2"] = np.nan
    res = drv.driver_importance(df, ["q1", "q2"], DRIVERS, weights=w)
    with_index = df.assign(idx=df[["q1", "q2"]].mean(axis=1, skipna=False))
    direct = drv.driver_importance(with_index, "idx", DRIVERS, weights=w)
    np.testing.assert_allclose(res.table["importance"], direct.table["importance"], rtol=1e-12)
    assert res.n == len(df) - 2 and res.n_outcome_missing == 2
    assert res.outcome == "mean(q1, q2)"


def test_input_frame_not_mutated() -> None:
    df, w = _survey_frame(4)
    df.loc[[1, 2], "courtesy"] = np.nan
    before = df.copy(deep=True)
    w_before = w.copy()
    res = drv.driver_importance(df, ["q1", "q2"], DRIVERS, weights=w, scales=(1, 5))
    drv.importance_performance(res)
    pd.testing.assert_frame_equal(df, before)
    np.testing.assert_array_equal(w, w_before)


def test_too_few_cases_raises_with_count() -> None:
    df, w = _survey_frame(5, n=40)
    df.loc[:14, "access"] = np.nan  # rows 0..14 -> 25 complete cases
    with pytest.raises(DataError, match=r"only 25 complete cases"):
        drv.driver_importance(df, "overall", DRIVERS, weights=w, min_n=30)
    assert drv.driver_importance(df, "overall", DRIVERS, weights=w, min_n=25).n == 25


def test_unknown_and_non_numeric_columns_raise() -> None:
    df, w = _survey_frame(6)
    with pytest.raises(DataError, match="'nope'"):
        drv.driver_importance(df, "overall", [*DRIVERS, "nope"], weights=w)
    with pytest.raises(DataError, match="'satisfied'"):
        drv.driver_importance(df, "satisfied", DRIVERS, weights=w)
    with pytest.raises(DataError, match="'region'.*not numeric"):
        drv.driver_importance(df, "overall", [*DRIVERS, "region"], weights=w)
    with pytest.raises(DataError, match="weights"):
        drv.driver_importance(df, "overall", DRIVERS, weights=w[:-1])
    with pytest.raises(DataError, match="method"):
        drv.driver_importance(df, "overall", DRIVERS, weights=w, method="magic")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="'timeliness'"):
        drv.driver_importance(df, "timeliness", DRIVERS, weights=w)


def _bootstrap_replicates(w: np.ndarray, n_rep: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(w)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_rep).T
    return counts * w[:, None]


@pytest.mark.parametrize("method", ["shapley", "relative_weights", "pratt", "beta"])
@pytest.mark.parametrize("mse", [False, True])
def test_replicate_standard_errors_match_manual_replicates(method: str, mse: bool) -> None:
    df, w = _survey_frame(7)
    df.loc[[3, 8, 9], "outcome"] = np.nan
    n_rep = 25
    rep = _bootstrap_replicates(w, n_rep, seed=8)
    scale = 1.0 / (n_rep - 1)
    rscales = np.linspace(0.8, 1.2, n_rep)
    res = drv.driver_importance(
        df,
        "overall",
        DRIVERS,
        weights=w,
        replicate_weights=rep,
        replicate_scale=scale,
        replicate_rscales=rscales,
        replicate_mse=mse,
        method=method,
        scales=(1, 5),
    )
    theta = res.table["importance"].to_numpy()
    reps = np.array(
        [
            drv.driver_importance(
                df, "overall", DRIVERS, weights=rep[:, r], method=method, min_n=10
            )
            .table["importance"]
            .to_numpy()
            for r in range(n_rep)
        ]
    )
    np.testing.assert_allclose(res.replicate_importance, reps, rtol=1e-9, atol=1e-12)
    centre = theta if mse else reps.mean(axis=0)
    se = np.sqrt(scale * rscales @ (reps - centre) ** 2)
    t = res.table
    np.testing.assert_allclose(t["se"], se, rtol=1e-8)
    assert np.all(t["se"] > 0)
    # t on the replicate df: rank of the 25 bootstrap columns minus one (was normal z before)
    assert res.df == n_rep - 1
    np.testing.assert_allclose(t["ci_high"] - t["importance"], stats.t.ppf(0.975, n_rep - 1) * se, rtol=1e-8)
    assert np.all(t["ci_low"] < t["importance"]) and np.all(t["performance_se"] > 0)
    assert res.r2_se > 0 and res.n_replicates == n_rep

    pw = res.pairwise
    assert len(pw) == 6
    first_pair = pw.iloc[0]
    assert (first_pair["driver_a"], first_pair["driver_b"]) == ("timeliness", "courtesy")
    assert first_pair["difference"] == pytest.approx(theta[0] - theta[1])
    d = reps[:, 0] - reps[:, 1]
    dc = theta[0] - theta[1] if mse else d.mean()
    assert first_pair["se"] == pytest.approx(np.sqrt(scale * rscales @ (d - dc) ** 2), rel=1e-8)


def test_without_replicates_se_is_nan() -> None:
    df, w = _survey_frame(8)
    res = drv.driver_importance(df, "overall", DRIVERS, weights=w)
    assert res.table["se"].isna().all() and res.pairwise["se"].isna().all()
    assert math.isnan(res.r2_se) and res.replicate_importance is None


def test_performance_rescaling_and_ranks() -> None:
    df, w = _survey_frame(9)
    res = drv.driver_importance(
        df,
        "overall",
        DRIVERS,
        weights=w,
        scales={"timeliness": (1, 5), "courtesy": (1, 5), "outcome": (0, 10), "access": (1, 5)},
    )
    t = res.table
    for d, (lo, hi) in {"timeliness": (1, 5), "outcome": (0, 10)}.items():
        mean = np.average(df[d], weights=w)
        assert t.loc[d, "mean"] == pytest.approx(mean)
        assert t.loc[d, "performance"] == pytest.approx(100 * (mean - lo) / (hi - lo))
    order = t["importance"].sort_values(ascending=False).index.tolist()
    assert t.loc[order, "rank"].tolist() == [1, 2, 3, 4]
    assert order[0] == "timeliness"


def test_signed_methods_share_on_absolute_values() -> None:
    rng = np.random.default_rng(10)
    x = rng.normal(size=(400, 2))
    df = pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "y": -2 * x[:, 0] + x[:, 1] + rng.normal(size=400)}
    )
    res = drv.driver_importance(df, "y", ["a", "b"], weights=np.ones(400), method="beta")
    assert res.table.loc["a", "importance"] < 0
    assert res.table.loc["a", "rank"] == 1
    assert res.table["share"].sum() == pytest.approx(100)
    assert (res.table["share"] > 0).all()


def test_collinearity_diagnostics_and_warning() -> None:
    rng = np.random.default_rng(11)
    n = 300
    a = rng.normal(size=n)
    b = a + rng.normal(scale=0.1, size=n)
    c = rng.normal(size=n)
    w = rng.uniform(0.5, 2, size=n)
    df = pd.DataFrame({"a": a, "b": b, "c": c, "y": a + c + rng.normal(size=n)})
    with pytest.warns(drv.CollinearityWarning, match="VIF"):
        res = drv.driver_importance(df, "y", ["a", "b", "c"], weights=w)
    X = df[["a", "b", "c"]].to_numpy()
    for j, name in enumerate("abc"):
        others = np.delete(X, j, axis=1)
        r2 = sm.WLS(X[:, j], sm.add_constant(others), weights=w).fit().rsquared
        assert res.table.loc[name, "vif"] == pytest.approx(1 / (1 - r2), rel=1e-9)
    corr = _corr_from_data(X, df["y"].to_numpy(), w)[:3, :3]
    lam = np.linalg.eigvalsh(corr)
    assert res.condition_number == pytest.approx(np.sqrt(lam[-1] / lam[0]), rel=1e-9)
    assert res.table.loc["a", "vif"] > 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drv.driver_importance(df, "y", ["a", "c"], weights=w)
        drv.driver_importance(df, "y", ["a", "b", "c"], weights=w, warn_collinearity=False)
    with pytest.warns(drv.CollinearityWarning):
        drv.collinearity(_corr_from_data(X, df["y"].to_numpy(), w), 3)


def test_importance_performance_quadrants() -> None:
    rng = np.random.default_rng(12)
    n = 2000
    z = rng.normal(size=(n, 4))
    df = pd.DataFrame(
        {
            "strong_high": np.clip(4 + 0.5 * z[:, 0], 1, 5),
            "strong_low": np.clip(2 + 0.5 * z[:, 1], 1, 5),
            "weak_high": np.clip(4.2 + 0.5 * z[:, 2], 1, 5),
            "weak_low": np.clip(1.8 + 0.5 * z[:, 3], 1, 5),
        }
    )
    df["y"] = (
        2 * df["strong_high"]
        + 2 * df["strong_low"]
        + 0.3 * df["weak_high"]
        + 0.3 * df["weak_low"]
        + rng.normal(size=n)
    )
    res = drv.driver_importance(df, "y", list(df.columns[:4]), weights=np.ones(n), scales=(1, 5))
    expected = {
        "strong_high": "maintain",
        "strong_low": "improve first",
        "weak_high": "possible over-investment",
        "weak_low": "lower priority",
    }
    for thresholds in ("mean", "median", (25.0, 50.0)):
        ip = drv.importance_performance(res, thresholds=thresholds)
        assert ip["quadrant"].to_dict() == expected, thresholds
    ip = drv.importance_performance(res, thresholds=(80.0, 0.0))
    assert set(ip["quadrant"]) == {"possible over-investment"}


def test_result_frame_and_html() -> None:
    df, w = _survey_frame(13)
    res = drv.driver_importance(df, "overall", DRIVERS, weights=w)
    frame = res.to_frame()
    frame.loc["timeliness", "importance"] = -1.0
    assert res.table.loc["timeliness", "importance"] > 0
    html = res._repr_html_()
    assert "<table" in html and "timeliness" in html and "shapley" in html
    with pytest.raises(AttributeError):
        res.r2 = 0.5  # type: ignore[misc]


def test_module_doctests() -> None:
    results = [doctest.testmod(module, optionflags=doctest.ELLIPSIS) for module in (measures, regression_measures, analysis, driver_result)]
    assert sum(r.attempted for r in results) > 20
    assert sum(r.failed for r in results) == 0
