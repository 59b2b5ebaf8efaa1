"""Driver-analysis benchmark (T4): exact Shapley (LMG) R^2 decomposition, citizensfirst vs peers.

A script run by hand, not a test. From the repository root, with the project's interpreter::

    bash benchmarks/setup_peers_wd.sh                                  # dominance, relativeimp venvs
    /tmp/venv/bin/python benchmarks/run_drivers.py                     # writes RESULTS_drivers.md
    /tmp/venv/bin/python benchmarks/run_drivers.py --tasks T4w-12 --runs 1

What it does:

1. Generates the data once (seeded) under ``benchmarks/_work/``: 100,000 and 1,000,000
   respondents, 15 correlated driver ratings ``d01``..``d15`` (1-5), an overall-satisfaction
   outcome ``overall`` (a noisy linear function of the drivers, on a 0-10 scale) and a survey
   weight ``w`` (lognormal, spread like a raked weight). No missing values (every tool uses
   every row). A task with p drivers uses ``d01``..``d{p}``.
2. Runs every (task, tool) ``--runs`` times, interleaved, each run a fresh process in the tool's
   own venv (``drivers_workers.py``), under ``/usr/bin/time`` for peak RSS, killed after
   ``--timeout`` s (a timeout or failure is reported and not retried).
3. Checks every peer's importances against ours on the same task (max relative difference) and
   writes the medians as a markdown table to ``benchmarks/RESULTS_drivers.md``.

Tasks: ``T4w-p`` weighted Shapley/LMG at p = 8, 12, 15 on 100,000 rows and ``T4w-12-1M`` on
1,000,000 rows (ours vs dominance-analysis given the weighted covariance matrix); ``T4u-p``
unweighted on raw data (ours with weights of 1 vs dominance-analysis fitting one regression per
subset: the package takes no weights); ``RW-p`` Johnson's relative weights, unweighted (ours
``method="relative_weights"`` vs relativeImp, which computes relative weights, not Shapley values).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_harness as ph

SNAPSHOT = ph.WORK / "src_snapshot_drivers"
P_MAX = 15
DRIVERS = [f"d{j:02d}" for j in range(1, P_MAX + 1)]
OUTCOME = "overall"
SEED = 20240603
TOOL_VENV = {"citizensfirst": None, "dominance-cov": "dominance", "dominance-raw": "dominance",
             "relativeImp": "relativeimp"}
TOOL_LABEL = {"citizensfirst": "citizensfirst", "dominance-cov": "dominance-analysis, given the weighted covariance",
              "dominance-raw": "dominance-analysis on raw data", "relativeImp": "relativeImp"}


def parquet(rows: int) -> Path:
    return ph.WORK / f"cf_drivers_{rows}r_{P_MAX}p_s{SEED}.parquet"


def make_data(rows: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED + rows)
    latent_mix = rng.normal(scale=0.35, size=(P_MAX, P_MAX)) + np.eye(P_MAX)
    common = rng.normal(size=(rows, 1))  # a halo: every rating shares a general-satisfaction factor
    latent = rng.normal(size=(rows, P_MAX)) @ latent_mix + 0.8 * common
    x = np.clip(np.rint(3.4 + 0.9 * latent / latent.std(axis=0)), 1, 5)
    beta = rng.uniform(0.1, 1.0, size=P_MAX)
    y = x @ beta / beta.sum() * 2.0 + 0.9 * common[:, 0] + rng.normal(scale=1.2, size=rows)
    cols = {d: x[:, j] for j, d in enumerate(DRIVERS)}
    cols[OUTCOME] = np.clip(np.rint(y), 0, 10)
    cols["w"] = np.round(rng.lognormal(0.0, 0.5, rows) * 31_000_000 / rows, 4)
    return cols


def ensure_data(rows: int, regen: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = parquet(rows)
    if path.exists() and not regen:
        return
    ph.WORK.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(make_data(rows)), path, compression="snappy")
    print(f"data written: {path}", flush=True)


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    rows: int
    p: int
    weighted: bool
    method: str
    tools: tuple[str, ...]


def all_tasks(rows: int, big_rows: int) -> dict[str, Task]:
    tasks: dict[str, Task] = {}
    for p in (8, 12, 15):
        tasks[f"T4w-{p}"] = Task(f"T4w-{p}", f"T4 exact Shapley (LMG), weighted, {p} drivers, {rows:,} rows",
                                 rows, p, True, "shapley", ("citizensfirst", "dominance-cov"))
    tasks["T4w-12-1M"] = Task("T4w-12-1M", f"T4 exact Shapley (LMG), weighted, 12 drivers, {big_rows:,} rows",
                              big_rows, 12, True, "shapley", ("citizensfirst", "dominance-cov"))
    for p in (8, 12, 15):
        tasks[f"T4u-{p}"] = Task(f"T4u-{p}", f"T4 exact Shapley (LMG), unweighted raw data, {p} drivers, {rows:,} rows",
                                 rows, p, False, "shapley", ("citizensfirst", "dominance-raw"))
    for p in (8, 12, 15):
        tasks[f"RW-{p}"] = Task(f"RW-{p}", f"Johnson relative weights, unweighted, {p} drivers, {rows:,} rows",
                                rows, p, False, "relative_weights", ("citizensfirst", "relativeImp"))
    return tasks


def run_once(tool: str, task: Task, args: argparse.Namespace) -> ph.Run:
    venv = TOOL_VENV[tool]
    if venv is not None and ph.venv_status(venv) != "ok":
        return ph.Run(ph.venv_status(venv))
    python = args.ours_python if venv is None else ph.venv_python(venv)
    params = {"parquet": str(parquet(task.rows)), "drivers": DRIVERS[: task.p], "outcome": OUTCOME,
              "weighted": task.weighted, "method": task.method}
    with ph.temp_dir() as tmp:
        cmd = [str(python), str(ph.HERE / "drivers_workers.py"), tool, json.dumps(params), tmp]
        env = ph.child_env(SNAPSHOT if tool == "citizensfirst" else None, args.keep_openblas_env)
        return ph.run_process(cmd, env, args.timeout, Path(tmp))


def agreement(ours: dict[str, float], peer: dict[str, float]) -> float:
    if set(ours) != set(peer):
        return float("nan")
    return max(abs(peer[k] - ours[k]) / abs(ours[k]) for k in ours)


def build_table(tasks: list[Task], runs: dict[tuple[str, str], list[ph.Run]], agree: dict[tuple[str, str], float],
                args: argparse.Namespace) -> str:
    lines = ["| task | tool | core s | wall s | load s | peak RSS MB | peer/ours core (x faster) | "
             "peer/ours wall | max rel diff vs ours | runs |", "|---|---|" + "---:|" * 8]
    for task in tasks:
        ours = [r for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"]
        ours_core, ours_wall = ph.median([r.core_s for r in ours]), ph.median([r.wall_s for r in ours])
        for i, tool in enumerate(task.tools):
            rs = runs.get((task.name, tool), [])
            label = task.label if i == 0 else ""
            ok = [r for r in rs if r.status == "ok"]
            bad = [r for r in rs if r.status != "ok"]
            if not ok:
                status = bad[0].status if bad else "not run"
                what = f"> {args.timeout:g} (timeout)" if status == "timeout" else status
                lines.append(f"| {label} | {TOOL_LABEL[tool]} | {what} | | | | "
                             f"{'> ' + ph.fmt(args.timeout / ours_core, 0) if status == 'timeout' else ''} | | | {len(rs)} |")
                continue
            core, wall = ph.median([r.core_s for r in ok]), ph.median([r.wall_s for r in ok])
            load, rss = ph.median([r.load_s for r in ok]), ph.median([r.rss_mb for r in ok])
            if tool == "citizensfirst":
                rc = rw = "1"
                diff = "(reference)"
            else:
                rc, rw = ph.fmt(core / ours_core, 1), ph.fmt(wall / ours_wall, 2)
                diff = f"{agree.get((task.name, tool), float('nan')):.1e}"
            note = f"{len(ok)}" + (f" (+{len(bad)} {bad[0].status})" if bad else "")
            lines.append(f"| {label} | {TOOL_LABEL[tool]} | {ph.fmt(core, 3)} | {ph.fmt(wall)} | {ph.fmt(load)} | "
                         f"{ph.fmt(rss, 0)} | {rc} | {rw} | {diff} | {note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big-rows", type=int, default=1_000_000)
    parser.add_argument("--tasks", nargs="+", default=None, help="task names (default: all)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="wall seconds per process")
    parser.add_argument("--regen", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="profile ours (profile_drivers.py) when a peer is faster on core or wall (auto)")
    parser.add_argument("--ours-python", default=ph.OURS_PYTHON)
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--out", default=str(ph.HERE / "RESULTS_drivers.md"), help="markdown report ('' for none)")
    args = parser.parse_args()

    catalogue = all_tasks(args.rows, args.big_rows)
    names = args.tasks or list(catalogue)
    unknown = [n for n in names if n not in catalogue]
    if unknown:
        parser.error(f"unknown task(s) {unknown}; choose from {list(catalogue)}")
    tasks = [catalogue[n] for n in names]
    for rows in sorted({t.rows for t in tasks}):
        ensure_data(rows, args.regen)
    code = ph.snapshot_source(SNAPSHOT)
    print(f"citizensfirst code: {code} (copied to {SNAPSHOT.relative_to(ph.ROOT)})", flush=True)
    runs: dict[tuple[str, str], list[ph.Run]] = {}
    agree: dict[tuple[str, str], float] = {}
    for task in tasks:
        for rep in range(args.runs):
            for tool in task.tools:
                previous = runs.setdefault((task.name, tool), [])
                if any(r.status != "ok" for r in previous):
                    continue
                run = run_once(tool, task, args)
                previous.append(run)
                extra = (f" load {run.load_s:.2f} s, core {run.core_s:.3f} s, RSS {run.rss_mb:.0f} MB"
                         if run.status == "ok" else f" {run.error}")
                print(f"[{task.name} run {rep + 1}] {tool}: {run.status}, wall {run.wall_s:.2f} s;{extra}", flush=True)
        ours = next((r for r in runs[(task.name, "citizensfirst")] if r.status == "ok"), None)
        for tool in task.tools[1:]:
            peer = next((r for r in runs[(task.name, tool)] if r.status == "ok"), None)
            if ours and peer:
                agree[(task.name, tool)] = agreement(ours.payload["result"], peer.payload["result"])
                print(f"[{task.name}] {tool} vs citizensfirst: max relative difference of the importances "
                      f"{agree[(task.name, tool)]:.2e}", flush=True)
    table = build_table(tasks, runs, agree, args)
    info = [f"- citizensfirst code: {code}", f"- {ph.machine_line()}",
            f"- peer versions: dominance-analysis {ph.pip_version('dominance', 'dominance-analysis')} "
            f"(numpy {ph.pip_version('dominance', 'numpy')}, pandas {ph.pip_version('dominance', 'pandas')}, "
            f"scikit-learn {ph.pip_version('dominance', 'scikit-learn')}), relativeImp "
            f"{ph.pip_version('relativeimp', 'relativeImp')} (numpy {ph.pip_version('relativeimp', 'numpy')})",
            "- OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for every tool's process"]
    print("\n" + table + "\n\n" + "\n".join(info))
    (ph.WORK / "last_runs_drivers.json").write_text(json.dumps(
        {f"{k[0]}|{k[1]}": [r.__dict__ for r in v] for k, v in runs.items()}, default=str))
    profile = ""
    slower = ours_slower(tasks, runs)
    if args.profile == "always" or (args.profile == "auto" and slower):
        chosen = slower[:1] + [catalogue[n] for n in ("T4w-12", "T4w-12-1M") if n in names]
        profile = "\n\n".join(profile_ours(task, args, imports=i == 0) for i, task in enumerate(chosen))
        print(profile)
    if args.out:
        write_results(Path(args.out), table, info, args, profile, slower)


def ours_slower(tasks: list[Task], runs: dict[tuple[str, str], list[ph.Run]]) -> list[Task]:
    """Tasks where a peer's median core or wall time is below ours."""
    out = []
    for task in tasks:
        ours = [r for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"]
        for tool in task.tools[1:]:
            peer = [r for r in runs.get((task.name, tool), []) if r.status == "ok"]
            if ours and peer and (ph.median([r.core_s for r in peer]) < ph.median([r.core_s for r in ours])
                                  or ph.median([r.wall_s for r in peer]) < ph.median([r.wall_s for r in ours])):
                out.append(task)
                break
    return out


def profile_ours(task: Task, args: argparse.Namespace, imports: bool = True) -> str:
    """Run profile_drivers.py on the same snapshot of our code for ``task``; its output for the report."""
    import subprocess

    cmd = [args.ours_python, str(ph.HERE / "profile_drivers.py"), "--p", str(task.p), "--rows", str(task.rows),
           "--method", task.method, "--top", "10"] + ([] if task.weighted else ["--unweighted"]) + \
        ([] if imports else ["--no-imports"])
    proc = subprocess.run(cmd, env=ph.child_env(SNAPSHOT, args.keep_openblas_env), capture_output=True,
                          text=True, timeout=600)
    return f"task {task.name}:\n" + (proc.stdout + proc.stderr[-2000:]).strip()


def write_results(path: Path, table: str, info: list[str], args: argparse.Namespace, profile: str = "",
                  slower: list[Task] | None = None) -> None:
    if profile:
        names = ", ".join(t.name for t in slower or []) or "none (profiled on request)"
        profile = f"""## Where citizensfirst's time goes

A peer was faster than ours on core or wall time in: {names}. `benchmarks/profile_drivers.py` was
run on the same code and data for the first of them (import time of `citizensfirst.drivers` in a
fresh interpreter, the bulk of our "load" column, then a cProfile of the first `driver_importance`
call in the process, as a benchmark run makes it), and for T4w-12 and T4w-12-1M (the target task
and the largest data).

```
{profile}
```
"""
    text = f"""# Driver-analysis benchmark (T4): citizensfirst vs dominance-analysis and relativeImp

Generated by `python benchmarks/run_drivers.py` on {time.strftime('%Y-%m-%d %H:%M')}: every tool in its own process
on the same data file, medians of {args.runs} runs, interleaved; timeout {args.timeout:g} s of wall time per process.
Core = the tool's own calls on data already in memory; load = reading the Parquet file with pandas
(and the imports); wall = the whole process; peak RSS from /usr/bin/time. "peer/ours" > 1 means
citizensfirst is faster by that factor. "max rel diff vs ours" = max over the drivers of
|peer - ours| / |ours| of the importance (the R^2 share of each driver, not normalised).

Data (seed {SEED}): {args.rows:,} and {args.big_rows:,} respondents, 15 correlated 1-5 driver ratings sharing a
general-satisfaction factor, a 0-10 overall-satisfaction outcome, a lognormal(0, 0.5) survey weight; no
missing values. A task with p drivers uses the first p. Files `benchmarks/_work/cf_drivers_*.parquet`.

{table}

Machine and settings:
{chr(10).join(info)}

What each tool computes:
- citizensfirst: `citizensfirst.drivers.driver_importance(df, "overall", drivers, weights,
  method="shapley")` (exact LMG from the weighted covariance, all 2^p subsets by a sweep-operator
  dynamic programme; the call also computes VIFs, the condition number, the performance means and
  the pairwise-difference table). Unweighted tasks pass weights of 1; RW tasks `method="relative_weights"`.
- dominance-analysis, given the weighted covariance: `np.cov(X, aweights=w)` (inside core) as a DataFrame,
  then `Dominance(data=cov, target="overall", objective=1, data_format=2).incremental_rsquare()`; it
  inverts one correlation submatrix per subset (pandas + `np.linalg.pinv`). Its "incremental R^2" is
  general dominance = the LMG/Shapley value.
- dominance-analysis on raw data: `Dominance(data=df, target="overall", objective=1, top_k=p)
  .incremental_rsquare()`: one scikit-learn `LinearRegression` per subset; it takes no weights, so it is
  compared with ours given weights of 1.
- relativeImp: `relativeImp(df, outcomeName, driverNames)`: Johnson's relative weights from the
  unweighted correlation matrix (pandas `.corr()`); it does not compute Shapley values, so it is compared
  with ours `method="relative_weights"` (rawRelaImpt against our importance).

The project's stated target is at least 100x faster than dominance-analysis at 12 drivers: read the
"peer/ours core" column of the T4w-12 rows (core against core) and "peer/ours wall" (whole processes,
where interpreter start, imports and reading the file weigh in).

{profile}
Re-run: `bash benchmarks/setup_peers_wd.sh` (venvs under `benchmarks/_work/venvs/`), then
`/tmp/venv/bin/python benchmarks/run_drivers.py` (see `--help`: `--tasks`, `--runs`, `--timeout`, `--rows`).
"""
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
