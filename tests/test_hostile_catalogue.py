"""A catalogue of bad and hostile input (issue 10): every case must fail cleanly and change nothing.

Each case is a small function registered with :func:`case`. It builds its input in ``tmp`` (a
fresh folder) and returns the action to run: a list of command-line arguments (run through
``citizensfirst.cli.main``) or a callable (an API call). The single test below then

* takes the SHA-256 of every file under ``tmp`` (inputs included: sample data are copied in),
* runs the action and checks the outcome: the error class, a match on the message (the file,
  variable or value at fault) and the error's exit code for API cases; the exit code and the
  culprit named on stderr for CLI cases; a warning; or, for disclosure and injection cases, that
  the exports were written and carry no suppressed value or live formula,
* checks that no file changed and that no file appeared except the outputs the case expects.

Groups: files, designs, weighting, specs, outputs, disclosure, injection.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from openpyxl import load_workbook

from citizensfirst.cli import main
from citizensfirst.design.facade import Design
from citizensfirst.errors import (
    CitizensFirstError,
    CodebookError,
    ConvergenceError,
    DataError,
    DesignError,
    HarmonizationError,
    NominalVariableWarning,
    WeightingError,
)
from citizensfirst.io.codebook import Codebook, Variable
from citizensfirst.io.formats import sidecar_path
from citizensfirst.io.readers import read_survey
from citizensfirst.io.survey import Survey
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.waves.spec import HarmonizationSpec
from citizensfirst.weighting import targets as targets_module

Action = Callable[[], Any] | list[str]


@dataclass(frozen=True)
class Case:
    """One hostile input and what must happen to it."""

    id: str
    build: Callable[[Path], Action]
    raises: type[BaseException] | None = None  # API: the error class
    match: str = ""  # regex searched in the error message (API) or stderr (CLI)
    exit: int | None = None  # CLI: the exit code; API: the error's exit_code (default 2)
    warns: type[Warning] | None = None
    creates: tuple[str, ...] = ()  # glob patterns (relative to tmp) of files the case must write


CASES: list[Case] = []


def case(group: str, **expected: Any) -> Callable[[Callable[[Path], Action]], Callable[[Path], Action]]:
    """Register ``build`` as the case ``group-name`` with the expected outcome."""

    def register(build: Callable[[Path], Action]) -> Callable[[Path], Action]:
        CASES.append(Case(f"{group}-{build.__name__.removeprefix('case_')}", build, **expected))
        return build

    return register


# ---------------------------------------------------------------------------------------------
# helpers: snapshots, small data, a small study


def _snapshot(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (symlinks not followed), keyed by relative path."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


def _frame(n: int = 40) -> pd.DataFrame:
    """A small survey: a 1-5 rating y, a numeric x, weights, 4 strata of 2 PSUs, a group g."""
    rng = np.random.default_rng(20261126)
    y = rng.integers(1, 6, n).astype(float)
    return pd.DataFrame({
        "y": y,
        "x": np.clip(y + rng.integers(-1, 2, n), 1, 5).astype(float),
        "w": rng.uniform(0.5, 2.0, n).round(3),
        "s": np.repeat([1, 2, 3, 4], n // 4),
        "p": np.arange(n) // (n // 8),
        "g": np.where(np.arange(n) % 10 < 3, "a", "b"),
    })


def _copy_wave(folder: Path) -> Path:
    """Copy the sample wave cf2023 and its codebook into ``folder``; return the data file."""
    folder.mkdir(parents=True, exist_ok=True)
    source = sample_path("cf2023")
    shutil.copy(source, folder / source.name)
    shutil.copy(sidecar_path(source), sidecar_path(folder / source.name))
    return folder / source.name


SMALL_TABLE = """
[[tables]]
name = "overall_by_age"
rows = "q_overall"
cols = ["age_grp"]
stat = "top2"
"""


def _project(tmp: Path, *, wave: str = "cf2023", extra: str = SMALL_TABLE) -> Path:
    """A one-wave study (``wave`` is its TOML key) nested deep in ``tmp``, so that a path escaping
    ``--out`` still lands in ``tmp``: ``tmp/a/b/c/project/{study.toml, data/cf2023.sav}``.
    Returns the spec path."""
    project = tmp / "a" / "b" / "c" / "project"
    _copy_wave(project / "data")
    spec = project / "study.toml"
    spec.write_text(f'[study]\ntitle = "Small study"\nseed = 7\n\n[waves.{wave}]\n'
                    f'file = "data/cf2023.sav"\nyear = 2023\nweights = "wt_design"\n{extra}',
                    encoding="utf-8")
    return spec


def _report(spec: Path, out: Path) -> Path:
    """Run a spec into ``out`` (setting up a case); fail loudly if that does not work."""
    assert main(["report", str(spec), "--out", str(out)]) == 0
    return out


def _weight_inputs(tmp: Path, targets: str) -> tuple[Path, Path]:
    data = _copy_wave(tmp / "data")
    path = tmp / "targets.toml"
    path.write_text(targets, encoding="utf-8")
    return data, path


def _either(kind: str, name: str) -> str:
    """A regex for a message naming ``name`` and saying what is wrong with it (either order)."""
    return rf"(?i)({kind}.*{name}|{name}.*{kind})"


SHARES = "[margins.gender]\n1 = 0.40\n2 = 0.59\n3 = 0.01\n\n[margins.age_grp]\n1 = 0.45\n2 = 0.35\n3 = 0.20\n"


def _xlsx_values(path: Path) -> list[Any]:
    workbook = load_workbook(path)
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


# ---------------------------------------------------------------------------------------------
# files


@case("files", raises=DataError, match=r"random\.sav: cannot read")
def case_corrupt_sav_random_bytes(tmp: Path) -> Action:
    path = tmp / "random.sav"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return lambda: read_survey(path)


@case("files", raises=DataError, match=r"empty\.sav")
def case_empty_sav(tmp: Path) -> Action:
    path = tmp / "empty.sav"
    path.write_bytes(b"")
    return lambda: read_survey(path)


@case("files", raises=DataError, match=r"nothere\.dta: no such file")
def case_nonexistent_file(tmp: Path) -> Action:
    return lambda: read_survey(tmp / "nothere.dta")


@case("files", raises=DataError, match=r"survey\.xlsx: unsupported file type '\.xlsx'")
def case_unsupported_extension(tmp: Path) -> Action:
    path = tmp / "survey.xlsx"
    path.write_bytes(b"PK\x03\x04")
    return lambda: read_survey(path)


@case("files", exit=2, match=r"gone\.sav: no such file")
def case_describe_missing_file(tmp: Path) -> Action:
    return ["describe", str(tmp / "gone.sav")]


@case("files", exit=2, match=r"broken\.sav: cannot read")
def case_describe_corrupt_sav(tmp: Path) -> Action:
    good = _copy_wave(tmp / "data")
    path = tmp / "broken.sav"
    path.write_bytes(good.read_bytes()[:700])
    return ["describe", str(path)]


@case("files", raises=CodebookError, match=r"cb\.toml.*\[variables\.q\]\.measure = 5")
def case_codebook_bad_type(tmp: Path) -> Action:
    path = tmp / "cb.toml"
    path.write_text("[variables.q]\nmeasure = 5\n", encoding="utf-8")
    return lambda: Codebook.from_toml(path)


@case("files", raises=CodebookError, match=r"wave\.codebook\.toml.*\[variables\.q\]\.scale")
def case_sidecar_codebook_bad_scale(tmp: Path) -> Action:
    path = tmp / "wave.csv"
    path.write_text("q,r\n1,2\n3,4\n", encoding="utf-8")
    sidecar_path(path).write_text('[variables.q]\nscale = "one to five"\n', encoding="utf-8")
    return lambda: read_survey(path)


@case("files", raises=DataError, match=r"short\.csv.*\b(row|line)\b\D{0,12}[123]\b")
def case_csv_short_row(tmp: Path) -> Action:
    path = tmp / "short.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8\n", encoding="utf-8")
    return lambda: read_survey(path)


@case("files", raises=DataError, match=r"cut\.csv.*\b(row|line)\b\D{0,12}[234]\b")
def case_csv_cut_mid_row(tmp: Path) -> Action:
    path = tmp / "cut.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n7,", encoding="utf-8")
    return lambda: read_survey(path)


@case("files", raises=DataError, match=r"cut\.xpt.*truncat")
def case_xpt_truncated_at_record_boundary(tmp: Path) -> Action:
    good = tmp / "good.xpt"
    pyreadstat.write_xport(pd.DataFrame({"a": np.arange(50.0), "b": np.arange(50.0) * 2}), str(good))
    data = good.read_bytes()
    cut = tmp / "cut.xpt"
    cut.write_bytes(data[: len(data) - 5 * 80])  # whole 80-byte records: silently fewer rows today
    return lambda: read_survey(cut)


# ---------------------------------------------------------------------------------------------
# designs


@case("designs", raises=DataError, match=r"weights.*'wt'")
def case_unknown_weights_column(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="wt")


@case("designs", raises=DataError, match=r"'stratum'")
def case_unknown_strata_column(tmp: Path) -> Action:
    return lambda: Design(_frame(), strata="stratum")


@case("designs", raises=DataError, match=r"'cluster'")
def case_unknown_psu_column(tmp: Path) -> Action:
    return lambda: Design(_frame(), strata="s", psu="cluster")


@case("designs", raises=DataError, match=r"'q_overal'")
def case_unknown_mean_variable(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").mean("q_overal")


@case("designs", raises=DataError, match=r"'y'.*numeric.*'five'")
def case_non_numeric_rating(tmp: Path) -> Action:
    frame = _frame().astype({"y": object})
    frame.loc[5, "y"] = "five"
    return lambda: Design(frame, weights="w").mean("y")


@case("designs", raises=DataError, match=r"'w'.*negative.*row 3")
def case_negative_weights(tmp: Path) -> Action:
    frame = _frame()
    frame.loc[3, "w"] = -1.0
    return lambda: Design(frame, weights="w")


@case("designs", raises=DataError, match=r"'w'.*missing.*row 7")
def case_missing_weights(tmp: Path) -> Action:
    frame = _frame()
    frame.loc[7, "w"] = np.nan
    return lambda: Design(frame, weights="w")


@case("designs", raises=DesignError, match=r"stratum.*4.*one PSU")
def case_singleton_psu_fails(tmp: Path) -> Action:
    frame = _frame()
    frame.loc[frame["s"] == 4, "p"] = 6
    return lambda: Design(frame, weights="w", strata="s", psu="p", lonely_psu="fail").mean("y")


@case("designs", raises=DataError, match=r"'s'.*missing")
def case_empty_stratum_value(tmp: Path) -> Action:
    frame = _frame()
    frame.loc[[0, 1], "s"] = np.nan
    return lambda: Design(frame, weights="w", strata="s")


@case("designs", raises=DesignError, match=r"@")
def case_subset_runs_no_command(tmp: Path) -> Action:
    marker = tmp / "PWNED"
    frame = _frame()
    return lambda: Design(frame).subset(f"@pd.io.common.os.system('touch {marker}')")


@case("designs", raises=DesignError, match=r"__import__")
def case_subset_refuses_import(tmp: Path) -> Action:
    return lambda: Design(_frame()).subset("__import__('os')")


@case("designs", raises=DesignError, match=r"rw\[")
def case_invalid_replicate_regex(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w", replicate_weights="rw[")


@case("designs", raises=CitizensFirstError, match=r"replicates")
def case_drivers_zero_replicates(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").drivers("y", ["x"], replicates=0)


@case("designs", raises=DataError, match=r"t.test.*'y'|'y'.*t.test")
def case_ttest_one_value(tmp: Path) -> Action:
    frame = _frame()
    frame["y"] = np.nan
    frame.loc[4, "y"] = 3.0
    return lambda: Design(frame, weights="w").ttest("y")


@case("designs", warns=NominalVariableWarning, match=r"prov")
def case_mean_of_nominal_codes(tmp: Path) -> Action:
    frame = _frame().assign(prov=np.tile([10, 24, 35, 59], 10))
    survey = Survey(frame, Codebook([Variable("prov", label="Province", measure="nominal")]))
    return lambda: Design(survey, weights="w").mean("prov")


@case("designs", warns=NominalVariableWarning, match=r"prov")
def case_nominal_driver(tmp: Path) -> Action:
    frame = _frame().assign(prov=np.tile([10, 24, 35, 59], 10))
    survey = Survey(frame, Codebook([Variable("prov", label="Province", measure="nominal")]))
    return lambda: Design(survey, weights="w").drivers("y", ["x", "prov"], ci=None)


# ---------------------------------------------------------------------------------------------
# weighting

MARGIN = {"g": {"a": 0.3, "b": 0.7}}


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}nan\b")
def case_rake_tol_nan(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake(MARGIN, tol=float("nan"))


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}inf\b")
def case_rake_tol_inf(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake(MARGIN, tol=float("inf"))


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}0\b")
def case_rake_tol_zero(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake(MARGIN, tol=0)


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}-1\b")
def case_rake_tol_negative(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake(MARGIN, tol=-1)


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}10\b")
def case_rake_tol_ten(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake(MARGIN, tol=10)


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}nan\b")
def case_calibrate_tol_nan(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").calibrate({"g": {"a": 12.0, "b": 28.0}},
                                                           tol=float("nan"))


@case("weighting", raises=WeightingError, match=r"\btol\W{1,3}inf\b")
def case_calibrate_tol_inf(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").calibrate({"g": {"a": 12.0, "b": 28.0}},
                                                           tol=float("inf"))


@case("weighting", raises=ConvergenceError, exit=1, match=r"did not meet its targets")
def case_rake_not_converged(tmp: Path) -> Action:
    margins = {"g": {"a": 0.3, "b": 0.7}, "s": {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4}}
    return lambda: Design(_frame(), weights="w").rake(margins, max_iter=1)


@case("weighting", exit=2, match=r"\btol\W{1,3}nan\b")
def case_cli_weight_tol_nan(tmp: Path) -> Action:
    data, targets = _weight_inputs(tmp, SHARES)
    return ["weight", str(data), "--targets", str(targets), "--out", str(tmp / "weighted.sav"),
            "--weights", "wt_design", "--tol", "nan", "--max-iter", "1"]


@case("weighting", exit=1, match=r"did not meet its targets")
def case_cli_weight_not_converged(tmp: Path) -> Action:
    data, targets = _weight_inputs(tmp, SHARES)
    return ["weight", str(data), "--targets", str(targets), "--out", str(tmp / "weighted.sav"),
            "--weights", "wt_design", "--max-iter", "1"]


COUNTS_DISAGREE = ("[margins.age_grp]\n1 = 1000\n2 = 1000\n3 = 1000\n\n"
                   "[margins.gender]\n1 = 2000\n2 = 2000\n3 = 10\n")


@case("weighting", raises=WeightingError, match=r"(?s)(age_grp.*gender|gender.*age_grp)")
def case_targets_toml_totals_disagree(tmp: Path) -> Action:
    path = tmp / "targets.toml"
    path.write_text(COUNTS_DISAGREE, encoding="utf-8")
    return lambda: targets_module.from_toml(path)


@case("weighting", exit=2, match=r"(?s)(age_grp.*gender|gender.*age_grp)")
def case_cli_weight_totals_disagree(tmp: Path) -> Action:
    data, targets = _weight_inputs(tmp, COUNTS_DISAGREE)
    return ["weight", str(data), "--targets", str(targets), "--out", str(tmp / "weighted.sav"),
            "--weights", "wt_design"]


@case("weighting", raises=WeightingError, match=r"upper\W{1,3}0\.1\b")
def case_trim_below_every_weight(tmp: Path) -> Action:
    frame = _frame()
    return lambda: Design(frame, weights="w").trim(upper=0.1, strict=True)


@case("weighting", raises=WeightingError, match=r"'c'.*'g'")
def case_target_level_absent(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake({"g": {"a": 0.3, "b": 0.6, "c": 0.1}})


@case("weighting", raises=WeightingError, match=r"'g'.*empty")
def case_empty_target_margin(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake({"g": {}})


@case("weighting", raises=WeightingError, match=r"'g'.*0\.9")
def case_shares_not_summing_to_one(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake({"g": {"a": 0.3, "b": 0.6}})


@case("weighting", raises=WeightingError, match=r"'g'.*'a'.*-0\.3")
def case_negative_target(tmp: Path) -> Action:
    return lambda: Design(_frame(), weights="w").rake({"g": {"a": -0.3, "b": 1.3}})


@case("weighting", exit=2, match=r"\btol\W{1,3}nan\b")
def case_spec_weighting_tol_nan(tmp: Path) -> Action:
    weighting = '\n[weighting]\ntargets = "canada_2021"\nvariables = ["gender"]\ntol = nan\n'
    spec = _project(tmp, extra=weighting + SMALL_TABLE)
    return ["report", str(spec), "--out", str(spec.parent / "out")]


# ---------------------------------------------------------------------------------------------
# specs


@case("specs", exit=2, match=r"study\.toml.*'colour'")
def case_spec_unknown_key(tmp: Path) -> Action:
    spec = _project(tmp, extra=SMALL_TABLE.replace('stat = "top2"', 'stat = "top2"\ncolour = "red"'))
    return ["report", str(spec), "--out", str(spec.parent / "out")]


@case("specs", exit=2, match=r"cf2099\.sav")
def case_spec_missing_wave_file(tmp: Path) -> Action:
    spec = _project(tmp)
    spec.write_text(spec.read_text(encoding="utf-8").replace("cf2023.sav", "cf2099.sav"),
                    encoding="utf-8")
    return ["report", str(spec), "--out", str(spec.parent / "out")]


@case("specs", exit=2, match=r"'q_overal'")
def case_spec_unknown_table_variable(tmp: Path) -> Action:
    spec = _project(tmp, extra=SMALL_TABLE.replace('"q_overall"', '"q_overal"'))
    return ["report", str(spec), "--out", str(spec.parent / "out")]


@case("specs", raises=HarmonizationError, match=r"variable 'q'.*wave 2019")
def case_harmonization_inconsistent_waves(tmp: Path) -> Action:
    text = ("waves = [2018, 2020]\n[variables.q]\nscale = [1, 5]\n"
            "2018 = { source = \"q_old\" }\n2019 = { source = \"q_mid\" }\n")
    return lambda: HarmonizationSpec.loads(text)


@case("specs", exit=2, match=r"pwned_table")
def case_spec_table_name_escapes_out(tmp: Path) -> Action:
    spec = _project(tmp, extra=SMALL_TABLE.replace('"overall_by_age"', '"../../../../pwned_table"'))
    return ["report", str(spec), "--out", str(spec.parent / "out")]


@case("specs", exit=2, match=r"abs_wave")
def case_spec_absolute_wave_name(tmp: Path) -> Action:
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "abs_wave.csv").write_text("precious,data\n1,2\n", encoding="utf-8")
    weighting = '\n[weighting]\ntargets = "canada_2021"\nvariables = ["gender"]\n'
    spec = _project(tmp, wave=json.dumps(str(elsewhere / "abs_wave")), extra=weighting + SMALL_TABLE)
    return ["report", str(spec), "--out", str(spec.parent / "out")]


@case("specs", exit=2, match=r"onerror")
def case_spec_html_wave_name(tmp: Path) -> Action:
    weighting = '\n[weighting]\ntargets = "canada_2021"\nvariables = ["gender"]\n'
    spec = _project(tmp, wave='"<img src=x onerror=alert(1)>"', extra=weighting + SMALL_TABLE)
    return ["report", str(spec), "--out", str(spec.parent / "out")]


# ---------------------------------------------------------------------------------------------
# outputs


@case("outputs", exit=2, match=r"/notes\b")
def case_report_out_is_a_user_folder(tmp: Path) -> Action:
    spec = _project(tmp)
    notes = tmp / "notes"
    notes.mkdir()
    (notes / "thesis.docx").write_bytes(b"years of work")
    return ["report", str(spec), "--out", str(notes)]


@case("outputs", exit=2, match=r"budget\.xlsx")
def case_report_out_is_a_file(tmp: Path) -> Action:
    spec = _project(tmp)
    target = tmp / "budget.xlsx"
    target.write_bytes(b"not a folder")
    return ["report", str(spec), "--out", str(target)]


@case("outputs", exit=2, match=r"/c/project\b")
def case_report_out_is_the_project_folder(tmp: Path) -> Action:
    spec = _project(tmp)
    return ["report", str(spec), "--out", str(spec.parent)]


@case("outputs", exit=2, match=r"/project/data\b")
def case_report_out_is_the_data_folder(tmp: Path) -> Action:
    spec = _project(tmp)
    return ["report", str(spec), "--out", str(spec.parent / "data")]


@case("outputs", exit=2, match=r"targets\.toml")
def case_report_out_holds_an_input(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    (out / "targets.toml").write_text("[margins.gender]\n1 = 0.49\n2 = 0.50\n3 = 0.01\n",
                                      encoding="utf-8")
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text + '\n[weighting]\ntargets = "out/targets.toml"\n', encoding="utf-8")
    return ["report", str(spec), "--out", str(out)]


@case("outputs", exit=2, match=r"'prov'")
def case_weight_name_overwrites_a_column(tmp: Path) -> Action:
    data, targets = _weight_inputs(tmp, SHARES)
    return ["weight", str(data), "--targets", str(targets), "--out", str(tmp / "weighted.sav"),
            "--weights", "wt_design", "--name", "prov"]


@case("outputs", exit=2, match=r"manifest\.json")
def case_reproduce_corrupt_manifest(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8")[:200], encoding="utf-8")
    return ["reproduce", str(out)]


@case("outputs", exit=1, match=_either(r"(edit|differ|changed)", r"report\.html"))
def case_reproduce_edited_report(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    page = out / "report.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>96% satisfied</p></body>"),
                    encoding="utf-8")
    return ["reproduce", str(out)]


@case("outputs", exit=1, match=_either(r"(missing|gone|deleted)", r"report\.html"))
def case_reproduce_deleted_report(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    (out / "report.html").unlink()
    return ["reproduce", str(out)]


@case("outputs", exit=1, match=_either(r"(missing|gone|deleted)", r"tables\.xlsx"))
def case_reproduce_deleted_workbook(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    (out / "tables.xlsx").unlink()
    return ["reproduce", str(out)]


@case("outputs", exit=1, match=_either(r"(edit|differ|changed)", r"tables/overall_by_age\.en\.csv"))
def case_reproduce_edited_table_csv(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    table = next((out / "tables").glob("overall_by_age*.csv"))
    table.write_bytes(table.read_bytes().replace(b".", b",", 1))
    return ["reproduce", str(out)]


@case("outputs", exit=1, match=_either(r"(extra|not in the manifest|unexpected)", r"smuggled\.csv"))
def case_reproduce_extra_file(tmp: Path) -> Action:
    spec = _project(tmp)
    out = _report(spec, spec.parent / "out")
    (out / "tables" / "smuggled.csv").write_text("estimate\n99.9\n", encoding="utf-8")
    return ["reproduce", str(out)]


# ---------------------------------------------------------------------------------------------
# disclosure: cells of fewer than 10 respondents are never published, in any export


def _small_cell_design() -> tuple[Design, list[float]]:
    """Column a: 12 respondents, 9 say 1 (weight 1.1) and 3 say 2; column b: 20 and 20.
    Both cells of column a have fewer than 10 respondents; returns their shares."""
    frame = pd.DataFrame({
        "y": [1] * 9 + [2] * 3 + [1] * 20 + [2] * 20,
        "g": ["a"] * 12 + ["b"] * 40,
        "w": [1.1] * 9 + [1.0] * 43,
    })
    return Design(frame, weights="w"), [9.9 / 12.9, 3.0 / 12.9]


def _assert_exports_hide(table: Any, folder: Path, shares: list[float]) -> None:
    """Write every export of ``table`` to ``folder``; none may carry a share in ``shares``."""
    folder.mkdir()
    table.to_csv(folder / "tidy.csv", tidy=True)
    table.to_csv(folder / "grid.csv")
    table.to_xlsx(folder / "table.xlsx")
    table.to_html(folder / "table.html")
    (folder / "table.md").write_text(table.to_markdown(), encoding="utf-8")
    texts = [f"{100 * p:.1f}" for p in shares]
    for name in ("tidy.csv", "grid.csv", "table.html", "table.md"):
        content = (folder / name).read_text(encoding="utf-8-sig")
        for shown in texts:
            assert shown not in content, f"{name} shows the suppressed value {shown}"
    with open(folder / "tidy.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            for field in row:
                try:
                    number = float(field)
                except ValueError:
                    continue
                for p in shares:
                    assert not (math.isclose(number, p, rel_tol=1e-6) or math.isclose(number, 100 * p, rel_tol=1e-6)), \
                        f"tidy.csv carries the suppressed estimate {number}"
    for cell in _xlsx_values(folder / "table.xlsx"):
        if isinstance(cell.value, int | float):
            assert all(abs(cell.value - 100 * p) > 0.05 and abs(cell.value - p) > 1e-4 for p in shares), \
                f"table.xlsx {cell.coordinate} shows a suppressed value {cell.value}"
        elif isinstance(cell.value, str):
            assert not any(shown in cell.value for shown in texts), f"table.xlsx {cell.coordinate}"


@case("disclosure", creates=("exports/*",))
def case_small_cells_have_no_estimate(tmp: Path) -> Action:
    design, shares = _small_cell_design()

    def act() -> None:
        table = design.crosstab("y", "g")
        cells = table.cells
        small = cells[(cells["column_variable"] == "g") & (cells["column_level"] == "a")]
        assert len(small) == 2
        assert small["estimate"].isna().all(), small[["row_level", "estimate"]]
        assert small["value"].isna().all(), small[["row_level", "value"]]
        _assert_exports_hide(table, tmp / "exports", shares)

    return act


@case("disclosure", creates=("exports/*",))
def case_complement_of_a_small_cell_is_hidden(tmp: Path) -> Action:
    # column a: 25 say 1, 5 say 2 (weight 1.3): the 5-respondent cell is suppressed, and its
    # neighbour (100 - x) must not give it away
    frame = pd.DataFrame({"y": [1] * 25 + [2] * 5 + [1] * 20 + [2] * 20,
                          "g": ["a"] * 30 + ["b"] * 40,
                          "w": [1.0] * 25 + [1.3] * 5 + [1.0] * 40})
    shares = [25 / 31.5, 6.5 / 31.5]

    def act() -> None:
        table = Design(frame, weights="w").crosstab("y", "g")
        cells = table.cells
        small = cells[(cells["column_variable"] == "g") & (cells["column_level"] == "a")]
        assert small["value"].isna().all(), small[["row_level", "value"]]
        _assert_exports_hide(table, tmp / "exports", shares)

    return act


@case("disclosure", creates=("a/b/c/project/out/**",))
def case_report_publishes_no_small_cell(tmp: Path) -> Action:
    table = '\n[[tables]]\nname = "overall_by_province"\nrows = "q_overall"\ncols = ["prov"]\n'
    spec = _project(tmp, extra=table)
    out = spec.parent / "out"
    data = read_survey(spec.parent / "data" / "cf2023.sav").data
    valid = data.dropna(subset=["q_overall"])
    counts = valid.groupby(["prov", "q_overall"]).size()
    small = counts[counts < 10]
    assert len(small) >= 3  # the territories have cells of 3 or 4 respondents
    small_cells = set(small.index)  # (province, answer) cells of fewer than 10 respondents

    def act() -> None:
        assert main(["report", str(spec), "--out", str(out)]) == 0
        numbers = json.loads((out / "numbers.json").read_text(encoding="utf-8"))
        found = 0
        for record in numbers["tables"]["overall_by_province"]:
            if (record.get("column_level"), record.get("row_level")) in small_cells:
                found += 1
                for key in ("estimate", "se", "ci_low", "ci_high", "value", "n"):
                    assert record.get(key) is None, f"numbers.json: {record}"
        assert found == len(small_cells)

    return act


# ---------------------------------------------------------------------------------------------
# injection: labels are text, never formulas or markup

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _labelled_design() -> Design:
    frame = pd.DataFrame({"y": [1] * 30 + [2] * 30, "g": ["a", "b"] * 30})
    codebook = Codebook([
        Variable("y", label="@SUM(A1)", value_labels={1: "=1+2", 2: "<script>alert(1)</script>"}),
        Variable("g", label="+cmd|' /C calc'!A0", value_labels={"a": "-2+3", "b": "\tbee"}),
    ])
    return Design(Survey(frame, codebook))


def _assert_no_formula_text(path: Path) -> None:
    """No CSV field is text that a spreadsheet would run (numbers such as -1.5 are fine)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            for field in row:
                if field.startswith(FORMULA_START):
                    try:
                        float(field)
                    except ValueError:
                        pytest.fail(f"{path.name}: text field {field!r} starts a formula")


