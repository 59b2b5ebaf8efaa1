"""The weighting methods of :class:`~citizensfirst.Design` (rake, calibrate, poststratify, trim)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import weighting
from .setup import DesignBase

if TYPE_CHECKING:
    from .facade import Design


class WeightingMethods(DesignBase):
    """Weighting steps, each returning a new design."""

    def rake(
        self,
        margins: Mapping[str, Mapping[Any, float]] | pd.DataFrame,
        *,
        total: float | None = None,
        max_iter: int = 100,
        tol: float = 1e-10,
        change_tol: float | None = None,
        bounds: tuple[float, float] | None = None,
    ) -> Design:
        """Rake the weights to marginal targets (R's ``rake``).

        Parameters
        ----------
        margins : mapping or DataFrame
            ``{variable: {level: share or count}}``, or a frame of margins.
        total : float, optional
            Population size the weights should sum to (default: from the margins).
        max_iter : int, default 100
            Most raking sweeps (at least 1).
        tol : float, default 1e-10
            Relative tolerance every achieved margin must meet (``0 < tol <= 1e-3``).
        change_tol : float, optional
            R's stopping rule instead: stop once the weighted table changes by less than this.
        bounds : (float, float), optional
            ``(low, high)`` limits on the adjustment ratio (bounded raking).

        Returns
        -------
        Design
            A new design with raked weights; ``report`` describes the step.

        Raises
        ------
        WeightingError
            Invalid controls or margins that cannot be met.
        ConvergenceError
            A margin still misses its target by more than ``tol``.

        See Also
        --------
        citizensfirst.weighting.rake

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"g": list("aabb"), "w": [1.0, 1, 1, 1]})
        >>> Design(df, weights="w").rake({"g": {"a": 30, "b": 10}}).weights.tolist()
        [15.0, 15.0, 5.0, 5.0]
        """
        return weighting.rake(
            self._as_design(), margins, total=total, max_iter=max_iter, tol=tol,
            change_tol=change_tol, bounds=bounds,
        )

    def calibrate(
        self,
        targets: Mapping[str, float | Mapping[Any, float]],
        *,
        total: float | None = None,
        method: str = "linear",
        bounds: tuple[float, float] | None = None,
        max_iter: int = 50,
        tol: float = 1e-07,
        cluster: int | str | None = None,
    ) -> Design:
        """Calibrate the weights to population totals (R's ``calibrate``).

        Parameters
        ----------
        targets : mapping
            Categorical variables to ``{level: count}``, numeric variables to their total.
        total : float, optional
            Population size (the intercept; default: the sum of the first categorical margin).
        method : {"linear", "raking", "logit"}, default "linear"
            Calibration function (``linear`` is GREG).
        bounds : (float, float), optional
            Limits on the g-weights (required for ``logit``).
        max_iter : int, default 50
            Most iterations (at least 1).
        tol : float, default 1e-07
            R's stopping rule ``|misfit| / (1 + |total|) < tol`` (``0 < tol <= 1e-3``).
        cluster : int or str, optional
            A stage number (1 = PSUs) or column: every member of a cluster gets the same g.

        Returns
        -------
        Design
            A new design with calibrated weights; ``report`` describes the step.

        Raises
        ------
        WeightingError
            Invalid controls or targets.
        ConvergenceError
            A total still misses its target by more than ``tol``.

        See Also
        --------
        citizensfirst.weighting.calibrate

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"g": list("aabb")})
        >>> Design(df).calibrate({"g": {"a": 6, "b": 2}}).weights.round(6).tolist()
        [3.0, 3.0, 1.0, 1.0]
        """
        return weighting.calibrate(
            self._as_design(), targets, total=total, method=method, bounds=bounds,
            max_iter=max_iter, tol=tol, cluster=cluster,
        )

    def poststratify(
        self, cells: str | Sequence[str], totals: Mapping[Any, float] | pd.DataFrame
    ) -> Design:
        """Post-stratify the weights to population counts of ``cells``.

        Parameters
        ----------
        cells : str or sequence of str
            One variable, or several whose crossed levels are the cells.
        totals : mapping or DataFrame
            Level (or tuple of levels) to population count, or a frame with the cell columns
            and a ``Freq`` (or ``count``) column.

        Returns
        -------
        Design
            A new design whose weights sum to each cell's count.

        Raises
        ------
        WeightingError
            Counts that are missing, negative or not finite, or cells with no respondent.

        See Also
        --------
        citizensfirst.weighting.poststratify

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> df = pd.DataFrame({"g": list("aab")})
        >>> Design(df).poststratify("g", {"a": 10, "b": 5}).weights.tolist()
        [5.0, 5.0, 5.0]
        """
        return weighting.poststratify(self._as_design(), cells, totals)

    def trim(
        self,
        *,
        lower: float = -np.inf,
        upper: float = np.inf,
        relative: bool = False,
        strict: bool = False,
        redistribute: str = "equal",
    ) -> Design:
        """Trim weights to ``[lower, upper]`` and share what was cut (R's ``trimWeights``).

        Parameters
        ----------
        lower, upper : float, default -inf, inf
            Limits on the weights.
        relative : bool, default False
            Read the limits as multiples of the median weight.
        strict : bool, default False
            Repeat until no weight is outside the limits.
        redistribute : {"equal", "proportional", "none"}, default "equal"
            How the trimmed amount goes to the untrimmed weights (``none``: the total changes).

        Returns
        -------
        Design
            A new design with trimmed weights.

        Raises
        ------
        WeightingError
            Limits that are invalid or cannot keep the weight total.

        See Also
        --------
        citizensfirst.weighting.trim

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> d = Design(pd.DataFrame({"w": [1.0, 1, 1, 5]}), weights="w")
        >>> d.trim(upper=3).weights.round(4).tolist()
        [1.6667, 1.6667, 1.6667, 3.0]
        """
        return weighting.trim(
            self._as_design(), lower=lower, upper=upper, relative=relative, strict=strict,
            redistribute=redistribute,
        )
