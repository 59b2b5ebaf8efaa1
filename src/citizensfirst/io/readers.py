"""Read and write survey files: SPSS, Stata, SAS, CSV and Parquet, with their codebooks.

:func:`read_survey` reads ``.sav .zsav .por .dta .sas7bdat .xpt .csv .parquet`` into a
:class:`~citizensfirst.survey.Survey`. Statistical files are read with pyreadstat keeping
user-missing values, so SPSS user-missing codes and ranges and Stata/SAS tagged missing values
(``.a``-``.z``, ``._``) arrive as codes: they are recorded in the codebook, counted, and set to
NaN in :attr:`Survey.data`.

A codebook (a :class:`~citizensfirst.codebook.Codebook` or a TOML path given as ``codebook=``,
else a sidecar ``<stem>.codebook.toml`` beside the data file) is merged onto what the file itself
says: every field the TOML sets wins (it typically adds French wording, scales, CMT dimensions,
or the missing codes of a CSV file).

:func:`write_survey` writes ``.sav .zsav .dta .csv .parquet`` with the missing codes put back in
their cells, and (unless ``sidecar=False``) the codebook as ``<stem>.codebook.toml``.

>>> import tempfile, pathlib, pandas as pd
>>> from citizensfirst.io import write_survey
>>> from citizensfirst.io.codebook import Codebook, Variable
>>> cb = Codebook([Variable("q1", label="Courtesy", label_fr="Courtoisie",
...                         value_labels={1: "Poor", 5: "Excellent"}, missing={8: "Don't know"})])
>>> survey = Survey(pd.DataFrame({"q1": [1, 5, 8]}), cb)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cf.sav"
>>> write_survey(survey, path)
>>> back = read_survey(path)
>>> back.data["q1"].tolist(), back.codebook["q1"].label_fr
([1.0, 5.0, nan], 'Courtoisie')
>>> back.missing_counts("q1").loc[8].tolist()
[1]
"""

from __future__ import annotations

import csv
import json
import mmap
import tomllib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CitizensFirstError, CodebookError, DataError
from ..fileutil import sha256_file
from .codebook import Codebook, Variable, normalize_code
from .formats import PARQUET_TAGS_KEY, READ_FORMATS, file_extension, sidecar_path, supported_list
from .survey import (
    SourceInfo,
    Survey,
    merge_codebooks,
    validate_codebook,
)


@dataclass(frozen=True)
class _CodebookDoc:
    codebook: Codebook
    mr_sets: dict[str, dict[str, Any]]


def _read_codebook_doc(path: Path) -> _CodebookDoc:
    codebook = Codebook.from_toml(path)
    # MR sets ride in [survey.mr_sets.NAME], a key Codebook.from_dict leaves alone
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    raw_sets = doc.get("survey", {}).get("mr_sets", {})
    mr_sets = {}
    for name, spec in raw_sets.items():
        if not isinstance(spec, Mapping) or "variable_list" not in spec:
            raise CodebookError(f"{path}: [survey.mr_sets.{name}] needs a variable_list")
        mr_sets[name] = {"type": spec.get("type", "D"), "is_dichotomy": spec.get("is_dichotomy", False),
                         "counted_value": spec.get("counted_value"), "label": spec.get("label", ""),
                         "variable_list": list(spec["variable_list"])}
    return _CodebookDoc(codebook, mr_sets)


def read_codebook(path: str | Path) -> Codebook:
    """Read a codebook TOML file (see :mod:`citizensfirst.codebook` for the format)."""
    return Codebook.from_toml(path)


@dataclass
class _Raw:
    frame: pd.DataFrame
    codebook: Codebook
    all_columns: list[str]
    mr_sets: dict[str, dict[str, Any]]
    encoding: str | None = None


def _readstat_error(path: Path, kind: str, err: Exception, encoding: str | None) -> DataError:
    text = str(err)
    if "encoding" in text.lower() or "character set" in text.lower() or isinstance(err, UnicodeError):
        hint = (f"the text cannot be decoded as {encoding!r}; give the right encoding= or leave it out"
                if encoding else "pass encoding= with the file's text encoding")
        return DataError(f"{path}: cannot read as {kind}: {text} ({hint})")
    return DataError(
        f"{path}: cannot read as {kind}: {text} (the file is truncated, corrupt, or not a {kind})"
    )


def _call_readstat(path: Path, kind: str, func: Callable[..., Any], user_encoding: str | None,
                   **kwargs: Any) -> tuple[pd.DataFrame, Any]:
    import pyreadstat  # lazy: heavy library, imported on use for import time

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(str(path), **kwargs)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, UnicodeError, OSError,
            ValueError, TypeError, KeyError, IndexError, OverflowError) as err:
        raise _readstat_error(path, kind, err, user_encoding) from None


