"""``citizensfirst tables``: weighted crosstabs of one survey file, exported for publication.

    citizensfirst tables cf2023.sav --rows q_overall q_time --cols prov age_grp --stat top2 \\
        --weights wt_design --out tables.xlsx --lang en fr

writes one workbook (a sheet per table and language, plus notes) and, beside it, a CSV per
sheet (``tables.top2.en.csv``...), staged together and swapped in as one set. No output may be a
folder or an input (the data file or its codebook). ``--cols`` with several variables gives a
banner. Exit codes: 0 done, 2 bad input or a refused output (nothing written).

>>> from citizensfirst.cli import main
>>> main(["tables", "missing.sav", "--rows", "q", "--cols", "g", "--out", "t.xlsx"])
2
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import tables as table_registry
from ..outputs import check_output_files, replace_files
from ..tables.render import write_tables
from .common import (
    add_design_arguments,
    add_file_argument,
    add_language_argument,
    command_wave,
    survey_and_design,
)


def tables_command(args: argparse.Namespace) -> int:
    """Build the tables in every language and write the workbook and CSVs.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        The exit code: 0 on success.
    """
    out = Path(args.out)
    names = [f"{args.stat}.{lang}" for lang in args.lang]
    wave, inputs = command_wave(args)
    check_output_files([out, *(out.with_name(f"{out.stem}.{name}.csv") for name in names)], inputs)
    _, design = survey_and_design(wave, args.spec)
    rows = args.rows if len(args.rows) > 1 else args.rows[0]
    tables = []
    for lang in args.lang:
        if len(args.cols) == 1:
            table = design.crosstab(rows, args.cols[0], stat=args.stat, value=args.value, language=lang,
                                    alpha=args.alpha, adjust=args.adjust)
        else:
            table = design.banner(rows, args.cols, stat=args.stat, value=args.value, language=lang,
                                  alpha=args.alpha, adjust=args.adjust)
        tables.append(table)
    with replace_files(out, inputs) as staging:
        write_tables(tables, staging / out.name, sheet_names=names)
        for table, name in zip(tables, names, strict=True):
            table.to_csv(staging / f"{out.stem}.{name}.csv")
    print(f"wrote {out} ({len(tables)} table(s)) and their CSVs")
    return 0


def tables_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``tables`` arguments; statistics and adjustments come from :mod:`citizensfirst.tables`.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    add_file_argument(parser, with_spec=True)
    parser.add_argument("--rows", nargs="+", required=True, help="row variable, or items for mean/top2/score")
    parser.add_argument("--cols", nargs="+", required=True, help="column variable(s); several give a banner")
    parser.add_argument("--stat", default="percent", choices=table_registry.STATS, help="statistic in each cell")
    parser.add_argument("--value", default=None, help="rated item when --rows is a grouping variable")
    parser.add_argument("--out", required=True, help="output .xlsx (CSVs are written beside it)")
    add_design_arguments(parser)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--adjust", default="none", choices=table_registry.ADJUSTMENTS,
                        help="multiple-comparison adjustment of the column tests")
    add_language_argument(parser, default=["en"])
