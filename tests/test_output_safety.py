"""Issue 10, items 1, 6, 8 and 10: outputs never destroy a user's files, names from a spec never
become paths or raw HTML, and ``reproduce`` reads every file it vouches for.

A small project (one wave, one table) is built in a temporary folder from the sample data:
``project/study.toml`` and ``project/data/cf2023.sav`` with its codebook.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.cli import main
from citizensfirst.errors import OutputError, SpecError
from citizensfirst.outputs import STAGING_MARKER, LeftoverWarning, check_replaceable_output
from citizensfirst.report.method import sources_html, weighting_html
from citizensfirst.report.pipeline import run_report
from citizensfirst.report.reproduce import reproduce
from citizensfirst.report.spec import StudySpec
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.samplegen.params import SAMPLE_DIR

SPEC = """
[study]
title = "Small study"
languages = ["en"]
seed = 3

[waves.{wave}]
file = "data/cf2023.sav"
year = 2023
weights = "wt_design"

[[tables]]
name = "{table}"
rows = "chan_used"
cols = ["age_grp"]
stat = "percent"
"""


def _project(folder: Path, wave: str = "cf2023", table: str = "channel_by_age") -> Path:
    """A project folder: study.toml and data/ (the 2023 sample wave and its codebook)."""
    (folder / "data").mkdir(parents=True)
    for name in ("cf2023.sav", "cf2023.codebook.toml"):
        shutil.copy(Path(SAMPLE_DIR) / name, folder / "data" / name)
    (folder / "study.toml").write_text(SPEC.format(wave=wave, table=table), encoding="utf-8")
    return folder


def _tree(root: Path) -> dict[str, str]:
    """Every entry under ``root`` with the SHA-256 of its bytes ("dir" for folders)."""
    return {p.relative_to(root).as_posix(): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with its report in project/report, made once; tests work on copies."""
    project = _project(tmp_path_factory.mktemp("built") / "project")
    assert main(["report", str(project / "study.toml"), "--out", str(project / "report")]) == 0
    return project


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(built, copy)
    return copy


# ------------------------------------------------------------------------ report --out (item 1)


