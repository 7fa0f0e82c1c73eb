"""Local Sphinx extension of the course book (loaded through ``_config.yml``).

(Duplicated inline scripts and offline assets are handled by ``site/course_site.py``.)

1. Adds the roles ``{exercise}`03_responsibilities``` and ``{colab}`solutions/x.ipynb```:
   a link that opens a notebook which is not part of the website (exercises, solutions) on
   Colab. The URL is built from ``repository`` and ``launch_buttons`` in ``_config.yml``, so
   no page hard-codes it, and a link to a notebook that does not exist is a build warning
   (so a build error: the build runs with ``-W``). The link text can be given as in
   ``{exercise}`Exercise 3 <03_responsibilities>```.
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
from sphinx.util.docutils import SphinxRole

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


class ColabRole(SphinxRole):
    """``{colab}`path/in/repo.ipynb``` or ``{colab}`text <path/in/repo.ipynb>```."""

    folder = ""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", self.text, flags=re.S)
        title, target = (match.group(1), match.group(2)) if match else (None, self.text)
        target = target.strip()
        if not target.endswith(".ipynb"):
            target += ".ipynb"
        path_in_repo = f"{self.folder}/{target}" if self.folder else target
        if not (Path(self.env.srcdir) / path_in_repo).is_file():
            logger.warning(
                f"{self.name}: {path_in_repo} does not exist in the repository",
                location=self.get_location(),
            )
        theme = self.config.html_theme_options or {}
        try:
            url = colab_url(theme, path_in_repo)
        except ValueError as exc:
            msg = self.inliner.reporter.error(str(exc), line=self.lineno)
            return [], [msg]
        text = title or f"{path_in_repo} (opens in Colab)"
        return [nodes.reference(self.rawtext, text, refuri=url, classes=["colab-link"])], []


class ExerciseRole(ColabRole):
    """``{exercise}`03_responsibilities```: a notebook of ``exercises/`` on Colab."""

    folder = "exercises"


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
    app.add_role("colab", ColabRole())
    app.add_role("exercise", ExerciseRole())
    app.connect("html-page-context", set_default_mode)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
