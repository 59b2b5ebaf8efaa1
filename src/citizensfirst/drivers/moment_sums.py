"""Weighted means and covariances from weighted sums: the last step of every driver moment.

The in-memory moments (:func:`~citizensfirst.drivers.measures.weighted_moments`,
:func:`~citizensfirst.drivers.measures.grouped_moments`) and the lazy designs (sums from a
backend) both end here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["moments_from_sums"]


def moments_from_sums(sw: np.ndarray, s1: np.ndarray, s2: np.ndarray,
                      shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariances from the sums of the weights, of ``w x`` and of the upper triangle
    of ``w x x'`` (``x`` centred on ``shift``), one row per weight column.

    Parameters
    ----------
    sw : numpy.ndarray
        ``(m,)`` sums of the weights.
    s1 : numpy.ndarray
        ``(m, q)`` sums of ``w (x - shift)``.
    s2 : numpy.ndarray
        ``(m, q (q + 1) / 2)`` sums of ``w (x_a - shift_a)(x_b - shift_b)``, ``a <= b`` in
        ``numpy.triu_indices`` order.
    shift : numpy.ndarray
        ``(q,)`` the centre of ``x``.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The ``(m, q)`` means and ``(m, q, q)`` covariances (divisor: the sum of the weights).

    Examples
    --------
    >>> mean, cov = moments_from_sums(np.array([2.0]), np.array([[1.0]]), np.array([[1.0]]), np.array([0.0]))
    >>> mean.tolist(), cov.tolist()
    ([[0.5]], [[[0.25]]])
    """
    q = s1.shape[1]
    iu0, iu1 = np.triu_indices(q)
    mc = s1 / sw[:, None]
    tri = s2 / sw[:, None] - mc[:, iu0] * mc[:, iu1]
    cov = np.empty((len(sw), q, q))
    cov[:, iu0, iu1] = tri
    cov[:, iu1, iu0] = tri
    return mc + shift, cov
