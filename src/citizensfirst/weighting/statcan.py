"""Raking margins from Statistics Canada tables, read as the agency's download service delivers them.

**The format.** A "full table" download (``https://www150.statcan.gc.ca/n1/tbl/csv/<pid>-eng.zip``)
is one CSV in UTF-8 (a byte-order mark is allowed), CRLF line ends, one row per cell::

    REF_DATE,GEO,DGUID,<dimension 1>,...,<dimension k>,UOM,UOM_ID,SCALAR_FACTOR,SCALAR_ID,
    VECTOR,COORDINATE,VALUE,STATUS,SYMBOL,TERMINATED,DECIMALS

The dimension columns are the ones between ``DGUID`` (or ``GEO``) and ``UOM``, e.g. ``Gender``
and ``Age group`` in table 17-10-0005-01, ``Employment size ranges`` and ``North American
Industry Classification System (NAICS)`` in the Canadian Business Counts tables.

**The rules** (:func:`from_statcan`, :func:`business_counts`):

* ``ref_date``: one reference period (``REF_DATE``); default the latest in the file.
* Geography: ``GEO`` names (English or French) map to the SGC codes of the provinces and
  territories (10 NL, 11 PE, 12 NS, 13 NB, 24 QC, 35 ON, 46 MB, 47 SK, 48 AB, 59 BC, 60 YT,
  61 NT, 62 NU); ``Canada`` is the total.
* A margin level is one label, a list of labels (summed), or a range ``(low, high)`` (``high``
  None: open) summed from the rows whose labels are numeric ranges ("18 years", "20 to 24
  years", "100 years and older", "500 plus employees"): the finest rows that tile the range are
  used (single years where the table has them), and a range they cannot tile is an error.
* Every other dimension is held at its total ("Canada", "All ages", a "Total ..." label) unless
  ``universe=`` fixes it, e.g. ``{"Age group": (18, None)}`` for adults.
* ``VALUE`` x 10^``SCALAR_ID`` (``SCALAR_FACTOR`` units, tens, hundreds, thousands, ... millions):
  margins are always in units. Only counts are summed: a ``UOM`` in years, percent, dollars or
  rates is refused.
* ``STATUS``: ``..`` (not available), ``...`` (not applicable), ``x`` (suppressed under the
  Statistics Act) and ``F`` (too unreliable to be published), or an empty ``VALUE``, raise a
  :class:`~citizensfirst.errors.DataError` naming the row; with ``unavailable="exclude"`` the
  row is left out of its sum instead (a :class:`TargetWarning` lists them: the margin is then an
  undercount). ``E`` (use with caution) gives a :class:`TargetWarning`; quality grades ``A`` to
  ``D`` and ``0s`` (rounded to zero) are used as they are. ``SYMBOL`` ``p`` (preliminary) and
  ``r`` (revised) values are kept and noted in the source's ``note``; ``TERMINATED`` ``t`` too;
  any other ``SYMBOL``, or a ``SCALAR_ID`` that disagrees with ``SCALAR_FACTOR``, is an error.
* A missing column, a non-numeric or negative ``VALUE``, an unknown status or scalar, a repeated
  cell or a missing combination is a :class:`~citizensfirst.errors.DataError` naming the file,
  the line, the column and the value.

The margins come back as counts in a :class:`~citizensfirst.weighting.report.CitedMargins`: a
``{column: {code: count}}`` dict whose ``source`` (table, title, reference date) the raking
report prints.

**Tables.** Statistics Canada. Table 17-10-0005-01 Population estimates on July 1, by age and
gender. DOI https://doi.org/10.25318/1710000501-eng. The Canadian Business Counts, with
employees (Business Register; tables 33-10-..., a new table for every reference period): counts
of establishments by employment size range, industry (NAICS sectors) and province or territory.
Both under the Open Government Licence - Canada.

>>> from citizensfirst.weighting.targetdata import data_path
>>> m = from_statcan(data_path("17100005_adults_2025.csv"), {"prov": "GEO"},
...                  universe={"Age group": (18, None)})
>>> m["prov"][24], m.source.table
(7383530.0, '17-10-0005-01')
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import DataError
from .report import CitedMargins, TargetSource
from .targetdata import provinces_table

__all__ = ["FullTable", "TargetWarning", "business_counts", "cite", "from_statcan", "read_full_table",
           "table_margins"]

Member = str | int | tuple[int | None, int | None] | Sequence[str | int]
"""A margin level: a label, an SGC code (``GEO``), a range ``(low, high)`` or a list of these."""
Spec = str | tuple[str, Mapping[Any, Member]]
"""A margin: a dimension column (every level), or the column and ``{code: member}``."""

REQUIRED = ("REF_DATE", "GEO", "UOM", "SCALAR_FACTOR", "VALUE", "STATUS", "SYMBOL")
"""Columns every full-table CSV must have."""
TRAILING = ("UOM", "UOM_ID", "SCALAR_FACTOR", "SCALAR_ID", "VECTOR", "COORDINATE", "VALUE", "STATUS",
            "SYMBOL", "TERMINATED", "DECIMALS")
UNAVAILABLE = {"..": "not available for this reference period", "...": "not applicable",
               "x": "suppressed to meet the confidentiality requirements of the Statistics Act",
               "F": "too unreliable to be published"}
"""``STATUS`` symbols whose value cannot be used."""
USABLE = {"", "A", "B", "C", "D", "0s", "E"}
"""``STATUS`` symbols whose value is used (quality grades A-D, rounded to zero, E with a warning)."""
NOTED = {"p": "preliminary", "r": "revised"}
"""``SYMBOL`` values kept and noted in the source."""
SCALARS = {"units": 0, "tens": 1, "hundreds": 2, "thousands": 3, "tens of thousands": 4,
           "hundreds of thousands": 5, "millions": 6, "tens of millions": 7,
           "hundreds of millions": 8, "billions": 9}
"""``SCALAR_FACTOR`` -> power of ten."""
_NOT_COUNTS = re.compile(r"year|percent|rate|dollar|index|ratio|average|median", re.I)
_SPAN = re.compile(r"^(\d[\d,]*)\s+to\s+(\d[\d,]*)\b")
_OPEN = re.compile(r"^(\d[\d,]*)\b.*\b(and older|and over|or older|or more|plus)\b|^(\d[\d,]*)\s*\+")
_SINGLE = re.compile(r"^(\d[\d,]*)\s+[a-z]+$")
_TOTAL = re.compile(r"^(total|all )", re.I)


class TargetWarning(UserWarning):
    """A value used in the targets is flagged by Statistics Canada (E, or excluded as unavailable)."""


@dataclass(frozen=True)
class FullTable:
    """A full-table CSV at one reference date: its rows as text, and where they came from."""

    path: Path
    frame: pd.DataFrame
    dimensions: tuple[str, ...]
    ref_date: str
    labels: Mapping[str, tuple[str, ...]]

    def levels(self, dimension: str) -> list[str]:
        """The labels of ``dimension`` in the order of the file.

        Parameters
        ----------
        dimension : str
            ``GEO`` or a dimension column.

        Returns
        -------
        list of str
            The distinct labels.
        """
        return list(self.labels[dimension])

    def fail(self, message: str) -> DataError:
        """A DataError about this file.

        Parameters
        ----------
        message : str
            What is wrong and what to do.

        Returns
        -------
        DataError
            The error, naming the file.
        """
        return DataError(f"{self.path}: {message}")


def read_full_table(path: str | Path, ref_date: str | int | None = None) -> FullTable:
    """Read a Statistics Canada full-table CSV and keep one reference date.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV (``<pid>.csv`` of the download).
    ref_date : str or int or None, optional
        The ``REF_DATE`` to keep; None keeps the latest.

    Returns
    -------
    FullTable
        The rows of that date (``line`` is the line in the file), and the dimension columns.

    Raises
    ------
    DataError
        When the file cannot be read, a column is missing, the date is not in the file or a cell
        is repeated.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{path}: cannot be read as a Statistics Canada full-table CSV ({err}); "
                        "download the table's 'CSV - entire table' file") from err
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: column(s) {missing} missing; a full-table CSV has {', '.join(REQUIRED)} "
                        f"(found {list(frame.columns)}); use the English 'CSV - entire table' download")
    columns = list(frame.columns)
    first = columns.index("DGUID") + 1 if "DGUID" in columns else columns.index("GEO") + 1
    dimensions = ("GEO", *[c for c in columns[first:columns.index("UOM")] if c not in TRAILING])
    frame = frame.assign(line=np.arange(len(frame)) + 2)
    for col in ("REF_DATE", *dimensions):
        frame[col] = frame[col].str.strip()
    dates = sorted(set(frame["REF_DATE"]))
    if not dates:
        raise DataError(f"{path}: the table has no rows")
    chosen = dates[-1] if ref_date is None else str(ref_date).strip()
    if chosen not in dates:
        raise DataError(f"{path}: column REF_DATE has no value {chosen!r}; the file has {dates}")
    frame = frame[frame["REF_DATE"] == chosen].reset_index(drop=True)
    repeated = frame.duplicated(list(dimensions), keep="first")
    if repeated.any():
        row = frame[repeated].iloc[0]
        raise DataError(f"{path}: line {row['line']} repeats the cell "
                        f"{ {d: row[d] for d in dimensions} } of REF_DATE {chosen}; keep one row per cell")
    labels = {d: tuple(str(v) for v in frame[d].unique()) for d in dimensions}
    return FullTable(path, frame, dimensions, chosen, labels)


