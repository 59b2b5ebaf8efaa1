"""Study and Trend: harmonised independent waves, estimates by wave and change tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..display import facts_html, facts_text, weighting_steps
from ..errors import DataError, HarmonizationError
from ..estimation.engine import describe
from ..estimation.intervals import independent_difference
from ..estimation.result import Estimate
from ..estimation.scores import DEFAULT_SQS_RATINGS, bottom_box, service_quality_score, top_box
from .rules import Wave, wave_key
from .spec import STATS, HarmonizationSpec, harmonize, load_spec
from .trend import Trend

if TYPE_CHECKING:
    from ..design.facade import Design


class Study:
    """Independent waves of a survey, harmonised to common variables.

    ``designs``: ``{wave: Design}`` (each with its own weights, strata, PSUs and weighting);
    ``harmonization``: a :class:`HarmonizationSpec`, a dict, or a TOML path (None: the waves
    already share names). ``strict`` overrides the spec's strict setting.

    Parameters
    ----------
    designs : mapping of (int or str) to Design
        The design of each wave.
    harmonization : HarmonizationSpec or mapping or str or Path or None, optional
        The harmonisation spec; None when the waves already share names.
    strict : bool or None, optional
        Override of the spec's strict setting.

    Raises
    ------
    HarmonizationError
        When there is no wave, a wave is not in the spec, or harmonising a wave fails.

    Examples
    --------
    >>> import pandas as pd
    >>> from citizensfirst import Design
    >>> s = Study({2020: Design(pd.DataFrame({"q": [1.0, 3.0]})),
    ...            2023: Design(pd.DataFrame({"q": [2.0, 4.0]}))})
    >>> s.waves, s.estimate("q")[2023].estimate
    ((2020, 2023), 3.0)
    """

    def __init__(
        self,
        designs: Mapping[Wave, Design],
        harmonization: HarmonizationSpec | Mapping[str, Any] | str | Path | None = None,
        *,
        strict: bool | None = None,
    ) -> None:
        if not designs:
            raise HarmonizationError("a Study needs at least one wave")
        keyed = {wave_key(w): d for w, d in designs.items()}
        try:
            order = sorted(keyed)
        except TypeError:
            order = list(keyed)
        self._spec = None if harmonization is None else load_spec(harmonization)
        if self._spec is not None and self._spec.waves is not None:
            unknown = [w for w in order if w not in self._spec.waves]
            if unknown:
                raise HarmonizationError(
                    f"{self._spec.source}: wave(s) {unknown} are not in the spec's waves "
                    f"{list(self._spec.waves)}"
                )
        self._raw = MappingProxyType({w: keyed[w] for w in order})
        self._designs = MappingProxyType({
            w: (keyed[w] if self._spec is None else harmonize(keyed[w], self._spec, w, strict=strict))
            for w in order
        })

    @property
    def waves(self) -> tuple[Wave, ...]:
        """The waves, in order.

        Returns
        -------
        tuple of (int or str)
            The wave keys.
        """
        return tuple(self._designs)

    @property
    def designs(self) -> Mapping[Wave, Design]:
        """The harmonised design of every wave.

        Returns
        -------
        Mapping of (int or str) to Design
            Wave -> harmonised design.
        """
        return self._designs

    @property
    def spec(self) -> HarmonizationSpec | None:
        """The harmonisation spec (None when the waves already share names).

        Returns
        -------
        HarmonizationSpec or None
            The spec.
        """
        return self._spec

    def __getitem__(self, wave: Wave) -> Design:
        """The harmonised design of ``wave``.

        Parameters
        ----------
        wave : int or str
            The wave.

        Returns
        -------
        Design
            Its harmonised design.
        """
        return self._designs[wave_key(wave)]

    def facts(self) -> list[tuple[str, str]]:
        """What the study holds, as ``(name, value)`` pairs: the harmonisation, then each wave's design.

        Returns
        -------
        list of (str, str)
            One pair for the harmonisation and one per wave (rows, design, weighting steps).

        Examples
        --------
        >>> from citizensfirst import Design
        >>> s = Study({2020: Design(pd.DataFrame({"q": [1.0, 3.0]}))})
        >>> s.facts()[1]
        ('wave 2020', '2 rows; no strata, no clusters')
        """
        spec = self._spec
        facts = [("harmonisation", "none (the waves share names)" if spec is None
                  else f"{Path(spec.source).name} ({len(spec.variables)} common variables)")]
        for wave, design in self._designs.items():
            steps = weighting_steps(design.history)
            facts.append((f"wave {wave}", f"{len(design.frame):,} rows; {describe(design)}"
                          + (f"; weighting: {', '.join(steps)}" if steps else "")))
        return facts

    def __repr__(self) -> str:
        return facts_text(f"<Study: {len(self._designs)} waves>", self.facts())

    def _repr_html_(self) -> str:
        return facts_html(f"Study: {len(self._designs)} waves", self.facts())

    def has(self, variable: str | Sequence[str], wave: Wave) -> bool:
        """True when ``wave`` asked ``variable`` (not absent in the spec and in its data).

        Parameters
        ----------
        variable : str or sequence of str
            The variable(s); all must be asked.
        wave : int or str
            The wave.

        Returns
        -------
        bool
            Whether the wave asked every variable.
        """
        names = [variable] if isinstance(variable, str) else list(variable)
        design = self._designs[wave]
        for name in names:
            if self._spec is not None and self._spec.is_absent(name, wave):
                return False
            if name not in design.frame.columns:
                return False
        return True

    def scale(self, variable: str) -> tuple[float, float]:
        """The common rating scale of ``variable`` (spec first, else the latest wave's codebook).

        Parameters
        ----------
        variable : str
            The common variable.

        Returns
        -------
        tuple of (float, float)
            The ``(low, high)`` scale.

        Raises
        ------
        DataError
            When no scale is known.
        """
        found = self._scale(self._designs[self.waves[-1]], variable)
        if found is None:
            raise DataError(f"no rating scale known for {variable!r}; give one in the harmonization spec")
        return found

    def label(self, variable: str, language: str = "en") -> str:
        """The wording of ``variable`` in ``language``: the harmonisation spec's, else the latest wave's
        codebook's (in French, the codebook's French label comes before the spec's English one).

        Parameters
        ----------
        variable : str
            The common variable.
        language : str, default "en"
            ``"en"`` or ``"fr"``.

        Returns
        -------
        str
            The label (the variable name when none is known).
        """
        common = self._spec[variable] if self._spec is not None and variable in self._spec else None
        if common is not None and language == "fr" and common.label_fr:
            return common.label_fr
        codebook = self._designs[self.waves[-1]].codebook
        coded = codebook[variable] if codebook is not None and variable in codebook else None
        if language == "fr" and coded is not None and coded.label_fr:  # before the spec's English wording
            return coded.label_fr
        if common is not None and common.label:
            return common.label
        return coded.label_in(language) if coded is not None else variable

    def _scale(self, design: Design, name: str) -> tuple[float, float] | None:
        if self._spec is not None and name in self._spec and self._spec[name].scale is not None:
            return self._spec[name].scale
        codebook = design.codebook
        found = codebook.get_variable(name).scale if codebook is not None else None
        return None if found is None else (float(found[0]), float(found[1]))

    def _one(self, design: Design, variable: Any, stat: str, by: Any, **kwargs: Any) -> Estimate:
        match = STATS.match(stat)
        if match is None:
            raise DataError(f"stat must be 'mean', 'sqs', 'topK' or 'bottomK' (e.g. 'top2'), got {stat!r}")
        if stat == "mean":
            return design.mean(variable, by=by, **kwargs)
        if stat == "sqs":
            ratings = list(DEFAULT_SQS_RATINGS) if variable in (None, "sqs") else (
                [variable] if isinstance(variable, str) else list(variable))
            scale = self._scale(design, ratings[0]) or (1.0, 5.0)
            return service_quality_score(design, ratings, scale, by, **kwargs)
        if not isinstance(variable, str):
            raise DataError(f"stat={stat!r} needs one variable, got {variable!r}")
        k = int(match.group(3))
        box = top_box if match.group(2) == "top" else bottom_box
        return box(design, variable, k, self._scale(design, variable), by=by, **kwargs)

    def _variables(self, variable: Any, stat: str) -> list[str]:
        if stat == "sqs" and variable in (None, "sqs"):
            return list(DEFAULT_SQS_RATINGS)
        return [variable] if isinstance(variable, str) else list(variable)

    def estimate(
        self,
        variable: str | Sequence[str] | None,
        stat: str = "mean",
        by: str | Sequence[str] | None = None,
        **kwargs: Any,
    ) -> dict[Wave, Estimate]:
        """``{wave: Estimate}`` for every wave that asked ``variable``, each from its own design.

        ``stat``: ``"mean"``, ``"topK"`` / ``"bottomK"`` (share in the top/bottom K scale points,
        e.g. ``"top2"``; the scale comes from the spec or the codebook) or ``"sqs"`` (Service
        Quality Score; ``variable`` lists the service ratings, None for svc1..3_sat). Other
        keyword arguments (``level``, ``df``, ``rules``, ...) go to the estimator.

        Parameters
        ----------
        variable : str or sequence of str or None
            The variable (or, for ``"sqs"``, the service ratings; None for the default ones).
        stat : str, default "mean"
            ``"mean"``, ``"topK"``, ``"bottomK"`` or ``"sqs"``.
        by : str or sequence of str or None, optional
            Domain variable(s).
        **kwargs : Any
            Passed to the estimator.

        Returns
        -------
        dict of (int or str) to Estimate
            One estimate per wave that asked ``variable``.

        Raises
        ------
        DataError
            When ``stat`` is unknown or no wave has ``variable``.
        """
        names = self._variables(variable, stat)
        out = {}
        for wave, design in self._designs.items():
            if self.has(names, wave):
                out[wave] = self._one(design, variable, stat, by, **kwargs)
        if not out:
            raise DataError(f"no wave of the study has {variable!r}")
        return out

    def trend(
        self,
        variable: str | Sequence[str] | None,
        by: str | Sequence[str] | None = None,
        stat: str = "mean",
        compare: str | Sequence[tuple[Wave, Wave]] = "consecutive",
        level: float = 0.95,
        df: float | None = None,
    ) -> Trend:
        """Per-wave estimates and the changes between waves (see :class:`Trend`).

        ``compare``: ``"consecutive"`` (each wave that asked the item against the previous one
        that did), ``"first"`` (every wave against the first) or a list of ``(from, to)`` pairs.
        The change is to - from; its SE is ``sqrt(se_from^2 + se_to^2)`` because the waves are
        independent samples; the t test and CI use ``df`` (default: the smaller of the two
        waves' design degrees of freedom for that domain; ``np.inf`` for a normal test).
        Domains (``by``) are compared only where both waves have them.

        Parameters
        ----------
        variable : str or sequence of str or None
            The variable (a sequence or None only for ``stat="sqs"``).
        by : str or sequence of str or None, optional
            Domain variable(s).
        stat : str, default "mean"
            ``"mean"``, ``"topK"``, ``"bottomK"`` or ``"sqs"``.
        compare : str or sequence of tuple, default "consecutive"
            ``"consecutive"``, ``"first"`` or a list of ``(from, to)`` wave pairs.
        level : float, default 0.95
            Confidence level of the intervals and tests.
        df : float or None, optional
            Degrees of freedom of the change tests; None uses the smaller design df of the pair.

        Returns
        -------
        Trend
            The per-wave estimates and the changes.

        Raises
        ------
        DataError
            When the variable or comparison is invalid, or no wave has the variable.
        """
        if stat != "sqs" and not isinstance(variable, str):
            raise DataError(f"trend takes one variable (stat={stat!r}), got {variable!r}")
        estimates = self.estimate(variable, stat, by, level=level)
        by_cols = list(next(iter(estimates.values())).by)
        frames = []
        for wave, est in estimates.items():
            table = est.table
            part = table[by_cols + ["estimate", "se", "ci_low", "ci_high", "n", "df", "flag"]].copy()
            part.insert(0, "wave", wave)
            frames.append(part)
        per_wave = pd.concat(frames, ignore_index=True)
        present = list(estimates)
        pairs = self._pairs(compare, present, variable)
        rows = []
        for a, b in pairs:
            left = per_wave[per_wave["wave"] == a].drop(columns="wave")
            right = per_wave[per_wave["wave"] == b].drop(columns="wave")
            if by_cols:
                merged = left.merge(right, on=by_cols, suffixes=("_from", "_to"))
            else:
                merged = left.add_suffix("_from").reset_index(drop=True).join(
                    right.add_suffix("_to").reset_index(drop=True))
            merged.insert(0, "to_wave", b)
            merged.insert(0, "from_wave", a)
            rows.append(merged)
        columns = (["from_wave", "to_wave"] + by_cols
                   + ["estimate_from", "estimate_to", "change", "se", "ci_low", "ci_high", "t", "df",
                      "p_value", "significant"])
        if rows:
            merged = pd.concat(rows, ignore_index=True)
            changes = _change_tests(merged, level, df)[columns]
        else:
            changes = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        notes = []
        missing = [w for w in self._designs if w not in estimates]
        if missing:
            notes.append(f"not asked in wave(s) {missing}")
        notes += self._rescale_notes(self._variables(variable, stat), pairs)
        name = "sqs" if stat == "sqs" else (variable if isinstance(variable, str) else ",".join(variable or []))
        return Trend(str(name), stat, per_wave, changes.reset_index(drop=True), tuple(by_cols),
                     level, tuple(notes), MappingProxyType(dict(estimates)))

    def _rescale_notes(self, names: list[str], pairs: list[tuple[Wave, Wave]]) -> list[str]:
        """A warning for each compared wave whose item was rescaled from another scale."""
        if self._spec is None:
            return []
        notes = []
        compared = sorted({w for pair in pairs for w in pair}, key=list(self._designs).index)
        for name in names:
            if name not in self._spec:
                continue
            var = self._spec[name]
            for wave in compared:
                rescale = var.rule(wave).rescale
                if rescale is not None:
                    (a, b), (c, d) = rescale
                    notes.append(
                        f"{name} was asked on {a:g}-{b:g} in wave {wave} and rescaled linearly to "
                        f"{c:g}-{d:g}: changes involving wave {wave} mix any real change with the "
                        "change of scale"
                    )
        return notes

    def _pairs(self, compare: Any, present: list[Wave], variable: Any) -> list[tuple[Wave, Wave]]:
        if isinstance(compare, str):
            if compare == "consecutive":
                return list(zip(present, present[1:], strict=False))
            if compare == "first":
                return [(present[0], w) for w in present[1:]]
            raise DataError(f"compare must be 'consecutive', 'first' or a list of (from, to) pairs, got {compare!r}")
        pairs = []
        for pair in compare:
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise DataError(f"compare pairs must be (from_wave, to_wave), got {pair!r}")
            a, b = (wave_key(w) for w in pair)
            for w in (a, b):
                if w not in self._designs:
                    raise DataError(f"wave {w!r} is not in the study (waves {list(self._designs)})")
                if w not in present:
                    raise DataError(f"{variable!r} was not asked in wave {w!r}; it cannot be compared")
            if a == b:
                raise DataError(f"cannot compare wave {a!r} with itself")
            pairs.append((a, b))
        return pairs


def _change_tests(merged: pd.DataFrame, level: float, df: float | None) -> pd.DataFrame:
    """Each row's change ``to - from`` tested by the one test of estimates from independent
    designs (:func:`~citizensfirst.estimation.intervals.independent_difference`)."""
    test = independent_difference(merged["estimate_from"], merged["se_from"], merged["df_from"],
                                  merged["estimate_to"], merged["se_to"], merged["df_to"], level, df)
    out = merged.assign(change=test["difference"].to_numpy(), se=test["se"].to_numpy(),
                        ci_low=test["ci_low"].to_numpy(), ci_high=test["ci_high"].to_numpy(),
                        t=test["t"].to_numpy(), df=test["df"].to_numpy(), p_value=test["p"].to_numpy())
    out["significant"] = np.nan_to_num(out["p_value"].to_numpy(), nan=1.0) < 1 - level
    return out
