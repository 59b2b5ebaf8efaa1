"""Backend.cross_sums: per-group sums of every product left_i * right_j.

DuckDB streams Arrow batches into BLAS products; the default asks SQL for one SUM per product.
Both must equal a plain numpy computation on the same rows (NULL counts as zero), whatever the
batch size, with groups that appear in some batches only.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.backends.base import Backend
from citizensfirst.backends.duckdb import DuckDBBackend, connect

N = 1_003
LEFT = ['"a"', '"b" * 2', 'CASE WHEN "c" > 0 THEN "a" END']
RIGHT = ['"y"', '"c"', "1.0"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261130)
    frame = pd.DataFrame({
        "g": np.sort(rng.integers(0, 6, N)),  # contiguous groups: most batches hold one or two
        "s": rng.choice(["x", "y", None], N),
        "a": rng.normal(size=N), "b": rng.integers(-3, 9, N).astype(float),
        "c": rng.normal(size=N), "y": rng.normal(10, 3, N),
    })
    frame.loc[rng.random(N) < 0.15, "a"] = np.nan  # NULL in the table
    frame.loc[rng.random(N) < 0.1, "y"] = np.nan
    return frame


@pytest.fixture(scope="module")
def backend(data: pd.DataFrame) -> DuckDBBackend:
    con = duckdb.connect()
    con.register("frame", data)
    con.execute("CREATE TABLE t AS SELECT * REPLACE (CASE WHEN isnan(a) THEN NULL ELSE a END AS a, "
                "CASE WHEN isnan(y) THEN NULL ELSE y END AS y) FROM frame")
    return DuckDBBackend(con, 'SELECT * FROM "t"', "t")


def _numpy(data: pd.DataFrame, by: list[str], rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The reference: the same products in numpy, NULL (NaN) as zero, groups sorted NA last."""
    left = np.column_stack([data["a"], data["b"] * 2, np.where(data["c"] > 0, data["a"], np.nan)])
    right = np.column_stack([data["y"], data["c"], np.ones(len(data))])
    left, right = np.nan_to_num(left[rows]), np.nan_to_num(right[rows])
    if not by:
        return pd.DataFrame(index=[0]), (left.T @ right)[None]
    kept = data.loc[rows, by].reset_index(drop=True)
    keys = kept.drop_duplicates().sort_values(by, na_position="last").reset_index(drop=True)
    out = np.zeros((len(keys), left.shape[1], right.shape[1]))
    for g, key in enumerate(keys.itertuples(index=False)):
        mask = np.ones(len(kept), dtype=bool)
        for name, value in zip(by, key, strict=True):
            mask &= kept[name].isna().to_numpy() if pd.isna(value) else (kept[name] == value).to_numpy()
        out[g] = left[mask].T @ right[mask]
    return keys, out


@pytest.mark.parametrize("by", [[], ["g"], ["s", "g"]])
@pytest.mark.parametrize("batch_rows", [7, 64, None])
def test_streaming_equals_sql_default_and_numpy(backend: DuckDBBackend, data: pd.DataFrame,
                                                by: list[str], batch_rows: int | None) -> None:
    where = '"b" >= 0'
    keys, streamed = backend.cross_sums(LEFT, RIGHT, by=by, where=where, batch_rows=batch_rows)
    sql_keys, sql = Backend.cross_sums(backend, LEFT, RIGHT, by=by, where=where)
    ref_keys, ref = _numpy(data, by, (data["b"] >= 0).to_numpy())
    assert streamed.shape == ref.shape == sql.shape == (len(ref_keys), 3, 3)
    scale = np.abs(ref).max()
    assert np.abs(streamed - ref).max() <= 1e-12 * scale
    assert np.abs(sql - ref).max() <= 1e-12 * scale
    for name in by:  # the same groups in the same order (missing keys last)
        assert keys[name].isna().tolist() == ref_keys[name].isna().tolist() == sql_keys[name].isna().tolist()
        assert keys[name].dropna().tolist() == ref_keys[name].dropna().tolist() == sql_keys[name].dropna().tolist()


def test_groups_absent_from_a_batch_and_unsorted_rows(backend: DuckDBBackend, data: pd.DataFrame) -> None:
    # rows shuffled: every batch sorts its rows by group; groups first seen late still line up
    shuffled = DuckDBBackend(backend.connection, 'SELECT * FROM "t" ORDER BY hash("c")', "t")
    keys, streamed = shuffled.cross_sums(LEFT, RIGHT, by=["g"], batch_rows=5)
    ref_keys, ref = _numpy(data, ["g"], np.ones(len(data), dtype=bool))
    assert keys["g"].tolist() == ref_keys["g"].tolist() == list(range(6))
    assert np.abs(streamed - ref).max() <= 1e-12 * np.abs(ref).max()


def test_symmetric_products_and_null_as_zero(backend: DuckDBBackend, data: pd.DataFrame) -> None:
    exprs = ['"a"', '"y"']
    _, streamed = backend.cross_sums(exprs, exprs, batch_rows=100)
    _, sql = Backend.cross_sums(backend, exprs, exprs)
    values = np.nan_to_num(data[["a", "y"]].to_numpy())
    expected = values.T @ values
    assert np.allclose(streamed[0], expected, rtol=1e-12, atol=0)
    assert np.allclose(sql[0], expected, rtol=1e-12, atol=0)
    assert streamed[0, 0, 1] == pytest.approx(np.nansum(data["a"] * data["y"]), rel=1e-12)