def _bounds(label: str) -> tuple[float, float] | None:
    """(low, high) of a numeric-range label ("20 to 24 years" -> (20, 24)); None for others."""
    text = label.strip().lower()
    if m := _SPAN.match(text):
        return int(m[1].replace(",", "")), int(m[2].replace(",", ""))
    if m := _OPEN.match(text):
        return int((m[1] or m[3]).replace(",", "")), np.inf
    if m := _SINGLE.match(text):
        return int(m[1].replace(",", "")), int(m[1].replace(",", ""))
    return None


def _tile(table: FullTable, dimension: str, low: int, high: int | None) -> list[str]:
    """The finest range labels of ``dimension`` that exactly cover ``[low, high]``."""
    spans = {lab: b for lab in table.levels(dimension) if (b := _bounds(lab)) is not None}
    lows = np.array([b[0] for b in spans.values()], dtype=float)
    highs = np.array([b[1] for b in spans.values()], dtype=float)
    inside = (lows[None, :] >= lows[:, None]) & (highs[None, :] <= highs[:, None])
    inside &= ~((lows[None, :] == lows[:, None]) & (highs[None, :] == highs[:, None]))
    coarse: list[bool] = np.any(inside, axis=1).tolist()
    finest = {lab: b for (lab, b), c in zip(spans.items(), coarse, strict=True) if not c}
    top = np.inf if high is None else high
    parts = sorted((b, lab) for lab, b in finest.items() if low <= b[0] and b[1] <= top)
    edge: float = low
    for (lo, hi), _lab in parts:
        if lo != edge:
            break
        edge = hi + 1
    if not parts or edge != top + 1:
        shown = "and over" if high is None else f"to {high}"
        raise table.fail(f"column {dimension!r}: the range {low} {shown} cannot be summed from the table's "
                         f"rows (finest ranges: {', '.join(sorted(finest, key=lambda k: finest[k]))}); "
                         "choose bounds that fall on the table's groups")
    return [lab for _b, lab in parts]


