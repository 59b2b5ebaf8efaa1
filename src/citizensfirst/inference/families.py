"""GLM families for :func:`~citizensfirst.inference.glm.regress`: R's names, canonical links and starting values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.genmod import families as sm_families

from ..errors import DataError

FAMILIES = ("gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson")


class _Binomial(sm_families.Binomial):
    """statsmodels' binomial family, started where R's ``binomial()$initialize`` starts."""

    def __init__(self, prior: np.ndarray) -> None:
        super().__init__()
        self.prior = prior

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return (self.prior * y + 0.5) / (self.prior + 1)


class _Poisson(sm_families.Poisson):
    """statsmodels' Poisson family, started where R's ``poisson()$initialize`` starts."""

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return y + 0.1


class _Gaussian(sm_families.Gaussian):
    """statsmodels' Gaussian family, started where R's ``gaussian()$initialize`` starts."""

    def starting_mu(self, y: np.ndarray) -> np.ndarray:
        return y


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
        if self.name in ("binomial", "quasibinomial"):
            return _Binomial(prior)
        if self.name in ("poisson", "quasipoisson"):
            return _Poisson()
        return _Gaussian()


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
