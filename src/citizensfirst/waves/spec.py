"""Several waves of a survey: harmonisation to common variables, per-wave estimates and trends.

A :class:`HarmonizationSpec` (TOML, see ``docs/waves.md``) says, for every *common* variable and
every wave, which source column holds it, which codes are recoded (changed don't-know codes to
NaN, say), how the wave's scale is rescaled onto the common one, or that the wave did not ask the
item (``absent = true``). :func:`harmonize` applies the spec to one wave's design and returns a
new design whose data carries the common names (the input design is never changed).

A :class:`Study` holds the harmonised designs of independent waves, each with its own strata,
PSUs and weights. :meth:`Study.estimate` gives per-wave estimates (exactly what each wave's own
design gives); :meth:`Study.trend` adds the changes between waves with their tests. Because the
waves are independent samples, the SE of a change is ``sqrt(se_1^2 + se_2^2)``; the test is a t
test on the smaller of the two waves' design degrees of freedom (a conservative choice; pass
``df=np.inf`` for a normal test).

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst.waves import Study
>>> spec = HarmonizationSpec.from_dict({
...     "waves": [1, 2],
...     "variables": {"q": {"scale": [1, 5],
...                         "1": {"source": "q_old", "rescale": {"from": [0, 10], "to": [1, 5]},
...                               "missing": [98]},
...                         "2": {"missing": [8]}}}})
>>> d1 = Design(pd.DataFrame({"q_old": [0.0, 5.0, 10.0, 98.0]}))
>>> harmonize(d1, spec, 1).data["q"].tolist()
[1.0, 3.0, 5.0, nan]
>>> d2 = Design(pd.DataFrame({"q": [4.0, 5.0, 8.0, 2.0]}))
>>> study = Study({1: d1, 2: d2}, harmonization=spec)
>>> trend = study.trend("q")
>>> trend.changes[["from_wave", "to_wave", "change"]].round(4)
   from_wave  to_wave  change
0          1        2  0.6667
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import Step
from ..errors import HarmonizationError
from ..fileutil import read_toml
from ..io.codebook import Codebook, Variable
from ..spec.base import validate
from ..spec.harmonization import HarmonizationDoc, VariableTable
from .rules import CommonVariable, Wave, WaveRule, fmt_list, parse_range, parse_rule, wave_key

if TYPE_CHECKING:
    from ..design.facade import Design


STATS = re.compile(r"^(mean|sqs|(top|bottom)(\d+))$")


def sample_harmonization_path() -> Path:
    """The harmonisation spec of the bundled sample study (cf2018, cf2020, cf2023).

    Returns
    -------
    Path
        Path of the bundled ``harmonization.toml``.

    Examples
    --------
    >>> sample_harmonization_path().name
    'harmonization.toml'
    """
    return Path(str(resources.files("citizensfirst").joinpath("data", "sample", "harmonization.toml")))


@dataclass(frozen=True)
class HarmonizationSpec:
    """Common variables and how each wave measures them (see ``docs/waves.md``).

    ``waves``: the waves the spec covers (None: any); ``strict``: whether a code present in a
    wave's data that is neither valid nor mapped is an error (default True).

    >>> spec = HarmonizationSpec.from_toml(sample_harmonization_path())
    >>> spec.waves
    (2018, 2020, 2023)
    >>> spec["q_staff_knowledge"].source(2018), spec["q_online_acct"].rule(2020).absent
    ('q_knowledge', True)
    """

    variables: Mapping[str, CommonVariable]
    waves: tuple[Wave, ...] | None = None
    strict: bool = True
    title: str | None = None
    source: str = "harmonization spec"

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", MappingProxyType(dict(self.variables)))

    def __getitem__(self, name: str) -> CommonVariable:
        """The common variable ``name``.

        Parameters
        ----------
        name : str
            The common variable.

        Returns
        -------
        CommonVariable
            Its definition.

        Raises
        ------
        HarmonizationError
            When the spec has no such variable (close names are suggested).
        """
        try:
            return self.variables[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(self.variables), n=3)
            hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
            raise HarmonizationError(f"{self.source}: no common variable {name!r}{hint}") from None

    def __contains__(self, name: object) -> bool:
        """Whether the spec defines the common variable ``name``.

        Parameters
        ----------
        name : object
            The variable name.

        Returns
        -------
        bool
            True when it is defined.
        """
        return name in self.variables

    def __iter__(self) -> Iterable[str]:
        """Iterate over the common variable names.

        Returns
        -------
        Iterable of str
            The names, in spec order.
        """
        return iter(self.variables)

    def is_absent(self, name: str, wave: Wave) -> bool:
        """True when the spec declares that ``wave`` did not ask ``name``.

        Parameters
        ----------
        name : str
            The common variable.
        wave : int or str
            The wave.

        Returns
        -------
        bool
            Whether the wave did not ask the item.
        """
        return name in self.variables and self.variables[name].rule(wave).absent

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "harmonization spec") -> HarmonizationSpec:
        """Build and check a spec from the parsed TOML structure.

        Parameters
        ----------
        raw : mapping
            The parsed TOML structure.
        source : str, default "harmonization spec"
            Name of the origin, used in error messages.

        Returns
        -------
        HarmonizationSpec
            The checked spec.

        Raises
        ------
        HarmonizationError
            When the structure has unknown keys, invalid values or no variables.
        """
        doc = validate(HarmonizationDoc, raw, source, error=HarmonizationError)
        waves = None
        if doc.waves is not None:
            waves = tuple(wave_key(w) for w in doc.waves)
            if len(set(waves)) != len(waves):
                raise HarmonizationError(f"{source}: waves {list(waves)} repeat a wave")
        variables = {name: _parse_variable(name, body, waves, source) for name, body in doc.variables.items()}
        return cls(variables, waves, doc.strict, doc.title, source)

    @classmethod
    def from_toml(cls, path: str | Path) -> HarmonizationSpec:
        """Read a spec from a TOML file.

        Parameters
        ----------
        path : str or Path
            The TOML file.

        Returns
        -------
        HarmonizationSpec
            The checked spec.

        Raises
        ------
        HarmonizationError
            When the file cannot be read or the spec is invalid.
        """
        raw = read_toml(path, "harmonisation spec", HarmonizationError)
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def loads(cls, text: str, *, source: str = "harmonization spec") -> HarmonizationSpec:
        """Read a spec from TOML text.

        Parameters
        ----------
        text : str
            The TOML text.
        source : str, default "harmonization spec"
            Name of the origin, used in error messages.

        Returns
        -------
        HarmonizationSpec
            The checked spec.

        Raises
        ------
        HarmonizationError
            When the text is not valid TOML or the spec is invalid.
        """
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise HarmonizationError(f"{source}: not valid TOML: {err}") from None
        return cls.from_dict(raw, source=source)


def _parse_variable(name: str, body: VariableTable, waves: tuple[Wave, ...] | None, source: str) -> CommonVariable:
    where = f"{source}: variable {name!r}"
    scale = parse_range(body.scale, where, "scale") if body.scale is not None else None
    rules: dict[Wave, WaveRule] = {}
    for key, rule in body.rules.items():
        wave = wave_key(key)
        if waves is not None and wave not in waves:
            raise HarmonizationError(
                f"{where}: wave {wave!r} is not one of the spec's waves {list(waves)}"
            )
        rules[wave] = parse_rule(name, wave, rule, scale, source)
    return CommonVariable(name, body.label, scale, rules, body.strict, body.label_fr)


def load_spec(spec: HarmonizationSpec | Mapping[str, Any] | str | Path) -> HarmonizationSpec:
    """A spec from a :class:`HarmonizationSpec`, a dict, or a TOML path.

    Parameters
    ----------
    spec : HarmonizationSpec or mapping or str or Path
        The spec, its parsed structure, or the path of its TOML file.

    Returns
    -------
    HarmonizationSpec
        The checked spec.

    Raises
    ------
    HarmonizationError
        When ``spec`` is of another type or invalid.
    """
    if isinstance(spec, HarmonizationSpec):
        return spec
    if isinstance(spec, Mapping):
        return HarmonizationSpec.from_dict(spec)
    if isinstance(spec, str | Path):
        return HarmonizationSpec.from_toml(spec)
    raise HarmonizationError(f"harmonization must be a spec, a dict or a TOML path, got {type(spec).__name__}")


def _codes_text(values: np.ndarray, limit: int = 6) -> str:
    found, counts = np.unique(values, return_counts=True)
    parts = [f"{v:g} ({c} row{'s' if c != 1 else ''})" for v, c in zip(found[:limit], counts[:limit], strict=True)]
    return ", ".join(parts) + (", ..." if found.size > limit else "")


def _harmonized_column(design: Design, var: CommonVariable, wave: Wave, strict: bool) -> np.ndarray:
    rule = var.rule(wave)
    name = var.name
    src = var.source(wave)
    where = f"wave {wave}, variable {name!r}"
    data = design.frame
    if src not in data.columns:
        close = difflib.get_close_matches(src, [str(c) for c in data.columns], n=3)
        hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
        raise HarmonizationError(
            f"{where}: source variable {src!r} is not in the wave's data{hint}; set source = "
            "\"...\" or declare absent = true if the wave did not ask it"
        )
    series = data[src]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan).copy()
    else:
        converted = pd.to_numeric(series, errors="coerce")
        bad = converted.isna() & series.notna()
        if bad.any():
            raise HarmonizationError(
                f"{where}: source {src!r} holds non-numeric values such as {series[bad].iloc[0]!r}"
            )
        values = converted.to_numpy(dtype=float, na_value=np.nan)
    original = values.copy()
    for code, new in rule.recode.items():
        values[original == code] = new
    for lo, hi in rule.missing_ranges:
        values[(original >= lo) & (original <= hi)] = np.nan
    observed = ~np.isnan(values)
    valid = var.valid_range(wave)
    if valid is None and rule.values is None and design.codebook is not None:
        scale = design.codebook.get_variable(src).scale
        valid = (float(scale[0]), float(scale[1])) if scale is not None else None
    if valid is not None or rule.values is not None:
        outside = np.zeros(len(values), dtype=bool)
        if valid is not None:
            outside |= observed & ((values < valid[0]) | (values > valid[1]))
        if rule.values is not None:
            outside |= observed & ~np.isin(values, rule.values)
        if outside.any() and (strict or rule.rescale is not None):
            allowed = (f"the valid values {fmt_list(rule.values)}" if rule.values is not None
                       else f"the valid range [{valid[0]:g}, {valid[1]:g}]")  # type: ignore[index]
            problem = ("cannot be rescaled: outside the rescale range" if rule.rescale is not None
                       else f"is present in the data but not mapped (outside {allowed})")
            raise HarmonizationError(
                f"{where} (source {src!r}): code(s) {_codes_text(values[outside])} {problem}; map "
                "them with missing = [...] or recode = {...}"
                + ("" if rule.rescale is not None else ", or pass strict=False")
            )
    if rule.rescale is not None:
        (a, b), (c, d) = rule.rescale
        values = c + (values - a) / (b - a) * (d - c)
    return values


def harmonize(
    design: Design,
    spec: HarmonizationSpec | Mapping[str, Any] | str | Path,
    wave: Wave,
    *,
    strict: bool | None = None,
) -> Design:
    """A design whose data has the spec's common variables for ``wave`` (the input is unchanged).

    Each common variable is built from its source column: recodes and missing codes first, then
    the strict check (codes still outside the valid range or values are an error naming wave,
    variable and codes; ``strict=False`` lets them through unless the item is rescaled), then
    the linear rescale. Common columns are added (replacing a column of the same name); the
    other columns, the weights and the sampling structure are kept. Items the wave did not ask
    (``absent = true``) become all-NaN columns so every wave has the same names. The codebook
    gets one entry per common variable (its label, the common scale; value labels are dropped
    when the item was rescaled).

    Parameters
    ----------
    design : Design
        The wave's design.
    spec : HarmonizationSpec or mapping or str or Path
        The harmonisation spec (see :func:`load_spec`).
    wave : int or str
        The wave the design holds.
    strict : bool or None, optional
        Refuse codes outside the valid range or values; None uses the variable's or the spec's
        setting.

    Returns
    -------
    Design
        A new design with the common variables.

    Raises
    ------
    HarmonizationError
        When the wave is not in the spec, a source column is missing or non-numeric, or codes
        are unmapped.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> spec = {"variables": {"q": {"2023": {"source": "q_new", "missing": [98]}}}}
    >>> harmonize(Design(pd.DataFrame({"q_new": [1, 98, 5]})), spec, 2023).data["q"].tolist()
    [1.0, nan, 5.0]
    """
    spec = load_spec(spec)
    wave = wave_key(wave)
    if spec.waves is not None and wave not in spec.waves:
        raise HarmonizationError(f"{spec.source}: wave {wave!r} is not one of the spec's waves {list(spec.waves)}")
    columns: dict[str, np.ndarray] = {}
    entries: list[Variable] = []
    codebook = design.codebook
    for name, var in spec.variables.items():
        rule = var.rule(wave)
        if rule.absent:
            columns[name] = np.full(len(design.frame), np.nan)
            entries.append(Variable(name, label=var.label, scale=var.scale))
            continue
        use_strict = strict if strict is not None else (var.strict if var.strict is not None else spec.strict)
        columns[name] = _harmonized_column(design, var, wave, use_strict)
        base = codebook.get_variable(var.source(wave)) if codebook is not None else Variable(name)
        scale = var.scale or (rule.rescale[1] if rule.rescale else None) or base.scale
        changes: dict[str, Any] = {"name": name, "scale": scale}
        if var.label:
            changes["label"] = var.label
        if var.label_fr or rule.rescale is not None:
            changes["label_fr"] = var.label_fr  # a source's French wording may name its old scale
        if rule.rescale is not None:
            changes.update(value_labels={}, value_labels_fr={})
        entries.append(replace(base, **changes))
    data = design.frame.assign(**columns)
    names = set(columns)
    listed = set() if codebook is None else set(codebook)
    kept = [codebook.get_variable(str(c)) for c in data.columns
            if str(c) not in names and str(c) in listed]
    new_codebook = Codebook(
        kept + entries,
        title=getattr(codebook, "title", None), title_fr=getattr(codebook, "title_fr", None),
    )
    step = Step("harmonize", {"wave": wave, "variables": len(columns)})
    return design.evolve(data=data, codebook=new_codebook, history=design.history + (step,))
