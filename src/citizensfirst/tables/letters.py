"""Column-test letters: pairwise t tests between a table's columns, p-value adjustment, letters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..estimation.intervals import ADJUSTMENTS, adjust_pvalues, difference_test
from ..estimation.quality import SUPPRESSED

if TYPE_CHECKING:
    from .cells import Block


__all__ = ["ADJUSTMENTS", "NOT_TESTED", "TEST_COLUMNS", "adjust_pvalues", "letters_for", "pairwise_t", "relations"]


NOT_TESTED = (SUPPRESSED, "F")


TEST_COLUMNS = [
    "row_level", "column_variable", "level_a", "level_b", "letter_a", "letter_b", "difference",
    "se", "t", "df", "p", "p_adjusted", "significant",
]


def pairwise_t(estimates: np.ndarray, vcov: np.ndarray,
               df: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Design-based t tests of every pair of estimates: (difference, t, se of the difference, p).

    Square (k, k) matrices of :func:`~citizensfirst.estimation.intervals.difference_test` (the
    test of every comparison): ``t[i, j] = (e_i - e_j) / sqrt(v_i + v_j - 2 cov_ij)`` with a
    two-sided p on ``df`` degrees of freedom; a missing covariance (NaN) counts as 0. A pair
    whose difference has zero variance (se at most ``1e-12 * max(|e_i|, |e_j|, 1)``) is not
    tested: its se is 0, t NaN and p 1, so it is never significant.

    Parameters
    ----------
    estimates : numpy.ndarray
        The k estimates.
    vcov : numpy.ndarray
        Their (k, k) covariance matrix.
    df : float
        Degrees of freedom of the t tests.

    Returns
    -------
    tuple of numpy.ndarray
        Four (k, k) matrices: difference, t, se of the difference and two-sided p.

    Examples
    --------
    >>> d, t, se, p = pairwise_t(np.array([0.5, 0.3]), np.array([[0.01, 0.002], [0.002, 0.02]]), 100)
    >>> round(float(d[0, 1]), 4), round(float(t[0, 1]), 4), round(float(se[0, 1]), 4), round(float(p[0, 1]), 4)
    (0.2, 1.2403, 0.1612, 0.2177)

    Two constant columns: the tiny variance left by floating point makes no test.

    >>> d, t, se, p = pairwise_t(np.array([75.0, 75.0 - 1.4e-14]), np.full((2, 2), 1e-30), 100)
    >>> float(d[0, 1]), float(p[0, 1])
    (0.0, 1.0)
    """
    est = np.asarray(estimates, dtype=float)
    cov = np.asarray(vcov, dtype=float)
    var = np.diag(cov)
    off = np.where(np.isnan(cov), 0.0, cov)
    magnitude = np.maximum(np.abs(est)[:, None], np.abs(est)[None, :])
    diff, se, t, p = difference_test(est[:, None] - est[None, :], var[:, None] + var[None, :] - 2 * off,
                                     df, magnitude)
    return diff, t, se, p


