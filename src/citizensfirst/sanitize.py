"""Neutralise text that a spreadsheet would run as a formula (CSV / formula injection).

A label such as ``=HYPERLINK(...)`` or ``@SUM(A1)`` written as is into a CSV or an xlsx file becomes a
live formula when the file is opened in a spreadsheet. Following the OWASP CSV-injection guidance,
every text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
apostrophe, so the spreadsheet shows it as text. Plain numbers written as text (``"-3.5"``, ``"+1"``,
the French ``"-1,5"``, ``"-12 %"``) are left alone, and values that are not text (numbers, missing values) are never touched.

>>> neutralize("=1+2"), neutralize("-3.5"), neutralize(7)
("'=1+2", '-3.5', 7)
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

RISKY_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet treat a text cell as a formula."""

_RISKY = re.compile(r"[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d[\d\u00a0\u202f ,.]*|[.,]\d+)(?:[eE][+-]?\d+)?\s?%?")
"""A number as text: sign, digits with group and decimal marks (``-1,5``, ``+4\u00a0300``), exponent, %."""


def neutralize(value: Any) -> Any:
    """Return ``value`` with a leading apostrophe if it is text a spreadsheet would run as a formula.

    Parameters
    ----------
    value : Any
        A cell value. Only ``str`` values are changed, and only when they start with one of
        ``= + - @ TAB CR`` and are not a plain number.

    Returns
    -------
    Any
        ``"'" + value`` for risky text, ``value`` itself otherwise.

    Examples
    --------
    >>> [neutralize(v) for v in ["=1+2", "-2+3", "@SUM(A1)", "+cmd|' /C calc'!A0"]]
    ["'=1+2", "'-2+3", "'@SUM(A1)", "'+cmd|' /C calc'!A0"]
    >>> [neutralize(v) for v in ["-3.5", "+1", "-1,5", "-12 %", "Very satisfied", "", None, -2.0]]
    ['-3.5', '+1', '-1,5', '-12 %', 'Very satisfied', '', None, -2.0]
    >>> neutralize("\\tx")
    "'\\tx"
    """
    if isinstance(value, str) and value.startswith(RISKY_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _neutralize_series(series: pd.Series) -> pd.Series:
    """Neutralise the text cells of one column (categories of a categorical), numbers untouched."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.rename_categories([neutralize(c) for c in series.cat.categories])
    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return series
    is_text = series.map(lambda cell: type(cell) is str)
    text = series.where(is_text)  # non-text cells become NaN and never match
    risky = text.str.match(_RISKY).fillna(False).astype(bool)
    risky &= ~text.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool)
    if not risky.any():
        return series
    out = series.copy()
    out[risky] = "'" + text[risky]
    return out


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every text cell and every column name neutralised.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table about to be written to a CSV or spreadsheet file. It is not modified.

    Returns
    -------
    pandas.DataFrame
        A new frame: risky text cells and column names carry a leading apostrophe; numbers,
        missing values and the index are unchanged.

    Examples
    --------
    >>> df = pd.DataFrame({"label": ["=1+2", "ok"], "@n": [3, -4]})
    >>> out = neutralize_frame(df)
    >>> out.to_dict(orient="list")
    {'label': ["'=1+2", 'ok'], "'@n": [3, -4]}
    >>> df.columns.tolist()
    ['label', '@n']
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        # pandas-stubs leave a Series out of isetitem's value types; pandas takes it
        out.isetitem(position, _neutralize_series(out.iloc[:, position]))  # type: ignore[arg-type]
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = pd.MultiIndex.from_tuples(
            [tuple(neutralize(part) for part in key) for key in out.columns], names=out.columns.names
        )
    else:
        out.columns = pd.Index([neutralize(c) for c in out.columns], name=out.columns.name)
    return out
