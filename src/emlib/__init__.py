"""emlib: the shared library of the executable course on EM and Gaussian mixtures.

The numerical core (:mod:`emlib.core`, numpy and scipy only) is re-exported here.
Plotting (:mod:`emlib.plotting`), the widget labs (:mod:`emlib.labs`), the exercise
checks (:mod:`emlib.check`) and the grader (:mod:`emlib.grade`) are imported on demand,
so ``import emlib`` stays light.
"""

from .core import *  # noqa: F403
from .core import __all__ as _core_all

__version__ = "0.1.0"
__all__ = [*_core_all, "__version__"]
