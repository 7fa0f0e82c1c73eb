#!/usr/bin/env python3
"""Generate the exercise notebooks from the solution notebooks (the single source).

``solutions/NN_name_solution.ipynb`` becomes ``exercises/NN_name.ipynb``:

* in code cells, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` are
  replaced by ``raise NotImplementedError("...")`` naming the exercise, at the same
  indentation; the ``def`` line and docstring above the markers stay. The exercise's name
  is the enclosing function's, or the word after ``BEGIN SOLUTION`` (required at top level:
  ``### BEGIN SOLUTION log_likelihood_value``);
* in Markdown cells, the lines between ``<!-- BEGIN SOLUTION -->`` and
  ``<!-- END SOLUTION -->`` (each alone on its line) become "*Write your answer here.*";
* cells tagged ``solution-only`` are left out;
* cells that will raise while the exercise is unfinished get the ``raises-exception`` tag:
  check cells (they call ``check_...(``), cells with a top-level solution region, and cells
  tagged ``raises-in-exercise`` in the solution;
* outputs are stripped and the notebook's metadata records its assignment (``ch03``...) and
  its source, in ``metadata.emlib``.

It also checks that every exercise registered for the assignment in ``emlib.check`` has a
check cell in the solution notebook, and that every check cell names a registered exercise.

Usage::

    python scripts/make_exercises.py           # (re)write exercises/ from solutions/
    python scripts/make_exercises.py --check   # exit 1 if an exercise notebook is stale
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTION_SUFFIX = "_solution"
BEGIN_RE = re.compile(r"^(?P<indent>\s*)#+\s*BEGIN SOLUTION\b\s*(?P<name>\w*)\s*$")
END_RE = re.compile(r"^\s*#+\s*END SOLUTION\b\s*$")
MD_BEGIN_RE = re.compile(r"^\s*<!--\s*BEGIN SOLUTION\s*-->\s*$")
MD_END_RE = re.compile(r"^\s*<!--\s*END SOLUTION\s*-->\s*$")
CHECK_CALL_RE = re.compile(r"\bcheck_(\w+)\s*\(")
RAISES_TAG = "raises-exception"
RAISES_IN_EXERCISE_TAG = "raises-in-exercise"
SOLUTION_ONLY_TAG = "solution-only"
MARKDOWN_PLACEHOLDER = "*Write your answer here.*"
VOLATILE_CELL_METADATA = ("execution", "executionInfo", "colab", "outputId")
VOLATILE_NOTEBOOK_METADATA = ("widgets", "colab", "accelerator")


class SolutionError(ValueError):
    """A solution notebook whose markers or check cells are inconsistent."""


def exercise_name_for(solution: Path) -> str:
    """``03_e_step_solution.ipynb`` -> ``03_e_step.ipynb``."""
    stem = solution.stem
    return (stem[: -len(SOLUTION_SUFFIX)] if stem.endswith(SOLUTION_SUFFIX) else stem) + ".ipynb"


def assignment_for(solution: Path, nb: nbformat.NotebookNode) -> str:
    """The assignment of a solution notebook: ``metadata.emlib.assignment``, else ``chNN``."""
    meta = nb.metadata.get("emlib", {})
    if isinstance(meta, dict) and meta.get("assignment"):
        return str(meta["assignment"])
    match = re.match(r"^(\d+)_", solution.name)
    if not match:
        raise SolutionError(
            f"{solution.name}: cannot tell the assignment; start the file name with the chapter "
            "number (03_...) or set metadata.emlib.assignment"
        )
    return f"ch{int(match.group(1)):02d}"


def _enclosing_function(source: str, lineno: int) -> str | None:
    """Name of the innermost function whose body contains line ``lineno`` (1-based)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best: tuple[int, str] | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            end = node.end_lineno or node.lineno
            if node.lineno < lineno <= end and (best is None or node.lineno > best[0]):
                best = (node.lineno, node.name)
    return best[1] if best else None


def _stub(indent: str, name: str) -> str:
    return f'{indent}raise NotImplementedError("{name}: write your code here")'


def strip_code_solutions(source: str, where: str) -> tuple[str, bool, list[str]]:
    """Replace solution regions of a code cell.

    Returns
    -------
    source : str
        The exercise's code.
    top_level : bool
        Whether a region was at top level (the cell then raises).
    names : list of str
        The exercises whose solutions were removed.

    Raises
    ------
    SolutionError
        If the markers are unbalanced or a top-level region has no name.
    """
    lines = source.split("\n")
    out: list[str] = []
    names: list[str] = []
    top_level = False
    i = 0
    while i < len(lines):
        begin = BEGIN_RE.match(lines[i])
        if END_RE.match(lines[i]):
            raise SolutionError(f"{where}: END SOLUTION on line {i + 1} without a BEGIN SOLUTION")
        if not begin:
            out.append(lines[i])
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if END_RE.match(lines[j])), None)
        nested = next(
            (j for j in range(i + 1, end or len(lines)) if BEGIN_RE.match(lines[j])), None
        )
        if end is None or nested is not None:
            raise SolutionError(
                f"{where}: BEGIN SOLUTION on line {i + 1} has no matching END SOLUTION"
            )
        indent = begin.group("indent")
        name = begin.group("name") or _enclosing_function(source, i + 1)
        if not name:
            raise SolutionError(
                f"{where}: the solution region on line {i + 1} is not inside a function; name "
                "the exercise on the marker: ### BEGIN SOLUTION <exercise_name>"
            )
        if not indent:
            top_level = True
        names.append(name)
        out.append(_stub(indent, name))
        i = end + 1
    return "\n".join(out), top_level, names


