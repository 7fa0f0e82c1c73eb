"""Shared fixtures.

``built_site`` builds the book ONCE per test session, from scratch, in a temporary copy of the
repository, with exactly the strict flags of ``scripts/build_book.sh`` (it calls the same
:func:`build_book.build_book`). Tests that need the website (Colab links, browser tests) take
``built_site``, the ``_build/html`` folder of that build.

Test modules must not ``from conftest import ...``: tests/browser has a conftest.py of its
own, and which one such an import finds depends on the order of collection. Everything
shared is a fixture.

Markers: ``book`` (needs a book build) and ``slow`` (creates a virtual environment).
Skip them with ``-m "not book and not slow"``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = REPO_ROOT / "scripts"

#: Never copied into the temporary book: environments, caches and build output.
COPY_IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "venv",
    "_build",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".ipynb_checkpoints",
    "*.egg-info",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "book: builds the Jupyter Book (about a minute or more)")
    config.addinivalue_line("markers", "slow: creates a virtual environment and installs into it")


#: The test that executes every chapter strictly (the book build), and the one that executes
#: every exercise and solution notebook alone, as on Colab.
BOOK_BUILD_TEST = "tests/test_book_build.py::test_book_builds_without_warnings_or_execution_errors"
COLAB_RUN_TEST = "tests/test_colab_install.py::test_notebook_runs_alone_on_colab["


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Execute each notebook once per run, by the most thorough test that is selected.

    nbval (``--nbval-lax``) runs every notebook and fails on an unexpected exception. The
    strict book build does the same for every chapter (``allow_errors: false``,
    ``raise_on_error: true``; tests/test_book_build.py proves that a planted error fails
    it), and tests/test_colab_install.py runs every exercise and solution notebook alone in
    a Colab-like environment and checks more (every check cell, the score). When those are
    selected, nbval's runs of the same notebooks are deselected; otherwise (say ``-m "not
    book and not slow"``) nbval runs them.
    """
    selected = {item.nodeid for item in items}
    covered: set[str] = set()
    if BOOK_BUILD_TEST in selected and not os.environ.get("COURSE_SITE_HTML"):
        covered.add("book")
    if any(nodeid.startswith(COLAB_RUN_TEST) for nodeid in selected):
        covered.update(("exercises", "solutions"))
    if not covered:
        return
    keep, drop = [], []
    for item in items:
        path = item.nodeid.split("::")[0]
        ran_elsewhere = path.endswith(".ipynb") and path.split("/")[0] in covered
        (drop if ran_elsewhere else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` as a module (scripts/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def nbtools() -> ModuleType:
    """The ``scripts/nbtools.py`` module."""
    return load_script("nbtools")


@pytest.fixture(scope="session")
def build_book_module() -> ModuleType:
    """The ``scripts/build_book.py`` module."""
    return load_script("build_book")


@pytest.fixture(scope="session")
def repository(nbtools: ModuleType):
    """The ``repository`` section of ``_config.yml`` (an ``nbtools.Repository``)."""
    return nbtools.read_repository(REPO_ROOT)


@pytest.fixture(scope="session")
def toc_files() -> list[str]:
    """Every ``file:`` of ``_toc.yml`` (root first), without suffix, in order."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key, []))

    walk(toc.get("chapters", []) + toc.get("parts", []))
    return files


@pytest.fixture(scope="session")
def chapter_notebooks(toc_files: list[str]) -> list[str]:
    """The ``_toc.yml`` entries that are notebooks, e.g. ``book/03_e_step``."""
    return [f for f in toc_files if (REPO_ROOT / f"{f}.ipynb").exists()]


@dataclass(frozen=True)
class BookBuild:
    """Outcome of a book build."""

    returncode: int
    log: str
    html: Path

    def problems(self) -> str:
        """The warning/error lines of the log, or its tail if there are none."""
        lines = self.log.splitlines()
        flagged = [
            line
            for line in lines
            if ("WARNING" in line or "ERROR" in line or "Error" in line)
            and "IPKernelApp" not in line  # jupyter's own "not encrypted" notice
        ]
        return "\n".join(flagged or lines[-60:])


def run_strict_build(root: Path) -> BookBuild:
    """Build the book at ``root`` exactly as ``scripts/build_book.sh`` does."""
    result = load_script("build_book").build_book(root, capture_output=True)
    (root / "_build").mkdir(exist_ok=True)
    (root / "_build" / "build.log").write_text(result.stdout, encoding="utf-8")
    return BookBuild(result.returncode, result.stdout, root / "_build" / "html")


def copy_repository(dest: Path) -> Path:
    """Copy the repository to ``dest`` without environments, caches and build output.

    Installed npm packages (``*/node_modules``, e.g. site/'s vendored assets) are linked,
    not copied: they are large and are the same for the copy.
    """
    shutil.copytree(REPO_ROOT, dest, ignore=COPY_IGNORE, symlinks=True)
    for modules in REPO_ROOT.glob("*/node_modules"):
        (dest / modules.relative_to(REPO_ROOT)).symlink_to(modules, target_is_directory=True)
    return dest


@pytest.fixture(scope="session")
def repo_copier() -> Callable[[Path], Path]:
    """:func:`copy_repository`, for tests (test modules must not import conftest)."""
    return copy_repository


@pytest.fixture(scope="session")
def strict_build() -> Callable[[Path], BookBuild]:
    """:func:`run_strict_build`, for tests that build a book of their own."""
    return run_strict_build


@pytest.fixture(scope="session")
def book_build(tmp_path_factory: pytest.TempPathFactory) -> BookBuild:
    """A from-scratch strict build of a temporary copy of the repository (once per session)."""
    return run_strict_build(copy_repository(tmp_path_factory.mktemp("book") / "repo"))


@pytest.fixture(scope="session")
def built_site(request: pytest.FixtureRequest) -> Iterator[Path]:
    """The ``_build/html`` folder of the session's strict book build.

    Fails (rather than skips) when the build failed. Set ``COURSE_SITE_HTML`` to an existing
    ``_build/html`` folder to reuse it instead of building (for quick local iteration only).
    """
    reuse = os.environ.get("COURSE_SITE_HTML")
    if reuse:
        html = Path(reuse).resolve()
        if not (html / "index.html").exists():
            pytest.fail(f"COURSE_SITE_HTML={reuse} has no index.html: build the book first")
        yield html
        return
    build: BookBuild = request.getfixturevalue("book_build")
    if build.returncode != 0:
        pytest.fail(f"the book build failed (exit {build.returncode}):\n{build.problems()}")
    yield build.html
