"""Lab 8, break it: too many components and no regularisation make a component collapse."""

from __future__ import annotations

import numpy as np

from .. import CovarianceError
from ..plotting import blend_colors
from ._em import (
    EMRun,
    RunState,
    check_covariance_type,
    check_n_components,
    initial_means,
    initial_params,
    load_dataset,
    web_starts,
)
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import CurvePanel, MixturePanel, data_key

REG_CHOICES = (0.0, 1e-6, 1e-3, 1e-2, 1e-1)


def smallest_variances(params) -> np.ndarray:
    """The smallest eigenvalue of each ``Sigma_k`` (its variance along its thinnest axis)."""
    return np.linalg.eigvalsh(params.full_covariances())[:, 0]


def _check_reg(reg_covar) -> float:
    reg = float(reg_covar)
    if not np.isfinite(reg) or reg < 0:
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    return reg


class BreakItState(RunState):
    """State of the break-it lab (no widgets).

    With few samples, many components and ``reg_covar = 0``, EM lets a component shrink
    onto a single point (or a line): its variance goes to 0, its density at that point to
    infinity, and ``log p(X)`` runs away, until the covariance is singular and
    :func:`emlib.m_step` fails. ``reg_covar > 0`` adds a floor to every variance and brings
    EM back.

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "blobs"
    n_components : int, default 8
    reg_covar : float, default 0.0
    seed : int, default 0
        Seed of the starting means (K random data points).
    covariance_type : str, default "full"
    n_samples : int, default 40
        Size of a generated data set (small on purpose).

    Attributes
    ----------
    run : EMRun
    collapsed : str or None
        emlib's error message once a covariance became singular.
    min_variance : list of float
        The smallest variance of any component after each iteration.
    """

    def __init__(
        self,
        data="blobs",
        *,
        n_components: int = 8,
        reg_covar: float = 0.0,
        seed: int = 0,
        covariance_type: str = "full",
        n_samples: int = 40,
        data_seed: int = 0,
    ) -> None:
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self.X = np.asarray(self.dataset.X)
        self.n_components = check_n_components(n_components, len(self.X))
        self.reg_covar = _check_reg(reg_covar)
        self.covariance_type = check_covariance_type(covariance_type)
        self.seed = int(seed)
        self.reset()

    def reset(self) -> None:
        """Start again from the starting means, with the current K and reg_covar."""
        means = initial_means(self.X, self.n_components, "random", self.seed)
        start = initial_params(self.X, means, self.covariance_type)
        self.run = EMRun(self.X, start, reg_covar=self.reg_covar)
        self.collapsed: str | None = None
        self.min_variance = [float(smallest_variances(start).min())]
        self.reg_history = [(0, self.reg_covar)]

    @property
    def thinnest_component(self) -> int:
        """The component (0-based) with the smallest variance."""
        return int(np.argmin(smallest_variances(self.run.params)))

    def step(self) -> None:
        """One EM iteration. A singular covariance does not raise: it sets
        :attr:`collapsed` (the parameters stay at the last valid ones).

        Raises
        ------
        ValueError
            If EM has already collapsed (raise ``reg_covar`` or reset first).
        """
        if self.collapsed:
            raise ValueError(
                "EM has broken down (a covariance is singular). Raise reg_covar to bring it "
                "back, or press Reset."
            )
        try:
            self.run.step()
        except CovarianceError as err:
            self.collapsed = str(err)
            return
        self.min_variance.append(float(smallest_variances(self.run.params).min()))

    def run_until_collapse(self, max_iter: int = 50) -> None:
        """Step until a component collapses or ``max_iter`` iterations have been done."""
        for _ in range(int(max_iter)):
            if self.collapsed:
                break
            self.step()

    def set_reg_covar(self, reg_covar: float) -> None:
        """Change ``reg_covar`` and continue from the current parameters (this is how it
        "brings EM back" after a collapse)."""
        self.reg_covar = _check_reg(reg_covar)
        self.run.reg_covar = self.reg_covar
        self.collapsed = None
        self.reg_history.append((self.run.iteration, self.reg_covar))

    def set_n_components(self, n_components: int) -> None:
        self.n_components = check_n_components(n_components, len(self.X))
        self.reset()

    def set_seed(self, seed: int) -> None:
        if isinstance(seed, bool) or int(seed) != seed:
            raise ValueError(f"seed must be an integer; got {seed!r}.")
        self.seed = int(seed)
        self.reset()

    def describe(self) -> str:
        k = self.thinnest_component
        text = (
            f"Iteration {self.iteration}, K = {self.n_components}, reg_covar = "
            f"{self.reg_covar:g}: log p(X) = {self.log_likelihood:.2f}; smallest variance "
            f"{self.min_variance[-1]:.2e} (component {k + 1})."
        )
        if self.collapsed:
            text += (
                f" COLLAPSED: component {k + 1} shrank onto a point or a line, its covariance "
                "became singular and log p(X) is unbounded. Raise reg_covar to bring EM back."
            )
        return text


