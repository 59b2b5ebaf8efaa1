"""The ``citizensfirst`` command line.

Each subcommand is a function that adds its parser to the subparsers and sets ``handler`` (a
function ``(args) -> int``); the decorator :func:`command` lists it. To add a command (``weight``,
``tables``, ``drivers``, ``report``, ``reproduce``...)::

    @command
    def _register_weight(subparsers):
        parser = subparsers.add_parser("weight", help="...")
        parser.add_argument(...)
        parser.set_defaults(handler=_run_weight)

or, from another module, call ``citizensfirst.cli.command(register_function)`` at import time and
add that module's name to :data:`COMMAND_MODULES` so :func:`main` imports it.

Every :class:`~citizensfirst.errors.CitizensFirstError` is printed as
``citizensfirst: error: MESSAGE`` on stderr and :func:`main` returns its ``exit_code``
(2 for bad input, 1 for a check that failed); no traceback.

>>> main(["describe", "no-such-file.sav"])
2
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import CitizensFirstError

Registrar = Callable[[Any], None]
_REGISTRARS: list[Registrar] = []

#: Modules imported by :func:`build_parser` so that their ``@command`` functions register.
COMMAND_MODULES: list[str] = [
    "citizensfirst.weighting.cli",
    "citizensfirst.drivers_cli",
    "citizensfirst.tables_cli",
    "citizensfirst.report.cli",
]


def command(register: Registrar) -> Registrar:
    """Decorator: list ``register(subparsers)`` as a subcommand of ``citizensfirst``."""
    if register not in _REGISTRARS:
        _REGISTRARS.append(register)
    return register


def add_design_arguments(parser: argparse.ArgumentParser, *, weights_help: str | None = None) -> None:
    """The options that describe a file's sampling design (shared by several commands)."""
    parser.add_argument("--weights", default=None, help=weights_help or "weight column (default: equal weights)")
    parser.add_argument("--strata", default=None, help="strata column")
    parser.add_argument("--psu", default=None, help="PSU (cluster) column")
    parser.add_argument("--nest", action="store_true", help="PSU ids are unique only within strata")


