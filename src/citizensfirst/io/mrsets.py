"""Multiple-response sets: check-all-that-apply questions (channels used, reasons for contact).

A :class:`MultipleResponseSet` groups the variables of one question. A *dichotomy* set has one
variable per option, and an option is chosen when its variable holds the ``counted_value``
(typically 1 = "selected"); the option's label is its variable's label. A *category* set has
several variables holding codes ("first mention", "second mention", ...), and an option is
chosen when any of them holds its code; the options are the codes, labelled by the value labels.

SPSS files carry such sets (pyreadstat reports them as ``meta.mr_sets``); for other formats they
are declared in the codebook TOML, one table per set::

    [mr_sets.channels]
    label = "Channels used"
    label_fr = "Modes de prestation utilisés"
    variables = ["used_web", "used_phone", "used_office"]
    counted_value = 1            # a dichotomy set; leave it out for a category set
    # type = "dichotomy"         # optional: "dichotomy" or "category"

>>> s = MultipleResponseSet("channels", ("used_web", "used_phone"), counted_value=1)
>>> s.kind, s.to_pyreadstat()["type"]
('dichotomy', 'D')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from ..errors import CodebookError
from .codes import Code, normalize_code
from .columns import column_kind

MrKind = Literal["dichotomy", "category"]
MR_KINDS: tuple[str, ...] = ("dichotomy", "category")
_TOML_KEYS = ("label", "label_fr", "type", "variables", "counted_value")


@dataclass(frozen=True)
class MultipleResponseSet:
    """One multiple-response set: its name, wording (EN/FR), kind, counted value and variables.

    Attributes
    ----------
    name : str
        The set's name.
    variables : tuple of str
        Its variables, in order (at least two, each once).
    kind : {"dichotomy", "category"}, optional
        Default: ``"dichotomy"`` when ``counted_value`` is given, else ``"category"``.
    counted_value : int, float, str or None, optional
        The value that marks an option chosen (dichotomy sets only).
    label : str or None, optional
        The question wording.
    label_fr : str or None, optional
        The question wording in French.

    Raises
    ------
    CodebookError
        If the kind is unknown, a variable repeats, or the counted value does not fit the kind.
    """

    name: str
    variables: tuple[str, ...]
    kind: MrKind | None = None
    counted_value: Code | None = None
    label: str | None = None
    label_fr: str | None = None

    def __post_init__(self) -> None:
        variables = (self.variables,) if isinstance(self.variables, str) else tuple(self.variables)
        object.__setattr__(self, "variables", tuple(str(v) for v in variables))
        where = f"multiple-response set {self.name!r}"
        kind = self.kind or ("dichotomy" if self.counted_value is not None else "category")
        if kind not in MR_KINDS:
            raise CodebookError(f"{where}: type {kind!r} is not one of {MR_KINDS}")
        object.__setattr__(self, "kind", kind)
        if len(self.variables) < 2:
            raise CodebookError(f"{where} needs at least two variables, got {list(self.variables)}")
        repeated = sorted({v for v in self.variables if self.variables.count(v) > 1})
        if repeated:
            raise CodebookError(f"{where} lists variable(s) {repeated} more than once")
        if kind == "dichotomy" and self.counted_value is None:
            raise CodebookError(f"{where} is a dichotomy set and needs counted_value (e.g. 1 = selected)")
        if kind == "category" and self.counted_value is not None:
            raise CodebookError(f"{where} is a category set; counted_value is for dichotomy sets only")
        if self.counted_value is not None:
            object.__setattr__(self, "counted_value", normalize_code(self.counted_value))

    def label_in(self, language: str = "en") -> str:
        """The question wording in ``language`` ("en" or "fr"), falling back to English, then the name.

        Parameters
        ----------
        language : str, default "en"
            "en" or "fr".

        Returns
        -------
        str
            The wording.
        """
        if language == "fr" and self.label_fr:
            return self.label_fr
        return self.label or self.name

    def to_dict(self) -> dict[str, Any]:
        """The set's ``[mr_sets.NAME]`` table of the codebook TOML (empty fields left out).

        Returns
        -------
        dict
            The table.
        """
        out: dict[str, Any] = {k: getattr(self, k) for k in ("label", "label_fr") if getattr(self, k)}
        out["type"] = self.kind
        out["variables"] = list(self.variables)
        if self.counted_value is not None:
            out["counted_value"] = self.counted_value
        return out

    @classmethod
    def from_dict(cls, name: str, raw: Any, *, source: str = "codebook") -> MultipleResponseSet:
        """Build a set from its ``[mr_sets.NAME]`` table of the codebook TOML.

        Parameters
        ----------
        name : str
            The set's name.
        raw : Any
            The table (a mapping with ``variables`` and optional ``label``, ``label_fr``,
            ``type``, ``counted_value``).
        source : str, default "codebook"
            Where the table came from, for messages.

        Returns
        -------
        MultipleResponseSet
            The set.

        Raises
        ------
        CodebookError
            If the table is not a table, has unknown keys or no ``variables`` list.
        """
        where = f"{source}: [mr_sets.{name}]"
        if not isinstance(raw, Mapping):
            raise CodebookError(f"{where} must be a table with variables = [...]")
        unknown = sorted(set(raw) - set(_TOML_KEYS))
        if unknown:
            raise CodebookError(f"{where} has unknown key(s) {unknown}; allowed: {sorted(_TOML_KEYS)}")
        variables = raw.get("variables")
        if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
            raise CodebookError(f"{where} needs variables = [\"name\", ...], got {variables!r}")
        try:
            return cls(name, tuple(variables), raw.get("type"), raw.get("counted_value"),
                       raw.get("label"), raw.get("label_fr"))
        except CodebookError as err:
            raise CodebookError(f"{source}: {err}") from None

    def to_pyreadstat(self) -> dict[str, Any]:
        """The set as pyreadstat reports SPSS sets (``meta.mr_sets[name]``).

        Returns
        -------
        dict
            ``type`` ("D" or "C"), ``is_dichotomy``, ``counted_value``, ``label``, ``variable_list``.
        """
        return {"type": "D" if self.kind == "dichotomy" else "C", "is_dichotomy": self.kind == "dichotomy",
                "counted_value": self.counted_value, "label": self.label or "",
                "variable_list": list(self.variables)}

    @classmethod
    def from_pyreadstat(cls, name: str, spec: Mapping[str, Any]) -> MultipleResponseSet:
        """Build a set from pyreadstat's description of an SPSS set (``meta.mr_sets[name]``).

        Parameters
        ----------
        name : str
            The set's name.
        spec : mapping
            ``type``, ``counted_value``, ``label`` and ``variable_list``.

        Returns
        -------
        MultipleResponseSet
            The set.

        Examples
        --------
        >>> MultipleResponseSet.from_pyreadstat("m", {"type": "C", "variable_list": ["a", "b"]}).kind
        'category'
        """
        dichotomy = spec.get("type") == "D" or bool(spec.get("is_dichotomy"))
        return cls(name, tuple(spec.get("variable_list", ())), "dichotomy" if dichotomy else "category",
                   spec.get("counted_value") if dichotomy else None, spec.get("label") or None)


def as_mr_sets(sets: Mapping[str, Any] | Iterable[MultipleResponseSet] | None) -> dict[str, MultipleResponseSet]:
    """Sets by name, from records or from pyreadstat's dicts (``meta.mr_sets``).

    Parameters
    ----------
    sets : mapping or iterable of MultipleResponseSet or None
        The sets: records, or a mapping of names to records or to pyreadstat dicts.

    Returns
    -------
    dict
        Name to :class:`MultipleResponseSet`.

    Raises
    ------
    CodebookError
        If a set is neither a record nor a mapping, is filed under another name, or a name is used twice.
    """
    if sets is None:
        return {}
    items = sets.items() if isinstance(sets, Mapping) else ((s.name, s) for s in sets)
    out: dict[str, MultipleResponseSet] = {}
    for name, spec in items:
        if name in out:
            raise CodebookError(f"multiple-response set {name!r} is declared twice")
        if isinstance(spec, MultipleResponseSet):
            if spec.name != name:
                raise CodebookError(f"multiple-response set {spec.name!r} is filed under the name {name!r}")
            out[name] = spec
        elif isinstance(spec, Mapping):
            out[name] = MultipleResponseSet.from_pyreadstat(name, spec)
        else:
            raise CodebookError(f"multiple-response set {name!r}: expected a MultipleResponseSet, "
                                f"got {type(spec).__name__}")
    return out


def check_mr_sets(sets: Mapping[str, MultipleResponseSet], data: pd.DataFrame, *,
                  source: str = "data", columns: Iterable[str] | None = None) -> None:
    """Raise :class:`CodebookError` when a set names a variable that is not a column, or mixes types.

    Parameters
    ----------
    sets : mapping
        Name to :class:`MultipleResponseSet`.
    data : pandas.DataFrame
        The data the sets describe.
    source : str, default "data"
        Where the data came from, for messages.
    columns : iterable of str or None, optional
        The column names a set may name (default: ``data.columns``); types are checked on the
        columns ``data`` has.

    Raises
    ------
    CodebookError
        If a variable of a set is not a column, the variables of a set are not all numeric or all
        text, or a dichotomy set's counted value is text on numeric columns (or a number on text).

    Examples
    --------
    >>> s = MultipleResponseSet("ch", ("web", "fax"), counted_value=1)
    >>> check_mr_sets({"ch": s}, pd.DataFrame({"web": [1.0]}), source="cf.csv")
    Traceback (most recent call last):
    ...
    citizensfirst.errors.CodebookError: cf.csv: multiple-response set 'ch' names variable(s) ['fax'], which are not columns of the data; declare existing columns in its variables list
    """
    names = set(data.columns if columns is None else columns)
    for name, mr in sets.items():
        absent = [v for v in mr.variables if v not in names]
        if absent:
            raise CodebookError(f"{source}: multiple-response set {name!r} names variable(s) {absent}, "
                                f"which are not columns of the data; declare existing columns in its "
                                f"variables list")
        kinds = {v: column_kind(data[v]) for v in mr.variables if v in data.columns}
        if not kinds:
            continue
        if len(set(kinds.values())) > 1:
            raise CodebookError(f"{source}: multiple-response set {name!r} mixes variable types {kinds}; "
                                f"the variables of one set must all be numeric or all text")
        kind = next(iter(kinds.values()))
        counted = mr.counted_value
        if counted is not None and (isinstance(counted, str) != (kind == "string")):
            raise CodebookError(f"{source}: multiple-response set {name!r} counts {counted!r}, but its "
                                f"variables are {kind}; give a counted_value of the same type")
