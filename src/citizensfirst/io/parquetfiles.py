"""Parquet: reading and writing, tagged missing codes kept in the file's metadata."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CitizensFirstError, DataError
from .codebook import Codebook
from .columns import column_kind, is_tagged_code
from .rawdata import RawData, ReadOptions, check_columns
from .survey import Survey

PARQUET_TAGS_KEY = b"citizensfirst.tagged_missing"


def read_parquet(path: Path, options: ReadOptions) -> RawData:
    """Read a Parquet file, putting back the tagged missing codes kept in its metadata.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    options : ReadOptions
        The read options (columns, encoding).

    Returns
    -------
    RawData
        The data, the file's own codebook, all its column names, MR sets and encoding.

    Raises
    ------
    DataError
        If the file cannot be read, or an encoding is given.
    """
    columns, encoding = options.columns, options.encoding
    import pyarrow as pa  # lazy: heavy library, imported on use for import time
    import pyarrow.parquet as pq  # lazy: heavy library, imported on use for import time

    if encoding is not None:
        raise DataError(f"{path}: Parquet files are always UTF-8; leave encoding out")
    try:
        schema = pq.read_schema(path)
        names = list(schema.names)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise DataError(f"{path}: duplicate column name(s) {', '.join(map(repr, dupes))}")
        usecols = check_columns(path, columns, [n for n in names if not n.startswith("__index_level_")])
        table = pq.read_table(path, columns=usecols)
        frame = table.to_pandas()
    except CitizensFirstError:
        raise
    except (pa.ArrowException, OSError, ValueError) as err:
        raise DataError(f"{path}: cannot read as Parquet: {err} (the file is truncated, corrupt, "
                        f"or not Parquet)") from None
    frame = frame.reset_index(drop=True)
    metadata = schema.metadata or {}
    if PARQUET_TAGS_KEY in metadata:
        tags = json.loads(metadata[PARQUET_TAGS_KEY])
        for name, cells in tags.items():
            if name not in frame.columns:
                continue
            values = frame[name].astype(object).to_numpy(copy=True)
            for pos, code in cells.items():
                values[int(pos)] = code
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
    all_columns = [n for n in names if not n.startswith("__index_level_")]
    return RawData(frame, Codebook(), all_columns, {}, "utf-8")


def write_parquet(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
    """Write ``frame`` as Parquet to ``out``, tagged missing codes kept in the file's metadata.

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
    import pyarrow as pa  # lazy: heavy library, imported on use for import time
    import pyarrow.parquet as pq  # lazy: heavy library, imported on use for import time

    tags: dict[str, dict[str, str]] = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object and column_kind(column) == "numeric" and any(
                is_tagged_code(v) for v in column.array):
            values = column.to_numpy(copy=True)
            cells = {}
            for i, v in enumerate(values):
                if is_tagged_code(v):
                    cells[str(i)] = v
                    values[i] = np.nan
            tags[name] = cells
            frame[name] = pd.to_numeric(pd.Series(values, index=frame.index))
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as err:
        raise DataError(f"{path}: cannot write as Parquet: {err}") from None
    if tags:
        metadata = dict(table.schema.metadata or {})
        metadata[PARQUET_TAGS_KEY] = json.dumps(tags).encode("utf-8")
        table = table.replace_schema_metadata(metadata)
    pq.write_table(table, out)
