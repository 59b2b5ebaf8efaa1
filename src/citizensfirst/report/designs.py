"""A study spec's waves as designs: the design of a wave table, its weighting steps and their targets.

:func:`design_from_wave` turns a :class:`~citizensfirst.report.spec.WaveSpec` (weights or
probabilities, strata, PSUs and fpc per stage, ``nest``, the lonely-PSU rule, replicate weights
from columns or a pattern) into a :class:`~citizensfirst.Design`, after checking that every
column it names is in the wave's file. :func:`step_margins` reads the targets of a weighting step
(a shipped set, a targets TOML file or inline margins) and :func:`apply_weighting` runs the
ordered steps through the design's own ``rake`` / ``calibrate`` / ``poststratify`` / ``trim``, so
every check of those methods (tolerances, achieved margins) applies. Errors name the spec file,
the table and the key::

    study.toml: [waves.api].fpc: column 'fpc9' is not in apiclus2.csv; did you mean 'fpc1'?

Poststratification targets are keyed by the cell variables joined with ``|`` (one cell variable:
its name) and, within it, by the levels joined the same way, e.g. inline
``margins = { "stype|awards" = { "E|No" = 1100, "E|Yes" = 3321, ... } }``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

from ..design.facade import Design
from ..design.setup import unpack
from ..errors import CitizensFirstError, DataError, DesignError, SpecError, WeightingError
from ..io.codes import normalize_code
from ..io.readers import read_survey
from ..spec.base import quoted_key
from ..weighting.controls import parse_margins
from ..weighting.shipped import shipped_targets
from ..weighting.targets import from_toml

if TYPE_CHECKING:
    from ..io.survey import Survey
    from .spec import EstimateSpec, ReplicateSpec, WaveSpec, WeightingStep

# the targets of a weighting step: {variable: {level: share or count}}; for calibrate a numeric
# variable maps to its population total (a plain comment: autodoc cannot document a dict[...] alias)
StepTargets: TypeAlias = dict[str, Any]

StepCallback = Callable[[int, "WeightingStep", Design], None]
"""Called after each weighting step with its number (from 1), the step and the new design."""

METHOD_LABELS: dict[str, dict[str, str]] = {
    "rake": {"en": "raking", "fr": "ratissage"},
    "calibrate": {"en": "calibration", "fr": "calage"},
    "poststratify": {"en": "post-stratification", "fr": "post-stratification"},
    "trim": {"en": "trimming", "fr": "écrêtage"},
}
"""The weighting methods' names in the report, by language."""


def read_wave(wave: WaveSpec, source: object = None) -> Survey:
    """Read a wave's data file; an error names the spec and the key that gave the file.

    Parameters
    ----------
    wave : WaveSpec
        The wave.
    source : object, optional
        The spec file, named in error messages (None: the message is the reader's own).

    Returns
    -------
    Survey
        The file with its codebook.

    Raises
    ------
    CitizensFirstError
        The reader's error (missing file, unreadable file, bad codebook), prefixed with
        ``<spec>: [waves.<name>].file = "<file>"``.
    """
    try:
        return read_survey(wave.file)
    except CitizensFirstError as err:
        if source is None:
            raise
        raise type(err)(f"{source}: [waves.{quoted_key(wave.name)}].file = {str(wave.file)!r}: {err}") from None


