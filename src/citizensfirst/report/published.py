"""What a report may publish: shares and trends with the unpublishable values blanked.

A share or trend estimate that fails the quality rules (:mod:`citizensfirst.estimation.quality`)
keeps its row but loses its values, so that ``numbers.json`` and the charts never show it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..design.facade import Design
from ..errors import SpecError
from ..estimation.quality import DEFAULT_RULES, SUPPRESSED, UNPUBLISHED_COLUMNS, suppress_shares


def published_shares(estimate: Any, design: Design) -> pd.DataFrame:
    """The tidy frame of an overall proportion estimate with unpublishable shares blanked.

    A level chosen by fewer than ``min_n`` respondents, an F share, and the complements that
    keep them from being derived (the shares of a variable add up to 1) carry no value
    (:func:`citizensfirst.quality.suppress_shares`); their flag becomes ``"x"`` (F stays F).

    Parameters
    ----------
    estimate : Estimate
        Overall proportions (no ``by``).
    design : Design
        The design the proportions come from (for the respondent counts).

    Returns
    -------
    pandas.DataFrame
        The tidy frame with unpublishable values blanked.

    Raises
    ------
    SpecError
        If the estimate has ``by`` domains.
    """
    frame = estimate.to_frame(labels=False)  # levels as codes: the respondent counts are by code
    if estimate.by:
        raise SpecError("published_shares takes overall proportions (no by=)")
    counts = np.zeros(len(frame))
    for variable, rows in frame.groupby("variable", sort=False).groups.items():
        tally = design.data[variable].value_counts()
        counts[frame.index.get_indexer(rows)] = frame.loc[rows, "level"].map(tally).fillna(0).to_numpy()
    hide = suppress_shares(frame["variable"].to_numpy(), counts, frame["flag"].to_numpy())
    return _blank(frame, hide, hide & ((counts < DEFAULT_RULES.min_n) | (frame["flag"] != "F").to_numpy()))


def published_trend(estimates: pd.DataFrame, changes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trend estimates and changes with every value of an x or F wave estimate blanked.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Per-wave trend estimates with a ``flag`` column.
    changes : pandas.DataFrame
        Wave-to-wave changes (``from_wave``, ``to_wave``, ...).

    Returns
    -------
    tuple of (pandas.DataFrame, pandas.DataFrame)
        The estimates and the changes, blanked where a wave estimate is x or F.
    """
    hide = estimates["flag"].isin([SUPPRESSED, "F"]).to_numpy()
    hidden_waves = set(estimates.loc[hide, "wave"])
    changed = (changes["from_wave"].isin(hidden_waves) | changes["to_wave"].isin(hidden_waves)).to_numpy()
    if changed.any():
        values = [c for c in changes.columns if c not in ("from_wave", "to_wave", "variable")]
        changes = changes.astype({c: object for c in values})
        changes.loc[changed, values] = None
    return _blank(estimates, hide, hide & (estimates["flag"] == SUPPRESSED).to_numpy()), changes


def _blank(frame: pd.DataFrame, hide: np.ndarray, suppressed: np.ndarray) -> pd.DataFrame:
    """``frame`` without the values of the ``hide`` rows; ``suppressed`` rows flagged ``"x"``."""
    if not hide.any():
        return frame
    out = frame.copy()
    columns = [c for c in UNPUBLISHED_COLUMNS if c in out]
    out[columns] = out[columns].astype(float)
    out.loc[hide, columns] = np.nan
    out.loc[suppressed, "flag"] = SUPPRESSED
    return out
