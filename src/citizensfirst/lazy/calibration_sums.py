"""What weighting a lazy design asks of its rows: Newton sums, and the variance after weighting.

*Calibration.* :class:`SqlMoments` gives :func:`~citizensfirst.weighting.calibration.solve_eta`
(the in-memory Newton iteration of R's ``grake``) the sums it needs, ONE aggregation query per
iterate: ``SUM(w F(x'eta) x)``, ``SUM(w F'(x'eta) x x')`` and a count of rows where ``g`` or
``F'`` is not finite (which halves the step, as in memory). The calibration functions are written
in SQL by :func:`calfun_sql` with the same formulas, operations and bounds as
``weighting.calibration``.

*Variance after weighting* (Taylor designs). The in-memory residualisers
(:class:`~citizensfirst.weighting.calibration.GregResiduals`, ``PostStratumResiduals``,
``RakingResiduals``) subtract from every row's influence value a term that depends on the row
only through a few sums, so the cluster totals of the residuals are the cluster totals of the
influence values minus a correction computed from small tables:

* GREG: ``r_i = z_i - w_i x_i' B`` with ``B = (X' W0 X)^-1 sum_j x_j z_j / g_j``; the cluster
  totals of ``w x`` are kept from the weighting step, the sums ``sum_j x_j z_j / g_j`` come from
  one query per estimate (``z`` is linear in ``w y`` and ``w x`` of each item);
* post-stratification and raking: the correction depends on the row's cell only, so it is
  computed on the cell table from the per-(cell, domain) sums of ``z`` (``z / w0`` for raking)
  and the per-(cluster, cell) weight sums kept from the weighting step.

Each is a :class:`Residualiser`; :func:`calibrated_unit_totals` runs the one query and applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..backends.base import Backend
from ..design.groups import group_sums
from ..errors import NotLazyError
from ..weighting.calibration import raking_offsets

if TYPE_CHECKING:
    from ..estimation.engine import Domains
    from .design import LazyDesign

__all__ = ["CellResiduals", "GregSums", "RakingCells", "Residualiser", "SqlMoments", "calfun_sql",
           "calibrated_unit_totals", "key_positions", "sparse_unit_table"]

_INF = "CAST('Infinity' AS DOUBLE)"


def calfun_sql(method: str, lower: float, upper: float, u: str, e: str, literal: Any) -> tuple[str, str]:
    """``(F(u), F'(u))`` of a calibration function in SQL (g = 1 + F(u)), as ``weighting.calibration``.

    Parameters
    ----------
    method : str
        ``"linear"``, ``"raking"`` or ``"logit"``.
    lower, upper : float
        Bounds on g (``-inf`` / ``inf`` for none).
    u : str
        SQL of ``x' eta``.
    e : str
        SQL of ``EXP(u)`` (raking) or ``EXP(a u)`` (logit, :func:`logit_slope`); unused for linear.
    literal : callable
        The backend's literal writer.

    Returns
    -------
    tuple of str
        The SQL of F and of F'.

    Examples
    --------
    >>> from citizensfirst.backends.duckdb import sql_literal
    >>> calfun_sql("linear", -float("inf"), float("inf"), "u", "", sql_literal)[0]
    "(LEAST(GREATEST(u + 1.0, CAST('-Infinity' AS DOUBLE)), CAST('Infinity' AS DOUBLE)) - 1.0)"
    """
    lo, hi = literal(float(lower)), literal(float(upper))
    if method == "linear":
        f = f"(LEAST(GREATEST({u} + 1.0, {lo}), {hi}) - 1.0)"
        d = f"(CASE WHEN {u} < {literal(upper - 1)} AND {u} > {literal(lower - 1)} THEN 1.0 ELSE 0.0 END)"
    elif method == "raking":
        f = f"(LEAST(GREATEST({e}, {lo}), {hi}) - 1.0)"
        d = f"(CASE WHEN {e} < {hi} AND {e} > {lo} THEN {e} ELSE 0.0 END)"
    else:
        a = logit_slope(lower, upper)
        c1, c2, c3, c4 = (literal(lower * (upper - 1)), literal(upper * (1 - lower)), literal(upper - 1),
                          literal(1 - lower))
        num, den = f"({c1} + {c2} * {e})", f"({c3} + {c4} * {e})"
        f = f"({num} / {den} - 1.0)"
        d = f"({c2} * {e} * {literal(a)} / {den} - ({num} * ({c4} * {e} * {literal(a)})) / ({den} * {den}))"
    return f, d


def logit_slope(lower: float, upper: float) -> float:
    """The slope ``a`` of the logit calibration function (``e = exp(a u)``).

    Parameters
    ----------
    lower, upper : float
        The finite bounds on g.

    Returns
    -------
    float
        ``(upper - lower) / ((upper - 1) (1 - lower))``.
    """
    return (upper - lower) / ((upper - 1) * (1 - lower))


def exp_sql(method: str, lower: float, upper: float, u: str, literal: Any) -> str:
    """The SQL of the exponential a calibration function uses (``EXP(u)``, ``EXP(a u)`` or 0).

    Parameters
    ----------
    method : str
        The calibration function.
    lower, upper : float
        Bounds on g.
    u : str
        SQL of ``x' eta``.
    literal : callable
        The backend's literal writer.

    Returns
    -------
    str
        The SQL.
    """
    if method == "raking":
        return f"EXP({u})"
    if method == "logit":
        return f"EXP({literal(logit_slope(lower, upper))} * {u})"
    return "0.0"


def linear_sql(columns: Sequence[str], eta: np.ndarray, literal: Any) -> str:
    """``x' eta`` in SQL.

    Parameters
    ----------
    columns : sequence of str
        SQL of the model columns.
    eta : numpy.ndarray
        The coefficients.
    literal : callable
        The backend's literal writer.

    Returns
    -------
    str
        The SQL.
    """
    return "(" + " + ".join(f"{x} * {literal(float(b))}" for x, b in zip(columns, eta, strict=True)) + ")"


class SqlMoments:
    """:class:`~citizensfirst.weighting.calibration.Moments` of a lazy design's rows: one query
    per ``eta``.

    Parameters
    ----------
    backend : Backend
        Where the rows are.
    columns : sequence of str
        SQL of the model columns ``x``.
    weight : str
        SQL of the starting weight.
    method : str
        The calibration function.
    bounds : tuple of (float, float)
        Bounds on g.
    """

    def __init__(self, backend: Backend, columns: Sequence[str], weight: str, method: str,
                 bounds: tuple[float, float]) -> None:
        self.backend, self.columns, self.weight = backend, list(columns), weight
        self.method, self.bounds = method, bounds
        self._jacobian = np.zeros((len(self.columns), len(self.columns)))

    def weight_totals(self) -> np.ndarray:
        """``X' w`` by one query.

        Returns
        -------
        numpy.ndarray
            The (p,) totals.
        """
        answer = self.backend.aggregate({f"t{j}": f"SUM({x} * {self.weight})" for j, x in enumerate(self.columns)})
        return answer.iloc[0].to_numpy(dtype=float)

    def rescaled(self, factor: float) -> SqlMoments:
        """The moments of the weights times ``factor``.

        Parameters
        ----------
        factor : float
            The factor.

        Returns
        -------
        SqlMoments
            New moments.
        """
        weight = f"({self.weight} * {self.backend.literal(float(factor))})"
        return SqlMoments(self.backend, self.columns, weight, self.method, self.bounds)

    def with_calfun(self, method: str, bounds: tuple[float, float]) -> SqlMoments:
        """The moments with another calibration function.

        Parameters
        ----------
        method : str
            The calibration function.
        bounds : tuple of (float, float)
            Bounds on g.

        Returns
        -------
        SqlMoments
            New moments.
        """
        return SqlMoments(self.backend, self.columns, self.weight, method, bounds)

    def evaluate(self, eta: np.ndarray) -> tuple[bool, np.ndarray]:
        """One query at ``eta``: finiteness, ``X' (w F)`` and (kept) ``X' (w F') X``.

        Parameters
        ----------
        eta : numpy.ndarray
            The coefficients.

        Returns
        -------
        tuple of (bool, numpy.ndarray)
            Whether every g and F' is finite, and ``X' (w F(X eta))``.
        """
        col, lit = self.backend.column, self.backend.literal
        p = len(self.columns)
        xs = [col(f"__cf_x{j}") for j in range(p)]
        w, u, e = col("__cf_w"), col("__cf_u"), col("__cf_e")
        f, d = calfun_sql(self.method, *self.bounds, u, e, lit)
        inner = ", ".join([f"{self.weight} AS {w}"] + [f"{x} AS {name}" for x, name in zip(self.columns, xs,
                                                                                            strict=True)])
        level1 = f"SELECT {inner}, {linear_sql(self.columns, eta, lit)} AS {u} FROM {{rows}}"
        level2 = f"SELECT *, {exp_sql(self.method, *self.bounds, u, lit)} AS {e} FROM ({level1}) AS cf_a"
        fv, dv = col("__cf_f"), col("__cf_d")
        level3 = f"SELECT *, {f} AS {fv}, {d} AS {dv} FROM ({level2}) AS cf_b"
        sums = [f"SUM({xs[j]} * ({w} * {fv})) AS {col(f'f{j}')}" for j in range(p)]
        sums += [f"SUM({xs[j]} * ({w} * {dv}) * {xs[k]}) AS {col(f'j{j}_{k}')}" for j in range(p)
                 for k in range(j, p)]
        sums.append(f"SUM(CASE WHEN ABS(1.0 + {fv}) < {_INF} AND ABS({dv}) < {_INF} THEN 0 ELSE 1 END) "
                    f"AS {col('bad')}")
        answer = self.backend.run(f"SELECT {', '.join(sums)} FROM ({level3}) AS cf_c").iloc[0]
        for j in range(p):
            for k in range(j, p):
                self._jacobian[j, k] = self._jacobian[k, j] = float(answer[f"j{j}_{k}"])
        return not answer["bad"], np.array([float(answer[f"f{j}"]) for j in range(p)])

    def jacobian(self) -> np.ndarray:
        """``X' (w F') X`` at the last evaluated ``eta``.

        Returns
        -------
        numpy.ndarray
            The (p, p) matrix.
        """
        return self._jacobian.copy()


def key_positions(frame: pd.DataFrame, keys: Sequence[str], answer: pd.DataFrame) -> np.ndarray:
    """Position in ``frame`` of every row of ``answer`` matched on ``keys`` (-1 where none).

    Parameters
    ----------
    frame : pandas.DataFrame
        A table with unique ``keys``.
    keys : sequence of str
        Key columns.
    answer : pandas.DataFrame
        Rows to place.

    Returns
    -------
    numpy.ndarray
        Integer positions.
    """
    if not keys:
        return np.zeros(len(answer), dtype=np.int64)
    index = frame[list(keys)].assign(__cf_pos=np.arange(len(frame)))
    merged = answer[list(keys)].merge(index, on=list(keys), how="left")
    return merged["__cf_pos"].fillna(-1).to_numpy(dtype=np.int64)


def sparse_unit_table(design: LazyDesign, keys: Sequence[str], frame: pd.DataFrame, value: str) -> sparse.csr_matrix:
    """(units, cells) sums of ``value`` per sampled unit and cell of ``keys``, by one query.

    Parameters
    ----------
    design : LazyDesign
        A Taylor design.
    keys : sequence of str
        Cell columns.
    frame : pandas.DataFrame
        The cells (unique ``keys``).
    value : str
        SQL summed.

    Returns
    -------
    scipy.sparse.csr_matrix
        The sums.
    """
    clusters = design.clusters
    assert clusters is not None, "a Taylor design"
    by = list(dict.fromkeys(list(clusters.keys) + list(keys)))
    answer = design.backend.aggregate({"__cf_s": f"SUM({value})"}, by=by)
    units, cells = clusters.positions(answer), key_positions(frame, keys, answer)
    shape = (len(clusters.frame), len(frame))
    return sparse.csr_matrix((answer["__cf_s"].to_numpy(dtype=float), (units, cells)), shape=shape)


@dataclass(frozen=True)
class Residualiser:
    """A weighting step's residualiser: the SQL multipliers summed per cell (``keys``) and domain,
    and the cells. Subclasses turn those sums into each unit's correction."""

    keys: tuple[str, ...]
    frame: pd.DataFrame
    multipliers: tuple[str, ...]

    def correction(self, sums: np.ndarray) -> np.ndarray:
        """Each unit's correction of the influence totals.

        Parameters
        ----------
        sums : numpy.ndarray
            (cells, multipliers, scores) sums ``sum_i m_i z_i`` per cell.

        Returns
        -------
        numpy.ndarray
            (units, scores) corrections.
        """
        raise NotImplementedError


@dataclass(frozen=True)
class GregSums(Residualiser):
    """GREG: ``B = (X' W0 X)^-1 S`` with ``S = sum x z / g``; correction ``units @ B``.

    ``x_over_g`` maps the (cells, multipliers) sums to the kept columns: (p, cells, multipliers)
    weights (identity for row-level x; ``x_c / g_c`` per cell for cluster means).
    """

    gram_inverse: np.ndarray
    x_over_g: np.ndarray
    units: np.ndarray

    def correction(self, sums: np.ndarray) -> np.ndarray:
        """``units @ B``.

        Parameters
        ----------
        sums : numpy.ndarray
            (cells, multipliers, scores) sums.

        Returns
        -------
        numpy.ndarray
            (units, scores) corrections.
        """
        s = np.einsum("pcm,cmk->pk", self.x_over_g, sums)
        return np.asarray(self.units @ (self.gram_inverse @ s))


@dataclass(frozen=True)
class CellResiduals(Residualiser):
    """Post-stratification: correction ``units @ (Z_c / W_c)[cell]`` (``cell`` maps each row of
    ``frame`` to its cell; ``units``: per (unit, frame row) sums of the weights before the step;
    ``cell_weights``: their cell totals)."""

    cell: np.ndarray
    units: sparse.csr_matrix
    cell_weights: np.ndarray

    def correction(self, sums: np.ndarray) -> np.ndarray:
        """``units @ (Z / W)``.

        Parameters
        ----------
        sums : numpy.ndarray
            (cells, 1, scores) sums of z.

        Returns
        -------
        numpy.ndarray
            (units, scores) corrections.
        """
        z = group_sums(self.cell, sums[:, 0], len(self.cell_weights))
        return np.asarray(self.units @ (z / self.cell_weights[:, None])[self.cell])


@dataclass(frozen=True)
class RakingCells(Residualiser):
    """Raking: ``RakingResiduals``' sweeps on the cell table.

    ``cell`` maps each row of ``frame`` to a cell; per margin ``levels`` (cell -> level code),
    ``sizes`` (number of levels) and ``factors`` (cell factor just after the margin's last
    adjustment); ``counts`` respondents per cell; ``units`` per (unit, frame row) base weight sums.
    """

    cell: np.ndarray
    levels: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    factors: tuple[np.ndarray, ...]
    counts: np.ndarray
    units: sparse.csr_matrix

    def correction(self, sums: np.ndarray) -> np.ndarray:
        """``units @ h``, ``h`` the cell offsets after the sweeps.

        Parameters
        ----------
        sums : numpy.ndarray
            (frame rows, 1, scores) sums of ``z / w0``.

        Returns
        -------
        numpy.ndarray
            (units, scores) corrections.
        """
        zb = group_sums(self.cell, sums[:, 0], len(self.counts))
        h = raking_offsets(zb, self.counts, self.levels, self.sizes, self.factors)
        return np.asarray(self.units @ h[self.cell])


def calibrated_unit_totals(design: LazyDesign, weight: str, terms: Sequence[tuple[str, str, str | None]],
                           by: Sequence[str], domains: Domains, est: np.ndarray, denominators: np.ndarray | None
                           ) -> np.ndarray:
    """The corrections of the (units, domains x items) influence totals for the design's weighting.

    One query per call: per cell of the residualiser and domain, the sums of ``m w y`` and
    ``m w x`` of every item and multiplier ``m``.

    Parameters
    ----------
    design : LazyDesign
        A weighted Taylor design.
    weight : str
        SQL of the row weight in the domain (zero outside).
    terms : sequence of tuple
        Per item: (usable condition, numerator SQL, denominator SQL or None for totals).
    by : sequence of str
        Domain columns.
    domains : Domains
        The domains of the estimate (``frame`` holds their ``by`` values).
    est : numpy.ndarray
        (domains, items) estimates.
    denominators : numpy.ndarray or None
        (domains, items) weighted denominator totals (None for totals).

    Returns
    -------
    numpy.ndarray
        (units, domains x items) corrections, domain-major.

    Raises
    ------
    NotLazyError
        When the design was calibrated more than once (chained residualisers need the rows).
    """
    if len(design.calibrations) > 1:
        raise NotLazyError(
            f"{design.source}: the variance of a lazy design weighted by {len(design.calibrations)} "
            "calibration steps (e.g. rake then calibrate) is not available lazily; weight in one step, "
            "or .collect() the rows"
        )
    cal: Residualiser = design.calibrations[0]
    aggregates = {}
    for j, (usable, y, x) in enumerate(terms):
        for t, m in enumerate(cal.multipliers):
            aggregates[f"y{j}_{t}"] = f"SUM(CASE WHEN {usable} THEN {m} * {weight} * {y} ELSE 0 END)"
            if x is not None:
                aggregates[f"x{j}_{t}"] = f"SUM(CASE WHEN {usable} THEN {m} * {weight} * {x} ELSE 0 END)"
    group = list(dict.fromkeys(list(cal.keys) + list(by)))
    answer = design.backend.aggregate(aggregates, by=group)
    cells = key_positions(cal.frame, cal.keys, answer)
    domain = key_positions(domains.frame, list(by), answer) if by else np.zeros(len(answer), dtype=np.int64)
    ok = (cells >= 0) & (domain >= 0)
    n_items, n_mult = len(terms), len(cal.multipliers)
    sums = np.zeros((len(cal.frame), n_mult, domains.count * n_items))
    for j in range(n_items):
        for t in range(n_mult):
            z = answer[f"y{j}_{t}"].to_numpy(dtype=float, na_value=0.0)
            if denominators is not None:
                rows = domain[ok]
                xs = answer[f"x{j}_{t}"].to_numpy(dtype=float, na_value=0.0)[ok]
                with np.errstate(divide="ignore", invalid="ignore"):
                    z_ok = (z[ok] - est[rows, j] * xs) / denominators[rows, j]
            else:
                z_ok = z[ok]
            np.add.at(sums, (cells[ok], np.full(int(ok.sum()), t), domain[ok] * n_items + j), z_ok)
    return cal.correction(sums)
