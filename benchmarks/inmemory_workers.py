"""One run of one tool on one in-memory task, in its own process; driven by ``run_inmemory.py``.

    PYTHON benchmarks/inmemory_workers.py TOOL TASK PARAMS_JSON OUT_DIR

Only the standard library is imported at the top (each tool runs in its own virtual environment);
the peers' calls are the ones of ``estimation_workers.py``, ``weighting_workers.py`` and
``drivers_workers.py``, reused as they are. ``load`` reads the Parquet file into the tool's usual
frame (and imports the tool), ``core`` is the tool's own calls on data already in memory; only
``core`` is timed as "core". Writes OUT_DIR/out.json ``{"load_s", "core_s", "result", "info"}`` and,
for T1, the final weights as OUT_DIR/weights.f64 (little-endian float64, row order).

Tools: ``citizensfirst`` (the public API as a user calls it), ``floor`` (plain numpy: the least
work that gives the same numbers, bincounts and one matrix product), ``svy``, ``ipfn``,
``balance``, ``dominance`` (dominance-analysis given the weighted covariance). Tasks: ``T1``
(rake), ``T2`` (Taylor mean + SE overall and by domain), ``T3`` (replicate SE), ``T4`` (Shapley
R^2 decomposition; ``ci`` in PARAMS: ``none`` or ``default`` for ours), ``IMPORT`` (the time of
``import MODULE``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import drivers_workers as dw  # noqa: E402  (standard library only at import)
import estimation_workers as ew  # noqa: E402
import weighting_workers as ww  # noqa: E402

Result = dict[str, Any]


def _read(p: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.read_parquet(p["parquet"], columns=p["columns"])


# ----------------------------------------------------------------------------- citizensfirst


def cf_load(p: dict[str, Any]) -> Any:
    # import cost belongs to load, as for the peers (``import svy`` loads all of svy): citizensfirst
    # loads its modules on first use, so the ones the calls need are imported here (the bare
    # ``import citizensfirst`` is timed by the IMPORT task)
    import citizensfirst
    import citizensfirst.design.facade
    import citizensfirst.drivers.analysis
    import citizensfirst.estimation.estimators
    import citizensfirst.weighting.methods.rake  # noqa: F401

    citizensfirst.Design  # noqa: B018  (the lazy attribute of the package)
    return _read(p)


def cf_t1(df: Any, p: dict[str, Any]) -> Result:
    import citizensfirst as cf

    d = cf.Design(df, weights="w", strata="prov", psu="psu", nest=True)
    raked = d.rake(p["shares"], tol=p["tol"], max_iter=p["max_iter"])
    return {"weights": raked.weights, "iterations": raked.report.iterations}


def cf_t2(df: Any, p: dict[str, Any]) -> Result:
    return ew.cf_t2_result(ew.cf_t2_core(df, p), p)


def cf_t3(df: Any, p: dict[str, Any]) -> Result:
    return ew.cf_t3_result(ew.cf_t3_core(df, p), p)


def cf_t4(df: Any, p: dict[str, Any]) -> Result:
    import citizensfirst as cf

    d = cf.Design(df, weights="w", strata="prov", psu="psu", nest=True)
    if p["ci"] == "none":
        res = d.drivers(p["outcome"], p["drivers"], ci=None)
    else:
        res = d.drivers(p["outcome"], p["drivers"])
    return {"importance": {k: float(v) for k, v in res.table["importance"].items()},
            "se": {k: float(v) for k, v in res.table["se"].items()}}


# ----------------------------------------------------------------------------- numpy floor


def floor_load(p: dict[str, Any]) -> Any:
    import numpy  # noqa: F401

    return _read(p)


def _codes(column: Any) -> tuple[Any, Any]:
    import pandas as pd

    codes, levels = pd.factorize(column, sort=True)
    return codes, levels


def floor_t1(df: Any, p: dict[str, Any]) -> Result:
    """Raking on the collapsed cell table: one bincount per margin per sweep, mapped back."""
    import numpy as np
    import pandas as pd

    codes, sizes, targets = [], [], []
    w = df["w"].to_numpy()
    total = float(w.sum())
    for v, shares in p["shares"].items():
        found, uniques = pd.factorize(df[v])
        position = {level: i for i, level in enumerate(shares)}
        codes.append(np.array([position[u] for u in uniques], dtype=np.int64)[found])
        sizes.append(len(shares))
        targets.append(np.array(list(shares.values())) * total)
    cell = np.ravel_multi_index(codes, sizes)
    base = np.bincount(cell, weights=w, minlength=int(np.prod(sizes)))
    occupied = np.flatnonzero(base)
    table = base[occupied]
    cell_codes = [c.ravel() for c in np.unravel_index(occupied, sizes)]
    fitted = table.copy()
    sweeps = 0
    for sweeps in range(1, p["max_iter"] + 1):
        for c, t in zip(cell_codes, targets, strict=True):
            fitted *= (t / np.bincount(c, weights=fitted, minlength=len(t)))[c]
        err = max(float(np.max(np.abs(np.bincount(c, weights=fitted, minlength=len(t)) / t - 1)))
                  for c, t in zip(cell_codes, targets, strict=True))
        if err <= p["tol"]:
            break
    factor = np.zeros(base.size)
    factor[occupied] = fitted / table
    return {"weights": w * factor[cell], "iterations": sweeps}


def _taylor_se(scores: Any, stratum_of_psu: Any, n_strata: int) -> Any:
    """With-replacement SE from PSU totals of scores (PSUs x k), strata of the PSUs."""
    import numpy as np

    n_h = np.bincount(stratum_of_psu, minlength=n_strata).astype(float)
    k = scores.shape[1]
    mean_h = np.stack([np.bincount(stratum_of_psu, weights=scores[:, j], minlength=n_strata)
                       for j in range(k)], axis=1) / n_h[:, None]
    dev = scores - mean_h[stratum_of_psu]
    ss = np.stack([np.bincount(stratum_of_psu, weights=dev[:, j] ** 2, minlength=n_strata)
                   for j in range(k)], axis=1)
    factor = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 0.0)
    return np.sqrt(factor @ ss)


def floor_t2(df: Any, p: dict[str, Any]) -> Result:
    """Ratio means and linearised SEs: one bincount over (domain, PSU) per variable and sum."""
    import numpy as np

    strata, levels = _codes(df["prov"])
    psu_key = strata.astype(np.int64) * (int(df["psu"].max()) + 1) + df["psu"].to_numpy()
    psu, _ = _codes(psu_key)
    n_psu = int(psu.max()) + 1
    n_strata = len(levels)
    stratum_of_psu = np.zeros(n_psu, dtype=np.int64)
    stratum_of_psu[psu] = strata
    dom = strata  # the domain is the province
    w = df["w"].to_numpy()
    overall: Result = {}
    by: Result = {str(lv): {} for lv in levels}
    for v in p["vars"]:
        y = df[v].to_numpy()
        obs = ~np.isnan(y)
        wy = np.where(obs, w * np.nan_to_num(y), 0.0)
        wo = np.where(obs, w, 0.0)
        # overall
        W, T = wo.sum(), wy.sum()
        est = T / W
        z = (wy - est * wo) / W
        zt = np.bincount(psu, weights=z, minlength=n_psu)[:, None]
        overall[v] = [float(est), float(_taylor_se(zt, stratum_of_psu, n_strata)[0])]
        # domains: cell = (PSU, domain) totals in one bincount each
        cell = psu * n_strata + dom
        Wd = np.bincount(dom, weights=wo, minlength=n_strata)
        Td = np.bincount(dom, weights=wy, minlength=n_strata)
        est_d = Td / Wd
        cw = np.bincount(cell, weights=wo, minlength=n_psu * n_strata).reshape(n_psu, n_strata)
        cy = np.bincount(cell, weights=wy, minlength=n_psu * n_strata).reshape(n_psu, n_strata)
        zt = (cy - est_d * cw) / Wd
        se_d = _taylor_se(zt, stratum_of_psu, n_strata)
        for j, lv in enumerate(levels):
            by[str(lv)][v] = [float(est_d[j]), float(se_d[j])]
    return {"overall": overall, "by": by}


def floor_t3(df: Any, p: dict[str, Any]) -> Result:
    """Replicate means by one matrix product; bootstrap variance 1/(R-1) about the replicate mean."""
    import numpy as np

    reps = df[p["reps"]].to_numpy()
    w = df["w"].to_numpy()
    y = df[p["vars"]].to_numpy()
    obs = ~np.isnan(y)
    wy = np.where(obs, y, 0.0)
    o = obs.astype(float)
    est = (w @ wy) / (w @ o)
    rep_est = (reps.T @ wy) / (reps.T @ o)  # (R, k)
    r = reps.shape[1]
    se = np.sqrt(((rep_est - rep_est.mean(axis=0)) ** 2).sum(axis=0) / (r - 1))
    return {"overall": {v: [float(est[j]), float(se[j])] for j, v in enumerate(p["vars"])}}


def floor_t4(df: Any, p: dict[str, Any]) -> Result:
    """Exact Shapley R^2 from the weighted covariance: R^2 of every subset, then the LMG weights."""
    import math

    import numpy as np

    cols = [*p["drivers"], p["outcome"]]
    x = df[cols].to_numpy(dtype=float)
    keep = ~np.isnan(x).any(axis=1)
    x, w = x[keep], df["w"].to_numpy()[keep]
    cov = np.cov(x, rowvar=False, aweights=w)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    k = len(p["drivers"])
    rxx, rxy = corr[:k, :k], corr[:k, k]
    r2 = np.zeros(1 << k)
    masks = np.arange(1 << k)
    members = ((masks[:, None] >> np.arange(k)) & 1).astype(bool)
    sizes = members.sum(axis=1)
    for s in range(1, k + 1):
        sel = np.flatnonzero(sizes == s)
        idx = np.stack([np.flatnonzero(members[m]) for m in sel])
        a = rxx[idx[:, :, None], idx[:, None, :]]
        b = rxy[idx]
        r2[sel] = np.einsum("ij,ij->i", b, np.linalg.solve(a, b[..., None])[..., 0])
    fact = [math.factorial(i) for i in range(k + 1)]
    imp = np.zeros(k)
    for j in range(k):
        without = masks[~members[:, j]]
        s = sizes[without]
        weight = np.array([fact[i] * fact[k - i - 1] / fact[k] for i in s])
        imp[j] = float(weight @ (r2[without | (1 << j)] - r2[without]))
    return {"importance": dict(zip(p["drivers"], imp.tolist(), strict=True))}


# ----------------------------------------------------------------------------- peers


def svy_load(p: dict[str, Any]) -> Any:
    import svy

    return svy.read_parquet(p["parquet"], columns=p["columns"])


def svy_t1(data: Any, p: dict[str, Any]) -> Result:
    weights, info = ww.svy_core(data, p)
    return {"weights": weights, "iterations": info.get("iterations")}


def svy_t2(data: Any, p: dict[str, Any]) -> Result:
    return ew.svy_t2_result(ew.svy_t2_core(data, p), p)


def svy_t3(data: Any, p: dict[str, Any]) -> Result:
    return ew.svy_t3_result(ew.svy_t3_core(data, p), p)


def ipfn_load(p: dict[str, Any]) -> Any:
    import ipfn  # noqa: F401

    return _read(p)


def ipfn_t1(df: Any, p: dict[str, Any]) -> Result:
    weights, info = ww.ipfn_core(df, p)
    return {"weights": weights, "iterations": info.get("iterations")}


def balance_load(p: dict[str, Any]) -> Any:
    import logging

    import balance  # noqa: F401

    logging.getLogger("balance").setLevel(logging.WARNING)
    return _read(p)


def balance_t1(df: Any, p: dict[str, Any]) -> Result:
    weights, info = ww.balance_core(df, p)
    return {"weights": weights.to_numpy(), "iterations": info.get("iterations")}


def dominance_load(p: dict[str, Any]) -> Any:
    dw.dominance_load(p)  # imports the package quietly (it prints on import)
    return _read(p)


def dominance_t4(df: Any, p: dict[str, Any]) -> Result:
    sub = df.dropna(subset=[*p["drivers"], p["outcome"]])
    result, _ = dw.dominance_cov_core(sub, p | {"weighted": True})
    return {"importance": result}


def import_load(p: dict[str, Any]) -> Any:
    return None


def import_core(_: Any, p: dict[str, Any]) -> Result:
    import importlib

    for module in p["modules"]:  # e.g. pandas, then citizensfirst: what a user's script imports
        importlib.import_module(module)
    return {}


WORKERS = {
    ("citizensfirst", "T1"): (cf_load, cf_t1),
    ("citizensfirst", "T2"): (cf_load, cf_t2),
    ("citizensfirst", "T3"): (cf_load, cf_t3),
    ("citizensfirst", "T4"): (cf_load, cf_t4),
    ("floor", "T1"): (floor_load, floor_t1),
    ("floor", "T2"): (floor_load, floor_t2),
    ("floor", "T3"): (floor_load, floor_t3),
    ("floor", "T4"): (floor_load, floor_t4),
    ("svy", "T1"): (svy_load, svy_t1),
    ("svy", "T2"): (svy_load, svy_t2),
    ("svy", "T3"): (svy_load, svy_t3),
    ("ipfn", "T1"): (ipfn_load, ipfn_t1),
    ("balance", "T1"): (balance_load, balance_t1),
    ("dominance", "T4"): (dominance_load, dominance_t4),
}


def _reset_peak_rss() -> None:
    """Reset the peak RSS (VmHWM) to the current RSS, so the peak of ``core`` can be read apart from
    the load's (reading Parquet into pandas briefly holds the Arrow table and the frame)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _rss_mb(field: str) -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str]) -> None:
    tool, task, params_json, out_dir = argv
    params = json.loads(params_json)
    load, core = (import_load, import_core) if task == "IMPORT" else WORKERS[(tool, task)]
    start = time.perf_counter()
    data = load(params)
    loaded_rss = _rss_mb("VmRSS")
    _reset_peak_rss()
    loaded = time.perf_counter()
    result = core(data, params)
    done = time.perf_counter()
    core_peak = _rss_mb("VmHWM")
    weights = result.pop("weights", None)
    if weights is not None:
        import numpy as np

        np.asarray(weights, dtype="<f8").tofile(f"{out_dir}/weights.f64")
    info: dict[str, Any] = {}
    if task != "IMPORT":
        info = ew._blas_info()
        module = sys.modules.get("citizensfirst")
        if module is not None:
            info["citizensfirst_file"] = str(getattr(module, "__file__", ""))
    warm = float("nan")
    if task != "IMPORT":  # the same calls again in this process: memory already touched once
        again = time.perf_counter()
        core(data, params)
        warm = time.perf_counter() - again
    payload = {"load_s": loaded - start, "core_s": done - loaded, "result": result, "info": info,
               "loaded_rss_mb": loaded_rss, "core_peak_rss_mb": core_peak, "warm_s": warm}
    with open(f"{out_dir}/out.json", "w") as fh:
        json.dump(payload, fh, default=float)


if __name__ == "__main__":
    main(sys.argv[1:])
