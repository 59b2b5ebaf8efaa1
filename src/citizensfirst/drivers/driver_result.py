"""The result record of a driver analysis: :class:`DriverResult` (table, pairwise tests, replicate covariance)."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..estimation.intervals import IntervalInputs, check_level, interval


@dataclass(frozen=True, eq=False)
class DriverResult:
    """Result of :func:`driver_importance`.

    ``table`` (one row per driver): ``importance`` (raw measure; for ``shapley``,
    ``relative_weights`` and ``pratt`` a part of R^2), ``share`` (percent, sums to 100; based on
    absolute values for ``beta`` and ``correlation``), ``rank`` (1 = most important), ``se``,
    ``ci_low``, ``ci_high`` (replicate-weight standard error and t interval on ``df`` degrees of
    freedom of ``importance``; NaN without replicate weights), ``share_se``, ``mc_se`` (Monte Carlo standard
    error of sampled Shapley values; 0 when exact), ``mean`` (weighted mean of the driver),
    ``performance`` (``mean`` rescaled to 0-100 with the driver's scale; NaN without scales),
    ``performance_se``, ``n`` (complete cases used), ``dropped`` (rows with this driver missing),
    ``vif``.

    ``pairwise``: one row per pair of drivers, ``difference = importance_a - importance_b`` with
    ``se`` (from the replicate covariance ``vcov``: ``V_aa + V_bb - 2 V_ab``), the t statistic
    ``t``, its two-sided ``p_value`` on ``df`` degrees of freedom, ``ci_low`` and ``ci_high``.

    ``vcov`` is the replicate covariance of the importance values (``ReplicateWeights.vcov``,
    the engine of every design estimate) and ``df`` the degrees of freedom of the intervals and
    tests (the design's; NaN without replicates).
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

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-driver table.

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
        >>> driver_importance(df, "y", ["a", "b"], np.ones(50)).to_frame().index.tolist()
        ['a', 'b']
        """
        return self.table.copy()

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
        cols = ["importance", "share", "rank", "se", "ci_low", "ci_high", "performance", "n", "dropped", "vif"]
        caption = (
            f"Driver importance ({html.escape(self.method)}) for "
            f"{html.escape(str(self.outcome))}: R&sup2; = {self.r2:.4f}, n = {self.n}, "
            f"condition number = {self.condition_number:.3g}"
        )
        body = self.table[cols].to_html(float_format=lambda v: f"{v:.4g}", na_rep="")
        return f"<div><p>{caption}</p>{body}</div>"
