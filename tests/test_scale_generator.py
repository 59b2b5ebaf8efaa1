"""The ACS-like scale-benchmark generator (benchmarks/scale/generate.py): size, schema, chunking,
replicate weights as designed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pyarrow.parquet as pq
import pytest

ROWS = 50_000
GENERATOR = Path(__file__).resolve().parents[1] / "benchmarks" / "scale" / "generate.py"


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scale_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small_blocks(gen: ModuleType) -> Iterator[ModuleType]:
    """Random blocks of 8,192 rows, so that 50,000 rows cross several block boundaries."""
    saved = gen.BLOCK_ROWS
    gen.BLOCK_ROWS = 8_192
    yield gen
    gen.BLOCK_ROWS = saved


@pytest.fixture(scope="module")
def chunked(small_blocks: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scale") / "chunked.parquet"
    assert small_blocks.main(["--rows", str(ROWS), "--out", str(out), "--seed", "7",
                              "--chunk-rows", "3001"]) == 0
    return out


def test_rows_row_groups_and_schema(gen: ModuleType, chunked: Path) -> None:
    meta = pq.ParquetFile(chunked).metadata
    assert meta.num_rows == ROWS
    assert meta.num_row_groups == -(-ROWS // 3001)  # one row group per chunk
    assert meta.row_group(0).num_rows == 3001
    schema = pq.read_schema(chunked)
    assert schema.remove_metadata().equals(gen.schema())
    assert schema.names[7:87] == [f"PWGTP{r}" for r in range(1, 81)]
    assert len(schema.names) == 4 + 2 + 1 + 80 + 10  # margins + strata/psu + weight + reps + vars
    assert schema.metadata[b"rows"] == b"50000"
    assert not Path(str(chunked) + ".partial").exists()


def test_chunk_size_does_not_change_the_data(small_blocks: ModuleType, chunked: Path,
                                             tmp_path: Path) -> None:
    one = tmp_path / "one.parquet"
    other = tmp_path / "other.parquet"
    small_blocks.write(ROWS, one, seed=7, chunk_rows=ROWS)
    small_blocks.write(ROWS, other, seed=8, chunk_rows=ROWS)
    reference = pq.read_table(chunked)
    assert pq.read_table(one).equals(reference)
    assert not pq.read_table(other).equals(reference)  # the seed does matter


def test_replicate_weights_sum_as_designed(gen: ModuleType, chunked: Path) -> None:
    df = pq.read_table(chunked).to_pandas()
    w = df["PWGTP"].to_numpy(dtype=np.int64)
    reps = df[[f"PWGTP{r}" for r in range(1, 81)]].to_numpy(dtype=np.int64)
    assert w.min() >= 1
    # successive differences: per row 40 replicates equal the base weight, 20 are w + d, 20 are
    # w - d with d = round(w / sqrt(2)); so they sum to exactly 80 w and 4/80 * sum (rep - w)^2 ~ w^2
    np.testing.assert_array_equal(reps.sum(axis=1), 80 * w)
    np.testing.assert_array_equal((reps == w[:, None]).sum(axis=1), 40)
    d = np.rint(w / np.sqrt(2)).astype(np.int64)
    np.testing.assert_array_equal(((reps - w[:, None]) ** 2).sum(axis=1), 40 * d**2)
    # every replicate column perturbs the weights, and its total stays near the full-sample total
    assert (reps != w[:, None]).sum(axis=0).min() > ROWS // 4
    np.testing.assert_allclose(reps.sum(axis=0), w.sum(), rtol=0.01)
    # weights represent the US population (about 331 million)
    assert 300e6 < w.sum() < 360e6


def test_design_layout(gen: ModuleType, chunked: Path) -> None:
    df = pq.read_table(chunked, columns=["ST", "stratum", "psu", *gen.ANALYSIS]).to_pandas()
    assert df["ST"].nunique() == 52
    assert df.groupby("stratum")["ST"].nunique().max() == 1  # strata nested in states
    assert df.groupby("psu")["stratum"].nunique().max() == 1  # PSUs nested in strata
    per_stratum = df.groupby("stratum")["psu"].nunique()
    assert per_stratum.between(2, 4).all()
    assert df["psu"].is_monotonic_increasing  # file in design order (successive differences)
    missing = df[list(gen.CONTINUOUS)].isna().mean()
    assert missing.between(0.04, 0.06).all()
    assert df[list(gen.INDICATORS)].isin([0, 1]).all().all()
    ratings = df[list(gen.RATINGS)]
    assert ratings.isna().mean().between(0.02, 0.04).all()
    assert ratings.stack().dropna().between(1, 5).all()


def test_psus_scale_with_rows(gen: ModuleType) -> None:
    big = gen.layout(20_000_000, seed=1)
    assert 19_000 < big.n_psu < 21_000
    assert gen.layout(2_000_000, seed=1).n_psu * 10 == pytest.approx(big.n_psu, rel=0.01)
    margins = gen.raking_margins()
    assert [len(margins[m]) for m in gen.MARGINS] == [52, 5, 2, 4]
    assert all(sum(m.values()) == pytest.approx(gen.US_POPULATION) for m in margins.values())


def test_fixed_number_of_psus(gen: ModuleType, tmp_path: Path) -> None:
    # --psus: the same number of PSUs (about 2,000, 2-4 per stratum) at 2M and at 20M rows
    small, big = gen.layout(2_000_000, seed=1, psus=2_000), gen.layout(20_000_000, seed=1, psus=2_000)
    assert abs(small.n_psu - 2_000) <= 10 and abs(big.n_psu - 2_000) <= 10
    assert np.array_equal(small.psu_start, gen.layout(2_000_000, seed=1).psu_start)  # 1,000 rows per PSU
    assert 9_000 < 20_000_000 / big.n_psu < 11_000
    assert big.n_strata == pytest.approx(big.n_psu / 3, rel=0.05)
    out = tmp_path / "few.parquet"
    lay = gen.write(30_000, out, seed=3, chunk_rows=10_000, psus=120)
    psu = pq.read_table(out, columns=["psu"]).column("psu").to_numpy()
    assert len(np.unique(psu)) == lay.n_psu and abs(lay.n_psu - 120) <= 8
    with pytest.raises(ValueError, match="--psus"):
        gen.write(30_000, out, seed=3, chunk_rows=10_000, psus=1)
