"""Grade exercise notebooks with the course's own checks.

Usage::

    python -m emlib.grade PATH [PATH ...] --out DIR [--jobs N] [--timeout SECONDS]

``PATH`` is a notebook or a folder searched recursively for notebooks. Each submission runs
in its own worker process and its own ``python3`` kernel (via nbclient), several at a time.
Then, for every exercise of the notebook's assignment, the grader

1. builds the test cases and the reference answers *in the worker* (trusted code, loaded
   before any student code ran, from an installation whose files are fingerprinted);
2. asks the kernel to call the student's function, looked up by name, on those inputs and to
   send back only the returned values, encoded as JSON (never pickled);
3. evaluates them in the worker with :meth:`emlib.check.Exercise.evaluate`.

So redefining a check, monkey-patching :mod:`emlib.check` or numpy, printing a fake ✅ or
editing a score in the notebook changes nothing: check cells and outputs are ignored. The
code that collects answers in the kernel is a private copy loaded before any student code
runs, under a random name, so replacing ``emlib.check._harness`` or ``json`` does not reach
it either. The notebook's source is also read statically: an answer that uses a library
function doing the exercise (``Exercise.forbidden``, also through aliases and helpers) gets
zero, and code that monkey-patches modules or mentions the grader's internals marks the
submission ``flagged`` for a human to look at (its points do not depend on that code).

Every submission is reported, whatever it does: cells that loop forever are interrupted
(and the kernel restarted if it ignores the interrupt), a cell that kills the kernel
(``os._exit``, a crash) is skipped and the notebook re-run without it, ``sys.exit`` and
exceptions are survived, outputs are discarded as they arrive, and a file that is not a
valid notebook gets zero with an explanation. A worker that exceeds its hard time limit is
killed together with its kernel.

The grader is not a sandbox: student code runs with the grader's permissions. Grade
untrusted submissions inside a container or a throw-away account without network access.

Outputs in ``DIR``: ``gradebook.csv`` (one row per submission: file, assignment, status,
points per exercise, total, maximum; status is ``graded``, ``flagged``, ``invalid-notebook``,
``unknown-assignment``, ``timeout`` or ``grader-error``), ``grades.json`` (everything,
including hints) and ``feedback/<submission>.md`` (one feedback file per submission). A
summary table is printed.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from emlib.check._harness import install_source
from emlib.check._source import forbidden_call_in_notebook, suspicious_code

__all__ = [
    "ExerciseGrade",
    "GradingOptions",
    "SubmissionGrade",
    "find_notebooks",
    "grade_notebooks",
    "grade_submission",
    "main",
]

#: Exceptions of unfinished or wrong exercises: expected in check cells, not worth a note.
_EXPECTED_ERRORS = {"CheckFailed", "NotAttempted", "NotImplementedError"}
_TIMEOUT_ENAME = "GraderTimeout"
_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_MAX_KERNEL_STARTS = 4


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class GradingOptions:
    """Limits and settings of a grading run.

    Attributes
    ----------
    timeout : float
        Seconds to run all the cells of one notebook (kernel restarts included).
    cell_timeout : float
        Seconds one cell may run before it is interrupted.
    check_timeout : float
        Seconds to collect the answers of one exercise (the student's function on all cases).
    seed : int
        Seeds the extra random cases, so a run is reproducible.
    extra_cases : int
        Freshly seeded copies of each random case added to the exercise's own cases.
    assignment : str or None
        Grade every notebook as this assignment (e.g. ``"ch03"``) instead of reading it from
        the notebook's metadata or file name.
    """

    timeout: float = 180.0
    cell_timeout: float = 60.0
    check_timeout: float = 30.0
    seed: int = 0
    extra_cases: int = 3
    assignment: str | None = None

    def __post_init__(self) -> None:
        for name in ("timeout", "cell_timeout", "check_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number of seconds; got {value!r}")
        if self.extra_cases < 0:
            raise ValueError(f"extra_cases must be >= 0; got {self.extra_cases!r}")

    def hard_limit(self, n_exercises: int) -> float:
        """Seconds after which a worker is killed, whatever it is doing."""
        return 2 * self.timeout + n_exercises * (self.check_timeout + 10) + 90


@dataclass
class ExerciseGrade:
    """The grade of one exercise in one submission."""

    name: str
    title: str
    points: int
    earned: int
    status: str
    mistake: str | None = None
    message: str = ""
    case: str | None = None
    n_cases: int = 0
    n_failed: int = 0

    def explanation(self) -> str:
        """The hint with mistake id and case, as shown to the student."""
        if self.status == "passed":
            return ""
        text = f"[{self.mistake}] {self.message}" if self.mistake else self.message
        if self.case:
            text += f" (Test case: {self.case}"
            if self.n_cases > 1:
                text += f"; {self.n_failed} of {self.n_cases} cases failed"
            text += ".)"
        return text

    @property
    def icon(self) -> str:
        """✅ passed, ✏️ not attempted, ❌ anything else."""
        return {"passed": "✅", "not-attempted": "✏️"}.get(self.status, "❌")


@dataclass
class SubmissionGrade:
    """The grade of one notebook."""

    file: str
    path: str
    assignment: str | None
    status: str
    exercises: list[ExerciseGrade] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Points earned."""
        return sum(e.earned for e in self.exercises)

    @property
    def maximum(self) -> int:
        """Points available."""
        return sum(e.points for e in self.exercises)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionGrade:
        """Inverse of :func:`dataclasses.asdict`."""
        data = dict(data)
        data["exercises"] = [ExerciseGrade(**e) for e in data.get("exercises", [])]
        return cls(**data)


# --------------------------------------------------------------------------- helpers


def _registry() -> Any:
    from emlib import check

    check.load_all()
    return check


def _fingerprint() -> str:
    """SHA-256 of the code a verdict depends on (checks, grader, numerical core).

    Compared before and after grading, and by every worker, to notice a submission that
    edits the installed checks.
    """
    import emlib

    root = Path(emlib.__file__).resolve().parent
    files = [root / "__init__.py", root / "grade.py"]
    for folder in ("check", "core"):
        files += sorted((root / folder).rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def _assignment_of(path: Path, nb: Any, options: GradingOptions) -> str | None:
    if options.assignment:
        return options.assignment
    if nb is not None:
        meta = nb.get("metadata", {}).get("emlib", {})
        if isinstance(meta, dict) and isinstance(meta.get("assignment"), str):
            return meta["assignment"]
    match = re.match(r"^(\d+)_", path.name)
    return f"ch{int(match.group(1)):02d}" if match else None


def _cell_label(number: int, source: str) -> str:
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 60:
        first = first[:57] + "..."
    return f"code cell {number} (`{first}`)" if first else f"code cell {number}"


def _exercise_grade(result: Any) -> ExerciseGrade:
    return ExerciseGrade(
        name=result.name,
        title=result.title,
        points=result.points,
        earned=result.earned,
        status=result.status,
        mistake=result.mistake,
        message=result.message,
        case=result.case,
        n_cases=result.n_cases,
        n_failed=result.n_failed,
    )


def _zero_grades(exercises: Iterable[Any], mistake: str, message: str) -> list[ExerciseGrade]:
    return [
        ExerciseGrade(e.name, e.title, e.points, 0, "failed", mistake, message) for e in exercises
    ]


# --------------------------------------------------------------------------- the kernel


class _KernelSession:
    """One student kernel: runs the notebook's cells, then collects answers."""

    def __init__(self, nb: Any, options: GradingOptions, workdir: Path, pid_file: Path | None):
        self.nb = nb
        self.options = options
        self.workdir = workdir
        self.pid_file = pid_file
        #: (index in the notebook, number among code cells, cell) of every non-empty code cell
        self.cells: list[tuple[int, int, Any]] = []
        number = 0
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            number += 1
            if str(cell.get("source", "")).strip():
                self.cells.append((index, number, cell))
        self.skip: set[int] = set()
        self.notes: list[str] = []
        self.client: Any = None
        self.reply: dict[str, Any] | None = None
        self.starts = 0
        self.collector = ""

    # ---------------------------------------------------------------- kernel life
    def _on_executed(
        self, cell: Any = None, cell_index: int = 0, execute_reply: Any = None
    ) -> None:
        self.reply = (execute_reply or {}).get("content", {})

    def start(self) -> None:
        import nbformat
        from nbclient import NotebookClient

        class _Client(NotebookClient):
            def output(self, outs, msg, display_id, cell_index):  # type: ignore[no-untyped-def]
                # Outputs are never graded: drop them as they come, except errors.
                if msg.get("msg_type") == "error":
                    return super().output(outs, msg, display_id, cell_index)
                return None

        self.starts += 1
        shell_nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("") for _ in self.nb.cells],
            metadata={
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
        )
        client = _Client(
            shell_nb,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "time limit", "traceback": []},
            record_timing=False,
            store_widget_state=False,
            iopub_timeout=2,
            startup_timeout=60,
            shutdown_kernel="immediate",
            on_cell_executed=self._on_executed,
            resources={"metadata": {"path": str(self.workdir)}},
        )
        client.km = client.create_kernel_manager()
        client.start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.start_new_kernel_client()
        self.client = client
        pid = getattr(client.km.provisioner, "pid", None)
        if pid and self.pid_file is not None:
            with open(self.pid_file, "a", encoding="utf-8") as handle:
                handle.write(f"{pid}\n")
        # Install the answer collector before any student code runs (see _harness).
        self.collector = f"_emlib_grader_{secrets.token_hex(8)}"
        reply = self.execute(install_source(self.collector), len(self.nb.cells), 60)
        if reply.get("status") == "error":
            raise RuntimeError(
                f"could not install the grader's collector in the kernel: "
                f"{reply.get('ename')}: {reply.get('evalue')}"
            )

    def kill(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
        try:
            client._cleanup_kernel()
        except Exception:
            pass
        if pid:
            _kill_group(pid)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        try:
            return self.client is not None and bool(run_sync(self.client.km.is_alive)())
        except Exception:
            return False

    # ---------------------------------------------------------------- execution
    def execute(self, source: str, index: int, timeout: float) -> dict[str, Any]:
        """Run ``source``; return the reply content. Raises DeadKernelError if the kernel dies."""
        import nbformat
        from nbclient.exceptions import DeadKernelError

        cell = nbformat.v4.new_code_cell(source)
        while len(self.client.nb.cells) <= index:
            self.client.nb.cells.append(nbformat.v4.new_code_cell(""))
        self.client.timeout = max(1, math.ceil(timeout))
        self.reply = None
        try:
            self.client.execute_cell(cell, index, store_history=False)
        except DeadKernelError:
            raise
        except Exception as exc:
            if not self.alive():
                raise DeadKernelError(str(exc)) from exc
            return {"status": "error", "ename": type(exc).__name__, "evalue": str(exc)}
        return self.reply or {"status": "ok"}

    def responsive(self) -> bool:
        """After an interrupt: does the kernel answer a trivial request within 5 s?"""
        from nbclient.exceptions import DeadKernelError

        try:
            reply = self.execute("None", len(self.nb.cells) + 1, 5)
        except DeadKernelError:
            return False
        return reply.get("ename") != _TIMEOUT_ENAME

    def run_notebook(self, budget: float, attempts: int = _MAX_KERNEL_STARTS) -> None:
        """Run every cell, within ``budget`` seconds, surviving loops and kernel deaths.

        A cell that kills the kernel, or hangs it beyond an interrupt, is skipped and the
        notebook is run again in a new kernel, at most ``attempts`` times in all.
        """
        deadline = time.monotonic() + budget
        for _ in range(attempts):
            self.start()
            stopped_at = self._run_cells(deadline)
            if stopped_at is None:
                return
            self.skip.add(stopped_at)
            self.kill()
        self.notes.append("The kernel kept dying, so the grader gave up running the notebook.")

    def _run_cells(self, deadline: float) -> int | None:
        """Run the cells not skipped; return the index of a cell that broke the kernel."""
        from nbclient.exceptions import DeadKernelError

        for index, number, cell in self.cells:
            if index in self.skip:
                continue
            remaining = deadline - time.monotonic()
            label = _cell_label(number, cell.source)
            if remaining < 1:
                self.notes.append(
                    f"The notebook's time limit ({self.options.timeout:g} s) was reached: "
                    f"{label} and the cells after it were not run."
                )
                return None
            timeout = min(self.options.cell_timeout, remaining)
            try:
                reply = self.execute(cell.source, index, timeout)
            except DeadKernelError:
                self.notes.append(
                    f"{label} stopped the Python kernel (os._exit, a crash or too much memory); "
                    "the notebook was run again without it."
                )
                return index
            ename = reply.get("ename")
            if ename == _TIMEOUT_ENAME:
                self.notes.append(
                    f"{label} was still running after {timeout:.0f} s and was interrupted "
                    "(an infinite loop?)."
                )
                if not self.responsive():
                    self.notes.append(
                        "The kernel ignored the interrupt; it was restarted and the notebook "
                        f"run again without {label}."
                    )
                    return index
            elif reply.get("status") == "error" and ename not in _EXPECTED_ERRORS:
                evalue = str(reply.get("evalue", ""))[:300]
                self.notes.append(f"{label} raised {ename}: {evalue}")
        return None

    # ---------------------------------------------------------------- answers
    def collect(self, exercise: Any, inputs: list[dict[str, Any]], iodir: Path) -> dict[str, Any]:
        """Ask the kernel for the answers of ``exercise``; a dict with a ``status``."""
        from nbclient.exceptions import DeadKernelError

        from emlib.check import _codec

        in_path = iodir / f"{exercise.name}.in.json"
        out_path = iodir / f"{exercise.name}.out.json"
        in_path.write_text(_codec.dumps(inputs), encoding="utf-8")
        if out_path.exists():
            out_path.unlink()
        source = (
            f"{self.collector}(globals(), {exercise.target!r}, {exercise.kind!r}, "
            f"{str(in_path)!r}, {str(out_path)!r})"
        )
        try:
            reply = self.execute(source, len(self.nb.cells), self.options.check_timeout)
        except DeadKernelError:
            return {"status": "kernel-died"}
        if reply.get("ename") == _TIMEOUT_ENAME:
            if not self.responsive():
                self.kill()
            return {"status": "timeout"}
        if reply.get("status") == "error":
            return {
                "status": "harness-error",
                "error": f"{reply.get('ename')}: {reply.get('evalue')}",
            }
        try:
            if out_path.stat().st_size > _MAX_ANSWER_BYTES:
                return {"status": "harness-error", "error": "the answer is larger than 64 MB"}
            return json.loads(out_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return {"status": "harness-error", "error": f"unreadable answer ({exc})"}


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill) if hasattr(os, "killpg") else (os.kill,):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError, OSError):
            continue


