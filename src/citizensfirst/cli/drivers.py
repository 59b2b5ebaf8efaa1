"""``citizensfirst drivers``: which service drivers move satisfaction, from one survey file.

    citizensfirst drivers cf2023.sav --outcome q_overall q_expect q_value \\
        --drivers q_time q_access q_outcome --weights wt_design --out drivers/

writes ``drivers/drivers.csv`` (importance, share, rank, CI, performance per driver),
``drivers/pairwise.csv`` (differences between drivers with CIs), text cells of both neutralised
against formula injection, the importance and importance-performance charts (PNG, SVG, alt text
and data) in each ``--lang`` (``--charts``: any chart type of :mod:`citizensfirst.charts` that draws a
driver result, by default all), and ``drivers/manifest.json`` (inputs, versions, seed, every file with its SHA-256). ``--out`` follows
the rule of ``citizensfirst report``: it may be absent, empty or an earlier output (its manifest
lists every file in it), and never a file, the working folder or a folder holding the input; the
folder is staged and swapped in whole. Several outcome items are averaged into an index. Exit
codes: 0 done, 2 bad input or a refused output (nothing written).

>>> from citizensfirst.cli import main
>>> main(["drivers", "missing.sav", "--outcome", "y", "--drivers", "a", "--out", "x"])
2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import drivers as driver_registry
from ..charts import chart_function, chart_names
from ..drivers.driver_result import DriverResult
from ..errors import DataError
from ..fileutil import atomic_write_text
from ..outputs import check_replaceable_output, replace_folder
from ..report.manifest import file_record, write_manifest
from ..sanitize import neutralize_frame
from .common import (
    add_design_arguments,
    add_file_argument,
    add_language_argument,
    command_wave,
    survey_and_design,
)


def drivers_command(args: argparse.Namespace) -> int:
    """Read the file, build the design, run the analysis and write table and charts.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 on success.
    """
    wave, inputs = command_wave(args)
    check_replaceable_output(args.out, inputs)
    survey, design = survey_and_design(wave, args.spec)
    outcome = args.outcome if len(args.outcome) > 1 else args.outcome[0]
    result = design.drivers(outcome, args.drivers, method=args.method,
                            ci=None if args.replicates == 0 else "replicate",
                            replicates=args.replicates or 2, seed=args.seed)
    assert isinstance(result, DriverResult)  # one result: no by= domains
    out = Path(args.out)
    table = result.to_frame()
    charts = list(args.charts)
    try:
        table["quadrant"] = driver_registry.importance_performance(result)["quadrant"]
    except DataError as err:  # the drivers share no known scale: importance only, and say why
        print(f"citizensfirst: warning: no importance-performance quadrant: {err}", file=sys.stderr)
        charts = [chart for chart in charts if chart != "quadrant"]
    codebook = survey.codebook
    with replace_folder(out, inputs) as staging:
        atomic_write_text(staging / "drivers.csv", neutralize_frame(table.reset_index()).to_csv(index=False))
        atomic_write_text(staging / "pairwise.csv", neutralize_frame(result.pairwise).to_csv(index=False))
        for lang in args.lang:
            labels = {d: codebook.get_variable(d).label_in(lang) for d in args.drivers}
            for chart in charts:
                chart_function(chart)(result, language=lang, labels=labels).save(staging / f"{chart}.{lang}")
        write_manifest(staging, {"command": "drivers",
                                 "inputs": [file_record(p) for p in inputs if p.is_file()],
                                 "seeds": {"drivers": args.seed}})
    top = table.sort_values("rank").index[:3].tolist()
    print(f"wrote {out}: R² {result.r2:.3f} on n={result.n}; most important: {', '.join(top)}")
    return 0


def drivers_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``drivers`` arguments; the methods and charts come from the library's registries.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    add_file_argument(parser, with_spec=True)
    parser.add_argument("--outcome", nargs="+", required=True, help="outcome item(s); several are averaged")
    parser.add_argument("--drivers", nargs="+", required=True, help="driver items")
    parser.add_argument("--out", required=True, help="output folder")
    add_design_arguments(parser)
    parser.add_argument("--method", default="shapley", choices=driver_registry.METHODS, help="importance measure")
    parser.add_argument("--replicates", type=int, default=200,
                        help="bootstrap replicates for the CIs (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--charts", nargs="+", default=list(chart_names("drivers")),
                        choices=chart_names("drivers"), help="charts to draw (default: all)")
    add_language_argument(parser, default=["en", "fr"])
