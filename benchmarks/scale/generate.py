"""Write an ACS-like person file of any size to one Parquet file, chunk by chunk.

Usage::

    python benchmarks/scale/generate.py --rows 20000000 --out /work/scale-data/acs_20m.parquet \
        --seed 20261130 --chunk-rows 500000

The file is written with :class:`pyarrow.parquet.ParquetWriter`, one row group per chunk, so memory
stays bounded by ``--chunk-rows`` whatever ``--rows`` is. The contents depend only on ``--rows`` and
``--seed``: the rows are drawn in fixed blocks of ``BLOCK_ROWS`` rows, each block from its own
random stream (``numpy.random.default_rng([seed, block])``), and the design layout (states, strata,
PSUs) is a small table computed once; the chunk size only decides how blocks are cut into row groups.

Columns (ACS-like; see the README for the meaning):

- ``ST`` (int16): state FIPS code, 52 domains (50 states, DC, Puerto Rico); sample sizes roughly
  proportional to population (``population ** 0.9``: small states slightly oversampled, as in the ACS).
- ``stratum`` (int32), ``psu`` (int32): globally unique ids; strata nested in states, 2-4 PSUs per
  stratum, about ``PSU_ROWS`` rows per PSU (20,000 PSUs and ~6,700 strata at 20M rows), or a fixed
  number of PSUs whatever the rows (``--psus``: the design's PSUs are a choice of the survey, not a
  function of the file's size; ``--psus 2000`` gives the 2M file's 1,998 PSUs at any size).
- ``PWGTP`` (int32): base weight, positive integer; the weights sum to about 331 million.
- ``PWGTP1`` ... ``PWGTP80`` (int32): successive-difference replicate weights, as the ACS:
  ``round(PWGTP * f)`` with ``f = 1 + 2**-1.5 * (H[a, r] - H[b, r])``, ``H`` a Hadamard matrix of
  order 80 whose row 0 is all ones, and the row pair ``(a, b)`` cycling through rows 1..79 with the
  file order (``a = 1 + i % 79``, ``b = 1 + (i + 1) % 79``). Every row therefore has exactly 40
  replicates equal to its base weight, 20 above and 20 below by the same amount, so the 80 replicate
  weights of a row sum to exactly ``80 * PWGTP``. Variance: ``4/80 * sum_r (theta_r - theta)^2``
  (R ``svrepdesign(type="successive-difference", mse=TRUE)``).
- analysis variables: ``income``, ``earnings``, ``hours``, ``commute`` (float32, continuous, ~5%
  NULL each), ``employed``, ``insured``, ``poverty`` (int8 0/1, no NULLs), ``sat_service``,
  ``sat_health``, ``sat_transit`` (int8 ratings 1-5, ~3% NULL each).
- raking margins: ``ST`` (52), ``agegrp`` (int8 1-5), ``sex`` (int8 1-2), ``educ`` (int8 1-4);
  :func:`raking_margins` gives population totals for them.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

BLOCK_ROWS = 65_536
PSU_ROWS = 1_000
N_REPLICATES = 80
US_POPULATION = 331_000_000

# (FIPS, postal code, population in thousands, 2020 census, rounded)
STATES: tuple[tuple[int, str, int], ...] = (
    (1, "AL", 5024), (2, "AK", 733), (4, "AZ", 7152), (5, "AR", 3012), (6, "CA", 39538),
    (8, "CO", 5774), (9, "CT", 3606), (10, "DE", 990), (11, "DC", 690), (12, "FL", 21538),
    (13, "GA", 10712), (15, "HI", 1455), (16, "ID", 1839), (17, "IL", 12813), (18, "IN", 6786),
    (19, "IA", 3190), (20, "KS", 2938), (21, "KY", 4506), (22, "LA", 4658), (23, "ME", 1362),
    (24, "MD", 6177), (25, "MA", 7030), (26, "MI", 10077), (27, "MN", 5706), (28, "MS", 2961),
    (29, "MO", 6154), (30, "MT", 1084), (31, "NE", 1962), (32, "NV", 3105), (33, "NH", 1378),
    (34, "NJ", 9289), (35, "NM", 2118), (36, "NY", 20201), (37, "NC", 10439), (38, "ND", 779),
    (39, "OH", 11799), (40, "OK", 3959), (41, "OR", 4237), (42, "PA", 13003), (44, "RI", 1097),
    (45, "SC", 5119), (46, "SD", 887), (47, "TN", 6911), (48, "TX", 29146), (49, "UT", 3272),
    (50, "VT", 643), (51, "VA", 8631), (53, "WA", 7705), (54, "WV", 1794), (55, "WI", 5894),
    (56, "WY", 577), (72, "PR", 3286),
)

# sample shares of the margin variables (the file) and population shares (the raking targets)
AGE_SAMPLE = (0.20, 0.17, 0.20, 0.22, 0.21)
AGE_POP = (0.22, 0.20, 0.20, 0.20, 0.18)
SEX_SAMPLE = (0.47, 0.53)
SEX_POP = (0.49, 0.51)
EDUC_SAMPLE = (0.25, 0.28, 0.27, 0.20)
EDUC_POP = (0.30, 0.28, 0.25, 0.17)

CONTINUOUS = ("income", "earnings", "hours", "commute")
INDICATORS = ("employed", "insured", "poverty")
RATINGS = ("sat_service", "sat_health", "sat_transit")
ANALYSIS = CONTINUOUS + INDICATORS + RATINGS
MARGINS = ("ST", "agegrp", "sex", "educ")
REPLICATES = tuple(f"PWGTP{r}" for r in range(1, N_REPLICATES + 1))


def schema() -> pa.Schema:
    """The file's Arrow schema, in column order."""
    fields = [
        pa.field("ST", pa.int16(), nullable=False),
        pa.field("stratum", pa.int32(), nullable=False),
        pa.field("psu", pa.int32(), nullable=False),
        pa.field("agegrp", pa.int8(), nullable=False),
        pa.field("sex", pa.int8(), nullable=False),
        pa.field("educ", pa.int8(), nullable=False),
        pa.field("PWGTP", pa.int32(), nullable=False),
        *(pa.field(name, pa.int32(), nullable=False) for name in REPLICATES),
        *(pa.field(name, pa.float32()) for name in CONTINUOUS),
        *(pa.field(name, pa.int8(), nullable=False) for name in INDICATORS),
        *(pa.field(name, pa.int8()) for name in RATINGS),
    ]
    return pa.schema(fields)


