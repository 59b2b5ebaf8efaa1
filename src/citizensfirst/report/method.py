"""The report's Method section, written from what was done to each wave (English and French).

Nothing in it is fixed in advance: :func:`wave_method` reads a wave's design through its public
accessors (``state.spec``, ``taylor``, ``replicate_weights``, ``history``, ``report``,
``degrees_of_freedom()``) and says how the sample was drawn (strata, PSUs per stage, finite
population correction or replicate weights), which weights it started from, each weighting step
with the source of its targets and, for the last, the precision achieved, and how variances were
estimated. :func:`method_html` adds the rules shared by every wave: the confidence intervals and
their degrees of freedom, suppression and the quality flags (:mod:`citizensfirst.estimation.quality`).

>>> import pandas as pd
>>> from citizensfirst.design.facade import Design
>>> d = Design(pd.DataFrame({"y": [1.0, 2.0, 3.0]}))
>>> wave_method(d, "en")[1]
'Every respondent counts equally (no weights); no weighting adjustment was made.'
>>> format_precision(4.2e-11, "fr")
'moins de 0,000001\\xa0%'
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..design.facade import Design
from ..estimation.quality import DEFAULT_RULES, QualityRules
from ..i18n import check_language, format_number, format_percent
from .pubtables import lower_first

WEIGHTING_ACTIONS = ("rake", "calibrate", "poststratify", "trim")
"""History actions that change the weights (each is described as a weighting step)."""

#: Citation of the shipped target sets (:data:`citizensfirst.weighting.shipped.SHIPPED_TARGETS`).
CITATIONS: dict[str, dict[str, str]] = {
    "canada_2021": {
        "en": "Statistics Canada, 2021 Census of Population, approximate adult counts from tables "
              "98-10-0001-01 and 98-10-0020-01 (shipped set canada_2021)",
        "fr": "Statistique Canada, Recensement de la population de 2021, effectifs approximatifs des "
              "adultes tirés des tableaux 98-10-0001-01 et 98-10-0020-01 (ensemble fourni canada_2021)",
    },
    "business_frame": {
        "en": "illustrative business frame, not official counts (shipped set business_frame)",
        "fr": "base de sondage d'entreprises illustrative, sans effectifs officiels (ensemble fourni "
              "business_frame)",
    },
}

_REPLICATES = {
    "jk1": ("jackknife (JK1)", "jackknife (JK1)"),
    "jkn": ("stratified jackknife (JKn)", "jackknife stratifié (JKn)"),
    "brr": ("balanced repeated replication (BRR)", "répliques répétées équilibrées (BRR)"),
    "fay": ("Fay's balanced repeated replication", "répliques répétées équilibrées de Fay"),
    "bootstrap": ("bootstrap", "bootstrap"),
    "subbootstrap": ("Rao-Wu rescaled bootstrap", "bootstrap rééchelonné de Rao-Wu"),
    "other": ("replicate weights", "poids de rééchantillonnage"),
}

TEXT: dict[str, dict[str, str]] = {
    "wave": {"en": "Wave {name}", "fr": "Vague {name}"},
    "stratified": {"en": "stratified sample ({n} strata, by {by})", "fr": "échantillon stratifié ({n} strates, selon {by})"},
    "unstratified": {"en": "unstratified sample", "fr": "échantillon non stratifié"},
    "clusters": {"en": "{n} primary sampling units ({by})", "fr": "{n} unités primaires d'échantillonnage ({by})"},
    "stage": {"en": "stage {k}: {n} units ({by})", "fr": "degré {k} : {n} unités ({by})"},
    "no_clusters": {"en": "respondents sampled directly (no clustering)",
                    "fr": "répondants tirés directement (sans grappes)"},
    "fpc": {"en": "with a finite population correction ({by})", "fr": "avec correction pour population finie ({by})"},
    "no_fpc": {"en": "no finite population correction (sampling with replacement assumed)",
               "fr": "sans correction pour population finie (tirage avec remise supposé)"},
    "replicate_file": {"en": "{n} replicate weights supplied with the data ({method})",
                       "fr": "{n} poids de rééchantillonnage fournis avec les données ({method})"},
    "replicate_built": {"en": "{n} replicate weights built from the design ({method})",
                        "fr": "{n} poids de rééchantillonnage construits à partir du plan ({method})"},
    "base_weights": {"en": "Base weights: {name}.", "fr": "Poids de base : {name}."},
    "base_probs": {"en": "Base weights: inverse of the selection probabilities ({name}).",
                   "fr": "Poids de base : inverse des probabilités de sélection ({name})."},
    "no_weights": {"en": "Every respondent counts equally (no weights)", "fr": "Chaque répondant compte également (sans poids)"},
    "no_weighting": {"en": "no weighting adjustment was made.", "fr": "aucun ajustement de pondération n'a été fait."},
    "base_used": {"en": "No weighting adjustment was made: the base weights were used as they are.",
                  "fr": "Aucun ajustement de pondération n'a été fait : les poids de base ont été utilisés tels quels."},
    "steps": {"en": "Weighting: {steps}.", "fr": "Pondération : {steps}."},
    "then": {"en": "; then ", "fr": "; puis "},
    "rake": {"en": "raked to the margins of {vars}", "fr": "ratissage sur les marges de {vars}"},
    "calibrate": {"en": "calibrated ({distance} distance) to the totals of {vars}",
                  "fr": "calage (distance {distance}) sur les totaux de {vars}"},
    "poststratify": {"en": "post-stratified to the cells of {vars}", "fr": "post-stratification sur les cellules de {vars}"},
    "trim": {"en": "weights trimmed to between {lower} and {upper}", "fr": "poids écrêtés entre {lower} et {upper}"},
    "trim_upper": {"en": "weights trimmed to at most {upper}", "fr": "poids écrêtés à au plus {upper}"},
    "trim_lower": {"en": "weights raised to at least {lower}", "fr": "poids relevés à au moins {lower}"},
    "trimmed": {"en": " ({n} weights trimmed)", "fr": " ({n} poids écrêtés)"},
    "shipped": {"en": "targets: {citation}", "fr": "cibles : {citation}"},
    "file": {"en": "targets from the file {name}", "fr": "cibles tirées du fichier {name}"},
    "inline": {"en": "targets given in the study spec", "fr": "cibles données dans la spécification de l'étude"},
    "cited": {"en": "targets: {citation}", "fr": "cibles : {citation}"},
    "precision": {"en": "the largest relative difference between the final weighted totals and the targets is {value}",
                  "fr": "l'écart relatif maximal entre les totaux pondérés finaux et les cibles est de {value}"},
    "variance_taylor": {"en": "Variances: Taylor linearisation; {df} degrees of freedom.",
                        "fr": "Variances : linéarisation de Taylor; {df} degrés de liberté."},
    "variance_replicate": {"en": "Variances: from the replicate weights ({method}, {n} replicates); {df} degrees of freedom.",
                           "fr": "Variances : à partir des poids de rééchantillonnage ({method}, {n} répliques); {df} degrés de liberté."},
    "reweighted": {"en": " Each replicate is weighted again by the same steps.",
                   "fr": " Chaque réplique est pondérée de nouveau par les mêmes étapes."},
    "intervals": {
        "en": "Estimates are design-based. {level} confidence intervals use Student's t distribution with the "
              "design degrees of freedom of their wave (given above); changes between waves are tested the same way.",
        "fr": "Les estimations tiennent compte du plan de sondage. Les intervalles de confiance à {level} "
              "utilisent la loi t de Student avec les degrés de liberté du plan de leur vague (indiqués "
              "ci-dessus); les variations d'une vague à l'autre sont testées de la même façon.",
    },
    "quality": {
        "en": "An estimate to which fewer than {min_n} respondents contribute is suppressed (x), and so is any "
              "value from which it could be derived. Quality flags come from the coefficient of variation (CV): "
              "{e} marks a CV of {low} to {high} (use with caution) and {f} a CV of {high} or more (too "
              "unreliable to be published; not shown).",
        "fr": "Une estimation à laquelle contribuent moins de {min_n} répondants est supprimée (x), de même que "
              "toute valeur qui permettrait de la déduire. Les cotes de qualité découlent du coefficient de "
              "variation (CV) : {e} signale un CV de {low} à {high} (à utiliser avec prudence) et {f} un CV de "
              "{high} ou plus (trop peu fiable pour être publié; non diffusé).",
    },
    "less_than": {"en": "less than {value}", "fr": "moins de {value}"},
    "and": {"en": " and ", "fr": " et "},
}


def _t(key: str, language: str, **values: Any) -> str:
    return TEXT[key][language].format(**values)


@dataclass(frozen=True)
class TargetOrigin:
    """Where a weighting step's targets came from, as the study spec said.

    Attributes
    ----------
    kind : {"shipped", "file", "inline"}
        A target set shipped with the library, a targets file, or margins written in the spec.
    name : str
        The shipped set's name or the file's name (empty for inline targets).
    """

    kind: Literal["shipped", "file", "inline"]
    name: str = ""

    def describe(self, language: str) -> str:
        """The origin in words, with the citation of a known shipped set.

        Parameters
        ----------
        language : str
            ``"en"`` or ``"fr"``.

        Returns
        -------
        str
            E.g. ``"targets from the file targets.toml"``.

        Examples
        --------
        >>> TargetOrigin("file", "margins.toml").describe("fr")
        'cibles tirées du fichier margins.toml'
        """
        if self.kind == "shipped":
            citation = CITATIONS.get(self.name, {}).get(language, self.name)
            return _t("shipped", language, citation=citation)
        if self.kind == "file":
            return _t("file", language, name=self.name)
        return _t("inline", language)


def step_origins(steps: Sequence[Any]) -> tuple[TargetOrigin | None, ...]:
    """The origin of the targets of each weighting step of a wave spec (None for ``trim``).

    Parameters
    ----------
    steps : sequence of WeightingStep
        The wave's steps (``targets``: a shipped set, ``file``: a path, ``margins``: inline).

    Returns
    -------
    tuple of (TargetOrigin or None)
        One per step, in order.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> step_origins([SimpleNamespace(targets="canada_2021", file=None, margins=None)])
    (TargetOrigin(kind='shipped', name='canada_2021'),)
    """
    out: list[TargetOrigin | None] = []
    for step in steps:
        if step.targets is not None:
            out.append(TargetOrigin("shipped", str(step.targets)))
        elif step.file is not None:
            out.append(TargetOrigin("file", getattr(step.file, "name", str(step.file))))
        elif step.margins is not None:
            out.append(TargetOrigin("inline"))
        else:
            out.append(None)
    return tuple(out)


def format_precision(relative_error: float, language: str) -> str:
    """A weighting step's largest relative miss of its targets, as a percentage for readers.

    Below 0.000001 % it reads "less than 0.000001%"; otherwise two significant digits.

    Parameters
    ----------
    relative_error : float
        The largest relative error of the achieved margins (a fraction).
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        E.g. ``"less than 0.000001%"``, ``"0.052%"``, ``"moins de 0,000001 %"``.

    Examples
    --------
    >>> format_precision(4.2e-11, "en"), format_precision(5.2e-4, "en")
    ('less than 0.000001%', '0.052%')
    """
    check_language(language)
    percent = abs(float(relative_error)) * 100
    if percent < 1e-6:
        return _t("less_than", language, value=format_percent(1e-8, language, 6))
    decimals = min(6, max(1, 1 - math.floor(math.log10(percent))))
    return format_percent(percent / 100, language, decimals)


def _join(items: Sequence[str], language: str) -> str:
    """``a, b and c`` (``a, b et c``)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + TEXT["and"][language] + items[-1]


