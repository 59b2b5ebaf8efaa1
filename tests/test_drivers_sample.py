"""Driver analysis on the bundled sample: recovery of the documented truth, charts and the CLI."""

from __future__ import annotations

import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.cli import main
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.samplegen.truth import ground_truth

DRIVERS = ["q_time", "q_access", "q_staff_knowledge", "q_courtesy", "q_fair", "q_outcome",
           "q_contacts", "q_extra_mile"]


def test_sample_ranking_recovers_the_true_driver_effects() -> None:
    design = cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design").rake(
        cf.targets.canada_2021(["province", "age", "gender", "education"]))
    result = design.drivers(["q_overall", "q_expect", "q_value"], DRIVERS, replicates=50, seed=3)
    truth = ground_truth()["ranking"]["cf"]
    ranked = result.table.sort_values("rank").index.str.replace("q_", "", regex=False).tolist()
    names = {"time": "timeliness", "staff_knowledge": "staff_knowledge", "outcome": "outcome"}
    assert [names.get(r, r) for r in ranked[:3]] == truth[:3]
    # the top driver is significantly more important than the third (pairwise replicate CI)
    pairs = result.pairwise.set_index(["driver_a", "driver_b"])
    key = ("q_outcome", "q_staff_knowledge") if ("q_outcome", "q_staff_knowledge") in pairs.index \
        else ("q_staff_knowledge", "q_outcome")
    low, high = pairs.loc[key, ["ci_low", "ci_high"]]
    assert low > 0 or high < 0
    assert result.table["performance"].between(0, 100).all()


@pytest.mark.slow
def test_drivers_command_writes_table_and_charts(tmp_path) -> None:
    out = tmp_path / "drivers"
    code = main(["drivers", str(sample_path("cf2023")), "--outcome", "q_overall", "--drivers",
                 "q_time", "q_outcome", "q_courtesy", "--weights", "wt_design", "--out", str(out),
                 "--replicates", "20"])
    assert code == 0
    table = pd.read_csv(out / "drivers.csv", index_col=0)
    assert set(table.index) == {"q_time", "q_outcome", "q_courtesy"}
    assert abs(table["share"].sum() - 100) < 1e-9
    assert set(table["quadrant"]) <= {"improve first", "maintain", "lower priority", "possible over-investment"}
    for lang in ("en", "fr"):
        for stem in ("importance", "quadrant"):
            assert (out / f"{stem}.{lang}.png").stat().st_size > 0
            assert (out / f"{stem}.{lang}.txt").read_text().strip()
