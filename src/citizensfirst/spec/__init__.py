"""One schema for every TOML file the library reads, and the one validator that reports its errors.

:mod:`citizensfirst.spec.base` holds the strict model base and :func:`validate`; each kind of file
has its models: :mod:`~citizensfirst.spec.codebook` (codebook sidecar),
:mod:`~citizensfirst.spec.harmonization`, :mod:`~citizensfirst.spec.targets` and
:mod:`~citizensfirst.spec.study` (the study spec; it reads the library's registries, so this
package does not import it). :mod:`citizensfirst.spec.schemas` writes their JSON Schemas and the
reference page ``docs/spec-reference.md``.
"""

from .base import SAFE_NAME, StrictModel, validate

__all__ = ["SAFE_NAME", "StrictModel", "validate"]
