"""A lazy design given a codebook reads its missing codes as missing, as ``read_survey`` does.

The in-memory twin takes the path a user takes: the survey written to ``.sav`` (8 "Don't know"
and the range 9-99 declared user-missing) and read back with ``read_survey``, then
``cf.Design``. The lazy design scans a Parquet file of the raw codes with the same codebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.backends.spark import design_from_spark
from citizensfirst.errors import DataError
from citizensfirst.io.codebook import Codebook, Variable
from test_lazy_golden import same
from test_lazy_tables import same_table

DESIGN = dict(weights="w", strata="stratum", psu="psu")
CODEBOOK = Codebook([
    Variable("q", label="Overall", value_labels={1: "Poor", 2: "Fair", 3: "Good", 4: "Very good",
                                                 5: "Excellent"},
             missing={8: "Don't know"}, missing_ranges=[(9, 99)]),
    Variable("channel", missing={"DK": "Don't know"}),
    Variable("region", value_labels={1: "East", 2: "West"}),
])


def _raw() -> pd.DataFrame:
    """60 respondents in 2 strata x 3 PSUs; the rating holds 8, 9 and 98 on some rows."""
    rng = np.random.default_rng(14)
    n = 60
    q = rng.integers(1, 6, n).astype(float)
    q[[2, 7, 11, 30, 41]] = 8
    q[[5, 19, 50]] = 9
    q[[23, 44]] = 98
    channel = rng.choice(["web", "phone", "DK"], n)
    return pd.DataFrame({"q": q, "channel": channel, "region": rng.integers(1, 3, n).astype(float),
                         "stratum": np.repeat([1, 2], n // 2), "psu": np.repeat(np.arange(6), n // 6),
                         "w": rng.uniform(1, 3, n)})


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, cf.Design, pd.DataFrame]:
    """(lazy over the raw codes with the codebook, in memory through .sav, the raw frame)."""
    folder = tmp_path_factory.mktemp("codebook")
    raw = _raw()
    cf.write_survey(cf.Survey(raw, CODEBOOK), folder / "survey.sav")
    memory = cf.Design(cf.read_survey(folder / "survey.sav"), **DESIGN)
    raw.to_parquet(folder / "raw.parquet")
    return cf.scan_survey(folder / "raw.parquet", codebook=CODEBOOK, **DESIGN), memory, raw


def test_memory_reads_the_codes_as_missing(twins: tuple) -> None:
    _, memory, raw = twins
    assert memory.frame["q"].isna().sum() == raw["q"].isin([8, 9, 98]).sum() == 10


def test_mean_equals_memory(twins: tuple) -> None:
    lazy, memory, raw = twins
    same(lazy.mean("q"), memory.mean("q"))
    same(lazy.mean("q", by="region"), memory.mean("q", by="region"))
    assert lazy.mean("q").estimate < 5  # with 8, 9 and 98 counted it would exceed 5
    assert lazy.mean("q").n == (~raw["q"].isin([8, 9, 98])).sum()


def test_proportion_levels_exclude_the_codes(twins: tuple) -> None:
    lazy, memory, _ = twins
    for variable in ("q", "channel"):
        ours = lazy.proportion(variable)
        same(ours, memory.proportion(variable))
        levels = set(ours.to_frame(labels=False)["level"])
        assert not levels & {8, 9, 98, "8", "9", "98", "DK"}, levels


def test_quantile_and_crosstab_equal_memory(twins: tuple) -> None:
    lazy, memory, _ = twins
    same(lazy.quantile("q", [0.25, 0.5, 0.9]), memory.quantile("q", [0.25, 0.5, 0.9]))
    same_table(lazy.crosstab("q", "region"), memory.crosstab("q", "region"))
    same_table(lazy.crosstab("channel", "region", "mean", value="q"),
               memory.crosstab("channel", "region", "mean", value="q"))


def test_collect_keeps_the_codes_missing(twins: tuple) -> None:
    lazy, memory, _ = twins
    collected = lazy.collect()
    pd.testing.assert_series_equal(collected.frame["q"], memory.frame["q"], check_dtype=False)
    same(collected.mean("q"), memory.mean("q"))


def test_a_missing_code_in_a_design_column_is_missing_as_in_memory(tmp_path: Path) -> None:
    raw = _raw().assign(w=lambda f: f["w"].where(f.index != 3, 99.0))
    codebook = CODEBOOK.with_variable(Variable("w", missing={99: "Unknown"}))
    with pytest.raises(DataError, match="w"):
        cf.Design(cf.Survey(raw, codebook), **DESIGN)
    raw.to_parquet(tmp_path / "raw.parquet")
    with pytest.raises(DataError, match="w"):
        cf.scan_survey(tmp_path / "raw.parquet", codebook=codebook, **DESIGN)


def test_spark_mean_equals_memory(twins: tuple, spark: Any) -> None:
    _, memory, raw = twins
    lazy = design_from_spark(spark, spark.createDataFrame(raw), codebook=CODEBOOK, **DESIGN)
    same(lazy.mean("q", by="region"), memory.mean("q", by="region"))
    same(lazy.proportion("channel"), memory.proportion("channel"))