@case("injection", creates=("exports/table.xlsx",))
def case_xlsx_labels_are_text(tmp: Path) -> Action:
    design = _labelled_design()

    def act() -> None:
        (tmp / "exports").mkdir()
        design.crosstab("y", "g").to_xlsx(tmp / "exports" / "table.xlsx")
        cells = _xlsx_values(tmp / "exports" / "table.xlsx")
        formulas = [(c.coordinate, c.value) for c in cells if c.data_type == "f"]
        assert formulas == []
        texts = [str(c.value) for c in cells if isinstance(c.value, str)]
        for label in ("=1+2", "@SUM(A1)", "-2+3"):
            assert any(label in t for t in texts), f"label {label!r} lost from the workbook"

    return act


@case("injection", creates=("exports/grid.csv", "exports/tidy.csv"))
def case_csv_labels_are_neutralised(tmp: Path) -> Action:
    design = _labelled_design()

    def act() -> None:
        (tmp / "exports").mkdir()
        table = design.crosstab("y", "g")
        table.to_csv(tmp / "exports" / "grid.csv")
        table.to_csv(tmp / "exports" / "tidy.csv", tidy=True)
        for name in ("grid.csv", "tidy.csv"):
            _assert_no_formula_text(tmp / "exports" / name)
        grid = (tmp / "exports" / "grid.csv").read_text(encoding="utf-8-sig")
        assert "'=1+2" in grid and "'@SUM(A1)" in grid

    return act


