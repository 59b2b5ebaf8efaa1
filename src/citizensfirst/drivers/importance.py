"""Driver importance from weighted moments: the half of a driver analysis after the data.

:func:`~citizensfirst.drivers.analysis.driver_importance` (rows in memory) and the lazy designs
(:mod:`citizensfirst.lazy.drivers`, sums from a backend) both reduce the data to weighted means
and covariances (:class:`DriverMoments`, and per replicate :class:`ReplicateMoments`); this
module turns them into a :class:`~citizensfirst.drivers.driver_result.DriverResult`: the
measures, shares, ranks, replicate covariance, intervals and pairwise tests.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..design.variance import ReplicateWeights
from ..errors import DataError
from ..estimation.intervals import critical_value, pairwise_tests
from ..estimation.scales import Scale
from .driver_result import DriverResult
from .measures import (
    CHUNK_ELEMENTS,
    CONDITION_THRESHOLD,
    VIF_THRESHOLD,
    CollinearityWarning,
    r2_all_subsets,
    shapley_from_perms,
    shapley_lmg,
    split_corr,
    to_corr,
)
from .regression_measures import collinearity, last, relative_weights, solve_spd

__all__ = ["METHODS", "DriverMoments", "ReplicateMoments", "check_complete", "check_request",
           "driver_scales", "importance_from_moments"]

#: Methods accepted by :func:`~citizensfirst.drivers.analysis.driver_importance`.
METHODS = (
    "shapley",
    "relative_weights",
    "beta",
    "betasq",
    "correlation",
    "first",
    "last",
    "pratt",
)

_SIGNED = ("beta", "correlation")  # shares and ranks use absolute values for these


@dataclass(frozen=True)
class DriverMoments:
    """The full-sample summary of a driver analysis (columns: drivers, then the outcome).

    ``mean`` and ``cov`` are the weighted means ``(q,)`` and covariance ``(q, q)`` of the
    complete cases; ``largest`` the largest absolute value of each column among them;
    ``n_used`` the complete cases with a positive weight; ``n_rows`` all rows,
    ``n_complete`` the complete ones, ``n_outcome_missing`` those missing the outcome and
    ``dropped`` per driver those missing it.
    """

    mean: np.ndarray
    cov: np.ndarray
    largest: np.ndarray
    n_used: int
    n_rows: int
    n_complete: int
    n_outcome_missing: int
    dropped: np.ndarray


@dataclass(frozen=True)
class ReplicateMoments:
    """Per replicate weighted means ``(R, q)`` and covariances ``(R, q, q)``, the replicate
    ``engine`` (scale, rscales, mse), the ``lost`` replicates (no estimate) and the ``df``."""

    mean: np.ndarray
    cov: np.ndarray
    engine: ReplicateWeights
    lost: np.ndarray
    df: float


def check_request(outcome: str | Sequence[str], drivers: Sequence[str], method: str, missing: str,
                  level: float) -> tuple[list[str], list[str]]:
    """Check the options of a driver analysis; the outcome items and drivers as lists.

    Parameters
    ----------
    outcome : str or sequence of str
        Outcome column or items of an outcome index.
    drivers : sequence of str
        Driver columns.
    method : str
        One of :data:`METHODS`.
    missing : str
        Only ``"listwise"``.
    level : float
        Confidence level.

    Returns
    -------
    tuple of (list of str, list of str)
        The outcome items and the drivers.

    Raises
    ------
    DataError
        An unknown method or missing rule, a level outside (0, 1), no outcome or driver, a
        column listed twice or both an outcome and a driver.

    Examples
    --------
    >>> check_request("y", ["a", "b"], "shapley", "listwise", 0.95)
    (['y'], ['a', 'b'])
    """
    if method not in METHODS:
        raise DataError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if missing != "listwise":
        raise DataError(f"missing={missing!r} is not supported; only 'listwise'")
    if not 0 < level < 1:
        raise DataError(f"level must be between 0 and 1, got {level}")
    items = [outcome] if isinstance(outcome, str) else list(outcome)
    drivers = list(drivers)
    if not items:
        raise DataError("no outcome column given")
    if not drivers:
        raise DataError("no driver columns given")
    for group, label in ((items, "outcome item"), (drivers, "driver")):
        dup = pd.Index(group)[pd.Index(group).duplicated()]
        if len(dup):
            raise DataError(f"{label} {dup[0]!r} is listed twice")
    both = set(items) & set(drivers)
    if both:
        raise DataError(f"column {sorted(both)[0]!r} is both an outcome and a driver")
    return items, drivers


def check_complete(n_used: int, n_rows: int, items: Sequence[str], p: int, min_n: int) -> None:
    """Raise unless at least ``min_n`` complete cases have a positive weight.

    Parameters
    ----------
    n_used : int
        Complete cases with a positive weight.
    n_rows : int
        All rows.
    items : sequence of str
        The outcome items (for the message).
    p : int
        Number of drivers.
    min_n : int
        Fewest complete cases accepted.

    Raises
    ------
    DataError
        When fewer than ``min_n`` remain.
    """
    if n_used < min_n:
        raise DataError(
            f"only {n_used} complete cases with positive weight (of {n_rows} rows) for outcome "
            f"{items if len(items) > 1 else items[0]!r} and {p} drivers; "
            f"at least {min_n} are needed"
        )


def driver_scales(scales: object, drivers: Sequence[str]) -> list[Scale | None]:
    """The rating scale of every driver (None for all when ``scales`` is None).

    Parameters
    ----------
    scales : tuple of (float, float) or mapping or None
        One ``(low, high)`` for all drivers, or one per driver.
    drivers : sequence of str
        The drivers.

    Returns
    -------
    list of Scale or None
        One per driver.

    Raises
    ------
    DataError
        When a driver has no scale in the mapping or a scale is invalid.
    """
    if scales is None:
        return [None] * len(drivers)
    out: list[Scale | None] = []
    for d in drivers:
        if isinstance(scales, Mapping):
            if d not in scales:
                raise DataError(f"scales gives no (low, high) for driver {d!r}")
            pair = scales[d]
        else:
            pair = scales
        out.append(Scale.of(pair, what=f"scale for driver {d!r}"))
    return out


def _performance(means: np.ndarray, scales: Sequence[Scale | None]) -> np.ndarray:
    """Driver means (last axis: drivers) on 0-100 with each driver's scale; NaN without one."""
    columns = [np.full(means.shape[:-1], np.nan) if s is None else s.to_100(means[..., j], check=False)
               for j, s in enumerate(scales)]
    return np.stack(columns, axis=-1)


