"""The :class:`Chart` result shared by every chart function, and drawing helpers.

A chart is a matplotlib :class:`~matplotlib.figure.Figure` drawn on the Agg canvas (pyplot and
its global state are never touched), plus what is needed to publish it accessibly: a title, an
alternative text that states the main finding with numbers in the chart's language, and the data
behind it.

>>> import pandas as pd
>>> from citizensfirst.charts import trend_chart
>>> chart = trend_chart(pd.DataFrame({"wave": [2020, 2023], "estimate": [70.0, 72.5],
...                                   "ci_low": [68.0, 70.4], "ci_high": [72.0, 74.6]}),
...                     language="fr", title="Satisfaction globale")
>>> chart.figure.get_size_inches().tolist(), chart.language
([8.0, 5.0], 'fr')
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> sorted(p.name for p in chart.save(folder / "trend"))
['trend.csv', 'trend.png', 'trend.svg', 'trend.txt']
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from ..errors import CodebookError
from ..fileutil import atomic_output, atomic_write_text
from ..i18n import check_language, format_number, format_percent
from ..io.cmt import dimension
from ..io.codebook import Codebook
from ..sanitize import neutralize_frame
from . import theme

__all__ = ["FORMATS", "Chart"]

#: Formats :meth:`Chart.save` can write.
FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True, eq=False)
class Chart:
    """A rendered chart with its accessible description and data.

    ``figure`` (matplotlib Figure, Agg canvas, 800 x 500 px at 100 dpi, taller or wider only
    when many long labels need the room), ``alt_text`` (one or a few sentences in ``language``
    naming what is charted and stating the main finding with numbers), ``data`` (the
    DataFrame plotted, with the labels drawn), ``title``, ``language`` and ``kind`` (``"trend"``,
    ``"distribution"``, ``"importance"``, ``"quadrant"``, ``"channels"``).
    """

    figure: Figure
    alt_text: str
    data: pd.DataFrame
    title: str
    language: str = "en"
    kind: str = ""

    def _metadata(self, fmt: str) -> dict[str, Any]:
        meta = dict(theme.SAVE_METADATA[fmt])
        if fmt == "png":
            meta.update({"Title": self.title, "Description": self.alt_text})
        elif fmt == "svg":
            meta.update({"Title": self.title, "Description": self.alt_text,
                         "Language": self.language})
        elif fmt == "pdf":
            meta.update({"Title": self.title, "Subject": self.alt_text})
        return meta

    def render(self, target: Any, fmt: str = "png") -> None:
        """Write the figure in ``fmt`` to a path or binary file object, with the theme applied.

        Parameters
        ----------
        target : str, Path or binary file object
            Where matplotlib writes the figure.
        fmt : str, default "png"
            One of :data:`FORMATS`.

        Raises
        ------
        ValueError
            If ``fmt`` is not one of :data:`FORMATS`.
        """
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
        with theme.style():
            self.figure.savefig(target, format=fmt, dpi=theme.DPI, metadata=self._metadata(fmt),
                                facecolor=theme.WHITE)

    def to_bytes(self, fmt: str = "png") -> bytes:
        """The figure encoded as ``fmt`` ("png", "svg" or "pdf").

        Parameters
        ----------
        fmt : str, default "png"
            One of :data:`FORMATS`.

        Returns
        -------
        bytes
            The encoded figure.

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst.charts import channel_chart
        >>> data = pd.DataFrame({"channel": ["Online", "Phone"], "used": [0.5, 0.3],
        ...                      "preferred": [0.6, 0.2]})
        >>> channel_chart(data).to_bytes("png")[:4]
        b'\\x89PNG'
        """
        buffer = io.BytesIO()
        self.render(buffer, fmt)
        return buffer.getvalue()

    def save(self, path_stem: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
        """Write ``<stem>.<fmt>`` for each format, ``<stem>.txt`` (alt text) and ``<stem>.csv``
        (data, text cells neutralised against formula injection by
        :func:`citizensfirst.sanitize.neutralize_frame`), each atomically; returns the paths written.

        Files carry no dates or version strings, so saving the same chart twice gives the same
        bytes; PNG and SVG embed the title and alt text as metadata.

        Parameters
        ----------
        path_stem : str or Path
            Path without extension; each file adds its own suffix.
        formats : sequence of str, default ("png", "svg")
            Image formats to write, each one of :data:`FORMATS`.

        Returns
        -------
        list of Path
            The image files, then the ``.txt`` and ``.csv`` files, in the order written.

        Raises
        ------
        ValueError
            If a format is not one of :data:`FORMATS`.
        """
        stem = Path(path_stem)
        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise ValueError(f"formats must be among {FORMATS}, got {bad}")
        written = []
        for fmt in dict.fromkeys(formats):
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_output(path) as tmp:
                self.render(tmp, fmt)
            written.append(path)
        text_path = stem.with_name(f"{stem.name}.txt")
        atomic_write_text(text_path, self.alt_text + "\n")
        csv_path = stem.with_name(f"{stem.name}.csv")
        atomic_write_text(csv_path, neutralize_frame(self.data).to_csv(index=False, lineterminator="\n"))
        return [*written, text_path, csv_path]

    def _repr_png_(self) -> bytes:
        return self.to_bytes("png")

    def __repr__(self) -> str:
        return f"Chart(kind={self.kind!r}, language={self.language!r}, title={self.title!r})"


# --------------------------------------------------------------------------------------------
# helpers for the chart modules
# --------------------------------------------------------------------------------------------


def new_figure() -> tuple[Figure, Axes]:
    """A themed 8 x 5 inch figure on the Agg canvas with one axes (call inside theme.style()).

    Returns
    -------
    tuple of (Figure, Axes)
        The new figure and its single axes.
    """
    fig = Figure(figsize=(theme.WIDTH_IN, theme.HEIGHT_IN), dpi=theme.DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    return fig, ax


def settle(fig: Figure) -> None:
    """Run the figure's layout until it stops moving (at most 8 draws).

    Constrained layout starts from the current axes positions, so each draw may move them a
    little; labels placed in pixels need the final positions.  A title too wide for the figure
    is wrapped on the way (a title wider than the figure would collapse the layout).

    Parameters
    ----------
    fig : Figure
        The figure to lay out.
    """
    previous = None
    for _ in range(8):
        fig.draw_without_rendering()
        wrapped = [_fit_title(ax) for ax in fig.axes]
        positions = [tuple(ax.get_position().bounds) for ax in fig.axes]
        if positions == previous and not any(wrapped):
            break
        previous = positions


def _fit_title(ax: Axes) -> bool:
    """Wrap the axes title, more narrowly each time, until it ends inside the figure; whether
    it was rewrapped."""
    changed = False
    for loc in ("left", "center", "right"):
        shown = ax.get_title(loc)
        for title in [t for t in ax.get_children() if isinstance(t, Text) and shown
                      and t.get_text() == shown]:
            full = shown.replace("\n", " ")
            width = max(len(line) for line in shown.split("\n"))
            while width > 20 and title.get_window_extent().x1 > ax.figure.bbox.width - 4:
                width = int(width * 0.85)
                title.set_text(wrap(full, width))
                changed = True
    return changed


def finish(fig: Figure, *, title: str, alt_text: str, data: pd.DataFrame, language: str,
           kind: str) -> Chart:
    """Lay the figure out under the theme and freeze it.

    The layout is :func:`settled <settle>` and then fixed, so every later save gives the same
    image.  Ticks are created now, under the theme.

    Parameters
    ----------
    fig : Figure
        The drawn figure.
    title : str
        Chart title.
    alt_text : str
        Alternative text stating the main finding.
    data : pandas.DataFrame
        The data plotted (its index is dropped).
    language : str
        Language code of the chart.
    kind : str
        Chart kind, e.g. ``"trend"``.

    Returns
    -------
    Chart
        The frozen chart.
    """
    settle(fig)
    fig.set_layout_engine("none")
    return Chart(figure=fig, alt_text=alt_text, data=data.reset_index(drop=True), title=title,
                 language=language, kind=kind)


def hatch_color(patch: Any, color: str) -> None:
    """Set a patch's hatch colour.

    Needs matplotlib >= 3.10; older versions draw hatches in the edge colour, which every chart
    sets to the same colour explicitly, so this is then a no-op.

    Parameters
    ----------
    patch : matplotlib.patches.Patch
        The patch to colour.
    color : str
        Hatch colour.
    """
    setter = getattr(patch, "set_hatchcolor", None)
    if setter is not None:
        setter(color)


def number_formatter(language: str, decimals: int = 0) -> FuncFormatter:
    """Tick formatter with the language's decimal mark (``3,5`` in French).

    Parameters
    ----------
    language : str
        Language code (``"en"`` or ``"fr"``).
    decimals : int, default 0
        Decimal places shown.

    Returns
    -------
    FuncFormatter
        The formatter for an axis.
    """
    return FuncFormatter(lambda value, _pos: format_number(float(value), language, decimals))


def percent_formatter(language: str, decimals: int = 0) -> FuncFormatter:
    """Tick formatter for values in percent (0-100): ``72%`` / ``72 %``.

    Parameters
    ----------
    language : str
        Language code (``"en"`` or ``"fr"``).
    decimals : int, default 0
        Decimal places shown.

    Returns
    -------
    FuncFormatter
        The formatter for an axis.
    """
    return FuncFormatter(
        lambda value, _pos: format_percent(float(value) / 100.0, language, decimals))


def join_list(items: Sequence[str], language: str) -> str:
    """``a, b and c`` / ``a, b et c``.

    Parameters
    ----------
    items : sequence of str
        The items to join.
    language : str
        Language code; ``"fr"`` joins with ``et``, anything else with ``and``.

    Returns
    -------
    str
        The joined list (the single item, or ``""`` for none).

    Examples
    --------
    >>> join_list(["a", "b", "c"], "fr"), join_list(["a"], "en")
    ('a, b et c', 'a')
    """
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    word = " et " if language == "fr" else " and "
    return ", ".join(items[:-1]) + word + items[-1]


def signed(value: float, language: str, decimals: int = 1) -> str:
    """A number with an explicit sign: ``+2.4``, ``-1,0``.

    Parameters
    ----------
    value : float
        The number.
    language : str
        Language code, for the decimal mark.
    decimals : int, default 1
        Decimal places shown.

    Returns
    -------
    str
        The formatted number with ``+`` or ``-``.

    Examples
    --------
    >>> signed(2.4, "en"), signed(-1.0, "fr")
    ('+2.4', '-1,0')
    """
    body = format_number(abs(value), language, decimals)
    return ("-" if value < 0 else "+") + body


def colon(language: str) -> str:
    """``": "`` in English, ``" : "`` (non-breaking space before) in French.

    Parameters
    ----------
    language : str
        Language code.

    Returns
    -------
    str
        The colon with its spacing.
    """
    return "\u00a0: " if language == "fr" else ": "


def resolve_labels(keys: Sequence[Any], labels: Any, language: str) -> dict[Any, str]:
    """Display labels for ``keys`` from a mapping, a callable or a codebook, else the key.

    With a :class:`~citizensfirst.codebook.Codebook`, a variable tied to a CMT dimension gets
    the dimension's short name (``Timeliness`` / ``Rapidité``), others their label.

    Parameters
    ----------
    keys : sequence
        The keys (usually variable names) to label.
    labels : Mapping, callable, Codebook or None
        Source of labels; a key it has no label for keeps the key as its label.
    language : str
        Language code for codebook labels.

    Returns
    -------
    dict
        Key to display label (str).

    Examples
    --------
    >>> resolve_labels(["a", "b"], {"a": "Alpha"}, "en")
    {'a': 'Alpha', 'b': 'b'}
    """
    out = {}
    for key in keys:
        label: Any = None
        if isinstance(labels, Codebook):
            if key in labels:
                var = labels[key]
                label = _dimension_name(var.dimension, language) or var.label_in(language)
        elif callable(labels):
            label = labels(key)
        elif labels is not None:
            label = labels.get(key)
        out[key] = str(label) if label is not None else str(key)
    return out


def _dimension_name(dim_id: str | None, language: str) -> str | None:
    if not dim_id:
        return None
    try:
        return dimension(dim_id).name_in(language)
    except (CodebookError, KeyError, ValueError):
        return None


def check(language: str) -> str:
    """Validated language code.

    Parameters
    ----------
    language : str
        Language code to check.

    Returns
    -------
    str
        The validated code (see :func:`citizensfirst.i18n.check_language`).
    """
    return check_language(language)


def wrap(text: str, width: int = 32) -> str:
    """``text`` wrapped on spaces to lines of at most ``width`` characters (for tick labels).

    Parameters
    ----------
    text : str
        Text to wrap.
    width : int, default 32
        Maximum line length; longer words are not broken.

    Returns
    -------
    str
        The wrapped text (``text`` itself if wrapping gives nothing).
    """
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text

