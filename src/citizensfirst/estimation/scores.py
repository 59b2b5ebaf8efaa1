"""Satisfaction scores: 0-100 rescaling, top-box and bottom-box shares, the Service Quality Score.

Every estimator returns an :class:`~citizensfirst.estimate.Estimate` computed by the library's
own machinery on a design with the same weights, strata, PSUs, calibrations and domain as the one
given, so SEs, CIs, design effects and quality flags follow the same conventions as
``Design.mean``. Don't-know, refused and not-applicable answers (NaN after
:func:`~citizensfirst.io.read_survey`) are outside the base of every score.

* :func:`to_100` maps a rating on ``scale=(low, high)`` linearly onto 0-100.
* :func:`top_box` / :func:`bottom_box`: the share of valid answers in the top (bottom) ``k``
  scale points (values >= high - k + 1, or <= low + k - 1), estimated as the mean of a 0/1
  indicator; the CI is the logit interval of :func:`~citizensfirst.estimators.proportion`.
* :func:`service_quality_score` (SQS): the mean 0-100 rating over all rated *service
  experiences*. A respondent who rated three services counts three times. It is the ratio of
  two respondent-level totals, ``sum_i w_i S_i / sum_i w_i m_i`` (``S_i`` = sum of the
  respondent's 0-100 ratings, ``m_i`` = number of services rated), so its linearised variance
  treats the respondent as the unit within the design's own strata and PSUs, and the
  correlation between one person's ratings is accounted for.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> df = pd.DataFrame({"q": [1.0, 4.0, 5.0, None], "s1": [5.0, 1.0, 3.0, 2.0],
...                    "s2": [3.0, None, None, None], "w": [1.0, 1.0, 2.0, 1.0]})
>>> d = Design(df, weights="w")
>>> to_100(pd.Series([1.0, 3.0, 5.0])).tolist()
[0.0, 50.0, 100.0]
>>> round(top_box(d, "q", scale=(1, 5)).estimate, 4)   # (1 + 2) / (1 + 1 + 2)
0.75
>>> round(service_quality_score(d, ["s1", "s2"]).estimate, 4)   # (100 + 50 + 0 + 2 x 50 + 25) / 6
45.8333
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import Step
from ..errors import DataError
from .engine import domains_of, finish, numeric_matrix, ratio_engine
from .estimators import (
    mean,
    replicate_transformed_se,
    resolve_deff,
)
from .intervals import PROPORTION_METHODS, check_interval_method
from .labels import ResultLabels
from .quality import QualityRules
from .result import Estimate
from .scales import Scale, scale_of

if TYPE_CHECKING:
    from ..design.facade import Design

__all__ = [
    "DEFAULT_SQS_RATINGS",
    "bottom_box",
    "resolve_scale",
    "service_quality_score",
    "to_100",
    "top_box",
    "with_columns",
]

DEFAULT_SQS_RATINGS: tuple[str, ...] = ("svc1_sat", "svc2_sat", "svc3_sat")
"""The service-experience ratings of the Citizens First / Business First sample waves."""


def to_100(x: Any, scale: Scale | Sequence[float] = (1, 5)) -> Any:
    """Rescale ratings on ``scale=(low, high)`` linearly to 0-100: ``(x - low) / (high - low) * 100``.

    The rule is :meth:`citizensfirst.scales.Scale.to_100`, shared by tables, drivers, charts and
    the report.

    Series keep their index and name, anything else becomes a float ndarray (a scalar stays a
    float). NaN stays NaN; a value outside the scale raises :class:`DataError` naming it.

    Parameters
    ----------
    x : scalar, array_like or pandas.Series
        Ratings (NaN for missing).
    scale : Scale or sequence of float, default (1, 5)
        ``(low, high)`` of the rating scale.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        The ratings on 0-100.

    Raises
    ------
    DataError
        If a value lies outside the scale.

    Examples
    --------
    >>> to_100(pd.Series([1, 2, 5, None], name="q")).tolist()
    [0.0, 25.0, 100.0, nan]
    >>> to_100([0, 7, 10], scale=(0, 10)).tolist()
    [0.0, 70.0, 100.0]
    >>> to_100(8, scale=(1, 5))
    Traceback (most recent call last):
    ...
    citizensfirst.errors.DataError: ratings has 1 value(s) outside the scale [1, 5]: 8 (a don't-know or not-applicable code that is not declared missing?)
    """
    what = f"ratings {x.name!r}" if isinstance(x, pd.Series) and x.name is not None else "ratings"
    return Scale.of(scale).to_100(x, what=what)


def with_columns(design: Design, **columns: Any) -> Design:
    """A new design with ``columns`` added to (or replacing columns of) its data.

    Weights, strata, PSUs, calibrations, replicates and the domain are shared with ``design``,
    which is left unchanged. Values are arrays or Series aligned with the data (one per row).

    Parameters
    ----------
    design : Design
        The survey design.
    **columns
        New column name -> values (array or Series, one per row).

    Returns
    -------
    Design
        A new design on the extended data.

    Raises
    ------
    DataError
        If a column does not have one value per row.

    Examples
    --------
    >>> from citizensfirst import Design
    >>> d = Design(pd.DataFrame({"y": [1.0, 2.0]}))
    >>> d2 = with_columns(d, z=[3.0, 4.0])
    >>> "z" in d2.data.columns, "z" in d.data.columns
    (True, False)
    """
    frame = design.frame
    prepared = {}
    for name, values in columns.items():
        if isinstance(values, pd.Series):
            if not values.index.equals(frame.index):
                values = values.reindex(frame.index)
            values = values.to_numpy()
        array = np.asarray(values)
        if array.shape[:1] != (len(frame),) or array.ndim != 1:
            raise DataError(f"column {name!r} has shape {array.shape} for {len(frame)} rows")
        prepared[name] = array
    data = frame.assign(**prepared)
    step = Step("with_columns", {"columns": list(columns)})
    return design.evolve(data=data, history=design.history + (step,))


def resolve_scale(design: Design, variable: str, scale: Scale | Sequence[float] | None) -> Scale:
    """``scale`` if given, else the codebook scale of ``variable``; DataError when neither exists.

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        The rating variable.
    scale : Scale or sequence of float or None
        The scale given by the caller.

    Returns
    -------
    Scale
        The scale of ``variable``.

    Raises
    ------
    DataError
        If no scale is given or in the codebook.

    Examples
    --------
    >>> from citizensfirst import Design
    >>> resolve_scale(Design(pd.DataFrame({"q": [1.0]})), "q", (0, 10))
    Scale(low=0.0, high=10.0)
    """
    return scale_of(design.codebook, variable, scale, design.source)


def _box(
    design: Design,
    variable: str,
    k: int,
    scale: Scale | Sequence[float] | None,
    *,
    top: bool,
    by: str | Sequence[str] | None,
    ci: str,
    level: float,
    df: float | None,
    rules: QualityRules | None,
) -> Estimate:
    check_interval_method(ci, PROPORTION_METHODS)
    rating = resolve_scale(design, variable, scale)
    x = numeric_matrix(design, [variable])[:, 0]
    what = f"{design.source}: {variable!r}"
    indicator = rating.top_box(x, k, what=what) if top else rating.bottom_box(x, k, what=what)
    name = f"__{variable}_{'top' if top else 'bottom'}{k}"
    derived = with_columns(design, **{name: indicator})
    est = mean(derived, name, by=by, level=level, df=df, rules=rules)
    table = est.table.copy()
    table["variable"] = variable
    label = f"{'top' if top else 'bottom'}{k}"
    table.insert(list(table.columns).index("variable") + 1, "level", label)
    result = {"estimate": table["estimate"].to_numpy(), "replicates": est.replicates}
    extras = {"design_df": table["df"].to_numpy(), "transformed_se": replicate_transformed_se(design, result)}
    limits = replace(est, interval_extras=extras).conf_int(method=ci)  # the mean's se, df and n
    table["ci_low"], table["ci_high"] = limits["ci_low"].to_numpy(), limits["ci_high"].to_numpy()
    note = (f"share of valid answers in {rating.box_span(k, top)} on the "
            f"{rating.low:g}-{rating.high:g} scale")
    by_names = [] if by is None else [by] if isinstance(by, str) else list(by)
    return replace(est, statistic=f"{label} box", table=table, ci_method=ci,
                   notes=est.notes + (note,), interval_extras=extras,
                   value_labels=ResultLabels.from_codebook(design.codebook, [*by_names, variable]))


def top_box(
    design: Design,
    variable: str,
    top: int = 2,
    scale: Scale | Sequence[float] | None = None,
    *,
    by: str | Sequence[str] | None = None,
    ci: str = "logit",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Share (0-1) of valid answers in the top ``top`` points of the scale (``x >= high - top + 1``).

    ``scale`` defaults to the codebook's scale of ``variable``. DK/refused/N/A (NaN) are
    outside the base; a value outside the scale raises :class:`DataError`. The estimate, SE,
    deff and n are those of the mean of the 0/1 indicator (the proportion of its level 1);
    ``ci`` is a :func:`~citizensfirst.estimators.proportion` interval method (default logit).

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        The rating variable.
    top : int, default 2
        Number of scale points in the box.
    scale : Scale or sequence of float, optional
        ``(low, high)`` of the rating (default: the codebook's scale of ``variable``).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    ci : str, default 'logit'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.PROPORTION_METHODS`.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per domain, ``level`` ``top<k>``.

    Raises
    ------
    DataError
        If ``ci`` is unknown, no scale is known, the box size is invalid, or a rating lies outside the scale.

    Examples
    --------
    >>> from citizensfirst import Design
    >>> d = Design(pd.DataFrame({"q": [1, 2, 4, 5, 5, None], "w": [1, 1, 1, 1, 2, 9.0]}), weights="w")
    >>> e = top_box(d, "q", scale=(1, 5))
    >>> round(e.estimate, 4), e.table["level"].iloc[0], int(e.n)
    (0.6667, 'top2', 5)
    """
    return _box(design, variable, top, scale, top=True, by=by, ci=ci, level=level, df=df,
                rules=rules)


def bottom_box(
    design: Design,
    variable: str,
    bottom: int = 2,
    scale: Scale | Sequence[float] | None = None,
    *,
    by: str | Sequence[str] | None = None,
    ci: str = "logit",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Share (0-1) of valid answers in the bottom ``bottom`` points (``x <= low + bottom - 1``).

    As :func:`top_box` otherwise.

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        The rating variable.
    bottom : int, default 2
        Number of scale points in the box.
    scale : Scale or sequence of float, optional
        ``(low, high)`` of the rating (default: the codebook's scale of ``variable``).
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    ci : str, default 'logit'
        Interval method, one of :data:`~citizensfirst.estimation.intervals.PROPORTION_METHODS`.
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row per domain, ``level`` ``bottom<k>``.

    Raises
    ------
    DataError
        If ``ci`` is unknown, no scale is known, the box size is invalid, or a rating lies outside the scale.

    Examples
    --------
    >>> from citizensfirst import Design
    >>> d = Design(pd.DataFrame({"q": [1, 2, 4, 5, 5, None], "w": [1, 1, 1, 1, 2, 9.0]}), weights="w")
    >>> round(bottom_box(d, "q", 1, scale=(1, 5)).estimate, 4)
    0.1667
    """
    return _box(design, variable, bottom, scale, top=False, by=by, ci=ci, level=level, df=df,
                rules=rules)


def service_quality_score(
    design: Design,
    ratings: Sequence[str] = DEFAULT_SQS_RATINGS,
    scale: Scale | Sequence[float] = (1, 5),
    by: str | Sequence[str] | None = None,
    *,
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """Service Quality Score: the mean 0-100 rating over all rated service experiences.

    For respondent i with ratings r_ij (j over the ``ratings`` columns that are not NaN),
    ``S_i = sum_j to_100(r_ij)`` and ``m_i`` = number of rated services; the SQS is
    ``sum_i w_i S_i / sum_i w_i m_i``, a ratio of respondent-level totals estimated (with its
    linearised or replicate variance, deff and CI) by the same engine as ``Design.ratio``. So a
    respondent who rated three services counts three times in the score, while the variance
    treats the respondent (inside the design's PSUs) as the unit. Respondents with no rated
    service are outside the base; ``n`` counts respondents with at least one rating.

    Parameters
    ----------
    design : Design
        The survey design.
    ratings : sequence of str, default DEFAULT_SQS_RATINGS
        The service-experience rating columns.
    scale : Scale or sequence of float, default (1, 5)
        ``(low, high)`` of the ratings.
    by : str or sequence of str, optional
        Domain variable(s): one estimate per domain (default: the whole sample).
    deff : {'auto', 'srswor', 'replace'} or None, default 'auto'
        Design-effect convention (see :func:`~citizensfirst.estimation.estimators.resolve_deff`).
    level : float, default 0.95
        Confidence level of the intervals.
    df : float, optional
        Degrees of freedom for the intervals (default: the design's).
    rules : QualityRules, optional
        Flagging rules for unreliable estimates (default: the standard rules).

    Returns
    -------
    Estimate
        One row (``variable`` ``sqs``) per domain.

    Raises
    ------
    DataError
        If no rating column is given, or a rating lies outside the scale.

    Examples
    --------
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"a": [5.0, 1.0, 3.0], "b": [4.0, None, None], "w": [1.0, 1.0, 1.0]})
    >>> e = service_quality_score(Design(df, weights="w"), ["a", "b"])
    >>> round(e.estimate, 4), int(e.n)      # (100 + 75 + 0 + 50) / 4
    (56.25, 3)
    """
    names = [ratings] if isinstance(ratings, str) else list(ratings)
    if not names:
        raise DataError("service_quality_score needs at least one rating column")
    rating = Scale.of(scale)
    values = numeric_matrix(design, names)
    scores = np.column_stack([rating.to_100(values[:, j], what=f"{design.source}: {name!r}")
                              for j, name in enumerate(names)])
    rated = ~np.isnan(values)
    count = rated.sum(axis=1).astype(float)
    score = np.where(rated, scores, 0.0).sum(axis=1)
    none = count == 0
    numerator = np.where(none, np.nan, score)[:, None]
    denominator = np.where(none, np.nan, count)[:, None]
    domains = domains_of(design, by)
    result = ratio_engine(design, numerator, denominator, domains, deff=resolve_deff(design, deff))
    items = pd.DataFrame({"variable": ["sqs"]})
    in_base = design.domain & (design.weight_values != 0) & ~none
    note = (f"SQS over {', '.join(names)} on {rating.low:g}-{rating.high:g}: {int(count[in_base].sum())} rated "
            f"service experiences from {int(in_base.sum())} respondents (n counts respondents)")
    return finish(design, "service quality score", result, domains, items, level=level, df=df,
                  rules=rules, notes=(note,))
