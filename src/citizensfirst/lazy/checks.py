"""The checks of a lazy design's arguments, by SQL, with the in-memory messages.

One query counts every problem of the design columns (missing design values, missing, infinite
or negative weights, probabilities outside (0, 1], replicate weights); only when one is found
does a second query look up the first row at fault, so a valid design costs one scan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..backends.base import Backend
from ..design.setup import check_columns
from ..errors import DataError, DesignError

__all__ = ["Checks"]

_INFINITY = "CAST('Infinity' AS DOUBLE)"
#: the row number and the value reported by :meth:`Checks.first`
_ROW, _VALUE = "__cf_first_row", "__cf_first_value"


class Checks:
    """SQL checks and numeric expressions of the columns of ``backend``.

    Parameters
    ----------
    backend : Backend
        Where the rows are.
    names : sequence of str
        The data's column names (for did-you-mean suggestions).
    kinds : dict
        Column name to kind (``'numeric'``, ``'boolean'``, ``'string'``, ``'other'``).
    """

    def __init__(self, backend: Backend, names: Sequence[str], kinds: dict[str, str]) -> None:
        self.backend = backend
        self.names = list(names)
        self.kinds = kinds
        self.source = backend.source

    def numeric(self, name: str, role: str = "variable") -> str:
        """Column ``name`` as an SQL DOUBLE, NULL where missing (NaN too).

        Parameters
        ----------
        name : str
            Column name.
        role : str, default "variable"
            What the column is for, in messages.

        Returns
        -------
        str
            The SQL expression.

        Raises
        ------
        DataError
            If the column holds a non-numeric value (named with its first row).
        """
        column = self.backend.column(name)
        kind = self.kinds.get(name)
        if kind == "string":
            bad = f"{column} IS NOT NULL AND TRY_CAST({column} AS DOUBLE) IS NULL"
            self._refuse(bad, f"SUM(CASE WHEN {bad} THEN 1 ELSE 0 END)", name,
                         "{source}: {role} {name!r} must be numeric; row {row} holds {value!r} "
                         "({count} non-numeric values)", role)
        elif kind not in ("numeric", "boolean"):
            raise DataError(f"{self.source}: {role} {name!r} must be numeric; it holds {kind} values")
        return self.backend.as_number(name)

    def complete(self, name: str) -> str:
        """Column ``name`` as an SQL DOUBLE, for a column :meth:`validate` found complete and
        finite (weights, replicate weights): no NaN to read as NULL, so a plain cast.

        Parameters
        ----------
        name : str
            Column name.

        Returns
        -------
        str
            The SQL expression.
        """
        return self.backend.as_double(name)

    def _refuse(self, condition: str, counter: str, name: str, message: str, role: str) -> None:
        """Raise DataError(message) when ``condition`` holds on a row, naming the first one."""
        count = int(self.backend.aggregate({"n": counter})["n"].fillna(0).iloc[0])
        if count:
            raise DataError(message.format(source=self.source, role=role, name=name, count=count,
                                           **self.first(condition, name)))

    def first(self, condition: str, name: str) -> dict[str, Any]:
        """The row number and value of ``name`` on the first row where ``condition`` holds.

        Parameters
        ----------
        condition : str
            SQL condition.
        name : str
            Column whose value is reported.

        Returns
        -------
        dict
            ``{"row": int, "value": value}``.
        """
        numbered = self.backend.with_row_number(_ROW)
        q = numbered.column
        query = (f"SELECT {q(_ROW)} AS {q(_ROW)}, {q(name)} AS {q(_VALUE)} FROM {{rows}} "
                 f"WHERE {condition} ORDER BY {q(_ROW)} LIMIT 1")
        row = numbered.run(query).iloc[0]
        value = row[_VALUE]
        return {"row": int(row[_ROW]), "value": value.item() if hasattr(value, "item") else value}

    def columns(self, names: Sequence[str], role: str) -> None:
        """Raise DataError naming any of ``names`` that is not a column (with suggestions).

        Parameters
        ----------
        names : sequence of str
            Column names.
        role : str
            What the columns are for, in messages.
        """
        check_columns(pd.DataFrame(columns=self.names), names, role, self.source)

    def replicate_names(self, columns: str | Sequence[str] | None) -> list[str]:
        """The replicate weight columns: a list checked to exist, or a regular expression.

        Parameters
        ----------
        columns : str or sequence of str or None
            Column names or a pattern.

        Returns
        -------
        list of str
            The columns (empty without replicate weights).

        Raises
        ------
        DesignError
            If the pattern is not a valid regular expression.
        """
        if columns is None:
            return []
        if isinstance(columns, str):
            try:
                pattern = re.compile(columns)
            except re.error as err:
                raise DesignError(
                    f"replicate_weights pattern {columns!r} is not a valid regular expression "
                    f"({err}); give a list of column names or a pattern such as 'rw[0-9]+'"
                ) from None
            names = [c for c in self.names if pattern.fullmatch(c)]
            if not names:
                raise DataError(f"{self.source}: no column matches replicate_weights pattern {columns!r}")
            return names
        names = list(columns)
        self.columns(names, "replicate weight")
        return names

    def validate(self, weights: str | None, probs: str | None, design_cols: list[str],
                  fpc_cols: list[str], replicate_cols: list[str]) -> tuple[int, int]:
        """Check the design columns, with the in-memory messages.

        A first query asks ``COUNT``, ``MIN`` and ``MAX`` of every column (of an integer column
        as stored, which a Parquet scan answers from the file's statistics). Only when those
        show a possible problem does a second query count each problem, and the first found
        raises.

        Parameters
        ----------
        weights, probs : str or None
            Weight or probability column.
        design_cols : list of str
            Strata and PSU columns (no missing values allowed).
        fpc_cols : list of str
            fpc columns.
        replicate_cols : list of str
            Replicate weight columns.

        Returns
        -------
        tuple of int
            Rows, and rows with a nonzero weight.

        Raises
        ------
        DataError
            Missing design values; missing, infinite or negative weights; probabilities outside
            (0, 1]; weights all zero.
        """
        weight_col = weights or probs
        checked = ([(weight_col, "weights" if weights else "probs")] if weight_col else []) + [
            (c, "fpc") for c in fpc_cols] + [(c, "replicate weight") for c in replicate_cols]
        values = {col: self.numeric(col, role) for col, role in checked}
        integers = self.backend.integer_columns()
        q = self.backend.column
        summary = {"n": "COUNT(*)"} | {f"c{i}": f"COUNT({q(c)})" for i, c in enumerate(design_cols)}
        for i, (col, _) in enumerate(checked):
            v = q(col) if col in integers else values[col]  # integers: no NaN, no infinity
            summary |= {f"k{i}": f"COUNT({v})", f"lo{i}": f"MIN({v})", f"hi{i}": f"MAX({v})"}
        found = self.backend.aggregate(summary).iloc[0]
        n = int(found["n"])
        if n == 0:
            raise DataError(f"{self.source}: the data has no rows")
        suspect = any(found[f"c{i}"] < n for i in range(len(design_cols))) or any(
            found[f"k{i}"] < n or not abs(found[f"lo{i}"]) < math.inf or not abs(found[f"hi{i}"]) < math.inf
            or found[f"lo{i}"] < 0 for i in range(len(checked)))
        if weight_col:  # zero weights (rows to count), or probabilities above one
            suspect = suspect or not found["lo0"] > 0 or (probs is not None and found["hi0"] > 1)
        if not suspect:
            return n, n
        return self._counted(weights, probs, design_cols, checked, values)

    def _counted(self, weights: str | None, probs: str | None, design_cols: list[str],
                 checked: list[tuple[str, str]], values: dict[str, str]) -> tuple[int, int]:
        """One query counting every problem of :meth:`validate`'s columns; the first found raises."""
        sums = {"n": "COUNT(*)"}
        for i, col in enumerate(design_cols):
            sums[f"null{i}"] = f"SUM(CASE WHEN {self.backend.column(col)} IS NULL THEN 1 ELSE 0 END)"
        for i, (col, _) in enumerate(checked):
            v = values[col]
            sums[f"bad{i}"] = f"SUM(CASE WHEN {v} IS NULL OR ABS({v}) = {_INFINITY} THEN 1 ELSE 0 END)"
            sums[f"neg{i}"] = f"SUM(CASE WHEN {v} < 0 THEN 1 ELSE 0 END)"
        weight_col = weights or probs
        if weight_col:
            v = values[weight_col]
            sums["pos"] = f"SUM(CASE WHEN {v} > 0 THEN 1 ELSE 0 END)"
            sums["out"] = f"SUM(CASE WHEN {v} = 0 OR {v} > 1 THEN 1 ELSE 0 END)"
        found = self.backend.aggregate(sums).fillna(0).iloc[0]
        n = int(found["n"])
        for i, col in enumerate(design_cols):
            if found[f"null{i}"]:
                raise DataError(f"{self.source}: design column {col!r} has {int(found[f'null{i}'])} "
                                "missing values")
        for i, (col, role) in enumerate(checked):
            v = values[col]
            if found[f"bad{i}"]:
                first = self.first(f"({v} IS NULL OR ABS({v}) = {_INFINITY})", col)
                raise DataError(f"{self.source}: {role} {col!r} has {int(found[f'bad{i}'])} missing or "
                                f"infinite values (first at row {first['row']})")
            if found[f"neg{i}"] and role == "replicate weight":
                raise DataError(f"{self.source}: replicate weights must not be negative")
            if found[f"neg{i}"] and role != "fpc":
                first = self.first(f"{v} < 0", col)
                raise DataError(f"{self.source}: {role} {col!r} has {int(found[f'neg{i}'])} negative "
                                f"values (first at row {first['row']}: {float(first['value'])})")
        if probs is not None and found["out"]:
            raise DataError(f"{self.source}: probs {probs!r} must lie in (0, 1]")
        if weights is not None and not found["pos"]:
            raise DataError(f"{self.source}: weights {weights!r} are all zero")
        return n, int(found["pos"]) if weights is not None else n
