"""The study spec: one TOML file that says how raw files become tables, charts and a report.

A spec names the waves (files and design columns), the weighting targets, the harmonisation, and
the outputs. Paths are relative to the spec file. Wave names, table names and trend variables
become file names in the output folder, so each must be a safe name: 1 to 64 letters, digits,
``_``, ``-`` or ``.``, starting with a letter or digit, without ``..`` (and distinct, ignoring
case). Every problem is a :class:`~citizensfirst.errors.SpecError` naming the file, the key and
what is wrong::

    [study]
    title = "Citizens First"
    title_fr = "Les citoyens d'abord"
    languages = ["en", "fr"]
    seed = 20261126                     # replicate seeds derive from it

    [waves.cf2023]                      # one table per wave; the key is the wave's name
    file = "cf2023.sav"
    year = 2023
    weights = "wt_design"               # base weight column
    strata = "stratum"                  # optional design columns
    psu = "psu"
    nest = true

    [weighting]                         # rake every wave (optional)
    targets = "canada_2021"             # or a targets TOML file (see citizensfirst.targets)
    variables = ["province", "age", "gender", "education"]
    tol = 1e-10

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

>>> spec = StudySpec.from_dict({"study": {"title": "T"}, "waves": {"w1": {"file": "a.sav"}}})
>>> spec.waves[0].name, spec.languages
('w1', ('en',))
>>> StudySpec.from_dict({"waves": {"../w1": {"file": "a.sav"}}})
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: spec: [waves."../w1"] name '../w1' is not a safe name (it becomes a file name): use 1 to 64 letters, digits, '_', '-' or '.', starting with a letter or digit, without '..'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..drivers.analysis import METHODS as DRIVER_METHODS
from ..errors import SpecError, WeightingError
from ..fileutil import read_toml
from ..weighting.controls import check_controls

TABLE_STATS = ("percent", "mean", "top2", "score")
TREND_STATS = ("mean", "top2", "sqs")
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A name that can become a file name in the output folder (no separator, no ``..``)."""


def _table(doc: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, Mapping):
        raise SpecError(f"{source}: [{key}] must be a table")
    return value


