"""The variance kernels: one for Taylor linearisation, one for replicate weights.

Every estimator reduces to *influence totals*: for each sampled cluster, the sum over its
respondents of the estimator's influence (linearised) values. The Taylor kernel turns those into a
covariance matrix with the recursive multistage formula of R's ``survey`` package
(``svyrecvar``): at each stage, within each stratum ``h`` with ``n_h`` sampled clusters out of
``N_h``, the centred cluster totals contribute

    (1 - n_h / N_h) * n_h / (n_h - 1) * sum_c (z_c - mean_h z)(z_c - mean_h z)^T

and, when a finite population correction is given, the next stage's variance inside each cluster
is added, multiplied by the sampling fraction ``n_h / N_h`` of every stage above it. Without an
fpc the design is treated as with-replacement at the first stage (ultimate clusters). Strata with a
single PSU follow ``lonely_psu`` exactly as ``options(survey.lonely.psu=...)`` does in R.

The replicate kernel is ``V = scale * sum_r rscales[r] (theta_r - centre)(theta_r - centre)^T``,
``centre`` being the full-sample estimate when ``mse`` is true, else the mean of the replicates.

>>> import numpy as np
>>> stage = Stage.build(np.arange(4), np.zeros(4, dtype=int), popsize=None)
>>> taylor = TaylorStructure((stage,))
>>> scores = np.array([[1.0], [-1.0], [2.0], [-2.0]])
>>> float(taylor.vcov(taylor.cluster_totals(scores), taylor.present(np.ones(4, bool)))[0, 0])
13.333333333333332
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse

from ..errors import DesignError
from .groups import group_sums

LONELY_PSU_RULES = ("fail", "adjust", "average", "remove", "certainty")
CERTAINTY_TOLERANCE = 1e-7  # as R: a stratum whose fpc factor is below this contributes nothing
# The rank of (n x R) replicate weights is taken on a CountSketch with this many rows per
# replicate (a random signed sum of rows per bucket), which keeps the rank with probability ~1
# and costs one sparse product instead of an n x R factorisation.
SKETCH_ROWS_PER_REPLICATE = 20


@dataclass(frozen=True)
class Stage:
    """One sampling stage as integer codes.

    ``cluster`` gives each row's cluster (0..C-1, unique across the whole design and nested in
    its stratum and in the cluster of the stage above); ``stratum_of_cluster`` the stratum
    (0..H-1) of each cluster; ``n_sampled`` and ``popsize`` the design's sampled and population
    number of clusters per stratum (``popsize`` None: sampled with replacement); and
    ``parent_of_stratum`` the cluster of the stage above that holds each stratum (stage 2 on).
    """

    cluster: np.ndarray
    stratum_of_cluster: np.ndarray
    n_sampled: np.ndarray
    popsize: np.ndarray | None
    parent_of_stratum: np.ndarray | None = None
    stratum_labels: tuple[str, ...] = field(default=())

    @property
    def n_clusters(self) -> int:
        """Number of clusters in the stage.

        Returns
        -------
        int
            The number of clusters (C).
        """
        return len(self.stratum_of_cluster)

    @property
    def n_strata(self) -> int:
        """Number of strata in the stage.

        Returns
        -------
        int
            The number of strata (H).
        """
        return len(self.n_sampled)

    @classmethod
    def build(
        cls,
        cluster: np.ndarray,
        stratum: np.ndarray,
        popsize: np.ndarray | None,
        parent_cluster: np.ndarray | None = None,
        stratum_labels: Sequence[str] = (),
    ) -> Stage:
        """Build a stage from per-row integer codes (clusters already nested in strata).

        ``popsize`` is per row (constant within strata) or None.

        Parameters
        ----------
        cluster : numpy.ndarray
            Cluster code (0..C-1) of every row.
        stratum : numpy.ndarray
            Stratum code (0..H-1) of every row.
        popsize : numpy.ndarray or None
            Population number of clusters of every row's stratum, or None (with replacement).
        parent_cluster : numpy.ndarray or None, optional
            Cluster of the stage above of every row (stage 2 on).
        stratum_labels : sequence of str, optional
            Stratum labels, for messages.

        Returns
        -------
        Stage
            The stage.
        """
        n_clusters = int(cluster.max()) + 1 if len(cluster) else 0
        n_strata = int(stratum.max()) + 1 if len(stratum) else 0
        stratum_of_cluster = np.zeros(n_clusters, dtype=np.int64)
        stratum_of_cluster[cluster] = stratum
        n_sampled = np.bincount(stratum_of_cluster, minlength=n_strata).astype(float)
        pop = None
        if popsize is not None:
            pop = np.zeros(n_strata)
            pop[stratum] = popsize
        parent = None
        if parent_cluster is not None:
            parent = np.zeros(n_strata, dtype=np.int64)
            parent[stratum] = parent_cluster
        return cls(cluster, stratum_of_cluster, n_sampled, pop, parent, tuple(stratum_labels))


@dataclass(frozen=True)
class TaylorStructure:
    """The sampling structure used by the Taylor-linearisation kernel."""

    stages: tuple[Stage, ...]
    lonely_psu: str = "fail"
    adjust_domain_lonely: bool = False

    @property
    def used_stages(self) -> tuple[Stage, ...]:
        """Stages that contribute: all with fpcs given, else only the first (with replacement).

        Returns
        -------
        tuple of Stage
            The stages used by the variance.
        """
        used = [self.stages[0]]
        for stage in self.stages[1:]:
            if used[-1].popsize is None or stage.popsize is None:
                break
            used.append(stage)
        return tuple(used)

    def cluster_totals(self, scores: np.ndarray, rows: np.ndarray | None = None) -> list[np.ndarray]:
        """Per used stage, the (C_s, k) sums of ``scores`` within clusters.

        ``rows`` (indices) says which rows ``scores`` belongs to; all rows when None.

        Parameters
        ----------
        scores : numpy.ndarray
            Scores, shape (n,) or (n, k).
        rows : numpy.ndarray or None, optional
            Row indices the scores belong to (None: all rows).

        Returns
        -------
        list of numpy.ndarray
            One (C_s, k) array per used stage.
        """
        scores = scores.reshape(len(scores), -1)
        out = []
        for stage in self.used_stages:
            codes = stage.cluster if rows is None else stage.cluster[rows]
            out.append(group_sums(codes, scores, stage.n_clusters))
        return out

    def present(self, in_domain: np.ndarray) -> list[np.ndarray]:
        """Per used stage, which clusters hold at least one row of the domain (boolean mask).

        Parameters
        ----------
        in_domain : numpy.ndarray
            Boolean mask of the domain's rows.

        Returns
        -------
        list of numpy.ndarray
            One boolean mask over the clusters per used stage.
        """
        return [
            np.bincount(stage.cluster[in_domain], minlength=stage.n_clusters) > 0
            for stage in self.used_stages
        ]

    def degrees_of_freedom(self, in_domain: np.ndarray) -> int:
        """Design df as R's ``degf``: PSUs minus strata among the domain's rows.

        Parameters
        ----------
        in_domain : numpy.ndarray
            Boolean mask of the domain's rows.

        Returns
        -------
        int
            First-stage PSUs minus strata that hold a domain row.
        """
        stage = self.stages[0]
        clusters = np.bincount(stage.cluster[in_domain], minlength=stage.n_clusters) > 0
        strata = np.bincount(stage.stratum_of_cluster[clusters], minlength=stage.n_strata) > 0
        return int(clusters.sum() - strata.sum())

    def domain_degrees_of_freedom(self, codes: np.ndarray, n_domains: int) -> np.ndarray:
        """:meth:`degrees_of_freedom` of every domain at once (one pass over the rows).

        Parameters
        ----------
        codes : numpy.ndarray
            Domain (0..n_domains-1) of every row, ``-1`` for rows in no domain.
        n_domains : int
            Number of domains.

        Returns
        -------
        numpy.ndarray
            First-stage PSUs minus strata that hold a row of each domain.
        """
        stage = self.stages[0]
        inside = codes >= 0
        cells = np.bincount(stage.cluster[inside] * n_domains + codes[inside],
                            minlength=stage.n_clusters * n_domains).reshape(stage.n_clusters, n_domains) > 0
        strata = group_sums(stage.stratum_of_cluster, cells.astype(float), stage.n_strata) > 0
        return cells.sum(axis=0) - strata.sum(axis=0)

    def vcov(self, totals: Sequence[np.ndarray], present: Sequence[np.ndarray], *,
             diagonal: bool = False) -> np.ndarray:
        """Covariance matrix from cluster totals (see the module docstring for the formula).

        Parameters
        ----------
        totals : sequence of numpy.ndarray
            Cluster totals per used stage, from :meth:`cluster_totals`.
        present : sequence of numpy.ndarray
            Clusters holding the domain per used stage, from :meth:`present`.
        diagonal : bool, default False
            Only the variances (the matrix's diagonal, as a vector): no covariance is computed.

        Returns
        -------
        numpy.ndarray
            The (k, k) covariance matrix, or its diagonal (k,).
        """
        k = totals[0].shape[1]
        vcov = np.zeros(k) if diagonal else np.zeros((k, k))
        stages = self.used_stages
        factor = np.ones(stages[0].n_strata)
        for position, (stage, x, pres) in enumerate(zip(stages, totals, present, strict=True)):
            vcov += self._stage_vcov(stage, x, pres, factor, diagonal)
            if position + 1 < len(stages):
                # the sampling fraction of this stage multiplies every variance below it
                fraction = factor * stage.n_sampled / stage.popsize
                nxt = stages[position + 1]
                assert nxt.parent_of_stratum is not None
                factor = fraction[stage.stratum_of_cluster][nxt.parent_of_stratum]
        return vcov

    def _stage_vcov(
        self, stage: Stage, x: np.ndarray, present: np.ndarray, factor: np.ndarray, diagonal: bool
    ) -> np.ndarray:
        h_of_c = stage.stratum_of_cluster
        n_h = stage.n_sampled
        f_h = _fpc_factor(stage)
        scale = np.where(n_h > 1, f_h * n_h / np.maximum(n_h - 1, 1), f_h)
        n_present = np.bincount(h_of_c, weights=present.astype(float), minlength=stage.n_strata)
        stratum_present = n_present > 0
        certain = f_h < CERTAINTY_TOLERANCE
        lonely = (n_h == 1) & stratum_present & ~certain
        rule = self.lonely_psu
        if rule == "fail" and lonely.any():
            names = ", ".join(_label(stage, h) for h in np.flatnonzero(lonely)[:10])
            raise DesignError(
                f"stratum ({names}) has only one PSU; choose lonely_psu='adjust', 'average', "
                "'remove' or 'certainty' (Design(..., lonely_psu=...) or design.options(...))"
            )
        domain_lonely = (n_present == 1) & (n_h > 1) & stratum_present & ~certain
        uncentred = (rule == "adjust") & (n_present <= 1) & ((n_h == 1) | self.adjust_domain_lonely)
        unusable = (rule == "average") & (lonely | (domain_lonely & self.adjust_domain_lonely))
        parent = stage.parent_of_stratum if stage.parent_of_stratum is not None else np.zeros(
            stage.n_strata, dtype=np.int64
        )
        n_parent = int(parent.max()) + 1 if len(parent) else 0
        counted = np.bincount(parent, weights=stratum_present.astype(float), minlength=n_parent)
        usable = np.bincount(
            parent, weights=(stratum_present & ~unusable).astype(float), minlength=n_parent
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            rescale = np.where(usable > 0, counted / usable, 0.0)
        weight = np.where(stratum_present & ~certain & ~unusable, scale, 0.0) * factor * rescale[parent]
        if sparse.issparse(x):
            return _sparse_quadratic(x, h_of_c, n_h, weight, uncentred, stage.n_strata, diagonal)
        return _dense_quadratic(x, h_of_c, n_h, weight, uncentred, stage.n_strata, diagonal)


def _dense_quadratic(x: np.ndarray, h_of_c: np.ndarray, n_h: np.ndarray, weight: np.ndarray,
                     uncentred: np.ndarray, n_strata: int, diagonal: bool = False) -> np.ndarray:
    """``sum_h w_h sum_c (x_c - m_h)(x_c - m_h)^T`` for dense (clusters x items) totals (only
    its diagonal when ``diagonal``).

    Items that are zero on every cluster of a stratum add nothing there, so strata are taken in
    groups sharing the same set of nonzero items and each group's product is restricted to
    those items: for domains that follow the strata (a domain per province) this is one small
    product per domain instead of one product over every cluster and every domain's items.
    """
    k = x.shape[1]
    groups: list[tuple[np.ndarray, np.ndarray | slice]] = [(np.ones(n_strata, dtype=bool), slice(None))]
    if diagonal:  # column sums of squares: one pass, no product to restrict
        means = group_sums(h_of_c, x, n_strata) / n_h[:, None]
        centred = x - np.where(uncentred[:, None], 0.0, means)[h_of_c]
        return np.einsum("ij,ij->j", centred * weight[h_of_c][:, None], centred)
    if k > 1 and np.isfinite(x).all():  # (a NaN spreads over its whole row and column: one product)
        nonzero = group_sums(h_of_c, (x != 0).view(np.int8), n_strata) > 0
        patterns, group_of_stratum = np.unique(nonzero, axis=0, return_inverse=True)
        if len(patterns) > 1 or not patterns[0].all():
            group_of_stratum = group_of_stratum.reshape(-1)
            groups = [(group_of_stratum == g, np.flatnonzero(p)) for g, p in enumerate(patterns) if p.any()]
    out = np.zeros((k, k))
    for strata, items in groups:
        clusters = np.flatnonzero(strata[h_of_c]) if not strata.all() else slice(None)
        sub = x[clusters, items] if isinstance(items, slice) else x[clusters][:, items]
        h_sub = h_of_c[clusters]
        means = group_sums(h_sub, sub, n_strata) / n_h[:, None]
        centred = sub - np.where(uncentred[:, None], 0.0, means)[h_sub]
        weighted = centred * weight[h_sub][:, None]
        block = weighted.T @ centred
        if isinstance(items, slice):
            out += block
        else:
            out[np.ix_(items, items)] += block
    return out


def _sparse_quadratic(x: sparse.csr_matrix, h_of_c: np.ndarray, n_h: np.ndarray, weight: np.ndarray,
                      uncentred: np.ndarray, n_strata: int, diagonal: bool = False) -> np.ndarray:
    """``sum_h w_h sum_c (x_c - m_h)(x_c - m_h)^T`` for sparse cluster totals (many PSUs; only
    its diagonal when ``diagonal``).

    Uses ``sum_c (x_c - m)(x_c - m)^T = sum_c x_c x_c^T - n_h m m^T`` so the (PSUs x items)
    matrix is never made dense.
    """
    member = sparse.csr_matrix((np.ones(len(h_of_c)), (h_of_c, np.arange(len(h_of_c)))),
                               shape=(n_strata, len(h_of_c)))
    means = np.asarray((member @ x).todense()) / n_h[:, None]
    means[uncentred] = 0.0
    weighted = sparse.diags(weight[h_of_c]) @ x
    if diagonal:
        return np.asarray(x.multiply(weighted).sum(axis=0)).ravel() - (means * means * (weight * n_h)[:, None]).sum(axis=0)
    cross = np.asarray((x.T @ weighted).todense())
    return cross - (means * (weight * n_h)[:, None]).T @ means


def _fpc_factor(stage: Stage) -> np.ndarray:
    if stage.popsize is None:
        return np.ones(stage.n_strata)
    pop = stage.popsize
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isinf(pop), 1.0, (pop - stage.n_sampled) / pop)


def _certain(stage: Stage) -> np.ndarray:
    return _fpc_factor(stage) < CERTAINTY_TOLERANCE


def _label(stage: Stage, h: int) -> str:
    return str(stage.stratum_labels[h]) if h < len(stage.stratum_labels) else str(h)


# --------------------------------------------------------------------------- replicate weights


@dataclass(frozen=True)
class ReplicateWeights:
    """Replicate weights, stored compactly when they are per-cluster multipliers.

    Either ``group`` (n,) maps each row to a row of ``multipliers`` (G, R) and a replicate's
    analysis weight is ``base_weight * multipliers[group, r]`` (as made by ``as_replicate``), or
    ``group`` is None and ``multipliers`` holds the (n, R) analysis weights themselves.
    """

    method: str
    multipliers: np.ndarray
    scale: float
    rscales: np.ndarray
    mse: bool = False
    group: np.ndarray | None = None
    rho: float | None = None

    @property
    def n_replicates(self) -> int:
        """Number of replicates.

        Returns
        -------
        int
            The number of replicates (R).
        """
        return self.multipliers.shape[1]

    def weighted_totals(self, values: np.ndarray, rows: np.ndarray | slice,
                        weights: np.ndarray) -> np.ndarray:
        """(R, k) replicate totals ``sum_i a_ir * values_i`` over ``rows``.

        ``rows`` selects rows (integer positions, a boolean mask or a slice); ``values`` is
        (number of rows selected, k); ``weights`` the full-sample analysis weights of all rows.

        Parameters
        ----------
        values : numpy.ndarray
            Values of the selected rows, shape (number of rows selected,) or (number of rows selected, k).
        rows : numpy.ndarray or slice
            The rows selected.
        weights : numpy.ndarray
            Full-sample analysis weights of all rows.

        Returns
        -------
        numpy.ndarray
            The (R, k) replicate totals.
        """
        values = values.reshape(values.shape[0], -1)
        if self.group is None:
            return self.multipliers[rows].T @ values
        by_group = group_sums(self.group[rows], values * weights[rows][:, None], len(self.multipliers))
        return self.multipliers.T @ by_group

    def analysis_weights(self, weights: np.ndarray) -> np.ndarray:
        """The (n, R) replicate analysis weights (materialised; use sparingly on big data).

        Parameters
        ----------
        weights : numpy.ndarray
            Full-sample analysis weights of all rows.

        Returns
        -------
        numpy.ndarray
            The (n, R) replicate analysis weights.
        """
        if self.group is None:
            return self.multipliers
        return self.multipliers[self.group] * weights[:, None]

    def degrees_of_freedom(self, in_domain: np.ndarray) -> int:
        """Rank of the domain's replicate weights minus one, as R's ``degf`` (tolerance 1e-5).

        Parameters
        ----------
        in_domain : numpy.ndarray
            Boolean mask of the domain's rows.

        Returns
        -------
        int
            The replicate degrees of freedom.
        """
        if self.group is not None:
            return numerical_rank(self.multipliers[np.unique(self.group[in_domain])]) - 1
        key = hashlib.sha1(np.packbits(in_domain).tobytes()).hexdigest()
        if key not in self._rank_cache:
            self._rank_cache[key] = self._rank(in_domain)
        return self._rank_cache[key] - 1

    @cached_property
    def _rank_cache(self) -> dict[str, int]:
        return {}

    def _rank(self, in_domain: np.ndarray) -> int:
        n_rows = int(in_domain.sum())
        buckets = SKETCH_ROWS_PER_REPLICATE * self.n_replicates
        if n_rows <= buckets:
            return numerical_rank(self.multipliers[in_domain])
        # A sample of rows cannot have a larger rank than all rows: when it already reaches the
        # number of replicates (the usual case), or a domain's sample reaches the rank of the
        # whole design's replicates, that is the rank. Otherwise sketch every row.
        rows = np.flatnonzero(in_domain)
        sample = np.random.default_rng(20261126).choice(rows, size=buckets, replace=False)
        found = numerical_rank(self.multipliers[np.sort(sample)])
        if found == self.n_replicates or (len(rows) < len(in_domain) and found == self._full_rank):
            return found
        bucket, sign = self._sketch  # the domain's rows only: O(domain rows x R), one column at a time
        every = len(rows) == len(in_domain)
        bucket, sign = (bucket, sign) if every else (bucket[rows], sign[rows])
        sketch = np.column_stack([
            np.bincount(bucket, weights=sign * (column if every else column[rows]), minlength=buckets)
            for column in self.multipliers.T])
        return numerical_rank(sketch)

    @cached_property
    def _full_rank(self) -> int:
        """Rank of every row's replicate weights (a domain's rank cannot exceed it)."""
        return self.degrees_of_freedom(np.ones(self.multipliers.shape[0], dtype=bool)) + 1

    @cached_property
    def _sketch(self) -> tuple[np.ndarray, np.ndarray]:
        """CountSketch of the rows (bucket and sign per row), fixed seed: rank-preserving."""
        rng = np.random.default_rng(20261126)
        n_rows = int(self.multipliers.shape[0])
        buckets = SKETCH_ROWS_PER_REPLICATE * self.n_replicates
        return rng.integers(0, buckets, n_rows), rng.choice(np.array([-1.0, 1.0]), n_rows)

    def vcov(self, thetas: np.ndarray, full: np.ndarray, *, diagonal: bool = False) -> np.ndarray:
        """Replicate covariance of estimates: ``thetas`` (R, m) replicates, ``full`` (m,).

        Parameters
        ----------
        thetas : numpy.ndarray
            Replicate estimates, shape (R, m); replicates with a NaN are left out.
        full : numpy.ndarray
            Full-sample estimates (m,), the centre when ``mse`` is True.
        diagonal : bool, default False
            Only the variances (the diagonal, as a vector).

        Returns
        -------
        numpy.ndarray
            The (m, m) covariance matrix, or its diagonal (m,).
        """
        thetas = thetas.reshape(self.n_replicates, -1)
        ok = ~np.isnan(thetas).any(axis=1)
        rscales = self.rscales[ok]
        thetas = thetas[ok]
        if self.mse:
            centre = np.asarray(full, dtype=float).reshape(-1)
        else:
            centre = thetas[rscales > 0].mean(axis=0)
        dev = (thetas - centre) * np.sqrt(rscales)[:, None]
        return self.scale * ((dev * dev).sum(axis=0) if diagonal else dev.T @ dev)


def numerical_rank(matrix: np.ndarray, tol: float = 1e-5) -> int:
    """Rank of ``matrix`` with singular values below ``tol`` x the largest treated as zero.

    Columns are scaled to unit length first, in the spirit of R's ``qr(x, tol=1e-5)$rank``; tall
    matrices go through their (R x R) Gram matrix so the cost is one pass over the rows.

    Parameters
    ----------
    matrix : numpy.ndarray
        The matrix.
    tol : float, default 1e-5
        Relative tolerance on the singular values.

    Returns
    -------
    int
        The numerical rank.

    Examples
    --------
    >>> numerical_rank(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]))
    1
    """
    if matrix.size == 0:
        return 0
    norms = np.linalg.norm(matrix, axis=0)
    scaled = matrix[:, norms > 0] / norms[norms > 0]
    if scaled.size == 0:
        return 0
    if scaled.shape[0] > 4 * scaled.shape[1]:
        eigen = np.clip(np.linalg.eigvalsh(scaled.T @ scaled), 0.0, None)
        singular = np.sqrt(eigen)[::-1]
    else:
        singular = np.linalg.svd(scaled, compute_uv=False)
    return int((singular > tol * singular[0]).sum())
