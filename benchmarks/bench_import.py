"""Import time: ``import citizensfirst`` above ``import pandas`` (issue #14, point 6: at most 0.1 s).

A script run by hand, not a test. From the repository root::

    python benchmarks/bench_import.py              # 15 rounds
    python benchmarks/bench_import.py --rounds 31
    python benchmarks/bench_import.py --src /tmp/old/src   # another copy of src/ (before/after)

Every measurement is a fresh interpreter, and the variants are interleaved round by round (so a
busy machine slows them alike). Each child times its own imports with ``time.perf_counter``
and ``time.process_time`` (interpreter start-up left out; CPU seconds are the steadier figure on a
shared machine), and the parent also records the child's whole wall time. The script prints the
medians and the differences to the baseline:

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

# child: run the statements, print their wall and CPU seconds as JSON
CHILD = """
import json, time
t0, c0 = time.perf_counter(), time.process_time()
for statement in {statements!r}:
    exec(statement)
print(json.dumps([time.perf_counter() - t0, time.process_time() - c0]))
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


Times = tuple[float, float, float]  # in-process wall, in-process CPU, whole-process wall (seconds)


def run_child(python: str, statements: list[str], src: str | None = None) -> Times:
    """The seconds the statements take in a fresh interpreter."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    start = time.perf_counter()
    done = subprocess.run([python, "-c", CHILD.format(statements=statements)], capture_output=True,
                          text=True, check=False, env=env)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{python}: {statements} failed:\n{done.stderr}")
    inproc, cpu = json.loads(done.stdout.splitlines()[-1])
    return inproc, cpu, wall


def measure(python: str, variants: dict[str, list[str]], rounds: int,
            src: str | None = None) -> dict[str, Times]:
    """Median seconds per variant, the variants interleaved in every round."""
    samples: dict[str, list[Times]] = {name: [] for name in variants}
    for statements in variants.values():  # warm the file cache (bytecode, libraries)
        run_child(python, statements, src)
    for _ in range(rounds):
        for name, statements in variants.items():
            samples[name].append(run_child(python, statements, src))
    return {name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs),
                   statistics.median(s[2] for s in runs)) for name, runs in samples.items()}


def report(title: str, medians: dict[str, Times]) -> None:
    base = next(iter(medians.values()))
    print(f"\n{title}")
    print("| variant | in-process wall s | above baseline | in-process CPU s | above baseline "
          "| process wall s | above baseline |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, times in medians.items():
        cells = " | ".join(f"{t:.3f} | {t - b:+.3f}" for t, b in zip(times, base, strict=True))
        print(f"| {name} | {cells} |")


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
    above_cpu = ours["+ import citizensfirst"][1] - ours["import pandas"][1]
    verdict = "meets" if above <= 0.1 else "MISSES"
    print(f"\n`import citizensfirst` costs {above:.3f} s wall ({above_cpu:.3f} s CPU) above `import pandas` "
          f"({verdict} the 0.1 s target)")
    svy = PEERS / "venvs" / "svy" / "bin" / "python"
    if svy.exists():
        report(f"svy ({svy})", measure(str(svy), SVY, args.rounds))
    else:
        print(f"\nsvy: skipped, no virtual environment at {svy} (bash benchmarks/setup_peers.sh; "
              "CF_PEERS_DIR to point elsewhere)")


if __name__ == "__main__":
    main()