def _evaluate_record(
    exercise: Any,
    record: dict[str, Any],
    cases: list[Any],
    inputs: list[Any],
    expected: list[Any],
    sources: list[str],
) -> ExerciseGrade:
    from emlib.check import Trial, _codec

    status = record.get("status")
    target = exercise.target
    if status == "missing" and exercise.kind == "value":
        # The exercise notebook's stub for a value (scripts/make_exercises.py) raises before
        # the variable exists: while that stub is still there, the exercise is not attempted.
        stub = re.compile(rf"NotImplementedError\(\s*[\"']{re.escape(exercise.name)}:")
        if any(stub.search(source) for source in sources):
            return _exercise_grade(exercise.not_attempted())
    if status == "missing":
        what = "function" if exercise.kind == "function" else "variable"
        return _exercise_grade(
            exercise.failure(
                "missing",
                f"Your notebook defines no {what} called `{target}` (or the cell defining it "
                "did not run). Keep the name given in the exercise.",
            )
        )
    if status == "not-callable":
        return _exercise_grade(
            exercise.failure(
                "not-callable",
                f"`{target}` should be a function; in your notebook it is a {record.get('type')}.",
            )
        )
    if status == "timeout":
        return _exercise_grade(
            exercise.failure(
                "timeout",
                f"Your function did not finish within {record.get('limit', 0):g} s on the grader's "
                "test cases (an infinite loop, or a very slow computation?).",
            )
        )
    if status == "kernel-died":
        return _exercise_grade(
            exercise.failure(
                "kernel-died",
                "Calling your function crashed the Python kernel (os._exit or a crash?).",
            )
        )
    if status != "ok":
        return _exercise_grade(
            exercise.failure(
                "not-graded",
                f"The grader could not collect your answer: {record.get('error', status)}.",
            )
        )
    try:
        if exercise.kind == "value":
            entries = record.get("trials") or [{"output": record.get("value")}]
        else:
            entries = record["trials"]
        if len(entries) != len(cases):
            raise ValueError(f"{len(entries)} answers for {len(cases)} cases")
        trials = []
        for case, args, exp, entry in zip(cases, inputs, expected, entries, strict=True):
            trials.append(
                Trial(
                    case,
                    args,
                    exp,
                    output=_codec.decode(entry["output"]) if "output" in entry else None,
                    error_type=entry.get("error_type"),
                    error=entry.get("error"),
                    mutated=tuple(str(m) for m in entry.get("mutated", [])),
                )
            )
    except Exception as exc:
        return _exercise_grade(
            exercise.failure(
                "not-graded",
                f"The grader could not read your answer ({type(exc).__name__}: {exc}).",
            )
        )
    forbidden = (
        forbidden_call_in_notebook(sources, target, exercise.forbidden)
        if exercise.kind == "function" and exercise.forbidden
        else None
    )
    return _exercise_grade(exercise.evaluate(trials, forbidden_used=forbidden))


