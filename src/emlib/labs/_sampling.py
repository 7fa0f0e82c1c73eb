"""Lab 2, sampling: draw from a 3-component 1-D mixture; counts approach the weights."""

from __future__ import annotations

import numpy as np

from .. import MixtureParams, component_log_densities, sample_mixture
from ..plotting import component_colors, style_axes
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import params_json

SAMPLING_MEANS = (-2.5, 0.5, 3.0)
SAMPLING_STDS = (0.8, 1.0, 0.6)
GRID = np.linspace(-6.0, 6.5, 300)
BINS = np.linspace(-6.0, 6.5, 51)
MAX_SAMPLES = 200_000


class SamplingState:
    """State of the sampling lab (no widgets).

    A 1-D mixture of three Gaussians with fixed means and standard deviations; the
    reader sets the weights ``pi_k`` and draws samples with :func:`emlib.sample_mixture`
    (pick ``z ~ Categorical(pi)``, then ``x ~ N(mu_z, sigma_z^2)``).

    Parameters
    ----------
    weights : sequence of 3 floats, default (0.5, 0.3, 0.2)
        Relative weights (normalised to sum to 1).
    seed : int, default 0

    Attributes
    ----------
    weights : numpy.ndarray of shape (3,)
        ``pi_k``, summing to 1.
    raw_weights : numpy.ndarray of shape (3,)
        The relative weights as given (what the sliders show).
    x, z : numpy.ndarray
        The samples drawn so far and their components.
    """

    def __init__(self, weights=(0.5, 0.3, 0.2), *, seed: int = 0) -> None:
        self.means = np.array(SAMPLING_MEANS)
        self.stds = np.array(SAMPLING_STDS)
        self.seed = int(seed)
        self.set_weights(weights)

    @staticmethod
    def _normalise(weights) -> np.ndarray:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (3,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"weights must be 3 non-negative numbers, not all zero; got {weights!r}."
            )
        return w / w.sum()

    @property
    def params(self) -> MixtureParams:
        """The mixture as ``emlib.MixtureParams`` (1-D, spherical)."""
        return MixtureParams(self.weights, self.means[:, None], self.stds**2, "spherical")

    def set_weights(self, weights) -> None:
        """New relative weights (normalised to ``pi_k``); the samples drawn so far are
        discarded, because they came from the old mixture."""
        self.weights = self._normalise(weights)
        self.raw_weights = np.asarray(weights, dtype=np.float64).copy()
        self.reset()

    def set_weight(self, k: int, value: float) -> None:
        """Change the relative weight of component ``k`` (0-based); the others keep theirs."""
        raw = self.raw_weights.copy()
        raw[int(k)] = value
        self.set_weights(raw)

    def reset(self) -> None:
        """Forget the samples (and restart the random stream)."""
        self.rng = np.random.default_rng(self.seed)
        self.x = np.empty(0)
        self.z = np.empty(0, dtype=int)

    def draw(self, n_samples: int) -> None:
        """Draw ``n_samples`` more samples.

        Raises
        ------
        ValueError
            If ``n_samples`` is not a positive integer, or the total would exceed 200 000.
        """
        if isinstance(n_samples, bool) or int(n_samples) != n_samples or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
        if len(self.x) + n_samples > MAX_SAMPLES:
            raise ValueError(f"at most {MAX_SAMPLES} samples; press Reset to start again.")
        X, z = sample_mixture(self.params, int(n_samples), random_state=self.rng)
        self.x = np.concatenate([self.x, X[:, 0]])
        self.z = np.concatenate([self.z, z])

    @property
    def n_samples(self) -> int:
        return len(self.x)

    @property
    def counts(self) -> np.ndarray:
        """``N_k``: how many samples came from each component."""
        return np.bincount(self.z, minlength=3)

    def component_densities(self, grid=GRID) -> np.ndarray:
        """``pi_k N(x | mu_k, sigma_k^2)`` on a grid, shape (len(grid), 3)."""
        return self.weights * np.exp(
            component_log_densities(np.asarray(grid)[:, None], self.params)
        )

    def describe(self) -> str:
        weights = ", ".join(f"pi_{k + 1} = {w:.2f}" for k, w in enumerate(self.weights))
        if not self.n_samples:
            return f"Weights {weights}. No samples yet."
        fractions = ", ".join(
            f"N_{k + 1}/N = {c / self.n_samples:.2f}" for k, c in enumerate(self.counts)
        )
        return f"Weights {weights}. N = {self.n_samples} samples: {fractions}."


