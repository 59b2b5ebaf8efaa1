"""read_survey / write_survey / Survey against pyreadstat's own fixtures and round trips.

The reference fixtures live in ``shared/reference/files`` beside the project (override with the
environment variable CITIZENSFIRST_REFERENCE pointing at the ``reference`` folder). They are
pyreadstat's test files; ``pyreadstat_metadata.json`` records what pyreadstat 1.3.7 reads from
each, with and without ``user_missing=True``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citizensfirst import Codebook, CodebookError, DataError, Survey, Variable
from citizensfirst.io.codebook_checks import merge_codebooks
from citizensfirst.io.codes import normalize_code
from citizensfirst.io.formats import READ_FORMATS, sidecar_path
from citizensfirst.io.readers import read_survey
from citizensfirst.io.writers import write_survey


def _reference_dir() -> Path:
    env = os.environ.get("CITIZENSFIRST_REFERENCE")
    ref = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "reference"
    if not (ref / "files" / "pyreadstat_metadata.json").is_file():
        pytest.fail(
            f"reference fixtures not found at {ref}/files/pyreadstat_metadata.json; put the "
            f"project's shared/reference folder beside the repository or set CITIZENSFIRST_REFERENCE"
        )
    return ref


@pytest.fixture(scope="module")
def files() -> Path:
    return _reference_dir() / "files"


def _metadata() -> dict:
    ref = _reference_dir()
    return json.loads((ref / "files" / "pyreadstat_metadata.json").read_text(encoding="utf-8"))["files"]


try:
    REFERENCE_NAMES = sorted(_metadata())
except pytest.fail.Exception:  # reported by the fixture-using tests below
    REFERENCE_NAMES = ["<reference folder missing>"]


def _catalog_of(entry: dict) -> str | None:
    match = re.search(r"catalog_file='([^']+)'", entry["call"])
    return match.group(1) if match else None


def _norm(value):
    """A cell as the metadata JSON writes it: None, float, str (dates/times ISO)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def _expected_codebook_labels(var: Variable) -> dict:
    """Value labels as pyreadstat reports them: our value labels plus labelled missing codes."""
    out = dict(var.value_labels)
    out.update({c: t for c, t in var.missing.items() if t})
    return out


def _pyreadstat_labels(raw: dict, numeric: bool) -> dict:
    out = {}
    for key, text in raw.items():
        code = normalize_code(key)
        if numeric and isinstance(code, str):
            code = "." + code  # tagged missing 'a' -> '.a'
        out[code] = text
    return out


# ---------------------------------------------------------------------------------------------
# reference files


