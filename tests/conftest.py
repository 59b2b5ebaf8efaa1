"""Shared test helpers: where the R-computed reference cases live."""

from __future__ import annotations

import json
import os
import sys
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


@pytest.fixture(scope="session")
def spark():
    """One small local Spark session for the whole test run (the Spark backend's tests).

    local[2] (the CI machine has 2 cores), 4 shuffle partitions, no UI or progress bar, 1 GB of
    driver memory, a fast-starting JVM, Arrow for pandas -> Spark (which also reads pandas' NaN as
    NULL), log level ERROR.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession  # a JVM starts: only the tests that ask for it pay

    session = (SparkSession.builder.master("local[2]").appName("citizensfirst-tests")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.memory", "1g")
               # a short-lived JVM: the quick compiler only and the serial collector start 2-3x faster
               .config("spark.driver.extraJavaOptions", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
