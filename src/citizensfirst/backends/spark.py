"""The Spark backend: a lazy design's rows in a Spark DataFrame or table, queried with Spark SQL.

:class:`SparkBackend` registers the rows as a temporary view with a unique name and answers the
aggregation queries of :class:`citizensfirst.backends.base.Backend` through ``session.sql``; only
the small aggregated answers come back to Python. :func:`design_from_spark` makes a
lazy design (:class:`~citizensfirst.lazy.design.LazyDesign`) over it. PySpark is an optional extra
(``pip install 'citizensfirst[spark]'``) and needs Java 17 or later; it is imported only when a
Spark backend is made.

Missing values are SQL ``NULL``. A floating-point ``NaN`` in the rows is read as missing too (the
view replaces it by ``NULL``), as the in-memory design treats ``NaN``.

Identifiers and literals are written so Spark reads them exactly, whatever its parser settings:

>>> spark_identifier("q`1")
'`q``1`'
>>> spark_literal(0.1), spark_literal(-2), spark_literal(None)
('0.1D', '(-2)', 'NULL')
>>> spark_literal("it's")
"CAST(X'69742773' AS STRING)"
"""

from __future__ import annotations

import math
import numbers
import uuid
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.facade import Design
from ..errors import DataError
from ..lazy.design import LazyDesign
from .base import Backend

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

__all__ = ["SparkBackend", "design_from_spark", "spark_identifier", "spark_literal"]

#: characters a string literal may hold as they are; any other makes it a hex literal
_PLAIN_TEXT = frozenset(" !\"#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`"
                        "abcdefghijklmnopqrstuvwxyz|~")


def _pyspark() -> ModuleType:
    """The ``pyspark`` package (with ``sql``, ``sql.types`` and ``errors`` loaded), or a DataError
    naming the extra to install."""
    try:
        # pyspark is an optional extra (citizensfirst[spark]) and heavy: imported only when used
        import pyspark.errors
        import pyspark.sql
        import pyspark.sql.types
    except ImportError as exc:
        raise DataError("the Spark backend needs PySpark, which is not installed: "
                        "pip install 'citizensfirst[spark]' (Spark also needs Java 17 or later)") from exc
    return pyspark


def spark_identifier(name: str) -> str:
    """A column name as a Spark SQL identifier (backticks, inner backticks doubled).

    Parameters
    ----------
    name : str
        Column name.

    Returns
    -------
    str
        The quoted identifier.

    Examples
    --------
    >>> spark_identifier("satisfaction overall")
    '`satisfaction overall`'
    """
    return "`" + str(name).replace("`", "``") + "`"


