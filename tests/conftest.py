"""Shared test helpers: where the R-computed reference cases live."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
LOCAL_REFERENCE = REPO / "tests" / "reference"


def shared_reference() -> Path:
    """../shared/reference beside the repo (override with CITIZENSFIRST_REFERENCE)."""
    override = os.environ.get("CITIZENSFIRST_REFERENCE")
    path = Path(override) if override else REPO.parent / "shared" / "reference"
    if not path.is_dir():
        pytest.fail(f"reference folder {path} not found; set CITIZENSFIRST_REFERENCE")
    return path


@cache
def golden(name: str, local: bool = False) -> dict:
    """A golden JSON file from shared/reference/golden (or tests/reference/golden)."""
    base = LOCAL_REFERENCE if local else shared_reference()
    return json.loads((base / "golden" / name).read_text())


@cache
def reference_data(relative: str, local: bool = False) -> pd.DataFrame:
    """A reference CSV (e.g. 'data/apistrat.csv'), empty fields read as missing."""
    base = LOCAL_REFERENCE if local else shared_reference()
    return pd.read_csv(base / relative)
