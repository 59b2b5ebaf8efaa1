"""The report's own publication tables: trend changes and driver importance, in English and French.

Each is a titled HTML table on the scale of its chart (0-100 scores, percentages), with translated
headings and numbers formatted for the language (``3,18``, ``30,6 %``, ``4 300``); names from a
spec or codebook are escaped. :func:`on_chart_scale` is the one rescaling of trend estimates
shared with the trend chart's data, so the table and the chart cannot disagree.

>>> import pandas as pd
>>> frame = pd.DataFrame({"estimate": [3.0], "change": [0.5]})
>>> on_chart_scale(frame, "mean", Scale(1, 5), levels=["estimate"], differences=["change"]).iloc[0].tolist()
[50.0, 12.5]
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..drivers.driver_result import DriverResult
from ..estimation.scales import Scale
from ..i18n import check_language, format_number, format_percent, text

#: How the drivers' importance measures are named.
DRIVER_METHODS: dict[str, tuple[str, str]] = {
    "shapley": ("Shapley decomposition of R² (LMG)", "décomposition de Shapley du R² (LMG)"),
    "relative_weights": ("Johnson's relative weights", "poids relatifs de Johnson"),
    "beta": ("standardised regression coefficients", "coefficients de régression standardisés"),
    "betasq": ("squared standardised regression coefficients", "carrés des coefficients de régression standardisés"),
    "correlation": ("correlations with the outcome", "corrélations avec le résultat"),
    "first": ("R² of each driver alone", "R² de chaque facteur seul"),
    "last": ("R² added by each driver last", "R² ajouté par chaque facteur en dernier"),
    "pratt": ("Pratt's measure", "mesure de Pratt"),
}

TEXT: dict[str, dict[str, str]] = {
    "period": {"en": "Waves compared", "fr": "Vagues comparées"},
    "from_to": {"en": "{a} to {b}", "fr": "{a} à {b}"},
    "earlier": {"en": "Earlier wave", "fr": "Vague antérieure"},
    "later": {"en": "Later wave", "fr": "Vague ultérieure"},
    "change_points": {"en": "Change (points)", "fr": "Variation (points)"},
    "change_pp": {"en": "Change (percentage points)", "fr": "Variation (points de pourcentage)"},
    "change_ci": {"en": "95% CI of the change", "fr": "IC à 95\u00a0% de la variation"},
    "significant": {"en": "Significant change", "fr": "Variation significative"},
    "yes": {"en": "Yes", "fr": "Oui"},
    "no": {"en": "No", "fr": "Non"},
    "to": {"en": "{low} to {high}", "fr": "{low} à {high}"},
    "changes_title": {"en": "Change from one wave to the next: {title}", "fr": "Variation d'une vague à l'autre : {title}"},
    "changes_note": {
        "en": "A change is significant when its 95% confidence interval excludes 0 (design-based t test at the "
              "5% level). \"..\": not available (an estimate of one of the waves is not published).",
        "fr": "Une variation est significative lorsque son intervalle de confiance à 95\u00a0% exclut 0 (test t "
              "fondé sur le plan au seuil de 5\u00a0%). « .. » : non disponible (une estimation de l'une des "
              "vagues n'est pas diffusée).",
    },
    "drivers_title": {"en": "Importance and performance of each driver", "fr": "Importance et rendement de chaque facteur"},
    "driver": {"en": "Driver", "fr": "Facteur"},
    "rank": {"en": "Rank", "fr": "Rang"},
    "share": {"en": "Share of explained variance (%)", "fr": "Part de la variance expliquée (%)"},
    "share_ci": {"en": "95% CI (%)", "fr": "IC à 95\u00a0% (%)"},
    "performance": {"en": "Performance (0-100)", "fr": "Rendement (0-100)"},
    "quadrant": {"en": "Quadrant", "fr": "Quadrant"},
    "outcome": {"en": "Outcome: {outcome}.", "fr": "Résultat : {outcome}."},
    "mean_of": {"en": "the mean of {n} items ({items})", "fr": "la moyenne de {n} énoncés ({items})"},
    "method": {"en": "Method: {method}; R² = {r2} (n = {n} respondents who answered the outcome and every driver).",
               "fr": "Méthode : {method}; R² = {r2} (n = {n} répondants ayant répondu au résultat et à chaque facteur)."},
    "ci_bootstrap": {"en": "95% confidence intervals: t on {df} degrees of freedom, from {reps} bootstrap replicates "
                           "of the sample, each weighted again by every weighting step.",
                     "fr": "Intervalles de confiance à 95\u00a0% : loi t à {df} degrés de liberté, à partir de {reps} "
                           "répliques bootstrap de l'échantillon, chacune pondérée de nouveau par chaque étape de pondération."},
    "ci_replicate": {"en": "95% confidence intervals: t on {df} degrees of freedom, from the design's {reps} replicate weights.",
                     "fr": "Intervalles de confiance à 95\u00a0% : loi t à {df} degrés de liberté, à partir des {reps} "
                           "poids de rééchantillonnage du plan."},
    "no_ci": {"en": "No confidence intervals (no replicate weights).", "fr": "Aucun intervalle de confiance (pas de poids de rééchantillonnage)."},
    "performance_note": {"en": "Performance: the driver's weighted mean rating on a 0-100 scale.",
                         "fr": "Rendement : la cote moyenne pondérée du facteur sur une échelle de 0 à 100."},
    "no_quadrant": {"en": "No importance-performance quadrant: {reason}.",
                    "fr": "Aucun quadrant importance-rendement : {reason}."},
    "no_quadrant_reason": {"en": "the drivers do not share one known rating scale",
                           "fr": "les facteurs n'ont pas tous la même échelle de cotation connue"},
}

#: Titles of the driver charts.
CHART_TITLES: dict[str, dict[str, str]] = {
    "importance": {"en": "Importance of service drivers", "fr": "Importance des facteurs de service"},
    "quadrant": {"en": "Importance and performance of service drivers",
                 "fr": "Importance et rendement des facteurs de service"},
}

_TREND_SUFFIX = {"mean": {"en": "score (0-100)", "fr": "score (0-100)"},
                 "top2": {"en": "% satisfied (top two boxes)", "fr": "% satisfaits (deux cotes supérieures)"},
                 "sqs": {"en": "Service Quality Score", "fr": "Score de qualité du service"}}

#: Headings of the columns of a chart's data, shown under the chart.
DATA_HEADINGS: dict[str, tuple[str, str]] = {
    "series": ("Series", "Série"), "series_label": ("Series", "Série"), "wave": ("Wave", "Vague"),
    "estimate": ("Estimate", "Estimation"), "ci_low": ("95% CI, lower", "IC à 95\u00a0%, borne inférieure"),
    "ci_high": ("95% CI, upper", "IC à 95\u00a0%, borne supérieure"),
    "significant_change": ("Significant change", "Variation significative"), "change": ("Change", "Variation"),
    "driver": ("Driver", "Facteur"), "label": ("Label", "Libellé"), "value": ("Value", "Valeur"),
    "rank": ("Rank", "Rang"), "channel": ("Channel", "Mode"), "measure": ("Measure", "Mesure"),
    "item": ("Item", "Énoncé"), "category": ("Category", "Catégorie"), "share": ("Share", "Part"),
    "performance": ("Performance (0-100)", "Rendement (0-100)"), "quadrant": ("Quadrant", "Quadrant"),
    "importance_threshold": ("Importance threshold", "Seuil d'importance"),
    "performance_threshold": ("Performance threshold", "Seuil de rendement"),
}

_FORMATTED_NUMBER = re.compile(r"^[-+\u2212]?[\d\s\u00a0.,]+(\s?%)?$")

_QUADRANT_KEYS = {"improve first": "improve_first", "maintain": "maintain", "lower priority": "lower_priority",
                  "possible over-investment": "over_investment"}


def _t(key: str, language: str, **values: Any) -> str:
    return TEXT[key][language].format(**values)


def trend_title(label: str, stat: str, language: str) -> str:
    """The title of a trend chart and of its change table: the item's label and the statistic.

    Parameters
    ----------
    label : str
        The item's label in ``language``.
    stat : str
        ``"mean"``, ``"top2"`` or ``"sqs"``.
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        E.g. ``"Staff were courteous: score (0-100)"``.
    """
    colon = "\u00a0:" if language == "fr" else ":"
    return f"{label}{colon} {_TREND_SUFFIX[stat][language]}"


def on_chart_scale(frame: pd.DataFrame, stat: str, scale: Scale | None, *, levels: Sequence[str],
                   differences: Sequence[str] = ()) -> pd.DataFrame:
    """Trend values on the chart's scale: a mean on 0-100 with its rating scale, a share in percent.

    Parameters
    ----------
    frame : pandas.DataFrame
        The values (never modified).
    stat : str
        The trend statistic: ``"mean"`` (rescaled with ``scale``) or a share (``"top2"``, ...,
        times 100).
    scale : Scale or None
        The rating scale of a mean (needed for ``"mean"``).
    levels : sequence of str
        Columns holding estimates or confidence limits (rescaled with the scale's offset).
    differences : sequence of str, optional
        Columns holding differences between estimates (rescaled without the offset).

    Returns
    -------
    pandas.DataFrame
        A copy with those columns rescaled.
    """
    out = frame.copy()
    for col in [*levels, *differences]:
        values = pd.to_numeric(out[col], errors="coerce").astype(float)
        if stat != "mean":
            out[col] = values * 100
        elif scale is None:
            raise ValueError("a mean trend needs its rating scale to be put on 0-100")
        elif col in levels:
            out[col] = scale.to_100(values, check=False)
        else:
            out[col] = values * 100 / (scale.high - scale.low)
    return out


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], css: str) -> str:
    """An HTML table: escaped caption, headings and cells; the first cell of a row is its heading."""
    header = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in head)
    body = "".join("<tr>" + f'<th scope="row">{html.escape(r[0])}</th>'
                   + "".join(f"<td>{html.escape(c)}</td>" for c in r[1:]) + "</tr>" for r in rows)
    return (f'<table class="{css}"><caption>{html.escape(caption)}</caption>'
            f"<thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")


def trend_changes_table(changes: pd.DataFrame, stat: str, scale: Scale | None, title: str, language: str) -> str:
    """Wave-to-wave changes of one trend as a publication table, on the trend chart's scale.

    Parameters
    ----------
    changes : pandas.DataFrame
        ``Trend.changes`` as published (``from_wave``, ``to_wave``, ``estimate_from``,
        ``estimate_to``, ``change``, ``ci_low``, ``ci_high``, ``significant``; values blanked
        where a wave estimate is not published).
    stat : str
        The trend statistic (``"mean"``: 0-100 scores; otherwise percentages).
    scale : Scale or None
        The rating scale of a mean trend.
    title : str
        The chart's title (the table's caption names it).
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The HTML table.

    Examples
    --------
    >>> ch = pd.DataFrame({"from_wave": [2018], "to_wave": [2020], "estimate_from": [0.462],
    ...                    "estimate_to": [0.603], "change": [0.141], "ci_low": [0.102],
    ...                    "ci_high": [0.181], "significant": [True]})
    >>> "<td>46,2\\xa0%</td><td>60,3\\xa0%</td><td>14,1</td><td>10,2 à 18,1</td><td>Oui</td>" in (
    ...     trend_changes_table(ch, "top2", None, "Satisfaction", "fr"))
    True
    """
    check_language(language)
    frame = on_chart_scale(changes, stat, scale, levels=["estimate_from", "estimate_to"],
                           differences=["change", "ci_low", "ci_high"])
    rows = []
    for _, r in frame.iterrows():
        sig = r["significant"]
        rows.append([
            _t("from_to", language, a=str(r["from_wave"]), b=str(r["to_wave"])),
            _level(r["estimate_from"], stat, language), _level(r["estimate_to"], stat, language), format_number(r["change"], language, 1),
            ".." if _missing(r["ci_low"]) else _t("to", language, low=format_number(r["ci_low"], language, 1),
                                                  high=format_number(r["ci_high"], language, 1)),
            ".." if _missing(sig) else _t("yes" if bool(sig) else "no", language),
        ])
    head = [_t("period", language), _t("earlier", language), _t("later", language),
            _t("change_points" if stat == "mean" else "change_pp", language), _t("change_ci", language),
            _t("significant", language)]
    return _table(_t("changes_title", language, title=title), head, rows, "pub trend-changes")


def trend_changes_note(language: str) -> str:
    """The note under the trend change tables (once per section).

    Parameters
    ----------
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        An HTML paragraph.
    """
    return f'<p class="notes">{html.escape(_t("changes_note", language))}</p>'


def lower_first(label: str) -> str:
    """``label`` with a lower-case first letter when it starts a plain word (not an acronym), to sit
    inside a sentence.

    Parameters
    ----------
    label : str
        A variable label.

    Returns
    -------
    str
        The label, e.g. ``"Overall satisfaction"`` -> ``"overall satisfaction"``, ``"SGC code"`` unchanged.

    Examples
    --------
    >>> lower_first("Overall satisfaction"), lower_first("SGC code")
    ('overall satisfaction', 'SGC code')
    """
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _level(value: float, stat: str, language: str) -> str:
    """An estimate on the chart's scale: a 0-100 score, or a percentage."""
    if stat == "mean" or _missing(value):
        return format_number(value, language, 1)
    return format_percent(value / 100, language, 1)


