"""One schema for every TOML file (issue #13): types, ranges, key paths, "did you mean", JSON Schema."""

from __future__ import annotations

import json
import textwrap
import tomllib
from pathlib import Path

import jsonschema
import pytest

from citizensfirst.cli import main
from citizensfirst.design.setup import REPLICATE_METHODS
from citizensfirst.design.variance import LONELY_PSU_RULES
from citizensfirst.errors import CodebookError, HarmonizationError, SpecError
from citizensfirst.io.codebook import MEASURES, Codebook
from citizensfirst.report import spec as spec_module
from citizensfirst.report.spec import ReplicateSpec, StudySpec, WaveSpec, WeightingStep, parse_wave
from citizensfirst.spec.codebook import MEASURES as SCHEMA_MEASURES
from citizensfirst.spec.schemas import SCHEMA_KINDS, json_schema, reference_markdown, schema_text
from citizensfirst.spec.study import STEP_KEYS
from citizensfirst.waves import HarmonizationSpec
from citizensfirst.weighting import METHODS
from citizensfirst.weighting.shipped import SHIPPED_TARGETS
from citizensfirst.weighting.targets import from_toml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "docs" / "schema"

BASE = """
[study]
title = "T"
seed = 7

[waves.cf2023]
file = "cf2023.csv"
weights = "w"
"""

# (TOML that replaces or extends BASE, the key path the error must name, the value shown)
WRONG = [
    ('[study]\nseed = "seven"\n[waves.w]\nfile = "a.csv"\n', '[study].seed = "seven"', "must be an integer"),
    ('[study]\ntitle_fr = 5\n[waves.w]\nfile = "a.csv"\n', "[study].title_fr = 5", "must be a string"),
    (BASE + '[weighting]\ntargets = "canada_2021"\ntol = "1e-5"\n', '[weighting].tol = "1e-5"', "must be a number"),
    (BASE + '[weighting]\ntargets = "canada_2021"\nmax_iter = "100"\n', '[weighting].max_iter = "100"',
     "must be an integer"),
    (BASE + '[drivers]\noutcome = "y"\ndrivers = ["a", "b"]\nreplicates = "200"\n',
     '[drivers].replicates = "200"', "must be an integer"),
    (BASE + '[drivers]\noutcome = "y"\ndrivers = ["a", "b"]\nreplicates = 0\n', "[drivers].replicates = 0",
     "greater than or equal to 2"),
    (BASE + "[harmonization]\nfile = 123\n", "[harmonization].file = 123", "must be a string"),
    (BASE.replace('weights = "w"', 'weights = "w"\nnest = "false"'), '[waves.cf2023].nest = "false"',
     "must be true or false"),
    (BASE.replace('weights = "w"', 'weights = "w"\nyear = true'), "[waves.cf2023].year = true",
     "must be an integer"),
    (BASE + '[[weighting]]\ntargets = "canada_2021"\ntol = nan\n', "[[weighting]] #1 .tol = nan", "finite"),
    (BASE + '[[weighting]]\ntargets = "canada_2021"\ntol = 0.5\n', "[[weighting]] #1 .tol = 0.5",
     "less than or equal to 0.01"),
    (BASE + '[[weighting]]\ntargets = "canada_2021"\nmax_iter = 0\n', "[[weighting]] #1 .max_iter = 0",
     "greater than or equal to 1"),
    (BASE + '[[waves.cf2023.weighting]]\nmethod = "calibrate"\nmargins = {g = {1 = 0.5, 2 = 0.5}}\n'
            'bounds = [1.2, 2.0]\n', "[[waves.cf2023.weighting]] #1", "lower < 1 < upper"),
    (BASE + '[waves.cf2023.replicates]\ncolumns = ["r1", "r2"]\ntype = "fay"\nrho = 1.0\n',
     "[waves.cf2023.replicates].rho = 1.0", "less than 1"),
    (BASE + '[[estimates]]\nname = "q"\nstat = "quantile"\nvariables = "y"\nquantiles = [0.5, 1.5]\n',
     "[[estimates]] #1 .quantiles #2 = 1.5", "less than or equal to 1"),
    (BASE.replace('weights = "w"', 'weights = "w"\nfpc = [true]'), "[waves.cf2023].fpc #1 = true",
     "must be a string or a number"),
    (BASE.replace('weights = "w"', 'weights = "w"\nlonely_psu = "ajust"'), '[waves.cf2023].lonely_psu = "ajust"',
     "'adjust'"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "path", "problem"), WRONG)
