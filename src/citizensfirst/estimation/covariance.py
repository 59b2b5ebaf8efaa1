"""A covariance matrix computed on first use, its diagonal at once.

An estimate's standard errors need only the variances; the joint covariance of every domain's
estimates (for contrasts, tests between domains, ``vcov_frame``) is a (domains x items)-square
product that most calls never read. :class:`DeferredCovariance` keeps the variances and the
function that makes the matrix, and calls it once, on first use.

>>> import numpy as np
>>> cov = DeferredCovariance(np.array([1.0, 4.0]), lambda: np.array([[1.0, 0.5], [0.5, 4.0]]))
>>> variances(cov).tolist(), cov.computed
([1.0, 4.0], False)
>>> covariance_matrix(cov)[0, 1], cov.computed
(np.float64(0.5), True)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["DeferredCovariance", "covariance_matrix", "variances"]


class DeferredCovariance:
    """Variances now, the covariance matrix on first use (then kept).

    Parameters
    ----------
    variance : numpy.ndarray
        The matrix's diagonal.
    compute : callable
        Makes the full matrix (called at most once).
    """

    def __init__(self, variance: np.ndarray, compute: Callable[[], np.ndarray]) -> None:
        self.variance = np.asarray(variance, dtype=float)
        self._compute: Callable[[], np.ndarray] | None = compute
        self._matrix: np.ndarray | None = None

    @property
    def computed(self) -> bool:
        """Whether the full matrix has been made.

        Returns
        -------
        bool
            True after the first :meth:`matrix`.
        """
        return self._matrix is not None

    def matrix(self) -> np.ndarray:
        """The full covariance matrix (made on the first call; its inputs are then released).

        Returns
        -------
        numpy.ndarray
            The (k, k) matrix.
        """
        if self._matrix is None:
            assert self._compute is not None
            self._matrix = np.asarray(self._compute(), dtype=float)
            self._compute = None
        return self._matrix


def variances(cov: np.ndarray | DeferredCovariance) -> np.ndarray:
    """The diagonal of a covariance, matrix or deferred.

    Parameters
    ----------
    cov : numpy.ndarray or DeferredCovariance
        The covariance.

    Returns
    -------
    numpy.ndarray
        The variances.
    """
    return cov.variance if isinstance(cov, DeferredCovariance) else np.diag(cov)


def covariance_matrix(cov: np.ndarray | DeferredCovariance) -> np.ndarray:
    """A covariance as a matrix (a deferred one is made now).

    Parameters
    ----------
    cov : numpy.ndarray or DeferredCovariance
        The covariance.

    Returns
    -------
    numpy.ndarray
        The matrix.
    """
    return cov.matrix() if isinstance(cov, DeferredCovariance) else cov
