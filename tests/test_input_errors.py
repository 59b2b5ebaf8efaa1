"""Hostile and careless input gets the library's own error (issue #10, items 9, 11, 12 and 13).

* text conditions of ``Design.subset`` are parsed, never evaluated as code;
* degenerate t tests raise DataError instead of ZeroDivisionError or a letter from rounding noise;
* a truncated SAS transport file or CSV is an error, not fewer rows;
* a bad replicate-weight pattern or replicate count is a DesignError; a nominal variable that is
  averaged or used as a driver gives a NominalVariableWarning.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError, DesignError, NominalVariableWarning
from citizensfirst.io.codebook import Codebook, Variable
from citizensfirst.samplegen.generator import sample_path


@pytest.fixture(scope="module")
def sample() -> cf.Survey:
    return cf.read_survey(sample_path("cf2023"))


@pytest.fixture(scope="module")
def design(sample: cf.Survey) -> cf.Design:
    return cf.Design(sample, weights="wt_design")


# ------------------------------------------------------------------ item 9: subset conditions


@pytest.mark.parametrize("template", [
    "@pd.io.common.os.system('touch {path}')",
    "__import__('os').system('touch {path}')",
    "prov == 35 & __import__('os').system('touch {path}') == 0",
    "prov.__class__.__init__.__globals__['os'].system('touch {path}') == 0",
    "(lambda: __import__('os').system('touch {path}'))() == 0",
])
def test_a_subset_string_never_runs_code(design: cf.Design, tmp_path: Path, template: str) -> None:
    sentinel = tmp_path / "pwned"
    with pytest.raises(DesignError, match="subset condition"):
        design.subset(template.format(path=sentinel))
    assert not sentinel.exists()


@pytest.mark.parametrize(("condition", "piece"), [
    ("prov.values == 35", "an attribute (prov.values)"),
    ("len(prov) == 3", "a function call (len(prov))"),
    ("prov[0] == 35", "a subscript (prov[0])"),
    ("prov + 1 == 36", "arithmetic (prov + 1)"),
    ("f'{prov}' == '35'", "an f-string"),
    ("__class__ == 1", "a dunder name (__class__)"),
    ("prov == @value", "'@'"),
    ("35 == 35", "a comparison of two values"),
    ("prov is None", "'Is'"),
])
def test_refused_constructs_are_named(design: cf.Design, condition: str, piece: str) -> None:
    with pytest.raises(DesignError) as info:
        design.subset(condition)
    assert piece in str(info.value) and condition in str(info.value)


def test_an_unknown_column_in_a_condition_is_a_data_error(design: cf.Design) -> None:
    with pytest.raises(DataError, match=r"not found: 'provv' \(did you mean 'prov'"):
        design.subset("provv == 35")


@pytest.mark.parametrize(("condition", "mask_of"), [
    ("prov == 35 & age_grp in [1, 2]", lambda df: (df.prov == 35) & df.age_grp.isin([1, 2])),
    ("prov == 35 and age_grp not in (3,)", lambda df: (df.prov == 35) & df.age_grp.isin([1, 2])),
    ("1 <= age_grp < 3 | ~(q_time >= 4)", lambda df: df.age_grp.between(1, 2) | (df.q_time < 4)),
    ("not (prov in [24, 35]) or (gender == 2 & educ > 2)",
     lambda df: ~df.prov.isin([24, 35]) | ((df.gender == 2) & (df.educ > 2))),
    ("q_time > q_access", lambda df: df.q_time > df.q_access),
    ("-1 < q_online_acct", lambda df: df.q_online_acct > -1),
])
def test_allowed_conditions_give_the_domain_of_the_mask(design: cf.Design, sample: cf.Survey,
                                                        condition: str, mask_of) -> None:
    df = sample.data
    mask = mask_of(df).fillna(False).to_numpy(dtype=bool)
    assert 0 < mask.sum() < len(df)
    by_text, by_mask = design.subset(condition), design.subset(mask)
    assert len(by_text.weights) == len(df)  # domains keep every row
    np.testing.assert_array_equal(by_text.weights.to_numpy(), by_mask.weights.to_numpy())
    a, b = by_text.mean("q_overall"), by_mask.mean("q_overall")
    assert a.estimate == b.estimate and a.se == b.se


def test_missing_values_never_satisfy_a_condition() -> None:
    df = pd.DataFrame({"g": [1.0, 2.0, np.nan, 3.0, np.nan], "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
    d = cf.Design(df)
    # as R's subset: NA != 3 is NA, not TRUE; only == None selects the missing rows
    assert d.subset("g != 3").weights.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert d.subset("not g == 3").weights.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert d.subset("g not in [3]").weights.tolist() == [1.0, 1.0, 0.0, 0.0, 0.0]
    assert d.subset("g == None").weights.tolist() == [0.0, 0.0, 1.0, 0.0, 1.0]
    assert d.subset("g in [1, None]").weights.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert d.subset("g != 3").mean("y").estimate == 1.5


def test_text_compared_with_a_numeric_column_is_refused(design: cf.Design) -> None:
    with pytest.raises(DataError, match="'prov' holds numbers"):
        design.subset("prov == '35'")


# ------------------------------------------------------------------ item 11: degenerate t tests


def test_ttest_with_one_value_is_a_data_error() -> None:
    df = pd.DataFrame({"y": [4.0, np.nan, np.nan, np.nan], "g": list("aabb")})
    with pytest.raises(DataError, match=r"t test of 'y': 1 respondent\(s\) with a value"):
        cf.Design(df).ttest("y")


def test_ttest_group_with_one_value_names_the_group() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, np.nan, np.nan, 4.0], "g": list("aaabbb")})
    with pytest.raises(DataError, match=r"'y'.*group g = 'b'"):
        cf.Design(df).ttest("y", by="g")


def test_a_zero_variance_comparison_is_not_tested(sample: cf.Survey) -> None:
    # a constant rating: the old code gave difference -1e-15 with p = 0.003 ("significant")
    d = cf.Design(sample.data.assign(flat=3.0), weights="wt_design")
    with pytest.raises(DataError, match="'flat'.*constant within each group.*zero variance"):
        d.subset("gender in [1, 2]").ttest("flat", by="gender")
    with pytest.raises(DataError, match="'flat'.*zero variance"):
        d.ttest("flat", mu=3.0)


def test_a_test_without_degrees_of_freedom_is_a_data_error() -> None:
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "p": [1, 1, 2, 2]})
    with pytest.raises(DataError, match="0 degrees of freedom"):
        cf.Design(df, psu="p").ttest("y")


# ------------------------------------------------------------------ item 12: short reads


def _xpt(tmp_path: Path, version: int, rows: int = 100) -> bytes:
    df = pd.DataFrame({"a": np.arange(rows, dtype=float), "b": np.arange(rows) * 2.0, "c": ["x"] * rows})
    good = tmp_path / f"good{version}.xpt"
    pyreadstat.write_xport(df, str(good), file_format_version=version)
    assert len(cf.read_survey(good).data) == rows
    return good.read_bytes()


@pytest.mark.parametrize("version", [5, 8])
@pytest.mark.parametrize("records", [1, 2, 10])
def test_xpt_cut_at_a_record_boundary_is_an_error(tmp_path: Path, version: int, records: int) -> None:
    raw = _xpt(tmp_path, version)
    cut = tmp_path / "cut.xpt"
    cut.write_bytes(raw[: len(raw) - 80 * records])
    with pytest.raises(DataError) as info:
        cf.read_survey(cut)
    message = str(info.value)
    assert str(cut) in message and "truncated" in message
    found = pyreadstat.read_xport(str(cut))[0].shape[0]  # what a silent reader returns
    assert f"{found} complete rows found" in message if version == 5 else f"states 100 rows but holds {found}" in message


def test_xpt_cut_mid_record_is_an_error(tmp_path: Path) -> None:
    raw = _xpt(tmp_path, 5)
    cut = tmp_path / "odd.xpt"
    cut.write_bytes(raw[:-7])
    with pytest.raises(DataError, match=r"odd\.xpt.*not a whole number of 80-byte records"):
        cf.read_survey(cut)


def test_xpt_padding_is_not_mistaken_for_a_cut(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": np.arange(7.0), "b": np.arange(7.0)})  # 112 bytes of rows, 48 of padding
    path = tmp_path / "pad.xpt"
    pyreadstat.write_xport(df, str(path), file_format_version=5)
    assert cf.read_survey(path).data["a"].tolist() == list(np.arange(7.0))


def _good_csv(tmp_path: Path) -> bytes:
    path = tmp_path / "good.csv"
    cf.write_survey(cf.Survey(pd.DataFrame({"id": range(1, 51), "q1": [3] * 50, "q2": [4] * 50})),
                    path, sidecar=False)
    return path.read_bytes()


def test_csv_cut_mid_row_names_the_row(tmp_path: Path) -> None:
    raw = _good_csv(tmp_path)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(raw[: raw.index(b"\n31,") + 4])  # ends with "31," : row 31 lacks q2
    with pytest.raises(DataError, match=r"cut\.csv: data row 31 \(line 32\) has 2 fields, fewer than the header's 3"):
        cf.read_survey(cut)
    opted = cf.read_survey(cut, allow_short_rows=True).data
    assert len(opted) == 31 and np.isnan(opted["q2"].iloc[-1]) and opted["q2"].iloc[-2] == 4


def test_csv_short_row_in_the_middle(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("id,q1,q2\n1,3,4\n\n2,3\n3,3,4\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"short\.csv: data row 2 \(line 4\)"):
        cf.read_survey(path)
    assert cf.read_survey(path, allow_short_rows=True).data["q2"].isna().tolist() == [False, True, False]


def test_csv_rows_longer_than_the_header_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("q1,q2\n1,2,3\n4,5,6\n", encoding="utf-8")  # pandas would make q1 an index
    with pytest.raises(DataError, match=r"long\.csv: data row 1 \(line 2\) has 3 fields, more than"):
        cf.read_survey(path, allow_short_rows=True)


def test_allow_short_rows_is_only_for_csv(tmp_path: Path) -> None:
    path = tmp_path / "d.parquet"
    cf.write_survey(cf.Survey(pd.DataFrame({"a": [1.0]})), path, sidecar=False)
    with pytest.raises(DataError, match="only for CSV"):
        cf.read_survey(path, allow_short_rows=True)


# ------------------------------------------------------------------ item 13: our errors, not tracebacks


@pytest.mark.parametrize("pattern", ["rw[", "rw(", "*rw"])
def test_invalid_replicate_pattern_is_a_design_error(pattern: str) -> None:
    df = pd.DataFrame({"y": [1.0, 2.0], "rw1": [1.0, 1.0], "rw2": [1.0, 1.0]})
    with pytest.raises(DesignError) as info:
        cf.Design(df, replicate_weights=pattern, method="bootstrap")
    assert repr(pattern) in str(info.value) and "regular expression" in str(info.value)


@pytest.mark.parametrize("replicates", [0, 1, -5, 2.5, True, "200"])
def test_bad_replicate_counts_are_design_errors(design: cf.Design, replicates: object) -> None:
    with pytest.raises(DesignError, match="replicates must be a whole number of at least 2"):
        design.drivers("q_overall", ["q_time", "q_access"], replicates=replicates)


@pytest.mark.parametrize("replicates", ["1", "-5"])
def test_drivers_command_reports_a_bad_replicate_count(tmp_path: Path, replicates: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``--replicates 1`` used to become 2 silently; now it is refused (exit 2), nothing written."""
    from citizensfirst.cli import main
    from citizensfirst.samplegen.generator import sample_path

    rc = main(["drivers", str(sample_path("cf2023")), "--outcome", "q_overall", "--drivers", "q_time",
               "q_access", "--out", str(tmp_path / "out"), "--replicates", replicates])
    assert rc == 2
    assert "replicates must be a whole number of at least 2" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_bad_replicate_count_in_as_replicate(sample: cf.Survey) -> None:
    d = cf.Design(sample, weights="wt_design", strata="prov")
    with pytest.raises(DesignError, match="replicates must be"):
        d.as_replicate("bootstrap", replicates=0, seed=1)