def hadamard80() -> np.ndarray:
    """A Hadamard matrix of order 80 (Paley construction I, q = 79) with row 0 all ones."""
    q = 79
    residues = np.zeros(q, dtype=bool)
    residues[(np.arange(1, q) ** 2) % q] = True
    diff = (np.arange(q)[None, :] - np.arange(q)[:, None]) % q  # j - i
    jac = np.where(diff == 0, 0, np.where(residues[diff], 1, -1))  # Jacobsthal matrix
    h = np.empty((q + 1, q + 1), dtype=np.int64)
    h[0, :] = 1
    h[1:, 0] = -1
    h[1:, 1:] = jac + np.eye(q, dtype=np.int64)
    # rows 1..79 signed alternately (still Hadamard, row sums still 0) so that no column is
    # constant over them (Paley's column 0 is): every replicate then perturbs the weights
    h[1:] *= np.where(np.arange(1, q + 1) % 2 == 0, 1, -1)[:, None]
    return h


def replicate_factors() -> np.ndarray:
    """The 79 successive-difference factor patterns, shape (79, 80): row k for units ``i % 79 == k``."""
    h = hadamard80().astype(float)
    a = 1 + np.arange(79)
    b = 1 + (np.arange(79) + 1) % 79
    return 1.0 + 2.0 ** -1.5 * (h[a] - h[b])


def _largest_remainder(shares: np.ndarray, total: int, minimum: int) -> np.ndarray:
    """Integers proportional to ``shares``, each at least ``minimum``, summing to ``total``."""
    spare = total - minimum * shares.size
    if spare < 0:
        raise ValueError(f"--rows {total} is too small: at least {minimum * shares.size} needed")
    exact = shares / shares.sum() * spare
    out = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[: spare - out.sum()]] += 1
    return out + minimum


@dataclass(frozen=True)
class Layout:
    """The design layout: one entry per PSU (all small arrays)."""

    rows: int
    psu_start: np.ndarray  # first row of each PSU (file order), length n_psu
    psu_state: np.ndarray  # index into STATES
    psu_stratum: np.ndarray  # global stratum id (0-based)
    psu_effect: np.ndarray  # PSU random effect (cluster correlation)
    state_weight: np.ndarray  # mean base weight of each state (population / sample rows)

    @property
    def n_psu(self) -> int:
        """Number of PSUs."""
        return int(self.psu_start.size)

    @property
    def n_strata(self) -> int:
        """Number of strata."""
        return int(self.psu_stratum.max()) + 1


