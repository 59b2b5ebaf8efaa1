"""Tables: crosstab/banner estimates, column-test letters, flags, labels and exports."""

from __future__ import annotations

import csv
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy import stats

import citizensfirst as cf
from citizensfirst import tables
from citizensfirst.errors import DataError
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.tables.build import banner, crosstab
from citizensfirst.tables.letters import adjust_pvalues
from citizensfirst.tables.render import Table, write_tables

NBSP = "\u00a0"


@cache
def _survey(wave: str) -> cf.Survey:
    return cf.read_survey(sample_path(wave))


def _cf2023() -> cf.Design:
    return cf.Design(_survey("cf2023"), weights="wt_design")


def _cf2020() -> cf.Design:
    return cf.Design(_survey("cf2020"), weights="wt_design", strata="stratum", psu="psu")


def _two_groups(shift: float, seed: int, n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.concatenate([rng.normal(3.0, 1.0, n), rng.normal(3.0 + shift, 1.0, n)])
    return pd.DataFrame({"y": y, "g": np.repeat(["a", "b"], n), "one": "all"})


def _grid_cell(table: Table, row: str, column_header: str) -> str:
    frame = table.to_frame()
    matches = [c for c in frame.columns if c[1] == column_header]
    assert len(matches) == 1, (column_header, list(frame.columns))
    return frame.loc[row, matches[0]]


# ----------------------------------------------------------------------------- estimates


def test_percentages_equal_design_proportions_by_column():
    d = _cf2023()
    table = crosstab(d, "chan_used", "age_grp")
    by_age = d.proportion("chan_used", by="age_grp").table
    inner = table.confidential_cells["column_variable"] == "age_grp"
    cells = table.confidential_cells[inner]
    merged = cells.merge(by_age, left_on=["column_level", "row_level"],
                         right_on=["age_grp", "level"], suffixes=("", "_ref"))
    assert len(merged) == len(cells) == 12
    np.testing.assert_allclose(merged["estimate"], merged["estimate_ref"], rtol=1e-12)
    np.testing.assert_allclose(merged["se"], merged["se_ref"], rtol=1e-12)
    np.testing.assert_allclose(merged["ci_low"], merged["ci_low_ref"], rtol=1e-12)
    # n is the respondents of the cell (row level and age group), not the column base the
    # estimator reports; they add up to that base
    data = _survey("cf2023").data
    by_hand = data.groupby(["age_grp", "chan_used"]).size()
    assert merged["n"].tolist() == [by_hand[(a, lv)] for a, lv in zip(merged["age_grp"], merged["level"], strict=True)]
    assert (merged.groupby("age_grp")["n"].sum() == merged.groupby("age_grp")["n_ref"].first()).all()
    # no cell here has fewer than 10 respondents: the flags are the estimator's CV letters
    assert (merged["flag"] == merged["flag_ref"]).all()
    total = table.confidential_cells[table.confidential_cells["column_variable"].isna()]
    np.testing.assert_allclose(total["estimate"], d.proportion("chan_used").table["estimate"], rtol=1e-12)
    # the published value is the percentage rounded to the table's decimals; unpublished cells
    # carry no number in the public cells
    public = table.cells[inner]
    published = ~public["flag"].isin(["x", "F"])
    assert not published.all()  # Mail among 18-34 is F
    np.testing.assert_allclose(public["value"][published], np.round(cells["estimate"][published] * 100, 1))
    np.testing.assert_allclose(public["estimate"][published], cells["estimate"][published], rtol=0)
    assert public.loc[~published, ["estimate", "se", "ci_low", "ci_high", "n", "weighted_n", "value"]].isna().all().all()


def test_sample_top2_by_province_and_age():
    """The realistic table: top-2-box overall satisfaction by province and age group."""
    sv = _survey("cf2023")
    d = _cf2023()
    table = crosstab(d, "prov", "age_grp", "top2", value="q_overall", adjust="holm")
    data = sv.data
    w = data["wt_design"].to_numpy()
    top = (data["q_overall"] >= 4).to_numpy(float)
    ok = data["q_overall"].notna().to_numpy()
    # total row, total column: the weighted share, by hand
    cell = table.cells[table.cells["row_level"].isna() & table.cells["column_variable"].isna()].iloc[0]
    assert cell["estimate"] == pytest.approx((w * top)[ok].sum() / w[ok].sum(), rel=1e-12)
    assert cell["weighted_n"] == pytest.approx(w[ok].sum(), rel=1e-12)
    # one inner cell (Ontario, 18-34) against the design's mean of the indicator in that domain
    sub = data.assign(top=np.where(ok, top, np.nan))
    ref = cf.Design(sub, weights="wt_design").mean("top", by=["prov", "age_grp"]).table
    ref = ref[(ref["prov"] == 35) & (ref["age_grp"] == 1)].iloc[0]
    inner = table.cells[(table.cells["row_level"] == 35) & (table.cells["column_level"] == 1)].iloc[0]
    assert inner["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
    assert inner["se"] == pytest.approx(ref["se"], rel=1e-12)
    assert inner["n"] == ref["n"]
    # logit interval for a share
    assert 0 < inner["ci_low"] < inner["estimate"] < inner["ci_high"] < 1
    # labels from the codebook; bases; 13 provinces + Total rows
    frame = table.to_frame()
    assert list(frame.index[:2]) == ["Newfoundland and Labrador", "Prince Edward Island"]
    assert list(frame.index[-3:]) == ["Total", "Unweighted base", "Weighted base"]
    assert frame.loc["Unweighted base"].tolist() == ["4,300", "841", "1,358", "2,101"]
    assert table.title.startswith("Overall satisfaction with the service")
    # older respondents are more satisfied (the model's age shift): letters on the Total row
    total_row = frame.loc["Total"]
    assert total_row.iloc[3].endswith("AB")
    # the design method delegates
    same = d.crosstab("prov", "age_grp", "top2", value="q_overall", adjust="holm")
    pd.testing.assert_frame_equal(same.cells, table.cells)


def test_score_and_mean_rows_are_items():
    d = _cf2023()
    score = crosstab(d, ["q_time", "q_overall"], "educ", "score")
    mean = d.mean(["q_time", "q_overall"], by="educ").table
    got = score.cells[score.cells["column_variable"] == "educ"].sort_values(["row_level", "column_level"])
    ref = mean.sort_values(["variable", "educ"])
    # q_time and q_overall are 1-5 items: score = (mean - 1) * 25, se * 25
    np.testing.assert_allclose(got["estimate"], (ref["estimate"].to_numpy() - 1) * 25, rtol=1e-12)
    np.testing.assert_allclose(got["se"], ref["se"].to_numpy() * 25, rtol=1e-12)
    plain = crosstab(d, "q_time", "educ", "mean", decimals=2)
    assert plain.cells["value"].iloc[0] == round(d.mean("q_time").estimate, 2)


# ----------------------------------------------------------------------------- tests and letters


def test_letters_for_a_large_difference_and_none_for_a_null_one():
    big = crosstab(cf.Design(_two_groups(0.6, seed=11)), "y", "g", "mean")
    assert big.cells["letters"].tolist() == ["", "", "A"]
    assert _grid_cell(big, "y", "b (B)").endswith(" A")
    null = crosstab(cf.Design(_two_groups(0.0, seed=11)), "y", "g", "mean")
    assert null.tests["p"].iloc[0] > 0.05
    assert (null.cells["letters"] == "").all()
    # identical groups: a zero difference is never significant
    same = pd.DataFrame({"y": np.tile(np.arange(1.0, 6.0), 40), "g": np.repeat(["a", "b"], 100)})
    flat = crosstab(cf.Design(same), "y", "g", "mean")
    assert (flat.cells["letters"] == "").all()


def test_pairwise_statistic_matches_hand_computation_from_vcov():
    d = _cf2020()  # clustered: domain estimates are correlated through the PSUs
    table = crosstab(d, "q_overall", "age_grp", "mean")
    est = d.mean("q_overall", by="age_grp")
    v = est.vcov
    assert abs(v[0, 1]) > 1e-4  # the covariance matters here
    e = est.table["estimate"].to_numpy()
    df = d.degrees_of_freedom()
    for _, test in table.tests.iterrows():
        a, b = int(test["level_a"]) - 1, int(test["level_b"]) - 1
        se = np.sqrt(v[a, a] + v[b, b] - 2 * v[a, b])
        t = (e[a] - e[b]) / se
        assert test["t"] == pytest.approx(t, rel=1e-10)
        assert test["se"] == pytest.approx(se, rel=1e-10)
        assert test["df"] == df
        assert test["p"] == pytest.approx(2 * stats.t.sf(abs(t), df), rel=1e-8)
    # percentages: the covariance of two column shares of the same row level
    pct = crosstab(d, "chan_used", "gender")
    prop = d.proportion("chan_used", by="gender")
    t_ref = prop.table
    i = t_ref.index[(t_ref["gender"] == 1) & (t_ref["level"] == 3)][0]
    j = t_ref.index[(t_ref["gender"] == 2) & (t_ref["level"] == 3)][0]
    vv = prop.vcov
    t = (t_ref["estimate"][i] - t_ref["estimate"][j]) / np.sqrt(vv[i, i] + vv[j, j] - 2 * vv[i, j])
    i = t_ref.index[(t_ref["gender"] == 1) & (t_ref["level"] == 2)][0]
    j = t_ref.index[(t_ref["gender"] == 2) & (t_ref["level"] == 2)][0]
    t = (t_ref["estimate"][i] - t_ref["estimate"][j]) / np.sqrt(vv[i, i] + vv[j, j] - 2 * vv[i, j])
    # (row 2: in rows 1, 3 and 4 the Man cell is a complementary suppression of "Another gender")
    row = pct.tests[(pct.tests["row_level"] == 2) & (pct.tests["level_a"] == 1) & (pct.tests["level_b"] == 2)]
    assert row["t"].iloc[0] == pytest.approx(t, rel=1e-10)


def _three_groups() -> pd.DataFrame:
    """Three groups of 100 with unit spread and means set for t of about 2.1, 2.1 and 4.2."""
    z = 3 + np.tile([-1.0, 1.0], 50)
    step = 2.1 * np.sqrt(2 / 100)
    y = np.concatenate([z, z + step, z + 2 * step])
    return pd.DataFrame({"y": y, "g": np.repeat(["a", "b", "c"], 100)})


def test_holm_and_bh_change_letters_as_expected():
    d = cf.Design(_three_groups())
    plain = crosstab(d, "y", "g", "mean")
    p = plain.tests.set_index(["letter_a", "letter_b"])["p"]
    assert 0.025 < p[("A", "B")] < 0.05 and 0.025 < p[("B", "C")] < 0.05 and p[("A", "C")] < 0.001
    letters = lambda t: t.cells["letters"].tolist()[1:]  # noqa: E731 (skip the Total column)
    assert letters(plain) == ["", "A", "AB"]
    holm = crosstab(d, "y", "g", "mean", adjust="holm")
    assert letters(holm) == ["", "", "A"]  # 2 x p(AB) > 0.05: only A-C survives
    bh = crosstab(d, "y", "g", "mean", adjust="bh")
    assert letters(bh) == ["", "A", "AB"]  # BH: max p x 3/3 < 0.05 keeps all three
    np.testing.assert_allclose(holm.tests["p_adjusted"], adjust_pvalues(plain.tests["p"], "holm"))
    assert "Holm" in holm.notes[-1]


def test_adjust_pvalues_matches_r():
    # R: p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), "holm") / "BH"
    p = [0.01, 0.02, 0.03, 0.04, 0.05]
    np.testing.assert_allclose(adjust_pvalues(p, "holm"), [0.05, 0.08, 0.09, 0.09, 0.09])
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), [0.05] * 5)
    np.testing.assert_allclose(adjust_pvalues([0.04, np.nan, 0.01], "holm"), [0.04, np.nan, 0.02])
    with pytest.raises(DataError):
        adjust_pvalues(p, "bonferroni")


