"""The documentation builds, is up to date with the code, and every example and link in it works.

* ``tools/build_docs.py`` writes the API reference (``docs/api/*.md``, one page per public module)
  and the CLI reference (``docs/cli.md``) without problems;
* the committed ``docs/api`` and ``docs/cli.md`` equal a fresh build (if not: run the tool);
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

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TOOL = ROOT / "tools" / "build_docs.py"
REGENERATE = "run `PYTHONPATH=src python tools/build_docs.py --out docs` and commit the result"
GUIDES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _build(out: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               MPLBACKEND="Agg")
    return subprocess.run([sys.executable, str(TOOL), "--out", str(out)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("docs")
    return out, _build(out)


def _modules() -> list[str]:
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


@pytest.mark.slow
def test_build_runs_cleanly(built: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, result = built
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower() and "traceback" not in result.stderr.lower(), result.stderr
    pages = {p.stem for p in (out / "api").glob("*.md")}
    missing = [m for m in _modules() if m not in pages]
    assert not missing, f"no API page for {missing}"
    assert "index" in pages
    cli = (out / "cli.md").read_text(encoding="utf-8")
    for command in ("describe", "weight", "report", "reproduce"):
        assert f"## citizensfirst {command}" in cli


@pytest.mark.slow
def test_build_is_deterministic(built: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    out, _ = built
    again = _build(tmp_path)
    assert again.returncode == 0, again.stderr
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.md")}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*.md")}
    assert first == second


@pytest.mark.slow
def test_committed_reference_is_up_to_date(built: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, result = built
    assert result.returncode == 0, result.stderr
    fresh = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8")
             for p in [out / "cli.md", *sorted((out / "api").glob("*.md"))]}
    committed = {p.relative_to(DOCS).as_posix(): p.read_text(encoding="utf-8")
                 for p in [DOCS / "cli.md", *sorted((DOCS / "api").glob("*.md"))] if p.exists()}
    stale = sorted(name for name in set(fresh) | set(committed) if fresh.get(name) != committed.get(name))
    assert not stale, f"docs out of date with the code ({', '.join(stale)}): {REGENERATE}"


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


def _links(path: Path) -> list[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text)


LINKED = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


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
