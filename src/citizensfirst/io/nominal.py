"""Warning when a nominal variable (category codes, not quantities) is averaged or used as a driver."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import NominalVariableWarning

if TYPE_CHECKING:
    from .codebook import Codebook


def warn_if_nominal(codebook: Codebook | None, data: pd.DataFrame, names: Iterable[str], use: str,
                    *, stacklevel: int = 3) -> None:
    """Warn (:class:`NominalVariableWarning`) for each of ``names`` the codebook calls nominal.

    A nominal variable holds codes, not quantities (province 10, 24, 35...), so averaging it or
    using it as a driver treats the codes as numbers. A 0/1 indicator is exempt: its mean is a
    proportion. ``use`` says what is done with the variable ("mean()", "a driver", ...).

    Parameters
    ----------
    codebook : Codebook or None
        The codebook (None: no warning).
    data : pandas.DataFrame
        The data, to exempt 0/1 indicators.
    names : iterable of str
        The variables used.
    use : str
        What is done with them, as said in the warning.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn`.

    Examples
    --------
    >>> from citizensfirst.io.codebook import Codebook, Variable
    >>> cb = Codebook([Variable("prov", measure="nominal")])
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_if_nominal(cb, pd.DataFrame({"prov": [24, 35]}), ["prov"], "mean()")
    >>> caught[0].category.__name__
    'NominalVariableWarning'
    """
    if codebook is None:
        return
    nominal = [n for n in names if n in codebook and codebook[n].measure == "nominal" and n in data.columns]
    if not nominal:
        return
    values = data[nominal]
    indicator = (values.isin([0, 1]) | values.isna()).all()
    for name in indicator.index[~indicator.to_numpy()]:
        warnings.warn(
            f"{name!r} is nominal in the codebook (its values are category codes, not quantities), "
            f"yet it is used in {use}; use proportion() for its categories or recode it into 0/1 "
            f"indicators",
            NominalVariableWarning,
            stacklevel=stacklevel,
        )
