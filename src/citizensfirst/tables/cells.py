"""Estimating the cells of a publication table: one :class:`Block` of estimates, standard errors,
covariances and bases per column variable (or the Total column), for every row of the table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import check_columns, numeric_column
from ..errors import DataError
from ..estimation.engine import level_indicators
from ..estimation.quality import QualityRules
from ..estimation.result import Estimate
from ..estimation.scales import scale_of
from .render import TOTAL_KEY

if TYPE_CHECKING:
    from ..design.facade import Design


def table_levels(series: pd.Series) -> list[Any]:
    """Observed levels in table order (categorical order, else numbers then text, ascending).

    Parameters
    ----------
    series : pandas.Series
        The column whose levels are listed.

    Returns
    -------
    list
        The levels present in ``series``, in table order.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique().tolist())
        return [c for c in series.cat.categories if c in present]
    values = series.dropna().unique().tolist()
    return sorted(values, key=lambda v: (0, float(v)) if isinstance(v, int | float | np.number) else (1, str(v)))


@dataclass
class Block:
    """Estimates for the columns of one column variable (or the Total column), all rows."""

    variable: str | None
    levels: list[Any]
    estimate: np.ndarray  # (R, C)
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray  # respondents contributing to each cell
    weighted_n: np.ndarray
    cv: np.ndarray
    cov: np.ndarray  # (R, C, C)
    base_n: np.ndarray  # (C,)
    base_wn: np.ndarray


@dataclass
class CellSpec:
    """What the rows are and how each cell is estimated."""

    stat: str
    mode: str  # "levels" (percent), "groups" (rows x value) or "variables"
    rows: str | None
    variables: list[str]  # analysis columns in the working design
    row_keys: list[Any]
    base_mask: np.ndarray
    level: float
    rules: QualityRules | None


def prepare_cells(design: Design, rows: str | Sequence[str], stat: str, value: str | Sequence[str] | None,
             scale: tuple[float, float] | None) -> tuple[Design, CellSpec, list[str]]:
    """The working design (derived 0/1 or 0-100 columns added) and the row specification.

    Parameters
    ----------
    design : Design
        The design the table is built from.
    rows : str or sequence of str
        The row variable, or the rated items shown as rows.
    stat : str
        ``"percent"``, ``"mean"``, ``"top2"`` or ``"score"``.
    value : str, sequence of str or None
        The rated item(s) when ``rows`` is a grouping variable.
    scale : tuple of (float, float) or None
        The rating scale; None reads it from the codebook.

    Returns
    -------
    tuple of (Design, CellSpec, list of str)
        The working design, the row specification and the analysis columns.
    """
    frame, source = design.frame, design.source
    if stat == "percent":
        if value is not None:
            raise DataError("stat='percent' tabulates the levels of rows=; value= is for mean, top2 and score")
        if not isinstance(rows, str):
            raise DataError("stat='percent' takes one row variable")
        check_columns(frame, [rows], "rows", source)
        _, levels = level_indicators(design, rows)
        spec = CellSpec(stat, "levels", rows, [rows], list(levels), frame[rows].notna().to_numpy(), 0.95, None)
        return design, spec, [rows]
    if value is None:
        items = [rows] if isinstance(rows, str) else list(rows)
        group = None
    else:
        if not isinstance(rows, str):
            raise DataError("with value=, rows= is one grouping variable")
        items = [value] if isinstance(value, str) else list(value)
        if len(items) != 1:
            raise DataError("value= takes one variable; put several items in rows= (value=None)")
        group = rows
    check_columns(frame, items + ([group] if group else []), "table", source)
    derived: dict[str, np.ndarray] = {}
    names = []
    for item in items:
        x = numeric_column(frame, item, "value", source)
        if stat == "mean":
            derived_name, values = item, None
        else:
            rating = scale_of(design.codebook, item, scale, source)
            what = f"{source}: {item!r}"
            values = rating.top_box(x, 2, what=what) if stat == "top2" else rating.to_100(x, what=what)
            derived_name = f"__citizensfirst_{stat}__{item}"
        if values is not None:
            derived[derived_name] = values
        names.append(derived_name)
    work = design
    if derived:
        work = design.evolve(data=frame.assign(**derived))
    valid = work.frame[names].notna().any(axis=1).to_numpy(dtype=bool, copy=True)
    if group is None:
        spec = CellSpec(stat, "variables", None, names, list(items), valid, 0.95, None)
    else:
        valid &= frame[group].notna().to_numpy()
        keys = table_levels(frame.loc[design.domain & (design.weight_values != 0), group])
        spec = CellSpec(stat, "groups", group, names, [*keys, TOTAL_KEY], valid, 0.95, None)
    return work, spec, items