def _cell(value: Any, language: str, *, percent: bool) -> str:
    """A chart-data value as text: Yes/No, a number for the language (a 0-1 share as a percentage)."""
    if isinstance(value, bool | np.bool_):
        return _t("yes" if value else "no", language)
    if isinstance(value, float | np.floating):
        return format_percent(float(value), language, 1) if percent else format_number(float(value), language, 1)
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def outcome_label(outcome: Sequence[str], labels: Mapping[str, str], language: str) -> str:
    """The driver analysis' outcome in words: the item's label, or "mean of ..." for several items.

    Parameters
    ----------
    outcome : sequence of str
        The outcome item(s) (several are averaged).
    labels : Mapping
        Labels of the items in ``language`` (names without a label are shown as they are).
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The outcome's wording.

    Examples
    --------
    >>> outcome_label(["q1"], {"q1": "Overall satisfaction"}, "en")
    'Overall satisfaction'
    >>> outcome_label(["q1", "q2"], {"q1": "Satisfaction globale", "q2": "Rapport qualité-prix"}, "fr")
    'la moyenne de 2 énoncés (satisfaction globale; rapport qualité-prix)'
    """
    items = [labels.get(o, o) for o in outcome]
    return items[0] if len(items) == 1 else _t("mean_of", language, n=len(items),
                                                items="; ".join(map(lower_first, items)))


