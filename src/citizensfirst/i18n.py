"""English and French strings and number formats for tables, charts and reports.

French follows the Government of Canada style: decimal comma, a (non-breaking) space before
``%`` and as the thousands separator — ``72,5 %``, ``1 234``. English: ``72.5%``, ``1,234``.

>>> format_percent(0.725, "fr"), format_percent(0.725, "en")
('72,5\\xa0%', '72.5%')
>>> format_number(1234.5, "fr", decimals=1), format_number(3.5, "en", decimals=1)
('1\\xa0234,5', '3.5')
>>> text("estimate", "fr")
'Estimation'
"""

from __future__ import annotations

import math

LANGUAGES = ("en", "fr")
NBSP = "\u00a0"

STRINGS: dict[str, dict[str, str]] = {
    "estimate": {"en": "Estimate", "fr": "Estimation"},
    "se": {"en": "Standard error", "fr": "Erreur type"},
    "ci": {"en": "95% confidence interval", "fr": "Intervalle de confiance à 95\u00a0%"},
    "ci_low": {"en": "CI lower", "fr": "IC inférieur"},
    "ci_high": {"en": "CI upper", "fr": "IC supérieur"},
    "cv": {"en": "CV", "fr": "CV"},
    "deff": {"en": "Design effect", "fr": "Effet du plan"},
    "n": {"en": "Unweighted n", "fr": "n non pondéré"},
    "weighted_n": {"en": "Weighted base", "fr": "Base pondérée"},
    "flag": {"en": "Quality", "fr": "Qualité"},
    "total": {"en": "Total", "fr": "Total"},
    "wave": {"en": "Wave", "fr": "Vague"},
    "change": {"en": "Change", "fr": "Variation"},
    "significant": {"en": "Statistically significant change", "fr": "Variation statistiquement significative"},
    "not_significant": {"en": "No significant change", "fr": "Aucune variation significative"},
    "importance": {"en": "Importance (share of explained variance)", "fr": "Importance (part de la variance expliquée)"},
    "performance": {"en": "Performance (0-100)", "fr": "Rendement (0-100)"},
    "score": {"en": "Score (0-100)", "fr": "Score (0-100)"},
    "driver": {"en": "Driver", "fr": "Facteur"},
    "improve_first": {"en": "Improve first", "fr": "Améliorer en priorité"},
    "maintain": {"en": "Maintain", "fr": "Maintenir"},
    "lower_priority": {"en": "Lower priority", "fr": "Priorité moindre"},
    "over_investment": {"en": "Possible over-investment", "fr": "Surinvestissement possible"},
    "dissatisfied": {"en": "Dissatisfied", "fr": "Insatisfait"},
    "neutral": {"en": "Neutral", "fr": "Neutre"},
    "satisfied": {"en": "Satisfied", "fr": "Satisfait"},
    "channel_used": {"en": "Channel used", "fr": "Mode utilisé"},
    "channel_preferred": {"en": "Channel preferred", "fr": "Mode préféré"},
    "suppressed": {"en": "x: suppressed (fewer than 10 respondents)",
                   "fr": "x : confidentiel (moins de 10 répondants)"},
    "use_with_caution": {"en": "E: use with caution (CV 25% to 35%)",
                         "fr": "E : à utiliser avec prudence (CV de 25\u00a0% à 35\u00a0%)"},
    "too_unreliable": {"en": "F: too unreliable to be published (CV 35% or more)",
                       "fr": "F : trop peu fiable pour être publié (CV de 35\u00a0% ou plus)"},
    "source": {"en": "Source", "fr": "Source"},
    "notes": {"en": "Notes", "fr": "Notes"},
    "method": {"en": "Method", "fr": "Méthode"},
}


def check_language(language: str) -> str:
    """``language`` if supported ("en" or "fr"), else a ValueError naming the choices."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def text(key: str, language: str = "en") -> str:
    """The label ``key`` in ``language``; unknown keys are returned as they are."""
    check_language(language)
    entry = STRINGS.get(key)
    return entry[language] if entry else key


def format_number(value: float, language: str = "en", decimals: int = 1) -> str:
    """A number with the language's decimal mark and thousands separator (NaN -> "..")."""
    check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ".."
    formatted = f"{value:,.{decimals}f}"
    if language == "fr":
        formatted = formatted.replace(",", NBSP).replace(".", ",")
    return formatted


def format_percent(share: float, language: str = "en", decimals: int = 1) -> str:
    """A 0-1 share as a percentage: ``72.5%`` or ``72,5 %``."""
    number = format_number(share * 100 if share == share else share, language, decimals)
    return f"{number}{NBSP}%" if language == "fr" else f"{number}%"
