"""The ``citizensfirst`` command line.

The subcommands are listed in one explicit table, :data:`COMMANDS`: name -> a :class:`Command`
(the function that adds the command's options to its parser, the function that runs it, and
its one-line help). To add a command, write its two functions in a module of this package and
add one line to the table; nothing is found by import side effects or by name strings.

Every ``choices=`` of an option is read from the library's own registry (the driver methods
from :data:`citizensfirst.drivers.METHODS`, the table statistics and test adjustments from
:data:`citizensfirst.tables.STATS` and ``ADJUSTMENTS``, the lonely-PSU rules, the languages of
:data:`citizensfirst.i18n.LANGUAGES`, the chart types of :data:`citizensfirst.charts.CHART_TYPES`;
the file formats named in the help from :mod:`citizensfirst.io.formats`), so a method added to the library is offered here.

Every :class:`~citizensfirst.errors.CitizensFirstError` is printed as
``citizensfirst: error: MESSAGE`` on stderr and :func:`main` returns its ``exit_code``
(2 for bad input, 1 for a check that failed); no traceback.

>>> list(COMMANDS)
['describe', 'weight', 'drivers', 'tables', 'report', 'reproduce', 'validate', 'init']
>>> main(["describe", "no-such-file.sav"])
2
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .. import __version__
from ..errors import CitizensFirstError
from .describe import describe_arguments, describe_command
from .drivers import drivers_arguments, drivers_command
from .init import init_arguments, init_command
from .report import report_arguments, report_command, reproduce_arguments, reproduce_command
from .tables import tables_arguments, tables_command
from .validate import validate_arguments, validate_command
from .weight import weight_arguments, weight_command


@dataclass(frozen=True)
class Command:
    """One subcommand: how to add its options, how to run it, and its one-line help.

    Parameters
    ----------
    arguments : callable
        Adds the command's arguments and options to its (already created) parser.
    run : callable
        Runs the command on the parsed arguments; returns the exit code.
    help : str
        The line shown by ``citizensfirst --help``.
    description : str, optional
        The paragraph shown by ``citizensfirst COMMAND --help`` (default: ``help``).
    """

    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    help: str
    description: str | None = None


#: The subcommands, in the order ``--help`` lists them.
COMMANDS: Mapping[str, Command] = {
    "describe": Command(
        describe_arguments, describe_command,
        "list the variables of a survey file with labels, value labels and missing codes",
        "Describe a survey file: each variable's label, value labels, missing codes "
        "and how many cells hold each, plus the file's size and SHA-256."),
    "weight": Command(weight_arguments, weight_command, "rake a survey file to population targets"),
    "drivers": Command(drivers_arguments, drivers_command, "relative importance of service drivers"),
    "tables": Command(tables_arguments, tables_command, "weighted crosstabs with significance letters"),
    "report": Command(report_arguments, report_command,
                      "run a study spec: tables, charts, report, manifest"),
    "reproduce": Command(reproduce_arguments, reproduce_command,
                         "re-create an output folder and list differences"),
    "validate": Command(validate_arguments, validate_command,
                        "check a study spec (schema, files, designs, variables) without running it"),
    "init": Command(init_arguments, init_command, "write a commented starter study spec for a data file"),
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand of :data:`COMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
        The ``citizensfirst`` parser; each subcommand sets ``handler`` (its ``run``).

    Examples
    --------
    >>> build_parser().parse_args(["tables", "f.sav", "--rows", "q", "--cols", "g",
    ...                            "--out", "t.xlsx"]).stat
    'percent'
    """
    parser = argparse.ArgumentParser(
        prog="citizensfirst",
        description="Analyse public-service satisfaction surveys (Citizens First, Business First, CMT).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.description or command.help)
        command.arguments(sub)
        sub.set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 success, 1 failed check, 2 bad input).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``citizensfirst`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 done, 1 a check failed, 2 bad input or a refused output, 130 interrupted, 141 the output
        pipe was closed (e.g. by ``head``).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except CitizensFirstError as err:
        print(f"citizensfirst: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("citizensfirst: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # stdout piped into a command that stopped reading (| head): no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
