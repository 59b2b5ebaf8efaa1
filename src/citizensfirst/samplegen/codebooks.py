"""Codebooks (labels EN/FR, value labels, missing codes) of the synthetic waves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..io.codebook import Codebook, Measure, Variable
from ..io.codes import Code
from ..weighting.targetdata import (
    AGE_LABELS,
    AGE_LABELS_FR,
    EDUC_LABELS,
    EDUC_LABELS_FR,
    GENDER_LABELS,
    GENDER_LABELS_FR,
    INDUSTRY_LABELS,
    INDUSTRY_LABELS_FR,
    REGION_LABELS,
    REGION_LABELS_FR,
    SIZE_LABELS,
    SIZE_LABELS_FR,
)
from .params import (
    BF_SERVICES,
    CF_SERVICES,
    CHANNELS,
    CHANNELS_FR,
    DK_ITEMS,
    DRIVERS,
    GOV_LEVELS,
    GOV_LEVELS_FR,
    PROVINCES,
)

SAT5: dict[Code, str] = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neither satisfied nor dissatisfied",
        4: "Satisfied", 5: "Very satisfied"}
SAT5_FR: dict[Code, str] = {1: "Très insatisfait", 2: "Insatisfait", 3: "Ni satisfait ni insatisfait",
           4: "Satisfait", 5: "Très satisfait"}
AGREE5: dict[Code, str] = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
          5: "Strongly agree"}
AGREE5_FR: dict[Code, str] = {1: "Fortement en désaccord", 2: "En désaccord", 3: "Ni en accord ni en désaccord",
             4: "D'accord", 5: "Fortement d'accord"}
EXPECT5: dict[Code, str] = {1: "Much worse than expected", 2: "Worse than expected", 3: "About as expected",
           4: "Better than expected", 5: "Much better than expected"}
EXPECT5_FR: dict[Code, str] = {1: "Bien pire que prévu", 2: "Pire que prévu", 3: "À peu près comme prévu",
              4: "Mieux que prévu", 5: "Bien mieux que prévu"}
VALUE5: dict[Code, str] = {1: "Very poor value", 2: "Poor value", 3: "Fair value", 4: "Good value",
          5: "Very good value"}
VALUE5_FR: dict[Code, str] = {1: "Très mauvaise valeur", 2: "Mauvaise valeur", 3: "Valeur passable",
             4: "Bonne valeur", 5: "Très bonne valeur"}
SAT11: dict[Code, str] = {0: "Extremely dissatisfied", 5: "Neither satisfied nor dissatisfied", 10: "Extremely satisfied"}
SAT11_FR: dict[Code, str] = {0: "Extrêmement insatisfait", 5: "Ni satisfait ni insatisfait", 10: "Extrêmement satisfait"}


DK, DK_FR = "Don't know", "Ne sait pas"
REF, REF_FR = "Refused", "Refus"
NA, NA_FR = "Not applicable", "Sans objet"

DRIVER_TEXT = {
    "q_time": ("It took a reasonable amount of time to get the service",
               "Le service a été obtenu dans un délai raisonnable"),
    "q_access": ("It was easy to access the service", "Il était facile d'accéder au service"),
    "q_staff_knowledge": ("Staff were knowledgeable and competent",
                          "Le personnel était compétent et bien informé"),
    "q_courtesy": ("Staff were courteous", "Le personnel était courtois"),
    "q_fair": ("I was treated fairly", "J'ai été traité de façon équitable"),
    "q_outcome": ("In the end, I got what I needed",
                  "Au bout du compte, j'ai obtenu ce dont j'avais besoin"),
    "q_contacts": ("The number of contacts it took was reasonable",
                   "Le nombre de contacts nécessaires était raisonnable"),
    "q_extra_mile": ("Staff went the extra mile to make sure I got what I needed",
                     "Le personnel a fait un effort supplémentaire pour que j'obtienne ce dont j'avais besoin"),
}


def _labels(labels: Sequence[str], start: int = 1) -> dict[Code, str]:
    return {i + start: lab for i, lab in enumerate(labels)}


def _nominal(name: str, label: str, label_fr: str, values: Sequence[str] | None = None,
             values_fr: Sequence[str] | None = None, measure: Measure = "nominal") -> Variable:
    return Variable(name, label=label, label_fr=label_fr, measure=measure,
                    value_labels=_labels(values) if values else {},
                    value_labels_fr=_labels(values_fr) if values_fr else {})


def _rating(name: str, label: str, label_fr: str, values: Mapping[Code, str],
            values_fr: Mapping[Code, str], dimension: str | None, missing: Mapping[Code, str] | None = None,
            missing_fr: Mapping[Code, str] | None = None, scale: tuple[int, int] = (1, 5)) -> Variable:
    return Variable(name, label=label, label_fr=label_fr, measure="ordinal", scale=scale,
                    dimension=dimension, value_labels=values, value_labels_fr=values_fr,
                    missing=missing or {}, missing_fr=missing_fr or {})


def _common_head() -> list[Variable]:
    return [
        Variable("resp_id", label="Respondent identifier", label_fr="Identifiant du répondant",
                 measure="nominal"),
        Variable("wave", label="Survey year", label_fr="Année de l'enquête", measure="nominal"),
    ]


def _service_vars(table: Sequence[tuple[str, str, int, float, float]]) -> list[Variable]:
    types: dict[Code, str] = {i + 1: s[0] for i, s in enumerate(table)}
    types_fr: dict[Code, str] = {i + 1: s[1] for i, s in enumerate(table)}
    out = [Variable("n_services", label="Number of service experiences rated (1-3)",
                    label_fr="Nombre d'expériences de service évaluées (1 à 3)", measure="ordinal")]
    for k in (1, 2, 3):
        which = "most recent" if k == 1 else f"number {k}"
        which_fr = "la plus récente" if k == 1 else f"numéro {k}"
        out.append(Variable(
            f"svc{k}_type", label=f"Service experience {k} ({which}): which service",
            label_fr=f"Expérience de service {k} ({which_fr}) : quel service", measure="nominal",
            value_labels=types, value_labels_fr=types_fr,
            missing={99: "Not applicable (fewer services used)"},
            missing_fr={99: "Sans objet (moins de services utilisés)"}))
        out.append(_rating(
            f"svc{k}_sat", f"Service experience {k}: overall satisfaction with the service",
            f"Expérience de service {k} : satisfaction globale à l'égard du service",
            SAT5, SAT5_FR, "overall", {9: "Not applicable (fewer services used)"},
            {9: "Sans objet (moins de services utilisés)"}))
    out.append(_nominal("gov_level", "Level of government of the most recent service",
                        "Ordre de gouvernement du service le plus récent", GOV_LEVELS, GOV_LEVELS_FR))
    return out


def _driver_vars(year: int) -> list[Variable]:
    out = []
    for _key, name, dim, *_ in DRIVERS:
        label, label_fr = DRIVER_TEXT[name]
        missing: dict[Code, str] = {}
        missing_fr: dict[Code, str] = {}
        for item, *_p in DK_ITEMS:
            if item == name:
                second = (NA, NA_FR) if name == "q_extra_mile" else (REF, REF_FR)
                codes = (98, 99) if (name == "q_fair" and year >= 2023) else (8, 9)
                missing = {codes[0]: DK, codes[1]: second[0]}
                missing_fr = {codes[0]: DK_FR, codes[1]: second[1]}
        vname = "q_knowledge" if (name == "q_staff_knowledge" and year == 2018) else name
        out.append(_rating(vname, label, label_fr, AGREE5, AGREE5_FR, dim, missing, missing_fr))
    return out


def _overall_vars(year: int, business: bool) -> list[Variable]:
    who = "government services for businesses" if business else "the service"
    who_fr = "des services gouvernementaux aux entreprises" if business else "du service"
    if year == 2018:
        overall = _rating("q_overall", "Overall, how satisfied were you with the service? (0-10)",
                          "Dans l'ensemble, dans quelle mesure étiez-vous satisfait du service? (0 à 10)",
                          SAT11, SAT11_FR, "overall", {98: DK, 99: REF}, {98: DK_FR, 99: REF_FR},
                          scale=(0, 10))
    else:
        overall = _rating("q_overall", f"Overall satisfaction with {who}",
                          f"Satisfaction globale à l'égard {who_fr}", SAT5, SAT5_FR, "overall")
    value_label = ("Value for the taxes and fees your business pays" if business
                   else "Value for your tax dollars")
    value_label_fr = ("Rapport qualité-prix des impôts et frais payés par votre entreprise" if business
                      else "Rapport qualité-prix pour vos impôts")
    return [
        overall,
        _rating("q_expect", "Extent to which the service met your expectations",
                "Mesure dans laquelle le service a répondu à vos attentes", EXPECT5, EXPECT5_FR, "overall"),
        _rating("q_value", value_label, value_label_fr, VALUE5, VALUE5_FR, "overall"),
    ]


def cf_codebook(year: int, clustered: bool) -> Codebook:
    """The bilingual codebook of a Citizens First wave.

    Parameters
    ----------
    year : int
        Survey year (items and scales differ by year).
    clustered : bool
        Whether the wave has ``stratum`` and ``psu`` variables.

    Returns
    -------
    Codebook
        The codebook, variables in file order.
    """
    prov_labels: dict[Code, str] = {p[0]: p[2] for p in PROVINCES}
    prov_labels_fr: dict[Code, str] = {p[0]: p[3] for p in PROVINCES}
    vars_ = _common_head()
    vars_.append(Variable("prov", label="Province or territory of residence (SGC code)",
                          label_fr="Province ou territoire de résidence (code de la CGT)",
                          measure="nominal", value_labels=prov_labels, value_labels_fr=prov_labels_fr))
    if clustered:
        vars_.append(Variable("stratum", label="Sampling stratum (= province code)",
                              label_fr="Strate d'échantillonnage (= code de province)",
                              measure="nominal", value_labels=prov_labels,
                              value_labels_fr=prov_labels_fr))
        vars_.append(Variable("psu", label="Primary sampling unit (area cluster; 100 x province + cluster)",
                              label_fr="Unité primaire d'échantillonnage (grappe; 100 x province + grappe)",
                              measure="nominal"))
    vars_ += [
        _nominal("age_grp", "Age group", "Groupe d'âge", AGE_LABELS, AGE_LABELS_FR, "ordinal"),
        _nominal("gender", "Gender", "Genre", GENDER_LABELS, GENDER_LABELS_FR),
        _nominal("educ", "Highest level of education", "Plus haut niveau de scolarité", EDUC_LABELS,
                 EDUC_LABELS_FR, "ordinal"),
        Variable("wt_design", label="Design weight (province population share / sample share; sums to n)",
                 label_fr="Poids de sondage (part de la population / part de l'échantillon; somme = n)",
                 measure="scale"),
        _nominal("chan_used", "Channel used for the most recent service",
                 "Mode de prestation utilisé pour le service le plus récent", CHANNELS, CHANNELS_FR),
        _nominal("chan_pref", "Preferred channel for this service",
                 "Mode de prestation préféré pour ce service", CHANNELS, CHANNELS_FR),
    ]
    vars_ += _service_vars(CF_SERVICES)
    vars_ += _driver_vars(year)
    if year >= 2023:
        vars_.append(_rating(
            "q_online_acct", "Satisfaction with your online government account or digital sign-in (digital identity)",
            "Satisfaction à l'égard de votre compte gouvernemental en ligne ou de l'ouverture de session numérique (identité numérique)",
            SAT5, SAT5_FR, None, {9: "Did not use an online account"},
            {9: "N'a pas utilisé de compte en ligne"}))
    vars_ += _overall_vars(year, business=False)
    return Codebook(vars_, title=f"Citizens First {year} (synthetic sample)",
                    title_fr=f"Les citoyens d'abord {year} (échantillon synthétique)")


def bf_codebook() -> Codebook:
    """The bilingual codebook of the Business First 2023 wave.

    Returns
    -------
    Codebook
        The codebook, variables in file order.
    """
    strata: dict[Code, str] = {(s + 1) * 10 + r + 1: f"{SIZE_LABELS[s]}, {REGION_LABELS[r]}"
              for s in range(len(SIZE_LABELS)) for r in range(len(REGION_LABELS))}
    strata_fr: dict[Code, str] = {(s + 1) * 10 + r + 1: f"{SIZE_LABELS_FR[s]}, {REGION_LABELS_FR[r]}"
                 for s in range(len(SIZE_LABELS)) for r in range(len(REGION_LABELS))}
    vars_ = _common_head()
    vars_ += [
        Variable("stratum", label="Sampling stratum (10 x firm size + region)",
                 label_fr="Strate d'échantillonnage (10 x taille + région)", measure="nominal",
                 value_labels=strata, value_labels_fr=strata_fr),
        _nominal("firm_size", "Number of employees", "Nombre d'employés", SIZE_LABELS, SIZE_LABELS_FR,
                 "ordinal"),
        _nominal("industry", "Industry sector", "Secteur d'activité", INDUSTRY_LABELS, INDUSTRY_LABELS_FR),
        _nominal("region", "Region", "Région", REGION_LABELS, REGION_LABELS_FR),
        Variable("wt_design", label="Design weight (frame businesses in stratum / sample in stratum)",
                 label_fr="Poids de sondage (entreprises de la base dans la strate / échantillon de la strate)",
                 measure="scale"),
        _nominal("resp_role", "Respondent's role in the business", "Rôle du répondant dans l'entreprise",
                 ("Owner or president", "Manager", "Accountant or bookkeeper", "Other"),
                 ("Propriétaire ou président", "Gestionnaire", "Comptable ou teneur de livres", "Autre")),
        _nominal("chan_used", "Channel used for the most recent service",
                 "Mode de prestation utilisé pour le service le plus récent", CHANNELS, CHANNELS_FR),
        _nominal("chan_pref", "Preferred channel for this service",
                 "Mode de prestation préféré pour ce service", CHANNELS, CHANNELS_FR),
    ]
    vars_ += _service_vars(BF_SERVICES)
    vars_ += _driver_vars(2023)
    vars_ += _overall_vars(2023, business=True)
    vars_ += [
        _rating("q_paperwork", "Satisfaction with the paperwork and compliance burden",
                "Satisfaction à l'égard du fardeau administratif et de conformité", SAT5, SAT5_FR, None),
        _rating("q_online_acct", "Satisfaction with your business's online government account",
                "Satisfaction à l'égard du compte gouvernemental en ligne de votre entreprise",
                SAT5, SAT5_FR, None, {9: "Did not use an online account"},
                {9: "N'a pas utilisé de compte en ligne"}),
    ]
    return Codebook(vars_, title="Business First 2023 (synthetic sample)",
                    title_fr="Les entreprises d'abord 2023 (échantillon synthétique)")


def cf_columns(year: int, clustered: bool) -> list[str]:
    """The column names of a Citizens First wave, in file order.

    Parameters
    ----------
    year : int
        Survey year.
    clustered : bool
        Whether the wave has ``stratum`` and ``psu`` variables.

    Returns
    -------
    list of str
        Variable names of :func:`cf_codebook`.
    """
    return list(cf_codebook(year, clustered))


def bf_columns() -> list[str]:
    """The column names of the Business First wave, in file order.

    Returns
    -------
    list of str
        Variable names of :func:`bf_codebook`.
    """
    return list(bf_codebook())
