"""``citizensfirst init``: write a commented starter study spec for a data file.

    citizensfirst init cf2023.sav --out study.toml

reads the file (and its codebook sidecar), guesses the design columns from their names (a weight
such as ``wt``/``weight``/``pw``/``poids``, ``strat*``, ``psu``/``cluster``, ``fpc``) and writes a
spec that :mod:`citizensfirst.report.spec` accepts as is: one wave, the guessed design, and
commented examples of every other key (stages, fpc, replicate weights, weighting steps, tables,
estimates), followed by the list of the file's variables with their labels and value labels, so
the spec can be completed without another tool. The spec is never written over an existing file
(exit 2); check it with ``citizensfirst validate``.

>>> from citizensfirst.cli import main
>>> main(["init", "missing.sav", "--out", "study.toml"])
2
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..errors import OutputError
from ..fileutil import atomic_write_text
from ..io.codebook import Codebook
from ..io.readers import read_survey
from ..spec import SAFE_NAME
from .common import add_file_argument

GUESSES: dict[str, re.Pattern[str]] = {
    "weights": re.compile(r"(?i)(wt|wgt|weight|poids|pw|finalwt)(_?[a-z0-9]*)?"),
    "strata": re.compile(r"(?i)(strat(um|a)?|strate)(_?[a-z0-9]*)?"),
    "psu": re.compile(r"(?i)(psu|cluster|grappe)(_?[a-z0-9]*)?"),
    "fpc": re.compile(r"(?i)fpc_?[0-9]*"),
}
"""Column-name patterns for the design keys ``init`` fills in (a full match, case ignored)."""


def guess_design(columns: Iterable[str]) -> dict[str, str]:
    """The design columns guessed from their names: the first full match of each :data:`GUESSES`.

    Parameters
    ----------
    columns : iterable of str
        The data file's column names, in file order.

    Returns
    -------
    dict of str to str
        Design key (``weights``, ``strata``, ``psu``, ``fpc``) to column, for the keys found.

    Examples
    --------
    >>> guess_design(["id", "stratum", "psu", "wt_design", "q1"])
    {'weights': 'wt_design', 'strata': 'stratum', 'psu': 'psu'}
    """
    found: dict[str, str] = {}
    for key, pattern in GUESSES.items():
        match = next((c for c in columns if pattern.fullmatch(c)), None)
        if match is not None:
            found[key] = match
    return found


def _toml(value: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _key(design: dict[str, str], name: str, example: str) -> str:
    """A design key set to its guessed column, or commented out with an example."""
    return f"{name} = {_toml(design[name])}" if name in design else f"# {name} = {example}"


def _wave_name(path: Path) -> str:
    """A safe wave name from the file name (letters, digits, ``_`` ``-`` ``.``)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem).strip("._-")[:64] or "wave1"
    name = name.replace("..", "_")
    return name if SAFE_NAME.fullmatch(name) else f"w{name}"[:64]


def variable_lines(codebook: Codebook, columns: Iterable[str]) -> list[str]:
    """One comment line per variable: name, label, scale or value labels, missing codes.

    Parameters
    ----------
    codebook : Codebook
        The file's codebook.
    columns : iterable of str
        The columns to list, in file order.

    Returns
    -------
    list of str
        TOML comment lines (each starting with ``#``).

    Examples
    --------
    >>> from citizensfirst.io.codebook import Variable
    >>> cb = Codebook([Variable("q1", label="Overall", value_labels={1: "Poor", 5: "Good"})])
    >>> variable_lines(cb, ["q1", "x"])
    ['#   q1: Overall [1 Poor; 5 Good]', '#   x']
    """
    lines = []
    for name in columns:
        if name not in codebook:
            lines.append(f"#   {name}")
            continue
        variable = codebook[name]
        text = f"#   {name}" + (f": {variable.label}" if variable.label else "")
        labels = "; ".join(f"{code} {label}" for code, label in variable.value_labels.items())
        if labels:
            text += f" [{labels[:100]}{'...' if len(labels) > 100 else ''}]"
        if variable.missing:
            text += " (missing: " + ", ".join(str(code) for code in variable.missing) + ")"
        lines.append(text.replace("\n", " "))
    return lines


