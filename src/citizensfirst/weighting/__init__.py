"""Weighting: raking, calibration, post-stratification and trimming with a checked report.

Each method is one module of :mod:`citizensfirst.weighting.methods`; :data:`METHODS` maps a
method's name to its function (design -> new design), and is what the command line and the
study spec read.

>>> from citizensfirst.weighting import rake, calibrate, poststratify, trim, WeightingReport
>>> sorted(METHODS)
['calibrate', 'poststratify', 'rake', 'trim']
"""

from collections.abc import Callable, Mapping
from typing import Any

from .controls import parse_margins
from .methods.calibrate import calibrate
from .methods.poststratify import poststratify
from .methods.rake import rake
from .methods.trim import trim
from .report import WeightingReport

#: Weighting methods by name: each takes a design (and its own arguments) and returns a new one.
METHODS: Mapping[str, Callable[..., Any]] = {
    "rake": rake,
    "calibrate": calibrate,
    "poststratify": poststratify,
    "trim": trim,
}

__all__ = ["METHODS", "WeightingReport", "calibrate", "parse_margins", "poststratify", "rake", "trim"]
