"""The grader, end to end: real notebooks, real kernels, real sandboxes.

Every notebook is built in a temporary folder and all of them are graded in ONE call of
``grade_notebooks`` (two at a time), so the module costs one grading run:

* every solution notebook gets full marks, every untouched exercise notebook zero;
* robustness: infinite loops, ``sys.exit``, ``os._exit``, huge output, a broken file,
  functions that never return or kill the kernel, monkey-patched checks;
* hostile notebooks (the sandbox): a library call through a computed name, ``exec`` of the
  solution notebook, deleting the output folder, pre-created scratch files, a detached
  process that rewrites the gradebook after the grader exits, a ``.pth`` file dropped into
  site-packages, a forked sleeper, a full ``/tmp``, the network, too much memory, too many
  processes, killing the worker; and a correct notebook whose own helpers are named like
  library functions.

The wrong answers of every exercise are tested through the same kernel-side collector in
``tests/test_check_framework.py``; Gradescope's bundle is tested at the end.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import re
import shutil
import site
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest
from wrong_answers import SUBMISSIONS, edited_notebook

import emlib
from emlib.check import assignments, exercises, load_all
from emlib.check import ch03 as ch03_module
from emlib.grade import GradingOptions, SandboxUnavailable, grade_notebooks, grade_one
from emlib.grade import __main__ as cli
from emlib.grade import sandbox as sandbox_module
from emlib.grade.report import SANDBOX_OFF, safe_cell

ROOT = Path(__file__).resolve().parent.parent
load_all()

# In CI (.ci/run installs bubblewrap) a missing bwrap fails the tests instead.
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="the grader's sandbox needs bubblewrap (bwrap)",
)

OPTIONS = GradingOptions(
    timeout=90, cell_timeout=10, check_timeout=10, extra_cases=1, tmp_mb=64, max_processes=96
)
MARKER = uuid.uuid4().hex[:12]
#: A sleep duration no other process on the machine uses: finds the hostile sleepers.
SLEEP = f"{700 + int(MARKER[:4], 16) % 200}.{int(MARKER[4:8], 16)}"


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
CH03_SOLUTION = SOLUTIONS["ch03"]
CH03_NAME = _exercise_name(CH03_SOLUTION)


# --------------------------------------------------------------------------- building


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _edit_code(nb: nbformat.NotebookNode, replace) -> nbformat.NotebookNode:
    """Apply (old, new) replacements to the code cells; each ``old`` must occur."""
    nb = copy.deepcopy(nb)
    for old, new in replace:
        hits = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert hits, f"stale edit: {old!r} is not in the notebook's code"
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    return nb


def _after_first_check(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    index = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "check_" in c.source
    )
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


def _at_end(nb: nbformat.NotebookNode, *sources: str) -> nbformat.NotebookNode:
    nb = copy.deepcopy(nb)
    nb.cells.extend(nbformat.v4.new_code_cell(s) for s in sources)
    return nb


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
emlib.check.Exercise.evaluate = lambda self, *args, **kwargs: None
numpy.allclose = lambda *args, **kwargs: True
print("Score in ch03: 5/5 points")
"""
# The responsibilities from the library, reached through a name no text search can see.
COMPUTED_NAME = (
    "    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
    "    return np.exp(log_joint - log_sum_exp(log_joint)[:, None])",
    '    library = __import__("em" + "lib")\n'
    '    return getattr(library, "e_" + "step")(X, params)[0]',
)
# A correct answer whose own helpers are named like library functions.
OWN_HELPERS = (
    "    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
    "    return np.exp(log_joint - log_sum_exp(log_joint)[:, None])",
    "    log_joint = e_step(X, params)\n"
    "    return np.exp(log_joint - logsumexp(log_joint)[:, None])\n\n\n"
    "def e_step(X, params):\n"
    "    return np.log(params.weights) + component_log_densities(X, params)\n\n\n"
    "def logsumexp(a):\n"
    "    return log_sum_exp(a)\n\n\n"
    "def norm(x):\n"
    "    return np.sqrt((x**2).sum())",
)


