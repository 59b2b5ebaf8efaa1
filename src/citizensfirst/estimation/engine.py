"""The estimation engine behind :class:`~citizensfirst.estimation.result.Estimate`.

Domains (``by=``), ratios of weighted totals with their influence values and covariance
(the design's variance kernel or replicate weights), and :func:`finish`, which assembles an
:class:`~citizensfirst.estimation.result.Estimate`; plus small helpers the estimators share
(numeric matrices, level indicators, design descriptions, sort keys). See
:mod:`citizensfirst.estimation.result` for the conventions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..design.setup import as_list, check_columns, numeric_column
from ..errors import DataError
from ..i18n import LANGUAGES, format_number, text
from .covariance import DeferredCovariance, variances
from .intervals import IntervalInputs, interval
from .labels import ResultLabels
from .quality import DEFAULT_RULES, QualityRules
from .ratio_sums import domain_sums
from .result import Estimate

if TYPE_CHECKING:
    from ..design.facade import Design

@dataclass
class Domains:
    """Row codes 0..G-1 of the domains (``-1``: outside every domain) and their labels."""

    codes: np.ndarray
    frame: pd.DataFrame  # one row per domain, the by-columns

    @property
    def count(self) -> int:
        """Number of domains.

        Returns
        -------
        int
            The number of domains (rows of :attr:`frame`).
        """
        return len(self.frame)

    def rows(self) -> list[np.ndarray | slice]:
        """Row positions of each domain (a slice when one domain holds every row).

        Returns
        -------
        list of numpy.ndarray or slice
            One entry per domain.
        """
        if self.count == 1 and bool((self.codes == 0).all()):
            return [slice(None)]
        order = np.argsort(self.codes, kind="stable")
        counts = np.bincount(self.codes[self.codes >= 0], minlength=self.count)
        start = int((self.codes < 0).sum())
        bounds = start + np.concatenate([[0], np.cumsum(counts)])
        return [order[bounds[g] : bounds[g + 1]] for g in range(self.count)]


def domains_of(design: Design, by: str | Sequence[str] | None) -> Domains:
    """Domain codes for ``by`` (None: one domain, the design's own).

    Parameters
    ----------
    design : Design
        The survey design.
    by : str or sequence of str or None
        Domain variable(s).

    Returns
    -------
    Domains
        Row codes (``-1`` outside every domain) and one row of by-values per domain.

    Raises
    ------
    DataError
        If a ``by`` column is missing from the data.
    """
    names = as_list(by)
    base = design.domain.copy()
    if not names:
        return Domains(np.where(base, 0, -1), pd.DataFrame(index=[0]))
    data = design.frame
    check_columns(data, names, "by", design.source)
    keys = data[names]
    valid = keys.notna().all(axis=1).to_numpy() & base
    grouped = keys[valid].groupby(names, sort=True, observed=True, dropna=True)
    codes = np.full(len(data), -1, dtype=np.int64)
    codes[valid] = grouped.ngroup().to_numpy()
    frame = grouped.size().reset_index()[names]
    return Domains(codes, frame)


ONES = "ones"  # denominators sentinel: a mean, i.e. x = 1 wherever the numerator is observed
DENSE_LIMIT = 20_000_000  # cluster-total cells kept dense; beyond, stacked as a sparse matrix
#: statistics whose ``level`` column holds codes of the variable (labelled by its value labels)
CODED_LEVELS = frozenset({"proportion", "count"})


def ratio_engine(
    design: Design,
    numerators: np.ndarray,
    denominators: np.ndarray | str | None,
    domains: Domains,
    *,
    deff: str | None = "srswor",
    listwise: bool = False,
) -> dict[str, Any]:
    """Point estimates, covariance, deff and n for ratios ``sum w y / sum w x`` (or totals).

    ``numerators``/``denominators`` are (n, k) with NaN for missing; ``denominators`` None
    means totals and :data:`ONES` means means. Results are ordered domain-major: item
    ``g * k + j``. Every domain's sums come from a few passes per item over all rows
    (:func:`~citizensfirst.estimation.ratio_sums.domain_sums`), never a loop over respondents or
    a copy of a domain's rows; cluster totals are stacked densely, or sparsely when there are very
    many PSUs.

    Parameters
    ----------
    design : Design
        The survey design.
    numerators : numpy.ndarray
        ``(n, k)`` values, NaN where missing.
    denominators : numpy.ndarray or str or None
        ``(n, k)`` values, :data:`ONES` for means, or None for totals.
    domains : Domains
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
    sums = domain_sums(design, numerators, denominators, domains, deff=deff, listwise=listwise)
    taylor, reps = design.taylor, design.replicate_weights
    n_items = numerators.shape[1]
    est_all = sums.estimate.reshape(-1)
    vcov: np.ndarray | DeferredCovariance
    if reps is not None and sums.thetas is not None:
        vcov = DeferredCovariance(reps.vcov(sums.thetas, est_all, diagonal=True),
                                  partial(reps.vcov, sums.thetas, est_all))
    elif sums.scores is not None and taylor is not None:  # calibrated: residualise, then the kernel
        scores = sums.scores
        for calibration in design.calibrations:
            scores = calibration.residualize(scores)
        union = np.logical_or.reduce(sums.present)
        vcov = taylor.vcov(taylor.cluster_totals(scores), taylor.present(union))
    else:  # the joint covariance of every domain's items is made only when read
        joint = partial(stacked_vcov, taylor, sums.blocks, sums.present, n_items, sums.stacked)
        vcov = DeferredCovariance(joint(diagonal=True), joint)
    if reps is None and taylor is not None:  # every domain's df in one pass (those without rows: 0)
        dfs = taylor.domain_degrees_of_freedom(np.where(np.logical_or.reduce(sums.present), domains.codes, -1),
                                               domains.count)
    else:
        dfs = np.array([design.degrees_of_freedom(rows) if rows.any() else 0 for rows in sums.present])
    with np.errstate(divide="ignore", invalid="ignore"):
        design_effect = variances(vcov) / sums.srs.reshape(-1) if deff else np.full(len(est_all), np.nan)
    return {
        "estimate": est_all,
        "vcov": vcov,
        "deff": design_effect,
        "n": sums.counts.reshape(-1),
        "df": np.repeat(np.asarray(dfs, dtype=float), n_items),
        "replicates": sums.thetas,
    }


def stacked_vcov(taylor: Any, blocks: list[list[np.ndarray]], present: list[np.ndarray],
                  n_items: int, stacked: list[np.ndarray] | None = None, *,
                  diagonal: bool = False) -> np.ndarray:
    """Joint covariance of every domain's items from their per-stage cluster totals.

    Parameters
    ----------
    taylor : TaylorStructure
        The design's Taylor structure.
    blocks : list of list of numpy.ndarray
        Per domain, the per-used-stage (clusters, items) influence totals.
    present : list of numpy.ndarray
        Per domain, the boolean mask of the structure's rows in the domain.
    n_items : int
        Items per domain.
    stacked : list of numpy.ndarray, optional
        Per used stage, the (clusters, domains x items) totals whose column blocks ``blocks``
        are (then not copied again).
    diagonal : bool, default False
        Only the variances (the diagonal, as a vector).

    Returns
    -------
    numpy.ndarray
        The covariance of every domain's items, domain-major (or its diagonal).
    """
    if taylor.lonely_psu == "average" or taylor.adjust_domain_lonely:
        # these rules depend on which strata a domain reaches: covariances within domains only
        size = len(blocks) * n_items
        vcov = np.full(size if diagonal else (size, size), np.nan)
        for g, (stage_totals, in_domain) in enumerate(zip(blocks, present, strict=True)):
            cols = slice(g * n_items, (g + 1) * n_items)
            block = taylor.vcov(stage_totals, taylor.present(in_domain), diagonal=diagonal)
            if diagonal:
                vcov[cols] = block
            else:
                vcov[cols, cols] = block
        return vcov
    totals = []
    for s in range(len(blocks[0])):
        parts = [b[s] for b in blocks]
        cells = parts[0].shape[0] * n_items * len(parts)
        if cells <= DENSE_LIMIT:
            totals.append(stacked[s] if stacked is not None else np.hstack(parts))
        else:
            totals.append(sparse.hstack([sparse.csr_matrix(p) for p in parts], format="csr"))
    return taylor.vcov(totals, taylor.present(np.logical_or.reduce(present)), diagonal=diagonal)


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


def finish(
    design: Design,
    statistic: str,
    result: dict[str, np.ndarray],
    domains: Domains,
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
    or ``stored`` = (se, ci_low, ci_high) when the interval needs the data (quantiles); cv, flags,
    and the codebook's labels of the by and analysed variables (levels of :data:`CODED_LEVELS`).

    Parameters
    ----------
    design : Design
        The survey design.
    statistic : str
        Name of the statistic (``mean``, ``proportion``, ...).
    result : dict
        The :func:`ratio_engine` result (``estimate``, ``vcov``, ``deff``, ``n``, ``df``).
    domains : Domains
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
        se = np.sqrt(np.clip(variances(result["vcov"]), 0.0, None))
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
    labels = ResultLabels.from_codebook(design.codebook, [*by_cols, *items["variable"].astype(str)],
                                        coded_levels=statistic in CODED_LEVELS and "level" in items.columns)
    return Estimate(
        statistic=statistic,
        table=table,
        covariance=result["vcov"],
        by=tuple(by_cols),
        level=level,
        ci_method=ci if ci != "t" or df is None or np.isfinite(df) else "normal",
        design=describe(design),
        design_words={lang: describe(design, lang) for lang in LANGUAGES},
        notes=tuple(notes),
        replicates=result.get("replicates"),
        interval_extras=extras,
        value_labels=labels,
    )


def describe(design: Design, language: str = "en") -> str:
    """The design in words, in ``language``: strata, PSUs or no clusters, calibration, or replicates.

    The one wording of a design for result headers, displays and the tables' method notes.

    Parameters
    ----------
    design : Design
        The survey design.
    language : str, default "en"
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        For example ``"13 strata, no clusters, calibrated weights"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> d = Design(pd.DataFrame({"s": [1, 1, 2, 2], "p": [1, 2, 3, 4]}), strata="s", psu="p")
    >>> describe(d, "fr")
    '2 strates, sans grappes'
    """
    replicates = design.replicate_weights
    if replicates is not None:
        return text("table_design_replicates", language).format(
            n=format_number(replicates.n_replicates, language, decimals=0), method=replicates.method)
    strata = (text("table_design_strata", language).format(n=format_number(design.n_strata, language, 0))
              if design.n_strata > 1 else text("table_design_unstratified", language))
    clustered = design.n_psu < np.count_nonzero(design.weight_values)
    psus = (text("table_design_psus", language).format(n=format_number(design.n_psu, language, 0))
            if clustered else text("table_design_unclustered", language))
    parts = [strata, psus] + ([text("table_design_calibrated", language)] if design.calibrations else [])
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
