"""SPSS, Stata and SAS files through pyreadstat: reading with user-missing codes, and writing.

User-missing codes and ranges (SPSS) and tagged missing values (Stata/SAS ``.a``-``.z``, ``._``)
arrive as codes, recorded in the file's codebook.
"""

from __future__ import annotations

import mmap
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CodebookError, DataError
from .codebook import Codebook, Variable
from .codes import normalize_code
from .columns import column_kind, is_tagged_code
from .rawdata import RawData, ReadOptions, check_columns
from .survey import Survey


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


def read_readstat(path: Path, options: ReadOptions, *, fmt: str) -> RawData:
    """Read an SPSS, Stata or SAS file (``fmt``: its suffix without the dot) with pyreadstat.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    options : ReadOptions
        The read options (columns, encoding, catalog).
    fmt : str
        The file's suffix without the dot (``"sav"``, ``"dta"``, ``"xpt"``, ...).

    Returns
    -------
    RawData
        The data, the file's own codebook, all its column names, multiple-response sets (as
        pyreadstat gives them) and encoding.

    Raises
    ------
    DataError
        If the file cannot be read.
    """
    import pyreadstat  # lazy: heavy library, imported on use for import time

    columns, encoding, catalog = options.columns, options.encoding, options.catalog

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
    usecols = check_columns(path, columns, all_columns)
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
    # SPSS multiple-response sets as pyreadstat gives them; read_survey keeps those whose variables
    # were all read and adds them to the survey's codebook (a codebook's set of the same name wins)
    mr_sets = {name: dict(spec) for name, spec in (getattr(meta, "mr_sets", {}) or {}).items()}
    return RawData(frame, codebook, all_columns, mr_sets, encoding or getattr(meta, "file_encoding", None))


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


def _spss_missing(var: Variable, kind: str, path: Path) -> list[Any]:
    discrete = [c for c in var.missing if not is_tagged_code(c)]
    spans = list(var.missing_ranges)
    if kind == "string":
        discrete = [str(c) for c in discrete]
        if len(discrete) > 3:
            raise CodebookError(
                f"{path}: variable {var.name!r} has {len(discrete)} missing codes; SPSS allows at "
                f"most 3 for a text variable"
            )
        return discrete
    discrete = [c for c in discrete
                if isinstance(c, str) or not any(lo <= c <= hi for lo, hi in spans)]
    if len(spans) > 1 or (spans and len(discrete) > 1) or len(discrete) > 3:
        raise CodebookError(
            f"{path}: variable {var.name!r} has missing codes {discrete} and ranges {spans}; SPSS "
            f"allows at most 3 discrete codes, or one range plus one discrete code"
        )
    out: list[Any] = [{"lo": lo, "hi": hi} for lo, hi in spans]
    out.extend(discrete)
    return out


def _labels_for_file(var: Variable, kind: str) -> dict[Any, str]:
    labels: dict[Any, str] = {}
    for code, text in var.missing.items():
        if text:
            labels[code] = text
    labels.update(var.value_labels)
    if kind == "string":
        return {str(k): v for k, v in labels.items()}
    return {k: v for k, v in labels.items() if not isinstance(k, str) or is_tagged_code(k)}


def _drop_tags(frame: pd.DataFrame, path: Path, fmt: str) -> pd.DataFrame:
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object:
            continue
        tags = [v for v in column.array if is_tagged_code(v)]
        if tags:
            warnings.warn(
                f"{path}: {fmt} cannot store tagged missing codes; {len(tags)} cells of {name!r} "
                f"({sorted(set(tags))}) are written as system missing (the sidecar codebook keeps "
                f"the codes' labels, not the cells)",
                stacklevel=3,
            )
            values = column.to_numpy(copy=True)
            values[[is_tagged_code(v) for v in values]] = np.nan
            frame[name] = pd.to_numeric(pd.Series(values, index=frame.index))
    return frame


def write_sav(survey: Survey, frame: pd.DataFrame, out: Path, path: Path, *, compress: bool = False) -> None:
    """Write ``frame`` as an SPSS ``.sav`` (``compress``: ``.zsav``) file with labels and missing codes.

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
    compress : bool, default False
        Write a compressed ``.zsav`` file.
    """
    import pyreadstat  # lazy: heavy library, imported on use for import time

    frame = _drop_tags(frame, path, "SPSS")
    labels: dict[str, str] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    for name in frame.columns:
        var = survey.codebook.get_variable(name)
        kind = column_kind(frame[name])
        if var.label:
            labels[name] = var.label
        vl = _labels_for_file(var, kind)
        vl = {k: v for k, v in vl.items() if not is_tagged_code(k)}
        if vl:
            value_labels[name] = vl
        miss = _spss_missing(var, kind, path)
        if miss:
            missing[name] = miss
        if var.measure:
            measure[name] = var.measure
    pyreadstat.write_sav(
        frame, str(out), file_label=survey.codebook.title or "",
        column_labels={n: labels.get(n) for n in frame.columns},
        compress=compress, variable_value_labels=value_labels or None,
        missing_ranges=missing or None, variable_measure=measure or None,
    )


def write_dta(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
    """Write ``frame`` as a Stata ``.dta`` file with labels and tagged missing codes.

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
    import pyreadstat  # lazy: heavy library, imported on use for import time

    labels, value_labels, tagged = {}, {}, {}
    for name in frame.columns:
        var = survey.codebook.get_variable(name)
        kind = column_kind(frame[name])
        if var.label:
            labels[name] = var.label
        column = frame[name]
        tags_here: set[str] = set()
        if column.dtype == object and kind == "numeric":
            values = column.to_numpy(copy=True)
            for i, v in enumerate(values):
                if is_tagged_code(v):
                    letter = v[1:].lower()
                    if letter == "_":
                        warnings.warn(f"{path}: Stata has no '._' missing code; {name!r} cells "
                                      f"holding it are written as system missing", stacklevel=3)
                        values[i] = np.nan
                    else:
                        values[i] = letter
                        tags_here.add(letter)
            frame[name] = pd.Series(values, index=frame.index, dtype=object)
        if tags_here:
            tagged[name] = sorted(tags_here)
        vl = {}
        for code, text in _labels_for_file(var, kind).items():
            if is_tagged_code(code):
                if code[1:].lower() in tags_here:
                    vl[code[1:].lower()] = text
            elif kind == "numeric" and isinstance(code, float):
                continue  # Stata value labels are integers only (the sidecar keeps it)
            else:
                vl[code] = text
        if vl and kind == "numeric":
            value_labels[name] = vl
    try:
        pyreadstat.write_dta(
            frame, str(out), file_label=survey.codebook.title or "",
            column_labels={n: labels.get(n) for n in frame.columns},
            variable_value_labels=value_labels or None, missing_user_values=tagged or None,
        )
    except Exception as err:  # pyreadstat raises several unrelated types here
        raise DataError(f"{path}: cannot write as Stata .dta: {err}") from None
