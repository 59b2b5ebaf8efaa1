"""cProfile of citizensfirst's core calls for one benchmark task (a script, not a test).

    PYTHONPATH=src python benchmarks/profile_ours.py T2|T3-200|T3-100 [--top 25]

Uses the data file written by ``run_estimation.py`` (run that first) and the same calls as its
worker; prints the core time and the functions with the largest cumulative and own time, with
their share of the core time.
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

import estimation_workers as ew
import run_estimation as rx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", help="T2, T3-200 or T3-100")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    spec = rx.DataSpec()
    tasks = {t.name: t for group in rx.TASKS.values() for t in group(spec)}
    task = tasks[args.task]
    load, core, _ = ew.WORKERS[("citizensfirst", task.worker)]
    data = load(task.params)
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    core(data, task.params)
    profiler.disable()
    total = time.perf_counter() - start
    print(f"{args.task}: core {total:.2f} s under cProfile")
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        stats = pstats.Stats(profiler, stream=buf)
        stats.sort_stats(key)
        print(f"\n--- top {args.top} by {key} (share of core) ---")
        rows = []
        for func, (_cc, ncalls, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct if key == "cumulative" else tt, ncalls, func))
        rows.sort(reverse=True)
        for value, ncalls, (path, line, name) in rows[: args.top]:
            where = f"{Path(path).name}:{line}" if line else path
            print(f"{value:8.2f} s {100 * value / total:5.1f}%  {ncalls:6d}x  {name}  ({where})")


if __name__ == "__main__":
    main()