@case("injection")
def case_markdown_escapes_script(tmp: Path) -> Action:
    design = _labelled_design()

    def act() -> None:
        text = design.crosstab("y", "g").to_markdown()
        assert "<script>" not in text and "script" in text

    return act


@case("injection")
def case_html_escapes_script(tmp: Path) -> Action:
    design = _labelled_design()

    def act() -> None:
        text = design.crosstab("y", "g").to_html()
        assert "<script>" not in text and "&lt;script&gt;" in text

    return act


@case("injection", creates=("a/b/c/project/out/**",))
def case_report_workbook_labels_are_text(tmp: Path) -> Action:
    spec = _project(tmp)
    codebook = sidecar_path(spec.parent / "data" / "cf2023.sav")
    text = codebook.read_text(encoding="utf-8")
    label = re.search(r'(?m)^\[variables\.age_grp\]\n(?:.*\n)*?label = "([^"]*)"', text)
    assert label is not None
    codebook.write_text(text.replace(f'label = "{label.group(1)}"',
                                     'label = "=HYPERLINK(\\"http://x.invalid\\",\\"age\\")"', 1),
                        encoding="utf-8")
    out = spec.parent / "out"

    def act() -> None:
        assert main(["report", str(spec), "--out", str(out)]) == 0
        formulas = [(c.coordinate, c.value) for c in _xlsx_values(out / "tables.xlsx") if c.data_type == "f"]
        assert formulas == []
        for table in (out / "tables").glob("*.csv"):
            _assert_no_formula_text(table)

    return act