def grade_submission(
    path: str | Path,
    options: GradingOptions | None = None,
    pid_file: Path | None = None,
    display_name: str | None = None,
) -> SubmissionGrade:
    """Grade one notebook in this process (the kernel is a child process).

    Prefer :func:`grade_notebooks`, which runs this in a worker process with a hard time
    limit and so also survives kernels that cannot be stopped.
    """
    import nbformat

    options = options or GradingOptions()
    check = _registry()
    path = Path(path)
    started = time.monotonic()
    grade = SubmissionGrade(display_name or path.name, str(path.resolve()), None, "graded")

    nb = None
    problem = None
    try:
        text = path.read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as exc:
        nb = None
        problem = f"{type(exc).__name__}: {str(exc)[:300]}"
    grade.assignment = _assignment_of(path, nb, options)
    try:
        exercises = check.exercises(grade.assignment) if grade.assignment else []
    except KeyError:
        exercises = []
    if not exercises:
        grade.status = "unknown-assignment"
        grade.notes.append(
            f"The grader cannot tell which assignment this is (found {grade.assignment!r}). "
            "Name the file like the exercise notebook (e.g. 03_e_step.ipynb), keep its metadata, "
            f"or grade with --assignment. Known assignments: {', '.join(check.assignments())}."
        )
        grade.seconds = time.monotonic() - started
        return grade
    if nb is None:
        grade.status = "invalid-notebook"
        message = (
            "This file is not a valid Jupyter notebook, so it could not be run "
            f"({problem}). Open your notebook in Jupyter and download it again with "
            "File > Download; do not edit the .ipynb file in a text editor."
        )
        grade.exercises = _zero_grades(
            exercises, "not-graded", "Your file is not a valid notebook (see below)."
        )
        grade.notes.append(message)
        grade.seconds = time.monotonic() - started
        return grade

    # Trusted part first: cases and reference answers, before any student code runs.
    plans = []
    for exercise in exercises:
        cases = exercise.grading_cases(options.seed, options.extra_cases)
        inputs = [case.build() for case in cases]
        expected = [exercise.expected(args) for args in inputs]
        plans.append((exercise, cases, inputs, expected))
    sources = [str(c.get("source", "")) for c in nb.cells if c.get("cell_type") == "code"]

    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    with tempfile.TemporaryDirectory(prefix="emlib-grade-") as tmp:
        workdir, iodir = Path(tmp) / "work", Path(tmp) / "io"
        workdir.mkdir()
        iodir.mkdir()
        session = _KernelSession(nb, options, workdir, pid_file)
        try:
            session.run_notebook(options.timeout)
            revived = False
            for exercise, cases, inputs, expected in plans:
                if not session.alive() and not revived:
                    revived = True  # once: a function that kills the kernel costs one re-run
                    session.kill()
                    session.notes.append(
                        "The kernel was restarted to grade the remaining exercises."
                    )
                    session.run_notebook(options.timeout, attempts=2)
                if not session.alive():
                    record: dict[str, Any] = {"status": "kernel-died"}
                else:
                    record = session.collect(exercise, inputs, iodir)
                record.setdefault("limit", options.check_timeout)
                grade.exercises.append(
                    _evaluate_record(exercise, record, cases, inputs, expected, sources)
                )
        finally:
            session.kill()
        grade.notes.extend(session.notes)
    findings = suspicious_code(sources)
    if findings:
        grade.status = "flagged"
        grade.notes.append(
            "Flagged for a human to review (the points above do not depend on it): "
            + "; ".join(findings[:10])
            + ("; ..." if len(findings) > 10 else "")
            + "."
        )
    grade.seconds = time.monotonic() - started
    return grade


