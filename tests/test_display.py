"""Concise text and HTML displays of Design, Study, Trend; Estimate.plot() shown once in Jupyter."""

from __future__ import annotations

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

import citizensfirst as cf
from citizensfirst.display import brief, step_text
from citizensfirst.io.codebook import Codebook, Variable
from citizensfirst.samplegen import sample_path
from citizensfirst.waves import sample_harmonization_path


@pytest.fixture(scope="module")
def raked() -> cf.Design:
    design = cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design")
    return design.rake(cf.targets.canada_2021(["province", "age"])).trim(upper=5.0)


@pytest.fixture(scope="module")
def study() -> cf.Study:
    designs = {y: cf.Design(cf.read_survey(sample_path(f"cf{y}")), weights="wt_design") for y in (2020, 2023)}
    designs[2023] = designs[2023].rake(cf.targets.canada_2021(["province"]))
    return cf.Study(designs, harmonization=sample_harmonization_path())


def test_design_repr_states_weights_structure_and_history(raked: cf.Design) -> None:
    text = repr(raked)
    facts = dict(raked.facts())
    assert facts["weights"].startswith("wt_design, then rake, trim (sum 4,300")
    assert facts["strata"] == "none" and facts["fpc"] == "none" and facts["lonely PSU"] == "fail"
    assert facts["PSUs"] == "stage 1: each row (4,300)"
    assert facts["step 2"].startswith("rake(margins: prov (13), age_grp (3); total=4300")
    assert facts["step 3"].startswith("trim(") and "upper=5" in facts["step 3"]
    assert "cf2023.sav" in text and len(text.splitlines()) == 1 + len(facts)
    assert len(text) < 1000  # the 16 margin targets are counted, not dumped
    page = raked._repr_html_()
    assert page.count("<tr>") == len(facts) and "1143.75" not in page and len(page) < 2500


def test_design_repr_of_a_clustered_fpc_and_a_replicate_design() -> None:
    df = pd.DataFrame({"y": np.arange(8.0), "s": [1, 1, 1, 1, 2, 2, 2, 2], "p": [1, 1, 2, 2, 3, 3, 4, 4],
                       "f": [10.0] * 8})
    d = cf.Design(df, strata="s", psu="p", fpc="f", lonely_psu="adjust")
    facts = dict(d.facts())
    assert facts["strata"] == "s (2 strata)" and facts["PSUs"] == "stage 1: p (4)"
    assert facts["fpc"] == "f" and facts["lonely PSU"] == "adjust"
    reps = dict(d.as_replicate("jkn").subset("s == 1").facts())
    assert reps["replicates"].startswith("jkn, 4 replicates")
    assert reps["rows"] == "8 (4 in the domain)" and "strata" not in reps
    assert reps["step 3"] == "subset(condition=s == 1)"


def test_design_html_escapes_names() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0], "<w>": [1.0, 2.0]})
    page = cf.Design(df, weights="<w>")._repr_html_()
    assert "<w>" not in page and "&lt;w&gt;" in page


def test_brief_shortens_long_values() -> None:
    assert brief("x" * 200).endswith("…") and len(brief("x" * 200)) == 80
    assert step_text("rake", {"margins": {"a": {1: 2.0}}, "bounds": None}) == "rake(margins: a (1))"


def test_study_repr_lists_each_wave_design_and_the_harmonisation(study: cf.Study) -> None:
    facts = dict(study.facts())
    assert facts["harmonisation"].startswith("harmonization.toml (")
    assert facts["wave 2020"].startswith("4,040 rows; no strata, no clusters")
    assert facts["wave 2023"].endswith("calibrated weights; weighting: rake")
    assert repr(study).startswith("<Study: 2 waves>") and len(repr(study)) < 600
    page = study._repr_html_()
    assert "<table>" in page and page.count("<tr>") == 3


def test_trend_display_is_labelled_concise_and_escaped(study: cf.Study) -> None:
    trend = study.trend("q_overall", by="gender")
    text = repr(trend)
    assert "Mean: Overall satisfaction with the service" in text
    assert "Woman" in text and "2020 → 2023" not in text.split("changes:")[0]
    assert len(text.splitlines()) < 20
    page = trend._repr_html_()
    assert page.count("<table>") == 2 and "Another gender" in page and len(page) < 8000


def test_trend_html_escapes_labels() -> None:
    variables = [Variable("g", value_labels={1: "<i>A</i>", 2: "B & C"}), Variable("y", label="<y>")]
    designs = {w: cf.Design(cf.Survey(pd.DataFrame({"g": [1.0, 2.0] * 3, "y": np.arange(6.0) + w}),
                                      Codebook(variables))) for w in (1, 2)}
    page = cf.Study(designs).trend("y", by="g")._repr_html_()
    assert "<i>" not in page and "&lt;i&gt;A&lt;/i&gt;" in page and "B &amp; C" in page
    assert "<y>" not in page and "&lt;y&gt;" in page


def test_plot_leaves_no_pyplot_figure_open() -> None:
    plt.close("all")
    fig = cf.Design(pd.DataFrame({"y": [1.0, 2.0, 4.0]})).mean("y").plot()
    assert plt.get_fignums() == []
    assert fig.axes[0].get_xlabel() == "Mean: y"


@pytest.mark.slow
def test_plot_is_displayed_once_in_a_notebook() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\nimport citizensfirst as cf\n"
        "cf.Design(pd.DataFrame({'y': [1.0, 2.0, 4.0], 'g': [1, 1, 2]})).mean('y', by='g').plot()")]
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[0].outputs
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, [o.get("output_type") for o in outputs]


@pytest.mark.slow
def test_results_render_as_concise_tables_in_a_notebook() -> None:
    """DriverResult, Codebook, Design, Study and Trend, each the last expression of an executed
    cell: Jupyter shows an HTML table (labels, not a dump) and a short text form."""
    setup = (
        "import citizensfirst as cf\n"
        "from citizensfirst.samplegen import sample_path\n"
        "from citizensfirst.waves import sample_harmonization_path\n"
        "sv = cf.read_survey(sample_path('cf2023'))\n"
        "d = cf.Design(sv, weights='wt_design', strata='prov')\n"
        "waves = {y: cf.Design(cf.read_survey(sample_path(f'cf{y}')), weights='wt_design') for y in (2020, 2023)}\n"
        "study = cf.Study(waves, harmonization=sample_harmonization_path())")
    shown = {
        "DriverResult": "d.drivers('q_overall', ['q_time', 'q_access', 'q_outcome'], ci=None)",
        "Codebook": "sv.codebook",
        "Design": "d",
        "Study": "study",
        "Trend": "study.trend('q_time')",
    }
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(code) for code in shown.values()]
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    for cell, name in zip(notebook.cells[1:], shown, strict=True):
        data = next(o["data"] for o in cell.outputs if o.get("output_type") == "execute_result")
        page, text = data["text/html"], data["text/plain"]
        assert "<table" in page, name
        assert len(page) < 60_000 and len(text.splitlines()) <= 40, (name, len(page), len(text.splitlines()))
    driver_page = notebook.cells[1].outputs[0]["data"]["text/html"]
    assert "It took a reasonable amount of time" in driver_page  # drivers by label, not by code
    codebook_page = notebook.cells[2].outputs[0]["data"]["text/html"]
    assert "Overall satisfaction with the service" in codebook_page and "q_overall" in codebook_page
