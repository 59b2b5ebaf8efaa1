"""Weighting targets (raking margins) shipped as package data, and a TOML format for your own.

Margins are ``{column: {code: share}}`` dictionaries keyed by the column names and value codes of
the sample study (:mod:`citizensfirst.samplegen`), so they can be used on the sample waves as is.

**Canada, 2021 Census, adults 18+** (:func:`canada_2021`, :func:`canada_2021_table`), by province
or territory x one variable at a time, in ``data/targets/canada_2021_adults.csv``:

* ``province`` -> column ``prov``: SGC codes 10 NL, 11 PE, 12 NS, 13 NB, 24 QC, 35 ON, 46 MB,
  47 SK, 48 AB, 59 BC, 60 YT, 61 NT, 62 NU;
* ``age`` -> ``age_grp``: 1 18-34, 2 35-54, 3 55 and over (sums of ``age6``);
* ``age6`` -> ``age6`` (not in the sample): 1 18-24, 2 25-34, 3 35-44, 4 45-54, 5 55-64, 6 65+;
* ``gender`` -> ``gender``: 1 Men+, 2 Women+, 3 another gender (non-binary);
* ``education`` -> ``educ``: 1 high school or less, 2 college, CEGEP, trades or apprenticeship,
  3 university certificate, diploma or degree (below bachelor level included).

Sources and accuracy -- **the adult counts are approximate**. Province totals of the whole
population are the exact published counts (Statistics Canada, Table 98-10-0001-01, *Population
and dwelling counts: Canada, provinces and territories*). The adult (18+) counts by age, gender
and education were *reconstructed*, not copied cell by cell, because no copy of the published
tables was at hand: the provincial shares aged 0-14 and 65 and over published with the 2021
Census age release (The Daily, 27 April 2022), national age-group counts and gender and education
distributions as recalled from Table 98-10-0020-01 (*Age (in single years), average age and
median age and gender*) and the 2021 Census education tables (e.g. 98-10-0384-01; highest
certificate, diploma or degree, 25% sample, private households), combined by iterative
proportional fitting and rounded to multiples of 5. Expect errors up to about 1 percentage point
in a province's age or gender shares and 2-3 points in its education shares; check the numbers
against those tables (or the July 1 estimates, Table 17-10-0005-01, *Population estimates on July
1, by age and gender*) before weighting a production survey. Gender follows the 2021 Census
(Men+ / Women+, which include non-binary people); the separate "another gender" level is the
census count of non-binary people (41,355 aged 15+), about 37,000 adults, taken half from each of
Men+ and Women+. Education (asked of people in private households) is applied to all adults so
that every margin of a province has the same total and margins can be raked together.

The sample generator's province shares are the all-ages shares: ``universe="all_ages"`` returns
exactly those; the adult shares differ from them by up to about 0.4 percentage points (Alberta
younger, British Columbia older).

**Business First frame** (:func:`business_frame`) -- ILLUSTRATIVE counts, not official: the frame
of the synthetic ``bf2023`` wave, loosely shaped like Statistics Canada's *Canadian Business
Counts, with employees*; replace it with the real counts for your reference period.

**Targets TOML** (:func:`from_toml`, :func:`to_toml`), as used by the command line::

    # optional: population size; turns shares into counts (from_toml(path, shares=False))
    total = 29794195

    [margins.prov]          # one table per column: level = share or count
    10 = 0.0143
    11 = 0.0042
    # ...

    [margins.gender]
    1 = 0.488
    2 = 0.511
    3 = 0.001
    # total = 1000         # optional per-margin total (overrides the top-level one)

Integer-looking keys are read as integer codes, others as labels (quote labels with spaces:
``"High school or less" = 0.43``). A margin whose values are all <= 1 is a set of shares and must
sum to 1 within 1e-6; otherwise the values are counts. Values must be non-negative numbers and a
margin must have at least one level.

>>> import citizensfirst as cf
>>> m = cf.targets.canada_2021(("age", "gender"))
>>> sorted(m)
['age_grp', 'gender']
>>> round(sum(m["age_grp"].values()), 12)
1.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import tomli_w

from ..errors import SpecError, WeightingError
from ..fileutil import atomic_write_text, read_toml
from ..spec.base import validate
from ..spec.targets import TargetsDoc
from .controls import parse_margins
from .statcan import business_counts, from_statcan
from .targetdata import (
    AGE3_CENSUS_LABELS,
    AGE6_TO_AGE3,
    BUSINESS_LABELS,
    adults_table,
    business_table,
    provinces_table,
    resolve_geography,
    sample_labels,
)

__all__ = [
    "CANADA_2021_VARIABLES",
    "BUSINESS_VARIABLES",
    "business_counts",
    "business_frame",
    "canada_2021",
    "canada_2021_table",
    "from_statcan",
    "from_toml",
    "provinces",
    "to_toml",
]

Code = int | str
"""A level of a margin: an integer code or a label."""
Margins = dict[str, dict[Code, float]]

# variable -> (sample column, source variable in the CSV)
CANADA_2021_VARIABLES: dict[str, str] = {
    "province": "prov",
    "age": "age_grp",
    "age6": "age6",
    "gender": "gender",
    "education": "educ",
}
"""The Canada 2021 target variables and the sample-study column each one maps onto."""

BUSINESS_VARIABLES: tuple[str, ...] = ("firm_size", "industry", "region")
"""The Business First frame variables (named as in the ``bf2023`` sample wave)."""

_ALIASES = {col: var for var, col in CANADA_2021_VARIABLES.items()} | {"educ": "education"}

_SHARE_TOL = 1e-6


def provinces() -> pd.DataFrame:
    """The 13 provinces and territories: SGC code, abbreviation, names, 2021 population (all ages).

    Returns
    -------
    pandas.DataFrame
        One row per province or territory (a copy).

    Examples
    --------
    >>> provinces().loc[0, ["abbr", "name_fr"]].tolist()
    ['NL', 'Terre-Neuve-et-Labrador']
    >>> len(provinces())
    13
    """
    return provinces_table().copy()


def _resolve_variables(variables: Iterable[str] | str) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise WeightingError("no target variables requested; known: "
                             + ", ".join(CANADA_2021_VARIABLES))
    out = []
    for name in names:
        var = name if name in CANADA_2021_VARIABLES else _ALIASES.get(name)
        if var is None:
            raise WeightingError(
                f"unknown target variable {name!r} for canada_2021; known variables: "
                + ", ".join(f"{v} (column {c})" for v, c in CANADA_2021_VARIABLES.items()))
        if var not in out:
            out.append(var)
    return out


def canada_2021_table(
    variables: Iterable[str] | str = ("province", "age", "gender"),
    *,
    geography: int | str | Iterable[int | str] | None = None,
    by_province: bool = False,
    universe: Literal["adults", "all_ages"] = "adults",
) -> pd.DataFrame:
    """Canada 2021 Census targets as a tidy table.

    Columns: ``variable``, ``column`` (the sample-study column), ``code``, ``label_en``,
    ``label_fr``, ``count``, ``share`` (within the variable, and within the province when
    ``by_province=True``, which adds a ``prov`` column: province x variable cross-tabulations) and
    ``source``. ``geography=`` keeps one or more provinces (SGC codes, abbreviations or English
    names). ``universe="all_ages"`` gives the exact all-ages province counts (``province`` only).

    Parameters
    ----------
    variables : str or iterable of str, default ("province", "age", "gender")
        Target variables (or their sample column names).
    geography : int or str or iterable of (int or str) or None, optional
        Province(s) to keep: SGC codes, abbreviations or English names; None keeps all.
    by_province : bool, default False
        Cross each variable with the province (adds a ``prov`` column).
    universe : {"adults", "all_ages"}, default "adults"
        Adults (18+), or all ages (``province`` only).

    Returns
    -------
    pandas.DataFrame
        The tidy targets table.

    Raises
    ------
    WeightingError
        When a variable, province or universe is unknown.

    Examples
    --------
    >>> t = canada_2021_table("age", geography="QC")
    >>> t[["code", "label_en"]].values.tolist()
    [[1, '18 to 34 years'], [2, '35 to 54 years'], [3, '55 years and over']]
    >>> round(float(t["share"].sum()), 9)
    1.0
    """
    names = _resolve_variables(variables)
    geo = resolve_geography(geography)
    prov = provinces_table().set_index("code").loc[geo]
    if universe == "all_ages":
        if names != ["province"]:
            raise WeightingError("universe='all_ages' has only the 'province' variable (total "
                                 f"population counts); asked for {', '.join(names)}")
        adults = None
    elif universe != "adults":
        raise WeightingError(f"universe must be 'adults' or 'all_ages', not {universe!r}")
    else:
        adults = adults_table()
        adults = adults[adults["prov"].isin(geo)]
    pieces = []
    for var in names:
        if var == "province":
            if adults is None:
                counts = prov["population_all_ages"]
                src = prov["source"].iloc[0]
            else:
                counts = adults[adults["variable"] == "age6"].groupby("prov")["count"].sum().loc[geo]
                src = ("APPROXIMATE adult (18+) counts: sums of the age rows of canada_2021_adults.csv "
                       "(Statistics Canada 2021 Census, Tables 98-10-0001-01 and 98-10-0020-01)")
            part = pd.DataFrame({"prov": geo, "code": geo, "label_en": prov["name_en"].to_numpy(),
                                 "label_fr": prov["name_fr"].to_numpy(),
                                 "count": counts.to_numpy(), "source": src})
        else:
            assert adults is not None
            raw = var if var != "age" else "age6"
            part = adults[adults["variable"] == raw].drop(columns="variable")
            if var == "age":
                part = part.assign(code=part["code"].map(AGE6_TO_AGE3))
                part = part.groupby(["prov", "code"], as_index=False).agg(
                    count=("count", "sum"), source=("source", "first"))
                part["label_en"] = part["code"].map(lambda c: AGE3_CENSUS_LABELS[c][0])
                part["label_fr"] = part["code"].map(lambda c: AGE3_CENSUS_LABELS[c][1])
        part = part.assign(variable=var, column=CANADA_2021_VARIABLES[var])
        if not by_province:
            part = part.groupby(["variable", "column", "code"], as_index=False, sort=False).agg(
                label_en=("label_en", "first"), label_fr=("label_fr", "first"),
                count=("count", "sum"), source=("source", "first"))
            part["share"] = part["count"] / part["count"].sum()
        else:
            part["share"] = part["count"] / part.groupby("prov")["count"].transform("sum")
        pieces.append(part)
    cols = (["prov"] if by_province else []) + ["variable", "column", "code", "label_en",
                                                "label_fr", "count", "share", "source"]
    out = pd.concat(pieces, ignore_index=True)[cols]
    return out.astype({"code": "int64", "count": "int64"})


def _margins_from_table(table: pd.DataFrame, shares: bool, codes: str,
                        columns: Mapping[str, str] | None) -> Margins:
    if codes not in ("sample", "label", "label_fr"):
        raise WeightingError(f"codes must be 'sample', 'label' or 'label_fr', not {codes!r}")
    rename = dict(columns or {})
    out: Margins = {}
    for (var, col), part in table.groupby(["variable", "column"], sort=False):
        name = rename.get(str(var), rename.get(str(col), str(col)))
        values = part["share"] if shares else part["count"]
        numbers = [int(k) for k in part["code"]]
        keys: list[Code] = list(numbers)
        if codes != "sample":
            french = codes == "label_fr"
            sample = sample_labels(str(col), french)
            census = part["label_fr" if french else "label_en"].tolist()
            keys = [sample[k] if sample else lab for k, lab in zip(numbers, census, strict=True)]
        out[name] = {k: float(v) for k, v in zip(keys, values, strict=True)}
    return out


def canada_2021(
    variables: Iterable[str] | str = ("province", "age", "gender"),
    *,
    geography: int | str | Iterable[int | str] | None = None,
    shares: bool = True,
    codes: Literal["sample", "label", "label_fr"] = "sample",
    labels: bool = False,
    columns: Mapping[str, str] | None = None,
    universe: Literal["adults", "all_ages"] = "adults",
) -> Margins:
    """Raking margins for Canadian adults (2021 Census): ``{column: {code: share}}``.

    ``variables`` are ``province``, ``age``, ``age6``, ``gender`` and ``education`` (or their
    sample column names ``prov``, ``age_grp``, ``age6``, ``gender``, ``educ``); margins are keyed
    by the sample-study column names (rename with ``columns={"province": "my_col"}``) and codes.
    ``labels=True`` (or ``codes="label"`` / ``"label_fr"``) keys the levels by the sample
    codebook's English (French) value labels instead (census labels for ``age6``).
    ``shares=False`` gives counts. ``geography=`` restricts to one or more provinces; the margins
    are then within those provinces. The counts are APPROXIMATE (see the module docstring).

    Parameters
    ----------
    variables : str or iterable of str, default ("province", "age", "gender")
        Target variables (or their sample column names).
    geography : int or str or iterable of (int or str) or None, optional
        Province(s) to keep: SGC codes, abbreviations or English names; None keeps all.
    shares : bool, default True
        Shares summing to 1 per margin; False gives counts.
    codes : {"sample", "label", "label_fr"}, default "sample"
        Key the levels by sample codes or by English or French value labels.
    labels : bool, default False
        Same as ``codes="label"``.
    columns : mapping of str to str or None, optional
        Renames of the margin columns, e.g. ``{"province": "my_col"}``.
    universe : {"adults", "all_ages"}, default "adults"
        Adults (18+), or all ages (``province`` only).

    Returns
    -------
    Margins
        ``{column: {level: share or count}}``.

    Raises
    ------
    WeightingError
        When a variable, province or universe is unknown.

    Examples
    --------
    >>> m = canada_2021(("province", "education"), geography=["NS", 13])
    >>> sorted(m["prov"]), sorted(m["educ"])
    ([12, 13], [1, 2, 3])
    >>> round(sum(m["prov"].values()), 12)
    1.0
    >>> list(canada_2021("gender", labels=True)["gender"])
    ['Man', 'Woman', 'Another gender']
    """
    table = canada_2021_table(variables, geography=geography, universe=universe)
    return _margins_from_table(table, shares, "label" if labels else codes, columns)


def business_frame(
    variables: Iterable[str] | str = BUSINESS_VARIABLES,
    *,
    shares: bool = True,
    labels: bool = False,
) -> Margins:
    """ILLUSTRATIVE Business First frame margins (employer businesses), keyed like ``bf2023``.

    ``firm_size`` 1 1-4, 2 5-19, 3 20-99, 4 100 or more employees; ``industry`` 1-6 and
    ``region`` 1 Atlantic, 2 Quebec, 3 Ontario, 4 Prairies, 5 British Columbia, 6 North (see the
    ``bf2023`` codebook). These are NOT official counts: they are the synthetic frame of the
    sample study, loosely shaped like Statistics Canada's Canadian Business Counts.

    Parameters
    ----------
    variables : str or iterable of str, default BUSINESS_VARIABLES
        Frame variables: ``firm_size``, ``industry``, ``region``.
    shares : bool, default True
        Shares summing to 1 per margin; False gives counts.
    labels : bool, default False
        Key the levels by their English labels instead of codes.

    Returns
    -------
    Margins
        ``{variable: {level: share or count}}``.

    Raises
    ------
    WeightingError
        When no variable or an unknown variable is requested.

    Examples
    --------
    >>> m = business_frame(("firm_size",))
    >>> sorted(m["firm_size"]), round(sum(m["firm_size"].values()), 12)
    ([1, 2, 3, 4], 1.0)
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names:
        raise WeightingError("no business frame variables requested; known: "
                             + ", ".join(BUSINESS_VARIABLES))
    frame = business_table()
    out: Margins = {}
    for name in names:
        if name not in BUSINESS_VARIABLES:
            raise WeightingError(f"unknown business frame variable {name!r}; known variables: "
                                 + ", ".join(BUSINESS_VARIABLES))
        counts = frame.groupby(name)["count"].sum().sort_index()
        values = counts / counts.sum() if shares else counts.astype(float)
        out[name] = {(BUSINESS_LABELS[name][int(k) - 1] if labels else int(k)): float(v)
                     for k, v in zip(values.index.to_numpy(int), values.to_numpy(float), strict=True)}
    return out


