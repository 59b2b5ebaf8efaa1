"""Design-based tests of a lazy design: ``ttest`` (svyttest), ``table`` (svytable), ``chisq`` (svychisq).

Each reduces to sums the lazy plan already computes, then finishes with the in-memory code:

* ``table``: one ``GROUP BY row, col`` query of the domain's weights;
* ``chisq``: the table, then the cell proportions (Rao-Scott) or the cell, row, column and grand
  totals (Wald tests) with their covariance from :func:`~citizensfirst.lazy.sums.ratio_sums`
  (one query), handed to :func:`~citizensfirst.inference.tests.chisq_test`;
* ``ttest``: a lazy mean (one sample) or the lazy regression of the variable on the group
  indicator (two groups), handed to :func:`~citizensfirst.inference.tests.t_result`; the
  degenerate-test checks use counts and ``MIN``/``MAX`` per group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import check_columns
from ..errors import DataError
from ..estimation.engine import ONES, sort_key
from ..inference.families import family_of
from ..inference.results import TestResult
from ..inference.tests import CHISQ_STATISTICS, check_testable, chisq_test, t_result, two_levels
from .formulas import ModelSql
from .models import fit_model
from .sums import Items, domain_weight, ratio_sums

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["chisq", "table", "ttest"]


def _cells(design: LazyDesign, names: list[str]) -> pd.DataFrame:
    """Per combination of ``names`` (missing included): the domain's weight and rows."""
    domain = design.domain_sql or "TRUE"
    return design.backend.aggregate(
        {"__cf_w": f"SUM({domain_weight(design)})",
         "__cf_n": f"SUM(CASE WHEN {domain} THEN 1 ELSE 0 END)"}, by=names)


def _levels(cells: pd.DataFrame, name: str) -> list[Any]:
    """The values of ``name`` in the domain, sorted as in memory."""
    values = cells.loc[cells["__cf_n"] > 0, name].dropna()
    return sorted(pd.unique(values).tolist(), key=sort_key)


def _counts(cells: pd.DataFrame, names: list[str], levels: list[list[Any]]) -> np.ndarray:
    """The weighted counts of every combination of ``levels`` (rows x columns)."""
    shape = tuple(len(lv) for lv in levels)
    codes = [pd.Index(lv, dtype=object).get_indexer(cells[n].astype(object)) for n, lv in
             zip(names, levels, strict=True)]
    ok = np.logical_and.reduce([c >= 0 for c in codes])
    flat = np.ravel_multi_index(tuple(c[ok] for c in codes), shape)
    weights = cells["__cf_w"].to_numpy(dtype=float)[ok]
    return np.bincount(flat, weights=weights, minlength=int(np.prod(shape))).reshape(shape)


def table(design: LazyDesign, row_var: str, col_var: str | None = None) -> pd.DataFrame:
    """Weighted counts (R's ``svytable``) of a lazy design, by one query.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    row_var : str
        The row variable.
    col_var : str, optional
        The column variable (default: a one-way table).

    Returns
    -------
    pandas.DataFrame
        As :func:`citizensfirst.inference.table`.

    Raises
    ------
    DataError
        If a column is missing.

    Examples
    --------
    >>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
    >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("pqpp"), "w": [1.0, 2, 3, 4]})
    >>> df.to_parquet(path)
    >>> table(cf.scan_survey(path, weights="w"), "a", "b").to_numpy().tolist()
    [[1.0, 2.0], [7.0, 0.0]]
    """
    names = [row_var] + ([col_var] if col_var else [])
    check_columns(pd.DataFrame(columns=design.columns), names, "table", design.source)
    cells = _cells(design, names)
    levels = [_levels(cells, n) for n in names]
    counts = _counts(cells, names, levels)
    index = pd.Index(levels[0], name=row_var)
    if col_var is None:
        return pd.DataFrame({"count": counts}, index=index)
    return pd.DataFrame(counts, index=index, columns=pd.Index(levels[1], name=col_var))


