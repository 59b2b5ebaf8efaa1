"""The :class:`Survey`: a data frame, its codebook, and the missing codes its cells held.

A survey file stores "Don't know" as a code (8, say) that is declared missing. In a
:class:`Survey` such cells are ``NaN`` in :attr:`Survey.data`, so no statistic can mistake an 8
for a rating, while the code each cell held is kept aside: :meth:`Survey.missing_counts` counts
them and :meth:`Survey.with_missing_codes` (which the writers use) puts them back.

Missing codes are numbers (SPSS user-missing values and ranges) or *tagged* missing values of
Stata (``".a"`` to ``".z"``) and SAS (``".A"`` to ``".Z"``, ``"._"``), written as strings.

>>> import pandas as pd
>>> from citizensfirst.io.codebook import Codebook, Variable
>>> df = pd.DataFrame({"q1": [1, 5, 8, 9, None]})
>>> cb = Codebook([Variable("q1", missing={8: "Don't know", 9: "Refused"})])
>>> s = Survey(df, cb)
>>> s.data["q1"].tolist()
[1.0, 5.0, nan, nan, nan]
>>> s.missing_counts("q1").tolist()
[1, 1, 1]
>>> s.with_missing_codes()["q1"].tolist()
[1.0, 5.0, 8.0, 9.0, nan]
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionDtype

from ..errors import DataError
from .codebook import Codebook, Variable
from .codebook_checks import validate_codebook
from .codes import Code, normalize_code
from .columns import column_kind, is_tagged_code
from .mrsets import as_mr_sets

SYSTEM_MISSING = "."
SYSTEM_MISSING_LABELS = {"en": "System missing", "fr": "Valeur manquante système"}


@dataclass(frozen=True)
class SourceInfo:
    """Where a survey came from: file path, size in bytes, SHA-256 of its bytes, format, encoding."""

    path: Path | None = None
    size: int | None = None
    sha256: str | None = None
    format: str | None = None
    encoding: str | None = None

    @property
    def name(self) -> str:
        """The file name, or ``"<data frame>"`` for a survey built in memory.

        Returns
        -------
        str
            The file name.
        """
        return self.path.name if self.path is not None else "<data frame>"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict.

        Returns
        -------
        dict
            The fields, the path as a string.
        """
        return {
            "path": None if self.path is None else str(self.path),
            "size": self.size,
            "sha256": self.sha256,
            "format": self.format,
            "encoding": self.encoding,
        }