def test_banner_letters_run_on_and_tests_stay_within_a_variable():
    d = _cf2023()
    table = banner(d, "chan_used", ["age_grp", "gender"])
    assert [c.letter for c in table.columns] == ["", "A", "B", "C", "D", "E", "F"]
    assert set(table.tests["column_variable"]) == {"age_grp", "gender"}
    by_var = table.tests.groupby("column_variable")["letter_a"].unique()
    assert set(by_var["age_grp"]) <= {"A", "B"} and set(by_var["gender"]) <= {"D", "E"}
    age = table.cells[table.cells["column_variable"] == "age_grp"]
    assert not age["letters"].str.contains("[DEF]").any()
    # online use falls with age: 18-34 beats the two older groups
    online = age[(age["row_level"] == 3) & (age["column_level"] == 1)]
    assert online["letters"].iloc[0] == "BC"


# ----------------------------------------------------------------------------- flags


def _flag_data() -> pd.DataFrame:
    # group a: 12 of 120 say yes (CV about 0.29: E); b: 12 of 100 say yes, one of them with a
    # weight of 40 (CV about 0.65: F); c: 6 people, 3 and 3 (primary suppression)
    yes = np.concatenate([np.arange(120) < 12, np.arange(100) < 12, np.arange(6) < 3])
    weight = np.ones(yes.size)
    weight[120], weight[121:132] = 40.0, 0.2
    return pd.DataFrame({"ans": np.where(yes, "yes", "no"),
                         "g": np.repeat(["a", "b", "c"], [120, 100, 6]), "w": weight})


