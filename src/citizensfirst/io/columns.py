"""What a data column holds: numeric, text, dates or other, and tagged missing codes (``".a"``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

TAG_PATTERN = re.compile(r"^\.[A-Za-z_]$")


def is_tagged_code(code: Any) -> bool:
    """True for a Stata/SAS tagged missing code written as a string: ``".a"``, ``".Z"``, ``"._"``.

    Parameters
    ----------
    code : Any
        The code.

    Returns
    -------
    bool
        Whether it is a tagged missing code.

    Examples
    --------
    >>> is_tagged_code(".a"), is_tagged_code("._"), is_tagged_code("a"), is_tagged_code(8)
    (True, True, False, False)
    """
    return isinstance(code, str) and bool(TAG_PATTERN.match(code))



def column_kind(values: pd.Series) -> str:
    """``"numeric"``, ``"datetime"``, ``"string"`` or ``"other"`` (dates, times, mixed objects).

    Parameters
    ----------
    values : pandas.Series
        The column.

    Returns
    -------
    str
        The column's kind.

    Examples
    --------
    >>> column_kind(pd.Series([1.0, 2.0])), column_kind(pd.Series(["a", None]))
    ('numeric', 'string')
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "other"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "other"
    present = values.dropna()
    if len(present) == 0:
        return "string" if pd.api.types.is_string_dtype(dtype) else "numeric"
    kinds = {type(v) for v in present.array}
    if all(issubclass(k, str) for k in kinds):
        # a column of nothing but tagged missing codes is a numeric column with no valid answer
        return "numeric" if all(is_tagged_code(v) for v in present.array) else "string"
    if all(issubclass(k, int | float | np.integer | np.floating | str) for k in kinds):
        # numbers mixed with tagged-missing strings (".a"): a numeric column in the making
        if all(isinstance(v, int | float | np.integer | np.floating) or is_tagged_code(v)
               for v in present.array):
            return "numeric"
    return "other"