class SamplingView(LabView):
    """Left: histogram of the samples (stacked by component) under the mixture density;
    right: the fraction of samples from each component against its weight."""

    figsize = (7.6, 3.0)

    def _build(self, state) -> None:
        colors = component_colors(3)
        ax, ax_bar = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.86, wspace=0.25)
        style_axes(ax)
        style_axes(ax_bar)
        ax.set_xlim(GRID[0], GRID[-1])
        ax.set_xlabel("x", fontsize=8, labelpad=1)
        ax.set_ylabel("density", fontsize=8, labelpad=1)
        width = BINS[1] - BINS[0]
        self.hist = [
            ax.bar(
                BINS[:-1],
                np.zeros(len(BINS) - 1),
                width=width,
                align="edge",
                color=c,
                alpha=0.55,
                linewidth=0,
            ).patches
            for c in colors
        ]
        self.components = [ax.plot(GRID, 0 * GRID, color=c, lw=1.4, ls="--")[0] for c in colors]
        (self.mixture,) = ax.plot(GRID, 0 * GRID, color="black", lw=1.8)
        ax.plot([], [], color="black", lw=1.8, label="p(x)")
        ax.plot(
            [], [], color="#555555", lw=1.4, ls="--", label=r"$\pi_k\,N(x \mid \mu_k, \sigma_k^2)$"
        )
        ax.legend(fontsize=7, loc="upper right", frameon=False)
        self.title = ax.text(0, 1.02, "", transform=ax.transAxes, fontsize=8.5, va="bottom")
        self.ax = ax
        self.renderer.add_animated(
            *(p for bars in self.hist for p in bars), *self.components, self.mixture, self.title
        )
        ax_bar.set_title(r"$N_k / N$ (bars) and $\pi_k$ (black lines)", fontsize=8.5, loc="left")
        self.bars = ax_bar.bar(
            range(3), np.zeros(3), color=colors, width=0.6, edgecolor="black", linewidth=0.6
        ).patches
        self.targets = [
            ax_bar.plot([k - 0.42, k + 0.42], [0, 0], color="black", lw=2.2)[0] for k in range(3)
        ]
        self.texts = [
            ax_bar.text(k, 0, "", ha="center", va="bottom", fontsize=7.5) for k in range(3)
        ]
        ax_bar.set_xticks(range(3))
        ax_bar.set_xticklabels([f"k = {k + 1}" for k in range(3)], fontsize=8)
        ax_bar.set_ylim(0, 1.0)
        self.renderer.add_animated(*self.bars, *self.targets, *self.texts)
        self._ymax = None

    def update(self, state) -> None:
        dens = state.component_densities()
        total = dens.sum(axis=1)
        for line, d in zip(self.components, dens.T, strict=True):
            line.set_ydata(d)
        self.mixture.set_ydata(total)
        width = BINS[1] - BINS[0]
        bottom = np.zeros(len(BINS) - 1)
        n = max(state.n_samples, 1)
        for k, bars in enumerate(self.hist):
            heights = np.histogram(state.x[state.z == k], bins=BINS)[0] / (n * width)
            for bar, h, b in zip(bars, heights, bottom, strict=True):
                bar.set_height(h)
                bar.set_y(b)
            bottom = bottom + heights
        top = max(float(total.max()), 0.05)
        # Re-scale (a full redraw) only when the density leaves the axes or shrinks a lot.
        if self._ymax is None or not 0.45 * self._ymax <= top <= 0.95 * self._ymax:
            ymax = 1.3 * top
            self.ax.set_ylim(0, ymax)
            self._ymax = ymax
            self.renderer.invalidate()
        fractions = state.counts / n
        for k in range(3):
            self.bars[k].set_height(fractions[k])
            self.targets[k].set_ydata([state.weights[k]] * 2)
            self.texts[k].set_position((k, max(fractions[k], state.weights[k]) + 0.02))
            self.texts[k].set_text(f"{fractions[k]:.2f} / {state.weights[k]:.2f}")
        self.title.set_text(f"N = {state.n_samples} samples")


#: Batch sizes the website's count slider offers.
WEB_COUNTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)


def web_config(state: SamplingState) -> dict:
    """What the website's live lab needs (plain JSON): the mixture (1-D, spherical), the
    reader's relative weights, the seed of the browser's sampler, the grid and bins."""
    return {
        "params": params_json(state.params),
        "raw_weights": state.raw_weights.tolist(),
        "seed": state.seed,
        "grid": [float(GRID[0]), float(GRID[-1]), len(GRID)],
        "bins": [float(BINS[0]), float(BINS[-1]), len(BINS) - 1],
        "counts": list(WEB_COUNTS),
        "max_samples": MAX_SAMPLES,
    }


def draw_sampling(state: SamplingState):
    """The sampling figure for ``state``."""
    return draw_state(SamplingView, state)


_ALT = (
    "Left: a histogram of the samples drawn so far, stacked by the component each came "
    "from, under the mixture density p(x) (black) and the three weighted component "
    "densities (dashed). Right: for each component, a bar with the fraction of samples "
    "N_k / N and a black line at its weight pi_k."
)


def sampling(weights=(0.5, 0.3, 0.2), *, seed: int = 0, mode: str | None = None):
    """The sampling lab: draw points from a 3-component mixture and watch the fractions
    ``N_k / N`` approach the weights ``pi_k``; change the weights and the density changes.

    Parameters
    ----------
    weights : sequence of 3 floats, default (0.5, 0.3, 0.2)
    seed : int, default 0
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = SamplingState(weights, seed=seed)
    title = "Sampling from a mixture"
    if resolve_mode(mode) == "static":
        return web_lab(SamplingView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button, slider

    controls = {
        **{
            f"w{k}": slider(
                f"relative weight {k + 1}",
                float(state.raw_weights[k]),
                0.0,
                1.0,
                0.01,
                width="420px",
            )
            for k in range(3)
        },
        "draw1": button("Draw 1"),
        "draw10": button("Draw 10"),
        "draw100": button("Draw 100"),
        "draw1000": button("Draw 1000"),
        "reset": button("Reset", "Forget the samples"),
    }

    def sync(lab) -> None:
        for k in range(3):
            lab.set_value(f"w{k}", float(lab.state.raw_weights[k]))

    lab = LabWidget(
        state,
        SamplingView,
        title=title,
        controls=controls,
        rows=[["w0"], ["w1"], ["w2"], ["draw1", "draw10", "draw100", "draw1000", "reset"]],
        sync=sync,
    )
    for k in range(3):
        lab.on_value(f"w{k}", lambda v, k=k: state.set_weight(k, v))
    for n in (1, 10, 100, 1000):
        lab.on_click(f"draw{n}", lambda n=n: state.draw(n))
    lab.on_click("reset", state.reset)
    return lab
