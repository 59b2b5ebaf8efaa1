"""The strict model base of every TOML schema, and the one function that turns its errors into a SpecError.

Every TOML file the library reads (study spec, codebook sidecar, harmonisation, targets) is declared
as a :class:`StrictModel`: unknown keys are refused (with "did you mean"), a boolean is ``true`` or
``false`` and never a string, an integer is an integer, numbers are finite. :func:`validate` checks a
parsed document and reports every problem as one :class:`~citizensfirst.errors.SpecError` naming
the file, the key as the user wrote it (``[waves.cf2023].nest``, ``[[tables]] #2 .stat``), what is
expected and the value given:

>>> class Wave(StrictModel):
...     file: str
...     nest: bool = False
>>> validate(Wave, {"file": "a.sav", "nest": "false"}, "study.toml")
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: study.toml: nest = "false": must be true or false (a TOML boolean, not a string)
>>> validate(Wave, {"file": "a.sav", "nets": True}, "study.toml")
Traceback (most recent call last):
...
citizensfirst.errors.SpecError: study.toml: nets: unknown key 'nets'; did you mean 'nest'? Allowed: 'file', 'nest'

In a study spec the same problems read ``[waves.cf2023].nest = "false": ...`` (:func:`key_path`).
"""

from __future__ import annotations

import difflib
import json
import math
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from ..errors import CitizensFirstError, SpecError

M = TypeVar("M", bound=BaseModel)

MAX_ERRORS = 10
"""At most this many problems are listed in one error message."""

SAFE_NAME = re.compile(r"[A-Za-z0-9][-_.A-Za-z0-9]{0,63}")
"""A name that can become a file name in an output folder (no separator, no ``..``)."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class StrictModel(BaseModel):
    """Base of every TOML table: unknown keys refused, strict types, finite numbers, frozen."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False,
                              populate_by_name=False)

    EXTRA_VALUES: ClassVar[tuple[type, ...]] = ()
    """Keys beyond the fields are allowed when their value is of these types (typed by ``__pydantic_extra__``)."""
    EXTRA_NOTE: ClassVar[str] = ""
    """What such a key holds, for the message (say "a wave table")."""

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        """Refuse the first unknown key with the closest allowed names (pydantic's own error has none)."""
        if isinstance(data, Mapping):
            allowed = sorted(f.alias or name for name, f in cls.model_fields.items())
            for key, value in data.items():
                if key not in allowed and not isinstance(value, cls.EXTRA_VALUES):
                    close = difflib.get_close_matches(str(key), allowed, n=1) or [
                        a for a in allowed if len(a) >= 3 and str(key).lower().startswith(a)][:1]
                    raise PydanticCustomError(
                        "unknown_key", "unknown key {quoted}; {hint}Allowed: {allowed}{extra}",
                        {"key": str(key), "quoted": repr(str(key)),
                         "hint": f"did you mean {close[0]!r}? " if close else "",
                         "allowed": ", ".join(map(repr, allowed)),
                         "extra": f", or {cls.EXTRA_NOTE}" if cls.EXTRA_NOTE else ""})
        return data


def _listify(value: Any) -> Any:
    """A single value where a list is expected becomes a one-item list."""
    return [value] if value is not None and not isinstance(value, list) else value


@dataclass(frozen=True)
class _OneOrMany:
    """JSON Schema of a list that also accepts a single item (``psu = "a"`` or ``psu = ["a", "b"]``)."""

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: Callable[[Any], JsonSchemaValue]) -> JsonSchemaValue:
        array = handler(schema)
        return {"anyOf": [array.get("items", {}), array]}


AS_LIST = BeforeValidator(_listify)
"""Annotated metadata: a single value where a list is expected is read as a one-item list."""
ONE_OR_MANY = _OneOrMany()
"""Annotated metadata: the JSON Schema of such a field accepts one item or a list."""
NON_EMPTY = Field(min_length=1)
"""Annotated metadata: at least one item (or character)."""


@dataclass(frozen=True)
class OneOf:
    """Annotated metadata: a string that must be one of ``values`` (read from a registry), as a JSON enum.

    Attributes
    ----------
    values : tuple of str
        The allowed values.
    """

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], core_schema.CoreSchema]
                                     ) -> core_schema.CoreSchema:
        """A literal schema of the allowed values.

        Parameters
        ----------
        source : Any
            The annotated type (a str).
        handler : callable
            Pydantic's schema handler (unused: the literal replaces the str schema).

        Returns
        -------
        CoreSchema
            The literal schema.
        """
        return core_schema.literal_schema(list(self.values))


def _check_safe_name(value: str) -> str:
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        raise PydanticCustomError(
            "safe_name", "name {name} is not a safe name (it becomes a file name): use 1 to 64 letters, "
            "digits, '_', '-' or '.', starting with a letter or digit, without '..'", {"name": repr(value)})
    return value


