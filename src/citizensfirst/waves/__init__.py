"""Waves: harmonisation specs and studies of independent waves.

>>> from citizensfirst.waves import Study, HarmonizationSpec
"""

from .rules import CommonVariable, WaveRule
from .spec import (
    HarmonizationSpec,
    harmonize,
    load_spec,
    sample_harmonization_path,
)
from .study import Study, Trend

__all__ = ["CommonVariable", "HarmonizationSpec", "Study", "Trend", "WaveRule", "harmonize", "load_spec", "sample_harmonization_path"]
