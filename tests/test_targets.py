"""Weighting targets: Canada 2021 adult margins, the Business First frame, the targets TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst import samplegen as sg
from citizensfirst.errors import CitizensFirstError, SpecError, WeightingError
from citizensfirst.weighting import targets as tg

ALL_VARS = tuple(tg.CANADA_2021_VARIABLES)
PROV_CODES = [p[0] for p in sg.params.PROVINCES]


def _codebook(wave: str) -> cf.Codebook:
    return cf.Codebook.from_toml(sg.sample_codebook_path(wave))


# ------------------------------------------------------------------ Canada 2021: shape and sums


@pytest.mark.parametrize("geography", [None, "QC", 62, ["NS", 13, "Prince Edward Island"]])
def test_margins_sum_to_one(geography):
    margins = tg.canada_2021(ALL_VARS, geography=geography)
    assert set(margins) == {"prov", "age_grp", "age6", "gender", "educ"}
    for name, margin in margins.items():
        assert sum(margin.values()) == pytest.approx(1.0, abs=1e-12), name
        assert all(v > 0 for v in margin.values()), name


def test_counts_positive_and_consistent_within_each_province():
    table = tg.canada_2021_table(ALL_VARS, by_province=True)
    assert (table["count"] > 0).all()
    assert set(table["prov"]) == set(PROV_CODES)
    totals = table.groupby(["prov", "variable"])["count"].sum().unstack()
    # every margin of a province has the same total, so margins can be raked together
    assert (totals.nunique(axis=1) == 1).all()
    # national margins are the sums of the provincial ones
    national = tg.canada_2021(ALL_VARS, shares=False)
    for var, col in tg.CANADA_2021_VARIABLES.items():
        assert sum(national[col].values()) == totals[var].sum()
    adults = totals["age"].sum()
    assert 29.5e6 < adults < 30.1e6  # 2021 Census adults 18+: about 29.8 million


def test_age_groups_are_sums_of_fine_age_groups():
    m = tg.canada_2021(("age", "age6"), shares=False)
    assert m["age_grp"][1] == m["age6"][1] + m["age6"][2]
    assert m["age_grp"][2] == m["age6"][3] + m["age6"][4]
    assert m["age_grp"][3] == m["age6"][5] + m["age6"][6]


def test_national_margins_plausible_against_published_figures():
    m = tg.canada_2021(("age6", "gender", "education"), shares=False)
    assert m["age6"][6] == 7_021_430  # 65 and over, 2021 Census
    shares = tg.canada_2021(("age", "gender", "education"))
    assert shares["age_grp"][3] == pytest.approx(0.41, abs=0.01)
    assert shares["gender"][2] == pytest.approx(0.51, abs=0.005)
    assert shares["gender"][3] < 0.002
    assert 0.27 < shares["educ"][3] < 0.34


def test_table_columns_and_sources():
    t = tg.canada_2021_table(ALL_VARS)
    assert list(t.columns) == ["variable", "column", "code", "label_en", "label_fr", "count",
                               "share", "source"]
    assert t["source"].str.contains("Statistics Canada").all()
    assert t.loc[t["variable"] != "province", "source"].str.startswith("APPROXIMATE").all()
    assert t["source"].str.contains("98-10-0020-01|98-10-0384-01").all()
    assert t.groupby("variable")["share"].sum().to_numpy() == pytest.approx(1.0)


# ----------------------------------------------------- consistency with the sample study's codes


def test_province_shares_agree_with_sample_generator():
    # all ages: the same published counts (98-10-0001-01) as the generator -> identical shares
    all_ages = tg.canada_2021("province", universe="all_ages")["prov"]
    assert list(all_ages) == PROV_CODES
    assert np.array(list(all_ages.values())) == pytest.approx(sg.params.PROV_SHARE, abs=1e-12)
    assert tg.provinces()["population_all_ages"].tolist() == [p[4] for p in sg.params.PROVINCES]
    # adults 18+: differ from the all-ages shares the generator uses by a few tenths of a point
    adults = np.array(list(tg.canada_2021("province")["prov"].values()))
    diff = np.abs(adults - sg.params.PROV_SHARE)
    assert diff.max() < 0.005  # 0.5 percentage point (Alberta, British Columbia)
    assert np.median(diff) < 0.001  # within 0.1 percentage point for most provinces
    assert diff.mean() < 0.0015
    assert np.abs(adults[sg.params.IS_TERRITORY] - sg.params.PROV_SHARE[sg.params.IS_TERRITORY]).max() < 0.0005


@pytest.mark.parametrize("wave", ["cf2023", "cf2020", "cf2018"])
def test_codes_match_sample_codebook(wave):
    cb = _codebook(wave)
    margins = tg.canada_2021(("province", "age", "gender", "education"))
    for column, margin in margins.items():
        assert set(margin) == set(cb[column].value_labels), column


def test_codes_match_sample_data():
    df = cf.read_survey(sg.sample_path("cf2023")).data
    margins = tg.canada_2021(("province", "age", "gender", "education"))
    for column, margin in margins.items():
        assert set(df[column].dropna().astype(int)) <= set(margin), column


def test_labels_match_sample_value_labels():
    cb = _codebook("cf2023")
    en = tg.canada_2021(("province", "age", "gender", "education"), labels=True)
    fr = tg.canada_2021(("province", "age", "gender", "education"), codes="label_fr")
    codes = tg.canada_2021(("province", "age", "gender", "education"))
    for column in en:
        labels = cb[column].value_labels_in("en")
        assert list(en[column]) == [labels[c] for c in codes[column]]
        assert list(en[column].values()) == list(codes[column].values())
        labels_fr = cb[column].value_labels_in("fr")
        assert list(fr[column]) == [labels_fr[c] for c in codes[column]]


def test_aliases_and_column_renaming():
    a = tg.canada_2021(("prov", "age_grp", "educ"))
    b = tg.canada_2021(("province", "age", "education"))
    assert a == b
    renamed = tg.canada_2021(("province", "age"), columns={"province": "pr", "age_grp": "ag"})
    assert set(renamed) == {"pr", "ag"}
    assert renamed["pr"] == b["prov"]


# ----------------------------------------------------------------------------- geography=


def test_geography_single_province():
    m = tg.canada_2021(("province", "age"), geography="QC")
    assert m["prov"] == {24: 1.0}
    by_prov = tg.canada_2021_table("age", by_province=True)
    qc = by_prov[by_prov["prov"] == 24].set_index("code")["share"]
    assert m["age_grp"] == pytest.approx(qc.to_dict())


def test_geography_several_provinces_margins_within():
    m = tg.canada_2021(("province", "gender"), geography=[12, "NB"], shares=False)
    full = tg.canada_2021(("province",), shares=False)["prov"]
    assert m["prov"] == {12: full[12], 13: full[13]}
    assert sum(m["gender"].values()) == full[12] + full[13]
    s = tg.canada_2021(("province",), geography=("Nova Scotia", "nb"))["prov"]
    assert s[12] == pytest.approx(full[12] / (full[12] + full[13]))
    # the Atlantic provinces are older than Canada as a whole
    atl = tg.canada_2021("age", geography=[10, 11, 12, 13])["age_grp"]
    assert atl[3] > tg.canada_2021("age")["age_grp"][3]


@pytest.mark.parametrize("bad", [99, "ZZ", [], ["QC", "Atlantis"]])
def test_geography_unknown(bad):
    with pytest.raises(WeightingError, match="geography"):
        tg.canada_2021(geography=bad)


def test_unknown_variable_names_it_and_lists_known():
    with pytest.raises(WeightingError) as info:
        tg.canada_2021(("province", "income"))
    msg = str(info.value)
    assert "'income'" in msg
    for known in ALL_VARS:
        assert known in msg
    with pytest.raises(WeightingError, match="all_ages"):
        tg.canada_2021(("province", "age"), universe="all_ages")
    with pytest.raises(WeightingError, match="codes"):
        tg.canada_2021(codes="statcan")


# ----------------------------------------------------------------------- Business First frame


def test_business_frame_matches_bf2023_codes_and_frame():
    cb = _codebook("bf2023")
    m = tg.business_frame()
    assert set(m) == {"firm_size", "industry", "region"}
    for column, margin in m.items():
        assert set(margin) == set(cb[column].value_labels), column
        assert sum(margin.values()) == pytest.approx(1.0, abs=1e-12)
    frame = sg.simulate.bf_frame_counts()  # (size, region, industry)
    counts = tg.business_frame(shares=False)
    assert list(counts["firm_size"].values()) == frame.sum(axis=(1, 2)).tolist()
    assert list(counts["region"].values()) == frame.sum(axis=(0, 2)).tolist()
    assert list(counts["industry"].values()) == frame.sum(axis=(0, 1)).tolist()
    labelled = tg.business_frame("region", labels=True)["region"]
    assert list(labelled) == list(cb["region"].value_labels.values())


def test_business_frame_is_labelled_illustrative():
    path = Path(tg.__file__).parents[1] / "data" / "targets" / "business_frame.csv"
    data = pd.read_csv(path, comment="#")
    assert data["source"].str.startswith("ILLUSTRATIVE").all()
    assert "ILLUSTRATIVE" in (tg.business_frame.__doc__ or "")
    with pytest.raises(WeightingError, match="'naics'.*firm_size, industry, region"):
        tg.business_frame(("firm_size", "naics"))


# ------------------------------------------------------------------------------ targets TOML


def test_toml_round_trip_codes(tmp_path):
    margins = tg.canada_2021(("province", "age", "gender", "education"))
    path = tg.to_toml(margins, tmp_path / "targets.toml")
    back = tg.from_toml(path)
    assert list(back) == list(margins)
    for name in margins:
        assert list(back[name]) == list(margins[name])
        assert list(back[name].values()) == pytest.approx(list(margins[name].values()), abs=1e-15)
    assert "[margins.prov]" in path.read_text()
    assert "\n10 = " in path.read_text()


def test_toml_round_trip_counts_labels_and_total(tmp_path):
    margins = tg.canada_2021(("education",), labels=True, shares=False)
    total = sum(margins["educ"].values())
    path = tg.to_toml(margins, tmp_path / "t.toml", total=total)
    assert tomllib.loads(path.read_text())["total"] == total
    assert tg.from_toml(path, shares=False) == margins
    shares = tg.from_toml(path)
    assert shares["educ"] == pytest.approx(tg.canada_2021("education", labels=True)["educ"])
    # shares + total -> counts; float codes that are integral are written as integers
    path2 = tg.to_toml({"gender": {1.0: 0.25, 2.0: 0.75}}, tmp_path / "s.toml", total=400)
    assert tg.from_toml(path2, shares=False) == {"gender": {1: 100.0, 2: 300.0}}


def test_toml_per_margin_total(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[margins.a]\n1 = 0.5\n2 = 0.5\ntotal = 10\n[margins.b]\nx = 3\ny = 7\n")
    assert tg.from_toml(path, shares=False) == {"a": {1: 5.0, 2: 5.0}, "b": {"x": 3.0, "y": 7.0}}
    assert tg.from_toml(path) == {"a": {1: 0.5, 2: 0.5}, "b": {"x": 0.3, "y": 0.7}}


@pytest.mark.parametrize(
    ("body", "margin", "level", "what"),
    [
        ("[margins.gender]\n1 = 0.5\n2 = 0.4\n", "gender", None, "sum to 0.9"),
        ("[margins.educ]\n", "educ", None, "empty"),
        ("[margins.educ]\n1 = 30\n2 = 70\ntotal = 99\n", "educ", None, "total"),
    ],
)
def test_toml_errors_name_file_margin_level(tmp_path, body, margin, level, what):
    path = tmp_path / "bad_targets.toml"
    path.write_text(body)
    with pytest.raises(WeightingError) as info:
        tg.from_toml(path)
    msg = str(info.value)
    assert str(path) in msg
    assert f"margin '{margin}'" in msg
    if level is not None:
        assert f"level '{level}'" in msg
    assert what in msg
    assert isinstance(info.value, CitizensFirstError)


def test_toml_shares_within_tolerance_accepted(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[margins.g]\n1 = 0.3333333\n2 = 0.6666667\n")
    assert sum(tg.from_toml(path)["g"].values()) == pytest.approx(1.0)
    path.write_text("[margins.g]\n1 = 0.333\n2 = 0.666\n")
    with pytest.raises(WeightingError, match="sum to 0.999"):
        tg.from_toml(path)


@pytest.mark.parametrize(
    ("body", "path", "what"),
    [
        ('[margins.prov]\n10 = 0.5\n24 = "lots"\n', '[margins.prov].24 = "lots"', "must be a number"),
        ("[margins.prov]\n10 = 0.5\n24 = true\n", "[margins.prov].24 = true", "must be a number"),
        ("[margins.age_grp]\n1 = 0.6\n2 = -0.1\n3 = 0.5\n", "[margins.age_grp].2 = -0.1", "greater than or equal to 0"),
        ("[margins.age_grp]\n1 = 600\n2 = -1\n", "[margins.age_grp].2 = -1", "greater than or equal to 0"),
        ("total = -5\n[margins.g]\n1 = 1\n", "total = -5", "greater than 0"),
    ],
)
def test_toml_value_errors_name_file_and_key_path(tmp_path, body, path, what):
    file = tmp_path / "bad_targets.toml"
    file.write_text(body)
    with pytest.raises(SpecError) as info:
        tg.from_toml(file)
    msg = str(info.value)
    assert msg.startswith(f"{file}: {path}")
    assert what in msg


def test_toml_structure_errors(tmp_path):
    with pytest.raises(SpecError, match="missing.toml does not exist"):
        tg.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[margins.prov\n10 = 1\n")
    with pytest.raises(SpecError, match="not valid UTF-8 TOML"):
        tg.from_toml(bad)
    bad.write_text("total = 5\n")
    with pytest.raises(SpecError, match="margins: is required"):
        tg.from_toml(bad)
    bad.write_text("[margin.prov]\n10 = 1\n")
    with pytest.raises(SpecError, match="margin: unknown key 'margin'; did you mean 'margins'"):
        tg.from_toml(bad)
    bad.write_text("[margins]\nprov = 3\n")
    with pytest.raises(SpecError, match=r"\[margins\]\.prov = 3: must be a table"):
        tg.from_toml(bad)
    bad.write_text("[margins.g]\n1 = 0.5\n2 = 0.5\n")
    with pytest.raises(WeightingError, match="no total"):
        tg.from_toml(bad, shares=False)
    with pytest.raises(WeightingError, match="margin 'g' is empty"):
        tg.to_toml({"g": {}}, tmp_path / "out.toml")


def test_package_data_declared():
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "data/targets/*" in pyproject["tool"]["setuptools"]["package-data"]["citizensfirst"]
    assert cf.targets is tg