def strip_markdown_solutions(source: str, where: str) -> str:
    """Replace the ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->`` lines of Markdown."""
    lines = source.split("\n")
    out: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        if MD_BEGIN_RE.match(line):
            if inside:
                raise SolutionError(f"{where}: nested BEGIN SOLUTION on line {number}")
            inside = True
            out.append(MARKDOWN_PLACEHOLDER)
        elif MD_END_RE.match(line):
            if not inside:
                raise SolutionError(f"{where}: END SOLUTION on line {number} without a BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise SolutionError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def _set_tags(cell: nbformat.NotebookNode, add: set[str], remove: set[str]) -> None:
    tags = [t for t in cell.metadata.get("tags", []) if t not in remove]
    tags += sorted(t for t in add if t not in tags)
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)


def make_exercise(
    solution_nb: nbformat.NotebookNode, solution_rel: str, assignment: str
) -> tuple[nbformat.NotebookNode, list[str], list[str]]:
    """Build the exercise notebook from a solution notebook.

    Returns
    -------
    exercise : NotebookNode
    stubbed : list of str
        Exercises whose solution regions were replaced.
    checked : list of str
        Exercises whose check function a cell calls.
    """
    nb = copy.deepcopy(solution_nb)
    cells = []
    stubbed: list[str] = []
    checked: list[str] = []
    for index, cell in enumerate(nb.cells):
        where = f"{solution_rel}, cell {index}"
        tags = set(cell.metadata.get("tags", []))
        if SOLUTION_ONLY_TAG in tags:
            continue
        add: set[str] = set()
        if cell.cell_type == "code":
            source, top_level, names = strip_code_solutions(cell.source, where)
            cell.source = source
            stubbed += names
            calls = CHECK_CALL_RE.findall(source)
            checked += calls
            if top_level or calls or RAISES_IN_EXERCISE_TAG in tags:
                add.add(RAISES_TAG)
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = strip_markdown_solutions(cell.source, where)
        _set_tags(cell, add, {RAISES_IN_EXERCISE_TAG})
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        cells.append(cell)
    nb.cells = cells
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    nb.metadata["emlib"] = {"assignment": assignment, "generated_from": solution_rel}
    return nb, stubbed, checked


def canonical_text(nb: nbformat.NotebookNode) -> str:
    """The notebook as committed (nbformat's layout, like scripts/nbtools.py)."""
    return nbformat.writes(nb, version=4) + "\n"


def registered_exercises(assignment: str) -> list[str] | None:
    """Names of the exercises registered for ``assignment``, or None if emlib is missing."""
    try:
        from emlib import check
    except ImportError:
        return None
    check.load_all()
    try:
        return [e.name for e in check.exercises(assignment)]
    except KeyError:
        return []


def generate(solution: Path, root: Path) -> tuple[Path, str]:
    """The exercise path and text for ``solution``.

    Raises
    ------
    SolutionError
        If the solution notebook's markers or check cells are inconsistent with the registry.
    """
    rel = solution.resolve().relative_to(root.resolve()).as_posix()
    solution_nb = nbformat.read(solution, as_version=4)
    assignment = assignment_for(solution, solution_nb)
    nb, stubbed, checked = make_exercise(solution_nb, rel, assignment)
    if not stubbed:
        raise SolutionError(f"{rel}: no ### BEGIN SOLUTION / ### END SOLUTION region")
    registered = registered_exercises(assignment)
    if registered is not None:
        unknown = sorted(set(checked) - set(registered))
        if unknown:
            raise SolutionError(
                f"{rel}: check cells call check_{unknown[0]}, but emlib.check.{assignment} "
                f"registers no exercise {unknown[0]!r} (registered: {registered})"
            )
        unchecked = [name for name in registered if name not in checked]
        if unchecked:
            raise SolutionError(
                f"{rel}: exercise {unchecked[0]!r} of emlib.check.{assignment} has no check cell "
                f"(add a cell calling {assignment}.check_{unchecked[0]}(...))"
            )
    return root / "exercises" / exercise_name_for(solution), canonical_text(nb)


def solution_notebooks(root: Path) -> list[Path]:
    """The solution notebooks in ``root/solutions``, sorted."""
    folder = root / "solutions"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.ipynb") if p.is_file())


def orphans(root: Path, expected: set[Path]) -> list[Path]:
    """Generated exercise notebooks whose solution notebook is gone."""
    found = []
    for path in sorted((root / "exercises").glob("*.ipynb")):
        if path.resolve() in expected:
            continue
        try:
            meta = nbformat.read(path, as_version=4).metadata.get("emlib", {})
        except Exception:
            continue
        if isinstance(meta, dict) and meta.get("generated_from"):
            found.append(path)
    return found


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="only report stale exercise notebooks; exit 1 if there are any",
    )
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    args = parser.parse_args(argv)
    root = args.root
    problems: list[str] = []
    expected: set[Path] = set()
    solutions = solution_notebooks(root)
    for solution in solutions:
        try:
            target, text = generate(solution, root)
        except SolutionError as exc:
            problems.append(str(exc))
            continue
        expected.add(target.resolve())
        rel = target.relative_to(root).as_posix()
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            problems.append(f"{rel} is {'missing' if current is None else 'stale'}")
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {rel}")
    for orphan in orphans(root, expected):
        rel = orphan.relative_to(root).as_posix()
        if args.check:
            problems.append(f"{rel} was generated from a solution notebook that no longer exists")
        else:
            print(f"warning: {rel} has no solution notebook any more; delete it", file=sys.stderr)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        if args.check:
            print(
                "Run `python scripts/make_exercises.py` to regenerate the exercise notebooks.",
                file=sys.stderr,
            )
        return 1
    if args.check:
        print(f"all {len(solutions)} exercise notebook(s) are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
