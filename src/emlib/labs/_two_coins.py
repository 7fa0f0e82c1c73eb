"""Chapter 9's lab, two coins: EM on the log-likelihood map of (theta_A, theta_B).

Five sets of ten tosses (Do and Batzoglou, 2008), each made with coin A or coin B, equally
likely; one probability of heads per coin, shared by its ten tosses (chapter 9's ``tie``).
The reader picks the start ``(theta_A, theta_B)``, presses E-step / M-step / Step / Run and
watches EM climb the map of ``log p(X | theta_A, theta_B)``: to one of two mirror-image
maxima (coin A and coin B swap names), and, from a start on the diagonal
``theta_A = theta_B``, along the diagonal only (the symmetric fixed point, a saddle).

The maths is emlib's: :func:`emlib.bernoulli_e_step`, :func:`emlib.bernoulli_m_step` and
:func:`emlib.bernoulli_log_joint`.
"""

from __future__ import annotations

import numpy as np

from ..core.bernoulli import (
    BernoulliMixtureParams,
    bernoulli_e_step,
    bernoulli_log_joint,
    bernoulli_m_step,
)
from ..plotting import component_colors, style_axes
from ._framework import LabView, draw_state, resolve_mode, web_lab

#: Heads in each set of ten tosses (Do and Batzoglou, 2008).
HEADS = (5, 9, 8, 4, 7)
#: Tosses per set.
N_TOSSES = 10
#: The paper's start (theta_A, theta_B).
START = (0.6, 0.5)
#: The range of theta_A and theta_B on the map and for the start (log 0 stays off the map).
THETA_RANGE = (0.01, 0.99)
#: Run stops when no probability moves by more than this in one iteration ...
RUN_TOL = 1e-8
#: ... or after this many iterations.
RUN_MAX_ITER = 200
#: Points per axis of the log-likelihood map.
MAP_SIZE = 61
_COINS = ("A", "B")
_PHASE = {"init": "start (no E-step yet)", "E": "after the E-step", "M": "after the M-step"}


def coin_data(heads) -> np.ndarray:
    """The tosses as binary rows: set ``i`` is ``heads[i]`` ones then zeros (``N_TOSSES``).

    Raises
    ------
    ValueError
        If ``heads`` is not a non-empty sequence of whole numbers from 0 to ``N_TOSSES``.
    """
    try:
        values = [float(h) for h in heads]
    except (TypeError, ValueError):
        raise ValueError(f"heads must be a sequence of numbers of heads; got {heads!r}.") from None
    if not values:
        raise ValueError("heads must hold at least one set of tosses.")
    for i, h in enumerate(values):
        if not (np.isfinite(h) and h == int(h) and 0 <= h <= N_TOSSES):
            raise ValueError(
                f"set {i + 1} has {h:g} heads; a set of {N_TOSSES} tosses has a whole number "
                f"of heads from 0 to {N_TOSSES}."
            )
    return np.array([[1.0] * int(h) + [0.0] * (N_TOSSES - int(h)) for h in values])


def tie(params: BernoulliMixtureParams) -> BernoulliMixtureParams:
    """One probability of heads per coin (the mean of its ``N_TOSSES`` probabilities, which
    after an M-step is the pooled frequency of heads) and equal weights, as chapter 9 does."""
    pooled = np.repeat(params.probs.mean(axis=1, keepdims=True), params.n_features, axis=1)
    return BernoulliMixtureParams(weights=[0.5, 0.5], probs=pooled)


def coin_params(theta_a: float, theta_b: float) -> BernoulliMixtureParams:
    """The two-coins model: equal weights, ``theta_A`` and ``theta_B`` for every toss."""
    return BernoulliMixtureParams([0.5, 0.5], [[theta_a] * N_TOSSES, [theta_b] * N_TOSSES])


def check_theta(value, name: str) -> float:
    """``value`` as a float in ``THETA_RANGE``, else a ValueError that says so."""
    lo, hi = THETA_RANGE
    try:
        theta = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}.") from None
    if not (np.isfinite(theta) and lo <= theta <= hi):
        raise ValueError(
            f"{name} is a probability of heads for the start; pick it from {lo} to {hi} "
            f"(got {value!r})."
        )
    return theta