def _check_columns(path: Path, wanted: Sequence[str] | None, available: Sequence[str]) -> list[str] | None:
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


def _tag(value: Any) -> str:
    return "." + str(value)


def _codebook_from_meta(meta: Any, columns: Sequence[str], *,
                        catalog_labels: Mapping[str, Mapping[Any, str]] | None = None) -> Codebook:
    types = getattr(meta, "readstat_variable_types", {}) or {}
    labels = getattr(meta, "column_names_to_labels", {}) or {}
    value_labels = dict(getattr(meta, "variable_value_labels", {}) or {})
    if catalog_labels:
        value_labels.update(catalog_labels)
    ranges = getattr(meta, "missing_ranges", {}) or {}
    tagged = getattr(meta, "missing_user_values", {}) or {}
    measures = getattr(meta, "variable_measure", {}) or {}
    variables = []
    for name in columns:
        numeric = types.get(name, "double") != "string"

        def code_of(key: Any, numeric: bool = numeric) -> Any:
            if numeric and isinstance(key, str):
                return _tag(key)
            return normalize_code(key)

        discrete: list[Any] = []
        spans: list[tuple[float, float]] = []
        for item in ranges.get(name, []):
            lo, hi = item["lo"], item["hi"]
            if isinstance(lo, str) or isinstance(hi, str) or lo == hi:
                discrete.append(normalize_code(lo))
            else:
                spans.append((float(lo), float(hi)))
        discrete.extend(_tag(t) for t in tagged.get(name, []))
        labelled = {code_of(k): str(v) for k, v in value_labels.get(name, {}).items()}
        missing = {c: labelled.pop(c, "") for c in discrete}
        measure = measures.get(name)
        variables.append(Variable(
            name=name,
            label=labels.get(name) or None,
            value_labels=labelled,
            missing=missing,
            missing_ranges=tuple(spans),
            measure=measure if measure in ("nominal", "ordinal", "scale") else None,
        ))
    return Codebook(variables, title=getattr(meta, "file_label", None) or None)


def _tags_to_codes(frame: pd.DataFrame, meta: Any) -> pd.DataFrame:
    """pyreadstat gives tagged missing values as 'a'/'A'/'_' strings in numeric columns: make them '.a'."""
    types = getattr(meta, "readstat_variable_types", {}) or {}
    for name in frame.columns:
        if types.get(name, "string") == "string":
            continue
        column = frame[name]
        if not (column.dtype == object or pd.api.types.is_string_dtype(column.dtype)):
            continue  # numbers, dates, datetimes: no tags in them
        if not any(isinstance(v, str) for v in column.array):
            continue
        values = column.astype(object).to_numpy(copy=True)
        for i, v in enumerate(values):
            if isinstance(v, str):
                values[i] = _tag(v)
        frame[name] = pd.Series(values, index=frame.index, dtype=object)
    return frame


def _read_readstat(path: Path, fmt: str, columns: Sequence[str] | None, encoding: str | None,
                   catalog: Path | None) -> _Raw:
    import pyreadstat  # lazy: heavy library, imported on use for import time

    kinds: dict[str, tuple[str, Callable[..., Any]]] = {"sav": ("SPSS .sav file", pyreadstat.read_sav), "zsav": ("SPSS .zsav file", pyreadstat.read_sav),
             "por": ("SPSS .por file", pyreadstat.read_por), "dta": ("Stata .dta file", pyreadstat.read_dta),
             "sas7bdat": ("SAS .sas7bdat file", pyreadstat.read_sas7bdat),
             "xpt": ("SAS transport .xpt file", pyreadstat.read_xport)}
    kind, func = kinds[fmt]
    kwargs: dict[str, Any] = {}
    if fmt in ("sav", "zsav", "dta", "sas7bdat"):
        kwargs["user_missing"] = True
    if encoding is not None:
        if fmt == "por":
            raise DataError(f"{path}: SPSS .por files carry no encoding setting; leave encoding out")
        kwargs["encoding"] = encoding
    _, head = _call_readstat(path, kind, func, encoding, metadataonly=True,
                             **{k: v for k, v in kwargs.items() if k == "encoding"})
    all_columns = list(head.column_names)
    usecols = _check_columns(path, columns, all_columns)
    if usecols is not None:
        kwargs["usecols"] = usecols
    frame, meta = _call_readstat(path, kind, func, encoding, **kwargs)
    if fmt == "xpt":
        _check_xport_rows(path, head, len(frame))
    if usecols is not None:
        frame = frame[usecols]
    catalog_labels = None
    if catalog is not None:
        catalog_labels = _catalog_labels(catalog, meta, encoding)
    frame = _tags_to_codes(frame, meta)
    codebook = _codebook_from_meta(meta, list(frame.columns), catalog_labels=catalog_labels)
    mr_sets = {name: dict(spec) for name, spec in (getattr(meta, "mr_sets", {}) or {}).items()}
    return _Raw(frame, codebook, all_columns, mr_sets, encoding or getattr(meta, "file_encoding", None))


