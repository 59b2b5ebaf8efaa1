"""Shared pieces of lazy weighting steps: the new design, the cell table, per-cell values as
SQL, the base-weight check and the report from one summary query."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import Step
from ..errors import WeightingError
from ..weighting.controls import match_levels, value_labels
from ..weighting.report import WeightingReport
from .calibration_sums import Residualiser
from .checks import Checks

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["N", "W", "cell_case", "cell_table", "check_base", "indicator_sql", "is_taylor", "reweighted",
           "summary_report", "table_codes", "weight_summary"]

#: names of the weight-sum and row-count columns of the cell tables
W, N = "__cf_w", "__cf_n"
_NAMES = itertools.count(1)


def reweighted(design: LazyDesign, weight: str, replicates: Sequence[str] | None,
               residuals: Residualiser | None, step: Step) -> LazyDesign:
    """A copy of ``design`` with new weights, replicates, residualiser and history step; the
    weights are computed columns of a view over the rows (nothing is stored).

    Parameters
    ----------
    design : LazyDesign
        The design before the step.
    weight : str
        SQL of the new weight.
    replicates : sequence of str or None
        SQL of the new replicate weights (None: unchanged).
    residuals : Residualiser or None
        The step's residualiser (Taylor designs), or None.
    step : Step
        The history step.

    Returns
    -------
    LazyDesign
        The new design (``report`` still to be set).
    """
    new = copy.copy(design)
    # the weights become computed columns of a view: each is evaluated once per row per query
    name = f"__cf_w{next(_NAMES)}"  # unique: caches keyed by SQL never mix two designs
    columns = {name: weight} | {f"{name}_r{r}": a for r, a in enumerate(replicates or ())}
    new.backend = design.backend.with_columns(columns)
    new.checks = Checks(new.backend, design.columns, design.kinds)
    new.df_cache = {}
    new.weight_sql = new.backend.column(name)
    if replicates is not None:
        new.replicate_sql = tuple(new.backend.column(f"{name}_r{r}") for r in range(len(replicates)))
    if residuals is not None:
        new.calibrations = design.calibrations + (residuals,)
    new.history = design.history + (step,)
    return new


def weight_summary(design: LazyDesign, base: str, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per group of ``by``: count, sum, sum of squares, min and max of the weights, and min and max
    of weight / ``base`` over rows with a positive base (one query).

    Parameters
    ----------
    design : LazyDesign
        The weighted design.
    base : str
        SQL of the weight before the step.
    by : sequence of str
        Grouping columns (the margins).

    Returns
    -------
    pandas.DataFrame
        The answer: ``by`` columns, ``__cf_n``, ``__cf_w``, ``sq``, ``mn``, ``mx``, ``rmn``, ``rmx``.
    """
    w = f"({design.weight_sql})"
    ratio = f"CASE WHEN {base} > 0 THEN {w} / {base} END"
    return design.backend.aggregate({N: "COUNT(*)", W: f"SUM({w})", "sq": f"SUM({w} * {w})",
                                     "mn": f"MIN({w})", "mx": f"MAX({w})", "rmn": f"MIN({ratio})",
                                     "rmx": f"MAX({ratio})"}, by=list(by))


def summary_report(method: str, answer: pd.DataFrame, margins: pd.DataFrame | None, converged: bool,
                   iterations: int, trimmed: int = 0) -> WeightingReport:
    """The step's report from :func:`weight_summary` (summed over its groups).

    Parameters
    ----------
    method : str
        Name of the weighting method.
    answer : pandas.DataFrame
        :func:`weight_summary`.
    margins : pandas.DataFrame or None
        The checked margin table, or None.
    converged : bool
        Whether the step converged.
    iterations : int
        Iterations used.
    trimmed : int, default 0
        Weights trimmed.

    Returns
    -------
    WeightingReport
        The report.
    """
    return WeightingReport.from_sums(method, margins, converged, iterations, int(answer[N].sum()),
                                     float(answer["mn"].min()), float(answer["mx"].max()),
                                     float(answer[W].sum()), float(answer["sq"].sum()),
                                     float(answer["rmn"].min()), float(answer["rmx"].max()), trimmed)


def check_base(design: LazyDesign) -> float:
    """The sum of the design's weights, checked to be positive on every row (one query).

    Parameters
    ----------
    design : LazyDesign
        The design.

    Returns
    -------
    float
        The weight total.

    Raises
    ------
    WeightingError
        When a respondent has a zero or negative weight (the in-memory message).
    """
    w = f"({design.weight_sql})"
    found = design.backend.aggregate({"bad": f"SUM(CASE WHEN {w} <= 0 THEN 1 ELSE 0 END)",
                                      "total": f"SUM({w})"}).iloc[0]
    if found["bad"] and found["bad"] > 0:
        first = design.checks.first(f"{w} <= 0", design.columns[0])["row"]
        raise WeightingError(
            f"{design.source}: {int(found['bad'])} respondents have zero base weight (first at row {first}); "
            "weighting needs positive base weights"
        )
    return float(found["total"])


