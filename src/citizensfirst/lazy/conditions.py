"""Subset conditions of lazy designs: :mod:`citizensfirst.design.condition`'s safe grammar
rendered as SQL.

The text is parsed and validated by the same parser as in memory
(:func:`~citizensfirst.design.condition.parse_condition`); only the validated tree is turned into
SQL, with column names quoted and values written as literals by the backend, so a condition can
never inject SQL. SQL's three-valued logic matches the in-memory rule: a comparison with a
missing value is unknown, and unknown rows are left out of the domain.

>>> from citizensfirst.backends.duckdb import sql_literal
>>> from citizensfirst.design.condition import parse_condition
>>> kinds = {"prov": "numeric", "g": "string"}
>>> quote = lambda name: f'"{name}"'
>>> to_sql(parse_condition("prov == 35 & g in ['a', None]"), kinds, quote, sql_literal)
'(("prov" = 35) AND (CASE WHEN "g" IS NULL THEN TRUE ELSE "g" IN (\\'a\\') END))'
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from ..design.condition import Condition
from ..errors import DataError

__all__ = ["to_sql"]

_OPERATORS: dict[type[ast.cmpop], str] = {
    ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
}


def to_sql(condition: Condition, kinds: Mapping[str, str], quote: Callable[[str], str],
           literal: Callable[[object], str]) -> str:
    """The SQL boolean expression of a parsed condition.

    Parameters
    ----------
    condition : Condition
        A condition from :func:`~citizensfirst.design.condition.parse_condition` whose columns
        all exist (the design checks them first).
    kinds : mapping
        Column name to kind (``'numeric'``, ``'boolean'``, ``'string'``, ``'other'``).
    quote : callable
        The backend's column quoting (:meth:`~citizensfirst.backends.base.Backend.column`).
    literal : callable
        The backend's literal writer (:meth:`~citizensfirst.backends.base.Backend.literal`).

    Returns
    -------
    str
        The SQL condition (NULL where the in-memory condition is unknown).

    Raises
    ------
    DataError
        If a column is used as true/false but is not boolean, or a numeric column is compared
        with text (the in-memory messages).
    """
    return _Renderer(condition.text, kinds, quote, literal).truth(condition.tree)


class _Renderer:
    def __init__(self, text: str, kinds: Mapping[str, str], quote: Callable[[str], str],
                 literal: Callable[[object], str]) -> None:
        self.text = text
        self.kinds = kinds
        self.quote = quote
        self.literal = literal

    def truth(self, node: ast.expr) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = " AND " if isinstance(node.op, ast.And) else " OR "
            return "(" + joiner.join(self.truth(v) for v in node.values) + ")"
        if isinstance(node, ast.UnaryOp):
            return f"(NOT {self.truth(node.operand)})"
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            parts = [self.comparison(operands[i], op, operands[i + 1]) for i, op in enumerate(node.ops)]
            return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"
        assert isinstance(node, ast.Name)
        if self.kinds.get(node.id) != "boolean":
            raise DataError(
                f"subset condition {self.text!r}: column {node.id!r} ({self.kinds.get(node.id)}) is "
                f"not true/false; compare it with a value, e.g. {node.id} == 1"
            )
        return self.quote(node.id)

    def comparison(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> str:
        if isinstance(op, ast.In | ast.NotIn):
            assert isinstance(left, ast.Name) and isinstance(right, ast.List | ast.Tuple)
            values = [ast.literal_eval(e) for e in right.elts]
            for value in values:
                self.check_types(left.id, value)
            column = self.quote(left.id)
            present = [v for v in values if v is not None]
            on_missing = "TRUE" if None in values else "NULL"
            found = (f"{column} IN ({', '.join(self.literal(v) for v in present)})" if present
                     else "FALSE")
            sql = f"(CASE WHEN {column} IS NULL THEN {on_missing} ELSE {found} END)"
            return f"(NOT {sql})" if isinstance(op, ast.NotIn) else sql
        sides = []
        for side in (left, right):
            if isinstance(side, ast.Name):
                sides.append(self.quote(side.id))
                continue
            value = ast.literal_eval(side)
            if value is None:
                named = left if isinstance(left, ast.Name) else right
                assert isinstance(named, ast.Name)
                test = "IS NOT NULL" if isinstance(op, ast.NotEq) else "IS NULL"
                return f"({self.quote(named.id)} {test})"
            other = right if side is left else left
            if isinstance(other, ast.Name):
                self.check_types(other.id, value)
            sides.append(self.literal(value))
        return f"({sides[0]} {_OPERATORS[type(op)]} {sides[1]})"

    def check_types(self, name: str, value: Any) -> None:
        if self.kinds.get(name) == "numeric" and isinstance(value, str):
            raise DataError(
                f"subset condition {self.text!r}: column {name!r} holds numbers but is compared "
                f"with the text {value!r}; write the number without quotes"
            )

