"""Driver analysis as an analysis on a design (issue #11 item 5).

The references here are built by hand, independently of ``citizensfirst.drivers.measures`` and
of the replicate engine: replicate columns re-raked by iterative proportional fitting in the
test, Shapley values from the R^2 of every subset fitted by ``numpy.linalg.lstsq``, and the
replicate variance formula written out.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import citizensfirst as cf
from citizensfirst.design.analysing import bootstrap_reweighted
from citizensfirst.drivers import driver_importance

DRIVERS = ["x1", "x2", "x3"]
MARGINS = {"age": {"young": 600.0, "mid": 900.0, "old": 500.0}, "sex": {"f": 1050.0, "m": 950.0}}


def _frame(seed: int = 11) -> pd.DataFrame:
    """Stratified cluster sample: 4 strata x 8 PSUs x 12 respondents, unequal base weights."""
    rng = np.random.default_rng(seed)
    n = 4 * 8 * 12
    stratum = np.repeat(np.arange(4), 8 * 12)
    psu = np.repeat(np.arange(32), 12)
    effect = rng.normal(scale=0.5, size=32)[psu]
    x = rng.normal(size=(n, 3)) + effect[:, None]
    x[:, 1] += 0.5 * x[:, 0]
    age = rng.choice(["young", "mid", "old"], size=n, p=[0.2, 0.4, 0.4])
    sex = rng.choice(["f", "m"], size=n, p=[0.6, 0.4])
    slope = np.where(age == "young", 2.0, 0.0)  # the drivers matter differently by age group
    y = slope * x[:, 0] + 0.5 * x[:, 1] + 0.3 * x[:, 2] + rng.normal(size=n)
    return pd.DataFrame({
        "stratum": stratum, "psu": psu, "w": rng.uniform(3.0, 9.0, n), "age": age, "sex": sex,
        "region": rng.choice(["east", "west"], size=n), "x1": x[:, 0], "x2": x[:, 1],
        "x3": x[:, 2], "y": y,
    })


def _rake_by_hand(w: np.ndarray, data: pd.DataFrame) -> np.ndarray:
    """Iterative proportional fitting of one weight column to MARGINS, to convergence."""
    w = w.copy()
    for _ in range(500):
        for var, targets in MARGINS.items():
            for level, target in targets.items():
                rows = (data[var] == level).to_numpy()
                w[rows] *= target / w[rows].sum()
        if all(abs(w[(data[v] == lv).to_numpy()].sum() / t - 1) < 1e-15
               for v, ts in MARGINS.items() for lv, t in ts.items()):
            break
    return w


def _shapley_by_hand(data: pd.DataFrame, w: np.ndarray) -> np.ndarray:
    """Shapley values of R^2 from weighted least squares on every subset of the drivers."""
    keep = w > 0
    X, y, sw = data[DRIVERS].to_numpy()[keep], data["y"].to_numpy()[keep], np.sqrt(w[keep])
    ybar = np.average(y, weights=w[keep])
    sst = np.sum(w[keep] * (y - ybar) ** 2)

    def r2(subset: tuple[int, ...]) -> float:
        design = np.column_stack([np.ones(len(y)), X[:, list(subset)]])
        coef = np.linalg.lstsq(design * sw[:, None], y * sw, rcond=None)[0]
        return 1 - np.sum(w[keep] * (y - design @ coef) ** 2) / sst

    p = len(DRIVERS)
    values = np.zeros(p)
    for j in range(p):
        others = [k for k in range(p) if k != j]
        for size in range(p):
            for subset in itertools.combinations(others, size):
                weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
                values[j] += weight * (r2(tuple(sorted((*subset, j)))) - r2(subset))
    return values


def _margins_met(rep_weights: np.ndarray, data: pd.DataFrame) -> None:
    for var, targets in MARGINS.items():
        for level, target in targets.items():
            sums = rep_weights[(data[var] == level).to_numpy()].sum(axis=0)
            np.testing.assert_allclose(sums, target, rtol=1e-9)


@pytest.fixture(scope="module")
def raked_jkn() -> cf.Design:
    data = _frame()
    base = cf.Design(data, weights="w", strata="stratum", psu="psu").as_replicate("jkn")
    return base.rake(MARGINS, tol=1e-13)


def test_raked_replicate_design_matches_hand_built_reference(raked_jkn: cf.Design) -> None:
    d = raked_jkn
    data = d.frame
    rep_weights = d.replicate_weights.analysis_weights(d.weight_values)
    # every replicate column was re-raked: it meets the margins, and equals raking it by hand
    _margins_met(rep_weights, data)
    unraked = cf.Design(data, weights="w", strata="stratum", psu="psu").as_replicate("jkn")
    before = unraked.replicate_weights.analysis_weights(unraked.weight_values)
    by_hand = np.column_stack([_rake_by_hand(before[:, r], data) for r in range(before.shape[1])])
    np.testing.assert_allclose(by_hand, rep_weights, rtol=1e-9)

    result = d.drivers("y", DRIVERS)
    theta = _shapley_by_hand(data, d.weight_values)
    thetas = np.array([_shapley_by_hand(data, rep_weights[:, r]) for r in range(rep_weights.shape[1])])
    np.testing.assert_allclose(result.table["importance"], theta, rtol=1e-10)
    # JKn: scale 1, rscales (n_h - 1) / n_h = 7/8, centred on the mean of the replicates
    reps = d.replicate_weights
    assert reps.scale == 1.0 and np.allclose(reps.rscales, 7 / 8) and not reps.mse
    dev = thetas - thetas.mean(axis=0)
    vcov = (7 / 8) * dev.T @ dev
    np.testing.assert_allclose(result.table["se"], np.sqrt(np.diag(vcov)), rtol=1e-10)
    np.testing.assert_allclose(result.vcov, vcov, rtol=1e-10, atol=1e-16)
    # t on the design's df: the rank of its (re-raked) replicate weights minus one
    df = np.linalg.matrix_rank(rep_weights) - 1
    assert result.df == d.degrees_of_freedom() == df
    half = stats.t.ppf(0.975, df) * np.sqrt(np.diag(vcov))
    np.testing.assert_allclose(result.table["ci_high"] - theta, half, rtol=1e-10)

    # pairwise differences: replicate covariance and t on the design df, not normal z
    pw = result.pairwise.set_index(["driver_a", "driver_b"])
    for a, b in itertools.combinations(range(3), 2):
        row = pw.loc[(DRIVERS[a], DRIVERS[b])]
        diff = thetas[:, a] - thetas[:, b]
        se = math.sqrt(7 / 8 * np.sum((diff - diff.mean()) ** 2))
        assert row["difference"] == pytest.approx(theta[a] - theta[b], rel=1e-10)
        assert row["se"] == pytest.approx(se, rel=1e-10)
        t = (theta[a] - theta[b]) / se
        assert row["t"] == pytest.approx(t, rel=1e-10)
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-9)
        assert row["p_value"] != pytest.approx(2 * stats.norm.sf(abs(t)), rel=1e-3)
        assert row["ci_high"] - row["difference"] == pytest.approx(stats.t.ppf(0.975, df) * se, rel=1e-10)


def test_replicate_variance_goes_through_the_engine_rules() -> None:
    """Replicates with rscale 0 do not move the centre; the mse option centres on the estimate."""
    data = _frame(3)
    w = data["w"].to_numpy()
    rng = np.random.default_rng(4)
    rep = w[:, None] * rng.poisson(1.0, size=(len(w), 12))
    rscales = np.r_[np.zeros(2), np.ones(10)]
    res = driver_importance(data, "y", DRIVERS, w, replicate_weights=rep, replicate_scale=0.1,
                            replicate_rscales=rscales, method="pratt")
    thetas = np.array([driver_importance(data, "y", DRIVERS, rep[:, r], method="pratt")
                       .table["importance"].to_numpy() for r in range(12)])
    centre = thetas[2:].mean(axis=0)  # the old code centred on the mean of all 12
    se = np.sqrt(0.1 * ((thetas[2:] - centre) ** 2).sum(axis=0))
    np.testing.assert_allclose(res.table["se"], se, rtol=1e-10)
    # a replicate whose weights are not finite gives no estimate and is left out
    broken = rep.copy()
    broken[0, 5] = np.nan
    res = driver_importance(data, "y", DRIVERS, w, replicate_weights=broken, replicate_scale=0.1,
                            method="pratt")
    kept = np.delete(thetas, 5, axis=0)
    se = np.sqrt(0.1 * ((kept - kept.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(res.table["se"], se, rtol=1e-10)


def test_by_domains_equal_subsets(raked_jkn: cf.Design) -> None:
    d = raked_jkn
    results = d.drivers("y", DRIVERS, by="region")
    assert list(results) == ["east", "west"]
    for level, result in results.items():
        alone = d.subset(d.frame["region"] == level).drivers("y", DRIVERS)
        pd.testing.assert_frame_equal(result.table, alone.table)
        pd.testing.assert_frame_equal(result.pairwise, alone.pairwise)
        assert result.df == alone.df == d.degrees_of_freedom((d.frame["region"] == level).to_numpy())
        assert result.n == int((d.frame["region"] == level).sum())
        assert result.n_rows == len(d.frame)  # rows are kept, with weight zero outside
    assert not np.allclose(results["east"].table["importance"], results["west"].table["importance"])


def test_bootstrap_of_a_raked_taylor_design_re_rakes_every_replicate() -> None:
    data = _frame(21)
    taylor = cf.Design(data, weights="w", strata="stratum", psu="psu").rake(MARGINS, tol=1e-13)
    reps = bootstrap_reweighted(taylor, 60, seed=5)
    rep_weights = reps.analysis_weights(taylor.weight_values)
    _margins_met(rep_weights, data)
    # the same bootstrap draws (an unweighted design is simply bootstrapped) made on the base
    # weights and raked by hand give the same columns
    final = bootstrap_reweighted(cf.Design(data, weights="w", strata="stratum", psu="psu"), 60, seed=5)
    assert final.group is not None
    base = data["w"].to_numpy()
    drawn = final.multipliers[final.group] * base[:, None]
    by_hand = np.column_stack([_rake_by_hand(drawn[:, r], data) for r in range(60)])
    np.testing.assert_allclose(by_hand, rep_weights, rtol=1e-9)

    result = taylor.drivers("y", DRIVERS, ci="bootstrap", replicates=60, seed=5)
    thetas = np.array([_shapley_by_hand(data, by_hand[:, r]) for r in range(60)])
    dev = thetas - thetas.mean(axis=0)
    np.testing.assert_allclose(result.table["se"], np.sqrt(final.scale * (dev**2).sum(axis=0)), rtol=1e-8)
    assert result.df == taylor.degrees_of_freedom() == 28
    assert taylor.drivers("y", DRIVERS, replicates=60, seed=5).table.equals(result.table)

    # bootstrapping the final weights (the old behaviour) ignores the raking: x1 matters much more
    # for the young, whose share the raking fixes, so it overstates that driver's SE here
    w = taylor.weight_values
    old = driver_importance(data, "y", DRIVERS, w, replicate_weights=final.analysis_weights(w),
                            replicate_scale=final.scale)
    assert result.table.loc["x1", "se"] < 0.9 * old.table.loc["x1", "se"]


def test_bootstrap_refuses_a_weighting_it_cannot_replay() -> None:
    data = _frame(5)
    d = cf.Design(data, weights="w", strata="stratum", psu="psu").rake(MARGINS)
    tampered = d.evolve(weights=d.weight_values * np.linspace(1, 2, len(data)))
    with pytest.raises(cf.errors.DesignError, match="as_replicate"):
        tampered.drivers("y", DRIVERS, ci="bootstrap", replicates=10)

