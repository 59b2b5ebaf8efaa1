"""The command line mirrors the study spec (issue #13 item 3): the design options are a wave table
validated by the spec's schema, ``--spec FILE --wave NAME`` takes the design from a spec, and
``validate`` / ``init`` check and start a spec. Golden values come from R's survey package."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from citizensfirst.cli import build_parser, main
from citizensfirst.cli.common import command_wave, survey_and_design
from citizensfirst.report.spec import StudySpec
from citizensfirst.samplegen import sample_path
from citizensfirst.samplegen.params import SAMPLE_DIR

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
EXTRA = Path(__file__).resolve().parent / "reference"


def _golden(path: Path, call: str) -> dict:
    doc = json.loads(path.read_text())
    return next(e["result"] for e in doc["entries"] if e["call"] == call)


def _design(argv: list[str]):
    args = build_parser().parse_args(argv)
    wave, inputs = command_wave(args)
    return survey_and_design(wave, args.spec)[1], inputs


def test_strata_and_fpc_options_match_r():
    design, _ = _design(["tables", str(SHARED / "data" / "apistrat.csv"), "--rows", "api00", "--cols", "stype",
                         "--out", "t.xlsx", "--weights", "pw", "--strata", "stype", "--fpc", "fpc"])
    golden = _golden(SHARED / "golden" / "survey_estimation.json", "svymean(~api00, dstrat, deff=TRUE)")
    frame = design.mean("api00").to_frame()
    assert frame["estimate"].iloc[0] == pytest.approx(golden["estimate"]["api00"], rel=1e-10)
    assert frame["se"].iloc[0] == pytest.approx(golden["se"]["api00"], rel=1e-8)


def test_two_stages_with_an_fpc_each_match_r():
    design, _ = _design(["drivers", str(EXTRA / "data" / "apiclus2.csv"), "--outcome", "api00", "--drivers", "ell",
                         "--out", "d", "--psu", "dnum", "snum", "--fpc", "fpc1", "fpc2"])
    golden = _golden(EXTRA / "golden" / "extra_twostage.json", "svyby(~api00, ~stype, dclus2, svymean, deff=TRUE)")
    frame = design.mean("api00", by="stype").to_frame()
    assert frame["estimate"].tolist() == pytest.approx(golden["estimate"], rel=1e-10)
    assert frame["se"].tolist() == pytest.approx(golden["se"], rel=1e-8)


def test_supplied_jk1_replicate_weights_match_r(tmp_path):
    info = json.loads((SHARED / "golden" / "survey_replicate.json").read_text())["replicate_designs"]
    jk1 = next(d for d in info if d["id"] == "rclus1_jk1")
    data = pd.read_csv(SHARED / "data" / "apiclus1.csv")
    reps = pd.read_csv(SHARED / jk1["repweights_file"])
    file = tmp_path / "clus1_jk1.csv"
    pd.concat([data, reps.drop(columns="pw")], axis=1).to_csv(file, index=False)
    design, _ = _design(["weight", str(file), "--out", "w.sav", "--targets", "t.toml", "--weights", "pw",
                         "--replicate-pattern", "rep[0-9]+", "--replicate-type", "jk1",
                         "--scale", repr(jk1["scale"]), "--multipliers"])
    golden = next(e["result"] for e in jk1["estimates"] if e["call"] == "svymean(~api00, rclus1_jk1)")
    frame = design.mean("api00").to_frame()
    assert frame["estimate"].iloc[0] == pytest.approx(golden["estimate"]["api00"], rel=1e-10)
    assert frame["se"].iloc[0] == pytest.approx(golden["se"]["api00"], rel=1e-8)


def test_the_tables_command_prints_the_r_domain_means(tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["tables", str(SHARED / "data" / "apistrat.csv"), "--rows", "api00", "--cols", "stype",
                 "--stat", "mean", "--out", str(out), "--weights", "pw", "--strata", "stype", "--fpc", "fpc"]) == 0
    golden = _golden(SHARED / "golden" / "survey_estimation.json", "svyby(~api00, ~stype, dstrat, svymean, deff=TRUE)")
    text = (tmp_path / "t.mean.en.csv").read_text(encoding="utf-8-sig")
    for mean in golden["estimate"]:
        assert f"{mean:.1f}" in text


@pytest.mark.parametrize(("options", "named"), [
    (["--fpc", "no_such_fpc"], "--fpc"),
    (["--psu", "dnum", "no_such_ssu"], "--psu"),
    (["--weights", "pw", "--probs", "pw"], "the design options: give weights or probs"),
    (["--replicate-pattern", "zzz[0-9]+", "--replicate-type", "jk1"], "--replicate-pattern"),
    (["--replicate-pattern", "rep(", "--replicate-type", "jk1"], "the replicate options: pattern 'rep('"),
    (["--fpc", "-5"], "--fpc"),
])
def test_bad_design_options_exit_2_naming_the_key(tmp_path, capsys, options, named):
    out = tmp_path / "t.xlsx"
    code = main(["tables", str(EXTRA / "data" / "apiclus2.csv"), "--rows", "api00", "--cols", "stype",
                 "--out", str(out), *options])
    err = capsys.readouterr().err
    assert code == 2
    assert named in err and "Traceback" not in err
    assert "[waves." not in err  # the command line's own option names, not the spec's keys
    assert not out.exists()


def _sample_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(SAMPLE_DIR, project)
    return project / "study.toml"


def test_spec_and_wave_give_the_reports_design(tmp_path):
    spec_path = _sample_project(tmp_path)
    design, inputs = _design(["tables", "--spec", str(spec_path), "--wave", "cf2020", "--rows", "q_overall",
                              "--cols", "prov", "--out", "t.xlsx"])
    wave = StudySpec.from_toml(spec_path).wave("cf2020")
    assert inputs[:2] == [spec_path, wave.file]
    assert [step.action for step in design.history[1:]] == [step.method for step in wave.weighting]
    assert design.weights.sum() > 0


@pytest.mark.parametrize("extra", [["--weights", "wt_design"], [str(sample_path("cf2023"))]])
def test_spec_with_other_design_options_is_refused(tmp_path, capsys, extra):
    spec_path = _sample_project(tmp_path)
    code = main(["tables", "--spec", str(spec_path), *extra, "--rows", "q_overall", "--cols", "prov",
                 "--out", str(tmp_path / "t.xlsx")])
    assert code == 2
    assert "--spec" in capsys.readouterr().err


def test_wave_without_spec_and_no_file_are_refused(tmp_path, capsys):
    assert main(["tables", "--wave", "cf2023", "--rows", "q", "--cols", "g", "--out", str(tmp_path / "t.xlsx")]) == 2
    assert "--wave needs --spec" in capsys.readouterr().err
    assert main(["tables", "--rows", "q", "--cols", "g", "--out", str(tmp_path / "t.xlsx")]) == 2
    assert "give a survey file" in capsys.readouterr().err


def test_validate_accepts_the_sample_spec(capsys):
    assert main(["validate", str(Path(SAMPLE_DIR) / "study.toml")]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "[waves.cf2023]" in out and "rows" in out


@pytest.mark.parametrize(("old", "new", "named"), [
    ('year = 2023', 'year = "2023"', "[waves.cf2023].year"),
    ('file = "cf2023.sav"', 'file = "cf2023.sav"\nnest = "false"', "[waves.cf2023].nest"),
    ('seed = 20261126', 'seed = "seven"', "[study].seed"),
])
def test_validate_refuses_wrong_types_naming_the_key(tmp_path, capsys, old, new, named):
    spec_path = _sample_project(tmp_path)
    text = spec_path.read_text()
    assert old in text
    spec_path.write_text(text.replace(old, new, 1))
    assert main(["validate", "--schema-only", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert named in err and str(spec_path) in err


def test_validate_reads_the_data_and_names_a_missing_variable(tmp_path, capsys):
    spec_path = _sample_project(tmp_path)
    text = spec_path.read_text()
    spec_path.write_text(text.replace('cols = ["prov"]', 'cols = ["no_such_column"]', 1))
    assert main(["validate", "--schema-only", str(spec_path)]) == 0
    capsys.readouterr()
    assert main(["validate", str(spec_path)]) == 2
    assert "no_such_column" in capsys.readouterr().err


def test_spec_design_errors_name_the_spec_file_and_wave(tmp_path, capsys):
    spec_path = _sample_project(tmp_path)
    text = spec_path.read_text()
    spec_path.write_text(text.replace('strata = "prov"', 'strata = "no_such_stratum"'))
    code = main(["tables", "--spec", str(spec_path), "--rows", "q_overall", "--cols", "prov",
                 "--out", str(tmp_path / "t.xlsx")])
    err = capsys.readouterr().err
    assert code == 2
    assert str(spec_path) in err and "no_such_stratum" in err and "[waves." in err


def test_init_writes_a_spec_that_validates_and_lists_the_variables(tmp_path, capsys):
    data = tmp_path / "data" / "cf2023.sav"
    data.parent.mkdir()
    shutil.copy(sample_path("cf2023"), data)
    shutil.copy(Path(SAMPLE_DIR) / "cf2023.codebook.toml", data.parent / "cf2023.codebook.toml")
    out = tmp_path / "specs" / "study.toml"
    out.parent.mkdir()
    assert main(["init", str(data), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'file = "../data/cf2023.sav"' in text
    assert 'weights = "wt_design"' in text
    assert "#   q_overall:" in text and "Very dissatisfied" in text
    capsys.readouterr()
    assert main(["validate", str(out)]) == 0
    spec = StudySpec.from_toml(out)
    assert spec.waves[0].weights == "wt_design" and spec.waves[0].file == data.parent.parent / "specs" / "../data/cf2023.sav"


def test_init_never_overwrites_a_file(tmp_path, capsys):
    out = tmp_path / "study.toml"
    out.write_text("mine")
    assert main(["init", str(sample_path("cf2023")), "--out", str(out)]) == 2
    assert out.read_text() == "mine"
    assert "exists" in capsys.readouterr().err


def test_drivers_without_a_shared_scale_write_importance_without_a_quadrant(tmp_path, capsys):
    out = tmp_path / "drivers"
    code = main(["drivers", str(EXTRA / "data" / "apiclus2.csv"), "--outcome", "api00", "--drivers", "ell", "meals",
                 "mobility", "--out", str(out), "--psu", "dnum", "snum", "--fpc", "fpc1", "fpc2",
                 "--replicates", "0", "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 0
    assert "no importance-performance quadrant" in err and "ell" in err
    table = pd.read_csv(out / "drivers.csv")
    assert "quadrant" not in table.columns and set(table.iloc[:, 0]) == {"ell", "meals", "mobility"}
    assert table["share"].sum() == pytest.approx(100, rel=1e-9)  # shares of R² in percent
    assert (out / "importance.en.png").exists() and not (out / "quadrant.en.png").exists()


def test_report_names_the_spec_key_of_a_missing_wave_file(tmp_path, capsys):
    spec_path = _sample_project(tmp_path)
    (spec_path.parent / "cf2020.sav").unlink()
    assert main(["report", str(spec_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(spec_path) in err and "[waves.cf2020].file" in err and "Traceback" not in err
