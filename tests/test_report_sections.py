"""The report's trend and driver sections are publication tables (issue 12, items 3 and 4).

Trend change tables: titled, on the chart's 0-100 / percent scale, translated, numbers formatted
for the language. Drivers: labels, one scale (percent) for the share and its CI, performance on
0-100, the quadrant refused when the drivers do not share one known scale. DriverResult's table
and reprs.
"""

from __future__ import annotations

import dataclasses
import html
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from citizensfirst.design.facade import Design
from citizensfirst.drivers import driver_importance, importance_performance
from citizensfirst.errors import DataError
from citizensfirst.estimation.scales import Scale
from citizensfirst.io.readers import read_survey
from citizensfirst.report.pipeline import (
    Run,
    analyse_drivers,
    follow_trends,
    load_waves,
    sample_spec_path,
    weight_waves,
)
from citizensfirst.report.pubtables import (
    chart_data_table,
    drivers_summary,
    drivers_table,
    trend_changes_table,
)
from citizensfirst.report.spec import StudySpec

CHANGES = pd.DataFrame({"from_wave": [2018, 2020], "to_wave": [2020, 2023], "estimate_from": [3.0, 3.5],
                        "estimate_to": [3.5, 3.4], "change": [0.5, -0.1], "se": [0.2, 0.3],
                        "ci_low": [0.1, -0.7], "ci_high": [0.9, 0.5], "t": [2.5, -0.3], "df": [99.0, 99.0],
                        "p_value": [0.01, 0.7], "significant": [True, False]})


def _cells(table: str) -> list[list[str]]:
    """The rows of an HTML table as lists of unescaped cell texts (headings included)."""
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)] for row in rows]


def test_trend_change_table_mean_on_the_0_100_scale() -> None:
    en = trend_changes_table(CHANGES, "mean", Scale(1, 5), "Timeliness: score (0-100)", "en")
    fr = trend_changes_table(CHANGES, "mean", Scale(1, 5), "Rapidité : score (0-100)", "fr")
    # 1-5 means: 3.0 -> 50, 3.5 -> 62.5; a change of 0.5 points on 1-5 is 12.5 on 0-100
    assert "<caption>Change from one wave to the next: Timeliness: score (0-100)</caption>" in en
    assert _cells(en) == [
        ["Waves compared", "Earlier wave", "Later wave", "Change (points)", "95% CI of the change", "Significant change"],
        ["2018 to 2020", "50.0", "62.5", "12.5", "2.5 to 22.5", "Yes"],
        ["2020 to 2023", "62.5", "60.0", "-2.5", "-17.5 to 12.5", "No"],
    ]
    assert _cells(fr)[1] == ["2018 à 2020", "50,0", "62,5", "12,5", "2,5 à 22,5", "Oui"]
    assert _cells(fr)[2][-1] == "Non"
    for word in ("from_wave", "ci_low", "significant", "True", "False", "Yes", "No ", "Change", "Earlier"):
        assert word not in fr, word


def test_trend_change_table_shares_in_percent() -> None:
    shares = CHANGES.assign(estimate_from=[0.462, 0.603], estimate_to=[0.603, 0.602], change=[0.141, -0.001],
                            ci_low=[0.102, -0.038], ci_high=[0.181, 0.036])
    fr = _cells(trend_changes_table(shares, "top2", None, "Satisfaction", "fr"))
    assert fr[0][3] == "Variation (points de pourcentage)"
    assert fr[1] == ["2018 à 2020", "46,2\u00a0%", "60,3\u00a0%", "14,1", "10,2 à 18,1", "Oui"]
    en = _cells(trend_changes_table(shares, "top2", None, "Satisfaction", "en"))
    assert en[1][1:3] == ["46.2%", "60.3%"]


def test_trend_change_table_blanked_values() -> None:
    blanked = CHANGES.astype(object)
    blanked.loc[0, ["estimate_from", "change", "ci_low", "ci_high", "significant"]] = None
    row = _cells(trend_changes_table(blanked, "mean", Scale(1, 5), "T", "en"))[1]
    assert row == ["2018 to 2020", "..", "62.5", "..", "..", ".."]


@pytest.fixture(scope="module")
def sample_run() -> Run:
    """The sample study's waves, weighted, with their trends."""
    run = Run(StudySpec.from_toml(sample_spec_path()))
    load_waves(run)
    weight_waves(run)
    follow_trends(run)
    return run