_XPORT_RECORD = 80


_XPORT_HEADER = b"HEADER RECORD*******"


def _xport_header(data: mmap.mmap, name: bytes, start: int) -> int:
    """Offset of the first 80-byte-aligned header record ``name`` at or after ``start``, or -1."""
    pos = data.find(_XPORT_HEADER + name, start)
    while pos >= 0 and pos % _XPORT_RECORD:
        pos = data.find(_XPORT_HEADER + name, pos + 1)
    return pos


def _check_xport_rows(path: Path, meta: Any, n_read: int) -> None:
    """Raise DataError when a SAS transport file was cut short (readstat reads what is left).

    An XPORT file is a sequence of 80-byte records. Version 8 files state the row count in the
    ``OBSV8`` header, which must match the rows read. Version 5 files do not: there the bytes
    after the last complete row (up to the next member or the end) must be blank padding; a
    partial row means the file was cut. (A v5 file cut exactly at a row boundary that is also a
    record boundary cannot be told from a shorter file.)
    """
    size = path.stat().st_size
    if size % _XPORT_RECORD:
        raise DataError(
            f"{path}: SAS transport file is {size} bytes, not a whole number of 80-byte records; "
            f"it is truncated or damaged (found {n_read} rows); get a fresh copy of the file"
        )
    row_length = sum(int(w) for w in (getattr(meta, "variable_storage_width", {}) or {}).values())
    if size == 0 or row_length <= 0:
        return
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        obs = _xport_header(data, b"OBS", 0)
        if obs < 0:
            return
        start = obs + _XPORT_RECORD
        end = _xport_header(data, b"MEMB", start)
        end = size if end < 0 else end
        stated = data[obs + 48 : obs + 63].strip()
        if data[obs + 20 : obs + 25] == b"OBSV8" and stated.isdigit() and int(stated) > 0:
            if int(stated) != n_read:
                raise DataError(
                    f"{path}: SAS transport file states {int(stated)} rows but holds {n_read}; "
                    f"it is truncated or damaged; get a fresh copy of the file"
                )
            return
        tail = data[min(start + n_read * row_length, end) : end]
    if tail.strip(b" "):
        raise DataError(
            f"{path}: SAS transport file ends inside row {n_read + 1}: {n_read} complete rows found, "
            f"at least {n_read + 1} expected ({len(tail)} bytes of a partial row follow); the file "
            f"is truncated; get a fresh copy of the file"
        )


def _catalog_labels(catalog: Path, meta: Any, encoding: str | None) -> dict[str, dict[Any, str]]:
    import pyreadstat  # lazy: heavy library, imported on use for import time

    if not catalog.is_file():
        raise DataError(f"{catalog}: SAS catalog file does not exist")
    _, cat_meta = _call_readstat(catalog, "SAS .sas7bcat catalog", pyreadstat.read_sas7bcat, encoding,
                                 **({"encoding": encoding} if encoding else {}))
    formats = cat_meta.value_labels or {}
    out = {}
    for name, fmt_name in (getattr(meta, "variable_to_label", {}) or {}).items():
        if fmt_name in formats:
            out[name] = dict(formats[fmt_name])
    return out


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


def _read_csv(path: Path, columns: Sequence[str] | None, encoding: str | None,
              allow_short_rows: bool) -> _Raw:
    enc = encoding or "utf-8"
    header, fields = _csv_layout(path, enc)
    if not header:
        raise DataError(f"{path}: the CSV file is empty (no header row)")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{path}: duplicate column name(s) in the header: {', '.join(map(repr, dupes))}")
    _check_csv_rows(path, enc, header, fields, allow_short_rows)
    usecols = _check_columns(path, columns, header)
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
    return _Raw(frame, Codebook(), header, {}, enc)


def _read_parquet(path: Path, columns: Sequence[str] | None, encoding: str | None) -> _Raw:
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
        usecols = _check_columns(path, columns, [n for n in names if not n.startswith("__index_level_")])
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
    return _Raw(frame, Codebook(), all_columns, {}, "utf-8")


