"""The four stages put together: collect -> run in the sandbox -> score -> report."""

from __future__ import annotations

import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from emlib.check import Exercise, load_all
from emlib.check import exercises as registered_exercises

from .collect import Submission, display_names, find_notebooks, read_submission
from .options import GradingOptions
from .report import write_reports
from .sandbox import check_sandbox, font_cache, prepare_job, run_submission
from .score import Plan, SubmissionGrade, plan_exercise, score_record, zero_results

__all__ = ["Plans", "grade_notebooks", "grade_one"]


def _remove(path: Path) -> None:
    """Delete a scratch folder, even one whose permissions a submission changed."""

    def retry(function: Any, name: str, _excinfo: Any) -> None:
        try:
            Path(name).parent.chmod(stat.S_IRWXU)
            Path(name).chmod(stat.S_IRWXU)
            function(name)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)


def _unknown_assignment(grade: SubmissionGrade, submission: Submission) -> None:
    from emlib.check import assignments

    grade.status = "unknown-assignment"
    grade.notes.append(
        f"The grader cannot tell which assignment this is (found {submission.assignment!r}). "
        "Name the file like the exercise notebook (e.g. 03_responsibilities.ipynb), keep its "
        f"metadata, or grade with --assignment. Known assignments: {', '.join(assignments())}."
    )


def _flags(grade: SubmissionGrade, sources: list[str]) -> list[str]:
    from emlib.check._source import suspicious_code

    findings = suspicious_code(sources)
    findings += [
        f"{e.title} called a library function that does the exercise"
        for e in grade.exercises
        if e.mistake == "forbidden-call"
    ]
    return findings


