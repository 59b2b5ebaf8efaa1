"""The two row-free kernels of ratio estimators: influence values of a ratio or total, and the
variance under simple random sampling (for design effects) from a domain's weighted sums.

They take sums, not respondents, so the in-memory engine (:mod:`citizensfirst.estimation.engine`)
and the lazy designs (:mod:`citizensfirst.lazy.sums`, sums computed by a database) share them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ratio_influence", "srs_variance"]


def ratio_influence(wy: np.ndarray, wx: np.ndarray | None, est: np.ndarray) -> np.ndarray:
    """Linearised values of a ratio (``(w y - R w x) / X``) or a total (``w y``).

    Parameters
    ----------
    wy : numpy.ndarray
        Weighted numerators (rows or cluster totals) per item.
    wx : numpy.ndarray or None
        Weighted denominators of the same shape (None: totals).
    est : numpy.ndarray
        The ratio of every item.

    Returns
    -------
    numpy.ndarray
        The influence values, shaped as ``wy``.
    """
    if wx is None:
        return wy
    with np.errstate(divide="ignore", invalid="ignore"):
        return (wy - est * wx) / wx.sum(axis=0)


def srs_variance(psum: np.ndarray, nobs: np.ndarray, wy: np.ndarray, wyy: np.ndarray,
                 est: np.ndarray, deff: str | None, *, wx: np.ndarray | None = None,
                 wxx: np.ndarray | None = None, wxy: np.ndarray | None = None) -> np.ndarray:
    """Variance under simple random sampling of the same size, per item (R's deff convention),
    from the domain's weighted sums (so a lazy design can pass sums computed by a database).

    Parameters
    ----------
    psum : numpy.ndarray
        Sum of the weights of the rows where each item is used.
    nobs : numpy.ndarray
        Number of those rows.
    wy, wyy : numpy.ndarray
        Sums of ``w y`` and ``w y^2``.
    est : numpy.ndarray
        The estimates (ratios; ignored for totals).
    deff : str or None
        ``'srswor'``, ``'replace'`` or None (no design effect: NaN).
    wx, wxx, wxy : numpy.ndarray, optional
        Sums of ``w x``, ``w x^2`` and ``w x y`` for ratios and means (None for totals).

    Returns
    -------
    numpy.ndarray
        The SRS variance of every item.

    Examples
    --------
    >>> one = np.array([4.0])
    >>> srs_variance(one, one, np.array([10.0]), np.array([30.0]), np.array([np.nan]), "replace")
    array([6.66666667])
    """
    if not deff:
        return np.full(len(psum), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if wx is None or wxx is None or wxy is None:
            centre = wy / psum
            ss = wyy - centre * wy
            scale = psum**2
        else:
            ss = wyy - 2 * est * wxy + est**2 * wxx
            scale = psum**2 / wx**2
        s2 = np.maximum(ss, 0.0) / psum * nobs / (nobs - 1)
        vsrs = s2 * scale / nobs
        if deff != "replace":
            vsrs = vsrs * (psum - nobs) / psum
    return vsrs
