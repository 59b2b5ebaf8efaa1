"""The GREG residualiser of a calibrated lazy design, from sums.

In memory (:class:`~citizensfirst.weighting.calibration.GregResiduals`) the residual of a score
``z`` is ``z - g w0 x' B`` with ``B = (X' W0 X)^-1 sum_j x_j z_j / g_j`` over the columns of ``X``
that are not collinear (``|R_jj| > 1e-7 max |R_jj|`` in the QR of ``X sqrt(w0)``). Here
``X' W0 X`` is one query, the same columns are kept (``|R_jj|`` from the cross-product, see
:func:`qr_diagonal`), and every unit's ``sum g w0 x`` is one query grouped by the units; an
estimate then needs only ``sum_j x_j z_j / g_j`` per domain (one query,
:func:`~citizensfirst.lazy.calibration_sums.calibrated_unit_totals`).

>>> import numpy as np
>>> x = np.array([[1.0, 1, 2], [1, 0, 1], [1, 1, 2], [1, 0, 1]])
>>> (qr_diagonal(x.T @ x) > 1e-7).tolist()
[True, True, False]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .calibration_sums import GregSums, sparse_unit_table

if TYPE_CHECKING:
    from .design import LazyDesign

__all__ = ["greg_residuals", "qr_diagonal"]

_KEEP = 1e-7  # as GregResiduals.build


def qr_diagonal(gram: np.ndarray) -> np.ndarray:
    """``|R_jj|`` of the QR decomposition of a matrix ``A`` given ``A' A``.

    ``R_jj`` is the length of column ``j`` once the earlier columns are projected out, so it
    comes from the Schur complements of the cross-product (collinear columns get ~0).

    Parameters
    ----------
    gram : numpy.ndarray
        The (p, p) cross-product ``A' A``.

    Returns
    -------
    numpy.ndarray
        The (p,) diagonal.
    """
    p = len(gram)
    diag = np.zeros(p)
    basis: list[int] = []
    for j in range(p):
        resid = float(gram[j, j])
        if basis:
            c = gram[basis, j]
            resid -= float(c @ np.linalg.solve(gram[np.ix_(basis, basis)], c))
        diag[j] = np.sqrt(max(resid, 0.0))
        if diag[j] > 1e-10 * np.sqrt(max(float(gram[j, j]), 0.0)) and diag[j] > 0:
            basis.append(j)
    return diag


def _inverse(gram: np.ndarray) -> np.ndarray:
    """Inverse of a positive definite matrix, equilibrated (columns of very different scales)."""
    d = 1 / np.sqrt(np.diag(gram))
    return d[:, None] * np.linalg.inv(d[:, None] * gram * d[None, :]) * d[None, :]


def greg_residuals(design: LazyDesign, columns: list[str], base: str, g: str,
                   cells: tuple[list[str], pd.DataFrame, np.ndarray, np.ndarray, np.ndarray] | None = None,
                   gram: np.ndarray | None = None) -> GregSums:
    """The GREG residualiser of a calibration (row-level ``x``, or cluster means with ``cells``).

    Parameters
    ----------
    design : LazyDesign
        The Taylor design before calibration.
    columns : list of str
        SQL of the model columns.
    base : str
        SQL of the weight before calibration.
    g : str
        SQL of the g-weight (row-level calibration).
    cells : tuple or None, optional
        For cluster means: (key columns, table of clusters, their means of x, their mean weight,
        their g).
    gram : numpy.ndarray or None, optional
        ``X' W0 X`` when already known (else one query).

    Returns
    -------
    GregSums
        The residualiser.
    """
    if cells is None:
        if gram is None:
            p = len(columns)
            products = {f"g{j}_{k}": f"SUM({base} * {columns[j]} * {columns[k]})" for j in range(p) for k in range(j, p)}
            answer = design.backend.aggregate(products).iloc[0]
            gram = np.zeros((p, p))
            for j in range(p):
                for k in range(j, p):
                    gram[j, k] = gram[k, j] = float(answer[f"g{j}_{k}"])
        keep = _kept(gram)
        kept = [columns[j] for j in keep]
        clusters = design.clusters
        assert clusters is not None, "a Taylor design"
        unit_sums = design.backend.aggregate({f"u{t}": f"SUM({base} * {g} * {x})" for t, x in enumerate(kept)},
                                             by=list(clusters.keys))
        units = np.zeros((len(clusters.frame), len(kept)))
        units[clusters.positions(unit_sums)] = unit_sums[[f"u{t}" for t in range(len(kept))]].to_numpy(dtype=float)
        return GregSums((), pd.DataFrame(index=[0]), tuple(f"({x} / {g})" for x in kept),
                        _inverse(gram[np.ix_(keep, keep)]), np.eye(len(kept))[:, None, :], units)
    keys, frame, xc, wc, gc = cells
    n = frame["__cf_n"].to_numpy(dtype=float)
    gram = (xc * (n * wc)[:, None]).T @ xc
    keep = _kept(gram)
    x = xc[:, keep]
    counts = sparse_unit_table(design, keys, frame[keys], "1.0")
    units = np.asarray(counts @ (x * (gc * wc)[:, None]))
    x_over_g: Any = (x / gc[:, None]).T[:, :, None]
    return GregSums(tuple(keys), frame[keys], ("1.0",), _inverse(gram[np.ix_(keep, keep)]), x_over_g, units)


def _kept(gram: np.ndarray) -> list[int]:
    diag = qr_diagonal(gram)
    return [int(j) for j in np.flatnonzero(diag > _KEEP * diag.max())] if diag.size else []
