"""The DuckDB backend: a lazy design's rows in an embedded DuckDB relation (a Parquet or CSV
scan, or a table), queried by aggregation.

DuckDB is an optional dependency (``pip install citizensfirst[duckdb]``): it is imported inside
the functions that need it, so ``import citizensfirst`` never loads it.

>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE t AS SELECT range AS i, range % 3 AS g FROM range(10)")
>>> backend = DuckDBBackend(con, 'SELECT * FROM "t"', "t")
>>> backend.aggregate({"n": "COUNT(*)"}, by=["g"])["n"].tolist()
[4, 3, 3]
>>> backend.statistics.largest_answer
3
"""

from __future__ import annotations

import glob
import math
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .base import Backend

__all__ = ["MEMORY_SETTINGS", "DuckDBBackend", "connect", "scan_relation", "table_relation"]

#: DuckDB allocator settings of the connections :func:`connect` makes: freed memory goes back to
#: the system once 16 MB are free, so the peak of a long streamed scan does not grow with the
#: file (with DuckDB's defaults, 128 MB and 512 MB, it grew 1.1-1.25x from 2M to 20M rows)
MEMORY_SETTINGS = {"allocator_flush_threshold": "16MB", "allocator_bulk_deallocation_flush_threshold": "16MB"}
#: memory of one streamed batch in :meth:`DuckDBBackend.cross_sums` (bytes of float64 values)
BATCH_BYTES = 32 * 2**20
#: file suffixes :func:`scan_relation` reads, and the DuckDB function that reads each
READERS = {".parquet": "read_parquet", ".pq": "read_parquet", ".csv": "read_csv"}
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_FLOATS = ("FLOAT", "DOUBLE")
_NUMERIC = (*_INTEGERS, *_FLOATS, "HUGEINT", "UHUGEINT", "DECIMAL", "REAL")  # prefixes: DECIMAL(18,3)


def _duckdb() -> Any:
    """The duckdb module (an optional extra; imported here so the library loads without it)."""
    try:
        import duckdb  # optional, heavy: loaded only when a lazy design is made
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataError(
            "lazy designs on files need DuckDB: pip install 'citizensfirst[duckdb]'"
        ) from None
    return duckdb


def connect(config: Mapping[str, Any] | None = None) -> Any:
    """A new in-memory DuckDB connection, its allocator set by :data:`MEMORY_SETTINGS` unless
    ``config`` names those settings.

    Parameters
    ----------
    config : mapping, optional
        DuckDB settings (``memory_limit``, ``threads``, ``temp_directory``, ...).

    Returns
    -------
    duckdb.DuckDBPyConnection
        The connection.

    Raises
    ------
    DataError
        If DuckDB is not installed (the ``citizensfirst[duckdb]`` extra), or rejects a setting.

    Examples
    --------
    >>> connect().execute("SELECT 1").fetchone()
    (1,)
    """
    duckdb = _duckdb()
    given = dict(config or {})
    try:
        connection = duckdb.connect(config=given)
    except duckdb.Error as err:
        raise DataError(f"DuckDB refused the settings {given}: {str(err).splitlines()[0]}") from None
    known = {row[0] for row in connection.execute("SELECT name FROM duckdb_settings()").fetchall()}
    for name, value in MEMORY_SETTINGS.items():  # settings this DuckDB version has
        if name in known and name not in given:
            connection.execute(f"SET {name} = {sql_literal(value)}")
    return connection


