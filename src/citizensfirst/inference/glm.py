"""Generalised linear models on a design: statsmodels fits with the design's variance (``svyglm``)."""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import CitizensFirstError, ConvergenceError, DataError
from ..estimation.engine import describe, influence_vcov, replicate_vcov
from ..estimation.result import critical_value
from .families import GlmFamily, family_of
from .formulas import model_matrices, plain_term
from .results import TestResult, p_chisqsum, p_fsum

if TYPE_CHECKING:
    from ..design.facade import Design


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
    def estimate(self) -> pd.Series:
        """The coefficients (the name every result shares).

        Returns
        -------
        pandas.Series
            The coefficients, indexed by term.
        """
        return self.coefficients

    @property
    def se(self) -> pd.Series:
        """Standard errors of the coefficients.

        Returns
        -------
        pandas.Series
            Named ``se``, indexed by term.
        """
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.coefficients.index,
                         name="se")

    @property
    def statistic(self) -> pd.Series:
        """t statistics (coefficient / se).

        Returns
        -------
        pandas.Series
            Named ``t``, indexed by term.
        """
        return (self.coefficients / self.se).rename("t")

    @property
    def p_values(self) -> pd.Series:
        """Two-sided p-values from t with ``df_residual`` degrees of freedom.

        Returns
        -------
        pandas.Series
            Named ``p_value``, indexed by term (NaN when ``df_residual`` is not positive).
        """
        from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

        t = self.statistic.to_numpy()
        df = self.df_residual
        p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(len(t), np.nan)
        return pd.Series(p, index=self.coefficients.index, name="p_value")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald confidence intervals with t on ``df_residual`` degrees of freedom.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the model's ``level``).

        Returns
        -------
        pandas.DataFrame
            Columns ``ci_low`` and ``ci_high``, indexed by term.
        """
        level = self.level if level is None else level
        crit = float(critical_value(level, self.df_residual)[0])
        est, se = self.coefficients, self.se
        return pd.DataFrame({"ci_low": est - crit * se, "ci_high": est + crit * se})

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table: term, estimate, se, t, p_value, ci_low, ci_high.

        Returns
        -------
        pandas.DataFrame
            One row per term.
        """
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

        Parameters
        ----------
        terms : str or sequence of str
            The model terms to test (as in the formula, e.g. ``x`` or ``C(g)``).
        df : float, optional
            Denominator degrees of freedom (default ``df_residual``; ``np.inf`` for chi-squared).
        method : {'Wald', 'WorkingWald', 'LRT'}, default 'Wald'
            The test statistic.

        Returns
        -------
        TestResult
            The statistic, its parameters and the p-value.

        Raises
        ------
        DataError
            If a term is not in the model or ``method`` is unknown.
        CitizensFirstError
            If ``method='LRT'`` and the model cannot be refitted.

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "x": [0.0, 1, 2, 3, 4, 5]})
        >>> regress(Design(df), "y ~ x").wald_test("x").parameters
        {'ndf': 1, 'ddf': 4}
        """
        from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

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
                return TestResult(f"Wald test for {label}", "F", F, {"ndf": k, "ddf": num(ddf)},
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
        return TestResult(title, "Chisq", stat, {"df": k, "ddf": num(ddf)}, float(p),
                          details={"lambda": lam.tolist()}, data_name=self.formula)

    def _term_columns(self, names: list[str]) -> list[int]:
        index: list[int] = []
        for name in names:
            key = plain_term(name)
            match = [t for t in self.terms if plain_term(t) == key]
            if not match:
                raise DataError(f"term {name!r} is not in the model (terms: {list(self.terms)})")
            index += self.terms[match[0]]
        return sorted(set(index))

    def __repr__(self) -> str:
        head = (f"Survey-weighted GLM: {self.formula} ({self.family}, {self.link} link; "
                f"{self.design}); df.residual = {num(self.df_residual)}, "
                f"dispersion = {self.dispersion:.6g}")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return head + "\n" + self.to_frame().to_string(index=False)

    def _repr_html_(self) -> str:
        caption = html.escape(f"{self.formula} — {self.family} ({self.link}); {self.design}; "
                              f"df.residual {num(self.df_residual)}")
        body = self.to_frame().to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0)
        return f"<div><p><b>{caption}</b></p>{body}</div>"


def num(value: float) -> float | int:
    """``value`` as an int when it is a finite whole number, else as a float.

    Parameters
    ----------
    value : float
        A number (e.g. degrees of freedom).

    Returns
    -------
    int or float
        The number, for display.
    """
    return int(value) if np.isfinite(value) and float(value).is_integer() else float(value)


def _check_rank(X: np.ndarray, weights: np.ndarray) -> None:
    good = weights > 0
    r = np.linalg.qr(X[good] * np.sqrt(weights[good])[:, None], mode="r")
    check_rank(np.abs(np.diag(r)), X.shape[1])


def check_rank(diag: np.ndarray, p: int) -> None:
    """Raise unless the triangular factor of the weighted model matrix has full rank ``p``.

    Parameters
    ----------
    diag : numpy.ndarray
        Absolute diagonal of R in ``sqrt(W) X = QR`` (or of the Cholesky factor of ``X'WX``).
    p : int
        Number of model columns.

    Raises
    ------
    DataError
        If a diagonal entry is below 1e-7 times the largest, or fewer than ``p`` are given.
    """
    if diag.size < p or np.any(diag < 1e-7 * max(diag.max(), 1e-300)):
        raise DataError("the model matrix is rank deficient (collinear predictors, or a "
                        "factor level with no respondents); drop or merge terms")


def _glm(X: np.ndarray, y: np.ndarray, weights: np.ndarray, fam: GlmFamily,
         start: np.ndarray | None = None, epsilon: float = 1e-8, maxit: int = 25) -> Any:
    """Fit a GLM with statsmodels' IRLS, following R's ``glm.fit`` iterates.

    The start (R's ``family$initialize``, or ``start``) and the stopping rule
    ``|dev - devold| / (|dev| + 0.1) < epsilon`` (as statsmodels' ``atol + rtol * |dev|``)
    are R's, so the fit stops at R's iteration. Prior weights are ``var_weights``; the
    scale is held at 1 so that the criterion is the unscaled deviance, as in R.
    """
    # lazy: statsmodels costs a second to import (start-up time); only model fits need it
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

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


def regress(design: Design, formula: str, family: str = "gaussian", *,
            level: float = 0.95) -> ModelResult:
    """Survey-weighted generalised linear model (R's ``svyglm``).

    ``formula`` uses patsy syntax (``"y ~ x + C(g)"``; string columns become treatment
    dummies with the sorted first level as reference; write dotted names as ``Q("api.stu")``).
    ``family``: gaussian, binomial, quasibinomial, poisson or quasipoisson (canonical links).

    Parameters
    ----------
    design : Design
        The survey design.
    formula : str
        Patsy formula ``"y ~ x + ..."``.
    family : str, default 'gaussian'
        One of :data:`FAMILIES`.
    level : float, default 0.95
        Confidence level of the coefficient intervals.

    Returns
    -------
    ModelResult
        The fitted model with design-based variance.

    Raises
    ------
    DataError
        If the family is unknown, the formula cannot be built on the data, the outcome is invalid
        for the family, or the model matrix is rank deficient.
    ConvergenceError
        If the fit does not converge.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> df = pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "g": list("aabbcc"), "w": [1, 2, 1, 2, 1, 2]})
    >>> regress(Design(df, weights="w"), "y ~ g").coefficients.index.tolist()
    ['(Intercept)', 'gb', 'gc']
    """
    fam = family_of(family)
    X, y, used, names, terms = model_matrices(design, formula, fam)
    return fit_model(design, X, y, used, names, terms, fam, formula, level)


def fit_model(design: Design, X: np.ndarray, y: np.ndarray, used: np.ndarray, names: list[str],
               terms: dict[str, list[int]], fam: GlmFamily, formula: str, level: float) -> ModelResult:
    """Fit the GLM and its design-based (Taylor or replicate) covariance.

    Parameters
    ----------
    design : Design
        The survey design.
    X : numpy.ndarray
        Model matrix, one row per data row (NaN where unused).
    y : numpy.ndarray
        Outcome, one value per data row (NaN where unused).
    used : numpy.ndarray
        Boolean mask of the rows in the fit.
    names : list of str
        R-style coefficient names.
    terms : dict of str to list of int
        Term -> its coefficient positions.
    fam : GlmFamily
        The model family.
    formula : str
        The formula, for messages and the result.
    level : float
        Confidence level of the result.

    Returns
    -------
    ModelResult
        The fitted model.

    Raises
    ------
    DataError
        If every used row has weight zero, or the fit has invalid data.
    ConvergenceError
        If the fit does not converge.
    """
    weights_all = design.weight_values * design.domain
    reps = design.replicate_weights
    rows = np.flatnonzero(used)
    Xu, yu = X[rows], y[rows]
    base = weights_all if design.calibrations and reps is None else weights_all[design.domain]
    prior = weights_all[rows] / base.mean()
    if not np.any(prior > 0):
        raise DataError(f"{design.source}: every row used by {formula!r} has weight zero")
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
        """Deviance of the model refitted on the columns ``keep`` (for the LRT).

        Parameters
        ----------
        keep : list of int
            Positions of the coefficients to keep.

        Returns
        -------
        float
            The deviance.
        """
        return float(_glm(Xu[:, keep], yu, prior, fam).deviance)

    return ModelResult(
        formula=formula, family=fam.name, link=fam.link,
        coefficients=pd.Series(coef, index=names, name="estimate"),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        df_residual=float(df_res), dispersion=float(dispersion), deviance=float(fit.deviance),
        null_deviance=float(fit.null_deviance),
        naive_vcov=pd.DataFrame(ainv, index=names, columns=names), n=len(rows),
        r_squared=float(r2), terms=terms, design=describe(design), level=level,
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
    if design.replicate_weights is not None:
        return float(np.sum(prior * pearson**2))
    w = weights_all[rows]
    factor = 1.0 if design.calibrations else w.mean() / weights_all[design.domain].mean()
    n = int(np.sum(w > 0))
    r = pearson * np.sqrt(factor)
    centre = np.sum(w * r) / np.sum(w)
    return float(np.sum(w * (r - centre) ** 2) / np.sum(w) * n / (n - 1)) if n > 1 else np.nan
