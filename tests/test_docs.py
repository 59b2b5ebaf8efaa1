"""The documentation site builds without a warning, covers the code, and every example and link
in it works.

* ``sphinx-build -W --keep-going -b html docs <tmp>`` succeeds: the MyST guides, the notebooks,
  the API reference (autosummary walks the package, so every public module gets a page) and the
  command-line reference (rendered from the argparse parser) with warnings as errors;
* every fenced ```python block of each ``docs/*.md`` runs, in order, in one fresh namespace per
  file, with a temporary folder as the working directory;
* every relative link in ``docs/**/*.md`` and ``README.md`` points to an existing file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from citizensfirst.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDES = sorted(DOCS.glob("*.md"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _public_modules() -> list[str]:
    """Every module of the package whose dotted name has no part starting with ``_``."""
    package = ROOT / "src" / "citizensfirst"
    names = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts):
            continue
        names.append(".".join(parts))
    return sorted(names)


def _subcommands() -> list[str]:
    parser = build_parser()
    return [name for action in parser._actions if hasattr(action, "choices") and action.choices
            and action.dest == "command" for name in action.choices]


@pytest.mark.slow
def test_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    out = tmp_path / "html"
    env = dict(os.environ, MPLBACKEND="Agg")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr[-6000:]}"
    assert "WARNING" not in result.stderr, result.stderr

    for guide in GUIDES:  # every markdown guide is a page
        assert (out / guide.with_suffix(".html").name).is_file(), guide.name
    for notebook in NOTEBOOKS:  # every notebook is rendered
        page = out / "notebooks" / notebook.with_suffix(".html").name
        assert page.is_file(), notebook.name
    pages = {p.stem for p in (out / "api" / "generated").glob("*.html")}
    missing = [m for m in _public_modules() if m not in pages]
    assert not missing, f"no API page for {missing}"

    design = (out / "api" / "generated" / "citizensfirst.html").read_text(encoding="utf-8")
    assert "design-based analysis" in design.lower()  # the package docstring is rendered

    cli = (out / "cli.html").read_text(encoding="utf-8")
    commands = _subcommands()
    assert {"describe", "weight", "tables", "drivers", "report", "reproduce"} <= set(commands)
    for command in commands:  # a section (the anchor the guides link to) per subcommand
        assert f'id="citizensfirst-{command}"' in cli, command
    assert "CheckError" in cli and 'id="exit-codes"' in cli
    print(f"docs built in {seconds:.1f} s")


def _python_blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(2)) for m in FENCE.finditer(text)
            if m.group(1) == "python"]


WITH_EXAMPLES = [p for p in GUIDES if _python_blocks(p)]


def test_the_guides_have_examples() -> None:
    assert len(WITH_EXAMPLES) >= 8


@pytest.mark.slow
@pytest.mark.parametrize("path", WITH_EXAMPLES, ids=[p.name for p in WITH_EXAMPLES])
def test_python_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = _python_blocks(path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict[str, object] = {"__name__": "__docs__"}
    started = time.perf_counter()
    for line, source in blocks:
        code = compile(source, f"{path.name}:{line}", "exec")
        try:
            exec(code, namespace)
        except Exception as err:  # report the file and line of the failing block
            pytest.fail(f"{path.name}, block at line {line}: {type(err).__name__}: {err}")
    import matplotlib.pyplot as plt

    plt.close("all")
    assert time.perf_counter() - started < 20, f"{path.name}: examples are too slow"


def test_every_guide_exists() -> None:
    names = {p.name for p in GUIDES}
    for name in ("index.md", "getting-started.md", "guide-reading.md", "guide-designs.md",
                 "guide-weighting.md", "guide-estimation.md", "guide-drivers.md",
                 "guide-tables-charts.md", "guide-report.md", "cli.md", "methods.md", "waves.md"):
        assert name in names
    assert (DOCS / "conf.py").is_file() and (DOCS / "api" / "index.md").is_file()


def _links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


LINKED = [ROOT / "README.md",
          *sorted(p for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_"))]


@pytest.mark.parametrize("path", LINKED, ids=[p.relative_to(ROOT).as_posix() for p in LINKED])
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for target in _links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # absolute URL, mailto:, or an anchor on the same page
        file = target.split("#", 1)[0]
        if not (path.parent / file).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(ROOT)}: broken links {broken}"