def chisq(design: LazyDesign, row_var: str, col_var: str, statistic: str = "F") -> TestResult:
    """Test of independence in a two-way table (R's ``svychisq``) of a lazy design.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    row_var : str
        The row variable.
    col_var : str
        The column variable.
    statistic : str, default 'F'
        One of :data:`~citizensfirst.inference.tests.CHISQ_STATISTICS`.

    Returns
    -------
    TestResult
        As :func:`citizensfirst.inference.chisq`.

    Raises
    ------
    DataError
        If ``statistic`` is unknown, a column is missing, or a variable has fewer than 2 levels.
    """
    if statistic not in CHISQ_STATISTICS:
        raise DataError(f"statistic must be one of {CHISQ_STATISTICS}, got {statistic!r}")
    names = [row_var, col_var]
    check_columns(pd.DataFrame(columns=design.columns), names, "table", design.source)
    cells = _cells(design, names)
    rl, cl = _levels(cells, row_var), _levels(cells, col_var)
    if len(rl) < 2 or len(cl) < 2:
        raise DataError(f"{design.source}: chisq needs at least 2 levels of each variable; "
                        f"{row_var!r} has {len(rl)}, {col_var!r} has {len(cl)}")
    observed = pd.DataFrame(_counts(cells, names, [rl, cl]), index=pd.Index(rl, name=row_var),
                            columns=pd.Index(cl, name=col_var))
    r, c = design.backend.column(row_var), design.backend.column(col_var)
    lit = design.backend.literal

    def given(condition: str) -> str:
        """An indicator of ``condition``, missing where either variable is.

        Parameters
        ----------
        condition : str
            SQL condition.

        Returns
        -------
        str
            The SQL expression.
        """
        return f"CASE WHEN {r} IS NULL OR {c} IS NULL THEN NULL WHEN {condition} THEN 1.0 ELSE 0.0 END"

    cell_items = tuple(given(f"{r} = {lit(a)} AND {c} = {lit(b)}") for b in cl for a in rl)

    def estimates(wald: bool) -> tuple[np.ndarray, np.ndarray]:
        """The Wald totals or the Rao-Scott proportions and their covariance, by one query.

        Parameters
        ----------
        wald : bool
            True for cell, row, column and grand totals; False for cell proportions.

        Returns
        -------
        tuple of numpy.ndarray
            The estimates and their covariance.
        """
        if wald:
            items = Items(cell_items + tuple(given(f"{r} = {lit(a)}") for a in rl)
                          + tuple(given(f"{c} = {lit(b)}") for b in cl) + (given("TRUE"),), None, True)
        else:
            items = Items(cell_items, ONES, True)
        res, _ = ratio_sums(design, items, [], None)
        return res["estimate"], res["vcov"]

    return chisq_test(statistic, observed, int(cells["__cf_n"].sum()), _domain_df(design), estimates,
                      design.replicates is not None, f"{row_var} x {col_var}")


def _domain_df(design: LazyDesign) -> int:
    """Degrees of freedom of the domain's rows, whatever their weight (Taylor), or the design's."""
    if design.clusters is None:
        return design.degrees_of_freedom()
    domain = design.domain_sql or "TRUE"
    answer = design.backend.aggregate({"__cf_n": f"SUM(CASE WHEN {domain} THEN 1 ELSE 0 END)"},
                                      by=list(design.clusters.keys))
    present = np.zeros(len(design.clusters.frame), dtype=bool)
    present[design.clusters.positions(answer)[answer["__cf_n"].to_numpy() > 0]] = True
    return design.clusters.taylor.degrees_of_freedom(present)


def ttest(design: LazyDesign, variable: str, by: str | None = None, mu: float = 0.0, *,
          level: float = 0.95) -> TestResult:
    """Design-based t test (R's ``svyttest``) of a lazy design.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variable : str
        The numeric variable.
    by : str, optional
        A grouping variable with exactly two levels in the domain.
    mu : float, default 0.0
        The hypothesised value subtracted from the mean or the difference.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        As :func:`citizensfirst.inference.ttest`.

    Raises
    ------
    DataError
        If a column is missing or non-numeric, ``by`` does not have two levels, or the test is
        degenerate.
    """
    check_columns(pd.DataFrame(columns=design.columns), [variable] + ([by] if by else []),
                  "t test", design.source)
    y = design.numeric_sql(variable)
    domain = design.domain_sql or "TRUE"
    answered = f"({domain}) AND {y} IS NOT NULL AND {design.weight_sql} > 0"
    stats = {"n": f"SUM(CASE WHEN {answered} THEN 1 ELSE 0 END)",
             "lo": f"MIN(CASE WHEN {answered} THEN {y} END)",
             "hi": f"MAX(CASE WHEN {answered} THEN {y} END)",
             "__cf_n": f"SUM(CASE WHEN {domain} THEN 1 ELSE 0 END)"}
    if by is None:
        total = design.backend.aggregate(stats).iloc[0]
        check_testable(design.source, variable, {"the domain": int(total["n"] or 0)},
                       lambda: bool(total["lo"] == total["hi"]))
        est = design.mean(variable, deff=None)
        return t_result(design.source, variable, None, float(est.table["estimate"].iloc[0]),
                        float(est.table["se"].iloc[0]), design.degrees_of_freedom() - 1, mu, level)
    groups = design.backend.aggregate(stats, by=[by])
    levels = two_levels(design.source, by, _levels(groups, by))
    found = [groups[groups[by].astype(object) == level].iloc[0] for level in levels]
    check_testable(design.source, variable,
                   {f"group {by} = {level!r}": int(f["n"] or 0) for level, f in zip(levels, found, strict=True)},
                   lambda: all(f["lo"] == f["hi"] for f in found))
    g = design.backend.column(by)
    lit = design.backend.literal
    indicator = f"CASE WHEN {g} = {lit(levels[1])} THEN 1.0 ELSE 0.0 END"
    model = ModelSql(f"{variable} ~ {by}", y, ("1.0", indicator), ["(Intercept)", f"{by}{levels[1]}"],
                     {"(Intercept)": [0], by: [1]}, f"({domain}) AND {y} IS NOT NULL AND {g} IS NOT NULL")
    fit = fit_model(design, model, family_of("gaussian"), level)
    return t_result(design.source, variable, (by, levels), float(fit.coefficients.iloc[1]),
                    float(fit.se.iloc[1]), fit.df_residual, mu, level)
