"""What every format reader returns, and the read options passed to it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError
from .codebook import Codebook


@dataclass(frozen=True)
class ReadOptions:
    """The options of :func:`~citizensfirst.io.readers.read_survey` a format reader receives."""

    columns: Sequence[str] | None = None
    encoding: str | None = None
    catalog: Path | None = None
    allow_short_rows: bool = False


@dataclass(frozen=True)
class RawData:
    """What a format's reader found: the data, the file's own codebook, every column name, MR sets, encoding."""

    frame: pd.DataFrame
    codebook: Codebook
    all_columns: list[str]
    mr_sets: dict[str, dict[str, Any]]
    encoding: str | None = None


def check_columns(path: Path, wanted: Sequence[str] | None, available: Sequence[str]) -> list[str] | None:
    """The ``columns=`` asked for, checked against the file's columns (None: all).

    Parameters
    ----------
    path : pathlib.Path
        The file, for messages.
    wanted : sequence of str or None
        The columns asked for (None: all).
    available : sequence of str
        The file's columns.

    Returns
    -------
    list of str or None
        The columns to read, in order, or None for all.

    Raises
    ------
    DataError
        If a column asked for is not in the file or is asked for twice.

    Examples
    --------
    >>> check_columns(Path("f.csv"), ["b"], ["a", "b"])
    ['b']
    """
    if wanted is None:
        return None
    wanted = list(wanted)
    unknown = [c for c in wanted if c not in available]
    if unknown:
        shown = ", ".join(list(available)[:30]) + (" ..." if len(available) > 30 else "")
        raise DataError(f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; columns: {shown}")
    dupes = sorted({c for c in wanted if wanted.count(c) > 1})
    if dupes:
        raise DataError(f"{path}: column(s) {dupes} requested more than once")
    return wanted