SafeName = Annotated[str, Field(pattern="^" + SAFE_NAME.pattern + "$", json_schema_extra={"not": {"pattern": r"\.\."}}),
                     BeforeValidator(lambda v: _check_safe_name(v) if isinstance(v, str) else v)]
"""A name that becomes a file name: :data:`SAFE_NAME` and no ``..``."""

Text = Annotated[str, NON_EMPTY]
"""A non-empty string."""

Texts = Annotated[list[Text], AS_LIST, NON_EMPTY, ONE_OR_MANY]
"""One non-empty string or a non-empty list of them (read as a list)."""


def check_distinct(names: Iterable[str], what: str) -> None:
    """Refuse names that would give the same file (equal, or equal ignoring case).

    Parameters
    ----------
    names : iterable of str
        The names.
    what : str
        What they name, for the message.

    Raises
    ------
    PydanticCustomError
        Naming the two clashing names (inside a validator, it becomes part of a SpecError).
    """
    seen: dict[str, str] = {}
    for name in names:
        if name.lower() in seen:
            raise PydanticCustomError(
                "distinct", "{what} {first} and {second} would write the same files; give them distinct names",
                {"what": what, "first": repr(seen[name.lower()]), "second": repr(name)})
        seen[name.lower()] = name


def quoted_key(key: str) -> str:
    """A TOML key as written in a table header (quoted unless bare).

    Parameters
    ----------
    key : str
        The key.

    Returns
    -------
    str
        The key, or the key in double quotes.

    Examples
    --------
    >>> quoted_key("cf2023"), quoted_key("../w1")
    ('cf2023', '"../w1"')
    """
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key)


