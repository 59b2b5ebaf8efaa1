"""The extra R cases in tests/reference/golden (made by tests/reference/r/make_extra.R):
two-stage designs with an fpc at each stage, many strata, lonely PSUs, replicate designs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import CitizensFirstError, DataError
from conftest import LOCAL_REFERENCE, REPO, golden
from rcall import build_design, close, parse_call, run
from test_golden_estimation import check_result

# Methods R offers that we do not implement; each case checks that we say so clearly.
UNSUPPORTED = ("method='likelihood'", "interval.type='score'")
REPLICATE_CALLS = ("svymean", "svytotal", "svyby", "svyratio", "svyquantile", "svyvar", "svyciprop", "degf")


def _data(entry: dict) -> pd.DataFrame:
    data = pd.read_csv(LOCAL_REFERENCE / entry["data"])
    if "subset(lonely, str!=4)" in entry["design"]:
        data = data[data["str"] != 4].reset_index(drop=True)
    return data


def _design(entry: dict) -> tuple[str, cf.Design]:
    name = entry["design"].split("<-")[0].strip()
    text = entry["design"].replace("data=subset(lonely, str!=4)", "data=lonely")
    design = build_design(text, _data(entry))
    options = entry.get("options") or {}
    if options:
        design = design.options(
            lonely_psu=options.get("survey.lonely.psu", "fail"),
            adjust_domain_lonely=bool(options.get("survey.adjust.domain.lonely", False)),
        )
    return name, design


def _entries(*files: str) -> list[dict]:
    return [e for f in files for e in golden(f, local=True)["entries"]]


ENTRIES = _entries("extra_twostage.json", "extra_manystrata.json", "extra_lonely.json")


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_extra_estimation_matches_r(entry: dict) -> None:
    name, design = _design(entry)
    result = entry["result"]
    if any(u in entry["call"] for u in UNSUPPORTED):
        with pytest.raises(DataError, match="must be one of"):
            run(entry["call"], {name: design})
        return
    if result["type"] == "error":
        with pytest.raises(CitizensFirstError, match="only one PSU"):
            run(entry["call"], {name: design})
        return
    if result["type"] == "value":
        assert entry["call"].startswith("degf(")
        assert design.degrees_of_freedom() == result["value"]
        return
    check_result(result, run(entry["call"], {name: design}))


# ------------------------------------------------------------------ replicate designs

REPLICATE = golden("extra_replicate.json", local=True)


def _replicate_design(spec: dict) -> cf.Design:
    data = pd.read_csv(LOCAL_REFERENCE / spec["data"])
    if spec.get("repweights_file"):
        reps = pd.read_csv(LOCAL_REFERENCE / spec["repweights_file"])
        combined = False
    else:
        path = re.search(r"read\.csv\('([^']+)'\)", spec["call"]).group(1)
        reps = pd.read_csv(REPO / path)
        combined = bool(spec["combined_weights"])
    frame = pd.concat([data.reset_index(drop=True), reps.add_prefix("rw_")], axis=1)
    columns = [c for c in frame.columns if c.startswith("rw_rep")]
    _, _, kw = parse_call(spec["call"].split("<-")[-1])
    weights = "rw_pw" if not combined or "weights" not in kw else kw["weights"].lstrip("~")
    return cf.Design(
        frame, weights=weights, replicate_weights=columns, method=spec["type"].lower(),
        scale=spec["scale"], rscales=spec["rscales"], mse=spec["mse"], combined_weights=combined,
        rho=spec.get("rho") or (0.3 if spec["type"] == "Fay" else None),
    )


REP_CASES = [
    (spec["id"], est) for spec in REPLICATE["replicate_designs"] for est in spec["estimates"]
    if est["call"].split("(")[0] in REPLICATE_CALLS
]


@pytest.mark.parametrize("design_id,entry", REP_CASES, ids=[f"{d}:{e['call']}" for d, e in REP_CASES])
def test_extra_replicate_matches_r(design_id: str, entry: dict) -> None:
    spec = next(s for s in REPLICATE["replicate_designs"] if s["id"] == design_id)
    design = _replicate_design(spec)
    if entry["result"]["type"] == "value":
        assert design.degrees_of_freedom() == entry["result"]["value"]
        return
    check_result(entry["result"], run(entry["call"], {design_id: design}))


CONSTRUCTED = [
    s for s in REPLICATE["replicate_designs"]
    if s.get("repweights_file") and s["type"] in ("JK1", "JKn") and not s["mse"]
]


@pytest.mark.parametrize("spec", CONSTRUCTED, ids=[s["id"] for s in CONSTRUCTED])
def test_jackknife_construction_matches_r(spec: dict) -> None:
    base_name = re.search(r"as\.svrepdesign\((\w+)", spec["call"]).group(1)
    base_text = REPLICATE["base_designs"][base_name]
    data = pd.read_csv(LOCAL_REFERENCE / spec["data"])
    ours = build_design(base_text, data).as_replicate(spec["type"].lower())
    reps = ours.replicate_weights
    expected = pd.read_csv(LOCAL_REFERENCE / spec["repweights_file"]).filter(like="rep").to_numpy()
    close(reps.multipliers[reps.group], expected, 1.0, "multipliers")
    close(reps.scale, spec["scale"], 1.0, "scale")
    close(reps.rscales, spec["rscales"], 1.0, "rscales")
    assert ours.degrees_of_freedom() == spec["degf"]
    assert np.isfinite(ours.mean(["api00"] if "api00" in data else ["y"]).se)
