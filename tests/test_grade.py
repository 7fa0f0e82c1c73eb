"""The grader, end to end: real notebooks, real kernels, the grader's own checks.

Every notebook is built in a temporary folder and all of them are graded in ONE call of
``grade_notebooks`` (two at a time), so the whole module costs one grading run:

* every solution notebook gets full marks, every untouched exercise notebook gets zero;
* every registered wrong answer (``Exercise.wrong_answers``: text edits of a copy of the
  solution notebook) gets zero on its exercise, with the expected mistake;
* robustness: an infinite loop, a loop that ignores interrupts, ``sys.exit``, ``os._exit``,
  huge output, a file that is not JSON, a function that never returns, monkey-patched
  checks and a tampered answer collector.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from emlib import grade
from emlib.check import assignments, exercises, load_all

ROOT = Path(__file__).resolve().parent.parent
load_all()

OPTIONS = grade.GradingOptions(timeout=60, cell_timeout=6, check_timeout=6, extra_cases=1)


def _assignment_of(path: Path, nb: nbformat.NotebookNode) -> str:
    meta = nb.metadata.get("emlib", {})
    if meta.get("assignment"):
        return meta["assignment"]
    number = int(re.match(r"(\d+)_", path.name).group(1))
    return f"ch{number:02d}"


def _exercise_name(solution: Path) -> str:
    return solution.name.replace("_solution.ipynb", ".ipynb")


SOLUTIONS = {
    _assignment_of(p, nbformat.read(p, as_version=4)): p
    for p in sorted((ROOT / "solutions").glob("*.ipynb"))
}
WRONG_ANSWERS = [
    (exercise, wrong)
    for assignment in assignments()
    for exercise in exercises(assignment)
    for wrong in exercise.wrong_answers
]


def _wrong_id(exercise, wrong) -> str:
    return f"{exercise.key}-{wrong.expect}-{re.sub(r'[^a-z]+', '_', wrong.description)[:30]}"


# --------------------------------------------------------------------------- building


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _edit_code(nb: nbformat.NotebookNode, replace) -> nbformat.NotebookNode:
    """Apply (old, new) replacements to the code cells; each ``old`` must occur."""
    nb = copy.deepcopy(nb)
    for old, new in replace:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if not hits:
            raise AssertionError(f"wrong answer is stale: {old!r} is not in the solution's code")
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    return nb


def _insert_after_first_check(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    index = next(
        i for i, c in enumerate(nb.cells) if "check_" in c.source and c.cell_type == "code"
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


def _with_cells_at_end(nb: nbformat.NotebookNode, *sources: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells.extend(nbformat.v4.new_code_cell(s) for s in sources)
    return nb


CH03_SOLUTION = SOLUTIONS.get("ch03")

LOOP = "while True:\n    pass"
STUBBORN_LOOP = (
    "import time\n"
    "while True:\n"
    "    try:\n"
    "        time.sleep(0.05)\n"
    "    except KeyboardInterrupt:\n"
    "        pass"
)
HUGE_OUTPUT = 'print("x" * 30_000_000)\nfor i in range(100_000):\n    print(i, "y" * 50)'
WRONG_FUNCTIONS = """
def log_sum_exp(a):
    return np.zeros(len(a))

def responsibilities(X, params):
    return np.ones((len(X), len(params.weights)))
"""
MONKEY_PATCHES = """
import numpy
import emlib.check
from emlib.check import ch03

ch03.check_log_sum_exp = lambda f: print("✅ Exercise 3.1: log-sum-exp: passed. +2 points")
ch03.check_responsibilities = lambda f: print("✅ Exercise 3.2: responsibilities: passed. +3")
emlib.check.Exercise.evaluate = lambda self, trials, forbidden_used=None: None
numpy.allclose = lambda *args, **kwargs: True
emlib.e_step = lambda X, params: (responsibilities(X, params), 0.0)
print("Score in ch03: 5/5 points")
"""
# A real attack on a naive grader: replace the answer collector by one that writes the
# reference answers, computed by the library, for whatever inputs the grader sends.
COLLECTOR_ATTACK = """
import json
import emlib
import emlib.check._harness as harness
from emlib.check import _codec

