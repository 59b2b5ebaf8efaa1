"""Chart wording in English and French: axis titles named after the statistic charted, and the
opening sentence of each chart's alternative text (what is charted, even without a title).

>>> statistic_label("top2", "en"), statistic_label("mean", "fr")
('% in the top two boxes', 'Score moyen (0-100)')
>>> alt_head("trend", "en", "", statistic_label("mean", "en"), waves="in 2020 and 2023")
'Line chart: Mean score (0-100) in 2020 and 2023.'
"""

from __future__ import annotations

import re

from ..i18n import check_language

__all__ = ["PHRASES", "STATISTICS", "alt_head", "is_share", "phrase", "statistic_label"]

_BOX = re.compile(r"^(top|bottom)(\d+)$")
_COUNT = {"en": {2: "two", 3: "three", 4: "four", 5: "five"},
          "fr": {2: "deux", 3: "trois", 4: "quatre", 5: "cinq"}}

#: Axis titles of the statistics a chart can show (``topK`` / ``bottomK`` are built).
STATISTICS: dict[str, dict[str, str]] = {
    "mean": {"en": "Mean score (0-100)", "fr": "Score moyen (0-100)"},
    "mean_rating": {"en": "Mean rating", "fr": "Cote moyenne"},
    "sqs": {"en": "Service Quality Score (0-100)", "fr": "Score de qualité du service (0-100)"},
    "share": {"en": "Share of respondents (%)", "fr": "Proportion des répondants (%)"},
    "importance": {"en": "Importance (% of explained variance)",
                   "fr": "Importance (% de la variance expliquée)"},
    "importance_raw": {"en": "Importance (raw measure)", "fr": "Importance (mesure brute)"},
    "performance": {"en": "Performance (mean score 0-100)",
                    "fr": "Rendement (score moyen 0-100)"},
    "estimate": {"en": "Estimate", "fr": "Estimation"},
}

_ALT = {
    "trend": {"en": "Line chart: {subject} {waves}.", "fr": "Graphique linéaire\u00a0: {subject} {waves}."},
    "distribution": {"en": "Stacked bar chart: {subject} for {items}.",
                     "fr": "Graphique à barres empilées\u00a0: {subject} pour {items}."},
    "importance": {"en": "Bar chart: {subject} of the drivers of {items}{waves}.",
                   "fr": "Graphique à barres\u00a0: {subject} des facteurs de {items}{waves}."},
    "quadrant": {"en": "Importance-performance chart: {subject} of the drivers of {items}.",
                 "fr": "Graphique importance-rendement\u00a0: {subject} des facteurs de {items}."},
    "channels": {"en": "Grouped bar chart: {subject} ({items}).",
                 "fr": "Graphique à barres groupées\u00a0: {subject} ({items})."},
}

#: Statistic phrases used only inside alt text.
PHRASES: dict[str, dict[str, str]] = {
    "distribution": {"en": "share of respondents dissatisfied, neutral and satisfied",
                     "fr": "proportion des répondants insatisfaits, neutres et satisfaits"},
    "channels": {"en": "share of respondents who used and who prefer each channel",
                 "fr": "proportion des répondants qui ont utilisé et qui préfèrent chaque mode"},
    "quadrant": {"en": "importance (% of explained variance) against performance (mean score "
                       "0-100)",
                 "fr": "importance (% de la variance expliquée) et rendement (score moyen "
                       "0-100)"},
    "waves": {"en": "in {waves}", "fr": "en {waves}"},
}


def statistic_label(statistic: str, language: str = "en") -> str:
    """The axis title of ``statistic`` in ``language``.

    Parameters
    ----------
    statistic : str
        A key of :data:`STATISTICS`, or ``"topK"`` / ``"bottomK"`` (share of respondents in the
        top or bottom K scale points, e.g. ``"top2"``).
    language : str, default "en"
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The axis title.

    Raises
    ------
    ValueError
        If ``statistic`` or ``language`` is unknown.

    Examples
    --------
    >>> statistic_label("bottom1", "fr")
    '% dans la cote inférieure'
    """
    language = check_language(language)
    box = _BOX.match(statistic)
    if box:
        end, k = box.group(1), int(box.group(2))
        if language == "fr":
            side = "supérieure" if end == "top" else "inférieure"
            if k == 1:
                return f"% dans la cote {side}"
            return f"% dans les {_COUNT['fr'].get(k, str(k))} cotes {side}s"
        if k == 1:
            return f"% in the {end} box"
        return f"% in the {end} {_COUNT['en'].get(k, str(k))} boxes"
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}: use one of {', '.join(STATISTICS)}, "
                         "'topK' or 'bottomK'")
    return STATISTICS[statistic][language]


def is_share(statistic: str) -> bool:
    """Whether ``statistic`` is a percentage (ticks and labels written with ``%``).

    Parameters
    ----------
    statistic : str
        As for :func:`statistic_label`.

    Returns
    -------
    bool
        True for shares and importance shares.

    Examples
    --------
    >>> is_share("top2"), is_share("mean")
    (True, False)
    """
    return bool(_BOX.match(statistic)) or statistic in ("share", "importance")


def phrase(key: str, language: str) -> str:
    """A statistic phrase of :data:`PHRASES` used inside alt text.

    Parameters
    ----------
    key : str
        A key of :data:`PHRASES`.
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The phrase.
    """
    return PHRASES[key][check_language(language)]


def alt_head(kind: str, language: str, title: str, subject: str, items: str = "",
             waves: str = "") -> str:
    """The first sentence of a chart's alt text: kind, title, statistic and what is charted.

    Parameters
    ----------
    kind : str
        Chart kind (``"trend"``, ``"distribution"``, ``"importance"``, ``"quadrant"``,
        ``"channels"``).
    language : str
        ``"en"`` or ``"fr"``.
    title : str
        The chart title (may be empty); it leads the subject when given.
    subject : str
        The statistic charted, e.g. ``statistic_label("mean", language)``.
    items : str, default ""
        What the statistic is of: items, channels or the outcome of a driver analysis.
    waves : str, default ""
        The waves, e.g. ``"in 2020 and 2023"`` (a leading space is added where needed).

    Returns
    -------
    str
        The sentence, ending with a full stop.
    """
    language = check_language(language)
    subject = (subject[:1].lower() if title else subject[:1].upper()) + subject[1:]
    lead = f"{title}, {subject}" if title else subject
    if kind == "importance" and waves:
        waves = " " + waves
    return _ALT[kind][language].format(subject=lead, items=items, waves=waves).replace(" .", ".")
