"""The file formats read and written, and the sidecar codebook path."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

READ_FORMATS: dict[str, str] = {
    ".sav": "SPSS system file",
    ".zsav": "SPSS compressed system file",
    ".por": "SPSS portable file",
    ".dta": "Stata file",
    ".sas7bdat": "SAS data set",
    ".xpt": "SAS transport (XPORT) file",
    ".csv": "CSV text (with an optional codebook sidecar)",
    ".parquet": "Parquet (with an optional codebook sidecar)",
}


WRITE_FORMATS: tuple[str, ...] = (".sav", ".zsav", ".dta", ".csv", ".parquet")


SIDECAR_SUFFIX = ".codebook.toml"


PARQUET_TAGS_KEY = b"citizensfirst.tagged_missing"


def sidecar_path(path: str | Path) -> Path:
    """The codebook sidecar of a data file: ``<stem>.codebook.toml`` in the same folder.

    >>> sidecar_path("data/cf2023.csv").as_posix()
    'data/cf2023.codebook.toml'
    """
    path = Path(path)
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def file_extension(path: Path) -> str:
    return path.suffix.lower()


def supported_list(formats: Iterable[str]) -> str:
    return ", ".join(formats)
