"""The result record of a driver analysis: :class:`DriverResult` (table, pairwise tests, replicate covariance).

Every interval in the table sits beside the value it bounds, on that value's scale: ``ci_low`` /
``ci_high`` bound ``importance`` (a part of R², for instance), ``share_ci_low`` / ``share_ci_high``
bound ``share`` (percent).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..estimation.intervals import IntervalInputs, check_level, interval
from ..estimation.labels import ResultLabels
from ..estimation.scales import Scale
from ..i18n import LANGUAGES, text

#: Columns of the table in the order :meth:`DriverResult.to_frame` gives them (each value beside its
#: standard error and interval).
COLUMNS = ("importance", "se", "ci_low", "ci_high", "share", "share_se", "share_ci_low", "share_ci_high",
           "rank", "mc_se", "mean", "performance", "performance_se", "n", "dropped", "vif")


@dataclass(frozen=True, eq=False)
class DriverResult:
    """Result of :func:`driver_importance`.

    ``table`` (one row per driver): ``importance`` (raw measure; for ``shapley``,
    ``relative_weights`` and ``pratt`` a part of R^2), ``share`` (percent, sums to 100; based on
    absolute values for ``beta`` and ``correlation``), ``rank`` (1 = most important), ``se``,
    ``ci_low``, ``ci_high`` (replicate-weight standard error and t interval on ``df`` degrees of
    freedom of ``importance``; NaN without replicate weights), ``share_se``, ``share_ci_low``,
    ``share_ci_high`` (the same for ``share``, in percent), ``mc_se`` (Monte Carlo standard
    error of sampled Shapley values; 0 when exact), ``mean`` (weighted mean of the driver),
    ``performance`` (``mean`` rescaled to 0-100 with the driver's scale; NaN without scales),
    ``performance_se``, ``n`` (complete cases used), ``dropped`` (rows with this driver missing),
    ``vif``.

    ``pairwise``: one row per pair of drivers, ``difference = importance_a - importance_b`` with
    ``se`` (from the replicate covariance ``vcov``: ``V_aa + V_bb - 2 V_ab``), the t statistic
    ``t``, its two-sided ``p_value`` on ``df`` degrees of freedom, ``ci_low`` and ``ci_high``.

    ``vcov`` is the replicate covariance of the importance values (``ReplicateWeights.vcov``,
    the engine of every design estimate) and ``df`` the degrees of freedom of the intervals and
    tests (the design's; NaN without replicates). ``scales`` holds each driver's rating scale
    (None where unknown; empty when the result was built without them).
    """

    table: pd.DataFrame
    pairwise: pd.DataFrame
    method: str
    outcome: str
    drivers: tuple[str, ...]
    r2: float
    r2_se: float
    n: int
    n_rows: int
    n_dropped: int
    n_outcome_missing: int
    condition_number: float
    exact: bool
    n_replicates: int
    level: float
    replicate_importance: np.ndarray | None = field(default=None, repr=False)
    vcov: np.ndarray | None = field(default=None, repr=False)
    df: float = math.nan
    scales: tuple[Scale | None, ...] = ()
    labels: ResultLabels = field(default_factory=ResultLabels, repr=False)

    def label_map(self, language: str = "en") -> dict[str, str]:
        """The wording of the outcome and of each driver that has one, in ``language``.

        A design's driver analysis copies them from its codebook (an outcome averaged from several
        items is named by their labels); charts and displays use them by default.

        Parameters
        ----------
        language : str, default "en"
            ``"en"`` or ``"fr"``.

        Returns
        -------
        dict of str to str
            Variable name to label (names without a label are left out).
        """
        return {name: self.labels.variable_label(name, language)
                for name in (self.outcome, *self.drivers) if name in self.labels.variables}

    def __post_init__(self) -> None:
        table = self.table
        if "share_se" in table and "share_ci_low" not in table:
            low, high = interval("t", IntervalInputs(table["share"].to_numpy(float), table["share_se"].to_numpy(float),
                                                     np.full(len(table), self.df), check_level(self.level)))
            table = table.assign(share_ci_low=low, share_ci_high=high)
        object.__setattr__(self, "table", table[[c for c in COLUMNS if c in table]
                                                + [c for c in table if c not in COLUMNS]])

    def to_frame(self) -> pd.DataFrame:
        """The per-driver table without the columns that say nothing for this result.

        ``mc_se`` is left out when the Shapley values are exact (it is 0), the performance columns
        when no driver has a scale, and the standard errors and intervals without replicate weights
        (they are NaN). Each interval sits beside the value it bounds, on its scale.

        Returns
        -------
        pandas.DataFrame
            The per-driver table.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from citizensfirst.drivers import driver_importance
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "y"])
        >>> frame = driver_importance(df, "y", ["a", "b"], np.ones(50)).to_frame()
        >>> frame.index.tolist(), "mc_se" in frame, "performance" in frame
        (['a', 'b'], False, False)
        """
        t = self.table
        kept = ("importance", "share", "rank", "mean", "n", "dropped", "vif")
        empty = {str(c) for c in t if c not in kept and pd.api.types.is_numeric_dtype(t[c]) and t[c].isna().all()}
        if self.exact:
            empty.add("mc_se")
        if t["performance"].isna().all():
            empty.add("performance_se")
        return t.drop(columns=[c for c in t if c in empty])

    def common_scale(self) -> Scale:
        """The one rating scale all drivers share, or a DataError saying which have none or differ.

        An importance-performance quadrant compares performances across drivers, so it needs this.

        Returns
        -------
        Scale
            The drivers' common scale.

        Raises
        ------
        DataError
            When a driver has no known scale or the drivers' scales differ.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from citizensfirst.drivers import driver_importance
        >>> df = pd.DataFrame(np.random.default_rng(1).normal(size=(60, 3)), columns=["a", "b", "y"])
        >>> driver_importance(df, "y", ["a", "b"], np.ones(60), scales=(-5, 5)).common_scale()
        Scale(low=-5.0, high=5.0)
        >>> driver_importance(df, "y", ["a", "b"], np.ones(60), scales={"a": (1, 5), "b": (0, 100)}).common_scale()
        Traceback (most recent call last):
        ...
        citizensfirst.errors.DataError: an importance-performance quadrant needs every driver on one known rating scale; the drivers' scales differ: 'a' 1-5, 'b' 0-100 (analyse the drivers asked on one scale together)
        """
        what = "an importance-performance quadrant needs every driver on one known rating scale"
        scales = self.scales or (None,) * len(self.drivers)
        unknown = [d for d, s in zip(self.drivers, scales, strict=True) if s is None]
        if unknown:
            names = ", ".join(repr(d) for d in unknown)
            raise DataError(f"{what}; no scale for {names} (give scales=(low, high), or declare the scale "
                            "in the codebook)")
        known = [s for s in scales if s is not None]
        if len(set(known)) > 1:
            listed = ", ".join(f"{d!r} {s.low:g}-{s.high:g}" for d, s in zip(self.drivers, known, strict=True))
            raise DataError(f"{what}; the drivers' scales differ: {listed} (analyse the drivers asked on one "
                            "scale together)")
        return known[0]

    def __repr__(self) -> str:
        top = self.table.sort_values("rank").head(3)
        leaders = ", ".join(f"{d} {v:.1f}%" for d, v in zip(top.index, top["share"], strict=True))
        return (f"<DriverResult {self.method}: {self.outcome} on {len(self.drivers)} drivers, "
                f"R\u00b2 = {self.r2:.3f}, n = {self.n}; top: {leaders}>")

    @property
    def estimate(self) -> pd.Series:
        """The importance of each driver (indexed by driver), as ``Estimate.estimate``.

        Returns
        -------
        pandas.Series
            The importance values.
        """
        return self.table["importance"].copy()

    @property
    def se(self) -> pd.Series:
        """The replicate standard error of each importance (NaN without replicate weights).

        Returns
        -------
        pandas.Series
            The standard errors.
        """
        return self.table["se"].copy()

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Limits ``importance +/- t(df) se`` (``ci_low``, ``ci_high`` per driver).

        Parameters
        ----------
        level : float or None, optional
            Confidence level; None uses the result's own (the table's columns).

        Returns
        -------
        pandas.DataFrame
            ``ci_low`` and ``ci_high`` per driver.
        """
        if level is None or level == self.level:
            return self.table[["ci_low", "ci_high"]].copy()
        low, high = interval("t", IntervalInputs(self.table["importance"].to_numpy(float),
                                                 self.table["se"].to_numpy(float), np.full(len(self.table), self.df),
                                                 check_level(level)))
        return pd.DataFrame({"ci_low": low, "ci_high": high}, index=self.table.index)

    def _repr_html_(self) -> str:
        t = self.table.sort_values("rank")
        has_ci = bool(np.isfinite(t["share_ci_low"]).any())
        has_perf = bool(t["performance"].notna().any())
        head = ["Driver", "Share (%)"] + (["95% CI (%)"] if has_ci else []) + ["Rank"]
        head += (["Performance (0-100)"] if has_perf else ["Mean"]) + ["VIF"]
        rows = []
        names = self.label_map()
        for driver, r in t.iterrows():
            cells = [f"{r['share']:.1f}"]
            if has_ci:
                cells.append(f"{r['share_ci_low']:.1f} to {r['share_ci_high']:.1f}")
            cells += [str(int(r["rank"])), f"{r['performance' if has_perf else 'mean']:.1f}", f"{r['vif']:.2f}"]
            shown = names.get(str(driver), str(driver))
            rows.append(f"<tr><th title=\"{html.escape(str(driver))}\">{html.escape(shown)}</th>"
                        + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        outcome = names.get(self.outcome, self.outcome)
        caption = (f"Driver importance ({html.escape(self.method)}) for {html.escape(outcome)}: "
                   f"R&sup2; = {self.r2:.3f}, n = {self.n}")
        header = "".join(f"<th>{h}</th>" for h in head)
        return (f"<table><caption>{caption}</caption><thead><tr>{header}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")


def driver_labels(codebook: Any, items: Sequence[str], drivers: Sequence[str], outcome: str) -> ResultLabels:
    """The labels a driver analysis carries: each item's and driver's, and the outcome's.

    Parameters
    ----------
    codebook : Codebook or None
        The design's codebook (None: no labels).
    items : sequence of str
        The outcome item(s); several are averaged into the index named ``outcome``.
    drivers : sequence of str
        The drivers.
    outcome : str
        The result's outcome name (the item, or ``"mean(a, b)"`` for an index).

    Returns
    -------
    ResultLabels
        The labels, in every language; an index is "Mean of" its items' labels.
    """
    found = ResultLabels.from_codebook(codebook, [*items, *drivers])
    if len(items) < 2 or outcome in found.variables:
        return found
    index = {lang: text("mean_of_items", lang).format(
        items="; ".join(found.variable_label(item, lang) for item in items)) for lang in LANGUAGES}
    return replace(found, variables={**found.variables, outcome: index})
