"""The WeightingReport: what a weighting step achieved, for the record and for reviewers.

>>> import numpy as np
>>> r = WeightingReport.build("raking", np.ones(4), np.array([1.0, 1.0, 2.0, 2.0]), None, True, 3)
>>> round(r.kish_deff, 4), round(r.effective_n, 2)
(1.1111, 3.6)

Targets that come from a published table travel with their citation: a :class:`CitedMargins`
(margins plus a :class:`TargetSource`) given to ``rake`` puts the source in the report.

>>> src = TargetSource("17-10-0005-01", "Population estimates on July 1, by age and gender", "July 1, 2025")
>>> str(src)
'Statistics Canada. Table 17-10-0005-01 Population estimates on July 1, by age and gender (reference date July 1, 2025).'
>>> r.cited(src).summary()["source"] == str(src)
True
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..design.facade import Design


@dataclass(frozen=True)
class TargetSource:
    """Where a set of targets comes from: table number, title, reference date and notes, in English
    and French (the French fields fall back to the English ones when not given).

    >>> src = TargetSource("17-10-0005-01", "Population estimates", "July 1, 2025",
    ...                    title_fr="Estimations de la population", reference_date_fr="1er juillet 2025")
    >>> src.citation("fr")
    'Statistique Canada. Tableau 17-10-0005-01 Estimations de la population (date de référence 1er juillet 2025).'
    """

    table: str
    title: str
    reference_date: str
    doi: str | None = None
    licence: str | None = None
    note: str = ""
    publisher: str = "Statistics Canada"
    title_fr: str | None = None
    reference_date_fr: str | None = None
    note_fr: str | None = None
    publisher_fr: str | None = None

    def citation(self, language: str = "en") -> str:
        """The citation in ``language`` (``"en"`` or ``"fr"``).

        Parameters
        ----------
        language : str, default "en"
            ``"en"`` or ``"fr"``.

        Returns
        -------
        str
            Publisher, table, title, reference date, DOI and notes, as one sentence each.
        """
        french = language == "fr"
        publisher = (self.publisher_fr or ("Statistique Canada" if self.publisher == "Statistics Canada"
                                           else self.publisher)) if french else self.publisher
        title = (self.title_fr or self.title) if french else self.title
        date = (self.reference_date_fr or self.reference_date) if french else self.reference_date
        note = (self.note_fr or self.note) if french else self.note
        words = ("Tableau", "date de référence") if french else ("Table", "reference date")
        title = f" {title}" if title else ""
        doi = self.doi.replace("-eng", "-fra") if french and self.doi else self.doi
        parts = [f"{publisher}. {words[0]} {self.table}{title} ({words[1]} {date}).",
                 f"DOI {doi}." if doi else "", f"{note.rstrip('.')}." if note else ""]
        return " ".join(p for p in parts if p)

    def short(self, language: str = "en") -> str:
        """Publisher, table and reference date only (the full :meth:`citation` is given once elsewhere).

        Parameters
        ----------
        language : str, default "en"
            ``"en"`` or ``"fr"``.

        Returns
        -------
        str
            E.g. ``"Statistics Canada, Table 17-10-0005-01 (July 1, 2025)"``.
        """
        french = language == "fr"
        publisher = (self.publisher_fr or ("Statistique Canada" if self.publisher == "Statistics Canada"
                                           else self.publisher)) if french else self.publisher
        date = (self.reference_date_fr or self.reference_date) if french else self.reference_date
        return f"{publisher}, {'tableau' if french else 'Table'} {self.table} ({date})"

    def __str__(self) -> str:
        return self.citation("en")

    def with_notes(self, notes: Sequence[tuple[str, str]]) -> TargetSource:
        """This source with ``(English, French)`` notes added to its own.

        Parameters
        ----------
        notes : sequence of (str, str)
            Notes in English and French.

        Returns
        -------
        TargetSource
            A new source; this one is unchanged.
        """
        english = "; ".join(filter(None, (self.note, *(en for en, _ in notes))))
        french = "; ".join(filter(None, (self.note_fr or self.note, *(fr for _, fr in notes))))
        return replace(self, note=english, note_fr=french or None)


class CitedMargins(dict[str, dict[Any, float]]):
    """Raking margins ``{column: {level: target}}`` that carry their :class:`TargetSource`.

    Parameters
    ----------
    margins : mapping
        The margins.
    source : TargetSource
        Their source.
    """

    def __init__(self, margins: Mapping[str, Mapping[Any, float]], source: TargetSource) -> None:
        super().__init__({k: dict(v) for k, v in margins.items()})
        self.source = source


def cite_targets(design: Design, margins: object) -> Design:
    """``design`` whose report cites the source of ``margins`` (unchanged if they carry none).

    Parameters
    ----------
    design : Design
        A design just weighted to ``margins``.
    margins : object
        The margins given to the weighting step (a :class:`CitedMargins` carries its source).

    Returns
    -------
    Design
        The design, its report citing the targets.
    """
    if not isinstance(margins, CitedMargins) or design.report is None:
        return design
    return design.evolve(report=design.report.cited(margins.source))


def margin_table(names: list[str], coded: list[tuple[np.ndarray, list[Any]]], targets: list[np.ndarray],
                 weights: np.ndarray, counts: np.ndarray | None = None) -> pd.DataFrame:
    """Per margin level: target, achieved weighted total, their shares and the sample share.

    Parameters
    ----------
    names : list of str
        The margin variables.
    coded : list of tuple of (numpy.ndarray, list)
        Per margin, each respondent's level code and the level keys.
    targets : list of numpy.ndarray
        Per margin, the target total of each level.
    weights : numpy.ndarray
        The final weights.
    counts : numpy.ndarray or None, optional
        Respondents per unit when the units are the rows of a cell table (None: rows).

    Returns
    -------
    pandas.DataFrame
        One row per margin level: ``margin``, ``level``, ``target``, ``achieved``,
        ``target_share``, ``achieved_share`` and ``sample_share``.
    """
    rows = []
    total = float(weights.sum())
    for name, (codes, keys), target in zip(names, coded, targets, strict=True):
        achieved = np.bincount(codes, weights=weights, minlength=len(keys))
        sample = np.bincount(codes, weights=counts, minlength=len(keys))
        sample = sample / sample.sum()
        for key, t, a, s in zip(keys, target, achieved, sample, strict=True):
            rows.append({"margin": name, "level": key, "target": t, "achieved": a,
                         "target_share": t / target.sum(), "achieved_share": a / total, "sample_share": s})
    return pd.DataFrame(rows)


def relative_errors(achieved: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``|achieved - target| / |target|`` per margin level (the absolute miss where a target is 0).

    Parameters
    ----------
    achieved : numpy.ndarray
        Achieved weighted totals.
    target : numpy.ndarray
        Target totals.

    Returns
    -------
    numpy.ndarray
        The relative error of each level.

    Examples
    --------
    >>> relative_errors(np.array([99.0, 0.0]), np.array([100.0, 0.0])).tolist()
    [0.01, 0.0]
    """
    achieved, target = np.asarray(achieved, dtype=float), np.asarray(target, dtype=float)
    return np.abs(achieved - target) / np.where(target != 0, np.abs(target), 1.0)


