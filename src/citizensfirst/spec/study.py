"""The schema of the study spec: waves and their designs, weighting steps, outputs.

Choices are read from the library's registries (shipped target sets, weighting methods, calibration
distances, replicate methods, lonely-PSU rules, driver methods), so a method added there is
accepted here. This module imports those layers, so :mod:`citizensfirst.spec` does not import it;
:mod:`citizensfirst.report.spec` builds the spec objects from :class:`StudyDoc`.

>>> doc = StudyDoc.model_validate({"waves": {"api": {"file": "apiclus2.csv", "psu": ["dnum", "snum"],
...                                                  "fpc": ["fpc1", "fpc2"], "weights": "pw"}}})
>>> doc.waves["api"].psu, doc.waves["api"].lonely_psu
(['dnum', 'snum'], 'fail')
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..design.setup import REPLICATE_METHODS
from ..design.variance import LONELY_PSU_RULES
from ..drivers.analysis import METHODS as DRIVER_METHODS
from ..weighting import METHODS as WEIGHTING_METHODS
from ..weighting.calibration import CALFUNS
from ..weighting.shipped import SHIPPED_TARGETS
from .base import (
    AS_LIST,
    NON_EMPTY,
    ONE_OR_MANY,
    OneOf,
    SafeName,
    StrictModel,
    Text,
    Texts,
    check_distinct,
)

TABLE_STATS = ("percent", "mean", "top2", "score")
"""The statistics of a ``[[tables]]`` entry."""
TREND_STATS = ("mean", "top2", "sqs")
"""The statistics of a ``[[trends]]`` entry."""
ESTIMATE_STATS = ("mean", "total", "proportion", "quantile", "ratio")
"""The statistics of an ``[[estimates]]`` entry (the Design methods of the same names)."""
LANGUAGES = ("en", "fr")
"""The report languages."""
TRIM_REDISTRIBUTE = ("equal", "proportional", "none")
"""How :meth:`Design.trim` hands the trimmed weight back."""
TARGET_SOURCES = ("targets", "file", "margins")
"""The keys that give a weighting step its targets (exactly one, except for trim)."""

STEP_KEYS: dict[str, frozenset[str]] = {
    "rake": frozenset({*TARGET_SOURCES, "variables", "tol", "max_iter", "bounds"}),
    "calibrate": frozenset({*TARGET_SOURCES, "variables", "tol", "max_iter", "bounds", "distance"}),
    "poststratify": frozenset({*TARGET_SOURCES, "variables", "cells"}),
    "trim": frozenset({"lower", "upper", "relative", "strict", "redistribute"}),
}
"""The keys each weighting method takes besides ``method`` (a test checks it covers ``weighting.METHODS``)."""

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
FpcValue = Annotated[Text | Positive, Field(union_mode="left_to_right")]
Lang = Annotated[str, OneOf(LANGUAGES)]


def _shipped_or_toml(value: str) -> str:
    if value not in SHIPPED_TARGETS and not value.endswith(".toml"):
        raise PydanticCustomError(
            "shipped_targets", "must be a shipped target set ({names}); for a targets file write file = ...",
            {"names": ", ".join(map(repr, sorted(SHIPPED_TARGETS)))})
    return value


TargetsName = Annotated[str, AfterValidator(_shipped_or_toml),
                        WithJsonSchema({"anyOf": [{"enum": sorted(SHIPPED_TARGETS)},
                                                  {"type": "string", "pattern": r"\.toml$"}]})]
"""A shipped target set, or (old specs) the path of a targets TOML."""


def _fail(kind: str, message: str, **ctx: str | int | float | list[float]) -> PydanticCustomError:
    """An error raised inside a validator; ``{name}`` in ``message`` is replaced by ``ctx[name]`` as given."""
    return PydanticCustomError(kind, message, ctx)


class StudyTable(StrictModel):
    """``[study]``: the title, languages and seed."""

    title: Text = Field(default="Study", description="Title of the report (English).")
    title_fr: Text | None = Field(default=None, description="Title of the report in French.")
    languages: Annotated[list[Lang], AS_LIST, NON_EMPTY, ONE_OR_MANY] = Field(
        default_factory=lambda: ["en"], description="Report languages: 'en' and/or 'fr'.")
    seed: int = Field(default=1, ge=0, description="Seed of every random step (replicate weights): a whole number >= 0.")


class ReplicatesTable(StrictModel):
    """``[waves.<name>.replicates]``: replicate weights supplied in the wave's file."""

    columns: Annotated[list[Text], AS_LIST, Field(min_length=2), ONE_OR_MANY] | None = Field(
        default=None, description="The replicate weight columns, in order (at least 2; or give pattern).")
    pattern: Text | None = Field(
        default=None, description="A regular expression the replicate columns match in full (file order); or give columns.")
    type: Annotated[str, OneOf(REPLICATE_METHODS)] = Field(description="The replicate method (R's svrepdesign type).")
    scale: Positive | None = Field(default=None, description="Overall scale of the replicate variance (default: by type).")
    rscales: Annotated[list[NonNegative], AS_LIST, NON_EMPTY, ONE_OR_MANY] | None = Field(
        default=None, description="Per-replicate scales, one per replicate (jkn needs them).")
    rho: Annotated[float, Field(ge=0, lt=1)] | None = Field(default=None, description="Fay's rho in [0, 1): type fay only.")
    mse: bool = Field(default=False, description="Centre the replicate variance on the full-sample estimate (R's mse).")
    combined: bool = Field(default=True, description="true: the columns are full analysis weights; false: multipliers "
                                             "of the wave's weights.")

    @model_validator(mode="after")
    def _consistent(self) -> ReplicatesTable:
        if (self.columns is None) == (self.pattern is None):
            raise _fail("replicate_columns", "give exactly one of columns = [...] or pattern = \"...\"")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as err:
                raise _fail("pattern", "pattern {pattern} is not a valid regular expression ({err})",
                            pattern=repr(self.pattern), err=str(err)) from None
        if (self.type == "fay") != (self.rho is not None):
            raise _fail("rho", "rho goes with type = \"fay\" (and fay needs rho)")
        if self.type == "jkn" and self.rscales is None:
            raise _fail("rscales", "type = \"jkn\" needs rscales ((n_h - 1) / n_h for each replicate)")
        if self.type == "other" and self.scale is None:
            raise _fail("scale", "type = \"other\" needs scale (and rscales if not all 1)")
        if self.columns is not None and self.rscales is not None and len(self.rscales) not in (1, len(self.columns)):
            raise _fail("rscales", "rscales has {n} values for {k} replicate columns",
                        n=len(self.rscales), k=len(self.columns))
        return self


