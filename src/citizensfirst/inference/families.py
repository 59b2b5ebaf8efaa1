"""GLM families for :func:`~citizensfirst.inference.glm.regress`: R's names, canonical links and starting values."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError

if TYPE_CHECKING:
    from statsmodels.genmod import families as sm_families

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")


@cache
def _statsmodels_classes() -> dict[str, Any]:
    """statsmodels' binomial, Poisson and Gaussian families, started where R's ``initialize`` starts."""
    # lazy: statsmodels costs a second to import (start-up time); only model fits need it
    from statsmodels.genmod import families as sm

    class _Binomial(sm.Binomial):
        def __init__(self, prior: np.ndarray) -> None:
            super().__init__()
            self.prior = prior

        def starting_mu(self, y: np.ndarray) -> np.ndarray:
            return (self.prior * y + 0.5) / (self.prior + 1)

    class _Poisson(sm.Poisson):
        def starting_mu(self, y: np.ndarray) -> np.ndarray:
            return y + 0.1

    class _Gaussian(sm.Gaussian):
        def starting_mu(self, y: np.ndarray) -> np.ndarray:
            return y

    return {"binomial": _Binomial, "poisson": _Poisson, "gaussian": _Gaussian}


@dataclass(frozen=True)
class GlmFamily:
    """A GLM family: its R name and canonical link, and the statsmodels family that fits it."""

    name: str  # as R reports it
    link: str

    def statsmodels(self, prior: np.ndarray) -> sm_families.Family:
        """The statsmodels family that fits this GLM family.

        Parameters
        ----------
        prior : numpy.ndarray
            The prior weights of the fit (binomial families use them as trial counts).

        Returns
        -------
        statsmodels.genmod.families.Family
            The family object passed to statsmodels' GLM.
        """
        classes = _statsmodels_classes()
        if self.name in ("binomial", "quasibinomial"):
            return classes["binomial"](prior)
        if self.name in ("poisson", "quasipoisson"):
            return classes["poisson"]()
        return classes["gaussian"]()


def family_of(name: str) -> GlmFamily:
    """The family (R name and canonical link) called ``name``.

    Parameters
    ----------
    name : str
        One of :data:`FAMILIES`.

    Returns
    -------
    GlmFamily
        The family.

    Raises
    ------
    DataError
        If ``name`` is not a known family.
    """
    links = {"gaussian": "identity", "binomial": "logit", "quasibinomial": "logit",
             "poisson": "log", "quasipoisson": "log"}
    if name not in links:
        raise DataError(f"family must be one of {FAMILIES}, got {name!r}")
    return GlmFamily(name, links[name])
