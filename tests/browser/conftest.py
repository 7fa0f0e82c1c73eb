"""Fixtures for the real-browser tests of the course website.

The built site is served by a Python HTTP server on 127.0.0.1 and opened in Debian's
Chromium through Playwright.  Every request that is not for that server is blocked and
recorded, so a page that would need the internet fails its test.

Environment:

``COURSE_SITE_HTML``  use this already built site instead of building the book;
``CHROMIUM``          the Chromium executable (default ``/usr/bin/chromium``);
``COURSE_SCREENSHOTS`` where screenshots go (default ``_build/screenshots`` of the repository);
``CI=true``           missing Chromium, Playwright or site fail the tests instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labdrive import PHONE, LabPages
from pagecheck import PageVisitor
from site_support import (
    REPORT_LINES,
    SITE_DIR,
    locate_site,
    screenshots_dir,
    serve,
    unavailable,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
]


def chromium_executable() -> str | None:
    """Chromium to drive: ``$CHROMIUM``, else Debian's ``/usr/bin/chromium`` or one on PATH."""
    wanted = os.environ.get("CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def site_html(request: pytest.FixtureRequest) -> Path:
    """Folder of the built website."""
    return locate_site(request)


@pytest.fixture(scope="session")
def site_url(site_html: Path) -> Iterator[str]:
    """Base URL (ending in ``/``) of the built site served on 127.0.0.1."""
    with serve(site_html) as url:
        yield url


@pytest.fixture(scope="session")
def axe_script(site_html: Path) -> str:
    """Source of axe-core, installed from the npm registry by ``npm ci`` in ``site/``.

    The copy installed by the book build that made ``site_html`` is used when there is one.
    """
    built_with = site_html.parent.parent / "site" / "node_modules" / "axe-core" / "axe.min.js"
    if built_with.is_file():
        return built_with.read_text(encoding="utf-8")
    sys.path.insert(0, str(SITE_DIR))
    try:
        import course_site  # site/course_site.py

        course_site.ensure_node_modules()
    except RuntimeError as err:
        unavailable(f"axe-core could not be installed: {err}")
    finally:
        sys.path.remove(str(SITE_DIR))
    path = SITE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        pytest.fail(f"{path} is missing after `npm ci`: is axe-core in site/package.json?")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian Chromium driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright Python package is not installed (pip install playwright)")
    executable = chromium_executable()
    if executable is None:
        unavailable("Chromium is not installed (Debian: apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def visitor(browser: Any, site_url: str, site_html: Path, axe_script: str) -> Iterator[PageVisitor]:
    """Opens each page once, offline, keeping it open with its :class:`pagecheck.PageReport`."""
    shots = screenshots_dir()
    if shots.exists():
        shutil.rmtree(shots)
    shots.mkdir(parents=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(20_000)
    visitor = PageVisitor(context, site_url, site_html, axe_script, shots)
    try:
        yield visitor
    finally:
        visitor.close()
        context.close()
        count = len(list(shots.glob("*.png")))
        REPORT_LINES.append(f"website screenshots ({count} pages): {shots}")


@pytest.fixture(scope="session")
def lab_pages(visitor: PageVisitor, site_html: Path) -> Iterator[LabPages]:
    """Desktop chapter pages with their live labs mounted (the visitor's pages, see labdrive)."""
    pages = LabPages(site_html, visitor=visitor)
    yield pages
    pages.close()


@pytest.fixture(scope="session")
def phone_lab_pages(browser: Any, site_url: str, site_html: Path) -> Iterator[LabPages]:
    """Chapter pages on a 390-px touch phone, offline, with their live labs mounted."""
    context = browser.new_context(**PHONE, service_workers="block")
    context.set_default_timeout(20_000)
    pages = LabPages(site_html, context=context, base_url=site_url, touch=True)
    try:
        yield pages
    finally:
        pages.close()
        context.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in REPORT_LINES:
        terminalreporter.write_line(line)
