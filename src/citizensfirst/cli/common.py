"""Helpers shared by the command modules: the design options and the survey + design they give."""

from __future__ import annotations

import argparse
from typing import Any

from ..design.facade import Design
from ..errors import CitizensFirstError, DataError
from ..io.readers import read_survey


def add_design_arguments(parser: argparse.ArgumentParser, *, weights_help: str | None = None) -> None:
    """The options that describe a file's sampling design (shared by several commands)."""
    parser.add_argument("--weights", default=None, help=weights_help or "weight column (default: equal weights)")
    parser.add_argument("--strata", default=None, help="strata column")
    parser.add_argument("--psu", default=None, help="PSU (cluster) column")
    parser.add_argument("--nest", action="store_true", help="PSU ids are unique only within strata")


def survey_and_design(args: argparse.Namespace, **options: Any) -> tuple[Any, Any]:
    """Read ``args.file`` and build its design from the :func:`add_design_arguments` options."""
    survey = read_survey(args.file)
    return survey, Design(survey, weights=args.weights, strata=args.strata, psu=args.psu,
                          nest=args.nest, **options)


def usage_error(message: str) -> CitizensFirstError:
    """A bad-input error (exit code 2) for a command line that cannot be run as given."""
    return DataError(message)
