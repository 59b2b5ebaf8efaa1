"""Target sets shipped with the library, by the name a study spec or the command line uses.

A shipped set is a function of the target variables that returns raking margins
``{column: {code: value}}``. :data:`SHIPPED_TARGETS` is the one registry of those names: the
study spec's ``targets = "<name>"``, the command line's choices and the docs read it.

* ``canada_adults_2025``: exact adult counts of July 1, 2025 by province, age and gender from
  Statistics Canada Table 17-10-0005-01 (:mod:`.official`); the margins carry their citation,
  which the weighting report prints;
* ``canada_2021``: the APPROXIMATE 2021 Census shares (:func:`.targets.canada_2021`);
* ``business_counts_illustrative``: ILLUSTRATIVE counts in the Canadian Business Counts format;
* ``business_frame``: the same illustrative frame as shares (:func:`.targets.business_frame`).

>>> sorted(SHIPPED_TARGETS)
['business_counts_illustrative', 'business_frame', 'canada_2021', 'canada_adults_2025']
>>> sorted(shipped_targets("canada_2021", ["gender"]))
['gender']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..errors import SpecError
from .official import business_counts_illustrative, canada_adults_2025
from .targets import Margins, business_frame, canada_2021

TargetSet = Callable[[Sequence[str]], Margins]
"""A shipped target set: target variables -> margins."""

SHIPPED_TARGETS: Mapping[str, TargetSet] = {
    "canada_2021": canada_2021,
    "business_frame": business_frame,
    "canada_adults_2025": canada_adults_2025,
    "business_counts_illustrative": business_counts_illustrative,
}
"""Shipped target sets by name (the ``targets`` key of a weighting step)."""


def shipped_targets(name: str, variables: Sequence[str]) -> Margins:
    """The margins of the shipped target set ``name`` for ``variables``.

    Parameters
    ----------
    name : str
        A key of :data:`SHIPPED_TARGETS`.
    variables : sequence of str
        The target variables (each set documents its own).

    Returns
    -------
    Margins
        ``{column: {code: value}}``.

    Raises
    ------
    SpecError
        If no shipped set has that name.
    """
    if name not in SHIPPED_TARGETS:
        raise SpecError(f"no shipped target set named {name!r}; shipped: {sorted(SHIPPED_TARGETS)}")
    return SHIPPED_TARGETS[name](variables)
