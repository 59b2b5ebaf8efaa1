"""Properties every design-based estimate must have, checked on generated data (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import citizensfirst as cf
from citizensfirst.errors import DataError, DesignError


def survey_frame(seed: int, n: int = 120) -> pd.DataFrame:
    """A stratified cluster sample with a rating, a category and missing values."""
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 4, n)
    psu = strata * 10 + rng.integers(0, 3, n)
    return pd.DataFrame({
        "stratum": strata,
        "psu": psu,
        "w": rng.uniform(0.5, 4.0, n),
        "y": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3, 1, n)),
        "x": rng.uniform(1, 10, n),
        "cat": rng.choice(["web", "phone", "mail"], n),
        "dom": rng.choice(["a", "b"], n),
    })


def design_of(frame: pd.DataFrame) -> cf.Design:
    return cf.Design(frame, weights="w", strata="stratum", psu="psu", lonely_psu="adjust")


seeds = st.integers(min_value=0, max_value=10_000)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seeds)
def test_proportions_sum_to_one_and_vcov_rows_to_zero(seed: int) -> None:
    est = design_of(survey_frame(seed)).proportion("cat")
    assert est.table["estimate"].sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(est.vcov.sum(axis=1), 0.0, atol=1e-12)


@pytest.mark.slow
@SETTINGS
@given(seeds, st.floats(min_value=0.01, max_value=1000))
def test_scaling_the_weights_leaves_means_and_ses_unchanged(seed: int, factor: float) -> None:
    frame = survey_frame(seed)
    scaled = frame.assign(w=frame["w"] * factor)
    a = design_of(frame).mean(["y", "x"], by="dom").table
    b = design_of(scaled).mean(["y", "x"], by="dom").table
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8)


@pytest.mark.slow
@SETTINGS
@given(seeds)
def test_by_estimate_equals_zero_weighted_domain_design(seed: int) -> None:
    frame = survey_frame(seed)
    design = design_of(frame)
    by = design.mean("y", by="dom").table.set_index("dom")
    for level in ("a", "b"):
        sub = design.subset(frame["dom"] == level).mean("y")
        assert sub.estimate == pytest.approx(by.loc[level, "estimate"], rel=1e-12)
        assert sub.se == pytest.approx(by.loc[level, "se"], rel=1e-10)
        # zeroing the weights by hand gives the same domain estimate: rows are kept, not dropped
        zeroed = frame.assign(w=np.where(frame["dom"] == level, frame["w"], 0.0))
        point = design_of(zeroed).mean("y").estimate
        assert point == pytest.approx(by.loc[level, "estimate"], rel=1e-12)


@pytest.mark.slow
@SETTINGS
@given(seeds)
def test_estimators_do_not_modify_their_input(seed: int) -> None:
    frame = survey_frame(seed)
    before = frame.copy(deep=True)
    design = design_of(frame)
    design.mean("y", by="dom")
    design.proportion("cat", by="dom")
    design.ratio("y", "x")
    design.quantile("x", [0.25, 0.5])
    design.rake({"cat": {"web": 0.5, "phone": 0.3, "mail": 0.2}})
    pd.testing.assert_frame_equal(frame, before)


def test_total_equals_mean_times_population_for_complete_data() -> None:
    frame = survey_frame(3)
    design = design_of(frame)
    total = design.total("x").estimate
    assert total == pytest.approx(design.mean("x").estimate * frame["w"].sum(), rel=1e-12)


def test_quality_flags_follow_statcan_bands() -> None:
    frame = survey_frame(5, n=300)
    est = design_of(frame).mean("y", by="psu").table
    small = est["n"] < 10
    assert (est.loc[small, "flag"] == "x").all()
    assert set(est.loc[~small, "flag"]) <= set("ABCDEF")


# ---------------------------------------------------------------------------- bad input


def test_unknown_column_names_the_column_and_suggests() -> None:
    with pytest.raises(DataError, match=r"'wt'.*did you mean 'w'"):
        cf.Design(survey_frame(1), weights="wt")


def test_negative_and_missing_weights_are_rejected_with_the_row() -> None:
    frame = survey_frame(1)
    frame.loc[7, "w"] = -1.0
    with pytest.raises(DataError, match="negative values.*row 7"):
        cf.Design(frame, weights="w")
    frame.loc[7, "w"] = np.nan
    with pytest.raises(DataError, match="missing or infinite.*row 7"):
        cf.Design(frame, weights="w")


def test_non_numeric_rating_names_the_value() -> None:
    frame = survey_frame(1).assign(y="Very satisfied")
    with pytest.raises(DataError, match="'y' must be numeric; row 0 holds 'Very satisfied'"):
        design_of(frame).mean("y")


def test_singleton_psu_fails_by_default_naming_the_stratum() -> None:
    frame = survey_frame(2)
    frame.loc[frame["stratum"] == 3, "psu"] = 99
    design = cf.Design(frame, weights="w", strata="stratum", psu="psu")
    with pytest.raises(DesignError, match=r"stratum \(3\) has only one PSU"):
        design.mean("x")
    assert np.isfinite(design.options(lonely_psu="adjust").mean("x").se)


def test_psu_ids_repeated_across_strata_need_nest() -> None:
    frame = survey_frame(4).assign(psu=lambda f: f["psu"] % 10)
    with pytest.raises(DesignError, match="nest=True"):
        cf.Design(frame, weights="w", strata="stratum", psu="psu")
    nested = cf.Design(frame, weights="w", strata="stratum", psu="psu", nest=True)
    assert nested.n_psu == frame.groupby(["stratum", "psu"]).ngroups


def test_subset_never_drops_rows() -> None:
    frame = survey_frame(6)
    sub = design_of(frame).subset(frame["dom"] == "a")
    assert len(sub.data) == len(frame)
    assert (sub.weights[frame["dom"] != "a"] == 0).all()
