"""Reading and writing survey files: one record per format, Survey, Codebook, CMT.

>>> from citizensfirst.io import read_survey, write_survey
"""

from .formats import FORMATS, READ_FORMATS, WRITE_FORMATS, FileFormat, sidecar_path
from .readers import read_codebook, read_survey
from .survey import SourceInfo, Survey
from .writers import write_survey

__all__ = ["FORMATS", "FileFormat", "READ_FORMATS", "SourceInfo", "Survey", "WRITE_FORMATS", "read_codebook", "read_survey", "sidecar_path", "write_survey"]
