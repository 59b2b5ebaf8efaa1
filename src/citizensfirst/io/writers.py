"""Writing a :class:`~citizensfirst.io.survey.Survey` to a file, labels and missing codes put back."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CitizensFirstError, CodebookError, DataError
from ..fileutil import atomic_output, atomic_write_text
from .codebook import Variable
from .formats import PARQUET_TAGS_KEY, WRITE_FORMATS, file_extension, sidecar_path, supported_list
from .survey import (
    Survey,
    column_kind,
    is_tagged_code,
)


def _codebook_toml(survey: Survey) -> str:
    import tomli_w  # lazy: heavy library, imported on use for import time

    doc = survey.codebook.to_dict()
    if survey.mr_sets:
        sets = {}
        for name, spec in survey.mr_sets.items():
            sets[name] = {k: (list(v) if isinstance(v, tuple | list) else v)
                          for k, v in spec.items() if v is not None}
        doc.setdefault("survey", {})["mr_sets"] = sets
    return tomli_w.dumps(doc)


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


def _write_sav(survey: Survey, frame: pd.DataFrame, out: Path, path: Path, compress: bool) -> None:
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


def _write_dta(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
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


def _write_csv(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
    frame.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")


def _write_parquet(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
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


def write_survey(survey: Survey, path: str | Path, *, sidecar: bool = True) -> None:
    """Write ``survey`` to ``path`` (``.sav .zsav .dta .csv .parquet``), missing codes restored.

    Cells whose answer was a missing code are written as that code (a "don't know" is written as
    8, and 8 is declared user-missing in ``.sav``). Unless ``sidecar=False``, the codebook is also
    written to ``<stem>.codebook.toml`` (for CSV and Parquet it is the only place the labels and
    missing codes live; for ``.sav`` it adds what SPSS cannot hold: French wording, scales, CMT
    dimensions; for ``.dta`` it also declares the numeric missing codes, which Stata has no way to
    mark). Writes are atomic: on error no partial file is left.

    Limitations: ``.sav`` cannot hold tagged missing codes (written as system missing, with a
    warning) nor MR sets; ``.dta`` keeps numeric missing codes as plain values (only the sidecar
    marks them missing) and integer value labels only; CSV turns dates into text.

    >>> write_survey(Survey(pd.DataFrame({"a": [1]})), "out.xlsx")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: out.xlsx: cannot write file type '.xlsx'; supported: .sav, .zsav, .dta, .csv, .parquet
    """
    path = Path(path)
    ext = file_extension(path)
    if ext not in WRITE_FORMATS:
        raise DataError(f"{path}: cannot write file type {ext or '(no extension)'!r}; supported: "
                        f"{supported_list(WRITE_FORMATS)}")
    if not isinstance(survey, Survey):
        raise DataError(f"{path}: write_survey needs a Survey, got {type(survey).__name__}")
    bad = [c for c in survey.columns if not isinstance(c, str)]
    if bad:
        raise DataError(f"{path}: column names must be text, got {bad}")
    frame = survey.with_missing_codes()
    with atomic_output(path) as out:
        try:
            if ext in (".sav", ".zsav"):
                _write_sav(survey, frame, out, path, compress=ext == ".zsav")
            elif ext == ".dta":
                _write_dta(survey, frame, out, path)
            elif ext == ".csv":
                _write_csv(survey, frame, out, path)
            else:
                _write_parquet(survey, frame, out, path)
        except CitizensFirstError:
            raise
        except Exception as err:  # pyreadstat/pyarrow raise assorted types; name the file
            raise DataError(f"{path}: cannot write: {type(err).__name__}: {err}") from None
    if sidecar:
        atomic_write_text(sidecar_path(path), _codebook_toml(survey))
