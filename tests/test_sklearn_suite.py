"""scikit-learn's own GaussianMixture tests pass with emlib's estimator swapped in.

The test file is read from the *installed* scikit-learn (``sklearn/mixture/tests/``), its
one import of the estimator is replaced by ``from emlib import GaussianMixture``, and it is
run by pytest with scikit-learn's fixtures (``-p sklearn.conftest``). Everything else in the
file (scikit-learn's ``NotFittedError``, ``ConvergenceWarning``, data generators and
expected values) is left as it is.

A few tests cannot pass by construction; they are deselected, each with its reason, below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sklearn = pytest.importorskip("sklearn")

SUITE = Path(sklearn.__file__).parent / "mixture" / "tests" / "test_gaussian_mixture.py"
IMPORT = "from sklearn.mixture import GaussianMixture\n"

# Tests that cannot pass with any other implementation, and why. Keep this list short.
NOT_APPLICABLE = {
    # They match scikit-learn's exact wording of an error; emlib raises a ValueError for the
    # same input with its own message (tested in tests/test_bad_input.py).
    "test_check_weights": "exact wording of the bad weights_init errors",
    "test_check_means": "exact wording of the bad means_init error",
    "test_check_precisions": "exact wording of the bad precisions_init errors",
    "test_regularisation": "exact wording of the collapsed-component error",
    # They reach into scikit-learn's private implementation.
    "test_gaussian_mixture_precisions_init": "calls the private _set_parameters, _initialize",
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters": (
        "counts calls of scikit-learn's private _estimate_gaussian_parameters"
    ),
}

CHECK_SWAP = """

def test_the_estimator_under_test_is_emlibs():
    assert GaussianMixture.__module__ == "emlib.estimators"
"""


def _run_swapped(tmp_path, source: str, name: str, *args: str) -> subprocess.CompletedProcess:
    """Write ``source`` as ``name`` in ``tmp_path`` and run it with scikit-learn's fixtures
    (all of it, unless ``args`` name some of its tests)."""
    (tmp_path / name).write_text(source + CHECK_SWAP, encoding="utf-8")
    chosen = [arg for arg in args if arg.startswith(f"{name}::")]
    pytest_args = [*([] if chosen else [name]), "-p", "sklearn.conftest", "-p", "no:cacheprovider"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args, "-q", "-rfEs", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _suite_source(path: Path, old_import: str, new_import: str) -> str:
    if not path.exists():
        pytest.skip(f"this scikit-learn ({sklearn.__version__}) ships without its tests")
    source = path.read_text(encoding="utf-8")
    assert source.count(old_import) == 1, f"{path.name} no longer imports {old_import!r}"
    return source.replace(old_import, new_import)


def test_sklearn_gaussian_mixture_suite_passes_with_emlib(tmp_path):
    source = _suite_source(SUITE, IMPORT, "from emlib import GaussianMixture\n")
    defined = set(re.findall(r"^def (test_\w+)", source, flags=re.MULTILINE))
    missing = set(NOT_APPLICABLE) - defined
    assert not missing, f"deselected tests that no longer exist: {sorted(missing)}"
    name = "test_swapped_gaussian_mixture.py"
    deselect = [f"--deselect={name}::{test}" for test in sorted(NOT_APPLICABLE)]
    result = _run_swapped(tmp_path, source, name, *deselect)
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed, report
    # The file holds about 80 tests; nearly all must have run (not been skipped).
    assert int(passed.group(1)) >= 0.6 * (len(defined) - len(NOT_APPLICABLE)), report
    assert "test_the_estimator_under_test_is_emlibs" not in result.stdout.split("FAILED")[-1]


def test_wording_tests_pass_once_the_wording_is_not_compared(tmp_path):
    """The tests deselected for their wording still hold in substance: the same calls
    raise a ValueError (emlib's own message), and the rest of each test passes."""
    source = _suite_source(SUITE, IMPORT, "from emlib import GaussianMixture\n")
    worded = "pytest.raises(ValueError, match=msg)"
    wording = sorted(name for name, why in NOT_APPLICABLE.items() if why.startswith("exact"))
    assert wording and source.count(worded) >= len(wording)
    name = "test_swapped_without_wording.py"
    selected = [f"{name}::{test}" for test in wording]
    result = _run_swapped(
        tmp_path, source.replace(worded, "pytest.raises(ValueError)"), name, *selected
    )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert f"{len(wording)} passed" in result.stdout, report


def test_sklearn_mixture_common_tests_pass_with_emlib(tmp_path):
    """``sklearn/mixture/tests/test_mixture.py``, run for both mixtures there, with
    GaussianMixture swapped for emlib's (BayesianGaussianMixture stays scikit-learn's)."""
    source = _suite_source(
        SUITE.with_name("test_mixture.py"),
        "from sklearn.mixture import BayesianGaussianMixture, GaussianMixture\n",
        "from sklearn.mixture import BayesianGaussianMixture\nfrom emlib import GaussianMixture\n",
    )
    result = _run_swapped(tmp_path, source, "test_swapped_mixture.py")
    report = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    assert re.search(r"\b5 passed", result.stdout), report  # 4 tests + the swap check
