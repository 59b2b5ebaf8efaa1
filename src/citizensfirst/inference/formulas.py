"""Model formulas on a design: patsy's model matrix with R's column order, names and terms.

:func:`model_matrices` builds the outcome and model matrix of ``regress`` (``svyglm``); the
helpers (term layout, R names, referenced columns, the outcome column) are shared with the lazy
designs, which build the same columns in SQL.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .families import GlmFamily

if TYPE_CHECKING:
    from ..design.facade import Design


def plain_term(name: str) -> str:
    """A term as written without ``Q('...')``, ``C(...)`` and spaces (how terms are matched).

    Parameters
    ----------
    name : str
        A term of a formula.

    Returns
    -------
    str
        The plain name.

    Examples
    --------
    >>> plain_term("C(Q('api.stu'))")
    'api.stu'
    """
    name = re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", name.strip())
    name = re.sub(r"^C\((.*)\)$", r"\1", name)
    return name.replace(" ", "")


def model_matrices(design: Design, formula: str, fam: GlmFamily
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], dict[str, list[int]]]:
    """The model matrix, outcome and used rows of ``formula`` on the design's domain.

    Parameters
    ----------
    design : Design
        The survey design.
    formula : str
        Patsy formula ``"y ~ x + ..."``.
    fam : GlmFamily
        The family (a two-level outcome is allowed for binomial ones).

    Returns
    -------
    tuple
        ``(X, y, used, names, terms)``: X and y over all data rows (NaN where unused), the used
        rows' mask, R-style names and term -> positions.

    Raises
    ------
    DataError
        If the formula cannot be built on the data or has no outcome or complete rows.
    """
    import patsy  # lazy: heavy optional library, imported on use for import time

    if "~" not in formula:
        raise DataError(f"formula {formula!r} needs an outcome: 'y ~ x + ...'")
    lhs, rhs = formula.split("~", 1)
    if not lhs.strip():
        raise DataError(f"formula {formula!r} needs an outcome on the left of '~'")
    data = design.frame
    referenced = referenced_columns(formula, data.columns)
    domain_rows = np.flatnonzero(design.domain)
    frame = data.iloc[domain_rows].reset_index(drop=True)
    complete = ~frame[referenced].isna().any(axis=1).to_numpy() if referenced else np.ones(len(frame), bool)
    frame = frame[complete].reset_index(drop=True)
    kept = domain_rows[complete]
    if len(frame) == 0:
        raise DataError(f"{design.source}: no complete rows for {formula!r}")
    try:
        rhs_mat = patsy.dmatrix(rhs, frame, NA_action="raise", return_type="dataframe")
        lhs_mat = patsy.dmatrix("0 + " + lhs, frame, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as err:
        raise DataError(f"{design.source}: cannot build the model {formula!r}: {patsy_message(err, data)}") from None
    y = _outcome(lhs_mat, lhs.strip(), fam, design.source)
    columns, names, terms = term_layout(rhs_mat, rhs)
    X = rhs_mat.to_numpy(dtype=float)[:, columns]
    full_X = np.full((len(data), X.shape[1]), np.nan)
    full_X[kept] = X
    full_y = np.full(len(data), np.nan)
    full_y[kept] = y
    used = np.zeros(len(data), dtype=bool)
    used[kept] = True
    return full_X, full_y, used, names, terms


def term_layout(rhs_mat: pd.DataFrame, rhs: str) -> tuple[list[int], list[str], dict[str, list[int]]]:
    """The model columns in R's order (the formula's terms), their R names and each term's positions.

    Parameters
    ----------
    rhs_mat : pandas.DataFrame
        patsy's right-hand-side design matrix (``return_type="dataframe"``).
    rhs : str
        The right-hand side of the formula.

    Returns
    -------
    tuple
        Positions of patsy's columns in R's order, their R-style names, and term -> positions.
    """
    import patsy  # lazy: heavy optional library, imported on use for import time

    # patsy puts categorical terms first; R keeps the formula's order
    slices = rhs_mat.design_info.term_name_slices
    order = [t.name() for t in patsy.ModelDesc.from_formula(rhs).rhs_termlist]
    order = [t for t in order if t in slices] + [t for t in slices if t not in order]
    columns: list[int] = []
    terms: dict[str, list[int]] = {}
    for term in order:
        sl = slices[term]
        key = "(Intercept)" if term == "Intercept" else plain_term(term)
        terms[key] = list(range(len(columns), len(columns) + sl.stop - sl.start))
        columns += list(range(sl.start, sl.stop))
    return columns, [r_name(rhs_mat.columns[j]) for j in columns], terms


def patsy_message(err: Exception, data: pd.DataFrame) -> str:
    """A patsy error as a short message; an unknown name gets the closest column names.

    Parameters
    ----------
    err : Exception
        patsy's error.
    data : pandas.DataFrame
        The data (its columns are suggested).

    Returns
    -------
    str
        The message.
    """
    text = str(err).splitlines()[0]
    match = re.search(r"name '([^']+)' is not defined", str(err))
    if match:
        close = difflib.get_close_matches(match.group(1), [str(c) for c in data.columns], n=3)
        text = f"column {match.group(1)!r} not found" + (
            f" (did you mean {', '.join(map(repr, close))}?)" if close else "")
        if any("." in str(c) for c in close):
            text += "; write dotted names as Q('name')"
    return text


def referenced_columns(formula: str, columns: Iterable[Any]) -> list[Any]:
    """The columns whose names appear in ``formula`` (as whole names; dots are part of a name).

    Parameters
    ----------
    formula : str
        A model formula (or part of one).
    columns : iterable
        The data's column names.

    Returns
    -------
    list
        The columns named, in the order of ``columns``.

    Examples
    --------
    >>> referenced_columns("y ~ x + Q('a.b')", ["y", "x", "a", "a.b", "xx"])
    ['y', 'x', 'a.b']
    """
    out = []
    for col in columns:
        name = str(col)
        if re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w.])", formula):
            out.append(col)
    return out


def _outcome(lhs: pd.DataFrame, text: str, fam: GlmFamily, source: str) -> np.ndarray:
    return lhs.iloc[:, outcome_column(list(lhs.columns), text, fam, source)].to_numpy(dtype=float)


def outcome_column(cols: list[Any], text: str, fam: GlmFamily, source: str) -> int:
    """Which column of patsy's left-hand side is the outcome (the second level of a two-level one).

    Parameters
    ----------
    cols : list
        The left-hand side's column names.
    text : str
        The left-hand side, for messages.
    fam : GlmFamily
        The family (only binomial ones take a two-level outcome).
    source : str
        The data source, for messages.

    Returns
    -------
    int
        The column position.

    Raises
    ------
    DataError
        If the outcome is neither numeric nor two-level for a binomial family.
    """
    if len(cols) == 1:
        return 0
    if len(cols) == 2 and fam.name != "gaussian" and fam.name not in ("poisson", "quasipoisson"):
        return 1  # second level = success, as R
    raise DataError(f"{source}: outcome {text!r} must be numeric (or two-level for a binomial "
                    f"model); it has levels {cols}")


def r_name(column: str) -> str:
    """patsy's column name as R names it (``g[T.b]`` -> ``gb``, ``Intercept`` -> ``(Intercept)``).

    Parameters
    ----------
    column : str
        patsy's column name.

    Returns
    -------
    str
        R's name.

    Examples
    --------
    >>> r_name("Q('a.b')[T.x]")
    'a.bx'
    """
    if column == "Intercept":
        return "(Intercept)"
    column = re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", column)
    return re.sub(r"\[T\.(.*)\]$", r"\1", column)
