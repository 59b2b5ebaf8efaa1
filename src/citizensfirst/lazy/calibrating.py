"""Calibrating a lazy design (as :func:`citizensfirst.weighting.calibrate`): the in-memory Newton
iteration (:func:`~citizensfirst.weighting.calibration.solve_eta`) on sums from one query per
iterate (:class:`~citizensfirst.lazy.calibration_sums.SqlMoments`); the weight is
``w0 (1 + F(x' eta))`` in SQL. With ``cluster=`` the cluster means are a small table, the
in-memory solver runs on it and the cluster's g is a ``CASE`` over the cluster keys. Replicate
designs calibrate every replicate; Taylor designs keep the GREG residualiser
(:mod:`citizensfirst.lazy.greg`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import Step
from ..errors import WeightingError
from ..weighting.calibration import CALFUNS, ArrayMoments, Moments, solve_eta, solve_g
from ..weighting.controls import (
    ReplicateCalibrationWarning,
    check_controls,
    check_margins,
    make_step,
    real_number,
)
from ..weighting.methods.calibrate import model_names, model_terms
from .calibration_sums import SqlMoments, calfun_sql, exp_sql, linear_sql
from .greg import greg_residuals
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
    table_codes,
    weight_summary,
)

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["calibrate", "calibrated"]

# a calibration on cells: each cell's weight, model row, and replicate weights (or None)
Cells = tuple[np.ndarray, np.ndarray, "np.ndarray | None"]


def calibrate(design: LazyDesign, targets: Mapping[str, float | Mapping[Any, float]], *,
              total: float | None = None, method: str = "linear", bounds: tuple[float, float] | None = None,
              max_iter: int = 50, tol: float = 1e-7, cluster: int | str | None = None) -> LazyDesign:
    """Calibrate a lazy design to population totals (as :func:`citizensfirst.weighting.calibrate`).

    Parameters
    ----------
    design : LazyDesign
        The design.
    targets : mapping
        ``{variable: {level: count}}`` or ``{variable: total}`` (R's names accepted).
    total : float or None, optional
        The population size.
    method : str, default "linear"
        ``"linear"``, ``"raking"`` or ``"logit"``.
    bounds : tuple of (float, float) or None, optional
        Bounds on the g-weights (required for logit).
    max_iter : int, default 50
        Maximum Newton iterations.
    tol : float, default 1e-7
        R's stopping rule and the relative tolerance of the final check.
    cluster : int or str or None, optional
        A stage number or a column: a cluster shares one g.

    Returns
    -------
    LazyDesign
        The calibrated design with its report.

    Raises
    ------
    WeightingError
        Invalid method, controls, targets or base weights.
    ConvergenceError
        A target missed by more than ``tol``.
    """
    if method not in CALFUNS:
        raise WeightingError(f"method must be one of {CALFUNS}, got {method!r}")
    tol, max_iter, bounds, _ = check_controls(tol=tol, max_iter=max_iter, bounds=bounds)
    targets, total = model_names(design.columns, lambda c: _distinct(design, c), dict(targets), total)
    if method == "logit" and (bounds is None or not np.isfinite(bounds).all()):
        raise WeightingError(f"logit calibration needs finite bounds=(lower, upper) with lower < 1 < upper, got {bounds}")
    if total is not None:
        total = real_number(total, "total")
        if not 0 < total < np.inf:
            raise WeightingError(f"total={total!r} is not allowed: the population size must be a positive finite number")
    check_base(design)
    terms = _Terms(design)
    columns, values, names = model_terms(targets, total, ones="1.0", levels_of=terms.levels_of,
                                         numeric_of=terms.numeric_of)
    step = make_step("calibrate", targets=dict(targets), total=total, method=method, bounds=bounds, cluster=cluster)
    new, iterations = calibrated(design, columns, values, method=method, bounds=bounds, max_iter=max_iter, tol=tol,
                                 cluster=cluster, step=step, cells=terms.cells(columns))
    w0 = f"({design.weight_sql})"
    answer = weight_summary(new, w0)
    achieved = new.backend.aggregate({f"a{j}": f"SUM({x} * ({new.weight_sql}))" for j, x in enumerate(columns)})
    margins = pd.DataFrame({"margin": names, "level": "", "target": values,
                            "achieved": achieved.iloc[0].to_numpy(dtype=float), "sample_share": np.nan})
    check_margins(f"calibration ({method})", margins, tol, iterations,
                  " Raise max_iter, widen the bounds or check the targets")
    new.report = summary_report(f"calibration ({method})", answer, margins, True, iterations)
    return new


def _distinct(design: LazyDesign, column: str) -> list[Any]:
    answer = design.backend.aggregate({N: "COUNT(*)"}, by=[column])
    return answer[column].dropna().tolist()


class _Terms:
    """The model columns as SQL; when every column is a level indicator (or the intercept), the
    calibration only depends on the cell of the factors, so it runs on the cell table."""

    def __init__(self, design: LazyDesign) -> None:
        self.design = design
        self.factors: dict[str, list[Any]] = {}
        self.indicators: dict[str, tuple[str, int]] = {}
        self.numeric = False

    def levels_of(self, variable: str, levels: list[Any]) -> tuple[Any, list[Any]]:
        design = self.design
        design.checks.columns([variable], "weighting")
        frame = design.backend.aggregate({N: "COUNT(*)"}, by=[variable])
        codes, keys = table_codes(design, frame, variable, levels)
        self.factors[variable] = levels

        def indicator(j: int) -> str:
            sql = indicator_sql(design, frame, variable, codes, j)
            self.indicators[sql] = (variable, j)
            return sql

        return indicator, keys

    def numeric_of(self, variable: str) -> str:
        design = self.design
        self.numeric = True
        sql = design.numeric_sql(variable, "calibration variable")
        missing = int(design.backend.aggregate({"n": f"SUM(CASE WHEN {sql} IS NULL THEN 1 ELSE 0 END)"})["n"]
                      .fillna(0).iloc[0])
        if missing:
            raise WeightingError(f"{design.source}: calibration variable {variable!r} is missing for {missing} "
                                 "respondents")
        return sql

    def cells(self, columns: list[str]) -> Cells | None:
        if self.numeric or not self.factors:
            return None
        names = list(self.factors)
        frame, coded, reps = cell_table(self.design, names, list(self.factors.values()))
        codes = dict(zip(names, (c for c, _ in coded), strict=True))
        x = np.column_stack([np.ones(len(frame)) if sql == "1.0" else
                             (codes[self.indicators[sql][0]] == self.indicators[sql][1]).astype(float)
                             for sql in columns])
        return frame[W].to_numpy(dtype=float), x, reps


def calibrated(design: LazyDesign, columns: list[str], values: np.ndarray, *, method: str,
               bounds: tuple[float, float] | None, max_iter: int, tol: float, cluster: int | str | None,
               step: Step, cells: Cells | None = None) -> tuple[LazyDesign, int]:
    """The design calibrated on model columns (SQL) to ``values``: (new design, iterations).

    Parameters
    ----------
    design : LazyDesign
        The design.
    columns : list of str
        SQL of the model columns.
    values : numpy.ndarray
        Their targets.
    method : str
        The calibration function.
    bounds : tuple of (float, float) or None
        Bounds on g.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        R's stopping rule.
    cluster : int or str or None
        A stage number or a column: a cluster shares one g.
    step : Step
        The history step.
    cells : tuple or None, optional
        When the columns depend on the row only through its cell: each cell's weight, model
        row and replicate weights (the Newton sums are then taken over the cells, in memory).

    Returns
    -------
    tuple of (LazyDesign, int)
        The calibrated design (report not set) and the iterations.
    """
    limits = bounds if bounds is not None else (-np.inf, np.inf)
    w0 = f"({design.weight_sql})"
    if cluster is not None:
        return _cluster_calibrated(design, columns, values, method, limits, max_iter, tol, cluster, step)

    eta, iterations, rescale = solve_eta(_moments(design, columns, method, limits, cells, w0, None), values,
                                         method, limits, max_iter, tol)
    g = _g_sql(design, columns, method, limits, eta, rescale)
    replicates = None
    if design.replicate_sql:
        replicates, failed = [], 0
        for r, a in enumerate(design.replicate_sql):
            eta_r, used, rescale_r = solve_eta(_moments(design, columns, method, limits, cells, a, r), values,
                                               method, limits, max_iter, tol, strict=False)
            failed += used < 0
            replicates.append(f"({a} * {_g_sql(design, columns, method, limits, eta_r, rescale_r)})")
        _warn_failed(failed, len(replicates), max_iter)
    gram = None if cells is None else (cells[1] * cells[0][:, None]).T @ cells[1]
    residuals = greg_residuals(design, columns, w0, g, gram=gram) if is_taylor(design) else None
    return reweighted(design, f"({w0} * {g})", replicates, residuals, step), iterations


def _moments(design: LazyDesign, columns: list[str], method: str, limits: tuple[float, float],
             cells: Cells | None, weight: str, r: int | None) -> Moments:
    """The Newton sums of ``weight`` (replicate ``r``): by SQL, or over the cells in memory."""
    if cells is None:
        return SqlMoments(design.backend, columns, weight, method, limits)
    w, x, reps = cells
    return ArrayMoments(x, w if r is None or reps is None else reps[:, r], method, limits)


def _g_sql(design: LazyDesign, columns: list[str], method: str, limits: tuple[float, float], eta: np.ndarray,
           rescale: float | None) -> str:
    """SQL of ``g = (1 + F(x' eta)) * rescale`` (in-memory order of operations)."""
    lit = design.backend.literal
    u = linear_sql(columns, eta, lit)
    f, _ = calfun_sql(method, *limits, u, exp_sql(method, *limits, u, lit), lit)
    return f"((1.0 + {f}) * {lit(float(rescale))})" if rescale else f"(1.0 + {f})"


def _warn_failed(failed: int, total: int, max_iter: int) -> None:
    if failed:
        warnings.warn(
            f"calibration of {failed} of {total} replicates did not converge in "
            f"{max_iter} iterations; their last iterate is used (as R does), which can bias the SEs",
            ReplicateCalibrationWarning, stacklevel=4,
        )


def _cluster_keys(design: LazyDesign, cluster: int | str) -> list[str]:
    if isinstance(cluster, str):
        design.checks.columns([cluster], "calibration cluster")
        return [cluster]
    if design.clusters is None:
        raise WeightingError("cluster=<stage> needs a design with PSUs; give a column name instead")
    strata = [s for s in _as_names(design.spec["strata"])]
    psu = [p for p in _as_names(design.spec["psu"]) if p not in ("1", 1)]
    return list(dict.fromkeys(strata + (psu[: int(cluster)] or list(design.clusters.keys))))


def _as_names(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _cluster_calibrated(design: LazyDesign, columns: list[str], values: np.ndarray, method: str,
                        limits: tuple[float, float], max_iter: int, tol: float, cluster: int | str,
                        step: Step) -> tuple[LazyDesign, int]:
    """Calibration on cluster means: the in-memory solver on the (small) table of clusters."""
    keys = _cluster_keys(design, cluster)
    w0 = f"({design.weight_sql})"
    sums = {N: "COUNT(*)", W: f"SUM({w0})"} | {f"x{j}": f"SUM({x})" for j, x in enumerate(columns)}
    sums |= {f"r{r}": f"SUM({a})" for r, a in enumerate(design.replicate_sql)}
    frame = design.backend.aggregate(sums, by=keys)
    n = frame[N].to_numpy(dtype=float)
    xc = frame[[f"x{j}" for j in range(len(columns))]].to_numpy(dtype=float) / n[:, None]
    wc = frame[W].to_numpy(dtype=float) / n
    g, iterations = solve_g(xc, n * wc, values, method, limits, max_iter, tol)
    replicates = None
    if design.replicate_sql:
        replicates, failed = [], 0
        for r, a in enumerate(design.replicate_sql):
            g_r, used = solve_g(xc, frame[f"r{r}"].to_numpy(dtype=float), values, method, limits, max_iter, tol,
                                strict=False)
            failed += used < 0
            replicates.append(f"({a} * {cell_case(design, frame, keys, g_r)})")
        _warn_failed(failed, len(replicates), max_iter)
    residuals = greg_residuals(design, columns, w0, "", cells=(keys, frame, xc, wc, g)) if is_taylor(design) else None
    return reweighted(design, f"({w0} * {cell_case(design, frame, keys, g)})", replicates, residuals, step), iterations
