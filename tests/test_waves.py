"""Waves: harmonising the bundled sample study, spec errors, and trends against the ground truth."""

from __future__ import annotations

import copy
import math
import tomllib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import citizensfirst as cf
from citizensfirst.errors import DataError, HarmonizationError
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.waves.spec import HarmonizationSpec, harmonize, sample_harmonization_path
from citizensfirst.waves.study import Study, Trend

WAVES = (2018, 2020, 2023)
CENSUS = ["province", "age", "gender", "education"]

# True population means from data/sample/README.md (1-5 unless noted). q_overall 2018 was asked
# on 0-10 (true mean 7.169); the harmonised value is its linear rescale 1 + 0.4 x 7.169.
TRUE_MEANS = {
    "q_time": (3.326, 3.326, 3.005),
    "q_access": (3.481, 3.481, 3.481),
    "q_staff_knowledge": (3.683, 3.683, 3.683),
    "q_courtesy": (3.872, 3.872, 3.872),
    "q_fair": (3.777, 3.777, 3.777),
    "q_outcome": (3.584, 3.584, 3.584),
    "q_contacts": (3.220, 3.220, 3.220),
    "q_extra_mile": (3.377, 3.377, 3.377),
    "q_overall": (1 + 0.4 * 7.169, 3.681, 3.605),
    "q_expect": (3.478, 3.478, 3.403),
    "q_value": (3.153, 3.153, 3.087),
    "q_online_acct": (None, None, 3.317),
}
TRUE_SQS = 63.6  # every wave; Monte Carlo error about 0.1


def _design(wave: int, survey: cf.Survey | None = None) -> cf.Design:
    survey = survey if survey is not None else cf.read_survey(sample_path(f"cf{wave}"))
    if wave == 2020:
        return cf.Design(survey, weights="wt_design", strata="stratum", psu="psu", nest=True)
    return cf.Design(survey, weights="wt_design", strata="prov")  # SRS within province


@pytest.fixture(scope="module")
def raw() -> dict[int, cf.Design]:
    return {w: _design(w) for w in WAVES}


@pytest.fixture(scope="module")
def raked() -> dict[int, cf.Design]:
    margins = cf.targets.canada_2021(CENSUS)
    return {w: _design(w).rake(margins) for w in WAVES}


@pytest.fixture(scope="module")
def spec() -> HarmonizationSpec:
    return HarmonizationSpec.from_toml(sample_harmonization_path())


@pytest.fixture(scope="module")
def study(raked: dict[int, cf.Design]) -> Study:
    return cf.Study(raked, harmonization=sample_harmonization_path())


def _spec_dict() -> dict:
    return tomllib.loads(sample_harmonization_path().read_text(encoding="utf-8"))


# --- harmonising the bundled sample -------------------------------------------------------------


def test_bundled_spec_reads(spec: HarmonizationSpec) -> None:
    assert spec.waves == WAVES and spec.strict
    assert spec["q_staff_knowledge"].source(2018) == "q_knowledge"
    assert spec["q_staff_knowledge"].source(2023) == "q_staff_knowledge"
    assert spec["q_overall"].rule(2018).rescale == ((0.0, 10.0), (1.0, 5.0))
    assert all(math.isnan(v) for v in spec["q_fair"].rule(2023).recode.values())
    assert set(spec["q_fair"].rule(2023).recode) == {98.0, 99.0}
    assert spec.is_absent("q_online_acct", 2018) and spec.is_absent("q_online_acct", 2020)
    assert not spec.is_absent("q_online_acct", 2023)
    with pytest.raises(HarmonizationError, match="did you mean 'q_time'"):
        spec["q_tme"]


