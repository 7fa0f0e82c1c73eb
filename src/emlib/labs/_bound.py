"""Lab 7a, bound: chapter 7's picture, live. log p(X | theta) along a one-dimensional slice
of theta, with the ELBO of the current q as a lower bound that touches it after an E-step.
"""

from __future__ import annotations

import math

import numpy as np

from .. import core as em
from ..plotting import OKABE_ITO, style_axes
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import params_json

#: The slice of chapter 7 (Old Faithful's eruption durations, 1-D): two spherical
#: components with these weights and variances; component 2's mean stays at 4.3 minutes and
#: only the mean mu_1 of component 1 moves.
SLICE_WEIGHTS = (0.35, 0.65)
SLICE_VARIANCES = (0.5, 0.5)
SLICE_OTHER_MEAN = 4.3

_PHASE = {"E": "E-step", "M": "M-step", "moved": "moved by hand", "start": "start"}


def _check_float(value, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}.") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    return out


class BoundState:
    """State of the bound lab (no widgets): theta_t on a slice, q, and what emlib computes.

    The slice is ``theta(mu_1)``: a two-component spherical mixture of the eruption
    durations of Old Faithful in which only the mean ``mu_1`` of component 1 moves (the
    slice of chapter 7). For the current ``q`` the lab shows ``ell(mu_1) = log p(X |
    theta(mu_1))`` and the bound ``L(q, theta(mu_1)) <= ell(mu_1)`` over ``mu_range``.

    * :meth:`e_step`: ``q`` becomes the posterior at ``theta_t``; the bound touches ``ell``
      there (the KL gap ``ell - L`` is 0).
    * :meth:`m_step`: ``mu_1`` jumps to the top of the bound, ``q`` fixed (emlib's M-step
      for the mean of component 1, ``sum_i q_i1 x_i / sum_i q_i1``; the other parameters
      stay on the slice). There ``ell >= L``, and with a fresh ``q`` ``ell`` never drops.
    * :meth:`move_to`: put ``theta_t`` elsewhere; ``q`` is then stale (a gap shows) until
      the next E-step.

    Parameters
    ----------
    start : float, default 3.4
        The starting ``mu_1`` (minutes), inside ``mu_range``.
    mu_range : (float, float), default (1.0, 4.0)
        The part of the slice drawn (and where ``theta_t`` can be put).
    n_grid : int, default 241
        Points of the curves over ``mu_range``.
    """

    def __init__(
        self,
        *,
        start: float = 3.4,
        mu_range: tuple[float, float] = (1.0, 4.0),
        n_grid: int = 241,
    ) -> None:
        if not isinstance(mu_range, (tuple, list, np.ndarray)) or len(mu_range) != 2:
            raise ValueError(f"mu_range must be two numbers (low, high); got {mu_range!r}.")
        lo, hi = (_check_float(v, "mu_range") for v in mu_range)
        if not lo < hi:
            raise ValueError(f"mu_range must be (low, high) with low < high; got {mu_range!r}.")
        if hi >= SLICE_OTHER_MEAN:
            raise ValueError(
                f"mu_range must lie below component 2's mean ({SLICE_OTHER_MEAN}); got "
                f"{mu_range!r}. (Component 1 is the short eruptions.)"
            )
        if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 11:
            raise ValueError(f"n_grid must be an integer >= 11; got {n_grid!r}.")
        self.mu_range = (lo, hi)
        self.start = self._check_mu(start, "start")
        self.X = em.load_old_faithful().X[:, [0]]
        self.reg_covar = 1e-6
        self.grid = np.linspace(lo, hi, int(n_grid))
        self.ell = np.array([em.log_likelihood(self.X, self.theta_at(m)) for m in self.grid])
        self.reset()

    # ------------------------------------------------------------------ the slice
    def theta_at(self, mu: float) -> em.MixtureParams:
        """The parameters on the slice at ``mu_1 = mu``."""
        return em.MixtureParams(
            SLICE_WEIGHTS, [[mu], [SLICE_OTHER_MEAN]], SLICE_VARIANCES, "spherical"
        )

    def _check_mu(self, mu, name: str = "mu") -> float:
        value = _check_float(mu, name)
        lo, hi = self.mu_range
        if not lo <= value <= hi:
            raise ValueError(f"{name} must lie in the lab's range [{lo}, {hi}]; got {value}.")
        return value

    # -------------------------------------------------------------------- actions
    def reset(self) -> None:
        """Back to the start, with ``q`` the posterior there (the bound touches)."""
        self.mu = self.start
        self.iteration = 0
        self.e_step()
        self.phase = "start"

    def e_step(self) -> None:
        """``q`` <- the posterior at ``theta_t``: the bound touches ``ell`` at ``theta_t``."""
        self.q, _ = em.e_step(self.X, self.theta_at(self.mu))
        self.q_mu = self.mu
        self.bound = np.array([em.elbo(self.X, self.q, self.theta_at(m)) for m in self.grid])
        self.bound_top = float(em.m_step(self.X, self.q, "spherical", self.reg_covar).means[0, 0])
        self.previous = None
        self.phase = "E"

    def m_step(self) -> None:
        """``mu_1`` <- the top of the bound (``q`` fixed): emlib's M-step for ``mu_1``."""
        lo, hi = self.mu_range
        # The top is a q-weighted mean of the durations, below their mean (3.49 min) as
        # component 1 is the left one: inside the default range, maybe not a narrower one.
        if not lo <= self.bound_top <= hi:
            raise ValueError(
                f"the M-step would move mu_1 to {self.bound_top:.4f}, outside the lab's "
                f"range [{lo}, {hi}]; make mu_range wider."
            )
        self.previous = self.mu
        self.mu = self.bound_top
        self.iteration += 1
        self.phase = "M"

    def step(self) -> None:
        """One EM iteration: E-step, then M-step."""
        self.e_step()
        self.m_step()

    def move_to(self, mu: float) -> None:
        """Put ``theta_t`` at ``mu_1 = mu`` (a new start); ``q`` stays as it was."""
        self.mu = self._check_mu(mu)
        self.iteration = 0
        self.previous = None
        self.phase = "moved"

    # ------------------------------------------------------------------ the numbers
    @property
    def params(self) -> em.MixtureParams:
        """``theta_t``."""
        return self.theta_at(self.mu)

    @property
    def log_likelihood(self) -> float:
        """``ell(theta_t) = log p(X | theta_t)``."""
        return em.log_likelihood(self.X, self.params)

    @property
    def elbo(self) -> float:
        """``L(q, theta_t)``."""
        return em.elbo(self.X, self.q, self.params)

    @property
    def gap(self) -> float:
        """``ell(theta_t) - L(q, theta_t)``: the KL gap (0 right after an E-step)."""
        return self.log_likelihood - self.elbo

    def describe(self) -> str:
        ell, low = self.log_likelihood, self.elbo
        text = (
            f"Iteration {self.iteration} ({_PHASE[self.phase]}): mu_1 = {self.mu:.4f}, "
            f"log p(X) = {ell:.4f}, bound L(q, theta_t) = {low:.4f}, "
            f"KL gap = {ell - low:.3g}."
        )
        if self.phase in ("E", "start"):
            text += " The bound touches log p(X) at theta_t."
        elif self.phase == "M":
            text += " The M-step jumped to the top of the bound; log p(X) lies above it."
        else:
            text += f" q is still the posterior at mu_1 = {self.q_mu:.4f}: press E-step."
        return text