def starter_spec(data_file: Path, spec_folder: Path) -> str:
    """The text of a commented starter spec for ``data_file``, with paths relative to ``spec_folder``.

    Parameters
    ----------
    data_file : Path
        The survey file (read with its codebook sidecar).
    spec_folder : Path
        The folder the spec will be written in.

    Returns
    -------
    str
        The TOML text.
    """
    survey = read_survey(data_file)
    columns = list(survey.data.columns)
    design = guess_design(columns)
    wave = _wave_name(data_file)
    relative = Path(os.path.relpath(os.path.abspath(data_file), os.path.abspath(spec_folder))).as_posix()
    title = data_file.stem

    lines = [
        f"# Study spec for {data_file.name}, written by `citizensfirst init`.",
        "# Check it with `citizensfirst validate THIS_FILE`, run it with",
        "# `citizensfirst report THIS_FILE --out report/`. Every key: docs/spec-reference.md.",
        "",
        "[study]",
        f"title = {_toml(title)}",
        f"title_fr = {_toml(title)}",
        'languages = ["en", "fr"]',
        "seed = 1                            # replicate seeds derive from it",
        "",
        f"[waves.{wave}]",
        f"file = {_toml(relative)}",
        "# year = 2024",
        _key(design, "weights", '"weight"            # or probs = "p" (selection probabilities)'),
        _key(design, "strata", '"stratum"'),
        _key(design, "psu", '"psu"                     # or one per stage: ["district", "school"]'),
        _key(design, "fpc", '"fpc"                     # per stage too; counts or sampling fractions'),
        "nest = " + ("true" if "strata" in design and "psu" in design else "false")
        + "                         # true: PSU ids are unique only within strata",
        '# lonely_psu = "adjust"              # fail | adjust | average | remove | certainty',
        "",
        f"# [waves.{wave}.replicates]           # replicate weights supplied in the file",
        '# pattern = "repwt[0-9]+"            # or columns = ["repwt1", "repwt2"]',
        '# type = "jk1"                       # jk1 | jkn | brr | fay | bootstrap',
        "",
        "# [[weighting]]                      # steps applied in order to every wave",
        '# method = "rake"                    # rake | calibrate | poststratify | trim',
        '# targets = "canada_adults_2025"     # a shipped set, or file = "targets.toml"',
        '# variables = ["province", "age", "gender"]',
        "",
        "# [[estimates]]",
        '# name = "overall"',
        '# stat = "mean"                      # mean | total | proportion | quantile | ratio',
        '# variables = ["q_overall"]',
        '# by = ["prov"]',
        "",
        "# [[tables]]",
        '# name = "overall_by_region"',
        '# rows = "q_overall"',
        '# cols = ["region"]',
        '# stat = "top2"                      # percent | mean | top2 | score',
        "",
        f"# The {len(columns)} variables of {data_file.name}:",
        *variable_lines(survey.codebook, columns),
        "",
    ]
    return "\n".join(lines)


def init_command(args: argparse.Namespace) -> int:
    """Write the starter spec for ``args.file`` to ``args.out`` (never over an existing file).

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
        If ``args.out`` exists.
    """
    out = Path(args.out)
    if out.exists() or out.is_symlink():
        raise OutputError(f"{out} exists; nothing was written: give another --out (init never "
                          "overwrites a file)")
    text = starter_spec(Path(args.file), out.parent)
    atomic_write_text(out, text)
    print(f"wrote {out}; check it with: citizensfirst validate {out}")
    return 0


def init_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``init`` arguments.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    add_file_argument(parser)
    parser.add_argument("--out", default="study.toml", help="the spec file to write (default: study.toml)")
