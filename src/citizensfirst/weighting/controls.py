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
>>> from citizensfirst import Design
>>> df = pd.DataFrame({"sex": ["m", "m", "f", "f", "f"], "y": [1.0, 2, 3, 4, 5]})
>>> d = Design(df).rake({"sex": {"m": 0.5, "f": 0.5}}, total=100)
>>> d.weights.round(2).tolist()
[25.0, 25.0, 16.67, 16.67, 16.67]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import Step, check_columns
from ..errors import ConvergenceError, WeightingError
from ..io.codes import normalize_code
from .report import WeightingReport, margin_table, relative_errors

if TYPE_CHECKING:
    from ..design.facade import Design


SHARE_TOLERANCE = 1e-6


TOL_MAX = 1e-3


"""Largest ``tol`` accepted: a weighted margin may miss its target by at most 0.1 % (relative)."""


R_RULE_TOL_MAX = 1e-2


"""Largest ``tol`` accepted with R's stopping rule (``rake(change_tol=)``): R's default
``control$epsilon`` of one count stops raking with margins up to about 0.2 % off (apiclus1, three
margins), so reproducing R needs a looser check; it is still checked and reported."""


EXACT_TOL = 1e-9


"""Relative tolerance of the check after post-stratification (exact up to rounding)."""


"""Passes of strict trimming before it gives up (each shares the cut among untrimmed weights)."""


class ReplicateCalibrationWarning(UserWarning):
    """Some replicate weights could not be calibrated exactly (the full sample was)."""


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

    Parameters
    ----------
    tol : Any
        Relative tolerance on the margins.
    max_iter : Any
        Maximum number of iterations.
    bounds : Any, optional
        ``(lower, upper)`` bounds on g, or None.
    change_tol : Any, optional
        R's stopping rule (change in weighted counts), or None.

    Returns
    -------
    tuple
        ``(tol, max_iter, bounds, change_tol)`` as float, int, pair of floats or None, float or None.

    Raises
    ------
    WeightingError
        When a control is out of its allowed range.

    Examples
    --------
    >>> check_controls(tol=1e-8, max_iter=50)
    (1e-08, 50, None, None)
    >>> check_controls(tol=float("nan"), max_iter=50)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: tol=nan is not allowed: give a finite number with 0 < tol <= 0.001 (the largest relative miss of a margin that still counts as met); a NaN, infinite, zero, negative or larger tolerance would pass weights that miss their targets
    """
    limit = TOL_MAX if change_tol is None else R_RULE_TOL_MAX
    number = real_number(tol, "tol")
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
        low, high = real_number(bounds[0], "bounds (lower)"), real_number(bounds[1], "bounds (upper)")
        if not low < 1 < high:  # also refuses NaN
            raise WeightingError(
                f"bounds={tuple(bounds)!r} is not allowed: give lower < 1 < upper (the unadjusted weight, "
                "g = 1, must lie inside; use -inf or inf for no bound)"
            )
        checked_bounds = (low, high)
    checked_change = None
    if change_tol is not None:
        checked_change = real_number(change_tol, "change_tol")
        if not 0 < checked_change < np.inf:
            raise WeightingError(
                f"change_tol={change_tol!r} is not allowed: give a positive finite change in weighted "
                "counts (R's control$epsilon)"
            )
    return number, int(max_iter), checked_bounds, checked_change


def real_number(value: Any, name: str) -> float:
    """``value`` as a float; a WeightingError naming ``name`` when it is not a real number.

    Parameters
    ----------
    value : Any
        The value to check.
    name : str
        The parameter name used in the error message.

    Returns
    -------
    float
        The value as a float.

    Raises
    ------
    WeightingError
        When ``value`` is not a real number (booleans included).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise WeightingError(f"{name}={value!r} is not a number")
    return float(value)


