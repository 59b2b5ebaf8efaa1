"""The one aggregation plan of lazy ratio-type estimators (means, totals, ratios, proportions).

An estimator names its items: numerator SQL (NULL where missing) and denominator SQL, or
:data:`~citizensfirst.estimation.engine.ONES` (means) or None (totals). ONE query per call
returns, per finest sampled unit (Taylor designs) or per domain (replicate designs), and per
domain of ``by``:

* the usable count of every item (value present, weight nonzero), the sums of ``w y`` and
  ``w x``, and the sums design effects need (``w y^2``, ``w x^2``, ``w x y``);
* on replicate designs, ``SUM(a_r y)`` and ``SUM(a_r x)`` for every replicate ``r`` (and the
  R x R sums of the replicate df) in one pass of the backend's ``cross_sums`` primitive.

Equal SQL expressions are summed once (a mean of variables without missing values shares one
denominator). numpy then finishes exactly as the in-memory engine does
(:func:`~citizensfirst.estimation.engine.ratio_influence`, ``TaylorStructure.vcov`` through
:func:`~citizensfirst.estimation.engine.stacked_vcov`, ``ReplicateWeights.vcov``,
:func:`~citizensfirst.estimation.engine.srs_variance`) and returns the dict of
:func:`~citizensfirst.estimation.engine.ratio_engine`. Domains zero the weight; they never drop
rows. A categorical variable becomes one 0/1 indicator per level (its levels are asked once
per design and variable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.groups import group_sums
from ..design.variance import numerical_rank
from ..estimation.engine import Domains, stacked_vcov
from ..estimation.ratio_kernels import ratio_influence, srs_variance
from .calibration_sums import calibrated_unit_totals
from .replicates import multiplier_degrees_of_freedom

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["Items", "gram_rank", "ratio_sums", "replicate_degrees_of_freedom"]

@dataclass(frozen=True)
class Items:
    """What an estimator sums: per item a numerator and, for ratios, a denominator (SQL).

    ``denominators`` is a list of SQL (ratios), ``"ones"`` (means) or None (totals).
    """

    numerators: tuple[str, ...]
    denominators: tuple[str, ...] | str | None
    listwise: bool = False


class _Sums:
    """Aggregate expressions named once each (equal SQL is summed once)."""

    def __init__(self) -> None:
        self.named: dict[str, str] = {}

    def sum(self, condition: str, value: str) -> str:
        expr = f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"
        return self.named.setdefault(expr, f"s{len(self.named)}")

    def aggregates(self) -> dict[str, str]:
        return {alias: expr for expr, alias in self.named.items()}


def domain_weight(design: LazyDesign) -> str:
    """The row weight inside the design's domain, zero outside it (rows are kept).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.

    Returns
    -------
    str
        The SQL expression.
    """
    if design.domain_sql is None:
        return f"({design.weight_sql})"
    return f"(CASE WHEN {design.domain_sql} THEN {design.weight_sql} ELSE 0.0 END)"


def _group_keys(design: LazyDesign, by: Sequence[str]) -> list[str]:
    units = list(design.clusters.keys) if design.clusters is not None else []
    return units + [b for b in by if b not in units]


def ratio_sums(design: LazyDesign, items: Items, by: Sequence[str], deff: str | None
               ) -> tuple[dict[str, Any], Domains]:
    """Estimates, covariance, deff, n and df of ratios of weighted totals, by one query.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    items : Items
        Numerators and denominators (SQL).
    by : sequence of str
        Domain columns.
    deff : str or None
        Design-effect convention (``'srswor'``, ``'replace'`` or None).

    Returns
    -------
    tuple
        The :func:`~citizensfirst.estimation.engine.ratio_engine` dict and the domains.
    """
    w = domain_weight(design)
    k = len(items.numerators)
    dens = items.denominators
    missing = []
    for j, y in enumerate(items.numerators):
        parts = [f"{y} IS NULL"] + ([f"{dens[j]} IS NULL"] if isinstance(dens, tuple) else [])
        missing.append(" OR ".join(parts))
    if items.listwise:
        missing = [" OR ".join(dict.fromkeys(missing))] * k
    if design.replicate_sql:  # one streamed pass: replicate totals, the main sums and the df's
        block, rep_block, domains, any_usable = _replicate_plan(design, items, by, deff, missing)
        return _finish(design, block, rep_block, dens is not None, deff, domains, any_usable, []), domains
    usable = [f"(NOT ({m}) AND {w} <> 0)" for m in missing]
    sums = _Sums()
    names: dict[str, list[str]] = {key: [] for key in ("n", "psum", "wy", "wx", "wyy", "wxx", "wxy")}
    for j, y in enumerate(items.numerators):
        x = "" if not isinstance(dens, tuple) else f" * {dens[j]}"  # means and totals: x = 1
        u = usable[j]
        names["n"].append(sums.sum(u, "1"))
        names["psum"].append(sums.sum(u, w))
        names["wy"].append(sums.sum(u, f"{w} * {y}"))
        names["wx"].append(sums.sum(u, f"{w}{x}"))
        names["wyy"].append(sums.sum(u, f"{w} * {y} * {y}") if deff else "")
        names["wxx"].append(sums.sum(u, f"{w}{x}{x}") if deff and dens is not None else "")
        names["wxy"].append(sums.sum(u, f"{w}{x} * {y}") if deff and dens is not None else "")
    answer, domains, rows = _query(design, sums, by)
    block = {key: _dense(answer, cols, rows, domains.count) for key, cols in names.items()
             if all(cols)}
    any_usable = " OR ".join(dict.fromkeys(usable))
    terms = [(u, y, None if dens is None else dens[j] if isinstance(dens, tuple) else "1.0")
             for j, (u, y) in enumerate(zip(usable, items.numerators, strict=True))]
    return _finish(design, block, {}, dens is not None, deff, domains, any_usable, terms), domains


@dataclass(frozen=True)
class _Rows:
    """Where every answer row goes: its domain (-1: none) and its unit (row of the Taylor
    structure; 0 on replicate designs)."""

    domain: np.ndarray
    unit: np.ndarray
    n_units: int


def _query(design: LazyDesign, sums: _Sums, by: Sequence[str]) -> tuple[pd.DataFrame, Domains, _Rows]:
    """Run the plan's query; the domains (sorted as pandas' groupby) and each answer row's place."""
    aggregates = sums.aggregates()
    aggregates["__cf_d"] = ("COUNT(*)" if design.domain_sql is None
                            else f"SUM(CASE WHEN {design.domain_sql} THEN 1 ELSE 0 END)")
    answer = design.backend.aggregate(aggregates, by=_group_keys(design, by))
    names = list(by)
    if names:
        in_domain = answer.loc[answer[names].notna().all(axis=1)].groupby(names, sort=True)["__cf_d"].sum()
        frame = in_domain[in_domain > 0].reset_index()[names]
        domain = _positions(answer, frame, names)
    else:
        frame = pd.DataFrame(index=[0])
        domain = np.zeros(len(answer), dtype=np.int64)
    if design.clusters is not None:
        unit, n_units = design.clusters.positions(answer), len(design.clusters.frame)
    else:
        unit, n_units = np.zeros(len(answer), dtype=np.int64), 1
    return answer, Domains(np.empty(0, dtype=np.int64), frame), _Rows(domain, unit, n_units)


