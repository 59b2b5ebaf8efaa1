"""Publication tables (issue 12, item 3): numbers formatted for the language, notes once per
section as numbered footnotes, column letters as superscripts distinct from the boxed quality
flags, wide tables split into parts, weighted bases as population counts when the weights are
population-scaled, titles without coding hints."""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from citizensfirst.errors import DataError
from citizensfirst.estimation.engine import describe as design_description
from citizensfirst.i18n import format_number, format_percent, format_scientific
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.tables.build import banner, crosstab
from citizensfirst.tables.notes import population_scaled, strip_code_hint
from citizensfirst.tables.publish import MAX_COLUMNS, table_html, tables_html
from citizensfirst.weighting import targets

NBSP = "\u00a0"
ENGLISH_DESIGN_WORDS = ("unstratified", "PSUs", "calibrated", "strata,", "replicate")


@cache
def _cf2023() -> cf.Design:
    return cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design")


@cache
def _raked() -> cf.Design:
    """The report's design: raked to the 2021 Census margins (so some cells are E and F)."""
    return _cf2023().rake(targets.canada_2021(("province", "age", "gender", "education")), tol=1e-10)


@cache
def _province(language: str) -> cf.tables.Table:
    return banner(_raked(), ["q_overall", "q_expect", "q_value"], ["prov"], "top2", language=language)


def _groups(weight: float, n: int = 400, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": rng.normal(3.0, 1.0, n).round(2), "g": np.repeat(["a", "b"], n // 2),
                         "w": rng.uniform(0.5, 1.5, n) * weight})


# ----------------------------------------------------------------------------- numbers


def test_french_number_formats() -> None:
    assert format_number(3.1834, "fr", decimals=2) == "3,18"
    assert format_percent(0.30556, "fr") == f"30,6{NBSP}%"
    assert format_number(4300, "fr", decimals=0) == f"4{NBSP}300"
    assert format_scientific(4.2e-11, "fr") == f"4,2{NBSP}×{NBSP}10⁻¹¹"
    assert format_scientific(4.2e-11, "en") == f"4.2{NBSP}×{NBSP}10⁻¹¹"
    assert format_scientific(0.5, "fr", digits=2) == "0,50"


def test_french_table_numbers_and_notes_are_french() -> None:
    table = crosstab(_cf2023(), "q_time", "age_grp", "mean", language="fr", decimals=2)
    frame = table.to_frame()
    assert re.fullmatch(r"\d,\d\d( [A-C]+)?", frame.iloc[0, 0])
    assert frame.loc["Base non pondérée"].iloc[0] == f"4{NBSP}300"
    notes = " ".join(table.notes)
    assert not [w for w in ENGLISH_DESIGN_WORDS if w in notes], notes
    assert "sans strates" in notes and "sans grappes" in notes
    assert f"4{NBSP}299 degrés de liberté" in notes


def test_design_description_in_both_languages() -> None:
    clustered = cf.Design(cf.read_survey(sample_path("cf2020")), weights="wt_design", strata="stratum",
                          psu="psu", nest=True)
    n_strata, n_psu = clustered.n_strata, clustered.n_psu
    assert design_description(clustered, "en") == f"{n_strata} strata, {format_number(n_psu, 'en', 0)} primary sampling units"
    assert design_description(clustered, "fr") == (
        f"{n_strata} strates, {format_number(n_psu, 'fr', 0)} unités primaires d'échantillonnage")
    replicate = clustered.as_replicate("jkn")
    assert design_description(replicate, "fr").startswith(f"{format_number(n_psu, 'fr', 0)} poids de rééchantillonnage")


# ----------------------------------------------------------------------------- titles


def test_titles_and_headers_drop_coding_hints() -> None:
    assert strip_code_hint("Province or territory of residence (SGC code)") == "Province or territory of residence"
    assert strip_code_hint("Province ou territoire de résidence (code de la CGT)") == (
        "Province ou territoire de résidence")
    assert strip_code_hint("Age (years)") == "Age (years)"
    for language in ("en", "fr"):
        table = _province(language)
        assert "code" not in table.title.lower()
        assert all("code" not in c.group_label.lower() for c in table.columns)
        assert "SGC" not in table_html(table) and "CGT" not in table_html(table)


