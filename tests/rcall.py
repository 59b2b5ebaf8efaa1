"""Translate the R calls recorded in the golden files into citizensfirst calls.

Only the small grammar the reference files use is understood (``svydesign``, ``svymean``,
``svytotal``, ``svyby``, ``svyratio``, ``svyciprop``, ``svyquantile``, ``svyvar``, ``subset``,
and ``svyttest``, ``svychisq``, ``svytable``, ``svyglm``, ``regTermTest``, ``wr2``);
anything else raises so a new kind of case cannot pass silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import citizensfirst as cf

RTOL = 1e-8


def split_args(text: str) -> list[str]:
    """Split an R argument list on top-level commas."""
    out, depth, quote, current = [], 0, None, []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if current:
        out.append("".join(current).strip())
    return out


def parse_call(text: str) -> tuple[str, list[str], dict[str, str]]:
    """``f(a, b, k=v)`` -> ("f", positional, keyword)."""
    text = text.strip()
    m = re.fullmatch(r"([\w.]+)\((.*)\)", text, flags=re.S)
    if not m:
        raise ValueError(f"not a call: {text}")
    positional, keyword = [], {}
    for arg in split_args(m.group(2)):
        km = re.fullmatch(r"([\w.]+)\s*=(?!=)\s*(.*)", arg, flags=re.S)
        if km and not arg.startswith("~"):
            keyword[km.group(1)] = km.group(2).strip()
        else:
            positional.append(arg)
    return m.group(1), positional, keyword


def formula_terms(text: str) -> list[str]:
    """``~a+b`` -> ["a", "b"]; ``~1`` -> []."""
    body = text.strip().lstrip("~").strip()
    if body in ("1", "0"):
        return []
    return [t.strip() for t in body.split("+")]


def r_value(text: str) -> Any:
    text = text.strip()
    if text in ("TRUE", "FALSE"):
        return text == "TRUE"
    if text.startswith(("'", '"')):
        return text[1:-1]
    if text.startswith("c("):
        return [r_value(v) for v in split_args(text[2:-1])]
    return float(text)


def build_design(text: str, data: pd.DataFrame) -> cf.Design:
    """A Design from an R ``svydesign(...)`` call string."""
    name, _, kw = parse_call(text.split("<-")[-1])
    assert name == "svydesign", text
    ids = formula_terms(kw.get("id", kw.get("ids", "~1")))
    args: dict[str, Any] = {"psu": ids or None}
    if "strata" in kw:
        args["strata"] = formula_terms(kw["strata"])
    if "weights" in kw:
        args["weights"] = formula_terms(kw["weights"])[0]
    if "prob" in kw and formula_terms(kw["prob"]):
        args["probs"] = formula_terms(kw["prob"])[0]
    if "fpc" in kw:
        args["fpc"] = formula_terms(kw["fpc"])
    if kw.get("nest") == "TRUE":
        args["nest"] = True
    return cf.Design(data, **args)


@dataclass
class Case:
    kind: str
    result: Any


def _subset(design: cf.Design, text: str) -> cf.Design:
    name, pos, _ = parse_call(text)
    assert name == "subset"
    var, value = re.fullmatch(r"([\w.]+)\s*==\s*'([^']*)'", pos[1]).groups()
    if isinstance(design, cf.LazyDesign):  # a text condition, rendered as SQL
        return design.subset(f"{var} == {value!r}")
    return design.subset(design.data[var].astype(str) == value)


def resolve_design(text: str, designs: dict[str, cf.Design]) -> cf.Design:
    text = text.strip()
    return _subset(designs[parse_call(text)[1][0]], text) if text.startswith("subset(") else designs[text]


def _deff(kw: dict[str, str]) -> str | None:
    value = kw.get("deff")
    if value is None or value == "FALSE":
        return "srswor"
    return "replace" if "replace" in value else "srswor"


def is_factor(design: cf.Design, var: str) -> bool:
    if isinstance(design, cf.LazyDesign):  # the rows stay in the backend: ask the column's kind
        return design.kinds[var] not in ("numeric", "boolean")
    return not pd.api.types.is_numeric_dtype(design.data[var])


def run(call: str, designs: dict[str, cf.Design]) -> Any:
    """Evaluate one golden call; returns our Estimate."""
    name, pos, kw = parse_call(call)
    if name in ("svymean", "svytotal"):
        design = resolve_design(pos[1], designs)
        terms = formula_terms(pos[0])
        missing = "listwise" if kw.get("na.rm") == "TRUE" else "available"
        if all(is_factor(design, t) for t in terms):
            fn = design.proportion if name == "svymean" else design.count
            return fn(terms, deff=_deff(kw))
        if any(is_factor(design, t) for t in terms):  # R mixes means and proportions in one call
            assert name == "svymean"
            parts = [design.proportion(t) if is_factor(design, t) else design.mean(t) for t in terms]
            return _stack(parts)
        fn = design.mean if name == "svymean" else design.total
        return fn(terms, deff=_deff(kw), missing=missing)
    if name == "svyvar":
        return resolve_design(pos[1], designs).variance(formula_terms(pos[0]))
    if name == "svyby":
        design = resolve_design(pos[2] if len(pos) > 2 else kw["design"], designs)
        terms, by = formula_terms(pos[0]), formula_terms(pos[1])
        stat = pos[3] if len(pos) > 3 else kw["FUN"]
        if stat == "svyratio":
            return design.ratio(terms, formula_terms(kw["denominator"]), by=by)
        if stat == "svyquantile":
            return _quantile(design, terms[0], kw, by=by)
        if len(terms) == 1 and is_factor(design, terms[0]):
            return design.proportion(terms[0], by=by)
        fn = {"svymean": design.mean, "svytotal": design.total}[stat]
        return fn(terms, by=by, deff=_deff(kw))
    if name == "svyratio":
        design = resolve_design(pos[2], designs)
        return design.ratio(formula_terms(pos[0]), formula_terms(pos[1]))
    if name == "svyciprop":
        design = resolve_design(pos[1], designs)
        match = re.fullmatch(r"~I\(([\w.]+)\s*==\s*'([^']*)'\)", pos[0])
        var, value = match.groups() if match else (formula_terms(pos[0])[0], "1")
        est = design.proportion(var, ci=r_value(kw.get("method", "'logit'")),
                                level=r_value(kw.get("level", "0.95")), df=_df(kw))
        table = est.to_frame(labels=False)
        labels = table["level"].map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
        return table[labels == value].reset_index(drop=True)
    if name == "svyquantile":
        return _quantile(resolve_design(pos[1], designs), formula_terms(pos[0])[0], kw)
    if name in ("svyttest", "svychisq", "svyglm", "regTermTest", "svytable", "wr2"):
        return run_inference(name, pos, kw, designs)
    raise NotImplementedError(call)


def _stack(parts: list[Any]) -> Any:
    """Estimates side by side; covariances between parts unknown (NaN)."""
    from dataclasses import replace

    table = pd.concat([p.to_frame(labels=False) for p in parts], ignore_index=True)
    size = len(table)
    vcov = np.full((size, size), np.nan)
    start = 0
    for p in parts:
        k = len(p.table)
        vcov[start:start + k, start:start + k] = p.vcov
        start += k
    return replace(parts[0], table=table, covariance=vcov)


def _df(kw: dict[str, str]) -> float | None:
    if "df" not in kw:
        return None
    return float("inf") if kw["df"] == "Inf" else float(kw["df"])


def _quantile(design: cf.Design, variable: str, kw: dict[str, str], by: list[str] | None = None) -> Any:
    probs = r_value(kw["quantiles"])
    probs = probs if isinstance(probs, list) else [probs]
    return design.quantile(
        variable, probs, by=by,
        rule=r_value(kw.get("qrule", "'math'")),
        interval=r_value(kw.get("interval.type", "'mean'")),
        level=1 - r_value(kw.get("alpha", "0.05")),
        df=_df(kw),
    )


def close(ours: Any, theirs: Any, scale: float = 1.0, what: str = "") -> None:
    """Relative agreement to 1e-8 (absolute 1e-10 x scale for values that are exactly zero)."""
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-10 * scale, err_msg=what)


# ------------------------------------------------------------------ tests and models


_R_NAME = re.compile(r"""('[^']*'|"[^"]*")|([A-Za-z.][\w.]*)""")