def _measure(
    corr: np.ndarray,
    method: str,
    *,
    exact: bool,
    perms: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importance (B, p), full R^2 (B,) and MC SE (B, p) for correlation stack (B, q, q)."""
    q = corr.shape[-1]
    p = q - 1
    o = q - 1
    zeros = np.zeros(corr.shape[:-2] + (p,))
    if method == "shapley":
        if exact or perms is None:
            chunk = max(1, CHUNK_ELEMENTS // (3 << p))
            imp = np.empty(corr.shape[:-2] + (p,))
            r2 = np.empty(corr.shape[:-2])
            for s in range(0, corr.shape[0], chunk):
                table = r2_all_subsets(corr[s : s + chunk], o)
                imp[s : s + chunk] = shapley_lmg(table, p)
                r2[s : s + chunk] = table[..., -1]
            return imp, r2, zeros
        est = shapley_from_perms(corr, perms)
        return est.values, est.values.sum(axis=-1), est.mc_se
    rxx, rxy = split_corr(corr, o)
    beta = solve_spd(rxx, rxy)
    r2 = np.sum(beta * rxy, axis=-1)
    funcs = {
        "relative_weights": lambda: relative_weights(corr, o),
        "beta": lambda: beta,
        "betasq": lambda: beta**2,
        "correlation": lambda: rxy,
        "first": lambda: rxy**2,
        "last": lambda: last(corr, o),
        "pratt": lambda: beta * rxy,
    }
    return funcs[method](), r2, zeros


def _shares(imp: np.ndarray, method: str) -> np.ndarray:
    base = np.abs(imp) if method in _SIGNED else imp
    total = base.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * base / total


def _check_moments(moments: DriverMoments, drivers: Sequence[str], warn: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """The correlation matrix, VIFs and condition number, after the variance and collinearity
    checks (a warning when ``warn`` and the drivers are strongly collinear)."""
    var = np.diag(moments.cov)
    names = [*drivers, "outcome"]
    for i, v in enumerate(var):
        if not v > 1e-14 * max(1.0, float(moments.largest[i]) ** 2):
            raise DataError(f"{names[i]!r} has no variance among the {moments.n_used} complete cases")
    corr = to_corr(moments.cov)
    vif, cond = collinearity(corr, len(drivers), warn=False)
    if not np.isfinite(cond):
        raise DataError("the drivers are perfectly collinear; drop redundant ones")
    if warn and (np.any(vif > VIF_THRESHOLD) or cond > CONDITION_THRESHOLD):
        worst = drivers[int(np.argmax(vif))]
        warnings.warn(
            f"strong collinearity among drivers: VIF of {worst!r} is {np.max(vif):.3g} "
            f"(threshold {VIF_THRESHOLD:g}), condition number {cond:.3g} "
            f"(threshold {CONDITION_THRESHOLD:g}); importance values may be unstable",
            CollinearityWarning,
            stacklevel=4,
        )
    return corr, vif, cond


def importance_from_moments(
    moments: DriverMoments,
    replicates: ReplicateMoments | None,
    items: Sequence[str],
    drivers: Sequence[str],
    *,
    method: str,
    scales: Sequence[Scale | None],
    level: float,
    max_exact: int,
    n_permutations: int,
    seed: int | None,
    warn_collinearity: bool,
) -> DriverResult:
    """The driver analysis from the weighted moments (and the replicates' moments, for intervals).

    Parameters
    ----------
    moments : DriverMoments
        Full-sample moments and counts.
    replicates : ReplicateMoments or None
        Per-replicate moments, engine and df; None for no intervals.
    items : sequence of str
        Outcome items.
    drivers : sequence of str
        Drivers.
    method : str
        One of :data:`METHODS`.
    scales : sequence of Scale or None
        Per driver (:func:`driver_scales`).
    level : float
        Confidence level.
    max_exact : int
        Most drivers for exact Shapley values.
    n_permutations : int
        Orderings sampled otherwise.
    seed : int or None
        Seed of the permutation sampling.
    warn_collinearity : bool
        Warn about highly collinear drivers.

    Returns
    -------
    DriverResult
        As :func:`~citizensfirst.drivers.analysis.driver_importance` (labels not set).

    Raises
    ------
    DataError
        A column without variance, perfectly collinear drivers, or a replicate without variance.
    """
    corr, vif, cond = _check_moments(moments, drivers, warn_collinearity)
    p = len(drivers)
    mean = moments.mean
    exact = not (method == "shapley" and p > max_exact)
    perms = None
    if not exact:
        rng = np.random.default_rng(seed)
        perms = rng.permuted(np.tile(np.arange(p), (n_permutations, 1)), axis=1)
    imp_stack, r2_stack, mc_stack = _measure(corr[None], method, exact=exact, perms=perms)
    imp, r2, mc_se = imp_stack[0], float(r2_stack[0]), mc_stack[0]
    share = _shares(imp, method)
    perf = _performance(mean[:p], scales)

    nan_p = np.full(p, np.nan)
    se = share_se = perf_se = nan_p
    r2_se = math.nan
    rep_imp = vcov = None
    n_rep = 0
    df = math.nan
    if replicates is not None:
        engine, lost = replicates.engine, replicates.lost
        n_rep = engine.n_replicates
        df = float(replicates.df)
        rmean, rcov = replicates.mean.copy(), replicates.cov
        if np.any(np.diagonal(rcov, axis1=1, axis2=2) <= 0):
            raise DataError("a replicate has a driver or the outcome with no variance")
        rimp, rr2, _ = _measure(to_corr(rcov), method, exact=exact, perms=perms)
        rimp[lost], rr2[lost], rmean[lost] = np.nan, np.nan, np.nan
        rep_imp = rimp
        vcov = engine.vcov(rimp, imp)
        se = np.sqrt(np.diag(vcov))
        share_se = _replicate_se(engine, _shares(rimp, method), share)
        perf_se = _replicate_se(engine, _performance(rmean[:, :p], scales), perf)
        r2_se = float(_replicate_se(engine, rr2[:, None], np.array([r2]))[0])
    crit = float(critical_value(level, df)[0])

    key = np.abs(imp) if method in _SIGNED else imp
    table = pd.DataFrame(
        {
            "importance": imp,
            "share": share,
            "rank": _min_rank(key),
            "se": se,
            "ci_low": imp - crit * se,
            "ci_high": imp + crit * se,
            "share_se": share_se,
            "mc_se": mc_se,
            "mean": mean[:p],
            "performance": perf,
            "performance_se": perf_se,
            "n": moments.n_used,
            "dropped": np.asarray(moments.dropped).astype(int),
            "vif": vif,
        },
        index=pd.Index(drivers, name="driver"),
    )

    tests = pairwise_tests(imp, np.full((p, p), np.nan) if vcov is None else vcov, df, labels=list(drivers))
    pairwise = tests.drop(columns="p_adjusted").rename(columns={"a": "driver_a", "b": "driver_b", "p": "p_value"})
    pairwise["ci_low"] = pairwise["difference"] - crit * pairwise["se"]
    pairwise["ci_high"] = pairwise["difference"] + crit * pairwise["se"]
    return DriverResult(
        table=table,
        pairwise=pairwise,
        method=method,
        outcome=items[0] if len(items) == 1 else "mean(" + ", ".join(items) + ")",
        drivers=tuple(drivers),
        r2=r2,
        r2_se=r2_se,
        n=moments.n_used,
        n_rows=moments.n_rows,
        n_dropped=int(moments.n_rows - moments.n_complete),
        n_outcome_missing=moments.n_outcome_missing,
        condition_number=cond,
        exact=exact,
        n_replicates=n_rep,
        level=level,
        replicate_importance=rep_imp,
        vcov=vcov,
        df=df,
        scales=tuple(scales),
    )


def _min_rank(key: np.ndarray) -> np.ndarray:
    """1 + how many values are larger (ties share the best rank), as ``rankdata(-key, "min")``,
    without importing scipy.stats (half a second); NaN anywhere makes every rank NaN, as there."""
    if np.isnan(key).any():
        return np.full(len(key), np.nan).astype(int)
    return 1 + (key[None, :] > key[:, None]).sum(axis=1)


def _replicate_se(engine: ReplicateWeights, thetas: np.ndarray, full: np.ndarray) -> np.ndarray:
    """Replicate standard errors of the columns of ``thetas`` that have an estimate (else NaN)."""
    se = np.full(full.shape, np.nan)
    has = np.isfinite(full)
    if has.any():
        se[has] = np.sqrt(np.diag(engine.vcov(thetas[:, has], full[has])))
    return se
