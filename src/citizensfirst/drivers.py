"""Service-driver (relative importance) analysis for satisfaction surveys.

Which service attributes ("drivers": timeliness, courtesy, outcome, ...) matter most for overall
satisfaction? This module answers with the standard relative-importance measures for a linear
regression of an outcome on a set of drivers, computed from a *weighted* covariance matrix so that
survey weights (and replicate weights, for standard errors) are honoured.

Everything works from the (p+1) x (p+1) covariance or correlation matrix of the drivers and the
outcome: no regression is refitted per subset and no Python loop runs over respondents.

Measures (names as in Groemping's relaimpo where one exists):

* ``lmg`` / Shapley value of R^2 (Lindeman, Merenda & Gold 1980; = general dominance), exact for
  up to :data:`MAX_EXACT` drivers, by permutation sampling above that (:func:`shapley_sampling`,
  with a Monte Carlo standard error).
* dominance analysis: complete, conditional and general dominance (Budescu 1993; Azen & Budescu
  2003), :func:`dominance`.
* Johnson's relative weights (Johnson 2000), :func:`relative_weights`.
* ``first`` (R^2 of the driver alone = squared zero-order correlation), ``last`` (increase in R^2
  when the driver enters last), ``betasq`` (squared standardised coefficient), ``pratt`` (beta
  times zero-order correlation; Pratt 1987), standardised betas and zero-order correlations.
* collinearity diagnostics: variance inflation factors and the condition number of the driver
  correlation matrix, with a :class:`CollinearityWarning`.

All-subsets R^2 (:func:`r2_all_subsets`) uses a bitmask dynamic programme: predictors are taken in
order and, for every subset T of the predictors already seen, the Schur complement of the
covariance matrix of the remaining variables (later predictors and the outcome) given T is kept.
Adding predictor j to every subset at once is one vectorised rank-one update (a sweep), so all
2^p subsets cost p array operations and O(sum_j 2^j (p - j)^2) flops: p = 20 takes well under a
second.  The residual outcome variance of subset S gives R^2(S) = 1 - var(y | S) / var(y).

References
----------
* Azen, R. & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors in
  multiple regression. Psychological Methods 8(2), 129-148.
* Budescu, D. V. (1993). Dominance analysis: a new approach to the problem of relative importance
  of predictors in multiple regression. Psychological Bulletin 114(3), 542-551.
* Groemping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
  Journal of Statistical Software 17(1), 1-27.
* Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
  variables in multiple regression. Multivariate Behavioral Research 35(1), 1-19.
* Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). Introduction to Bivariate and
  Multivariate Analysis. Glenview, IL: Scott, Foresman.
* Castro, J., Gomez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value based on
  sampling. Computers & Operations Research 36(5), 1726-1730 (permutation sampling).
* Belsley, D. A., Kuh, E. & Welsch, R. E. (1980). Regression Diagnostics. Wiley (condition
  number threshold 30).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> x = rng.normal(size=(500, 3))
>>> df = pd.DataFrame(x, columns=["timeliness", "courtesy", "outcome_q"])
>>> df["overall"] = x @ [0.6, 0.2, 0.4] + rng.normal(size=500)
>>> res = driver_importance(df, "overall", ["timeliness", "courtesy", "outcome_q"],
...                         weights=np.ones(500))
>>> res.table["rank"].tolist()
[1, 3, 2]
>>> bool(abs(res.table["importance"].sum() - res.r2) < 1e-12)
True
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from citizensfirst.errors import DataError
from citizensfirst.scales import Scale

__all__ = [
    "CONDITION_THRESHOLD",
    "MAX_EXACT",
    "METHODS",
    "VIF_THRESHOLD",
    "CollinearityWarning",
    "DominanceResult",
    "DriverResult",
    "ShapleyEstimate",
    "betasq",
    "collinearity",
    "dominance",
    "driver_importance",
    "first",
    "importance_performance",
    "last",
    "pratt",
    "r2_all_subsets",
    "relative_weights",
    "shapley_lmg",
    "shapley_sampling",
    "standardized_betas",
    "weighted_moments",
    "zero_order",
]

#: Largest number of drivers for which :func:`driver_importance` computes Shapley values exactly.
MAX_EXACT = 20
#: Hard limit of :func:`r2_all_subsets` (2^24 subsets = 128 MB per R^2 table).
_MAX_SUBSETS_P = 24
#: A driver whose VIF exceeds this triggers a :class:`CollinearityWarning`.
VIF_THRESHOLD = 10.0
#: A condition number (Belsley's, see :func:`collinearity`) above this triggers a warning.
CONDITION_THRESHOLD = 30.0
#: Methods accepted by :func:`driver_importance`.
METHODS = (
    "shapley",
    "relative_weights",
    "beta",
    "betasq",
    "correlation",
    "first",
    "last",
    "pratt",
)
_SIGNED = ("beta", "correlation")  # shares and ranks use absolute values for these

# Residual variance of a predictor, relative to its own variance, below which it is treated as
# an exact linear combination of the predictors already in the model (adds nothing to R^2).
_COLLINEAR_TOL = 1e-10
# Element budget for intermediate arrays (float64): 2^22 elements = 32 MB.
_CHUNK_ELEMENTS = 1 << 22


class CollinearityWarning(UserWarning):
    """Drivers are strongly collinear: importance measures may be unstable.

    >>> issubclass(CollinearityWarning, UserWarning)
    True
    """


class ShapleyEstimate(NamedTuple):
    """Shapley values estimated by permutation sampling, with their Monte Carlo standard errors."""

    values: np.ndarray
    mc_se: np.ndarray


# --------------------------------------------------------------------------------------------
# moments
# --------------------------------------------------------------------------------------------


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
        chunk_rows = max(1, _CHUNK_ELEMENTS // max(k, 1))
    s1 = W.T @ Xc  # (m, q)
    s2 = np.zeros((m, k))
    for start in range(0, n, chunk_rows):
        xs = Xc[start : start + chunk_rows]
        s2 += W[start : start + chunk_rows].T @ (xs[:, iu0] * xs[:, iu1])
    mc = s1 / sw[:, None]
    tri = s2 / sw[:, None] - mc[:, iu0] * mc[:, iu1]
    cov = np.empty((m, q, q))
    cov[:, iu0, iu1] = tri
    cov[:, iu1, iu0] = tri
    return mc + shift, cov


def _to_corr(cov: np.ndarray) -> np.ndarray:
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


def _split_corr(corr: np.ndarray, outcome_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Predictor correlation matrix and predictor-outcome correlations."""
    r = _to_corr(_reorder(corr, outcome_index))
    return r[..., :-1, :-1], r[..., :-1, -1]