def _names(design: Design, names: Any, language: str) -> str:
    """Variable labels (from the codebook, else the names), joined."""
    listed = [names] if isinstance(names, str) else list(names)
    codebook = design.codebook
    labels = [codebook[n].label_in(language) if codebook is not None and n in codebook else str(n) for n in listed]
    return _join([lower_first(label) for label in labels], language)


def _sample(design: Design, language: str) -> str:
    """How the sample was drawn: strata, PSUs per stage and fpc, or the replicate weights."""
    spec = design.state.spec
    reps = design.replicate_weights
    if reps is not None:
        method = _REPLICATES.get(reps.method, _REPLICATES["other"])[language == "fr"]
        key = "replicate_file" if spec.get("replicate_weights") else "replicate_built"
        parts = [_t(key, language, n=format_number(reps.n_replicates, language, 0), method=method)]
    else:
        taylor = design.taylor
        assert taylor is not None  # a design without replicate weights has a Taylor structure
        first = taylor.stages[0]
        parts = [_t("stratified", language, n=format_number(first.n_strata, language, 0),
                    by=_names(design, spec["strata"], language)) if spec.get("strata") else _t("unstratified", language)]
        psu = spec.get("psu")
        if psu:
            psus = [psu] if isinstance(psu, str) else list(psu)
            parts.append(_t("clusters", language, n=format_number(first.n_clusters, language, 0), by=psus[0]))
            parts += [_t("stage", language, k=k, n=format_number(stage.n_clusters, language, 0), by=name)
                      for k, (stage, name) in enumerate(zip(taylor.stages[1:], psus[1:], strict=False), start=2)]
        else:
            parts.append(_t("no_clusters", language))
        fpc = spec.get("fpc")
        if any(stage.popsize is not None for stage in taylor.stages):
            listed = [fpc] if isinstance(fpc, str | int | float) else list(fpc or [])
            parts.append(_t("fpc", language, by=", ".join(str(f) for f in listed)))
        else:
            parts.append(_t("no_fpc", language))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def _step(design: Design, step: Any, origin: TargetOrigin | None, language: str) -> str:
    """One weighting step of the history in words, with the origin of its targets."""
    params = step.parameters
    if step.action == "rake":
        words = _t("rake", language, vars=_names(design, list(params.get("margins", {})), language))
    elif step.action == "calibrate":
        words = _t("calibrate", language, distance=params.get("method", "linear"),
                   vars=_names(design, list(params.get("targets", {})), language))
    elif step.action == "poststratify":
        words = _t("poststratify", language, vars=_names(design, params.get("cells", []), language))
    else:
        lower, upper = float(params.get("lower", -math.inf)), float(params.get("upper", math.inf))
        key = "trim" if math.isfinite(lower) and math.isfinite(upper) else "trim_upper" if math.isfinite(upper) else "trim_lower"
        words = _t(key, language, lower=format_number(lower, language, 2), upper=format_number(upper, language, 2))
    if origin is not None:
        words += f" ({origin.describe(language)})"
    return words