def _hostile_cells(out: Path, subs: Path) -> dict[str, str]:
    """Cells of hostile notebooks; paths are the real ones of this test run."""
    solution = str(CH03_SOLUTION)
    return {
        "exec_solution": f"""
import json
with open({solution!r}) as handle:
    cells = json.load(handle)["cells"]
for cell in cells:
    if cell["cell_type"] == "code":
        exec("".join(cell["source"]), globals())
""",
        "delete_output": f"""
import shutil
for folder in ({str(out)!r}, {str(subs)!r}):
    shutil.rmtree(folder, ignore_errors=True)
with open({str(out / "gradebook.csv")!r}, "w") as handle:
    handle.write("file,total\\nall,100\\n")
""",
        "precreated_scratch": """
import glob, os
for folder in ("/tmp", "/grade/out", "/grade/work", os.path.expanduser("~")):
    for name in ("emlib-grade-x", "answer-0.json", "answer-1.json", "result.json",
                 "result.json.tmp", "kernels.pid", "sub-x"):
        try:
            os.makedirs(os.path.join(folder, name), mode=0, exist_ok=True)
        except OSError as exc:
            print(exc)
""",
        "detached_rewriter": f"""
import subprocess, sys
code = '''
import time
time.sleep(1.5)
for _ in range(20):
    try:
        with open({str(out / "gradebook.csv")!r}, "w") as handle:
            handle.write("file,total\\\\nall,100\\\\n")
    except OSError:
        pass
    time.sleep(0.2)
'''
subprocess.Popen([sys.executable, "-c", code], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["sleep", "{SLEEP}"], start_new_session=True)
""",
        "fork_sleeper": f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{SLEEP}"])
    os._exit(0)
time.sleep(0.2)
""",
        "pth_file": f"""
import os, site, sysconfig
import emlib.check.ch03 as ch03_module
payload = "import emlib.check._framework as f; f.Exercise.evaluate = lambda *a, **k: None\\n"
folders = site.getsitepackages() + [site.getusersitepackages(), sysconfig.get_paths()["purelib"]]
for folder in folders:
    try:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "zz_{MARKER}.pth"), "w") as handle:
            handle.write(payload)
    except OSError as exc:
        print(exc)
try:
    with open(ch03_module.__file__, "a") as handle:
        handle.write("\\nEXERCISES_PATCHED = True\\n")
except OSError as exc:
    print(exc)
""",
        "limits": """
import os, signal, time
import numpy as np
try:
    hog = np.empty(6 * 2**30, dtype=np.uint8)  # not touched: costs nothing without a limit
except MemoryError:
    print("memory limit")
else:
    raise RuntimeError("no memory limit")
children = []
try:
    for _ in range(600):
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children.append(pid)
except OSError as exc:
    print("process limit:", exc)
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
if len(children) >= 600:
    raise RuntimeError("no process limit")
""",
        "fill_tmp": f"""
import os
chunk = b"x" * (1 << 20)
for folder in ("/tmp", os.path.expanduser("~"), "/grade/work"):
    try:
        with open(os.path.join(folder, "fill_{MARKER}"), "wb") as handle:
            for _ in range(2048):
                handle.write(chunk)
    except OSError as exc:
        print("full:", exc)
""",
    }


def _network_cell(port: int) -> str:
    return f"""
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as connection:
        connection.sendall(b"leak")
except OSError as exc:
    print("no network:", exc)
