"""The state of a design: one frozen record of everything a :class:`~citizensfirst.Design` holds.

:meth:`citizensfirst.Design.evolve` makes a new design from an old one with some of these
fields changed, and rejects a name that is not a field (a misspelt key is an error, never a
new attribute).

>>> sorted(DESIGN_FIELDS)[:4]
['calibrations', 'codebook', 'data', 'degf']
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from .variance import ReplicateWeights, TaylorStructure


@dataclass(frozen=True)
class DesignState:
    """Everything a design holds (read it with :attr:`citizensfirst.Design.state`).

    Attributes
    ----------
    data : DataFrame
        The respondents (all rows, domain or not).
    codebook : Codebook or None
        Labels and missing codes of the survey the design was built from.
    source : str
        Where the data came from (a file path, ``"survey"`` or ``"data"``), for messages.
    spec : dict
        The arguments the design was built with (weights, strata, psu, fpc, ...).
    weights : ndarray
        Analysis weights of every row (before the domain is applied).
    taylor : TaylorStructure or None
        Strata, PSUs and fpc of a linearisation design.
    replicates : ReplicateWeights or None
        Replicate weights of a replicate design.
    domain : ndarray of bool
        Rows in the domain (a subset keeps every row and zeroes the others' weights).
    calibrations : tuple
        Calibration residualisers of the weighting steps applied, in order.
    history : tuple of Step
        Every step applied, from the design's construction on.
    report : WeightingReport or None
        The report of the last weighting step.
    degf : int or None
        Design degrees of freedom given by the user (None: computed).
    """

    data: pd.DataFrame
    codebook: Any
    source: str
    spec: dict[str, Any]
    weights: np.ndarray
    taylor: TaylorStructure | None
    replicates: ReplicateWeights | None
    domain: np.ndarray
    calibrations: tuple[Any, ...]
    history: tuple[Any, ...]
    report: Any
    degf: int | None


#: The names :meth:`citizensfirst.Design.evolve` accepts.
DESIGN_FIELDS: frozenset[str] = frozenset(f.name for f in fields(DesignState))
