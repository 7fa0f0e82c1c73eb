"""Load a page of the built website in Chromium, offline, and record what a reader would meet.

:class:`PageVisitor` opens each page once (results are cached), with every request that does
not go to the local test server blocked, and gathers a :class:`PageReport`: console errors,
uncaught exceptions, failed or blocked requests, how the mathematics was typeset, images
and their alt text, Colab links, the axe-core accessibility violations and a screenshot.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# --- JavaScript run in the page -------------------------------------------------------------

WAIT_FOR_MATHJAX = """
async () => {
  if (!document.querySelector('script[src*="mathjax"]')) return 'no mathjax on this page';
  const t0 = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (Date.now() - t0 > 15000) return 'MathJax did not start within 15 s';
    await new Promise(r => setTimeout(r, 50));
  }
  await MathJax.startup.promise;
  return 'typeset';
}
"""

# Text still looking like TeX after typesetting, outside code and the typeset output.
MATH_STATE = r"""
() => {
  const skip = 'script, style, pre, code, textarea, mjx-container, mjx-assistive-mml, .highlight';
  const tex = /\$\$[^$]+\$\$|\$[^$\s][^$\n]*\$|\\\(|\\\)|\\\[|\\\]|\\begin\{/;
  const raw = [];
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    const m = node.textContent.match(tex);
    if (m) raw.push(node.textContent.trim().slice(0, 160));
  }
  const mathNodes = Array.from(document.querySelectorAll('.math'));
  return {
    containers: document.querySelectorAll('mjx-container').length,
    errors: Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
      .map(e => e.getAttribute('data-mjx-error') || e.textContent).slice(0, 10),
    untypeset: mathNodes.filter(e => !e.querySelector('mjx-container'))
      .map(e => e.textContent.trim().slice(0, 120)).slice(0, 10),
    mathNodes: mathNodes.length,
    raw: raw.slice(0, 10),
  };
}
"""

PAGE_FACTS = r"""
() => ({
  images: Array.from(document.images).map(img => ({
    src: img.getAttribute('src') || '',
    alt: img.getAttribute('alt'),
    loaded: img.complete && img.naturalWidth > 0,
    hidden: img.getAttribute('aria-hidden') === 'true'
      || img.getAttribute('role') === 'presentation',
  })),
  colab: Array.from(document.querySelectorAll(
    '.dropdown-launch-buttons a[href*="colab.research.google.com"]')).map(a => a.href),
  animations: document.querySelectorAll('img[id^="_anim_img"]').length,
  liveLabs: document.querySelectorAll('[data-emlib-lab] script.emlib-lab-config').length,
  quizzes: document.querySelectorAll('div[data-shufflequestions]').length,
  quizQuestions: document.querySelectorAll(
    '.MultipleChoiceQn, .ManyChoiceQn, .NumericQn, .StringQn').length,
  widgets: document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]').length,
  renderedWidgets: document.querySelectorAll('.widget-subarea, .jupyter-widgets').length,
  title: document.title,
  icon: Boolean(document.querySelector('link[rel~="icon"]')),
})
"""

RUN_AXE = """
async ([selector, skipCode]) => {
  // preload: false - axe would otherwise re-fetch stylesheets itself, resolving their
  // @import URLs against the wrong base (a request the page never makes).
  const context = selector ? {include: [[selector]]}
    : skipCode ? {exclude: [['.highlight']]} : document;
  const result = await axe.run(context, {resultTypes: ['violations'], preload: false});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
    count: v.nodes.length,
  }));
}
"""

# --- Python side --------------------------------------------------------------------------

#: MathJax is held back this long on pages with a quiz, as on a slow network: jupyterquiz
#: typesets its questions 500 ms after drawing them, and must not fail if MathJax is late.
QUIZ_PAGE_MATHJAX_DELAY = 1.0


@dataclass
class PageReport:
    """What happened when one page was loaded (and while it was used afterwards)."""

    path: str
    url: str
    #: console errors, uncaught exceptions, blocked and failed requests, in order
    problems: list[str] = field(default_factory=list)
    mathjax: str = ""
    math: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    axe: list[dict[str, Any]] = field(default_factory=list)
    screenshot: Path | None = None


def _is_local(url: str, base: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    here, there = urlsplit(url), urlsplit(base)
    return here.scheme == there.scheme and here.netloc == there.netloc


class PageVisitor:
    """Opens each page of the site once, offline, and keeps it open with its report.

    Parameters
    ----------
    context
        Playwright browser context.
    base_url
        URL of the site root on 127.0.0.1, ending in ``/``.
    site_html
        Folder of the built site (to see which pages hold a quiz).
    axe_script
        Source of ``axe.min.js``.
    screenshots
        Folder for the full-page screenshots.
    """

    def __init__(
        self, context: Any, base_url: str, site_html: Path, axe_script: str, screenshots: Path
    ):
        self.context = context
        self.base_url = base_url
        self.site_html = site_html
        self.axe_script = axe_script
        self.screenshots = screenshots
        self._visits: dict[str, tuple[Any, PageReport]] = {}
        self._code_audited = False

    def _open(self, path: str) -> tuple[Any, PageReport]:
        report = PageReport(path=path, url=self.base_url + path)
        source = self.site_html / path
        has_quiz = source.is_file() and "show_questions(" in source.read_text(encoding="utf-8")
        delay = QUIZ_PAGE_MATHJAX_DELAY if has_quiz else 0.0
        page = self.context.new_page()

        def route(route: Any) -> None:
            url = route.request.url
            if _is_local(url, self.base_url):
                if delay and "/mathjax/" in url:
                    time.sleep(delay)
                route.continue_()
            else:
                report.problems.append(f"blocked (not 127.0.0.1): {url}")
                route.abort("blockedbyclient")

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                loc = msg.location or {}
                where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc else ""
                report.problems.append(f"console error: {msg.text}{where}")

        def on_failed(request: Any) -> None:
            if _is_local(request.url, self.base_url):
                report.problems.append(f"failed request: {request.url}: {request.failure}")

        def on_response(response: Any) -> None:
            if response.status >= 400:
                report.problems.append(f"failed request: {response.url}: HTTP {response.status}")

        page.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: report.problems.append(f"uncaught exception: {exc}"))
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        page.goto(report.url, wait_until="load")
        page.wait_for_load_state("networkidle")
        # Live labs mount after their modules load: screenshot and audit the live labs.
        page.wait_for_function(
            "() => !document.querySelector('[data-emlib-lab] script.emlib-lab-config')"
            " || document.documentElement.dataset.emlibLabs === 'ready'",
            timeout=15_000,
        )
        report.mathjax = page.evaluate(WAIT_FOR_MATHJAX)
        report.facts = page.evaluate(PAGE_FACTS)
        if report.facts["quizzes"]:
            # jupyterquiz typesets its questions 500 ms after it has drawn them
            page.wait_for_timeout(700)
        report.math = page.evaluate(MATH_STATE)
        name = re.sub(r"[^\w.-]+", "__", path.removesuffix(".html")) + ".png"
        report.screenshot = self.screenshots / name
        page.screenshot(path=str(report.screenshot), full_page=True)
        report.axe = self.audit(page)
        return page, report

    def visit(self, path: str) -> tuple[Any, PageReport]:
        """The open page ``path`` (relative to the site root) and its report."""
        if path not in self._visits:
            self._visits[path] = self._open(path)
        return self._visits[path]

    def report(self, path: str) -> PageReport:
        """The report of ``path``: loaded, screenshot taken and audited once."""
        return self.visit(path)[1]

    def audit(self, page: Any, selector: str | None = None) -> list[dict[str, Any]]:
        """axe-core violations in ``page`` (or in the elements matching ``selector``).

        Syntax-highlighted code is audited on the first page that has some: its colours
        come from one Pygments style for the whole site, and its thousands of coloured
        tokens would otherwise make the colour-contrast check take seconds on every page.
        """
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(content=self.axe_script)
        skip_code = False
        if selector is None:
            if self._code_audited:
                skip_code = True
            elif page.locator(".highlight").count():
                self._code_audited = True
        return page.evaluate(RUN_AXE, [selector, skip_code])

    def close(self) -> None:
        """Close every page opened."""
        for page, _ in self._visits.values():
            page.close()
        self._visits.clear()
