"""Lab 7, convergence: log p(X), the ELBO and the KL gap across E and M half-steps."""

from __future__ import annotations

import numpy as np

from ..plotting import blend_colors
from ._em import (
    EMRun,
    RunState,
    check_n_components,
    initial_means,
    initial_params,
    load_dataset,
    web_starts,
)
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import CurvePanel, MixturePanel, data_key, params_json

_KIND = {"init": "start", "E": "E-step", "M": "M-step"}


class ConvergenceState(RunState):
    """State of the convergence lab (no widgets).

    After every half-step it logs ``log p(X)``, ``ELBO(q, theta)`` and
    ``KL(q || p(z | x))`` for the current responsibilities ``q`` and parameters ``theta``
    (from :func:`emlib.elbo_decomposition`), where ``log p(X) = ELBO + KL``.

    * The E-step sets ``q`` to the posterior: KL becomes 0, the ELBO touches ``log p(X)``.
    * The M-step raises the ELBO with ``q`` fixed; ``log p(X)`` rises at least as much, and
      a gap (KL > 0) opens until the next E-step.

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "overlapping"
    n_components : int, default 3
    seed : int, default 3
        Seed of the starting means (K random data points).
    covariance_type : str, default "full"
    """

    def __init__(
        self,
        data="overlapping",
        *,
        n_components: int = 3,
        seed: int = 3,
        covariance_type: str = "full",
        n_samples: int = 300,
        data_seed: int = 0,
    ) -> None:
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self.X = np.asarray(self.dataset.X)
        k = check_n_components(n_components, len(self.X))
        self.seed, self.covariance_type = int(seed), covariance_type
        start = initial_params(self.X, initial_means(self.X, k, "random", seed), covariance_type)
        self.run = EMRun(self.X, start, track_elbo=True)

    @property
    def history(self):
        """The logged half-steps (``emlib.labs.HalfStep``: kind, iteration,
        log_likelihood, elbo, kl)."""
        return self.run.history

    def e_step(self) -> None:
        self.run.e_step()

    def m_step(self) -> None:
        self.run.m_step()

    def step(self) -> None:
        self.run.step()

    def reset(self) -> None:
        self.run.reset()

    def describe(self) -> str:
        h = self.history[-1]
        text = f"Half-step {len(self.history) - 1} ({_KIND[h.kind]}, iteration {h.iteration}): "
        text += f"log p(X) = {h.log_likelihood:.2f}"
        if h.elbo is None:
            return text + "; no q yet, so no ELBO (do an E-step)."
        text += f", ELBO = {h.elbo:.2f}, KL = {h.kl:.4f}."
        if h.kind == "E":
            text += " After the E-step the gap is closed: KL = 0."
        else:
            text += " The M-step raised the ELBO; log p(X) rose at least as much, opening a gap."
        return text


