"""Lab 5, the EM lab: data set, K, covariance type and starting means; step or run."""

from __future__ import annotations

import numpy as np

from ..plotting import component_colors
from ._em import (
    COVARIANCE_TYPES,
    DATASETS,
    INITS,
    EMRun,
    RunState,
    check_covariance_type,
    check_n_components,
    initial_means,
    initial_params,
    load_dataset,
    web_datasets,
    web_starts,
)
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import CurvePanel, MixturePanel, data_key, data_limits


class EMLabState(RunState):
    """State of the EM lab (no widgets).

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "blobs"
        ``"blobs"``, ``"elongated"``, ``"overlapping"``, ``"old_faithful"``, a Dataset or
        the samples.
    n_components : int, default 3
        ``K`` (at most 8).
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    init : {"random", "k-means++", "manual"}, default "random"
        Starting means: ``K`` random data points or k-means++ (both from ``seed``), or
        the ones placed by hand (``means_init`` / :meth:`place_mean`).
    seed : int, default 0
    means_init : array_like of shape (K, 2), optional
        Starting means placed by hand (implies ``init="manual"``).
    reg_covar : float, default 1e-6
    max_iter : int, default 200
        Iterations :meth:`run` may do.
    tol : float, default 1e-3
        Convergence tolerance of :meth:`run` (change of the mean log-likelihood per sample).

    Attributes
    ----------
    dataset, X : the data.
    manual_means : numpy.ndarray of shape (K, 2)
        The hand-placed means (initially the drawn ones, so switching to "manual" starts
        from where the means were).
    run : EMRun
        The EM log.
    """

    def __init__(
        self,
        data="blobs",
        *,
        n_components: int = 3,
        covariance_type: str = "full",
        init: str = "random",
        seed: int = 0,
        means_init=None,
        reg_covar: float = 1e-6,
        max_iter: int = 200,
        tol: float = 1e-3,
        n_samples: int = 300,
        data_seed: int = 0,
    ) -> None:
        self.n_samples = n_samples
        self.data_seed = data_seed
        self.data_name = data if isinstance(data, str) else "custom"
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self._custom = None if isinstance(data, str) else self.dataset
        self.X = np.asarray(self.dataset.X)
        self.n_components = check_n_components(n_components, len(self.X))
        self.covariance_type = check_covariance_type(covariance_type)
        self.seed = int(seed)
        self.reg_covar = float(reg_covar)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        if means_init is not None:
            init = "manual"
            self.manual_means = self._check_means(means_init)
        else:
            self.manual_means = None
        self._check_init(init)
        self.init = init
        self._restart()

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _check_init(init: str) -> None:
        if init not in INITS:
            raise ValueError(f"init must be one of {sorted(INITS)}; got {init!r}.")

    def _check_means(self, means) -> np.ndarray:
        means = np.asarray(means, dtype=np.float64)
        if means.shape != (self.n_components, 2) or not np.all(np.isfinite(means)):
            raise ValueError(
                f"means_init must be a finite array of shape ({self.n_components}, 2), one "
                f"row per component; got shape {means.shape}."
            )
        return means.copy()

    def _drawn_means(self) -> np.ndarray:
        method = "random" if self.init == "manual" else self.init
        return initial_means(self.X, self.n_components, method, self.seed)

    def _restart(self) -> None:
        if self.init != "manual" or self.manual_means is None:
            self.manual_means = self._drawn_means()
        self.run = EMRun(
            self.X,
            initial_params(self.X, self.manual_means, self.covariance_type),
            reg_covar=self.reg_covar,
            tol=self.tol,
        )

    # ------------------------------------------------------------------ choices
    def set_dataset(self, data) -> None:
        """Switch data set (and start again; hand-placed means are drawn afresh)."""
        if isinstance(data, str) and data == "custom" and self._custom is not None:
            data = self._custom
        dataset = load_dataset(data, n_samples=self.n_samples, random_state=self.data_seed)
        check_n_components(self.n_components, len(dataset.X))
        self.dataset, self.X = dataset, np.asarray(dataset.X)
        self.data_name = data if isinstance(data, str) else "custom"
        if not isinstance(data, str):
            self._custom = dataset
        self.manual_means = None
        self._restart()

    def set_n_components(self, n_components: int) -> None:
        """Change ``K`` and start again."""
        self.n_components = check_n_components(n_components, len(self.X))
        self.manual_means = None
        self._restart()

    def set_covariance_type(self, covariance_type: str) -> None:
        """Change the covariance type and start again (same starting means)."""
        self.covariance_type = check_covariance_type(covariance_type)
        self._restart()

    def set_init(self, init: str) -> None:
        """``"random"``, ``"k-means++"`` or ``"manual"`` (keeps the current means)."""
        self._check_init(init)
        self.init = init
        self._restart()

    def set_seed(self, seed: int) -> None:
        """Seed of the drawn starting means (switches "manual" back to "random")."""
        if isinstance(seed, bool) or int(seed) != seed:
            raise ValueError(f"seed must be an integer; got {seed!r}.")
        self.seed = int(seed)
        if self.init == "manual":
            self.init = "random"
        self._restart()

    def place_mean(self, k: int, x: float, y: float) -> None:
        """Put the starting mean ``mu_k`` (``k`` from 0) at ``(x, y)`` and start again."""
        if not 0 <= int(k) < self.n_components:
            raise ValueError(f"k must be between 0 and {self.n_components - 1}; got {k}.")
        if not (np.isfinite(x) and np.isfinite(y)):
            raise ValueError("the mean's coordinates must be finite numbers.")
        means = self.manual_means.copy()
        means[int(k)] = (float(x), float(y))
        self.manual_means = means
        self.init = "manual"
        self._restart()

    # ------------------------------------------------------------------ actions
    def step(self) -> None:
        """One EM iteration (E-step, M-step)."""
        self.run.step()

    def run_to_convergence(self) -> None:
        """Iterate with :class:`emlib.GaussianMixture` until it converges (``tol``)."""
        self.run.run(max_iter=self.max_iter, tol=self.tol)

    def reset(self) -> None:
        """Back to the starting means."""
        self.run.reset()

    def describe(self) -> str:
        done = " (converged)" if self.run.converged else ""
        return (
            f"{self.dataset.name}, K = {self.n_components}, {self.covariance_type} "
            f"covariances, start: {INITS[self.init]}. Iteration {self.iteration}{done}: "
            f"log p(X) = {self.log_likelihood:.2f}."
        )


