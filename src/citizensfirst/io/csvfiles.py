"""CSV: reading with a check of every row's field count, and writing."""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .codebook import Codebook
from .rawdata import RawData, ReadOptions, check_columns
from .survey import Survey


def _csv_layout(path: Path, encoding: str) -> tuple[list[str], np.ndarray]:
    """The header and the number of fields of every later non-blank record.

    The records are counted by the C ``csv`` reader through ``map``/``filter`` (no Python loop
    over rows); blank lines are skipped, as ``pandas.read_csv`` does.
    """
    try:
        with open(path, newline="", encoding=encoding) as handle:
            records = filter(None, csv.reader(handle))
            header = next(records, [])
            return header, np.fromiter(map(len, records), dtype=np.int64)
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not valid {encoding} text ({err.reason} at byte {err.start}); "
            f"pass encoding= with the file's encoding (e.g. encoding='cp1252')"
        ) from None
    except LookupError:
        raise DataError(f"{path}: unknown encoding {encoding!r}") from None
    except csv.Error as err:
        raise DataError(f"{path}: cannot parse as CSV: {err}") from None


def _csv_line(path: Path, encoding: str, row: int) -> int:
    """The (last) line number of data row ``row`` (0-based, header not counted)."""
    with open(path, newline="", encoding=encoding) as handle:
        reader = csv.reader(handle)
        next(islice(filter(None, reader), row + 1, None))
        return reader.line_num


def _check_csv_rows(path: Path, encoding: str, header: list[str], fields: np.ndarray,
                    allow_short_rows: bool) -> None:
    """Every data row must have as many fields as the header (fewer only if allowed)."""
    long_rows = np.flatnonzero(fields > len(header))
    short_rows = np.flatnonzero(fields < len(header)) if not allow_short_rows else long_rows[:0]
    for rows, problem, advice in (
        (long_rows, "more", "quote values that contain commas"),
        (short_rows, "fewer", "the file may be cut off or a row broken; repair it, or pass "
                              "allow_short_rows=True to read the missing fields as empty"),
    ):
        if rows.size:
            first = int(rows[0])
            raise DataError(
                f"{path}: data row {first + 1} (line {_csv_line(path, encoding, first)}) has "
                f"{int(fields[first])} fields, {problem} than the header's {len(header)} "
                f"({rows.size} such row(s)); {advice}"
            )


def read_csv(path: Path, options: ReadOptions) -> RawData:
    """Read a CSV file (UTF-8 unless ``options.encoding``), checking every row's field count.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    options : ReadOptions
        The read options (columns, encoding, allow_short_rows).

    Returns
    -------
    RawData
        The data, the file's own codebook, all its column names, MR sets and encoding.

    Raises
    ------
    DataError
        If the file cannot be read, is empty, or has a row with the wrong number of fields.
    """
    columns, encoding, allow_short_rows = options.columns, options.encoding, options.allow_short_rows
    enc = encoding or "utf-8"
    header, fields = _csv_layout(path, enc)
    if not header:
        raise DataError(f"{path}: the CSV file is empty (no header row)")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{path}: duplicate column name(s) in the header: {', '.join(map(repr, dupes))}")
    _check_csv_rows(path, enc, header, fields, allow_short_rows)
    usecols = check_columns(path, columns, header)
    try:
        frame = pd.read_csv(path, encoding=enc, usecols=usecols, keep_default_na=False,
                            na_values=[""], low_memory=False)
    except UnicodeDecodeError as err:
        raise DataError(
            f"{path}: not valid {enc} text ({err.reason} at byte {err.start}); "
            f"pass encoding= with the file's encoding (e.g. encoding='cp1252')"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as err:
        raise DataError(f"{path}: cannot parse as CSV: {err}") from None
    if usecols is not None:
        frame = frame[usecols]
    return RawData(frame, Codebook(), header, {}, enc)


def write_csv(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
    """Write ``frame`` as UTF-8 CSV to ``out`` (the labels go to the sidecar codebook).

    Parameters
    ----------
    survey : Survey
        The survey, for its codebook.
    frame : pandas.DataFrame
        The survey's data with its missing codes put back.
    out : pathlib.Path
        The temporary file written.
    path : pathlib.Path
        The final file name, for messages.
    """
    frame.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