def _is_range(dimension: str, member: Member) -> bool:
    return (dimension != "GEO" and isinstance(member, tuple) and len(member) == 2
            and all(v is None or isinstance(v, int) for v in member))


def _labels(table: FullTable, dimension: str, member: Member) -> list[str]:
    """The labels of ``dimension`` that a member sums."""
    if _is_range(dimension, member):
        assert isinstance(member, tuple)
        low, high = member
        return _tile(table, dimension, 0 if low is None else int(low), None if high is None else int(high))
    items: Iterable[Any] = [member] if isinstance(member, str | int) else member
    levels = set(table.levels(dimension))
    geo = _geo_codes(table) if dimension == "GEO" else {}
    out = []
    for item in items:
        label = geo[item][0] if isinstance(item, int) and item in geo else str(item)
        if label not in levels:
            raise table.fail(f"column {dimension!r} has no level {item!r}; levels: {sorted(levels)}")
        out.append(label)
    return out


def _geo_codes(table: FullTable) -> dict[int, list[str]]:
    """Every province or territory in ``GEO``, by SGC code (English or French names)."""
    prov = provinces_table()
    levels = set(table.levels("GEO"))
    out = {}
    for code, en, fr in zip(prov["code"], prov["name_en"], prov["name_fr"], strict=True):
        hits = [n for n in (en, fr) if n in levels]
        if hits:
            out[int(code)] = hits[:1]
    return out


