"""The in-memory speed-ups (issue #14 point 6) give the numbers of the plain formulas.

Each reference here is computed from the textbook formula with numpy in the test (one domain,
one stratum at a time), never from the library's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.design.groups import factorize
from citizensfirst.design.variance import ReplicateWeights, Stage, TaylorStructure
from citizensfirst.drivers.measures import grouped_moments
from citizensfirst.estimation.covariance import DeferredCovariance
from citizensfirst.estimation.engine import Domains


def _survey(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 6, n)
    psu = rng.integers(0, 9, n)
    y = rng.normal(3.0, 1.0, (n, 3)) + stratum[:, None] * 0.2
    y[rng.random((n, 3)) < 0.1] = np.nan
    return pd.DataFrame({"h": np.array(list("ABCDEF"))[stratum], "p": psu, "w": rng.uniform(0.5, 3.0, n),
                         "region": np.where(stratum < 3, "east", "west"), "age": rng.integers(0, 4, n),
                         "y1": y[:, 0], "y2": y[:, 1], "y3": y[:, 2]})


def _reference_mean(df: pd.DataFrame, var: str, inside: np.ndarray) -> tuple[float, float]:
    """Ratio mean and its with-replacement linearised SE (domain rows keep their PSUs)."""
    y = df[var].to_numpy()
    use = inside & ~np.isnan(y)
    w = np.where(use, df["w"].to_numpy(), 0.0)
    yy = np.where(use, y, 0.0)
    est = (w * yy).sum() / w.sum()
    z = w * (yy - est) / w.sum()
    var_sum = 0.0
    for h in df["h"].unique():
        in_h = (df["h"] == h).to_numpy()
        totals = pd.Series(z[in_h]).groupby(df["p"].to_numpy()[in_h]).sum().to_numpy()
        n_h = len(totals)
        var_sum += n_h / (n_h - 1) * ((totals - totals.mean()) ** 2).sum()
    return est, float(np.sqrt(var_sum))


@pytest.mark.parametrize("by", ["h", "region", "age"])
def test_domain_means_match_the_formula_domain_by_domain(by: str) -> None:
    # domains that are the strata, that group strata, and that cross them
    df = _survey()
    est = cf.Design(df, weights="w", strata="h", psu="p", nest=True).mean(["y1", "y2", "y3"], by=by)
    for row in est.table.itertuples():
        inside = (df[by] == getattr(row, by)).to_numpy()
        ref_est, ref_se = _reference_mean(df, str(row.variable), inside)
        assert row.estimate == pytest.approx(ref_est, rel=1e-12)
        assert row.se == pytest.approx(ref_se, rel=1e-10)


def test_covariance_between_domains_matches_the_dense_formula() -> None:
    # the joint covariance of domain estimates (cross-domain terms included) is the dense product
    df = _survey(5)
    d = cf.Design(df, weights="w", strata="h", psu="p", nest=True)
    est = d.mean(["y1", "y2"], by="region")
    stage = d.taylor.stages[0]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(stage.n_clusters, 4))
    x[stage.stratum_of_cluster < 3, 2:] = 0.0  # items 2-3 only in strata 3-5, 0-1 everywhere
    pres = [np.ones(stage.n_clusters, dtype=bool)]
    got = d.taylor.vcov([x], pres)
    n_h = np.bincount(stage.stratum_of_cluster).astype(float)
    means = np.stack([x[stage.stratum_of_cluster == h].mean(axis=0) for h in range(len(n_h))])
    centred = x - means[stage.stratum_of_cluster]
    scale = (n_h / (n_h - 1))[stage.stratum_of_cluster]
    np.testing.assert_allclose(got, (centred * scale[:, None]).T @ centred, rtol=1e-12, atol=1e-14)
    assert est.vcov.shape == (4, 4) and np.isfinite(est.vcov).all()


def _influence(df: pd.DataFrame, var: str, inside: np.ndarray) -> np.ndarray:
    """Per row, the linearised ratio mean's influence value w (y - est) / W (zero outside)."""
    y = df[var].to_numpy()
    use = inside & ~np.isnan(y)
    w = np.where(use, df["w"].to_numpy(), 0.0)
    yy = np.where(use, y, 0.0)
    est = (w * yy).sum() / w.sum()
    return w * (yy - est) / w.sum()


