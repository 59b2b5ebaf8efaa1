"""Publication tables of a lazy design (``crosstab``, ``banner``), with the in-memory numbers.

The cells are the lazy estimators' (:func:`~citizensfirst.tables.cells.estimate_cells` calls the
design's ``proportion`` and ``mean``); the column levels, the respondents and weights of every
cell and the column bases come from one aggregation query per column variable; top-2-box and
0-100 score items are computed columns of a view (values outside the scale are found by one
query and reported by the scale's own check). The table itself (labels, suppression, letters,
notes) is assembled by :func:`~citizensfirst.tables.build.assemble_table`, as in memory.
Multiple-response sets need the rows: they raise :class:`~citizensfirst.errors.NotLazyError`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..design.setup import check_columns
from ..design.variance import ReplicateWeights
from ..errors import DataError, NotLazyError
from ..estimation.engine import sort_key
from ..estimation.quality import QualityRules
from ..estimation.scales import scale_of
from ..tables.build import assemble_table, table_options
from ..tables.cells import Block, CellSpec, empty_block, estimate_cells, place, table_levels
from ..tables.render import TOTAL_KEY, Table
from .checks import Checks
from .sums import domain_weight

if TYPE_CHECKING:
    from ..design.facade import Design
    from .design import LazyDesign

__all__ = ["TableMethods", "banner"]

_NO_MASK = np.zeros(0, dtype=bool)  # a lazy table's bases are SQL conditions, not row masks


@dataclass(frozen=True)
class _TableView:
    """What the table's notes and labels read of a design: codebook, structure, replicates and the
    sum and number of the nonzero weights (an array of that sum and size that costs no memory)."""

    codebook: Any
    is_replicate: bool
    replicate_weights: ReplicateWeights | None
    n_strata: int
    n_psu: int
    weight_values: np.ndarray
    calibrations: tuple[Any, ...]


class TableMethods:
    """``crosstab`` and ``banner`` of :class:`~citizensfirst.lazy.design.LazyDesign` (the
    signatures of :class:`~citizensfirst.Design`'s)."""

    def _lazy(self) -> LazyDesign:
        return cast("LazyDesign", self)

    def crosstab(self, rows: str | Sequence[str], cols: str | None = None, stat: str = "percent", *,
                 value: str | None = None, language: str = "en", alpha: float = 0.05, adjust: str = "none",
                 rules: QualityRules | None = None, decimals: int = 1, scale: tuple[float, float] | None = None,
                 level: float = 0.95, title: str | None = None) -> Table:
        """A cross-tabulation (as :meth:`citizensfirst.Design.crosstab`), by aggregation queries.

        Parameters
        ----------
        rows : str or sequence of str
            The row variable, or the rated items.
        cols : str or None, optional
            The column variable; None gives the Total column alone.
        stat : str, default "percent"
            ``"percent"``, ``"mean"``, ``"top2"`` or ``"score"``.
        value : str or None, optional
            The rated item when ``rows`` is a grouping variable.
        language : str, default "en"
            ``"en"`` or ``"fr"``.
        alpha : float, default 0.05
            Significance level of the column tests.
        adjust : str, default "none"
            ``"none"``, ``"holm"`` or ``"bh"``.
        rules : QualityRules or None, optional
            Quality and suppression rules.
        decimals : int, default 1
            Decimals of the displayed estimates.
        scale : tuple of (float, float) or None, optional
            The scale, overriding the codebook.
        level : float, default 0.95
            Confidence level of the intervals.
        title : str or None, optional
            The title.

        Returns
        -------
        Table
            The same table as in memory.
        """
        return banner(self._lazy(), rows, [] if cols is None else [cols], stat, value=value, language=language,
                      alpha=alpha, adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level,
                      title=title)

    def banner(self, rows: str | Sequence[str], cols: Sequence[str], stat: str = "percent", *,
               value: str | None = None, language: str = "en", alpha: float = 0.05, adjust: str = "none",
               rules: QualityRules | None = None, decimals: int = 1, scale: tuple[float, float] | None = None,
               level: float = 0.95, title: str | None = None) -> Table:
        """A banner table (as :meth:`citizensfirst.Design.banner`), by aggregation queries.

        Parameters
        ----------
        rows : str or sequence of str
            The row variable, or the rated items.
        cols : sequence of str
            The column variables.
        stat : str, default "percent"
            ``"percent"``, ``"mean"``, ``"top2"`` or ``"score"``.
        value : str or None, optional
            The rated item when ``rows`` is a grouping variable.
        language : str, default "en"
            ``"en"`` or ``"fr"``.
        alpha : float, default 0.05
            Significance level of the column tests.
        adjust : str, default "none"
            ``"none"``, ``"holm"`` or ``"bh"``.
        rules : QualityRules or None, optional
            Quality and suppression rules.
        decimals : int, default 1
            Decimals of the displayed estimates.
        scale : tuple of (float, float) or None, optional
            The scale, overriding the codebook.
        level : float, default 0.95
            Confidence level of the intervals.
        title : str or None, optional
            The title.

        Returns
        -------
        Table
            The same table as in memory.
        """
        return banner(self._lazy(), rows, cols, stat, value=value, language=language, alpha=alpha,
                      adjust=adjust, rules=rules, decimals=decimals, scale=scale, level=level, title=title)


def banner(design: LazyDesign, rows: str | Sequence[str], cols: Sequence[str], stat: str = "percent", *,
           value: str | None = None, language: str = "en", alpha: float = 0.05, adjust: str = "none",
           rules: QualityRules | None = None, decimals: int = 1, scale: tuple[float, float] | None = None,
           level: float = 0.95, title: str | None = None) -> Table:
    """A banner table of a lazy design (see :class:`TableMethods`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    rows : str or sequence of str
        The row variable, or the rated items.
    cols : sequence of str
        The column variables.
    stat : str, default "percent"
        The statistic.
    value : str or None, optional
        The rated item when ``rows`` is a grouping variable.
    language : str, default "en"
        ``"en"`` or ``"fr"``.
    alpha : float, default 0.05
        Significance level.
    adjust : str, default "none"
        Multiple-comparison adjustment.
    rules : QualityRules or None, optional
        Quality and suppression rules.
    decimals : int, default 1
        Decimals of the displayed estimates.
    scale : tuple of (float, float) or None, optional
        The scale, overriding the codebook.
    level : float, default 0.95
        Confidence level.
    title : str or None, optional
        The title.

    Returns
    -------
    Table
        The table.

    Raises
    ------
    DataError
        As in memory (invalid options, unknown or non-numeric variables, ratings off the scale).
    NotLazyError
        For a multiple-response set.
    """
    columns_vars = table_options(rows, cols, stat, value, language, alpha, adjust)
    _known(design, columns_vars, "column")
    codebook = design.codebook
    if isinstance(rows, str) and codebook is not None and rows in codebook.mr_sets and rows not in design.columns:
        raise NotLazyError(f"{design.source}: {rows!r} is a multiple-response set; its tables need the rows in "
                           "memory: .collect(where=...) the rows and tabulate the set on that design")
    work, spec, items, base = _prepare(design, rows, stat, value, scale)
    spec.level = level
    spec.rules = rules
    df = float(design.degrees_of_freedom())
    blocks = [_block(work, spec, base, column) for column in [None, *columns_vars]]
    return assemble_table(_view(design), spec, items, blocks, stat, df=df, language=language, alpha=alpha,
                          adjust=adjust, rules=rules, decimals=decimals, level=level, title=title)


def _known(design: LazyDesign, names: list[str], role: str) -> None:
    check_columns(pd.DataFrame(columns=design.columns), names, role, design.source)


def _prepare(design: LazyDesign, rows: str | Sequence[str], stat: str, value: str | Sequence[str] | None,
             scale: tuple[float, float] | None) -> tuple[LazyDesign, CellSpec, list[str], str]:
    """The working design, the row specification, the items and the SQL base condition (as
    :func:`~citizensfirst.tables.cells.prepare_cells`)."""
    q = design.backend.column
    if stat == "percent":
        if value is not None:
            raise DataError("stat='percent' tabulates the levels of rows=; value= is for mean, top2 and score")
        if not isinstance(rows, str):
            raise DataError("stat='percent' takes one row variable")
        _known(design, [rows], "rows")
        found = design.backend.aggregate({"n": "COUNT(*)"}, by=[rows], where=f"{q(rows)} IS NOT NULL")
        levels = sorted(found[rows].tolist(), key=sort_key)
        if not levels:
            raise DataError(f"{design.source}: variable {rows!r} has no observed values")
        spec = CellSpec(stat, "levels", rows, [rows], levels, _NO_MASK, 0.95, None)
        return design, spec, [rows], f"{q(rows)} IS NOT NULL"
    if value is None:
        items, group = ([rows] if isinstance(rows, str) else list(rows)), None
    else:
        if not isinstance(rows, str):
            raise DataError("with value=, rows= is one grouping variable")
        items = [value] if isinstance(value, str) else list(value)
        if len(items) != 1:
            raise DataError("value= takes one variable; put several items in rows= (value=None)")
        group = rows
    _known(design, items + ([group] if group else []), "table")
    derived: dict[str, str] = {}
    names = []
    for item in items:
        x = design.numeric_sql(item, "value")
        if stat == "mean":
            names.append(item)
            continue
        rating = scale_of(design.codebook, item, scale, design.source)
        off = design.backend.aggregate({"n": "COUNT(*)"}, by=[item], where=(
            f"{x} < {design.backend.literal(float(rating.low))} OR {x} > {design.backend.literal(float(rating.high))}"))
        rating.check(np.repeat(off[item].to_numpy(dtype=float), off["n"].to_numpy(dtype=np.int64)),
                     f"{design.source}: {item!r}")  # the in-memory message for values off the scale
        name = f"__citizensfirst_{stat}__{item}"
        lit = design.backend.literal
        derived[name] = (f"(CASE WHEN {x} IS NULL THEN NULL WHEN {x} >= {lit(float(rating.top_threshold(2)))} "
                         "THEN 1.0 ELSE 0.0 END)" if stat == "top2" else
                         f"(({x} - {lit(float(rating.low))}) / {lit(float(rating.high - rating.low))} * 100.0)")
        names.append(name)
    work = _with_columns(design, derived) if derived else design
    base = "(" + " OR ".join(f"{work.backend.column(n)} IS NOT NULL" for n in names) + ")"
    if group is None:
        return work, CellSpec(stat, "variables", None, names, list(items), _NO_MASK, 0.95, None), items, base
    base = f"({base} AND {q(group)} IS NOT NULL)"
    present = design.backend.aggregate({"n": "COUNT(*)"}, by=[group],
                                       where=f"{domain_weight(design)} <> 0 AND {q(group)} IS NOT NULL")
    keys = table_levels(present[group])
    return work, CellSpec(stat, "groups", group, names, [*keys, TOTAL_KEY], _NO_MASK, 0.95, None), items, base


def _with_columns(design: LazyDesign, derived: dict[str, str]) -> LazyDesign:
    """The design with computed numeric columns (a view; the working design of a table)."""
    new = copy.copy(design)
    new.backend = design.backend.with_columns(derived)
    new.kinds = {**design.kinds, **dict.fromkeys(derived, "numeric")}
    new.checks = Checks(new.backend, new.columns, new.kinds)
    return new


def _block(work: LazyDesign, spec: CellSpec, base: str, column: str | None) -> Block:
    """Every row of the table for the levels of ``column`` (None: the Total), as
    :func:`~citizensfirst.tables.cells.estimate_block`."""
    q = work.backend.column
    weight = domain_weight(work)
    usable = f"{weight} <> 0" + (f" AND {q(column)} IS NOT NULL" if column else "")
    by = [column] if column else []
    levels = [TOTAL_KEY]
    if column:
        levels = table_levels(work.backend.aggregate({"n": "COUNT(*)"}, by=[column], where=usable)[column])
    block = empty_block(column, levels, len(spec.row_keys))

    def column_index(table: pd.DataFrame) -> np.ndarray:
        if not column:
            return np.zeros(len(table), dtype=np.int64)
        return pd.Index(levels).get_indexer(pd.Index(table[column]))

    design = cast("Design", work)  # the estimator methods estimate_cells calls
    rows = [spec.rows] if spec.rows is not None else []
    sums = {"n": "COUNT(*)", "w": f"SUM({weight})"}
    if spec.mode == "variables":
        sums |= {f"w{r}": f"SUM(CASE WHEN {q(name)} IS NOT NULL THEN {weight} ELSE 0.0 END)"
                 for r, name in enumerate(spec.variables)}
    cells = work.backend.aggregate(sums, by=rows + by, where=f"{usable} AND {base}")
    col = column_index(cells) if column else np.zeros(len(cells), dtype=np.int64)
    n_cols = len(levels)
    block.base_n = np.bincount(col, weights=cells["n"].to_numpy(dtype=float), minlength=n_cols)
    block.base_wn = np.bincount(col, weights=cells["w"].to_numpy(dtype=float), minlength=n_cols)
    if spec.mode == "levels":
        est = estimate_cells(design, spec, spec.variables, by)
        place(block, est, pd.Index(spec.row_keys).get_indexer(est.table["level"]), column_index(est.table))
        block.weighted_n[:] = block.base_wn[None, :]
        row = pd.Index(spec.row_keys).get_indexer(cells[spec.rows])
        block.n[:] = 0.0
        np.add.at(block.n, (row, col), cells["n"].to_numpy(dtype=float))
    elif spec.mode == "variables":
        est = estimate_cells(design, spec, spec.variables, by)
        place(block, est, pd.Index(spec.variables).get_indexer(pd.Index(est.table["variable"])),
              column_index(est.table))
        for r in range(len(spec.variables)):
            block.weighted_n[r] = np.bincount(col, weights=cells[f"w{r}"].to_numpy(dtype=float), minlength=n_cols)
    else:
        assert spec.rows is not None
        item = spec.variables[0]
        grouped = estimate_cells(design, spec, [item], [spec.rows, *by])
        place(block, grouped, pd.Index(spec.row_keys[:-1]).get_indexer(grouped.table[spec.rows]),
              column_index(grouped.table))
        answered = cast("Design", work.subset(f"{spec.rows} != None", label=f"{spec.rows} answered"))
        total = estimate_cells(answered, spec, [item], by)
        place(block, total, np.full(len(total.table), len(spec.row_keys) - 1), column_index(total.table))
        row = pd.Index(spec.row_keys[:-1]).get_indexer(pd.Index(cells[spec.rows]))
        block.weighted_n[:] = 0.0
        np.add.at(block.weighted_n, (row, col), cells["w"].to_numpy(dtype=float))
        block.weighted_n[-1] = block.weighted_n[:-1].sum(axis=0)
    return block


def _view(design: LazyDesign) -> Design:
    """What :func:`~citizensfirst.tables.build.assemble_table` reads of a design (one query for
    the sum and number of the nonzero weights of every row)."""
    weight = design.weight_sql
    answer = design.backend.aggregate({"w": f"SUM({weight})",
                                       "n": f"SUM(CASE WHEN {weight} <> 0 THEN 1 ELSE 0 END)"}).iloc[0]
    count = int(answer["n"] or 0)
    values = np.broadcast_to(np.float64(answer["w"] / count if count else 0.0), (count,))
    view = _TableView(design.codebook, design.is_replicate, design.replicate_weights, design.n_strata,
                      design.n_psu, values, tuple(design.calibrations))
    return cast("Design", view)  # assemble_table reads only the fields above
