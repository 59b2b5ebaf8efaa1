"""Safe output folders and files: which outputs a run may replace, and swapping them in whole.

A run must never delete or change a file it was not asked to write. The output rules live here,
once, for every command:

* :func:`check_replaceable_output` decides whether an output *folder* may be replaced: only when
  it is absent, empty, or an earlier citizensfirst output whose ``manifest.json`` lists every file
  in it; never a file, a symbolic link, the working folder or one of its parents, or a folder that
  contains an input of the run. Anything else is an :class:`~citizensfirst.errors.OutputError`.
* :func:`replace_folder` stages a new output folder beside the old one and swaps it in with
  renames, cleaning up (or reporting) what a killed run left behind.
* :func:`check_output_files` and :func:`replace_files` do the same for a set of output *files*
  (a weighted data file and its reports): none may be an input, and all change together or none.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import OutputError

MANIFEST = "manifest.json"
"""The file that marks a folder as a citizensfirst output and lists its files."""

MANIFEST_KEY = "citizensfirst_manifest"
"""The key (the manifest format version) that every citizensfirst manifest carries."""

STAGING_MARKER = ".citizensfirst-staging"
"""Written first into every staging folder, so that a killed run's leftover is recognised."""


class LeftoverWarning(UserWarning):
    """A folder left beside an output by an earlier run is not recognisably ours and stays in place."""