def test_the_joint_covariance_is_made_on_first_read_and_matches_the_formula() -> None:
    # issue #14 point 6: the standard errors need only the variances; the joint covariance of
    # every domain's estimates is made when it is read, and is then the textbook product
    df = _survey(7)
    est = cf.Design(df, weights="w", strata="h", psu="p", nest=True).mean(["y1", "y2"], by="age")
    assert isinstance(est.covariance, DeferredCovariance) and not est.covariance.computed
    z = np.column_stack([_influence(df, var, (df["age"] == age).to_numpy())
                         for age in range(4) for var in ("y1", "y2")])  # age groups cross the strata
    expected = np.zeros((8, 8))
    for h in df["h"].unique():
        in_h = (df["h"] == h).to_numpy()
        totals = pd.DataFrame(z[in_h]).groupby(df["p"].to_numpy()[in_h]).sum().to_numpy()
        centred = totals - totals.mean(axis=0)
        expected += len(totals) / (len(totals) - 1) * centred.T @ centred
    np.testing.assert_allclose(est.table["se"], np.sqrt(np.diag(expected)), rtol=1e-10)
    assert not est.covariance.computed  # the table was read: still no matrix
    np.testing.assert_allclose(est.vcov, expected, rtol=1e-10, atol=1e-15)
    assert est.covariance.computed and abs(expected[0, 2]) > 1e-8  # a cross-domain term


def test_replicate_variances_are_the_diagonal_of_the_covariance() -> None:
    rng = np.random.default_rng(4)
    reps = ReplicateWeights("bootstrap", rng.uniform(0, 2, (50, 30)), 1 / 29, np.ones(30), False, None, None)
    thetas, full = rng.normal(size=(30, 5)), rng.normal(size=5)
    centred = thetas - thetas.mean(axis=0)
    np.testing.assert_allclose(reps.vcov(thetas, full, diagonal=True), (centred**2).sum(axis=0) / 29, rtol=1e-12)
    np.testing.assert_allclose(np.diag(reps.vcov(thetas, full)), (centred**2).sum(axis=0) / 29, rtol=1e-12)


def test_a_nan_total_spreads_over_its_row_and_column_as_the_dense_product() -> None:
    stage = Stage.build(np.arange(6), np.repeat([0, 1], 3), popsize=None)
    taylor = TaylorStructure((stage,))
    x = np.array([[1.0, 0.0], [2.0, 0.0], [4.0, 0.0], [0.0, 1.0], [0.0, np.nan], [0.0, 2.0]])
    got = taylor.vcov([x], [np.ones(6, dtype=bool)])
    assert np.isnan(got[1, 1]) and np.isnan(got[0, 1]) and np.isnan(got[1, 0])
    assert got[0, 0] == pytest.approx(1.5 * ((np.array([1.0, 2.0, 4.0]) - 7 / 3) ** 2).sum())


def test_domain_estimates_never_copy_a_domains_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # the Taylor path works from bincounts over all rows: asking for a domain's row positions
    # (the per-domain copies of the former engine) is an error here
    def forbidden(self: Domains) -> list[np.ndarray]:
        raise AssertionError("domain rows were gathered")

    monkeypatch.setattr(Domains, "rows", forbidden)
    df = _survey()
    est = cf.Design(df, weights="w", strata="h", psu="p", nest=True).mean(["y1", "y2"], by="age")
    assert len(est.table) == 8