def estimate_cells(work: Design, spec: CellSpec, variables: list[str], by: list[str]) -> Estimate:
    """The estimate behind a set of cells, by the design's own estimator methods (so a lazy
    design answers with its aggregation queries).

    Parameters
    ----------
    work : Design
        The working design (or any design with the same ``proportion`` and ``mean`` methods).
    spec : CellSpec
        The row specification (statistic, level, rules).
    variables : list of str
        The analysis columns.
    by : list of str
        Domain columns.

    Returns
    -------
    Estimate
        Proportions (percent) or means; a top-2 share with its logit interval.
    """
    kwargs: dict[str, Any] = {"by": by or None, "level": spec.level, "rules": spec.rules}
    if spec.stat == "percent":
        return work.proportion(variables[0], ci="logit", **kwargs)
    est = work.mean(variables, **kwargs)
    if spec.stat == "top2":  # a share: its interval by the logit method of the one interval table
        limits = est.conf_int(method="logit")
        est.table["ci_low"], est.table["ci_high"] = limits["ci_low"].to_numpy(), limits["ci_high"].to_numpy()
    return est


def empty_block(column: str | None, levels: list[Any], n_rows: int) -> Block:
    """A block of ``n_rows`` rows and the columns ``levels``, no cell estimated yet.

    Parameters
    ----------
    column : str or None
        The column variable (None: the Total).
    levels : list
        Its levels (``[TOTAL_KEY]`` for the Total).
    n_rows : int
        Rows of the table.

    Returns
    -------
    Block
        NaN estimates and covariances, zero counts and bases.
    """
    shape = (n_rows, len(levels))
    nan = {k: np.full(shape, np.nan) for k in ("estimate", "se", "ci_low", "ci_high", "cv")}
    return Block(column, levels, nan["estimate"], nan["se"], nan["ci_low"], nan["ci_high"], np.zeros(shape),
                 np.zeros(shape), nan["cv"], np.full((n_rows, len(levels), len(levels)), np.nan),
                 np.zeros(len(levels)), np.zeros(len(levels)))


def place(block: Block, est: Estimate, r_idx: np.ndarray, c_idx: np.ndarray) -> None:
    """Copy an estimate's rows into the block's cells ``(r_idx, c_idx)`` (values, n, covariances).

    Parameters
    ----------
    block : Block
        The block filled in place.
    est : Estimate
        The estimate whose rows are copied.
    r_idx, c_idx : numpy.ndarray
        The row and column of the cell each of its rows goes to.
    """
    t = est.table
    for name in ("estimate", "se", "ci_low", "ci_high", "cv"):
        getattr(block, name)[r_idx, c_idx] = t[name].to_numpy()
    block.n[r_idx, c_idx] = t["n"].to_numpy()
    n_cols = len(block.levels)
    positions = np.full(block.estimate.shape, -1)
    positions[r_idx, c_idx] = np.arange(len(t))
    for r in np.unique(r_idx):
        have = positions[r] >= 0
        sub = positions[r][have]
        cov = np.full((n_cols, n_cols), np.nan)
        cov[np.ix_(have, have)] = est.vcov[np.ix_(sub, sub)]
        block.cov[r] = cov


