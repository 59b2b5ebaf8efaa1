"""Reproducing a report: rerun its spec and compare the fresh outputs with the recorded ones."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..fileutil import sha256_file
from ..outputs import MANIFEST, folder_files, read_manifest
from .manifest import compare_numbers
from .pipeline import Progress, run_report, sample_spec_path
from .spec import StudySpec

# xlsx files embed their save time (zip entries, document properties): compare their cells
CONTENT_COMPARED = (".xlsx",)


def _xlsx_cells(path: Path) -> list[tuple[str, str, Any]]:
    from openpyxl import load_workbook  # lazy: heavy library, imported on use for import time

    workbook = load_workbook(path, read_only=True)
    cells = [(sheet.title, cell.coordinate, cell.value)
             for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    workbook.close()
    return cells


def _quiet(message: str) -> None:
    """A progress callback that says nothing."""


def check_folder(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Hash every file of ``folder`` against ``manifest``: the edited, missing and extra files.

    Parameters
    ----------
    folder : Path
        The report folder.
    manifest : dict
        Its parsed manifest.

    Returns
    -------
    list of str
        One ``missing:``, ``edited:`` or ``extra:`` line per difference.
    """
    recorded = {record["path"]: record["sha256"] for record in manifest["outputs"]}
    present = set(folder_files(folder)) - {MANIFEST}
    differences = []
    for name in sorted(recorded):
        if name not in present:
            differences.append(f"missing: {name} (listed in the manifest, not in the folder)")
        elif not (folder / name).is_file() or sha256_file(folder / name) != recorded[name]:
            differences.append(f"edited: {name} (its SHA-256 differs from the manifest)")
    differences += [f"extra: {name} (in the folder, not in the manifest)" for name in sorted(present - set(recorded))]
    return differences


def check_inputs(manifest: dict[str, Any], spec_folder: Path) -> list[str]:
    """Check every recorded input (paths relative to the spec's folder) against its SHA-256.

    Parameters
    ----------
    manifest : dict
        The parsed manifest, with its ``inputs`` records.
    spec_folder : Path
        Folder of the study spec.

    Returns
    -------
    list of str
        One line per missing or changed input.
    """
    differences = []
    for record in manifest.get("inputs", []):
        path = spec_folder / record["path"]
        if not path.is_file():
            differences.append(f"input {record['path']} is missing (looked for {path})")
            continue
        now = sha256_file(path)
        if now != record["sha256"]:
            differences.append(f"input {record['path']} changed (sha256 {record['sha256'][:12]}... recorded, "
                               f"{now[:12]}... now)")
    return differences


def _spec_file(folder: Path, manifest: dict[str, Any], spec: str | Path | None) -> Path:
    """The spec to re-run: ``spec`` if given, else the bundled sample or the recorded path."""
    record = manifest.get("spec")
    if not isinstance(record, dict) or not isinstance(manifest.get("inputs"), list):
        raise OutputError(f"{folder / MANIFEST} records no study spec and inputs: it was not written by "
                          "citizensfirst report (reproduce re-creates report folders only)")
    if spec is not None:
        path = Path(spec)
    elif record.get("bundled_sample"):
        path = sample_spec_path()
    elif isinstance(record.get("path"), str):
        path = folder / record["path"]  # relative to the output folder (absolute in older manifests)
    else:
        raise OutputError(f"{folder / MANIFEST} does not record the spec file; give it with --spec")
    if not path.is_file():
        raise OutputError(f"the study spec {path} recorded in {folder / MANIFEST} does not exist; "
                          "give its new place with --spec")
    return path


def compare_fresh(folder: Path, fresh: Path, manifest: dict[str, Any], fresh_manifest: dict[str, Any]) -> list[str]:
    """Every number and output file in which the fresh run ``fresh`` differs from ``folder``.

    Parameters
    ----------
    folder : Path
        The report folder checked.
    fresh : Path
        The folder of the fresh run.
    manifest : dict
        Manifest of ``folder``.
    fresh_manifest : dict
        Manifest of ``fresh``.

    Returns
    -------
    list of str
        One line per differing number or file.
    """
    differences = []
    try:
        old_numbers = json.loads((folder / "numbers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old_numbers = None  # missing or edited: already listed by check_folder
    if old_numbers is not None:
        new_numbers = json.loads((fresh / "numbers.json").read_text(encoding="utf-8"))
        differences += [f"number {d}" for d in compare_numbers(old_numbers, new_numbers)]
    old_files = {r["path"]: r["sha256"] for r in manifest["outputs"]}
    new_files = {r["path"]: r["sha256"] for r in fresh_manifest["outputs"]}
    for name in sorted(set(old_files) | set(new_files)):
        if name not in new_files:
            differences.append(f"file {name} is not produced by a fresh run")
        elif name not in old_files:
            differences.append(f"file {name} is new in a fresh run")
        elif name.endswith(CONTENT_COMPARED):
            if (folder / name).is_file() and _xlsx_cells(folder / name) != _xlsx_cells(fresh / name):
                differences.append(f"file {name} differs from a fresh run (cell contents)")
        elif old_files[name] != new_files[name]:
            differences.append(f"file {name} differs from a fresh run")
    return differences


def reproduce(folder: str | Path, *, spec: str | Path | None = None,
              progress: Progress | None = None) -> list[str]:
    """Check ``folder`` against its manifest and a fresh run; return the differences (empty: identical).

    Parameters
    ----------
    folder : str or Path
        A folder written by :func:`~citizensfirst.report.pipeline.run_report`.
    spec : str or Path, optional
        The study spec to re-run, when it is no longer where the manifest says (a moved report).
    progress : callable, optional
        Called with a line of text at each step (the command prints them on stderr).

    Returns
    -------
    list of str
        One line per difference: ``edited:``, ``missing:`` and ``extra:`` files, changed inputs,
        numbers and files that differ from the fresh run. Changed inputs stop the check before the
        re-run.

    Raises
    ------
    OutputError
        The manifest is missing, unreadable or corrupt, or the spec cannot be found.
    """
    say = progress or _quiet
    folder = Path(folder)
    manifest = read_manifest(folder)
    spec_path = _spec_file(folder, manifest, spec)
    say(f"[1/4] hashing {len(folder_files(folder))} files of {folder} against the manifest")
    differences = check_folder(folder, manifest)
    say(f"[2/4] checking {len(manifest['inputs'])} input files")
    changed_inputs = check_inputs(manifest, spec_path.parent)
    if changed_inputs:
        return differences + changed_inputs
    say(f"[3/4] re-running {spec_path}")
    scratch = Path(tempfile.mkdtemp(prefix="citizensfirst-reproduce-"))
    try:
        fresh = run_report(StudySpec.from_toml(spec_path), scratch / "out",
                           progress=lambda message: say(f"      {message}"))
        say("[4/4] comparing numbers and files with the fresh run")
        differences += compare_fresh(folder, scratch / "out", manifest, fresh)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return differences
