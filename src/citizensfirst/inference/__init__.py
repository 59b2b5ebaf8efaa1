"""Design-based tests (t, Rao-Scott) and generalised linear models.

>>> from citizensfirst.inference import regress, ttest, chisq
"""

from .families import FAMILIES
from .glm import ModelResult, regress
from .tests import CHISQ_STATISTICS, TestResult, chisq, p_chisqsum, p_fsum, table, ttest

__all__ = ["CHISQ_STATISTICS", "FAMILIES", "ModelResult", "TestResult", "chisq", "p_chisqsum", "p_fsum", "regress", "table", "ttest"]