def _nominal_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, NominalVariableWarning)]


def test_mean_of_a_nominal_variable_warns(design: cf.Design, sample: cf.Survey) -> None:
    assert sample.codebook["prov"].measure == "nominal"
    with pytest.warns(NominalVariableWarning, match="'prov' is nominal"):
        design.mean("prov")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        design.mean("q_time")
        design.proportion("prov")
    assert _nominal_warnings(caught) == []


def test_nominal_driver_or_outcome_warns(design: cf.Design) -> None:
    with pytest.warns(NominalVariableWarning, match="'prov' is nominal.*driver analysis"):
        design.drivers("q_overall", ["q_time", "prov"], ci=None)
    with pytest.warns(NominalVariableWarning, match="'gender' is nominal"):
        design.drivers("gender", ["q_time", "q_access"], ci=None)


def test_a_nominal_indicator_may_be_averaged() -> None:
    cb = Codebook([Variable("web", measure="nominal"), Variable("region", measure="nominal")])
    d = cf.Design(cf.Survey(pd.DataFrame({"web": [0, 1, 1, np.nan], "region": [1, 2, 2, 3]}), cb))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert d.mean("web").estimate == pytest.approx(2 / 3)
        d.mean(["web", "region"])
    assert _nominal_warnings(caught) == [m for m in _nominal_warnings(caught) if "'region'" in m]
    assert len(_nominal_warnings(caught)) == 1
