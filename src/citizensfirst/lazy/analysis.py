"""The analysis methods of :class:`~citizensfirst.lazy.design.LazyDesign`: models, tests and tables.

A mixin, as :class:`~citizensfirst.lazy.weighting_methods.LazyWeighting`: each method forwards to
its lazy module (:mod:`~citizensfirst.lazy.models`, :mod:`~citizensfirst.lazy.inference`) with the in-memory method's name and signature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from . import drivers as lazy_drivers
from . import inference, models

if TYPE_CHECKING:
    from ..drivers.driver_result import DriverResult
    from ..inference.glm import ModelResult
    from ..inference.results import TestResult
    from .design import LazyDesign

__all__ = ["LazyAnalysis"]


class LazyAnalysis:
    """``regress``, ``ttest``, ``chisq``, ``table`` and ``drivers`` of a lazy design, by aggregation queries."""

    def _lazy(self) -> LazyDesign:
        return cast("LazyDesign", self)

    def regress(self, formula: str, family: str = "gaussian", *, level: float = 0.95) -> ModelResult:
        """Survey-weighted GLM (as :meth:`citizensfirst.Design.regress`), one query per IRLS step.

        Parameters
        ----------
        formula : str
            Patsy formula such as ``"y ~ x + C(g)"`` (numeric columns as plain names).
        family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}
            Error family with its canonical link; default "gaussian".
        level : float, default 0.95
            Confidence level of the coefficient intervals.

        Returns
        -------
        ModelResult
            As in memory.
        """
        return models.regress(self._lazy(), formula, family, level=level)

    def ttest(self, variable: str, by: str | None = None, mu: float = 0.0, *,
              level: float = 0.95) -> TestResult:
        """Design-based t test (as :meth:`citizensfirst.Design.ttest`).

        Parameters
        ----------
        variable : str
            Numeric column.
        by : str, optional
            A two-level grouping: test the difference in means (second level minus first).
        mu : float, default 0.0
            Hypothesised mean for the one-sample test.
        level : float, default 0.95
            Confidence level of the interval.

        Returns
        -------
        TestResult
            As in memory.
        """
        return inference.ttest(self._lazy(), variable, by, mu, level=level)

    def chisq(self, row_var: str, col_var: str, statistic: str = "F") -> TestResult:
        """Rao-Scott test of independence (as :meth:`citizensfirst.Design.chisq`).

        Parameters
        ----------
        row_var, col_var : str
            Categorical columns.
        statistic : {"F", "Chisq", "Wald", "adjWald", "saddlepoint", "lincom"}, default "F"
            Test statistic.

        Returns
        -------
        TestResult
            As in memory.
        """
        return inference.chisq(self._lazy(), row_var, col_var, statistic)

    def table(self, row_var: str, col_var: str | None = None) -> pd.DataFrame:
        """Weighted counts (as :meth:`citizensfirst.Design.table`), by one query.

        Parameters
        ----------
        row_var : str
            Categorical column for the rows.
        col_var : str, optional
            Categorical column for the columns.

        Returns
        -------
        pandas.DataFrame
            As in memory.
        """
        return inference.table(self._lazy(), row_var, col_var)

    def drivers(self, outcome: str | Sequence[str], drivers: Sequence[str], *, by: str | None = None,
                method: str = "shapley", ci: str | None = "replicate", replicates: int = 200,
                seed: int | None = 1, scales: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
                missing: str = "listwise", min_n: int = 30, level: float = 0.95, max_exact: int = 20,
                n_permutations: int = 2000, warn_collinearity: bool = True) -> DriverResult | dict[Any, DriverResult]:
        """Relative importance of drivers (as :meth:`citizensfirst.Design.drivers`), from weighted sums.

        Parameters
        ----------
        outcome : str or sequence of str
            Outcome column, or items averaged into an outcome index.
        drivers : sequence of str
            Driver columns.
        by : str, optional
            One analysis per level of this column.
        method : str, default "shapley"
            The importance measure.
        ci : {"replicate", "bootstrap", None}, default "replicate"
            Replicate intervals (a Taylor design: bootstrap of its PSUs); None for none.
        replicates : int, default 200
            Bootstrap replicates.
        seed : int, optional, default 1
            Seed of the bootstrap.
        scales : (low, high) or mapping, optional
            Rating scales of the drivers (default: the codebook's).
        missing : {"listwise"}, default "listwise"
            Incomplete rows are dropped.
        min_n : int, default 30
            Fewest complete cases accepted.
        level : float, default 0.95
            Confidence level.
        max_exact : int, default 20
            Most drivers for exact Shapley values.
        n_permutations : int, default 2000
            Orderings sampled otherwise.
        warn_collinearity : bool, default True
            Warn about highly collinear drivers.

        Returns
        -------
        DriverResult or dict
            As in memory.
        """
        return lazy_drivers.drivers(self._lazy(), outcome, drivers, by=by, method=method, ci=ci,
                                    replicates=replicates, seed=seed, scales=scales, missing=missing,
                                    min_n=min_n, level=level, max_exact=max_exact,
                                    n_permutations=n_permutations, warn_collinearity=warn_collinearity)
