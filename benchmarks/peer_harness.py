"""Shared plumbing of ``run_weighting.py`` and ``run_drivers.py`` (not a test, not a benchmark).

Same approach as ``run_estimation.py``: every (task, tool) run is a fresh process (the tool's own
virtual environment under ``_work/venvs/``, or Rscript) wrapped in ``/usr/bin/time`` for peak RSS,
killed after ``timeout`` seconds of wall time; the worker times its own "core" calls and writes a
JSON payload (plus, for weighting, the final weights as a raw float64 file). Ours runs from a copy
of ``src/`` taken when the harness starts, so edits made to ``src/`` during a run do not mix in.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = Path(os.environ.get("CF_PEERS_DIR") or HERE / "_work")  # data and venvs (CF_PEERS_DIR: outside the repo)
VENVS = WORK / "venvs"
PYLIB = WORK / "pylib"
OURS_PYTHON = "/tmp/venv/bin/python" if Path("/tmp/venv/bin/python").exists() else "python3"
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Run:
    status: str  # ok, timeout, failed, not installed
    wall_s: float = float("nan")
    core_s: float = float("nan")
    load_s: float = float("nan")
    rss_mb: float = float("nan")
    payload: dict[str, Any] | None = None
    weights: Any = None  # numpy array for weighting runs
    error: str = ""


def snapshot_source(dest: Path) -> str:
    """Copy src/ to ``dest`` so every run of ours uses the same code; describe that code."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "src", dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "src")
    return f"commit {head}" + (" + uncommitted changes in src/" if dirty else "")


def venv_python(name: str) -> str | None:
    python = VENVS / name / "bin" / "python"
    return str(python) if python.exists() else None


def venv_status(name: str) -> str:
    if (VENVS / f"{name}.failed").exists():
        return "install failed"
    return "ok" if venv_python(name) else "not installed"


def child_env(snapshot: Path | None, keep_openblas: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if not keep_openblas:
        for name in OPENBLAS_VARS:
            env.pop(name, None)
    paths = [str(PYLIB)] if PYLIB.exists() else []
    if snapshot is not None:
        paths.insert(0, str(snapshot))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.pop("PYTHONHOME", None)
    return env


def run_process(cmd: list[str], env: dict[str, str], timeout: float, out_dir: Path) -> Run:
    """Run ``cmd`` (which writes ``out_dir/out.json``) under /usr/bin/time with a timeout."""
    out, rss_file = out_dir / "out.json", out_dir / "rss.txt"
    time_bin = "/usr/bin/time"
    wrapped = [time_bin, "-f", "%M", "-o", str(rss_file), *cmd] if Path(time_bin).exists() else cmd
    start = time.perf_counter()
    proc = subprocess.Popen(wrapped, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Run("timeout", wall_s=time.perf_counter() - start)
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not out.exists():
        tail = (stderr or stdout or "").strip().splitlines()[-12:]
        return Run("failed", wall_s=wall, error="\n".join(tail))
    payload = json.loads(out.read_text())
    rss = float("nan")
    if rss_file.exists():
        try:
            rss = int(rss_file.read_text().strip().splitlines()[-1]) / 1024
        except ValueError:
            pass
    return Run("ok", wall_s=wall, core_s=float(payload["core_s"]), load_s=float(payload.get("load_s", "nan")),
               rss_mb=rss, payload=payload)


def temp_dir() -> tempfile.TemporaryDirectory[str]:
    WORK.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=WORK)


def median(values: list[float]) -> float:
    values = [v for v in values if v == v]
    return statistics.median(values) if values else float("nan")


def fmt(x: float, digits: int = 2) -> str:
    return "" if x != x else f"{x:.{digits}f}"


def pip_version(venv: str, dist: str) -> str:
    metas = list((VENVS / venv / "lib").glob("python*/site-packages/*.dist-info"))
    for meta in metas:
        name, _, version = meta.name.removesuffix(".dist-info").partition("-")
        if name.lower().replace("_", "-") == dist.lower().replace("_", "-"):
            return version
    return "?"


def machine_line() -> str:
    cpu = ""
    mem_kb = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return (f"machine: {platform.machine()}, {cpu}, nproc {nproc}, {mem_kb / 2**20:.1f} GiB, "
            f"{platform.platform()}")
