"""Lab 4, the E/M stepper: press E-step and M-step and watch colours and ellipses move."""

from __future__ import annotations

import numpy as np

from ..plotting import blend_colors, style_axes
from ._em import (
    EMRun,
    RunState,
    check_covariance_type,
    check_n_components,
    initial_means,
    initial_params,
    load_dataset,
)
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import CurvePanel, MixturePanel, data_key, data_limits, params_json

_PHASE = {"init": "start (no E-step yet)", "E": "after the E-step", "M": "after the M-step"}

#: The views of the stepper: ``"em"`` (chapter 2, both half-steps) and ``"m_step"``
#: (chapter 4: what the M-step recomputes, before and after).
FOCUSES = ("em", "m_step")


def check_focus(focus: str) -> str:
    """``focus`` if it names a view of the stepper, else a ValueError saying which do."""
    if focus not in FOCUSES:
        raise ValueError(
            f"focus must be one of {FOCUSES}; got {focus!r}. Use 'em' for the E/M stepper, "
            "'m_step' for the view of what the M-step recomputes."
        )
    return focus


class EMStepperState(RunState):
    """State of the E/M stepper (no widgets).

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "overlapping"
        A data set name (``"blobs"``, ``"elongated"``, ``"overlapping"``,
        ``"old_faithful"``), a Dataset or the samples.
    n_components : int, default 3
        ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    init : {"random", "k-means++"}, default "random"
        How the starting means are drawn (ignored when ``means_init`` is given).
    seed : int, default 2
        Seed of the starting means.
    means_init : array_like of shape (K, 2), optional
        Starting means chosen by hand.
    reg_covar : float, default 1e-6
    n_samples, data_seed : int
        Size and seed of a generated data set.
    focus : {"em", "m_step"}, default "em"
        Which view the lab shows: both half-steps (chapter 2) or, on the website, what the
        M-step recomputes (chapter 4). The state behaves the same either way.

    Attributes
    ----------
    dataset : emlib.Dataset
    X : numpy.ndarray
    run : EMRun
        The EM log (``params``, ``resp``, ``iteration``, ``phase``, ``history``).
    """

    def __init__(
        self,
        data="overlapping",
        *,
        n_components: int = 3,
        covariance_type: str = "full",
        init: str = "random",
        seed: int = 2,
        means_init=None,
        reg_covar: float = 1e-6,
        n_samples: int = 300,
        data_seed: int = 0,
        focus: str = "em",
    ) -> None:
        self.focus = check_focus(focus)
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self.X = np.asarray(self.dataset.X)
        k = check_n_components(n_components, len(self.X))
        covariance_type = check_covariance_type(covariance_type)
        means = initial_means(self.X, k, init, seed) if means_init is None else means_init
        self.run = EMRun(
            self.X, initial_params(self.X, means, covariance_type), reg_covar=reg_covar
        )

    # Read-only shortcuts ------------------------------------------------------
    # Actions -----------------------------------------------------------------
    def e_step(self) -> None:
        """Recompute the responsibilities ``gamma_ik`` (the colours)."""
        self.run.e_step()

    def m_step(self) -> None:
        """Re-estimate ``pi_k, mu_k, Sigma_k`` (the ellipses). Needs an E-step first."""
        self.run.m_step()

    def step(self) -> None:
        """One full iteration: E-step then M-step."""
        self.run.step()

    def reset(self) -> None:
        """Back to the starting parameters."""
        self.run.reset()

    def describe(self) -> str:
        """One line for the status bar and captions."""
        return (
            f"Iteration {self.iteration}, {_PHASE[self.phase]}: log p(X) = "
            f"{self.log_likelihood:.2f} (N = {len(self.X)}, K = {self.params.n_components})."
        )


