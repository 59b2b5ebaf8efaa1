"""Trimming weights to limits, redistributing the excess."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...errors import ConvergenceError, WeightingError
from ..controls import make_step, real_number, reweighted
from ..report import WeightingReport

if TYPE_CHECKING:
    from ...design.facade import Design


MAX_TRIM_PASSES = 10_000


#: strict trimming: a weight within this relative distance of a limit is inside
TRIM_SLACK = 1e-12


def trim(
    design: Design,
    *,
    lower: float = -np.inf,
    upper: float = np.inf,
    relative: bool = False,
    strict: bool = False,
    redistribute: str = "equal",
) -> Design:
    """Trim weights to ``[lower, upper]`` and share what was cut among the others (``trimWeights``).

    ``relative=True`` reads the limits as multiples of the median weight. ``redistribute``:
    ``equal`` (R's rule: the same amount added to each untrimmed weight), ``proportional`` (in
    proportion to the untrimmed weights) or ``none`` (the total changes). ``strict=True``
    repeats until no weight is outside the limits.

    With ``equal`` or ``proportional`` the weight total is preserved, or a
    :class:`~citizensfirst.errors.WeightingError` says why it cannot be: limits that are NaN,
    ``lower >= upper`` or ``upper <= 0``; every weight outside the limits (nothing left to absorb
    the cut); with ``strict=True``, a total that ``n`` weights within the limits cannot reach
    (above ``n * upper`` or below ``n * lower``); or weights pushed to zero or below. (R's
    ``trimWeights`` silently shrinks the total in these cases.)

    Parameters
    ----------
    design : Design
        The survey design.
    lower : float, default -inf
        Lower limit of the weights.
    upper : float, default inf
        Upper limit of the weights.
    relative : bool, default False
        Read the limits as multiples of the median weight.
    strict : bool, default False
        Repeat until no weight is outside the limits.
    redistribute : str, default "equal"
        ``"equal"``, ``"proportional"`` or ``"none"``.

    Returns
    -------
    Design
        The design with trimmed weights.

    Raises
    ------
    WeightingError
        When the limits are invalid or the weight total cannot be preserved.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> d = Design(pd.DataFrame({"w": [1.0, 1, 1, 5]}), weights="w")
    >>> trim(d, upper=3).weights.round(4).tolist()
    [1.6667, 1.6667, 1.6667, 3.0]
    >>> trim(d, upper=1.5, strict=True)
    Traceback (most recent call last):
    ...
    citizensfirst.errors.WeightingError: trimming to upper=1.5 cannot keep the weight total: 4 weights of at most 1.5 sum to at most 6, not 8. Raise upper above the mean weight 2, or give redistribute='none' to let the total shrink
    """
    if redistribute not in ("equal", "proportional", "none"):
        raise WeightingError(f"redistribute must be equal, proportional or none, got {redistribute!r}")
    lower, upper = real_number(lower, "lower"), real_number(upper, "upper")
    base = design.weight_values
    if relative:
        positive = base[base > 0]
        if not positive.size:
            raise WeightingError(f"{design.source}: relative=True needs positive weights to take their median")
        median = float(np.median(positive))
        lower, upper = lower * median, upper * median
    if not (lower < upper and upper > 0 and lower < np.inf):  # also refuses NaN
        raise WeightingError(
            f"trim needs limits with lower < upper and upper > 0 (-inf / inf for no limit), got "
            f"lower={lower}, upper={upper}"
        )
    weights, trimmed = _trim_vector(base, lower, upper, strict, redistribute)
    rep_weights = None
    reps = design.replicate_weights
    if reps is not None:
        rep_weights = reps.analysis_weights(base).copy()
        for r in range(rep_weights.shape[1]):
            rep_weights[:, r], _ = _trim_vector(rep_weights[:, r], lower, upper, strict, redistribute,
                                                where=f"replicate {r + 1}: ")
    step = make_step("trim", lower=lower, upper=upper, strict=strict, redistribute=redistribute)
    new = reweighted(design, weights, rep_weights, None, step)
    report = WeightingReport.build("trimming", base, weights, None, True, 1, trimmed=trimmed)
    return new.evolve(report=report)


def _trim_vector(w: np.ndarray, lower: float, upper: float, strict: bool, redistribute: str,
                 where: str = "") -> tuple[np.ndarray, int]:
    """One trimming pass (``strict``: passes until every weight is within the limits).

    Returns the weights and how many respondents' weights were trimmed (each counted once, however
    many strict passes trimmed it)."""
    n, total = len(w), float(w.sum())
    keep_total = redistribute != "none"
    if keep_total and strict and not n * lower <= total <= n * upper:
        limit, bound, word = ("upper", upper, "most") if total > n * upper else ("lower", lower, "least")
        raise WeightingError(
            f"{where}trimming to {limit}={bound:g} cannot keep the weight total: {n} weights of at {word} "
            f"{bound:g} sum to at {word} {n * bound:g}, not {total:g}. "
            f"{'Raise upper above' if limit == 'upper' else 'Lower lower below'} the mean weight "
            f"{total / n:g}, or give redistribute='none' to let the total shrink"
        )
    # strict passes stop once every weight is within a rounding slack of the limits (the exact
    # test can ping-pong forever on rounding error); the result is then clipped to the limits
    low = lower - TRIM_SLACK * abs(lower) if strict else lower
    high = upper + TRIM_SLACK * abs(upper) if strict else upper
    ever_trimmed = np.zeros(n, dtype=bool)
    for _ in range(MAX_TRIM_PASSES):
        outside = (w < low) | (w > high)
        if not outside.any():
            return np.clip(w, lower, upper), int(ever_trimmed.sum())
        ever_trimmed |= outside
        new = np.clip(w, lower, upper)
        cut = float((w - new).sum())
        inside = ~outside
        if keep_total and cut != 0:
            if not inside.any():
                raise WeightingError(
                    f"{where}every one of the {n} weights (total {total:g}) is outside [lower={lower:g}, "
                    f"upper={upper:g}], so no weight is left to absorb the cut and the total cannot be kept; "
                    "widen the limits or give redistribute='none'"
                )
            if redistribute == "equal":
                new[inside] += cut / inside.sum()
            else:
                new[inside] *= 1 + cut / new[inside].sum()
            pushed = (new <= 0) & (w > 0)
            if pushed.any():
                raise WeightingError(
                    f"{where}trimming to [lower={lower:g}, upper={upper:g}] would push {int(pushed.sum())} "
                    "weight(s) to zero or below; widen the limits"
                )
        w = new
        if not strict:
            return w, int(ever_trimmed.sum())
    raise ConvergenceError(
        f"{where}strict trimming to [lower={lower:g}, upper={upper:g}] did not settle in {MAX_TRIM_PASSES} "
        f"passes: the limits are too close to the mean weight {total / n:g}; widen them"
    )
