"""Where citizensfirst's driver-analysis time goes (a script, not a test).

    PYTHONPATH=src /tmp/venv/bin/python benchmarks/profile_drivers.py [--p 12] [--method shapley]
        [--rows 100000] [--unweighted] [--top 15]

Uses the data file written by ``run_drivers.py``. Prints (1) the import time of
``citizensfirst.drivers`` in a fresh interpreter (``python -X importtime``), with the
largest top-level packages it pulls in, and (2) a cProfile of one ``driver_importance`` call
(the first call in the process, as in a benchmark run; later calls are timed too): core time, and the functions with the largest cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_drivers as rd


def import_times(module: str, top: int) -> str:
    """Cumulative import times of ``module`` and of the packages it pulls in (python -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                          text=True, env=dict(os.environ))
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line.split(":", 1)[1].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(cum_us), depth, name.strip()))
    total = sum(c for c, d, _ in rows if d == 0)
    # a package's time: the largest cumulative time among its modules (its first import chain)
    by_root: dict[str, int] = {}
    for c, _d, name in rows:
        root = name.split(".")[0]
        by_root[root] = max(by_root.get(root, 0), c)
    biggest = sorted(by_root.items(), key=lambda kv: -kv[1])[:top]
    ours = sorted(((c, name) for c, _d, name in rows if name.startswith("citizensfirst.")), reverse=True)[:8]
    lines = [f"import {module} in a fresh interpreter: {total / 1e6:.3f} s in all; by package (largest "
             "cumulative time among its modules; nested packages are counted in their importer too):"]
    lines += [f"  {c / 1e6:7.3f} s  {name}" for name, c in biggest]
    lines.append("citizensfirst modules (cumulative, nested):")
    lines += [f"  {c / 1e6:7.3f} s  {name}" for c, name in ours]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=12)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--method", default="shapley")
    parser.add_argument("--unweighted", action="store_true")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-imports", action="store_true", help="skip the import-time part")
    args = parser.parse_args()

    if not args.no_imports:
        print(import_times("citizensfirst.drivers", args.top))
    start = time.perf_counter()
    import numpy as np
    import pandas as pd

    from citizensfirst.drivers.analysis import driver_importance

    print(f"(imports in this process: {time.perf_counter() - start:.3f} s)")
    df = pd.read_parquet(rd.parquet(args.rows), columns=[*rd.DRIVERS[: args.p], rd.OUTCOME, "w"])
    w = np.ones(len(df)) if args.unweighted else df["w"].to_numpy()
    drivers = rd.DRIVERS[: args.p]

    def core() -> object:
        return driver_importance(df, rd.OUTCOME, drivers, w, method=args.method)

    profiler = cProfile.Profile()
    s = time.perf_counter()
    profiler.enable()
    core()  # the first call in this process, as each benchmark run makes it
    profiler.disable()
    first = time.perf_counter() - s
    times = []
    for _ in range(3):
        s = time.perf_counter()
        core()
        times.append(time.perf_counter() - s)
    print(f"\ndriver_importance(method={args.method!r}, p={args.p}, rows={args.rows:,}): first call in the "
          f"process (profiled) {first:.4f} s; later calls, best of 3: {min(times):.4f} s")
    total = first
    print("cProfile of the first call:")
    for key in ("cumulative", "tottime"):
        stats = pstats.Stats(profiler, stream=io.StringIO())
        rows = [(ct if key == "cumulative" else tt, nc, func)
                for func, (_cc, nc, tt, ct, _callers) in stats.stats.items()]  # type: ignore[attr-defined]
        rows.sort(reverse=True)
        print(f"--- top {args.top} by {key} (share of profiled core) ---")
        for value, ncalls, (path, line, name) in rows[: args.top]:
            where = f"{Path(path).name}:{line}" if line else path
            print(f"{value:8.4f} s {100 * value / total:5.1f}%  {ncalls:6d}x  {name}  ({where})")


if __name__ == "__main__":
    main()
