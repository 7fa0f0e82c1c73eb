"""Sphinx extension that makes the course website self-contained.

Jupyter Book 1 pages normally pull MathJax, require.js and the Jupyter widget
manager from public CDNs, and notebook outputs bring their own CDN links
(matplotlib's ``to_jshtml()`` animations link Font Awesome 4, jupyterquiz can
fall back to loading MathJax from a CDN).  This extension serves all of them
from the built site instead:

* ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js`` are pointed at copies
  under ``<html>/_vendor/`` (not ``_static/``: Jupyter Book 1 injects every
  ``.js`` file of the book's ``_static`` folder into every page);
* CDN URLs inside raw HTML/JavaScript notebook outputs are rewritten to the
  same local copies, and matplotlib's animation widget gets the ``alt`` text
  and slider label it lacks;
* the assets come from the npm registry: ``npm ci`` installs the versions
  pinned in ``site/package-lock.json`` into ``site/node_modules`` when the
  build starts (skipped while the lock file is unchanged) and they are copied
  into ``<html>/_vendor/`` when the build finishes;
* on pages with Jupyter widgets or jupyterquiz quizzes, ``site/page-fixes.js`` makes the
  widget manager work with MathJax 3 and gives widgets and quizzes accessible names and
  colours (see that file); MathJax is loaded before the body on quiz pages;
* the live labs: ``site/labs/`` (ES modules and their stylesheet, see
  ``site/labs/SPEC.md``) is copied into ``<html>/_vendor/labs/``, and every page whose
  notebook output holds a lab (an element with ``data-emlib-lab`` and a JSON config, made
  by ``emlib.labs._web.WebLab``) loads ``_vendor/labs/main.js`` as a module script, which
  mounts the labs;
* inline scripts that Sphinx 7.4 emits twice are written once.  Sphinx 7.4's
  ``prepare_writing`` re-adds the inline scripts an extension registered after
  ``Builder.init()`` with the file name ``''`` where the builder already holds
  them under ``None``, so they no longer compare equal.  sphinx-thebe's
  ``const THEBE_JS_URL = ...`` then appears twice in every page and the second
  copy throws "Identifier 'THEBE_JS_URL' has already been declared".

Register it in ``_config.yml``::

    sphinx:
      local_extensions:
        course_site: site
"""

from __future__ import annotations

import functools
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

SITE_DIR = Path(__file__).resolve().parent
NODE_MODULES = SITE_DIR / "node_modules"
VENDOR = "_vendor"
"""Folder of the built site (next to ``_static``) that holds the vendored assets."""

MATHJAX_ENTRY = f"{VENDOR}/mathjax/tex-mml-chtml.js"
REQUIREJS_ENTRY = f"{VENDOR}/requirejs/require.js"
WIDGETS_ENTRY = f"{VENDOR}/jupyter-widgets/html-manager/embed-amd.js"
# Widgets outside @jupyter-widgets/{base,controls,output} would be fetched by the
# html-manager from this prefix.  Nothing is vendored there on purpose: such a
# widget fails with a visible 404 on the site itself instead of reaching a CDN.
WIDGETS_THIRD_PARTY = f"{VENDOR}/jupyter-widgets/third-party-widgets-not-vendored/"
FONT_AWESOME_4_CSS = f"{VENDOR}/font-awesome/css/font-awesome.min.css"
LABS_DIR = SITE_DIR / "labs"
"""The live labs' browser code (our own, not from npm), copied into ``_vendor/labs/``."""
LABS_ENTRY = f"{VENDOR}/labs/main.js"
LABS_FILES = ("*.js", "*.css")
# A live lab in a notebook output: the root element and its JSON config (see WebLab).
_LIVE_LAB = re.compile(r'data-emlib-lab="[a-z_]+"[^>]*>\s*<script type="application/json"')


@dataclass(frozen=True)
class Asset:
    """Files of one npm package copied into ``<html>/_vendor/<dest>``."""

    package: str
    source: str
    dest: str
    include: tuple[str, ...] = ("**/*",)
    exclude: tuple[str, ...] = ()
    licence: str = "LICENSE"


ASSETS: tuple[Asset, ...] = (
    Asset("mathjax", "es5", "mathjax"),
    Asset("requirejs", ".", "requirejs", include=("require.js",)),
    Asset(
        "@jupyter-widgets/html-manager",
        "dist",
        "jupyter-widgets/html-manager",
        # embed-amd.js plus the icon fonts it loads relative to its own URL
        include=("embed-amd.js", "*.woff", "*.woff2", "*.ttf", "*.eot", "*.svg"),
    ),
    Asset(
        "font-awesome", ".", "font-awesome", include=("css/*.css", "fonts/*"), licence="README.md"
    ),
)