def log_likelihood_map(X: np.ndarray, n: int = MAP_SIZE):
    """``log p(X | theta_A, theta_B)`` on an ``n x n`` grid over ``THETA_RANGE``.

    One call of :func:`emlib.bernoulli_log_joint` with one component per grid value gives
    ``log p(x_i | theta)`` for every set and every theta; the mixture of two of them with
    weights 1/2 is combined by log-sum-exp.

    Returns
    -------
    thetas : numpy.ndarray of shape (n,)
    values : numpy.ndarray of shape (n, n)
        ``values[j, i] = log p(X | theta_A = thetas[i], theta_B = thetas[j])``.
    """
    thetas = np.linspace(*THETA_RANGE, n)
    per_theta = BernoulliMixtureParams(
        np.full(n, 1.0 / n), np.repeat(thetas[:, None], X.shape[1], axis=1)
    )
    # log p(x_i | theta_g) for every set i and grid value g (N x n).
    log_p = bernoulli_log_joint(X, per_theta) + np.log(n)
    pairs = np.logaddexp(log_p[:, None, :], log_p[:, :, None]) + np.log(0.5)
    return thetas, pairs.sum(axis=0)


class TwoCoinsState:
    """State of the two-coins lab (no widgets).

    Parameters
    ----------
    heads : sequence of int, default (5, 9, 8, 4, 7)
        Heads in each set of ``N_TOSSES`` tosses.
    start : (float, float), default (0.6, 0.5)
        The starting ``(theta_A, theta_B)``, each in ``THETA_RANGE``.

    Attributes
    ----------
    heads : list of int
    X : numpy.ndarray of shape (len(heads), N_TOSSES)
        The tosses, one row per set (heads first).
    start : tuple of float
    params : emlib.BernoulliMixtureParams
        Current parameters (equal weights, one probability per coin).
    resp : numpy.ndarray of shape (len(heads), 2) or None
        Responsibilities of coins A and B for each set, from the last E-step.
    iteration : int
        M-steps done.
    phase : {"init", "E", "M"}
    path : list of (float, float)
        ``(theta_A, theta_B)`` at the start and after every M-step.
    history : list of float
        ``log p(X)`` at the start and after every M-step.
    """

    def __init__(self, heads=HEADS, *, start=START) -> None:
        self.X = coin_data(heads)
        self.heads = [int(h) for h in self.X.sum(axis=1)]
        self.start = (check_theta(start[0], "theta_A"), check_theta(start[1], "theta_B"))
        self.reset()

    # ------------------------------------------------------------------ reading
    @property
    def theta(self) -> tuple[float, float]:
        """The current ``(theta_A, theta_B)``."""
        return float(self.params.probs[0, 0]), float(self.params.probs[1, 0])

    @property
    def log_likelihood(self) -> float:
        """``log p(X | theta_A, theta_B)`` under the current parameters (a total)."""
        return self._log_likelihood

    def describe(self) -> str:
        """One line for the status bar, captions and the still's alt text."""
        a, b = self.theta
        text = (
            f"Iteration {self.iteration}, {_PHASE[self.phase]}: theta_A = {a:.3f}, "
            f"theta_B = {b:.3f}, log p(X) = {self._log_likelihood:.4f}."
        )
        if self.resp is not None:
            text += (
                " Responsibility of coin A per set: "
                + ", ".join(
                    f"{h} heads {g:.2f}" for h, g in zip(self.heads, self.resp[:, 0], strict=True)
                )
                + "."
            )
        return text

    # ------------------------------------------------------------------ actions
    def reset(self) -> None:
        """Back to the start: no responsibilities, iteration 0."""
        self.params = coin_params(*self.start)
        self.resp = None
        self.iteration = 0
        self.phase = "init"
        self._log_likelihood = bernoulli_e_step(self.X, self.params)[1]
        self.path = [self.theta]
        self.history = [self._log_likelihood]

    def e_step(self) -> None:
        """Responsibilities of coins A and B for every set (Bayes' rule, emlib)."""
        self.resp, self._log_likelihood = bernoulli_e_step(self.X, self.params)
        self.phase = "E"

    def m_step(self) -> None:
        """Pooled frequencies of heads, each set counted with its responsibility (then tied).

        Raises
        ------
        ValueError
            Before the first E-step (there are no responsibilities yet).
        """
        if self.resp is None:
            raise ValueError("the M-step needs responsibilities: press E-step first.")
        self.params = tie(bernoulli_m_step(self.X, self.resp))
        self.iteration += 1
        self.phase = "M"
        self._log_likelihood = bernoulli_e_step(self.X, self.params)[1]
        self.path.append(self.theta)
        self.history.append(self._log_likelihood)

    def step(self) -> None:
        """One iteration: E-step, then M-step."""
        self.e_step()
        self.m_step()

    def run(self, max_iter: int = RUN_MAX_ITER, tol: float = RUN_TOL) -> int:
        """Iterate until neither probability moves by more than ``tol`` (or ``max_iter``).

        Returns
        -------
        int
            The number of iterations done.
        """
        for done in range(1, max_iter + 1):
            before = np.array(self.theta)
            self.step()
            if np.abs(np.array(self.theta) - before).max() <= tol:
                return done
        return max_iter

    def set_start(self, theta_a: float, theta_b: float) -> None:
        """A new start ``(theta_A, theta_B)``; EM starts again from it."""
        self.start = (check_theta(theta_a, "theta_A"), check_theta(theta_b, "theta_B"))
        self.reset()

    def set_heads(self, index: int, heads: int) -> None:
        """Change the number of heads of set ``index`` (0-based); EM starts again."""
        if not 0 <= int(index) < len(self.heads):
            raise ValueError(f"there are {len(self.heads)} sets; got set index {index}.")
        new = list(self.heads)
        new[int(index)] = heads
        self.X = coin_data(new)
        self.heads = [int(h) for h in self.X.sum(axis=1)]
        self.reset()


