"""Grade exercise notebooks with the course's own checks, each in a sandbox.

Usage::

    python -m emlib.grade PATH [PATH ...] --out DIR [--jobs N] [--timeout SECONDS]
    python -m emlib.grade --gradescope-bundle autograder.zip --assignment ch03

The grader works in four stages, one module each:

1. :mod:`~emlib.grade.collect` finds the notebooks, reads and validates them and decides
   which assignment each one is (a broken file gets a one-line reason);
2. :mod:`~emlib.grade.sandbox` runs each one in its own bubblewrap sandbox, where
   :mod:`~emlib.grade.worker` executes the cells in a kernel and collects the student's
   answers on inputs the parent generated, under the checks' run-time forbidden-call
   detector;
3. :mod:`~emlib.grade.score` validates the answers and computes the verdicts with
   :meth:`emlib.check.Exercise.evaluate`, in the parent process only, giving one
   :class:`emlib.check.Result` per exercise (the same type as the notebook's check);
4. :mod:`~emlib.grade.report` writes ``gradebook.csv`` (one row per submission: file,
   assignment, status, points per exercise, total, maximum), ``grades.json``,
   ``feedback/<submission>.md`` and prints a summary.

:mod:`~emlib.grade.gradescope` packs the same grader as a Gradescope autograder.
Statuses: ``graded``, ``flagged`` (graded, but a human should look at it),
``invalid-notebook``, ``unknown-assignment``, ``timeout`` or ``grader-error``.
"""

from .collect import find_notebooks
from .options import GradingOptions
from .pipeline import grade_notebooks, grade_one
from .sandbox import SandboxUnavailable
from .score import SubmissionGrade

__all__ = [
    "GradingOptions",
    "SandboxUnavailable",
    "SubmissionGrade",
    "find_notebooks",
    "grade_notebooks",
    "grade_one",
]
