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

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CodebookError, DataError
from ..fileutil import sha256_file
from .codebook import Codebook
from .codebook_checks import merge_codebooks, validate_codebook
from .formats import FORMATS, file_extension, read_formats, sidecar_path, supported_list
from .rawdata import ReadOptions
from .survey import SourceInfo, Survey


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
    """Read a codebook TOML file (see :mod:`citizensfirst.codebook` for the format).

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file.

    Returns
    -------
    Codebook
        The codebook.

    Raises
    ------
    CodebookError
        If the file cannot be read or its content is invalid.
    """
    return Codebook.from_toml(path)


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
    return Codebook(out, title=codebook.title, title_fr=codebook.title_fr, mr_sets=codebook.mr_sets)


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

    Parameters
    ----------
    path : str or pathlib.Path
        The survey file.
    codebook : Codebook or str or pathlib.Path or None, optional
        A codebook (or its TOML file) merged onto the file's own metadata.
    columns : sequence of str or None, optional
        The columns to keep, in order (None: all).
    encoding : str or None, optional
        Text encoding of the file (None: the file's own; UTF-8 for CSV).
    catalog : str or pathlib.Path or None, optional
        A SAS ``.sas7bcat`` format catalog for a ``.sas7bdat`` file.
    allow_short_rows : bool, default False
        CSV only: read the missing trailing fields of short rows as empty.

    Returns
    -------
    Survey
        The data with its codebook and source record.

    Raises
    ------
    DataError
        If the file is missing, of an unsupported type, cut short or unreadable.
    CodebookError
        If the codebook is invalid or does not fit the data.

    Examples
    --------
    >>> read_survey("no/such/file.sav")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: no/such/file.sav: no such file
    """
    path = Path(path)
    ext = file_extension(path)
    fmt = FORMATS.get(ext)
    if fmt is None or fmt.read is None:
        raise DataError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}; supported: "
            f"{supported_list(read_formats(FORMATS))}"
        )
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    if isinstance(columns, str):
        columns = [columns]
    options = ReadOptions(columns=columns, encoding=encoding,
                          catalog=Path(catalog) if catalog is not None else None,
                          allow_short_rows=allow_short_rows)
    for option, given in (("catalog", catalog is not None), ("allow_short_rows", allow_short_rows)):
        if given and option not in fmt.options:
            takers = " and ".join(f.name for f in FORMATS.values() if option in f.options)
            raise DataError(f"{path}: {option}= is only for {takers} files")
    raw = fmt.read(path, options)

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
    return Survey(raw.frame, merged, source=source, mr_sets=mr_sets, copy=False)  # the reader's own frame
