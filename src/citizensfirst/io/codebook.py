"""Codebooks: what each variable means, in English and French.

A :class:`Codebook` maps variable names to :class:`Variable` records: question wording (``label``,
``label_fr``), value labels, the codes that mean "missing" (don't know, refused, not applicable),
the measurement level and, for rating items, the scale and the Common Measurements Tool dimension
the item measures.

Codebook TOML format (``Codebook.to_toml`` writes it, ``Codebook.from_toml`` reads it)::

    [survey]                      # optional file-level metadata
    title = "Citizens First 2023"
    title_fr = "Les citoyens d'abord 2023"

    [variables.q_time]
    label = "Satisfaction with the time it took"
    label_fr = "Satisfaction à l'égard du temps requis"
    measure = "ordinal"           # nominal | ordinal | scale
    scale = [1, 5]                # rating range (low, high)
    dimension = "timeliness"      # a CMT dimension id (see citizensfirst.cmt)
    missing = { 8 = "Don't know", 9 = "Refused" }
    missing_fr = { 8 = "Ne sait pas", 9 = "Refus" }
    missing_ranges = [[90, 99]]   # inclusive ranges of missing codes (SPSS style)
    values = { 1 = "Very dissatisfied", 5 = "Very satisfied" }
    values_fr = { 1 = "Très insatisfait", 5 = "Très satisfait" }

    [mr_sets.channels]            # a multiple-response set (see citizensfirst.io.mrsets)
    label = "Channels used"
    variables = ["used_web", "used_phone"]
    counted_value = 1

Codes are written as TOML keys (strings) and read back as numbers when they look like numbers.

>>> cb = Codebook([Variable("q1", label="Overall", missing={8: "Don't know"}, scale=(1, 5))])
>>> cb["q1"].is_missing_code(8), cb["q1"].is_missing_code(3)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd
import tomli_w

from ..errors import CodebookError
from ..fileutil import atomic_write_text, read_toml
from ..spec.base import validate
from ..spec.codebook import MEASURES, CodebookDoc, CodebookVariable
from .codebook_display import codebook_html, codebook_repr
from .codes import Code, normalize_code
from .mrsets import MultipleResponseSet, as_mr_sets

Measure = Literal["nominal", "ordinal", "scale"]


def _frozen(mapping: Mapping[Any, str] | None) -> Mapping[Code, str]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Variable:
    """One variable of a survey: wording, value labels, missing codes, measure and scale.

    >>> v = Variable("q_time", label="Time it took", scale=(1, 5), missing={8: "Don't know"})
    >>> v.valid_range
    (1, 5)
    """

    name: str
    label: str | None = None
    label_fr: str | None = None
    value_labels: Mapping[Code, str] = field(default_factory=dict)
    value_labels_fr: Mapping[Code, str] = field(default_factory=dict)
    missing: Mapping[Code, str] = field(default_factory=dict)
    missing_fr: Mapping[Code, str] = field(default_factory=dict)
    missing_ranges: tuple[tuple[float, float], ...] = ()
    measure: Measure | None = None
    scale: tuple[float, float] | None = None
    dimension: str | None = None

    def __post_init__(self) -> None:
        for name in ("value_labels", "value_labels_fr", "missing", "missing_fr"):
            raw = getattr(self, name)
            object.__setattr__(self, name, _frozen({normalize_code(k): str(v) for k, v in raw.items()}))
        ranges = tuple((float(lo), float(hi)) for lo, hi in self.missing_ranges)
        for lo, hi in ranges:
            if lo > hi:
                raise CodebookError(
                    f"variable {self.name!r}: missing range [{lo}, {hi}] has low > high"
                )
        object.__setattr__(self, "missing_ranges", ranges)
        if self.measure is not None and self.measure not in MEASURES:
            raise CodebookError(
                f"variable {self.name!r}: measure {self.measure!r} is not one of {MEASURES}"
            )
        if self.scale is not None:
            low, high = (float(x) for x in self.scale)
            if not low < high:
                raise CodebookError(f"variable {self.name!r}: scale {self.scale} needs low < high")
            object.__setattr__(self, "scale", (normalize_code(low), normalize_code(high)))

    @property
    def valid_range(self) -> tuple[float, float] | None:
        """The rating scale (low, high), or None for variables without one.

        Returns
        -------
        tuple of (float, float) or None
            The scale, or None.
        """
        return self.scale

    def label_in(self, language: str = "en") -> str:
        """The question wording in ``language`` ("en" or "fr"), falling back to English, then the name.

        Parameters
        ----------
        language : str, default "en"
            "en" or "fr".

        Returns
        -------
        str
            The wording.
        """
        if language == "fr" and self.label_fr:
            return self.label_fr
        return self.label or self.name

    def value_labels_in(self, language: str = "en") -> Mapping[Code, str]:
        """Value labels in ``language``, English labels filling any French gaps.

        Parameters
        ----------
        language : str, default "en"
            "en" or "fr".

        Returns
        -------
        mapping
            Code to label.
        """
        if language != "fr":
            return self.value_labels
        return {**self.value_labels, **self.value_labels_fr}

    def is_missing_code(self, code: Any) -> bool:
        """True when ``code`` is one of this variable's missing codes or inside a missing range.

        Parameters
        ----------
        code : Any
            The code (normalised with :func:`normalize_code` first).

        Returns
        -------
        bool
            Whether the code is missing.
        """
        code = normalize_code(code)
        if code in self.missing:
            return True
        if isinstance(code, str):
            return False
        return any(lo <= code <= hi for lo, hi in self.missing_ranges)

    def missing_mask(self, values: pd.Series) -> pd.Series:
        """Boolean Series: which entries of ``values`` hold a missing code (vectorised).

        Parameters
        ----------
        values : pandas.Series
            The variable's values.

        Returns
        -------
        pandas.Series
            Boolean, indexed like ``values``.
        """
        numeric_codes = [c for c in self.missing if not isinstance(c, str)]
        text_codes = [c for c in self.missing if isinstance(c, str)]
        mask = values.isin(numeric_codes) if numeric_codes else pd.Series(False, index=values.index)
        if text_codes:
            mask |= values.astype("string").isin(text_codes).fillna(False).astype(bool)
        if self.missing_ranges:
            numbers = pd.to_numeric(values, errors="coerce")
            for lo, hi in self.missing_ranges:
                mask |= numbers.between(lo, hi).fillna(False).astype(bool)
        return mask.astype(bool)

    def to_dict(self) -> dict[str, Any]:
        """A TOML-ready dict (codes as string keys, empty fields left out).

        Returns
        -------
        dict
            The variable's ``[variables.NAME]`` table.
        """
        out: dict[str, Any] = {}
        for key in ("label", "label_fr", "measure", "dimension"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.scale is not None:
            out["scale"] = list(self.scale)
        for key, attr in (
            ("values", "value_labels"),
            ("values_fr", "value_labels_fr"),
            ("missing", "missing"),
            ("missing_fr", "missing_fr"),
        ):
            mapping = getattr(self, attr)
            if mapping:
                out[key] = {str(k): v for k, v in mapping.items()}
        if self.missing_ranges:
            out["missing_ranges"] = [[normalize_code(lo), normalize_code(hi)] for lo, hi in self.missing_ranges]
        return out

    @classmethod
    def from_dict(cls, name: str, raw: Mapping[str, Any], *, source: str = "codebook") -> Variable:
        """Build a Variable from one ``[variables.NAME]`` table of the TOML format.

        Parameters
        ----------
        name : str
            The variable's name.
        raw : mapping
            The table's keys and values.
        source : str, default "codebook"
            Where the table came from, for messages.

        Returns
        -------
        Variable
            The variable.

        Raises
        ------
        CodebookError
            If a key is unknown or a value is invalid.
        """
        validate(CodebookVariable, raw, source, error=CodebookError, at=("variables", name))
        scale = raw.get("scale")
        try:
            return cls(
                name=name,
                label=raw.get("label"),
                label_fr=raw.get("label_fr"),
                measure=raw.get("measure"),
                scale=tuple(scale) if scale is not None else None,
                dimension=raw.get("dimension"),
                value_labels=raw.get("values", {}),
                value_labels_fr=raw.get("values_fr", {}),
                missing=raw.get("missing", {}),
                missing_fr=raw.get("missing_fr", {}),
                missing_ranges=tuple(tuple(r) for r in raw.get("missing_ranges", ())),
            )
        except CodebookError as err:
            raise CodebookError(f"{source}: {err}") from None


class Codebook(Mapping[str, Variable]):
    """An ordered, immutable collection of :class:`Variable` records, keyed by name.

    Parameters
    ----------
    variables : iterable of Variable, optional
        The variables, in order; each name at most once.
    title : str or None, optional
        The survey's title.
    title_fr : str or None, optional
        The survey's title in French.
    mr_sets : mapping or iterable of MultipleResponseSet, optional
        Multiple-response sets (records, or pyreadstat's ``meta.mr_sets`` dicts), by name.

    Raises
    ------
    CodebookError
        If a variable or a multiple-response set is listed twice.

    Examples
    --------
    >>> cb = Codebook([Variable("prov", label="Province")], title="CF 2023")
    >>> list(cb), cb.title
    (['prov'], 'CF 2023')
    """

    def __init__(
        self,
        variables: Iterable[Variable] = (),
        *,
        title: str | None = None,
        title_fr: str | None = None,
        mr_sets: Mapping[str, Any] | Iterable[MultipleResponseSet] | None = None,
    ) -> None:
        self._mr_sets: Mapping[str, MultipleResponseSet] = MappingProxyType(as_mr_sets(mr_sets))
        self._vars: dict[str, Variable] = {}
        for var in variables:
            if var.name in self._vars:
                raise CodebookError(f"codebook lists variable {var.name!r} twice")
            self._vars[var.name] = var
        self.title = title
        self.title_fr = title_fr

    def __getitem__(self, name: str) -> Variable:
        """The variable ``name``.

        Parameters
        ----------
        name : str
            The variable's name.

        Returns
        -------
        Variable
            The variable.

        Raises
        ------
        CodebookError
            If the codebook does not list it.
        """
        try:
            return self._vars[name]
        except KeyError:
            raise CodebookError(
                f"variable {name!r} is not in the codebook; known: {', '.join(list(self._vars)[:20])}"
            ) from None

    def __contains__(self, name: object) -> bool:
        """Whether the codebook lists the variable ``name``.

        Parameters
        ----------
        name : object
            The variable's name.

        Returns
        -------
        bool
            True when listed.
        """
        return name in self._vars

    def __iter__(self) -> Iterator[str]:
        """The variable names, in order.

        Returns
        -------
        iterator of str
            The names.
        """
        return iter(self._vars)

    def __len__(self) -> int:
        """The number of variables.

        Returns
        -------
        int
            The number of variables.
        """
        return len(self._vars)

    def __repr__(self) -> str:
        return codebook_repr(self)

    def _repr_html_(self) -> str:
        return codebook_html(self)

    @property
    def mr_sets(self) -> Mapping[str, MultipleResponseSet]:
        """The multiple-response sets (check-all-that-apply questions), by name.

        Returns
        -------
        mapping
            Name to :class:`~citizensfirst.io.mrsets.MultipleResponseSet` (read-only).
        """
        return self._mr_sets

    def get_variable(self, name: str) -> Variable:
        """The variable ``name``, or a bare ``Variable(name)`` when the codebook does not list it.

        Parameters
        ----------
        name : str
            The variable's name.

        Returns
        -------
        Variable
            The variable.
        """
        return self._vars.get(name, Variable(name))

    def with_variable(self, var: Variable) -> Codebook:
        """A new codebook where ``var`` replaces (or is appended as) the variable of its name.

        Parameters
        ----------
        var : Variable
            The variable to put in.

        Returns
        -------
        Codebook
            The new codebook; this one is unchanged.
        """
        vars_ = dict(self._vars)
        vars_[var.name] = var
        return Codebook(vars_.values(), title=self.title, title_fr=self.title_fr, mr_sets=self._mr_sets)

    def select(self, names: Iterable[str]) -> Codebook:
        """A new codebook restricted to ``names`` (in order; others skipped, and the MR sets they break).

        Parameters
        ----------
        names : iterable of str
            The variables to keep.

        Returns
        -------
        Codebook
            The new codebook.
        """
        names = list(names)
        kept = {k: s for k, s in self._mr_sets.items() if set(s.variables) <= set(names)}
        return Codebook((self._vars[n] for n in names if n in self._vars), title=self.title,
                        title_fr=self.title_fr, mr_sets=kept)

    def updated(self, name: str, **changes: Any) -> Codebook:
        """A new codebook with fields of variable ``name`` changed, e.g. ``updated("q1", label="x")``.

        Parameters
        ----------
        name : str
            The variable to change.
        **changes
            New values of its fields.

        Returns
        -------
        Codebook
            The new codebook; this one is unchanged.

        Raises
        ------
        CodebookError
            If ``name`` is not in the codebook or a new value is invalid.
        """
        return self.with_variable(replace(self[name], **changes))

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: name, labels, measure, scale, dimension, value labels and missing codes.

        Returns
        -------
        pandas.DataFrame
            The codebook as a table.
        """
        rows = [
            {
                "name": v.name,
                "label": v.label,
                "label_fr": v.label_fr,
                "measure": v.measure,
                "scale": None if v.scale is None else f"{v.scale[0]}-{v.scale[1]}",
                "dimension": v.dimension,
                "value_labels": dict(v.value_labels),
                "missing": dict(v.missing),
                "missing_ranges": list(v.missing_ranges),
            }
            for v in self._vars.values()
        ]
        columns = ["name", "label", "label_fr", "measure", "scale", "dimension", "value_labels",
                   "missing", "missing_ranges"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """The TOML document as a dict.

        Returns
        -------
        dict
            The ``[survey]``, ``[variables.*]`` and ``[mr_sets.*]`` tables.
        """
        doc: dict[str, Any] = {}
        survey = {k: v for k, v in (("title", self.title), ("title_fr", self.title_fr)) if v}
        if survey:
            doc["survey"] = survey
        doc["variables"] = {name: var.to_dict() for name, var in self._vars.items()}
        if self._mr_sets:
            doc["mr_sets"] = {name: mr.to_dict() for name, mr in self._mr_sets.items()}
        return doc

    def to_toml(self, path: str | Path | None = None) -> str:
        """Serialise to the codebook TOML format; also write it to ``path`` when given.

        Parameters
        ----------
        path : str or pathlib.Path or None, optional
            File to write (atomically); None only returns the text.

        Returns
        -------
        str
            The TOML text.
        """
        text = tomli_w.dumps(self.to_dict())
        if path is not None:
            atomic_write_text(Path(path), text)
        return text

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, source: str = "codebook") -> Codebook:
        """Build a codebook from the parsed TOML document.

        Parameters
        ----------
        doc : mapping
            The parsed TOML document.
        source : str, default "codebook"
            Where the document came from, for messages.

        Returns
        -------
        Codebook
            The codebook.

        Raises
        ------
        CodebookError
            If a table or key is unknown or a value is invalid.
        """
        valid = validate(CodebookDoc, doc, source, error=CodebookError)
        variables, sets = doc.get("variables", {}), doc.get("mr_sets", {})
        return cls(
            (Variable.from_dict(name, raw, source=source) for name, raw in variables.items()),
            title=valid.survey.title,
            title_fr=valid.survey.title_fr,
            mr_sets=[MultipleResponseSet.from_dict(name, raw, source=source) for name, raw in sets.items()],
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> Codebook:
        """Read a codebook TOML file; errors name the file and the offending key.

        Parameters
        ----------
        path : str or pathlib.Path
            The TOML file.

        Returns
        -------
        Codebook
            The codebook.

        Raises
        ------
        CodebookError
            If the file cannot be read or parsed, or its content is invalid.
        """
        doc = read_toml(path, "codebook file", CodebookError)
        return cls.from_dict(doc, source=str(path))
