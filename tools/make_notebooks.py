"""Write the example notebooks in notebooks/ from the cell sources below (run by hand).

The notebooks are committed; tests/test_notebooks.py executes every one of them, so they cannot
rot. Edit the cells here and re-run ``python tools/make_notebooks.py`` to regenerate them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1] / "notebooks"

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01_quickstart.ipynb": [
        ("md", "# Quickstart: load, weight, estimate\n\nLoad a Citizens First wave with its labels, "
               "weight it to the 2021 Census and get design-based estimates with honest standard errors."),
        ("code", "import citizensfirst as cf\nfrom citizensfirst.samplegen import sample_path\n\n"
                 "sv = cf.read_survey(sample_path(\"cf2023\"))\nsv"),
        ("md", "The codebook keeps English and French wording and the *don't know* codes, which are "
               "missing in the data but counted:"),
        ("code", "print(sv.codebook[\"q_fair\"].label, \"/\", sv.codebook[\"q_fair\"].label_fr)\n"
                 "sv.missing_counts(\"q_fair\")"),
        ("md", "## Design and weighting\n\nThe file carries a design weight for the provincial "
               "oversampling; raking to the Census removes the age, gender and education skew."),
        ("code", "design = cf.Design(sv, weights=\"wt_design\")\n"
                 "targets = cf.targets.canada_2021([\"province\", \"age\", \"gender\", \"education\"])\n"
                 "weighted = design.rake(targets)\nweighted.report"),
        ("code", "assert weighted.report.max_relative_error < 1e-8  # every margin is met"),
        ("md", "## Estimates\n\nEvery estimate carries its SE, CI (t with the design degrees of freedom), "
               "design effect, CV, unweighted n and a Statistics Canada quality flag."),
        ("code", "weighted.mean([\"q_time\", \"q_courtesy\", \"q_overall\"])"),
        ("code", "weighted.proportion(\"chan_used\", ci=\"logit\")"),
        ("code", "by_province = weighted.mean(\"q_time\", by=\"prov\").to_frame()\n"
                 "by_province[[\"prov\", \"estimate\", \"se\", \"cv\", \"n\", \"flag\"]]"),
        ("md", "Weighting matters: the design-weighted mean is biased by the sample's skew."),
        ("code", "print(round(design.mean(\"q_time\").estimate, 3), round(weighted.mean(\"q_time\").estimate, 3))"),
    ],
    "02_drivers.ipynb": [
        ("md", "# Which service drivers move satisfaction?\n\nExact Shapley (LMG) decomposition of the "
               "weighted R², with bootstrap confidence intervals, on the raked 2023 wave."),
        ("code", "import citizensfirst as cf\nfrom citizensfirst.samplegen import sample_path\n\n"
                 "sv = cf.read_survey(sample_path(\"cf2023\"))\n"
                 "design = cf.Design(sv, weights=\"wt_design\").rake(\n"
                 "    cf.targets.canada_2021([\"province\", \"age\", \"gender\", \"education\"]))"),
        ("code", "drivers = [\"q_time\", \"q_access\", \"q_staff_knowledge\", \"q_courtesy\", \"q_fair\",\n"
                 "           \"q_outcome\", \"q_contacts\", \"q_extra_mile\"]\n"
                 "result = design.drivers([\"q_overall\", \"q_expect\", \"q_value\"], drivers, replicates=100, seed=7)\n"
                 "result"),
        ("md", "The documented true ranking of the sample study starts outcome > timeliness > staff knowledge:"),
        ("code", "top3 = result.table.sort_values(\"rank\").index[:3].tolist()\nprint(top3)\n"
                 "assert top3 == [\"q_outcome\", \"q_time\", \"q_staff_knowledge\"]"),
        ("md", "Is timeliness more important than staff knowledge? The pairwise differences have their "
               "own replicate standard errors:"),
        ("code", "result.pairwise.head()"),
        ("code", "from citizensfirst.drivers import importance_performance\nimportance_performance(result)"),
    ],
}


def build() -> None:
    """Write every notebook (outputs empty; tests execute them)."""
    ROOT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                    for kind, src in cells]
        nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    build()
