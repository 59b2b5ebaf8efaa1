"""In-memory benchmark (issue #14 point 6): citizensfirst vs the peers and a plain-numpy floor, ONE run.

A script run by hand, not a test. From the repository root, with the project's interpreter::

    export CF_PEERS_DIR=/work/peers                # venvs and data outside the repo
    bash benchmarks/setup_peers.sh && bash benchmarks/setup_peers_wd.sh
    python benchmarks/run_inmemory.py              # writes benchmarks/RESULTS_inmemory.md
    python benchmarks/run_inmemory.py --tasks T2 --runs 1 --tools citizensfirst floor

One seeded 1,000,000-row file (Parquet, under ``$CF_PEERS_DIR`` or ``benchmarks/_work``) serves
every task: 13 provinces (strata and the domain), about 50,000 PSUs nested in strata, a base weight,
ten 1-5 ratings ``q01``..``q10`` with 1-15% missing, raking margins ``age`` (5), ``gender`` (3),
``educ`` (4), twelve complete driver ratings ``d01``..``d12`` with an outcome ``overall`` (0-10)
and 100 Rao-Wu bootstrap replicate weight columns ``rw1``..``rw100`` (rounded to 4 decimals, as
public files publish them). Each (task, tool) run is a fresh process (``inmemory_workers.py`` in
the tool's venv) under ``/usr/bin/time`` for peak RSS; the rounds are interleaved (round 1 of
every tool, then round 2, ...); the table gives medians. The results of every tool are checked
against ours BEFORE the times are compared (weights and margins for T1, estimates and SEs for
T2/T3, importances for T4); a disagreement is printed in the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_harness as ph
import run_drivers as rd
import run_estimation as rx
import run_weighting as rw

SNAPSHOT = ph.WORK / "src_snapshot_inmemory"
WORKER = str(ph.HERE / "inmemory_workers.py")
OPTIONAL = ("balance",)  # slow and never the best peer (RESULTS_weighting.md): run with --tools
SEED = 20261130
ROWS = 1_000_000
PSUS = 50_000
REPS = 100
VARS = rx.VARS
DRIVERS = [f"d{j:02d}" for j in range(1, 13)]
TOOL_VENV = {"citizensfirst": None, "floor": None, "svy": "svy", "ipfn": "ipfn", "balance": "balance",
             "dominance": "dominance"}
TOOL_LABEL = {"citizensfirst": "citizensfirst", "floor": "numpy floor", "svy": "svy", "ipfn": "ipfn",
              "balance": "balance", "dominance": "dominance-analysis (given the weighted covariance)"}


def parquet(rows: int) -> Path:
    return ph.WORK / f"cf_inmemory_{rows}r_{PSUS}p_{REPS}rep_s{SEED}.parquet"


def make_data(rows: int) -> dict[str, np.ndarray]:
    import pandas as pd

    spec = rx.DataSpec(rows=rows, psus=PSUS, replicates=REPS, seed=SEED)
    cols = rx.make_data(spec)
    rng = np.random.default_rng(SEED + 1)
    # raking margins, associated with each other and with the province
    prov = pd.Categorical(cols["prov"], categories=rx.PROVINCES).codes
    age_p = rng.dirichlet(np.array([0.05, 0.11, 0.22, 0.30, 0.32]) * 60, size=len(rx.PROVINCES))
    age = np.minimum((rng.random(rows)[:, None] > np.cumsum(age_p[prov], axis=1)).sum(axis=1), 4)
    u = rng.random(rows)
    gender = np.where(u < 0.52 + 0.03 * (age < 2), 0, np.where(u < 0.99, 1, 2))
    educ_p = np.array([[0.30, 0.30, 0.27, 0.13], [0.18, 0.30, 0.32, 0.20], [0.15, 0.27, 0.33, 0.25],
                       [0.22, 0.30, 0.30, 0.18], [0.30, 0.30, 0.25, 0.15]])
    educ = np.minimum((rng.random(rows)[:, None] > np.cumsum(educ_p[age], axis=1)).sum(axis=1), 3)
    cols["age"] = np.array(rw.AGES, dtype=object)[age]
    cols["gender"] = np.array(rw.GENDERS, dtype=object)[gender]
    cols["educ"] = np.array(rw.EDUC, dtype=object)[educ]
    # drivers: the drivers benchmark's generator, first 12 drivers and its outcome
    drv = rd.make_data(rows)
    for j, name in enumerate(DRIVERS):
        cols[name] = drv[rd.DRIVERS[j]]
    cols["overall"] = drv[rd.OUTCOME]
    return cols


def ensure_data(rows: int, regen: bool) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = parquet(rows)
    if path.exists() and not regen:
        return path
    ph.WORK.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    cols = make_data(rows)
    pq.write_table(pa.table({k: pa.array(v, from_pandas=True) for k, v in cols.items()}), path,
                   compression="snappy")
    print(f"data written in {time.perf_counter() - start:.1f} s: {path}", flush=True)
    return path


# ----------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    name: str
    label: str
    worker: str
    params: dict[str, Any]
    tools: tuple[str, ...]
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-tool params


def tasks_for(path: Path) -> dict[str, Task]:
    base = {"parquet": str(path)}
    reps = [f"rw{r + 1}" for r in range(REPS)]
    t1 = base | {"columns": ["prov", "psu", "w", "age", "gender", "educ"], "vars": rw.VARS,
                 "shares": rw.MARGINS, "tol": 1e-6, "max_iter": 1000, "uniform": False}
    t4 = base | {"outcome": "overall", "weighted": True}
    out = {
        "T1": Task("T1", "T1 rake to 4 margins (13 x 5 x 3 x 4), tol 1e-6", "T1", t1,
                   ("citizensfirst", "floor", "ipfn", "svy", "balance")),
        "T2": Task("T2", "T2 Taylor mean + SE, 10 variables, overall and by 13 provinces", "T2",
                   base | {"columns": ["prov", "psu", "w", *VARS], "vars": VARS},
                   ("citizensfirst", "floor", "svy")),
        "T3": Task("T3", f"T3 replicate SE, {REPS} bootstrap columns, 10 variables", "T3",
                   base | {"columns": ["w", *VARS, *reps], "vars": VARS, "reps": reps},
                   ("citizensfirst", "floor", "svy")),
    }
    for p in (12, 8):
        drivers = DRIVERS[:p]
        params = t4 | {"columns": ["prov", "psu", "w", *drivers, "overall"], "drivers": drivers, "ci": "none"}
        out[f"T4-{p}"] = Task(f"T4-{p}", f"T4 Shapley R² decomposition, p = {p}, weighted (ours ci=None)", "T4",
                              params, ("citizensfirst", "floor", "dominance"))
    out["T4-12-ci"] = Task("T4-12-ci", "T4 Shapley p = 12 with the default intervals (ours: 200 bootstrap "
                           "replicates)", "T4", t4 | {"columns": ["prov", "psu", "w", *DRIVERS, "overall"],
                                                      "drivers": DRIVERS, "ci": "default"},
                           ("citizensfirst",))
    out["IMPORT"] = Task("IMPORT", "import time: pandas + citizensfirst (best peer: pandas alone)", "IMPORT", {},
                         ("citizensfirst", "pandas", "svy"),
                         {"citizensfirst": {"modules": ["pandas", "citizensfirst"]},
                          "pandas": {"modules": ["pandas"]}, "svy": {"modules": ["svy"]}})
    out["IMPORT-use"] = Task("IMPORT-use", "import time: pandas + what Design(...).mean() loads", "IMPORT", {},
                             ("citizensfirst",),
                             {"citizensfirst": {"modules": ["pandas", "citizensfirst", "citizensfirst.design.facade",
                                                            "citizensfirst.estimation.estimators"]}})
    return out


# ----------------------------------------------------------------------------- running


def command(tool: str, task: Task, out_dir: Path, ours_python: str) -> list[str] | None:
    params = json.dumps(task.params | task.extra.get(tool, {}))
    venv = "svy" if tool == "svy" else TOOL_VENV.get(tool)
    if venv is None:
        python = ours_python
    else:
        found = ph.venv_python(venv)
        if found is None:
            return None
        python = found
    worker_tool = "citizensfirst" if tool == "pandas" else tool
    return [python, WORKER, worker_tool, task.worker, params, str(out_dir)]


def run_once(tool: str, task: Task, args: argparse.Namespace) -> ph.Run:
    with ph.temp_dir() as tmp:
        cmd = command(tool, task, Path(tmp), args.ours_python)
        if cmd is None:
            return ph.Run("not installed")
        snapshot = SNAPSHOT if tool == "citizensfirst" else None
        run = ph.run_process(cmd, ph.child_env(snapshot), args.timeout, Path(tmp))
        weights = Path(tmp) / "weights.f64"
        if run.status == "ok" and weights.exists():
            run.weights = np.fromfile(weights, dtype="<f8")
        return run


def flat(result: dict[str, Any]) -> dict[tuple[str, ...], float]:
    """Every number of a result keyed by where it sits (estimate/se of T2/T3, importance of T4)."""
    out: dict[tuple[str, ...], float] = {}
    for var, (est, se) in result.get("overall", {}).items():
        out[("overall", var, "est")], out[("overall", var, "se")] = float(est), float(se)
    for dom, values in result.get("by", {}).items():
        for var, (est, se) in values.items():
            out[("by", dom, var, "est")], out[("by", dom, var, "se")] = float(est), float(se)
    for drv, value in result.get("importance", {}).items():
        out[("importance", drv)] = float(value)
    return out


def agreement(task: Task, ours: ph.Run, peer: ph.Run, frame: Any) -> str:
    """Max relative difference of the peer's numbers from ours (and margin errors for T1)."""
    if task.worker == "T1":
        if ours.weights is None or peer.weights is None:
            return "no weights"
        diff = float(np.max(np.abs(peer.weights - ours.weights) / ours.weights))
        return f"weights {diff:.1e}; margins {margin_error(peer.weights, task, frame):.1e}"
    if task.worker == "IMPORT":
        return ""
    a, b = flat(ours.payload["result"]), flat(peer.payload["result"])
    common = sorted(set(a) & set(b))
    if not common or len(common) < len(a):
        return f"compared {len(common)} of {len(a)} numbers"
    est = [k for k in common if k[-1] != "se"]
    se = [k for k in common if k[-1] == "se"]

    def rel(keys: list[tuple[str, ...]]) -> float:
        return max(abs(b[k] - a[k]) / max(abs(a[k]), 1e-300) for k in keys) if keys else float("nan")

    return f"est {rel(est):.1e}" + (f", SE {rel(se):.1e}" if se else "")


