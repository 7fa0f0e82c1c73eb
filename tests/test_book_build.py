"""The book builds strictly, and the strict build really fails when it should.

The full build (fixture ``book_build`` in conftest.py) runs once per session. The
``strictness`` tests build tiny books with a planted error to prove that the build
command of ``scripts/build_book.py`` turns each kind of problem into a non-zero exit.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.book
def test_book_builds_without_warnings_or_execution_errors(book_build) -> None:
    assert book_build.returncode == 0, (
        f"jupyter-book build failed (exit {book_build.returncode}):\n{book_build.problems()}"
    )
    assert "build succeeded" in book_build.log


@pytest.mark.book
def test_every_toc_page_is_built(built_site: Path, toc_files: list[str]) -> None:
    missing = [f for f in toc_files if not (built_site / f"{f}.html").is_file()]
    assert not missing, f"pages in _toc.yml without HTML output: {missing}"
    assert (built_site / "index.html").is_file()


@pytest.mark.book
def test_notebook_pages_were_executed_and_hide_the_setup_cell(
    built_site: Path, chapter_notebooks: list[str], nbtools
) -> None:
    assert chapter_notebooks, "_toc.yml lists no notebook chapters"
    for chapter in chapter_notebooks:
        html = (built_site / f"{chapter}.html").read_text(encoding="utf-8")
        # The set-up cell is tagged remove-cell: students never see the install code.
        assert nbtools.SETUP_MARKER not in html, f"{chapter}: the set-up cell is visible"
        assert nbtools.INSTALL_SOURCE_ENV not in html, f"{chapter}: the set-up cell is visible"
    # Execution results are cached per notebook; one entry per distinct notebook code.
    cache = built_site.parent / ".jupyter_cache"
    assert cache.is_dir(), "no execution cache: notebooks were not executed"


@pytest.mark.book
def test_pages_declare_each_inline_script_once(built_site: Path) -> None:
    # book/_ext/course_build.py: Sphinx 7.4 + sphinx-thebe used to emit `const THEBE_JS_URL`
    # twice per page, a SyntaxError in the browser that stopped the page's scripts.
    pages = sorted(built_site.rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        inline = re.findall(r"<script>(.*?)</script>", html, flags=re.S)
        repeated = {s for s in inline if inline.count(s) > 1}
        assert not repeated, f"{page.relative_to(built_site)} repeats scripts {repeated}"
        if "localStorage.getItem(\"mode\")" in html:
            assert 'localStorage.getItem("mode") || "light"' in html, f"{page}: no default mode"


# --------------------------------------------------------------------------------------------
# A strict build must fail for real. Each test builds a two-page book (intro + one notebook)
# with the repository's _config.yml and one planted problem.


def _mini_book(tmp_path: Path, cells: list, intro_extra: str = "") -> Path:
    root = tmp_path / "mini"
    root.mkdir()
    # The repository's configuration, with its local Sphinx extensions loaded from the repo.
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    local = (config.get("sphinx") or {}).get("local_extensions") or {}
    for name, path in local.items():
        local[name] = str(REPO_ROOT / path)
    (root / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nchapters:\n  - file: chapter\n", encoding="utf-8"
    )
    (root / "intro.md").write_text(f"# Mini book\n\n{intro_extra}\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Chapter"), *cells]
    nbformat.write(nb, root / "chapter.ipynb")
    (root / "exercises").mkdir()  # not part of the website, but linked (on Colab)
    nbformat.write(nbformat.v4.new_notebook(), root / "exercises" / "ex1.ipynb")
    return root


@pytest.mark.book
def test_strict_build_passes_a_clean_book_and_allows_tagged_exceptions(
    tmp_path: Path, strict_build, repository
) -> None:
    cell = nbformat.v4.new_code_cell("raise ValueError('expected')")
    cell.metadata["tags"] = ["raises-exception"]
    cells = [nbformat.v4.new_code_cell("x = 1"), cell]
    # Links as scripts/nbtools.py stamps them: an exercise opens on Colab (the repository of
    # _config.yml), a chapter of the site becomes an internal link.
    owner, name = repository.owner_and_name
    colab = f"https://colab.research.google.com/github/{owner}/{name}/blob/{repository.branch}"
    links = (
        f"Try [the first exercise]({colab}/exercises/ex1.ipynb) after "
        f"[the chapter]({colab}/chapter.ipynb)."
    )
    build = strict_build(_mini_book(tmp_path, cells, links))
    assert build.returncode == 0, build.problems()
    assert "expected" in (build.html / "chapter.html").read_text(encoding="utf-8")
    intro = (build.html / "intro.html").read_text(encoding="utf-8")
    assert f'href="{colab}/exercises/ex1.ipynb"' in intro and "the first exercise</a>" in intro
    assert 'href="chapter.html"' in intro


@pytest.mark.book
def test_strict_build_fails_on_a_cell_error(tmp_path: Path, strict_build) -> None:
    root = _mini_book(tmp_path, [nbformat.v4.new_code_cell("1 / 0")])
    build = strict_build(root)
    assert build.returncode != 0, "a notebook raising ZeroDivisionError did not fail the build"
    assert "ZeroDivisionError" in build.log
    # Failed executions are not cached, so a rebuild fails again.
    assert strict_build(root).returncode != 0


@pytest.mark.book
def test_strict_build_fails_on_a_sphinx_warning_every_time(
    tmp_path: Path, strict_build, repository
) -> None:
    owner, name = repository.owner_and_name
    colab = f"https://colab.research.google.com/github/{owner}/{name}/blob/{repository.branch}"
    intro = f"See {{ref}}`no-such-label` and [this]({colab}/exercises/no_such_exercise.ipynb)."
    root = _mini_book(tmp_path, [nbformat.v4.new_code_cell("x = 1")], intro)
    first = strict_build(root)
    assert first.returncode != 0, "a broken cross-reference did not fail the build"
    assert "no-such-label" in first.log
    assert "exercises/no_such_exercise.ipynb, which does not exist" in first.log
    # The page is unchanged: an incremental build would not re-read it and would "pass".
    assert strict_build(root).returncode != 0, "the warning was forgotten on rebuild"


# --------------------------------------------------------------------------------------------
# Execution cache invalidation when the library changes (no build needed).


def test_execution_cache_is_dropped_when_the_library_changes(
    tmp_path: Path, build_book_module
) -> None:
    (tmp_path / "src" / "emlib").mkdir(parents=True)
    module = tmp_path / "src" / "emlib" / "__init__.py"
    module.write_text("x = 1\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    build_dir = tmp_path / "_build"
    (build_dir / ".jupyter_cache").mkdir(parents=True)

    fingerprint = build_book_module.library_fingerprint(tmp_path)
    # First build with an existing cache but no record of the library: drop to be safe.
    assert build_book_module.drop_stale_execution_cache(build_dir, fingerprint)
    (build_dir / ".jupyter_cache").mkdir()
    assert not build_book_module.drop_stale_execution_cache(build_dir, fingerprint)
    assert (build_dir / ".jupyter_cache").is_dir()

    module.write_text("x = 2\n")
    changed = build_book_module.library_fingerprint(tmp_path)
    assert changed != fingerprint
    assert build_book_module.drop_stale_execution_cache(build_dir, changed)
    assert not (build_dir / ".jupyter_cache").exists()


def test_output_dir_follows_path_output(build_book_module, tmp_path: Path) -> None:
    out = build_book_module.output_dir
    assert out(tmp_path, []) == tmp_path / "_build"
    assert out(tmp_path, ["--path-output", "/x"]) == Path("/x/_build")
    assert out(tmp_path, ["--path-output=/y"]) == Path("/y/_build")

