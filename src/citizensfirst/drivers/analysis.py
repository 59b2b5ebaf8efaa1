"""Service-driver (relative importance) analysis for satisfaction surveys.

Which service attributes ("drivers": timeliness, courtesy, outcome, ...) matter most for overall
satisfaction? This module answers with the standard relative-importance measures for a linear
regression of an outcome on a set of drivers, computed from a *weighted* covariance matrix so that
survey weights (and replicate weights, for standard errors) are honoured.

Everything works from the (p+1) x (p+1) covariance or correlation matrix of the drivers and the
outcome: no regression is refitted per subset and no Python loop runs over respondents.

Measures (names as in Groemping's relaimpo where one exists):

* ``lmg`` / Shapley value of R^2 (Lindeman, Merenda & Gold 1980; = general dominance), exact for
  up to :data:`MAX_EXACT` drivers, by permutation sampling above that (:func:`shapley_sampling`,
  with a Monte Carlo standard error).
* dominance analysis: complete, conditional and general dominance (Budescu 1993; Azen & Budescu
  2003), :func:`dominance`.
* Johnson's relative weights (Johnson 2000), :func:`relative_weights`.
* ``first`` (R^2 of the driver alone = squared zero-order correlation), ``last`` (increase in R^2
  when the driver enters last), ``betasq`` (squared standardised coefficient), ``pratt`` (beta
  times zero-order correlation; Pratt 1987), standardised betas and zero-order correlations.
* collinearity diagnostics: variance inflation factors and the condition number of the driver
  correlation matrix, with a :class:`CollinearityWarning`.

All-subsets R^2 (:func:`r2_all_subsets`) uses a bitmask dynamic programme: predictors are taken in
order and, for every subset T of the predictors already seen, the Schur complement of the
covariance matrix of the remaining variables (later predictors and the outcome) given T is kept.
Adding predictor j to every subset at once is one vectorised rank-one update (a sweep), so all
2^p subsets cost p array operations and O(sum_j 2^j (p - j)^2) flops: p = 20 takes well under a
second.  The residual outcome variance of subset S gives R^2(S) = 1 - var(y | S) / var(y).

References
----------
* Azen, R. & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors in
  multiple regression. Psychological Methods 8(2), 129-148.
* Budescu, D. V. (1993). Dominance analysis: a new approach to the problem of relative importance
  of predictors in multiple regression. Psychological Bulletin 114(3), 542-551.
* Groemping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
  Journal of Statistical Software 17(1), 1-27.
* Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
  variables in multiple regression. Multivariate Behavioral Research 35(1), 1-19.
* Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to Bivariate and
  Multivariate Analysis. Glenview, IL: Scott, Foresman.
* Castro, J., Gomez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value based on
  sampling. Computers & Operations Research 36(5), 1726-1730 (permutation sampling).
* Belsley, D. A., Kuh, E. & Welsch, R. E. (1980). Regression Diagnostics. Wiley (condition
  number threshold 30).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> x = rng.normal(size=(500, 3))
>>> df = pd.DataFrame(x, columns=["timeliness", "courtesy", "outcome_q"])
>>> df["overall"] = x @ [0.6, 0.2, 0.4] + rng.normal(size=500)
>>> res = driver_importance(df, "overall", ["timeliness", "courtesy", "outcome_q"],
...                         weights=np.ones(500))
>>> res.table["rank"].tolist()
[1, 3, 2]
>>> bool(abs(res.table["importance"].sum() - res.r2) < 1e-12)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd

from ..design.variance import ReplicateWeights
from ..errors import DataError
from .driver_result import DriverResult
from .importance import (
    METHODS,
    DriverMoments,
    ReplicateMoments,
    check_complete,
    check_request,
    driver_scales,
    importance_from_moments,
)
from .measures import MAX_EXACT, grouped_moments, weighted_moments

__all__ = ["METHODS", "driver_importance", "importance_performance"]


def _check_numeric_column(data: pd.DataFrame, name: str) -> None:
    if name not in data.columns:
        listed = ", ".join(map(repr, list(data.columns)[:20]))
        raise DataError(f"column {name!r} is not in the data (columns: {listed})")
    col = data[name]
    if isinstance(col, pd.DataFrame):
        raise DataError(f"column name {name!r} is duplicated in the data")
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise DataError(f"column {name!r} is not numeric (dtype {col.dtype}); recode it first")


def _weights(values: object, n: int, what: str) -> np.ndarray:
    try:
        w = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise DataError(f"{what} are not numeric: {err}") from err
    if w.ndim == 0 or w.shape[0] != n:
        raise DataError(f"{what} have {w.shape[0] if w.ndim else 'no'} rows but the data has {n}")
    if not np.all(np.isfinite(w)):
        raise DataError(f"{what} contain missing or infinite values")
    if np.any(w < 0):
        raise DataError(f"{what} contain negative values")
    return w


def driver_importance(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    drivers: Sequence[str],
    weights: np.ndarray,
    replicate_weights: np.ndarray | ReplicateWeights | None = None,
    replicate_scale: float = 1.0,
    replicate_rscales: np.ndarray | None = None,
    replicate_mse: bool = False,
    method: Literal[
        "shapley", "relative_weights", "beta", "betasq", "correlation", "first", "last", "pratt"
    ] = "shapley",
    missing: Literal["listwise"] = "listwise",
    min_n: int = 30,
    scales: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    level: float = 0.95,
    df: float | None = None,
    max_exact: int = MAX_EXACT,
    n_permutations: int = 2000,
    seed: int | None = 0,
    warn_collinearity: bool = True,
) -> DriverResult:
    """Relative importance of service drivers for an outcome, with replicate-weight errors.

    Parameters
    ----------
    data : pandas.DataFrame
        The survey data (not modified).
    outcome : str or sequence of str
        Outcome column, or a list of items whose row mean is the outcome index (a respondent
        needs every item).
    drivers : sequence of str
        Driver columns (numeric).
    weights : numpy.ndarray
        Survey weight per row of ``data`` (any positive scale; results do not depend on it).
    replicate_weights : numpy.ndarray or ReplicateWeights or None, optional
        ``(n_rows, R)`` replicate analysis weights (a column with a missing or infinite weight
        gives that replicate no estimate), or per-cluster replicates (``ReplicateWeights`` with a
        ``group``: the replicate weights are ``weights * multipliers[group]``, never made as a
        matrix; their scale, rscales and mse are used); the importance measures are computed once per column
        and their covariance comes from
        :meth:`citizensfirst.design.variance.ReplicateWeights.vcov` with ``replicate_scale``,
        ``replicate_rscales`` and ``replicate_mse`` (``scale * sum_r rscales_r (theta_r -
        centre)(theta_r - centre)'``, ``centre`` the full-sample estimate if ``replicate_mse``
        else the mean of the replicates with a positive rscale; replicates giving NaN are
        dropped), exactly as for every design estimate.
    replicate_scale : float, default 1.0
        Overall scale of the replicate variance.
    replicate_rscales : numpy.ndarray or None, optional
        Per-replicate scales; None gives 1 for each.
    replicate_mse : bool, default False
        Centre the replicate variance on the full-sample estimate instead of the replicate mean.
    method : str, default "shapley"
        ``"shapley"`` (LMG, exact up to ``max_exact`` drivers, else permutation sampling with
        ``n_permutations`` orderings and ``seed``), ``"relative_weights"`` (Johnson), ``"beta"``
        (standardised coefficient), ``"betasq"``, ``"correlation"`` (zero-order), ``"first"``,
        ``"last"``, ``"pratt"``.
    missing : {"listwise"}, default "listwise"
        Only ``"listwise"``: rows missing the outcome or any driver are dropped.
    min_n : int, default 30
        Fewer complete cases (with positive weight) raise :class:`DataError`.
    scales : tuple of (float, float) or mapping or None, optional
        ``(low, high)`` of the rating scale, for all drivers or per driver (dict), to express
        ``performance`` on 0-100.
    level : float, default 0.95
        Confidence level of the t intervals.
    df : float or None, optional
        Degrees of freedom of the intervals and pairwise tests (``Design.drivers`` passes the
        design's); default the rank of the replicate weights among rows with positive weight,
        minus one (R's ``degf`` for a replicate design).
    max_exact : int, default MAX_EXACT
        Largest number of drivers for which Shapley values are computed exactly.
    n_permutations : int, default 2000
        Number of orderings sampled when Shapley values are not exact.
    seed : int or None, default 0
        Seed of the permutation sampling.
    warn_collinearity : bool, default True
        Issue a :class:`CollinearityWarning` when the drivers are highly collinear.

    Returns
    -------
    DriverResult
        The per-driver table, pairwise tests, R^2 and diagnostics.

    Raises
    ------
    DataError
        When the data, columns or options are invalid, or too few complete cases remain.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(200, 3)), columns=["wait", "staff", "sat"])
    >>> res = driver_importance(df, "sat", ["wait", "staff"], np.ones(200), scales=(1, 5))
    >>> float(res.table["share"].sum())
    100.0
    >>> res.n
    200
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    items, drivers = check_request(outcome, drivers, method, missing, level)

    n_rows = len(data)
    for column in (*drivers, *items):
        _check_numeric_column(data, column)
    # one float matrix: drivers, then the outcome index (NaN unless every item is present)
    full = np.empty((n_rows, len(drivers) + 1))
    full[:, : len(drivers)] = data[list(drivers)].to_numpy(dtype=float, na_value=np.nan)
    full[:, -1] = data[list(items)].to_numpy(dtype=float, na_value=np.nan).mean(axis=1)
    if np.isinf(full).any():
        column = ([*drivers, "outcome"])[int(np.flatnonzero(np.isinf(full).any(axis=0))[0])]
        raise DataError(f"column {column!r} has infinite values")
    y = full[:, -1]
    w = _weights(weights, n_rows, "weights")
    if w.ndim != 1:
        raise DataError(f"weights must be one column, got shape {w.shape}")
    scales_list = driver_scales(scales, drivers)

    driver_missing = np.isnan(full[:, : len(drivers)])
    complete = ~np.isnan(y) & ~driver_missing.any(axis=1)
    n_used = int(np.sum(complete & (w > 0)))
    check_complete(n_used, n_rows, items, len(drivers), min_n)
    data_matrix = full if complete.all() else full[complete]
    mean, cov = weighted_moments(data_matrix, w if complete.all() else w[complete])
    moments = DriverMoments(mean, cov, np.abs(data_matrix).max(axis=0), n_used, n_rows, int(complete.sum()),
                            int(np.isnan(y).sum()), driver_missing.sum(axis=0).astype(int))
    reps = None
    if replicate_weights is not None:
        engine, lost = _replicate_engine(replicate_weights, w, n_rows, replicate_scale, replicate_rscales,
                                         replicate_mse)
        if df is None:
            df = engine.degrees_of_freedom(w > 0)
        if engine.group is not None:
            rmean, rcov = grouped_moments(data_matrix, w[complete], engine.group[complete], engine.multipliers)
        else:
            rmean, rcov = weighted_moments(data_matrix, engine.multipliers if complete.all()
                                           else engine.multipliers[complete])
        reps = ReplicateMoments(rmean, rcov, engine, lost, float(df))
    return importance_from_moments(moments, reps, items, drivers, method=method, scales=scales_list, level=level,
                                   max_exact=max_exact, n_permutations=n_permutations, seed=seed,
                                   warn_collinearity=warn_collinearity)