def _positions(keys: pd.DataFrame, frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Each row's domain (its row in ``frame``), -1 where it has none or a missing key."""
    valid = keys[names].notna().all(axis=1).to_numpy()
    index = frame.assign(__cf_g=np.arange(len(frame)))
    found = keys[names].merge(index, on=names, how="left")["__cf_g"].to_numpy(dtype=float)
    return np.where(valid & ~np.isnan(found), np.nan_to_num(found, nan=-1), -1).astype(np.int64)


def _replicate_plan(design: LazyDesign, items: Items, by: Sequence[str], deff: str | None,
                    missing: list[str]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Domains, str]:
    """A replicate design's sums in one pass of the backend's ``cross_sums``.

    The rows used are those with a nonzero weight and some item present (``WHERE``); each item
    streams its value (NULL where it is missing) and its 0/1 presence. Sums of products with
    the replicate weights give the replicate totals ``SUM(a_r y)`` and ``SUM(a_r x)``; with the
    weight and the constant 1, the usable count and the sums of ``w``, ``w y``, ``w x`` (and
    ``w y^2``, ... for design effects); the replicate weights with themselves, the R x R sums
    of the replicate df (when not known yet).

    Returns the (G, 1, k) sums by kind, the (G, R, k) replicate totals of ``y`` and ``x``,
    the domains and the SQL condition of the rows used (the df's cache key).
    """
    w = domain_weight(design)
    weight = design.weight_sql if design.domain_sql is None else w  # a bare column streams as stored
    dens, reps = items.denominators, list(design.replicate_sql)
    where = f"({w} <> 0) AND ({' OR '.join(dict.fromkeys(f'NOT ({m})' for m in missing))})"
    values: dict[str, int] = {}
    wanted: dict[str, list[int]] = {key: [] for key in ("y", "x", "ind", "yy", "xx", "xy")}

    def stream(kind: str, expr: str, condition: str, bare: bool) -> None:
        sql = expr if bare else f"CASE WHEN {condition} THEN {expr} END"
        wanted[kind].append(values.setdefault(sql, len(values)))

    for j, y in enumerate(items.numerators):
        present, bare = f"NOT ({missing[j]})", missing[j] == f"{y} IS NULL"  # bare: y is NULL where missing
        x = dens[j] if isinstance(dens, tuple) else None
        stream("y", y, present, bare)
        stream("ind", "1.0", present, False)
        if x is not None:
            stream("x", x, present, False)
        if deff:
            stream("yy", f"({y}) * ({y})", present, bare)
            if x is not None:
                stream("xx", f"({x}) * ({x})", present, False)
                stream("xy", f"({x}) * ({y})", present, False)
    gram = (design.degf is None and (tuple(by), where) not in design.df_cache
            and (design.multipliers is None or design.multipliers.replicate_sql != design.replicate_sql))
    left = [*reps, weight, "1.0"]
    right = (left if gram else []) + list(values)
    keys, cross = design.backend.cross_sums(left, right, by=by, where=where)
    if gram:  # the replicate df of these domains, from the R x R block
        replicate_degrees_of_freedom(design, by, where, (keys, cross[:, :len(reps), :len(reps)]))
    domains = _query(design, _Sums(), by)[1] if by else Domains(np.empty(0, dtype=np.int64), pd.DataFrame(index=[0]))
    place = _positions(keys, domains.frame, list(by)) if by else np.zeros(len(keys), dtype=np.int64)
    totals = np.zeros((domains.count, *cross.shape[1:]))
    np.add.at(totals, place[place >= 0], cross[place >= 0])
    totals = totals[:, :, len(left) if gram else 0:]
    r, wrow, ones = slice(0, len(reps)), len(reps), len(reps) + 1
    x_cols = wanted["x"] or wanted["ind"]  # means and totals: x = 1
    block = {"n": totals[:, ones, wanted["ind"]], "psum": totals[:, wrow, wanted["ind"]],
             "wy": totals[:, wrow, wanted["y"]], "wx": totals[:, wrow, x_cols]}
    if deff:
        block["wyy"] = totals[:, wrow, wanted["yy"]]
        if dens is not None:
            block["wxx"] = totals[:, wrow, wanted["xx"] or wanted["ind"]]
            block["wxy"] = totals[:, wrow, wanted["xy"] or wanted["y"]]
    rep_block = {"y": totals[:, r][:, :, wanted["y"]], "x": totals[:, r][:, :, x_cols]}
    return ({key: value[:, None, :] for key, value in block.items()}, rep_block, domains, where)


def _dense(answer: pd.DataFrame, columns: list[str], rows: _Rows, n_domains: int) -> np.ndarray:
    """(G, U, k) array of answer ``columns`` by domain and unit (zero where absent)."""
    ok = rows.domain >= 0
    values = answer[columns].to_numpy(dtype=float, na_value=0.0)
    out = np.zeros((n_domains, rows.n_units, len(columns)))
    np.add.at(out, (rows.domain[ok], rows.unit[ok]), values[ok])
    return out


def _finish(design: LazyDesign, block: dict[str, np.ndarray], rep_block: dict[str, np.ndarray],
            ratio: bool, deff: str | None, domains: Domains, any_usable: str,
            terms: list[tuple[str, str, str | None]]) -> dict[str, Any]:
    """The ratio-engine dict from the (G, U, k) sums, as :func:`ratio_engine` computes it
    (``terms``: per item its usable condition, numerator and denominator SQL, for the
    residualisers of a weighted design)."""
    wy, n = block["wy"], block["n"]
    wx = block["wx"] if ratio else None
    totals = {key: value.sum(axis=1) for key, value in block.items()}  # (G, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = totals["wy"] / totals["wx"] if ratio else totals["wy"]
    counts = totals["n"]
    n_domains = wy.shape[0]
    srs = [srs_variance(totals["psum"][g], counts[g], totals["wy"][g],
                        totals.get("wyy", np.full_like(counts, np.nan))[g], est[g], deff,
                        **({"wx": totals["wx"][g], "wxx": totals["wxx"][g], "wxy": totals["wxy"][g]}
                           if ratio and deff else {}))
           for g in range(n_domains)]
    present = [(n[g] > 0).any(axis=1) for g in range(n_domains)]
    replicates = None
    if design.replicates is not None:
        by = list(domains.frame.columns)
        dfs = replicate_degrees_of_freedom(design, by, any_usable)
        keys = [tuple(row) for row in domains.frame[by].itertuples(index=False)] if by else [()]
        rep_y = rep_block["y"]  # (G, R, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            thetas = rep_y / rep_block["x"] if ratio else rep_y
        replicates = np.hstack(list(thetas))
        vcov = design.replicates.vcov(replicates, est.reshape(-1))
        df = np.asarray([dfs.get(key, 0) for key in keys], dtype=float)
    else:
        clusters = design.clusters
        assert clusters is not None
        taylor = clusters.taylor
        blocks = []
        for g in range(n_domains if not design.calibrations else 0):
            stage_totals = []
            for stage in taylor.used_stages:
                t1 = group_sums(stage.cluster, wy[g], stage.n_clusters)
                t0 = None if wx is None else group_sums(stage.cluster, wx[g], stage.n_clusters)
                stage_totals.append(ratio_influence(t1, t0, est[g]))
            blocks.append(stage_totals)
        if design.calibrations:  # residuals on the weighting model (the in-memory calibrated path)
            scores = np.hstack([ratio_influence(wy[g], None if wx is None else wx[g], est[g])
                                for g in range(n_domains)])
            scores -= calibrated_unit_totals(design, domain_weight(design), terms, list(domains.frame.columns),
                                             domains, est, None if wx is None else totals["wx"])
            vcov = taylor.vcov(taylor.cluster_totals(scores), taylor.present(np.logical_or.reduce(present)))
        else:
            vcov = stacked_vcov(taylor, blocks, present, wy.shape[2])
        df = np.asarray([taylor.degrees_of_freedom(p) if p.any() else 0 for p in present], dtype=float)
    variance = np.diag(vcov)
    with np.errstate(divide="ignore", invalid="ignore"):
        design_effect = variance / np.concatenate(srs) if deff else np.full_like(variance, np.nan)
    k = wy.shape[2]
    return {"estimate": est.reshape(-1), "vcov": vcov, "deff": design_effect,
            "n": counts.reshape(-1), "df": np.repeat(df, k), "replicates": replicates}


def replicate_degrees_of_freedom(design: LazyDesign, by: Sequence[str], usable: str,
                                 grams: tuple[pd.DataFrame, np.ndarray] | None = None
                                 ) -> dict[tuple[Any, ...], int]:
    """Per domain of ``by``, the rank of the replicate weights of its ``usable`` rows minus
    one, from the R x R sums ``SUM(a_r a_s)`` (the backend's :meth:`~citizensfirst.backends.base.Backend.cross_sums`,
    cached per design, domains and usable rows); or ``degf=`` when given (then only a count).

    Parameters
    ----------
    design : LazyDesign
        A replicate design.
    by : sequence of str
        Domain columns.
    usable : str
        SQL condition of the rows counted (in the domain, weight nonzero, value present).
    grams : tuple, optional
        Those R x R sums when already at hand: the ``by`` groups and the (G, R, R) array, as
        :meth:`~citizensfirst.backends.base.Backend.cross_sums` returns them.

    Returns
    -------
    dict
        The domain's ``by`` values (a tuple; ``()`` without ``by``) to its degrees of
        freedom; domains without a usable row are absent.
    """
    key = (tuple(by), usable)
    exact = None if key in design.df_cache else multiplier_degrees_of_freedom(design, by, usable)
    if exact is not None:  # as_replicate's multipliers: their rank, as in memory (no R x R sums)
        design.df_cache[key] = exact
    if key not in design.df_cache:
        names = list(by)
        found: dict[tuple[Any, ...], int] = {}
        sums: np.ndarray | None = None
        if design.degf is not None:  # given: only which domains hold a usable row
            keys = design.backend.aggregate({"__cf_u": "COUNT(*)"}, by=names, where=usable)
            keys = keys[keys["__cf_u"] > 0]
        else:  # the R x R sums of every domain in one pass
            keys, sums = grams or design.backend.cross_sums(design.replicate_sql, design.replicate_sql,
                                                            by=names, where=usable)
            if not names and not sums.any():  # no usable row, or none with a replicate weight
                keys = keys[design.backend.aggregate({"__cf_u": "COUNT(*)"}, where=usable)["__cf_u"].to_numpy() > 0]
        for i, domain in enumerate(keys[names].itertuples(index=False, name=None)):  # domains
            if not any(pd.isna(v) for v in domain):
                found[domain] = gram_rank(sums[i]) - 1 if sums is not None else int(design.degf or 0)
        design.df_cache[key] = found
    return design.df_cache[key]


def gram_rank(gram: np.ndarray) -> int:
    """Numerical rank of a matrix ``A`` given only its cross-product ``A^T A``.

    The rank rule is :func:`~citizensfirst.design.variance.numerical_rank`'s, applied to a
    square matrix with the same cross-product (``diag(sqrt(L)) V^T`` from ``A^T A = V L V^T``),
    so a replicate design's df needs only the R x R sums ``SUM(a_r a_s)`` of a domain.

    Parameters
    ----------
    gram : numpy.ndarray
        The (R, R) cross-product matrix.

    Returns
    -------
    int
        The rank.

    Examples
    --------
    >>> a = np.array([[1.0, 2.0], [2.0, 4.0], [1.0, 2.0]])
    >>> gram_rank(a.T @ a)
    1
    """
    values, vectors = np.linalg.eigh((gram + gram.T) / 2)
    root = np.sqrt(np.clip(values, 0.0, None))[:, None] * vectors.T
    return numerical_rank(root)
