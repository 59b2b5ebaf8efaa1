"""Published tables: the calculation (build) and the Table model with its writers (render).

>>> from citizensfirst.tables import crosstab, banner, Table, write_tables
"""

from .build import (
    ADJUSTMENTS,
    CELL_COLUMNS,
    NOT_SHOWN,
    NOT_TESTED,
    STATS,
    TEST_COLUMNS,
    adjust_pvalues,
    banner,
    crosstab,
    pairwise_t,
)
from .render import Table, TableColumn, column_letter, write_tables

__all__ = ["ADJUSTMENTS", "CELL_COLUMNS", "NOT_SHOWN", "NOT_TESTED", "STATS", "TEST_COLUMNS", "Table", "TableColumn", "adjust_pvalues", "banner", "column_letter", "crosstab", "pairwise_t", "write_tables"]