def _quoted(key: str) -> str:
    """A TOML key as written in a table header (quoted unless bare)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str, source: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(f"{source}: unknown key(s) {unknown} in {where}; allowed: {sorted(allowed)}")


def _string(value: Any, where: str, source: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecError(f"{source}: {where} must be a non-empty string, got {value!r}")
    return value


def _safe_name(value: Any, where: str, source: str) -> str:
    """A string that :data:`SAFE_NAME` accepts, or a SpecError naming the key and the value."""
    name = _string(value, where, source)
    if not SAFE_NAME.fullmatch(name) or ".." in name:
        raise SpecError(f"{source}: {where} {name!r} is not a safe name (it becomes a file name): use 1 to 64 "
                        "letters, digits, '_', '-' or '.', starting with a letter or digit, without '..'")
    return name


def _distinct(names: Sequence[str], where: str, source: str) -> None:
    """Refuse names that would give the same file (equal, or equal ignoring case)."""
    seen: dict[str, str] = {}
    for name in names:
        if name.lower() in seen:
            raise SpecError(f"{source}: {where} {seen[name.lower()]!r} and {name!r} would write the same "
                            "files; give them distinct names")
        seen[name.lower()] = name


def _strings(value: Any, where: str, source: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        raise SpecError(f"{source}: {where} must be a string or a list of strings, got {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class WaveSpec:
    """One wave: its file and design columns."""

    name: str
    file: Path
    year: int | None = None
    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    nest: bool = False


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
    targets: str | None = None
    target_variables: tuple[str, ...] = ()
    tol: float = 1e-10
    harmonization: Path | None = None
    tables: tuple[TableSpec, ...] = ()
    drivers: DriverSpec | None = None
    trends: tuple[TrendSpec, ...] = ()
    charts: ChartSpec = field(default_factory=ChartSpec)
    max_iter: int = 100
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
        src = str(source or "spec")
        base = base or Path(".")
        _check_keys(doc, {"study", "waves", "weighting", "harmonization", "tables", "drivers", "trends",
                          "charts"},
                    "the top level", src)
        study = _table(doc, "study", src)
        _check_keys(study, {"title", "title_fr", "languages", "seed"}, "[study]", src)
        languages = _strings(study.get("languages", ["en"]), "[study] languages", src)
        bad = [lang for lang in languages if lang not in ("en", "fr")]
        if bad:
            raise SpecError(f"{src}: [study] languages must be 'en' and/or 'fr', got {bad}")
        waves_doc = _table(doc, "waves", src)
        if not waves_doc:
            raise SpecError(f"{src}: the spec needs at least one [waves.<name>] table")
        waves = []
        for name, wave in waves_doc.items():
            where = f"[waves.{name}]" if SAFE_NAME.fullmatch(name) else f"[waves.{_quoted(name)}]"
            _safe_name(name, f"{where} name", src)
            if not isinstance(wave, Mapping):
                raise SpecError(f"{src}: {where} must be a table")
            _check_keys(wave, {"file", "year", "weights", "strata", "psu", "nest"}, where, src)
            file = base / _string(wave.get("file"), f"{where} file", src)
            year = wave.get("year")
            if year is not None and not isinstance(year, int):
                raise SpecError(f"{src}: {where} year must be an integer, got {year!r}")
            waves.append(WaveSpec(name, file, year, wave.get("weights"), wave.get("strata"),
                                  wave.get("psu"), bool(wave.get("nest", False))))
        weighting = _table(doc, "weighting", src)
        _check_keys(weighting, {"targets", "variables", "tol", "max_iter"}, "[weighting]", src)
        targets = weighting.get("targets")
        if targets is not None and targets not in ("canada_2021", "business_frame"):
            targets = str(base / _string(targets, "[weighting] targets", src))
        harmonization = _table(doc, "harmonization", src)
        _check_keys(harmonization, {"file"}, "[harmonization]", src)
        tables = []
        for i, table in enumerate(doc.get("tables", [])):
            where = f"[[tables]] #{i + 1}"
            _check_keys(table, {"name", "rows", "cols", "stat", "value", "wave"}, where, src)
            stat = table.get("stat", "percent")
            if stat not in TABLE_STATS:
                raise SpecError(f"{src}: {where} stat must be one of {TABLE_STATS}, got {stat!r}")
            rows = _strings(table.get("rows"), f"{where} rows", src)
            tables.append(TableSpec(_safe_name(table.get("name", f"table{i + 1}"), f"{where} name", src),
                                    rows[0] if len(rows) == 1 else rows,
                                    _strings(table.get("cols"), f"{where} cols", src), stat,
                                    table.get("value"), table.get("wave")))
        drivers = None
        if "drivers" in doc:
            d = _table(doc, "drivers", src)
            _check_keys(d, {"outcome", "drivers", "wave", "method", "replicates"}, "[drivers]", src)
            method = d.get("method", "shapley")
            if method not in DRIVER_METHODS:
                raise SpecError(f"{src}: [drivers] method must be one of {DRIVER_METHODS}, got {method!r}")
            drivers = DriverSpec(_strings(d.get("outcome"), "[drivers] outcome", src),
                                 _strings(d.get("drivers"), "[drivers] drivers", src),
                                 d.get("wave"), method, int(d.get("replicates", 200)))
        trends = []
        for i, trend in enumerate(doc.get("trends", [])):
            where = f"[[trends]] #{i + 1}"
            _check_keys(trend, {"variable", "stat"}, where, src)
            stat = trend.get("stat", "mean")
            if stat not in TREND_STATS:
                raise SpecError(f"{src}: {where} stat must be one of {TREND_STATS}, got {stat!r}")
            trends.append(TrendSpec(_safe_name(trend.get("variable"), f"{where} variable", src), stat))
        _distinct([w.name for w in waves], "waves", src)
        _distinct([t.name for t in tables], "[[tables]] names", src)
        _distinct([f"{t.variable}.{t.stat}" for t in trends], "[[trends]]", src)
        charts_doc = _table(doc, "charts", src)
        _check_keys(charts_doc, {"distribution", "channel_used", "channel_preferred"}, "[charts]", src)
        charts = ChartSpec(
            _strings(charts_doc["distribution"], "[charts] distribution", src) if "distribution" in charts_doc else (),
            charts_doc.get("channel_used"), charts_doc.get("channel_preferred"),
        )
        try:
            tol, max_iter, _, _ = check_controls(tol=weighting.get("tol", 1e-10),
                                                 max_iter=weighting.get("max_iter", 100))
        except WeightingError as err:
            raise SpecError(f"{src}: [weighting] {err}") from None
        spec = cls(
            title=_string(study.get("title", "Study"), "[study] title", src),
            title_fr=study.get("title_fr"),
            languages=languages,
            seed=int(study.get("seed", 1)),
            waves=tuple(waves),
            targets=targets,
            target_variables=tuple(weighting.get("variables", ())),
            tol=tol,
            harmonization=(base / harmonization["file"]) if "file" in harmonization else None,
            tables=tuple(tables),
            drivers=drivers,
            trends=tuple(trends),
            charts=charts,
            max_iter=max_iter,
            source=source,
            raw=dict(doc),
        )
        for table in spec.tables:
            spec.wave(table.wave)
        if spec.drivers is not None:
            spec.wave(spec.drivers.wave)
        return spec