def drivers_summary(result: DriverResult, outcome: Sequence[str], labels: Mapping[str, str], language: str, *,
                    bootstrap: bool) -> str:
    """What the driver analysis explains: outcome, method, R², n and how the intervals were made.

    Parameters
    ----------
    result : DriverResult
        The analysis.
    outcome : sequence of str
        The outcome item(s) (several are averaged).
    labels : mapping of str to str
        Labels of the outcome items in ``language`` (names without a label are shown as they are).
    language : str
        ``"en"`` or ``"fr"``.
    bootstrap : bool
        True when the intervals come from bootstrap replicates re-weighted by every step (a Taylor
        design), False when from the design's own replicate weights.

    Returns
    -------
    str
        An HTML paragraph.
    """
    named = outcome_label(outcome, labels, language)
    method = DRIVER_METHODS.get(result.method, (result.method, result.method))[language == "fr"]
    parts = [_t("outcome", language, outcome=named),
             _t("method", language, method=method, r2=format_number(result.r2, language, 3),
                n=format_number(result.n, language, 0))]
    if result.n_replicates:
        parts.append(_t("ci_bootstrap" if bootstrap else "ci_replicate", language,
                        df=format_number(result.df, language, 0), reps=format_number(result.n_replicates, language, 0)))
    else:
        parts.append(_t("no_ci", language))
    return f"<p>{html.escape(' '.join(parts))}</p>"


