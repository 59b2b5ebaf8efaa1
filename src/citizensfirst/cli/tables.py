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
from typing import Any

from ..fileutil import check_output_files, replace_files
from ..io.formats import sidecar_path
from .common import add_design_arguments, survey_and_design


def run_tables(args: argparse.Namespace) -> int:
    """Build the tables in every language and write the workbook and CSVs."""
    from ..tables.render import write_tables

    out = Path(args.out)
    names = [f"{args.stat}.{lang}" for lang in args.lang]
    inputs = [Path(args.file), sidecar_path(args.file)]
    check_output_files([out, *(out.with_name(f"{out.stem}.{name}.csv") for name in names)], inputs)
    _, design = survey_and_design(args)
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


def register_tables(subparsers: Any) -> None:
    """Add the ``tables`` subcommand."""
    parser = subparsers.add_parser("tables", help="weighted crosstabs with significance letters")
    parser.add_argument("file", help="survey file (.sav .dta .csv .parquet ...)")
    parser.add_argument("--rows", nargs="+", required=True, help="row variable, or items for mean/top2/score")
    parser.add_argument("--cols", nargs="+", required=True, help="column variable(s); several give a banner")
    parser.add_argument("--stat", default="percent", choices=["percent", "mean", "top2", "score"])
    parser.add_argument("--value", default=None, help="rated item when --rows is a grouping variable")
    parser.add_argument("--out", required=True, help="output .xlsx (CSVs are written beside it)")
    add_design_arguments(parser)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--adjust", default="none", choices=["none", "holm", "bh"])
    parser.add_argument("--lang", nargs="+", default=["en"], choices=["en", "fr"])
    parser.set_defaults(handler=run_tables)
