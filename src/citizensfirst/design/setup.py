"""Building a design: checking the arguments, base weights, the Taylor structure, replicate weights."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..errors import DataError, DesignError
from . import replicates as _replicates
from .groups import factor_key, factorize
from .variance import ReplicateWeights, Stage, TaylorStructure

if TYPE_CHECKING:
    from .facade import Design


REPLICATE_METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap", "other")


@dataclass(frozen=True)
class Step:
    """One entry of ``Design.history``: what was done, with which parameters."""

    action: str
    parameters: dict[str, Any]

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        return f"{self.action}({args})"


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """A column option as a list of names.

    Parameters
    ----------
    value : str or sequence of str or None
        One name, several, or None.

    Returns
    -------
    list of str
        The names (empty for None).
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def check_columns(data: pd.DataFrame, names: Iterable[str], role: str, source: str = "data") -> None:
    """Raise :class:`DataError` naming any of ``names`` absent from ``data`` (with suggestions).

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    names : iterable of str
        Column names that must be present.
    role : str
        What the columns are for, as said in the message.
    source : str, default "data"
        Where the data came from, as said in the message.

    Raises
    ------
    DataError
        If any name is not a column of ``data``.
    """
    missing = [n for n in names if n not in data.columns]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(str(name), [str(c) for c in data.columns], n=3)
        hints.append(f"{name!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
    raise DataError(f"{source}: {role} column(s) not found: {', '.join(hints)}")


def numeric_column(data: pd.DataFrame, name: str, role: str, source: str = "data") -> np.ndarray:
    """The column ``name`` as float64, or a DataError naming the first non-numeric value.

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    name : str
        The column.
    role : str
        What the column is for, as said in the message.
    source : str, default "data"
        Where the data came from, as said in the message.

    Returns
    -------
    numpy.ndarray
        The column as float64 (missing values as NaN).

    Raises
    ------
    DataError
        If the column name is duplicated or the column holds a non-numeric value.
    """
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


class DesignBase:
    """Typed base of :class:`~citizensfirst.Design` and of its method groups (mixins).

    Declares the design's state attributes, one per field of
    :class:`~citizensfirst.design.state.DesignState` with ``_`` before its name: the
    :class:`~citizensfirst.Design` constructor sets them and :meth:`~citizensfirst.Design.evolve`
    copies them. The method groups (:class:`DesignSetup`, ``EstimatorMethods``,
    ``AnalysisMethods``, ``WeightingMethods``) are mixed into ``Design`` only.
    """

    _data: pd.DataFrame
    _codebook: Any
    _source: str
    _spec: dict[str, Any]
    _weights: np.ndarray
    _taylor: TaylorStructure | None
    _replicates: ReplicateWeights | None
    _domain: np.ndarray
    _calibrations: tuple[Any, ...]
    _history: tuple[Step, ...]
    _report: Any
    _degf: int | None

    def _as_design(self) -> Design:
        """This object, typed as the :class:`~citizensfirst.Design` it is (every method group is
        mixed into ``Design`` only), to hand to the functions its methods forward to."""
        return cast("Design", self)


class DesignSetup(DesignBase):
    """Construction helpers of a design (weights, Taylor structure, replicates)."""

    def _base_weights(self, weights: str | None, probs: str | None, fpc_weights: np.ndarray | None) -> np.ndarray:
        frame, source = self._data, self._source
        if weights is not None and probs is not None:
            raise DesignError("give weights= or probs=, not both")
        if weights is not None:
            name, role = weights, "weights"
        elif probs is not None:
            name, role = probs, "probs"
        else:
            return fpc_weights if fpc_weights is not None else np.ones(len(frame))
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
        return build_taylor(self._data, self._source, strata, psu, fpc, nest, lonely_psu,
                            adjust_domain_lonely)

    def _read_replicates(self, columns: str | Sequence[str], method: str | None, scale: float | None,
                         rscales: Sequence[float] | np.ndarray | None, rho: float | None, mse: bool,
                         combined_weights: bool) -> ReplicateWeights:
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
        method = replicate_method(method)
        block = frame[names]
        if all(t == np.float64 for t in block.dtypes):  # one float block: often no copy at all
            matrix = block.to_numpy(dtype=float, na_value=np.nan)
        else:  # column by column into one matrix (a numpy number dtype holds no NA: converted as copied)
            matrix = np.empty((len(frame), len(names)), order="F")
            for j, name in enumerate(names):
                column = block[name]
                matrix[:, j] = (column.to_numpy() if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iuf"
                                else numeric_column(frame, name, "replicate weight", source))
        low, high = matrix.min(axis=0), matrix.max(axis=0)  # NaN and infinities show here: no n x R masks
        bad_columns = np.flatnonzero(~(np.isfinite(low) & np.isfinite(high)))
        if len(bad_columns):
            _check_finite(matrix[:, bad_columns[0]], names[bad_columns[0]], "replicate weight", source)
        if (low < 0).any():
            raise DataError(f"{source}: replicate weights must not be negative")
        scale, rscales_arr, rho_value = replicate_parameters(method, matrix.shape[1], scale, rscales, rho)
        analysis = matrix if combined_weights else matrix * self._weights[:, None]
        return ReplicateWeights(method, analysis, float(scale), rscales_arr, bool(mse), None,
                                rho_value if method == "fay" else None)


def replicate_method(method: str | None) -> str:
    """The replicate method in lower case (None: ``"other"``), checked against the known ones.

    Parameters
    ----------
    method : str or None
        The method as given.

    Returns
    -------
    str
        One of :data:`REPLICATE_METHODS`.

    Raises
    ------
    DesignError
        If the method is unknown.

    Examples
    --------
    >>> replicate_method("JK1")
    'jk1'
    """
    method = (method or "other").lower()
    if method not in REPLICATE_METHODS:
        raise DesignError(f"method must be one of {REPLICATE_METHODS}, got {method!r}")
    return method


def replicate_parameters(method: str, n_rep: int, scale: float | None,
                         rscales: Sequence[float] | np.ndarray | None,
                         rho: float | None) -> tuple[float, np.ndarray, float]:
    """The scale, per-replicate scales and rho of supplied replicate weights (R's defaults).

    Parameters
    ----------
    method : str
        The replicate method (see :func:`replicate_method`).
    n_rep : int
        Number of replicate columns.
    scale : float or None
        Overall scale (None: the method's default).
    rscales : sequence of float or numpy.ndarray or None
        Per-replicate scales (None: all 1; one value applies to all).
    rho : float or None
        Fay's rho.

    Returns
    -------
    tuple
        ``(scale, rscales, rho)`` (rho 0 when not given).

    Raises
    ------
    DesignError
        When the method needs a parameter that is missing, or ``rscales`` has the wrong length.

    Examples
    --------
    >>> replicate_parameters("jk1", 4, None, None, None)
    (0.75, array([1., 1., 1., 1.]), 0.0)
    """
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
    return float(scale), rscales_arr, rho_value


def build_taylor(
    frame: pd.DataFrame,
    source: str,
    strata: str | Sequence[str] | None,
    psu: str | Sequence[str] | None,
    fpc: str | float | Sequence[str | float] | None,
    nest: bool,
    lonely_psu: str,
    adjust_domain_lonely: bool,
) -> tuple[TaylorStructure, np.ndarray | None]:
    """The Taylor structure (strata, PSUs of every stage, fpc) of ``frame``'s rows.

    ``frame`` holds the design columns: the respondents, or one row per distinct combination of
    design values (a lazy design's cluster table), which gives the same structure.

    Parameters
    ----------
    frame : pandas.DataFrame
        The design columns.
    source : str
        Where the data came from, for messages.
    strata : str or sequence of str or None
        Strata column(s), one per stage at most.
    psu : str or sequence of str or None
        PSU column(s), one per stage (None: every row is its own PSU).
    fpc : str or float or sequence of (str or float) or None
        Per stage, population sizes or sampling fractions (column or number).
    nest : bool
        PSU ids unique only within strata.
    lonely_psu : str
        Rule for strata with one PSU.
    adjust_domain_lonely : bool
        As R's ``survey.adjust.domain.lonely``.

    Returns
    -------
    tuple
        ``(taylor, fpc_weights)``: the structure and, with an fpc, the weight the fpc
        implies for every row (None without an fpc).

    Raises
    ------
    DataError
        Missing or non-numeric design values.
    DesignError
        Too many strata or fpc columns, fpc varying within a stratum, PSUs not nested.

    Examples
    --------
    >>> frame = pd.DataFrame({"s": [1, 1, 2, 2], "p": [1, 2, 3, 4]})
    >>> taylor, _ = build_taylor(frame, "data", "s", "p", None, False, "fail", False)
    >>> taylor.stages[0].n_strata, taylor.stages[0].n_clusters
    (2, 4)
    """
    n = len(frame)
    psu_cols = [c for c in as_list(psu) if c not in ("1", 1)]
    strata_cols = as_list(strata)
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
    parent = np.zeros(n, dtype=np.int64)  # above the first stage: the population, one cluster
    popsizes: list[np.ndarray] = []
    as_counts = _fpc_are_counts(frame, source, fpc_specs)
    for s in range(n_stages):
        if s < len(strata_cols):
            stratum_key = factor_key(frame[strata_cols[s]])
        else:
            stratum_key = np.zeros(n, dtype=np.int64)
        if s == 0:
            stratum, _ = factorize(stratum_key)
            labels_series = pd.Series(stratum_key, copy=False)
        else:
            stratum, _ = factorize(stratum_key, parent)
            labels_series = pd.Series(stratum_key).astype(str) + "/" + pd.Series(parent).astype(str)
        if s < len(psu_cols):
            psu_key = factor_key(frame[psu_cols[s]])
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
            popsize_row = _popsize(frame, source, fpc_specs[s], stratum, n_sampled_row, labels, s,
                                   as_counts)
            popsizes.append(popsize_row / n_sampled_row)
        stages.append(Stage.build(cluster, stratum, popsize_row,
                                  None if s == 0 else parent, labels))
        parent = cluster
    taylor = TaylorStructure(tuple(stages), lonely_psu, adjust_domain_lonely)
    fpc_weights = np.prod(popsizes, axis=0) if popsizes else None
    return taylor, fpc_weights

def _fpc_values(frame: pd.DataFrame, source: str, spec: str | float) -> np.ndarray:
    if isinstance(spec, str):
        values = numeric_column(frame, spec, "fpc", source)
        _check_finite(values, spec, "fpc", source)
        return values
    return np.full(len(frame), float(spec))

def _fpc_are_counts(frame: pd.DataFrame, source: str, specs: Sequence[str | float]) -> bool:
    """As R: population counts when any fpc exceeds 1 (then all must be >= 1), else fractions."""
    if not specs:
        return True
    values = np.concatenate([_fpc_values(frame, source, spec) for spec in specs])
    counts = bool((values > 1).any())
    if counts and (values < 1).any():
        raise DesignError(
            f"{source}: fpc mixes population sizes (>1) and sampling fractions (<1); "
            "give all stages as counts or all as fractions"
        )
    return counts

def _popsize(frame: pd.DataFrame, source: str, spec: str | float, stratum: np.ndarray,
             n_sampled: np.ndarray, labels: list[str], stage: int, as_counts: bool) -> np.ndarray:
    values = _fpc_values(frame, source, spec)
    name = spec if isinstance(spec, str) else str(spec)
    if (values <= 0).any():
        raise DataError(f"{source}: fpc {name!r} must be positive")
    varying = pd.Series(values).groupby(stratum).nunique()
    if (varying > 1).any():
        bad = labels[int(varying.index[int(np.argmax(varying.to_numpy() > 1))])]
        raise DesignError(f"{source}: fpc {name!r} varies within stratum {bad} at stage {stage + 1}")
    popsize = values if as_counts else n_sampled / values
    if (popsize < n_sampled - 1e-9).any():
        h = int(stratum[np.argmax(popsize < n_sampled - 1e-9)])
        raise DesignError(
            f"{source}: fpc {name!r} implies more than 100% sampling in stratum {labels[h]} "
            f"at stage {stage + 1}"
        )
    return popsize


def unpack(data: Any) -> tuple[pd.DataFrame, Any, str]:
    """The data frame, codebook and source name of a DataFrame or Survey.

    Parameters
    ----------
    data : pandas.DataFrame or Survey
        What a design is built from.

    Returns
    -------
    frame : pandas.DataFrame
        A shallow copy of the data.
    codebook : Codebook or None
        The survey's codebook (None for a DataFrame).
    source : str
        The file path, ``"survey"`` or ``"data"``, for messages.

    Raises
    ------
    DataError
        If ``data`` is neither, or a DataFrame has duplicate column names.
    """
    if isinstance(data, pd.DataFrame):
        if data.columns.duplicated().any():
            dup = data.columns[data.columns.duplicated()].tolist()
            raise DataError(f"data: duplicate column names {dup}")
        return data.copy(deep=False), None, "data"
    if hasattr(data, "data") and hasattr(data, "codebook"):
        source = getattr(getattr(data, "source", None), "path", None)
        return data.data.copy(deep=False), data.codebook, str(source) if source else "survey"
    raise DataError(f"Design needs a DataFrame or a Survey, got {type(data).__name__}")


def check_replicate_count(replicates: Any) -> None:
    """Raise :class:`DesignError` unless ``replicates`` is a whole number of at least 2.

    Parameters
    ----------
    replicates : Any
        The number of replicates asked for.

    Raises
    ------
    DesignError
        If it is not a whole number of at least 2.
    """
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
    first = np.zeros(int(stratum.max()) + 1 if len(stratum) else 0, dtype=np.int64)
    first[stratum[::-1]] = np.arange(len(stratum))[::-1]  # the first row of each stratum
    return [str(keys.iloc[i]) for i in first]


def bootstrap_of_final_weights(design: Design, replicates: int, seed: int | None) -> ReplicateWeights:
    """Bootstrap replicates (of the first-stage PSUs) applied to the design's current weights.

    Parameters
    ----------
    design : Design
        A Taylor design (with strata and PSUs).
    replicates : int
        Number of replicates.
    seed : int or None
        Random seed.

    Returns
    -------
    ReplicateWeights
        Bootstrap multipliers of the first-stage PSUs.

    Raises
    ------
    DesignError
        If the design has no strata and PSUs (a replicate design).
    """
    if design.taylor is None:
        raise DesignError("a bootstrap needs the design's strata and PSUs")
    stage = design.taylor.stages[0]
    mult, scale, rscales = _replicates.bootstrap(
        stage.stratum_of_cluster, stage.popsize, replicates, np.random.default_rng(seed)
    )
    return ReplicateWeights("bootstrap", mult, scale, rscales, False, stage.cluster)
