"""A model formula of a lazy design as SQL: the in-memory (patsy) model matrix, column by column.

patsy builds the model matrix from the data; a lazy design has no rows in memory, so the
matrix is built on a *tiny frame*: one row per combination of the values of the categorical
columns the formula uses (one ``GROUP BY`` query over the complete rows of the domain), with
every plain numeric column set to 1. patsy then sees exactly the levels it would see in memory
(same treatment coding, same names, same column order), and every model column is

    (its value on the tiny frame, as a CASE over the categorical values) x (its numeric columns)

in SQL. Numeric columns must appear as plain names (``x`` or ``Q('a.b')``); categorical ones
(text, boolean, or a numeric column inside ``C(...)``) may appear in any expression patsy
evaluates, such as ``I(g == 'yes')``. Anything else (``np.log(x)``, ``I(x > 3)``) needs the rows
and raises :class:`~citizensfirst.errors.NotLazyError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError, NotLazyError
from ..inference.families import GlmFamily
from ..inference.formulas import outcome_column, patsy_message, referenced_columns, term_layout

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["ModelSql", "model_sql"]

#: most combinations of categorical values a formula may have
MAX_CELLS = 10_000


@dataclass(frozen=True)
class ModelSql:
    """A model in SQL: the outcome, the model columns (R's order), their names and terms, and
    the condition selecting the rows it uses (in the domain, nothing missing)."""

    formula: str
    outcome: str
    columns: tuple[str, ...]
    names: list[str]
    terms: dict[str, list[int]]
    used: str


def model_sql(design: LazyDesign, formula: str, fam: GlmFamily) -> ModelSql:
    """The outcome and model columns of ``formula`` as SQL, as ``regress`` builds them in memory.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    formula : str
        Patsy formula ``"y ~ x + C(g)"``.
    fam : GlmFamily
        The family (a two-level outcome is allowed for binomial ones).

    Returns
    -------
    ModelSql
        The model in SQL.

    Raises
    ------
    DataError
        If the formula has no outcome, names unknown columns, or has no complete rows.
    NotLazyError
        If a term transforms a numeric column (it needs the rows: ``.collect()`` a subset).
    """
    import patsy  # lazy: heavy optional library, imported on use for import time

    if "~" not in formula:
        raise DataError(f"formula {formula!r} needs an outcome: 'y ~ x + ...'")
    lhs, rhs = formula.split("~", 1)
    if not lhs.strip():
        raise DataError(f"formula {formula!r} needs an outcome on the left of '~'")
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError as err:
        raise DataError(f"{design.source}: cannot build the model {formula!r}: {err}") from None
    kinds = {c: design.kinds[c] for c in design.columns}
    plain, grouped = _factor_kinds(design, formula, desc, kinds)
    referenced = referenced_columns(formula, design.columns)
    present = [f"{_value(design, c, kinds)} IS NOT NULL" for c in referenced]
    used = " AND ".join(([f"({design.domain_sql})"] if design.domain_sql else []) + present) or "TRUE"
    cells = design.backend.aggregate({"__cf_n": "COUNT(*)"}, by=grouped, where=used)
    if not grouped and not int(cells["__cf_n"].fillna(0).iloc[0]) or grouped and cells.empty:
        raise DataError(f"{design.source}: no complete rows for {formula!r}")
    if len(cells) > MAX_CELLS:
        raise NotLazyError(
            f"{design.source}: the categorical terms of {formula!r} take {len(cells)} combinations "
            f"of values (more than {MAX_CELLS}); .collect() a subset to fit this model in memory")
    tiny = cells.drop(columns="__cf_n").assign(**{c: 1.0 for c in plain})
    try:
        rhs_mat = patsy.dmatrix(rhs, tiny, NA_action="raise", return_type="dataframe")
        lhs_mat = patsy.dmatrix("0 + " + lhs, tiny, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as err:
        frame = pd.DataFrame(columns=design.columns)
        raise DataError(f"{design.source}: cannot build the model {formula!r}: "
                        f"{patsy_message(err, frame)}") from None
    order, names, terms = term_layout(rhs_mat, rhs)
    columns = tuple(_columns(design, rhs_mat, tiny, kinds)[j] for j in order)
    y = _columns(design, lhs_mat, tiny, kinds)
    outcome = y[outcome_column(list(lhs_mat.columns), lhs.strip(), fam, design.source)]
    return ModelSql(formula, outcome, columns, names, terms, used)


def _plain_name(code: str, kinds: dict[str, str]) -> str | None:
    """The numeric column a factor is, when it is a plain name (``x`` or ``Q('a.b')``)."""
    match = re.fullmatch(r"\s*(?:Q\(\s*(['\"])(.*)\1\s*\)|([\w.]+))\s*", code)
    if not match:
        return None
    name = match.group(2) if match.group(2) is not None else match.group(3)
    return name if kinds.get(name) in ("numeric",) else None


def _factor_kinds(design: LazyDesign, formula: str, desc: Any, kinds: dict[str, str]
                  ) -> tuple[list[str], list[str]]:
    """The plain numeric columns and the columns to group by (categorical values) of a formula."""
    plain: list[str] = []
    grouped: list[str] = []
    terms = list(desc.lhs_termlist) + list(desc.rhs_termlist)
    for factor in dict.fromkeys(f for term in terms for f in term.factors):
        code = factor.code
        name = _plain_name(code, kinds)
        if name is not None:
            plain.append(name)
            continue
        refs = referenced_columns(code, design.columns)
        numeric = [c for c in refs if kinds[c] == "numeric"]
        if numeric and not code.strip().startswith("C("):
            raise NotLazyError(
                f"{design.source}: the term {code!r} of {formula!r} transforms the numeric column "
                f"{numeric[0]!r}, which a lazy design cannot do yet; write the transformed column "
                "into the file, or .collect() a subset and fit the model in memory")
        grouped += refs
    plain, grouped = list(dict.fromkeys(plain)), list(dict.fromkeys(grouped))
    both = [c for c in plain if c in grouped]
    if both:
        raise NotLazyError(
            f"{design.source}: {formula!r} uses {both[0]!r} both as a number and as categories, "
            "which a lazy design cannot do yet; .collect() a subset and fit the model in memory")
    return plain, grouped


def _value(design: LazyDesign, name: str, kinds: dict[str, str]) -> str:
    """A column as SQL: numeric columns as DOUBLE (NaN is missing), others as they are."""
    return design.numeric_sql(name) if kinds[name] == "numeric" else design.backend.column(name)


def _columns(design: LazyDesign, matrix: pd.DataFrame, tiny: pd.DataFrame, kinds: dict[str, str]
             ) -> list[str]:
    """Every column of patsy's ``matrix`` (built on the ``tiny`` frame) as SQL over the rows."""
    info = matrix.design_info
    out: list[str] = [""] * matrix.shape[1]
    for term, part in info.term_slices.items():
        numeric = [f.code for f in term.factors if _plain_name(f.code, kinds) is not None]
        refs = list(dict.fromkeys(c for f in term.factors if _plain_name(f.code, kinds) is None
                                  for c in referenced_columns(f.code, design.columns)))
        factors = [_value(design, str(_plain_name(code, kinds)), kinds) for code in numeric]
        for j in range(part.start, part.stop):
            values = matrix.iloc[:, j].to_numpy(dtype=float)
            out[j] = " * ".join([_case(design, tiny, refs, values)] + factors)
    return out


def _case(design: LazyDesign, tiny: pd.DataFrame, refs: list[str], values: np.ndarray) -> str:
    """``CASE WHEN g = ... THEN value ... ELSE 0 END``: a value that depends on ``refs`` only."""
    literal = design.backend.literal
    if np.all(values == values[0]):
        return literal(float(values[0]))
    table = tiny[refs].assign(__v=values).drop_duplicates()
    branches = []
    for row in table[table["__v"] != 0].itertuples(index=False):  # one per category, not row
        test = " AND ".join(f"{design.backend.column(c)} = {literal(v)}"
                            for c, v in zip(refs, row[:-1], strict=True))
        branches.append(f"WHEN {test} THEN {literal(float(row[-1]))}")
    return "(CASE " + " ".join(branches) + " ELSE 0.0 END)"
