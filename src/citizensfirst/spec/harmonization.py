"""The schema of the harmonisation TOML (``docs/waves.md``): common variables and per-wave rules.

The schema checks the types and keys; :mod:`citizensfirst.waves.rules` then checks what only makes
sense across keys (overlapping missing ranges, a recode outside the valid range, ...).

>>> from citizensfirst.spec.base import validate
>>> doc = {"waves": [2018, 2020], "variables": {"q": {"scale": [1, 5], "2020": {"missing": [9]}}}}
>>> validate(HarmonizationDoc, doc, "h.toml").variables["q"].rules["2020"].missing
[9.0]
>>> validate(HarmonizationDoc, {"variables": {"q": {"2020": {"absent": "yes"}}}}, "h.toml")
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: h.toml: [variables.q.2020].absent = "yes": must be true or false (a TOML boolean, not a string)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .base import NON_EMPTY, StrictModel, Text

_NAN_WORDS = ("nan", "na", "missing", "")


def _numeric_text(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if math.isnan(number):
        raise PydanticCustomError("code", "code {code} is not a number", {"code": repr(value)})
    return value


def _as_number(value: Any) -> Any:
    """Text that reads as a number (TOML keys, quoted codes) becomes that number; other values pass."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _recode_target(value: Any) -> Any:
    if isinstance(value, str):
        if value.strip().lower() not in _NAN_WORDS:
            raise PydanticCustomError("recode_target", "must be a number or nan (a code made missing)")
        return math.nan
    return value


_NUMERIC_TEXT = {"type": "string", "pattern": r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"}

Code = Annotated[float, BeforeValidator(_as_number),
                 WithJsonSchema({"anyOf": [{"type": "number"}, _NUMERIC_TEXT]})]
"""A code: a number, or text that reads as one (TOML keys are text)."""
Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
"""``[low, high]``."""
RecodeTarget = Annotated[float, Field(allow_inf_nan=True), BeforeValidator(_recode_target),
                         WithJsonSchema({"anyOf": [{"type": "number"},
                                                   {"type": "string", "enum": ["nan", "NA", "missing", ""]}]})]
"""A new value: a number, or nan (TOML's ``nan`` or the text "nan", "NA", "missing")."""


class RescaleTable(StrictModel):
    """``rescale = {from = [a, b], to = [c, d]}``: a linear map onto the common scale."""

    from_: Pair = Field(alias="from", description="The wave's scale [low, high].")
    to: Pair = Field(description="The common scale [low, high].")


class RuleTable(StrictModel):
    """``[variables.<name>.<wave>]``: how one wave measures one common variable."""

    source: Annotated[str, Field(pattern=r"\S")] | None = Field(
        default=None, description="The wave's column (default: the common name).")
    recode: dict[Annotated[str, AfterValidator(_numeric_text)], RecodeTarget] = Field(
        default_factory=dict, description="{code = new value}; nan makes a code missing.")
    missing: list[Code] = Field(default_factory=list, description="Codes set to missing.")
    missing_ranges: list[Pair] = Field(default_factory=list, description="Inclusive [low, high] ranges of "
                                                                         "missing codes.")
    rescale: RescaleTable | None = Field(default=None, description="A linear map of the wave's scale onto the "
                                                                   "common one, after the recodes.")
    values: Annotated[list[Code], NON_EMPTY] | None = Field(default=None, description="The valid codes after "
                                                                                     "the recodes.")
    absent: bool = Field(default=False, description="true: the wave did not ask the item (no other key).")


class VariableTable(StrictModel):
    """``[variables.<name>]``: one common variable; its other keys are wave tables (``[variables.q.2018]``)."""

    EXTRA_VALUES: ClassVar[tuple[type, ...]] = (Mapping,)
    EXTRA_NOTE: ClassVar[str] = "a wave table"
    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, RuleTable] = Field(init=False)

    label: Text | None = Field(default=None, description="Label (English).")
    label_fr: Text | None = Field(default=None, description="Label (French).")
    scale: Pair | None = Field(default=None, description="The common scale [low, high].")
    strict: bool | None = Field(default=None, description="Refuse codes the rules do not map (default: the "
                                                          "file's strict).")

    @property
    def rules(self) -> dict[str, RuleTable]:
        """The wave tables, by wave key as written.

        Returns
        -------
        dict
            ``{wave key: RuleTable}``.
        """
        return dict(self.__pydantic_extra__ or {})


class HarmonizationDoc(StrictModel):
    """A harmonisation file."""

    title: Text | None = Field(default=None, description="Title of the harmonisation.")
    strict: bool = Field(default=True, description="Refuse codes the rules do not map.")
    waves: Annotated[list[Annotated[int | Text, Field(union_mode="left_to_right")]], NON_EMPTY] | None = Field(
        default=None, description="The waves (years or labels); wave tables must name one of them.")
    variables: Annotated[dict[str, VariableTable], NON_EMPTY] = Field(
        description="One `[variables.<name>]` table per common variable.")