def toml_value(value: Any) -> str:
    """A short TOML rendering of a value given in a file, for messages.

    Parameters
    ----------
    value : Any
        The value.

    Returns
    -------
    str
        ``"text"``, ``true``, ``nan``, ``[1, 2]``, ``a table``, ...

    Examples
    --------
    >>> toml_value("false"), toml_value(True), toml_value(float("nan")), toml_value([1, "a"])
    ('"false"', 'true', 'nan', '[1, "a"]')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:77] + '..."'
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        text = "[" + ", ".join(toml_value(v) for v in value) + "]"
        return text if len(text) <= 80 else text[:76] + " ...]"
    return repr(value)


def key_path(doc: Any, loc: Sequence[str | int]) -> str:
    """The path of an error location as a user writes it in TOML.

    Parameters
    ----------
    doc : Any
        The parsed document (to tell tables from keys and union tags from keys).
    loc : sequence of str or int
        Pydantic's error location.

    Returns
    -------
    str
        ``[waves.cf2023].nest``, ``[[tables]] #2 .stat``, ``[study]``, or ``the top level``.

    Examples
    --------
    >>> doc = {"waves": {"w": {"psu": ["a", 1]}}, "tables": [{}, {"stat": 1}]}
    >>> key_path(doc, ("waves", "w", "psu", 1)), key_path(doc, ("tables", 1, "stat"))
    ('[waves.w].psu #2', '[[tables]] #2 .stat')
    """
    keys: list[str | int] = []  # the real steps into the document
    table_depth = 0  # how many steps lead to the deepest table
    node: Any = doc
    for i, part in enumerate(loc):
        if part == "[key]":
            break
        if isinstance(node, Mapping) and isinstance(part, str) and (part in node or i == len(loc) - 1):
            keys.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            keys.append(part)
            node = node[part] if part < len(node) else None
        else:
            continue  # a union or validator tag of pydantic, not a key
        if isinstance(node, Mapping):
            table_depth = len(keys)
    head, tail = keys[:table_depth], keys[table_depth:]
    last_index = max((i for i, k in enumerate(head) if isinstance(k, int)), default=None)
    if last_index is not None:
        header = "[[" + ".".join(quoted_key(str(k)) for k in head[:last_index]) + f"]] #{int(head[last_index]) + 1}"
        rest = [k for k in head[last_index + 1:]] + tail
        return header + (" ." + _dotted(rest) if rest else "")
    if not head:
        return _dotted(tail) if tail else "the top level"
    header = "[" + ".".join(quoted_key(str(k)) for k in head) + "]"
    return header + ("." + _dotted(tail) if tail else "")


def _dotted(keys: Sequence[str | int]) -> str:
    text = ""
    for k in keys:
        text += f" #{k + 1}" if isinstance(k, int) else ("." if text else "") + quoted_key(k)
    return text


_PROBLEMS: dict[str, str] = {
    "bool_type": "must be true or false (a TOML boolean, not a string)",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "finite_number": "must be a finite number",
    "missing": "is required",
}


_TYPE_ERRORS = ("bool_type", "int_type", "float_type", "string_type", "list_type", "dict_type", "model_type",
                "literal_error")
"""Pydantic error types that say the value has the wrong type (several join as "must be A or B")."""


def _problem(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in _PROBLEMS:
        return _PROBLEMS[kind]
    msg = str(error["msg"])
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg.replace("Input should be", "must be").replace("String should", "must").replace(
        "List should", "must").replace("Dictionary should", "must")


def _models_inside(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's type holds (through Annotated, unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_inside(arg)]


def field_description(model: type[BaseModel], loc: Sequence[str | int]) -> str:
    """The description of the field at ``loc`` (for a missing key: what to give), or "".

    Parameters
    ----------
    model : type of BaseModel
        The schema validated.
    loc : sequence of str or int
        The error location, ending with the field's name.

    Returns
    -------
    str
        The field's description, or an empty string.
    """
    models = [model]
    for part in loc[:-1]:
        inner = [m for current in models if isinstance(part, str) and part in current.model_fields
                 for m in _models_inside(current.model_fields[part].annotation)]
        models = inner or models  # a table key or an index: the same models hold the next part
    for current in models:
        field = current.model_fields.get(str(loc[-1])) if loc else None
        if field is not None and field.description:
            return field.description
    return ""


def format_errors(err: ValidationError, doc: Any, source: str, prefix: tuple[str, ...] = (),
                  model: type[BaseModel] | None = None) -> str:
    """The message of a SpecError for pydantic's errors: one line per problem, path and value first.

    Parameters
    ----------
    err : pydantic.ValidationError
        The errors.
    doc : Any
        The document validated.
    source : str
        The file, named first.
    prefix : tuple of str, optional
        Keys that lead from ``doc`` to the table validated.
    model : type of BaseModel, optional
        The schema; a missing key's message then says what the key holds.

    Returns
    -------
    str
        ``source: path = value: problem`` lines.
    """
    lines: list[str] = []
    seen: dict[str, int] = {}
    errors = [(error, key_path(doc, prefix + tuple(error["loc"]))) for error in err.errors()]
    # a value of the right type for one branch of a union (fpc = -5: a number, out of range) is
    # reported by that branch alone, not also as "must be a string"
    in_range = {path for error, path in errors if error["type"] not in _TYPE_ERRORS and error["type"] != "unknown_key"}
    for error, path in errors:
        if error["type"] in _TYPE_ERRORS and path in in_range:
            continue
        loc = prefix + tuple(error["loc"])
        ctx = error.get("ctx") or {}
        if error["type"] == "unknown_key":  # a key of the table at loc, even when it holds a table
            table, key = key_path(doc, loc), quoted_key(ctx["key"])
            path = key if table == "the top level" else table + (" ." if table[-1].isdigit() else ".") + key
            line = f"{path}: {_problem(error)}"
        elif not loc:
            line = _problem(error)
        elif error["type"] == "missing":
            hint = field_description(model, tuple(error["loc"])) if model is not None else ""
            line = f"{path}: {_problem(error)}" + (f" ({hint})" if hint else "")
        elif "[key]" in loc:
            line = f"{path}: {_problem(error)}"
        elif isinstance(error.get("input"), Mapping) and error["type"] not in _PROBLEMS:
            line = f"{path}: {_problem(error)}"
        else:
            line = f"{path} = {toml_value(error.get('input'))}: {_problem(error)}"
        if path in seen and error["type"] in _TYPE_ERRORS:
            lines[seen[path]] += " or " + _problem(error).removeprefix("must be ")
            continue
        seen[path] = len(lines)
        lines.append(f"{source}: {line}")
    more = len(lines) - MAX_ERRORS
    return "\n".join(lines[:MAX_ERRORS]) + (f"\n... and {more} more problem(s)" if more > 0 else "")


def validate(model: type[M], doc: Any, source: object, *, error: type[CitizensFirstError] | None = None,
             at: Sequence[str] = ()) -> M:
    """Validate a parsed TOML document against ``model``; every problem becomes one error.

    Parameters
    ----------
    model : type of StrictModel
        The schema.
    doc : Any
        The parsed document (a dict of TOML tables), or the table found at ``at``.
    source : object
        The file (or a short name such as ``"spec"``), named first in the message.
    error : type of CitizensFirstError, optional
        The error raised (default :class:`~citizensfirst.errors.SpecError`; a reader keeps its own,
        e.g. :class:`~citizensfirst.errors.CodebookError`).
    at : sequence of str, optional
        The keys of the table ``doc`` within its file, so messages give the full path.

    Returns
    -------
    StrictModel
        The validated model.

    Raises
    ------
    SpecError
        (or ``error``) naming the file, the key path, the value and what is expected, for each problem.
    """
    try:
        return model.model_validate(doc)
    except ValidationError as err:
        whole = doc
        for key in reversed(at):
            whole = {key: whole}
        raise (error or SpecError)(format_errors(err, whole, str(source), prefix=tuple(at), model=model)) from None
