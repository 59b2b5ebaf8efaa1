"""Publication HTML of tables: narrow parts, superscript letters, boxed flags, section footnotes.

A table wider than :data:`MAX_COLUMNS` columns prints as several parts, each repeating the row
labels and the Total column, so it fits an A4 or Letter page and a 1280-pixel screen. Column
letters are superscripts (``<sup class="sig">``); quality flags (E, F, x) are boxed markers
(``<abbr class="flag">``) explained by a legend, so a column letter E or F is never read as a
flag. :func:`tables_html` renders the tables of one report section without their notes, then
their notes once, as numbered footnotes that each caption refers to, and one legend of symbols.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst.tables import crosstab
>>> d = Design(pd.DataFrame({"y": ["a", "b"] * 20, "g": ["u"] * 20 + ["v"] * 20}))
>>> section = tables_html([crosstab(d, "y", "g"), crosstab(d, "g", "y")])
>>> section.count('<ol class="footnotes">'), section.count("<caption>")
(1, 2)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..i18n import text
from .notes import LETTERS_SYMBOL

if TYPE_CHECKING:
    from .render import DisplayCell, Table

#: Most columns of one printed part of a table, the Total included (the row labels aside).
MAX_COLUMNS = 7

#: The styles of the table markup, for pages written on their own (the report has its own).
TABLE_CSS = (
    "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
    "th,td{border:1px solid #8a8a8a;padding:.25rem .5rem;text-align:right;overflow-wrap:break-word}"
    "th[scope=row]{text-align:left}caption{font-weight:bold;text-align:left}"
    "sup.sig{font-size:.7em;font-weight:bold;color:#0b3d6b;margin-left:.1em}"
    ".flag{border:1px solid #555;border-radius:.2em;padding:0 .2em;margin-left:.15em;font-size:.75em;"
    "font-style:normal;text-decoration:none}"
)

_esc = html.escape


def flag_html(flag: str, meaning: str = "") -> str:
    """A quality flag as a boxed marker, with its meaning as a tooltip.

    Parameters
    ----------
    flag : str
        ``"x"``, ``"E"`` or ``"F"``.
    meaning : str, default ""
        What it means (the ``title``); empty for none.

    Returns
    -------
    str
        The ``<abbr class="flag">`` element.

    Examples
    --------
    >>> flag_html("E", "use with caution")
    '<abbr class="flag" title="use with caution">E</abbr>'
    """
    title = f' title="{_esc(meaning, quote=True)}"' if meaning else ""
    return f'<abbr class="flag"{title}>{_esc(flag)}</abbr>'


def letters_html(letters: str) -> str:
    """Column letters as a superscript (empty for none).

    Parameters
    ----------
    letters : str
        The letters, e.g. ``"AB"``.

    Returns
    -------
    str
        The ``<sup class="sig">`` element, or ``""``.
    """
    return f'<sup class="sig">{_esc(letters)}</sup>' if letters else ""


def cell_html(cell: DisplayCell, legend: dict[str, str]) -> str:
    """The content of one body cell: the number, its E flag, its letters; or the flag shown
    instead of a number.

    Parameters
    ----------
    cell : DisplayCell
        The displayed cell.
    legend : dict of str to str
        The meaning of each flag, for the tooltips.

    Returns
    -------
    str
        HTML (escaped).
    """
    if cell.number in legend:  # a flag instead of the number (x, F)
        return flag_html(cell.number, legend[cell.number])
    flag = flag_html("E", legend.get("E", "")) if cell.flag == "E" and cell.value is not None else ""
    return _esc(cell.number) + flag + letters_html(cell.letters)


def _header(label: str, letter: str) -> str:
    return _esc(label) + (f' <span class="letter">({_esc(letter)})</span>' if letter else "")


def part_html(table: Table, columns: Sequence[int], caption: str) -> str:
    """One ``<table>`` with the row labels and the given columns of ``table``.

    Parameters
    ----------
    table : Table
        The table.
    columns : sequence of int
        The indices of the columns shown.
    caption : str
        The caption's HTML (already escaped).

    Returns
    -------
    str
        The ``<table>`` element.
    """
    legend = dict(table.legend)
    head1 = [f'<th scope="col" rowspan="2">{_esc(table.row_header)}</th>']
    head2 = []
    for key, cols in table.column_groups(columns):
        if cols[0].variable is None:
            head1.append(f'<th scope="col" rowspan="2">{_header(cols[0].label, cols[0].letter)}</th>')
        else:
            head1.append(f'<th scope="colgroup" colspan="{len(cols)}">{_esc(key)}</th>')
            head2 += [f'<th scope="col">{_header(c.label, c.letter)}</th>' for c in cols]
    rows = table.display_rows()
    body = []
    for i, (label, row) in enumerate(rows):
        cls = ' class="base"' if i >= len(rows) - 2 else ""
        tds = "".join(f"<td>{cell_html(row[j], legend)}</td>" for j in columns)
        body.append(f'<tr{cls}><th scope="row">{_esc(label)}</th>{tds}</tr>')
    first = "".join(head1) if head2 else "".join(head1).replace(' rowspan="2"', "")
    second = f"<tr>{''.join(head2)}</tr>" if head2 else ""
    return (f"<table><caption>{caption}</caption>"
            f"<thead><tr>{first}</tr>{second}</thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def table_html(table: Table, *, notes: bool = True, refs: str = "", max_columns: int = MAX_COLUMNS) -> str:
    """A table as HTML: its parts (at most ``max_columns`` columns each) and, optionally, its notes.

    Parameters
    ----------
    table : Table
        The table.
    notes : bool, default True
        Print the table's notes under it; False leaves them to :func:`tables_html`.
    refs : str, default ""
        HTML put after the title in each caption (the footnote references).
    max_columns : int, default MAX_COLUMNS
        Most columns of a part, the Total included.

    Returns
    -------
    str
        The ``<div class="citizensfirst-table">`` element.
    """
    parts = table.column_parts(max_columns)
    tables = []
    for k, columns in enumerate(parts, start=1):
        title = table.title if len(parts) == 1 else text("table_part", table.language).format(
            title=table.title, part=k, parts=len(parts))
        tables.append(part_html(table, columns, _esc(title) + refs))
    listed = "".join(f"<li>{_esc(n)}</li>" for n in table.notes) if notes else ""
    return (f'<div class="citizensfirst-table" lang="{_esc(table.language, quote=True)}">{"".join(tables)}'
            + (f'<ul class="notes">{listed}</ul>' if notes else "") + "</div>")


def _references(numbers: list[int], anchor: str) -> str:
    """Superscript links to footnotes, runs of three or more joined by a dash: 1–5, 7."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    link = '<a href="#{0}-{1}">{1}</a>'.format
    shown = [link(anchor, r[0]) + ("\u2013" if len(r) > 2 else ",") + link(anchor, r[-1]) if len(r) > 1
             else link(anchor, r[0]) for r in runs]
    return f'<sup class="note-ref">{",".join(shown)}</sup>' if numbers else ""


