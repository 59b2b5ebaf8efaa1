"""The report pipeline: study spec (TOML) -> weighted tables, charts, report.html and manifest.

>>> from citizensfirst.report import StudySpec
"""

from .spec import StudySpec

__all__ = ["StudySpec"]
