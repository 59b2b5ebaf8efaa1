"""Quantiles with Woodruff or replicate confidence intervals: the estimator behind ``Design.quantile``.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]})
>>> float(Design(df).quantile("y", 0.5).estimate)
3.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.variance import ReplicateWeights
from ..errors import DataError
from .covariance import variances
from .engine import ONES, Domains, domains_of, finish, numeric_matrix, ratio_engine
from .estimators import Names, proportion_interval
from .intervals import QUANTILE_METHODS, check_interval_method
from .quality import QualityRules
from .quantile_rules import RULES
from .quantile_rules import quantile as rule_quantile
from .result import Estimate, critical_value

if TYPE_CHECKING:
    from ..design.facade import Design


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
    plist = quantile_probabilities(probs, rule, interval)
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
        p_low, p_high, dfs, crit = woodruff_bounds(cdf, level, df, interval)
        for g, rows in enumerate(rows_by_domain):
            ok = np.arange(len(x))[rows][~np.isnan(x[rows]) & (weights[rows] != 0)]
            low = rule_quantile(x[ok], weights[ok], p_low[g], rule) if 0 <= p_low[g] <= 1 else np.nan
            high = rule_quantile(x[ok], weights[ok], p_high[g], rule) if 0 <= p_high[g] <= 1 else np.nan
            rows_out.append(woodruff_row(g, p, qhat[g], low, high, crit[g], cdf["n"][g], dfs[g]))
    return quantile_estimate(design, variable, plist, rows_out, domains, level=level, df=df,
                             rules=rules, interval=interval)


def quantile_probabilities(probs: float | Sequence[float], rule: str, interval: str) -> list[float]:
    """The probabilities as a list, after checking them, the rule and the interval method.

    Parameters
    ----------
    probs : float or sequence of float
        Probabilities in [0, 1].
    rule : str
        Quantile rule, one of :data:`~citizensfirst.estimation.quantile_rules.RULES`.
    interval : str
        Interval method, one of :data:`~citizensfirst.estimation.intervals.QUANTILE_METHODS`.

    Returns
    -------
    list of float
        The probabilities.

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
    return plist


def woodruff_bounds(cdf: dict[str, Any], level: float, df: float | None, interval: str
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Woodruff's interval on the CDF scale, from the ratio-engine result of ``x <= q_hat``.

    Parameters
    ----------
    cdf : dict
        :func:`~citizensfirst.estimation.engine.ratio_engine` result of the indicator (one
        item, one entry per domain).
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom (default: the design's, ``cdf['df']``).
    interval : str
        ``mean`` (Wald), ``beta``, ``xlogit``, ``asin`` or ``score``.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper probabilities, degrees of freedom and critical values, per domain.
    """
    se_p = np.sqrt(variances(cdf["vcov"]))
    dfs = cdf["df"] if df is None else np.full(len(se_p), float(df))
    method = "wald" if interval == "mean" else interval
    p_low, p_high = proportion_interval(cdf["estimate"], se_p, dfs, cdf["n"], level, method)
    return p_low, p_high, dfs, critical_value(level, dfs)


def woodruff_row(g: int, p: float, qhat: float, low: float, high: float, crit: float, n: float,
                 df: float) -> dict[str, Any]:
    """One result row of a Woodruff interval: ``se`` = (high - low) / (2 crit), as R reports it.

    Parameters
    ----------
    g : int
        Domain number.
    p : float
        Probability.
    qhat : float
        The quantile.
    low, high : float
        The quantiles at the interval's CDF bounds.
    crit : float
        Critical value.
    n : float
        Usable rows.
    df : float
        Degrees of freedom.

    Returns
    -------
    dict
        The row for :func:`quantile_estimate`.
    """
    return {"g": g, "p": p, "estimate": qhat, "ci_low": low, "ci_high": high,
            "se": (high - low) / (2 * crit), "n": n, "df": df}


def replicate_row(replicates: ReplicateWeights, g: int, p: float, qhat: float, thetas: np.ndarray,
                  df: float, level: float, n: float) -> dict[str, Any]:
    """One result row of a replicate interval: ``q_hat +/- t sqrt(V_rep)`` (R's ``repCI``).

    Parameters
    ----------
    replicates : ReplicateWeights
        The replicate method (scale, rscales, mse).
    g : int
        Domain number.
    p : float
        Probability.
    qhat : float
        The quantile.
    thetas : numpy.ndarray
        The quantile under every replicate's weights.
    df : float
        Degrees of freedom.
    level : float
        Confidence level.
    n : float
        Rows of the domain with a value.

    Returns
    -------
    dict
        The row for :func:`quantile_estimate`.
    """
    var = float(replicates.vcov(thetas[:, None], np.array([qhat]))[0, 0])
    half = float(critical_value(level, df)[0]) * np.sqrt(var)
    return {"g": g, "p": p, "estimate": qhat, "ci_low": qhat - half, "ci_high": qhat + half,
            "se": np.sqrt(var), "n": n, "df": df}


def quantile_estimate(design: Design, variable: str, plist: list[float], rows: list[dict[str, Any]],
                      domains: Domains, *, level: float, df: float | None,
                      rules: QualityRules | None, interval: str) -> Estimate:
    """The Estimate of quantiles from their result rows (:func:`woodruff_row`, :func:`replicate_row`).

    Parameters
    ----------
    design : Design
        The design (what :func:`~citizensfirst.estimation.engine.finish` reads of it).
    variable : str
        The variable.
    plist : list of float
        The probabilities.
    rows : list of dict
        One row per probability and domain.
    domains : Domains
        The domains.
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom given by the caller.
    rules : QualityRules or None
        Flagging rules.
    interval : str
        The interval method.

    Returns
    -------
    Estimate
        One row per probability (and domain); ``deff`` is NaN.
    """
    table = pd.DataFrame(rows).sort_values(["g", "p"], kind="stable").reset_index(drop=True)
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


def _diagonal(values: np.ndarray) -> np.ndarray:
    """A covariance matrix known only on its diagonal (off-diagonal NaN, as R's quantiles)."""
    out = np.full((len(values), len(values)), np.nan)
    np.fill_diagonal(out, values)
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
        in_domain = np.zeros(len(x), dtype=bool)
        in_domain[ok] = True
        dfs = float(df) if df is not None else float(design.degrees_of_freedom(in_domain))
        out.append(replicate_row(reps, g, p, qhat[g], thetas, dfs, level, len(ok)))
    return out
