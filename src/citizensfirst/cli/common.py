"""Helpers shared by the command modules: the input file, design and language options, read
from the library's registries (file formats, lonely-PSU rules, replicate types, languages); the
design options are a spec's wave table, validated by the same schema."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .. import i18n
from ..design import setup as design_setup
from ..design import variance
from ..design.facade import Design
from ..errors import CitizensFirstError, DataError, SpecError
from ..io import formats
from ..io.formats import sidecar_path
from ..io.survey import Survey
from ..report.designs import apply_weighting, design_from_wave, read_wave
from ..report.spec import StudySpec, WaveSpec, parse_wave


def format_list(suffixes: Any) -> str:
    """The file suffixes of a format registry as shown in help texts.

    Parameters
    ----------
    suffixes : iterable of str
        The suffixes (a registry mapping suffix to format iterates over its suffixes).

    Returns
    -------
    str
        The suffixes joined by spaces.

    Examples
    --------
    >>> format_list({".sav": "SPSS", ".csv": "CSV"})
    '.sav .csv'
    """
    return " ".join(suffixes)


def add_file_argument(parser: argparse.ArgumentParser, *, with_spec: bool = False, **options: Any) -> None:
    """The input survey file, its help listing every format :mod:`citizensfirst.io` reads.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    with_spec : bool, default False
        Whether the command takes ``--spec`` (then the file is optional: the spec names it).
    **options
        Passed on to :meth:`argparse.ArgumentParser.add_argument` (e.g. ``nargs="?"``).
    """
    help_text = f"survey file ({format_list(formats.READ_FORMATS)})"
    if with_spec:
        options.setdefault("nargs", "?")
        help_text += "; omit it with --spec"
    parser.add_argument("file", help=help_text, **options)


def add_language_argument(parser: argparse.ArgumentParser, *, default: Any, many: bool = True,
                          help_text: str = "language(s) of the output") -> None:
    """``--lang``: the language(s) of the output, one of :data:`citizensfirst.i18n.LANGUAGES`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    default : Any
        The option's default (a language, or a list of them when ``many``).
    many : bool, default True
        Whether several languages may be given.
    help_text : str, default "language(s) of the output"
        The option's help text.
    """
    parser.add_argument("--lang", nargs="+" if many else None, default=default, choices=i18n.LANGUAGES,
                        help=help_text)


def add_design_arguments(parser: argparse.ArgumentParser, *, weights_help: str | None = None,
                         lonely_psu: str = "fail") -> None:
    """The options that describe a file's sampling design: the keys of a spec's wave table.

    Each option is the wave key of the same name (``--lonely-psu`` is ``lonely_psu``,
    ``--replicate-weights`` is ``replicates.columns``...), and the options are validated by the
    study spec's own schema (:func:`citizensfirst.report.spec.parse_wave`), so the command line
    expresses every design a spec can: weights or probabilities, strata, PSUs and fpc per stage,
    ``nest``, replicate weights and the lonely-PSU rule. ``--spec FILE --wave NAME`` takes the
    whole design, and the wave's weighting steps, from a spec instead. ``--lonely-psu`` offers the
    rules of :data:`citizensfirst.design.variance.LONELY_PSU_RULES`; ``lonely_psu`` is the
    command's default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    weights_help : str or None, optional
        The help text of ``--weights``; None for the generic one.
    lonely_psu : str, default "fail"
        The command's default rule for ``--lonely-psu``.
    """
    group = parser.add_argument_group("design (the keys of a spec's [waves.NAME] table)")
    group.add_argument("--spec", default=None, help="take the file, design and weighting from this study spec")
    group.add_argument("--wave", default=None, help="the spec's wave (default: its latest)")
    group.add_argument("--weights", default=None, help=weights_help or "weight column (default: equal weights)")
    group.add_argument("--probs", default=None, help="selection-probability column (instead of --weights)")
    group.add_argument("--strata", nargs="+", default=None, metavar="COLUMN", help="strata column (one per stage)")
    group.add_argument("--psu", nargs="+", default=None, metavar="COLUMN",
                       help="cluster column of each stage: PSU, then SSU...")
    group.add_argument("--fpc", nargs="+", default=None, metavar="COLUMN_OR_NUMBER",
                       help="finite population correction of each stage: a column or a number "
                            "(population count, or sampling fraction <= 1)")
    group.add_argument("--nest", action="store_true", help="PSU ids are unique only within strata")
    group.add_argument("--lonely-psu", dest="lonely_psu", default=lonely_psu, choices=variance.LONELY_PSU_RULES,
                       help=f"variance rule for a stratum with one PSU (default: {lonely_psu})")
    group.add_argument("--replicate-weights", dest="replicate_weights", nargs="+", default=None,
                       metavar="COLUMN", help="replicate weight columns")
    group.add_argument("--replicate-pattern", dest="replicate_pattern", default=None, metavar="REGEX",
                       help="replicate weight columns: every column the regular expression matches in full")
    group.add_argument("--replicate-type", dest="replicate_type", default=None, choices=design_setup.REPLICATE_METHODS,
                       help="replicate method of the supplied replicate weights")
    group.add_argument("--scale", type=float, default=None, help="replicate variance scale")
    group.add_argument("--rscales", type=float, nargs="+", default=None, help="replicate scales, one per column")
    group.add_argument("--rho", type=float, default=None, help="Fay's rho")
    group.add_argument("--mse", action="store_true", help="replicate variance around the full-sample estimate")
    group.add_argument("--multipliers", action="store_true",
                       help="replicate columns are multipliers of the weight, not final weights")


def _number_or_column(value: str) -> str | float:
    """An ``--fpc`` value: a number when it reads as one, else a column name."""
    try:
        return float(value)
    except ValueError:
        return value


CLI_WAVE = "cli"
"""The name of the wave the design options describe (it never appears in messages)."""

OPTIONS: dict[str, str] = {
    "file": "the file argument", "weights": "--weights", "probs": "--probs", "strata": "--strata",
    "psu": "--psu", "fpc": "--fpc", "nest": "--nest", "lonely_psu": "--lonely-psu",
    "replicates.columns": "--replicate-weights", "replicates.pattern": "--replicate-pattern",
    "replicates.type": "--replicate-type", "replicates.scale": "--scale", "replicates.rscales": "--rscales",
    "replicates.rho": "--rho", "replicates.mse": "--mse", "replicates.combined": "--multipliers",
    "replicates": "the replicate options",
}
"""Wave-table key -> the command-line option that sets it."""


def option_names(message: str) -> str:
    """A wave-table error rewritten for the command line: ``[waves.cli].fpc`` becomes ``--fpc``.

    Parameters
    ----------
    message : str
        The schema's or the design's message about the options' wave table.

    Returns
    -------
    str
        The message naming options instead of wave keys.

    Examples
    --------
    >>> option_names("command line: [waves.cli].fpc: column 'x' is not in a.csv")
    "command line: --fpc: column 'x' is not in a.csv"
    >>> option_names("command line: [waves.cli.replicates].pattern: 'z' matches no column")
    "command line: --replicate-pattern: 'z' matches no column"
    >>> option_names("command line: [waves.cli]: give weights or probs, not both")
    'command line: the design options: give weights or probs, not both'
    """
    return re.sub(rf"\[waves\.{CLI_WAVE}(?:\.(replicates))?\](?:\.([a-z_]+))?", _option_name, message)


def _option_name(match: re.Match[str]) -> str:
    """The option for one ``[waves.cli(.replicates)](.key)`` match of :func:`option_names`."""
    key = ".".join(filter(None, (match.group(1), match.group(2))))
    if not key:
        return "the design options"
    return OPTIONS.get(key, OPTIONS.get(match.group(2) or "", match.group(0)))


def wave_table(args: argparse.Namespace) -> dict[str, Any]:
    """The spec wave table (``[waves.NAME]``) that the design options describe.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line, with ``file`` and the :func:`add_design_arguments` options.

    Returns
    -------
    dict
        The wave table, holding only the keys given (the schema supplies the defaults).

    Examples
    --------
    >>> args = build_test_args(file="api.csv", psu=["dnum", "snum"], fpc=["fpc1", "40"])
    >>> wave_table(args)
    {'file': 'api.csv', 'psu': ['dnum', 'snum'], 'fpc': ['fpc1', 40.0], 'lonely_psu': 'fail'}
    """
    table: dict[str, Any] = {"file": args.file}
    for key in ("weights", "probs", "strata", "psu"):
        if getattr(args, key) is not None:
            table[key] = getattr(args, key)
    if args.fpc is not None:
        table["fpc"] = [_number_or_column(v) for v in args.fpc]
    if args.nest:
        table["nest"] = True
    table["lonely_psu"] = args.lonely_psu
    replicates: dict[str, Any] = {}
    for option, key in (("replicate_weights", "columns"), ("replicate_pattern", "pattern"),
                        ("replicate_type", "type"), ("scale", "scale"), ("rscales", "rscales"), ("rho", "rho")):
        if getattr(args, option) is not None:
            replicates[key] = getattr(args, option)
    if args.mse:
        replicates["mse"] = True
    if args.multipliers:
        replicates["combined"] = False
    if replicates:
        table["replicates"] = replicates
    return table


def build_test_args(**given: Any) -> argparse.Namespace:
    """The parsed design options with every default, updated with ``given`` (for examples and tests).

    Parameters
    ----------
    **given
        Options to set (``file=``, ``psu=``...).

    Returns
    -------
    argparse.Namespace
        What ``parse_args`` gives for the design options.
    """
    parser = argparse.ArgumentParser()
    add_design_arguments(parser)
    args = parser.parse_args([])
    args.file = None
    for key, value in given.items():
        setattr(args, key, value)
    return args


def _design_options_given(args: argparse.Namespace) -> list[str]:
    """The design options given on the command line besides ``--spec`` / ``--wave``."""
    defaults = build_test_args()
    return [f"--{key.replace('_', '-')}" for key in vars(defaults)
            if key not in ("spec", "wave", "file", "lonely_psu") and getattr(args, key, None) != getattr(defaults, key)]


def command_wave(args: argparse.Namespace) -> tuple[WaveSpec, list[Path]]:
    """The wave a command works on, from ``--spec``/``--wave`` or the design options, and its inputs.

    With ``--spec``, the wave's file, design and weighting steps are used exactly as
    ``citizensfirst report`` uses them (no file argument or other design option may be given);
    otherwise the options are validated as a wave table by the spec's schema.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line, with ``file`` and the design options.

    Returns
    -------
    tuple of (WaveSpec, list of Path)
        The wave, and every file the command reads (spec, data file, codebook sidecar, targets
        files), which no output may replace.

    Raises
    ------
    SpecError
        If ``--spec`` is combined with a file or design options, if neither a file nor
        ``--spec`` is given, or if the options are not a valid design.
    """
    if args.spec is not None:
        given = _design_options_given(args)
        if args.file is not None or given:
            raise SpecError(f"--spec {args.spec} gives the file and the design; do not also give "
                            f"{' '.join(given) or 'a file'}")
        wave = StudySpec.from_toml(args.spec).wave(args.wave)
        targets = [step.file for step in wave.weighting if step.file is not None]
        return wave, [Path(args.spec), wave.file, sidecar_path(wave.file), *targets]
    if args.wave is not None:
        raise SpecError("--wave needs --spec (the study spec that names the wave)")
    if args.file is None:
        raise SpecError("give a survey file, or --spec FILE [--wave NAME]")
    try:
        wave = parse_wave(CLI_WAVE, wave_table(args), source="command line")
    except SpecError as err:
        raise SpecError(option_names(str(err))) from None
    return wave, [wave.file, sidecar_path(wave.file)]


def survey_and_design(wave: WaveSpec, source: str | Path | None = None) -> tuple[Survey, Design]:
    """Read a wave's file, build its design and apply its weighting steps (as the report does).

    Parameters
    ----------
    wave : WaveSpec
        The wave (from :func:`command_wave`).
    source : str or Path, optional
        The spec the wave comes from, named in error messages (None: the command line).

    Returns
    -------
    tuple of (Survey, Design)
        The survey read from the file and its (weighted) design.
    """
    survey = read_wave(wave, source)
    try:
        design = design_from_wave(wave, survey, source=source or "command line")
    except SpecError as err:
        raise SpecError(str(err) if source else option_names(str(err))) from None
    where = f"{source}: [waves.{wave.name}]" if source else f"[waves.{wave.name}]"
    return survey, apply_weighting(design, wave.weighting, where=where)


def usage_error(message: str) -> CitizensFirstError:
    """A bad-input error (exit code 2) for a command line that cannot be run as given.

    Parameters
    ----------
    message : str
        What is wrong and what to do.

    Returns
    -------
    CitizensFirstError
        The error (a :class:`~citizensfirst.errors.DataError`), for the caller to raise.
    """
    return DataError(message)
