"""The JSON Schema of each TOML kind, and the reference page of every key, both from the models.

:func:`json_schema` gives the JSON Schema of a kind (``study``, ``codebook``, ``harmonization``,
``targets``); editors that read JSON Schema (for TOML: Taplo / Even Better TOML) complete and
check a file from it. :func:`write_schemas` writes them to ``docs/schema/`` and
:func:`reference_markdown` renders ``docs/spec-reference.md`` from the models' field descriptions;
tests check that the committed files equal what this module generates. This module imports the
study schema (and through it the library's registries), so :mod:`citizensfirst.spec` does not
import it.

>>> schema = json_schema("study")
>>> schema["properties"]["waves"]["type"], sorted(SCHEMA_KINDS)
('object', ['codebook', 'harmonization', 'study', 'targets'])
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import PydanticUndefined, core_schema

from ..errors import SpecError
from ..fileutil import atomic_write_text
from .base import ONE_OR_MANY, OneOf
from .codebook import CodebookDoc
from .harmonization import HarmonizationDoc
from .study import StudyDoc
from .targets import TargetsDoc

SCHEMA_KINDS: Mapping[str, type[BaseModel]] = {
    "study": StudyDoc,
    "codebook": CodebookDoc,
    "harmonization": HarmonizationDoc,
    "targets": TargetsDoc,
}
"""The TOML files the library reads, by kind: the model of each."""

_TITLES = {
    "study": "citizensfirst study spec",
    "codebook": "citizensfirst codebook (sidecar <data>.codebook.toml)",
    "harmonization": "citizensfirst harmonisation of waves",
    "targets": "citizensfirst weighting targets",
}


_SECTIONS = {
    "study": "Study spec",
    "codebook": "Codebook (the sidecar `<data>.codebook.toml`)",
    "harmonization": "Harmonisation of waves",
    "targets": "Weighting targets",
}


class _TomlJsonSchema(GenerateJsonSchema):
    """JSON Schema for TOML: a key that may be left out is optional, never ``null`` (TOML has no null)."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        """The schema of the value itself (an absent key, not a null, means "not given").

        Parameters
        ----------
        schema : NullableSchema
            Pydantic's core schema of ``X | None``.

        Returns
        -------
        JsonSchemaValue
            The JSON Schema of ``X``.
        """
        return self.generate_inner(schema["schema"])


def _drop_null_defaults(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_null_defaults(v) for k, v in node.items() if not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node


def _model(kind: str) -> type[BaseModel]:
    if kind not in SCHEMA_KINDS:
        raise SpecError(f"no schema kind {kind!r}; kinds: {', '.join(SCHEMA_KINDS)}")
    return SCHEMA_KINDS[kind]


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of TOML file.

    Parameters
    ----------
    kind : str
        A key of :data:`SCHEMA_KINDS`: ``study``, ``codebook``, ``harmonization`` or ``targets``.

    Returns
    -------
    dict
        The schema.

    Raises
    ------
    SpecError
        If ``kind`` is unknown.
    """
    schema = _model(kind).model_json_schema(mode="validation", schema_generator=_TomlJsonSchema)
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{kind}.schema.json",
            "title": _TITLES[kind]}
    return head | {k: v for k, v in _drop_null_defaults(schema).items() if k != "title"}


def schema_text(kind: str) -> str:
    """The JSON Schema of ``kind`` as the text of its committed file (``docs/schema/<kind>.schema.json``).

    Parameters
    ----------
    kind : str
        A key of :data:`SCHEMA_KINDS`.

    Returns
    -------
    str
        Indented JSON ending with a newline.
    """
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: str | Path) -> list[Path]:
    """Write ``<kind>.schema.json`` for every kind into ``folder`` (atomically).

    Parameters
    ----------
    folder : str or Path
        The folder (``docs/schema`` in the repository).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in SCHEMA_KINDS:
        path = folder / f"{kind}.schema.json"
        atomic_write_text(path, schema_text(kind))
        written.append(path)
    return written


def _type_text(annotation: Any) -> str:
    """A short description of a field's type, as a TOML user reads it."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        for item in meta:
            if isinstance(item, OneOf):
                return " \\| ".join(f'`"{v}"`' for v in item.values)
        text = _type_text(base)
        return f"one {text.removeprefix('list of ')} or a list" if ONE_OR_MANY in meta else text
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is list:
        return "list of " + _type_text(typing.get_args(annotation)[0])
    if origin is dict:
        inner = _type_text(typing.get_args(annotation)[1])
        return "table of " + ("tables" if inner == "table" else inner)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(annotation, "value")


