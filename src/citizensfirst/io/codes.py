"""Survey codes: the ``Code`` type and :func:`normalize_code`, which reads ``"8"`` and ``8.0`` as ``8``."""

from __future__ import annotations

import math
from typing import Any

Code = float | int | str


def normalize_code(code: Any) -> Code:
    """Return ``code`` as an int when it is integral, a float when numeric, else a string.

    Parameters
    ----------
    code : Any
        A code as read from a file or a TOML key (e.g. ``"8"``, ``8.0``).

    Returns
    -------
    int, float or str
        The normalised code.

    Examples
    --------
    >>> normalize_code("8"), normalize_code(8.0), normalize_code("a"), normalize_code(2.5)
    (8, 8, 'a', 2.5)
    """
    if isinstance(code, bool):
        return int(code)
    if isinstance(code, int):
        return code
    if isinstance(code, float):
        return int(code) if code.is_integer() else code
    text = str(code).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if math.isnan(number):
        return text
    return int(number) if number.is_integer() else number
