"""Scale benchmark: every (size, task, tool) in its own process; wall time and peak RSS.

Usage (see README.md)::

    python benchmarks/scale/run.py --sizes 2m 20m --tools duckdb memory svy --runs 3

Each run is ``workers.py TOOL TASK`` in a fresh interpreter (ours: ``/work/venv``, with ``src/``
copied to ``DATA/src_snapshot`` when the harness starts so edits made during a run do not mix in;
svy: its own venv). Wall time is the whole process (interpreter start, imports, reading, the
estimates); peak RSS is the child's ``ru_maxrss`` from ``os.wait4``. A run whose RSS passes
``--rss-cap-gb`` is killed (the machine is shared), as is one longer than ``--timeout``; an
in-memory tool is not started at a size where its 2M peak RSS, scaled by the rows, passes the cap.

Before timing, ``--check`` runs the DuckDB and in-memory backends at the smallest size and compares
every estimate and SE (the lazy backend must match the in-memory one to 1e-10 relative).
Results go to ``DATA/results.json`` and the tables to ``DATA/results.md``.
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (the generator is a script next to this one, not a package)

SIZES = {"2m": 2_000_000, "20m": 20_000_000}
TASKS = {
    "replicate": "mean + replicate SE (80 SDR columns), 10 variables, overall and by 52 states",
    "taylor": "mean + Taylor SE (strata, PSUs), 10 variables, overall and by 52 states",
    "rake": "rake to 4 margins (52 x 5 x 2 x 4), then the 10 means",
}
PYTHONS = {"duckdb": "/work/venv/bin/python", "memory": "/work/venv/bin/python",
           "svy": "/work/peers/venvs/svy/bin/python"}
LABELS = {"duckdb": "citizensfirst DuckDB (lazy)", "memory": "citizensfirst in memory",
          "svy": "svy (Polars)"}


def params(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "parquet": str(path), "weight": "PWGTP", "reps": list(generate.REPLICATES),
        "vars": list(generate.ANALYSIS), "margins": generate.raking_margins(), "tol": 1e-6,
        "duckdb_threads": args.threads, "duckdb_memory": args.duckdb_memory,
        "duckdb_temp": str(args.data / "duckdb_tmp"),
    }


def snapshot_source(dest: Path) -> str:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "src", dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return f"commit {head}" + (" + uncommitted changes in src/" if dirty else "")


def run_one(tool: str, task: str, p: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """One process: wall, peak RSS, the worker's payload (or why it failed)."""
    python = PYTHONS[tool]
    if not Path(python).exists():
        return {"status": f"not installed ({python})"}
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), POLARS_MAX_THREADS=str(args.threads))
    if tool != "svy":
        env["PYTHONPATH"] = str(args.data / "src_snapshot")
    if tool == "duckdb":  # DuckDB's threads hold the cores; a second BLAS pool would oversubscribe them
        env |= {"OMP_NUM_THREADS": str(args.blas_threads), "OPENBLAS_NUM_THREADS": str(args.blas_threads)}
    with tempfile.TemporaryDirectory() as tmp:
        par, out = Path(tmp) / "p.json", Path(tmp) / "out.json"
        par.write_text(json.dumps(p))
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.Popen([python, str(HERE / "workers.py"), tool, task, str(par), str(out)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        status, killed = None, ""
        while status is None:
            pid, code, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = code
                break
            rss = _rss_gb(proc.pid)
            if rss > args.rss_cap_gb:
                killed = f"killed: RSS passed the {args.rss_cap_gb:g} GB cap"
            elif time.perf_counter() - t0 > args.timeout:
                killed = f"killed: over the {args.timeout:g} s timeout"
            if killed:
                proc.kill()
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        rss_mb = usage.ru_maxrss / 1024
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        proc.returncode = os.waitstatus_to_exitcode(status)
        row = {"wall_s": wall, "rss_mb": rss_mb, "load1_before": load,
               "cpu_s": usage.ru_utime + usage.ru_stime}  # the process's own CPU: less sensitive to load
        if killed or proc.returncode != 0 or not out.exists():
            return {**row, "status": killed or f"failed: {err.strip().splitlines()[-1:] or err}"}
        payload = json.loads(out.read_text())
        return {**row, "status": "ok", **payload}


def _rss_gb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def compare(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, float]:
    """Largest relative differences of the estimates and of the SEs between two results."""
    est, se = 0.0, 0.0

    def walk(x: Any, y: Any) -> None:
        nonlocal est, se
        if isinstance(x, dict):
            for k in x:
                walk(x[k], y[k])
        elif isinstance(x, list):
            est = max(est, abs(x[0] - y[0]) / abs(y[0]))
            se = max(se, abs(x[1] - y[1]) / abs(y[1]))

    for part in ("overall", "by"):
        if part in a:
            walk(a[part], b[part])
    return est, se


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/scale-data"))
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--tools", nargs="+", default=list(PYTHONS), choices=list(PYTHONS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--rss-cap-gb", type=float, default=12.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duckdb-memory", default="2GB")
    parser.add_argument("--blas-threads", type=int, default=1, help="BLAS threads of the DuckDB worker")
    parser.add_argument("--suffix", default="", help="files acs_SIZE{suffix}.parquet (e.g. _psu2k)")
    parser.add_argument("--check", action="store_true", help="compare DuckDB with in memory first")
    args = parser.parse_args(argv)
    (args.data / "duckdb_tmp").mkdir(parents=True, exist_ok=True)
    code = snapshot_source(args.data / "src_snapshot")
    files = {s: args.data / f"acs_{s}{args.suffix}.parquet" for s in args.sizes}
    for s, f in files.items():
        if not f.exists():
            sys.exit(f"{f} is missing: python benchmarks/scale/generate.py --rows {SIZES[s]} --out {f}")
    report_psus = {s: pq_psus(f) for s, f in files.items()}
    report: dict[str, Any] = {"code": code, "machine": machine(), "settings": vars(args) | {
        "data": str(args.data)}, "psus": report_psus, "checks": {}, "runs": []}
    if args.check:
        smallest = min(args.sizes, key=SIZES.__getitem__)
        for task in args.tasks:
            p = params(files[smallest], args)
            lazy, mem = run_one("duckdb", task, p, args), run_one("memory", task, p, args)
            if lazy["status"] != "ok" or mem["status"] != "ok":
                report["checks"][task] = {"status": f"duckdb {lazy['status']}; memory {mem['status']}"}
            else:
                e, s = compare(lazy["result"], mem["result"])
                report["checks"][task] = {"status": "ok" if max(e, s) <= 1e-10 else "MISMATCH",
                                          "est": e, "se": s}
            print(f"check {task}: {report['checks'][task]}", flush=True)
    for size in sorted(args.sizes, key=SIZES.__getitem__):
        for task in args.tasks:
            p = params(files[size], args)
            for _ in range(args.runs):  # interleaved rounds
                for tool in args.tools:
                    prior = [r for r in report["runs"] if r["tool"] == tool and r["task"] == task
                             and r["size"] != size and r["status"] == "ok"]
                    slow = [r for r in report["runs"] if r["tool"] == tool and r["task"] == task
                            and r["status"].startswith("killed: over")]
                    if slow:
                        rec = {"status": f"not run: over the {args.timeout:g} s timeout at "
                                         f"{SIZES[slow[0]['size']]:,} rows"}
                    elif tool != "duckdb" and prior:
                        predicted = max(r["rss_mb"] for r in prior) / 1024 * SIZES[size] / SIZES[prior[0]["size"]]
                        if predicted > args.rss_cap_gb:
                            rec = {"status": f"not run: its {prior[0]['size']} peak RSS scaled to "
                                             f"{SIZES[size]:,} rows is {predicted:.0f} GB "
                                             f"(cap {args.rss_cap_gb:g} GB; machine {report['machine']['ram_gb']:.0f} GB)"}
                        else:
                            rec = run_one(tool, task, p, args)
                    else:
                        rec = run_one(tool, task, p, args)
                    rec |= {"tool": tool, "task": task, "size": size}
                    report["runs"].append(rec)
                    print(f"{size} {task} {tool}: {rec['status']} wall {rec.get('wall_s', float('nan')):.1f} s"
                          f" rss {rec.get('rss_mb', float('nan')):.0f} MB", flush=True)
    # every result against the in-memory one (or, where that could not run, against DuckDB's)
    ok = [r for r in report["runs"] if r["status"] == "ok"]
    for ref_tool in ("duckdb", "memory"):
        reference = {(r["size"], r["task"]): r for r in ok if r["tool"] == ref_tool}
        for r in ok:
            if r["tool"] != ref_tool and (r["size"], r["task"]) in reference:
                ref = reference[(r["size"], r["task"])]
                r["diff"] = [*compare(r["result"], ref["result"]), ref_tool]
    (args.data / "results.json").write_text(json.dumps(report, indent=1, default=str))
    (args.data / "results.md").write_text(tables(report))
    print(tables(report))
    return 0


def pq_psus(path: Path) -> str:
    """The PSU and strata counts the generator wrote into the file's metadata."""
    code = ("import pyarrow.parquet as pq, sys\nm = pq.read_schema(sys.argv[1]).metadata or {}\n"
            "print(m.get(b'psus', b'?').decode(), m.get(b'strata', b'?').decode())")
    out = subprocess.run([PYTHONS["duckdb"], "-c", code, str(path)], capture_output=True, text=True).stdout.split()
    return f"{out[0]} PSUs in {out[1]} strata" if len(out) == 2 else "unknown"


def machine() -> dict[str, Any]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    ram = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    versions = {}
    for tool in ("duckdb", "svy"):
        py = PYTHONS[tool]
        if Path(py).exists():
            names = ("duckdb", "pyspark", "pandas", "numpy", "pyarrow") if tool == "duckdb" else ("svy", "polars")
            code = (f"from importlib.metadata import version as v\nfor n in {names!r}:\n"
                    "    try: print(n, v(n))\n    except Exception: print(n, 'not installed')")
            out = subprocess.run([py, "-c", code], capture_output=True, text=True).stdout
            versions |= dict(line.split(" ", 1) for line in out.strip().splitlines())
    return {"cpu": cpu, "nproc": os.cpu_count(), "ram_gb": ram, "platform": platform.platform(),
            "python": platform.python_version(), "versions": versions}


def tables(report: dict[str, Any]) -> str:
    lines = []
    runs = report["runs"]
    for task, title in TASKS.items():
        rows = [r for r in runs if r["task"] == task]
        if not rows:
            continue
        lines += [f"### {task}: {title}", "",
                  "| tool | rows | status | wall s | load s | core s | CPU s | peak RSS MB | RSS ratio 20M/2M | max rel diff est / SE | load avg | runs |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
        for tool in PYTHONS:
            by_size: dict[str, float] = {}
            for size in sorted(SIZES, key=SIZES.__getitem__):
                mine = [r for r in rows if r["tool"] == tool and r["size"] == size]
                if not mine:
                    continue
                ok = [r for r in mine if r["status"] == "ok"]
                if not ok:
                    lines.append(f"| {LABELS[tool]} | {SIZES[size]:,} | {mine[0]['status']} | | | | | | | | "
                                 f"{mine[0].get('load1_before', float('nan')):.1f} | 0 |")
                    continue

                def med(key: str, ok: list[dict[str, Any]] = ok) -> float:
                    return statistics.median(r[key] for r in ok)

                by_size[size] = med("rss_mb")
                ratio = (f"{by_size[size] / by_size['2m']:.2f}" if size != "2m" and "2m" in by_size else "")
                diff = ok[0].get("diff")
                diff_s = f"{diff[0]:.1e} / {diff[1]:.1e} (vs {diff[2]})" if diff else ("(reference)" if tool == "memory" else "")
                lines.append(f"| {LABELS[tool]} | {SIZES[size]:,} | ok | {med('wall_s'):.1f} | "
                             f"{med('load_s'):.1f} | {med('core_s'):.1f} | {med('cpu_s'):.1f} | {by_size[size]:.0f} | {ratio} | "
                             f"{diff_s} | {med('load1_before'):.1f} | {len(ok)} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
