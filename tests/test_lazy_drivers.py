"""Driver analysis of lazy designs (``LazyDesign.drivers``): the in-memory result from weighted sums.

On the sample study through DuckDB (a design with strata and PSUs, and one with weights only),
with and without intervals (the default bootstrap of a Taylor design), by domains, on a replicate
design, and the refusals; every number equal to the in-memory analysis to 1e-10, and the answers
no larger than units x domains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.drivers import DriverResult
from citizensfirst.errors import DataError, DesignError, NotLazyError
from citizensfirst.samplegen.generator import sample_path

DRIVERS = ["q_time", "q_access", "q_staff_knowledge", "q_courtesy", "q_fair", "q_outcome"]
OUTCOME = ["q_overall", "q_expect"]
DESIGNS = {"cf2020": dict(weights="wt_design", strata="stratum", psu="psu"),
           "cf2023": dict(weights="wt_design")}
NUMBERS = ["importance", "share", "se", "ci_low", "ci_high", "share_se", "mc_se", "mean", "performance",
           "performance_se", "vif"]


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


def same_result(lazy: DriverResult, memory: DriverResult) -> None:
    """Assert two driver results agree: numbers to 1e-10, counts, df, labels and tests exactly."""
    for column in NUMBERS:
        np.testing.assert_allclose(lazy.table[column].to_numpy(dtype=float),
                                   memory.table[column].to_numpy(dtype=float), rtol=1e-10, atol=1e-14,
                                   equal_nan=True, err_msg=column)
    for column in ("rank", "n", "dropped"):
        assert lazy.table[column].tolist() == memory.table[column].tolist(), column
    assert list(lazy.table.index) == list(memory.table.index)
    for name in ("n", "n_rows", "n_dropped", "n_outcome_missing", "n_replicates", "exact", "outcome", "drivers",
                 "labels", "scales", "method"):
        assert getattr(lazy, name) == getattr(memory, name), name
    np.testing.assert_allclose([lazy.r2, lazy.r2_se, lazy.condition_number, lazy.df],
                               [memory.r2, memory.r2_se, memory.condition_number, memory.df], rtol=1e-10,
                               equal_nan=True)
    numbers = ["difference", "se", "p_value", "ci_low", "ci_high"]
    np.testing.assert_allclose(lazy.pairwise[numbers].to_numpy(dtype=float),
                               memory.pairwise[numbers].to_numpy(dtype=float), rtol=1e-10, atol=1e-14,
                               equal_nan=True)
    if memory.vcov is None:
        assert lazy.vcov is None
    else:
        assert lazy.vcov is not None
        np.testing.assert_allclose(lazy.vcov, memory.vcov, rtol=1e-10, atol=1e-16)


CASES = [
    ("cf2020", dict(ci=None)),
    ("cf2020", dict(replicates=30, seed=3)),
    ("cf2020", dict(ci="bootstrap", replicates=20, seed=4, method="relative_weights", by="age_grp")),
    ("cf2020", dict(ci=None, by="age_grp", method="pratt")),
    ("cf2023", dict(ci=None, method="beta")),
    ("cf2023", dict(replicates=20, seed=5, by="educ")),
]


@pytest.mark.parametrize(("wave", "options"), CASES, ids=[f"{w}-{sorted(o.items())}" for w, o in CASES])
def test_lazy_drivers_equal_memory(studies: dict[str, tuple[cf.Design, cf.LazyDesign]], wave: str,
                                   options: dict[str, Any]) -> None:
    memory, lazy = studies[wave]
    before = lazy.backend.statistics.queries
    ours, theirs = lazy.drivers(OUTCOME, DRIVERS, **options), memory.drivers(OUTCOME, DRIVERS, **options)
    if "by" in options:
        assert isinstance(ours, dict) and isinstance(theirs, dict)
        assert list(ours) == list(theirs) and len(ours) > 1
        for level, result in ours.items():
            same_result(result, theirs[level])
    else:
        assert isinstance(ours, DriverResult) and isinstance(theirs, DriverResult)
        same_result(ours, theirs)
        assert ours.n < ours.n_rows  # incomplete rows exist and are dropped
        assert (options.get("ci", "replicate") is None) == np.isnan(ours.table["se"]).all()
    assert lazy.backend.statistics.queries - before <= 3  # counts, sums (and the bootstrap's unit order)


def test_lazy_drivers_stay_lazy(studies: dict[str, tuple[cf.Design, cf.LazyDesign]], tmp_path: Path) -> None:
    memory, _ = studies["cf2020"]
    memory.frame.to_parquet(tmp_path / "wave.parquet")
    codebook = cf.read_survey(sample_path("cf2020")).codebook
    fresh = cf.scan_survey(tmp_path / "wave.parquet", codebook=codebook, **DESIGNS["cf2020"]).subset("prov != 35")
    ours = fresh.drivers(OUTCOME, DRIVERS, by="age_grp", replicates=10)
    theirs = memory.subset("prov != 35").drivers(OUTCOME, DRIVERS, by="age_grp", replicates=10)
    assert isinstance(ours, dict) and isinstance(theirs, dict) and list(ours) == list(theirs)
    for level, result in ours.items():
        same_result(result, theirs[level])
    assert 0 < fresh.backend.statistics.largest_answer <= fresh.n_psu * len(ours) < len(memory.frame) / 2


def test_lazy_drivers_on_a_replicate_design(tmp_path: Path) -> None:
    survey = cf.read_survey(sample_path("cf2020"))
    memory = cf.Design(survey, weights="wt_design", strata="stratum", psu="psu").as_replicate("jkn")
    weights = memory.replicate_weights
    assert weights is not None
    columns = [f"rep{r}" for r in range(weights.n_replicates)]
    frame = pd.concat([survey.data, pd.DataFrame(weights.analysis_weights(memory.weight_values), columns=columns,
                                                 index=survey.data.index)], axis=1)
    frame.to_parquet(tmp_path / "reps.parquet")
    args = dict(weights="wt_design", replicate_weights=columns, method="jkn", scale=weights.scale,
                rscales=weights.rscales)
    lazy = cf.scan_survey(tmp_path / "reps.parquet", **args)
    in_memory = cf.Design(frame, **args)
    for options in (dict(scales=(1, 5)), dict(by="age_grp", method="first")):
        ours, theirs = lazy.drivers(OUTCOME, DRIVERS, **options), in_memory.drivers(OUTCOME, DRIVERS, **options)
        pairs = [(ours[k], theirs[k]) for k in theirs] if isinstance(theirs, dict) else [(ours, theirs)]
        for a, b in pairs:
            assert isinstance(a, DriverResult) and isinstance(b, DriverResult)
            assert a.n_replicates == weights.n_replicates
            same_result(a, b)
    assert lazy.backend.statistics.largest_answer <= 10  # one row per domain
    with pytest.raises(DesignError, match="strata and PSUs"):
        lazy.drivers(OUTCOME, DRIVERS, ci="bootstrap")


def test_lazy_drivers_refusals(studies: dict[str, tuple[cf.Design, cf.LazyDesign]]) -> None:
    memory, lazy = studies["cf2020"]
    totals = memory.total("wt_design", by="prov").to_frame().set_index("prov")["estimate"]
    raked = lazy.rake({"prov": {k: 1.1 * float(v) for k, v in totals.items()}})
    with pytest.raises(NotLazyError, match="as_replicate"):
        raked.drivers(OUTCOME, DRIVERS)
    assert raked.drivers(OUTCOME, DRIVERS, ci=None).table["se"].isna().all()
    with pytest.raises(DesignError, match="ci must be"):
        lazy.drivers(OUTCOME, DRIVERS, ci="jackknife")
    with pytest.raises(DataError, match="complete cases"):
        lazy.drivers(OUTCOME, DRIVERS, ci=None, min_n=10**6)
    with pytest.raises(DataError, match="unknown method"):
        lazy.drivers(OUTCOME, DRIVERS, method="gini")