def test_wrong_types_and_ranges_name_the_file_and_key_path(tmp_path: Path, text: str, path: str,
                                                           problem: str) -> None:
    spec = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        StudySpec.from_toml(spec)
    message = str(info.value)
    assert message.startswith(f"{spec}: {path}"), message
    assert problem in message, message


@pytest.mark.parametrize(("text", "path", "problem"), WRONG[:8])
def test_the_report_command_exits_2_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   text: str, path: str, problem: str) -> None:
    spec = _write(tmp_path, text)
    assert main(["report", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert path in err and problem in err
    assert not (tmp_path / "out").exists()


def test_nest_false_as_a_string_is_refused_not_read_as_true() -> None:
    doc = {"waves": {"w": {"file": "a.csv", "nest": "false"}}}
    with pytest.raises(SpecError, match=r'\[waves\.w\]\.nest = "false": must be true or false'):
        StudySpec.from_dict(doc)
    assert StudySpec.from_dict({"waves": {"w": {"file": "a.csv", "nest": False}}}).waves[0].nest is False


@pytest.mark.parametrize(("doc", "expected"), [
    ({"waves": {"w": {"file": "a.csv", "pus": "p"}}}, "[waves.w].pus: unknown key 'pus'; did you mean 'psu'?"),
    ({"waves": {"w": {"file": "a.csv"}}, "tables": [{"rows": "q", "cols": "g"}, {"rows": "q", "cols": "g",
                                                                                 "stats": "mean"}]},
     "[[tables]] #2 .stats: unknown key 'stats'; did you mean 'stat'?"),
    ({"wave": {"w": {"file": "a.csv"}}}, "wave: unknown key 'wave'; did you mean 'waves'?"),
    ({"waves": {"w": {"file": "a.csv", "replicates": {"colums": ["a", "b"], "type": "jk1"}}}},
     "[waves.w.replicates].colums: unknown key 'colums'; did you mean 'columns'?"),
])
def test_unknown_keys_get_did_you_mean(doc: dict, expected: str) -> None:
    with pytest.raises(SpecError) as info:
        StudySpec.from_dict(doc, source=Path("s.toml"))
    assert f"s.toml: {expected}" in str(info.value)


def test_several_problems_are_reported_together() -> None:
    doc = {"study": {"seed": "seven"}, "waves": {"w": {"file": "a.csv", "nest": "no"}}}
    lines = str(pytest.raises(SpecError, StudySpec.from_dict, doc).value).splitlines()
    assert lines == ['spec: [study].seed = "seven": must be an integer',
                     'spec: [waves.w].nest = "no": must be true or false (a TOML boolean, not a string)']


def test_a_missing_key_says_what_it_holds() -> None:
    with pytest.raises(SpecError) as info:
        StudySpec.from_dict({"waves": {"w": {"weights": "pw"}}}, source=Path("s.toml"))
    assert str(info.value) == "s.toml: [waves.w].file: is required (The wave's data file, relative to the spec.)"


def test_the_module_docstring_example_is_a_valid_spec() -> None:
    text = spec_module.__doc__.split("::\n", 1)[1].split("\n>>>", 1)[0]
    doc = tomllib.loads(textwrap.dedent(text))
    spec = StudySpec.from_dict(doc)
    assert [w.name for w in spec.waves] == ["cf2023", "cf2024"]
    assert [step.method for step in spec.waves[0].weighting] == ["rake", "trim"]
    assert spec.waves[1].replicates == ReplicateSpec((), "rep[0-9]+", "jk1")
    assert [e.message for e in _study_validator().iter_errors(doc)] == []


def test_cross_key_rules() -> None:
    cases = [
        ({"file": "a.csv", "weights": "w", "probs": "p"}, "give weights or probs, not both"),
        ({"file": "a.csv", "psu": "p", "replicates": {"pattern": "r.*", "type": "jk1"}}, "not both"),
        ({"file": "a.csv", "replicates": {"type": "jk1"}}, "exactly one of columns"),
        ({"file": "a.csv", "replicates": {"pattern": "r[", "type": "jk1"}}, "not a valid regular expression"),
        ({"file": "a.csv", "replicates": {"pattern": "r.*", "type": "fay"}}, "fay needs rho"),
        ({"file": "a.csv", "replicates": {"pattern": "r.*", "type": "jkn"}}, "needs rscales"),
        ({"file": "a.csv", "psu": "p", "fpc": ["f1", "f2"]}, "fpc has 2 stages but psu has 1"),
        ({"file": "a.csv", "weighting": {"method": "trim", "upper": 3.0, "tol": 1e-5}}, "takes no tol"),
        ({"file": "a.csv", "weighting": {"method": "rake"}}, "needs exactly one of targets"),
        ({"file": "a.csv", "weighting": {"method": "rake", "targets": "canada_2021", "file": "t.toml"}},
         "got targets, file"),
        ({"file": "a.csv", "weighting": {"method": "poststratify", "margins": {"g": {"1": 5.0}}}}, "needs cells"),
        ({"file": "a.csv", "weighting": {"method": "trim", "lower": 3.0, "upper": 2.0}}, "below upper"),
        ({"file": "a.csv", "weighting": {"targets": "canada_2022"}}, "must be a shipped target set"),
    ]
    for wave, problem in cases:
        with pytest.raises(SpecError, match=r"\[waves\.w") as info:
            StudySpec.from_dict({"waves": {"w": wave}})
        assert problem in str(info.value), (wave, str(info.value))


def test_names_that_become_files_are_safe_and_distinct_ignoring_case() -> None:
    with pytest.raises(SpecError, match=r"\[waves\.\"\.\./w\"\]: name '\.\./w' is not a safe name"):
        StudySpec.from_dict({"waves": {"../w": {"file": "a.csv"}}})
    with pytest.raises(SpecError, match="'W1' and 'w1' would write the same files"):
        StudySpec.from_dict({"waves": {"W1": {"file": "a.csv"}, "w1": {"file": "b.csv"}}})
    estimates = [{"name": "m", "stat": "mean", "variables": "y"}, {"name": "M", "stat": "total", "variables": "y"}]
    with pytest.raises(SpecError, match=r"\[\[estimates\]\] names 'm' and 'M' would write the same files"):
        StudySpec.from_dict({"waves": {"w": {"file": "a.csv"}}, "estimates": estimates})
    with pytest.raises(SpecError, match=r"\[\[estimates\]\] #1 \.name = 'a/b'|not a safe name"):
        StudySpec.from_dict({"waves": {"w": {"file": "a.csv"}},
                             "estimates": [{"name": "a/b", "stat": "mean", "variables": "y"}]})
    with pytest.raises(SpecError, match=r"\[\[estimates\]\] #1 \.wave = 'zz': no wave has that name"):
        StudySpec.from_dict({"waves": {"w": {"file": "a.csv"}},
                             "estimates": [{"name": "m", "stat": "mean", "variables": "y", "wave": "zz"}]})


DESIGNS = """
[study]
title = "designs"

[waves.apistrat]                    # stratified, fpc as population counts
file = "data/apistrat.csv"
year = 2000
weights = "pw"
strata = "stype"
fpc = "fpc"

[waves.apiclus2]                    # two stages, fpc at each
file = "data/apiclus2.csv"
year = 2001
psu = ["dnum", "snum"]
fpc = ["fpc1", "fpc2"]
lonely_psu = "adjust"

[waves.jk1]                         # replicate weights by column list
file = "data/apiclus1_jk1.csv"
weights = "pw"
[waves.jk1.replicates]
columns = ["rw1", "rw2", "rw3"]
type = "jk1"
mse = true
combined = false

[waves.nhanes]                      # strata and clusters, nested
file = "/abs/nhanes.csv"
year = 2002
weights = "WTMEC2YR"
strata = "SDMVSTRA"
psu = "SDMVPSU"
nest = true

[waves.fay]
file = "data/fay.csv"
[waves.fay.replicates]
pattern = "repw[0-9]+"
type = "fay"
rho = 0.5
rscales = 1.0
scale = 0.25

[[waves.nhanes.weighting]]
method = "poststratify"
cells = ["RIAGENDR", "agecat"]
margins = { "1|1" = 100.0, "1|2" = 120.0, "2|1" = 110.0, "2|2" = 130.0 }

[[waves.nhanes.weighting]]
method = "trim"
upper = 3.5
relative = true
strict = true
redistribute = "proportional"

[[weighting]]
method = "rake"
targets = "canada_2021"
variables = ["province", "gender"]
tol = 1e-9
max_iter = 50
bounds = [0.5, 2.0]

[[weighting]]
method = "calibrate"
file = "targets.toml"
distance = "logit"
bounds = [0.3, 3]

[[estimates]]
name = "api_ratio"
wave = "apistrat"
stat = "ratio"
variables = "api00"
denominator = "api99"

[[estimates]]
name = "api_q"
stat = "quantile"
variables = ["api00"]
by = "stype"
quantiles = [0.25, 0.5]
"""


def test_every_design_and_weighting_step_parses_into_the_interface(tmp_path: Path) -> None:
    spec = StudySpec.from_toml(_write(tmp_path, DESIGNS))
    apistrat, apiclus2, jk1, nhanes, fay = spec.waves
    default = (
        WeightingStep("rake", targets="canada_2021", variables=("province", "gender"),
                      options={"tol": 1e-9, "max_iter": 50, "bounds": (0.5, 2.0)}),
        WeightingStep("calibrate", file=tmp_path / "targets.toml",
                      options={"method": "logit", "bounds": (0.3, 3.0)}),
    )
    assert apistrat == WaveSpec("apistrat", tmp_path / "data/apistrat.csv", 2000, weights="pw",
                                strata=("stype",), fpc=("fpc",), weighting=default)
    assert apiclus2 == WaveSpec("apiclus2", tmp_path / "data/apiclus2.csv", 2001, psu=("dnum", "snum"),
                                fpc=("fpc1", "fpc2"), lonely_psu="adjust", weighting=default)
    assert jk1.replicates == ReplicateSpec(("rw1", "rw2", "rw3"), None, "jk1", mse=True, combined=False)
    assert (jk1.strata, jk1.psu, jk1.weighting) == ((), (), default)
    assert nhanes.file == Path("/abs/nhanes.csv") and nhanes.nest is True
    assert (nhanes.strata, nhanes.psu, nhanes.weights) == (("SDMVSTRA",), ("SDMVPSU",), "WTMEC2YR")
    assert nhanes.weighting == (
        WeightingStep("poststratify", cells=("RIAGENDR", "agecat"),
                      margins={"1|1": 100.0, "1|2": 120.0, "2|1": 110.0, "2|2": 130.0}),
        WeightingStep("trim", options={"upper": 3.5, "relative": True, "strict": True,
                                       "redistribute": "proportional"}),
    )
    assert fay.replicates == ReplicateSpec((), "repw[0-9]+", "fay", scale=0.25, rscales=(1.0,), rho=0.5)
    assert spec.latest_wave.name == "nhanes"
    assert [(e.name, e.wave, e.stat, e.variables, e.by, e.quantiles, e.denominator) for e in spec.estimates] == [
        ("api_ratio", "apistrat", "ratio", ("api00",), (), (), "api99"),
        ("api_q", None, "quantile", ("api00",), ("stype",), (0.25, 0.5), None),
    ]


def test_a_single_weighting_table_is_one_step_and_old_target_paths_become_files(tmp_path: Path) -> None:
    text = BASE + '[weighting]\ntargets = "out/targets.toml"\ntol = 1e-8\n'
    (wave,) = StudySpec.from_toml(_write(tmp_path, text)).waves
    assert wave.weighting == (WeightingStep("rake", file=tmp_path / "out/targets.toml", options={"tol": 1e-8}),)
    assert StudySpec.from_toml(_write(tmp_path, BASE)).waves[0].weighting == ()


def test_parse_wave_applies_the_same_rules() -> None:
    wave = parse_wave("api", {"file": "api.csv", "psu": ["dnum", "snum"], "fpc": ["fpc1", 0.05]},
                      base=Path("/data"))
    assert (wave.file, wave.psu, wave.fpc) == (Path("/data/api.csv"), ("dnum", "snum"), ("fpc1", 0.05))
    with pytest.raises(SpecError, match=r'^--options: \[waves\.api\]\.nest = "yes"'):
        parse_wave("api", {"file": "api.csv", "nest": "yes"}, source="--options")


def test_choices_come_from_the_registries() -> None:
    assert set(STEP_KEYS) == set(METHODS)
    assert SCHEMA_MEASURES is MEASURES  # one list, read by the codebook and the schema
    schema = json_schema("study")["$defs"]
    assert schema["WaveTable"]["properties"]["lonely_psu"]["enum"] == list(LONELY_PSU_RULES)
    assert schema["ReplicatesTable"]["properties"]["type"]["enum"] == list(REPLICATE_METHODS)
    assert schema["StepTable"]["properties"]["method"]["enum"] == list(METHODS)
    assert schema["StepTable"]["properties"]["targets"]["anyOf"][0]["enum"] == sorted(SHIPPED_TARGETS)
    for name in SHIPPED_TARGETS:
        step = StudySpec.from_dict({"waves": {"w": {"file": "a.csv"}},
                                    "weighting": {"targets": name, "variables": ["x"]}}).waves[0].weighting[0]
        assert step.targets == name


# --- the other readers: codebook sidecar, harmonisation, targets ----------------------------------


def test_codebook_reader_errors_come_from_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "cf.codebook.toml"
    for text, expected in [
        ('[variables.q]\nscale = "one to five"\n', '[variables.q].scale = "one to five": must be a list'),
        ('[variables.q]\nlabel_fr = 5\n', "[variables.q].label_fr = 5: must be a string"),
        ('[variables.q]\nmesure = "ordinal"\n', "[variables.q].mesure: unknown key 'mesure'; did you mean 'measure'?"),
        ('[variables.q]\nmissing_ranges = [[90, "x"]]\n', '[variables.q].missing_ranges #1 #2 = "x": must be a number'),
        ('[survey]\ntitel = "x"\n', "[survey].titel: unknown key 'titel'; did you mean 'title'?"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CodebookError) as info:
            Codebook.from_toml(path)
        assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)


def test_harmonization_reader_errors_come_from_the_schema() -> None:
    for text, expected in [
        ("waves = [2018, true]\n[variables.q]\nscale = [1, 5]\n", "waves #2 = true: must be an integer or a string"),
        ("[variables.q]\nstrict = \"no\"\n", '[variables.q].strict = "no": must be true or false'),
        ("[variables.q]\nlabl = \"x\"\n", "[variables.q].labl: unknown key 'labl'; did you mean 'label'?"),
        ("[variables.q]\n2020 = { missing = [\"dk\"] }\n", '[variables.q.2020].missing #1 = "dk": must be a number'),
        ("[variables.q]\n2020 = { recode = { 1 = \"five\" } }\n",
         '[variables.q.2020.recode].1 = "five": must be a number or nan'),
        ("[variables.q]\n2020 = { recode = { x = 1 } }\n", "[variables.q.2020.recode].x: code 'x' is not a number"),
        ("[variables.q]\n2020 = { absent = 1 }\n", "[variables.q.2020].absent = 1: must be true or false"),
        ("title = 3\n[variables.q]\n", "title = 3: must be a string"),
    ]:
        with pytest.raises(HarmonizationError) as info:
            HarmonizationSpec.loads(text, source="h.toml")
        assert str(info.value).startswith(f"h.toml: {expected}"), str(info.value)


def test_targets_reader_errors_come_from_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    for text, expected in [
        ('[margins.prov]\n10 = "lots"\n', '[margins.prov].10 = "lots": must be a number'),
        ("total = true\n[margins.g]\n1 = 1\n", "total = true: must be a number"),
        ("[margins.g]\n1 = 0.5\n2 = 0.5\ntotal = 0\n", "[margins.g].total = 0: must be greater than 0"),
        ("[margin.g]\n1 = 1\n", "margin: unknown key 'margin'; did you mean 'margins'?"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(SpecError) as info:
            from_toml(path)
        assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)


# --- JSON Schema and the reference page ---------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SCHEMA_KINDS))
def test_committed_json_schemas_are_up_to_date(kind: str) -> None:
    committed = (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(kind), "regenerate: citizensfirst.spec.schemas.write_schemas('docs/schema')"
    jsonschema.Draft202012Validator.check_schema(json.loads(committed))


def test_committed_reference_page_is_up_to_date() -> None:
    page = (ROOT / "docs" / "spec-reference.md").read_text(encoding="utf-8")
    assert page == reference_markdown(), "regenerate docs/spec-reference.md from reference_markdown()"
    for model in SCHEMA_KINDS.values():
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no description"
            assert f"| `{info.alias or name}` |" in page


def _study_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMA_DIR / "study.schema.json").read_text("utf-8")))


def _example_specs() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.toml")) + [ROOT / "data" / "sample" / "study.toml"]


@pytest.mark.parametrize("path", _example_specs(), ids=lambda p: p.name)
def test_example_specs_validate_against_the_committed_json_schema(path: Path) -> None:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [e.message for e in _study_validator().iter_errors(doc)] == []
    StudySpec.from_dict(doc, base=path.parent, source=path)  # and the library agrees


def test_test_specs_validate_against_the_json_schema_and_wrong_ones_do_not(tmp_path: Path) -> None:
    validator = _study_validator()
    for text in (DESIGNS, BASE, BASE + '[weighting]\ntargets = "canada_2021"\n'):
        assert [e.message for e in validator.iter_errors(tomllib.loads(text))] == []
    for text, _, problem in WRONG:  # JSON Schema cannot say "finite" (nan passes every bound) or lo < 1 < hi
        if "finite" not in problem and "lower < 1" not in problem:
            assert list(validator.iter_errors(tomllib.loads(text))), text
    codebook = jsonschema.Draft202012Validator(json_schema("codebook"))
    sidecar = tomllib.loads(Codebook.from_toml(_sidecar(tmp_path)).to_toml())
    assert [e.message for e in codebook.iter_errors(sidecar)] == []
    assert list(codebook.iter_errors({"variables": {"q": {"measure": "interval"}}}))


def _sidecar(tmp_path: Path) -> Path:
    path = tmp_path / "cb.toml"
    path.write_text('[survey]\ntitle = "S"\n[variables.q]\nlabel = "Q"\nmeasure = "ordinal"\nscale = [1, 5]\n'
                    'missing = { 9 = "Refused" }\nmissing_ranges = [[90, 99]]\n'
                    '[mr_sets.ch]\nvariables = ["a", "b"]\ncounted_value = 1\n', encoding="utf-8")
    return path