def _forms(path: str | Path) -> set[Path]:
    """A path as written (made absolute, ``..`` folded) and with every symbolic link resolved."""
    return {Path(os.path.abspath(path)), Path(path).resolve()}


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _show(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The parsed ``manifest.json`` of a citizensfirst output folder.

    Parameters
    ----------
    folder : str or Path
        The output folder.

    Returns
    -------
    dict
        The manifest.

    Raises
    ------
    OutputError
        When the manifest is missing, unreadable, not JSON, has no ``citizensfirst_manifest``
        key, or its ``outputs`` list is malformed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "manifest.json").write_text('{"citizensfirst_manifest": 2, "outputs": []}')
    >>> read_manifest(folder)["outputs"]
    []
    """
    path = Path(folder) / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OutputError(f"{folder} has no {MANIFEST}: it is not a citizensfirst output folder") from None
    except (OSError, UnicodeDecodeError) as err:
        raise OutputError(f"{path} cannot be read: {err}") from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as err:
        raise OutputError(f"{path} is not valid JSON ({err}): the folder cannot be checked; "
                          "re-run the report to write a new one") from None
    if not isinstance(manifest, dict) or MANIFEST_KEY not in manifest:
        raise OutputError(f"{path} is not a citizensfirst manifest (no {MANIFEST_KEY!r} key)")
    outputs = manifest.get("outputs")
    if not isinstance(outputs, list) or not all(
            isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("sha256"), str)
            for r in outputs):
        raise OutputError(f"{path} is corrupt: 'outputs' must be a list of records with a path and a sha256")
    return manifest


def folder_files(folder: str | Path) -> list[str]:
    """Every entry of ``folder`` that is not a folder (files, symbolic links), as sorted relative
    POSIX paths; symbolic links are listed, never followed.

    Parameters
    ----------
    folder : str or Path
        The folder to list.

    Returns
    -------
    list of str
        Sorted relative POSIX paths.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "charts").mkdir()
    >>> _ = (folder / "charts" / "a.png").write_bytes(b"")
    >>> folder_files(folder)
    ['charts/a.png']
    """
    root = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        entries = [*filenames, *(d for d in dirnames if (here / d).is_symlink())]
        found += [(here / name).relative_to(root).as_posix() for name in entries]
    return sorted(found)


def unlisted_files(folder: str | Path) -> list[str]:
    """The files of an output folder that its manifest does not list (the manifest itself aside).

    Parameters
    ----------
    folder : str or Path
        A citizensfirst output folder.

    Returns
    -------
    list of str
        Sorted relative POSIX paths.

    Raises
    ------
    OutputError
        If the folder's manifest is missing or invalid (see :func:`read_manifest`).
    """
    listed = {record["path"] for record in read_manifest(folder)["outputs"]} | {MANIFEST}
    return [name for name in folder_files(folder) if name not in listed]


def check_replaceable_output(out: str | Path, inputs: Iterable[str | Path] = ()) -> Path:
    """Return ``out`` (absolute, links resolved) if a run may replace that folder; refuse otherwise.

    A run may replace a folder only when it is absent, holds no file, or is an earlier
    citizensfirst output whose ``manifest.json`` lists every file in it. It refuses, with an
    :class:`~citizensfirst.errors.OutputError` and without touching anything, a file, a symbolic
    link, the working folder or one of its parents (``--out .``, ``--out ..``), a folder that is or
    contains one of ``inputs`` (spec, data, codebooks, targets, harmonisation), a folder of other
    files, and an earlier output to which files were added.

    Parameters
    ----------
    out : str or Path
        The output folder.
    inputs : iterable of str or Path, default ()
        The run's input files, which the folder must neither be nor contain.

    Returns
    -------
    Path
        ``out``, absolute with links resolved.

    Raises
    ------
    OutputError
        If the run may not replace the folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> project = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (project / "study.toml").write_text("[study]")
    >>> check_replaceable_output(project / "report", [project / "study.toml"]).name
    'report'
    >>> try:
    ...     check_replaceable_output(project, [project / "study.toml"])
    ... except OutputError as err:
    ...     print("refused:", "contains an input" in str(err))
    refused: True
    """
    given = Path(out)
    if given.is_symlink():
        raise OutputError(f"output folder {given} is a symbolic link; give the folder it points to, or a new name")
    target = given.resolve()
    if _within(Path.cwd().resolve(), target):
        raise OutputError(f"output folder {given} is the working folder or one of its parents; "
                          f"give a new folder such as {given / 'report'}")
    for item in inputs:
        for form in _forms(item):
            for place in _forms(given):
                if _within(form, place):
                    what = "is" if form == place else "contains"
                    raise OutputError(f"output folder {given} {what} an input of this run ({item}); it is left "
                                      "as it is: choose a new folder, for example a 'report' folder beside the spec")
    if not target.exists():
        parent = next(p for p in target.parents if p.exists())
        if not parent.is_dir():
            raise OutputError(f"output folder {given} cannot be created: {parent} is a file")
        return target
    if not target.is_dir():
        raise OutputError(f"output folder {given} is a file; it is left as it is: choose a folder name")
    names = folder_files(target)
    if not names:
        return target
    try:
        extra = unlisted_files(target)
    except OutputError as err:
        raise OutputError(f"output folder {given} holds files ({_show(names)}) and is not an earlier "
                          f"citizensfirst output ({err}); it is left as it is: choose a new or empty folder") from None
    if extra:
        raise OutputError(f"output folder {given} is an earlier citizensfirst output but also holds files its "
                          f"manifest does not list ({_show(extra)}); they would be deleted, so nothing was "
                          "written: move them elsewhere or choose another folder")
    return target


def output_path(root: str | Path, *parts: str) -> Path:
    """``root / parts``, refused with an :class:`~citizensfirst.errors.OutputError` unless it
    resolves inside ``root`` (no ``..``, no absolute part, no link out of the folder).

    Parameters
    ----------
    root : str or Path
        The output folder.
    *parts : str
        Path parts below ``root``.

    Returns
    -------
    Path
        ``root`` joined with ``parts`` (not resolved).

    Raises
    ------
    OutputError
        If the path resolves outside ``root``.

    Examples
    --------
    >>> output_path("out", "tables", "a.csv").as_posix()
    'out/tables/a.csv'
    >>> try:
    ...     output_path("out", "tables", "../../x.csv")
    ... except OutputError as err:
    ...     print("refused")
    refused
    """
    base = Path(root)
    path = base.joinpath(*parts)
    if not _within(path.resolve(), base.resolve()):
        raise OutputError(f"{path} lies outside the output folder {base}; nothing was written there")
    return path


def check_output_files(paths: Iterable[str | Path], inputs: Iterable[str | Path] = ()) -> None:
    """Refuse output files that are folders or that are (or link to) an input of the run.

    Parameters
    ----------
    paths : iterable of str or Path
        The output files.
    inputs : iterable of str or Path, default ()
        The run's input files.

    Raises
    ------
    OutputError
        If an output is a folder or would overwrite an input.

    Examples
    --------
    >>> check_output_files(["weighted.sav"], ["cf2023.sav"])
    >>> try:
    ...     check_output_files(["cf2023.sav"], ["cf2023.sav"])
    ... except OutputError as err:
    ...     print("refused:", "input" in str(err))
    refused: True
    """
    inputs = list(inputs)
    for path in paths:
        if Path(path).is_dir():
            raise OutputError(f"output {path} is a folder; give a file name")
        for item in inputs:
            if _forms(path) & _forms(item):
                raise OutputError(f"output {path} would overwrite an input of this run ({item}); "
                                  "nothing was written: choose another output name")


def _marker_problem(folder: Path) -> str | None:
    """Why a marked staging folder must stay (a live run may own it), or None."""
    try:
        pid = int((folder / STAGING_MARKER).read_text(encoding="utf-8").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if pid == os.getpid() or os.name != "posix":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass
    return f"may belong to a run that is still going (process {pid})"


def _leftover_problem(folder: Path) -> str | None:
    """None if ``folder`` (left by a killed run) holds only what citizensfirst writes; else why not."""
    if folder.is_symlink() or not folder.is_dir():
        return "is not a folder"
    if (folder / STAGING_MARKER).is_file():
        return _marker_problem(folder)
    if not folder_files(folder):
        return None
    try:
        extra = unlisted_files(folder)
    except OutputError:
        return "holds files that are not a citizensfirst output"
    return f"holds files its manifest does not list ({_show(extra)})" if extra else None


def _discard(folder: Path) -> None:
    """Delete a folder of ours, marking it first and removing the marker last, so that a run
    killed halfway leaves a folder the next run still recognises."""
    marker = folder / STAGING_MARKER
    if not marker.exists():
        marker.write_text(str(os.getpid()), encoding="utf-8")
    for child in folder.iterdir():
        if child == marker:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    marker.unlink()
    folder.rmdir()


def clean_leftovers(target: str | Path) -> list[Path]:
    """Delete the ``.NAME.staging-*`` and ``.NAME.old-*`` folders that a killed run left beside
    ``target`` when they hold only citizensfirst files; warn (:class:`LeftoverWarning`) about any
    other.

    Parameters
    ----------
    target : str or Path
        The output whose leftovers are cleaned.

    Returns
    -------
    list of Path
        The folders deleted.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    prefixes = (f".{target.name}.staging-", f".{target.name}.old-")
    removed = []
    for folder in sorted(p for p in target.parent.iterdir() if p.name.startswith(prefixes)):
        problem = _leftover_problem(folder)
        if problem is None:
            _discard(folder)
            removed.append(folder)
        else:
            warnings.warn(f"{folder} was left by an earlier run and {problem}; it is left in place: "
                          "check it and delete it yourself", LeftoverWarning, stacklevel=3)
    return removed