def test_suppression_and_quality_flags_are_displayed():
    table = crosstab(cf.Design(_flag_data(), weights="w"), "ans", "g")
    cells = table.cells.set_index(["row_level", "column_level"])
    assert cells.loc[("yes", "a"), "flag"] == "E"
    assert cells.loc[("yes", "b"), "flag"] == "F"
    assert cells.loc[("yes", "c"), ["flag", "suppression"]].tolist() == ["x", "primary"]
    assert cells.loc[("no", "c"), ["flag", "suppression"]].tolist() == ["x", "primary"]
    # "no" among c is x, so its row needs a second unpublished cell: b (88 respondents) rather
    # than a (108); b's column already has the F cell, so nothing more is needed
    assert cells.loc[("no", "b"), ["flag", "suppression"]].tolist() == ["x", "complementary"]
    assert cells.loc[("no", "a"), "flag"] == "A"
    assert _grid_cell(table, "yes", "a (A)") == "10.0E"
    assert _grid_cell(table, "yes", "b (B)") == "F"
    assert _grid_cell(table, "yes", "c (C)") == "x"
    assert _grid_cell(table, "no", "c (C)") == "x"
    assert _grid_cell(table, "no", "b (B)") == "x"
    assert np.isnan(cells.loc[("yes", "b"), "value"]) and np.isnan(cells.loc[("no", "c"), "value"])
    # suppressed and F cells carry no letters and take no part in the tests
    assert cells.loc[("no", "c"), "letters"] == ""
    assert table.tests.empty  # every pair of a row involves an x or F cell
    # the suppressed column's base is still shown, and the legend is in the notes
    assert _grid_cell(table, "Unweighted base", "c (C)") == "6"
    assert any(n.startswith("x: suppressed") for n in table.notes)
    assert any(n.startswith("E: use with caution") for n in table.notes)


