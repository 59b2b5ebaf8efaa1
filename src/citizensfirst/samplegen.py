"""A seeded generator of the synthetic sample study shipped with citizensfirst.

The study has three Citizens First waves (``cf2018``, ``cf2020``, ``cf2023``) and one Business
First wave (``bf2023``). Each wave is an SPSS ``.sav`` file (English variable and value labels,
don't-know / refused codes declared as SPSS user-missing values) with a sidecar codebook
``<stem>.codebook.toml`` that adds French labels, scales, measures and CMT dimension ids.

The data come from a latent-factor model whose parameters are all written down here, so the true
population values (means, driver effects, the one real change between waves) are known; the
generator also writes ``README.md`` with that ground truth and ``SHA256SUMS``. Regenerating gives
byte-identical files (fixed seeds, and the creation date/time that pyreadstat writes into the SPSS
header is overwritten with a fixed value).

>>> sample_path("cf2023").name
'cf2023.sav'
>>> SAMPLE_WAVES
('cf2023', 'cf2020', 'cf2018', 'bf2023')

Regenerate the shipped files with ``python -m citizensfirst.samplegen [--out DIR]``.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .codebook import Codebook, Variable
from .errors import DataError
from .fileutil import atomic_output, atomic_write_text, sha256_file

__all__ = [
    "SAMPLE_DIR",
    "SAMPLE_WAVES",
    "generate_sample",
    "ground_truth",
    "main",
    "sample_codebook_path",
    "sample_path",
    "simulate_wave",
]

SAMPLE_WAVES: tuple[str, ...] = ("cf2023", "cf2020", "cf2018", "bf2023")
"""The sample waves, newest Citizens First wave first; ``bf2023`` is the Business First wave."""

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"

# The fixed creation date/time written into every SPSS header (bytes 92..108).
_SAV_DATE = b"01 Jan 24"
_SAV_TIME = b"00:00:00"

# ---------------------------------------------------------------------------------------------
# Population: 2021 Census counts (Statistics Canada, table 98-10-0001-01) and demographic margins
# ---------------------------------------------------------------------------------------------

# (SGC code, abbreviation, English name, French name, 2021 Census population)
PROVINCES: tuple[tuple[int, str, str, str, int], ...] = (
    (10, "NL", "Newfoundland and Labrador", "Terre-Neuve-et-Labrador", 510_550),
    (11, "PE", "Prince Edward Island", "Île-du-Prince-Édouard", 154_331),
    (12, "NS", "Nova Scotia", "Nouvelle-Écosse", 969_383),
    (13, "NB", "New Brunswick", "Nouveau-Brunswick", 775_610),
    (24, "QC", "Quebec", "Québec", 8_501_833),
    (35, "ON", "Ontario", "Ontario", 14_223_942),
    (46, "MB", "Manitoba", "Manitoba", 1_342_153),
    (47, "SK", "Saskatchewan", "Saskatchewan", 1_132_505),
    (48, "AB", "Alberta", "Alberta", 4_262_635),
    (59, "BC", "British Columbia", "Colombie-Britannique", 5_000_879),
    (60, "YT", "Yukon", "Yukon", 40_232),
    (61, "NT", "Northwest Territories", "Territoires du Nord-Ouest", 41_070),
    (62, "NU", "Nunavut", "Nunavut", 36_858),
)
PROV_CODES = np.array([p[0] for p in PROVINCES])
PROV_POP = np.array([p[4] for p in PROVINCES], dtype=float)
PROV_SHARE = PROV_POP / PROV_POP.sum()
IS_TERRITORY = PROV_CODES >= 60
# Province effect on every satisfaction latent (latent SD units).
PROV_SHIFT = np.array([0.15, 0.12, 0.05, 0.05, 0.10, -0.05, 0.00, 0.03, -0.08, -0.03, 0.00, -0.05, -0.15])

AGE_LABELS = ("18-34", "35-54", "55 and over")
AGE_LABELS_FR = ("18 à 34 ans", "35 à 54 ans", "55 ans et plus")
GENDER_LABELS = ("Man", "Woman", "Another gender")
GENDER_LABELS_FR = ("Homme", "Femme", "Autre genre")
EDUC_LABELS = ("High school or less", "College, CEGEP or trades", "University degree")
EDUC_LABELS_FR = ("Études secondaires ou moins", "Collège, cégep ou école de métiers",
                  "Diplôme universitaire")

# True adult population structure (the same in every province and every wave). Illustrative values
# close to the 2021 Census; they are the exact margins of the synthetic population.
AGE_POP = np.array([0.27, 0.32, 0.41])
GENDER_POP = np.array([0.487, 0.510, 0.003])
EDUC_GIVEN_AGE = np.array([[0.33, 0.30, 0.37],   # 18-34
                           [0.30, 0.33, 0.37],   # 35-54
                           [0.45, 0.33, 0.22]])  # 55+
# Online-panel-like response propensities (relative): older, more women, more educated.
AGE_TILT = np.array([0.70, 0.95, 1.30])
GENDER_TILT = np.array([0.90, 1.10, 2.00])
EDUC_TILT = np.array([0.60, 0.95, 1.50])
# Demographic effects on every satisfaction latent (latent SD units).
AGE_SHIFT = np.array([-0.35, 0.00, 0.30])
GENDER_SHIFT = np.array([0.00, 0.08, -0.25])
EDUC_SHIFT = np.array([-0.15, 0.00, 0.15])

_A, _G, _E = np.meshgrid(np.arange(3), np.arange(3), np.arange(3), indexing="ij")
CELL_AGE, CELL_GENDER, CELL_EDUC = _A.ravel(), _G.ravel(), _E.ravel()  # cell = 9*age + 3*gender + educ
POP_CELL = AGE_POP[CELL_AGE] * GENDER_POP[CELL_GENDER] * EDUC_GIVEN_AGE[CELL_AGE, CELL_EDUC]
_TILTED = POP_CELL * AGE_TILT[CELL_AGE] * GENDER_TILT[CELL_GENDER] * EDUC_TILT[CELL_EDUC]
SAMPLE_CELL = _TILTED / _TILTED.sum()
CELL_SHIFT = AGE_SHIFT[CELL_AGE] + GENDER_SHIFT[CELL_GENDER] + EDUC_SHIFT[CELL_EDUC]

# ---------------------------------------------------------------------------------------------
# The satisfaction model
# ---------------------------------------------------------------------------------------------

# (key, variable name, CMT dimension, loading on the common factor, base latent mean,
#  Citizens First effect on the overall latent, Business First effect)
DRIVERS: tuple[tuple[str, str, str, float, float, float, float], ...] = (
    ("timeliness", "q_time", "timeliness", 0.62, -0.10, 0.28, 0.44),
    ("ease_of_access", "q_access", "ease_of_access", 0.58, 0.05, 0.07, 0.16),
    ("staff_knowledge", "q_staff_knowledge", "staff_knowledge", 0.64, 0.25, 0.18, 0.03),
    ("courtesy", "q_courtesy", "courtesy", 0.62, 0.45, 0.03, 0.02),
    ("fairness", "q_fair", "fairness", 0.60, 0.35, 0.04, 0.02),
    ("outcome", "q_outcome", "outcome", 0.62, 0.15, 0.40, 0.28),
    ("contacts", "q_contacts", "contacts", 0.56, -0.20, 0.02, 0.02),
    ("extra_mile", "q_extra_mile", "extra_mile", 0.62, -0.05, 0.01, 0.01),
)
DRIVER_KEYS = tuple(d[0] for d in DRIVERS)
LOADINGS = np.array([d[3] for d in DRIVERS])
BASE_MEANS = np.array([d[4] for d in DRIVERS])
BETA = {"cf": np.array([d[5] for d in DRIVERS]), "bf": np.array([d[6] for d in DRIVERS])}
CLUSTER_VAR = 0.04  # area (cluster) random-effect variance, shared by all rating latents
TIMELINESS_CHANGE_2023 = -0.30  # the one real change: latent timeliness mean, 2020 -> 2023

# Latent driver correlation within a demographic x province cell: loadings plus the area effect.
R_WITHIN = np.outer(LOADINGS, LOADINGS) + CLUSTER_VAR
np.fill_diagonal(R_WITHIN, 1.0)

# Overall items: loading on the overall latent and intercept.
OVERALL_ITEMS = (("q_overall", 0.92, 0.25), ("q_expect", 0.86, 0.05), ("q_value", 0.72, -0.25))
TAU5 = np.array([-1.5, -0.8, 0.0, 1.0])  # thresholds latent -> 1..5
TAU11 = np.array([-2.6, -2.2, -1.8, -1.4, -1.0, -0.6, -0.15, 0.35, 0.9, 1.55])  # latent -> 0..10

# Missing-data codes on three driver items: (variable, P(don't know), P(refused / not applicable)).
DK_ITEMS = (("q_access", 0.025, 0.005), ("q_fair", 0.04, 0.01), ("q_extra_mile", 0.03, 0.02))
DK_AGE_MULT = np.array([0.8, 1.0, 1.4])  # don't know is more common among older respondents
OVERALL_DK_2018 = 0.012  # q_overall (0-10) in 2018: code 98, missing completely at random

CHANNELS = ("In person", "Telephone", "Online (website or app)", "Mail")
CHANNELS_FR = ("En personne", "Téléphone", "En ligne (site Web ou application)", "Courrier")

# Citizen services: (label, French label, level of government 1/2/3, latent mean, P(selected))
CF_SERVICES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Passport", "Passeport", 1, 0.10, 0.08),
    ("Income tax (CRA)", "Impôt sur le revenu (ARC)", 1, 0.05, 0.14),
    ("Employment Insurance", "Assurance-emploi", 1, -0.35, 0.06),
    ("Canada Pension Plan / Old Age Security", "Régime de pensions du Canada / Sécurité de la vieillesse", 1, 0.20, 0.07),
    ("Driver's licence or vehicle registration", "Permis de conduire ou immatriculation", 2, 0.15, 0.14),
    ("Health card", "Carte d'assurance maladie", 2, 0.10, 0.09),
    ("Birth, marriage or death certificate", "Certificat de naissance, de mariage ou de décès", 2, 0.05, 0.05),
    ("Hunting or fishing licence", "Permis de chasse ou de pêche", 2, 0.45, 0.04),
    ("Property tax", "Impôt foncier", 3, -0.05, 0.08),
    ("Garbage and recycling", "Collecte des ordures et recyclage", 3, 0.30, 0.10),
    ("Parks and recreation programs", "Parcs et programmes de loisirs", 3, 0.50, 0.08),
    ("Public transit", "Transport en commun", 3, -0.10, 0.07),
)
BF_SERVICES: tuple[tuple[str, str, int, float, float], ...] = (
    ("Business number or registration", "Numéro d'entreprise ou enregistrement", 1, 0.20, 0.10),
    ("GST/HST filing", "Déclaration de TPS/TVH", 1, 0.00, 0.16),
    ("Payroll remittances", "Versements des retenues sur la paie", 1, 0.05, 0.14),
    ("Corporate income tax", "Impôt sur le revenu des sociétés", 1, -0.10, 0.12),
    ("Export and trade support", "Soutien à l'exportation et au commerce", 1, 0.25, 0.04),
    ("Federal grants, loans and programs", "Subventions, prêts et programmes fédéraux", 1, -0.20, 0.06),
    ("Provincial business registration or licence", "Enregistrement ou permis d'entreprise provincial", 2, 0.10, 0.10),
    ("Workers' compensation and provincial payroll taxes", "Indemnisation des accidentés du travail et charges sociales provinciales", 2, -0.15, 0.10),
    ("Municipal business licence", "Permis d'affaires municipal", 3, 0.05, 0.08),
    ("Building, zoning or development permits", "Permis de construction, de zonage ou d'aménagement", 3, -0.45, 0.10),
)
GOV_LEVELS = ("Federal", "Provincial or territorial", "Municipal")
GOV_LEVELS_FR = ("Fédéral", "Provincial ou territorial", "Municipal")
SVC_LOADING = 0.60
SVC_N_PROBS = np.array([0.32, 0.46, 0.22])  # P(1, 2, 3 services rated)

# ---------------------------------------------------------------------------------------------
# Business First frame (ILLUSTRATIVE business counts, loosely shaped like Canada's employer
# businesses; not official counts)
# ---------------------------------------------------------------------------------------------

SIZE_LABELS = ("1-4 employees", "5-19 employees", "20-99 employees", "100 or more employees")
SIZE_LABELS_FR = ("1 à 4 employés", "5 à 19 employés", "20 à 99 employés", "100 employés ou plus")
REGION_LABELS = ("Atlantic", "Quebec", "Ontario", "Prairies", "British Columbia", "North")
REGION_LABELS_FR = ("Atlantique", "Québec", "Ontario", "Prairies", "Colombie-Britannique", "Nord")
INDUSTRY_LABELS = (
    "Goods-producing (agriculture, resources, utilities, construction)",
    "Manufacturing",
    "Wholesale and retail trade",
    "Professional, scientific, technical and business services",
    "Accommodation, food and personal services",
    "Other services (transportation, finance, health, other)",
)
INDUSTRY_LABELS_FR = (
    "Production de biens (agriculture, ressources, services publics, construction)",
    "Fabrication",
    "Commerce de gros et de détail",
    "Services professionnels, scientifiques, techniques et aux entreprises",
    "Hébergement, restauration et services personnels",
    "Autres services (transport, finance, santé, autres)",
)
BF_FRAME_TOTAL = 1_200_000
SIZE_SHARE = np.array([0.548, 0.313, 0.117, 0.022])
REGION_SHARE = np.array([0.062, 0.210, 0.370, 0.195, 0.160, 0.003])
INDUSTRY_GIVEN_SIZE = np.array([
    [0.23, 0.03, 0.16, 0.26, 0.12, 0.20],
    [0.21, 0.06, 0.19, 0.18, 0.17, 0.19],
    [0.19, 0.11, 0.18, 0.15, 0.17, 0.20],
    [0.14, 0.19, 0.17, 0.15, 0.12, 0.23],
])
BF_SIZE_ALLOC = (420, 450, 390, 240)  # sample size per firm-size class (total 1,500)
SIZE_SHIFT = np.array([0.10, 0.00, -0.10, -0.20])
REGION_SHIFT = np.array([0.05, 0.10, -0.05, -0.05, 0.00, -0.10])
INDUSTRY_SHIFT = np.array([0.05, -0.05, 0.00, -0.10, 0.05, 0.00])


@dataclass(frozen=True)
class _CFWave:
    stem: str
    year: int
    seed: int
    n_prov: int  # respondents per province
    n_terr: int  # respondents per territory
    psu_prov: int = 0  # PSUs per province (0: not clustered)
    psu_terr: int = 0


CF_WAVES = {
    "cf2018": _CFWave("cf2018", 2018, 20180531, 300, 60),
    "cf2020": _CFWave("cf2020", 2020, 20201130, 380, 80, psu_prov=16, psu_terr=4),
    "cf2023": _CFWave("cf2023", 2023, 20230915, 400, 100),
}
BF_SEED = 20231020
POP_SEED = 424242  # the simulated population used for observed-scale ground truth
POP_N = 200_000


def _driver_means(year: int) -> np.ndarray:
    means = BASE_MEANS.copy()
    if year >= 2023:
        means[DRIVER_KEYS.index("timeliness")] += TIMELINESS_CHANGE_2023
    return means


def _sigma_overall(beta: np.ndarray) -> float:
    return math.sqrt(1.0 - float(beta @ R_WITHIN @ beta))


# ---------------------------------------------------------------------------------------------
# Simulation (vectorised; no loops over respondents)
# ---------------------------------------------------------------------------------------------


def _ordinal(latent: np.ndarray, tau: np.ndarray, low: int = 1) -> np.ndarray:
    return low + (latent[..., None] > tau).sum(axis=-1)


def _gumbel_choice(rng: np.random.Generator, utility: np.ndarray) -> np.ndarray:
    """Multinomial-logit choice per row (0-based) via the Gumbel-max trick."""
    return np.argmax(utility + rng.gumbel(size=utility.shape), axis=1)


def _with_missing(rng: np.random.Generator, values: np.ndarray, p_dk: np.ndarray, p_ref: float,
                  codes: tuple[int, int]) -> np.ndarray:
    u = rng.random(values.shape[0])
    out = values.copy()
    out[u < p_dk] = codes[0]
    out[(u >= p_dk) & (u < p_dk + p_ref)] = codes[1]
    return out


def _ratings(rng: np.random.Generator, shift: np.ndarray, area: np.ndarray, year: int,
             beta: np.ndarray, overall_0_10: bool = False) -> dict[str, Any]:
    """Driver latents, the overall latent and the rating items for people with latent ``shift``."""
    n = shift.shape[0]
    factor = rng.standard_normal(n)
    unique_sd = np.sqrt(1.0 - LOADINGS**2 - CLUSTER_VAR)
    z = (_driver_means(year) + shift[:, None] + area[:, None] + factor[:, None] * LOADINGS
         + rng.standard_normal((n, len(DRIVERS))) * unique_sd)
    overall = (z - BASE_MEANS) @ beta + _sigma_overall(beta) * rng.standard_normal(n)
    items: dict[str, Any] = {"_factor": factor}
    ordinal = _ordinal(z, TAU5)
    for j, d in enumerate(DRIVERS):
        items[d[1]] = ordinal[:, j].astype(float)
    for k, (name, gamma, offset) in enumerate(OVERALL_ITEMS):
        lat = gamma * overall + math.sqrt(1 - gamma**2) * rng.standard_normal(n) + offset
        if k == 0 and overall_0_10:
            items[name] = _ordinal(lat, TAU11, low=0).astype(float)
        else:
            items[name] = _ordinal(lat, TAU5).astype(float)
    return items


def _services(rng: np.random.Generator, shift: np.ndarray, area: np.ndarray, factor: np.ndarray,
              table: Sequence[tuple[str, str, int, float, float]]) -> dict[str, np.ndarray]:
    n = shift.shape[0]
    probs = np.array([s[4] for s in table])
    effects = np.array([s[3] for s in table])
    levels = np.array([s[2] for s in table])
    n_svc = 1 + rng.choice(3, size=n, p=SVC_N_PROBS)
    # Gumbel-top-k: three distinct service types per person, sampled proportionally to probs.
    keys = np.log(probs) + rng.gumbel(size=(n, len(table)))
    picked = np.argsort(-keys, axis=1, kind="stable")[:, :3]
    unique_sd = math.sqrt(1 - SVC_LOADING**2 - CLUSTER_VAR)
    lat = (effects[picked] + shift[:, None] + area[:, None] + SVC_LOADING * factor[:, None]
           + unique_sd * rng.standard_normal((n, 3)))
    sat = _ordinal(lat, TAU5).astype(float)
    used = np.arange(3) < n_svc[:, None]
    out: dict[str, np.ndarray] = {"n_services": n_svc.astype(float)}
    for k in range(3):
        out[f"svc{k + 1}_type"] = np.where(used[:, k], picked[:, k] + 1, 99).astype(float)
        out[f"svc{k + 1}_sat"] = np.where(used[:, k], sat[:, k], 9).astype(float)
    out["gov_level"] = levels[picked[:, 0]].astype(float)
    return out


def _channels(rng: np.random.Generator, age: np.ndarray, educ: np.ndarray, year: int,
              business: bool = False) -> tuple[np.ndarray, np.ndarray]:
    n = age.shape[0]
    base = np.array([0.6, 0.3, 0.5, -2.0])
    if year == 2020:
        base = base + np.array([-0.5, 0.2, 0.3, 0.0])  # pandemic year: less in person
    elif year >= 2023:
        base = base + np.array([-0.2, 0.0, 0.5, 0.0])
    online = np.array([0.8, 0.0, -0.6])[age] + np.array([-0.3, 0.0, 0.4])[educ]
    if business:
        online = online + 0.4
    util = np.tile(base, (n, 1))
    util[:, 2] += online
    used = _gumbel_choice(rng, util)
    pref_util = util + np.array([0.0, -0.2, 0.6, -0.5])
    pref_util[np.arange(n), used] += 1.0  # habit: many prefer what they used
    pref = _gumbel_choice(rng, pref_util)
    return used.astype(float) + 1, pref.astype(float) + 1


def _simulate_cf_people(rng: np.random.Generator, prov_idx: np.ndarray, cell: np.ndarray,
                        area: np.ndarray, year: int) -> dict[str, np.ndarray]:
    """Everything but ids and weights, for people in provinces ``prov_idx`` and cells ``cell``."""
    n = prov_idx.shape[0]
    age, gender, educ = CELL_AGE[cell], CELL_GENDER[cell], CELL_EDUC[cell]
    shift = CELL_SHIFT[cell] + PROV_SHIFT[prov_idx]
    cols: dict[str, np.ndarray] = {
        "age_grp": age + 1.0, "gender": gender + 1.0, "educ": educ + 1.0,
    }
    used, pref = _channels(rng, age, educ, year)
    cols["chan_used"], cols["chan_pref"] = used, pref
    items = _ratings(rng, shift, area, year, BETA["cf"], overall_0_10=(year == 2018))
    factor = items.pop("_factor")
    cols.update(_services(rng, shift, area, factor, CF_SERVICES))
    for name, p_dk, p_ref in DK_ITEMS:
        codes = (98, 99) if (name == "q_fair" and year >= 2023) else (8, 9)
        items[name] = _with_missing(rng, items[name], p_dk * DK_AGE_MULT[age], p_ref, codes)
    if year == 2018:
        items["q_overall"] = _with_missing(rng, items["q_overall"], np.full(n, OVERALL_DK_2018), 0.0,
                                           (98, 99))
    if year >= 2023:
        p_use = _online_account_use(age, educ)
        uses = rng.random(n) < p_use
        lat = (ONLINE_ACCT_MEAN + shift + area + 0.55 * factor
               + math.sqrt(1 - 0.55**2 - CLUSTER_VAR) * rng.standard_normal(n))
        items["q_online_acct"] = np.where(uses, _ordinal(lat, TAU5), 9).astype(float)
    cols.update(items)
    return cols


ONLINE_ACCT_MEAN = -0.05


def _online_account_use(age: np.ndarray, educ: np.ndarray) -> np.ndarray:
    logit = -0.2 + np.array([0.8, 0.2, -0.7])[age] + np.array([-0.5, 0.0, 0.5])[educ]
    return 1.0 / (1.0 + np.exp(-logit))


def _cf_allocation(spec: _CFWave) -> np.ndarray:
    return np.where(IS_TERRITORY, spec.n_terr, spec.n_prov)


def _simulate_cf(spec: _CFWave) -> pd.DataFrame:
    rng = np.random.default_rng(spec.seed)
    alloc = _cf_allocation(spec)
    n = int(alloc.sum())
    prov_idx = np.repeat(np.arange(len(PROVINCES)), alloc)
    cell = rng.choice(len(POP_CELL), size=n, p=SAMPLE_CELL)
    start = np.concatenate([[0], np.cumsum(alloc)[:-1]])
    if spec.psu_prov:
        n_psu = np.where(IS_TERRITORY, spec.psu_terr, spec.psu_prov)
        pos = np.arange(n) - start[prov_idx]
        psu_local = pos * n_psu[prov_idx] // alloc[prov_idx]
        psu = PROV_CODES[prov_idx] * 100 + psu_local + 1
        _, psu_index = np.unique(psu, return_inverse=True)
        effects = rng.normal(0.0, math.sqrt(CLUSTER_VAR), size=psu_index.max() + 1)
        area = effects[psu_index]
    else:
        psu = None
        area = rng.normal(0.0, math.sqrt(CLUSTER_VAR), size=n)
    cols = _simulate_cf_people(rng, prov_idx, cell, area, spec.year)
    weight = PROV_SHARE[prov_idx] / (alloc[prov_idx] / n)
    frame = {"wave": np.full(n, float(spec.year)), "prov": PROV_CODES[prov_idx].astype(float)}
    if psu is not None:
        frame["stratum"] = PROV_CODES[prov_idx].astype(float)
        frame["psu"] = psu.astype(float)
    frame.update({k: cols.pop(k) for k in ("age_grp", "gender", "educ")})
    frame["wt_design"] = weight
    frame.update(cols)
    df = pd.DataFrame(frame)
    order = rng.permutation(n)  # interviews arrive in no particular order
    df = df.iloc[order].reset_index(drop=True)
    df.insert(0, "resp_id", (spec.year * 10_000 + np.arange(1, n + 1)).astype(float))
    if spec.year == 2018:
        df = df.rename(columns={"q_staff_knowledge": "q_knowledge"})
    return df[_cf_columns(spec.year, clustered=psu is not None)]


def _bf_frame_counts() -> np.ndarray:
    """Illustrative frame counts, shape (size, region, industry)."""
    cells = (BF_FRAME_TOTAL * SIZE_SHARE[:, None, None] * REGION_SHARE[None, :, None]
             * INDUSTRY_GIVEN_SIZE[:, None, :])
    return np.maximum(np.rint(cells), 1).astype(np.int64)


def _bf_allocation() -> np.ndarray:
    """Sample size per (size, region) stratum: per size class, regions get sqrt-proportional shares
    (at least 8), rounded by largest remainder."""
    root = np.sqrt(REGION_SHARE)
    alloc = np.zeros((len(SIZE_SHARE), len(REGION_SHARE)), dtype=np.int64)
    for s, total in enumerate(BF_SIZE_ALLOC):  # 4 size classes, not respondents
        raw = np.maximum(total * root / root.sum(), 8.0)
        raw = raw * total / raw.sum()
        base = np.floor(raw).astype(np.int64)
        extra = total - base.sum()
        base[np.argsort(-(raw - base), kind="stable")[:extra]] += 1
        alloc[s] = base
    return alloc


def _simulate_bf() -> pd.DataFrame:
    rng = np.random.default_rng(BF_SEED)
    counts = _bf_frame_counts()
    stratum_n = counts.sum(axis=2)
    alloc = _bf_allocation()
    flat = alloc.ravel()
    n = int(flat.sum())
    h = np.repeat(np.arange(flat.size), flat)
    size, region = np.divmod(h, len(REGION_SHARE))
    ind_p = counts / counts.sum(axis=2, keepdims=True)
    # industry drawn within stratum with the frame's industry mix (inverse-CDF, vectorised)
    cdf = np.cumsum(ind_p[size, region], axis=1)
    industry = np.minimum((rng.random(n)[:, None] > cdf).sum(axis=1), len(INDUSTRY_LABELS) - 1)
    weight = (stratum_n.ravel() / flat)[h]
    shift = SIZE_SHIFT[size] + REGION_SHIFT[region] + INDUSTRY_SHIFT[industry]
    area = rng.normal(0.0, math.sqrt(CLUSTER_VAR), size=n)
    role_logits = np.array([[2.0, 0.2, 0.3, -1.5], [1.0, 0.6, 0.6, -1.2],
                            [-0.3, 1.2, 0.8, -0.8], [-1.5, 1.6, 0.9, -0.5]])
    role = _gumbel_choice(rng, role_logits[size]) + 1.0
    used, pref = _channels(rng, np.ones(n, dtype=np.int64), np.full(n, 2), 2023, business=True)
    items = _ratings(rng, shift, area, 2023, BETA["bf"])
    factor = items.pop("_factor")
    svc = _services(rng, shift, area, factor, BF_SERVICES)
    for name, p_dk, p_ref in DK_ITEMS:
        codes = (98, 99) if name == "q_fair" else (8, 9)
        items[name] = _with_missing(rng, items[name], np.full(n, p_dk), p_ref, codes)
    paper_lat = (PAPERWORK_MEAN + shift + area + 0.5 * factor
                 + math.sqrt(1 - 0.25 - CLUSTER_VAR) * rng.standard_normal(n))
    uses = rng.random(n) < BF_ACCT_USE[size]
    acct_lat = (BF_ACCT_MEAN + shift + area + 0.55 * factor
                + math.sqrt(1 - 0.55**2 - CLUSTER_VAR) * rng.standard_normal(n))
    frame = {
        "wave": np.full(n, 2023.0),
        "stratum": ((size + 1) * 10 + region + 1).astype(float),
        "firm_size": size + 1.0,
        "industry": industry + 1.0,
        "region": region + 1.0,
        "wt_design": weight,
        "resp_role": role,
        "chan_used": used,
        "chan_pref": pref,
        **svc,
        **items,
        "q_paperwork": _ordinal(paper_lat, TAU5).astype(float),
        "q_online_acct": np.where(uses, _ordinal(acct_lat, TAU5), 9).astype(float),
    }
    df = pd.DataFrame(frame)
    df = df.iloc[rng.permutation(n)].reset_index(drop=True)
    df.insert(0, "resp_id", (90_000 + np.arange(1, n + 1)).astype(float))
    return df[_bf_columns()]


PAPERWORK_MEAN = -0.45
BF_ACCT_MEAN = 0.0
BF_ACCT_USE = np.array([0.50, 0.65, 0.80, 0.90])

# ---------------------------------------------------------------------------------------------
# Codebooks
# ---------------------------------------------------------------------------------------------

SAT5 = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither satisfied nor dissatisfied",
        4: "Satisfied", 5: "Very satisfied"}
SAT5_FR = {1: "Très insatisfait", 2: "Insatisfait", 3: "Ni satisfait ni insatisfait",
           4: "Satisfait", 5: "Très satisfait"}
AGREE5 = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
          5: "Strongly agree"}
AGREE5_FR = {1: "Fortement en désaccord", 2: "En désaccord", 3: "Ni en accord ni en désaccord",
             4: "D'accord", 5: "Fortement d'accord"}
EXPECT5 = {1: "Much worse than expected", 2: "Worse than expected", 3: "About as expected",
           4: "Better than expected", 5: "Much better than expected"}
EXPECT5_FR = {1: "Bien pire que prévu", 2: "Pire que prévu", 3: "À peu près comme prévu",
              4: "Mieux que prévu", 5: "Bien mieux que prévu"}
VALUE5 = {1: "Very poor value", 2: "Poor value", 3: "Fair value", 4: "Good value",
          5: "Very good value"}
VALUE5_FR = {1: "Très mauvaise valeur", 2: "Mauvaise valeur", 3: "Valeur passable",
             4: "Bonne valeur", 5: "Très bonne valeur"}
SAT11 = {0: "Extremely dissatisfied", 5: "Neither satisfied nor dissatisfied", 10: "Extremely satisfied"}
SAT11_FR = {0: "Extrêmement insatisfait", 5: "Ni satisfait ni insatisfait", 10: "Extrêmement satisfait"}

DK, DK_FR = "Don't know", "Ne sait pas"
REF, REF_FR = "Refused", "Refus"
NA, NA_FR = "Not applicable", "Sans objet"

DRIVER_TEXT = {
    "q_time": ("It took a reasonable amount of time to get the service",
               "Le service a été obtenu dans un délai raisonnable"),
    "q_access": ("It was easy to access the service", "Il était facile d'accéder au service"),
    "q_staff_knowledge": ("Staff were knowledgeable and competent",
                          "Le personnel était compétent et bien informé"),
    "q_courtesy": ("Staff were courteous", "Le personnel était courtois"),
    "q_fair": ("I was treated fairly", "J'ai été traité de façon équitable"),
    "q_outcome": ("In the end, I got what I needed",
                  "Au bout du compte, j'ai obtenu ce dont j'avais besoin"),
    "q_contacts": ("The number of contacts it took was reasonable",
                   "Le nombre de contacts nécessaires était raisonnable"),
    "q_extra_mile": ("Staff went the extra mile to make sure I got what I needed",
                     "Le personnel a fait un effort supplémentaire pour que j'obtienne ce dont j'avais besoin"),
}


def _labels(labels: Sequence[str], start: int = 1) -> dict[int, str]:
    return {i + start: lab for i, lab in enumerate(labels)}


def _nominal(name: str, label: str, label_fr: str, values: Sequence[str] | None = None,
             values_fr: Sequence[str] | None = None, measure: str = "nominal") -> Variable:
    return Variable(name, label=label, label_fr=label_fr, measure=measure,  # type: ignore[arg-type]
                    value_labels=_labels(values) if values else {},
                    value_labels_fr=_labels(values_fr) if values_fr else {})


def _rating(name: str, label: str, label_fr: str, values: dict[int, str], values_fr: dict[int, str],
            dimension: str | None, missing: dict[int, str] | None = None,
            missing_fr: dict[int, str] | None = None, scale: tuple[int, int] = (1, 5)) -> Variable:
    return Variable(name, label=label, label_fr=label_fr, measure="ordinal", scale=scale,
                    dimension=dimension, value_labels=values, value_labels_fr=values_fr,
                    missing=missing or {}, missing_fr=missing_fr or {})


def _common_head() -> list[Variable]:
    return [
        Variable("resp_id", label="Respondent identifier", label_fr="Identifiant du répondant",
                 measure="nominal"),
        Variable("wave", label="Survey year", label_fr="Année de l'enquête", measure="nominal"),
    ]


def _service_vars(table: Sequence[tuple[str, str, int, float, float]]) -> list[Variable]:
    types = {i + 1: s[0] for i, s in enumerate(table)}
    types_fr = {i + 1: s[1] for i, s in enumerate(table)}
    out = [Variable("n_services", label="Number of service experiences rated (1-3)",
                    label_fr="Nombre d'expériences de service évaluées (1 à 3)", measure="ordinal")]
    for k in (1, 2, 3):
        which = "most recent" if k == 1 else f"number {k}"
        which_fr = "la plus récente" if k == 1 else f"numéro {k}"
        out.append(Variable(
            f"svc{k}_type", label=f"Service experience {k} ({which}): which service",
            label_fr=f"Expérience de service {k} ({which_fr}) : quel service", measure="nominal",
            value_labels=types, value_labels_fr=types_fr,
            missing={99: "Not applicable (fewer services used)"},
            missing_fr={99: "Sans objet (moins de services utilisés)"}))
        out.append(_rating(
            f"svc{k}_sat", f"Service experience {k}: overall satisfaction with the service",
            f"Expérience de service {k} : satisfaction globale à l'égard du service",
            SAT5, SAT5_FR, "overall", {9: "Not applicable (fewer services used)"},
            {9: "Sans objet (moins de services utilisés)"}))
    out.append(_nominal("gov_level", "Level of government of the most recent service",
                        "Ordre de gouvernement du service le plus récent", GOV_LEVELS, GOV_LEVELS_FR))
    return out


def _driver_vars(year: int) -> list[Variable]:
    out = []
    for _key, name, dim, *_ in DRIVERS:
        label, label_fr = DRIVER_TEXT[name]
        missing: dict[int, str] = {}
        missing_fr: dict[int, str] = {}
        for item, *_p in DK_ITEMS:
            if item == name:
                second = (NA, NA_FR) if name == "q_extra_mile" else (REF, REF_FR)
                codes = (98, 99) if (name == "q_fair" and year >= 2023) else (8, 9)
                missing = {codes[0]: DK, codes[1]: second[0]}
                missing_fr = {codes[0]: DK_FR, codes[1]: second[1]}
        vname = "q_knowledge" if (name == "q_staff_knowledge" and year == 2018) else name
        out.append(_rating(vname, label, label_fr, AGREE5, AGREE5_FR, dim, missing, missing_fr))
    return out


def _overall_vars(year: int, business: bool) -> list[Variable]:
    who = "government services for businesses" if business else "the service"
    who_fr = "des services gouvernementaux aux entreprises" if business else "du service"
    if year == 2018:
        overall = _rating("q_overall", "Overall, how satisfied were you with the service? (0-10)",
                          "Dans l'ensemble, dans quelle mesure étiez-vous satisfait du service? (0 à 10)",
                          SAT11, SAT11_FR, "overall", {98: DK, 99: REF}, {98: DK_FR, 99: REF_FR},
                          scale=(0, 10))
    else:
        overall = _rating("q_overall", f"Overall satisfaction with {who}",
                          f"Satisfaction globale à l'égard {who_fr}", SAT5, SAT5_FR, "overall")
    value_label = ("Value for the taxes and fees your business pays" if business
                   else "Value for your tax dollars")
    value_label_fr = ("Rapport qualité-prix des impôts et frais payés par votre entreprise" if business
                      else "Rapport qualité-prix pour vos impôts")
    return [
        overall,
        _rating("q_expect", "Extent to which the service met your expectations",
                "Mesure dans laquelle le service a répondu à vos attentes", EXPECT5, EXPECT5_FR, "overall"),
        _rating("q_value", value_label, value_label_fr, VALUE5, VALUE5_FR, "overall"),
    ]


def _cf_codebook(year: int, clustered: bool) -> Codebook:
    prov_labels = {p[0]: p[2] for p in PROVINCES}
    prov_labels_fr = {p[0]: p[3] for p in PROVINCES}
    vars_ = _common_head()
    vars_.append(Variable("prov", label="Province or territory of residence (SGC code)",
                          label_fr="Province ou territoire de résidence (code de la CGT)",
                          measure="nominal", value_labels=prov_labels, value_labels_fr=prov_labels_fr))
    if clustered:
        vars_.append(Variable("stratum", label="Sampling stratum (= province code)",
                              label_fr="Strate d'échantillonnage (= code de province)",
                              measure="nominal", value_labels=prov_labels,
                              value_labels_fr=prov_labels_fr))
        vars_.append(Variable("psu", label="Primary sampling unit (area cluster; 100 x province + cluster)",
                              label_fr="Unité primaire d'échantillonnage (grappe; 100 x province + grappe)",
                              measure="nominal"))
    vars_ += [
        _nominal("age_grp", "Age group", "Groupe d'âge", AGE_LABELS, AGE_LABELS_FR, "ordinal"),
        _nominal("gender", "Gender", "Genre", GENDER_LABELS, GENDER_LABELS_FR),
        _nominal("educ", "Highest level of education", "Plus haut niveau de scolarité", EDUC_LABELS,
                 EDUC_LABELS_FR, "ordinal"),
        Variable("wt_design", label="Design weight (province population share / sample share; sums to n)",
                 label_fr="Poids de sondage (part de la population / part de l'échantillon; somme = n)",
                 measure="scale"),
        _nominal("chan_used", "Channel used for the most recent service",
                 "Mode de prestation utilisé pour le service le plus récent", CHANNELS, CHANNELS_FR),
        _nominal("chan_pref", "Preferred channel for this service",
                 "Mode de prestation préféré pour ce service", CHANNELS, CHANNELS_FR),
    ]
    vars_ += _service_vars(CF_SERVICES)
    vars_ += _driver_vars(year)
    if year >= 2023:
        vars_.append(_rating(
            "q_online_acct", "Satisfaction with your online government account or digital sign-in (digital identity)",
            "Satisfaction à l'égard de votre compte gouvernemental en ligne ou de l'ouverture de session numérique (identité numérique)",
            SAT5, SAT5_FR, None, {9: "Did not use an online account"},
            {9: "N'a pas utilisé de compte en ligne"}))
    vars_ += _overall_vars(year, business=False)
    return Codebook(vars_, title=f"Citizens First {year} (synthetic sample)",
                    title_fr=f"Les citoyens d'abord {year} (échantillon synthétique)")


def _bf_codebook() -> Codebook:
    strata = {(s + 1) * 10 + r + 1: f"{SIZE_LABELS[s]}, {REGION_LABELS[r]}"
              for s in range(len(SIZE_LABELS)) for r in range(len(REGION_LABELS))}
    strata_fr = {(s + 1) * 10 + r + 1: f"{SIZE_LABELS_FR[s]}, {REGION_LABELS_FR[r]}"
                 for s in range(len(SIZE_LABELS)) for r in range(len(REGION_LABELS))}
    vars_ = _common_head()
    vars_ += [
        Variable("stratum", label="Sampling stratum (10 x firm size + region)",
                 label_fr="Strate d'échantillonnage (10 x taille + région)", measure="nominal",
                 value_labels=strata, value_labels_fr=strata_fr),
        _nominal("firm_size", "Number of employees", "Nombre d'employés", SIZE_LABELS, SIZE_LABELS_FR,
                 "ordinal"),
        _nominal("industry", "Industry sector", "Secteur d'activité", INDUSTRY_LABELS, INDUSTRY_LABELS_FR),
        _nominal("region", "Region", "Région", REGION_LABELS, REGION_LABELS_FR),
        Variable("wt_design", label="Design weight (frame businesses in stratum / sample in stratum)",
                 label_fr="Poids de sondage (entreprises de la base dans la strate / échantillon de la strate)",
                 measure="scale"),
        _nominal("resp_role", "Respondent's role in the business", "Rôle du répondant dans l'entreprise",
                 ("Owner or president", "Manager", "Accountant or bookkeeper", "Other"),
                 ("Propriétaire ou président", "Gestionnaire", "Comptable ou teneur de livres", "Autre")),
        _nominal("chan_used", "Channel used for the most recent service",
                 "Mode de prestation utilisé pour le service le plus récent", CHANNELS, CHANNELS_FR),
        _nominal("chan_pref", "Preferred channel for this service",
                 "Mode de prestation préféré pour ce service", CHANNELS, CHANNELS_FR),
    ]
    vars_ += _service_vars(BF_SERVICES)
    vars_ += _driver_vars(2023)
    vars_ += _overall_vars(2023, business=True)
    vars_ += [
        _rating("q_paperwork", "Satisfaction with the paperwork and compliance burden",
                "Satisfaction à l'égard du fardeau administratif et de conformité", SAT5, SAT5_FR, None),
        _rating("q_online_acct", "Satisfaction with your business's online government account",
                "Satisfaction à l'égard du compte gouvernemental en ligne de votre entreprise",
                SAT5, SAT5_FR, None, {9: "Did not use an online account"},
                {9: "N'a pas utilisé de compte en ligne"}),
    ]
    return Codebook(vars_, title="Business First 2023 (synthetic sample)",
                    title_fr="Les entreprises d'abord 2023 (échantillon synthétique)")


def _cf_columns(year: int, clustered: bool) -> list[str]:
    return list(_cf_codebook(year, clustered))


def _bf_columns() -> list[str]:
    return list(_bf_codebook())


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def simulate_wave(wave: str) -> tuple[pd.DataFrame, Codebook]:
    """The data (codes, user-missing codes kept) and codebook of one sample wave, in memory.

    >>> df, cb = simulate_wave("cf2020")
    >>> len(df), "psu" in df, cb["q_time"].dimension
    (4040, True, 'timeliness')
    """
    if wave in CF_WAVES:
        spec = CF_WAVES[wave]
        df = _simulate_cf(spec)
        cb = _cf_codebook(spec.year, clustered=bool(spec.psu_prov))
    elif wave == "bf2023":
        df, cb = _simulate_bf(), _bf_codebook()
    else:
        raise DataError(f"unknown sample wave {wave!r}; known waves: {', '.join(SAMPLE_WAVES)}")
    if list(df.columns) != list(cb):
        raise AssertionError(f"{wave}: columns and codebook disagree")  # pragma: no cover
    return df, cb


def sample_path(wave: str | None = None) -> Path:
    """The shipped ``.sav`` file of ``wave``; the newest wave (``SAMPLE_WAVES[0]``) when None.

    The folder itself is ``SAMPLE_DIR`` (``sample_path().parent``).

    >>> sample_path().name, sample_path("bf2023").name, sample_path().parent.name
    ('cf2023.sav', 'bf2023.sav', 'sample')
    """
    if wave is None:
        wave = SAMPLE_WAVES[0]
    if wave not in SAMPLE_WAVES:
        raise DataError(f"unknown sample wave {wave!r}; known waves: {', '.join(SAMPLE_WAVES)}")
    return SAMPLE_DIR / f"{wave}.sav"


def sample_codebook_path(wave: str | None = None) -> Path:
    """The sidecar codebook (French labels, scales, dimensions) of ``wave``.

    >>> sample_codebook_path("cf2018").name
    'cf2018.codebook.toml'
    """
    return sample_path(wave).with_name(f"{wave or SAMPLE_WAVES[0]}.codebook.toml")


def _sav_kwargs(cb: Codebook) -> dict[str, Any]:
    value_labels: dict[str, dict[int | float, str]] = {}
    missing: dict[str, list[int | float | str]] = {}
    formats: dict[str, str] = {}
    measures: dict[str, str] = {}
    for name, var in cb.items():
        labels = {**var.value_labels, **var.missing}
        if labels:
            value_labels[name] = {k: v for k, v in sorted(labels.items())}  # type: ignore[misc]
        if var.missing:
            missing[name] = sorted(var.missing)  # type: ignore[arg-type]
        formats[name] = "F12.6" if name == "wt_design" else ("F9.0" if name == "resp_id" else "F4.0")
        measures[name] = var.measure or "nominal"
    return {
        "column_labels": {name: var.label for name, var in cb.items()},
        "variable_value_labels": value_labels,
        "missing_ranges": missing,
        "variable_format": formats,
        "variable_measure": measures,
        "file_label": (cb.title or "")[:64],
    }


def _write_sav(df: pd.DataFrame, cb: Codebook, path: Path) -> None:
    import pyreadstat

    with atomic_output(path) as tmp:
        pyreadstat.write_sav(df, str(tmp), row_compress=True, **_sav_kwargs(cb))
        data = bytearray(tmp.read_bytes())
        stamp = bytes(data[92:109])
        if data[:4] != b"$FL2" or not re.fullmatch(rb"\d\d [A-Z][a-z]{2} \d\d\d\d:\d\d:\d\d", stamp):
            raise DataError(f"{path}: unexpected SPSS header layout {stamp!r}; cannot fix the date")
        data[92:109] = _SAV_DATE + _SAV_TIME
        tmp.write_bytes(bytes(data))


def generate_sample(out_dir: str | Path | None = None) -> dict[str, Path]:
    """Write every sample file (``.sav``, codebooks, README.md, SHA256SUMS) into ``out_dir``.

    ``out_dir`` defaults to the package's ``data/sample`` folder. Returns {file name: path}.

    >>> import tempfile
    >>> files = generate_sample(tempfile.mkdtemp())  # doctest: +SKIP
    >>> sorted(files)[:2]  # doctest: +SKIP
    ['README.md', 'SHA256SUMS']
    """
    out = Path(out_dir) if out_dir is not None else SAMPLE_DIR
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    frames: dict[str, pd.DataFrame] = {}
    books: dict[str, Codebook] = {}
    for wave in SAMPLE_WAVES:
        df, cb = simulate_wave(wave)
        frames[wave], books[wave] = df, cb
        sav = out / f"{wave}.sav"
        _write_sav(df, cb, sav)
        toml = out / f"{wave}.codebook.toml"
        cb.to_toml(toml)
        written[sav.name], written[toml.name] = sav, toml
    readme = out / "README.md"
    atomic_write_text(readme, _readme(frames, books, written))
    written[readme.name] = readme
    sums = "".join(f"{sha256_file(written[name])}  {name}\n" for name in sorted(written))
    atomic_write_text(out / "SHA256SUMS", sums)
    written["SHA256SUMS"] = out / "SHA256SUMS"
    return written


# ---------------------------------------------------------------------------------------------
# Ground truth
# ---------------------------------------------------------------------------------------------


def _expected_ordinal(mean: np.ndarray, tau: np.ndarray, low: int = 1) -> np.ndarray:
    """E[low + #(latent > tau)] for latent ~ N(mean, 1)."""
    return low + ndtr(np.asarray(mean)[..., None] - tau).sum(axis=-1)


def _cf_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Population cells (province x demographic): shares, latent shift, age index."""
    share = (PROV_SHARE[:, None] * POP_CELL[None, :]).ravel()
    shift = (PROV_SHIFT[:, None] + CELL_SHIFT[None, :]).ravel()
    age = np.tile(CELL_AGE, len(PROVINCES))
    return share, shift, age


def _bf_cells() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = _bf_frame_counts().astype(float)
    s, r, i = np.meshgrid(np.arange(4), np.arange(6), np.arange(6), indexing="ij")
    shift = SIZE_SHIFT[s] + REGION_SHIFT[r] + INDUSTRY_SHIFT[i]
    return (counts / counts.sum()).ravel(), shift.ravel(), s.ravel()


def _mean(share: np.ndarray, values: np.ndarray, valid: np.ndarray | None = None) -> float:
    w = share if valid is None else share * valid
    return float((w * values).sum() / w.sum())


def _true_means(year: int, business: bool = False) -> dict[str, float]:
    """True population means of the rating items (among valid answers), analytically."""
    share, shift, group = _bf_cells() if business else _cf_cells()
    beta = BETA["bf" if business else "cf"]
    means = _driver_means(year)
    out: dict[str, float] = {}
    for j, d in enumerate(DRIVERS):
        valid = None
        for item, p_dk, p_ref in DK_ITEMS:
            if item == d[1]:
                valid = 1 - (p_dk * (1.0 if business else DK_AGE_MULT[group]) + p_ref)
        out[d[1]] = _mean(share, _expected_ordinal(means[j] + shift, TAU5), valid)
    overall_mean = (means - BASE_MEANS) @ beta + shift * beta.sum()
    for k, (name, gamma, offset) in enumerate(OVERALL_ITEMS):
        lat = gamma * overall_mean + offset
        out[name] = _mean(share, _expected_ordinal(lat, TAU5))
        if k == 0 and year == 2018:
            out["q_overall_0_10"] = _mean(share, _expected_ordinal(lat, TAU11, low=0))
    if year >= 2023 and not business:
        _, _, age = _cf_cells()
        educ = np.tile(CELL_EDUC, len(PROVINCES))
        use = _online_account_use(age, educ)
        out["q_online_acct"] = _mean(share, _expected_ordinal(ONLINE_ACCT_MEAN + shift, TAU5), use)
    if business:
        out["q_paperwork"] = _mean(share, _expected_ordinal(PAPERWORK_MEAN + shift, TAU5))
        out["q_online_acct"] = _mean(share, _expected_ordinal(BF_ACCT_MEAN + shift, TAU5),
                                     BF_ACCT_USE[group])
    table = BF_SERVICES if business else CF_SERVICES
    for idx, svc in enumerate(table):
        out[f"svc_type_{idx + 1}"] = _mean(share, _expected_ordinal(svc[3] + shift, TAU5))
    return out


def _latent_cov(beta: np.ndarray, business: bool = False) -> np.ndarray:
    """Population covariance of (8 driver latents, overall latent)."""
    share, shift, _ = _bf_cells() if business else _cf_cells()
    var_shift = _mean(share, shift**2) - _mean(share, shift) ** 2
    p = len(DRIVERS)
    cov = np.empty((p + 1, p + 1))
    cov[:p, :p] = R_WITHIN
    cov[:p, p] = cov[p, :p] = R_WITHIN @ beta
    cov[p, p] = 1.0
    v = np.append(np.ones(p), beta.sum())
    return cov + var_shift * np.outer(v, v)


def _shapley_r2(cov: np.ndarray) -> np.ndarray:
    """Shapley decomposition of R-squared of the last variable on the others, from a covariance.

    >>> shares = _shapley_r2(np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.3], [0.5, 0.3, 1.0]]))
    >>> [round(float(s), 2) for s in shares]
    [0.25, 0.09]
    """
    p = cov.shape[0] - 1
    r2 = np.zeros(1 << p)
    for mask in range(1, 1 << p):  # subsets of predictors (2**8), not respondents
        idx = [j for j in range(p) if mask >> j & 1]
        sxy = cov[idx, p]
        r2[mask] = sxy @ np.linalg.solve(cov[np.ix_(idx, idx)], sxy) / cov[p, p]
    fact = [math.factorial(k) for k in range(p + 1)]
    shares = np.zeros(p)
    for mask in range(1 << p):
        size = bin(mask).count("1")
        for j in range(p):
            if not mask >> j & 1:
                shares[j] += fact[size] * fact[p - size - 1] / fact[p] * (r2[mask | 1 << j] - r2[mask])
    return shares


def _index(df: pd.DataFrame, year: int) -> np.ndarray:
    """Overall satisfaction index 0-100: mean of the three overall items, each rescaled to 0-100."""
    parts = []
    for name, *_ in OVERALL_ITEMS:
        x = df[name].to_numpy(dtype=float)
        if name == "q_overall" and year == 2018:
            parts.append(np.where(x <= 10, x * 10.0, np.nan))
        else:
            parts.append(np.where(x <= 5, (x - 1) * 25.0, np.nan))
    return np.nanmean(np.vstack(parts), axis=0)


def _weighted_shapley(df: pd.DataFrame, year: int, weights: np.ndarray | None) -> np.ndarray:
    names = [d[1] for d in DRIVERS]
    if year == 2018:
        names = ["q_knowledge" if n == "q_staff_knowledge" else n for n in names]
    x = df[names].to_numpy(dtype=float)
    y = _index(df, year)
    ok = (x <= 5).all(axis=1) & np.isfinite(y)
    data = np.column_stack([x[ok], y[ok]])
    w = np.ones(ok.sum()) if weights is None else weights[ok]
    cov = np.cov(data, rowvar=False, aweights=w)
    return _shapley_r2(cov)


def _population_draw(year: int, business: bool = False) -> pd.DataFrame:
    """A large simulated population (no sample skew) for observed-scale ground truth."""
    rng = np.random.default_rng(POP_SEED + year + (1 if business else 0))
    if business:
        share, shift, _ = _bf_cells()
        idx = rng.choice(share.size, size=POP_N, p=share)
        shift = shift[idx]
    else:
        share, shift, _ = _cf_cells()
        idx = rng.choice(share.size, size=POP_N, p=share)
        shift = shift[idx]
    area = rng.normal(0.0, math.sqrt(CLUSTER_VAR), size=POP_N)
    items = _ratings(rng, shift, area, year, BETA["bf" if business else "cf"], overall_0_10=False)
    factor = items.pop("_factor")
    svc = _services(rng, shift, area, factor, BF_SERVICES if business else CF_SERVICES)
    return pd.DataFrame({**items, **svc})


def _sqs(df: pd.DataFrame) -> float:
    """Service Quality Score: mean satisfaction over all rated experiences, on 0-100."""
    sat = df[["svc1_sat", "svc2_sat", "svc3_sat"]].to_numpy(dtype=float)
    return float(((sat[sat <= 5] - 1) * 25).mean())


def ground_truth() -> dict[str, Any]:
    """The true population values of the sample study (means, effects, the real change).

    >>> truth = ground_truth()
    >>> truth["ranking"]["cf"][:3]
    ['outcome', 'timeliness', 'staff_knowledge']
    >>> round(truth["means"]["cf2023"]["q_time"] - truth["means"]["cf2020"]["q_time"], 2)
    -0.32
    """
    means = {w: _true_means(CF_WAVES[w].year) for w in ("cf2018", "cf2020", "cf2023")}
    means["bf2023"] = _true_means(2023, business=True)
    latent_shapley = {
        "cf": _shapley_r2(_latent_cov(BETA["cf"])),
        "bf": _shapley_r2(_latent_cov(BETA["bf"], business=True)),
    }
    ranking = {k: [DRIVER_KEYS[j] for j in np.argsort(-BETA[k], kind="stable")] for k in BETA}
    return {"means": means, "latent_shapley": latent_shapley, "ranking": ranking, "beta": BETA}


# ---------------------------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------------------------


def _fmt_codes(var: Variable) -> str:
    parts = [f"{k} {v}" for k, v in var.value_labels.items()]
    miss = [f"**{k}** {v}" for k, v in var.missing.items()]
    text = "; ".join(parts + miss)
    return text.replace("|", "/")


def _var_table(cb: Codebook) -> str:
    lines = ["| variable | label | scale | CMT dimension | codes (user-missing in **bold**) |",
             "| --- | --- | --- | --- | --- |"]
    for name, var in cb.items():
        scale = "" if var.scale is None else f"{var.scale[0]}-{var.scale[1]}"
        codes = _fmt_codes(var)
        if name in ("svc1_type", "svc2_type", "svc3_type") and name != "svc1_type":
            codes = "as svc1_type"
        lines.append(f"| `{name}` | {var.label} | {scale} | {var.dimension or ''} | {codes} |")
    return "\n".join(lines)


def _pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}"


def _readme(frames: dict[str, pd.DataFrame], books: dict[str, Codebook],
            files: dict[str, Path]) -> str:
    truth = ground_truth()
    m = truth["means"]
    ranking = truth["ranking"]
    lines: list[str] = []
    add = lines.append
    add("# The citizensfirst sample study (synthetic)\n")
    add("This folder is generated by `python -m citizensfirst.samplegen`; do not edit it by hand (edit\n"
        "`src/citizensfirst/samplegen.py` and regenerate). **All respondents are simulated.** The data\n"
        "follow a latent-factor model whose parameters are listed below, so the *true* population\n"
        "values are known and analyses can be checked against them.\n")
    add("## Files\n")
    add("| files | wave | n | variables | bytes (.sav / codebook) |")
    add("| --- | --- | --- | --- | --- |")
    for wave in SAMPLE_WAVES:
        df = frames[wave]
        title = books[wave].title
        sizes = " / ".join(f"{files[f'{wave}{ext}'].stat().st_size:,}" for ext in (".sav", ".codebook.toml"))
        add(f"| `{wave}.sav`, `{wave}.codebook.toml` | {title} | {len(df):,} | {df.shape[1]} | {sizes} |")
    add("")
    add("`SAMPLE_WAVES = " + repr(SAMPLE_WAVES) + "` (newest Citizens First wave first, then the\n"
        "Business First wave). `citizensfirst.samplegen.sample_path(wave)` gives the `.sav` path\n"
        "(`sample_path()` is the newest wave, cf2023; the folder is `samplegen.SAMPLE_DIR`),\n"
        "`sample_codebook_path(wave)` the codebook. `SHA256SUMS` lists the SHA-256 of every file; the\n"
        "generator is deterministic (fixed numpy seeds; the creation date/time pyreadstat writes into\n"
        "the SPSS header, bytes 92-108, is overwritten with `01 Jan 24 00:00:00`), so regenerating with\n"
        "the same numpy, scipy and pyreadstat gives byte-identical files. The `.sav` files use SPSS bytecode\n"
        "(row) compression and carry English variable and value labels; don't-know, refused and\n"
        "not-applicable codes are declared as SPSS **user-missing values** (read them with\n"
        "`pyreadstat.read_sav(path, user_missing=True)` to keep the codes). The codebook TOML adds\n"
        "French labels (`label_fr`, `values_fr`, `missing_fr`), the measure, the rating scale and the\n"
        "CMT dimension id (`timeliness`, `ease_of_access`, `staff_knowledge`, `courtesy`, `fairness`,\n"
        "`outcome`, `contacts`, `extra_mile`, `overall`; `citizensfirst.cmt` accepts\n"
        "`ease_of_access` and `staff_knowledge` as aliases of its `access` and `knowledge`).\n")

    add("## Citizens First design (cf2018, cf2020, cf2023)\n")
    add("Adults 18+ in the 10 provinces and 3 territories. Province codes are the Standard Geographical\n"
        "Classification (SGC) codes 10-62 with value labels. The sample is a roughly **equal\n"
        "allocation** across provinces (fewer per territory), so small provinces are heavily\n"
        "oversampled:\n")
    add("| wave | n per province | n per territory | total n | clustering |")
    add("| --- | --- | --- | --- | --- |")
    for w in ("cf2018", "cf2020", "cf2023"):
        s = CF_WAVES[w]
        clus = (f"strata = province; {s.psu_prov} PSUs per province, {s.psu_terr} per territory"
                if s.psu_prov else "none (simple random sample within province)")
        add(f"| {w} | {s.n_prov} | {s.n_terr} | {int(_cf_allocation(s).sum()):,} | {clus} |")
    add("")
    add("**Design weight** `wt_design` = (province population share) / (province sample share), so\n"
        "the weights **sum to n** (mean 1) and the weighted province shares equal the census shares\n"
        "exactly (up to floating point, < 1e-12). The population shares are the 2021 Census **total**\n"
        "population counts (Statistics Canada, Table 98-10-0001-01, *Population and dwelling counts:\n"
        "Canada, provinces and territories*, census day 11 May 2021), used as a stand-in for the\n"
        "adult (18+) shares. The adult shares were not looked up; they differ from these by a few\n"
        "tenths of a percentage point (Quebec and the Atlantic provinces are older, Alberta, the\n"
        "other Prairie provinces and the territories younger), which does not matter for a\n"
        "synthetic study whose population is defined by this table.\n")
    add("| code | province / territory | 2021 Census population | share (%) | design weight cf2023 |")
    add("| --- | --- | --- | --- | --- |")
    alloc23 = _cf_allocation(CF_WAVES["cf2023"])
    for i, p in enumerate(PROVINCES):
        wt = PROV_SHARE[i] / (alloc23[i] / alloc23.sum())
        add(f"| {p[0]} | {p[2]} | {p[4]:,} | {_pct(PROV_SHARE[i], 3)} | {wt:.4f} |")
    add(f"| | Canada | {int(PROV_POP.sum()):,} | 100.000 | |\n")
    add("**Clustering (cf2020 only).** Each province is a stratum (`stratum` = province code) and is\n"
        "split into equal-sized area clusters (`psu` = 100 x province code + cluster number, unique\n"
        "across strata). Every rating latent gets an area random effect with variance "
        f"{CLUSTER_VAR} (SD {math.sqrt(CLUSTER_VAR):.1f}) shared by all respondents of a PSU, i.e. an\n"
        "intra-cluster correlation of about 0.04 on the latent scale (about 0.02-0.04 on the 1-5\n"
        "ratings); with about 24 respondents per PSU the clustering design effect on a mean is\n"
        "roughly 1.5-1.9, on top of the weighting design effect. In cf2018 and cf2023 the same\n"
        "area variance is drawn independently per respondent (no clustering), so the item\n"
        "distributions are identical across waves.\n")
    add("**Sample skew that weighting must remove.** Within every province the demographic cells\n"
        "(age group x gender x education) are drawn with probability proportional to population\n"
        "share x response propensity (online-panel-like: older, more women, more educated). The\n"
        "TRUE population margins (the same in every province and wave; raking targets) and the\n"
        "expected unweighted sample shares:\n")
    add("| variable | code | category | population (%) | expected sample (%) | cf2023 unweighted (%) |")
    add("| --- | --- | --- | --- | --- | --- |")
    df23 = frames["cf2023"]
    for var, labels, cell_idx in (("age_grp", AGE_LABELS, CELL_AGE), ("gender", GENDER_LABELS, CELL_GENDER),
                                  ("educ", EDUC_LABELS, CELL_EDUC)):
        for k, lab in enumerate(labels):
            pop = POP_CELL[cell_idx == k].sum()
            samp = SAMPLE_CELL[cell_idx == k].sum()
            obs = (df23[var] == k + 1).mean()
            add(f"| `{var}` | {k + 1} | {lab} | {_pct(pop)} | {_pct(samp)} | {_pct(obs)} |")
    add("")
    add("Population joint distribution: gender is independent of age and education; education\n"
        "depends on age (rows: age group; columns: high school or less, college/trades, university):\n"
        "18-34: 33/30/37 %, 35-54: 30/33/37 %, 55+: 45/33/22 %. Relative response propensities:\n"
        f"age {tuple(AGE_TILT.tolist())}, gender {tuple(GENDER_TILT.tolist())}, education "
        f"{tuple(EDUC_TILT.tolist())}. Expected unweighted university share "
        f"{_pct(SAMPLE_CELL[CELL_EDUC == 2].sum())} % vs population "
        f"{_pct(POP_CELL[CELL_EDUC == 2].sum())} %. Because satisfaction depends on age, gender and\n"
        "education (below), design-weighted estimates are biased until the sample is raked to these\n"
        "margins (within province, or jointly with province).\n")

    add("## The satisfaction model (ground truth)\n")
    add("For a person in province p and demographic cell c, each of the eight driver ratings j has a\n"
        "latent `Z_j = mu_j(wave) + s_p + s_c + a + lambda_j F + e_j` with a common factor F ~ N(0,1),\n"
        f"an area effect a ~ N(0, {CLUSTER_VAR}), and unique noise scaled so that Var(Z_j | p, c) = 1.\n"
        f"The 1-5 rating is 1 + #(Z_j > tau), tau = {tuple(TAU5.tolist())}. Latent shifts: age group\n"
        f"{tuple(AGE_SHIFT.tolist())}, gender {tuple(GENDER_SHIFT.tolist())}, education\n"
        f"{tuple(EDUC_SHIFT.tolist())}, province (in code order) {tuple(PROV_SHIFT.tolist())}.\n")
    add("The overall latent is `O = sum_j beta_j (Z_j - mu_j(2020)) + sigma e` with Var(O | p, c) = 1;\n"
        "the three overall items load on O (`q_overall` 0.92, `q_expect` 0.86, `q_value` 0.72, plus\n"
        "intercepts 0.25, 0.05, -0.25). The **overall satisfaction index** is the mean of the three\n"
        "items, each rescaled to 0-100 ((x - 1) x 25 for 1-5 items, x x 10 for the 2018 0-10 item).\n")
    add("**True driver effects** (beta: standardized effect of each latent driver on the overall\n"
        "latent, within cell) and the true Shapley share of R-squared on the latent scale (population\n"
        "covariance, analytic). Intended ranking = order of beta; the top three are clearly\n"
        "separated, the bottom of the ranking is close and not meant to be recoverable.\n")
    add("| driver | variable | CMT dimension | loading | CF beta | CF latent Shapley | BF beta | BF latent Shapley |")
    add("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for j, d in enumerate(DRIVERS):
        add(f"| {d[0]} | `{d[1]}` | {d[2]} | {d[3]:.2f} | {d[5]:.2f} | "
            f"{truth['latent_shapley']['cf'][j]:.3f} | {d[6]:.2f} | {truth['latent_shapley']['bf'][j]:.3f} |")
    add("")
    add(f"Citizens First ranking: {' > '.join(ranking['cf'])}.  ")
    add(f"Business First ranking: {' > '.join(ranking['bf'])}.\n")
    add("With design weights on n of about 4,000, a Shapley analysis of the index on the eight\n"
        "ratings recovers the Citizens First top three (outcome, timeliness, staff_knowledge) in\n"
        "nearly every replicate sample; at the Business First n of 1,500 the top two (timeliness,\n"
        "outcome) are reliable and ease_of_access is third in most replicates. Ranks 4-8 are\n"
        "near-ties by design.\n")
    add(f"Latent R-squared: CF {truth['latent_shapley']['cf'].sum():.3f}, "
        f"BF {truth['latent_shapley']['bf'].sum():.3f}.\n")

    add("**Observed-scale check.** Shapley shares of R-squared for the index regressed on the eight\n"
        "1-5 driver ratings (complete cases): in a simulated population of "
        f"{POP_N:,} (seed {POP_SEED} + year), and in each sample file with `wt_design` weights:\n")
    header = "| driver | " + " | ".join(f"population {w}" for w in ("cf2020", "cf2023", "bf2023"))
    header += " | " + " | ".join(f"sample {w}" for w in SAMPLE_WAVES) + " |"
    add(header)
    add("| --- " * 8 + "|")
    pop_sh = {}
    pop_frames = {}
    for w, year, bus in (("cf2020", 2020, False), ("cf2023", 2023, False), ("bf2023", 2023, True)):
        pop_frames[w] = _population_draw(year, bus)
        pop_sh[w] = _weighted_shapley(pop_frames[w], year, None)
    samp_sh = {w: _weighted_shapley(frames[w], 2018 if w == "cf2018" else 0,
                                    frames[w]["wt_design"].to_numpy()) for w in SAMPLE_WAVES}
    for j, d in enumerate(DRIVERS):
        row = [f"{pop_sh[w][j]:.3f}" for w in ("cf2020", "cf2023", "bf2023")]
        row += [f"{samp_sh[w][j]:.3f}" for w in SAMPLE_WAVES]
        add(f"| {d[0]} | " + " | ".join(row) + " |")
    add("")

    add("## True population means\n")
    add("Computed **analytically** from the model (E[rating] = 1 + sum_k Phi(mean - tau_k) per\n"
        "province x demographic cell, averaged with the population cell shares; among valid answers\n"
        "where don't-know rates differ by cell). Business First means average over the\n"
        "illustrative frame's business counts. The cf2018 column is on the 1-5 scale except where noted.\n")
    add("| item | cf2018 | cf2020 | cf2023 | bf2023 |")
    add("| --- | --- | --- | --- | --- |")
    keys = [d[1] for d in DRIVERS] + [o[0] for o in OVERALL_ITEMS] + ["q_online_acct", "q_paperwork"]
    for key in keys:
        cells = []
        for w in ("cf2018", "cf2020", "cf2023", "bf2023"):
            val = m[w].get(key)
            if key == "q_overall" and w == "cf2018":
                val = m[w]["q_overall_0_10"]
                cells.append(f"{val:.3f} (0-10)")
                continue
            cells.append("" if val is None else f"{val:.3f}")
        add(f"| `{key}` | " + " | ".join(cells) + " |")
    add(f"| `q_overall` if it were asked on 1-5 | {m['cf2018']['q_overall']:.3f} | | | |")
    add("")
    add("True mean satisfaction (1-5) by service type, i.e. per `svcN_type` code (the service types\n"
        "are chosen independently of demographics, so these are also the means among users):\n")
    add("| code | citizen service (CF, all waves) | true mean | code | business service (BF) | true mean |")
    add("| --- | --- | --- | --- | --- | --- |")
    for i in range(max(len(CF_SERVICES), len(BF_SERVICES))):
        left = (f"{i + 1} | {CF_SERVICES[i][0]} ({GOV_LEVELS[CF_SERVICES[i][2] - 1].lower()}) | "
                f"{m['cf2023'][f'svc_type_{i + 1}']:.3f}") if i < len(CF_SERVICES) else " | | "
        right = (f"{i + 1} | {BF_SERVICES[i][0]} ({GOV_LEVELS[BF_SERVICES[i][2] - 1].lower()}) | "
                 f"{m['bf2023'][f'svc_type_{i + 1}']:.3f}") if i < len(BF_SERVICES) else " | | "
        add(f"| {left} | {right} |")
    add("")
    add("Service Quality Score (mean satisfaction over all rated service experiences, 0-100) in the\n"
        f"simulated populations: cf2020/cf2018 {_sqs(pop_frames['cf2020']):.1f}, "
        f"cf2023 {_sqs(pop_frames['cf2023']):.1f}, bf2023 {_sqs(pop_frames['bf2023']):.1f} (Monte Carlo\n"
        "error about 0.1).\n")

    t20, t23 = m["cf2020"]["q_time"], m["cf2023"]["q_time"]
    c20, c23 = m["cf2020"]["q_courtesy"], m["cf2023"]["q_courtesy"]
    add("## The one real change, and the non-change\n")
    add(f"* **Timeliness falls from 2020 to 2023**: the latent mean of `q_time` drops by\n"
        f"  {abs(TIMELINESS_CHANGE_2023):.2f} SD, so the true mean goes from {t20:.3f} to {t23:.3f}\n"
        f"  (change {t23 - t20:+.3f} points on 1-5). With n about 4,000 per wave and the design effects\n"
        "  here the standard error of the difference is about 0.04-0.05, so it is clearly significant.\n"
        "  Through the model, the overall items fall a little as a consequence (true `q_overall`\n"
        f"  {m['cf2020']['q_overall']:.3f} -> {m['cf2023']['q_overall']:.3f}); nothing else changes.\n")
    add(f"* **Courtesy does not change**: true mean `q_courtesy` {c20:.3f} in 2020 and {c23:.3f} in 2023\n"
        "  (identical parameters). Every other driver is also unchanged from 2018 to 2023.\n"
        "* 2018 and 2020 have identical true parameters; their only differences are measurement ones\n"
        "  (below).\n")
    add("## Wave differences (what harmonisation must handle)\n")
    add("* **Renamed variable**: staff knowledge is `q_knowledge` in cf2018 and `q_staff_knowledge` in\n"
        "  cf2020, cf2023 and bf2023 (same wording and codes).\n"
        "* **Different scale**: `q_overall` is on 0-10 in cf2018 (don't know **98**, refused **99**)\n"
        "  and on 1-5 elsewhere.\n"
        "* **New item**: `q_online_acct` (online account / digital identity) exists only in cf2023\n"
        "  (and, worded for businesses, in bf2023); code **9** = did not use an online account.\n"
        "* **Changed don't-know code**: `q_fair` uses 8 = don't know, 9 = refused in cf2018 and\n"
        "  cf2020 but **98 / 99** in cf2023 (and bf2023).\n"
        "* **Design**: only cf2020 has `stratum` and `psu`; cf2018 and cf2023 are stratified by\n"
        "  province only through the weights.\n"
        "* Channel mix shifts: less in person in 2020, more online in 2023.\n")
    add("## Missing-data codes\n")
    add("| variable | don't know | refused / not applicable | rate |")
    add("| --- | --- | --- | --- |")
    for name, p_dk, p_ref in DK_ITEMS:
        codes = "8 (98 in cf2023, bf2023)" if name == "q_fair" else "8"
        second = ("9 refused (99 in cf2023, bf2023)" if name == "q_fair" else
                  "9 not applicable" if name == "q_extra_mile" else "9 refused")
        add(f"| `{name}` | {codes} | {second} | DK {_pct(p_dk)} % x age factor {tuple(DK_AGE_MULT.tolist())} "
            f"(CF; flat in BF), {_pct(p_ref)} % second code |")
    add(f"| `q_overall` (cf2018) | 98 | 99 refused (not used) | {_pct(OVERALL_DK_2018)} % |")
    add("| `svc2_*`, `svc3_*` | | 99 (type) / 9 (satisfaction) not applicable when fewer services | by design |")
    add("| `q_online_acct` | | 9 did not use | depends on age and education (CF) or size (BF) |")
    add("")
    add("Don't know answers depend on age only, not on the latent satisfaction, so they are missing\n"
        "at random given age.\n")
    add("## Services, channels, level of government\n")
    add("Each respondent rated 1, 2 or 3 service experiences (P = "
        f"{tuple(SVC_N_PROBS.tolist())}; `n_services`); the types are distinct and drawn with the\n"
        "selection weights in `samplegen.CF_SERVICES` / `BF_SERVICES`. `svcN_sat` has its own\n"
        f"latent (service-type mean + shifts + area effect + {SVC_LOADING} F + noise). `gov_level` is the\n"
        "level of government of `svc1_type`, the most recent service, which the driver items are\n"
        "about. `chan_used` and `chan_pref` come from a multinomial logit (online more likely for\n"
        "younger and university-educated people; preference leans online and towards the channel\n"
        "used).\n")

    add("## Business First design (bf2023)\n")
    counts = _bf_frame_counts()
    add(f"The frame is **ILLUSTRATIVE** (about {BF_FRAME_TOTAL:,} employer businesses, shaped loosely\n"
        "like Canada's business counts by size and region; not official counts). Frame cell count =\n"
        "round(total x size share x region share x industry share given size). Size shares\n"
        f"{tuple(SIZE_SHARE.tolist())}; region shares {tuple(REGION_SHARE.tolist())}. Strata =\n"
        "firm size x region (`stratum` = 10 x size + region, 24 strata); the sample per size class\n"
        f"is {BF_SIZE_ALLOC} (large firms oversampled) and is split across regions in proportion to\n"
        "the square root of the region share (at least 8). Industry is drawn within stratum with the\n"
        "frame's industry mix, so it is not a stratifier. `wt_design` = frame businesses in\n"
        f"stratum / sample in stratum, summing to the frame total {int(counts.sum()):,}. Latent\n"
        f"shifts: size {tuple(SIZE_SHIFT.tolist())}, region {tuple(REGION_SHIFT.tolist())},\n"
        f"industry {tuple(INDUSTRY_SHIFT.tolist())}. Frame counts by stratum (rows: size; columns:\n"
        "Atlantic, Quebec, Ontario, Prairies, BC, North) / sample sizes:\n")
    add("| size | " + " | ".join(REGION_LABELS) + " |")
    add("| --- " * 7 + "|")
    alloc = _bf_allocation()
    for s, lab in enumerate(SIZE_LABELS):
        add(f"| {lab} | " + " | ".join(f"{counts[s, r].sum():,} / {alloc[s, r]}" for r in range(6)) + " |")
    add("")
    add("Frame industry totals: " + ", ".join(
        f"{INDUSTRY_LABELS[i].split(' (')[0]} {counts[:, :, i].sum():,}" for i in range(6)) + ".\n")

    for wave in SAMPLE_WAVES:
        add(f"## Variables: {wave} ({books[wave].title})\n")
        add(_var_table(books[wave]))
        add("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m citizensfirst.samplegen [--out DIR]``; prints the files written."""
    parser = argparse.ArgumentParser(prog="python -m citizensfirst.samplegen",
                                     description="Regenerate the synthetic sample study.")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default: {SAMPLE_DIR})")
    args = parser.parse_args(argv)
    files = generate_sample(args.out)
    for name in sorted(files):
        path = files[name]
        print(f"{path.stat().st_size:>9,}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
