"""Review of issue 13 as a new user running scheduled jobs: hostile inputs the first pass let through.

Each test feeds one input a user can plausibly write and checks it is refused with a message naming
the file, the key (or column and line) and the value, or that a starter file works as promised.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from citizensfirst.cli import main
from citizensfirst.errors import DataError
from citizensfirst.weighting.shipped import SHIPPED_TARGETS
from citizensfirst.weighting.statcan import from_statcan
from citizensfirst.weighting.targetdata import data_path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = Path(str(data_path("17100005_adults_2025.csv")))
APISTRAT = ROOT / "examples" / "data" / "apistrat.csv"


def _statcan(tmp_path: Path, **cells: str) -> Path:
    """The shipped 17-10-0005-01 subset with its Canada / Total - gender / 18 years row changed."""
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    row = (frame["GEO"] == "Canada") & (frame["Gender"] == "Total - gender") & (frame["Age group"] == "18 years")
    for column, value in cells.items():
        frame.loc[row, column] = value
    path = tmp_path / "17100005.csv"
    path.write_bytes(("\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")).encode("utf-8"))
    return path


def _adults_18_34(path: Path) -> float:
    return from_statcan(path, {"a": ("Age group", {1: (18, 34)})})["a"][1]


def test_statcan_unknown_symbol_is_refused_naming_line_column_and_value(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"17100005.csv: line \d+, column SYMBOL has the unknown symbol 'Z'"):
        _adults_18_34(_statcan(tmp_path, SYMBOL="Z"))


def test_statcan_scalar_id_disagreeing_with_scalar_factor_is_refused(tmp_path: Path) -> None:
    # thousands with SCALAR_ID 0 would silently multiply the row by 1,000 (or not): the file is inconsistent
    path = _statcan(tmp_path, SCALAR_FACTOR="thousands", SCALAR_ID="0")
    with pytest.raises(DataError, match=r"line \d+, column SCALAR_ID = '0' disagrees with SCALAR_FACTOR = 'thousands'"):
        _adults_18_34(path)


def _spec(tmp_path: Path, extra: str) -> Path:
    """A spec of the apistrat wave (its file given by absolute path) plus ``extra`` TOML."""
    path = tmp_path / "study.toml"
    path.write_text(f'[waves.api]\nfile = "{APISTRAT.as_posix()}"\nweights = "pw"\nstrata = "stype"\n'
                    f'fpc = "fpc"\n\n{extra}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(("extra", "missing"), [
    ('[[weighting]]\nmethod = "rake"\nmargins = {nosuch = {a = 0.5, b = 0.5}}', "'nosuch'"),
    ('[[weighting]]\nmethod = "rake"\nfile = "targets.toml"', "'school_type' (did you mean 'stype'?)"),
    ('[[weighting]]\nmethod = "rake"\ntargets = "canada_2021"\nvariables = ["province"]', "'prov'"),
    ('[[waves.api.weighting]]\nmethod = "poststratify"\ncells = ["stype", "sch_wide"]\n'
     'margins = { "stype|sch_wide" = { "E|No" = 472, "E|Yes" = 3949, "H|No" = 334, "H|Yes" = 421, '
     '"M|No" = 266, "M|Yes" = 752 } }', "'sch_wide' (did you mean 'sch.wide'?)"),
])
def test_validate_refuses_targets_naming_a_variable_the_wave_lacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, missing: str) -> None:
    (tmp_path / "targets.toml").write_text("[margins.school_type]\nE = 0.7\nH = 0.15\nM = 0.15\n", encoding="utf-8")
    spec = _spec(tmp_path, extra)
    assert main(["validate", str(spec)]) == 2
    err = capsys.readouterr().err
    assert "study.toml: [waves.api] weighting step 1" in err
    assert f"apistrat.csv: weighting column(s) not found: {missing}" in err or \
        f"data: weighting column(s) not found: {missing}" in err


def test_validate_reads_the_harmonisation_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "harm.toml").write_text('strict = "yes"\n[variables.q]\nlabel = "Q"\n', encoding="utf-8")
    assert main(["validate", str(_spec(tmp_path, '[harmonization]\nfile = "harm.toml"'))]) == 2
    assert 'harm.toml: strict = "yes": must be true or false' in capsys.readouterr().err


def test_validate_accepts_weighting_on_the_waves_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = ('[[weighting]]\nmethod = "rake"\nmargins = {stype = {E = 0.7, H = 0.15, M = 0.15}}\n'
             '[[waves.api.weighting]]\nmethod = "poststratify"\ncells = ["stype", "sch.wide"]\n'
             'margins = { "stype|sch.wide" = { "E|No" = 472, "E|Yes" = 3949, "H|No" = 334, "H|Yes" = 421, '
             '"M|No" = 266, "M|Yes" = 752 } }')
    assert main(["validate", str(_spec(tmp_path, extra))]) == 0
    assert "[waves.api] apistrat.csv: 200 rows, weights sum to 6,194; poststratify" in capsys.readouterr().out


def _uncomment_examples(text: str) -> str:
    """The starter spec with its [[estimates]] and [[tables]] examples switched on."""
    out, on = [], False
    for line in text.splitlines():
        if line in ("# [[estimates]]", "# [[tables]]"):
            on = True
        elif not line.startswith("# "):
            on = False
        out.append(line[2:].split("  #")[0] if on else line)
    return "\n".join(out) + "\n"


def test_init_leaves_out_a_guessed_fpc_the_design_refuses_and_the_spec_validates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # apistrat's fpc is a per-stratum count; its strata column (stype) is not guessed from its name
    spec = tmp_path / "study.toml"
    assert main(["init", str(APISTRAT), "--out", str(spec)]) == 0
    text = spec.read_text(encoding="utf-8")
    assert '# fpc = "fpc"  # guessed, but with it the design fails: fpc \'fpc\' varies within' in text
    assert 'weights = "pw"' in text.splitlines()
    assert main(["validate", str(spec)]) == 0
    spec.write_text(_uncomment_examples(text), encoding="utf-8")
    assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
    assert '\nrows = "acs.k3"\ncols = ["stype"]\nstat = "percent"' in spec.read_text(encoding="utf-8")


def test_init_examples_name_the_files_own_variables_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "study.toml"
    assert main(["init", str(ROOT / "data" / "sample" / "cf2020.sav"), "--out", str(spec)]) == 0
    text = spec.read_text(encoding="utf-8")
    assert "#   svc1_sat: Service experience 1: overall satisfaction with the service (scale 1 to 5)" in text
    spec.write_text(_uncomment_examples(text), encoding="utf-8")
    assert main(["validate", str(spec)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["report", str(spec), "--out", str(out)]) == 0, capsys.readouterr().err
    assert (out / "numbers.json").read_text(encoding="utf-8").count('"svc1_sat_by_prov"') == 1


@pytest.mark.parametrize(("extra", "message"), [
    ('[[weighting]]\nmethod = "rake"\nmargins = {stype = {E = 0.7, H = 0.15, M = 0.25}}',
     "study.toml: [waves.api] weighting step 1 (rake): margin 'stype': shares sum to 1.1, not 1"),
    ('[[weighting]]\nmethod = "rake"\nmargins = {stype = {E = 0.7, H = 0.15, X = 0.15}}',
     "apistrat.csv: level 'M' of 'stype' (50 respondents) has no target; targets cover ['E', 'H', 'X']"),
])
def test_validate_runs_the_weighting_steps_as_report_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, message: str) -> None:
    assert main(["validate", str(_spec(tmp_path, extra))]) == 2
    err = capsys.readouterr().err
    assert "study.toml: [waves.api] weighting step 1 (rake): " in err
    assert message in err


def test_a_missing_wave_file_names_the_spec_and_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "study.toml"
    spec.write_text('[waves.api]\nfile = "nosuch.csv"\n\n[[tables]]\nrows = "a"\ncols = "b"\n', encoding="utf-8")
    assert main(["validate", str(spec)]) == 2
    assert "study.toml: [waves.api].file = " in capsys.readouterr().err
    assert main(["tables", "--spec", str(spec), "--rows", "a", "--cols", "b", "--out", str(tmp_path / "t.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "study.toml: [waves.api].file = " in err and "nosuch.csv" in err


@pytest.mark.parametrize(("wave_line", "message"), [
    ("fpc = -5", "[waves.api].fpc = -5: must be greater than 0\n"),
    ("fpc = nan", "[waves.api].fpc = nan: must be a finite number\n"),
    ("fpc = true", "[waves.api].fpc = true: must be a string or a number\n"),
])
def test_a_union_value_of_the_right_type_gets_only_its_own_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], wave_line: str, message: str) -> None:
    # fpc is a column or a number: -5 is a number out of range, not also "must be a string"
    spec = tmp_path / "study.toml"
    spec.write_text(f'[waves.api]\nfile = "{APISTRAT.as_posix()}"\n{wave_line}\n', encoding="utf-8")
    assert main(["validate", "--schema-only", str(spec)]) == 2
    assert capsys.readouterr().err.endswith(f"study.toml: {message}")


def test_an_unknown_key_that_extends_an_allowed_one_is_suggested(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extra = '[[weighting]]\nmethod = "rake"\nmargins = {stype = {E = 0.7, H = 0.15, M = 0.15}}\ntolerance = 1e-6'
    assert main(["validate", "--schema-only", str(_spec(tmp_path, extra))]) == 2
    assert "[[weighting]] #1 .tolerance: unknown key 'tolerance'; did you mean 'tol'?" in capsys.readouterr().err


def test_the_reference_names_every_shipped_target_set() -> None:
    line = next(x for x in (ROOT / "docs" / "spec-reference.md").read_text(encoding="utf-8").splitlines()
                if x.startswith("| `targets` |"))
    assert all(name in line for name in SHIPPED_TARGETS), line


def test_weight_with_a_shipped_set_name_says_how_to_use_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["weight", str(APISTRAT), "--weights", "pw", "--targets", "canada_2021", "--out", str(tmp_path / "w.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert 'targets = "canada_2021"' in err and "citizensfirst weight --spec SPEC" in err


def test_validate_says_the_waves_were_weighted(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "examples" / "citizens_first.toml")]) == 0
    out = capsys.readouterr().out
    assert "every design built and weighted" in out
    # raked to the 17-10-0005-01 adult total (a sum of the published cells), then trimmed (total kept)
    assert "[waves.cf2023] cf2023.sav: 4300 rows, weights sum to 34,009,470; rake, trim" in out


def test_validate_checks_the_trends_against_the_harmonisation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(_spec(tmp_path, '[[trends]]\nvariable = "api00"'))]) == 2
    assert "study.toml: [[trends]] need a [harmonization] file" in capsys.readouterr().err
    (tmp_path / "harm.toml").write_text('[variables.q_time]\nlabel = "Time"\n', encoding="utf-8")
    spec = _spec(tmp_path, '[harmonization]\nfile = "harm.toml"\n[[trends]]\nvariable = "q_tme"')
    assert main(["validate", str(spec)]) == 2
    assert ("study.toml: [[trends]] #1 .variable = 'q_tme' is not a variable of harm.toml; its variables: q_time"
            in capsys.readouterr().err)


def test_output_piped_into_a_closed_pipe_is_no_traceback() -> None:
    # `citizensfirst describe data.sav | head -1` in a scheduled script: the reader stops early
    code = "import sys; from citizensfirst.cli import main; sys.exit(main(sys.argv[1:]))"
    child = subprocess.Popen([sys.executable, "-c", code, "describe", str(ROOT / "data" / "sample" / "cf2023.sav")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # before the child has imported the library, so its first write fails
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
