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
        codes, uniques = pd.factorize(pd.Series(columns[0]), sort=False)
        return codes.astype(np.int64), len(uniques)
    frame = pd.DataFrame({i: pd.Series(np.asarray(c)) for i, c in enumerate(columns)})
    groups = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    return groups.astype(np.int64), int(groups.max()) + 1 if len(groups) else 0