def test_reference_folder_is_found(files):
    assert (files / "basic__sample.sav").is_file()


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_reference_metadata_matches_pyreadstat(files, name):
    entries = _metadata()[name]
    um = entries.get("user_missing=True", entries["user_missing=False"])
    catalog = _catalog_of(um)
    survey = read_survey(files / name, catalog=files / catalog if catalog else None)

    assert list(survey.shape) == um["shape"]
    assert survey.columns == um["columns"]
    assert survey.codebook.title == (um["file_label"] or None)
    assert survey.source.format == name.rsplit(".", 1)[1]
    assert survey.source.size == (files / name).stat().st_size
    assert len(survey.source.sha256) == 64
    for col in um["columns"]:
        var = survey.codebook[col]
        numeric = um["readstat_types"][col] != "string"
        assert var.label == (um["column_labels"][col] or None), col
        assert _expected_codebook_labels(var) == _pyreadstat_labels(
            um["value_labels"].get(col, {}), numeric), col
        measure = um["measure"][col]
        assert var.measure == (None if measure == "unknown" else measure), col
        # SPSS user-missing: discrete values (lo == hi) and ranges
        discrete = {normalize_code(r["lo"]) for r in um["missing_ranges"].get(col, []) if r["lo"] == r["hi"]}
        spans = [(r["lo"], r["hi"]) for r in um["missing_ranges"].get(col, []) if r["lo"] != r["hi"]]
        tagged = {"." + t for t in um["missing_user_values"].get(col, [])}
        assert set(var.missing) == discrete | tagged, col
        assert list(var.missing_ranges) == spans, col
    assert {k: dict(v) for k, v in survey.mr_sets.items()} == um["mr_sets"]


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_reference_cells_match_pyreadstat(files, name):
    entries = _metadata()[name]
    plain = entries["user_missing=False"]
    kept = entries.get("user_missing=True", plain)
    catalog = _catalog_of(kept)
    survey = read_survey(files / name, catalog=files / catalog if catalog else None)
    data = survey.data
    labelled = survey.labelled()
    codes = survey.missing_codes
    n_code_cells = 0
    for row, (plain_row, kept_row) in enumerate(zip(plain["rows"], kept["rows"], strict=True)):
        for j, col in enumerate(kept["columns"]):
            var = survey.codebook[col]
            expected_plain, expected_kept = plain_row[j], kept_row[j]
            # .data holds what pyreadstat reads with user_missing=False (formatted when a SAS
            # catalog applied labels)
            actual = labelled[col].iloc[row] if catalog else data[col].iloc[row]
            got = _norm(actual)
            if isinstance(expected_plain, float):
                assert got == pytest.approx(expected_plain), (col, row)
            else:
                assert got == expected_plain, (col, row)
            # cells that only user_missing=True sees hold a missing code, recoverable
            if expected_plain is None and expected_kept is not None:
                n_code_cells += 1
                code = codes[col].loc[data.index[row]]
                if isinstance(expected_kept, str) and kept["readstat_types"][col] != "string":
                    assert code == "." + expected_kept or var.missing.get(code) == expected_kept, (col, row)
                else:
                    assert code == normalize_code(expected_kept), (col, row)
    assert sum(len(v) for v in codes.values()) == n_code_cells
    # and every one of them is counted
    total = sum(
        int(n) for col in survey.columns
        for (code, _), n in survey.missing_counts(col).items() if code != "."
    )
    assert total == n_code_cells


def test_sample_missing_codes_and_counts(files):
    survey = read_survey(files / "basic__sample_missing.sav")
    mynum = survey.codebook["mynum"]
    assert dict(mynum.missing) == {-1: ""}
    assert mynum.missing_ranges == ((2000.0, 3000.0),)
    assert dict(survey.codebook["mylabl"].missing) == {-1: "undetermined"}
    assert dict(survey.codebook["mylabl"].value_labels) == {1: "Male", 2: "Female"}
    assert dict(survey.codebook["myord"].missing) == {-1: "missing", -2: "", -3: ""}
    counts = survey.missing_counts("myord")
    assert counts.to_dict() == {(-3, ""): 1, (-2, ""): 0, (-1, "missing"): 1, (".", "System missing"): 0}
    counts = survey.missing_counts("mynum")
    assert counts.to_dict() == {(-1, ""): 1, (2500, ""): 1, (".", "System missing"): 0}
    counts = survey.missing_counts("mylabl")
    assert counts.to_dict() == {(-1, "undetermined"): 1, (".", "System missing"): 1}
    assert survey.data["mynum"].isna().tolist() == [False] * 5 + [True, True]
    assert survey.data["mynum"].dtype == np.float64


def test_sample_missing_against_spss_exports(files):
    """basic__sample_missing(_user).csv are SPSS's own exports (#NULL! = missing)."""
    survey = read_survey(files / "basic__sample_missing.sav")
    plain = pd.read_csv(files / "basic__sample_missing.csv", na_values=["#NULL!"], keep_default_na=False)
    user = pd.read_csv(files / "basic__sample_missing_user.csv", na_values=["#NULL!"], keep_default_na=False)
    restored = survey.with_missing_codes()
    for col in ("mynum", "mylabl", "myord"):
        np.testing.assert_allclose(survey.data[col].to_numpy(dtype=float), plain[col].to_numpy(dtype=float))
        np.testing.assert_allclose(restored[col].to_numpy(dtype=float), user[col].to_numpy(dtype=float))
    assert survey.data["mychar"].fillna("").tolist() == plain["mychar"].fillna("").tolist()


