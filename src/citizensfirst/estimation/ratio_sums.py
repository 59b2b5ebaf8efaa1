"""Every domain's weighted sums of a ratio estimator in one pass per item (the in-memory engine).

:func:`~citizensfirst.estimation.engine.ratio_engine` asks this module for the sums it turns into
estimates, covariances and design effects. Each item (variable) costs a few ``np.bincount``
passes over all rows, whatever the number of domains: one over the domain codes for each
domain sum (weights, ``w y``, ``w x``, counts and the sums of squares of the design effect) and,
on a Taylor design, one over the (cluster, domain) codes for each stage's cluster totals. No
domain's rows are copied out of the data, and rows outside every domain simply add zero.
Replicate designs and calibrated Taylor designs get what their kernels need instead: the
replicate totals of each domain (one matrix product per domain) or each domain's influence
values per row.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst.estimation.engine import domains_of
>>> d = Design(pd.DataFrame({"y": [1.0, 2.0, 4.0, None], "g": ["a", "a", "b", "b"]}))
>>> sums = domain_sums(d, d.frame[["y"]].to_numpy(), "ones", domains_of(d, "g"), deff="replace")
>>> sums.estimate.tolist(), sums.counts.tolist()
([[1.5], [4.0]], [[2], [1]])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from .ratio_kernels import srs_variance

if TYPE_CHECKING:
    from ..design.facade import Design
    from .engine import Domains


@dataclass
class DomainSums:
    """What :func:`domain_sums` returns; arrays of items are (domains, items).

    ``estimate`` the ratios (totals when there is no denominator), ``counts`` the respondents
    used, ``srs`` the variance under simple random sampling (NaN without design effects),
    ``present`` each domain's rows (boolean, any item used), and the variance inputs of the
    design: ``blocks`` (Taylor: per domain, per used stage, the (clusters, items) influence
    totals, column views of ``stacked``: per used stage, the (clusters, domains x items)
    totals, domain-major), ``scores`` (calibrated Taylor: the (rows, domains x items) influence values) or
    ``thetas`` (replicates: the (replicates, domains x items) replicate estimates).
    """

    estimate: np.ndarray
    counts: np.ndarray
    srs: np.ndarray
    present: list[np.ndarray]
    blocks: list[list[np.ndarray]] = field(default_factory=list)
    stacked: list[np.ndarray] = field(default_factory=list)
    scores: np.ndarray | None = None
    thetas: np.ndarray | None = None


def domain_sums(design: Design, numerators: np.ndarray, denominators: np.ndarray | str | None,
                domains: Domains, *, deff: str | None, listwise: bool = False) -> DomainSums:
    """Estimates, counts, SRS variances and variance inputs of ratios in every domain at once.

    Parameters
    ----------
    design : Design
        The survey design.
    numerators : numpy.ndarray
        ``(n, k)`` values, NaN where missing.
    denominators : numpy.ndarray or str or None
        ``(n, k)`` values, ``"ones"`` for means, or None for totals.
    domains : Domains
        The estimation domains (row codes, ``-1`` outside every domain).
    deff : str or None
        Design-effect convention (``'srswor'``, ``'replace'``) or None (none: NaN).
    listwise : bool, default False
        Drop a row from every item when it is missing on any numerator.

    Returns
    -------
    DomainSums
        The sums, and what the design's variance kernel needs.
    """
    weights = design.weight_values
    n_items = numerators.shape[1]
    missing = np.isnan(numerators)
    if isinstance(denominators, np.ndarray):
        missing = missing | np.isnan(denominators)
    if listwise:
        missing = np.repeat(missing.any(axis=1, keepdims=True), n_items, axis=1)
    n_domains = domains.count
    slot = domains.codes + 1  # 0: outside every domain (weight zero there)
    usable = ~missing & ((weights != 0) & (slot > 0))[:, None]
    any_used = usable.any(axis=1)
    present = [any_used & (slot == g + 1) for g in range(n_domains)]
    taylor, reps, calibrated = design.taylor, design.replicate_weights, bool(design.calibrations)
    cells = [] if reps is not None or calibrated or taylor is None else [
        stage.cluster * n_domains + np.maximum(domains.codes, 0) for stage in taylor.used_stages]
    shape = (n_domains, n_items)
    est, counts, srs = np.empty(shape), np.empty(shape, dtype=np.int64), np.empty(shape)
    stacked = [np.empty((stage.n_clusters, n_domains * n_items)) for stage in taylor.used_stages] \
        if cells and taylor is not None else []
    blocks = [[totals[:, g * n_items : (g + 1) * n_items] for totals in stacked] for g in range(n_domains)] \
        if stacked else []
    scores = np.zeros((len(weights), n_domains * n_items)) if calibrated and reps is None else None

    by_domain = _one_sum if n_domains == 1 and bool((slot == 1).all()) else partial(_by_domain, slot, n_domains)
    for j in range(n_items):
        used = usable[:, j]
        wm = np.where(used, weights, 0.0)
        y = np.where(used, numerators[:, j], 0.0)
        wy = wm * y
        x: np.ndarray | None = None
        if denominators is None:
            wx = None
        elif isinstance(denominators, str):  # means: x = 1 where used, so w x = w
            wx = wm
        else:
            x = np.where(used, denominators[:, j], 0.0)
            wx = wm * x
        total_y = by_domain(wy)
        total_x = None if wx is None else by_domain(wx)
        with np.errstate(divide="ignore", invalid="ignore"):
            est[:, j] = total_y if total_x is None else total_y / total_x
        counts[:, j] = np.bincount(slot[used], minlength=n_domains + 1)[1:]
        srs[:, j] = _srs(deff, wm, y, wy, x, wx, total_y, total_x, counts[:, j], est[:, j], by_domain)
        for s, cell in enumerate(cells):
            _stage_totals(stacked[s], j, n_items, cell, wy, wx, est[:, j], n_domains)
        if scores is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                for g in range(n_domains):
                    inside = np.flatnonzero(slot == g + 1)
                    scores[inside, g * n_items + j] = (wy[inside] if wx is None or total_x is None else
                                                       (wy[inside] - est[g, j] * wx[inside]) / total_x[g])
    thetas = None if reps is None else _replicate_estimates(design, numerators, denominators, usable, domains)
    return DomainSums(est, counts, srs, present, blocks, stacked, scores, thetas)


def _one_sum(values: np.ndarray) -> np.ndarray:
    """The sum of ``values`` as a one-domain array (one domain holding every row: no bincount)."""
    return np.array([values.sum()])


def _by_domain(slot: np.ndarray, n_domains: int, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` in every domain (``slot`` = domain code + 1, 0 outside every domain)."""
    return np.bincount(slot, weights=values, minlength=n_domains + 1)[1:]


