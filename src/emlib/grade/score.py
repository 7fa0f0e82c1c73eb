"""Stage 3, score: turn the validated answers into verdicts, in the parent process only.

The test cases and the reference answers are computed here, before any student code runs,
and never enter the sandbox (only the inputs do). Each exercise's verdict is
:meth:`emlib.check.Exercise.evaluate` on :class:`emlib.check.Trial` objects rebuilt from the
answers, so the grader and the notebook's check decide in exactly the same way and return
the same :class:`emlib.check.Result`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from emlib.check import Exercise, Result

from .options import GradingOptions

__all__ = ["Plan", "SubmissionGrade", "plan_exercise", "score_record", "zero_results"]


@dataclass
class Plan:
    """An exercise's grading cases, their inputs and the reference answers."""

    exercise: Exercise
    cases: list[Any]
    inputs: list[dict[str, Any]]
    expected: list[Any]


def plan_exercise(exercise: Exercise, options: GradingOptions) -> Plan:
    """Build the cases (with the run's extra random seeds) and the reference answers."""
    cases = exercise.grading_cases(options.seed, options.extra_cases)
    inputs = [case.build() for case in cases]
    expected = [exercise.expected(args) for args in inputs]
    return Plan(exercise, cases, inputs, expected)


@dataclass
class SubmissionGrade:
    """The grade of one notebook.

    Attributes
    ----------
    file : str
        The submission's name in the reports.
    path : str
        Its absolute path.
    assignment : str or None
        What it was graded as.
    status : str
        ``graded``, ``flagged`` (graded, but a human should look at it),
        ``invalid-notebook``, ``unknown-assignment``, ``timeout`` or ``grader-error``.
    exercises : list of Result
        One verdict per exercise of the assignment.
    notes : list of str
        What happened while running the notebook, for the student and the instructor.
    seconds : float
        Time spent grading it.
    sandboxed : bool
        Whether the notebook ran in the sandbox.
    """

    file: str
    path: str
    assignment: str | None
    status: str
    exercises: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sandboxed: bool = True

    @property
    def total(self) -> int:
        """Points earned."""
        return sum(e.earned for e in self.exercises)

    @property
    def maximum(self) -> int:
        """Points available."""
        return sum(e.points for e in self.exercises)

    def to_dict(self) -> dict[str, Any]:
        """Everything, JSON-able (``grades.json``)."""
        return {
            "file": self.file,
            "path": self.path,
            "assignment": self.assignment,
            "status": self.status,
            "total": self.total,
            "maximum": self.maximum,
            "seconds": round(self.seconds, 3),
            "sandboxed": self.sandboxed,
            "exercises": [e.to_dict() for e in self.exercises],
            "notes": list(self.notes),
        }


def zero_results(exercises: Sequence[Exercise], mistake: str, message: str) -> list[Result]:
    """Every exercise failed with the same reason (the notebook could not be graded)."""
    return [e.failure(mistake, message) for e in exercises]


def score_record(plan: Plan, record: dict[str, Any], options: GradingOptions) -> Result:
    """The verdict on one exercise from its (schema-validated) answer record."""
    exercise = plan.exercise
    status = record["status"]
    if status == "timeout":
        return exercise.failure(
            "timeout",
            f"Your function did not finish within {options.check_timeout:g} s on the grader's "
            "test cases (an infinite loop, or a very slow computation?).",
        )
    if status == "kernel-died":
        return exercise.failure(
            "kernel-died",
            "Calling your function crashed the Python kernel (os._exit, a crash or too much "
            "memory?).",
        )
    if status == "harness-error":
        return exercise.failure(
            "not-graded", f"The grader could not collect your answer: {record.get('error')}."
        )
    try:  # ok, missing, not-callable: decided exactly as in the notebook's check
        return exercise.evaluate_record(record, plan.cases, plan.inputs, plan.expected)
    except Exception as exc:  # anything malformed in the answers: this exercise only
        return exercise.failure(
            "not-graded",
            f"The grader could not read your answer ({type(exc).__name__}: {str(exc)[:200]}).",
        )
