"""Helpers shared by the command modules: the input file, design and language options, read
from the library's registries (file formats, lonely-PSU rules, languages)."""

from __future__ import annotations

import argparse
from typing import Any

from .. import i18n
from ..design import variance
from ..design.facade import Design
from ..errors import CitizensFirstError, DataError
from ..io import formats
from ..io.readers import read_survey


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


def add_file_argument(parser: argparse.ArgumentParser, **options: Any) -> None:
    """The input survey file, its help listing every format :mod:`citizensfirst.io` reads.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    **options
        Passed on to :meth:`argparse.ArgumentParser.add_argument` (e.g. ``nargs="?"``).
    """
    parser.add_argument("file", help=f"survey file ({format_list(formats.READ_FORMATS)})", **options)


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
    """The options that describe a file's sampling design (shared by several commands).

    ``--lonely-psu`` offers the rules of :data:`citizensfirst.design.variance.LONELY_PSU_RULES`;
    ``lonely_psu`` is the command's default.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    weights_help : str or None, optional
        The help text of ``--weights``; None for the generic one.
    lonely_psu : str, default "fail"
        The command's default rule for ``--lonely-psu``.
    """
    parser.add_argument("--weights", default=None, help=weights_help or "weight column (default: equal weights)")
    parser.add_argument("--strata", default=None, help="strata column")
    parser.add_argument("--psu", default=None, help="PSU (cluster) column")
    parser.add_argument("--nest", action="store_true", help="PSU ids are unique only within strata")
    parser.add_argument("--lonely-psu", dest="lonely_psu", default=lonely_psu, choices=variance.LONELY_PSU_RULES,
                        help=f"variance rule for a stratum with one PSU (default: {lonely_psu})")


def survey_and_design(args: argparse.Namespace) -> tuple[Any, Any]:
    """Read ``args.file`` and build its design from the :func:`add_design_arguments` options.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line, with ``file`` and the design options.

    Returns
    -------
    tuple of (Survey, Design)
        The survey read from the file and its design.
    """
    survey = read_survey(args.file)
    return survey, Design(survey, weights=args.weights, strata=args.strata, psu=args.psu,
                          nest=args.nest, lonely_psu=args.lonely_psu)


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
