"""The built website holds a live lab for every lab, and its chapter pages stay light.

What the labs do in a browser is tested in ``tests/browser`` (``test_live_labs_*.py``).
"""

import json
import re
from pathlib import Path

import pytest

from emlib.labs import LABS

pytestmark = pytest.mark.book

LAB_ROOT = re.compile(
    r'<div class="emlib-lab" data-emlib-lab="([a-z_]+)"[^>]*>\s*'
    r'<script type="application/json" class="emlib-lab-config">(.*?)</script>\s*'
    r'<figure class="emlib-lab-still"><img src="data:image/png;base64,[^"]+" alt="([^"]+)"',
    re.S,
)
MAIN_JS = re.compile(r'<script type="module" src="([^"]*_vendor/labs/main\.js)[^"]*">')


def test_every_lab_is_live_on_the_website(built_site: Path) -> None:
    found: dict[str, list[str]] = {}
    for page in sorted(built_site.rglob("*.html")):
        if "_vendor" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        labs = LAB_ROOT.findall(text)
        scripts = MAIN_JS.findall(text)
        if not labs:
            assert not scripts, f"{page.name} loads the labs' script but holds no lab"
            continue
        assert len(scripts) == 1, f"{page.name} holds labs but loads main.js {len(scripts)} times"
        # The module script's URL is relative to the page and points at the copied module.
        assert (page.parent / scripts[0]).resolve() == built_site / "_vendor/labs/main.js"
        for name, config, alt in labs:
            found.setdefault(name, []).append(page.relative_to(built_site).as_posix())
            assert json.loads(config), f"{name} on {page.name}: empty config"
            assert len(alt) > 40, f"{name} on {page.name}: the still image's alt text is thin"
            assert (built_site / "_vendor/labs" / f"{name}.js").is_file(), f"{name}.js missing"
        # The recordings are gone: no frame players.
        assert 'id="_anim_img' not in text, f"{page.name} still embeds a frame player"
    missing = sorted(set(LABS) - set(found))
    assert not missing, f"labs without a live version on the website: {missing}"
    unknown = sorted(set(found) - set(LABS))
    assert not unknown, f"live labs that emlib.labs.LABS does not know: {unknown}"
    for module in ("main.js", "emmath.js", "labs.css"):
        assert (built_site / "_vendor/labs" / module).is_file(), f"_vendor/labs/{module} missing"
    # No live widget state was baked into a page instead (the build runs the labs static).
    for page in sorted(built_site.rglob("book/*.html")):
        assert "application/vnd.jupyter.widget-view+json" not in page.read_text(encoding="utf-8")


#: A chapter page with its labs: its HTML (which holds the labs' configs and still images) and
#: its own images. Shared assets aside: ``_vendor/`` (MathJax, the labs' modules, ...), the
#: theme's ``_static/`` and the site-wide search index.
PAGE_BUDGET = 1_000_000


def page_weight(page: Path) -> int:
    """The page's HTML plus the images of ``_images/`` it shows."""
    text = page.read_text(encoding="utf-8")
    images = set(re.findall(r'src="(\.\./_images/[^"]+)"', text))
    return page.stat().st_size + sum((page.parent / src).stat().st_size for src in images)


def test_chapter_pages_weigh_at_most_1_mb(built_site: Path) -> None:
    """Each chapter page with its labs (config, still image) and its own images."""
    pages = sorted(built_site.glob("book/*.html"))
    assert pages
    heavy = {p.name: page_weight(p) for p in pages if page_weight(p) > PAGE_BUDGET}
    assert not heavy, f"chapter pages over {PAGE_BUDGET / 1e6:.1f} MB: {heavy}"
