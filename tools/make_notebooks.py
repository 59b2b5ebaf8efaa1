"""Write the example notebooks in notebooks/ from the cell sources below (run by hand).

The notebooks are committed; tests/test_notebooks.py executes every one of them, so they cannot
rot. Edit the cells here and re-run ``python tools/make_notebooks.py`` to regenerate them.
"""

from __future__ import annotations

import hashlib
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
    "03_waves_trends.ipynb": [
        ("md", "# Waves and trends: harmonise, weight, test the changes\n\nThe three synthetic Citizens "
               "First waves (2018, 2020, 2023) differ in names, scales and don't-know codes. The bundled "
               "harmonisation spec puts them on common variables; each wave is raked to the 2021 Census "
               "with its own design, and changes between waves are tested."),
        ("code", "import citizensfirst as cf\nfrom citizensfirst.samplegen import sample_path\n"
                 "from citizensfirst.waves import sample_harmonization_path\n\n"
                 "margins = cf.targets.canada_2021([\"province\", \"age\", \"gender\", \"education\"])\n\n"
                 "def design(wave):\n"
                 "    survey = cf.read_survey(sample_path(wave))\n"
                 "    if wave == \"cf2020\":  # 13 province strata, 172 area clusters\n"
                 "        return cf.Design(survey, weights=\"wt_design\", strata=\"stratum\", psu=\"psu\", nest=True)\n"
                 "    return cf.Design(survey, weights=\"wt_design\", strata=\"prov\")  # SRS within province\n\n"
                 "designs = {year: design(f\"cf{year}\").rake(margins) for year in (2018, 2020, 2023)}\n"
                 "study = cf.Study(designs, harmonization=sample_harmonization_path())\nstudy"),
        ("md", "Each wave keeps its own weights, strata and PSUs. The waves are independent samples, so the "
               "SE of a change is `sqrt(se1² + se2²)`, tested with t on the smaller design df."),
        ("code", "time = study.trend(\"q_time\")\ntime"),
        ("code", "drop = time.changes.set_index([\"from_wave\", \"to_wave\"]).loc[(2020, 2023)]\n"
                 "print(round(drop[\"change\"], 3), round(drop[\"se\"], 3), f\"p = {drop['p_value']:.1e}\")\n"
                 "assert drop[\"change\"] < 0 and drop[\"significant\"]  # the real drop in timeliness\n"
                 "assert drop[\"ci_low\"] < -0.322 < drop[\"ci_high\"]      # covers the true change"),
        ("code", "courtesy = study.trend(\"q_courtesy\")\n"
                 "print(courtesy.changes[[\"from_wave\", \"to_wave\", \"change\", \"p_value\", \"significant\"]])\n"
                 "assert not courtesy.changes[\"significant\"].any()  # no real change in courtesy"),
        ("md", "A change of scale is flagged: `q_overall` was asked on 0-10 in 2018 and rescaled to 1-5."),
        ("code", "print(study.trend(\"q_overall\", stat=\"top2\").notes)"),
        ("md", "## The trend chart\n\n`from_trend` turns a `Trend` into the chart's input (significant "
               "changes from the previous wave marked); the chart has alt text in English or French."),
        ("code", "from citizensfirst.charts import trend_chart\nfrom citizensfirst.charts.trend import from_trend\n\n"
                 "data = from_trend(time)\nassert data.set_index(\"wave\").loc[2023, \"significant_change\"]\n"
                 "chart = trend_chart(data, language=\"fr\", title=\"Délai raisonnable (moyenne 1-5)\", score_axis=False)\n"
                 "print(chart.alt_text)\nchart"),
        ("code", "import tempfile, pathlib\n\nfolder = pathlib.Path(tempfile.mkdtemp())\n"
                 "[p.name for p in chart.save(folder / \"trend_q_time_fr\")]"),
    ],
    "04_tables_report.ipynb": [
        ("md", "# Tables and the report pipeline\n\nA banner table with significance letters, exported to "
               "Excel; then the whole sample study run from its spec, and reproduced."),
        ("code", "import tempfile, pathlib\n\nimport citizensfirst as cf\nfrom citizensfirst.samplegen import sample_path\n\n"
                 "margins = cf.targets.canada_2021([\"province\", \"age\", \"gender\", \"education\"])\n"
                 "design = cf.Design(cf.read_survey(sample_path(\"cf2023\")), weights=\"wt_design\", strata=\"prov\").rake(margins)\n"
                 "folder = pathlib.Path(tempfile.mkdtemp())"),
        ("code", "banner = design.banner([\"q_time\", \"q_courtesy\", \"q_outcome\"], [\"age_grp\", \"gender\"], stat=\"top2\")\n"
                 "banner"),
        ("md", "A letter in a cell names the columns it is significantly higher than (design-based t test "
               "of each pair of columns of the same variable, within the row). Every test is in `tests`:"),
        ("code", "tests = banner.tests\nprint(tests[tests[\"significant\"]][[\"row_level\", \"letter_a\", \"letter_b\", \"difference\", \"p\"]].head())\n"
                 "young_vs_old = banner.cells.query(\"row_level == 'q_time' and column_variable == 'age_grp'\")\n"
                 "print(young_vs_old[[\"column_label\", \"value\", \"letters\"]])\n"
                 "assert young_vs_old[\"letters\"].str.len().sum() > 0  # age groups differ on timeliness"),
        ("code", "french = design.crosstab(\"chan_used\", \"age_grp\", language=\"fr\")\n"
                 "banner.to_xlsx(folder / \"banner.xlsx\")\n"
                 "from citizensfirst.tables import write_tables\n"
                 "write_tables([banner, french], folder / \"tables.xlsx\", sheet_names=[\"Ratings\", \"Modes\"])\n"
                 "import openpyxl\nopenpyxl.load_workbook(folder / \"tables.xlsx\").sheetnames"),
        ("md", "## The sample study, from its spec\n\n`run_report` reads the three waves, rakes them, builds "
               "the tables, the driver analysis, the charts and the trends, and writes the output folder "
               "with `numbers.json` and `manifest.json` (a few seconds)."),
        ("code", "from citizensfirst.report.pipeline import run_report, sample_spec_path\n"
                 "from citizensfirst.report.spec import StudySpec\n\n"
                 "spec = StudySpec.from_toml(sample_spec_path())\n"
                 "manifest = run_report(spec, folder / \"report\", progress=print)\n"
                 "outputs = [record[\"path\"] for record in manifest[\"outputs\"]]\n"
                 "print(len(outputs), \"files\")\n"
                 "[p for p in outputs if not p.startswith(\"charts/\")]"),
        ("code", "assert {\"tables.xlsx\", \"report.html\", \"report.fr.html\", \"numbers.json\"} <= set(outputs)\n"
                 "sorted({p.split(\"/\")[1].split(\".\")[0] for p in outputs if p.startswith(\"charts/\")})"),
        ("md", "## Reproduce\n\nThe manifest records the SHA-256 of every input and output. `reproduce` checks "
               "the inputs, re-runs the spec and lists every number or file that differs."),
        ("code", "from citizensfirst.report.reproduce import reproduce\n\n"
                 "differences = reproduce(folder / \"report\")\nassert differences == [], differences\n"
                 "print(\"reproduced exactly\")"),
    ],
}


def build() -> None:
    """Write every notebook (outputs empty; tests execute them); the same cells give the same bytes."""
    ROOT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                    for kind, src in cells]
        for index, cell in enumerate(nb.cells):  # stable ids: regenerating changes nothing
            cell.id = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]
        nbformat.write(nb, ROOT / name)


if __name__ == "__main__":
    build()
