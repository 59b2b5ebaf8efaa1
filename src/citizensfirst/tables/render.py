"""The :class:`Table` model and its writers (text, HTML, Markdown, CSV, xlsx)."""

from __future__ import annotations

import csv
import html
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..estimation.quality import SUPPRESSED
from ..fileutil import atomic_output, atomic_write_text
from ..i18n import colon, format_number, text
from ..sanitize import neutralize
from .notes import legend_line
from .publish import MAX_COLUMNS, TABLE_CSS, table_html

NOT_SHOWN = (SUPPRESSED, "F")  # cells whose numbers are not published
TOTAL_KEY = "__total__"  # the key of the Total column


def column_letter(index: int) -> str:
    """Spreadsheet-style column letters: 0 -> A, 25 -> Z, 26 -> AA.

    Parameters
    ----------
    index : int
        Zero-based column number.

    Returns
    -------
    str
        The column letters.

    Examples
    --------
    >>> [column_letter(i) for i in (0, 1, 25, 26, 27)]
    ['A', 'B', 'Z', 'AA', 'AB']
    """
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass(frozen=True)
class TableColumn:
    """One column of a table: its variable (None for Total), level, labels and test letter."""

    variable: str | None
    level: Any
    label: str
    group_label: str
    letter: str = ""

    @property
    def header(self) -> str:
        """The column header: the label, with the test letter in parentheses when there is one.

        Returns
        -------
        str
            The header text.
        """
        return f"{self.label} ({self.letter})" if self.letter else self.label


@dataclass(frozen=True)
class DisplayCell:
    """One displayed cell: the rounded number (None when not shown), its note and its text.

    ``number`` is the formatted number alone (or the flag, ``x``, ``F`` or ``..``, of a cell
    not shown); ``text`` adds an E flag attached to the number and the column letters after a
    space, as the text exports print it; ``note`` is what goes beside the number in xlsx.
    """

    value: float | None
    note: str
    text: str
    kind: str  # "estimate", "n" or "weighted_n"
    flag: str = ""
    letters: str = ""
    number: str = ""


