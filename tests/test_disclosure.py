"""Disclosure control and output safety of tables (issue 10, items 5, 7, 8 and 11).

* primary suppression counts the respondents of the cell, not the column base;
* complementary suppression: no suppressed value can be derived from the published ones;
* no export (grid, tidy CSV, xlsx, HTML, Markdown, ``to_frame``) carries a suppressed value;
* text is written as text (no formula) in CSV and xlsx, and escaped in Markdown and HTML;
* a zero-variance comparison makes no significance letter.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.linalg import null_space

import citizensfirst as cf
from citizensfirst.charts import channel_chart
from citizensfirst.estimation.quality import complementary_suppression, derivable
from citizensfirst.io.codebook import Codebook, Variable
from citizensfirst.io.survey import Survey
from citizensfirst.sanitize import neutralize, neutralize_frame
from citizensfirst.tables.build import banner, crosstab
from citizensfirst.tables.render import Table, write_tables

NUMBERS = ["estimate", "se", "ci_low", "ci_high", "n", "weighted_n", "value"]


# ----------------------------------------------------------------------------- primary suppression


def _small_column() -> pd.DataFrame:
    """Column c has 10 respondents: 9 say yes, 1 says no (the issue's example)."""
    yes = np.concatenate([np.arange(100) < 60, np.arange(150) < 70, np.arange(10) < 9])
    return pd.DataFrame({"ans": np.where(yes, "yes", "no"),
                         "g": np.repeat(["a", "b", "c"], [100, 150, 10])})


def test_nine_respondent_cell_and_its_one_respondent_neighbour_are_suppressed():
    table = crosstab(cf.Design(_small_column()), "ans", "g")
    secret = table.confidential_cells.set_index(["row_level", "column_level"])
    public = table.cells.set_index(["row_level", "column_level"])
    # the cell's own respondents decide, not the column base of 10
    assert secret.loc[("yes", "c"), "n"] == 9 and secret.loc[("no", "c"), "n"] == 1
    assert secret.loc[("yes", "c"), "estimate"] == pytest.approx(0.9)
    for row in ("yes", "no"):
        assert public.loc[(row, "c"), ["flag", "suppression"]].tolist() == ["x", "primary"]
        assert public.loc[(row, "c"), NUMBERS].isna().all()
    # Total = weighted average of a, b and c: in each row the smallest other cell goes too (a),
    # and then column a holds two suppressed cells
    for row in ("yes", "no"):
        assert public.loc[(row, "a"), ["flag", "suppression"]].tolist() == ["x", "complementary"]
        assert public.loc[(row, "b"), "flag"] != "x" and public.loc[(row, None), "flag"] != "x"
    assert table.to_frame()["g"]["c (C)"].tolist() == ["x", "x", "10", "10"]
    # no pairwise test involves a suppressed cell
    assert table.tests.empty


def test_suppression_threshold_is_configurable():
    design = cf.Design(_small_column())
    cells = crosstab(design, "ans", "g", rules=cf.QualityRules(min_n=5)).cells
    cells = cells.set_index(["row_level", "column_level"])
    # only the 1-respondent cell is primary; 100 % minus its neighbour would give it away, so
    # the 9-respondent cell is its complement
    assert cells.loc[("no", "c"), "suppression"] == "primary"
    assert cells.loc[("yes", "c"), "suppression"] == "complementary"
    everything = crosstab(design, "ans", "g", rules=cf.QualityRules(min_n=1)).cells
    assert (everything["suppression"] == "").all()
    assert everything.set_index(["row_level", "column_level"]).loc[("yes", "c"), "value"] == 90.0


def test_mean_cells_count_respondents_with_a_valid_value():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"y": rng.normal(3, 1, 200), "g": np.repeat(["a", "b"], 100)})
    df.loc[df.index[100:191], "y"] = np.nan  # group b: 9 valid answers out of 100
    table = crosstab(cf.Design(df), "y", "g", "mean")
    cells = table.confidential_cells.set_index("column_level")
    assert cells.loc["b", "n"] == 9 and cells.loc["b", "suppression"] == "primary"
    # Total = weighted mean of a and b: a is suppressed with it
    assert cells.loc["a", "suppression"] == "complementary"
    assert table.cells["value"].notna().tolist() == [True, False, False]