def tables_html(tables: Sequence[Table], *, anchor: str = "table-note") -> str:
    """The tables of one section, then their notes once as numbered footnotes, then the legend.

    Each distinct note gets one number, in order of first use; every caption ends with links
    to the numbers of its table's notes. The legend lists each symbol used (flags as boxed
    markers, column letters as a superscript) once.

    Parameters
    ----------
    tables : sequence of Table
        The tables, in order (one language).
    anchor : str, default "table-note"
        Prefix of the footnotes' ``id`` (``table-note-1``, ...), unique in the page.

    Returns
    -------
    str
        HTML: the tables, an ``<ol class="footnotes">`` and a ``<ul class="legend">``.
    """
    if not tables:
        return ""
    numbers: dict[str, int] = {}
    legend: dict[str, str] = {}
    parts = []
    for table in tables:
        mine = [numbers.setdefault(note, len(numbers) + 1) for note in table.footnotes]
        for symbol, meaning in table.legend:
            legend.setdefault(symbol, meaning)
        parts.append(table_html(table, notes=False, refs=_references(mine, anchor)))
    language = tables[0].language
    notes = "".join(f'<li id="{_esc(anchor, quote=True)}-{n}">{_esc(note)}</li>' for note, n in numbers.items())
    symbols = "".join(
        f"<li>{letters_html(symbol) if symbol == LETTERS_SYMBOL else flag_html(symbol)} {_esc(meaning)}</li>"
        for symbol, meaning in legend.items())
    return ("".join(parts)
            + f'<div class="table-notes" lang="{_esc(language, quote=True)}">'
            + f'<p class="notes-heading">{_esc(text("table_notes_heading", language))}</p><ol class="footnotes">{notes}</ol>'
            + f'<p class="notes-heading">{_esc(text("table_legend_heading", language))}</p><ul class="legend">{symbols}</ul></div>')