def margin_error(weights: np.ndarray, task: Task, frame: Any) -> float:
    total = float(frame["w"].sum())
    worst = 0.0
    for var, shares in task.params["shares"].items():
        sums = np.bincount(frame[var + "_code"].to_numpy(), weights=weights, minlength=len(shares))
        target = np.array(list(shares.values())) * total
        worst = max(worst, float(np.max(np.abs(sums - target) / target)))
    return worst


def margin_frame(task: Task) -> Any:
    import pandas as pd

    frame = pd.read_parquet(task.params["parquet"], columns=[*task.params["shares"], "w"])
    for var, shares in task.params["shares"].items():
        frame[var + "_code"] = pd.Categorical(frame[var], categories=list(shares)).codes
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=["IMPORT", "IMPORT-use", "T1", "T2", "T3", "T4-12", "T4-8", "T4-12-ci"])
    parser.add_argument("--tools", nargs="+", default=None, help="only these tools")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--regen", action="store_true")
    parser.add_argument("--ours-python", default=sys.executable)
    parser.add_argument("--out", default=str(ph.HERE / "RESULTS_inmemory.md"))
    args = parser.parse_args()

    path = ensure_data(args.rows, args.regen)
    code = ph.snapshot_source(SNAPSHOT)
    print(f"citizensfirst code: {code}", flush=True)
    tasks = tasks_for(path)
    chosen = [tasks[name] for name in args.tasks]
    runs: dict[tuple[str, str], list[ph.Run]] = {}
    for rep in range(args.runs):  # interleaved: every (task, tool) once per round
        for task in chosen:
            for tool in task.tools:
                if (args.tools and tool not in args.tools) or (not args.tools and tool in OPTIONAL):
                    continue
                previous = runs.setdefault((task.name, tool), [])
                if any(r.status not in ("ok",) for r in previous):
                    continue  # a timeout or failure is not retried
                run = run_once(tool, task, args)
                if rep > 0 and run.weights is not None:
                    run.weights = None  # keep the first round's weights only (memory)
                previous.append(run)
                extra = (f"core {run.core_s:.3f} s, RSS {run.rss_mb:.0f} MB" if run.status == "ok"
                         else run.error)
                print(f"[round {rep + 1}] {task.name} {tool}: {run.status}, wall {run.wall_s:.2f} s; {extra}",
                      flush=True)
    agree: dict[tuple[str, str], str] = {}
    for task in chosen:
        ours = next((r for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"), None)
        frame = margin_frame(task) if task.worker == "T1" else None
        if task.worker == "T1" and ours is not None and ours.weights is not None:
            agree[(task.name, "citizensfirst")] = f"margins {margin_error(ours.weights, task, frame):.1e}"
        for tool in task.tools[1:]:
            peer = next((r for r in runs.get((task.name, tool), []) if r.status == "ok"), None)
            if ours is not None and peer is not None:
                agree[(task.name, tool)] = agreement(task, ours, peer, frame)
                print(f"[{task.name}] {tool} vs ours: {agree[(task.name, tool)]}", flush=True)
    table = (build_summary(chosen, runs) + "\n\nAll runs:\n\n" + build_table(chosen, runs, agree)
             + "\n\nThe same calls a second time in the same process (after the timed first call; medians):\n\n"
             + build_warm(chosen, runs))
    info = [f"- citizensfirst code: {code}", f"- {ph.machine_line()}", *versions(runs)]
    print("\n" + table + "\n\n" + "\n".join(info))
    (ph.WORK / "last_inmemory_runs.json").write_text(json.dumps(
        {f"{k[0]}|{k[1]}": [{**r.__dict__, "weights": None} for r in v] for k, v in runs.items()}, default=str))
    if args.out:
        write_results(Path(args.out), table, info, args, path)


def versions(runs: dict[tuple[str, str], list[ph.Run]]) -> list[str]:
    numpy_by_tool: dict[str, str] = {}
    for (_, tool), rs in runs.items():
        for r in rs:
            info = (r.payload or {}).get("info") or {}
            if info.get("numpy") and tool not in numpy_by_tool:
                numpy_by_tool[tool] = info["numpy"]
    peers = [f"svy {ph.pip_version('svy', 'svy')}", f"ipfn {ph.pip_version('ipfn', 'ipfn')}",
             f"balance {ph.pip_version('balance', 'balance')}",
             f"dominance-analysis {ph.pip_version('dominance', 'dominance-analysis')}"]
    return [f"- peer versions: {', '.join(peers)}",
            "- numpy per tool: " + ", ".join(f"{t} {v}" for t, v in sorted(numpy_by_tool.items())),
            "- OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for every tool's process"]


def build_summary(tasks: list[Task], runs: dict[tuple[str, str], list[ph.Run]]) -> str:
    """One line per task: ours, the best peer, the floor, the ratios and peak RSS."""
    lines = ["| task | citizensfirst core s | best peer (core s) | numpy floor | ours / best peer | ours / floor | "
             "peak RSS MB, process: ours / best peer | peak RSS MB during core: ours / best peer |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]

    def stats(task: Task, tool: str) -> tuple[float, float]:
        ok = [r for r in runs.get((task.name, tool), []) if r.status == "ok"]
        return ph.median([r.core_s for r in ok]), ph.median([r.rss_mb for r in ok])

    def core_rss(task: Task, tool: str) -> float:
        ok = [r for r in runs.get((task.name, tool), []) if r.status == "ok" and r.payload]
        return ph.median([float(r.payload.get("core_peak_rss_mb", "nan")) for r in ok])

    for task in tasks:
        ours, ours_rss = stats(task, "citizensfirst")
        floor, _ = stats(task, "floor")
        peers = [(stats(task, t), t) for t in task.tools if t not in ("citizensfirst", "floor")]
        peers = [p for p in peers if p[0][0] == p[0][0]]
        best = min(peers, default=None)
        if best is None:
            best_txt, ratio, rss = "-", "-", f"{ours_rss:.0f} / -"
            core_txt = f"{core_rss(task, 'citizensfirst'):.0f} / -"
        else:
            (core, peer_rss), tool = best
            best_txt = f"{TOOL_LABEL.get(tool, tool)} {core:.3f}"
            ratio, rss = f"{ours / core:.2f}", f"{ours_rss:.0f} / {peer_rss:.0f}"
            core_txt = f"{core_rss(task, 'citizensfirst'):.0f} / {core_rss(task, tool):.0f}"
        lines.append(f"| {task.label} | {ours:.3f} | {best_txt} | {ph.fmt(floor, 3) or '-'} | {ratio} | "
                     f"{ph.fmt(ours / floor) or '-'} | {rss} | {core_txt} |")
    return "\n".join(lines)


def build_warm(tasks: list[Task], runs: dict[tuple[str, str], list[ph.Run]]) -> str:
    """Per task and tool, the median of the second call (``warm_s``): the first call of a fresh
    process also pays for the first touch of its memory, which on some virtual machines is most
    of a call that streams hundreds of megabytes."""
    lines = ["| task | tool | first call s | second call s | ours / tool, second call |", "|---|---|---:|---:|---:|"]
    for task in tasks:
        def warm(tool: str) -> float:
            ok = [r for r in runs.get((task.name, tool), []) if r.status == "ok" and r.payload]
            return ph.median([float(r.payload.get("warm_s", "nan")) for r in ok])
        ours = warm("citizensfirst")
        for tool in task.tools:
            ok = [r for r in runs.get((task.name, tool), []) if r.status == "ok"]
            if ok and warm(tool) == warm(tool):
                lines.append(f"| {task.label} | {TOOL_LABEL.get(tool, tool)} | {ph.median([r.core_s for r in ok]):.3f} | "
                             f"{warm(tool):.3f} | {ph.fmt(ours / warm(tool)) or '-'} |")
    return "\n".join(lines)


def build_table(tasks: list[Task], runs: dict[tuple[str, str], list[ph.Run]], agree: dict[tuple[str, str], str]) -> str:
    lines = ["| task | tool | core s (median) | min-max | wall s | peak RSS MB | core peak RSS MB | ours / tool | "
             "agreement with ours | runs |", "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for task in tasks:
        ours = ph.median([r.core_s for r in runs.get((task.name, "citizensfirst"), []) if r.status == "ok"])
        first = True
        for tool in task.tools:
            rs = runs.get((task.name, tool), [])
            if not rs:
                continue
            ok = [r for r in rs if r.status == "ok"]
            label = task.label if first else ""
            first = False
            name = TOOL_LABEL.get(tool, tool)
            if not ok:
                lines.append(f"| {label} | {name} | {rs[0].status} | | | | | | | {len(rs)} |")
                continue
            core = ph.median([r.core_s for r in ok])
            spread = f"{min(r.core_s for r in ok):.2f}-{max(r.core_s for r in ok):.2f}"
            ratio = "1" if tool == "citizensfirst" else f"{ours / core:.2f}"
            lines.append(f"| {label} | {name} | {core:.3f} | {spread} | {ph.median([r.wall_s for r in ok]):.2f} | "
                         f"{ph.median([r.rss_mb for r in ok]):.0f} | "
                         f"{ph.median([float((r.payload or {}).get('core_peak_rss_mb', 'nan')) for r in ok]):.0f} | "
                         f"{ratio} | {agree.get((task.name, tool), '')} | "
                         f"{len(ok)} |")
    return "\n".join(lines)


def write_results(path: Path, table: str, info: list[str], args: argparse.Namespace, data: Path) -> None:
    text = f"""# In-memory benchmark: citizensfirst vs the peers and a plain-numpy floor (issue #14 point 6)

Generated by `python benchmarks/run_inmemory.py` on {time.strftime('%Y-%m-%d %H:%M')}, {args.runs} interleaved
rounds, every tool its own process on the same {args.rows:,}-row file (`{data.name}`, seed {SEED}).
Core = the tool's own calls on data already in memory (ours: `cf.Design(df, weights="w", strata="prov",
psu="psu", nest=True)` then the call, defaults left on); wall = the whole process; peak RSS from
/usr/bin/time. "ours / tool" < 1 means citizensfirst is faster. Agreement = max relative difference
of the tool's numbers from ours, checked before the times are compared.

{table}

Machine and settings:
{chr(10).join(info)}
"""
    path.write_text(text)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
