"""Timing of exact Shapley (LMG) driver importance; a script, not a test.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_drivers.py [--rows 100000] [--replicates 200]

For p = 8, 12, 15 drivers on ``--rows`` weighted rows it times
:func:`citizensfirst.drivers.driver_importance` (exact Shapley) without and with ``--replicates``
bootstrap-like replicate weight columns, and the pieces (weighted moments, all-subsets R^2).  If
the third-party package ``dominance-analysis`` is importable (it is not a dependency: it pins old
numpy), the same unweighted analysis is timed through it and the ratio printed; ``--dominance-max-p``
limits which p it is tried at, because it refits one regression per subset.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from citizensfirst import drivers as drv


def make_data(n: int, p: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    mix = rng.normal(scale=0.3, size=(p, p)) + np.eye(p)
    x = np.clip(np.round(3 + rng.normal(size=(n, p)) @ mix), 1, 5)
    names = [f"driver_{j:02d}" for j in range(p)]
    df = pd.DataFrame(x, columns=names)
    df["overall"] = x @ rng.uniform(0, 1, size=p) + rng.normal(scale=2.0, size=n)
    w = rng.gamma(2.0, 1.0, size=n)
    return df, w, names


def bootstrap_replicates(w: np.ndarray, n_rep: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(1.0, size=(w.size, n_rep)) * w[:, None]


def timed(func, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--p", type=int, nargs="+", default=[8, 12, 15])
    parser.add_argument("--dominance-max-p", type=int, default=12)
    args = parser.parse_args()

    try:
        from dominance_analysis import Dominance  # type: ignore[import-not-found]
    except ImportError:
        Dominance = None
        print("dominance-analysis is not installed: skipping the comparison")

    warnings.simplefilter("ignore", drv.CollinearityWarning)
    print(f"rows = {args.rows}, replicate columns = {args.replicates}")
    header = (
        f"{'p':>3} {'subsets':>8} {'moments':>9} {'all R2':>9} {'shapley':>9} "
        f"{'total':>9} {'total+rep':>10} {'dominance-analysis':>19} {'ratio':>7}"
    )
    print(header)
    for p in args.p:
        df, w, names = make_data(args.rows, p)
        rep = bootstrap_replicates(w, args.replicates)
        X = df[[*names, "overall"]].to_numpy()
        _, cov = drv.weighted_moments(X, w)
        t_mom = timed(lambda X=X, w=w: drv.weighted_moments(X, w), repeat=3)
        t_r2 = timed(lambda cov=cov, p=p: drv.r2_all_subsets(cov, p), repeat=3)
        table = drv.r2_all_subsets(cov, p)
        t_shap = timed(lambda table=table, p=p: drv.shapley_lmg(table, p), repeat=3)
        t_total = timed(
            lambda df=df, w=w, names=names: drv.driver_importance(df, "overall", names, w),
            repeat=3,
        )
        t_rep = timed(
            lambda df=df, w=w, names=names, rep=rep: drv.driver_importance(
                df,
                "overall",
                names,
                w,
                replicate_weights=rep,
                replicate_scale=1.0 / (rep.shape[1] - 1),
            ),
            repeat=2 if p <= 15 else 1,
        )
        t_dom = ratio = "-"
        if Dominance is not None and p <= args.dominance_max_p:
            data = df[[*names, "overall"]]
            start = time.perf_counter()
            try:
                model = Dominance(data=data, target="overall", objective=1, top_k=p)
                model.incremental_rsquare()
            except Exception as err:  # a third-party package: report, do not stop
                t_dom = f"failed: {type(err).__name__}"
            else:
                elapsed = time.perf_counter() - start
                t_dom, ratio = f"{elapsed:.3f}s", f"{elapsed / t_total:.0f}x"
        print(
            f"{p:>3} {1 << p:>8} {t_mom:>8.3f}s {t_r2:>8.4f}s {t_shap:>8.4f}s "
            f"{t_total:>8.3f}s {t_rep:>9.3f}s {t_dom:>19} {ratio:>7}"
        )


if __name__ == "__main__":
    main()