class StepTable(StrictModel):
    """One weighting step (``[[weighting]]`` or ``[[waves.<name>.weighting]]``)."""

    method: Annotated[str, OneOf(tuple(WEIGHTING_METHODS))] = Field(default="rake", description="The weighting method.")
    targets: TargetsName | None = Field(
        default=None, description="A shipped target set (rake, calibrate, poststratify): "
                                  f"{', '.join(sorted(SHIPPED_TARGETS))} (see citizensfirst.weighting.shipped).")
    file: Text | None = Field(default=None, description="A targets TOML file (see citizensfirst.targets.from_toml), "
                                                "relative to the spec.")
    margins: dict[str, Annotated[dict[str, NonNegative] | float, Field(union_mode="left_to_right")]] | None = Field(
        default=None, description="Inline targets: {variable = {level = share or count}}; calibrate: a numeric "
                                  "variable = its total; poststratify: {cell = count}, cells of several variables "
                                  "as \"a|b\".")
    variables: Texts | None = Field(
        default=None, description="Which margins to use: a shipped set needs it (canada_adults_2025: province, "
                                  "age, age6, gender, education, for the columns prov, age_grp, age6, gender, "
                                  "educ); a file or inline margins: all of them by default.")
    cells: Texts | None = Field(default=None, description="poststratify: the cell variables.")
    tol: Annotated[float, Field(gt=0, le=1e-2)] | None = Field(
        default=None, description="rake, calibrate: relative tolerance on the margins, in (0, 0.01].")
    max_iter: Annotated[int, Field(ge=1)] | None = Field(default=None, description="rake, calibrate: maximum iterations (>= 1).")
    bounds: Annotated[list[float], Field(min_length=2, max_length=2)] | None = Field(
        default=None, description="rake, calibrate: [lower, upper] bounds on the weight adjustment, lower < 1 < upper.")
    distance: Annotated[str, OneOf(CALFUNS)] | None = Field(default=None, description="calibrate: the calibration distance.")
    lower: Positive | None = Field(default=None, description="trim: the lowest weight allowed.")
    upper: Positive | None = Field(default=None, description="trim: the highest weight allowed.")
    relative: bool | None = Field(default=None, description="trim: read lower and upper as multiples of the median weight.")
    strict: bool | None = Field(default=None, description="trim: trim again until no weight is out of its limits.")
    redistribute: Annotated[str, OneOf(TRIM_REDISTRIBUTE)] | None = Field(
        default=None, description="trim: how the trimmed weight is handed back.")

    @model_validator(mode="after")
    def _consistent(self) -> StepTable:
        given = self.model_fields_set - {"method"}
        allowed = STEP_KEYS[self.method]
        if given - allowed:
            raise _fail("step_keys", "method = {method} takes no {keys}; its keys: {allowed}",
                        method=repr(self.method), keys=", ".join(sorted(given - allowed)),
                        allowed=", ".join(sorted(allowed)))
        sources = [key for key in TARGET_SOURCES if key in given]
        if TARGET_SOURCES[0] in allowed and len(sources) != 1:
            raise _fail("step_targets", "method = {method} needs exactly one of targets = (a shipped set), "
                        "file = (a targets TOML) or margins = (inline), got {given}",
                        method=repr(self.method), given=", ".join(sources) or "none")
        if self.method == "poststratify" and self.cells is None:
            raise _fail("step_cells", "method = \"poststratify\" needs cells = [...] (the cell variables)")
        if self.bounds is not None and not self.bounds[0] < 1 < self.bounds[1]:
            raise _fail("bounds", "bounds {bounds} must be [lower, upper] with lower < 1 < upper",
                        bounds=list(self.bounds))
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise _fail("trim_limits", "lower {lower} must be below upper {upper}", lower=self.lower, upper=self.upper)
        if self.method == "trim" and self.lower is None and self.upper is None:
            raise _fail("trim_limits", "method = \"trim\" needs lower and/or upper")
        return self


