"""Survey-weighted GLMs of a lazy design (R's ``svyglm``): IRLS with one query per iteration.

The fit follows the in-memory :func:`~citizensfirst.inference.regress` (statsmodels' IRLS
started as R's ``glm.fit``) step by step, but every step is one aggregation query with the
current coefficients written into the SQL: the deviance ``SUM(p d(y, mu))``, ``X'WX`` and the
score ``X'W g'(mu)(y - mu)`` (the first step, from the family's starting values, ``X'Wz``), with
``eta = x'beta`` and the link functions in SQL (``1 / (1 + EXP(-eta))``, ``EXP(eta)``, and
statsmodels' clipping of ``mu``). numpy solves the small ``p x p`` systems; the fit stops by
statsmodels' rule on the deviance, so it stops at the in-memory iteration.

* Taylor designs: one more query, grouped by the finest sampled units, returns the unit totals
  of the estimating functions ``x w g'(mu) (y - mu)``; times ``(X'WX)^-1`` they are the
  influence totals that ``TaylorStructure.vcov`` takes, as in memory.
* Replicate designs: every replicate refits the model from the full-sample coefficients (as in
  memory and R); each iteration is ONE query holding the sums of every replicate still
  iterating, each with its own coefficients.

The result is the in-memory :class:`~citizensfirst.inference.glm.ModelResult`, so ``wald_test``
(``regTermTest``: Wald, working Wald and, by refitting lazily, the working LRT), ``conf_int``
and ``r_squared`` work as in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ConvergenceError, DataError, NotLazyError
from ..estimation.engine import describe
from ..inference.families import GlmFamily, family_of
from ..inference.glm import ModelResult, check_rank
from .estimators import described
from .formulas import ModelSql, model_sql

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["fit_model", "regress"]

_EPS = float(np.finfo(float).eps)
#: statsmodels' (R's) IRLS settings of the in-memory fit: epsilon and the most iterations
EPSILON, MAXIT = 1e-8, 25


class _FamilySql:
    """A family's functions in SQL, written as statsmodels computes them (with its clipping)."""

    def __init__(self, fam: GlmFamily, literal: Callable[[object], str]) -> None:
        self.fam = fam
        self.eps = literal(_EPS)
        self.one_minus = literal(1.0 - _EPS)

    def _clip01(self, mu: str) -> str:
        return f"GREATEST(LEAST({mu}, {self.one_minus}), {self.eps})"

    def mean(self, eta: str) -> str:
        """The inverse link ``mu(eta)``."""
        link = self.fam.link
        return {"identity": eta, "logit": f"1.0 / (1.0 + EXP(-{eta}))", "log": f"EXP({eta})"}[link]

    def link(self, mu: str) -> str:
        """The link ``g(mu)`` (for the starting values)."""
        c = self._clip01(mu)
        return {"identity": mu, "logit": f"LN({c} / (1.0 - {c}))",
                "log": f"LN(GREATEST({mu}, {self.eps}))"}[self.fam.link]

    def deriv(self, mu: str) -> str:
        """``g'(mu)``."""
        c = self._clip01(mu)
        return {"identity": "1.0", "logit": f"1.0 / ({c} * (1.0 - {c}))",
                "log": f"1.0 / GREATEST({mu}, {self.eps})"}[self.fam.link]

    def variance(self, mu: str) -> str:
        """The variance function ``V(mu)``."""
        if self.fam.name in ("binomial", "quasibinomial"):
            c = self._clip01(mu)
            return f"{c} * (1.0 - {c})"
        return f"ABS({mu})" if self.fam.name in ("poisson", "quasipoisson") else "1.0"

    def deviance(self, y: str, mu: str) -> str:
        """The unit deviance ``d(y, mu)``."""
        if self.fam.name in ("binomial", "quasibinomial"):
            return (f"2.0 * ({y} * LN(GREATEST({y} / ({mu} + 1e-20), {self.eps})) + (1.0 - {y}) * "
                    f"LN(GREATEST((1.0 - {y}) / (1.0 - {mu} + 1e-20), {self.eps})))")
        if self.fam.name in ("poisson", "quasipoisson"):
            return f"2.0 * ({y} * LN(GREATEST({y} / {mu}, {self.eps})) - ({y} - {mu}))"
        return f"({y} - {mu}) * ({y} - {mu})"

    def start(self, y: str, prior: str) -> str:
        """R's starting ``mu`` (``family$initialize``)."""
        if self.fam.name in ("binomial", "quasibinomial"):
            return f"({prior} * {y} + 0.5) / ({prior} + 1.0)"
        return f"{y} + 0.1" if self.fam.name in ("poisson", "quasipoisson") else y


