"""Ground truth of the synthetic population: true means and driver importance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .params import (
    BASE_MEANS,
    BETA,
    BF_SERVICES,
    CELL_AGE,
    CELL_EDUC,
    CELL_SHIFT,
    CF_SERVICES,
    CF_WAVES,
    CLUSTER_VAR,
    DK_AGE_MULT,
    DK_ITEMS,
    DRIVER_KEYS,
    DRIVERS,
    INDUSTRY_SHIFT,
    OVERALL_ITEMS,
    POP_CELL,
    POP_N,
    POP_SEED,
    PROV_SHARE,
    PROV_SHIFT,
    PROVINCES,
    R_WITHIN,
    REGION_SHIFT,
    SIZE_SHIFT,
    TAU5,
    TAU11,
)
from .simulate import (
    BF_ACCT_MEAN,
    BF_ACCT_USE,
    ONLINE_ACCT_MEAN,
    PAPERWORK_MEAN,
    bf_frame_counts,
    driver_means,
    online_account_use,
    ratings,
    services,
)


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
    counts = bf_frame_counts().astype(float)
    s, r, i = np.meshgrid(np.arange(4), np.arange(6), np.arange(6), indexing="ij")
    shift = SIZE_SHIFT[s] + REGION_SHIFT[r] + INDUSTRY_SHIFT[i]
    return (counts / counts.sum()).ravel(), shift.ravel(), s.ravel()


def _mean(share: np.ndarray, values: np.ndarray, valid: np.ndarray | float | None = None) -> float:
    w = share if valid is None else share * valid
    return float((w * values).sum() / w.sum())


def _true_means(year: int, business: bool = False) -> dict[str, float]:
    """True population means of the rating items (among valid answers), analytically."""
    share, shift, group = _bf_cells() if business else _cf_cells()
    beta = BETA["bf" if business else "cf"]
    means = driver_means(year)
    out: dict[str, float] = {}
    for j, d in enumerate(DRIVERS):
        valid: np.ndarray | float | None = None
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
        use = online_account_use(age, educ)
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


def weighted_shapley(df: pd.DataFrame, year: int, weights: np.ndarray | None) -> np.ndarray:
    """Shapley decomposition of R-squared of the overall index on the drivers (weighted covariance).

    Respondents with a missing driver rating or no overall index are left out.

    Parameters
    ----------
    df : pandas.DataFrame
        Respondents with the driver and overall items (codes).
    year : int
        Survey year (2018 names and scales differ).
    weights : numpy.ndarray or None
        Weight per respondent; None weighs all equally.

    Returns
    -------
    numpy.ndarray
        Each driver's contribution, in ``DRIVERS`` order (they sum to R-squared).
    """
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


def population_draw(year: int, business: bool = False) -> pd.DataFrame:
    """A large simulated population (no sample skew) for observed-scale ground truth.

    Parameters
    ----------
    year : int
        Survey year of the rating model.
    business : bool, default False
        Draw businesses (Business First) instead of citizens.

    Returns
    -------
    pandas.DataFrame
        ``POP_N`` rows of rating and service items.
    """
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
    items = ratings(rng, shift, area, year, BETA["bf" if business else "cf"], overall_0_10=False)
    factor = items.pop("_factor")
    svc = services(rng, shift, area, factor, BF_SERVICES if business else CF_SERVICES)
    return pd.DataFrame({**items, **svc})


def sqs(df: pd.DataFrame) -> float:
    """Service Quality Score: mean satisfaction over all rated experiences, on 0-100.

    Parameters
    ----------
    df : pandas.DataFrame
        Respondents with ``svc1_sat`` to ``svc3_sat`` (codes above 5 are not ratings).

    Returns
    -------
    float
        The score, 0-100.
    """
    sat = df[["svc1_sat", "svc2_sat", "svc3_sat"]].to_numpy(dtype=float)
    return float(((sat[sat <= 5] - 1) * 25).mean())


def ground_truth() -> dict[str, Any]:
    """The true population values of the sample study (means, effects, the real change).

    Returns
    -------
    dict
        ``means`` (per wave and item), ``latent_shapley`` and ``ranking`` (per study,
        ``"cf"`` and ``"bf"``) and ``beta`` (the driver effects).

    Examples
    --------
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
