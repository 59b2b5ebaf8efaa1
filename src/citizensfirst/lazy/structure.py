"""The sampling structure of a lazy design, from its small *cluster table*.

One query groups the rows by the design columns (strata, PSUs of every stage, fpc columns) and
counts them; the in-memory builder (:func:`~citizensfirst.design.setup.build_taylor`) turns that
table into the :class:`~citizensfirst.design.variance.TaylorStructure` whose "rows" are the
cluster table's rows (the finest sampled units). Estimators then ask for sums per finest unit and
domain, and the same variance kernel finishes them. The table has one row per finest unit:
PSUs (or SSUs of a two-stage design), so it is small; a design **without** ``psu=`` makes every
respondent its own PSU, and then the table has one row per respondent.

When no weights are given, the weights the fpc implies (population over sample size per stratum
of every stage) become a ``CASE`` expression over the strata (and first-stage PSUs of a
two-stage design).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..backends.base import Backend
from ..design.setup import as_list, build_taylor
from ..design.variance import TaylorStructure

__all__ = ["ROW_ID", "ClusterTable", "cluster_table"]

#: the row-number column of designs without PSUs (every row its own PSU)
ROW_ID = "__cf_row"


@dataclass(frozen=True)
class ClusterTable:
    """The finest sampled units of a lazy design and their Taylor structure.

    ``keys`` are the columns identifying a unit; ``frame`` has one row per unit (its position is
    the unit's row in ``taylor``) with the key columns; ``fpc_weights`` is the SQL weight the
    fpc implies (None when the design has no fpc).
    """

    keys: tuple[str, ...]
    frame: pd.DataFrame
    taylor: TaylorStructure
    fpc_weights: str | None

    def positions(self, answer: pd.DataFrame) -> np.ndarray:
        """The unit (row of :attr:`taylor`) of every row of an answer grouped by :attr:`keys`.

        Parameters
        ----------
        answer : pandas.DataFrame
            An aggregate answer holding the key columns.

        Returns
        -------
        numpy.ndarray
            Integer positions, one per answer row.
        """
        index = self.frame[list(self.keys)].assign(__unit=np.arange(len(self.frame)))
        index = index.drop_duplicates(list(self.keys))
        merged = answer[list(self.keys)].merge(index, on=list(self.keys), how="left")
        return merged["__unit"].to_numpy(dtype=np.int64)


def cluster_table(backend: Backend, strata: str | Sequence[str] | None,
                  psu: str | Sequence[str] | None, fpc: str | float | Sequence[str | float] | None,
                  nest: bool, lonely_psu: str, adjust_domain_lonely: bool) -> ClusterTable:
    """Query the cluster table and build the design's Taylor structure from it.

    The design columns must exist and hold no missing values (the lazy design checks that
    first, by SQL, with the in-memory messages).

    Parameters
    ----------
    backend : Backend
        Where the rows are (numbered by :data:`ROW_ID` when ``psu`` is None).
    strata : str or sequence of str or None
        Strata column(s).
    psu : str or sequence of str or None
        PSU column(s), one per stage (None: every row its own PSU).
    fpc : str or float or sequence of (str or float) or None
        Per stage, population sizes or sampling fractions (column or number).
    nest : bool
        PSU ids unique only within strata.
    lonely_psu : str
        Rule for strata with one PSU.
    adjust_domain_lonely : bool
        As R's ``survey.adjust.domain.lonely``.

    Returns
    -------
    ClusterTable
        The units, their structure and the fpc weights.

    Raises
    ------
    DesignError
        As the in-memory design (fpc varying within a stratum, PSUs not nested, ...).
    """
    strata_cols, psu_cols = as_list(strata), [c for c in as_list(psu) if c not in ("1", 1)]
    specs = [] if fpc is None else ([fpc] if isinstance(fpc, str | int | float) else list(fpc))
    keys = strata_cols + (psu_cols or [ROW_ID])
    group = list(dict.fromkeys(keys + [f for f in specs if isinstance(f, str)]))
    frame = backend.aggregate({"__cf_n": "COUNT(*)"}, by=group)
    taylor, weights = build_taylor(frame, backend.source, strata_cols or None, psu_cols or None,
                                   fpc, nest, lonely_psu, adjust_domain_lonely)
    fpc_sql = None
    if weights is not None:
        fpc_sql = _case(backend, frame, strata_cols + psu_cols[:-1], weights)
    return ClusterTable(tuple(dict.fromkeys(keys)), frame, taylor, fpc_sql)


def _case(backend: Backend, frame: pd.DataFrame, keys: list[str], values: np.ndarray) -> str:
    """``CASE WHEN keys = ... THEN value ... END``: a per-unit value that depends on ``keys`` only."""
    table = frame[keys].assign(__value=values).drop_duplicates()
    if not keys or len(table) == 1:
        return backend.literal(float(table["__value"].iloc[0]))
    branches = []
    for row in table.itertuples(index=False):  # one branch per stratum, not per respondent
        test = " AND ".join(f"{backend.column(k)} = {backend.literal(v)}" for k, v in zip(keys, row[:-1],
                                                                                           strict=True))
        branches.append(f"WHEN {test} THEN {backend.literal(float(row[-1]))}")
    return "(CASE " + " ".join(branches) + " END)"
