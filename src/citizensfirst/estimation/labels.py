"""The EN/FR labels an :class:`~citizensfirst.estimation.result.Estimate` carries.

An estimate is computed on codes (``prov`` 35, ``level`` 1.0); the codebook of the design it came
from gives those codes their value labels and each variable its wording, in English and French.
:meth:`ResultLabels.from_codebook` copies just the labels an estimate needs when it is made, so
they travel with the result instead of being looked up later.

``Estimate.to_frame(lang)`` then shows labels in every column that holds codes (each ``by``
column, and ``level`` of proportions and counts) and keeps the codes next to them in a column
named ``<column>_code`` (``prov_code``, ``level_code``); ``variable_label`` holds the wording.
Codes without a label are kept, integer-valued floats shown as integers (``1`` not ``1.0``).

>>> labels = ResultLabels(values={"g": {"en": {1: "Yes"}, "fr": {1: "Oui"}}})
>>> labels.label_values("g", pd.Series([1.0, 2.0]), "fr").tolist()
['Oui', 2]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..i18n import LANGUAGES

#: suffix of the column that keeps the codes of a labelled column (``prov_code``, ``level_code``)
CODE_SUFFIX = "_code"

#: the statistics' names in each language (axis titles); other names are shown as they are
STATISTIC_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "mean": {"en": "Mean", "fr": "Moyenne"},
    "total": {"en": "Total", "fr": "Total"},
    "proportion": {"en": "Proportion", "fr": "Proportion"},
    "count": {"en": "Estimated count", "fr": "Effectif estimé"},
    "ratio": {"en": "Ratio", "fr": "Ratio"},
    "variance": {"en": "Variance", "fr": "Variance"},
    "quantile": {"en": "Quantile", "fr": "Quantile"},
    "service quality score": {"en": "Service quality score (0-100)",
                              "fr": "Score de qualité du service (0-100)"},
})


def check_lang(lang: str) -> str:
    """``lang`` if it is one of :data:`~citizensfirst.i18n.LANGUAGES`, else a DataError.

    Parameters
    ----------
    lang : str
        "en" or "fr".

    Returns
    -------
    str
        ``lang``.

    Raises
    ------
    DataError
        If the language is not supported.
    """
    if lang not in LANGUAGES:
        raise DataError(f"lang must be one of {LANGUAGES} (labels in English or French), got {lang!r}")
    return lang


#: a top or bottom box statistic (``"top2 box"``), named in words by :func:`statistic_name`
BOX = re.compile(r"(top|bottom)(\d+) box")
BOX_NAMES = MappingProxyType({
    ("top", "en"): "Share in the top {k} scale points", ("top", "fr"): "Part des {k} points supérieurs de l'échelle",
    ("bottom", "en"): "Share in the bottom {k} scale points",
    ("bottom", "fr"): "Part des {k} points inférieurs de l'échelle",
})


def statistic_name(statistic: str, lang: str) -> str:
    """The statistic's name in ``lang`` (``"mean"`` -> ``"Moyenne"``); unknown names unchanged.

    Parameters
    ----------
    statistic : str
        The estimate's statistic.
    lang : str
        "en" or "fr".

    Returns
    -------
    str
        The name to show.

    Examples
    --------
    >>> statistic_name("mean", "fr"), statistic_name("top2 box", "fr"), statistic_name("odd", "fr")
    ('Moyenne', "Part des 2 points supérieurs de l'échelle", 'odd')
    """
    box = BOX.fullmatch(statistic)
    if box is not None:
        return BOX_NAMES[box.group(1), check_lang(lang)].format(k=box.group(2))
    return STATISTIC_NAMES.get(statistic, {}).get(check_lang(lang), statistic)


def display_code(value: Any) -> Any:
    """A code as shown: integer-valued floats as ints (``1.0`` -> ``1``), anything else unchanged.

    Parameters
    ----------
    value : Any
        A code.

    Returns
    -------
    Any
        The code to show.

    Examples
    --------
    >>> display_code(35.0), display_code(2.5), display_code("ON")
    (35, 2.5, 'ON')
    """
    if isinstance(value, float | np.floating) and np.isfinite(value) and float(value).is_integer():
        return int(value)
    return value


@dataclass(frozen=True)
class ResultLabels:
    """Variable wording and value labels, per language, for the variables of one estimate.

    Attributes
    ----------
    variables : mapping
        Variable name to ``{language: wording}``.
    values : mapping
        Variable name to ``{language: {code: label}}`` (the ``by`` variables, and the analysed
        variables when ``coded_levels``).
    coded_levels : bool, default False
        True when the ``level`` column holds codes of the row's variable (proportions, counts),
        not a probability or a box name.
    """

    variables: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Mapping[Any, str]]] = field(default_factory=dict)
    coded_levels: bool = False

    @classmethod
    def from_codebook(cls, codebook: Any, names: Iterable[str], *, coded_levels: bool = False) -> ResultLabels:
        """The labels of ``names`` in ``codebook`` (None or names it does not list: none).

        Parameters
        ----------
        codebook : Codebook or None
            The design's codebook.
        names : iterable of str
            The variables of the estimate (by variables and analysed variables).
        coded_levels : bool, default False
            Whether ``level`` holds codes of the analysed variables.

        Returns
        -------
        ResultLabels
            The labels, copied.
        """
        if codebook is None:
            return cls(coded_levels=coded_levels)
        listed = [name for name in dict.fromkeys(names) if name in codebook]
        variables = {name: {lang: codebook[name].label_in(lang) for lang in LANGUAGES} for name in listed}
        values = {name: {lang: dict(codebook[name].value_labels_in(lang)) for lang in LANGUAGES}
                  for name in listed if codebook[name].value_labels}
        return cls(variables, values, coded_levels)

    def variable_label(self, name: str, lang: str = "en") -> str:
        """The wording of ``name`` in ``lang`` (the name when the codebook gives none).

        Parameters
        ----------
        name : str
            The variable.
        lang : str, default "en"
            "en" or "fr".

        Returns
        -------
        str
            The wording.
        """
        return self.variables.get(name, {}).get(check_lang(lang), name)

    def label_values(self, name: str, codes: pd.Series, lang: str = "en") -> pd.Series:
        """The value labels of ``codes`` of variable ``name``; unlabelled codes via :func:`display_code`.

        Parameters
        ----------
        name : str
            The variable the codes belong to.
        codes : pandas.Series
            The codes (one per result row).
        lang : str, default "en"
            "en" or "fr".

        Returns
        -------
        pandas.Series
            Labels, indexed like ``codes``.
        """
        mapping = self.values.get(name, {}).get(check_lang(lang), {})
        uniques = pd.Index(codes.unique())
        shown = np.empty(len(uniques), dtype=object)
        shown[:] = [mapping.get(code, display_code(code)) for code in uniques]
        out = pd.Series(shown[uniques.get_indexer(codes)], index=codes.index, dtype=object, name=codes.name)
        whole = all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in shown)
        return out.astype("int64") if whole else out

    def label_levels(self, variables: pd.Series, levels: pd.Series, lang: str = "en") -> pd.Series:
        """The ``level`` column shown: labels of each row's variable when levels are codes.

        Parameters
        ----------
        variables : pandas.Series
            The ``variable`` column.
        levels : pandas.Series
            The ``level`` column.
        lang : str, default "en"
            "en" or "fr".

        Returns
        -------
        pandas.Series
            The levels to show (unchanged when they are not codes).
        """
        if not self.coded_levels:
            return levels
        parts = [self.label_values(str(name), levels[variables == name], lang) for name in variables.unique()]
        return pd.concat(parts).reindex(levels.index) if parts else levels


def labelled_frame(table: pd.DataFrame, by: Iterable[str], labels: ResultLabels, lang: str) -> pd.DataFrame:
    """``table`` with labels in its coded columns, the codes in ``<column>_code`` beside them.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate's table (codes).
    by : iterable of str
        Its by columns.
    labels : ResultLabels
        The estimate's labels.
    lang : str
        "en" or "fr".

    Returns
    -------
    pandas.DataFrame
        A new frame: each by column and (for coded levels) ``level`` labelled, followed by its
        code column; ``variable_label`` after ``variable``.

    Examples
    --------
    >>> t = pd.DataFrame({"g": [1.0, 2.0], "variable": "y", "estimate": [0.5, 0.7]})
    >>> labelled_frame(t, ["g"], ResultLabels(values={"g": {"en": {1: "Yes"}}}), "en").columns.tolist()
    ['g', 'g_code', 'variable', 'variable_label', 'estimate']
    """
    out = table.copy()
    coded = [c for c in by if c in out.columns]
    if labels.coded_levels and "level" in out.columns:
        coded.append("level")
    for column in coded:
        codes = out[column]
        shown = (labels.label_levels(out["variable"], codes, lang) if column == "level"
                 else labels.label_values(column, codes, lang))
        out[column] = shown
        out.insert(list(out.columns).index(column) + 1, column + CODE_SUFFIX, codes)
    if "variable" in out.columns:
        wording = {v: labels.variable_label(str(v), lang) for v in out["variable"].unique()}
        out.insert(list(out.columns).index("variable") + 1, "variable_label", out["variable"].map(wording))
    return out


def readable_rows(table: pd.DataFrame, by: Iterable[str], labels: ResultLabels, lang: str) -> list[str]:
    """One short label per row for a chart axis: the parts that differ between rows.

    By values, then the variable's wording (when rows have several variables), then the level,
    joined by " · "; when nothing differs (one row), the variable's wording.

    Parameters
    ----------
    table : pandas.DataFrame
        An estimate's table (codes).
    by : iterable of str
        Its by columns.
    labels : ResultLabels
        The estimate's labels.
    lang : str
        "en" or "fr".

    Returns
    -------
    list of str
        One label per row.
    """
    shown = labelled_frame(table, by, labels, lang)
    parts = [c for c in [*by, "variable_label", "level"]
             if c in shown.columns and shown[c].nunique(dropna=False) > 1]
    if not parts:
        parts = ["variable_label"]
    return shown[parts].astype(str).agg(" · ".join, axis=1).tolist()
