"""The synthetic sample study: reproducible bytes, labels, codes, design and documented truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from citizensfirst import samplegen as sg
from citizensfirst.errors import DataError
from citizensfirst.fileutil import sha256_file
from citizensfirst.io.codebook import Codebook

N = {"cf2023": 4300, "cf2020": 4040, "cf2018": 3180, "bf2023": 1500}
CMT_IDS = {"timeliness", "ease_of_access", "staff_knowledge", "courtesy", "fairness", "outcome",
           "contacts", "extra_mile", "overall"}
DRIVER_NAMES = ["q_time", "q_access", "q_staff_knowledge", "q_courtesy", "q_fair", "q_outcome",
                "q_contacts", "q_extra_mile"]


def _sums(folder: Path) -> dict[str, str]:
    lines = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    sg.generate_sample(out)
    return out


@pytest.fixture(scope="module")
def waves() -> dict[str, tuple[pd.DataFrame, object, Codebook]]:
    out = {}
    for wave in sg.SAMPLE_WAVES:
        df, meta = pyreadstat.read_sav(str(sg.sample_path(wave)), user_missing=True)
        out[wave] = (df, meta, Codebook.from_toml(sg.sample_codebook_path(wave)))
    return out


def _wmean(x: np.ndarray, w: np.ndarray, valid: np.ndarray) -> float:
    return float((x[valid] * w[valid]).sum() / w[valid].sum())


def _rake(df: pd.DataFrame) -> np.ndarray:
    """Minimal raking of the design weights to the documented margins (and province shares)."""
    w = df["wt_design"].to_numpy(dtype=float).copy()
    educ = np.array([sg.params.POP_CELL[sg.params.CELL_EDUC == k].sum() for k in range(3)])
    margins = {"age_grp": sg.params.AGE_POP, "gender": sg.params.GENDER_POP, "educ": educ}
    prov = np.searchsorted(sg.params.PROV_CODES, df["prov"].to_numpy())
    for _ in range(30):
        for var, target in margins.items():
            x = df[var].to_numpy(dtype=int) - 1
            w *= (target * w.sum() / np.bincount(x, weights=w, minlength=3))[x]
        w *= (sg.params.PROV_SHARE * w.sum() / np.bincount(prov, weights=w, minlength=13))[prov]
    return w


# --- reproducibility ------------------------------------------------------------------------


@pytest.mark.slow
def test_regeneration_is_byte_identical(regenerated: Path) -> None:
    committed = _sums(sg.SAMPLE_DIR)
    fresh = _sums(regenerated)
    assert fresh == committed
    expected = {f"{w}{ext}" for w in sg.SAMPLE_WAVES for ext in (".sav", ".codebook.toml")}
    assert set(committed) == expected | {"README.md"}
    for name, digest in committed.items():
        assert sha256_file(regenerated / name) == digest, name
        assert sha256_file(sg.SAMPLE_DIR / name) == digest, f"committed {name} is stale"


def test_sav_header_date_is_fixed_and_files_are_small() -> None:
    total = 0
    for path in sg.SAMPLE_DIR.iterdir():
        total += path.stat().st_size
        if path.suffix == ".sav":
            head = path.read_bytes()[:110]
            assert head[:4] == b"$FL2"
            assert head[92:109] == b"01 Jan 2400:00:00"
    assert total < 5_000_000


def test_sample_path() -> None:
    assert sg.SAMPLE_DIR.is_dir()
    assert sg.sample_path() == sg.SAMPLE_DIR / "cf2023.sav"
    assert sg.sample_codebook_path() == sg.SAMPLE_DIR / "cf2023.codebook.toml"
    for wave in sg.SAMPLE_WAVES:
        assert sg.sample_path(wave).is_file()
        assert sg.sample_codebook_path(wave).is_file()
    with pytest.raises(DataError, match="unknown sample wave"):
        sg.sample_path("cf1999")
    root_link = Path(__file__).resolve().parents[1] / "data" / "sample"
    if root_link.is_symlink():
        assert root_link.resolve() == sg.SAMPLE_DIR.resolve()


# --- file contents --------------------------------------------------------------------------


def test_labels_codes_and_user_missing(waves: dict) -> None:
    for wave, (df, meta, cb) in waves.items():
        assert len(df) == N[wave], wave
        assert list(df.columns) == list(cb), wave
        assert df["resp_id"].is_unique
        assert meta.column_names_to_labels == {name: var.label for name, var in cb.items()}
        for name, var in cb.items():
            assert var.label_fr, (wave, name)
            if var.value_labels:
                assert var.value_labels_fr, (wave, name)
                labels = meta.variable_value_labels[name]
                assert {int(k) for k in labels} == set(var.value_labels) | set(var.missing)
            declared = {int(r["lo"]) for r in meta.missing_ranges.get(name, [])}
            assert declared == set(var.missing), (wave, name)
            if var.scale is not None:
                low, high = var.scale
                codes = set(df[name].unique())
                assert codes <= set(range(low, high + 1)) | set(var.missing), (wave, name)
            if var.dimension is not None:
                assert var.dimension in CMT_IDS
        # don't-know codes are real codes in the file, not system-missing
        assert not df.isna().any().any(), wave


def test_driver_items_and_dk_rates(waves: dict) -> None:
    for wave, (df, _meta, cb) in waves.items():
        names = [("q_knowledge" if (n == "q_staff_knowledge" and wave == "cf2018") else n)
                 for n in DRIVER_NAMES]
        assert [cb[n].dimension for n in names] == [
            "timeliness", "ease_of_access", "staff_knowledge", "courtesy", "fairness", "outcome",
            "contacts", "extra_mile"]
        for n in ("q_access", "q_fair", "q_extra_mile"):
            share = (df[n] > 5).mean()
            assert 0.01 < share < 0.10, (wave, n, share)
        for n in ("q_time", "q_staff_knowledge" if wave != "cf2018" else "q_knowledge", "q_outcome"):
            assert set(df[n].unique()) == {1, 2, 3, 4, 5}
        ratings = df[names].where(df[names] <= 5)
        corr = ratings.corr().to_numpy()[np.triu_indices(8, 1)]
        assert 0.2 < corr.min() and corr.max() < 0.7, wave


def test_wave_differences(waves: dict) -> None:
    cols = {w: set(df.columns) for w, (df, _m, _c) in waves.items()}
    assert "q_knowledge" in cols["cf2018"] and "q_staff_knowledge" not in cols["cf2018"]
    assert all("q_staff_knowledge" in cols[w] for w in ("cf2020", "cf2023", "bf2023"))
    assert "q_online_acct" in cols["cf2023"]
    assert "q_online_acct" not in cols["cf2020"] | cols["cf2018"]
    cb18, cb20, cb23 = (waves[w][2] for w in ("cf2018", "cf2020", "cf2023"))
    assert cb18["q_overall"].scale == (0, 10) and cb20["q_overall"].scale == (1, 5)
    assert set(waves["cf2018"][0]["q_overall"].unique()) == set(range(11)) | {98}
    assert set(cb18["q_fair"].missing) == set(cb20["q_fair"].missing) == {8, 9}
    assert set(cb23["q_fair"].missing) == {98, 99}
    assert {98, 99} <= set(waves["cf2023"][0]["q_fair"].unique())
    assert cb23["q_fair"].missing_fr[98] == "Ne sait pas"
    assert {"stratum", "psu"} <= cols["cf2020"]
    assert not ({"stratum", "psu"} & (cols["cf2018"] | cols["cf2023"]))


def test_services_and_channels(waves: dict) -> None:
    for df, _meta, _cb in waves.values():
        n_svc = df["n_services"].to_numpy()
        for k in (1, 2, 3):
            used = n_svc >= k
            assert (df[f"svc{k}_type"][~used] == 99).all() and (df[f"svc{k}_sat"][~used] == 9).all()
            assert df[f"svc{k}_sat"][used].between(1, 5).all()
        types = df[["svc1_type", "svc2_type", "svc3_type"]].to_numpy()
        assert ((types[:, 0] != types[:, 1]) | (types[:, 1] == 99)).all()  # distinct services
        assert set(df["gov_level"].unique()) == {1, 2, 3}
        assert set(df["chan_used"].unique()) == set(df["chan_pref"].unique()) == {1, 2, 3, 4}


# --- design ---------------------------------------------------------------------------------


def test_design_weights_reproduce_census_shares(waves: dict) -> None:
    for wave in ("cf2018", "cf2020", "cf2023"):
        df = waves[wave][0]
        w = df["wt_design"]
        assert w.sum() == pytest.approx(len(df), rel=1e-12)
        shares = w.groupby(df["prov"]).sum() / w.sum()
        assert list(shares.index) == list(sg.params.PROV_CODES)
        np.testing.assert_allclose(shares.to_numpy(), sg.params.PROV_POP / sg.params.PROV_POP.sum(), atol=1e-9)
        # Ontario 2021 Census: 14,223,942 of 36,991,981
        assert shares[35] == pytest.approx(14_223_942 / 36_991_981, abs=1e-9)
        # roughly equal allocation: the unweighted Ontario share is far below its population share
        assert (df["prov"] == 35).mean() < 0.1


def test_clustered_wave(waves: dict) -> None:
    df = waves["cf2020"][0]
    assert (df["stratum"] == df["prov"]).all()
    assert (df.groupby("psu")["stratum"].nunique() == 1).all()  # PSUs nested in strata
    per_stratum = df.groupby("stratum")["psu"].nunique()
    assert per_stratum[sg.params.PROV_CODES[~sg.params.IS_TERRITORY]].between(10, 20).all()
    assert per_stratum.min() >= 2


def test_business_first_design(waves: dict) -> None:
    df = waves["bf2023"][0]
    counts = sg.simulate.bf_frame_counts()
    assert df["wt_design"].sum() == pytest.approx(counts.sum(), rel=1e-12)
    by_stratum = df.groupby("stratum")["wt_design"].sum()
    for s in range(4):
        for r in range(6):
            assert by_stratum[(s + 1) * 10 + r + 1] == pytest.approx(counts[s, r].sum(), rel=1e-12)
    assert (df["stratum"] == df["firm_size"] * 10 + df["region"]).all()
    # large firms are oversampled
    assert (df["firm_size"] == 4).mean() > 5 * sg.params.SIZE_SHARE[3]


def test_documented_skew(waves: dict) -> None:
    df = waves["cf2023"][0]
    pop_univ = sg.params.POP_CELL[sg.params.CELL_EDUC == 2].sum()
    expected = sg.params.SAMPLE_CELL[sg.params.CELL_EDUC == 2].sum()
    observed = (df["educ"] == 3).mean()
    assert abs(pop_univ - 0.3085) < 1e-9
    assert observed - pop_univ > 0.10
    assert observed == pytest.approx(expected, abs=0.03)
    assert (df["age_grp"] == 3).mean() > sg.params.AGE_POP[2] + 0.04
    assert (df["gender"] == 2).mean() > sg.params.GENDER_POP[1] + 0.02


# --- ground truth ---------------------------------------------------------------------------


@pytest.mark.slow
def test_analytic_truth_matches_a_population_draw() -> None:
    truth = sg.ground_truth()["means"]
    for year, wave in ((2020, "cf2020"), (2023, "cf2023")):
        pop = sg.truth.population_draw(year)
        for name in ("q_time", "q_courtesy", "q_outcome", "q_overall", "q_value"):
            assert pop[name].mean() == pytest.approx(truth[wave][name], abs=0.012), (wave, name)


def test_truth_change_and_non_change() -> None:
    m = sg.ground_truth()["means"]
    assert m["cf2023"]["q_time"] - m["cf2020"]["q_time"] < -0.25
    assert m["cf2023"]["q_courtesy"] == m["cf2020"]["q_courtesy"]
    assert m["cf2018"] | {"q_overall_0_10": None} == m["cf2020"] | {"q_overall_0_10": None}


def test_raking_removes_bias_and_finds_the_change(waves: dict) -> None:
    truth = sg.ground_truth()["means"]
    est = {}
    for wave in ("cf2020", "cf2023"):
        df = waves[wave][0]
        raked, design = _rake(df), df["wt_design"].to_numpy()
        for name in ("q_time", "q_courtesy", "q_outcome"):
            x = df[name].to_numpy()
            valid = x <= 5
            est[wave, name] = _wmean(x, raked, valid)
            assert abs(est[wave, name] - truth[wave][name]) < 0.08, (wave, name)
        x = df["q_outcome"].to_numpy()
        assert _wmean(x, design, x <= 5) - truth[wave]["q_outcome"] > 0.04  # skew biases upward
    assert est["cf2023", "q_time"] - est["cf2020", "q_time"] < -0.15
    assert abs(est["cf2023", "q_courtesy"] - est["cf2020", "q_courtesy"]) < 0.08


def test_shapley_ranking_recovered_in_the_samples(waves: dict) -> None:
    truth = sg.ground_truth()
    assert truth["ranking"]["cf"][:3] == ["outcome", "timeliness", "staff_knowledge"]
    assert truth["ranking"]["bf"][:3] == ["timeliness", "outcome", "ease_of_access"]
    for wave in ("cf2023", "cf2020", "cf2018", "bf2023"):
        df = waves[wave][0]
        shares = sg.truth.weighted_shapley(df, 2018 if wave == "cf2018" else 0, df["wt_design"].to_numpy())
        top = [sg.params.DRIVER_KEYS[j] for j in np.argsort(-shares)[:3]]
        assert top == truth["ranking"]["bf" if wave == "bf2023" else "cf"][:3], wave


def test_readme_documents_the_truth() -> None:
    text = (sg.SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for needle in ("98-10-0001", "ILLUSTRATIVE", "Timeliness falls", "Courtesy does not change",
                   "q_knowledge", "user-missing", *sg.SAMPLE_WAVES):
        assert needle in text