@pytest.mark.slow
def test_trend_tables_match_the_chart_data(sample_run: Run) -> None:
    trends = next(s for s in sample_run.sections if s.key == "trends")
    for stem, chart in trends.charts:
        language = stem.rsplit(".", 1)[1]
        table = _cells(trends.after[stem])
        assert table[0][0] == ("Waves compared" if language == "en" else "Vagues comparées")
        later = [row[2] for row in table[1:]]
        data = chart.data.sort_values("wave")
        decimal = "," if language == "fr" else "."
        expected = [f"{v:.1f}".replace(".", decimal) for v in data["estimate"].iloc[1:]]
        if "top2" in stem:
            expected = [e + ("\u00a0%" if language == "fr" else "%") for e in expected]
        assert later == expected, stem
        assert "Change from one wave to the next" in trends.after[stem] or language == "fr"
    # one note for the section, not one per table
    assert trends.html["fr"].count("<p") == 1 and "Une variation est significative" in trends.html["fr"]


@pytest.mark.slow
def test_weighting_notes_write_the_precision_for_the_language(sample_run: Run) -> None:
    weighting = next(s for s in sample_run.sections if s.key == "weighting")
    fr, en = weighting.html["fr"], weighting.html["en"]
    errors = [w["summary"]["max_relative_error"] for w in sample_run.numbers["weighting"].values()]
    assert max(errors) < 1e-8  # the sample's rakes meet their margins to far below 0.000001 %
    assert fr.count("écart relatif maximal aux cibles\u00a0: moins de 0,000001\u00a0%") == len(errors)
    assert en.count("largest relative difference from the targets: less than 0.000001%") == len(errors)
    assert not re.search(r"\de-\d", fr + en)


@pytest.mark.slow
def test_trend_scores_are_independent_rescales_of_the_means(sample_run: Run) -> None:
    trends = next(s for s in sample_run.sections if s.key == "trends")
    chart = dict(trends.charts)["trend_q_courtesy_mean.en"]
    design = sample_run.designs["cf2023"]
    mean = float(design.mean("q_courtesy").estimate)
    # the sample's q_courtesy is on 1-5 in 2023: (mean - 1) / 4 * 100
    assert chart.data.set_index("wave").loc[2023, "estimate"] == pytest.approx((mean - 1) / 4 * 100, rel=1e-9)


def _drivers_data(seed: int = 5, n: int = 400) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(n, 3)).astype(float)
    frame = pd.DataFrame(x, columns=["q_a", "q_b", "q_c"])
    frame["y"] = x @ [1.0, 0.5, 0.2] + rng.normal(size=n)
    weights = rng.uniform(1, 3, n)
    replicates = weights[:, None] * rng.choice([0.0, 2.0], size=(n, 30))
    return frame, weights, replicates


def test_driver_table_share_ci_in_percent_and_to_frame() -> None:
    frame, w, reps = _drivers_data()
    res = driver_importance(frame, "y", ["q_a", "q_b", "q_c"], w, scales=(1, 5), replicate_weights=reps,
                            replicate_scale=1 / 29)
    t = res.table
    crit = stats.t.ppf(0.975, res.df)
    np.testing.assert_allclose(t["share_ci_low"], t["share"] - crit * t["share_se"], rtol=1e-10)
    np.testing.assert_allclose(t["share_ci_high"], t["share"] + crit * t["share_se"], rtol=1e-10)
    assert (t["share_ci_low"] < t["share"]).all() and (t["share"] < t["share_ci_high"]).all()
    assert t["share_ci_high"].max() > 1  # percent, not the R² scale
    out = res.to_frame()
    assert "mc_se" not in out  # exact Shapley values: no Monte Carlo error
    columns = list(out.columns)
    assert columns.index("ci_high") < columns.index("share") < columns.index("share_ci_low")
    plain = driver_importance(frame, "y", ["q_a", "q_b"], w).to_frame()
    assert not {"performance", "performance_se", "se", "ci_low", "share_ci_low", "mc_se"} & set(plain)


def test_drivers_table_by_label_on_one_scale_en_fr() -> None:
    frame, w, reps = _drivers_data()
    res = driver_importance(frame, "y", ["q_a", "q_b", "q_c"], w, scales=(1, 5), replicate_weights=reps,
                            replicate_scale=1 / 29)
    quadrants = importance_performance(res)["quadrant"]
    labels = {"en": {"q_a": "Timeliness", "q_b": "Courtesy", "q_c": "Access <web>"},
              "fr": {"q_a": "Rapidité", "q_b": "Courtoisie", "q_c": "Accès <web>"}}
    en = drivers_table(res, labels["en"], quadrants, "en")
    fr = drivers_table(res, labels["fr"], quadrants, "fr")
    rows = _cells(en)
    assert rows[0] == ["Driver", "Rank", "Share of explained variance (%)", "95% CI (%)", "Performance (0-100)",
                       "Quadrant"]
    top = res.table.sort_values("rank").iloc[0]
    assert rows[1][:5] == ["Timeliness", "1", f"{top['share']:.1f}",
                           f"{top['share_ci_low']:.1f} to {top['share_ci_high']:.1f}", f"{top['performance']:.1f}"]
    assert "q_a" not in en and "Access &lt;web&gt;" in en
    frows = _cells(fr)
    assert frows[0][2] == "Part de la variance expliquée (%)" and frows[1][0] == "Rapidité"
    assert frows[1][2] == f"{top['share']:.1f}".replace(".", ",")
    assert {r[-1] for r in frows[1:]} <= {"Améliorer en priorité", "Maintenir", "Priorité moindre",
                                           "Surinvestissement possible"}
    summary = drivers_summary(res, ["y"], {"y": "Overall satisfaction"}, "fr", bootstrap=False)
    assert "Résultat : Overall satisfaction." in summary and f"R² = {res.r2:.3f}".replace(".", ",") in summary
    assert "n = 400" in summary and "30 poids de rééchantillonnage" in summary


