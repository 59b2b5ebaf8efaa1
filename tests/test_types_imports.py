"""Typed package, imports at module top, and spec values checked where the spec is read (issue #11)."""

from __future__ import annotations

import ast
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from citizensfirst.drivers.analysis import METHODS
from citizensfirst.errors import SpecError
from citizensfirst.report.spec import StudySpec

SRC = Path(__file__).resolve().parents[1] / "src" / "citizensfirst"

# Subpackages and modules whose function-level imports of our own modules were moved to the top
# (wave 3, helper M1). Widen to the whole package once every layer has moved its imports.
TOP_IMPORT_PATHS = tuple(sorted(p.name for p in SRC.iterdir() if p.suffix == ".py" or
                                (p.is_dir() and (p / "__init__.py").is_file())))


def _own_imports_inside_functions(path: Path, root: Path = SRC) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            own = (isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith(
                "citizensfirst"))) or (isinstance(node, ast.Import) and any(
                    alias.name.startswith("citizensfirst") for alias in node.names))
            if own:
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} in {func.name}()")
    return found


@pytest.mark.parametrize("name", TOP_IMPORT_PATHS)
def test_no_imports_of_our_modules_inside_functions(name: str) -> None:
    target = SRC / name
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
    assert files
    assert [hit for f in files for hit in _own_imports_inside_functions(f)] == []


def test_the_import_finder_sees_a_function_level_import(tmp_path: Path) -> None:
    module = tmp_path / "fake.py"
    module.write_text("import numpy\n\n\ndef f():\n    import math\n    from .design.facade import Design\n"
                      "    import citizensfirst.io\n    return Design\n", encoding="utf-8")
    assert _own_imports_inside_functions(module, tmp_path) == ["fake.py:6 in f()", "fake.py:7 in f()"]


def test_py_typed_is_in_the_package_and_in_its_package_data() -> None:
    assert resources.files("citizensfirst").joinpath("py.typed").is_file()
    pyproject = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["citizensfirst"]


def _spec(method: str) -> dict[str, object]:
    return {"waves": {"w": {"file": "a.sav"}},
            "drivers": {"outcome": "overall", "drivers": ["q1", "q2"], "method": method}}


def test_spec_refuses_an_unknown_driver_method_when_read() -> None:
    with pytest.raises(SpecError, match=r"\[drivers\]\.method = \"nonsense\": must be 'shapley'"):
        StudySpec.from_dict(_spec("nonsense"), source=Path("study.toml"))


@pytest.mark.parametrize("method", METHODS)
def test_spec_keeps_every_driver_method(method: str) -> None:
    spec = StudySpec.from_dict(_spec(method))
    assert spec.drivers is not None and spec.drivers.method == method
