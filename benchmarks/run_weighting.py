"""Weighting benchmark (T1): raking 1,000,000 rows to 4 margins, citizensfirst against its peers.

A script run by hand, not a test. From the repository root, with the project's interpreter::

    bash benchmarks/setup_peers.sh; bash benchmarks/setup_peers_wd.sh    # the peers' venvs
    /tmp/venv/bin/python benchmarks/run_weighting.py                     # writes RESULTS_weighting.md
    /tmp/venv/bin/python benchmarks/run_weighting.py --runs 1 --tools citizensfirst svy

What it does:

1. Generates the data once (seeded) under ``benchmarks/_work/``: 1,000,000 respondents with
   province (13 levels, small provinces oversampled), age group (5), gender (3) and education
   (4), their sample distribution deliberately off the population's and associated with each
   other (so raking needs several sweeps), and a base weight ``w`` (province population /
   respondents x a lognormal nonresponse factor). One Parquet file, and a CSV of the same
   columns for R.
2. Population margins (shares, defined below in ``MARGINS``) are turned into counts by every tool
   in the same way: share x the sum of the starting weights.
3. Runs every tool ``--runs`` times, interleaved, each run a fresh process in the tool's own venv
   (``weighting_workers.py``) or under Rscript (``weighting_worker.R``), wrapped in
   ``/usr/bin/time`` for peak RSS and killed after ``--timeout`` s. Core = the tool's raking calls
   on data in memory; wall = the whole process.
4. Checks every tool's final weights: the achieved margins against the targets (max relative
   error; must be <= the tolerance) and the weights against ours (max relative difference), then
   writes the medians as a markdown table to ``benchmarks/RESULTS_weighting.md``.

Two tasks: ``T1`` rakes from the base weight (every tool but weightipy, which cannot take a base
weight), ``T1-uniform`` rakes from weights of 1 (ours and weightipy), so weightipy is compared
with ours on the computation it can do.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_harness as ph

SNAPSHOT = ph.WORK / "src_snapshot_weighting"
PROVINCES = ["ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB", "NL", "PE", "NT", "YT", "NU"]
POP_SHARE = np.array([38.5, 22.5, 13.6, 11.6, 3.7, 3.1, 2.6, 2.1, 1.4, 0.43, 0.11, 0.11, 0.1])
AGES = ["18-24", "25-34", "35-49", "50-64", "65+"]
GENDERS = ["woman", "man", "another"]
EDUC = ["secondary or less", "college", "bachelor", "graduate"]
MARGINS: dict[str, dict[str, float]] = {
    "prov": dict(zip(PROVINCES, (POP_SHARE / POP_SHARE.sum()).tolist(), strict=True)),
    "age": {"18-24": 0.11, "25-34": 0.17, "35-49": 0.24, "50-64": 0.25, "65+": 0.23},
    "gender": {"woman": 0.504, "man": 0.489, "another": 0.007},
    "educ": {"secondary or less": 0.34, "college": 0.33, "bachelor": 0.22, "graduate": 0.11},
}
VARS = list(MARGINS)
TOOLS = ("citizensfirst", "weightipy", "balance", "svy", "samplics", "ipfn", "R survey")


@dataclass(frozen=True)
class DataSpec:
    rows: int = 1_000_000
    seed: int = 20240602

    @property
    def stem(self) -> str:
        return f"cf_weighting_{self.rows}r_s{self.seed}"

    @property
    def parquet(self) -> Path:
        return ph.WORK / f"{self.stem}.parquet"

    @property
    def csv(self) -> Path:
        return ph.WORK / f"{self.stem}.csv"


def make_data(spec: DataSpec) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(spec.seed)
    n = spec.rows
    share = POP_SHARE / POP_SHARE.sum()
    samp = np.sqrt(share) / np.sqrt(share).sum()  # small provinces oversampled
    prov = rng.choice(len(PROVINCES), size=n, p=samp)
    # age: respondents older than the population, differently by province
    age_base = np.array([0.05, 0.11, 0.22, 0.30, 0.32])
    age_p = rng.dirichlet(age_base * 60, size=len(PROVINCES))
    age = (rng.random(n)[:, None] > np.cumsum(age_p[prov], axis=1)).sum(axis=1)
    age = np.minimum(age, len(AGES) - 1)
    # gender: women over-represented, more so among the young
    p_woman = 0.52 + 0.03 * (age < 2)
    u = rng.random(n)
    gender = np.where(u < p_woman, 0, np.where(u < 0.99, 1, 2))
    # education: graduates over-represented, more so among the middle-aged
    educ_p = np.array([[0.30, 0.30, 0.27, 0.13], [0.18, 0.30, 0.32, 0.20], [0.15, 0.27, 0.33, 0.25],
                       [0.22, 0.30, 0.30, 0.18], [0.30, 0.30, 0.25, 0.15]])
    educ = (rng.random(n)[:, None] > np.cumsum(educ_p[age], axis=1)).sum(axis=1)
    educ = np.minimum(educ, len(EDUC) - 1)
    n_h = np.bincount(prov, minlength=len(PROVINCES))
    base = share * 31_000_000 / n_h
    w = np.round(base[prov] * rng.lognormal(0.0, 0.35, n), 2)
    return {
        "prov": np.array(PROVINCES, dtype=object)[prov],
        "age": np.array(AGES, dtype=object)[age],
        "gender": np.array(GENDERS, dtype=object)[gender],
        "educ": np.array(EDUC, dtype=object)[educ],
        "w": w,
    }


def ensure_data(spec: DataSpec, regen: bool) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if not regen and spec.parquet.exists() and spec.csv.exists():
        return
    ph.WORK.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    table = pa.table({k: pa.array(v) for k, v in make_data(spec).items()})
    pq.write_table(table, spec.parquet, compression="snappy")
    pacsv.write_csv(table, spec.csv)
    print(f"data written in {time.perf_counter() - start:.1f} s: {spec.parquet}", flush=True)


# ----------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    uniform: bool
    tools: tuple[str, ...]


TASKS = {
    "T1": Task("T1", "T1 rake to 4 margins (13 x 5 x 3 x 4 levels) from the base weight, tol 1e-6", False,
               ("citizensfirst", "balance", "svy", "samplics", "ipfn", "R survey")),
    "T1-uniform": Task("T1-uniform", "T1 from uniform starting weights (weightipy cannot take a base weight)",
                       True, ("citizensfirst", "weightipy")),
}
VENV_OF = {"weightipy": "weightipy", "balance": "balance", "svy": "svy", "samplics": "samplics", "ipfn": "ipfn"}


def command(tool: str, task: Task, spec: DataSpec, args: argparse.Namespace, out_dir: Path) -> list[str] | None:
    if tool == "R survey":
        if shutil.which("Rscript") is None:
            return None
        return ["Rscript", str(ph.HERE / "weighting_worker.R"), str(spec.csv), str(out_dir),
                json.dumps(MARGINS), repr(args.r_epsilon), str(args.max_iter), "1" if task.uniform else "0"]
    params = {"parquet": str(spec.parquet), "vars": VARS, "shares": MARGINS, "tol": args.tol,
              "max_iter": args.max_iter, "uniform": task.uniform, "weightipy_convcrit": args.weightipy_convcrit}
    python = args.ours_python if tool == "citizensfirst" else ph.venv_python(VENV_OF[tool])
    if python is None:
        return None
    return [python, str(ph.HERE / "weighting_workers.py"), tool, json.dumps(params), str(out_dir)]


def run_once(tool: str, task: Task, spec: DataSpec, args: argparse.Namespace) -> ph.Run:
    if tool in VENV_OF and ph.venv_status(VENV_OF[tool]) != "ok":
        return ph.Run(ph.venv_status(VENV_OF[tool]))
    with ph.temp_dir() as tmp:
        out_dir = Path(tmp)
        cmd = command(tool, task, spec, args, out_dir)
        if cmd is None:
            return ph.Run("not installed")
        env = ph.child_env(SNAPSHOT if tool == "citizensfirst" else None, args.keep_openblas_env)
        run = ph.run_process(cmd, env, args.timeout, out_dir)
        if run.status == "ok":
            run.weights = np.fromfile(out_dir / "weights.f64", dtype="<f8")
        return run


class Checker:
    """Achieved margins of any weight vector, from the data file's margin columns."""

    def __init__(self, spec: DataSpec) -> None:
        import pandas as pd

        df = pd.read_parquet(spec.parquet, columns=[*VARS, "w"])
        self.codes = [pd.Categorical(df[v], categories=list(MARGINS[v])).codes.astype(np.int64) for v in VARS]
        self.base = df["w"].to_numpy()
        self.n = len(df)

    def margin_error(self, weights: np.ndarray, uniform: bool) -> float:
        if weights.shape != (self.n,):
            return float("nan")
        total = float(self.n if uniform else self.base.sum())
        worst = 0.0
        for v, codes in zip(VARS, self.codes, strict=True):
            target = np.array(list(MARGINS[v].values())) * total
            achieved = np.bincount(codes, weights=weights, minlength=len(target))
            worst = max(worst, float(np.max(np.abs(achieved - target) / target)))
        return worst


