"""The course website in a real browser (Debian Chromium via Playwright), with no internet.

Each page of ``_toc.yml`` (and the search and index pages) is served from 127.0.0.1; every
other request is blocked and counts as a failure.  Each page is opened once (pages with a
quiz with MathJax held back for a second, like a slow network) and checked for console
errors, failed requests, typeset mathematics, images and alt text, axe-core violations,
its Colab button, and that its quizzes answer and its widgets render (the live labs are
driven in ``test_live_labs_*.py``).
A screenshot of every page is written to ``_build/screenshots/`` (path printed at the end).

Run against a site built beforehand with ``COURSE_SITE_HTML=<repo>/_build/html``; otherwise
the ``built_site`` fixture of ``tests/conftest.py`` builds the book.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pagecheck import PageVisitor
from site_support import REPO_ROOT, TocPage, book_config, toc_pages

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

TOC = toc_pages()
PAGES = [p.html for p in TOC] + ["genindex.html", "search.html"]
NOTEBOOKS = [p for p in TOC if p.is_notebook]
SERIOUS = {"serious", "critical"}
FILENAME_ALT = re.compile(r"(^|/)[^\s/]+\.(png|jpe?g|gif|svg|webp)$", re.IGNORECASE)


def _fmt(items: list[Any]) -> str:
    return "\n  ".join(str(i) for i in items)


def test_toc_lists_pages() -> None:
    assert TOC, "_toc.yml lists no pages: nothing for the website tests to check"
    missing = [str(p.source.relative_to(REPO_ROOT)) for p in TOC if not p.source.is_file()]
    assert not missing, f"_toc.yml names pages whose source file does not exist: {missing}"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_offline_without_errors(visitor: PageVisitor, path: str) -> None:
    report = visitor.report(path)
    problems = list(report.problems)
    if not report.facts["icon"]:
        # the browser then asks for /favicon.ico, a 404 (reported too late to be caught)
        problems.append("no <link rel=icon>: every visit requests a missing /favicon.ico")
    assert not problems, (
        f"{path}: {len(problems)} problem(s) when loaded offline:\n  {_fmt(problems)}"
    )


@pytest.mark.parametrize("path", PAGES)
def test_mathematics_is_typeset(visitor: PageVisitor, path: str) -> None:
    report = visitor.report(path)
    math = report.math
    assert not math["raw"], f"{path}: TeX left untypeset in the text:\n  {_fmt(math['raw'])}"
    if math["mathNodes"]:
        assert report.mathjax == "typeset", f"{path}: {report.mathjax}"
        assert not math["errors"], f"{path}: MathJax errors:\n  {_fmt(math['errors'])}"
        assert not math["untypeset"], f"{path}: math not typeset:\n  {_fmt(math['untypeset'])}"
        assert math["containers"] >= math["mathNodes"]


@pytest.mark.parametrize("path", PAGES)
def test_images_load_and_have_alt_text(visitor: PageVisitor, path: str) -> None:
    images = visitor.report(path).facts["images"]
    broken = [i["src"][:100] for i in images if not i["loaded"]]
    assert not broken, f"{path}: images that did not load:\n  {_fmt(broken)}"
    no_alt = [
        i["src"][:100]
        for i in images
        if not i["hidden"]
        and (not (i["alt"] or "").strip() or FILENAME_ALT.search(i["alt"].strip()))
    ]
    assert not no_alt, (
        f"{path}: images without alt text (or whose alt is a file name):\n  {_fmt(no_alt)}\n"
        "For a figure made by a notebook cell, describe it in the cell's metadata: "
        '"mystnb": {"image": {"alt": "What the figure shows"}} '
        "(or use `myst_nb.glue` / a {figure} with :alt:)."
    )


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violations(visitor: PageVisitor, path: str) -> None:
    violations = [v for v in visitor.report(path).axe if v["impact"] in SERIOUS]
    lines = [
        f"[{v['impact']}] {v['id']}: {v['help']} ({v['count']}x) at {v['nodes']}"
        for v in violations
    ]
    assert not violations, f"{path}: axe-core found serious/critical violations:\n  {_fmt(lines)}"


@pytest.mark.parametrize("page", NOTEBOOKS, ids=[p.docname for p in NOTEBOOKS])
def test_colab_link_opens_this_notebook(visitor: PageVisitor, page: TocPage) -> None:
    config = book_config()
    repo = config["repository"]
    owner_repo = re.sub(r"^https://github\.com/|\.git$|/$", "", str(repo["url"]))
    branch = str(repo.get("branch") or "main")
    prefix = str(repo.get("path_to_book") or "").strip("/")
    colab = str(config.get("launch_buttons", {}).get("colab_url", "")).rstrip("/")
    assert colab, "_config.yml: launch_buttons.colab_url is not set, so no page has a Colab button"
    notebook = "/".join(x for x in (prefix, f"{page.docname}.ipynb") if x)
    expected = f"{colab}/github/{owner_repo}/blob/{branch}/{notebook}"
    links = visitor.report(page.html).facts["colab"]
    assert links, f"{page.html}: no Colab launch button"
    assert set(links) == {expected}, f"{page.html}: Colab buttons {links}, expected {expected}"
    # the button is reachable: the launch menu opens and shows it
    tab, _ = visitor.visit(page.html)
    tab.locator(".dropdown-launch-buttons button.dropdown-toggle").first.click()
    item = tab.locator('.dropdown-launch-buttons a[href*="colab.research.google.com"]').first
    item.wait_for(state="visible", timeout=5_000)
    assert item.get_attribute("href") == expected
    tab.keyboard.press("Escape")
    assert (REPO_ROOT / notebook).is_file(), f"the Colab link points at {notebook}, not in the repo"


@pytest.mark.parametrize("path", [p.html for p in TOC])
def test_quizzes_answer_clicks(visitor: PageVisitor, path: str) -> None:
    facts = visitor.report(path).facts
    if not facts["quizzes"]:
        pytest.skip(f"{path} has no quiz")
    assert facts["quizQuestions"] >= facts["quizzes"], f"{path}: a quiz rendered no question"
    # (the visitor loaded this page with MathJax held back, as on a slow network)
    page, report = visitor.visit(path)
    seen = len(report.problems)
    questions = page.locator("div.Quiz")  # jupyterquiz wraps each question in one
    for i in range(questions.count()):
        q = questions.nth(i)
        feedback = q.locator(".Feedback").first
        if q.locator(".MultipleChoiceQn, .ManyChoiceQn").count():
            right = q.locator('label.MCButton[data-correct="true"]')
            wrong = q.locator('label.MCButton:not([data-correct="true"])')
            assert right.count() >= 1, f"{path}: question {i} has no correct answer"
            if wrong.count():
                wrong.first.click(force=True)  # no waiting for the shake animation
                assert "incorrect" in (feedback.get_attribute("class") or ""), (
                    f"{path}: question {i}: a wrong answer was not marked incorrect"
                )
            right.first.click(force=True)
            assert re.search(r"(^|\s)correct(\s|$)", feedback.get_attribute("class") or ""), (
                f"{path}: question {i}: the right answer was not marked correct"
            )
        else:
            box = q.locator("input.Input-text").first
            assert box.count(), f"{path}: question {i}: no multiple-choice answers nor input box"
            box.fill("-987654321")
            box.press("Enter")
            assert re.search(r"(^|\s)(in)?correct(\s|$)", feedback.get_attribute("class") or ""), (
                f"{path}: question {i}: typing an answer gave no feedback"
            )
        assert feedback.inner_text().strip(), f"{path}: question {i}: empty feedback"
    # the answered quizzes, feedback shown, must still pass the audit (feedback colours),
    # once jupyterquiz's button animations are over
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=5_000
    )
    violations = [
        v for v in visitor.audit(page, "div[data-shufflequestions]") if v["impact"] in SERIOUS
    ]
    assert not violations, f"{path}: answered quizzes fail the audit:\n  {_fmt(violations)}"
    new = report.problems[seen:]
    assert not new, f"{path}: while answering:\n  {_fmt(new)}"


@pytest.mark.parametrize("path", [p.html for p in TOC])
def test_widgets_render(visitor: PageVisitor, path: str) -> None:
    facts = visitor.report(path).facts
    if not facts["widgets"]:
        pytest.skip(f"{path} has no ipywidgets output")
    assert facts["renderedWidgets"] >= 1, (
        f"{path}: {facts['widgets']} widget view(s) in the page but none was rendered"
    )


def test_site_has_interactive_labs(visitor: PageVisitor) -> None:
    """The per-page interactive checks must not all be skipped (the live labs are driven in
    test_live_labs_*.py)."""
    facts = [visitor.report(p.html).facts for p in TOC]
    assert sum(f["liveLabs"] for f in facts) >= 9, "the pages hold fewer than nine live labs"
    assert sum(f["quizzes"] for f in facts) >= 1, "no page has a quiz"


def test_screenshots_of_every_page(visitor: PageVisitor) -> None:
    shots = [visitor.report(p).screenshot for p in PAGES]
    missing = [p for p, s in zip(PAGES, shots, strict=True) if s is None or not Path(s).is_file()]
    assert not missing, f"no screenshot for {missing}"
    small = [str(s) for s in shots if s and Path(s).stat().st_size < 5_000]
    assert not small, f"suspiciously small (blank?) screenshots: {small}"
