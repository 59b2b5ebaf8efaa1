"""The report's Method section is written from each wave's design and weighting (issue 12, item 2)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from citizensfirst.design.facade import Design
from citizensfirst.report.html import render_report
from citizensfirst.report.method import (
    TargetOrigin,
    format_precision,
    method_html,
    step_origins,
    wave_method,
)

# words that belong to the bundled sample study only
SAMPLE_WORDS = ("Census", "Recensement", "canada_2021", "wt_design", "cf2023", "4,300", "4 300")


def _frame(n_per_psu: int = 5) -> pd.DataFrame:
    """3 strata x 4 PSUs x ``n_per_psu`` respondents, with a stratum population of 40 PSUs."""
    rng = np.random.default_rng(4)
    rows = 3 * 4 * n_per_psu
    stratum = np.repeat([1, 2, 3], 4 * n_per_psu)
    return pd.DataFrame({
        "region": stratum,
        "school": np.repeat(np.arange(12), n_per_psu),
        "npsu": 40,
        "w": 10.0 + stratum,
        "gender": rng.integers(1, 3, rows),
        "y": rng.normal(size=rows),
    })


def _text(design: Design, language: str, origins: tuple[TargetOrigin | None, ...] = ()) -> str:
    return " ".join(wave_method(design, language, origins))


def test_stratified_design_with_fpc_en_fr() -> None:
    design = Design(_frame(), weights="w", strata="region", psu="school", fpc="npsu")
    en, fr = _text(design, "en"), _text(design, "fr")
    # 12 PSUs - 3 strata = 9 degrees of freedom (R's degf for this design)
    assert "Stratified sample (3 strata, by region)" in en
    assert "12 primary sampling units (school)" in en
    assert "with a finite population correction (npsu)" in en
    assert "Base weights: w." in en
    assert "No weighting adjustment was made: the base weights were used as they are." in en
    assert "Variances: Taylor linearisation; 9 degrees of freedom." in en
    assert "Échantillon stratifié (3 strates, selon region)" in fr
    assert "12 unités primaires d'échantillonnage (school)" in fr
    assert "avec correction pour population finie (npsu)" in fr
    assert "les poids de base ont été utilisés tels quels" in fr
    assert "linéarisation de Taylor; 9 degrés de liberté" in fr
    for word in SAMPLE_WORDS:
        assert word not in en and word not in fr, word


def test_unweighted_unstratified_design() -> None:
    design = Design(_frame()[["y", "gender"]])
    en, fr = _text(design, "en"), _text(design, "fr")
    assert en == ("Unstratified sample; respondents sampled directly (no clustering); no finite population "
                  "correction (sampling with replacement assumed). Every respondent counts equally (no weights); "
                  "no weighting adjustment was made. Variances: Taylor linearisation; 59 degrees of freedom.")
    assert "Échantillon non stratifié" in fr and "sans poids" in fr and "59 degrés de liberté" in fr
    for word in SAMPLE_WORDS:
        assert word not in en and word not in fr, word


def test_replicate_weights_supplied_with_the_data() -> None:
    frame = _frame()
    reps = [f"rep{k}" for k in range(6)]
    rng = np.random.default_rng(1)
    for name in reps:
        frame[name] = frame["w"] * rng.uniform(0.5, 1.5, len(frame))
    design = Design(frame, weights="w", replicate_weights=reps, method="jk1")
    en, fr = _text(design, "en"), _text(design, "fr")
    assert "6 replicate weights supplied with the data (jackknife (JK1))" in en
    assert "Variances: from the replicate weights (jackknife (JK1), 6 replicates)" in en
    assert "strata" not in en and "Taylor" not in en
    assert "6 poids de rééchantillonnage fournis avec les données" in fr
    assert "à partir des poids de rééchantillonnage" in fr


def test_weighting_steps_with_their_origin_and_precision() -> None:
    design = Design(_frame(), weights="w").rake({"gender": {1: 0.5, 2: 0.5}}, tol=1e-10)
    design = design.trim(upper=30.0)
    origins = step_origins([SimpleNamespace(targets=None, file="margins.toml", margins=None),
                            SimpleNamespace(targets=None, file=None, margins=None)])
    en, fr = _text(design, "en", origins), _text(design, "fr", origins)
    assert "Weighting: raked to the margins of gender (targets from the file margins.toml); then weights " \
           "trimmed to at most 30.00" in en
    assert "ratissage sur les marges de gender (cibles tirées du fichier margins.toml); puis poids écrêtés " \
           "à au plus 30,00" in fr
    assert "Each replicate" not in en
    # one margin, raked exactly: the achieved precision is reported, formatted for the reader
    raked = Design(_frame(), weights="w").rake({"gender": {1: 0.5, 2: 0.5}}, tol=1e-10)
    inline = (TargetOrigin("inline"),)
    assert "(targets given in the study spec); the largest relative difference between the final weighted " \
           "totals and the targets is less than 0.000001%" in _text(raked, "en", inline)
    assert "est de moins de 0,000001\u00a0%" in _text(raked, "fr", inline)
    assert "e-" not in _text(raked, "en", inline)


def test_shipped_set_is_cited_only_when_used() -> None:
    raked = Design(_frame(), weights="w").rake({"gender": {1: 0.5, 2: 0.5}})
    shipped = _text(raked, "en", (TargetOrigin("shipped", "canada_2021"),))
    assert "Statistics Canada, 2021 Census of Population" in shipped
    assert "Recensement de la population de 2021" in _text(raked, "fr", (TargetOrigin("shipped", "canada_2021"),))
    assert "Census" not in _text(raked, "en", (TargetOrigin("inline"),))


@pytest.mark.parametrize(("error", "en", "fr"), [
    (4.2e-11, "less than 0.000001%", "moins de 0,000001\u00a0%"),
    (5.2e-4, "0.052%", "0,052\u00a0%"),
    (0.0123, "1.2%", "1,2\u00a0%"),
])
def test_format_precision(error: float, en: str, fr: str) -> None:
    assert format_precision(error, "en") == en
    assert format_precision(error, "fr") == fr


def test_method_html_groups_alike_waves_and_states_the_rules() -> None:
    design = Design(_frame(), weights="w", strata="region")
    text = method_html({"a": design, "b": design, "<c>": Design(_frame())}, "en")
    assert "<strong>Wave a and Wave b</strong>" in text
    assert "&lt;c&gt;" in text and "<c>" not in text
    assert "fewer than 10 respondents" in text and "E marks a CV of 25% to 35%" in text
    fr = method_html({"a": design}, "fr")
    assert "moins de 10 répondants" in fr and "CV de 25\u00a0% à 35\u00a0%" in fr
    assert "Student" in fr and "95\u00a0%" in fr


def test_report_contents_list_the_method_section() -> None:
    design = Design(_frame(), weights="w")
    spec = SimpleNamespace(title="T", title_fr="T fr", waves=(SimpleNamespace(name="w1", weighting=()),))
    section = SimpleNamespace(key="tables", title={"en": "Tables", "fr": "Tableaux"}, intro={}, after={},
                              charts=[], html={"en": "<p>x</p>", "fr": "<p>x</p>"})
    run = SimpleNamespace(spec=spec, designs={"w1": design}, sections=[section])
    page = render_report(run, "fr")
    assert '<li><a href="#method">Méthode</a></li><li><a href="#tables">Tableaux</a></li>' in page
    assert '<section id="method"><h2>Méthode</h2>' in page
    assert "Recensement" not in page and "marges du Recensement" not in page