# ----------------------------------------------------------------------------- complementary


def _random_data(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 600
    return pd.DataFrame({
        "r": rng.choice(["r1", "r2", "r3", "r4", "r5"], n, p=[0.45, 0.3, 0.15, 0.07, 0.03]),
        "g": rng.choice(["g1", "g2", "g3", "g4"], n, p=[0.5, 0.3, 0.15, 0.05]),
        "h": rng.choice(["h1", "h2", "h3"], n, p=[0.6, 0.36, 0.04]),
        "y": rng.integers(1, 6, n).astype(float),
        "w": rng.lognormal(0, 0.4, n),
    })


def _attack(table: Table, groups: bool) -> tuple[list[np.ndarray], np.ndarray]:
    """The relations a reader can write between the cells (written here independently of the
    library): per row, Total x its weight = sum of category x weight for each column variable;
    per column, percentages add up to 1 (percent) or the Total row is the weighted average of
    the group rows (means). Weights are the true (confidential) ones: a stronger reader."""
    secret = table.confidential_cells
    n_cols = len(table.columns)
    n_rows = len(secret) // n_cols
    w = secret["weighted_n"].to_numpy().reshape(n_rows, n_cols)
    variables = [c.variable for c in table.columns]
    relations = []
    for r in range(n_rows):
        for var in dict.fromkeys(v for v in variables if v is not None):
            rel = np.zeros((n_rows, n_cols))
            cols = [j for j, v in enumerate(variables) if v == var]
            rel[r, cols] = w[r, cols]
            rel[r, 0] = -w[r, cols].sum()
            relations.append(rel.ravel())
    for c in range(n_cols):
        rel = np.zeros((n_rows, n_cols))
        if groups:
            rel[:-1, c] = w[:-1, c]
            rel[-1, c] = -w[:-1, c].sum()
        else:
            rel[:, c] = 1.0
        relations.append(rel.ravel())
    hidden = table.cells["value"].isna().to_numpy()
    return relations, hidden


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["percent", "mean"])
def test_no_suppressed_value_can_be_derived_from_the_published_ones(seed: int, kind: str):
    df = _random_data(seed)
    design = cf.Design(df, weights="w")
    if kind == "percent":
        table = banner(design, "r", ["g", "h"])
    else:
        table = banner(design, "r", ["g", "h"], "mean", value="y")
    cells = table.cells
    suppressed = (cells["flag"] == "x").to_numpy()
    primary = (cells["suppression"] == "primary").to_numpy()
    assert primary.any()  # the data do have small cells
    assert (cells.loc[primary, "n"].isna()).all()
    assert (table.confidential_cells.loc[primary, "n"] < 10).all()
    assert (table.confidential_cells.loc[~primary, "n"] >= 10).all()
    relations, hidden = _attack(table, groups=kind == "mean")
    # every relation holding a suppressed cell has at least two unpublished cells
    for rel in relations:
        members = rel != 0
        if (members & suppressed).any():
            assert (members & hidden).sum() >= 2
    # solving all relations together leaves every primary cell free: some null vector of the
    # system restricted to the unpublished cells moves it
    matrix = np.array(relations)[:, hidden]
    matrix = matrix / np.abs(matrix).max(axis=1, keepdims=True).clip(min=1e-300)
    free = null_space(matrix[np.abs(matrix).max(axis=1) > 0])
    movable = np.abs(free).max(axis=1) > 1e-8
    assert movable[primary[hidden]].all()
    if kind == "percent":
        # a column's published percentages leave a remainder spread over >= 2 cells
        n_cols = len(table.columns)
        values = cells["value"].to_numpy().reshape(-1, n_cols)
        flags = cells["flag"].to_numpy().reshape(-1, n_cols)
        for c in range(n_cols):
            if (flags[:, c] == "x").any():
                assert np.isnan(values[:, c]).sum() >= 2


