"""The study spec: one TOML file that says how raw files become tables, charts and a report.

A spec names the waves (files and sampling designs), their weighting steps, the harmonisation, and
the outputs. Paths are relative to the spec file. Wave names, table names, trend variables and
estimate names become file names or keys of the outputs, so each must be a safe name: 1 to 64
letters, digits, ``_``, ``-`` or ``.``, starting with a letter or digit, without ``..`` (and
distinct, ignoring case). The schema is :mod:`citizensfirst.spec.study` (every key is documented
in ``docs/spec-reference.md``); every problem is a :class:`~citizensfirst.errors.SpecError` naming
the file, the key path (``[waves.cf2023].nest``) and the value::

    [study]
    title = "Citizens First"
    title_fr = "Les citoyens d'abord"
    languages = ["en", "fr"]
    seed = 20261126                     # replicate seeds derive from it

    [waves.cf2023]                      # one table per wave; the key is the wave's name
    file = "cf2023.sav"
    year = 2023
    weights = "wt_design"               # base weight column (or probs = "p")
    strata = "stratum"                  # optional design columns: str, or a list (one per stage)
    psu = "psu"                         # psu = ["dnum", "snum"] for two stages
    fpc = "fpc"                         # per stage: a column or a number (counts > 1, fractions <= 1)
    nest = true                         # a boolean: "true" (a string) is refused
    lonely_psu = "adjust"               # fail | adjust | average | remove | certainty

    [waves.cf2024]
    file = "cf2024.csv"
    weights = "wt"
    [waves.cf2024.replicates]           # replicate weights supplied in the file
    pattern = "rep[0-9]+"               # or columns = ["rep1", "rep2", ...]
    type = "jk1"                        # jk1 | jkn | brr | fay (with rho) | bootstrap | ...

    [[weighting]]                       # study-wide steps, in order (a wave may list its own)
    method = "rake"                     # rake | calibrate | poststratify | trim
    targets = "canada_2021"             # or file = "targets.toml", or margins = {gender = {1 = 0.49, 2 = 0.51}}
    variables = ["province", "age", "gender", "education"]
    tol = 1e-10

    [[weighting]]
    method = "trim"
    upper = 5.0
    relative = true

    [harmonization]
    file = "harmonization.toml"         # common names across waves (see docs/waves.md)

    [[tables]]                          # crosstabs of one wave (default: the latest)
    name = "overall_by_province"
    rows = "q_overall"
    cols = ["prov", "age_grp"]
    stat = "top2"                       # percent | mean | top2 | score

    [drivers]
    outcome = ["q_overall", "q_expect", "q_value"]
    drivers = ["q_time", "q_access", "q_staff_knowledge", "q_outcome"]
    replicates = 200

    [[trends]]
    variable = "q_time"                 # a harmonised name
    stat = "mean"                       # mean | top2 | sqs

    [[estimates]]                       # plain estimates -> numbers.json["estimates"]
    name = "time_mean"
    stat = "mean"                       # mean | total | proportion | quantile | ratio
    variables = "q_time"
    by = ["prov"]

>>> spec = StudySpec.from_dict({"study": {"title": "T"}, "waves": {"w1": {"file": "a.sav"}}})
>>> spec.waves[0].name, spec.languages
('w1', ('en',))
>>> StudySpec.from_dict({"waves": {"w1": {"file": "a.sav", "nest": "false"}}})
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: spec: [waves.w1].nest = "false": must be true or false (a TOML boolean, not a string)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..fileutil import read_toml
from ..spec.base import SAFE_NAME, validate
from ..spec.study import (
    STEP_KEYS,
    TABLE_STATS,
    TREND_STATS,
    StepTable,
    StudyDoc,
    WavesDoc,
    WaveTable,
)

__all__ = ["SAFE_NAME", "TABLE_STATS", "TREND_STATS", "ChartSpec", "DriverSpec", "EstimateSpec", "ReplicateSpec",
           "StudySpec", "TableSpec", "TrendSpec", "WaveSpec", "WeightingStep", "parse_wave"]

_OPTION_NAMES = {"distance": "method"}  # spec key -> keyword of the Design method, where they differ


@dataclass(frozen=True)
class ReplicateSpec:
    """Replicate weights supplied in a wave's file (the ``replicates`` table of a wave)."""

    columns: tuple[str, ...]
    pattern: str | None
    type: str
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    rho: float | None = None
    mse: bool = False
    combined: bool = True


