"""Weighting methods: each takes a Design and returns a new, weighted Design.

* :func:`rake` — iterative proportional fitting to marginal targets (R's ``rake``), or bounded
  raking through the raking calibration function when ``bounds`` are given;
* :func:`calibrate` — linear (GREG), raking or logit calibration to categorical and numeric
  totals, optionally on cluster means (R's ``calibrate(aggregate.stage=)``);
* :func:`poststratify` — one or crossed post-strata (R's ``postStratify``);
* :func:`trim` — weight trimming with redistribution (R's ``trimWeights``).

Every method recomputes the achieved margins from the final weights (a group sum per margin),
states them in its :class:`~citizensfirst.weighting.report.WeightingReport` and raises
:class:`~citizensfirst.errors.ConvergenceError` when any misses its target by more than the
tolerance, whatever the iteration claimed. Tolerances, iteration limits and bounds are checked
in one place (:func:`check_controls`) for the API, the command line and the study spec. Taylor
designs remember a residualiser so variances account for the weighting, and replicate designs
re-weight every replicate the same way.

>>> import pandas as pd
>>> from citizensfirst.design import Design
>>> df = pd.DataFrame({"sex": ["m", "m", "f", "f", "f"], "y": [1.0, 2, 3, 4, 5]})
>>> d = Design(df).rake({"sex": {"m": 0.5, "f": 0.5}}, total=100)
>>> d.weights.round(2).tolist()
[25.0, 25.0, 16.67, 16.67, 16.67]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..codebook import normalize_code
from ..errors import ConvergenceError, WeightingError
from ..groups import group_sums
from .calibration import CALFUNS, GregResiduals, PostStratumResiduals, RakingResiduals, solve_g
from .report import WeightingReport, margin_table, relative_errors

if TYPE_CHECKING:
    from ..design import Design

SHARE_TOLERANCE = 1e-6
TOL_MAX = 1e-3
"""Largest ``tol`` accepted: a weighted margin may miss its target by at most 0.1 % (relative)."""
R_RULE_TOL_MAX = 1e-2
"""Largest ``tol`` accepted with R's stopping rule (``rake(change_tol=)``): R's default
``control$epsilon`` of one count stops raking with margins up to about 0.2 % off (apiclus1, three
margins), so reproducing R needs a looser check; it is still checked and reported."""
EXACT_TOL = 1e-9
"""Relative tolerance of the check after post-stratification (exact up to rounding)."""
MAX_TRIM_PASSES = 10_000
"""Passes of strict trimming before it gives up (each shares the cut among untrimmed weights)."""
_TRIM_SLACK = 1e-12  # strict trimming: a weight within this relative distance of a limit is inside


class ReplicateCalibrationWarning(UserWarning):
    """Some replicate weights could not be calibrated exactly (the full sample was)."""


# ----------------------------------------------------------------------------- controls


def check_controls(
    *,
    tol: Any,
    max_iter: Any,
    bounds: Any = None,
    change_tol: Any = None,
) -> tuple[float, int, tuple[float, float] | None, float | None]:
    """Validated iteration controls of :func:`rake` and :func:`calibrate`: (tol, max_iter, bounds, change_tol).

    ``tol`` must be a finite number with ``0 < tol <= 1e-3`` (:data:`TOL_MAX`), or up to 1e-2
    (:data:`R_RULE_TOL_MAX`) together with R's stopping rule ``change_tol``: a tolerance that is
    NaN, infinite, zero, negative or large would let weights that miss their margins pass as
    converged. ``max_iter`` is a whole number >= 1; ``bounds`` is ``(lower, upper)`` with
    ``lower < 1 < upper`` (g = 1, the unadjusted weight, must be allowed; ``-inf`` / ``inf`` mean
    no bound, as R's default ``c(-Inf, Inf)``); ``change_tol`` is a positive finite count. Every
    error is a :class:`~citizensfirst.errors.WeightingError` naming the parameter, the value and
    the allowed range.

    >>> check_controls(tol=1e-8, max_iter=50)
    (1e-08, 50, None, None)
    >>> check_controls(tol=float("nan"), max_iter=50)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: tol=nan is not allowed: give a finite number with 0 < tol <= 0.001 (the largest relative miss of a margin that still counts as met); a NaN, infinite, zero, negative or larger tolerance would pass weights that miss their targets
    """
    limit = TOL_MAX if change_tol is None else R_RULE_TOL_MAX
    number = _real(tol, "tol")
    if not 0 < number <= limit:  # also refuses NaN
        rule = "" if change_tol is None else " with R's stopping rule change_tol"
        raise WeightingError(
            f"tol={tol!r} is not allowed: give a finite number with 0 < tol <= {limit:g}{rule} (the "
            "largest relative miss of a margin that still counts as met); a NaN, infinite, zero, "
            "negative or larger tolerance would pass weights that miss their targets"
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise WeightingError(f"max_iter={max_iter!r} is not allowed: give a whole number of iterations >= 1")
    checked_bounds = None
    if bounds is not None:
        if isinstance(bounds, str | bytes) or not isinstance(bounds, Sequence | np.ndarray) or len(bounds) != 2:
            raise WeightingError(f"bounds={bounds!r} is not allowed: give a pair (lower, upper) with lower < 1 < upper")
        low, high = _real(bounds[0], "bounds (lower)"), _real(bounds[1], "bounds (upper)")
        if not low < 1 < high:  # also refuses NaN
            raise WeightingError(
                f"bounds={tuple(bounds)!r} is not allowed: give lower < 1 < upper (the unadjusted weight, "
                "g = 1, must lie inside; use -inf or inf for no bound)"
            )
        checked_bounds = (low, high)
    checked_change = None
    if change_tol is not None:
        checked_change = _real(change_tol, "change_tol")
        if not 0 < checked_change < np.inf:
            raise WeightingError(
                f"change_tol={change_tol!r} is not allowed: give a positive finite change in weighted "
                "counts (R's control$epsilon)"
            )
    return number, int(max_iter), checked_bounds, checked_change


def _real(value: Any, name: str) -> float:
    """``value`` as a float; a WeightingError naming ``name`` when it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise WeightingError(f"{name}={value!r} is not a number")
    return float(value)


def _checked_report(method: str, base: np.ndarray, final: np.ndarray, margins: pd.DataFrame, tol: float,
                    iterations: int, converged: bool = True, advice: str = "") -> WeightingReport:
    """The report of a weighting step, after checking its margins (achieved from the final weights).

    Raises :class:`ConvergenceError` listing the worst margins when any relative error exceeds
    ``tol`` or is not a number, so the report's ``max_relative_error`` is never above ``tol``.
    """
    errors = relative_errors(margins["achieved"].to_numpy(), margins["target"].to_numpy())
    if not np.all(errors <= tol):  # NaN fails too
        order = np.argsort(-np.nan_to_num(errors, nan=np.inf))[:5]
        worst = "; ".join(
            f"{row.margin}{'=' + str(row.level) if str(row.level) else ''}: target {row.target:.6g}, "
            f"achieved {row.achieved:.6g}"
            for row in margins.iloc[order].itertuples(index=False)
        )
        raise ConvergenceError(
            f"{method} did not meet its targets within relative tolerance {tol:g} after {iterations} "
            f"iteration(s) (margins recomputed from the final weights); worst margins: {worst}.{advice}"
        )
    return WeightingReport.build(method, base, final, margins, converged, iterations)


# ----------------------------------------------------------------------------- targets


def _level_codes(design: Design, variable: str, levels: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Row codes (index into ``levels``) of ``variable``; errors name variable and level."""
    from ..design import check_columns

    check_columns(design._data, [variable], "weighting", design._source)
    series = design._data[variable]
    if series.isna().any():
        raise WeightingError(
            f"{design._source}: weighting variable {variable!r} is missing for "
            f"{int(series.isna().sum())} respondents; recode them to a category with a target"
        )
    keys = [normalize_code(level) for level in levels]
    lookup = {key: i for i, key in enumerate(keys)}
    labels = _value_labels(design, variable)
    observed, uniques = pd.factorize(series)
    index = np.empty(len(uniques), dtype=np.int64)
    for j, value in enumerate(uniques):
        key = normalize_code(value)
        if key not in lookup and labels.get(key) in lookup:
            key = labels[key]
        if key not in lookup:
            count = int((observed == j).sum())
            raise WeightingError(
                f"{design._source}: level {value!r} of {variable!r} ({count} respondents) has no "
                f"target; targets cover {keys}"
            )
        index[j] = lookup[key]
    codes = index[observed]
    present = np.bincount(codes, minlength=len(keys)) > 0
    if not present.all():
        absent = [keys[i] for i in np.flatnonzero(~present)]
        raise WeightingError(
            f"{design._source}: target level(s) {absent} of {variable!r} have no respondents in "
            "the sample; collapse them with a neighbouring level"
        )
    return codes, keys


def _value_labels(design: Design, variable: str) -> dict[Any, Any]:
    codebook = design._codebook
    if codebook is None or variable not in codebook:
        return {}
    return {normalize_code(k): normalize_code(v) for k, v in codebook[variable].value_labels.items()}


def parse_margins(
    margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame, total: float | None, base_total: float
) -> tuple[dict[str, dict[Any, float]], float]:
    """Margins as population counts, and the population total they imply.

    Each margin is either shares (all values <= 1, summing to 1) or counts; all count margins
    must sum to the same total. Shares are multiplied by ``total`` (default: the first count
    margin's sum, else the sum of the current weights). This is the one validation of margins:
    :func:`rake` and :func:`citizensfirst.targets.from_toml` both use it.

    >>> parse_margins({"age": {1: 1000, 2: 2000}, "sex": {"m": 0.5, "f": 0.5}}, None, 10.0)
    ({'age': {1: 1000.0, 2: 2000.0}, 'sex': {'m': 1500.0, 'f': 1500.0}}, 3000.0)
    >>> parse_margins({"age": {1: 1000, 2: 2000}, "sex": {"m": 2000, "f": 2010}}, None, 10.0)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: margins do not sum to the same population: 'age' sums to 3000, 'sex' to 4010; give every count margin the same total (or give shares)
    """
    if total is not None:
        given = _real(total, "total")
        if not 0 < given < np.inf:
            raise WeightingError(f"total={total!r} is not allowed: the population total must be a positive finite number")
        total = given
    if isinstance(margins, pd.DataFrame):
        missing = {"variable", "level", "target"} - set(margins.columns)
        if missing:
            raise WeightingError(f"margin table needs columns variable, level, target; missing {sorted(missing)}")
        margins = {
            str(var): dict(zip(group["level"], group["target"], strict=True))
            for var, group in margins.groupby("variable", sort=False)
        }
    if not margins:
        raise WeightingError("no margins given")
    parsed: dict[str, dict[Any, float]] = {}
    count_totals: dict[str, float] = {}
    for variable, targets in margins.items():
        if not targets:
            raise WeightingError(f"margin {variable!r} is empty")
        values = {}
        for level, value in targets.items():
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise WeightingError(f"margin {variable!r}, level {level!r}: target {value!r} is not a number") from None
            if not np.isfinite(number) or number < 0:
                raise WeightingError(f"margin {variable!r}, level {level!r}: target {value!r} must be >= 0")
            if number == 0:
                raise WeightingError(
                    f"margin {variable!r}, level {level!r}: target is zero; drop the level or merge it"
                )
            values[level] = number
        parsed[variable] = values
        if max(values.values()) > 1:
            count_totals[variable] = sum(values.values())
        elif abs(sum(values.values()) - 1) > SHARE_TOLERANCE:
            raise WeightingError(
                f"margin {variable!r}: shares sum to {sum(values.values()):.8g}, not 1"
            )
    if count_totals:
        first_var, first_total = next(iter(count_totals.items()))
        for var, value in count_totals.items():
            if abs(value - first_total) > SHARE_TOLERANCE * first_total:
                raise WeightingError(
                    f"margins do not sum to the same population: {first_var!r} sums to {first_total:.10g}, "
                    f"{var!r} to {value:.10g}; give every count margin the same total (or give shares)"
                )
        if total is not None and abs(total - first_total) > SHARE_TOLERANCE * first_total:
            raise WeightingError(f"total={total} disagrees with margin {first_var!r} summing to {first_total:.10g}")
        population = first_total
    else:
        population = float(total) if total is not None else base_total
    if not 0 < population < np.inf:
        raise WeightingError(f"population total must be a positive finite number, got {population}")
    for var in parsed:
        if var not in count_totals:
            parsed[var] = {k: v * population for k, v in parsed[var].items()}
    return parsed, population


def _check_base_weights(design: Design) -> np.ndarray:
    weights = design._weights
    bad = weights <= 0
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise WeightingError(
            f"{design._source}: {int(bad.sum())} respondents have zero base weight (first at row {first}); "
            "weighting needs positive base weights"
        )
    return weights


# ----------------------------------------------------------------------------- rake


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
    """
    tol, max_iter, bounds, change_tol = check_controls(tol=tol, max_iter=max_iter, bounds=bounds,
                                                       change_tol=change_tol)
    base = _check_base_weights(design)
    targets, population = parse_margins(margins, total, float(base.sum()))
    names = list(targets)
    coded = [_level_codes(design, var, list(targets[var])) for var in names]
    target_vectors = [np.array([targets[var][lv] for lv in targets[var]]) for var in names]
    if bounds is not None:
        # intercept + each margin's levels but its first: full rank, as R's model matrix
        blocks = [np.ones((len(base), 1))] + [np.eye(len(keys))[codes][:, 1:] for codes, keys in coded]
        values = np.concatenate([[population]] + [t[1:] for t in target_vectors])
        new, iterations = calibrate_matrix(
            design, np.hstack(blocks), values, method="raking", bounds=bounds,
            max_iter=max_iter, tol=tol, step=_step("rake", margins=targets, bounds=bounds),
        )
        return _with_margin_report(new, design, names, coded, target_vectors, "raking (bounded)", iterations,
                                   tol, advice=_RAKE_ADVICE)
    # Raking only depends on the cell (the combination of margin levels): fit the cell table,
    # then map the cell factors back to the rows (one pass over the data).
    cell, cell_levels = _cells(coded)
    n_cells = len(cell_levels[0])
    cell_base = np.bincount(cell, weights=base, minlength=n_cells)
    factor = np.ones(n_cells)
    reps = design._replicates
    rep_weights = None if reps is None else reps.analysis_weights(base)
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
    weights = base * factor[cell]
    if rep_weights is not None:
        rep_weights = rep_weights * rep_factor[cell]
    residuals = RakingResiduals(tuple((codes, len(keys), base * f[cell])
                                      for (codes, keys), f in zip(coded, last_factors, strict=True)))
    step = _step("rake", margins=targets, total=population, max_iter=max_iter, tol=tol,
                 change_tol=change_tol)
    new = _reweighted(design, weights, rep_weights, residuals, step)
    return _with_margin_report(new, design, names, coded, target_vectors, "raking",
                               iteration, tol, converged=converged, advice=_RAKE_ADVICE)


_RAKE_ADVICE = " Raise max_iter, check for empty or tiny cells, or collapse levels"


def _cells(coded: list[tuple[np.ndarray, list[Any]]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Cell of every row (occupied combinations of margin levels) and each margin's level per cell."""
    from ..groups import factorize

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


# ----------------------------------------------------------------------------- calibrate


def _from_model_names(design: Design, targets: dict[str, Any], total: float | None) -> tuple[dict[str, Any], float | None]:
    """Accept R's named totals too: ``{"(Intercept)": N, "stypeH": 755, "stypeM": 1018, "api99": T}``.

    A name that is not a column but a column name followed by one of its levels is a treatment
    dummy; the first level's count is the total minus the others.
    """
    if all(name in design._data.columns for name in targets if name != "(Intercept)") and \
            "(Intercept)" not in targets:
        return targets, total
    total = _real(targets.pop("(Intercept)"), "'(Intercept)'") if "(Intercept)" in targets else total
    out: dict[str, Any] = {}
    for name, value in targets.items():
        if name in design._data.columns:
            out[name] = value
            continue
        column = max((c for c in map(str, design._data.columns) if name.startswith(c)), key=len, default=None)
        if column is None or isinstance(value, Mapping):
            raise WeightingError(f"calibration target {name!r} is neither a column nor a column followed by a level")
        levels = {str(normalize_code(v)): v for v in design._data[column].dropna().unique()}
        level = name[len(column):]
        if level not in levels:
            raise WeightingError(f"calibration target {name!r}: {column!r} has no level {level!r}")
        out.setdefault(column, {})[levels[level]] = _real(value, f"calibration target {name!r}")
    for column, given in out.items():
        if isinstance(given, dict):
            if total is None:
                raise WeightingError("R-style dummy totals need '(Intercept)' (or total=) for the first level")
            levels = sorted(design._data[column].dropna().unique(),
                            key=lambda v: (isinstance(normalize_code(v), str), normalize_code(v)))
            first = levels[0]
            given[first] = total - sum(given.values())
    return out, total


def _model_matrix(
    design: Design, targets: Mapping[str, Any], total: float | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """R's model.matrix(~ a + b + x): intercept, treatment dummies (first level dropped), numerics."""
    from ..design import numeric_column

    for variable, target in targets.items():
        items = target.items() if isinstance(target, Mapping) else [(None, target)]
        for level, value in items:
            where = f"calibration target {variable!r}" + ("" if level is None else f", level {level!r}")
            if not np.isfinite(_real(value, where)):
                raise WeightingError(f"{where}: {value!r} is not a finite number")
    columns: list[np.ndarray] = []
    values: list[float] = []
    names: list[str] = []
    categorical = {k: v for k, v in targets.items() if isinstance(v, Mapping)}
    population = total
    if categorical:
        first_sum = sum(float(x) for x in next(iter(categorical.values())).values())
        population = population if population is not None else first_sum
    if population is not None:
        columns.append(np.ones(len(design._weights)))
        values.append(float(population))
        names.append("(Intercept)")
    for variable, target in targets.items():
        if isinstance(target, Mapping):
            levels = sorted(target, key=lambda v: (isinstance(normalize_code(v), str), normalize_code(v)))
            codes, keys = _level_codes(design, variable, levels)
            level_sum = sum(float(target[lv]) for lv in levels)
            if population is not None and abs(level_sum - population) > SHARE_TOLERANCE * population:
                if abs(level_sum - 1) <= SHARE_TOLERANCE:
                    target = {lv: float(target[lv]) * population for lv in levels}
                else:
                    raise WeightingError(
                        f"calibration targets for {variable!r} sum to {level_sum:.10g}, not the population {population:.10g}"
                    )
            for j, level in enumerate(levels[1:], start=1):
                columns.append((codes == j).astype(float))
                values.append(float(target[level]))
                names.append(f"{variable}{keys[j]}")
        else:
            column = numeric_column(design._data, variable, "calibration variable", design._source)
            if np.isnan(column).any():
                raise WeightingError(
                    f"{design._source}: calibration variable {variable!r} is missing for "
                    f"{int(np.isnan(column).sum())} respondents"
                )
            columns.append(column)
            values.append(float(target))
            names.append(variable)
    return np.column_stack(columns), np.asarray(values), names


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
    """
    if method not in CALFUNS:
        raise WeightingError(f"method must be one of {CALFUNS}, got {method!r}")
    tol, max_iter, bounds, _ = check_controls(tol=tol, max_iter=max_iter, bounds=bounds)
    targets, total = _from_model_names(design, dict(targets), total)
    if method == "logit" and (bounds is None or not np.isfinite(bounds).all()):
        raise WeightingError(f"logit calibration needs finite bounds=(lower, upper) with lower < 1 < upper, got {bounds}")
    if total is not None:
        total = _real(total, "total")
        if not 0 < total < np.inf:
            raise WeightingError(f"total={total!r} is not allowed: the population size must be a positive finite number")
    _check_base_weights(design)
    X, values, names = _model_matrix(design, targets, total)
    step = _step("calibrate", targets=dict(targets), total=total, method=method, bounds=bounds,
                 cluster=cluster)
    new, iterations = calibrate_matrix(design, X, values, method=method, bounds=bounds,
                                       max_iter=max_iter, tol=tol, cluster=cluster, step=step)
    margins = pd.DataFrame({"margin": names, "level": "", "target": values, "achieved": X.T @ new._weights,
                            "sample_share": np.nan})
    report = _checked_report(f"calibration ({method})", design._weights, new._weights, margins, tol, iterations,
                             advice=" Raise max_iter, widen the bounds or check the targets")
    return new._evolve(report=report)


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
    """Calibrate the design's weights on model matrix ``X`` to ``values``: (new design, iterations)."""
    base = design._weights
    lo, hi = bounds if bounds is not None else (-np.inf, np.inf)
    group = _cluster_codes(design, cluster)
    Xc, wc = (X, base) if group is None else (_cluster_mean(X, group), _cluster_mean(base, group))
    g, iterations = solve_g(Xc, wc, values, method, (lo, hi), max_iter, tol)
    weights = base * g
    rep_weights = None
    reps = design._replicates
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
    return _reweighted(design, weights, rep_weights, residuals, step), iterations


def _cluster_codes(design: Design, cluster: int | str | None) -> np.ndarray | None:
    if cluster is None:
        return None
    if isinstance(cluster, str):
        from ..groups import factorize

        return factorize(design._data[cluster].to_numpy())[0]
    if design._taylor is None:
        raise WeightingError("cluster=<stage> needs a design with PSUs; give a column name instead")
    return design._taylor.stages[int(cluster) - 1].cluster


def _cluster_mean(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    n_groups = int(group.max()) + 1
    counts = np.bincount(group, minlength=n_groups).astype(float)
    if values.ndim == 1:
        return (np.bincount(group, weights=values, minlength=n_groups) / counts)[group]
    return (group_sums(group, values, n_groups) / counts[:, None])[group]


# ----------------------------------------------------------------------------- post-stratify


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
    """
    base = _check_base_weights(design)
    names = [cells] if isinstance(cells, str) else list(cells)
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
        count = _real(value, f"post-stratification total of cell {key}")
        if not 0 <= count < np.inf:
            raise WeightingError(f"post-stratification total of cell {key} is {value!r}; give a finite count >= 0")
        if len(key) != len(names):
            raise WeightingError(f"post-stratification cell {key} does not name one level of each of {names}")
        if key in table:
            raise WeightingError(f"post-stratification cell {key} is given twice")
        table[key] = count
    coded = []
    for i, name in enumerate(names):
        levels = sorted({key[i] for key in table}, key=lambda v: (isinstance(v, str), v))
        codes, keys = _level_codes(design, name, levels)
        coded.append((codes, keys))
    cell = np.zeros(len(base), dtype=np.int64)
    sizes = [len(keys) for _, keys in coded]
    for codes, keys in coded:
        cell = cell * len(keys) + codes
    n_cells = int(np.prod(sizes))
    index = np.array([_cell_index(coded, key) for key in table], dtype=np.int64)
    target = np.full(n_cells, np.nan)
    target[index] = list(table.values())
    current = np.bincount(cell, weights=base, minlength=n_cells)
    empty_sample = np.isfinite(target) & (current == 0)
    if empty_sample.any():
        raise WeightingError(
            f"{design._source}: {int(empty_sample.sum())} post-stratification cell(s) with a target have "
            "no respondents; collapse cells"
        )
    no_target = (current > 0) & ~np.isfinite(target)
    if no_target.any():
        raise WeightingError(f"{design._source}: {int(no_target.sum())} sampled cell(s) of {names} have no target")
    factor = np.where(current > 0, target / np.where(current > 0, current, 1.0), 0.0)
    weights = base * factor[cell]
    rep_weights = None
    reps = design._replicates
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        rep_current = group_sums(cell, rep_weights, n_cells)
        with np.errstate(divide="ignore", invalid="ignore"):
            rep_weights *= np.where(rep_current > 0, target[:, None] / rep_current, 0.0)[cell]
    residuals = None if reps is not None else PostStratumResiduals(cell, n_cells, base, weights)
    step = _step("poststratify", cells=names, totals={str(k): v for k, v in table.items()})
    new = _reweighted(design, weights, rep_weights, residuals, step)
    margins = pd.DataFrame({
        "margin": "x".join(names),
        "level": [str(k) for k in table],
        "target": target[index],
        "achieved": np.bincount(cell, weights=weights, minlength=n_cells)[index],
        "sample_share": np.bincount(cell, minlength=n_cells)[index] / len(cell),
    })
    report = _checked_report("post-stratification", base, weights, margins, EXACT_TOL, 1)
    return new._evolve(report=report)


def _cell_index(coded: list[tuple[np.ndarray, list[Any]]], key: tuple[Any, ...]) -> int:
    index = 0
    for (_, keys), part in zip(coded, key, strict=True):
        index = index * len(keys) + keys.index(part)
    return index


# ----------------------------------------------------------------------------- trim


def trim(
    design: Design,
    *,
    lower: float = -np.inf,
    upper: float = np.inf,
    relative: bool = False,
    strict: bool = False,
    redistribute: str = "equal",
) -> Design:
    """Trim weights to ``[lower, upper]`` and share what was cut among the others (``trimWeights``).

    ``relative=True`` reads the limits as multiples of the median weight. ``redistribute``:
    ``equal`` (R's rule: the same amount added to each untrimmed weight), ``proportional`` (in
    proportion to the untrimmed weights) or ``none`` (the total changes). ``strict=True``
    repeats until no weight is outside the limits.

    With ``equal`` or ``proportional`` the weight total is preserved, or a
    :class:`~citizensfirst.errors.WeightingError` says why it cannot be: limits that are NaN,
    ``lower >= upper`` or ``upper <= 0``; every weight outside the limits (nothing left to absorb
    the cut); with ``strict=True``, a total that ``n`` weights within the limits cannot reach
    (above ``n * upper`` or below ``n * lower``); or weights pushed to zero or below. (R's
    ``trimWeights`` silently shrinks the total in these cases.)

    >>> import pandas as pd
    >>> from citizensfirst.design import Design
    >>> d = Design(pd.DataFrame({"w": [1.0, 1, 1, 5]}), weights="w")
    >>> trim(d, upper=3).weights.round(4).tolist()
    [1.6667, 1.6667, 1.6667, 3.0]
    >>> trim(d, upper=1.5, strict=True)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: trimming to upper=1.5 cannot keep the weight total: 4 weights of at most 1.5 sum to at most 6, not 8. Raise upper above the mean weight 2, or give redistribute='none' to let the total shrink
    """
    if redistribute not in ("equal", "proportional", "none"):
        raise WeightingError(f"redistribute must be equal, proportional or none, got {redistribute!r}")
    lower, upper = _real(lower, "lower"), _real(upper, "upper")
    base = design._weights
    if relative:
        positive = base[base > 0]
        if not positive.size:
            raise WeightingError(f"{design._source}: relative=True needs positive weights to take their median")
        median = float(np.median(positive))
        lower, upper = lower * median, upper * median
    if not (lower < upper and upper > 0 and lower < np.inf):  # also refuses NaN
        raise WeightingError(
            f"trim needs limits with lower < upper and upper > 0 (-inf / inf for no limit), got "
            f"lower={lower}, upper={upper}"
        )
    weights, trimmed = _trim_vector(base, lower, upper, strict, redistribute)
    rep_weights = None
    reps = design._replicates
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        for r in range(rep_weights.shape[1]):
            rep_weights[:, r], _ = _trim_vector(rep_weights[:, r], lower, upper, strict, redistribute,
                                                where=f"replicate {r + 1}: ")
    step = _step("trim", lower=lower, upper=upper, strict=strict, redistribute=redistribute)
    new = _reweighted(design, weights, rep_weights, None, step)
    report = WeightingReport.build("trimming", base, weights, None, True, 1, trimmed=trimmed)
    return new._evolve(report=report)


def _trim_vector(w: np.ndarray, lower: float, upper: float, strict: bool, redistribute: str,
                 where: str = "") -> tuple[np.ndarray, int]:
    """One trimming pass (``strict``: passes until every weight is within the limits); (weights, trimmed)."""
    n, total = len(w), float(w.sum())
    keep_total = redistribute != "none"
    if keep_total and strict and not n * lower <= total <= n * upper:
        limit, bound, word = ("upper", upper, "most") if total > n * upper else ("lower", lower, "least")
        raise WeightingError(
            f"{where}trimming to {limit}={bound:g} cannot keep the weight total: {n} weights of at {word} "
            f"{bound:g} sum to at {word} {n * bound:g}, not {total:g}. "
            f"{'Raise upper above' if limit == 'upper' else 'Lower lower below'} the mean weight "
            f"{total / n:g}, or give redistribute='none' to let the total shrink"
        )
    # strict passes stop once every weight is within a rounding slack of the limits (the exact
    # test can ping-pong forever on rounding error); the result is then clipped to the limits
    low = lower - _TRIM_SLACK * abs(lower) if strict else lower
    high = upper + _TRIM_SLACK * abs(upper) if strict else upper
    trimmed = 0
    for _ in range(MAX_TRIM_PASSES):
        outside = (w < low) | (w > high)
        if not outside.any():
            return np.clip(w, lower, upper), trimmed
        trimmed += int(outside.sum())
        new = np.clip(w, lower, upper)
        cut = float((w - new).sum())
        inside = ~outside
        if keep_total and cut != 0:
            if not inside.any():
                raise WeightingError(
                    f"{where}every one of the {n} weights (total {total:g}) is outside [lower={lower:g}, "
                    f"upper={upper:g}], so no weight is left to absorb the cut and the total cannot be kept; "
                    "widen the limits or give redistribute='none'"
                )
            if redistribute == "equal":
                new[inside] += cut / inside.sum()
            else:
                new[inside] *= 1 + cut / new[inside].sum()
            pushed = (new <= 0) & (w > 0)
            if pushed.any():
                raise WeightingError(
                    f"{where}trimming to [lower={lower:g}, upper={upper:g}] would push {int(pushed.sum())} "
                    "weight(s) to zero or below; widen the limits"
                )
        w = new
        if not strict:
            return w, trimmed
    raise ConvergenceError(
        f"{where}strict trimming to [lower={lower:g}, upper={upper:g}] did not settle in {MAX_TRIM_PASSES} "
        f"passes: the limits are too close to the mean weight {total / n:g}; widen them"
    )


# ----------------------------------------------------------------------------- shared


def _step(action: str, **parameters: Any) -> Any:
    from ..design import Step

    return Step(action, parameters)


def _reweighted(design: Design, weights: np.ndarray, rep_weights: np.ndarray | None,
                residuals: Any, step: Any) -> Design:
    from dataclasses import replace

    changes: dict[str, Any] = {"weights": weights, "history": design._history + (step,)}
    if rep_weights is not None:
        reps = design._replicates
        changes["replicates"] = replace(reps, multipliers=rep_weights, group=None)
    if residuals is not None:
        changes["calibrations"] = design._calibrations + (residuals,)
    return design._evolve(**changes)


def _with_margin_report(new: Design, old: Design, names: list[str], coded: list[tuple[np.ndarray, list[Any]]],
                        targets: list[np.ndarray], method: str, iterations: int, tol: float,
                        converged: bool = True, advice: str = "") -> Design:
    """``new`` with its checked report: margins achieved by its final weights against the targets."""
    margins = margin_table(names, coded, targets, new._weights)
    report = _checked_report(method, old._weights, new._weights, margins, tol, iterations, converged, advice)
    return new._evolve(report=report)