class TwoCoinsView(LabView):
    """Left: the map of ``log p(X | theta_A, theta_B)`` (equal aspect) with the start, the EM
    path and the diagonal; right: the responsibilities of coins A and B for each set."""

    figsize = (7.6, 3.5)

    @staticmethod
    def structure_key(state):
        return tuple(state.heads)

    def _build(self, state) -> None:
        ax_map, ax_bar = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.15]})
        self.fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.88, wspace=0.28)
        thetas, values = log_likelihood_map(state.X)
        top = float(values.max())
        lo, hi = THETA_RANGE
        ax_map.imshow(
            np.clip(values - top, -30.0, 0.0),
            origin="lower",
            extent=(lo, hi, lo, hi),
            cmap="Greys_r",
            vmin=-30.0,
            vmax=0.0,
            alpha=0.55,
            interpolation="bilinear",
        )
        levels = top - np.array([32.0, 16.0, 8.0, 4.0, 2.0, 1.0, 0.5])
        ax_map.contour(
            thetas,
            thetas,
            values,
            levels=levels,
            colors="#444444",
            linewidths=0.6,
            linestyles="solid",
        )
        ax_map.plot([lo, hi], [lo, hi], linestyle="--", color="#777777", linewidth=0.8)
        # a margin, so that a start at the edge of the slider's range keeps its whole marker
        ax_map.set_xlim(-0.04, 1.04)
        ax_map.set_ylim(-0.04, 1.04)
        ax_map.set_aspect("equal")
        ax_map.set_xlabel(r"$\theta_A$", fontsize=9)
        ax_map.set_ylabel(r"$\theta_B$", fontsize=9)
        ax_map.tick_params(labelsize=7.5)
        (self.path_line,) = ax_map.plot(
            [], [], color="#D55E00", marker="o", markersize=3, linewidth=1.2
        )
        (self.start_mark,) = ax_map.plot(
            [],
            [],
            marker="o",
            markersize=8,
            color="white",
            markeredgecolor="black",
            linestyle="none",
        )
        (self.now_mark,) = ax_map.plot(
            [],
            [],
            marker="*",
            markersize=12,
            color="#D55E00",
            markeredgecolor="black",
            linestyle="none",
        )
        self.map_title = ax_map.set_title("", fontsize=8.5, loc="left")
        style_axes(ax_bar)
        n = len(state.heads)
        colors = component_colors(2)
        x = np.arange(n)
        self.bars = []
        self.bar_texts = []
        for k in range(2):
            positions = x + (k - 0.5) * 0.38
            bars = ax_bar.bar(
                positions,
                np.zeros(n),
                width=0.36,
                color=colors[k],
                edgecolor="black",
                linewidth=0.6,
                hatch=("" if k == 0 else "//"),
                label=f"coin {_COINS[k]}",
            )
            self.bars.append(list(bars.patches))
            texts = [
                ax_bar.text(p, 0, "", ha="center", va="bottom", fontsize=6.5) for p in positions
            ]
            self.bar_texts.append(texts)
            self.renderer.add_animated(*bars.patches, *texts)
        ax_bar.set_xticks(x)
        ax_bar.set_xticklabels(
            [f"set {i + 1}\n{h} H" for i, h in enumerate(state.heads)], fontsize=7.5
        )
        ax_bar.set_ylim(0, 1.15)
        ax_bar.set_ylabel("responsibility", fontsize=8)
        ax_bar.legend(fontsize=7, loc="upper right", ncol=2, frameon=False)
        self.bar_title = ax_bar.set_title("", fontsize=8.5, loc="left")
        self.renderer.add_animated(
            self.path_line, self.start_mark, self.now_mark, self.map_title, self.bar_title
        )

    def update(self, state) -> None:
        path = np.array(state.path)
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_mark.set_data([state.start[0]], [state.start[1]])
        a, b = state.theta
        self.now_mark.set_data([a], [b])
        self.map_title.set_text(
            f"iteration {state.iteration}: θA = {a:.3f}, θB = {b:.3f}, "
            f"log p = {state.log_likelihood:.3f}"
        )
        resp = state.resp if state.resp is not None else np.zeros((len(state.heads), 2))
        for k in range(2):
            for bar, text, g in zip(self.bars[k], self.bar_texts[k], resp[:, k], strict=True):
                bar.set_height(float(g))
                text.set_y(float(g) + 0.02)
                text.set_text("" if state.resp is None else f"{g:.2f}")
        self.bar_title.set_text(
            "responsibilities (press E-step)"
            if state.resp is None
            else f"responsibilities, {_PHASE[state.phase]}"
        )


