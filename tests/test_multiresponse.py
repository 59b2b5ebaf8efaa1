"""Multiple-response sets: read from SPSS, declared in TOML, estimated as a set, tabulated, written back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from citizensfirst import Codebook, CodebookError, DataError, Design, Survey, Variable
from citizensfirst.io.formats import sidecar_path
from citizensfirst.io.mrsets import MultipleResponseSet
from citizensfirst.io.readers import read_survey
from citizensfirst.io.writers import write_survey
from conftest import shared_reference

OPTIONS = ("used_web", "used_phone", "used_office")
LABELS = {"used_web": ("Website", "Site Web"), "used_phone": ("Telephone", "Téléphone"),
          "used_office": ("In person", "En personne")}


def _frame(n: int = 600, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "stratum": np.repeat([1, 2, 3], n // 3),
        "psu": np.repeat(np.arange(n // 10), 10),
        "region": rng.choice([1, 2, 3], n, p=[0.5, 0.3, 0.2]),
        "w": rng.uniform(0.5, 3.0, n).round(3),
    })
    for i, name in enumerate(OPTIONS):
        df[name] = (rng.random(n) < 0.25 + 0.2 * i).astype(float)
    skipped = rng.random(n) < 0.15  # did not answer the question at all
    df.loc[skipped, list(OPTIONS)] = np.nan
    df.loc[~skipped & (rng.random(n) < 0.05), "used_office"] = np.nan  # one box left blank
    return df


def _codebook() -> Codebook:
    variables = [Variable(name, label=en, label_fr=fr, value_labels={1: "Selected", 0: "Not selected"})
                 for name, (en, fr) in LABELS.items()]
    variables.append(Variable("region", label="Region", label_fr="Région",
                              value_labels={1: "East", 2: "Centre", 3: "West"}))
    channels = MultipleResponseSet("channels", OPTIONS, counted_value=1, label="Channels used",
                                   label_fr="Modes de prestation utilisés")
    return Codebook(variables, title="MR test", mr_sets=[channels])


def _design(df: pd.DataFrame | None = None) -> Design:
    df = _frame() if df is None else df
    return Design(Survey(df, _codebook()), weights="w", strata="stratum", psu="psu", nest=True)


# -- reading ---------------------------------------------------------------------------------------

def test_spss_sets_are_read_as_records():
    path = shared_reference() / "files" / "multiple_response__simple_alltypes.sav"
    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    survey = read_survey(path)
    sets = survey.codebook.mr_sets
    assert sets["mymrset"] == MultipleResponseSet(
        "mymrset", ("bool1", "bool2", "bool3"), "dichotomy", 1, "My multiple response set")
    assert sets["categorical_array"].kind == "category"
    assert sets["categorical_array"].counted_value is None
    assert {k: dict(v) for k, v in survey.mr_sets.items()} == meta.mr_sets
    assert "2 multiple-response sets" in repr(survey.codebook)


def test_toml_declares_a_set_for_csv(tmp_path):
    df = _frame(60)
    df.to_csv(tmp_path / "cf.csv", index=False)
    sidecar_path(tmp_path / "cf.csv").write_text(
        '[variables.used_web]\nlabel = "Website"\n\n'
        '[mr_sets.channels]\nlabel = "Channels used"\nlabel_fr = "Modes utilisés"\n'
        'variables = ["used_web", "used_phone", "used_office"]\ncounted_value = 1\n', encoding="utf-8")
    survey = read_survey(tmp_path / "cf.csv")
    assert survey.codebook.mr_sets["channels"] == MultipleResponseSet(
        "channels", OPTIONS, "dichotomy", 1, "Channels used", "Modes utilisés")
    assert survey.select(["used_web", "used_phone"]).codebook.mr_sets == {}
    assert list(survey.select(list(OPTIONS)).codebook.mr_sets) == ["channels"]


@pytest.mark.parametrize("body, message", [
    ('variables = ["used_web", "used_fax"]\ncounted_value = 1\n', r"'channels'.*\['used_fax'\]"),
    ('variables = ["used_web", "used_phone"]\n type = "dichotomy"\n', "needs counted_value"),
    ('variables = ["used_web", "used_phone"]\ncounted_value = 1\ntype = "category"\n', "category set"),
    ('variables = ["used_web"]\ncounted_value = 1\n', "at least two"),
    ('variables = ["used_web", "used_phone"]\ncount = 1\n', r"unknown key\(s\) \['count'\]"),
    ('variables = ["used_web", "used_phone"]\ncounted_value = "yes"\n', "counts 'yes'"),
])
def test_bad_toml_sets_are_refused_naming_file_and_set(tmp_path, body, message):
    _frame(30).to_csv(tmp_path / "cf.csv", index=False)
    sidecar_path(tmp_path / "cf.csv").write_text("[mr_sets.channels]\n" + body, encoding="utf-8")
    with pytest.raises(CodebookError, match=message) as info:
        read_survey(tmp_path / "cf.csv")
    assert "cf.codebook.toml" in str(info.value) or "cf.csv" in str(info.value)


def test_set_mixing_numeric_and_text_is_refused():
    df = pd.DataFrame({"a": [1.0, 0.0], "b": ["x", "y"]})
    cb = Codebook(mr_sets=[MultipleResponseSet("m", ("a", "b"))])
    with pytest.raises(CodebookError, match="mixes variable types"):
        Survey(df, cb)


# -- writing back ----------------------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".sav", ".csv", ".parquet", ".dta"])
def test_sets_round_trip_through_write_survey(tmp_path, ext):
    survey = Survey(_frame(90), _codebook())
    write_survey(survey, tmp_path / f"out{ext}")
    back = read_survey(tmp_path / f"out{ext}")
    assert dict(back.codebook.mr_sets) == dict(survey.codebook.mr_sets)
    assert back.codebook.to_dict()["mr_sets"] == {"channels": {
        "label": "Channels used", "label_fr": "Modes de prestation utilisés", "type": "dichotomy",
        "variables": list(OPTIONS), "counted_value": 1}}


def test_spss_category_set_round_trips_through_sav_and_sidecar(tmp_path):
    first = read_survey(shared_reference() / "files" / "multiple_response__simple_alltypes.sav")
    write_survey(first, tmp_path / "copy.sav")
    assert dict(read_survey(tmp_path / "copy.sav").codebook.mr_sets) == dict(first.codebook.mr_sets)


# -- estimating ------------------------------------------------------------------------------------

def test_shares_are_indicator_means_among_answerers_with_design_ses():
    df = _frame()
    d = _design(df)
    est = d.multiple_response("channels", by="region")
    table = est.table
    answered = df[list(OPTIONS)].notna().any(axis=1).to_numpy()
    w = df["w"].to_numpy()
    for name in OPTIONS:
        chosen = (df[name] == 1).to_numpy()
        for region in (1, 2, 3):
            row = table[(table["level"] == name) & (table["region"] == region)]
            base = answered & (df["region"] == region).to_numpy()
            expected = (w * chosen * base).sum() / (w * base).sum()
            assert row["estimate"].item() == pytest.approx(expected, rel=1e-12)
            assert row["n"].item() == base.sum()
        # the SEs and logit intervals of the existing proportion of the 0/1 indicator, on the
        # domain of answerers (non-answerers keep zero weight, never dropped)
        indicator = np.where(answered, chosen.astype(float), np.nan)
        flat = Design(df.assign(ind=indicator), weights="w", strata="stratum", psu="psu", nest=True)
        ref = flat.subset(answered).proportion("ind", by="region").table
        ref = ref[ref["level"] == 1.0].reset_index(drop=True)
        mine = table[table["level"] == name].reset_index(drop=True)
        np.testing.assert_allclose(mine["se"], ref["se"], rtol=1e-10)
        np.testing.assert_allclose(mine[["ci_low", "ci_high"]], ref[["ci_low", "ci_high"]], rtol=1e-8)
    assert table.groupby("region")["estimate"].sum().gt(1.0).all()  # shares do not add up to 1


def test_labels_in_both_languages_and_codes_kept():
    est = _design().multiple_response("channels")
    fr = est.to_frame("fr")
    assert fr["level"].tolist() == ["Site Web", "Téléphone", "En personne"]
    assert fr["level_code"].tolist() == list(OPTIONS)
    assert fr["variable_label"].unique().tolist() == ["Modes de prestation utilisés"]


def test_category_set_counts_any_mention_of_each_code():
    df = pd.DataFrame({"first": [1, 2, 1, 3, np.nan, 2] * 10, "second": [2, np.nan, 3, np.nan, np.nan, 1] * 10})
    cb = Codebook([Variable("first", value_labels={1: "Web", 2: "Phone", 3: "Office"})],
                  mr_sets=[MultipleResponseSet("reasons", ("first", "second"), label="Mentions")])
    est = Design(Survey(df, cb)).multiple_response("reasons")
    assert est.table["level"].tolist() == [1, 2, 3]
    # among the 5 answerers of every 6 rows: code 1 in rows 0, 2, 5; code 2 in 0, 1, 5; code 3 in 2, 3
    assert est.table["estimate"].tolist() == pytest.approx([3 / 5, 3 / 5, 2 / 5])
    assert est.to_frame()["level"].tolist() == ["Web", "Phone", "Office"]


def test_unknown_set_and_wrong_table_statistic_are_refused():
    d = _design()
    with pytest.raises(DataError, match=r"'nope' is not a multiple-response set.*sets: channels"):
        d.multiple_response("nope")
    with pytest.raises(DataError, match="stat='percent'"):
        d.crosstab("channels", "region", stat="mean")


# -- tables ----------------------------------------------------------------------------------------

def test_crosstab_rows_are_the_options_with_the_estimates_of_the_set():
    d = _design()
    table = d.crosstab("channels", "region")
    assert list(table.row_labels) == ["Website", "Telephone", "In person"]
    est = d.multiple_response("channels", by="region").table
    cells = table.cells
    for name, label in zip(OPTIONS, table.row_labels, strict=True):
        for region in (1, 2, 3):
            cell = cells[(cells["row_label"] == label) & (cells["column_level"] == region)]
            want = est[(est["level"] == name) & (est["region"] == region)]
            assert cell["estimate"].item() == pytest.approx(want["estimate"].item(), rel=1e-12)
            assert cell["se"].item() == pytest.approx(want["se"].item(), rel=1e-10)
            assert cell["value"].item() == round(100 * want["estimate"].item(), 1)
    total = cells[cells["column_variable"].isna()]
    assert total["value"].sum() > 100  # a column of a set does not add up to 100
    assert any("more than 100%" in note for note in table.notes)
    assert table.title.startswith("Channels used")
    fr = d.crosstab("channels", "region", language="fr")
    assert any("dépasse 100 %" in note for note in fr.notes)
    assert list(fr.row_labels) == ["Site Web", "Téléphone", "En personne"]


def test_letters_apply_to_option_rows():
    df = _frame(900, seed=3)
    east = df["region"] == 1
    df.loc[east, "used_web"] = np.where(df.loc[east, "used_web"].notna(), 1.0, np.nan)
    cells = _design(df).banner("channels", ["region"]).cells
    web = cells[(cells["row_label"] == "Website") & (cells["column_level"] == 1)]
    assert web["letters"].item() == "BC"  # everyone in East used the web: higher than B and C
    others = cells[(cells["row_label"] == "Website") & (cells["column_level"] != 1)]
    assert (others["letters"] == "").all()


def test_suppression_applies_to_option_rows():
    df = _frame(900, seed=3)
    few = df.index[df["region"] == 3][:-8]
    df.loc[few, "region"] = 2  # West keeps 8 respondents: below the minimum of 10
    table = _design(df).banner("channels", ["region"])
    west = table.confidential_cells[table.confidential_cells["column_level"] == 3]
    assert (west["suppression"] == "primary").all()
    assert table.cells.loc[table.cells["column_level"] == 3, "value"].isna().all()
    # the Total is the weighted average of the columns: one more cell per row is withheld
    assert (table.confidential_cells.groupby("row_label")["suppression"]
            .apply(lambda s: (s == "complementary").sum()) == 1).all()


# -- display ---------------------------------------------------------------------------------------

def test_codebook_repr_and_html_table():
    cb = _codebook()
    assert repr(cb) == "Codebook(4 variables, 1 multiple-response set, 'MR test')"
    page = cb._repr_html_()
    assert page.count("<table>") == 2
    assert "<td>Site Web</td>" in page and "1 = Selected; 0 = Not selected" in page
    assert "<td>used_web, used_phone, used_office</td>" in page and "<td>dichotomy</td>" in page


def test_replicate_design_ses_match_the_subset_proportion():
    df = _frame(300, seed=11)
    d = _design(df).as_replicate("jkn")
    est = d.multiple_response("channels")
    answered = df[list(OPTIONS)].notna().any(axis=1).to_numpy()
    indicator = np.where(answered, (df["used_phone"] == 1).astype(float), np.nan)
    flat = Design(df.assign(ind=indicator), weights="w", strata="stratum", psu="psu", nest=True)
    ref = flat.as_replicate("jkn").subset(answered).proportion("ind").table
    mine = est.table[est.table["level"] == "used_phone"]
    assert mine["se"].item() == pytest.approx(ref.loc[ref["level"] == 1.0, "se"].item(), rel=1e-10)


def test_category_set_rows_in_a_table_are_labelled_codes():
    df = pd.DataFrame({"first": [1, 2, 1, 3, np.nan, 2] * 10, "second": [2, np.nan, 3, np.nan, np.nan, 1] * 10,
                       "g": ["a", "b"] * 30})
    cb = Codebook([Variable("first", value_labels={1: "Web", 2: "Phone", 3: "Office"},
                            value_labels_fr={1: "Web", 2: "Téléphone", 3: "Bureau"})],
                  mr_sets=[MultipleResponseSet("reasons", ("first", "second"), label="Mentions")])
    table = Design(Survey(df, cb)).crosstab("reasons", "g", language="fr")
    assert list(table.row_labels) == ["Web", "Téléphone", "Bureau"]
    total = table.cells[table.cells["column_variable"].isna()]
    assert total["value"].tolist() == [60.0, 60.0, 40.0]


def test_a_set_filed_under_another_name_is_refused():
    with pytest.raises(CodebookError, match="'ch' is filed under the name 'channels'"):
        Codebook(mr_sets={"channels": MultipleResponseSet("ch", ("a", "b"), counted_value=1)})
