"""Time and memory of ``GaussianMixture.fit``: emlib against scikit-learn, in the same run.

For every (n, d, k) of the grid, both estimators are given the same starting parameters
(``weights_init``, ``means_init``, ``precisions_init``; full covariance, float64) and fitted
with their public ``fit``, which is what users run:

* **per iteration**: ``fit`` with ``max_iter=ITERATIONS`` and ``tol=0`` (both run exactly
  that many iterations), divided by ``ITERATIONS``: everything ``fit`` does (validation,
  initialisation from the given parameters, the iterations, scikit-learn's final E-step)
  counts;
* **whole fit**: ``fit`` with the default ``tol=1e-3`` (``max_iter`` at most 100), from the
  same start; the iteration counts of both are reported;
* **extra peak memory** of the per-iteration ``fit`` above the data (tracemalloc, which sees
  numpy's allocations);
* the largest difference between the fitted weights, means and covariances of the two.

Times are the best of ``--repeat`` (interleaved: emlib, scikit-learn, emlib, ...); the CPU
time of the same runs is reported too (with one BLAS thread it equals the wall-clock time
on an idle machine, and it is less disturbed by other processes). The report names the BLAS
library (threadpoolctl), its kernel and thread count, and the value of ``OPENBLAS_CORETYPE``.

Usage::

    python benchmarks/bench_em.py                 # the full grid, prints a markdown report
    python benchmarks/bench_em.py --quick         # a tiny grid, to check that it runs
    python benchmarks/bench_em.py --out report.md
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
ITERATIONS = 5
WHOLE_FIT_MAX_ITER = 100


def make_problem(n: int, d: int, k: int, seed: int = 0):
    """Data from k separated Gaussians, and starting parameters shared by both libraries."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    resp = rng.dirichlet(np.ones(k) * 0.3, size=min(n, 5000))
    params = emlib.m_step(X[: resp.shape[0]], resp, "full")
    start = dict(
        weights_init=np.array(params.weights),
        means_init=np.array(params.means),
        precisions_init=np.array(params.precisions),
    )
    return X, start


def estimators(k: int, start: dict, **kwargs):
    from sklearn.mixture import GaussianMixture as SklearnGaussianMixture

    settings = dict(n_components=k, covariance_type="full", **start, **kwargs)
    return emlib.GaussianMixture(**settings), SklearnGaussianMixture(**settings)


def timed(fn) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def extra_peak_bytes(fn) -> int:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def measure(n: int, d: int, k: int, repeat: int, whole: bool = True) -> dict:
    X, start = make_problem(n, d, k)
    ours, theirs = estimators(k, start, max_iter=ITERATIONS, tol=0.0)
    ours.fit(X)
    theirs.fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == ITERATIONS
    diff = max(
        float(np.abs(getattr(ours, name) - getattr(theirs, name)).max())
        for name in ("weights_", "means_", "covariances_")
    )
    t_ours, t_theirs = [], []
    for _ in range(repeat):  # interleaved, so that both see the same machine load
        t_ours.append(timed(lambda: ours.fit(X)))
        t_theirs.append(timed(lambda: theirs.fit(X)))
    row = dict(
        n=n,
        d=d,
        k=k,
        it_emlib=min(t[0] for t in t_ours) / ITERATIONS,
        it_sklearn=min(t[0] for t in t_theirs) / ITERATIONS,
        it_cpu_speedup=min(t[1] for t in t_theirs) / min(t[1] for t in t_ours),
        mem_emlib=extra_peak_bytes(lambda: ours.fit(X)),
        mem_sklearn=extra_peak_bytes(lambda: theirs.fit(X)),
        max_diff=diff,
    )
    row["it_speedup"] = row["it_sklearn"] / row["it_emlib"]
    row["mem_ratio"] = row["mem_emlib"] / row["mem_sklearn"]
    if whole:
        ours, theirs = estimators(k, start, max_iter=WHOLE_FIT_MAX_ITER)
        row["fit_emlib"] = timed(lambda: ours.fit(X))[0]
        row["fit_sklearn"] = timed(lambda: theirs.fit(X))[0]
        row["fit_speedup"] = row["fit_sklearn"] / row["fit_emlib"]
        row["iters"] = (ours.n_iter_, theirs.n_iter_)
        row["fit_diff"] = max(
            float(np.abs(getattr(ours, name) - getattr(theirs, name)).max())
            for name in ("weights_", "means_", "covariances_")
        )
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| n | d | k | per iteration: emlib (s) | scikit-learn (s) | speed-up | (CPU time) "
        "| whole fit: emlib (s) | scikit-learn (s) | speed-up | iterations (emlib, sklearn) "
        "| extra peak: emlib (MiB) | scikit-learn (MiB) | ratio | max abs diff |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        whole = (
            f"{r['fit_emlib']:.3f} | {r['fit_sklearn']:.3f} | {r['fit_speedup']:.2f}x "
            f"| {r['iters'][0]}, {r['iters'][1]}"
            if "fit_emlib" in r
            else "- | - | - | -"
        )
        diff = max(r["max_diff"], r.get("fit_diff", 0.0))
        lines.append(
            f"| {r['n']:,} | {r['d']} | {r['k']} | {r['it_emlib']:.4f} | {r['it_sklearn']:.4f} "
            f"| {r['it_speedup']:.2f}x | {r['it_cpu_speedup']:.2f}x | {whole} "
            f"| {r['mem_emlib'] / 2**20:.1f} | {r['mem_sklearn'] / 2**20:.1f} "
            f"| {r['mem_ratio']:.3f} | {diff:.1e} |"
        )
    return "\n".join(lines)


