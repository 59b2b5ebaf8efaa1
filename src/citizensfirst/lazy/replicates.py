"""Replicate weights of a lazy design from its strata and PSUs (``LazyDesign.as_replicate``).

In memory a replicate's analysis weight is ``weight x multiplier[PSU, r]``
(:mod:`citizensfirst.design.replicates`). Lazily the multipliers are a small table, one row
per sampled unit of the cluster table and one column per replicate, joined to the rows on the
unit's key columns (:meth:`~citizensfirst.backends.base.Backend.with_table`); replicate ``r``
weighs a row ``weight * m_r``, an SQL expression, and every lazy estimator uses it unchanged.
Nothing of the size of the file is stored.

The PSUs are taken in order of first appearance in the file (one query: the first row number of
every unit), as the in-memory design orders them, so a seed draws the same bootstrap replicates
in memory and in a backend.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..backends.base import Backend
from ..design.replicates import RANDOM_METHODS, make_multipliers
from ..design.setup import Step, check_replicate_count
from ..design.variance import ReplicateWeights, numerical_rank
from ..errors import DataError, DesignError
from .checks import Checks
from .structure import ROW_ID

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["ReplicateMethods", "UnitMultipliers", "as_replicate", "multiplier_degrees_of_freedom",
           "with_multipliers"]

#: prefix of the multiplier columns joined to the rows (numbered: caches keyed by SQL never mix)
_PREFIX = "__cf_m"
_NAMES = itertools.count(1)


@dataclass(frozen=True)
class UnitMultipliers:
    """The multipliers of a replicate design made by :func:`as_replicate`: ``keys`` columns,
    ``units`` (their values, one row per unit), ``values`` (units x R) and the replicate SQL
    they gave (a later weighting step changes it, and the multipliers no longer apply)."""

    keys: tuple[str, ...]
    units: pd.DataFrame
    values: np.ndarray
    replicate_sql: tuple[str, ...]


class ReplicateMethods:
    """``as_replicate`` of :class:`~citizensfirst.lazy.design.LazyDesign` (the signature of
    :meth:`citizensfirst.Design.as_replicate`).

    ``multipliers`` holds the per-unit multipliers of a design made here (None otherwise).
    """

    multipliers: UnitMultipliers | None = None

    def _lazy(self) -> LazyDesign:
        return cast("LazyDesign", self)

    def as_replicate(self, method: str = "bootstrap", *, replicates: int = 500, seed: int | None = None,
                     rho: float = 0.0, mse: bool = False) -> LazyDesign:
        """A replicate-weight version of this design (JK1, JKn, BRR, Fay, bootstrap, subbootstrap).

        As :meth:`citizensfirst.Design.as_replicate`, with the same multipliers (the same seed
        gives the same replicates); the multipliers are a small table joined on the PSU keys.

        Parameters
        ----------
        method : str, default "bootstrap"
            jk1, jkn, brr, fay, bootstrap or subbootstrap.
        replicates : int, default 500
            Number of replicates of the random methods (bootstrap, subbootstrap).
        seed : int or None, optional
            Random seed; required by the random methods.
        rho : float, default 0.0
            Fay's rho (``method="fay"``, 0 < rho < 1).
        mse : bool, default False
            Centre the replicate variance on the full-sample estimate.

        Returns
        -------
        LazyDesign
            The replicate design.
        """
        return as_replicate(self._lazy(), method, replicates=replicates, seed=seed, rho=rho, mse=mse)


def as_replicate(design: LazyDesign, method: str = "bootstrap", *, replicates: int = 500,
                 seed: int | None = None, rho: float = 0.0, mse: bool = False) -> LazyDesign:
    """A replicate-weight version of a lazy Taylor design (see :class:`ReplicateMethods`).

    Parameters
    ----------
    design : LazyDesign
        A lazy design with strata and PSUs, not yet weighted.
    method : str, default "bootstrap"
        jk1, jkn, brr, fay, bootstrap or subbootstrap.
    replicates : int, default 500
        Number of replicates of the random methods.
    seed : int or None, optional
        Random seed; required by the random methods.
    rho : float, default 0.0
        Fay's rho.
    mse : bool, default False
        Centre the replicate variance on the full-sample estimate.

    Returns
    -------
    LazyDesign
        The replicate design.

    Raises
    ------
    DesignError
        If the design already has replicates or has been weighted, the method is unknown, or a
        random method has no seed (the in-memory messages).
    """
    clusters = design.clusters
    if clusters is None:
        raise DesignError("this design already has replicate weights")
    if design.calibrations:
        raise DesignError("make replicates before weighting, so each replicate is re-weighted")
    method = method.lower()
    if method in RANDOM_METHODS:
        check_replicate_count(replicates)
    backend = design.backend if ROW_ID in design.backend.columns() else design.backend.with_row_number(ROW_ID)
    keys = list(clusters.keys)
    units = clusters.frame[keys].reset_index(drop=True)
    if keys == [ROW_ID]:
        first = units[ROW_ID].to_numpy(dtype=float)
    else:
        answer = backend.aggregate({"__cf_first": f"MIN({backend.column(ROW_ID)})"}, by=keys)
        first = np.full(len(units), np.inf)
        first[clusters.positions(answer)] = answer["__cf_first"].to_numpy(dtype=float)
    stage = clusters.taylor.stages[0]
    psu_first = np.full(stage.n_clusters, np.inf)
    np.minimum.at(psu_first, stage.cluster, first)
    # PSUs and strata numbered in order of first appearance, as in memory
    order = np.argsort(psu_first, kind="stable")
    stratum_first = np.full(stage.n_strata, np.inf)
    np.minimum.at(stratum_first, stage.stratum_of_cluster, psu_first)
    strata = np.argsort(stratum_first, kind="stable")
    code = np.empty_like(strata)
    code[strata] = np.arange(len(strata))
    labels = list(stage.stratum_labels) or [str(h) for h in range(stage.n_strata)]
    mult, scale, rscales = make_multipliers(
        method, code[stage.stratum_of_cluster[order]], None if stage.popsize is None else stage.popsize[strata],
        [labels[h] for h in strata], clusters.taylor.lonely_psu, replicates=replicates, seed=seed, rho=rho)
    per_psu = np.empty_like(mult)
    per_psu[order] = mult
    step = Step("as_replicate", {"method": method, "replicates": mult.shape[1], "seed": seed, "rho": rho,
                                 "mse": mse})
    return _attach(design, backend, units, per_psu[stage.cluster], keys, method, scale, rscales, mse,
                   rho if method == "fay" else None, step)


def with_multipliers(design: LazyDesign, multipliers: pd.DataFrame, on: Sequence[str], *, method: str,
                     scale: float, rscales: Sequence[float] | np.ndarray, mse: bool = False,
                     rho: float | None = None) -> LazyDesign:
    """A replicate design from given per-unit multipliers (a replicate weighs ``weight * m_r``).

    The lower half of :func:`as_replicate`, for multipliers made elsewhere (for example exported
    from R's ``weights(design, "replication")``).

    Parameters
    ----------
    design : LazyDesign
        A lazy Taylor design, not yet weighted.
    multipliers : pandas.DataFrame
        The key columns ``on`` (one row per key) and one column per replicate, in order.
    on : sequence of str
        Key columns of the rows (``"__cf_row"``, the row number, for a design without PSUs).
    method : str
        The replicate method (as ``method=`` of :class:`~citizensfirst.Design`).
    scale : float
        Overall variance scale.
    rscales : sequence of float
        Per-replicate scales.
    mse : bool, default False
        Centre the variance on the full-sample estimate.
    rho : float, optional
        Fay's rho.

    Returns
    -------
    LazyDesign
        The replicate design.

    Raises
    ------
    DesignError
        If the design already has replicates or has been weighted.
    DataError
        If a key is unknown or repeats, a multiplier is missing or negative, or a row has no
        multipliers (its key is not in the table).
    """
    if design.clusters is None:
        raise DesignError("this design already has replicate weights")
    if design.calibrations:
        raise DesignError("make replicates before weighting, so each replicate is re-weighted")
    keys = list(on)
    values = multipliers.drop(columns=keys, errors="ignore")
    numbers = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if values.shape[1] < 2 or not np.isfinite(numbers).all() or (numbers < 0).any():
        raise DataError(f"{design.source}: the multipliers must be at least two columns of finite, "
                        "non-negative numbers (one per replicate), besides the keys")
    backend = design.backend if ROW_ID in design.backend.columns() else design.backend.with_row_number(ROW_ID)
    step = Step("as_replicate", {"method": method, "replicates": numbers.shape[1], "mse": mse})
    new = _attach(design, backend, multipliers[keys], numbers, keys, method.lower(), scale,
                  np.asarray(rscales, dtype=float), mse, rho, step)
    unmatched = new.backend.aggregate(
        {"n": f"SUM(CASE WHEN {new.replicate_sql[0]} IS NULL THEN 1 ELSE 0 END)"})["n"].fillna(0).iloc[0]
    if unmatched:
        raise DataError(f"{design.source}: {int(unmatched)} rows have a key of {keys} that the multiplier "
                        "table lacks; give one row of multipliers for every unit")
    return new


def _attach(design: LazyDesign, backend: Backend, keys_frame: pd.DataFrame, mult: np.ndarray,
            keys: list[str], method: str, scale: float, rscales: np.ndarray, mse: bool,
            rho: float | None, step: Step) -> LazyDesign:
    """The design with per-unit multipliers joined on ``keys`` (to the numbered rows ``backend``)
    and replicate weights ``w * m_r``."""
    prefix = f"{_PREFIX}{next(_NAMES)}_"
    names = [f"{prefix}{r}" for r in range(mult.shape[1])]
    table = pd.concat([keys_frame.reset_index(drop=True), pd.DataFrame(mult, columns=names)], axis=1)
    # the weight, then each replicate weight, as computed columns: evaluated once per row per query
    weighted = backend.with_columns({f"{prefix}w": design.weight_sql}).with_table(table, keys)
    joined = weighted.with_columns({f"{prefix}a{r}": f"{weighted.column(f'{prefix}w')} * {weighted.column(n)}"
                                    for r, n in enumerate(names)})
    new = copy.copy(design)
    new.backend = joined
    new.checks = Checks(joined, design.columns, design.kinds)
    new.clusters = None
    new.replicates = ReplicateWeights(method, np.empty((0, len(names))), float(scale),
                                      np.asarray(rscales, dtype=float), bool(mse), None, rho)
    new.replicate_sql = tuple(joined.column(f"{prefix}a{r}") for r in range(len(names)))
    new.df_cache = {}
    new.degf = None
    new.history = design.history + (step,)
    new.multipliers = UnitMultipliers(tuple(keys), keys_frame.reset_index(drop=True), mult, new.replicate_sql)
    return new


def multiplier_degrees_of_freedom(design: LazyDesign, by: Sequence[str], usable: str
                                  ) -> dict[tuple[Any, ...], int] | None:
    """Replicate degrees of freedom from the multipliers, as in memory: per domain, the rank of
    the multipliers of the units holding a ``usable`` row, minus one (one query, O(units)).

    Parameters
    ----------
    design : LazyDesign
        The design.
    by : sequence of str
        Domain columns.
    usable : str
        SQL condition of the rows counted.

    Returns
    -------
    dict or None
        The domain's ``by`` values (``()`` without ``by``) to its degrees of freedom; None when
        the design's replicates are not (or no longer) ``weight * multiplier``.
    """
    found = design.multipliers
    if found is None or found.replicate_sql != design.replicate_sql:
        return None
    keys, names = list(found.keys), list(by)
    answer = design.backend.aggregate({"__cf_u": "COUNT(*)"}, by=list(dict.fromkeys(keys + names)),
                                      where=usable)
    index = found.units.assign(__cf_unit=np.arange(len(found.units)))
    answer = answer.merge(index, on=keys, how="left")
    result: dict[tuple[Any, ...], int] = {}
    groups = answer.groupby(names, sort=False, dropna=True) if names else [((), answer)]
    for domain, rows in groups:
        value = tuple(domain) if isinstance(domain, tuple) else (domain,)
        units = rows["__cf_unit"].to_numpy(dtype=np.int64)
        result[value] = int(design.degf) if design.degf is not None else numerical_rank(found.values[units]) - 1
    return result
