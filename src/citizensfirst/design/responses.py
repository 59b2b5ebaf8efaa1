"""The multiple-response method of :class:`~citizensfirst.Design` (check-all-that-apply questions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..estimation import multiresponse
from .setup import DesignBase

if TYPE_CHECKING:
    from ..estimation.quality import QualityRules
    from ..estimation.result import Estimate
    from ..io.mrsets import MultipleResponseSet


class MultipleResponseMethods(DesignBase):
    """Estimating multiple-response sets on a design."""

    def multiple_response(
        self,
        mr_set: str | MultipleResponseSet,
        *,
        by: str | Sequence[str] | None = None,
        deff: str | None = "auto",
        level: float = 0.95,
        df: float | None = None,
        rules: QualityRules | None = None,
    ) -> Estimate:
        """The share of answerers choosing each option of a multiple-response set.

        The base is the respondents with at least one non-missing variable in the set; the
        others stay in the design with zero domain weight. Each share has its design-based
        standard error and a logit interval; the shares do not add up to 100 %.

        Parameters
        ----------
        mr_set : str or MultipleResponseSet
            A set of the codebook (``codebook.mr_sets``), by name, or a set.
        by : str or sequence of str, optional
            Domain variables: one set of shares per domain.
        deff : {"auto", "srswor", "replace", None}, default "auto"
            Reference design of the design effect.
        level : float, default 0.95
            Confidence level.
        df : float, optional
            Degrees of freedom of the intervals (default: the design's).
        rules : QualityRules, optional
            Quality (suppression) rules for the flags.

        Returns
        -------
        Estimate
            One row per option (per domain): ``variable`` is the set, ``level`` the option.

        Raises
        ------
        DataError
            If the set is unknown or nobody answered.
        CodebookError
            If the set names a variable that is not a column.

        See Also
        --------
        citizensfirst.estimation.multiresponse.multiple_response

        Examples
        --------
        >>> import pandas as pd
        >>> from citizensfirst import Design
        >>> from citizensfirst.io.mrsets import MultipleResponseSet
        >>> df = pd.DataFrame({"web": [1, 1, 0, None], "phone": [0, 1, 1, None]})
        >>> s = MultipleResponseSet("ch", ("web", "phone"), counted_value=1)
        >>> Design(df).multiple_response(s).table["n"].tolist()
        [3, 3]
        """
        return multiresponse.multiple_response(
            self._as_design(), mr_set, by=by, deff=deff, level=level, df=df, rules=rules,
        )
