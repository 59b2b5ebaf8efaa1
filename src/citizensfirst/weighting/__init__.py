"""Weighting: raking, calibration, post-stratification and trimming with a checked report.

>>> from citizensfirst.weighting import rake, calibrate, poststratify, trim, WeightingReport
"""

from .methods import calibrate, parse_margins, poststratify, rake, trim
from .report import WeightingReport

__all__ = ["WeightingReport", "calibrate", "parse_margins", "poststratify", "rake", "trim"]
