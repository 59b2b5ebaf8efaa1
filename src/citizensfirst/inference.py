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
>>> from citizensfirst.design import Design
>>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 7], "x": [0.0, 1, 1, 2, 3, 3]})
>>> fit = regress(Design(df), "y ~ x")
>>> fit.coefficients.round(4).tolist()
[0.8636, 1.6818]
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.genmod import families as sm_families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from .errors import CitizensFirstError, ConvergenceError, DataError
from .estimate import (
    _describe,
    _sort_key,
    critical_value,
    domains_of,
    influence_vcov,
    numeric_matrix,
    ratio_engine,
    replicate_vcov,
)

if TYPE_CHECKING:
    from .design import Design

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")
CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald", "lincom", "saddlepoint")
_EPS = np.finfo(float).eps


# ------------------------------------------------------------------------------ results


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class TestResult:
    """The result of a design-based test (as R's ``htest``).

    ``parameters`` holds the degrees of freedom (``df``, or ``ndf`` and ``ddf`` for F tests);
    ``estimate`` maps a name to the estimated quantity (t tests); ``conf_int`` is its
    confidence interval; ``observed``/``expected`` are the (scaled) tables of a chi-squared
    test; ``details`` keeps further numbers (e.g. the design-effect eigenvalues).
    """

    __test__ = False  # not a pytest test class

    method: str
    statistic_name: str
    statistic: float
    parameters: dict[str, float]
    p_value: float
    estimate: dict[str, float] = field(default_factory=dict)
    conf_int: tuple[float, float] | None = None
    level: float = 0.95
    observed: pd.DataFrame | None = None
    expected: pd.DataFrame | None = None
    details: dict[str, Any] = field(default_factory=dict)
    data_name: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row: method, statistic, parameters, p-value, estimate and CI."""
        row: dict[str, Any] = {"method": self.method, "statistic_name": self.statistic_name,
                               "statistic": self.statistic}
        row.update(self.parameters)
        row["p_value"] = self.p_value
        for name, value in self.estimate.items():
            row["estimate_name"], row["estimate"] = name, value
        if self.conf_int is not None:
            row["ci_low"], row["ci_high"] = self.conf_int
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        params = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.parameters.items())
        lines = [self.method, f"data: {self.data_name}" if self.data_name else "",
                 f"{self.statistic_name} = {_fmt(self.statistic)}"
                 + (f", {params}" if params else "") + f", p-value = {self.p_value:.4g}"]
        for name, value in self.estimate.items():
            lines.append(f"{name}: {_fmt(value)}")
        if self.conf_int is not None:
            lo, hi = self.conf_int
            lines.append(f"{int(round(self.level * 100))}% CI: {_fmt(lo)} to {_fmt(hi)}")
        return "\n".join(line for line in lines if line)

    def _repr_html_(self) -> str:
        body = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0)
        return f"<div><p><b>{html.escape(self.method)}</b></p>{body}</div>"


@dataclass(frozen=True)
class ModelResult:
    """A survey-weighted GLM (as R's ``svyglm``): coefficients with design-based variance.

    ``coefficients`` and ``vcov`` are labelled R-style (``(Intercept)``, ``stypeH``);
    ``df_residual`` = design df + 1 - p; ``dispersion`` is what ``summary.svyglm`` reports;
    ``naive_vcov`` is the model-based ``(X'WX)^-1`` (R's ``naive.cov``).
    """

    formula: str
    family: str
    link: str
    coefficients: pd.Series
    vcov: pd.DataFrame
    df_residual: float
    dispersion: float
    deviance: float
    null_deviance: float
    naive_vcov: pd.DataFrame
    n: int
    r_squared: float
    terms: dict[str, list[int]]
    design: str = ""
    level: float = 0.95
    iterations: int = 0
    replicates: np.ndarray | None = field(default=None, repr=False)
    _refit: Callable[[list[int]], float] | None = field(default=None, repr=False, compare=False)

    @property
    def se(self) -> pd.Series:
        """Standard errors of the coefficients."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.coefficients.index,
                         name="se")

    @property
    def statistic(self) -> pd.Series:
        """t statistics (coefficient / se)."""
        return (self.coefficients / self.se).rename("t")

    @property
    def p_values(self) -> pd.Series:
        """Two-sided p-values from t with ``df_residual`` degrees of freedom."""
        t = self.statistic.to_numpy()
        df = self.df_residual
        p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(len(t), np.nan)
        return pd.Series(p, index=self.coefficients.index, name="p_value")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald confidence intervals with t on ``df_residual`` degrees of freedom."""
        level = self.level if level is None else level
        crit = float(critical_value(level, self.df_residual)[0])
        est, se = self.coefficients, self.se
        return pd.DataFrame({"ci_low": est - crit * se, "ci_high": est + crit * se})

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: term, estimate, se, t, p_value, ci_low, ci_high."""
        ci = self.conf_int()
        return pd.DataFrame({
            "term": self.coefficients.index,
            "estimate": self.coefficients.to_numpy(),
            "se": self.se.to_numpy(),
            "t": self.statistic.to_numpy(),
            "p_value": self.p_values.to_numpy(),
            "ci_low": ci["ci_low"].to_numpy(),
            "ci_high": ci["ci_high"].to_numpy(),
        })

    def wald_test(self, terms: str | Sequence[str], *, df: float | None = None,
                  method: str = "Wald") -> TestResult:
        """Test that all coefficients of ``terms`` are zero (R's ``regTermTest``).

        ``method="Wald"``: F = beta' V^-1 beta / k on (k, ``df``) degrees of freedom, ``df``
        defaulting to ``df_residual``; ``df=np.inf`` gives the chi-squared form.
        ``"WorkingWald"`` and ``"LRT"``: Rao-Scott working Wald / likelihood-ratio statistics
        with p-values from the saddlepoint approximation to their weighted chi-squared law.

        >>> import pandas as pd
        >>> from citizensfirst.design import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "x": [0.0, 1, 2, 3, 4, 5]})
        >>> regress(Design(df), "y ~ x").wald_test("x").parameters
        {'ndf': 1, 'ddf': 4}
        """
        names = [terms] if isinstance(terms, str) else list(terms)
        index = self._term_columns(names)
        beta = self.coefficients.to_numpy()[index]
        V = self.vcov.to_numpy()[np.ix_(index, index)]
        ddf = self.df_residual if df is None else float(df)
        k = len(index)
        label = " ".join(names)
        if method == "Wald":
            chisq_stat = float(beta @ np.linalg.solve(V, beta))
            if np.isfinite(ddf):
                F = chisq_stat / k
                return TestResult(f"Wald test for {label}", "F", F, {"ndf": k, "ddf": _num(ddf)},
                                  float(stats.f.sf(F, k, ddf)), data_name=self.formula)
            return TestResult(f"Wald test for {label}", "Chisq", chisq_stat, {"df": k},
                              float(stats.chi2.sf(chisq_stat, k)), data_name=self.formula)
        if method not in ("WorkingWald", "LRT"):
            raise DataError(f"method must be 'Wald', 'WorkingWald' or 'LRT', got {method!r}")
        V0 = self.naive_vcov.to_numpy()[np.ix_(index, index)]
        lam = np.sort(np.real(np.linalg.eigvals(np.linalg.solve(V0, V))))[::-1]
        if method == "WorkingWald":
            stat = float(beta @ np.linalg.solve(V0, beta))
            title = f"Working (Rao-Scott) Wald test for {label}"
        else:
            if self._refit is None:
                raise CitizensFirstError("this model cannot be refitted for a likelihood-ratio test")
            keep = [j for j in range(len(self.coefficients)) if j not in set(index)]
            stat = self._refit(keep) - self.deviance
            title = f"Working (Rao-Scott) LRT for {label}"
        p = p_fsum(stat, lam, ddf) if np.isfinite(ddf) else p_chisqsum(stat, lam)
        return TestResult(title, "Chisq", stat, {"df": k, "ddf": _num(ddf)}, float(p),
                          details={"lambda": lam.tolist()}, data_name=self.formula)

    def _term_columns(self, names: list[str]) -> list[int]:
        index: list[int] = []
        for name in names:
            key = _plain_term(name)
            match = [t for t in self.terms if _plain_term(t) == key]
            if not match:
                raise DataError(f"term {name!r} is not in the model (terms: {list(self.terms)})")
            index += self.terms[match[0]]
        return sorted(set(index))

    def __repr__(self) -> str:
        head = (f"Survey-weighted GLM: {self.formula} ({self.family}, {self.link} link; "
                f"{self.design}); df.residual = {_num(self.df_residual)}, "
                f"dispersion = {self.dispersion:.6g}")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return head + "\n" + self.to_frame().to_string(index=False)

    def _repr_html_(self) -> str:
        caption = html.escape(f"{self.formula} — {self.family} ({self.link}); {self.design}; "
                              f"df.residual {_num(self.df_residual)}")
        body = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0)
        return f"<div><p><b>{caption}</b></p>{body}</div>"


