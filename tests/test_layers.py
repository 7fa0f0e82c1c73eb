"""The layers of emlib can be seen from the folder tree, and the imports respect them.

``emlib.core`` is the numerical core: numpy, scipy and the standard library only; the step
functions the chapters call live there. ``emlib.estimators`` (the scikit-learn estimators
built on the core) is the one module that imports scikit-learn. ``import emlib`` must not
pull in scikit-learn, plotting or widgets: the estimators are loaded on first use.
"""

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "emlib" / "core"
ESTIMATORS = CORE.parent / "estimators.py"
ALLOWED_THIRD_PARTY = {"numpy", "scipy"}


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0], node.lineno


def test_core_imports_only_numpy_scipy_and_stdlib():
    offenders = []
    for path in sorted(CORE.glob("*.py")):
        for module, line in _imported_modules(path):
            if module in sys.stdlib_module_names or module in ALLOWED_THIRD_PARTY:
                continue
            if module == "__future__":
                continue
            offenders.append(f"{path.name}:{line} imports {module}")
    assert not offenders, "emlib.core must use numpy/scipy only:\n" + "\n".join(offenders)


def test_core_has_no_relative_import_of_upper_layers():
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                raise AssertionError(f"{path.name}:{node.lineno} reaches out of emlib.core")


def test_import_emlib_is_light():
    heavy = ("matplotlib", "ipywidgets", "sklearn", "IPython")
    code = f"import sys, emlib; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import emlib pulled in: {out.stdout.strip()}"


def test_only_the_estimators_import_sklearn_and_they_sit_on_the_core():
    package = CORE.parent
    importers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if any(module == "sklearn" for module, _ in _imported_modules(path))
    )
    assert importers == ["estimators.py"], importers
    tree = ast.parse(ESTIMATORS.read_text(encoding="utf-8"))
    relative = {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1
    }
    assert relative == {"core"}, f"emlib.estimators imports {relative}: only the core is below it"


def test_estimators_load_on_first_use():
    code = (
        "import sys, emlib; assert 'sklearn' not in sys.modules; "
        "from sklearn.base import BaseEstimator; "
        "assert isinstance(emlib.GaussianMixture(), BaseEstimator); "
        "assert emlib.GaussianMixture.__module__ == 'emlib.estimators'; "
        "from emlib import KMeans, NotFittedError; print(NotFittedError.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "sklearn.exceptions"