class BoundView(LabView):
    """log p(X) along the slice (solid), the bound of q (dashed), theta_t and the gap."""

    figsize = (7.6, 3.1)

    def _build(self, state: BoundState) -> None:
        ax = self.ax = self.fig.subplots()
        self.fig.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.86)
        style_axes(ax)
        ax.set_xlabel("μ₁ (min): the mean of the short eruptions", fontsize=8, labelpad=1)
        ax.set_ylabel("nats", fontsize=8, labelpad=1)
        ax.grid(True, color="#dddddd", linewidth=0.6)
        lo, hi = state.mu_range
        pad = 0.04 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        span = float(state.ell.max() - state.ell.min())
        self.ylim = (float(state.ell.min()) - 0.15 * span, float(state.ell.max()) + 0.12 * span)
        ax.set_ylim(*self.ylim)
        blue, red = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
        ax.plot(state.grid, state.ell, color="black", lw=1.8, label="log p(X | θ)")
        (self.bound,) = ax.plot([], [], "--", color=blue, lw=1.6, label="bound L(q, θ)")
        (self.jump,) = ax.plot([], [], ":", color=red, lw=1.4, label="M-step")
        (self.gap,) = ax.plot([], [], color=red, lw=2.2, label="KL gap")
        (self.top,) = ax.plot(
            [], [], "^", color=blue, mfc="white", ms=7, ls="none", label="top of the bound"
        )
        (self.low,) = ax.plot([], [], "s", color=blue, mfc="white", ms=5.5, ls="none")
        (self.point,) = ax.plot([], [], "o", color=blue, ms=7, ls="none", label=r"$\theta_t$")
        ax.legend(fontsize=7, loc="lower center", ncol=2, frameon=False)
        self.note = ax.text(0, 1.03, "", transform=ax.transAxes, fontsize=8, va="bottom")
        self.renderer.add_animated(
            self.bound, self.jump, self.gap, self.top, self.low, self.point, self.note
        )

    def _visible(self, y: float) -> float:
        return y if y >= self.ylim[0] else np.nan

    def update(self, state: BoundState) -> None:
        bottom = self.ylim[0]
        self.bound.set_data(state.grid, np.where(state.bound >= bottom, state.bound, np.nan))
        ell, low = state.log_likelihood, state.elbo
        top_value = em.elbo(state.X, state.q, state.theta_at(state.bound_top))
        lo, hi = state.mu_range
        inside = lo <= state.bound_top <= hi
        self.top.set_data([state.bound_top if inside else np.nan], [self._visible(top_value)])
        self.point.set_data([state.mu], [ell])
        self.low.set_data([state.mu], [self._visible(low)])
        self.gap.set_data([state.mu, state.mu], [ell, max(low, bottom)])
        if state.previous is None:
            self.jump.set_data([], [])
        else:
            before = em.log_likelihood(state.X, state.theta_at(state.previous))
            self.jump.set_data([state.previous, state.mu], [before, max(low, bottom)])
        self.note.set_text(
            f"iteration {state.iteration} ({_PHASE[state.phase]}): μ₁ = {state.mu:.3f}, "
            f"log p = {ell:.2f}, L(q, θ_t) = {low:.2f}, gap = {ell - low:.3g}"
        )


