"""Review of issue 12 as a reader of the displays and the French report would see them."""

from __future__ import annotations

import html
from functools import cache

import numpy as np
import pytest

import citizensfirst as cf
from citizensfirst.charts import Chart, importance_chart, quadrant_chart
from citizensfirst.drivers.driver_result import DriverResult
from citizensfirst.report.designs import apply_weighting, design_from_wave
from citizensfirst.report.html import figure
from citizensfirst.report.pipeline import sample_spec_path
from citizensfirst.report.pubtables import CHART_TITLES, outcome_label
from citizensfirst.report.spec import StudySpec
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


# ----------------------------------------------------------------------------- quadrant leaders


def _segments_intersect(p: np.ndarray, q: np.ndarray) -> bool:
    """Whether segments p = (p0, p1) and q = (q0, q1) cross (a proper intersection)."""
    def orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return (orient(p[0], p[1], q[0]) * orient(p[0], p[1], q[1]) < 0
            and orient(q[0], q[1], p[0]) * orient(q[0], q[1], p[1]) < 0)


def _leader_problems(chart: Chart) -> list[str]:
    """Leader lines (solid two-point lines) that cross each other, a threshold line, or a label
    other than the one at their end: measured in pixels on the drawn figure."""
    fig = chart.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    pixels = [ax.transData.transform(np.column_stack(line.get_data())) for line in ax.get_lines()]
    leaders = [p for line, p in zip(ax.get_lines(), pixels, strict=True)
               if line.get_linestyle() == "-" and len(p) == 2]
    thresholds = [p[[0, -1]] for line, p in zip(ax.get_lines(), pixels, strict=True) if line.get_linestyle() == "--"]
    boxes = [np.array(t.get_window_extent(renderer).extents) for t in ax.texts if t.get_text().strip()]
    problems = []
    for i, a in enumerate(leaders):
        problems += [f"leader {i} crosses leader {j}" for j, b in enumerate(leaders[i + 1:], i + 1)
                     if _segments_intersect(a, b)]
        problems += [f"leader {i} crosses a threshold line" for t in thresholds if _segments_intersect(a, t)]
        along = a[0] + np.linspace(0, 1, 400)[:, None] * (a[1] - a[0])
        for box in boxes:
            if box[0] - 3 <= a[1][0] <= box[2] + 3 and box[1] - 3 <= a[1][1] <= box[3] + 3:
                continue  # its own label
            inside = ((along[:, 0] > box[0] + 1) & (along[:, 0] < box[2] - 1)
                      & (along[:, 1] > box[1] + 1) & (along[:, 1] < box[3] - 1))
            if inside.any():
                problems.append(f"leader {i} runs through a label")
    return problems


@cache
def _report_drivers() -> DriverResult:
    """The sample report's driver analysis (its cf2023 wave, weighted as the report weights it): the
    3-item outcome index on its 8 drivers, without the bootstrap (the chart needs the shares only)."""
    spec = StudySpec.from_toml(sample_spec_path())
    wave = spec.wave("cf2023")
    design = design_from_wave(wave, cf.read_survey(sample_path("cf2023")), source=spec.source)
    design = apply_weighting(design, wave.weighting, where="study.toml")
    return design.drivers(list(spec.drivers.outcome), list(spec.drivers.drivers))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_quadrant_leader_lines_cross_nothing_on_the_report_drivers(language: str) -> None:
    result, codebook = _report_drivers(), _cf2023().codebook
    labels = {name: codebook[name].label_fr if language == "fr" else codebook[name].label for name in result.drivers}
    chart = quadrant_chart(result, "mean", language, CHART_TITLES["quadrant"][language], labels=labels)
    assert _leader_problems(chart) == []


def test_leader_check_detects_crossing_leaders() -> None:
    chart = quadrant_chart(_report_drivers(), "mean", "fr", "Importance")
    ax = chart.figure.axes[0]
    ax.plot([1, 20], [50, 70], "-", color="k")
    ax.plot([1, 20], [70, 50], "-", color="k")
    assert any("crosses leader" in p for p in _leader_problems(chart))


def test_estimate_display_names_variables_by_their_wording_and_writes_french_numbers() -> None:
    two = _cf2023().mean(["q_time", "q_courtesy"])
    text = repr(two)
    assert "Staff were courteous" in text and "q_courtesy" not in text
    assert "q_time" not in two._repr_html_()
    one = _cf2023().mean("q_time", by="age_grp").in_language("fr")
    rows = repr(one).splitlines()[2:]
    assert rows[0].split()[:4] == ["18", "à", "34", "ans"]
    estimate = one.to_frame()["estimate"].iloc[0]
    assert f"{estimate:.6g}".replace(".", ",") in rows[0]  # a decimal comma, not 3.29...
    assert f"<td>{estimate:.6g}</td>".replace(".", ",") in one._repr_html_()
    assert "q_time" not in repr(one)  # the title names the one variable


def test_estimate_plot_writes_french_axis_numbers_with_a_decimal_comma() -> None:
    figure = _cf2023().mean("q_overall", by="prov").plot(lang="fr")
    figure.canvas.draw()
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels() if t.get_text()]
    assert any("," in t for t in ticks) and not any("." in t for t in ticks), ticks
    english = _cf2023().mean("q_overall", by="prov").plot(lang="en")
    english.canvas.draw()
    assert any("." in t.get_text() for t in english.axes[0].get_xticklabels()), "the check can fail"


@pytest.mark.parametrize(("language", "heading", "vague"), [
    ("en", "Importance (% of explained variance)", "Value"),
    ("fr", "Importance (% de la variance expliquée)", "Valeur")])
def test_importance_chart_data_says_what_the_values_measure(language: str, heading: str, vague: str) -> None:
    chart = importance_chart(_report_drivers(), language, "Importance")
    page = figure(chart, language)
    data = page[page.index("<details>"):]
    assert f'<th scope="col">{html.escape(heading)}</th>' in data
    assert f'<th scope="col">{vague}</th>' not in data


def test_an_outcome_index_is_named_as_a_mean_of_its_items() -> None:
    labels = {"q_overall": "Satisfaction globale à l'égard du service", "q_value": "Rapport qualité-prix pour vos impôts"}
    assert outcome_label(["q_overall", "q_value"], labels, "fr") == (
        "la moyenne de 2 énoncés (satisfaction globale à l'égard du service; rapport qualité-prix pour vos impôts)")
