"""Scores: 0-100 rescaling, top/bottom box and the Service Quality Score, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import citizensfirst as cf
from citizensfirst.charts.trend import score_table
from citizensfirst.drivers.analysis import driver_importance
from citizensfirst.errors import DataError
from citizensfirst.estimation.scales import Scale
from citizensfirst.estimation.scores import (
    bottom_box,
    service_quality_score,
    to_100,
    top_box,
    with_columns,
)
from citizensfirst.report.pipeline import _as_score
from citizensfirst.samplegen.generator import sample_path
from citizensfirst.tables.build import crosstab

RATINGS = ["svc1_sat", "svc2_sat", "svc3_sat"]


@pytest.fixture(scope="module")
def cf2020() -> cf.Design:
    """The clustered wave: strata = province, PSUs = areas (unraked)."""
    survey = cf.read_survey(sample_path("cf2020"))
    return cf.Design(survey, weights="wt_design", strata="stratum", psu="psu", nest=True)


@pytest.fixture(scope="module")
def cf2023() -> cf.Design:
    """An unclustered wave, stratified by province."""
    return cf.Design(cf.read_survey(sample_path("cf2023")), weights="wt_design", strata="prov")


# --- to_100 -----------------------------------------------------------------------------------


def test_to_100_values() -> None:
    assert to_100(pd.Series([1, 2, 3, 4, 5])).tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert to_100(np.array([0, 3, 10]), scale=(0, 10)).tolist() == [0.0, 30.0, 100.0]
    assert to_100([1, 7], scale=(1, 7)).tolist() == [0.0, 100.0]
    assert to_100(4, scale=(1, 7)) == pytest.approx(50.0)
    # rescaled (non-integer) values are fine while inside the scale
    assert to_100([2.6], scale=(1, 5))[0] == pytest.approx(40.0)
    series = pd.Series([5.0, None, 1.0], index=[10, 20, 30], name="q")
    out = to_100(series)
    assert out.index.tolist() == [10, 20, 30] and out.name == "q"
    assert out.iloc[0] == 100.0 and np.isnan(out.iloc[1]) and out.iloc[2] == 0.0


def test_to_100_rejects_values_outside_the_scale() -> None:
    with pytest.raises(DataError, match=r"ratings 'q' has 2 value\(s\) outside the scale \[1, 5\]: 0, 9"):
        to_100(pd.Series([1, 9, 0, 3], name="q"))
    with pytest.raises(DataError, match="98"):
        to_100([1, 98], scale=(0, 10))
    with pytest.raises(DataError, match="low < high"):
        to_100([1, 2], scale=(5, 1))


# --- with_columns -----------------------------------------------------------------------------


def test_with_columns_shares_structure_and_leaves_the_design_alone(cf2020: cf.Design) -> None:
    before = cf2020.data.copy()
    extra = with_columns(cf2020, flag=np.arange(len(before)) % 2, q_time=np.ones(len(before)))
    assert "flag" not in cf2020.data.columns
    pd.testing.assert_frame_equal(cf2020.data, before)
    assert (extra.data["q_time"] == 1.0).all()
    assert extra.n_psu == cf2020.n_psu and extra.n_strata == cf2020.n_strata
    np.testing.assert_array_equal(extra.weights, cf2020.weights)
    with pytest.raises(DataError, match="shape"):
        with_columns(cf2020, bad=np.ones(3))


# --- top / bottom box -------------------------------------------------------------------------


def test_top_box_is_the_weighted_share_by_hand(cf2020: cf.Design) -> None:
    data, w = cf2020.data, cf2020.weights.to_numpy()
    x = data["q_fair"].to_numpy(dtype=float)  # has DK/refused, outside the base
    valid = ~np.isnan(x)
    assert (~valid).sum() == 217
    by_hand = w[valid & (x >= 4)].sum() / w[valid].sum()
    est = top_box(cf2020, "q_fair")  # scale from the codebook
    assert est.estimate == pytest.approx(by_hand, rel=1e-12)
    assert est.n == valid.sum()
    assert est.table["level"].iloc[0] == "top2" and est.table["variable"].iloc[0] == "q_fair"
    bottom = bottom_box(cf2020, "q_fair", 2)
    assert bottom.estimate == pytest.approx(w[valid & (x <= 2)].sum() / w[valid].sum(), rel=1e-12)
    top1 = top_box(cf2020, "q_fair", 1)
    assert top1.estimate == pytest.approx(w[valid & (x == 5)].sum() / w[valid].sum(), rel=1e-12)


def test_top_box_se_and_ci_are_those_of_the_proportion(cf2020: cf.Design) -> None:
    x = cf2020.data["q_time"].to_numpy(dtype=float)
    indicator = np.where(np.isnan(x), np.nan, (x >= 4).astype(float))
    prop = with_columns(cf2020, top=indicator).proportion("top", by="gender")
    ones = prop.table[prop.table["level"] == 1.0].reset_index(drop=True)
    est = top_box(cf2020, "q_time", 2, (1, 5), by="gender")
    np.testing.assert_allclose(est.table["estimate"], ones["estimate"], rtol=1e-12)
    np.testing.assert_allclose(est.table["se"], ones["se"], rtol=1e-10)
    np.testing.assert_allclose(est.table["ci_low"], ones["ci_low"], rtol=1e-10)
    np.testing.assert_allclose(est.table["ci_high"], ones["ci_high"], rtol=1e-10)
    assert est.table["gender"].tolist() == [1.0, 2.0, 3.0]


def test_top_box_errors(cf2020: cf.Design) -> None:
    with pytest.raises(DataError, match="no rating scale"):
        top_box(cf.Design(pd.DataFrame({"q": [1.0, 5.0]})), "q")
    with pytest.raises(DataError, match="top=5 must be an integer from 1 to 4"):
        top_box(cf2020, "q_time", 5)
    with pytest.raises(DataError, match=r"outside the scale \[1, 5\]: 8"):
        top_box(cf.Design(pd.DataFrame({"q": [1.0, 8.0, 4.0]})), "q", scale=(1, 5))


# --- service quality score --------------------------------------------------------------------


def _long_format(design: cf.Design, cluster: str | None) -> pd.DataFrame:
    """One row per rated service experience: respondent, stratum, PSU, weight, 0-100 score."""
    data = design.data.assign(_w=design.weights.to_numpy(), _resp=np.arange(len(design.data)))
    long = data.melt(id_vars=["_resp", "_w", "prov"] + ([cluster] if cluster else []),
                     value_vars=RATINGS, value_name="rating").dropna(subset=["rating"])
    long["score"] = (long["rating"] - 1) * 25.0
    return long


def _taylor_ratio_se(long: pd.DataFrame, stratum: str, cluster: str) -> tuple[float, float]:
    """Ratio mean and its linearised SE (with-replacement PSUs within strata), by hand."""
    ratio = (long["_w"] * long["score"]).sum() / long["_w"].sum()
    long = long.assign(z=long["_w"] * (long["score"] - ratio) / long["_w"].sum())
    psu = long.groupby([stratum, cluster])["z"].sum().reset_index()
    var = 0.0
    for _, group in psu.groupby(stratum):
        n_h = len(group)
        var += n_h / (n_h - 1) * ((group["z"] - group["z"].mean()) ** 2).sum()
    return ratio, float(np.sqrt(var))


def test_sqs_equals_a_long_format_ratio_with_respondent_clusters(cf2023: cf.Design) -> None:
    long = _long_format(cf2023, None)
    n_ratings = int(cf2023.data[RATINGS].notna().to_numpy().sum())
    assert len(long) == n_ratings  # N/A (9) is outside the base
    brute = (long["_w"] * long["score"]).sum() / long["_w"].sum()
    ratio, se = _taylor_ratio_se(long, "prov", "_resp")
    sqs = service_quality_score(cf2023)
    assert sqs.estimate == pytest.approx(brute, rel=1e-12)
    assert sqs.estimate == pytest.approx(ratio, rel=1e-12)
    assert sqs.se == pytest.approx(se, rel=1e-9)
    assert sqs.n == len(cf2023.data)  # every respondent rated at least one service
    assert f"{n_ratings} rated service experiences" in sqs.notes[0]
    # the same long data as a design clustered on respondents gives the same numbers
    long_design = cf.Design(long, weights="_w", strata="prov", psu="_resp")
    check = long_design.mean("score")
    assert check.estimate == pytest.approx(sqs.estimate, rel=1e-12)
    assert check.se == pytest.approx(sqs.se, rel=1e-9)
    # treating each experience as independent understates the SE
    assert cf.Design(long, weights="_w", strata="prov").mean("score").se < sqs.se


def test_sqs_uses_the_design_psus_and_by_domains(cf2020: cf.Design) -> None:
    long = _long_format(cf2020, "psu")
    ratio, se = _taylor_ratio_se(long, "prov", "psu")
    sqs = service_quality_score(cf2020, RATINGS, (1, 5))
    assert sqs.estimate == pytest.approx(ratio, rel=1e-12)
    assert sqs.se == pytest.approx(se, rel=1e-9)
    assert sqs.df == cf2020.degrees_of_freedom()
    by = service_quality_score(cf2020, by="age_grp")
    data, w = cf2020.data, cf2020.weights.to_numpy()
    for _, row in by.table.iterrows():
        rows = (data["age_grp"] == row["age_grp"]).to_numpy()
        values = data.loc[rows, RATINGS].to_numpy(dtype=float)
        scores = np.nansum((values - 1) * 25.0, axis=1)
        counts = (~np.isnan(values)).sum(axis=1)
        assert row["estimate"] == pytest.approx((w[rows] * scores).sum() / (w[rows] * counts).sum(),
                                                rel=1e-12)
    # CI: estimate +/- t(df) se
    t = stats.t.ppf(0.975, sqs.df)
    assert sqs.ci[0] == pytest.approx(sqs.estimate - t * sqs.se, rel=1e-12)


def test_sqs_counts_every_rated_service_and_drops_respondents_without_one() -> None:
    df = pd.DataFrame({"a": [5.0, 1.0, None, 3.0], "b": [3.0, None, None, 3.0],
                       "c": [1.0, None, None, None], "w": [1.0, 2.0, 5.0, 1.0]})
    est = service_quality_score(cf.Design(df, weights="w"), ["a", "b", "c"])
    # (100 + 50 + 0) + 2 x 0 + (50 + 50) over 3 + 2 + 2 weighted experiences
    assert est.estimate == pytest.approx(250 / 7)
    assert est.n == 3
    with pytest.raises(DataError, match=r"'b'.*outside the scale \[1, 5\]: 9"):
        service_quality_score(cf.Design(df.assign(b=[3.0, 9.0, None, 3.0]), weights="w"), ["a", "b"])


def test_scores_on_a_replicate_design() -> None:
    rng = np.random.default_rng(7)
    n = 240
    df = pd.DataFrame({
        "stratum": np.repeat([1, 2, 3], n // 3), "psu": np.repeat(np.arange(24), n // 24),
        "w": rng.uniform(0.5, 2.0, n), "q": rng.integers(1, 6, n).astype(float),
        "s1": rng.integers(1, 6, n).astype(float),
        "s2": np.where(rng.random(n) < 0.5, np.nan, rng.integers(1, 6, n)),
    })
    df.loc[::17, "q"] = np.nan
    rep = cf.Design(df, weights="w", strata="stratum", psu="psu").as_replicate("jkn")
    x = df["q"].to_numpy()
    prop = with_columns(rep, top=np.where(np.isnan(x), np.nan, (x >= 4).astype(float))).proportion("top")
    one = prop.table[prop.table["level"] == 1.0].iloc[0]
    est = top_box(rep, "q", scale=(1, 5))
    assert est.estimate == pytest.approx(one["estimate"], rel=1e-12)
    assert est.se == pytest.approx(one["se"], rel=1e-10)
    assert est.ci == pytest.approx((one["ci_low"], one["ci_high"]), rel=1e-10)
    # SQS on replicates: the ratio re-computed with every replicate's weights
    sqs = service_quality_score(rep, ["s1", "s2"])
    values = df[["s1", "s2"]].to_numpy()
    scores = np.nansum((values - 1) * 25, axis=1)
    counts = (~np.isnan(values)).sum(axis=1)
    reps = rep.replicate_weights
    analysis = reps.analysis_weights(rep.weights.to_numpy())
    thetas = (analysis * scores[:, None]).sum(axis=0) / (analysis * counts[:, None]).sum(axis=0)
    full = (df["w"] * scores).sum() / (df["w"] * counts).sum()
    var = float(reps.vcov(thetas[:, None], np.array([full]))[0, 0])
    assert sqs.estimate == pytest.approx(full, rel=1e-12)
    assert sqs.se == pytest.approx(np.sqrt(var), rel=1e-10)


# --- one Scale: every layer rescales and boxes with citizensfirst.scales.Scale ---------------


def test_box_ci_is_validated_like_proportion(cf2020: cf.Design) -> None:
    # before: an unknown method silently gave the Korn-Graubard (beta) interval
    with pytest.raises(DataError, match=r"ci must be one of \('logit'.*got 'nonsense'"):
        top_box(cf2020, "q_time", ci="nonsense")
    with pytest.raises(DataError, match="got 'KG'"):
        bottom_box(cf2020, "q_time", ci="KG")
    with pytest.raises(DataError, match=r"ci must be one of \('logit'.*got 'nonsense'"):
        cf2020.proportion("q_time", ci="nonsense")  # the same table and message


def test_scale_rules() -> None:
    s = Scale(1, 5)
    assert (s.low, s.high, s.points) == (1.0, 5.0, 5)
    np.testing.assert_array_equal(s.top_box([1, 3, 4, 5, np.nan]), [0, 0, 1, 1, np.nan])
    np.testing.assert_array_equal(s.bottom_box([1, 2, 3, np.nan], 1), [1, 0, 0, np.nan])
    assert s.to_100([2, 4]).tolist() == [25.0, 75.0]
    # estimates (a mean's CI limit) may lie beyond the scale; ratings may not
    assert s.to_100([5.2], check=False).tolist() == [pytest.approx(105.0)]
    with pytest.raises(DataError, match=r"'q' has 1 value\(s\) outside the scale \[1, 5\]: 5.2"):
        s.to_100([5.2], what="'q'")
    with pytest.raises(DataError, match="top=5 must be an integer from 1 to 4"):
        s.top_box([1.0], 5)
    with pytest.raises(DataError, match="low < high"):
        Scale(3, 3)
    assert Scale.of((0, 10)) == Scale(0, 10) and Scale.of(s) is s


def test_table_cells_use_the_same_rescale_and_box_as_scores(cf2023: cf.Design) -> None:
    score = crosstab(cf2023, "q_time", stat="score")
    assert score.cells["estimate"].iloc[0] == pytest.approx(
        to_100(cf2023.mean("q_time").estimate, scale=cf2023.codebook["q_time"].scale), rel=1e-12)
    top2 = crosstab(cf2023, "q_time", stat="top2")
    box = top_box(cf2023, "q_time")
    assert top2.cells["estimate"].iloc[0] == pytest.approx(box.estimate, rel=1e-12)
    assert top2.cells["ci_low"].iloc[0] == pytest.approx(box.ci[0], rel=1e-10)
    sqs = service_quality_score(cf2023, ["q_time"])  # one rating per respondent: the score
    assert sqs.estimate == pytest.approx(score.cells["estimate"].iloc[0], rel=1e-12)


def test_values_outside_the_scale_raise_the_same_error_in_scores_and_tables() -> None:
    # before: tables counted the 9 (an undeclared N/A code) as a top-box answer and a 200 score
    d = cf.Design(pd.DataFrame({"q": [1.0, 9.0, 4.0, 5.0]}))
    with pytest.raises(DataError) as scores_error:
        top_box(d, "q", scale=(1, 5))
    assert "'q' has 1 value(s) outside the scale [1, 5]: 9" in str(scores_error.value)
    for stat in ("top2", "score"):
        with pytest.raises(DataError) as tables_error:
            crosstab(d, "q", stat=stat, scale=(1, 5))
        assert str(tables_error.value) == str(scores_error.value)
    with pytest.raises(DataError) as sqs_error:
        service_quality_score(d, ["q"])
    assert str(sqs_error.value) == str(scores_error.value)


def test_drivers_charts_and_report_rescale_with_to_100() -> None:
    rng = np.random.default_rng(3)
    n = 300
    df = pd.DataFrame({"a": rng.integers(1, 6, n), "b": rng.integers(0, 11, n)}).astype(float)
    df["y"] = df["a"] + df["b"] / 2 + rng.normal(size=n)
    w = rng.uniform(0.5, 2.0, n)
    res = driver_importance(df, "y", ["a", "b"], w, scales={"a": (1, 5), "b": (0, 10)})
    perf = res.table["performance"]
    for name, scale in (("a", (1, 5)), ("b", (0, 10))):
        assert perf[name] == pytest.approx(to_100(np.average(df[name], weights=w), scale), rel=1e-12)
    with pytest.raises(DataError, match="scale for driver 'b' must be"):
        driver_importance(df, "y", ["a", "b"], w, scales={"a": (1, 5), "b": (10, 0)})

    rows = {2020: pd.DataFrame({"variable": ["q"], "estimate": [4.9], "ci_low": [4.7], "ci_high": [5.1]})}
    table = score_table(rows, scale=(1, 5))
    expected = Scale(1, 5).to_100([4.9, 4.7, 5.1], check=False)  # the CI limit 5.1 is beyond 5
    np.testing.assert_allclose(table[["estimate", "ci_low", "ci_high"]].iloc[0], expected, rtol=1e-12)

    estimates = pd.DataFrame({"wave": [2020, 2023], "estimate": [7.0, 7.5], "ci_low": [6.5, 7.0],
                              "ci_high": [7.5, 10.2]})
    changes = pd.DataFrame({"to_wave": [2023], "significant": [True]})
    frame = _as_score(estimates, changes, "mean", Scale(0, 10))
    np.testing.assert_allclose(frame["ci_high"], Scale(0, 10).to_100([7.5, 10.2], check=False), rtol=1e-12)
    assert frame["estimate"].tolist() == [pytest.approx(70.0), pytest.approx(75.0)]