def _total(table: FullTable, dimension: str) -> list[str]:
    """The total level of a dimension held fixed ("Canada", "All ages", "Total ...")."""
    if dimension == "GEO":
        if "Canada" not in set(table.levels("GEO")):
            raise table.fail("column 'GEO' has no 'Canada' row; give universe={'GEO': ...}")
        return ["Canada"]
    totals = [lab for lab in table.levels(dimension) if _TOTAL.match(lab)]
    if len(totals) != 1:
        raise table.fail(f"column {dimension!r} has {len(totals)} total levels ({totals}); say which level "
                         f"to use with universe={{{dimension!r}: ...}}")
    return totals


def _values(table: FullTable, rows: pd.DataFrame, unavailable: str, notes: set[str]) -> np.ndarray:
    """The rows' values in units (0 for an excluded one), after the checks of status, symbol, unit, scalar."""
    status = rows["STATUS"].str.strip()
    raw = rows["VALUE"].str.strip()
    bad = status.isin(list(UNAVAILABLE)) | (raw == "")
    if bad.any():
        first = rows[bad].iloc[0]
        what = UNAVAILABLE.get(first["STATUS"].strip(), "empty VALUE")
        cell = {d: first[d] for d in table.dimensions}
        if unavailable != "exclude":
            raise table.fail(f"line {first['line']}, column STATUS = {first['STATUS']!r} ({what}) for the cell "
                             f"{cell}: {int(bad.sum())} value(s) needed for the margins are not available; "
                             "choose other groups or pass unavailable='exclude' (the margin is then an undercount)")
        warnings.warn(f"{table.path}: {int(bad.sum())} unavailable value(s) left out of the margins (first: line "
                      f"{first['line']}, STATUS {first['STATUS']!r}, {cell}); those margins are undercounts",
                      TargetWarning, stacklevel=4)
    unknown = ~status.isin(list(USABLE | set(UNAVAILABLE)))
    if unknown.any():
        first = rows[unknown].iloc[0]
        raise table.fail(f"line {first['line']}, column STATUS has the unknown symbol {first['STATUS']!r}; "
                         f"known: {sorted(USABLE | set(UNAVAILABLE))}")
    caution = status == "E"
    if caution.any():
        first = rows[caution].iloc[0]
        warnings.warn(f"{table.path}: {int(caution.sum())} value(s) flagged E (use with caution), e.g. line "
                      f"{first['line']} {({d: first[d] for d in table.dimensions})}", TargetWarning, stacklevel=4)
    symbols = rows["SYMBOL"].str.strip()
    strange = ~symbols.isin(["", *NOTED])
    if strange.any():
        first = rows[strange].iloc[0]
        raise table.fail(f"line {first['line']}, column SYMBOL has the unknown symbol {first['SYMBOL']!r}; "
                         f"known: {['', *NOTED]} (empty, preliminary, revised)")
    notes.update(f"{NOTED[s]} values" for s in set(symbols) if s in NOTED)
    if "TERMINATED" in rows and (rows["TERMINATED"].str.strip() == "t").any():
        notes.add("terminated series")
    keep = rows.assign(VALUE=raw.where(~bad, "0"))
    numbers = pd.to_numeric(keep["VALUE"].str.replace(",", "", regex=False), errors="coerce")
    wrong = numbers.isna() | ~np.isfinite(numbers) | (numbers < 0)
    if wrong.any():
        first = keep[wrong].iloc[0]
        raise table.fail(f"line {first['line']}, column VALUE = {first['VALUE']!r} is not a non-negative number")
    units = keep["UOM"].str.strip()
    if units.str.contains(_NOT_COUNTS).any():
        first = keep[units.str.contains(_NOT_COUNTS)].iloc[0]
        raise table.fail(f"line {first['line']}, column UOM = {first['UOM']!r}: only counts can be margins "
                         f"(the cell {({d: first[d] for d in table.dimensions})} is not a count)")
    scale = keep["SCALAR_FACTOR"].str.strip().str.lower().map(SCALARS)
    if scale.isna().any():
        first = keep[scale.isna()].iloc[0]
        raise table.fail(f"line {first['line']}, column SCALAR_FACTOR = {first['SCALAR_FACTOR']!r} is not one "
                         f"of {list(SCALARS)}")
    if "SCALAR_ID" in keep:
        given = pd.to_numeric(keep["SCALAR_ID"].str.strip(), errors="coerce")
        clash = keep["SCALAR_ID"].str.strip().ne("") & given.ne(scale)
        if clash.any():
            first = keep[clash].iloc[0]
            raise table.fail(f"line {first['line']}, column SCALAR_ID = {first['SCALAR_ID']!r} disagrees with "
                             f"SCALAR_FACTOR = {first['SCALAR_FACTOR']!r} (power of ten "
                             f"{SCALARS[first['SCALAR_FACTOR'].strip().lower()]}); correct the file or "
                             "download it again")
    return np.asarray(numbers.to_numpy(float) * 10.0 ** scale.to_numpy(float))


