"""The ``citizensfirst`` command line.

The commands are listed in one explicit table, :data:`COMMANDS`: name -> the function that adds
its parser to the subparsers and sets ``handler`` (a function ``(args) -> int``). To add a
command, write a module in this package with a ``register_<name>(subparsers)`` function and add
one line to the table.

Every :class:`~citizensfirst.errors.CitizensFirstError` is printed as
``citizensfirst: error: MESSAGE`` on stderr and :func:`main` returns its ``exit_code``
(2 for bad input, 1 for a check that failed); no traceback.

>>> main(["describe", "no-such-file.sav"])
2
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import __version__
from ..errors import CitizensFirstError
from .describe import register_describe
from .drivers import register_drivers
from .report import register_report
from .tables import register_tables
from .weight import register_weight

Registrar = Callable[[Any], None]

#: The subcommands, in the order ``--help`` lists them (``report`` also adds ``reproduce``).
COMMANDS: Mapping[str, Registrar] = {
    "describe": register_describe,
    "weight": register_weight,
    "drivers": register_drivers,
    "tables": register_tables,
    "report": register_report,
}


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every subcommand of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="citizensfirst",
        description="Analyse public-service satisfaction surveys (Citizens First, Business First, CMT).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in COMMANDS.values():
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 success, 1 failed check, 2 bad input)."""
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
