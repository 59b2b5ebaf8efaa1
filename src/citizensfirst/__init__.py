"""citizensfirst: design-based analysis of public-service satisfaction surveys.

>>> import citizensfirst as cf
>>> cf.__version__
'0.1.0'
"""

from .design.facade import Design
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
from .estimation import scores as scores
from .estimation.quality import QualityRules
from .estimation.result import Estimate
from .io import cmt as cmt
from .io.codebook import Codebook, Variable
from .io.mrsets import MultipleResponseSet
from .io.readers import read_survey
from .io.survey import SourceInfo, Survey
from .io.writers import write_survey
from .waves.study import Study, Trend
from .weighting import targets as targets

__version__ = "0.1.0"

__all__ = [
    "CheckError",
    "CitizensFirstError",
    "Codebook",
    "Design",
    "Estimate",
    "MultipleResponseSet",
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