def patsy_formula(text: str) -> str:
    """An R model formula as patsy text: dotted names quoted with Q('...')."""

    def fix(m: re.Match) -> str:
        if m.group(1) or "." not in m.group(2):
            return m.group(0)
        return f"Q('{m.group(2)}')"

    return _R_NAME.sub(fix, text)


def _family(kw: dict[str, str]) -> str:
    return kw.get("family", "gaussian()").replace("()", "").strip()


def _model(text: str, designs: dict[str, cf.Design]) -> Any:
    name, pos, kw = parse_call(text)
    assert name == "svyglm", text
    design = resolve_design(kw.get("design", pos[1] if len(pos) > 1 else ""), designs)
    return design.regress(patsy_formula(pos[0]), family=_family(kw))


def run_inference(name: str, pos: list[str], kw: dict[str, str], designs: dict[str, cf.Design]) -> Any:
    """svyttest / svychisq / svytable / svyglm / regTermTest / wr2 calls."""
    if name == "svyglm":
        args = ", ".join(pos + [f"{k}={v}" for k, v in kw.items()])
        return _model(f"svyglm({args})", designs)
    if name == "wr2":
        return _model(pos[0], designs).r_squared
    if name == "regTermTest":
        model = _model(pos[0], designs)
        df = float("inf") if kw.get("df") == "Inf" else None
        return model.wald_test(formula_terms(pos[1]), df=df,
                               method=r_value(kw.get("method", "'Wald'")))
    design = resolve_design(kw.get("design", pos[1] if len(pos) > 1 else ""), designs)
    if name == "svytable":
        return design.table(*formula_terms(pos[0]))
    if name == "svychisq":
        row, col = formula_terms(pos[0])
        return design.chisq(row, col, statistic=r_value(kw.get("statistic", "'F'")))
    lhs, rhs = (part.strip() for part in pos[0].split("~"))
    if rhs in ("0", "1"):
        m = re.fullmatch(r"I\(([\w.]+)\s*-\s*([\d.]+)\)", lhs)
        var, mu = (m.group(1), float(m.group(2))) if m else (lhs, 0.0)
        return design.ttest(var, mu=mu)
    return design.ttest(lhs, by=rhs)
