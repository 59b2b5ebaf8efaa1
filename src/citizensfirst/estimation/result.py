"""Design-based estimators and the :class:`Estimate` result.

Means, proportions and ratios are ratios of weighted totals ``Y / X``; totals are ``Y`` alone.
For each domain (``by=``) and variable the engine computes the point estimate and its influence
values ``w (y - R x) / X`` (totals: ``w y``), sums them within clusters, and hands the cluster
totals to the design's variance kernel; replicate designs instead re-compute ``Y_r / X_r`` with
every replicate's weights. Rows outside a domain or missing on a variable keep their place with
weight zero, as R's ``svyby`` / ``subset`` / ``na.rm=TRUE``.

Conventions (see docs/methods.md):

* **Missing values**: ``missing="available"`` (default) uses, for each variable, the rows where
  it is observed; ``"listwise"`` the rows observed on every requested variable (R's ``na.rm``).
* **Confidence intervals**: ``estimate +/- t(df) x se`` on the design df of the domain (R's ``degf``
  on the subset; ``df=np.inf``: normal), or a method of :mod:`~citizensfirst.estimation.intervals`.
* **Design effect**: ``deff="srswor"`` compares with simple random sampling without
  replacement of the same n from a population of size sum(w) (R's ``deff=TRUE``);
  ``deff="replace"`` with replacement (R's ``deff="replace"``).
* **Quality**: every row carries unweighted ``n``, ``cv`` = ``se / |estimate|`` and a ``flag``
  (see :mod:`citizensfirst.quality`).

>>> import pandas as pd
>>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "g": ["a", "a", "b", "b"]})
>>> from citizensfirst import Design
>>> est = Design(df).mean("y", by="g")
>>> est.to_frame()[["g", "variable", "estimate", "n"]]
   g variable  estimate  n
0  a        y       1.5  2
1  b        y       4.0  2
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..design.groups import group_sums
from ..design.setup import as_list, check_columns, numeric_column
from ..errors import DataError
from .intervals import (
    INTERVAL_METHODS,
    IntervalInputs,
    independent_difference,
    interval,
    linear_combination,
    pairwise_tests,
    table_limits,
)
from .intervals import critical_value as critical_value  # re-exported: inference and drivers use it
from .quality import DEFAULT_RULES, QualityRules

if TYPE_CHECKING:
    from ..design.facade import Design

@dataclass(frozen=True)
class Estimate:
    """Estimates with their uncertainty: one row per (domain, variable, level).

    ``table`` has the by-columns, then ``variable``, ``level`` (proportions), ``estimate``,
    ``se``, ``ci_low``, ``ci_high``, ``deff``, ``cv``, ``n`` (unweighted), ``df`` and ``flag``;
    ``vcov`` is the covariance matrix of the estimates (rows/columns = ``labels``).
    """

    statistic: str
    table: pd.DataFrame
    vcov: np.ndarray
    by: tuple[str, ...] = ()
    level: float = 0.95
    ci_method: str = "t"
    design: str = ""
    notes: tuple[str, ...] = ()
    replicates: np.ndarray | None = field(default=None, repr=False)
    #: inputs of some interval methods besides se/df/n (see intervals.IntervalInputs)
    interval_extras: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        """One readable label per row: ``[by=value, ...:]variable[=level]``.

        Returns
        -------
        list of str
            One label per row of ``table``.
        """
        out = []
        for _, row in self.table.iterrows():
            prefix = ",".join(f"{b}={row[b]}" for b in self.by)
            name = str(row["variable"])
            if "level" in self.table.columns and pd.notna(row.get("level")):
                name += f"={row['level']}"
            out.append(f"{prefix}:{name}" if prefix else name)
        return out

    def _column(self, name: str) -> float | pd.Series:
        values = self.table[name]
        if len(values) == 1:
            return float(values.iloc[0]) if name != "flag" else values.iloc[0]
        return pd.Series(values.to_numpy(), index=self.labels, name=name)

    @property
    def estimate(self) -> float | pd.Series:
        """The point estimate (a float for a single row, else a Series indexed by ``labels``).

        Returns
        -------
        float or pandas.Series
            The point estimates.
        """
        return self._column("estimate")

    @property
    def se(self) -> float | pd.Series:
        """Standard errors (a float for a single row, else a Series indexed by ``labels``).

        Returns
        -------
        float or pandas.Series
            The standard errors.
        """
        return self._column("se")

    @property
    def deff(self) -> float | pd.Series:
        """Design effects (a float for a single row, else a Series indexed by ``labels``).

        Returns
        -------
        float or pandas.Series
            The design effects (NaN where not computed).
        """
        return self._column("deff")

    @property
    def cv(self) -> float | pd.Series:
        """Coefficients of variation, ``se / |estimate|`` (a float for a single row, else a Series).

        Returns
        -------
        float or pandas.Series
            The coefficients of variation.
        """
        return self._column("cv")

    @property
    def n(self) -> float | pd.Series:
        """Unweighted numbers of respondents (a float for a single row, else a Series).

        Returns
        -------
        float or pandas.Series
            The unweighted counts.
        """
        return self._column("n")

    @property
    def df(self) -> float | pd.Series:
        """Degrees of freedom of the intervals (a float for a single row, else a Series).

        Returns
        -------
        float or pandas.Series
            The degrees of freedom.
        """
        return self._column("df")

    @property
    def flag(self) -> Any:
        """Quality flags (a string for a single row, else a Series indexed by ``labels``).

        Returns
        -------
        str or pandas.Series
            ``"x"`` (suppressed) or a CV letter.
        """
        return self._column("flag")

    @property
    def ci(self) -> tuple[Any, Any]:
        """(lower, upper) confidence limits.

        Returns
        -------
        tuple
            ``(ci_low, ci_high)``, each a float or a Series indexed by ``labels``.
        """
        return self._column("ci_low"), self._column("ci_high")

    def conf_int(self, level: float | None = None, method: str | None = None) -> pd.DataFrame:
        """Confidence limits, one row per ``labels`` (columns ``ci_low``, ``ci_high``).

        The default is the estimate's own ``level`` and ``ci_method`` (the table's columns);
        another level or method (a name of :data:`~citizensfirst.estimation.intervals.INTERVAL_METHODS`)
        is recomputed from the stored se, df and n, as R's ``confint(x, level=)``.

        Parameters
        ----------
        level : float, optional
            Confidence level (default: the estimate's ``level``).
        method : str, optional
            Interval method (default: the estimate's ``ci_method``).

        Returns
        -------
        pandas.DataFrame
            Columns ``ci_low`` and ``ci_high``, indexed by ``labels``.

        Raises
        ------
        DataError
            If another level is asked of an interval that needs the data (quantiles), or the method or level is invalid.

        Examples
        --------
        >>> from citizensfirst import Design
        >>> e = Design(pd.DataFrame({"y": [1.0, 2.0, 4.0]})).mean("y")
        >>> e.conf_int(level=0.5).round(3)
           ci_low  ci_high
        y   1.613    3.053
        """
        level = self.level if level is None else float(level)
        method = self.ci_method if method is None else method
        if level == self.level and method == self.ci_method:
            low, high = self.table["ci_low"].to_numpy(float), self.table["ci_high"].to_numpy(float)
        else:
            if method == self.ci_method and method not in INTERVAL_METHODS:
                raise DataError(f"a {method!r} interval needs the data: re-run {self.statistic} with level={level}")
            low, high = table_limits(self.table, level, method, self.interval_extras)
        return pd.DataFrame({"ci_low": low, "ci_high": high}, index=self.labels)

    def contrast(self, coefficients: Any, names: Sequence[str] | None = None) -> Estimate:
        """Linear combinations ``L @ estimate`` with covariance ``L V L'`` (as R's ``svycontrast``).

        ``coefficients``: one row of ``L`` (length = number of rows) or a matrix; each result row
        has a t interval on the smallest df of the rows it uses. A covariance the combination
        needs but the estimate does not know (NaN) gives NaN.

        Parameters
        ----------
        coefficients : array_like
            One row of ``L`` or a matrix, one column per row of the estimate.
        names : sequence of str, optional
            One name per combination (default ``contrast1``, ...).

        Returns
        -------
        Estimate
            One row per combination.

        Raises
        ------
        DataError
            If the shape of ``coefficients`` or the number of ``names`` does not fit.
        """
        coef = np.atleast_2d(np.asarray(coefficients, dtype=float))
        names = [f"contrast{i + 1}" for i in range(len(coef))] if names is None else list(names)
        if coef.ndim != 2 or coef.shape[1] != len(self.table) or len(names) != len(coef):
            raise DataError(f"contrast needs {len(self.table)} coefficients per row (one per estimate: "
                            f"{self.labels}) and one name per row; got shape {np.shape(coefficients)}, {names}")
        est, vcov, dfs = linear_combination(coef, self.table["estimate"], self.vcov, self.table["df"])
        se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
        low, high = interval("t", IntervalInputs(est, se, dfs, self.level))
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = se / np.abs(est)
        table = pd.DataFrame({"variable": names, "estimate": est, "se": se, "ci_low": low, "ci_high": high,
                              "deff": np.nan, "cv": cv, "n": np.nan, "df": dfs, "flag": ""})
        return Estimate(f"contrast of {self.statistic}", table, vcov, (), self.level,
                        "t" if np.isfinite(dfs).all() else "normal", self.design, self.notes)

    def pairwise(self, adjust: str = "none", df: float | None = None) -> pd.DataFrame:
        """The t test of every pair of rows: ``difference = estimate_a - estimate_b``.

        Columns ``a``, ``b`` (labels), ``difference``, ``se`` (``sqrt(V_aa + V_bb - 2 V_ab)``; an
        unknown covariance counts as 0, as table letters), ``t``, ``df`` (the smaller of the two, or
        ``df``: tables use the design's), ``p`` (two-sided; 1 for a zero-variance pair), ``p_adjusted``.

        Parameters
        ----------
        adjust : {'none', 'holm', 'bh'}, default 'none'
            p-value adjustment over the pairs.
        df : float, optional
            Degrees of freedom of every test (default: the smaller df of the pair).

        Returns
        -------
        pandas.DataFrame
            One row per pair, columns as above.

        Raises
        ------
        DataError
            If ``adjust`` is unknown.
        """
        return pairwise_tests(self.table["estimate"], self.vcov, self.table["df"] if df is None else df,
                              adjust, self.labels)

    def compare(self, other: Estimate, df: float | None = None) -> pd.DataFrame:
        """Row-by-row differences ``other - self`` for an estimate from an independent design.

        ``se = sqrt(se_self^2 + se_other^2)``, ``df = min`` of the two (``df`` overrides), t, p and
        a t interval at this estimate's level (:func:`~citizensfirst.estimation.intervals.independent_difference`).

        Parameters
        ----------
        other : Estimate
            The estimate from the independent design, with the same rows.
        df : float, optional
            Degrees of freedom overriding the smaller of the two.

        Returns
        -------
        pandas.DataFrame
            Columns ``difference``, ``se``, ``t``, ``df``, ``p``, ``ci_low``, ``ci_high``, indexed by ``labels``.

        Raises
        ------
        DataError
            If the two estimates have a different number of rows.
        """
        if len(other.table) != len(self.table):
            raise DataError(f"compare needs estimates with the same rows: {self.labels} vs {other.labels}")
        a, b = self.table, other.table
        return independent_difference(a["estimate"], a["se"], a["df"], b["estimate"], b["se"], b["df"],
                                      self.level, df).set_axis(self.labels)

    def vcov_frame(self) -> pd.DataFrame:
        """The covariance matrix as a labelled DataFrame.

        Returns
        -------
        pandas.DataFrame
            Rows and columns indexed by ``labels``.
        """
        labels = self.labels
        return pd.DataFrame(self.vcov, index=labels, columns=labels)

    def to_frame(self) -> pd.DataFrame:
        """The result table (a copy).

        Returns
        -------
        pandas.DataFrame
            A copy of ``table``.
        """
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: statistic, settings, rows and the covariance matrix.

        Returns
        -------
        dict
            Keys ``statistic``, ``by``, ``level``, ``ci_method``, ``design``, ``notes``, ``rows``, ``labels`` and ``vcov``.
        """
        rows = json.loads(self.table.to_json(orient="records", double_precision=17))
        return {
            "statistic": self.statistic,
            "by": list(self.by),
            "level": self.level,
            "ci_method": self.ci_method,
            "design": self.design,
            "notes": list(self.notes),
            "rows": rows,
            "labels": self.labels,
            "vcov": np.where(np.isfinite(self.vcov), self.vcov, np.nan).tolist(),
        }

    def to_json(self, **kwargs: Any) -> str:
        """The result as stable JSON (``to_dict`` serialised; NaN written as null).

        Parameters
        ----------
        **kwargs
            Passed to :func:`json.dumps` (e.g. ``indent``).

        Returns
        -------
        str
            The JSON text.
        """
        return json.dumps(self.to_dict(), **kwargs, default=str).replace("NaN", "null")

    def __repr__(self) -> str:
        head = f"{self.statistic} ({self.design}; {int(self.level * 100)}% CI, {self.ci_method})"
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return head + "\n" + self.table.to_string(index=False)

    def _repr_html_(self) -> str:
        caption = html.escape(f"{self.statistic} — {self.design}; {int(self.level * 100)}% CI ({self.ci_method})")
        body = self.table.to_html(index=False, float_format=lambda v: f"{v:.6g}", border=0)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<div><p><b>{caption}</b></p>{body}{'<ul>' + notes + '</ul>' if notes else ''}</div>"

    def plot(self, **kwargs: Any) -> Any:
        """A dot-and-whisker chart of the estimates with their CIs (matplotlib Figure).

        Parameters
        ----------
        **kwargs
            Only ``figsize`` is read (default: a height growing with the rows).

        Returns
        -------
        matplotlib.figure.Figure
            The chart.
        """
        import matplotlib.pyplot as plt  # lazy: heavy optional library, imported on use for import time

        fig, ax = plt.subplots(figsize=kwargs.pop("figsize", (6, 0.4 * len(self.table) + 1)))
        y = np.arange(len(self.table))[::-1]
        est = self.table["estimate"].to_numpy()
        low, high = self.table["ci_low"].to_numpy(), self.table["ci_high"].to_numpy()
        ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", color="#1f3b73", capsize=3)
        ax.set_yticks(y, self.labels)
        ax.set_xlabel(self.statistic)
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return fig


@dataclass
class _Domains:
    """Row codes 0..G-1 of the domains (``-1``: outside every domain) and their labels."""

    codes: np.ndarray
    frame: pd.DataFrame  # one row per domain, the by-columns

    @property
    def count(self) -> int:
        return len(self.frame)

    def rows(self) -> list[np.ndarray | slice]:
        """Row positions of each domain (a slice when one domain holds every row)."""
        if self.count == 1 and bool((self.codes == 0).all()):
            return [slice(None)]
        order = np.argsort(self.codes, kind="stable")
        counts = np.bincount(self.codes[self.codes >= 0], minlength=self.count)
        start = int((self.codes < 0).sum())
        bounds = start + np.concatenate([[0], np.cumsum(counts)])
        return [order[bounds[g] : bounds[g + 1]] for g in range(self.count)]


def domains_of(design: Design, by: str | Sequence[str] | None) -> _Domains:
    """Domain codes for ``by`` (None: one domain, the design's own).

    Parameters
    ----------
    design : Design
        The survey design.
    by : str or sequence of str or None
        Domain variable(s).

    Returns
    -------
    _Domains
        Row codes (``-1`` outside every domain) and one row of by-values per domain.

    Raises
    ------
    DataError
        If a ``by`` column is missing from the data.
    """
    names = as_list(by)
    base = design.domain.copy()
    if not names:
        return _Domains(np.where(base, 0, -1), pd.DataFrame(index=[0]))
    data = design.frame
    check_columns(data, names, "by", design.source)
    keys = data[names]
    valid = keys.notna().all(axis=1).to_numpy() & base
    grouped = keys[valid].groupby(names, sort=True, observed=True, dropna=True)
    codes = np.full(len(data), -1, dtype=np.int64)
    codes[valid] = grouped.ngroup().to_numpy()
    frame = grouped.size().reset_index()[names]
    return _Domains(codes, frame)


ONES = "ones"  # denominators sentinel: a mean, i.e. x = 1 wherever the numerator is observed
DENSE_LIMIT = 20_000_000  # cluster-total cells kept dense; beyond, stacked as a sparse matrix


def ratio_engine(
    design: Design,
    numerators: np.ndarray,
    denominators: np.ndarray | str | None,
    domains: _Domains,
    *,
    deff: str | None = "srswor",
    listwise: bool = False,
) -> dict[str, Any]:
    """Point estimates, covariance, deff and n for ratios ``sum w y / sum w x`` (or totals).

    ``numerators``/``denominators`` are (n, k) with NaN for missing; ``denominators`` None
    means totals and :data:`ONES` means means. Results are ordered domain-major: item
    ``g * k + j``. Each domain costs one pass over its rows (group sums), never a loop over
    respondents; cluster totals are stacked densely, or sparsely when there are very many PSUs.

    Parameters
    ----------
    design : Design
        The survey design.
    numerators : numpy.ndarray
        ``(n, k)`` values, NaN where missing.
    denominators : numpy.ndarray or str or None
        ``(n, k)`` values, :data:`ONES` for means, or None for totals.
    domains : _Domains
        The estimation domains (:func:`domains_of`).
    deff : str or None, default 'srswor'
        Design-effect convention (``'srswor'``, ``'replace'``, or None for none).
    listwise : bool, default False
        Drop a row from every item when it is missing on any numerator.

    Returns
    -------
    dict
        ``estimate``, ``vcov``, ``deff``, ``n``, ``df`` and ``replicates`` (None on Taylor designs).
    """
    weights = design.weight_values
    n_items = numerators.shape[1]
    missing = np.isnan(numerators)
    if isinstance(denominators, np.ndarray):
        missing = missing | np.isnan(denominators)
    if listwise:
        missing = np.repeat(missing.any(axis=1, keepdims=True), n_items, axis=1)
    taylor = design.taylor
    reps = design.replicate_weights
    calibrated = bool(design.calibrations)
    estimates, srs, counts, dfs, thetas, present = [], [], [], [], [], []
    blocks: list[list[Any]] = []
    dense: list[np.ndarray] = []
    for rows in domains.rows():
        w = weights[rows]
        usable = ~missing[rows] & (w != 0)[:, None]
        wm = np.where(usable, w[:, None], 0.0)
        y = np.where(usable, numerators[rows], 0.0)
        wy = wm * y
        if denominators is None:
            wx, x = None, None
            est = wy.sum(axis=0)
        else:
            if isinstance(denominators, str):  # means: x = 1 where used, so w x = w
                x, wx = usable.astype(float), wm
            else:
                x = np.where(usable, denominators[rows], 0.0)
                wx = wm * x
            with np.errstate(divide="ignore", invalid="ignore"):
                est = wy.sum(axis=0) / wx.sum(axis=0)
        estimates.append(est)
        counts.append(usable.sum(axis=0))
        in_domain = np.zeros(len(weights), dtype=bool)
        in_domain[rows] = usable.any(axis=1)
        present.append(in_domain)
        dfs.append(design.degrees_of_freedom(in_domain) if in_domain.any() else 0)
        srs.append(_srs_variance(wm, y, wy, x, wx, est, deff))
        if reps is not None:
            if x is None:
                thetas.append(reps.weighted_totals(y, rows, weights))
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    thetas.append(reps.weighted_totals(y, rows, weights)
                                  / reps.weighted_totals(x, rows, weights))
            continue
        if calibrated:
            full = np.zeros((len(weights), n_items))
            full[rows] = _influence(wy, wx, est)
            dense.append(full)
            continue
        assert taylor is not None  # no replicate weights: a Taylor design
        stage_totals = []
        for stage in taylor.used_stages:
            codes = stage.cluster[rows]
            t1 = group_sums(codes, wy, stage.n_clusters)
            if wx is None:
                stage_totals.append(t1)
            else:
                t0 = group_sums(codes, wx, stage.n_clusters)
                stage_totals.append(_influence(t1, t0, est))
        blocks.append(stage_totals)
    est_all = np.concatenate(estimates)
    replicates = None
    if reps is not None:
        replicates = np.hstack(thetas)
        vcov = reps.vcov(replicates, est_all)
    elif calibrated and taylor is not None:
        scores = np.hstack(dense)
        for calibration in design.calibrations:
            scores = calibration.residualize(scores)
        union = np.logical_or.reduce(present)
        vcov = taylor.vcov(taylor.cluster_totals(scores), taylor.present(union))
    else:
        vcov = _stacked_vcov(taylor, blocks, present, n_items)
    variance = np.diag(vcov)
    with np.errstate(divide="ignore", invalid="ignore"):
        design_effect = variance / np.concatenate(srs) if deff else np.full_like(variance, np.nan)
    return {
        "estimate": est_all,
        "vcov": vcov,
        "deff": design_effect,
        "n": np.concatenate(counts),
        "df": np.repeat(np.asarray(dfs, dtype=float), n_items),
        "replicates": replicates,
    }


def _influence(wy: np.ndarray, wx: np.ndarray | None, est: np.ndarray) -> np.ndarray:
    """Linearised values of a ratio (``(w y - R w x) / X``) or a total (``w y``)."""
    if wx is None:
        return wy
    with np.errstate(divide="ignore", invalid="ignore"):
        return (wy - est * wx) / wx.sum(axis=0)


def _stacked_vcov(taylor: Any, blocks: list[list[np.ndarray]], present: list[np.ndarray],
                  n_items: int) -> np.ndarray:
    """Joint covariance of every domain's items from their per-stage cluster totals."""
    if taylor.lonely_psu == "average" or taylor.adjust_domain_lonely:
        # these rules depend on which strata a domain reaches: covariances within domains only
        size = len(blocks) * n_items
        vcov = np.full((size, size), np.nan)
        for g, (stage_totals, in_domain) in enumerate(zip(blocks, present, strict=True)):
            cols = slice(g * n_items, (g + 1) * n_items)
            vcov[cols, cols] = taylor.vcov(stage_totals, taylor.present(in_domain))
        return vcov
    stacked = []
    for s in range(len(blocks[0])):
        parts = [b[s] for b in blocks]
        cells = parts[0].shape[0] * n_items * len(parts)
        stacked.append(np.hstack(parts) if cells <= DENSE_LIMIT else sparse.hstack(
            [sparse.csr_matrix(p) for p in parts], format="csr"))
    return taylor.vcov(stacked, taylor.present(np.logical_or.reduce(present)))


def influence_vcov(design: Design, influence: np.ndarray, in_domain: np.ndarray | None = None) -> np.ndarray:
    """Taylor covariance of estimators given their (n, k) influence values (weights included).

    This is the kernel for any new linearised estimator: pass ``w_i x IF_i`` per row (zero
    outside the domain); calibration residualisation and the multistage formula are applied.
    ``in_domain`` marks the rows that belong to the estimation domain (default: nonzero rows).

    Parameters
    ----------
    design : Design
        The survey design.
    influence : numpy.ndarray
        ``(n, k)`` weighted influence values.
    in_domain : numpy.ndarray, optional
        Boolean mask of the domain's rows (default: nonzero rows in the design's domain).

    Returns
    -------
    numpy.ndarray
        The ``(k, k)`` covariance matrix.

    Raises
    ------
    DataError
        If the design has no Taylor linearisation (replicate designs).
    """
    taylor = design.taylor
    if taylor is None:
        raise DataError("influence_vcov needs a Taylor design; use replicate_vcov for replicates")
    scores = np.asarray(influence, dtype=float).reshape(len(design.weight_values), -1)
    if in_domain is None:
        in_domain = (scores != 0).any(axis=1) & design.domain
    for calibration in design.calibrations:
        scores = calibration.residualize(scores)
    return taylor.vcov(taylor.cluster_totals(scores), taylor.present(in_domain))


def replicate_vcov(
    design: Design, statistic: Any, full: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Replicate covariance of ``statistic(weights) -> (k,)`` re-computed with every replicate.

    Returns ``(vcov, thetas)``; ``full`` is the full-sample estimate (used when ``mse``).
    Weights passed to ``statistic`` are zero outside the design's domain.

    Parameters
    ----------
    design : Design
        The survey design.
    statistic : callable
        Function of an ``(n,)`` weight vector returning ``(k,)`` estimates.
    full : numpy.ndarray
        The full-sample estimate.

    Returns
    -------
    tuple of numpy.ndarray
        ``(vcov, thetas)``: the ``(k, k)`` covariance and the ``(R, k)`` replicate estimates.

    Raises
    ------
    DataError
        If the design has no replicate weights.
    """
    reps = design.replicate_weights
    if reps is None:
        raise DataError("replicate_vcov needs a replicate design")
    analysis = reps.analysis_weights(design.weight_values) * design.domain[:, None]
    thetas = np.vstack([np.atleast_1d(statistic(analysis[:, r])) for r in range(reps.n_replicates)])
    return reps.vcov(thetas, np.atleast_1d(full)), thetas


def _srs_variance(wm: np.ndarray, y: np.ndarray, wy: np.ndarray, x: np.ndarray | None,
                  wx: np.ndarray | None, est: np.ndarray, deff: str | None) -> np.ndarray:
    """Variance under simple random sampling of the same size, per item (R's deff convention).

    ``wm`` holds the weights where an item is used (0 elsewhere), ``y``/``x`` the values and
    ``wy``/``wx`` their weighted values. Sums of squares are expanded (no residual arrays).
    """
    if not deff:
        return np.full(wm.shape[1], np.nan)
    psum = wm.sum(axis=0)
    nobs = (wm != 0).sum(axis=0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        syy = np.einsum("ij,ij->j", wy, y)
        if x is None or wx is None:
            centre = wy.sum(axis=0) / psum
            ss = syy - centre * wy.sum(axis=0)
            scale = psum**2
        else:
            sxx = np.einsum("ij,ij->j", wx, x)
            sxy = np.einsum("ij,ij->j", wy, x)
            ss = syy - 2 * est * sxy + est**2 * sxx
            scale = psum**2 / wx.sum(axis=0) ** 2
        s2 = np.maximum(ss, 0.0) / psum * nobs / (nobs - 1)
        vsrs = s2 * scale / nobs
        if deff != "replace":
            vsrs = vsrs * (psum - nobs) / psum
    return vsrs


def finish(
    design: Design,
    statistic: str,
    result: dict[str, np.ndarray],
    domains: _Domains,
    items: pd.DataFrame,
    *,
    level: float,
    df: float | None,
    rules: QualityRules | None,
    notes: Sequence[str] = (),
    ci: str = "t",
    extras: dict[str, Any] | None = None,
    stored: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Estimate:
    """Assemble an :class:`Estimate`: CIs by method ``ci`` with ``extras`` (kept for ``conf_int``),
    or ``stored`` = (se, ci_low, ci_high) when the interval needs the data (quantiles); cv, flags.

    Parameters
    ----------
    design : Design
        The survey design.
    statistic : str
        Name of the statistic (``mean``, ``proportion``, ...).
    result : dict
        The :func:`ratio_engine` result (``estimate``, ``vcov``, ``deff``, ``n``, ``df``).
    domains : _Domains
        The estimation domains.
    items : pandas.DataFrame
        One row per item (``variable``, and ``level`` where relevant).
    level : float
        Confidence level.
    df : float or None
        Degrees of freedom overriding the design's.
    rules : QualityRules or None
        Flagging rules (None: the default rules).
    notes : sequence of str, default ()
        Notes kept on the result.
    ci : str, default 't'
        Interval method.
    extras : dict, optional
        Extra interval inputs (``design_df``, ``transformed_se``).
    stored : tuple of numpy.ndarray, optional
        ``(se, ci_low, ci_high)`` computed by the caller.

    Returns
    -------
    Estimate
        The assembled result.
    """
    est = result["estimate"]
    dfs = result["df"] if df is None else np.full(len(est), float(df))
    extras = extras or {}
    if stored is None:
        se = np.sqrt(np.clip(np.diag(result["vcov"]), 0.0, None))
        low, high = interval(ci, IntervalInputs(est, se, dfs, level, result["n"], extras.get("design_df"),
                                                extras.get("transformed_se", {}).get(ci)))
    else:
        se, low, high = stored
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = se / np.abs(est)
    rules = rules or DEFAULT_RULES
    n_items = len(items)
    by_cols = list(domains.frame.columns)
    table = pd.concat(
        [domains.frame.loc[domains.frame.index.repeat(n_items)].reset_index(drop=True),
         pd.concat([items] * domains.count, ignore_index=True)],
        axis=1,
    )
    table["estimate"] = est
    table["se"] = se
    table["ci_low"] = low
    table["ci_high"] = high
    table["deff"] = result["deff"]
    table["cv"] = cv
    table["n"] = result["n"].astype(int)
    table["df"] = dfs
    table["flag"] = rules.flags(result["n"], cv)
    return Estimate(
        statistic=statistic,
        table=table,
        vcov=result["vcov"],
        by=tuple(by_cols),
        level=level,
        ci_method=ci if ci != "t" or df is None or np.isfinite(df) else "normal",
        design=describe(design),
        notes=tuple(notes),
        replicates=result.get("replicates"),
        interval_extras=extras,
    )


def describe(design: Design) -> str:
    """A short description of the design for result headers.

    Parameters
    ----------
    design : Design
        The survey design.

    Returns
    -------
    str
        Replicate method and count, or strata, PSUs and calibration.
    """
    if (r := design.replicate_weights) is not None:
        return f"{r.method} replicate weights (R={r.n_replicates})"
    parts = [f"{design.n_strata} strata" if design.n_strata > 1 else "unstratified",
             f"{design.n_psu} PSUs"]
    if design.calibrations:
        parts.append("calibrated")
    return ", ".join(parts)


def numeric_matrix(design: Design, variables: Sequence[str]) -> np.ndarray:
    """(n, k) float matrix of ``variables``; a DataError names a non-numeric value.

    Parameters
    ----------
    design : Design
        The survey design.
    variables : sequence of str
        Column names.

    Returns
    -------
    numpy.ndarray
        ``(n, k)`` floats, NaN where missing.

    Raises
    ------
    DataError
        If a column is missing or holds a non-numeric value.
    """
    check_columns(design.frame, variables, "analysis", design.source)
    frame = design.frame[list(variables)]
    if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in frame.dtypes):
        return frame.to_numpy(dtype=float, na_value=np.nan)
    return np.column_stack(
        [numeric_column(design.frame, v, "variable", design.source) for v in variables]
    )


def level_indicators(design: Design, variable: str) -> tuple[np.ndarray, list[Any]]:
    """(n, L) 0/1 indicators of each observed level of ``variable`` (NaN where missing).

    Parameters
    ----------
    design : Design
        The survey design.
    variable : str
        Column name.

    Returns
    -------
    tuple
        ``(indicators, levels)``: the ``(n, L)`` array and the list of observed levels.

    Raises
    ------
    DataError
        If the column is missing or has no observed values.
    """
    check_columns(design.frame, [variable], "analysis", design.source)
    series = design.frame[variable]
    if isinstance(series.dtype, pd.CategoricalDtype):
        levels = [c for c in series.cat.categories if (series == c).any()]
    else:
        levels = sorted(series.dropna().unique().tolist(), key=sort_key)
    if not levels:
        raise DataError(f"{design.source}: variable {variable!r} has no observed values")
    values = series.to_numpy(dtype=object)
    missing = series.isna().to_numpy()
    ind = np.column_stack([(values == lv) for lv in levels]).astype(float)
    ind[missing] = np.nan
    return ind, levels


def sort_key(value: Any) -> tuple[int, Any]:
    """Sort key putting numbers (in numeric order) before strings.

    Parameters
    ----------
    value : Any
        A level value.

    Returns
    -------
    tuple
        ``(0, float)`` for numbers, ``(1, str)`` otherwise.
    """
    if isinstance(value, int | float | np.integer | np.floating):
        return (0, float(value))
    return (1, str(value))
