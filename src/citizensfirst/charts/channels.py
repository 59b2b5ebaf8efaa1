"""Channel chart: the service channel used against the channel preferred (grouped bars).

>>> import pandas as pd
>>> data = pd.DataFrame({"channel": ["Online", "Telephone", "In person"],
...                      "used": [0.49, 0.23, 0.26], "preferred": [0.60, 0.15, 0.22]})
>>> chart = channel_chart(data, language="fr", title="Modes de prestation")
>>> print(chart.alt_text.replace(chr(160), " "))  # doctest: +NORMALIZE_WHITESPACE
Graphique à barres groupées : Modes de prestation, proportion des répondants qui ont utilisé
et qui préfèrent chaque mode (Online, Telephone et In person). Online : 49 % l'ont utilisé,
60 % le préfèrent; Telephone : 23 % l'ont utilisé, 15 % le préfèrent; In person : 26 % l'ont
utilisé, 22 % le préfèrent. L'écart le plus grand concerne Online : la préférence dépasse
l'utilisation de 11 points de pourcentage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

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
    percent_formatter,
    wrap,
)
from .placement import fit_category_labels, fit_inside, fit_legend
from .wording import alt_head, phrase, statistic_label

__all__ = ["MEASURES", "channel_chart", "channel_table"]

#: The two bars per channel, left to right.
MEASURES = ("used", "preferred")
_KEYS = {"used": "channel_used", "preferred": "channel_preferred"}


def channel_table(
    used: Any,
    preferred: Any,
    labels: Mapping[Any, str] | None = None,
) -> pd.DataFrame:
    """Channel input table from two proportion :class:`~citizensfirst.estimate.Estimate` objects
    (or tables with ``level`` and ``estimate``), levels named by ``labels`` (e.g. a codebook
    variable's ``value_labels_in(language)``).

    Parameters
    ----------
    used : Estimate or pandas.DataFrame
        Shares of respondents who used each channel.
    preferred : Estimate or pandas.DataFrame
        Shares of respondents who prefer each channel.
    labels : Mapping, optional
        Level code to channel name; unnamed levels keep their code.

    Returns
    -------
    pandas.DataFrame
        Columns ``channel``, ``used`` and ``preferred`` (0 for a level missing from one side).

    Examples
    --------
    >>> import pandas as pd
    >>> u = pd.DataFrame({"level": [1.0, 2.0], "estimate": [0.7, 0.3]})
    >>> p = pd.DataFrame({"level": [1.0, 2.0], "estimate": [0.4, 0.6]})
    >>> channel_table(u, p, {1: "Online", 2: "Phone"}).to_dict("list")
    {'channel': ['Online', 'Phone'], 'used': [0.7, 0.3], 'preferred': [0.4, 0.6]}
    """
    def shares(est: Any) -> pd.Series:
        """Estimates indexed by level.

        Parameters
        ----------
        est : Estimate or pandas.DataFrame
            A proportion estimate or its table.

        Returns
        -------
        pandas.Series
            The ``estimate`` column indexed by ``level``.
        """
        table = est.table if hasattr(est, "table") else pd.DataFrame(est)
        return pd.Series(table["estimate"].to_numpy(float), index=table["level"].to_numpy())

    u, p = shares(used), shares(preferred)
    levels = list(dict.fromkeys([*u.index, *p.index]))
    names = []
    for level in levels:
        key = int(level) if isinstance(level, float) and level.is_integer() else level
        names.append(str((labels or {}).get(key, (labels or {}).get(level, key))))
    return pd.DataFrame({"channel": names,
                         "used": u.reindex(levels).fillna(0.0).to_numpy(),
                         "preferred": p.reindex(levels).fillna(0.0).to_numpy()})


def channel_chart(
    data: pd.DataFrame,
    language: str = "en",
    title: str = "",
    *,
    channel_column: str = "channel",
    decimals: int = 0,
) -> Chart:
    """Grouped vertical bars: share of respondents who used each channel (solid blue) and who
    prefer it (white with an orange outline and ``//`` hatching), each bar labelled with its
    percentage, so the two measures differ by fill pattern as well as colour.

    ``data`` has ``channel`` and shares 0-1 in ``used`` and ``preferred``.  ``data`` of the
    result is long: ``channel``, ``measure``, ``measure_label``, ``share``, ``label``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per channel, with shares 0-1 in ``used`` and ``preferred``.
    language : str, default "en"
        Language of numbers, labels and alt text.
    title : str, default ""
        Chart title.
    channel_column : str, default "channel"
        Column holding the channel names.
    decimals : int, default 0
        Decimal places of the percentages.

    Returns
    -------
    Chart
        The chart, with the long ``data`` above.

    Raises
    ------
    ValueError
        If a column is missing, a share lies outside 0-1 or ``language`` is not supported.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"channel": ["Online"], "used": [0.5], "preferred": [0.625]})
    >>> channel_chart(d, decimals=1).data["label"].tolist()
    ['50.0%', '62.5%']
    """
    language = check(language)
    missing = [c for c in (channel_column, *MEASURES) if c not in data.columns]
    if missing:
        raise ValueError(f"channel_chart needs columns {[channel_column, *MEASURES]}; "
                         f"missing {missing}")
    channels = [str(c) for c in data[channel_column]]
    values = data[list(MEASURES)].to_numpy(float)
    if np.any(values < 0) or np.any(values > 1):
        raise ValueError("used and preferred must be shares between 0 and 1")
    long = pd.DataFrame({
        "channel": np.repeat(channels, len(MEASURES)),
        "measure": list(MEASURES) * len(channels),
        "measure_label": [text(_KEYS[m], language) for m in MEASURES] * len(channels),
        "share": values.reshape(-1),
    })
    long["label"] = [format_percent(v, language, decimals) for v in long["share"]]

    with theme.style():
        fig, ax = new_figure()
        x = np.arange(len(channels), dtype=float)
        width = 0.38
        handles = []
        value_texts: list[Any] = []
        for j, measure in enumerate(MEASURES):
            color = theme.CATEGORY_COLORS[measure]
            hatch = theme.CATEGORY_HATCHES[measure]
            solid = not hatch
            xs = x + (j - 0.5) * width
            heights = values[:, j] * 100.0
            bars = ax.bar(xs, heights, width=width * 0.94,
                          color=color if solid else theme.WHITE,
                          edgecolor=color, linewidth=1.6, hatch=hatch, zorder=2)
            for bar in bars:
                hatch_color(bar, color)
            value_texts += [ax.text(xi, hi + 1.0, format_percent(hi / 100.0, language, decimals),
                                    ha="center", va="bottom", fontsize=10, color=theme.TEXT,
                                    zorder=3)
                            for xi, hi in zip(xs, heights, strict=True)]
            handle = Patch(facecolor=color if solid else theme.WHITE, edgecolor=color,
                           linewidth=1.6, hatch=hatch)
            hatch_color(handle, color)
            handles.append(handle)
        top = float(np.nanmax(values)) * 100.0
        ax.set_ylim(0, min(100.0, top * 1.2 + 5.0))
        ax.yaxis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))  # whole percents only
        ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= 100])
        ax.set_xticks(x, [wrap(c, 16) for c in channels])
        ax.tick_params(axis="x", length=0)
        ax.yaxis.set_major_formatter(percent_formatter(language))
        ax.set_ylabel(statistic_label("share", language))
        ax.grid(axis="y", color=theme.GRID, linewidth=0.8, zorder=0)
        for gridline in ax.get_ygridlines():
            gridline.set_gid(theme.DECORATIVE_GID)
        ax.set_axisbelow(True)
        if title:
            ax.set_title(title)
        fit_legend(fig, handles, [text(_KEYS[m], language) for m in MEASURES],
                   handlelength=2.2, handleheight=1.4)
        fit_category_labels(fig, ax, "x", channels, (16, 12, 10), value_texts)
        fit_inside(ax, value_texts, "y")

    alt = _alt_text(long, channels, values, language, title)
    return finish(fig, title=title, alt_text=alt, data=long, language=language,
                  kind="channels")


def _alt_text(long: pd.DataFrame, channels: list[str], values: np.ndarray, language: str,
              title: str) -> str:
    labels = long.pivot(index="channel", columns="measure", values="label").loc[channels]
    items = [text("chart_channel_item", language).format(
        channel=c, sep=colon(language), used=labels.loc[c, "used"],
        preferred=labels.loc[c, "preferred"]) for c in channels]
    sentences = ["; ".join(items) + "."]
    gaps = (values[:, 1] - values[:, 0]) * 100.0
    if len(gaps) and np.nanmax(np.abs(gaps)) > 0:
        i = int(np.nanargmax(np.abs(gaps)))
        key = "chart_channel_gap_pref" if gaps[i] > 0 else "chart_channel_gap_use"
        sentences.append(text(key, language).format(
            channel=channels[i], sep=colon(language),
            gap=format_number(abs(gaps[i]), language, 0)))
    head = alt_head("channels", language, title, phrase("channels", language),
                    items=join_list(channels, language))
    return " ".join([head, *sentences])
