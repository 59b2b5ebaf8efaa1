"""The target data shipped with the package: category labels and the cached CSV tables.

Reads ``data/targets/*.csv`` (provinces, Canada 2021 adults, the Business First frame) once, and
holds the English and French labels of the target categories, which the sample study's codebooks
share. :mod:`citizensfirst.weighting.targets` builds margins from these tables.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from numbers import Integral
from typing import Any

import pandas as pd

from ..errors import WeightingError

# Labels of the target categories, codes 1, 2, ... in order (EN, FR); the sample study's
# codebooks use the same labels.
AGE_LABELS = ("18-34", "35-54", "55 and over")
AGE_LABELS_FR = ("18 à 34 ans", "35 à 54 ans", "55 ans et plus")
GENDER_LABELS = ("Man", "Woman", "Another gender")
GENDER_LABELS_FR = ("Homme", "Femme", "Autre genre")
EDUC_LABELS = ("High school or less", "College, CEGEP or trades", "University degree")
EDUC_LABELS_FR = ("Études secondaires ou moins", "Collège, cégep ou école de métiers",
                  "Diplôme universitaire")
SIZE_LABELS = ("1-4 employees", "5-19 employees", "20-99 employees", "100 or more employees")
SIZE_LABELS_FR = ("1 à 4 employés", "5 à 19 employés", "20 à 99 employés", "100 employés ou plus")
REGION_LABELS = ("Atlantic", "Quebec", "Ontario", "Prairies", "British Columbia", "North")
REGION_LABELS_FR = ("Atlantique", "Québec", "Ontario", "Prairies", "Colombie-Britannique", "Nord")
INDUSTRY_LABELS = (
    "Goods-producing (agriculture, resources, utilities, construction)",
    "Manufacturing",
    "Wholesale and retail trade",
    "Professional, scientific, technical and business services",
    "Accommodation, food and personal services",
    "Other services (transportation, finance, health, other)",
)
INDUSTRY_LABELS_FR = (
    "Production de biens (agriculture, ressources, services publics, construction)",
    "Fabrication",
    "Commerce de gros et de détail",
    "Services professionnels, scientifiques, techniques et aux entreprises",
    "Hébergement, restauration et services personnels",
    "Autres services (transport, finance, santé, autres)",
)

BUSINESS_LABELS = {"firm_size": SIZE_LABELS, "industry": INDUSTRY_LABELS, "region": REGION_LABELS}
"""The labels of each Business First frame variable's codes 1, 2, ... (English)."""

AGE6_TO_AGE3 = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3, 6: 3}  # age6 code -> age_grp code
AGE3_CENSUS_LABELS = {1: ("18 to 34 years", "18 à 34 ans"), 2: ("35 to 54 years", "35 à 54 ans"),
                      3: ("55 years and over", "55 ans et plus")}


def data_path(name: str) -> Any:
    """A shipped target file in the package's ``data/targets`` folder.

    Parameters
    ----------
    name : str
        The file name.

    Returns
    -------
    importlib.resources.abc.Traversable
        The file, readable with ``.open()``.
    """
    return resources.files("citizensfirst").joinpath("data", "targets", name)


@cache
def provinces_table() -> pd.DataFrame:
    """The shipped table of the provinces and territories (codes, abbreviations, names) (read once).

    Returns
    -------
    pandas.DataFrame
        The table as shipped.
    """
    with data_path("provinces.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#")


@cache
def adults_table() -> pd.DataFrame:
    """The shipped table of the 2021 Census adult counts by province and variable (read once).

    Returns
    -------
    pandas.DataFrame
        The table as shipped.
    """
    with data_path("canada_2021_adults.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#")


def resolve_geography(geography: Any) -> list[int]:
    """Province and territory codes from codes, abbreviations or English names.

    Parameters
    ----------
    geography : Any
        None (all), one code/abbreviation/name, or a sequence of them.

    Returns
    -------
    list of int
        The SGC codes, without repeats, in the order given.

    Raises
    ------
    WeightingError
        When ``geography`` is empty or names no province or territory.
    """
    prov = provinces_table()
    codes = prov["code"].tolist()
    if geography is None:
        return codes
    items = [geography] if isinstance(geography, int | str | Integral) else list(geography)
    if not items:
        raise WeightingError("geography= is empty; give one or more province codes (e.g. 24 or 'QC')")
    by_abbr = dict(zip(prov["abbr"].str.upper(), codes, strict=True))
    by_name = dict(zip(prov["name_en"].str.casefold(), codes, strict=True))
    out: list[int] = []
    for item in items:
        key = str(item).strip()
        if key.isdigit() and int(key) in codes:
            code = int(key)
        elif key.upper() in by_abbr:
            code = by_abbr[key.upper()]
        elif key.casefold() in by_name:
            code = by_name[key.casefold()]
        else:
            raise WeightingError(
                f"geography {item!r} is not a province or territory; use an SGC code "
                f"({', '.join(map(str, codes))}) or an abbreviation ({', '.join(prov['abbr'])})")
        if code not in out:
            out.append(code)
    return out


def sample_labels(column: str, french: bool) -> dict[int, str] | None:
    """The sample codebook's value labels of ``column`` (None if the sample has no such column).

    Parameters
    ----------
    column : str
        The sample column (``prov``, ``age_grp``, ``gender`` or ``educ``).
    french : bool
        French labels instead of English.

    Returns
    -------
    dict of int to str or None
        Code to label, or None for another column.
    """
    if column == "prov":
        prov = provinces_table()
        return dict(zip(prov["code"], prov["name_fr" if french else "name_en"], strict=True))
    labels = {"age_grp": (AGE_LABELS, AGE_LABELS_FR),
              "gender": (GENDER_LABELS, GENDER_LABELS_FR),
              "educ": (EDUC_LABELS, EDUC_LABELS_FR)}.get(column)
    if labels is None:
        return None
    return dict(enumerate(labels[1] if french else labels[0], start=1))


@cache
def business_table() -> pd.DataFrame:
    """The shipped table of the illustrative business frame (read once).

    Returns
    -------
    pandas.DataFrame
        The table as shipped.
    """
    with data_path("business_frame.csv").open(encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#")
