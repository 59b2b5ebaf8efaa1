"""The analysis methods of :class:`~citizensfirst.Design` (regress, tests, tables, drivers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .. import inference, tables
from ..drivers.analysis import driver_importance
from ..drivers.driver_result import DriverResult, driver_labels
from ..errors import DesignError
from ..io.codes import normalize_code
from ..io.nominal import warn_if_nominal
from .setup import (
    DesignBase,
    Step,
    bootstrap_of_final_weights,
    check_columns,
    check_replicate_count,
)

if TYPE_CHECKING:
    from ..estimation.quality import QualityRules
    from ..inference.glm import ModelResult
    from ..inference.tests import TestResult
    from ..tables.render import Table
    from .facade import Design
    from .variance import ReplicateWeights


class AnalysisMethods(DesignBase):
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
        return inference.regress(self._as_design(), formula, family, level=level)

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
        return inference.ttest(self._as_design(), variable, by, mu, level=level)

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
        return inference.chisq(self._as_design(), row_var, col_var, statistic)

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
        return inference.table(self._as_design(), row_var, col_var)

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
        return tables.crosstab(
            self._as_design(), rows, cols, stat, value=value, language=language, alpha=alpha,
            adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level, title=title,
        )

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
        return tables.banner(
            self._as_design(), rows, cols, stat, value=value, language=language, alpha=alpha,
            adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level, title=title,
        )

    def drivers(
        self,
        outcome: str | Sequence[str],
        drivers: Sequence[str],
        *,
        by: str | None = None,
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
    ) -> DriverResult | dict[Any, DriverResult]:
        """Relative importance of ``drivers`` for ``outcome``, with design-based intervals.

        The importance measures are computed once per replicate weight column and their
        covariance comes from the design's replicate engine (``ReplicateWeights.vcov``: its
        scale, rscales and mse, as every estimate); intervals and the pairwise tests use t on the
        design's degrees of freedom (``degrees_of_freedom()`` of the domain).

        An outcome or driver the codebook calls nominal gives a
        :class:`~citizensfirst.errors.NominalVariableWarning`.

        Parameters
        ----------
        outcome : str or sequence of str
            Outcome column, or items averaged into an outcome index.
        drivers : sequence of str
            Driver columns (numeric).
        by : str, optional
            A column: the analysis is run in every domain of it (rows outside a domain keep
            their place with weight zero, as ``subset``), on the same replicates.
        method : str, default "shapley"
            ``shapley`` (LMG), ``relative_weights``, ``beta``, ``betasq``, ``correlation``,
            ``first``, ``last`` or ``pratt``.
        ci : {"replicate", "bootstrap", None}, default "replicate"
            ``replicate`` uses the design's replicate weights as they are (weighting steps
            applied after ``as_replicate`` have already re-weighted every replicate) and,
            on a Taylor design, does as ``bootstrap``. ``bootstrap`` (Taylor designs) draws
            bootstrap replicates of first-stage PSUs within strata from the design *before
            weighting* and re-applies every weighting step of its history (rake,
            calibrate, poststratify, trim) to each replicate, as R's ``calibrate`` on a
            replicate design, so the intervals carry the weighting
            (:func:`~citizensfirst.design.analysing.bootstrap_reweighted`). None skips intervals.
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
        DriverResult or dict
            Importance, shares, performance and their intervals per driver; with ``by``, a
            dict from each level (sorted, missing values left out) to its result.

        Raises
        ------
        DesignError
            An unknown ``ci``, an invalid ``replicates``, or a bootstrap whose weighting steps
            cannot be re-applied.
        DataError
            Unknown or non-numeric columns, or fewer than ``min_n`` complete cases.

        See Also
        --------
        citizensfirst.drivers.driver_importance
        """
        names = [outcome] if isinstance(outcome, str) else list(outcome)
        warn_if_nominal(self._codebook, self._data, [*names, *drivers], "a driver analysis", stacklevel=3)
        reps = None
        if ci is not None:
            if ci not in ("replicate", "bootstrap"):
                raise DesignError(f"ci must be 'replicate', 'bootstrap' or None, got {ci!r}")
            check_replicate_count(replicates)
            reps = self._replicates
            if reps is None or ci == "bootstrap":
                reps = bootstrap_reweighted(self._as_design(), replicates, seed)
        if scales is None and self._codebook is not None:
            found = {d: self._codebook[d].scale for d in drivers if d in self._codebook and self._codebook[d].scale}
            scales = found if len(found) == len(drivers) else None
        # per-PSU replicates (the default bootstrap) go as they are: never an (n, R) weight matrix
        compact = reps is not None and reps.group is not None
        rep_weights = None if reps is None or compact else reps.analysis_weights(self._weights)

        def run(domain: np.ndarray) -> DriverResult:
            """Run the driver analysis on one domain.

            Parameters
            ----------
            domain : numpy.ndarray
                Boolean mask of the rows analysed.

            Returns
            -------
            DriverResult
                The driver analysis of that domain.
            """
            rep_args: dict[str, Any] = {}
            if reps is not None:
                rep_args = {
                    "replicate_weights": reps if compact else rep_weights * domain[:, None],
                    "replicate_scale": reps.scale,
                    "replicate_rscales": reps.rscales,
                    "replicate_mse": reps.mse,
                    "df": self._as_design().degrees_of_freedom(domain & (self._weights != 0)),
                }
            result = driver_importance(self._data, names if len(names) > 1 else names[0], list(drivers),
                                       self._weights * domain, method=method, scales=scales, missing=missing,
                                       min_n=min_n, level=level, max_exact=max_exact,
                                       n_permutations=n_permutations, warn_collinearity=warn_collinearity,
                                       **rep_args)
            return replace(result, labels=driver_labels(self._codebook, names, drivers, result.outcome))

        if by is None:
            return run(self._domain)
        check_columns(self._data, [by], "by", self._source)
        column = self._data[by]
        levels = sorted(pd.unique(column[self._domain & column.notna().to_numpy()]), key=_level_order)
        return {level: run(self._domain & (column == level).to_numpy()) for level in levels}


def _level_order(value: Any) -> tuple[bool, Any]:
    """Numbers before text, each in their own order (levels of mixed type sort without error)."""
    return (isinstance(value, str), value if isinstance(value, str | int | float) else str(value))


def _poststratum_totals(design: Design, parameters: dict[str, Any]) -> dict[tuple[Any, ...], float]:
    """The cell totals of a ``poststratify`` step, keyed by the data's own levels again.

    The step records each cell as ``str`` of its tuple of normalised codes; the sampled cells
    are found again from the data (unsampled cells carry no weight and are not needed).
    """
    names = list(parameters["cells"])
    recorded = parameters["totals"]
    cells = design.frame[names].drop_duplicates().dropna()
    out: dict[tuple[Any, ...], float] = {}
    for row in cells.itertuples(index=False):
        key = tuple(normalize_code(v) for v in row)
        if str(key) in recorded:
            out[key] = recorded[str(key)]
    return out


def _only(parameters: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: parameters[name] for name in names if name in parameters}


#: How :func:`bootstrap_reweighted` re-applies each weighting step of a design's history.
REWEIGHTING_STEPS: dict[str, Any] = {
    "rake": lambda d, p: d.rake(p["margins"], **_only(p, "total", "max_iter", "tol", "change_tol", "bounds")),
    "calibrate": lambda d, p: d.calibrate(p["targets"], **_only(p, "total", "method", "bounds", "cluster")),
    "poststratify": lambda d, p: d.poststratify(p["cells"], _poststratum_totals(d, p)),
    "trim": lambda d, p: d.trim(**p),
}
#: History steps that do not change the weights.
_UNWEIGHTED_STEPS = ("design", "options", "subset")


def bootstrap_reweighted(design: Design, replicates: int, seed: int | None) -> ReplicateWeights:
    """Bootstrap replicates of a Taylor design with its weighting re-applied to every replicate.

    The replicates (Canty-Davison, first-stage PSUs within strata) are drawn from the design
    *before weighting* (its construction weights); then each weighting step of
    ``design.history`` is applied again to the replicate design, which re-weights every replicate
    as R's ``calibrate``/``rake``/``postStratify`` do on a replicate design. A design without
    weighting steps is simply bootstrapped. The full-sample weights this replay gives must equal
    the design's own, else the weighting cannot be reproduced and a :class:`DesignError` says to
    make replicates with :meth:`~citizensfirst.Design.as_replicate` before weighting.

    Parameters
    ----------
    design : Design
        A design with strata and PSUs (not a replicate design).
    replicates : int
        Number of bootstrap replicates.
    seed : int or None
        Seed of the bootstrap draws.

    Returns
    -------
    ReplicateWeights
        The re-weighted replicate analysis weights with the bootstrap's scale.

    Raises
    ------
    DesignError
        A replicate design, a history step that cannot be re-applied, or a replay that does not
        reproduce the design's weights.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"g": list("ab" * 20)})
    >>> d = Design(df).rake({"g": {"a": 30, "b": 50}})
    >>> w = bootstrap_reweighted(d, 20, seed=1).analysis_weights(d.weight_values)
    >>> a = (df["g"] == "a").to_numpy()
    >>> bool(np.allclose(w[a].sum(axis=0), 30) and np.allclose(w[~a].sum(axis=0), 50))
    True
    """
    steps = [step for step in design.history if step.action not in _UNWEIGHTED_STEPS]
    if not steps:
        return bootstrap_of_final_weights(design, replicates, seed)
    unknown = [step.action for step in steps if step.action not in REWEIGHTING_STEPS]
    if unknown:
        raise DesignError(
            f"{design.source}: cannot re-apply the step {unknown[0]!r} to bootstrap replicates; "
            "make replicates with as_replicate() before weighting and use ci='replicate'"
        )
    first: Step = design.history[0]
    built = type(design)(design.frame, **first.parameters)
    unweighted = design.evolve(weights=np.asarray(built.weight_values, dtype=float), calibrations=(),
                               report=None)
    replay = unweighted.evolve(replicates=bootstrap_of_final_weights(unweighted, replicates, seed))
    for step in steps:
        replay = REWEIGHTING_STEPS[step.action](replay, dict(step.parameters))
    if not np.allclose(replay.weight_values, design.weight_values, rtol=1e-8, atol=0.0):
        raise DesignError(
            f"{design.source}: re-applying the weighting steps "
            f"({', '.join(step.action for step in steps)}) to the unweighted design does not give "
            "its weights, so bootstrap replicates cannot carry the weighting; make replicates with "
            "as_replicate() before weighting and use ci='replicate'"
        )
    assert replay.replicate_weights is not None
    return replay.replicate_weights