def max_rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        return float("nan")
    return float(np.max(np.abs(b - a) / np.abs(a)))


def build_table(runs: dict[tuple[str, str], list[ph.Run]], checks: dict[tuple[str, str], dict[str, Any]],
                args: argparse.Namespace) -> str:
    lines = ["| task | tool | core s | wall s | load s | peak RSS MB | ours/peer core | ours/peer wall "
             "| max rel margin error | max rel weight diff vs ours | sweeps | runs |",
             "|---|---|" + "---:|" * 10]
    for task in TASKS.values():
        if not any((task.name, t) in runs for t in task.tools):
            continue
        ours = [r for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"]
        ours_core, ours_wall = ph.median([r.core_s for r in ours]), ph.median([r.wall_s for r in ours])
        first = True
        for tool in task.tools:
            if (task.name, tool) not in runs:
                continue
            rs = runs[(task.name, tool)]
            label = task.label if first else ""
            first = False
            ok = [r for r in rs if r.status == "ok"]
            bad = [r for r in rs if r.status != "ok"]
            if not ok:
                status = bad[0].status if bad else "not run"
                what = f"> {args.timeout:g} (timeout)" if status == "timeout" else status
                lines.append(f"| {label} | {tool} | {what} | | | | | | | | | {len(rs)} |")
                continue
            core, wall = ph.median([r.core_s for r in ok]), ph.median([r.wall_s for r in ok])
            load, rss = ph.median([r.load_s for r in ok]), ph.median([r.rss_mb for r in ok])
            c = checks.get((task.name, tool), {})
            ratio_c = "1" if tool == "citizensfirst" else ph.fmt(ours_core / core, 3)
            ratio_w = "1" if tool == "citizensfirst" else ph.fmt(ours_wall / wall, 3)
            diff = "(reference)" if tool == "citizensfirst" else f"{c.get('diff', float('nan')):.1e}"
            sweeps = ok[0].payload.get("info", {}).get("iterations") if ok[0].payload else None
            note = f"{len(ok)}" + (f" (+{len(bad)} {bad[0].status})" if bad else "")
            lines.append(f"| {label} | {tool} | {ph.fmt(core)} | {ph.fmt(wall)} | {ph.fmt(load)} | {ph.fmt(rss, 0)} | "
                         f"{ratio_c} | {ratio_w} | {c.get('margin', float('nan')):.1e} | {diff} | "
                         f"{'' if sweeps is None else sweeps} | {note} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="wall seconds per process")
    parser.add_argument("--rows", type=int, default=DataSpec.rows)
    parser.add_argument("--seed", type=int, default=DataSpec.seed)
    parser.add_argument("--tol", type=float, default=1e-6, help="relative tolerance on the achieved margins")
    parser.add_argument("--max-iter", type=int, default=1000)
    parser.add_argument("--r-epsilon", type=float, default=1e-7,
                        help="R rake control$epsilon (x sum of weights): the largest that meets --tol")
    parser.add_argument("--weightipy-convcrit", type=float, default=0.01, help="weightipy's own rule (default)")
    parser.add_argument("--regen", action="store_true")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile ours (profile_weighting.py) when a peer is faster (auto)")
    parser.add_argument("--ours-python", default=ph.OURS_PYTHON)
    parser.add_argument("--keep-openblas-env", action="store_true")
    parser.add_argument("--out", default=str(ph.HERE / "RESULTS_weighting.md"), help="markdown report ('' for none)")
    args = parser.parse_args()

    spec = DataSpec(args.rows, args.seed)
    ensure_data(spec, args.regen)
    code = ph.snapshot_source(SNAPSHOT)
    print(f"citizensfirst code: {code} (copied to {SNAPSHOT.relative_to(ph.ROOT)})", flush=True)
    checker = Checker(spec)
    tools = ["citizensfirst"] + [t for t in args.tools if t != "citizensfirst"]
    runs: dict[tuple[str, str], list[ph.Run]] = {}
    checks: dict[tuple[str, str], dict[str, Any]] = {}
    for name in args.tasks:
        task = TASKS[name]
        task_tools = [t for t in task.tools if t in tools]
        for rep in range(args.runs):
            for tool in task_tools:
                previous = runs.setdefault((name, tool), [])
                if any(r.status != "ok" for r in previous):
                    continue  # a timeout or failure is not retried
                run = run_once(tool, task, spec, args)
                previous.append(run)
                if run.status == "ok":
                    margin = checker.margin_error(run.weights, task.uniform)
                    extra = f" load {run.load_s:.2f} s, core {run.core_s:.2f} s, RSS {run.rss_mb:.0f} MB, " \
                            f"margin error {margin:.1e}, info {run.payload.get('info')}"
                    if not checks.get((name, tool)):
                        checks[(name, tool)] = {"margin": margin, "weights": run.weights}
                else:
                    extra = f" {run.error}"
                run.weights = None  # keep one copy per tool (in checks), not one per run
                print(f"[{name} run {rep + 1}] {tool}: {run.status}, wall {run.wall_s:.2f} s;{extra}", flush=True)
        ours = checks.get((name, "citizensfirst"), {}).get("weights")
        for tool in task_tools[1:]:
            c = checks.get((name, tool))
            if c is not None and ours is not None:
                c["diff"] = max_rel_diff(ours, c["weights"])
                print(f"[{name}] {tool} vs citizensfirst: max relative weight difference {c['diff']:.2e}, "
                      f"margin error {c['margin']:.1e}", flush=True)
    table = build_table(runs, checks, args)
    info = versions_and_rules(runs, code, args)
    print("\n" + table + "\n\n" + "\n".join(info))
    ph.WORK.mkdir(exist_ok=True)
    (ph.WORK / "last_runs_weighting.json").write_text(json.dumps(
        {f"{k[0]}|{k[1]}": [{kk: vv for kk, vv in r.__dict__.items() if kk != "weights"} for r in v]
         for k, v in runs.items()}, default=str))
    profile = ""
    if args.profile == "always" or (args.profile == "auto" and ours_slower(runs)):
        profile = profile_ours(args)
        print(profile)
    if args.out:
        write_results(Path(args.out), table, info, spec, args, profile)


def ours_slower(runs: dict[tuple[str, str], list[ph.Run]]) -> bool:
    """Is any peer's median core time below ours on the same task?"""
    for (name, tool), rs in runs.items():
        ours = [r.core_s for r in runs.get((name, "citizensfirst"), []) if r.status == "ok"]
        peer = [r.core_s for r in rs if r.status == "ok"]
        if tool != "citizensfirst" and ours and peer and ph.median(peer) < ph.median(ours):
            return True
    return False


def profile_ours(args: argparse.Namespace) -> str:
    """Run profile_weighting.py on the same snapshot of our code; its output for the report."""
    import subprocess

    cmd = [args.ours_python, str(ph.HERE / "profile_weighting.py"), "--top", "15", "--tol", repr(args.tol)]
    proc = subprocess.run(cmd, env=ph.child_env(SNAPSHOT, args.keep_openblas_env), capture_output=True,
                          text=True, timeout=600)
    return (proc.stdout + proc.stderr[-2000:]).strip()


def versions_and_rules(runs: dict[tuple[str, str], list[ph.Run]], code: str, args: argparse.Namespace) -> list[str]:
    lines = [f"- citizensfirst code: {code}", f"- {ph.machine_line()}"]
    versions = [f"{d} {ph.pip_version(v, d)}" for d, v in (("weightipy", "weightipy"), ("balance", "balance"),
                                                          ("svy", "svy"), ("samplics", "samplics"), ("ipfn", "ipfn"))
                if ph.venv_python(v)]
    lines.append(f"- peer versions: {', '.join(versions)}")
    numpys = {}
    for (_, tool), rs in runs.items():
        for r in rs:
            if r.payload and tool not in numpys:
                info = r.payload.get("info", {})
                numpys[tool] = info.get("numpy") or f"{info.get('R')}, survey {info.get('survey')}"
    lines.append("- numpy / R per tool: " + ", ".join(f"{t}: {v}" for t, v in numpys.items()))
    rules = {}
    for (_, tool), rs in runs.items():
        for r in rs:
            if r.payload and tool not in rules:
                rules[tool] = r.payload.get("info", {}).get("rule")
    lines.append("- stopping rules as run: " + "; ".join(f"{t}: {v}" for t, v in rules.items()))
    return lines


PROFILE_HEAD = """## Where citizensfirst's raking time goes

A peer was faster on core time, so `benchmarks/profile_weighting.py` was run on the same code and
data (in-process, after a warm-up; the stage breakdown re-times the library's own pieces by hand;
the cProfile shares are of the profiled core call):"""


def write_results(path: Path, table: str, info: list[str], spec: DataSpec, args: argparse.Namespace,
                  profile: str = "") -> None:
    margins = "; ".join(f"{v}: " + ", ".join(f"{k} {s:.4g}" for k, s in m.items()) for v, m in MARGINS.items())
    text = f"""# Weighting benchmark (T1): citizensfirst vs weightipy, balance, svy, samplics, ipfn and R survey

Generated by `python benchmarks/run_weighting.py` on {time.strftime('%Y-%m-%d %H:%M')}: every tool in its own
process on the same data file, medians of {args.runs} runs, interleaved; timeout {args.timeout:g} s of wall time
per process. Core = the tool's own raking calls on data already in memory (design/sample construction,
level matching, the sweeps, and the weights mapped back to the rows where a tool rakes a collapsed
table); load = reading the file (Parquet with pandas, or polars for svy; R reads a CSV of the same
columns with data.table::fread); wall = the whole process (interpreter start, imports, load, core,
writing the weights); peak RSS from /usr/bin/time. "ours/peer" < 1 means citizensfirst is faster.

Data: {spec.rows:,} respondents (seed {spec.seed}), margins province (13 levels, small provinces
oversampled), age group (5), gender (3), education (4), sample distributions off the population's and
associated with each other; a base weight (province population / respondents x lognormal(0, 0.35)).
File: `{spec.parquet.relative_to(ph.ROOT)}`. Population margins (shares; every tool turns them into counts as
share x the sum of the starting weights): {margins}.

Checks on every tool's final weights, computed by the harness from the weights each worker writes:
"max rel margin error" = max over the 25 margin levels of |achieved - target| / target (must be <=
{args.tol:g}); "max rel weight diff vs ours" = max over the {spec.rows:,} rows of |w_peer - w_ours| / w_ours
(ours on the same task, i.e. from uniform starting weights in the T1-uniform rows).

{table}

Machine and settings:
{chr(10).join(info)}
- OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for every tool's process{' (kept: --keep-openblas-env)' if args.keep_openblas_env else ''}

Stopping rules made equal (tolerance {args.tol:g}, at most {args.max_iter} sweeps):
- citizensfirst `Design(df, weights="w").rake(MARGINS, tol={args.tol:g})` (shares; total = sum of base
  weights): stop when every achieved margin is within tol (relative) of its target. It also builds its
  WeightingReport (margin table, Kish deff) inside that call.
- svy `Sample.weighting.rake(shares=..., tol={args.tol:g})`: the same rule.
- samplics `SampleWeight().rake(control=counts, ctrl_tol={args.tol:g}, tol=inf)`: ctrl_tol is the same rule;
  its second test (`tol`, change "against the previous value") compares with the base weight in 0.6.x,
  never with the previous sweep, so it is switched off.
- balance `weighting_methods.rake.rake(sample, w, target_df, target_weights, transformations=None,
  convergence_rate={args.tol:g}, rate_tolerance=0)`, the target being the 780 crossed cells weighted by the
  product of their shares x total (its margins are the targets exactly; balance's own `target_margins=`
  realises margins as a synthetic frame of at most 10,000 rows, which rounded the small shares and
  missed the margins by 1.7e-3 in a trial): convergence_rate is max |achieved/target - 1| on the
  collapsed table, the same rule; rate_tolerance=0 stops it stopping early on a slow rate.
- ipfn on the collapsed 13 x 5 x 3 x 4 table of base-weight totals (`ipfn.ipfn(table, margins,
  [[0],[1],[2],[3]], convergence_rate={args.tol:g}, rate_tolerance=0)`), each row then multiplied by its
  cell's fitted/original ratio; collapsing and mapping back are inside core.
- R survey `rake(svydesign(ids=~1, weights=~w), ..., control=list(maxit={args.max_iter}, epsilon={args.r_epsilon:g}))`:
  R has no margin-error rule, only "no crossed-table cell changed by more than epsilon x sum of
  weights between sweeps"; epsilon is set so the achieved margins meet {args.tol:g} (checked in the table).
- weightipy: cannot take base weights (it always rakes from 1) and has no margin-error rule: it
  stops when the summed absolute weight change stops shrinking by `convcrit` ({args.weightipy_convcrit:g},
  its default) per sweep, which in practice runs the sweeps until the change is at rounding level.
  It is compared with ours raking from uniform weights too (T1-uniform rows).

{PROFILE_HEAD + chr(10) + chr(10) + "```" + chr(10) + profile + chr(10) + "```" + chr(10) if profile else ""}
Re-run: `bash benchmarks/setup_peers.sh && bash benchmarks/setup_peers_wd.sh` (venvs under
`benchmarks/_work/venvs/`), then `/tmp/venv/bin/python benchmarks/run_weighting.py` (see `--help`:
`--tasks`, `--tools`, `--runs`, `--timeout`, `--r-epsilon`, `--regen`).
"""
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
