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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from .covariance import DeferredCovariance, covariance_matrix
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
from .labels import ResultLabels, check_lang, labelled_frame, readable_rows, statistic_name


@dataclass(frozen=True)
class Estimate:
    """Estimates with their uncertainty: one row per (domain, variable, level).

    ``table`` has the by-columns, then ``variable``, ``level`` (proportions), ``estimate``,
    ``se``, ``ci_low``, ``ci_high``, ``deff``, ``cv``, ``n`` (unweighted), ``df`` and ``flag``;
    ``vcov`` is the covariance matrix of the estimates (rows/columns = ``labels``).
    ``table`` keeps codes; ``value_labels`` carries the codebook's EN/FR labels of the
    estimate's variables, which :meth:`to_frame`, the displays and :meth:`plot` show in
    ``language`` (see :mod:`~citizensfirst.estimation.labels`).
    """

    statistic: str
    table: pd.DataFrame
    #: the covariance of the estimates: a matrix, or deferred (made on the first read of :attr:`vcov`)
    covariance: np.ndarray | DeferredCovariance = field(repr=False, compare=False)
    by: tuple[str, ...] = ()
    level: float = 0.95
    ci_method: str = "t"
    design: str = ""
    notes: tuple[str, ...] = ()
    replicates: np.ndarray | None = field(default=None, repr=False)
    #: inputs of some interval methods besides se/df/n (see intervals.IntervalInputs)
    interval_extras: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: EN/FR variable and value labels, copied from the codebook when the estimate was made
    value_labels: ResultLabels = field(default_factory=ResultLabels, repr=False, compare=False)
    #: the design in words in each display language (``engine.describe``); ``design`` is the English
    design_words: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    #: the language of the displays and of ``to_frame()`` / ``plot()`` by default
    language: str = "en"

    @property
    def vcov(self) -> np.ndarray:
        """The covariance matrix of the estimates (rows and columns in the order of ``table``).

        Made on first read when the estimate was computed without it (the standard errors
        need only its diagonal).

        Returns
        -------
        numpy.ndarray
            The (rows x rows) matrix.
        """
        return covariance_matrix(self.covariance)

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
                        "t" if np.isfinite(dfs).all() else "normal", self.design, self.notes,
                        design_words=self.design_words, language=self.language)

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

    def to_frame(self, lang: str | None = None, *, labels: bool = True) -> pd.DataFrame:
        """The result table, with value labels in place of codes (a copy).

        Each ``by`` column, and ``level`` for proportions and counts, shows the codebook's value
        labels in ``lang``; its codes stay beside it in ``<column>_code`` (``prov_code``,
        ``level_code``), and ``variable_label`` (after ``variable``) holds the wording. Codes
        without a label are kept, integer-valued floats shown as integers. ``labels=False``
        gives the table of codes alone.

        Parameters
        ----------
        lang : {"en", "fr"}, optional
            Language of the labels (default: the estimate's ``language``).
        labels : bool, default True
            False: the codes only (the ``table`` as computed).

        Returns
        -------
        pandas.DataFrame
            A new frame.

        Raises
        ------
        DataError
            If ``lang`` is not "en" or "fr".

        Examples
        --------
        >>> from citizensfirst import Design
        >>> e = Design(pd.DataFrame({"g": [1.0, 1.0, 2.0]})).proportion("g")
        >>> e.to_frame()[["level", "level_code", "estimate"]].round(3)
           level level_code  estimate
        0      1        1.0     0.667
        1      2        2.0     0.333
        """
        lang = check_lang(self.language if lang is None else lang)
        if not labels:
            return self.table.copy()
        return labelled_frame(self.table, self.by, self.value_labels, lang)

    def in_language(self, lang: str) -> Estimate:
        """The same estimate displayed (repr, HTML, ``to_frame``, ``plot``) in ``lang``.

        Parameters
        ----------
        lang : {"en", "fr"}
            The language.

        Returns
        -------
        Estimate
            A copy with ``language`` set; the numbers are the same.

        Raises
        ------
        DataError
            If ``lang`` is not "en" or "fr".
        """
        return replace(self, language=check_lang(lang))

    def axis_labels(self, lang: str | None = None) -> list[str]:
        """One readable label per row (by values, variable wording, level), for chart axes.

        Parameters
        ----------
        lang : {"en", "fr"}, optional
            Language of the labels (default: the estimate's ``language``).

        Returns
        -------
        list of str
            One label per row of ``table``: the labelled parts that differ between rows.

        Examples
        --------
        >>> from citizensfirst import Design
        >>> Design(pd.DataFrame({"y": [1.0, 2.0], "g": [1.0, 2.0]})).mean("y", by="g").axis_labels()
        ['1', '2']
        """
        lang = check_lang(self.language if lang is None else lang)
        return readable_rows(self.table, self.by, self.value_labels, lang)

    def title(self, lang: str | None = None) -> str:
        """The statistic and the variable's wording: ``"Mean: Overall satisfaction"``.

        Parameters
        ----------
        lang : {"en", "fr"}, optional
            Language of the title (default: the estimate's ``language``).

        Returns
        -------
        str
            The statistic's name, then the wording of each variable.
        """
        lang = check_lang(self.language if lang is None else lang)
        names = dict.fromkeys(str(v) for v in self.table["variable"])
        wording = ", ".join(self.value_labels.variable_label(v, lang) for v in names)
        sep = "\u00a0: " if lang == "fr" else ": "
        return f"{statistic_name(self.statistic, lang)}{sep}{wording}"

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

    def _shown(self) -> pd.DataFrame:
        """The labelled table for the displays: no code columns, the variables by their wording
        (no variable column when the title names the only one)."""
        frame = self.to_frame()
        frame["variable"] = frame["variable_label"]
        drop = [c for c in frame.columns if c not in self.table.columns]
        return frame.drop(columns=drop + (["variable"] if frame["variable"].nunique() == 1 else []))

    def _number(self, value: float) -> str:
        return _display_number(value, self.language)

    def _setting(self) -> str:
        """The design (in the display language) and the interval, for the displays' title line."""
        pct = int(round(self.level * 100))
        interval_words = (f"IC à {pct}\u00a0% ({self.ci_method})" if self.language == "fr"
                          else f"{pct}% CI ({self.ci_method})")
        return "; ".join(w for w in (self.design_words.get(self.language, self.design), interval_words) if w)

    def __repr__(self) -> str:
        head = f"{self.title()} ({self._setting()})"
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            return head + "\n" + self._shown().to_string(index=False, float_format=self._number)

    def _repr_html_(self) -> str:
        caption = html.escape(f"{self.title()} — {self._setting()}")
        body = self._shown().to_html(index=False, float_format=self._number, border=0, escape=True)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<div><p><b>{caption}</b></p>{body}{'<ul>' + notes + '</ul>' if notes else ''}</div>"

    def plot(self, lang: str | None = None, **kwargs: Any) -> Any:
        """A dot-and-whisker chart of the estimates with their CIs (matplotlib Figure).

        Rows are named by their labels (:meth:`axis_labels`) and the axis by the statistic and
        the variable's wording (:meth:`title`). The figure is closed in pyplot, so Jupyter shows
        it once: as the returned value.

        Parameters
        ----------
        lang : {"en", "fr"}, optional
            Language of the labels (default: the estimate's ``language``).
        **kwargs
            Only ``figsize`` is read (default: a height growing with the rows).

        Returns
        -------
        matplotlib.figure.Figure
            The chart.

        Raises
        ------
        DataError
            If ``lang`` is not "en" or "fr".
        """
        # lazy: heavy optional library, imported on use for import time; pyplot (not a bare Figure)
        # so Jupyter's inline backend registers its image display for the returned figure
        import matplotlib.pyplot as plt

        lang = check_lang(self.language if lang is None else lang)
        fig, ax = plt.subplots(figsize=kwargs.pop("figsize", (6, 0.4 * len(self.table) + 1)))
        plt.close(fig)  # the returned figure is displayed once, not again by the inline backend
        y = np.arange(len(self.table))[::-1]
        est = self.table["estimate"].to_numpy()
        low, high = self.table["ci_low"].to_numpy(), self.table["ci_high"].to_numpy()
        ax.errorbar(est, y, xerr=[est - low, high - est], fmt="o", color="#1f3b73", capsize=3)
        ax.xaxis.set_major_formatter(lambda value, _: _display_number(value, lang))
        ax.set_yticks(y, self.axis_labels(lang))
        ax.set_xlabel(self.title(lang))
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        return fig


def _display_number(value: float, language: str) -> str:
    """A number of the displays and plot axes: six significant digits, a decimal comma in French."""
    shown = f"{value:.6g}"
    return shown.replace(".", ",") if language == "fr" else shown
