"""``python -m emlib.grade``: the instructor's command (see :mod:`emlib.grade`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .options import GradingOptions


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    defaults = GradingOptions()
    parser = argparse.ArgumentParser(
        prog="python -m emlib.grade",
        description="Grade exercise notebooks with the course's own checks, each in a sandbox.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="notebooks or folders of notebooks"
    )
    parser.add_argument("--out", metavar="DIR", help="where to write gradebook.csv and feedback/")
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="notebooks graded at once (default: CPUs)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=defaults.timeout,
        help="seconds to run one notebook's cells (default: %(default)s)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=defaults.cell_timeout,
        help="seconds one cell may run (default: %(default)s)",
    )
    parser.add_argument(
        "--check-timeout",
        type=float,
        default=defaults.check_timeout,
        help="seconds to collect one exercise's answers (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the extra random cases")
    parser.add_argument(
        "--extra-cases",
        type=int,
        default=defaults.extra_cases,
        help="extra random cases per random case (default: %(default)s)",
    )
    parser.add_argument(
        "--assignment", default=None, help="grade every notebook as this assignment, e.g. ch03"
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=defaults.memory_mb,
        help="address space per process of a submission, MiB (default: %(default)s)",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code WITHOUT the bubblewrap sandbox, with your permissions "
        "(only for trusted notebooks; the reports say so)",
    )
    parser.add_argument(
        "--gradescope-bundle",
        metavar="ZIP",
        help="write a Gradescope autograder bundle (with --assignment) instead of grading",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)

    from . import grade_notebooks
    from .gradescope import build_bundle
    from .report import summary_table
    from .sandbox import SandboxUnavailable

    try:
        if args.gradescope_bundle:
            path = build_bundle(args.gradescope_bundle, args.assignment)
            print(f"wrote the Gradescope autograder bundle {path}")
            return 0
        if not args.paths or not args.out:
            parser.error("give at least one PATH and --out DIR")
        options = GradingOptions(
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            check_timeout=args.check_timeout,
            seed=args.seed,
            extra_cases=args.extra_cases,
            assignment=args.assignment,
            sandbox=not args.no_sandbox,
            memory_mb=args.memory_mb,
        )
        grades = grade_notebooks(
            args.paths, args.out, options, args.jobs, None if args.quiet else sys.stderr
        )
    except (ValueError, FileNotFoundError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_table(grades))
    print(
        f"\nwrote {Path(args.out) / 'gradebook.csv'} and {len(grades)} feedback file(s) in "
        f"{Path(args.out) / 'feedback'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
