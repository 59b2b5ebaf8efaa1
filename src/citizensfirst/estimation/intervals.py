"""Interval methods and difference tests: one table, used by every estimate and comparison.

:data:`INTERVAL_METHODS` maps a method name to the function computing its confidence limits
from an :class:`IntervalInputs` (estimate, se, df, level, n and the extras some methods need),
as R's ``confint`` and ``svyciprop`` methods:

* ``t`` / ``wald`` / ``mean`` / ``quantile``: ``estimate +/- t(df) se`` (normal where df is inf);
  ``normal``: ``estimate +/- z se`` whatever the df.
* ``logit`` / ``xlogit``: symmetric on the logit scale (delta-method se, or the se of the
  transformed replicates on a replicate design), as ``svyciprop(method="logit")``.
* ``asin``: symmetric on the arcsine-square-root scale.
* ``wilson``: the score interval with the effective sample size ``p(1-p)/se^2``.
* ``beta``: Korn-Graubard, the effective sample size corrected by the design df.

:func:`check_interval_method` validates a name against the table (or a subset of it), so a
method is known in one place only. :func:`difference_test` is the one t test of a difference
(table letters, wave changes, driver comparisons and :meth:`Estimate.pairwise`).

>>> lo, hi = interval("t", IntervalInputs(np.array([2.0]), np.array([0.5]), np.array([np.inf]), 0.95))
>>> round(float(lo[0]), 4), round(float(hi[0]), 4)
(1.02, 2.98)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri, stdtr, stdtrit

from ..errors import DataError

#: Differences with se at most this times ``max(|a|, |b|, 1)`` are not tested (p = 1).
ZERO_VARIANCE = 1e-12

#: p-value adjustments for multiple comparisons (as R's ``p.adjust``).
ADJUSTMENTS = ("none", "holm", "bh")


@dataclass(frozen=True)
class IntervalInputs:
    """What an interval method reads, one value per row.

    ``design_df`` is the design degrees of freedom of the Korn-Graubard correction (default
    ``df``); ``transformed_se`` the se on the logit / arcsine scale from replicates (default:
    the delta method).
    """

    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    level: float
    n: np.ndarray | None = None
    design_df: np.ndarray | None = None
    transformed_se: np.ndarray | None = None


Limits = tuple[np.ndarray, np.ndarray]


def critical_value(level: float, dfs: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value: t with ``dfs`` degrees of freedom (normal where df is inf).

    Parameters
    ----------
    level : float
        Confidence level, e.g. 0.95.
    dfs : numpy.ndarray or float
        Degrees of freedom (inf for the normal).

    Returns
    -------
    numpy.ndarray
        The critical value per df (NaN where df is not positive).

    Examples
    --------
    >>> critical_value(0.95, np.array([np.inf, 10.0])).round(4).tolist()
    [1.96, 2.2281]
    """
    alpha = 1 - level
    dfs = np.atleast_1d(np.asarray(dfs, dtype=float))
    # scipy.special's t and normal quantiles: what scipy.stats.t.ppf and norm.ppf call, without
    # importing scipy.stats (half a second at start-up)
    out = np.full(dfs.shape, ndtri(1 - alpha / 2))
    finite = np.isfinite(dfs)
    with np.errstate(invalid="ignore"):
        out[finite] = stdtrit(np.where(dfs[finite] > 0, dfs[finite], np.nan), 1 - alpha / 2)
    return out


def _symmetric(x: IntervalInputs) -> Limits:
    half = critical_value(x.level, x.df) * x.se
    return x.estimate - half, x.estimate + half


def _normal(x: IntervalInputs) -> Limits:
    half = critical_value(x.level, np.inf) * x.se
    return x.estimate - half, x.estimate + half


def _logit(x: IntervalInputs) -> Limits:
    p = x.estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_se = x.se / (p * (1 - p)) if x.transformed_se is None else x.transformed_se
        half = critical_value(x.level, x.df) * scale_se
        return expit(logit(p) - half), expit(logit(p) + half)


