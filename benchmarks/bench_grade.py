"""How many notebooks the grader grades per minute, with the sandbox on and off.

Grades the same class of submissions (every solution notebook and every untouched exercise
notebook, ``--copies`` times each) with ``python -m emlib.grade``'s own function, two at a
time by default, once with the bubblewrap sandbox and once without (``--no-sandbox``), in
alternation (``--repeat`` rounds), and reports notebooks per minute and the sandbox's cost
per notebook. The requirement: the sandbox costs at most 1 s per notebook.

Three measures of that cost: the difference in mean seconds per notebook between the two
whole runs (what the instructor waits for, but noisy on a shared machine); the median of
paired differences, grading the same notebook without and then with the sandbox, one at a
time, ``--pairs`` times (robust to a load that drifts); and the start-up of an empty
sandbox (``bwrap ... python -c pass`` against ``python -c pass``), the part of the cost that
does not depend on the notebook.

Run::

    python benchmarks/bench_grade.py                 # prints a Markdown report
    python benchmarks/bench_grade.py --out report.md # the table recorded in benchmarks/README.md
    python benchmarks/bench_grade.py --quick         # two notebooks, one round
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from emlib.check import load_all
from emlib.grade import GradingOptions, grade_notebooks, grade_one
from emlib.grade.collect import display_names, find_notebooks
from emlib.grade.pipeline import Plans
from emlib.grade.sandbox import JOB_MOUNT, _bwrap_prefix, _environment, font_cache

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 1.0


def make_class(folder: Path, copies: int, quick: bool) -> int:
    """Write the submissions; return how many."""
    solutions = sorted((ROOT / "solutions").glob("*_solution.ipynb"))
    if quick:
        solutions = [p for p in solutions if p.name.startswith("03_")]
    n = 0
    for copy in range(copies):
        for solution in solutions:
            name = solution.name.replace("_solution.ipynb", ".ipynb")
            for kind, source in (("solution", solution), ("exercise", ROOT / "exercises" / name)):
                if quick and kind == "exercise":
                    continue
                target = folder / f"student{copy:03d}_{kind}" / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, target)
                n += 1
    return n


def grade_once(folder: Path, sandbox: bool, jobs: int) -> dict:
    options = GradingOptions(sandbox=sandbox)
    with tempfile.TemporaryDirectory(prefix="bench-grade-out-") as out:
        started = time.perf_counter()
        grades = grade_notebooks([folder], out, options, jobs=jobs)
        wall = time.perf_counter() - started
    bad = [g.file for g in grades if g.status != "graded"]
    if bad:
        raise RuntimeError(f"not graded cleanly: {bad[:5]}")
    return {
        "wall": wall,
        "per_minute": 60 * len(grades) / wall,
        "mean_seconds": statistics.mean(g.seconds for g in grades),
    }


def paired_cost(folder: Path, pairs: int) -> list[float]:
    """Seconds with minus seconds without the sandbox, same notebook, one at a time."""
    notebooks = find_notebooks([folder])
    names = display_names(notebooks)
    load_all()
    differences = []
    with tempfile.TemporaryDirectory(prefix="bench-grade-pairs-") as tmp:
        scratch = Path(tmp)
        options = {mode: GradingOptions(sandbox=mode) for mode in (False, True)}
        plans = Plans(options[True])
        fonts = font_cache(scratch)
        for i in range(pairs):
            order = (False, True) if i % 2 == 0 else (True, False)  # neither always warmer
            for path, name in zip(notebooks, names, strict=True):
                seconds = {
                    mode: grade_one(path, name, options[mode], scratch, plans, fonts).seconds
                    for mode in order
                }
                differences.append(seconds[True] - seconds[False])
    return differences


def sandbox_startup(repeat: int = 10) -> tuple[float, float]:
    """Median seconds of ``python -c pass`` with and without an empty sandbox."""
    env = _environment(JOB_MOUNT, sandboxed=True)
    bare, boxed = [], []
    for _ in range(repeat):
        for command, times in (
            ([sys.executable, "-c", "pass"], bare),
            ([*_bwrap_prefix(), "--", sys.executable, "-c", "pass"], boxed),
        ):
            started = time.perf_counter()
            subprocess.run(command, check=True, env=env)
            times.append(time.perf_counter() - started)
    return statistics.median(bare), statistics.median(boxed)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of each notebook")
    parser.add_argument("--repeat", type=int, default=2, help="rounds of (off, on)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks graded at once")
    parser.add_argument(
        "--pairs", type=int, default=8, help="paired gradings of the chapter 3 solution"
    )
    parser.add_argument("--quick", action="store_true", help="two notebooks, one round")
    parser.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = parser.parse_args(argv)
    if args.quick:
        args.copies, args.repeat, args.pairs = 2, 1, 1
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        folder = Path(tmp)
        n = make_class(folder, args.copies, args.quick)
        runs: dict[bool, list[dict]] = {False: [], True: []}
        for _ in range(args.repeat):
            for sandbox in (False, True):
                runs[sandbox].append(grade_once(folder, sandbox, args.jobs))
        pairs_folder = Path(tmp) / "pairs"
        pairs_folder.mkdir()
        make_class(pairs_folder, 1, quick=True)
        differences = paired_cost(pairs_folder, args.pairs)
    bare, boxed = sandbox_startup()

    def med(sandbox: bool, key: str) -> float:
        return statistics.median(r[key] for r in runs[sandbox])

    cost = med(True, "mean_seconds") - med(False, "mean_seconds")
    what = (
        "the chapter 3 solution"
        if args.quick
        else "every solution and every untouched exercise notebook"
    )
    lines = [
        f"Made by `python benchmarks/bench_grade.py` ({n} notebooks per run: {what} "
        f"x {args.copies}; {args.jobs} at a time; median of {args.repeat} alternating rounds).",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {load} when "
        f"started; Python {platform.python_version()}.",
        "",
        "| sandbox | notebooks per minute | wall time per run (s) | mean seconds per notebook |",
        "|---|---:|---:|---:|",
    ]
    for sandbox in (False, True):
        lines.append(
            f"| {'on (bubblewrap)' if sandbox else 'off (--no-sandbox)'} "
            f"| {med(sandbox, 'per_minute'):.1f} | {med(sandbox, 'wall'):.1f} "
            f"| {med(sandbox, 'mean_seconds'):.2f} |"
        )
    lines += [
        "",
        f"Cost of the sandbox per notebook (target <= {LIMIT_S:g} s): "
        f"**{statistics.median(differences):+.2f} s** (median of {len(differences)} paired "
        "gradings of the chapter 3 solution, each once without and once with the sandbox; "
        f"range {min(differences):+.2f} to {max(differences):+.2f} s). Difference of the mean "
        f"seconds per notebook between the two whole runs: {cost:+.2f} s. "
        "Start-up of an empty sandbox: "
        f"{1e3 * (boxed - bare):.0f} ms (`python -c pass`: {1e3 * bare:.0f} ms bare, "
        f"{1e3 * boxed:.0f} ms in bubblewrap).",
    ]
    report = "\n".join(lines) + "\n"
    if args.out is not None:
        args.out.write_text(report, encoding="utf-8")
    print(report)
    return report


if __name__ == "__main__":
    main()