def _stages(values: Sequence[Any]) -> Any:
    """A per-stage option as Design takes it: None (none given), the one value, or a list."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def _missing_column(where: str, key: str, name: str, columns: Sequence[str], file: str) -> SpecError:
    close = difflib.get_close_matches(name, columns, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"its columns are {', '.join(columns[:25])}"
    return SpecError(f"{where}.{key}: column {name!r} is not in {file}; {hint}")


def _replicate_columns(reps: ReplicateSpec, wave: WaveSpec, columns: list[str], source: str) -> list[str]:
    """The replicate weight columns of ``wave``: the listed ones, or those its pattern matches."""
    at = f"{source}: [waves.{wave.name}.replicates]"
    if reps.pattern is None:
        for name in reps.columns:
            if name not in columns:
                raise _missing_column(at, "columns", name, columns, wave.file.name)
        return list(reps.columns)
    try:
        pattern = re.compile(reps.pattern)
    except re.error as err:
        raise SpecError(f"{at}.pattern: {reps.pattern!r} is not a valid regular expression ({err}); "
                        "give one such as 'rep[0-9]+', or list the columns") from None
    matched = [name for name in columns if pattern.fullmatch(name)]
    if not matched:
        raise SpecError(f"{at}.pattern: {reps.pattern!r} matches no column of {wave.file.name} (the "
                        "whole name must match); its columns are " + ", ".join(columns[:25]))
    return matched


def design_from_wave(wave: WaveSpec, data: Survey | pd.DataFrame, *,
                     source: str | Path | None = None) -> Design:
    """The design of one wave of a study spec.

    Parameters
    ----------
    wave : WaveSpec
        The wave: weights or probs, strata, psu and fpc per stage, nest, lonely-PSU options,
        replicate weights.
    data : Survey or pandas.DataFrame
        The wave's data (never modified).
    source : str or Path, optional
        The spec file, named in error messages (default ``"spec"``).

    Returns
    -------
    Design
        The wave's design, before any weighting step.

    Raises
    ------
    SpecError
        If a column the wave names is not in its data, or the replicate pattern matches none.
    DesignError
        If the design options contradict each other or the data (the message names the wave).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> wave = SimpleNamespace(name="w", file=Path("w.csv"), weights="wt", probs=None, strata=("s",),
    ...                        psu=(), fpc=("fpc",), nest=False, lonely_psu="fail",
    ...                        adjust_domain_lonely=False, replicates=None)
    >>> df = pd.DataFrame({"s": [1, 1, 2, 2], "wt": [5.0, 5, 10, 10], "fpc": [10, 10, 20, 20]})
    >>> design_from_wave(wave, df).n_strata
    2
    >>> design_from_wave(wave, df.rename(columns={"fpc": "fpc2"}), source="study.toml")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.SpecError: study.toml: [waves.w].fpc: column 'fpc' is not in w.csv; did you mean 'fpc2'?
    """
    frame, _, _ = unpack(data)
    columns = [str(c) for c in frame.columns]
    spec_file = str(source or "spec")
    where = f"{spec_file}: [waves.{wave.name}]"
    named: list[tuple[str, Sequence[Any]]] = [
        ("weights", [wave.weights] if wave.weights else []), ("probs", [wave.probs] if wave.probs else []),
        ("strata", wave.strata), ("psu", wave.psu), ("fpc", [f for f in wave.fpc if isinstance(f, str)]),
    ]
    for key, names in named:
        for name in names:
            if name not in columns:
                raise _missing_column(where, key, name, columns, wave.file.name)
    options: dict[str, Any] = {
        "weights": wave.weights, "probs": wave.probs, "strata": _stages(wave.strata),
        "psu": _stages(wave.psu), "fpc": _stages(wave.fpc), "nest": wave.nest,
        "lonely_psu": wave.lonely_psu, "adjust_domain_lonely": wave.adjust_domain_lonely,
    }
    reps = wave.replicates
    if reps is not None:
        options.update(
            replicate_weights=_replicate_columns(reps, wave, columns, spec_file), method=reps.type,
            scale=reps.scale, rscales=None if reps.rscales is None else list(reps.rscales),
            rho=reps.rho, mse=reps.mse, combined_weights=reps.combined,
        )
    try:
        return Design(data, **options)
    except (DesignError, DataError) as err:
        raise type(err)(f"{where}: {err}") from None


def _normalized(margins: Mapping[str, Any]) -> StepTargets:
    """Inline margins with their level keys read as codes (``"1"`` -> 1), numbers kept as given."""
    return {str(name): ({normalize_code(k): v for k, v in value.items()} if isinstance(value, Mapping) else value)
            for name, value in margins.items()}


def step_margins(step: WeightingStep) -> StepTargets:
    """The targets of one weighting step: a shipped set, a targets TOML file or inline margins.

    A shipped set gives its margins as they are (shares, or counts that carry their citation,
    which the weighting report then prints); a file gives counts when it has counts or a total
    (else shares); inline margins are returned as written, level keys read as codes the way a
    targets file's keys are (``"1"`` -> 1). For a file or inline margins, ``variables`` (when
    given) picks the margins used. Shares are turned into counts by the step itself
    (:func:`apply_weighting`), from the current weight total.

    Parameters
    ----------
    step : WeightingStep
        The step (its ``targets``, ``file`` or ``margins``, and ``variables``).

    Returns
    -------
    StepTargets
        ``{variable: {level: share or count}}`` (``calibrate`` may give a number for a numeric
        variable); an empty dict for ``trim``.

    Raises
    ------
    SpecError
        If a shipped set is unknown or named without variables, or a file is malformed.
    WeightingError
        If a margin is invalid (not a positive number, shares not summing to 1, totals that
        disagree).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> step = SimpleNamespace(method="rake", targets=None, file=None, variables=(), cells=(),
    ...                        margins={"gender": {"1": 0.49, "2": 0.51}}, options={})
    >>> step_margins(step)
    {'gender': {1: 0.49, 2: 0.51}}
    """
    if step.targets is not None:
        if not step.variables:
            raise SpecError(f"targets = {step.targets!r} needs variables = [...] naming the target "
                            "variables of the shipped set")
        return shipped_targets(step.targets, list(step.variables))  # as returned: it may carry its citation
    if step.file is not None:
        shares = from_toml(step.file)
        try:
            margins = dict(from_toml(step.file, shares=False))
        except WeightingError:  # only shares and no total: the population is the current weights' sum
            margins = dict(shares)
    elif step.margins is not None:
        margins = _normalized(step.margins)
        categorical = {k: v for k, v in margins.items() if isinstance(v, Mapping)}
        if categorical:
            parse_margins(categorical, None, 1.0)  # the one validation of margins
    else:
        return {}
    unknown = [name for name in step.variables if name not in margins]
    if unknown:
        raise SpecError(f"variables {unknown} have no margin in the targets; they have {sorted(margins)}")
    return {name: margins[name] for name in step.variables} if step.variables else margins


def _counts(margins: Mapping[str, Mapping[Any, float]], total: float | None, design: Design) -> dict[str, Any]:
    """Margins as counts: shares times ``total`` (else a count margin's sum, else the weight total)."""
    counts, _ = parse_margins(margins, total, float(design.weight_values.sum()))
    return counts


def _cell_totals(step: WeightingStep, targets: StepTargets, design: Design) -> dict[Any, float]:
    """Poststratification totals keyed by level (one cell variable) or by a tuple of levels."""
    key = "|".join(step.cells)
    if key not in targets:
        raise SpecError(f"poststratify on {list(step.cells)} needs targets for {key!r}; the targets "
                        f"have {sorted(targets)}")
    table = targets[key]
    if not isinstance(table, Mapping):
        raise SpecError(f"targets for {key!r} must be a table of level = count lines, got {table!r}")
    if len(step.cells) > 1:
        table = {tuple(normalize_code(p) for p in str(level).split("|")): value for level, value in table.items()}
        bad = [k for k in table if len(k) != len(step.cells)]
        if bad:
            raise SpecError(f"targets for {key!r}: level {'|'.join(map(str, bad[0]))!r} does not give "
                            f"{len(step.cells)} levels joined by '|'")
    return _counts({key: table}, step.options.get("total"), design)[key]


def _weigh(design: Design, step: WeightingStep) -> Design:
    """One step through the design's own method."""
    targets = step_margins(step)
    if step.method == "rake":
        return design.rake(targets, **step.options)
    if step.method == "calibrate":
        categorical = {k: v for k, v in targets.items() if isinstance(v, Mapping)}
        counts = _counts(categorical, step.options.get("total"), design) if categorical else {}
        calibration: dict[str, Any] = {k: counts.get(k, v) for k, v in targets.items()}
        return design.calibrate(calibration, **step.options)
    if step.method == "poststratify":
        cells: str | list[str] = step.cells[0] if len(step.cells) == 1 else list(step.cells)
        return design.poststratify(cells, _cell_totals(step, targets, design))
    if step.method == "trim":
        return design.trim(**step.options)
    raise SpecError(f"unknown weighting method {step.method!r}; use rake, calibrate, poststratify or trim")


def apply_weighting(design: Design, steps: Sequence[WeightingStep], *, where: str,
                    on_step: StepCallback | None = None) -> Design:
    """Run weighting steps in order, each on the design the previous one returned.

    Parameters
    ----------
    design : Design
        The design before weighting.
    steps : sequence of WeightingStep
        The ordered steps (``rake``, ``calibrate``, ``poststratify``, ``trim``).
    where : str
        Where the steps were given, put before error messages (e.g. ``"study.toml: [waves.api]"``).
    on_step : callable, optional
        Called as ``on_step(number, step, new_design)`` after each step (number from 1).

    Returns
    -------
    Design
        The weighted design; its ``report`` describes the last step.

    Raises
    ------
    SpecError
        If a step's targets cannot be read or do not fit the step.
    WeightingError
        If a step's targets are invalid.
    ConvergenceError
        If a step misses its targets (a :class:`~citizensfirst.errors.CheckError`).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> step = SimpleNamespace(method="rake", targets=None, file=None, variables=(), cells=(),
    ...                        margins={"g": {"a": 30, "b": 10}}, options={"tol": 1e-10})
    >>> d = Design(pd.DataFrame({"g": list("aabb")}))
    >>> apply_weighting(d, [step], where="spec: [weighting]").weights.tolist()
    [15.0, 15.0, 5.0, 5.0]
    """
    for number, step in enumerate(steps, start=1):
        try:
            design = _weigh(design, step)
        except (SpecError, WeightingError, DesignError, DataError) as err:
            raise type(err)(f"{where} weighting step {number} ({step.method}): {err}") from None
        if on_step is not None:
            on_step(number, step, design)
    return design


def step_record(step: WeightingStep, design: Design, targets: str | None) -> dict[str, Any]:
    """What numbers.json records of one weighting step: method, targets, error, summary, margins.

    Parameters
    ----------
    step : WeightingStep
        The step.
    design : Design
        The design the step returned (its ``report`` describes the step).
    targets : str or None
        Where the targets came from, as recorded (a shipped set, a file, ``"inline"``; None for trim).

    Returns
    -------
    dict
        ``method``, ``targets``, ``max_relative_error`` (of the achieved margins, 0 without
        margins), ``summary`` (the report's diagnostics) and ``margins`` (target and achieved, as
        records).
    """
    report = design.report
    margins = report.margins
    return {"method": step.method, "targets": targets, "max_relative_error": report.max_relative_error,
            "summary": json.loads(report.summary().to_json()),
            "margins": [] if margins is None else json.loads(margins.to_json(orient="records", double_precision=15))}


def estimate_frame(design: Design, spec: EstimateSpec) -> pd.DataFrame:
    """The table of one ``[[estimates]]`` entry: estimate, se, ci, deff, cv, n, df and flag per row.

    Parameters
    ----------
    design : Design
        The (weighted) design of the entry's wave.
    spec : EstimateSpec
        The entry: ``stat`` (mean, total, proportion, quantile, ratio), variables, by, quantiles,
        denominator.

    Returns
    -------
    pandas.DataFrame
        The Estimate's ``to_frame()`` (quantiles of several variables one after another).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> d = Design(pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "g": list("aabb")}))
    >>> entry = SimpleNamespace(stat="mean", variables=("y",), by=("g",), quantiles=(), denominator=None)
    >>> estimate_frame(d, entry)[["g", "estimate"]].to_dict("records")
    [{'g': 'a', 'estimate': 1.5}, {'g': 'b', 'estimate': 3.5}]
    """
    by = list(spec.by) or None
    variables = list(spec.variables)
    if spec.stat == "quantile":
        return pd.concat([design.quantile(v, list(spec.quantiles), by=by).to_frame() for v in variables],
                         ignore_index=True)
    if spec.stat == "ratio":
        if spec.denominator is None:
            raise SpecError("stat = 'ratio' needs a denominator")
        return design.ratio(variables, spec.denominator, by=by).to_frame()
    estimators: dict[str, Callable[..., Any]] = {"mean": design.mean, "total": design.total, "proportion": design.proportion}
    if spec.stat not in estimators:
        raise SpecError(f"unknown stat {spec.stat!r}; use mean, total, proportion, quantile or ratio")
    return estimators[spec.stat](variables, by=by).to_frame()