class EMLabView(LabView):
    """Left: the fit (colours = responsibilities under the drawn parameters; hollow
    circles = starting means); right: ``log p(X)`` against the iteration."""

    @staticmethod
    def structure_key(state):
        return (data_key(state.X), state.n_components)

    def _build(self, state) -> None:
        ax_data, ax_ll = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.88, wspace=0.28)
        names = state.dataset.feature_names
        self.data = MixturePanel(
            ax_data,
            self.renderer,
            state.X,
            state.n_components,
            feature_names=names,
            limits=data_limits(state.X, 0.12),
        )
        colors = component_colors(state.n_components)
        self.starts = ax_data.scatter(
            np.zeros(state.n_components),
            np.zeros(state.n_components),
            s=60,
            facecolors="none",
            edgecolors=colors,
            linewidths=1.6,
            marker="o",
        )
        self.renderer.add_animated(self.starts)
        self.curve = CurvePanel(
            ax_ll,
            self.renderer,
            xlabel="iteration",
            ylabel="log p(X)",
            styles=[dict(color="black", marker="o", markersize=2.5, linewidth=1.2)],
        )
        self.note = ax_ll.text(
            0.0, 1.02, "", transform=ax_ll.transAxes, fontsize=8.5, ha="left", va="bottom"
        )
        self.renderer.add_animated(self.note)

    def update(self, state) -> None:
        from ..plotting import blend_colors

        run = state.run
        self.data.update(
            run.params,
            blend_colors(run.display_resp()),
            title=f"{state.dataset.name}: K = {state.n_components}, {state.covariance_type}",
        )
        self.starts.set_offsets(run.start.means)
        self.curve.set_data(0, np.arange(len(run.loglik_history)), run.loglik_history)
        self.curve.rescale()
        done = " (converged)" if run.converged else ""
        self.note.set_text(f"iteration {run.iteration}{done}: log p(X) = {run.log_likelihood:.2f}")


