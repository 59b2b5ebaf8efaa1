"""Quality flags and disclosure control for published estimates, Statistics Canada style.

Quality. An estimate's coefficient of variation (``se / |estimate|``) gives a letter:
A < 5 %, B < 10 %, C < 15 %, D < 25 %, E < 35 % (use with caution), F >= 35 % (too unreliable
to publish). Thresholds are configurable.

Disclosure control, the one rule every table follows:

* **Primary suppression.** A cell to which fewer than ``min_n`` respondents contribute
  (unweighted; default 10) is suppressed, flag ``"x"``. "Contribute" means the respondents in the
  cell itself: for a percentage, those in the row level *and* the column category (the numerator,
  not the column base); for a mean, top-2 share or score, those with a valid value in the cell.
* **Complementary suppression.** Published values obey linear relations (the column percentages
  of a column add up to 100; a Total is the weighted average of its categories, whose weighted
  bases are published). :func:`complementary_suppression` suppresses further cells, also flagged
  ``"x"``, until no primary cell can be derived exactly from the published values: no relation
  holds exactly one unpublished cell when one of its cells is suppressed, and solving all the
  relations together leaves every primary cell undetermined. Each complement is the published
  cell with the fewest respondents (ties: the first in table order).
* Cells flagged F are not published either, and count as unpublished in the relations.

>>> rules = QualityRules()
>>> rules.flags([5, 100, 100, 100], [0.01, 0.03, 0.2, 0.5]).tolist()
['x', 'A', 'D', 'F']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SUPPRESSED = "x"
PRIMARY = "primary"
"""``suppression`` marker of a cell with fewer than ``min_n`` respondents."""
COMPLEMENTARY = "complementary"
"""``suppression`` marker of a cell suppressed so that a primary cell cannot be derived."""

_DETERMINED_TOL = 1e-9


@dataclass(frozen=True)
class QualityRules:
    """Minimum unweighted n per cell and the CV band upper limits (fractions) for letters A to E."""

    min_n: int = 10
    cv_bands: tuple[float, ...] = (0.05, 0.10, 0.15, 0.25, 0.35)
    letters: str = "ABCDEF"

    def __post_init__(self) -> None:
        if len(self.letters) != len(self.cv_bands) + 1:
            raise ValueError("letters must have one more entry than cv_bands")
        if list(self.cv_bands) != sorted(self.cv_bands):
            raise ValueError("cv_bands must increase")

    def flags(self, n: np.ndarray | list[float], cv: np.ndarray | list[float]) -> np.ndarray:
        """Flag per estimate: ``"x"`` when fewer than ``min_n`` respondents contribute to it (primary
        suppression), else the CV letter (F for an undefined CV).

        Parameters
        ----------
        n : array_like
            Unweighted number of respondents per estimate.
        cv : array_like
            Coefficient of variation per estimate (NaN when undefined).

        Returns
        -------
        numpy.ndarray
            Object array of flags: ``"x"`` or a letter of ``letters``.
        """
        n_arr = np.asarray(n, dtype=float)
        cv_arr = np.abs(np.asarray(cv, dtype=float))
        band = np.searchsorted(np.asarray(self.cv_bands), np.nan_to_num(cv_arr, nan=np.inf), side="right")
        letters = np.array(list(self.letters), dtype=object)[band]
        return np.where(n_arr < self.min_n, SUPPRESSED, letters).astype(object)


DEFAULT_RULES = QualityRules()


def derivable(relations: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Which hidden values the published ones determine exactly through linear relations.

    Parameters
    ----------
    relations : numpy.ndarray
        ``(k, N)`` coefficients: row ``i`` says ``sum_j relations[i, j] * value[j]`` is known
        (a published total, 100 %, or 0 for a weighted average).
    hidden : numpy.ndarray
        ``(N,)`` booleans, True for the values that are not published.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` booleans, True for a hidden value that has one solution only: it lies in no
        null vector of the relations restricted to the hidden values.

    Examples
    --------
    Three cells adding to a known total: one hidden cell is determined, two are not.

    >>> derivable(np.ones((1, 3)), np.array([True, False, False])).tolist()
    [True, False, False]
    >>> derivable(np.ones((1, 3)), np.array([True, True, False])).tolist()
    [False, False, False]
    """
    hidden = np.asarray(hidden, dtype=bool)
    out = np.zeros(hidden.shape, dtype=bool)
    where = np.flatnonzero(hidden)
    if where.size == 0:
        return out
    coef = np.asarray(relations, dtype=float)
    scale = np.abs(coef).max(axis=1, keepdims=True)
    sub = (coef / np.where(scale > 0, scale, 1.0))[:, where]
    sub = sub[np.abs(sub).max(axis=1) > 0]
    if sub.shape[0] == 0:
        return out
    # scipy.linalg imported here: only disclosure checks need it, and a Design should start light
    from scipy.linalg import null_space

    free = null_space(sub)
    out[where] = np.abs(free).max(axis=1, initial=0.0) <= _DETERMINED_TOL
    return out


