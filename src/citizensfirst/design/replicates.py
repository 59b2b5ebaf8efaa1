"""Making replicate weights from a design's strata and PSUs (``Design.as_replicate``).

All functions return per-PSU multipliers (rows = first-stage PSUs in order of first appearance,
columns = replicates) with the ``scale`` and ``rscales`` that go with them; a replicate's analysis
weight is ``base weight x multiplier``. Definitions follow R's ``survey`` package:

* ``jk1``: delete one PSU at a time, others multiplied by n/(n-1); scale f (n-1)/n, f = 1 - n/N.
* ``jkn``: per stratum, delete one PSU at a time, the stratum's others multiplied by
  n_h/(n_h-1); rscales f_h (n_h-1)/n_h; scale 1.
* ``brr`` / ``fay``: half-samples from a Hadamard matrix (two PSUs per stratum), the chosen PSU
  weighted 2 - rho and the other rho; scale 1 / (R (1-rho)^2).
* ``bootstrap``: Canty-Davison: n_h PSUs drawn with replacement in each stratum (without
  replacement from the population list when an fpc is given), multiplier = times drawn;
  scale = n/((n-1)(R-1)) with n the harmonic mean of PSUs per stratum.
* ``subbootstrap``: Rao-Wu: n_h - 1 PSUs drawn with replacement, multiplier
  = times drawn x n_h/(n_h-1); scale 1/(R-1).

>>> import numpy as np
>>> m, scale, rscales = jk1(np.zeros(3, dtype=int), popsize=None)
>>> m
array([[0. , 1.5, 1.5],
       [1.5, 0. , 1.5],
       [1.5, 1.5, 0. ]])
>>> round(scale, 6)
0.666667
"""

from __future__ import annotations

import numpy as np

from ..errors import DesignError

METHODS = ("jk1", "jkn", "brr", "fay", "bootstrap", "subbootstrap")
#: the methods that draw at random (they need a number of replicates and a seed)
RANDOM_METHODS = ("bootstrap", "subbootstrap")


def make_multipliers(
    method: str, psu_stratum: np.ndarray, popsize: np.ndarray | None, labels: list[str],
    lonely_psu: str, *, replicates: int, seed: int | None, rho: float,
) -> tuple[np.ndarray, float, np.ndarray]:
    """The per-PSU multipliers of ``method`` (the dispatch of ``Design.as_replicate``).

    Eager and lazy designs both call this with their first-stage PSUs in order of first
    appearance, so a seed gives the same replicates in memory and in a backend.

    Parameters
    ----------
    method : str
        One of :data:`METHODS` (lower case).
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    popsize : numpy.ndarray or None
        Population size of every stratum (inf: no fpc), or None without fpc.
    labels : list of str
        Stratum labels, for messages and the order of BRR's strata.
    lonely_psu : str
        Rule for a stratum with one PSU (jkn).
    replicates : int
        Number of replicates of the random methods; checked by the caller.
    seed : int or None
        Random seed; the random methods need one.
    rho : float
        Fay's rho (``method="fay"``).

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.

    Raises
    ------
    DesignError
        If the method is unknown, a random method has no seed, rho is out of (0, 1) for Fay,
        or the design does not suit the method.

    Examples
    --------
    >>> m, scale, _ = make_multipliers("jk1", np.zeros(2, dtype=int), None, ["1"], "fail",
    ...                                replicates=2, seed=None, rho=0.0)
    >>> m.tolist(), scale
    ([[0.0, 2.0], [2.0, 0.0]], 0.5)
    """
    if method in RANDOM_METHODS and seed is None:
        raise DesignError(f"as_replicate({method!r}) needs seed= so the replicates can be reproduced")
    rng = np.random.default_rng(seed)
    if method == "jk1":
        return jk1(psu_stratum, popsize)
    if method == "jkn":
        return jkn(psu_stratum, popsize, lonely_psu, labels)
    if method in ("brr", "fay"):
        if method == "fay" and not 0 < rho < 1:
            raise DesignError("method='fay' needs 0 < rho < 1")
        return brr(psu_stratum, labels, rho if method == "fay" else 0.0)
    if method == "bootstrap":
        return bootstrap(psu_stratum, popsize, replicates, rng)
    if method == "subbootstrap":
        return subbootstrap(psu_stratum, replicates, rng)
    raise DesignError(f"method must be one of {METHODS}, got {method!r}")


def _fpc_factor(n: np.ndarray, popsize: np.ndarray | None) -> np.ndarray:
    if popsize is None:
        return np.ones_like(n, dtype=float)
    return np.where(np.isinf(popsize), 1.0, (popsize - n) / popsize)


