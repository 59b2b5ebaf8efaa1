"""svyttest, svychisq, svytable, svyglm, regTermTest and wR2 reproduced from R's survey package.

Cases: shared/reference/golden/survey_tests_models.json, the svyglm / svychisq / svyttest
entries of shared/reference/golden/survey_replicate.json, and (when present) the extra R cases
in tests/reference/golden/extra_tests_models.json and extra_replicate.json. Estimates, SEs,
statistics and degrees of freedom agree to 1e-8 relative, p-values to 1e-6.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import citizensfirst as cf
from conftest import LOCAL_REFERENCE, golden, reference_data
from rcall import build_design, close, run
from test_golden_replicate import DESIGNS as SHARED_REP_DESIGNS
from test_golden_replicate import replicate_design

P_RTOL = 1e-6
INFERENCE = ("svyttest", "svychisq", "svyglm", "regTermTest", "svytable", "wr2")


def _kind(call: str) -> str:
    return call.split("(")[0]


# ------------------------------------------------------------------ designs


def _taylor(entry: dict, local: bool) -> dict[str, cf.Design]:
    name = entry["design"].split("<-")[0].strip()
    return {name: build_design(entry["design"], reference_data(entry["data"], local=local))}


def extra_replicate_design(spec: dict) -> cf.Design:
    """A replicate design of tests/reference/golden/extra_replicate.json, from its CSV files."""
    data = reference_data(spec["data"], local=True).reset_index(drop=True)
    method = spec["type"].lower()
    rho = None
    if method == "fay":
        m = re.search(r"rho\s*=\s*([\d.]+)", spec["call"])
        rho = float(m.group(1)) if m else None
    common = {"method": method, "scale": spec["scale"], "rscales": spec["rscales"],
              "mse": spec["mse"], "rho": rho}
    if spec.get("repweights_file"):
        reps = pd.read_csv(LOCAL_REFERENCE / spec["repweights_file"])
        frame = pd.concat([data, reps.add_prefix("rw_")], axis=1)
        cols = [c for c in frame.columns if c.startswith("rw_rep")]
        return cf.Design(frame, weights="rw_pw", replicate_weights=cols, combined_weights=False,
                         **common)
    reps = pd.read_csv(LOCAL_REFERENCE / spec["supplied_repweights_file"])
    reps = reps[[c for c in reps.columns if c.startswith("rep")]]
    frame = pd.concat([data, reps.add_prefix("rw_")], axis=1)
    cols = [c for c in frame.columns if c.startswith("rw_rep")]
    weights = re.search(r"weights\s*=\s*~(\w+)", spec["call"]).group(1)
    return cf.Design(frame, weights=weights, replicate_weights=cols,
                     combined_weights=spec["combined_weights"], **common)


def _extra_rep_specs() -> dict[str, dict]:
    if not (LOCAL_REFERENCE / "golden" / "extra_replicate.json").exists():
        return {}
    return {s["id"]: s for s in golden("extra_replicate.json", local=True)["replicate_designs"]}


# ------------------------------------------------------------------ cases


def _cases() -> list[tuple[str, str, dict]]:
    cases = [("shared", "", e) for e in golden("survey_tests_models.json")["entries"]]
    for spec in SHARED_REP_DESIGNS:
        for est in spec["estimates"]:
            if _kind(est["call"]) in INFERENCE:
                cases.append(("shared_rep", spec["id"], est))
    if (LOCAL_REFERENCE / "golden" / "extra_tests_models.json").exists():
        cases += [("extra", "", e) for e in golden("extra_tests_models.json", local=True)["entries"]]
    for spec in _extra_rep_specs().values():
        for est in spec["estimates"]:
            if _kind(est["call"]) in INFERENCE:
                cases.append(("extra_rep", spec["id"], est))
    return cases


CASES = _cases()


def _designs(source: str, design_id: str, entry: dict) -> dict[str, cf.Design]:
    if source == "shared":
        return _taylor(entry, local=False)
    if source == "shared_rep":
        spec = next(s for s in SHARED_REP_DESIGNS if s["id"] == design_id)
        return {design_id: replicate_design(spec)}
    if source == "extra_rep":
        return {design_id: extra_replicate_design(_extra_rep_specs()[design_id])}
    last = entry["design"].split(";")[-1]
    name = last.split("<-")[0].strip()
    if "as.svrepdesign" in last or "svrepdesign" in last:
        return {name: extra_replicate_design(_extra_rep_specs()[name])}
    return _taylor(entry, local=True)


def _id(case: tuple[str, str, dict]) -> str:
    source, design_id, entry = case
    return f"{source}:{entry.get('id') or design_id + ':' + entry['call']}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_r(case: tuple[str, str, dict]) -> None:
    source, design_id, entry = case
    ours = run(entry["call"], _designs(source, design_id, entry))
    check(entry["result"], ours)


# ------------------------------------------------------------------ comparisons


def _pclose(ours: float, theirs: float, what: str) -> None:
    np.testing.assert_allclose(float(ours), float(theirs), rtol=P_RTOL, atol=1e-300, err_msg=what)


def _table(ours: pd.DataFrame, spec: dict, what: str) -> None:
    assert [str(v) for v in ours.index] == [str(v) for v in spec["rownames"]], what
    assert [str(v) for v in ours.columns] == [str(v) for v in spec["colnames"]], what
    values = np.asarray(spec["values"], dtype=float)
    close(ours.to_numpy(), values, float(np.abs(values).max()), what)


def check(result, ours) -> None:
    if not isinstance(result, dict):  # wr2: a number
        close(ours, result, 1.0, "R^2")
        return
    kind = result["type"]
    if kind == "htest":
        close(ours.statistic, result["statistic"], 1.0, "statistic")
        assert ours.statistic_name == result["statistic_name"]
        wanted = result["parameter"] or {}
        assert sorted(ours.parameters) == sorted(wanted)
        for key, value in wanted.items():
            close(ours.parameters[key], value, 1.0, key)
        _pclose(ours.p_value, result["p_value"], "p-value")
        if result["estimate"] is not None:
            assert list(ours.estimate) == list(result["estimate"]) or len(result["estimate"]) == 1
            close(list(ours.estimate.values()), list(result["estimate"].values()), 1.0, "estimate")
        if result["conf_int"] is not None:
            scale = max(abs(v) for v in result["conf_int"])
            close(list(ours.conf_int), result["conf_int"], scale, "CI")
        if result["observed"] is not None:
            _table(ours.observed, result["observed"], "observed")
    elif kind == "svytable":
        _table(ours, result["table"], "table")
    elif kind == "svyglm":
        names = list(result["coef"])
        assert list(ours.coefficients.index) == names
        assert ours.family == result["family"] and ours.link == result["link"]
        scale = max(abs(v) for v in result["coef"].values())
        close(ours.coefficients, list(result["coef"].values()), scale, "coef")
        close(ours.se, list(result["se"].values()), scale, "se")
        close(ours.statistic, list(result["t_or_z"].values()), 1.0, "t")
        for got, want in zip(ours.p_values, result["p_value"].values(), strict=True):
            _pclose(got, want, "p-value")
        close(ours.df_residual, result["df_residual"], 1.0, "df.residual")
        close(ours.dispersion, result["dispersion"], 1.0, "dispersion")
        vcov = np.asarray(result["vcov"]["values"], dtype=float)
        close(ours.vcov.to_numpy(), vcov, float(np.abs(vcov).max()), "vcov")
        if "deviance" in result:
            close(ours.deviance, result["deviance"], 1.0, "deviance")
            close(ours.null_deviance, result["null_deviance"], 1.0, "null deviance")
    elif kind in ("regTermTest", "regTermTestLRT", "regTermTestWW"):
        if result.get("Ftest") is not None:
            assert ours.statistic_name == "F"
            close(ours.statistic, result["Ftest"], 1.0, "F")
            close(ours.parameters["ndf"], result["df"], 1.0, "df")
            close(ours.parameters["ddf"], result["ddf"], 1.0, "ddf")
        else:
            close(ours.statistic, result["chisq"], 1.0, "chisq")
            close(ours.parameters["df"], result["df"], 1.0, "df")
            if result.get("ddf") is not None:
                close(ours.parameters["ddf"], result["ddf"], 1.0, "ddf")
        _pclose(ours.p_value, result["p_value"], "p-value")
        if result.get("lambda") is not None:
            close(ours.details["lambda"], result["lambda"], 1.0, "lambda")
    else:  # pragma: no cover - a new kind of case must be added here
        pytest.fail(f"unknown result type {kind}")


# ------------------------------------------------------------------ properties


def _clustered(seed: int, n_psu: int = 30, per: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_psu * per
    psu = np.repeat(np.arange(n_psu), per)
    effect = rng.normal(size=n_psu)[psu]
    return pd.DataFrame({
        "psu": psu,
        "stratum": psu % 3,
        "w": rng.uniform(1, 4, n),
        "y": 10 + effect + rng.normal(size=n),
        "x": rng.normal(size=n),
        "g": rng.choice(["a", "b"], n),
        "h": rng.choice(["p", "q", "r"], n),
    })


def test_two_group_ttest_equals_regression_coefficient() -> None:
    d = cf.Design(_clustered(1), weights="w", psu="psu", strata="stratum")
    t = d.ttest("y", by="g")
    fit = d.regress("y ~ g")
    close(t.estimate["difference in mean"], fit.coefficients["gb"], 1.0, "estimate")
    close(t.statistic, fit.statistic["gb"], 1.0, "t")
    assert t.parameters["df"] == fit.df_residual == d.degrees_of_freedom() - 1
    close(t.p_value, fit.p_values["gb"], 1.0, "p")
    close(t.conf_int, fit.conf_int().loc["gb"].to_numpy(), 1.0, "CI")


def test_one_sample_ttest_is_the_mean_on_degf_minus_one() -> None:
    d = cf.Design(_clustered(2), weights="w", psu="psu", strata="stratum")
    t = d.ttest("y", mu=10.0)
    est = d.mean("y")
    close(t.estimate["mean - mu"], est.estimate - 10.0, 1.0, "estimate")
    close(t.statistic, (est.estimate - 10.0) / est.se, 1.0, "t")
    assert t.parameters["df"] == d.degrees_of_freedom() - 1


def test_single_term_wald_test_is_the_squared_t() -> None:
    d = cf.Design(_clustered(3), weights="w", psu="psu", strata="stratum")
    fit = d.regress("y ~ x + h")
    res = fit.wald_test("x")
    close(res.statistic, fit.statistic["x"] ** 2, 1.0, "F = t^2")
    close(res.p_value, fit.p_values["x"], 1.0, "p")
    assert res.parameters == {"ndf": 1, "ddf": fit.df_residual}
    assert fit.wald_test("h", df=np.inf).parameters == {"df": 2}


def test_chisq_on_independent_data_rarely_rejects() -> None:
    rejections = 0
    pvalues = []
    for seed in range(40):
        d = cf.Design(_clustered(100 + seed), weights="w", psu="psu", strata="stratum")
        p = d.chisq("g", "h").p_value
        pvalues.append(p)
        rejections += p < 0.05
    assert rejections <= 6
    assert np.median(pvalues) > 0.25


def test_chisq_detects_association() -> None:
    df = _clustered(7)
    df["h"] = np.where(df["g"] == "a", "p", df["h"])
    d = cf.Design(df, weights="w", psu="psu", strata="stratum")
    for statistic in ("F", "Chisq", "Wald", "adjWald", "saddlepoint", "lincom"):
        assert d.chisq("g", "h", statistic).p_value < 1e-4


def test_lincom_uses_the_saddlepoint_law() -> None:
    d = cf.Design(_clustered(8), weights="w", psu="psu", strata="stratum")
    assert d.chisq("g", "h", "lincom").p_value == d.chisq("g", "h", "saddlepoint").p_value


def test_inputs_are_not_mutated() -> None:
    df = _clustered(4)
    df.loc[3, "x"] = np.nan
    before = df.copy(deep=True)
    d = cf.Design(df, weights="w", psu="psu", strata="stratum")
    d.regress("y ~ x + g")
    d.regress("g == 'a' ~ x", family="quasibinomial")
    d.ttest("y", by="g")
    d.chisq("g", "h", "Wald")
    d.table("g", "h")
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(d.data, before)


def test_missing_model_values_keep_their_rows_with_weight_zero() -> None:
    df = _clustered(5)
    df.loc[[0, 9, 17], "x"] = np.nan
    d = cf.Design(df, weights="w", psu="psu", strata="stratum")
    fit = d.regress("y ~ x")
    assert fit.n == len(df) - 3
    complete = cf.Design(df.dropna(subset=["x"]).reset_index(drop=True), weights="w", psu="psu",
                         strata="stratum")
    close(fit.coefficients, complete.regress("y ~ x").coefficients, 1.0, "coefficients")
    # the domain semantics: identical to zero weights on those rows
    zero = df.assign(x=df["x"].fillna(0.0), w=np.where(df["x"].isna(), 0.0, df["w"]))
    zfit = cf.Design(zero, weights="w", psu="psu", strata="stratum").regress("y ~ x")
    close(fit.vcov.to_numpy(), zfit.vcov.to_numpy(), 1.0, "vcov")


def test_subset_regression_matches_zero_weights_outside_the_domain() -> None:
    df = _clustered(6)
    d = cf.Design(df, weights="w", psu="psu", strata="stratum")
    sub = d.subset(df["g"] == "a").regress("y ~ x")
    zero = cf.Design(df.assign(w=np.where(df["g"] == "a", df["w"], 0.0)), weights="w",
                     psu="psu", strata="stratum").regress("y ~ x")
    close(sub.coefficients, zero.coefficients, 1.0, "coefficients")
    close(sub.vcov.to_numpy(), zero.vcov.to_numpy(), 1.0, "vcov")


def test_replicate_design_regression_runs_and_differs_from_naive() -> None:
    d = cf.Design(_clustered(9), weights="w", psu="psu", strata="stratum")
    taylor = d.regress("g == 'b' ~ x", family="binomial")
    jk = d.as_replicate("jkn").regress("g == 'b' ~ x", family="binomial")
    close(jk.coefficients, taylor.coefficients, 1.0, "same point estimates")
    assert np.all(jk.se > 0) and jk.df_residual == taylor.df_residual


def test_clear_errors() -> None:
    df = _clustered(10)
    d = cf.Design(df, weights="w", psu="psu", strata="stratum")
    with pytest.raises(cf.DataError, match="not found"):
        d.regress("y ~ nosuch")
    with pytest.raises(cf.DataError, match="not found"):
        d.ttest("nosuch")
    with pytest.raises(cf.DataError, match="not found"):
        d.chisq("g", "nosuch")
    with pytest.raises(cf.DataError, match="not found"):
        d.table("nosuch")
    with pytest.raises(cf.DataError, match="numeric"):
        d.ttest("g")
    with pytest.raises(cf.DataError, match="numeric"):
        d.regress("h ~ x")
    with pytest.raises(cf.DataError, match="exactly 2 levels"):
        d.ttest("y", by="h")
    with pytest.raises(cf.DataError, match="exactly 2 levels"):
        d.subset(df["g"] == "a").ttest("y", by="g")
    with pytest.raises(cf.DataError, match="family"):
        d.regress("y ~ x", family="gamma")
    with pytest.raises(cf.DataError, match="statistic"):
        d.chisq("g", "h", "wls-score")
    with pytest.raises(cf.DataError, match="not in the model"):
        d.regress("y ~ x").wald_test("h")
    with pytest.raises(cf.DataError, match="rank deficient"):
        d.regress("y ~ x + I(2 * x)")


def test_results_render() -> None:
    d = cf.Design(_clustered(11), weights="w", psu="psu", strata="stratum")
    fit = d.regress("y ~ x + h")
    assert "stype" not in repr(fit) and "hq" in repr(fit)
    assert "<table" in fit._repr_html_()
    assert list(fit.to_frame().columns) == ["term", "estimate", "se", "t", "p_value", "ci_low", "ci_high"]
    res = d.chisq("g", "h")
    assert "Rao & Scott" in repr(res) and "<table" in res._repr_html_()
    assert res.to_frame().loc[0, "statistic_name"] == "F"
    assert res.observed.shape == res.expected.shape == (2, 3)
    t = d.ttest("y", by="g")
    assert {"estimate", "ci_low", "ci_high", "df"} <= set(t.to_frame().columns)
    assert 0.0 <= fit.r_squared <= 1.0
    assert np.isnan(d.regress("y ~ x", family="quasipoisson").r_squared)