def _layered(design: LazyDesign, layers: Sequence[dict[str, str]], aggregates: dict[str, str],
             by: Sequence[str], where: str, join: str = "") -> pd.DataFrame:
    """Aggregate over nested selects: each layer adds named expressions of the layer before
    (``join`` is cross-joined to the first layer)."""
    q = design.backend.column
    keys = [q(k) for k in by]
    first = ", ".join([q(k) for k in by if not join] + [f"{expr} AS {q(name)}"
                                                         for name, expr in layers[0].items()])
    sql = f"SELECT {first} FROM {{rows}} WHERE {where}"
    if join:
        sql = f"SELECT * FROM ({sql}) AS cf_first CROSS JOIN {join}"
    for i, layer in enumerate(layers[1:]):
        added = ", ".join(f"{expr} AS {q(name)}" for name, expr in layer.items())
        sql = f"SELECT *, {added} FROM ({sql}) AS cf_l{i}"
    values = ", ".join(keys + [f"{expr} AS {q(name)}" for name, expr in aggregates.items()])
    sql = f"SELECT {values} FROM ({sql}) AS cf_top"
    if keys:
        sql += f" GROUP BY {', '.join(keys)} ORDER BY {', '.join(f'{k} NULLS LAST' for k in keys)}"  # as aggregate()
    return design.backend.run(sql)


def _linear(design: LazyDesign, k: int, beta: np.ndarray | None) -> str | None:
    """``x'beta`` in SQL over the model columns ``x0, x1, ...`` (None: the starting values)."""
    if beta is None:
        return None
    q, lit = design.backend.column, design.backend.literal
    return " + ".join(f"{q(f'x{j}')} * {lit(float(b))}" for j, b in enumerate(beta[:k]))


def _rows(design: LazyDesign, m: ModelSql, fam: _FamilySql, priors: Sequence[str],
          etas: Sequence[str | None], entry: str | None = None) -> list[dict[str, str]]:
    """Layers giving ``y``, ``x{j}`` and, per entry ``e``, ``p{e}`` (prior weight), ``eta{e}``,
    ``mu{e}``, ``d{e}`` (g'), ``v{e}`` (V), ``w{e}`` (the IRLS weight), ``r{e}`` (the working
    residual). ``etas[e]`` is the linear predictor (None: the family's starting values). With
    ``entry`` (the entry column of a joined table), one entry whose prior is ``priors[entry]``."""
    q = design.backend.column
    y = q("y")
    layers: list[dict[str, str]] = [{"y": m.outcome, **{f"x{j}": c for j, c in enumerate(m.columns)}},
                                    {}, {}, {}, {}, {}]
    layers[0].update({f"a{e}": prior for e, prior in enumerate(priors)})
    if entry is None:
        weights = [q(f"a{e}") for e in range(len(priors))]
    else:
        weights = ["CASE " + entry + " " + " ".join(f"WHEN {e} THEN {q(f'a{e}')}"
                                                    for e in range(len(priors))) + " END"]
    for e, (prior, eta) in enumerate(zip(weights, etas, strict=True)):
        p, s, mu, d, v = (q(f"{key}{e}") for key in ("p", "s", "mu", "d", "v"))
        layers[1][f"p{e}"] = prior
        layers[2][f"s{e}"] = fam.start(y, p) if eta is None else eta
        layers[3].update({f"mu{e}": s, f"eta{e}": fam.link(s)} if eta is None
                         else {f"eta{e}": s, f"mu{e}": fam.mean(s)})
        layers[4].update({f"d{e}": fam.deriv(mu), f"v{e}": fam.variance(mu)})
        layers[5].update({f"w{e}": f"{p} / ({d} * {d} * {v})", f"r{e}": f"{d} * ({y} - {mu})"})
    return layers


