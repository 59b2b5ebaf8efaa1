"""Design's estimator methods show the real parameters of the functions they forward to."""

from __future__ import annotations

import inspect
import pydoc
from collections.abc import Callable

import pytest

import citizensfirst as cf
from citizensfirst import drivers, inference, tables, weighting
from citizensfirst.estimation import estimators, quantiles

FORWARDED: dict[str, Callable[..., object]] = {
    "mean": estimators.mean,
    "total": estimators.total,
    "proportion": estimators.proportion,
    "count": estimators.count,
    "ratio": estimators.ratio,
    "variance": estimators.variance,
    "quantile": quantiles.quantile,
    "regress": inference.regress,
    "ttest": inference.ttest,
    "chisq": inference.chisq,
    "table": inference.table,
    "crosstab": tables.crosstab,
    "banner": tables.banner,
    "rake": weighting.rake,
    "calibrate": weighting.calibrate,
    "poststratify": weighting.poststratify,
    "trim": weighting.trim,
}

# Design.drivers builds the data, weights and replicate arguments itself; its own ``seed``
# seeds the bootstrap replicates (driver_importance's ``seed`` is for Shapley permutations),
# ``ci``/``replicates`` choose the replicates, ``by`` the domains; the df is the design's.
DRIVER_BUILT = {"data", "weights", "replicate_weights", "replicate_scale", "replicate_rscales",
                "replicate_mse", "seed", "df"}
DRIVER_OWN = {"ci", "replicates", "seed", "by"}


def _params(func: Callable[..., object], drop: set[str]) -> dict[str, tuple[object, object]]:
    return {
        name: (p.default, p.kind)
        for name, p in inspect.signature(func).parameters.items()
        if name not in drop
    }


@pytest.mark.parametrize("name", sorted(FORWARDED))
def test_design_method_has_the_target_signature(name: str) -> None:
    method = getattr(cf.Design, name)
    target = FORWARDED[name]
    mine = _params(method, {"self"})
    theirs = _params(target, {"design"})
    assert list(mine) == list(theirs)
    assert mine == theirs  # same defaults and same keyword-only parameters


def test_drivers_method_has_every_driver_importance_parameter() -> None:
    mine = _params(cf.Design.drivers, {"self"})
    theirs = _params(drivers.driver_importance, DRIVER_BUILT)
    assert set(mine) == set(theirs) | DRIVER_OWN
    for name, (default, _kind) in theirs.items():
        assert mine[name][0] == default, name


def test_no_public_design_method_takes_var_kwargs() -> None:
    public = [n for n, f in inspect.getmembers(cf.Design, inspect.isfunction) if not n.startswith("_")]
    assert set(FORWARDED) | {"drivers"} <= set(public)
    for name in public:
        if name == "evolve":  # its **changes are checked against DesignState (test_design_state)
            continue
        kinds = {p.kind for p in inspect.signature(getattr(cf.Design, name)).parameters.values()}
        assert inspect.Parameter.VAR_KEYWORD not in kinds, name
        assert inspect.Parameter.VAR_POSITIONAL not in kinds, name


@pytest.mark.parametrize("name", [*sorted(FORWARDED), "drivers"])
def test_design_method_has_a_return_type_and_a_documented_parameter_list(name: str) -> None:
    method = getattr(cf.Design, name)
    assert inspect.signature(method).return_annotation not in (inspect.Signature.empty, "Any")
    doc = inspect.getdoc(method) or ""
    assert "Parameters\n----------" in doc and "Returns\n-------" in doc
    for param in inspect.signature(method).parameters:
        if param != "self":
            assert param in doc, f"{name}: {param} not documented"


def test_help_of_design_mean_lists_every_parameter() -> None:
    text = pydoc.render_doc(cf.Design.mean, renderer=pydoc.plaintext)
    for param in inspect.signature(estimators.mean).parameters:
        if param != "design":
            assert f"{param}:" in text or f"{param}=" in text, param