class EMStepperView(LabView):
    """Left: data coloured by responsibilities, ellipses at 2 standard deviations;
    right: ``log p(X)`` against the iteration."""

    @staticmethod
    def structure_key(state):
        return (data_key(state.X), state.params.n_components)

    def _build(self, state) -> None:
        ax_data, ax_ll = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.28)
        self.data = MixturePanel(
            ax_data,
            self.renderer,
            state.X,
            state.params.n_components,
            feature_names=state.dataset.feature_names,
        )
        self.curve = CurvePanel(
            ax_ll,
            self.renderer,
            xlabel="iteration",
            ylabel="log p(X)",
            styles=[
                dict(color="black", marker="o", markersize=3, linewidth=1.2),
                dict(color="#D55E00", marker="o", markersize=7, linestyle="none"),
            ],
        )
        style_axes(ax_ll)
        self.note = ax_ll.text(
            0.0, 1.02, "", transform=ax_ll.transAxes, fontsize=8.5, ha="left", va="bottom"
        )
        self.renderer.add_animated(self.note)

    def update(self, state) -> None:
        run = state.run
        colors = None if run.resp is None else blend_colors(run.resp)
        self.data.update(
            run.params,
            colors,
            title=f"iteration {run.iteration}, {_PHASE[run.phase]}",
        )
        its = np.arange(len(run.loglik_history))
        self.curve.set_data(0, its, run.loglik_history)
        self.curve.set_data(1, [run.iteration], [run.log_likelihood])
        self.curve.rescale()
        self.note.set_text(f"log p(X) = {run.log_likelihood:.2f}")


def web_config(state: EMStepperState) -> dict:
    """What the website's live lab needs (plain JSON): the data, the starting parameters
    (the same seed and start as the notebook's cell), ``reg_covar`` and the view."""
    (x0, x1), (y0, y1) = data_limits(state.X)
    return {
        "X": state.X.tolist(),
        "start": params_json(state.run.start),
        "reg_covar": state.run.reg_covar,
        "dataset": state.dataset.name,
        "feature_names": list(state.dataset.feature_names),
        "focus": state.focus,
        "xlim": [x0, x1],
        "ylim": [y0, y1],
    }


def draw_em_stepper(state: EMStepperState):
    """The stepper's figure for ``state`` (a :class:`matplotlib.figure.Figure`)."""
    return draw_state(EMStepperView, state)


_ALT = (
    "Two panels. Left: a scatter plot of the data; each point is coloured by its "
    "responsibilities gamma_ik (a blend of the component colours, grey before the first "
    "E-step); each component k is an ellipse at 2 standard deviations around its mean "
    "mu_k (a cross). Right: the log-likelihood log p(X) against the iteration number."
)


def em_stepper(
    data="overlapping",
    *,
    n_components: int = 3,
    covariance_type: str = "full",
    init: str = "random",
    seed: int = 2,
    means_init=None,
    reg_covar: float = 1e-6,
    mode: str | None = None,
    focus: str = "em",
):
    """The E/M stepper lab: buttons for E-step, M-step, one iteration, and reset.

    Parameters
    ----------
    data, n_components, covariance_type, init, seed, means_init, reg_covar
        See :class:`EMStepperState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode` (``None``: the ``EMLIB_LAB_MODE`` variable).
    focus : {"em", "m_step"}, default "em"
        ``"m_step"`` (chapter 4): on the website, the view of what the M-step recomputes
        (``N_k``, the weighted means and covariances, the ellipses before and after); in
        Jupyter and Colab the same buttons, titled for the M-step.

    Returns
    -------
    LabWidget or WebLab
        A live widget (with ``.state`` and ``.controls``), or the website's player.
    """
    state = EMStepperState(
        data,
        n_components=n_components,
        covariance_type=covariance_type,
        init=init,
        seed=seed,
        means_init=means_init,
        reg_covar=reg_covar,
        focus=focus,
    )
    title = "E/M stepper" if state.focus == "em" else "E/M stepper: what the M-step recomputes"
    if resolve_mode(mode) == "static":
        return web_lab(EMStepperView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button

    controls = {
        "e_step": button("E-step", "Recompute the responsibilities gamma_ik (colours)"),
        "m_step": button("M-step", "Re-estimate pi_k, mu_k, Sigma_k (ellipses)"),
        "step": button("E + M", "One full iteration"),
        "reset": button("Reset", "Back to the starting parameters"),
    }

    def sync(lab) -> None:
        # The M-step needs responsibilities; both buttons may be pressed twice in a row
        # (chapter 2 asks what a second M-step changes).
        lab.controls["m_step"].disabled = lab.state.resp is None

    lab = LabWidget(
        state,
        EMStepperView,
        title=title,
        controls=controls,
        rows=[["e_step", "m_step", "step", "reset"]],
        sync=sync,
    )
    lab.on_click("e_step", state.e_step)
    lab.on_click("m_step", state.m_step)
    lab.on_click("step", state.step)
    lab.on_click("reset", state.reset)
    return lab
