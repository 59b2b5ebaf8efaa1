"""Simulating the respondents of each synthetic wave."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..weighting.targetdata import INDUSTRY_LABELS
from .codebooks import bf_columns, cf_columns
from .params import (
    BASE_MEANS,
    BETA,
    BF_FRAME_TOTAL,
    BF_SEED,
    BF_SERVICES,
    BF_SIZE_ALLOC,
    CELL_AGE,
    CELL_EDUC,
    CELL_GENDER,
    CELL_SHIFT,
    CF_SERVICES,
    CLUSTER_VAR,
    DK_AGE_MULT,
    DK_ITEMS,
    DRIVER_KEYS,
    DRIVERS,
    INDUSTRY_GIVEN_SIZE,
    INDUSTRY_SHIFT,
    IS_TERRITORY,
    LOADINGS,
    OVERALL_DK_2018,
    OVERALL_ITEMS,
    POP_CELL,
    PROV_CODES,
    PROV_SHARE,
    PROV_SHIFT,
    PROVINCES,
    R_WITHIN,
    REGION_SHARE,
    REGION_SHIFT,
    SAMPLE_CELL,
    SIZE_SHARE,
    SIZE_SHIFT,
    SVC_LOADING,
    SVC_N_PROBS,
    TAU5,
    TAU11,
    TIMELINESS_CHANGE_2023,
    CFWave,
)


def driver_means(year: int) -> np.ndarray:
    """Mean driver latents of a year (timeliness changes from 2023 on).

    Parameters
    ----------
    year : int
        Survey year.

    Returns
    -------
    numpy.ndarray
        One mean per driver, in ``DRIVER_KEYS`` order.
    """
    means = BASE_MEANS.copy()
    if year >= 2023:
        means[DRIVER_KEYS.index("timeliness")] += TIMELINESS_CHANGE_2023
    return means


def _sigma_overall(beta: np.ndarray) -> float:
    return math.sqrt(1.0 - float(beta @ R_WITHIN @ beta))


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


def ratings(rng: np.random.Generator, shift: np.ndarray, area: np.ndarray, year: int,
             beta: np.ndarray, overall_0_10: bool = False) -> dict[str, Any]:
    """Driver latents, the overall latent and the rating items for people with latent ``shift``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    shift : numpy.ndarray
        Latent shift per person.
    area : numpy.ndarray
        Area (cluster) effect per person.
    year : int
        Survey year (driver means).
    beta : numpy.ndarray
        Driver effects on the overall latent.
    overall_0_10 : bool, default False
        Rate the first overall item on 0-10 instead of 1-5.

    Returns
    -------
    dict
        Item name to codes, plus ``"_factor"``, the common factor per person.
    """
    n = len(shift)
    factor = rng.standard_normal(n)
    unique_sd = np.sqrt(1.0 - LOADINGS**2 - CLUSTER_VAR)
    z = (driver_means(year) + shift[:, None] + area[:, None] + factor[:, None] * LOADINGS
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


def services(rng: np.random.Generator, shift: np.ndarray, area: np.ndarray, factor: np.ndarray,
              table: Sequence[tuple[str, str, int, float, float]]) -> dict[str, np.ndarray]:
    """Number of services used, up to three service types and their satisfaction ratings.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random generator.
    shift : numpy.ndarray
        Latent shift per person.
    area : numpy.ndarray
        Area (cluster) effect per person.
    factor : numpy.ndarray
        Common factor per person (from :func:`ratings`).
    table : sequence of tuple
        Service types: (name, French name, government level, effect, probability).

    Returns
    -------
    dict of str to numpy.ndarray
        ``n_services``, ``svcK_type`` and ``svcK_sat`` (99 and 9 when not used) and
        ``gov_level``.
    """
    n = len(shift)
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
    items = ratings(rng, shift, area, year, BETA["cf"], overall_0_10=(year == 2018))
    factor = items.pop("_factor")
    cols.update(services(rng, shift, area, factor, CF_SERVICES))
    for name, p_dk, p_ref in DK_ITEMS:
        codes = (98, 99) if (name == "q_fair" and year >= 2023) else (8, 9)
        items[name] = _with_missing(rng, items[name], p_dk * DK_AGE_MULT[age], p_ref, codes)
    if year == 2018:
        items["q_overall"] = _with_missing(rng, items["q_overall"], np.full(n, OVERALL_DK_2018), 0.0,
                                           (98, 99))
    if year >= 2023:
        p_use = online_account_use(age, educ)
        uses = rng.random(n) < p_use
        lat = (ONLINE_ACCT_MEAN + shift + area + 0.55 * factor
               + math.sqrt(1 - 0.55**2 - CLUSTER_VAR) * rng.standard_normal(n))
        items["q_online_acct"] = np.where(uses, _ordinal(lat, TAU5), 9).astype(float)
    cols.update(items)
    return cols


ONLINE_ACCT_MEAN = -0.05


def online_account_use(age: np.ndarray, educ: np.ndarray) -> np.ndarray:
    """Probability of using an online account, by age group and education (logistic).

    Parameters
    ----------
    age : numpy.ndarray
        Age group index per person (0-2).
    educ : numpy.ndarray
        Education index per person (0-2).

    Returns
    -------
    numpy.ndarray
        Probability per person.
    """
    logit = -0.2 + np.array([0.8, 0.2, -0.7])[age] + np.array([-0.5, 0.0, 0.5])[educ]
    return 1.0 / (1.0 + np.exp(-logit))


def cf_allocation(spec: CFWave) -> np.ndarray:
    """Sample size per province and territory.

    Parameters
    ----------
    spec : CFWave
        The wave design.

    Returns
    -------
    numpy.ndarray
        Respondents per entry of ``PROVINCES``.
    """
    return np.where(IS_TERRITORY, spec.n_terr, spec.n_prov)


def simulate_cf(spec: CFWave) -> pd.DataFrame:
    """The respondents of a Citizens First wave.

    Parameters
    ----------
    spec : CFWave
        The wave design (seed, allocation, clustering).

    Returns
    -------
    pandas.DataFrame
        One row per respondent, columns as in :func:`~.codebooks.cf_columns`.
    """
    rng = np.random.default_rng(spec.seed)
    alloc = cf_allocation(spec)
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
    return df[cf_columns(spec.year, clustered=psu is not None)]


def bf_frame_counts() -> np.ndarray:
    """Illustrative frame counts, shape (size, region, industry).

    Returns
    -------
    numpy.ndarray
        Businesses per cell (at least 1), integer.
    """
    cells = (BF_FRAME_TOTAL * SIZE_SHARE[:, None, None] * REGION_SHARE[None, :, None]
             * INDUSTRY_GIVEN_SIZE[:, None, :])
    return np.maximum(np.rint(cells), 1).astype(np.int64)


def bf_allocation() -> np.ndarray:
    """Sample size per (size, region) stratum: per size class, regions get sqrt-proportional shares
    (at least 8), rounded by largest remainder.

    Returns
    -------
    numpy.ndarray
        Integer sample sizes, shape (size, region).
    """
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


def simulate_bf() -> pd.DataFrame:
    """The respondents of the Business First 2023 wave.

    Returns
    -------
    pandas.DataFrame
        One row per business, columns as in :func:`~.codebooks.bf_columns`.
    """
    rng = np.random.default_rng(BF_SEED)
    counts = bf_frame_counts()
    stratum_n = counts.sum(axis=2)
    alloc = bf_allocation()
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
    items = ratings(rng, shift, area, 2023, BETA["bf"])
    factor = items.pop("_factor")
    svc = services(rng, shift, area, factor, BF_SERVICES)
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
    return df[bf_columns()]


PAPERWORK_MEAN = -0.45


BF_ACCT_MEAN = 0.0


BF_ACCT_USE = np.array([0.50, 0.65, 0.80, 0.90])


























