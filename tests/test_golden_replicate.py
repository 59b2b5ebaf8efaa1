"""shared/reference/golden/survey_replicate.json: supplied and constructed replicate designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from conftest import golden, reference_data, shared_reference
from rcall import build_design, close, run
from test_golden_estimation import check_result

SPEC = golden("survey_replicate.json")
DESIGNS = SPEC["replicate_designs"]
SUPPORTED = ("svymean", "svytotal", "svyby", "svyratio", "svyquantile")


def replicate_design(spec: dict) -> cf.Design:
    """The replicate design rebuilt from the exported multipliers (not from R's RNG)."""
    data = reference_data(spec["data"])
    reps = pd.read_csv(shared_reference() / spec["repweights_file"])
    frame = pd.concat([data.reset_index(drop=True), reps.add_prefix("rw_")], axis=1)
    columns = [c for c in frame.columns if c.startswith("rw_rep")]
    return cf.Design(
        frame, weights="rw_pw", replicate_weights=columns, method=spec["type"].lower(),
        scale=spec["scale"], rscales=spec["rscales"], mse=spec["mse"], combined_weights=False,
    )


CASES = [
    (spec["id"], est) for spec in DESIGNS for est in spec["estimates"]
    if est["call"].split("(")[0] in SUPPORTED
]


@pytest.mark.parametrize("design_id,entry", CASES, ids=[f"{d}:{e['call']}" for d, e in CASES])
def test_replicate_estimates_match_r(design_id: str, entry: dict) -> None:
    spec = next(s for s in DESIGNS if s["id"] == design_id)
    ours = run(entry["call"], {design_id: replicate_design(spec)})
    check_result(entry["result"], ours)


def _base(spec_id: str) -> cf.Design:
    text = SPEC["base_designs"][spec_id]
    data_file = {"dclus1": "data/apiclus1.csv", "scdnofpc": "data/scd.csv"}[spec_id]
    return build_design(text, reference_data(data_file))


def test_jk1_construction_matches_r_multipliers() -> None:
    spec = next(s for s in DESIGNS if s["id"] == "rclus1_jk1")
    ours = _base("dclus1").as_replicate("jk1")
    reps = ours.replicate_weights
    expected = pd.read_csv(shared_reference() / spec["repweights_file"]).filter(like="rep").to_numpy()
    close(reps.multipliers[reps.group], expected, 1.0, "multipliers")
    close(reps.scale, spec["scale"], 1.0, "scale")
    close(reps.rscales, spec["rscales"], 1.0, "rscales")
    for entry in spec["estimates"]:
        if entry["call"].split("(")[0] in SUPPORTED:
            check_result(entry["result"], run(entry["call"], {"rclus1_jk1": ours}))


def test_brr_construction_is_balanced_and_matches_r_variance() -> None:
    spec = next(s for s in DESIGNS if s["id"] == "scd2brr")
    ours = _base("scdnofpc").as_replicate("brr")
    reps = ours.replicate_weights
    assert reps.n_replicates == spec["replicates"]
    close(reps.scale, spec["scale"], 1.0, "scale")
    # linear statistics do not depend on which Hadamard matrix is used
    for entry in spec["estimates"]:
        if entry["call"].startswith(("svymean", "svytotal")):
            check_result(entry["result"], run(entry["call"], {"scd2brr": ours}))


def test_bootstrap_construction_scale_matches_r() -> None:
    spec = next(s for s in DESIGNS if s["id"] == "rclus1_boot")
    ours = _base("dclus1").as_replicate("bootstrap", replicates=spec["replicates"], seed=1)
    close(ours.replicate_weights.scale, spec["scale"], 1.0, "scale")
    mult = ours.replicate_weights.multipliers
    assert np.all(mult.sum(axis=0) == 15)  # 15 PSUs drawn with replacement per replicate
