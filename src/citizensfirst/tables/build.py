"""Publication tables: cross-tabulations and banners with design-based column tests.

:func:`crosstab` puts the levels of one variable (or several rating items) in the rows and the
categories of a column variable side by side, with a Total column; :func:`banner` does the same
for several column variables at once. Cells hold column percentages (``stat="percent"``), means
(``"mean"``), top-2-box shares (``"top2"``) or 0-100 scores (``"score"``), each estimated with the
design (so standard errors, CIs and quality flags are the ones :mod:`citizensfirst.estimators`
gives). Within every row, each pair of columns of a column variable is compared with a
design-based t test, ``(e_a - e_b) / sqrt(v_a + v_b - 2 cov_ab)`` on the design degrees of
freedom, using the full covariance matrix of the estimates; a cell carries the letter of every
column it is significantly higher than (optionally after a Holm or Benjamini-Hochberg
adjustment over the pairs of the row). A comparison whose difference has no variance (its
standard error is at most ``1e-12`` times the larger estimate, or 1) is not a test: it is never
significant, its p-value is 1 and a difference within that tolerance is reported as 0, so
rounding noise in two equal estimates never makes a letter.

Disclosure control follows :mod:`citizensfirst.quality`: a cell to which fewer than 10
respondents contribute (for a percentage: those in the row level and the column category) is
suppressed (``x``, primary), and further cells are suppressed (``x``, complementary) until no
suppressed value can be derived from the published ones through the table's totals; estimates
with a CV of 35% or more are not published (``F``). None of these takes part in the tests, and
no export carries their numbers: the public ``cells`` hold NaN for them, and their values exist
only in ``confidential_cells``, which nothing exports. ``E`` (CV 25-35%) is shown directly after
the number.

A :class:`Table` keeps the numbers (``cells``), the formatted grid (``to_frame()``), the pairwise
tests (``tests``), a title and notes, and exports to Excel, CSV, HTML and Markdown; every export
prints the same rounded numbers (the ``value`` column of ``cells``). Text written to CSV and
Excel goes through :func:`citizensfirst.sanitize.neutralize`, so a label never becomes a formula.

>>> import numpy as np, pandas as pd
>>> from citizensfirst import Design
>>> rng = np.random.default_rng(1)
>>> df = pd.DataFrame({"sat": rng.integers(1, 6, 400).astype(float),
...                    "grp": np.repeat(["a", "b"], 200)})
>>> df.loc[df.grp == "b", "sat"] = np.minimum(df.loc[df.grp == "b", "sat"] + 1, 5)
>>> t = crosstab(Design(df), "sat", "grp", stat="mean")
>>> [c.header for c in t.columns]
['Total', 'a (A)', 'b (B)']
>>> t.to_frame().loc["sat"].tolist()
['3.5', '3.1', '3.8 A']
>>> t.tests[["letter_a", "letter_b", "significant"]].values.tolist()
[['A', 'B', True]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import check_columns
from ..errors import DataError
from ..estimation.quality import (
    COMPLEMENTARY,
    DEFAULT_RULES,
    PRIMARY,
    SUPPRESSED,
    QualityRules,
    complementary_suppression,
)
from ..i18n import check_language, text
from ..io.codes import normalize_code
from .cells import Block, CellSpec, estimate_block, prepare_cells
from .letters import ADJUSTMENTS, TEST_COLUMNS, letters_for, relations
from .multiresponse import multiple_response_rows
from .notes import population_scaled, strip_code_hint, table_notes
from .render import NOT_SHOWN, Table, TableColumn, column_letter

if TYPE_CHECKING:
    from ..design.facade import Design


STATS = ("percent", "mean", "top2", "score")










CELL_COLUMNS = [
    "row_level", "row_label", "column_variable", "column_level", "column_label", "column_letter",
    "estimate", "se", "ci_low", "ci_high", "n", "weighted_n", "flag", "suppression", "letters", "value",
]


_CONFIDENTIAL = ["estimate", "se", "ci_low", "ci_high", "n", "weighted_n", "value"]










def _value_label(design: Design, variable: str, level: Any, language: str) -> str:
    codebook = design.codebook
    if codebook is not None and not isinstance(level, str):
        labels = codebook.get_variable(variable).value_labels_in(language)
        key = normalize_code(level)
        if key in labels:
            return labels[key]
    elif codebook is not None:
        labels = codebook.get_variable(variable).value_labels_in(language)
        if level in labels:
            return labels[level]
    return _plain(level)


def _plain(level: Any) -> str:
    if isinstance(level, float | np.floating) and float(level).is_integer():
        return str(int(level))
    return str(level)


def _variable_label(design: Design, variable: str, language: str) -> str:
    codebook = design.codebook
    if codebook is None:
        return variable
    return strip_code_hint(codebook.get_variable(variable).label_in(language))


def banner(
    design: Design,
    rows: str | Sequence[str],
    cols: Sequence[str],
    stat: str = "percent",
    *,
    value: str | None = None,
    language: str = "en",
    alpha: float = 0.05,
    adjust: str = "none",
    rules: QualityRules | None = None,
    decimals: int = 1,
    scale: tuple[float, float] | None = None,
    level: float = 0.95,
    title: str | None = None,
) -> Table:
    """A banner table: a Total column, then the categories of each of ``cols`` side by side.

    Rows are the levels of ``rows`` (``stat="percent"``: column percentages), or, for ``mean``,
    ``top2`` and ``score``, either the levels of the grouping variable ``rows`` with ``value``
    the rated item (plus a Total row), or, with ``value=None``, one row per item in ``rows``.
    ``top2`` is the share answering one of the two highest points of the item's scale and
    ``score`` the mean rescaled to 0-100, both using the codebook scale (or ``scale=``).
    Column letters run on across the banner (A, B, ... then the next variable continues);
    tests compare columns of the same variable only, and ``adjust`` (``none``, ``holm`` or
    ``bh``) applies over the pairs of one variable within one row. The Total column has no
    letter and is not tested. ``level`` is the CI level of the estimates in ``cells``.

    Parameters
    ----------
    design : Design
        The survey design.
    rows : str or sequence of str
        The row variable, or (with ``value=None`` and ``mean``, ``top2`` or ``score``) the items.
    cols : sequence of str
        The column variables, side by side after the Total column.
    stat : str, default "percent"
        ``"percent"``, ``"mean"``, ``"top2"`` or ``"score"``.
    value : str or None, optional
        The rated item when ``rows`` is a grouping variable.
    language : str, default "en"
        Language of labels and notes (``"en"`` or ``"fr"``).
    alpha : float, default 0.05
        Significance level of the column tests.
    adjust : str, default "none"
        Multiple-comparison adjustment: ``"none"``, ``"holm"`` or ``"bh"``.
    rules : QualityRules or None, optional
        Quality and suppression rules; None uses the defaults.
    decimals : int, default 1
        Decimals of the displayed estimates.
    scale : tuple of (float, float) or None, optional
        The (lowest, highest) scale points, overriding the codebook.
    level : float, default 0.95
        Confidence level of the intervals in ``cells``.
    title : str or None, optional
        The table title; None builds one from the variables and statistic.

    Returns
    -------
    Table
        The table.

    Raises
    ------
    DataError
        When an option is invalid or a variable is missing or used twice.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"ch": ["web", "phone"] * 20, "age": ["y"] * 20 + ["o"] * 20,
    ...                    "sex": ["m", "w", "w", "m"] * 10})
    >>> t = banner(Design(df), "ch", ["age", "sex"])
    >>> [c.header for c in t.columns]
    ['Total', 'o (A)', 'y (B)', 'm (C)', 'w (D)']
    >>> t.to_frame().loc["web"].tolist()
    ['50.0', '50.0', '50.0', '50.0', '50.0']
    """
    columns_vars = table_options(rows, cols, stat, value, language, alpha, adjust)
    check_columns(design.frame, columns_vars, "column", design.source)
    mr = multiple_response_rows(design, rows, stat, value)  # a multiple-response set: options as rows
    design, (work, spec, items) = (mr.design, mr.cells) if mr else (design, prepare_cells(
        design, rows, stat, value, scale))
    title = mr.title(language, columns_vars) if mr and title is None else title
    spec.level = level
    spec.rules = rules
    df = float(design.degrees_of_freedom())
    blocks = [estimate_block(work, spec, None)] + [estimate_block(work, spec, c) for c in columns_vars]
    return assemble_table(design, spec, items, blocks, stat, df=df, language=language, alpha=alpha,
                          adjust=adjust, rules=rules, decimals=decimals, level=level, title=title,
                          extra_notes=mr.notes(language) if mr else ())


def table_options(rows: str | Sequence[str], cols: Sequence[str], stat: str, value: str | None,
                  language: str, alpha: float, adjust: str) -> list[str]:
    """Check a table's options (the checks every design kind shares); the column variables.

    Parameters
    ----------
    rows : str or sequence of str
        The table's ``rows=``.
    cols : sequence of str
        The column variables.
    stat : str
        The statistic.
    value : str or None
        The rated item.
    language : str
        ``"en"`` or ``"fr"``.
    alpha : float
        Significance level.
    adjust : str
        Multiple-comparison adjustment.

    Returns
    -------
    list of str
        The column variables.

    Raises
    ------
    DataError
        When an option is invalid or a variable is used twice.
    """
    check_language(language)
    if stat not in STATS:
        raise DataError(f"stat must be one of {STATS}, got {stat!r}")
    if adjust not in ADJUSTMENTS:
        raise DataError(f"adjust must be one of {ADJUSTMENTS}, got {adjust!r}")
    if not 0 < alpha < 1:
        raise DataError(f"alpha must lie in (0, 1), got {alpha}")
    columns_vars = list(cols)
    if len(set(columns_vars)) != len(columns_vars):
        raise DataError(f"column variables repeat: {columns_vars}")
    row_vars = [rows] if isinstance(rows, str) else list(rows)
    clash = [c for c in columns_vars if c in row_vars or c == value]
    if clash:
        raise DataError(f"{clash} cannot be both a row and a column variable")
    return columns_vars


def assemble_table(design: Design, spec: CellSpec, items: list[str], blocks: list[Block], stat: str, *,
                   df: float, language: str, alpha: float, adjust: str, rules: QualityRules | None,
                   decimals: int, level: float, title: str | None, extra_notes: Sequence[str] = ()) -> Table:
    """The table from its estimated blocks: labels, suppression, letters, cells, title and notes.

    Parameters
    ----------
    design : Design
        The design (its codebook labels the table; its weights and structure word the notes).
    spec : CellSpec
        The row specification.
    items : list of str
        The rated items (rows of a table of items).
    blocks : list of Block
        The Total block, then one per column variable.
    stat : str
        The statistic.
    df : float
        Degrees of freedom of the column tests.
    language : str
        ``"en"`` or ``"fr"``.
    alpha : float
        Significance level.
    adjust : str
        Multiple-comparison adjustment.
    rules : QualityRules or None
        Quality and suppression rules.
    decimals : int
        Decimals of the displayed estimates.
    level : float
        Confidence level of the intervals.
    title : str or None
        The title; None builds one.
    extra_notes : sequence of str, optional
        Notes added after the table's own (a multiple-response set's).

    Returns
    -------
    Table
        The table.
    """
    columns_vars = [b.variable for b in blocks[1:] if b.variable is not None]
    # labels
    if spec.mode == "levels":
        assert spec.rows is not None
        row_labels = [_value_label(design, spec.rows, k, language) for k in spec.row_keys]
        row_header = _variable_label(design, spec.rows, language)
        row_levels = list(spec.row_keys)
    elif spec.mode == "groups":
        assert spec.rows is not None
        row_labels = [_value_label(design, spec.rows, k, language) for k in spec.row_keys[:-1]]
        row_labels.append(text("total", language))
        row_header = _variable_label(design, spec.rows, language)
        row_levels = [*spec.row_keys[:-1], None]
    else:
        row_labels = [_variable_label(design, item, language) for item in items]
        row_header = ""
        row_levels = list(items)
    columns: list[TableColumn] = [TableColumn(None, None, text("total", language), text("total", language))]
    letters_by_block: list[list[str]] = [[""]]
    counter = 0
    for block in blocks[1:]:
        assert block.variable is not None
        group = _variable_label(design, block.variable, language)
        block_letters = []
        for lv in block.levels:
            letter = column_letter(counter)
            counter += 1
            block_letters.append(letter)
            columns.append(TableColumn(block.variable, lv, _value_label(design, block.variable, lv, language),
                                       group, letter))
        letters_by_block.append(block_letters)

    def stack(name: str) -> np.ndarray:
        """Join one array attribute of every block side by side.

        Parameters
        ----------
        name : str
            The block attribute (e.g. ``"estimate"``).

        Returns
        -------
        numpy.ndarray
            The blocks' arrays concatenated along the columns.
        """
        return np.concatenate([getattr(b, name) for b in blocks], axis=1)

    # disclosure control: primary suppression on the respondents of each cell, then
    # complementary suppression until no primary cell can be derived from the published ones
    rules_used = rules or DEFAULT_RULES
    estimate, count = stack("estimate"), stack("n")
    flags = rules_used.flags(count, stack("cv"))
    primary = flags == SUPPRESSED
    widths = [len(b.levels) for b in blocks]
    complement = complementary_suppression(
        primary.ravel(), ((flags == "F") | ~np.isfinite(estimate)).ravel(),
        relations(spec.mode, widths, stack("weighted_n")), count.ravel()).reshape(flags.shape)
    flags = np.where(complement, SUPPRESSED, flags)

    # letters and tests, between published cells only
    marks, tests = [], []
    bounds = np.cumsum([0, *widths])
    for block, block_letters, start, stop in zip(blocks, letters_by_block, bounds[:-1], bounds[1:],
                                                 strict=True):
        m, t = letters_for(block, flags[:, start:stop], block_letters, df, alpha, adjust, row_levels)
        marks.append(m)
        tests += t
    factor = 100.0 if stat in ("percent", "top2") else 1.0

    shown = ~np.isin(flags, NOT_SHOWN) & np.isfinite(estimate)
    n_rows, n_cols = estimate.shape
    confidential = pd.DataFrame({
        "row_level": np.repeat(np.array(row_levels, dtype=object), n_cols),
        "row_label": np.repeat(np.array(row_labels, dtype=object), n_cols),
        "column_variable": np.tile(np.array([c.variable for c in columns], dtype=object), n_rows),
        "column_level": np.tile(np.array([c.level for c in columns], dtype=object), n_rows),
        "column_label": np.tile(np.array([c.label for c in columns], dtype=object), n_rows),
        "column_letter": np.tile(np.array([c.letter for c in columns], dtype=object), n_rows),
        "estimate": estimate.ravel(),
        "se": stack("se").ravel(),
        "ci_low": stack("ci_low").ravel(),
        "ci_high": stack("ci_high").ravel(),
        "n": count.ravel().astype(int),
        "weighted_n": stack("weighted_n").ravel(),
        "flag": flags.ravel(),
        "suppression": np.select([primary.ravel(), complement.ravel()], [PRIMARY, COMPLEMENTARY], ""),
        "letters": np.concatenate(marks, axis=1).ravel(),
        "value": np.round(estimate * factor, decimals).ravel(),
    })[CELL_COLUMNS]
    cells = confidential.copy()
    cells["n"] = cells["n"].astype("Int64")
    cells.loc[~shown.ravel(), _CONFIDENTIAL] = np.nan
    cells["letters"] = np.where(shown.ravel(), cells["letters"], "")
    bases = pd.DataFrame({
        "column_variable": [c.variable for c in columns],
        "column_level": [c.level for c in columns],
        "n": np.concatenate([b.base_n for b in blocks]).astype(int),
        "weighted_n": np.round(np.concatenate([b.base_wn for b in blocks]), 0),
    })
    tests_frame = pd.DataFrame(tests, columns=TEST_COLUMNS)

    # title and notes
    if title is None:
        stat_text = text(f"table_{stat}", language)
        dims = [_variable_label(design, c, language) for c in columns_vars]
        if spec.mode == "groups":
            dims = [row_header, *dims]
        subject = row_header if spec.mode == "levels" else (
            _variable_label(design, items[0], language) if spec.mode == "groups" else "")
        title = (f"{subject} — " if subject else "") + stat_text[0].upper() + stat_text[1:]
        if dims:
            joined = f" {text('table_and', language)} ".join(dims) if len(dims) < 3 else (
                ", ".join(dims[:-1]) + f" {text('table_and', language)} " + dims[-1])
            title += f", {text('table_by', language)} {joined}"
    notes, legend = table_notes(design, rules_used, language, tested=bool(columns_vars), alpha=alpha,
                                adjust=adjust, df=df)
    notes = (*notes, *extra_notes)
    return Table(
        title=title, cells=cells, bases=bases, tests=tests_frame, columns=tuple(columns),
        row_labels=tuple(row_labels), row_header=row_header, notes=notes, legend=legend,
        population_scaled=population_scaled(design),
        confidential_cells=confidential, language=language,
        stat=stat, decimals=decimals,
        extra={"alpha": alpha, "adjust": adjust, "df": df, "level": level},
    )


def crosstab(
    design: Design,
    rows: str | Sequence[str],
    cols: str | None = None,
    stat: str = "percent",
    *,
    value: str | None = None,
    language: str = "en",
    alpha: float = 0.05,
    adjust: str = "none",
    rules: QualityRules | None = None,
    decimals: int = 1,
    scale: tuple[float, float] | None = None,
    level: float = 0.95,
    title: str | None = None,
) -> Table:
    """A cross-tabulation of ``rows`` by the categories of ``cols`` (with a Total column).

    See :func:`banner` for the statistics, tests and options; ``cols=None`` gives the Total
    column alone.

    Parameters
    ----------
    design : Design
        The survey design.
    rows : str or sequence of str
        The row variable, or (with ``value=None`` and ``mean``, ``top2`` or ``score``) the items.
    cols : str or None, optional
        The column variable; None gives the Total column alone.
    stat : str, default "percent"
        ``"percent"``, ``"mean"``, ``"top2"`` or ``"score"``.
    value : str or None, optional
        The rated item when ``rows`` is a grouping variable.
    language : str, default "en"
        Language of labels and notes (``"en"`` or ``"fr"``).
    alpha : float, default 0.05
        Significance level of the column tests.
    adjust : str, default "none"
        Multiple-comparison adjustment: ``"none"``, ``"holm"`` or ``"bh"``.
    rules : QualityRules or None, optional
        Quality and suppression rules; None uses the defaults.
    decimals : int, default 1
        Decimals of the displayed estimates.
    scale : tuple of (float, float) or None, optional
        The (lowest, highest) scale points, overriding the codebook.
    level : float, default 0.95
        Confidence level of the intervals in ``cells``.
    title : str or None, optional
        The table title; None builds one from the variables and statistic.

    Returns
    -------
    Table
        The table.

    Raises
    ------
    DataError
        When an option is invalid or a variable is missing or used twice.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"ch": ["web", "phone", "web", "web"] * 50,
    ...                    "g": ["a"] * 100 + ["b"] * 100})
    >>> t = crosstab(Design(df), "ch", "g", language="fr")
    >>> t.to_frame().loc[["phone", "web", "Base non pondérée"]].values.tolist()
    [['25,0', '25,0', '25,0'], ['75,0', '75,0', '75,0'], ['200', '100', '100']]
    """
    return banner(design, rows, [] if cols is None else [cols], stat, value=value, language=language,
                  alpha=alpha, adjust=adjust, rules=rules, decimals=decimals, scale=scale,
                  level=level, title=title)
