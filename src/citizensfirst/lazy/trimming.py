"""Trimming a lazy design's weights (as :func:`citizensfirst.weighting.trim`), one query per pass.

A pass clips the weights outside ``[lower, upper]`` and shares the cut among the others. A row
clipped once holds a constant from then on (the limit, plus what later passes add), so after
``k`` passes every row's weight is either one of a few constants (kept in Python and updated
exactly as numpy updates them) or its starting weight transformed by the ``k`` passes (an SQL
expression). The weight is ``CASE WHEN <left at pass 1> THEN c1 ... ELSE <transformed> END``.
Each pass asks one query for the sums the in-memory rule needs (cut, rows inside, their total).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConvergenceError, NotLazyError, WeightingError
from ..weighting.controls import make_step, real_number
from ..weighting.methods.trim import MAX_TRIM_PASSES, TRIM_SLACK
from .reweighting import reweighted, summary_report, weight_summary

if TYPE_CHECKING:
    from ..backends.base import Backend
    from .design import LazyDesign

__all__ = ["trim"]

_MAX_LAZY_PASSES = 200  # the SQL grows with the passes; beyond, the rows must be in memory


@dataclass
class _Trimmed:
    """The weights after some passes: exits (condition, constant index), the constants, how many
    rows hold each, and the SQL of the rows never trimmed."""

    value: str
    exits: list[tuple[str, int]] = field(default_factory=list)
    constants: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def sql(self, backend: Backend, value: str) -> str:
        """The weight: each exit's constant, else ``value``."""
        if not self.exits:
            return value
        branches = " ".join(f"WHEN {cond} THEN {backend.literal(self.constants[i])}" for cond, i in self.exits)
        return f"(CASE {branches} ELSE {value} END)"

    def free(self) -> str:
        """SQL: the row was never trimmed."""
        return "NOT (" + " OR ".join(c for c, _ in self.exits) + ")" if self.exits else "TRUE"


def _trim_sql(backend: Backend, weight: str, lower: float, upper: float, strict: bool, redistribute: str,
              where: str = "") -> tuple[str, int]:
    """One weight expression trimmed as ``weighting.methods.trim``: (SQL, rows trimmed)."""
    lit = backend.literal
    start = backend.aggregate({"n": "COUNT(*)", "t": f"SUM({weight})"}).iloc[0]
    n, total = int(start["n"]), float(start["t"])
    keep_total = redistribute != "none"
    if keep_total and strict and not n * lower <= total <= n * upper:
        limit, bound, word = ("upper", upper, "most") if total > n * upper else ("lower", lower, "least")
        raise WeightingError(
            f"{where}trimming to {limit}={bound:g} cannot keep the weight total: {n} weights of at {word} "
            f"{bound:g} sum to at {word} {n * bound:g}, not {total:g}. "
            f"{'Raise upper above' if limit == 'upper' else 'Lower lower below'} the mean weight "
            f"{total / n:g}, or give redistribute='none' to let the total shrink"
        )
    low = lower - TRIM_SLACK * abs(lower) if strict else lower
    high = upper + TRIM_SLACK * abs(upper) if strict else upper
    state = _Trimmed(f"({weight})")
    for passes in range(MAX_TRIM_PASSES):
        if passes >= _MAX_LAZY_PASSES:
            raise NotLazyError(f"{where}strict trimming needs more than {_MAX_LAZY_PASSES} passes on a lazy "
                               "design; .collect() the rows and trim in memory")
        v, free = state.value, state.free()
        under, over = f"({free} AND {v} < {lit(low)})", f"({free} AND {v} > {lit(high)})"
        clipped = f"LEAST(GREATEST({v}, {lit(lower)}), {lit(upper)})"
        inside = f"({free} AND NOT ({v} < {lit(low)} OR {v} > {lit(high)}))"
        found = backend.aggregate({
            "under": f"SUM(CASE WHEN {under} THEN 1 ELSE 0 END)", "over": f"SUM(CASE WHEN {over} THEN 1 ELSE 0 END)",
            "cut": f"SUM(CASE WHEN {free} THEN {v} - {clipped} ELSE 0.0 END)",
            "n_in": f"SUM(CASE WHEN {inside} THEN 1 ELSE 0 END)",
            "s_in": f"SUM(CASE WHEN {inside} THEN {clipped} ELSE 0.0 END)",
        }).fillna(0).iloc[0]
        consts, sizes = np.array(state.constants, dtype=float), np.array(state.sizes, dtype=float)
        out_c = (consts < low) | (consts > high)
        if not (found["under"] or found["over"] or out_c.any()):
            state.constants = [float(c) for c in np.clip(consts, lower, upper)]
            return state.sql(backend, clipped), int(sizes.sum())
        new_c = np.clip(consts, lower, upper)
        cut = float(found["cut"]) + float(((consts - new_c) * sizes).sum())
        n_inside = int(found["n_in"]) + int(sizes[~out_c].sum())
        value = clipped
        if keep_total and cut != 0:
            if not n_inside:
                raise WeightingError(
                    f"{where}every one of the {n} weights (total {total:g}) is outside [lower={lower:g}, "
                    f"upper={upper:g}], so no weight is left to absorb the cut and the total cannot be kept; "
                    "widen the limits or give redistribute='none'"
                )
            if redistribute == "equal":
                add = cut / n_inside
                new_c[~out_c] += add
                value = f"({clipped} + {lit(add)})"
            else:
                factor = 1 + cut / (float(found["s_in"]) + float((new_c[~out_c] * sizes[~out_c]).sum()))
                new_c[~out_c] *= factor
                value = f"({clipped} * {lit(factor)})"
            pushed = backend.aggregate({"p": f"SUM(CASE WHEN {inside} AND {value} <= 0 AND {v} > 0 THEN 1 ELSE 0 END)"})
            count = int(pushed["p"].fillna(0).iloc[0]) + int(sizes[(new_c <= 0) & (consts > 0)].sum())
            if count:
                raise WeightingError(
                    f"{where}trimming to [lower={lower:g}, upper={upper:g}] would push {count} "
                    "weight(s) to zero or below; widen the limits"
                )
        state.constants = [float(c) for c in new_c]
        for condition, rows, bound in ((under, found["under"], lower), (over, found["over"], upper)):
            if rows:
                state.exits.append((condition, len(state.constants)))
                state.constants.append(bound)
                state.sizes.append(int(rows))
        state.value = value
        if not strict:
            return state.sql(backend, value), int(sum(state.sizes))
    raise ConvergenceError(
        f"{where}strict trimming to [lower={lower:g}, upper={upper:g}] did not settle in {MAX_TRIM_PASSES} "
        f"passes: the limits are too close to the mean weight {total / n:g}; widen them"
    )


