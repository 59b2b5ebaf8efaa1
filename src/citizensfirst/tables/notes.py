"""The notes and symbol legend of a publication table, in English or French.

A table's notes say what its bases are, how the standard errors were computed (the design
described in the table's language), what the weighted base row means (an estimated population
when the weights are scaled to the population, else the sum of sample-scaled weights), which
quality flags it uses and how the column letters were tested. Titles and headers drop the coding
hints of codebook labels ("(SGC code)", "(code de la CGT)").

>>> strip_code_hint("Province or territory of residence (SGC code)")
'Province or territory of residence'
>>> strip_code_hint("Age group (years)")
'Age group (years)'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from ..estimation.engine import describe
from ..i18n import format_number, text

if TYPE_CHECKING:
    from ..design.facade import Design
    from ..estimation.quality import QualityRules

LETTERS_SYMBOL = "A"  # the legend's symbol for the column letters (shown as a superscript)

_CODE_HINT = re.compile(r"\s*\((?=[^()]*\bcodes?\b)[^()]*\)\s*$", re.IGNORECASE)


def alpha_text(alpha: float, language: str) -> str:
    """Format a significance level for notes (decimal comma in French).

    Parameters
    ----------
    alpha : float
        The significance level.
    language : str
        Output language code (``"en"`` or ``"fr"``).

    Returns
    -------
    str
        The level as shown, e.g. ``"0.05"`` or ``"0,05"``.
    """
    shown = f"{alpha:g}"
    return shown.replace(".", ",") if language == "fr" else shown


def strip_code_hint(label: str) -> str:
    """A label without a trailing parenthesis about codes (a coding hint, not for readers).

    Parameters
    ----------
    label : str
        A variable label, e.g. ``"Province (SGC code)"``.

    Returns
    -------
    str
        The label without the hint (unchanged when it has none, or is nothing else).
    """
    stripped = _CODE_HINT.sub("", label)
    return stripped or label


def population_scaled(design: Design) -> bool:
    """Whether the weights are scaled to a population: they sum to more than the rows weighted.

    Weights normalised to the sample (each respondent weighs 1 on average) and unweighted
    designs sum to the number of rows; design weights and weights raked or calibrated to
    population counts sum to the population, so their sums over a column estimate its size.

    Parameters
    ----------
    design : Design
        The survey design.

    Returns
    -------
    bool
        True when the weights of all rows sum to more than their number (beyond rounding).
    """
    weights = design.weight_values
    total, rows = float(np.sum(weights)), float(np.count_nonzero(weights))
    return total > rows and not np.isclose(total, rows, rtol=1e-6, atol=0.5)


def legend_line(symbol: str, explanation: str, language: str) -> str:
    """One legend entry as a note line: ``"E: use with caution"`` (``"E : ..."`` in French).

    Parameters
    ----------
    symbol : str
        The symbol explained.
    explanation : str
        What it means.
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        The line.
    """
    return f"{symbol}{' : ' if language == 'fr' else ': '}{explanation}"


def table_notes(design: Design, rules: QualityRules, language: str, *, tested: bool, alpha: float,
                adjust: str, df: float) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The notes and the symbol legend of a table built from ``design``.

    The notes are, in order: the bases, the method (with the design described), the quality
    rules, the weighted bases, the legend lines (x, E, F) and, when columns were tested, the
    letters.

    Parameters
    ----------
    design : Design
        The design the table was estimated from.
    rules : QualityRules
        The quality and suppression rules applied.
    language : str
        ``"en"`` or ``"fr"``.
    tested : bool
        Whether columns were compared (a letters note).
    alpha : float
        Significance level of the tests.
    adjust : str
        Multiple-comparison adjustment of the tests.
    df : float
        Degrees of freedom of the tests.

    Returns
    -------
    tuple of (tuple of str, tuple of (str, str))
        The note lines, and the (symbol, explanation) pairs of the legend: the flags x, E and
        F, then, when columns were tested, :data:`LETTERS_SYMBOL` for the column letters.
    """
    method_key = "table_method_replicate" if design.is_replicate else "table_method_taylor"
    weights = design.weight_values
    total = format_number(float(np.sum(weights)), language, decimals=0)
    respondents = format_number(float(np.count_nonzero(weights)), language, decimals=0)
    weighted = "table_population_note" if population_scaled(design) else "table_sample_scaled_note"
    flags = (
        ("x", text("table_legend_x", language) if rules.min_n == 10 else f"n < {rules.min_n}"),
        ("E", text("table_legend_E", language)),
        ("F", text("table_legend_F", language)),
    )
    notes = [
        text("table_bases_note", language),
        text(method_key, language).format(design=describe(design, language)),
        text("table_quality_note", language).format(min_n=rules.min_n),
        text(weighted, language).format(total=total, n=respondents),
        *(legend_line(symbol, explanation, language) for symbol, explanation in flags),
    ]
    if not tested:
        return tuple(notes), flags
    notes.append(text("table_letters_note", language).format(
        alpha=alpha_text(alpha, language), df=format_number(df, language, decimals=0),
        adjust=text(f"table_adjust_{adjust}", language)))
    return tuple(notes), (*flags, (LETTERS_SYMBOL, text("table_legend_letters", language)))