@dataclass(frozen=True, eq=False)
class Table:
    """A published table: numbers, the formatted grid, title, notes and exports.

    ``cells`` is tidy, one row per (row, column): ``row_level``, ``row_label``,
    ``column_variable`` (None for Total), ``column_level``, ``column_label``, ``column_letter``,
    ``estimate``, ``se``, ``ci_low``, ``ci_high`` (in the estimator's units: proportions 0-1 for
    ``percent`` and ``top2``), ``n`` (unweighted respondents in the cell: for ``percent`` those in
    the row level and the column category; else those with a valid value), ``weighted_n``,
    ``flag``, ``suppression`` (``"primary"``, ``"complementary"`` or ``""``), ``letters`` and
    ``value`` (the number as published: rounded, in percent for shares). ``cells`` is public:
    a cell that is not published (flag ``x`` or ``F``, or no estimate) has NaN in every number
    (``estimate`` to ``weighted_n`` and ``value``) and no letters, and every export reads it.
    ``bases`` has the unweighted and weighted base of every column; ``tests`` every pairwise test
    between published cells.

    ``confidential_cells`` has the same rows with the numbers of every cell, suppressed ones
    included. It is CONFIDENTIAL: for the analyst's own checks only; no export, no report file
    and no machine-readable output of the library ever writes it.

    ``notes`` are every line printed under the table (``footnotes`` without the symbol legend);
    ``legend`` pairs each symbol (the flags ``x``, ``E``, ``F`` and, when columns were tested,
    ``A`` for the column letters) with its meaning. ``population_scaled`` says whether the weights
    sum to a population, in which case the weighted base row is an estimated population.
    """

    title: str
    cells: pd.DataFrame
    bases: pd.DataFrame
    tests: pd.DataFrame
    columns: tuple[TableColumn, ...]
    row_labels: tuple[str, ...]
    row_header: str
    notes: tuple[str, ...]
    confidential_cells: pd.DataFrame = field(repr=False)
    language: str = "en"
    stat: str = "percent"
    decimals: int = 1
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    legend: tuple[tuple[str, str], ...] = ()
    population_scaled: bool = False

    # ------------------------------------------------------------------ layout

    def _number(self, value: float, decimals: int) -> str:
        return format_number(value, self.language, decimals=decimals)

    @property
    def footnotes(self) -> tuple[str, ...]:
        """The notes that are not symbol legends (bases, method, quality, weights, letters).

        Returns
        -------
        tuple of str
            The note lines, in order.
        """
        legend = {legend_line(symbol, meaning, self.language) for symbol, meaning in self.legend}
        return tuple(n for n in self.notes if n not in legend)

    @property
    def weighted_base_label(self) -> str:
        """The label of the weighted base row: "Estimated population" when the weights are
        scaled to a population, else "Weighted base".

        Returns
        -------
        str
            The row label in the table's language.
        """
        key = "table_population_base" if self.population_scaled else "table_weighted_base"
        return text(key, self.language)

    def column_parts(self, max_columns: int = MAX_COLUMNS) -> list[list[int]]:
        """Split the columns into parts of at most ``max_columns`` columns, each with the Total.

        Whole column variables are kept together where they fit; a variable with more categories
        than a part holds is cut into parts of nearly equal size. Every part starts with the
        Total column (index 0), so a wide table prints as several narrow ones.

        Parameters
        ----------
        max_columns : int, default MAX_COLUMNS
            Most columns of a part, the Total included (at least 2).

        Returns
        -------
        list of list of int
            The column indices of each part.

        Raises
        ------
        DataError
            When ``max_columns`` is below 2.
        """
        if max_columns < 2:
            raise DataError(f"max_columns must be at least 2 (the Total and one column), got {max_columns}")
        room = max_columns - 1
        parts: list[list[int]] = [[]]
        start = 1
        for _, cols in self.column_groups():
            if cols[0].variable is None:
                continue
            indices = list(range(start, start + len(cols)))
            start += len(cols)
            if len(parts[-1]) + len(indices) <= room:
                parts[-1] += indices
                continue
            pieces = -(-len(indices) // room)
            chunks = [[int(i) for i in c] for c in np.array_split(indices, pieces)]
            if parts[-1]:
                parts.append([])
            parts[-1] += chunks[0]
            parts += chunks[1:]
        return [[0, *part] for part in parts]

    def display_rows(self) -> list[tuple[str, list[DisplayCell]]]:
        """Every body row (estimates, then the two base rows) as displayed cells.

        Returns
        -------
        list of (str, list of DisplayCell)
            The row label and the cells of every row.
        """
        n_cols = len(self.columns)
        cells = self.cells
        rows: list[tuple[str, list[DisplayCell]]] = []
        values = cells["value"].to_numpy().reshape(-1, n_cols)
        flags = cells["flag"].to_numpy().reshape(-1, n_cols)
        letters = cells["letters"].to_numpy().reshape(-1, n_cols)
        for r, label in enumerate(self.row_labels):
            row = []
            for c in range(n_cols):
                flag, value, lett = flags[r, c], values[r, c], letters[r, c]
                if flag in NOT_SHOWN or not np.isfinite(value):
                    shown = flag if flag in NOT_SHOWN else ".."
                    row.append(DisplayCell(None, shown, shown, "estimate", str(flag), number=shown))
                    continue
                number = self._number(float(value), self.decimals)
                glued = "E" if flag == "E" else ""
                note = " ".join(p for p in (glued, lett) if p)
                body = number + glued + (f" {lett}" if lett else "")
                row.append(DisplayCell(float(value), note, body, "estimate", str(flag), str(lett), number))
            rows.append((label, row))
        for label, kind in ((text("table_unweighted_base", self.language), "n"),
                            (self.weighted_base_label, "weighted_n")):
            shown = [self._number(float(v), 0) for v in self.bases[kind]]
            rows.append((label, [DisplayCell(float(v), "", t, kind, number=t)
                                 for v, t in zip(self.bases[kind], shown, strict=True)]))
        return rows

    def _flat_headers(self) -> list[str]:
        out = []
        for col in self.columns:
            out.append(col.header if col.variable is None
                       else f"{col.group_label}{colon(self.language)} {col.header}")
        return out

    def column_groups(self, columns: Sequence[int] | None = None) -> list[tuple[str, list[TableColumn]]]:
        """Consecutive columns of the same variable, grouped under its label (the Total alone).

        Parameters
        ----------
        columns : sequence of int or None, optional
            The column indices to group (a part of the table); None takes every column.

        Returns
        -------
        list of (str, list of TableColumn)
            The group label (``TOTAL_KEY`` for the Total) and its columns.
        """
        chosen = self.columns if columns is None else [self.columns[i] for i in columns]
        groups: list[tuple[str, list[TableColumn]]] = []
        for col in chosen:
            key = col.group_label if col.variable is not None else TOTAL_KEY
            if groups and groups[-1][0] == key and col.variable is not None:
                groups[-1][1].append(col)
            else:
                groups.append((key, [col]))
        return groups

    # ------------------------------------------------------------------ views

    def to_frame(self) -> pd.DataFrame:
        """The display grid: formatted strings, rows = row labels and bases, two-level columns.

        Returns
        -------
        pandas.DataFrame
            The formatted grid.
        """
        layout = self.display_rows()
        columns = pd.MultiIndex.from_tuples(
            [(c.group_label, c.header) for c in self.columns], names=[None, None]
        )
        frame = pd.DataFrame([[cell.text for cell in row] for _, row in layout],
                             index=pd.Index([label for label, _ in layout], name=self.row_header),
                             columns=columns)
        return frame

    def __repr__(self) -> str:
        with pd.option_context("display.width", 160, "display.max_columns", 40):
            body = self.to_frame().to_string()
        return f"{self.title}\n{body}\n" + "\n".join(self.notes)

    def _repr_html_(self) -> str:
        return table_html(self)

    # ------------------------------------------------------------------ exports

    def to_html(self, path: str | Path | None = None, *, notes: bool = True) -> str:
        """Accessible HTML (caption, ``th scope``, ``lang``); written atomically as a page when
        ``path`` is given.

        Column letters are superscripts and quality flags boxed markers; a table with more than
        :data:`~citizensfirst.tables.publish.MAX_COLUMNS` columns prints as several parts, each
        with the row labels and the Total. With ``notes=False`` the notes are left out, for
        :func:`~citizensfirst.tables.publish.tables_html` to print once for a section.

        Parameters
        ----------
        path : str or Path or None, optional
            Where to write a full HTML page; None writes nothing.
        notes : bool, default True
            Print the notes under the table.

        Returns
        -------
        str
            The HTML (the fragment, or the page when ``path`` is given).
        """
        fragment = table_html(self, notes=notes)
        if path is None:
            return fragment
        page = (
            f'<!DOCTYPE html>\n<html lang="{self.language}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{TABLE_CSS}</style></head>\n"
            f"<body>\n{fragment}\n</body>\n</html>\n"
        )
        atomic_write_text(path, page)
        return page

    def to_markdown(self, max_columns: int = MAX_COLUMNS) -> str:
        """A Markdown (pipe) table with the title above and the notes below; every label, title and
        note is escaped (``& < >`` as HTML entities; ``\\ ` * _ [ ] |`` with a backslash; line breaks
        as spaces), so a label such as ``<script>``, ``[link](url)`` or ``a|b`` shows as written.
        Column letters are superscripts (``<sup>``); a table wider than ``max_columns`` columns
        prints as several parts, each with the row labels and the Total column.

        Parameters
        ----------
        max_columns : int, default MAX_COLUMNS
            Most columns of a part, the Total included.

        Returns
        -------
        str
            The Markdown text, ending with a newline.

        Examples
        --------
        >>> print(_markdown_text("<b>A|B</b> *x*"))
        &lt;b&gt;A\\|B&lt;/b&gt; \\*x\\*
        """
        cell = _markdown_text
        layout = self.display_rows()
        headers = self._flat_headers()
        parts = self.column_parts(max_columns)
        lines = []
        for k, part in enumerate(parts, start=1):
            title = self.title if len(parts) == 1 else text("table_part", self.language).format(
                title=self.title, part=k, parts=len(parts))
            lines += [f"**{cell(title)}**", "",
                      "| " + " | ".join(cell(h) for h in [self.row_header, *(headers[j] for j in part)]) + " |",
                      "|" + "---|" + "---:|" * len(part)]
            for label, row in layout:
                shown = [cell(row[j].text.removesuffix(f" {row[j].letters}")) + _markdown_letters(row[j].letters)
                         if row[j].letters else cell(row[j].text) for j in part]
                lines.append("| " + " | ".join([cell(label), *shown]) + " |")
            lines.append("")
        lines += [f"- {cell(n)}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def _csv_rows(self, tidy: bool) -> Iterator[list[Any]]:
        if tidy:
            yield [neutralize(c) for c in self.cells.columns]
            for record in self.cells.itertuples(index=False):
                yield ["" if _is_missing(v) else neutralize(v) for v in record]
            return
        yield [neutralize(h) for h in (self.row_header, *self._flat_headers())]
        for label, row in self.display_rows():
            yield [neutralize(label)] + [neutralize(c.text) for c in row]

    def to_csv(self, path: str | Path, *, tidy: bool = False, encoding: str = "utf-8-sig") -> None:
        """Write the display grid (or, with ``tidy=True``, the public ``cells``) as CSV, atomically.

        The default encoding carries a byte-order mark so spreadsheet programs read accents right.
        Text that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, tab, CR first)
        gets a leading apostrophe (:func:`citizensfirst.sanitize.neutralize`); suppressed and F
        cells carry no number.

        Parameters
        ----------
        path : str or Path
            The CSV file to write.
        tidy : bool, default False
            Write the public ``cells`` (one row per cell) instead of the display grid.
        encoding : str, default "utf-8-sig"
            Text encoding of the file.
        """
        with atomic_output(path) as tmp, open(tmp, "w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle)
            for row in self._csv_rows(tidy):
                writer.writerow(row)

    def to_xlsx(self, path: str | Path, *, sheet_name: str = "Table 1") -> None:
        """Write an Excel workbook (a formatted sheet plus a Notes sheet), atomically.

        Parameters
        ----------
        path : str or Path
            The ``.xlsx`` file to write.
        sheet_name : str, default "Table 1"
            Name of the table's sheet.
        """
        write_tables([self], path, sheet_names=[sheet_name])

    def write_sheet(self, ws: Any) -> None:
        """Write the table (title, grid, notes) into an openpyxl worksheet.

        Parameters
        ----------
        ws : openpyxl.worksheet.worksheet.Worksheet
            The worksheet to write into.
        """
        # lazy: heavy optional library (only the xlsx export needs it), imported on use for import time
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        bold = Font(bold=True)
        _text_cell(ws, 1, 1, self.title).font = Font(bold=True, size=12)
        _text_cell(ws, 2, 1, self.row_header).font = bold
        col = 2
        for key, cols in self.column_groups():
            label = cols[0].header if key == TOTAL_KEY else key
            _text_cell(ws, 2, col, label).font = bold
            width = 2 * len(cols)
            if key == TOTAL_KEY:
                ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col + 1)
                ws.cell(row=2, column=col).alignment = Alignment(horizontal="center", vertical="center")
                col += width
                continue
            ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + width - 1)
            for j, column in enumerate(cols):
                at = col + 2 * j
                _text_cell(ws, 3, at, column.header).font = bold
                ws.merge_cells(start_row=3, start_column=at, end_row=3, end_column=at + 1)
                ws.cell(row=3, column=at).alignment = Alignment(horizontal="center", wrap_text=True)
            ws.cell(row=2, column=col).alignment = Alignment(horizontal="center", wrap_text=True)
            col += width
        number_format = "#,##0" + ("." + "0" * self.decimals if self.decimals > 0 else "")
        widths = [len(self.row_header)]
        for i, (label, row) in enumerate(self.display_rows()):
            r = 4 + i
            _text_cell(ws, r, 1, label).font = bold if i >= len(self.row_labels) else Font()
            widths.append(len(label))
            for j, c in enumerate(row):
                at = 2 + 2 * j
                if c.value is None:
                    _text_cell(ws, r, at, c.note).alignment = Alignment(horizontal="right")
                    continue
                cell = ws.cell(row=r, column=at, value=c.value)
                if c.kind != "estimate":
                    cell.number_format = "#,##0"
                else:
                    # the E flag is part of the number format, so the cell stays numeric and reads
                    # "12.3E" as in the other formats; the letters go in the column beside it
                    cell.number_format = number_format + ('"E"' if c.flag == "E" else "")
                if c.letters:  # superscript, as in HTML: never read as a quality flag
                    _text_cell(ws, r, at + 1, c.letters).font = Font(vertAlign="superscript", bold=True)
        ws.column_dimensions["A"].width = min(60, max(widths) + 2)
        for j in range(len(self.columns)):
            ws.column_dimensions[get_column_letter(2 + 2 * j)].width = 10
            ws.column_dimensions[get_column_letter(3 + 2 * j)].width = 6
        ws.freeze_panes = "B4"

    def notes_lines(self) -> list[str]:
        """The lines printed under the table: title, base, flags and test notes.

        Returns
        -------
        list of str
            The note lines.
        """
        lines = [self.title]
        header = self.row_header
        bases = self.bases
        for c, n, wn in zip(self.columns, bases["n"], bases["weighted_n"], strict=True):
            name = c.header if c.variable is None else f"{c.group_label}{colon(self.language)} {c.header}"
            lines.append(
                f"{header} - {name}: {text('table_unweighted_base', self.language)} "
                f"{self._number(float(n), 0)}; {text('table_weighted_base', self.language)} "
                f"{self._number(float(wn), 0)}"
            )
        lines += list(self.notes)
        return lines


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text_cell(ws: Any, row: int, column: int, value: str) -> Any:
    """Write ``value`` as a text cell (never a formula: neutralised and typed as a string)."""
    cell = ws.cell(row=row, column=column, value=neutralize(value))
    cell.data_type = "s"
    return cell


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _markdown_letters(letters: str) -> str:
    """Column letters as a Markdown (inline HTML) superscript."""
    return f"<sup>{_markdown_text(letters)}</sup>"


def _markdown_text(value: str) -> str:
    """Text safe inside a Markdown table cell: HTML-escaped, punctuation backslash-escaped, one line."""
    flat = " ".join(str(value).splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def write_tables(tables: Sequence[Table], path: str | Path, *, sheet_names: Sequence[str] | None = None) -> None:
    """Write several tables to one Excel workbook (one sheet each, plus a "Notes" sheet), atomically.

    Parameters
    ----------
    tables : sequence of Table
        The tables, one sheet each.
    path : str or Path
        The ``.xlsx`` file to write.
    sheet_names : sequence of str or None, optional
        Sheet names; None names them "Table 1", "Table 2", ...

    Raises
    ------
    DataError
        When ``tables`` is empty, or the sheet names do not match the tables, repeat or
        use "Notes".

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from citizensfirst import Design
    >>> from citizensfirst.tables import crosstab
    >>> d = Design(pd.DataFrame({"y": ["a", "b"] * 10, "g": ["u"] * 10 + ["v"] * 10}))
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> write_tables([crosstab(d, "y", "g"), crosstab(d, "g", "y")], target)
    >>> import openpyxl; openpyxl.load_workbook(target).sheetnames
    ['Table 1', 'Table 2', 'Notes']
    """
    # lazy: heavy optional library (only the xlsx export needs it), imported on use for import time
    from openpyxl import Workbook
    from openpyxl.styles import Font

    if not tables:
        raise DataError("write_tables needs at least one table")
    names = list(sheet_names) if sheet_names is not None else [f"Table {i + 1}" for i in range(len(tables))]
    if len(names) != len(tables):
        raise DataError(f"{len(names)} sheet names for {len(tables)} tables")
    clean = [re.sub(r"[\[\]:*?/\\]", "_", n)[:31] or f"Table {i + 1}" for i, n in enumerate(names)]
    if len({c.lower() for c in clean} | {"notes"}) != len(clean) + 1:
        raise DataError(f"sheet names must be distinct and not 'Notes': {clean}")
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table, name in zip(tables, clean, strict=True):
        table.write_sheet(workbook.create_sheet(name))
    notes = workbook.create_sheet("Notes")
    row = 1
    for table, name in zip(tables, clean, strict=True):
        lines = table.notes_lines()
        _text_cell(notes, row, 1, f"{name}: {lines[0]}").font = Font(bold=True)
        for line in lines[1:]:
            row += 1
            _text_cell(notes, row, 1, line)
        row += 2
    notes.column_dimensions["A"].width = 120
    with atomic_output(path) as tmp:
        workbook.save(tmp)
