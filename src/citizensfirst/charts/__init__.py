"""Accessible, bilingual charts for survey results.

Every chart function takes ``language="en"`` or ``"fr"`` and returns a
:class:`~citizensfirst.charts.base.Chart`: the matplotlib figure (Agg canvas, 800 x 500 px,
larger only when many long labels need the room), an alternative text naming what is charted
(the statistic, the items or drivers, the waves) and stating the main finding with numbers in
that language, the data behind the chart (with the labels drawn) and the title; :meth:`Chart.save` writes PNG and SVG (and PDF),
the alt text (``.txt``) and the data (``.csv``) atomically and deterministically.

All charts share one theme (:mod:`citizensfirst.charts.theme`): a colour-blind-safe palette
whose every colour has at least 4.5:1 contrast on white, a fixed colour, marker, line style and
hatch per wave or series key, and redundant encodings so no meaning relies on colour alone.
Axis titles name the statistic charted (:mod:`citizensfirst.charts.wording`), and labels are
placed on the drawn figure so that no two texts overlap (:mod:`citizensfirst.charts.placement`).

The chart types are also registered by name in :data:`CHART_TYPES` (name -> the function
and the kind of result it draws); code that picks a chart by name (the command line, a study
spec) looks it up with :func:`chart_function` and offers :func:`chart_names`.

======================  ====================================================================
``trend_chart``         estimate by wave, CI bands and whiskers, significant-change stars
``distribution_chart``  stacked dissatisfied / neutral / satisfied bars, hatched and labelled
``importance_chart``    driver importance bars with CI whiskers (one result or one per wave)
``quadrant_chart``      importance vs performance with the four action quadrants
``channel_chart``       channel used vs preferred, grouped bars with hatching
======================  ====================================================================

>>> import pandas as pd
>>> from citizensfirst.charts import distribution_chart
>>> chart = distribution_chart(pd.DataFrame({"item": ["Overall"], "dissatisfied": [0.15],
...                                          "neutral": [0.2], "satisfied": [0.65]}))
>>> chart.alt_text
'Stacked bar chart: Share of respondents dissatisfied, neutral and satisfied for Overall. Overall: 65% satisfied, 20% neutral and 15% dissatisfied.'
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import SpecError
from . import theme
from .base import FORMATS, Chart
from .channels import channel_chart, channel_table
from .distribution import collapse_levels, distribution_chart
from .drivers import importance_chart, quadrant_chart
from .theme import contrast_ratio, series_color, series_style
from .trend import score_table, trend_chart


@dataclass(frozen=True)
class ChartType:
    """A registered chart type: its function and what it draws.

    Parameters
    ----------
    function : callable
        Draws the chart; returns a :class:`~citizensfirst.charts.base.Chart`.
    draws : str
        The input it takes: ``"drivers"`` (a driver result), ``"trend"`` (estimates by wave),
        ``"distribution"`` (shares by rating category) or ``"channels"`` (channel shares).
    """

    function: Callable[..., Chart]
    draws: str


#: The chart types by name.
CHART_TYPES: Mapping[str, ChartType] = {
    "trend": ChartType(trend_chart, "trend"),
    "distribution": ChartType(distribution_chart, "distribution"),
    "importance": ChartType(importance_chart, "drivers"),
    "quadrant": ChartType(quadrant_chart, "drivers"),
    "channels": ChartType(channel_chart, "channels"),
}


def chart_names(draws: str | None = None) -> tuple[str, ...]:
    """The names of the registered chart types, optionally only those that draw ``draws``.

    >>> chart_names("drivers")
    ('importance', 'quadrant')
    """
    return tuple(name for name, kind in CHART_TYPES.items() if draws is None or kind.draws == draws)


def chart_function(name: str) -> Callable[..., Chart]:
    """The function of the chart type called ``name``.

    Raises
    ------
    SpecError
        ``name`` is not a registered chart type (the message lists them).

    Examples
    --------
    >>> chart_function("trend") is trend_chart
    True
    """
    if name not in CHART_TYPES:
        raise SpecError(f"unknown chart type {name!r}: use one of {', '.join(CHART_TYPES)}")
    return CHART_TYPES[name].function


__all__ = [
    "CHART_TYPES",
    "FORMATS",
    "Chart",
    "ChartType",
    "chart_function",
    "chart_names",
    "channel_chart",
    "channel_table",
    "collapse_levels",
    "contrast_ratio",
    "distribution_chart",
    "importance_chart",
    "quadrant_chart",
    "score_table",
    "series_color",
    "series_style",
    "theme",
    "trend_chart",
]
