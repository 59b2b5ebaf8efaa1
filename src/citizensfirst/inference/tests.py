"""Design-based tests and survey-weighted regression: ``regress``, ``ttest``, ``chisq``, ``table``.

These follow R's ``survey`` package (T. Lumley) step by step, so results agree with R to
rounding:

* :func:`regress` is ``svyglm``: a GLM fitted by iteratively reweighted least squares exactly as
  R's ``glm.fit`` (same starting values, convergence rule and tolerance), with the design weights
  rescaled to mean 1 (replicate designs: to sum 1). Taylor designs take the sandwich variance
  from the influence values ``estfun %*% (X'WX)^-1`` (R's ``svy.varcoef``); replicate designs
  refit the model with every replicate's weights, starting from the full-sample coefficients.
  ``df_residual = degf(design) + 1 - p``; the dispersion is the design-based variance of the
  Pearson residuals, as ``summary.svyglm`` reports it.
* :meth:`ModelResult.wald_test` is ``regTermTest`` (Wald F or chi-squared; also the Rao-Scott
  working Wald and working likelihood-ratio tests).
* :func:`ttest` is ``svyttest``; :func:`chisq` is ``svychisq`` (Rao-Scott F and chi-squared,
  Wald and adjusted Wald, and the saddlepoint approximation to the exact asymptotic law);
  :func:`table` is ``svytable``.

Rows outside the design's domain, or missing on a model variable, keep their place with weight
zero (R's ``na.action`` on a design): they never leave the data and still count in the design.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst.inference import regress
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 7], "x": [0.0, 1, 1, 2, 3, 3]})
>>> fit = regress(Design(df), "y ~ x")
>>> fit.coefficients.round(4).tolist()
[0.8636, 1.6818]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.setup import check_columns
from ..errors import DataError
from ..estimation.covariance import covariance_matrix
from ..estimation.engine import domains_of, numeric_matrix, ratio_engine, sort_key
from ..estimation.result import critical_value
from .families import family_of
from .glm import fit_model, num
from .results import TestResult, p_chisqsum, p_fsum

if TYPE_CHECKING:
    from ..design.facade import Design


CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")








def ttest(design: Design, variable: str, by: str | None = None, mu: float = 0.0, *,
          level: float = 0.95) -> TestResult:
    """Design-based t test (R's ``svyttest``).

    Without ``by``: one-sample test of mean(``variable``) = ``mu`` on degf(design) - 1
    degrees of freedom (R's ``svyttest(I(y - mu) ~ 0)``); the estimate and CI are for
    mean - mu. With ``by`` (exactly two levels): the difference in means, second level minus
    first (sorted), from the survey-weighted regression of ``variable`` on ``by``, on its
    residual degrees of freedom (degf - 1).

    Degenerate tests raise :class:`DataError` naming the variable and the group: fewer than 2
    respondents with a value (in a group), no degrees of freedom, or a comparison with zero
    variance (the values are constant, overall or within each group). A zero-variance
    comparison is never reported as significant: its t statistic would only measure rounding
    noise (R's ``svyttest`` returns such a t).

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        The numeric variable.
    by : str, optional
        A grouping variable with exactly two levels in the domain.
    mu : float, default 0.0
        The hypothesised value subtracted from the mean or the difference.
    level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    TestResult
        The t statistic, df, p-value, estimate and confidence interval.

    Raises
    ------
    DataError
        If a column is missing or non-numeric, ``by`` does not have two levels, or the test is
        degenerate (see above).

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 6], "g": list("aaabbb")})
    >>> res = ttest(Design(df), "y", by="g")
    >>> round(res.estimate["difference in mean"], 6), res.parameters
    (3.0, {'df': 4})
    """
    check_columns(design.frame, [variable] + ([by] if by else []), "t test", design.source)
    y = numeric_matrix(design, [variable])[:, 0]
    answered = design.domain & ~np.isnan(y) & (design.weight_values > 0)
    if by is None:
        _check_testable(design, variable, y, {"the domain": answered})
        est = design.mean(variable, deff=None)
        return t_result(design.source, variable, None, float(est.table["estimate"].iloc[0]),
                        float(est.table["se"].iloc[0]), design.degrees_of_freedom() - 1, mu, level)
    groups = design.frame[by]
    in_domain = groups[design.domain].dropna()
    levels = two_levels(design.source, by, in_domain.unique().tolist())
    indicator = np.where(groups.isna().to_numpy(), np.nan,
                         (groups.to_numpy(dtype=object) == levels[1]).astype(float))
    _check_testable(design, variable, y, {f"group {by} = {level!r}": answered & (indicator == i)
                                          for i, level in enumerate(levels)})
    X = np.column_stack([np.ones(len(y)), indicator])
    used = design.domain & ~np.isnan(y) & ~np.isnan(indicator)
    model = fit_model(design, X, y, used, ["(Intercept)", f"{by}{levels[1]}"],
                      {"(Intercept)": [0], by: [1]}, family_of("gaussian"), f"{variable} ~ {by}", level)
    return t_result(design.source, variable, (by, levels), float(model.coefficients.iloc[1]),
                    float(model.se.iloc[1]), model.df_residual, mu, level)


def two_levels(source: str, by: str, values: list[Any]) -> list[Any]:
    """The two levels of ``by`` in the domain, sorted; DataError unless there are exactly two.

    Parameters
    ----------
    source : str
        The data source, for messages.
    by : str
        The grouping column.
    values : list
        Its distinct non-missing values in the domain.

    Returns
    -------
    list
        The two levels, sorted (the difference is the second minus the first).

    Raises
    ------
    DataError
        If there are not exactly two levels.
    """
    levels = sorted(values, key=sort_key)
    if len(levels) != 2:
        raise DataError(f"{source}: by={by!r} must have exactly 2 levels in the domain, "
                        f"found {len(levels)}: {levels[:10]}")
    return levels


def t_result(source: str, variable: str, by: tuple[str, list[Any]] | None, estimate: float,
             se: float, df: float, mu: float, level: float) -> TestResult:
    """The t test of ``estimate - mu`` (a mean, or a difference of two groups' means).

    Parameters
    ----------
    source : str
        The data source, for messages.
    variable : str
        The tested variable.
    by : tuple of (str, list) or None
        The grouping column and its two levels (None: a one-sample test).
    estimate : float
        The mean, or the difference in means.
    se : float
        Its standard error.
    df : float
        Degrees of freedom.
    mu : float
        The hypothesised value.
    level : float
        Confidence level.

    Returns
    -------
    TestResult
        The t statistic, df, p-value, estimate and confidence interval.

    Raises
    ------
    DataError
        If ``df`` is not positive.
    """
    from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

    if not df > 0:
        raise DataError(
            f"{source}: t test of {variable!r} has {df} degrees of freedom (too few PSUs "
            f"in the domain for its strata); the test cannot be made"
        )
    diff = estimate - mu
    t = diff / se
    crit = float(critical_value(level, df)[0])
    p = float(2 * stats.t.sf(abs(t), df))
    if by is None:
        return TestResult("Design-based one-sample t-test", "t", t, {"df": num(df)}, p,
                          {"mean" if mu == 0 else "mean - mu": diff},
                          (diff - crit * se, diff + crit * se), level, data_name=variable)
    return TestResult("Design-based t-test", "t", t, {"df": num(df)}, p, {"difference in mean": diff},
                      (diff - crit * se, diff + crit * se), level,
                      details={"levels": by[1]}, data_name=f"{variable} ~ {by[0]}")


def _check_testable(design: Design, variable: str, y: np.ndarray, groups: dict[str, np.ndarray]) -> None:
    """DataError unless every group has 2+ respondents with a value, and not all are constant."""
    check_testable(design.source, variable, {group: int(rows.sum()) for group, rows in groups.items()},
                   lambda: all(np.ptp(y[rows]) == 0 for rows in groups.values()))


def check_testable(source: str, variable: str, counts: dict[str, int],
                   constant: Callable[[], bool]) -> None:
    """DataError unless every group has 2+ respondents with a value, and not all are constant.

    Parameters
    ----------
    source : str
        The data source, for messages.
    variable : str
        The tested variable.
    counts : dict of str to int
        Per group (its description), the respondents with a value and a weight.
    constant : callable
        Whether the values are constant within every group (asked once the counts pass).

    Raises
    ------
    DataError
        If a group has fewer than 2 respondents, or the values are constant.
    """
    for group, n in counts.items():  # one or two groups, never respondents
        if n < 2:
            raise DataError(
                f"{source}: t test of {variable!r}: {n} respondent(s) with a value in "
                f"{group}; a t test needs at least 2 in every group"
            )
    if constant():
        where = "within each group" if len(counts) > 1 else "for every respondent"
        raise DataError(
            f"{source}: t test of {variable!r}: the values are constant {where} "
            f"({', '.join(counts)}), so the comparison has zero variance and cannot be tested "
            f"(it is not significant)"
        )


def _levels(design: Design, variable: str) -> list[Any]:
    series = design.frame[variable][design.domain]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if (series == c).any()]
    return sorted(series.dropna().unique().tolist(), key=sort_key)


def table(design: Design, row_var: str, col_var: str | None = None) -> pd.DataFrame:
    """Weighted counts (R's ``svytable``): a one-column frame, or a row x column table.

    Parameters
    ----------
    design : Design
        The survey design.
    row_var : str
        The row variable.
    col_var : str, optional
        The column variable (default: a one-way table).

    Returns
    -------
    pandas.DataFrame
        A ``count`` column indexed by the levels of ``row_var``, or a row x column table.

    Raises
    ------
    DataError
        If a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("pqpp"), "w": [1.0, 2, 3, 4]})
    >>> table(Design(df, weights="w"), "a", "b").to_numpy().tolist()
    [[1.0, 2.0], [7.0, 0.0]]
    """
    names = [row_var] + ([col_var] if col_var else [])
    check_columns(design.frame, names, "table", design.source)
    w = design.weight_values * design.domain
    rl = _levels(design, row_var)
    rcodes = _codes(design.frame[row_var], rl)
    if col_var is None:
        ok = rcodes >= 0
        counts = np.bincount(rcodes[ok], weights=w[ok], minlength=len(rl))
        return pd.DataFrame({"count": counts}, index=pd.Index(rl, name=row_var))
    cl = _levels(design, col_var)
    ccodes = _codes(design.frame[col_var], cl)
    ok = (rcodes >= 0) & (ccodes >= 0)
    counts = np.bincount(rcodes[ok] * len(cl) + ccodes[ok], weights=w[ok],
                         minlength=len(rl) * len(cl)).reshape(len(rl), len(cl))
    return pd.DataFrame(counts, index=pd.Index(rl, name=row_var), columns=pd.Index(cl, name=col_var))


def _codes(series: pd.Series, levels: list[Any]) -> np.ndarray:
    values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    return np.asarray(pd.Categorical(values, categories=levels).codes, dtype=np.int64)


def chisq(design: Design, row_var: str, col_var: str, statistic: str = "F") -> TestResult:
    """Test of independence in a two-way table (R's ``svychisq``).

    ``statistic``: ``F`` (default; Rao-Scott second-order correction on (d0, d0 x nu) df),
    ``Chisq`` (Pearson X^2 with the first-order correction), ``Wald`` and ``adjWald``
    (design-based Wald tests of the interaction), ``saddlepoint`` (saddlepoint approximation
    to the asymptotic weighted chi-squared law) and ``lincom`` (the same law; computed with the
    saddlepoint approximation, as R does without the CompQuadForm package).

    Parameters
    ----------
    design : Design
        The survey design.
    row_var : str
        The row variable.
    col_var : str
        The column variable.
    statistic : str, default 'F'
        One of :data:`CHISQ_STATISTICS`.

    Returns
    -------
    TestResult
        The statistic, its parameters, the p-value and the observed/expected tables.

    Raises
    ------
    DataError
        If ``statistic`` is unknown, a column is missing, or a variable has fewer than 2 levels.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from citizensfirst import Design
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"a": rng.choice(["x", "y"], 200), "b": rng.choice(["p", "q"], 200)})
    >>> res = chisq(Design(df), "a", "b")
    >>> res.statistic_name, sorted(res.parameters)
    ('F', ['ddf', 'ndf'])
    """
    if statistic not in CHISQ_STATISTICS:
        raise DataError(f"statistic must be one of {CHISQ_STATISTICS}, got {statistic!r}")
    check_columns(design.frame, [row_var, col_var], "table", design.source)
    rl, cl = _levels(design, row_var), _levels(design, col_var)
    nr, nc = len(rl), len(cl)
    if nr < 2 or nc < 2:
        raise DataError(f"{design.source}: chisq needs at least 2 levels of each variable; "
                        f"{row_var!r} has {nr}, {col_var!r} has {nc}")
    rcodes = _codes(design.frame[row_var], rl)
    ccodes = _codes(design.frame[col_var], cl)
    ok = (rcodes >= 0) & (ccodes >= 0)
    n = len(rcodes)
    cell = np.where(ok, rcodes + nr * ccodes, -1)  # rows vary fastest, as R's interaction()
    mm = np.zeros((n, nr * nc))
    mm[ok, cell[ok]] = 1.0
    mm[~ok] = np.nan
    N = int(design.domain.sum())
    if design.replicate_weights is None:
        assert design.taylor is not None
        nu = design.taylor.degrees_of_freedom(design.domain)
    else:
        nu = design.degrees_of_freedom()
    domains = domains_of(design, None)

    def estimates(wald: bool) -> tuple[np.ndarray, np.ndarray]:
        """Cell, row, column and grand totals (Wald) or cell proportions, and their covariance.

        Parameters
        ----------
        wald : bool
            True for the totals of the Wald tests, False for the Rao-Scott proportions.

        Returns
        -------
        tuple of numpy.ndarray
            The estimates and their covariance.
        """
        if wald:
            rind = np.where(ok[:, None], np.eye(nr)[np.maximum(rcodes, 0)], np.nan)
            cind = np.where(ok[:, None], np.eye(nc)[np.maximum(ccodes, 0)], np.nan)
            Z = np.column_stack([mm, rind, cind, np.where(ok, 1.0, np.nan)])
            res = ratio_engine(design, Z, None, domains, deff=None, listwise=True)
        else:
            res = ratio_engine(design, mm, np.where(np.isnan(mm), np.nan, 1.0), domains, deff=None,
                               listwise=True)
        return res["estimate"], covariance_matrix(res["vcov"])

    return chisq_test(statistic, table(design, row_var, col_var), N, nu, estimates,
                      design.replicate_weights is not None, f"{row_var} x {col_var}")


def chisq_test(statistic: str, observed: pd.DataFrame, N: int, nu: float,
               estimates: Callable[[bool], tuple[np.ndarray, np.ndarray]], replicate: bool,
               name: str) -> TestResult:
    """The statistics of :func:`chisq` from the weighted table and the design's estimates.

    Parameters
    ----------
    statistic : str
        One of :data:`CHISQ_STATISTICS`.
    observed : pandas.DataFrame
        The weighted row x column counts (:func:`table`).
    N : int
        Rows in the domain.
    nu : float
        Design degrees of freedom.
    estimates : callable
        ``estimates(True)``: the cell totals (rows fastest), row totals, column totals and grand
        total with their covariance; ``estimates(False)``: the cell proportions and theirs.
    replicate : bool
        Whether the design is a replicate design (the saddlepoint p-value's law).
    name : str
        ``"row x col"``, for the result.

    Returns
    -------
    TestResult
        The statistic, its parameters, the p-value and the observed/expected tables.
    """
    from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

    nr, nc = observed.shape
    counts = observed.to_numpy()
    scaled = counts * N / counts.sum()
    expected = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum((scaled - expected) ** 2 / expected))
    obs_frame = pd.DataFrame(scaled, index=observed.index, columns=observed.columns)
    exp_frame = pd.DataFrame(expected, index=observed.index, columns=observed.columns)
    if statistic in ("Wald", "adjWald"):
        tot, S = estimates(True)
        cells, rows_t, cols_t, total = tot[: nr * nc], tot[nr * nc: nr * nc + nr], \
            tot[nr * nc + nr: nr * nc + nr + nc], tot[-1]
        ri = np.tile(np.arange(nr), nc)
        cj = np.repeat(np.arange(nc), nr)
        J = np.hstack([
            np.eye(nr * nc),
            -(ri[:, None] == np.arange(nr)).astype(float) * (cols_t[cj] / total)[:, None],
            -(cj[:, None] == np.arange(nc)).astype(float) * (rows_t[ri] / total)[:, None],
            (rows_t[ri] * cols_t[cj] / total**2)[:, None],
        ])
        Y = cells - rows_t[ri] * cols_t[cj] / total
        V = J @ S @ J.T
        use = np.flatnonzero((ri > 0) & (cj > 0))
        wald = float(Y[use] @ np.linalg.solve(V[np.ix_(use, use)], Y[use]))
        ndf = (nr - 1) * (nc - 1)
        if statistic == "Wald":
            F, ddf = wald / ndf, nu
        else:
            ddf = nu - ndf + 1
            F = wald * ddf / (ndf * nu)
        return TestResult("Design-based Wald test of association", "F", F,
                          {"ndf": ndf, "ddf": num(ddf)}, float(stats.f.sf(F, ndf, ddf)),
                          observed=obs_frame, expected=exp_frame, details={"wald": wald},
                          data_name=name)
    p_hat, V = estimates(False)
    delta = _rao_scott_delta(p_hat, V, nr, nc, N)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    eig = np.sort(np.real(np.linalg.eigvals(delta)))[::-1]
    details = {"delta_eigenvalues": eig.tolist(), "pearson": pearson, "d0": d0, "nu": nu}
    if statistic == "F":
        F = pearson / tr
        return TestResult("Pearson's X^2: Rao & Scott adjustment", "F", F,
                          {"ndf": d0, "ddf": d0 * nu}, float(stats.f.sf(F, d0, d0 * nu)),
                          observed=obs_frame, expected=exp_frame, details=details, data_name=name)
    if statistic == "Chisq":
        k = delta.shape[0]
        p = float(stats.chi2.sf(pearson / (tr / k), k))
        return TestResult("Pearson's X^2: Rao & Scott adjustment", "X-squared", pearson, {"df": k},
                          p, observed=obs_frame, expected=exp_frame, details=details, data_name=name)
    if not replicate:
        p = p_fsum(pearson, eig, d0 * nu)
    else:
        p = p_chisqsum(pearson, eig)
    method = ("Pearson's X^2: saddlepoint approximation" if statistic == "saddlepoint" else
              "Pearson's X^2: asymptotic exact distribution (saddlepoint approximation)")
    return TestResult(method, "X-squared", pearson, {}, float(p), observed=obs_frame,
                      expected=exp_frame, details=details, data_name=name)


def _rao_scott_delta(p: np.ndarray, V: np.ndarray, nr: int, nc: int, N: int) -> np.ndarray:
    """The design-effect matrix of the interaction contrasts (Rao & Scott)."""
    ri = np.tile(np.arange(nr), nc)
    cj = np.repeat(np.arange(nc), nr)
    main = np.column_stack([np.ones(nr * nc)]
                           + [(ri == i).astype(float) for i in range(1, nr)]
                           + [(cj == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([((ri == i) & (cj == j)).astype(float)
                             for j in range(1, nc) for i in range(1, nr)])
    coef, *_ = np.linalg.lstsq(main, inter, rcond=None)
    C = inter - main @ coef
    with np.errstate(divide="ignore"):
        inv = np.where(p == 0, 0.0, 1.0 / p)
    Dinv = np.diag(inv)
    denom = C.T @ (Dinv / N) @ C
    numer = C.T @ Dinv @ V @ Dinv @ C
    return np.linalg.solve(denom, numer)