def drivers_table(result: DriverResult, labels: Mapping[str, str], quadrants: pd.Series | None, language: str) -> str:
    """The drivers by label: rank, share of explained variance and its CI (%), performance, quadrant.

    Parameters
    ----------
    result : DriverResult
        The analysis.
    labels : mapping of str to str
        Driver labels in ``language``.
    quadrants : pandas.Series or None
        Each driver's quadrant (:func:`citizensfirst.drivers.importance_performance`), or None
        when no quadrant may be drawn (the column is left out).
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The HTML table.
    """
    check_language(language)
    t = result.table.sort_values("rank")
    has_ci = bool(t["share_ci_low"].notna().any())
    has_perf = bool(t["performance"].notna().any())
    head = [_t("driver", language), _t("rank", language), _t("share", language)]
    head += [_t("share_ci", language)] if has_ci else []
    head += [_t("performance", language)] if has_perf else []
    head += [_t("quadrant", language)] if quadrants is not None else []
    quadrant_of = {} if quadrants is None else {str(k): str(v) for k, v in quadrants.items()}
    rows = []
    for driver, r in t.iterrows():
        row = [labels.get(str(driver), str(driver)), str(int(r["rank"])), format_number(r["share"], language, 1)]
        if has_ci:
            row.append(_t("to", language, low=format_number(r["share_ci_low"], language, 1),
                          high=format_number(r["share_ci_high"], language, 1)))
        if has_perf:
            row.append(format_number(r["performance"], language, 1))
        if quadrants is not None:
            row.append(text(_QUADRANT_KEYS[quadrant_of[str(driver)]], language))
        rows.append(row)
    return _table(_t("drivers_title", language), head, rows, "pub drivers")


