"""Row conditions written as text, for :meth:`Design.subset`, parsed and evaluated safely.

A condition compares columns with literal values and combines the comparisons; nothing else.
It is parsed with Python's :mod:`ast` and evaluated here, column by column, never handed to
``eval``, ``pandas.eval`` or ``DataFrame.query``, so a condition cannot run code.

Allowed:

* comparisons ``==  !=  <  <=  >  >=`` between a column and a value (number, text, ``True``,
  ``False``) or between two columns; chains such as ``1 <= age_grp <= 3``;
* ``col in [1, 2]`` and ``col not in ("a", "b")`` with a list or tuple of values;
* ``col == None`` (the value is missing) and ``col != None`` (it is present);
* a true/false column on its own (``flag``);
* ``&``, ``|``, ``~``, ``and``, ``or``, ``not`` and parentheses. As in ``DataFrame.query``,
  ``&`` and ``|`` bind more loosely than comparisons: ``prov == 35 & age_grp in [1, 2]`` means
  ``(prov == 35) & (age_grp in [1, 2])``.

Refused with :class:`~citizensfirst.errors.DesignError` naming the piece: attributes, calls,
subscripts, ``@`` variables, lambdas, arithmetic, f-strings, dunder names. A name that is not a
column of the data is a :class:`~citizensfirst.errors.DataError` (raised by the design).

Missing values follow R's ``subset``: a comparison involving a missing value is unknown, ``not``
keeps it unknown, and rows whose condition is unknown are left out (so ``gender != 3`` does
not select respondents whose gender is missing). Only ``== None`` / ``in [..., None]`` select them.

>>> import pandas as pd
>>> df = pd.DataFrame({"prov": [35, 35, 24, None], "age": [1, 3, 1, 2]})
>>> parse_condition("prov == 35 & age in [1, 2]").evaluate(df).tolist()
[True, False, False, False]
>>> parse_condition("prov != 35").evaluate(df).tolist()
[False, False, True, False]
>>> parse_condition("__import__('os').system('true')")
Traceback (most recent call last):
...
citizensfirst.errors.DesignError: subset condition "__import__('os').system('true')": a function call (__import__('os').system('true')) is not allowed; compare columns with values, combined with & | ~
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, DesignError

__all__ = ["Condition", "parse_condition"]

#: Longest condition text accepted (a guard against pathological input).
MAX_LENGTH = 10_000

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_VALUE_TYPES = (str, int, float, bool, type(None))
_HINT = "compare columns with values, combined with & | ~"
_NODE_NAMES: dict[type[ast.AST], str] = {
    ast.Call: "a function call", ast.Attribute: "an attribute", ast.Subscript: "a subscript",
    ast.Lambda: "a lambda", ast.JoinedStr: "an f-string", ast.BinOp: "arithmetic",
    ast.Starred: "a starred expression", ast.IfExp: "an if-expression",
    ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Dict: "a dict", ast.Set: "a set", ast.NamedExpr: "an assignment",
}


@dataclass(frozen=True)
class Condition:
    """A parsed, validated row condition; :meth:`evaluate` gives its boolean mask."""

    text: str
    tree: ast.expr
    columns: tuple[str, ...]

    def evaluate(self, data: pd.DataFrame) -> np.ndarray:
        """A boolean mask over the rows of ``data`` (unknown, i.e. missing, counts as False).

        Every name in :attr:`columns` must be a column of ``data`` (the design checks it first).

        Parameters
        ----------
        data : pandas.DataFrame
            The rows to evaluate the condition on.

        Returns
        -------
        numpy.ndarray
            Boolean mask, one value per row.
        """
        return _Evaluator(self.text, data).truth(self.tree).fillna(False).to_numpy(dtype=bool)


def parse_condition(text: str) -> Condition:
    """Parse and validate a condition (see the module docstring for the grammar).

    Raises :class:`DesignError` naming the first construct that is not allowed.

    Parameters
    ----------
    text : str
        The condition, e.g. ``"prov == 35 & age_grp in [1, 2]"``.

    Returns
    -------
    Condition
        The parsed condition, with the columns it names.

    Raises
    ------
    DesignError
        If the text is too long, cannot be parsed or uses a construct that is not allowed.

    Examples
    --------
    >>> parse_condition("1 <= age_grp <= 3 and not (prov == 24)").columns
    ('age_grp', 'prov')
    """
    if len(text) > MAX_LENGTH:
        raise DesignError(f"subset condition is {len(text)} characters long; at most {MAX_LENGTH}")
    source = _with_boolean_precedence(text)
    try:
        tree = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        reason = getattr(err, "msg", None) or str(err) or type(err).__name__
        raise DesignError(f"subset condition {text!r} cannot be parsed: {reason}; {_HINT}") from None
    columns: list[str] = []
    _Validator(text, columns).truth(tree)
    return Condition(text, tree, tuple(dict.fromkeys(columns)))


def _with_boolean_precedence(text: str) -> str:
    """Turn ``&``/``|`` into ``and``/``or`` so they bind more loosely than comparisons (as pandas)."""
    swap = {"&": "and", "|": "or"}
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.OP and tok.string == "@":
                raise DesignError(
                    f"subset condition {text!r}: '@' (a reference to a Python variable) is not "
                    f"allowed; write the value itself"
                )
            if tok.type == tokenize.ERRORTOKEN and tok.string.strip():
                raise DesignError(
                    f"subset condition {text!r}: unexpected character {tok.string!r} at position "
                    f"{tok.start[1] + 1}; column names must be plain identifiers"
                )
            if tok.type == tokenize.OP and tok.string in swap:
                out.append((tokenize.NAME, swap[tok.string]))
            else:
                out.append((tok.type, tok.string))
    except (tokenize.TokenError, SyntaxError) as err:
        raise DesignError(f"subset condition {text!r} cannot be parsed: {err}; {_HINT}") from None
    return tokenize.untokenize(out)


class _Validator:
    """Walks the tree, accepting only the grammar above and collecting the column names."""

    def __init__(self, text: str, columns: list[str]) -> None:
        self.text = text
        self.columns = columns

    def refuse(self, node: ast.AST, what: str | None = None) -> DesignError:
        kind = what or _NODE_NAMES.get(type(node), f"{type(node).__name__}")
        return DesignError(
            f"subset condition {self.text!r}: {kind} ({ast.unparse(node)}) is not allowed; {_HINT}"
        )

    def truth(self, node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.truth(value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.Invert):
            self.truth(node.operand)
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for i, op in enumerate(node.ops):
                self.comparison(operands[i], op, operands[i + 1])
        elif isinstance(node, ast.Name):
            self.name(node)
        else:
            raise self.refuse(node, "a value on its own" if isinstance(node, ast.Constant) else None)

    def comparison(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> None:
        if isinstance(op, ast.In | ast.NotIn):
            if not isinstance(left, ast.Name):
                raise self.refuse(left, "the left side of 'in' must be a column; this")
            self.name(left)
            if not isinstance(right, ast.List | ast.Tuple):
                raise self.refuse(right, "the right side of 'in' must be a [list] of values; this")
            for element in right.elts:
                self.value(element)
            return
        if type(op) not in _COMPARE:
            raise self.refuse(left, f"the operator {type(op).__name__!r} after")
        for side in (left, right):
            if isinstance(side, ast.Name):
                self.name(side)
            else:
                self.value(side)
                if _constant(side) is None and isinstance(op, _ORDERING):
                    raise self.refuse(side, "an ordering comparison with None")
        if not (isinstance(left, ast.Name) or isinstance(right, ast.Name)):
            raise self.refuse(left, "a comparison of two values, starting with")

    def name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise self.refuse(node, "a dunder name")
        self.columns.append(node.id)

    def value(self, node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, _VALUE_TYPES):
            return
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd)
                and isinstance(node.operand, ast.Constant)
                and isinstance(node.operand.value, int | float)
                and not isinstance(node.operand.value, bool)):
            return
        raise self.refuse(node, None if not isinstance(node, ast.Constant) else "this value type")


def _constant(node: ast.expr) -> Any:
    """The literal value of a validated value node (a constant, or a signed number)."""
    if isinstance(node, ast.UnaryOp):
        number = node.operand.value  # type: ignore[attr-defined]
        return -number if isinstance(node.op, ast.USub) else number
    return node.value  # type: ignore[attr-defined]


class _Evaluator:
    """Evaluates a validated tree on a DataFrame with three-valued (Kleene) logic."""

    def __init__(self, text: str, data: pd.DataFrame) -> None:
        self.text = text
        self.data = data

    def truth(self, node: ast.expr) -> pd.Series:
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(value) for value in node.values]
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            result = parts[0]
            for part in parts[1:]:  # over the operands of one expression, not over rows
                result = combine(result, part)
            return result
        if isinstance(node, ast.UnaryOp):
            return ~self.truth(node.operand)
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            result = self.comparison(operands[0], node.ops[0], operands[1])
            for i in range(1, len(node.ops)):
                result = result & self.comparison(operands[i], node.ops[i], operands[i + 1])
            return result
        assert isinstance(node, ast.Name)
        column = self.column(node.id)
        if not pd.api.types.is_bool_dtype(column):
            raise DataError(
                f"subset condition {self.text!r}: column {node.id!r} ({column.dtype}) is not "
                f"true/false; compare it with a value, e.g. {node.id} == 1"
            )
        return column.astype("boolean")

    def column(self, name: str) -> pd.Series:
        return self.data[name].reset_index(drop=True)

    def comparison(self, left: ast.expr, op: ast.cmpop, right: ast.expr) -> pd.Series:
        if isinstance(op, ast.In | ast.NotIn):
            assert isinstance(left, ast.Name) and isinstance(right, ast.List | ast.Tuple)
            column = self.column(left.id)
            values = [_constant(e) for e in right.elts]
            for value in values:
                self.check_types(left.id, column, value)
            found = column.isin([v for v in values if v is not None]).astype("boolean")
            missing = column.isna().to_numpy()
            found = found.mask(missing, True if None in values else pd.NA)
            return ~found if isinstance(op, ast.NotIn) else found
        if not isinstance(left, ast.Name):  # value OP column: flip it to column OP' value
            flipped = {ast.Lt: ast.Gt(), ast.LtE: ast.GtE(), ast.Gt: ast.Lt(), ast.GtE: ast.LtE()}
            left, right, op = right, left, flipped.get(type(op), op)
        assert isinstance(left, ast.Name)
        column = self.column(left.id)
        if isinstance(right, ast.Name):
            other = self.column(right.id)
            unknown = column.isna().to_numpy() | other.isna().to_numpy()
            what = f"column {right.id!r}"
        else:
            other = _constant(right)
            if other is None:
                present = column.notna() if isinstance(op, ast.NotEq) else column.isna()
                return present.astype("boolean")
            self.check_types(left.id, column, other)
            unknown = column.isna().to_numpy()
            what = repr(other)
        try:
            raw = _COMPARE[type(op)](column, other)
        except TypeError as err:
            raise DataError(
                f"subset condition {self.text!r}: cannot compare column {left.id!r} "
                f"({column.dtype}) with {what}: {err}"
            ) from None
        result = pd.Series(raw, dtype="boolean")
        result[unknown] = pd.NA
        return result

    def check_types(self, name: str, column: pd.Series, value: Any) -> None:
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric and isinstance(value, str):
            raise DataError(
                f"subset condition {self.text!r}: column {name!r} holds numbers but is compared "
                f"with the text {value!r}; write the number without quotes"
            )