"""


def _robustness_notebooks() -> dict[str, nbformat.NotebookNode | str]:
    sol = _read(CH03_SOLUTION)
    exercise = _read(ROOT / "exercises" / CH03_NAME)
    survivable = sol
    for cell in (HUGE_OUTPUT, "exit()", "1 / 0", "import sys\nsys.exit(1)", LOOP):
        survivable = _after_first_check(survivable, cell)
    return {
        "survivable": survivable,
        "stubborn_loop": _after_first_check(sol, STUBBORN_LOOP),
        "os_exit": _after_first_check(sol, "import os\nos._exit(1)"),
        "=1+2 invalid_json": nbformat.writes(sol)[: len(nbformat.writes(sol)) // 2],
        "monkey_patched": _at_end(exercise, WRONG_FUNCTIONS, MONKEY_PATCHES),
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
        "kills_the_worker": _after_first_check(
            sol, "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
        ),
        "computed_name": _edit_code(sol, [COMPUTED_NAME]),
        "own_helpers": _edit_code(sol, [OWN_HELPERS]),
    }


#: A few of the checks' submissions (tests/wrong_answers.py, all tested in process there),
#: graded through kernels and the sandbox: the run-time detector, seeds, a required helper,
#: and correct alternatives whose own helpers are named like library functions.
THROUGH_KERNELS = [
    ("ch01.mixture_pdf", "emlib through __import__ and getattr"),
    ("ch01.sample_mixture_1d", "ignores its seed (an unseeded generator)"),
    ("ch06.kmeans", "own helper named m_step"),
    ("ch07.decomposition", "KL = log p - ELBO"),
    ("ch08.choose_k", "gm.bic through the notebook's fits"),
]
CHOSEN = [
    next(s for s in SUBMISSIONS if (s.key, s.description) == wanted) for wanted in THROUGH_KERNELS
]


def _site_folders() -> list[Path]:
    return [Path(p) for p in [*site.getsitepackages(), site.getusersitepackages()]]


def _sleepers() -> list[int]:
    """Processes on this machine running the hostile notebooks' ``sleep``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if SLEEP.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every notebook of this module at once; results by folder name."""
    subs = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("graded")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    # Folders named like the grader's scratch folders, made before it starts.
    decoys = [Path(tempfile.gettempdir()) / f"emlib-grade-{MARKER}-{i}" for i in range(3)]
    for decoy in decoys:
        decoy.mkdir(mode=0)

    def save(folder: str, nb: nbformat.NotebookNode | str, filename: str = CH03_NAME) -> None:
        path = subs / folder / filename
        path.parent.mkdir(parents=True)
        path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb), encoding="utf-8")

    for assignment, solution in SOLUTIONS.items():
        name = _exercise_name(solution)
        save(f"solution_{assignment}", _read(solution), name)
        save(f"exercise_{assignment}", _read(ROOT / "exercises" / name), name)
    for folder, nb in _robustness_notebooks().items():
        save(folder, nb)
    for i, submission in enumerate(CHOSEN):
        solution = SOLUTIONS[submission.assignment]
        save(
            f"submission_{i}",
            edited_notebook(submission, _read(solution)),
            _exercise_name(solution),
        )
    # Kernels are slow: the hostile cells share two notebooks. One starts from the solution
    # (it must keep its full marks), the other from the untouched exercise (it must stay at 0).
    hostile = _hostile_cells(out, subs)
    on_solution = _read(CH03_SOLUTION)
    for name in ("delete_output", "precreated_scratch", "detached_rewriter", "fork_sleeper"):
        on_solution = _after_first_check(on_solution, hostile[name])
    on_solution = _after_first_check(on_solution, hostile["fill_tmp"])
    on_solution = _after_first_check(on_solution, hostile["limits"])
    on_solution = _after_first_check(on_solution, _network_cell(server.getsockname()[1]))
    save("hostile_solution", on_solution)
    on_exercise = _at_end(
        _read(ROOT / "exercises" / CH03_NAME), hostile["pth_file"], hostile["exec_solution"]
    )
    save("a_hostile_exercise", on_exercise)

    try:
        results = grade_notebooks([subs], out, OPTIONS, jobs=2)
        gradebook = (out / "gradebook.csv").read_bytes()
        time.sleep(3)  # the detached rewriter would strike now
        try:
            server.accept()
            connected = True
        except BlockingIOError:
            connected = False
    finally:
        server.close()
        for decoy in decoys:
            decoy.rmdir()
    return {
        "results": {r.file.split("/")[0]: r for r in results},
        "out": out,
        "gradebook_at_return": gradebook,
        "connected": connected,
    }


def _by_name(result) -> dict:
    return {e.name: e for e in result.exercises}


# --------------------------------------------------------------------------- solutions etc.


@pytest.mark.parametrize("assignment", sorted(SOLUTIONS))
def test_solution_gets_full_marks(graded, assignment):
    result = graded["results"][f"solution_{assignment}"]
    assert result.status == "graded", result.notes
    assert result.maximum == sum(e.points for e in exercises(assignment)) > 0
    failures = {e.name: e.explanation() for e in result.exercises if not e.passed}
    assert not failures
    assert result.total == result.maximum
    assert result.sandboxed


