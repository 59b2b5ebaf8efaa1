"""Codebook TOML round trip, error messages, and validation against data."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citizensfirst import Codebook, CodebookError, Variable
from citizensfirst.io.codebook_checks import validate_codebook
from citizensfirst.io.codes import normalize_code


def _example() -> Codebook:
    return Codebook([
        Variable("q_time", label="Satisfaction with the time it took",
                 label_fr="Satisfaction à l'égard du temps requis", measure="ordinal", scale=(1, 5),
                 dimension="timeliness", value_labels={1: "Very dissatisfied", 5: "Very satisfied"},
                 value_labels_fr={1: "Très insatisfait", 5: "Très satisfait"},
                 missing={8: "Don't know", 9: "Refused"}, missing_fr={8: "Ne sait pas", 9: "Refus"},
                 missing_ranges=[(90, 99)]),
        Variable("prov", label="Province", value_labels={"ON": "Ontario", "QC": "Québec"},
                 missing={"ZZ": "Refused"}),
        Variable("var1", missing={".a": "missing", "._": ""}),
        Variable("wt", label="Weight", measure="scale"),
    ], title="Citizens First 2023", title_fr="Les citoyens d'abord 2023")


def test_toml_round_trip(tmp_path):
    cb = _example()
    path = tmp_path / "cb.toml"
    text = cb.to_toml(path)
    assert path.read_text(encoding="utf-8") == text
    assert 'label_fr = "Satisfaction à l\'égard du temps requis"' in text
    back = Codebook.from_toml(path)
    assert back.to_dict() == cb.to_dict()
    assert list(back) == ["q_time", "prov", "var1", "wt"]
    q = back["q_time"]
    assert dict(q.missing) == {8: "Don't know", 9: "Refused"}  # keys back to numbers
    assert q.missing_ranges == ((90.0, 99.0),)
    assert q.scale == (1, 5)
    assert dict(back["var1"].missing) == {".a": "missing", "._": ""}  # tags stay text
    assert back.title_fr == "Les citoyens d'abord 2023"


codes = st.one_of(st.integers(-999, 999), st.sampled_from([".a", ".z", "._", "DK", "x"]))
texts = st.text(alphabet="abcéàç «»'\"\\ Œ€", min_size=0, max_size=20)


@settings(max_examples=60, deadline=None)
@given(labels=st.dictionaries(codes, texts, max_size=6), missing=st.dictionaries(codes, texts, max_size=3),
       label=st.one_of(st.none(), texts.filter(bool)))
def test_toml_round_trip_generated(labels, missing, label):
    cb = Codebook([Variable("v", label=label, value_labels=labels, missing=missing)])
    back = Codebook.from_dict(__import__("tomllib").loads(cb.to_toml()))
    assert back.to_dict() == cb.to_dict()
    assert dict(back["v"].value_labels) == {normalize_code(k): v for k, v in labels.items()}


def test_from_toml_errors(tmp_path):
    with pytest.raises(CodebookError, match=r"nope\.toml does not exist"):
        Codebook.from_toml(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[variables.q1]\nlabel = \n", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"bad\.toml is not valid UTF-8 TOML"):
        Codebook.from_toml(bad)
    bad.write_text('[variables.q1]\nlable = "typo"\n', encoding="utf-8")
    with pytest.raises(CodebookError) as info:
        Codebook.from_toml(bad)
    assert "bad.toml" in str(info.value) and "[variables.q1].lable" in str(info.value)
    assert "did you mean 'label'" in str(info.value)
    bad.write_text('[variables.q1]\nscale = [5, 1]\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"bad\.toml: variable 'q1': scale .* needs low < high"):
        Codebook.from_toml(bad)
    bad.write_text('[variables.q1]\nmeasure = "interval"\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"\[variables\.q1\]\.measure = \"interval\": must be 'nominal'"):
        Codebook.from_toml(bad)
    bad.write_text('[variabels.q1]\nlabel = "x"\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"variabels: unknown key 'variabels'; did you mean 'variables'"):
        Codebook.from_toml(bad)


def test_validate_against_data():
    data = pd.DataFrame({"q_time": [1.0, 8.0], "prov": ["ON", "ZZ"], "var1": [1.0, None],
                         "wt": [1.0, 2.0], "n": [1, 2], "when": pd.to_datetime(["2020-01-01", "2021-01-01"])})
    validate_codebook(_example(), data, source="cf.sav")  # fits
    with pytest.raises(CodebookError) as info:
        validate_codebook(_example(), data.drop(columns=["wt"]), source="cf.sav")
    assert "cf.sav" in str(info.value) and "'wt'" in str(info.value) and "not columns" in str(info.value)
    with pytest.raises(CodebookError, match=r"cf\.sav: codebook variable 'n' holds integers but its code 1\.5"):
        validate_codebook(Codebook([Variable("n", missing={1.5: "x"})]), data, source="cf.sav")
    with pytest.raises(CodebookError, match=r"'when' holds dates/times"):
        validate_codebook(Codebook([Variable("when", value_labels={1: "x"})]), data, source="cf.sav")
    with pytest.raises(CodebookError, match=r"'prov' is text but has missing ranges"):
        validate_codebook(Codebook([Variable("prov", missing_ranges=[(1, 2)])]), data, source="cf.sav")
    with pytest.raises(CodebookError, match=r"'wt' is numeric but its code 'DK' is text"):
        validate_codebook(Codebook([Variable("wt", value_labels={"DK": "x"})]), data, source="cf.sav")


def test_codebook_lookup_errors():
    cb = _example()
    with pytest.raises(CodebookError, match=r"variable 'nope' is not in the codebook; known: q_time, prov"):
        cb["nope"]
    with pytest.raises(CodebookError, match="twice"):
        Codebook([Variable("a"), Variable("a")])
    with pytest.raises(CodebookError, match="low > high"):
        Variable("a", missing_ranges=[(9, 1)])
