"""Stage 1, collect: find the submissions, read them, and decide what each one is graded as.

Nothing here runs student code. A file that is not a notebook is turned into a one-line
reason for the student, never a traceback.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .options import GradingOptions

__all__ = ["Submission", "display_names", "find_notebooks", "read_submission"]

#: Largest notebook the grader reads (a bigger file is reported, not loaded).
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024


@dataclass
class Submission:
    """One notebook, read and validated, ready to be run.

    Attributes
    ----------
    path : Path
        The file as given.
    name : str
        Its name in reports (relative to the common folder of all submissions).
    notebook : nbformat.NotebookNode or None
        The parsed notebook; ``None`` when the file is not a valid notebook.
    problem : str or None
        One line saying why the file is not a valid notebook.
    assignment : str or None
        What it is graded as: ``--assignment``, else the notebook's ``emlib.assignment``
        metadata, else the number its file name starts with (``03_x.ipynb`` -> ``ch03``).
    sources : list of str
        The source of every code cell, in order.
    """

    path: Path
    name: str
    notebook: Any = None
    problem: str | None = None
    assignment: str | None = None
    sources: list[str] = field(default_factory=list)


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


def display_names(notebooks: Sequence[Path]) -> list[str]:
    """Names relative to the notebooks' common folder (just the file name for one)."""
    resolved = [p.resolve() for p in notebooks]
    if len(resolved) == 1:
        return [resolved[0].name]
    base = Path(os.path.commonpath([str(p.parent) for p in resolved]))
    return [p.relative_to(base).as_posix() for p in resolved]


def assignment_of(path: Path, notebook: Any, options: GradingOptions) -> str | None:
    """The assignment a notebook is graded as (see :class:`Submission`)."""
    if options.assignment:
        return options.assignment
    if notebook is not None:
        meta = notebook.get("metadata", {}).get("emlib", {})
        if isinstance(meta, dict) and isinstance(meta.get("assignment"), str):
            return meta["assignment"]
    match = re.match(r"^(\d+)_", path.name)
    return f"ch{int(match.group(1)):02d}" if match else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def read_submission(path: Path, name: str, options: GradingOptions) -> Submission:
    """Read and validate one notebook; never raises for a bad file."""
    import nbformat

    submission = Submission(path, name)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise ValueError(f"the file is {size / 2**20:.0f} MB, more than the 32 MB allowed")
        text = path.read_text(encoding="utf-8")
        notebook = nbformat.reads(text, as_version=4)
        cells = notebook.get("cells")
        if not isinstance(cells, list):
            raise ValueError("it has no list of cells")
        sources = []
        for cell in cells:
            if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
                raise ValueError("one of its cells is not a notebook cell")
            if cell["cell_type"] == "code":
                source = cell.get("source", "")
                if not isinstance(source, str):
                    raise ValueError("a code cell's source is not text")
                sources.append(source)
    except UnicodeDecodeError:
        submission.problem = "the file is not UTF-8 text"
    except ValueError as exc:  # JSON errors and nbformat's own reading errors
        submission.problem = _one_line(exc)
    except Exception as exc:  # nbformat raises various types for broken structures
        submission.problem = f"{type(exc).__name__}: {_one_line(exc)}"
    else:
        submission.notebook = notebook
        submission.sources = sources
    submission.assignment = assignment_of(path, submission.notebook, options)
    return submission