def complementary_suppression(primary: np.ndarray, hidden: np.ndarray, systems: Sequence[np.ndarray],
                              n: np.ndarray) -> np.ndarray:
    """Cells to suppress as well, so that no primary cell can be derived from the published ones.

    Parameters
    ----------
    primary : numpy.ndarray
        ``(N,)`` booleans: cells with fewer than ``min_n`` respondents.
    hidden : numpy.ndarray
        ``(N,)`` booleans: cells not published for another reason (F, undefined estimate).
    systems : sequence of numpy.ndarray
        One ``(k, N)`` coefficient array per kind of published value that obeys linear relations
        (estimates; respondent counts), as for :func:`derivable`.
    n : numpy.ndarray
        ``(N,)`` respondents per cell: complements are chosen with the smallest ``n`` first, ties
        by position, so the result is deterministic.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` booleans, True for the complementary cells. Two rules are applied until stable:
        a relation holding a suppressed cell never has exactly one unpublished cell, and no
        primary cell is determined by all the relations together (:func:`derivable`).

    Examples
    --------
    A column of four percentages adding to 100, one cell with 3 respondents: the cell with the
    fewest respondents among the others is suppressed with it.

    >>> complementary_suppression(np.array([True, False, False, False]), np.zeros(4, bool),
    ...                           [np.ones((1, 4))], np.array([3, 40, 12, 25])).tolist()
    [False, False, True, False]
    """
    primary = np.asarray(primary, dtype=bool)
    members = np.vstack([np.asarray(s) != 0 for s in systems])
    preference = np.empty(primary.size, dtype=np.int64)
    preference[np.lexsort((np.arange(primary.size), np.asarray(n, dtype=float)))] = np.arange(primary.size)
    complement = np.zeros_like(primary)
    while True:
        suppressed = primary | complement
        unpublished = suppressed | np.asarray(hidden, dtype=bool)
        open_cells = members & ~unpublished
        lonely = (members[:, suppressed].any(axis=1) & ((members & unpublished).sum(axis=1) == 1)
                  & open_cells.any(axis=1))
        if lonely.any():
            candidates = open_cells[np.argmax(lonely)]
        else:
            determined = np.logical_or.reduce([derivable(s, unpublished) for s in systems]) & primary
            reachable = [open_cells[members[:, cell]].any(axis=0) for cell in np.flatnonzero(determined)]
            reachable = [c for c in reachable if c.any()]
            if not reachable:
                return complement
            candidates = reachable[0]
        choice = np.flatnonzero(candidates)
        complement[choice[np.argmin(preference[choice])]] = True


UNPUBLISHED_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "deff", "cv", "n")
"""Columns of an estimate table that carry no value in a row that is not published."""


def suppress_shares(groups: np.ndarray, counts: np.ndarray, flags: np.ndarray,
                    rules: QualityRules = DEFAULT_RULES) -> np.ndarray:
    """Rows of a table of shares that must not be published (primary, F and complementary).

    The shares of the levels of one variable in one domain add up to 1, so they obey the same
    kind of relation as a column of a percentage table and follow the same rule: a level chosen
    by fewer than ``rules.min_n`` respondents is suppressed, F-flagged shares are not published,
    and :func:`complementary_suppression` hides further levels until no suppressed share can be
    derived from the others.

    Parameters
    ----------
    groups : numpy.ndarray
        ``(N,)`` key of the relation each row belongs to (e.g. the variable, or variable x domain).
    counts : numpy.ndarray
        ``(N,)`` respondents who chose the level (the numerator), not the domain base.
    flags : numpy.ndarray
        ``(N,)`` quality flags of the shares (:meth:`QualityRules.flags`).
    rules : QualityRules
        The threshold ``min_n``.

    Returns
    -------
    numpy.ndarray
        ``(N,)`` booleans, True for every row not to publish.

    Examples
    --------
    Four channels, one chosen by 3 respondents: it is hidden, and so is the next smallest.

    >>> suppress_shares(np.array(["ch"] * 4), np.array([3, 400, 120, 250]),
    ...                 np.array(["A", "A", "B", "A"], dtype=object)).tolist()
    [True, False, True, False]
    """
    counts = np.asarray(counts, dtype=float)
    primary = counts < rules.min_n
    hidden = np.isin(np.asarray(flags, dtype=object), [SUPPRESSED, "F"]) & ~primary
    _, inverse = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    relations = np.zeros((int(inverse.max(initial=-1)) + 1, counts.size))
    relations[inverse, np.arange(counts.size)] = 1.0
    complement = complementary_suppression(primary, hidden, [relations], counts)
    return primary | hidden | complement
