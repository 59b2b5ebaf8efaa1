"""Official targets from Statistics Canada tables: the reader, the shipped 17-10-0005-01 subset,
the gender rule, the ILLUSTRATIVE business counts and the citation in the weighting report.

The published numbers are computed from the shared copy of the full table
(``../shared/reference/statcan/17100005.csv``), never from the library's own output.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError, WeightingError
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.weighting import statcan
from citizensfirst.weighting.official import NON_BINARY_2021, canada_adults_2025
from citizensfirst.weighting.report import CitedMargins, TargetSource
from citizensfirst.weighting.shipped import shipped_targets
from citizensfirst.weighting.statcan import (
    TargetWarning,
    from_statcan,
    read_full_table,
    table_margins,
)
from citizensfirst.weighting.targetdata import data_path

ROOT = Path(__file__).resolve().parents[1]
FULL = ROOT.parent / "shared" / "reference" / "statcan" / "17100005.csv"
SHIPPED = Path(str(data_path("17100005_adults_2025.csv")))
SGC = {"Newfoundland and Labrador": 10, "Prince Edward Island": 11, "Nova Scotia": 12, "New Brunswick": 13,
       "Quebec": 24, "Ontario": 35, "Manitoba": 46, "Saskatchewan": 47, "Alberta": 48, "British Columbia": 59,
       "Yukon": 60, "Northwest Territories": 61, "Nunavut": 62}
AGES = {1: (18, 34), 2: (35, 54), 3: (55, None)}
ADULT_SPECS: dict[str, statcan.Spec] = {
    "prov": "GEO", "age_grp": ("Age group", AGES),
    "gender": ("Gender", {1: "Men+", 2: "Women+"})}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"VALUE": float}, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return _read(FULL)


@pytest.fixture(scope="module")
def shipped() -> pd.DataFrame:
    return _read(SHIPPED)


def _published(full: pd.DataFrame, age: str, geo: str = "Canada", gender: str = "Total - gender") -> float:
    row = full[(full["GEO"] == geo) & (full["Gender"] == gender) & (full["Age group"] == age)]
    assert len(row) == 1
    return float(row["VALUE"].iloc[0])


def _single_years(full: pd.DataFrame, low: int, high: int | None, geo: str = "Canada",
                  gender: str = "Total - gender") -> float:
    top = 99 if high is None else high
    labels = [f"{a} year" if a == 1 else f"{a} years" for a in range(low, top + 1)]
    labels += ["100 years and older"] if high is None else []
    rows = full[(full["GEO"] == geo) & (full["Gender"] == gender) & full["Age group"].isin(labels)]
    assert len(rows) == len(labels)
    return float(rows["VALUE"].sum())


# --- the shipped table ---------------------------------------------------------------------------


def test_shipped_file_is_lines_of_the_published_table() -> None:
    published = FULL.read_bytes().split(b"\r\n")
    ours = SHIPPED.read_bytes()
    assert ours.endswith(b"\r\n") and b"\n" not in ours.replace(b"\r\n", b"")
    lines = ours.split(b"\r\n")[:-1]
    assert lines[0] == published[0]
    assert set(lines[1:]) <= set(published[1:])
    assert len(lines) - 1 == 14 * 3 * 24


def test_provinces_and_territories_sum_to_canada_in_every_cell(shipped: pd.DataFrame) -> None:
    provinces = shipped[shipped["GEO"] != "Canada"]
    assert set(provinces["GEO"]) == set(SGC)
    summed = provinces.groupby(["Gender", "Age group"])["VALUE"].sum()
    canada = shipped[shipped["GEO"] == "Canada"].set_index(["Gender", "Age group"])["VALUE"]
    assert len(canada) == 3 * 24
    pd.testing.assert_series_equal(summed.sort_index(), canada.sort_index(), check_names=False)


def test_men_plus_women_equal_total(shipped: pd.DataFrame) -> None:
    wide = shipped.pivot_table(index=["GEO", "Age group"], columns="Gender", values="VALUE", aggfunc="sum")
    assert len(wide) == 14 * 24
    assert (wide["Men+"] + wide["Women+"] == wide["Total - gender"]).all()


def test_totals_equal_the_published_checks(full: pd.DataFrame) -> None:
    adults = _published(full, "18 years and older")
    assert adults == 34_009_470 == _single_years(full, 18, None)
    assert _published(full, "All ages") == 41_651_653
    margins = canada_adults_2025(["province", "age", "age6", "gender", "education"])
    for column, margin in margins.items():
        assert sum(margin.values()) == pytest.approx(adults, rel=1e-12), column
    for name, code in SGC.items():
        assert margins["prov"][code] == _published(full, "18 years and older", geo=name)


def test_from_statcan_on_the_full_table_equals_the_shipped_subset() -> None:
    specs = ADULT_SPECS | {"age6": ("Age group", {1: (18, 24), 2: (25, 34), 3: (35, 44), 4: (45, 54),
                                                  5: (55, 64), 6: (65, None)})}
    adult = {"Age group": (18, None)}
    from_full = from_statcan(FULL, specs, universe=adult)
    from_ours = from_statcan(SHIPPED, specs, universe=adult)
    assert dict(from_full) == dict(from_ours)
    assert from_full.source.table == "17-10-0005-01" and from_full.source.reference_date == "2025"


def test_age_groups_summed_from_single_years_equal_the_published_aggregates(full: pd.DataFrame) -> None:
    table = read_full_table(FULL)
    groups = {"18 to 24 years": (18, 24), "25 to 44 years": (25, 44), "45 to 64 years": (45, 64),
              "65 years and older": (65, None), "18 years and older": (18, None), "0 to 14 years": (0, 14),
              "90 years and older": (90, None), "20 to 24 years": (20, 24)}
    cells = [(geo, "Total - gender") for geo in ["Canada", *SGC]] + [("Canada", "Men+"), ("Quebec", "Women+")]
    for geo, gender in cells:
        got, _notes = table_margins(table, {label: ("Age group", {1: span}) for label, span in groups.items()},
                                    universe={"GEO": geo, "Gender": gender})
        for label, (low, high) in groups.items():
            assert got[label][1] == _published(full, label, geo, gender), (geo, gender, label)
            assert got[label][1] == _single_years(full, low, high, geo, gender)


def test_a_range_off_the_tables_groups_is_an_error() -> None:
    with pytest.raises(DataError, match=r"17100005_adults_2025.csv.*'Age group'.*18 to 22"):
        from_statcan(SHIPPED, {"a": ("Age group", {1: (18, 22)})})
    # the full table has single years, so the same range is fine there
    assert from_statcan(FULL, {"a": ("Age group", {1: (18, 22)})})["a"][1] > 0


# --- the gender rule, the shipped set and the report ---------------------------------------------


def test_gender_rule_takes_the_census_non_binary_count_half_from_each(full: pd.DataFrame) -> None:
    gender = canada_adults_2025("gender")["gender"]
    assert NON_BINARY_2021 == 41_355
    men = _published(full, "18 years and older", gender="Men+")
    women = _published(full, "18 years and older", gender="Women+")
    assert gender == {1: men - 41_355 / 2, 2: women - 41_355 / 2, 3: 41_355.0}


def test_education_stays_flagged_approximate() -> None:
    m = canada_adults_2025(["province", "education"])
    shares = cf.targets.canada_2021("education")["educ"]
    total = sum(m["prov"].values())
    assert m["educ"] == pytest.approx({k: v * total for k, v in shares.items()}, rel=1e-12)
    assert "APPROXIMATE" in m.source.note and "98-10-0384-01" in m.source.note
    assert "APPROXIMATE" not in canada_adults_2025(["province"]).source.note


@pytest.mark.parametrize("wave", ["cf2018", "cf2020", "cf2023"])
def test_each_sample_wave_rakes_to_the_shipped_set_and_cites_it(wave: str) -> None:
    margins = shipped_targets("canada_adults_2025", ["province", "age", "gender"])
    sv = cf.read_survey(sample_path(wave))
    raked = cf.Design(sv, weights="wt_design").rake(margins, tol=1e-10)
    for column, targets in margins.items():
        achieved = raked.weights.groupby(raked.data[column]).sum()
        for level, target in targets.items():
            assert abs(achieved[float(level)] - target) / target < 1e-8, (column, level)
    report = raked.report
    assert report.max_relative_error < 1e-8
    assert report.source is not None and report.source.table == "17-10-0005-01"
    for text in (repr(report), report.summary()["source"], report._repr_html_()):
        assert "17-10-0005-01" in text and "July 1, 2025" in text


def test_plain_margins_leave_the_report_uncited() -> None:
    design = cf.Design(pd.DataFrame({"g": list("aabb"), "w": [1.0, 1, 1, 1]}), weights="w")
    plain = design.rake({"g": {"a": 3, "b": 1}}).report
    assert plain.source is None and "source" not in plain.summary() and "targets:" not in repr(plain)
    src = TargetSource("12-34-5678-01", "A table", "2024")
    cited = design.rake(CitedMargins({"g": {"a": 3, "b": 1}}, src)).report
    assert cited.source == src and "Table 12-34-5678-01 A table (reference date 2024)" in repr(cited)
    assert design.rake(CitedMargins({"g": {"a": 3, "b": 1}}, src), bounds=(0.1, 10)).report.source == src


def test_shipped_targets_and_cf_targets_namespace() -> None:
    assert cf.targets.from_statcan is from_statcan
    assert cf.targets.business_counts is statcan.business_counts
    assert list(shipped_targets("canada_adults_2025", ["prov", "age_grp"])) == ["prov", "age_grp"]
    with pytest.raises(WeightingError, match="'region'"):
        shipped_targets("canada_adults_2025", ["region"])


# --- business counts -----------------------------------------------------------------------------


def test_business_counts_rake_bf2023() -> None:
    margins = shipped_targets("business_counts_illustrative", ["firm_size", "industry", "region"])
    assert "ILLUSTRATIVE" in str(margins.source) and "ILLUSTRATIVE" in str(data_path(
        "ILLUSTRATIVE_business_counts_2023.csv"))
    # the documented construction keeps every sum of the illustrative frame
    assert dict(margins) == cf.targets.business_frame(shares=False)
    raked = cf.Design(cf.read_survey(sample_path("bf2023")), weights="wt_design").rake(margins, tol=1e-10)
    for column, targets in margins.items():
        achieved = raked.weights.groupby(raked.data[column]).sum()
        for level, target in targets.items():
            assert abs(achieved[float(level)] - target) / target < 1e-8
    assert "ILLUSTRATIVE" in repr(raked.report)


def _business(tmp_path: Path, extra: list[str]) -> Path:
    text = Path(str(data_path("ILLUSTRATIVE_business_counts_2023.csv"))).read_text(encoding="utf-8")
    path = tmp_path / "33100999.csv"
    path.write_bytes(("\ufeff" + text + "".join(f"{line}\r\n" for line in extra)).encode("utf-8"))
    return path


def test_business_counts_share_out_unclassified(tmp_path: Path) -> None:
    frame = _read(Path(str(data_path("ILLUSTRATIVE_business_counts_2023.csv"))))
    total = frame.loc[(frame["GEO"] == "Canada") & frame["Employment size ranges"].str.startswith("Total")
                      & frame["North American Industry Classification System (NAICS)"].str.startswith("Total"),
                      "VALUE"].iloc[0]
    path = _business(tmp_path, ['2023-06,Canada,2021A000011124,"Total, with employees",Unclassified,'
                                "Number,223,units,0,,1.1.99,5000,,,,0"])
    industry = statcan.business_counts(path, ["industry"])["industry"]
    plain = cf.targets.business_frame("industry", shares=False)["industry"]
    assert sum(industry.values()) == pytest.approx(total)
    assert industry == pytest.approx({k: v * total / sum(plain.values()) for k, v in plain.items()})
    assert industry[1] == pytest.approx(plain[1])  # classified sectors already sum to the total


# --- symbols, scalars and bad files --------------------------------------------------------------


def _edit(tmp_path: Path, name: str = "17100005.csv", **cells: str) -> Path:
    """The shipped table with the Canada / Total - gender / 18 years row changed (BOM, CRLF)."""
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    row = (frame["GEO"] == "Canada") & (frame["Gender"] == "Total - gender") & (frame["Age group"] == "18 years")
    for column, value in cells.items():
        frame.loc[row, column] = value
    path = tmp_path / name
    path.write_bytes(("\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")).encode("utf-8"))
    return path


def _age1(path: Path, **kwargs: object) -> float:
    return from_statcan(path, {"a": ("Age group", {1: (18, 34)})}, **kwargs)["a"][1]  # type: ignore[arg-type]


@pytest.mark.parametrize("symbol", ["..", "x", "F"])
def test_unavailable_values_are_an_error_naming_the_row(tmp_path: Path, symbol: str) -> None:
    path = _edit(tmp_path, VALUE="", STATUS=symbol)
    with pytest.raises(DataError, match=rf"17100005.csv: line \d+, column STATUS = '{symbol}'.*18 years"):
        _age1(path)


def test_excluded_unavailable_values_warn_and_leave_the_row_out(tmp_path: Path, full: pd.DataFrame) -> None:
    path = _edit(tmp_path, VALUE="", STATUS="x")
    with pytest.warns(TargetWarning, match="undercount"):
        got = _age1(path, unavailable="exclude")
    assert got == _single_years(full, 18, 34) - _published(full, "18 years")


def test_use_with_caution_warns_and_preliminary_is_noted(tmp_path: Path, full: pd.DataFrame) -> None:
    with pytest.warns(TargetWarning, match="use with caution"):
        assert _age1(_edit(tmp_path, STATUS="E")) == _single_years(full, 18, 34)
    m = from_statcan(_edit(tmp_path, SYMBOL="p"), {"a": ("Age group", {1: (18, 34)})})
    assert "preliminary" in m.source.note


def test_scalar_factor_is_applied(tmp_path: Path, full: pd.DataFrame) -> None:
    got = _age1(_edit(tmp_path, SCALAR_FACTOR="thousands", SCALAR_ID="3", VALUE="1.5"))
    assert got == _single_years(full, 18, 34) - _published(full, "18 years") + 1500


@pytest.mark.parametrize(("cells", "message"), [
    ({"VALUE": "abc"}, r"column VALUE = 'abc'"),
    ({"VALUE": "-5"}, r"column VALUE = '-5'"),
    ({"STATUS": "Q"}, r"column STATUS has the unknown symbol 'Q'"),
    ({"SCALAR_FACTOR": "dozens"}, r"column SCALAR_FACTOR = 'dozens'"),
    ({"UOM": "Years"}, r"column UOM = 'Years'"),
])
def test_bad_values_name_file_line_column_and_value(tmp_path: Path, cells: dict[str, str], message: str) -> None:
    with pytest.raises(DataError, match=r"17100005.csv: line \d+, " + message):
        _age1(_edit(tmp_path, **cells))


def test_bad_files(tmp_path: Path) -> None:
    no_value = tmp_path / "novalue.csv"
    pd.read_csv(SHIPPED, dtype=str).drop(columns="VALUE").to_csv(no_value, index=False)
    with pytest.raises(DataError, match=r"novalue.csv: column\(s\) \['VALUE'\] missing"):
        _age1(no_value)
    with pytest.raises(DataError, match="missing.csv: cannot be read"):
        _age1(tmp_path / "missing.csv")
    with pytest.raises(DataError, match=r"REF_DATE has no value '2019'; the file has \['2025'\]"):
        _age1(SHIPPED, ref_date=2019)
    with pytest.raises(DataError, match="no level 'Men'"):
        from_statcan(SHIPPED, {"gender": ("Gender", {1: "Men"})})
    with pytest.raises(DataError, match="no dimension column 'Sex'"):
        from_statcan(SHIPPED, {"sex": "Sex"})


def test_latest_date_by_default_and_repeated_cells(tmp_path: Path, full: pd.DataFrame) -> None:
    frame = pd.read_csv(SHIPPED, dtype=str, keep_default_na=False)
    older = frame.assign(REF_DATE="2024", VALUE="1")
    path = tmp_path / "17100005.csv"
    pd.concat([older, frame]).to_csv(path, index=False, lineterminator="\r\n")
    assert _age1(path) == _single_years(full, 18, 34)
    assert _age1(path, ref_date="2024") == 5  # 18, 19, 20-24, 25-29, 30-34
    pd.concat([frame, frame.iloc[[3]]]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"line 1010 repeats the cell"):
        _age1(path)


def test_the_citation_is_given_in_french_with_its_notes():
    from citizensfirst.weighting.official import canada_adults_2025

    source = canada_adults_2025(["province", "gender", "education"]).source
    french, english = source.citation("fr"), source.citation("en")
    assert french.startswith("Statistique Canada. Tableau 17-10-0005-01 Estimations de la population")
    assert "1er juillet 2025" in french and "July" not in french and "gender" not in french
    assert "APPROXIMATIVE" in french and "98-10-0384-01" in french and "41\u202f355 personnes non binaires" in french
    assert "APPROXIMATE" in english and "reference date July 1, 2025" in english and str(source) == english
