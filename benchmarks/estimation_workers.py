"""One benchmark run of one tool on one task, in its own process; driven by ``run_estimation.py``.

Usage (the harness calls it; by hand only for debugging)::

    PYTHON benchmarks/estimation_workers.py TOOL TASK PARAMS_JSON OUT_JSON

TOOL is ``citizensfirst``, ``svy`` or ``samplics``; each runs in its own interpreter (its own
virtual environment), so this module imports only the standard library at the top and each
worker imports its tool inside. A worker is two functions: ``load`` (read the data file into the
tool's usual in-memory form) and ``core`` (the tool's own calls on data already in memory, design
construction included); only ``core`` is timed as "core". The result written to OUT_JSON is

    {"load_s": ..., "core_s": ..., "result": {"overall": {var: [est, se]},
                                              "by": {domain: {var: [est, se]}}}, "info": {...}}

so that the harness can check every tool against ours. To add a task, add ``load``/``core``
functions for each tool and register them in ``WORKERS``.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]


def _blas_info() -> dict[str, Any]:
    info: dict[str, Any] = {}
    try:
        import numpy as np

        info["numpy"] = np.__version__
    except ImportError:  # pragma: no cover - every venv has numpy
        return info
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: pool.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for pool in threadpool_info()
            if pool.get("user_api") == "blas"
        ]
    except ImportError:
        info["blas"] = "threadpoolctl not importable"
    return info


# ----------------------------------------------------------------------------- citizensfirst


def cf_load(p: dict[str, Any]) -> Any:
    import pandas as pd

    import citizensfirst
    import citizensfirst.estimation.estimators  # noqa: F401  (Design.mean imports it, and scipy.stats, lazily)

    return pd.read_parquet(p["parquet"], columns=p["columns"])


def _cf_rows(est: Any, by: str | None) -> Result:
    table = est.table
    if by is None:
        return {str(r.variable): [float(r.estimate), float(r.se)] for r in table.itertuples()}
    out: Result = {}
    for r in table.itertuples():
        out.setdefault(str(getattr(r, by)), {})[str(r.variable)] = [float(r.estimate), float(r.se)]
    return out


def cf_t2_core(df: Any, p: dict[str, Any]) -> Any:
    import citizensfirst as cf

    d = cf.Design(df, weights="w", strata="prov", psu="psu", nest=True)
    overall = d.mean(p["vars"])
    by = d.mean(p["vars"], by="prov")
    return overall, by


def cf_t2_result(out: Any, p: dict[str, Any]) -> Result:
    return {"overall": _cf_rows(out[0], None), "by": _cf_rows(out[1], "prov")}


def cf_t3_core(df: Any, p: dict[str, Any]) -> Any:
    import citizensfirst as cf

    d = cf.Design(df, weights="w", replicate_weights=p["reps"], method="bootstrap")
    return d.mean(p["vars"])


def cf_t3_result(out: Any, p: dict[str, Any]) -> Result:
    return {"overall": _cf_rows(out, None)}


# ----------------------------------------------------------------------------- svy


def svy_load(p: dict[str, Any]) -> Any:
    import svy

    return svy.read_parquet(p["parquet"], columns=p["columns"])


def _svy_rows(results: Any, names: list[str], by: str | None) -> Result:
    out: Result = {}
    for name, res in zip(names, results, strict=True):
        frame = res.to_polars()
        for row in frame.iter_rows(named=True):
            pair = [float(row["est"]), float(row["se"])]
            if by is None:
                out[name] = pair
            else:
                out.setdefault(str(row[by]), {})[name] = pair
    return out


def svy_t2_core(data: Any, p: dict[str, Any]) -> Any:
    import svy

    sample = svy.Sample(data, svy.Design(stratum="prov", psu="psu", wgt="w"))
    overall = sample.estimation.mean(p["vars"], drop_nulls=True)
    by = sample.estimation.mean(p["vars"], by="prov", drop_nulls=True)
    return overall, by


def svy_t2_result(out: Any, p: dict[str, Any]) -> Result:
    return {"overall": _svy_rows(out[0], p["vars"], None), "by": _svy_rows(out[1], p["vars"], "prov")}


def svy_t3_core(data: Any, p: dict[str, Any]) -> Any:
    import svy

    n_reps = len(p["reps"])
    reps = svy.BootstrapWgts(prefix="rw", n_reps=n_reps, scale=1.0 / (n_reps - 1))
    sample = svy.Sample(data, svy.Design(wgt="w", rep_wgts=reps))
    return sample.estimation.mean(p["vars"], method="replication", drop_nulls=True)


def svy_t3_result(out: Any, p: dict[str, Any]) -> Result:
    return {"overall": _svy_rows(out, p["vars"], None)}


# ----------------------------------------------------------------------------- samplics


def samplics_load(p: dict[str, Any]) -> Any:
    import warnings

    import pandas as pd

    warnings.filterwarnings("ignore", category=FutureWarning)  # "samplics is archived"
    import samplics  # noqa: F401  (import cost belongs to load, as for the others)

    return pd.read_parquet(p["parquet"], columns=p["columns"])


def samplics_t2_core(df: Any, p: dict[str, Any]) -> Any:
    from samplics import PopParam, TaylorEstimator

    overall, by = {}, {}
    for v in p["vars"]:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(y=df[v], samp_weight=df["w"], stratum=df["prov"], psu=df["psu"], remove_nan=True)
        overall[v] = (est.point_est, est.stderror)
    for v in p["vars"]:
        est = TaylorEstimator(PopParam.mean)
        est.estimate(y=df[v], samp_weight=df["w"], stratum=df["prov"], psu=df["psu"],
                     domain=df["prov"], remove_nan=True)
        by[v] = (est.point_est, est.stderror)
    return overall, by


def samplics_t2_result(out: Any, p: dict[str, Any]) -> Result:
    overall = {v: [float(e), float(s)] for v, (e, s) in out[0].items()}
    by: Result = {}
    for v, (e, s) in out[1].items():
        for dom in e:
            by.setdefault(str(dom), {})[v] = [float(e[dom]), float(s[dom])]
    return {"overall": overall, "by": by}


def samplics_t3_core(df: Any, p: dict[str, Any]) -> Any:
    from samplics import PopParam, ReplicateEstimator, RepMethod

    n_reps = len(p["reps"])
    rep_weights = df[p["reps"]].to_numpy()
    out = {}
    for v in p["vars"]:
        est = ReplicateEstimator(RepMethod.bootstrap, PopParam.mean)
        est.estimate(y=df[v].to_numpy(), samp_weight=df["w"].to_numpy(), rep_weights=rep_weights,
                     rep_coefs=1.0 / (n_reps - 1), remove_nan=True)
        out[v] = (est.point_est, est.stderror)
    return out


def samplics_t3_result(out: Any, p: dict[str, Any]) -> Result:
    return {"overall": {v: [float(e), float(s)] for v, (e, s) in out.items()}}


# ----------------------------------------------------------------------------- registry

Worker = tuple[Callable[[dict[str, Any]], Any], Callable[..., Any], Callable[..., Result]]
WORKERS: dict[tuple[str, str], Worker] = {
    ("citizensfirst", "T2"): (cf_load, cf_t2_core, cf_t2_result),
    ("citizensfirst", "T3"): (cf_load, cf_t3_core, cf_t3_result),
    ("svy", "T2"): (svy_load, svy_t2_core, svy_t2_result),
    ("svy", "T3"): (svy_load, svy_t3_core, svy_t3_result),
    ("samplics", "T2"): (samplics_load, samplics_t2_core, samplics_t2_result),
    ("samplics", "T3"): (samplics_load, samplics_t3_core, samplics_t3_result),
}


def main(argv: list[str]) -> None:
    tool, task, params_json, out_path = argv
    params = json.loads(params_json)
    load, core, result = WORKERS[(tool, task)]
    start = time.perf_counter()
    data = load(params)
    loaded = time.perf_counter()
    out = core(data, params)
    done = time.perf_counter()
    payload = {
        "load_s": loaded - start,
        "core_s": done - loaded,
        "result": result(out, params),
        "info": _blas_info(),
    }
    with open(out_path, "w") as fh:
        json.dump(payload, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
