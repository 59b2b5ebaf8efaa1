"""Concise text and HTML displays of results: a title and a two-column table of facts.

Objects that hold much more than a reader wants at a glance (a design, a study, a trend) show a
few facts in a terminal (``__repr__``) and as a small HTML table in Jupyter (``_repr_html_``).
Every text put into HTML is escaped, and long values are shortened by :func:`brief`.

>>> print(facts_text("Design", [("weights", "wt"), ("strata", "none")]))
Design
  weights  wt
  strata   none
>>> facts_html("A <b>", [("k", "x & y")])
'<div><table><caption style="text-align:left"><b>A &lt;b&gt;</b></caption><tbody><tr><th style="text-align:left">k</th><td>x &amp; y</td></tr></tbody></table></div>'
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

#: longest text :func:`brief` returns
LIMIT = 80
#: design history steps that do not change the weights (the others weight: rake, trim, ...)
NOT_WEIGHTING = frozenset({"design", "subset", "options", "as_replicate", "harmonize", "with_columns"})


def weighting_steps(history: Sequence[Any]) -> list[str]:
    """The names of the weighting steps in a design's history (``rake``, ``trim``, ...).

    Parameters
    ----------
    history : sequence of Step
        ``Design.history``: steps with an ``action``.

    Returns
    -------
    list of str
        The actions that changed the weights, in order.
    """
    return [step.action for step in history if step.action not in NOT_WEIGHTING]


def brief(value: Any, limit: int = LIMIT) -> str:
    """A short text of a parameter value: mappings as their keys with sizes, long lists counted.

    Parameters
    ----------
    value : Any
        The value (a step parameter, a column name, a number, ...).
    limit : int, default 80
        Longest text returned (longer ones end with an ellipsis).

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> brief({"prov": {10: 1.0, 11: 2.0}, "age": {1: 3.0}})
    'prov (2), age (1)'
    >>> brief(list(range(10))), brief(0.123456789)
    ('[0, 1, 2, … 10 values]', '0.123457')
    """
    if isinstance(value, Mapping):
        text = ", ".join(f"{k} ({len(v)})" if isinstance(v, Mapping | list | tuple) else f"{k}={brief(v)}"
                         for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = [brief(v) for v in value[:3]]
        text = "[" + ", ".join(items) + (f", … {len(value)} values]" if len(value) > 3 else "]")
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_text(action: str, parameters: Mapping[str, Any]) -> str:
    """One history step in a line: ``rake(margins: prov (13), age_grp (3); total=4300)``.

    Parameters
    ----------
    action : str
        The step's name.
    parameters : mapping
        Its parameters (None values left out).

    Returns
    -------
    str
        The step, each parameter shortened by :func:`brief`.
    """
    shown = [f"{k}: {brief(v)}" if isinstance(v, Mapping) else f"{k}={brief(v, 40)}"
             for k, v in parameters.items() if v is not None]
    return f"{action}({'; '.join(shown)})"


def facts_text(title: str, facts: Sequence[tuple[str, str]]) -> str:
    """A title and aligned ``name  value`` lines.

    Parameters
    ----------
    title : str
        The first line.
    facts : sequence of (str, str)
        The facts, in order.

    Returns
    -------
    str
        The text.
    """
    width = max((len(name) for name, _ in facts), default=0)
    return "\n".join([title, *(f"  {name.ljust(width)}  {value}" for name, value in facts)])


def facts_html(title: str, facts: Sequence[tuple[str, str]]) -> str:
    """An HTML table of ``facts`` captioned ``title``; every text escaped.

    Parameters
    ----------
    title : str
        The caption.
    facts : sequence of (str, str)
        The rows: a name and its value.

    Returns
    -------
    str
        The HTML.
    """
    left = ' style="text-align:left"'
    rows = "".join(f"<tr><th{left}>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
                   for name, value in facts)
    return f"<div><table><caption{left}><b>{html.escape(title)}</b></caption><tbody>{rows}</tbody></table></div>"


def rows_html(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *, limit: int = 20) -> str:
    """An HTML table of at most ``limit`` rows (a last line counts the rest); every cell escaped.

    Parameters
    ----------
    title : str
        The caption.
    header : sequence of str
        The column headings.
    rows : sequence of sequences
        The cells, already formatted (each shown with ``str``).
    limit : int, default 20
        Most rows shown.

    Returns
    -------
    str
        The HTML.

    Examples
    --------
    >>> rows_html("T", ["a"], [[1], [2], [3]], limit=2).count("<tr>")
    4
    """
    left = ' style="text-align:left"'
    head = "".join(f"<th{left}>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows[:limit])
    if len(rows) > limit:
        body += f'<tr><td colspan="{len(header)}"{left}>… {len(rows) - limit} more rows</td></tr>'
    return (f"<table><caption{left}><b>{html.escape(title)}</b></caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