def test_tagged_missing_against_expected_csvs(files):
    dta = read_survey(files / "missing_data__missing_test.dta")
    formatted = pd.read_csv(files / "missing_data__missing_dta_formatted.csv")
    unformatted = pd.read_csv(files / "missing_data__missing_unformatted.csv")
    for col in unformatted.columns:
        assert _norm(dta.data[col].iloc[0]) == _norm(unformatted[col].iloc[0])
    restored = dta.with_missing_codes()
    for col in ("var1", "var2", "var3", "var4", "var5", "var6"):
        assert restored[col].iloc[0] == "." + formatted[col].iloc[0]
    assert dict(dta.codebook["var1"].missing) == {".a": "missing"}

    sas = read_survey(files / "missing_data__missing_test.sas7bdat",
                      catalog=files / "missing_data__missing_formats.sas7bcat")
    labelled = pd.read_csv(files / "missing_data__missing_sas_labeled.csv")
    counts = sas.missing_counts("var1")
    assert counts.to_dict() == {(".A", labelled["var1"].iloc[0]): 1, (".", "System missing"): 0}
    assert sas.with_missing_codes()["var7"].iloc[0] == "._"
    # without the catalog there is no label for .A
    bare = read_survey(files / "missing_data__missing_test.sas7bdat")
    assert dict(bare.codebook["var1"].missing) == {".A": ""}


def test_sas_catalog_labels(files):
    survey = read_survey(files / "sas_catalog__test_data_linux.sas7bdat",
                         catalog=files / "sas_catalog__test_formats_linux.sas7bcat")
    expected = pd.read_csv(files / "sas_catalog__sas_formatted.csv")
    labelled = survey.labelled()
    assert labelled["SEXA"].astype(str).tolist() == expected["SEXA"].tolist()
    assert labelled["SEXB"].astype(str).tolist() == expected["SEXB"].tolist()
    # codes stay codes in .data
    assert survey.data["SEXA"].tolist() == ["1", "2", "1"]
    assert survey.codebook.title == "mytest label"
    plain = read_survey(files / "sas_catalog__test_data_linux.sas7bdat")
    assert dict(plain.codebook["SEXA"].value_labels) == {}


def test_labelled_categoricals_in_code_order(files):
    survey = read_survey(files / "basic__ordered_category.sav")
    col = survey.labelled()["Col1"]
    assert list(col.cat.categories) == ["high", "low", "medium"]  # code order 1, 2, 3
    assert col.cat.ordered  # measure ordinal
    assert col.tolist()[:3] == ["high", "low", "medium"]
    data = survey.data
    assert data["Col1"].dtype == np.float64  # codes stay numbers in .data
    sample = read_survey(files / "basic__sample_missing.sav").labelled()
    assert list(sample["myord"].cat.categories) == ["low", "medium", "high"]
    assert sample["myord"].isna().tolist() == [False] * 5 + [True, True]
    assert "missing" not in list(sample["myord"].cat.categories)


def test_columns_selection(files):
    survey = read_survey(files / "multiple_response__simple_alltypes.sav", columns=["z", "x"])
    assert survey.columns == ["z", "x"]
    assert list(survey.codebook) == ["z", "x"]
    assert survey.mr_sets == {}
    assert survey.missing_counts("z").sum() == 4
    with pytest.raises(DataError) as info:
        read_survey(files / "basic__sample.sav", columns=["mynum", "nope", "zilch"])
    message = str(info.value)
    assert "basic__sample.sav" in message and "'nope'" in message and "'zilch'" in message
    assert "mychar" in message  # lists the real columns


def test_por_reads(tmp_path, files):
    # pyreadstat cannot write .por; check at least that a corrupt one names the problem
    bad = tmp_path / "bad.por"
    bad.write_bytes(b"not a portable file" * 20)
    with pytest.raises(DataError, match=r"bad\.por: cannot read as SPSS \.por file"):
        read_survey(bad)


# ---------------------------------------------------------------------------------------------
# round trips


def _assert_same_survey(a: Survey, b: Survey, *, mr_sets: bool = True) -> None:
    pd.testing.assert_frame_equal(a.data, b.data)
    doc_a, doc_b = a.codebook.to_dict(), b.codebook.to_dict()
    if not mr_sets:  # pyreadstat cannot write SPSS MRSETS records: only the sidecar keeps them
        assert "mr_sets" not in doc_b
        doc_a.pop("mr_sets", None)
    assert doc_a == doc_b
    codes_a, codes_b = a.missing_codes, b.missing_codes
    assert codes_a.keys() == codes_b.keys()
    for key in codes_a:
        pd.testing.assert_series_equal(codes_a[key], codes_b[key])
    for col in a.columns:
        pd.testing.assert_series_equal(a.missing_counts(col), b.missing_counts(col))