Steps = Annotated[list[StepTable], AS_LIST, NON_EMPTY, ONE_OR_MANY]
"""Ordered weighting steps: an array of tables, or (old specs) one table."""


class WaveTable(StrictModel):
    """``[waves.<name>]``: one wave's file and sampling design."""

    file: Text = Field(description="The wave's data file, relative to the spec.")
    year: int | None = Field(default=None, description="The wave's year (orders waves; the latest is the default).")
    weights: Text | None = Field(default=None, description="The weight column (or give probs).")
    probs: Text | None = Field(default=None, description="The column of selection probabilities (or give weights).")
    strata: Texts | None = Field(default=None, description="The strata column (or one per stage).")
    psu: Texts | None = Field(default=None, description="The PSU (cluster) column, or one per stage.")
    fpc: Annotated[list[FpcValue], AS_LIST, NON_EMPTY, ONE_OR_MANY] | None = Field(
        default=None, description="Finite population correction per stage: a column or a number, population sizes (> 1) "
                          "or sampling fractions (<= 1), as R's svydesign.")
    nest: bool = Field(default=False, description="true: PSU ids are unique only within strata (R's nest).")
    lonely_psu: Annotated[str, OneOf(LONELY_PSU_RULES)] = Field(
        default="fail", description="What a stratum with one PSU does (R's survey.lonely.psu).")
    adjust_domain_lonely: bool = Field(default=False, description="As R's survey.adjust.domain.lonely.")
    replicates: ReplicatesTable | None = Field(default=None, description="Replicate weights supplied in the file.")
    weighting: Steps | None = Field(default=None, description="This wave's ordered weighting steps (default: the "
                                                      "study-wide [[weighting]]).")

    @model_validator(mode="after")
    def _consistent(self) -> WaveTable:
        if self.weights is not None and self.probs is not None:
            raise _fail("weights_probs", "give weights or probs, not both")
        if self.replicates is not None and (self.strata or self.psu or self.fpc):
            raise _fail("replicates_design", "give replicates or strata/psu/fpc, not both: a replicate design "
                        "carries its sampling structure in the replicate columns")
        if self.fpc is not None and len(self.fpc) > max(1, len(self.psu or ())):
            raise _fail("fpc_stages", "fpc has {n} stages but psu has {k}: give one psu column per stage",
                        n=len(self.fpc), k=len(self.psu or ()))
        return self


class HarmonizationRef(StrictModel):
    """``[harmonization]``: the harmonisation file of the waves."""

    file: Text = Field(description="The harmonisation TOML (common names across waves), relative to the spec.")


class TableEntry(StrictModel):
    """``[[tables]]``: one crosstab of one wave."""

    name: SafeName | None = Field(default=None, description="A safe name (it becomes a file name); default `table1`, `table2`, ... by position.")
    rows: Texts = Field(description="The row variable(s).")
    cols: Texts = Field(description="The column (banner) variables.")
    stat: Annotated[str, OneOf(TABLE_STATS)] = Field(default="percent", description="The statistic in the cells.")
    value: Text | None = Field(default=None, description="The variable averaged in the cells (stat = \"mean\").")
    wave: Text | None = Field(default=None, description="The wave (default: the latest).")


class DriversTable(StrictModel):
    """``[drivers]``: the driver analysis of one wave."""

    outcome: Texts = Field(description="The outcome variable(s).")
    drivers: Texts = Field(description="The driver variables.")
    wave: Text | None = Field(default=None, description="The wave (default: the latest).")
    method: Annotated[str, OneOf(DRIVER_METHODS)] = Field(default="shapley", description="The importance measure.")
    replicates: int = Field(default=200, ge=2, description="Replicates of the interval of each importance (>= 2).")