def relations(mode: str, widths: list[int], wsum: np.ndarray) -> list[np.ndarray]:
    """The linear relations published cells obey: (estimates, respondent counts) coefficients.

    One row per relation, one column per cell (row-major, as in ``cells``). In every row the
    Total (first column) is the weighted average of the categories of each column variable; in
    a percent table the cells of a column add up to 100 %; in a table of groups with a Total row,
    that row is the weighted average of the group rows. Counts add up the same way.

    Parameters
    ----------
    mode : str
        The table kind: ``"levels"`` (percent table), ``"groups"`` (group rows with a Total
        row) or another value (no row relations).
    widths : list of int
        Number of columns of each block, the Total first.
    wsum : numpy.ndarray
        (rows, columns) sums of weights of the cells.

    Returns
    -------
    list of numpy.ndarray
        Two matrices, one row per relation: the coefficients on the estimates and on the
        respondent counts.
    """
    n_rows, n_cols = wsum.shape
    estimates: list[np.ndarray] = []
    counts: list[np.ndarray] = []

    def add(cells: np.ndarray, weights: np.ndarray, total: int | None) -> None:
        """Append one relation: the weighted ``cells`` minus the ``total`` cell.

        Parameters
        ----------
        cells : numpy.ndarray
            Flat indices of the cells added up.
        weights : numpy.ndarray
            Their coefficients.
        total : int or None
            Flat index of the cell they add up to, or None for a relation with no total.
        """
        est, cnt = np.zeros(n_rows * n_cols), np.zeros(n_rows * n_cols)
        est[cells], cnt[cells] = weights, 1.0
        if total is not None:
            est[total], cnt[total] = -weights.sum(), -1.0
        estimates.append(est)
        counts.append(cnt)

    bounds = np.cumsum(widths)
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        for r in range(n_rows):
            add(r * n_cols + np.arange(start, stop), wsum[r, start:stop], r * n_cols)
    if mode == "levels":
        for c in range(n_cols):
            add(np.arange(n_rows) * n_cols + c, np.ones(n_rows), None)
    elif mode == "groups":
        groups = np.arange(n_rows - 1)
        for c in range(n_cols):
            add(groups * n_cols + c, wsum[groups, c], (n_rows - 1) * n_cols + c)
    empty = np.zeros((0, n_rows * n_cols))
    return [np.array(estimates) if estimates else empty, np.array(counts) if counts else empty]


def letters_for(block: Block, flags: np.ndarray, letters: list[str], df: float, alpha: float, adjust: str,
                 row_keys: list[Any]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Significance letters of every cell of a block and the pairwise tests between its
    published cells.

    Parameters
    ----------
    block : Block
        The block of columns (estimates and covariances per row).
    flags : numpy.ndarray
        The block's final flags; suppressed and F cells are not tested.
    letters : list of str
        The test letter of each column.
    df : float
        Degrees of freedom of the t tests.
    alpha : float
        Significance level.
    adjust : str
        Multiple-comparison adjustment of the p values.
    row_keys : list
        The row level of each row, as reported in the tests.

    Returns
    -------
    tuple of (numpy.ndarray, list of dict)
        The letters of every cell and one record per pairwise test.
    """
    n_rows, n_cols = block.estimate.shape
    marks = np.full((n_rows, n_cols), "", dtype=object)
    tests: list[dict[str, Any]] = []
    if n_cols < 2:
        return marks, tests
    a_idx, b_idx = np.triu_indices(n_cols, k=1)
    for r in range(n_rows):
        est = block.estimate[r]
        diff, t, se, p = pairwise_t(est, block.cov[r], df)
        testable = ~np.isin(flags[r], NOT_TESTED) & np.isfinite(est)
        pair_ok = testable[a_idx] & testable[b_idx]
        p_pairs = np.where(pair_ok, p[a_idx, b_idx], np.nan)
        p_adj = adjust_pvalues(p_pairs, adjust)
        significant = np.nan_to_num(p_adj, nan=1.0) < alpha
        for k, (a, b) in enumerate(zip(a_idx, b_idx, strict=True)):
            if not pair_ok[k]:
                continue  # a suppressed or F cell: no test is published
            if significant[k]:
                winner, loser = (a, b) if diff[a, b] > 0 else (b, a)
                marks[r, winner] += letters[loser] + " "
            tests.append({
                "row_level": row_keys[r], "column_variable": block.variable,
                "level_a": block.levels[a], "level_b": block.levels[b],
                "letter_a": letters[a], "letter_b": letters[b],
                "difference": diff[a, b], "se": se[a, b], "t": t[a, b], "df": df,
                "p": p_pairs[k], "p_adjusted": p_adj[k], "significant": bool(significant[k]),
            })
    for r in range(n_rows):
        for c in range(n_cols):
            found = marks[r, c].split()
            marks[r, c] = "".join(sorted(found, key=lambda s: (len(s), s)))
    return marks, tests