def _partition_labels(codebook: Codebook) -> Codebook:
    """Labels of discrete missing codes belong in ``missing``, not ``value_labels``.

    A Stata file has 8 = "Don't know" among its value labels; once a sidecar declares 8
    missing, the label moves to the missing code (unless the codebook gave one already).
    """
    out = []
    for var in codebook.values():
        overlap = set(var.value_labels) & set(var.missing)
        overlap_fr = set(var.value_labels_fr) & set(var.missing)
        if not overlap and not overlap_fr:
            out.append(var)
            continue
        missing = {c: (t or var.value_labels.get(c, "")) for c, t in var.missing.items()}
        missing_fr = dict(var.missing_fr)
        for c in overlap_fr:
            missing_fr.setdefault(c, var.value_labels_fr[c])
        out.append(replace(
            var, missing=missing, missing_fr=missing_fr,
            value_labels={c: t for c, t in var.value_labels.items() if c not in var.missing},
            value_labels_fr={c: t for c, t in var.value_labels_fr.items() if c not in var.missing},
        ))
    return Codebook(out, title=codebook.title, title_fr=codebook.title_fr)


def read_survey(
    path: str | Path,
    *,
    codebook: Codebook | str | Path | None = None,
    columns: Sequence[str] | None = None,
    encoding: str | None = None,
    catalog: str | Path | None = None,
    allow_short_rows: bool = False,
) -> Survey:
    """Read a survey file into a :class:`Survey`.

    ``path`` ends in one of ``.sav .zsav .por .dta .sas7bdat .xpt .csv .parquet``. ``codebook``
    (a Codebook or a TOML path) is merged onto the file's own metadata, fields set in the TOML
    winning; when it is None, ``<stem>.codebook.toml`` beside the file is used if it exists.
    ``columns`` keeps only those columns (in that order). ``encoding`` overrides the file's text
    encoding (CSV default UTF-8). ``catalog`` is a SAS ``.sas7bcat`` format catalog whose value
    labels apply to a ``.sas7bdat`` file (not looked for unless given).

    A file that was cut short is an error, never fewer rows: a CSV row with more or fewer
    fields than the header raises :class:`DataError` naming the row and line, unless
    ``allow_short_rows=True`` (CSV only), which reads the missing trailing fields of short rows as
    empty; a SAS transport file whose rows do not match its stated count, or that ends inside a
    row, raises too (SPSS, Stata and Parquet readers check their own row counts).

    Every problem raises a :class:`~citizensfirst.errors.CitizensFirstError` naming the file.

    >>> read_survey("no/such/file.sav")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: no/such/file.sav: no such file
    """
    path = Path(path)
    ext = file_extension(path)
    if ext not in READ_FORMATS:
        raise DataError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}; supported: "
            f"{supported_list(READ_FORMATS)}"
        )
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    if isinstance(columns, str):
        columns = [columns]
    catalog_path = Path(catalog) if catalog is not None else None
    if catalog_path is not None and ext != ".sas7bdat":
        raise DataError(f"{path}: catalog= is only for SAS .sas7bdat files")
    if allow_short_rows and ext != ".csv":
        raise DataError(f"{path}: allow_short_rows= is only for CSV files")
    if ext == ".csv":
        raw = _read_csv(path, columns, encoding, allow_short_rows)
    elif ext == ".parquet":
        raw = _read_parquet(path, columns, encoding)
    else:
        raw = _read_readstat(path, ext[1:], columns, encoding, catalog_path)

    overlay: Codebook | None
    mr_sets = raw.mr_sets
    if isinstance(codebook, Codebook):
        overlay, where = codebook, "the codebook given"
    elif codebook is not None:
        doc = _read_codebook_doc(Path(codebook))
        overlay, where = doc.codebook, str(codebook)
        mr_sets = mr_sets or doc.mr_sets
    elif sidecar_path(path).is_file():
        doc = _read_codebook_doc(sidecar_path(path))
        overlay, where = doc.codebook, str(sidecar_path(path))
        mr_sets = mr_sets or doc.mr_sets
    else:
        overlay, where = None, None
    if overlay is not None:
        # names first (against every column of the file, even those not selected)
        validate_codebook(overlay, pd.DataFrame(), columns=raw.all_columns,
                          source=f"{where} (for {path})")
        merged = _partition_labels(merge_codebooks(raw.codebook, overlay.select(raw.frame.columns)))
    else:
        merged = raw.codebook
    validate_codebook(merged, raw.frame, source=f"{path}" + (f" with codebook {where}" if where else ""))
    stat = path.stat()
    source = SourceInfo(path=path, size=stat.st_size, sha256=sha256_file(path), format=ext[1:],
                        encoding=raw.encoding)
    mr_sets = {k: v for k, v in mr_sets.items()
               if all(x in raw.frame.columns for x in v.get("variable_list", ()))}
    return Survey(raw.frame, merged, source=source, mr_sets=mr_sets)
