"""One accessible theme for every citizensfirst chart.

* **Colours** are Okabe-Ito hues, darkened where needed so that every colour has a contrast
  ratio of at least 4.5:1 against the white background (WCAG 2.1 AA asks 3:1 for graphical
  objects, 1.4.11, and 4.5:1 for text, 1.4.3; meeting 4.5:1 lets a series colour also be used
  for a direct label, and white text be written on a filled bar).
* **Fixed series styles**: :func:`series_style` gives a key (a wave such as ``2023``,
  ``"2023"`` or ``"cf2023"``, or any series name) the same colour, marker, line style and hatch
  in every chart.  Waves 2023, 2018 and 2020 are pinned in :data:`FIXED_SERIES`; other keys get
  a style from a stable hash (CRC-32, not Python's salted ``hash``).
* **Redundant encodings**: every series also has its own marker, line style and hatch, so no
  meaning relies on colour alone (WCAG 1.4.1).
* **Deterministic output**: :data:`RC` fixes the font (DejaVu Sans, shipped with matplotlib),
  sizes, figure size (800 x 500 px at 100 dpi), the SVG hash salt and text-as-text SVG fonts,
  so that baselines are stable; :data:`SAVE_METADATA` removes dates and version strings.

>>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
21.0
>>> min(round(contrast_ratio(c, WHITE), 2) for c in SERIES_COLORS) >= 4.5
True
>>> series_color(2023) == series_color("cf2023") == series_color("2023") == BLUE
True
>>> series_style("2018").marker, series_style("2020").marker
('s', '^')
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib.colors import to_rgba

if TYPE_CHECKING:  # matplotlib >= 3.9 names its rcParams keys; annotations only
    from matplotlib.typing import RcKeyType

__all__ = [
    "BLUE",
    "CATEGORY_COLORS",
    "FIXED_SERIES",
    "GREEN",
    "GREY",
    "GRID",
    "MUTED_TEXT",
    "OLIVE",
    "ORANGE",
    "PURPLE",
    "RC",
    "SAVE_METADATA",
    "SERIES_COLORS",
    "TEXT",
    "VERMILLION",
    "WHITE",
    "SeriesStyle",
    "contrast_ratio",
    "relative_luminance",
    "series_color",
    "series_key",
    "series_style",
    "series_styles",
    "style",
]

WHITE = "#FFFFFF"
#: Body text (17.4:1 on white).
TEXT = "#1A1A1A"
#: Secondary text: axis notes, source lines (7.0:1 on white).
MUTED_TEXT = "#595959"
#: Grid lines and reference shading: decorative only (marked with :data:`DECORATIVE_GID`).
GRID = "#DDDDDD"
#: ``gid`` of artists that carry no information of their own (grid, confidence band tint);
#: the information they echo is always drawn again with a mark that meets 3:1.
DECORATIVE_GID = "cf-decorative"

BLUE = "#0072B2"  # Okabe-Ito blue, unchanged: 5.19:1
ORANGE = "#A35D00"  # Okabe-Ito orange #E69F00 darkened: 5.09:1
GREEN = "#007A5A"  # Okabe-Ito bluish green #009E73 darkened: 5.34:1
PURPLE = "#9E4A87"  # Okabe-Ito reddish purple #CC79A7 darkened: 5.55:1
OLIVE = "#7A6A00"  # Okabe-Ito yellow #F0E442 darkened: 5.40:1
VERMILLION = "#C04A00"  # Okabe-Ito vermillion #D55E00 darkened: 4.98:1
GREY = "#595959"  # 7.00:1

#: Series colours, in style-index order (index i also selects MARKERS[i], LINESTYLES[i], ...).
SERIES_COLORS: tuple[str, ...] = (BLUE, ORANGE, GREEN, PURPLE, OLIVE, VERMILLION, GREY)
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES: tuple[Any, ...] = ("-", "--", ":", "-.", (0, (6, 2, 1, 2, 1, 2)), (0, (1, 3)),
                               (0, (8, 3)))
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "++", "--")

#: Keys pinned to a style index: the latest wave is blue circles with solid lines.
FIXED_SERIES: dict[str, int] = {"2023": 0, "2018": 1, "2020": 2}

#: Colours of answer categories and of the channel chart's two measures.
CATEGORY_COLORS: dict[str, str] = {
    "dissatisfied": VERMILLION,
    "neutral": GREY,
    "satisfied": BLUE,
    "used": BLUE,
    "preferred": ORANGE,
    "improve first": VERMILLION,
    "maintain": BLUE,
    "lower priority": GREY,
    "possible over-investment": ORANGE,
}
#: Hatches of answer categories (drawn in white over the fill) and channel measures.
CATEGORY_HATCHES: dict[str, str] = {
    "dissatisfied": "//",
    "neutral": "..",
    "satisfied": "",
    "used": "",
    "preferred": "//",
}
#: Markers of the importance-performance quadrants.
QUADRANT_MARKERS: dict[str, str] = {
    "improve first": "D",
    "maintain": "o",
    "lower priority": "s",
    "possible over-investment": "^",
}

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100

#: matplotlib settings applied while a chart is built and saved (see :func:`style`).
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "text.color": TEXT,
    "axes.labelcolor": TEXT,
    "axes.titlecolor": TEXT,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "xtick.labelcolor": TEXT,
    "ytick.labelcolor": TEXT,
    "axes.edgecolor": MUTED_TEXT,
    "axes.facecolor": WHITE,
    "figure.facecolor": WHITE,
    "savefig.facecolor": WHITE,
    "savefig.edgecolor": WHITE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "axes.unicode_minus": False,
    "legend.frameon": False,
    "figure.figsize": (WIDTH_IN, HEIGHT_IN),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": None,
    "svg.hashsalt": "citizensfirst",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "path.simplify": False,
    "hatch.linewidth": 1.0,
    "lines.linewidth": 2.0,
    "lines.markersize": 7.0,
    "text.hinting": "default",
    "text.antialiased": True,
}

#: ``savefig`` metadata per format: no dates, no software versions.
SAVE_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


@contextmanager
def style() -> Iterator[None]:
    """Apply :data:`RC` (and nothing else) for the duration of the block.

    >>> import matplotlib as mpl
    >>> with style():
    ...     mpl.rcParams["svg.hashsalt"]
    'citizensfirst'
    """
    with mpl.rc_context(RC):
        yield


# --------------------------------------------------------------------------------------------
# contrast
# --------------------------------------------------------------------------------------------


def relative_luminance(color: Any) -> float:
    """WCAG 2.1 relative luminance of a colour (any matplotlib colour spec; alpha ignored).

    ``L = 0.2126 R + 0.7152 G + 0.0722 B`` of the linearised sRGB channels
    (``c / 12.92`` up to 0.04045, else ``((c + 0.055) / 1.055) ** 2.4``).

    Parameters
    ----------
    color : str or tuple
        Any matplotlib colour spec.

    Returns
    -------
    float
        Relative luminance, 0 (black) to 1 (white).

    Examples
    --------
    >>> relative_luminance("white"), relative_luminance("black")
    (1.0, 0.0)
    """
    r, g, b, _ = to_rgba(color)

    def linear(c: float) -> float:
        """Linearised sRGB channel value.

        Parameters
        ----------
        c : float
            Gamma-encoded channel, 0 to 1.

        Returns
        -------
        float
            Linear channel value.
        """
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast_ratio(color1: Any, color2: Any = WHITE) -> float:
    """WCAG 2.1 contrast ratio ``(L1 + 0.05) / (L2 + 0.05)``, lighter over darker (1 to 21).

    Parameters
    ----------
    color1 : str or tuple
        First colour (any matplotlib colour spec).
    color2 : str or tuple, default WHITE
        Second colour; the order of the two does not matter.

    Returns
    -------
    float
        Contrast ratio, 1 to 21.

    Examples
    --------
    >>> round(contrast_ratio(BLUE, WHITE), 2), round(contrast_ratio("#767676"), 2)
    (5.19, 4.54)
    """
    l1, l2 = sorted((relative_luminance(color1), relative_luminance(color2)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


# --------------------------------------------------------------------------------------------
# series styles
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesStyle:
    """Colour, marker, line style and hatch of one series (all chosen by ``index``)."""

    key: str
    index: int
    color: str
    marker: str
    linestyle: Any
    hatch: str


_WAVE = re.compile(r"^(?:[A-Za-z]{1,4}[ _-]?)?((?:19|20)\d{2})$")


def series_key(key: Hashable) -> str:
    """The normalised key that decides a series style.

    Whole-number floats lose their ``.0``; a year with a short survey prefix (``"cf2023"``,
    ``"CF 2023"``) is the year.

    Parameters
    ----------
    key : Hashable
        Series key (a wave, a region, ...).

    Returns
    -------
    str
        The normalised key.

    Examples
    --------
    >>> series_key(2023.0), series_key("cf2018"), series_key(" Ontario ")
    ('2023', '2018', 'Ontario')
    """
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    text = str(key).strip()
    match = _WAVE.match(text)
    return match.group(1) if match else text


def _style(key: str, index: int) -> SeriesStyle:
    return SeriesStyle(key, index, SERIES_COLORS[index], MARKERS[index], LINESTYLES[index],
                       HATCHES[index])


def _hashed_index(key: str) -> int:
    free = [i for i in range(len(SERIES_COLORS)) if i not in set(FIXED_SERIES.values())]
    return free[zlib.crc32(key.encode("utf-8")) % len(free)]


def series_style(key: Hashable) -> SeriesStyle:
    """The fixed style of a series key (a wave, a region, ...), the same in every chart.

    Parameters
    ----------
    key : Hashable
        Series key; normalised by :func:`series_key`.

    Returns
    -------
    SeriesStyle
        The pinned style from :data:`FIXED_SERIES`, else one chosen by a hash of the key.

    Examples
    --------
    >>> s = series_style(2023)
    >>> s.color, s.marker, s.linestyle
    ('#0072B2', 'o', '-')
    >>> series_style("Ontario") == series_style("Ontario")
    True
    """
    norm = series_key(key)
    index = FIXED_SERIES.get(norm)
    return _style(norm, _hashed_index(norm) if index is None else index)


def series_color(key: Hashable) -> str:
    """The fixed colour of a series key (see :func:`series_style`).

    Parameters
    ----------
    key : Hashable
        Series key.

    Returns
    -------
    str
        Hex colour.

    Examples
    --------
    >>> series_color("2018"), series_color("2020")
    ('#A35D00', '#007A5A')
    """
    return series_style(key).color


def series_styles(keys: Iterable[Hashable]) -> dict[Hashable, SeriesStyle]:
    """Styles for the series of one chart, each distinct.

    Keys pinned in :data:`FIXED_SERIES` always get their style; others get their hashed style
    unless an earlier key of the same chart already holds it, in which case the next free
    style is used (so two series never share a colour in one chart).

    Parameters
    ----------
    keys : iterable of Hashable
        Series keys of the chart; duplicates are dropped.

    Returns
    -------
    dict
        Key to its :class:`SeriesStyle`, in the order of ``keys``.

    Raises
    ------
    ValueError
        If there are more distinct keys than styles.

    Examples
    --------
    >>> styles = series_styles([2018, 2020, 2023])
    >>> [s.color for s in styles.values()] == [ORANGE, GREEN, BLUE]
    True
    """
    keys = list(dict.fromkeys(keys))
    if len(keys) > len(SERIES_COLORS):
        raise ValueError(f"at most {len(SERIES_COLORS)} series can be styled, got {len(keys)}")
    out: dict[Hashable, SeriesStyle] = {}
    used: set[int] = set()
    pinned = {k: FIXED_SERIES[series_key(k)] for k in keys if series_key(k) in FIXED_SERIES}
    used.update(pinned.values())
    for key in keys:
        if key in pinned:
            out[key] = _style(series_key(key), pinned[key])
            continue
        index = series_style(key).index
        while index in used:
            index = (index + 1) % len(SERIES_COLORS)
        used.add(index)
        out[key] = _style(series_key(key), index)
    return out
