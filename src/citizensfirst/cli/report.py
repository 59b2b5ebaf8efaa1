"""``citizensfirst report`` and ``citizensfirst reproduce``.

    citizensfirst report study.toml --out report/     # or --sample for the bundled study
    citizensfirst reproduce report/                   # exit 0 identical, 1 different, 2 unreadable

``report --out`` replaces only a folder that is absent, empty or an earlier report whose manifest
lists every file in it, and never one that holds an input of the run (exit 2 otherwise, nothing
touched). ``reproduce`` reads the manifest (exit 2 if it is missing or corrupt), then

1. hashes every file in the folder against the manifest and lists the edited, missing and extra ones;
2. checks that every input file still has its recorded SHA-256 (paths are relative to the spec's
   folder, so a moved project still reproduces);
3. re-runs the spec into a temporary folder and lists every number (``numbers.json``) and output
   file that differs from the fresh run (``.xlsx`` files by their cell contents).

It prints its progress on stderr and exits 0 when everything is identical, 1 otherwise.

>>> from citizensfirst.cli import main
>>> main(["reproduce", "no-such-folder"])
2
"""

from __future__ import annotations

import argparse
import sys

from ..errors import SpecError
from ..report.pipeline import print_progress, run_report, sample_spec_path
from ..report.reproduce import reproduce
from ..report.spec import StudySpec


def report_command(args: argparse.Namespace) -> int:
    """Run a study spec (or the bundled sample study) into ``args.out``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 on success.

    Raises
    ------
    SpecError
        If both or neither of a spec file and ``--sample`` are given.
    """
    if args.sample == bool(args.spec):
        raise SpecError("give a study spec file or --sample (not both)")
    spec = StudySpec.from_toml(sample_spec_path() if args.sample else args.spec)
    run_report(spec, args.out)
    return 0


def reproduce_command(args: argparse.Namespace) -> int:
    """Check an output folder against its manifest and a fresh run; 0 identical, 1 different.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 when the folder is reproduced exactly, 1 when anything differs.
    """
    differences = reproduce(args.folder, spec=args.spec, progress=print_progress)
    if not differences:
        print(f"{args.folder}: reproduced exactly (every file, input and number identical)")
        return 0
    print(f"{args.folder}: {len(differences)} difference(s):", file=sys.stderr)
    for line in differences:
        print(f"  {line}", file=sys.stderr)
    return 1


def report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``report`` arguments.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    parser.add_argument("spec", nargs="?", help="study spec TOML")
    parser.add_argument("--sample", action="store_true", help="run the bundled sample study")
    parser.add_argument("--out", required=True,
                        help="output folder: new, empty, or an earlier report (replaced atomically)")


def reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``reproduce`` arguments.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    parser.add_argument("folder", help="a folder written by citizensfirst report")
    parser.add_argument("--spec", default=None,
                        help="the study spec, when it is no longer where the manifest says")
