"""``import citizensfirst`` stays light (issue #14, point 6): public names load on first access.

Not a timed test (speed is measured by ``benchmarks/bench_import.py``): each check runs in a
fresh interpreter and asserts which heavy libraries end up in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import citizensfirst as cf

# libraries that take a noticeable part of a second to import, none needed to import the package
HEAVY = ("scipy.stats", "statsmodels", "matplotlib", "pyarrow", "pyreadstat", "openpyxl", "pydantic",
         "patsy", "formulaic")


def _loaded_after(code: str) -> set[str]:
    """The HEAVY libraries a fresh interpreter has imported after running ``code``."""
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        print(json.dumps([name for name in {list(HEAVY)!r} if name in sys.modules]))
    """)
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return set(json.loads(run.stdout.splitlines()[-1]))


def test_the_probe_sees_a_heavy_import() -> None:
    assert _loaded_after("import scipy.stats") >= {"scipy.stats"}


def test_import_loads_no_heavy_library() -> None:
    assert _loaded_after("import citizensfirst") == set()


def test_import_loads_no_submodule_of_ours() -> None:
    code = "import citizensfirst, sys\nprint([m for m in sys.modules if m.startswith('citizensfirst.')])"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


def test_a_design_and_a_mean_load_no_model_test_or_chart_library() -> None:
    loaded = _loaded_after("""
        import numpy as np
        import pandas as pd
        import citizensfirst as cf
        df = pd.DataFrame({"y": np.arange(40.0), "w": np.linspace(1, 2, 40),
                           "s": np.repeat([1, 2], 20), "p": np.arange(40) // 4})
        d = cf.Design(df, weights="w", strata="s", psu="p")
        assert abs(d.mean("y").table["estimate"].iloc[0] - 21.0) < 1.0
        d.mean("y", by="s")
    """)
    assert loaded & {"scipy.stats", "statsmodels", "matplotlib", "patsy", "formulaic"} == set()


def test_a_model_still_loads_statsmodels_when_fitted() -> None:
    loaded = _loaded_after("""
        import pandas as pd
        import citizensfirst as cf
        df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "x": [0.0, 1, 2, 3, 4, 5]})
        cf.Design(df).regress("y ~ x")
    """)
    assert {"statsmodels", "scipy.stats"} <= loaded


@pytest.mark.parametrize("name", sorted(set(cf.__all__) | set(cf._LAZY)))
def test_every_public_name_resolves_to_its_module(name: str) -> None:
    value = getattr(cf, name)
    if name == "__version__":
        assert value == "0.1.0"
        return
    module, attribute = cf._LAZY[name]
    source = sys.modules[module]
    assert value is (source if attribute is None else getattr(source, attribute))


def test_from_import_and_star_import_work() -> None:
    namespace: dict[str, object] = {}
    exec("from citizensfirst import *", namespace)
    assert set(cf.__all__) <= set(namespace)
    from citizensfirst import Design, targets

    assert Design.__module__ == "citizensfirst.design.facade"
    assert targets.__name__ == "citizensfirst.weighting.targets"


def test_dir_lists_every_public_name() -> None:
    assert set(cf.__all__) <= set(dir(cf))


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Desing'"):
        cf.Desing  # noqa: B018


def test_the_lazy_table_and_all_name_the_same_names() -> None:
    # cmt and targets are public modules reached as cf.cmt / cf.targets, outside __all__
    assert set(cf._LAZY) == set(cf.__all__) - {"__version__"} | {"cmt", "targets"}
    assert {"scan_survey", "LazyDesign"} <= set(cf._LAZY)


@pytest.mark.parametrize("package", ["citizensfirst.io", "citizensfirst.tables"])
def test_lazy_subpackages_resolve_every_public_name(package: str) -> None:
    code = f"""
        import {package} as pkg, sys
        before = sorted(m for m in sys.modules if m.startswith("{package}."))
        values = [getattr(pkg, name) for name in pkg.__all__]
        assert set(pkg.__all__) <= set(dir(pkg))
        print(before)
    """
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"  # importing the package alone loads none of its modules