def _replicate_engine(replicate_weights: np.ndarray | ReplicateWeights, w: np.ndarray, n_rows: int,
                      scale: float, rscales: np.ndarray | None, mse: bool) -> tuple[ReplicateWeights, np.ndarray]:
    """The replicate engine of the intervals and which replicates are lost (non-finite weights:
    no estimate, left out by the engine as for every design estimate)."""
    if isinstance(replicate_weights, ReplicateWeights) and replicate_weights.group is not None:
        multipliers = replicate_weights.multipliers
        lost = ~np.isfinite(multipliers).all(axis=0)
        if lost.all():
            raise DataError("every replicate weight column has missing or infinite values")
        multipliers = np.where(lost, 1.0, multipliers)
        if np.any(multipliers < 0):
            raise DataError("replicate weights must be finite and non-negative")
        return replace(replicate_weights, multipliers=multipliers), lost
    rw = np.asarray(replicate_weights.analysis_weights(w) if isinstance(replicate_weights, ReplicateWeights)
                    else replicate_weights, dtype=float)
    if rw.ndim == 1:
        rw = rw[:, None]
    lost = np.zeros(rw.shape[-1] if rw.ndim else 0, dtype=bool)
    if rw.ndim == 2 and rw.shape[0] == n_rows:
        lost = ~np.isfinite(rw).all(axis=0)
        if lost.all():
            raise DataError("every replicate weight column has missing or infinite values")
        rw = np.where(lost, w[:, None], rw)
    rw = _weights(rw, n_rows, "replicate weights")
    n_rep = rw.shape[1]
    if n_rep < 2:
        raise DataError("need at least 2 replicate weight columns")
    rscales_arr = np.ones(n_rep) if rscales is None else np.asarray(rscales, float).ravel()
    if rscales_arr.shape != (n_rep,):
        raise DataError(f"replicate_rscales has {rscales_arr.size} values for {n_rep} replicates")
    return ReplicateWeights("other", rw, float(scale), rscales_arr, bool(mse)), lost


