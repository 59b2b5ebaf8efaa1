"""The package's shape: imports point down, modules keep to their own private names, short modules.

Walks every module of ``src/citizensfirst`` with :mod:`ast` (imports inside functions included,
imports under ``if TYPE_CHECKING:`` excluded, since they never run) and checks:

* no import cycle between modules;
* no ``from .x import _private`` of another module's private name;
* no ``obj._attr`` read of another object's private attribute (``self``/``cls`` excepted, and
  dunder or protocol names such as ``_repr_html_`` or a namedtuple's ``_replace``);
* no module over 600 lines.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "citizensfirst"
ROOT = "citizensfirst"
MAX_LINES = 600
#: Names starting with "_" that are public protocols, not private attributes.
PROTOCOL_NAMES = {"_repr_html_", "_asdict", "_replace", "_fields", "_make", "_ipython_display_"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((ROOT, *parts))


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = _modules()


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _walk_runtime(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, except what sits under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not _is_type_checking(child):
                stack.append(child)


def _base(module: str, path: Path, level: int) -> str:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    return ".".join(parts[: len(parts) - level + 1])


def _imports(module: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every runtime import of ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in _walk_runtime(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = _base(module, path, node.level)
                target = f"{base}.{target}" if target else base
            if not (target == ROOT or target.startswith(ROOT + ".")):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:
                    yield sub, None, node.lineno
                else:
                    yield target, alias.name, node.lineno


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _name, _line in _imports(module, path):
            if target != module and target in MODULES:
                graph[module].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(graph) | {n for targets in graph.values() for n in targets}):
        if node not in index:
            visit(node)
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_the_walk_sees_the_package() -> None:
    assert "citizensfirst.design.facade" in MODULES and len(MODULES) > 50
    graph = _graph()
    # an import inside a function is an edge too
    assert "citizensfirst.estimation.estimators" in graph["citizensfirst.design.estimating"]


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = {"citizensfirst.errors": {"citizensfirst.i18n"}, "citizensfirst.i18n": {"citizensfirst.errors"}}
    assert _cycles(graph) == [["citizensfirst.errors", "citizensfirst.i18n"]]


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_no_private_names_imported_from_another_module() -> None:
    crossing = [f"{module}:{line} imports {name} from {target}"
                for module, path in MODULES.items()
                for target, name, line in _imports(module, path)
                if name is not None and _private(name) and target != module]
    assert crossing == []


def test_no_reads_of_another_objects_private_attributes() -> None:
    reads = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and _private(node.attr)
                    and node.attr not in PROTOCOL_NAMES
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                reads.append(f"{module}:{node.lineno} {ast.unparse(node)}")
    assert reads == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_at_most_600_lines(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module}: {lines} lines; split it by job"
