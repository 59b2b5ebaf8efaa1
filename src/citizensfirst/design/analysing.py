"""The analysis methods of :class:`~citizensfirst.Design` (regress, tests, tables, drivers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..errors import DesignError
from ..io.codebook import warn_if_nominal
from .setup import _bootstrap_of_final_weights, _check_replicate_count

if TYPE_CHECKING:
    from ..drivers.analysis import DriverResult
    from ..estimation.quality import QualityRules
    from ..inference.glm import ModelResult
    from ..inference.tests import TestResult
    from ..tables.render import Table


class AnalysisMethods:
    """Models, tests, tables and driver analysis on a design."""

    def regress(self, formula: str, family: str = "gaussian", *, level: float = 0.95) -> ModelResult:
        """Survey-weighted generalised linear model (R's ``svyglm``).

        Parameters
        ----------
        formula : str
            Patsy formula such as ``"y ~ x + C(g)"``.
        family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}
            Error family with its canonical link; default "gaussian".
        level : float, default 0.95
            Confidence level of the coefficient intervals.

        Returns
        -------
        ModelResult
            Coefficients, design-based covariance and intervals.

        Raises
        ------
        DataError
            A bad formula, unknown family or a model that cannot be fitted.

        See Also
        --------
        citizensfirst.inference.regress

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "g": list("aabbcc")})
        >>> Design(df).regress("y ~ g").coefficients.index.tolist()
        ['(Intercept)', 'gb', 'gc']
        """
        from ..inference.glm import regress

        return regress(self, formula, family, level=level)

    def ttest(self, variable: str, by: str | None = None, mu: float = 0.0, *,
              level: float = 0.95) -> TestResult:
        """Design-based t test (R's ``svyttest``).

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
            Estimate, t statistic, degrees of freedom, p-value and interval.

        Raises
        ------
        DataError
            Degenerate tests: too few respondents, no degrees of freedom or zero variance.

        See Also
        --------
        citizensfirst.inference.ttest

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 6], "g": list("aaabbb")})
        >>> Design(df).ttest("y", by="g").parameters
        {'df': 4}
        """
        from ..inference.tests import ttest

        return ttest(self, variable, by, mu, level=level)

    def chisq(self, row_var: str, col_var: str, statistic: str = "F") -> TestResult:
        """Rao-Scott test of independence in a two-way table (R's ``svychisq``).

        Parameters
        ----------
        row_var, col_var : str
            Categorical columns.
        statistic : {"F", "Chisq", "Wald", "adjWald", "saddlepoint", "lincom"}, default "F"
            Test statistic.

        Returns
        -------
        TestResult
            Statistic, its degrees of freedom and p-value.

        Raises
        ------
        DataError
            Unknown columns or statistic, or a table with fewer than two rows or columns.

        See Also
        --------
        citizensfirst.inference.chisq

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"a": list("xxyyxy") * 5, "b": list("pqpqqq") * 5})
        >>> Design(df).chisq("a", "b").statistic_name
        'F'
        """
        from ..inference.tests import chisq

        return chisq(self, row_var, col_var, statistic)

    def table(self, row_var: str, col_var: str | None = None) -> pd.DataFrame:
        """Weighted counts (R's ``svytable``): a one-column frame, or a row x column table.

        Parameters
        ----------
        row_var : str
            Categorical column for the rows.
        col_var : str, optional
            Categorical column for the columns.

        Returns
        -------
        pandas.DataFrame
            Weighted counts.

        Raises
        ------
        DataError
            Unknown columns.

        See Also
        --------
        citizensfirst.inference.table

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("pqpp"), "w": [1.0, 2, 3, 4]})
        >>> Design(df, weights="w").table("a", "b").to_numpy().tolist()
        [[1.0, 2.0], [7.0, 0.0]]
        """
        from ..inference.tests import table

        return table(self, row_var, col_var)

    def crosstab(
        self,
        rows: str | Sequence[str],
        cols: str | None = None,
        stat: str = "percent",
        *,
        value: str | None = None,
        language: str = "en",
        alpha: float = 0.05,
        adjust: str = "none",
        rules: QualityRules | None = None,
        decimals: int = 1,
        scale: tuple[float, float] | None = None,
        level: float = 0.95,
        title: str | None = None,
    ) -> Table:
        """A table of ``rows`` by the categories of ``cols`` with column tests.

        Parameters
        ----------
        rows : str or sequence of str
            Row variable, or several items (``stat`` other than ``percent``, ``value=None``).
        cols : str, optional
            Column variable (None: the Total column alone).
        stat : {"percent", "mean", "top2", "score"}, default "percent"
            Cell statistic.
        value : str, optional
            Rated item when ``rows`` is a grouping variable (``mean``, ``top2``, ``score``).
        language : str, default "en"
            Language of labels and number formats.
        alpha : float, default 0.05
            Significance level of the column-letter tests.
        adjust : {"none", "holm", "bh"}, default "none"
            Multiple-comparison adjustment over the pairs in a row.
        rules : QualityRules, optional
            Quality (suppression) rules.
        decimals : int, default 1
            Decimals shown.
        scale : (float, float), optional
            Rating scale (default: the codebook's).
        level : float, default 0.95
            Confidence level of the estimates in the cells.
        title : str, optional
            Table title.

        Returns
        -------
        Table
            The table model, ready for ``to_frame`` or a writer.

        Raises
        ------
        DataError
            Unknown columns, statistic, language or adjustment.

        See Also
        --------
        citizensfirst.tables.crosstab, banner

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"ch": ["web", "phone", "web", "web"] * 50,
        ...                    "g": ["a"] * 100 + ["b"] * 100})
        >>> Design(df).crosstab("ch", "g").to_frame().loc["web"].tolist()
        ['75.0', '75.0', '75.0']
        """
        from ..tables.build import crosstab

        return crosstab(self, rows, cols, stat, value=value, language=language, alpha=alpha,
                        adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level,
                        title=title)

    def banner(
        self,
        rows: str | Sequence[str],
        cols: Sequence[str],
        stat: str = "percent",
        *,
        value: str | None = None,
        language: str = "en",
        alpha: float = 0.05,
        adjust: str = "none",
        rules: QualityRules | None = None,
        decimals: int = 1,
        scale: tuple[float, float] | None = None,
        level: float = 0.95,
        title: str | None = None,
    ) -> Table:
        """A banner: a Total column, then the categories of each of ``cols`` side by side.

        Parameters
        ----------
        rows : str or sequence of str
            Row variable, or several items (``stat`` other than ``percent``, ``value=None``).
        cols : sequence of str
            Column variables; letters run on across the banner.
        stat : {"percent", "mean", "top2", "score"}, default "percent"
            Cell statistic.
        value : str, optional
            Rated item when ``rows`` is a grouping variable (``mean``, ``top2``, ``score``).
        language : str, default "en"
            Language of labels and number formats.
        alpha : float, default 0.05
            Significance level of the column-letter tests.
        adjust : {"none", "holm", "bh"}, default "none"
            Multiple-comparison adjustment over the pairs of one variable in a row.
        rules : QualityRules, optional
            Quality (suppression) rules.
        decimals : int, default 1
            Decimals shown.
        scale : (float, float), optional
            Rating scale (default: the codebook's).
        level : float, default 0.95
            Confidence level of the estimates in the cells.
        title : str, optional
            Table title.

        Returns
        -------
        Table
            The table model, ready for ``to_frame`` or a writer.

        Raises
        ------
        DataError
            Unknown columns, statistic, language or adjustment.

        See Also
        --------
        citizensfirst.tables.banner

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"ch": ["web", "phone"] * 20, "age": ["y"] * 20 + ["o"] * 20})
        >>> [c.header for c in Design(df).banner("ch", ["age"]).columns]
        ['Total', 'o (A)', 'y (B)']
        """
        from ..tables.build import banner

        return banner(self, rows, cols, stat, value=value, language=language, alpha=alpha,
                      adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level,
                      title=title)

    def drivers(
        self,
        outcome: str | Sequence[str],
        drivers: Sequence[str],
        *,
        method: Literal["shapley", "relative_weights", "beta", "betasq", "correlation", "first",
                        "last", "pratt"] = "shapley",
        ci: str | None = "replicate",
        replicates: int = 200,
        seed: int | None = 1,
        scales: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
        missing: Literal["listwise"] = "listwise",
        min_n: int = 30,
        level: float = 0.95,
        max_exact: int = 20,
        n_permutations: int = 2000,
        warn_collinearity: bool = True,
    ) -> DriverResult:
        """Relative importance of ``drivers`` for ``outcome``, with design-based intervals.

        An outcome or driver the codebook calls nominal gives a
        :class:`~citizensfirst.errors.NominalVariableWarning`.

        Parameters
        ----------
        outcome : str or sequence of str
            Outcome column, or items averaged into an outcome index.
        drivers : sequence of str
            Driver columns (numeric).
        method : str, default "shapley"
            ``shapley`` (LMG), ``relative_weights``, ``beta``, ``betasq``, ``correlation``,
            ``first``, ``last`` or ``pratt``.
        ci : {"replicate", "bootstrap", None}, default "replicate"
            ``replicate`` uses the design's replicate weights or, on a Taylor design, a
            bootstrap of PSUs within strata applied to the final weights; ``bootstrap`` always
            bootstraps; None skips intervals.
        replicates : int, default 200
            Bootstrap replicates (a whole number >= 2 unless ``ci=None``).
        seed : int, optional, default 1
            Seed of the bootstrap replicates.
        scales : (low, high) or mapping, optional
            Rating scale of all drivers or per driver, for 0-100 performance scores
            (default: the codebook's).
        missing : {"listwise"}, default "listwise"
            Rows missing the outcome or any driver are dropped.
        min_n : int, default 30
            Fewest complete cases accepted.
        level : float, default 0.95
            Confidence level.
        max_exact : int, default 20
            Most drivers for exact Shapley values (else permutation sampling).
        n_permutations : int, default 2000
            Orderings sampled when Shapley values are not exact.
        warn_collinearity : bool, default True
            Warn about highly collinear drivers.

        Returns
        -------
        DriverResult
            Importance, shares, performance and their intervals per driver.

        Raises
        ------
        DesignError
            An unknown ``ci`` or an invalid ``replicates``.
        DataError
            Unknown or non-numeric columns, or fewer than ``min_n`` complete cases.

        See Also
        --------
        citizensfirst.drivers.driver_importance
        """
        from ..drivers.analysis import driver_importance

        names = [outcome] if isinstance(outcome, str) else list(outcome)
        warn_if_nominal(self._codebook, self._data, [*names, *drivers], "a driver analysis", stacklevel=3)
        weights = self._weights * self._domain
        reps = self._replicates
        rep_args: dict[str, Any] = {}
        if ci is not None:
            if ci not in ("replicate", "bootstrap"):
                raise DesignError(f"ci must be 'replicate', 'bootstrap' or None, got {ci!r}")
            _check_replicate_count(replicates)
            if reps is None or ci == "bootstrap":
                source = self if reps is None else self._evolve(replicates=None)
                boot = _bootstrap_of_final_weights(source, replicates, seed)
                reps = boot
            rep_args = {
                "replicate_weights": reps.analysis_weights(self._weights) * self._domain[:, None],
                "replicate_scale": reps.scale,
                "replicate_rscales": reps.rscales,
                "replicate_mse": reps.mse,
            }
        if scales is None and self._codebook is not None:
            found = {d: self._codebook[d].scale for d in drivers if d in self._codebook and self._codebook[d].scale}
            scales = found if len(found) == len(drivers) else None
        return driver_importance(self._data, names if len(names) > 1 else names[0], list(drivers),
                                 weights, method=method, scales=scales, missing=missing, min_n=min_n,
                                 level=level, max_exact=max_exact, n_permutations=n_permutations,
                                 warn_collinearity=warn_collinearity, **rep_args)
