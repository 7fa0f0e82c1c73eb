"""scripts/make_exercises.py: exercise notebooks are generated from the solutions, and CI
fails when one is stale."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "make_exercises", ROOT / "scripts" / "make_exercises.py"
)
mk = importlib.util.module_from_spec(_spec)
sys.modules["make_exercises"] = mk
_spec.loader.exec_module(mk)


def test_committed_exercise_notebooks_are_up_to_date(capsys):
    status = mk.main(["--check"])
    out = capsys.readouterr()
    assert status == 0, out.err
    assert "up to date" in out.out


FUNCTION = '''def f(x):
    """Docstring stays."""
    y = 1
    ### BEGIN SOLUTION
    secret = x + y
    return secret
    ### END SOLUTION'''


def test_solution_region_becomes_a_named_stub():
    source, top_level, names = mk.strip_code_solutions(FUNCTION, "cell")
    assert names == ["f"] and not top_level
    assert "secret" not in source and "BEGIN" not in source
    assert 'def f(x):\n    """Docstring stays."""\n    y = 1\n' in source
    assert source.endswith('    raise NotImplementedError("f: write your code here")')
    namespace: dict = {}
    exec(source, namespace)
    with pytest.raises(NotImplementedError, match=r"^f: "):
        namespace["f"](1)


def test_top_level_region_needs_a_name():
    top = "x = 1\n### BEGIN SOLUTION answer_value\nanswer = 42\n### END SOLUTION"
    source, top_level, names = mk.strip_code_solutions(top, "cell")
    assert top_level and names == ["answer_value"]
    assert source == 'x = 1\nraise NotImplementedError("answer_value: write your code here")'
    with pytest.raises(mk.SolutionError, match="not inside a function"):
        mk.strip_code_solutions("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "cell")


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION x\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION x\n### BEGIN SOLUTION y\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_errors(source):
    with pytest.raises(mk.SolutionError):
        mk.strip_code_solutions(source, "cell 3")


def test_markdown_answers_are_replaced():
    text = "Why?\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->\nNext."
    assert mk.strip_markdown_solutions(text, "c") == f"Why?\n{mk.MARKDOWN_PLACEHOLDER}\nNext."
    with pytest.raises(mk.SolutionError):
        mk.strip_markdown_solutions("<!-- BEGIN SOLUTION -->\nx", "c")


def _toy_solution() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell("# Toy"),
        nbformat.v4.new_code_cell(FUNCTION),
        nbformat.v4.new_code_cell("ch03.check_f(f)"),
        nbformat.v4.new_code_cell("print(f(2))", metadata={"tags": ["raises-in-exercise"]}),
        nbformat.v4.new_markdown_cell("Discussion", metadata={"tags": ["solution-only"]}),
    ]
    cells[1].outputs = [nbformat.v4.new_output("stream", text="out")]
    cells[1].execution_count = 3
    return nbformat.v4.new_notebook(cells=cells)


def test_exercise_cells_are_tagged_stripped_and_filtered():
    nb, stubbed, checked = mk.make_exercise(
        _toy_solution(), "solutions/99_toy_solution.ipynb", "ch99"
    )
    assert stubbed == ["f"] and checked == ["f"]
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "code"]
    assert nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert "tags" not in nb.cells[1].metadata
    assert nb.cells[2].metadata["tags"] == ["raises-exception"]
    assert nb.cells[3].metadata["tags"] == ["raises-exception"]
    assert nb.metadata["emlib"] == {
        "assignment": "ch99",
        "generated_from": "solutions/99_toy_solution.ipynb",
    }


def test_real_exercise_notebook_has_no_solution_left():
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        exercise = ROOT / "exercises" / mk.exercise_name_for(solution)
        nb = nbformat.read(exercise, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "BEGIN SOLUTION" not in code and "NotImplementedError" in code
        for cell in nb.cells:
            if "check_" in cell.source:
                assert "raises-exception" in cell.metadata.get("tags", [])


def _copy_repo(tmp_path: Path) -> Path:
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_stale_missing_and_orphan_notebooks_fail_the_check(tmp_path, capsys):
    root = _copy_repo(tmp_path)
    solution = next((root / "solutions").glob("*_solution.ipynb"))
    exercise = root / "exercises" / mk.exercise_name_for(solution)
    nb = nbformat.read(solution, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A new remark."))
    nbformat.write(nb, solution)
    assert mk.main(["--check", "--root", str(root)]) == 1
    assert "stale" in capsys.readouterr().err
    assert mk.main(["--root", str(root)]) == 0
    assert mk.main(["--check", "--root", str(root)]) == 0
    assert "A new remark." in exercise.read_text()

    exercise.unlink()
    assert mk.main(["--check", "--root", str(root)]) == 1
    assert "missing" in capsys.readouterr().err
    mk.main(["--root", str(root)])

    shutil.copy(exercise, root / "exercises" / "98_orphan.ipynb")
    assert mk.main(["--check", "--root", str(root)]) == 1
    assert "no longer exists" in capsys.readouterr().err


def test_a_registered_exercise_without_a_check_cell_is_an_error(tmp_path, capsys):
    root = _copy_repo(tmp_path)
    solution = root / "solutions" / "03_responsibilities_solution.ipynb"
    nb = nbformat.read(solution, as_version=4)
    nb.cells = [c for c in nb.cells if "check_responsibilities" not in c.source]
    nbformat.write(nb, solution)
    assert mk.main(["--check", "--root", str(root)]) == 1
    assert "'responsibilities' of emlib.check.ch03 has no check cell" in capsys.readouterr().err
