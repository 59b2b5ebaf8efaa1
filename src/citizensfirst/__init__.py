"""citizensfirst: design-based analysis of public-service satisfaction surveys.

>>> import citizensfirst as cf
>>> cf.__version__
'0.1.0'
"""

from . import scores as scores
from . import targets as targets
from .codebook import Codebook, Variable
from .design import Design
from .errors import (
    CheckError,
    CitizensFirstError,
    CodebookError,
    ConvergenceError,
    DataError,
    DesignError,
    HarmonizationError,
    SpecError,
    WeightingError,
)
from .estimate import Estimate
from .io import read_survey, write_survey
from .quality import QualityRules
from .survey import SourceInfo, Survey
from .waves import Study, Trend

__version__ = "0.1.0"

__all__ = [
    "CheckError",
    "CitizensFirstError",
    "Codebook",
    "Design",
    "Estimate",
    "QualityRules",
    "CodebookError",
    "ConvergenceError",
    "DataError",
    "DesignError",
    "HarmonizationError",
    "SpecError",
    "SourceInfo",
    "Study",
    "Survey",
    "Trend",
    "Variable",
    "read_survey",
    "scores",
    "write_survey",
    "WeightingError",
    "__version__",
]
