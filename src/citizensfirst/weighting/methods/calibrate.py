"""Calibration (GREG: linear, raking, logit) to totals of a model matrix."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...design.groups import factorize, group_sums
from ...design.setup import numeric_column
from ...errors import WeightingError
from ...io.codes import normalize_code
from ..calibration import CALFUNS, GregResiduals, solve_g
from ..controls import (
    SHARE_TOLERANCE,
    ReplicateCalibrationWarning,
    check_base_weights,
    check_controls,
    checked_report,
    level_codes,
    make_step,
    real_number,
    reweighted,
)

if TYPE_CHECKING:
    from ...design.facade import Design


def model_names(columns: Collection[Any], uniques_of: Callable[[str], Any], targets: dict[str, Any],
                total: float | None) -> tuple[dict[str, Any], float | None]:
    """Accept R's named totals too: ``{"(Intercept)": N, "stypeH": 755, "stypeM": 1018, "api99": T}``.

    A name that is not a column but a column name followed by one of its levels is a treatment
    dummy; the first level's count is the total minus the others.

    Parameters
    ----------
    columns : collection
        The data's column names.
    uniques_of : callable
        The distinct non-missing values of a column.
    targets : dict
        The targets as given.
    total : float or None
        The population size as given.

    Returns
    -------
    tuple of (dict, float or None)
        Targets by column (``{column: {level: count}}`` for dummies) and the population size.

    Raises
    ------
    WeightingError
        When a name is neither a column nor a column followed by one of its levels.
    """
    if all(name in columns for name in targets if name != "(Intercept)") and "(Intercept)" not in targets:
        return targets, total
    total = real_number(targets.pop("(Intercept)"), "'(Intercept)'") if "(Intercept)" in targets else total
    out: dict[str, Any] = {}
    for name, value in targets.items():
        if name in columns:
            out[name] = value
            continue
        column = max((c for c in map(str, columns) if name.startswith(c)), key=len, default=None)
        if column is None or isinstance(value, Mapping):
            raise WeightingError(f"calibration target {name!r} is neither a column nor a column followed by a level")
        levels = {str(normalize_code(v)): v for v in uniques_of(column)}
        level = name[len(column):]
        if level not in levels:
            raise WeightingError(f"calibration target {name!r}: {column!r} has no level {level!r}")
        out.setdefault(column, {})[levels[level]] = real_number(value, f"calibration target {name!r}")
    for column, given in out.items():
        if isinstance(given, dict):
            if total is None:
                raise WeightingError("R-style dummy totals need '(Intercept)' (or total=) for the first level")
            ordered = sorted(uniques_of(column), key=lambda v: (isinstance(normalize_code(v), str), normalize_code(v)))
            first = ordered[0]
            given[first] = total - sum(given.values())
    return out, total


def model_terms(
    targets: Mapping[str, Any], total: float | None, *, ones: Any,
    levels_of: Callable[[str, list[Any]], tuple[Callable[[int], Any], list[Any]]],
    numeric_of: Callable[[str], Any],
) -> tuple[list[Any], np.ndarray, list[str]]:
    """R's model.matrix(~ a + b + x) column by column: intercept, treatment dummies (first level
    dropped), numerics; the columns are made by the callables (arrays in memory, SQL lazily).

    Parameters
    ----------
    targets : mapping
        ``{variable: {level: count}}`` or ``{variable: total}``.
    total : float or None
        The population size (the intercept), or None.
    ones : Any
        The intercept column.
    levels_of : callable
        ``(variable, sorted levels) -> (indicator of level j, level keys)``.
    numeric_of : callable
        ``variable -> column`` of a numeric variable.

    Returns
    -------
    tuple of (list, numpy.ndarray, list of str)
        The columns, their target totals and their R names.

    Raises
    ------
    WeightingError
        When a target is not a finite number or a margin does not sum to the population.
    """
    for variable, target in targets.items():
        items = target.items() if isinstance(target, Mapping) else [(None, target)]
        for level, value in items:
            where = f"calibration target {variable!r}" + ("" if level is None else f", level {level!r}")
            if not np.isfinite(real_number(value, where)):
                raise WeightingError(f"{where}: {value!r} is not a finite number")
    columns: list[Any] = []
    values: list[float] = []
    names: list[str] = []
    categorical = {k: v for k, v in targets.items() if isinstance(v, Mapping)}
    population = total
    if categorical:
        first_sum = sum(float(x) for x in next(iter(categorical.values())).values())
        population = population if population is not None else first_sum
    if population is not None:
        columns.append(ones)
        values.append(float(population))
        names.append("(Intercept)")
    for variable, target in targets.items():
        if isinstance(target, Mapping):
            levels = sorted(target, key=lambda v: (isinstance(normalize_code(v), str), normalize_code(v)))
            indicator, keys = levels_of(variable, levels)
            level_sum = sum(float(target[lv]) for lv in levels)
            if population is not None and abs(level_sum - population) > SHARE_TOLERANCE * population:
                if abs(level_sum - 1) <= SHARE_TOLERANCE:
                    target = {lv: float(target[lv]) * population for lv in levels}
                else:
                    raise WeightingError(
                        f"calibration targets for {variable!r} sum to {level_sum:.10g}, not the population {population:.10g}"
                    )
            for j, level in enumerate(levels[1:], start=1):
                columns.append(indicator(j))
                values.append(float(target[level]))
                names.append(f"{variable}{keys[j]}")
        else:
            columns.append(numeric_of(variable))
            values.append(float(target))
            names.append(variable)
    return columns, np.asarray(values), names


def _model_matrix(
    design: Design, targets: Mapping[str, Any], total: float | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """R's model.matrix(~ a + b + x) of the design's rows (:func:`model_terms`)."""

    def levels_of(variable: str, levels: list[Any]) -> tuple[Callable[[int], np.ndarray], list[Any]]:
        codes, keys = level_codes(design, variable, levels)
        return (lambda j: (codes == j).astype(float)), keys

    def numeric_of(variable: str) -> np.ndarray:
        column = numeric_column(design.frame, variable, "calibration variable", design.source)
        if np.isnan(column).any():
            raise WeightingError(
                f"{design.source}: calibration variable {variable!r} is missing for "
                f"{int(np.isnan(column).sum())} respondents"
            )
        return column

    columns, values, names = model_terms(targets, total, ones=np.ones(len(design.weight_values)),
                                         levels_of=levels_of, numeric_of=numeric_of)
    return np.column_stack(columns), values, names


def calibrate(
    design: Design,
    targets: Mapping[str, float | Mapping[Any, float]],
    *,
    total: float | None = None,
    method: str = "linear",
    bounds: tuple[float, float] | None = None,
    max_iter: int = 50,
    tol: float = 1e-7,
    cluster: int | str | None = None,
) -> Design:
    """Calibrate to population totals (R's ``calibrate``).

    ``targets`` maps categorical variables to ``{level: count}`` and numeric variables to their
    population total; ``total`` is the population size (the intercept; by default the sum of the
    first categorical margin). ``method`` is ``linear`` (GREG), ``raking`` or ``logit``;
    ``bounds`` limit the g-weights (required for logit). ``cluster`` (a stage number, 1 = PSUs, or
    a column) calibrates cluster means so every member of a cluster gets the same g
    (R's ``aggregate.stage`` / ``aggregate.index``).

    ``tol`` is R's stopping rule (every ``|misfit| / (1 + |total|) < tol``) and must be finite
    with ``0 < tol <= 1e-3``; ``max_iter`` >= 1 (:func:`check_controls`). The achieved totals are
    then recomputed from the final weights, and a
    :class:`~citizensfirst.errors.ConvergenceError` lists the worst ones if any misses its target
    by more than ``tol`` relative (the report's ``max_relative_error``).

    Parameters
    ----------
    design : Design
        The survey design.
    targets : mapping of str to float or mapping
        ``{variable: {level: count}}`` for categorical variables, ``{variable: total}`` for
        numeric ones.
    total : float or None, optional
        The population size; None uses the sum of the first categorical margin.
    method : str, default "linear"
        ``"linear"``, ``"raking"`` or ``"logit"``.
    bounds : tuple of (float, float) or None, optional
        ``(lower, upper)`` bounds on the g-weights (required for logit).
    max_iter : int, default 50
        Maximum Newton iterations.
    tol : float, default 1e-7
        Relative tolerance on every target.
    cluster : int or str or None, optional
        A stage number or a column: calibrate cluster means so a cluster shares one g.

    Returns
    -------
    Design
        The calibrated design, with its weighting report.

    Raises
    ------
    WeightingError
        When the method, controls, targets or base weights are invalid.
    ConvergenceError
        When a target is missed by more than ``tol``.
    """
    if method not in CALFUNS:
        raise WeightingError(f"method must be one of {CALFUNS}, got {method!r}")
    tol, max_iter, bounds, _ = check_controls(tol=tol, max_iter=max_iter, bounds=bounds)
    targets, total = model_names(design.frame.columns, lambda c: design.frame[c].dropna().unique(), dict(targets),
                                 total)
    if method == "logit" and (bounds is None or not np.isfinite(bounds).all()):
        raise WeightingError(f"logit calibration needs finite bounds=(lower, upper) with lower < 1 < upper, got {bounds}")
    if total is not None:
        total = real_number(total, "total")
        if not 0 < total < np.inf:
            raise WeightingError(f"total={total!r} is not allowed: the population size must be a positive finite number")
    check_base_weights(design)
    X, values, names = _model_matrix(design, targets, total)
    step = make_step("calibrate", targets=dict(targets), total=total, method=method, bounds=bounds,
                 cluster=cluster)
    new, iterations = calibrate_matrix(design, X, values, method=method, bounds=bounds,
                                       max_iter=max_iter, tol=tol, cluster=cluster, step=step)
    margins = pd.DataFrame({"margin": names, "level": "", "target": values, "achieved": X.T @ new.weight_values,
                            "sample_share": np.nan})
    report = checked_report(f"calibration ({method})", design.weight_values, new.weight_values, margins, tol, iterations,
                             advice=" Raise max_iter, widen the bounds or check the targets")
    return new.evolve(report=report)


def calibrate_matrix(
    design: Design,
    X: np.ndarray,
    values: np.ndarray,
    *,
    method: str,
    bounds: tuple[float, float] | None,
    max_iter: int,
    tol: float,
    step: Any,
    cluster: int | str | None = None,
) -> tuple[Design, int]:
    """Calibrate the design's weights on model matrix ``X`` to ``values``: (new design, iterations).

    Replicate weights, if any, are calibrated the same way; those that do not converge keep
    their last iterate with a :class:`ReplicateCalibrationWarning`.

    Parameters
    ----------
    design : Design
        The survey design.
    X : numpy.ndarray
        (n, p) model matrix.
    values : numpy.ndarray
        The p target totals.
    method : str
        Calibration function: ``"linear"``, ``"raking"`` or ``"logit"``.
    bounds : tuple of (float, float) or None
        Bounds on the g-weights, or None for none.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        Relative tolerance on every target.
    step : Step
        The history step recorded on the new design.
    cluster : int or str or None, optional
        A stage number or a column: calibrate cluster means so a cluster shares one g.

    Returns
    -------
    tuple of (Design, int)
        The calibrated design and the iterations used.
    """
    base = design.weight_values
    lo, hi = bounds if bounds is not None else (-np.inf, np.inf)
    group = _cluster_codes(design, cluster)
    Xc, wc = (X, base) if group is None else (_cluster_mean(X, group), _cluster_mean(base, group))
    g, iterations = solve_g(Xc, wc, values, method, (lo, hi), max_iter, tol)
    weights = base * g
    rep_weights = None
    reps = design.replicate_weights
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        failed = 0
        for r in range(rep_weights.shape[1]):
            wr = rep_weights[:, r] if group is None else _cluster_mean(rep_weights[:, r], group)
            g_r, used = solve_g(Xc, wr, values, method, (lo, hi), max_iter, tol, strict=False)
            failed += used < 0
            rep_weights[:, r] *= g_r
        if failed:
            warnings.warn(
                f"calibration of {failed} of {rep_weights.shape[1]} replicates did not converge in "
                f"{max_iter} iterations; their last iterate is used (as R does), which can bias the SEs",
                ReplicateCalibrationWarning, stacklevel=3,
            )
    residuals = None if reps is not None else GregResiduals.build(Xc, wc, g)
    return reweighted(design, weights, rep_weights, residuals, step), iterations


def _cluster_codes(design: Design, cluster: int | str | None) -> np.ndarray | None:
    if cluster is None:
        return None
    if isinstance(cluster, str):
        return factorize(design.frame[cluster].to_numpy())[0]
    if design.taylor is None:
        raise WeightingError("cluster=<stage> needs a design with PSUs; give a column name instead")
    return design.taylor.stages[int(cluster) - 1].cluster


def _cluster_mean(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    n_groups = int(group.max()) + 1
    counts = np.bincount(group, minlength=n_groups).astype(float)
    if values.ndim == 1:
        return (np.bincount(group, weights=values, minlength=n_groups) / counts)[group]
    return (group_sums(group, values, n_groups) / counts[:, None])[group]