def test_harmonize_2018_renames_and_rescales_without_touching_the_input(
        raw: dict[int, cf.Design], spec: HarmonizationSpec) -> None:
    d18 = raw[2018]
    before = d18.data.copy()
    h = harmonize(d18, spec, 2018)
    pd.testing.assert_frame_equal(d18.data, before)  # the input design is unchanged
    assert "q_staff_knowledge" not in d18.data.columns
    data = h.data
    pd.testing.assert_series_equal(data["q_staff_knowledge"], before["q_knowledge"],
                                   check_names=False)
    expected = 1 + 0.4 * before["q_overall"]  # 0-10 -> 1-5; DK 98 is NaN already
    np.testing.assert_allclose(data["q_overall"], expected, rtol=1e-15)
    assert data["q_overall"].min() == 1.0 and data["q_overall"].max() == 5.0
    assert data["q_overall"].isna().sum() == 46
    assert data["q_online_acct"].isna().all()  # absent in 2018: present as an empty column
    # structure and weights shared; the codebook speaks of the common variables
    np.testing.assert_array_equal(h.weights, d18.weights)
    assert h.n_strata == d18.n_strata == 13
    assert h.codebook["q_overall"].scale == (1, 5)
    assert h.codebook["q_overall"].value_labels == {}
    assert d18.codebook["q_overall"].scale == (0, 10)
    assert h.codebook["q_staff_knowledge"].dimension == "staff_knowledge"
    assert h.history[-1].action == "harmonize"
    # harmonised estimates are those of the source column
    est = h.mean("q_staff_knowledge")
    own = d18.mean("q_knowledge")
    assert est.estimate == own.estimate and est.se == own.se
    assert h.mean("q_overall").estimate == pytest.approx(1 + 0.4 * d18.mean("q_overall").estimate,
                                                         rel=1e-12)