def drivers_notes(language: str, *, performance: bool, quadrant_refused: bool) -> str:
    """The notes under the drivers table.

    Parameters
    ----------
    language : str
        ``"en"`` or ``"fr"``.
    performance : bool
        Whether the table shows performance.
    quadrant_refused : bool
        Whether the quadrant was refused (the drivers do not share a known scale).

    Returns
    -------
    str
        HTML paragraphs (empty when there is nothing to note).
    """
    notes = [_t("performance_note", language)] if performance else []
    if quadrant_refused:
        notes.append(_t("no_quadrant", language, reason=_t("no_quadrant_reason", language)))
    return "".join(f'<p class="notes">{html.escape(n)}</p>' for n in notes)


def chart_data_table(data: pd.DataFrame, language: str, value_heading: str | None = None) -> str:
    """The data behind a chart as a readable table: translated headings, labels rather than codes,
    numbers formatted for the language, Yes/No (Oui/Non) for true/false.

    Columns that are empty, codes that have a ``<column>_label`` beside them, and text columns
    that only repeat a number as it is written on the chart are left out (the chart's CSV file
    keeps every column). Shares of 0-1 are shown as percentages.

    Parameters
    ----------
    data : pandas.DataFrame
        ``Chart.data``.
    language : str
        ``"en"`` or ``"fr"``.
    value_heading : str, optional
        The heading of a ``value`` column: what the chart's value axis measures (default
        "Value"/"Valeur").

    Returns
    -------
    str
        The HTML table.

    Examples
    --------
    >>> d = pd.DataFrame({"wave": [2020], "estimate": [71.26], "significant_change": [True], "label": ["71,3"]})
    >>> _ = chart_data_table(d, "fr")
    >>> '<th scope="col">Vague</th>' in _ and "<td>71,3</td><td>Oui</td>" in _ and "Libellé" not in _
    True
    """
    check_language(language)
    frame = data.copy()
    drop = [c for c in frame if frame[c].isna().all() or (frame[c].astype(str) == "").all()
            or (f"{c}_label" in frame and c != "value") or c == "value_label"
            or (pd.api.types.is_string_dtype(frame[c]) and frame[c].astype(str).str.match(_FORMATTED_NUMBER).all())]
    frame = frame.drop(columns=drop)
    if "driver" in frame and "label" in frame:  # the driver's label in the place of its name
        frame = frame.drop(columns="label").assign(driver=frame["label"].to_numpy())
    names = {c: DATA_HEADINGS.get(str(c).removesuffix("_label"), (str(c), str(c)))[language == "fr"] for c in frame}
    if value_heading and "value" in frame:
        names["value"] = value_heading
    if "share" in frame and frame["share"].max() > 1:  # already in percent
        names["share"] += " (%)"
    fractions = "share" in frame and frame["share"].max() <= 1
    rows = [[_cell(value, language, percent=fractions and c == "share") for c, value in row.items()]
            for _, row in frame.iterrows()]
    header = "".join(f'<th scope="col">{html.escape(names[c])}</th>' for c in frame)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="pub chart-data"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
