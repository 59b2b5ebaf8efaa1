"""Raking (iterative proportional fitting) to margins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...design.groups import factorize, group_sums
from ..calibration import RakingResiduals
from ..controls import (
    check_base_weights,
    check_controls,
    level_codes,
    make_step,
    parse_margins,
    reweighted,
    with_margin_report,
)
from ..report import cite_targets
from .calibrate import calibrate_matrix

if TYPE_CHECKING:
    from ...design.facade import Design


def rake(
    design: Design,
    margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame,
    *,
    total: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-10,
    change_tol: float | None = None,
    bounds: tuple[float, float] | None = None,
) -> Design:
    """Rake to marginal targets ``{variable: {level: share or count}}``.

    Iterates post-stratification on each margin in turn until every achieved margin is within
    ``tol`` (relative) of its target. ``change_tol`` reproduces R's stopping rule instead (stop
    once the weighted table changes by less than ``change_tol`` counts between sweeps, R's
    ``control$epsilon``); the achieved margins are still checked against ``tol``. With
    ``bounds=(low, high)`` on the adjustment ratio, raking is done by the bounded raking
    calibration function (Deville & Särndal) instead.

    ``tol`` must be finite with ``0 < tol <= 1e-3`` (up to 1e-2 with ``change_tol``),
    ``max_iter`` >= 1 and ``bounds`` ``lower < 1 < upper`` (:func:`check_controls`). Whatever the
    stopping rule, the margins are recomputed from the final weights and a
    :class:`~citizensfirst.errors.ConvergenceError` lists the worst ones if any misses its target
    by more than ``tol``; the report's ``max_relative_error`` is that recomputed miss.

    Parameters
    ----------
    design : Design
        The survey design.
    margins : mapping or pandas.DataFrame
        ``{variable: {level: share or count}}`` or a table with columns ``variable``,
        ``level`` and ``target``.
    total : float or None, optional
        Population total for share margins; None uses the count margins or the current weights.
    max_iter : int, default 100
        Maximum raking sweeps.
    tol : float, default 1e-10
        Relative tolerance on every margin level.
    change_tol : float or None, optional
        R's stopping rule (change in weighted counts between sweeps), or None.
    bounds : tuple of (float, float) or None, optional
        ``(low, high)`` bounds on the adjustment ratio (bounded raking calibration).

    Returns
    -------
    Design
        The raked design, with its weighting report.

    Raises
    ------
    WeightingError
        When the controls, margins or base weights are invalid.
    ConvergenceError
        When a margin is missed by more than ``tol``.
    """
    tol, max_iter, bounds, change_tol = check_controls(tol=tol, max_iter=max_iter, bounds=bounds,
                                                       change_tol=change_tol)
    base = check_base_weights(design)
    targets, population = parse_margins(margins, total, float(base.sum()))
    names = list(targets)
    coded = [level_codes(design, var, list(targets[var])) for var in names]
    target_vectors = [np.array([targets[var][lv] for lv in targets[var]]) for var in names]
    if bounds is not None:
        # intercept + each margin's levels but its first: full rank, as R's model matrix
        blocks = [np.ones((len(base), 1))] + [np.eye(len(keys))[codes][:, 1:] for codes, keys in coded]
        values = np.concatenate([[population]] + [t[1:] for t in target_vectors])
        new, iterations = calibrate_matrix(
            design, np.hstack(blocks), values, method="raking", bounds=bounds,
            max_iter=max_iter, tol=tol, step=make_step("rake", margins=targets, bounds=bounds),
        )
        return cite_targets(with_margin_report(new, design, names, coded, target_vectors, "raking (bounded)",
                                               iterations, tol, advice=_RAKE_ADVICE), margins)
    # Raking only depends on the cell (the combination of margin levels): fit the cell table,
    # then map the cell factors back to the rows (one pass over the data).
    reps = design.replicate_weights
    rep_weights = None if reps is None else reps.analysis_weights(base)
    fit = rake_cells(coded, base, target_vectors, rep_weights, max_iter=max_iter, tol=tol,
                     change_tol=change_tol)
    weights = base * fit.factor[fit.cell]
    if rep_weights is not None and fit.rep_factor is not None:  # both or neither
        rep_weights = rep_weights * fit.rep_factor[fit.cell]
    residuals = RakingResiduals(fit.cell, base, tuple(_cell_levels(codes, fit.cell, len(fit.factor)) for codes, _ in coded),
                                tuple(len(keys) for _, keys in coded), tuple(fit.last_factors))
    step = make_step("rake", margins=targets, total=population, max_iter=max_iter, tol=tol,
                 change_tol=change_tol)
    new = reweighted(design, weights, rep_weights, residuals, step)
    return cite_targets(with_margin_report(new, design, names, coded, target_vectors, "raking",
                                           fit.iterations, tol, converged=fit.converged,
                                           advice=_RAKE_ADVICE), margins)


def _cell_levels(codes: np.ndarray, cell: np.ndarray, n_cells: int) -> np.ndarray:
    """Each cell's level of one margin (every row of a cell holds the same level)."""
    levels = np.zeros(n_cells, dtype=np.int64)
    levels[cell] = codes
    return levels