def _srs(deff: str | None, wm: np.ndarray, y: np.ndarray, wy: np.ndarray, x: np.ndarray | None,
         wx: np.ndarray | None, total_y: np.ndarray, total_x: np.ndarray | None, counts: np.ndarray,
         est: np.ndarray, by_domain: Any) -> np.ndarray:
    """SRS variance of one item in every domain (means reuse their sums: x = 1, so w x = w)."""
    if not deff:
        return np.full(len(total_y), np.nan)
    nobs = counts.astype(float)
    wyy = by_domain(wy * y)
    if wx is None or total_x is None:
        return srs_variance(by_domain(wm), nobs, total_y, wyy, est, deff)
    if x is None:
        return srs_variance(total_x, nobs, total_y, wyy, est, deff, wx=total_x, wxx=total_x, wxy=total_y)
    return srs_variance(by_domain(wm), nobs, total_y, wyy, est, deff, wx=total_x, wxx=by_domain(wx * x),
                        wxy=by_domain(wy * x))


def _stage_totals(stacked: np.ndarray, j: int, n_items: int, cell: np.ndarray, wy: np.ndarray,
                  wx: np.ndarray | None, est: np.ndarray, n_domains: int) -> None:
    """Item ``j``'s cluster totals of one stage in every domain (columns ``g * n_items + j`` of
    ``stacked``): one bincount over the (cluster, domain) cells."""
    n_clusters = stacked.shape[0]
    t1 = np.bincount(cell, weights=wy, minlength=n_clusters * n_domains).reshape(n_clusters, n_domains)
    if wx is None:
        stacked[:, j::n_items] = t1
        return
    t0 = np.bincount(cell, weights=wx, minlength=n_clusters * n_domains).reshape(n_clusters, n_domains)
    with np.errstate(divide="ignore", invalid="ignore"):
        stacked[:, j::n_items] = (t1 - est * t0) / t0.sum(axis=0)


def _replicate_estimates(design: Design, numerators: np.ndarray, denominators: np.ndarray | str | None,
                         usable: np.ndarray, domains: Domains) -> np.ndarray:
    """(R, domains x items) replicate ratios: a domain's numerator and denominator totals come
    from one product of its replicate weights with both, filled in place (no temporaries)."""
    reps = design.replicate_weights
    assert reps is not None
    weights = design.weight_values
    n_items = numerators.shape[1]
    width = n_items if denominators is None else 2 * n_items
    thetas = []
    for rows in domains.rows():
        used = usable[rows]
        values = np.zeros((used.shape[0], width))
        np.copyto(values[:, :n_items], numerators[rows], where=used)
        if isinstance(denominators, str):
            values[:, n_items:] = used
        elif denominators is not None:
            np.copyto(values[:, n_items:], denominators[rows], where=used)
        totals = reps.weighted_totals(values, rows, weights)
        if denominators is None:
            thetas.append(totals)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            thetas.append(totals[:, :n_items] / totals[:, n_items:])
    return np.hstack(thetas)