@pytest.mark.parametrize("assignment", sorted(SOLUTIONS))
def test_untouched_exercise_gets_zero(graded, assignment):
    result = graded["results"][f"exercise_{assignment}"]
    assert result.status == "graded"
    assert result.total == 0 and result.maximum > 0
    assert {e.status for e in result.exercises} == {"not-attempted"}


def test_every_assignment_has_a_solution():
    assert set(assignments()) <= set(SOLUTIONS)


@pytest.mark.parametrize("i", range(len(CHOSEN)), ids=[f"{k}-{d[:25]}" for k, d in THROUGH_KERNELS])
def test_submissions_get_the_same_verdict_through_the_grader(graded, i):
    submission = CHOSEN[i]
    result = graded["results"][f"submission_{i}"]
    got = _by_name(result)[submission.name]
    if submission.expect is None:
        assert got.passed, got.explanation()
        assert result.total == result.maximum
    else:
        assert got.earned == 0 and got.mistake == submission.expect, got.explanation()
        others = [e for e in result.exercises if e.name != submission.name]
        assert all(e.passed for e in others), [e.explanation() for e in others]


# --------------------------------------------------------------------------- robustness


def test_loops_exits_exceptions_and_huge_output_are_survived(graded):
    result = graded["results"]["survivable"]
    assert result.total == result.maximum == 5
    assert any("interrupted" in note for note in result.notes)
    assert any("raised ZeroDivisionError" in note for note in result.notes)
    assert any("raised SystemExit" in note for note in result.notes)


def test_loop_that_ignores_interrupts_gets_a_new_kernel(graded):
    result = graded["results"]["stubborn_loop"]
    assert result.total == 5
    assert any("ignored the interrupt" in note for note in result.notes)


def test_cell_that_kills_the_kernel_is_skipped(graded):
    result = graded["results"]["os_exit"]
    assert result.total == 5
    assert any("stopped the Python kernel" in note for note in result.notes)


def test_invalid_notebook_gets_a_one_line_reason(graded):
    result = graded["results"]["=1+2 invalid_json"]
    assert result.status == "invalid-notebook"
    assert result.total == 0 and result.maximum == 5
    (note,) = result.notes
    assert "not a valid Jupyter notebook" in note and "\n" not in note
    assert "Traceback" not in note


def test_monkey_patched_checks_change_nothing(graded):
    result = graded["results"]["monkey_patched"]
    assert result.total == 0
    assert {e.status for e in result.exercises} == {"failed"}
    assert result.status == "flagged"


def test_function_that_never_returns_loses_only_its_points(graded):
    got = _by_name(graded["results"]["function_never_returns"])
    assert got["log_sum_exp"].earned == 2
    assert got["responsibilities"].mistake == "timeout"


def test_function_that_kills_the_kernel_loses_only_its_points(graded):
    got = _by_name(graded["results"]["function_kills_kernel"])
    assert got["log_sum_exp"].earned == 2
    assert got["responsibilities"].mistake == "kernel-died"


def test_kernel_is_restarted_for_the_exercises_after_a_crash(graded):
    result = graded["results"]["first_function_kills_kernel"]
    got = _by_name(result)
    assert got["log_sum_exp"].mistake == "kernel-died"
    assert got["responsibilities"].earned == 3
    assert any("restarted to grade the remaining" in note for note in result.notes)


def test_a_notebook_that_kills_the_worker_gets_a_grader_error_row(graded):
    result = graded["results"]["kills_the_worker"]
    assert result.status == "grader-error" and result.total == 0 and result.maximum == 5
    assert any("wrote no result" in note for note in result.notes)


def test_the_gradebook_is_written_when_grading_crashes(tmp_path, monkeypatch):
    from emlib.grade import pipeline

    def crash(*args, **kwargs):
        raise RuntimeError("the worker could not start")

    monkeypatch.setattr(pipeline, "run_submission", crash)
    (result,) = grade_notebooks([CH03_SOLUTION], tmp_path, OPTIONS)
    assert result.status == "grader-error" and result.total == 0 and result.maximum == 5
    assert "the worker could not start" in result.notes[0]
    with open(tmp_path / "gradebook.csv", newline="", encoding="utf-8") as handle:
        (row,) = csv.DictReader(handle)
    assert row["status"] == "grader-error" and row["total"] == "0"


