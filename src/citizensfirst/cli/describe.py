"""``citizensfirst describe``: variables, labels, missing codes and counts of a survey file."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from ..io.readers import read_survey

# The CLI sits above the sample generator, so this import points down; the core library
# (``import citizensfirst``) never imports samplegen, and it adds well under 0.1 s to the
# CLI's start-up, which matplotlib dominates.
from ..samplegen import sample_path
from .common import add_file_argument, add_language_argument, usage_error


def _json_code(code: Any) -> Any:
    if isinstance(code, float) and math.isfinite(code) and code.is_integer():
        return int(code)
    return code


def describe_document(survey: Any, language: str = "en") -> dict[str, Any]:
    """A JSON-ready description of a survey: source, shape, and per variable its wording, value
    labels, missing codes with counts, and system-missing count.

    Parameters
    ----------
    survey : Survey
        The survey to describe.
    language : str, default "en"
        The language of the wording and value labels.

    Returns
    -------
    dict
        The description, ready for :func:`json.dumps`.
    """
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
    """The human-readable form of :func:`describe_document`.

    Parameters
    ----------
    doc : dict
        A description made by :func:`describe_document`.
    language : str, default "en"
        The language of the headings.

    Returns
    -------
    str
        The description as lines of text.
    """
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


def describe_command(args: argparse.Namespace) -> int:
    """Describe ``args.file`` (or the bundled sample) as text or JSON on stdout.

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
    DataError
        If both or neither of a file and ``--sample`` are given.
    """
    if args.sample is not None:
        if args.file is not None:
            raise usage_error("describe takes a FILE or --sample, not both")
        path = sample_path(args.sample or None)
    elif args.file is None:
        raise usage_error("describe needs a FILE (or --sample [WAVE])")
    else:
        path = args.file
    survey = read_survey(path, encoding=args.encoding)
    doc = describe_document(survey, language=args.lang)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    else:
        print(describe_text(doc, language=args.lang))
    return 0


def describe_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``describe`` arguments to its parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The command's parser, changed in place.
    """
    add_file_argument(parser, nargs="?")
    parser.add_argument("--sample", nargs="?", const="", default=None, metavar="WAVE",
                        help="describe the bundled sample data (optionally a given wave)")
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    add_language_argument(parser, default="en", many=False, help_text="language of labels")
    parser.add_argument("--encoding", default=None, help="text encoding of the file")
