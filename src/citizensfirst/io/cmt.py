"""The Common Measurements Tool (CMT) service dimensions: a small registry.

Citizens First, Business First and CMT surveys ask about the same drivers of satisfaction with a
public service: timeliness, ease of access, staff knowledge and competence, courtesy, fairness,
outcome, the number of contacts it took, and overall satisfaction (plus, here, "extra mile",
information and privacy). Each :class:`Dimension` carries an id, English and French names and
question wording (this project's own wording), its scale and its no-answer codes. The data live in
``citizensfirst/data/cmt.toml``.

>>> [d.id for d in dimensions()][:4]
['timeliness', 'access', 'knowledge', 'courtesy']
>>> d = dimension("courtesy")
>>> d.scale, dict(d.missing)
((1, 5), {8: "Don't know", 9: 'Not applicable'})
>>> dimension("ease_of_access").id
'access'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from ..errors import CodebookError
from .codebook import Codebook
from .codes import Code, normalize_code

__all__ = ["Dimension", "apply", "dimension", "dimension_ids", "dimensions"]


@dataclass(frozen=True)
class Dimension:
    """One CMT service dimension."""

    id: str
    name: str
    name_fr: str
    question: str
    question_fr: str
    kind: str  # "rating" or "count"
    scale: tuple[int, int]
    measure: str = "ordinal"
    values: Mapping[Code, str] = field(default_factory=dict)
    values_fr: Mapping[Code, str] = field(default_factory=dict)
    missing: Mapping[Code, str] = field(default_factory=dict)
    missing_fr: Mapping[Code, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def name_in(self, language: str = "en") -> str:
        """The dimension's name in ``language`` ("en" or "fr").

        Parameters
        ----------
        language : str, default "en"
            "en" or "fr" (any other value gives English).

        Returns
        -------
        str
            The name.
        """
        return self.name_fr if language == "fr" else self.name

    def question_in(self, language: str = "en") -> str:
        """The question wording in ``language`` ("en" or "fr").

        Parameters
        ----------
        language : str, default "en"
            "en" or "fr" (any other value gives English).

        Returns
        -------
        str
            The question wording.
        """
        return self.question_fr if language == "fr" else self.question


def _codes(raw: Mapping[str, Any]) -> Mapping[Code, str]:
    return MappingProxyType({normalize_code(k): str(v) for k, v in raw.items()})


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Dimension], dict[str, str]]:
    text = resources.files("citizensfirst").joinpath("data/cmt.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    defaults = doc.get("defaults", {})
    dims: dict[str, Dimension] = {}
    aliases: dict[str, str] = {}
    for dim_id, raw in doc["dimensions"].items():
        kind = raw.get("kind", "rating")
        dim = Dimension(
            id=dim_id,
            name=raw["name"],
            name_fr=raw["name_fr"],
            question=raw["question"],
            question_fr=raw["question_fr"],
            kind=kind,
            scale=(int(raw["scale"][0]), int(raw["scale"][1])),
            measure=raw.get("measure", "ordinal" if kind == "rating" else "scale"),
            values=_codes(raw.get("values", defaults.get("values", {}) if kind == "rating" else {})),
            values_fr=_codes(raw.get("values_fr", defaults.get("values_fr", {}) if kind == "rating" else {})),
            missing=_codes(raw.get("missing", defaults.get("missing", {}))),
            missing_fr=_codes(raw.get("missing_fr", defaults.get("missing_fr", {}))),
            aliases=tuple(raw.get("aliases", ())),
        )
        dims[dim_id] = dim
        for alias in dim.aliases:
            aliases[alias] = dim_id
    return dims, aliases


def dimensions() -> list[Dimension]:
    """All dimensions, in registry order.

    Returns
    -------
    list of Dimension
        The dimensions.
    """
    return list(_registry()[0].values())


def dimension_ids() -> list[str]:
    """The ids of all dimensions, in registry order.

    Returns
    -------
    list of str
        The dimension ids.
    """
    return list(_registry()[0])


def dimension(dim_id: str) -> Dimension:
    """The dimension ``dim_id`` (an id or an alias); unknown ids raise :class:`CodebookError`.

    Parameters
    ----------
    dim_id : str
        Dimension id or alias (case and surrounding spaces are ignored).

    Returns
    -------
    Dimension
        The dimension.

    Raises
    ------
    CodebookError
        If the id is not known.

    Examples
    --------
    >>> dimension("speed")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.CodebookError: unknown CMT dimension 'speed'; known: timeliness, access, knowledge, courtesy, fairness, outcome, contacts, extra_mile, information, privacy, overall
    """
    dims, aliases = _registry()
    key = str(dim_id).strip().lower()
    key = aliases.get(key, key)
    if key not in dims:
        raise CodebookError(f"unknown CMT dimension {dim_id!r}; known: {', '.join(dims)}")
    return dims[key]


def apply(codebook: Codebook, mapping: Mapping[str, str]) -> Codebook:
    """A new codebook where each ``column -> dimension id`` of ``mapping`` is tagged with that CMT
    dimension.

    For each column: ``dimension`` is set; ``scale``, ``measure``, the wording (``label``,
    ``label_fr``), value labels (English and French) and missing codes are filled in from the
    dimension only where the codebook has none; French labels of missing codes the codebook
    already has are added when the dimension gives the same English label. Columns the codebook does not list are
    added. Unknown dimension ids raise :class:`CodebookError` listing the known ones.

    Parameters
    ----------
    codebook : Codebook
        The codebook; it is not changed.
    mapping : mapping of str to str
        Column name to dimension id (or alias).

    Returns
    -------
    Codebook
        The tagged codebook.

    Raises
    ------
    CodebookError
        If a dimension id is not known.

    Examples
    --------
    >>> from citizensfirst.io.codebook import Variable
    >>> cb = Codebook([Variable("q7", label="Staff were polite")])
    >>> v = apply(cb, {"q7": "courtesy"})["q7"]
    >>> v.dimension, v.scale, v.label, v.label_fr[:25], dict(v.missing_fr)
    ('courtesy', (1, 5), 'Staff were polite', 'Dans quelle mesure étiez-', {8: 'Ne sait pas', 9: 'Sans objet'})
    """
    unknown = []
    for column, dim_id in mapping.items():
        try:
            dimension(dim_id)
        except CodebookError:
            unknown.append(f"{column!r} -> {dim_id!r}")
    if unknown:
        raise CodebookError(
            f"unknown CMT dimension(s): {', '.join(unknown)}; known: {', '.join(dimension_ids())}"
        )
    out = codebook
    for column, dim_id in mapping.items():
        dim = dimension(dim_id)
        var = codebook.get_variable(column)
        changes: dict[str, Any] = {"dimension": dim.id}
        if var.scale is None:
            changes["scale"] = dim.scale
        if var.measure is None:
            changes["measure"] = dim.measure
        if var.label is None:
            changes["label"] = dim.question
        if var.label_fr is None:
            changes["label_fr"] = dim.question_fr
        if not var.value_labels and dim.values:
            changes["value_labels"] = dim.values
            if not var.value_labels_fr:
                changes["value_labels_fr"] = dim.values_fr
        elif not var.value_labels_fr and set(var.value_labels) <= set(dim.values_fr):
            changes["value_labels_fr"] = {c: dim.values_fr[c] for c in var.value_labels}
        if not var.missing and not var.missing_ranges:
            changes["missing"] = dim.missing
            changes["missing_fr"] = {**dim.missing_fr, **var.missing_fr}
        else:
            # only where the English label agrees (8 may mean "Refused" in this codebook)
            extra_fr = {c: dim.missing_fr[c] for c in var.missing
                        if c in dim.missing_fr and c not in var.missing_fr
                        and var.missing[c] in ("", dim.missing.get(c))}
            if extra_fr:
                changes["missing_fr"] = {**var.missing_fr, **extra_fr}
        out = out.with_variable(replace(var, **changes))
    return out