class DuckDBBackend(Backend):
    """Rows of a DuckDB relation (``relation_sql``, a SELECT) on ``connection``.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        The connection that runs every query.
    relation_sql : str
        A SELECT statement giving the rows (for example over ``read_parquet``).
    source : str
        The file or table, named in messages.
    """

    name = "duckdb"

    def __init__(self, connection: Any, relation_sql: str, source: str) -> None:
        super().__init__(source)
        self.connection = connection
        self.relation_sql = relation_sql
        self._types: dict[str, str] | None = None

    def columns(self) -> dict[str, str]:
        """Column names and their kinds, in file order.

        Returns
        -------
        dict
            Column name to ``'numeric'``, ``'boolean'``, ``'string'`` or ``'other'``.
        """
        return {name: _kind(sql_type) for name, sql_type in self._sql_types().items()}

    def integer_columns(self) -> frozenset[str]:
        """The columns of an integer SQL type (TINYINT to BIGINT, signed or not).

        Returns
        -------
        frozenset of str
            Column names.
        """
        return frozenset(name for name, sql_type in self._sql_types().items() if sql_type.upper() in _INTEGERS)

    def _sql_types(self) -> dict[str, str]:
        """Column names and their DuckDB types, in file order (one DESCRIBE, kept)."""
        if self._types is None:
            rows = self._execute(f"DESCRIBE {self.relation_sql}").fetchall()
            self._types = {str(r[0]): str(r[1]) for r in rows}
        return self._types

    def column(self, name: str) -> str:
        """A column name as a DuckDB identifier (double quotes).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The quoted identifier.
        """
        return '"' + str(name).replace('"', '""') + '"'

    def literal(self, value: object) -> str:
        """A Python value as a DuckDB literal.

        Parameters
        ----------
        value : object
            None, a bool, a number or text.

        Returns
        -------
        str
            The literal.
        """
        return sql_literal(value)

    def run(self, query: str) -> pd.DataFrame:
        """Run one query over ``{rows}`` and count its answer in :attr:`statistics`.

        Parameters
        ----------
        query : str
            SQL with the placeholder ``{rows}``.

        Returns
        -------
        pandas.DataFrame
            The answer.
        """
        sql = query.replace("{rows}", f"({self.relation_sql}) AS cf_rows")
        answer = self._execute(sql).fetchdf()
        self.statistics.record(len(answer))
        return answer

    def fetch(self, columns: Sequence[str], where: str | None = None,
              limit: int | None = None) -> pd.DataFrame:
        """Bring rows into memory (a lazy design's ``collect()``).

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
            The rows, in file order.
        """
        chosen = ", ".join(self.column(c) for c in columns) or "*"
        query = f"SELECT {chosen} FROM {{rows}}" + (f" WHERE {where}" if where else "")
        return self.run(query + (f" LIMIT {int(limit)}" if limit is not None else ""))

    def with_row_number(self, name: str) -> DuckDBBackend:
        """The same rows with a column ``name`` numbering them 0, 1, ... in file order.

        Parameters
        ----------
        name : str
            Name of the new column.

        Returns
        -------
        DuckDBBackend
            A backend over the numbered rows (sharing this one's statistics).
        """
        numbered = DuckDBBackend(
            self.connection,
            f"SELECT *, row_number() OVER () - 1 AS {self.column(name)} FROM ({self.relation_sql})",
            self.source,
        )
        numbered.statistics = self.statistics
        return numbered

    def with_table(self, table: pd.DataFrame, on: Sequence[str]) -> DuckDBBackend:
        """The same rows with the columns of a small ``table`` joined on ``on`` (a temporary table).

        Parameters
        ----------
        table : pandas.DataFrame
            The small table: the keys (one row per key) and the new columns.
        on : sequence of str
            Key columns, present in the rows and in ``table``.

        Returns
        -------
        DuckDBBackend
            A backend over the joined rows (sharing this one's statistics); not in file order.
        """
        added = self.table_columns(table, on)
        name = f"cf_table_{uuid.uuid4().hex}"
        plain = table.astype({c: object for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
        self.connection.register(f"{name}_frame", plain)
        try:
            self._execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_frame")
        finally:
            self.connection.unregister(f"{name}_frame")
        values = ", ".join(f"cf_r.{self.column(c)}" for c in added)
        match = " AND ".join(f"cf_l.{self.column(k)} = cf_r.{self.column(k)}" for k in on)
        joined = DuckDBBackend(self.connection, f"SELECT cf_l.*, {values} FROM ({self.relation_sql}) AS cf_l "
                                                f"LEFT JOIN {name} AS cf_r ON {match}", self.source)
        joined.statistics = self.statistics
        return joined

    def with_columns(self, columns: Mapping[str, str]) -> DuckDBBackend:
        """The same rows with computed columns (a view over this relation); a known name replaces its column.

        Parameters
        ----------
        columns : mapping
            New column name to its SQL expression.

        Returns
        -------
        DuckDBBackend
            A backend over the extended rows (sharing this one's statistics).
        """
        extended = DuckDBBackend(self.connection, f"SELECT {self.select_list(columns)} FROM ({self.relation_sql})",
                                 self.source)
        extended.statistics = self.statistics
        return extended

    def cross_sums(self, left: Sequence[str], right: Sequence[str], by: Sequence[str] = (),
                   where: str | None = None, batch_rows: int | None = None
                   ) -> tuple[pd.DataFrame, np.ndarray]:
        """Per group of ``by``, the sums of every product ``left_i * right_j``, by streaming.

        The rows stream from DuckDB as Arrow batches of bounded size; each batch's rows are
        sorted by group and every group's block adds ``A^T B`` (one BLAS product) to its sums.
        Memory is bounded by the batch, whatever the number of rows; the sums equal
        :meth:`Backend.cross_sums`' (NULL counts as zero) up to rounding.

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
        batch_rows : int, optional
            Rows per streamed batch (default: :data:`BATCH_BYTES` of values).

        Returns
        -------
        tuple
            The groups (a frame of the ``by`` columns, sorted with missing keys last) and the
            (G, L, K) array of sums.
        """
        names = list(by)
        exprs = list(dict.fromkeys([*left, *right]))  # an expression on both sides streams once
        batch = batch_rows or max(2048, BATCH_BYTES // (8 * max(1, len(exprs))) // 2048 * 2048)
        plain = self._plain_columns()  # a column as a double streams as stored; numpy converts it
        select = ([f"{self.column(b)} AS {self.column(b)}" for b in names]
                  + [f"{plain[e][0] if e in plain else f'CAST({e} AS DOUBLE)'} AS {self.column(f'__cf_v{i}')}"
                     for i, e in enumerate(exprs)])
        sql = (f"SELECT {', '.join(select)} FROM ({self.relation_sql}) AS cf_rows"
               + (f" WHERE {where}" if where else ""))
        sums = _GroupSums(names, [exprs.index(e) for e in left], [exprs.index(e) for e in right],
                          [i for i, e in enumerate(exprs) if e in plain and plain[e][1]])
        duckdb = _duckdb()
        try:
            for chunk in self.connection.sql(sql).to_arrow_reader(batch):
                sums.add(chunk)
        except duckdb.Error as err:
            first = str(err).splitlines()[0]
            raise DataError(f"{self.source}: DuckDB could not answer a query: {first}") from None
        keys, out = sums.result()
        self.statistics.record(len(keys))
        return keys, out

    def _plain_columns(self) -> dict[str, tuple[str, bool]]:
        """:meth:`as_double` and :meth:`as_number` of every column of a plain numeric type, to
        the column and whether its NaN counts as missing: streamed as stored, they cost no SQL."""
        plain: dict[str, tuple[str, bool]] = {}
        for name, sql_type in self._sql_types().items():
            if sql_type.upper() in (*_INTEGERS, *_FLOATS):
                plain[self.as_double(name)] = (self.column(name), False)
                plain[self.as_number(name)] = (self.column(name), sql_type.upper() in _FLOATS)
        return plain

    def _execute(self, sql: str) -> Any:
        duckdb = _duckdb()
        try:
            return self.connection.execute(sql)
        except duckdb.Error as err:
            first = str(err).splitlines()[0]
            raise DataError(f"{self.source}: DuckDB could not answer a query: {first}") from None


class _GroupSums:
    """Running ``A^T B`` per group over streamed Arrow batches (key columns, then the values;
    ``left`` and ``right`` are the positions of A's and B's columns among the values)."""

    def __init__(self, names: list[str], left: list[int], right: list[int], nan_missing: list[int]) -> None:
        self.names, self.left, self.right = names, _span(left), _span(right)
        self.nan_missing = set(nan_missing)  # values whose NaN is a missing value (adds nothing)
        import pyarrow  # a dependency of DuckDB's Arrow export, loaded with the first stream
        import pyarrow.compute

        self.arrow, self.compute = pyarrow, pyarrow.compute
        # the filled columns live one batch each: allocated by the system allocator, which gives
        # large blocks back when they are freed
        self.pool = pyarrow.system_memory_pool()
        self.shape = (len(left), len(right))
        # B starts with A's columns (replicate totals and their R x R sums): A^T A by SYRK
        self.square = len(left) if right[:len(left)] == left else 0
        self.rest = _span(right[self.square:])
        self.index: dict[tuple[Any, ...], int] = {} if names else {(): 0}
        self.totals: list[np.ndarray] = [] if names else [np.zeros(self.shape)]
        self.keys: list[pd.DataFrame] = []  # each group's key row, in the order of its number

    def _codes(self, chunk: Any) -> np.ndarray:
        """Every row's group (numbered in order of first appearance over all batches)."""
        if not self.names:
            return np.zeros(chunk.num_rows, dtype=np.int64)
        keys = chunk.select(self.names).to_pandas()
        local = keys.groupby(self.names, dropna=False, sort=False).ngroup().to_numpy()
        found = keys.drop_duplicates()
        plain = found.astype(object)
        place = np.empty(len(found), dtype=np.int64)
        for i, key in enumerate(plain.where(plain.notna(), None).itertuples(index=False, name=None)):
            if key not in self.index:  # a loop over groups, not rows
                self.index[key] = len(self.totals)
                self.totals.append(np.zeros(self.shape))
                self.keys.append(found.iloc[[i]])
            place[i] = self.index[key]
        return place[local]

    def add(self, chunk: Any) -> None:
        """Add one batch's products."""
        n = chunk.num_rows
        if n == 0:
            return
        codes = self._codes(chunk)
        order = None if np.all(codes[1:] >= codes[:-1]) else np.argsort(codes, kind="stable")
        first = len(self.names)
        values = np.empty((chunk.num_columns - first, n))
        for i in range(len(values)):
            column = chunk.column(first + i)
            if column.null_count:  # NULL adds nothing
                column = self.compute.coalesce(column, self.arrow.scalar(0, column.type), memory_pool=self.pool)
            data = column.to_numpy(zero_copy_only=False)
            values[i] = data if order is None else data[order]
            if i in self.nan_missing:
                values[i][np.isnan(values[i])] = 0.0
        codes = codes if order is None else codes[order]
        a, rest = values[self.left], values[self.rest]
        bounds = np.flatnonzero(np.diff(codes)) + 1
        for start, stop in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True):  # groups of the batch
            total, block = self.totals[codes[start]], a[:, start:stop]
            if self.square:
                total[:, :self.square] += block @ block.T
                total[:, self.square:] += block @ rest[:, start:stop].T
            else:
                total += block @ values[self.right][:, start:stop].T

    def result(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The groups sorted by their keys (missing last) and the (G, L, K) sums in that order."""
        out = np.stack(self.totals) if self.totals else np.zeros((0, *self.shape))
        if not self.names:
            return pd.DataFrame(index=[0]), out
        if not self.keys:
            return pd.DataFrame(columns=self.names), out
        keys = pd.concat(self.keys, ignore_index=True).sort_values(self.names, na_position="last", kind="stable")
        return keys.reset_index(drop=True), out[keys.index.to_numpy()]


def _span(positions: list[int]) -> slice | list[int]:
    """Positions as a slice when they are consecutive (a view, not a copy, of the values)."""
    if positions and positions == list(range(positions[0], positions[0] + len(positions))):
        return slice(positions[0], positions[0] + len(positions))
    return positions


def sql_literal(value: object) -> str:
    """A Python value as an SQL literal (DuckDB and Spark share this syntax).

    Parameters
    ----------
    value : object
        None, a bool, a number or text.

    Returns
    -------
    str
        The literal.

    Examples
    --------
    >>> sql_literal("O'Neil"), sql_literal(2), sql_literal(None), sql_literal(True)
    ("'O''Neil'", '2', 'NULL', 'TRUE')
    """
    if value is None:
        return "NULL"
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalars
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(value):
            return f"CAST('{'-' if value < 0 else ''}Infinity' AS DOUBLE)"
        return f"CAST({value!r} AS DOUBLE)"
    return "'" + str(value).replace("'", "''") + "'"


def _kind(sql_type: str) -> str:
    upper = sql_type.upper()
    if upper == "BOOLEAN":
        return "boolean"
    if upper.startswith(_NUMERIC):
        return "numeric"
    if upper == "VARCHAR" or upper.startswith("ENUM"):
        return "string"
    return "other"


def scan_relation(path: str | Path) -> tuple[str, str]:
    """The SELECT that scans a Parquet or CSV file, a glob of them, or a folder, and its name.

    Parameters
    ----------
    path : str or pathlib.Path
        A file, a glob pattern (``data/*.parquet``) or a folder of Parquet (or CSV) files.

    Returns
    -------
    tuple of str
        ``(relation_sql, source)``.

    Raises
    ------
    DataError
        If nothing exists at ``path``, it matches no file, or the files are neither Parquet nor CSV.

    Examples
    --------
    >>> scan_relation("no/such/file.parquet")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: no/such/file.parquet: no such file or folder
    """
    text = str(path)
    target = Path(text)
    if target.is_dir():
        pattern = next((str(target / "**" / f"*{suffix}") for suffix in (".parquet", ".pq", ".csv")
                        if glob.glob(str(target / "**" / f"*{suffix}"), recursive=True)), None)
        if pattern is None:
            raise DataError(f"{text}: the folder holds no .parquet or .csv file")
    elif glob.has_magic(text):
        if not glob.glob(text, recursive=True):
            raise DataError(f"{text}: no file matches this pattern")
        pattern = text
    elif target.is_file():
        pattern = text
    else:
        raise DataError(f"{text}: no such file or folder")
    suffix = Path(pattern).suffix.lower()
    reader = READERS.get(suffix)
    if reader is None:
        raise DataError(
            f"{text}: scan_survey reads Parquet (.parquet) and CSV (.csv) files, not {suffix or 'this'}; "
            "read other formats with read_survey, or convert them to Parquet"
        )
    return f"SELECT * FROM {reader}({sql_literal(pattern)})", text


def table_relation(connection: Any, table: str) -> str:
    """The SELECT over a table or view of ``connection``, checked to exist.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
        The connection holding the table.
    table : str
        Table or view name (``schema.table`` allowed).

    Returns
    -------
    str
        The SELECT statement.

    Raises
    ------
    DataError
        If the table does not exist.
    """
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in str(table).split("."))
    relation = f"SELECT * FROM {quoted}"
    DuckDBBackend(connection, relation, str(table)).columns()
    return relation