def summary(rows: list[dict]) -> str:
    per_iteration = statistics.median(r["it_speedup"] for r in rows)
    whole = [r["fit_speedup"] for r in rows if "fit_speedup" in r]
    largest = max(r["n"] for r in rows)
    worst_mem = max(r["mem_ratio"] for r in rows if r["n"] == largest)
    worst_diff = max(max(r["max_diff"], r.get("fit_diff", 0.0)) for r in rows)
    cpu = statistics.median(r["it_cpu_speedup"] for r in rows)
    lines = [
        f"Median speed-up of `fit` per iteration: **{per_iteration:.2f}x** wall-clock, "
        f"{cpu:.2f}x in CPU time (target >= 2x).  ",
    ]
    if whole:
        lines.append(
            f"Median speed-up of the whole `fit`: **{statistics.median(whole):.2f}x**.  "
        )
    lines += [
        f"Largest extra-peak-memory ratio of `fit` at n={largest:,}: **{worst_mem:.3f}** "
        "(target <= 0.1).  ",
        f"Largest difference between the fitted parameters: **{worst_diff:.1e}** "
        "(target <= 1e-8).",
    ]
    return "\n".join(lines)


def blas_description() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (threadpoolctl not installed)"
    infos = [
        f"{i.get('internal_api')} {i.get('version')} (kernel {i.get('architecture')}, "
        f"{i.get('num_threads')} threads)"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    return "BLAS: " + ("; ".join(infos) if infos else "none found")


def environment() -> str:
    import sklearn

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, emlib {emlib.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores; {blas_description()}; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}; "
        f"load average {load} at the end"
    )


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny grid, to check the script")
    parser.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    parser.add_argument(
        "--whole-fit-max-n",
        type=int,
        default=10**9,
        help="time the whole fit only up to this n (it runs about 25 iterations at d >= 10)",
    )
    parser.add_argument("--out", help="write the markdown report to this file")
    args = parser.parse_args(argv)

    grid = QUICK_GRID if args.quick else GRID
    rows = []
    for n, d, k in itertools.product(grid["n"], grid["d"], grid["k"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = measure(n, d, k, args.repeat, whole=n <= args.whole_fit_max_n)
        rows.append(row)
        print(
            f"n={n:>9,} d={d:>2} k={k:>2}  per iteration {row['it_speedup']:.2f}x  "
            f"whole fit {row.get('fit_speedup', float('nan')):.2f}x {row.get('iters', '')}  "
            f"memory ratio {row['mem_ratio']:.3f}  diff {row['max_diff']:.1e}",
            flush=True,
        )
    report = "\n\n".join([table(rows), summary(rows), f"Environment: {environment()}."])
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(report + "\n")
    return rows


if __name__ == "__main__":
    main()