# (pattern, replacement target) for URLs found inside notebook outputs.
_CDN_REWRITES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # matplotlib.animation.HTMLWriter / Animation.to_jshtml()
    (
        re.compile(
            r"https?://maxcdn\.bootstrapcdn\.com/font-awesome/[\d.]+/css/font-awesome(?:\.min)?\.css"
        ),
        lambda m: FONT_AWESOME_4_CSS,
    ),
    # jupyterquiz falls back to loading MathJax 3 from jsDelivr
    (
        re.compile(r"https?://cdn\.jsdelivr\.net/npm/mathjax@3(?:\.[\d.]+)?/es5/([\w./-]+\.js)"),
        lambda m: f"{VENDOR}/mathjax/{m.group(1)}",
    ),
)
# matplotlib's animation frame <img> has no alt text and its slider no label.
_ANIM_IMG = re.compile(r'<img id="_anim_img(\w+)"(?![^>]*\salt=)')
_ANIM_SLIDER = re.compile(r'<input id="_anim_slider(\w+)"(?![^>]*\saria-label=)')


def _package_dir(package: str) -> Path:
    return NODE_MODULES.joinpath(*package.split("/"))


def _lock_digest() -> str:
    return hashlib.sha256((SITE_DIR / "package-lock.json").read_bytes()).hexdigest()


