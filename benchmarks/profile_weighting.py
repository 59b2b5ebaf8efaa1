"""cProfile of citizensfirst's T1 raking call (a script, not a test).

    PYTHONPATH=src /tmp/venv/bin/python benchmarks/profile_weighting.py [--uniform] [--top 25]

Uses the data file written by ``run_weighting.py`` (run that first) and the same call as its
worker (``Design(df, weights="w").rake(MARGINS, tol=1e-6)``); prints the core time without and
with the profiler, the functions with the largest cumulative and own time (share of the profiled
time), and a stage breakdown timed by hand: level matching (``_level_codes``), the sweeps, the
convergence checks and the report.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_weighting as rw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uniform", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args()

    import numpy as np
    import pandas as pd

    import citizensfirst as cf
    from citizensfirst.weighting import controls as methods

    spec = rw.DataSpec()
    df = pd.read_parquet(spec.parquet, columns=[*rw.VARS, "w"])
    if args.uniform:
        df["w"] = 1.0

    def core() -> object:
        return cf.Design(df, weights="w").rake(rw.MARGINS, tol=args.tol)

    sweeps = core().report.iterations  # warm-up (lazy imports)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        core()
        times.append(time.perf_counter() - start)
    print(f"core (no profiler), best of 3: {min(times):.3f} s; all: {', '.join(f'{t:.3f}' for t in times)}")

    # stage breakdown, timed by hand with the library's own pieces
    design = cf.Design(df, weights="w")
    t0 = time.perf_counter()
    d = cf.Design(df, weights="w")
    t1 = time.perf_counter()
    targets, _ = methods.parse_margins(rw.MARGINS, None, float(design._weights.sum()))
    coded = [methods._level_codes(d, v, list(targets[v])) for v in targets]
    t2 = time.perf_counter()
    tv = [np.array(list(targets[v].values())) for v in targets]
    w = d._weights.copy()
    sweep_s = check_s = 0.0
    for _ in range(sweeps):
        s = time.perf_counter()
        for (codes, keys), target in zip(coded, tv, strict=True):
            current = np.bincount(codes, weights=w, minlength=len(keys))
            w = w * (target / current)[codes]
        c = time.perf_counter()
        methods._worst_relative_error(coded, tv, w)
        e = time.perf_counter()
        sweep_s += c - s
        check_s += e - c
    t3 = time.perf_counter()
    j0 = time.perf_counter()
    methods._joint_table(coded, w)
    j1 = time.perf_counter()
    from citizensfirst.weighting.report import WeightingReport, margin_table

    r0 = time.perf_counter()
    m = margin_table(list(targets), coded, tv, w)
    WeightingReport.build("raking", d._weights, w, m, True, sweeps)
    r1 = time.perf_counter()
    print(f"stages: Design() {t1 - t0:.3f} s; level matching (_level_codes x {len(coded)}) {t2 - t1:.3f} s; "
          f"{sweeps} sweeps {sweep_s:.3f} s; {sweeps} convergence checks {check_s:.3f} s (loop total {t3 - t2:.3f} s); "
          f"one _joint_table {j1 - j0:.3f} s; margin table + report {r1 - r0:.3f} s")

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    core()
    profiler.disable()
    total = time.perf_counter() - start
    print(f"\ncore under cProfile: {total:.3f} s")
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        rows = []
        for func, (_cc, ncalls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct if key == "cumulative" else tt, ncalls, func))
        rows.sort(reverse=True)
        print(f"\n--- top {args.top} by {key} (share of profiled core) ---")
        for value, ncalls, (path, line, name) in rows[: args.top]:
            where = f"{Path(path).name}:{line}" if line else path
            print(f"{value:8.3f} s {100 * value / total:5.1f}%  {ncalls:6d}x  {name}  ({where})")


if __name__ == "__main__":
    main()