def test_linear_algebra_helpers():
    # a 2 x 2 block of unknowns in a table with row and column totals is not determined
    rel = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 1, 0], [0, 1, 0, 1]], dtype=float)
    assert not derivable(rel, np.ones(4, bool)).any()
    # a bridge between two such blocks is: rows {0,1}, {2,3}; columns {0,2}, {1,3} plus a
    # relation tying cell 0 alone to a known total
    bridge = np.vstack([rel, [1, 0, 0, 0]])
    assert derivable(bridge, np.ones(4, bool)).all()
    # the complement is the smallest cell of the relation, ties by position
    chosen = complementary_suppression(np.array([False, True, False, False]), np.zeros(4, bool),
                                       [np.ones((1, 4))], np.array([50, 2, 30, 30]))
    assert chosen.tolist() == [False, False, True, False]


# ----------------------------------------------------------------------------- exports


def _distinct_table() -> Table:
    """Weighted so the suppressed values have distinctive digits."""
    df = _small_column()
    df["w"] = np.where(df["g"] == "c", np.linspace(0.7, 1.9, len(df)), 1.0 + (np.arange(len(df)) % 7) / 9)
    return crosstab(cf.Design(df, weights="w"), "ans", "g")


def _secrets(table: Table) -> tuple[pd.DataFrame, list[str]]:
    hidden = table.cells["value"].isna().to_numpy()
    secret = table.confidential_cells[hidden]
    texts = [f"{v:.1f}" for v in secret["value"]] + [repr(float(v)) for v in secret["estimate"]]
    texts += [repr(float(v)) for v in secret["se"]]
    published = table.cells["value"].dropna()
    # the check is meaningful: no published number shares a suppressed value's digits
    assert not {f"{v:.1f}" for v in published} & {f"{v:.1f}" for v in secret["value"]}
    return secret, texts


