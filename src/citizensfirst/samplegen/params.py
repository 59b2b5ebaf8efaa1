"""Population and sampling parameters of the synthetic sample study."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_WAVES: tuple[str, ...] = ("cf2023", "cf2020", "cf2018", "bf2023")


"""The sample waves, newest Citizens First wave first; ``bf2023`` is the Business First wave."""


SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"


# The fixed creation date/time written into every SPSS header (bytes 92..108).
SAV_DATE = b"01 Jan 24"


SAV_TIME = b"00:00:00"


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
class CFWave:
    """Design of one simulated Citizens First wave.

    Attributes
    ----------
    stem : str
        Wave name and file stem (``"cf2020"``).
    year : int
        Survey year.
    seed : int
        Seed of the wave's random generator.
    n_prov : int
        Respondents per province.
    n_terr : int
        Respondents per territory.
    psu_prov : int, default 0
        Primary sampling units per province (0: not clustered).
    psu_terr : int, default 0
        Primary sampling units per territory.
    """

    stem: str
    year: int
    seed: int
    n_prov: int  # respondents per province
    n_terr: int  # respondents per territory
    psu_prov: int = 0  # PSUs per province (0: not clustered)
    psu_terr: int = 0


CF_WAVES = {
    "cf2018": CFWave("cf2018", 2018, 20180531, 300, 60),
    "cf2020": CFWave("cf2020", 2020, 20201130, 380, 80, psu_prov=16, psu_terr=4),
    "cf2023": CFWave("cf2023", 2023, 20230915, 400, 100),
}


BF_SEED = 20231020


POP_SEED = 424242  # the simulated population used for observed-scale ground truth


POP_N = 200_000
