"""Every public callable has a numpydoc docstring documenting its parameters and what it returns.

The checks (GL08, PR01, PR02, RT01) and the names left out (private ones) are configured in
pyproject.toml under ``[tool.numpydoc_validation]``; this runs numpydoc's own linter over the
package, as a pre-commit hook would.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FINDING = re.compile(r".+\.py:\d+: [A-Z]{2}\d{2} ")  # "path.py:12: PR01 Parameters ... not documented"
FILES = sorted(str(p) for p in (ROOT / "src" / "citizensfirst").rglob("*.py"))


@pytest.mark.slow
def test_public_callables_have_numpydoc_docstrings() -> None:
    run = subprocess.run([sys.executable, "-m", "numpydoc", "lint", "--config", str(ROOT), *FILES],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    output = (run.stdout + run.stderr).splitlines()
    findings = [line for line in output if FINDING.match(line)]
    assert findings == [], "\n".join(findings[:40])
    assert run.returncode == 0, "\n".join(output[-40:])
