"""One driver-importance run (T4) of one tool, in its own process; driven by ``run_drivers.py``.

    PYTHON benchmarks/drivers_workers.py TOOL PARAMS_JSON OUT_DIR

TOOL: ``citizensfirst`` (its venv: /tmp/venv), ``dominance-cov`` and ``dominance-raw``
(``dominance-analysis``, venv ``dominance``: numpy < 2, ipython < 9), ``relativeImp`` (venv
``relativeimp``). Only the standard library is imported at the top. ``load`` reads the Parquet file
(the drivers, the outcome and the weight) with pandas; ``core`` is the tool's own calls on data in
memory. Writes OUT_DIR/out.json ``{"load_s", "core_s", "result": {driver: importance}, "info"}``.

PARAMS: ``parquet``, ``drivers``, ``outcome``, ``weighted`` (use the weight column ``w``, else
weights of 1), ``method`` (ours: ``shapley`` or ``relative_weights``).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from typing import Any


def _load(p: dict[str, Any]) -> Any:
    import pandas as pd

    return pd.read_parquet(p["parquet"], columns=[*p["drivers"], p["outcome"], "w"])


# ----------------------------------------------------------------------------- citizensfirst


def cf_load(p: dict[str, Any]) -> Any:
    import citizensfirst.drivers  # noqa: F401  (import cost belongs to load, as for the peers)

    return _load(p)


def cf_core(df: Any, p: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    import numpy as np

    from citizensfirst.drivers.analysis import driver_importance

    w = df["w"].to_numpy() if p["weighted"] else np.ones(len(df))
    res = driver_importance(df, p["outcome"], p["drivers"], w, method=p["method"])
    return {d: float(v) for d, v in res.table["importance"].items()}, {"r2": res.r2, "exact": res.exact}


# ----------------------------------------------------------------------------- dominance-analysis


def dominance_load(p: dict[str, Any]) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):  # it prints notebook set-up messages on import
        from dominance_analysis import Dominance  # noqa: F401
    return _load(p)


def dominance_cov_core(df: Any, p: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """The weighted covariance matrix (numpy, inside core), handed to Dominance(data_format=2)."""
    import numpy as np
    import pandas as pd
    from dominance_analysis import Dominance

    cols = [*p["drivers"], p["outcome"]]
    X = df[cols].to_numpy(dtype=float)
    w = df["w"].to_numpy() if p["weighted"] else np.ones(len(df))
    cov = pd.DataFrame(np.cov(X, rowvar=False, aweights=w), index=cols, columns=cols)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = Dominance(data=cov, target=p["outcome"], objective=1, data_format=2)
        imp = model.incremental_rsquare()
    return {d: float(imp[d]) for d in p["drivers"]}, {}


def dominance_raw_core(df: Any, p: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """Raw data: one sklearn regression per subset (unweighted: the package takes no weights)."""
    from dominance_analysis import Dominance

    data = df[[*p["drivers"], p["outcome"]]]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        model = Dominance(data=data, target=p["outcome"], objective=1, top_k=len(p["drivers"]))
        imp = model.incremental_rsquare()
    return {d: float(imp[d]) for d in p["drivers"]}, {}


# ----------------------------------------------------------------------------- relativeImp


def relativeimp_load(p: dict[str, Any]) -> Any:
    import relativeImp  # noqa: F401

    return _load(p)


def relativeimp_core(df: Any, p: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    """Johnson's relative weights from the unweighted correlation matrix (it takes no weights)."""
    from relativeImp import relativeImp

    out = relativeImp(df, outcomeName=p["outcome"], driverNames=list(p["drivers"]))
    return {str(d): float(v.real) for d, v in zip(out["driver"], out["rawRelaImpt"], strict=True)}, {}


WORKERS = {
    "citizensfirst": (cf_load, cf_core),
    "dominance-cov": (dominance_load, dominance_cov_core),
    "dominance-raw": (dominance_load, dominance_raw_core),
    "relativeImp": (relativeimp_load, relativeimp_core),
}


def main(argv: list[str]) -> None:
    tool, params_json, out_dir = argv
    params = json.loads(params_json)
    load, core = WORKERS[tool]
    start = time.perf_counter()
    data = load(params)
    loaded = time.perf_counter()
    result, info = core(data, params)
    done = time.perf_counter()
    import numpy as np

    payload = {"load_s": loaded - start, "core_s": done - loaded, "result": result,
               "info": info | {"numpy": np.__version__}}
    with open(f"{out_dir}/out.json", "w") as fh:
        json.dump(payload, fh)


if __name__ == "__main__":
    main(sys.argv[1:])
