"""The Common Measurements Tool registry and cmt.apply."""

from __future__ import annotations

import pandas as pd
import pytest

from citizensfirst import Codebook, CodebookError, Survey, Variable
from citizensfirst.io import cmt

CORE = ["timeliness", "access", "knowledge", "courtesy", "fairness", "outcome", "contacts", "overall"]


def test_registry_has_core_dimensions():
    ids = cmt.dimension_ids()
    for dim_id in CORE:
        assert dim_id in ids
    assert len(ids) == len(set(ids))
    for dim in cmt.dimensions():
        assert dim.name and dim.name_fr and dim.question and dim.question_fr
        assert dim.question != dim.question_fr
        assert dim.scale[0] < dim.scale[1]
        assert dim.kind in ("rating", "count")
        assert set(dim.missing) == set(dim.missing_fr)
        if dim.kind == "rating":
            assert dim.scale == (1, 5)
            assert sorted(dim.values) == [1, 2, 3, 4, 5] and sorted(dim.values_fr) == [1, 2, 3, 4, 5]
            assert dict(dim.missing) == {8: "Don't know", 9: "Not applicable"}
            assert dict(dim.missing_fr) == {8: "Ne sait pas", 9: "Sans objet"}
            assert dim.measure == "ordinal"


def test_number_of_contacts_is_a_count():
    dim = cmt.dimension("contacts")
    assert dim.kind == "count" and dim.measure == "scale"
    assert dict(dim.values) == {}
    # 8 and 9 are real counts, so the no-answer codes sit above the range
    assert all(code > dim.scale[1] for code in dim.missing)
    assert cmt.dimension("number_of_contacts") is dim


def test_unknown_dimension_lists_known_ids():
    with pytest.raises(CodebookError) as info:
        cmt.dimension("speediness")
    message = str(info.value)
    assert "'speediness'" in message
    for dim_id in CORE:
        assert dim_id in message
    with pytest.raises(CodebookError) as info:
        cmt.apply(Codebook([Variable("q1")]), {"q1": "courtesy", "q2": "bogus"})
    assert "'q2' -> 'bogus'" in str(info.value) and "timeliness" in str(info.value)


def test_apply_fills_only_gaps():
    cb = Codebook([
        Variable("q_time", label="Time it took (our wording)"),
        Variable("q_fair", label="Fair?", label_fr="Équitable?", scale=(1, 7),
                 value_labels={1: "Very dissatisfied", 5: "Very satisfied"},
                 missing={8: "Don't know", 9: "Refused"}),
        Variable("wt"),
    ], title="CF")
    out = cmt.apply(cb, {"q_time": "timeliness", "q_fair": "fairness", "n_contacts": "contacts"})
    assert list(out) == ["q_time", "q_fair", "wt", "n_contacts"]
    assert out.title == "CF"
    t = out["q_time"]
    assert t.dimension == "timeliness" and t.scale == (1, 5) and t.measure == "ordinal"
    assert t.label == "Time it took (our wording)"  # kept
    assert t.label_fr == cmt.dimension("timeliness").question_fr  # filled
    assert dict(t.missing) == {8: "Don't know", 9: "Not applicable"}
    assert dict(t.value_labels_fr)[3] == "Ni satisfait ni insatisfait"
    f = out["q_fair"]
    assert f.label_fr == "Équitable?" and f.scale == (1, 7)  # kept
    assert dict(f.missing) == {8: "Don't know", 9: "Refused"}  # kept
    # French only for the code whose English label agrees with the CMT's
    assert dict(f.missing_fr) == {8: "Ne sait pas"}
    assert dict(f.value_labels_fr) == {1: "Très insatisfait", 5: "Très satisfait"}
    c = out["n_contacts"]
    assert c.dimension == "contacts" and c.measure == "scale" and dict(c.value_labels) == {}
    assert out["wt"] == cb["wt"]
    assert cb["q_time"].dimension is None  # input untouched


def test_apply_then_survey_moves_codes_to_missing():
    survey = Survey(pd.DataFrame({"q_court": [5, 4, 8, 9, 1]}))
    assert survey.data["q_court"].tolist() == [5, 4, 8, 9, 1]
    tagged = survey.with_codebook(cmt.apply(survey.codebook, {"q_court": "courtesy"}))
    assert tagged.data["q_court"].tolist()[:2] == [5.0, 4.0]
    assert tagged.data["q_court"].isna().tolist() == [False, False, True, True, False]
    assert tagged.missing_counts("q_court", language="fr").to_dict() == {
        (8, "Ne sait pas"): 1, (9, "Sans objet"): 1, (".", "Valeur manquante système"): 0}
    assert tagged.labelled("fr")["q_court"].tolist()[0] == "Très satisfait"
