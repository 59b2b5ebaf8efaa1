"""Published tables: the calculation (build), column-test letters (letters), the Table model
with its writers (render), its notes (notes) and its publication HTML (publish).

The names below load on first access (PEP 562): a design imports this package for its
``crosstab`` and ``banner`` methods, and pays for the table code (and the codebook, for
multiple-response rows) only when it tabulates.

>>> from citizensfirst.tables import crosstab, banner, Table, write_tables, tables_html
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import CELL_COLUMNS, STATS, banner, crosstab
    from .letters import ADJUSTMENTS, NOT_TESTED, TEST_COLUMNS, adjust_pvalues, pairwise_t
    from .publish import MAX_COLUMNS, tables_html
    from .render import NOT_SHOWN, Table, TableColumn, column_letter, write_tables

# public name -> the submodule that defines it
_WHERE = {"CELL_COLUMNS": "build", "STATS": "build", "banner": "build", "crosstab": "build",
          "ADJUSTMENTS": "letters", "NOT_TESTED": "letters", "TEST_COLUMNS": "letters",
          "adjust_pvalues": "letters", "pairwise_t": "letters", "MAX_COLUMNS": "publish",
          "tables_html": "publish", "NOT_SHOWN": "render", "Table": "render", "TableColumn": "render",
          "column_letter": "render", "write_tables": "render"}

__all__ = ["ADJUSTMENTS", "CELL_COLUMNS", "MAX_COLUMNS", "NOT_SHOWN", "NOT_TESTED", "STATS", "TEST_COLUMNS",
           "Table", "TableColumn", "adjust_pvalues", "banner", "column_letter", "crosstab", "pairwise_t",
           "tables_html", "write_tables"]


def __getattr__(name: str) -> Any:
    """Import a public name of the package on first access.

    Parameters
    ----------
    name : str
        The attribute asked for, such as ``"crosstab"``.

    Returns
    -------
    Any
        The object of that name in its submodule.
    """
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the package's names, the lazily loaded public ones included.

    Returns
    -------
    list of str
        The sorted names.
    """
    return sorted(set(globals()) | set(__all__))