def test_no_export_carries_a_suppressed_value(tmp_path: Path):
    table = _distinct_table()
    secret, texts = _secrets(table)
    assert len(secret) == 4
    outputs = {}
    table.to_csv(tmp_path / "grid.csv")
    outputs["grid"] = (tmp_path / "grid.csv").read_text(encoding="utf-8-sig")
    table.to_csv(tmp_path / "tidy.csv", tidy=True)
    outputs["tidy"] = (tmp_path / "tidy.csv").read_text(encoding="utf-8-sig")
    outputs["html"] = table.to_html(tmp_path / "t.html")
    outputs["markdown"] = table.to_markdown()
    outputs["frame"] = table.to_frame().to_csv()
    outputs["repr"] = repr(table)
    outputs["json"] = table.cells.to_json(orient="records", double_precision=15)
    outputs["tests"] = table.tests.to_csv()
    table.to_xlsx(tmp_path / "t.xlsx")
    write_tables([table, table], tmp_path / "book.xlsx")
    for book in ("t.xlsx", "book.xlsx"):
        wb = openpyxl.load_workbook(tmp_path / book)
        values = [c.value for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
        numbers = [float(v) for v in values if isinstance(v, int | float)]
        for v in secret["value"]:
            assert not np.isclose(numbers, v, atol=0.05).any(), book
        for v in secret["estimate"]:
            assert not np.isclose(numbers, v, rtol=1e-9).any(), book
        outputs[book] = "\n".join(str(v) for v in values)
    for name, body in outputs.items():
        for snippet in texts:
            assert snippet not in body, (name, snippet)
    # the tidy CSV has empty numbers for the suppressed cells
    tidy = pd.read_csv(io.StringIO(outputs["tidy"]))
    hidden = table.cells["value"].isna().to_numpy()
    assert tidy.loc[hidden, NUMBERS].isna().all().all()
    assert tidy.loc[~hidden, NUMBERS].notna().all().all()
    assert set(tidy.loc[hidden, "suppression"]) == {"primary", "complementary"}


def test_confidential_cells_keep_the_values_and_the_public_cells_the_published_ones():
    table = _distinct_table()
    public, secret = table.cells, table.confidential_cells
    shown = public["value"].notna()
    pd.testing.assert_frame_equal(public.loc[shown, ["estimate", "se", "value"]],
                                  secret.loc[shown, ["estimate", "se", "value"]])
    assert secret.loc[~shown, NUMBERS].notna().all().all()
    assert (public.loc[~shown, "letters"] == "").all()
    assert "confidential" in Table.__doc__.lower()


# ----------------------------------------------------------------------------- injection


def _hostile() -> cf.Design:
    codebook = Codebook([
        Variable("ch", label="@SUM(A1)", value_labels={1: "=1+2", 2: "<script>alert(1)</script>",
                                                       3: "+cmd|' /C calc'!A0"}),
        Variable("g", label="-2+3 group", value_labels={1: "a|b", 2: "[x](javascript:1)"}),
    ])
    rng = np.random.default_rng(8)
    df = pd.DataFrame({"ch": rng.choice([1.0, 2.0, 3.0], 300), "g": rng.choice([1.0, 2.0], 300)})
    return cf.Design(Survey(df, codebook))


def test_labels_are_text_not_formulas_in_xlsx(tmp_path: Path):
    table = crosstab(_hostile(), "ch", "g")
    table.to_xlsx(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Table 1"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    by_value = {c.value: c for c in cells}
    for label in ("'=1+2", "'@SUM(A1)", "'+cmd|' /C calc'!A0", "'-2+3 group"):
        assert by_value[label].data_type == "s", label
    assert "=1+2" not in by_value and "@SUM(A1)" not in by_value
    numbers = [c for c in cells if isinstance(c.value, int | float)]
    assert numbers and all(c.data_type == "n" for c in numbers)
    assert ws.cell(row=4, column=2).value == pytest.approx(table.cells["value"].iloc[0])


def test_labels_are_neutralised_in_csv_and_numbers_stay_numbers(tmp_path: Path):
    table = crosstab(_hostile(), "ch", "g")
    table.to_csv(tmp_path / "grid.csv")
    with open(tmp_path / "grid.csv", encoding="utf-8-sig", newline="") as handle:
        grid = list(csv.reader(handle))
    assert grid[0][0] == "'@SUM(A1)"
    assert [row[0] for row in grid[1:4]] == ["'=1+2", "<script>alert(1)</script>", "'+cmd|' /C calc'!A0"]
    assert grid[0][2] == "'-2+3 group: a|b (A)"
    assert float(grid[1][1]) == table.cells["value"].iloc[0]
    table.to_csv(tmp_path / "tidy.csv", tidy=True)
    tidy = pd.read_csv(tmp_path / "tidy.csv", encoding="utf-8-sig")
    assert tidy["row_label"].iloc[0] == "'=1+2"
    assert tidy["estimate"].dtype == float
    assert not tidy["row_label"].str.match(r"[=+\-@]").any()


def test_chart_data_csv_is_neutralised(tmp_path: Path):
    data = pd.DataFrame({"channel": ["=HYPERLINK(\"http://x\")", "Phone"], "used": [0.5, 0.3],
                         "preferred": [0.6, 0.2]})
    paths = channel_chart(data).save(tmp_path / "c", formats=("png",))
    written = pd.read_csv([p for p in paths if p.suffix == ".csv"][0])
    assert "'=HYPERLINK(\"http://x\")" in written["channel"].tolist()
    text = written.select_dtypes(exclude="number")
    assert not text.apply(lambda column: column.str.match(r"[=+\-@]")).any().any()
    numeric = written.select_dtypes(float)
    assert [sorted(numeric[c]) for c in numeric] == [[0.2, 0.3, 0.5, 0.6]]


def test_neutralize_frame_leaves_the_input_alone():
    df = pd.DataFrame({"a": ["=1", "-3.5"], "@b": [1.0, -2.0]})
    out = neutralize_frame(df)
    assert out["a"].tolist() == ["'=1", "-3.5"] and list(out.columns) == ["a", "'@b"]
    assert df["a"].tolist() == ["=1", "-3.5"] and list(df.columns) == ["a", "@b"]
    assert neutralize("\r=1") == "'\r=1" and neutralize(3) == 3


def test_markdown_and_html_escape_labels():
    table = crosstab(_hostile(), "ch", "g")
    md = table.to_markdown()
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "a\\|b" in md  # a label's pipe does not split the cell
    assert "\\[x\\](javascript:1)" in md  # no link
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert {line.count(" | ") for line in rows} == {len(table.columns)}
    page = table.to_html()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ----------------------------------------------------------------------------- zero variance


def test_constant_rating_makes_no_letter():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"r": 4.0, "g": np.repeat(["a", "b"], 60), "w": rng.uniform(0.3, 3.0, 120)})
    table = crosstab(cf.Design(df, weights="w"), "r", "g", "score", scale=(1, 5))
    assert table.to_frame().iloc[0].tolist() == ["75.0", "75.0", "75.0"]
    test = table.tests.iloc[0]
    assert test["difference"] == 0.0 and test["p"] == 1.0 and not test["significant"]
    assert (table.cells["letters"] == "").all()


