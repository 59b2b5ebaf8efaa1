"""Driver analysis of a lazy design (``LazyDesign.drivers``): weighted moments by aggregation.

A driver analysis needs only the weighted means and covariance matrix of the drivers and the
outcome among the complete cases (:mod:`citizensfirst.drivers.importance` does the rest, as in
memory). Here they come from sums a backend computes:

* one query over all rows: the counts of missing values, and per column the plain mean (the
  centre, as :func:`~citizensfirst.drivers.measures.weighted_moments` takes it) and the largest
  absolute value of the complete cases;
* one query per domain (``by=``): the sums of ``w``, ``w x`` and ``w x x'`` (``x`` centred);
  on a replicate design the same sums for every replicate weight, in the same query; for the
  default bootstrap of a Taylor design the sums per sampled unit, then the per-unit bootstrap
  multipliers (:func:`~citizensfirst.lazy.replicates.as_replicate`'s, the in-memory draws) give
  every replicate's sums in numpy, as :func:`~citizensfirst.drivers.measures.grouped_moments`.

Answers have one row per domain (per unit and domain for the bootstrap).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import check_replicate_count
from ..drivers.driver_result import DriverResult, driver_labels
from ..drivers.importance import (
    DriverMoments,
    ReplicateMoments,
    check_complete,
    check_request,
    driver_scales,
    importance_from_moments,
)
from ..drivers.moment_sums import moments_from_sums
from ..errors import DataError, DesignError, NotLazyError
from ..estimation.engine import sort_key
from .replicates import as_replicate
from .sums import domain_weight, replicate_degrees_of_freedom

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["drivers"]

#: history steps that leave the weights as built (anything else is a weighting step)
_UNWEIGHTED = ("design", "options", "subset")


def drivers(design: LazyDesign, outcome: str | Sequence[str], drivers: Sequence[str], *,
            by: str | None = None, method: str = "shapley", ci: str | None = "replicate",
            replicates: int = 200, seed: int | None = 1,
            scales: tuple[float, float] | Mapping[str, tuple[float, float]] | None = None,
            missing: str = "listwise", min_n: int = 30, level: float = 0.95, max_exact: int = 20,
            n_permutations: int = 2000, warn_collinearity: bool = True,
            ) -> DriverResult | dict[Any, DriverResult]:
    """Relative importance of ``drivers`` for ``outcome`` (as :meth:`citizensfirst.Design.drivers`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    outcome : str or sequence of str
        Outcome column, or items averaged into an outcome index.
    drivers : sequence of str
        Driver columns (numeric).
    by : str, optional
        A column: one analysis per level (in the design's domain, missing values left out).
    method : str, default "shapley"
        As in memory.
    ci : {"replicate", "bootstrap", None}, default "replicate"
        The design's replicates, or (Taylor designs) bootstrap replicates of the first-stage
        PSUs; None skips intervals.
    replicates : int, default 200
        Bootstrap replicates.
    seed : int, optional, default 1
        Seed of the bootstrap replicates.
    scales : (low, high) or mapping, optional
        Rating scales of the drivers (default: the codebook's).
    missing : {"listwise"}, default "listwise"
        Rows missing the outcome or any driver are dropped.
    min_n : int, default 30
        Fewest complete cases accepted.
    level : float, default 0.95
        Confidence level.
    max_exact : int, default 20
        Most drivers for exact Shapley values.
    n_permutations : int, default 2000
        Orderings sampled when Shapley values are not exact.
    warn_collinearity : bool, default True
        Warn about highly collinear drivers.

    Returns
    -------
    DriverResult or dict
        As in memory: with ``by``, a dict from each level to its result.

    Raises
    ------
    DesignError
        An unknown ``ci`` or invalid ``replicates``.
    NotLazyError
        A bootstrap of a weighted Taylor design (its weighting would be re-applied to every
        replicate): make replicates with ``as_replicate()`` before weighting, or ``collect()``.
    DataError
        Unknown or non-numeric columns, infinite values, or fewer than ``min_n`` complete cases.
    """
    items, names = check_request(outcome, drivers, method, missing, level)
    boot = False
    if ci is not None:
        if ci not in ("replicate", "bootstrap"):
            raise DesignError(f"ci must be 'replicate', 'bootstrap' or None, got {ci!r}")
        check_replicate_count(replicates)
        boot = design.replicates is None or ci == "bootstrap"
        if boot and design.replicates is not None:
            raise DesignError(f"{design.source}: a bootstrap needs the design's strata and PSUs; this design "
                              "has replicate weights: use ci='replicate'")
        if boot and any(step.action not in _UNWEIGHTED for step in design.history):
            raise NotLazyError(
                f"{design.source}: drivers(ci={ci!r}) would re-apply this design's weighting to bootstrap "
                "replicates, which a lazy design does not do; make replicates with as_replicate() before "
                "weighting and use ci='replicate', or bring the rows into memory with .collect(where=...)")
    codebook = design.codebook
    if scales is None and codebook is not None:
        found = {d: codebook[d].scale for d in names if d in codebook and codebook[d].scale}
        scales = found if len(found) == len(names) else None
    scales_list = driver_scales(scales, names)
    if by is not None:
        design.checks.columns([by], "by")
    columns = [design.numeric_sql(d, "driver") for d in names]
    columns.append("(" + " + ".join(design.numeric_sql(i, "outcome") for i in items)
                   + f") / {design.backend.literal(float(len(items)))}")
    complete = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    counts = _overall(design, names, columns, complete)
    shift = counts["shift"]
    keys = [] if by is None else [by]
    sums = _sums(design, columns, shift, complete, design.weight_sql, "__cf_")
    sums["__cf_n"] = f"SUM(CASE WHEN {complete} AND {design.weight_sql} > 0 THEN 1 ELSE 0 END)"
    groups = keys
    if boot:
        assert design.clusters is not None
        groups = list(dict.fromkeys([*design.clusters.keys, *keys]))
        sums["__cf_used"] = f"SUM(CASE WHEN {design.weight_sql} <> 0 THEN 1 ELSE 0 END)"
    finish = _Finish(design, items, names, counts, shift, boot, replicates, seed, keys, ci is not None)
    answer = design.backend.aggregate(sums, by=groups, where=design.domain_sql)
    if ci is not None and not boot:  # every replicate's sums, streamed by the backend
        where = complete if design.domain_sql is None else f"({design.domain_sql}) AND {complete}"
        finish.replicate_sums = design.backend.cross_sums(design.replicate_sql, _products(design, columns, shift),
                                                          by=keys, where=where)

    def run(value: Any) -> DriverResult:
        """The driver analysis of one domain.

        Parameters
        ----------
        value : Any
            The ``by`` value (None without ``by``).

        Returns
        -------
        DriverResult
            Its result, with labels.
        """
        rows = answer if by is None else answer[(answer[by] == value).to_numpy()]
        moments, reps = finish.moments(rows, () if by is None else (value,), min_n)
        result = importance_from_moments(moments, reps, items, names, method=method, scales=scales_list,
                                         level=level, max_exact=max_exact, n_permutations=n_permutations,
                                         seed=seed, warn_collinearity=warn_collinearity)
        return replace(result, labels=driver_labels(codebook, items, names, result.outcome))

    if by is None:
        return run(None)
    return {value: run(value) for value in sorted(answer[by].dropna().unique().tolist(), key=sort_key)}


def _overall(design: LazyDesign, names: list[str], columns: list[str], complete: str) -> dict[str, Any]:
    """Counts over all rows (complete, missing the outcome, missing each driver), and per column
    the plain mean and largest absolute value of the complete cases (one query)."""
    aggs = {"nc": f"SUM(CASE WHEN {complete} THEN 1 ELSE 0 END)",
            "ny": f"SUM(CASE WHEN {columns[-1]} IS NULL THEN 1 ELSE 0 END)"}
    for j, c in enumerate(columns):
        aggs[f"m{j}"] = f"SUM(CASE WHEN {c} IS NULL THEN 1 ELSE 0 END)"
        aggs[f"c{j}"] = f"AVG(CASE WHEN {complete} THEN {c} END)"
        aggs[f"l{j}"] = f"MAX(CASE WHEN {complete} THEN ABS({c}) END)"
        aggs[f"i{j}"] = f"MAX(ABS({c}))"
    row = design.backend.aggregate(aggs).iloc[0]
    q = len(columns)
    inf = [j for j in range(q) if np.isinf(float(row[f"i{j}"]) if pd.notna(row[f"i{j}"]) else 0.0)]
    if inf:
        raise DataError(f"{design.source}: column {[*names, 'outcome'][inf[0]]!r} has infinite values")
    number = lambda name: 0 if pd.isna(row[name]) else int(row[name])  # noqa: E731
    return {"complete": number("nc"), "outcome_missing": number("ny"),
            "dropped": np.array([number(f"m{j}") for j in range(q - 1)]),
            "shift": np.array([row[f"c{j}"] for j in range(q)], dtype=float),
            "largest": np.array([row[f"l{j}"] for j in range(q)], dtype=float)}


def _products(design: LazyDesign, columns: list[str], shift: np.ndarray) -> list[str]:
    """SQL of ``1``, ``x`` and the upper triangle of ``x x'``, ``x`` centred on ``shift``."""
    literal = design.backend.literal
    centred = [f"({c} - {literal(float(shift[j]))})" for j, c in enumerate(columns)]
    return ["1.0", *centred, *(f"{centred[a]} * {centred[b]}"
                               for a, b in zip(*np.triu_indices(len(columns)), strict=True))]


def _sums(design: LazyDesign, columns: list[str], shift: np.ndarray, complete: str, weight: str,
          prefix: str) -> dict[str, str]:
    """SQL sums of ``weight`` times each of :func:`_products` over the complete cases (named
    ``prefix`` + w, x0.., p0..)."""
    q = len(columns)
    names = [f"{prefix}w", *(f"{prefix}x{j}" for j in range(q)), *(f"{prefix}p{k}" for k in range(q * (q + 1) // 2))]
    return {name: f"SUM(CASE WHEN {complete} THEN {weight} * {product} END)"
            for name, product in zip(names, _products(design, columns, shift), strict=True)}


def _block(rows: pd.DataFrame, prefix: str, q: int) -> np.ndarray:
    """(n_rows, 1 + q + q(q+1)/2) sums named ``prefix`` + w, x0.., p0.. (zero where NULL)."""
    names = [f"{prefix}w", *(f"{prefix}x{j}" for j in range(q)), *(f"{prefix}p{k}" for k in range(q * (q + 1) // 2))]
    return rows[names].to_numpy(dtype=float, na_value=0.0)


class _Finish:
    """Moments of one domain from the answer rows (shared state of :func:`drivers`)."""

    def __init__(self, design: LazyDesign, items: list[str], names: list[str], counts: dict[str, Any],
                 shift: np.ndarray, boot: bool, replicates: int, seed: int | None, keys: list[str],
                 intervals: bool) -> None:
        self.design, self.items, self.names, self.counts, self.shift = design, items, names, counts, shift
        self.q = len(names) + 1
        self.keys = keys
        self.intervals = intervals
        self.boot = None
        self.replicate_sums: tuple[pd.DataFrame, np.ndarray] | None = None
        if boot:
            made = as_replicate(design, "bootstrap", replicates=replicates, seed=seed)
            assert made.multipliers is not None and made.replicates is not None
            self.boot = (made.multipliers.values, made.replicates)

    def moments(self, rows: pd.DataFrame, level: tuple[Any, ...], min_n: int
                ) -> tuple[DriverMoments, ReplicateMoments | None]:
        """The full-sample and replicate moments of the domain whose answer rows are ``rows``.

        Parameters
        ----------
        rows : pandas.DataFrame
            Its rows of the answer.
        level : tuple
            Its ``by`` value.
        min_n : int
            Fewest complete cases accepted.

        Returns
        -------
        tuple of (DriverMoments, ReplicateMoments or None)
            The moments.
        """
        design, q = self.design, self.q
        n_used = int(rows["__cf_n"].fillna(0).sum())
        check_complete(n_used, design.n_rows, self.items, q - 1, min_n)
        total = _block(rows, "__cf_", q).sum(axis=0)
        mean, cov = moments_from_sums(total[:1], total[None, 1 : 1 + q], total[None, 1 + q :], self.shift)
        counts = self.counts
        moments = DriverMoments(mean[0], cov[0], counts["largest"], n_used, design.n_rows, counts["complete"],
                                counts["outcome_missing"], counts["dropped"])
        if not self.intervals:
            return moments, None
        engine = design.replicates
        if self.boot is not None:
            multipliers, engine = self.boot
            clusters = design.clusters
            assert clusters is not None
            units = clusters.positions(rows)
            per_unit = np.zeros((len(clusters.frame), 1 + q + q * (q + 1) // 2))
            np.add.at(per_unit, units, _block(rows, "__cf_", q))
            sums = multipliers.T @ per_unit
            present = np.zeros(len(clusters.frame), dtype=bool)
            present[units] = rows["__cf_used"].to_numpy(dtype=float, na_value=0.0) > 0
            df = float(clusters.taylor.degrees_of_freedom(present))
        else:
            assert engine is not None and self.replicate_sums is not None
            groups, values = self.replicate_sums
            found = np.flatnonzero((groups[self.keys] == list(level)).all(axis=1).to_numpy()) if level else [0]
            sums = values[found[0]] if len(found) else np.zeros(values.shape[1:])
            usable = f"{domain_weight(design)} <> 0"
            df = float(replicate_degrees_of_freedom(design, self.keys, usable).get(level, 0))
        if np.any(sums[:, 0] <= 0):
            raise DataError(f"{design.source}: replicate {int(np.argmax(sums[:, 0] <= 0))} has weights "
                            "summing to zero among the complete cases")
        rmean, rcov = moments_from_sums(sums[:, 0], sums[:, 1 : 1 + q], sums[:, 1 + q :], self.shift)
        return moments, ReplicateMoments(rmean, rcov, engine, np.zeros(engine.n_replicates, dtype=bool), df)
