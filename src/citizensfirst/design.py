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
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from . import replicates as _replicates
from .codebook import warn_if_nominal
from .condition import parse_condition
from .errors import DataError, DesignError
from .groups import factorize
from .variance import LONELY_PSU_RULES, ReplicateWeights, Stage, TaylorStructure

if TYPE_CHECKING:
    from .drivers import DriverResult
    from .estimate import Estimate
    from .inference import ModelResult, TestResult
    from .quality import QualityRules
    from .tables import Table

REPLICATE_METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "other")


@dataclass(frozen=True)
class Step:
    """One entry of ``Design.history``: what was done, with which parameters."""

    action: str
    parameters: dict[str, Any]

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        return f"{self.action}({args})"


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def check_columns(data: pd.DataFrame, names: Iterable[str], role: str, source: str = "data") -> None:
    """Raise :class:`DataError` naming any of ``names`` absent from ``data`` (with suggestions)."""
    missing = [n for n in names if n not in data.columns]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(str(name), [str(c) for c in data.columns], n=3)
        hints.append(f"{name!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
    raise DataError(f"{source}: {role} column(s) not found: {', '.join(hints)}")


def numeric_column(data: pd.DataFrame, name: str, role: str, source: str = "data") -> np.ndarray:
    """The column ``name`` as float64, or a DataError naming the first non-numeric value."""
    series = data[name]
    if isinstance(series, pd.DataFrame):
        raise DataError(f"{source}: column name {name!r} is duplicated")
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        raise DataError(
            f"{source}: {role} {name!r} must be numeric; row {first} holds {series.iloc[first]!r} "
            f"({int(bad.sum())} non-numeric values)"
        )
    return converted.to_numpy(dtype=float, na_value=np.nan)


class Design:
    """A survey design: data plus weights, strata, PSUs, fpc or replicate weights.

    Parameters follow R's ``svydesign`` / ``svrepdesign``:

    * ``weights`` (column name) or ``probs`` (selection probabilities); with neither, weights
      come from the fpc population sizes, else every row weighs 1.
    * ``strata``: column name (or one per stage); ``psu``: a column name or a list, one per
      stage (None: every row is its own PSU); ``nest=True`` makes PSU ids unique within strata.
    * ``fpc``: per stage a column (or number) of population sizes (> 1) or sampling fractions
      (<= 1), constant within strata.
    * ``replicate_weights``: a list of columns, or a regular expression matching them, with
      ``method`` (jk1, jkn, brr, fay, bootstrap, subbootstrap, other), ``scale``, ``rscales``,
      ``rho`` (Fay), ``mse`` and ``combined_weights`` (True: the columns are full analysis
      weights; False: multipliers of ``weights``).
    * ``lonely_psu``: fail (default), adjust, average, remove, certainty; as R's
      ``survey.lonely.psu``. ``adjust_domain_lonely`` as ``survey.adjust.domain.lonely``.

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
        frame, codebook, source = _unpack(data)
        self._data = frame
        self._codebook = codebook
        self._source = source
        self._spec: dict[str, Any] = {
            "weights": weights, "probs": probs, "strata": strata, "psu": psu, "fpc": fpc,
            "nest": nest, "replicate_weights": replicate_weights, "method": method,
        }
        if lonely_psu not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {lonely_psu!r}")
        n = len(frame)
        if n == 0:
            raise DataError(f"{source}: the data has no rows")
        self._history: tuple[Step, ...] = (Step("design", {k: v for k, v in self._spec.items() if v}),)
        self._report = None
        self._calibrations: tuple[Any, ...] = ()
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

    # ------------------------------------------------------------------ construction helpers

    def _base_weights(self, weights: str | None, probs: str | None, fpc_weights: np.ndarray | None) -> np.ndarray:
        frame, source = self._data, self._source
        if weights is not None and probs is not None:
            raise DesignError("give weights= or probs=, not both")
        if weights is None and probs is None:
            if fpc_weights is not None:
                return fpc_weights
            return np.ones(len(frame))
        name = weights if weights is not None else probs
        role = "weights" if weights is not None else "probs"
        check_columns(frame, [name], role, source)
        values = numeric_column(frame, name, role, source)
        _check_finite(values, name, role, source)
        if (values < 0).any():
            first = int(np.flatnonzero(values < 0)[0])
            raise DataError(
                f"{source}: {role} {name!r} has {int((values < 0).sum())} negative values "
                f"(first at row {first}: {values[first]})"
            )
        if probs is not None:
            if (values == 0).any() or (values > 1).any():
                raise DataError(f"{source}: probs {name!r} must lie in (0, 1]")
            return 1.0 / values
        if not (values > 0).any():
            raise DataError(f"{source}: weights {name!r} are all zero")
        return values

    def _build_taylor(
        self,
        strata: str | Sequence[str] | None,
        psu: str | Sequence[str] | None,
        fpc: str | float | Sequence[str | float] | None,
        nest: bool,
        lonely_psu: str,
        adjust_domain_lonely: bool,
    ) -> tuple[TaylorStructure, np.ndarray | None]:
        frame, source = self._data, self._source
        n = len(frame)
        psu_cols = [c for c in _as_list(psu) if c not in ("1", 1)]
        strata_cols = _as_list(strata)
        fpc_specs = [] if fpc is None else ([fpc] if isinstance(fpc, str | int | float) else list(fpc))
        check_columns(frame, psu_cols + strata_cols + [f for f in fpc_specs if isinstance(f, str)],
                      "design", source)
        n_stages = max(1, len(psu_cols))
        if len(strata_cols) > n_stages:
            raise DesignError(f"{len(strata_cols)} strata columns for {n_stages} stage(s)")
        if len(fpc_specs) > n_stages:
            raise DesignError(f"{len(fpc_specs)} fpc values for {n_stages} stage(s)")
        for col in psu_cols + strata_cols:
            if frame[col].isna().any():
                raise DataError(
                    f"{source}: design column {col!r} has {int(frame[col].isna().sum())} missing values"
                )
        stages: list[Stage] = []
        parent: np.ndarray | None = None
        popsizes: list[np.ndarray] = []
        as_counts = self._fpc_are_counts(fpc_specs)
        for s in range(n_stages):
            if s < len(strata_cols):
                stratum_key = frame[strata_cols[s]].to_numpy()
            else:
                stratum_key = np.zeros(n, dtype=np.int64)
            if s == 0:
                stratum, _ = factorize(stratum_key)
                labels_series = pd.Series(stratum_key)
            else:
                stratum, _ = factorize(stratum_key, parent)
                labels_series = pd.Series(stratum_key).astype(str) + "/" + pd.Series(parent).astype(str)
            if s < len(psu_cols):
                psu_key = frame[psu_cols[s]].to_numpy()
            else:
                psu_key = np.arange(n)
            if s == 0 and s >= len(psu_cols):
                cluster = np.arange(n, dtype=np.int64)  # every row its own PSU: nested by construction
            elif s == 0:
                if nest:
                    cluster, _ = factorize(stratum, psu_key)
                else:
                    cluster, _ = factorize(psu_key)
                    _check_nested(cluster, stratum, psu_cols[0], source)
            else:
                cluster, _ = factorize(parent, psu_key)
            labels = _stratum_labels(stratum, labels_series)
            n_sampled_row = _clusters_per_stratum(cluster, stratum)
            popsize_row = None
            if s < len(fpc_specs):
                popsize_row = self._popsize(fpc_specs[s], stratum, n_sampled_row, labels, s, as_counts)
                popsizes.append(popsize_row / n_sampled_row)
            stages.append(Stage.build(cluster, stratum, popsize_row,
                                      None if s == 0 else parent, labels))
            parent = cluster
        taylor = TaylorStructure(tuple(stages), lonely_psu, adjust_domain_lonely)
        fpc_weights = np.prod(popsizes, axis=0) if popsizes else None
        return taylor, fpc_weights

    def _fpc_values(self, spec: str | float) -> np.ndarray:
        frame, source = self._data, self._source
        if isinstance(spec, str):
            values = numeric_column(frame, spec, "fpc", source)
            _check_finite(values, spec, "fpc", source)
            return values
        return np.full(len(frame), float(spec))

    def _fpc_are_counts(self, specs: Sequence[str | float]) -> bool:
        """As R: population counts when any fpc exceeds 1 (then all must be >= 1), else fractions."""
        if not specs:
            return True
        values = np.concatenate([self._fpc_values(spec) for spec in specs])
        counts = bool((values > 1).any())
        if counts and (values < 1).any():
            raise DesignError(
                f"{self._source}: fpc mixes population sizes (>1) and sampling fractions (<1); "
                "give all stages as counts or all as fractions"
            )
        return counts

    def _popsize(self, spec: str | float, stratum: np.ndarray, n_sampled: np.ndarray,
                 labels: list[str], stage: int, as_counts: bool) -> np.ndarray:
        source = self._source
        values = self._fpc_values(spec)
        name = spec if isinstance(spec, str) else str(spec)
        if (values <= 0).any():
            raise DataError(f"{source}: fpc {name!r} must be positive")
        varying = pd.Series(values).groupby(stratum).nunique()
        if (varying > 1).any():
            bad = labels[int(varying.index[np.argmax(varying.to_numpy() > 1)])]
            raise DesignError(f"{source}: fpc {name!r} varies within stratum {bad} at stage {stage + 1}")
        popsize = values if as_counts else n_sampled / values
        if (popsize < n_sampled - 1e-9).any():
            h = int(stratum[np.argmax(popsize < n_sampled - 1e-9)])
            raise DesignError(
                f"{source}: fpc {name!r} implies more than 100% sampling in stratum {labels[h]} "
                f"at stage {stage + 1}"
            )
        return popsize

    def _read_replicates(
        self,
        columns: str | Sequence[str],
        method: str | None,
        scale: float | None,
        rscales: Sequence[float] | np.ndarray | None,
        rho: float | None,
        mse: bool,
        combined_weights: bool,
    ) -> ReplicateWeights:
        frame, source = self._data, self._source
        if isinstance(columns, str):
            try:
                pattern = re.compile(columns)
            except re.error as err:
                raise DesignError(
                    f"replicate_weights pattern {columns!r} is not a valid regular expression "
                    f"({err}); give a list of column names or a pattern such as 'rw[0-9]+'"
                ) from None
            names = [c for c in frame.columns if pattern.fullmatch(str(c))]
            if not names:
                raise DataError(f"{source}: no column matches replicate_weights pattern {columns!r}")
        else:
            names = list(columns)
            check_columns(frame, names, "replicate weight", source)
        method = (method or "other").lower()
        if method not in REPLICATE_METHODS:
            raise DesignError(f"method must be one of {REPLICATE_METHODS}, got {method!r}")
        block = frame[names]
        if all(pd.api.types.is_numeric_dtype(t) for t in block.dtypes):
            matrix = block.to_numpy(dtype=float, na_value=np.nan)
        else:
            matrix = np.column_stack([numeric_column(frame, c, "replicate weight", source) for c in names])
        bad_columns = np.flatnonzero(~np.isfinite(matrix).all(axis=0))
        if len(bad_columns):
            _check_finite(matrix[:, bad_columns[0]], names[bad_columns[0]], "replicate weight", source)
        if (matrix < 0).any():
            raise DataError(f"{source}: replicate weights must not be negative")
        n_rep = matrix.shape[1]
        if method == "fay" and rho is None:
            raise DesignError("method='fay' needs rho=")
        rho_value = 0.0 if rho is None else float(rho)
        if scale is None:
            if method in ("brr", "fay"):
                scale = 1.0 / (n_rep * (1 - rho_value) ** 2)
            elif method in ("bootstrap", "subbootstrap"):
                scale = 1.0 / (n_rep - 1)
            elif method == "jk1":
                scale = (n_rep - 1) / n_rep
            elif method == "jkn":
                scale = 1.0
            else:
                raise DesignError(f"method={method!r} needs scale= (and rscales= if not all 1)")
        if rscales is None:
            if method == "jkn":
                raise DesignError("method='jkn' needs rscales= ((n_h - 1) / n_h for each replicate)")
            rscales_arr = np.ones(n_rep)
        else:
            rscales_arr = np.asarray(rscales, dtype=float).reshape(-1)
            if rscales_arr.size == 1:
                rscales_arr = np.repeat(rscales_arr, n_rep)  # a single value applies to all, as R
            if rscales_arr.shape != (n_rep,):
                raise DesignError(f"rscales has {rscales_arr.size} values for {n_rep} replicates")
        analysis = matrix if combined_weights else matrix * self._weights[:, None]
        return ReplicateWeights(method, analysis, float(scale), rscales_arr, bool(mse), None,
                                rho_value if method == "fay" else None)

    # ------------------------------------------------------------------ values and copies

    def _evolve(self, **changes: Any) -> Design:
        new = object.__new__(Design)
        new.__dict__.update(self.__dict__)
        for key, value in changes.items():
            setattr(new, "_" + key, value)
        return new

    @property
    def data(self) -> pd.DataFrame:
        """The design's data (a copy-on-write view: editing it never changes the design)."""
        return self._data.copy(deep=False)

    @property
    def codebook(self) -> Any:
        """The codebook of the survey the design was built from (None for a plain DataFrame)."""
        return self._codebook

    @property
    def weights(self) -> pd.Series:
        """Analysis weights of every row (zero outside the domain), indexed like ``data``."""
        return pd.Series(self._weights * self._domain, index=self._data.index, name="weight")

    @property
    def history(self) -> tuple[Step, ...]:
        """Every step applied to reach this design (construction, weighting, subsetting)."""
        return self._history

    @property
    def report(self) -> Any:
        """The :class:`WeightingReport` of the last weighting step (None before weighting)."""
        return self._report

    @property
    def is_replicate(self) -> bool:
        return self._replicates is not None

    @property
    def replicate_weights(self) -> ReplicateWeights | None:
        return self._replicates

    @property
    def n_strata(self) -> int:
        return 0 if self._taylor is None else self._taylor.stages[0].n_strata

    @property
    def n_psu(self) -> int:
        return 0 if self._taylor is None else self._taylor.stages[0].n_clusters

    @property
    def taylor(self) -> TaylorStructure | None:
        return self._taylor

    def degrees_of_freedom(self, in_domain: np.ndarray | None = None) -> int:
        """Design degrees of freedom among ``in_domain`` rows (default: the design's domain).

        Taylor designs: PSUs minus strata with a nonzero weight (R's ``degf``); replicate
        designs: rank of the replicate weights minus one, or ``degf=`` when given.
        """
        rows = self._domain & (self._weights != 0) if in_domain is None else in_domain
        if self._replicates is not None:
            if self._degf is not None:
                return int(self._degf)
            return self._replicates.degrees_of_freedom(rows)
        assert self._taylor is not None
        return self._taylor.degrees_of_freedom(rows)

    def options(self, *, lonely_psu: str | None = None, adjust_domain_lonely: bool | None = None) -> Design:
        """A new design with other lonely-PSU handling (as R's ``survey.lonely.psu`` option)."""
        if self._taylor is None:
            raise DesignError("lonely-PSU options apply to Taylor designs, not replicate designs")
        rule = self._taylor.lonely_psu if lonely_psu is None else lonely_psu
        if rule not in LONELY_PSU_RULES:
            raise DesignError(f"lonely_psu must be one of {LONELY_PSU_RULES}, got {rule!r}")
        adjust = self._taylor.adjust_domain_lonely if adjust_domain_lonely is None else adjust_domain_lonely
        taylor = replace(self._taylor, lonely_psu=rule, adjust_domain_lonely=adjust)
        step = Step("options", {"lonely_psu": rule, "adjust_domain_lonely": adjust})
        return self._evolve(taylor=taylor, history=self._history + (step,))

    def subset(self, condition: Any, *, label: str | None = None) -> Design:
        """A domain design: rows outside ``condition`` get weight zero but are kept.

        ``condition`` is a boolean Series/array aligned with the data, a callable taking the
        DataFrame, or a text condition that compares columns with values and combines them with
        ``& | ~`` (``"prov == 35 & age_grp in [1, 2]"``; grammar in :mod:`citizensfirst.condition`;
        it is never evaluated as code). Missing values count as False.

        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "g": list("aabb")})
        >>> Design(df).subset(df.g == "b").mean("y").estimate
        3.5
        """
        mask = self.resolve_mask(condition)
        if not (mask & self._domain).any():
            raise DataError(f"{self._source}: subset condition {label or condition!r} selects no rows")
        step = Step("subset", {"condition": label or _describe_condition(condition)})
        return self._evolve(domain=self._domain & mask, history=self._history + (step,))

    def resolve_mask(self, condition: Any) -> np.ndarray:
        """A boolean numpy mask from a Series, array, callable or text condition (NaN -> False)."""
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
        if method in ("bootstrap", "subbootstrap"):
            _check_replicate_count(replicates)
            if seed is None:
                raise DesignError(f"as_replicate({method!r}) needs seed= so the replicates can be reproduced")
        rng = np.random.default_rng(seed)
        if method == "jk1":
            mult, scale, rscales = _replicates.jk1(psu_stratum, popsize)
        elif method == "jkn":
            mult, scale, rscales = _replicates.jkn(psu_stratum, popsize, self._taylor.lonely_psu, labels)
        elif method in ("brr", "fay"):
            if method == "fay" and not 0 < rho < 1:
                raise DesignError("method='fay' needs 0 < rho < 1")
            mult, scale, rscales = _replicates.brr(psu_stratum, labels, rho if method == "fay" else 0.0)
        elif method == "bootstrap":
            mult, scale, rscales = _replicates.bootstrap(psu_stratum, popsize, replicates, rng)
        elif method == "subbootstrap":
            mult, scale, rscales = _replicates.subbootstrap(psu_stratum, replicates, rng)
        else:
            raise DesignError(f"method must be one of {_replicates.METHODS}, got {method!r}")
        reps = ReplicateWeights(method, mult, float(scale), np.asarray(rscales, dtype=float), mse,
                                stage.cluster, rho if method == "fay" else None)
        step = Step("as_replicate", {"method": method, "replicates": mult.shape[1], "seed": seed,
                                     "rho": rho, "mse": mse})
        return self._evolve(replicates=reps, taylor=None, degf=None, history=self._history + (step,))

    # ------------------------------------------------------------------ weighting

    def rake(
        self,
        margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame,
        *,
        total: float | None = None,
        max_iter: int = 100,
        tol: float = 1e-10,
        change_tol: float | None = None,
        bounds: tuple[float, float] | None = None,
    ) -> Design:
        """Rake the weights to marginal targets (R's ``rake``).

        Parameters
        ----------
        margins : mapping or DataFrame
            ``{variable: {level: share or count}}``, or a frame of margins.
        total : float, optional
            Population size the weights should sum to (default: from the margins).
        max_iter : int, default 100
            Most raking sweeps (at least 1).
        tol : float, default 1e-10
            Relative tolerance every achieved margin must meet (``0 < tol <= 1e-3``).
        change_tol : float, optional
            R's stopping rule instead: stop once the weighted table changes by less than this.
        bounds : (float, float), optional
            ``(low, high)`` limits on the adjustment ratio (bounded raking).

        Returns
        -------
        Design
            A new design with raked weights; ``report`` describes the step.

        Raises
        ------
        WeightingError
            Invalid controls or margins that cannot be met.
        ConvergenceError
            A margin still misses its target by more than ``tol``.

        See Also
        --------
        citizensfirst.weighting.rake

        Examples
        --------
        >>> df = pd.DataFrame({"g": list("aabb"), "w": [1.0, 1, 1, 1]})
        >>> Design(df, weights="w").rake({"g": {"a": 30, "b": 10}}).weights.tolist()
        [15.0, 15.0, 5.0, 5.0]
        """
        from .weighting import rake

        return rake(self, margins, total=total, max_iter=max_iter, tol=tol,
                    change_tol=change_tol, bounds=bounds)

    def calibrate(
        self,
        targets: Mapping[str, float | Mapping[Any, float]],
        *,
        total: float | None = None,
        method: str = "linear",
        bounds: tuple[float, float] | None = None,
        max_iter: int = 50,
        tol: float = 1e-07,
        cluster: int | str | None = None,
    ) -> Design:
        """Calibrate the weights to population totals (R's ``calibrate``).

        Parameters
        ----------
        targets : mapping
            Categorical variables to ``{level: count}``, numeric variables to their total.
        total : float, optional
            Population size (the intercept; default: the sum of the first categorical margin).
        method : {"linear", "raking", "logit"}, default "linear"
            Calibration function (``linear`` is GREG).
        bounds : (float, float), optional
            Limits on the g-weights (required for ``logit``).
        max_iter : int, default 50
            Most iterations (at least 1).
        tol : float, default 1e-07
            R's stopping rule ``|misfit| / (1 + |total|) < tol`` (``0 < tol <= 1e-3``).
        cluster : int or str, optional
            A stage number (1 = PSUs) or column: every member of a cluster gets the same g.

        Returns
        -------
        Design
            A new design with calibrated weights; ``report`` describes the step.

        Raises
        ------
        WeightingError
            Invalid controls or targets.
        ConvergenceError
            A total still misses its target by more than ``tol``.

        See Also
        --------
        citizensfirst.weighting.calibrate

        Examples
        --------
        >>> df = pd.DataFrame({"g": list("aabb")})
        >>> Design(df).calibrate({"g": {"a": 6, "b": 2}}).weights.round(6).tolist()
        [3.0, 3.0, 1.0, 1.0]
        """
        from .weighting import calibrate

        return calibrate(self, targets, total=total, method=method, bounds=bounds,
                         max_iter=max_iter, tol=tol, cluster=cluster)

    def poststratify(
        self, cells: str | Sequence[str], totals: Mapping[Any, float] | pd.DataFrame
    ) -> Design:
        """Post-stratify the weights to population counts of ``cells``.

        Parameters
        ----------
        cells : str or sequence of str
            One variable, or several whose crossed levels are the cells.
        totals : mapping or DataFrame
            Level (or tuple of levels) to population count, or a frame with the cell columns
            and a ``Freq`` (or ``count``) column.

        Returns
        -------
        Design
            A new design whose weights sum to each cell's count.

        Raises
        ------
        WeightingError
            Counts that are missing, negative or not finite, or cells with no respondent.

        See Also
        --------
        citizensfirst.weighting.poststratify

        Examples
        --------
        >>> df = pd.DataFrame({"g": list("aab")})
        >>> Design(df).poststratify("g", {"a": 10, "b": 5}).weights.tolist()
        [5.0, 5.0, 5.0]
        """
        from .weighting import poststratify

        return poststratify(self, cells, totals)

    def trim(
        self,
        *,
        lower: float = -np.inf,
        upper: float = np.inf,
        relative: bool = False,
        strict: bool = False,
        redistribute: str = "equal",
    ) -> Design:
        """Trim weights to ``[lower, upper]`` and share what was cut (R's ``trimWeights``).

        Parameters
        ----------
        lower, upper : float, default -inf, inf
            Limits on the weights.
        relative : bool, default False
            Read the limits as multiples of the median weight.
        strict : bool, default False
            Repeat until no weight is outside the limits.
        redistribute : {"equal", "proportional", "none"}, default "equal"
            How the trimmed amount goes to the untrimmed weights (``none``: the total changes).

        Returns
        -------
        Design
            A new design with trimmed weights.

        Raises
        ------
        WeightingError
            Limits that are invalid or cannot keep the weight total.

        See Also
        --------
        citizensfirst.weighting.trim

        Examples
        --------
        >>> d = Design(pd.DataFrame({"w": [1.0, 1, 1, 5]}), weights="w")
        >>> d.trim(upper=3).weights.round(4).tolist()
        [1.6667, 1.6667, 1.6667, 3.0]
        """
        from .weighting import trim

        return trim(self, lower=lower, upper=upper, relative=relative, strict=strict,
                    redistribute=redistribute)

    # ------------------------------------------------------------------ estimators

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]})
        >>> round(Design(df, weights="w").mean("y").estimate, 4)
        2.8333
        """
        from .estimators import mean

        return mean(self, variables, by=by, missing=missing, deff=deff, level=level, df=df,
                    rules=rules)

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]})
        >>> float(Design(df, weights="w").total("y").estimate)
        17.0
        """
        from .estimators import total

        return total(self, variables, by=by, missing=missing, deff=deff, level=level, df=df,
                     rules=rules)

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
        >>> df = pd.DataFrame({"g": list("aaab")})
        >>> Design(df).proportion("g").estimate.tolist()
        [0.75, 0.25]
        """
        from .estimators import proportion

        return proportion(self, variable, by=by, ci=ci, deff=deff, level=level, df=df,
                          rules=rules)

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
        >>> df = pd.DataFrame({"g": list("aaab"), "w": [1.0, 1, 1, 5]})
        >>> Design(df, weights="w").count("g").estimate.tolist()
        [3.0, 5.0]
        """
        from .estimators import count

        return count(self, variable, by=by, deff=deff, level=level, df=df, rules=rules)

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 3], "x": [2.0, 2, 2]})
        >>> float(Design(df).ratio("y", "x").estimate)
        1.0
        """
        from .estimators import ratio

        return ratio(self, numerator, denominator, by=by, deff=deff, level=level, df=df,
                     rules=rules)

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4]})
        >>> round(float(Design(df).variance("y").estimate), 4)
        1.6667
        """
        from .estimators import variance

        return variance(self, variables, by=by, level=level, df=df, rules=rules)

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
        citizensfirst.estimators.quantile

        Examples
        --------
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]})
        >>> float(Design(df).quantile("y", 0.5).estimate)
        3.0
        """
        from .estimators import quantile

        return quantile(self, variable, probs, by=by, rule=rule, interval=interval, level=level,
                        df=df, rules=rules)

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "g": list("aabbcc")})
        >>> Design(df).regress("y ~ g").coefficients.index.tolist()
        ['(Intercept)', 'gb', 'gc']
        """
        from .inference import regress

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
        >>> df = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 6], "g": list("aaabbb")})
        >>> Design(df).ttest("y", by="g").parameters
        {'df': 4}
        """
        from .inference import ttest

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
        >>> df = pd.DataFrame({"a": list("xxyyxy") * 5, "b": list("pqpqqq") * 5})
        >>> Design(df).chisq("a", "b").statistic_name
        'F'
        """
        from .inference import chisq

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
        >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("pqpp"), "w": [1.0, 2, 3, 4]})
        >>> Design(df, weights="w").table("a", "b").to_numpy().tolist()
        [[1.0, 2.0], [7.0, 0.0]]
        """
        from .inference import table

        return table(self, row_var, col_var)

    # ------------------------------------------------------------------ tables

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
        >>> df = pd.DataFrame({"ch": ["web", "phone", "web", "web"] * 50,
        ...                    "g": ["a"] * 100 + ["b"] * 100})
        >>> Design(df).crosstab("ch", "g").to_frame().loc["web"].tolist()
        ['75.0', '75.0', '75.0']
        """
        from .tables import crosstab

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
        >>> df = pd.DataFrame({"ch": ["web", "phone"] * 20, "age": ["y"] * 20 + ["o"] * 20})
        >>> [c.header for c in Design(df).banner("ch", ["age"]).columns]
        ['Total', 'o (A)', 'y (B)']
        """
        from .tables import banner

        return banner(self, rows, cols, stat, value=value, language=language, alpha=alpha,
                      adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level,
                      title=title)

    # ------------------------------------------------------------------ drivers

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
        from .drivers import driver_importance

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

    def __repr__(self) -> str:
        n = len(self._data)
        kind = (
            f"replicate design ({self._replicates.method}, {self._replicates.n_replicates} replicates)"
            if self._replicates is not None
            else f"design with {self.n_strata} strata and {self.n_psu} PSUs"
        )
        domain = "" if self._domain.all() else f", domain of {int(self._domain.sum())} rows"
        return f"<Design: {n} rows, {kind}{domain}>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<li>{step}</li>" for step in self._history)
        return f"<div><b>{self!r}</b><ol>{rows}</ol></div>".replace("<Design", "&lt;Design").replace(">,", "&gt;,")


def _unpack(data: Any) -> tuple[pd.DataFrame, Any, str]:
    if isinstance(data, pd.DataFrame):
        if data.columns.duplicated().any():
            dup = data.columns[data.columns.duplicated()].tolist()
            raise DataError(f"data: duplicate column names {dup}")
        return data.copy(deep=False), None, "data"
    if hasattr(data, "data") and hasattr(data, "codebook"):
        source = getattr(getattr(data, "source", None), "path", None)
        return data.data.copy(deep=False), data.codebook, str(source) if source else "survey"
    raise DataError(f"Design needs a DataFrame or a Survey, got {type(data).__name__}")


def _bootstrap_of_final_weights(design: Design, replicates: int, seed: int | None) -> ReplicateWeights:
    """Bootstrap replicates (of the first-stage PSUs) applied to the design's current weights."""
    if design._taylor is None:
        raise DesignError("a bootstrap needs the design's strata and PSUs")
    stage = design._taylor.stages[0]
    mult, scale, rscales = _replicates.bootstrap(
        stage.stratum_of_cluster, stage.popsize, replicates, np.random.default_rng(seed)
    )
    return ReplicateWeights("bootstrap", mult, scale, rscales, False, stage.cluster)


