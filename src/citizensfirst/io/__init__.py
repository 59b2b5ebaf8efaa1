"""Reading and writing survey files: one record per format, Survey, Codebook, CMT.

The names below load on first access (PEP 562), so a module that needs only
:mod:`citizensfirst.io.codes` does not import every file format (and pydantic, for the
codebook sidecars) with it.

>>> from citizensfirst.io import read_survey, write_survey
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .formats import FORMATS, READ_FORMATS, WRITE_FORMATS, FileFormat, sidecar_path
    from .readers import read_codebook, read_survey
    from .survey import SourceInfo, Survey
    from .writers import write_survey

# public name -> the submodule that defines it
_WHERE = {"FORMATS": "formats", "READ_FORMATS": "formats", "WRITE_FORMATS": "formats", "FileFormat": "formats",
          "sidecar_path": "formats", "read_codebook": "readers", "read_survey": "readers",
          "SourceInfo": "survey", "Survey": "survey", "write_survey": "writers"}

__all__ = ["FORMATS", "FileFormat", "READ_FORMATS", "SourceInfo", "Survey", "WRITE_FORMATS", "read_codebook", "read_survey", "sidecar_path", "write_survey"]


def __getattr__(name: str) -> Any:
    """Import a public name of the package on first access.

    Parameters
    ----------
    name : str
        The attribute asked for, such as ``"read_survey"``.

    Returns
    -------
    Any
        The object of that name in its submodule.
    """
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the package's names, the lazily loaded public ones included.

    Returns
    -------
    list of str
        The sorted names.
    """
    return sorted(set(globals()) | set(__all__))
