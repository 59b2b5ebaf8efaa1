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
    "mean_of_items": {"en": "Mean of: {items}", "fr": "Moyenne de\u00a0: {items}"},
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
    "source": {"en": "Source", "fr": "Source"},
    "notes": {"en": "Notes", "fr": "Notes"},
    "method": {"en": "Method", "fr": "Méthode"},
    # tables (citizensfirst.tables)
    "table_percent": {"en": "column percentages", "fr": "pourcentages en colonne"},
    "table_mean": {"en": "mean", "fr": "moyenne"},
    "table_top2": {"en": "top-2-box share (%)", "fr": "part des deux cotes supérieures (%)"},
    "table_score": {"en": "score (0-100)", "fr": "score (0-100)"},
    "table_by": {"en": "by", "fr": "selon"},
    "table_and": {"en": "and", "fr": "et"},
    "table_unweighted_base": {"en": "Unweighted base", "fr": "Base non pondérée"},
    "table_weighted_base": {"en": "Weighted base", "fr": "Base pondérée"},
    "table_bases_note": {
        "en": "Bases: respondents with a valid answer in each column (unweighted count).",
        "fr": "Bases : répondants ayant donné une réponse valide dans chaque colonne (nombre non pondéré).",
    },
    "table_letters_note": {
        "en": "Letters: a letter after an estimate (in superscript in HTML and Markdown) means that it is significantly higher than the estimate in the column headed by that letter (design-based t test of each pair of columns within a row, significance level {alpha}, {df} degrees of freedom; {adjust}). Cells shown as x or F are not tested; the Total column is not tested. The quality flags are not column letters: E is attached to its number (12.3E) and F or x replaces it.",
        "fr": "Lettres : une lettre après une estimation (en exposant en HTML et en Markdown) indique qu'elle est significativement supérieure à celle de la colonne portant cette lettre (test t fondé sur le plan pour chaque paire de colonnes d'une ligne, seuil de signification {alpha}, {df} degrés de liberté; {adjust}). Les cellules x ou F ne sont pas testées; la colonne Total n'est pas testée. Les cotes de qualité ne sont pas des lettres de colonne : E est accolé à son nombre (12,3E), F ou x le remplace.",
    },
    "table_adjust_none": {"en": "no adjustment for multiple comparisons",
                          "fr": "sans correction pour comparaisons multiples"},
    "table_adjust_holm": {"en": "Holm adjustment over the pairs of columns of each row",
                          "fr": "correction de Holm sur les paires de colonnes de chaque ligne"},
    "table_adjust_bh": {"en": "Benjamini-Hochberg adjustment over the pairs of columns of each row",
                        "fr": "correction de Benjamini-Hochberg sur les paires de colonnes de chaque ligne"},
    "table_method_taylor": {
        "en": "Design-based estimates; standard errors by Taylor linearisation ({design}).",
        "fr": "Estimations fondées sur le plan de sondage; erreurs types par linéarisation de Taylor ({design}).",
    },
    "table_method_replicate": {
        "en": "Design-based estimates; standard errors from replicate weights ({design}).",
        "fr": "Estimations fondées sur le plan de sondage; erreurs types par poids de rééchantillonnage ({design}).",
    },
    "table_quality_note": {
        "en": "Quality flags from the coefficient of variation (CV) of each estimate; unweighted n below {min_n}: suppressed.",
        "fr": "Cotes de qualité selon le coefficient de variation (CV) de chaque estimation; n non pondéré inférieur à {min_n} : confidentiel.",
    },
    "table_population_base": {"en": "Estimated population", "fr": "Population estimée"},
    "table_population_note": {
        "en": "Estimated population: the sum of the weights of the respondents in each column; the weights are scaled to the population (they sum to {total}).",
        "fr": "Population estimée : somme des poids des répondants de chaque colonne; les poids sont calés sur la population (leur somme est de {total}).",
    },
    "table_sample_scaled_note": {
        "en": "Weighted base: the sum of the weights of the respondents in each column; the weights are not scaled to the population (they sum to {total} for {n} respondents), so weighted bases are not population counts.",
        "fr": "Base pondérée : somme des poids des répondants de chaque colonne; les poids ne sont pas calés sur la population (leur somme est de {total} pour {n} répondants), de sorte que les bases pondérées ne sont pas des effectifs de population.",
    },
    "table_design_strata": {"en": "{n} strata", "fr": "{n} strates"},
    "table_design_unstratified": {"en": "no strata", "fr": "sans strates"},
    "table_design_psus": {"en": "{n} primary sampling units", "fr": "{n} unités primaires d'échantillonnage"},
    "table_design_unclustered": {"en": "no clusters", "fr": "sans grappes"},
    "table_design_calibrated": {"en": "calibrated weights", "fr": "poids calés"},
    "table_design_replicates": {"en": "{n} {method} replicate weights", "fr": "{n} poids de rééchantillonnage ({method})"},
    "table_legend_x": {
        "en": "suppressed for confidentiality (fewer than 10 respondents in the cell, or suppressed so that such a cell cannot be derived from the totals)",
        "fr": "confidentiel (moins de 10 répondants dans la cellule, ou supprimé pour qu'une telle cellule ne puisse être déduite des totaux)",
    },
    "table_legend_E": {"en": "use with caution (CV 25% to 35%)",
                       "fr": "à utiliser avec prudence (CV de 25\u00a0% à 35\u00a0%)"},
    "table_legend_F": {"en": "too unreliable to be published (CV 35% or more)",
                       "fr": "trop peu fiable pour être publié (CV de 35\u00a0% ou plus)"},
    "table_legend_letters": {"en": "significantly higher than the column with that letter",
                             "fr": "significativement supérieure à la colonne portant cette lettre"},
    "table_legend_heading": {"en": "Symbols", "fr": "Signes conventionnels"},
    "table_notes_heading": {"en": "Notes to the tables", "fr": "Notes des tableaux"},
    "table_part": {"en": "{title} (part {part} of {parts})", "fr": "{title} (partie {part} sur {parts})"},
    # charts (citizensfirst.charts); {placeholders} are filled with str.format
    "chart_value_in": {"en": "{value} in {wave}", "fr": "{value} en {wave}"},
    "chart_significant_marker": {"en": "Significant change from previous wave",
                                 "fr": "Variation significative depuis la vague précédente"},
    "chart_significant_changes": {
        "en": "Statistically significant change from the previous wave: {items}.",
        "fr": "Variation statistiquement significative par rapport à la vague précédente\u00a0: {items}.",
    },
    "chart_no_significant_change": {
        "en": "No statistically significant change from one wave to the next.",
        "fr": "Aucune variation statistiquement significative d'une vague à l'autre.",
    },
    "chart_ci_note": {
        "en": "Bands and whiskers show 95% confidence intervals.",
        "fr": "Les bandes et les moustaches indiquent les intervalles de confiance à 95\u00a0%.",
    },
    "chart_distribution_item": {
        "en": "{item}{sep}{satisfied} satisfied, {neutral} neutral and {dissatisfied} dissatisfied",
        "fr": "{item}{sep}{satisfied} satisfaits, {neutral} neutres et {dissatisfied} insatisfaits",
    },
    "chart_distribution_highest": {
        "en": "The highest share satisfied is for {item} ({value}).",
        "fr": "La part de satisfaits la plus élevée est celle de {item} ({value}).",
    },
    "chart_distribution_lowest": {
        "en": "The lowest share satisfied is for {item} ({value}).",
        "fr": "La part de satisfaits la plus faible est celle de {item} ({value}).",
    },
    "chart_importance_top": {
        "en": "{driver} is the most important driver ({value} of the explained variance{ci}){rest}.",
        "fr": "{driver} est le facteur le plus important ({value} de la variance expliquée{ci}){rest}.",
    },
    "chart_importance_top_raw": {
        "en": "{driver} is the most important driver (importance {value}{ci}){rest}.",
        "fr": "{driver} est le facteur le plus important (importance de {value}{ci}){rest}.",
    },
    "chart_ci_range": {"en": ", 95% CI {low} to {high}", "fr": ", IC à 95\u00a0% de {low} à {high}"},
    "chart_followed_by": {"en": ", followed by {items}", "fr": ", suivi de {items}"},
    "chart_r2": {
        "en": "Together the drivers explain {r2} of the variance of the outcome (R², n = {n}).",
        "fr": "Ensemble, les facteurs expliquent {r2} de la variance du résultat (R², n = {n}).",
    },
    "chart_quadrant_point": {
        "en": "{driver} (importance {share}, performance {performance})",
        "fr": "{driver} (importance {share}, rendement {performance})",
    },
    "chart_quadrant_thresholds": {
        "en": "Dashed lines mark the thresholds: importance {share}, performance {performance}.",
        "fr": "Les lignes pointillées marquent les seuils\u00a0: importance {share}, rendement {performance}.",
    },
    "chart_channel_item": {"en": "{channel}{sep}{used} used it, {preferred} prefer it",
                           "fr": "{channel}{sep}{used} l'ont utilisé, {preferred} le préfèrent"},
    "chart_channel_gap_pref": {
        "en": "The largest gap is for {channel}{sep}preference exceeds use by {gap} percentage points.",
        "fr": "L'écart le plus grand concerne {channel}{sep}la préférence dépasse l'utilisation de {gap} points de pourcentage.",
    },
    "chart_channel_gap_use": {
        "en": "The largest gap is for {channel}{sep}use exceeds preference by {gap} percentage points.",
        "fr": "L'écart le plus grand concerne {channel}{sep}l'utilisation dépasse la préférence de {gap} points de pourcentage.",
    },
}