@dataclass(frozen=True)
class CellFit:
    """Raking fitted on the cells: the cell of every unit, each cell's factor (and replicate
    factors), each margin's cell factors just after its last adjustment, iterations, convergence."""

    cell: np.ndarray
    factor: np.ndarray
    rep_factor: np.ndarray | None
    last_factors: list[np.ndarray]
    iterations: int
    converged: bool


def rake_cells(
    coded: list[tuple[np.ndarray, list[Any]]],
    base: np.ndarray,
    target_vectors: list[np.ndarray],
    rep_weights: np.ndarray | None,
    *,
    max_iter: int,
    tol: float,
    change_tol: float | None,
) -> CellFit:
    """Iterative proportional fitting on the cells of the margins.

    The units are rows (in memory) or the rows of a cell table (a lazy design: one row per
    combination of margin values, with its summed weights); only the cell sums matter.

    Parameters
    ----------
    coded : list of tuple of (numpy.ndarray, list)
        Per margin, each unit's level code and the level keys.
    base : numpy.ndarray
        Each unit's weight (summed over its rows).
    target_vectors : list of numpy.ndarray
        Per margin, the target of each level.
    rep_weights : numpy.ndarray or None
        (units, R) replicate weights (summed over each unit's rows), or None.
    max_iter : int
        Maximum raking sweeps.
    tol : float
        Relative tolerance on every margin level.
    change_tol : float or None
        R's stopping rule (change in weighted counts between sweeps), or None.

    Returns
    -------
    CellFit
        The fitted cell factors.
    """
    cell, cell_levels = _cells(coded)
    n_cells = len(cell_levels[0])
    cell_base: np.ndarray = np.bincount(cell, weights=base, minlength=n_cells)  # float: weighted
    factor = np.ones(n_cells)
    rep_base = None if rep_weights is None else group_sums(cell, rep_weights, n_cells)
    rep_factor = None if rep_base is None else np.ones_like(rep_base)
    previous = cell_base.copy()
    last_factors: list[np.ndarray] = []
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 - iteration count is reported
        last_factors = []
        for levels, target in zip(cell_levels, target_vectors, strict=True):
            current = np.bincount(levels, weights=cell_base * factor, minlength=len(target))
            factor = factor * (target / current)[levels]
            if rep_factor is not None:
                rep_current = group_sums(levels, rep_base * rep_factor, len(target))
                rep_factor = rep_factor * (target[:, None] / rep_current)[levels]
            last_factors.append(factor)
        table = cell_base * factor
        error = _worst_relative_error(cell_levels, target_vectors, table)
        if change_tol is not None:
            if np.max(np.abs(table - previous)) < change_tol:
                converged = True
                break
            previous = table
        elif error < tol:
            converged = True
            break
    return CellFit(cell, factor, rep_factor, last_factors, iteration, converged)


_RAKE_ADVICE = " Raise max_iter, check for empty or tiny cells, or collapse levels"


def _cells(coded: list[tuple[np.ndarray, list[Any]]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cell of every row (occupied combinations of margin levels) and each margin's level per cell."""
    sizes = [len(keys) for _, keys in coded]
    if float(np.prod(sizes, dtype=float)) < 2**62:
        key = np.zeros(len(coded[0][0]), dtype=np.int64)
        for codes, keys in coded:
            key = key * len(keys) + codes
        cell, n_cells = factorize(key)
    else:
        cell, n_cells = factorize(*[codes for codes, _ in coded])
    first = np.zeros(n_cells, dtype=np.int64)
    first[cell[::-1]] = np.arange(len(cell))[::-1]  # a row of each cell
    return cell, [codes[first] for codes, _ in coded]


def _worst_relative_error(levels: list[np.ndarray], targets: list[np.ndarray], weights: np.ndarray) -> float:
    """Largest |achieved - target| / target over every margin level (``levels`` index ``weights``)."""
    worst = 0.0
    for codes, target in zip(levels, targets, strict=True):
        achieved = np.bincount(codes, weights=weights, minlength=len(target))
        worst = max(worst, float(np.max(np.abs(achieved - target) / target)))
    return worst
