"""The weighted CDF of a variable per domain, searched by aggregation: quantiles of a lazy design.

A quantile rule (:mod:`citizensfirst.estimation.quantile_rules`) reads the sorted values, their
cumulative weights and, for some rules, the rows next to the quantile (tie order, the last row's
weight). :class:`CdfSearch` gives every rule a short table that yields the same answer as the
full sorted column:

* when the domains hold at most :data:`SMALL` rows with a value, their rows themselves (in file
  order), so the rule sees exactly the in-memory arrays;
* otherwise a weighted histogram of :data:`BINS` bins per domain (one query for every domain,
  weight and probability), refined by histograms of :data:`FINE` bins inside each bin around
  each target until the window ``p T +/- margin`` holds at most :data:`VALUES` distinct
  values (one query per level for every target); then one
  query returns those values with their weight sums and counts, and values shared by several
  rows (ties) are brought as rows in file order. Everything below the window becomes one or two
  rows of its total weight, everything above one row (plus the last row of the domain for the
  rules that read it), placed where the rule never reaches them.

The margin is a few times the largest weight (half the scaled largest weight more for
``shahvaish``, whose plotting positions move by half a row weight), so the rule decides inside
rows it sees exactly. Weight sums come from SQL as two sums that add without rounding (the
weights cut at a power of two, and the rest), passed to the rule as doubles whose
extended-precision sums are exact; so the cumulative weights equal the in-memory ones whenever
those are exact, and exact ties ``C_k = p T`` (equal non-integer weights) fall the same way.
Rules that read the order of tied rows (``hf4`` to ``hf9``, ``shahvaish``) get the tied rows
near the quantile in file order, up to :data:`TIES` rows; beyond, the rule raises
:class:`~citizensfirst.errors.NotLazyError` unless the tied rows share one weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..backends.base import Backend
from ..errors import NotLazyError
from ..estimation.quantile_rules import quantile as rule_quantile
from ..estimation.quantile_rules import sorted_quantile
from .structure import ROW_ID

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["BINS", "FINE", "SMALL", "TIES", "VALUES", "WINDOW", "CdfSearch", "domain_codes", "domain_condition"]

#: bins of the first histogram of a domain
BINS = 1024
#: bins each bin of a window is cut into by the next histogram
FINE = 32
#: distinct values a window may hold before it is refined
VALUES = 64
#: rows brought whole when the domains hold no more (their rows, in file order)
SMALL = 20_000
#: distinct values of a window that bins cannot narrow brought at most
WINDOW = 100_000
#: tied rows (rows sharing a value in the windows) brought at most, in file order
TIES = 20_000
#: histogram levels before giving up
LEVELS = 5
#: rules whose answer does not depend on the order of tied rows
ORDERLESS = frozenset({"math", "school", "hf1", "hf2", "hf3"})
#: rules that read the weight of the last sorted row
LAST_ROW = frozenset({"hf6", "hf7", "hf8", "hf9"})
_ROW = "__cf_qrow"


@dataclass
class _Target:
    """One quantile asked: domain ``g``, weight ``j``, probability ``p``, and the search state."""

    g: int
    j: int
    p: float
    centre: float
    margin: float
    level: int = 0
    window: tuple[int, int] = (0, 0)
    below: np.longdouble = field(default_factory=lambda: np.longdouble(0))
    above: np.longdouble = field(default_factory=lambda: np.longdouble(0))
    distinct_below: int = 0


class CdfSearch:
    """Quantiles of ``x`` per domain under one or more weights, by aggregation queries.

    Parameters
    ----------
    design : LazyDesign
        The lazy design (its backend and domain).
    x : str
        The variable as SQL (NULL where missing).
    by : sequence of str
        Domain columns.
    domains : pandas.DataFrame
        The domains' ``by`` values, one row per domain (in the estimate's order).
    weights : sequence of str
        Weight SQL expressions, zero outside the design's domain (the main weight, replicates).
    rule : str
        The quantile rule.
    """

    def __init__(self, design: LazyDesign, x: str, by: Sequence[str], domains: pd.DataFrame,
                 weights: Sequence[str], rule: str) -> None:
        self.design, self.backend = design, design.backend
        self.x, self.by, self.domains, self.weights, self.rule = x, list(by), domains, list(weights), rule
        self.where = f"{x} IS NOT NULL" + (f" AND {design.domain_sql}" if design.domain_sql else "")
        sums = {"rows": "COUNT(*)", "lo": f"MIN({x})", "hi": f"MAX({x})"}
        for j, w in enumerate(self.weights):
            sums.update({f"t{j}": f"SUM({w})", f"m{j}": f"MAX({w})",
                         f"n{j}": f"SUM(CASE WHEN {w} <> 0 THEN 1 ELSE 0 END)",
                         f"top{j}": f"MAX(CASE WHEN {w} <> 0 THEN {x} END)"})
        summary = self._by_domain(self._group(sums, {}))
        self.summary = summary
        lo, hi = summary["lo"].min(), summary["hi"].max()
        self.lo = 0.0 if pd.isna(lo) else float(lo)
        span = 0.0 if pd.isna(hi) else float(hi) - self.lo
        self.scale = BINS / span if span > 0 else 1.0
        self.small = int(summary["rows"].fillna(0).sum()) <= SMALL
        self._rows: pd.DataFrame | None = None
        self._numbered: Backend | None = None
        self._first_bins: pd.DataFrame | None = None

    # ----------------------------------------------------------------- answers

    def quantiles(self, asked: Sequence[tuple[int, int, float]]) -> np.ndarray:
        """The quantile of every ``(domain, weight, probability)`` asked (NaN: no positive weight).

        Parameters
        ----------
        asked : sequence of tuple
            ``(g, j, p)``: domain position, weight position, probability in [0, 1].

        Returns
        -------
        numpy.ndarray
            One quantile per entry of ``asked``.

        Raises
        ------
        NotLazyError
            If the values near a quantile cannot be brought in bounded memory (very many tied
            rows of different weights under an order-dependent rule, or more than
            :data:`VALUES` distinct values that bins cannot separate).
        """
        if self.small:
            return self._from_rows(asked)
        out = np.full(len(asked), np.nan)
        targets: list[tuple[int, _Target]] = []
        for i, (g, j, p) in enumerate(asked):
            row = self.summary.iloc[g]
            total, count = np.nan_to_num(float(row[f"t{j}"])), np.nan_to_num(float(row[f"n{j}"]))
            if total > 0:
                wmax = float(row[f"m{j}"])
                centre, margin = p * total, 4 * wmax
                if self.rule == "shahvaish":
                    mean = total / count
                    centre, margin = mean * (p * (count + 1) - 0.5), margin + mean * (wmax / 2 + 2)
                targets.append((i, _Target(g, j, p, centre, margin)))
        self._locate([t for _, t in targets])
        for (i, _), value in zip(targets, self._evaluate([t for _, t in targets]), strict=True):
            out[i] = value
        return out

    def _from_rows(self, asked: Sequence[tuple[int, int, float]]) -> np.ndarray:
        """Small domains: the rows themselves, in file order, exactly as in memory."""
        if self._rows is None:
            columns = {"__cf_x": self.x} | {f"__cf_w{j}": w for j, w in enumerate(self.weights)}
            self._rows = self._codes(self._fetch(columns, self.where))
        rows = self._rows
        out = np.empty(len(asked))
        for i, (g, j, p) in enumerate(asked):
            mine = rows[rows["__cf_g"].to_numpy() == g]
            out[i] = rule_quantile(mine["__cf_x"].to_numpy(dtype=float),
                                   mine[f"__cf_w{j}"].to_numpy(dtype=float), p, self.rule)
        return out

    # ----------------------------------------------------------------- histogram search

    def _bin(self, level: int) -> str:
        return f"CAST(FLOOR(({self.x} - {self._lit(self.lo)}) * {self._lit(self.scale * FINE ** (level - 1))}) AS BIGINT)"

    def _locate(self, targets: list[_Target]) -> None:
        """Narrow every target's window, level by level, until it holds few distinct values."""
        pending, level = targets, 1
        held: dict[int, int] = {}
        while pending:
            if level == 1:
                if self._first_bins is None:  # every domain and weight, asked once
                    self._first_bins = self._histogram(1, self.where, list(range(len(self.weights))))
                answer = self._first_bins
            else:
                where = f"{self.where} AND ({self._windows(pending, level - 1)})"
                answer = self._histogram(level, where, sorted({t.j for t in pending}))
            answer = answer.sort_values("__cf_b", kind="stable")
            following = []
            for t in pending:
                mine = answer[answer["__cf_g"].to_numpy() == t.g]
                if level > 1:
                    parent = mine["__cf_b"].to_numpy() // FINE
                    mine = mine[(parent >= t.window[0]) & (parent <= t.window[1])]
                distinct = self._narrow(t, mine, level)
                if distinct > VALUES and level < LEVELS and distinct < held.get(id(t), distinct + 1):
                    following.append(t)  # bins can still narrow the window
                elif distinct > WINDOW:
                    raise NotLazyError(
                        f"{self.design.source}: {distinct} distinct values lie within a few weights "
                        "of a quantile of this variable, too many to bring; .collect() a subset "
                        "to compute it in memory")
                held[id(t)] = distinct
            pending, level = following, level + 1

    def _histogram(self, level: int, where: str, weights: list[int]) -> pd.DataFrame:
        """Rows, distinct values and exact weight sums per domain and bin of ``level``.

        ``hf3`` reads the weight of every distinct value, summed in double precision first (as
        in memory), so its bins sum those per-value sums (exactly), and count the values of
        nonzero weight.
        """
        bins = self._bin(level)
        if self.rule != "hf3":
            sums = {"c": "COUNT(*)", "d": f"COUNT(DISTINCT {self.x})"}
            for j in weights:
                sums.update(self._exact_sum(self.weights[j], j, f"m{j}"))
            answer = self._group(sums, {"__cf_b": bins}, where)
        else:
            column = self.backend.column
            keys = [column(b) for b in self.by]
            inner = [f"{k} AS {k}" for k in keys] + [f"{bins} AS {column('__cf_b')}",
                                                     f"{self.x} AS {column('__cf_x')}",
                                                     f"COUNT(*) AS {column('c')}"]
            inner += [f"SUM({self.weights[j]}) AS {column(f'v{j}')}" for j in weights]
            outer = {"c": f"SUM({column('c')})", "d": "COUNT(*)"}
            for j in weights:
                value = column(f"v{j}")
                outer.update(self._exact_sum(value, j, f"t{j}"))
                outer[f"d{j}"] = f"SUM(CASE WHEN {value} <> 0 THEN 1 ELSE 0 END)"
            groups = ", ".join([*keys, self.x])
            query = (f"SELECT {', '.join([*keys, column('__cf_b')] + [f'{e} AS {column(n)}' for n, e in outer.items()])} "
                     f"FROM (SELECT {', '.join(inner)} FROM {{rows}} WHERE {where} GROUP BY {groups}) AS per_value "
                     f"GROUP BY {', '.join([*keys, column('__cf_b')])}")
            answer = self.backend.run(query)
        return self._codes(answer)

    def _narrow(self, t: _Target, bins: pd.DataFrame, level: int) -> int:
        """Move ``t`` to the bins of ``bins`` covering its window; return their distinct values."""
        w = self._summed(bins, t.j)
        after = t.below + np.cumsum(w)
        before = after - w
        chosen = np.flatnonzero((after >= t.centre - t.margin) & (before <= t.centre + t.margin))
        first, last = (int(chosen[0]), int(chosen[-1])) if len(chosen) else (0, len(bins) - 1)
        t.below = t.below + w[:first].sum()
        t.above = t.above + w[last + 1:].sum()
        if self.rule == "hf3":
            t.distinct_below += int(bins[f"d{t.j}"].to_numpy()[:first].sum())
        keys = bins["__cf_b"].to_numpy()
        t.level, t.window = level, (int(keys[first]), int(keys[last]))
        return int(bins["d"].to_numpy()[first:last + 1].sum())

    def _windows(self, targets: Sequence[_Target], level: int | None = None) -> str:
        """SQL: the rows inside any target's window (merged per domain)."""
        spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for t in targets:
            spans.setdefault((t.g, t.level if level is None else level), []).append(t.window)
        clauses = []
        for (g, lev), windows in sorted(spans.items()):
            merged: list[list[int]] = []
            for a, b in sorted(windows):
                if merged and a <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], b)
                else:
                    merged.append([a, b])
            ranges = " OR ".join(f"{self._bin(lev)} BETWEEN {a} AND {b}" for a, b in merged)
            clauses.append(f"({self.domain_sql(g)} AND ({ranges}))")
        return " OR ".join(clauses) or "FALSE"

    # ----------------------------------------------------------------- the short tables

    def _evaluate(self, targets: list[_Target]) -> list[float]:
        """The rule on each target's short table (window values, ties as rows, blocks around)."""
        if not targets:
            return []
        levels = sorted({t.level for t in targets})
        keys = {f"__cf_b{lev}": self._bin(lev) for lev in levels} | {"__cf_x": self.x}
        sums = {"c": "COUNT(*)"}
        for j in sorted({t.j for t in targets}):
            w = self.weights[j]
            sums.update(self._exact_sum(w, j, f"m{j}") | {f"lo{j}": f"MIN({w})", f"hi{j}": f"MAX({w})",
                                                           f"s{j}": f"SUM({w})"})
        tops = [(t.g, t.j) for t in targets if self.rule in LAST_ROW]
        top_sql = " OR ".join(f"({self.domain_sql(g)} AND {self.x} = {self._lit(self._top(g, j))})"
                              for g, j in sorted(set(tops)))
        where = f"{self.where} AND ({self._windows(targets)}{' OR ' + top_sql if top_sql else ''})"
        values = self._codes(self._group(sums, keys, where)).sort_values("__cf_x", kind="stable")
        ties = values[values["c"].to_numpy() > 1]
        fetched = self._tie_rows(ties) if 0 < ties["c"].sum() <= TIES else None
        out = []
        for t in targets:
            xs, ws, complete = self._table(t, values[values["__cf_g"].to_numpy() == t.g], fetched)
            row = self.summary.iloc[t.g]
            count, total = (None, None) if complete else (int(row[f"n{t.j}"]), float(row[f"t{t.j}"]))
            out.append(sorted_quantile(xs, ws, t.p, self.rule, count=count, total=total))
        return out

    def _table(self, t: _Target, values: pd.DataFrame, fetched: pd.DataFrame | None
               ) -> tuple[np.ndarray, np.ndarray, bool]:
        """The short sorted table of ``t``: a block below, the window's rows, a block above
        (and the last row, for the rules that read it); whether it holds every row as is."""
        b = values[f"__cf_b{t.level}"].to_numpy()
        xs, ws = self._expand(t, values[(b >= t.window[0]) & (b <= t.window[1])], fetched)
        xs, ws = _doubles(xs, ws)
        top = self._top(t.g, t.j)
        parts = [(xs, ws)]
        if t.below > 0:
            parity = t.distinct_below % 2 if self.rule == "hf3" else None
            parts.insert(0, _block(t.below, xs[0] if len(xs) else top, -1, parity))
        if t.above > 0 and self.rule != "shahvaish":
            anchor = xs[-1] if len(xs) else top
            if self.rule in LAST_ROW and anchor != top:
                tx, tw = _doubles(*self._expand(t, values[values["__cf_x"].to_numpy() == top], fetched))
                parts += [_block(t.above - tw.astype(np.longdouble).sum(), anchor, 1, None), (tx, tw)]
            else:
                parts.append(_block(t.above, anchor, 1, None))
        complete = len(parts) == 1 and not t.below and not t.above
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), complete

    def _expand(self, t: _Target, values: pd.DataFrame, fetched: pd.DataFrame | None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Sorted (value, weight) rows of a window: single rows as they are, ties as their rows."""
        xs, ws = [], []
        for x, c, total, double, low, high in zip(
                values["__cf_x"].to_numpy(dtype=float), values["c"].to_numpy(), self._summed(values, t.j),
                values[f"s{t.j}"].to_numpy(dtype=float), values[f"lo{t.j}"].to_numpy(dtype=float),
                values[f"hi{t.j}"].to_numpy(dtype=float), strict=True):
            if c == 1:
                xs.append(np.array([x]))
                ws.append(np.array([total], dtype=np.longdouble))
            elif fetched is not None:
                rows = fetched[(fetched["__cf_g"].to_numpy() == t.g) & (fetched["__cf_x"].to_numpy() == x)]
                xs.append(rows["__cf_x"].to_numpy(dtype=float))
                ws.append(rows[f"__cf_w{t.j}"].to_numpy(dtype=float).astype(np.longdouble))
            elif self.rule in ORDERLESS:  # two rows: a rule may read the second sorted row
                weight = np.longdouble(double) if self.rule == "hf3" else total  # hf3 sums in double
                xs.append(np.full(2, x))
                ws.append(np.full(2, weight / 2, dtype=np.longdouble))
            elif low == high and self.rule != "shahvaish":
                xs.append(np.full(3, x))
                ws.append(np.array([low, (int(c) - 2) * np.longdouble(low), high], dtype=np.longdouble))
            else:
                raise NotLazyError(
                    f"{self.design.source}: quantile rule {self.rule!r} depends on the file order of "
                    f"tied rows near the quantile (the value {x:g} is shared by {int(c)} rows"
                    f"{'' if self.rule == 'shahvaish' else ' of different weights'}), and more than "
                    f"{TIES} such rows would have to be brought; use rule='math' or 'school', or "
                    ".collect() a subset")
        if not xs:
            return np.empty(0), np.empty(0, dtype=np.longdouble)
        return np.concatenate(xs), np.concatenate(ws)

    def _tie_rows(self, ties: pd.DataFrame) -> pd.DataFrame:
        """The rows of tied values, in file order (numbered rows)."""
        clauses = []
        for g in np.unique(ties["__cf_g"].to_numpy()):
            shared = ties.loc[ties["__cf_g"].to_numpy() == g, "__cf_x"].unique()
            listed = ", ".join(self._lit(float(v)) for v in shared)
            clauses.append(f"({self.domain_sql(int(g))} AND {self.x} IN ({listed}))")
        columns = {"__cf_x": self.x} | {f"__cf_w{j}": w for j, w in enumerate(self.weights)}
        return self._codes(self._fetch(columns, f"{self.where} AND ({' OR '.join(clauses)})"))

    # ----------------------------------------------------------------- SQL helpers

    def _exact_sum(self, w: str, j: int, bound: str) -> dict[str, str]:
        """``SUM(w)`` as two sums that SQL adds without rounding (whenever the in-memory
        extended-precision cumulative sum is exact): ``w`` cut at a power of two ``2^s`` chosen
        from its largest value (summary column ``bound``) and the row count, and the rest."""
        row_bits = int(np.ceil(np.log2(float(self.summary["rows"].fillna(0).sum()) + 1)))
        largest = float(np.nan_to_num(self.summary[bound].max()))
        top = int(np.ceil(np.log2(largest))) if largest > 0 else 0
        step = 2.0 ** (top + row_bits - 52)
        cut = f"(FLOOR({w} * {self._lit(1 / step)}) * {self._lit(step)})"
        return {f"h{j}": f"SUM({cut})", f"l{j}": f"SUM({w} - {cut})"}

    @staticmethod
    def _summed(answer: pd.DataFrame, j: int) -> np.ndarray:
        """The exact weight sums of :meth:`_exact_sum`, in extended precision."""
        high = answer[f"h{j}"].to_numpy(dtype=float).astype(np.longdouble)
        return high + answer[f"l{j}"].to_numpy(dtype=float).astype(np.longdouble)

    def _top(self, g: int, j: int) -> float:
        return float(self.summary.iloc[g][f"top{j}"])

    def _lit(self, value: float) -> str:
        return self.backend.literal(float(value))

    def domain_sql(self, g: int) -> str:
        """SQL selecting the rows of domain ``g`` by their ``by`` values (``TRUE`` without ``by``).

        Parameters
        ----------
        g : int
            Domain position.

        Returns
        -------
        str
            The condition.
        """
        return domain_condition(self.backend, self.domains.iloc[g][self.by])

    def _group(self, sums: dict[str, str], keys: dict[str, str], where: str | None = None) -> pd.DataFrame:
        """Aggregates grouped by the domain columns and ``keys`` (name to SQL)."""
        column = self.backend.column
        parts = [f"{column(b)} AS {column(b)}" for b in self.by]
        parts += [f"{sql} AS {column(name)}" for name, sql in keys.items()]
        parts += [f"{sql} AS {column(name)}" for name, sql in sums.items()]
        groups = [column(b) for b in self.by] + list(keys.values())
        query = f"SELECT {', '.join(parts)} FROM {{rows}} WHERE {where or self.where}"
        return self.backend.run(query + (f" GROUP BY {', '.join(groups)}" if groups else ""))

    def _fetch(self, columns: dict[str, str], where: str) -> pd.DataFrame:
        """Rows (domain columns and ``columns``) in file order."""
        if self._numbered is None:
            numbered = ROW_ID in self.backend.columns()
            self._numbered = self.backend if numbered else self.backend.with_row_number(_ROW)
        backend = self._numbered
        order = backend.column(ROW_ID if ROW_ID in backend.columns() else _ROW)
        parts = [backend.column(b) for b in self.by] + [f"{sql} AS {backend.column(n)}"
                                                        for n, sql in columns.items()]
        return backend.run(f"SELECT {', '.join(parts)} FROM {{rows}} WHERE {where} ORDER BY {order}")

    def _codes(self, answer: pd.DataFrame) -> pd.DataFrame:
        """``answer`` with ``__cf_g``, its domain's position (rows of no domain dropped)."""
        codes = domain_codes(answer, self.domains)
        return answer.assign(__cf_g=codes)[codes >= 0]

    def _by_domain(self, answer: pd.DataFrame) -> pd.DataFrame:
        """One summary row per domain, in the domains' order (zeros where a domain has no row)."""
        coded = self._codes(answer).set_index("__cf_g")
        return coded.reindex(range(len(self.domains)))


def domain_condition(backend: Backend, values: pd.Series) -> str:
    """SQL selecting the rows whose columns equal ``values`` (``TRUE`` when there are none).

    Parameters
    ----------
    backend : Backend
        The backend (quoting and literals).
    values : pandas.Series
        Column name to value.

    Returns
    -------
    str
        The condition.
    """
    parts = [f"{backend.column(str(b))} = {backend.literal(v)}" for b, v in values.items()]
    return " AND ".join(parts) or "TRUE"


def domain_codes(answer: pd.DataFrame, domains: pd.DataFrame) -> np.ndarray:
    """The position in ``domains`` of every row of ``answer`` (by the domain columns; -1: none).

    Parameters
    ----------
    answer : pandas.DataFrame
        An answer holding the domain columns.
    domains : pandas.DataFrame
        One row per domain (no column: a single domain).

    Returns
    -------
    numpy.ndarray
        Integer positions.
    """
    names = list(domains.columns)
    if not names:
        return np.zeros(len(answer), dtype=np.int64)
    index = domains.assign(__cf_g=np.arange(len(domains)))
    found = answer[names].merge(index, on=names, how="left")["__cf_g"]
    return found.fillna(-1).to_numpy(dtype=np.int64)


def _doubles(xs: np.ndarray, ws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of double weights whose extended-precision cumulative sums are those of ``ws``: a
    weight a double cannot hold becomes two rows of the same value (the double and the rest)."""
    high = ws.astype(np.float64)
    low = (ws - high.astype(np.longdouble)).astype(np.float64)
    extra = low != 0
    where = np.flatnonzero(extra) + 1
    return np.insert(xs, where, xs[extra]), np.insert(high, where, low[extra])


def _block(weight: np.longdouble, anchor: float, side: int, parity: int | None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Rows standing for the rows beyond a window (``side`` -1 below, +1 above ``anchor``):
    double weights whose sum is ``weight`` exactly, at distinct placeholder values next to
    ``anchor`` that the rule never returns; with ``parity``, as many values as that parity (hf3
    counts the distinct values below)."""
    high = np.float64(weight)
    low = np.float64(weight - np.longdouble(high))
    parts = [high] if low == 0 else [high, low]
    if parity is not None and len(parts) % 2 != parity % 2:
        parts = [high / 2, high / 2] + parts[1:]
    values, value = [], anchor
    for _ in parts:
        value = np.nextafter(value, side * np.inf)
        values.append(value)
    order = slice(None, None, side)
    return np.array(values[order]), np.array(parts[order])
