"""Post-stratification to cell totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...design.groups import group_sums
from ...errors import WeightingError
from ...io.codes import normalize_code
from ..calibration import PostStratumResiduals
from ..controls import (
    EXACT_TOL,
    check_base_weights,
    checked_report,
    level_codes,
    make_step,
    real_number,
    reweighted,
)

if TYPE_CHECKING:
    from ...design.facade import Design


def poststratify(
    design: Design,
    cells: str | Sequence[str],
    totals: Mapping[Any, float] | pd.DataFrame,
) -> Design:
    """Post-stratify to population counts of ``cells`` (one variable or crossed variables).

    ``totals`` maps a level (or a tuple of levels for crossed cells) to its population count, or
    is a DataFrame with the cell columns and a ``Freq`` (or ``count``) column. Counts must be
    finite and non-negative. The achieved cell totals are recomputed from the final weights and
    checked (relative tolerance :data:`EXACT_TOL`).

    Parameters
    ----------
    design : Design
        The survey design.
    cells : str or sequence of str
        The post-stratification variable(s).
    totals : mapping or pandas.DataFrame
        Population count of each cell.

    Returns
    -------
    Design
        The post-stratified design, with its weighting report.

    Raises
    ------
    WeightingError
        When a total is invalid or repeated, or a cell does not match the data.
    """
    base = check_base_weights(design)
    names = [cells] if isinstance(cells, str) else list(cells)
    table = cell_totals(names, totals)
    coded = [level_codes(design, name, levels) for name, levels in zip(names, table_levels(table, names),
                                                                        strict=True)]
    cell = np.zeros(len(base), dtype=np.int64)
    for codes, keys in coded:
        cell = cell * len(keys) + codes
    n_cells = int(np.prod([len(keys) for _, keys in coded]))
    index = np.array([cell_index(coded, key) for key in table], dtype=np.int64)
    target = np.full(n_cells, np.nan)
    target[index] = list(table.values())
    factor = poststratum_factors(cell, base, target, design.source, names)
    weights = base * factor[cell]
    rep_weights = None
    reps = design.replicate_weights
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        rep_current = group_sums(cell, rep_weights, n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            rep_weights *= np.where(rep_current > 0, target[:, None] / rep_current, 0.0)[cell]
    residuals = None if reps is not None else PostStratumResiduals(cell, n_cells, base, weights)
    step = make_step("poststratify", cells=names, totals={str(k): v for k, v in table.items()})
    new = reweighted(design, weights, rep_weights, residuals, step)
    margins = cell_margins(names, table, index, target, cell, weights)
    report = checked_report("post-stratification", base, weights, margins, EXACT_TOL, 1)
    return new.evolve(report=report)


def cell_index(coded: Sequence[tuple[Any, list[Any]]], key: tuple[Any, ...]) -> int:
    """The cell number of ``key`` (mixed radix over the variables' levels).

    Parameters
    ----------
    coded : sequence of tuple
        Per variable, (codes, level keys).
    key : tuple
        One level of each variable.

    Returns
    -------
    int
        The cell number.
    """
    index = 0
    for (_, keys), part in zip(coded, key, strict=True):
        index = index * len(keys) + keys.index(part)
    return index


def cell_totals(names: list[str], totals: Mapping[Any, float] | pd.DataFrame) -> dict[tuple[Any, ...], float]:
    """The population count of every cell, checked: ``{(level, ...): count}``.

    Parameters
    ----------
    names : list of str
        The post-stratification variables.
    totals : mapping or pandas.DataFrame
        Population count of each cell (as :func:`poststratify` takes them).

    Returns
    -------
    dict
        Cell (a tuple of normalised levels) to its count.

    Raises
    ------
    WeightingError
        When a total is invalid or repeated, or a cell does not name one level of each variable.
    """
    if isinstance(totals, pd.DataFrame):
        count_col = "Freq" if "Freq" in totals.columns else "count"
        missing = [c for c in [*names, count_col] if c not in totals.columns]
        if missing:
            raise WeightingError(f"post-stratification totals need columns {names} and Freq (or count); "
                                 f"missing {missing}")
        keys = [tuple(normalize_code(v) for v in row) for row in totals[names].itertuples(index=False)]
        pairs = list(zip(keys, totals[count_col], strict=True))
    else:
        pairs = [((tuple(normalize_code(v) for v in k) if isinstance(k, tuple) else (normalize_code(k),)), v)
                 for k, v in totals.items()]
    table: dict[tuple[Any, ...], float] = {}
    for key, value in pairs:
        count = real_number(value, f"post-stratification total of cell {key}")
        if not 0 <= count < np.inf:
            raise WeightingError(f"post-stratification total of cell {key} is {value!r}; give a finite count >= 0")
        if len(key) != len(names):
            raise WeightingError(f"post-stratification cell {key} does not name one level of each of {names}")
        if key in table:
            raise WeightingError(f"post-stratification cell {key} is given twice")
        table[key] = count
    return table


def table_levels(table: Mapping[tuple[Any, ...], float], names: list[str]) -> list[list[Any]]:
    """Per variable, the levels the cells name, sorted (numbers first).

    Parameters
    ----------
    table : mapping
        :func:`cell_totals`.
    names : list of str
        The post-stratification variables.

    Returns
    -------
    list of list
        The sorted levels of each variable.
    """
    return [sorted({key[i] for key in table}, key=lambda v: (isinstance(v, str), v)) for i in range(len(names))]


def poststratum_factors(cell: np.ndarray, base: np.ndarray, target: np.ndarray, source: str,
                        names: list[str]) -> np.ndarray:
    """Each cell's factor ``target / current`` (0 for cells without respondents and target).

    The units are rows (in memory) or the rows of a cell table (lazy designs).

    Parameters
    ----------
    cell : numpy.ndarray
        Each unit's cell.
    base : numpy.ndarray
        Each unit's weight.
    target : numpy.ndarray
        Each cell's count (NaN: no target).
    source : str
        The data's name, in errors.
    names : list of str
        The post-stratification variables, in errors.

    Returns
    -------
    numpy.ndarray
        The factor of every cell.

    Raises
    ------
    WeightingError
        When a cell with a target has no respondents, or a sampled cell has no target.
    """
    current = np.bincount(cell, weights=base, minlength=len(target))
    empty_sample = np.isfinite(target) & (current == 0)
    if empty_sample.any():
        raise WeightingError(
            f"{source}: {int(empty_sample.sum())} post-stratification cell(s) with a target have "
            "no respondents; collapse cells"
        )
    no_target = (current > 0) & ~np.isfinite(target)
    if no_target.any():
        raise WeightingError(f"{source}: {int(no_target.sum())} sampled cell(s) of {names} have no target")
    return np.where(current > 0, target / np.where(current > 0, current, 1.0), 0.0)


def cell_margins(names: list[str], table: Mapping[tuple[Any, ...], float], index: np.ndarray, target: np.ndarray,
                 cell: np.ndarray, weights: np.ndarray, counts: np.ndarray | None = None) -> pd.DataFrame:
    """The report's margin table: target, achieved total and sample share of every target cell.

    Parameters
    ----------
    names : list of str
        The post-stratification variables.
    table : mapping
        :func:`cell_totals`.
    index : numpy.ndarray
        The cell number of each entry of ``table``.
    target : numpy.ndarray
        Each cell's count (NaN: no target).
    cell : numpy.ndarray
        Each unit's cell.
    weights : numpy.ndarray
        Each unit's final weight.
    counts : numpy.ndarray or None, optional
        Respondents per unit (None: one each, units are rows).

    Returns
    -------
    pandas.DataFrame
        ``margin``, ``level``, ``target``, ``achieved`` and ``sample_share``.
    """
    n_cells = len(target)
    rows = np.bincount(cell, weights=counts, minlength=n_cells)
    return pd.DataFrame({
        "margin": "x".join(names),
        "level": [str(k) for k in table],
        "target": target[index],
        "achieved": np.bincount(cell, weights=weights, minlength=n_cells)[index],
        "sample_share": rows[index] / rows.sum(),
    })
