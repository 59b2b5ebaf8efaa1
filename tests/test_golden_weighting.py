"""Weighting golden cases: shared survey_weighting.json and tests/reference extra_weighting.json.

Each adjustment's final weights must match R's within 1e-8 relative, and so must the estimates
and SEs computed on the adjusted design (R's linearisation accounts for the calibration; on
replicate designs every replicate is re-weighted).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import citizensfirst as cf
from citizensfirst.errors import ConvergenceError
from conftest import golden, reference_data
from rcall import build_design, close, formula_terms, parse_call, r_value, run, split_args
from test_golden_estimation import check_result

SHARED = golden("survey_weighting.json")
EXTRA = golden("extra_weighting.json", local=True)

BASE_DESIGNS = {
    "dclus1": ("svydesign(id=~dnum, weights=~pw, data=apiclus1, fpc=~fpc)", "data/apiclus1.csv"),
    "dstrat": ("svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)", "data/apistrat.csv"),
    "dsrs": ("svydesign(id=~1, fpc=~fpc, data=apisrs)", "data/apisrs.csv"),
}


def _margins(spec: dict) -> dict:
    """R population objects (pop.types, pop.tot3, ...) as our margins, from the JSON record."""
    pm = spec["population_margins"]
    return {
        "pop.types": ("stype", pm["stype"]),
        "pop.schwide": ("sch.wide", pm["sch.wide"]),
        "pop.compimp": ("comp.imp", pm.get("comp.imp")),
        "pop.awards": ("awards", pm.get("awards")),
    }


def _calibration_targets(spec: dict, formula: str, population: str) -> tuple[dict, float]:
    pm = spec["population_margins"]
    terms = formula_terms(formula)
    numeric = {"api99": pm.get("api99_total"), "enroll": pm.get("enroll_total")}
    targets = {}
    for term in terms:
        targets[term] = numeric[term] if term in numeric else pm[term]
    return targets, float(pm["N"])


class Adjuster:
    """Builds designs named in a golden file's calls, memoising each adjustment."""

    def __init__(self, spec: dict, local: bool) -> None:
        self.spec = spec
        self.local = local
        self.designs: dict[str, cf.Design] = {}
        for name, (text, data) in BASE_DESIGNS.items():
            self.designs[name] = build_design(text, reference_data(data))
        self.designs["rclus1_jk1"] = self.designs["dclus1"].as_replicate("jk1")

    def evaluate(self, call: str) -> cf.Design:
        name, expression = (part.strip() for part in call.split("<-", 1))
        if expression in self.designs:
            return self.designs[expression]
        fn, pos, kw = parse_call(expression)
        base = self.designs[pos[0]]
        if fn == "postStratify":
            var, pop = pos[1], pos[2]
            if pop == "pop.cross":
                frame = __import__("pandas").DataFrame(self.spec["population_margins"]["stype_x_sch.wide"])
                result = base.poststratify(formula_terms(var), frame)
            else:
                variable, levels = _margins(self.spec)[pop]
                result = base.poststratify(variable, levels)
        elif fn == "rake":
            pops = split_args(pos[2][len("list("):-1])
            margins = dict(_margins(self.spec)[p] for p in pops)
            control = {"maxit": 10.0, "epsilon": 1.0}
            if "control" in kw:
                for item in split_args(kw["control"][len("list("):-1]):
                    key, value = (x.strip() for x in item.split("="))
                    if key in control:
                        control[key] = float(value)
            epsilon = control["epsilon"]
            if epsilon < 1:
                epsilon *= float(base.weights.sum())
            # R's default control (epsilon = 1 count) stops far from convergence: check loosely
            tol = 1e-2 if epsilon >= 1 else 1e-8
            result = base.rake(margins, max_iter=int(control["maxit"]), change_tol=epsilon, tol=tol)
        elif fn == "calibrate":
            targets, total = _calibration_targets(self.spec, pos[1], pos[2])
            args = {"total": total, "method": r_value(kw.get("calfun", "'linear'"))}
            if "bounds" in kw:
                args["bounds"] = tuple(r_value(kw["bounds"]))
            if "aggregate.stage" in kw:
                args["cluster"] = int(float(kw["aggregate.stage"]))
            if "aggregate.index" in kw:
                args["cluster"] = formula_terms(kw["aggregate.index"])[0]
            result = base.calibrate(targets, **args)
        elif fn == "trimWeights":
            result = base.trim(lower=float(kw.get("lower", "-Inf")), upper=float(kw.get("upper", "Inf")),
                               strict=kw.get("strict") == "TRUE")
        else:
            raise NotImplementedError(expression)
        self.designs[name] = result
        return result