def test_changed_dk_code_in_2023_on_raw_codes(raw: dict[int, cf.Design], spec: HarmonizationSpec) -> None:
    """With the user-missing codes kept in the data, 98/99 of q_fair (2023) become NaN."""
    survey = cf.read_survey(sample_path("cf2023"))
    frame = survey.with_missing_codes()
    assert (frame["q_fair"] == 98).sum() == 200 and (frame["q_fair"] == 99).sum() == 38
    coded = cf.Design(frame, weights="wt_design", strata="prov")
    h = harmonize(coded, spec, 2023)
    assert h.data["q_fair"].isna().sum() == 238
    assert set(h.data["q_fair"].dropna().unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert h.data["q_online_acct"].isna().sum() == 2341  # 9 = did not use
    from_survey = harmonize(raw[2023], spec, 2023)
    for name in spec.variables:
        pd.testing.assert_series_equal(h.data[name], from_survey.data[name], check_dtype=False)
    # a spec that kept the 2018/2020 codes (8, 9) for 2023 is caught by the strict check
    wrong = _spec_dict()
    wrong["variables"]["q_fair"]["2023"] = {"missing": [8, 9]}
    with pytest.raises(HarmonizationError,
                       match=r"wave 2023, variable 'q_fair'.*98 \(200 rows\), 99 \(38 rows\).*not mapped"):
        harmonize(coded, wrong, 2023)
    # strict=False lets unmapped codes through (documented), so the mean is then wrong
    loose = harmonize(coded, wrong, 2023, strict=False)
    assert (loose.data["q_fair"] == 98).sum() == 200
    # the 2018 raw file: DK 98 of the 0-10 item is dropped before rescaling
    raw18 = cf.read_survey(sample_path("cf2018")).with_missing_codes()
    h18 = harmonize(cf.Design(raw18, weights="wt_design"), spec, 2018)
    assert h18.data["q_overall"].isna().sum() == 46
    assert h18.data["q_overall"].max() == 5.0


# --- spec and data errors -----------------------------------------------------------------------


def test_unknown_source_and_undeclared_absence(raw: dict[int, cf.Design]) -> None:
    bad = _spec_dict()
    del bad["variables"]["q_staff_knowledge"]["2018"]
    with pytest.raises(HarmonizationError,
                       match=r"wave 2018, variable 'q_staff_knowledge': source variable "
                             r"'q_staff_knowledge' is not in the wave's data"):
        harmonize(raw[2018], bad, 2018)
    typo = _spec_dict()
    typo["variables"]["q_staff_knowledge"]["2018"] = {"source": "q_knowlege"}
    with pytest.raises(HarmonizationError, match="did you mean 'q_knowledge'"):
        harmonize(raw[2018], typo, 2018)
    new_item = _spec_dict()
    del new_item["variables"]["q_online_acct"]["2020"]
    with pytest.raises(HarmonizationError, match=r"wave 2020, variable 'q_online_acct'.*absent = true"):
        harmonize(raw[2020], new_item, 2020)
    with pytest.raises(HarmonizationError, match="wave 2021 is not one of the spec's waves"):
        harmonize(raw[2020], _spec_dict(), 2021)


def test_rescale_outside_its_range(raw: dict[int, cf.Design]) -> None:
    bad = _spec_dict()
    bad["variables"]["q_overall"]["2018"]["rescale"] = {"from": [0, 5], "to": [1, 5]}
    with pytest.raises(HarmonizationError,
                       match=r"wave 2018, variable 'q_overall'.*code\(s\) 6 \(411 rows\).*"
                             r"cannot be rescaled"):
        harmonize(raw[2018], bad, 2018)
    with pytest.raises(HarmonizationError, match="cannot be rescaled"):
        harmonize(raw[2018], bad, 2018, strict=False)  # never silently extrapolated


def _rule_error(rule: dict, scale: list | None = (1, 5)) -> str:
    body = {"2020": rule}
    if scale is not None:
        body["scale"] = list(scale)
    with pytest.raises(HarmonizationError) as info:
        HarmonizationSpec.from_dict({"waves": [2018, 2020], "variables": {"q": body}})
    return str(info.value)


def test_spec_validation_names_wave_variable_and_problem() -> None:
    assert "wave 2020, variable 'q': missing code 3 overlaps the valid range [1, 5]" in _rule_error(
        {"missing": [3, 9]})
    assert "missing range [0, 2] overlaps the valid range [1, 5]" in _rule_error(
        {"missing_ranges": [[0, 2]]})
    assert "missing ranges [90, 95] and [94, 99] overlap" in _rule_error(
        {"missing_ranges": [[90, 95], [94, 99]]})
    assert "missing range [99, 90] is invalid" in _rule_error({"missing_ranges": [[99, 90]]})
    assert "rescale from [10, 0] is invalid" in _rule_error(
        {"rescale": {"from": [10, 0], "to": [1, 5]}})
    assert "rescale to [0, 100] differs from the common scale [1, 5]" in _rule_error(
        {"rescale": {"from": [0, 10], "to": [0, 100]}})
    assert "missing code 8 overlaps the valid range [0, 10]" in _rule_error(
        {"rescale": {"from": [0, 10], "to": [1, 5]}, "missing": [8]})
    assert "recode 7 -> 12 is outside the valid range [1, 5]" in _rule_error({"recode": {"7": 12}})
    assert "code 8 is both missing and recoded to 3" in _rule_error(
        {"recode": {"8": 3}, "missing": [8]})
    assert "absent = true cannot be combined with ['source']" in _rule_error(
        {"absent": True, "source": "x"})
    assert "[variables.q.2020].rescal: unknown key 'rescal'; did you mean 'rescale'?" in _rule_error({"rescal": {}})
    assert "missing code 3 overlaps the valid values [1, 2, 3]" in _rule_error(
        {"values": [1, 2, 3], "missing": [3]}, scale=None)
    with pytest.raises(HarmonizationError, match="variable 'q': wave 2019 is not one of the spec's waves"):
        HarmonizationSpec.from_dict({"waves": [2018], "variables": {"q": {"2019": {}}}})
    with pytest.raises(HarmonizationError, match=r"variable 'q': scale \[5, 1\] is invalid"):
        HarmonizationSpec.from_dict({"variables": {"q": {"scale": [5, 1]}}})
    with pytest.raises(HarmonizationError, match="not valid TOML"):
        HarmonizationSpec.loads("[variables.q\n")
    # recoding codes to NaN with TOML's nan, and reverse-coding, are fine
    spec = HarmonizationSpec.loads(
        "[variables.q]\nscale = [1, 5]\n2020 = { recode = { 1 = 5, 5 = 1, 98 = nan } }\n")
    d = cf.Design(pd.DataFrame({"q": [1.0, 2.0, 5.0, 98.0]}))
    assert harmonize(d, spec, 2020).data["q"].tolist()[:3] == [5.0, 2.0, 1.0]
    assert math.isnan(harmonize(d, spec, 2020).data["q"].iloc[3])


def test_study_rejects_waves_outside_the_spec(raw: dict[int, cf.Design]) -> None:
    with pytest.raises(HarmonizationError, match=r"wave\(s\) \[2021\] are not in the spec's waves"):
        Study({2021: raw[2020]}, harmonization=sample_harmonization_path())


# --- the study: estimates, changes, ground truth -------------------------------------------------


def test_per_wave_estimates_equal_each_wave_design(study: Study, raked: dict[int, cf.Design]) -> None:
    assert study.waves == WAVES
    for name, source in (("q_time", {}), ("q_staff_knowledge", {2018: "q_knowledge"})):
        estimates = study.estimate(name)
        for wave in WAVES:
            own = raked[wave].mean(source.get(wave, name))
            ours = estimates[wave]
            assert ours.estimate == own.estimate and ours.se == own.se
            assert ours.df == own.df and ours.ci == own.ci
    top = study.estimate("q_time", stat="top2", by="gender")
    for wave in WAVES:
        pd.testing.assert_frame_equal(top[wave].table, cf.scores.top_box(
            raked[wave], "q_time", 2, (1, 5), by="gender").table)
    sqs = study.estimate(None, stat="sqs")
    for wave in WAVES:
        assert sqs[wave].estimate == cf.scores.service_quality_score(raked[wave]).estimate
    assert sorted(study.estimate("q_online_acct")) == [2023]
    # the waves keep their own structure and weighting
    assert study[2020].n_psu == 172 and study[2023].n_psu == 4300
    assert study[2018].report is not None and study[2018].report.converged


def test_change_se_and_the_test(study: Study) -> None:
    trend = study.trend("q_time")
    assert isinstance(trend, Trend)
    est = trend.estimates.set_index("wave")
    changes = trend.changes
    assert list(zip(changes["from_wave"], changes["to_wave"], strict=True)) == [(2018, 2020), (2020, 2023)]
    for _, row in changes.iterrows():
        a, b = est.loc[row["from_wave"]], est.loc[row["to_wave"]]
        assert row["change"] == b["estimate"] - a["estimate"]
        assert row["se"] == np.sqrt(a["se"] ** 2 + b["se"] ** 2)
        assert row["df"] == min(a["df"], b["df"])
        t = row["change"] / row["se"]
        assert row["t"] == t
        assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), row["df"]), rel=1e-12)
        half = stats.t.ppf(0.975, row["df"]) * row["se"]
        assert row["ci_low"] == pytest.approx(row["change"] - half, rel=1e-12)
    normal = study.trend("q_time", compare=[(2020, 2023)], df=np.inf).changes.iloc[0]
    assert normal["p_value"] == pytest.approx(2 * stats.norm.sf(abs(normal["t"])), rel=1e-12)
    assert normal["df"] == np.inf


