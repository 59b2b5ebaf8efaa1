"""Regression-based driver measures on a correlation matrix: betas, first/last, Pratt, relative weights, collinearity."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..errors import DataError
from .measures import (
    COLLINEAR_TOL,
    CONDITION_THRESHOLD,
    VIF_THRESHOLD,
    CollinearityWarning,
    split_corr,
    to_corr,
)


def solve_spd(rxx: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``rxx x = b`` for a predictor correlation matrix (or a stack of them).

    Parameters
    ----------
    rxx : numpy.ndarray
        Predictor correlation matrix ``(..., p, p)``.
    b : numpy.ndarray
        Right-hand side ``(..., p)``.

    Returns
    -------
    numpy.ndarray
        The solution ``(..., p)``.

    Raises
    ------
    DataError
        When the predictors are perfectly collinear.
    """
    try:
        return np.linalg.solve(rxx, b[..., None])[..., 0]
    except np.linalg.LinAlgError as err:
        raise DataError("the predictors are perfectly collinear; drop redundant ones") from err


def zero_order(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Zero-order (simple) correlations of each predictor with the outcome.

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
        The correlation of each predictor with the outcome.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> zero_order(corr, 2).tolist()
    [0.6, 0.3]
    """
    return split_corr(corr, outcome_index)[1]


def standardized_betas(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Standardised regression coefficients ``R_xx^{-1} r_xy`` of the full model.

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
        The standardised coefficient of each predictor.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> standardized_betas(corr, 2).round(4).tolist()
    [0.6, 0.0]
    """
    rxx, rxy = split_corr(corr, outcome_index)
    return solve_spd(rxx, rxy)


def first(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """R^2 of each predictor alone (squared zero-order correlation; relaimpo's ``first``).

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
        The R^2 of each predictor alone.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> first(corr, 2).round(4).tolist()
    [0.36, 0.09]
    """
    return zero_order(corr, outcome_index) ** 2


def last(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Increase in R^2 when each predictor enters last (relaimpo's ``last``).

    Equals ``beta_j^2 / (R_xx^{-1})_jj`` (squared semipartial correlation).

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
        The increase in R^2 of each predictor entering last.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> last(corr, 2).round(4).tolist()
    [0.27, 0.0]
    """
    rxx, rxy = split_corr(corr, outcome_index)
    beta = solve_spd(rxx, rxy)
    inv_diag = np.diagonal(np.linalg.inv(rxx), axis1=-2, axis2=-1)
    return beta**2 / inv_diag


def betasq(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Squared standardised coefficients (relaimpo's ``betasq``).

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
        The squared standardised coefficient of each predictor.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> betasq(corr, 2).round(4).tolist()
    [0.36, 0.0]
    """
    return standardized_betas(corr, outcome_index) ** 2


def pratt(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Pratt's measure: standardised coefficient times zero-order correlation; sums to R^2.

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
        The Pratt measure of each predictor.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> pratt(corr, 2).round(4).tolist()
    [0.36, 0.0]
    """
    rxx, rxy = split_corr(corr, outcome_index)
    return solve_spd(rxx, rxy) * rxy


def relative_weights(corr: np.ndarray, outcome_index: int) -> np.ndarray:
    """Johnson's (2000) relative weights; they sum to the full-model R^2.

    With ``R_xx = V diag(l) V'``, the predictors are replaced by their closest orthonormal
    counterparts ``Z``; ``L = V diag(sqrt(l)) V'`` holds the correlations of ``X`` with ``Z`` and
    ``b = L^{-1} r_xy`` the coefficients of the outcome on ``Z``; weight ``j`` is
    ``sum_k L_jk^2 b_k^2``.

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
        The relative weight of each predictor.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> relative_weights(corr, 2).round(4).tolist()
    [0.315, 0.045]
    """
    rxx, rxy = split_corr(corr, outcome_index)
    lam, vec = np.linalg.eigh(rxx)
    if np.any(lam <= COLLINEAR_TOL * lam[..., -1:]):
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

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation or covariance matrix ``(q, q)``.
    outcome_index : int or None, optional
        Row/column of the outcome; None means ``corr`` holds predictors only.
    warn : bool, default True
        Issue a :class:`CollinearityWarning` above the thresholds.

    Returns
    -------
    tuple of (numpy.ndarray, float)
        The VIF of each predictor and the condition number.

    Examples
    --------
    >>> corr = np.array([[1.0, 0.5, 0.6], [0.5, 1.0, 0.3], [0.6, 0.3, 1.0]])
    >>> vif, cond = collinearity(corr, 2)
    >>> vif.round(4).tolist(), round(cond, 4)
    ([1.3333, 1.3333], 1.7321)
    """
    if outcome_index is None:
        rxx = to_corr(np.asarray(corr, dtype=float))
    else:
        rxx = split_corr(corr, outcome_index)[0]
    if rxx.ndim != 2:
        raise DataError("collinearity takes one matrix")
    lam = np.linalg.eigvalsh(rxx)
    if lam[0] <= COLLINEAR_TOL * lam[-1]:
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
