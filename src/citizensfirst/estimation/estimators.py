"""The estimators behind ``Design.mean``, ``total``, ``proportion``, ``ratio``, ``variance`` and
``quantile``. Each builds numerator/denominator columns and lets :mod:`citizensfirst.estimate`
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
    QUANTILE_METHODS,
    TRANSFORMED,
    IntervalInputs,
    check_interval_method,
    interval,
    transform,
)
from .quality import QualityRules
from .quantile_rules import RULES
from .quantile_rules import quantile as rule_quantile
from .result import Estimate, critical_value

if TYPE_CHECKING:
    from ..design.facade import Design

Names = str | Sequence[str]


def _names(variables: Names) -> list[str]:
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


def _missing(policy: str) -> bool:
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
    names = _names(variables)
    y = numeric_matrix(design, names)
    if statistic == "mean":
        warn_if_nominal(design.codebook, design.frame, names, "mean()", stacklevel=5)
    domains = domains_of(design, by)
    denominators = ONES if statistic == "mean" else None
    result = ratio_engine(design, y, denominators, domains, deff=resolve_deff(design, deff),
                          listwise=_missing(missing))
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
    indicators, items = _indicators(design, _names(variable))
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
    indicators, items = _indicators(design, _names(variable))
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
    nums, dens = _names(numerator), _names(denominator)
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
    names = _names(variables)
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


def quantile(
    design: Design,
    variable: str,
    probs: float | Sequence[float] = (0.5,),
    *,
    by: Names | None = None,
    rule: str = "math",
    interval: str = "mean",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Quantiles with Woodruff confidence intervals (as ``svyquantile``, survey >= 4.1).

    The interval for p is found on the CDF scale, ``P(x <= q_hat)`` +/- t se (``interval``:
    ``mean``, ``beta``, ``xlogit`` or ``asin``), and mapped back through the quantile rule;
    ``se`` = (upper - lower) / (2 t), as R reports it. On replicate designs ``interval="quantile"``
    instead re-computes the quantile with every replicate's weights and uses
    ``q_hat +/- t sqrt(V_rep)``. Design effects are not defined (NaN).

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        Numeric variable.
    probs : float or sequence of float, default (0.5,)
        Probabilities in [0, 1].
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    rule : str, default 'math'
        Quantile rule, one of :data:`~citizensfirst.estimation.quantile_rules.RULES`.
    interval : str, default 'mean'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.QUANTILE_METHODS`.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per probability (and domain); ``deff`` is NaN.

    Raises
    ------
    DataError
        If ``rule`` or ``interval`` is unknown, or a probability lies outside [0, 1].
    """
    if rule not in RULES:
        raise DataError(f"rule must be one of {RULES}, got {rule!r}")
    check_interval_method(interval, QUANTILE_METHODS, argument="interval")
    plist = [float(probs)] if isinstance(probs, int | float | np.number) else [float(p) for p in probs]
    if any(not 0 <= p <= 1 for p in plist):
        raise DataError(f"quantile probabilities must lie in [0, 1], got {plist}")
    x = numeric_matrix(design, [variable])[:, 0]
    domains = domains_of(design, by)
    weights = design.weight_values
    rows_by_domain = domains.rows()
    rows_out: list[dict[str, Any]] = []
    for p in plist:
        qhat = np.empty(domains.count)
        indicator = np.full(len(x), np.nan)
        for g, rows in enumerate(rows_by_domain):
            ok = np.arange(len(x))[rows][~np.isnan(x[rows]) & (weights[rows] != 0)]
            qhat[g] = rule_quantile(x[ok], weights[ok], p, rule)
            indicator[ok] = (x[ok] <= qhat[g]).astype(float)
        if interval == "quantile":
            rows_out += _replicate_quantile_rows(design, x, p, qhat, rows_by_domain, rule, level, df)
            continue
        cdf = ratio_engine(design, indicator[:, None], ONES, domains, deff=None)
        se_p = np.sqrt(np.diag(cdf["vcov"]))
        dfs = cdf["df"] if df is None else np.full(domains.count, float(df))
        method = "wald" if interval == "mean" else interval
        p_low, p_high = proportion_interval(cdf["estimate"], se_p, dfs, cdf["n"], level, method)
        crit = critical_value(level, dfs)
        for g, rows in enumerate(rows_by_domain):
            ok = np.arange(len(x))[rows][~np.isnan(x[rows]) & (weights[rows] != 0)]
            low = rule_quantile(x[ok], weights[ok], p_low[g], rule) if 0 <= p_low[g] <= 1 else np.nan
            high = rule_quantile(x[ok], weights[ok], p_high[g], rule) if 0 <= p_high[g] <= 1 else np.nan
            rows_out.append({"g": g, "p": p, "estimate": qhat[g], "ci_low": low, "ci_high": high,
                             "se": (high - low) / (2 * crit[g]), "n": cdf["n"][g], "df": dfs[g]})
    table = pd.DataFrame(rows_out).sort_values(["g", "p"], kind="stable").reset_index(drop=True)
    result = {
        "estimate": table["estimate"].to_numpy(),
        "vcov": _diagonal(table["se"].to_numpy() ** 2),
        "deff": np.full(len(table), np.nan),
        "n": table["n"].to_numpy(),
        "df": table["df"].to_numpy(),
    }
    items = pd.DataFrame({"variable": variable, "level": plist})
    stored = (table["se"].to_numpy(), table["ci_low"].to_numpy(), table["ci_high"].to_numpy())
    return finish(design, "quantile", result, domains, items, level=level, df=df, rules=rules,
                  ci="quantile" if interval == "quantile" else f"woodruff-{interval}", stored=stored)


def _diagonal(variances: np.ndarray) -> np.ndarray:
    """A covariance matrix known only on its diagonal (off-diagonal NaN, as R's quantiles)."""
    out = np.full((len(variances), len(variances)), np.nan)
    np.fill_diagonal(out, variances)
    return out


def _replicate_quantile_rows(
    design: Design, x: np.ndarray, p: float, qhat: np.ndarray, rows_by_domain: list[np.ndarray | slice],
    rule: str, level: float, df: float | None,
) -> list[dict[str, Any]]:
    """Quantile CIs from the quantile re-computed under every replicate (R's ``repCI``)."""
    reps = design.replicate_weights
    if reps is None:
        raise DataError("interval='quantile' needs a replicate design (see Design.as_replicate)")
    analysis = reps.analysis_weights(design.weight_values)
    out = []
    for g, rows in enumerate(rows_by_domain):
        ok = np.arange(len(x))[rows][~np.isnan(x[rows])]
        thetas = np.array([rule_quantile(x[ok], analysis[ok, r], p, rule) for r in range(reps.n_replicates)])
        var = float(reps.vcov(thetas[:, None], np.array([qhat[g]]))[0, 0])
        in_domain = np.zeros(len(x), dtype=bool)
        in_domain[ok] = True
        dfs = float(df) if df is not None else float(design.degrees_of_freedom(in_domain))
        half = float(critical_value(level, dfs)[0]) * np.sqrt(var)
        out.append({"g": g, "p": p, "estimate": qhat[g], "ci_low": qhat[g] - half,
                    "ci_high": qhat[g] + half, "se": np.sqrt(var), "n": len(ok), "df": dfs})
    return out
