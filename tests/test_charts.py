"""Tests of citizensfirst.charts: baseline images, data, alt text, contrast, fixed colours.

Baseline images live in ``tests/baseline_images/<case>_<language>.png`` (800 x 500 px). Each case
is rendered from small fixed inputs or from the bundled sample waves and compared with its
baseline by ``matplotlib.testing.compare.compare_images`` (RMS tolerance :data:`TOLERANCE`);
:func:`test_baseline_comparison_detects_a_changed_chart` checks that a substantially changed
chart does fail the comparison.

To regenerate the baselines after an intended change of the charts, run::

    CITIZENSFIRST_REGEN_BASELINES=1 PYTHONPATH=src:tests pytest tests/test_charts.py

then look at the new images before committing them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import Collection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

import citizensfirst as cf
from citizensfirst.charts import (
    CHART_TYPES,
    Chart,
    channel_chart,
    channel_table,
    collapse_levels,
    distribution_chart,
    importance_chart,
    quadrant_chart,
    score_table,
    series_color,
    theme,
    trend_chart,
)
from citizensfirst.charts.theme import contrast_ratio
from citizensfirst.drivers.analysis import driver_importance
from citizensfirst.samplegen.generator import sample_path

BASELINES = Path(__file__).parent / "baseline_images"
TOLERANCE = 5.0
REGEN = os.environ.get("CITIZENSFIRST_REGEN_BASELINES") == "1"
LANGUAGES = ("en", "fr")
DRIVERS = ["q_time", "q_access", "q_staff_knowledge", "q_outcome"]
TITLES = {
    "overall": {"en": "Overall satisfaction with the service", "fr": "Satisfaction globale"},
    "drivers": {"en": "Drivers of overall satisfaction", "fr": "Facteurs de la satisfaction"},
}

# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

TREND = pd.DataFrame({
    "wave": [2018, 2020, 2023],
    "estimate": [68.2, 69.0, 72.5],
    "ci_low": [66.9, 67.8, 71.3],
    "ci_high": [69.5, 70.2, 73.7],
    "significant_change": [False, False, True],
})

TREND_SERIES = pd.DataFrame({
    "series": ["Ontario"] * 3 + ["Quebec"] * 3,
    "wave": [2018, 2020, 2023] * 2,
    "estimate": [70.1, 70.4, 71.0, 64.0, 68.5, 69.1],
    "ci_low": [68.6, 69.0, 69.7, 62.2, 66.9, 67.6],
    "ci_high": [71.6, 71.8, 72.3, 65.8, 70.1, 70.6],
    "significant_change": [False, False, False, False, True, False],
})

DISTRIBUTION = pd.DataFrame({
    "item": ["Timeliness", "Ease of access", "Courtesy", "Outcome"],
    "dissatisfied": [0.28, 0.15, 0.05, 0.18],
    "neutral": [0.29, 0.22, 0.12, 0.20],
    "satisfied": [0.43, 0.63, 0.83, 0.62],
})

CHANNELS = pd.DataFrame({
    "channel": ["In person", "Telephone", "Online (website or app)", "Mail"],
    "used": [0.26, 0.23, 0.49, 0.02],
    "preferred": [0.21, 0.15, 0.63, 0.01],
})


@cache
def sample_design(wave: str) -> cf.Design:
    return cf.Design(cf.read_survey(sample_path(wave)), weights="wt_design")


@cache
def sample_drivers(wave: str = "cf2023"):
    return sample_design(wave).drivers("q_overall", DRIVERS)


@cache
def sample_trend() -> pd.DataFrame:
    """q_overall as a 0-100 score in the three Citizens First sample waves (cf2018 asks it
    on 0-10, the others on 1-5: score_table rescales each with its own codebook scale)."""
    ests, scales = {}, {}
    for wave in ("cf2018", "cf2020", "cf2023"):
        d = sample_design(wave)
        ests[int(wave[2:])] = d.mean("q_overall")
        scales[int(wave[2:])] = d.codebook["q_overall"].scale
    table = score_table(ests, scale=scales)
    table["significant_change"] = [False, True, False]  # as a wave-to-wave test would give
    return table


def fixed_drivers():
    rng = np.random.default_rng(7)
    x = rng.integers(1, 6, size=(300, 3)).astype(float)
    df = pd.DataFrame(x, columns=["time", "staff", "outcome"])
    df["overall"] = x @ [0.6, 0.2, 0.4] + rng.normal(size=300)
    return driver_importance(df, "overall", ["time", "staff", "outcome"], np.ones(300),
                             scales=(1, 5))


def codebook():
    return sample_design("cf2023").codebook


CASES: dict[str, Callable[[str], Chart]] = {
    "trend": lambda lang: trend_chart(TREND, lang, TITLES["overall"][lang]),
    "trend_series": lambda lang: trend_chart(TREND_SERIES, lang, TITLES["overall"][lang]),
    "trend_sample": lambda lang: trend_chart(sample_trend(), lang, TITLES["overall"][lang]),
    "distribution": lambda lang: distribution_chart(DISTRIBUTION, lang, "Service ratings"),
    "importance_sample": lambda lang: importance_chart(sample_drivers(), lang,
                                                       TITLES["drivers"][lang],
                                                       labels=codebook()),
    "importance_waves": lambda lang: importance_chart(
        {2020: sample_drivers("cf2020"), 2023: sample_drivers("cf2023")}, lang,
        TITLES["drivers"][lang], labels=codebook()),
    "quadrant_sample": lambda lang: quadrant_chart(sample_drivers(), "mean", lang,
                                                   TITLES["drivers"][lang], labels=codebook()),
    "channels": lambda lang: channel_chart(CHANNELS, lang, "Service channels"),
}


@cache
def chart(case: str, language: str) -> Chart:
    return CASES[case](language)


# --------------------------------------------------------------------------------------------
# baseline images
# --------------------------------------------------------------------------------------------


def render_png(c: Chart, folder: Path, name: str) -> Path:
    (path,) = [p for p in c.save(folder / name, formats=("png",)) if p.suffix == ".png"]
    return path


def write_baseline(actual: Path, expected: Path) -> None:
    """Store ``actual`` as the baseline, reduced to 128 colours (about 12 kB instead of 40 kB;
    the reduction moves the image by under 1 RMS, well inside :data:`TOLERANCE`)."""
    from PIL import Image

    BASELINES.mkdir(exist_ok=True)
    with Image.open(actual) as image:
        reduced = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
    reduced.save(expected, optimize=True)
    assert compare_images(str(expected), str(actual), tol=1.0) is None


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(CASES))
def test_matches_baseline_image(case: str, language: str, tmp_path: Path) -> None:
    actual = render_png(chart(case, language), tmp_path, f"{case}_{language}")
    expected = BASELINES / f"{case}_{language}.png"
    if REGEN:
        write_baseline(actual, expected)
    assert expected.exists(), (f"no baseline {expected.name}; run with "
                               "CITIZENSFIRST_REGEN_BASELINES=1 to create it")
    result = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert result is None, result


def test_baseline_comparison_detects_a_changed_chart(tmp_path: Path) -> None:
    changed = TREND.assign(estimate=TREND["estimate"] - 15, ci_low=TREND["ci_low"] - 15,
                           ci_high=TREND["ci_high"] - 15)
    actual = render_png(trend_chart(changed, "en", TITLES["overall"]["en"]), tmp_path, "moved")
    result = compare_images(str(BASELINES / "trend_en.png"), str(actual), tol=TOLERANCE)
    assert result is not None and "did not match" in result
    rms = float(re.search(r"RMS Value: ([0-9.]+)", result).group(1))
    assert rms > 3 * TOLERANCE
    # the French chart is not the English one either
    french = render_png(chart("trend", "fr"), tmp_path, "french")
    assert compare_images(str(BASELINES / "trend_en.png"), str(french), tol=TOLERANCE)


@pytest.mark.slow
def test_rendering_is_deterministic(tmp_path: Path) -> None:
    c = chart("trend_series", "fr")
    first = c.save(tmp_path / "a", formats=("png", "svg", "pdf"))
    second = c.save(tmp_path / "b", formats=("png", "svg", "pdf"))
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    svg = (tmp_path / "a.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert "Satisfaction globale" in svg  # text kept as text (svg.fonttype = none)
    png = (tmp_path / "a.png").read_bytes()
    assert b"Software" not in png and b"Description" in png
    assert 800 * 500 > 0 and png[16:24] == (800).to_bytes(4, "big") + (500).to_bytes(4, "big")


def test_save_writes_alt_text_and_data_atomically(tmp_path: Path) -> None:
    c = chart("distribution", "fr")
    paths = c.save(tmp_path / "out" / "dist")
    assert [p.name for p in paths] == ["dist.png", "dist.svg", "dist.txt", "dist.csv"]
    assert (tmp_path / "out" / "dist.txt").read_text(encoding="utf-8") == c.alt_text + "\n"
    back = pd.read_csv(tmp_path / "out" / "dist.csv")
    assert back["label"].tolist() == c.data["label"].tolist()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    with pytest.raises(ValueError, match="formats"):
        c.save(tmp_path / "x", formats=("gif",))


# --------------------------------------------------------------------------------------------
# accessibility: contrast of every colour drawn
# --------------------------------------------------------------------------------------------


def _visible(rgba) -> bool:
    return rgba[3] > 0 and tuple(np.round(rgba[:3], 6)) != (1.0, 1.0, 1.0)


def mark_colours(c: Chart) -> list[tuple[str, tuple]]:
    """Every non-white, non-transparent colour of lines, markers, patches and collections
    (skipping backgrounds, frameless legend frames, gridlines and artists marked decorative)."""
    fig = c.figure
    skip = {id(fig.patch)}
    for ax in fig.axes:
        skip.add(id(ax.patch))
        skip.update(id(g) for g in [*ax.xaxis.get_gridlines(), *ax.yaxis.get_gridlines()])
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None and not legend.get_frame_on():
            skip.add(id(legend.legendPatch))
    for t in fig.findobj(Text):
        if t.get_bbox_patch() is not None:
            skip.add(id(t.get_bbox_patch()))  # checked with the text
    out = []
    for artist in fig.findobj(lambda a: isinstance(a, (Line2D, Patch, Collection))):
        if id(artist) in skip or not artist.get_visible() or artist.get_gid() == theme.DECORATIVE_GID:
            continue
        name = type(artist).__name__
        colours = []
        if isinstance(artist, Line2D):
            if artist.get_linestyle() not in ("None", "none", "") and artist.get_linewidth() > 0:
                colours.append(artist.get_color())
            if artist.get_marker() not in ("None", "none", "", None):
                colours += [artist.get_markerfacecolor(), artist.get_markeredgecolor()]
        elif isinstance(artist, Patch):
            colours.append(artist.get_facecolor())
            if artist.get_linewidth() > 0:
                colours.append(artist.get_edgecolor())
        else:
            colours += list(artist.get_facecolor()) + list(artist.get_edgecolor())
        from matplotlib.colors import to_rgba

        for colour in colours:
            if isinstance(colour, str) and colour.lower() == "none":
                continue
            rgba = to_rgba(colour, artist.get_alpha())
            if _visible(rgba):
                out.append((name, rgba))
    return out


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(CASES))
def test_marks_have_3_to_1_contrast(case: str, language: str) -> None:
    colours = mark_colours(chart(case, language))
    assert colours
    for name, rgba in colours:
        assert rgba[3] == 1.0, (name, rgba)  # no translucent information-carrying mark
        assert contrast_ratio(rgba, theme.WHITE) >= 3.0, (name, rgba)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(CASES))
def test_text_has_4_5_to_1_contrast(case: str, language: str) -> None:
    texts = [t for t in chart(case, language).figure.findobj(Text)
             if t.get_visible() and t.get_text().strip()]
    assert len(texts) >= 5
    for t in texts:
        box = t.get_bbox_patch()
        background = box.get_facecolor() if box is not None else theme.WHITE
        assert contrast_ratio(t.get_color(), background) >= 4.5, (t.get_text(), t.get_color())
        assert t.get_fontsize() >= 9


def test_palette_contrast_ratios() -> None:
    ratios = {c: round(contrast_ratio(c, theme.WHITE), 2) for c in theme.SERIES_COLORS}
    assert ratios == {"#0072B2": 5.19, "#A35D00": 5.09, "#007A5A": 5.34, "#9E4A87": 5.55,
                      "#7A6A00": 5.4, "#C04A00": 4.98, "#595959": 7.0}
    for colour in theme.CATEGORY_COLORS.values():
        assert contrast_ratio(colour, theme.WHITE) >= 4.5
    assert contrast_ratio(theme.TEXT) >= 15 and contrast_ratio(theme.MUTED_TEXT) >= 7
    # WCAG formula checks: black/white, the classic 4.5:1 grey, symmetric
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777") < 4.5
    assert contrast_ratio("#0072B2", "#FFFFFF") == contrast_ratio("#FFFFFF", "#0072B2")


# --------------------------------------------------------------------------------------------
# fixed series colours
# --------------------------------------------------------------------------------------------


def bar_colour(c: Chart, label: str) -> tuple:
    (container,) = [b for b in c.figure.axes[0].containers if b.get_label() == label]
    return tuple(container.patches[0].get_facecolor())


def line_colour(c: Chart, label: str) -> tuple:
    from matplotlib.colors import to_rgba

    (line,) = [ln for ln in c.figure.axes[0].get_lines() if ln.get_label() == label]
    return to_rgba(line.get_color())


@pytest.mark.slow
def test_same_wave_same_colour_in_different_charts() -> None:
    from matplotlib.colors import to_rgba

    res = fixed_drivers()
    a = importance_chart({2018: res, 2023: res})
    b = importance_chart({"cf2020": res, "cf2023": res}, language="fr")
    trend = trend_chart(TREND_SERIES.assign(series=TREND_SERIES["series"].map(
        {"Ontario": "2020", "Quebec": "2023"})))
    blue = to_rgba(theme.BLUE)
    assert bar_colour(a, "2023") == bar_colour(b, "cf2023") == line_colour(trend, "2023") == blue
    assert bar_colour(b, "cf2020") == line_colour(trend, "2020") == to_rgba(series_color(2020))
    assert bar_colour(a, "2018") == to_rgba(theme.ORANGE)
    # any other key: the same colour wherever it is drawn
    regions = trend_chart(TREND_SERIES)
    by_region = importance_chart({"Quebec": res, "Ontario": res})
    for region in ("Ontario", "Quebec"):
        assert line_colour(regions, region) == bar_colour(by_region, region)
        assert line_colour(regions, region) == to_rgba(series_color(region))


def test_series_styles_are_distinct_and_redundant() -> None:
    keys = ["2023", "2018", "2020", "Ontario", "Quebec", "Alberta", "Manitoba"]
    styles = theme.series_styles(keys)
    for attr in ("color", "marker", "hatch"):
        assert len({getattr(s, attr) for s in styles.values()}) == len(keys)
    assert len({str(s.linestyle) for s in styles.values()}) == len(keys)
    with pytest.raises(ValueError):
        theme.series_styles([f"k{i}" for i in range(len(theme.SERIES_COLORS) + 1)])


# --------------------------------------------------------------------------------------------
# data tables and alt text
# --------------------------------------------------------------------------------------------


def test_trend_data_and_alt_text() -> None:
    en, fr = chart("trend", "en"), chart("trend", "fr")
    assert list(en.data.columns) == ["series", "wave", "estimate", "ci_low", "ci_high",
                                     "significant_change", "change", "series_label", "label"]
    assert en.data["label"].tolist() == ["68.2", "69.0", "72.5"]
    assert fr.data["label"].tolist() == ["68,2", "69,0", "72,5"]
    assert en.data["change"].round(1).tolist()[1:] == [0.8, 3.5]
    assert en.alt_text.startswith("Line chart: Overall satisfaction with the service, mean score "
                                  "(0-100) in 2018, 2020 and 2023. ")
    assert "68.2 in 2018, 69.0 in 2020 and 72.5 in 2023" in en.alt_text
    assert "significant change from the previous wave: 2023 (+3.5)" in en.alt_text
    assert "68,2 en 2018, 69,0 en 2020 et 72,5 en 2023" in fr.alt_text
    assert "2023 (+3,5)" in fr.alt_text and "Graphique linéaire" in fr.alt_text
    assert "95\u00a0%" in fr.alt_text
    series = chart("trend_series", "en")
    assert "Quebec: 64.0 in 2018, 68.5 in 2020 and 69.1 in 2023" in series.alt_text
    assert "Quebec 2020 (+4.5)" in series.alt_text
    no_test = trend_chart(TREND.drop(columns="significant_change"))
    assert "significant" not in no_test.alt_text


def test_trend_significance_not_by_colour_alone() -> None:
    c = chart("trend", "en")
    stars = [ln for ln in c.figure.axes[0].get_lines() if ln.get_marker() == "*"]
    assert len(stars) == 1 and stars[0].get_xdata().tolist() == [2023.0]
    texts = [t.get_text() for t in c.figure.findobj(Text)]
    assert "+3.5*" in texts and "Significant change from previous wave" in texts
    ax = c.figure.axes[0]
    assert ax.get_ylim() == (0.0, 100.0)


def test_trend_sample_scores() -> None:
    data = chart("trend_sample", "en").data
    assert data["wave"].tolist() == [2018, 2020, 2023]
    assert data["estimate"].between(0, 100).all()
    assert (data["ci_low"] < data["estimate"]).all() and (data["estimate"] < data["ci_high"]).all()
    # 2023: the 1-5 mean rescaled
    mean = sample_design("cf2023").mean("q_overall").estimate
    assert data["estimate"].iloc[-1] == pytest.approx((mean - 1) / 4 * 100)


def test_distribution_data_and_alt_text() -> None:
    en, fr = chart("distribution", "en"), chart("distribution", "fr")
    assert en.data.shape == (12, 5)
    assert en.data.loc[en.data["item"] == "Courtesy", "label"].tolist() == ["5%", "12%", "83%"]
    assert fr.data["category_label"].tolist()[:3] == ["Insatisfait", "Neutre", "Satisfait"]
    assert fr.data["label"].tolist()[2] == "43\u00a0%"
    assert "Courtesy: 83% satisfied, 12% neutral and 5% dissatisfied" in en.alt_text
    assert "The highest share satisfied is for Courtesy (83%)" in en.alt_text
    assert "Courtesy\u00a0: 83\u00a0% satisfaits" in fr.alt_text
    with pytest.raises(ValueError, match="sum to 1"):
        distribution_chart(DISTRIBUTION.assign(satisfied=0.9))
    with pytest.raises(ValueError, match="missing"):
        distribution_chart(DISTRIBUTION.drop(columns="neutral"))


def test_collapse_levels_from_sample() -> None:
    d = sample_design("cf2023")
    wide = collapse_levels(d.proportion("q_time"))
    assert wide.loc[0, ["dissatisfied", "neutral", "satisfied"]].sum() == pytest.approx(1.0)
    c = distribution_chart(wide, "fr")
    assert c.data["share"].sum() == pytest.approx(1.0)


def test_importance_data_and_alt_text() -> None:
    res = sample_drivers()
    en, fr = chart("importance_sample", "en"), chart("importance_sample", "fr")
    order = res.table.sort_values("share", ascending=False).index.tolist()
    assert en.data["driver"].tolist() == order
    assert en.data["value"].tolist() == res.table.loc[order, "share"].tolist()
    assert (en.data["ci_low"] < en.data["value"]).all()
    assert en.data["label"].tolist()[0] == "Outcome" and fr.data["label"].tolist()[0] == "Résultat"
    top = res.table.loc[order[0], "share"]
    assert f"Outcome is the most important driver ({top:.1f}% of the explained" in en.alt_text
    assert f"{top:.1f}".replace(".", ",") + "\u00a0% de la variance expliquée" in fr.alt_text
    assert "95% CI" in en.alt_text and "IC à 95" in fr.alt_text
    # one bar per driver, longest on top
    bars = en.figure.axes[0].containers[0].patches
    widths = [b.get_width() for b in sorted(bars, key=lambda b: -b.get_y())]
    assert widths == sorted(widths, reverse=True)


def test_importance_without_replicates_has_no_whiskers() -> None:
    c = importance_chart(fixed_drivers(), measure="importance")
    assert c.data["ci_low"].isna().all()
    assert "CI" not in c.alt_text and "importance" in c.alt_text


def test_quadrant_data_and_labels() -> None:
    from citizensfirst.drivers.analysis import importance_performance

    res = sample_drivers()
    en, fr = chart("quadrant_sample", "en"), chart("quadrant_sample", "fr")
    ip = importance_performance(res, "mean")
    assert en.data["quadrant"].tolist() == ip["quadrant"].tolist()
    texts_en = {t.get_text() for t in en.figure.findobj(Text)}
    texts_fr = {t.get_text() for t in fr.figure.findobj(Text)}
    assert {"Improve first", "Maintain", "Lower priority", "Possible over-investment"} <= texts_en
    assert {"Améliorer en priorité", "Maintenir", "Priorité moindre",
            "Surinvestissement possible"} <= texts_fr
    assert {"Timeliness", "Outcome"} <= texts_en and {"Rapidité", "Résultat"} <= texts_fr
    assert "Improve first: Timeliness (importance" in en.alt_text
    assert "Améliorer en priorité\u00a0: Rapidité (importance" in fr.alt_text
    # quadrants differ by marker shape as well as colour
    markers = {ln.get_marker() for ln in en.figure.axes[0].get_lines() if ln.get_marker() != "None"}
    assert len(markers) == ip["quadrant"].nunique()


def test_channel_data_and_alt_text() -> None:
    en, fr = chart("channels", "en"), chart("channels", "fr")
    assert en.data["measure"].tolist()[:2] == ["used", "preferred"]
    assert en.data["label"].tolist()[4:6] == ["49%", "63%"]
    assert fr.data["label"].tolist()[4:6] == ["49\u00a0%", "63\u00a0%"]
    assert "Online (website or app): 49% used it, 63% prefer it" in en.alt_text
    assert "preference exceeds use by 14 percentage points" in en.alt_text
    assert "Mode préféré" in set(fr.data["measure_label"])
    patches = en.figure.axes[0].patches
    assert {p.get_hatch() or "" for p in patches} == {"", "//"}  # preferred: hatched
    d = sample_design("cf2023")
    labels = d.codebook["chan_used"].value_labels_in("fr")
    table = channel_table(d.proportion("chan_used"), d.proportion("chan_pref"), labels)
    assert table["channel"].tolist()[2] == "En ligne (site Web ou application)"
    assert table[["used", "preferred"]].sum().round(6).tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------------------------
# French number formats
# --------------------------------------------------------------------------------------------


def tick_labels(c: Chart) -> list[str]:
    ax = c.figure.axes[0]
    return [t.get_text() for t in [*ax.get_xticklabels(), *ax.get_yticklabels()] if t.get_text()]


def test_french_uses_decimal_comma() -> None:
    ratings = pd.DataFrame({"wave": [2020, 2023], "estimate": [3.52, 3.71],
                            "ci_low": [3.45, 3.64], "ci_high": [3.59, 3.78]})
    fr = trend_chart(ratings, "fr", score_axis=False)
    en = trend_chart(ratings, "en", score_axis=False)
    fr_ticks = [t for t in tick_labels(fr) if t not in ("2020", "2023")]
    en_ticks = [t for t in tick_labels(en) if t not in ("2020", "2023")]
    assert fr_ticks and all(re.fullmatch(r"\d+,\d", t) for t in fr_ticks), fr_ticks
    assert en_ticks and all(re.fullmatch(r"\d+\.\d", t) for t in en_ticks), en_ticks
    fr_texts = {t.get_text() for t in fr.figure.findobj(Text)}
    assert {"3,5", "3,7"} <= fr_texts and not {"3.5", "3.7"} & fr_texts
    # percentages: "20 %" with a no-break space in French, "20%" in English
    assert "20\u00a0%" in tick_labels(chart("distribution", "fr"))
    assert "20%" in tick_labels(chart("distribution", "en"))
    importance = chart("importance_sample", "fr")
    drawn = {t.get_text() for t in importance.figure.findobj(Text)}
    assert set(importance.data["value_label"]) <= drawn
    assert all(re.fullmatch(r"\d+,\d\u00a0%", v) for v in importance.data["value_label"])
    for case in CASES:
        for text in {t.get_text() for t in chart(case, "fr").figure.findobj(Text)}:
            assert not re.search(r"\d\.\d", text), (case, text)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="language"):
        trend_chart(TREND, "de")
    with pytest.raises(ValueError, match="ci_low"):
        trend_chart(TREND.drop(columns="ci_low"))
    with pytest.raises(ValueError, match="shares"):
        channel_chart(CHANNELS.assign(used=[26.0, 23.0, 48.5, 2.5]))


@pytest.mark.slow
def test_trend_chart_from_a_study_trend() -> None:
    from citizensfirst.waves.spec import sample_harmonization_path
    from citizensfirst.waves.study import Study

    study = Study({int(w[2:]): sample_design(w) for w in ("cf2018", "cf2020", "cf2023")},
                  sample_harmonization_path())
    trend = study.trend("q_time", by="gender")
    labels = {1: "Homme", 2: "Femme", 3: "Autre genre"}
    c = trend_chart(trend, "fr", "Rapidité", score_axis=False, series_labels=labels, decimals=2)
    assert c.data["series"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    tested = trend.changes.set_index(["to_wave", "gender"])["significant"]
    for _, row in c.data[c.data["wave"] > 2018].iterrows():
        assert row["significant_change"] == bool(tested[(row["wave"], float(row["series"]))])
    assert "Homme\u00a0: " in c.alt_text and "Femme 2023 (-0,22)" in c.alt_text
    assert not re.search(r"\d\.\d", c.alt_text)


# --------------------------------------------------------------------------------------------
# labels never overlap: measured on the drawn figure
# --------------------------------------------------------------------------------------------

LONG_TITLE = ("Satisfaction globale à l'égard du service\u00a0: % satisfaits (deux cotes "
              "supérieures), ensemble des provinces et territoires")
LONG_FR = ["Le personnel a fait un effort supplémentaire pour que j'obtienne ce dont j'avais "
           f"besoin (énoncé {i})" for i in range(10)]


@cache
def crowded_drivers(k: int = 10):
    """``k`` drivers of equal weight with 3-5 ratings: near-equal shares and performances."""
    rng = np.random.default_rng(3)
    x = rng.integers(3, 6, size=(500, k)).astype(float)
    names = [f"d{i}" for i in range(k)]
    df = pd.DataFrame(x, columns=names)
    df["overall"] = x.sum(axis=1) * 0.3 + rng.normal(size=500)
    return driver_importance(df, "overall", names, np.ones(500), scales=(1, 5))


def crowded_labels(k: int = 10) -> dict[str, str]:
    return {f"d{i}": LONG_FR[i] for i in range(k)}


CROWDED_TREND = pd.DataFrame({
    "series": np.repeat(["Colombie-Britannique", "Terre-Neuve-et-Labrador", "Nouveau-Brunswick",
                         "Île-du-Prince-Édouard", "Nouvelle-Écosse"], 3),
    "wave": [2018, 2020, 2023] * 5,
    "estimate": [70.0, 70.5, 71.0, 70.2, 70.4, 70.9, 69.9, 70.6, 71.2, 70.1, 70.3, 70.8,
                 70.0, 70.7, 71.1],
    "ci_low": np.repeat(68.0, 15), "ci_high": np.repeat(73.0, 15),
    "significant_change": [False, True, True] * 5,
})

ADVERSARIAL: dict[str, Callable[[str], Chart]] = {
    "quadrant_crowded": lambda lang: quadrant_chart(crowded_drivers(), "mean", lang,
                                                    labels=crowded_labels()),
    "quadrant_six": lambda lang: quadrant_chart(crowded_drivers(6), "median", lang, LONG_TITLE,
                                                labels=crowded_labels(6)),
    "importance_crowded": lambda lang: importance_chart(crowded_drivers(), lang,
                                                        labels=crowded_labels()),
    "importance_waves_crowded": lambda lang: importance_chart(
        {2018: crowded_drivers(), 2020: crowded_drivers(), 2023: crowded_drivers()}, lang,
        labels=crowded_labels()),
    "trend_crowded": lambda lang: trend_chart(CROWDED_TREND, lang, LONG_TITLE),
    "trend_low_top2": lambda lang: trend_chart(
        TREND.assign(estimate=[3.0, 2.0, 96.5], ci_low=[1.0, 0.5, 95.0],
                     ci_high=[5.0, 3.5, 98.0], significant_change=[False, True, True],
                     wave=[2021, 2022, 2023]), lang, statistic="top2"),
    "distribution_crowded": lambda lang: distribution_chart(pd.DataFrame({
        "item": LONG_FR,
        "dissatisfied": [0.07, 0.05, 0.1, 0.0, 0.33] * 2,
        "neutral": [0.07, 0.9, 0.1, 0.0, 0.33] * 2,
        "satisfied": [0.86, 0.05, 0.8, 1.0, 0.34] * 2}), lang, LONG_TITLE),
    "channels_crowded": lambda lang: channel_chart(pd.DataFrame({
        "channel": ["En personne dans un bureau", "Téléphone (centre d'appels)",
                    "En ligne (site Web ou application)", "Courrier postal", "Courriel",
                    "Clavardage en direct", "Médias sociaux", "Agent ou intermédiaire"],
        "used": [0.125, 0.13, 0.12, 0.125, 0.125, 0.125, 0.125, 0.125],
        "preferred": [0.13, 0.125, 0.12, 0.125, 0.125, 0.125, 0.125, 0.125]}), lang),
}


def drawn_texts(c: Chart) -> list[Text]:
    """Every visible, non-empty text of the figure after a full draw (tick labels only of the
    ticks within the axis limits: matplotlib keeps, but does not draw, the others)."""
    c.figure.canvas.draw()
    ticks, shown = set(), []
    for ax in c.figure.axes:
        for axis, (low, high) in ((ax.xaxis, sorted(ax.get_xlim())),
                                  (ax.yaxis, sorted(ax.get_ylim()))):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                ticks.update({id(tick.label1), id(tick.label2)})
                if low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    shown += [tick.label1, tick.label2]
    texts = [t for t in c.figure.findobj(Text) if id(t) not in ticks] + shown
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def extent(artist) -> np.ndarray:
    return np.array(artist.get_window_extent(artist.figure.canvas.get_renderer()).extents)


def overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])


def check_no_overlap(c: Chart) -> None:
    texts = drawn_texts(c)
    boxes = [extent(t) for t in texts]
    fig_box = c.figure.bbox.extents
    for i, (t, box) in enumerate(zip(texts, boxes, strict=True)):
        assert (box[:2] >= fig_box[:2] - 0.5).all() and (box[2:] <= fig_box[2:] + 0.5).all(), \
            ("leaves the figure", t.get_text())
        for u, other in zip(texts[i + 1:], boxes[i + 1:], strict=True):
            assert not overlap(box, other), (t.get_text(), u.get_text())
    ax = c.figure.axes[0]
    frame = extent(ax)
    for t in ax.texts:  # labels drawn in the plot stay inside the axes
        if t.get_visible() and t.get_text().strip():
            box = extent(t)
            assert (box[:2] >= frame[:2] - 0.5).all() and (box[2:] <= frame[2:] + 0.5).all(), \
                ("leaves the axes", t.get_text())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(CASES))
def test_no_text_overlaps_on_the_sample_charts(case: str, language: str) -> None:
    check_no_overlap(chart(case, language))


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(ADVERSARIAL))
def test_no_text_overlaps_on_crowded_charts(case: str, language: str) -> None:
    c = ADVERSARIAL[case](language)
    check_no_overlap(c)
    if case.startswith("quadrant"):  # every driver is labelled, in full
        labels = {t.get_text().replace("\n", " ") for t in c.figure.axes[0].texts}
        assert set(c.data["label"]) <= labels


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", ["quadrant_sample", "quadrant_crowded", "quadrant_six"])
def test_quadrant_labels_clear_of_threshold_lines_and_markers(case: str, language: str) -> None:
    c = chart(case, language) if case in CASES else ADVERSARIAL[case](language)
    ax = c.figure.axes[0]
    c.figure.canvas.draw()
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 2
    labels = [t for t in ax.texts if t.get_transform() is ax.transData]  # not the corners
    assert len(labels) == len(c.data)
    points = ax.transData.transform(c.data[["share", "performance"]].to_numpy(float))
    for t in labels:
        box = extent(t)
        for line in dashed:
            assert not overlap(box, extent(line) + [-1, -1, 1, 1]), t.get_text()
        inside = ((points[:, 0] > box[0]) & (points[:, 0] < box[2])
                  & (points[:, 1] > box[1]) & (points[:, 1] < box[3]))
        assert not inside.any(), ("covers a marker", t.get_text())


def test_overlap_check_detects_overlapping_labels() -> None:
    c = chart("quadrant_sample", "fr")
    ax = c.figure.axes[0]
    first = next(t for t in ax.texts if t.get_text() in set(c.data["label"]))
    clash = ax.text(*first.get_position(), "Surinvestissement", fontsize=10)
    try:
        with pytest.raises(AssertionError):
            check_no_overlap(c)
    finally:
        clash.remove()
    check_no_overlap(c)


# --------------------------------------------------------------------------------------------
# axis titles name the statistic
# --------------------------------------------------------------------------------------------

AXIS_TITLES = {
    ("mean", "en"): "Mean score (0-100)", ("mean", "fr"): "Score moyen (0-100)",
    ("top2", "en"): "% in the top two boxes", ("top2", "fr"): "% dans les deux cotes supérieures",
    ("bottom1", "en"): "% in the bottom box", ("bottom1", "fr"): "% dans la cote inférieure",
    ("sqs", "en"): "Service Quality Score (0-100)",
    ("share", "fr"): "Proportion des répondants (%)",
    ("importance", "en"): "Importance (% of explained variance)",
}


@pytest.mark.parametrize(("statistic", "language"), list(AXIS_TITLES))
def test_trend_axis_title_names_the_statistic(statistic: str, language: str) -> None:
    c = trend_chart(TREND, language, statistic=statistic)
    ax = c.figure.axes[0]
    assert ax.get_ylabel() == AXIS_TITLES[statistic, language]
    assert AXIS_TITLES[statistic, language][1:].lower() in c.alt_text.lower()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    percent = statistic in ("top2", "bottom1", "share", "importance")
    assert all(t.endswith("%") for t in ticks) == percent, ticks
    assert c.data["label"].iloc[-1] == {"en": {True: "72.5%", False: "72.5"},
                                        "fr": {True: "72,5\u00a0%", False: "72,5"}}[language][percent]


def test_trend_axis_title_from_a_top2_trend_and_the_defaults() -> None:
    from citizensfirst.waves.study import Study

    study = Study({2020: sample_design("cf2020"), 2023: sample_design("cf2023")})
    top2 = trend_chart(study.trend("q_time", stat="top2"), "fr", score_axis=False)
    assert top2.figure.axes[0].get_ylabel() == "% dans les deux cotes supérieures"
    assert "Score" not in top2.figure.axes[0].get_ylabel()
    assert chart("trend", "en").figure.axes[0].get_ylabel() == "Mean score (0-100)"
    rating = trend_chart(TREND, "fr", score_axis=False)
    assert rating.figure.axes[0].get_ylabel() == "Cote moyenne"
    assert trend_chart(TREND, ylabel="Index").figure.axes[0].get_ylabel() == "Index"
    with pytest.raises(ValueError, match="unknown statistic 'median'"):
        trend_chart(TREND, statistic="median")


def test_other_axis_titles_name_the_statistic() -> None:
    assert chart("quadrant_sample", "en").figure.axes[0].get_xlabel() == \
        "Importance (% of explained variance)"
    assert chart("quadrant_sample", "fr").figure.axes[0].get_ylabel() == \
        "Rendement (score moyen 0-100)"
    assert chart("importance_sample", "fr").figure.axes[0].get_xlabel() == \
        "Importance (% de la variance expliquée)"
    raw = importance_chart(fixed_drivers(), measure="importance")
    assert raw.figure.axes[0].get_xlabel() == "Importance (raw measure)"
    assert chart("distribution", "en").figure.axes[0].get_xlabel() == "Share of respondents (%)"
    assert chart("channels", "fr").figure.axes[0].get_ylabel() == "Proportion des répondants (%)"


# --------------------------------------------------------------------------------------------
# alt text names the subject, with or without a title
# --------------------------------------------------------------------------------------------

UNTITLED: dict[str, Callable[..., Chart]] = {
    "trend": lambda lang, title="": trend_chart(TREND_SERIES, lang, title, statistic="top2"),
    "distribution": lambda lang, title="": distribution_chart(DISTRIBUTION, lang, title),
    "importance": lambda lang, title="": importance_chart(
        {2020: sample_drivers("cf2020"), 2023: sample_drivers("cf2023")}, lang, title,
        labels=codebook()),
    "quadrant": lambda lang, title="": quadrant_chart(sample_drivers(), language=lang,
                                                      title=title, labels=codebook()),
    "channels": lambda lang, title="": channel_chart(CHANNELS, lang, title),
}

SUBJECTS = {
    "trend": {"en": ["Line chart: % in the top two boxes in 2018, 2020 and 2023.", "Ontario",
                     "Quebec"],
              "fr": ["Graphique linéaire\u00a0: % dans les deux cotes supérieures en 2018, 2020 "
                     "et 2023.", "Ontario", "Quebec"]},
    "distribution": {"en": ["Stacked bar chart: Share of respondents dissatisfied, neutral and "
                            "satisfied for Timeliness, Ease of access, Courtesy and Outcome."],
                     "fr": ["Proportion des répondants insatisfaits, neutres et satisfaits pour "
                            "Timeliness, Ease of access, Courtesy et Outcome."]},
    "importance": {"en": ["Bar chart: Importance (% of explained variance) of the drivers of "
                          "Overall satisfaction in 2020 and 2023.", "Timeliness", "Ease of access",
                          "Staff knowledge and competence", "Outcome"],
                   "fr": ["Graphique à barres\u00a0: Importance (% de la variance expliquée) des "
                          "facteurs de Satisfaction globale en 2020 et 2023.", "Rapidité",
                          "Facilité d'accès", "Résultat"]},
    "quadrant": {"en": ["Importance-performance chart: Importance (% of explained variance) "
                        "against performance (mean score 0-100) of the drivers of Overall "
                        "satisfaction.", "Timeliness", "Ease of access", "Outcome"],
                 "fr": ["des facteurs de Satisfaction globale.", "Rapidité", "Résultat"]},
    "channels": {"en": ["Grouped bar chart: Share of respondents who used and who prefer each "
                        "channel (In person, Telephone, Online (website or app) and Mail)."],
                 "fr": ["Proportion des répondants qui ont utilisé et qui préfèrent chaque mode "
                        "(In person, Telephone, Online (website or app) et Mail)."]},
}


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(CHART_TYPES))
def test_untitled_alt_text_names_what_is_charted(kind: str, language: str) -> None:
    assert set(UNTITLED) == set(CHART_TYPES) == set(SUBJECTS)  # a new chart type needs a case
    c = UNTITLED[kind](language)
    assert c.title == "" and c.kind == kind
    for words in SUBJECTS[kind][language]:
        assert words in c.alt_text, (words, c.alt_text)
    assert "Driver." not in c.alt_text and "Facteur." not in c.alt_text
    titled = UNTITLED[kind](language, "Title X")  # a title leads the subject, not replaces it
    head, _, rest = c.alt_text.partition(". ")
    titled_head, _, titled_rest = titled.alt_text.partition(". ")
    assert titled_rest == rest and "Title X, " in titled_head
    subject = head.split(": ", 1)[-1].split("\u00a0: ", 1)[-1]
    assert titled_head.endswith(subject[:1].lower() + subject[1:])


def test_every_chart_keeps_its_data_table(tmp_path: Path) -> None:
    for kind, make in UNTITLED.items():
        c = make("fr")
        paths = c.save(tmp_path / kind, formats=("png",))
        back = pd.read_csv(tmp_path / f"{kind}.csv")
        assert len(back) == len(c.data) > 0 and list(back.columns) == list(c.data.columns)
        assert [p.suffix for p in paths] == [".png", ".txt", ".csv"]


def test_percent_ticks_fall_on_whole_percents() -> None:
    c = ADVERSARIAL["channels_crowded"]("en")  # shares near 12.5%: no 2.5-point steps
    ax = c.figure.axes[0]
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 4 and all(float(t).is_integer() for t in ticks), ticks
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == ["0%", "5%", "10%"]