def test_left_columns_again_on_the_right(backend: DuckDBBackend, data: pd.DataFrame) -> None:
    # the replicate plan's shape: B = [A, items]; A's columns stream once, A^T A by SYRK
    right = LEFT + RIGHT
    for by in ([], ["g"]):
        keys, streamed = backend.cross_sums(LEFT, right, by=by, batch_rows=50)
        _, sql = Backend.cross_sums(backend, LEFT, right, by=by)
        _, ref = _numpy(data, by, np.ones(len(data), dtype=bool))
        assert streamed.shape == (len(keys), 3, 6)
        assert np.abs(streamed - sql).max() <= 1e-12 * np.abs(sql).max()
        assert np.abs(streamed[:, :, 3:] - ref).max() <= 1e-12 * np.abs(ref).max()
        assert np.allclose(streamed[:, :, :3], np.transpose(streamed[:, :, :3], (0, 2, 1)), rtol=1e-14, atol=0)


def test_no_rows(backend: DuckDBBackend) -> None:
    keys, out = backend.cross_sums(LEFT, RIGHT, by=["g"], where="FALSE")
    assert len(keys) == 0 and out.shape == (0, 3, 3)
    keys, out = backend.cross_sums(LEFT, RIGHT, where="FALSE")
    assert len(keys) == 1 and out.shape == (1, 3, 3) and not out.any()
    _, sql = Backend.cross_sums(backend, LEFT, RIGHT, where="FALSE")
    assert sql.shape == (1, 3, 3) and not sql.any()


def test_replicate_plan_uses_cross_sums_and_skips_the_gram_when_df_given(tmp_path, monkeypatch) -> None:
    rng = np.random.default_rng(7)
    n, r = 400, 6
    frame = pd.DataFrame({"y": rng.normal(size=n), "d": rng.integers(0, 3, n), "w": rng.uniform(1, 3, n)})
    for i in range(r):
        frame[f"r{i}"] = frame["w"] * rng.uniform(0.5, 1.5, n)
    frame.loc[::17, "y"] = np.nan
    path = tmp_path / "reps.parquet"
    frame.to_parquet(path)
    args = {"weights": "w", "replicate_weights": [f"r{i}" for i in range(r)], "method": "other", "scale": 1.0}
    asked: list[tuple[int, int]] = []
    original = DuckDBBackend.cross_sums

    def spy(self: DuckDBBackend, left, right, *rest, **kw):  # type: ignore[no-untyped-def]
        asked.append((len(left), len(right)))
        return original(self, left, right, *rest, **kw)

    monkeypatch.setattr(DuckDBBackend, "cross_sums", spy)
    lazy = cf.scan_survey(path, **args).mean("y", by="d").table
    memory = cf.Design(frame, **args).mean("y", by="d").table
    assert np.allclose(lazy["se"], memory["se"], rtol=1e-10, atol=0)
    assert lazy["df"].tolist() == memory["df"].tolist() == [r - 1] * 3
    # one pass: left the replicates, the weight and 1; right those again (the R x R sums of the
    # df) and the streamed values y, its presence (the mean's denominator) and y^2 (the deff)
    assert asked == [(r + 2, r + 2 + 3)]
    asked.clear()
    cf.scan_survey(path, **args).mean("y", by="d")  # a new design: the df are computed again
    assert asked == [(r + 2, r + 2 + 3)]
    asked.clear()
    cf.scan_survey(path, degf=3, **args).mean("y", by="d")
    assert asked == [(r + 2, 3)]  # df given: no R x R sums


def test_scan_survey_on_a_configured_connection(tmp_path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2]}).to_parquet(path)
    con = duckdb.connect(config={"threads": 1, "memory_limit": "300MB"})
    design = cf.scan_survey(path, weights="w", connection=con)
    assert design.backend.connection is con
    assert design.mean("y").estimate == pytest.approx(17 / 6, rel=1e-12)
    made = cf.scan_survey(path, weights="w", duckdb_config={"threads": 1, "memory_limit": "300MB"})
    limit, threads = made.backend.connection.execute(
        "SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    assert (threads, limit) == (1, "286.1 MiB")
    with pytest.raises(cf.errors.DesignError, match="not both"):
        cf.scan_survey(path, weights="w", connection=con, duckdb_config={"threads": 1})
    with pytest.raises(cf.errors.DataError, match="refused the settings"):
        cf.scan_survey(path, weights="w", duckdb_config={"threads": "many"})


def test_connections_give_freed_memory_back_unless_told_otherwise() -> None:
    # DuckDB's allocator keeps up to 128 MB free by default, and the peak of a long streamed
    # scan then grew with the file (RESULTS_scale.md); cf's own connections flush at 16 MB
    def setting(con: duckdb.DuckDBPyConnection) -> int:
        query = "SELECT value FROM duckdb_settings() WHERE name = 'allocator_flush_threshold'"
        return int(con.execute(f"SELECT CAST(({query}) AS VARCHAR)").fetchone()[0].rstrip("MB"))

    assert setting(connect()) == 16
    assert setting(connect({"allocator_flush_threshold": "64MB"})) == 64
