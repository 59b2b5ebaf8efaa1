"""The estimators behind ``Design.mean``, ``total``, ``proportion``, ``ratio``, ``variance`` and
``quantile`` (in :mod:`citizensfirst.estimation.quantiles`). Each builds numerator/denominator columns and lets :mod:`citizensfirst.estimate`
do the rest, so every estimator gets the same domains, variance, deff, CIs and flags.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> df = pd.DataFrame({"ch": ["web", "phone", "web", "web"]})
>>> Design(df).proportion("ch").to_frame()[["level", "estimate"]]
   level  estimate
0  phone      0.25
1    web      0.75
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..io.nominal import warn_if_nominal
from .engine import ONES, domains_of, finish, level_indicators, numeric_matrix, ratio_engine
from .intervals import (
    PROPORTION_METHODS,
    TRANSFORMED,
    IntervalInputs,
    check_interval_method,
    interval,
    transform,
)
from .quality import QualityRules
from .result import Estimate

if TYPE_CHECKING:
    from ..design.facade import Design

Names = str | Sequence[str]


def variable_names(variables: Names) -> list[str]:
    """The variables as a list, checked to be non-empty.

    Parameters
    ----------
    variables : str or sequence of str
        One name or several.

    Returns
    -------
    list of str
        The names.

    Raises
    ------
    DataError
        If no variable is given.

    Examples
    --------
    >>> variable_names("y"), variable_names(("y", "x"))
    (['y'], ['y', 'x'])
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise DataError("no variables given")
    return names


def resolve_deff(design: Design, deff: str | None) -> str | None:
    """``"auto"``: SRS without replacement when the design has an fpc, else with replacement.

    (Stata's convention; R's ``deff=TRUE`` is ``"srswor"`` and needs weights that sum to the
    population size.)

    Parameters
    ----------
    design : Design
        The survey design.
    deff : {'auto', 'srswor', 'replace'} or None
        The requested convention.

    Returns
    -------
    str or None
        ``'srswor'``, ``'replace'`` or None.

    Raises
    ------
    DataError
        If ``deff`` is not one of the accepted values.
    """
    if deff != "auto":
        if deff not in (None, "srswor", "replace"):
            raise DataError(f"deff must be 'auto', 'srswor', 'replace' or None, got {deff!r}")
        return deff
    taylor = design.taylor
    has_fpc = taylor is not None and taylor.stages[0].popsize is not None
    return "srswor" if has_fpc else "replace"


def is_listwise(policy: str) -> bool:
    """Whether the missing-value policy drops a row missing any variable (``"listwise"``).

    Parameters
    ----------
    policy : {"available", "listwise"}
        The ``missing=`` argument of the estimators.

    Returns
    -------
    bool
        True for ``"listwise"``, False for ``"available"``.

    Raises
    ------
    DataError
        For any other policy.

    Examples
    --------
    >>> is_listwise("available")
    False
    """
    if policy not in ("available", "listwise"):
        raise DataError(f"missing must be 'available' or 'listwise', got {policy!r}")
    return policy == "listwise"


