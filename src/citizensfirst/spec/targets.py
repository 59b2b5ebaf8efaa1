"""The schema of a targets TOML (:func:`citizensfirst.targets.from_toml`): raking margins.

>>> from citizensfirst.spec.base import validate
>>> doc = validate(TargetsDoc, {"total": 200, "margins": {"gender": {"1": 0.4, "2": 0.6}}}, "t.toml")
>>> doc.margins["gender"].levels
{'1': 0.4, '2': 0.6}
>>> validate(TargetsDoc, {"margins": {"gender": {"1": "lots"}}}, "t.toml")
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: t.toml: [margins.gender].1 = "lots": must be a number
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field

from .base import NON_EMPTY, StrictModel

NonNegative = Annotated[float, Field(ge=0)]


class MarginTable(StrictModel):
    """``[margins.<column>]``: ``level = share or count`` lines and an optional ``total``."""

    EXTRA_VALUES: ClassVar[tuple[type, ...]] = (object,)
    model_config = ConfigDict(extra="allow", json_schema_extra={"description": "level = share (0-1) or count"})
    __pydantic_extra__: dict[str, NonNegative] = Field(init=False)

    total: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="This margin's population total (overrides the top-level total).")

    @property
    def levels(self) -> dict[str, float]:
        """The ``level = value`` lines, levels as written.

        Returns
        -------
        dict
            ``{level: share or count}``.
        """
        return dict(self.__pydantic_extra__ or {})


class TargetsDoc(StrictModel):
    """A targets file."""

    total: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="Population size: turns shares into counts.")
    margins: Annotated[dict[str, MarginTable], NON_EMPTY] = Field(
        description="One `[margins.<column>]` table per target variable: `level = share or count`.")
