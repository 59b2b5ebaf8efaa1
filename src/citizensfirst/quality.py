"""Quality flags for published estimates, Statistics Canada style.

An estimate based on fewer than ``min_n`` respondents (unweighted) is suppressed (flag ``"x"``);
otherwise its coefficient of variation (se / |estimate|) gives a letter:
A < 5 %, B < 10 %, C < 15 %, D < 25 %, E < 35 % (use with caution), F >= 35 % (too unreliable
to publish). Thresholds are configurable.

>>> rules = QualityRules()
>>> rules.flags([5, 100, 100, 100], [0.01, 0.03, 0.2, 0.5]).tolist()
['x', 'A', 'D', 'F']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUPPRESSED = "x"


@dataclass(frozen=True)
class QualityRules:
    """Minimum unweighted n and the CV band upper limits (fractions) for letters A to E."""

    min_n: int = 10
    cv_bands: tuple[float, ...] = (0.05, 0.10, 0.15, 0.25, 0.35)
    letters: str = "ABCDEF"

    def __post_init__(self) -> None:
        if len(self.letters) != len(self.cv_bands) + 1:
            raise ValueError("letters must have one more entry than cv_bands")
        if list(self.cv_bands) != sorted(self.cv_bands):
            raise ValueError("cv_bands must increase")

    def flags(self, n: np.ndarray | list[float], cv: np.ndarray | list[float]) -> np.ndarray:
        """Flag per estimate: ``"x"`` when suppressed, else the CV letter (F for an undefined CV)."""
        n_arr = np.asarray(n, dtype=float)
        cv_arr = np.abs(np.asarray(cv, dtype=float))
        band = np.searchsorted(np.asarray(self.cv_bands), np.nan_to_num(cv_arr, nan=np.inf), side="right")
        letters = np.array(list(self.letters), dtype=object)[band]
        return np.where(n_arr < self.min_n, SUPPRESSED, letters).astype(object)


DEFAULT_RULES = QualityRules()