def check_language(language: str) -> str:
    """``language`` if supported ("en" or "fr"), else a ValueError naming the choices.

    Parameters
    ----------
    language : str
        Language code to check.

    Returns
    -------
    str
        ``language``.

    Raises
    ------
    ValueError
        If the language is not supported.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


def colon(language: str = "en") -> str:
    """A colon as the language writes it: ``":"`` in English, a no-break space then ``":"`` in French.

    Parameters
    ----------
    language : str, default "en"
        Language code.

    Returns
    -------
    str
        The colon, with its preceding space where the language has one.

    Examples
    --------
    >>> f"Groupe d'âge{colon('fr')} 18 à 34 ans"
    "Groupe d'âge\xa0: 18 à 34 ans"
    """
    return "\u00a0:" if check_language(language) == "fr" else ":"


def text(key: str, language: str = "en") -> str:
    """The label ``key`` in ``language``; unknown keys are returned as they are.

    Parameters
    ----------
    key : str
        Key in :data:`STRINGS`.
    language : str, default "en"
        Language code.

    Returns
    -------
    str
        The label, or ``key`` when unknown.
    """
    check_language(language)
    entry = STRINGS.get(key)
    return entry[language] if entry else key


def format_number(value: float, language: str = "en", decimals: int = 1) -> str:
    """A number with the language's decimal mark and thousands separator (NaN -> "..").

    Parameters
    ----------
    value : float
        The number; None or NaN gives ``".."``.
    language : str, default "en"
        Language code.
    decimals : int, default 1
        Decimal places.

    Returns
    -------
    str
        The formatted number (``1,234.5`` / ``1 234,5``).
    """
    check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ".."
    formatted = f"{value:,.{decimals}f}"
    if language == "fr":
        formatted = formatted.replace(",", NBSP).replace(".", ",")
    return formatted


def format_percent(share: float, language: str = "en", decimals: int = 1) -> str:
    """A 0-1 share as a percentage: ``72.5%`` or ``72,5 %``.

    Parameters
    ----------
    share : float
        The share, 0 to 1.
    language : str, default "en"
        Language code.
    decimals : int, default 1
        Decimal places of the percentage.

    Returns
    -------
    str
        The formatted percentage.
    """
    number = format_number(share * 100 if share == share else share, language, decimals)
    return f"{number}{NBSP}%" if language == "fr" else f"{number}%"


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def format_scientific(value: float, language: str = "en", digits: int = 1) -> str:
    """A number in scientific notation for readers: ``4.2 × 10⁻¹¹`` (``4,2 × 10⁻¹¹`` in French).

    Numbers from 0.001 to 1,000,000 (and 0) are written plainly with ``digits`` significant
    decimals, like :func:`format_number`; never the ``4.2e-11`` of Python.

    Parameters
    ----------
    value : float
        The number; None or NaN gives ``".."``.
    language : str, default "en"
        Language code.
    digits : int, default 1
        Decimals of the mantissa.

    Returns
    -------
    str
        The formatted number.

    Examples
    --------
    >>> format_scientific(4.2e-11, "fr")
    '4,2\xa0×\xa010⁻¹¹'
    >>> format_scientific(3.18, "en", digits=2)
    '3.18'
    """
    check_language(language)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ".."
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return format_number(value, language, decimals=digits)
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return (f"{format_number(float(mantissa), language, decimals=digits)}{NBSP}×{NBSP}"
            f"10{str(int(exponent)).translate(_SUPERSCRIPT)}")