class ConvergenceView(LabView):
    """Left: the fit; middle: log p(X) and the ELBO per half-step; right: the KL gap."""

    figsize = (8.4, 3.0)

    @staticmethod
    def structure_key(state):
        return (data_key(state.X), state.run.params.n_components)

    def _build(self, state) -> None:
        ax_data, ax_ll, ax_kl = self.fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.0, 1.25, 0.9]}
        )
        self.fig.subplots_adjust(left=0.055, right=0.98, bottom=0.16, top=0.86, wspace=0.38)
        self.data = MixturePanel(
            ax_data,
            self.renderer,
            state.X,
            state.run.params.n_components,
            point_size=5,
            feature_names=state.dataset.feature_names,
        )
        self.curve = CurvePanel(
            ax_ll,
            self.renderer,
            xlabel="half-step",
            ylabel="",
            styles=[
                dict(color="black", marker="o", markersize=3, lw=1.3, label="log p(X)"),
                dict(color="#0072B2", marker="v", markersize=4, lw=1.0, ls="--", label="ELBO"),
            ],
            legend=True,
        )
        self.note = ax_ll.text(0, 1.02, "", transform=ax_ll.transAxes, fontsize=8, va="bottom")
        self.kl_axis = CurvePanel(
            ax_kl,
            self.renderer,
            xlabel="half-step",
            ylabel="",
            styles=[
                dict(color="#D55E00", lw=1.6),  # stems, one per half-step
                dict(color="#D55E00", marker="o", markersize=3.5, ls="none"),
            ],
        )
        ax_kl.text(
            0, 1.02, "KL gap = log p(X) - ELBO", transform=ax_kl.transAxes, fontsize=8, va="bottom"
        )
        self.renderer.add_animated(self.note)

    def update(self, state) -> None:
        hist = state.history
        steps = np.arange(len(hist))
        ll = np.array([h.log_likelihood for h in hist])
        elbo = np.array([np.nan if h.elbo is None else h.elbo for h in hist])
        kl = np.array([np.nan if h.kl is None else h.kl for h in hist])
        self.curve.set_data(0, steps, ll)
        self.curve.set_data(1, steps, elbo)
        self.curve.rescale()
        kl = np.clip(kl, 0, None)
        stems_x = np.repeat(steps, 3).astype(float)
        stems_y = np.column_stack([np.zeros_like(kl), kl, np.full_like(kl, np.nan)]).ravel()
        stems_x[2::3] = np.nan
        self.kl_axis.set_data(0, stems_x, stems_y)
        self.kl_axis.set_data(1, steps, kl)
        self.kl_axis.rescale()
        run = state.run
        colors = None if run.resp is None else blend_colors(run.resp)
        self.data.update(run.params, colors, title=f"{_KIND[run.phase]}, iteration {run.iteration}")
        self.note.set_text(f"log p(X) = {ll[-1]:.2f}")


def web_config(state: ConvergenceState) -> dict:
    """What the website's convergence lab starts from (plain JSON, from emlib): the data, the
    starting parameters of the notebook cell, ``reg_covar``, and the starting rows of ``X``
    for seeds ``0 .. 19`` (K random data points, as :func:`initial_means` draws them), so
    that "Restart" gives other starts."""
    run = state.run
    k = run.start.n_components
    return {
        "X": state.X.tolist(),
        "feature_names": list(state.dataset.feature_names),
        "dataset_name": state.dataset.name,
        "start": params_json(run.start),
        "n_components": k,
        "covariance_type": run.covariance_type,
        "seed": state.seed,
        "starts": web_starts(state.X, k)["random"][str(k)],
        "reg_covar": run.reg_covar,
    }


def draw_convergence(state: ConvergenceState):
    """The convergence figure for ``state``."""
    return draw_state(ConvergenceView, state)


_ALT = (
    "Three panels. Left: the data coloured by responsibilities with the current ellipses. "
    "Middle: log p(X) (black circles) and the ELBO (blue triangles, dashed) after every E "
    "and M half-step; both rise, and they meet after every E-step. Right: the KL gap, "
    "log p(X) minus the ELBO, which is 0 after every E-step and positive after every M-step."
)


def convergence(
    data="overlapping", *, n_components: int = 3, seed: int = 3, mode: str | None = None
):
    """The convergence lab: step E and M and watch ``log p(X)``, the ELBO and the KL gap
    ``log p(X) - ELBO`` across half-steps.

    Parameters
    ----------
    data, n_components, seed
        See :class:`ConvergenceState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = ConvergenceState(data, n_components=n_components, seed=seed)
    title = "Convergence: log-likelihood, ELBO and KL gap"
    if resolve_mode(mode) == "static":
        return web_lab(ConvergenceView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button

    controls = {
        "e_step": button("E-step", "q = posterior: closes the gap"),
        "m_step": button("M-step", "Maximise the ELBO over the parameters"),
        "step": button("E + M"),
        "reset": button("Reset"),
    }

    def sync(lab) -> None:
        lab.controls["m_step"].disabled = lab.state.phase != "E"
        lab.controls["e_step"].disabled = lab.state.phase == "E"

    lab = LabWidget(
        state,
        ConvergenceView,
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