def _staging_folder(target: Path) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder of {target}: {err}") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    (staging / STAGING_MARKER).write_text(str(os.getpid()), encoding="utf-8")
    return staging


def _aside(target: Path) -> Path:
    """A fresh name beside ``target`` to move its old version to."""
    return target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")


@contextmanager
def replace_folder(out: str | Path, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield an empty staging folder; when the block succeeds, swap it in as the folder ``out``.

    ``out`` is checked with :func:`check_replaceable_output` before the block and again before the
    swap. The staged folder must hold a ``manifest.json`` listing every file in it. The swap uses
    renames only: the old folder is moved aside, the staged one moved in, and the old one (ours,
    by the check) deleted; if the block or the swap fails, the old folder is left as it was and the
    staging folder is removed. Leftovers of a killed run are cleaned first (:func:`clean_leftovers`).

    Parameters
    ----------
    out : str or Path
        The output folder to replace.
    inputs : iterable of str or Path, default ()
        The run's input files (see :func:`check_replaceable_output`).

    Yields
    ------
    Path
        The staging folder to write into.

    Raises
    ------
    OutputError
        If ``out`` may not be replaced, files are written outside the manifest, or the swap fails.
    """
    inputs = list(inputs)
    target = check_replaceable_output(out, inputs)
    clean_leftovers(target)
    staging = _staging_folder(target)
    try:
        yield staging
        (staging / STAGING_MARKER).unlink()
        unlisted = unlisted_files(staging)
        if unlisted:
            raise OutputError(f"files written outside the manifest of {out}: {_show(unlisted)}")
        check_replaceable_output(out, inputs)
        backup = None
        if target.exists():
            backup = _aside(target)
            os.replace(target, backup)
        try:
            os.replace(staging, target)
        except OSError as err:
            if backup is not None:
                os.replace(backup, target)
            raise OutputError(f"cannot move the new output into {target}: {err}") from None
        if backup is not None:
            _discard(backup)
    finally:
        if staging.exists():
            _discard(staging)


@contextmanager
def replace_files(out: str | Path, inputs: Iterable[str | Path] = ()) -> Iterator[Path]:
    """Yield an empty staging folder for a set of files that belong beside ``out``; when the block
    succeeds, move every file written there into ``out``'s folder, as one set.

    Every target is checked with :func:`check_output_files`. Existing targets are moved aside
    first; if any move fails, every target is put back as it was, so either all the files change
    or none does.

    Parameters
    ----------
    out : str or Path
        The main output file; the staged files go into its folder.
    inputs : iterable of str or Path, default ()
        The run's input files, which no output may overwrite.

    Yields
    ------
    Path
        The staging folder to write the files into.

    Raises
    ------
    OutputError
        If an output is refused by :func:`check_output_files` or the files cannot be moved.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with replace_files(folder / "weighted.sav") as staging:
    ...     _ = (staging / "weighted.sav").write_text("data")
    ...     _ = (staging / "weighted.report.csv").write_text("report")
    >>> sorted(p.name for p in folder.iterdir())
    ['weighted.report.csv', 'weighted.sav']
    """
    inputs = list(inputs)
    target = Path(os.path.abspath(out))
    check_output_files([target], inputs)
    clean_leftovers(target)
    staging = _staging_folder(target)
    try:
        yield staging
        names = [p.name for p in staging.iterdir() if p.name != STAGING_MARKER]
        check_output_files([target.parent / name for name in names], inputs)
        _swap_files(staging, target, names)
    finally:
        if staging.exists():
            _discard(staging)


def _swap_files(staging: Path, target: Path, names: list[str]) -> None:
    backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    (backup / STAGING_MARKER).write_text(str(os.getpid()), encoding="utf-8")
    folder = target.parent
    aside: list[str] = []
    moved: list[str] = []
    try:
        for name in names:
            if os.path.lexists(folder / name):
                os.replace(folder / name, backup / name)
                aside.append(name)
        for name in names:
            os.replace(staging / name, folder / name)
            moved.append(name)
    except OSError as err:
        for name in moved:
            os.replace(folder / name, staging / name)
        for name in aside:
            os.replace(backup / name, folder / name)
        raise OutputError(f"cannot move the new files into {folder} ({err}); every file was left as it was") from None
    finally:
        if not any(p.name != STAGING_MARKER for p in backup.iterdir()) or len(moved) == len(names):
            _discard(backup)
