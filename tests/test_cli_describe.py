"""`citizensfirst describe` through cli.main()."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from citizensfirst import Codebook, Survey, Variable, write_survey
from citizensfirst.cli import main
from citizensfirst.fileutil import sha256_file


@pytest.fixture()
def cf_sav(tmp_path):
    df = pd.DataFrame({"q_time": [1.0, 5.0, 8.0, 8.0, 9.0, None], "prov": ["ON", "QC", "QC", "BC", "ON", "ON"]})
    cb = Codebook([
        Variable("q_time", label="Time it took", label_fr="Délai", measure="ordinal",
                 value_labels={1: "Very dissatisfied", 5: "Very satisfied"},
                 value_labels_fr={1: "Très insatisfait", 5: "Très satisfait"},
                 missing={8: "Don't know", 9: "Not applicable"},
                 missing_fr={8: "Ne sait pas", 9: "Sans objet"}),
        Variable("prov", label="Province", value_labels={"ON": "Ontario", "QC": "Québec"}),
    ], title="CF test")
    path = tmp_path / "cf.sav"
    write_survey(Survey(df, cb), path)
    return path


def test_describe_text(cf_sav, capsys):
    assert main(["describe", str(cf_sav)]) == 0
    out = capsys.readouterr().out
    assert f"sha256: {sha256_file(cf_sav)}" in out
    assert "Rows: 6  Columns: 2" in out
    assert "Title: CF test" in out
    assert "q_time  [float64, ordinal, valid 2]  Time it took" in out
    assert "values: 1 = Very dissatisfied; 5 = Very satisfied" in out
    assert "missing: 8 = Don't know (2); 9 = Not applicable (1)" in out
    assert "system missing: 1" in out
    assert "values: ON = Ontario; QC = Québec" in out


def test_describe_french(cf_sav, capsys):
    assert main(["describe", str(cf_sav), "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Délai" in out
    assert "8 = Ne sait pas (2); 9 = Sans objet (1)" in out
    assert "Lignes: 6" in out


def test_describe_json(cf_sav, capsys):
    assert main(["describe", str(cf_sav), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n_rows"] == 6 and doc["n_columns"] == 2
    assert doc["source"]["sha256"] == sha256_file(cf_sav)
    assert doc["source"]["format"] == "sav"
    assert doc["source"]["size"] == cf_sav.stat().st_size
    q = doc["variables"][0]
    assert q["name"] == "q_time" and q["label"] == "Time it took" and q["n_valid"] == 2
    assert q["missing"] == [{"code": 8, "label": "Don't know", "count": 2},
                            {"code": 9, "label": "Not applicable", "count": 1}]
    assert q["system_missing"] == 1
    assert q["value_labels"] == [{"code": 1, "label": "Very dissatisfied"},
                                 {"code": 5, "label": "Very satisfied"}]
    assert doc["variables"][1]["value_labels"][1] == {"code": "QC", "label": "Québec"}


def test_describe_reference_file_json(capsys):
    ref = os.environ.get("CITIZENSFIRST_REFERENCE")
    base = Path(ref) if ref else Path(__file__).resolve().parents[1].parent / "shared" / "reference"
    path = base / "files" / "multiple_response__simple_alltypes.sav"
    if not path.is_file():
        pytest.fail(f"reference file {path} not found; set CITIZENSFIRST_REFERENCE")
    assert main(["describe", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    z = next(v for v in doc["variables"] if v["name"] == "z")
    assert z["missing_ranges"] == [[-999, 0]]
    assert z["missing"] == [{"code": -9, "label": "", "count": 1},
                            {"code": 999, "label": "skipped", "count": 1}]
    assert doc["mr_sets"]["mymrset"]["variable_list"] == ["bool1", "bool2", "bool3"]
    assert Path(doc["source"]["path"]).name == path.name


def test_describe_corrupt_file_exits_2(tmp_path, capsys, cf_sav):
    bad = tmp_path / "broken.sav"
    bad.write_bytes(cf_sav.read_bytes()[:200])
    assert main(["describe", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("citizensfirst: error: ")
    assert "broken.sav" in captured.err and "Traceback" not in captured.err


def test_describe_usage_errors(tmp_path, capsys):
    assert main(["describe", str(tmp_path / "missing.sav")]) == 2
    assert "missing.sav: no such file" in capsys.readouterr().err
    assert main(["describe"]) == 2
    assert "needs a FILE" in capsys.readouterr().err
    assert main(["describe", "x.sav", "--lang", "de"]) == 2  # argparse rejects the choice
    assert main([]) == 2
    assert main(["--version"]) == 0