def checked_report(method: str, base: np.ndarray, final: np.ndarray, margins: pd.DataFrame, tol: float,
                    iterations: int, converged: bool = True, advice: str = "") -> WeightingReport:
    """The report of a weighting step, after checking its margins (achieved from the final weights).

    Raises :class:`ConvergenceError` listing the worst margins when any relative error exceeds
    ``tol`` or is not a number, so the report's ``max_relative_error`` is never above ``tol``.

    Parameters
    ----------
    method : str
        Name of the weighting method.
    base : numpy.ndarray
        The weights before the step.
    final : numpy.ndarray
        The weights after the step.
    margins : pandas.DataFrame
        The :func:`~citizensfirst.weighting.report.margin_table` of the final weights.
    tol : float
        Relative tolerance on every margin level.
    iterations : int
        Number of iterations used.
    converged : bool, default True
        Whether the step converged.
    advice : str, default ""
        Text appended to the error message.

    Returns
    -------
    WeightingReport
        The report of the step.

    Raises
    ------
    ConvergenceError
        When a margin misses its target by more than ``tol``.
    """
    check_margins(method, margins, tol, iterations, advice)
    return WeightingReport.build(method, base, final, margins, converged, iterations)


def check_margins(method: str, margins: pd.DataFrame, tol: float, iterations: int, advice: str = "") -> None:
    """Raise :class:`ConvergenceError` listing the worst margins when any misses its target by more
    than ``tol`` (relative) or is not a number.

    Parameters
    ----------
    method : str
        Name of the weighting method.
    margins : pandas.DataFrame
        The margin table (``margin``, ``level``, ``target``, ``achieved``).
    tol : float
        Relative tolerance on every margin level.
    iterations : int
        Number of iterations used.
    advice : str, default ""
        Text appended to the error message.

    Raises
    ------
    ConvergenceError
        When a margin misses its target by more than ``tol``.
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


def level_codes(design: Design, variable: str, levels: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Row codes (index into ``levels``) of ``variable``; errors name variable and level.

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        The weighting variable.
    levels : sequence
        The target levels (codes or value labels).

    Returns
    -------
    tuple of (numpy.ndarray, list)
        Each respondent's index into the levels, and the normalised level keys.

    Raises
    ------
    WeightingError
        When the variable has missing values, a level without a target, or a target level
        without respondents.
    """
    check_columns(design.frame, [variable], "weighting", design.source)
    series = design.frame[variable]
    if series.isna().any():
        raise WeightingError(
            f"{design.source}: weighting variable {variable!r} is missing for "
            f"{int(series.isna().sum())} respondents; recode them to a category with a target"
        )
    observed, uniques = pd.factorize(series)
    index, keys = match_levels(list(uniques), np.bincount(observed, minlength=len(uniques)), variable, levels,
                               value_labels(design.codebook, variable), design.source)
    return index[observed], keys


def match_levels(values: Sequence[Any], counts: np.ndarray, variable: str, levels: Sequence[Any],
                 labels: Mapping[Any, Any], source: str) -> tuple[np.ndarray, list[Any]]:
    """Index into ``levels`` of each distinct value of ``variable`` (matched directly or by its label).

    Parameters
    ----------
    values : sequence
        The distinct values of the variable (no missing value).
    counts : numpy.ndarray
        How many respondents hold each value.
    variable : str
        The weighting variable (named in errors).
    levels : sequence
        The target levels (codes or value labels).
    labels : mapping
        Value labels ``{code: label}`` (normalised), or empty.
    source : str
        The data's name, in errors.

    Returns
    -------
    tuple of (numpy.ndarray, list)
        Each value's index into the levels, and the normalised level keys.

    Raises
    ------
    WeightingError
        When a value has no target, or a target level no respondent.
    """
    keys = [normalize_code(level) for level in levels]
    lookup = {key: i for i, key in enumerate(keys)}
    index = np.empty(len(values), dtype=np.int64)
    for j, value in enumerate(values):
        key = normalize_code(value)
        if key not in lookup and labels.get(key) in lookup:
            key = labels[key]
        if key not in lookup:
            raise WeightingError(
                f"{source}: level {value!r} of {variable!r} ({int(counts[j])} respondents) has no "
                f"target; targets cover {keys}"
            )
        index[j] = lookup[key]
    present = np.bincount(index[np.asarray(counts) > 0], minlength=len(keys)) > 0
    if not present.all():
        absent = [keys[i] for i in np.flatnonzero(~present)]
        raise WeightingError(
            f"{source}: target level(s) {absent} of {variable!r} have no respondents in "
            "the sample; collapse them with a neighbouring level"
        )
    return index, keys