# ----------------------------------------------------------------------------- footnotes


def test_section_notes_are_printed_once_as_numbered_footnotes() -> None:
    design = _cf2023()
    section = [_province("en"), crosstab(design, "chan_used", "age_grp"),
               banner(design, ["q_time", "q_access"], ["age_grp", "gender"], "score")]
    html_text = tables_html(section)
    shared = section[0].footnotes[0]
    assert shared == section[1].footnotes[0]
    for note in {n for t in section for n in t.footnotes}:
        assert html_text.count(f">{note.replace(chr(39), '&#x27;')}</li>") == 1, note
    items = re.findall(r'<li id="table-note-(\d+)">', html_text)
    assert items == [str(i) for i in range(1, len(items) + 1)]
    assert len(items) == len({n for t in section for n in t.footnotes})
    # every caption refers to its notes; no table carries its own notes block
    assert html_text.count('<sup class="note-ref">') == html_text.count("<caption>")
    assert 'class="notes"' not in html_text
    # one legend: each flag and the letters once
    legend = html_text.split('<ul class="legend">')[1]
    assert legend.count('<abbr class="flag">E</abbr>') == 1 and legend.count('<sup class="sig">') == 1


def test_table_html_without_notes_and_with() -> None:
    table = crosstab(_cf2023(), "chan_used", "age_grp")
    assert all(note.split(" (")[0] not in table.to_html(notes=False) for note in table.footnotes)
    with_notes = table.to_html()
    assert with_notes.count("<li>") == len(table.notes)
    assert table.footnotes == tuple(n for n in table.notes if not re.match(r"^[xEF]: ", n))


# ----------------------------------------------------------------------------- letters and flags

_CELL = re.compile(r"<td>(.*?)</td>")
_NUMBER_CELL = re.compile(
    r'^[\d.,\u00a0]+(?:<abbr class="flag" title="[^"]+">E</abbr>)?(?:<sup class="sig">([A-Z]+)</sup>)?$')
_FLAG_CELL = re.compile(r'^<abbr class="flag" title="[^"]+">(x|F)</abbr>$')


def test_letters_are_superscripts_and_flags_are_boxed_markers() -> None:
    table = _province("en")
    cells = table.cells
    # the table has what made "76.9 F" ambiguous: a letter F, an E flag and an F flag
    assert cells["letters"].str.contains("F").any()
    assert (cells["flag"] == "E").any() and (cells["flag"] == "F").any()
    html_text = table_html(table, max_columns=len(table.columns))
    body = html_text.split("<tbody>")[1].split('<tr class="base">')[0]
    shown = _CELL.findall(body)
    assert len(shown) == len(cells)
    for content, letters, flag in zip(shown, cells["letters"], cells["flag"], strict=True):
        if flag in ("x", "F"):
            assert _FLAG_CELL.match(content), content
            continue
        match = _NUMBER_CELL.match(content)
        assert match, content
        assert (match.group(1) or "") == letters
        assert ('">E</abbr>' in content) == (flag == "E")