def _numeric_value(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return None


def _split_column(values: pd.Series, var: Variable, kind: str) -> tuple[pd.Series, pd.Series]:
    """Return (column with missing-code cells as NaN, codes at their row positions)."""
    discrete = list(var.missing)
    tagged = [c for c in discrete if is_tagged_code(c)]
    if kind == "numeric" and not values.dtype == object and not tagged:
        numeric_codes = [c for c in discrete if not isinstance(c, str)]
        mask = values.isin(numeric_codes).to_numpy(dtype=bool, copy=True)
        for lo, hi in var.missing_ranges:
            mask = mask | values.between(lo, hi).fillna(False).to_numpy(dtype=bool)
        hits = np.flatnonzero(mask)
        codes = pd.Series([normalize_code(v) for v in values.to_numpy()[hits]],
                          index=hits, dtype=object)
        if len(hits):
            out = values.astype("float64") if not pd.api.types.is_float_dtype(values.dtype) else values.copy()
            out.iloc[hits] = np.nan
            return out, codes
        return values, codes
    # object/string columns (and numeric columns carrying tagged codes): cell by cell
    code_set = set(discrete)
    positions: list[int] = []
    found: list[Code] = []
    for pos, value in enumerate(values.array):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            continue
        code = normalize_code(value)
        number = _numeric_value(code) if not isinstance(code, str) else None
        if code in code_set or (
            number is not None and any(lo <= number <= hi for lo, hi in var.missing_ranges)
        ):
            positions.append(pos)
            # text columns keep the cell's own text so it can be written back unchanged
            found.append(value if kind == "string" else code)
    codes = pd.Series(found, index=np.asarray(positions, dtype=np.int64), dtype=object)
    out = values.copy()
    if positions:
        out.iloc[positions] = None
    if kind == "numeric":
        try:
            out = pd.to_numeric(out, errors="raise").astype("float64")
        except (ValueError, TypeError) as err:
            raise DataError(
                f"column {var.name!r} holds tagged missing codes but also text that is not a "
                f"number: {err}"
            ) from None
    return out, codes


class Survey:
    """Survey data with its codebook; missing-code cells are NaN in :attr:`data`, codes kept aside.

    ``Survey(data, codebook)`` copies nothing the caller can see change: ``data`` is never
    modified. Every codebook variable must be a column; columns the codebook does not list get a
    bare :class:`Variable`. Cells holding a code that the codebook declares missing (discrete
    codes, ranges, tagged codes such as ``".a"``) become NaN and their codes are stored.

    Parameters
    ----------
    data : pandas.DataFrame
        The data, missing codes in their cells; never modified.
    codebook : Codebook or None, optional
        The codebook (None: an empty one).
    source : SourceInfo or None, optional
        Where the data came from (None: built in memory).
    mr_sets : mapping or None, optional
        Multiple-response sets (records or pyreadstat dicts) joining the codebook's, which win by name.
    copy : bool, default True
        Copy ``data`` (so nothing the caller does to it reaches the survey). False hands the
        frame over: for a frame nobody else holds, such as one a reader has just made (no
        second copy of a large file in memory).

    Raises
    ------
    DataError
        If ``data`` is not a DataFrame, has duplicate column names, or a column mixes tagged
        missing codes with text that is not a number.
    CodebookError
        If the codebook does not fit the data.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Survey(pd.DataFrame({"q": [1.0, 2.0]}))
    >>> s
    Survey(2 rows x 1 columns, source=<data frame>)
    >>> s.data = None
    Traceback (most recent call last):
    ...
    AttributeError: Survey attributes are read-only; build a new Survey instead
    """

    __slots__ = ("_codebook", "_codes", "_data", "_source")
    _codebook: Codebook
    _codes: dict[str, pd.Series]
    _data: pd.DataFrame
    _source: SourceInfo

    def __init__(
        self,
        data: pd.DataFrame,
        codebook: Codebook | None = None,
        *,
        source: SourceInfo | None = None,
        mr_sets: Mapping[str, Mapping[str, Any]] | None = None,
        copy: bool = True,
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"Survey needs a pandas DataFrame, got {type(data).__name__}")
        source = source or SourceInfo()
        where = str(source.path) if source.path is not None else "data"
        duplicated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        if duplicated:
            raise DataError(f"{where}: duplicate column name(s) {duplicated}; rename them first")
        codebook = codebook if codebook is not None else Codebook()
        if mr_sets:
            codebook = Codebook(codebook.values(), title=codebook.title, title_fr=codebook.title_fr,
                                mr_sets={**as_mr_sets(mr_sets), **codebook.mr_sets})
        validate_codebook(codebook, data, source=where)
        frame = data.copy(deep=True) if copy else data
        codes: dict[str, pd.Series] = {}
        for name in frame.columns:
            var = codebook.get_variable(name)
            if not var.missing and not var.missing_ranges:
                continue
            kind = column_kind(frame[name])
            try:
                column, found = _split_column(frame[name], var, kind)
            except DataError as err:
                raise DataError(f"{where}: {err}") from None
            frame[name] = column
            if len(found):
                codes[name] = found
        full = Codebook((codebook.get_variable(str(n)) for n in frame.columns),
                        title=codebook.title, title_fr=codebook.title_fr, mr_sets=codebook.mr_sets)
        _assemble(self, frame, full, codes, source)

    def __setattr__(self, name: str, value: Any) -> None:
        """Refuse: a survey is immutable.

        Parameters
        ----------
        name : str
            The attribute.
        value : Any
            The value.

        Raises
        ------
        AttributeError
            Always.
        """
        raise AttributeError("Survey attributes are read-only; build a new Survey instead")

    def __delattr__(self, name: str) -> None:
        """Refuse: a survey is immutable.

        Parameters
        ----------
        name : str
            The attribute.

        Raises
        ------
        AttributeError
            Always.
        """
        raise AttributeError("Survey attributes are read-only; build a new Survey instead")

    # -- read-only views -------------------------------------------------------------------
    @property
    def data(self) -> pd.DataFrame:
        """The data, missing-code cells as NaN (a copy-on-write view: changing it leaves the survey alone).

        Returns
        -------
        pandas.DataFrame
            A shallow copy of the data.
        """
        return self._data.copy(deep=False)

    @property
    def codebook(self) -> Codebook:
        """The codebook, one variable per column, in column order.

        Returns
        -------
        Codebook
            The codebook.
        """
        return self._codebook

    @property
    def source(self) -> SourceInfo:
        """Where the data came from (path, size, sha256, format).

        Returns
        -------
        SourceInfo
            The source record.
        """
        return self._source

    @property
    def mr_sets(self) -> Mapping[str, Mapping[str, Any]]:
        """The codebook's multiple-response sets in pyreadstat's form (name -> type, variable_list, ...).

        Returns
        -------
        mapping
            The sets, by name (records: ``codebook.mr_sets``).
        """
        return MappingProxyType({k: s.to_pyreadstat() for k, s in self._codebook.mr_sets.items()})

    @property
    def missing_codes(self) -> dict[str, pd.Series]:
        """Column -> Series of the missing codes its cells held, indexed like :attr:`data`.

        Returns
        -------
        dict of str to pandas.Series
            The codes, by column.
        """
        return {
            name: pd.Series(found.to_numpy(), index=self._data.index[found.index.to_numpy()],
                            name=name, dtype=object)
            for name, found in self._codes.items()
        }

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns).

        Returns
        -------
        tuple of (int, int)
            The number of rows and columns.
        """
        return self._data.shape

    @property
    def columns(self) -> list[str]:
        """Column names.

        Returns
        -------
        list of str
            The column names, in order.
        """
        return [str(c) for c in self._data.columns]

    def __len__(self) -> int:
        """The number of rows.

        Returns
        -------
        int
            The number of rows.
        """
        return len(self._data)

    # -- derived frames ----------------------------------------------------------------------
    def with_missing_codes(self) -> pd.DataFrame:
        """A copy of the data with every missing code put back in its cell (for writing files).

        Numeric columns stay numeric; a numeric column holding tagged codes (``".a"``) becomes an
        object column mixing numbers and those strings.

        Returns
        -------
        pandas.DataFrame
            The data with its missing codes.
        """
        frame = self._data.copy(deep=True)
        for name, found in self._codes.items():
            column = frame[name]
            text_codes = any(isinstance(c, str) for c in found)
            dtype: np.dtype | ExtensionDtype | type[object]
            if pd.api.types.is_numeric_dtype(column.dtype) and not text_codes:
                dtype = column.dtype
            elif column_kind(column) == "string" or pd.api.types.is_string_dtype(column.dtype):
                dtype = column.dtype  # a text column gets its text codes back
            else:
                dtype = object  # numbers mixed with tagged codes (".a")
            values = column.to_numpy(dtype=object, copy=True)
            values[found.index.to_numpy()] = found.to_numpy()
            frame[name] = pd.Series(values, index=frame.index, name=name, dtype=dtype)
        return frame

    def missing_counts(self, var: str, language: str = "en") -> pd.Series:
        """Cells per missing code of ``var`` (declared codes, codes seen in ranges, tags) and
        system-missing cells, indexed by (code, label); system missing has code ``"."``.

        Parameters
        ----------
        var : str
            The column.
        language : str, default "en"
            Language of the labels ("en" or "fr").

        Returns
        -------
        pandas.Series
            int64 counts indexed by (code, label).

        Raises
        ------
        DataError
            If ``var`` is not a column.

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst.io.codebook import Codebook, Variable
        >>> cb = Codebook([Variable("q", missing={8: "Don't know", 9: "Refused"},
        ...                         missing_ranges=[(90, 99)])])
        >>> counts = Survey(pd.DataFrame({"q": [1, 8, 8, 95, None]}), cb).missing_counts("q")
        >>> for (code, label), n in counts.items():
        ...     print(code, repr(label), n)
        8 "Don't know" 2
        9 'Refused' 0
        95 '' 1
        . 'System missing' 1
        """
        if var not in self._data.columns:
            raise DataError(f"no column {var!r}; columns: {', '.join(self.columns[:30])}")
        v = self._codebook.get_variable(var)
        labels = dict(v.value_labels_in(language))
        labels.update(v.missing)
        if language == "fr":
            labels.update(v.missing_fr)
        found = self._codes.get(var, pd.Series([], dtype=object))
        counts: dict[Code, int] = dict.fromkeys(v.missing, 0)
        for raw in found:
            code = normalize_code(raw)
            counts[code] = counts.get(code, 0) + 1
        order = sorted(counts, key=lambda c: (isinstance(c, str), c if not isinstance(c, str) else 0,
                                              str(c)))
        system = int(self._data[var].isna().sum()) - len(found)
        index = [(c, labels.get(c, "")) for c in order]
        index.append((SYSTEM_MISSING, SYSTEM_MISSING_LABELS.get(language, SYSTEM_MISSING_LABELS["en"])))
        values = [counts[c] for c in order] + [system]
        return pd.Series(values, index=pd.MultiIndex.from_tuples(index, names=["code", "label"]),
                         name=var, dtype="int64")

    def labelled(self, language: str = "en") -> pd.DataFrame:
        """A copy of the data where value-labelled columns are Categoricals (categories in code
        order, ordered for ordinal variables); values without a label keep their code as text.

        Parameters
        ----------
        language : str, default "en"
            Language of the labels ("en" or "fr").

        Returns
        -------
        pandas.DataFrame
            The labelled copy.

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst.io.codebook import Codebook, Variable
        >>> cb = Codebook([Variable("sex", value_labels={1: "Male", 2: "Female"},
        ...                         value_labels_fr={1: "Homme", 2: "Femme"})])
        >>> Survey(pd.DataFrame({"sex": [2, 1]}), cb).labelled("fr")["sex"].tolist()
        ['Femme', 'Homme']
        """
        frame = self._data.copy(deep=True)
        for name in frame.columns:
            var = self._codebook.get_variable(name)
            labels = {c: lab for c, lab in var.value_labels_in(language).items()
                      if c not in var.missing}
            if not labels:
                continue
            column = frame[name]
            present = [normalize_code(x) for x in column.dropna().unique()]
            codes = set(labels) | set(present)
            ordered = sorted(codes, key=lambda c: (isinstance(c, str), c if not isinstance(c, str) else 0, str(c)))
            categories: list[str] = []
            mapping: dict[Code, str] = {}
            for code in ordered:
                text = labels.get(code, str(code))
                mapping[code] = text
                if text not in categories:
                    categories.append(text)
            mapped = [None if pd.isna(x) else mapping[normalize_code(x)] for x in column.array]
            frame[name] = pd.Categorical(mapped, categories=categories,
                                         ordered=var.measure == "ordinal")
        return frame

    as_categoricals = labelled

    def with_codebook(self, codebook: Codebook) -> Survey:
        """A new survey from this one's data (missing codes restored) under ``codebook``.

        Parameters
        ----------
        codebook : Codebook
            The new codebook.

        Returns
        -------
        Survey
            The new survey.

        Raises
        ------
        CodebookError
            If the codebook does not fit the data.
        """
        return Survey(self.with_missing_codes(), codebook, source=self._source)

    def select(self, columns: Iterable[str]) -> Survey:
        """A new survey with only ``columns`` (unknown names raise :class:`DataError`).

        Parameters
        ----------
        columns : iterable of str
            The columns to keep, in order.

        Returns
        -------
        Survey
            The new survey.

        Raises
        ------
        DataError
            If a name is not a column.
        """
        columns = list(columns)
        unknown = [c for c in columns if c not in self._data.columns]
        if unknown:
            raise DataError(
                f"{self._source.name}: unknown column(s) {unknown}; columns: {', '.join(self.columns[:30])}"
            )
        codes = {k: v for k, v in self._codes.items() if k in columns}
        new = object.__new__(Survey)
        _assemble(new, self._data[columns].copy(), self._codebook.select(columns), codes, self._source)
        return new

    # -- display ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        rows, cols = self._data.shape
        src = self._source
        text = f"Survey({rows} rows x {cols} columns, source={src.name}"
        if src.format:
            text += f" [{src.format}"
            text += f", sha256 {src.sha256[:12]}]" if src.sha256 else "]"
        n_codes = sum(len(v) for v in self._codes.values())
        if n_codes:
            text += f", {n_codes} missing-code cells in {len(self._codes)} columns"
        return text + ")"

    def _repr_html_(self) -> str:
        rows = []
        for name in list(self._data.columns)[:50]:
            var = self._codebook.get_variable(name)
            n_codes = len(self._codes.get(name, ()))
            rows.append(
                "<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in (
                    name, var.label or "", self._data[name].dtype, int(self._data[name].notna().sum()),
                    n_codes, len(var.value_labels))) + "</tr>"
            )
        more = "" if self._data.shape[1] <= 50 else f"<p>... {self._data.shape[1] - 50} more columns</p>"
        head = "".join(f"<th>{h}</th>" for h in
                       ("variable", "label", "dtype", "valid", "missing codes", "value labels"))
        return (f"<p><b>{html.escape(repr(self))}</b></p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>{more}")


# Survey is immutable (its __setattr__ raises): the constructor and select() fill a new one here.
def _assemble(survey: Survey, frame: pd.DataFrame, codebook: Codebook, codes: dict[str, pd.Series],
              source: SourceInfo) -> None:
    object.__setattr__(survey, "_data", frame)
    object.__setattr__(survey, "_codebook", codebook)
    object.__setattr__(survey, "_codes", codes)
    object.__setattr__(survey, "_source", source)
