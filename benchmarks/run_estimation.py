"""Estimation benchmark: citizensfirst against svy, samplics and R's survey, in the same run.

A script run by hand, not a test. From the repository root::

    python benchmarks/run_estimation.py                 # everything: data, peers, T2, T3 (200, 100)
    python benchmarks/run_estimation.py --tasks T2 --runs 1 --tools citizensfirst svy

What it does:

1. Generates the data once (seeded) under ``benchmarks/_work/``: 1,000,000 rows, 13 provinces
   (= strata, also the domain variable ``prov``), 2,000 PSUs nested in strata (``psu`` numbered
   within stratum), a base weight ``w``, ten 1-5 ratings ``q01``..``q10`` with missing values
   (the "don't know"/refused codes, stored as NaN), and 200 bootstrap replicate weight columns
   ``rw1``..``rw200`` (Rao-Wu with n_h - 1 draws, i.e. Canty-Davison, multiplier x base weight).
   One Parquet file holds all columns (each tool reads only the columns its task needs) and, for
   R, one CSV per task with just those columns.
2. Creates the peers' virtual environments (``benchmarks/setup_peers.sh``) if missing.
3. Runs every (task, tool) pair ``--runs`` times, interleaved, each run a fresh process
   (``estimation_workers.py`` in the tool's venv, ``estimation_worker.R`` under Rscript) wrapped
   in ``/usr/bin/time`` for peak RSS. Wall = whole process as seen by this script; core = the
   tool's own calls (design construction + estimates) on data already in memory, as timed by the
   worker. A run over ``--timeout`` seconds of wall time is killed and reported as a timeout.
4. Checks every peer's estimates and SEs against ours (max relative difference), then prints the
   medians as a markdown table and writes ``benchmarks/RESULTS.md``.

For benchmarking only, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment
of every tool's process alike (``--keep-openblas-env`` to keep them); RESULTS.md records it.

Tasks are entries of ``TASKS`` (a function returning ``Task`` values): to add one (e.g. T1
raking, T4 drivers), add a builder there and the workers for each tool in
``estimation_workers.py`` / ``estimation_worker.R``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from peer_harness import Run, run_process

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "_work"
VENVS = WORK / "venvs"
PYLIB = WORK / "pylib"
SNAPSHOT = WORK / "src_snapshot"  # ours is run from a copy of src/ taken at start (others may edit src/)
TOOLS = ("citizensfirst", "svy", "samplics", "R survey")
PROVINCES = ["ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", "NL", "PE", "NT", "YT", "NU"]
POP_SHARE = np.array([38.5, 22.5, 13.6, 11.6, 3.7, 3.1, 2.6, 2.1, 1.4, 0.43, 0.11, 0.11, 0.1])
VARS = [f"q{j:02d}" for j in range(1, 11)]
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSpec:
    rows: int = 1_000_000
    psus: int = 2_000
    replicates: int = 200
    seed: int = 20240601

    @property
    def stem(self) -> str:
        return f"cf_{self.rows}r_{self.psus}p_{self.replicates}rep_s{self.seed}"

    @property
    def parquet(self) -> Path:
        return WORK / f"{self.stem}.parquet"

    def csv(self, name: str) -> Path:
        return WORK / f"{self.stem}_{name}.csv"


def make_data(spec: DataSpec) -> dict[str, np.ndarray]:
    """The synthetic survey as columns (see the module docstring)."""
    rng = np.random.default_rng(spec.seed)
    n_strata = len(PROVINCES)
    share = POP_SHARE / POP_SHARE.sum()
    # PSUs allocated by the square root of population (small provinces oversampled), >= 20 each
    min_psu = max(2, min(20, spec.psus // (2 * n_strata)))
    alloc = np.maximum(min_psu, np.floor(np.sqrt(share) / np.sqrt(share).sum() * spec.psus)).astype(int)
    alloc[0] += spec.psus - alloc.sum()
    psu_stratum = np.repeat(np.arange(n_strata), alloc)
    psu_local = np.concatenate([np.arange(1, n + 1) for n in alloc])
    min_rows = min(50, spec.rows // (2 * spec.psus))
    size = rng.gamma(4.0, 1.0, spec.psus)
    rows_per_psu = min_rows + rng.multinomial(spec.rows - min_rows * spec.psus, size / size.sum())
    row_psu = rng.permutation(np.repeat(np.arange(spec.psus), rows_per_psu))
    row_stratum = psu_stratum[row_psu]
    # base weight: stratum population / respondents, with a nonresponse-like spread
    n_h = np.bincount(row_stratum, minlength=n_strata)
    base = share * 31_000_000 / n_h
    w = np.round(base[row_stratum] * rng.lognormal(0.0, 0.35, spec.rows), 2)
    # ratings: province, PSU and person effects; 8/9 codes (don't know / refused) -> NaN
    u_prov = rng.normal(0.0, 0.15, (n_strata, len(VARS)))
    u_psu = rng.normal(0.0, 0.35, (spec.psus, len(VARS)))
    shift = rng.uniform(-0.4, 0.6, len(VARS))
    latent = 3.4 + shift + u_prov[row_stratum] + u_psu[row_psu] + rng.normal(0, 1, (spec.rows, len(VARS)))
    ratings = np.clip(np.rint(latent), 1, 5)
    miss_rate = np.linspace(0.01, 0.15, len(VARS))
    ratings[rng.random((spec.rows, len(VARS))) < miss_rate] = np.nan
    cols: dict[str, np.ndarray] = {
        "prov": np.array(PROVINCES, dtype=object)[row_stratum],
        "psu": psu_local[row_psu].astype(np.int32),
        "w": w,
    }
    for j, name in enumerate(VARS):
        cols[name] = ratings[:, j]
    # Rao-Wu / Canty-Davison bootstrap: per stratum draw n_h - 1 of the n_h PSUs with
    # replacement, multiplier = times drawn x n_h / (n_h - 1); replicate weight = multiplier x w
    mult = np.zeros((spec.psus, spec.replicates))
    for h in range(n_strata):
        members = np.flatnonzero(psu_stratum == h)
        k = len(members)
        draws = rng.integers(0, k, size=(spec.replicates, k - 1))
        counts = np.stack([np.bincount(d, minlength=k) for d in draws])  # (R, k)
        mult[members] = counts.T * (k / (k - 1))
    for r in range(spec.replicates):
        cols[f"rw{r + 1}"] = np.round(mult[row_psu, r] * w, 4)
    return cols


def ensure_data(spec: DataSpec, regen: bool) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    csvs = {"T2": spec.csv("T2")} | {f"T3_{n}": spec.csv(f"T3_{n}") for n in replicate_counts(spec)}
    if not regen and spec.parquet.exists() and all(p.exists() for p in csvs.values()):
        return
    WORK.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cols = make_data(spec)
    table = pa.table({k: pa.array(v, from_pandas=True) for k, v in cols.items()})  # NaN -> null
    del cols
    pq.write_table(table, spec.parquet, compression="snappy")
    pacsv.write_csv(table.select(["prov", "psu", "w", *VARS]), csvs["T2"])
    for n in replicate_counts(spec):
        pacsv.write_csv(table.select(["w", *VARS, *[f"rw{r + 1}" for r in range(n)]]), csvs[f"T3_{n}"])
    print(f"data written in {time.perf_counter() - start:.1f} s: {spec.parquet}", flush=True)


def replicate_counts(spec: DataSpec) -> list[int]:
    return sorted({spec.replicates, min(100, spec.replicates)}, reverse=True)


# ----------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One benchmark task: the same computation asked of every tool.

    ``worker`` names the task in ``estimation_workers.py`` / ``estimation_worker.R``; ``params``
    is passed to the Python workers as JSON; ``r_args`` are the R worker's arguments after the
    task name.
    """

    name: str
    label: str
    worker: str
    params: dict[str, Any]
    r_args: list[str] = field(default_factory=list)


