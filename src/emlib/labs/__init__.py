"""Interactive labs for the course, live in Jupyter and Colab, recorded on the website.

Each lab is one call that a chapter puts as the last line of a cell::

    from emlib import labs
    labs.em_stepper()

In Jupyter, JupyterLab, VS Code or Colab this returns a live widget (core ipywidgets only;
works on ipywidgets 7.7.1 and 8.x). When the book is built with the environment variable
``EMLIB_LAB_MODE=static``, the same call returns a :class:`StaticLab`: an offline player of
precomputed frames (play, pause, step, slider) with alt text, a caption per frame and a
note that the lab is live in Colab. ``mode="live"`` or ``mode="static"`` forces either.

==========================  ========================================================
call                        what the reader does
==========================  ========================================================
:func:`border_point`        moves a point between two clusters: k-means (hard) versus
                            GMM (soft) membership bars
:func:`sampling`            draws samples from a 3-component mixture, changes weights
:func:`responsibilities`    moves a query point over three fixed Gaussians
:func:`em_stepper`          presses E-step / M-step / reset
:func:`em_lab`              picks data set, K, covariance type, starting means; steps or
                            runs EM beside the log-likelihood curve
:func:`kmeans_vs_gmm`       compares k-means and a GMM on the same data
:func:`convergence`         follows log p(X), the ELBO and the KL gap per half-step
:func:`break_it`            makes a component collapse, then repairs it with reg_covar
:func:`choosing_k`          reads BIC and AIC against K beside the fits
==========================  ========================================================

Every lab keeps its logic in a state class (e.g. :class:`EMStepperState`) and its drawing
in a ``draw_...(state) -> Figure`` function, so both can be used and tested without a
kernel; the widget is a thin wrapper that calls the state's methods. All the EM maths is
emlib's own (:func:`emlib.e_step`, :func:`emlib.m_step`, ...).
"""

from ._border_point import BorderPointState, border_point, draw_border_point
from ._break_it import BreakItState, break_it, draw_break_it
from ._choosing_k import ChoosingKState, choosing_k, draw_choosing_k
from ._convergence import ConvergenceState, convergence, draw_convergence
from ._em import DATASETS, EMRun, HalfStep, load_dataset
from ._em_lab import EMLabState, draw_em_lab, em_lab
from ._em_stepper import EMStepperState, draw_em_stepper, em_stepper
from ._framework import MAX_STATIC_BYTES, MODE_ENV, StaticLab, count_frames, resolve_mode
from ._kmeans_vs_gmm import KMeansVsGMMState, draw_kmeans_vs_gmm, kmeans_vs_gmm
from ._responsibilities import ResponsibilitiesState, draw_responsibilities, responsibilities
from ._sampling import SamplingState, draw_sampling, sampling

#: The labs, in course order: public name -> the function that makes it.
LABS = {
    "border_point": border_point,
    "sampling": sampling,
    "responsibilities": responsibilities,
    "em_stepper": em_stepper,
    "em_lab": em_lab,
    "kmeans_vs_gmm": kmeans_vs_gmm,
    "convergence": convergence,
    "break_it": break_it,
    "choosing_k": choosing_k,
}

__all__ = [
    "DATASETS",
    "LABS",
    "MAX_STATIC_BYTES",
    "MODE_ENV",
    "BorderPointState",
    "BreakItState",
    "ChoosingKState",
    "ConvergenceState",
    "EMLabState",
    "EMRun",
    "EMStepperState",
    "HalfStep",
    "KMeansVsGMMState",
    "ResponsibilitiesState",
    "SamplingState",
    "StaticLab",
    "border_point",
    "break_it",
    "choosing_k",
    "convergence",
    "count_frames",
    "draw_border_point",
    "draw_break_it",
    "draw_choosing_k",
    "draw_convergence",
    "draw_em_lab",
    "draw_em_stepper",
    "draw_kmeans_vs_gmm",
    "draw_responsibilities",
    "draw_sampling",
    "em_lab",
    "em_stepper",
    "kmeans_vs_gmm",
    "load_dataset",
    "resolve_mode",
    "responsibilities",
    "sampling",
]
