"""Estimates show the codebook's value labels (EN/FR) and keep the codes in ``<column>_code``."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError
from citizensfirst.io.codebook import Codebook, Variable
from citizensfirst.samplegen import sample_path

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def sample() -> cf.Design:
    return cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design")


def _survey(frame: pd.DataFrame, variables: list[Variable]) -> cf.Survey:
    return cf.Survey(frame, Codebook(variables))


def _small() -> cf.Design:
    frame = pd.DataFrame({"g": [1.0, 1.0, 2.0, 2.0, 3.0, 3.0], "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                          "ch": [1.0, 2.0, 2.0, 1.0, 2.0, 2.0]})
    variables = [Variable("g", label="Group", label_fr="Groupe", value_labels={1: "North", 2: "South"},
                          value_labels_fr={1: "Nord", 2: "Sud"}),
                 Variable("y", label="Score", label_fr="Note"),
                 Variable("ch", label="Channel", label_fr="Mode", value_labels={1: "Web", 2: "Phone"},
                          value_labels_fr={1: "Internet", 2: "Téléphone"})]
    return cf.Design(_survey(frame, variables))


def test_by_column_shows_province_names_and_keeps_codes(sample: cf.Design) -> None:
    est = sample.mean("q_overall", by="prov")
    frame = est.to_frame()
    ontario = frame[frame["prov_code"] == 35]
    assert ontario["prov"].tolist() == ["Ontario"]
    assert frame["prov"].iloc[0] == "Newfoundland and Labrador"
    assert frame["variable"].iloc[0] == "q_overall"
    assert frame["variable_label"].iloc[0] == sample.codebook["q_overall"].label
    fr = est.to_frame(lang="fr")
    assert fr.loc[fr["prov_code"] == 24, "prov"].tolist() == ["Québec"]
    assert fr["variable_label"].iloc[0] == sample.codebook["q_overall"].label_fr
    # the numbers and the codes are the table's own
    assert fr["estimate"].tolist() == est.table["estimate"].tolist()
    assert fr["prov_code"].tolist() == est.table["prov"].tolist()


def test_proportion_levels_are_labelled_in_both_languages(sample: cf.Design) -> None:
    est = sample.proportion("chan_used")
    en, fr = est.to_frame("en"), est.to_frame("fr")
    assert en["level"].tolist() == ["In person", "Telephone", "Online (website or app)", "Mail"]
    assert fr["level"].tolist() == ["En personne", "Téléphone", "En ligne (site Web ou application)", "Courrier"]
    assert en["level_code"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert list(en.columns[:4]) == ["variable", "variable_label", "level", "level_code"]


def test_codes_only_is_the_table_as_computed(sample: cf.Design) -> None:
    est = sample.proportion("chan_used", by="gender")
    codes = est.to_frame(labels=False)
    pd.testing.assert_frame_equal(codes, est.table)
    assert "level_code" not in codes.columns and codes["gender"].iloc[0] == 1.0


def test_unlabelled_codes_are_kept_and_shown_as_integers() -> None:
    d = cf.Design(pd.DataFrame({"g": [1.0, 1.0, 2.0, 2.5], "y": [1.0, 2.0, 3.0, 4.0]}))
    frame = d.mean("y", by="g").to_frame()
    assert frame["g"].tolist() == [1, 2, 2.5]
    assert [type(v) for v in frame["g"]][:2] == [int, int]
    assert frame["g_code"].tolist() == [1.0, 2.0, 2.5]
    assert frame["variable_label"].tolist() == ["y"] * 3
    strings = cf.Design(pd.DataFrame({"c": list("abb")})).proportion("c").to_frame()
    assert strings["level"].tolist() == ["a", "b"] and strings["level_code"].tolist() == ["a", "b"]


def test_partly_labelled_variable_labels_what_it_can() -> None:
    frame = pd.DataFrame({"r": [1.0, 2.0, 3.0, 5.0]})
    d = cf.Design(_survey(frame, [Variable("r", value_labels={1: "Low", 5: "High"})]))
    assert d.proportion("r").to_frame()["level"].tolist() == ["Low", 2, 3, "High"]


def test_labels_travel_with_the_estimate_not_the_design() -> None:
    est = _small().mean("y", by="g")
    assert est.value_labels.values["g"]["fr"][2] == "Sud"
    assert est.to_frame("fr")["g"].tolist() == ["Nord", "Sud", 3]


def test_quantile_and_box_levels_are_not_taken_for_codes() -> None:
    frame = pd.DataFrame({"r": [1.0, 2.0, 3.0, 4.0, 5.0]})
    d = cf.Design(_survey(frame, [Variable("r", value_labels={1: "Very low", 5: "Very high"}, scale=(1, 5))]))
    q = d.quantile("r", [0.5, 1.0]).to_frame()
    assert q["level"].tolist() == [0.5, 1.0] and "level_code" not in q.columns
    box = cf.scores.top_box(d, "r", 2)
    assert box.to_frame()["level"].tolist() == ["top2"]
    assert box.title("fr").startswith("Part des 2 points supérieurs de l'échelle\u00a0: ")


def test_several_variables_levels_use_each_variables_labels() -> None:
    d = _small()
    frame = d.proportion(["g", "ch"]).to_frame("fr")
    assert frame["level"].tolist() == ["Nord", "Sud", 3, "Internet", "Téléphone"]
    assert frame["variable_label"].tolist() == ["Groupe"] * 3 + ["Mode"] * 2


def test_unknown_language_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="lang must be one of"):
        _small().mean("y").to_frame("de")


def test_repr_and_html_show_labels_in_the_language_asked() -> None:
    est = _small().mean("y", by="g")
    assert "North" in repr(est) and "Score" in repr(est)
    assert "g_code" not in repr(est)
    french = est.in_language("fr")
    assert "Nord" in french._repr_html_() and "Moyenne" in french._repr_html_()
    assert "IC à 95\u00a0%" in repr(french) and "95% CI" in repr(est)
    assert french.estimate.tolist() == est.estimate.tolist()


def test_html_escapes_labels() -> None:
    frame = pd.DataFrame({"g": [1.0, 2.0], "y": [1.0, 2.0]})
    d = cf.Design(_survey(frame, [Variable("g", value_labels={1: "<b>A&B</b>", 2: "x"}),
                                  Variable("y", label="<script>")]))
    page = d.mean("y", by="g")._repr_html_()
    assert "<b>A&B</b>" not in page and "&lt;b&gt;A&amp;B&lt;/b&gt;" in page
    assert "<script>" not in page


def test_plot_ticks_and_axis_title_are_labels() -> None:
    est = _small().mean("y", by="g")
    fig = est.plot(lang="fr")
    ax = fig.axes[0]
    ticks = {t.get_position()[1]: t.get_text() for t in ax.get_yticklabels()}
    assert [ticks[k] for k in sorted(ticks, reverse=True)] == ["Nord", "Sud", "3"]  # first row on top
    assert ax.get_xlabel() == "Moyenne\u00a0: Note"
    assert _small().proportion("ch").plot().axes[0].get_xlabel() == "Proportion: Channel"


def test_axis_labels_name_only_what_differs() -> None:
    d = _small()
    assert d.mean("y").axis_labels() == ["Score"]
    assert d.mean("y", by="g").axis_labels("fr") == ["Nord", "Sud", "3"]
    assert d.mean(["y", "y"], by="g").axis_labels()[0] == "North"  # same wording twice: by only
    assert np.all([" · " in s for s in d.proportion("ch", by="g").axis_labels()])


def test_top_box_results_carry_the_items_wording_and_the_by_labels():
    import citizensfirst as cf
    from citizensfirst.samplegen import sample_path

    survey = cf.read_survey(sample_path("cf2023"))
    design = cf.Design(survey, weights="wt_design")
    frame = cf.scores.top_box(design, "q_overall", 2, by="gender").to_frame("fr")
    assert set(frame["variable_label"]) == {survey.codebook["q_overall"].label_fr}
    assert frame["gender"].tolist() == [survey.codebook["gender"].value_labels_fr[c] for c in frame["gender_code"]]


def test_driver_results_carry_labels_used_by_their_charts_and_display():
    import citizensfirst as cf
    from citizensfirst.charts import importance_chart
    from citizensfirst.samplegen import sample_path

    survey = cf.read_survey(sample_path("cf2023"))
    codebook = survey.codebook
    result = cf.Design(survey, weights="wt_design").drivers(["q_overall", "q_expect"], ["q_time", "q_access"], ci=None)
    french = result.label_map("fr")
    assert french["q_time"] == codebook["q_time"].label_fr
    assert french[result.outcome] == (f"Moyenne de\u00a0: {codebook['q_overall'].label_fr}; "
                                      f"{codebook['q_expect'].label_fr}")
    chart = importance_chart(result, "fr")
    assert codebook["q_access"].label_fr in chart.alt_text and "q_access" not in chart.alt_text
    assert codebook["q_time"].label in result._repr_html_()
