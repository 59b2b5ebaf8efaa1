"""The guide "Larger than memory and clusters" (docs/guide-scale.md) runs, and its three ways agree.

Its ```python blocks (the example file, the in-memory and DuckDB ways, collect, the settings,
the query statistics) run in order in one namespace with a temporary folder as the working
directory; its ```{code-block} python blocks with ``:class: spark`` (the Spark way) run in the
same order with the tests' local Spark session (``design_from_spark`` on the same Parquet file).
Then this file compares every result of the three ways itself, at 1e-10 relative.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide-scale.md"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
OPTION = re.compile(r"^:(\w[\w-]*):[ \t]*(.*)$")
RTOL = 1e-10
#: the results the guide's analysis promises (mean, proportion, subset, raking, quantiles,
#: replicates, a regression)
RESULTS = {"mean by region", "channel by region", "55+ only", "raked mean by sex",
           "raked wait quartiles", "replicate mean by region", "replicate median wait", "regression"}

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


def blocks() -> list[tuple[str, int, str]]:
    """The guide's code blocks as (kind, line, code): kind ``python``, ``spark`` or the fence's
    language (``bash``, ``text``); a ``{code-block}`` directive's options are not code."""
    text = GUIDE.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        info, body = match.group(1).strip(), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        if info.startswith("{code-block}"):
            lines = body.split("\n")
            options = {}
            while lines and OPTION.match(lines[0]):
                key, value = OPTION.match(lines[0]).groups()  # type: ignore[union-attr]
                options[key] = value
                lines.pop(0)
            kind = options.get("class", "") if info.split()[1:] == ["python"] else info
            found.append((kind, line, "\n".join(lines)))
        else:
            found.append((info, line, body))
    return found


def run(kinds: set[str], namespace: dict[str, Any]) -> None:
    """Run the guide's blocks of these kinds in document order, naming the failing block."""
    for kind, line, code in blocks():
        if kind in kinds:
            try:
                exec(compile(code, f"guide-scale.md:{line}", "exec"), namespace)
            except Exception as err:  # name the block that failed
                pytest.fail(f"guide-scale.md, {kind} block at line {line}: {type(err).__name__}: {err}")


def numbers(result: Any) -> pd.DataFrame:
    """The numeric columns of a result's frame (Estimate, ModelResult, DriverResult)."""
    frame = result.to_frame()
    return frame.select_dtypes("number")


def assert_same(expected: Any, actual: Any, what: str) -> None:
    """Same shape, same labels, numbers equal to RTOL relative (NaN where NaN)."""
    left, right = numbers(expected), numbers(actual)
    assert list(left.columns) == list(right.columns), what
    assert left.shape == right.shape and left.shape[0] > 0, what
    a, b = left.to_numpy(float), right.to_numpy(float)
    np.testing.assert_allclose(b, a, rtol=RTOL, atol=0, equal_nan=True, err_msg=what)
    labels = expected.to_frame().select_dtypes(exclude="number")
    pd.testing.assert_frame_equal(labels.reset_index(drop=True),
                                  actual.to_frame().select_dtypes(exclude="number").reset_index(drop=True),
                                  obj=what)


def test_every_block_is_run_by_a_test() -> None:
    kinds = [kind for kind, _, _ in blocks()]
    assert set(kinds) <= {"python", "spark", "bash", "text"}, kinds
    assert kinds.count("python") >= 8 and kinds.count("spark") >= 3


@pytest.mark.slow
def test_in_memory_and_duckdb_give_the_same_numbers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    run({"python"}, namespace)

    memory, duckdb = namespace["in_memory"], namespace["on_duckdb"]
    assert set(memory) == set(duckdb) == RESULTS
    for name in RESULTS:
        assert_same(memory[name], duckdb[name], name)
    # the results are estimates of something: positive SEs, a domain that changes the answer
    full = namespace["cf"].Design(namespace["df"], **namespace["TAYLOR"])
    assert (np.asarray(memory["mean by region"].se) > 0).all()
    assert np.atleast_1d(memory["55+ only"].estimate)[0] != np.atleast_1d(full.mean("satisfaction").estimate)[0]
    unraked = np.asarray(full.mean("satisfaction", by="sex").estimate)
    assert not np.allclose(np.asarray(memory["raked mean by sex"].estimate), unraked, rtol=1e-6)
    # the lazy design is over the file, not a frame
    lazy = namespace["lazy"]
    assert lazy.backend.name == "duckdb" and lazy.n == len(namespace["df"]) == 2000
    # drivers run lazily and equal the in-memory ones
    assert_same(namespace["in_memory_drivers"], namespace["drivers"], "drivers")
    # collect(where=) keeps only the rows; the collected subset keeps them all
    assert len(namespace["older"].frame) == int((namespace["df"]["age"] == "55+").sum())
    assert len(namespace["domain"].frame) == 2000
    # the statistics block: only small answers came back
    stats = namespace["stats"]
    assert 0 < stats.largest_answer <= 48 * 5 and stats.queries >= 3
    # the DuckDB settings took effect on the design's connection
    setting = lazy.backend.connection.execute("SELECT current_setting('threads')").fetchone()[0]
    assert int(setting) == 2
    configured = namespace["configured"]
    assert_same(memory["mean by region"], configured.mean("satisfaction", by="region"), "from_duckdb")


@pytest.mark.slow
def test_spark_gives_the_same_numbers(spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    run({"python", "spark"}, namespace)

    assert namespace["spark"] is spark  # the guide's getOrCreate() found the tests' session
    memory, on_spark = namespace["in_memory"], namespace["on_spark"]
    assert set(on_spark) == RESULTS
    for name in RESULTS:
        assert_same(memory[name], on_spark[name], f"spark: {name}")
    assert namespace["spark_design"].backend.name == "spark"
    assert_same(namespace["in_memory_drivers"], namespace["spark_drivers"], "spark drivers")
