"""Weighted quantile rules, as ``svyquantile(qrule=...)`` in R's ``survey`` package (>= 4.1).

Zero weights are dropped first. With the values sorted (stable for ties), cumulative weights
``C_k`` and total ``T``, let ``k`` be the last position with ``C_k <= pT`` (the first when there
is none):

* ``math`` (= ``hf1``): the value at ``k`` if ``C_k = pT`` exactly, else the next one;
* ``school`` (= ``hf2``): the average of the two in the exact case, else the next one;
* ``hf3``, ``hf4``: Hyndman & Fan's rules with weights (hf3 on the weight-aggregated distinct values);
* ``hf5`` .. ``hf9``, ``shahvaish``: interpolation between plotting positions built from the
  cumulative weights, as R's ``qrule_hf5`` ... ``qrule_hf9`` and ``qrule_shahvaish``.

Cumulative sums are accumulated in extended precision and rounded to double, as R does, so that
exact ties such as ``C_k = pT`` are decided the same way.

>>> import numpy as np
>>> x, w = np.array([3.0, 1.0, 2.0, 4.0]), np.ones(4)
>>> float(quantile(x, w, 0.5, "math")), float(quantile(x, w, 0.5, "school"))
(2.0, 2.5)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

RULES = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9")


def _cumsum(w: np.ndarray) -> np.ndarray:
    return np.cumsum(w.astype(np.longdouble)).astype(np.float64)


def _total(w: np.ndarray) -> float:
    return float(np.sum(w.astype(np.longdouble)))


def _bracket(x: np.ndarray, w: np.ndarray, p: float) -> tuple[float, float, int, float, float]:
    """Sorted-data bracket: (q_low, q_up, 1-based index of q_low, w_low, w_up)."""
    cumw = _cumsum(w)
    total = _total(w)
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if len(below) else 0
    nxt = pos if pos == len(x) - 1 else pos + 1
    return x[pos], x[nxt], pos + 1, p - cumw[pos] / total, cumw[nxt] / total - p


def _math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    low, up, _, wlow, _ = _bracket(x, w, p)
    return low if wlow == 0 else up


def _school(x: np.ndarray, w: np.ndarray, p: float) -> float:
    low, up, _, wlow, _ = _bracket(x, w, p)
    return (low + up) / 2 if wlow == 0 else up


def _hf3(x: np.ndarray, w: np.ndarray, p: float) -> float:
    values, inverse = np.unique(x, return_inverse=True)
    weights = np.bincount(inverse, weights=w)
    low, up, ilow, wlow, _ = _bracket(values, weights, p)
    return low if wlow == 0 and ilow % 2 == 0 else up


def _hf4(x: np.ndarray, w: np.ndarray, p: float) -> float:
    low, up, _, wlow, wup = _bracket(x, w, p)
    gamma = wlow / (wup + wlow)
    return low * (1 - gamma) + up * gamma


def _interpolated(positions: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Callable[..., float]:
    def rule(x: np.ndarray, w: np.ndarray, p: float) -> float:
        if len(x) == 1:
            return float(x[0])
        return float(np.interp(p, positions(_cumsum(w), w), x))

    return rule


def _shahvaish(x: np.ndarray, w: np.ndarray, p: float, n: int | None = None,
               mean: float | None = None) -> float:
    n = len(x) if n is None else n
    if n == 1:
        return float(x[0])
    s = _cumsum(w / (np.mean(w) if mean is None else mean))
    pk = (s + 0.5 - w / 2) / (n + 1)  # as R: not monotone in general, so sort as approx() does
    knots, inverse = np.unique(pk, return_inverse=True)
    values = np.bincount(inverse, weights=x) / np.bincount(inverse)  # ties: mean, as approx()
    idx = np.searchsorted(knots, p, side="right") - 1
    return float(values[max(int(idx), 0)])


def _previous(cumw: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], cumw[:-1]])


_RULES: dict[str, Callable[..., float]] = {
    "math": _math,
    "hf1": _math,
    "school": _school,
    "hf2": _school,
    "hf3": _hf3,
    "hf4": _hf4,
    "hf5": _interpolated(lambda c, w: (c - w / 2) / c[-1]),
    "hf6": _interpolated(lambda c, w: c / (c[-1] + w[-1])),
    "hf7": _interpolated(lambda c, w: _previous(c) / c[-2]),
    "hf8": _interpolated(lambda c, w: (_previous(c) / 3 + c * 2 / 3) / (c[-1] + w[-1] / 3)),
    "hf9": _interpolated(lambda c, w: (_previous(c) * 3 / 8 + c * 5 / 8) / (c[-1] + w[-1] / 4)),
    "shahvaish": _shahvaish,
}


def quantile(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """The weighted ``p`` quantile of ``x`` under ``rule`` (NaN-free inputs).

    Parameters
    ----------
    x : numpy.ndarray
        Values.
    w : numpy.ndarray
        Their weights.
    p : float
        Probability in [0, 1].
    rule : str, default 'math'
        One of :data:`RULES`.

    Returns
    -------
    float
        The quantile (NaN when no value has a positive weight).

    Raises
    ------
    ValueError
        If ``rule`` is unknown.
    """
    xs, ws = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    order = np.argsort(xs, kind="stable")
    return sorted_quantile(xs[order], ws[order], p, rule)


def sorted_quantile(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math", *,
                    count: int | None = None, total: float | None = None) -> float:
    """:func:`quantile` of a table already sorted by value (ties in row order).

    A lazy design passes a short table whose rows far from the quantile stand for many rows
    (their weights summed); ``count`` and ``total`` are then the number of rows and the weight
    the table stands for, which ``shahvaish`` needs (its ``n`` and mean weight).

    Parameters
    ----------
    x : numpy.ndarray
        Values, sorted.
    w : numpy.ndarray
        Their weights (zero weights are dropped).
    p : float
        Probability in [0, 1].
    rule : str, default 'math'
        One of :data:`RULES`.
    count : int, optional
        Number of rows the table stands for (default: its length).
    total : float, optional
        Their total weight, with ``count`` (default: the table's).

    Returns
    -------
    float
        The quantile (NaN when no value has a positive weight).

    Raises
    ------
    ValueError
        If ``rule`` is unknown.

    Examples
    --------
    >>> float(sorted_quantile(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 1.0]), 0.5))
    1.0
    """
    try:
        fn = _RULES[rule]
    except KeyError:
        raise ValueError(f"quantile rule must be one of {RULES}, got {rule!r}") from None
    keep = w != 0
    xs, ws = x[keep], w[keep]
    if len(xs) == 0:
        return float("nan")
    if rule == "shahvaish" and count is not None:
        return _shahvaish(xs, ws, p, count, None if total is None else total / count)
    return float(fn(xs, ws, p))