@pytest.mark.parametrize("name", ["basic__sample_missing.sav", "multiple_response__simple_alltypes.sav",
                                  "missing_data__missing_test.sav", "basic__ordered_category.sav"])
@pytest.mark.parametrize("ext", [".sav", ".zsav"])
def test_sav_round_trip_is_lossless(tmp_path, files, name, ext):
    first = read_survey(files / name)
    out = tmp_path / f"copy{ext}"
    write_survey(first, out, sidecar=False)
    assert not sidecar_path(out).exists()
    second = read_survey(out)
    _assert_same_survey(first, second, mr_sets=False)
    assert second.source.format == ext[1:]
    # the codes are really in the file, declared user-missing
    import pyreadstat

    raw, meta = pyreadstat.read_sav(str(out), user_missing=True)
    if name == "basic__sample_missing.sav":
        assert raw["myord"].tolist()[5:] == [-1.0, -3.0]
        assert meta.missing_ranges["myord"] == [{"lo": -1.0, "hi": -1.0}, {"lo": -2.0, "hi": -2.0},
                                                {"lo": -3.0, "hi": -3.0}]
        assert meta.variable_value_labels["myord"] == {-1.0: "missing", 1.0: "low", 2.0: "medium", 3.0: "high"}


def _cf_survey() -> Survey:
    df = pd.DataFrame({
        "resp_id": [101, 102, 103, 104, 105, 106],
        "q_time": [1, 5, 8, 9, 4, np.nan],
        "q_court": [5.0, 4.0, 3.0, 95.0, 8.0, 2.0],
        "prov": ["ON", "QC", "QC", "BC", "ZZ", "AB"],
        "wt": [1.5, 0.5, 1.0, 2.0, 1.0, 1.0],
    })
    cb = Codebook([
        Variable("q_time", label="Satisfaction with the time it took",
                 label_fr="Satisfaction à l'égard du délai", measure="ordinal", scale=(1, 5),
                 dimension="timeliness",
                 value_labels={1: "Very dissatisfied", 5: "Very satisfied"},
                 value_labels_fr={1: "Très insatisfait", 5: "Très satisfait"},
                 missing={8: "Don't know", 9: "Not applicable"},
                 missing_fr={8: "Ne sait pas", 9: "Sans objet"}),
        Variable("q_court", label="Courtesy", missing={8: "Don't know"}, missing_ranges=[(90, 99)],
                 measure="ordinal"),
        Variable("prov", label="Province", value_labels={"ON": "Ontario", "QC": "Québec"},
                 missing={"ZZ": "Refused"}, measure="nominal"),
        Variable("wt", label="Poids « final »", measure="scale"),
    ], title="Citizens First test", title_fr="Les citoyens d'abord (essai)")
    return Survey(df, cb)


def test_survey_does_not_mutate_input():
    df = pd.DataFrame({"q": [1.0, 8.0, 9.0], "s": ["a", "x", "b"]})
    before = df.copy()
    cb = Codebook([Variable("q", missing={8: "DK"}), Variable("s", missing={"x": "Refused"})])
    survey = Survey(df, cb)
    pd.testing.assert_frame_equal(df, before)
    view = survey.data
    view.loc[0, "q"] = 99.0
    assert survey.data.loc[0, "q"] == 1.0
    with pytest.raises(AttributeError):
        survey.codebook = cb
    assert survey.missing_counts("s").to_dict() == {("x", "Refused"): 1, (".", "System missing"): 0}
    assert survey.with_missing_codes()["s"].tolist() == ["a", "x", "b"]


