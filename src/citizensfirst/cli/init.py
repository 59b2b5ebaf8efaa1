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

import pandas as pd

from ..errors import CitizensFirstError, OutputError
from ..fileutil import atomic_write_text
from ..io.codebook import Codebook
from ..io.formats import sidecar_path
from ..io.readers import read_survey
from ..io.survey import Survey
from ..report.designs import design_from_wave
from ..report.spec import parse_wave
from ..spec import SAFE_NAME
from ..spec.base import quoted_key
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


def working_design(survey: Survey, guessed: dict[str, str], file: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The guessed design keys that build a design, and why each key left out was dropped.

    ``fpc`` is dropped first, then ``psu``, ``strata`` and ``weights``, until the design builds
    (an ``fpc`` column that varies within a stratum, say, when the strata were not guessed).

    Parameters
    ----------
    survey : Survey
        The data file as read.
    guessed : dict of str to str
        The keys :func:`guess_design` found.
    file : Path
        The data file (named in the reasons).

    Returns
    -------
    tuple of (dict of str to str, dict of str to str)
        The keys kept, and the reason each dropped key was left out.
    """
    kept, dropped = dict(guessed), dict[str, str]()
    problem = ""
    for drop in (None, "fpc", "psu", "strata", "weights"):
        if drop is not None:
            if drop not in kept:
                continue
            dropped[drop] = problem
            del kept[drop]
        try:
            doc = {"file": str(file), **kept, "nest": "strata" in kept and "psu" in kept}
            design_from_wave(parse_wave("w", doc), survey, source=file.name)
        except CitizensFirstError as err:
            problem = str(err).rsplit(f"{file.name}: ", 1)[-1]
        else:
            break
    return kept, dropped


def example_variables(survey: Survey, design: Iterable[str]) -> tuple[str, str, bool]:
    """A rated variable and a grouping variable of the file for the commented examples.

    Parameters
    ----------
    survey : Survey
        The data file as read.
    design : iterable of str
        The design columns (never used as examples).

    Returns
    -------
    tuple of (str, str, bool)
        The rated variable (the first with a codebook scale, else the first numeric one with 3
        to 11 values, else the first numeric one that is not an identifier), the
        grouping variable (the first other column with 2 to 20 values) and whether the rated
        variable's scale is known (``top2`` and ``score`` need it).

    Examples
    --------
    >>> from citizensfirst.io.codebook import Codebook, Variable
    >>> data = pd.DataFrame({"wt": [1.0, 2.0], "g": ["a", "b"], "q": [1, 5]})
    >>> example_variables(Survey(data, Codebook([Variable("q", scale=(1, 5))])), ["wt"])
    ('q', 'g', True)
    """
    data = survey.data.drop(columns=list(design))
    scaled = [c for c in data.columns if c in survey.codebook and survey.codebook[c].scale is not None]
    levels = data.nunique()
    numeric = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c]) and levels[c] < len(data)]
    rating_like = [c for c in numeric if 3 <= levels[c] <= 11]
    rated = next(iter(scaled + rating_like + numeric + list(data.columns)), "q1")
    group = next((str(c) for c in data.columns if c != rated and 2 <= levels[c] <= 20), "group")
    return str(rated), group, bool(scaled)


def _toml(value: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _key(guessed: dict[str, str], dropped: dict[str, str], name: str, example: str) -> str:
    """A design key set to its guessed column, or commented out (saying why, when it was dropped)."""
    if name in dropped:
        return f"# {name} = {_toml(guessed[name])}  # guessed, but with it the design fails: {dropped[name]}"
    if name in guessed:
        return f"{name} = {_toml(guessed[name])}"
    return f"# {name} = {example}"


def safe_name(text: str) -> str:
    """A safe name (letters, digits, ``_`` ``-`` ``.``; a spec's wave or table name) made from ``text``.

    Parameters
    ----------
    text : str
        Any text, e.g. a file's stem.

    Returns
    -------
    str
        The safe name.

    Examples
    --------
    >>> safe_name("2023 wave (final)")
    '2023_wave_final'
    """
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("._-")[:64] or "wave1"
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
        if variable.scale is not None:
            text += f" (scale {variable.scale[0]:g} to {variable.scale[1]:g})"
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
    guessed = guess_design(columns)
    design, dropped = working_design(survey, guessed, data_file)
    wave = safe_name(data_file.stem)
    rated, group, scaled = example_variables(survey, design.values())
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
        _key(guessed, dropped, "weights", '"weight"            # or probs = "p" (selection probabilities)'),
        _key(guessed, dropped, "strata", '"stratum"'),
        _key(guessed, dropped, "psu", '"psu"                     # or one per stage: ["district", "school"]'),
        _key(guessed, dropped, "fpc", '"fpc"                     # per stage too; counts or sampling fractions'),
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
        '# variables = ["province", "age", "gender"]  # need the columns prov, age_grp, gender',
        "",
        "# [[estimates]]",
        f"# name = {_toml(safe_name(f'{rated}_by_{group}'))}",
        '# stat = "mean"                      # mean | total | proportion | quantile | ratio',
        f"# variables = [{_toml(rated)}]",
        f"# by = [{_toml(group)}]",
        "",
        "# [[tables]]",
        f"# name = {_toml(safe_name(f'{rated}_table'))}",
        f"# rows = {_toml(rated)}",
        f"# cols = [{_toml(group)}]",
        ('# stat = "top2"                      # percent | mean | top2 | score' if scaled else
         '# stat = "percent"                   # percent | mean; top2 | score need the rating scale: '
         f"[variables.{quoted_key(rated)}] scale = [1, 5] in {sidecar_path(data_file).name}"),
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
