"""mean, total, proportion, count and ratio of a lazy design, on the one aggregation plan.

Each estimator turns its variables into SQL items (:mod:`citizensfirst.lazy.sums`), gets the
ratio-engine result from one query, and hands it to the in-memory
:func:`~citizensfirst.estimation.engine.finish`, so intervals, design effects, flags and labels
are the in-memory ones. A proportion or count sums one 0/1 indicator per level of the
variable (the levels are asked once per design and variable).

>>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
>>> pd.DataFrame({"g": list("aaab"), "w": [1.0, 1, 1, 5]}).to_parquet(path)
>>> cf.scan_survey(path, weights="w").count("g").estimate.tolist()
[3.0, 5.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..design.setup import as_list, check_columns
from ..design.variance import ReplicateWeights, TaylorStructure
from ..errors import DataError
from ..estimation.engine import ONES, Domains, finish, sort_key
from ..estimation.estimators import (
    is_listwise,
    replicate_transformed_se,
    resolve_deff,
    variable_names,
)
from ..estimation.intervals import PROPORTION_METHODS, check_interval_method
from ..estimation.quality import QualityRules
from ..estimation.result import Estimate
from .sums import Items, ratio_sums

if TYPE_CHECKING:
    from ..design.facade import Design
    from .design import LazyDesign

__all__ = ["count", "mean", "proportion", "ratio", "total"]

Names = str | Sequence[str]


@dataclass(frozen=True)
class _Described:
    """What :func:`~citizensfirst.estimation.engine.finish` and ``resolve_deff`` read of a
    design: its codebook, structure and replicates, and (for the wording "N PSUs" versus
    "no clusters") how many rows have a nonzero weight, as a constant array that costs no memory."""

    codebook: Any
    taylor: TaylorStructure | None
    replicate_weights: ReplicateWeights | None
    n_strata: int
    n_psu: int
    weight_values: np.ndarray
    calibrations: tuple[Any, ...] = ()


def described(design: LazyDesign) -> Design:
    """What the in-memory :func:`~citizensfirst.estimation.engine.finish` reads of a design.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.

    Returns
    -------
    Design
        A small view with the fields ``finish`` and ``resolve_deff`` read (typed as a Design).
    """
    view = _Described(design.codebook, design.taylor, design.replicate_weights, design.n_strata,
                      design.n_psu, np.broadcast_to(np.float64(1.0), (design.n_weighted,)),
                      design.calibrations)
    return cast("Design", view)  # the engine reads only the fields above


def _by(design: LazyDesign, by: Names | None) -> list[str]:
    names = as_list(by)
    check_columns(pd.DataFrame(columns=design.columns), names, "by", design.source)
    return names


def _linear(design: LazyDesign, variables: Names, statistic: str, by: Names | None, missing: str,
            deff: str | None, level: float, df: float | None, rules: QualityRules | None) -> Estimate:
    names = variable_names(variables)
    view = described(design)
    listwise = is_listwise(missing)
    convention = resolve_deff(view, deff)
    items = Items(tuple(design.numeric_sql(v) for v in names),
                  ONES if statistic == "mean" else None, listwise)
    result, domains = ratio_sums(design, items, _by(design, by), convention)
    return finish(view, statistic, result, domains, pd.DataFrame({"variable": names}), level=level,
                  df=df, rules=rules)


def mean(design: LazyDesign, variables: Names, *, by: Names | None = None,
         missing: str = "available", deff: str | None = "auto", level: float = 0.95,
         df: float | None = None, rules: QualityRules | None = None) -> Estimate:
    """Weighted means of numeric columns (as :func:`citizensfirst.estimation.estimators.mean`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variables : str or sequence of str
        Numeric columns.
    by : str or sequence of str, optional
        Domain columns.
    missing : {'available', 'listwise'}, default 'available'
        Missing-value rule.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per variable (and domain).
    """
    return _linear(design, variables, "mean", by, missing, deff, level, df, rules)


def total(design: LazyDesign, variables: Names, *, by: Names | None = None,
          missing: str = "available", deff: str | None = "auto", level: float = 0.95,
          df: float | None = None, rules: QualityRules | None = None) -> Estimate:
    """Weighted totals of numeric columns (as :func:`citizensfirst.estimation.estimators.total`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variables : str or sequence of str
        Numeric columns.
    by : str or sequence of str, optional
        Domain columns.
    missing : {'available', 'listwise'}, default 'available'
        Missing-value rule.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per variable (and domain).
    """
    return _linear(design, variables, "total", by, missing, deff, level, df, rules)


def ratio(design: LazyDesign, numerator: Names, denominator: Names, *, by: Names | None = None,
          deff: str | None = "auto", level: float = 0.95, df: float | None = None,
          rules: QualityRules | None = None) -> Estimate:
    """Ratios of totals, every numerator over every denominator (as ``svyratio``).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    numerator, denominator : str or sequence of str
        Numeric columns; rows missing either are left out of that ratio.
    by : str or sequence of str, optional
        Domain columns.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per numerator/denominator pair (and domain).
    """
    nums, dens = variable_names(numerator), variable_names(denominator)
    pairs = [(a, b) for b in dens for a in nums]
    view = described(design)
    items = Items(tuple(design.numeric_sql(a) for a, _ in pairs),
                  tuple(design.numeric_sql(b) for _, b in pairs))
    result, domains = ratio_sums(design, items, _by(design, by), resolve_deff(view, deff))
    labels = pd.DataFrame({"variable": [f"{a}/{b}" for a, b in pairs]})
    return finish(view, "ratio", result, domains, labels, level=level, df=df, rules=rules)


def _levels(design: LazyDesign, variables: Names, by: Names | None, ratio: bool,
            deff: str | None) -> tuple[dict[str, Any], Domains, pd.DataFrame]:
    """The ratio-engine result of every level of every variable, and the (variable, level) table.

    The levels are every value the variable takes in the file (as in memory, not only in the
    domain), asked once per design and variable; then one query sums a 0/1 indicator per level,
    so the answer has one row per unit and domain whatever the number of levels.
    """
    names = variable_names(variables)
    check_columns(pd.DataFrame(columns=design.columns), names, "analysis", design.source)
    found = {name: _observed(design, name) for name in names}
    for name, levels in found.items():
        if not levels:
            raise DataError(f"{design.source}: variable {name!r} has no observed values")
    column, literal = design.backend.column, design.backend.literal
    indicators = tuple(f"(CASE WHEN {column(name)} IS NULL THEN NULL WHEN {column(name)} = "
                       f"{literal(level)} THEN 1.0 ELSE 0.0 END)"
                       for name, levels in found.items() for level in levels)
    result, domains = ratio_sums(design, Items(indicators, ONES if ratio else None), _by(design, by), deff)
    items = pd.concat([pd.DataFrame({"variable": name, "level": pd.Series(levels, dtype=object)})
                       for name, levels in found.items()], ignore_index=True)
    return result, domains, items


def _observed(design: LazyDesign, variable: str) -> list[Any]:
    """The values ``variable`` takes in the file, sorted as in memory (numbers first); cached."""
    if variable not in design.levels_cache:
        answer = design.backend.aggregate({"n": "COUNT(*)"}, by=[variable])
        design.levels_cache[variable] = sorted(answer[variable].dropna().tolist(), key=sort_key)
    return design.levels_cache[variable]


def proportion(design: LazyDesign, variable: Names, *, by: Names | None = None, ci: str = "logit",
               deff: str | None = "auto", level: float = 0.95, df: float | None = None,
               rules: QualityRules | None = None) -> Estimate:
    """Proportion of every observed level (as :func:`citizensfirst.estimation.estimators.proportion`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variable : str or sequence of str
        Categorical columns.
    by : str or sequence of str, optional
        Domain columns.
    ci : str, default 'logit'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.PROPORTION_METHODS`.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per level of each variable (and domain).
    """
    check_interval_method(ci, PROPORTION_METHODS)
    view = described(design)
    result, domains, items = _levels(design, variable, by, True, resolve_deff(view, deff))
    extras = {"design_df": result["df"], "transformed_se": replicate_transformed_se(view, result)}
    return finish(view, "proportion", result, domains, items, level=level, df=df, rules=rules,
                  ci=ci, extras=extras)


def count(design: LazyDesign, variable: Names, *, by: Names | None = None,
          deff: str | None = "auto", level: float = 0.95, df: float | None = None,
          rules: QualityRules | None = None) -> Estimate:
    """Population count of every observed level (as :func:`citizensfirst.estimation.estimators.count`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variable : str or sequence of str
        Categorical columns.
    by : str or sequence of str, optional
        Domain columns.
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per level of each variable (and domain).
    """
    view = described(design)
    result, domains, items = _levels(design, variable, by, False, resolve_deff(view, deff))
    return finish(view, "count", result, domains, items, level=level, df=df, rules=rules)