def importance_performance(
    result: DriverResult,
    thresholds: Literal["mean", "median"] | tuple[float, float] = "mean",
) -> pd.DataFrame:
    """Importance-performance quadrant of each driver.

    Importance is the driver's ``share`` (percent), performance its 0-100 ``performance``.
    ``thresholds`` splits them: ``"mean"`` or ``"median"`` across drivers, or explicit
    ``(share_threshold, performance_threshold)``.  A value at or above its threshold counts as
    high.  Quadrants: ``"improve first"`` (high importance, low performance), ``"maintain"`` (high,
    high), ``"lower priority"`` (low, low), ``"possible over-investment"`` (low importance, high
    performance).  Performances are compared across drivers, so every driver must have a known
    rating scale (``scales=`` or the codebook's) and all must share it.

    Parameters
    ----------
    result : DriverResult
        The result of :func:`driver_importance`.
    thresholds : {"mean", "median"} or tuple of (float, float), default "mean"
        How to split high from low: across-driver mean or median, or explicit
        ``(share_threshold, performance_threshold)``.

    Returns
    -------
    pandas.DataFrame
        Per driver: ``share``, ``performance``, ``quadrant`` and the two thresholds.

    Raises
    ------
    DataError
        When a driver has no known scale, when the drivers' scales differ, or when
        ``thresholds`` is a string other than ``"mean"`` or ``"median"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(300, 2))
    >>> df = pd.DataFrame({"a": x[:, 0] + 4, "b": x[:, 1] + 2, "y": 2 * x[:, 0] + x[:, 1]})
    >>> ip = importance_performance(driver_importance(df, "y", ["a", "b"], np.ones(300), scales=(0, 6)))
    >>> ip["quadrant"].tolist()
    ['maintain', 'lower priority']
    >>> importance_performance(driver_importance(df, "y", ["a", "b"], np.ones(300)))
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: an importance-performance quadrant needs every driver on one known rating scale; no scale for 'a', 'b' (give scales=(low, high), or declare the scale in the codebook)
    """
    result.common_scale()
    t = result.table
    perf = t["performance"]
    imp = t["share"]
    if isinstance(thresholds, str):
        if thresholds == "mean":
            ti, tp = float(imp.mean()), float(perf.mean())
        elif thresholds == "median":
            ti, tp = float(imp.median()), float(perf.median())
        else:
            raise DataError(f"thresholds must be 'mean', 'median' or (x, y), got {thresholds!r}")
    else:
        ti, tp = (float(v) for v in thresholds)
    high_i = imp >= ti
    high_p = perf >= tp
    quadrant = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
        ["improve first", "maintain", "lower priority"],
        default="possible over-investment",
    )
    return pd.DataFrame(
        {"share": imp, "performance": perf, "quadrant": quadrant},
        index=t.index,
    ).assign(importance_threshold=ti, performance_threshold=tp)

