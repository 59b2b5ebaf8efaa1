"""Lazy quantiles and variances (DuckDB): the in-memory numbers, in bounded memory.

The golden (R) cases run through ``tests/test_lazy_golden.py``; here the weighted-CDF search of
:mod:`citizensfirst.lazy.cdf` is pushed where the golden files do not go: a continuous variable
of 200,000 rows (histogram refinement, blocks of summed weight), ratings with huge tie groups,
replicate intervals beyond the small-domain path, and the golden designs forced through the
search path with tiny windows (exact ties of equal weights included).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError, NotLazyError
from citizensfirst.estimation.quantile_rules import RULES
from citizensfirst.lazy import cdf
from conftest import golden
from test_golden_extra import ENTRIES, _design
from test_lazy_golden import check_case, lazy_twin

ORDERLESS = ("math", "school", "hf1", "hf2", "hf3")
PROBS = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]


def _frame(n: int, seed: int) -> pd.DataFrame:
    """Strata, PSUs, weights of a few distinct values, a continuous variable, a rating, domains."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 8, n)
    return pd.DataFrame({
        "stratum": stratum,
        "psu": stratum * 100 + rng.integers(0, 25, n),
        "w": np.round(10 + 5 * stratum + rng.uniform(0, 1, n), 2),
        "y": rng.lognormal(3, 1, n),
        "rating": rng.integers(1, 6, n).astype(float),
        "region": rng.choice(["east", "north", "west"], n),
    })


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Design, Path]:
    frame = _frame(200_000, 20261130)
    path = tmp_path_factory.mktemp("lazyq") / "big.parquet"
    frame.to_parquet(path)
    return cf.Design(frame, strata="stratum", psu="psu", weights="w", nest=True), path


def _lazy(path: Path) -> cf.LazyDesign:
    return cf.scan_survey(path, strata="stratum", psu="psu", weights="w", nest=True)


def _assert_same(lazy: cf.Estimate, memory: cf.Estimate, exact: bool) -> None:
    a, b = lazy.to_frame(labels=False), memory.to_frame(labels=False)
    for column in ("estimate", "ci_low", "ci_high", "se", "n", "df"):
        x, y = a[column].to_numpy(dtype=float), b[column].to_numpy(dtype=float)
        if exact and column in ("estimate", "ci_low", "ci_high"):
            np.testing.assert_array_equal(x, y, err_msg=column)
        else:
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=0, equal_nan=True, err_msg=column)


@pytest.mark.parametrize("rule", RULES)
def test_continuous_quantiles_of_200k_rows_are_exact_and_bounded(big, rule: str) -> None:
    memory, path = big
    lazy = _lazy(path)
    ours = lazy.quantile("y", PROBS, by="region", rule=rule)
    _assert_same(ours, memory.quantile("y", PROBS, by="region", rule=rule), rule in ORDERLESS)
    assert lazy.backend.statistics.largest_answer <= 3 * cdf.BINS  # 3 domains; the file has 200,000 rows


def test_rating_with_huge_tie_groups_under_an_orderless_rule(big) -> None:
    memory, path = big
    lazy = _lazy(path)
    for interval in ("mean", "beta", "xlogit", "asin"):
        ours = lazy.quantile("rating", PROBS, by="region", rule="math", interval=interval)
        _assert_same(ours, memory.quantile("rating", PROBS, by="region", rule="math", interval=interval), True)
    assert lazy.backend.statistics.largest_answer <= 3 * cdf.BINS


def test_an_order_dependent_rule_on_huge_tie_groups_asks_for_collect(big) -> None:
    _, path = big
    with pytest.raises(NotLazyError, match=r"'hf7'.*file order of tied rows.*collect"):
        _lazy(path).quantile("rating", 0.5, rule="hf7")


def test_variance_of_200k_rows_by_domain_and_subset(big) -> None:
    memory, path = big
    lazy = _lazy(path).subset("rating >= 2")
    ours = lazy.variance(["y", "rating"], by="region")
    _assert_same(ours, memory.subset("rating >= 2").variance(["y", "rating"], by="region"), False)
    np.testing.assert_allclose(ours.vcov, memory.subset("rating >= 2").variance(["y", "rating"], by="region").vcov,
                               rtol=1e-10)


@pytest.fixture(scope="module")
def replicate(tmp_path_factory: pytest.TempPathFactory) -> tuple[cf.Design, cf.LazyDesign]:
    frame = _frame(30_000, 7)
    design = cf.Design(frame, strata="stratum", psu="psu", weights="w", nest=True).as_replicate(
        method="bootstrap", replicates=12, seed=3)
    return design, lazy_twin(design, tmp_path_factory.mktemp("lazyrep"))


@pytest.mark.parametrize("rule", ["math", "hf3", "hf7", "shahvaish"])
def test_replicate_quantile_intervals_beyond_the_small_path(replicate, rule: str) -> None:
    memory, lazy = replicate
    assert len(memory.frame) > cdf.SMALL  # the histogram search, not the rows
    for design, twin in ((memory, lazy), (memory.subset("rating >= 3"), lazy.subset("rating >= 3"))):
        ours = twin.quantile("y", [0.25, 0.5, 0.9], by="region", rule=rule, interval="quantile")
        theirs = design.quantile("y", [0.25, 0.5, 0.9], by="region", rule=rule, interval="quantile")
        _assert_same(ours, theirs, rule in ORDERLESS)


def test_replicate_variance_by_domain(replicate) -> None:
    memory, lazy = replicate
    ours = lazy.variance(["y", "rating"], by="region")
    theirs = memory.variance(["y", "rating"], by="region")
    _assert_same(ours, theirs, False)
    np.testing.assert_allclose(ours.vcov, theirs.vcov, rtol=1e-10)


def test_replicate_interval_needs_replicate_weights(big) -> None:
    with pytest.raises(DataError, match="interval='quantile' needs a replicate design"):
        _lazy(big[1]).quantile("y", 0.5, interval="quantile")


QUANTILE_CASES = [e for e in golden("survey_estimation.json")["entries"] + ENTRIES
                  if "svyquantile" in e["call"] and "manystrata" in e["data"]]


@pytest.mark.parametrize("entry", QUANTILE_CASES, ids=[e["id"] for e in QUANTILE_CASES])
def test_golden_quantiles_through_the_histogram_search(entry: dict, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """R at 1e-8 and in memory at 1e-10 with every row beyond a window of 8 values in blocks."""
    monkeypatch.setattr(cdf, "SMALL", 0)
    monkeypatch.setattr(cdf, "VALUES", 8)
    name, design = _design(entry)
    check_case(entry["call"], entry["result"], {name: design}, tmp_path)


@pytest.mark.parametrize("rule", RULES)
def test_equal_weights_ties_decided_as_in_memory(rule: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal non-integer weights make C_k = p T exact: the blocks' sums must be exact too."""
    monkeypatch.setattr(cdf, "SMALL", 0)
    monkeypatch.setattr(cdf, "VALUES", 8)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": rng.integers(300, 900, 200).astype(float), "fpc": 6194.0})
    memory = cf.Design(frame, fpc="fpc")
    lazy = lazy_twin(memory, tmp_path)
    probs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    _assert_same(lazy.quantile("y", probs, rule=rule), memory.quantile("y", probs, rule=rule),
                 rule in ORDERLESS)