def task_t2(spec: DataSpec) -> list[Task]:
    return [Task(
        "T2", "T2 mean + linearised SE, 10 variables, overall and by 13 provinces", "T2",
        {"parquet": str(spec.parquet), "columns": ["prov", "psu", "w", *VARS], "vars": VARS},
        [str(spec.csv("T2"))],
    )]


def task_t3(spec: DataSpec) -> list[Task]:
    tasks = []
    for n in replicate_counts(spec):
        reps = [f"rw{r + 1}" for r in range(n)]
        tasks.append(Task(
            f"T3-{n}", f"T3 replicate SE, {n} bootstrap replicate columns, 10 variables", "T3",
            {"parquet": str(spec.parquet), "columns": ["w", *VARS, *reps], "vars": VARS, "reps": reps},
            [str(spec.csv(f"T3_{n}")), str(n)],
        ))
    return tasks


TASKS: dict[str, Callable[[DataSpec], list[Task]]] = {"T2": task_t2, "T3": task_t3}


# ----------------------------------------------------------------------------- running


def tool_command(tool: str, task: Task, out: Path, ours_python: str) -> list[str] | None:
    worker = str(HERE / "estimation_workers.py")
    params = json.dumps(task.params)
    if tool == "citizensfirst":
        return [ours_python, worker, tool, task.worker, params, str(out)]
    if tool in ("svy", "samplics"):
        python = VENVS / tool / "bin" / "python"
        if not python.exists():
            return None
        return [str(python), worker, tool, task.worker, params, str(out)]
    if tool == "R survey":
        if shutil.which("Rscript") is None:
            return None
        return ["Rscript", str(HERE / "estimation_worker.R"), task.worker, *task.r_args[:1], str(out),
                *task.r_args[1:]]
    raise ValueError(tool)


