"""Published tables: the calculation (build), column-test letters (letters), the Table model
with its writers (render), its notes (notes) and its publication HTML (publish).

>>> from citizensfirst.tables import crosstab, banner, Table, write_tables, tables_html
"""

from .build import CELL_COLUMNS, STATS, banner, crosstab
from .letters import ADJUSTMENTS, NOT_TESTED, TEST_COLUMNS, adjust_pvalues, pairwise_t
from .publish import MAX_COLUMNS, tables_html
from .render import NOT_SHOWN, Table, TableColumn, column_letter, write_tables

__all__ = ["ADJUSTMENTS", "CELL_COLUMNS", "MAX_COLUMNS", "NOT_SHOWN", "NOT_TESTED", "STATS", "TEST_COLUMNS",
           "Table", "TableColumn", "adjust_pvalues", "banner", "column_letter", "crosstab", "pairwise_t",
           "tables_html", "write_tables"]
