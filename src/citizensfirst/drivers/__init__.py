"""Driver analysis: pure measures on a covariance matrix and the analysis on a design.

>>> from citizensfirst.drivers import driver_importance
"""

from .analysis import METHODS, DriverResult, driver_importance, importance_performance
from .measures import (
    CONDITION_THRESHOLD,
    MAX_EXACT,
    VIF_THRESHOLD,
    CollinearityWarning,
    DominanceResult,
    ShapleyEstimate,
    betasq,
    collinearity,
    dominance,
    first,
    last,
    pratt,
    r2_all_subsets,
    relative_weights,
    shapley_lmg,
    shapley_sampling,
    standardized_betas,
    weighted_moments,
    zero_order,
)

__all__ = ["CONDITION_THRESHOLD", "CollinearityWarning", "DominanceResult", "DriverResult", "MAX_EXACT", "METHODS", "ShapleyEstimate", "VIF_THRESHOLD", "betasq", "collinearity", "dominance", "driver_importance", "first", "importance_performance", "last", "pratt", "r2_all_subsets", "relative_weights", "shapley_lmg", "shapley_sampling", "standardized_betas", "weighted_moments", "zero_order"]
