"""Driver charts: importance bars with confidence whiskers, and the importance-performance map.

>>> import numpy as np, pandas as pd
>>> from citizensfirst.drivers import driver_importance
>>> rng = np.random.default_rng(1)
>>> x = rng.integers(1, 6, size=(400, 3)).astype(float)
>>> df = pd.DataFrame(x, columns=["time", "staff", "outcome"])
>>> df["overall"] = x @ [0.6, 0.2, 0.4] + rng.normal(size=400)
>>> res = driver_importance(df, "overall", ["time", "staff", "outcome"], np.ones(400),
...                         scales=(1, 5))
>>> chart = importance_chart(res, language="fr", labels={"time": "Rapidité"})
>>> chart.data["driver"].tolist()
['time', 'outcome', 'staff']
>>> chart.alt_text.split(". ")[1].startswith("Rapidité est le facteur le plus important (")
True
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy.special import ndtri

from ..drivers.analysis import importance_performance
from ..drivers.driver_result import DriverResult
from ..i18n import format_number, format_percent, text
from . import theme
from .base import (
    Chart,
    check,
    colon,
    finish,
    hatch_color,
    join_list,
    new_figure,
    number_formatter,
    percent_formatter,
    resolve_labels,
    settle,
    wrap,
)
from .placement import (
    box_of,
    fit_category_labels,
    fit_inside,
    fit_legend,
    overlapping,
    place_labels,
    tangled,
)
from .wording import alt_head, phrase, statistic_label

__all__ = ["QUADRANTS", "importance_chart", "quadrant_chart"]

#: Quadrant names as returned by :func:`citizensfirst.drivers.importance_performance`, with
#: their i18n keys, in the order the alt text lists them.
QUADRANTS = {
    "improve first": "improve_first",
    "maintain": "maintain",
    "possible over-investment": "over_investment",
    "lower priority": "lower_priority",
}


def _share_table(result: DriverResult, measure: str) -> pd.DataFrame:
    t = result.table
    z = float(ndtri(0.5 + result.level / 2))  # scipy.stats.norm.ppf's function, without scipy.stats
    if measure == "share":
        value = t["share"].astype(float)
        se = t["share_se"].astype(float) if "share_se" in t else pd.Series(np.nan, t.index)
        low, high = value - z * se, value + z * se
    elif measure == "importance":
        value = t["importance"].astype(float)
        low, high = t["ci_low"].astype(float), t["ci_high"].astype(float)
    else:
        raise ValueError(f"measure must be 'share' or 'importance', got {measure!r}")
    return pd.DataFrame({"driver": t.index.astype(str), "value": value.to_numpy(),
                         "ci_low": low.to_numpy(), "ci_high": high.to_numpy(),
                         "rank": t["rank"].to_numpy()})


def importance_chart(
    driver_result: DriverResult | Mapping[Hashable, DriverResult],
    language: str = "en",
    title: str = "",
    *,
    labels: Any = None,
    measure: str = "share",
) -> Chart:
    """Horizontal bars of driver importance, most important on top, with 95% CI whiskers.

    ``measure="share"`` (default) draws each driver's share of the explained variance (percent)
    with a normal interval ``share +/- z * share_se``; ``"importance"`` the raw measure with the
    result's ``ci_low``/``ci_high``.  Whiskers are omitted when the result has no replicate
    standard errors.  ``driver_result`` may also be a mapping ``{wave: DriverResult}``: bars are
    then grouped by driver, one per wave, each wave in its fixed colour and hatch
    (:func:`~citizensfirst.charts.theme.series_style`), sorted by the last wave.  ``labels``: a
    mapping, callable or :class:`~citizensfirst.codebook.Codebook` naming the drivers (and the
    outcome, named in the alt text).  Long driver names are wrapped to fit their bar; the
    figure grows taller only if even 9-pt labels would overlap.

    ``data``: ``series`` (wave; empty for one result), ``driver``, ``label``, ``value``,
    ``ci_low``, ``ci_high``, ``rank``, ``value_label`` (as written on the bar).

    Parameters
    ----------
    driver_result : DriverResult or Mapping
        One result, or wave to result.
    language : str, default "en"
        Language of numbers, labels and alt text.
    title : str, default ""
        Chart title.
    labels : Mapping, callable or Codebook, optional
        Names of the drivers (see :func:`~citizensfirst.charts.base.resolve_labels`).
    measure : {"share", "importance"}, default "share"
        What the bars show.

    Returns
    -------
    Chart
        The chart, with the ``data`` above.

    Raises
    ------
    ValueError
        If ``measure`` or ``language`` is not supported.
    """
    language = check(language)
    statistic = "importance" if measure == "share" else "importance_raw"
    results: dict[Hashable, DriverResult] = (dict(driver_result) if isinstance(driver_result, Mapping)
                                             else {"": driver_result})
    single = list(results) == [""]
    if labels is None:  # the labels the analysis carries (from the design's codebook)
        labels = {k: v for res in results.values() for k, v in res.label_map(language).items()}
    frames = []
    for key, res in results.items():
        part = _share_table(res, measure)
        part.insert(0, "series", [key] * len(part))
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True)
    last = frames[-1].sort_values("value", ascending=False, kind="stable")["driver"].tolist()
    drivers = last + [d for d in dict.fromkeys(frame["driver"]) if d not in last]
    names = resolve_labels(drivers, labels, language)
    frame["label"] = frame["driver"].map(names)
    frame["_pos"] = frame["driver"].map({d: i for i, d in enumerate(drivers)})
    frame = frame.sort_values(["_pos", "series"] if not single else ["_pos"],
                              kind="stable").drop(columns="_pos").reset_index(drop=True)
    if measure == "share":
        frame["value_label"] = [format_percent(v / 100.0, language, 1) for v in frame["value"]]
    else:
        frame["value_label"] = [format_number(v, language, 3) for v in frame["value"]]
    series_keys = list(results)
    styles: Mapping[Hashable, theme.SeriesStyle] = (theme.series_styles(series_keys) if not single
              else {"": theme.SeriesStyle("", 0, theme.BLUE, "o", "-", "")})

    with theme.style():
        fig, ax = new_figure()
        n_series = len(series_keys)
        value_texts: list[Any] = []
        height = 0.7 / n_series
        base = np.arange(len(drivers))[::-1].astype(float)
        top = float(np.nanmax(np.r_[frame["value"], frame["ci_high"]]))
        for i, key in enumerate(series_keys):
            part = frame[frame["series"] == key].set_index("driver").reindex(drivers)
            st = styles[key]
            y = base + (n_series - 1) / 2 * height - i * height
            values = part["value"].to_numpy(float)
            bars = ax.barh(y, values, height=height * 0.92, color=st.color,
                           edgecolor=theme.WHITE, linewidth=0.8, hatch=st.hatch,
                           label=str(key), zorder=2)
            for bar in bars:
                hatch_color(bar, theme.WHITE)
            low = part["ci_low"].to_numpy(float)
            high = part["ci_high"].to_numpy(float)
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.errorbar(values[ok], y[ok], xerr=[values[ok] - low[ok], high[ok] - values[ok]],
                            fmt="none", ecolor=theme.TEXT, elinewidth=1.2, capsize=3,
                            capthick=1.2, zorder=3)
            ends = np.where(ok, high, values)
            value_texts += [
                ax.text(xi + top * 0.015, yi, lab, ha="left", va="center",
                        fontsize=9 if n_series > 1 else 10, color=theme.TEXT, zorder=4)
                for yi, xi, lab in zip(y, ends, part["value_label"], strict=True) if xi == xi]
        ax.set_yticks(base, [wrap(names[d], 28) for d in drivers])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, top * 1.18)
        if measure == "share":
            ax.xaxis.set_major_formatter(percent_formatter(language))
        else:
            ax.xaxis.set_major_formatter(number_formatter(language, 2))
        ax.set_xlabel(statistic_label(statistic, language))
        ax.grid(axis="x", color=theme.GRID, linewidth=0.8, zorder=0)
        for gridline in ax.get_xgridlines():
            gridline.set_gid(theme.DECORATIVE_GID)
        ax.set_axisbelow(True)
        if title:
            ax.set_title(title)
        handles: list[Any] = []
        names_legend: list[str] = []
        if not single:
            for bar_container in ax.containers:
                label = bar_container.get_label()
                if hasattr(bar_container, "patches") and label:
                    handles.append(bar_container)
                    names_legend.append(label)
        if np.isfinite(frame["ci_low"]).any():
            handles.append(Line2D([], [], color=theme.TEXT, marker="|", markersize=10,
                                  linewidth=1.2))
            names_legend.append(text("ci", language))
        if handles:
            legend = fit_legend(fig, handles, names_legend)
            for patch in legend.get_patches():
                hatch_color(patch, theme.WHITE)
        fit_category_labels(fig, ax, "y", [names[d] for d in drivers], (28, 40, 56),
                            value_texts)
        fit_inside(ax, value_texts, "x")

    outcomes = {res.outcome for res in results.values()}
    names.update(resolve_labels(sorted(outcomes), labels, language))
    alt = _importance_alt(frame, results, language, title, measure,
                          join_list([names[o] for o in sorted(outcomes)], language))
    return finish(fig, title=title, alt_text=alt, data=frame, language=language,
                  kind="importance")


def _importance_alt(frame: pd.DataFrame, results: Mapping[Hashable, DriverResult],
                    language: str, title: str, measure: str, outcome: str) -> str:
    statistic = statistic_label("importance" if measure == "share" else "importance_raw",
                                language)
    waves = [str(k) for k in results if k != ""]
    when = (phrase("waves", language).format(waves=join_list(waves, language)) if waves
            else "")
    head = alt_head("importance", language, title, statistic, items=outcome, waves=when)
    sentences = []
    for key, res in results.items():
        part = frame[frame["series"] == key].sort_values("value", ascending=False)
        first = part.iloc[0]
        ci = ""
        if np.isfinite(first["ci_low"]) and np.isfinite(first["ci_high"]):
            fmt = ((lambda v: format_percent(v / 100.0, language, 1)) if measure == "share"
                   else (lambda v: format_number(v, language, 3)))
            ci = text("chart_ci_range", language).format(low=fmt(first["ci_low"]),
                                                         high=fmt(first["ci_high"]))
        rest = [f"{row['label']} ({row['value_label']})" for _, row in part.iloc[1:].iterrows()]
        followed = (text("chart_followed_by", language).format(items=join_list(rest, language))
                    if rest else "")
        prefix = "" if key == "" else f"{key}{colon(language)}"
        template = "chart_importance_top" if measure == "share" else "chart_importance_top_raw"
        sentences.append(prefix + text(template, language).format(
            driver=first["label"], value=first["value_label"], ci=ci, rest=followed))
        sentences.append(text("chart_r2", language).format(
            r2=format_percent(res.r2, language, 1), n=format_number(res.n, language, 0)))
    return " ".join([head, *sentences])


def quadrant_chart(
    driver_result: DriverResult,
    thresholds: Literal["mean", "median"] | tuple[float, float] = "mean",
    language: str = "en",
    title: str = "",
    *,
    labels: Any = None,
) -> Chart:
    """Importance (share, %) against performance (0-100) with the four action quadrants.

    Quadrants come from :func:`citizensfirst.drivers.importance_performance` (``thresholds``:
    ``"mean"``, ``"median"`` or ``(share, performance)``); dashed lines mark the thresholds,
    each corner is named in ``language`` ("Improve first" / "Améliorer en priorité", ...) in the
    quadrant's colour, and each point has its quadrant's marker shape and colour plus a direct
    label naming the driver, placed clear of the other labels, markers, threshold lines and
    quadrant names (:func:`~citizensfirst.charts.placement.place_labels`; a leader line ties a
    label moved away from its point).  Without scales the raw driver means are used as
    performance.  The alt text names the outcome (from ``labels`` too), the axes' statistics
    and every driver with its quadrant.

    ``data``: ``driver``, ``label``, ``share``, ``performance``, ``quadrant``,
    ``quadrant_label``, ``importance_threshold``, ``performance_threshold``.

    Parameters
    ----------
    driver_result : DriverResult
        The key driver result.
    thresholds : {"mean", "median"} or tuple of (float, float), default "mean"
        Where the quadrant lines lie: ``(share, performance)`` or a statistic of each.
    language : str, default "en"
        Language of numbers, labels and alt text.
    title : str, default ""
        Chart title.
    labels : Mapping, callable or Codebook, optional
        Names of the drivers (see :func:`~citizensfirst.charts.base.resolve_labels`).

    Returns
    -------
    Chart
        The chart, with the ``data`` above.
    """
    language = check(language)
    ip = importance_performance(driver_result, thresholds)
    if labels is None:  # the labels the analysis carries (from the design's codebook)
        labels = driver_result.label_map(language)
    perf_col = "performance" if "performance" in ip.columns else "mean"
    drivers = [str(d) for d in ip.index]
    names = resolve_labels(drivers, labels, language)
    frame = pd.DataFrame({
        "driver": drivers,
        "label": [names[d] for d in drivers],
        "share": ip["share"].to_numpy(float),
        "performance": ip[perf_col].to_numpy(float),
        "quadrant": ip["quadrant"].to_numpy(),
    })
    frame["quadrant_label"] = [text(QUADRANTS[q], language) for q in frame["quadrant"]]
    ti = float(ip["importance_threshold"].iloc[0])
    tp = float(ip["performance_threshold"].iloc[0])
    frame["importance_threshold"] = ti
    frame["performance_threshold"] = tp

    with theme.style():
        fig, ax = new_figure()
        x = frame["share"].to_numpy(float)
        y = frame["performance"].to_numpy(float)
        x_hi = max(float(np.nanmax(x)), ti) * 1.25
        y_lo, y_hi = min(float(np.nanmin(y)), tp), max(float(np.nanmax(y)), tp)
        pad = max((y_hi - y_lo) * 0.25, 5.0)
        y_lo, y_hi = y_lo - pad, y_hi + pad
        if perf_col == "performance":
            y_lo, y_hi = max(y_lo, 0.0), min(y_hi, 100.0)
        ax.set_xlim(0, x_hi)
        ax.set_ylim(y_lo, y_hi)
        thresholds_drawn = [
            ax.axvline(ti, color=theme.MUTED_TEXT, linestyle="--", linewidth=1.2, zorder=1),
            ax.axhline(tp, color=theme.MUTED_TEXT, linestyle="--", linewidth=1.2, zorder=1)]
        corners = {
            "possible over-investment": (0.01, 0.99, "left", "top"),
            "maintain": (0.99, 0.99, "right", "top"),
            "lower priority": (0.01, 0.01, "left", "bottom"),
            "improve first": (0.99, 0.01, "right", "bottom"),
        }
        names_drawn = [
            ax.text(cx, cy, text(QUADRANTS[quadrant], language), transform=ax.transAxes,
                    ha=ha, va=va, fontsize=11, fontweight="bold",
                    color=theme.CATEGORY_COLORS[quadrant], zorder=2)
            for quadrant, (cx, cy, ha, va) in corners.items()]
        for quadrant in QUADRANTS:
            sel = (frame["quadrant"] == quadrant).to_numpy()
            if sel.any():
                ax.plot(x[sel], y[sel], linestyle="none", marker=theme.QUADRANT_MARKERS[quadrant],
                        markersize=10, markerfacecolor=theme.CATEGORY_COLORS[quadrant],
                        markeredgecolor=theme.TEXT, markeredgewidth=0.8, zorder=3)
        ax.xaxis.set_major_formatter(percent_formatter(language))
        ax.yaxis.set_major_formatter(number_formatter(language, 0))
        ax.set_xlabel(statistic_label("importance", language))
        ax.set_ylabel(statistic_label("performance" if perf_col == "performance"
                                      else "mean_rating", language))
        if title:
            ax.set_title(title)
        settle(fig)
        _label_points(ax, x, y, list(frame["label"]), [*names_drawn, *thresholds_drawn])

    outcome = resolve_labels([driver_result.outcome], labels, language)[driver_result.outcome]
    alt = _quadrant_alt(frame, language, title, ti, tp, outcome)
    return finish(fig, title=title, alt_text=alt, data=frame, language=language,
                  kind="quadrant")


def _label_points(ax: Any, x: np.ndarray, y: np.ndarray, labels: list[str],
                  avoid: list[Any]) -> None:
    """Label every point clear of the other labels, the markers, the threshold lines and the
    quadrant names, with leader lines that cross nothing (:func:`~.placement.tangled`): 10-pt
    labels wrapped at 24 characters, else smaller or differently wrapped ones, else (many long
    labels) on a taller figure."""
    fig = ax.figure
    lines_before = len(ax.lines)
    attempts = [(10, 24), (9, 28), (9, 20), (9, 24), (9, 24), (9, 24)]
    for attempt, (size, width) in enumerate(attempts):
        if attempt >= 3:  # no arrangement fits: give the labels more room
            fig.set_figheight(fig.get_figheight() * 1.25)
            settle(fig)
        texts = place_labels(ax, x, y, [wrap(label, width) for label in labels], avoid=avoid,
                             fontsize=size, color=theme.TEXT, zorder=4)
        boxes = np.array([box_of(t) for t in texts]).reshape(-1, 4)
        others = np.array([box_of(a) for a in avoid]).reshape(-1, 4)
        if not (overlapping(boxes).any() or overlapping(boxes, others).any()
                or tangled(ax.lines[lines_before:], texts, avoid)):
            return
        if attempt < len(attempts) - 1:
            for t in texts:
                t.remove()
            for line in ax.lines[lines_before:]:
                line.remove()


def _quadrant_alt(frame: pd.DataFrame, language: str, title: str, ti: float, tp: float,
                  outcome: str) -> str:
    head = alt_head("quadrant", language, title, phrase("quadrant", language), items=outcome)
    sentences = []
    for quadrant, key in QUADRANTS.items():
        part = frame[frame["quadrant"] == quadrant].sort_values("share", ascending=False)
        if part.empty:
            continue
        items = [text("chart_quadrant_point", language).format(
            driver=row["label"], share=format_percent(row["share"] / 100.0, language, 1),
            performance=format_number(row["performance"], language, 1))
            for _, row in part.iterrows()]
        sentences.append(f"{text(key, language)}{colon(language)}{join_list(items, language)}.")
    sentences.append(text("chart_quadrant_thresholds", language).format(
        share=format_percent(ti / 100.0, language, 1), performance=format_number(tp, language, 1)))
    return " ".join([head, *sentences])
