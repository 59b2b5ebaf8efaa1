"""The report pipeline: study spec -> weighted designs -> tables, drivers, trends, charts, report.

:func:`run_report` first checks that the output folder may be replaced (absent, empty, or an
earlier report whose manifest lists every file in it, and holding no input of the run; see
:func:`citizensfirst.outputs.check_replaceable_output`), then builds everything in a staging
folder beside it and swaps it in only when every step succeeded, so a failed run leaves the earlier
output untouched. Every file is written inside the staging folder and listed in the manifest. The
output folder holds ``tables.xlsx`` (every table, English and French), ``tables/*.csv``,
``charts/`` (PNG, SVG, alt text and data of every chart), ``weighting/*.csv``, ``report.html``
(and ``report.fr.html``), ``numbers.json`` (every number produced) and ``manifest.json``.

>>> from citizensfirst.report.pipeline import sample_spec_path
>>> sample_spec_path().name
'study.toml'
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..charts import (
    channel_chart,
    channel_table,
    collapse_levels,
    distribution_chart,
    importance_chart,
    quadrant_chart,
    trend_chart,
)
from ..design.facade import Design
from ..design.setup import check_columns
from ..drivers.analysis import importance_performance
from ..drivers.driver_result import DriverResult
from ..errors import DataError, SpecError
from ..estimation.scales import Scale
from ..fileutil import atomic_write_text
from ..i18n import LANGUAGES
from ..io.formats import sidecar_path
from ..outputs import check_replaceable_output, output_path, replace_folder
from ..samplegen.params import SAMPLE_DIR
from ..sanitize import neutralize_frame
from ..tables.publish import tables_html
from ..tables.render import write_tables
from ..waves.study import Study
from .designs import (
    METHOD_LABELS,
    apply_weighting,
    design_from_wave,
    estimate_frame,
    read_wave,
    step_record,
)
from .html import render_report
from .manifest import digest, file_record, json_default, write_manifest
from .method import sources_html, weighting_html
from .published import published_shares, published_trend
from .pubtables import (
    CHART_TITLES,
    drivers_notes,
    drivers_summary,
    drivers_table,
    on_chart_scale,
    outcome_label,
    trend_changes_note,
    trend_changes_table,
    trend_title,
)
from .spec import StudySpec, WeightingStep

Progress = Callable[[str], None]


def sample_spec_path() -> Path:
    """The bundled sample study's spec (``data/sample/study.toml`` in the package).

    Returns
    -------
    Path
        Path of the sample spec.
    """
    return Path(SAMPLE_DIR) / "study.toml"


def print_progress(message: str) -> None:
    """Print a progress line on stderr (the default progress of :func:`run_report`).

    Parameters
    ----------
    message : str
        The line to print.
    """
    print(message, file=sys.stderr, flush=True)


@dataclass
class Section:
    """One part of the report: a heading, HTML fragments and charts, per language."""

    key: str
    title: dict[str, str]
    html: dict[str, str] = field(default_factory=dict)
    charts: list[tuple[str, Any]] = field(default_factory=list)  # (file stem, Chart)
    intro: dict[str, str] = field(default_factory=dict)  # per language: HTML before the charts
    after: dict[str, str] = field(default_factory=dict)  # per chart stem: HTML right after that chart


@dataclass
class Run:
    """Everything one pipeline run produced, before it is written."""

    spec: StudySpec
    designs: dict[str, Design] = field(default_factory=dict)
    numbers: dict[str, Any] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)
    inputs: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------------- steps


def load_waves(run: Run) -> None:
    """Read every wave and build its design (:func:`~citizensfirst.report.designs.design_from_wave`).

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.
    """
    for wave in run.spec.waves:
        survey = read_wave(wave, run.spec.source)
        run.inputs.append(Path(wave.file))
        codebook_file = sidecar_path(Path(wave.file))
        if codebook_file.exists():
            run.inputs.append(codebook_file)
        run.designs[wave.name] = design_from_wave(wave, survey, source=run.spec.source)


def weight_waves(run: Run) -> None:
    """Run each wave's weighting steps in order; any missed margin stops the run (exit 1).

    ``numbers["weighting"][wave]`` lists the steps (:func:`~citizensfirst.report.designs.step_record`),
    the last step's ``summary`` and every step's ``margins``.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.
    """
    spec = run.spec
    folder = Path(spec.source).parent if spec.source is not None else Path.cwd()
    section = Section("weighting", {"en": "Weighting", "fr": "Pondération"})
    numbers: dict[str, Any] = {}
    sources: dict[str, list[str]] = {lang: [] for lang in spec.languages}
    for wave in (w for w in spec.waves if w.weighting):
        steps: list[dict[str, Any]] = []
        run.inputs += [step.file for step in wave.weighting if step.file is not None]
        run.designs[wave.name] = apply_weighting(
            run.designs[wave.name], wave.weighting, where=f"{spec.source or 'spec'}: [waves.{wave.name}]",
            on_step=partial(_record_step, steps, folder))
        numbers[wave.name] = {"steps": steps, "summary": steps[-1]["summary"],
                              "margins": [dict(row, step=i, method=s["method"])
                                          for i, s in enumerate(steps, start=1) for row in s["margins"]]}
        for lang in spec.languages:
            section.html[lang] = section.html.get(lang, "") + "".join(
                weighting_html(f"{wave.name}, {METHOD_LABELS[step.method][lang]}", record, lang, sources[lang])
                for step, record in zip(wave.weighting, steps, strict=True))
    if numbers:
        for lang in spec.languages:  # each source cited once, after the waves that refer to it by number
            section.html[lang] += sources_html(sources[lang], lang)
        run.numbers["weighting"] = numbers
        run.sections.append(section)


def _record_step(records: list[dict[str, Any]], folder: Path, _: int, step: WeightingStep, design: Design) -> None:
    """Append the record of a finished step (a targets file relative to the spec's folder; a citation per language)."""
    label = _relative(step.file, folder) if step.file is not None else step.targets or ("inline" if step.margins else None)
    source = design.report.source
    records.append(step_record(step, design, label)
                   | ({} if source is None else {"citation": {lang: source.citation(lang) for lang in LANGUAGES}}))


def estimate(run: Run) -> None:
    """The spec's ``[[estimates]]``: ``numbers["estimates"][name]`` = the Estimate's table as records.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.

    Raises
    ------
    SpecError
        If an entry names a variable the wave's data lacks.
    """
    spec = run.spec
    numbers = {}
    for entry in spec.estimates:
        design = run.designs[spec.wave(entry.wave).name]
        _check_variables(design, [*entry.variables, *entry.by, *([entry.denominator] if entry.denominator else [])],
                         f"[[estimates]] {entry.name}", spec)
        numbers[entry.name] = _records(estimate_frame(design, entry))
    if numbers:
        run.numbers["estimates"] = numbers


def build_tables(run: Run) -> None:
    """Every spec table, in every language.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.

    Raises
    ------
    SpecError
        If a table names a variable the wave's data lacks.
    """
    spec = run.spec
    if not spec.tables:
        return
    section = Section("tables", {"en": "Tables", "fr": "Tableaux"})
    numbers = {}
    for table_spec in spec.tables:
        design = run.designs[spec.wave(table_spec.wave).name]
        rows = [table_spec.rows] if isinstance(table_spec.rows, str) else list(table_spec.rows)
        _check_variables(design, [*rows, *table_spec.cols, *([table_spec.value] if table_spec.value else [])],
                         f"[[tables]] {table_spec.name}", spec)
        for lang in spec.languages:
            if len(table_spec.cols) == 1:
                table = design.crosstab(table_spec.rows if isinstance(table_spec.rows, str) else rows,
                                        table_spec.cols[0], stat=table_spec.stat,
                                        value=table_spec.value, language=lang)
            else:
                table = design.banner(table_spec.rows if isinstance(table_spec.rows, str) else rows,
                                      list(table_spec.cols), stat=table_spec.stat,
                                      value=table_spec.value, language=lang)
            run.tables.append((f"{table_spec.name}.{lang}", table))
            section.html[lang] = tables_html([t for name, t in run.tables if name.endswith(f".{lang}")])
            if lang == spec.languages[0]:
                cells = table.cells.drop(columns=[c for c in ("row_label", "column_label") if c in table.cells])
                numbers[table_spec.name] = json.loads(cells.to_json(orient="records", double_precision=15))
    run.numbers["tables"] = numbers
    run.sections.append(section)


def analyse_drivers(run: Run, progress: Progress) -> None:
    """The driver analysis with replicate CIs, its importance and quadrant charts.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.
    progress : Progress
        Called with a line of text about the analysis.

    Raises
    ------
    SpecError
        If the outcome or a driver is not in the wave's data.
    """
    spec = run.spec
    if spec.drivers is None:
        return
    d = spec.drivers
    design = run.designs[spec.wave(d.wave).name]
    _check_variables(design, [*d.outcome, *d.drivers], "[drivers]", spec)
    progress(f"  drivers: {len(d.drivers)} drivers, {d.replicates} replicates")
    outcome = list(d.outcome) if len(d.outcome) > 1 else d.outcome[0]
    # d.method was checked against drivers.METHODS when the spec was read (StudySpec.from_toml);
    # drivers.analysis names no Literal type for it yet, so mypy cannot narrow the str
    result = design.drivers(outcome, list(d.drivers), method=d.method,  # type: ignore[arg-type]
                            replicates=d.replicates, seed=spec.seed)
    assert isinstance(result, DriverResult)  # one result: no by= domains
    try:
        quadrants: pd.DataFrame | None = importance_performance(result)
    except DataError as err:  # the drivers do not share one known scale: no quadrant
        warnings.warn(f"{spec.source or 'spec'}: [drivers]: {err}; the report shows no quadrant", stacklevel=2)
        quadrants = None
    run.numbers["drivers"] = {
        "r2": float(result.r2), "n": int(result.n), "table": _records(result.to_frame().reset_index()),
        "quadrants": None if quadrants is None else _records(quadrants.reset_index()),
    }
    section = Section("drivers", {"en": "What drives satisfaction", "fr": "Facteurs de satisfaction"})
    labels = _labels(design, [*d.outcome, *d.drivers])
    for lang in labels:  # the index of several items is named too (the quadrant's alt text names it)
        labels[lang][result.outcome] = outcome_label(d.outcome, labels[lang], lang)
    for lang in spec.languages:
        section.intro[lang] = drivers_summary(result, d.outcome, labels[lang], lang, bootstrap=not design.is_replicate)
        section.charts.append((f"drivers_importance.{lang}",
                               importance_chart(result, lang, CHART_TITLES["importance"][lang], labels=labels[lang])))
        if quadrants is not None:
            section.charts.append((f"drivers_quadrant.{lang}", quadrant_chart(
                result, "mean", lang, CHART_TITLES["quadrant"][lang], labels=labels[lang])))
        section.html[lang] = (
            drivers_table(result, labels[lang], None if quadrants is None else quadrants["quadrant"], lang)
            + drivers_notes(lang, performance=bool(result.table["performance"].notna().any()),
                            quadrant_refused=quadrants is None))
    run.sections.append(section)


def chart_latest_wave(run: Run) -> None:
    """Rating distributions and channels used vs preferred, for the latest wave.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.

    Raises
    ------
    SpecError
        If a charted variable is not in the latest wave's data.
    """
    spec = run.spec
    charts = spec.charts
    if not charts.distribution and not charts.channel_used:
        return
    wave = spec.latest_wave
    design = run.designs[wave.name]
    section = Section("ratings", {"en": f"Ratings and channels ({wave.name})",
                                  "fr": f"Cotes et modes de prestation ({wave.name})"})
    numbers: dict[str, Any] = {}
    if charts.distribution:
        _check_variables(design, list(charts.distribution), "[charts] distribution", spec)
        proportions = design.proportion(list(charts.distribution))
        numbers["distribution"] = _records(published_shares(proportions, design))
        for lang in spec.languages:
            labels = _labels(design, charts.distribution)[lang]
            shares = collapse_levels(proportions, labels=labels)
            section.charts.append((f"distribution.{lang}", distribution_chart(
                shares, lang, {"en": "How satisfied were people with each aspect of service?",
                               "fr": "Satisfaction à l'égard de chaque aspect du service"}[lang])))
    if charts.channel_used and charts.channel_preferred:
        _check_variables(design, [charts.channel_used, charts.channel_preferred], "[charts] channels", spec)
        used = published_shares(design.proportion(charts.channel_used), design).dropna(subset=["estimate"])
        preferred = published_shares(design.proportion(charts.channel_preferred), design).dropna(subset=["estimate"])
        numbers["channels"] = {"used": _records(used), "preferred": _records(preferred)}
        for lang in spec.languages:
            codebook = design.codebook
            channel_labels = (dict(codebook[charts.channel_used].value_labels_in(lang))
                              if codebook is not None else None)
            section.charts.append((f"channels.{lang}", channel_chart(
                channel_table(used, preferred, channel_labels), lang,
                {"en": "Service channel used and preferred", "fr": "Mode de prestation utilisé et préféré"}[lang])))
    run.numbers["latest_wave"] = numbers
    run.sections.append(section)


def follow_trends(run: Run) -> None:
    """Harmonise the waves into a Study and chart every trend on a 0-100 axis.

    Parameters
    ----------
    run : Run
        The run being built; this step adds to it in place.

    Raises
    ------
    SpecError
        If trends are asked for without a harmonisation file or a wave has no year.
    """
    spec = run.spec
    if not spec.trends:
        return
    if spec.harmonization is None:
        raise SpecError(f"{spec.source}: [[trends]] need a [harmonization] file")
    run.inputs.append(Path(spec.harmonization))
    years: dict[int | str, Design] = {}
    for wave in spec.waves:
        if wave.year is None:
            raise SpecError(f"{spec.source}: [waves.{wave.name}] needs a year for trends")
        years[wave.year] = run.designs[wave.name]
    study = Study(years, harmonization=spec.harmonization)
    section = Section("trends", {"en": "Trends", "fr": "Tendances"})
    numbers = {}
    for trend_spec in spec.trends:
        trend = study.trend(trend_spec.variable, stat=trend_spec.stat)
        estimates, changes = published_trend(trend.estimates, trend.changes)
        numbers[f"{trend_spec.variable}.{trend_spec.stat}"] = {
            "estimates": _records(estimates), "changes": _records(changes)}
        scale = (Scale.of(study.scale(trend_spec.variable), what=f"scale of {trend_spec.variable!r}")
                 if trend_spec.stat == "mean" else None)
        chart_data = _as_score(estimates, changes, trend_spec.stat, scale)
        for lang in spec.languages:
            title = trend_title(study.label(trend_spec.variable, lang), trend_spec.stat, lang)
            stem = f"trend_{trend_spec.variable}_{trend_spec.stat}.{lang}"
            section.charts.append((stem, trend_chart(chart_data, lang, title, statistic=trend_spec.stat)))
            section.after[stem] = trend_changes_table(changes, trend_spec.stat, scale, title, lang)
    section.html = {lang: trend_changes_note(lang) for lang in spec.languages}
    run.numbers["trends"] = numbers
    run.sections.append(section)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON records for numbers.json (15 significant digits)."""
    return json.loads(frame.to_json(orient="records", double_precision=15))


def _as_score(estimates: pd.DataFrame, changes: pd.DataFrame, stat: str, scale: Scale | None) -> pd.DataFrame:
    """Trend estimates on the chart's scale (0-100 score or percent) with the significant changes marked."""
    frame = on_chart_scale(estimates[["wave", "estimate", "ci_low", "ci_high"]], stat, scale,
                           levels=["estimate", "ci_low", "ci_high"])
    significant = dict(zip(changes["to_wave"], changes["significant"], strict=True))
    frame["significant_change"] = frame["wave"].map(significant).fillna(False).astype(bool)
    return frame


def _labels(design: Design, names: Any) -> dict[str, dict[str, str]]:
    codebook = design.codebook
    out: dict[str, dict[str, str]] = {"en": {}, "fr": {}}
    for name in names:
        for lang in ("en", "fr"):
            out[lang][name] = codebook[name].label_in(lang) if codebook is not None and name in codebook else name
    return out


def _check_variables(design: Design, names: list[str], where: str, spec: StudySpec) -> None:
    try:
        check_columns(design.data, names, "spec", str(spec.source or "spec"))
    except DataError as err:
        raise SpecError(f"{err} (in {where})") from None


# ---------------------------------------------------------------------------------- outputs


def spec_inputs(spec: StudySpec) -> list[Path]:
    """Every file a run of ``spec`` reads: the spec, each wave's data file and codebook sidecar, the
    targets files of its weighting steps and the harmonisation file (whether or not they exist yet).

    Parameters
    ----------
    spec : StudySpec
        The study spec.

    Returns
    -------
    list of Path
        The input files.
    """
    files = [Path(spec.source)] if spec.source is not None else []
    for wave in spec.waves:
        files += [Path(wave.file), sidecar_path(Path(wave.file))]
        files += [step.file for step in wave.weighting if step.file is not None]
    if spec.harmonization is not None:
        files.append(Path(spec.harmonization))
    return files


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to the folder ``start`` (POSIX), or absolute when there is no relative path."""
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(start))).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(os.path.abspath(path)).as_posix()


def write_outputs(run: Run, staging: Path, out: Path | None = None) -> dict[str, Any]:
    """Write every file of the run into ``staging`` (the future ``out``); return the manifest.

    Every path is checked to lie inside ``staging``. The manifest records the spec's path relative
    to ``out`` and the inputs' paths relative to the spec's folder, so that a project folder (spec,
    data and report) can be moved or sent to a reviewer and still be reproduced.

    Parameters
    ----------
    run : Run
        The finished run.
    staging : Path
        Folder written into.
    out : Path, optional
        The final output folder (default ``staging``), for the recorded relative paths.

    Returns
    -------
    dict
        The manifest written.
    """
    out = out or staging
    for folder in ("tables", "charts", "weighting"):
        output_path(staging, folder).mkdir(parents=True, exist_ok=True)
    if run.tables:
        write_tables([t for _, t in run.tables], output_path(staging, "tables.xlsx"),
                     sheet_names=[name[:31] for name, _ in run.tables])
        for name, table in run.tables:
            table.to_csv(output_path(staging, "tables", f"{name}.csv"))
    for wave, numbers in run.numbers.get("weighting", {}).items():
        atomic_write_text(output_path(staging, "weighting", f"{wave}.csv"),
                          neutralize_frame(pd.DataFrame(numbers["margins"])).to_csv(index=False))
    for section in run.sections:
        for stem, chart in section.charts:
            chart.save(output_path(staging, "charts", stem))
    for lang in run.spec.languages:
        name = "report.html" if lang == run.spec.languages[0] else f"report.{lang}.html"
        atomic_write_text(output_path(staging, name), render_report(run, lang))
    numbers_text = json.dumps(run.numbers, indent=1, sort_keys=True, default=json_default)
    atomic_write_text(output_path(staging, "numbers.json"), numbers_text)
    source = Path(run.spec.source) if run.spec.source is not None else None
    spec_folder = source.parent if source is not None else Path.cwd()
    return write_manifest(staging, {
        "spec": {"path": _relative(source, out) if source is not None else None,
                 "bundled_sample": source is not None and source.resolve() == sample_spec_path().resolve(),
                 "sha256": file_record(source)["sha256"] if source is not None else None,
                 "content": run.spec.raw},
        "inputs": [dict(file_record(p), path=_relative(p, spec_folder)) for p in _unique(run.inputs)],
        "seeds": {"study": run.spec.seed},
        "numbers_digest": digest(json.loads(numbers_text)),
    })


def _unique(paths: list[Path]) -> list[Path]:
    seen, out = set(), []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


def run_report(spec: StudySpec, out: str | Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Run the whole study; write ``out`` atomically; return the manifest.

    Parameters
    ----------
    spec : StudySpec
        The validated study spec.
    out : str or Path
        The output folder, replaced as a whole.
    progress : Progress, optional
        Called with a line of text at each step (default :func:`print_progress`).

    Returns
    -------
    dict
        The manifest written to ``out``.

    Raises
    ------
    OutputError
        Before any work when ``out`` may not be replaced (see
        :func:`citizensfirst.outputs.check_replaceable_output`).
    SpecError
        If the spec names variables or files the data do not have.
    """
    say = progress or print_progress
    inputs = spec_inputs(spec)
    out = check_replaceable_output(out, inputs)
    run = Run(spec)
    if spec.source is not None:
        run.inputs.append(Path(spec.source))
    steps: list[tuple[str, Callable[[], None]]] = [
        ("reading waves", lambda: load_waves(run)),
        ("weighting", lambda: weight_waves(run)),
        ("estimates", lambda: estimate(run)),
        ("tables", lambda: build_tables(run)),
        ("drivers", lambda: analyse_drivers(run, say)),
        ("charts of the latest wave", lambda: chart_latest_wave(run)),
        ("trends", lambda: follow_trends(run)),
    ]
    started = time.perf_counter()
    for i, (label, step) in enumerate(steps, start=1):
        say(f"[{i}/{len(steps) + 1}] {label}")
        step()
    say(f"[{len(steps) + 1}/{len(steps) + 1}] writing outputs")
    with replace_folder(out, inputs) as staging:
        manifest = write_outputs(run, staging, out)
    say(f"done in {time.perf_counter() - started:.1f} s: {out}")
    return manifest