def test_custom_quality_rules():
    table = crosstab(cf.Design(_flag_data(), weights="w"), "ans", "g", rules=cf.QualityRules(min_n=80))
    assert table.cells.set_index(["row_level", "column_level"]).loc[("yes", "b"), "flag"] == "x"
    assert "x: n < 80" in table.notes


# ----------------------------------------------------------------------------- language


def test_french_labels_and_decimal_comma():
    d = _cf2023()
    table = crosstab(d, "chan_used", "age_grp", language="fr")
    frame = table.to_frame()
    assert "Téléphone" in frame.index and "En ligne (site Web ou application)" in frame.index
    assert frame.index.name == "Mode de prestation utilisé pour le service le plus récent"
    assert ("Groupe d'âge", "18 à 34 ans (A)") in frame.columns
    assert frame.loc["Base non pondérée"].iloc[0] == f"4{NBSP}300"
    value = frame.loc["Téléphone"].iloc[0]
    assert re.fullmatch(r"\d+,\d", value)
    assert table.title.startswith("Mode de prestation") and "selon Groupe d'âge" in table.title
    assert any("seuil de signification 0,05" in n for n in table.notes)
    html_text = table.to_html()
    assert 'lang="fr"' in html_text


# ----------------------------------------------------------------------------- exports


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str]]] = []
        self._in: str | None = None
        self.caption = ""
        self.scopes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th", "caption"):
            self._in = tag
            if tag == "th":
                self.scopes.append(dict(attrs).get("scope", ""))
            if tag != "caption":
                self.rows[-1].append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "caption"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "caption":
            self.caption += data
        elif self._in:
            tag, old = self.rows[-1][-1]
            self.rows[-1][-1] = (tag, old + data)


def _number(text: str) -> float | None:
    match = re.match(r"^-?[\d,]*\.?\d+", text.strip())
    return float(match.group(0).replace(",", "")) if match else None


def _expected_numbers(table: Table) -> list[float | None]:
    n_cols = len(table.columns)
    values = table.cells["value"].to_numpy().reshape(-1, n_cols)
    out: list[float | None] = [None if np.isnan(v) else float(v) for v in values.ravel()]
    out += [float(v) for v in table.bases["n"]] + [float(v) for v in table.bases["weighted_n"]]
    return out