# --------------------------------------------------------------------------- workers


def _worker(spec_file: str) -> int:
    """Entry point of a worker process: grade one notebook, write the result as JSON."""
    spec = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    result_file = Path(spec["result_file"])
    try:
        _registry()  # import every check before any student code runs
        if _fingerprint() != spec["fingerprint"]:
            raise RuntimeError(
                "the emlib installation changed since grading started (did a submission edit "
                "it?); refusing to grade with modified checks"
            )
        grade = grade_submission(
            spec["path"], GradingOptions(**spec["options"]), Path(spec["pid_file"]), spec["display"]
        )
        data = asdict(grade)
    except BaseException:
        data = {"error": traceback.format_exc()}
    tmp = result_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, result_file)
    return 0


class _Progress:
    """A minimal progress bar on stderr (one line per submission when not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None, width: int = 30) -> None:
        self.total, self.stream, self.width, self.done = total, stream, width, 0
        self.tty = bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())

    def update(self, grade: SubmissionGrade) -> None:
        self.done += 1
        if self.stream is None:
            return
        score = f"{grade.total}/{grade.maximum}" if grade.maximum else grade.status
        if self.tty:
            filled = round(self.width * self.done / max(1, self.total))
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"\rgrading [{bar}] {self.done}/{self.total} {grade.file[:40]}: {score}"
            self.stream.write(line.ljust(100)[:100])
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"[{self.done}/{self.total}] {grade.file}: {score} ({grade.status})\n"
            )
        self.stream.flush()


def find_notebooks(paths: Iterable[str | Path]) -> list[Path]:
    """The notebooks named by ``paths`` (files, or folders searched recursively).

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            )
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such notebook or folder")
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())