def spark_literal(value: object) -> str:
    """A Python value as a Spark SQL literal that Spark reads back exactly.

    Floats become ``DOUBLE`` literals written with their shortest exact ``repr`` and a ``D``
    suffix (``0.1D``; ``NaN`` and infinities through ``CAST``), integers stay integers, negative
    numbers are parenthesised (so ``x - (-1)`` never reads as a comment), booleans are
    ``TRUE``/``FALSE`` and ``None`` is ``NULL``. Text with only plain ASCII characters is quoted
    as is; any other text (quotes, backslashes, braces, accents, control characters) is written
    as its UTF-8 bytes, ``CAST(X'...' AS STRING)``, which no parser setting can misread.

    Parameters
    ----------
    value : object
        ``None``, a bool, an integer, a real number or a string (numpy scalars included).

    Returns
    -------
    str
        The SQL literal.

    Raises
    ------
    DataError
        If the value is of another type.

    Examples
    --------
    >>> spark_literal(1e-300), spark_literal(True), spark_literal("Ontario")
    ('1e-300D', 'TRUE', "'Ontario'")
    >>> spark_literal(float("-inf"))
    "CAST('-Infinity' AS DOUBLE)"
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, numbers.Integral):
        number = int(value)
        return f"({number})" if number < 0 else str(number)
    if isinstance(value, numbers.Real):
        real = float(value)
        if math.isnan(real):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(real):
            return "CAST('-Infinity' AS DOUBLE)" if real < 0 else "CAST('Infinity' AS DOUBLE)"
        text = f"{real!r}D"
        return f"({text})" if math.copysign(1.0, real) < 0 else text
    if isinstance(value, str):
        if all(ch in _PLAIN_TEXT for ch in value):
            return f"'{value}'"
        return f"CAST(X'{value.encode('utf-8').hex().upper()}' AS STRING)"
    raise DataError(f"cannot write the value {value!r} (of type {type(value).__name__}) in a Spark "
                    "query: use a number, a string, a bool or None")


def _kind(data_type: DataType) -> str:
    """'numeric', 'boolean', 'string' or 'other' for a Spark type."""
    types = _pyspark().sql.types
    if isinstance(data_type, types.BooleanType):
        return "boolean"
    if isinstance(data_type, types.NumericType):
        return "numeric"
    if isinstance(data_type, types.StringType | types.VarcharType | types.CharType):
        return "string"
    return "other"


def _to_frame(rows: list, schema: StructType) -> pd.DataFrame:
    """Collected rows as a pandas frame: floating and decimal columns float64, integers int64
    (float64 when a value is missing), booleans bool (object when a value is missing)."""
    types = _pyspark().sql.types
    names = schema.fieldNames()
    frame = pd.DataFrame.from_records(rows, columns=names, nrows=len(rows))
    for position, field in enumerate(schema.fields):
        column = frame.iloc[:, position]
        missing = bool(column.isna().any())
        if isinstance(field.dataType, types.FractionalType) or (
                isinstance(field.dataType, types.IntegralType) and missing):
            frame.isetitem(position, column.astype("float64").to_numpy())
        elif isinstance(field.dataType, types.IntegralType):
            frame.isetitem(position, column.astype("int64").to_numpy())
        elif isinstance(field.dataType, types.BooleanType) and not missing:
            frame.isetitem(position, column.astype(bool).to_numpy())
    return frame


class SparkBackend(Backend):
    """Rows in a Spark DataFrame or table, asked aggregation questions through Spark SQL.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
        The Spark session that runs the queries.
    data : pyspark.sql.DataFrame or str
        The rows: a DataFrame, or the name of a table or view the session knows.
    source : str, optional
        Name used in messages (default: the table name, or ``'Spark DataFrame'``).

    Raises
    ------
    DataError
        If PySpark is not installed, the table is unknown or the rows have duplicate column names.

    Notes
    -----
    The rows are registered as a temporary view with a unique name (``citizensfirst_<hex>``) in
    which floating-point ``NaN`` reads as ``NULL``. Spark 4 runs SQL in ANSI mode: a division by
    zero or an overflowing integer sum is an error, not ``NULL``, so the lazy plans guard their
    divisions and sum ``CAST(... AS DOUBLE)`` values.
    """

    name = "spark"

    def __init__(self, session: SparkSession, data: DataFrame | str, source: str | None = None) -> None:
        pyspark = _pyspark()
        super().__init__(source or (data if isinstance(data, str) else "Spark DataFrame"))
        self._session = session
        try:
            frame = session.table(data) if isinstance(data, str) else data
        except pyspark.errors.AnalysisException as exc:
            raise DataError(f"Spark has no table or view named {data!r} ({_first_line(exc)}): "
                            "pass a registered table name or a Spark DataFrame") from exc
        if not isinstance(frame, pyspark.sql.DataFrame):
            raise DataError(f"{self.source}: the Spark backend needs a Spark DataFrame or a table name, "
                            f"not {type(data).__name__}")
        names = frame.schema.fieldNames()
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise DataError(f"{self.source}: duplicate column names {duplicated}: rename them first")
        token = uuid.uuid4().hex
        raw = f"citizensfirst_{token}_raw"
        self._view = f"citizensfirst_{token}"
        frame.createOrReplaceTempView(raw)
        selected = ", ".join(
            f"nanvl({spark_identifier(f.name)}, NULL) AS {spark_identifier(f.name)}"
            if isinstance(f.dataType, pyspark.sql.types.FloatType | pyspark.sql.types.DoubleType)
            else spark_identifier(f.name) for f in frame.schema.fields)
        session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {self._view} AS SELECT {selected} FROM {raw}")
        self._columns = {f.name: _kind(f.dataType) for f in frame.schema.fields}

    @property
    def view(self) -> str:
        """The name of the temporary view holding the rows (``NaN`` read as ``NULL``).

        Returns
        -------
        str
            A name of letters, digits and underscores, unique to this backend.
        """
        return self._view

    def columns(self) -> dict[str, str]:
        """Column names and their kinds, from the Spark schema.

        Returns
        -------
        dict
            Column name to ``'numeric'``, ``'boolean'``, ``'string'`` or ``'other'``.
        """
        return dict(self._columns)

    def column(self, name: str) -> str:
        """A column name quoted for Spark SQL (:func:`spark_identifier`).

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The quoted identifier.
        """
        return spark_identifier(name)

    def literal(self, value: object) -> str:
        """A Python value as a Spark SQL literal (:func:`spark_literal`).

        Parameters
        ----------
        value : object
            ``None``, a bool, a number or a string.

        Returns
        -------
        str
            The SQL literal.
        """
        return spark_literal(value)

    def run(self, query: str) -> pd.DataFrame:
        """Run one Spark SQL query on the rows and return its (small) answer.

        Parameters
        ----------
        query : str
            SQL text with ``{rows}`` where the rows' relation goes.

        Returns
        -------
        pandas.DataFrame
            The answer; floating and decimal columns as float64.

        Raises
        ------
        DataError
            If Spark refuses or fails the query.
        """
        text = query.replace("{rows}", self._view)
        errors = _pyspark().errors
        try:
            answer = self._session.sql(text)
            frame = _to_frame(answer.collect(), answer.schema)
        except errors.PySparkException as exc:
            raise DataError(f"{self.source}: Spark could not run the query ({_first_line(exc)}); "
                            f"check the column names and expressions. Query: {text}") from exc
        self.statistics.record(len(frame))
        return frame

    def fetch(self, columns: Sequence[str], where: str | None = None,
              limit: int | None = None) -> pd.DataFrame:
        """Bring rows into memory (the explicit ``collect()`` of a lazy design).

        Parameters
        ----------
        columns : sequence of str
            Columns to bring (all of them when empty).
        where : str, optional
            Spark SQL condition selecting the rows.
        limit : int, optional
            At most this many rows.

        Returns
        -------
        pandas.DataFrame
            The rows (Spark keeps no row order unless the data has one).

        Raises
        ------
        DataError
            If a column is unknown or the limit is negative.
        """
        unknown = [c for c in columns if c not in self._columns]
        if unknown:
            raise DataError(f"{self.source}: no column {unknown[0]!r} in the Spark data "
                            f"(columns: {', '.join(self._columns)})")
        if limit is not None and limit < 0:
            raise DataError(f"{self.source}: limit={limit} must be zero or more")
        select = ", ".join(spark_identifier(c) for c in columns) or "*"
        query = f"SELECT {select} FROM {{rows}}"
        if where:
            query += f" WHERE {where}"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return self.run(query)

    def with_row_number(self, name: str) -> SparkBackend:
        """The same rows with a column ``name`` numbering them 0, 1, ... in the data's order.

        A design without PSUs makes every row its own PSU and needs this key; error messages
        name rows by it. The order is Spark's ``monotonically_increasing_id()`` (partition by
        partition), the same in every query as long as the data's partitions are (a file or
        table read; ``cache()`` or ``checkpoint()`` a DataFrame that comes out of a shuffle
        first). Numbering consecutively takes one pass through a single partition, which only
        designs without PSUs need (and they bring one row per respondent back anyway).

        Parameters
        ----------
        name : str
            Name of the new column.

        Returns
        -------
        SparkBackend
            A backend over the numbered rows, sharing this one's statistics.

        Raises
        ------
        DataError
            If the rows already have a column ``name``.
        """
        if name in self._columns:
            raise DataError(f"{self.source}: the data already has a column {name!r}; rename it")
        numbered = self._session.sql(
            f"SELECT *, row_number() OVER (ORDER BY monotonically_increasing_id()) - 1 AS "
            f"{spark_identifier(name)} FROM {self._view}")
        backend = SparkBackend(self._session, numbered, self.source)
        backend.statistics = self.statistics
        return backend

    def with_table(self, table: pd.DataFrame, on: Sequence[str]) -> SparkBackend:
        """The same rows with the columns of a small ``table`` joined (broadcast) on ``on``.

        Parameters
        ----------
        table : pandas.DataFrame
            The small table: the keys (one row per key) and the new columns.
        on : sequence of str
            Key columns, present in the rows and in ``table``.

        Returns
        -------
        SparkBackend
            A backend over the joined rows (sharing this one's statistics).
        """
        added = self.table_columns(table, on)
        name = f"citizensfirst_{uuid.uuid4().hex}_table"
        plain = table.astype({c: object for c in table.columns if isinstance(table[c].dtype, pd.CategoricalDtype)})
        self._session.createDataFrame(plain).createOrReplaceTempView(name)
        values = ", ".join(f"cf_r.{spark_identifier(c)}" for c in added)
        match = " AND ".join(f"cf_l.{spark_identifier(k)} = cf_r.{spark_identifier(k)}" for k in on)
        joined = self._session.sql(f"SELECT /*+ BROADCAST(cf_r) */ cf_l.*, {values} FROM {self._view} AS cf_l "
                                   f"LEFT JOIN {name} AS cf_r ON {match}")
        backend = SparkBackend(self._session, joined, self.source)
        backend.statistics = self.statistics
        return backend


    def with_columns(self, columns: Mapping[str, str]) -> SparkBackend:
        """The same rows with computed columns (a Spark view over these rows); a known name replaces its column.

        Parameters
        ----------
        columns : mapping
            New column name to its SQL expression.

        Returns
        -------
        SparkBackend
            A backend over the extended rows (sharing this one's statistics).
        """
        backend = SparkBackend(self._session, self._session.sql(f"SELECT {self.select_list(columns)} FROM {self._view}"),
                               self.source)
        backend.statistics = self.statistics
        return backend


def design_from_spark(session: SparkSession, data: DataFrame | str, *, source: str | None = None,
                      codebook: Any = None, **design_args: Any) -> LazyDesign:
    """A lazy design over a Spark DataFrame or table: estimates by Spark SQL aggregation queries.

    Parameters
    ----------
    session : pyspark.sql.SparkSession
        The Spark session that runs the queries.
    data : pyspark.sql.DataFrame or str
        The rows: a DataFrame, or the name of a table or view the session knows.
    source : str, optional
        Name used in messages (default: the table name, or ``'Spark DataFrame'``).
    codebook : Codebook, optional
        Labels for the results.
    **design_args
        The :class:`~citizensfirst.Design` arguments (weights or probs, strata, psu, fpc, nest,
        replicate weights as columns with their method, ...).

    Returns
    -------
    LazyDesign
        The design; rows come into memory only through its ``collect()``.

    Raises
    ------
    DataError
        If PySpark is missing, the table is unknown, or the arguments do not fit the columns.
    DesignError
        If the design arguments contradict each other.
    """
    backend = SparkBackend(session, data, source)
    return LazyDesign(backend, in_memory=Design, codebook=codebook, **design_args)


def _first_line(error: Exception) -> str:
    """The first line of an exception's message (Spark appends a long query context)."""
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
