"""The schema of a codebook TOML (the sidecar ``<data>.codebook.toml``, :meth:`Codebook.from_toml`).

The schema checks keys and types; :class:`~citizensfirst.io.codebook.Variable` then checks what
needs several keys (``scale`` low < high, missing ranges in order), and
:class:`~citizensfirst.io.mrsets.MultipleResponseSet` checks the ``[mr_sets.*]`` tables.

>>> from citizensfirst.spec.base import validate
>>> validate(CodebookDoc, {"variables": {"q": {"measure": 5}}}, "cb.toml")
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: cb.toml: [variables.q].measure = 5: must be 'nominal', 'ordinal' or 'scale'
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from .base import OneOf, StrictModel, Text

MEASURES: tuple[str, ...] = ("nominal", "ordinal", "scale")
"""Measurement levels of a variable (the one list: ``io.codebook`` checks ``Variable.measure`` with it)."""

Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
"""``[low, high]``."""


class SurveyTable(StrictModel):
    """``[survey]``: file-level metadata."""

    title: Text | None = Field(default=None, description="Title of the survey (English).")
    title_fr: Text | None = Field(default=None, description="Title of the survey (French).")
    mr_sets: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Multiple-response sets in pyreadstat's form (variable_list, type, "
                                          "counted_value, label), as older sidecars hold them; read by "
                                          "citizensfirst.io.readers.")


class CodebookVariable(StrictModel):
    """``[variables.<name>]``: one variable's wording, value labels, missing codes, measure and scale."""

    label: str | None = Field(default=None, description="Question wording or label (English).")
    label_fr: str | None = Field(default=None, description="Question wording or label (French).")
    measure: Annotated[str, OneOf(MEASURES)] | None = Field(default=None, description="Measurement level.")
    scale: Pair | None = Field(default=None, description="Rating range [low, high], low < high.")
    dimension: Text | None = Field(default=None, description="A CMT dimension id (see citizensfirst.cmt).")
    values: dict[str, str] = Field(default_factory=dict, description="Value labels {code = label} (English).")
    values_fr: dict[str, str] = Field(default_factory=dict, description="Value labels (French).")
    missing: dict[str, str] = Field(default_factory=dict, description="Missing codes {code = label} (English).")
    missing_fr: dict[str, str] = Field(default_factory=dict, description="Labels of the missing codes (French).")
    missing_ranges: list[Pair] = Field(default_factory=list, description="Inclusive [low, high] ranges of "
                                                                         "missing codes (SPSS style).")


class CodebookDoc(StrictModel):
    """A codebook file."""

    survey: SurveyTable = Field(default_factory=lambda: SurveyTable(), description="File-level metadata.")
    variables: dict[str, CodebookVariable] = Field(default_factory=dict, description="One table per variable.")
    mr_sets: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Multiple-response sets, one table each (checked by "
                                          "citizensfirst.io.mrsets: variables, type, counted_value, label, label_fr).")
