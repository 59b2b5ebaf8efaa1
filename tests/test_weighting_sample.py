"""Weighting the bundled sample waves to the Census targets, its errors and the weight CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.cli import main
from citizensfirst.errors import ConvergenceError, WeightingError
from citizensfirst.samplegen.generator import sample_path

CENSUS = ["province", "age", "gender", "education"]


def _design(wave: str) -> cf.Design:
    survey = cf.read_survey(sample_path(wave))
    if "psu" in survey.data.columns:
        return cf.Design(survey, weights="wt_design", strata="stratum", psu="psu", nest=True)
    return cf.Design(survey, weights="wt_design")


@pytest.mark.parametrize("wave", ["cf2018", "cf2020", "cf2023"])
def test_each_wave_raked_to_census_meets_every_margin(wave: str) -> None:
    design = _design(wave)
    margins = cf.targets.canada_2021(CENSUS)
    raked = design.rake(margins)
    report = raked.report
    assert report.converged
    assert report.max_relative_error < 1e-8
    table = report.to_frame()
    assert set(table["margin"]) == set(margins)
    for column, targets in margins.items():
        achieved = raked.weights.groupby(raked.data[column]).sum() / raked.weights.sum()
        for level, share in targets.items():
            assert achieved[float(level)] == pytest.approx(share, rel=1e-8)
    # weighting removes the documented skew: the university share moves to its target
    university = (raked.data["educ"] == 3)
    assert raked.weights[university].sum() / raked.weights.sum() == pytest.approx(margins["educ"][3], rel=1e-8)
    assert report.kish_deff > 1 and report.effective_n < len(raked.data)


def test_business_wave_raked_to_frame() -> None:
    raked = _design("bf2023").rake(cf.targets.business_frame())
    assert raked.report.max_relative_error < 1e-8


def test_raking_is_variance_aware() -> None:
    design = _design("cf2023")
    raked = design.rake(cf.targets.canada_2021(CENSUS))
    share = raked.proportion("educ").table.set_index("level")
    # a raked margin is known exactly: its SE collapses to (numerically) zero
    assert share["se"].max() < 1e-9
    assert raked.mean("q_time").se > 0


@pytest.mark.slow
def test_errors_name_the_margin_and_level() -> None:
    design = _design("cf2023")
    with pytest.raises(WeightingError, match=r"level 3\.0 of 'gender'.*has no target"):
        design.rake({"gender": {1: 0.5, 2: 0.5}})
    with pytest.raises(WeightingError, match=r"target level\(s\) \[4\] of 'gender' have no respondents"):
        design.rake({"gender": {1: 0.4, 2: 0.4, 3: 0.1, 4: 0.1}})
    with pytest.raises(WeightingError, match="shares sum to 0.9"):
        design.rake({"gender": {1: 0.4, 2: 0.4, 3: 0.1}})
    with pytest.raises(WeightingError, match="do not sum to the same population"):
        design.rake({"gender": {1: 40, 2: 50, 3: 10}, "educ": {1: 30, 2: 30, 3: 41}})
    with pytest.raises(ConvergenceError, match="did not reach its targets"):
        design.rake(cf.targets.canada_2021(CENSUS), bounds=(0.9, 1.1))
    frame = design.data
    zero = cf.Design(frame.assign(wt_design=np.where(frame.index == 0, 0.0, frame["wt_design"])),
                     weights="wt_design")
    with pytest.raises(WeightingError, match="zero base weight"):
        zero.rake({"gender": {1: 0.5, 2: 0.49, 3: 0.01}})


def test_raking_that_cannot_converge_in_time_fails_loudly() -> None:
    design = _design("cf2023")
    with pytest.raises(ConvergenceError, match="worst margins"):
        design.rake(cf.targets.canada_2021(CENSUS), max_iter=1)


def test_weight_command_writes_file_and_report(tmp_path) -> None:
    targets = tmp_path / "targets.toml"
    cf.targets.to_toml(cf.targets.canada_2021(["province", "gender"]), targets)
    out = tmp_path / "weighted.sav"
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--weights", "wt_design"])
    assert code == 0
    weighted = cf.read_survey(out)
    assert "weight" in weighted.data.columns
    assert weighted.codebook["weight"].label_fr.startswith("Poids final")
    report = pd.read_csv(tmp_path / "weighted.report.csv")
    np.testing.assert_allclose(report["achieved"], report["target"], rtol=1e-8)
    summary = json.loads((tmp_path / "weighted.report.json").read_text())
    assert summary["converged"] is True


def test_weight_command_exit_codes(tmp_path, capsys) -> None:
    targets = tmp_path / "bad.toml"
    targets.write_text("[margins.gender]\n1 = 0.5\n2 = 0.4\n")
    out = tmp_path / "never.sav"
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("citizensfirst: error:") and "gender" in err and "sum" in err
    assert not out.exists()
    targets.write_text("[margins.gender]\n1 = 0.5\n2 = 0.49\n3 = 0.01\n[margins.educ]\n1 = 0.3\n2 = 0.3\n3 = 0.4\n")
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--max-iter", "1"])
    assert code == 1
    assert not out.exists()
