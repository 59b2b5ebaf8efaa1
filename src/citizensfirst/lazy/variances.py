"""Population variances of a lazy design (as ``svyvar``), in two aggregation queries.

The first query is the lazy mean of every variable per domain
(:func:`~citizensfirst.lazy.sums.ratio_sums`); the second the lazy mean of
``z = (y - mean)^2 n / (n - 1)``, each row centred on its own domain's mean (a ``CASE`` over the
domains), so its estimate, Taylor covariance and design effect are those of the in-memory
:func:`citizensfirst.estimation.estimators.variance`. A replicate design re-centres every
replicate: one query of ``SUM(a_r)``, ``SUM(a_r y)`` and ``SUM(a_r y^2)`` per domain.

>>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
>>> pd.DataFrame({"y": [1.0, 2, 3, 4]}).to_parquet(path)
>>> round(float(cf.scan_survey(path).variance("y").estimate), 4)
1.6667
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..design.setup import as_list, check_columns
from ..errors import DataError
from ..estimation.engine import ONES, Domains, finish
from ..estimation.quality import QualityRules
from ..estimation.result import Estimate
from .cdf import domain_codes, domain_condition
from .estimators import described
from .sums import Items, domain_weight, ratio_sums

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["variance"]


def variance(design: LazyDesign, variables: str | Sequence[str], *, by: str | Sequence[str] | None = None,
             level: float = 0.95, df: float | None = None, rules: QualityRules | None = None) -> Estimate:
    """Design-based population variance, divisor n - 1 (as :func:`citizensfirst.estimation.estimators.variance`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    variables : str or sequence of str
        Numeric columns.
    by : str or sequence of str, optional
        Domain columns.
    level : float, default 0.95
        Confidence level.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality rules for the flags.

    Returns
    -------
    Estimate
        One row per variable (and domain), as in memory.

    Raises
    ------
    DataError
        If no variable is given, or a column is unknown or not numeric.
    """
    names = as_list(variables)
    if not names:
        raise DataError("no variables given")
    domain_names = as_list(by)
    check_columns(pd.DataFrame(columns=design.columns), domain_names, "by", design.source)
    ys = [design.numeric_sql(v) for v in names]
    first, domains = ratio_sums(design, Items(tuple(ys), ONES), domain_names, None)
    k = len(names)
    centre = first["estimate"].reshape(domains.count, k)
    counts = first["n"].reshape(domains.count, k).astype(float)
    literal = design.backend.literal
    squares = []
    for i, y in enumerate(ys):
        branches = []
        for g in range(domains.count):
            where = domain_condition(design.backend, domains.frame.iloc[g][domain_names])
            c, n = centre[g, i], counts[g, i]
            value = "NULL" if np.isnan(c) else (
                f"((({y} - {literal(float(c))}) * ({y} - {literal(float(c))})) * {literal(n)}) "
                f"/ {literal(n - 1)}")
            branches.append(f"WHEN {where} THEN {value}")
        squares.append(f"(CASE WHEN {y} IS NULL THEN NULL {' '.join(branches)} ELSE NULL END)")
    result, _ = ratio_sums(design, Items(tuple(squares), ONES), domain_names, None)
    if design.replicate_weights is not None:
        result["vcov"], result["replicates"] = _replicate_variance(design, ys, domains, result["estimate"])
    items = pd.DataFrame({"variable": names})
    return finish(described(design), "variance", result, domains, items, level=level, df=df, rules=rules)


def _replicate_variance(design: LazyDesign, ys: list[str], domains: Domains, full: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Replicate covariance of the variances, every replicate re-centred (one query)."""
    replicates = design.replicate_weights
    assert replicates is not None
    w = domain_weight(design)
    r, k = replicates.n_replicates, len(ys)
    sums: dict[str, str] = {}
    for i, y in enumerate(ys):
        usable = f"({y} IS NOT NULL AND {w} <> 0)"
        sums[f"n{i}"] = f"SUM(CASE WHEN {usable} THEN 1 ELSE 0 END)"
        for j, a in enumerate(design.replicate_sql):
            sums[f"t{i}_{j}"] = f"SUM(CASE WHEN {usable} THEN {a} ELSE 0 END)"
            sums[f"y{i}_{j}"] = f"SUM(CASE WHEN {usable} THEN {a} * {y} ELSE 0 END)"
            sums[f"q{i}_{j}"] = f"SUM(CASE WHEN {usable} THEN {a} * ({y} * {y}) ELSE 0 END)"
    by = list(domains.frame.columns)
    answer = design.backend.aggregate(sums, by=by)
    codes = domain_codes(answer, domains.frame)
    thetas = np.full((r, domains.count * k), np.nan)
    for row, g in zip(answer.to_dict("records"), codes, strict=True):
        if g < 0:
            continue
        for i in range(k):
            n = float(row[f"n{i}"])
            total = np.array([row[f"t{i}_{j}"] for j in range(r)], dtype=float)
            first = np.array([row[f"y{i}_{j}"] for j in range(r)], dtype=float) / total
            second = np.array([row[f"q{i}_{j}"] for j in range(r)], dtype=float) / total
            thetas[:, g * k + i] = (second - first**2) * n / (n - 1)
    return replicates.vcov(thetas, full), thetas