def _fake_collector(codec):
    def collect(namespace, target, kind, in_path, out_path):
        with open(in_path) as handle:
            cases = _codec.loads(handle.read())
        if target == "log_sum_exp":
            outs = [emlib.logsumexp_rows(case["a"]) for case in cases]
        else:
            outs = [emlib.e_step(case["X"], case["params"])[0] for case in cases]
        record = {"status": "ok", "trials": [{"output": _codec.encode(o)} for o in outs]}
        with open(out_path, "w") as handle:
            json.dump(record, handle)
    return collect

harness.make_collector = _fake_collector
json.dump = lambda *args, **kwargs: None
"""


def _robustness_notebooks() -> dict[str, nbformat.NotebookNode | str]:
    sol = _read(CH03_SOLUTION)
    exercise = _read(ROOT / "exercises" / _exercise_name(CH03_SOLUTION))
    return {
        "loop": _insert_after_first_check(sol, LOOP),
        "stubborn_loop": _insert_after_first_check(sol, STUBBORN_LOOP),
        "sys_exit": _insert_after_first_check(
            _insert_after_first_check(sol, "import sys\nsys.exit(1)"), "1 / 0"
        ),
        "exit_builtin": _insert_after_first_check(sol, "exit()"),
        "os_exit": _insert_after_first_check(sol, "import os\nos._exit(1)"),
        "huge_output": _insert_after_first_check(sol, HUGE_OUTPUT),
        "invalid_json": nbformat.writes(sol)[: len(nbformat.writes(sol)) // 2],
        "monkey_patched": _with_cells_at_end(exercise, WRONG_FUNCTIONS, MONKEY_PATCHES),
        "collector_attack": _with_cells_at_end(exercise, COLLECTOR_ATTACK),
        "function_never_returns": _edit_code(
            sol,
            [
                (
                    "    log_joint = np.log(params.weights)",
                    "    while True:\n        pass\n    log_joint = np.log(params.weights)",
                )
            ],
        ),
        "function_kills_kernel": _edit_code(
            sol,
            [
                (
                    "    log_joint = np.log(params.weights)",
                    "    import os\n    os._exit(3)\n    log_joint = np.log(params.weights)",
                )
            ],
        ),
        "first_function_kills_kernel": _edit_code(
            sol,
            [
                (
                    "    a = np.asarray(a, dtype=float)",
                    "    a = np.asarray(a, dtype=float)\n"
                    "    if a.shape[1] == 1:\n"
                    "        import os\n"
                    "        os._exit(3)",
                )
            ],
        ),
        "renamed_function": _edit_code(
            sol, [("def responsibilities(", "def my_responsibilities(")]
        ),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, grade.SubmissionGrade]:
    """Grade every notebook of this module at once; results by folder name."""
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("graded")

    def save(folder: str, filename: str, nb: nbformat.NotebookNode | str) -> None:
        path = subs / folder / filename
        path.parent.mkdir(parents=True)
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        path.write_text(text, encoding="utf-8")

    for assignment, solution in SOLUTIONS.items():
        name = _exercise_name(solution)
        save(f"solution_{assignment}", name, _read(solution))
        save(f"exercise_{assignment}", name, _read(ROOT / "exercises" / name))
    for exercise, wrong in WRONG_ANSWERS:
        solution = SOLUTIONS[exercise.assignment]
        save(
            f"wrong_{_wrong_id(exercise, wrong)}",
            _exercise_name(solution),
            _edit_code(_read(solution), wrong.replace),
        )
    if CH03_SOLUTION is not None:
        for folder, nb in _robustness_notebooks().items():
            save(folder, _exercise_name(CH03_SOLUTION), nb)

    results = grade.grade_notebooks([subs], out, OPTIONS, jobs=2, progress=None)
    by_folder = {r.file.split("/")[0]: r for r in results}
    by_folder["_out"] = out  # type: ignore[assignment]
    return by_folder


def _points(result: grade.SubmissionGrade) -> dict[str, int]:
    return {e.name: e.earned for e in result.exercises}


def _by_name(result: grade.SubmissionGrade) -> dict[str, grade.ExerciseGrade]:
    return {e.name: e for e in result.exercises}


# --------------------------------------------------------------------------- solutions etc.


def test_there_is_something_to_grade():
    assert SOLUTIONS, "no solution notebook in solutions/"
    assert WRONG_ANSWERS


@pytest.mark.parametrize("assignment", sorted(SOLUTIONS))
def test_solution_gets_full_marks(graded, assignment):
    result = graded[f"solution_{assignment}"]
    assert result.status == "graded", result.notes
    assert result.maximum == sum(e.points for e in exercises(assignment)) > 0
    failures = {e.name: e.explanation() for e in result.exercises if e.status != "passed"}
    assert not failures
    assert result.total == result.maximum


@pytest.mark.parametrize("assignment", sorted(SOLUTIONS))
def test_untouched_exercise_gets_zero(graded, assignment):
    result = graded[f"exercise_{assignment}"]
    assert result.status == "graded"
    assert result.total == 0 and result.maximum > 0
    assert {e.status for e in result.exercises} == {"not-attempted"}


@pytest.mark.parametrize("assignment", sorted(assignments()))
def test_every_exercise_has_two_wrong_answers_and_a_solution(assignment):
    assert assignment in SOLUTIONS, f"no solution notebook for {assignment}"
    for exercise in exercises(assignment):
        assert len(exercise.wrong_answers) >= 2, exercise.key


@pytest.mark.parametrize(
    ("exercise", "wrong"), WRONG_ANSWERS, ids=[_wrong_id(e, w) for e, w in WRONG_ANSWERS]
)
def test_wrong_answer_is_marked_down_with_its_hint(graded, exercise, wrong):
    result = graded[f"wrong_{_wrong_id(exercise, wrong)}"]
    got = _by_name(result)[exercise.name]
    assert got.earned == 0, f"{wrong.description!r} passed"
    assert got.mistake == wrong.expect, got.explanation()
    assert got.message  # a hint, not an empty verdict
    if wrong.expect not in ("forbidden-call",):
        diagnosis = {d.name: d.hint for d in exercise.diagnoses}.get(wrong.expect)
        if diagnosis is not None:
            assert got.message.startswith(diagnosis)


# --------------------------------------------------------------------------- robustness

needs_ch03 = pytest.mark.skipif(CH03_SOLUTION is None, reason="needs the chapter 3 solution")


@needs_ch03
def test_infinite_loop_is_interrupted_and_the_rest_graded(graded):
    result = graded["loop"]
    assert result.total == result.maximum == 5
    assert any("interrupted" in note for note in result.notes)


@needs_ch03
def test_loop_that_ignores_interrupts_gets_a_new_kernel(graded):
    result = graded["stubborn_loop"]
    assert result.total == 5
    assert any("ignored the interrupt" in note for note in result.notes)


@needs_ch03
@pytest.mark.parametrize("folder", ["sys_exit", "exit_builtin"])
def test_exit_calls_and_exceptions_are_survived(graded, folder):
    assert graded[folder].total == 5


@needs_ch03
def test_exceptions_in_cells_are_noted(graded):
    notes = graded["sys_exit"].notes
    assert any("raised ZeroDivisionError" in note for note in notes)
    assert any("raised SystemExit" in note for note in notes)


def test_a_worker_past_its_hard_limit_is_killed_with_its_kernels(tmp_path):
    """The last resort of the grader: kill the worker's and the kernels' process groups."""
    kernel = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    (tmp_path / "kernels.pid").write_text(f"{kernel.pid}\n")
    worker = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    grade._kill_worker(worker, tmp_path)
    assert worker.wait(timeout=10) != 0
    assert kernel.wait(timeout=10) != 0
    result = grade._read_worker_result(
        tmp_path / "03_responsibilities.ipynb",
        "03_responsibilities.ipynb",
        tmp_path,
        OPTIONS,
        True,
        99.0,
    )
    assert result.status == "timeout" and result.total == 0 and result.maximum == 5


@needs_ch03
def test_cell_that_kills_the_kernel_is_skipped(graded):
    result = graded["os_exit"]
    assert result.total == 5
    assert any("stopped the Python kernel" in note for note in result.notes)


@needs_ch03
def test_huge_output_is_survived(graded):
    assert graded["huge_output"].total == 5


@needs_ch03
def test_invalid_json_is_reported_with_zero(graded):
    result = graded["invalid_json"]
    assert result.status == "invalid-notebook"
    assert result.total == 0 and result.maximum == 5
    assert "not a valid Jupyter notebook" in result.notes[0]


@needs_ch03
def test_monkey_patched_checks_change_nothing(graded):
    result = graded["monkey_patched"]
    assert result.total == 0
    assert {e.status for e in result.exercises} == {"failed"}
    assert result.status == "flagged"
    assert any("ch03.check_log_sum_exp" in note for note in result.notes)


@needs_ch03
def test_tampering_with_the_collector_changes_nothing(graded):
    result = graded["collector_attack"]
    assert result.total == 0
    assert {e.status for e in result.exercises} == {"not-attempted"}
    assert result.status == "flagged"
    assert any("_harness" in note for note in result.notes)


@needs_ch03
def test_function_that_never_returns_loses_only_its_points(graded):
    result = graded["function_never_returns"]
    got = _by_name(result)
    assert got["log_sum_exp"].earned == 2
    assert got["responsibilities"].mistake == "timeout"


@needs_ch03
def test_function_that_kills_the_kernel_loses_only_its_points(graded):
    got = _by_name(graded["function_kills_kernel"])
    assert got["log_sum_exp"].earned == 2
    assert got["responsibilities"].mistake == "kernel-died"


@needs_ch03
def test_kernel_is_restarted_for_the_exercises_after_a_crash(graded):
    result = graded["first_function_kills_kernel"]
    got = _by_name(result)
    assert got["log_sum_exp"].mistake == "kernel-died"
    assert got["responsibilities"].earned == 3
    assert any("restarted to grade the remaining" in note for note in result.notes)


@needs_ch03
def test_renamed_function_is_reported_missing(graded):
    got = _by_name(graded["renamed_function"])
    assert got["responsibilities"].mistake == "missing"
    assert "responsibilities" in got["responsibilities"].message


# --------------------------------------------------------------------------- reports


def test_gradebook_and_feedback_files(graded):
    out = graded["_out"]
    results = [r for k, r in graded.items() if k != "_out"]
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(results)
    for row in rows:
        result = next(r for r in results if r.file == row["file"])
        assert int(row["total"]) == result.total and int(row["maximum"]) == result.maximum
        for e in result.exercises:
            assert int(row[f"{result.assignment}.{e.name}"]) == e.earned
        feedback = (out / "feedback" / row["file"].replace(".ipynb", ".md")).read_text()
        assert f"{result.total} / {result.maximum} points" in feedback
    data = json.loads((out / "grades.json").read_text())
    assert len(data) == len(results)


def test_command_line(tmp_path):
    if CH03_SOLUTION is None:
        pytest.skip("needs the chapter 3 solution")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "03_responsibilities.ipynb").write_text("not json", encoding="utf-8")
    (subs / "notes.ipynb").write_text("{}", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "emlib.grade", str(subs), "--out", str(tmp_path / "out"), "-q"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "invalid-notebook" in proc.stdout and "unknown-assignment" in proc.stdout
    assert (tmp_path / "out" / "gradebook.csv").exists()
    assert (tmp_path / "out" / "feedback" / "03_responsibilities.md").exists()

    missing = subprocess.run(
        [sys.executable, "-m", "emlib.grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such notebook" in missing.stderr


def test_options_are_validated():
    with pytest.raises(ValueError, match="timeout"):
        grade.GradingOptions(timeout=0)
    with pytest.raises(ValueError, match="jobs"):
        grade.grade_notebooks([ROOT / "solutions"], ROOT / "unused", jobs=0, progress=None)


def test_value_exercise_in_process(tmp_path):
    """grade_submission in this process, with an exercise registered only here."""
    from emlib.check import Exercise, WrongAnswer, register

    register(
        Exercise(
            assignment="tests_value",
            name="answer",
            points=2,
            kind="value",
            reference=lambda: 42.0,
            wrong_answers=[
                WrongAnswer("off by one", [("6 * 7", "6 * 7 + 1")], "wrong-values"),
                WrongAnswer("a string", [("6 * 7", "'42'")], "wrong-type"),
            ],
        )
    )
    options = grade.GradingOptions(timeout=30, cell_timeout=10, assignment="tests_value")
    results = {}
    for label, source in [
        ("right", "answer = 6 * 7"),
        ("wrong", "answer = 6 * 7 + 1"),
        ("text", "answer = '42'"),
        ("absent", "x = 1"),
    ]:
        path = tmp_path / f"{label}.ipynb"
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        path.write_text(nbformat.writes(nb), encoding="utf-8")
        results[label] = grade.grade_submission(path, options).exercises[0]
    assert results["right"].earned == 2
    assert results["wrong"].mistake == "wrong-values"
    assert results["text"].mistake == "wrong-type"
    assert results["absent"].mistake == "missing" and "variable" in results["absent"].message