def draw_em_lab(state: EMLabState):
    """The EM lab's figure for ``state``."""
    return draw_state(EMLabView, state)


_ALT = (
    "Two panels. Left: the data as a scatter plot, each point coloured by its "
    "responsibilities gamma_ik, one ellipse per component at 2 standard deviations around "
    "its mean mu_k (crosses), hollow circles at the starting means. Right: the "
    "log-likelihood log p(X) against the iteration."
)


#: Tolerances the website's EM lab offers (on the change of log p(X) / N per iteration).
WEB_TOLS = (1e-3, 1e-4, 1e-5, 1e-6)

#: Chapter 5's experiments, as presets of the website's EM lab. Checked with emlib: from seed
#: 0 on the elongated data EM stops at log p(X) = -1211.2 after 12 iterations with tol 1e-3,
#: and with tol 1e-6 crawls on to -1034.9 (62 iterations); from seed 4 on the blobs it stops
#: at -1155.9, a genuine local maximum, however small tol is.
WEB_EXPERIMENTS = (
    {
        "label": "A start that stalls, then escapes (elongated, seed 0)",
        "dataset": "elongated",
        "n_components": 3,
        "covariance_type": "full",
        "init": "random",
        "seed": 0,
        "tol": 1e-3,
        "note": (
            "Press Run: EM stops on a flat stretch at about log p(X) = -1211 and calls it "
            "converged (tol 1e-3). Now set tol to 1e-6 and press Run again: EM was only "
            "crawling; it escapes and climbs to about -1035."
        ),
    },
    {
        "label": "A genuine local maximum (blobs, seed 4)",
        "dataset": "blobs",
        "n_components": 3,
        "covariance_type": "full",
        "init": "random",
        "seed": 4,
        "tol": 1e-6,
        "note": (
            "Press Run: EM ends at about log p(X) = -1156, although the best fit of these "
            "blobs reaches -1070. More iterations do not help; press Restart for a new "
            "start and compare the final log-likelihoods."
        ),
    },
    {
        "label": "Spherical versus full (elongated, k-means++ seed 0)",
        "dataset": "elongated",
        "n_components": 3,
        "covariance_type": "spherical",
        "init": "k-means++",
        "seed": 0,
        "tol": 1e-3,
        "note": (
            "Press Run with spherical covariances, then switch the covariance type to full "
            "and Run again: the previous run's curve stays on the plot (dashed) to compare."
        ),
    },
)


def web_config(state: EMLabState) -> dict:
    """What the website's EM lab starts from (plain JSON, all from emlib): the four data
    sets (and the reader's own), the starting rows of ``X`` for seeds ``0 .. 19`` and
    ``K = 1 .. 8`` (random and k-means++, as :func:`initial_means` draws them), the
    current choices, ``reg_covar``, ``max_iter``, ``tol`` and chapter 5's experiments."""
    custom = state.dataset if state.data_name == "custom" else None
    datasets = web_datasets(
        state.data_name, custom, n_samples=state.n_samples, data_seed=state.data_seed
    )
    return {
        "datasets": datasets,
        "starts": {
            d["name"]: web_starts(np.asarray(d["X"]), 8, ("random", "k-means++")) for d in datasets
        },
        "dataset": state.data_name,
        "n_components": state.n_components,
        "covariance_type": state.covariance_type,
        "covariance_types": list(COVARIANCE_TYPES),
        "init": state.init,
        "inits": dict(INITS),
        "seed": state.seed,
        "manual_means": state.manual_means.tolist() if state.init == "manual" else None,
        "reg_covar": state.reg_covar,
        "max_iter": state.max_iter,
        "tol": state.tol,
        "tols": sorted(set(WEB_TOLS) | {state.tol}, reverse=True),
        "experiments": list(WEB_EXPERIMENTS),
    }


