"""Reading and writing survey files: one record per format, Survey, Codebook, CMT.

>>> from citizensfirst.io import read_survey, write_survey
"""

from .formats import READ_FORMATS, WRITE_FORMATS, sidecar_path
from .readers import read_codebook, read_survey
from .survey import SourceInfo, Survey
from .writers import write_survey

__all__ = ["READ_FORMATS", "SourceInfo", "Survey", "WRITE_FORMATS", "read_codebook", "read_survey", "sidecar_path", "write_survey"]