def table_margins(table: FullTable, margins: Mapping[str, Spec], *,
                  universe: Mapping[str, Member] | None = None,
                  unavailable: Literal["error", "exclude"] = "error") -> tuple[dict[str, dict[Any, float]], set[str]]:
    """Count margins ``{column: {code: count}}`` from a full table (see the module docstring).

    Parameters
    ----------
    table : FullTable
        The table at one reference date (:func:`read_full_table`).
    margins : mapping of str to (str or tuple)
        Per margin column, the dimension (every level: SGC codes for ``GEO``, labels otherwise),
        or ``(dimension, {code: member})``.
    universe : mapping of str to member or None, optional
        The level of each other dimension (default: its total).
    unavailable : {"error", "exclude"}, default "error"
        Refuse unavailable values (``..``, ``x``, ``F``), or leave them out with a warning.

    Returns
    -------
    tuple of (dict, set of str)
        The margins (counts in units), and notes on the values used ("preliminary values").

    Raises
    ------
    DataError
        When a dimension, level, range or cell is missing or a value cannot be used.
    """
    if unavailable not in ("error", "exclude"):
        raise DataError(f"unavailable must be 'error' or 'exclude', not {unavailable!r}")
    fixed = dict(universe or {})
    for dim in fixed:
        if dim not in table.dimensions:
            raise table.fail(f"universe names the column {dim!r}, which is not a dimension; dimensions: "
                             f"{list(table.dimensions)}")
    out: dict[str, dict[Any, float]] = {}
    notes: set[str] = set()
    for column, spec in margins.items():
        dimension, members = (spec, None) if isinstance(spec, str) else spec
        if dimension not in table.dimensions:
            raise table.fail(f"margin {column!r}: no dimension column {dimension!r}; dimensions: "
                             f"{list(table.dimensions)}")
        if members is None:
            codes = (_geo_codes(table) if dimension == "GEO"
                     else {lab: [lab] for lab in table.levels(dimension) if not _TOTAL.match(lab)})
            if not codes:
                raise table.fail(f"margin {column!r}: column {dimension!r} has no level but totals "
                                 f"({table.levels(dimension)[:5]})")
        else:
            codes = {code: _labels(table, dimension, member) for code, member in members.items()}
        owner = {lab: code for code, labs in codes.items() for lab in labs}
        if len(owner) != sum(len(labs) for labs in codes.values()):
            raise table.fail(f"margin {column!r}: a level of {dimension!r} is counted in two codes; "
                             "give each code its own levels")
        mask = table.frame[dimension].isin(list(owner))
        others = [d for d in table.dimensions if d != dimension]
        held = {d: (_labels(table, d, fixed[d]) if d in fixed else _total(table, d)) for d in others}
        for d, labs in held.items():
            mask &= table.frame[d].isin(labs)
        rows = table.frame[mask]
        expected = len(owner) * int(np.prod([len(labs) for labs in held.values()]))
        if len(rows) != expected:
            raise table.fail(f"margin {column!r}: {expected - len(rows)} of the {expected} cells it needs are "
                             f"missing (levels {sorted(owner)} with {held})")
        values = _values(table, rows, unavailable, notes)
        sums = pd.Series(values).groupby(rows[dimension].map(owner).to_numpy(), sort=False).sum()
        out[column] = {code: float(sums[code]) for code in codes}
    return out, notes


