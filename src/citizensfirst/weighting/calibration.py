"""Numerical core of weighting: the generalised-raking solver and the variance residualisers.

``solve_g`` finds g-weights ``g = 1 + F(X eta)`` so that ``sum_i w_i g_i x_i = T`` by Newton's
method with a pseudo-inverse step and step halving, for the calibration functions of Deville &
Särndal (1992): linear (GREG, optionally truncated to bounds), raking (exponential, optionally
truncated) and logit (bounded). The iteration, its stopping rule
``max |misfit| / (1 + |T|) < tol`` and the rescaling of very small starting weights follow R's
``survey::grake`` so that results agree with R's ``calibrate``.

Residualisers turn influence values into residuals on the calibration model, which is how
Taylor-linearised variances account for weighting (R's ``svyrecvar`` with ``postStrata``).

>>> import numpy as np
>>> X = np.array([[1.0, 0], [1, 0], [1, 1], [1, 1]])
>>> g, iterations = solve_g(X, np.ones(4), np.array([10.0, 6.0]), "linear")
>>> g.round(3).tolist()
[2.0, 2.0, 3.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..design.groups import group_sums
from ..errors import ConvergenceError

CALFUNS = ("linear", "raking", "logit")
_EPS = np.finfo(float).eps


def _calfun(method: str, lower: float, upper: float) -> tuple[Callable[[np.ndarray], np.ndarray],
                                                               Callable[[np.ndarray], np.ndarray]]:
    """(F(u), F'(u)) of the calibration function, with g = 1 + F(u)."""
    if method == "linear":
        def f(u: np.ndarray) -> np.ndarray:
            return np.minimum(np.maximum(u + 1, lower), upper) - 1

        def df(u: np.ndarray) -> np.ndarray:
            return ((u < upper - 1) & (u > lower - 1)).astype(float)
    elif method == "raking":
        def f(u: np.ndarray) -> np.ndarray:
            return np.minimum(np.maximum(np.exp(u), lower), upper) - 1

        def df(u: np.ndarray) -> np.ndarray:
            # zero where g = exp(u) is clipped. (R's cal.raking compares u itself with the bounds
            # minus one, which zeroes the derivative of every weight with g < exp(lower - 1) and
            # stalls Newton's method far from g = 1; the clipping rule here is the exact one.)
            e = np.exp(u)
            return np.where((e < upper) & (e > lower), e, 0.0)
    elif method == "logit":
        if not (np.isfinite(lower) and np.isfinite(upper)):
            raise ValueError("logit calibration needs finite bounds (lower < 1 < upper)")
        a = (upper - lower) / ((upper - 1) * (1 - lower))

        def f(u: np.ndarray) -> np.ndarray:
            e = np.exp(a * u)
            return (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1

        def df(u: np.ndarray) -> np.ndarray:
            e = np.exp(a * u)
            den = upper - 1 + (1 - lower) * e
            return upper * (1 - lower) * e * a / den - (
                (lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * a)
            ) / den**2
    else:
        raise ValueError(f"method must be one of {CALFUNS}, got {method!r}")
    return f, df


def solve_g(
    X: np.ndarray,
    w: np.ndarray,
    totals: np.ndarray,
    method: str = "linear",
    bounds: tuple[float, float] = (-np.inf, np.inf),
    max_iter: int = 50,
    tol: float = 1e-7,
    strict: bool = True,
) -> tuple[np.ndarray, int]:
    """g-weights calibrating ``w`` on the columns of ``X`` to ``totals``; (g, iterations).

    The iteration starts at g = 1 exactly as R's ``grake``. With bounds, Newton's method can
    stall once weights reach a bound (they stop contributing to the Jacobian); if it does, the
    solve is restarted from the unbounded solution, which finds the bounded one whenever it
    exists. Raises :class:`ConvergenceError` (with the worst misfits) when the targets cannot be
    met, unless ``strict`` is False; then the last iterate is returned with ``iterations = -1``
    (R's behaviour for replicate weights, where a failure is only warned about).

    Parameters
    ----------
    X : numpy.ndarray
        (n, p) calibration variables.
    w : numpy.ndarray
        The n starting weights.
    totals : numpy.ndarray
        The p target totals.
    method : str, default "linear"
        Calibration function: one of ``CALFUNS``.
    bounds : tuple of (float, float), default (-inf, inf)
        Lower and upper bounds on g.
    max_iter : int, default 50
        Maximum Newton iterations.
    tol : float, default 1e-7
        Tolerance on the relative misfit of each total.
    strict : bool, default True
        Raise when the targets are not met; otherwise return the last iterate.

    Returns
    -------
    tuple of (numpy.ndarray, int)
        The g-weights and the iterations used (-1 when not converged and not ``strict``).

    Raises
    ------
    ConvergenceError
        When the targets cannot be met and ``strict`` is True.
    """
    moments = ArrayMoments(X, w, method, bounds)
    eta, iterations, rescale = solve_eta(moments, totals, method, bounds, max_iter, tol, strict)
    f, _ = _calfun(method, *bounds)
    with np.errstate(over="ignore", invalid="ignore"):
        g = 1 + f(X @ eta)
    return g * (rescale or 1.0), iterations


class Moments(Protocol):
    """The sums Newton's method needs from the rows: ``X' w``, ``X' (w F(X eta))`` and
    ``X' (w F'(X eta)) X``. :class:`ArrayMoments` computes them from arrays; a lazy design
    computes them by one aggregation query per ``eta``."""

    def weight_totals(self) -> np.ndarray:
        """``X' w``.

        Returns
        -------
        numpy.ndarray
            The (p,) totals.
        """

    def rescaled(self, factor: float) -> Moments:
        """The same rows with every weight multiplied by ``factor``.

        Parameters
        ----------
        factor : float
            The factor.

        Returns
        -------
        Moments
            New moments.
        """

    def with_calfun(self, method: str, bounds: tuple[float, float]) -> Moments:
        """The same rows and weights with another calibration function.

        Parameters
        ----------
        method : str
            The calibration function.
        bounds : tuple of (float, float)
            Bounds on g.

        Returns
        -------
        Moments
            New moments.
        """

    def evaluate(self, eta: np.ndarray) -> tuple[bool, np.ndarray]:
        """At ``eta``: whether every g and F' is finite, and ``X' (w F(X eta))``.

        Parameters
        ----------
        eta : numpy.ndarray
            The coefficients.

        Returns
        -------
        tuple of (bool, numpy.ndarray)
            Finiteness and the fitted totals.
        """

    def jacobian(self) -> np.ndarray:
        """``X' (w F'(X eta)) X`` at the last evaluated ``eta``.

        Returns
        -------
        numpy.ndarray
            The (p, p) matrix.
        """


class ArrayMoments:
    """:class:`Moments` of an in-memory model matrix ``X`` and weights ``w``.

    Parameters
    ----------
    X : numpy.ndarray
        (n, p) calibration variables.
    w : numpy.ndarray
        The n weights.
    method : str
        Calibration function: one of ``CALFUNS``.
    bounds : tuple of (float, float)
        Bounds on g.
    """

    def __init__(self, X: np.ndarray, w: np.ndarray, method: str, bounds: tuple[float, float]) -> None:
        self.X, self.w, self.method, self.bounds = X, w, method, bounds
        self.f, self.df = _calfun(method, *bounds)
        self.deriv = np.zeros(len(w))

    def weight_totals(self) -> np.ndarray:
        """``X' w``.

        Returns
        -------
        numpy.ndarray
            The (p,) weighted totals.
        """
        return self.X.T @ self.w

    def rescaled(self, factor: float) -> ArrayMoments:
        """The moments of ``w * factor``.

        Parameters
        ----------
        factor : float
            The rescaling factor.

        Returns
        -------
        ArrayMoments
            New moments.
        """
        return ArrayMoments(self.X, self.w * factor, self.method, self.bounds)

    def with_calfun(self, method: str, bounds: tuple[float, float]) -> ArrayMoments:
        """The moments of the same rows with another calibration function.

        Parameters
        ----------
        method : str
            Calibration function.
        bounds : tuple of (float, float)
            Bounds on g.

        Returns
        -------
        ArrayMoments
            New moments.
        """
        return ArrayMoments(self.X, self.w, method, bounds)

    def evaluate(self, eta: np.ndarray) -> tuple[bool, np.ndarray]:
        """Finiteness of g and F', and ``X' (w F(X eta))``.

        Parameters
        ----------
        eta : numpy.ndarray
            The (p,) Lagrange multipliers.

        Returns
        -------
        tuple of (bool, numpy.ndarray)
            Whether every g and F' is finite, and the fitted totals minus ``X' w``.
        """
        u = self.X @ eta
        fu = self.f(u)
        self.deriv = self.df(u)
        finite = bool(np.all(np.isfinite(1 + fu)) and np.all(np.isfinite(self.deriv)))
        return finite, self.X.T @ (self.w * fu)

    def jacobian(self) -> np.ndarray:
        """``X' (w F'(X eta)) X`` at the last evaluated ``eta``.

        Returns
        -------
        numpy.ndarray
            The (p, p) matrix.
        """
        return (self.X * (self.w * self.deriv)[:, None]).T @ self.X


def solve_eta(
    moments: Moments, totals: np.ndarray, method: str, bounds: tuple[float, float], max_iter: int,
    tol: float, strict: bool = True,
) -> tuple[np.ndarray, int, float | None]:
    """:func:`solve_g` on any :class:`Moments`: (eta, iterations or -1, rescale or None).

    The g-weights are ``(1 + F(X eta)) * rescale`` (rescale 1 when None).

    Parameters
    ----------
    moments : Moments
        The sums of the rows.
    totals : numpy.ndarray
        The p target totals.
    method : str
        Calibration function: one of ``CALFUNS``.
    bounds : tuple of (float, float)
        Lower and upper bounds on g.
    max_iter : int
        Maximum Newton iterations.
    tol : float
        Tolerance on the relative misfit of each total.
    strict : bool, default True
        Raise when the targets are not met; otherwise return the last iterate.

    Returns
    -------
    tuple
        ``(eta, iterations, rescale)``; iterations is -1 when not converged and not ``strict``.

    Raises
    ------
    ConvergenceError
        When the targets cannot be met and ``strict`` is True.
    """
    start = np.zeros(len(totals))
    iterations, eta, relative, rescale = _newton(moments, totals, method, bounds, max_iter, tol, start)
    bounded = np.isfinite(bounds[0]) or np.isfinite(bounds[1])
    if iterations < 0 and bounded:
        free = "linear" if method == "linear" else "raking"
        free_moments = moments.with_calfun(free, (-np.inf, np.inf))
        free_iterations, free_eta, _, _ = _newton(free_moments, totals, free, (-np.inf, np.inf), max_iter,
                                                  tol, start)
        if free_iterations > 0:
            iterations, eta, relative, rescale = _newton(moments, totals, method, bounds, max_iter, tol,
                                                         free_eta)
    if iterations < 0:
        if not strict:
            return eta, -1, rescale
        worst = np.argsort(-relative)[:5]
        raise ConvergenceError(
            f"calibration ({method}) did not reach its targets in {max_iter} iterations; "
            f"worst relative misfits (column: misfit) {[(int(j), float(relative[j])) for j in worst]}"
            + ("; the bounds may be too tight to meet the targets" if bounded else "")
        )
    return eta, iterations, rescale


def _newton(
    moments: Moments, totals: np.ndarray, method: str, bounds: tuple[float, float],
    max_iter: int, tol: float, eta: np.ndarray,
) -> tuple[int, np.ndarray, np.ndarray, float | None]:
    """Newton iterations of ``grake`` from ``eta``: (iterations or -1, eta, relative misfits, rescale)."""
    sample_total = moments.weight_totals()
    rescale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = totals / sample_total
    if np.all(np.isfinite(ratios)) and ratios.min() > 20:  # as grake: start from sensible weights
        rescale = float(np.mean(ratios))
        moments = moments.rescaled(rescale)
        sample_total = sample_total * rescale
    # overflow of exp() far from the solution gives non-finite g: the step is halved (as grake),
    # so numpy's overflow warnings are noise here; a non-finite end state fails the misfit test
    with np.errstate(over="ignore", invalid="ignore"):
        _, fitted = moments.evaluate(eta)
        iteration = 1
        while True:
            misfit = totals - sample_total - fitted
            step = np.linalg.pinv(moments.jacobian(), rcond=256 * _EPS) @ misfit
            eta = eta + step
            finite, fitted = moments.evaluate(eta)
            while iteration < max_iter and not finite:
                iteration += 1
                step = step / 2
                eta = eta - step
                finite, fitted = moments.evaluate(eta)
            misfit = totals - sample_total - fitted
            relative = np.abs(misfit) / (1 + np.abs(totals))
            if np.all(relative < tol):
                break
            iteration += 1
            if iteration > max_iter:
                return -1, eta, relative, rescale
    return iteration, eta, relative, rescale


# ------------------------------------------------------------------------- residualisers


@dataclass(frozen=True)
class GregResiduals:
    """Residuals on a calibration model: ``r = resid(Q, x / v) * v`` (R's ``greg_calibration``).

    ``basis`` is an orthonormal basis of ``X * sqrt(w_base)`` and ``scale`` = ``g * sqrt(w_base)``.
    """

    basis: np.ndarray
    scale: np.ndarray

    @classmethod
    def build(cls, X: np.ndarray, base_weights: np.ndarray, g: np.ndarray) -> GregResiduals:
        """Build the residualiser from the calibration model.

        Parameters
        ----------
        X : numpy.ndarray
            (n, p) calibration variables.
        base_weights : numpy.ndarray
            The weights before calibration.
        g : numpy.ndarray
            The g-weights.

        Returns
        -------
        GregResiduals
            The residualiser (columns of ``X`` that are collinear are dropped from the basis).
        """
        whalf = np.sqrt(base_weights)
        q, r = np.linalg.qr(X * whalf[:, None])
        diag = np.abs(np.diag(r))
        keep = diag > 1e-7 * diag.max() if diag.size else diag.astype(bool)
        return cls(q[:, keep], g * whalf)

    def residualize(self, scores: np.ndarray) -> np.ndarray:
        """Residuals of the scores on the calibration model.

        Parameters
        ----------
        scores : numpy.ndarray
            (n, k) influence scores.

        Returns
        -------
        numpy.ndarray
            The (n, k) residualised scores.
        """
        z = scores / self.scale[:, None]
        z = z - self.basis @ (self.basis.T @ z)
        return z * self.scale[:, None]


@dataclass(frozen=True)
class PostStratumResiduals:
    """Post-stratification: remove old-weighted post-stratum means (R's ``postStratify``)."""

    cells: np.ndarray
    n_cells: int
    old_weights: np.ndarray
    new_weights: np.ndarray

    def residualize(self, scores: np.ndarray) -> np.ndarray:
        """Remove the post-stratum means from the scores.

        Parameters
        ----------
        scores : numpy.ndarray
            (n, k) influence scores.

        Returns
        -------
        numpy.ndarray
            The (n, k) residualised scores.
        """
        sums = group_sums(self.cells, scores * (self.old_weights / self.new_weights)[:, None], self.n_cells)
        means = sums / np.bincount(self.cells, weights=self.old_weights, minlength=self.n_cells)[:, None]
        return scores - means[self.cells] * self.new_weights[:, None]


@dataclass(frozen=True)
class RakingResiduals:
    """Raking: ten sweeps removing each margin's mean of x / w (R's ``raking`` post-strata).

    The weights after each margin's last adjustment are the base weight times a factor of the
    row's cell (its combination of margin levels), so the sweeps run on the cell table
    (:func:`raking_offsets`) and the rows are read twice, not twice per sweep and margin.
    ``cell`` is every row's cell, ``base`` its weight before raking; per margin, ``levels``
    (cell -> level code), ``sizes`` (number of levels) and ``factors`` (cell factor just after
    the margin's last adjustment).
    """

    cell: np.ndarray
    base: np.ndarray
    levels: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    factors: tuple[np.ndarray, ...]
    sweeps: int = 10

    def residualize(self, scores: np.ndarray) -> np.ndarray:
        """Remove the raking margins' means from the scores, ``sweeps`` times.

        Parameters
        ----------
        scores : numpy.ndarray
            (n, k) influence scores.

        Returns
        -------
        numpy.ndarray
            The (n, k) residualised scores.
        """
        n_cells = len(self.factors[0]) if self.factors else 0
        counts = np.bincount(self.cell, minlength=n_cells).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            sums = group_sums(self.cell, scores / self.base[:, None], n_cells)
        offsets = raking_offsets(sums, counts, self.levels, self.sizes, self.factors, self.sweeps)
        return scores - self.base[:, None] * offsets[self.cell]


def raking_offsets(sums: np.ndarray, counts: np.ndarray, levels: tuple[np.ndarray, ...],
                   sizes: tuple[int, ...], factors: tuple[np.ndarray, ...], sweeps: int = 10) -> np.ndarray:
    """The raking residualiser's sweeps on the cell table: per cell, the offset ``h`` such that a
    row of cell ``c`` with base weight ``w0`` loses ``w0 * h[c]`` from its score.

    A sweep removes, margin by margin, each level's mean of ``x / w_m`` (``w_m = w0 * factor``,
    the weights just after that margin's last adjustment) times ``w_m``. With ``x = z - w0 h``
    every quantity is a sum over the cell table: ``sum x / w_m = (S - n h) / factor`` by cell, where
    ``S`` are the cells' sums of ``z / w0`` and ``n`` their row counts.

    Parameters
    ----------
    sums : numpy.ndarray
        (cells, k) sums of ``z / w0``.
    counts : numpy.ndarray
        Rows per cell.
    levels : tuple of numpy.ndarray
        Per margin, each cell's level code.
    sizes : tuple of int
        Per margin, the number of levels.
    factors : tuple of numpy.ndarray
        Per margin, each cell's factor just after the margin's last adjustment.
    sweeps : int, default 10
        Number of sweeps (R's ``raking`` uses 10).

    Returns
    -------
    numpy.ndarray
        The (cells, k) offsets.

    Examples
    --------
    >>> h = raking_offsets(np.array([[2.0], [4.0]]), np.array([1.0, 1.0]), (np.array([0, 0]),), (1,),
    ...                    (np.array([1.0, 1.0]),))
    >>> h.ravel().tolist()  # one margin, one level: the mean of z / w0 is removed
    [3.0, 3.0]
    """
    offsets = np.zeros_like(sums, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(sweeps):
            for codes, size, factor in zip(levels, sizes, factors, strict=True):
                level_counts = np.bincount(codes, weights=counts, minlength=size)
                ratio = (sums - counts[:, None] * offsets) / factor[:, None]
                means = group_sums(codes, ratio, size) / level_counts[:, None]
                offsets = offsets + factor[:, None] * means[codes]
    return offsets
