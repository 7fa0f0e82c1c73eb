"""Stage 4, report: the gradebook, the feedback files, ``grades.json`` and the summary.

Only the grader's parent process writes these, after every sandbox has ended. Text that
comes from a submission (its file name) is escaped so that a spreadsheet cannot read a
cell as a formula.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emlib.check import exercises as registered_exercises

from .score import SubmissionGrade

__all__ = [
    "SANDBOX_OFF",
    "feedback_markdown",
    "safe_cell",
    "summary_table",
    "write_gradebook",
    "write_reports",
]

SANDBOX_OFF = (
    "Graded WITHOUT a sandbox (--no-sandbox): student code ran with the grader's permissions."
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet reads as a formula (text starting = + - @ tab CR)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _columns(grades: Sequence[SubmissionGrade]) -> list[tuple[str, str]]:
    columns: list[tuple[str, str]] = []
    for assignment in sorted({g.assignment for g in grades if g.assignment}):
        try:
            columns += [(assignment, e.name) for e in registered_exercises(assignment)]
        except KeyError:
            continue
    return columns


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_gradebook(grades: Sequence[SubmissionGrade], path: Path) -> None:
    """Write the gradebook: file, assignment, status, points per exercise, total, maximum."""
    columns = _columns(grades)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["file", "assignment", "status", *[f"{a}.{n}" for a, n in columns], "total", "maximum"]
        )
        for g in grades:
            points = {(g.assignment, e.name): e.earned for e in g.exercises}
            row = [g.file, g.assignment or "", g.status, *[points.get(c, "") for c in columns]]
            writer.writerow([safe_cell(v) for v in row] + [g.total, g.maximum])
    os.replace(tmp, path)


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
    if not grade.sandboxed:
        lines += [f"*{SANDBOX_OFF}*", ""]
    if grade.exercises:
        lines += ["| Exercise | Points | Result |", "| --- | ---: | --- |"]
        for e in grade.exercises:
            verdict = {"passed": "passed", "not-attempted": "not attempted"}.get(
                e.status, f"`{e.mistake}`"
            )
            lines.append(f"| {e.title} | {e.earned} / {e.points} | {e.icon} {verdict} |")
        lines.append("")
        for e in grade.exercises:
            if not e.passed:
                lines += [f"## {e.title} ({e.earned} / {e.points})", "", e.explanation(), ""]
    if grade.notes:
        lines += ["## While running your notebook", ""]
        lines += [f"- {note}" for note in grade.notes]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _feedback_path(feedback_dir: Path, file: str) -> Path:
    """``feedback/<file without .ipynb>.md``, never outside ``feedback_dir``."""
    parts = [p for p in Path(file.removesuffix(".ipynb")).parts if p not in ("", ".", "..", "/")]
    target = feedback_dir.joinpath(*parts).with_suffix(".md") if parts else feedback_dir / "_.md"
    if not target.resolve().is_relative_to(feedback_dir.resolve()):
        target = feedback_dir / (target.name or "_.md")
    return target


def write_reports(grades: Sequence[SubmissionGrade], out: Path) -> None:
    """Write ``gradebook.csv``, ``grades.json`` and ``feedback/*.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_gradebook(grades, out / "gradebook.csv")
    _write_atomically(
        out / "grades.json", json.dumps([g.to_dict() for g in grades], indent=1) + "\n"
    )
    feedback_dir = out / "feedback"
    for g in grades:
        target = _feedback_path(feedback_dir, g.file)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, feedback_markdown(g))


def summary_table(grades: Sequence[SubmissionGrade]) -> str:
    """A plain-text table of every submission's points, for the terminal."""
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
    if any(not g.sandboxed for g in grades):
        out += ["", SANDBOX_OFF]
    return "\n".join(out)