def test_factorize_numbers_combinations_in_first_seen_order_with_missing_as_a_group() -> None:
    a = np.array(["x", "y", None, "x", "y", None, "z"], dtype=object)
    b = np.array([1.0, 1.0, np.nan, 1.0, 2.0, np.nan, np.nan])
    codes, n = factorize(a, b)
    assert codes.tolist() == [0, 1, 2, 0, 3, 2, 4] and n == 5
    codes, n = factorize(pd.Series(["b", "a", "b"]))
    assert codes.tolist() == [0, 1, 0] and n == 2


def test_grouped_moments_are_the_moments_of_the_replicate_weight_matrix() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 4)) + 2.0
    w = rng.uniform(0.2, 3.0, 400)
    group = rng.integers(0, 30, 400)
    mult = rng.poisson(1.0, size=(30, 5)).astype(float) + 0.1
    rw = w[:, None] * mult[group]  # the (n, R) matrix the grouped form never builds
    means, covs = grouped_moments(x, w, group, mult)
    for r in range(5):
        ref_mean = (rw[:, r] @ x) / rw[:, r].sum()
        centred = x - ref_mean
        ref_cov = (centred * rw[:, r][:, None]).T @ centred / rw[:, r].sum()
        np.testing.assert_allclose(means[r], ref_mean, rtol=1e-13)
        np.testing.assert_allclose(covs[r], ref_cov, rtol=1e-11, atol=1e-13)


def test_default_driver_intervals_never_build_the_replicate_weight_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    # the bootstrap replicates of the default ci are per-PSU multipliers: the (rows x replicates)
    # analysis weights (3.2 GB at 1M rows and 200 replicates) are never materialised
    df = _survey(11)
    d = cf.Design(df.dropna(), weights="w", strata="h", psu="p", nest=True)
    expected = d.drivers("y3", ["y1", "y2"], replicates=20).table["se"]

    def forbidden(self: ReplicateWeights, weights: np.ndarray) -> np.ndarray:
        raise AssertionError("the (n, R) replicate weights were built")

    monkeypatch.setattr(ReplicateWeights, "analysis_weights", forbidden)
    got = d.drivers("y3", ["y1", "y2"], replicates=20).table["se"]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert np.isfinite(got).all()


def test_domain_degrees_of_freedom_count_psus_minus_strata_of_each_domain() -> None:
    # one domain loses a stratum (missing y there), rows of weight zero do not count
    df = _survey(13)
    df.loc[df.index[:300], "w"] = 0.0
    df.loc[(df["age"] == 3) & (df["h"] == "C"), "y1"] = np.nan
    d = cf.Design(df, weights="w", strata="h", psu="p", nest=True)
    got = d.mean("y1", by="age").table["df"].to_numpy()
    for level in range(4):
        rows = (df["age"] == level) & df["y1"].notna() & (df["w"] != 0)
        psus = rows.groupby([df["h"], df["p"]]).any().sum()
        strata = rows.groupby(df["h"]).any().sum()
        assert got[level] == psus - strata


def test_raking_residuals_on_the_cell_table_equal_the_row_sweeps() -> None:
    # R's raking residualiser: ten sweeps, each margin removing its levels' means of x / w_m
    # times w_m (w_m: the weights just after that margin's last adjustment), written row by row
    df = _survey(11)
    raked = cf.Design(df, weights="w", strata="h", psu="p", nest=True).rake(
        {"region": {"east": 0.4, "west": 0.6}, "age": {0: 0.2, 1: 0.3, 2: 0.3, 3: 0.2}})
    residuals = raked.calibrations[-1]
    scores = np.random.default_rng(2).normal(size=(len(df), 3))
    x = scores.copy()
    for _ in range(10):
        for levels, size, factor in zip(residuals.levels, residuals.sizes, residuals.factors, strict=True):
            codes = levels[residuals.cell]
            w_m = residuals.base * factor[residuals.cell]
            for level in range(size):
                rows = codes == level
                x[rows] -= w_m[rows, None] * (x[rows] / w_m[rows, None]).mean(axis=0)
    np.testing.assert_allclose(residuals.residualize(scores), x, rtol=1e-9, atol=1e-12)
    assert np.abs(x - scores).max() > 1e-3  # the sweeps changed the scores
