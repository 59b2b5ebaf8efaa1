"""Weighting methods: each takes a Design and returns a new, weighted Design.

* :func:`rake` — iterative proportional fitting to marginal targets (R's ``rake``), or bounded
  raking through the raking calibration function when ``bounds`` are given;
* :func:`calibrate` — linear (GREG), raking or logit calibration to categorical and numeric
  totals, optionally on cluster means (R's ``calibrate(aggregate.stage=)``);
* :func:`poststratify` — one or crossed post-strata (R's ``postStratify``);
* :func:`trim` — weight trimming with redistribution (R's ``trimWeights``).

Every method checks the achieved totals against the targets and raises
:class:`~citizensfirst.errors.ConvergenceError` when they are missed; Taylor designs remember a
residualiser so variances account for the weighting, and replicate designs re-weight every
replicate the same way.

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
from .report import WeightingReport, margin_table

if TYPE_CHECKING:
    from ..design import Design

SHARE_TOLERANCE = 1e-6


class ReplicateCalibrationWarning(UserWarning):
    """Some replicate weights could not be calibrated exactly (the full sample was)."""


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
    margin's sum, else the sum of the current weights).
    """
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
                    f"{var!r} to {value:.10g}"
                )
        if total is not None and abs(total - first_total) > SHARE_TOLERANCE * first_total:
            raise WeightingError(f"total={total} disagrees with margin {first_var!r} summing to {first_total:.10g}")
        population = first_total
    else:
        population = float(total) if total is not None else base_total
    if population <= 0:
        raise WeightingError(f"population total must be positive, got {population}")
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
    """
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
        return _with_margin_report(new, design, names, coded, target_vectors, "raking (bounded)", iterations)
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
    if _worst_relative_error(cell_levels, target_vectors, cell_base * factor) > tol:
        raise ConvergenceError(_miss_message(names, coded, target_vectors, weights, iteration, tol))
    if rep_weights is not None:
        rep_weights = rep_weights * rep_factor[cell]
    residuals = RakingResiduals(tuple((codes, len(keys), base * f[cell])
                                      for (codes, keys), f in zip(coded, last_factors, strict=True)))
    step = _step("rake", margins=targets, total=population, max_iter=max_iter, tol=tol,
                 change_tol=change_tol)
    new = _reweighted(design, weights, rep_weights, residuals, step)
    return _with_margin_report(new, design, names, coded, target_vectors, "raking",
                               iteration, converged=converged)


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


def _miss_message(names: list[str], coded: list[tuple[np.ndarray, list[Any]]], targets: list[np.ndarray],
                  weights: np.ndarray, iterations: int, tol: float) -> str:
    rows = []
    for name, (codes, keys), target in zip(names, coded, targets, strict=True):
        achieved = np.bincount(codes, weights=weights, minlength=len(keys))
        for key, t, a in zip(keys, target, achieved, strict=True):
            rows.append((abs(a - t) / t, name, key, t, a))
    rows.sort(reverse=True, key=lambda r: r[0])
    worst = "; ".join(f"{n}={k}: target {t:.6g}, achieved {a:.6g}" for _, n, k, t, a in rows[:5])
    return (f"raking did not meet its targets within relative tolerance {tol:g} after {iterations} "
            f"sweeps; worst margins: {worst}. Raise max_iter, check for empty or tiny cells, or collapse levels")


# ----------------------------------------------------------------------------- calibrate


def _from_model_names(design: Design, targets: dict[str, Any], total: float | None) -> tuple[dict[str, Any], float | None]:
    """Accept R's named totals too: ``{"(Intercept)": N, "stypeH": 755, "stypeM": 1018, "api99": T}``.

    A name that is not a column but a column name followed by one of its levels is a treatment
    dummy; the first level's count is the total minus the others.
    """
    if all(name in design._data.columns for name in targets if name != "(Intercept)") and \
            "(Intercept)" not in targets:
        return targets, total
    total = float(targets.pop("(Intercept)")) if "(Intercept)" in targets else total
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
        out.setdefault(column, {})[levels[level]] = float(value)
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
    """
    if method not in CALFUNS:
        raise WeightingError(f"method must be one of {CALFUNS}, got {method!r}")
    targets, total = _from_model_names(design, dict(targets), total)
    if method == "logit" and bounds is None:
        raise WeightingError("logit calibration needs bounds=(lower, upper) with lower < 1 < upper")
    if bounds is not None and not bounds[0] < 1 < bounds[1]:
        raise WeightingError(f"bounds {bounds} must satisfy lower < 1 < upper")
    _check_base_weights(design)
    X, values, names = _model_matrix(design, targets, total)
    step = _step("calibrate", targets=dict(targets), total=total, method=method, bounds=bounds,
                 cluster=cluster)
    new, iterations = calibrate_matrix(design, X, values, method=method, bounds=bounds,
                                       max_iter=max_iter, tol=tol, cluster=cluster, step=step)
    achieved = X.T @ new._weights
    report = WeightingReport.build(
        method=f"calibration ({method})", base=design._weights, final=new._weights,
        margins=pd.DataFrame({"margin": names, "level": "", "target": values, "achieved": achieved,
                              "sample_share": np.nan}),
        converged=True, iterations=iterations,
    )
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
    is a DataFrame with the cell columns and a ``Freq`` (or ``count``) column.
    """
    base = _check_base_weights(design)
    names = [cells] if isinstance(cells, str) else list(cells)
    if isinstance(totals, pd.DataFrame):
        count_col = "Freq" if "Freq" in totals.columns else "count"
        keys = [tuple(normalize_code(v) for v in row) for row in totals[names].itertuples(index=False)]
        table = dict(zip(keys, totals[count_col].astype(float), strict=True))
    else:
        table = {
            (tuple(normalize_code(v) for v in k) if isinstance(k, tuple) else (normalize_code(k),)): float(v)
            for k, v in totals.items()
        }
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
    target = np.full(n_cells, np.nan)
    for key, value in table.items():
        index = 0
        for (_, keys), part in zip(coded, key, strict=True):
            index = index * len(keys) + keys.index(part)
        target[index] = value
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
        "target": list(table.values()),
        "achieved": [np.bincount(cell, weights=weights, minlength=n_cells)[_cell_index(coded, k)] for k in table],
        "sample_share": [np.mean(cell == _cell_index(coded, k)) for k in table],
    })
    report = WeightingReport.build("post-stratification", base, weights, margins, True, 1)
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
    """
    if redistribute not in ("equal", "proportional", "none"):
        raise WeightingError(f"redistribute must be equal, proportional or none, got {redistribute!r}")
    base = design._weights
    if relative:
        median = float(np.median(base[base > 0]))
        lower, upper = lower * median, upper * median
    if not lower < upper:
        raise WeightingError(f"trim needs lower < upper, got [{lower}, {upper}]")
    weights, trimmed = _trim_vector(base, lower, upper, strict, redistribute)
    rep_weights = None
    reps = design._replicates
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        for r in range(rep_weights.shape[1]):
            rep_weights[:, r], _ = _trim_vector(rep_weights[:, r], lower, upper, strict, redistribute)
    step = _step("trim", lower=lower, upper=upper, strict=strict, redistribute=redistribute)
    new = _reweighted(design, weights, rep_weights, None, step)
    report = WeightingReport.build("trimming", base, weights, None, True, 1, trimmed=trimmed)
    return new._evolve(report=report)


def _trim_vector(w: np.ndarray, lower: float, upper: float, strict: bool, redistribute: str) -> tuple[np.ndarray, int]:
    trimmed = 0
    while True:
        outside = (w < lower) | (w > upper)
        if not outside.any():
            return w, trimmed
        trimmed += int(outside.sum())
        new = np.clip(w, lower, upper)
        cut = float((w - new).sum())
        inside = ~outside
        if redistribute == "equal":
            new[inside] += cut / inside.sum()
        elif redistribute == "proportional":
            new[inside] *= 1 + cut / new[inside].sum()
        w = new
        if not strict:
            return w, trimmed


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
                        targets: list[np.ndarray], method: str, iterations: int,
                        converged: bool = True) -> Design:
    margins = margin_table(names, coded, targets, new._weights)
    report = WeightingReport.build(method, old._weights, new._weights, margins, converged, iterations)
    return new._evolve(report=report)