def _pass(design: LazyDesign, m: ModelSql, fam: _FamilySql, priors: Sequence[str],
          states: Sequence[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ONE query: per entry the deviance, ``X'WX`` and the score (``X'Wz`` from the start).

    From coefficients, the entries are the rows of a small ``VALUES`` table (entry number and
    coefficients) cross-joined to the rows and grouped by entry, so the query does not grow with
    the number of replicates times the model's size.
    """
    q = design.backend.column
    lit = design.backend.literal
    k = len(m.columns)
    pairs = [(i, j) for i in range(k) for j in range(i, k)]
    start = states[0] is None
    if start:  # the starting values: one entry
        layers, join, by = _rows(design, m, fam, priors, [None]), "", ()
    else:
        eta = " + ".join(f"{q(f'x{j}')} * {q(f'b{j}')}" for j in range(k))
        layers = _rows(design, m, fam, priors, [eta], entry=q("cf_e"))
        table = ", ".join("(" + ", ".join([str(e)] + [lit(float(b)) for b in beta]) + ")"
                          for e, beta in enumerate(states) if beta is not None)
        join = f"(VALUES {table}) AS cf_b({', '.join([q('cf_e')] + [q(f'b{j}') for j in range(k)])})"
        by = ("cf_e",)  # type: ignore[assignment]
    y, w, r, p, mu = q("y"), q("w0"), q("r0"), q("p0"), q("mu0")
    work = f"({q('eta0')} + {r})" if start else r
    aggregates = {"dev": f"SUM({p} * {fam.deviance(y, mu)})"}
    for i, j in pairs:
        aggregates[f"a_{i}_{j}"] = f"SUM({w} * {q(f'x{i}')} * {q(f'x{j}')})"
    for j in range(k):
        aggregates[f"b_{j}"] = f"SUM({w} * {work} * {q(f'x{j}')})"
    answer = _layered(design, layers, aggregates, by, m.used, join)
    dev = answer["dev"].to_numpy(dtype=float)
    gram = np.zeros((len(answer), k, k))
    for i, j in pairs:
        gram[:, i, j] = gram[:, j, i] = answer[f"a_{i}_{j}"].to_numpy(dtype=float)
    return dev, gram, answer[[f"b_{j}" for j in range(k)]].to_numpy(dtype=float)


def _solve(gram: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``gram^-1 b``, the matrix equilibrated first (its columns differ in scale)."""
    s = 1.0 / np.sqrt(np.diag(gram))
    return np.asarray(s * np.linalg.solve(gram * np.outer(s, s), b * s))


@dataclass(frozen=True)
class _Fit:
    """A converged fit: coefficients, deviance, ``X'WX`` of the last step (its weights are the
    final working weights), the state those weights come from, and the iterations."""

    beta: np.ndarray
    deviance: float
    gram: np.ndarray
    previous: np.ndarray | None
    iterations: int


def _irls(design: LazyDesign, m: ModelSql, fam: _FamilySql, priors: Sequence[str],
          starts: Sequence[np.ndarray | None]) -> list[_Fit]:
    """Fit every entry (full sample, or each replicate) by IRLS, one query per iteration.

    statsmodels' rule: converged when ``|dev_old - dev| <= 0.1 eps + eps |dev|``.
    """
    dev, gram, score = _pass(design, m, fam, priors, starts)
    if not np.all(np.isfinite(dev)):
        raise DataError("cannot find valid starting values for the model (the deviance at the "
                        "starting values is not finite)")
    state = list(starts)
    beta = [_solve(gram[e], score[e]) + (0.0 if s is None else s) for e, s in enumerate(starts)]
    last_dev, last_gram = list(dev), list(gram)
    fits: list[_Fit | None] = [None] * len(starts)
    active = list(range(len(starts)))
    for iteration in range(1, MAXIT + 1):
        dev, gram, score = _pass(design, m, fam, [priors[e] for e in active],
                                 [beta[e] for e in active])
        still = []
        for i, e in enumerate(active):
            if abs(last_dev[e] - dev[i]) <= 0.1 * EPSILON + EPSILON * abs(dev[i]):
                fits[e] = _Fit(beta[e], float(dev[i]), last_gram[e], state[e], iteration)
                continue
            state[e], last_dev[e], last_gram[e] = beta[e], dev[i], gram[i]
            beta[e] = beta[e] + _solve(gram[i], score[i])
            still.append(e)
        active = still
        if not active:
            return [f for f in fits if f is not None]
    raise ConvergenceError(f"the model fit did not converge in {MAXIT} iterations")


@dataclass(frozen=True)
class _Setup:
    """The first query's answer: row counts, the prior weight (SQL) and its scale, and the
    replicates' priors."""

    n_used: int
    prior: str
    mean_y: float
    replicate_priors: tuple[str, ...]


def _setup(design: LazyDesign, m: ModelSql, fam: GlmFamily) -> _Setup:
    """Counts, checks and the weighted cross-products of the model matrix (for its rank)."""
    lit = design.backend.literal
    w = f"({design.weight_sql})"
    dom = design.domain_sql or "TRUE"
    used = f"({m.used})"
    k = len(m.columns)

    def total(condition: str, value: str) -> str:
        return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    sums = {"nd": total(dom, "1"), "wd": total(dom, w), "nu": total(used, "1"),
            "np": total(f"{used} AND {w} > 0", "1"), "sw": total(used, w),
            "swy": total(used, f"{w} * {m.outcome}")}
    y = m.outcome
    if fam.name in ("binomial", "quasibinomial"):
        sums["bad"] = total(f"{used} AND {w} <> 0 AND ({y} < 0 OR {y} > 1)", "1")
    elif fam.name in ("poisson", "quasipoisson"):
        sums["bad"] = total(f"{used} AND {y} < 0", "1")
    for i in range(k):
        for j in range(i, k):
            sums[f"g_{i}_{j}"] = total(used, f"{w} * {m.columns[i]} * {m.columns[j]}")
    for r, a in enumerate(design.replicate_sql):
        sums[f"s_{r}"] = total(used, a)
    found = design.backend.aggregate(sums).fillna(0).iloc[0]
    if int(found.get("bad", 0)):
        raise DataError("binomial outcome must lie in [0, 1]" if "binomial" in fam.name
                        else "poisson outcome must not be negative")
    if not int(found["np"]):
        raise DataError(f"{design.source}: every row used by {m.formula!r} has weight zero")
    gram = np.array([[float(found[f"g_{min(i, j)}_{max(i, j)}"]) for j in range(k)] for i in range(k)])
    try:
        diag = np.abs(np.diag(np.linalg.cholesky(gram)))
    except np.linalg.LinAlgError:
        diag = np.zeros(k)
    check_rank(diag[: min(k, int(found["np"]))], k)
    base_mean = float(found["wd"]) / float(found["nd"])
    priors = tuple(f"({a}) / {lit(float(found[f's_{r}']))}" for r, a in enumerate(design.replicate_sql))
    return _Setup(int(found["nu"]), f"{w} / {lit(base_mean)}", float(found["swy"]) / float(found["sw"]),
                  priors)


def fit_model(design: LazyDesign, m: ModelSql, fam: GlmFamily, level: float = 0.95) -> ModelResult:
    """Fit the GLM ``m`` and its design-based (Taylor or replicate) covariance, lazily.

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    m : ModelSql
        The model in SQL (:func:`~citizensfirst.lazy.formulas.model_sql`).
    fam : GlmFamily
        The family.
    level : float, default 0.95
        Confidence level of the result.

    Returns
    -------
    ModelResult
        The in-memory result class, with the same numbers.

    Raises
    ------
    DataError
        Invalid outcome, rank-deficient model, or no row with a weight.
    ConvergenceError
        If the fit (or a replicate's) does not converge.
    NotLazyError
        On a calibrated Taylor design (its variance needs the calibration's residuals).
    """
    if getattr(design, "calibrations", ()) and design.replicates is None:
        raise NotLazyError(f"{design.source}: a model on a calibrated lazy design (Taylor variance "
                           "with the calibration's residuals) is not lazy yet; .collect() a subset "
                           "and fit the model in memory")
    sql = _FamilySql(fam, design.backend.literal)
    setup = _setup(design, m, fam)
    fit = _irls(design, m, sql, [setup.prior], [None])[0]
    p = len(fit.beta)
    ainv = np.linalg.inv(fit.gram)
    final = _final(design, m, sql, setup, fit)
    thetas = None
    if design.replicates is None:
        vcov, df = _taylor(design, final, ainv, p)
    else:
        reps = _irls(design, m, sql, setup.replicate_priors, [fit.beta] * len(setup.replicate_priors))
        thetas = np.vstack([r.beta for r in reps])
        vcov = design.replicates.vcov(thetas, fit.beta)
        df = design.degrees_of_freedom() + 1 - p
    sums = final.sum(numeric_only=True)
    null = float(sums["null"])
    if design.replicates is not None:
        dispersion = float(sums["prr"])
    else:
        n, sp = float(sums["npos"]), float(sums["sp"])
        factor = sp / setup.n_used
        spread = (float(sums["prr"]) - float(sums["pr"]) ** 2 / sp) / sp
        dispersion = factor * spread * n / (n - 1) if n > 1 else np.nan

    def refit(keep: list[int]) -> float:
        """Deviance of the model refitted on the columns ``keep`` (for the LRT).

        Parameters
        ----------
        keep : list of int
            Positions of the coefficients kept.

        Returns
        -------
        float
            The deviance.
        """
        sub = replace(m, columns=tuple(m.columns[j] for j in keep))
        return _irls(design, sub, sql, [setup.prior], [None])[0].deviance

    names = m.names
    return ModelResult(
        formula=m.formula, family=fam.name, link=fam.link,
        coefficients=pd.Series(fit.beta, index=names, name="estimate"),
        vcov=pd.DataFrame(vcov, index=names, columns=names), df_residual=float(df),
        dispersion=float(dispersion), deviance=fit.deviance, null_deviance=null,
        naive_vcov=pd.DataFrame(ainv, index=names, columns=names), n=setup.n_used,
        r_squared=float(1 - fit.deviance / null) if fam.name == "gaussian" else float("nan"),
        terms=m.terms, design=describe(described(design)), level=level, iterations=fit.iterations,
        replicates=thetas, _refit=refit,
    )


def _final(design: LazyDesign, m: ModelSql, fam: _FamilySql, setup: _Setup, fit: _Fit) -> pd.DataFrame:
    """The last query: per finest unit (Taylor) the totals of the estimating functions and the
    rows with a weight; the null deviance and the Pearson residuals' sums."""
    q = design.backend.column
    lit = design.backend.literal
    k = len(m.columns)
    layers = _rows(design, m, fam, [setup.prior, setup.prior],
                   [_linear(design, k, fit.previous), _linear(design, k, fit.beta)])
    y, p, mu, v = q("y"), q("p1"), q("mu1"), q("v1")
    aggregates = {"null": f"SUM({p} * {fam.deviance(y, lit(setup.mean_y))})",
                  "npos": f"SUM(CASE WHEN {p} > 0 THEN 1 ELSE 0 END)", "sp": f"SUM({p})",
                  "pr": f"SUM({p} * ({y} - {mu}) / SQRT({v}))",
                  "prr": f"SUM({p} * ({y} - {mu}) * ({y} - {mu}) / {v})"}
    by: tuple[str, ...] = ()
    if design.clusters is not None:
        by = design.clusters.keys
        for j in range(k):
            aggregates[f"u{j}"] = f"SUM({q('w0')} * {q('r1')} * {q(f'x{j}')})"
    return _layered(design, layers, aggregates, by, m.used)


def _taylor(design: LazyDesign, final: pd.DataFrame, ainv: np.ndarray, p: int
            ) -> tuple[np.ndarray, float]:
    """Taylor covariance and residual df from the unit totals of the estimating functions."""
    clusters = design.clusters
    assert clusters is not None
    taylor = clusters.taylor
    units = clusters.positions(final)
    scores = np.zeros((len(clusters.frame), p))
    np.add.at(scores, units, final[[f"u{j}" for j in range(p)]].to_numpy(dtype=float))
    present = np.zeros(len(clusters.frame), dtype=bool)
    present[units[final["npos"].to_numpy(dtype=float) > 0]] = True
    vcov = taylor.vcov(taylor.cluster_totals(scores @ ainv), taylor.present(present))
    return vcov, float(taylor.degrees_of_freedom(present) + 1 - p)


def regress(design: LazyDesign, formula: str, family: str = "gaussian", *,
            level: float = 0.95) -> ModelResult:
    """Survey-weighted GLM of a lazy design (as :func:`citizensfirst.inference.regress`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    formula : str
        Patsy formula ``"y ~ x + C(g)"`` (numeric columns as plain names).
    family : str, default 'gaussian'
        gaussian, binomial, quasibinomial, poisson or quasipoisson (canonical links).
    level : float, default 0.95
        Confidence level of the coefficient intervals.

    Returns
    -------
    ModelResult
        The fitted model with design-based variance, as in memory.

    Raises
    ------
    DataError
        Unknown family, a formula that cannot be built, an invalid outcome, a rank-deficient
        model.
    ConvergenceError
        If the fit does not converge.
    NotLazyError
        If a term transforms a numeric column (``.collect()`` a subset).

    Examples
    --------
    >>> import citizensfirst as cf, pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.parquet"
    >>> pd.DataFrame({"y": [1.0, 2, 4, 3, 6, 5], "x": [0.0, 1, 2, 3, 4, 5]}).to_parquet(path)
    >>> regress(cf.scan_survey(path), "y ~ x").coefficients.round(4).tolist()
    [1.2857, 0.8857]
    """
    fam = family_of(family)
    return fit_model(design, model_sql(design, formula, fam), fam, level)
