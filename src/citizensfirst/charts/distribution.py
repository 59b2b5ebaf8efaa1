"""Distribution chart: stacked horizontal bars of dissatisfied / neutral / satisfied shares.

>>> import pandas as pd
>>> data = pd.DataFrame({"item": ["Timeliness", "Courtesy"], "dissatisfied": [0.25, 0.08],
...                      "neutral": [0.20, 0.12], "satisfied": [0.55, 0.80]})
>>> chart = distribution_chart(data, language="fr", title="Évaluation des services")
>>> print(chart.alt_text.replace(chr(160), " "))  # doctest: +NORMALIZE_WHITESPACE
Graphique à barres empilées : Évaluation des services, proportion des répondants
insatisfaits, neutres et satisfaits pour Timeliness et Courtesy. Timeliness : 55 % satisfaits,
20 % neutres et 25 % insatisfaits; Courtesy : 80 % satisfaits, 12 % neutres et
8 % insatisfaits. La part de satisfaits la plus élevée est celle de Courtesy (80 %).
>>> chart.data.loc[0, ["item", "category", "category_label", "label"]].tolist()
['Timeliness', 'dissatisfied', 'Insatisfait', '25\\xa0%']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from ..i18n import format_percent, text
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
from .placement import box_of, fit_category_labels, fit_legend
from .wording import alt_head, phrase, statistic_label

__all__ = ["CATEGORIES", "collapse_levels", "distribution_chart"]

#: Stacking order, left to right.
CATEGORIES = ("dissatisfied", "neutral", "satisfied")

#: Default grouping of a 1-5 scale.
FIVE_POINT = {"dissatisfied": (1, 2), "neutral": (3,), "satisfied": (4, 5)}


def collapse_levels(
    proportions: Any,
    bands: Mapping[str, Sequence[float]] | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Wide distribution table from a proportion :class:`~citizensfirst.estimate.Estimate`
    (or its table): one row per ``variable``, the shares of ``bands`` levels summed.

    ``bands`` defaults to 1-2 dissatisfied, 3 neutral, 4-5 satisfied; ``labels`` maps variable
    names to the item labels drawn (e.g. codebook question wording).

    Parameters
    ----------
    proportions : Estimate or pandas.DataFrame
        Proportions with ``variable``, ``level`` and ``estimate``.
    bands : Mapping, optional
        Category (``dissatisfied``, ``neutral``, ``satisfied``) to the levels it sums;
        default :data:`FIVE_POINT`.
    labels : Mapping, optional
        Variable name to item label.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``dissatisfied``, ``neutral`` and ``satisfied``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"variable": ["q"] * 5, "level": [1.0, 2.0, 3.0, 4.0, 5.0],
    ...                   "estimate": [0.1, 0.1, 0.2, 0.3, 0.3]})
    >>> collapse_levels(t).round(2).to_dict("records")
    [{'item': 'q', 'dissatisfied': 0.2, 'neutral': 0.2, 'satisfied': 0.6}]
    """
    table = proportions.table if hasattr(proportions, "table") else pd.DataFrame(proportions)
    bands = dict(bands or FIVE_POINT)
    rows = []
    for variable, part in table.groupby("variable", sort=False):
        levels = part["level"].astype(float).to_numpy()
        shares = part["estimate"].to_numpy(float)
        name = str(variable)
        row: dict[str, Any] = {"item": (labels or {}).get(name, name)}
        for category in CATEGORIES:
            wanted = np.isin(levels, np.asarray(bands.get(category, ()), dtype=float))
            row[category] = float(shares[wanted].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def distribution_chart(
    shares: pd.DataFrame,
    language: str = "en",
    title: str = "",
    *,
    item_column: str = "item",
    decimals: int = 0,
    min_label_share: float = 0.06,
) -> Chart:
    """Stacked horizontal bars (0-100%) of the dissatisfied, neutral and satisfied shares.

    ``shares`` has one row per item (``item_column``) and shares 0-1 in ``dissatisfied``,
    ``neutral`` and ``satisfied``; each row must sum to 1 (within 0.02: rounding or
    suppressed categories).  Items are drawn top to bottom in the given order.  Segments are
    separated by white lines, hatched (dissatisfied ``//``, neutral ``..``, satisfied plain,
    hatches in the legend too) and labelled with their percentage in white on the solid fill
    when wider than ``min_label_share``, so categories never rely on colour alone.

    ``data`` is long: ``item``, ``category``, ``category_label`` (as in the legend), ``share``,
    ``label`` (the percentage as written, ``72 %`` in French).

    Parameters
    ----------
    shares : pandas.DataFrame
        One row per item with the three category shares.
    language : str, default "en"
        Language of numbers, labels and alt text.
    title : str, default ""
        Chart title.
    item_column : str, default "item"
        Column holding the item labels.
    decimals : int, default 0
        Decimal places of the percentages.
    min_label_share : float, default 0.06
        Segments narrower than this share get no label.

    Returns
    -------
    Chart
        The chart, with the long ``data`` above.

    Raises
    ------
    ValueError
        If a column is missing, a share is negative, a row does not sum to 1 or ``language``
        is not supported.

    Examples
    --------
    >>> import pandas as pd
    >>> chart = distribution_chart(pd.DataFrame({"item": ["A"], "dissatisfied": [0.1],
    ...                                          "neutral": [0.2], "satisfied": [0.7]}))
    >>> chart.data["label"].tolist()
    ['10%', '20%', '70%']
    """
    language = check(language)
    missing = [c for c in (item_column, *CATEGORIES) if c not in shares.columns]
    if missing:
        raise ValueError(f"distribution_chart needs columns {[item_column, *CATEGORIES]}; "
                         f"missing {missing}")
    wide = shares[[item_column, *CATEGORIES]].copy()
    values = wide[list(CATEGORIES)].to_numpy(float)
    if np.any(values < 0) or np.any(np.abs(values.sum(axis=1) - 1.0) > 0.02):
        raise ValueError("each row's dissatisfied + neutral + satisfied shares must be 0-1 "
                         "and sum to 1")
    items = [str(v) for v in wide[item_column]]
    long = pd.DataFrame({
        "item": np.repeat(items, len(CATEGORIES)),
        "category": list(CATEGORIES) * len(items),
        "category_label": [text(c, language) for c in CATEGORIES] * len(items),
        "share": values.reshape(-1),
    })
    long["label"] = [format_percent(v, language, decimals) for v in long["share"]]

    with theme.style():
        fig, ax = new_figure()
        y = np.arange(len(items))[::-1].astype(float)
        left = np.zeros(len(items))
        segment_texts: list[tuple[float, float, Any]] = []  # left, width, label
        for j, category in enumerate(CATEGORIES):
            color = theme.CATEGORY_COLORS[category]
            width = values[:, j] * 100.0
            bars = ax.barh(y, width, left=left, height=0.62, color=color,
                           edgecolor=theme.WHITE, linewidth=1.5,
                           hatch=theme.CATEGORY_HATCHES[category], label=text(category, language))
            for bar in bars:
                hatch_color(bar, theme.WHITE)
            for yi, li, wi in zip(y, left, width, strict=True):
                if wi / 100.0 >= min_label_share:
                    segment_texts.append((li, wi, ax.text(li + wi / 2, yi, format_percent(wi / 100.0, language, decimals),
                            ha="center", va="center", color=theme.WHITE, fontsize=10,
                            fontweight="bold",
                            bbox={"boxstyle": "square,pad=0.15", "facecolor": color,
                                  "edgecolor": "none"})))
            left += width
        ax.set_yticks(y, [wrap(item, 30) for item in items])
        ax.set_xlim(0, 100)
        ax.set_xticks(np.arange(0, 101, 20))
        ax.xaxis.set_major_formatter(percent_formatter(language))
        ax.set_xlabel(statistic_label("share", language))
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        if title:
            ax.set_title(title)
        handles = [Patch(facecolor=theme.CATEGORY_COLORS[c], edgecolor=theme.WHITE,
                         hatch=theme.CATEGORY_HATCHES[c], label=text(c, language))
                   for c in CATEGORIES]
        for handle in handles:
            hatch_color(handle, theme.WHITE)
        fit_legend(fig, handles, [text(c, language) for c in CATEGORIES], handlelength=2.2,
                   handleheight=1.4)
        fit_category_labels(fig, ax, "y", items, (30, 40, 56))
        _hide_overflowing(ax, segment_texts)

    alt = _alt_text(long, items, language, title)
    return finish(fig, title=title, alt_text=alt, data=long, language=language,
                  kind="distribution")


def _hide_overflowing(ax: Any, segment_texts: list[tuple[float, float, Any]]) -> None:
    """Hide the percentage of a segment too narrow to hold it (the data and alt text keep it)."""
    to_px = ax.transData.transform
    for left, width, label in segment_texts:
        x0, x1 = to_px([(left, 0.0), (left + width, 0.0)])[:, 0]
        bx0, _, bx1, _ = box_of(label)
        if bx1 - bx0 > x1 - x0 - 2:
            label.set_visible(False)


def _alt_text(long: pd.DataFrame, items: list[str], language: str, title: str) -> str:
    table = long.pivot(index="item", columns="category", values="label").loc[items]
    share = long.pivot(index="item", columns="category", values="share").loc[items]
    template = text("chart_distribution_item", language)
    listed = items if len(items) <= 6 else []
    parts = [template.format(item=item, sep=colon(language),
                             **{c: table.loc[item, c] for c in CATEGORIES})
             for item in listed]
    sentences = ["; ".join(parts) + "."] if parts else []
    if len(items) > 1:
        best = str(share["satisfied"].idxmax())  # the index is ``items``, all text
        worst = str(share["satisfied"].idxmin())
        sentences.append(text("chart_distribution_highest", language).format(
            item=best, value=table.loc[best, "satisfied"]))
        if len(items) > 6:
            sentences.append(text("chart_distribution_lowest", language).format(
                item=worst, value=table.loc[worst, "satisfied"]))
    head = alt_head("distribution", language, title, phrase("distribution", language),
                    items=join_list(items, language))
    return " ".join([head, *sentences])
