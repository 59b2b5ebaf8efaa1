"""Driver analysis: pure measures on a covariance matrix and the analysis on a design.

>>> from citizensfirst.drivers import driver_importance
"""

from .analysis import METHODS, driver_importance, importance_performance
from .driver_result import DriverResult
from .measures import (
    CONDITION_THRESHOLD,
    MAX_EXACT,
    VIF_THRESHOLD,
    CollinearityWarning,
    DominanceResult,
    ShapleyEstimate,
    dominance,
    r2_all_subsets,
    shapley_lmg,
    shapley_sampling,
    weighted_moments,
)
from .regression_measures import (
    betasq,
    collinearity,
    first,
    last,
    pratt,
    relative_weights,
    standardized_betas,
    zero_order,
)

__all__ = ["CONDITION_THRESHOLD", "CollinearityWarning", "DominanceResult", "DriverResult", "MAX_EXACT", "METHODS", "ShapleyEstimate", "VIF_THRESHOLD", "betasq", "collinearity", "dominance", "driver_importance", "first", "importance_performance", "last", "pratt", "r2_all_subsets", "relative_weights", "shapley_lmg", "shapley_sampling", "standardized_betas", "weighted_moments", "zero_order"]
