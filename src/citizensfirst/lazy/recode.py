"""A codebook's missing codes read as NULL in a lazy design's rows, as :class:`~citizensfirst.io.Survey` reads them as NaN.

The codes are each variable's own (``Variable.missing`` and ``Variable.missing_ranges``, the
lists the in-memory survey uses): in a numeric column a value equal to a numeric code or inside
a range (bounds included) is missing; in a text column a cell is missing when its trimmed text
is a text code, or reads as a number that is a code or lies in a range (``"8"`` and ``"8.0"``
are both code 8). Every column is recoded, the design's own too, as in memory, where a missing
code in the weights is a missing weight.

>>> from citizensfirst.io.codebook import Codebook, Variable
>>> codebook = Codebook([Variable("q", missing={8: "Don't know"}, missing_ranges=[(97, 99)])])
>>> print(missing_as_null("numeric", codebook.get_variable("q"), '"q"', str))
CASE WHEN "q" IN (8) OR "q" BETWEEN 97.0 AND 99.0 THEN NULL ELSE "q" END
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends.base import Backend

__all__ = ["missing_as_null", "with_missing_codes_as_null"]


def with_missing_codes_as_null(backend: Backend, codebook: Any) -> Backend:
    """The backend's rows with every column's missing codes (per ``codebook``) replaced by NULL.

    Parameters
    ----------
    backend : Backend
        The rows.
    codebook : Codebook or None
        The codebook (None: the rows as they are).

    Returns
    -------
    Backend
        A view of the rows in which the codes are NULL (``backend`` itself when no column has codes).
    """
    if codebook is None:
        return backend
    recoded = {}
    for name, kind in backend.columns().items():
        sql = missing_as_null(kind, codebook.get_variable(name), backend.column(name), backend.literal)
        if sql is not None:
            recoded[name] = sql
    return backend.with_columns(recoded) if recoded else backend


def missing_as_null(kind: str, variable: Any, column: str, literal: Callable[[object], str]) -> str | None:
    """The SQL of a column, NULL where it holds one of ``variable``'s missing codes.

    Parameters
    ----------
    kind : str
        Its kind (``'numeric'``, ``'string'``, ...); other kinds are not recoded.
    variable : Variable
        Its codebook variable.
    column : str
        The column quoted for the backend.
    literal : callable
        A value as an SQL literal of the backend.

    Returns
    -------
    str or None
        The expression, or None when the column needs no recoding.
    """
    numbers = [code for code in variable.missing if not isinstance(code, str)]
    texts = [code for code in variable.missing if isinstance(code, str)]
    ranges = list(variable.missing_ranges)
    if kind == "numeric":
        value, texts = column, []
    elif kind == "string":
        value = f"TRY_CAST(TRIM({column}) AS DOUBLE)"
    else:
        return None
    tests = ([f"{value} IN ({', '.join(literal(c) for c in numbers)})"] if numbers else []) + [
        f"{value} BETWEEN {literal(lo)} AND {literal(hi)}" for lo, hi in ranges]
    if texts:
        tests.append(f"TRIM({column}) IN ({', '.join(literal(c) for c in texts)})")
    if not tests:
        return None
    return f"CASE WHEN {' OR '.join(tests)} THEN NULL ELSE {column} END"
