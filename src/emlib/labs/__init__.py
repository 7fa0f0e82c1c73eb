"""Interactive labs for the course, live in Jupyter and Colab, and live on the website.

Each lab is one call that a chapter puts as the last line of a cell::

    from emlib import labs
    labs.em_stepper()

In Jupyter, JupyterLab, VS Code or Colab this returns a live widget (core ipywidgets only;
works on ipywidgets 7.7.1 and 8.x). When the book is built with the environment variable
``EMLIB_LAB_MODE=static``, the same call returns a :class:`WebLab`: the lab's starting point
computed by emlib (data, parameters, seeds, options) as JSON, and a still image of its first
state with alt text and a note. On the website, ``site/labs/main.js`` turns it into the live
lab, which runs in the reader's browser (offline, on a phone too) with ``site/labs/emmath.js``,
the browser's copy of emlib's EM maths, held to emlib to 1e-10 by ``tests/test_js_parity.py``.
``mode="live"`` or ``mode="static"`` forces either.

The website labs' contract, for readers, tests and other pages:

* the lab's root element carries ``data-emlib-lab="<name>"`` (a key of :data:`LABS`); once
  mounted it has ``data-emlib-ready="true"`` and ``element.emlibLab``;
* ``element.emlibLab.state()`` returns plain JSON with at least ``lab``; labs that show a
  mixture give ``params`` = ``{weights, means, covariances, covariance_type}`` in emlib's
  shapes (``emlib.MixtureParams(**state["params"])`` rebuilds it); labs with data give ``X``
  and ``reg_covar``; EM labs ``iteration`` and ``log_likelihood`` (the total ``log p(X)``);
  point labs ``point`` ``[x, y]`` and ``responsibilities`` (K numbers);
* everything draggable carries ``data-emlib-handle`` (e.g. ``"point"``, ``"mean-0"``), is a
  Pointer Events target (mouse, pen, touch; dragging does not scroll the page) and moves with
  the arrow keys when focused (Shift: larger steps);
* buttons are ``<button>`` elements named by their visible text ("E-step", "M-step", "Step",
  "Run", "Pause", "Reset", "Sample", ...); each lab has one ARIA live region that says what
  changed in words.

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
:func:`bound`               steps E and M along a slice of theta (chapter 7's picture):
                            the bound L(q, theta) touches log p(X) after an E-step, the
                            M-step jumps to its top; drags theta_t to start elsewhere
:func:`convergence`         follows log p(X), the ELBO and the KL gap per half-step
:func:`break_it`            makes a component collapse, then repairs it with reg_covar
:func:`choosing_k`          reads BIC and AIC against K beside the fits
:func:`two_coins`           picks a start (theta_A, theta_B) on the log-likelihood map of
                            the two-coins data (chapter 9); steps or runs EM along it
==========================  ========================================================

Every lab keeps its logic in a state class (e.g. :class:`EMStepperState`) and its drawing
in a ``draw_...(state) -> Figure`` function, so both can be used and tested without a
kernel; the widget is a thin wrapper that calls the state's methods. All the EM maths is
emlib's own (:func:`emlib.e_step`, :func:`emlib.m_step`, ...).
"""

from ._border_point import BorderPointState, border_point, draw_border_point
from ._bound import BoundState, bound, draw_bound
from ._break_it import BreakItState, break_it, draw_break_it
from ._choosing_k import ChoosingKState, choosing_k, draw_choosing_k
from ._convergence import ConvergenceState, convergence, draw_convergence
from ._em import DATASETS, EMRun, HalfStep, load_dataset
from ._em_lab import EMLabState, draw_em_lab, em_lab
from ._em_stepper import EMStepperState, draw_em_stepper, em_stepper
from ._framework import MODE_ENV, resolve_mode, web_lab
from ._kmeans_vs_gmm import KMeansVsGMMState, draw_kmeans_vs_gmm, kmeans_vs_gmm
from ._responsibilities import ResponsibilitiesState, draw_responsibilities, responsibilities
from ._sampling import SamplingState, draw_sampling, sampling
from ._two_coins import TwoCoinsState, draw_two_coins, two_coins
from ._web import MAX_WEB_BYTES, WebLab

#: The labs, in course order: public name -> the function that makes it.
LABS = {
    "border_point": border_point,
    "sampling": sampling,
    "responsibilities": responsibilities,
    "em_stepper": em_stepper,
    "em_lab": em_lab,
    "kmeans_vs_gmm": kmeans_vs_gmm,
    "bound": bound,
    "convergence": convergence,
    "break_it": break_it,
    "choosing_k": choosing_k,
    "two_coins": two_coins,
}

__all__ = [
    "DATASETS",
    "LABS",
    "MAX_WEB_BYTES",
    "MODE_ENV",
    "BorderPointState",
    "BoundState",
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
    "TwoCoinsState",
    "WebLab",
    "border_point",
    "bound",
    "break_it",
    "choosing_k",
    "convergence",
    "draw_border_point",
    "draw_bound",
    "draw_break_it",
    "draw_choosing_k",
    "draw_convergence",
    "draw_em_lab",
    "draw_em_stepper",
    "draw_kmeans_vs_gmm",
    "draw_responsibilities",
    "draw_sampling",
    "draw_two_coins",
    "em_lab",
    "em_stepper",
    "kmeans_vs_gmm",
    "load_dataset",
    "resolve_mode",
    "responsibilities",
    "sampling",
    "two_coins",
    "web_lab",
]
