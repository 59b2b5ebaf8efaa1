"""Per-wave recode rules of a harmonisation spec: parsing and checking one wave's rule.

A :class:`WaveRule` says how one wave's source column becomes a common variable; a
:class:`CommonVariable` gathers the rules of every wave. :func:`parse_rule` reads one rule from
the TOML of ``docs/waves.md`` and :func:`wave_key` normalises wave keys. Used by
:mod:`citizensfirst.waves.spec`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import HarmonizationError
from ..spec.base import validate
from ..spec.harmonization import RuleTable

Wave = int | str
"""A wave key: a year (int) or a label."""


def wave_key(key: Any) -> Wave:
    """Wave keys as written in TOML ("2018") become ints when integral.

    Parameters
    ----------
    key : Any
        A wave key (year or label).

    Returns
    -------
    int or str
        The year as an int when integral, else the stripped label.

    Raises
    ------
    HarmonizationError
        When the key is a boolean.
    """
    if isinstance(key, bool):
        raise HarmonizationError(f"wave {key!r} must be a year or a label")
    if isinstance(key, int):
        return key
    text = str(key).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


def parse_range(value: Any, where: str, what: str) -> tuple[float, float]:
    """A ``[low, high]`` pair of numbers from a harmonisation spec.

    Parameters
    ----------
    value : Any
        The value read from the TOML file.
    where : str
        Where the value was read (file, wave and variable), for the error message.
    what : str
        The key's name, for the error message.

    Returns
    -------
    tuple of (float, float)
        The two numbers.

    Raises
    ------
    HarmonizationError
        When ``value`` is not a list of two numbers.
    """
    if (not isinstance(value, list | tuple) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise HarmonizationError(f"{where}: {what} must be [low, high] (two numbers), got {value!r}")
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise HarmonizationError(f"{where}: {what} {fmt_list([low, high])} is invalid: needs low < high")
    return low, high


def _fmt(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:g}"


def fmt_list(values: Iterable[float]) -> str:
    """Numbers written as a TOML-style list, e.g. ``[1, 2.5]``.

    Parameters
    ----------
    values : iterable of float
        The numbers.

    Returns
    -------
    str
        The list as text.
    """
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


@dataclass(frozen=True)
class WaveRule:
    """How one wave measures one common variable.

    ``source``: the wave's column (default: the common name); ``recode``: code -> new value
    (NaN = missing), applied first; ``missing_ranges``: inclusive ranges of codes set to NaN;
    ``rescale``: ``((from_low, from_high), (to_low, to_high))`` applied after the recodes;
    ``values``: the valid codes (for the strict check) when they are not a range; ``absent``: the
    wave did not ask the item.
    """

    source: str | None = None
    recode: Mapping[float, float] = field(default_factory=dict)
    missing_ranges: tuple[tuple[float, float], ...] = ()
    rescale: tuple[tuple[float, float], tuple[float, float]] | None = None
    values: tuple[float, ...] | None = None
    absent: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "recode", MappingProxyType(dict(self.recode)))

    @property
    def is_identity(self) -> bool:
        """True when the rule changes nothing (no recode, missing range, rescale, nor absence).

        Returns
        -------
        bool
            Whether the rule is the identity.
        """
        return not (self.recode or self.missing_ranges or self.rescale or self.absent)


@dataclass(frozen=True)
class CommonVariable:
    """A common (harmonised) variable: its label, common scale and per-wave rules."""

    name: str
    label: str | None = None
    scale: tuple[float, float] | None = None
    rules: Mapping[Wave, WaveRule] = field(default_factory=dict)
    strict: bool | None = None
    label_fr: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))

    def rule(self, wave: Wave) -> WaveRule:
        """The rule for ``wave`` (a wave the spec does not mention: same name, no recodes).

        Parameters
        ----------
        wave : int or str
            The wave.

        Returns
        -------
        WaveRule
            The wave's rule.
        """
        return self.rules.get(wave, WaveRule())

    def source(self, wave: Wave) -> str:
        """The wave's column for this variable (the rule's ``source``, else the common name).

        Parameters
        ----------
        wave : int or str
            The wave.

        Returns
        -------
        str
            The column name.
        """
        return self.rule(wave).source or self.name

    def valid_range(self, wave: Wave) -> tuple[float, float] | None:
        """The range the wave's codes must lie in after recoding (rescale ``from``, else the scale).

        Parameters
        ----------
        wave : int or str
            The wave.

        Returns
        -------
        tuple of (float, float) or None
            The ``(low, high)`` range, or None when neither is set.
        """
        rule = self.rule(wave)
        if rule.rescale is not None:
            return rule.rescale[0]
        return self.scale


def parse_rule(name: str, wave: Wave, raw: Any, scale: tuple[float, float] | None, source: str) -> WaveRule:
    """One wave's rule for a common variable, checked.

    Parameters
    ----------
    name : str
        The common variable.
    wave : Wave
        The wave the rule is for.
    raw : Any
        The rule as read from the TOML file (a table; checked against
        :class:`~citizensfirst.spec.harmonization.RuleTable`), or that model already validated.
    scale : tuple of (float, float) or None
        The common variable's scale, if declared.
    source : str
        The spec file, for error messages.

    Returns
    -------
    WaveRule
        The checked rule.

    Raises
    ------
    HarmonizationError
        When the rule has unknown keys or values of the wrong kind.
    """
    where = f"{source}: wave {wave}, variable {name!r}"
    rule = raw if isinstance(raw, RuleTable) else validate(
        RuleTable, raw, source, error=HarmonizationError, at=("variables", name, str(wave)))
    if rule.absent:
        others = sorted(rule.model_fields_set - {"absent"})
        if others:
            raise HarmonizationError(f"{where}: absent = true cannot be combined with {others}")
        return WaveRule(absent=True)
    recode: dict[float, float] = {}
    for key, value in rule.recode.items():
        recode[float(key)] = value
    for code in rule.missing:
        if code in recode and not math.isnan(recode[code]):
            raise HarmonizationError(
                f"{where}: code {code:g} is both missing and recoded to {_fmt(recode[code])}"
            )
        recode[code] = math.nan
    ranges = []
    for low, high in rule.missing_ranges:
        if not low <= high:
            raise HarmonizationError(f"{where}: missing range {fmt_list([low, high])} is invalid: low > high")
        ranges.append((low, high))
    ordered = sorted(ranges)
    for (lo1, hi1), (lo2, hi2) in zip(ordered, ordered[1:], strict=False):
        if lo2 <= hi1:
            raise HarmonizationError(
                f"{where}: missing ranges [{lo1:g}, {hi1:g}] and [{lo2:g}, {hi2:g}] overlap"
            )
    for code, value in recode.items():
        if not math.isnan(value) and any(lo <= code <= hi for lo, hi in ranges):
            raise HarmonizationError(
                f"{where}: code {code:g} is recoded to {value:g} but lies in a missing range"
            )
    rescale = None
    if rule.rescale is not None:
        rescale = (parse_range(rule.rescale.from_, where, "rescale from"),
                   parse_range(rule.rescale.to, where, "rescale to"))
        if scale is not None and rescale[1] != scale:
            raise HarmonizationError(
                f"{where}: rescale to [{rescale[1][0]:g}, {rescale[1][1]:g}] differs from the "
                f"common scale [{scale[0]:g}, {scale[1]:g}]"
            )
    values = None if rule.values is None else tuple(sorted({float(v) for v in rule.values}))
    valid = rescale[0] if rescale is not None else scale
    # a code made missing must not be a valid answer; a recoded value must be one
    for code, value in recode.items():
        if math.isnan(value):
            if values is not None and code in values:
                raise HarmonizationError(
                    f"{where}: missing code {code:g} overlaps the valid values {fmt_list(values)}"
                )
            if valid is not None and valid[0] <= code <= valid[1]:
                raise HarmonizationError(
                    f"{where}: missing code {code:g} overlaps the valid range "
                    f"[{valid[0]:g}, {valid[1]:g}]"
                )
        else:
            if valid is not None and not valid[0] <= value <= valid[1]:
                raise HarmonizationError(
                    f"{where}: recode {code:g} -> {value:g} is outside the valid range "
                    f"[{valid[0]:g}, {valid[1]:g}]"
                )
            if values is not None and value not in values:
                raise HarmonizationError(
                    f"{where}: recode {code:g} -> {value:g} is not one of the valid values {fmt_list(values)}"
                )
    for lo, hi in ranges:
        if valid is not None and lo <= valid[1] and hi >= valid[0]:
            raise HarmonizationError(
                f"{where}: missing range [{lo:g}, {hi:g}] overlaps the valid range "
                f"[{valid[0]:g}, {valid[1]:g}]"
            )
        if values is not None and any(lo <= v <= hi for v in values):
            raise HarmonizationError(
                f"{where}: missing range [{lo:g}, {hi:g}] overlaps the valid values {fmt_list(values)}"
            )
    if values is not None and valid is not None and (values[0] < valid[0] or values[-1] > valid[1]):
        raise HarmonizationError(
            f"{where}: valid values {fmt_list(values)} fall outside [{valid[0]:g}, {valid[1]:g}]"
        )
    return WaveRule(source=rule.source, recode=recode, missing_ranges=tuple(ranges), rescale=rescale,
                    values=values)