def test_the_real_change_is_significant_and_the_non_change_is_not(study: Study) -> None:
    time = study.trend("q_time", compare=[(2020, 2023)]).changes.iloc[0]
    # true change -0.322 (README); the estimate's CI must cover it
    assert time["significant"] and time["p_value"] < 0.001
    assert time["ci_low"] <= -0.322 <= time["ci_high"]
    assert -0.40 < time["change"] < -0.15
    courtesy = study.trend("q_courtesy", compare=[(2020, 2023)]).changes.iloc[0]
    assert not courtesy["significant"] and courtesy["p_value"] > 0.05
    assert courtesy["ci_low"] <= 0.0 <= courtesy["ci_high"]
    # the real change carries over to the top-2 box; 2018 -> 2020 (identical truth) does not
    top = study.trend("q_time", stat="top2").changes.set_index("to_wave")
    assert top.loc[2023, "significant"] and not top.loc[2020, "significant"]
    unchanged = study.trend("q_time").changes.set_index("to_wave")
    assert not unchanged.loc[2020, "significant"]


@pytest.mark.parametrize("name", list(TRUE_MEANS))
def test_estimates_cover_the_true_means(study: Study, name: str) -> None:
    estimates = study.trend(name).estimates.set_index("wave")
    for wave, truth in zip(WAVES, TRUE_MEANS[name], strict=True):
        if truth is None:
            assert wave not in estimates.index
            continue
        row = estimates.loc[wave]
        assert row["ci_low"] <= truth <= row["ci_high"], (name, wave, row["estimate"], truth)