def _num(value: float) -> float | int:
    return int(value) if np.isfinite(value) and float(value).is_integer() else float(value)


def _plain_term(name: str) -> str:
    name = re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", name.strip())
    name = re.sub(r"^C\((.*)\)$", r"\1", name)
    return name.replace(" ", "")


# ------------------------------------------------------------------------------ GLM families


class _Binomial(sm_families.Binomial):
    """statsmodels' binomial family, started where R's ``binomial()$initialize`` starts."""

    def __init__(self, prior: np.ndarray) -> None:
        super().__init__()
        self.prior = prior

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return (self.prior * y + 0.5) / (self.prior + 1)


class _Poisson(sm_families.Poisson):
    """statsmodels' Poisson family, started where R's ``poisson()$initialize`` starts."""

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return y + 0.1


class _Gaussian(sm_families.Gaussian):
    """statsmodels' Gaussian family, started where R's ``gaussian()$initialize`` starts."""

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return y


@dataclass(frozen=True)
class _Family:
    name: str  # as R reports it
    link: str

    def statsmodels(self, prior: np.ndarray) -> sm_families.Family:
        if self.name in ("binomial", "quasibinomial"):
            return _Binomial(prior)
        if self.name in ("poisson", "quasipoisson"):
            return _Poisson()
        return _Gaussian()


