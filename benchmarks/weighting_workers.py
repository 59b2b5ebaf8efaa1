"""One raking run (T1) of one tool, in its own process; driven by ``run_weighting.py``.

    PYTHON benchmarks/weighting_workers.py TOOL PARAMS_JSON OUT_DIR

TOOL: citizensfirst, weightipy, balance, svy, samplics, ipfn. Each runs in its own virtual
environment, so only the standard library is imported at the top. ``load`` reads the Parquet
file into the tool's usual frame; ``core`` is the tool's own raking calls on data already in
memory (design/sample construction, level matching, raking, and mapping the weights back to the
rows where the tool works on a collapsed table). Writes OUT_DIR/out.json
``{"load_s", "core_s", "info"}`` and the final weights, in row order, as OUT_DIR/weights.f64
(little-endian float64).

PARAMS: ``parquet``, ``vars`` (margin columns), ``shares`` ({var: {level: share}}), ``tol``
(relative tolerance on the achieved margins), ``max_iter``, ``uniform`` (rake from weights of 1
instead of the base weight column ``w``).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def _numpy_info() -> dict[str, Any]:
    import numpy as np

    return {"numpy": np.__version__}


def _counts(p: dict[str, Any], total: float) -> dict[str, dict[str, float]]:
    """Margins as population counts summing to ``total`` (the sum of the starting weights)."""
    return {v: {k: s * total for k, s in shares.items()} for v, shares in p["shares"].items()}


def _pandas_load(p: dict[str, Any]) -> Any:
    import pandas as pd

    df = pd.read_parquet(p["parquet"], columns=[*p["vars"], "w"])
    if p["uniform"]:
        df["w"] = 1.0
    return df


# ----------------------------------------------------------------------------- citizensfirst


def cf_load(p: dict[str, Any]) -> Any:
    import citizensfirst  # noqa: F401  (import cost belongs to load, as for the peers)

    return _pandas_load(p)


def cf_core(df: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import citizensfirst as cf

    design = cf.Design(df) if p["uniform"] else cf.Design(df, weights="w")
    raked = design.rake(p["shares"], tol=p["tol"], max_iter=p["max_iter"])
    report = raked.report
    return raked.weights, {"iterations": report.iterations, "rule": f"max relative margin error <= {p['tol']:g}"}


# ----------------------------------------------------------------------------- weightipy


def weightipy_load(p: dict[str, Any]) -> Any:
    import weightipy  # noqa: F401

    return _pandas_load(p)


def weightipy_core(df: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import weightipy as wp

    # weightipy takes targets in percent and always rakes from weights of 1 (no base weight);
    # its stopping rule is "the summed absolute weight change stopped shrinking by convcrit".
    scheme = wp.scheme_from_dict(
        {v: {k: 100.0 * s for k, s in shares.items()} for v, shares in p["shares"].items()},
        rim_params={"max_iterations": p["max_iter"], "convcrit": p["weightipy_convcrit"]},
    )
    weights = wp.weight(df[p["vars"]], scheme)
    iterations = None
    try:
        iterations = scheme.groups[scheme._DEFAULT_NAME][scheme._ITERATIONS_]
    except Exception:
        pass
    return weights, {"iterations": iterations, "rule": f"convcrit {p['weightipy_convcrit']:g} (weight change)"}


# ----------------------------------------------------------------------------- balance


def balance_load(p: dict[str, Any]) -> Any:
    import logging

    import balance  # noqa: F401

    logging.getLogger("balance").setLevel(logging.WARNING)
    return _pandas_load(p)


def balance_core(df: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import itertools

    import numpy as np
    import pandas as pd
    from balance.weighting_methods.rake import rake

    # The target as a frame of every crossed cell weighted by the product of the shares x total:
    # its margins are the targets exactly (balance's own target_margins= realises the margins
    # as a synthetic frame of at most target_margins_max_length rows, which rounds small shares).
    w = df["w"]
    total = float(w.sum())
    levels = [list(p["shares"][v]) for v in p["vars"]]
    target = pd.DataFrame(list(itertools.product(*levels)), columns=p["vars"])
    share = np.ones(len(target))
    for v in p["vars"]:
        share *= target[v].map(p["shares"][v]).to_numpy()
    result = rake(df[p["vars"]], w, target, pd.Series(share * total), variables=p["vars"],
                  transformations=None, na_action="drop", max_iteration=p["max_iter"],
                  convergence_rate=p["tol"], rate_tolerance=0.0)
    weights = result["weight"].reindex(df.index)
    iterations = len(result["model"]["iterations"])
    return weights, {"iterations": iterations, "converged": int(result["model"]["converged"]),
                     "rule": f"convergence_rate {p['tol']:g} (max |achieved/target - 1|), rate_tolerance 0"}


# ----------------------------------------------------------------------------- svy


def svy_load(p: dict[str, Any]) -> Any:
    import polars as pl
    import svy

    data = svy.read_parquet(p["parquet"], columns=[*p["vars"], "w"])
    if p["uniform"]:
        data = data.with_columns(pl.lit(1.0).alias("w"))
    return data


def svy_core(data: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import svy

    sample = svy.Sample(data, svy.Design(wgt="w"))
    raked = sample.weighting.rake(shares=p["shares"], tol=p["tol"], max_iter=p["max_iter"])
    weights = raked._data.get_column("rk_wgt").to_numpy()
    return weights, {"iterations": None, "rule": f"tol {p['tol']:g} (max relative margin error)"}


# ----------------------------------------------------------------------------- samplics


def samplics_load(p: dict[str, Any]) -> Any:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # "samplics is archived"
    import samplics  # noqa: F401

    return _pandas_load(p)


def samplics_core(df: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from samplics.weighting import SampleWeight

    w = df["w"].to_numpy()
    margins = {v: df[v].to_numpy() for v in p["vars"]}
    # samplics stops when BOTH the misfit to the controls <= ctrl_tol and the change "against the
    # previous value" <= tol; that previous value is never updated past the base weight (0.6.x),
    # so tol is switched off (inf) and ctrl_tol carries the same rule as everyone else's.
    weights = SampleWeight().rake(samp_weight=w, margins=margins, control=_counts(p, float(w.sum())),
                                  tol=float("inf"), ctrl_tol=p["tol"], max_iter=p["max_iter"])
    return weights, {"iterations": None, "rule": f"ctrl_tol {p['tol']:g} (max relative margin error), tol inf"}


# ----------------------------------------------------------------------------- ipfn


def ipfn_load(p: dict[str, Any]) -> Any:
    import ipfn  # noqa: F401

    return _pandas_load(p)


def ipfn_core(df: Any, p: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """ipfn on the collapsed cell table: group the base weights by the crossed margins, rake that
    table with ipfn's numpy path, and give each row its cell's adjustment factor."""
    import numpy as np
    import pandas as pd
    from ipfn import ipfn

    codes, sizes, levels = [], [], []
    for v in p["vars"]:
        cat = pd.Categorical(df[v], categories=list(p["shares"][v]))
        codes.append(cat.codes.astype(np.int64))
        sizes.append(len(cat.categories))
        levels.append(list(cat.categories))
    cell = np.ravel_multi_index(codes, sizes)
    w = df["w"].to_numpy()
    table = np.bincount(cell, weights=w, minlength=int(np.prod(sizes))).reshape(sizes)
    total = float(w.sum())
    aggregates = [np.array([p["shares"][v][lv] * total for lv in levs]) for v, levs in zip(p["vars"], levels, strict=True)]
    dims = [[i] for i in range(len(sizes))]
    fitted, converged, history = ipfn.ipfn(table.copy(), aggregates, dims, convergence_rate=p["tol"],
                                           max_iteration=p["max_iter"], rate_tolerance=0.0,
                                           verbose=2).iteration()
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(table > 0, fitted / table, 0.0).ravel()
    return w * factor[cell], {"iterations": len(history), "converged": int(converged),
                              "rule": f"convergence_rate {p['tol']:g} (max |achieved/target - 1|), rate_tolerance 0"}


WORKERS = {
    "citizensfirst": (cf_load, cf_core),
    "weightipy": (weightipy_load, weightipy_core),
    "balance": (balance_load, balance_core),
    "svy": (svy_load, svy_core),
    "samplics": (samplics_load, samplics_core),
    "ipfn": (ipfn_load, ipfn_core),
}


def main(argv: list[str]) -> None:
    tool, params_json, out_dir = argv
    params = json.loads(params_json)
    load, core = WORKERS[tool]
    start = time.perf_counter()
    data = load(params)
    loaded = time.perf_counter()
    weights, info = core(data, params)
    done = time.perf_counter()
    import numpy as np

    np.asarray(weights, dtype="<f8").tofile(f"{out_dir}/weights.f64")
    payload = {"load_s": loaded - start, "core_s": done - loaded, "info": info | _numpy_info()}
    with open(f"{out_dir}/out.json", "w") as fh:
        json.dump(payload, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
