"""Trend chart: an estimate across survey waves, with confidence intervals and significant changes.

>>> import pandas as pd
>>> data = pd.DataFrame({"wave": [2018, 2020, 2023], "estimate": [68.2, 69.0, 72.5],
...                      "ci_low": [66.9, 67.8, 71.3], "ci_high": [69.5, 70.2, 73.7],
...                      "significant_change": [False, False, True]})
>>> chart = trend_chart(data, language="fr", title="Satisfaction globale")
>>> print(chart.alt_text.replace(chr(160), " "))  # doctest: +NORMALIZE_WHITESPACE
Graphique linéaire : Satisfaction globale, score moyen (0-100) en 2018, 2020 et 2023.
68,2 en 2018, 69,0 en 2020 et 72,5 en 2023.
Variation statistiquement significative par rapport à la vague précédente : 2023 (+3,5).
Les bandes et les moustaches indiquent les intervalles de confiance à 95 %.
>>> chart.data[["wave", "estimate", "change", "label"]].to_dict("list")["label"]
['68,2', '69,0', '72,5']
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..estimation.scales import Scale
from ..i18n import format_number, format_percent, text
from . import theme
from .base import (
    Chart,
    check,
    colon,
    finish,
    join_list,
    new_figure,
    number_formatter,
    percent_formatter,
    signed,
)
from .placement import box_of, fit_inside, fit_legend, place_labels
from .wording import alt_head, is_share, phrase, statistic_label

__all__ = ["from_trend", "score_table", "trend_chart"]

_REQUIRED = ("wave", "estimate", "ci_low", "ci_high")


def score_table(
    estimates: Mapping[Hashable, Any],
    variable: str | None = None,
    scale: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """A trend input table from one :class:`~citizensfirst.estimate.Estimate` (or its table)
    per wave, optionally rescaling means on a ``scale`` (low, high) to 0-100 scores
    (:meth:`citizensfirst.scales.Scale.to_100`; a CI limit may lie beyond the scale).

    ``scale`` may differ between waves: pass a mapping ``{wave: (low, high)}``.

    Parameters
    ----------
    estimates : Mapping
        Wave to an :class:`~citizensfirst.estimate.Estimate` or its table.
    variable : str, optional
        The ``variable`` row to take when a table has several rows.
    scale : tuple of (float, float) or Mapping, optional
        ``(low, high)`` of the rating scale, or a mapping wave to ``(low, high)``; none keeps
        the estimates as they are.

    Returns
    -------
    pandas.DataFrame
        One row per wave: ``wave``, ``estimate``, ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        If a wave's table does not have exactly one row (pass ``variable``).

    Examples
    --------
    >>> import pandas as pd
    >>> row = lambda m: pd.DataFrame({"variable": ["q"], "estimate": [m], "ci_low": [m - .1],
    ...                               "ci_high": [m + .1]})
    >>> score_table({2020: row(3.0), 2023: row(4.0)}, scale=(1, 5))["estimate"].tolist()
    [50.0, 75.0]
    """
    rows = []
    for wave, est in estimates.items():
        table = est.table if hasattr(est, "table") else pd.DataFrame(est)
        if variable is not None:
            table = table[table["variable"] == variable]
        if len(table) != 1:
            raise ValueError(f"wave {wave!r}: expected one row, got {len(table)}; pass variable=")
        row = table.iloc[0]
        low_high = scale.get(wave) if isinstance(scale, Mapping) else scale
        values = {k: float(row[k]) for k in ("estimate", "ci_low", "ci_high")}
        if low_high is not None:
            rating = Scale.of(low_high, what=f"scale of wave {wave!r}")
            values = {k: rating.to_100(v, check=False) for k, v in values.items()}
        rows.append({"wave": wave, **values})
    return pd.DataFrame(rows)


def from_trend(trend: Any) -> pd.DataFrame:
    """The trend input table of a :class:`citizensfirst.waves.Trend`: its per-wave estimates,
    the ``by`` domain as ``series`` (whole-number codes as ints, several ``by`` columns joined
    with ", "; name them with ``trend_chart(..., series_labels=)``), and ``significant_change``
    from its tests of each wave against the previous wave that has the item (other pairs, e.g.
    ``compare="first"``, are not marked).

    Parameters
    ----------
    trend : citizensfirst.waves.Trend
        The trend to chart.

    Returns
    -------
    pandas.DataFrame
        Columns ``wave``, ``series`` (with ``by`` only), ``estimate``, ``ci_low``, ``ci_high``
        and ``significant_change``.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> from citizensfirst.waves import Study
    >>> s = Study({2020: Design(pd.DataFrame({"q": [1.0, 3.0, 2.0]})),
    ...            2023: Design(pd.DataFrame({"q": [2.0, 4.0, 3.0]}))})
    >>> from_trend(s.trend("q"))[["wave", "estimate", "significant_change"]].to_dict("list")
    {'wave': [2020, 2023], 'estimate': [2.0, 3.0], 'significant_change': [False, False]}
    """
    est = trend.estimates.copy()
    by = list(trend.by)
    def plain(value: Any) -> Any:  # codes 1.0 -> 1, so labels {1: "Man"} apply
        """A whole-number float as an int, other values unchanged.

        Parameters
        ----------
        value : Any
            A ``by`` code.

        Returns
        -------
        Any
            The code, whole-number floats as int.
        """
        return int(value) if isinstance(value, float) and value.is_integer() else value

    if len(by) == 1:
        est["series"] = [plain(v) for v in est[by[0]]]
    elif by:
        est["series"] = [", ".join(str(plain(v)) for v in row) for row in est[by].to_numpy()]
    est["significant_change"] = False
    changes = trend.changes
    if len(changes):
        waves = list(dict.fromkeys(est["wave"]))
        for _, row in changes.iterrows():
            to_i = waves.index(row["to_wave"]) if row["to_wave"] in waves else -1
            if to_i < 1 or waves.index(row["from_wave"]) != to_i - 1 or not row["significant"]:
                continue
            hit = est["wave"] == row["to_wave"]
            for col in by:
                hit &= est[col] == row[col]
            est.loc[hit, "significant_change"] = True
    cols = ["wave", *(["series"] if by else []), "estimate", "ci_low", "ci_high",
            "significant_change"]
    return est[cols].reset_index(drop=True)


def _changes(frame: pd.DataFrame) -> pd.Series:
    return frame.groupby("series", sort=False)["estimate"].diff()


def trend_chart(
    estimates: pd.DataFrame | Any,
    language: str = "en",
    title: str = "",
    score_axis: bool = True,
    *,
    series_labels: Mapping[Hashable, str] | None = None,
    ylabel: str | None = None,
    decimals: int = 1,
    statistic: str | None = None,
) -> Chart:
    """Lines of an estimate by wave with 95% CI bands and whiskers, one line per ``series``.

    ``estimates`` (or a :class:`citizensfirst.waves.Trend`, see :func:`from_trend`) has
    ``wave``, ``estimate``, ``ci_low``, ``ci_high`` and optionally ``series``
    (one line each; styled by :func:`~citizensfirst.charts.theme.series_style`, so a series
    keeps its colour, marker and line style in every chart) and ``significant_change`` (bool:
    the change from the series' previous wave is statistically significant).  Significant
    changes get a black-edged star marker, the signed change as an annotation (in the series'
    colour when there are several) and a legend entry, so they never rely on colour.  ``score_axis`` fixes the y axis to 0-100 (scores); otherwise
    it fits the data.  Numbers (ticks, labels, alt text) follow ``language``: ``72,5`` in French.
    The y-axis title and the alt text name the ``statistic`` charted (a 0-100 mean score, a
    top-box share, ...; see :func:`~citizensfirst.charts.wording.statistic_label`); shares are
    written with ``%``.  Value and change labels are placed so that no two texts overlap
    (:func:`~citizensfirst.charts.placement.place_labels`).

    Parameters
    ----------
    estimates : pandas.DataFrame or citizensfirst.waves.Trend
        The per-wave estimates (columns above) or a trend.
    language : str, default "en"
        Language of numbers, labels and alt text (``"en"`` or ``"fr"``).
    title : str, default ""
        Chart title.
    score_axis : bool, default True
        Fix the y axis to 0-100; if False it fits the data.
    series_labels : Mapping, optional
        Display names of the ``series`` keys.
    ylabel : str, optional
        Y-axis label.
    decimals : int, default 1
        Decimal places of the labels and alt text.
    statistic : str, optional
        What ``estimate`` is: ``"mean"`` (a 0-100 score, or the rating itself when
        ``score_axis`` is False), ``"topK"`` / ``"bottomK"`` (percent in the top/bottom K
        boxes), ``"sqs"``, ``"share"`` or ``"importance"`` (percent).  Default: the trend's
        statistic, else ``"mean"``.

    Returns
    -------
    Chart
        The chart; its ``data`` has ``series``, ``wave``, ``estimate``, ``ci_low``,
        ``ci_high``, ``significant_change``, ``change`` (from the previous wave of the series),
        ``series_label`` and ``label`` (the value as written).

    Raises
    ------
    ValueError
        If a required column is missing or ``language`` is not supported.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"wave": [2020, 2023] * 2, "series": ["ON", "ON", "QC", "QC"],
    ...                   "estimate": [70.0, 71.0, 66.0, 70.5], "ci_low": [68.0, 69.0, 64.0, 68.5],
    ...                   "ci_high": [72.0, 73.0, 68.0, 72.5],
    ...                   "significant_change": [False, False, False, True]})
    >>> trend_chart(d, title="Overall").alt_text.split(". ")[1]
    'ON: 70.0 in 2020 and 71.0 in 2023; QC: 66.0 in 2020 and 70.5 in 2023'
    """
    language = check(language)
    if hasattr(estimates, "changes") and hasattr(estimates, "estimates"):
        statistic = statistic or getattr(estimates, "statistic", None)
        estimates = from_trend(estimates)
    statistic = statistic or "mean"
    axis_title = ylabel or statistic_label(
        "mean_rating" if statistic == "mean" and not score_axis else statistic, language)
    share = is_share(statistic)
    missing = [c for c in _REQUIRED if c not in estimates.columns]
    if missing:
        raise ValueError(f"trend_chart needs columns {list(_REQUIRED)}; missing {missing}")
    frame = estimates.copy()
    tested = "significant_change" in frame.columns
    if "series" not in frame.columns:
        frame["series"] = ""
    if "significant_change" not in frame.columns:
        frame["significant_change"] = False
    frame["significant_change"] = frame["significant_change"].fillna(False).astype(bool)
    frame = frame[["series", "wave", "estimate", "ci_low", "ci_high", "significant_change"]]
    series_keys = list(dict.fromkeys(frame["series"]))
    order = {k: i for i, k in enumerate(series_keys)}
    frame = frame.assign(_order=frame["series"].map(order)).sort_values(
        ["_order", "wave"], kind="stable").drop(columns="_order").reset_index(drop=True)
    frame["change"] = _changes(frame)
    single = series_keys == [""]
    labels = {k: (series_labels or {}).get(k, str(k)) for k in series_keys}
    frame["series_label"] = frame["series"].map(labels)
    frame["label"] = [format_percent(v / 100.0, language, decimals) if share
                      else format_number(v, language, decimals) for v in frame["estimate"]]

    waves = list(dict.fromkeys(sorted(frame["wave"].tolist())))
    numeric = all(isinstance(w, (int, float, np.integer, np.floating)) for w in waves)
    xpos = {w: (float(w) if numeric else float(i)) for i, w in enumerate(waves)}
    styles: Mapping[Hashable, theme.SeriesStyle]
    if single:  # one unnamed line: the first style (blue circles, solid)
        styles = {"": theme.SeriesStyle("", 0, theme.BLUE, "o", "-", "")}
    else:
        styles = theme.series_styles(series_keys)

    with theme.style():
        fig, ax = new_figure()
        handles: list[Any] = []
        end_labels: list[tuple[float, float, str]] = []
        span = max(xpos.values()) - min(xpos.values()) or 1.0
        anchors: list[Anchor] = []
        whiskers: list[tuple[float, float, float]] = []
        marks: list[tuple[float, float, float]] = []  # x, y, half-size in pixels
        for i, key in enumerate(series_keys):
            part = frame[frame["series"] == key]
            st = styles[key]
            x = np.array([xpos[w] for w in part["wave"]])
            if len(series_keys) > 1:  # dodge whiskers so overlapping intervals stay readable
                x_err = x + (i - (len(series_keys) - 1) / 2) * span * 0.012
            else:
                x_err = x
            y = part["estimate"].to_numpy(float)
            low = part["ci_low"].to_numpy(float)
            high = part["ci_high"].to_numpy(float)
            band = ax.fill_between(x, low, high, color=st.color, alpha=0.12, linewidth=0,
                                   zorder=1)
            band.set_gid(theme.DECORATIVE_GID)
            ax.errorbar(x_err, y, yerr=[y - low, high - y], fmt="none", ecolor=st.color,
                        elinewidth=1.2, capsize=4, capthick=1.2, zorder=2)
            whiskers += list(zip(x_err, low, high, strict=True))
            sig = part["significant_change"].to_numpy(bool)
            marks += [(xi, yi, 12.0 if s else 6.0) for xi, yi, s in zip(x, y, sig, strict=True)]
            (line,) = ax.plot(x, y, color=st.color, linestyle=st.linestyle, marker=st.marker,
                              markersize=7, markerfacecolor=st.color, markeredgecolor=st.color,
                              label=labels[key], zorder=3)
            handles.append(line)
            if sig.any():
                ax.plot(x[sig], y[sig], linestyle="none", marker="*", markersize=17,
                        markerfacecolor=st.color, markeredgecolor=theme.TEXT,
                        markeredgewidth=1.0, zorder=4)
            for xi, lo, hi, is_sig, change, lab in zip(
                    x_err, low, high, sig, part["change"], part["label"], strict=True):
                if single:  # value under the whisker
                    anchors.append((xi, lo, hi, lab, False, theme.TEXT))
                if is_sig and change == change:  # signed change above the whisker
                    anchors.append((xi, lo, hi, signed(change, language, decimals) + "*", True,
                                    theme.TEXT if single else st.color))
            if not single:
                end_labels.append((x[-1], y[-1], f"{labels[key]} {part['label'].iloc[-1]}"))

        ax.set_xticks([xpos[w] for w in waves], [str(w) for w in waves])
        pad = span * (0.2 if not single else 0.1)
        ax.set_xlim(min(xpos.values()) - span * 0.06, max(xpos.values()) + pad)
        if score_axis:
            ax.set_ylim(0, 100)
            ax.set_yticks(np.arange(0, 101, 20))
        ax.yaxis.set_major_formatter(percent_formatter(language) if share
                                     else number_formatter(language, 0 if score_axis else 1))
        ax.set_xlabel(text("wave", language))
        ax.set_ylabel(axis_title)
        ax.grid(axis="y", color=theme.GRID, linewidth=0.8, zorder=0)
        for gridline in ax.get_ygridlines():
            gridline.set_gid(theme.DECORATIVE_GID)
        ax.set_axisbelow(True)
        if title:
            ax.set_title(title)

        legend_handles = [] if single else list(handles)
        ci_color = theme.GREY if not single else styles[""].color
        legend_handles.append((Patch(facecolor=ci_color, alpha=0.12, linewidth=0),
                               Line2D([], [], color=ci_color, linewidth=0, marker="|",
                                      markersize=12, markeredgewidth=1.2)))
        legend_labels = [labels[k] for k in series_keys] if not single else []
        legend_labels.append(text("ci", language))
        if frame["significant_change"].any():
            legend_handles.append(Line2D([], [], linestyle="none", marker="*", markersize=14,
                                         markerfacecolor=theme.WHITE,
                                         markeredgecolor=theme.TEXT))
            legend_labels.append(text("chart_significant_marker", language))
        legend = fit_legend(fig, legend_handles, legend_labels, handlelength=2.6)
        for patch in legend.get_patches():
            patch.set_gid(theme.DECORATIVE_GID)
        ends = [ax.annotate(label, (xe, ye), xytext=(xe + span * 0.02, ye), textcoords="data",
                            ha="left", va="center", fontsize=10, color=theme.TEXT, zorder=5)
                for xe, ye, label in end_labels]  # direct labels at the lines' ends
        if ends:  # moved apart by their drawn height, so they never overlap
            low_y, high_y = ax.get_ylim()
            tall = max(box_of(t)[3] - box_of(t)[1] for t in ends) + 2.0
            gap = tall * (high_y - low_y) / ax.get_window_extent().height
            for t, y_text in zip(ends, _spread([e[1] for e in end_labels], gap), strict=True):
                t.set_position((t.get_position()[0], y_text))
        fit_inside(ax, ends, "x")
        _label_whiskers(ax, anchors, whiskers, marks, ends)

    alt = _alt_text(frame, language, title, single, decimals, tested, axis_title, waves)
    return finish(fig, title=title, alt_text=alt, data=frame, language=language, kind="trend")


# a whisker label: x, CI low, CI high, text, is a change label, colour (a plain comment: autodoc
# cannot document a tuple[...] alias)
Anchor = tuple[float, float, float, str, bool, str]


def _label_whiskers(ax: Any, anchors: list[Anchor],
                    whiskers: list[tuple[float, float, float]],
                    marks: list[tuple[float, float, float]], ends: list[Any]) -> None:
    """Place value labels under and change labels above their whiskers, clear of every
    whisker, marker, end label and each other."""
    if not anchors:
        return
    to_px = ax.transData.transform
    lows = to_px(np.array([(w[0], w[1]) for w in whiskers]))
    highs = to_px(np.array([(w[0], w[2]) for w in whiskers]))
    bars = np.column_stack([lows[:, 0] - 5, lows[:, 1], highs[:, 0] + 5, highs[:, 1]])
    centres = to_px(np.array([(m[0], m[1]) for m in marks]))
    half = np.array([m[2] for m in marks])[:, None]
    avoid: list[Any] = [bars, np.column_stack([centres - half, centres + half]), *ends]
    for is_change, angles in ((True, (90, 60, 120, 30, 150, 0, 180)),
                              (False, (270, 240, 300, 210, 330, 0, 180))):
        part = [a for a in anchors if a[4] is is_change]
        if part:
            placed = place_labels(
                ax, [a[0] for a in part], [a[2] if is_change else a[1] for a in part],
                [a[3] for a in part], avoid=avoid, angles=angles, marker_px=3.0,
                leader_from=24.0, fontsize=10, color=theme.TEXT, zorder=5,
                fontweight="bold" if is_change else "normal")
            for label, anchor in zip(placed, part, strict=True):  # a change in its line's colour
                label.set_color(anchor[5])
            avoid += [box_of(t) for t in placed]


def _spread(values: list[float], gap: float) -> list[float]:
    """``values`` moved as little as possible (least squares, keeping their order) so that
    neighbours are at least ``gap`` apart: pool-adjacent-violators on ``value - rank * gap``.

    >>> _spread([70.0, 69.0, 50.0], 4.0)
    [71.5, 67.5, 50.0]
    """
    order = sorted(range(len(values)), key=lambda i: values[i])
    blocks: list[list[float]] = []  # [mean, size] of pooled shifted values
    for rank, i in enumerate(order):
        blocks.append([values[i] - rank * gap, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, size = blocks.pop()
            blocks[-1][0] = (blocks[-1][0] * blocks[-1][1] + mean * size) / (blocks[-1][1] + size)
            blocks[-1][1] += size
    fitted = [mean for mean, size in blocks for _ in range(int(size))]
    out = [0.0] * len(values)
    for rank, i in enumerate(order):
        out[i] = float(fitted[rank] + rank * gap)
    return out


def _alt_text(frame: pd.DataFrame, language: str, title: str, single: bool,
              decimals: int, tested: bool, statistic: str, waves: list[Any]) -> str:
    parts = []
    for _key, part in frame.groupby("series", sort=False):
        points = [text("chart_value_in", language).format(value=lab, wave=w)
                  for lab, w in zip(part["label"], part["wave"], strict=True)]
        body = join_list(points, language)
        parts.append(body if single else f"{part['series_label'].iloc[0]}{colon(language)}{body}")
    sentences = ["; ".join(parts) + "."]
    sig = frame[frame["significant_change"] & frame["change"].notna()]
    if len(sig):
        items = []
        for _, row in sig.iterrows():
            who = "" if single else f"{row['series_label']} "
            items.append(f"{who}{row['wave']} ({signed(row['change'], language, decimals)})")
        sentences.append(text("chart_significant_changes", language).format(
            items=join_list(items, language)))
    elif tested:
        sentences.append(text("chart_no_significant_change", language))
    sentences.append(text("chart_ci_note", language))
    when = phrase("waves", language).format(waves=join_list([str(w) for w in waves], language))
    head = alt_head("trend", language, title, statistic, waves=when)
    return f"{head} {' '.join(sentences)}"