@dataclass(frozen=True)
class WeightingReport:
    """Achieved versus target margins and weight diagnostics of one weighting step."""

    method: str
    margins: pd.DataFrame | None
    converged: bool
    iterations: int
    n: int
    weight_min: float
    weight_max: float
    weight_mean: float
    ratio_min: float
    ratio_max: float
    kish_deff: float
    effective_n: float
    trimmed: int = 0
    source: TargetSource | None = None

    def cited(self, source: TargetSource | None) -> WeightingReport:
        """This report, citing the source of its targets.

        Parameters
        ----------
        source : TargetSource or None
            The source of the targets.

        Returns
        -------
        WeightingReport
            A copy with ``source`` set.
        """
        return replace(self, source=source)

    @property
    def efficiency(self) -> float:
        """Effective sample size as a share of n (1 / Kish deff).

        Returns
        -------
        float
            The efficiency.
        """
        return 1.0 / self.kish_deff

    @property
    def max_relative_error(self) -> float:
        """Largest :func:`relative_errors` over all margin levels (0 without margins).

        Returns
        -------
        float
            The largest relative error.
        """
        if self.margins is None or self.margins.empty:
            return 0.0
        m = self.margins
        return float(relative_errors(m["achieved"].to_numpy(), m["target"].to_numpy()).max())

    @classmethod
    def build(cls, method: str, base: np.ndarray, final: np.ndarray, margins: pd.DataFrame | None,
              converged: bool, iterations: int, trimmed: int = 0) -> WeightingReport:
        """Compute the weight diagnostics of a weighting step.

        Parameters
        ----------
        method : str
            Name of the weighting method.
        base : numpy.ndarray
            The weights before the step.
        final : numpy.ndarray
            The weights after the step.
        margins : pandas.DataFrame or None
            The :func:`margin_table`, or None for a step without margins.
        converged : bool
            Whether the step converged.
        iterations : int
            Number of iterations used.
        trimmed : int, default 0
            Number of weights trimmed.

        Returns
        -------
        WeightingReport
            The report.
        """
        positive = base > 0
        ratio = final[positive] / base[positive]
        return cls.from_sums(method, margins, converged, iterations, len(final), float(final.min()),
                             float(final.max()), float(np.sum(final)), float(np.sum(final**2)),
                             float(ratio.min()), float(ratio.max()), trimmed)

    @classmethod
    def from_sums(cls, method: str, margins: pd.DataFrame | None, converged: bool, iterations: int, n: int,
                  weight_min: float, weight_max: float, weight_sum: float, weight_squares: float,
                  ratio_min: float, ratio_max: float, trimmed: int = 0) -> WeightingReport:
        """The report from the weights' summaries (a lazy design gets them by one query).

        Parameters
        ----------
        method : str
            Name of the weighting method.
        margins : pandas.DataFrame or None
            The :func:`margin_table`, or None.
        converged : bool
            Whether the step converged.
        iterations : int
            Number of iterations used.
        n : int
            Number of weights.
        weight_min, weight_max : float
            Smallest and largest final weight.
        weight_sum, weight_squares : float
            Sums of the final weights and of their squares.
        ratio_min, ratio_max : float
            Smallest and largest final / base weight (rows with a positive base weight).
        trimmed : int, default 0
            Number of weights trimmed.

        Returns
        -------
        WeightingReport
            The report.
        """
        deff = n * weight_squares / weight_sum**2
        return cls(method, margins, converged, iterations, n, weight_min, weight_max, weight_sum / n,
                   ratio_min, ratio_max, deff, n / deff, trimmed)

    def summary(self) -> pd.Series:
        """The scalar diagnostics as a Series.

        Returns
        -------
        pandas.Series
            Method, convergence, weight range, Kish deff, effective n and the largest error
            (and ``source``, the citation of the targets, when they have one).
        """
        cited = {} if self.source is None else {"source": str(self.source)}
        return pd.Series({
            "method": self.method, "converged": self.converged, "iterations": self.iterations,
            "n": self.n, "weight_min": self.weight_min, "weight_max": self.weight_max,
            "weight_mean": self.weight_mean, "ratio_min": self.ratio_min, "ratio_max": self.ratio_max,
            "kish_deff": self.kish_deff, "effective_n": self.effective_n,
            "efficiency": self.efficiency, "trimmed": self.trimmed,
            "max_relative_error": self.max_relative_error,
        } | cited)

    def to_frame(self) -> pd.DataFrame:
        """The margin table (target, achieved, shares) or, without margins, the summary.

        Returns
        -------
        pandas.DataFrame
            A copy of the margin table, or the summary as a one-column frame.
        """
        if self.margins is None:
            return self.summary().to_frame("value")
        return self.margins.copy()

    def __repr__(self) -> str:
        head = (f"WeightingReport({self.method}: converged={self.converged} in {self.iterations} "
                f"iterations, max relative error {self.max_relative_error:.2e}, Kish deff "
                f"{self.kish_deff:.3f}, effective n {self.effective_n:.1f})")
        if self.source is not None:
            head += f"\ntargets: {self.source}"
        return head if self.margins is None else head + "\n" + self.margins.to_string(index=False)

    def _repr_html_(self) -> str:
        summary = self.summary().to_frame("value").to_html(border=0)
        margins = "" if self.margins is None else self.margins.to_html(index=False, border=0,
                                                                       float_format=lambda v: f"{v:.6g}")
        cited = "" if self.source is None else f"<p>Targets: {html.escape(str(self.source))}</p>"
        return f"<div><p><b>{html.escape(self.method)}</b></p>{cited}{summary}{margins}</div>"