def _family(name: str) -> _Family:
    links = {"gaussian": "identity", "binomial": "logit", "quasibinomial": "logit",
             "poisson": "log", "quasipoisson": "log"}
    if name not in links:
        raise DataError(f"family must be one of {FAMILIES}, got {name!r}")
    return _Family(name, links[name])


def _check_rank(X: np.ndarray, weights: np.ndarray) -> None:
    good = weights > 0
    r = np.linalg.qr(X[good] * np.sqrt(weights[good])[:, None], mode="r")
    diag = np.abs(np.diag(r))
    if diag.size < X.shape[1] or np.any(diag < 1e-7 * max(diag.max(), 1e-300)):
        raise DataError("the model matrix is rank deficient (collinear predictors, or a "
                        "factor level with no respondents); drop or merge terms")


def _glm(X: np.ndarray, y: np.ndarray, weights: np.ndarray, fam: _Family,
         start: np.ndarray | None = None, epsilon: float = 1e-8, maxit: int = 25) -> Any:
    """Fit a GLM with statsmodels' IRLS, following R's ``glm.fit`` iterates.

    The start (R's ``family$initialize``, or ``start``) and the stopping rule
    ``|dev - devold| / (|dev| + 0.1) < epsilon`` (as statsmodels' ``atol + rtol * |dev|``)
    are R's, so the fit stops at R's iteration. Prior weights are ``var_weights``; the
    scale is held at 1 so that the criterion is the unscaled deviance, as in R.
    """
    y = y.copy()
    if fam.name in ("binomial", "quasibinomial"):
        y[weights == 0] = 0.0
        if np.any((y < 0) | (y > 1)):
            raise DataError("binomial outcome must lie in [0, 1]")
    elif fam.name in ("poisson", "quasipoisson") and np.any(y < 0):
        raise DataError("poisson outcome must not be negative")
    _check_rank(X, weights)
    model = GLM(y, X, family=fam.statsmodels(weights), var_weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        try:
            res = model.fit(start_params=start, maxiter=maxit, scale=1.0, method="IRLS",
                            tol_criterion="deviance", atol=0.1 * epsilon, rtol=epsilon)
        except ValueError as err:  # a non-finite starting deviance
            raise DataError(f"cannot find valid starting values for the model ({err})") from None
    if not res.converged:
        raise ConvergenceError(f"the model fit did not converge in {maxit} iterations")
    return res


# ------------------------------------------------------------------------------ regression


def regress(design: Design, formula: str, family: str = "gaussian", *,
            level: float = 0.95) -> ModelResult:
    """Survey-weighted generalised linear model (R's ``svyglm``).

    ``formula`` uses patsy syntax (``"y ~ x + C(g)"``; string columns become treatment
    dummies with the sorted first level as reference; write dotted names as ``Q("api.stu")``).
    ``family``: gaussian, binomial, quasibinomial, poisson or quasipoisson (canonical links).

    >>> import pandas as pd
    >>> from citizensfirst.design import Design
    >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "g": list("aabbcc"), "w": [1, 2, 1, 2, 1, 2]})
    >>> regress(Design(df, weights="w"), "y ~ g").coefficients.index.tolist()
    ['(Intercept)', 'gb', 'gc']
    """
    fam = _family(family)
    X, y, used, names, terms = _model_matrices(design, formula, fam)
    return _fit_model(design, X, y, used, names, terms, fam, formula, level)


def _model_matrices(design: Design, formula: str, fam: _Family
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], dict[str, list[int]]]:
    import patsy

    if "~" not in formula:
        raise DataError(f"formula {formula!r} needs an outcome: 'y ~ x + ...'")
    lhs, rhs = formula.split("~", 1)
    if not lhs.strip():
        raise DataError(f"formula {formula!r} needs an outcome on the left of '~'")
    data = design._data
    referenced = _referenced_columns(formula, data.columns)
    domain_rows = np.flatnonzero(design._domain)
    frame = data.iloc[domain_rows].reset_index(drop=True)
    complete = ~frame[referenced].isna().any(axis=1).to_numpy() if referenced else np.ones(len(frame), bool)
    frame = frame[complete].reset_index(drop=True)
    kept = domain_rows[complete]
    if len(frame) == 0:
        raise DataError(f"{design._source}: no complete rows for {formula!r}")
    try:
        rhs_mat = patsy.dmatrix(rhs, frame, NA_action="raise", return_type="dataframe")
        lhs_mat = patsy.dmatrix("0 + " + lhs, frame, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as err:
        raise DataError(f"{design._source}: cannot build the model {formula!r}: {_patsy_message(err, data)}") from None
    y = _outcome(lhs_mat, lhs.strip(), fam, design._source)
    # patsy puts categorical terms first; R keeps the formula's order
    slices = rhs_mat.design_info.term_name_slices
    order = [t.name() for t in patsy.ModelDesc.from_formula(rhs).rhs_termlist]
    order = [t for t in order if t in slices] + [t for t in slices if t not in order]
    columns: list[int] = []
    terms: dict[str, list[int]] = {}
    for term in order:
        sl = slices[term]
        key = "(Intercept)" if term == "Intercept" else _plain_term(term)
        terms[key] = list(range(len(columns), len(columns) + sl.stop - sl.start))
        columns += list(range(sl.start, sl.stop))
    X = rhs_mat.to_numpy(dtype=float)[:, columns]
    names = [_r_name(rhs_mat.columns[j]) for j in columns]
    full_X = np.full((len(data), X.shape[1]), np.nan)
    full_X[kept] = X
    full_y = np.full(len(data), np.nan)
    full_y[kept] = y
    used = np.zeros(len(data), dtype=bool)
    used[kept] = True
    return full_X, full_y, used, names, terms


def _patsy_message(err: Exception, data: pd.DataFrame) -> str:
    text = str(err).splitlines()[0]
    match = re.search(r"name '([^']+)' is not defined", str(err))
    if match:
        import difflib

        close = difflib.get_close_matches(match.group(1), [str(c) for c in data.columns], n=3)
        text = f"column {match.group(1)!r} not found" + (
            f" (did you mean {', '.join(map(repr, close))}?)" if close else "")
        if any("." in str(c) for c in close):
            text += "; write dotted names as Q('name')"
    return text


def _referenced_columns(formula: str, columns: Sequence[Any]) -> list[Any]:
    out = []
    for col in columns:
        name = str(col)
        if re.search(r"(?<![\w.])" + re.escape(name) + r"(?![\w.])", formula):
            out.append(col)
    return out


def _outcome(lhs: pd.DataFrame, text: str, fam: _Family, source: str) -> np.ndarray:
    cols = list(lhs.columns)
    if len(cols) == 1:
        return lhs.iloc[:, 0].to_numpy(dtype=float)
    if len(cols) == 2 and fam.name != "gaussian" and fam.name not in ("poisson", "quasipoisson"):
        return lhs.iloc[:, 1].to_numpy(dtype=float)  # second level = success, as R
    raise DataError(f"{source}: outcome {text!r} must be numeric (or two-level for a binomial "
                    f"model); it has levels {cols}")


def _r_name(column: str) -> str:
    if column == "Intercept":
        return "(Intercept)"
    column = re.sub(r"Q\((['\"])(.*?)\1\)", r"\2", column)
    return re.sub(r"\[T\.(.*)\]$", r"\1", column)


def _fit_model(design: Design, X: np.ndarray, y: np.ndarray, used: np.ndarray, names: list[str],
               terms: dict[str, list[int]], fam: _Family, formula: str, level: float) -> ModelResult:
    weights_all = design._weights * design._domain
    reps = design._replicates
    rows = np.flatnonzero(used)
    Xu, yu = X[rows], y[rows]
    base = weights_all if design._calibrations and reps is None else weights_all[design._domain]
    prior = weights_all[rows] / base.mean()
    if not np.any(prior > 0):
        raise DataError(f"{design._source}: every row used by {formula!r} has weight zero")
    fit = _glm(Xu, yu, prior, fam)
    coef = np.asarray(fit.params)
    ainv = np.asarray(fit.normalized_cov_params)  # (X' W X)^-1, W the last working weights
    p = len(coef)
    if reps is None:
        estfun = Xu * (fit.resid_working * fit.model.weights)[:, None]
        influence = np.zeros((len(y), p))
        influence[rows] = estfun @ ainv
        present = used & (weights_all > 0)
        vcov = influence_vcov(design, influence, present)
        df_res = design.degrees_of_freedom(present) + 1 - p
        thetas = None
    else:
        def statistic(w: np.ndarray) -> np.ndarray:
            wr = w[rows]
            return np.asarray(_glm(Xu, yu, wr / wr.sum(), fam, start=coef).params)

        vcov, thetas = replicate_vcov(design, statistic, coef)
        df_res = design.degrees_of_freedom() + 1 - p
    dispersion = _dispersion(design, fit, prior, rows, weights_all)
    r2 = np.nan
    if fam.name == "gaussian":
        r2 = 1 - fit.deviance / fit.null_deviance

    def refit(keep: list[int]) -> float:
        return float(_glm(Xu[:, keep], yu, prior, fam).deviance)

    return ModelResult(
        formula=formula, family=fam.name, link=fam.link,
        coefficients=pd.Series(coef, index=names, name="estimate"),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        df_residual=float(df_res), dispersion=float(dispersion), deviance=float(fit.deviance),
        null_deviance=float(fit.null_deviance),
        naive_vcov=pd.DataFrame(ainv, index=names, columns=names), n=len(rows),
        r_squared=float(r2), terms=terms, design=_describe(design), level=level,
        iterations=int(fit.fit_history["iteration"]), replicates=thetas, _refit=refit,
    )


def _dispersion(design: Design, fit: Any, prior: np.ndarray, rows: np.ndarray,
                weights_all: np.ndarray) -> float:
    """The dispersion ``summary.svyglm`` reports (R survey 4.1).

    Taylor designs: the design-based variance (``svyvar``) of the Pearson residuals.
    Replicate designs: the weighted sum of squared Pearson residuals, ``sum(w_i r_i^2)`` with
    the weights rescaled to mean 1, which is what R's ``svrepglm`` summary reports.
    """
    pearson = fit.resid_response / np.sqrt(fit.family.variance(fit.mu))
    if design._replicates is not None:
        return float(np.sum(prior * pearson**2))
    w = weights_all[rows]
    factor = 1.0 if design._calibrations else w.mean() / weights_all[design._domain].mean()
    n = int(np.sum(w > 0))
    r = pearson * np.sqrt(factor)
    centre = np.sum(w * r) / np.sum(w)
    return float(np.sum(w * (r - centre) ** 2) / np.sum(w) * n / (n - 1)) if n > 1 else np.nan


# ------------------------------------------------------------------------------ t test


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

    >>> import pandas as pd
    >>> from citizensfirst.design import Design
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 6], "g": list("aaabbb")})
    >>> res = ttest(Design(df), "y", by="g")
    >>> round(res.estimate["difference in mean"], 6), res.parameters
    (3.0, {'df': 4})
    """
    from .design import check_columns

    check_columns(design._data, [variable] + ([by] if by else []), "t test", design._source)
    y = numeric_matrix(design, [variable])[:, 0]
    answered = design._domain & ~np.isnan(y) & (design._weights > 0)
    if by is None:
        _check_testable(design, variable, y, {"the domain": answered})
        est = design.mean(variable, deff=None)
        diff = float(est.estimate) - mu
        se = float(est.se)
        df = design.degrees_of_freedom() - 1
        _check_test_df(design, variable, df)
        t = diff / se
        crit = float(critical_value(level, df)[0])
        return TestResult("Design-based one-sample t-test", "t", t, {"df": _num(df)},
                          float(2 * stats.t.sf(abs(t), df)), {"mean" if mu == 0 else "mean - mu": diff},
                          (diff - crit * se, diff + crit * se), level, data_name=variable)
    groups = design._data[by]
    in_domain = groups[design._domain].dropna()
    levels = sorted(in_domain.unique().tolist(), key=_sort_key)
    if len(levels) != 2:
        raise DataError(f"{design._source}: by={by!r} must have exactly 2 levels in the domain, "
                        f"found {len(levels)}: {levels[:10]}")
    indicator = np.where(groups.isna().to_numpy(), np.nan,
                         (groups.to_numpy(dtype=object) == levels[1]).astype(float))
    _check_testable(design, variable, y, {f"group {by} = {level!r}": answered & (indicator == i)
                                          for i, level in enumerate(levels)})
    X = np.column_stack([np.ones(len(y)), indicator])
    used = design._domain & ~np.isnan(y) & ~np.isnan(indicator)
    name = f"{by}{levels[1]}"
    model = _fit_model(design, X, y, used, ["(Intercept)", name], {"(Intercept)": [0], by: [1]},
                       _family("gaussian"), f"{variable} ~ {by}", level)
    diff = float(model.coefficients.iloc[1]) - mu
    se = float(model.se.iloc[1])
    df = model.df_residual
    _check_test_df(design, variable, df)
    t = diff / se
    crit = float(critical_value(level, df)[0])
    return TestResult("Design-based t-test", "t", t, {"df": _num(df)},
                      float(2 * stats.t.sf(abs(t), df)), {"difference in mean": diff},
                      (diff - crit * se, diff + crit * se), level,
                      details={"levels": levels}, data_name=f"{variable} ~ {by}")


def _check_testable(design: Design, variable: str, y: np.ndarray, groups: dict[str, np.ndarray]) -> None:
    """DataError unless every group has 2+ respondents with a value, and not all are constant."""
    for group, rows in groups.items():  # one or two groups, never respondents
        n = int(rows.sum())
        if n < 2:
            raise DataError(
                f"{design._source}: t test of {variable!r}: {n} respondent(s) with a value in "
                f"{group}; a t test needs at least 2 in every group"
            )
    if all(np.ptp(y[rows]) == 0 for rows in groups.values()):
        where = "within each group" if len(groups) > 1 else "for every respondent"
        raise DataError(
            f"{design._source}: t test of {variable!r}: the values are constant {where} "
            f"({', '.join(groups)}), so the comparison has zero variance and cannot be tested "
            f"(it is not significant)"
        )


def _check_test_df(design: Design, variable: str, df: float) -> None:
    if not df > 0:
        raise DataError(
            f"{design._source}: t test of {variable!r} has {df} degrees of freedom (too few PSUs "
            f"in the domain for its strata); the test cannot be made"
        )


# ------------------------------------------------------------------------------ tables


def _levels(design: Design, variable: str) -> list[Any]:
    series = design._data[variable][design._domain]
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if (series == c).any()]
    return sorted(series.dropna().unique().tolist(), key=_sort_key)


def table(design: Design, row_var: str, col_var: str | None = None) -> pd.DataFrame:
    """Weighted counts (R's ``svytable``): a one-column frame, or a row x column table.

    >>> import pandas as pd
    >>> from citizensfirst.design import Design
    >>> df = pd.DataFrame({"a": list("xxyy"), "b": list("pqpp"), "w": [1.0, 2, 3, 4]})
    >>> table(Design(df, weights="w"), "a", "b").to_numpy().tolist()
    [[1.0, 2.0], [7.0, 0.0]]
    """
    from .design import check_columns

    names = [row_var] + ([col_var] if col_var else [])
    check_columns(design._data, names, "table", design._source)
    w = design._weights * design._domain
    rl = _levels(design, row_var)
    rcodes = _codes(design._data[row_var], rl)
    if col_var is None:
        ok = rcodes >= 0
        counts = np.bincount(rcodes[ok], weights=w[ok], minlength=len(rl))
        return pd.DataFrame({"count": counts}, index=pd.Index(rl, name=row_var))
    cl = _levels(design, col_var)
    ccodes = _codes(design._data[col_var], cl)
    ok = (rcodes >= 0) & (ccodes >= 0)
    counts = np.bincount(rcodes[ok] * len(cl) + ccodes[ok], weights=w[ok],
                         minlength=len(rl) * len(cl)).reshape(len(rl), len(cl))
    return pd.DataFrame(counts, index=pd.Index(rl, name=row_var), columns=pd.Index(cl, name=col_var))


def _codes(series: pd.Series, levels: list[Any]) -> np.ndarray:
    values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    return np.asarray(pd.Categorical(values, categories=levels).codes, dtype=np.int64)


# ------------------------------------------------------------------------------ chi-squared


def chisq(design: Design, row_var: str, col_var: str, statistic: str = "F") -> TestResult:
    """Test of independence in a two-way table (R's ``svychisq``).

    ``statistic``: ``F`` (default; Rao-Scott second-order correction on (d0, d0 x nu) df),
    ``Chisq`` (Pearson X^2 with the first-order correction), ``Wald`` and ``adjWald``
    (design-based Wald tests of the interaction), ``saddlepoint`` (saddlepoint approximation
    to the asymptotic weighted chi-squared law) and ``lincom`` (the same law; computed with the
    saddlepoint approximation, as R does without the CompQuadForm package).

    >>> import numpy as np, pandas as pd
    >>> from citizensfirst.design import Design
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"a": rng.choice(["x", "y"], 200), "b": rng.choice(["p", "q"], 200)})
    >>> res = chisq(Design(df), "a", "b")
    >>> res.statistic_name, sorted(res.parameters)
    ('F', ['ddf', 'ndf'])
    """
    from .design import check_columns

    if statistic not in CHISQ_STATISTICS:
        raise DataError(f"statistic must be one of {CHISQ_STATISTICS}, got {statistic!r}")
    check_columns(design._data, [row_var, col_var], "table", design._source)
    rl, cl = _levels(design, row_var), _levels(design, col_var)
    nr, nc = len(rl), len(cl)
    if nr < 2 or nc < 2:
        raise DataError(f"{design._source}: chisq needs at least 2 levels of each variable; "
                        f"{row_var!r} has {nr}, {col_var!r} has {nc}")
    rcodes = _codes(design._data[row_var], rl)
    ccodes = _codes(design._data[col_var], cl)
    ok = (rcodes >= 0) & (ccodes >= 0)
    n = len(rcodes)
    cell = np.where(ok, rcodes + nr * ccodes, -1)  # rows vary fastest, as R's interaction()
    mm = np.zeros((n, nr * nc))
    mm[ok, cell[ok]] = 1.0
    mm[~ok] = np.nan
    N = int(design._domain.sum())
    if design._replicates is None:
        assert design._taylor is not None
        nu = design._taylor.degrees_of_freedom(design._domain)
    else:
        nu = design.degrees_of_freedom()
    observed = table(design, row_var, col_var)
    counts = observed.to_numpy()
    scaled = counts * N / counts.sum()
    expected = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / N
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum((scaled - expected) ** 2 / expected))
    obs_frame = pd.DataFrame(scaled, index=observed.index, columns=observed.columns)
    exp_frame = pd.DataFrame(expected, index=observed.index, columns=observed.columns)
    name = f"{row_var} x {col_var}"
    domains = domains_of(design, None)
    if statistic in ("Wald", "adjWald"):
        rind = np.where(ok[:, None], np.eye(nr)[np.maximum(rcodes, 0)], np.nan)
        cind = np.where(ok[:, None], np.eye(nc)[np.maximum(ccodes, 0)], np.nan)
        Z = np.column_stack([mm, rind, cind, np.where(ok, 1.0, np.nan)])
        res = ratio_engine(design, Z, None, domains, deff=None, listwise=True)
        tot, S = res["estimate"], res["vcov"]
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
                          {"ndf": ndf, "ddf": _num(ddf)}, float(stats.f.sf(F, ndf, ddf)),
                          observed=obs_frame, expected=exp_frame, details={"wald": wald},
                          data_name=name)
    res = ratio_engine(design, mm, np.where(np.isnan(mm), np.nan, 1.0), domains, deff=None,
                       listwise=True)
    p_hat, V = res["estimate"], res["vcov"]
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
    if design._replicates is None:
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


# ------------------------------------------------------------------------------ weighted chi-squared laws


def _saddle(x: float, lam: np.ndarray) -> float:
    """Upper tail of sum lam_i chi2_1 at x by the saddlepoint approximation (NaN near zeta=0)."""
    d = float(np.max(lam))
    lam = lam / d
    x = x / d

    def kprime(zeta: float) -> float:
        return float(np.sum(lam / (1 - 2 * zeta * lam)))

    if np.any(lam < 0):
        lmin = float(np.max(1 / (2 * lam[lam < 0]))) * 0.99999
    elif x > lam.sum():
        lmin = -0.01
    else:
        lmin = -len(lam) / (2 * x)
    lmax = float(np.min(1 / (2 * lam[lam > 0]))) * 0.99999
    f_lo, f_hi = kprime(lmin) - x, kprime(lmax) - x
    if not f_lo * f_hi < 0:
        return math.nan
    zeta = optimize.brentq(lambda z: kprime(z) - x, lmin, lmax, xtol=1e-14, rtol=4 * _EPS,
                           maxiter=500)
    k0 = -float(np.sum(np.log(1 - 2 * zeta * lam))) / 2
    kpp = 2 * float(np.sum(lam**2 / (1 - 2 * zeta * lam) ** 2))
    w = math.copysign(math.sqrt(max(2 * (zeta * x - k0), 0.0)), zeta)
    v = zeta * math.sqrt(kpp)
    if abs(zeta) < 1e-4:
        return math.nan
    return float(stats.norm.sf(w + math.log(v / w) / w))


def p_chisqsum(x: float, lam: Sequence[float] | np.ndarray) -> float:
    """P(sum lam_i chi2_1 > x): saddlepoint, falling back to Satterthwaite (R's ``pchisqsum``).

    >>> round(p_chisqsum(3.84, [1.0]), 3)  # exact: 0.050
    0.052
    """
    lam = np.asarray(lam, dtype=float)
    if x <= 0:
        return 1.0
    tr = lam.mean()
    tr2 = np.mean(lam**2) / tr**2
    guess = float(stats.chi2.sf(x / (tr * tr2), len(lam) / tr2))
    sad = _saddle(float(x), lam)
    return guess if math.isnan(sad) else sad


def p_fsum(x: float, lam: Sequence[float] | np.ndarray, ddf: float) -> float:
    """P(sum lam_i chi2_1 / (chi2_ddf / ddf) > x) (R's ``pFsum``, saddlepoint method).

    The saddlepoint approximation is applied to ``sum lam_i chi2_1 - (x / ddf) chi2_ddf > 0``
    (``ddf`` truncated to an integer count of unit chi-squares, as R); where it is undefined the
    Satterthwaite F approximation is used.

    >>> round(p_fsum(4.0, [1.0], 30.0), 3)  # exact F(1, 30): 0.055
    0.057
    """
    if not np.isfinite(ddf):
        return p_chisqsum(x, lam)
    lam = np.asarray(lam, dtype=float)
    tr = lam.mean()
    tr2 = np.mean(lam**2) / tr**2
    ndf = len(lam) / tr2
    guess = float(stats.f.sf(x / ndf / (tr * tr2), ndf, ddf))
    combined = np.concatenate([lam, np.full(int(ddf), -x / ddf)])
    sad = _saddle(0.0, combined)
    return guess if math.isnan(sad) else sad