def draw_two_coins(state: TwoCoinsState):
    """The two-coins figure for ``state`` (a :class:`matplotlib.figure.Figure`)."""
    return draw_state(TwoCoinsView, state)


def web_config(state: TwoCoinsState) -> dict:
    """What the website's live lab needs (plain JSON): the data and start of ``state``."""
    return {
        "heads": list(state.heads),
        "n_tosses": N_TOSSES,
        "X": state.X.tolist(),
        "start": [float(state.start[0]), float(state.start[1])],
        "weights": [0.5, 0.5],
        "pseudocount": 0.0,
        "theta_range": list(THETA_RANGE),
        "map_size": MAP_SIZE,
        "run_tol": RUN_TOL,
        "run_max_iter": RUN_MAX_ITER,
    }


_ALT = (
    "Two panels. Left: the log-likelihood log p(X | theta_A, theta_B) of the two-coins data "
    "as a grey map with contour lines over the unit square (theta_A across, theta_B up), "
    "with two mirror-image peaks on either side of the dashed diagonal theta_A = theta_B; a "
    "white circle marks the start and a star the current parameters. Right: bars of the "
    "responsibilities of coin A and coin B (hatched) for each set of ten tosses."
)


def two_coins(heads=HEADS, *, start=START, mode: str | None = None):
    """The two-coins lab: EM on the map of ``log p(X | theta_A, theta_B)``.

    Parameters
    ----------
    heads : sequence of int, default (5, 9, 8, 4, 7)
        Heads in each set of ten tosses (the reader can change them).
    start : (float, float), default (0.6, 0.5)
        The starting ``(theta_A, theta_B)`` (the reader can move it).
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = TwoCoinsState(heads, start=start)
    title = "Two coins: EM on the log-likelihood map"
    if resolve_mode(mode) == "static":
        return web_lab(TwoCoinsView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button, slider

    lo, hi = THETA_RANGE
    controls = {
        "e_step": button("E-step", "Responsibilities of coins A and B for each set"),
        "m_step": button("M-step", "Pooled frequencies of heads, weighted by responsibility"),
        "step": button("Step", "One iteration: E-step then M-step"),
        "run": button("Run", f"Iterate until theta moves by less than {RUN_TOL:g}"),
        "reset": button("Reset", "Back to the start"),
        "start_a": slider("start θA", state.start[0], lo, hi, 0.01),
        "start_b": slider("start θB", state.start[1], lo, hi, 0.01),
    }
    for i, h in enumerate(state.heads):
        controls[f"heads_{i}"] = slider(
            f"set {i + 1} heads", h, 0, N_TOSSES, 1, integer=True, width="180px"
        )

    def sync(lab) -> None:
        lab.controls["m_step"].disabled = lab.state.resp is None
        lab.set_value("start_a", lab.state.start[0])
        lab.set_value("start_b", lab.state.start[1])
        for i, h in enumerate(lab.state.heads):
            lab.set_value(f"heads_{i}", h)

    lab = LabWidget(
        state,
        TwoCoinsView,
        title=title,
        controls=controls,
        rows=[
            ["e_step", "m_step", "step", "run", "reset"],
            ["start_a", "start_b"],
            [f"heads_{i}" for i in range(len(state.heads))][:3],
            [f"heads_{i}" for i in range(len(state.heads))][3:],
        ],
        sync=sync,
    )
    lab.on_click("e_step", state.e_step)
    lab.on_click("m_step", state.m_step)
    lab.on_click("step", state.step)
    lab.on_click("run", state.run)
    lab.on_click("reset", state.reset)
    lab.on_value("start_a", lambda v: state.set_start(v, state.start[1]))
    lab.on_value("start_b", lambda v: state.set_start(state.start[0], v))
    for i in range(len(state.heads)):
        lab.on_value(f"heads_{i}", lambda v, i=i: state.set_heads(i, v))
    return lab