def test_markdown_and_xlsx_letters_are_superscripts(tmp_path) -> None:
    import openpyxl

    table = _province("en")
    md = table.to_markdown()
    assert "<sup>FJ</sup>" in md and " FJ |" not in md
    table.to_xlsx(tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["Table 1"]
    letters = [c for row in ws.iter_rows(min_row=4, max_row=6) for c in row[2::2] if c.value]
    assert letters and all(c.font.vertAlign == "superscript" for c in letters)


# ----------------------------------------------------------------------------- wide tables


def test_wide_tables_print_in_parts_of_at_most_max_columns() -> None:
    table = _province("fr")
    assert len(table.columns) == 14 > MAX_COLUMNS
    parts = table.column_parts()
    assert all(p[0] == 0 and len(p) <= MAX_COLUMNS for p in parts)
    assert sorted({i for p in parts for i in p}) == list(range(14))
    assert sum(len(p) - 1 for p in parts) == 13  # each column once, the Total in every part
    html_text = table_html(table)
    assert html_text.count("<table>") == len(parts) >= 2
    for part_html in html_text.split("<table>")[1:]:
        rows = re.findall(r"<tr[^>]*><th scope=\"row\">(.*?)</th>(.*?)</tr>", part_html)
        assert [label for label, _ in rows][:3] == [label.replace("'", "&#x27;") for label in table.row_labels]
        assert all(len(_CELL.findall(cells)) <= MAX_COLUMNS for _, cells in rows)
    assert "(partie 1 sur 3)" in html_text and "(partie 3 sur 3)" in html_text
    md_headers = [line for line in table.to_markdown().splitlines() if line.startswith("|---")]
    assert len(md_headers) == len(parts) and all(h.count("|") - 1 <= MAX_COLUMNS + 1 for h in md_headers)


def test_column_parts_keep_variables_together() -> None:
    table = banner(_cf2023(), ["q_time"], ["age_grp", "gender"], "score")
    assert table.column_parts() == [list(range(7))]
    assert table.column_parts(4) == [[0, 1, 2, 3], [0, 4, 5, 6]]
    with pytest.raises(DataError, match="max_columns"):
        table.column_parts(1)


# ----------------------------------------------------------------------------- bases


def test_weighted_bases_are_population_counts_when_the_weights_are() -> None:
    frame = _groups(weight=250.0)
    design = cf.Design(frame, weights="w")
    assert population_scaled(design)
    table = crosstab(design, "y", "g", "mean")
    grid = table.to_frame()
    assert grid.index[-1] == "Estimated population"
    expected = [frame.w.sum(), frame.w[frame.g == "a"].sum(), frame.w[frame.g == "b"].sum()]
    assert grid.iloc[-1].tolist() == [format_number(round(v), "en", 0) for v in expected]
    assert any(n.startswith("Estimated population:") and format_number(frame.w.sum(), "en", 0) in n
               for n in table.notes)
    assert crosstab(design, "y", "g", "mean", language="fr").to_frame().index[-1] == "Population estimée"


def test_sample_scaled_weights_are_not_shown_as_a_population() -> None:
    frame = _groups(weight=1.0)
    frame["w"] = frame.w / frame.w.mean()  # normalised: the weights sum to n
    design = cf.Design(frame, weights="w")
    assert not population_scaled(design) and not population_scaled(cf.Design(frame))
    table = crosstab(design, "y", "g", "mean")
    assert table.to_frame().index[-1] == "Weighted base"
    assert any("not scaled to the population (they sum to 400 for 400 respondents)" in n for n in table.notes)


def test_a_total_only_table_has_one_header_row() -> None:
    table = crosstab(cf.Design(_groups(1.0)), "g")
    markup = table.to_html(notes=False)
    head = markup.split("<thead>")[1].split("</thead>")[0]
    assert head.count("<tr>") == 1 and "rowspan" not in markup
    assert markup.count('<th scope="col">') == 2


def test_french_csv_headers_put_a_space_before_the_colon(tmp_path):
    import citizensfirst as cf
    from citizensfirst.samplegen import sample_path

    design = cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design")
    french = design.banner("q_overall", ["age_grp", "gender"], stat="top2", language="fr")
    english = design.banner("q_overall", ["age_grp", "gender"], stat="top2", language="en")
    french.to_csv(tmp_path / "fr.csv")
    english.to_csv(tmp_path / "en.csv")
    header_fr = (tmp_path / "fr.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    header_en = (tmp_path / "en.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "\u00a0: " in header_fr and re.search("[^\u00a0]: ", header_fr) is None
    assert ": " in header_en and "\u00a0:" not in header_en
