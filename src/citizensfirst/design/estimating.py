"""The estimator methods of :class:`~citizensfirst.Design` (mean, total, proportion, ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..estimation import estimators, quantiles
from .setup import DesignBase

if TYPE_CHECKING:
    from ..estimation.quality import QualityRules
    from ..estimation.result import Estimate


class EstimatorMethods(DesignBase):
    """Estimators on a design, each returning an :class:`~citizensfirst.estimation.result.Estimate`."""

    def mean(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        missing: str = "available",
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Weighted means with design-based standard errors (R's ``svymean``).

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain variables: one estimate per domain (R's ``svyby``).
        missing : {"available", "listwise"}, default "available"
            ``available``: each variable uses its own non-missing rows; ``listwise``: only
            rows with every variable.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect (``auto``: ``srswor`` with an fpc, else
            ``replace``; None: no design effect).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            Estimates, standard errors, intervals and quality flags.

        Raises
        ------
        DataError
            Unknown or non-numeric columns, or an unknown ``missing`` or ``deff``.

        See Also
        --------
        citizensfirst.estimators.mean

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]})
        >>> round(Design(df, weights="w").mean("y").estimate, 4)
        2.8333
        """
        return estimators.mean(
            self._as_design(), variables, by=by, missing=missing, deff=deff, level=level, df=df,
            rules=rules,
        )

    def total(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        missing: str = "available",
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Weighted totals with design-based standard errors (R's ``svytotal``).

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain variables: one estimate per domain.
        missing : {"available", "listwise"}, default "available"
            ``available``: each variable uses its own non-missing rows; ``listwise``: only
            rows with every variable.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect (``auto``: ``srswor`` with an fpc, else
            ``replace``; None: no design effect).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            Estimates, standard errors, intervals and quality flags.

        Raises
        ------
        DataError
            Unknown or non-numeric columns, or an unknown ``missing`` or ``deff``.

        See Also
        --------
        citizensfirst.estimators.total

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]})
        >>> float(Design(df, weights="w").total("y").estimate)
        17.0
        """
        return estimators.total(
            self._as_design(), variables, by=by, missing=missing, deff=deff, level=level, df=df,
            rules=rules,
        )

    def proportion(
        self,
        variable: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        ci: str = "logit",
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Proportion (0-1) of every observed level of ``variable``, with intervals.

        Parameters
        ----------
        variable : str or sequence of str
            Categorical column.
        by : str or sequence of str, optional
            Domain variables: one set of proportions per domain.
        ci : {"logit", "wald", "wilson", "beta", "asin", "xlogit"}, default "logit"
            Interval method (as R's ``svyciprop``).
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect (``auto``: ``srswor`` with an fpc, else
            ``replace``; None: no design effect).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            One row per level (per domain).

        Raises
        ------
        DataError
            Unknown column or interval method.

        See Also
        --------
        citizensfirst.estimators.proportion

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"g": list("aaab")})
        >>> Design(df).proportion("g").estimate.tolist()
        [0.75, 0.25]
        """
        return estimators.proportion(
            self._as_design(), variable, by=by, ci=ci, deff=deff, level=level, df=df, rules=rules,
        )

    def count(
        self,
        variable: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Estimated population count of every level of ``variable`` (``svytotal`` of a factor).

        Parameters
        ----------
        variable : str or sequence of str
            Categorical column.
        by : str or sequence of str, optional
            Domain variables: one set of counts per domain.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect (``auto``: ``srswor`` with an fpc, else
            ``replace``; None: no design effect).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            One row per level (per domain).

        Raises
        ------
        DataError
            Unknown column.

        See Also
        --------
        citizensfirst.estimators.count

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"g": list("aaab"), "w": [1.0, 1, 1, 5]})
        >>> Design(df, weights="w").count("g").estimate.tolist()
        [3.0, 5.0]
        """
        return estimators.count(
            self._as_design(), variable, by=by, deff=deff, level=level, df=df, rules=rules,
        )

    def ratio(
        self,
        numerator: str | Sequence[str],
        denominator: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Ratios of totals, every numerator over every denominator (R's ``svyratio``).

        Parameters
        ----------
        numerator, denominator : str or sequence of str
            Numeric columns; rows missing either are left out of that ratio.
        by : str or sequence of str, optional
            Domain variables: one set of ratios per domain.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect (``auto``: ``srswor`` with an fpc, else
            ``replace``; None: no design effect).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            One row per numerator/denominator pair (per domain).

        Raises
        ------
        DataError
            Unknown or non-numeric columns.

        See Also
        --------
        citizensfirst.estimators.ratio

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3], "x": [2.0, 2, 2]})
        >>> float(Design(df).ratio("y", "x").estimate)
        1.0
        """
        return estimators.ratio(
            self._as_design(), numerator, denominator, by=by, deff=deff, level=level, df=df,
            rules=rules,
        )

    def variance(
        self,
        variables: str | Sequence[str],
        *,
        by: str | Sequence[str] | None = None,
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Design-based estimate of the population variance (divisor n-1, R's ``svyvar``).

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain variables: one estimate per domain.
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            Variance estimates with their standard errors.

        Raises
        ------
        DataError
            Unknown or non-numeric columns.

        See Also
        --------
        citizensfirst.estimators.variance

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4]})
        >>> round(float(Design(df).variance("y").estimate), 4)
        1.6667
        """
        return estimators.variance(
            self._as_design(), variables, by=by, level=level, df=df, rules=rules,
        )

    def quantile(
        self,
        variable: str,
        probs: float | Sequence[float] = (0.5,),
        *,
        by: str | Sequence[str] | None = None,
        rule: str = "math",
        interval: str = "mean",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """Quantiles with Woodruff confidence intervals (R's ``svyquantile``).

        Parameters
        ----------
        variable : str
            Numeric column.
        probs : float or sequence of float, default (0.5,)
            Probabilities in [0, 1].
        by : str or sequence of str, optional
            Domain variables: one set of quantiles per domain.
        rule : str, default "math"
            Quantile rule (R's ``qrule``).
        interval : {"mean", "beta", "xlogit", "asin", "quantile"}, default "mean"
            Interval on the CDF scale (``quantile``: replicate designs only).
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom for the t intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            One row per probability (per domain); design effects are NaN.

        Raises
        ------
        DataError
            Unknown column, rule or interval, or probabilities outside [0, 1].

        See Also
        --------
        citizensfirst.estimation.quantiles.quantile

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]})
        >>> float(Design(df).quantile("y", 0.5).estimate)
        3.0
        """
        return quantiles.quantile(
            self._as_design(), variable, probs, by=by, rule=rule, interval=interval, level=level,
            df=df, rules=rules,
        )
