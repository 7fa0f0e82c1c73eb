"""Two chapters, run in a real JupyterLab, read as well as on the website.

The test starts JupyterLab (from this environment) on 127.0.0.1 over a temporary copy of two
chapters, opens each in headless Chromium at 1024 x 768 with the file browser open, runs
all cells, and checks what a student sees: no raw MyST syntax (the boxes are HTML blocks with
a visible border), the lab image at most at its natural size and its controls on one line
per row, the quiz's maths readable without a CDN, no error output, no uncaught error in the
page. Every request that is not for the server is blocked: the page must work offline.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_support import screenshots_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
#: A chapter with a lab, admonitions, a note and a quiz with maths, and one with another lab.
CHAPTERS = ("book/01_mixture_model.ipynb", "book/03_e_step.ipynb")
VIEWPORT = {"width": 1024, "height": 768}
RUN_TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(base URL, token)`` of a JupyterLab server over a copy of :data:`CHAPTERS`."""
    pytest.importorskip("jupyterlab")
    root = tmp_path_factory.mktemp("jupyterlab")
    work = root / "work"
    for chapter in CHAPTERS:
        (work / chapter).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / chapter, work / chapter)
    # Keep every cell in the page (no virtual scrolling) so that all outputs can be read.
    settings = root / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}), encoding="utf-8"
    )
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "EMLIB_LAB_MODE"}  # live labs
    env |= {
        "JUPYTER_PREFER_ENV_PATH": "1",
        "JUPYTER_CONFIG_DIR": str(root / "config"),
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
            f"--LabApp.user_settings_dir={root / 'settings'}",
            f"--LabApp.workspaces_dir={root / 'workspaces'}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
            "--allow-root",
        ],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # seconds (about 3 on a quiet machine)
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.3)
        else:
            pytest.fail("JupyterLab did not start within 120 s")
        if server.poll() is not None:
            pytest.fail("JupyterLab exited:\n" + (root / "server.log").read_text()[-3000:])
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


#: What the page shows, read in the browser after the run.
_READ_PAGE = """() => {
  const text = (els) => [...els].map((e) => e.innerText);
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')];
  const prompts = cells.map((c) => (c.querySelector('.jp-InputPrompt') || {}).innerText || '');
  const boxes = [...document.querySelectorAll('.jp-RenderedMarkdown div.admonition')];
  const images = [...document.querySelectorAll('.jp-OutputArea .widget-image, '
    + '.jp-OutputArea img.jupyter-widgets')].filter((img) => img.naturalWidth > 0);
  const rows = [...document.querySelectorAll('.jp-OutputArea .widget-hbox')].map((row) =>
    [...row.children].map((c) => Math.round(c.getBoundingClientRect().top)));
  return {
    markdown: text(document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown')),
    prompts,
    boxes: boxes.map((b) => ({cls: b.className,
      border: parseFloat(getComputedStyle(b).borderLeftWidth) || 0,
      title: (b.querySelector('.admonition-title') || {}).innerText || ''})),
    images: images.map((img) => ({shown: img.getBoundingClientRect().width,
      natural: img.naturalWidth})),
    rows,
    errors: text(document.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')),
    quiz: text(document.querySelectorAll('.jp-OutputArea div.Quiz')),
  };
}"""


def _run_notebook(browser: Any, base: str, token: str, chapter: str) -> tuple[dict, list[str]]:
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport=VIEWPORT)
    page_errors: list[str] = []
    page = None
    try:
        # Offline: anything not served by the JupyterLab server is refused.
        context.route(
            "**/*",
            lambda route: route.continue_()
            if route.request.url.startswith(base)
            else route.abort(),
        )
        page = context.new_page()
        page.on("pageerror", lambda err: page_errors.append(str(err)))
        # A workspace of its own, reset: only this notebook is open, and it is current.
        workspace = Path(chapter).stem
        page.goto(
            f"{base}/lab/workspaces/{workspace}/tree/{chapter}?reset&token={token}",
            wait_until="domcontentloaded",
        )
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=30_000)
        # The notebook is the current widget and its kernel is connected and idle.
        page.wait_for_function(
            """(path) => {
              const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
              const kernel = w && w.context && w.context.path === path && w.sessionContext
                && w.sessionContext.session && w.sessionContext.session.kernel;
              return kernel && kernel.connectionStatus === 'connected'
                && kernel.status === 'idle';
            }""",
            arg=chapter,
            timeout=60_000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function(
            """() => {
              const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
                .map((e) => e.innerText);
              return p.length > 0 && p.every((t) => /\\[\\d+\\]/.test(t));
            }""",
            timeout=RUN_TIMEOUT_S * 1000,
        )
        page.wait_for_timeout(1500)  # the quiz typesets (or falls back) 500 ms after drawing
        return page.evaluate(_READ_PAGE), page_errors
    finally:
        if page is not None:  # what the student saw: a box, the lab, and the end
            folder, stem = screenshots_dir(), Path(chapter).stem
            folder.mkdir(parents=True, exist_ok=True)
            for name, selector in (("box", "div.admonition"), ("lab", ".widget-image")):
                element = page.locator(f".jp-Notebook {selector}").first
                try:  # best effort: never hide the test's own failure
                    element.scroll_into_view_if_needed(timeout=2_000)
                    page.screenshot(path=str(folder / f"jupyterlab-{stem}-{name}.png"))
                except PlaywrightError:
                    pass
            page.screenshot(path=str(folder / f"jupyterlab-{stem}.png"))
        context.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_well_in_jupyterlab(
    browser: Any, jupyterlab: tuple[str, str], chapter: str
) -> None:
    base, token = jupyterlab
    seen, page_errors = _run_notebook(browser, base, token, chapter)
    where = f"{chapter} in JupyterLab"

    markdown = "\n".join(seen["markdown"])
    assert markdown.strip(), f"{where}: no rendered Markdown"
    for raw in (":class:", "{admonition}", "{note}", "{tip}", "{exercise}", "```"):
        assert raw not in markdown, f"{where}: raw MyST {raw!r} in the text"
    assert seen["boxes"], f"{where}: no admonition box rendered"
    for box in seen["boxes"]:
        assert box["title"].strip(), f"{where}: a box without a title: {box}"
        assert box["border"] >= 2, f"{where}: a box is not drawn as a box: {box}"

    assert all(p.strip() for p in seen["prompts"]), f"{where}: cells not run: {seen['prompts']}"
    errors = [e for e in seen["errors"] if "Error" in e or "Traceback" in e]
    assert not errors, f"{where}: error output:\n" + "\n".join(errors)[:3000]
    assert not page_errors, f"{where}: uncaught errors in the page: {page_errors}"

    assert seen["images"], f"{where}: no lab image"
    for image in seen["images"]:
        assert image["shown"] <= image["natural"], f"{where}: lab image stretched: {image}"
        # rendered at twice its CSS size, and shown at that CSS size (no larger)
        assert image["shown"] <= image["natural"] / 2 + 1, f"{where}: blurry lab image: {image}"
    for row in seen["rows"]:
        assert len(set(row)) <= 1, f"{where}: a row of lab controls wraps: tops {row}"

    for quiz in seen["quiz"]:
        assert "$" not in quiz, f"{where}: quiz maths shown as raw TeX: {quiz[:300]}"
