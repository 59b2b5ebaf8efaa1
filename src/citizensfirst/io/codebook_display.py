"""How a :class:`~citizensfirst.io.codebook.Codebook` shows itself: a one-line repr and an HTML table.

The HTML form (Jupyter's ``_repr_html_``) is a table of the variables (name, wording, measure,
scale, value labels, missing codes) followed by one of the multiple-response sets, long lists
shortened, every text escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codebook import Codebook

#: variables shown in the HTML table before "... N more"
MAX_ROWS = 60
#: value labels shown per variable before "..."
MAX_LABELS = 6


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pairs(mapping: Mapping[Any, str]) -> str:
    shown = [f"{_code(k)} = {v}" if v else _code(k) for k, v in list(mapping.items())[:MAX_LABELS]]
    more = "; ..." if len(mapping) > MAX_LABELS else ""
    return "; ".join(shown) + more


def _table(head: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>" for row in rows)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{cells}</tbody></table>"


def codebook_repr(codebook: Codebook) -> str:
    """One line: the number of variables and multiple-response sets, and the title.

    Parameters
    ----------
    codebook : Codebook
        The codebook.

    Returns
    -------
    str
        The repr.
    """
    sets = len(codebook.mr_sets)
    text = f"Codebook({len(codebook)} variables"
    text += f", {sets} multiple-response set{'s' if sets != 1 else ''}" if sets else ""
    return text + (f", {codebook.title!r})" if codebook.title else ")")


def codebook_html(codebook: Codebook) -> str:
    """The codebook as HTML: a table of its variables, then a table of its multiple-response sets.

    Parameters
    ----------
    codebook : Codebook
        The codebook.

    Returns
    -------
    str
        The HTML fragment.
    """
    rows = []
    for var in list(codebook.values())[:MAX_ROWS]:
        missing = _pairs(var.missing)
        ranges = "; ".join(f"{_code(lo)}-{_code(hi)}" for lo, hi in var.missing_ranges)
        rows.append((var.name, var.label or "", var.label_fr or "", var.measure or "",
                     "" if var.scale is None else f"{_code(var.scale[0])}-{_code(var.scale[1])}",
                     _pairs(var.value_labels), "; ".join(x for x in (missing, ranges) if x)))
    parts = [f"<p><b>{html.escape(codebook_repr(codebook))}</b></p>",
             _table(("variable", "label", "label (FR)", "measure", "scale", "value labels", "missing codes"),
                    rows)]
    if len(codebook) > MAX_ROWS:
        parts.append(f"<p>... {len(codebook) - MAX_ROWS} more variables</p>")
    if codebook.mr_sets:
        parts.append("<p><b>Multiple-response sets</b></p>")
        parts.append(_table(
            ("set", "label", "label (FR)", "type", "counted value", "variables"),
            ((mr.name, mr.label or "", mr.label_fr or "", mr.kind,
              "" if mr.counted_value is None else _code(mr.counted_value), ", ".join(mr.variables))
             for mr in codebook.mr_sets.values())))
    return "".join(parts)
