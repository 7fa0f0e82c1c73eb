"""Gradescope autograder: a bundle that grades one submission with this grader.

``python -m emlib.grade --gradescope-bundle autograder.zip --assignment ch03`` writes a zip
with, at its root (Gradescope's autograder specification):

* ``setup.sh``: installs Python, bubblewrap and the course package (``course/``, a copy of
  this project's ``pyproject.toml`` and ``src/emlib``, which holds the checks) with its
  ``grade`` extra into ``/autograder/venv``;
* ``run_autograder``: grades the notebook in ``/autograder/submission`` and writes
  ``/autograder/results/results.json``: one test per exercise (``name``, ``score``,
  ``max_score``, ``output`` = the feedback) and the total ``score``;
* ``config.json``: the assignment.

Gradescope runs every submission in its own container, so a class of any size is graded in
parallel there. Inside the container the notebook still runs in the bubblewrap sandbox when
the container allows it, so that it cannot write ``results.json`` itself; otherwise it runs
without one and the result's ``output`` says so. ``AUTOGRADER_ROOT`` (default
``/autograder``) and ``AUTOGRADER_PYTHON`` let ``run_autograder`` run elsewhere, e.g. in a
test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from .options import GradingOptions
from .report import SANDBOX_OFF
from .score import SubmissionGrade

__all__ = ["build_bundle", "results_json", "run"]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet "/autograder/source/course[grade]"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
exec "$PYTHON" -m emlib.grade.gradescope --root "$ROOT" --config "$ROOT/source/config.json"
"""


def _project_root() -> Path:
    import emlib

    root = Path(emlib.__file__).resolve().parent.parent.parent
    if not (root / "pyproject.toml").is_file() or not (root / "src" / "emlib").is_dir():
        raise ValueError(
            "a Gradescope bundle is built from a clone of the course repository installed "
            "with `pip install -e .`; this emlib is not in one"
        )
    return root


def build_bundle(target: str | Path, assignment: str | None = None) -> Path:
    """Write the autograder zip for ``assignment`` (``None``: read it from the notebook).

    Raises
    ------
    ValueError
        If ``assignment`` is not registered or emlib is not installed from a clone.
    """
    from emlib.check import assignments, load_all

    load_all()
    if assignment is not None and assignment not in assignments():
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(assignments())}")
    root = _project_root()
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:

        def add_text(name: str, text: str, executable: bool = False) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, text)

        add_text("setup.sh", SETUP_SH, executable=True)
        add_text("run_autograder", RUN_AUTOGRADER, executable=True)
        add_text("config.json", json.dumps({"assignment": assignment}) + "\n")
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (root / name).is_file():
                add_text(f"course/{name}", (root / name).read_text(encoding="utf-8"))
        for path in sorted((root / "src" / "emlib").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                bundle.write(path, f"course/{path.relative_to(root).as_posix()}")
    return target


def results_json(grade: SubmissionGrade | None, problem: str | None = None) -> dict[str, Any]:
    """Gradescope's ``results.json`` for one graded notebook (or for a problem)."""
    if grade is None:
        return {"score": 0.0, "output": problem or "Nothing was graded.", "tests": []}
    tests = []
    for e in grade.exercises:
        output = (
            f"Passed all {e.n_cases} test cases." if e.passed and e.n_cases else e.explanation()
        ) or "Passed."
        tests.append(
            {
                "name": e.title,
                "score": float(e.earned),
                "max_score": float(e.points),
                "status": "passed" if e.passed else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    lines = [f"{grade.file}: {grade.total} / {grade.maximum} points ({grade.status})."]
    lines += grade.notes
    if not grade.sandboxed:
        lines.append(SANDBOX_OFF)
    return {
        "score": float(grade.total),
        "output": "\n".join(lines),
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _pick_notebook(folder: Path, assignment: str | None) -> tuple[Path | None, str | None]:
    from .collect import assignment_of, find_notebooks

    notebooks = find_notebooks([folder]) if folder.is_dir() else []
    if assignment is not None and len(notebooks) > 1:
        options = GradingOptions(assignment=None)
        matching = [p for p in notebooks if assignment_of(p, None, options) == assignment]
        notebooks = matching or notebooks
    if len(notebooks) == 1:
        return notebooks[0], None
    if not notebooks:
        return None, "No notebook (.ipynb) was found in your submission: upload your notebook."
    names = ", ".join(p.name for p in notebooks[:5])
    return None, f"Your submission has several notebooks ({names}): upload only one."


def run(root: Path, assignment: str | None) -> dict[str, Any]:
    """Grade ``root/submission`` and write ``root/results/results.json``; return its content."""
    from .pipeline import grade_notebooks
    from .sandbox import SandboxUnavailable, check_sandbox

    notebook, problem = _pick_notebook(root / "submission", assignment)
    result: dict[str, Any]
    if notebook is None:
        result = results_json(None, problem)
    else:
        try:
            check_sandbox()
            sandbox = True
        except SandboxUnavailable:
            sandbox = False
        options = GradingOptions(assignment=assignment, sandbox=sandbox)
        with tempfile.TemporaryDirectory(prefix="emlib-gradescope-") as out:
            grades = grade_notebooks([notebook], out, options, jobs=1)
        result = results_json(grades[0])
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    tmp = results / "results.json.tmp"
    tmp.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, results / "results.json")
    return result


def main(argv: list[str] | None = None) -> int:
    """``run_autograder``'s entry point."""
    parser = argparse.ArgumentParser(prog="python -m emlib.grade.gradescope")
    parser.add_argument("--root", type=Path, default=Path("/autograder"))
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    assignment = None
    if args.config is not None and args.config.is_file():
        assignment = json.loads(args.config.read_text(encoding="utf-8")).get("assignment")
    result = run(args.root, assignment)
    print(result["output"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
