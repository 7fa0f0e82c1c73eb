"""emlib: the shared library of the executable course on EM and Gaussian mixtures.

The numerical core (:mod:`emlib.core`, numpy and scipy only) is re-exported here, and so
are the scikit-learn estimators built on it (:mod:`emlib.estimators`: ``GaussianMixture``,
``KMeans``, ``select_n_components``, and scikit-learn's ``NotFittedError`` and
``ConvergenceWarning``). Those are loaded on first use, so ``import emlib`` imports
neither scikit-learn nor plotting, widgets, the labs, the checks or the grader.
"""

from .core import *  # noqa: F403
from .core import __all__ as _core_all

__version__ = "0.1.0"

_ESTIMATOR_NAMES = (
    "ConvergenceWarning",
    "GaussianMixture",
    "KMeans",
    "NotFittedError",
    "SelectionResult",
    "select_n_components",
)
__all__ = sorted([*_core_all, *_ESTIMATOR_NAMES, "__version__"])


def __getattr__(name: str):
    if name in _ESTIMATOR_NAMES:
        from . import estimators

        value = getattr(estimators, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'emlib' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ESTIMATOR_NAMES})
