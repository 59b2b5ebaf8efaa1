"""Checking a codebook against the data it describes, and laying one codebook over another."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import pandas as pd

from ..errors import CodebookError
from .codebook import Codebook, Variable
from .codes import Code
from .columns import column_kind, is_tagged_code
from .mrsets import check_mr_sets


def _all_codes(var: Variable) -> list[Code]:
    return [*var.value_labels, *var.value_labels_fr, *var.missing, *var.missing_fr]


def validate_codebook(codebook: Codebook, data: pd.DataFrame, *, source: str = "data",
                      columns: Iterable[str] | None = None) -> None:
    """Raise :class:`CodebookError` when ``codebook`` does not fit ``data``.

    A codebook variable that is not a column (of ``columns``, default ``data.columns``) is an
    error, and so is a code that its column cannot hold: a text code on a numeric column (other
    than a tagged missing code such as ``".a"``), a fractional code on an integer column, any code
    on a date/time column, a tagged missing code on a text column. The message names ``source``,
    the variable and the code.

    Parameters
    ----------
    codebook : Codebook
        The codebook.
    data : pandas.DataFrame
        The data.
    source : str, default "data"
        Where the data came from, for messages.
    columns : iterable of str or None, optional
        The column names the codebook may list (default: ``data.columns``).

    Raises
    ------
    CodebookError
        If a variable is not a column, a code does not fit its column, or a multiple-response set
        names a variable that is not a column or mixes numeric and text variables.

    Examples
    --------
    >>> cb = Codebook([Variable("q1", missing={"dk": "Don't know"})])
    >>> validate_codebook(cb, pd.DataFrame({"q1": [1.0, 2.0]}), source="cf.csv")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.CodebookError: cf.csv: codebook variable 'q1' is numeric but its code 'dk' is text; numeric columns take numeric codes (or tagged missing codes .a-.z)
    """
    names = list(data.columns) if columns is None else list(columns)
    absent = [name for name in codebook if name not in names]
    if absent:
        shown = ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")
        raise CodebookError(
            f"{source}: codebook variable(s) {', '.join(map(repr, absent))} are not columns of the "
            f"data; columns: {shown}"
        )
    check_mr_sets(codebook.mr_sets, data, source=source, columns=names)
    for name, var in codebook.items():
        if name not in data.columns:
            continue
        kind = column_kind(data[name])
        is_int = pd.api.types.is_integer_dtype(data[name].dtype)
        for code in _all_codes(var):
            problem = None
            if kind == "numeric":
                if isinstance(code, str) and not is_tagged_code(code):
                    problem = "is numeric but its code {code!r} is text; numeric columns take numeric codes (or tagged missing codes .a-.z)"
                elif is_int and isinstance(code, float):
                    problem = "holds integers but its code {code!r} is fractional"
            elif kind == "datetime":
                problem = "holds dates/times, which cannot carry value labels or missing codes (code {code!r})"
            elif kind == "string" and is_tagged_code(code):
                problem = "is text but its code {code!r} is a tagged missing code, which only numeric columns can hold"
            if problem:
                raise CodebookError(f"{source}: codebook variable {name!r} " + problem.format(code=code))
        if var.missing_ranges and kind == "string":
            raise CodebookError(
                f"{source}: codebook variable {name!r} is text but has missing ranges "
                f"{list(var.missing_ranges)}; text columns take discrete missing codes only"
            )


def merge_codebooks(base: Codebook, overlay: Codebook | None) -> Codebook:
    """``base`` with every field that ``overlay`` sets replacing base's (field by field).

    Variables only in ``overlay`` are appended; the overlay's title wins when set.

    Parameters
    ----------
    base : Codebook
        The codebook to start from.
    overlay : Codebook or None
        The codebook whose fields win (None: ``base`` unchanged).

    Returns
    -------
    Codebook
        The merged codebook.

    Examples
    --------
    >>> base = Codebook([Variable("q1", label="Time", value_labels={1: "Low"})], title="CF")
    >>> merged = merge_codebooks(base, Codebook([Variable("q1", label_fr="Délai")]))
    >>> merged["q1"].label, merged["q1"].label_fr, dict(merged["q1"].value_labels), merged.title
    ('Time', 'Délai', {1: 'Low'}, 'CF')
    """
    if overlay is None:
        return base
    variables = dict(base.items())
    for name, over in overlay.items():
        if name not in variables:
            variables[name] = over
            continue
        changes = {}
        for field_name in Variable.__dataclass_fields__:
            if field_name == "name":
                continue
            value = getattr(over, field_name)
            if value is None or (isinstance(value, Mapping | tuple) and len(value) == 0):
                continue
            changes[field_name] = value
        variables[name] = replace(variables[name], **changes)
    return Codebook(variables.values(), title=overlay.title or base.title,
                    title_fr=overlay.title_fr or base.title_fr, mr_sets={**base.mr_sets, **overlay.mr_sets})
