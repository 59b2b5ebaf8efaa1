"""Registries instead of chains (issue #11 item 6): the command table, the CLI choices read from
the library's registries, and the chart types by name."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import citizensfirst.drivers as drivers_package
import citizensfirst.tables as tables_package
from citizensfirst import charts, i18n
from citizensfirst.charts import CHART_TYPES, ChartType, chart_function, chart_names
from citizensfirst.cli import COMMANDS, build_parser, main
from citizensfirst.design import setup as design_setup
from citizensfirst.design import variance
from citizensfirst.errors import SpecError
from citizensfirst.io import formats
from citizensfirst.samplegen import sample_path

#: Every option with ``choices``: (command, dest) -> (module, name of its registry there).
REGISTRIES = {
    ("describe", "lang"): (i18n, "LANGUAGES"),
    ("weight", "lonely_psu"): (variance, "LONELY_PSU_RULES"),
    ("drivers", "lonely_psu"): (variance, "LONELY_PSU_RULES"),
    ("drivers", "method"): (drivers_package, "METHODS"),
    ("drivers", "lang"): (i18n, "LANGUAGES"),
    ("tables", "lonely_psu"): (variance, "LONELY_PSU_RULES"),
    ("tables", "stat"): (tables_package, "STATS"),
    ("tables", "adjust"): (tables_package, "ADJUSTMENTS"),
    ("tables", "lang"): (i18n, "LANGUAGES"),
    ("weight", "replicate_type"): (design_setup, "REPLICATE_METHODS"),
    ("drivers", "replicate_type"): (design_setup, "REPLICATE_METHODS"),
    ("tables", "replicate_type"): (design_setup, "REPLICATE_METHODS"),
}
#: Choices computed by a registry function rather than held in a constant.
COMPUTED = {("drivers", "charts"): lambda: chart_names("drivers")}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _action(command: str, dest: str, parser: argparse.ArgumentParser | None = None) -> argparse.Action:
    sub = _subparsers(parser or build_parser())[command]
    return next(a for a in sub._actions if a.dest == dest)


def test_the_parser_has_exactly_the_commands_of_the_table_with_their_help_and_handler() -> None:
    parser = build_parser()
    subs = _subparsers(parser)
    assert list(subs) == list(COMMANDS)
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    for name, command in COMMANDS.items():
        assert helps[name] == command.help
        assert subs[name].get_default("handler") is command.run


def test_every_choices_option_is_read_from_a_library_registry() -> None:
    found = {}
    for name, sub in _subparsers(build_parser()).items():
        for action in sub._actions:
            if action.choices is not None:
                found[(name, action.dest)] = tuple(action.choices)
    assert set(found) == set(REGISTRIES) | set(COMPUTED), "a choices= list not tied to a registry"
    for key, (module, attr) in REGISTRIES.items():
        assert found[key] == tuple(getattr(module, attr)), key
    for key, registry in COMPUTED.items():
        assert found[key] == tuple(registry()), key


def test_the_registries_are_what_the_library_validates_against() -> None:
    """The CLI's registries are the lists the library itself accepts (not look-alike copies)."""
    from citizensfirst.drivers import analysis

    assert drivers_package.METHODS is analysis.METHODS
    assert tables_package.STATS is tables_package.build.STATS


@pytest.mark.parametrize("key", sorted(REGISTRIES))
def test_a_choice_added_to_the_library_shows_up_in_the_cli(monkeypatch, key) -> None:
    module, attr = REGISTRIES[key]
    monkeypatch.setattr(module, attr, (*getattr(module, attr), "added_by_test"))
    assert "added_by_test" in _action(*key).choices


def test_a_chart_type_added_to_the_registry_is_offered_by_the_drivers_command(monkeypatch) -> None:
    monkeypatch.setattr(charts, "CHART_TYPES", {**CHART_TYPES, "bubbles": ChartType(lambda *a, **k: None,
                                                                                      "drivers")})
    action = _action("drivers", "charts")
    assert "bubbles" in action.choices
    assert "bubbles" in action.default


def test_file_format_help_lists_the_io_registries(monkeypatch) -> None:
    parser = build_parser()
    for command in ("describe", "weight", "drivers", "tables"):
        help_text = _action(command, "file", parser).help
        assert all(suffix in help_text for suffix in formats.READ_FORMATS), command
    assert all(suffix in _action("weight", "out", parser).help for suffix in formats.WRITE_FORMATS)
    monkeypatch.setattr(formats, "READ_FORMATS", {**formats.READ_FORMATS, ".feather": "Feather"})
    monkeypatch.setattr(formats, "WRITE_FORMATS", (*formats.WRITE_FORMATS, ".feather"))
    assert ".feather" in _action("tables", "file").help
    assert ".feather" in _action("weight", "out").help


def test_lonely_psu_defaults_keep_each_commands_behaviour() -> None:
    parser = build_parser()
    assert _action("weight", "lonely_psu", parser).default == "adjust"
    assert _action("tables", "lonely_psu", parser).default == "fail"
    assert _action("drivers", "lonely_psu", parser).default == "fail"


def _lonely_psu_file(folder: Path) -> Path:
    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame({
        "stratum": np.repeat([1, 2, 3], [30, 28, 2]),
        "psu": np.r_[np.repeat(np.arange(1, 7), 5), np.repeat(np.arange(7, 14), 4), [99, 99]],  # 3: one PSU
        "q": rng.integers(1, 6, n),
        "g": rng.integers(1, 3, n),
    })
    path = folder / "lonely.csv"
    frame.to_csv(path, index=False)
    return path


def test_lonely_psu_option_reaches_the_design(tmp_path, capsys) -> None:
    data = _lonely_psu_file(tmp_path)
    common = ["tables", str(data), "--rows", "q", "--cols", "g", "--stat", "mean",
              "--strata", "stratum", "--psu", "psu"]
    assert main([*common, "--out", str(tmp_path / "fail.xlsx")]) == 2  # the default rule refuses
    assert "lonely" in capsys.readouterr().err.lower()
    assert not (tmp_path / "fail.xlsx").exists()
    assert main([*common, "--lonely-psu", "adjust", "--out", str(tmp_path / "adjust.xlsx")]) == 0
    assert (tmp_path / "adjust.xlsx").is_file()


def test_chart_registry_maps_names_to_the_chart_functions() -> None:
    assert chart_function("trend") is charts.trend_chart
    assert chart_function("distribution") is charts.distribution_chart
    assert chart_function("importance") is charts.importance_chart
    assert chart_function("quadrant") is charts.quadrant_chart
    assert chart_function("channels") is charts.channel_chart
    assert chart_names("drivers") == ("importance", "quadrant")
    assert set(chart_names()) == set(CHART_TYPES)


def test_unknown_chart_type_is_a_clear_error() -> None:
    with pytest.raises(SpecError, match="unknown chart type 'pie'.*trend.*quadrant"):
        chart_function("pie")


def test_drivers_command_draws_only_the_charts_asked_for(tmp_path) -> None:
    out = tmp_path / "drivers"
    code = main(["drivers", str(sample_path("cf2023")), "--outcome", "q_overall", "--drivers",
                 "q_time", "q_outcome", "--weights", "wt_design", "--replicates", "0",
                 "--charts", "quadrant", "--lang", "fr", "--out", str(out)])
    assert code == 0
    assert (out / "quadrant.fr.png").is_file()
    assert (out / "quadrant.fr.txt").read_text(encoding="utf-8").strip()
    assert not list(out.glob("importance.*"))
    assert not list(out.glob("*.en.*"))