# --------------------------------------------------------------------------------------------
# all-subsets R^2, Shapley values and dominance
# --------------------------------------------------------------------------------------------


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
        ok = pivot > _COLLINEAR_TOL * diag[..., j, None]
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
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_lead * q * q))
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
            ok = pivot > _COLLINEAR_TOL * diag[..., v]
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
    return _shapley_from_perms(a, perms)


def _shapley_from_perms(a: np.ndarray, perms: np.ndarray) -> ShapleyEstimate:
    n = perms.shape[0]
    total, total_sq = _shapley_permutations(a, perms)
    mean = total / n
    var = np.maximum(total_sq - n * mean**2, 0.0) / (n - 1)
    return ShapleyEstimate(mean, np.sqrt(var / n))


# --------------------------------------------------------------------------------------------
# other measures
# --------------------------------------------------------------------------------------------


def _solve_spd(rxx: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(rxx, b[..., None])[..., 0]
    except np.linalg.LinAlgError as err:
        raise DataError("the predictors are perfectly collinear; drop redundant ones") from err


def zero_order(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Zero-order (simple) correlations of each predictor with the outcome.

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> zero_order(corr, 2).tolist()
    [0.6, 0.3]
    """
    return _split_corr(corr, outcome_index)[1]


def standardized_betas(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Standardised regression coefficients ``R_xx^{-1} r_xy`` of the full model.

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> standardized_betas(corr, 2).round(4).tolist()
    [0.6, 0.0]
    """
    rxx, rxy = _split_corr(corr, outcome_index)
    return _solve_spd(rxx, rxy)


def first(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """R^2 of each predictor alone (squared zero-order correlation; relaimpo's ``first``).

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> first(corr, 2).round(4).tolist()
    [0.36, 0.09]
    """
    return zero_order(corr, outcome_index) ** 2


def last(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Increase in R^2 when each predictor enters last (relaimpo's ``last``).

    Equals ``beta_j^2 / (R_xx^{-1})_jj`` (squared semipartial correlation).

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> last(corr, 2).round(4).tolist()
    [0.27, 0.0]
    """
    rxx, rxy = _split_corr(corr, outcome_index)
    beta = _solve_spd(rxx, rxy)
    inv_diag = np.diagonal(np.linalg.inv(rxx), axis1=-2, axis2=-1)
    return beta**2 / inv_diag


def betasq(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Squared standardised coefficients (relaimpo's ``betasq``).

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> betasq(corr, 2).round(4).tolist()
    [0.36, 0.0]
    """
    return standardized_betas(corr, outcome_index) ** 2


def pratt(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Pratt's measure: standardised coefficient times zero-order correlation; sums to R^2.

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> pratt(corr, 2).round(4).tolist()
    [0.36, 0.0]
    """
    rxx, rxy = _split_corr(corr, outcome_index)
    return _solve_spd(rxx, rxy) * rxy


def relative_weights(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Johnson's (2000) relative weights; they sum to the full-model R^2.

    With ``R_xx = V diag(l) V'``, the predictors are replaced by their closest orthonormal
    counterparts ``Z``; ``L = V diag(sqrt(l)) V'`` holds the correlations of ``X`` with ``Z`` and
    ``b = L^{-1} r_xy`` the coefficients of the outcome on ``Z``; weight ``j`` is
    ``sum_k L_jk^2 b_k^2``.

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> relative_weights(corr, 2).round(4).tolist()
    [0.315, 0.045]
    """
    rxx, rxy = _split_corr(corr, outcome_index)
    lam, vec = np.linalg.eigh(rxx)
    if np.any(lam <= _COLLINEAR_TOL * lam[..., -1:]):
        raise DataError("the predictors are perfectly collinear; drop redundant ones")
    root = np.sqrt(lam)
    vt = np.swapaxes(vec, -1, -2)
    half = (vec * root[..., None, :]) @ vt
    b = (vec * (1.0 / root)[..., None, :]) @ (vt @ rxy[..., None])
    return ((half**2) @ (b**2))[..., 0]


def collinearity(
    corr: np.ndarray, outcome_index: int | None = None, *, warn: bool = True
) -> tuple[np.ndarray, float]:
    """Variance inflation factors and condition number of the predictors.

    ``VIF_j = (R_xx^{-1})_jj``.  The condition number is Belsley's: ``sqrt(l_max / l_min)`` of
    the predictor correlation matrix ``R_xx``, i.e. the ordinary condition number of the
    standardised predictor matrix.  With ``warn`` a :class:`CollinearityWarning` is issued when a
    VIF exceeds :data:`VIF_THRESHOLD` (10) or the condition number :data:`CONDITION_THRESHOLD`
    (30).  ``outcome_index=None`` means ``corr`` holds predictors only.

    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> vif, cond = collinearity(corr, 2)
    >>> vif.round(4).tolist(), round(cond, 4)
    ([1.3333, 1.3333], 1.7321)
    """
    if outcome_index is None:
        rxx = _to_corr(np.asarray(corr, dtype=float))
    else:
        rxx = _split_corr(corr, outcome_index)[0]
    if rxx.ndim != 2:
        raise DataError("collinearity takes one matrix")
    lam = np.linalg.eigvalsh(rxx)
    if lam[0] <= _COLLINEAR_TOL * lam[-1]:
        vif = np.full(rxx.shape[0], np.inf)
        cond = math.inf
    else:
        vif = np.diag(np.linalg.inv(rxx)).copy()
        cond = float(np.sqrt(lam[-1] / lam[0]))
    if warn and (np.any(vif > VIF_THRESHOLD) or cond > CONDITION_THRESHOLD):
        warnings.warn(
            f"strong collinearity among drivers: max VIF {np.max(vif):.3g} "
            f"(threshold {VIF_THRESHOLD:g}), condition number {cond:.3g} "
            f"(threshold {CONDITION_THRESHOLD:g}); importance values may be unstable",
            CollinearityWarning,
            stacklevel=2,
        )
    return vif, cond


# --------------------------------------------------------------------------------------------
# high level
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DriverResult:
    """Result of :func:`driver_importance`.

    ``table`` (one row per driver): ``importance`` (raw measure; for ``shapley``,
    ``relative_weights`` and ``pratt`` a part of R^2), ``share`` (percent, sums to 100; based on
    absolute values for ``beta`` and ``correlation``), ``rank`` (1 = most important), ``se``,
    ``ci_low``, ``ci_high`` (replicate-weight standard error and normal confidence interval of
    ``importance``; NaN without replicate weights), ``share_se``, ``mc_se`` (Monte Carlo standard
    error of sampled Shapley values; 0 when exact), ``mean`` (weighted mean of the driver),
    ``performance`` (``mean`` rescaled to 0-100 with the driver's scale; NaN without scales),
    ``performance_se``, ``n`` (complete cases used), ``dropped`` (rows with this driver missing),
    ``vif``.

    ``pairwise``: one row per pair of drivers, ``difference = importance_a - importance_b`` with
    ``se``, ``ci_low``, ``ci_high`` from the replicates.
    """

    table: pd.DataFrame
    pairwise: pd.DataFrame
    method: str
    outcome: str
    drivers: tuple[str, ...]
    r2: float
    r2_se: float
    n: int
    n_rows: int
    n_dropped: int
    n_outcome_missing: int
    condition_number: float
    exact: bool
    n_replicates: int
    level: float
    replicate_importance: np.ndarray | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-driver table.

        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame(rng.normal(size=(50, 3)), columns=["a", "b", "y"])
        >>> driver_importance(df, "y", ["a", "b"], np.ones(50)).to_frame().index.tolist()
        ['a', 'b']
        """
        return self.table.copy()

    def plot(self, language: str = "en", title: str = "", **kwargs: Any) -> Any:
        """Importance bars with confidence intervals (a :class:`citizensfirst.charts.base.Chart`)."""
        from .charts import importance_chart

        return importance_chart(self, language, title, **kwargs)

    def plot_quadrant(self, thresholds: str | tuple[float, float] = "mean", language: str = "en",
                      title: str = "", **kwargs: Any) -> Any:
        """Importance against performance with the four action quadrants (a Chart)."""
        from .charts import quadrant_chart

        return quadrant_chart(self, thresholds, language, title, **kwargs)

    def _repr_html_(self) -> str:
        cols = [
            "importance",
            "share",
            "rank",
            "se",
            "ci_low",
            "ci_high",
            "performance",
            "n",
            "dropped",
            "vif",
        ]
        caption = (
            f"Driver importance ({html.escape(self.method)}) for "
            f"{html.escape(str(self.outcome))}: R&sup2; = {self.r2:.4f}, n = {self.n}, "
            f"condition number = {self.condition_number:.3g}"
        )
        body = self.table[cols].to_html(float_format=lambda v: f"{v:.4g}", na_rep="")
        return f"<div><p>{caption}</p>{body}</div>"


def _check_numeric_column(data: pd.DataFrame, name: str) -> None:
    if name not in data.columns:
        listed = ", ".join(map(repr, list(data.columns)[:20]))
        raise DataError(f"column {name!r} is not in the data (columns: {listed})")
    col = data[name]
    if isinstance(col, pd.DataFrame):
        raise DataError(f"column name {name!r} is duplicated in the data")
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise DataError(f"column {name!r} is not numeric (dtype {col.dtype}); recode it first")


def _weights(values: object, n: int, what: str) -> np.ndarray:
    try:
        w = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise DataError(f"{what} are not numeric: {err}") from err
    if w.ndim == 0 or w.shape[0] != n:
        raise DataError(f"{what} have {w.shape[0] if w.ndim else 'no'} rows but the data has {n}")
    if not np.all(np.isfinite(w)):
        raise DataError(f"{what} contain missing or infinite values")
    if np.any(w < 0):
        raise DataError(f"{what} contain negative values")
    return w


def _scales(scales: object, drivers: Sequence[str]) -> list[Scale | None]:
    """The rating scale of every driver (None for all when ``scales`` is None)."""
    if scales is None:
        return [None] * len(drivers)
    out: list[Scale | None] = []
    for d in drivers:
        if isinstance(scales, Mapping):
            if d not in scales:
                raise DataError(f"scales gives no (low, high) for driver {d!r}")
            pair = scales[d]
        else:
            pair = scales
        out.append(Scale.of(pair, what=f"scale for driver {d!r}"))
    return out


def _performance(means: np.ndarray, scales: Sequence[Scale | None]) -> np.ndarray:
    """Driver means (last axis: drivers) on 0-100 with each driver's scale; NaN without one."""
    columns = [np.full(means.shape[:-1], np.nan) if s is None else s.to_100(means[..., j], check=False)
               for j, s in enumerate(scales)]
    return np.stack(columns, axis=-1)


def _measure(
    corr: np.ndarray,
    method: str,
    *,
    exact: bool,
    perms: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Importance (B, p), full R^2 (B,) and MC SE (B, p) for correlation stack (B, q, q)."""
    q = corr.shape[-1]
    p = q - 1
    o = q - 1
    zeros = np.zeros(corr.shape[:-2] + (p,))
    if method == "shapley":
        if exact:
            chunk = max(1, _CHUNK_ELEMENTS // (3 << p))
            imp = np.empty(corr.shape[:-2] + (p,))
            r2 = np.empty(corr.shape[:-2])
            for s in range(0, corr.shape[0], chunk):
                table = r2_all_subsets(corr[s : s + chunk], o)
                imp[s : s + chunk] = shapley_lmg(table, p)
                r2[s : s + chunk] = table[..., -1]
            return imp, r2, zeros
        est = _shapley_from_perms(corr, perms)
        return est.values, est.values.sum(axis=-1), est.mc_se
    rxx, rxy = _split_corr(corr, o)
    beta = _solve_spd(rxx, rxy)
    r2 = np.sum(beta * rxy, axis=-1)
    funcs = {
        "relative_weights": lambda: relative_weights(corr, o),
        "beta": lambda: beta,
        "betasq": lambda: beta**2,
        "correlation": lambda: rxy,
        "first": lambda: rxy**2,
        "last": lambda: last(corr, o),
        "pratt": lambda: beta * rxy,
    }
    return funcs[method](), r2, zeros


def _shares(imp: np.ndarray, method: str) -> np.ndarray:
    base = np.abs(imp) if method in _SIGNED else imp
    total = base.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * base / total


def driver_importance(
    data: pd.DataFrame,
    outcome: str | Sequence[str],
    drivers: Sequence[str],
    weights: np.ndarray,
    replicate_weights: np.ndarray | None = None,
    replicate_scale: float = 1.0,
    replicate_rscales: np.ndarray | None = None,
    replicate_mse: bool = False,
    method: Literal[
        "shapley", "relative_weights", "beta", "betasq", "correlation", "first", "last", "pratt"
    ] = "shapley",
    missing: Literal["listwise"] = "listwise",
    min_n: int = 30,
    scales: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
    level: float = 0.95,
    max_exact: int = MAX_EXACT,
    n_permutations: int = 2000,
    seed: int | None = 0,
    warn_collinearity: bool = True,
) -> DriverResult:
    """Relative importance of service drivers for an outcome, with replicate-weight errors.

    Parameters
    ----------
    data : the survey data (not modified).
    outcome : outcome column, or a list of items whose row mean is the outcome index (a
        respondent needs every item).
    drivers : driver columns (numeric).
    weights : survey weight per row of ``data`` (any positive scale; results do not depend on it).
    replicate_weights : ``(n_rows, R)`` replicate weights; then ``se``/CI come from
        ``variance = replicate_scale * sum_r rscales_r (theta_r - centre)^2`` where ``centre`` is
        the full-sample estimate if ``replicate_mse`` else the mean of the replicates.
    method : ``"shapley"`` (LMG, exact up to ``max_exact`` drivers, else permutation sampling
        with ``n_permutations`` orderings and ``seed``), ``"relative_weights"`` (Johnson),
        ``"beta"`` (standardised coefficient), ``"betasq"``, ``"correlation"`` (zero-order),
        ``"first"``, ``"last"``, ``"pratt"``.
    missing : only ``"listwise"``: rows missing the outcome or any driver are dropped.
    min_n : fewer complete cases (with positive weight) raise :class:`DataError`.
    scales : ``(low, high)`` of the rating scale, for all drivers or per driver (dict), to
        express ``performance`` on 0-100.
    level : confidence level of the normal intervals.

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame(rng.integers(1, 6, size=(200, 3)), columns=["wait", "staff", "sat"])
    >>> res = driver_importance(df, "sat", ["wait", "staff"], np.ones(200), scales=(1, 5))
    >>> float(res.table["share"].sum())
    100.0
    >>> res.n
    200
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if method not in METHODS:
        raise DataError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if missing != "listwise":
        raise DataError(f"missing={missing!r} is not supported; only 'listwise'")
    if not 0 < level < 1:
        raise DataError(f"level must be between 0 and 1, got {level}")
    items = [outcome] if isinstance(outcome, str) else list(outcome)
    drivers = list(drivers)
    if not items:
        raise DataError("no outcome column given")
    if not drivers:
        raise DataError("no driver columns given")
    for group, label in ((items, "outcome item"), (drivers, "driver")):
        dup = pd.Index(group)[pd.Index(group).duplicated()]
        if len(dup):
            raise DataError(f"{label} {dup[0]!r} is listed twice")
    both = set(items) & set(drivers)
    if both:
        raise DataError(f"column {sorted(both)[0]!r} is both an outcome and a driver")

    n_rows = len(data)
    for column in (*drivers, *items):
        _check_numeric_column(data, column)
    # one float matrix: drivers, then the outcome index (NaN unless every item is present)
    full = np.empty((n_rows, len(drivers) + 1))
    full[:, : len(drivers)] = data[list(drivers)].to_numpy(dtype=float, na_value=np.nan)
    full[:, -1] = data[list(items)].to_numpy(dtype=float, na_value=np.nan).mean(axis=1)
    if np.isinf(full).any():
        column = ([*drivers, "outcome"])[int(np.flatnonzero(np.isinf(full).any(axis=0))[0])]
        raise DataError(f"column {column!r} has infinite values")
    x, y = full[:, : len(drivers)], full[:, -1]
    w = _weights(weights, n_rows, "weights")
    if w.ndim != 1:
        raise DataError(f"weights must be one column, got shape {w.shape}")
    driver_scales = _scales(scales, drivers)

    driver_missing = np.isnan(x)
    complete = ~np.isnan(y) & ~driver_missing.any(axis=1)
    n_used = int(np.sum(complete & (w > 0)))
    if n_used < min_n:
        raise DataError(
            f"only {n_used} complete cases with positive weight (of {n_rows} rows) for outcome "
            f"{items if len(items) > 1 else items[0]!r} and {len(drivers)} drivers; "
            f"at least {min_n} are needed"
        )
    data_matrix = full if complete.all() else full[complete]
    mean, cov = weighted_moments(data_matrix, w if complete.all() else w[complete])
    var = np.diag(cov)
    names = [*drivers, "outcome"]
    largest = np.abs(data_matrix).max(axis=0)
    for i, v in enumerate(var):
        if not v > 1e-14 * max(1.0, float(largest[i]) ** 2):
            raise DataError(f"{names[i]!r} has no variance among the {n_used} complete cases")
    corr = _to_corr(cov)
    p = len(drivers)
    vif, cond = collinearity(corr, p, warn=False)
    if not np.isfinite(cond):
        raise DataError("the drivers are perfectly collinear; drop redundant ones")
    if warn_collinearity and (np.any(vif > VIF_THRESHOLD) or cond > CONDITION_THRESHOLD):
        worst = drivers[int(np.argmax(vif))]
        warnings.warn(
            f"strong collinearity among drivers: VIF of {worst!r} is {np.max(vif):.3g} "
            f"(threshold {VIF_THRESHOLD:g}), condition number {cond:.3g} "
            f"(threshold {CONDITION_THRESHOLD:g}); importance values may be unstable",
            CollinearityWarning,
            stacklevel=2,
        )

    exact = not (method == "shapley" and p > max_exact)
    perms = None
    if not exact:
        rng = np.random.default_rng(seed)
        perms = rng.permuted(np.tile(np.arange(p), (n_permutations, 1)), axis=1)
    imp, r2, mc_se = _measure(corr[None], method, exact=exact, perms=perms)
    imp, r2, mc_se = imp[0], float(r2[0]), mc_se[0]
    share = _shares(imp, method)
    perf = _performance(mean[:p], driver_scales)

    nan_p = np.full(p, np.nan)
    se = share_se = perf_se = nan_p
    r2_se = math.nan
    rep_imp = None
    n_rep = 0
    z = float(stats.norm.ppf(0.5 + level / 2))
    if replicate_weights is not None:
        rw = np.asarray(replicate_weights, dtype=float)
        if rw.ndim == 1:
            rw = rw[:, None]
        rw = _weights(rw, n_rows, "replicate weights")
        n_rep = rw.shape[1]
        if n_rep < 2:
            raise DataError("need at least 2 replicate weight columns")
        rscales = (
            np.ones(n_rep)
            if replicate_rscales is None
            else np.asarray(replicate_rscales, dtype=float).ravel()
        )
        if rscales.shape != (n_rep,):
            raise DataError(f"replicate_rscales has {rscales.size} values for {n_rep} replicates")
        rmean, rcov = weighted_moments(data_matrix, rw if complete.all() else rw[complete])
        if np.any(np.diagonal(rcov, axis1=1, axis2=2) <= 0):
            raise DataError("a replicate has a driver or the outcome with no variance")
        rimp, rr2, _ = _measure(_to_corr(rcov), method, exact=exact, perms=perms)
        rep_imp = rimp

        def rep_var(theta_r: np.ndarray, theta: np.ndarray) -> np.ndarray:
            centre = theta if replicate_mse else theta_r.mean(axis=0)
            dev = theta_r - centre
            return replicate_scale * np.tensordot(rscales, dev**2, axes=(0, 0))

        se = np.sqrt(rep_var(rimp, imp))
        share_se = np.sqrt(rep_var(_shares(rimp, method), share))
        rperf = _performance(rmean[:, :p], driver_scales)
        perf_se = np.sqrt(rep_var(rperf, perf))
        r2_se = float(np.sqrt(rep_var(rr2, np.asarray(r2))))

    key = np.abs(imp) if method in _SIGNED else imp
    rank = stats.rankdata(-key, method="min").astype(int)
    table = pd.DataFrame(
        {
            "importance": imp,
            "share": share,
            "rank": rank,
            "se": se,
            "ci_low": imp - z * se,
            "ci_high": imp + z * se,
            "share_se": share_se,
            "mc_se": mc_se,
            "mean": mean[:p],
            "performance": perf,
            "performance_se": perf_se,
            "n": n_used,
            "dropped": driver_missing.sum(axis=0).astype(int),
            "vif": vif,
        },
        index=pd.Index(drivers, name="driver"),
    )

    ia, ib = np.triu_indices(p, k=1)
    diff = imp[ia] - imp[ib]
    if rep_imp is not None:
        dse = np.sqrt(rep_var(rep_imp[:, ia] - rep_imp[:, ib], diff))
    else:
        dse = np.full(diff.shape, np.nan)
    pairwise = pd.DataFrame(
        {
            "driver_a": [drivers[i] for i in ia],
            "driver_b": [drivers[i] for i in ib],
            "difference": diff,
            "se": dse,
            "ci_low": diff - z * dse,
            "ci_high": diff + z * dse,
        }
    )
    return DriverResult(
        table=table,
        pairwise=pairwise,
        method=method,
        outcome=items[0] if len(items) == 1 else "mean(" + ", ".join(items) + ")",
        drivers=tuple(drivers),
        r2=r2,
        r2_se=r2_se,
        n=n_used,
        n_rows=n_rows,
        n_dropped=int(n_rows - complete.sum()),
        n_outcome_missing=int(np.isnan(y).sum()),
        condition_number=cond,
        exact=exact,
        n_replicates=n_rep,
        level=level,
        replicate_importance=rep_imp,
    )


def importance_performance(
    result: DriverResult,
    thresholds: Literal["mean", "median"] | tuple[float, float] = "mean",
) -> pd.DataFrame:
    """Importance-performance quadrant of each driver.

    Importance is the driver's ``share`` (percent), performance its 0-100 ``performance`` (or its
    raw weighted ``mean`` when no scales were given).  ``thresholds`` splits them: ``"mean"`` or
    ``"median"`` across drivers, or explicit ``(share_threshold, performance_threshold)``.  A
    value at or above its threshold counts as high.  Quadrants: ``"improve first"`` (high
    importance, low performance), ``"maintain"`` (high, high), ``"lower priority"`` (low, low),
    ``"possible over-investment"`` (low importance, high performance).

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=(300, 2))
    >>> df = pd.DataFrame({"a": x[:, 0] + 3, "b": x[:, 1], "y": 2 * x[:, 0] + x[:, 1]})
    >>> ip = importance_performance(driver_importance(df, "y", ["a", "b"], np.ones(300)))
    >>> ip["quadrant"].tolist()
    ['maintain', 'lower priority']
    """
    t = result.table
    perf = t["performance"]
    perf_label = "performance"
    if perf.isna().all():
        perf = t["mean"]
        perf_label = "mean"
    imp = t["share"]
    if isinstance(thresholds, str):
        if thresholds == "mean":
            ti, tp = float(imp.mean()), float(perf.mean())
        elif thresholds == "median":
            ti, tp = float(imp.median()), float(perf.median())
        else:
            raise DataError(f"thresholds must be 'mean', 'median' or (x, y), got {thresholds!r}")
    else:
        ti, tp = (float(v) for v in thresholds)
    high_i = imp >= ti
    high_p = perf >= tp
    quadrant = np.select(
        [high_i & ~high_p, high_i & high_p, ~high_i & ~high_p],
        ["improve first", "maintain", "lower priority"],
        default="possible over-investment",
    )
    return pd.DataFrame(
        {"share": imp, perf_label: perf, "quadrant": quadrant},
        index=t.index,
    ).assign(importance_threshold=ti, performance_threshold=tp)