# ---------------------------------------------------------------------------------------------
# the test


def _allowed(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(path, pattern) or fnmatch(path, pattern.replace("/**", "/*")) for pattern in patterns)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    action = case.build(tmp_path)
    before = _snapshot(tmp_path)
    capsys.readouterr()
    if isinstance(action, list):
        assert case.exit is not None and case.raises is None
        code = main(action)
        err = capsys.readouterr().err
        assert code == case.exit, f"exit {code}, expected {case.exit}; stderr:\n{err}"
        assert re.search(case.match, err), f"stderr does not name {case.match!r}:\n{err}"
        assert "Traceback" not in err
    elif case.raises is not None:
        with pytest.raises(case.raises, match=case.match) as info:
            action()
        assert getattr(info.value, "exit_code", None) == (case.exit if case.exit is not None else 2), \
            f"{type(info.value).__name__} has exit code {getattr(info.value, 'exit_code', None)}"
    elif case.warns is not None:
        with pytest.warns(case.warns, match=case.match):
            action()
    else:
        action()
    after = _snapshot(tmp_path)
    changed = sorted(p for p in before if after.get(p) != before[p])
    assert changed == [], f"files changed or removed: {changed}"
    new = sorted(set(after) - set(before))
    unexpected = [p for p in new if not _allowed(p, case.creates)]
    assert unexpected == [], f"files written that should not be: {unexpected}"
    for pattern in case.creates:
        assert any(_allowed(p, (pattern,)) for p in new), f"expected output {pattern} not written"


def test_catalogue_is_large_and_covers_every_group() -> None:
    groups = {c.id.split("-")[0] for c in CASES}
    assert groups == {"files", "designs", "weighting", "specs", "outputs", "disclosure", "injection"}
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