def jk1(psu_stratum: np.ndarray, popsize: np.ndarray | None) -> tuple[np.ndarray, float, np.ndarray]:
    """Delete-one-PSU jackknife for an unstratified design (``psu_stratum`` all one stratum).

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    popsize : numpy.ndarray or None
        Population size of every stratum (inf: no fpc), or None without fpc.

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.

    Raises
    ------
    DesignError
        If the design is stratified or has fewer than two PSUs.
    """
    if len(np.unique(psu_stratum)) > 1:
        raise DesignError("jk1 replicates need an unstratified design; use 'jkn' for strata")
    n = len(psu_stratum)
    if n < 2:
        raise DesignError("jk1 replicates need at least two PSUs")
    mult = np.full((n, n), n / (n - 1))
    np.fill_diagonal(mult, 0.0)
    f = float(_fpc_factor(np.array([n]), None if popsize is None else popsize[:1])[0])
    return mult, f * (n - 1) / n, np.ones(n)


def jkn(
    psu_stratum: np.ndarray, popsize: np.ndarray | None, lonely_psu: str, labels: list[str]
) -> tuple[np.ndarray, float, np.ndarray]:
    """Stratified delete-one-PSU jackknife (one replicate per PSU of every non-certainty stratum).

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    popsize : numpy.ndarray or None
        Population size of every stratum (inf: no fpc), or None without fpc.
    lonely_psu : str
        Rule for a stratum with one PSU (see :data:`~citizensfirst.design.variance.LONELY_PSU_RULES`).
    labels : list of str
        Stratum labels, for messages.

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.

    Raises
    ------
    DesignError
        If a stratum has one PSU under ``lonely_psu="fail"``, or every stratum was sampled exhaustively.
    """
    n_psu = len(psu_stratum)
    strata = np.unique(psu_stratum)
    n_strata = len(strata)
    columns: list[np.ndarray] = []
    rscales: list[float] = []
    for h in _first_seen(psu_stratum):
        members = np.flatnonzero(psu_stratum == h)
        n_h = len(members)
        f_h = float(_fpc_factor(np.array([n_h]), None if popsize is None else popsize[h : h + 1])[0])
        if f_h == 0:
            continue  # exhaustively sampled stratum: no replicates (R's survey.drop.replicates)
        if n_h == 1:
            if lonely_psu == "fail":
                raise DesignError(
                    f"stratum ({labels[h]}) has only one PSU; choose lonely_psu='adjust', "
                    "'average', 'remove' or 'certainty'"
                )
            if lonely_psu == "adjust":
                col = np.full(n_psu, n_strata / (n_strata - 1))
                col[members] = 0.0
                columns.append(col)
                rscales.append((n_strata - 1) / n_strata)
            continue
        for dropped in members:
            col = np.ones(n_psu)
            col[members] = n_h / (n_h - 1)
            col[dropped] = 0.0
            columns.append(col)
            rscales.append(f_h * (n_h - 1) / n_h)
    if not columns:
        raise DesignError("all strata were sampled exhaustively: there is no sampling variance")
    scale = 1.0
    if len(columns) < n_psu and lonely_psu == "average":
        scale = n_psu / len(columns)
    return np.column_stack(columns), scale, np.asarray(rscales)


