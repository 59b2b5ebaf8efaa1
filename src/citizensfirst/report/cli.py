"""``citizensfirst report`` and ``citizensfirst reproduce``.

    citizensfirst report study.toml --out report/     # or --sample for the bundled study
    citizensfirst reproduce report/                   # exit 0 identical, 1 different

``reproduce`` first checks that every input file still has the SHA-256 recorded in the
manifest (naming any that changed), then re-runs the spec into a temporary folder and lists
every number (``numbers.json``) and output file that differs.

>>> from citizensfirst.cli import main
>>> main(["reproduce", "no-such-folder"])
2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..cli import command
from ..errors import SpecError
from ..fileutil import sha256_file
from .manifest import compare_numbers
from .pipeline import run_report, sample_spec_path
from .spec import StudySpec

# xlsx files embed their save time (zip entries, document properties): compare their cells
CONTENT_COMPARED = (".xlsx",)


def _xlsx_cells(path: Path) -> list[tuple[str, str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    cells = [(sheet.title, cell.coordinate, cell.value)
             for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    workbook.close()
    return cells


def _run_report(args: argparse.Namespace) -> int:
    if args.sample == bool(args.spec):
        raise SpecError("give a study spec file or --sample (not both)")
    spec = StudySpec.from_toml(sample_spec_path() if args.sample else args.spec)
    run_report(spec, args.out)
    return 0


def reproduce(folder: str | Path) -> list[str]:
    """Re-create ``folder`` from its manifest; return the differences (empty: identical)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        raise SpecError(f"{folder} has no manifest.json: not a citizensfirst output folder")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    differences = []
    for record in manifest["inputs"]:
        path = Path(record["path"])
        if not path.exists():
            differences.append(f"input {path} is missing")
        elif sha256_file(path) != record["sha256"]:
            differences.append(f"input {path} changed (sha256 {record['sha256'][:12]}... recorded, "
                               f"{sha256_file(path)[:12]}... now)")
    if differences:
        return differences
    spec_path = manifest["spec"]["path"]
    if spec_path is None:
        raise SpecError(f"{manifest_path} does not record the spec file")
    spec = StudySpec.from_toml(spec_path)
    scratch = Path(tempfile.mkdtemp(prefix="citizensfirst-reproduce-"))
    try:
        fresh = run_report(spec, scratch / "out", progress=lambda message: None)
        old_numbers = json.loads((folder / "numbers.json").read_text(encoding="utf-8"))
        new_numbers = json.loads((scratch / "out" / "numbers.json").read_text(encoding="utf-8"))
        differences += [f"number {d}" for d in compare_numbers(old_numbers, new_numbers)]
        old_files = {r["path"]: r["sha256"] for r in manifest["outputs"]}
        new_files = {r["path"]: r["sha256"] for r in fresh["outputs"]}
        for name in sorted(set(old_files) | set(new_files)):
            if name == "manifest.json":
                continue
            if name.endswith(CONTENT_COMPARED) and name in old_files and name in new_files:
                if _xlsx_cells(folder / name) != _xlsx_cells(scratch / "out" / name):
                    differences.append(f"file {name} differs (cell contents)")
                continue
            if old_files.get(name) != new_files.get(name):
                differences.append(f"file {name} differs" if name in old_files and name in new_files
                                   else f"file {name} is {'new' if name in new_files else 'gone'}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return differences


def _run_reproduce(args: argparse.Namespace) -> int:
    differences = reproduce(args.folder)
    if not differences:
        print(f"{args.folder}: reproduced exactly (every input, number and file identical)")
        return 0
    print(f"{args.folder}: {len(differences)} difference(s):", file=sys.stderr)
    for line in differences:
        print(f"  {line}", file=sys.stderr)
    return 1


@command
def register_report(subparsers: Any) -> None:
    """Add the ``report`` and ``reproduce`` subcommands."""
    parser = subparsers.add_parser("report", help="run a study spec: tables, charts, report, manifest")
    parser.add_argument("spec", nargs="?", help="study spec TOML")
    parser.add_argument("--sample", action="store_true", help="run the bundled sample study")
    parser.add_argument("--out", required=True, help="output folder (replaced atomically)")
    parser.set_defaults(handler=_run_report)
    parser = subparsers.add_parser("reproduce", help="re-create an output folder and list differences")
    parser.add_argument("folder", help="a folder written by citizensfirst report")
    parser.set_defaults(handler=_run_reproduce)