def test_cf_counts_and_labels():
    survey = _cf_survey()
    assert survey.data["q_time"].tolist()[:2] == [1.0, 5.0]
    assert survey.data["q_time"].isna().tolist() == [False, False, True, True, False, True]
    counts = survey.missing_counts("q_time", language="fr")
    assert counts.to_dict() == {(8, "Ne sait pas"): 1, (9, "Sans objet"): 1,
                                (".", "Valeur manquante système"): 1}
    assert survey.missing_counts("q_court").to_dict() == {
        (8, "Don't know"): 1, (95, ""): 1, (".", "System missing"): 0}
    assert survey.data["resp_id"].dtype == np.int64  # columns without codes keep their dtype
    fr = survey.labelled(language="fr")
    assert fr["q_time"].tolist()[:2] == ["Très insatisfait", "Très satisfait"]
    assert fr["q_time"].tolist()[4] == "4"  # no label: the code as text
    assert list(fr["q_time"].cat.categories) == ["Très insatisfait", "4", "Très satisfait"]
    assert fr["prov"].tolist()[:3] == ["Ontario", "Québec", "Québec"]
    assert "resp_id" in repr(survey._repr_html_())
    assert "6 rows x 5 columns" in repr(survey)


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".sav", ".dta"])
def test_cf_round_trip_with_sidecar(tmp_path, ext):
    survey = _cf_survey()
    before = survey.data
    out = tmp_path / f"cf{ext}"
    write_survey(survey, out)
    pd.testing.assert_frame_equal(survey.data, before)  # writing changes nothing
    assert sidecar_path(out).is_file()
    back = read_survey(out)
    expected = survey.data
    got = back.data
    if ext in (".sav", ".dta"):
        # SPSS/Stata store every number as a double (integer columns come back as float)
        expected = expected.astype({"resp_id": "float64"})
    pd.testing.assert_frame_equal(got, expected, check_dtype=ext not in (".dta",))
    assert back.codebook.to_dict() == survey.codebook.to_dict()
    for col in survey.columns:
        pd.testing.assert_series_equal(back.missing_counts(col), survey.missing_counts(col))
    # the codes are in the file itself
    if ext == ".csv":
        text = out.read_text(encoding="utf-8").splitlines()
        assert text[4].split(",")[1:4] == ["9.0", "95.0", "BC"]
        assert text[5].split(",")[3] == "ZZ"


def test_dta_without_sidecar_keeps_codes_as_values(tmp_path):
    survey = _cf_survey()
    out = tmp_path / "cf.dta"
    write_survey(survey, out, sidecar=False)
    back = read_survey(out)
    # documented limitation: Stata cannot mark 8 as missing, so without the sidecar it is a value
    assert back.data["q_time"].tolist()[2:4] == [8.0, 9.0]
    assert back.codebook["q_time"].label == "Satisfaction with the time it took"
    assert dict(back.codebook["q_time"].value_labels) == {1: "Very dissatisfied", 5: "Very satisfied",
                                                          8: "Don't know", 9: "Not applicable"}


def test_tagged_missing_round_trips(tmp_path, files):
    first = read_survey(files / "missing_data__missing_test.dta")
    for ext in (".dta", ".csv", ".parquet"):
        out = tmp_path / f"tagged{ext}"
        write_survey(first, out)
        second = read_survey(out)
        _assert_same_survey(first, second)
    # Stata-only file, no sidecar: the tags are real Stata tagged missing values
    out = tmp_path / "plain.dta"
    write_survey(first, out, sidecar=False)
    _assert_same_survey(first, read_survey(out))
    # SPSS cannot hold them: written as system missing, with a warning
    with pytest.warns(UserWarning, match="tagged missing"):
        write_survey(first, tmp_path / "tags.sav", sidecar=False)
    back = read_survey(tmp_path / "tags.sav")
    assert back.data.isna().sum().sum() == first.data.isna().sum().sum()
    assert back.missing_codes == {}


def test_mr_sets_survive_csv_sidecar(tmp_path, files):
    first = read_survey(files / "multiple_response__simple_alltypes.sav",
                        columns=["x", "bool1", "bool2", "bool3"])
    assert list(first.mr_sets) == ["mymrset"]
    out = tmp_path / "mr.csv"
    write_survey(first, out)
    back = read_survey(out)
    assert {k: dict(v) for k, v in back.mr_sets.items()} == {k: dict(v) for k, v in first.mr_sets.items()}


