"""Test results and the distributions of sums of chi-squares used by the Rao-Scott tests."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class TestResult:
    """The result of a design-based test (as R's ``htest``).

    ``parameters`` holds the degrees of freedom (``df``, or ``ndf`` and ``ddf`` for F tests);
    ``estimate`` maps a name to the estimated quantity (t tests), ``se`` is its standard error;
    ``conf_int`` is its confidence interval (a pair, as R's ``htest$conf.int``); ``observed``/``expected`` are the (scaled) tables of a chi-squared
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

    @property
    def se(self) -> float:
        """Standard error of the tested estimate: ``|estimate / t|`` for a t test of one
        estimate (R's ``htest$stderr``), NaN for other tests.

        Returns
        -------
        float
            The standard error, or NaN.

        Examples
        --------
        >>> TestResult("t-test", "t", 2.0, {"df": 10.0}, 0.07, {"mean": 3.0}).se
        1.5
        """
        if self.statistic_name != "t" or len(self.estimate) != 1 or self.statistic == 0:
            return math.nan
        return abs(next(iter(self.estimate.values())) / self.statistic)

    def to_frame(self) -> pd.DataFrame:
        """One row: method, statistic, parameters, p-value, estimate, se and CI.

        Returns
        -------
        pandas.DataFrame
            A one-row table.
        """
        row: dict[str, Any] = {"method": self.method, "statistic_name": self.statistic_name,
                               "statistic": self.statistic}
        row.update(self.parameters)
        row["p_value"] = self.p_value
        for name, value in self.estimate.items():
            row["estimate_name"], row["estimate"], row["se"] = name, value, self.se
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


def _saddle(x: float, lam: np.ndarray) -> float:
    """Upper tail of sum lam_i chi2_1 at x by the saddlepoint approximation (NaN near zeta=0)."""
    # lazy: scipy.optimize and scipy.stats take most of a second to import (start-up time)
    from scipy import optimize, stats

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

    Parameters
    ----------
    x : float
        The observed statistic.
    lam : sequence of float or numpy.ndarray
        The weights ``lam_i`` (e.g. design-effect eigenvalues).

    Returns
    -------
    float
        The upper-tail probability (1 when ``x <= 0``).

    Examples
    --------
    >>> round(p_chisqsum(3.84, [1.0]), 3)  # exact: 0.050
    0.052
    """
    from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

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

    Parameters
    ----------
    x : float
        The observed statistic.
    lam : sequence of float or numpy.ndarray
        The weights ``lam_i`` (e.g. design-effect eigenvalues).
    ddf : float
        Denominator degrees of freedom (inf: :func:`p_chisqsum`).

    Returns
    -------
    float
        The upper-tail probability.

    Examples
    --------
    >>> round(p_fsum(4.0, [1.0], 30.0), 3)  # exact F(1, 30): 0.055
    0.057
    """
    from scipy import stats  # lazy: scipy.stats costs half a second to import (start-up time)

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


_EPS = np.finfo(float).eps