@dataclass(frozen=True)
class WeightingStep:
    """One weighting step; ``options`` are exactly the keyword arguments of the Design method."""

    method: str
    targets: str | None = None
    file: Path | None = None
    margins: dict[str, float | dict[str, float]] | None = None
    variables: tuple[str, ...] = ()
    cells: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaveSpec:
    """One wave: its file, sampling design and weighting steps."""

    name: str
    file: Path
    year: int | None = None
    weights: str | None = None
    probs: str | None = None
    strata: tuple[str, ...] = ()
    psu: tuple[str, ...] = ()
    fpc: tuple[str | float, ...] = ()
    nest: bool = False
    lonely_psu: str = "fail"
    adjust_domain_lonely: bool = False
    replicates: ReplicateSpec | None = None
    weighting: tuple[WeightingStep, ...] = ()


@dataclass(frozen=True)
class EstimateSpec:
    """A plain design-based estimate of one wave."""

    name: str
    stat: str
    variables: tuple[str, ...]
    wave: str | None = None
    by: tuple[str, ...] = ()
    quantiles: tuple[float, ...] = ()
    denominator: str | None = None


@dataclass(frozen=True)
class TableSpec:
    """One crosstab of one wave."""

    name: str
    rows: str | tuple[str, ...]
    cols: tuple[str, ...]
    stat: str = "percent"
    value: str | None = None
    wave: str | None = None


@dataclass(frozen=True)
class DriverSpec:
    """The driver analysis of one wave."""

    outcome: tuple[str, ...]
    drivers: tuple[str, ...]
    wave: str | None = None
    method: str = "shapley"
    replicates: int = 200


@dataclass(frozen=True)
class ChartSpec:
    """Extra charts of the latest wave: rating distributions and channels used vs preferred."""

    distribution: tuple[str, ...] = ()
    channel_used: str | None = None
    channel_preferred: str | None = None


@dataclass(frozen=True)
class TrendSpec:
    """A harmonised variable followed across waves."""

    variable: str
    stat: str = "mean"


@dataclass(frozen=True)
class StudySpec:
    """A validated study spec (see the module docstring for the TOML format)."""

    title: str
    waves: tuple[WaveSpec, ...]
    title_fr: str | None = None
    languages: tuple[str, ...] = ("en",)
    seed: int = 1
    harmonization: Path | None = None
    tables: tuple[TableSpec, ...] = ()
    drivers: DriverSpec | None = None
    trends: tuple[TrendSpec, ...] = ()
    charts: ChartSpec = field(default_factory=ChartSpec)
    estimates: tuple[EstimateSpec, ...] = ()
    source: Path | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    @property
    def latest_wave(self) -> WaveSpec:
        """The wave with the largest year (the last listed when years are absent).

        Returns
        -------
        WaveSpec
            The latest wave.
        """
        dated = [w for w in self.waves if w.year is not None]
        return max(dated, key=lambda w: w.year or 0) if dated else self.waves[-1]  # years set

    def wave(self, name: str | None) -> WaveSpec:
        """The wave called ``name`` (None: the latest).

        Parameters
        ----------
        name : str or None
            Wave name; None gives :attr:`latest_wave`.

        Returns
        -------
        WaveSpec
            The wave.

        Raises
        ------
        SpecError
            If no wave has that name.
        """
        if name is None:
            return self.latest_wave
        for wave in self.waves:
            if wave.name == name:
                return wave
        raise SpecError(f"{self.source or 'spec'}: no wave named {name!r}; waves: {[w.name for w in self.waves]}")

    @classmethod
    def from_toml(cls, path: str | Path) -> StudySpec:
        """Read and validate a spec file.

        Parameters
        ----------
        path : str or Path
            The TOML spec; relative paths in it are resolved against its folder.

        Returns
        -------
        StudySpec
            The validated spec.

        Raises
        ------
        SpecError
            If the file is missing, not valid TOML or not a valid spec.
        """
        path = Path(path)
        doc = read_toml(path, "study spec", SpecError)
        return cls.from_dict(doc, base=path.parent, source=path)

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, base: Path | None = None,
                  source: Path | None = None) -> StudySpec:
        """Validate a parsed spec; relative paths are resolved against ``base``.

        Parameters
        ----------
        doc : Mapping
            The parsed TOML document.
        base : Path, optional
            Folder that relative paths are resolved against (default the working folder).
        source : Path, optional
            The spec file, named in error messages.

        Returns
        -------
        StudySpec
            The validated spec.

        Raises
        ------
        SpecError
            If the spec is invalid (unknown keys, wrong types, missing tables, ...).
        """
        base = base or Path(".")
        study = validate(StudyDoc, doc, source or "spec")
        default = tuple(_step(step, base) for step in study.weighting or ())
        drivers = study.drivers
        return cls(
            title=study.study.title,
            title_fr=study.study.title_fr,
            languages=tuple(study.study.languages),
            seed=study.study.seed,
            waves=tuple(_wave(name, wave, base, default) for name, wave in study.waves.items()),
            harmonization=base / study.harmonization.file if study.harmonization else None,
            tables=tuple(TableSpec(t.name or f"table{i + 1}", t.rows[0] if len(t.rows) == 1 else tuple(t.rows),
                                   tuple(t.cols), t.stat, t.value, t.wave) for i, t in enumerate(study.tables)),
            drivers=None if drivers is None else DriverSpec(tuple(drivers.outcome), tuple(drivers.drivers),
                                                            drivers.wave, drivers.method, drivers.replicates),
            trends=tuple(TrendSpec(t.variable, t.stat) for t in study.trends),
            charts=ChartSpec(tuple(study.charts.distribution or ()), study.charts.channel_used,
                             study.charts.channel_preferred),
            estimates=tuple(EstimateSpec(e.name, e.stat, tuple(e.variables), e.wave, tuple(e.by or ()),
                                         tuple(e.quantiles or ((0.5,) if e.stat == "quantile" else ())),
                                         e.denominator) for e in study.estimates),
            source=source,
            raw=dict(doc),
        )