def test_sidecar_merges_onto_file_metadata(tmp_path, files):
    shutil.copy(files / "basic__sample_missing.sav", tmp_path / "s.sav")
    sidecar_path(tmp_path / "s.sav").write_text(
        '[survey]\ntitle_fr = "Échantillon"\n\n'
        '[variables.myord]\nlabel_fr = "ordinal (fr)"\nvalues_fr = { 1 = "bas", 2 = "moyen", 3 = "haut" }\n'
        '\n[variables.mynum]\nmissing = { "-1" = "Refused", "1000.3" = "Top-coded" }\n',
        encoding="utf-8")
    survey = read_survey(tmp_path / "s.sav")
    myord = survey.codebook["myord"]
    assert myord.label == "ordinal" and myord.label_fr == "ordinal (fr)"  # file + sidecar
    assert dict(myord.missing) == {-1: "missing", -2: "", -3: ""}  # not in sidecar: file's
    assert survey.codebook.title_fr == "Échantillon"
    # the sidecar's missing codes win over the file's for mynum (range kept: not set in TOML)
    assert dict(survey.codebook["mynum"].missing) == {-1: "Refused", 1000.3: "Top-coded"}
    assert survey.missing_counts("mynum").to_dict() == {
        (-1, "Refused"): 1, (1000.3, "Top-coded"): 1, (2500, ""): 1, (".", "System missing"): 0}
    assert survey.labelled("fr")["myord"].tolist()[:3] == ["bas", "moyen", "haut"]
    # an explicit codebook= replaces the sidecar
    explicit = read_survey(tmp_path / "s.sav", codebook=Codebook([Variable("myord", label="X")]))
    assert explicit.codebook["myord"].label == "X"
    assert explicit.codebook["myord"].label_fr is None


def test_merge_codebooks_field_by_field():
    base = Codebook([Variable("a", label="A", missing={8: "DK"}), Variable("b", label="B")], title="T")
    over = Codebook([Variable("a", label_fr="A fr", scale=(1, 5)), Variable("c", label="C")])
    merged = merge_codebooks(base, over)
    assert list(merged) == ["a", "b", "c"]
    assert merged["a"].label == "A" and merged["a"].label_fr == "A fr" and merged["a"].scale == (1, 5)
    assert dict(merged["a"].missing) == {8: "DK"}
    assert merged.title == "T"


# ---------------------------------------------------------------------------------------------
# hypothesis: generated frames round-trip through .sav and .parquet

_FRENCH = "abcdefghijklmnopqrstuvwxyzéèêàâçôûùïœÉÀÇ «»'’-?"
label_text = st.text(alphabet=_FRENCH, min_size=1, max_size=40).map(str.strip).filter(bool)


@st.composite
def surveys(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    n_num = draw(st.integers(min_value=1, max_value=3))
    columns: dict[str, list] = {}
    variables = []
    for i in range(n_num):
        name = f"q{i + 1}"
        use_range = draw(st.booleans())
        if use_range:
            discrete = draw(st.lists(st.sampled_from([8, 9]), max_size=1, unique=True))
            ranges = [(90.0, 99.0)]
        else:
            discrete = draw(st.lists(st.sampled_from([7, 8, 9, 97, 98, 99]), max_size=3, unique=True))
            ranges = []
        pool = [1, 2, 3, 4, 5, *discrete, float("nan")] + ([90, 95, 99] if ranges else [])
        columns[name] = [float(x) for x in draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))]
        value_labels = draw(st.dictionaries(st.integers(1, 5), label_text, max_size=5))
        missing = {c: draw(label_text) for c in discrete}
        variables.append(Variable(
            name, label=draw(st.one_of(st.none(), label_text)), value_labels=value_labels,
            missing=missing, missing_ranges=ranges,
            measure=draw(st.sampled_from([None, "nominal", "ordinal", "scale"]))))
    n_str = draw(st.integers(min_value=0, max_value=2))
    for i in range(n_str):
        name = f"s{i + 1}"
        columns[name] = draw(st.lists(st.sampled_from(["ON", "QC", "BC", "xx", "Québec"]),
                                      min_size=n, max_size=n))
        missing = draw(st.sampled_from([{}, {"xx": "Refusé"}]))
        variables.append(Variable(name, label=draw(label_text), missing=missing,
                                  value_labels={"ON": "Ontario", "QC": "Québec"},
                                  measure="nominal"))
    return pd.DataFrame(columns), Codebook(variables, title=draw(st.one_of(st.none(), label_text)))


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=surveys())
@pytest.mark.parametrize("ext", [".sav", ".parquet"])
def test_generated_surveys_round_trip(tmp_path, case, ext):
    df, cb = case
    before = df.copy()
    first = Survey(df, cb)
    pd.testing.assert_frame_equal(df, before)
    out = tmp_path / f"gen{ext}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_survey(first, out, sidecar=ext != ".sav")
    second = read_survey(out)
    _assert_same_survey(first, second)
    # which cells held which code, cell by cell
    restored = second.with_missing_codes()
    for name in df.columns:
        expected = df[name].tolist()
        got = restored[name].tolist()
        assert [None if pd.isna(x) else x for x in got] == [None if pd.isna(x) else x for x in expected]