def wave_method(design: Design, language: str, origins: Sequence[TargetOrigin | None] = ()) -> list[str]:
    """What was done to one wave, as sentences: sample, base weights, weighting, variances.

    Parameters
    ----------
    design : Design
        The wave's final design (after weighting).
    language : str
        ``"en"`` or ``"fr"``.
    origins : sequence of (TargetOrigin or None), optional
        The origin of the targets of each weighting step of ``design.history``, in order
        (:func:`step_origins`); steps without one are described without it.

    Returns
    -------
    list of str
        The sentences (plain text).
    """
    check_language(language)
    spec = design.state.spec
    steps = [s for s in design.history if s.action in WEIGHTING_ACTIONS]
    sentences = [_sample(design, language)]
    if spec.get("weights"):
        sentences.append(_t("base_weights", language, name=spec["weights"]))
    elif spec.get("probs"):
        sentences.append(_t("base_probs", language, name=spec["probs"]))
    elif not steps and design.replicate_weights is None:
        sentences.append(f"{_t('no_weights', language)}; {_t('no_weighting', language)}")
    if steps:
        described = [_step(design, s, origins[i] if i < len(origins) else None, language) for i, s in enumerate(steps)]
        report = design.report
        # a report built from cited targets carries their source (weighting.report.TargetSource)
        source = getattr(report, "source", None)
        if source is not None:
            described[-1] = _step(design, steps[-1], None, language) + f" ({_t('cited', language, citation=source.short(language))})"
        if report is not None and steps[-1].action == "trim" and report.trimmed:
            described[-1] += _t("trimmed", language, n=format_number(report.trimmed, language, 0))
        elif report is not None and math.isfinite(report.max_relative_error):
            described[-1] += "; " + _t("precision", language, value=format_precision(report.max_relative_error, language))
        sentences.append(_t("steps", language, steps=TEXT["then"][language].join(described)))
    elif spec.get("weights") or spec.get("probs") or design.replicate_weights is not None:
        sentences.append(_t("base_used", language))
    df = format_number(design.degrees_of_freedom(), language, 0)
    reps = design.replicate_weights
    if reps is None:
        sentences.append(_t("variance_taylor", language, df=df))
    else:
        method = _REPLICATES.get(reps.method, _REPLICATES["other"])[language == "fr"]
        sentences.append(_t("variance_replicate", language, method=method,
                            n=format_number(reps.n_replicates, language, 0), df=df)
                         + (_t("reweighted", language) if steps else ""))
    return sentences


