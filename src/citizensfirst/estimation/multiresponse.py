"""Estimating a multiple-response set: the share of respondents choosing each option.

Each option of a :class:`~citizensfirst.io.mrsets.MultipleResponseSet` becomes a 0/1 indicator:
for a dichotomy set, "this option's variable holds the counted value"; for a category set, "one
of the set's variables holds this code". The base is the respondents who answered the question,
those with at least one non-missing variable in the set; for everyone else the indicator is
missing, so they stay in the design with zero domain weight (never dropped), as R's
``svymean(~I(x), subset(design, answered))``. The share choosing option k is the weighted mean
of its indicator over that domain, with its design-based standard error from the one engine
(:func:`~citizensfirst.estimation.estimators.mean`) and a logit interval (as proportions).
Shares of different options do not add up to 100 %: a respondent may choose several.

>>> import pandas as pd
>>> from citizensfirst import Design
>>> from citizensfirst.io.mrsets import MultipleResponseSet
>>> df = pd.DataFrame({"web": [1, 1, 0, None], "phone": [0, 1, 1, None]})
>>> est = multiple_response(Design(df), MultipleResponseSet("ch", ("web", "phone"), counted_value=1))
>>> est.table[["variable", "level", "estimate", "n"]].values.tolist()
[['ch', 'web', 0.6666666666666666, 3], ['ch', 'phone', 0.6666666666666666, 3]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..i18n import LANGUAGES
from ..io.codes import normalize_code
from ..io.mrsets import MultipleResponseSet, check_mr_sets
from .estimators import mean
from .labels import ResultLabels

if TYPE_CHECKING:
    from ..design.facade import Design
    from .quality import QualityRules
    from .result import Estimate

#: prefix of the indicator columns added to the working design
INDICATOR_PREFIX = "__citizensfirst_mr__"


@dataclass(frozen=True)
class Options:
    """The options of a set on one design: keys, labels per language, indicators, answered rows."""

    keys: list[Any]  # dichotomy: the variable names; category: the codes
    labels: dict[str, list[str]]  # language -> one label per option
    indicators: pd.DataFrame  # one 0/1 column per option, NaN for those who did not answer
    answered: np.ndarray  # bool: at least one non-missing variable of the set

    @property
    def columns(self) -> list[str]:
        """The indicator column names, one per option.

        Returns
        -------
        list of str
            The columns of :attr:`indicators`.
        """
        return list(self.indicators.columns)


def resolve_set(design: Design, mr_set: str | MultipleResponseSet) -> MultipleResponseSet:
    """The set ``mr_set`` names in the design's codebook (or the record given), checked on the data.

    Parameters
    ----------
    design : Design
        The design.
    mr_set : str or MultipleResponseSet
        A set name of ``design.codebook.mr_sets``, or a set.

    Returns
    -------
    MultipleResponseSet
        The set.

    Raises
    ------
    DataError
        If the name is not a set of the codebook.
    CodebookError
        If a variable of the set is not a column or the variables mix types.
    """
    if isinstance(mr_set, MultipleResponseSet):
        found = mr_set
    else:
        sets = design.codebook.mr_sets if design.codebook is not None else {}
        if mr_set not in sets:
            known = ", ".join(sets) or "none"
            raise DataError(f"{design.source}: {mr_set!r} is not a multiple-response set of the codebook "
                            f"(sets: {known}); declare it in the codebook's [mr_sets] table or pass a "
                            f"MultipleResponseSet")
        found = sets[mr_set]
    check_mr_sets({found.name: found}, design.frame, source=design.source)
    return found


def _value_labels(design: Design, variables: Sequence[str], language: str) -> dict[Any, str]:
    out: dict[Any, str] = {}
    if design.codebook is None:
        return out
    for name in reversed(variables):  # the first variable's labels win
        out.update(design.codebook.get_variable(name).value_labels_in(language))
    return out


def _plain(code: Any) -> str:
    return str(int(code)) if isinstance(code, float) and code.is_integer() else str(code)


def set_options(design: Design, mr_set: MultipleResponseSet) -> Options:
    """The options of ``mr_set`` on ``design``'s data: keys, EN/FR labels and 0/1 indicators.

    Parameters
    ----------
    design : Design
        The design (its frame and codebook).
    mr_set : MultipleResponseSet
        The set, checked against the data.

    Returns
    -------
    Options
        The options; category sets list the codes observed among the answers, in code order.

    Raises
    ------
    DataError
        If nobody answered the question.
    """
    frame = design.frame[list(mr_set.variables)]
    answered = frame.notna().any(axis=1).to_numpy()
    if not answered.any():
        raise DataError(f"{design.source}: nobody answered multiple-response set {mr_set.name!r} "
                        f"(every variable of {list(mr_set.variables)} is missing)")
    if mr_set.kind == "dichotomy":
        keys: list[Any] = list(mr_set.variables)
        counted = mr_set.counted_value
        chosen = [frame[v].to_numpy(dtype=object) == counted if isinstance(counted, str)
                  else pd.to_numeric(frame[v], errors="coerce").to_numpy() == counted for v in keys]
        codebook = design.codebook
        labels = {lang: [codebook.get_variable(v).label_in(lang) if codebook is not None else v for v in keys]
                  for lang in LANGUAGES}
    else:
        values = frame.to_numpy(dtype=object)
        observed = pd.unique(pd.Series(values[answered].ravel()).dropna())
        keys = sorted((normalize_code(v) for v in observed),
                      key=lambda v: (1, str(v)) if isinstance(v, str) else (0, float(v)))
        chosen = [(values == key).any(axis=1) for key in keys]
        labels = {lang: [_value_labels(design, mr_set.variables, lang).get(k, _plain(k)) for k in keys]
                  for lang in LANGUAGES}
    names = [f"{INDICATOR_PREFIX}{mr_set.name}__{i}" for i in range(len(keys))]
    indicators = pd.DataFrame({name: np.where(answered, np.asarray(c, dtype=float), np.nan)
                               for name, c in zip(names, chosen, strict=True)}, index=frame.index)
    return Options(keys, labels, indicators, answered)


def multiple_response(
    design: Design,
    mr_set: str | MultipleResponseSet,
    *,
    by: str | Sequence[str] | None = None,
    deff: str | None = "auto",
    level: float = 0.95,
    df: float | None = None,
    rules: QualityRules | None = None,
) -> Estimate:
    """The share of answerers choosing each option of a multiple-response set (per domain).

    Parameters
    ----------
    design : Design
        The survey design.
    mr_set : str or MultipleResponseSet
        A set of the design's codebook (by name), or a set.
    by : str or sequence of str, optional
        Domain variables: one set of shares per domain.
    deff : {"auto", "srswor", "replace", None}, default "auto"
        Reference design of the design effect.
    level : float, default 0.95
        Confidence level of the logit intervals.
    df : float, optional
        Degrees of freedom of the intervals (default: the design's).
    rules : QualityRules, optional
        Quality (suppression) rules for the flags.

    Returns
    -------
    Estimate
        Statistic ``"proportion"``; ``variable`` is the set's name, ``level`` the option (its
        variable for a dichotomy set, its code for a category set), labelled in ``to_frame``;
        ``n`` counts the answerers of each domain.

    Raises
    ------
    DataError
        If the set is unknown or nobody answered.
    CodebookError
        If the set does not fit the data.
    """
    found = resolve_set(design, mr_set)
    options = set_options(design, found)
    work = design.evolve(data=design.frame.assign(**options.indicators))
    est = mean(work, options.columns, by=by, deff=deff, level=level, df=df, rules=rules)
    limits = est.conf_int(method="logit")
    table = est.table.copy()
    table["ci_low"], table["ci_high"] = limits["ci_low"].to_numpy(), limits["ci_high"].to_numpy()
    key_of = dict(zip(options.columns, options.keys, strict=True))
    table.insert(list(table.columns).index("variable") + 1, "level", table["variable"].map(key_of))
    table["variable"] = found.name
    old = est.value_labels
    labels = ResultLabels(
        variables={**old.variables, found.name: {lang: found.label_in(lang) for lang in LANGUAGES}},
        values={**old.values, found.name: {lang: dict(zip(options.keys, options.labels[lang], strict=True))
                                           for lang in LANGUAGES}},
        coded_levels=True)
    return replace(est, statistic="proportion", table=table, ci_method="logit", value_labels=labels)
