"""How responsive the widget labs are, and how heavy their website output is.

For every lab, the time of its main interaction as the reader feels it: pressing the
button (or moving the slider) through the widget, which runs the state's method with
emlib's EM functions, redraws the figure, encodes the PNG and updates the status line.
The requirement is a median of at most 30 ms for one E + M step and redraw with N = 500
points and K = 3. Then, per lab, the build time and size of its website output (a WebLab:
JSON config and still image; the browser's speed is benchmarks/bench_site_labs.py).

Run (no kernel needed)::

    python benchmarks/bench_labs.py              # prints a Markdown report
    python benchmarks/bench_labs.py --out report.md   # the table recorded in benchmarks/README.md
    python benchmarks/bench_labs.py --quick      # fewer repetitions

By default BLAS is limited to one thread (``OPENBLAS_NUM_THREADS=1`` etc., set before numpy
is imported): the matrices here are tiny, and on a shared 2-core machine BLAS threads only
fight over the cores. ``--blas-threads`` keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

if "--blas-threads" not in sys.argv:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import platform
import statistics
import time
from collections.abc import Callable

import ipywidgets
import matplotlib
import numpy as np

import emlib
from emlib import labs

LIMIT_MS = 30.0


def timed(action: Callable[[], object], repeat: int, warmup: int = 3) -> dict:
    for _ in range(warmup):
        action()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        action()
        wall.append(1e3 * (time.perf_counter() - w0))
        cpu.append(1e3 * (time.process_time() - c0))
    wall.sort()
    return {
        "median": statistics.median(wall),
        "p90": wall[min(len(wall) - 1, int(0.9 * len(wall)))],
        "cpu": statistics.median(cpu),
    }


def cycle(*actions: Callable[[], object]) -> Callable[[], object]:
    """One action per call, going round the list (so a slider really moves each time)."""
    state = {"i": 0}

    def run():
        action = actions[state["i"] % len(actions)]
        state["i"] += 1
        return action()

    return run


def set_value(lab, name: str, values):
    return cycle(*[lambda v=v: setattr(lab.controls[name], "value", v) for v in values])


def interactions(repeat: int) -> list[tuple[str, str, dict]]:
    data500 = emlib.make_overlapping(500, random_state=0)
    rows = []

    stepper = labs.em_stepper(data500, mode="live")

    def em_step():
        if stepper.state.iteration >= 40:  # keep EM moving: start again now and then
            stepper.state.reset()
        stepper.controls["step"].click()

    rows.append(
        ("em_stepper", "E + M button, N = 500, K = 3 (the requirement)", timed(em_step, repeat))
    )
    half = cycle(
        lambda: stepper.controls["e_step"].click(), lambda: stepper.controls["m_step"].click()
    )
    stepper.state.reset()
    rows.append(("em_stepper", "E-step or M-step button, N = 500", timed(half, repeat)))

    lab = labs.em_lab(data500, mode="live")

    def lab_step():
        if lab.state.iteration >= 40:
            lab.state.reset()
        lab.controls["step"].click()

    rows.append(("em_lab", "Step (E + M) button, N = 500, K = 3", timed(lab_step, repeat)))
    rows.append(
        (
            "em_lab",
            "move a starting mean (x slider), N = 500",
            timed(set_value(lab, "x", np.linspace(-2, 2, 7)), repeat),
        )
    )

    border = labs.border_point(mode="live")
    rows.append(
        (
            "border_point",
            "move the point (x slider)",
            timed(set_value(border, "x", np.linspace(-3, 3, 13)), repeat),
        )
    )

    sampling = labs.sampling(mode="live")

    def draw100():
        if sampling.state.n_samples > 150_000:
            sampling.state.reset()
        sampling.controls["draw100"].click()

    rows.append(("sampling", "Draw 100 button", timed(draw100, repeat)))
    rows.append(
        (
            "sampling",
            "change a weight (slider)",
            timed(set_value(sampling, "w1", [0.2, 0.5, 0.8]), repeat),
        )
    )

    resp = labs.responsibilities(mode="live")
    rows.append(
        (
            "responsibilities",
            "move the query point (x slider)",
            timed(set_value(resp, "x", np.linspace(-3, 3, 13)), repeat),
        )
    )

    conv = labs.convergence(mode="live")

    def conv_half():
        if conv.state.run.iteration >= 30:
            conv.state.reset()
        name = "m_step" if conv.state.phase == "E" else "e_step"
        conv.controls[name].click()

    rows.append(
        ("convergence", "E-step or M-step button (ELBO and KL logged)", timed(conv_half, repeat))
    )

    broken = labs.break_it(mode="live")

    def break_step():
        if broken.state.collapsed or broken.state.iteration >= 10:
            broken.state.reset()
        broken.controls["step"].click()

    rows.append(("break_it", "Step button", timed(break_step, repeat)))

    km = labs.kmeans_vs_gmm(mode="live")
    rows.append(
        (
            "kmeans_vs_gmm",
            "change the seed (refits k-means and the GMM)",
            timed(set_value(km, "seed", [1, 2, 3]), max(5, repeat // 4), warmup=1),
        )
    )

    choose = labs.choosing_k(mode="live")
    rows.append(
        (
            "choosing_k",
            "show another K (slider)",
            timed(set_value(choose, "k", [1, 2, 3, 4, 5, 6]), repeat),
        )
    )
    rows.append(
        (
            "choosing_k",
            "change the covariance type (refits K = 1..8)",
            timed(
                set_value(choose, "covariance_type", ["diag", "full"]),
                max(3, repeat // 10),
                warmup=1,
            ),
        )
    )
    return rows


def web_labs() -> list[tuple[str, int, int, float]]:
    """Per lab, its website output (a WebLab): config size, HTML size, build time."""
    rows = []
    for name, make in labs.LABS.items():
        t0 = time.perf_counter()
        web = make(mode="static")
        config = len(json.dumps(web.config, separators=(",", ":")).encode("utf-8"))
        rows.append((name, config, web.nbytes, time.perf_counter() - t0))
    return rows


def report(repeat: int) -> str:
    rows = interactions(repeat)
    static = web_labs()
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("n/a",) * 3
    lines = [
        "# Lab benchmarks",
        "",
        "Made by `python benchmarks/bench_labs.py` "
        f"({repeat} repetitions after 3 warm-up runs; wall-clock milliseconds per interaction, "
        "measured through the widget: state method, redraw, PNG, status line).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' if isinstance(x, float) else x for x in load)} when started; "
        f"Python {platform.python_version()}, numpy {np.__version__}, matplotlib "
        f"{matplotlib.__version__}, ipywidgets {ipywidgets.__version__}; BLAS threads: "
        f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}.",
        "",
        "## Interactions",
        "",
        "| lab | interaction | median (ms) | 90th percentile (ms) | CPU median (ms) |",
        "|---|---|---:|---:|---:|",
    ]
    for lab, what, t in rows:
        lines.append(f"| {lab} | {what} | {t['median']:.1f} | {t['p90']:.1f} | {t['cpu']:.1f} |")
    wall, cpu = rows[0][2]["median"], rows[0][2]["cpu"]

    def verdict(ms: float) -> str:
        return "meets the budget" if ms <= LIMIT_MS else "OVER the budget"

    lines += [
        "",
        f"Requirement: one E + M step and redraw (N = 500, K = 3) in at most {LIMIT_MS:.0f} ms "
        f"median. Measured: **{wall:.1f} ms wall-clock** ({verdict(wall)}), "
        f"**{cpu:.1f} ms of CPU time** ({verdict(cpu)}). Everything runs in one thread, so "
        "on an idle machine the wall-clock time is close to the CPU time; when other "
        "processes compete for the cores (see the load average above), wall-clock grows "
        "with the load.",
        "",
        "Refits (k-means versus GMM, choosing K) fit new models on purpose and are not "
        "held to the 30 ms budget.",
        "",
        "## The labs' website output (built once per book build)",
        "",
        "| lab | JSON config (kB) | HTML with the still image (kB) | build time (s) |",
        "|---|---:|---:|---:|",
    ]
    for name, config, nbytes, seconds in static:
        lines.append(f"| {name} | {config / 1e3:.0f} | {nbytes / 1e3:.0f} | {seconds:.1f} |")
    lines += [
        "",
        f"Each lab's HTML is capped at {labs.MAX_WEB_BYTES / 1e3:.0f} kB "
        "(`emlib.labs.MAX_WEB_BYTES`, checked in `tests/test_labs.py`); a chapter page with "
        "its labs must stay under 1 MB (`tests/test_site_labs.py`). How fast the labs run in "
        "the browser: `benchmarks/bench_site_labs.py`.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the Markdown report here")
    parser.add_argument("--quick", action="store_true", help="20 repetitions instead of 60")
    parser.add_argument(
        "--blas-threads", action="store_true", help="do not limit BLAS to one thread"
    )
    args = parser.parse_args(argv)
    text = report(20 if args.quick else 60)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