def _display_names(notebooks: Sequence[Path]) -> list[str]:
    resolved = [p.resolve() for p in notebooks]
    if len(resolved) == 1:
        return [resolved[0].name]
    base = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    return [p.relative_to(base).as_posix() for p in resolved]


def _run_workers(
    notebooks: Sequence[Path],
    names: Sequence[str],
    options: GradingOptions,
    jobs: int,
    progress: _Progress,
    scratch: Path,
) -> list[SubmissionGrade]:
    check = _registry()
    fingerprint = _fingerprint()
    import emlib

    env = dict(os.environ)
    src_root = str(Path(emlib.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([src_root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

    results: list[SubmissionGrade | None] = [None] * len(notebooks)
    pending = list(range(len(notebooks)))
    running: dict[int, tuple[subprocess.Popen[bytes], float, float, Path]] = {}
    while pending or running:
        while pending and len(running) < jobs:
            i = pending.pop(0)
            folder = scratch / f"w{i}"
            folder.mkdir()
            try:
                nb_guess = _assignment_of(notebooks[i], None, options)
                n_ex = len(check.exercises(nb_guess)) if nb_guess else 4
            except KeyError:
                n_ex = 4
            spec = {
                "path": str(notebooks[i]),
                "display": names[i],
                "options": asdict(options),
                "result_file": str(folder / "result.json"),
                "pid_file": str(folder / "kernels.pid"),
                "fingerprint": fingerprint,
            }
            (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
            with open(folder / "log.txt", "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "emlib.grade", "--worker", str(folder / "spec.json")],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            running[i] = (proc, time.monotonic(), options.hard_limit(max(n_ex, 8)), folder)
        time.sleep(0.05)
        for i, (proc, started, limit, folder) in list(running.items()):
            timed_out = proc.poll() is None and time.monotonic() - started > limit
            if proc.poll() is None and not timed_out:
                continue
            if timed_out:
                _kill_worker(proc, folder)
            del running[i]
            results[i] = _read_worker_result(
                notebooks[i], names[i], folder, options, timed_out, time.monotonic() - started
            )
            progress.update(results[i])  # type: ignore[arg-type]
    return [r for r in results if r is not None]


def _kill_worker(proc: subprocess.Popen[bytes], folder: Path) -> None:
    _kill_group(proc.pid)
    try:
        for line in (folder / "kernels.pid").read_text(encoding="utf-8").split():
            _kill_group(int(line))
    except (OSError, ValueError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass


def _read_worker_result(
    path: Path, name: str, folder: Path, options: GradingOptions, timed_out: bool, seconds: float
) -> SubmissionGrade:
    check = _registry()
    assignment = _assignment_of(path, None, options)
    try:
        exercises = check.exercises(assignment) if assignment else []
    except KeyError:
        exercises = []
    result_file = folder / "result.json"
    data: dict[str, Any] = {}
    if result_file.exists():
        try:
            data = json.loads(result_file.read_text(encoding="utf-8"))
        except ValueError:
            data = {"error": "unreadable result file"}
    if data and "error" not in data:
        return SubmissionGrade.from_dict(data)
    if timed_out:
        status = "timeout"
        message = (
            "Grading this notebook took longer than the grader's hard limit, so it was stopped; "
            "make sure every cell finishes quickly."
        )
    else:
        status = "grader-error"
        log = ""
        try:
            log = (folder / "log.txt").read_text(encoding="utf-8", errors="replace")[-2000:]
        except OSError:
            pass
        detail = (data.get("error", "") or log).strip()[-1500:]
        message = "The grader failed on this notebook; please tell the course staff."
        message += f"\n\n```\n{detail}\n```"
    grade = SubmissionGrade(name, str(path.resolve()), assignment, status, seconds=seconds)
    grade.exercises = _zero_grades(exercises, "not-graded", message.split("\n\n")[0])
    grade.notes.append(message)
    return grade


# --------------------------------------------------------------------------- reports


def _columns(grades: Sequence[SubmissionGrade]) -> list[tuple[str, str]]:
    check = _registry()
    seen: list[tuple[str, str]] = []
    for assignment in sorted({g.assignment for g in grades if g.assignment}):
        try:
            for exercise in check.exercises(assignment):
                seen.append((assignment, exercise.name))
        except KeyError:
            continue
    return seen


def write_gradebook(grades: Sequence[SubmissionGrade], path: Path) -> None:
    """Write the gradebook: file, assignment, status, points per exercise, total, maximum."""
    columns = _columns(grades)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["file", "assignment", "status", *[f"{a}.{n}" for a, n in columns], "total", "maximum"]
        )
        for g in grades:
            points = {(g.assignment, e.name): e.earned for e in g.exercises}
            writer.writerow(
                [
                    g.file,
                    g.assignment or "",
                    g.status,
                    *[points.get(c, "") for c in columns],
                    g.total,
                    g.maximum,
                ]
            )


def feedback_markdown(grade: SubmissionGrade) -> str:
    """The feedback file of one submission, in Markdown."""
    lines = [f"# Feedback on `{grade.file}`", ""]
    if grade.maximum:
        lines.append(
            f"**Score: {grade.total} / {grade.maximum} points** "
            f"(assignment {grade.assignment}; graded in {grade.seconds:.1f} s)"
        )
    else:
        lines.append(f"**Not graded** ({grade.status})")
    lines.append("")
    if grade.exercises:
        lines += ["| Exercise | Points | Result |", "| --- | ---: | --- |"]
        for e in grade.exercises:
            verdict = (
                "passed"
                if e.status == "passed"
                else ("not attempted" if e.status == "not-attempted" else f"`{e.mistake}`")
            )
            lines.append(f"| {e.title} | {e.earned} / {e.points} | {e.icon} {verdict} |")
        lines.append("")
        for e in grade.exercises:
            if e.status != "passed":
                lines += [
                    f"## {e.title} ({e.earned} / {e.points})",
                    "",
                    f"{e.icon} {e.explanation()}",
                    "",
                ]
    if grade.notes:
        lines += ["## While running your notebook", ""]
        lines += [f"- {note}" for note in grade.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _summary_table(grades: Sequence[SubmissionGrade]) -> str:
    columns = _columns(grades)
    header = ["file", *[n for _, n in columns], "total", "status"]
    rows = []
    for g in grades:
        points = {(g.assignment, e.name): f"{e.earned}/{e.points}" for e in g.exercises}
        rows.append(
            [g.file, *[points.get(c, "-") for c in columns], f"{g.total}/{g.maximum}", g.status]
        )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*["-" * w for w in widths])]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(out)


def grade_notebooks(
    paths: Iterable[str | Path],
    out_dir: str | Path,
    options: GradingOptions | None = None,
    jobs: int | None = None,
    progress: TextIO | None = sys.stderr,
) -> list[SubmissionGrade]:
    """Grade notebooks in parallel worker processes and write the reports to ``out_dir``.

    Parameters
    ----------
    paths : iterable of str or Path
        Notebooks, or folders searched recursively for ``*.ipynb``.
    out_dir : str or Path
        Where ``gradebook.csv``, ``grades.json`` and ``feedback/`` are written.
    options : GradingOptions, optional
        Time limits and seeds.
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
    ImportError
        If nbclient or nbformat is not installed.
    """
    options = options or GradingOptions()
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "the grader needs nbclient, nbformat and ipykernel: "
            "pip install nbclient nbformat ipykernel"
        ) from exc
    notebooks = find_notebooks(paths)
    if not notebooks:
        raise ValueError("no notebook (*.ipynb) found in the given paths")
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1; got {jobs}")
    jobs = min(jobs, len(notebooks))
    names = _display_names(notebooks)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fingerprint = _fingerprint()
    scratch = Path(tempfile.mkdtemp(prefix="emlib-grade-run-"))
    try:
        grades = _run_workers(
            notebooks, names, options, jobs, _Progress(len(notebooks), progress), scratch
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if _fingerprint() != fingerprint:
        for g in grades:
            g.notes.append("WARNING: the emlib installation changed during grading.")
        if progress is not None:
            progress.write(
                "WARNING: emlib's files changed while grading: a submission may have "
                "tampered with the grader. Re-grade in a sandbox.\n"
            )
    write_gradebook(grades, out / "gradebook.csv")
    (out / "grades.json").write_text(
        json.dumps(
            [asdict(g) | {"total": g.total, "maximum": g.maximum} for g in grades], indent=1
        ),
        encoding="utf-8",
    )
    for g in grades:
        target = out / "feedback" / (g.file.removesuffix(".ipynb") + ".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feedback_markdown(g), encoding="utf-8")
    return grades


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m emlib.grade",
        description="Grade exercise notebooks with the course's own checks.",
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
        default=GradingOptions.timeout,
        help="seconds to run one notebook's cells (default: %(default)s)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=GradingOptions.cell_timeout,
        help="seconds one cell may run (default: %(default)s)",
    )
    parser.add_argument(
        "--check-timeout",
        type=float,
        default=GradingOptions.check_timeout,
        help="seconds to collect one exercise's answers (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the extra random cases")
    parser.add_argument(
        "--extra-cases",
        type=int,
        default=GradingOptions.extra_cases,
        help="extra random cases per random case (default: %(default)s)",
    )
    parser.add_argument(
        "--assignment", default=None, help="grade every notebook as this assignment, e.g. ch03"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker)
    if not args.paths or not args.out:
        parser.error("give at least one PATH and --out DIR")
    try:
        options = GradingOptions(
            timeout=args.timeout,
            cell_timeout=args.cell_timeout,
            check_timeout=args.check_timeout,
            seed=args.seed,
            extra_cases=args.extra_cases,
            assignment=args.assignment,
        )
        grades = grade_notebooks(
            args.paths, args.out, options, args.jobs, None if args.quiet else sys.stderr
        )
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(_summary_table(grades))
    print(
        f"\nwrote {Path(args.out) / 'gradebook.csv'} and {len(grades)} feedback file(s) in "
        f"{Path(args.out) / 'feedback'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