class BreakItView(LabView):
    """Left: the fit; middle: log p(X); right: log10 of the smallest variance."""

    figsize = (8.4, 3.0)

    @staticmethod
    def structure_key(state):
        return (data_key(state.X), state.n_components)

    def _build(self, state) -> None:
        ax_data, ax_ll, ax_var = self.fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.1, 1.0, 1.0]}
        )
        self.fig.subplots_adjust(left=0.055, right=0.98, bottom=0.16, top=0.84, wspace=0.38)
        self.data = MixturePanel(
            ax_data,
            self.renderer,
            state.X,
            state.n_components,
            point_size=14,
            feature_names=state.dataset.feature_names,
        )
        self.ring = ax_data.scatter(
            [0], [0], s=420, facecolors="none", edgecolors="#D55E00", linewidths=2.2
        )
        self.ll = CurvePanel(
            ax_ll,
            self.renderer,
            xlabel="iteration",
            ylabel="",
            styles=[dict(color="black", marker="o", markersize=2.5, lw=1.2)],
        )
        ax_ll.text(0, 1.02, "log p(X)", transform=ax_ll.transAxes, fontsize=8, va="bottom")
        self.var = CurvePanel(
            ax_var,
            self.renderer,
            xlabel="iteration",
            ylabel="",
            styles=[
                dict(color="#D55E00", marker="o", markersize=2.5, lw=1.2),
                dict(color="#555555", lw=1.0, ls="--"),
            ],
            headroom=(0.5, 0.08),  # this curve falls
        )
        ax_var.text(
            0,
            1.02,
            "log10 smallest variance\n(dashed: log10 reg_covar)",
            transform=ax_var.transAxes,
            fontsize=8,
            va="bottom",
        )
        # Bottom right: below the log-likelihood, which climbs (most steeply when it runs
        # away), so the label never sits on the curve.
        self.alarm = ax_ll.text(
            0.97,
            0.04,
            "",
            transform=ax_ll.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
            color="#A04000",
            fontweight="bold",
        )
        self.renderer.add_animated(self.ring, self.alarm)

    def update(self, state) -> None:
        run = state.run
        self.data.update(
            run.params,
            blend_colors(run.display_resp()),
            title=f"iteration {run.iteration}, reg_covar = {state.reg_covar:g}",
        )
        its = np.arange(len(run.loglik_history))
        self.ll.set_data(0, its, run.loglik_history)
        self.ll.rescale()
        floor = 1e-18
        self.var.set_data(0, its, np.log10(np.maximum(state.min_variance, floor)))
        regs = [np.nan if r <= 0 else r for _, r in state.reg_history]
        starts = [i for i, _ in state.reg_history]
        xs, ys = [], []
        for j, (i0, reg) in enumerate(zip(starts, regs, strict=True)):
            i1 = starts[j + 1] if j + 1 < len(starts) else max(run.iteration, i0 + 1)
            xs += [i0, i1]
            ys += [np.log10(reg)] * 2
        self.var.set_data(1, xs, ys)
        self.var.rescale()
        k = state.thinnest_component
        self.ring.set_offsets(run.params.means[k][None])
        self.ring.set_visible(bool(state.collapsed))
        self.alarm.set_text("collapsed:\nlog p(X) -> +infinity" if state.collapsed else "")


