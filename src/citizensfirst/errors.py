"""The exceptions citizensfirst raises.

Every error is a :class:`CitizensFirstError`; its message names the file, variable and value at
fault and says what to do. The command line turns :class:`DataError`-like problems (bad input)
into exit code 2 and :class:`CheckError` (a check that ran and failed) into exit code 1.

>>> try:
...     raise DataError("weights 'wt' has 3 negative values (first at row 17: -1.0)")
... except CitizensFirstError as err:
...     print(type(err).__name__)
DataError
"""

from __future__ import annotations


class CitizensFirstError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 2


class DataError(CitizensFirstError, ValueError):
    """The data cannot be used as given: unknown column, non-numeric rating, bad weight, corrupt file."""


class CodebookError(CitizensFirstError, ValueError):
    """A codebook disagrees with itself or with the data it describes."""


class DesignError(CitizensFirstError, ValueError):
    """A survey design cannot be built: lonely PSUs, PSUs not nested, bad fpc, bad replicates."""


class WeightingError(CitizensFirstError, ValueError):
    """Weighting targets or bounds are invalid (levels absent, shares not summing to one, ...)."""


class OutputError(CitizensFirstError, ValueError):
    """An output cannot be written safely: the target holds user files, lies outside the output
    folder, contains an input of the run, or an existing column would be overwritten."""


class NominalVariableWarning(UserWarning):
    """A variable that the codebook calls nominal (codes, not quantities) is averaged or used as a driver."""


class CheckError(CitizensFirstError):
    """A check ran and failed (weights that miss their targets, a reproduction that differs)."""

    exit_code = 1


class ConvergenceError(CheckError, WeightingError):
    """An iterative method (raking, calibration, a model fit) did not reach its tolerance."""

    exit_code = 1


class HarmonizationError(CitizensFirstError, ValueError):
    """A wave harmonisation spec is inconsistent with a wave or with itself."""


class SpecError(CitizensFirstError, ValueError):
    """A study spec (TOML) is invalid: a missing key, a misspelt variable, a wrong type."""


class NotLazyError(DataError):
    """An operation a lazy design (rows in DuckDB or Spark) cannot do without bringing its rows
    into memory; the message names the operation and suggests ``.collect()`` on a subset."""
