"""Checks for the course's graded exercises.

In an exercise notebook::

    from emlib.check import ch03
    ch03.check_responsibilities(responsibilities)   # shows ✅ or a hint, and the score
    ch03.score()                                    # table of the notebook's exercises

To add an exercise, read ``src/emlib/check/README.md``. The grader that scores whole
notebooks is :mod:`emlib.grade` (``python -m emlib.grade``).
"""

from . import compare, diagnoses
from ._framework import (
    BUILTIN_MISTAKES,
    Case,
    CheckFailed,
    Diagnosis,
    Exercise,
    NotAttempted,
    Result,
    Trial,
    assignments,
    exercises,
    fixed,
    get_exercise,
    load_all,
    random_cases,
    register,
    score,
    show_score,
)
from .compare import Mismatch

__all__ = [
    "BUILTIN_MISTAKES",
    "Case",
    "CheckFailed",
    "Diagnosis",
    "Exercise",
    "Mismatch",
    "NotAttempted",
    "Result",
    "Trial",
    "assignments",
    "compare",
    "diagnoses",
    "exercises",
    "fixed",
    "get_exercise",
    "load_all",
    "random_cases",
    "register",
    "score",
    "show_score",
]
