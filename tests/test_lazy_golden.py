"""Every golden (R-computed) estimation case, through a lazy design on DuckDB.

Each in-memory golden design is written to Parquet and opened with ``cf.scan_survey`` with the
same design arguments (:func:`lazy_twin`); every call whose kind is in :data:`LAZY_KINDS` must
match R at 1e-8 (the golden check) AND the in-memory result at 1e-10. Call kinds that lazy
designs do not do yet are listed in :data:`NOT_YET` and must raise ``NotLazyError`` naming the
operation (so nothing is skipped silently: a kind made lazy moves from one table to the other).
Models and tests (:data:`ELSEWHERE`) are checked by tests/test_lazy_inference.py, so their cases
are not generated here; :func:`test_every_golden_call_kind_is_checked_by_exactly_one_lazy_file`
keeps the two files covering every golden call kind between them, each kind in one of them.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import CitizensFirstError, DataError, NotLazyError
from conftest import golden
from rcall import build_design, parse_call, run
from test_golden_estimation import _designs, check_result
from test_golden_extra import ENTRIES, REPLICATE, UNSUPPORTED, _design, _replicate_design
from test_golden_replicate import DESIGNS as SHARED_REPLICATE
from test_golden_replicate import replicate_design
from test_golden_tests_models import CASES as INFERENCE_CASES

RTOL_MEMORY = 1e-10

#: call kinds a lazy design computes (extend this table when a kind becomes lazy)
LAZY_KINDS = frozenset({
    "svymean", "svytotal", "svyratio", "svyciprop", "degf",
    "svyby:svymean", "svyby:svytotal", "svyby:svyratio",
    "svyquantile", "svyby:svyquantile", "svyvar",
})
#: lazy kinds whose results are not Estimates (models, tests, tables): every golden case of these
#: kinds is a case of test_golden_tests_models.CASES, run lazily by tests/test_lazy_inference.py
#: (against R and memory); their cases are not generated in this file
ELSEWHERE = frozenset({"svyttest", "svychisq", "svytable", "svyglm", "regTermTest", "wr2"})
#: call kinds not lazy yet, each with the Design method that raises NotLazyError on a lazy design
NOT_YET: dict[str, str] = {}


def call_kind(call: str) -> str:
    """``svymean``, ``svyby:svytotal``, ... (svyby is named with its statistic)."""
    name, pos, kw = parse_call(call)
    if name == "svyby":
        return f"svyby:{pos[3] if len(pos) > 3 else kw['FUN']}"
    return name


_COUNTER = itertools.count()


def lazy_twin(design: cf.Design, folder: Path) -> cf.LazyDesign:
    """The same design over a Parquet copy of its rows, opened lazily.

    Taylor designs get their constructor arguments back from the history and their lonely-PSU
    options; replicate designs their analysis weights as columns with method, scale, rscales,
    rho and mse, so any golden design (however it was built) has a lazy twin.
    """
    frame = design.frame.reset_index(drop=True)
    if design.is_replicate:
        reps = design.replicate_weights
        analysis = reps.analysis_weights(design.weight_values)
        columns = [f"a{r}" for r in range(analysis.shape[1])]
        frame = pd.concat([frame, pd.DataFrame(analysis, columns=columns),
                           pd.Series(design.weight_values, name="w__")], axis=1)
        args: dict[str, Any] = dict(weights="w__", replicate_weights=columns, method=reps.method,
                                    scale=reps.scale, rscales=reps.rscales, mse=reps.mse, rho=reps.rho)
    else:
        args = dict(design.history[0].parameters)
        args.update(lonely_psu=design.taylor.lonely_psu,
                    adjust_domain_lonely=design.taylor.adjust_domain_lonely)
    path = folder / f"design{next(_COUNTER)}.parquet"
    frame.to_parquet(path)
    return cf.scan_survey(path, **args)


def same(lazy: Any, memory: Any) -> float:
    """Assert the lazy result equals the in-memory one to 1e-10; return the largest relative gap."""
    if isinstance(memory, pd.DataFrame):  # svyciprop rows
        lazy_table, memory_table, vcovs = lazy, memory, None
    else:
        lazy_table, memory_table = lazy.to_frame(labels=False), memory.to_frame(labels=False)
        vcovs = (lazy.vcov, memory.vcov)
    pd.testing.assert_frame_equal(lazy_table.drop(columns=_NUMBERS, errors="ignore"),
                                  memory_table.drop(columns=_NUMBERS, errors="ignore"), check_dtype=False)
    gaps = [0.0]
    for column in [c for c in _NUMBERS if c in memory_table.columns]:
        a = lazy_table[column].to_numpy(dtype=float)
        b = memory_table[column].to_numpy(dtype=float)
        np.testing.assert_allclose(a, b, rtol=RTOL_MEMORY, atol=0, equal_nan=True, err_msg=column)
        gaps.append(_gap(a, b))
    if vcovs is not None:
        a, b = vcovs
        scale = np.nanmax(np.abs(b)) if np.isfinite(b).any() else 1.0
        np.testing.assert_allclose(a, b, rtol=RTOL_MEMORY, atol=RTOL_MEMORY * 1e-2 * scale,
                                   equal_nan=True, err_msg="vcov")
    return max(gaps)


_NUMBERS = ["estimate", "se", "ci_low", "ci_high", "deff", "cv", "n", "df"]


def _gap(a: np.ndarray, b: np.ndarray) -> float:
    both = np.isfinite(a) & np.isfinite(b) & (b != 0)
    return float(np.max(np.abs(a[both] - b[both]) / np.abs(b[both]), initial=0.0))


def check_case(call: str, result: dict, designs: dict[str, cf.Design], folder: Path) -> None:
    """One golden call, lazily: R at 1e-8 and in memory at 1e-10 (or the expected error)."""
    kind = call_kind(call)
    lazy = {name: lazy_twin(design, folder) for name, design in designs.items()}
    if kind in NOT_YET:
        with pytest.raises(NotLazyError, match=NOT_YET[kind]):
            run(call, lazy)
        return
    assert kind in LAZY_KINDS, f"call kind {kind} is in neither LAZY_KINDS nor NOT_YET"
    if any(u in call for u in UNSUPPORTED):
        with pytest.raises(DataError, match="must be one of"):
            run(call, lazy)
        return
    if result["type"] == "error":
        with pytest.raises(CitizensFirstError, match="only one PSU"):
            run(call, lazy)
        return
    if result["type"] == "value":
        (name, design), = designs.items()
        assert lazy[name].degrees_of_freedom() == result["value"] == design.degrees_of_freedom()
        return
    ours = run(call, lazy)
    check_result(result, ours)
    memory = run(call, designs)
    if isinstance(memory, pd.DataFrame) or hasattr(memory, "vcov") and hasattr(memory, "to_frame"):
        same(ours, memory)  # Estimates (tests and models are checked against R above)


ESTIMATION = golden("survey_estimation.json")["entries"]


@pytest.mark.parametrize("entry", ESTIMATION, ids=[e["id"] for e in ESTIMATION])
def test_estimation_golden_lazily(entry: dict, tmp_path: Path) -> None:
    check_case(entry["call"], entry["result"], _designs(entry), tmp_path)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_extra_golden_lazily(entry: dict, tmp_path: Path) -> None:
    name, design = _design(entry)
    check_case(entry["call"], entry["result"], {name: design}, tmp_path)


def _here(call: str) -> bool:
    """Whether this file checks the call (the ELSEWHERE kinds are checked by test_lazy_inference)."""
    return call_kind(call) not in ELSEWHERE


ALL_EXTRA_REPLICATE = [(spec, est) for spec in REPLICATE["replicate_designs"] for est in spec["estimates"]]
EXTRA_REPLICATE = [(spec, est) for spec, est in ALL_EXTRA_REPLICATE if _here(est["call"])]


@pytest.mark.parametrize("spec,entry", EXTRA_REPLICATE,
                         ids=[f"{s['id']}:{e['call']}" for s, e in EXTRA_REPLICATE])
def test_extra_replicate_golden_lazily(spec: dict, entry: dict, tmp_path: Path) -> None:
    check_case(entry["call"], entry["result"], {spec["id"]: _replicate_design(spec)}, tmp_path)


ALL_SHARED = [(spec, est) for spec in SHARED_REPLICATE for est in spec["estimates"]]
SHARED = [(spec, est) for spec, est in ALL_SHARED if _here(est["call"])]


@pytest.mark.parametrize("spec,entry", SHARED, ids=[f"{s['id']}:{e['call']}" for s, e in SHARED])
def test_shared_replicate_golden_lazily(spec: dict, entry: dict, tmp_path: Path) -> None:
    check_case(entry["call"], entry["result"], {spec["id"]: replicate_design(spec)}, tmp_path)


def test_every_golden_call_kind_is_checked_by_exactly_one_lazy_file() -> None:
    """Estimation kinds here, models and tests in test_lazy_inference (its CASES), none in both."""
    here = [e["call"] for e in ESTIMATION + ENTRIES] + [e["call"] for _, e in EXTRA_REPLICATE + SHARED]
    kinds = {call_kind(c) for c in here}
    assert kinds <= LAZY_KINDS | set(NOT_YET), kinds - LAZY_KINDS - set(NOT_YET)
    assert {"svymean", "svyby:svymean", "svyciprop", "svyratio"} <= kinds & LAZY_KINDS
    inference = {(design_id, entry["call"]) for _, design_id, entry in INFERENCE_CASES}
    assert {call_kind(call) for _, call in inference} == ELSEWHERE
    assert not (LAZY_KINDS | set(NOT_YET)) & ELSEWHERE
    skipped = {(spec["id"], e["call"]) for spec, e in ALL_EXTRA_REPLICATE + ALL_SHARED if not _here(e["call"])}
    assert skipped and skipped <= inference, skipped - inference


def test_a_golden_design_text_builds_the_same_lazy_design(tmp_path: Path) -> None:
    text = ESTIMATION[0]["design"]
    data = pd.read_csv(Path(__file__).resolve().parents[1].parent / "shared" / "reference"
                       / ESTIMATION[0]["data"])
    design = build_design(text, data)
    twin = lazy_twin(design, tmp_path)
    assert re.search(r"fpc", str(twin.history[0]))
    assert (twin.n, twin.n_psu, twin.n_strata) == (len(data), design.n_psu, design.n_strata)
