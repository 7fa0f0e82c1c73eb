#!/usr/bin/env bash
# Lint and test everything, in its own virtual environment (.venv-test):
#   ruff check .  ->  pytest tests/  +  nbval over the notebooks in book/, exercises/, solutions/
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -m "not book" -x
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

ensure_venv .venv-test "test,book"
cd "$REPO_ROOT"

# Lint failures fail the run, but the tests still run so that one run shows every problem.
echo ">>> ruff check ."
lint=0
"$VENV_PY" -m ruff check . || lint=$?

# nbval only runs folders that hold notebooks (exercises/ and solutions/ may still be empty).
# --nbval-lax: committed notebooks have no outputs to compare, so a notebook passes when every
# cell runs without an exception (cells tagged raises-exception are expected to raise).
# Each notebook runs once per run: when the strict book build or the Colab-like run of the
# exercises and solutions is selected, it executes those notebooks and nbval skips them
# (tests/conftest.py, pytest_collection_modifyitems).
targets=(tests)
for dir in book exercises solutions; do
    if [[ -n "$(find "$dir" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -print -quit 2>/dev/null)" ]]; then
        targets+=("$dir")
    fi
done

echo ">>> pytest ${targets[*]}"
status=0
"$VENV_PY" -m pytest "${targets[@]}" --nbval-lax --nbval-current-env --durations=10 "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "ERROR: pytest collected no tests: that is a failure, not a pass" >&2
    status=1
fi

# The widget labs must work on Colab's ipywidgets 7.7.1 as well as on 8.x: their kernel-free
# tests run a second time in an environment with ipywidgets 7.7.1.
ensure_venv .venv-widgets7 "widgets7"
echo ">>> pytest tests/test_labs.py with $("$VENV_PY" -c 'import ipywidgets; print("ipywidgets", ipywidgets.__version__)')"
"$VENV_PY" -m pytest tests/test_labs.py \
    "tests/test_lab_figures.py::test_live_lab_image_is_sharp_and_controls_fit" \
    -q -p no:cacheprovider || { [[ $status -ne 0 ]] || status=1; }
if [[ $lint -ne 0 ]]; then
    echo "ERROR: ruff check found problems (see above)" >&2
    [[ $status -ne 0 ]] || status=$lint
fi
exit "$status"
