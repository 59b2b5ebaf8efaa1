"""LazyDesign: a survey design whose rows stay in a backend (DuckDB, Spark) until ``collect()``.

It takes the :class:`~citizensfirst.Design` constructor's arguments and answers the same
estimators (``mean``, ``total``, ``proportion``, ``count``, ``ratio``, with ``by=`` and
``subset()``) by aggregation queries, with the same numbers. Its state is small: SQL
expressions for the weights, the domain and the replicate weights, the Taylor structure built
from the cluster table (:mod:`citizensfirst.lazy.structure`), and the history. A design without
``psu=`` makes every row its own PSU, so its cluster table has one row per respondent.

Use :func:`citizensfirst.scan_survey` (Parquet, CSV) or
:meth:`citizensfirst.Design.from_duckdb` to make one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ..backends.base import Backend
from ..design.condition import parse_condition
from ..design.setup import Step, as_list, check_columns, replicate_method, replicate_parameters
from ..design.variance import LONELY_PSU_RULES, ReplicateWeights, TaylorStructure
from ..errors import DataError, DesignError, NotLazyError
from ..estimation.quality import QualityRules
from ..estimation.result import Estimate
from . import collecting, estimators
from .analysis import LazyAnalysis
from .checks import Checks
from .conditions import to_sql
from .quantiles import DistributionMethods
from .recode import with_missing_codes_as_null
from .replicates import ReplicateMethods
from .structure import ROW_ID, ClusterTable, cluster_table
from .sums import replicate_degrees_of_freedom
from .tables import TableMethods
from .weighting_methods import LazyWeighting

__all__ = ["LazyDesign"]

Names = str | Sequence[str]


class LazyDesign(LazyWeighting, DistributionMethods, ReplicateMethods, LazyAnalysis, TableMethods):
    """A design over rows held by a backend; estimates come from aggregation queries.

    Parameters are those of :class:`~citizensfirst.Design` (weights or probs, strata, psu for
    one or two stages, fpc per stage, nest, replicate weights as columns with their method,
    scale, rscales, rho and mse, lonely-PSU options), plus the backend, a codebook and the
    in-memory design class that :meth:`collect` builds.

    Parameters
    ----------
    backend : Backend
        Where the rows are.
    in_memory : callable
        The in-memory design class (:class:`~citizensfirst.Design`), called by :meth:`collect`.
    weights, probs, strata, psu, fpc, nest, replicate_weights, method, scale, rscales, rho, mse, combined_weights, degf, lonely_psu, adjust_domain_lonely
        As :class:`~citizensfirst.Design`.
    codebook : Codebook, optional
        Labels for the results; its missing codes read as missing (NULL), as in memory.

    Raises
    ------
    DataError
        Unknown columns, missing, negative or non-numeric weights, missing design values.
    DesignError
        Contradictory options, fpc varying within a stratum, PSUs not nested.

    Examples
    --------
    >>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]}).to_parquet(folder / "s.parquet")
    >>> d = cf.scan_survey(folder / "s.parquet", weights="w")
    >>> round(d.mean("y").estimate, 4)
    2.8333
    """

    def __init__(
        self,
        backend: Backend,
        *,
        in_memory: Callable[..., Any],
        weights: str | None = None,
        probs: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | float | Sequence[str | float] | None = None,
        nest: bool = False,
        replicate_weights: str | Sequence[str] | None = None,
        method: str | None = None,
        scale: float | None = None,
        rscales: Sequence[float] | np.ndarray | None = None,
        rho: float | None = None,
        mse: bool = False,
        combined_weights: bool = True,
        degf: int | None = None,
        lonely_psu: str = "fail",
        adjust_domain_lonely: bool = False,
        codebook: Any = None,
    ) -> None:
        if lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
        if replicate_weights is not None and (strata is not None or psu is not None or fpc is not None):
            raise DesignError(
                "give either replicate_weights or strata/psu/fpc, not both: a replicate design "
                "carries its sampling structure in the replicate columns"
            )
        if replicate_weights is None and (method is not None or scale is not None or rscales is not None):
            raise DesignError("method/scale/rscales only apply with replicate_weights=")
        if weights is not None and probs is not None:
            raise DesignError("give weights= or probs=, not both")
        self.in_memory = in_memory
        self.codebook = codebook
        backend = with_missing_codes_as_null(backend, codebook)  # missing codes are NULL, as in memory
        self.source = backend.source
        self.kinds = backend.columns()
        self.checks = Checks(backend, self.columns, self.kinds)
        psu_cols = [c for c in as_list(psu) if c not in ("1", 1)]
        self.backend = backend if psu_cols or replicate_weights is not None else backend.with_row_number(ROW_ID)
        rep_names = self.checks.replicate_names(replicate_weights)
        fpc_cols = [f for f in ([] if fpc is None else [fpc] if isinstance(fpc, str | int | float)
                                else list(fpc)) if isinstance(f, str)]
        self.checks.columns(as_list(strata) + psu_cols + fpc_cols, "design")
        weight_col = weights or probs
        self.checks.columns([weight_col] if weight_col else [], "weights" if weights else "probs")
        self.n_rows, self.n_weighted = self.checks.validate(weights, probs, as_list(strata) + psu_cols,
                                                      fpc_cols, rep_names)
        self.spec: dict[str, Any] = {
            "weights": weights, "probs": probs, "strata": strata, "psu": psu, "fpc": fpc, "nest": nest,
            "replicate_weights": rep_names or None, "method": method, "scale": scale,
            "rscales": rscales, "rho": rho, "mse": mse, "combined_weights": combined_weights,
            "degf": degf,
        }
        self.domain_sql: str | None = None
        self.degf = degf
        self.history: tuple[Step, ...] = (Step("design", {k: v for k, v in self.spec.items()
                                                          if k in _HISTORY and v}),)
        self.clusters: ClusterTable | None = None
        self.replicates: ReplicateWeights | None = None
        self.replicate_sql: tuple[str, ...] = ()
        self.df_cache: dict[tuple[Any, ...], dict[tuple[Any, ...], int]] = {}
        self.levels_cache: dict[str, list[Any]] = {}  # with df_cache: answers asked once
        base = self.checks.complete(weight_col) if weight_col else None  # validated above
        if probs is not None:
            base = f"(1.0 / {base})"
        if replicate_weights is None:
            self.clusters = cluster_table(self.backend, strata, psu_cols or None, fpc, nest,
                                          lonely_psu, adjust_domain_lonely)
            base = base or self.clusters.fpc_weights
        else:
            kind = replicate_method(method)
            scale_value, rscales_arr, rho_value = replicate_parameters(kind, len(rep_names), scale,
                                                                       rscales, rho)
            self.replicates = ReplicateWeights(kind, np.empty((0, len(rep_names))), scale_value,
                                               rscales_arr, bool(mse), None,
                                               rho_value if kind == "fay" else None)
        self.weight_sql = base or "1.0"
        if self.replicates is not None:
            self.replicate_sql = tuple(
                self.checks.complete(c) if combined_weights else f"{self.checks.complete(c)} * {self.weight_sql}"
                for c in rep_names)

    # ----------------------------------------------------------------- what users read

    @property
    def n(self) -> int:
        """Number of rows in the file (the domain keeps them all).

        Returns
        -------
        int
            The number of rows.
        """
        return self.n_rows

    @property
    def columns(self) -> list[str]:
        """The columns of the rows, in file order.

        Returns
        -------
        list of str
            Column names.
        """
        return [c for c in self.kinds if c != ROW_ID]

    @property
    def weights(self) -> str:
        """The weight of a row as an SQL expression (before the domain).

        Returns
        -------
        str
            The expression.
        """
        return self.weight_sql

    @property
    def is_replicate(self) -> bool:
        """Whether the variance comes from replicate weights.

        Returns
        -------
        bool
            True for a replicate design.
        """
        return self.replicates is not None

    @property
    def replicate_weights(self) -> ReplicateWeights | None:
        """The replicate method, scale and rscales (the weights themselves stay in the backend).

        Returns
        -------
        ReplicateWeights or None
            Parameters with an empty (0 x R) multiplier matrix; None on a Taylor design.
        """
        return self.replicates

    @property
    def taylor(self) -> TaylorStructure | None:
        """The Taylor structure over the cluster table's units (None on replicate designs).

        Returns
        -------
        TaylorStructure or None
            The structure.
        """
        return None if self.clusters is None else self.clusters.taylor

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata (0 on replicate designs).

        Returns
        -------
        int
            The number of strata.
        """
        return 0 if self.clusters is None else self.clusters.taylor.stages[0].n_strata

    @property
    def n_psu(self) -> int:
        """Number of first-stage PSUs (0 on replicate designs).

        Returns
        -------
        int
            The number of PSUs.
        """
        return 0 if self.clusters is None else self.clusters.taylor.stages[0].n_clusters

    def degrees_of_freedom(self) -> int:
        """Design degrees of freedom of the domain's rows with a nonzero weight (R's ``degf``).

        Returns
        -------
        int
            PSUs minus strata (Taylor), or the rank of the replicate weights minus one.
        """
        weight = self.weight_sql if self.domain_sql is None else (
            f"(CASE WHEN {self.domain_sql} THEN {self.weight_sql} ELSE 0.0 END)")
        used = f"({weight} <> 0)"
        if self.replicates is not None:
            return replicate_degrees_of_freedom(self, (), used).get((), 0)
        assert self.clusters is not None
        answer = self.backend.aggregate({"__cf_u": f"SUM(CASE WHEN {used} THEN 1 ELSE 0 END)"},
                                        by=list(self.clusters.keys))
        present = np.zeros(len(self.clusters.frame), dtype=bool)
        present[self.clusters.positions(answer)] = answer["__cf_u"].to_numpy() > 0
        return self.clusters.taylor.degrees_of_freedom(present)

    # ----------------------------------------------------------------- domains and collect

    def subset(self, condition: str, *, label: str | None = None) -> LazyDesign:
        """A domain design: rows outside ``condition`` get weight zero (rows are kept).

        Parameters
        ----------
        condition : str
            A text condition in the grammar of :mod:`citizensfirst.design.condition`.
        label : str, optional
            How the condition is named in the history and in messages.

        Returns
        -------
        LazyDesign
            The domain design.

        Raises
        ------
        NotLazyError
            If ``condition`` is not text (masks and callables need the rows in memory).
        DataError
            If the condition names unknown columns or selects no row of the current domain.
        """
        if not isinstance(condition, str):
            raise NotLazyError(
                f"{self.source}: subset() of a lazy design takes a text condition such as "
                "\"prov == 35\"; a mask or a function needs the rows in memory: .collect() a subset"
            )
        parsed = parse_condition(condition)
        check_columns(pd.DataFrame(columns=self.columns), parsed.columns,
                      f"subset condition {condition!r}:", self.source)
        sql = to_sql(parsed, self.kinds, self.backend.column, self.backend.literal)
        domain = sql if self.domain_sql is None else f"({self.domain_sql} AND {sql})"
        selected = self.backend.aggregate({"n": f"SUM(CASE WHEN {domain} THEN 1 ELSE 0 END)"})
        if not selected["n"].fillna(0).iloc[0]:
            raise DataError(f"{self.source}: subset condition {label or condition!r} selects no rows")
        return self._evolve(domain_sql=domain, history=self.history + (
            Step("subset", {"condition": label or condition}),))

    def options(self, *, lonely_psu: str | None = None,
                adjust_domain_lonely: bool | None = None) -> LazyDesign:
        """A new design with other lonely-PSU handling (as :meth:`citizensfirst.Design.options`).

        Parameters
        ----------
        lonely_psu : str or None, optional
            The new rule (None keeps the current one).
        adjust_domain_lonely : bool or None, optional
            The new ``survey.adjust.domain.lonely`` setting (None keeps it).

        Returns
        -------
        LazyDesign
            A new design; this one is unchanged.

        Raises
        ------
        DesignError
            For a replicate design or an unknown rule.
        """
        if self.clusters is None:
            raise DesignError("lonely-PSU options apply to Taylor designs, not replicate designs")
        taylor = self.clusters.taylor
        rule = taylor.lonely_psu if lonely_psu is None else lonely_psu
        if rule not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {rule!r}")
        adjust = taylor.adjust_domain_lonely if adjust_domain_lonely is None else adjust_domain_lonely
        clusters = replace(self.clusters, taylor=replace(taylor, lonely_psu=rule,
                                                         adjust_domain_lonely=adjust))
        step = Step("options", {"lonely_psu": rule, "adjust_domain_lonely": adjust})
        return self._evolve(clusters=clusters, history=self.history + (step,))

    def collect(self, where: str | None = None, columns: Sequence[str] | None = None) -> Any:
        """The in-memory :class:`~citizensfirst.Design` of the rows (the only way rows come in).

        The history is replayed in memory (:mod:`citizensfirst.lazy.collecting`): subsets and
        options, and weighting steps only when they give this design's weights again.

        Parameters
        ----------
        where : str, optional
            A text condition: only these rows are brought (the design is then built on them,
            so its PSUs are those of the rows kept).
        columns : sequence of str, optional
            Columns to bring besides the design's own (default: all).

        Returns
        -------
        Design
            The same design arguments and codebook on the rows, with this design's history.

        Raises
        ------
        DataError
            If a column or the condition is unknown.
        NotLazyError
            If a weighting step replayed on the rows does not give this design's weights:
            collect before weighting, then weight in memory.
        """
        return collecting.collect(self, where, columns)

    # ----------------------------------------------------------------- estimators

    def mean(self, variables: Names, *, by: Names | None = None, missing: str = "available",
             deff: str | None = "auto", level: float = 0.95, df: float | None = None,
             rules: QualityRules | None = None) -> Estimate:
        """Weighted means (as :meth:`citizensfirst.Design.mean`), by one aggregation query.

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain columns.
        missing : {"available", "listwise"}, default "available"
            Missing-value rule.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Design-effect convention.
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
        return estimators.mean(self, variables, by=by, missing=missing, deff=deff, level=level,
                               df=df, rules=rules)

    def total(self, variables: Names, *, by: Names | None = None, missing: str = "available",
              deff: str | None = "auto", level: float = 0.95, df: float | None = None,
              rules: QualityRules | None = None) -> Estimate:
        """Weighted totals (as :meth:`citizensfirst.Design.total`), by one aggregation query.

        Parameters
        ----------
        variables : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain columns.
        missing : {"available", "listwise"}, default "available"
            Missing-value rule.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Design-effect convention.
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
        return estimators.total(self, variables, by=by, missing=missing, deff=deff, level=level,
                                df=df, rules=rules)

    def proportion(self, variable: Names, *, by: Names | None = None, ci: str = "logit",
                   deff: str | None = "auto", level: float = 0.95, df: float | None = None,
                   rules: QualityRules | None = None) -> Estimate:
        """Proportions of every level (as :meth:`citizensfirst.Design.proportion`).

        Parameters
        ----------
        variable : str or sequence of str
            Categorical columns.
        by : str or sequence of str, optional
            Domain columns.
        ci : str, default "logit"
            Interval method.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Design-effect convention.
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
        return estimators.proportion(self, variable, by=by, ci=ci, deff=deff, level=level, df=df,
                                     rules=rules)

    def count(self, variable: Names, *, by: Names | None = None, deff: str | None = "auto",
              level: float = 0.95, df: float | None = None,
              rules: QualityRules | None = None) -> Estimate:
        """Population counts of every level (as :meth:`citizensfirst.Design.count`).

        Parameters
        ----------
        variable : str or sequence of str
            Categorical columns.
        by : str or sequence of str, optional
            Domain columns.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Design-effect convention.
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
        return estimators.count(self, variable, by=by, deff=deff, level=level, df=df, rules=rules)

    def ratio(self, numerator: Names, denominator: Names, *, by: Names | None = None,
              deff: str | None = "auto", level: float = 0.95, df: float | None = None,
              rules: QualityRules | None = None) -> Estimate:
        """Ratios of totals (as :meth:`citizensfirst.Design.ratio`), by one aggregation query.

        Parameters
        ----------
        numerator, denominator : str or sequence of str
            Numeric columns.
        by : str or sequence of str, optional
            Domain columns.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Design-effect convention.
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
        return estimators.ratio(self, numerator, denominator, by=by, deff=deff, level=level,
                                df=df, rules=rules)

    def __getattr__(self, name: str) -> Any:
        """Design methods not lazy yet raise NotLazyError naming them and suggesting collect().

        Parameters
        ----------
        name : str
            The attribute asked for.

        Returns
        -------
        Any
            Never returns: raises NotLazyError, or AttributeError for any other name.
        """
        if name.startswith("_") or name not in _IN_MEMORY_ONLY:
            raise AttributeError(name)
        raise NotLazyError(
            f"{self.source}: {name}() is not available on a lazy design yet; bring the rows you "
            f"need into memory with .collect(where=...) and call {name}() on that design"
        )

    def __repr__(self) -> str:
        kind = "replicate" if self.is_replicate else f"{self.n_strata} strata, {self.n_psu} PSUs"
        return f"<LazyDesign of {self.source} on {self.backend.name}: {self.n_rows:,} rows, {kind}>"

    def numeric_sql(self, name: str, role: str = "variable") -> str:
        """Column ``name`` as an SQL DOUBLE (NULL where missing, NaN included).

        Parameters
        ----------
        name : str
            Column name (checked to exist).
        role : str, default "variable"
            What the column is for, in messages.

        Returns
        -------
        str
            The SQL expression.

        Raises
        ------
        DataError
            If the column is unknown or holds a non-numeric value (the in-memory message).
        """
        self.checks.columns([name], "analysis")
        return self.checks.numeric(name, role)

    def _evolve(self, **changes: Any) -> LazyDesign:
        new = copy.copy(self)
        new.__dict__.update(changes)
        return new


_HISTORY = ("weights", "probs", "strata", "psu", "fpc", "nest", "replicate_weights", "method")
#: Design methods a lazy design does not have yet, and the in-memory views of the rows (each
#: raises NotLazyError naming it)
_IN_MEMORY_ONLY = frozenset({"multiple_response", "evolve", "facts",
                             "resolve_mask", "frame", "data", "domain", "weight_values", "state"})
