"""``scan_survey``: a lazy design over a Parquet or CSV file (or a folder or glob of them).

The rows stay in the file; DuckDB (embedded) answers the aggregation queries. This module sits
above the facade (it hands :class:`~citizensfirst.Design` to the lazy design for ``collect()``),
so the lazy modules never import the facade.

>>> import pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
>>> pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]}).to_parquet(path)
>>> design = scan_survey(path, weights="w")
>>> design.n, round(design.mean("y").estimate, 4)
(4, 2.8333)
>>> small = scan_survey(path, weights="w", duckdb_config={"threads": 1, "memory_limit": "500MB"})
>>> small.backend.connection.execute("SELECT current_setting('threads')").fetchone()
(1,)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .backends.duckdb import DuckDBBackend, connect, scan_relation
from .design.facade import Design
from .errors import DataError, DesignError
from .lazy.design import LazyDesign

__all__ = ["scan_survey"]


def scan_survey(path: str | Path, *, codebook: Any = None, connection: Any = None,
                duckdb_config: Mapping[str, Any] | None = None, **design_args: Any) -> LazyDesign:
    """A lazy design over a Parquet or CSV file, a folder of them, or a glob pattern.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.parquet`` or ``.csv`` file, a folder of them, or a pattern such as ``waves/*.parquet``.
    codebook : Codebook, optional
        Labels for the results; its missing codes (``8 = "Don't know"``, ranges) read as missing,
        as :func:`~citizensfirst.read_survey` reads them.
    connection : duckdb.DuckDBPyConnection, optional
        The DuckDB connection that runs every query, configured as you need (``memory_limit``,
        ``threads``, ``temp_directory``). Default: a new in-memory connection.
    duckdb_config : mapping, optional
        Settings for that new connection instead (``{"memory_limit": "2GB", "threads": 2}``);
        not with ``connection``.
    **design_args
        The :class:`~citizensfirst.Design` arguments (weights, strata, psu, fpc, replicate
        weights, ...).

    Returns
    -------
    LazyDesign
        The design; rows come into memory only through its ``collect()``.

    Raises
    ------
    DataError
        If the path does not exist, matches no file, or a file cannot be read (corrupt), naming it;
        or the design arguments do not fit the data (as :class:`~citizensfirst.Design`).
    DesignError
        If the design arguments contradict each other, or both ``connection`` and
        ``duckdb_config`` are given.
    """
    if connection is not None and duckdb_config is not None:
        raise DesignError("give connection= (a configured DuckDB connection) or duckdb_config= "
                          "(settings for a new one), not both")
    relation, source = scan_relation(path)
    backend = DuckDBBackend(connection if connection is not None else connect(duckdb_config), relation, source)
    try:
        backend.columns()
    except DataError as err:
        kind = "CSV" if source.lower().endswith(".csv") else "Parquet"
        raise DataError(f"{source}: cannot be read as {kind}; is the file complete and not corrupt? "
                        f"({str(err).split(': ', 1)[-1]})") from None
    return LazyDesign(backend, in_memory=Design, codebook=codebook, **design_args)