def survey_and_design(args: argparse.Namespace, **options: Any) -> tuple[Any, Any]:
    """Read ``args.file`` and build its design from the :func:`add_design_arguments` options."""
    from .design import Design
    from .io import read_survey

    survey = read_survey(args.file)
    return survey, Design(survey, weights=args.weights, strata=args.strata, psu=args.psu,
                          nest=args.nest, **options)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="citizensfirst",
        description="Analyse public-service satisfaction surveys (Citizens First, Business First, CMT).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in _REGISTRARS:
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 success, 1 failed check, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except CitizensFirstError as err:
        print(f"citizensfirst: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("citizensfirst: interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------------------------------
# describe


def _json_code(code: Any) -> Any:
    if isinstance(code, float) and math.isfinite(code) and code.is_integer():
        return int(code)
    return code


def describe_document(survey: Any, language: str = "en") -> dict[str, Any]:
    """A JSON-ready description of a survey: source, shape, and per variable its wording, value
    labels, missing codes with counts, and system-missing count."""
    cb = survey.codebook
    data = survey.data
    variables = []
    for name in survey.columns:
        var = cb.get_variable(name)
        counts = survey.missing_counts(name, language=language)
        missing = []
        system = 0
        for (code, label), n in counts.items():
            if code == ".":
                system = int(n)
                continue
            missing.append({"code": _json_code(code), "label": label, "count": int(n)})
        labels = var.value_labels_in(language)
        variables.append({
            "name": name,
            "label": var.label_in(language) if (var.label or var.label_fr) else None,
            "dtype": str(data[name].dtype),
            "measure": var.measure,
            "scale": list(var.scale) if var.scale else None,
            "dimension": var.dimension,
            "n_valid": int(data[name].notna().sum()),
            "value_labels": [{"code": _json_code(c), "label": t} for c, t in labels.items()],
            "missing": missing,
            "missing_ranges": [[_json_code(lo), _json_code(hi)] for lo, hi in var.missing_ranges],
            "system_missing": system,
        })
    title = (cb.title_fr or cb.title) if language == "fr" else cb.title
    return {
        "source": survey.source.to_dict(),
        "title": title,
        "n_rows": int(survey.shape[0]),
        "n_columns": int(survey.shape[1]),
        "variables": variables,
        "mr_sets": {k: {kk: (list(vv) if isinstance(vv, tuple | list) else vv) for kk, vv in v.items()}
                    for k, v in survey.mr_sets.items()},
    }


_TEXT = {
    "en": {"file": "File", "format": "Format", "size": "size", "bytes": "bytes", "rows": "Rows",
           "cols": "Columns", "title": "Title", "values": "values", "missing": "missing",
           "ranges": "missing ranges", "system": "system missing", "valid": "valid",
           "mr": "Multiple-response sets"},
    "fr": {"file": "Fichier", "format": "Format", "size": "taille", "bytes": "octets", "rows": "Lignes",
           "cols": "Colonnes", "title": "Titre", "values": "valeurs", "missing": "manquantes",
           "ranges": "plages manquantes", "system": "manquantes système", "valid": "valides",
           "mr": "Ensembles à réponses multiples"},
}


def describe_text(doc: dict[str, Any], language: str = "en") -> str:
    """The human-readable form of :func:`describe_document`."""
    t = _TEXT.get(language, _TEXT["en"])
    src = doc["source"]
    lines = [
        f"{t['file']}: {src['path']}",
        f"{t['format']}: {src['format']}  {t['size']}: {src['size']} {t['bytes']}  sha256: {src['sha256']}",
        f"{t['rows']}: {doc['n_rows']}  {t['cols']}: {doc['n_columns']}",
    ]
    if doc.get("title"):
        lines.append(f"{t['title']}: {doc['title']}")
    lines.append("")
    for var in doc["variables"]:
        head = f"{var['name']}  [{var['dtype']}"
        head += f", {var['measure']}" if var["measure"] else ""
        head += f", {t['valid']} {var['n_valid']}]"
        if var["label"]:
            head += f"  {var['label']}"
        lines.append(head)
        if var["dimension"] or var["scale"]:
            extras = []
            if var["dimension"]:
                extras.append(f"CMT {var['dimension']}")
            if var["scale"]:
                extras.append(f"scale {var['scale'][0]}-{var['scale'][1]}")
            lines.append("    " + ", ".join(extras))
        if var["value_labels"]:
            shown = "; ".join(f"{v['code']} = {v['label']}" for v in var["value_labels"])
            lines.append(f"    {t['values']}: {shown}")
        if var["missing"]:
            shown = "; ".join(
                f"{m['code']}" + (f" = {m['label']}" if m["label"] else "") + f" ({m['count']})"
                for m in var["missing"]
            )
            lines.append(f"    {t['missing']}: {shown}")
        if var["missing_ranges"]:
            shown = "; ".join(f"{lo} to {hi}" for lo, hi in var["missing_ranges"])
            lines.append(f"    {t['ranges']}: {shown}")
        lines.append(f"    {t['system']}: {var['system_missing']}")
    if doc["mr_sets"]:
        lines.append("")
        lines.append(f"{t['mr']}:")
        for name, spec in doc["mr_sets"].items():
            label = f" {spec.get('label')}" if spec.get("label") else ""
            lines.append(f"  {name}{label}: {', '.join(spec.get('variable_list', []))}")
    return "\n".join(lines)


def _run_describe(args: argparse.Namespace) -> int:
    from .io import read_survey

    if args.sample is not None:
        if args.file is not None:
            raise _usage_error("describe takes a FILE or --sample, not both")
        from . import samplegen  # written separately; imported only when asked for

        wave = args.sample or None
        path = samplegen.sample_path(wave)
    elif args.file is None:
        raise _usage_error("describe needs a FILE (or --sample [WAVE])")
    else:
        path = args.file
    survey = read_survey(path, encoding=args.encoding)
    doc = describe_document(survey, language=args.lang)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        print(describe_text(doc, language=args.lang))
    return 0


def _usage_error(message: str) -> CitizensFirstError:
    from .errors import DataError

    return DataError(message)


@command
def _register_describe(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "describe",
        help="list the variables of a survey file with labels, value labels and missing codes",
        description="Describe a survey file: each variable's label, value labels, missing codes "
        "and how many cells hold each, plus the file's size and SHA-256.",
    )
    parser.add_argument("file", nargs="?", help="survey file (.sav .zsav .por .dta .sas7bdat .xpt "
                        ".csv .parquet)")
    parser.add_argument("--sample", nargs="?", const="", default=None, metavar="WAVE",
                        help="describe the bundled sample data (optionally a given wave)")
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument("--lang", choices=("en", "fr"), default="en", help="language of labels")
    parser.add_argument("--encoding", default=None, help="text encoding of the file")
    parser.set_defaults(handler=_run_describe)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