def snapshot_source() -> str:
    """Copy src/ to _work/src_snapshot so every run of ours uses the same code; describe it."""
    if SNAPSHOT.exists():
        shutil.rmtree(SNAPSHOT)
    shutil.copytree(ROOT / "src", SNAPSHOT, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src")
    return f"commit {head}" + (" + uncommitted changes in src/" if dirty else "")


def child_env(tool: str, keep_openblas: bool) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_openblas:
        for name in OPENBLAS_VARS:
            env.pop(name, None)
    paths = [str(PYLIB)] if PYLIB.exists() else []
    if tool == "citizensfirst":
        paths.insert(0, str(SNAPSHOT))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONHOME", None)
    return env


def run_once(tool: str, task: Task, args: argparse.Namespace) -> Run:
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        cmd = tool_command(tool, task, Path(tmp) / "out.json", args.ours_python)
        if cmd is None:
            return Run("not installed")
        return run_process(cmd, child_env(tool, args.keep_openblas_env), args.timeout, Path(tmp))


def flatten(result: dict[str, Any]) -> dict[tuple[str, ...], tuple[float, float]]:
    """{(part, domain, variable): (estimate, se)} from a worker's result."""
    flat: dict[tuple[str, ...], tuple[float, float]] = {}
    for var, (est, se) in result.get("overall", {}).items():
        flat[("overall", "", var)] = (float(est), float(se))
    for dom, values in result.get("by", {}).items():
        for var, (est, se) in values.items():
            flat[("by", str(dom), var)] = (float(est), float(se))
    return flat


def agreement(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    a, b = flatten(ours), flatten(peer)
    common = sorted(set(a) & set(b))
    if not common:
        return {"n": 0, "missing": len(a), "extra": len(b), "est": float("nan"), "se": float("nan")}

    def rel(i: int) -> float:
        return max(abs(b[k][i] - a[k][i]) / max(abs(a[k][i]), 1e-300) for k in common)

    return {"n": len(common), "missing": len(set(a) - set(b)), "extra": len(set(b) - set(a)),
            "est": rel(0), "se": rel(1)}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ----------------------------------------------------------------------------- report


def machine_info(args: argparse.Namespace, runs: dict[tuple[str, str], list[Run]]) -> list[str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    lines = [f"- machine: {platform.machine()}, {cpu}, nproc {nproc}, {mem_kb / 2**20:.1f} GiB, "
             f"{platform.platform()}"]
    infos: dict[str, dict[str, Any]] = {}
    for (_, tool), rs in runs.items():
        for r in rs:
            info = (r.payload or {}).get("info")
            if info and tool not in infos:
                infos[tool] = info
    for tool in TOOLS:
        info = infos.get(tool)
        if not info:
            continue
        if tool == "R survey":
            lines.append(f"- {tool}: {info.get('R')}, survey {info.get('survey')}, BLAS {info.get('blas')}, "
                         f"data.table threads {info.get('data.table_threads')}")
        else:
            blas = info.get("blas")
            if isinstance(blas, list):
                blas = "; ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')}, "
                                 f"{b.get('num_threads')} threads)" for b in blas)
            lines.append(f"- {tool}: numpy {info.get('numpy')}, BLAS {blas}")
    versions = []
    for tool in ("svy", "samplics"):
        meta = list((VENVS / tool / "lib").glob(f"python*/site-packages/{tool}-*.dist-info"))
        if meta:
            versions.append(meta[0].name.removesuffix(".dist-info").replace("-", " "))
    if versions:
        lines.append(f"- peer versions: {', '.join(versions)}")
    present = {k: os.environ[k] for k in OPENBLAS_VARS if k in os.environ}
    if args.keep_openblas_env:
        lines.append(f"- OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE kept as found: {present or 'not set'}")
    else:
        lines.append(f"- OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for every tool's process "
                     f"(in this shell they were: {present or 'not set'})")
    return lines


def fmt(x: float, digits: int = 2) -> str:
    return "" if x != x else f"{x:.{digits}f}"


def build_report(tasks: list[Task], tools: list[str], runs: dict[tuple[str, str], list[Run]],
                 agree: dict[tuple[str, str], dict[str, Any]], args: argparse.Namespace) -> str:
    header = ("| task | tool | core s | wall s | load s | peak RSS MB | ours/peer core | ours/peer wall "
              "| max rel diff est | max rel diff SE | runs |")
    lines = [header, "|" + "---|" * 2 + "---:|" * 9]
    for task in tasks:
        ours = [r for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"]
        ours_core = median([r.core_s for r in ours])
        ours_wall = median([r.wall_s for r in ours])
        for i, tool in enumerate(tools):
            rs = runs.get((task.name, tool), [])
            ok = [r for r in rs if r.status == "ok"]
            label = task.label if i == 0 else ""
            bad = [r for r in rs if r.status != "ok"]
            if not ok:
                status = bad[0].status if bad else "not run"
                what = f"> {args.timeout:g} (timeout)" if status == "timeout" else status
                lines.append(f"| {label} | {tool} | {what} | | | | | | | | {len(rs)} |")
                continue
            core, wall = median([r.core_s for r in ok]), median([r.wall_s for r in ok])
            load, rss = median([r.load_s for r in ok]), median([r.rss_mb for r in ok])
            a = agree.get((task.name, tool))
            if tool == "citizensfirst":
                ratio_c = ratio_w = "1"
                est = se = "(reference)"
            else:
                ratio_c, ratio_w = fmt(ours_core / core, 3), fmt(ours_wall / wall, 3)
                est = f"{a['est']:.1e}" if a else ""
                se = f"{a['se']:.1e}" if a else ""
                if a and (a["missing"] or a["extra"]):
                    se += f" ({a['missing']} of ours missing, {a['extra']} extra)"
            note = f"{len(ok)}" + (f" (+{len(bad)} {bad[0].status})" if bad else "")
            lines.append(f"| {label} | {tool} | {fmt(core)} | {fmt(wall)} | {fmt(load)} | {fmt(rss, 0)} | "
                         f"{ratio_c} | {ratio_w} | {est} | {se} | {note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), help="task groups: " + ", ".join(TASKS))
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="wall seconds per process")
    parser.add_argument("--rows", type=int, default=DataSpec.rows)
    parser.add_argument("--psus", type=int, default=DataSpec.psus)
    parser.add_argument("--replicates", type=int, default=DataSpec.replicates)
    parser.add_argument("--seed", type=int, default=DataSpec.seed)
    parser.add_argument("--regen", action="store_true", help="rewrite the data files")
    parser.add_argument("--ours-python", default="/tmp/venv/bin/python" if Path("/tmp/venv/bin/python").exists()
                        else sys.executable, help="interpreter with citizensfirst's dependencies")
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"), help="markdown report ('' for none)")
    args = parser.parse_args()

    spec = DataSpec(args.rows, args.psus, args.replicates, args.seed)
    ensure_data(spec, args.regen)
    if any(t in args.tools for t in ("svy", "samplics")) and not all(
            (VENVS / t / "bin" / "python").exists() for t in ("svy", "samplics")):
        subprocess.run(["bash", str(HERE / "setup_peers.sh")], check=False)
    code = snapshot_source()
    print(f"citizensfirst code: {code} (copied to {SNAPSHOT.relative_to(ROOT)})", flush=True)
    tools = ["citizensfirst"] + [t for t in args.tools if t != "citizensfirst"]
    tasks = [t for group in args.tasks for t in TASKS[group](spec)]
    runs: dict[tuple[str, str], list[Run]] = {}
    agree: dict[tuple[str, str], dict[str, Any]] = {}
    for task in tasks:
        for rep in range(args.runs):
            for tool in tools:
                previous = runs.setdefault((task.name, tool), [])
                if any(r.status != "ok" for r in previous):
                    continue  # a timeout or failure is not retried
                run = run_once(tool, task, args)
                previous.append(run)
                extra = f" load {run.load_s:.2f} s, core {run.core_s:.2f} s, RSS {run.rss_mb:.0f} MB" \
                    if run.status == "ok" else f" {run.error}"
                print(f"[{task.name} run {rep + 1}] {tool}: {run.status}, wall {run.wall_s:.2f} s;{extra}",
                      flush=True)
        ours = next((r for r in runs[(task.name, "citizensfirst")] if r.status == "ok"), None)
        for tool in tools[1:]:
            peer = next((r for r in runs[(task.name, tool)] if r.status == "ok"), None)
            if ours and peer and ours.payload and peer.payload:
                a = agreement(ours.payload["result"], peer.payload["result"])
                agree[(task.name, tool)] = a
                print(f"[{task.name}] agreement {tool} vs citizensfirst over {a['n']} estimates: max rel diff "
                      f"est {a['est']:.2e}, SE {a['se']:.2e}; missing {a['missing']}, extra {a['extra']}",
                      flush=True)
    table = build_report(tasks, tools, runs, agree, args)
    info = [f"- citizensfirst code: {code}", *machine_info(args, runs)]
    WORK.mkdir(exist_ok=True)
    (WORK / "last_runs.json").write_text(json.dumps(
        {f"{k[0]}|{k[1]}": [r.__dict__ for r in v] for k, v in runs.items()}, default=str))
    print("\n" + table + "\n\n" + "\n".join(info))
    if args.out:
        write_results(Path(args.out), table, info, spec, args)


def write_results(path: Path, table: str, info: list[str], spec: DataSpec, args: argparse.Namespace) -> None:
    text = f"""# Estimation benchmark: citizensfirst vs svy, samplics and R survey

Generated by `python benchmarks/run_estimation.py` on {time.strftime('%Y-%m-%d %H:%M')}: every tool in its own
process on the same data file, medians of {args.runs} runs, interleaved; timeout {args.timeout:g} s of wall time per
process. Core = the tool's own calls (design/sample construction + estimates) on data already in memory;
load = reading the file (Parquet with pandas or polars; R reads a CSV of the same columns with
data.table::fread); wall = the whole process (interpreter start, imports, load, core, writing the results);
peak RSS from /usr/bin/time. "ours/peer" < 1 means citizensfirst is faster. The max relative differences
compare every estimate and SE of the peer with ours (|peer - ours| / |ours|).

Data: {spec.rows:,} rows, 13 provinces (= strata and the domain), {spec.psus:,} PSUs nested in strata, base
weight, ten 1-5 ratings with 1%-15% missing ("don't know"/refused stored as NaN), {spec.replicates} Rao-Wu
(Canty-Davison) bootstrap replicate weight columns (seed {spec.seed}). File: `{spec.parquet.relative_to(ROOT)}`.

{table}

Machine and settings:
{chr(10).join(info)}

Conventions made equal:
- Missing values: each variable uses its own observed rows (citizensfirst `missing="available"`,
  svy `drop_nulls=True` per variable, samplics `remove_nan=True` per variable, R `na.rm=TRUE` one variable
  at a time); domain rows keep their PSUs for the variance in every tool.
- T2: with-replacement first stage, no fpc: citizensfirst `Design(df, weights="w", strata="prov",
  psu="psu", nest=True)` then `d.mean(vars)` and `d.mean(vars, by="prov")`; svy `Design(stratum="prov",
  psu="psu", wgt="w")`; samplics `TaylorEstimator(PopParam.mean)` per variable with `stratum`, `psu`
  (and `domain=prov`); R `svydesign(ids=~psu, strata=~prov, weights=~w, nest=TRUE)`, `svymean` and
  `svyby(..., svymean)` per variable.
- T3: `combined weights`, bootstrap scale 1/(R-1) centred on the mean of the replicates (R's default
  `svrepdesign(type="bootstrap")`); svy's default bootstrap coefficient is 1/R, so it is given
  `BootstrapWgts(scale=1/(R-1))`; samplics' default is also 1/R, so it gets `rep_coefs=1/(R-1)`.
- citizensfirst's `mean` also computes design effects by default (`deff="auto"`); it was left at the
  default. svy and samplics do not by default, R's `svymean` neither (`deff=FALSE`).

Caveats: run-to-run times on this VM vary by up to 2-3x for the memory-heavy T3 runs (first-touch page
faults of multi-GB allocations), hence medians of interleaved runs; a timeout covers the whole process
(for R, reading the CSV with fread is part of the 120 s). R's T3 cost is dominated by `na.rm=TRUE`
subsetting the replicate design once per variable. Where citizensfirst's own time goes:
`PYTHONPATH=src python benchmarks/profile_ours.py T3-200` (findings in `benchmarks/PROFILE.md`).

Re-run: `bash benchmarks/setup_peers.sh` (optional: the harness runs it when a venv is missing), then
`python benchmarks/run_estimation.py` (see `--help`: `--tasks`, `--tools`, `--runs`, `--timeout`,
`--regen`). Data and venvs live in `benchmarks/_work/` (gitignored).
"""
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
