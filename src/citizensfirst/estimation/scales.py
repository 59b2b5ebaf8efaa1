"""Rating scales: the one place where the 0-100 rescale and the top/bottom-box rule are written.

A :class:`Scale` is the ``(low, high)`` range of a rating item (from the codebook's ``scale`` or
given by the caller). Every layer that rescales or boxes ratings calls it: ``scores``
(:func:`~citizensfirst.scores.to_100`, top/bottom box, the Service Quality Score), ``tables``
(``stat="top2"`` and ``"score"``), ``drivers`` (performance), the trend chart's ``score_table``
and the report's trend scores.

Values outside the scale are handled one way everywhere: **ratings** (respondents' answers) outside
``[low, high]`` raise :class:`~citizensfirst.errors.DataError` naming the variable and the values
(usually a don't-know or not-applicable code that the codebook does not declare missing). NaN
(missing, don't know, refused, N/A after :func:`~citizensfirst.io.read_survey`) stays NaN and is
outside every base. **Estimates** derived from ratings (a mean and its confidence limits) are
rescaled with ``check=False``: a confidence limit may lie beyond the scale.

>>> s = Scale(1, 5)
>>> s.to_100([1, 3, 5]).tolist()
[0.0, 50.0, 100.0]
>>> s.top_box([1, 4, 5, None]).tolist()       # top 2: 4 or 5
[0.0, 1.0, 1.0, nan]
>>> s.to_100([4.2, 5.03], check=False).tolist()  # a mean and a CI limit
[80.0, 100.75]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["Scale", "scale_of"]


def _pair(scale: Any, what: str) -> tuple[float, float]:
    """``(low, high)`` as floats; DataError unless both are finite and ``low < high``."""
    try:
        low, high = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be (low, high), got {scale!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise DataError(f"{what} must be (low, high) with low < high, got {scale!r}")
    return low, high


@dataclass(frozen=True)
class Scale:
    """The range ``[low, high]`` of a rating item, with its 0-100 rescale and box rules.

    Attributes
    ----------
    low : float
        The lowest scale point (finite, below ``high``).
    high : float
        The highest scale point (finite).

    Raises
    ------
    DataError
        When ``low``/``high`` are not finite numbers with ``low < high``.

    Examples
    --------
    >>> Scale(0, 10).points
    11
    >>> Scale(5, 1)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: scale must be (low, high) with low < high, got (5, 1)
    """

    low: float
    high: float

    def __post_init__(self) -> None:
        low, high = _pair((self.low, self.high), "scale")
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    @classmethod
    def of(cls, scale: Scale | Sequence[float], what: str = "scale") -> Scale:
        """``scale`` as a :class:`Scale` (a Scale is returned as is, a pair is checked).

        ``what`` names the scale in the error message.

        Parameters
        ----------
        scale : Scale or sequence of float
            A Scale or a ``(low, high)`` pair.
        what : str, default 'scale'
            Name of the scale in the error message.

        Returns
        -------
        Scale
            The scale.

        Raises
        ------
        DataError
            If the pair is not two finite numbers with ``low < high``.

        Examples
        --------
        >>> Scale.of((1, 5))
        Scale(low=1.0, high=5.0)
        >>> Scale.of((1,), what="scale of 'q'")
        Traceback (most recent call last):
        ...
        citizensfirst.errors.DataError: scale of 'q' must be (low, high), got (1,)
        """
        if isinstance(scale, Scale):
            return scale
        return cls(*_pair(scale, what))

    @property
    def points(self) -> int:
        """Number of whole scale points from ``low`` to ``high``.

        Returns
        -------
        int
            ``round(high - low) + 1``.
        """
        return int(round(self.high - self.low)) + 1

    def check(self, values: Any, what: str = "ratings") -> np.ndarray:
        """``values`` as a float array; DataError naming ``what`` and the values outside the scale.

        NaN is allowed (missing answers).

        Parameters
        ----------
        values : array_like or pandas.Series
            Values to check (NaN allowed).
        what : str, default 'ratings'
            Name of the values in the error message.

        Returns
        -------
        numpy.ndarray
            The values as floats.

        Raises
        ------
        DataError
            If a value lies outside ``[low, high]``.

        Examples
        --------
        >>> Scale(1, 5).check([1, 9, None], what="'q'")
        Traceback (most recent call last):
        ...
        citizensfirst.errors.DataError: 'q' has 1 value(s) outside the scale [1, 5]: 9 (a don't-know or not-applicable code that is not declared missing?)
        """
        if isinstance(values, pd.Series):
            array = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        else:
            array = np.asarray(values, dtype=float)
        flat = np.atleast_1d(array)
        with np.errstate(invalid="ignore"):
            bad = (flat < self.low) | (flat > self.high)
        if bad.any():
            found = np.unique(flat[bad])
            shown = ", ".join(f"{v:g}" for v in found[:5]) + (", ..." if found.size > 5 else "")
            raise DataError(
                f"{what} has {int(bad.sum())} value(s) outside the scale [{self.low:g}, {self.high:g}]: "
                f"{shown} (a don't-know or not-applicable code that is not declared missing?)"
            )
        return array

    def to_100(self, values: Any, *, what: str = "ratings", check: bool = True) -> Any:
        """Rescale linearly to 0-100: ``(x - low) / (high - low) * 100``.

        Series keep their index and name, a scalar stays a float, anything else becomes a float
        ndarray; NaN stays NaN. With ``check=True`` (ratings) a value outside the scale raises
        :class:`DataError` naming ``what``; pass ``check=False`` for estimates (means, CI limits).

        Parameters
        ----------
        values : array_like or pandas.Series
            Ratings (NaN for missing).
        what : str, default 'ratings'
            Name of the values in the error message.
        check : bool, default True
            Raise on values outside the scale (ratings); False for estimates.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            The rescaled values.

        Raises
        ------
        DataError
            With ``check=True``, if a value lies outside the scale.

        Examples
        --------
        >>> Scale(0, 10).to_100(pd.Series([0, 7, None], name="q")).tolist()
        [0.0, 70.0, nan]
        """
        if check:
            array = self.check(values, what)
        elif isinstance(values, pd.Series):
            array = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        else:
            array = np.asarray(values, dtype=float)
        out = (array - self.low) / (self.high - self.low) * 100.0
        if isinstance(values, pd.Series):
            return pd.Series(out, index=values.index, name=values.name)
        if np.ndim(out) == 0:
            return float(out)
        return out

    def _k(self, k: int, side: str) -> int:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < self.points:
            raise DataError(f"{side}={k!r} must be an integer from 1 to {self.points - 1} "
                            f"on the scale [{self.low:g}, {self.high:g}]")
        return int(k)

    def top_threshold(self, k: int = 2) -> float:
        """The lowest value in the top ``k`` points: ``high - k + 1``.

        Parameters
        ----------
        k : int, default 2
            Number of scale points in the box (1 to ``points - 1``).

        Returns
        -------
        float
            ``high - k + 1``.

        Raises
        ------
        DataError
            If ``k`` is not an integer from 1 to ``points - 1``.

        Examples
        --------
        >>> Scale(0, 10).top_threshold(3)
        8.0
        """
        return self.high - self._k(k, "top") + 1

    def bottom_threshold(self, k: int = 2) -> float:
        """The highest value in the bottom ``k`` points: ``low + k - 1``.

        Parameters
        ----------
        k : int, default 2
            Number of scale points in the box (1 to ``points - 1``).

        Returns
        -------
        float
            ``low + k - 1``.

        Raises
        ------
        DataError
            If ``k`` is not an integer from 1 to ``points - 1``.

        Examples
        --------
        >>> Scale(1, 5).bottom_threshold(2)
        2.0
        """
        return self.low + self._k(k, "bottom") - 1

    def top_box(self, values: Any, k: int = 2, *, what: str = "ratings") -> np.ndarray:
        """0/1 indicator of ``values >= high - k + 1`` (NaN stays NaN; outside the scale raises).

        Parameters
        ----------
        values : array_like or pandas.Series
            Ratings (NaN for missing).
        k : int, default 2
            Number of scale points in the box (1 to ``points - 1``).
        what : str, default 'ratings'
            Name of the values in the error message.

        Returns
        -------
        numpy.ndarray
            1.0 in the box, 0.0 outside, NaN where missing.

        Raises
        ------
        DataError
            If ``k`` is invalid or a value lies outside the scale.

        Examples
        --------
        >>> Scale(1, 5).top_box([5, 3], k=1).tolist()
        [1.0, 0.0]
        """
        threshold = self.top_threshold(k)
        x = self.check(values, what)
        return np.where(np.isnan(x), np.nan, (x >= threshold).astype(float))

    def bottom_box(self, values: Any, k: int = 2, *, what: str = "ratings") -> np.ndarray:
        """0/1 indicator of ``values <= low + k - 1`` (NaN stays NaN; outside the scale raises).

        Parameters
        ----------
        values : array_like or pandas.Series
            Ratings (NaN for missing).
        k : int, default 2
            Number of scale points in the box (1 to ``points - 1``).
        what : str, default 'ratings'
            Name of the values in the error message.

        Returns
        -------
        numpy.ndarray
            1.0 in the box, 0.0 outside, NaN where missing.

        Raises
        ------
        DataError
            If ``k`` is invalid or a value lies outside the scale.

        Examples
        --------
        >>> Scale(1, 5).bottom_box([1, 3, None]).tolist()
        [1.0, 0.0, nan]
        """
        threshold = self.bottom_threshold(k)
        x = self.check(values, what)
        return np.where(np.isnan(x), np.nan, (x <= threshold).astype(float))

    def box_span(self, k: int, top: bool) -> str:
        """The values in the top (bottom) ``k`` points as text, e.g. ``'4-5'``.

        Parameters
        ----------
        k : int
            Number of scale points in the box.
        top : bool
            True for the top box, False for the bottom box.

        Returns
        -------
        str
            ``'<first>-<last>'``.

        Raises
        ------
        DataError
            If ``k`` is not an integer from 1 to ``points - 1``.

        Examples
        --------
        >>> Scale(1, 5).box_span(2, top=False)
        '1-2'
        """
        if top:
            return f"{self.top_threshold(k):g}-{self.high:g}"
        return f"{self.low:g}-{self.bottom_threshold(k):g}"


def scale_of(codebook: Any, variable: str, scale: Scale | Sequence[float] | None, source: str) -> Scale:
    """``scale`` if given, else the codebook scale of ``variable``; DataError when neither exists.

    ``codebook`` is a :class:`~citizensfirst.codebook.Codebook` or None; ``source`` (the data
    file) starts the error message.

    Parameters
    ----------
    codebook : Codebook or None
        The survey codebook.
    variable : str
        The rating variable.
    scale : Scale or sequence of float or None
        The scale given by the caller.
    source : str
        The data file, for error messages.

    Returns
    -------
    Scale
        The scale of ``variable``.

    Raises
    ------
    DataError
        If no scale is given or known, or it is not a valid ``(low, high)``.

    Examples
    --------
    >>> scale_of(None, "q", (1, 5), "survey.csv")
    Scale(low=1.0, high=5.0)
    >>> scale_of(None, "q", None, "survey.csv")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: survey.csv: no rating scale known for 'q' (none given, none in the codebook); pass scale=(low, high), or declare it in the codebook sidecar: [variables.q] scale = [low, high]
    """
    if scale is not None:
        return Scale.of(scale)
    found = codebook.get_variable(variable).scale if codebook is not None else None
    if found is not None:
        return Scale.of(found, what=f"{source}: codebook scale of {variable!r}")
    raise DataError(
        f"{source}: no rating scale known for {variable!r} (none given, none in the codebook); "
        f"pass scale=(low, high), or declare it in the codebook sidecar: [variables.{variable}] scale = [low, high]"
    )
