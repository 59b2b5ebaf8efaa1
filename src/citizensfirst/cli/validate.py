"""``citizensfirst validate``: check a study spec without running it.

    citizensfirst validate study.toml              # the schema, the files, the columns
    citizensfirst validate study.toml --schema-only

checks the spec against the one schema (types, ranges, unknown keys; see
:mod:`citizensfirst.report.spec`), then, unless ``--schema-only``, reads every wave's file and
builds its design and runs its weighting steps exactly as ``citizensfirst report`` would (design
columns present, weights valid, every step's targets readable, naming columns and levels of the
wave and met), checks the harmonisation file (if any) and that every variable named by the
tables, the driver analysis, the charts and the estimates is in its wave's data. Nothing is
written. Exit codes: 0 the spec is valid, 1 a weighting step misses its targets, 2 the spec is not valid
(the message names the file and the key).

>>> from citizensfirst.cli import main
>>> main(["validate", "no-such-spec.toml"])
2
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from ..design.setup import check_columns
from ..errors import DataError, SpecError
from ..report.designs import apply_weighting, design_from_wave, read_wave
from ..report.spec import StudySpec
from ..waves.spec import HarmonizationSpec


def spec_variables(spec: StudySpec) -> dict[str, set[str]]:
    """The variables each wave must hold for the spec's tables, drivers, charts and estimates.

    Parameters
    ----------
    spec : StudySpec
        A validated spec.

    Returns
    -------
    dict of str to set of str
        Wave name to the variables named for it (trends are checked through the harmonisation).
    """
    named: list[tuple[str | None, Iterable[str | None]]] = []
    for table in spec.tables:
        rows = (table.rows,) if isinstance(table.rows, str) else table.rows
        named.append((table.wave, [*rows, *table.cols, table.value]))
    if spec.drivers is not None:
        named.append((spec.drivers.wave, [*spec.drivers.outcome, *spec.drivers.drivers]))
    charts = spec.charts
    named.append((None, [*charts.distribution, charts.channel_used, charts.channel_preferred]))
    named += [(e.wave, [*e.variables, *e.by, e.denominator]) for e in spec.estimates]
    needed: dict[str, set[str]] = {wave.name: set() for wave in spec.waves}
    for wave, names in named:
        needed[spec.wave(wave).name].update(n for n in names if n)
    return needed


def _check_trends(spec: StudySpec) -> None:
    """Read the harmonisation file; every trend must name one of its variables."""
    where = spec.source or "spec"
    if spec.harmonization is None:
        if spec.trends:
            raise SpecError(f"{where}: [[trends]] need a [harmonization] file (common names across waves)")
        return
    harmonization = HarmonizationSpec.from_toml(spec.harmonization)
    for number, trend in enumerate(spec.trends, start=1):
        if trend.variable not in harmonization:
            raise SpecError(f"{where}: [[trends]] #{number} .variable = {trend.variable!r} is not a variable of "
                            f"{spec.harmonization.name}; its variables: {', '.join(sorted(harmonization.variables))}")


def validate_spec(spec: StudySpec) -> list[str]:
    """Read every wave, build its design and weight it; check the variables the spec names.

    Parameters
    ----------
    spec : StudySpec
        A spec that passed the schema.

    Returns
    -------
    list of str
        One line per wave saying what was checked.

    Raises
    ------
    SpecError
        At the first problem, naming the spec file, the wave and the key.
    """
    needed = spec_variables(spec)
    _check_trends(spec)
    lines = []
    for wave in spec.waves:
        survey = read_wave(wave, spec.source)
        design = design_from_wave(wave, survey, source=spec.source)
        weighted = apply_weighting(design, wave.weighting, where=f"{spec.source or 'spec'}: [waves.{wave.name}]")
        try:
            check_columns(survey.data, sorted(needed[wave.name]), "spec", str(spec.source or "spec"))
        except DataError as err:
            raise SpecError(f"{err} (in [waves.{wave.name}])") from None
        steps = ", ".join(step.method for step in wave.weighting) or "no weighting"
        lines.append(f"  [waves.{wave.name}] {wave.file.name}: {len(survey.data)} rows, "
                     f"weights sum to {weighted.weights.sum():,.0f}; {steps}")
    return lines


def validate_command(args: argparse.Namespace) -> int:
    """Validate ``args.spec``; print what was checked.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 when the spec is valid.
    """
    spec = StudySpec.from_toml(args.spec)
    if args.schema_only:
        print(f"{args.spec}: valid ({len(spec.waves)} wave(s); files not read)")
        return 0
    lines = validate_spec(spec)
    print(f"{args.spec}: valid ({len(spec.waves)} wave(s), every file read, every design built and weighted)")
    for line in lines:
        print(line)
    return 0


def validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``validate`` arguments.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    parser.add_argument("spec", help="study spec TOML")
    parser.add_argument("--schema-only", action="store_true", dest="schema_only",
                        help="check the spec's keys and types only; do not read the data files")
