#!/usr/bin/env python3
"""Build the course website with Jupyter Book 1, strictly.

``bash scripts/build_book.sh`` runs this inside its own virtual environment, and
``tests/conftest.py`` imports it, so the flags below are written down exactly once.

A build fails (non-zero exit) on

* any Sphinx warning, including broken references (``-W -n``; ``--keep-going`` reports all
  of them before failing);
* any exception in a notebook cell not tagged ``raises-exception``
  (``execute.raise_on_error`` in ``_config.yml``).

``--all`` makes Sphinx re-read every page on every build. Without it a page that warned in
the previous build is not re-read, its warning is not repeated and the next build "passes".
Re-reading is cheap because notebook *execution* is cached by jupyter-cache
(``execute_notebooks: cache``): only notebooks whose code changed are run again.
jupyter-cache does not know that the notebooks' results also depend on the ``emlib`` library,
so the cache is emptied whenever ``src/`` or ``pyproject.toml`` changed since it was filled.

Extra arguments are passed on to ``jupyter-book build``, e.g. ``--path-output /tmp/site``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: The strict flags; see the module docstring.
STRICT_FLAGS: tuple[str, ...] = ("-W", "-n", "--keep-going", "--all")


def jupyter_book_executable() -> str:
    """Path of the ``jupyter-book`` command belonging to the running Python."""
    candidate = Path(sys.executable).parent / "jupyter-book"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("jupyter-book")
    if found is None:
        raise FileNotFoundError(
            "jupyter-book is not installed for this Python; "
            'install the book extras with: pip install -e ".[book]"'
        )
    return found


def library_fingerprint(root: Path = REPO_ROOT) -> str:
    """Hash of everything under ``root/src`` and of ``pyproject.toml``."""
    digest = hashlib.sha256()
    files = [p for p in sorted((Path(root) / "src").rglob("*")) if p.is_file()]
    files.append(Path(root) / "pyproject.toml")
    for path in files:
        if "__pycache__" in path.parts or any(p.endswith(".egg-info") for p in path.parts):
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def output_dir(root: Path, extra_args: Sequence[str]) -> Path:
    """The ``_build`` folder that ``jupyter-book build`` will use."""
    args = list(extra_args)
    for i, arg in enumerate(args):
        if arg == "--path-output" and i + 1 < len(args):
            return Path(args[i + 1]) / "_build"
        if arg.startswith("--path-output="):
            return Path(arg.split("=", 1)[1]) / "_build"
    return Path(root) / "_build"


def drop_stale_execution_cache(build_dir: Path, fingerprint: str) -> bool:
    """Empty ``build_dir/.jupyter_cache`` if it was filled with another library version.

    Returns whether the cache was dropped. The fingerprint is recorded for the next build.
    """
    cache = build_dir / ".jupyter_cache"
    stamp = build_dir / ".emlib-fingerprint"
    dropped = False
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != fingerprint):
        print(">>> emlib or pyproject.toml changed: re-executing all notebooks", flush=True)
        shutil.rmtree(cache)
        dropped = True
    build_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return dropped


def build_command(root: Path = REPO_ROOT, extra_args: Sequence[str] = ()) -> list[str]:
    """The ``jupyter-book build`` command line for the book at ``root``."""
    return [jupyter_book_executable(), "build", str(root), *STRICT_FLAGS, *extra_args]


def build_book(
    root: Path = REPO_ROOT,
    extra_args: Sequence[str] = (),
    *,
    capture_output: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Build the book at ``root`` into ``root/_build/html`` (unless ``extra_args`` say otherwise).

    Parameters
    ----------
    root
        Folder holding ``_config.yml`` and ``_toc.yml``.
    extra_args
        More ``jupyter-book build`` arguments.
    capture_output
        Capture stdout and stderr together (as ``.stdout``) instead of streaming them.

    Returns
    -------
    subprocess.CompletedProcess
        Its ``returncode`` is 0 only for a build without warnings or execution errors.
    """
    drop_stale_execution_cache(
        output_dir(Path(root), extra_args), library_fingerprint(Path(root))
    )
    return subprocess.run(
        build_command(Path(root), extra_args),
        cwd=root,
        text=True,
        stdout=subprocess.PIPE if capture_output else None,
        stderr=subprocess.STDOUT if capture_output else None,
        check=False,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build the repository's book; return the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    result = build_book(REPO_ROOT, args)
    if result.returncode != 0:
        print(
            f"\nbook build FAILED (exit {result.returncode}): see the warnings/errors above",
            file=sys.stderr,
        )
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