def test_service_quality_score_covers_the_true_score(study: Study) -> None:
    trend = study.trend(None, stat="sqs")
    assert trend.variable == "sqs"
    for _, row in trend.estimates.iterrows():
        assert row["ci_low"] <= TRUE_SQS <= row["ci_high"], (row["wave"], row["estimate"])
    assert not trend.changes["significant"].any()


def test_trend_by_domains_compare_pairs_and_output(study: Study) -> None:
    trend = study.trend("q_time", by="age_grp", compare=[(2018, 2023), (2020, 2023)])
    assert trend.by == ("age_grp",)
    assert len(trend.estimates) == 9 and len(trend.changes) == 6
    per_wave = study.estimate("q_time", by="age_grp")
    row = trend.changes[(trend.changes["from_wave"] == 2020) & (trend.changes["age_grp"] == 1)].iloc[0]
    a = per_wave[2020].table.set_index("age_grp").loc[1]
    b = per_wave[2023].table.set_index("age_grp").loc[1]
    assert row["se"] == np.sqrt(a["se"] ** 2 + b["se"] ** 2)
    assert row["df"] == min(a["df"], b["df"])
    frame = trend.to_frame()
    assert list(frame.columns[:3]) == ["from_wave", "to_wave", "age_grp"]
    html = trend._repr_html_()
    assert html.count("<table") == 2
    assert "Trend of q_time: Mean: It took a reasonable amount of time" in repr(trend)
    # only significant rows are marked
    marks = study.trend("q_courtesy")._repr_html_()
    assert "<td>*</td>" not in marks
    assert "<td>*</td>" in study.trend("q_time")._repr_html_()
    # the rescaled 2018 q_overall is flagged in the notes
    assert any("rescaled linearly" in n for n in study.trend("q_overall").notes)
    assert study.trend("q_online_acct").changes.empty
    with pytest.raises(DataError, match="'q_online_acct' was not asked in wave 2018"):
        study.trend("q_online_acct", compare=[(2018, 2023)])
    with pytest.raises(DataError, match="stat must be"):
        study.trend("q_time", stat="median")
    with pytest.raises(DataError, match="compare must be"):
        study.trend("q_time", compare="all")


def test_study_never_changes_its_input_designs(raked: dict[int, cf.Design]) -> None:
    before = {w: d.data.copy() for w, d in raked.items()}
    designs = copy.copy(raked)
    Study(designs, harmonization=sample_harmonization_path()).trend("q_overall")
    for w, d in raked.items():
        pd.testing.assert_frame_equal(d.data, before[w])
    assert raked[2018].data["q_overall"].max() == 10.0


def test_french_label_falls_back_to_the_codebook_before_the_specs_english_wording():
    import os

    import citizensfirst as cf
    from citizensfirst.samplegen import sample_path
    from citizensfirst.samplegen.params import SAMPLE_DIR

    waves = {year: cf.Design(cf.read_survey(sample_path(f"cf{year}")), weights="wt_design")
             for year in (2018, 2020, 2023)}
    study = cf.Study(waves, harmonization=os.path.join(SAMPLE_DIR, "harmonization.toml"))
    codebook = waves[2023].codebook
    assert study.label("q_time", "fr") == codebook["q_time"].label_fr
    assert study.label("q_time", "fr") != study.label("q_time", "en")


def test_trend_display_in_french_formats_numbers_and_p_values():
    import citizensfirst as cf
    from citizensfirst.samplegen import sample_path
    from citizensfirst.waves import sample_harmonization_path

    waves = {year: cf.Design(cf.read_survey(sample_path(f"cf{year}")), weights="wt_design") for year in (2020, 2023)}
    trend = cf.Study(waves, harmonization=sample_harmonization_path()).trend("q_time")
    change = trend.changes.iloc[0]
    french = trend.in_language("fr")
    text, page = repr(french), french._repr_html_()
    assert "IC à 95\u00a0%" in text and "vague | estimation" in text
    assert f"{trend.estimates['estimate'].iloc[0]:.2f}".replace(".", ",") in text
    assert ("<0,001" if change["p_value"] < 0.001 else f"{change['p_value']:.3f}".replace(".", ",")) in text
    assert "e-0" not in text and "e-0" not in page and "Variations entre les vagues" in page
    assert "e-0" not in repr(trend) and "95% CI" in repr(trend)