def _indicators(design: Design, variables: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """0/1 columns for every level of every variable, and the (variable, level) table."""
    blocks, items = [], []
    for name in variables:
        block, levels = level_indicators(design, name)
        blocks.append(block)
        items.append(pd.DataFrame({"variable": name, "level": pd.Series(levels, dtype=object)}))
    return np.hstack(blocks), pd.concat(items, ignore_index=True)


def _linear(design: Design, variables: Names, statistic: str, by: Names | None, missing: str,
            deff: str | None, level: float, df: float | None, rules: QualityRules | None) -> Estimate:
    """Means (``ONES`` denominators) or totals of numeric variables."""
    names = variable_names(variables)
    y = numeric_matrix(design, names)
    if statistic == "mean":
        warn_if_nominal(design.codebook, design.frame, names, "mean()", stacklevel=5)
    domains = domains_of(design, by)
    denominators = ONES if statistic == "mean" else None
    result = ratio_engine(design, y, denominators, domains, deff=resolve_deff(design, deff),
                          listwise=is_listwise(missing))
    items = pd.DataFrame({"variable": names})
    return finish(design, statistic, result, domains, items, level=level, df=df, rules=rules)


def mean(
    design: Design,
    variables: Names,
    *,
    by: Names | None = None,
    missing: str = "available",
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Weighted means of numeric ``variables`` (as ``svymean`` / ``svyby(..., svymean)``).

    A variable the codebook calls nominal (codes such as provinces) gives a
    :class:`~citizensfirst.errors.NominalVariableWarning`, unless it is a 0/1 indicator.

    Parameters
    ----------
    design : Design
        The survey design.
    variables : str or sequence of str
        Numeric variable(s) to average.
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    missing : {'available', 'listwise'}, default 'available'
        ``available`` uses every non-missing value per variable; ``listwise`` drops rows missing on any of ``variables``.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`resolve_deff`); None skips design effects.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per variable (and domain).
    """
    return _linear(design, variables, "mean", by, missing, deff, level, df, rules)


def total(
    design: Design,
    variables: Names,
    *,
    by: Names | None = None,
    missing: str = "available",
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Weighted totals of numeric ``variables`` (as ``svytotal``).

    Parameters
    ----------
    design : Design
        The survey design.
    variables : str or sequence of str
        Numeric variable(s) to total.
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    missing : {'available', 'listwise'}, default 'available'
        ``available`` uses every non-missing value per variable; ``listwise`` drops rows missing on any of ``variables``.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`resolve_deff`); None skips design effects.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per variable (and domain).
    """
    return _linear(design, variables, "total", by, missing, deff, level, df, rules)


def proportion(
    design: Design,
    variable: Names,
    *,
    by: Names | None = None,
    ci: str = "logit",
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Proportion of every observed level of ``variable`` (0-1), with CIs by ``ci``.

    ``ci``: ``logit`` (``svyciprop(method="logit")``, the default: stays inside 0-1), ``wald``
    (= ``mean``), ``wilson`` (score interval with the effective sample size p(1-p)/se²),
    ``beta`` (Korn-Graubard, as ``svyciprop(method="beta")``), ``asin``, ``xlogit``.

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str or sequence of str
        Categorical variable(s).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    ci : str, default 'logit'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.PROPORTION_METHODS`.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`resolve_deff`); None skips design effects.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per level of each variable (and domain).

    Raises
    ------
    DataError
        If ``ci`` is not a proportion interval method.
    """
    check_interval_method(ci, PROPORTION_METHODS)
    indicators, items = _indicators(design, variable_names(variable))
    domains = domains_of(design, by)
    result = ratio_engine(design, indicators, ONES, domains, deff=resolve_deff(design, deff))
    extras = {"design_df": result["df"], "transformed_se": replicate_transformed_se(design, result)}
    return finish(design, "proportion", result, domains, items, level=level, df=df, rules=rules,
                  ci=ci, extras=extras)


def replicate_transformed_se(design: Design, result: dict[str, Any]) -> dict[str, np.ndarray]:
    """On replicate designs, the SE of logit(p) / asin(sqrt(p)) from transformed replicates,
    per :data:`~citizensfirst.estimation.intervals.TRANSFORMED` method (empty otherwise).

    Parameters
    ----------
    design : Design
        The survey design.
    result : dict
        The ratio-engine result (``estimate`` and ``replicates``).

    Returns
    -------
    dict of str to numpy.ndarray
        Method name -> SE on that method's scale; empty without replicates.
    """
    reps = design.replicate_weights
    if reps is None or result.get("replicates") is None:
        return {}
    out = {}
    for method in TRANSFORMED:
        thetas = transform(method, result["replicates"])
        out[method] = np.sqrt(np.diag(reps.vcov(thetas, transform(method, result["estimate"]))))
    return out


def proportion_interval(
    p: np.ndarray, se: np.ndarray, dfs: np.ndarray, n: np.ndarray, level: float, method: str,
    design_df: np.ndarray | None = None, transformed_se: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence limits for proportions ``p`` by ``method`` of the interval table (see ``proportion``).

    The Korn-Graubard ``beta`` interval always uses the design df (``design_df``, default
    ``dfs``) in its effective-sample-size correction, as R's ``svyciprop`` does. For ``logit``
    and ``asin``, ``transformed_se`` (the SE on the transformed scale, from replicates) replaces
    the delta-method SE when given, as R does on replicate designs.

    Parameters
    ----------
    p : numpy.ndarray
        Estimated proportions.
    se : numpy.ndarray
        Their standard errors.
    dfs : numpy.ndarray
        Degrees of freedom per row.
    n : numpy.ndarray
        Unweighted sample size per row.
    level : float
        Confidence level.
    method : str
        Interval method, one of :data:`~citizensfirst.estimation.intervals.PROPORTION_METHODS`.
    design_df : numpy.ndarray, optional
        Design df of the Korn-Graubard correction (default ``dfs``).
    transformed_se : numpy.ndarray, optional
        SE on the logit / arcsine scale from replicates.

    Returns
    -------
    tuple of numpy.ndarray
        ``(lower, upper)`` limits.

    Raises
    ------
    DataError
        If ``method`` is not a proportion interval method.

    Examples
    --------
    >>> lo, hi = proportion_interval(np.array([0.815]), np.array([0.0270776]), np.array([199.0]),
    ...                              np.array([200]), 0.95, "logit")
    >>> round(float(lo[0]), 4), round(float(hi[0]), 4)
    (0.7556, 0.8626)
    """
    check_interval_method(method, PROPORTION_METHODS)
    return interval(method, IntervalInputs(np.asarray(p, dtype=float), np.asarray(se, dtype=float),
                                           np.asarray(dfs, dtype=float), level, np.asarray(n, dtype=float),
                                           design_df, transformed_se))


def count(
    design: Design,
    variable: Names,
    *,
    by: Names | None = None,
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Estimated population count of every level of ``variable`` (``svytotal`` of a factor).

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str or sequence of str
        Categorical variable(s).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`resolve_deff`); None skips design effects.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per level of each variable (and domain).
    """
    indicators, items = _indicators(design, variable_names(variable))
    domains = domains_of(design, by)
    result = ratio_engine(design, indicators, None, domains, deff=resolve_deff(design, deff))
    return finish(design, "count", result, domains, items, level=level, df=df, rules=rules)


def ratio(
    design: Design,
    numerator: Names,
    denominator: Names,
    *,
    by: Names | None = None,
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Ratios of totals, every numerator over every denominator (as ``svyratio``).

    Rows missing on the numerator or the denominator are left out of that ratio (``na.rm``).

    Parameters
    ----------
    design : Design
        The survey design.
    numerator : str or sequence of str
        Numeric numerator variable(s).
    denominator : str or sequence of str
        Numeric denominator variable(s).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`resolve_deff`); None skips design effects.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per ``numerator/denominator`` pair (and domain).
    """
    nums, dens = variable_names(numerator), variable_names(denominator)
    pairs = [(a, b) for b in dens for a in nums]
    y = numeric_matrix(design, [a for a, _ in pairs])
    x = numeric_matrix(design, [b for _, b in pairs])
    domains = domains_of(design, by)
    result = ratio_engine(design, y, x, domains, deff=resolve_deff(design, deff))
    items = pd.DataFrame({"variable": [f"{a}/{b}" for a, b in pairs]})
    return finish(design, "ratio", result, domains, items, level=level, df=df, rules=rules)


def variance(
    design: Design,
    variables: Names,
    *,
    by: Names | None = None,
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Design-based estimate of the population variance (divisor n-1, as ``svyvar``).

    Parameters
    ----------
    design : Design
        The survey design.
    variables : str or sequence of str
        Numeric variable(s).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per variable (and domain).
    """
    names = variable_names(variables)
    y = numeric_matrix(design, names)
    domains = domains_of(design, by)
    first = ratio_engine(design, y, ONES, domains, deff=None)
    k = len(names)
    centre = first["estimate"].reshape(domains.count, k)
    counts = first["n"].reshape(domains.count, k).astype(float)
    z = np.full_like(y, np.nan)
    for g, rows in enumerate(domains.rows()):
        z[rows] = (y[rows] - centre[g]) ** 2 * counts[g] / (counts[g] - 1)
    result = ratio_engine(design, z, ONES, domains, deff=None)
    if design.replicate_weights is not None:
        result["vcov"], result["replicates"] = _replicate_variance(design, y, domains, result["estimate"])
    items = pd.DataFrame({"variable": names})
    return finish(design, "variance", result, domains, items, level=level, df=df, rules=rules)


def _replicate_variance(
    design: Design, y: np.ndarray, domains: Any, full: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Replicate covariance of variance estimates, each replicate re-centred (as ``svyvar``)."""
    reps = design.replicate_weights
    if reps is None:
        raise DataError("replicate variances need a replicate design (see Design.as_replicate)")
    weights = design.weight_values
    thetas = []
    for rows in domains.rows():
        ok = ~np.isnan(y[rows]) & (weights[rows] != 0)[:, None]
        values = np.where(ok, y[rows], 0.0)
        n = ok.sum(axis=0)
        total = reps.weighted_totals(ok.astype(float), rows, weights)
        first = reps.weighted_totals(values, rows, weights) / total
        second = reps.weighted_totals(values**2, rows, weights) / total
        thetas.append((second - first**2) * n / (n - 1))
    replicates = np.hstack(thetas)
    return reps.vcov(replicates, full), replicates