def web_config(state: BoundState) -> dict:
    """What the website's bound lab starts from (plain JSON, from emlib): the durations
    ``X`` (N x 1), the slice (``theta`` at the start; ``component`` 0's mean moves), the
    start, the range, the grid size and ``reg_covar`` of the M-step."""
    return {
        "X": state.X.tolist(),
        "theta": params_json(state.theta_at(state.start)),
        "component": 0,
        "start": state.start,
        "mu_range": list(state.mu_range),
        "n_grid": len(state.grid),
        "reg_covar": state.reg_covar,
    }


def draw_bound(state: BoundState):
    """The bound figure for ``state``."""
    return draw_state(BoundView, state)


_ALT = (
    "log p(X | theta) of Old Faithful's eruption durations as a black concave curve against "
    "the mean mu_1 of the short eruptions (1 to 4 minutes). A dashed blue curve, the bound "
    "L(q, theta) of the current q, lies below it and touches it at theta_t (a blue dot); a "
    "hollow triangle marks the top of the bound, where the M-step moves mu_1."
)


def bound(*, start: float = 3.4, mode: str | None = None):
    """The bound lab: chapter 7's picture, live. Step E and M along a slice of theta and
    watch the bound ``L(q, theta)`` touch ``log p(X | theta)`` (E-step) and the jump to its
    top (M-step); move ``theta_t`` to start elsewhere.

    Parameters
    ----------
    start : float, default 3.4
        The starting ``mu_1``; see :class:`BoundState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = BoundState(start=start)
    title = "The bound that makes the proof click: E-step touches, M-step climbs"
    if resolve_mode(mode) == "static":
        return web_lab(BoundView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button, slider

    lo, hi = state.mu_range
    controls = {
        "mu": slider("μ₁", state.mu, lo, hi, 0.01, width="260px", readout_format=".3f"),
        "e_step": button("E-step", "q = posterior at theta_t: the bound touches"),
        "m_step": button("M-step", "mu_1 = the top of the bound, q fixed"),
        "step": button("Step", "E-step then M-step"),
        "reset": button("Reset", "Back to the start"),
    }

    def sync(lab) -> None:
        lab.set_value("mu", float(lab.state.mu))

    lab = LabWidget(
        state,
        BoundView,
        title=title,
        controls=controls,
        rows=[["mu", "e_step", "m_step", "step", "reset"]],
        sync=sync,
    )
    lab.on_value("mu", state.move_to)
    lab.on_click("e_step", state.e_step)
    lab.on_click("m_step", state.m_step)
    lab.on_click("step", state.step)
    lab.on_click("reset", state.reset)
    return lab