def hadamard(min_order: int) -> np.ndarray:
    """A 0/1-coded Hadamard matrix of the smallest order (multiple of 4) above ``min_order``.

    Built by Sylvester doubling or Paley's construction; rows/columns beyond the first are
    balanced, so a replicate design uses rows 2..H+1.

    Parameters
    ----------
    min_order : int
        The order must exceed this.

    Returns
    -------
    numpy.ndarray
        Square int8 matrix of 0s and 1s.

    Examples
    --------
    >>> h = hadamard(3); h.shape
    (4, 4)
    >>> s = 1 - 2 * h; bool((s @ s.T == 4 * np.eye(4)).all())
    True
    """
    order = 4 * (min_order // 4 + 1)
    while True:
        matrix = _sylvester(order) if order & (order - 1) == 0 else _paley(order)
        if matrix is not None:
            return matrix
        order += 4


def _sylvester(order: int) -> np.ndarray:
    h = np.zeros((1, 1), dtype=np.int8)
    while h.shape[0] < order:
        h = np.block([[h, h], [h, 1 - h]])
    return h


def _paley(order: int) -> np.ndarray | None:
    q = order - 1
    if q < 3 or q % 4 != 3 or any(q % d == 0 for d in range(2, int(q**0.5) + 1)):
        return None
    squares = {(i * i) % q for i in range(1, q)}
    chi = np.array([0] + [1 if i in squares else -1 for i in range(1, q)])
    jacobsthal = chi[(np.arange(q)[None, :] - np.arange(q)[:, None]) % q]
    signs = np.ones((order, order), dtype=int)
    signs[1:, 0] = -1
    signs[1:, 1:] = jacobsthal + np.eye(q, dtype=int)
    signs[0, 1:] = 1
    signs = signs * signs[0][None, :]  # normalise first row
    signs = signs * signs[:, :1]  # normalise first column
    return ((1 - signs) // 2).astype(np.int8)


def brr(
    psu_stratum: np.ndarray, labels: list[str], rho: float = 0.0
) -> tuple[np.ndarray, float, np.ndarray]:
    """Balanced repeated replication (Fay's method when ``rho`` > 0); two PSUs per stratum.

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    labels : list of str
        Stratum labels, for messages and the order of the strata.
    rho : float, default 0.0
        Fay's rho (0: plain BRR).

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.

    Raises
    ------
    DesignError
        If a stratum does not have exactly two PSUs.
    """
    counts = np.bincount(psu_stratum)
    bad = [labels[h] for h in np.flatnonzero(counts != 2)]
    if bad:
        raise DesignError(
            f"BRR needs exactly two PSUs in every stratum; strata ({', '.join(bad[:10])}) differ"
        )
    order = sorted(range(len(counts)), key=lambda h: labels[h])
    h_matrix = hadamard(len(counts))
    n_rep = h_matrix.shape[1]
    mult = np.empty((len(psu_stratum), n_rep))
    for position, h in enumerate(order):
        first, second = np.flatnonzero(psu_stratum == h)
        pick_second = h_matrix[position + 1] == 0
        mult[first] = np.where(pick_second, rho, 2 - rho)
        mult[second] = np.where(pick_second, 2 - rho, rho)
    return mult, 1.0 / (n_rep * (1 - rho) ** 2), np.ones(n_rep)


def bootstrap(
    psu_stratum: np.ndarray, popsize: np.ndarray | None, replicates: int, rng: np.random.Generator
) -> tuple[np.ndarray, float, np.ndarray]:
    """Canty-Davison survey bootstrap (R's ``bootweights``).

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    popsize : numpy.ndarray or None
        Population size of every stratum (inf: no fpc), or None without fpc.
    replicates : int
        Number of replicates.
    rng : numpy.random.Generator
        Source of the random draws.

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.
    """
    mult = np.zeros((len(psu_stratum), replicates))
    for h in _first_seen(psu_stratum):
        members = np.flatnonzero(psu_stratum == h)
        n_h = len(members)
        if popsize is None or np.isinf(popsize[h]):
            draws = rng.integers(0, n_h, size=(replicates, n_h))
        else:
            population = np.resize(np.arange(n_h), int(popsize[h]))
            draws = np.stack([rng.permutation(population)[:n_h] for _ in range(replicates)])
        counts = np.apply_along_axis(np.bincount, 1, draws, minlength=n_h)
        mult[members] = counts.T
    n_bar = 1.0 / np.mean(1.0 / np.bincount(psu_stratum))
    scale = float(n_bar / ((n_bar - 1) * (replicates - 1)))
    return mult, scale, np.ones(replicates)


def subbootstrap(
    psu_stratum: np.ndarray, replicates: int, rng: np.random.Generator
) -> tuple[np.ndarray, float, np.ndarray]:
    """Rao-Wu rescaling bootstrap: n_h - 1 draws with replacement, multiplier x n_h/(n_h-1).

    Parameters
    ----------
    psu_stratum : numpy.ndarray
        Stratum code (0-based) of every first-stage PSU.
    replicates : int
        Number of replicates.
    rng : numpy.random.Generator
        Source of the random draws.

    Returns
    -------
    mult : numpy.ndarray
        Replicate multipliers, one row per PSU and one column per replicate.
    scale : float
        Overall variance scale.
    rscales : numpy.ndarray
        Per-replicate scales.

    Raises
    ------
    DesignError
        If a stratum has fewer than two PSUs.
    """
    mult = np.zeros((len(psu_stratum), replicates))
    for h in _first_seen(psu_stratum):
        members = np.flatnonzero(psu_stratum == h)
        n_h = len(members)
        if n_h < 2:
            raise DesignError("the Rao-Wu bootstrap needs at least two PSUs per stratum")
        draws = rng.integers(0, n_h, size=(replicates, n_h - 1))
        counts = np.apply_along_axis(np.bincount, 1, draws, minlength=n_h)
        mult[members] = counts.T * n_h / (n_h - 1)
    return mult, 1.0 / (replicates - 1), np.ones(replicates)


def _first_seen(codes: np.ndarray) -> list[int]:
    _, first = np.unique(codes, return_index=True)
    return [int(codes[i]) for i in np.sort(first)]
