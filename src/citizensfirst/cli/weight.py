"""``citizensfirst weight``: rake a survey file to targets and write it with the new weight.

    citizensfirst weight cf2023.sav --targets targets.toml --out weighted.sav --weights wt_design
    citizensfirst weight --spec study.toml --wave cf2023 --out weighted.sav   # the wave's own steps

writes ``weighted.sav`` (the input plus a ``weight`` column, labelled in English and French), its
codebook ``weighted.codebook.toml`` and, next to it, ``weighted.report.csv`` (target versus achieved
for every margin level; text cells neutralised against formula injection) and
``weighted.report.json`` (the diagnostics). The four files are staged together and swapped in as
one set: if any cannot be written, none changes. ``--name`` equal to an existing column is
refused unless ``--replace`` is given, and no output may be an input (the data file, its
codebook, the targets). Exit codes: 0 done, 1 the targets were not met (nothing is written),
2 bad input or a refused output (nothing is written).

>>> from citizensfirst.cli import main
>>> main(["weight", "missing.sav", "--targets", "t.toml", "--out", "o.sav"])
2
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

from ..errors import OutputError, SpecError
from ..fileutil import atomic_write_text
from ..io import formats
from ..io.codebook import Variable
from ..io.formats import sidecar_path
from ..io.survey import Survey
from ..io.writers import write_survey
from ..outputs import check_output_files, replace_files
from ..sanitize import neutralize_frame
from ..weighting import targets as targets_module
from ..weighting.shipped import SHIPPED_TARGETS
from .common import (
    add_design_arguments,
    add_file_argument,
    command_wave,
    format_list,
    survey_and_design,
)


def weight_command(args: argparse.Namespace) -> int:
    """Read, rake, check, then write the weighted file and its report (atomically, as one set).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 on success.

    Raises
    ------
    OutputError
        If the file already has the weight column and ``--replace`` is not given.
    """
    out_path = Path(args.out)
    wave, inputs = command_wave(args)
    if args.targets is None and not wave.weighting:
        raise SpecError("give --targets, or --spec with a wave that has weighting steps")
    if args.targets is not None:
        if args.targets in SHIPPED_TARGETS and not Path(args.targets).exists():
            raise SpecError(f"--targets {args.targets}: a shipped target set is used from a study spec: write a "
                            f'[[weighting]] step (method = "rake", targets = "{args.targets}", variables = [...]) '
                            "and run: citizensfirst weight --spec SPEC --out FILE; --targets takes a targets TOML")
        inputs.append(Path(args.targets))
    report_csv = out_path.with_name(f"{out_path.stem}.report.csv")
    report_json = out_path.with_name(f"{out_path.stem}.report.json")
    check_output_files([out_path, sidecar_path(out_path), report_csv, report_json], inputs)
    survey, weighted = survey_and_design(wave, args.spec)
    name = args.name
    if name in survey.columns and not args.replace:
        raise OutputError(f"{args.file} already has a column {name!r}; nothing was written: give another "
                          "--name, or --replace to overwrite that column (its values and labels are lost)")
    if args.targets is not None:
        margins = targets_module.from_toml(args.targets)
        counts = targets_module.from_toml(args.targets, shares=False) if _has_total(args.targets) else None
        weighted = weighted.rake(counts or margins, max_iter=args.max_iter, tol=args.tol,
                                 bounds=tuple(args.bounds) if args.bounds else None)
    report = weighted.report
    data = survey.with_missing_codes().assign(**{name: weighted.weights.to_numpy()})
    variable = Variable(name, label="Final weight (raked to population targets)",
                        label_fr="Poids final (calé sur les totaux de population)", measure="scale")
    out = Survey(data, survey.codebook.with_variable(variable), source=survey.source,
                 mr_sets=survey.mr_sets)
    summary: dict[str, Any] = json.loads(report.summary().to_json())
    summary["input"] = str(args.file)
    summary["targets"] = str(args.targets) if args.targets is not None else f"{args.spec}: [waves.{wave.name}]"
    summary["steps"] = [str(step) for step in weighted.history[1:]]
    with replace_files(out_path, inputs) as staging:
        atomic_write_text(staging / report_csv.name, neutralize_frame(report.to_frame()).to_csv(index=False))
        atomic_write_text(staging / report_json.name, json.dumps(summary, indent=2))
        write_survey(out, staging / out_path.name)
    print(f"wrote {out_path} (weight column {name!r}); margins met within "
          f"{report.max_relative_error:.1e} relative; Kish deff {report.kish_deff:.3f}, "
          f"effective n {report.effective_n:.0f}")
    return 0


def _has_total(path: str) -> bool:
    """Whether a targets file gives a population total (then weights sum to it)."""
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False  # from_toml has already reported the problem
    return "total" in doc or any(isinstance(m, dict) and "total" in m for m in doc.get("margins", {}).values())


def weight_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``weight`` arguments (lonely PSUs are adjusted by default, as the raking needs a variance).

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    add_file_argument(parser, with_spec=True)
    parser.add_argument("--targets", default=None,
                        help="targets TOML ([margins.<column>] level = share or count); raked after the "
                             "weighting steps of a --spec wave, which may stand in for it")
    parser.add_argument("--out", required=True, help=f"output file ({format_list(formats.WRITE_FORMATS)}); "
                        "the report is written beside it")
    add_design_arguments(parser, weights_help="base weight column (default: equal weights)", lonely_psu="adjust")
    parser.add_argument("--name", default="weight", help="name of the new weight column")
    parser.add_argument("--replace", action="store_true",
                        help="allow --name to overwrite an existing column (refused otherwise)")
    parser.add_argument("--max-iter", type=int, default=100, dest="max_iter")
    parser.add_argument("--tol", type=float, default=1e-10, help="relative tolerance on every margin")
    parser.add_argument("--bounds", type=float, nargs=2, metavar=("LOW", "HIGH"),
                        help="bounds on the adjustment ratio (bounded raking)")