@pytest.mark.parametrize("target", [".", "data", "study.toml", "data/cf2023.sav"])
def test_out_holding_or_being_an_input_is_refused_and_nothing_changes(
        project: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(project)
    assert main(["report", str(project / "study.toml"), "--out", str(project / target)]) == 2
    err = capsys.readouterr().err
    assert "input of this run" in err and "Traceback" not in err
    assert _tree(project) == before


def test_out_a_file_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    somefile = project / "notes.txt"
    somefile.write_text("my notes", encoding="utf-8")
    before = _tree(project)
    assert main(["report", str(project / "study.toml"), "--out", str(somefile)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert _tree(project) == before


def test_out_a_folder_of_other_files_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = project / "documents"
    folder.mkdir()
    (folder / "letter.docx").write_bytes(b"dear minister")
    before = _tree(project)
    assert main(["report", str(project / "study.toml"), "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "letter.docx" in err and "not an earlier citizensfirst output" in err
    assert _tree(project) == before


def test_out_the_working_folder_or_its_parent_is_refused(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = project / "empty"
    work.mkdir()
    monkeypatch.chdir(work)
    for target in (".", ".."):
        with pytest.raises(OutputError, match="working folder"):
            check_replaceable_output(target, [project / "study.toml"])
    assert main(["report", str(project / "study.toml"), "--out", "."]) == 2
    assert work.is_dir() and not any(work.iterdir())


def test_out_a_symbolic_link_is_refused(project: Path) -> None:
    link = project / "link"
    link.symlink_to(project / "report", target_is_directory=True)
    before = _tree(project)
    assert main(["report", str(project / "study.toml"), "--out", str(link)]) == 2
    assert _tree(project) == before


def test_rerun_into_an_earlier_report_replaces_it(project: Path) -> None:
    out = project / "report"
    old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (out / "tables" / "channel_by_age.en.csv").write_text("stale", encoding="utf-8")
    assert main(["report", str(project / "study.toml"), "--out", str(out)]) == 0
    new = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "stale" not in (out / "tables" / "channel_by_age.en.csv").read_text(encoding="utf-8-sig")
    assert {r["path"] for r in new["outputs"]} == {r["path"] for r in old["outputs"]}
    assert not [p.name for p in project.iterdir() if p.name.startswith(".report.")]


def test_an_earlier_report_with_a_user_file_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = project / "report"
    (out / "my_commentary.docx").write_bytes(b"keep me")
    before = _tree(project)
    assert main(["report", str(project / "study.toml"), "--out", str(out)]) == 2
    assert "my_commentary.docx" in capsys.readouterr().err
    assert _tree(project) == before


def test_leftovers_of_a_killed_run_are_cleaned_or_reported(project: Path) -> None:
    ours = project / ".report.staging-killed"
    ours.mkdir()
    (ours / STAGING_MARKER).write_text("999999999", encoding="utf-8")  # no such process
    (ours / "tables.xlsx").write_bytes(b"half written")
    old_report = project / ".report.old-killed"
    shutil.copytree(project / "report", old_report)
    foreign = project / ".report.old-foreign"
    foreign.mkdir()
    (foreign / "thesis.pdf").write_bytes(b"not ours")
    with pytest.warns(LeftoverWarning, match="old-foreign"):
        run_report(StudySpec.from_toml(project / "study.toml"), project / "report", progress=lambda m: None)
    assert not ours.exists() and not old_report.exists()
    assert (foreign / "thesis.pdf").read_bytes() == b"not ours"


# ------------------------------------------------------------------------ names from the spec (item 8)


@pytest.mark.parametrize(("wave", "table", "key"), [
    ("cf2023", "../../../../pwned_table", '[[tables]] #1 .name = "../../../../pwned_table"'),
    ('"{abs}"', "t", "[waves."),
    ('"<img src=x onerror=alert(1)>"', "t", '[waves."<img src=x onerror=alert(1)>"]: name'),
])
def test_unsafe_names_are_refused_naming_the_key(tmp_path: Path, wave: str, table: str, key: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    wave = wave.replace("{abs}", (tmp_path / "abs_wave").as_posix())
    project = _project(tmp_path / "project", wave=wave, table=table)
    out = project / "report"
    before = _tree(tmp_path)
    assert main(["report", str(project / "study.toml"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert key in err and "not a safe name" in err
    assert _tree(tmp_path) == before
    assert not (out / "tables" / "../../../../pwned_table.en.csv").resolve().exists()


def test_duplicate_table_names_are_refused(tmp_path: Path) -> None:
    doc = {"waves": {"w": {"file": "a.sav"}},
           "tables": [{"name": "t", "rows": "q", "cols": ["g"]}, {"name": "T", "rows": "q", "cols": ["h"]}]}
    with pytest.raises(SpecError, match="same files"):
        StudySpec.from_dict(doc)


def test_weighting_html_escapes_the_wave_name() -> None:
    record = {"summary": {"method": "raking", "max_relative_error": 1e-12, "kish_deff": 1.5, "effective_n": 1000.0,
                          "trimmed": 0},
              "citation": {"en": "<script>Table</script>", "fr": "<script>Tableau</script>"}}
    for language, table in (("en", "Table"), ("fr", "Tableau")):
        sources: list[str] = []
        text = weighting_html("<img src=x onerror=alert(1)>", record, language, sources)
        text += sources_html(sources, language)
        assert "<script>" not in text and f"&lt;script&gt;{table}" in text
        assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


# ------------------------------------------------------------------------ reproduce (item 6)


def test_reproduce_untouched_report_is_exit_0(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", str(project / "report")]) == 0
    captured = capsys.readouterr()
    assert "reproduced exactly" in captured.out
    assert "[3/4] re-running" in captured.err  # progress on stderr


@pytest.mark.parametrize("name", ["report.html", "tables/channel_by_age.en.csv"])
def test_reproduce_names_an_edited_file(project: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "report" / name
    path.write_bytes(path.read_bytes().replace(b"18-34", b"18-35", 1) + b"\n")
    assert main(["reproduce", str(project / "report")]) == 1
    assert f"edited: {name}" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["report.html", "tables.xlsx"])
def test_reproduce_names_a_deleted_file(project: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "report" / name).unlink()
    assert main(["reproduce", str(project / "report")]) == 1
    err = capsys.readouterr().err
    assert f"missing: {name}" in err and "Traceback" not in err


def test_reproduce_lists_an_extra_file(project: Path) -> None:
    (project / "report" / "charts" / "added.png").write_bytes(b"not from the run")
    assert reproduce(project / "report") == ["extra: charts/added.png (in the folder, not in the manifest)"]


@pytest.mark.parametrize("text", ["{not json", "[]", '{"outputs": []}', '{"citizensfirst_manifest": 2}'])
def test_reproduce_a_corrupt_manifest_is_exit_2(project: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "report" / "manifest.json").write_text(text, encoding="utf-8")
    assert main(["reproduce", str(project / "report")]) == 2
    err = capsys.readouterr().err
    assert "manifest.json" in err and "Traceback" not in err


def test_reproduce_a_moved_project(project: Path, tmp_path: Path) -> None:
    moved = tmp_path / "sent to a reviewer" / "project"
    moved.parent.mkdir()
    project.rename(moved)
    manifest = json.loads((moved / "report" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["spec"]["path"] == "../study.toml"
    assert {r["path"] for r in manifest["inputs"]} == {"study.toml", "data/cf2023.sav", "data/cf2023.codebook.toml"}
    assert main(["reproduce", str(moved / "report")]) == 0


def test_reproduce_a_moved_report_with_spec(project: Path, tmp_path: Path) -> None:
    report = tmp_path / "elsewhere" / "report"
    shutil.copytree(project / "report", report)
    with pytest.raises(OutputError, match="--spec"):
        reproduce(report)
    assert reproduce(report, spec=project / "study.toml") == []


# ------------------------------------------------------------------------ weight, tables, drivers CLIs


@pytest.fixture
def targets(tmp_path: Path) -> Path:
    path = tmp_path / "targets.toml"
    cf.targets.to_toml(cf.targets.canada_2021(["province", "gender"]), path)
    return path


def test_weight_refuses_an_existing_column(tmp_path: Path, targets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "weighted.sav"
    before = _tree(tmp_path)
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--weights", "wt_design", "--name", "prov"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'prov'" in err and "--replace" in err
    assert _tree(tmp_path) == before


def test_weight_replace_overwrites_the_column(tmp_path: Path, targets: Path) -> None:
    out = tmp_path / "weighted.sav"
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets), "--out", str(out),
                 "--weights", "wt_design", "--name", "prov", "--replace"])
    assert code == 0
    weighted = cf.read_survey(out)
    original = cf.read_survey(sample_path("cf2023")).data
    assert list(weighted.data.columns) == list(original.columns)
    assert weighted.data["prov"].nunique() > 13  # raked weights, no longer the 13 province codes
    assert weighted.codebook["prov"].label_fr.startswith("Poids final")


def test_weight_files_change_together_or_not_at_all(tmp_path: Path, targets: Path) -> None:
    report = tmp_path / "weighted.report.csv"
    report.write_text("earlier report", encoding="utf-8")
    code = main(["weight", str(sample_path("cf2023")), "--targets", str(targets),
                 "--out", str(tmp_path / "weighted.xlsx"), "--weights", "wt_design"])
    assert code == 2  # .xlsx is not a data format: the data file cannot be written
    assert report.read_text(encoding="utf-8") == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.toml", "weighted.report.csv"]


def test_weight_report_csv_is_neutralised(tmp_path: Path) -> None:
    survey = cf.Survey(pd.DataFrame({"grp": ["=cmd", "ok"] * 20, "y": range(40)}))
    data = tmp_path / "hostile.csv"
    cf.write_survey(survey, data)
    targets = tmp_path / "t.toml"
    targets.write_text('[margins.grp]\n"=cmd" = 0.4\n"ok" = 0.6\n', encoding="utf-8")
    assert main(["weight", str(data), "--targets", str(targets), "--out", str(tmp_path / "w.csv")]) == 0
    text = (tmp_path / "w.report.csv").read_text(encoding="utf-8")
    assert "'=cmd" in text and ",=cmd" not in text and not text.startswith("=")


def test_weight_out_equal_to_the_input_is_refused(tmp_path: Path, targets: Path) -> None:
    data = tmp_path / "cf2023.sav"
    shutil.copy(sample_path("cf2023"), data)
    before = _tree(tmp_path)
    assert main(["weight", str(data), "--targets", str(targets), "--out", str(data), "--weights", "wt_design"]) == 2
    assert _tree(tmp_path) == before


def test_tables_out_equal_to_the_input_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "cf2023.sav"
    shutil.copy(sample_path("cf2023"), data)
    before = _tree(tmp_path)
    assert main(["tables", str(data), "--rows", "chan_used", "--cols", "age_grp", "--out", str(data)]) == 2
    assert _tree(tmp_path) == before


@pytest.mark.slow
def test_drivers_out_follows_the_report_rule(project: Path) -> None:
    args = ["drivers", str(project / "data" / "cf2023.sav"), "--outcome", "q_overall", "--drivers", "q_time",
            "q_outcome", "--weights", "wt_design", "--replicates", "0", "--lang", "en"]
    before = _tree(project)
    assert main([*args, "--out", str(project / "data")]) == 2
    assert main([*args, "--out", str(project / "study.toml")]) == 2
    assert _tree(project) == before
    out = project / "drivers"
    assert main([*args, "--out", str(out)]) == 0
    assert main([*args, "--out", str(out)]) == 0  # an earlier output of drivers may be replaced
    listed = {r["path"] for r in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    assert {"drivers.csv", "pairwise.csv", "importance.en.png"} <= listed
    assert set(os.listdir(out)) <= listed | {"manifest.json"}


def test_no_warning_on_a_clean_rerun(project: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeftoverWarning)
        run_report(StudySpec.from_toml(project / "study.toml"), project / "report", progress=lambda m: None)