def _cases(spec: dict, local: bool) -> list[tuple[dict, dict, bool]]:
    return [(spec, a, local) for a in spec["adjustments"]]


CASES = _cases(SHARED, False) + _cases(EXTRA, True)
ADJUSTERS: dict[bool, Adjuster] = {}


def _adjuster(spec: dict, local: bool) -> Adjuster:
    if local not in ADJUSTERS:
        ADJUSTERS[local] = Adjuster(spec, local)
    return ADJUSTERS[local]


# R warns too when some replicates cannot be calibrated (recorded as r_warnings in the JSON)
@pytest.mark.filterwarnings("ignore::citizensfirst.weighting.controls.ReplicateCalibrationWarning")
@pytest.mark.parametrize("spec,entry,local", CASES, ids=[a["id"] for _, a, _ in CASES])
def test_weighting_matches_r(spec: dict, entry: dict, local: bool) -> None:
    adjuster = _adjuster(spec, local)
    if entry.get("result", {}).get("type") == "error":
        with pytest.raises(ConvergenceError, match="did not reach its targets"):
            adjuster.evaluate(entry["call"])
        return
    for prerequisite in re.findall(r"\b(\w+) <-", entry.get("design", "")):
        if prerequisite not in adjuster.designs and prerequisite != entry["id"]:
            other = next((a for a in spec["adjustments"] if a["id"] == prerequisite), None)
            if other is not None:
                adjuster.evaluate(other["call"])
    base_name = entry.get("base_design")
    if base_name and base_name not in adjuster.designs:
        other = next(a for a in spec["adjustments"] if a["id"] == base_name)
        adjuster.evaluate(other["call"])
    design = adjuster.evaluate(entry["call"])
    close(design.weights.to_numpy(), entry["weights"], max(entry["weights"]), "weights")
    name = entry["call"].split("<-")[0].strip()
    for estimate in entry["estimates"]:
        check_result(estimate["result"], run(estimate["call"], {name: design}))


def test_weighting_report_states_margins_met() -> None:
    base = build_design(*BASE_DESIGNS["dclus1"][:1], reference_data("data/apiclus1.csv"))
    pm = SHARED["population_margins"]
    raked = base.rake({"stype": pm["stype"], "sch.wide": pm["sch.wide"]}, tol=1e-12)
    report = raked.report
    assert report.converged
    assert report.max_relative_error < 1e-12
    frame = report.to_frame()
    assert set(frame["margin"]) == {"stype", "sch.wide"}
    assert np.allclose(frame["achieved"], frame["target"], rtol=1e-12)
    assert 1 < report.kish_deff < 2 and report.effective_n < len(base.data)
    assert [s.action for s in raked.history] == ["design", "rake"]


def test_calibrate_accepts_r_style_named_totals() -> None:
    """calibrate(dclus1, ~stype+api99, c(pop.totals, api99=3914069)) with R's own total names."""
    entry = next(a for a in SHARED["adjustments"] if a["id"] == "dclus1g3")
    base = build_design(BASE_DESIGNS["dclus1"][0], reference_data("data/apiclus1.csv"))
    design = base.calibrate({"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069})
    close(design.weights.to_numpy(), entry["weights"], max(entry["weights"]), "weights")
    with pytest.raises(cf.WeightingError, match="stypeX"):
        base.calibrate({"(Intercept)": 6194, "stypeX": 755})
