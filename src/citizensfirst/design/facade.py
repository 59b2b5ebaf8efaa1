"""The survey design: who was sampled how, as an immutable value.

A :class:`Design` ties a DataFrame (or a :class:`~citizensfirst.io.Survey`) to its weights and
sampling structure: strata, PSUs for one or more stages, finite population corrections, or
replicate weights. Estimators (``mean``, ``total``, ``proportion``, ...) are methods that return
:class:`~citizensfirst.estimate.Estimate` values; weighting methods return new designs. Domains
(``subset``, ``by=``) zero the weights outside the domain and keep every row, as R's ``survey``.

>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 2.0, 2.0]})
>>> d = Design(df, weights="w")
>>> round(d.mean("y").estimate, 4)
2.8333
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..backends.duckdb import DuckDBBackend, table_relation
from ..display import brief, facts_html, facts_text, step_text, weighting_steps
from ..errors import DataError, DesignError
from ..lazy.design import LazyDesign
from . import replicates as _replicates
from .accessors import DesignAccessors
from .analysing import AnalysisMethods
from .condition import parse_condition
from .estimating import EstimatorMethods
from .responses import MultipleResponseMethods
from .setup import DesignSetup, Step, as_list, check_columns, check_replicate_count, unpack
from .state import DESIGN_FIELDS, DesignState
from .variance import LONELY_PSU_RULES, ReplicateWeights
from .weighting_steps import WeightingMethods


class Design(DesignSetup, DesignAccessors, WeightingMethods, EstimatorMethods, AnalysisMethods,
             MultipleResponseMethods):
    """A survey design: data plus weights, strata, PSUs, fpc or replicate weights.

    Parameters follow R's ``svydesign`` / ``svrepdesign``.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
        The respondents (a Survey brings its codebook and source path); never modified.
    weights : str or None, optional
        Weight column. With neither ``weights`` nor ``probs``, weights come from the fpc
        population sizes, else every row weighs 1.
    probs : str or None, optional
        Column of selection probabilities (weights are their inverses).
    strata : str or sequence of str or None, optional
        Strata column (or one per stage).
    psu : str or sequence of str or None, optional
        PSU column, or a list, one per stage (None: every row is its own PSU).
    fpc : str or float or sequence of (str or float) or None, optional
        Per stage a column (or number) of population sizes (> 1) or sampling fractions
        (<= 1), constant within strata.
    nest : bool, default False
        True makes PSU ids unique within strata.
    replicate_weights : str or sequence of str or None, optional
        A list of columns, or a regular expression matching them.
    method : str or None, optional
        Replicate method: jk1, jkn, brr, fay, bootstrap, subbootstrap, other.
    scale : float or None, optional
        Overall scale of the replicate variance.
    rscales : sequence of float or numpy.ndarray or None, optional
        Per-replicate scales.
    rho : float or None, optional
        Fay's rho.
    mse : bool, default False
        Centre the replicate variance on the full-sample estimate (R's ``mse``).
    combined_weights : bool, default True
        True: the replicate columns are full analysis weights; False: multipliers of ``weights``.
    degf : int or None, optional
        Degrees of freedom of a replicate design (default: rank of the replicate weights minus one).
    lonely_psu : str, default "fail"
        fail, adjust, average, remove or certainty; as R's ``survey.lonely.psu``.
    adjust_domain_lonely : bool, default False
        As R's ``survey.adjust.domain.lonely``.

    Raises
    ------
    DataError
        If the data has no rows or is neither a DataFrame nor a Survey.
    DesignError
        If the design options are unknown or contradict each other.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "s": [1, 1, 2, 2], "w": [2.0, 2, 3, 3]})
    >>> Design(df, weights="w", strata="s").n_strata
    2
    """

    def __init__(
        self,
        data: Any,
        *,
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
    ) -> None:
        frame, codebook, source = unpack(data)
        self._data = frame
        self._codebook = codebook
        self._source = source
        self._spec = {
            "weights": weights, "probs": probs, "strata": strata, "psu": psu, "fpc": fpc,
            "nest": nest, "replicate_weights": replicate_weights, "method": method,
        }
        if lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
        n = len(frame)
        if n == 0:
            raise DataError(f"{source}: the data has no rows")
        self._history = (Step("design", {k: v for k, v in self._spec.items() if v}),)
        self._report = None
        self._calibrations = ()
        self._domain = np.ones(n, dtype=bool)
        self._degf = degf
        if replicate_weights is not None:
            if strata is not None or psu is not None or fpc is not None:
                raise DesignError(
                    "give either replicate_weights or strata/psu/fpc, not both: a replicate design "
                    "carries its sampling structure in the replicate columns"
                )
            self._weights = self._base_weights(weights, probs, fpc_weights=None)
            self._taylor = None
            self._replicates = self._read_replicates(
                replicate_weights, method, scale, rscales, rho, mse, combined_weights
            )
        else:
            if method is not None or scale is not None or rscales is not None:
                raise DesignError("method/scale/rscales only apply with replicate_weights=")
            self._taylor, fpc_weights = self._build_taylor(
                strata, psu, fpc, nest, lonely_psu, adjust_domain_lonely
            )
            self._weights = self._base_weights(weights, probs, fpc_weights)
            self._replicates = None

    @classmethod
    def from_duckdb(cls, connection: Any, table: str, **design_args: Any) -> LazyDesign:
        """A lazy design over a DuckDB table or view: estimates by aggregation queries.

        Parameters
        ----------
        connection : duckdb.DuckDBPyConnection
            The connection holding the table.
        table : str
            Table or view name.
        **design_args
            The design arguments (as this constructor's) and ``codebook=``.

        Returns
        -------
        LazyDesign
            The lazy design; ``collect()`` gives the in-memory design.

        Raises
        ------
        DataError
            If the table does not exist or the arguments do not fit its columns.

        Examples
        --------
        >>> import duckdb
        >>> con = duckdb.connect()
        >>> _ = con.execute("CREATE TABLE s AS SELECT range::DOUBLE AS y FROM range(1, 5)")
        >>> float(Design.from_duckdb(con, "s").mean("y").estimate)
        2.5
        """
        backend = DuckDBBackend(connection, table_relation(connection, table), str(table))
        return LazyDesign(backend, in_memory=cls, **design_args)

    def evolve(self, **changes: Any) -> Design:
        """A new design with some fields of its :class:`DesignState` changed.

        Parameters
        ----------
        **changes
            New values by field name (``weights``, ``domain``, ``history``, ...; see
            :class:`~citizensfirst.design.state.DesignState`).

        Returns
        -------
        Design
            A copy sharing every other field with this design (which is left unchanged).

        Raises
        ------
        DesignError
            If a name is not a field of the state.

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> d = Design(pd.DataFrame({"y": [1.0, 2.0]}))
        >>> d.evolve(weights=d.weight_values * 2).weights.tolist()
        [2.0, 2.0]
        >>> d.evolve(weight=None)
        Traceback (most recent call last):
        ...
        citizensfirst.errors.DesignError: Design.evolve: unknown field 'weight'; did you mean 'weights'? ...
        """
        unknown = sorted(set(changes) - DESIGN_FIELDS)
        if unknown:
            hints = [difflib.get_close_matches(name, DESIGN_FIELDS, n=1) for name in unknown]
            said = ", ".join(repr(name) + (f"; did you mean {hint[0]!r}?" if hint else "")
                             for name, hint in zip(unknown, hints, strict=True))
            raise DesignError(f"Design.evolve: unknown field {said} The fields are "
                              + ", ".join(sorted(DESIGN_FIELDS)))
        new = object.__new__(Design)
        new.__dict__.update(self.__dict__)
        for key, value in changes.items():
            setattr(new, "_" + key, value)
        return new

    @property
    def state(self) -> DesignState:
        """Everything the design holds, as one frozen record.

        Returns
        -------
        DesignState
            The design's fields.
        """
        return DesignState(**{name: getattr(self, "_" + name) for name in sorted(DESIGN_FIELDS)})

    def degrees_of_freedom(self, in_domain: np.ndarray | None = None) -> int:
        """Design degrees of freedom among ``in_domain`` rows (default: the design's domain).

        Taylor designs: PSUs minus strata with a nonzero weight (R's ``degf``); replicate
        designs: rank of the replicate weights minus one, or ``degf=`` when given.

        Parameters
        ----------
        in_domain : numpy.ndarray or None, optional
            Boolean mask of the rows counted (default: the domain rows with a nonzero weight).

        Returns
        -------
        int
            The design degrees of freedom.
        """
        rows = self._domain & (self._weights != 0) if in_domain is None else in_domain
        if self._replicates is not None:
            if self._degf is not None:
                return int(self._degf)
            return self._replicates.degrees_of_freedom(rows)
        assert self._taylor is not None
        return self._taylor.degrees_of_freedom(rows)

    def options(self, *, lonely_psu: str | None = None, adjust_domain_lonely: bool | None = None) -> Design:
        """A new design with other lonely-PSU handling (as R's ``survey.lonely.psu`` option).

        Parameters
        ----------
        lonely_psu : str or None, optional
            The new lonely-PSU rule (None keeps the current one).
        adjust_domain_lonely : bool or None, optional
            The new ``survey.adjust.domain.lonely`` setting (None keeps the current one).

        Returns
        -------
        Design
            A new design; this one is unchanged.

        Raises
        ------
        DesignError
            For a replicate design or an unknown rule.
        """
        if self._taylor is None:
            raise DesignError("lonely-PSU options apply to Taylor designs, not replicate designs")
        rule = self._taylor.lonely_psu if lonely_psu is None else lonely_psu
        if rule not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {rule!r}")
        adjust = self._taylor.adjust_domain_lonely if adjust_domain_lonely is None else adjust_domain_lonely
        taylor = replace(self._taylor, lonely_psu=rule, adjust_domain_lonely=adjust)
        step = Step("options", {"lonely_psu": rule, "adjust_domain_lonely": adjust})
        return self.evolve(taylor=taylor, history=self._history + (step,))

    def subset(self, condition: Any, *, label: str | None = None) -> Design:
        """A domain design: rows outside ``condition`` get weight zero but are kept.

        ``condition`` is a boolean Series/array aligned with the data, a callable taking the
        DataFrame, or a text condition that compares columns with values and combines them with
        ``& | ~`` (``"prov == 35 & age_grp in [1, 2]"``; grammar in :mod:`citizensfirst.condition`;
        it is never evaluated as code). Missing values count as False.

        Parameters
        ----------
        condition : pandas.Series, numpy.ndarray, callable or str
            The rows to keep in the domain.
        label : str or None, optional
            How the condition is named in the history and in messages.

        Returns
        -------
        Design
            The domain design.

        Raises
        ------
        DataError
            If the condition selects no row of the current domain.
        DesignError
            If a text condition is not allowed by the grammar.

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "g": list("aabb")})
        >>> Design(df).subset(df.g == "b").mean("y").estimate
        3.5
        """
        mask = self.resolve_mask(condition)
        if not (mask & self._domain).any():
            raise DataError(f"{self._source}: subset condition {label or condition!r} selects no rows")
        step = Step("subset", {"condition": label or _describe_condition(condition)})
        return self.evolve(domain=self._domain & mask, history=self._history + (step,))

    def resolve_mask(self, condition: Any) -> np.ndarray:
        """A boolean numpy mask from a Series, array, callable or text condition (NaN -> False).

        Parameters
        ----------
        condition : pandas.Series, numpy.ndarray, callable or str
            The condition; a Series is aligned on the data's index.

        Returns
        -------
        numpy.ndarray
            Boolean mask, one value per row.

        Raises
        ------
        DataError
            If the condition has a different number of values than the data has rows.
        """
        frame = self._data
        if isinstance(condition, str):
            parsed = parse_condition(condition)
            check_columns(frame, parsed.columns, f"subset condition {condition!r}:", self._source)
            return parsed.evaluate(frame)
        if callable(condition):
            condition = condition(frame)
        if isinstance(condition, pd.Series):
            if not condition.index.equals(frame.index):
                condition = condition.reindex(frame.index)
            values = condition.to_numpy(dtype=object)
        else:
            values = np.asarray(condition, dtype=object)
        if values.shape != (len(frame),):
            raise DataError(
                f"{self._source}: condition has {values.size} values for {len(frame)} rows"
            )
        series = pd.Series(values)
        return series.where(series.notna(), False).astype(bool).to_numpy()

    def as_replicate(
        self,
        method: str = "bootstrap",
        *,
        replicates: int = 500,
        seed: int | None = None,
        rho: float = 0.0,
        mse: bool = False,
    ) -> Design:
        """A replicate-weight version of this design (JK1, JKn, BRR, Fay, bootstrap, subbootstrap).

        Replicates are made from the first-stage strata and PSUs (fpc of the first stage used
        by jk1, jkn and bootstrap, as R's ``as.svrepdesign``). Random methods need ``seed``.

        Parameters
        ----------
        method : str, default "bootstrap"
            jk1, jkn, brr, fay, bootstrap or subbootstrap.
        replicates : int, default 500
            Number of replicates of the random methods (bootstrap, subbootstrap).
        seed : int or None, optional
            Random seed; required by the random methods.
        rho : float, default 0.0
            Fay's rho (``method="fay"``, 0 < rho < 1).
        mse : bool, default False
            Centre the replicate variance on the full-sample estimate.

        Returns
        -------
        Design
            The replicate design.

        Raises
        ------
        DesignError
            If the design already has replicates or has been weighted, the method is unknown, or a
            random method has no seed.
        """
        if self._taylor is None:
            raise DesignError("this design already has replicate weights")
        if self._calibrations:
            raise DesignError("make replicates before weighting, so each replicate is re-weighted")
        method = method.lower()
        stage = self._taylor.stages[0]
        psu_stratum = stage.stratum_of_cluster
        labels = list(stage.stratum_labels) or [str(h) for h in range(stage.n_strata)]
        popsize = stage.popsize
        if method in _replicates.RANDOM_METHODS:
            check_replicate_count(replicates)
        mult, scale, rscales = _replicates.make_multipliers(
            method, psu_stratum, popsize, labels, self._taylor.lonely_psu, replicates=replicates,
            seed=seed, rho=rho)
        reps = ReplicateWeights(method, mult, float(scale), np.asarray(rscales, dtype=float), mse,
                                stage.cluster, rho if method == "fay" else None)
        step = Step("as_replicate", {"method": method, "replicates": mult.shape[1], "seed": seed,
                                     "rho": rho, "mse": mse})
        return self.evolve(replicates=reps, taylor=None, degf=None, history=self._history + (step,))

    def facts(self) -> list[tuple[str, str]]:
        """What the design is, as ``(name, value)`` pairs: the source of its repr and HTML display.

        Rows and domain, weights (column, sum, range), strata, PSUs of every stage, fpc, replicate
        method and count, the lonely-PSU rule and every step of the history.

        Returns
        -------
        list of (str, str)
            The facts, in display order.

        Examples
        --------
        >>> d = Design(pd.DataFrame({"y": [1.0, 2.0], "s": [1, 2], "w": [1.0, 3.0]}), weights="w", strata="s")
        >>> dict(d.facts())["strata"]
        's (2 strata)'
        """
        spec = self._spec
        used = self._weights[self._domain]
        origin = (spec["weights"] or (f"1 / {spec['probs']}" if spec["probs"] else None)
                  or ("from the fpc" if spec["fpc"] is not None else "equal (1)"))
        steps = weighting_steps(self._history)
        weights = f"{origin}{', then ' + ', '.join(steps) if steps else ''}"
        facts = [("rows", f"{len(self._data):,}" + ("" if self._domain.all()
                                                    else f" ({int(self._domain.sum()):,} in the domain)")),
                 ("weights", f"{weights} (sum {used.sum():,.6g}; {used.min():.4g} to {used.max():.4g})")]
        if self._replicates is not None:
            reps = self._replicates
            facts.append(("replicates", f"{reps.method}, {reps.n_replicates} replicates (scale {reps.scale:.4g}"
                                        f"{', mse' if reps.mse else ''})"))
        if self._taylor is not None:
            strata = ", ".join(str(c) for c in as_list(spec["strata"])) or "none"
            facts.append(("strata", strata if strata == "none" else f"{strata} ({self.n_strata} strata)"))
            psus = as_list(spec["psu"])
            facts.append(("PSUs", "; ".join(
                f"stage {i + 1}: {psus[i] if i < len(psus) else 'each row'} ({stage.n_clusters:,})"
                for i, stage in enumerate(self._taylor.stages))))
            fpc = spec["fpc"]
            facts.append(("fpc", "none" if fpc is None else brief(fpc)))
            facts.append(("lonely PSU", self._taylor.lonely_psu
                          + (" (adjust domain lonely)" if self._taylor.adjust_domain_lonely else "")))
        facts += [(f"step {i}", step_text(step.action, step.parameters))
                  for i, step in enumerate(self._history, start=1)]
        return facts

    def __repr__(self) -> str:
        return facts_text(f"<Design of {Path(self._source).name or self._source}>", self.facts())

    def _repr_html_(self) -> str:
        return facts_html(f"Design of {Path(self._source).name or self._source}", self.facts())


def _describe_condition(condition: Any) -> str:
    if isinstance(condition, str):
        return condition
    if isinstance(condition, pd.Series) and condition.name is not None:
        return f"<mask {condition.name}>"
    return "<mask>"