def test_renamed_function_is_reported_missing(graded):
    got = _by_name(graded["results"]["renamed_function"])
    assert got["responsibilities"].mistake == "missing"
    assert "responsibilities" in got["responsibilities"].message


# --------------------------------------------------------------------------- hostile


def test_library_call_through_a_computed_name_is_caught_and_flagged(graded):
    result = graded["results"]["computed_name"]
    got = _by_name(result)
    assert got["log_sum_exp"].earned == 2
    assert got["responsibilities"].earned == 0
    assert got["responsibilities"].mistake == "forbidden-call"
    assert result.status == "flagged"


def test_own_helpers_named_like_library_functions_get_full_marks(graded):
    result = graded["results"]["own_helpers"]
    assert result.total == result.maximum == 5, [e.explanation() for e in result.exercises]
    assert result.status == "graded"


def test_exec_of_the_solution_notebook_gains_nothing(graded):
    result = graded["results"]["a_hostile_exercise"]
    assert result.total == 0
    assert any("FileNotFoundError" in note for note in result.notes)  # not even visible


def test_hostile_cells_leave_a_correct_notebook_its_marks(graded):
    """Deleting the output, pre-created scratch files, detached processes, a full /tmp and
    the network: none of it breaks the grading of the notebook that tries it."""
    result = graded["results"]["hostile_solution"]
    assert result.status == "graded" and result.total == 5, result.notes


def test_deleting_the_output_folder_loses_no_grade(graded):
    out = graded["out"]
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(graded["results"])
    # the output folder does not exist in the sandbox
    notes = graded["results"]["hostile_solution"].notes
    assert any("FileNotFoundError" in note and "gradebook.csv" in note for note in notes)


def test_no_process_of_a_submission_outlives_the_grader(graded):
    assert _sleepers() == []
    assert (graded["out"] / "gradebook.csv").read_bytes() == graded["gradebook_at_return"]
    assert b"all,100" not in graded["gradebook_at_return"]


def test_a_pth_file_cannot_be_planted(graded):
    assert graded["results"]["a_hostile_exercise"].total == 0
    for folder in _site_folders():
        assert not (folder / f"zz_{MARKER}.pth").exists()
    assert "EXERCISES_PATCHED" not in Path(ch03_module.__file__).read_text(encoding="utf-8")
    # graded after it in the same run: still nothing for nothing
    assert graded["results"]["exercise_ch03"].total == 0


def test_filling_tmp_stays_in_the_sandbox(graded):
    assert not (Path(tempfile.gettempdir()) / f"fill_{MARKER}").exists()
    notes = graded["results"]["hostile_solution"].notes
    assert not any("fill_" in note for note in notes)  # ENOSPC was caught by the cell


def test_memory_and_processes_are_limited(graded):
    notes = graded["results"]["hostile_solution"].notes
    assert not any("no memory limit" in note or "no process limit" in note for note in notes)


def test_no_network_in_the_sandbox(graded):
    assert not graded["connected"]


# --------------------------------------------------------------------------- reports


def test_gradebook_feedback_and_json(graded):
    out, results = graded["out"], graded["results"]
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(results)
    for row in rows:
        name = row["file"].removeprefix("'")
        result = next(r for r in results.values() if r.file == name)
        assert int(row["total"]) == result.total and int(row["maximum"]) == result.maximum
        for e in result.exercises:
            assert int(row[f"{result.assignment}.{e.name}"]) == e.earned
        feedback = out / "feedback" / name.replace(".ipynb", ".md")
        assert f"{result.total} / {result.maximum} points" in feedback.read_text()
    formula = next(r for r in rows if "invalid_json" in r["file"])
    assert formula["file"].startswith("'=1+2")  # not a formula in a spreadsheet
    data = json.loads((out / "grades.json").read_text())
    assert len(data) == len(results) and all(d["sandboxed"] for d in data)


def test_csv_cells_cannot_be_formulas():
    for text in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("03_e_step.ipynb") == "03_e_step.ipynb"
    assert safe_cell(3) == 3


