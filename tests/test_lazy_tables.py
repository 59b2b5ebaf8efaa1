"""Publication tables (crosstab, banner) of lazy designs, and what a lazy design does not do."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError, NotLazyError
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.tables import Table

#: the sample study's designs: weights only (every respondent a PSU), and strata with PSUs
DESIGNS = {"cf2023": dict(weights="wt_design"),
           "cf2020": dict(weights="wt_design", strata="stratum", psu="psu")}
TABLES = [
    ("cf2023", "crosstab", ("chan_used", "age_grp"), {}),
    ("cf2023", "crosstab", ("prov", "age_grp", "top2"), {"value": "q_overall", "adjust": "holm"}),
    ("cf2023", "crosstab", (["q_time", "q_overall"], "educ", "score"), {}),
    ("cf2023", "crosstab", ("q_time", "educ", "mean"), {"decimals": 2}),
    ("cf2023", "crosstab", ("chan_used",), {"language": "fr"}),
    ("cf2023", "banner", ("chan_used", ["age_grp", "educ"]), {"language": "fr", "adjust": "bh"}),
    ("cf2020", "banner", ("prov", ["age_grp", "educ"], "mean"), {"value": "q_overall"}),
    ("cf2020", "banner", (["q_time", "q_overall"], ["age_grp"], "top2"), {"alpha": 0.1}),
    ("cf2020", "crosstab", ("chan_used", "age_grp"), {"rules": cf.QualityRules(min_n=40)}),
]
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "weighted_n"]


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[cf.Design, cf.LazyDesign]]:
    """Each wave in memory and as a lazy design over its Parquet copy (with its codebook)."""
    folder = tmp_path_factory.mktemp("sample")
    pairs = {}
    for wave, args in DESIGNS.items():
        survey = cf.read_survey(sample_path(wave))
        survey.data.to_parquet(folder / f"{wave}.parquet")
        pairs[wave] = (cf.Design(survey, **args),
                       cf.scan_survey(folder / f"{wave}.parquet", codebook=survey.codebook, **args))
    return pairs


def same_table(lazy: Table, memory: Table) -> float:
    """Assert two tables agree: every label, count, flag, suppression mark and letter exactly, the
    numbers to 1e-10, the displayed values exactly except at a rounding tie (x.x5 computed as
    x.x4999...); return the largest relative gap of the numbers."""
    gap = 0.0
    for ours, theirs in ((lazy.confidential_cells, memory.confidential_cells), (lazy.cells, memory.cells)):
        pd.testing.assert_frame_equal(ours.drop(columns=[*NUMBERS, "value"]),
                                      theirs.drop(columns=[*NUMBERS, "value"]), check_dtype=False)
        for column in NUMBERS:
            a, b = ours[column].to_numpy(dtype=float), theirs[column].to_numpy(dtype=float)
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=0, equal_nan=True, err_msg=column)
            both = np.isfinite(b) & (b != 0)
            gap = max(gap, float(np.max(np.abs(a[both] - b[both]) / np.abs(b[both]), initial=0.0)))
        a, b = ours["value"].to_numpy(dtype=float), theirs["value"].to_numpy(dtype=float)
        differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        unrounded = theirs["estimate"].to_numpy(dtype=float)[differ] * (100.0 if memory.stat in (
            "percent", "top2") else 1.0) * 10.0 ** memory.decimals
        assert np.all(np.abs(unrounded % 1 - 0.5) < 1e-6), "a displayed value differs off a rounding tie"
    pd.testing.assert_frame_equal(lazy.bases, memory.bases, check_dtype=False)
    pd.testing.assert_frame_equal(lazy.tests, memory.tests, check_dtype=False, rtol=1e-9)
    assert (lazy.title, lazy.notes, lazy.legend, lazy.columns, lazy.row_labels) == (
        memory.title, memory.notes, memory.legend, memory.columns, memory.row_labels)
    return gap


@pytest.mark.parametrize("wave,kind,args,options", TABLES, ids=[f"{w}-{k}-{a}" for w, k, a, _ in TABLES])
def test_sample_tables_through_duckdb_equal_memory(wave: str, kind: str, args: tuple, options: dict[str, Any],
                                                   studies: dict) -> None:
    memory, lazy = studies[wave]
    same_table(getattr(lazy, kind)(*args, **options), getattr(memory, kind)(*args, **options))


def test_a_domain_table_equals_memory(studies: dict) -> None:
    memory, lazy = studies["cf2020"]
    same_table(lazy.subset("prov == 35").crosstab("q_overall", "age_grp"),
               memory.subset("prov == 35").crosstab("q_overall", "age_grp"))


def test_tables_stay_lazy(studies: dict) -> None:
    """A banner of the clustered wave: every answer is at most PSUs x levels rows."""
    memory, lazy = studies["cf2020"]
    stats = lazy.backend.statistics
    stats.largest_answer = 0
    table = lazy.banner("chan_used", ["age_grp", "educ"])
    assert 0 < stats.largest_answer <= 172 * 6 < len(memory.frame)
    assert table.cells["estimate"].notna().any()


def test_lazy_tables_refuse_like_memory(studies: dict) -> None:
    memory, lazy = studies["cf2023"]
    for design in (memory, lazy):
        with pytest.raises(DataError, match="stat must be one of"):
            design.crosstab("chan_used", "age_grp", "median")
        with pytest.raises(DataError, match="no_such"):
            design.crosstab("chan_used", "no_such")
        with pytest.raises(DataError, match="takes one row variable"):
            design.crosstab(["chan_used", "prov"], "age_grp")

#: Design members a lazy design has no reason to offer: constructors of designs from a source
NOT_APPLICABLE = {"from_duckdb": "a constructor of lazy designs (cf.Design.from_duckdb)"}


@pytest.fixture()
def lazy(tmp_path: Path) -> cf.LazyDesign:
    frame = pd.DataFrame({"y": [1.0, 2, 3, 4], "w": [1.0, 1, 2, 2], "g": ["a", "b", "a", "b"]})
    frame.to_parquet(tmp_path / "s.parquet")
    return cf.scan_survey(tmp_path / "s.parquet", weights="w")


def test_every_design_member_is_lazy_or_says_collect(lazy: cf.LazyDesign) -> None:
    """Each public member of Design exists on a lazy design, or raises NotLazyError naming it
    and pointing to ``.collect(where=...)``."""
    names = [n for n in dir(cf.Design) if not n.startswith("_") and n not in NOT_APPLICABLE]
    missing = []
    for name in names:
        static = inspect.getattr_static(cf.Design, name)
        try:
            member = getattr(lazy, name)
        except NotLazyError as error:
            assert f"{name}()" in str(error) and ".collect(where=...)" in str(error), str(error)
            missing.append(name)
            continue
        if callable(static) and not isinstance(static, property):
            assert callable(member), name
    assert {"frame", "weight_values"} <= set(missing)  # rows stay in the backend
    assert "as_replicate" not in missing and callable(lazy.as_replicate)
