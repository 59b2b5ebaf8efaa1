"""One scale-benchmark run (one tool, one task, one file) in its own process; driven by ``run.py``.

Usage (``run.py`` calls it; by hand only for debugging)::

    PYTHON benchmarks/scale/workers.py TOOL TASK PARAMS_JSON OUT_JSON

TOOL: ``duckdb`` (citizensfirst's lazy DuckDB backend, ``cf.scan_survey``), ``memory``
(citizensfirst in memory: pandas reads the Parquet file, then ``cf.Design``) or ``svy`` (Polars).
TASK: ``replicate`` (mean + successive-difference replicate SE of the 10 variables, overall and by
the 52 states), ``taylor`` (the same means with linearised SE from strata and PSUs) or ``rake``
(rake the base weight to the 4 margins, then the 10 means). Each tool runs in its own interpreter
(its own virtual environment), so only the standard library is imported at the top.

OUT_JSON receives ``{"load_s", "core_s", "result", "info"}`` where ``result`` is
``{"overall": {var: [est, se]}, "by": {state: {var: [est, se]}}}`` (``rake``: ``overall`` only,
plus ``margins``: the largest relative gap between the raked weighted margins and their targets).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]
Params = dict[str, Any]


def _versions(*names: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _margins(p: Params) -> dict[str, dict[int, float]]:
    return {var: {int(k): float(v) for k, v in levels.items()} for var, levels in p["margins"].items()}


def _columns(task: str, p: Params) -> list[str]:
    """The columns a task needs (what an in-memory tool reads)."""
    base = ["ST", p["weight"], *p["vars"]]
    if task == "replicate":
        return base + p["reps"]
    if task == "taylor":
        return base + ["stratum", "psu"]
    return base + ["stratum", "psu", "agegrp", "sex", "educ"]


# ----------------------------------------------------------------------------- citizensfirst


def _cf_rows(est: Any, by: str | None) -> Result:
    out: Result = {}
    for r in est.table.itertuples():
        pair = [float(r.estimate), float(r.se)]
        if by is None:
            out[str(r.variable)] = pair
        else:
            out.setdefault(str(int(getattr(r, by))), {})[str(r.variable)] = pair
    return out


def _cf_design_args(task: str, p: Params) -> dict[str, Any]:
    if task == "replicate":
        # ACS: svrepdesign(type="successive-difference", scale=4/80, mse=TRUE)
        return {"weights": p["weight"], "replicate_weights": p["reps"], "method": "other",
                "scale": 4.0 / len(p["reps"]), "mse": True}
    return {"weights": p["weight"], "strata": "stratum", "psu": "psu", "nest": True}


def _cf_core(design: Any, task: str, p: Params) -> Result:
    if task == "rake":
        raked = design.rake(_margins(p), tol=p["tol"])
        return {"overall": _cf_rows(raked.mean(p["vars"]), None), "raked": raked}
    return {"overall": _cf_rows(design.mean(p["vars"]), None),
            "by": _cf_rows(design.mean(p["vars"], by="ST"), "ST")}


def memory_load(task: str, p: Params) -> Any:
    import pandas as pd

    import citizensfirst
    import citizensfirst.estimation.estimators  # noqa: F401  (Design.mean imports it lazily)

    return pd.read_parquet(p["parquet"], columns=_columns(task, p))


def memory_core(df: Any, task: str, p: Params) -> Result:
    import citizensfirst as cf

    return _cf_core(cf.Design(df, **_cf_design_args(task, p)), task, p)


def cf_margin_gap(raked: Any, p: Params) -> float:
    """Largest relative gap between a raked design's weighted counts and the targets (untimed)."""
    return max(
        abs(float(row.estimate) / levels[int(row.level)] - 1)
        for var, levels in _margins(p).items()
        for row in raked.count(var, deff=None).table.itertuples()
    )


def duckdb_load(task: str, p: Params) -> Any:
    import duckdb

    import citizensfirst
    import citizensfirst.estimation.estimators  # noqa: F401

    con = duckdb.connect(config={"threads": p["duckdb_threads"], "memory_limit": p["duckdb_memory"],
                                 "temp_directory": p["duckdb_temp"],
                                 "preserve_insertion_order": False})  # no task needs the file order
    con.execute("SET enable_progress_bar = false")
    from citizensfirst.backends.duckdb import MEMORY_SETTINGS  # what cf's own connections get

    for name, value in MEMORY_SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")
    for name, value in p.get("duckdb_settings", {}).items():  # e.g. enable_external_file_cache
        con.execute(f"SET {name} = {value}")
    return con


