"""Manifests: what went into an output folder, and how to tell whether it can be re-created.

``manifest.json`` records the SHA-256 of every input file and of the spec, the library and
dependency versions, the seeds, the SHA-256 of every output file, and a digest of every number
produced (the numbers themselves are in ``numbers.json``). Paths are relative: the spec's to the
output folder, the inputs' to the spec's folder, the outputs' to the output folder, so a project
folder can be moved. A folder whose manifest lists every file in it is recognised as an earlier
output that a new run may replace (:func:`citizensfirst.outputs.check_replaceable_output`).
:func:`write_manifest` writes it; :func:`compare_numbers` lists every number that differs between
two runs.

>>> a = {"drivers": [{"driver": "q_time", "share": 17.25}]}
>>> b = {"drivers": [{"driver": "q_time", "share": 17.5}]}
>>> compare_numbers(a, b)
['drivers[0].share: 17.25 -> 17.5']
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..fileutil import atomic_write_text, sha256_file
from ..outputs import MANIFEST, MANIFEST_KEY, STAGING_MARKER, folder_files

DEPENDENCIES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pyreadstat", "openpyxl", "pyarrow")
RELATIVE_TOLERANCE = 1e-9  # numbers equal to this many digits count as identical
MANIFEST_VERSION = 2  # 2: relative paths, spec path relative to the output folder


def versions() -> dict[str, str]:
    """Python, citizensfirst and dependency versions.

    Returns
    -------
    dict
        Name to version string (``"not installed"`` for a missing package).
    """
    found = {"python": platform.python_version()}
    for name in ("citizensfirst", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def file_record(path: Path, root: Path | None = None) -> dict[str, Any]:
    """Path (relative to ``root`` when given), size and SHA-256 of a file.

    Parameters
    ----------
    path : Path
        The file.
    root : Path, optional
        Folder the recorded path is relative to (POSIX form); without it the path as given.

    Returns
    -------
    dict
        ``path``, ``bytes`` and ``sha256``.
    """
    shown = path.relative_to(root).as_posix() if root is not None else str(path)
    return {"path": shown, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def json_default(value: Any) -> Any:
    """JSON for numpy scalars (their Python value) and anything else (its text).

    Parameters
    ----------
    value : Any
        An object :mod:`json` cannot encode.

    Returns
    -------
    Any
        The Python value of a numpy scalar, else ``str(value)``.
    """
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return str(value)


def write_manifest(folder: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write ``folder/manifest.json``: the format version, ``fields``, the versions, and the size and
    SHA-256 of every file in ``folder``; return it.

    Parameters
    ----------
    folder : Path
        The output folder.
    fields : dict
        Extra top-level entries (command, spec, inputs, ...).

    Returns
    -------
    dict
        The manifest written.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("x")
    >>> [r["path"] for r in write_manifest(folder, {"command": "demo"})["outputs"]]
    ['a.csv']
    """
    manifest = {MANIFEST_KEY: MANIFEST_VERSION, **fields, "versions": versions(),
                "outputs": [file_record(folder / name, folder) for name in folder_files(folder)
                            if name not in (MANIFEST, STAGING_MARKER)]}
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1, default=json_default))
    return manifest


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and NaN/inf written as strings, for hashing.

    Parameters
    ----------
    value : Any
        JSON-like data (dicts, lists, numbers, strings).

    Returns
    -------
    str
        Compact canonical JSON.
    """
    def clean(v: Any) -> Any:
        """Non-finite floats as strings and keys as strings, recursively.

        Parameters
        ----------
        v : Any
            JSON-like data.

        Returns
        -------
        Any
            The cleaned data.
        """
        if isinstance(v, float) and not math.isfinite(v):
            return str(v)
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(value), sort_keys=True, separators=(",", ":"))


def digest(value: Any) -> str:
    """SHA-256 of the canonical JSON of ``value``.

    Parameters
    ----------
    value : Any
        JSON-like data.

    Returns
    -------
    str
        Hex digest of :func:`canonical_json`.
    """
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def _walk(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _walk(item, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", out)
    else:
        out[path] = value


def compare_numbers(old: Any, new: Any, rtol: float = RELATIVE_TOLERANCE) -> list[str]:
    """Every leaf that differs (numbers beyond ``rtol`` relative), as 'path: old -> new'.

    Parameters
    ----------
    old : Any
        Earlier JSON-like numbers.
    new : Any
        Fresh JSON-like numbers.
    rtol : float, default RELATIVE_TOLERANCE
        Relative tolerance for numbers; NaN equals NaN.

    Returns
    -------
    list of str
        One line per differing, added or removed leaf, sorted by path.
    """
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _walk(old, "", a)
    _walk(new, "", b)
    differences = []
    for key in sorted(set(a) | set(b)):
        if key not in a:
            differences.append(f"{key}: (absent) -> {b[key]!r}")
        elif key not in b:
            differences.append(f"{key}: {a[key]!r} -> (absent)")
        elif not _same(a[key], b[key], rtol):
            differences.append(f"{key}: {a[key]!r} -> {b[key]!r}")
    return differences


def _same(x: Any, y: Any, rtol: float) -> bool:
    if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, int | float) or not isinstance(y, int | float):
        return x == y
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=rtol, abs_tol=1e-300)
