"""The built website holds a working, self-contained animation of every lab."""

import re
from html.parser import HTMLParser

import pytest

from emlib.labs import LABS, count_frames

pytestmark = pytest.mark.book


class _LabFigures(HTMLParser):
    """Collects the text of every ``<figure data-emlib-lab=...>`` with the lab's name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.figures: list[tuple[str, str]] = []
        self._depth = 0
        self._name = ""
        self._parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            if self._depth == 0 and dict(attrs).get("data-emlib-lab"):
                self._name, self._parts = dict(attrs)["data-emlib-lab"], []
                self._depth = 1
                return
            if self._depth:
                self._depth += 1
        if self._depth:
            self._parts.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        if self._depth and tag == "figure":
            self._depth -= 1
            if self._depth == 0:
                self.figures.append((self._name, "".join(self._parts)))
                return
        if self._depth:
            self._parts.append(f"</{tag}>")

    def handle_data(self, data):
        if self._depth:
            self._parts.append(data)


def test_every_lab_has_a_working_animation_on_the_website(built_site):
    found: dict[str, list[str]] = {}
    for page in sorted(built_site.rglob("*.html")):
        parser = _LabFigures()
        parser.feed(page.read_text(encoding="utf-8"))
        for name, html in parser.figures:
            found.setdefault(name, []).append(page.relative_to(built_site).as_posix())
            frames = count_frames(html)
            assert frames >= 4, f"{name} on {page.name} has {frames} frames"
            # The player's controls are there, and nothing is fetched from elsewhere.
            assert re.search(r'type="range"', html) and 'aria-label="Next frame"' in html
            assert "://" not in html
    missing = sorted(set(LABS) - set(found))
    assert not missing, f"labs without an animation on the website: {missing}"
    unknown = sorted(set(found) - set(LABS))
    assert not unknown, f"animations of unknown labs: {unknown}"
    # No live widget state was baked into a page instead (the build runs the labs static).
    for page in sorted(built_site.rglob("book/*.html")):
        assert "application/vnd.jupyter.widget-view+json" not in page.read_text(encoding="utf-8")


PAGE_BUDGET = 3 * 1024 * 1024


def test_chapter_pages_stay_under_3_mb(built_site):
    """A chapter's HTML (with its embedded lab animations) plus its own images."""
    for page in sorted(built_site.glob("book/*.html")):
        text = page.read_text(encoding="utf-8")
        images = set(re.findall(r'src="(\.\./_images/[^"]+)"', text))
        weight = page.stat().st_size + sum((page.parent / src).stat().st_size for src in images)
        assert weight < PAGE_BUDGET, f"{page.name} weighs {weight / 2**20:.2f} MiB"
