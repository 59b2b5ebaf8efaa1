"""The file-format registry: one FileFormat record per suffix drives reading, writing and the CLI lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from citizensfirst import Codebook, DataError, Survey, Variable
from citizensfirst.io import formats
from citizensfirst.io.codebook import Codebook as CodebookType
from citizensfirst.io.formats import FORMATS, FileFormat
from citizensfirst.io.rawdata import RawData, ReadOptions
from citizensfirst.io.readers import read_survey
from citizensfirst.io.writers import write_survey


def _read_tsv(path: Path, options: ReadOptions) -> RawData:
    frame = pd.read_csv(path, sep="\t", encoding=options.encoding or "utf-8")
    return RawData(frame, CodebookType(), list(frame.columns), {}, options.encoding or "utf-8")


def _write_tsv(survey: Survey, frame: pd.DataFrame, out: Path, path: Path) -> None:
    frame.to_csv(out, sep="\t", index=False)


TSV = FileFormat(".tsv", "TSV", "Tab-separated text", _read_tsv, _write_tsv, sidecar=True)


def test_a_format_added_as_one_record_is_read_and_written(tmp_path, monkeypatch):
    path = tmp_path / "cf.tsv"
    path.write_text("q1\tprov\n1\tON\n8\tQC\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"unsupported file type '\.tsv'"):
        read_survey(path)
    monkeypatch.setitem(FORMATS, ".tsv", TSV)
    survey = read_survey(path, codebook=Codebook([Variable("q1", missing={8: "Don't know"})]))
    assert survey.data["q1"].isna().tolist() == [False, True]
    assert survey.missing_counts("q1").loc[8].tolist() == [1]
    assert survey.source.format == "tsv"
    out = tmp_path / "copy.tsv"
    write_survey(survey, out)
    assert out.read_text(encoding="utf-8").splitlines() == ["q1\tprov", "1.0\tON", "8.0\tQC"]
    assert read_survey(out).missing_counts("q1").loc[8].tolist() == [1]  # the sidecar came too


def test_read_and_write_lists_are_the_tables():
    assert formats.READ_FORMATS == {s: f.description for s, f in FORMATS.items() if f.read is not None}
    assert formats.WRITE_FORMATS == tuple(s for s, f in FORMATS.items() if f.write is not None)
    assert formats.READ_FORMATS == {
        ".sav": "SPSS system file",
        ".zsav": "SPSS compressed system file",
        ".por": "SPSS portable file",
        ".dta": "Stata file",
        ".sas7bdat": "SAS data set",
        ".xpt": "SAS transport (XPORT) file",
        ".csv": "CSV text (with an optional codebook sidecar)",
        ".parquet": "Parquet (with an optional codebook sidecar)",
    }
    assert formats.WRITE_FORMATS == (".sav", ".zsav", ".dta", ".csv", ".parquet")
    assert all(suffix == f.suffix for suffix, f in FORMATS.items())


def test_supported_lists_in_errors_follow_the_table(tmp_path, monkeypatch):
    monkeypatch.setitem(FORMATS, ".tsv", TSV)
    with pytest.raises(DataError, match=r"supported: .*\.parquet, \.tsv$"):
        read_survey(tmp_path / "x.xlsx")
    with pytest.raises(DataError, match=r"cannot write file type '\.xlsx'; supported: .*\.parquet, \.tsv$"):
        write_survey(Survey(pd.DataFrame({"a": [1]})), tmp_path / "x.xlsx")


def test_option_for_another_format_is_refused_by_name(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"a\.csv: catalog= is only for SAS \.sas7bdat files"):
        read_survey(path, catalog=tmp_path / "formats.sas7bcat")
    parquet = tmp_path / "a.parquet"
    write_survey(Survey(pd.DataFrame({"a": [1]})), parquet)
    with pytest.raises(DataError, match=r"a\.parquet: allow_short_rows= is only for CSV files"):
        read_survey(parquet, allow_short_rows=True)


@pytest.mark.parametrize("suffix", [s for s, f in FORMATS.items() if f.read and f.write])
def test_every_writable_format_round_trips_codes_and_labels(tmp_path, suffix):
    cb = Codebook([Variable("q", label="Courtesy", value_labels={1: "Poor", 5: "Excellent"},
                            missing={8: "Don't know", 9: "Refused"}),
                   Variable("s", label="Province", missing={"ZZ": "Refused"})])
    survey = Survey(pd.DataFrame({"q": [1.0, 5.0, 8.0, 9.0, np.nan], "s": ["ON", "ZZ", "QC", "ON", "BC"]}), cb)
    out = tmp_path / f"cf{suffix}"
    write_survey(survey, out)
    back = read_survey(out)
    np.testing.assert_array_equal(back.data["q"].to_numpy(dtype=float), [1.0, 5.0, np.nan, np.nan, np.nan])
    assert back.data["s"].tolist()[0] == "ON" and pd.isna(back.data["s"].tolist()[1])
    assert back.missing_counts("q").to_dict() == {(8, "Don't know"): 1, (9, "Refused"): 1,
                                                  (".", "System missing"): 1}
    assert back.codebook["q"].value_labels == {1: "Poor", 5: "Excellent"}
    assert back.source.format == suffix[1:]