def em_lab(
    data="blobs",
    *,
    n_components: int = 3,
    covariance_type: str = "full",
    init: str = "random",
    seed: int = 0,
    means_init=None,
    reg_covar: float = 1e-6,
    mode: str | None = None,
):
    """The EM lab: choose the data set, ``K``, the covariance type and the starting means
    (drawn from a seed, or placed by hand); step EM or run it to convergence, with the
    log-likelihood curve beside the fit.

    Parameters
    ----------
    data, n_components, covariance_type, init, seed, means_init, reg_covar
        See :class:`EMLabState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = EMLabState(
        data,
        n_components=n_components,
        covariance_type=covariance_type,
        init=init,
        seed=seed,
        means_init=means_init,
        reg_covar=reg_covar,
    )
    title = "EM lab"
    if resolve_mode(mode) == "static":
        return web_lab(EMLabView, state, title=title, alt=_ALT)
    from ._live import LabWidget, button, dropdown, int_text, slider

    (x0, x1), (y0, y1) = data_limits(state.X, 0.12)
    controls = {
        "dataset": dropdown(
            "data",
            [(label, name) for name, label in DATASETS.items()]
            + ([("your data", "custom")] if state.data_name == "custom" else []),
            state.data_name,
            width="240px",
        ),
        "n_components": slider("K", state.n_components, 1, 8, 1, integer=True, width="150px"),
        "covariance_type": dropdown(
            "covariance", [(t, t) for t in COVARIANCE_TYPES], state.covariance_type, width="190px"
        ),
        "init": dropdown(
            "start", [(label, name) for name, label in INITS.items()], state.init, width="260px"
        ),
        "seed": int_text("seed", state.seed, width="120px"),
        "mean": dropdown(
            "place mean", [(f"mu_{k + 1}", k) for k in range(state.n_components)], 0, width="160px"
        ),
        "x": slider("x", float(state.manual_means[0, 0]), x0, x1, (x1 - x0) / 100, width="210px"),
        "y": slider("y", float(state.manual_means[0, 1]), y0, y1, (y1 - y0) / 100, width="210px"),
        "step": button("Step (E + M)", "One EM iteration"),
        "run": button("Run", "Iterate until convergence"),
        "reset": button("Reset", "Back to the starting means"),
    }

    def set_range(lab, name, lo, hi, value):
        w = lab.controls[name]
        was = lab.syncing
        lab.syncing = True
        try:
            if lo > w.max:
                w.max, w.min = hi, lo
            else:
                w.min, w.max = lo, hi
            w.step = (hi - lo) / 100
            w.value = float(np.clip(value, lo, hi))
        finally:
            lab.syncing = was

    def sync(lab) -> None:
        s = lab.state
        options = [(f"mu_{k + 1}", k) for k in range(s.n_components)]
        mean = lab.controls["mean"]
        if list(mean.options) != options:
            current = min(mean.value or 0, s.n_components - 1)
            mean.options = options
            mean.value = current
        k = mean.value
        (a0, a1), (b0, b1) = data_limits(s.X, 0.12)
        set_range(lab, "x", a0, a1, s.manual_means[k, 0])
        set_range(lab, "y", b0, b1, s.manual_means[k, 1])
        for name, value in (
            ("dataset", s.data_name),
            ("n_components", s.n_components),
            ("covariance_type", s.covariance_type),
            ("init", s.init),
            ("seed", s.seed),
        ):
            if lab.controls[name].value != value:
                lab.set_value(name, value)

    lab = LabWidget(
        state,
        EMLabView,
        title=title,
        controls=controls,
        rows=[
            ["dataset", "n_components", "covariance_type"],
            ["init", "seed"],
            ["mean", "x", "y"],
            ["step", "run", "reset"],
        ],
        sync=sync,
    )
    lab.on_value("dataset", state.set_dataset)
    lab.on_value("n_components", state.set_n_components)
    lab.on_value("covariance_type", state.set_covariance_type)
    lab.on_value("init", state.set_init)
    lab.on_value("seed", state.set_seed)
    lab.on_value("mean", lambda _k: None)  # only moves the sliders (in sync)
    lab.on_value(
        "x",
        lambda x: state.place_mean(
            lab.controls["mean"].value, x, state.manual_means[lab.controls["mean"].value, 1]
        ),
    )
    lab.on_value(
        "y",
        lambda y: state.place_mean(
            lab.controls["mean"].value, state.manual_means[lab.controls["mean"].value, 0], y
        ),
    )
    lab.on_click("step", state.step)
    lab.on_click("run", state.run_to_convergence)
    lab.on_click("reset", state.reset)
    return lab