def _step(step: StepTable, base: Path) -> WeightingStep:
    """A validated weighting step with its file resolved and its Design keyword arguments."""
    given = step.model_fields_set
    keys = STEP_KEYS[step.method] - {"targets", "file", "margins", "variables", "cells"}
    options = {_OPTION_NAMES.get(key, key): getattr(step, key) for key in sorted(keys & given)}
    if "bounds" in options:
        options["bounds"] = tuple(options["bounds"])
    targets, file = step.targets, step.file
    if targets is not None and targets.endswith(".toml"):  # old specs: targets = "file.toml"
        targets, file = None, targets
    return WeightingStep(
        method=step.method, targets=targets, file=None if file is None else base / file,
        margins=None if step.margins is None else {k: v if isinstance(v, float) else dict(v)
                                                    for k, v in step.margins.items()},
        variables=tuple(step.variables or ()), cells=tuple(step.cells or ()), options=options,
    )


def _wave(name: str, wave: WaveTable, base: Path, default: tuple[WeightingStep, ...]) -> WaveSpec:
    """A validated wave table as a WaveSpec (its own steps, else ``default``)."""
    rep = wave.replicates
    return WaveSpec(
        name=name, file=base / wave.file, year=wave.year, weights=wave.weights, probs=wave.probs,
        strata=tuple(wave.strata or ()), psu=tuple(wave.psu or ()), fpc=tuple(wave.fpc or ()), nest=wave.nest,
        lonely_psu=wave.lonely_psu, adjust_domain_lonely=wave.adjust_domain_lonely,
        replicates=None if rep is None else ReplicateSpec(
            tuple(rep.columns or ()), rep.pattern, rep.type, rep.scale,
            None if rep.rscales is None else tuple(rep.rscales), rep.rho, rep.mse, rep.combined),
        weighting=default if wave.weighting is None else tuple(_step(step, base) for step in wave.weighting),
    )


def parse_wave(name: str, doc: Mapping[str, Any], *, base: Path | None = None, source: object = None,
               weighting: Sequence[WeightingStep] = ()) -> WaveSpec:
    """Validate one wave table (as in ``[waves.<name>]``) with the study spec's rules.

    Parameters
    ----------
    name : str
        The wave's name (a safe name).
    doc : Mapping
        The wave table: ``file``, ``weights``, ``strata``, ``psu``, ``fpc``, ``replicates``, ...
    base : Path, optional
        Folder that relative paths are resolved against (default the working folder).
    source : object, optional
        What to name in error messages (default ``"options"``).
    weighting : sequence of WeightingStep, optional
        Steps used when the table has no ``weighting`` of its own.

    Returns
    -------
    WaveSpec
        The wave.

    Raises
    ------
    SpecError
        Naming the key path, the value and what is expected.

    Examples
    --------
    >>> parse_wave("api", {"file": "api.csv", "psu": ["dnum", "snum"], "fpc": ["fpc1", "fpc2"]}).psu
    ('dnum', 'snum')
    """
    waves = validate(WavesDoc, {"waves": {name: dict(doc)}}, source or "options")
    return _wave(name, waves.waves[name], base or Path("."), tuple(weighting))