def estimate_block(work: Design, spec: CellSpec, column: str | None) -> Block:
    """Estimate every row of the table for the categories of ``column`` (None: the Total).

    Parameters
    ----------
    work : Design
        The working design from :func:`prepare_cells`.
    spec : CellSpec
        The row specification from :func:`prepare_cells`.
    column : str or None
        The column variable; None estimates the Total column.

    Returns
    -------
    Block
        Estimates, standard errors, limits, counts and covariances, one cell per row and column.
    """
    data = work.frame
    weights = work.weight_values * work.domain
    by = [column] if column else []
    if column:
        keys = data[column]
        in_col = keys.notna().to_numpy()
        levels = table_levels(data.loc[work.domain & (work.weight_values != 0) & in_col, column])
        col_code = pd.Index(levels).get_indexer(keys)
        col_code = np.where(in_col, col_code, -1)
    else:
        levels = [TOTAL_KEY]
        col_code = np.zeros(len(data), dtype=np.int64)
    n_rows, n_cols = len(spec.row_keys), len(levels)
    shape = (n_rows, n_cols)
    block = empty_block(column, levels, n_rows)

    def column_index(table: pd.DataFrame) -> np.ndarray:
        """Column position of every row of an estimate table (0 for the Total).

        Parameters
        ----------
        table : pandas.DataFrame
            An estimate's tidy table.

        Returns
        -------
        numpy.ndarray
            The column index of each row.
        """
        if not column:
            return np.zeros(len(table), dtype=np.int64)
        return pd.Index(levels).get_indexer(table[column])

    usable = (weights != 0) & (col_code >= 0)
    if spec.mode == "levels":
        est = estimate_cells(work, spec, spec.variables, by)
        r_idx = pd.Index(spec.row_keys).get_indexer(est.table["level"])
        place(block, est, r_idx, column_index(est.table))
        ok = usable & spec.base_mask
        block.weighted_n[:] = np.bincount(col_code[ok], weights=weights[ok], minlength=n_cols)[None, :]
        # a percentage's respondents are those in the row level and the column category (its
        # numerator), not the column base the estimator counts
        row_code = pd.Index(spec.row_keys).get_indexer(data[spec.rows])
        block.n[:] = _cross_sum(row_code, col_code, ok & (row_code >= 0), shape)
    elif spec.mode == "variables":
        est = estimate_cells(work, spec, spec.variables, by)
        r_idx = pd.Index(spec.variables).get_indexer(pd.Index(est.table["variable"]))
        place(block, est, r_idx, column_index(est.table))
        for r, name in enumerate(spec.variables):
            ok = usable & data[name].notna().to_numpy()
            block.weighted_n[r] = np.bincount(col_code[ok], weights=weights[ok], minlength=n_cols)
    else:
        assert spec.rows is not None
        item = spec.variables[0]
        group_keys = spec.row_keys[:-1]
        grouped = estimate_cells(work, spec, [item], [spec.rows, *by])
        r_idx = pd.Index(group_keys).get_indexer(grouped.table[spec.rows])
        place(block, grouped, r_idx, column_index(grouped.table))
        valid_rows = work.subset(data[spec.rows].notna(), label=f"{spec.rows} answered")
        total = estimate_cells(valid_rows, spec, [item], by)
        place(block, total, np.full(len(total.table), n_rows - 1), column_index(total.table))
        ok = usable & spec.base_mask
        row_code = pd.Index(group_keys).get_indexer(data[spec.rows])
        ok &= row_code >= 0
        block.weighted_n[:-1] = _cross_sum(row_code, col_code, ok, (n_rows - 1, n_cols), weights)
        block.weighted_n[-1] = block.weighted_n[:-1].sum(axis=0)
    base_ok = usable & spec.base_mask
    block.base_n = np.bincount(col_code[base_ok], minlength=n_cols).astype(float)
    block.base_wn = np.bincount(col_code[base_ok], weights=weights[base_ok], minlength=n_cols)
    return block


def _cross_sum(row_code: np.ndarray, col_code: np.ndarray, ok: np.ndarray, shape: tuple[int, int],
               weights: np.ndarray | None = None) -> np.ndarray:
    """Respondents (or their weights) of every (row, column) cell, over the rows where ``ok``."""
    flat = np.bincount(row_code[ok] * shape[1] + col_code[ok],
                       weights=None if weights is None else weights[ok], minlength=shape[0] * shape[1])
    return flat.reshape(shape).astype(float)