def _check_replicate_count(replicates: Any) -> None:
    """Raise :class:`DesignError` unless ``replicates`` is a whole number of at least 2."""
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 2:
        raise DesignError(
            f"replicates must be a whole number of at least 2 (200 or more for stable intervals), "
            f"got {replicates!r}"
        )


def _check_finite(values: np.ndarray, name: str, role: str, source: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{source}: {role} {name!r} has {int(bad.sum())} missing or infinite values "
            f"(first at row {first})"
        )


def _check_nested(cluster: np.ndarray, stratum: np.ndarray, name: str, source: str) -> None:
    pairs = pd.DataFrame({"c": cluster, "h": stratum}).drop_duplicates()
    counts = pairs["c"].value_counts()
    if (counts > 1).any():
        raise DesignError(
            f"{source}: PSU {name!r} ids repeat across strata ({int((counts > 1).sum())} ids); "
            "pass nest=True if ids are only unique within strata"
        )


def _clusters_per_stratum(cluster: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    n_strata = int(stratum.max()) + 1
    stratum_of_cluster = np.zeros(int(cluster.max()) + 1, dtype=np.int64)
    stratum_of_cluster[cluster] = stratum
    counts = np.bincount(stratum_of_cluster, minlength=n_strata).astype(float)
    return counts[stratum]


def _stratum_labels(stratum: np.ndarray, keys: pd.Series) -> list[str]:
    first = pd.Series(np.arange(len(stratum))).groupby(stratum).first()
    return [str(keys.iloc[i]) for i in first.to_numpy()]


def _describe_condition(condition: Any) -> str:
    if isinstance(condition, str):
        return condition
    if isinstance(condition, pd.Series) and condition.name is not None:
        return f"<mask {condition.name}>"
    return "<mask>"