# ---------------------------------------------------------------------------------------------
# Targets TOML
# ---------------------------------------------------------------------------------------------


def _parse_key(key: str) -> Code | float:
    """A TOML key as a level: integer-looking keys become int codes, number-looking ones floats."""
    text = key.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return key


def _format_key(key: Any) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def from_toml(path: str | Path, *, shares: bool = True) -> Margins:
    """Read raking margins from a targets TOML file (format in the module docstring).

    Returns ``{column: {code: share}}`` (each margin normalised to sum to 1), or counts with
    ``shares=False`` (shares are multiplied by the margin's ``total``, the top-level one or the
    total of the count margins). The margins are validated by the same function as
    :func:`citizensfirst.weighting.rake` (:func:`~citizensfirst.weighting.controls.parse_margins`),
    so a file is refused exactly when its margins would be refused by ``rake``: count margins
    (or margin totals) that disagree raise a :class:`~citizensfirst.errors.WeightingError` naming
    both margins and both totals. Errors name the file, the margin and the level at fault.

    Parameters
    ----------
    path : str or Path
        The targets TOML file.
    shares : bool, default True
        Return shares; False returns counts.

    Returns
    -------
    Margins
        ``{column: {level: share or count}}``.

    Raises
    ------
    SpecError
        When the file does not follow the schema (:class:`~citizensfirst.spec.targets.TargetsDoc`:
        unknown keys, no margins, a margin not a table, a value not a non-negative number), naming
        the key path, e.g. ``[margins.prov].24 = "lots"``.
    WeightingError
        When a margin is empty, shares do not sum to 1, totals disagree, or counts are asked for
        shares without a total.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.toml"
    >>> _ = p.write_text("total = 200\\n[margins.gender]\\n1 = 0.4\\n2 = 0.6\\n")
    >>> from_toml(p)
    {'gender': {1: 0.4, 2: 0.6}}
    >>> from_toml(p, shares=False)
    {'gender': {1: 80.0, 2: 120.0}}
    """
    path = Path(path)
    doc = validate(TargetsDoc, read_toml(path, "targets file", SpecError), path)
    total = doc.total
    given: Margins = {}  # as in the file, but shares with a total turned into counts
    share_values: Margins = {}  # the margins given as shares, as in the file
    untotalled: list[str] = []  # share margins without a total of their own or a top-level one
    for name, table in doc.margins.items():
        where = f"{path}: margin '{name}'"
        m_total = table.total
        if not table.levels:
            raise WeightingError(f"{where} is empty; give at least one level = value line")
        values: dict[Any, float] = {_parse_key(key): value for key, value in table.levels.items()}
        s = sum(values.values())
        m_total = total if m_total is None else m_total
        if all(v <= 1 for v in values.values()):
            if abs(s - 1) > _SHARE_TOL:
                raise WeightingError(
                    f"{where}: shares ({', '.join(map(str, values))}) sum to {s:.9g}, not 1 "
                    f"(tolerance {_SHARE_TOL:g}); fix the shares or give counts")
            share_values[str(name)] = values
            if m_total is None:
                untotalled.append(str(name))
            else:
                values = {k: v * m_total for k, v in values.items()}
        elif m_total is not None and abs(s - m_total) > _SHARE_TOL * max(1.0, m_total):
            raise WeightingError(f"{where}: counts sum to {s:g} but total = {m_total:g}")
        given[str(name)] = values
    try:  # rake's own validation: count margins must describe the same population
        counts, _ = parse_margins(given, None, 1.0)
    except WeightingError as err:
        raise WeightingError(f"{path}: {err}") from None
    if shares:
        return {name: share_values.get(name) or {k: v / sum(m.values()) for k, v in m.items()}
                for name, m in counts.items()}
    if len(untotalled) == len(given):  # no count margin and no total: the population is unknown
        raise WeightingError(f"{path}: margin '{untotalled[0]}' gives shares but no total; add "
                             "total = N to get counts")
    return counts


