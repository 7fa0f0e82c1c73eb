"""Links of the built course website, checked in its HTML (nothing is fetched).

* every internal link (``href``/``src`` and ``<meta http-equiv="refresh">``) points at a file
  of the site, and every ``#anchor`` at an ``id`` (or ``name``) in that page;
* everything a page loads by itself (scripts, stylesheets, images, fonts, frames) is served
  by the site: nothing comes from another host;
* external links are listed, with the pages that hold them, in ``_build/external_links.txt``
  for a person to review; they are not fetched.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "browser"))
from site_support import REPORT_LINES, locate_site, output_dir

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

# Elements whose URL the browser loads by itself when the page is shown.
RESOURCE_ATTRS = {
    ("script", "src"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("iframe", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("video", "src"),
    ("video", "poster"),
    ("audio", "src"),
    ("track", "src"),
    ("input", "src"),
}
LOADING_LINK_RELS = {
    "stylesheet",
    "preload",
    "modulepreload",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "manifest",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
NOT_FOLLOWED = ("mailto:", "tel:", "javascript:", "data:", "blob:")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (url, what)
        self.resources: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v for k, v in attrs if v is not None}
        for key in ("id", "name") if tag in {"a", "map"} else ("id",):
            if key in a:
                self.ids.add(a[key])
        if tag == "style":
            self._in_style = True
        if "style" in a:
            self.resources += [(u, f"<{tag} style>") for u in CSS_URL.findall(a["style"])]
        if tag in {"a", "area", "link"} and "href" in a:
            rels = set(a.get("rel", "").lower().split())
            if tag == "link" and rels & LOADING_LINK_RELS:
                self.resources.append((a["href"], f"<link rel={a.get('rel')}>"))
            else:
                self.links.append((a["href"], f"<{tag}>"))
        for t, attr in RESOURCE_ATTRS:
            if tag == t and attr in a:
                urls = (
                    [u.strip().split()[0] for u in a[attr].split(",") if u.strip()]
                    if "srcset" in attr
                    else [a[attr]]
                )
                self.resources += [(u, f"<{tag} {attr}>") for u in urls]
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            m = re.search(r"url=(.+)$", a.get("content", ""), re.IGNORECASE)
            if m:
                self.links.append((m.group(1).strip().strip("'\""), "<meta refresh>"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.resources += [(u, "<style>") for u in CSS_URL.findall(data)]


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> tuple[Path, dict[str, _PageParser]]:
    html = locate_site(request)
    pages: dict[str, _PageParser] = {}
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html).as_posix()
        if rel.startswith(("_vendor/", "_static/")):
            continue
        parser = _PageParser()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        pages[rel] = parser
    assert pages, f"no HTML pages in {html}"
    return html, pages


def _is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme in {"http", "https"} or url.startswith("//"))


def _target(page: str, url: str) -> tuple[str, str]:
    """Site-relative path and fragment that ``url`` on ``page`` points at."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not path:
        return page, unquote(parts.fragment)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    if path.endswith("/"):
        joined += "/index.html"
    return joined.lstrip("/"), unquote(parts.fragment)


def test_internal_links_and_anchors_resolve(site: tuple[Path, dict[str, _PageParser]]) -> None:
    html, pages = site
    broken: list[str] = []
    checked = 0
    for page, parser in pages.items():
        for url, what in parser.links + parser.resources:
            if not url or url.startswith(NOT_FOLLOWED) or _is_external(url):
                continue
            target, fragment = _target(page, url)
            checked += 1
            if target.startswith("../") or not (html / target).is_file():
                broken.append(f"{page}: {what} {url} -> missing file {target}")
            elif fragment and target.endswith(".html"):
                ids = pages[target].ids if target in pages else set()
                if fragment not in ids:
                    broken.append(f"{page}: {what} {url} -> no id '{fragment}' in {target}")
    assert checked, "no internal link found in the site: the checker parsed nothing"
    assert not broken, f"{len(broken)} broken internal link(s):\n  " + "\n  ".join(broken)


def test_pages_load_nothing_from_other_hosts(site: tuple[Path, dict[str, _PageParser]]) -> None:
    _, pages = site
    foreign = sorted(
        f"{page}: {what} {url}"
        for page, parser in pages.items()
        for url, what in parser.resources
        if _is_external(url)
    )
    assert not foreign, (
        "pages load resources from other hosts (vendor them in site/):\n  " + "\n  ".join(foreign)
    )


def test_external_links_are_listed_for_review(site: tuple[Path, dict[str, _PageParser]]) -> None:
    _, pages = site
    where: dict[str, set[str]] = defaultdict(set)
    for page, parser in pages.items():
        for url, _ in parser.links:
            if _is_external(url):
                where[url].add(page)
    out = output_dir() / "external_links.txt"
    lines = [f"# {len(where)} external links of the course website (not fetched by the tests)"]
    lines += [f"{url}\t{' '.join(sorted(where[url]))}" for url in sorted(where)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    REPORT_LINES.append(f"external links for review ({len(where)}): {out}")
    written = out.read_text(encoding="utf-8").splitlines()
    assert len(written) == len(where) + 1
    bad = [u for u in where if not re.match(r"^(https?:)?//[^/\s]+", u)]
    assert not bad, f"malformed external links: {bad}"
