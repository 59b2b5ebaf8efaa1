"""Vectorised group sums: the one primitive every estimator and variance kernel is built on.

>>> import numpy as np
>>> group_sums(np.array([0, 1, 0, 2]), np.array([1.0, 2.0, 3.0, 4.0]), 3)
array([4., 2., 4.])
>>> group_sums(np.array([1, 1]), np.array([[1.0, 2.0], [3.0, 4.0]]), 2)
array([[0., 0.],
       [4., 6.]])
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_sums(codes: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum ``values`` (shape (n,) or (n, k)) within the integer groups ``codes`` (0..n_groups-1).

    One ``np.bincount`` pass per column; never a Python loop over rows.

    Parameters
    ----------
    codes : numpy.ndarray
        Integer group of every row, in 0..n_groups-1.
    values : numpy.ndarray
        The values, shape (n,) or (n, k).
    n_groups : int
        Number of groups (rows of the result).

    Returns
    -------
    numpy.ndarray
        Group sums, shape (n_groups,) or (n_groups, k).
    """
    if values.ndim == 1:
        return np.bincount(codes, weights=values, minlength=n_groups)
    out = np.empty((n_groups, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(codes, weights=values[:, j], minlength=n_groups)
    return out


def factorize(*columns: np.ndarray | pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes 0..g-1 for the distinct combinations of ``columns`` (first-seen order).

    Parameters
    ----------
    *columns : numpy.ndarray or pandas.Series
        The grouping columns, all of the same length.

    Returns
    -------
    codes : numpy.ndarray
        int64 group code of every row.
    n_groups : int
        Number of distinct combinations.

    Examples
    --------
    >>> factorize(np.array(["a", "b", "a"]), np.array([1, 1, 1]))
    (array([0, 1, 0]), 2)
    """
    if len(columns) == 1:
        codes, uniques = pd.factorize(_values(columns[0]), sort=False)
        return codes.astype(np.int64), len(uniques)
    # each column's codes (missing values a group of their own), then the combined key's codes:
    # first-seen order as a groupby(sort=False, dropna=False).ngroup(), without building a frame
    key = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        codes, uniques = pd.factorize(_values(column), sort=False, use_na_sentinel=False)
        size = max(len(uniques), 1)
        if span * size >= 2**62:  # the combined key would overflow: re-code what we have so far
            key, span = _recode(key)
        key = key * size + codes
        span *= size
    return _recode(key)


def factor_key(values: pd.Series) -> np.ndarray | pd.Series:
    """A column as :func:`factorize` codes it fastest: text stays a Series (pandas codes it
    without making Python strings), anything else becomes a numpy array.

    Parameters
    ----------
    values : pandas.Series
        A design column.

    Returns
    -------
    numpy.ndarray or pandas.Series
        The values, with a fresh 0..n-1 index when a Series.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_string_dtype(values.dtype):
        return values.to_numpy()
    return values.reset_index(drop=True)


def _values(column: np.ndarray | pd.Series) -> np.ndarray | pd.Series:
    """A Series as it is, anything else as a numpy array (never re-inferred as a new Series)."""
    return column if isinstance(column, pd.Series) else np.asarray(column)


def _recode(key: np.ndarray) -> tuple[np.ndarray, int]:
    """First-seen codes of non-negative int64 keys: by a lookup table when their range is small
    (no hashing), else by pandas."""
    if len(key) and int(key.max()) < 4 * len(key) + 1024:
        first = np.full(int(key.max()) + 1, len(key), dtype=np.int64)
        first[key[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write wins: the first row
        seen = np.flatnonzero(first < len(key))
        rank = np.empty(len(first), dtype=np.int64)
        rank[seen[np.argsort(first[seen], kind="stable")]] = np.arange(len(seen))
        return rank[key], len(seen)
    codes, uniques = pd.factorize(key, sort=False)
    return codes.astype(np.int64), len(uniques)
