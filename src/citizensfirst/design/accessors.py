"""The read-only properties of :class:`~citizensfirst.Design`: its data, weights, domain, history
and sampling structure, each a view that never lets a caller change the design."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .setup import DesignBase, Step
from .variance import ReplicateWeights, TaylorStructure


class DesignAccessors(DesignBase):
    """The design's public read-only properties (mixed into :class:`~citizensfirst.Design`)."""

    @property
    def source(self) -> str:
        """Where the data came from (a file path, ``"survey"`` or ``"data"``), used in messages.

        Returns
        -------
        str
            The source name.
        """
        return self._source

    @property
    def weight_values(self) -> np.ndarray:
        """Analysis weights of every row as a read-only array, before the domain is applied.

        Returns
        -------
        numpy.ndarray
            Read-only float array, one weight per row.
        """
        return _read_only(self._weights)

    @property
    def domain(self) -> np.ndarray:
        """Read-only boolean array: True for the rows in the design's domain.

        Returns
        -------
        numpy.ndarray
            Read-only boolean array, one value per row.
        """
        return _read_only(self._domain)

    @property
    def calibrations(self) -> tuple[Any, ...]:
        """Calibration residualisers of the weighting steps applied, in order.

        Returns
        -------
        tuple
            The residualisers, oldest first.
        """
        return self._calibrations

    @property
    def frame(self) -> pd.DataFrame:
        """The design's own data frame, not copied: read it, never modify it (see :attr:`data`).

        Returns
        -------
        pandas.DataFrame
            The data frame the design holds.
        """
        return self._data

    @property
    def data(self) -> pd.DataFrame:
        """The design's data (a copy-on-write view: editing it never changes the design).

        Returns
        -------
        pandas.DataFrame
            A shallow copy-on-write copy of the data.
        """
        return self._data.copy(deep=False)

    @property
    def codebook(self) -> Any:
        """The codebook of the survey the design was built from (None for a plain DataFrame).

        Returns
        -------
        Codebook or None
            The codebook, or None.
        """
        return self._codebook

    @property
    def weights(self) -> pd.Series:
        """Analysis weights of every row (zero outside the domain), indexed like ``data``.

        Returns
        -------
        pandas.Series
            Weights named ``weight``.
        """
        return pd.Series(self._weights * self._domain, index=self._data.index, name="weight")

    @property
    def history(self) -> tuple[Step, ...]:
        """Every step applied to reach this design (construction, weighting, subsetting).

        Returns
        -------
        tuple of Step
            The steps, oldest first.
        """
        return self._history

    @property
    def report(self) -> Any:
        """The :class:`WeightingReport` of the last weighting step (None before weighting).

        Returns
        -------
        WeightingReport or None
            The last weighting report, or None.
        """
        return self._report

    @property
    def is_replicate(self) -> bool:
        """Whether the design uses replicate weights.

        Returns
        -------
        bool
            True for a replicate design.
        """
        return self._replicates is not None

    @property
    def replicate_weights(self) -> ReplicateWeights | None:
        """The replicate weights (None for a Taylor design).

        Returns
        -------
        ReplicateWeights or None
            The replicate weights, or None.
        """
        return self._replicates

    @property
    def n_strata(self) -> int:
        """Number of first-stage strata (0 for a replicate design).

        Returns
        -------
        int
            The number of strata.
        """
        return 0 if self._taylor is None else self._taylor.stages[0].n_strata

    @property
    def n_psu(self) -> int:
        """Number of first-stage PSUs (0 for a replicate design).

        Returns
        -------
        int
            The number of PSUs.
        """
        return 0 if self._taylor is None else self._taylor.stages[0].n_clusters

    @property
    def taylor(self) -> TaylorStructure | None:
        """The Taylor-linearisation structure (None for a replicate design).

        Returns
        -------
        TaylorStructure or None
            The strata, PSU and fpc structure, or None.
        """
        return self._taylor


def _read_only(values: np.ndarray) -> np.ndarray:
    view = values.view()
    view.flags.writeable = False
    return view
