"""Pure driver measures on a covariance matrix: Shapley (LMG), relative weights, dominance, betas."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse

from ..errors import DataError
from .moment_sums import moments_from_sums

#: Largest number of drivers for which :func:`driver_importance` computes Shapley values exactly.
MAX_EXACT = 20


#: Hard limit of :func:`r2_all_subsets` (2^24 subsets = 128 MB per R^2 table).
_MAX_SUBSETS_P = 24


#: A driver whose VIF exceeds this triggers a :class:`CollinearityWarning`.
VIF_THRESHOLD = 10.0


#: A condition number (Belsley's, see :func:`collinearity`) above this triggers a warning.
CONDITION_THRESHOLD = 30.0


# Residual variance of a predictor, relative to its own variance, below which it is treated as
# an exact linear combination of the predictors already in the model (adds nothing to R^2).
COLLINEAR_TOL = 1e-10


# Element budget for intermediate arrays (float64): 2^22 elements = 32 MB.
CHUNK_ELEMENTS = 1 << 22


class CollinearityWarning(UserWarning):
    """Drivers are strongly collinear: importance measures may be unstable.

    >>> issubclass(CollinearityWarning, UserWarning)
    True
    """


class ShapleyEstimate(NamedTuple):
    """Shapley values estimated by permutation sampling, with their Monte Carlo standard errors."""

    values: np.ndarray
    mc_se: np.ndarray


def weighted_moments(
    X: np.ndarray, w: np.ndarray, *, chunk_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means and covariance matrices of the columns of ``X``.

    ``w`` is one weight vector ``(n,)`` (returns means ``(q,)`` and covariance ``(q, q)``) or a
    matrix of ``m`` weight columns ``(n, m)``, e.g. replicate weights (returns ``(m, q)`` and
    ``(m, q, q)``).  The covariance divisor is the sum of the weights (no degrees-of-freedom
    correction; correlations and every importance measure are unaffected by the divisor).

    For a weight matrix, all ``m`` covariance matrices come from one matrix product
    ``W' P`` where ``P`` holds the ``q (q + 1) / 2`` cross-products of the centred columns;
    ``P`` is built in row chunks (``chunk_rows`` rows, chosen automatically to keep about 32 MB)
    so memory stays bounded for large ``n``.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, q)`` data matrix (finite values).
    w : numpy.ndarray
        Weights ``(n,)`` or ``(n, m)`` (finite, non-negative, each column with a positive sum).
    chunk_rows : int or None, optional
        Rows per chunk of the cross-products; None chooses it to keep about 32 MB.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The weighted means and covariance matrices.

    Raises
    ------
    DataError
        When ``X`` or ``w`` has the wrong shape or invalid values.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 6.0]])
    >>> mean, cov = weighted_moments(X, np.array([1.0, 1.0, 2.0]))
    >>> mean.tolist()
    [2.25, 3.75]
    >>> cov.round(4).tolist()
    [[0.6875, 1.5625], [1.5625, 5.1875]]
    >>> means, covs = weighted_moments(X, np.ones((3, 2)))
    >>> covs.shape
    (2, 2, 2)
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise DataError(f"X must be a 2-D array (rows x variables), got shape {X.shape}")
    n, q = X.shape
    W = np.asarray(w, dtype=float)
    single = W.ndim == 1
    if single:
        W = W[:, None]
    if W.ndim != 2 or W.shape[0] != n:
        raise DataError(f"weights have shape {np.shape(w)}, expected ({n},) or ({n}, m)")
    if not np.all(np.isfinite(X)):
        raise DataError("X contains missing or infinite values; drop incomplete rows first")
    if not np.all(np.isfinite(W)) or np.any(W < 0):
        raise DataError("weights must be finite and non-negative")
    sw = W.sum(axis=0)
    if np.any(sw <= 0):
        bad = int(np.flatnonzero(sw <= 0)[0])
        raise DataError(f"weight column {bad} sums to {sw[bad]!r}; it must be positive")

    if single:
        # two-pass, the most accurate form for a single weight vector
        mean = W[:, 0] @ X / sw[0]
        Xc = X - mean
        cov = (Xc * W).T @ Xc / sw[0]
        return mean, (cov + cov.T) / 2

    m = W.shape[1]
    shift = X.mean(axis=0)  # centring for numerical stability of the one-pass form
    Xc = X - shift
    iu0, iu1 = np.triu_indices(q)
    k = iu0.size
    if chunk_rows is None:
        chunk_rows = max(1, CHUNK_ELEMENTS // max(k, 1))
    s1 = W.T @ Xc  # (m, q)
    s2 = np.zeros((m, k))
    for start in range(0, n, chunk_rows):
        xs = Xc[start : start + chunk_rows]
        s2 += W[start : start + chunk_rows].T @ (xs[:, iu0] * xs[:, iu1])
    return moments_from_sums(sw, s1, s2, shift)


def grouped_moments(X: np.ndarray, w: np.ndarray, group: np.ndarray,
                    multipliers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`weighted_moments` for the replicate weights ``w_i * multipliers[group_i, r]``,
    never made as an ``(n, m)`` matrix: the rows' weighted cross-products are summed within each
    group (PSU) first, then one ``(groups, m)`` product gives every replicate's sums.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, q)`` data matrix (finite values).
    w : numpy.ndarray
        ``(n,)`` full-sample weights (finite, non-negative).
    group : numpy.ndarray
        ``(n,)`` integer group (0..G-1) of every row.
    multipliers : numpy.ndarray
        ``(G, m)`` finite, non-negative multipliers of each group in each replicate.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The ``(m, q)`` weighted means and ``(m, q, q)`` covariance matrices.

    Raises
    ------
    DataError
        When a replicate's weights sum to zero or less.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 6.0]])
    >>> grouped_moments(X, np.ones(3), np.array([0, 0, 1]), np.array([[1.0], [2.0]]))[0].tolist()
    [[2.25, 3.75]]
    """
    n, q = X.shape
    order = np.argsort(group, kind="stable")
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    shift = X.mean(axis=0)
    width = 1 + q + q * (q + 1) // 2
    sums = np.zeros((len(multipliers), width))
    chunk_rows = max(1, CHUNK_ELEMENTS // width)
    buffer = np.empty((min(chunk_rows, n), width))
    for first in range(0, n, chunk_rows):  # rows in group order; each chunk adds its groups' sums
        rows = order[first : first + chunk_rows]
        xs = X[rows] - shift
        values = buffer[: len(rows)]
        values[:, 0] = w[rows]
        np.multiply(xs, values[:, :1], out=values[:, 1 : 1 + q])
        column = 1 + q
        for a in range(q):  # w x_a x_b for b >= a: the upper triangle, row by row
            np.multiply(xs[:, a:], values[:, 1 + a : 2 + a], out=values[:, column : column + q - a])
            column += q - a
        cut = np.union1d(0, starts[(starts >= first) & (starts < first + len(rows))] - first)
        sums[sorted_group[first + cut]] += sparse.csr_matrix(  # sums each group's rows, in order
            (np.ones(len(rows)), np.arange(len(rows)), np.r_[cut, len(rows)]), shape=(len(cut), len(rows))) @ values
    totals = multipliers.T @ sums
    if np.any(totals[:, 0] <= 0):
        raise DataError(f"replicate {int(np.argmax(totals[:, 0] <= 0))} has weights summing to zero")
    return moments_from_sums(totals[:, 0], totals[:, 1 : 1 + q], totals[:, 1 + q :], shift)


def to_corr(cov: np.ndarray) -> np.ndarray:
    """Correlation matrix of a covariance matrix (or of a stack ``(..., q, q)``).

    Parameters
    ----------
    cov : numpy.ndarray
        Covariance matrix or stack of them.

    Returns
    -------
    numpy.ndarray
        The correlation matrix (or matrices).
    """
    d = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    return cov / d[..., :, None] / d[..., None, :]


def _outcome_index(outcome_index: int, q: int) -> int:
    if not -q <= outcome_index < q:
        raise DataError(f"outcome_index {outcome_index} is out of range for a {q} x {q} matrix")
    return outcome_index % q


def _reorder(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Matrix with the predictors first (in their original order) and the outcome last."""
    c = np.asarray(corr, dtype=float)
    if c.ndim < 2 or c.shape[-1] != c.shape[-2]:
        raise DataError(f"expected a square (..., q, q) matrix, got shape {c.shape}")
    q = c.shape[-1]
    if q < 2:
        raise DataError("need at least one predictor and the outcome")
    o = _outcome_index(outcome_index, q)
    order = [i for i in range(q) if i != o] + [o]
    return c[..., order, :][..., :, order]


def split_corr(corr: np.ndarray, outcome_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Predictor correlation matrix and predictor-outcome correlations.

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation or covariance matrix ``(q, q)`` of the predictors and the outcome (or a
        stack ``(..., q, q)``).
    outcome_index : int
        Row/column of the outcome; the other variables are the predictors, in order.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The predictor correlation matrix and the predictor-outcome correlations.

    Raises
    ------
    DataError
        When the matrix is not square, has fewer than two variables or ``outcome_index`` is
        out of range.
    """
    r = to_corr(_reorder(corr, outcome_index))
    return r[..., :-1, :-1], r[..., :-1, -1]


def _popcount(p: int) -> np.ndarray:
    masks = np.arange(1 << p, dtype=np.int64)
    count = np.zeros(1 << p, dtype=np.int64)
    for bit in range(p):
        count += (masks >> bit) & 1
    return count


def r2_all_subsets(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """R^2 of the regression of the outcome on every subset of the predictors.

    ``corr`` is a correlation or covariance matrix ``(q, q)`` (or a stack ``(..., q, q)``, e.g. one
    per replicate); the predictors are all variables except ``outcome_index``, in their order.
    Returns an array ``(..., 2**p)`` whose entry ``mask`` is the R^2 of the subset whose
    predictor ``j`` is in it when bit ``j`` of ``mask`` is set (entry 0 is the empty model,
    entry ``2**p - 1`` the full model).

    Method: bitmask dynamic programme with recursive Schur-complement (sweep) updates, see the
    module docstring.  A predictor that is an exact linear combination of those already in a
    subset adds nothing (as a pseudo-inverse would give), so singular matrices are handled.

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation or covariance matrix ``(q, q)`` of the predictors and the outcome (or a
        stack ``(..., q, q)``).
    outcome_index : int
        Row/column of the outcome; the other variables are the predictors, in order.

    Returns
    -------
    numpy.ndarray
        R^2 of every subset, ``(..., 2**p)``, indexed by bitmask.

    Raises
    ------
    DataError
        When there are too many predictors or the matrix is not finite with positive variances.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> r2_all_subsets(corr, outcome_index=2).round(4).tolist()  # {}, {0}, {1}, {0, 1}
    [0.0, 0.36, 0.09, 0.36]
    """
    a = _reorder(corr, outcome_index)
    p = a.shape[-1] - 1
    if p > _MAX_SUBSETS_P:
        raise DataError(
            f"{p} predictors means 2^{p} subsets; exact all-subsets R^2 is limited to "
            f"{_MAX_SUBSETS_P} predictors (use shapley_sampling)"
        )
    diag = np.diagonal(a, axis1=-2, axis2=-1)
    yvar = diag[..., -1]
    if np.any(~np.isfinite(a)) or np.any(diag <= 0):
        raise DataError("the matrix must be finite with positive variances on the diagonal")
    state = a[..., None, :, :]  # (..., 2^j subsets, remaining vars, remaining vars)
    for j in range(p):
        pivot = state[..., 0, 0]
        col = state[..., 1:, 0]
        keep = state[..., 1:, 1:]
        ok = pivot > COLLINEAR_TOL * diag[..., j, None]
        inv = np.where(ok, 1.0 / np.where(ok, pivot, 1.0), 0.0)
        new = keep - (col * inv[..., None])[..., :, None] * col[..., None, :]
        state = np.concatenate([keep, new], axis=-3)
    return 1.0 - state[..., 0, 0] / yvar[..., None]


def _check_table(r2_by_subset: np.ndarray, p: int) -> np.ndarray:
    r2 = np.asarray(r2_by_subset, dtype=float)
    if p < 1 or r2.ndim < 1 or r2.shape[-1] != 1 << p:
        raise DataError(f"an R^2 table for p = {p} predictors needs 2**{p} entries, got {r2.shape}")
    return r2


def _size_weights(p: int) -> np.ndarray:
    """Shapley weight |S|! (p - |S| - 1)! / p! for |S| = 0..p-1 (and 0 for |S| = p)."""
    return np.array([1.0 / (p * math.comb(p - 1, s)) for s in range(p)] + [0.0])


def _marginals(r2: np.ndarray, p: int, j: int) -> np.ndarray:
    """R^2(S + j) - R^2(S) for every S without j, as (..., 2^(p-1-j), 2^j) blocks."""
    lead = r2.shape[:-1]
    r = r2.reshape(lead + (1 << (p - 1 - j), 2, 1 << j))
    return r[..., :, 1, :] - r[..., :, 0, :]


def shapley_lmg(r2_by_subset: np.ndarray, p: int) -> np.ndarray:
    """Exact Shapley values (LMG) of R^2 from an all-subsets R^2 table.

    ``phi_j = sum over S without j of |S|! (p - |S| - 1)! / p! * (R^2(S + j) - R^2(S))``, computed
    with bitmask reshapes (no loops over subsets).  ``r2_by_subset`` is ``(..., 2**p)`` as
    returned by :func:`r2_all_subsets`; the values sum to the full-model R^2.

    Parameters
    ----------
    r2_by_subset : numpy.ndarray
        All-subsets R^2 table ``(..., 2**p)``.
    p : int
        Number of predictors.

    Returns
    -------
    numpy.ndarray
        The Shapley values ``(..., p)``.

    Raises
    ------
    DataError
        When the table does not have ``2**p`` entries.

    Examples
    --------
    >>> shapley_lmg(np.array([0.0, 0.36, 0.09, 0.36]), p=2).round(4).tolist()
    [0.315, 0.045]
    """
    r2 = _check_table(r2_by_subset, p)
    weights = _size_weights(p)[_popcount(p)]
    out = np.empty(r2.shape[:-1] + (p,))
    for j in range(p):
        wj = weights.reshape(1 << (p - 1 - j), 2, 1 << j)[:, 0, :]
        out[..., j] = np.einsum("...ab,ab->...", _marginals(r2, p, j), wj)
    return out


@dataclass(frozen=True, eq=False)
class DominanceResult:
    """Dominance analysis (Azen & Budescu 2003) of ``p`` predictors.

    Dominance matrices hold ``1`` where the row predictor dominates the column predictor, ``0``
    where it is dominated, ``0.5`` where neither dominates, and NaN on the diagonal.

    Attributes: ``complete``, ``conditional``, ``general`` (``p x p`` dominance matrices);
    ``conditional_values`` (``p x p``: row ``i``, column ``k`` = average increase in R^2 when
    predictor ``i`` is added to a subset of ``k`` other predictors); ``general_values`` (the row
    means of ``conditional_values`` = Shapley/LMG values).
    """

    complete: np.ndarray
    conditional: np.ndarray
    general: np.ndarray
    conditional_values: np.ndarray
    general_values: np.ndarray


def _dominance_matrix(better: np.ndarray, worse: np.ndarray) -> np.ndarray:
    out = np.where(better, 1.0, np.where(worse, 0.0, 0.5))
    np.fill_diagonal(out, np.nan)
    return out


def dominance(r2_by_subset: np.ndarray, p: int, *, tol: float = 1e-12) -> DominanceResult:
    """Complete, conditional and general dominance from an all-subsets R^2 table.

    Predictor ``i`` *completely* dominates ``j`` when adding ``i`` to any subset of the other
    predictors raises R^2 more than adding ``j`` (Budescu 1993); *conditionally* when its average
    increase is larger within every subset size; *generally* when its overall average (its
    Shapley value) is larger (Azen & Budescu 2003).  Differences within ``tol`` count as ties.

    Parameters
    ----------
    r2_by_subset : numpy.ndarray
        One all-subsets R^2 table ``(2**p,)``.
    p : int
        Number of predictors.
    tol : float, default 1e-12
        Differences within ``tol`` count as ties.

    Returns
    -------
    DominanceResult
        The dominance matrices and conditional and general values.

    Raises
    ------
    DataError
        When the table is not one-dimensional with ``2**p`` entries.

    Examples
    --------
    >>> d = dominance(np.array([0.0, 0.36, 0.09, 0.36]), p=2)
    >>> d.complete.tolist()
    [[nan, 1.0], [0.0, nan]]
    >>> d.conditional_values.round(4).tolist()
    [[0.36, 0.27], [0.09, 0.0]]
    """
    r2 = _check_table(r2_by_subset, p)
    if r2.ndim != 1:
        raise DataError("dominance takes one R^2 table (1-D)")
    sizes = _popcount(p)
    cond = np.empty((p, p))
    counts = np.array([math.comb(p - 1, k) for k in range(p)], dtype=float)
    for j in range(p):
        sj = sizes.reshape(1 << (p - 1 - j), 2, 1 << j)[:, 0, :].ravel()
        cond[j] = np.bincount(sj, weights=_marginals(r2, p, j).ravel(), minlength=p) / counts
    general_values = cond.mean(axis=1)

    comp_better = np.zeros((p, p), dtype=bool)
    comp_worse = np.zeros((p, p), dtype=bool)
    for hi in range(p):
        for lo in range(hi):
            r = r2.reshape(1 << (p - 1 - hi), 2, 1 << (hi - lo - 1), 2, 1 << lo)
            d = r[:, 0, :, 1, :] - r[:, 1, :, 0, :]  # R^2(S + lo) - R^2(S + hi)
            comp_better[lo, hi] = comp_worse[hi, lo] = bool(np.all(d > tol))
            comp_worse[lo, hi] = comp_better[hi, lo] = bool(np.all(d < -tol))
    cdiff = cond[:, None, :] - cond[None, :, :]
    gdiff = general_values[:, None] - general_values[None, :]
    return DominanceResult(
        complete=_dominance_matrix(comp_better, comp_worse),
        conditional=_dominance_matrix(np.all(cdiff > tol, axis=2), np.all(cdiff < -tol, axis=2)),
        general=_dominance_matrix(gdiff > tol, gdiff < -tol),
        conditional_values=cond,
        general_values=general_values,
    )


def _shapley_permutations(a: np.ndarray, perms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum and sum of squares over ``perms`` of the marginal contributions; ``a`` outcome last."""
    lead = a.shape[:-2]
    q = a.shape[-1]
    p = q - 1
    diag = np.diagonal(a, axis1=-2, axis2=-1)
    yvar = diag[..., -1]
    n_lead = int(np.prod(lead, dtype=np.int64))
    chunk = max(1, CHUNK_ELEMENTS // max(1, n_lead * q * q))
    total = np.zeros(lead + (p,))
    total_sq = np.zeros(lead + (p,))
    for start in range(0, perms.shape[0], chunk):
        pc = perms[start : start + chunk]
        k = pc.shape[0]
        rows = np.arange(k)
        state = np.broadcast_to(a[..., None, :, :], lead + (k, q, q)).copy()
        contrib = np.empty(lead + (k, p))
        prev = np.zeros(lead + (k,))
        for t in range(p):
            v = pc[:, t]
            pivot = state[..., rows, v, v]
            col = state[..., rows, v, :]  # row v = column v (symmetric), (..., k, q)
            ok = pivot > COLLINEAR_TOL * diag[..., v]
            inv = np.where(ok, 1.0 / np.where(ok, pivot, 1.0), 0.0)
            state -= (col * inv[..., None])[..., :, None] * col[..., None, :]
            r2 = 1.0 - state[..., -1, -1] / yvar[..., None]
            contrib[..., rows, v] = r2 - prev
            prev = r2
        total += contrib.sum(axis=-2)
        total_sq += (contrib**2).sum(axis=-2)
    return total, total_sq


def shapley_sampling(
    corr: np.ndarray,
    outcome_index: int,
    n_permutations: int = 2000,
    seed: int | np.random.Generator | None = None,
) -> ShapleyEstimate:
    """Shapley values (LMG) of R^2 estimated from random orderings of the predictors.

    For each of ``n_permutations`` uniformly random orderings the predictors are added one at a
    time (a sweep of the covariance matrix per step, vectorised over orderings) and each
    predictor's increase in R^2 is recorded; the estimate is the average increase and the Monte
    Carlo standard error is its standard deviation over orderings divided by
    ``sqrt(n_permutations)`` (Castro, Gomez & Tejada 2009).  Each ordering's increases add up to
    the full-model R^2, so the estimates do too.  Use it above :data:`MAX_EXACT` predictors;
    ``seed`` makes it reproducible.  A stack of matrices ``(..., q, q)`` uses the same orderings
    for every matrix (common random numbers, e.g. across replicates).

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation or covariance matrix ``(q, q)`` of the predictors and the outcome (or a
        stack ``(..., q, q)``).
    outcome_index : int
        Row/column of the outcome; the other variables are the predictors, in order.
    n_permutations : int, default 2000
        Number of random orderings (at least 2).
    seed : int or numpy.random.Generator or None, optional
        Seed or generator of the orderings.

    Returns
    -------
    ShapleyEstimate
        The estimated values and their Monte Carlo standard errors.

    Raises
    ------
    DataError
        When ``n_permutations`` is below 2 or the matrix is invalid.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> est = shapley_sampling(corr, outcome_index=2, n_permutations=400, seed=1)
    >>> est.values.round(2).tolist(), bool(abs(est.values.sum() - 0.36) < 1e-12)
    ([0.31, 0.05], True)
    """
    a = _reorder(corr, outcome_index)
    p = a.shape[-1] - 1
    if n_permutations < 2:
        raise DataError(f"n_permutations must be at least 2, got {n_permutations}")
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.tile(np.arange(p), (n_permutations, 1)), axis=1)
    return shapley_from_perms(a, perms)


def shapley_from_perms(a: np.ndarray, perms: np.ndarray) -> ShapleyEstimate:
    """Shapley values and Monte Carlo standard errors from given orderings of the predictors.

    Parameters
    ----------
    a : numpy.ndarray
        Covariance matrix (or stack) with the predictors first and the outcome last.
    perms : numpy.ndarray
        ``(n, p)`` orderings of the predictors (at least two).

    Returns
    -------
    ShapleyEstimate
        The mean increases in R^2 and their Monte Carlo standard errors.
    """
    n = perms.shape[0]
    total, total_sq = _shapley_permutations(a, perms)
    mean = total / n
    var = np.maximum(total_sq - n * mean**2, 0.0) / (n - 1)
    return ShapleyEstimate(mean, np.sqrt(var / n))