# ---------------------------------------------------------------------------------------------
# bad input


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"nothere\.sav: no such file"):
        read_survey(tmp_path / "nothere.sav")
    (tmp_path / "data.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError) as info:
        read_survey(tmp_path / "data.xlsx")
    message = str(info.value)
    assert "data.xlsx" in message and "unsupported file type '.xlsx'" in message
    for ext in READ_FORMATS:
        assert ext in message
    with pytest.raises(DataError, match=r"out\.txt: cannot write file type '\.txt'"):
        write_survey(_cf_survey(), tmp_path / "out.txt")


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.5, 0.9])
def test_truncated_sav(tmp_path, files, fraction):
    data = (files / "basic__sample_missing.sav").read_bytes()
    bad = tmp_path / "cut.sav"
    bad.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(DataError) as info:
        read_survey(bad)
    assert str(bad) in str(info.value)
    assert "cannot read as SPSS .sav file" in str(info.value)
    assert "truncated, corrupt" in str(info.value)


@pytest.mark.parametrize("ext", [".sav", ".zsav", ".dta", ".sas7bdat", ".xpt", ".parquet"])
def test_garbage_bytes(tmp_path, ext):
    bad = tmp_path / f"garbage{ext}"
    bad.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DataError) as info:
        read_survey(bad)
    assert f"garbage{ext}: cannot read as" in str(info.value)


def test_truncated_parquet(tmp_path):
    good = tmp_path / "good.parquet"
    write_survey(_cf_survey(), good)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(good.read_bytes()[:100])
    with pytest.raises(DataError, match=r"bad\.parquet: cannot read as Parquet"):
        read_survey(bad)


def test_wrong_encoding_sav(tmp_path):
    survey = Survey(pd.DataFrame({"q": [1.0, 2.0], "s": ["é", "à"]}),
                    Codebook([Variable("q", label="Délai de réponse")]))
    out = tmp_path / "fr.sav"
    write_survey(survey, out, sidecar=False)
    assert read_survey(out).codebook["q"].label == "Délai de réponse"
    with pytest.raises(DataError) as info:
        read_survey(out, encoding="ascii")
    assert "fr.sav" in str(info.value) and "'ascii'" in str(info.value)
    with pytest.raises(DataError, match=r"fr\.sav: cannot read as SPSS \.sav file: File has an unsupported character set"):
        read_survey(out, encoding="no-such-encoding")


