"""Committed notebooks are tidy (scripts/nbtools.py --check), and nbtools itself works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = REPO_ROOT / "scripts"

NOTEBOOKS = sorted(
    p.relative_to(REPO_ROOT)
    for d in ("book", "exercises", "solutions")
    if (REPO_ROOT / d).is_dir()
    for p in (REPO_ROOT / d).rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks in book/, exercises/ or solutions/"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=str)
def test_notebook_is_tidy(notebook: Path, nbtools, repository) -> None:
    problems = nbtools.check_file(REPO_ROOT / notebook, repository)
    assert not problems, (
        f"{notebook}: " + "; ".join(problems) + " -- run `python scripts/nbtools.py`"
    )


def test_nbtools_finds_the_same_notebooks(nbtools) -> None:
    found = [p.relative_to(REPO_ROOT) for p in nbtools.iter_notebooks(REPO_ROOT)]
    assert sorted(found) == NOTEBOOKS


def test_nbtools_check_cli_passes_on_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "nbtools.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_book_notebooks_and_toc_agree(chapter_notebooks: list[str], toc_files) -> None:
    # only_build_toc_files: a notebook missing from _toc.yml would silently not be built.
    in_book = sorted(str(p.with_suffix("")) for p in NOTEBOOKS if p.parts[0] == "book")
    assert sorted(chapter_notebooks) == in_book, "book/*.ipynb and _toc.yml disagree"
    missing = [f for f in toc_files if not list(REPO_ROOT.glob(f"{f}.*"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_repository_url_is_only_written_in_config(repository) -> None:
    """The URL lives in _config.yml; set-up cells are generated from it (and checked above)."""
    skip_dirs = {".git", "_build", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache"}
    offenders = []
    for path in REPO_ROOT.rglob("*"):
        rel = path.relative_to(REPO_ROOT)
        if (
            not path.is_file()
            or any(part in skip_dirs or part.startswith(".venv") for part in rel.parts)
            or any(part.endswith(".egg-info") for part in rel.parts)
            or path.suffix in (".ipynb", ".png", ".jpg", ".svg", ".csv", ".whl", ".pyc")
            or rel.as_posix() in ("_config.yml", "pyproject.toml")
        ):
            continue
        if repository.url in path.read_text(encoding="utf-8", errors="ignore"):
            offenders.append(rel.as_posix())
    assert not offenders, f"read the repository URL from _config.yml instead of: {offenders}"


def test_pyproject_homepage_matches_config(repository) -> None:
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for label, url in meta["project"].get("urls", {}).items():
        if "github.com" in url:
            assert url.startswith(repository.url), f"pyproject [project.urls] {label} = {url}"


# --------------------------------------------------------------------------------------------
# nbtools on synthetic notebooks


@pytest.fixture
def dirty_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("x = 1\nx")
    code.execution_count = 3
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=3)
    code.outputs = [result]
    code.metadata["execution"] = {"iopub.execute_input": "2024-01-01T00:00:00"}
    code.metadata["tags"] = ["hide-input"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), code]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    return nb


def test_tidy_fixes_everything_check_reports(nbtools, repository, dirty_notebook) -> None:
    problems = nbtools.notebook_problems(dirty_notebook, repository)
    for expected in ("first cell", "has outputs", "execution count", "volatile", "kernelspec"):
        assert any(expected in p for p in problems), (expected, problems)

    tidy = nbtools.tidy_notebook(dirty_notebook, repository)
    assert nbtools.notebook_problems(tidy, repository) == []
    assert tidy.cells[0].source == nbtools.setup_cell_source(repository)
    assert tidy.cells[0].metadata["tags"] == ["remove-cell"]
    code = tidy.cells[2]
    assert code.outputs == [] and code.execution_count is None
    assert code.metadata == {"tags": ["hide-input"]}  # authors' tags are kept
    assert [c.cell_type for c in tidy.cells] == ["code", "markdown", "code"]
    nbformat.validate(tidy)


def test_tidy_refreshes_a_stale_setup_cell_without_duplicating_it(
    nbtools, repository, dirty_notebook
) -> None:
    tidy = nbtools.tidy_notebook(dirty_notebook, repository)
    moved = nbtools.Repository("https://github.com/someone/fork", "dev", "")
    assert any("stale" in p for p in nbtools.notebook_problems(tidy, moved))
    again = nbtools.tidy_notebook(tidy, moved)
    assert sum(nbtools.is_setup_cell(c) for c in again.cells) == 1
    assert '"git+https://github.com/someone/fork@dev"' in again.cells[0].source


def test_check_cli_fails_then_fix_cli_makes_it_pass(nbtools, tmp_path: Path) -> None:
    (tmp_path / "book").mkdir()
    (tmp_path / "_config.yml").write_text(
        (REPO_ROOT / "_config.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells = [cell]
    path = tmp_path / "book" / "a.ipynb"
    nbformat.write(nb, path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(SCRIPTS / "nbtools.py"), "--root", str(tmp_path), *args],
            capture_output=True, text=True, check=False,
        )

    failed = cli("--check")
    assert failed.returncode == 1 and "has outputs" in failed.stdout, failed.stdout
    assert cli().returncode == 0
    first_fix = path.read_text(encoding="utf-8")
    assert cli("--check").returncode == 0
    assert cli().returncode == 0 and path.read_text(encoding="utf-8") == first_fix  # idempotent


def test_check_flags_a_non_canonical_layout(nbtools, repository, tmp_path: Path) -> None:
    nb = nbtools.tidy_notebook(nbformat.v4.new_notebook(), repository)
    path = tmp_path / "a.ipynb"
    path.write_text(nbformat.writes(nb, version=4).replace("\n ", "\n  "), encoding="utf-8")
    assert nbtools.check_file(path, repository) == ["not in nbformat's canonical JSON layout"]


def test_read_repository_explains_a_missing_section(nbtools, tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_text("title: x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repository"):
        nbtools.read_repository(tmp_path)
    bad = nbtools.Repository("https://gitlab.com/a/b", "main", "")
    with pytest.raises(ValueError, match=r"github\.com/OWNER/REPO"):
        _ = bad.owner_and_name

