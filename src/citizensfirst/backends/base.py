"""The backend interface: where a lazy design's rows live, and the few questions asked of them.

Every estimator reduces to weighted sums grouped by (stratum, PSU[, SSU], domain[, level]), so a
backend answers one kind of question: *aggregate these SQL expressions over the rows, grouped by
these keys, where this condition holds*, and returns a small :class:`pandas.DataFrame` (one row per
group). numpy then finishes the statistics on those small tables with the same kernels the
in-memory engine uses (:mod:`citizensfirst.design.variance`, :mod:`citizensfirst.design.replicates`).

Expressions are SQL text in the subset that DuckDB and Spark SQL share: arithmetic, ``CASE WHEN``,
``IS NULL``, ``CAST(... AS DOUBLE)``, ``LN``, ``EXP``, ``LEAST``, ``GREATEST``, ``SUM``, ``COUNT``,
``MIN``, ``MAX``. Column names are written with :meth:`Backend.column` (each dialect quotes them
its own way) and text literals with :meth:`Backend.literal`, so one plan runs on both.

Every answer is counted in :attr:`Backend.statistics` (queries run, rows returned, the largest
answer), which is how the tests prove that a lazy design never brings the file's rows into memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, NotLazyError

__all__ = ["Backend", "QueryStatistics"]


@dataclass
class QueryStatistics:
    """What a backend has returned so far: queries, rows, and the largest single answer.

    >>> stats = QueryStatistics()
    >>> stats.record(12)
    >>> stats.record(3)
    >>> (stats.queries, stats.rows_returned, stats.largest_answer)
    (2, 15, 12)
    """

    queries: int = 0
    rows_returned: int = 0
    largest_answer: int = 0

    def record(self, rows: int) -> None:
        """Count one answered query of ``rows`` rows.

        Parameters
        ----------
        rows : int
            Number of rows the query returned.
        """
        self.queries += 1
        self.rows_returned += rows
        self.largest_answer = max(self.largest_answer, rows)


class Backend(ABC):
    """Rows held outside pandas (a DuckDB relation, a Spark DataFrame), queried by aggregation.

    Subclasses implement :meth:`columns`, :meth:`run` (one SQL query returning a small frame),
    :meth:`column`, :meth:`literal` and :meth:`fetch`; :meth:`aggregate` builds the one query
    shape every estimator needs.

    Parameters
    ----------
    source : str
        The file or table the rows come from, named in messages.
    """

    #: short name used in messages and results ("duckdb", "spark")
    name: str = "backend"

    def __init__(self, source: str) -> None:
        self.source = source
        self.statistics = QueryStatistics()

    @abstractmethod
    def columns(self) -> dict[str, str]:
        """Column names and their kinds.

        Returns
        -------
        dict
            Column name to ``'numeric'``, ``'boolean'``, ``'string'`` or ``'other'``, in file order.
        """

    def as_double(self, name: str) -> str:
        """Column ``name`` as an SQL DOUBLE (NaN stays NaN).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The SQL expression.
        """
        return f"CAST({self.column(name)} AS DOUBLE)"

    def as_number(self, name: str) -> str:
        """Column ``name`` as an SQL DOUBLE with NaN read as NULL (missing), as pandas reads it.

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The SQL expression.
        """
        return f"NULLIF({self.as_double(name)}, CAST('NaN' AS DOUBLE))"

    def integer_columns(self) -> frozenset[str]:
        """The columns stored as integers (no NaN, no infinity), where the backend knows.

        A check may then ask ``MIN``/``MAX``/``COUNT`` of the column as stored, which a Parquet
        scan answers from the file's statistics. This default knows none (always correct).

        Returns
        -------
        frozenset of str
            Column names.
        """
        return frozenset()

    @abstractmethod
    def column(self, name: str) -> str:
        """A column name as a quoted SQL identifier of this dialect.

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The quoted identifier.
        """

    @abstractmethod
    def literal(self, value: object) -> str:
        """A Python value (number, text, bool, None) as an SQL literal of this dialect.

        Parameters
        ----------
        value : object
            The value.

        Returns
        -------
        str
            The SQL literal.
        """

    @abstractmethod
    def run(self, query: str) -> pd.DataFrame:
        """Run one SQL query whose FROM is ``{rows}`` (the backend's rows) and return its answer.

        Parameters
        ----------
        query : str
            SQL text with the placeholder ``{rows}`` where the rows' relation goes.

        Returns
        -------
        pandas.DataFrame
            The answer (expected to be small: aggregated).
        """

    @abstractmethod
    def fetch(self, columns: Sequence[str], where: str | None = None,
              limit: int | None = None) -> pd.DataFrame:
        """Bring rows into memory: the explicit ``collect()`` of a lazy design.

        Parameters
        ----------
        columns : sequence of str
            Columns to bring.
        where : str, optional
            SQL condition selecting the rows.
        limit : int, optional
            At most this many rows.

        Returns
        -------
        pandas.DataFrame
            The rows, in file order where the backend keeps one.
        """

    def with_row_number(self, name: str) -> Backend:
        """The same rows with a column ``name`` numbering them 0, 1, ... in file order.

        A design without PSUs makes every row its own PSU and needs this row key.

        Parameters
        ----------
        name : str
            Name of the new column.

        Returns
        -------
        Backend
            A backend over the numbered rows (sharing this one's statistics).

        Raises
        ------
        NotLazyError
            If this backend cannot number its rows (the default).
        """
        raise NotLazyError(
            f"{self.source}: the {self.name} backend cannot number rows, which a design without "
            "psu= needs (every row its own PSU); give psu=, or .collect() a subset"
        )

    def with_table(self, table: pd.DataFrame, on: Sequence[str]) -> Backend:
        """The same rows with the columns of a small ``table`` joined on the key columns ``on``.

        A left join (a row without a match gets NULL in the table's columns); it does not keep
        the file order, so number the rows first (:meth:`with_row_number`) when it matters. Lazy
        replicate designs attach their per-PSU multipliers this way.

        Parameters
        ----------
        table : pandas.DataFrame
            The small table: the key columns ``on`` (one row per key) and the new columns.
        on : sequence of str
            Key columns, present in the rows and in ``table``.

        Returns
        -------
        Backend
            A backend over the joined rows (sharing this one's statistics).

        Raises
        ------
        NotLazyError
            If this backend cannot join (the default).
        """
        raise NotLazyError(f"{self.source}: the {self.name} backend cannot join a table to the rows")

    def table_columns(self, table: pd.DataFrame, on: Sequence[str]) -> list[str]:
        """The columns :meth:`with_table` adds, after checking the table and its keys.

        Parameters
        ----------
        table : pandas.DataFrame
            The small table.
        on : sequence of str
            Its key columns.

        Returns
        -------
        list of str
            The table's columns other than ``on``.

        Raises
        ------
        DataError
            If a key is missing from the rows or the table, a key repeats in the table, or a new
            column already exists in the rows.
        """
        rows = self.columns()
        missing = [k for k in on if k not in rows or k not in table.columns]
        if missing or not on:
            raise DataError(f"{self.source}: cannot join a table on {missing or 'no key'}: "
                            "name key columns present in the rows and in the table")
        if table.duplicated(list(on)).any():
            raise DataError(f"{self.source}: the joined table repeats keys of {list(on)}; give one row per key")
        added = [c for c in table.columns if c not in on]
        clash = [c for c in added if c in rows]
        if clash:
            raise DataError(f"{self.source}: the joined table's columns {clash} already exist; rename them")
        return added

    def with_columns(self, columns: Mapping[str, str]) -> Backend:
        """The same rows with computed columns (``name -> SQL``): a view, nothing is stored.

        A weighted lazy design names its weights this way, so every query evaluates each
        weight expression once per row however many sums use it. A name that is already a
        column replaces it (a lazy design with a codebook reads its missing codes as NULL so).

        Parameters
        ----------
        columns : mapping
            New column name to its SQL expression over the current columns.

        Returns
        -------
        Backend
            A backend over the extended rows (sharing this one's statistics).

        Raises
        ------
        NotLazyError
            If this backend cannot add columns (the default).
        """
        raise NotLazyError(f"{self.source}: the {self.name} backend cannot add computed columns")

    def select_list(self, columns: Mapping[str, str]) -> str:
        """The SELECT list of :meth:`with_columns`: every column, those named in ``columns``
        computed in place, then the new ones.

        Parameters
        ----------
        columns : mapping
            Column name to its SQL expression over the current columns.

        Returns
        -------
        str
            The list, columns quoted by :meth:`column`.
        """
        rows = self.columns()
        kept = [f"{columns[c]} AS {self.column(c)}" if c in columns else self.column(c) for c in rows]
        return ", ".join(kept + [f"{e} AS {self.column(n)}" for n, e in columns.items() if n not in rows])

    def aggregate(self, aggregates: Mapping[str, str], by: Sequence[str] = (),
                  where: str | None = None) -> pd.DataFrame:
        """Aggregate SQL expressions over the rows, grouped by ``by`` columns, sorted by them.

        Parameters
        ----------
        aggregates : mapping
            Output name to an aggregate SQL expression (``SUM(...)``, ``COUNT(...)``, ...).
            Output names must be simple identifiers (letters, digits, underscores).
        by : sequence of str
            Grouping columns (names; quoted here).
        where : str, optional
            SQL condition on the rows.

        Returns
        -------
        pandas.DataFrame
            One row per group: the ``by`` columns (named as given) then the aggregates, sorted
            by them with NULL keys last (DuckDB's default; Spark would put them first).
        """
        keys = [f"{self.column(b)} AS {self.column(b)}" for b in by]
        values = [f"{expr} AS {self.column(name)}" for name, expr in aggregates.items()]
        query = f"SELECT {', '.join(keys + values)} FROM {{rows}}"
        if where:
            query += f" WHERE {where}"
        if by:
            group = ", ".join(self.column(b) for b in by)
            query += f" GROUP BY {group} ORDER BY {', '.join(f'{self.column(b)} NULLS LAST' for b in by)}"
        return self.run(query)

    def cross_sums(self, left: Sequence[str], right: Sequence[str], by: Sequence[str] = (),
                   where: str | None = None) -> tuple[pd.DataFrame, np.ndarray]:
        """Per group of ``by``, the sums over the rows of every product ``left_i * right_j``.

        The replicate plan's primitive: replicate weights times items (``R x k`` sums) and the
        replicate weights' cross-products (``R x R``). NULL counts as zero (a product with a NULL
        adds nothing, as ``SUM`` skips it). This default asks SQL for one ``SUM`` per product
        (half of them when ``left`` and ``right`` are the same list); a backend may stream the
        rows instead (:class:`~citizensfirst.backends.duckdb.DuckDBBackend`).

        Parameters
        ----------
        left : sequence of str
            SQL expressions ``a_1 .. a_L`` (numeric).
        right : sequence of str
            SQL expressions ``b_1 .. b_K`` (numeric).
        by : sequence of str
            Grouping columns (names).
        where : str, optional
            SQL condition on the rows.

        Returns
        -------
        tuple
            The groups (a frame of the ``by`` columns, one row per group, sorted as
            :meth:`aggregate` sorts them) and the (G, L, K) array of sums.
        """
        same, q, names = list(left) == list(right), self.column, list(by)
        pairs = [(i, j) for i in range(len(left)) for j in range(len(right)) if not same or j >= i]
        inner = ", ".join([f"{q(b)} AS {q(b)}" for b in names] + [f"{e} AS {q(f'l{i}')}" for i, e in enumerate(left)]
                          + ([] if same else [f"{e} AS {q(f'r{j}')}" for j, e in enumerate(right)]))
        other = "l" if same else "r"  # products of plain columns: quick to plan for many of them
        outer = ", ".join([q(b) for b in names]
                          + [f"SUM({q(f'l{i}')} * {q(f'{other}{j}')}) AS {q(f'c{i}_{j}')}" for i, j in pairs])
        query = f"SELECT {outer} FROM (SELECT {inner} FROM {{rows}}{f' WHERE {where}' if where else ''}) AS cf_used"
        if names:
            group = ", ".join(q(b) for b in names)
            query += f" GROUP BY {group} ORDER BY {', '.join(f'{q(b)} NULLS LAST' for b in names)}"
        answer = self.run(query)
        values = answer[[f"c{i}_{j}" for i, j in pairs]].to_numpy(dtype=float, na_value=0.0)
        out = np.zeros((len(answer), len(left), len(right)))
        rows, cols = (np.array([p[k] for p in pairs], dtype=np.int64) for k in (0, 1))
        out[:, rows, cols] = values
        if same:  # the mirror half of a symmetric cross-product
            out[:, cols, rows] = values
        return answer[names].reset_index(drop=True), out