class Plans:
    """Every exercise's cases, reference answers and encoded inputs, computed once per run.

    All the submissions of a run get the same cases, so a class of any size costs the
    reference answers once. Thread-safe.
    """

    def __init__(self, options: GradingOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._plans: dict[str, tuple[Plan, str]] = {}

    def get(self, exercise: Exercise) -> tuple[Plan, str]:
        """The plan of ``exercise`` and its inputs encoded for the sandbox."""
        from emlib.check._codec import dumps

        with self._lock:
            lock = self._locks.setdefault(exercise.key, threading.Lock())
        with lock:  # one exercise at a time; different exercises in parallel
            if exercise.key not in self._plans:
                plan = plan_exercise(exercise, self.options)
                self._plans[exercise.key] = (plan, dumps(plan.inputs))
            return self._plans[exercise.key]


def grade_one(
    path: Path,
    name: str,
    options: GradingOptions,
    scratch: Path,
    plans: Plans | None = None,
    fonts: Path | None = None,
) -> SubmissionGrade:
    """Grade one notebook: read it, run it (sandboxed), score the answers.

    ``scratch`` is the run's private folder; ``plans`` and ``fonts`` (matplotlib's cache) are
    shared by the submissions of a run.
    """
    import nbformat

    plans = plans or Plans(options)
    started = time.monotonic()
    submission = read_submission(path, name, options)
    grade = SubmissionGrade(
        name, str(path.resolve()), submission.assignment, "graded", sandboxed=options.sandbox
    )
    try:
        exercises = registered_exercises(submission.assignment) if submission.assignment else []
    except KeyError:
        exercises = []
    if not exercises:
        _unknown_assignment(grade, submission)
        return grade
    if submission.notebook is None:
        grade.status = "invalid-notebook"
        grade.exercises = zero_results(
            exercises, "not-graded", "Your file is not a valid notebook (see below)."
        )
        grade.notes.append(
            f"This file is not a valid Jupyter notebook ({submission.problem}). Open it in "
            "Jupyter and download it again with File > Download; do not edit the .ipynb file "
            "in a text editor."
        )
        return grade

    planned = [plans.get(e) for e in exercises]  # before any student code runs
    job = prepare_job(
        nbformat.writes(submission.notebook),
        [{"target": e.target, "watch": e.watch} for e in exercises],
        [encoded for _, encoded in planned],
        f"_emlib_grader_{secrets.token_hex(8)}",
        options,
        scratch,
        fonts,
    )
    try:
        outcome = run_submission(job, options, len(planned))
    finally:
        _remove(job.parent)
    if outcome.timed_out:
        grade.status = "timeout"
        message = (
            "Grading this notebook took longer than the grader's hard limit, so it was "
            "stopped; make sure every cell finishes quickly."
        )
        grade.exercises = zero_results(exercises, "not-graded", message)
        grade.notes.append(message)
    elif outcome.result is None:
        grade.status = "grader-error"
        grade.exercises = zero_results(
            exercises, "not-graded", "The grader failed on this notebook (see below)."
        )
        grade.notes.append(
            f"The grader failed on this notebook ({outcome.problem}); please tell the course staff."
        )
    else:
        grade.notes += outcome.result["notes"]
        grade.exercises = [
            score_record(plan, record, options)
            for (plan, _), record in zip(planned, outcome.result["records"], strict=True)
        ]
        findings = _flags(grade, submission.sources)
        if findings:
            grade.status = "flagged"
            grade.notes.append(
                "Flagged for a human to review: "
                + "; ".join(findings[:10])
                + ("; ..." if len(findings) > 10 else "")
                + "."
            )
    grade.seconds = time.monotonic() - started
    return grade


def _crashed(path: Path, name: str, options: GradingOptions, exc: BaseException) -> SubmissionGrade:
    """The row of a submission whose grading raised: zero points, status grader-error."""
    grade = SubmissionGrade(
        name, str(path.resolve()), None, "grader-error", sandboxed=options.sandbox
    )
    try:
        submission = read_submission(path, name, options)
        grade.assignment = submission.assignment
        if submission.assignment:
            grade.exercises = zero_results(
                registered_exercises(submission.assignment),
                "not-graded",
                "The grader failed on this notebook (see below).",
            )
    except Exception:
        pass
    reason = " ".join(str(exc).split())[:300] or type(exc).__name__
    grade.notes.append(
        f"The grader failed on this notebook ({type(exc).__name__}: {reason}); please tell "
        "the course staff."
    )
    return grade


def grade_notebooks(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    options: GradingOptions | None = None,
    jobs: int | None = None,
    progress: TextIO | None = None,
) -> list[SubmissionGrade]:
    """Grade notebooks, several at a time, and write the reports to ``out_dir``.

    Parameters
    ----------
    paths : iterable of str or Path
        Notebooks, or folders searched recursively for ``*.ipynb``.
    out_dir : str or Path
        Where ``gradebook.csv``, ``grades.json`` and ``feedback/`` are written.
    options : GradingOptions, optional
        Time and resource limits, seeds, sandbox on or off.
    jobs : int, optional
        Notebooks graded at once (default: the number of CPUs).
    progress : text stream or None
        Where the progress bar goes (``None``: nowhere).

    Returns
    -------
    list of SubmissionGrade
        In the order of the notebooks found.

    Raises
    ------
    ValueError
        If no notebook is found or ``jobs`` is not positive.
    FileNotFoundError
        If a path does not exist.
    emlib.grade.sandbox.SandboxUnavailable
        If the sandbox is on and bubblewrap is missing or cannot run.
    """
    import os

    from tqdm import tqdm

    options = options or GradingOptions()
    notebooks = find_notebooks(paths)
    if not notebooks:
        raise ValueError("no notebook (*.ipynb) found in the given paths")
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs}")
    if options.sandbox:
        check_sandbox()
    load_all()  # every check is imported before any student code runs
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = display_names(notebooks)
    grades: list[SubmissionGrade | None] = [None] * len(notebooks)
    scratch = Path(tempfile.mkdtemp(prefix="emlib-grade-"))
    plans = Plans(options)
    fonts = font_cache(scratch)
    bar = tqdm(total=len(notebooks), unit="notebook", file=progress, disable=progress is None)

    def one(i: int) -> None:
        try:
            grades[i] = grade_one(notebooks[i], names[i], options, scratch, plans, fonts)
        except Exception as exc:  # never lose a row: report it as a grader error
            grades[i] = _crashed(notebooks[i], names[i], options, exc)
        g = grades[i]
        bar.set_postfix_str(f"{g.file[:30]}: {g.total}/{g.maximum} {g.status}", refresh=False)
        bar.update()

    try:
        with ThreadPoolExecutor(max_workers=min(jobs, len(notebooks))) as pool:
            list(pool.map(one, range(len(notebooks))))
    finally:
        bar.close()
        _remove(scratch)
    done = [g for g in grades if g is not None]
    write_reports(done, out)
    return done