def cite(table: FullTable, margins: dict[str, dict[Any, float]], notes: set[str],
         source: TargetSource | None) -> CitedMargins:
    """The margins with their source: ``source``, or one read off the file name and ``REF_DATE``.

    Parameters
    ----------
    table : FullTable
        The table read.
    margins : dict
        The margins.
    notes : set of str
        Notes on the values (added to the source's ``note``).
    source : TargetSource or None
        The citation; None builds one (table number from an 8-digit product id in the file name).

    Returns
    -------
    CitedMargins
        The margins with their source.
    """
    if source is None:
        pid = re.search(r"(\d{2})(\d{2})(\d{4})", table.path.stem)
        number = f"{pid[1]}-{pid[2]}-{pid[3]}-01" if pid else table.path.name
        source = TargetSource(table=number, title="", reference_date=table.ref_date)
    if notes:
        extra = "contains " + ", ".join(sorted(notes))
        source = TargetSource(source.table, source.title, source.reference_date, source.doi, source.licence,
                              "; ".join(filter(None, (source.note, extra))))
    return CitedMargins(margins, source)


def from_statcan(
    path: str | Path,
    margins: Mapping[str, Spec],
    *,
    ref_date: str | int | None = None,
    universe: Mapping[str, Member] | None = None,
    unavailable: Literal["error", "exclude"] = "error",
    source: TargetSource | None = None,
) -> CitedMargins:
    """Rake margins (counts) from a Statistics Canada full-table CSV.

    Parameters
    ----------
    path : str or pathlib.Path
        The table as downloaded (``<pid>.csv``).
    margins : mapping of str to (str or tuple)
        Per margin column, a dimension (``"GEO"`` gives the SGC province codes) or
        ``(dimension, {code: member})``; a member is a label, an SGC code, a range
        ``(low, high)`` (``high`` None: open) or a list of them.
    ref_date : str or int or None, optional
        The ``REF_DATE`` to use; None uses the latest.
    universe : mapping of str to member or None, optional
        The level of every dimension that is not the margin's (default: its total), e.g.
        ``{"Age group": (18, None)}``.
    unavailable : {"error", "exclude"}, default "error"
        What to do with ``..``, ``x`` and ``F`` values (see the module docstring).
    source : TargetSource or None, optional
        The citation; None reads the table number off the file name and the date off ``REF_DATE``.

    Returns
    -------
    CitedMargins
        ``{column: {code: count}}`` with ``.source``.

    Raises
    ------
    DataError
        When the file, a column, a level, a range or a value cannot be used (naming them).

    Examples
    --------
    >>> from citizensfirst.weighting.targetdata import data_path
    >>> ages = {1: (18, 34), 2: (35, 54), 3: (55, None)}
    >>> m = from_statcan(data_path("17100005_adults_2025.csv"), {"age_grp": ("Age group", ages)})
    >>> round(sum(m["age_grp"].values()))
    34009470
    """
    table = read_full_table(path, ref_date)
    counts, notes = table_margins(table, margins, universe=universe, unavailable=unavailable)
    return cite(table, counts, notes, source)