def test_wrong_encoding_csv(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("prov,q1\nQuébec,1\nMontréal,2\n".encode("cp1252"))
    with pytest.raises(DataError) as info:
        read_survey(path)
    assert "latin.csv" in str(info.value) and "utf-8" in str(info.value) and "encoding=" in str(info.value)
    survey = read_survey(path, encoding="cp1252")
    assert survey.data["prov"].tolist() == ["Québec", "Montréal"]
    assert survey.source.encoding == "cp1252"


def test_duplicate_csv_headers(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("id,q1,q2,q1\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_survey(path)
    assert "dup.csv" in str(info.value) and "duplicate column name" in str(info.value)
    assert "'q1'" in str(info.value)
    with pytest.raises(DataError, match="duplicate column name"):
        Survey(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_empty_csv(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty\.csv: the CSV file is empty"):
        read_survey(path)


def test_codebook_naming_absent_column(tmp_path):
    path = tmp_path / "cf.csv"
    path.write_text("q1,q2\n1,8\n", encoding="utf-8")
    sidecar_path(path).write_text('[variables.q3]\nlabel = "Gone"\n', encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        read_survey(path)
    message = str(info.value)
    assert "cf.codebook.toml" in message and "cf.csv" in message and "'q3'" in message
    assert "q1, q2" in message


def test_codebook_with_impossible_codes(tmp_path):
    path = tmp_path / "cf.csv"
    path.write_text("q1,prov,when\n1,ON,x\n8,QC,y\n", encoding="utf-8")
    cb_path = tmp_path / "bad.toml"
    cb_path.write_text('[variables.q1]\nmissing = { dk = "Don\'t know" }\n', encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        read_survey(path, codebook=cb_path)
    message = str(info.value)
    assert "cf.csv" in message and "'q1'" in message and "'dk'" in message and "numeric" in message
    with pytest.raises(CodebookError, match=r"'prov' is text but its code '\.a' is a tagged missing"):
        read_survey(path, codebook=Codebook([Variable("prov", missing={".a": "x"})]))
    with pytest.raises(CodebookError, match=r"'q1' holds integers but its code 2\.5 is fractional"):
        read_survey(path, codebook=Codebook([Variable("q1", value_labels={2.5: "half"})]))
    with pytest.raises(CodebookError, match=r"bad\.toml.*not valid UTF-8 TOML"):
        cb_path.write_text("[variables.q1\n", encoding="utf-8")
        read_survey(path, codebook=cb_path)


def test_codebook_selected_away_column_is_fine(tmp_path):
    path = tmp_path / "cf.csv"
    path.write_text("q1,q2\n1,8\n2,9\n", encoding="utf-8")
    sidecar_path(path).write_text('[variables.q2]\nmissing = { 8 = "DK" }\n', encoding="utf-8")
    survey = read_survey(path, columns=["q1"])
    assert survey.columns == ["q1"]
    assert read_survey(path).missing_counts("q2").to_dict() == {(8, "DK"): 1, (".", "System missing"): 0}


def test_spss_missing_limits(tmp_path):
    cb = Codebook([Variable("q", missing={7: "a", 8: "b", 9: "c", 97: "d"})])
    survey = Survey(pd.DataFrame({"q": [1.0]}), cb)
    out = tmp_path / "limits.sav"
    with pytest.raises(CodebookError, match=r"limits\.sav: variable 'q' .* SPSS allows at most 3"):
        write_survey(survey, out)
    assert not out.exists()  # atomic: nothing half-written
    assert list(tmp_path.iterdir()) == []
    # fine as CSV
    write_survey(survey, tmp_path / "ok.csv")
    assert read_survey(tmp_path / "ok.csv").codebook.to_dict() == cb.to_dict()


def test_write_does_not_mutate_survey(tmp_path, files):
    survey = read_survey(files / "missing_data__missing_test.dta")
    before = survey.data
    codes_before = survey.missing_codes
    for ext in (".dta", ".csv", ".parquet"):
        write_survey(survey, tmp_path / f"x{ext}")
    pd.testing.assert_frame_equal(survey.data, before)
    assert survey.missing_codes.keys() == codes_before.keys()


@pytest.mark.parametrize("ext", [".sav", ".zsav", ".dta", ".parquet"])
@pytest.mark.parametrize("keep", [0.3, 0.9, 0.99])
def test_truncated_files_are_data_errors(tmp_path, ext, keep):
    """A file cut short names itself in a DataError (readstat/arrow check their own row counts)."""
    frame = pd.DataFrame({"a": np.arange(300.0), "b": np.arange(300) % 5, "c": ["xy"] * 300})
    good = tmp_path / f"good{ext}"
    write_survey(Survey(frame), good, sidecar=False)
    raw = good.read_bytes()
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(DataError, match=re.escape(str(cut)) + ".*truncated"):
        read_survey(cut)


def test_a_survey_copies_the_callers_frame_unless_handed_over(tmp_path):
    frame = pd.DataFrame({"q": [1.0, 2.0, 3.0], "w": [1.0, 1.0, 2.0]})
    kept = Survey(frame)
    assert not np.shares_memory(kept.data["q"].to_numpy(), frame["q"].to_numpy())
    frame.loc[0, "q"] = 9.0  # the caller's change does not reach the survey
    assert kept.data["q"].iloc[0] == 1.0
    handed = pd.DataFrame({"q": [1.0, 2.0, 3.0]})
    assert np.shares_memory(Survey(handed, copy=False).data["q"].to_numpy(), handed["q"].to_numpy())
    # a reader hands over the frame it has just made: one copy of the file's values in memory
    path = tmp_path / "s.parquet"
    pd.DataFrame({"q": np.arange(5.0)}).to_parquet(path)
    assert read_survey(path).data["q"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
