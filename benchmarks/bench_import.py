"""Import time: ``import citizensfirst`` above ``import pandas`` (issue #14, point 6: at most 0.1 s).

A script run by hand, not a test. From the repository root::

    python benchmarks/bench_import.py              # 15 rounds
    python benchmarks/bench_import.py --rounds 31
    python benchmarks/bench_import.py --src /tmp/old/src   # another copy of src/ (before/after)

Every measurement is a fresh interpreter, and the variants are interleaved round by round (so a
busy machine slows them alike). Each child times its own imports with ``time.perf_counter``
(interpreter start-up left out) and the parent also records the child's whole wall time. The
script prints the medians and the differences to the baseline:

* ours: ``import pandas`` (baseline), then ``import pandas; import citizensfirst``, and the first
  use ``import pandas; import citizensfirst as cf; cf.Design`` (what a design imports);
* svy (a peer, Polars-based), when its virtual environment exists under
  ``$CF_PEERS_DIR/venvs/svy`` (default ``benchmarks/_work``; ``benchmarks/setup_peers.sh`` makes
  it): ``import polars`` (its baseline), then ``import polars; import svy``. It is skipped, and
  the script says so, when the venv is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = Path(os.environ.get("CF_PEERS_DIR", HERE / "_work"))

# child: time each import statement in turn, print the cumulative seconds after each as JSON
CHILD = """
import json, time
t0 = time.perf_counter()
marks = []
for statement in {statements!r}:
    exec(statement)
    marks.append(time.perf_counter() - t0)
print(json.dumps(marks))
"""

# variant name -> (python, statements); the last statement is what the variant measures
OURS = {
    "import pandas": ["import pandas"],
    "+ import citizensfirst": ["import pandas", "import citizensfirst"],
    "+ citizensfirst.Design": ["import pandas", "import citizensfirst", "citizensfirst.Design"],
}
SVY = {
    "import polars": ["import polars"],
    "+ import svy": ["import polars", "import svy"],
}


def run_child(python: str, statements: list[str], src: str | None = None) -> tuple[float, float]:
    """(in-process seconds of all the statements, wall seconds of the whole process)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    start = time.perf_counter()
    done = subprocess.run([python, "-c", CHILD.format(statements=statements)], capture_output=True,
                          text=True, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{python}: {statements} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])[-1], wall


def measure(python: str, variants: dict[str, list[str]], rounds: int,
            src: str | None = None) -> dict[str, tuple[float, float]]:
    """Median (in-process, wall) seconds per variant, the variants interleaved in every round."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    for statements in variants.values():  # warm the file cache (bytecode, libraries)
        run_child(python, statements, src)
    for _ in range(rounds):
        for name, statements in variants.items():
            samples[name].append(run_child(python, statements, src))
    return {name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
            for name, runs in samples.items()}


def report(title: str, medians: dict[str, tuple[float, float]]) -> None:
    base_in, base_wall = next(iter(medians.values()))
    print(f"\n{title}")
    print("| variant | in-process s | above baseline s | process wall s | above baseline s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (inproc, wall) in medians.items():
        print(f"| {name} | {inproc:.3f} | {inproc - base_in:+.3f} | {wall:.3f} | {wall - base_wall:+.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="fresh processes per variant (median)")
    parser.add_argument("--src", help="run citizensfirst from this folder (default: the installed one)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} ({sys.executable}); {os.cpu_count()} cores; "
          f"median of {args.rounds} interleaved rounds")
    ours = measure(sys.executable, OURS, args.rounds, args.src)
    report(f"citizensfirst ({args.src or 'installed'})", ours)
    above = ours["+ import citizensfirst"][0] - ours["import pandas"][0]
    verdict = "meets" if above <= 0.1 else "MISSES"
    print(f"\n`import citizensfirst` costs {above:.3f} s above `import pandas` ({verdict} the 0.1 s target)")
    svy = PEERS / "venvs" / "svy" / "bin" / "python"
    if svy.exists():
        report(f"svy ({svy})", measure(str(svy), SVY, args.rounds))
    else:
        print(f"\nsvy: skipped, no virtual environment at {svy} (bash benchmarks/setup_peers.sh; "
              "CF_PEERS_DIR to point elsewhere)")


if __name__ == "__main__":
    main()
