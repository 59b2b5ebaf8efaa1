"""``LazyDesign.collect()``: rows into memory as a :class:`~citizensfirst.Design`, history replayed.

The in-memory design is built from the fetched rows with the lazy design's construction
arguments and codebook; then every step of the lazy history is applied again in memory:
subsets and lonely-PSU options as they are, weighting steps (rake, calibrate, poststratify,
trim) from their recorded arguments (:data:`citizensfirst.design.analysing.REWEIGHTING_STEPS`),
``as_replicate`` from its method and seed. A replayed weighting is kept only if its weights (and
replicate weights) equal the lazy design's, fetched in the same query, to 1e-10; otherwise
:class:`~citizensfirst.errors.NotLazyError` says to collect the rows first and weight in memory,
so a collected design never silently carries other weights than the lazy one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.analysing import REWEIGHTING_STEPS
from ..design.condition import parse_condition
from ..design.setup import Step, as_list, check_columns
from ..errors import NotLazyError
from .conditions import to_sql

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["RTOL", "collect"]

#: how closely the replayed weights must equal the lazy ones
RTOL = 1e-10
#: steps that leave the weights as they are
_UNWEIGHTED = ("subset", "options")
_W = "__cf_collect_w"


def collect(design: LazyDesign, where: str | None = None, columns: Sequence[str] | None = None) -> Any:
    """The in-memory design of the rows (see :meth:`citizensfirst.LazyDesign.collect`).

    Parameters
    ----------
    design : LazyDesign
        The lazy design.
    where : str, optional
        A text condition selecting the rows brought.
    columns : sequence of str, optional
        Columns to bring besides the design's own and those its subsets and weighting steps
        read (default: all).

    Returns
    -------
    Design
        The design's construction on the rows, with every step of its history replayed.

    Raises
    ------
    DataError
        If a column or the condition is unknown.
    NotLazyError
        If a weighting or replicate step cannot be replayed in memory to the lazy weights.
    """
    spec = design.spec
    own = [c for c in (as_list(spec["weights"]) + as_list(spec["probs"]) + as_list(spec["strata"])
                       + as_list(spec["psu"]) + [f for f in as_list(spec["fpc"]) if isinstance(f, str)]
                       + as_list(spec["replicate_weights"])) if c not in ("1", 1)]
    wanted = design.columns if columns is None else list(dict.fromkeys(own + _replayed_columns(design)
                                                                        + list(columns)))
    check_columns(pd.DataFrame(columns=design.columns), wanted, "collect", design.source)
    condition = None
    if where is not None:
        parsed = parse_condition(where)
        check_columns(pd.DataFrame(columns=design.columns), parsed.columns,
                      f"collect condition {where!r}:", design.source)
        condition = to_sql(parsed, design.kinds, design.backend.column, design.backend.literal)
    steps = design.history[1:]
    weighting = [step for step in steps if step.action not in _UNWEIGHTED]
    if weighting:  # the lazy weights in the same query, so they line up with the rows
        lazy = {_W: design.weight_sql} | {f"{_W}{r}": a for r, a in enumerate(design.replicate_sql)}
        q = design.backend.column
        select = [f"{q(c)} AS {q(c)}" for c in wanted] + [f"{e} AS {q(n)}" for n, e in lazy.items()]
        frame = design.backend.run(f"SELECT {', '.join(select)} FROM {{rows}}"
                                   + (f" WHERE {condition}" if condition else ""))
        expected = frame[list(lazy)].to_numpy(dtype=float)
        frame = frame.drop(columns=list(lazy))
    else:
        frame = design.backend.fetch(wanted, where=condition)
    args = {k: v for k, v in spec.items() if v is not None and v is not False}
    if design.taylor is not None:
        args.update(lonely_psu=design.taylor.lonely_psu,
                    adjust_domain_lonely=design.taylor.adjust_domain_lonely)
    memory = design.in_memory(frame, **args).evolve(codebook=design.codebook, source=design.source)
    for step in steps:
        memory = _replay(design, memory, step)
    if weighting:
        _check(design, memory, expected, weighting)
    return memory


def _replayed_columns(design: LazyDesign) -> list[str]:
    """The columns the history's subsets and weighting steps read (brought with the design's own)."""
    names: list[str] = []
    for step in design.history[1:]:
        params = step.parameters
        if step.action == "subset":
            names += parse_condition(params["condition"]).columns
        names += list(params.get("margins", {})) + as_list(params.get("cells")) + list(params.get("targets", {}))
    return [name for name in names if name in design.columns]


def _replay(design: LazyDesign, memory: Any, step: Step) -> Any:
    """``step`` applied to the in-memory design."""
    params = dict(step.parameters)
    if step.action == "subset":
        return memory.subset(params["condition"])
    if step.action == "options":
        return memory.options(**params)
    if step.action == "as_replicate" and "seed" in params:
        return memory.as_replicate(params["method"], replicates=params["replicates"], seed=params["seed"],
                                   mse=params["mse"], **({"rho": params["rho"]} if params["rho"] else {}))
    if step.action in REWEIGHTING_STEPS:
        return REWEIGHTING_STEPS[step.action](memory, params)
    raise NotLazyError(
        f"{design.source}: collect() cannot replay the step {step.action!r} in memory; collect the "
        f"design before that step and apply {step.action} to the in-memory design"
    )


def _check(design: LazyDesign, memory: Any, expected: np.ndarray, steps: list[Step]) -> None:
    """Raise NotLazyError unless the replayed (replicate) weights are the lazy ones to :data:`RTOL`."""
    weights = np.asarray(memory.weight_values, dtype=float)
    found = [weights[:, None]]
    replicates = memory.replicate_weights
    if design.replicate_sql and replicates is not None:
        found.append(replicates.analysis_weights(weights))
    ours = np.hstack(found)
    if ours.shape == expected.shape and np.allclose(ours, expected, rtol=RTOL, atol=0.0):
        return
    names = ", ".join(dict.fromkeys(step.action for step in steps))
    raise NotLazyError(
        f"{design.source}: collect() cannot bring the {names} of this lazy design into memory: "
        "re-applying it to the collected rows does not give the lazy design's weights (as when "
        "where= keeps only some rows, or a step was given options it does not record). Collect the "
        "rows of the design before weighting, then weight the in-memory design"
    )