#: The stops of the website's reg_covar slider: exactly 0, then 1e-12 to 1e-1 in steps of
#: 1, 3, 10, ... (a log scale).
WEB_REG_STOPS = (
    0.0,
    *(float(f"{m}e{e}") for e in range(-12, 0) for m in (1, 3) if not (e == -1 and m == 3)),
)


def web_config(state: BreakItState) -> dict:
    """What the website's break-it lab starts from (plain JSON, from emlib): the small data
    set, K, reg_covar, the covariance type, the seed, the starting rows of ``X`` for seeds
    ``0 .. 19`` and ``K = 1 .. 8`` (K random data points, as :func:`initial_means` draws
    them), and the stops of the log-scaled reg_covar slider (with an exact 0)."""
    stops = sorted(set(WEB_REG_STOPS) | {state.reg_covar})
    return {
        "X": state.X.tolist(),
        "feature_names": list(state.dataset.feature_names),
        "dataset_name": state.dataset.name,
        "n_components": state.n_components,
        "reg_covar": state.reg_covar,
        "reg_stops": stops,
        "covariance_type": state.covariance_type,
        "seed": state.seed,
        "starts": web_starts(state.X, 8)["random"],
        "max_iter": 50,
    }


def draw_break_it(state: BreakItState):
    """The break-it figure for ``state``."""
    return draw_state(BreakItView, state)


_ALT = (
    "Three panels. Left: a small data set with many fitted Gaussian ellipses; when a "
    "component collapses, a red ring marks it. Middle: the log-likelihood log p(X) per "
    "iteration, which climbs ever faster while a component shrinks. Right: log10 of the "
    "smallest variance of any component, which plunges towards minus infinity without "
    "regularisation and stays above the dashed reg_covar line once reg_covar is raised."
)


def break_it(
    data="blobs",
    *,
    n_components: int = 8,
    reg_covar: float = 0.0,
    seed: int = 0,
    mode: str | None = None,
):
    """The break-it lab: use too many components and ``reg_covar = 0`` until a component
    collapses onto a point and the likelihood runs away; raise ``reg_covar`` to bring EM
    back.

    Parameters
    ----------
    data, n_components, reg_covar, seed
        See :class:`BreakItState` (40 samples by default).
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = BreakItState(data, n_components=n_components, reg_covar=reg_covar, seed=seed)
    title = "Break it: collapse and regularisation"
    if resolve_mode(mode) == "static":
        return web_lab(BreakItView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button, dropdown, int_text, slider

    reg_options = [("0 (none)", 0.0)] + [(f"{r:g}", r) for r in REG_CHOICES[1:]]
    if state.reg_covar not in REG_CHOICES:
        reg_options.append((f"{state.reg_covar:g}", state.reg_covar))
    controls = {
        "n_components": slider("K", state.n_components, 1, 8, 1, integer=True, width="200px"),
        "reg_covar": dropdown("reg_covar", reg_options, state.reg_covar, width="180px"),
        "seed": int_text("seed", state.seed, width="120px"),
        "step": button("Step"),
        "run": button("Run until it breaks", "Up to 50 iterations"),
        "reset": button("Reset"),
    }
    lab = LabWidget(
        state,
        BreakItView,
        title=title,
        controls=controls,
        rows=[["n_components", "reg_covar", "seed"], ["step", "run", "reset"]],
    )
    lab.on_value("n_components", state.set_n_components)
    lab.on_value("reg_covar", state.set_reg_covar)
    lab.on_value("seed", state.set_seed)
    lab.on_click("step", state.step)
    lab.on_click("run", state.run_until_collapse)
    lab.on_click("reset", state.reset)
    return lab