def test_exports_agree(tmp_path: Path):
    d = _cf2023()
    table = banner(d, "prov", ["age_grp", "gender"], "top2", value="q_overall", adjust="bh")
    expected = _expected_numbers(table)
    assert None in expected  # an F or x cell is part of the comparison
    n_cols = len(table.columns)

    table.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    from_csv = [_number(c) for row in rows[1:] for c in row[1:]]

    table.to_xlsx(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["Table 1", "Notes"]
    ws = wb["Table 1"]
    n_body = len(table.row_labels) + 2
    from_xlsx = []
    for r in range(4, 4 + n_body):
        for j in range(n_cols):
            v = ws.cell(row=r, column=2 + 2 * j).value
            from_xlsx.append(float(v) if isinstance(v, int | float) else None)
    assert ws.freeze_panes == "B4"
    assert ws.cell(row=2, column=1).font.bold
    assert ws.cell(row=4, column=2).number_format == "#,##0.0"
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    assert any("Weighted base" in n for n in notes) and any("Benjamini" in n for n in notes)

    html_text = table.to_html(tmp_path / "t.html")
    parser = _Cells()
    parser.feed(html_text)
    body = [row for row in parser.rows if row and row[0][0] == "th" and any(t == "td" for t, _ in row)]
    from_html = [_number(text) for row in body for tag, text in row if tag == "td"]
    assert parser.caption == table.title
    assert set(parser.scopes) == {"col", "colgroup", "row"}
    assert html_text.startswith("<!DOCTYPE html>") and '<html lang="en">' in html_text
    assert (tmp_path / "t.html").read_text(encoding="utf-8") == html_text

    md = table.to_markdown()
    md_rows = [line for line in md.splitlines() if line.startswith("| ")][1:]
    from_md = [_number(c) for line in md_rows for c in line.strip("| ").split(" | ")[1:]]

    assert from_csv == expected
    assert from_xlsx == expected
    assert from_html == expected
    assert from_md == expected
    # the E flags and letters sit next to the number in xlsx, as in the text formats
    letters_xlsx = [ws.cell(row=r, column=3 + 2 * j).value or ""
                    for r in range(4, 4 + len(table.row_labels)) for j in range(n_cols)]
    shown = ~table.cells["flag"].isin(["x", "F"])
    assert letters_xlsx == np.where(shown, table.cells["letters"], "").tolist()
    assert any(letters_xlsx)
    formats = [ws.cell(row=4 + k // n_cols, column=2 + 2 * (k % n_cols)).number_format
               for k in range(len(table.cells))]
    e_flag = (table.cells["flag"] == "E").to_numpy()
    assert e_flag.any()
    assert all(f == '#,##0.0"E"' for f in np.array(formats)[e_flag])
    assert all(f == "#,##0.0" for f in np.array(formats)[shown.to_numpy() & ~e_flag])
    hidden = [ws.cell(row=4 + k // n_cols, column=2 + 2 * (k % n_cols)).value
              for k in np.flatnonzero(~shown.to_numpy())]
    assert set(hidden) <= {"x", "F"} and hidden
    tidy_path = tmp_path / "tidy.csv"
    table.to_csv(tidy_path, tidy=True)
    tidy = pd.read_csv(tidy_path, encoding="utf-8-sig")
    np.testing.assert_allclose(tidy["value"], table.cells["value"])


def test_write_tables_several_sheets(tmp_path: Path):
    d = _cf2023()
    first = crosstab(d, "chan_used", "age_grp")
    second = crosstab(d, "q_overall", "gender", "mean", language="fr")
    write_tables([first, second], tmp_path / "book.xlsx", sheet_names=["Channels", "Moyennes"])
    wb = openpyxl.load_workbook(tmp_path / "book.xlsx")
    assert wb.sheetnames == ["Channels", "Moyennes", "Notes"]
    assert wb["Channels"]["A1"].value == first.title
    notes = [c.value for c in wb["Notes"]["A"] if c.value]
    assert notes[0] == f"Channels: {first.title}" and f"Moyennes: {second.title}" in notes
    with pytest.raises(DataError):
        write_tables([first, second], tmp_path / "bad.xlsx", sheet_names=["Same", "same"])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failed_exports_leave_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    table = crosstab(cf.Design(_two_groups(0.5, seed=3)), "y", "g", "mean")
    keep = tmp_path / "kept.csv"
    keep.write_text("old contents")

    def broken_rows(self: Table, tidy: bool):
        yield ["header"]
        yield ["first row"]
        raise RuntimeError("disk full")

    monkeypatch.setattr(Table, "_csv_rows", broken_rows)
    with pytest.raises(RuntimeError, match="disk full"):
        table.to_csv(tmp_path / "new.csv")
    with pytest.raises(RuntimeError, match="disk full"):
        table.to_csv(keep)
    assert _leftovers(tmp_path) == ["kept.csv"]
    assert keep.read_text() == "old contents"

    def broken_sheet(self: Table, ws: object) -> None:
        ws.cell(row=1, column=1, value="half a table")  # type: ignore[attr-defined]
        raise RuntimeError("sheet failed")

    monkeypatch.setattr(Table, "write_sheet", broken_sheet)
    with pytest.raises(RuntimeError, match="sheet failed"):
        table.to_xlsx(tmp_path / "new.xlsx")

    original_save = openpyxl.Workbook.save

    def half_save(self: openpyxl.Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 truncated")
        raise OSError("interrupted")

    monkeypatch.undo()
    monkeypatch.setattr(openpyxl.Workbook, "save", half_save)
    with pytest.raises(OSError, match="interrupted"):
        table.to_xlsx(tmp_path / "new.xlsx")
    monkeypatch.setattr(openpyxl.Workbook, "save", original_save)
    assert _leftovers(tmp_path) == ["kept.csv"]


def test_inputs_not_mutated():
    sv = _survey("cf2023")
    before = sv.data.copy()
    d = _cf2023()
    weights = d.weights.copy()
    columns = list(d.data.columns)
    crosstab(d, "prov", "age_grp", "top2", value="q_overall")
    banner(d, ["q_time", "q_access"], ["age_grp", "gender"], "score")
    pd.testing.assert_frame_equal(sv.data, before)
    assert list(d.data.columns) == columns
    pd.testing.assert_series_equal(d.weights, weights)
    assert len(d.history) == 1


def test_bad_arguments():
    d = cf.Design(_two_groups(0.0, seed=1))
    with pytest.raises(DataError, match="stat"):
        crosstab(d, "y", "g", "median")
    with pytest.raises(DataError, match="adjust"):
        crosstab(d, "y", "g", "mean", adjust="bonferroni")
    with pytest.raises(DataError, match="scale"):
        crosstab(d, "y", "g", "top2")
    with pytest.raises(DataError, match="value"):
        crosstab(d, "g", "one", "percent", value="y")
    with pytest.raises(DataError, match="both a row and a column"):
        crosstab(d, "g", "g")
    with pytest.raises(ValueError, match="language"):
        crosstab(d, "g", "one", language="de")


def test_crosstab_without_columns_and_top2_scale_argument():
    df = pd.DataFrame({"r": [1.0, 2, 3, 4, 5] * 20})
    table = crosstab(cf.Design(df), "r", stat="top2", scale=(1, 5))
    assert table.cells["estimate"].tolist() == [pytest.approx(0.4)]
    assert [c.header for c in table.columns] == ["Total"]
    assert table.tests.empty
    assert not any(n.startswith("Letters") for n in table.notes)
    assert "x" in tables.NOT_TESTED


def test_replicate_design_uses_the_replicate_covariance():
    d = _cf2020().as_replicate("bootstrap", replicates=40, seed=5)
    table = d.crosstab("q_overall", "age_grp", "mean")
    est = d.mean("q_overall", by="age_grp")
    v, e = est.vcov, est.table["estimate"].to_numpy()
    test = table.tests.iloc[0]
    assert test["t"] == pytest.approx((e[0] - e[1]) / np.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1]), rel=1e-10)
    assert test["df"] == d.degrees_of_freedom()
    assert "replicate" in table.notes[1]


def test_tables_command_writes_workbook_and_csvs(tmp_path) -> None:
    from citizensfirst.cli import main
    from citizensfirst.samplegen.generator import sample_path

    out = tmp_path / "t.xlsx"
    code = main(["tables", str(sample_path("cf2023")), "--rows", "q_overall", "q_time", "--cols",
                 "age_grp", "gender", "--stat", "top2", "--weights", "wt_design", "--out", str(out),
                 "--lang", "en", "fr"])
    assert code == 0
    import openpyxl

    assert openpyxl.load_workbook(out).sheetnames == ["top2.en", "top2.fr", "Notes"]
    english = (tmp_path / "t.top2.en.csv").read_text(encoding="utf-8-sig")
    french = (tmp_path / "t.top2.fr.csv").read_text(encoding="utf-8-sig")
    assert "18-34" in english and "," in french
