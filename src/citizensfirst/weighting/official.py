"""The shipped target sets read from Statistics Canada tables (see :mod:`.statcan`).

**canada_adults_2025** (:func:`canada_adults_2025`): adults aged 18 and over, July 1, 2025, from
``data/targets/17100005_adults_2025.csv``, a subset of the rows of Statistics Canada. Table
17-10-0005-01 Population estimates on July 1, by age and gender (DOI
https://doi.org/10.25318/1710000501-eng; Open Government Licence - Canada) copied line for line:
Canada and the 13 provinces and territories, the three gender rows, the age rows 18 and 19
years, 20 to 24 ... 95 to 99 years, 100 years and older, and the published aggregates 18 years
and older, 18 to 24, 25 to 44, 45 to 64 and 65 years and older. Margins are exact counts keyed
like the sample waves:

* ``province`` -> ``prov`` (SGC codes), ``age`` -> ``age_grp`` (1 18-34, 2 35-54, 3 55+) and
  ``age6`` (1 18-24, 2 25-34, 3 35-44, 4 45-54, 5 55-64, 6 65+), all summed from the age rows;
* ``gender`` -> ``gender`` 1 Men+, 2 Women+, 3 another gender. Statistics Canada's Men+ and
  Women+ include non-binary people: "individuals in the 'non-binary persons' category are
  distributed in the other two gender categories and are denoted by the '+' symbol" (Statistics
  Canada, *Age, Sex at Birth and Gender Reference Guide, Census of Population, 2021*, and the
  Gender Results Framework notes). The sample asks gender with a third level, so the rule here
  undoes that distribution with the one published count: level 3 is the 41,355 non-binary
  people counted by the 2021 Census (aged 15 and over, private households; *The Daily*, April
  27, 2022), taken half from Men+ and half from Women+ (20,677.5 each). The gender margin keeps
  the table's adult total, so all margins can be raked together. The count is for 2021 and ages
  15+, a documented approximation of the 2025 adult non-binary population (0.12% of adults);
* ``education`` -> ``educ``: NOT in 17-10-0005-01. The APPROXIMATE 2021 Census shares of
  :func:`~citizensfirst.weighting.targets.canada_2021` scaled to the 2025 adult total, flagged in
  the source's note. The published counts that would replace them: 2021 Census, Table
  98-10-0384-01 (highest certificate, diploma or degree by census year, age and gender; 25%
  sample data, population in private households).

**business_counts_illustrative** (:func:`business_counts_illustrative`): ILLUSTRATIVE counts,
not official, in the Canadian Business Counts CSV format
(``data/targets/ILLUSTRATIVE_business_counts_2023.csv``), read by
:func:`~citizensfirst.weighting.statcan.business_counts`; the frame of the synthetic bf2023
wave spread over the published employment-size ranges, NAICS sectors and provinces.

>>> m = canada_adults_2025(["province", "gender"])
>>> round(sum(m["prov"].values())), m["gender"][3]
(34009470, 41355.0)
>>> m.source.table, m.source.reference_date
('17-10-0005-01', 'July 1, 2025')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..errors import WeightingError
from .report import CitedMargins, TargetSource
from .statcan import Member, Spec, business_counts, from_statcan
from .targetdata import data_path
from .targets import CANADA_2021_VARIABLES, canada_2021

__all__ = ["CANADA_ADULTS_2025", "NON_BINARY_2021", "business_counts_illustrative", "canada_adults_2025"]

CANADA_ADULTS_2025 = TargetSource(
    table="17-10-0005-01", title="Population estimates on July 1, by age and gender",
    reference_date="July 1, 2025", doi="https://doi.org/10.25318/1710000501-eng",
    licence="Open Government Licence - Canada",
    title_fr="Estimations de la population au 1er juillet, selon l'âge et le genre",
    reference_date_fr="1er juillet 2025")
"""The citation of :func:`canada_adults_2025`."""
NON_BINARY_2021 = 41_355
"""Non-binary people aged 15+ in private households, 2021 Census (The Daily, 2022-04-27)."""
AGE_GROUPS: dict[int, Member] = {1: (18, 34), 2: (35, 54), 3: (55, None)}
AGE6_GROUPS: dict[int, Member] = {1: (18, 24), 2: (25, 34), 3: (35, 44), 4: (45, 54), 5: (55, 64),
                                  6: (65, None)}
_SPECS: dict[str, Spec] = {"prov": "GEO", "age_grp": ("Age group", AGE_GROUPS),
                           "age6": ("Age group", AGE6_GROUPS),
                           "gender": ("Gender", {1: "Men+", 2: "Women+"})}
_GENDER_NOTE = (f"gender 3 (another gender) = the {NON_BINARY_2021:,} non-binary people of the 2021 Census, "
                "taken half from Men+ and half from Women+",
                f"genre 3 (autre genre) = les {NON_BINARY_2021:,}".replace(",", "\u202f")
                + " personnes non binaires du Recensement de 2021, retirées pour moitié des Hommes+ et pour "
                "moitié des Femmes+")
_EDUCATION_NOTE = ("education APPROXIMATE: 2021 Census shares reconstructed (canada_2021), scaled to the 2025 "
                   "adult total; replace with Table 98-10-0384-01",
                   "scolarité APPROXIMATIVE : parts du Recensement de 2021 reconstituées (canada_2021), "
                   "ramenées au total des adultes de 2025; à remplacer par le tableau 98-10-0384-01")


def _columns(variables: Iterable[str] | str) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    known = CANADA_2021_VARIABLES | {col: col for col in CANADA_2021_VARIABLES.values()}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise WeightingError(f"canada_adults_2025 has no variable(s) {unknown}; known: "
                             + ", ".join(f"{v} (column {c})" for v, c in CANADA_2021_VARIABLES.items()))
    return list(dict.fromkeys(known[n] for n in names))


def canada_adults_2025(variables: Iterable[str] | str = ("province", "age", "gender")) -> CitedMargins:
    """Exact adult (18+) counts of July 1, 2025 (Table 17-10-0005-01), keyed like the sample waves.

    Parameters
    ----------
    variables : str or iterable of str, default ("province", "age", "gender")
        ``province``, ``age``, ``age6``, ``gender``, ``education`` (or the columns ``prov``,
        ``age_grp``, ``age6``, ``gender``, ``educ``).

    Returns
    -------
    CitedMargins
        ``{column: {code: count}}``, each summing to 34,009,470, citing the table.

    Raises
    ------
    WeightingError
        When a variable is unknown.
    """
    columns = _columns(variables)
    wanted = {c: _SPECS[c] for c in columns if c in _SPECS}
    counts = from_statcan(data_path("17100005_adults_2025.csv"), wanted or {"prov": "GEO"},
                          universe={"Age group": (18, None)})
    total = sum(next(iter(counts.values())).values())
    notes: list[tuple[str, str]] = []
    if "gender" in counts:
        half = NON_BINARY_2021 / 2
        men, women = counts["gender"][1], counts["gender"][2]
        counts["gender"] = {1: men - half, 2: women - half, 3: float(NON_BINARY_2021)}
        notes.append(_GENDER_NOTE)
    if "educ" in columns:
        shares = canada_2021("education")["educ"]
        counts["educ"] = {code: share * total for code, share in shares.items()}
        notes.append(_EDUCATION_NOTE)
    ordered = {c: counts[c] for c in columns}
    return CitedMargins(ordered, CANADA_ADULTS_2025.with_notes(notes))


ILLUSTRATIVE_BUSINESS = TargetSource(
    table="ILLUSTRATIVE_business_counts_2023",
    title="business counts in the Canadian Business Counts, with employees, CSV format",
    reference_date="June 2023", publisher="citizensfirst (ILLUSTRATIVE, not Statistics Canada)",
    note="ILLUSTRATIVE counts: the synthetic frame of the bf2023 sample wave, not official; replace with "
    "the Canadian Business Counts table of your reference period")
"""The citation of :func:`business_counts_illustrative`."""


def business_counts_illustrative(
    variables: Sequence[str] | str = ("firm_size", "industry", "region"),
) -> CitedMargins:
    """ILLUSTRATIVE business margins (counts) from the shipped Canadian Business Counts style table.

    Parameters
    ----------
    variables : str or sequence of str, default ("firm_size", "industry", "region")
        The bf2023 frame variables.

    Returns
    -------
    CitedMargins
        ``{variable: {code: count}}`` citing the table as ILLUSTRATIVE.

    Raises
    ------
    DataError
        When a variable is unknown.
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    return business_counts(data_path("ILLUSTRATIVE_business_counts_2023.csv"), names,
                           source=ILLUSTRATIVE_BUSINESS)