def value_labels(codebook: Any, variable: str) -> dict[Any, Any]:
    """The value labels of ``variable`` in ``codebook`` (normalised codes), or an empty dict.

    Parameters
    ----------
    codebook : Codebook or None
        The survey's codebook.
    variable : str
        The variable.

    Returns
    -------
    dict
        ``{code: label}``.
    """
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

    Parameters
    ----------
    margins : mapping or pandas.DataFrame
        ``{variable: {level: share or count}}``, or a table with columns ``variable``,
        ``level`` and ``target``.
    total : float or None
        The population total for share margins, or None.
    base_total : float
        The sum of the current weights, the total when no other is given.

    Returns
    -------
    tuple of (dict, float)
        The margins as counts, and the population total.

    Raises
    ------
    WeightingError
        When a margin is empty, a target is not a positive number, shares do not sum to 1, or
        totals disagree.

    Examples
    --------
    >>> parse_margins({"age": {1: 1000, 2: 2000}, "sex": {"m": 0.5, "f": 0.5}}, None, 10.0)
    ({'age': {1: 1000.0, 2: 2000.0}, 'sex': {'m': 1500.0, 'f': 1500.0}}, 3000.0)
    >>> parse_margins({"age": {1: 1000, 2: 2000}, "sex": {"m": 2000, "f": 2010}}, None, 10.0)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: margins do not sum to the same population: 'age' sums to 3000, 'sex' to 4010; give every count margin the same total (or give shares)
    """
    if total is not None:
        given = real_number(total, "total")
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


def check_base_weights(design: Design) -> np.ndarray:
    """The design's weights, checked to be positive.

    Parameters
    ----------
    design : Design
        The survey design.

    Returns
    -------
    numpy.ndarray
        The weights.

    Raises
    ------
    WeightingError
        When a respondent has a zero or negative base weight.
    """
    weights = design.weight_values
    bad = weights <= 0
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise WeightingError(
            f"{design.source}: {int(bad.sum())} respondents have zero base weight (first at row {first}); "
            "weighting needs positive base weights"
        )
    return weights


def make_step(action: str, **parameters: Any) -> Step:
    """A history step recording a weighting action and its parameters.

    Parameters
    ----------
    action : str
        The action name.
    **parameters : Any
        Its parameters.

    Returns
    -------
    Step
        The step.
    """
    return Step(action, parameters)


def reweighted(design: Design, weights: np.ndarray, rep_weights: np.ndarray | None,
                residuals: Any, step: Step) -> Design:
    """The design with new weights, a new history step and, optionally, replicates and residualiser.

    Parameters
    ----------
    design : Design
        The design before the step.
    weights : numpy.ndarray
        The new weights.
    rep_weights : numpy.ndarray or None
        New replicate multipliers, or None to keep the current ones.
    residuals : Any
        A calibration residualiser to append, or None.
    step : Step
        The history step to append.

    Returns
    -------
    Design
        The new design.
    """
    changes: dict[str, Any] = {"weights": weights, "history": design.history + (step,)}
    if rep_weights is not None:
        reps = design.replicate_weights
        assert reps is not None, "replicate weights are only computed for a replicate design"
        changes["replicates"] = replace(reps, multipliers=rep_weights, group=None)
    if residuals is not None:
        changes["calibrations"] = design.calibrations + (residuals,)
    return design.evolve(**changes)


def with_margin_report(new: Design, old: Design, names: list[str], coded: list[tuple[np.ndarray, list[Any]]],
                        targets: list[np.ndarray], method: str, iterations: int, tol: float,
                        converged: bool = True, advice: str = "") -> Design:
    """``new`` with its checked report: margins achieved by its final weights against the targets.

    Parameters
    ----------
    new : Design
        The design after the step.
    old : Design
        The design before the step.
    names : list of str
        The margin variables.
    coded : list of tuple of (numpy.ndarray, list)
        Per margin, each respondent's level code and the level keys.
    targets : list of numpy.ndarray
        Per margin, the target total of each level.
    method : str
        Name of the weighting method.
    iterations : int
        Number of iterations used.
    tol : float
        Relative tolerance on every margin level.
    converged : bool, default True
        Whether the step converged.
    advice : str, default ""
        Text appended to a convergence error.

    Returns
    -------
    Design
        ``new`` with its report.

    Raises
    ------
    ConvergenceError
        When a margin misses its target by more than ``tol``.
    """
    margins = margin_table(names, coded, targets, new.weight_values)
    report = checked_report(method, old.weight_values, new.weight_values, margins, tol, iterations, converged, advice)
    return new.evolve(report=report)