class ChartsTable(StrictModel):
    """``[charts]``: extra charts of the latest wave."""

    distribution: Texts | None = Field(default=None, description="Rating variables charted as distributions.")
    channel_used: Text | None = Field(default=None, description="The channel-used variable.")
    channel_preferred: Text | None = Field(default=None, description="The preferred-channel variable.")


class TrendEntry(StrictModel):
    """``[[trends]]``: a harmonised variable followed across waves."""

    variable: SafeName = Field(description="A harmonised name (it becomes a file name).")
    stat: Annotated[str, OneOf(TREND_STATS)] = Field(default="mean", description="The statistic followed.")


class EstimateEntry(StrictModel):
    """``[[estimates]]``: a plain design-based estimate, written to numbers.json."""

    name: SafeName = Field(description="A safe name: the key in numbers.json[\"estimates\"].")
    wave: Text | None = Field(default=None, description="The wave (default: the latest).")
    stat: Annotated[str, OneOf(ESTIMATE_STATS)] = Field(description="The estimator.")
    variables: Texts = Field(description="The variable(s) estimated (ratio: the numerators).")
    by: Texts | None = Field(default=None, description="Domain variables.")
    quantiles: Annotated[list[Annotated[float, Field(ge=0, le=1)]], AS_LIST, NON_EMPTY, ONE_OR_MANY] | None = Field(
        default=None, description="stat = \"quantile\": the probabilities, in [0, 1] (default 0.5).")
    denominator: Text | None = Field(default=None, description="stat = \"ratio\": the denominator variable.")

    @model_validator(mode="after")
    def _consistent(self) -> EstimateEntry:
        if self.quantiles is not None and self.stat != "quantile":
            raise _fail("quantiles", "quantiles go with stat = \"quantile\"")
        if (self.denominator is not None) != (self.stat == "ratio"):
            raise _fail("denominator", "stat = \"ratio\" needs denominator, and only ratio takes one")
        return self


class StudyDoc(StrictModel):
    """A study spec: the whole TOML file."""

    study: StudyTable = Field(default_factory=lambda: StudyTable(), description="Title, languages and seed.")
    waves: Annotated[dict[SafeName, WaveTable], NON_EMPTY] = Field(
        description="One table per wave; the key is the wave's safe name.")
    weighting: Steps | None = Field(default=None, description="Study-wide weighting steps, for waves without their own.")
    harmonization: HarmonizationRef | None = Field(default=None, description="The harmonisation of the waves.")
    tables: list[TableEntry] = Field(default_factory=list, description="Crosstabs.")
    drivers: DriversTable | None = Field(default=None, description="The driver analysis.")
    trends: list[TrendEntry] = Field(default_factory=list, description="Harmonised variables across waves.")
    charts: ChartsTable = Field(default_factory=lambda: ChartsTable(), description="Extra charts.")
    estimates: list[EstimateEntry] = Field(default_factory=list, description="Plain design-based estimates.")

    @field_validator("waves")
    @classmethod
    def _distinct_waves(cls, waves: dict[str, WaveTable]) -> dict[str, WaveTable]:
        check_distinct(waves, "waves")
        return waves

    @field_validator("tables")
    @classmethod
    def _distinct_tables(cls, tables: list[TableEntry]) -> list[TableEntry]:
        check_distinct([t.name or f"table{i + 1}" for i, t in enumerate(tables)], "[[tables]] names")
        return tables

    @field_validator("trends")
    @classmethod
    def _distinct_trends(cls, trends: list[TrendEntry]) -> list[TrendEntry]:
        check_distinct([f"{t.variable}.{t.stat}" for t in trends], "[[trends]]")
        return trends

    @field_validator("estimates")
    @classmethod
    def _distinct_estimates(cls, estimates: list[EstimateEntry]) -> list[EstimateEntry]:
        check_distinct([e.name for e in estimates], "[[estimates]] names")
        return estimates

    @model_validator(mode="after")
    def _known_waves(self) -> StudyDoc:
        uses = [(f"[[tables]] #{i + 1} .wave", t.wave) for i, t in enumerate(self.tables)]
        uses += [(f"[[estimates]] #{i + 1} .wave", e.wave) for i, e in enumerate(self.estimates)]
        uses += [("[drivers].wave", self.drivers.wave if self.drivers else None)]
        for where, wave in uses:
            if wave is not None and wave not in self.waves:
                raise _fail("unknown_wave", "{where} = {wave}: no wave has that name; waves: {waves}",
                            where=where, wave=repr(wave), waves=", ".join(map(repr, self.waves)))
        return self


class WavesDoc(StrictModel):
    """Waves alone (the command line builds one wave table and validates it with the same rules)."""

    waves: dict[SafeName, WaveTable] = Field(description="One table per wave.")
