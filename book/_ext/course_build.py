"""Local Sphinx extension of the course book (loaded through ``_config.yml``).

(Duplicated inline scripts and offline assets are handled by ``site/course_site.py``.)

1. Reads the notebooks' portable Markdown (written by ``scripts/nbtools.py``) as the website
   wants it:

   * links to course notebooks are absolute Colab URLs in the notebooks (so that they work
     in Colab, JupyterLab and VS Code). On the website, a link to one of its own chapters
     becomes an internal link again, and a link to a notebook that does not exist in the
     repository is a build warning (so a build error: the build runs with ``-W``);
   * admonitions are ``<div class="admonition CLASS" style="...">`` blocks; the inline
     style (a coloured left border for notebook front ends) is dropped here, so the theme
     draws its own admonition box, in light and dark mode (``_static/course.css`` fits the
     Markdown title into the theme's title bar).
2. Makes the notebooks that the build executes produce the website's versions of the
   widget labs: ``EMLIB_LAB_MODE=static`` (a steppable animation instead of a live widget,
   see :mod:`emlib.labs`) is set in the build's environment, which the kernels inherit,
   unless the caller set it. BLAS is kept to one thread: the chapters' matrices are tiny,
   and on a small machine threads only add contention.
3. Gives pydata-sphinx-theme a valid default colour mode. sphinx-book-theme leaves it empty
   (and rejects the ``default_mode`` theme option), which the page reports as
   "Got invalid theme mode" in the browser console. Light mode keeps the matplotlib figures
   readable; readers can still switch.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

DEFAULT_MODE = "light"


def colab_url(config_theme: dict, path_in_repo: str) -> str:
    """Colab URL of the notebook ``path_in_repo`` of the configured GitHub repository."""
    repo_url = str(config_theme.get("repository_url", "")).rstrip("/")
    branch = config_theme.get("repository_branch") or "main"
    colab = str((config_theme.get("launch_buttons") or {}).get("colab_url", "")).rstrip("/")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", repo_url)
    if not match or not colab:
        raise ValueError(
            "linking to Colab needs repository.url (https://github.com/OWNER/REPO) and "
            "launch_buttons.colab_url in _config.yml"
        )
    owner, name = match.groups()
    return f"{colab}/github/{owner}/{name}/blob/{branch}/{path_in_repo.lstrip('/')}"


#: The inline style that notebook front ends show and the website replaces with its theme.
_ADMONITION_STYLE = re.compile(r'(<div class="admonition(?: [\w -]*)?")\s+style="[^"]*"')


def resolve_notebook_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Colab links to the site's chapters become internal; missing notebooks are errors."""
    prefix = colab_url(app.config.html_theme_options or {}, "")
    for node in doctree.findall(nodes.reference):
        uri = node.get("refuri", "")
        if not uri.startswith(prefix):
            continue
        path, _, fragment = uri[len(prefix) :].partition("#")
        if not (Path(app.srcdir) / path).is_file():
            logger.warning(
                f"a link points to {path}, which does not exist in the repository",
                location=node,
            )
            continue
        target = path.removesuffix(".ipynb")
        if path.endswith(".ipynb") and target in app.env.found_docs:
            node["refuri"] = app.builder.get_relative_uri(docname, target) + (
                f"#{fragment}" if fragment else ""
            )
            node["internal"] = True
    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "").split():
            text = node.astext()
            new = _ADMONITION_STYLE.sub(r"\1", text)
            if new != text:
                node.replace_self(nodes.raw("", new, format=node["format"]))


def set_default_mode(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Use light mode unless the reader chose otherwise (their choice is kept by the theme)."""
    if not context.get("default_mode"):
        context["default_mode"] = DEFAULT_MODE


#: Environment of the kernels that execute the notebooks during the build.
KERNEL_ENVIRONMENT = {
    "EMLIB_LAB_MODE": "static",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def setup(app: Sphinx) -> dict[str, Any]:
    for name, value in KERNEL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    app.connect("doctree-resolved", resolve_notebook_links)
    app.connect("html-page-context", set_default_mode)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