def to_toml(margins: Mapping[str, Mapping[Code, float]], path: str | Path, *,
            total: float | None = None) -> Path:
    """Write raking margins to a targets TOML file that :func:`from_toml` reads back.

    Parameters
    ----------
    margins : mapping of str to mapping
        ``{column: {level: share or count}}``.
    path : str or Path
        The file to write (atomically).
    total : float or None, optional
        A top-level ``total`` to write.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    WeightingError
        When there are no margins or a margin is empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = to_toml({"prov": {24: 0.4, 35: 0.6}}, pathlib.Path(tempfile.mkdtemp()) / "t.toml")
    >>> print(p.read_text().strip())
    [margins.prov]
    24 = 0.4
    35 = 0.6
    >>> from_toml(p)
    {'prov': {24: 0.4, 35: 0.6}}
    """
    path = Path(path)
    if not margins:
        raise WeightingError(f"{path}: no margins to write")
    doc: dict[str, Any] = {}
    if total is not None:
        doc["total"] = float(total) if not float(total).is_integer() else int(total)
    body: dict[str, dict[str, float]] = {}
    for name, levels in margins.items():
        if not levels:
            raise WeightingError(f"{path}: margin '{name}' is empty")
        body[str(name)] = {_format_key(k): float(v) for k, v in levels.items()}
    doc["margins"] = body
    atomic_write_text(path, tomli_w.dumps(doc))
    return path
