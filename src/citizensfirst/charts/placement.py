"""Collision-free placement of chart labels, measured on the rendered figure.

Labels are placed in display space (pixels) after the layout has settled, so what is checked is
what is drawn.  :func:`place_labels` puts each point label at the first candidate position,
nearest first, whose box stays inside the axes and overlaps nothing already there (other labels,
markers, reference lines, corner captions, ...): a greedy search over rings of candidate
positions around the point, the same idea as label-placement libraries such as adjustText but
deterministic, and guaranteed not to overlap when the axes have room.  A label placed away from
its point gets a thin leader line.  The bar charts use :func:`fit_category_labels` (wrap or
shrink category labels, else make the figure bigger) and :func:`fit_inside` (widen the data
limits until value labels stay inside the axes).

>>> import numpy as np
>>> from citizensfirst.charts.base import new_figure, settle
>>> fig, ax = new_figure()
>>> ax.set_xlim(0, 10); ax.set_ylim(0, 10)  # doctest: +ELLIPSIS
(...)
>>> settle(fig)
>>> texts = place_labels(ax, np.full(6, 5.0), np.full(6, 5.0), [f"label {i}" for i in range(6)])
>>> boxes = np.array([t.get_window_extent().extents for t in texts])
>>> bool(overlapping(boxes).any())
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Text

from . import theme
from .base import settle, wrap

__all__ = ["box_of", "fit_category_labels", "fit_inside", "fit_legend", "overlapping",
           "place_labels", "tangled"]

#: Preferred directions (degrees, counter-clockwise from the right) tried at each distance.
RIGHT_FIRST = (0, 180, 30, -30, 150, 210, 90, 270, 60, -60, 120, 240, 15, -15, 165, 195, 45,
               -45, 135, 225, 75, -75, 105, 255)
#: Distances (pixels) from the point to the nearest edge of the label, tried in turn.
RINGS = (9, 14, 24, 36, 50, 66, 85, 110, 140, 175, 215, 260, 320, 400, 500)
#: Pixels kept free around every label box.
PAD = 2.0
#: Greedy passes tried, each placing first the labels the previous pass left without a clear place.
REORDERS = 3


def box_of(artist: Any, pad: float = 0.0) -> np.ndarray:
    """The rendered extent ``[x0, y0, x1, y1]`` (pixels) of an artist, grown by ``pad``.

    Parameters
    ----------
    artist : matplotlib.artist.Artist
        A drawn artist (its figure's canvas must have a renderer).
    pad : float, default 0.0
        Pixels added on every side.

    Returns
    -------
    numpy.ndarray
        The four extents.
    """
    renderer = artist.figure.canvas.get_renderer()
    x0, y0, x1, y1 = artist.get_window_extent(renderer).extents
    return np.array([x0 - pad, y0 - pad, x1 + pad, y1 + pad])


def overlapping(boxes: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
    """Which pairs of boxes overlap (touching edges do not count).

    Parameters
    ----------
    boxes : numpy.ndarray
        ``(n, 4)`` boxes ``[x0, y0, x1, y1]``.
    others : numpy.ndarray, optional
        ``(m, 4)`` boxes to test against; default ``boxes`` themselves (the diagonal is False).

    Returns
    -------
    numpy.ndarray
        ``(n, m)`` boolean matrix.

    Examples
    --------
    >>> import numpy as np
    >>> overlapping(np.array([[0, 0, 2, 2], [1, 1, 3, 3], [2, 0, 4, 1]])).astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    """
    a = np.asarray(boxes, dtype=float).reshape(-1, 4)
    b = a if others is None else np.asarray(others, dtype=float).reshape(-1, 4)
    hit = ((a[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < a[:, None, 2])
           & (a[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < a[:, None, 3]))
    if others is None:
        np.fill_diagonal(hit, False)
    return hit


def _candidates(point: np.ndarray, size: np.ndarray, angles: Sequence[float],
                frame: np.ndarray) -> np.ndarray:
    """Candidate label boxes around ``point``: ring by ring, in the order of ``angles``, then
    every position of an 8-pixel grid over ``frame``, nearest first."""
    theta = np.deg2rad(np.asarray(angles, dtype=float))
    radius = np.asarray(RINGS, dtype=float)[:, None]
    cx = point[0] + np.cos(theta)[None, :] * (radius + size[0] / 2)
    cy = point[1] + np.sin(theta)[None, :] * (radius + size[1] / 2)
    half = size / 2
    gx, gy = np.meshgrid(np.arange(frame[0] + half[0], frame[2] - half[0] + 1e-9, 8.0),
                         np.arange(frame[1] + half[1], frame[3] - half[1] + 1e-9, 8.0))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    grid = grid[np.argsort(np.hypot(*(grid - point).T), kind="stable")]
    centres = np.vstack([np.column_stack([cx.ravel(), cy.ravel()]), grid])
    return np.column_stack([centres - half, centres + half])


def place_labels(
    ax: Axes,
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    labels: Sequence[str],
    *,
    avoid: Iterable[Any] = (),
    angles: Sequence[float] = RIGHT_FIRST,
    marker_px: float = 8.0,
    leader_from: float = 20.0,
    **text_kw: Any,
) -> list[Text]:
    """Label points without overlaps: each label takes the nearest free candidate position.

    Call after the figure's layout has settled (:func:`~citizensfirst.charts.base.settle`) and
    keep it fixed afterwards: positions are computed in pixels.  Labels are taken in order of
    crowding (most neighbours within 150 px first).  Blocked are the axes' outside, every
    marker (a square of ``2 * marker_px`` around each point), the boxes of ``avoid`` and the
    labels already placed.  A label farther than ``leader_from`` pixels from its point is tied
    to it by a thin leader line.  If no free position is left, the label goes where it
    overlaps least.

    Parameters
    ----------
    ax : Axes
        The axes, laid out.
    x, y : sequence of float
        The points, in data coordinates.
    labels : sequence of str
        One label per point.
    avoid : iterable of Artist or numpy.ndarray, default ()
        Drawn artists (texts, reference lines, legends) labels must not cover, or arrays of
        pixel boxes ``[x0, y0, x1, y1]`` (whiskers, other markers).
    angles : sequence of float, default :data:`RIGHT_FIRST`
        Directions (degrees) in order of preference.
    marker_px : float, default 8.0
        Half-size (pixels) of the area kept free around each point.
    leader_from : float, default 20.0
        Distance (pixels) beyond which a leader line is drawn.
    **text_kw : Any
        Passed to :meth:`~matplotlib.axes.Axes.text` (font size, colour, ...).

    Returns
    -------
    list of matplotlib.text.Text
        The labels, in the order of ``labels``.
    """
    points = ax.transData.transform(np.column_stack([np.asarray(x, float), np.asarray(y, float)]))
    frame = ax.get_window_extent().extents + np.array([PAD, PAD, -PAD, -PAD])
    fixed = [np.column_stack([points - marker_px, points + marker_px])]
    fixed += [np.asarray(a, float).reshape(-1, 4) if isinstance(a, np.ndarray)
              else box_of(a, PAD)[None, :] for a in avoid]
    texts = [ax.text(0, 0, label, ha="center", va="center", **text_kw) for label in labels]
    sizes = np.array([box_of(t)[2:] - box_of(t)[:2] for t in texts]).reshape(-1, 2) + 2 * PAD
    near = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)) < 150
    order = sorted(range(len(texts)), key=lambda i: -int(near[i].sum()))
    best: tuple[dict[int, np.ndarray], list[int]] | None = None
    for _ in range(REORDERS):  # a label left without a clear place is placed first next time
        attempt = _greedy(points, sizes, order, fixed, frame, angles, leader_from)
        if best is None or len(attempt[1]) < len(best[1]):
            best = attempt
        if not attempt[1]:
            break
        order = attempt[1] + [i for i in order if i not in attempt[1]]
    inverse = ax.transData.inverted()
    for i, chosen in (best[0] if best is not None else {}).items():
        cx, cy = inverse.transform((chosen[:2] + chosen[2:]) / 2)
        texts[i].set_position((float(cx), float(cy)))
        if _distance_to_box(points[i], chosen + np.array([PAD, PAD, -PAD, -PAD])) > leader_from:
            data = inverse.transform(np.vstack([points[i], np.clip(points[i], chosen[:2] + PAD, chosen[2:] - PAD)]))
            ax.add_line(Line2D(data[:, 0], data[:, 1], color=theme.MUTED_TEXT, linewidth=0.8, zorder=2))
    for t in texts:
        t.set_in_layout(False)
    return texts


def _greedy(points: np.ndarray, sizes: np.ndarray, order: Sequence[int], fixed: list[np.ndarray],
            frame: np.ndarray, angles: Sequence[float], leader_from: float) -> tuple[dict[int, np.ndarray], list[int]]:
    """One greedy pass in ``order``: each label's pixel box, and the labels that found no position
    free of overlaps whose leader line crosses nothing (placed where they overlap least)."""
    blocked = list(fixed)
    chosen: dict[int, np.ndarray] = {}
    stuck: list[int] = []
    for i in order:
        boxes = _candidates(points[i], sizes[i], angles, frame)
        taken = np.vstack(blocked)
        inside = ((boxes[:, 0] >= frame[0]) & (boxes[:, 1] >= frame[1])
                  & (boxes[:, 2] <= frame[2]) & (boxes[:, 3] <= frame[3]))
        hits = overlapping(boxes, taken)
        own = np.r_[points[i] - 3.0, points[i] + 3.0]  # a label may touch its own marker
        hits[:, i] = overlapping(boxes, own)[:, 0]
        keep = np.ones(len(taken), dtype=bool)
        keep[i] = False
        free = np.flatnonzero(inside & ~hits.any(axis=1))
        best = -1
        for start in range(0, len(free), 64):  # nearest first; leader lines checked lazily
            chunk = free[start:start + 64]
            clear = ~_leader_crossings(points[i], boxes[chunk], taken[keep], leader_from)
            if clear.any():
                best = int(chunk[np.argmax(clear)])
                break
        if best < 0:  # no room left: least overlap, inside the axes if possible
            stuck.append(i)
            best = int(np.lexsort((hits.sum(axis=1), ~inside))[0])
        chosen[i] = boxes[best]
        blocked.append(boxes[best][None, :])
        end = np.clip(points[i], boxes[best][:2] + PAD, boxes[best][2:] - PAD)
        if _distance_to_box(points[i], boxes[best] + np.array([PAD, PAD, -PAD, -PAD])) > leader_from:
            steps = np.linspace(0.0, 1.0, int(np.hypot(*(end - points[i])) // 6) + 2)[:, None]
            along = points[i] + steps * (end - points[i])
            blocked.append(np.column_stack([along - 3.0, along + 3.0]))  # the leader itself
    return chosen, stuck


def _leader_crossings(point: np.ndarray, boxes: np.ndarray, taken: np.ndarray,
                      leader_from: float) -> np.ndarray:
    """Whether the leader line from ``point`` to each candidate box would cross a taken box
    (sampled every 4 pixels or closer); candidates near enough to need no leader never do."""
    ends = np.clip(point, boxes[:, :2] + PAD, boxes[:, 2:] - PAD)
    needs = np.hypot(*(ends - point).T) > leader_from
    out = np.zeros(len(boxes), dtype=bool)
    if not needs.any() or not len(taken):
        return out
    longest = float(np.hypot(*(ends[needs] - point).T).max())
    steps = np.linspace(0.0, 1.0, int(longest // 4) + 2)[1:]  # a sample every 4 px or closer
    samples = point + steps[None, :, None] * (ends[needs] - point)[:, None, :]  # (c, s, 2)
    sx, sy = samples[..., 0][..., None], samples[..., 1][..., None]
    inside = ((sx > taken[:, 0]) & (sx < taken[:, 2]) & (sy > taken[:, 1]) & (sy < taken[:, 3]))
    out[needs] = inside.any(axis=(1, 2))
    return out


def tangled(leaders: Sequence[Line2D], texts: Sequence[Text], avoid: Iterable[Any] = ()) -> bool:
    """Whether a drawn leader line crosses another leader, a label not its own, or an avoided artist.

    Measured on the figure as drawn (pixels): leaders pairwise by segment intersection, and each
    leader sampled every pixel against the boxes (shrunk by a pixel) of the other labels and of
    ``avoid`` (threshold lines, corner captions).  A leader's own label is the one holding its end.

    Parameters
    ----------
    leaders : sequence of Line2D
        The leader lines (two points each: the marker, then the label's edge).
    texts : sequence of Text
        The labels.
    avoid : iterable of Artist, default ()
        Other drawn artists leaders must not cross.

    Returns
    -------
    bool
        True if any leader crosses something.
    """
    segments = [line.get_transform().transform(np.column_stack(line.get_data())) for line in leaders]
    boxes = np.array([box_of(t) for t in texts] + [box_of(a) for a in avoid]).reshape(-1, 4)
    boxes = boxes + np.array([1.0, 1.0, -1.0, -1.0])
    for k, (start, end) in enumerate(segments):
        for other in segments[k + 1:]:
            if _segments_cross(start, end, *other):
                return True
        own = (boxes[:, 0] - PAD <= end[0]) & (end[0] <= boxes[:, 2] + PAD) \
            & (boxes[:, 1] - PAD <= end[1]) & (end[1] <= boxes[:, 3] + PAD)
        samples = start + np.linspace(0.0, 1.0, int(np.hypot(*(end - start))) + 2)[1:-1, None] * (end - start)
        sx, sy = samples[:, :1], samples[:, 1:]
        inside = (sx > boxes[:, 0]) & (sx < boxes[:, 2]) & (sy > boxes[:, 1]) & (sy < boxes[:, 3])
        if inside[:, ~own].any():
            return True
    return False


def _segments_cross(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    """Whether segments ``ab`` and ``cd`` properly intersect (touching ends do not count)."""
    def side(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> float:
        return float(np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])))
    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def _distance_to_box(point: np.ndarray, box: np.ndarray) -> float:
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return float(np.hypot(dx, dy))


def fit_category_labels(fig: Figure, ax: Axes, axis: Literal["x", "y"], names: Sequence[str],
                        widths: Sequence[int], values: Sequence[Text] = ()) -> None:
    """Set the category tick labels of ``axis`` so neighbours (and ``values``) do not overlap.

    Tries each wrap width in ``widths`` at the theme's size and then at 9 pt (value labels
    too); if none fits,
    the figure is made taller (``axis="y"``) or wider (``axis="x"``) until it does.

    Parameters
    ----------
    fig : Figure
        The figure (layout settled and re-settled here).
    ax : Axes
        The axes whose ticks are already at the categories' positions.
    axis : {"x", "y"}
        The category axis.
    names : sequence of str
        The category labels, in tick order.
    widths : sequence of int
        Wrap widths (characters) to try, in order of preference.
    values : sequence of Text, default ()
        Value labels along the same axis that must not overlap each other either.
    """
    ticks = ax.get_yticks() if axis == "y" else ax.get_xticks()
    setter = ax.set_yticks if axis == "y" else ax.set_xticks
    for size in (None, 9):
        for width in widths:
            setter(ticks, [wrap(n, width) for n in names])
            if size:
                ax.tick_params(axis=axis, labelsize=size)
                for value in values:
                    value.set_fontsize(min(size, value.get_fontsize()))
            settle(fig)
            if not _crowded(ax, axis, values):
                return
    for _ in range(4):  # no wrapping fits: give the categories more room
        if axis == "y":
            fig.set_figheight(fig.get_figheight() * 1.3)
        else:
            fig.set_figwidth(fig.get_figwidth() * 1.3)
        settle(fig)
        if not _crowded(ax, axis, values):
            return


def _crowded(ax: Axes, axis: str, values: Sequence[Text]) -> bool:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    groups = [[t for t in labels if t.get_text()], [t for t in values if t.get_visible()]]
    return any(bool(overlapping(np.array([box_of(t, PAD) for t in group])).any())
               for group in groups if len(group) > 1)


def fit_inside(ax: Axes, texts: Sequence[Text], axis: str) -> None:
    """Raise the upper data limit of ``axis`` until every text ends inside the axes.

    Parameters
    ----------
    ax : Axes
        The axes (layout settled).
    texts : sequence of Text
        Labels drawn in data coordinates.
    axis : {"x", "y"}
        Which limit to raise.
    """
    for _ in range(5):
        frame = ax.get_window_extent().extents
        ends = [box_of(t)[2 if axis == "x" else 3] for t in texts if t.get_visible()]
        edge = frame[2] if axis == "x" else frame[3]
        excess = max(ends, default=edge) - edge
        if excess <= 0:
            return
        low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
        size = (frame[2] - frame[0]) if axis == "x" else (frame[3] - frame[1])
        grow = (high - low) * (excess + 6.0) / size
        (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high + grow)


def fit_legend(fig: Figure, handles: Sequence[Any], labels: Sequence[str], **kw: Any) -> Legend:
    """A legend under the axes with as many columns (up to 3) as fit the figure's width.

    Parameters
    ----------
    fig : Figure
        The figure (constrained layout; settled here).
    handles : sequence
        Legend handles.
    labels : sequence of str
        Their labels.
    **kw : Any
        Passed to :meth:`~matplotlib.figure.Figure.legend`.

    Returns
    -------
    matplotlib.legend.Legend
        The legend, inside the figure.
    """
    ncols = min(len(labels), 3)
    while True:
        legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kw)
        settle(fig)
        x0, _, x1, _ = box_of(legend)
        if ncols == 1 or (x0 >= 0 and x1 <= fig.bbox.width):
            return legend
        legend.remove()
        ncols -= 1