def cell_case(design: LazyDesign, frame: pd.DataFrame, names: Sequence[str], values: np.ndarray) -> str:
    """A per-row value that depends on ``names`` only, as nested ``CASE`` expressions.

    Each row of ``frame`` is a combination of values of ``names`` and ``values`` its value; a row
    evaluates one ``CASE`` per variable (not one test per cell).

    Parameters
    ----------
    design : LazyDesign
        The design (for quoting).
    frame : pandas.DataFrame
        The cells (unique combinations of ``names``, no missing value).
    names : sequence of str
        The cell variables.
    values : numpy.ndarray
        The value of each cell.

    Returns
    -------
    str
        The SQL expression.
    """
    lit = design.backend.literal
    factors = [pd.factorize(frame[name], sort=True) for name in names]  # codes follow sorted values
    order = np.lexsort([codes for codes, _ in reversed(factors)]) if names else np.arange(len(values))
    ranked = [codes[order] for codes, _ in factors]
    value = np.asarray(values)[order]

    def _branch(level: int, start: int, stop: int) -> str:  # the cells start:stop share names[:level]
        if level == len(names) or len(np.unique(value[start:stop])) == 1:
            return lit(float(value[start]))
        codes, column = ranked[level][start:stop], design.backend.column(names[level])
        bounds = np.r_[0, np.flatnonzero(np.diff(codes)) + 1, len(codes)]
        parts = [f"WHEN {column} = {lit(factors[level][1][codes[a]])} THEN {_branch(level + 1, start + a, start + b)}"
                 for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return "(CASE " + " ".join(parts) + " END)"

    return _branch(0, 0, len(value))


def cell_table(design: LazyDesign, names: list[str], levels: list[list[Any]]
           ) -> tuple[pd.DataFrame, list[tuple[np.ndarray, list[Any]]], np.ndarray | None]:
    """The cell table of ``names`` and each variable's level codes per cell (in-memory errors).

    Parameters
    ----------
    design : LazyDesign
        The design.
    names : list of str
        The cell variables.
    levels : list of list
        Each variable's target levels.

    Returns
    -------
    tuple
        The table (``names``, :data:`W`, :data:`N`, ``__cf_r<r>`` replicate sums), per variable
        (codes of the table's rows, level keys), and the (cells, R) replicate sums or None.

    Raises
    ------
    WeightingError
        A variable with missing values, a value without target, a target without respondents.
    """
    design.checks.columns(names, "weighting")
    sums = {W: f"SUM({design.weight_sql})", N: "COUNT(*)"}
    sums |= {f"__cf_r{r}": f"SUM({a})" for r, a in enumerate(design.replicate_sql)}
    frame = design.backend.aggregate(sums, by=names)
    coded = [table_codes(design, frame, name, lv) for name, lv in zip(names, levels, strict=True)]
    reps = None
    if design.replicate_sql:
        reps = frame[[f"__cf_r{r}" for r in range(len(design.replicate_sql))]].to_numpy(dtype=float)
    return frame, coded, reps


def table_codes(design: LazyDesign, frame: pd.DataFrame, name: str, levels: list[Any]
                 ) -> tuple[np.ndarray, list[Any]]:
    """Codes into ``levels`` of every row of a table grouped by ``name`` (with its :data:`N`).

    Parameters
    ----------
    design : LazyDesign
        The design.
    frame : pandas.DataFrame
        A table grouped by (at least) ``name``, with row counts.
    name : str
        The variable.
    levels : list
        Its target levels.

    Returns
    -------
    tuple of (numpy.ndarray, list)
        The code of every row of ``frame`` and the level keys.

    Raises
    ------
    WeightingError
        The in-memory errors of :func:`~citizensfirst.weighting.controls.level_codes`.
    """
    missing = frame[name].isna().to_numpy()
    if missing.any():
        raise WeightingError(
            f"{design.source}: weighting variable {name!r} is missing for "
            f"{int(frame.loc[missing, N].sum())} respondents; recode them to a category with a target"
        )
    counts = frame.groupby(name, sort=False)[N].sum()
    index, keys = match_levels(list(counts.index), counts.to_numpy(), name, levels,
                               value_labels(design.codebook, name), design.source)
    return index[pd.Index(counts.index).get_indexer(frame[name])], keys


def indicator_sql(design: LazyDesign, frame: pd.DataFrame, name: str, codes: np.ndarray, j: int) -> str:
    """SQL 1.0 where ``name`` holds a value coded ``j`` in ``frame``, else 0.0.

    Parameters
    ----------
    design : LazyDesign
        The design.
    frame : pandas.DataFrame
        A table grouped by ``name``.
    name : str
        The variable.
    codes : numpy.ndarray
        The code of every row of ``frame``.
    j : int
        The level.

    Returns
    -------
    str
        The SQL indicator.
    """
    values = ", ".join(design.backend.literal(v) for v in frame[name][codes == j].unique())
    return f"(CASE WHEN {design.backend.column(name)} IN ({values}) THEN 1.0 ELSE 0.0 END)"


def is_taylor(design: LazyDesign) -> bool:
    """Whether the design's variance is linearised (a residualiser is kept after weighting).

    Parameters
    ----------
    design : LazyDesign
        The design.

    Returns
    -------
    bool
        True for Taylor designs, False for replicate designs.
    """
    return design.clusters is not None and design.replicates is None


