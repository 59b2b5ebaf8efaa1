"""The analysis methods of :class:`~citizensfirst.lazy.design.LazyDesign`: models, tests and tables.

A mixin, as :class:`~citizensfirst.lazy.weighting_methods.LazyWeighting`: each method forwards to
its lazy module (:mod:`~citizensfirst.lazy.models`, :mod:`~citizensfirst.lazy.inference`) with the in-memory method's name and signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import pandas as pd

from . import inference, models

if TYPE_CHECKING:
    from ..inference.glm import ModelResult
    from ..inference.results import TestResult
    from .design import LazyDesign

__all__ = ["LazyAnalysis"]


class LazyAnalysis:
    """``regress``, ``ttest``, ``chisq`` and ``table`` of a lazy design, by aggregation queries."""

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
