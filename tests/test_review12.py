"""Review of issue 12 as a reader of the displays and the French report would see them."""

from __future__ import annotations

from functools import cache

import citizensfirst as cf
from citizensfirst.samplegen.generator import sample_path

NBSP = "\u00a0"


@cache
def _cf2023() -> cf.Design:
    return cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design", strata="prov")


def test_estimate_display_describes_the_design_in_its_language() -> None:
    estimate = _cf2023().mean("q_time", by="age_grp")
    english, french = estimate, estimate.in_language("fr")
    head_en, head_fr = repr(english).splitlines()[0], repr(french).splitlines()[0]
    # one row per respondent: no clusters, never "4300 PSUs"
    assert "(13 strata, no clusters; 95% CI (t))" in head_en, head_en
    assert f"(13 strates, sans grappes; IC à 95{NBSP}% (t))" in head_fr, head_fr
    page = french._repr_html_()
    assert "13 strates, sans grappes" in page
    assert not [w for w in ("strata", "PSU", "calibrated", "unstratified") if w in head_fr + page]


def test_study_display_says_no_clusters_for_unclustered_waves() -> None:
    waves = {year: cf.Design(cf.read_survey(sample_path(f"cf{year}")), weights="wt_design", strata="prov")
             for year in (2018, 2023)}
    facts = dict(cf.Study(waves).facts())
    assert facts["wave 2023"] == "4,300 rows; 13 strata, no clusters"
