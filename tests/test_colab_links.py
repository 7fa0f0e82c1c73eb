"""Colab buttons and set-up cells point at the repository configured in _config.yml."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

COLAB = "https://colab.research.google.com"


def _colab_links(html: str) -> set[str]:
    """Every link to Colab: launch buttons and {exercise}/{colab} links."""
    return set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]*)"', html))


def _launch_buttons(html: str) -> set[str]:
    """Targets of the theme's "Launch on Colab" buttons."""
    pattern = r'<a href="(https://colab\.research\.google\.com/[^"]*)"[^>]*title="Launch on Colab"'
    return set(re.findall(pattern, html))


@pytest.mark.book
def test_each_chapter_has_a_colab_link_to_its_notebook(
    built_site: Path, chapter_notebooks: list[str], repository
) -> None:
    owner, name = repository.owner_and_name
    assert chapter_notebooks, "_toc.yml lists no notebook chapters"
    for chapter in chapter_notebooks:
        expected = f"{COLAB}/github/{owner}/{name}/blob/{repository.branch}/{chapter}.ipynb"
        links = _launch_buttons((built_site / f"{chapter}.html").read_text(encoding="utf-8"))
        assert links == {expected}, f"{chapter}: Colab buttons {sorted(links)}, not {expected}"


@pytest.mark.book
def test_every_colab_link_opens_an_existing_notebook_of_the_repository(
    built_site: Path, repository
) -> None:
    # Launch buttons and {exercise}/{colab} links (book/_ext/course_build.py) alike.
    owner, name = repository.owner_and_name
    prefix = f"{COLAB}/github/{owner}/{name}/blob/{repository.branch}/"
    for page in built_site.rglob("*.html"):
        for link in _colab_links(page.read_text(encoding="utf-8")):
            assert link.startswith(prefix), f"{page.name}: {link} is not in {prefix}"
            target = link[len(prefix) :]
            assert (REPO_ROOT / target).is_file(), f"{page.name}: {link}: no {target}"


@pytest.mark.book
def test_markdown_pages_have_no_colab_button(built_site: Path, toc_files: list[str]) -> None:
    for page in toc_files:
        if (REPO_ROOT / f"{page}.md").exists():
            html = (built_site / f"{page}.html").read_text(encoding="utf-8")
            assert not _launch_buttons(html), f"{page} is not a notebook but has a Colab button"


def test_colab_path_matches_repository_layout(repository) -> None:
    # Colab opens <branch>/<path in repository>: the book is the repository root, and
    # sphinx-book-theme would turn path_to_book "." into ".../blob/main/./book/...".
    assert repository.path_to_book == "", (
        "chapters live at book/*.ipynb relative to the repository root, so "
        f"repository.path_to_book must be empty, not {repository.path_to_book!r}"
    )


def _setup_cells(nbtools) -> dict[str, str]:
    cells = {}
    for path in nbtools.iter_notebooks(REPO_ROOT):
        nb = nbformat.read(path, as_version=4)
        assert nb.cells and nbtools.is_setup_cell(nb.cells[0]), f"{path}: no set-up cell"
        cells[str(path.relative_to(REPO_ROOT))] = nb.cells[0].source
    assert cells, "no notebooks found"
    return cells


def test_every_setup_cell_installs_from_the_configured_repository(nbtools, repository) -> None:
    source = f"git+{repository.url}@{repository.branch}"
    for path, cell in _setup_cells(nbtools).items():
        assert f'"{source}"' in cell, f"{path}: set-up cell does not install {source}"
        # ... and it is exactly the generated cell whose pip command is tested below.
        assert cell == nbtools.setup_cell_source(repository), f"{path}: stale set-up cell"


def _run_setup_cell(cell: str, monkeypatch: pytest.MonkeyPatch, returncode: int) -> list:
    """Execute the cell as if emlib were missing, with pip replaced by a recorder."""
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, returncode, stdout="", stderr="pip said no")

    monkeypatch.setitem(sys.modules, "emlib", None)  # makes `import emlib` raise ImportError
    monkeypatch.setattr(subprocess, "run", fake_run)
    try:
        exec(compile(cell, "<set-up cell>", "exec"), {"__name__": "__main__"})
    except ImportError:  # the final re-import; pip was faked so emlib is still missing
        pass
    return calls


def test_setup_cell_pip_command(nbtools, repository, monkeypatch: pytest.MonkeyPatch) -> None:
    cell = nbtools.setup_cell_source(repository)
    monkeypatch.delenv(nbtools.INSTALL_SOURCE_ENV, raising=False)
    (cmd,) = _run_setup_cell(cell, monkeypatch, returncode=0)
    assert cmd[:4] == [sys.executable, "-m", "pip", "install"]
    assert cmd[-1] == repository.install_source == f"git+{repository.url}@{repository.branch}"
    # Never upgrade what Colab already has (numpy, ipywidgets).
    assert cmd[cmd.index("--upgrade-strategy") + 1] == "only-if-needed"
    assert "--upgrade" not in cmd and "-U" not in cmd and "emlib" not in cmd

    monkeypatch.setenv(nbtools.INSTALL_SOURCE_ENV, "/some/checkout")
    (cmd,) = _run_setup_cell(cell, monkeypatch, returncode=0)
    assert cmd[-1] == "/some/checkout"


def test_setup_cell_reports_a_failed_install(nbtools, repository, monkeypatch) -> None:
    cell = nbtools.setup_cell_source(repository)
    with pytest.raises(RuntimeError, match="pip said no"):
        _run_setup_cell(cell, monkeypatch, returncode=1)


# That the set-up cell really installs the course into a fresh environment (from a local copy
# of the repository instead of GitHub) is tested where every exercise and solution notebook
# then runs on that environment: tests/test_colab_install.py.


def test_setup_cell_does_nothing_when_emlib_is_importable(nbtools, repository, monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    pytest.importorskip("emlib")
    exec(compile(nbtools.setup_cell_source(repository), "<set-up cell>", "exec"), {})
    assert calls == []
