"""Helpers shared by the website tests (``tests/browser/`` and ``tests/test_links.py``).

* :func:`locate_site` finds the built website: ``$COURSE_SITE_HTML`` if set (a site built
  beforehand, e.g. ``bash scripts/build_book.sh``), otherwise the session fixture
  ``built_site`` of ``tests/conftest.py``, which builds the book once per session.
  Locally the tests are skipped, with the reason, when no site can be had; with ``CI=true``
  they fail instead.
* :func:`toc_pages` lists the pages of ``_toc.yml`` with their source files, so that tests
  can be parametrised before the site is built.
* :func:`book_config` reads ``_config.yml`` (repository, branch, Colab URL).
* :func:`serve` serves a folder (the built site) on 127.0.0.1, quietly; the benchmark of the
  live labs (``benchmarks/bench_site_labs.py``) serves the site with it too.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE_DIR = REPO_ROOT / "site"
SITE_ENV = "COURSE_SITE_HTML"
SCREENSHOTS_ENV = "COURSE_SCREENSHOTS"

#: Lines printed at the end of the pytest run (where screenshots and link lists went).
REPORT_LINES: list[str] = []


def in_ci() -> bool:
    """True when running in CI (``CI`` set to a true value), where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str) -> None:
    """Skip the calling test locally; fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: website tests must run in CI)", pytrace=False)
    pytest.skip(reason)


def book_config() -> dict[str, Any]:
    """The parsed ``_config.yml`` of the repository."""
    with open(REPO_ROOT / "_config.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


@dataclass(frozen=True)
class TocPage:
    """One page of the table of contents."""

    docname: str  # e.g. "book/03_e_step"
    source: Path  # the file it is built from

    @property
    def html(self) -> str:
        """Path of the built page, relative to the site root."""
        return f"{self.docname}.html"

    @property
    def is_notebook(self) -> bool:
        return self.source.suffix == ".ipynb"


def _toc_files(entries: Any) -> list[str]:
    files: list[str] = []
    if isinstance(entries, dict):
        if "file" in entries:
            files.append(str(entries["file"]))
        for key in ("chapters", "sections", "parts"):
            if key in entries:
                files.extend(_toc_files(entries[key]))
    elif isinstance(entries, list):
        for entry in entries:
            files.extend(_toc_files(entry))
    return files


def toc_pages() -> list[TocPage]:
    """Pages listed in ``_toc.yml`` (root first), each with its existing source file."""
    toc_path = REPO_ROOT / "_toc.yml"
    if not toc_path.is_file():
        return []
    with open(toc_path, encoding="utf-8") as fh:
        toc = yaml.safe_load(fh) or {}
    names = [str(toc["root"])] if "root" in toc else []
    names += _toc_files(toc)
    pages = []
    for name in dict.fromkeys(names):
        stem = name.removesuffix(".md").removesuffix(".ipynb")
        candidates = [REPO_ROOT / f"{stem}{ext}" for ext in (".ipynb", ".md", ".rst")]
        source = next((c for c in candidates if c.is_file()), candidates[0])
        pages.append(TocPage(stem, source))
    return pages


def locate_site(request: pytest.FixtureRequest) -> Path:
    """The folder of the built website (holding ``index.html``); see the module docstring."""
    override = os.environ.get(SITE_ENV)
    if override:
        html = Path(override).resolve()
        if not (html / "index.html").is_file():
            pytest.fail(f"${SITE_ENV}={override} holds no index.html: build the site first")
        return html
    try:
        html = Path(request.getfixturevalue("built_site"))
    except pytest.FixtureLookupError:
        unavailable(
            "the built website is unavailable: tests/conftest.py has no `built_site` fixture; "
            f"build the book (bash scripts/build_book.sh) and set {SITE_ENV}=<repo>/_build/html"
        )
    except pytest.skip.Exception as skip:
        unavailable(f"the built website is unavailable: {skip.msg}")
    if not (html / "index.html").is_file():
        pytest.fail(f"built_site returned {html}, which holds no index.html")
    return html


def output_dir() -> Path:
    """Where the tests leave files for people and CI: ``_build/`` of the repository."""
    out = REPO_ROOT / "_build"
    out.mkdir(exist_ok=True)
    return out


def screenshots_dir() -> Path:
    """Where page screenshots go: ``$COURSE_SCREENSHOTS`` or ``_build/screenshots``."""
    override = os.environ.get(SCREENSHOTS_ENV)
    return Path(override).resolve() if override else output_dir() / "screenshots"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) while the block runs; yields the base URL,
    ending in ``/``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