FIRM_SIZES: dict[int, Member] = {1: (1, 4), 2: (5, 19), 3: (20, 99), 4: (100, None)}
"""``firm_size`` of the bf2023 sample: employment-size ranges."""
REGIONS: dict[int, Member] = {1: [10, 11, 12, 13], 2: [24], 3: [35], 4: [46, 47, 48], 5: [59],
                              6: [60, 61, 62]}
"""``region`` of the bf2023 sample: SGC codes of its provinces and territories."""
INDUSTRIES: dict[int, tuple[str, ...]] = {
    1: ("11", "21", "22", "23"), 2: ("31-33",), 3: ("41", "44-45"), 4: ("54", "55", "56"),
    5: ("72", "81"), 6: ("48-49", "51", "52", "53", "61", "62", "71", "91"),
}
"""``industry`` of the bf2023 sample: the NAICS sectors (codes in brackets in the labels)."""


def _dimension(table: FullTable, pattern: str, what: str) -> str:
    hits = [d for d in table.dimensions if re.search(pattern, d, re.I)]
    if len(hits) != 1:
        raise table.fail(f"no single {what} column (dimensions: {list(table.dimensions)})")
    return hits[0]


def business_counts(
    path: str | Path,
    variables: Iterable[str] = ("firm_size", "industry", "region"),
    *,
    ref_date: str | int | None = None,
    unavailable: Literal["error", "exclude"] = "error",
    source: TargetSource | None = None,
) -> CitedMargins:
    """Business First margins from a Canadian Business Counts table (same CSV format).

    ``firm_size`` 1 1-4, 2 5-19, 3 20-99, 4 100+ employees (:data:`FIRM_SIZES`, summed from the
    employment-size ranges); ``industry`` 1-6 (:data:`INDUSTRIES`, NAICS sectors read from the
    ``[code]`` in the labels; establishments of sectors outside the map, such as unclassified
    ones, are shared out over the six in proportion, so the margin keeps the table's total);
    ``region`` 1-6 (:data:`REGIONS`). Keyed like the bf2023 sample wave.

    Parameters
    ----------
    path : str or pathlib.Path
        The table (employment size ranges x NAICS x GEO).
    variables : iterable of str, default ("firm_size", "industry", "region")
        The margins to build.
    ref_date : str or int or None, optional
        The ``REF_DATE``; None uses the latest.
    unavailable : {"error", "exclude"}, default "error"
        What to do with ``..``, ``x`` and ``F`` values.
    source : TargetSource or None, optional
        The citation; None reads it off the file.

    Returns
    -------
    CitedMargins
        ``{variable: {code: count}}`` with ``.source``.

    Raises
    ------
    DataError
        When the table lacks a dimension, level or value, or a variable is unknown.
    """
    table = read_full_table(path, ref_date)
    size = _dimension(table, r"employment size", "employment size")
    naics = _dimension(table, r"NAICS|industry classification", "NAICS")
    sectors = {lab: m[1] for lab in table.levels(naics) if (m := re.search(r"\[(\d\d(?:-\d\d)?)\]", lab))}
    industry = {code: [lab for lab, sec in sectors.items() if sec in secs] for code, secs in INDUSTRIES.items()}
    specs: dict[str, Spec] = {"firm_size": (size, FIRM_SIZES), "industry": (naics, industry),
                              "region": ("GEO", REGIONS)}
    names = list(variables)
    for name in names:
        if name not in specs:
            raise DataError(f"unknown business counts variable {name!r}; known: {', '.join(specs)}")
    asked = {name: specs[name] for name in names}
    counts, notes = table_margins(table, asked | ({"_total": (naics, {0: _total(table, naics)})}
                                                   if "industry" in names else {}),
                                  unavailable=unavailable)
    if "industry" in names:
        total = counts.pop("_total")[0]
        part = counts["industry"]
        factor = total / sum(part.values())
        counts["industry"] = {k: v * factor for k, v in part.items()}
    return cite(table, counts, notes, source)
