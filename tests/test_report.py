"""The report pipeline end to end on a copy of the bundled sample study.

Also the checks of issue 7: reproduce says identical, or names the changed input; bad specs,
corrupt inputs and unmet targets exit 2 / 1 and leave earlier output untouched; report.html is
accessible and loads cleanly in headless Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from citizensfirst.cli import main
from citizensfirst.report.manifest import digest
from citizensfirst.report.pipeline import run_report
from citizensfirst.report.reproduce import reproduce
from citizensfirst.report.spec import StudySpec
from citizensfirst.samplegen.params import SAMPLE_DIR

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from check_report_html import browser_problems, find_chromium, static_problems

# every test here runs the full sample report (about 35 s) or Chromium: outside the quick subset
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the sample study (so inputs can be changed)."""
    folder = tmp_path_factory.mktemp("study")
    for path in Path(SAMPLE_DIR).iterdir():
        if path.is_file():
            shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def report(study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "report"
    run_report(StudySpec.from_toml(study / "study.toml"), out, progress=lambda m: None)
    return out


def test_report_writes_every_output(report: Path) -> None:
    for name in ("tables.xlsx", "report.html", "report.fr.html", "manifest.json", "numbers.json"):
        assert (report / name).is_file(), name
    charts = {p.name for p in (report / "charts").iterdir()}
    for stem in ("drivers_importance", "drivers_quadrant", "distribution", "channels", "trend_q_time_mean"):
        for lang in ("en", "fr"):
            for ext in ("png", "svg", "txt", "csv"):
                assert f"{stem}.{lang}.{ext}" in charts
    assert {p.name for p in (report / "weighting").iterdir()} == {"cf2018.csv", "cf2020.csv", "cf2023.csv"}


def test_manifest_records_inputs_versions_seeds_and_numbers(report: Path, study: Path) -> None:
    manifest = json.loads((report / "manifest.json").read_text())
    recorded = {Path(r["path"]).name for r in manifest["inputs"]}
    assert {"cf2018.sav", "cf2020.sav", "cf2023.sav", "study.toml", "harmonization.toml",
            "cf2023.codebook.toml"} <= recorded
    assert manifest["seeds"]["study"] == 20261126
    assert manifest["versions"]["citizensfirst"]
    numbers = json.loads((report / "numbers.json").read_text())
    assert manifest["numbers_digest"] == digest(numbers)
    outputs = {r["path"] for r in manifest["outputs"]}
    assert "report.html" in outputs and "charts/channels.fr.png" in outputs


def test_report_numbers_recover_the_sample_truth(report: Path) -> None:
    numbers = json.loads((report / "numbers.json").read_text())
    for wave in numbers["weighting"].values():
        assert wave["summary"]["max_relative_error"] < 1e-8
    drivers = sorted(numbers["drivers"]["table"], key=lambda row: row["rank"])
    assert [row["driver"] for row in drivers[:3]] == ["q_outcome", "q_time", "q_staff_knowledge"]
    changes = {row["to_wave"]: row for row in numbers["trends"]["q_time.mean"]["changes"]}
    assert changes[2023]["significant"] and changes[2023]["change"] < 0
    courtesy = {row["to_wave"]: row for row in numbers["trends"]["q_courtesy.mean"]["changes"]}
    assert not courtesy[2023]["significant"]


def test_reproduce_is_identical_then_names_a_changed_input(report: Path, study: Path) -> None:
    assert reproduce(report) == []
    target = study / "cf2020.sav"
    original = target.read_bytes()
    try:
        changed = bytearray(original)
        changed[-1] ^= 0x01
        target.write_bytes(bytes(changed))
        assert main(["reproduce", str(report)]) == 1
        differences = reproduce(report)
        assert len(differences) == 1 and "cf2020.sav changed" in differences[0]
    finally:
        target.write_bytes(original)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_failures_exit_nonzero_and_leave_earlier_output(report: Path, study: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(report)
    spec_text = (study / "study.toml").read_text()
    misspelt = study / "misspelt.toml"
    misspelt.write_text(spec_text.replace('"q_outcome",\n', '"q_outcom",\n', 1)
                        if '"q_outcome",\n' in spec_text else spec_text.replace('"q_outcome"', '"q_outcom"', 1))
    assert main(["report", str(misspelt), "--out", str(report)]) == 2
    assert "q_outcom" in capsys.readouterr().err
    unmet = study / "unmet.toml"
    rake = '[[weighting]]\nmethod = "rake"\n'
    assert rake in spec_text
    unmet.write_text(spec_text.replace(rake, rake + "max_iter = 1\n"))
    assert main(["report", str(unmet), "--out", str(report)]) == 1
    assert "did not meet its targets" in capsys.readouterr().err
    corrupt_dir = tmp_path / "corrupt"
    shutil.copytree(study, corrupt_dir)
    (corrupt_dir / "cf2018.sav").write_bytes(b"not an SPSS file")
    assert main(["report", str(corrupt_dir / "study.toml"), "--out", str(report)]) == 2
    assert "cf2018.sav" in capsys.readouterr().err
    assert _snapshot(report) == before
    assert not [p for p in report.parent.iterdir() if p.name.startswith(f".{report.name}")]


def test_sample_command_runs(tmp_path: Path) -> None:
    assert main(["report", "--sample", "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "report.html").is_file()


@pytest.mark.parametrize("name", ["report.html", "report.fr.html"])
def test_report_html_is_accessible_and_self_contained(report: Path, name: str) -> None:
    text = (report / name).read_text(encoding="utf-8")
    assert static_problems(text) == []
    assert f'lang="{"fr" if "fr" in name else "en"}"' in text


def test_report_html_loads_cleanly_in_chromium(report: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI: .ci/run installs it")
        pytest.skip("Chromium not installed on this machine (.ci/run installs it for CI)")
    assert browser_problems(report / "report.html", chromium) == []


def test_chart_axes_and_alt_text_name_what_is_charted(report: Path) -> None:
    charts = report / "charts"
    top2 = (charts / "trend_q_overall_top2.en.txt").read_text(encoding="utf-8")
    assert "top two" in top2 and "mean score" not in top2.lower()
    top2_fr = (charts / "trend_q_overall_top2.fr.txt").read_text(encoding="utf-8")
    assert "deux" in top2_fr and "score moyen" not in top2_fr.lower()
    mean = (charts / "trend_q_time_mean.en.txt").read_text(encoding="utf-8")
    assert "0-100" in mean
    quadrant = (charts / "drivers_quadrant.en.txt").read_text(encoding="utf-8")
    assert "mean(q_overall" not in quadrant and "overall satisfaction" in quadrant.lower()


def test_weighting_section_lists_each_target_source_once(report: Path) -> None:
    for name, words in (("report.html", "Population estimates on July 1"),
                        ("report.fr.html", "Estimations de la population au 1er juillet")):
        page = (report / name).read_text(encoding="utf-8")
        weighting = page.split("<h2", 3)[3].split("<h2", 1)[0]  # contents, method, then weighting
        assert weighting.lstrip().split(">", 1)[1].startswith(("Weighting", "Pondération"))
        assert weighting.count(words) == 1
        assert weighting.count("source 1)") == 3  # the three waves refer to it


def test_method_section_names_the_target_table_briefly(report: Path) -> None:
    for name, short in (("report.html", "Statistics Canada, Table 17-10-0005-01 (July 1, 2025)"),
                        ("report.fr.html", "Statistique Canada, tableau 17-10-0005-01 (1er juillet 2025)")):
        method = (report / name).read_text(encoding="utf-8").split("<h2", 3)[2]
        assert method.count(short) == 3 and "doi.org" not in method  # the full citation is under Weighting