def method_html(designs: Mapping[str, Design], language: str, *,
                origins: Mapping[str, Sequence[TargetOrigin | None]] | None = None,
                rules: QualityRules = DEFAULT_RULES, level: float = 0.95) -> str:
    """The Method section's paragraphs: one per wave (waves alike share one), then the shared rules.

    Parameters
    ----------
    designs : mapping of str to Design
        Each wave's final design, by wave name.
    language : str
        ``"en"`` or ``"fr"``.
    origins : mapping of str to sequence of (TargetOrigin or None), optional
        Per wave, the origin of each weighting step's targets (:func:`step_origins`).
    rules : QualityRules, default DEFAULT_RULES
        The suppression and quality-flag rules the tables used.
    level : float, default 0.95
        The confidence level of the intervals.

    Returns
    -------
    str
        HTML paragraphs (every name escaped).

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst.design.facade import Design
    >>> text = method_html({"w1": Design(pd.DataFrame({"y": [1.0, 2.0]}))}, "en")
    >>> "Wave w1" in text and "fewer than 10 respondents" in text
    True
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, design in designs.items():
        sentences = tuple(wave_method(design, language, (origins or {}).get(name, ())))
        groups.setdefault(sentences, []).append(name)
    paragraphs = []
    for sentences, names in groups.items():
        label = _join([_t("wave", language, name=n) for n in names], language)
        paragraphs.append(f"<p><strong>{html.escape(label)}</strong>. {html.escape(' '.join(sentences))}</p>")
    low, high = rules.cv_bands[-2], rules.cv_bands[-1]
    paragraphs.append("<p>" + html.escape(
        _t("intervals", language, level=format_percent(level, language, 0)) + " "
        + _t("quality", language, min_n=rules.min_n, e=rules.letters[-2], f=rules.letters[-1],
             low=format_percent(low, language, 0), high=format_percent(high, language, 0))) + "</p>")
    return "\n".join(paragraphs)


def weighting_html(name: str, record: dict[str, Any], language: str, sources: list[str]) -> str:
    """One weighting step of a wave in the report, from its :func:`~citizensfirst.report.designs.step_record`.

    A cited source is added to ``sources`` (once) and referred to by its number, so that
    :func:`sources_html` lists each source once for the whole section.

    Parameters
    ----------
    name : str
        The wave and step, as shown (escaped here).
    record : dict
        The step's record: ``summary`` and, for cited targets, ``citation`` per language.
    language : str
        ``"en"`` or ``"fr"``.
    sources : list of str
        The section's sources so far; a new citation is appended.

    Returns
    -------
    str
        An HTML paragraph.
    """
    summary = record["summary"]
    labels = {"en": ("Wave", "largest relative difference from the targets", "weights trimmed", "Kish design effect",
                     "effective sample size", ":", "targets: source"),
              "fr": ("Vague", "écart relatif maximal aux cibles", "poids écrêtés", "effet de plan de Kish",
                     "taille effective", "\u00a0:", "cibles\u00a0: source")}[language]
    cited = ""
    if "citation" in record:
        citation = record["citation"][language]
        if citation not in sources:
            sources.append(citation)
        cited = f" ({labels[6]} {sources.index(citation) + 1})"
    met = (f"{labels[2]}{labels[5]} {format_number(summary['trimmed'], language, 0)}" if summary["method"] == "trimming"
           else f"{labels[1]}{labels[5]} {format_precision(summary['max_relative_error'], language)}")
    return (f"<p><strong>{labels[0]} {html.escape(name)}</strong>{labels[5]} {met}; "
            f"{labels[3]} {format_number(summary['kish_deff'], language, 2)}; "
            f"{labels[4]} {format_number(summary['effective_n'], language, 0)}.{cited}</p>")


def sources_html(sources: list[str], language: str) -> str:
    """The numbered sources of the weighting targets, each once (escaped).

    Parameters
    ----------
    sources : list of str
        The citations, in the order :func:`weighting_html` numbered them.
    language : str
        ``"en"`` or ``"fr"``.

    Returns
    -------
    str
        An HTML block (empty without sources).

    Examples
    --------
    >>> sources_html(["<Table 1>"], "en")
    '<div class="notes"><p>Sources of the targets</p><ol><li>&lt;Table 1&gt;</li></ol></div>'
    """
    if not sources:
        return ""
    head = {"en": "Sources of the targets", "fr": "Sources des cibles"}[language]
    items = "".join(f"<li>{html.escape(source)}</li>" for source in sources)
    return f'<div class="notes"><p>{head}</p><ol>{items}</ol></div>'
