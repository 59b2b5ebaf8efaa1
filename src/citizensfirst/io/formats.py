"""The file formats read and written: one :class:`FileFormat` record per suffix in :data:`FORMATS`.

Adding a format is one record: its suffix, a description, a reader and/or a writer.
:func:`~citizensfirst.io.readers.read_survey` and :func:`~citizensfirst.io.writers.write_survey`
look the suffix up here, and the CLI names :data:`READ_FORMATS` / :data:`WRITE_FORMATS`.

>>> FORMATS[".csv"].description
'CSV text (with an optional codebook sidecar)'
>>> ".por" in READ_FORMATS, ".por" in WRITE_FORMATS
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from .csvfiles import read_csv, write_csv
from .parquetfiles import read_parquet, write_parquet
from .rawdata import RawData, ReadOptions
from .statfiles import read_readstat, write_dta, write_sav
from .survey import Survey

Reader = Callable[[Path, ReadOptions], RawData]
"""Reads ``path`` with the options given: ``reader(path, options) -> RawData``."""

Writer = Callable[[Survey, pd.DataFrame, Path, Path], None]
"""Writes ``frame`` (the survey's data, missing codes put back) to the temporary file ``out``:
``writer(survey, frame, out, path)``; ``path`` is the final name, for messages."""


@dataclass(frozen=True)
class FileFormat:
    """One file format: what reads it, what writes it, and what it holds.

    Attributes
    ----------
    suffix : str
        The file name suffix, lower case with the dot (``".sav"``).
    name : str
        A short name for messages (``"CSV"``).
    description : str
        What the file is, as the CLI help and :data:`READ_FORMATS` show it.
    read : Reader or None
        The reader (None: the format is not read).
    write : Writer or None
        The writer (None: the format is not written).
    sidecar : bool
        True when the file holds no labels or missing codes of its own, so its codebook lives only
        in the ``<stem>.codebook.toml`` sidecar (the description says so).
    options : frozenset of str
        The read options only this format takes (``"catalog"``, ``"allow_short_rows"``).

    Examples
    --------
    >>> FileFormat(".tsv", "TSV", "Tab-separated text", read=None, write=None, sidecar=True).description
    'Tab-separated text (with an optional codebook sidecar)'
    """

    suffix: str
    name: str
    description: str
    read: Reader | None
    write: Writer | None
    sidecar: bool = False
    options: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.sidecar and not self.description.endswith(_SIDECAR_NOTE):
            object.__setattr__(self, "description", f"{self.description} {_SIDECAR_NOTE}")


_SIDECAR_NOTE = "(with an optional codebook sidecar)"


def _readstat(fmt: str) -> Reader:
    return partial(read_readstat, fmt=fmt)


FORMATS: dict[str, FileFormat] = {f.suffix: f for f in (
    FileFormat(".sav", "SPSS .sav", "SPSS system file", _readstat("sav"), write_sav),
    FileFormat(".zsav", "SPSS .zsav", "SPSS compressed system file", _readstat("zsav"),
               partial(write_sav, compress=True)),
    FileFormat(".por", "SPSS .por", "SPSS portable file", _readstat("por"), None),
    FileFormat(".dta", "Stata .dta", "Stata file", _readstat("dta"), write_dta),
    FileFormat(".sas7bdat", "SAS .sas7bdat", "SAS data set", _readstat("sas7bdat"), None,
               options=frozenset({"catalog"})),
    FileFormat(".xpt", "SAS .xpt", "SAS transport (XPORT) file", _readstat("xpt"), None),
    FileFormat(".csv", "CSV", "CSV text", read_csv, write_csv, sidecar=True,
               options=frozenset({"allow_short_rows"})),
    FileFormat(".parquet", "Parquet", "Parquet", read_parquet, write_parquet, sidecar=True),
)}
"""Every format, by suffix: the one table readers, writers and the CLI consult."""


def read_formats(formats: dict[str, FileFormat]) -> dict[str, str]:
    """The suffixes ``formats`` can read, with their descriptions.

    Parameters
    ----------
    formats : dict of str to FileFormat
        The formats, by suffix (e.g. :data:`FORMATS`).

    Returns
    -------
    dict of str to str
        Suffix to description, for the formats that have a reader.

    Examples
    --------
    >>> read_formats(FORMATS)[".xpt"]
    'SAS transport (XPORT) file'
    """
    return {s: f.description for s, f in formats.items() if f.read is not None}


def write_formats(formats: dict[str, FileFormat]) -> tuple[str, ...]:
    """The suffixes ``formats`` can write.

    Parameters
    ----------
    formats : dict of str to FileFormat
        The formats, by suffix (e.g. :data:`FORMATS`).

    Returns
    -------
    tuple of str
        The suffixes of the formats that have a writer.

    Examples
    --------
    >>> write_formats(FORMATS)
    ('.sav', '.zsav', '.dta', '.csv', '.parquet')
    """
    return tuple(s for s, f in formats.items() if f.write is not None)


READ_FORMATS: dict[str, str] = read_formats(FORMATS)


WRITE_FORMATS: tuple[str, ...] = write_formats(FORMATS)


SIDECAR_SUFFIX = ".codebook.toml"


def sidecar_path(path: str | Path) -> Path:
    """The codebook sidecar of a data file: ``<stem>.codebook.toml`` in the same folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The data file.

    Returns
    -------
    pathlib.Path
        The sidecar's path.

    Examples
    --------
    >>> sidecar_path("data/cf2023.csv").as_posix()
    'data/cf2023.codebook.toml'
    """
    path = Path(path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def file_extension(path: Path) -> str:
    """The suffix of ``path``, lower case (the key into :data:`FORMATS`).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    str
        The suffix, lower case (empty when there is none).

    Examples
    --------
    >>> file_extension(Path("cf.SAV"))
    '.sav'
    """
    return path.suffix.lower()


def supported_list(formats: Iterable[str]) -> str:
    """The suffixes as a comma-separated list for messages.

    Parameters
    ----------
    formats : iterable of str
        The suffixes.

    Returns
    -------
    str
        The suffixes joined by ", ".

    Examples
    --------
    >>> supported_list((".sav", ".csv"))
    '.sav, .csv'
    """
    return ", ".join(formats)
