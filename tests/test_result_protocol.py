"""One result protocol (issue #11 item 3): interval methods, conf_int, contrast, pairwise, compare.

Every reference is computed by hand from the stored se/df/vcov with scipy, or by the estimator
run directly at the other level/method (R's ``confint(x, level=)`` / ``svyciprop(method=)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logit

import citizensfirst as cf
from citizensfirst.drivers.analysis import driver_importance
from citizensfirst.errors import DataError
from citizensfirst.estimation.intervals import (
    INTERVAL_METHODS,
    PROPORTION_METHODS,
    check_interval_method,
    independent_difference,
)
from citizensfirst.estimation.scores import bottom_box, top_box
from citizensfirst.tables.build import crosstab


def _data(seed: int = 3, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "y": rng.normal(3.0, 1.0, n) + np.repeat([0.0, 0.3, 0.6], n // 3),
        "q": rng.integers(1, 6, n).astype(float),
        "g": np.repeat(["a", "b", "c"], n // 3),
        "psu": np.repeat(np.arange(n // 4), 4),
        "stratum": np.repeat(np.arange(n // 24), 24),
        "w": rng.uniform(0.5, 2.0, n),
    })


def _design() -> cf.Design:
    return cf.Design(_data(), weights="w", psu="psu", strata="stratum")


def test_conf_int_at_the_default_is_the_estimates_own_columns() -> None:
    d = _design()
    for est in (d.mean("y", by="g"), d.proportion("q", ci="beta"), d.quantile("y", [0.25, 0.5])):
        ci = est.conf_int()
        assert list(ci.index) == est.labels
        np.testing.assert_array_equal(ci["ci_low"].to_numpy(), est.table["ci_low"].to_numpy())
        np.testing.assert_array_equal(ci["ci_high"].to_numpy(), est.table["ci_high"].to_numpy())


def test_conf_int_at_another_level_is_t_on_the_stored_se_and_df() -> None:
    est = _design().mean("y", by="g")
    t = est.table
    crit = stats.t.ppf(0.95, t["df"].to_numpy())
    ci = est.conf_int(level=0.9)
    np.testing.assert_allclose(ci["ci_low"], t["estimate"] - crit * t["se"], rtol=1e-12)
    np.testing.assert_allclose(ci["ci_high"], t["estimate"] + crit * t["se"], rtol=1e-12)
    normal = est.conf_int(method="normal")
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(normal["ci_high"], t["estimate"] + z * t["se"], rtol=1e-12)


def test_conf_int_logit_by_hand_and_every_method_as_the_estimator_would_build_it() -> None:
    d = _design()
    est = d.proportion("q")  # logit
    t = est.table
    p, se, df = t["estimate"].to_numpy(), t["se"].to_numpy(), t["df"].to_numpy()
    half = stats.t.ppf(0.95, df) * se / (p * (1 - p))
    ci = est.conf_int(level=0.9)
    np.testing.assert_allclose(ci["ci_low"], expit(logit(p) - half), rtol=1e-12)
    np.testing.assert_allclose(ci["ci_high"], expit(logit(p) + half), rtol=1e-12)
    for method in PROPORTION_METHODS:  # beta needs n and the design df, stored on the Estimate
        direct = d.proportion("q", ci=method, level=0.9)
        np.testing.assert_allclose(est.conf_int(0.9, method).to_numpy(),
                                   direct.table[["ci_low", "ci_high"]].to_numpy(), rtol=1e-12)


def test_conf_int_on_a_replicate_design_uses_the_stored_transformed_se() -> None:
    rep = _design().as_replicate("bootstrap", replicates=40, seed=5)
    est = rep.proportion("q", ci="logit")
    for method in ("asin", "logit", "beta"):
        direct = rep.proportion("q", ci=method, level=0.8)
        np.testing.assert_allclose(est.conf_int(0.8, method).to_numpy(),
                                   direct.table[["ci_low", "ci_high"]].to_numpy(), rtol=1e-12)
    box = top_box(rep, "q", scale=(1, 5), ci="asin")
    direct = top_box(rep, "q", scale=(1, 5), ci="logit", level=0.8)
    np.testing.assert_allclose(box.conf_int(0.8, "logit").to_numpy(),
                               direct.table[["ci_low", "ci_high"]].to_numpy(), rtol=1e-12)


def test_unknown_interval_methods_raise_our_error() -> None:
    d = _design()
    est = d.mean("y")
    with pytest.raises(DataError, match="method must be one of"):
        est.conf_int(method="nonsense")
    with pytest.raises(DataError, match="level must lie strictly between 0 and 1"):
        est.conf_int(level=95)
    with pytest.raises(DataError, match="ci must be one of"):
        top_box(d, "q", scale=(1, 5), ci="nonsense")
    with pytest.raises(DataError, match="ci must be one of"):
        bottom_box(d, "q", scale=(1, 5), ci="t")  # a method of the table, but not a proportion method
    with pytest.raises(DataError, match="interval must be one of"):
        d.quantile("y", 0.5, interval="wilson")
    with pytest.raises(DataError, match="re-run quantile"):
        d.quantile("y", 0.5).conf_int(level=0.9)  # Woodruff intervals need the data
    with pytest.raises(DataError):
        check_interval_method("nonsense")
    assert set(PROPORTION_METHODS) <= set(INTERVAL_METHODS)


def test_contrast_is_l_times_estimate_with_l_v_l_transpose() -> None:
    est = _design().mean("y", by="g")
    e, v, df = est.table["estimate"].to_numpy(), est.vcov, est.table["df"].to_numpy()
    coef = np.array([[-1.0, 1.0, 0.0], [0.5, 0.5, -1.0]])
    out = est.contrast(coef, names=["b-a", "ab-c"])
    np.testing.assert_allclose(out.table["estimate"], coef @ e, rtol=1e-12)
    np.testing.assert_allclose(out.vcov, coef @ v @ coef.T, rtol=1e-12)
    se = np.sqrt(np.diag(coef @ v @ coef.T))
    dfs = np.array([min(df[0], df[1]), df.min()])
    np.testing.assert_allclose(out.table["se"], se, rtol=1e-12)
    np.testing.assert_allclose(out.table["ci_low"], coef @ e - stats.t.ppf(0.975, dfs) * se, rtol=1e-12)
    assert out.table["variable"].tolist() == ["b-a", "ab-c"]
    with pytest.raises(DataError, match="3 coefficients per row"):
        est.contrast([1.0, -1.0])


def test_pairwise_matches_the_tables_column_tests() -> None:
    d = _design()
    table = crosstab(d, "y", "g", "mean", adjust="holm")
    pairs = d.mean("y", by="g").pairwise(adjust="holm", df=d.degrees_of_freedom())  # tables: design df
    assert len(pairs) == len(table.tests) == 3
    for (_, test), (_, pair) in zip(table.tests.iterrows(), pairs.iterrows(), strict=True):
        assert pair["a"] == f"g={test['level_a']}:y" and pair["b"] == f"g={test['level_b']}:y"
        for col in ("difference", "se", "t", "p", "p_adjusted"):
            assert pair[col] == pytest.approx(test[col], rel=1e-10), col
    hand = pairs.iloc[0]
    assert hand["p"] == pytest.approx(2 * stats.t.sf(abs(hand["t"]), hand["df"]), rel=1e-12)


def test_pairwise_zero_variance_pair_is_not_tested() -> None:
    frame = pd.DataFrame({"y": [2.0] * 6 + [3.0] * 6, "g": ["a"] * 6 + ["b"] * 6})
    pairs = cf.Design(frame).mean("y", by="g").pairwise()
    assert pairs["p"].iloc[0] == 1.0 and np.isnan(pairs["t"].iloc[0])


def test_compare_independent_is_the_hand_computed_change() -> None:
    a = _design().mean("y", by="g")
    b = cf.Design(_data(seed=9), weights="w", psu="psu", strata="stratum").mean("y", by="g")
    out = a.compare(b)
    ta, tb = a.table, b.table
    diff = tb["estimate"].to_numpy() - ta["estimate"].to_numpy()
    se = np.sqrt(ta["se"].to_numpy() ** 2 + tb["se"].to_numpy() ** 2)
    df = np.minimum(ta["df"].to_numpy(), tb["df"].to_numpy())
    np.testing.assert_allclose(out["difference"], diff, rtol=1e-12)
    np.testing.assert_allclose(out["se"], se, rtol=1e-12)
    np.testing.assert_allclose(out["p"], 2 * stats.t.sf(np.abs(diff / se), df), rtol=1e-10)
    np.testing.assert_allclose(out["ci_high"], diff + stats.t.ppf(0.975, df) * se, rtol=1e-12)


def test_wave_changes_are_compare_independent() -> None:
    waves = {2020: cf.Design(_data(seed=1), weights="w", psu="psu", strata="stratum"),
             2023: cf.Design(_data(seed=2), weights="w", psu="psu", strata="stratum")}
    trend = cf.Study(waves).trend("y", by="g")
    ref = waves[2020].mean("y", by="g").compare(waves[2023].mean("y", by="g"))
    np.testing.assert_allclose(trend.changes["change"], ref["difference"], rtol=1e-12)
    np.testing.assert_allclose(trend.changes["p_value"], ref["p"], rtol=1e-12)
    np.testing.assert_allclose(trend.conf_int().to_numpy(), trend.estimates[["ci_low", "ci_high"]].to_numpy())
    assert trend.estimate.loc[(2023, "b")] == pytest.approx(waves[2023].mean("y", by="g").estimate["g=b:y"])


def test_a_zero_variance_change_is_not_significant() -> None:
    out = independent_difference(np.array([3.0]), np.array([0.0]), np.array([10.0]),
                                 np.array([4.0]), np.array([0.0]), np.array([10.0]))
    assert out["p"].iloc[0] == 1.0 and out["se"].iloc[0] == 0.0


def test_driver_and_test_results_share_the_names() -> None:
    frame = _data()
    rng = np.random.default_rng(0)
    reps = rng.uniform(0.5, 1.5, (len(frame), 30)) * frame["w"].to_numpy()[:, None]
    res = driver_importance(frame, "y", ["q", "w"], weights=frame["w"].to_numpy(), replicate_weights=reps,
                            replicate_scale=1 / 29)
    np.testing.assert_array_equal(res.estimate.to_numpy(), res.table["importance"].to_numpy())
    ci = res.conf_int(level=0.8)
    crit = stats.t.ppf(0.9, res.df)
    np.testing.assert_allclose(ci["ci_low"], res.estimate - crit * res.se, rtol=1e-12)
    row = res.pairwise.iloc[0]
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(row["t"]), res.df), rel=1e-12)
    t = _design().ttest("y")
    assert t.se == pytest.approx(abs(next(iter(t.estimate.values())) / t.statistic), rel=1e-12)
    assert t.to_frame()["se"].iloc[0] == pytest.approx(t.se)