def ensure_node_modules() -> Path:
    """Install ``site/node_modules`` with ``npm ci`` unless it matches the lock file.

    ``npm ci`` installs exactly the versions in ``site/package-lock.json`` from
    the npm registry.  A stamp holding the lock file's SHA-256 makes later calls
    free.  Returns the ``node_modules`` folder.

    Raises
    ------
    RuntimeError
        If npm is not installed or ``npm ci`` fails.
    """
    stamp = NODE_MODULES / ".course-site-lock.sha256"
    digest = _lock_digest()
    complete = all((_package_dir(a.package) / "package.json").is_file() for a in ASSETS)
    if complete and stamp.is_file() and stamp.read_text().strip() == digest:
        return NODE_MODULES
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "course_site: npm is needed to install the website's vendored assets "
            "(MathJax, require.js, the Jupyter widget manager, Font Awesome, axe-core) "
            f"into {NODE_MODULES}; install Node.js and npm (Debian: apt-get install -y nodejs npm)."
        )
    cmd = [npm, "ci", "--prefix", str(SITE_DIR), "--no-audit", "--no-fund", "--ignore-scripts"]
    logger.info("course_site: " + " ".join(cmd))
    result = subprocess.run(cmd, text=True, capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"course_site: `{' '.join(cmd)}` failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    stamp.write_text(digest + "\n")
    return NODE_MODULES


def install_node_modules(app: Sphinx) -> None:
    """Make sure the vendored assets are installed before anything is built."""
    if app.builder.format != "html":
        return
    try:
        ensure_node_modules()
    except RuntimeError as err:
        raise ExtensionError(str(err)) from err


def configure(app: Sphinx, config: Any) -> None:
    """Point MathJax and the ipywidgets embedder at the vendored copies; set a favicon.

    The values are relative to ``_static/`` (Sphinx's rule for non-URL script
    paths); :func:`fix_script_files` turns them into plain site paths again.
    """
    config.mathjax_path = f"../{MATHJAX_ENTRY}"
    # Without an icon, every page view makes the browser request /favicon.ico: a 404.
    if not config.html_favicon:
        config.html_favicon = str(SITE_DIR / "favicon.svg")
    config.nb_ipywidgets_js = {
        f"../{REQUIREJS_ENTRY}": {},
        f"../{WIDGETS_ENTRY}": {"data-jupyter-widgets-cdn": f"../{WIDGETS_THIRD_PARTY}"},
    }


def rewrite_outputs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Rewrite CDN URLs in raw HTML outputs to the vendored copies."""
    if app.builder.format != "html":
        return
    page = app.builder.get_target_uri(docname)
    for node in list(doctree.findall(nodes.raw)):
        if "html" not in node.get("format", "").split():
            continue
        text = node.astext()
        new = text
        for pattern, target in _CDN_REWRITES:
            new = pattern.sub(lambda m, t=target: relative_uri(page, t(m)), new)
        new = _ANIM_IMG.sub(
            r'<img id="_anim_img\1" alt="Current frame of the animation; '
            r'use the buttons below to play it or step through its frames"',
            new,
        )
        new = _ANIM_SLIDER.sub(r'<input id="_anim_slider\1" aria-label="Animation frame"', new)
        if new != text:
            node.replace_self(nodes.raw("", new, format=node["format"]))
        if "show_questions(" in new:
            _quiz_pages(app).add(docname)
        if _LIVE_LAB.search(new):
            _lab_pages(app).add(docname)


def _lab_pages(app: Sphinx) -> set[str]:
    """Documents holding a live lab (filled in while they are written)."""
    if not hasattr(app, "_course_site_lab_pages"):
        app._course_site_lab_pages = set()  # type: ignore[attr-defined]
    return app._course_site_lab_pages  # type: ignore[attr-defined]


def _quiz_pages(app: Sphinx) -> set[str]:
    """Documents holding a jupyterquiz quiz (filled in while they are written)."""
    if not hasattr(app, "_course_site_quiz_pages"):
        app._course_site_quiz_pages = set()  # type: ignore[attr-defined]
    return app._course_site_quiz_pages  # type: ignore[attr-defined]


def _script_key(script: Any) -> tuple[str, str]:
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {})
    return filename, repr(sorted(attributes.items()))


def fix_script_files(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Write each script once, give vendored scripts their site path, prepare the widgets.

    On pages with Jupyter widgets, ``site/page-fixes.js`` is inlined just before the
    widget manager, after telling the manager where its vendored fonts are; on pages with
    a quiz but no widget, it is inlined after the other scripts.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    cls = type(scripts[0])
    page = app.builder.get_target_uri(pagename)
    seen: set[tuple[str, str]] = set()
    fixed = []
    fixes_added = False
    for script in scripts:
        key = _script_key(script)
        if key in seen:
            continue
        seen.add(key)
        filename = getattr(script, "filename", None)
        if filename and f"/{VENDOR}/" in filename and "://" not in filename:
            filename = posixpath.normpath(filename)
            attributes = dict(script.attributes)
            if filename == MATHJAX_ENTRY and pagename in _quiz_pages(app):
                # jupyterquiz typesets its questions 500 ms after drawing them and reads
                # MathJax.version[0] then: with a deferred MathJax that is not loaded yet
                # (a long page still parsing) it throws. Load MathJax before the body.
                attributes.pop("defer", None)
                attributes.pop("async", None)
            script = cls(filename, priority=script.priority, **attributes)
            if filename == WIDGETS_ENTRY:
                assets = relative_uri(page, posixpath.dirname(WIDGETS_ENTRY) + "/")
                fixed.append(
                    cls("", priority=script.priority, body=_WIDGETS_PATHS % json.dumps(assets))
                )
                fixed.append(cls("", priority=script.priority, body=_page_fixes()))
                fixes_added = True
        fixed.append(script)
    if pagename in _quiz_pages(app) and not fixes_added:
        fixed.append(cls("", priority=900, body=_page_fixes()))
    if pagename in _lab_pages(app):
        # A site path: the page template makes it relative to the page, like the others.
        fixed.append(cls(LABS_ENTRY, priority=900, type="module"))
    scripts[:] = fixed


# The widget manager finds its fonts relative to the URL that require.js gives its own
# module id, "@jupyter-widgets/html-manager/dist/embed-amd": map that id to the vendored copy.
_WIDGETS_PATHS = """(function () {
  var dir = new URL(%s, document.baseURI).href;
  window.__jupyter_widgets_assets_path__ = dir;
  window.requirejs.config({paths: {"@jupyter-widgets/html-manager/dist": dir.slice(0, -1)}});
})();"""


@functools.cache
def _page_fixes() -> str:
    return (SITE_DIR / "page-fixes.js").read_text(encoding="utf-8")


def _files(root: Path, include: Iterable[str], exclude: Iterable[str]) -> list[Path]:
    found: set[Path] = set()
    for pattern in include:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(p for p in found if not any(p.match(x) for x in exclude))


def copy_assets(app: Sphinx, exception: BaseException | None) -> None:
    """Copy the vendored npm assets into ``<html>/_vendor/``."""
    if exception is not None or app.builder.format != "html":
        return
    vendor = Path(app.outdir) / VENDOR
    for asset in ASSETS:
        pkg = _package_dir(asset.package)
        root = (pkg / asset.source).resolve()
        dest = vendor / asset.dest
        files = _files(root, asset.include, asset.exclude)
        if not files:
            raise ExtensionError(f"course_site: no files matched {asset.include} in {root}")
        if dest.exists():
            shutil.rmtree(dest)
        for src in files:
            target = dest / src.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
        licence = pkg / asset.licence
        if licence.is_file():
            shutil.copy2(licence, dest / f"{asset.licence}.{asset.package.replace('/', '-')}")
        logger.info(f"course_site: copied {len(files)} files of {asset.package} to {dest}")
    copy_labs(vendor / "labs")


def copy_labs(dest: Path) -> list[Path]:
    """Copy the live labs' modules and stylesheet (``site/labs/*.js``, ``*.css``) to ``dest``.

    Returns
    -------
    list of Path
        The copied files.

    Raises
    ------
    ExtensionError
        If ``site/labs/main.js`` is missing.
    """
    files = _files(LABS_DIR, LABS_FILES, ())
    if LABS_DIR / "main.js" not in files:
        raise ExtensionError(f"course_site: {LABS_DIR / 'main.js'} is missing")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    copied = [Path(shutil.copy2(src, dest / src.name)) for src in files]
    logger.info(f"course_site: copied {len(copied)} lab files to {dest}")
    return copied


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    # config-inited runs after every extension's setup(); priority 400 runs before
    # myst-nb reads nb_ipywidgets_js when the builder is created.
    app.connect("config-inited", configure, priority=400)
    app.connect("builder-inited", install_node_modules)
    app.connect("doctree-resolved", rewrite_outputs)
    # after sphinx.ext.mathjax and myst-nb have added their per-page scripts
    app.connect("html-page-context", fix_script_files, priority=900)
    app.connect("build-finished", copy_assets)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    # `python site/course_site.py` installs the npm assets (used by the browser tests).
    try:
        print(ensure_node_modules())
    except RuntimeError as err:
        sys.exit(str(err))
