#!/usr/bin/env bash
# Build the course website into _build/html, in its own virtual environment (.venv-book).
# Fails on any Sphinx warning and on any notebook cell error (see scripts/build_book.py).
# Extra arguments go to `jupyter-book build`, e.g. --path-output /tmp/site
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

ensure_venv .venv-book "book"
cd "$REPO_ROOT"
"$VENV_PY" scripts/build_book.py "$@"
echo ">>> book built: $REPO_ROOT/_build/html/index.html"