def _default_text(info: FieldInfo) -> str:
    if info.default_factory is not None or info.default is None:
        return ""
    if info.default is PydanticUndefined:
        return "**required**"
    value = info.default
    return f"`{json.dumps(value)}`" if not isinstance(value, bool) else f"`{str(value).lower()}`"


def _header(path: str) -> str:
    """A model's TOML table path as a header: ``[waves.<name>]``, ``[[tables]]``, or the top level."""
    if not path:
        return "top level"
    return f"[[{path.removesuffix('[]')}]]" if path.endswith("[]") else f"[{path}]"


def _model_section(path: str, model: type[BaseModel], done: dict[type[BaseModel], str], lines: list[str]) -> None:
    lines += [f"### `{_header(path)}`", ""]
    if model in done:
        lines += [f"The same keys as `{done[model]}`.", ""]
        return
    done[model] = _header(path)
    lines += [(model.__doc__ or "").strip().split("\n")[0], "",
              "| key | type | default | meaning |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        text = (info.description or "").replace("|", "\\|")
        lines.append(f"| `{key}` | {_type_text(info.rebuild_annotation())} | {_default_text(info)} | {text} |")
    lines.append("")


def _nested_models(model: type[BaseModel], prefix: str, found: list[tuple[str, type[BaseModel]]]) -> None:
    """Every model reachable from ``model``, with the TOML table path it is written at."""
    found.append((prefix, model))
    hints = typing.get_type_hints(model, include_extras=True)
    extra = hints.get("__pydantic_extra__")
    for name, info in model.model_fields.items():
        for sub, suffix in _models_in(info.rebuild_annotation()):
            _nested_models(sub, f"{prefix}.{info.alias or name}{suffix}".lstrip("."), found)
    if extra is not None:
        for sub, _ in _models_in(extra):
            _nested_models(sub, f"{prefix}.<wave>", found)


def _models_in(annotation: Any) -> list[tuple[type[BaseModel], str]]:
    """The models inside a field's type, with the key suffix of their tables (``.<name>``, ``[]``)."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, "")]
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _models_in(a)]
    if origin is list:
        return [(m, "[]" + s) for m, s in _models_in(typing.get_args(annotation)[0])]
    if origin is dict:
        return [(m, ".<name>" + s) for m, s in _models_in(typing.get_args(annotation)[1])]
    return []


def reference_markdown() -> str:
    """The reference page of every key of every TOML file (``docs/spec-reference.md``).

    Returns
    -------
    str
        MyST markdown: one section per kind, one table per TOML table, generated from the models.
    """
    lines = ["# Spec reference: every key of every TOML file", "",
             "<!-- generated by citizensfirst.spec.schemas.reference_markdown(); do not edit: "
             "tests/test_spec_schema.py checks it is up to date -->", "",
             "Every TOML file citizensfirst reads is checked against one schema "
             "(`citizensfirst.spec`): unknown keys are refused with a \"did you mean\", a boolean is "
             "`true` or `false` (never a string), numbers are finite and in range, and every error names "
             "the file, the key as written (`[waves.cf2023].nest`, `[[tables]] #2 .stat`), what is "
             "expected and the value given (exit code 2 on the command line). The JSON Schemas in "
             "`docs/schema/` let an editor complete and check these files. A key shown as "
             "\"one X or a list\" accepts a single value or a list; `[]` marks an array of tables "
             "(`[[tables]]`), `<name>` a key you choose.", ""]
    done: dict[type[BaseModel], str] = {}
    for kind, model in SCHEMA_KINDS.items():
        lines += [f"## {_SECTIONS[kind]} (`docs/schema/{kind}.schema.json`)", ""]
        found: list[tuple[str, type[BaseModel]]] = []
        _nested_models(model, "", found)
        for path, sub in found:
            _model_section(path, sub, done, lines)
    return "\n".join(lines).rstrip("\n") + "\n"