def _asin(x: IntervalInputs) -> Limits:
    p = x.estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_se = x.se / (2 * np.sqrt(p * (1 - p))) if x.transformed_se is None else x.transformed_se
        centre, half = np.arcsin(np.sqrt(p)), critical_value(x.level, x.df) * scale_se
        return np.sin(centre - half) ** 2, np.sin(centre + half) ** 2


def _wilson(x: IntervalInputs) -> Limits:
    p, t = x.estimate, critical_value(x.level, x.df)
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / x.se**2
        z2 = t**2
        centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
        half = t / (1 + z2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff**2))
        return centre - half, centre + half


def _beta(x: IntervalInputs) -> Limits:
    if x.n is None:
        raise DataError("the 'beta' (Korn-Graubard) interval needs the unweighted n of every row")
    p, alpha = x.estimate, 1 - x.level
    df_design = x.df if x.design_df is None else x.design_df
    from scipy import stats  # lazy: scipy.stats is slow to import; only this method needs it

    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = p * (1 - p) / x.se**2
        n_eff = n_eff * (stats.t.ppf(alpha / 2, x.n - 1) / stats.t.ppf(alpha / 2, df_design)) ** 2
        lower = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
        upper = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


#: Interval method name -> function of :class:`IntervalInputs` returning (low, high).
INTERVAL_METHODS: dict[str, Callable[[IntervalInputs], Limits]] = {
    "t": _symmetric,
    "normal": _normal,
    "wald": _symmetric,
    "mean": _symmetric,
    "quantile": _symmetric,
    "logit": _logit,
    "xlogit": _logit,
    "asin": _asin,
    "wilson": _wilson,
    "beta": _beta,
}

#: Methods of ``proportion``, ``top_box`` and ``bottom_box`` (``ci=``).
PROPORTION_METHODS = ("logit", "xlogit", "wald", "mean", "wilson", "beta", "asin")
#: Methods of ``quantile`` (``interval=``): Woodruff on the CDF scale, or replicate quantiles.
QUANTILE_METHODS = ("mean", "beta", "xlogit", "asin", "quantile")
#: Methods on the logit / arcsine scale, whose replicate se is taken on that scale.
TRANSFORMED = ("logit", "xlogit", "asin")


def check_interval_method(name: str, allowed: Sequence[str] | None = None, argument: str = "ci") -> str:
    """``name`` if it is an interval method (of ``allowed``, default every method), else DataError.

    Parameters
    ----------
    name : str
        The method name to check.
    allowed : sequence of str, optional
        The accepted methods (default: every method of :data:`INTERVAL_METHODS`).
    argument : str, default 'ci'
        The argument name used in the error message.

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    DataError
        If ``name`` is not an accepted method.

    Examples
    --------
    >>> check_interval_method("nonsense", PROPORTION_METHODS)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: ci must be one of ('logit', 'xlogit', 'wald', 'mean', 'wilson', 'beta', 'asin'), got 'nonsense'
    """
    choices = tuple(INTERVAL_METHODS) if allowed is None else tuple(allowed)
    if name not in choices or name not in INTERVAL_METHODS:
        raise DataError(f"{argument} must be one of {choices}, got {name!r}")
    return name


def check_level(level: float) -> float:
    """``level`` as a float if it lies strictly between 0 and 1, else DataError.

    Parameters
    ----------
    level : float
        The confidence level to check.

    Returns
    -------
    float
        ``level`` as a float.

    Raises
    ------
    DataError
        If ``level`` is not strictly between 0 and 1.

    Examples
    --------
    >>> check_level(1.5)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: level must lie strictly between 0 and 1 (e.g. 0.95), got 1.5
    """
    if not 0 < float(level) < 1:
        raise DataError(f"level must lie strictly between 0 and 1 (e.g. 0.95), got {level}")
    return float(level)


def interval(method: str, inputs: IntervalInputs) -> Limits:
    """Confidence limits of ``inputs`` by ``method`` (a name of :data:`INTERVAL_METHODS`).

    Parameters
    ----------
    method : str
        A name of :data:`INTERVAL_METHODS`.
    inputs : IntervalInputs
        Estimates, se, df, level and extras.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` limits.

    Raises
    ------
    DataError
        If ``method`` is unknown.
    """
    return INTERVAL_METHODS[check_interval_method(method, argument="method")](inputs)