def trim(design: LazyDesign, *, lower: float = -np.inf, upper: float = np.inf, relative: bool = False,
         strict: bool = False, redistribute: str = "equal") -> LazyDesign:
    """Trim a lazy design's weights (as :func:`citizensfirst.weighting.trim`).

    Parameters
    ----------
    design : LazyDesign
        The design.
    lower : float, default -inf
        Lower limit of the weights.
    upper : float, default inf
        Upper limit of the weights.
    relative : bool, default False
        Limits as multiples of the median weight (not lazy: raises NotLazyError).
    strict : bool, default False
        Repeat until no weight is outside the limits.
    redistribute : str, default "equal"
        ``"equal"``, ``"proportional"`` or ``"none"``.

    Returns
    -------
    LazyDesign
        The design with trimmed weights and its report.

    Raises
    ------
    WeightingError
        Invalid limits, or a weight total that cannot be kept.
    NotLazyError
        ``relative=True`` (the median needs the rows in memory).
    """
    if redistribute not in ("equal", "proportional", "none"):
        raise WeightingError(f"redistribute must be equal, proportional or none, got {redistribute!r}")
    lower, upper = real_number(lower, "lower"), real_number(upper, "upper")
    if relative:
        raise NotLazyError(f"{design.source}: trim(relative=True) needs the median weight, which a lazy design "
                           "does not compute yet; give absolute limits, or .collect() the rows")
    if not (lower < upper and upper > 0 and lower < np.inf):  # also refuses NaN
        raise WeightingError(
            f"trim needs limits with lower < upper and upper > 0 (-inf / inf for no limit), got "
            f"lower={lower}, upper={upper}"
        )
    base = f"({design.weight_sql})"
    weight, trimmed = _trim_sql(design.backend, base, lower, upper, strict, redistribute)
    replicates = None
    if design.replicate_sql:
        replicates = [_trim_sql(design.backend, f"({a})", lower, upper, strict, redistribute,
                                where=f"replicate {r + 1}: ")[0] for r, a in enumerate(design.replicate_sql)]
    step = make_step("trim", lower=lower, upper=upper, strict=strict, redistribute=redistribute)
    new = reweighted(design, weight, replicates, None, step)
    new.report = summary_report("trimming", weight_summary(new, base), None, True, 1, trimmed)
    return new
