"""citizensfirst: design-based analysis of public-service satisfaction surveys.

The public names load on first access (PEP 562), so ``import citizensfirst`` costs almost
nothing and ``cf.Design`` imports only what a design needs.

>>> import citizensfirst as cf
>>> cf.__version__
'0.1.0'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .design.facade import Design
    from .errors import (
        CheckError,
        CitizensFirstError,
        CodebookError,
        ConvergenceError,
        DataError,
        DesignError,
        HarmonizationError,
        NotLazyError,
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
    from .lazy.design import LazyDesign
    from .scan import scan_survey
    from .waves.study import Study, Trend
    from .weighting import targets as targets

__version__ = "0.1.0"

# public name -> (module, attribute); attribute None: the name is the module itself
_LAZY: dict[str, tuple[str, str | None]] = {
    "CheckError": ("citizensfirst.errors", "CheckError"),
    "CitizensFirstError": ("citizensfirst.errors", "CitizensFirstError"),
    "CodebookError": ("citizensfirst.errors", "CodebookError"),
    "ConvergenceError": ("citizensfirst.errors", "ConvergenceError"),
    "DataError": ("citizensfirst.errors", "DataError"),
    "DesignError": ("citizensfirst.errors", "DesignError"),
    "HarmonizationError": ("citizensfirst.errors", "HarmonizationError"),
    "SpecError": ("citizensfirst.errors", "SpecError"),
    "WeightingError": ("citizensfirst.errors", "WeightingError"),
    "Design": ("citizensfirst.design.facade", "Design"),
    "Estimate": ("citizensfirst.estimation.result", "Estimate"),
    "QualityRules": ("citizensfirst.estimation.quality", "QualityRules"),
    "scores": ("citizensfirst.estimation.scores", None),
    "cmt": ("citizensfirst.io.cmt", None),
    "Codebook": ("citizensfirst.io.codebook", "Codebook"),
    "Variable": ("citizensfirst.io.codebook", "Variable"),
    "MultipleResponseSet": ("citizensfirst.io.mrsets", "MultipleResponseSet"),
    "read_survey": ("citizensfirst.io.readers", "read_survey"),
    "SourceInfo": ("citizensfirst.io.survey", "SourceInfo"),
    "Survey": ("citizensfirst.io.survey", "Survey"),
    "write_survey": ("citizensfirst.io.writers", "write_survey"),
    "Study": ("citizensfirst.waves.study", "Study"),
    "Trend": ("citizensfirst.waves.study", "Trend"),
    "targets": ("citizensfirst.weighting.targets", None),
    "scan_survey": ("citizensfirst.scan", "scan_survey"),
    "NotLazyError": ("citizensfirst.errors", "NotLazyError"),
    "LazyDesign": ("citizensfirst.lazy.design", "LazyDesign"),
}

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
    "LazyDesign",
    "NotLazyError",
    "SpecError",
    "SourceInfo",
    "Study",
    "Survey",
    "Trend",
    "Variable",
    "read_survey",
    "scan_survey",
    "scores",
    "write_survey",
    "WeightingError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first access and keep it in the module.

    Parameters
    ----------
    name : str
        The attribute asked for, such as ``"Design"``.

    Returns
    -------
    Any
        The class, function or module that the name stands for.

    Examples
    --------
    >>> import citizensfirst as cf
    >>> cf.DataError.__name__
    'DataError'
    """
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'citizensfirst' has no attribute {name!r}") from None
    module = import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module's names, the lazily loaded public ones included.

    Returns
    -------
    list of str
        The sorted names, as ``dir(citizensfirst)`` shows them.

    Examples
    --------
    >>> import citizensfirst as cf
    >>> "Design" in dir(cf)
    True
    """
    return sorted(set(globals()) | set(__all__))
