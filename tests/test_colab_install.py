"""Every exercise and solution notebook runs on a Colab-like machine, installing the course
through its own first cell.

Colab opens a notebook alone: no test files or course files beside it, ipywidgets 7.7.1 and
its own numpy already installed, and no ``emlib``. This module reproduces that once:

1. a fresh virtual environment gets the stand-in for Colab's stack (ipywidgets 7.7.1,
   ipykernel, nbclient, nbformat, numpy, scipy, matplotlib) and NOT the course;
2. each notebook is copied alone into an empty folder and run with nbclient in a kernel of
   that environment, with ``EMLIB_INSTALL_SOURCE`` (see ``scripts/nbtools.py``) pointing the
   set-up cell at a copy of this checkout instead of GitHub;
3. the first notebook's set-up cell must install the course into the environment without
   touching ipywidgets or numpy; the other notebooks then run in that same environment, two
   at a time.

Exercise notebooks must run to the end (their check cells are tagged ``raises-exception``
and must stop with "not attempted"); solution notebooks must show ✅ for every check and a
full score. The unit tests of the set-up cell's pip command are in tests/test_colab_links.py.

Marked ``slow`` (it creates a virtual environment): deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent

#: What Colab has before the course is installed (the versions that matter are pinned).
COLAB_STACK = (
    "ipywidgets==7.7.1",
    "ipykernel",
    "nbclient",
    "nbformat",
    "numpy",
    "scipy",
    "matplotlib",
)

NOTEBOOKS = sorted(
    p.relative_to(REPO_ROOT).as_posix()
    for folder in ("exercises", "solutions")
    for p in (REPO_ROOT / folder).glob("*.ipynb")
)

CHECK_CALL = re.compile(r"\bcheck_\w+\s*\(")
SCORE_LINE = re.compile(r"Score in (ch\d+): (\d+)/(\d+) points")

# Run by the environment's own python: executes notebooks with nbclient in that environment's
# kernel and writes each executed notebook to OUT_DIR, and a JSON summary of the errors.
DRIVER = r"""
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

summary_file, out_dir, *paths = sys.argv[1:]
errors = {}
for path in map(Path, paths):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    try:
        client.execute()
        errors[str(path)] = None
    except CellExecutionError as exc:
        errors[str(path)] = str(exc)[-4000:]
    except Exception as exc:  # a kernel that did not start, a timeout...
        errors[str(path)] = f"{type(exc).__name__}: {exc}"[-4000:]
    nbformat.write(nb, Path(out_dir) / path.name)
Path(summary_file).write_text(json.dumps(errors), encoding="utf-8")
"""

PROBE = r"""
import importlib.util, json, sys
from importlib import metadata
spec = importlib.util.find_spec("emlib")
print(json.dumps({
    "prefix": sys.prefix,
    "emlib": spec.origin if spec else None,
    "numpy": metadata.version("numpy"),
    "ipywidgets": metadata.version("ipywidgets"),
}))
"""


def _clean_env(venv: Path, **extra: str) -> dict[str, str]:
    """This process's environment without its Python settings, the venv's bin/ first."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "JUPYTER_PATH")
    }
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        JUPYTER_PREFER_ENV_PATH="1",  # the venv's python3 kernel, not a user-wide one
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        **extra,
    )
    return env