def duckdb_core(con: Any, task: str, p: Params) -> Result:
    import inspect

    import citizensfirst as cf

    args = _cf_design_args(task, p)
    try:
        scan = cf.scan_survey
    except AttributeError:  # the top-level export still being wired (issue #14 in progress)
        from citizensfirst.scan import scan_survey as scan
    if "connection" in inspect.signature(scan).parameters:
        design = scan(p["parquet"], connection=con, **args)
    else:  # what scan_survey does, on a connection with the benchmark's settings
        from citizensfirst.backends.duckdb import DuckDBBackend, scan_relation
        from citizensfirst.lazy.design import LazyDesign

        backend = DuckDBBackend(con, *scan_relation(p["parquet"]))
        design = LazyDesign(backend, in_memory=cf.Design, **args)
    out = _cf_core(design, task, p)
    out["statistics"] = design.backend.statistics
    return out


# ----------------------------------------------------------------------------- svy


def svy_load(task: str, p: Params) -> Any:
    import svy

    return svy.read_parquet(p["parquet"], columns=_columns(task, p))


def _svy_rows(results: Any, names: list[str], by: str | None) -> Result:
    out: Result = {}
    for name, res in zip(names, results, strict=True):
        for row in res.to_polars().iter_rows(named=True):
            pair = [float(row["est"]), float(row["se"])]
            if by is None:
                out[name] = pair
            else:
                out.setdefault(str(int(row[by])), {})[name] = pair
    return out


def svy_core(data: Any, task: str, p: Params) -> Result:
    import svy

    v = p["vars"]
    if task == "replicate":
        reps = svy.SdrWgts(prefix=p["weight"], n_reps=len(p["reps"]))  # scale 4/R by default
        est = svy.Sample(data, svy.Design(wgt=p["weight"], rep_wgts=reps)).estimation
        kw = {"method": "replication", "variance_center": "estimate", "drop_nulls": True}
        return {"overall": _svy_rows(est.mean(v, **kw), v, None),
                "by": _svy_rows(est.mean(v, by="ST", **kw), v, "ST")}
    sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt=p["weight"]))
    if task == "taylor":
        est = sample.estimation
        return {"overall": _svy_rows(est.mean(v, drop_nulls=True), v, None),
                "by": _svy_rows(est.mean(v, by="ST", drop_nulls=True), v, "ST")}
    raked = sample.weighting.rake(controls=_margins(p), tol=p["tol"], max_iter=100)
    w = raked.data
    gaps = [abs(float(w.filter(w[var] == level)["rk_wgt"].sum()) / target - 1)
            for var, levels in _margins(p).items() for level, target in levels.items()]
    return {"overall": _svy_rows(raked.estimation.mean(v, drop_nulls=True), v, None),
            "margins": max(gaps)}


# ----------------------------------------------------------------------------- registry

WORKERS: dict[str, tuple[Callable[[str, Params], Any], Callable[[Any, str, Params], Result]]] = {
    "duckdb": (duckdb_load, duckdb_core),
    "memory": (memory_load, memory_core),
    "svy": (svy_load, svy_core),
}
PACKAGES = {"duckdb": ("duckdb", "pandas", "numpy", "pyarrow"), "memory": ("pandas", "numpy", "pyarrow"),
            "svy": ("svy", "polars", "numpy", "pyarrow")}


def main(argv: list[str]) -> int:
    tool, task, params_path, out_path = argv
    p = json.loads(open(params_path).read())
    load, core = WORKERS[tool]
    t0 = time.perf_counter()
    data = load(task, p)
    t1 = time.perf_counter()
    result = core(data, task, p)
    t2 = time.perf_counter()
    if "raked" in result:  # after the timing: check the raked margins (every tool does)
        result["margins"] = cf_margin_gap(result.pop("raked"), p)
    if "statistics" in result:  # the lazy backend's own count of what came back from the queries
        stats = result.pop("statistics")
        result["queries"] = {"queries": stats.queries, "rows_returned": stats.rows_returned,
                             "largest_answer": stats.largest_answer}
    payload = {"load_s": t1 - t0, "core_s": t2 - t1, "result": result,
               "info": _versions(*PACKAGES[tool])}
    with open(out_path, "w") as fh:
        json.dump(payload, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
