"""Time and memory of one EM iteration: emlib against scikit-learn, in the same run.

For every (n, d, k) of the grid, both libraries start from the same parameters (full
covariance, float64) and run one E-step plus one M-step:

* emlib: :func:`emlib.em_iteration` (what ``GaussianMixture.fit`` runs);
* scikit-learn: ``GaussianMixture._e_step`` then ``_m_step``, the body of its fit loop.

Reported: the best of ``--repeat`` wall times, their ratio, the extra peak memory of the
iteration (above the data, measured with :mod:`tracemalloc`, which sees numpy's
allocations), and the largest difference between the two results.

Usage::

    python benchmarks/bench_em.py                 # the full grid, writes a markdown table
    python benchmarks/bench_em.py --quick         # a tiny grid, to check that it runs
    python benchmarks/bench_em.py --out benchmarks/README.md
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import statistics
import time
import tracemalloc
import warnings

import numpy as np

import emlib

GRID = {"n": [10_000, 100_000, 1_000_000], "d": [2, 10, 50], "k": [3, 10]}
QUICK_GRID = {"n": [2_000], "d": [2, 5], "k": [3]}


def make_problem(n: int, d: int, k: int, seed: int = 0):
    """Data from k separated Gaussians and shared starting parameters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    resp = rng.dirichlet(np.ones(k) * 0.3, size=min(n, 5000))
    params = emlib.m_step(X[: resp.shape[0]], resp, "full")
    return X, params


def sklearn_model(params):
    from sklearn.mixture import GaussianMixture

    gm = GaussianMixture(params.n_components, covariance_type="full")
    gm.weights_ = np.array(params.weights)
    gm.means_ = np.array(params.means)
    gm.covariances_ = np.array(params.covariances)
    gm.precisions_cholesky_ = np.array(params.precisions_cholesky)
    return gm


def run_emlib(X, params):
    step = emlib.em_iteration(X, params)
    return step.params.weights, step.params.means, step.params.covariances


def run_sklearn(X, gm):
    _, log_resp = gm._e_step(X)
    gm._m_step(X, log_resp)
    return gm.weights_, gm.means_, gm.covariances_


def best_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def extra_peak_bytes(fn) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def measure(n: int, d: int, k: int, repeat: int) -> dict:
    X, params = make_problem(n, d, k)
    gm = sklearn_model(params)
    ours = run_emlib(X, params)
    gm_check = sklearn_model(params)
    theirs = run_sklearn(X, gm_check)
    diff = max(float(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True))
    t_ours = best_time(lambda: run_emlib(X, params), repeat)
    t_theirs = best_time(lambda: run_sklearn(X, sklearn_model(params)), repeat)
    m_ours = extra_peak_bytes(lambda: run_emlib(X, params))
    m_theirs = extra_peak_bytes(lambda: run_sklearn(X, gm))
    return dict(
        n=n,
        d=d,
        k=k,
        t_emlib=t_ours,
        t_sklearn=t_theirs,
        speedup=t_theirs / t_ours,
        mem_emlib=m_ours,
        mem_sklearn=m_theirs,
        mem_ratio=m_ours / m_theirs,
        max_diff=diff,
    )


def table(rows: list[dict]) -> str:
    lines = [
        "| n | d | k | emlib (s) | scikit-learn (s) | speed-up | emlib extra peak (MiB) "
        "| scikit-learn extra peak (MiB) | memory ratio | max abs diff |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['d']} | {r['k']} | {r['t_emlib']:.4f} | {r['t_sklearn']:.4f} "
            f"| {r['speedup']:.2f}x | {r['mem_emlib'] / 2**20:.1f} "
            f"| {r['mem_sklearn'] / 2**20:.1f} "
            f"| {r['mem_ratio']:.3f} | {r['max_diff']:.1e} |"
        )
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    median = statistics.median(r["speedup"] for r in rows)
    largest = max(r["n"] for r in rows)
    worst_mem = max(r["mem_ratio"] for r in rows if r["n"] == largest)
    worst_diff = max(r["max_diff"] for r in rows)
    return (
        f"Median speed-up of emlib over scikit-learn: **{median:.2f}x** (target >= 2x).  \n"
        f"Largest extra-peak-memory ratio at n={largest:,}: **{worst_mem:.3f}** "
        "(target <= 0.1).  \n"
        f"Largest difference between the two results: **{worst_diff:.1e}** (target <= 1e-8)."
    )


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny grid, to check the script")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument("--out", help="write the markdown report to this file")
    args = parser.parse_args(argv)
    import sklearn

    grid = QUICK_GRID if args.quick else GRID
    rows = []
    for n, d, k in itertools.product(grid["n"], grid["d"], grid["k"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = measure(n, d, k, args.repeat)
        rows.append(row)
        print(
            f"n={n:>9,} d={d:>2} k={k:>2}  speed-up {row['speedup']:.2f}x  "
            f"memory ratio {row['mem_ratio']:.3f}  diff {row['max_diff']:.1e}",
            flush=True,
        )
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    env = (
        f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, emlib {emlib.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores, OPENBLAS_NUM_THREADS={threads}, load average {load}"
    )
    report = "\n\n".join([table(rows), summary(rows), f"Environment: {env}."])
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")
    return rows


if __name__ == "__main__":
    main()