def _probe(python: Path, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [str(python), "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def _run_driver(
    python: Path, env: dict[str, str], work: Path, name: str, paths: list[Path]
) -> tuple[Path, subprocess.Popen]:
    """Start the notebook runner on ``paths``; returns its summary file and its process."""
    summary = work / f"{name}.json"
    return summary, subprocess.Popen(
        [str(python), str(work / "driver.py"), str(summary), str(work / "out"), *map(str, paths)],
        env=env,
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(summary: Path, proc: subprocess.Popen) -> dict[str, str | None]:
    output, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0 and summary.exists(), f"the notebook runner failed:\n{output}"
    return json.loads(summary.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def colab_run(tmp_path_factory, repo_copier, nbtools) -> Iterator[dict]:
    """Run every exercise and solution notebook in one Colab-like environment."""
    if not NOTEBOOKS:
        pytest.fail("no notebooks in exercises/ or solutions/")
    work = tmp_path_factory.mktemp("colab")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = _clean_env(venv)
    install = subprocess.run(
        # --no-compile: byte-compiling ~100 packages (jupyterlab...) would double the time
        [str(python), "-m", "pip", "install", "--quiet", "--no-compile", *COLAB_STACK],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    before = _probe(python, env)

    checkout = repo_copier(work / "checkout")
    env = _clean_env(venv, **{nbtools.INSTALL_SOURCE_ENV: str(checkout)})
    (work / "driver.py").write_text(DRIVER, encoding="utf-8")
    (work / "out").mkdir()
    copies = []
    for rel in NOTEBOOKS:  # each notebook alone in an empty folder, as Colab opens it
        folder = work / "alone" / Path(rel).stem
        folder.mkdir(parents=True)
        copies.append(Path(shutil.copy2(REPO_ROOT / rel, folder)))

    # An exercise first, alone: its set-up cell installs the course.
    first = next((c for c in copies if not c.stem.endswith("_solution")), copies[0])
    errors = _finish(*_run_driver(python, env, work, "first", [first]))
    after = _probe(python, env)

    rest = [c for c in copies if c != first]
    runs = [_run_driver(python, env, work, f"part{i}", rest[i::2]) for i in range(2) if rest[i::2]]
    for summary, proc in runs:
        errors.update(_finish(summary, proc))

    executed = {
        rel: nbformat.read(work / "out" / Path(rel).name, as_version=4) for rel in NOTEBOOKS
    }
    yield {
        "venv": venv,
        "before": before,
        "after": after,
        "first": NOTEBOOKS[copies.index(first)],
        "errors": {rel: errors[str(c)] for rel, c in zip(NOTEBOOKS, copies, strict=True)},
        "executed": executed,
    }
    # The environment is about 0.5 GB and pytest keeps its last three temporary folders;
    # the executed notebooks in out/ stay for a look after a failure.
    shutil.rmtree(venv, ignore_errors=True)
    shutil.rmtree(checkout, ignore_errors=True)


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def _errors(cell: nbformat.NotebookNode) -> list[str]:
    return [o.get("ename", "") for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_the_first_cell_installs_the_course_and_leaves_colabs_packages_alone(colab_run):
    before, after = colab_run["before"], colab_run["after"]
    assert before["emlib"] is None, "emlib was importable before any notebook ran"
    assert before["ipywidgets"] == "7.7.1"
    first = colab_run["first"]
    assert after["emlib"] is not None, (
        f"running {first} did not install emlib:\n{colab_run['errors'][first]}"
    )
    site_packages = Path(after["prefix"]) / "lib"
    origin = Path(after["emlib"])
    assert origin.is_relative_to(site_packages) and "site-packages" in origin.parts, origin
    assert Path(after["prefix"]).resolve() == colab_run["venv"].resolve()
    assert after["ipywidgets"] == "7.7.1", "installing the course changed Colab's ipywidgets"
    assert after["numpy"] == before["numpy"], "installing the course changed Colab's numpy"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_alone_on_colab(colab_run, notebook):
    error = colab_run["errors"][notebook]
    assert error is None, f"{notebook} failed on the Colab-like environment:\n{error}"
    nb = colab_run["executed"][notebook]
    setup = nb.cells[0]
    assert setup.source.startswith("# Course set-up") and not _errors(setup)
    checks = [c for c in nb.cells if c.cell_type == "code" and CHECK_CALL.search(c.source)]
    assert checks, f"{notebook} has no check cell"
    score = next(
        (m for c in nb.cells if c.cell_type == "code" for m in SCORE_LINE.finditer(_text(c))),
        None,
    )
    if notebook.startswith("solutions/"):
        for cell in checks:
            shown = _text(cell)
            assert "✅" in shown and "❌" not in shown and not _errors(cell), (
                f"{notebook}: check cell {cell.source!r} shows\n{shown}\n{_errors(cell)}"
            )
        assert score is not None and score.group(2) == score.group(3), (
            f"{notebook}: no full score shown ({score.group(0) if score else 'no score line'})"
        )
    else:
        for cell in checks:  # unfinished: each check stops, and says why
            assert set(_errors(cell)) <= {"NotAttempted", "NameError"} and _errors(cell), (
                f"{notebook}: check cell {cell.source!r} should stop as not attempted; "
                f"got {_errors(cell)}:\n{_text(cell)}"
            )
        assert score is not None and score.group(2) == "0"
