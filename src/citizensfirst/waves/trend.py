"""A trend: one statistic of a harmonised variable across waves, with the changes between waves.

:class:`Trend` is what :meth:`citizensfirst.Study.trend` returns: the per-wave estimates, the change
of each compared pair of waves with its t test, and a concise display in the estimates' language
(``in_language("fr")``: French headings, decimal commas, "IC à 95 %").
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from ..display import rows_html
from ..errors import DataError
from ..estimation.labels import ResultLabels, check_lang
from ..estimation.result import Estimate
from ..i18n import format_number
from .rules import Wave


@dataclass(frozen=True)
class Trend:
    """Per-wave estimates of one statistic and the changes between waves, with their tests.

    ``estimates``: one row per wave (and domain): wave, by..., estimate, se, ci_low, ci_high,
    n, df, flag. ``changes``: one row per compared pair (and domain): from_wave, to_wave, by...,
    estimate_from, estimate_to, change (to - from), se = sqrt(se_from^2 + se_to^2) (independent
    samples), ci_low, ci_high, t, df (the smaller of the two waves' design df unless given),
    p_value (two-sided) and significant (p < 1 - level).
    """

    variable: str
    statistic: str
    estimates: pd.DataFrame
    changes: pd.DataFrame
    by: tuple[str, ...] = ()
    level: float = 0.95
    notes: tuple[str, ...] = ()
    #: the per-wave :class:`Estimate` objects behind ``estimates`` (wave -> Estimate)
    wave_estimates: Mapping[Wave, Estimate] = field(default_factory=dict, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """The changes table (a copy): each pair's two estimates, the change and its test.

        Returns
        -------
        pandas.DataFrame
            A copy of ``changes``.
        """
        return self.changes.copy()

    @property
    def estimate(self) -> pd.Series:
        """The per-wave estimates, indexed by wave (and the by-columns).

        Returns
        -------
        pandas.Series
            The estimates.
        """
        return self.estimates.set_index(["wave", *self.by])["estimate"]

    @property
    def se(self) -> pd.Series:
        """The per-wave standard errors, indexed as :attr:`estimate`.

        Returns
        -------
        pandas.Series
            The standard errors.
        """
        return self.estimates.set_index(["wave", *self.by])["se"]

    def conf_int(self, level: float | None = None, method: str | None = None) -> pd.DataFrame:
        """Per-wave confidence limits (``ci_low``, ``ci_high``; index wave and row label), from
        each wave's :meth:`Estimate.conf_int` (default: this trend's level and each estimate's method).

        Parameters
        ----------
        level : float or None, optional
            Confidence level; None uses this trend's level.
        method : str or None, optional
            Interval method; None uses each estimate's own.

        Returns
        -------
        pandas.DataFrame
            ``ci_low`` and ``ci_high`` indexed by wave and row label.

        Raises
        ------
        DataError
            When the trend keeps no per-wave estimates.
        """
        if not self.wave_estimates:
            raise DataError("this Trend keeps no per-wave estimates; build it with Study.trend")
        level = self.level if level is None else level
        parts = {wave: est.conf_int(level, method) for wave, est in self.wave_estimates.items()}
        return pd.concat(parts, names=["wave", "label"])

    def significant_changes(self) -> pd.DataFrame:
        """Only the rows of ``changes`` whose test is significant at ``level``.

        Returns
        -------
        pandas.DataFrame
            The significant rows of ``changes``.
        """
        return self.changes[self.changes["significant"]].reset_index(drop=True)

    def in_language(self, lang: str) -> Trend:
        """The same trend displayed (repr, HTML) in ``lang``; the numbers are the same.

        Parameters
        ----------
        lang : {"en", "fr"}
            The language.

        Returns
        -------
        Trend
            A copy whose per-wave estimates are displayed in ``lang``.
        """
        lang = check_lang(lang)
        return replace(self, wave_estimates={w: e.in_language(lang) for w, e in self.wave_estimates.items()})

    @property
    def language(self) -> str:
        """The display language (that of the per-wave estimates; English without them).

        Returns
        -------
        str
            ``"en"`` or ``"fr"``.
        """
        latest = list(self.wave_estimates.values())[-1] if self.wave_estimates else None
        return latest.language if latest is not None else "en"

    def _shown(self) -> tuple[str, list[str], list[list[Any]], list[str], list[list[Any]]]:
        """Title, then header and formatted rows of the estimates and of the changes (labels shown)."""
        latest = list(self.wave_estimates.values())[-1] if self.wave_estimates else None
        labels = latest.value_labels if latest is not None else ResultLabels()
        language = self.language
        words = DISPLAY_WORDS[language]
        pct = format_number(self.level * 100, language, 0)
        title = (latest.title() if latest is not None else f"{self.statistic} {self.variable}") + (
            f" ({words['ci_level'].format(pct=pct)})")

        def domains(frame: pd.DataFrame) -> list[list[Any]]:
            shown = [labels.label_values(b, frame[b], language).tolist() for b in self.by]
            return [list(row) for row in zip(*shown, strict=True)] if shown else [[] for _ in range(len(frame))]

        e = self.estimates
        places = _decimals(e["estimate"])

        def num(value: float, sign: bool = False) -> str:
            text = format_number(value, language, places)
            return f"+{text}" if sign and value > 0 else text

        head = [words["wave"], *self.by, words["estimate"], words["ci"], "n", words["flag"]]
        rows = [[wave, *dom, num(est), words["to"].format(low=num(low), high=num(high)), int(n), flag]
                for wave, dom, est, low, high, n, flag in zip(
                    e["wave"], domains(e), e["estimate"], e["ci_low"], e["ci_high"], e["n"], e["flag"], strict=True)]
        c = self.changes
        change_head = [words["waves"], *self.by, words["change"], words["ci"], "p", words["significant"]]
        changes = [[f"{a} → {b}", *dom, num(d, sign=True), words["to"].format(low=num(low, True), high=num(high, True)),
                    _p_value(p, language), "*" if sig else ""]
                   for a, b, dom, d, low, high, p, sig in zip(
                       c["from_wave"], c["to_wave"], domains(c), c["change"], c["ci_low"], c["ci_high"],
                       c["p_value"], c["significant"], strict=True)]
        return title, head, rows, change_head, changes

    def __repr__(self) -> str:
        title, head, rows, change_head, changes = self._shown()
        words = DISPLAY_WORDS[self.language]
        significant = int(self.changes["significant"].sum()) if len(self.changes) else 0
        lines = [f"<Trend of {self.variable}: {title}>", "  " + " | ".join(head)]
        lines += ["  " + " | ".join(str(v) for v in row) for row in rows[:20]]
        lines.append("  " + words["summary"].format(n=len(changes), k=significant,
                                                    alpha=format_number(100 - self.level * 100, self.language, 0)))
        lines += ["  " + " | ".join(str(v) for v in row) for row in changes[:20] if row[-1]]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    def _repr_html_(self) -> str:
        title, head, rows, change_head, changes = self._shown()
        words = DISPLAY_WORDS[self.language]
        alpha = format_number(100 - self.level * 100, self.language, 0)
        parts = [rows_html(title, head, rows)]
        parts.append(rows_html(words["changes"], change_head, changes) if changes
                     else f"<p>{words['no_pairs']}</p>")
        notes = [words["legend"].format(alpha=alpha), *self.notes]
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        return f"<div>{''.join(parts)}<ul>{items}</ul></div>"


DISPLAY_WORDS: dict[str, dict[str, str]] = {
    "en": {"ci_level": "{pct}% CI", "wave": "wave", "estimate": "estimate", "ci": "CI", "flag": "flag",
           "to": "{low} to {high}", "waves": "waves", "change": "change", "significant": "significant",
           "changes": "Changes between waves", "no_pairs": "(no pair of waves to compare)",
           "summary": "changes: {n} compared, {k} significant at the {alpha}% level",
           "legend": "* significant at the {alpha}% level (two-sided t test, independent waves)"},
    "fr": {"ci_level": "IC à {pct}\u00a0%", "wave": "vague", "estimate": "estimation", "ci": "IC",
           "flag": "cote", "to": "{low} à {high}", "waves": "vagues", "change": "variation",
           "significant": "significative", "changes": "Variations entre les vagues",
           "no_pairs": "(aucune paire de vagues à comparer)",
           "summary": "variations : {n} comparées, {k} significatives au seuil de {alpha}\u00a0%",
           "legend": "* significative au seuil de {alpha}\u00a0% (test t bilatéral, vagues indépendantes)"},
}
"""The words of a Trend's display, by language."""


def _decimals(values: pd.Series) -> int:
    """Decimals that show a trend's estimates alike: 3 for shares (below 1), 2 up to 100, else 1."""
    largest = float(values.abs().max()) if len(values) else 0.0
    return 3 if largest < 1 else 2 if largest < 100 else 1


def _p_value(p: float, language: str) -> str:
    """A p-value with three decimals, or "<0.001" (never scientific notation)."""
    return ("<" + format_number(0.001, language, 3)) if p < 0.001 else format_number(p, language, 3)
