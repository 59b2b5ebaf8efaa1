"""Weighting a lazy design: ``rake``, ``poststratify`` and ``calibrate``, each returning a new
:class:`~citizensfirst.lazy.design.LazyDesign` whose weight is an SQL expression.

* Raking and post-stratification collapse the rows to the *cell table* of the margin variables
  (``GROUP BY`` margins: ``SUM(w)``, ``COUNT(*)`` and the replicate sums), run the in-memory
  code on it (:func:`~citizensfirst.weighting.methods.rake.rake_cells`,
  :func:`~citizensfirst.weighting.methods.poststratify.poststratum_factors`), and write each
  cell's factor as a nested ``CASE`` over the margin values (:func:`cell_case`).
* Calibration runs the in-memory Newton iteration
  (:func:`~citizensfirst.weighting.calibration.solve_eta`) on sums computed by one query per
  iterate (:class:`~citizensfirst.lazy.calibration_sums.SqlMoments`); the weight is
  ``w0 (1 + F(x' eta))``. With ``cluster=`` the cluster means are a small table and the
  in-memory solver runs on it; the cluster's g is a ``CASE`` over the cluster keys.

Every step checks its margins from the final weights by one group-sum query and raises the
in-memory :class:`~citizensfirst.errors.ConvergenceError`; replicate designs re-weight every
replicate the same way; Taylor designs keep a residualiser
(:mod:`~citizensfirst.lazy.calibration_sums`) so variances account for the weighting.

>>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
>>> pd.DataFrame({"g": list("aabb"), "w": [1.0, 1, 1, 1]}).to_parquet(path)
>>> d = rake(cf.scan_survey(path, weights="w"), {"g": {"a": 30, "b": 10}})
>>> d.total("g").estimate.tolist() if False else round(d.report.max_relative_error, 12)
0.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..weighting.controls import EXACT_TOL, check_controls, check_margins, make_step, parse_margins
from ..weighting.methods.poststratify import (
    cell_index,
    cell_margins,
    cell_totals,
    poststratum_factors,
    table_levels,
)
from ..weighting.methods.rake import rake_cells
from ..weighting.report import CitedMargins, margin_table
from .calibrating import calibrated
from .calibration_sums import CellResiduals, RakingCells, key_positions, sparse_unit_table
from .reweighting import (
    N,
    W,
    cell_case,
    cell_table,
    check_base,
    indicator_sql,
    is_taylor,
    reweighted,
    summary_report,
    weight_summary,
)

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["poststratify", "rake"]

_RAKE_ADVICE = " Raise max_iter, check for empty or tiny cells, or collapse levels"


def rake(design: LazyDesign, margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame, *,
         total: float | None = None, max_iter: int = 100, tol: float = 1e-10,
         change_tol: float | None = None, bounds: tuple[float, float] | None = None) -> LazyDesign:
    """Rake a lazy design to marginal targets (as :func:`citizensfirst.weighting.rake`).

    Parameters
    ----------
    design : LazyDesign
        The design.
    margins : mapping or pandas.DataFrame
        ``{variable: {level: share or count}}`` or a table ``variable``, ``level``, ``target``.
    total : float or None, optional
        Population total for share margins.
    max_iter : int, default 100
        Maximum raking sweeps.
    tol : float, default 1e-10
        Relative tolerance on every margin level.
    change_tol : float or None, optional
        R's stopping rule instead.
    bounds : tuple of (float, float) or None, optional
        Bounds on the adjustment ratio (bounded raking calibration).

    Returns
    -------
    LazyDesign
        The raked design with its report.

    Raises
    ------
    WeightingError
        Invalid controls, margins or base weights.
    ConvergenceError
        A margin missed by more than ``tol``.
    """
    tol, max_iter, bounds, change_tol = check_controls(tol=tol, max_iter=max_iter, bounds=bounds,
                                                       change_tol=change_tol)
    targets, population = parse_margins(margins, total, check_base(design))
    names = list(targets)
    frame, coded, reps = cell_table(design, names, [list(targets[v]) for v in names])
    target_vectors = [np.array([targets[var][lv] for lv in targets[var]]) for var in names]
    w0 = f"({design.weight_sql})"
    if bounds is not None:
        columns = ["1.0"] + [indicator_sql(design, frame, name, codes, j) for name, (codes, keys) in
                             zip(names, coded, strict=True) for j in range(1, len(keys))]
        values = np.concatenate([[population]] + [t[1:] for t in target_vectors])
        new, iterations = calibrated(design, columns, values, method="raking", bounds=bounds,
                                     max_iter=max_iter, tol=tol, cluster=None,
                                     step=make_step("rake", margins=targets, bounds=bounds),
                                     cells=(frame[W].to_numpy(dtype=float), np.hstack(
                                         [np.ones((len(frame), 1))] + [np.eye(len(keys))[codes][:, 1:]
                                                                       for codes, keys in coded]), reps))
        method, converged = "raking (bounded)", True
    else:
        fit = rake_cells(coded, frame[W].to_numpy(dtype=float), target_vectors, reps, max_iter=max_iter,
                         tol=tol, change_tol=change_tol)
        weight = f"({w0} * {cell_case(design, frame, names, fit.factor[fit.cell])})"
        replicates = None if fit.rep_factor is None else [
            f"({a} * {cell_case(design, frame, names, fit.rep_factor[fit.cell, r])})"
            for r, a in enumerate(design.replicate_sql)]
        residuals = None
        if is_taylor(design):
            n_cells = len(fit.factor)
            levels = []
            for codes, _ in coded:
                per_cell = np.zeros(n_cells, dtype=np.int64)
                per_cell[fit.cell] = codes
                levels.append(per_cell)
            residuals = RakingCells(tuple(names), frame[names], (f"(1.0 / {w0})",), fit.cell, tuple(levels),
                                    tuple(len(k) for _, k in coded), tuple(fit.last_factors),
                                    np.bincount(fit.cell, weights=frame[N].to_numpy(dtype=float),
                                                minlength=n_cells),
                                    sparse_unit_table(design, names, frame[names], w0))
        step = make_step("rake", margins=targets, total=population, max_iter=max_iter, tol=tol,
                         change_tol=change_tol)
        new = reweighted(design, weight, replicates, residuals, step)
        method, iterations, converged = "raking", fit.iterations, fit.converged
    answer = weight_summary(new, w0, names)
    rows = key_positions(frame, names, answer)
    report_coded = [(codes[rows], keys) for codes, keys in coded]
    table = margin_table(names, report_coded, target_vectors, answer[W].to_numpy(dtype=float),
                         answer[N].to_numpy(dtype=float))
    check_margins(method, table, tol, iterations, _RAKE_ADVICE)
    report = summary_report(method, answer, table, converged, iterations)
    new.report = report.cited(margins.source) if isinstance(margins, CitedMargins) else report
    return new


def poststratify(design: LazyDesign, cells: str | Sequence[str],
                 totals: Mapping[Any, float] | pd.DataFrame) -> LazyDesign:
    """Post-stratify a lazy design (as :func:`citizensfirst.weighting.poststratify`).

    Parameters
    ----------
    design : LazyDesign
        The design.
    cells : str or sequence of str
        The post-stratification variable(s).
    totals : mapping or pandas.DataFrame
        Population count of each cell.

    Returns
    -------
    LazyDesign
        The post-stratified design with its report.

    Raises
    ------
    WeightingError
        Invalid totals, or cells that do not match the data.
    """
    check_base(design)
    names = [cells] if isinstance(cells, str) else list(cells)
    table = cell_totals(names, totals)
    frame, coded, reps = cell_table(design, names, table_levels(table, names))
    cell = np.zeros(len(frame), dtype=np.int64)
    for codes, keys in coded:
        cell = cell * len(keys) + codes
    n_cells = int(np.prod([len(keys) for _, keys in coded]))
    index = np.array([cell_index(coded, key) for key in table], dtype=np.int64)
    target = np.full(n_cells, np.nan)
    target[index] = list(table.values())
    base = frame[W].to_numpy(dtype=float)
    factor = poststratum_factors(cell, base, target, design.source, names)
    w0 = f"({design.weight_sql})"
    weight = f"({w0} * {cell_case(design, frame, names, factor[cell])})"
    replicates = None
    if reps is not None:
        rep_current = np.zeros((n_cells, reps.shape[1]))
        np.add.at(rep_current, cell, reps)
        with np.errstate(divide="ignore", invalid="ignore"):
            rep_factor = np.where(rep_current > 0, target[:, None] / rep_current, 0.0)[cell]
        replicates = [f"({a} * {cell_case(design, frame, names, rep_factor[:, r])})"
                      for r, a in enumerate(design.replicate_sql)]
    residuals = None
    if is_taylor(design):
        residuals = CellResiduals(tuple(names), frame[names], ("1.0",), cell,
                                  sparse_unit_table(design, names, frame[names], w0),
                                  np.bincount(cell, weights=base, minlength=n_cells))
    step = make_step("poststratify", cells=names, totals={str(k): v for k, v in table.items()})
    new = reweighted(design, weight, replicates, residuals, step)
    answer = weight_summary(new, w0, names)
    rows = key_positions(frame, names, answer)
    margins = cell_margins(names, table, index, target, cell[rows], answer[W].to_numpy(dtype=float),
                           answer[N].to_numpy(dtype=float))
    check_margins("post-stratification", margins, EXACT_TOL, 1)
    new.report = summary_report("post-stratification", answer, margins, True, 1)
    return new