# ----------------------------------------------------------------------------- report numbers


def test_report_shares_hide_small_levels_and_their_complement() -> None:
    """numbers.json shares: a channel chosen by 3 respondents and its complement carry no value."""
    from citizensfirst.report.published import published_shares

    channel = np.repeat([1.0, 2.0, 3.0, 4.0], [3, 400, 120, 250])
    d = cf.Design(pd.DataFrame({"ch": channel, "w": np.linspace(1, 3, channel.size)}), weights="w")
    estimate = d.proportion("ch")
    secret = estimate.to_frame().set_index("level")["estimate"]
    shown = published_shares(estimate, d).set_index("level")
    assert shown.loc[[1.0, 3.0], ["estimate", "se", "ci_low", "ci_high", "n"]].isna().all().all()
    assert shown.loc[[1.0, 3.0], "flag"].tolist() == ["x", "x"]
    assert shown.loc[[2.0, 4.0], "estimate"].tolist() == secret.loc[[2.0, 4.0]].tolist()
    # the two hidden shares cannot be told apart from the published ones
    assert 1 - shown["estimate"].sum() == pytest.approx(secret.loc[1.0] + secret.loc[3.0])


def test_report_trend_hides_an_unpublishable_wave_and_its_changes() -> None:
    from citizensfirst.report.published import published_trend

    estimates = pd.DataFrame({"wave": [2020, 2023], "estimate": [3.1, 3.4], "se": [0.05, 2.0],
                              "ci_low": [3.0, -0.6], "ci_high": [3.2, 7.4], "n": [500, 400],
                              "flag": ["A", "F"]})
    changes = pd.DataFrame({"from_wave": [2020], "to_wave": [2023], "change": [0.3], "p": [0.9],
                            "significant": [False]})
    shown, shown_changes = published_trend(estimates, changes)
    assert shown.loc[1, ["estimate", "se", "ci_low", "ci_high", "n"]].isna().all()
    assert shown.loc[0, "estimate"] == 3.1 and shown.loc[1, "flag"] == "F"
    assert shown_changes.loc[0, ["change", "p", "significant"]].isna().all()
    assert estimates.loc[1, "estimate"] == 3.4  # the caller's frame is untouched
