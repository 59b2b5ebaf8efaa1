"""Quantiles of a lazy design, with Woodruff or replicate intervals (as ``svyquantile``).

The quantile of every domain comes from :class:`~citizensfirst.lazy.cdf.CdfSearch` (bounded
aggregation queries, the in-memory rule on a short table). Woodruff's interval needs the
design-based SE of the CDF at the estimate: a lazy mean of the indicator ``x <= q_hat`` (one
query through :func:`~citizensfirst.lazy.sums.ratio_sums`, every probability at once), then the
quantiles at the interval's CDF bounds (one more search). A replicate design's
``interval="quantile"`` searches the quantile under every replicate weight in the same queries
(``SUM(a_r)`` by value bins). Rows, intervals and the Estimate are those of
:mod:`citizensfirst.estimation.quantiles`.

>>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
>>> pd.DataFrame({"y": [1.0, 2, 3, 4, 5]}).to_parquet(path)
>>> float(cf.scan_survey(path).quantile("y", 0.5).estimate)
3.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..design.setup import as_list, check_columns
from ..errors import DataError
from ..estimation.engine import ONES, Domains
from ..estimation.quality import QualityRules
from ..estimation.quantiles import (
    quantile_estimate,
    quantile_probabilities,
    replicate_row,
    woodruff_bounds,
    woodruff_row,
)
from ..estimation.result import Estimate
from . import variances
from .cdf import CdfSearch
from .estimators import described
from .sums import Items, domain_weight, ratio_sums, replicate_degrees_of_freedom

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["DistributionMethods", "domain_frame", "quantile"]


def domain_frame(design: LazyDesign, by: Sequence[str]) -> pd.DataFrame:
    """The domains of ``by`` (values with a row in the design's domain), sorted as in memory.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    by : sequence of str
        Domain columns (checked to exist).

    Returns
    -------
    pandas.DataFrame
        One row per domain with the ``by`` values (one row and no column without ``by``).

    Raises
    ------
    DataError
        If a ``by`` column is unknown.
    """
    names = list(by)
    check_columns(pd.DataFrame(columns=design.columns), names, "by", design.source)
    if not names:
        return pd.DataFrame(index=[0])
    inside = "COUNT(*)" if design.domain_sql is None else (
        f"SUM(CASE WHEN {design.domain_sql} THEN 1 ELSE 0 END)")
    answer = design.backend.aggregate({"__cf_d": inside}, by=names)
    valid = answer[names].notna().all(axis=1).to_numpy()
    counts = answer.loc[valid].groupby(names, sort=True)["__cf_d"].sum()
    return counts[counts > 0].reset_index()[names]


def _indicator(search: CdfSearch, x: str, qhat: np.ndarray) -> str:
    """SQL of ``x <= q_hat`` of the row's domain (NULL where x is missing or outside every domain)."""
    branches = []
    for g, q in enumerate(qhat):
        inside = "0.0" if np.isnan(q) else (
            f"(CASE WHEN {x} <= {search.backend.literal(float(q))} THEN 1.0 ELSE 0.0 END)")
        branches.append(f"WHEN {search.domain_sql(g)} THEN {inside}")
    return f"(CASE WHEN {x} IS NULL THEN NULL {' '.join(branches)} ELSE NULL END)"


def quantile(design: LazyDesign, variable: str, probs: float | Sequence[float] = (0.5,), *,
             by: str | Sequence[str] | None = None, rule: str = "math", interval: str = "mean",
             level: float = 0.95, df: float | None = None,
             rules: QualityRules | None = None) -> Estimate:
    """Quantiles with Woodruff or replicate intervals (as :func:`citizensfirst.estimation.quantiles.quantile`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variable : str
        Numeric column.
    probs : float or sequence of float, default (0.5,)
        Probabilities in [0, 1].
    by : str or sequence of str, optional
        Domain columns.
    rule : str, default 'math'
        Quantile rule, one of :data:`~citizensfirst.estimation.quantile_rules.RULES`.
    interval : str, default 'mean'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.QUANTILE_METHODS`.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per probability (and domain), as in memory.

    Raises
    ------
    DataError
        If ``rule`` or ``interval`` is unknown, a probability lies outside [0, 1], or
        ``interval='quantile'`` is asked of a design without replicate weights.
    NotLazyError
        If the values near a quantile cannot be brought in bounded memory (see
        :class:`~citizensfirst.lazy.cdf.CdfSearch`).
    """
    plist = quantile_probabilities(probs, rule, interval)
    names = as_list(by)
    x = design.numeric_sql(variable)
    frame = domain_frame(design, names)
    weights = [domain_weight(design)]
    replicates = design.replicate_weights
    if interval == "quantile":
        if replicates is None:
            raise DataError("interval='quantile' needs a replicate design (see Design.as_replicate)")
        weights += [a if design.domain_sql is None else
                     f"(CASE WHEN {design.domain_sql} THEN {a} ELSE 0.0 END)" for a in design.replicate_sql]
    search = CdfSearch(design, x, names, frame, weights, rule)
    count = len(frame)
    qhat = search.quantiles([(g, 0, p) for p in plist for g in range(count)]).reshape(len(plist), count)
    domains = Domains(np.empty(0, dtype=np.int64), frame)
    if interval == "quantile":
        assert replicates is not None
        rows = _replicate_rows(design, search, x, plist, qhat, level, df)
    else:
        rows, domains = _woodruff_rows(design, search, x, plist, qhat, level, df, interval)
    return quantile_estimate(described(design), variable, plist, rows, domains, level=level, df=df,
                             rules=rules, interval=interval)


def _woodruff_rows(design: LazyDesign, search: CdfSearch, x: str, plist: list[float],
                   qhat: np.ndarray, level: float, df: float | None, interval: str
                   ) -> tuple[list[dict[str, Any]], Domains]:
    """Woodruff rows: the CDF at every estimate (one query), then the quantiles at its bounds."""
    items = Items(tuple(_indicator(search, x, q) for q in qhat), ONES)
    cdf, domains = ratio_sums(design, items, search.by, None)
    count, k = len(search.domains), len(plist)
    if domains.count != count:  # the same domains by construction; a guard against drift
        raise DataError(f"{design.source}: the domains of the quantile and of its CDF differ")
    bounds = []
    for i in range(k):
        idx = np.arange(count) * k + i
        one = {"estimate": cdf["estimate"][idx], "vcov": cdf["vcov"][np.ix_(idx, idx)],
               "n": cdf["n"][idx], "df": cdf["df"][idx]}
        bounds.append((one, *woodruff_bounds(one, level, df, interval)))
    asked = [(g, 0, float(pb[g])) for _, low, high, _, _ in bounds for pb in (low, high)
             for g in range(count) if 0 <= pb[g] <= 1]
    found = dict(zip(((g, p) for g, _, p in asked), search.quantiles(asked), strict=True))
    rows = []
    for i, (one, low, high, dfs, crit) in enumerate(bounds):
        for g in range(count):
            lo = found.get((g, float(low[g])), np.nan) if 0 <= low[g] <= 1 else np.nan
            hi = found.get((g, float(high[g])), np.nan) if 0 <= high[g] <= 1 else np.nan
            rows.append(woodruff_row(g, plist[i], qhat[i, g], lo, hi, crit[g], one["n"][g], dfs[g]))
    return rows, domains


def _replicate_rows(design: LazyDesign, search: CdfSearch, x: str, plist: list[float],
                    qhat: np.ndarray, level: float, df: float | None) -> list[dict[str, Any]]:
    """Replicate rows: the quantile under every replicate weight, searched in the same queries."""
    replicates = design.replicate_weights
    assert replicates is not None
    count, r = len(search.domains), replicates.n_replicates
    asked = [(g, 1 + j, p) for p in plist for g in range(count) for j in range(r)]
    thetas = search.quantiles(asked).reshape(len(plist), count, r)
    usable = f"{x} IS NOT NULL" + (f" AND {design.domain_sql}" if design.domain_sql else "")
    dfs = replicate_degrees_of_freedom(design, search.by, usable) if df is None else {}
    rows = []
    for i, p in enumerate(plist):
        for g in range(count):
            key = tuple(search.domains.iloc[g][b] for b in search.by)
            degrees = float(df) if df is not None else float(dfs.get(key, 0))
            n = float(np.nan_to_num(search.summary["rows"].iloc[g]))
            rows.append(replicate_row(replicates, g, p, qhat[i, g], thetas[i, g], degrees, level, n))
    return rows


class DistributionMethods:
    """``quantile`` and ``variance`` of :class:`~citizensfirst.lazy.design.LazyDesign` (same
    signatures as :class:`~citizensfirst.Design`'s)."""

    def _lazy(self) -> LazyDesign:
        return cast("LazyDesign", self)

    def quantile(self, variable: str, probs: float | Sequence[float] = (0.5,), *,
                 by: str | Sequence[str] | None = None, rule: str = "math", interval: str = "mean",
                 level: float = 0.95, df: float | None = None,
                 rules: QualityRules | None = None) -> Estimate:
        """Quantiles with Woodruff or replicate intervals (as :meth:`citizensfirst.Design.quantile`).

        Parameters
        ----------
        variable : str
            Numeric column.
        probs : float or sequence of float, default (0.5,)
            Probabilities in [0, 1].
        by : str or sequence of str, optional
            Domain columns.
        rule : str, default 'math'
            Quantile rule, one of :data:`~citizensfirst.estimation.quantile_rules.RULES`.
        interval : str, default 'mean'
            Interval method, one of :data:`~citizensfirst.estimation.intervals.QUANTILE_METHODS`.
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom of the intervals (default: the design's).
        rules : QualityRules, optional
            Quality rules for the flags.

        Returns
        -------
        Estimate
            As in memory.
        """
        return quantile(self._lazy(), variable, probs, by=by, rule=rule, interval=interval,
                        level=level, df=df, rules=rules)

    def variance(self, variables: str | Sequence[str], *, by: str | Sequence[str] | None = None,
                 level: float = 0.95, df: float | None = None,
                 rules: QualityRules | None = None) -> Estimate:
        """Population variances, divisor n - 1 (as :meth:`citizensfirst.Design.variance`).

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain columns.
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom of the intervals (default: the design's).
        rules : QualityRules, optional
            Quality rules for the flags.

        Returns
        -------
        Estimate
            As in memory.
        """
        return variances.variance(self._lazy(), variables, by=by, level=level, df=df, rules=rules)