def layout(rows: int, seed: int, psus: int | None = None) -> Layout:
    """States, strata and PSUs for a file of ``rows`` rows (deterministic in ``rows``, ``seed``,
    ``psus``): about ``PSU_ROWS`` rows per PSU, or about ``psus`` PSUs in all."""
    per_psu = PSU_ROWS if psus is None else rows / psus
    rng = np.random.default_rng([seed, 2**31])  # a stream of its own, apart from the row blocks
    pop = np.array([s[2] for s in STATES], dtype=float) * 1000.0
    state_rows = _largest_remainder(pop**0.9, rows, minimum=2 * 200)
    starts: list[np.ndarray] = []
    states: list[np.ndarray] = []
    strata: list[np.ndarray] = []
    next_stratum = 0
    offset = 0
    for s, n_s in enumerate(state_rows):
        n_psu = max(2, round(n_s / per_psu))
        n_strata = max(1, round(n_psu / 3))
        # PSUs per stratum: n_psu // n_strata or one more, the extra ones on random strata (2-4 each)
        per = np.full(n_strata, n_psu // n_strata)
        per[rng.permutation(n_strata)[: n_psu - per.sum()]] += 1
        strata.append(next_stratum + np.repeat(np.arange(n_strata), per))
        next_stratum += n_strata
        sizes = _largest_remainder(rng.gamma(20.0, 1.0, n_psu), int(n_s), minimum=1)
        starts.append(offset + np.concatenate([[0], np.cumsum(sizes)[:-1]]))
        states.append(np.full(n_psu, s))
        offset += int(n_s)
    psu_start = np.concatenate(starts)
    return Layout(
        rows=rows,
        psu_start=psu_start,
        psu_state=np.concatenate(states),
        psu_stratum=np.concatenate(strata),
        psu_effect=rng.normal(0.0, 0.25, psu_start.size),
        state_weight=pop / state_rows * (US_POPULATION / pop.sum()),
    )


def _categorical(rng: np.random.Generator, probs: tuple[float, ...], n: int) -> np.ndarray:
    return (np.searchsorted(np.cumsum(probs)[:-1], rng.random(n), side="right") + 1).astype(np.int8)


def _nullable(values: np.ndarray, missing: np.ndarray, kind: pa.DataType) -> pa.Array:
    return pa.array(values, type=kind, mask=missing)


def block(lay: Layout, index: int, seed: int, factors: np.ndarray) -> pa.Table:
    """Rows ``index * BLOCK_ROWS`` ... of the file, as an Arrow table (the unit of randomness)."""
    first = index * BLOCK_ROWS
    n = min(BLOCK_ROWS, lay.rows - first)
    g = np.arange(first, first + n, dtype=np.int64)
    rng = np.random.default_rng([seed, index])
    psu = np.searchsorted(lay.psu_start, g, side="right") - 1
    state = lay.psu_state[psu]
    eff = lay.psu_effect[psu]
    age = _categorical(rng, AGE_SAMPLE, n)
    sex = _categorical(rng, SEX_SAMPLE, n)
    educ = _categorical(rng, EDUC_SAMPLE, n)
    # base weight: state level, heavier for the young and for men (the usual nonresponse pattern)
    age_f = 1.25 - 0.1 * np.arange(1, 6)
    sex_f = np.array([1.1, 0.95])
    level = (lay.state_weight[state] * age_f[age - 1] / np.dot(age_f, AGE_SAMPLE)
             * sex_f[sex - 1] / np.dot(sex_f, SEX_SAMPLE))
    w = np.maximum(1, np.rint(level * np.exp(rng.normal(0.0, 0.35, n) - 0.35**2 / 2))).astype(np.int32)
    pattern = factors[g % 79].T  # (80, n)
    reps = np.rint(pattern * w).astype(np.int32)

    x = 0.25 * (educ - 2.5) + 0.15 * (age - 3) + eff
    employed = (rng.random(n) < 1 / (1 + np.exp(-(0.6 + x - 0.4 * (age == 5))))).astype(np.int8)
    income = np.exp(10.4 + 0.6 * x + rng.normal(0.0, 0.8, n))
    earnings = np.where(employed == 1, income * rng.uniform(0.5, 1.0, n), 0.0)
    hours = np.where(employed == 1, np.clip(rng.normal(39.0, 9.0, n), 1, 99).round(), 0.0)
    commute = rng.gamma(2.0, 12.0, n) * np.exp(0.5 * eff)
    insured = (rng.random(n) < 1 / (1 + np.exp(-(2.0 + x)))).astype(np.int8)
    poverty = (rng.random(n) < 1 / (1 + np.exp(-(-2.0 - 1.2 * x)))).astype(np.int8)
    continuous = {"income": income, "earnings": earnings, "hours": hours, "commute": commute}
    ratings = {
        name: np.clip(np.rint(rng.normal(3.4 + shift + 0.8 * eff, 1.1, n)), 1, 5).astype(np.int8)
        for name, shift in zip(RATINGS, (0.2, 0.0, -0.3), strict=True)
    }
    columns: list[pa.Array] = [
        pa.array(np.array([s[0] for s in STATES], dtype=np.int16)[state]),
        pa.array(lay.psu_stratum[psu].astype(np.int32)),
        pa.array(psu.astype(np.int32)),
        pa.array(age), pa.array(sex), pa.array(educ), pa.array(w),
        *(pa.array(reps[r]) for r in range(N_REPLICATES)),
        *(_nullable(continuous[name].astype(np.float32), rng.random(n) < 0.05, pa.float32())
          for name in CONTINUOUS),
        pa.array(employed), pa.array(insured), pa.array(poverty),
        *(_nullable(ratings[name], rng.random(n) < 0.03, pa.int8()) for name in RATINGS),
    ]
    return pa.Table.from_arrays(columns, schema=schema())


def raking_margins(total: float = float(US_POPULATION)) -> dict[str, dict[int, float]]:
    """Population totals of the four raking margins (state, age group, sex, education)."""
    pop = np.array([s[2] for s in STATES], dtype=float)
    return {
        "ST": {s[0]: float(total * p / pop.sum()) for s, p in zip(STATES, pop, strict=True)},
        "agegrp": {k + 1: total * p for k, p in enumerate(AGE_POP)},
        "sex": {k + 1: total * p for k, p in enumerate(SEX_POP)},
        "educ": {k + 1: total * p for k, p in enumerate(EDUC_POP)},
    }


def write(rows: int, out: Path, seed: int, chunk_rows: int, psus: int | None = None) -> Layout:
    """Write the file, one row group of ``chunk_rows`` rows at a time; return its layout."""
    if rows < 1 or chunk_rows < 1 or (psus is not None and psus < 2):
        raise ValueError("--rows and --chunk-rows must be positive, --psus at least 2")
    lay = layout(rows, seed, psus)
    factors = replicate_factors()
    metadata = {b"generator": b"benchmarks/scale/generate.py", b"rows": str(rows).encode(),
                b"seed": str(seed).encode(), b"psus": str(lay.n_psu).encode(),
                b"strata": str(lay.n_strata).encode()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    cached: tuple[int, pa.Table] | None = None
    with pq.ParquetWriter(tmp, schema().with_metadata(metadata), compression="zstd") as writer:
        for start in range(0, rows, chunk_rows):
            stop = min(rows, start + chunk_rows)
            pieces = []
            for b in range(start // BLOCK_ROWS, (stop - 1) // BLOCK_ROWS + 1):
                if cached is None or cached[0] != b:
                    cached = (b, block(lay, b, seed, factors))
                lo = max(start, b * BLOCK_ROWS) - b * BLOCK_ROWS
                hi = min(stop, (b + 1) * BLOCK_ROWS) - b * BLOCK_ROWS
                pieces.append(cached[1].slice(lo, hi - lo))
            writer.write_table(pa.concat_tables(pieces), row_group_size=stop - start)
    tmp.replace(out)
    return lay


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--rows``, ``--out``, ``--seed``, ``--chunk-rows``, ``--psus``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--psus", type=int, default=None,
                        help=f"about this many PSUs in all (default: one per {PSU_ROWS:,} rows)")
    args = parser.parse_args(argv)
    lay = write(args.rows, args.out, args.seed, args.chunk_rows, args.psus)
    size = args.out.stat().st_size / 2**30
    print(f"{args.out}: {args.rows:,} rows, {len(schema())} columns, {lay.n_psu:,} PSUs in "
          f"{lay.n_strata:,} strata, {len(STATES)} states, {size:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
