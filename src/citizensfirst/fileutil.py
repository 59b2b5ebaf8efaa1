"""Small file helpers: atomic writes (temp file + rename), content hashes, and TOML reading.

A failed run must never leave half a file behind, so every writer in the library goes through
:func:`atomic_output`: it yields a temporary path in the target's folder and renames it over the
target only when the block finishes without an exception. The rules for which output folders and
files a run may replace live in :mod:`citizensfirst.outputs`.

>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
>>> atomic_write_text(target, "hello")
>>> target.read_text(), sha256_file(target)[:8]
('hello', '2cf24dba')
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` if the block succeeds.

    Parameters
    ----------
    path : str or Path
        The final file; its folder is created if needed.

    Yields
    ------
    Path
        The temporary file to write; it is removed if the block fails.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix,
                                    dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        The file to write.
    text : str
        The content.
    encoding : str, default "utf-8"
        Text encoding.
    """
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding=encoding)


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks.

    Parameters
    ----------
    path : str or Path
        The file to hash.
    chunk_size : int, default 1 MiB
        Bytes read at a time.

    Returns
    -------
    str
        The hex digest.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def read_toml(path: str | Path, what: str, error: type[Exception]) -> dict[str, Any]:
    """Parse a UTF-8 TOML file; a missing or invalid file raises ``error`` naming ``what`` and the path.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    what : str
        What the file is, for messages (e.g. ``"spec"``).
    error : type of Exception
        The exception class raised for a missing or invalid file.

    Returns
    -------
    dict
        The parsed TOML.

    Raises
    ------
    Exception
        ``error``, when the file is missing, not UTF-8 or not valid TOML.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.toml"
    >>> _ = p.write_text("x = 1")
    >>> read_toml(p, "spec", ValueError)
    {'x': 1}
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise error(f"{what} {path} is not valid UTF-8 TOML: {err}") from None