def test_quadrant_refused_without_a_common_known_scale() -> None:
    frame, w, _ = _drivers_data()
    mixed = driver_importance(frame, "y", ["q_a", "q_b"], w, scales={"q_a": (1, 5), "q_b": (0, 100)})
    with pytest.raises(DataError, match=r"scales differ: 'q_a' 1-5, 'q_b' 0-100"):
        importance_performance(mixed)
    unknown = driver_importance(frame, "y", ["q_a", "q_b"], w)
    with pytest.raises(DataError, match=r"no scale for 'q_a', 'q_b'"):
        importance_performance(unknown)
    same = driver_importance(frame, "y", ["q_a", "q_b"], w, scales={"q_a": (1, 5), "q_b": (1, 5)})
    assert len(importance_performance(same)) == 2


@pytest.mark.slow
def test_report_drops_the_quadrant_for_drivers_without_scales() -> None:
    spec = StudySpec.from_toml(sample_spec_path())
    assert spec.drivers is not None
    spec = dataclasses.replace(spec, drivers=dataclasses.replace(
        spec.drivers, drivers=("q_time", "q_access", "q_fair"), replicates=5))
    run = Run(spec)
    wave = spec.wave(spec.drivers.wave)
    # the wave's data without its codebook: no driver has a known scale
    run.designs[wave.name] = Design(read_survey(Path(wave.file)).data, weights=wave.weights)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyse_drivers(run, lambda message: None)
    assert any("no quadrant" in str(w.message) for w in caught)
    section = run.sections[-1]
    assert [stem for stem, _ in section.charts] == ["drivers_importance.en", "drivers_importance.fr"]
    assert run.numbers["drivers"]["quadrants"] is None
    assert "Quadrant" not in section.html["fr"] and "Aucun quadrant importance-rendement" in section.html["fr"]
    assert "Performance (0-100)" not in section.html["en"]


def test_driver_result_reprs() -> None:
    frame, w, reps = _drivers_data()
    res = driver_importance(frame, "y", ["q_a", "q_b", "q_c"], w, scales=(1, 5), replicate_weights=reps,
                            replicate_scale=1 / 29)
    text = repr(res)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("<DriverResult shapley: y on 3 drivers, R² = ")
    assert f"n = {res.n}" in text and "top: q_a " in text
    page = res._repr_html_()
    assert page.startswith("<table><caption>") and "<th>Share (%)</th><th>95% CI (%)</th>" in page
    assert "mc_se" not in page and "share_se" not in page and "nan" not in page.lower()
    assert page.count("<tr>") == 4


def test_chart_data_under_a_chart_is_translated() -> None:
    data = pd.DataFrame({"series": ["", ""], "driver": ["q_a", "q_b"], "value": [30.56, 18.28],
                         "ci_low": [25.01, 13.84], "ci_high": [36.11, 22.72], "rank": [1, 2],
                         "label": ["Résultat obtenu", "Délai"], "value_label": ["30,6 %", "18,3 %"]})
    rows = _cells(chart_data_table(data, "fr"))
    assert rows == [["Facteur", "Valeur", "IC à 95\u00a0%, borne inférieure", "IC à 95\u00a0%, borne supérieure", "Rang"],
                    ["Résultat obtenu", "30,6", "25,0", "36,1", "1"], ["Délai", "18,3", "13,8", "22,7", "2"]]
    trend = pd.DataFrame({"wave": [2018, 2020], "estimate": [45.55, 59.54], "significant_change": [False, True],
                          "label": ["45,6", "59,5"]})
    page = chart_data_table(trend, "fr")
    assert _cells(page)[2] == ["2020", "59,5", "Oui"]
    assert "True" not in page and "False" not in page and "significant" not in page
    shares = pd.DataFrame({"channel": ["Online"], "measure": ["used"], "measure_label": ["Channel used"],
                           "share": [0.483]})
    assert _cells(chart_data_table(shares, "en"))[1] == ["Online", "Channel used", "48.3%"]
