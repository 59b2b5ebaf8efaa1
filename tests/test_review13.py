"""Review of issue 13 as a new user running scheduled jobs: hostile inputs the first pass let through.

Each test feeds one input a user can plausibly write and checks it is refused with a message naming
the file, the key (or column and line) and the value, or that a starter file works as promised.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from citizensfirst.cli import main
from citizensfirst.errors import DataError
from citizensfirst.weighting.statcan import from_statcan
from citizensfirst.weighting.targetdata import data_path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = Path(str(data_path("17100005_adults_2025.csv")))
APISTRAT = ROOT / "examples" / "data" / "apistrat.csv"


def _statcan(tmp_path: Path, **cells: str) -> Path:
    """The shipped 17-10-0005-01 subset with its Canada / Total - gender / 18 years row changed."""
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    row = (frame["GEO"] == "Canada") & (frame["Gender"] == "Total - gender") & (frame["Age group"] == "18 years")
    for column, value in cells.items():
        frame.loc[row, column] = value
    path = tmp_path / "17100005.csv"
    path.write_bytes(("\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")).encode("utf-8"))
    return path


def _adults_18_34(path: Path) -> float:
    return from_statcan(path, {"a": ("Age group", {1: (18, 34)})})["a"][1]


def test_statcan_unknown_symbol_is_refused_naming_line_column_and_value(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"17100005.csv: line \d+, column SYMBOL has the unknown symbol 'Z'"):
        _adults_18_34(_statcan(tmp_path, SYMBOL="Z"))


def test_statcan_scalar_id_disagreeing_with_scalar_factor_is_refused(tmp_path: Path) -> None:
    # thousands with SCALAR_ID 0 would silently multiply the row by 1,000 (or not): the file is inconsistent
    path = _statcan(tmp_path, SCALAR_FACTOR="thousands", SCALAR_ID="0")
    with pytest.raises(DataError, match=r"line \d+, column SCALAR_ID = '0' disagrees with SCALAR_FACTOR = 'thousands'"):
        _adults_18_34(path)
