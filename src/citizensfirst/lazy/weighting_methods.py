"""The weighting methods of :class:`~citizensfirst.lazy.design.LazyDesign` (rake, calibrate,
poststratify, trim), each returning a new lazy design whose weight is an SQL expression."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from ..weighting.report import WeightingReport
from . import calibrating, trimming, weighting
from .calibration_sums import Residualiser

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["LazyWeighting"]


class LazyWeighting:
    """Weighting steps of a lazy design (same signatures as :class:`~citizensfirst.Design`'s).

    ``report`` is the last step's :class:`~citizensfirst.weighting.report.WeightingReport` and
    ``calibrations`` the residualisers the Taylor variance applies.
    """

    report: WeightingReport | None = None
    calibrations: tuple[Residualiser, ...] = ()

    def _lazy(self) -> LazyDesign:
        return cast("LazyDesign", self)

    def rake(self, margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame, *, total: float | None = None,
             max_iter: int = 100, tol: float = 1e-10, change_tol: float | None = None,
             bounds: tuple[float, float] | None = None) -> LazyDesign:
        """Rake the weights to marginal targets (as :meth:`citizensfirst.Design.rake`).

        Parameters
        ----------
        margins : mapping or DataFrame
            ``{variable: {level: share or count}}``, or a frame of margins.
        total : float, optional
            Population size for share margins.
        max_iter : int, default 100
            Most raking sweeps.
        tol : float, default 1e-10
            Relative tolerance every achieved margin must meet.
        change_tol : float, optional
            R's stopping rule instead.
        bounds : (float, float), optional
            Limits on the adjustment ratio (bounded raking).

        Returns
        -------
        LazyDesign
            A new lazy design with raked weights (an SQL expression) and its report.
        """
        return weighting.rake(self._lazy(), margins, total=total, max_iter=max_iter, tol=tol,
                              change_tol=change_tol, bounds=bounds)

    def calibrate(self, targets: Mapping[str, float | Mapping[Any, float]], *, total: float | None = None,
                  method: str = "linear", bounds: tuple[float, float] | None = None, max_iter: int = 50,
                  tol: float = 1e-07, cluster: int | str | None = None) -> LazyDesign:
        """Calibrate the weights to population totals (as :meth:`citizensfirst.Design.calibrate`).

        Parameters
        ----------
        targets : mapping
            Categorical variables to ``{level: count}``, numeric variables to their total.
        total : float, optional
            Population size.
        method : {"linear", "raking", "logit"}, default "linear"
            Calibration function.
        bounds : (float, float), optional
            Limits on the g-weights (required for ``logit``).
        max_iter : int, default 50
            Most iterations (one query each).
        tol : float, default 1e-07
            R's stopping rule.
        cluster : int or str, optional
            A stage number or column: every member of a cluster gets the same g.

        Returns
        -------
        LazyDesign
            A new lazy design with calibrated weights and its report.
        """
        return calibrating.calibrate(self._lazy(), targets, total=total, method=method, bounds=bounds,
                                   max_iter=max_iter, tol=tol, cluster=cluster)

    def poststratify(self, cells: str | Sequence[str], totals: Mapping[Any, float] | pd.DataFrame) -> LazyDesign:
        """Post-stratify the weights (as :meth:`citizensfirst.Design.poststratify`).

        Parameters
        ----------
        cells : str or sequence of str
            One variable, or several whose crossed levels are the cells.
        totals : mapping or DataFrame
            Population count of each cell.

        Returns
        -------
        LazyDesign
            A new lazy design whose weights sum to each cell's count.
        """
        return weighting.poststratify(self._lazy(), cells, totals)

    def trim(self, *, lower: float = -np.inf, upper: float = np.inf, relative: bool = False,
             strict: bool = False, redistribute: str = "equal") -> LazyDesign:
        """Trim the weights and share what was cut (as :meth:`citizensfirst.Design.trim`).

        Parameters
        ----------
        lower, upper : float, default -inf, inf
            Limits on the weights.
        relative : bool, default False
            Limits as multiples of the median weight (not lazy yet).
        strict : bool, default False
            Repeat until no weight is outside the limits.
        redistribute : {"equal", "proportional", "none"}, default "equal"
            How the cut goes to the untrimmed weights.

        Returns
        -------
        LazyDesign
            A new lazy design with trimmed weights.
        """
        return trimming.trim(self._lazy(), lower=lower, upper=upper, relative=relative, strict=strict,
                             redistribute=redistribute)