def test_a_sandbox_past_its_hard_limit_is_killed_whole(tmp_path, monkeypatch):
    """The last resort: the whole sandbox is killed, the row says timeout."""
    monkeypatch.setattr(GradingOptions, "hard_limit", lambda self, n: 8.0)
    nb = _after_first_check(
        _read(CH03_SOLUTION),
        f'import subprocess\nsubprocess.Popen(["sleep", "{SLEEP}"], start_new_session=True)\n'
        + STUBBORN_LOOP,
    )
    path = tmp_path / CH03_NAME
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    options = GradingOptions(timeout=60, cell_timeout=60, check_timeout=5)
    result = grade_one(path, path.name, options, tmp_path)
    assert result.status == "timeout" and result.total == 0 and result.maximum == 5
    assert _sleepers() == []
    assert [p.name for p in tmp_path.iterdir()] == [CH03_NAME]  # scratch removed


def test_missing_bubblewrap_stops_with_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sandbox_module.shutil, "which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="--no-sandbox"):
        grade_notebooks([CH03_SOLUTION], tmp_path / "out")
    assert cli.main([str(CH03_SOLUTION), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err
    assert not (tmp_path / "out" / "gradebook.csv").exists()


def test_command_line_without_sandbox_says_so(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / CH03_NAME).write_text(nbformat.writes(_read(CH03_SOLUTION)), encoding="utf-8")
    (subs / "notes.ipynb").write_text("{}", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "emlib.grade",
            str(subs),
            "--out",
            str(tmp_path / "out"),
            "-q",
            "--no-sandbox",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "unknown-assignment" in proc.stdout and SANDBOX_OFF in proc.stdout
    feedback = (tmp_path / "out" / "feedback" / CH03_NAME.replace(".ipynb", ".md")).read_text()
    assert "5 / 5 points" in feedback and SANDBOX_OFF in feedback
    data = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert [d["sandboxed"] for d in data] == [False, False]

    missing = subprocess.run(
        [sys.executable, "-m", "emlib.grade", str(tmp_path / "nope"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such notebook" in missing.stderr


def test_options_are_validated(tmp_path):
    with pytest.raises(ValueError, match="timeout"):
        GradingOptions(timeout=0)
    with pytest.raises(ValueError, match="memory_mb"):
        GradingOptions(memory_mb=0)
    with pytest.raises(ValueError, match="jobs"):
        grade_notebooks([CH03_SOLUTION], tmp_path, jobs=0)


# --------------------------------------------------------------------------- Gradescope


def test_gradescope_bundle_grades_like_gradescope(tmp_path):
    bundle = tmp_path / "autograder.zip"
    assert cli.main(["--gradescope-bundle", str(bundle), "--assignment", "ch03"]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        assert {"setup.sh", "run_autograder", "config.json"} <= names
        assert "course/src/emlib/check/ch03.py" in names and "course/pyproject.toml" in names
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(CH03_SOLUTION, root / "submission" / "my_homework.ipynb")
    run_autograder = root / "run_autograder"  # where Gradescope copies it
    shutil.copy(root / "source" / "run_autograder", run_autograder)
    run_autograder.chmod(0o755)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    proc = subprocess.run(
        [str(run_autograder)], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    expected = exercises("ch03")
    assert [t["name"] for t in results["tests"]] == [e.title for e in expected]
    for test, exercise in zip(results["tests"], expected, strict=True):
        assert test["max_score"] == exercise.points and test["score"] == exercise.points
        assert isinstance(test["output"], str) and test["output"]
    assert results["score"] == sum(e.points for e in expected)

    # an empty submission: a clear message and zero, without running anything
    (root / "submission" / "my_homework.ipynb").unlink()
    subprocess.run([str(run_autograder)], env=env, check=True, timeout=120)
    empty = json.loads((root / "results" / "results.json").read_text())
    assert empty["score"] == 0 and "No notebook" in empty["output"]


def test_gradescope_bundle_rejects_an_unknown_assignment(tmp_path, capsys):
    assert cli.main(["--gradescope-bundle", str(tmp_path / "a.zip"), "--assignment", "ch99"]) == 2
    assert "unknown assignment" in capsys.readouterr().err


def test_emlib_is_read_only_in_the_sandbox():
    """The sandbox mounts the package and the Python installation read-only."""
    prefix = sandbox_module._bwrap_prefix()
    for path in (Path(emlib.__file__).resolve().parent, Path(sys.prefix).resolve()):
        i = prefix.index(str(path))
        assert prefix[i - 1] == "--ro-bind"