def transform(method: str, p: np.ndarray) -> np.ndarray:
    """``p`` on the scale of a :data:`TRANSFORMED` method (logit, or arcsine square root).

    Parameters
    ----------
    method : str
        A :data:`TRANSFORMED` method.
    p : numpy.ndarray
        Proportions.

    Returns
    -------
    numpy.ndarray
        ``logit(p)`` or ``arcsin(sqrt(p))``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return logit(p) if method in ("logit", "xlogit") else np.arcsin(np.sqrt(p))


def p_value(t: np.ndarray, df: np.ndarray | float) -> np.ndarray:
    """Two-sided p of ``t`` on ``df`` degrees of freedom: normal where df is inf, NaN where df
    is NaN or not positive.

    Parameters
    ----------
    t : numpy.ndarray
        t statistics.
    df : numpy.ndarray or float
        Degrees of freedom.

    Returns
    -------
    numpy.ndarray
        Two-sided p-values.

    Examples
    --------
    >>> p_value(np.array([1.96, 2.0]), np.array([np.inf, 10.0])).round(4).tolist()
    [0.05, 0.0734]
    """
    t = np.asarray(t, dtype=float)
    dfs = np.broadcast_to(np.asarray(df, dtype=float), t.shape)
    out = np.full(t.shape, np.nan)
    normal = np.isinf(dfs)
    out[normal] = 2 * ndtr(-np.abs(t[normal]))  # scipy.stats.norm.sf and t.sf, as in critical_value
    finite = np.isfinite(dfs) & (dfs > 0)
    out[finite] = 2 * stdtr(dfs[finite], -np.abs(t[finite]))
    return out


def difference_test(difference: np.ndarray, variance: np.ndarray, df: np.ndarray | float,
                    magnitude: np.ndarray | float = 1.0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The t test of differences: ``(difference, se, t, p)``, p two-sided on ``df``.

    ``variance`` is the variance of each difference; ``magnitude`` the size of the compared
    estimates (``max(|a|, |b|)``). A difference whose se is at most ``ZERO_VARIANCE *
    max(magnitude, 1)`` is not tested: se 0, t NaN, p 1 (never significant), and a difference
    within the same tolerance is rounding noise, set to 0.

    Parameters
    ----------
    difference : numpy.ndarray
        The differences.
    variance : numpy.ndarray
        The variance of each difference.
    df : numpy.ndarray or float
        Degrees of freedom of the test.
    magnitude : numpy.ndarray or float, default 1.0
        Size of the compared estimates, for the zero-variance tolerance.

    Returns
    -------
    tuple of numpy.ndarray
        ``(difference, se, t, p)``.

    Examples
    --------
    >>> d, se, t, p = difference_test(np.array([0.2]), np.array([0.026]), 100.0)
    >>> round(float(t[0]), 4), round(float(p[0]), 4)
    (1.2403, 0.2177)
    """
    diff = np.asarray(difference, dtype=float)
    tolerance = ZERO_VARIANCE * np.maximum(np.asarray(magnitude, dtype=float), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.clip(np.asarray(variance, dtype=float), 0.0, None))
        diff = np.where(np.abs(diff) <= tolerance, 0.0, diff)
        degenerate = se <= tolerance
        se = np.where(degenerate, 0.0, se)
        t = np.where(degenerate, np.nan, diff / se)
    p = np.where(degenerate, 1.0, p_value(t, df))
    return diff, se, t, p


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "none") -> np.ndarray:
    """P-values adjusted for multiple comparisons: ``none``, ``holm`` or ``bh`` (Benjamini-Hochberg).

    NaN p-values are left as NaN and do not count among the comparisons (as R's ``p.adjust``).

    Parameters
    ----------
    p : sequence of float or numpy.ndarray
        The p-values.
    method : {'none', 'holm', 'bh'}, default 'none'
        The adjustment.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, capped at 1.

    Raises
    ------
    DataError
        If ``method`` is unknown.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03], "holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_pvalues([0.01, 0.04, 0.03], "bh").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in ADJUSTMENTS:
        raise DataError(f"adjust must be one of {ADJUSTMENTS}, got {method!r}")
    values = np.asarray(p, dtype=float)
    out = values.copy()
    ok = np.flatnonzero(~np.isnan(values))
    m = ok.size
    if method == "none" or m == 0:
        return out
    order = ok[np.argsort(values[ok], kind="stable")]
    ranked = values[order]
    if method == "holm":
        adjusted = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:
        adjusted = np.minimum.accumulate((m / np.arange(1, m + 1) * ranked)[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


def pairwise_tests(estimates: Any, vcov: np.ndarray, df: Any, adjust: str = "none",
                   labels: Sequence[Any] | None = None) -> pd.DataFrame:
    """The :func:`difference_test` of every pair ``a < b`` of ``estimates`` (``e_a - e_b``).

    Columns ``a``, ``b`` (``labels``, default the positions), ``difference``, ``se`` (``sqrt(V_aa + V_bb - 2 V_ab)``, a
    NaN covariance counting as 0), ``t``, ``df`` (the smaller df of the pair), ``p`` and
    ``p_adjusted`` (by ``adjust``, over the pairs).

    Parameters
    ----------
    estimates : array_like
        The estimates.
    vcov : numpy.ndarray
        Their covariance matrix.
    df : array_like or float
        Degrees of freedom per estimate.
    adjust : {'none', 'holm', 'bh'}, default 'none'
        p-value adjustment over the pairs.
    labels : sequence, optional
        Names of the estimates (default: positions).

    Returns
    -------
    pandas.DataFrame
        One row per pair, columns as above.

    Raises
    ------
    DataError
        If ``adjust`` is unknown.

    Examples
    --------
    >>> pairwise_tests(np.array([0.5, 0.3]), np.array([[0.01, 0.002], [0.002, 0.02]]), 100.0).round(4)
       a  b  difference      se       t     df       p  p_adjusted
    0  0  1         0.2  0.1612  1.2403  100.0  0.2177      0.2177
    """
    if adjust not in ADJUSTMENTS:
        raise DataError(f"adjust must be one of {ADJUSTMENTS}, got {adjust!r}")
    est = np.asarray(estimates, dtype=float)
    cov = np.asarray(vcov, dtype=float)
    dfs = np.broadcast_to(np.asarray(df, dtype=float), est.shape)
    a, b = np.triu_indices(len(est), k=1)
    off = np.where(np.isnan(cov[a, b]), 0.0, cov[a, b])
    magnitude = np.maximum(np.abs(est[a]), np.abs(est[b]))
    pair_df = np.minimum(dfs[a], dfs[b])
    diff, se, t, p = difference_test(est[a] - est[b], cov[a, a] + cov[b, b] - 2 * off, pair_df, magnitude)
    names = np.arange(len(est)) if labels is None else np.asarray(labels, dtype=object)
    return pd.DataFrame({"a": names[a], "b": names[b], "difference": diff, "se": se, "t": t, "df": pair_df,
                         "p": p, "p_adjusted": adjust_pvalues(p, adjust)})


def independent_difference(
    estimate_a: npt.ArrayLike, se_a: npt.ArrayLike, df_a: npt.ArrayLike,
    estimate_b: npt.ArrayLike, se_b: npt.ArrayLike, df_b: npt.ArrayLike,
    level: float = 0.95, df: float | None = None,
) -> pd.DataFrame:
    """Differences ``b - a`` of estimates from independent designs (waves), row by row.

    ``se = sqrt(se_a^2 + se_b^2)`` (no covariance: independent samples), ``df = min(df_a, df_b)``
    (the conservative choice; ``df`` overrides it), ``t``, two-sided ``p`` (:func:`difference_test`)
    and a t interval at ``level``. Columns ``difference``, ``se``, ``t``, ``df``, ``p``,
    ``ci_low``, ``ci_high``.

    Parameters
    ----------
    estimate_a : array_like
        Estimates of the first design.
    se_a : array_like
        Their standard errors.
    df_a : array_like
        Their degrees of freedom.
    estimate_b : array_like
        Estimates of the second design.
    se_b : array_like
        Their standard errors.
    df_b : array_like
        Their degrees of freedom.
    level : float, default 0.95
        Confidence level of the interval.
    df : float, optional
        Degrees of freedom overriding ``min(df_a, df_b)``.

    Returns
    -------
    pandas.DataFrame
        One row per difference, columns as above.

    Examples
    --------
    >>> independent_difference(np.array([1.0]), np.array([0.3]), np.array([20.0]),
    ...                        np.array([2.0]), np.array([0.4]), np.array([30.0])).round(4)
       difference   se    t    df       p  ci_low  ci_high
    0         1.0  0.5  2.0  20.0  0.0593  -0.043    2.043
    """
    a, b = np.asarray(estimate_a, dtype=float), np.asarray(estimate_b, dtype=float)
    if df is None:
        dfs = np.minimum(np.asarray(df_a, dtype=float), np.asarray(df_b, dtype=float))
    else:
        dfs = np.full(a.shape, float(df))
    variance = np.asarray(se_a, dtype=float) ** 2 + np.asarray(se_b, dtype=float) ** 2
    diff, se, t, p = difference_test(b - a, variance, dfs, np.maximum(np.abs(a), np.abs(b)))
    half = critical_value(level, dfs) * se
    return pd.DataFrame({"difference": diff, "se": se, "t": t, "df": dfs, "p": p,
                         "ci_low": diff - half, "ci_high": diff + half})


def table_limits(table: pd.DataFrame, level: float, method: str,
                 extras: dict[str, Any] | None = None) -> Limits:
    """Limits by ``method`` at ``level`` from a result table's ``estimate``, ``se``, ``df`` and ``n``.

    ``extras``: ``design_df`` and ``transformed_se`` (method -> array), see :class:`IntervalInputs`.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table with ``estimate``, ``se``, ``df`` and ``n``.
    level : float
        Confidence level, e.g. 0.95.
    method : str
        A name of :data:`INTERVAL_METHODS`.
    extras : dict, optional
        ``design_df`` and ``transformed_se``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` limits.

    Raises
    ------
    DataError
        If ``method`` is unknown or ``level`` is not strictly between 0 and 1.
    """
    check_interval_method(method, argument="method")
    extras = extras or {}
    inputs = IntervalInputs(
        table["estimate"].to_numpy(float), table["se"].to_numpy(float), table["df"].to_numpy(float),
        check_level(level),
        table["n"].to_numpy(float), extras.get("design_df"), extras.get("transformed_se", {}).get(method))
    return interval(method, inputs)


def linear_combination(coefficients: np.ndarray, estimate: Any, vcov: np.ndarray,
                       df: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(L @ estimate, L V L', df)`` for the rows of ``L``: each row's df is the smallest df of the
    estimates it uses; a covariance it needs that is unknown (NaN) makes its variance NaN.

    Parameters
    ----------
    coefficients : numpy.ndarray
        The matrix ``L``, one combination per row.
    estimate : array_like
        The estimates.
    vcov : numpy.ndarray
        Their covariance matrix (NaN where unknown).
    df : array_like
        Degrees of freedom per estimate.

    Returns
    -------
    tuple of numpy.ndarray
        ``(L @ estimate, L V L', df)``.

    Examples
    --------
    >>> est, v, d = linear_combination(np.array([[1.0, -1.0]]), [3.0, 1.0], np.eye(2), [10.0, 20.0])
    >>> est.tolist(), v.tolist(), d.tolist()
    ([2.0], [[2.0]], [10.0])
    """
    coef = np.asarray(coefficients, dtype=float)
    cov = np.asarray(vcov, dtype=float)
    used = (coef != 0).astype(float)
    unknown = np.isnan(cov)
    combined = coef @ np.where(unknown, 0.0, cov) @ coef.T
    combined[(used @ unknown.astype(float) @ used.T) > 0] = np.nan
    dfs = np.where(used > 0, np.asarray(df, dtype=float), np.inf).min(axis=1)
    return coef @ np.asarray(estimate, dtype=float), combined, dfs
