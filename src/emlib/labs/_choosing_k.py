"""Lab 9, choosing K: BIC and AIC against K, beside the fit they score."""

from __future__ import annotations

import warnings

import numpy as np

from .. import COVARIANCE_TYPES, ConvergenceWarning, select_n_components
from ..plotting import MAX_COMPONENTS, blend_colors, style_axes
from ._em import DATASETS, check_covariance_type, load_dataset, web_datasets
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import MixturePanel, data_key, params_json


class ChoosingKState:
    """State of the choosing-K lab (no widgets).

    :func:`emlib.select_n_components` fits one mixture per ``K = 1 .. k_max`` and scores
    each with BIC and AIC (lower is better); the reader picks which fit to look at.

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "overlapping"
    k_max : int, default 8
    covariance_type : str, default "full"
    seed : int, default 0
    n_init : int, default 2
        Restarts per K.
    selected : int, optional
        The K shown first (default: the one with the lowest BIC).

    Attributes
    ----------
    result : emlib.SelectionResult
        ``n_components``, ``bic``, ``aic``, ``models``, ``best_bic``, ``best_aic``.
    selected : int
    """

    def __init__(
        self,
        data="overlapping",
        *,
        k_max: int = 8,
        covariance_type: str = "full",
        seed: int = 0,
        n_init: int = 2,
        selected: int | None = None,
        n_samples: int = 300,
        data_seed: int = 0,
    ) -> None:
        self.n_samples, self.data_seed = n_samples, data_seed
        self.data_name = data if isinstance(data, str) else "custom"
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self.X = np.asarray(self.dataset.X)
        if isinstance(k_max, bool) or int(k_max) != k_max or not 1 <= k_max <= MAX_COMPONENTS:
            raise ValueError(f"k_max must be an integer from 1 to {MAX_COMPONENTS}; got {k_max!r}.")
        self.k_max = min(int(k_max), len(self.X) - 1)
        self.covariance_type = check_covariance_type(covariance_type)
        self.seed = int(seed)
        self.n_init = int(n_init)
        self.fit()
        if selected is not None:
            self.select(selected)

    def fit(self) -> None:
        """Fit every K (called by every ``set_...``); selects the best K by BIC."""
        self.result = self.selection(self.X, self.covariance_type)
        self.selected = self.result.best_bic

    def selection(self, X: np.ndarray, covariance_type: str):
        """:func:`emlib.select_n_components` for ``K = 1 .. k_max`` on ``X`` with this lab's
        seed and restarts."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return select_n_components(
                X,
                range(1, self.k_max + 1),
                covariance_type=covariance_type,
                n_init=self.n_init,
                random_state=self.seed,
            )

    def select(self, k: int) -> None:
        """Show the fit with ``K = k``."""
        if isinstance(k, bool) or int(k) != k or not 1 <= k <= self.k_max:
            raise ValueError(f"K must be an integer from 1 to {self.k_max}; got {k!r}.")
        self.selected = int(k)

    def set_dataset(self, data) -> None:
        dataset = load_dataset(data, n_samples=self.n_samples, random_state=self.data_seed)
        self.dataset, self.X = dataset, np.asarray(dataset.X)
        self.data_name = data if isinstance(data, str) else "custom"
        self.fit()

    def set_covariance_type(self, covariance_type: str) -> None:
        self.covariance_type = check_covariance_type(covariance_type)
        self.fit()

    def set_seed(self, seed: int) -> None:
        if isinstance(seed, bool) or int(seed) != seed:
            raise ValueError(f"seed must be an integer; got {seed!r}.")
        self.seed = int(seed)
        self.fit()

    @property
    def model(self):
        """The fitted ``emlib.GaussianMixture`` with ``K = selected``."""
        return self.result.models[self.selected - 1]

    def describe(self) -> str:
        r = self.result
        i = self.selected - 1
        return (
            f"{self.dataset.name}, {self.covariance_type} covariances. Showing K = "
            f"{self.selected}: BIC = {r.bic[i]:.1f}, AIC = {r.aic[i]:.1f}. Lowest BIC at "
            f"K = {r.best_bic}, lowest AIC at K = {r.best_aic}."
        )


class ChoosingKView(LabView):
    """Left: the fit with the selected K; right: BIC and AIC against K."""

    figsize = (7.6, 3.1)

    @staticmethod
    def structure_key(state):
        r = state.result
        return (
            data_key(state.X),
            state.k_max,
            tuple(np.round(r.bic, 6)),
            tuple(np.round(r.aic, 6)),
        )

    def _build(self, state) -> None:
        ax_data, ax_ic = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.86, wspace=0.3)
        self.data = MixturePanel(
            ax_data, self.renderer, state.X, state.k_max, feature_names=state.dataset.feature_names
        )
        r = state.result
        style_axes(ax_ic)
        ax_ic.grid(True, color="#dddddd", linewidth=0.6)
        ax_ic.plot(r.n_components, r.bic, color="#0072B2", marker="o", ms=4, lw=1.4, label="BIC")
        ax_ic.plot(
            r.n_components, r.aic, color="#E69F00", marker="s", ms=4, lw=1.4, ls="--", label="AIC"
        )
        ax_ic.scatter(
            [r.best_bic],
            [r.bic.min()],
            s=110,
            facecolors="none",
            edgecolors="#0072B2",
            linewidths=1.6,
            zorder=4,
        )
        ax_ic.scatter(
            [r.best_aic],
            [r.aic.min()],
            s=110,
            facecolors="none",
            edgecolors="#E69F00",
            linewidths=1.6,
            zorder=4,
        )
        ax_ic.set_xlabel("K (number of components)", fontsize=8, labelpad=1)
        ax_ic.set_xticks(list(r.n_components))
        ax_ic.legend(fontsize=7, frameon=False)
        ax_ic.set_title("lower is better (circled: minimum)", fontsize=8, loc="left")
        self.marker = ax_ic.axvline(1, color="black", lw=1.0, ls=":")
        self.renderer.add_animated(self.marker)

    def update(self, state) -> None:
        model = state.model
        self.data.update(
            model.params_,
            blend_colors(model.predict_proba(state.X)),
            title=f"fit with K = {state.selected}" + _spherical_note(state, self.data.ax),
        )
        self.marker.set_xdata([state.selected, state.selected])


def web_config(state: ChoosingKState) -> dict:
    """What the website's choosing-K lab shows (plain JSON, from emlib): for every data set
    and covariance type, the mixtures that :func:`emlib.select_n_components` fits for
    ``K = 1 .. k_max`` (this lab's seed and restarts) with emlib's BIC and AIC. The browser
    recomputes BIC and AIC from these parameters with emmath (the same numbers)."""
    custom = state.dataset if state.data_name == "custom" else None
    datasets = web_datasets(
        state.data_name, custom, n_samples=state.n_samples, data_seed=state.data_seed
    )
    fits = {}
    for d in datasets:
        X = np.asarray(d["X"])
        fits[d["name"]] = {}
        for covariance_type in COVARIANCE_TYPES:
            same = d["name"] == state.data_name and covariance_type == state.covariance_type
            r = state.result if same else state.selection(X, covariance_type)
            fits[d["name"]][covariance_type] = {
                "params": [params_json(m.params_) for m in r.models],
                "bic": r.bic.tolist(),
                "aic": r.aic.tolist(),
                "best_bic": int(r.best_bic),
                "best_aic": int(r.best_aic),
            }
    return {
        "datasets": datasets,
        "fits": fits,
        "dataset": state.data_name,
        "covariance_type": state.covariance_type,
        "covariance_types": list(COVARIANCE_TYPES),
        "k_max": state.k_max,
        "selected": state.selected,
        "seed": state.seed,
        "n_init": state.n_init,
        "reg_covar": float(state.model.reg_covar),
    }


def _spherical_note(state, ax) -> str:
    """Why spherical fits of unscaled data look like bands (a second title line), or ''.

    A spherical component is round in data units; when one axis spans many more units than
    the other (Old Faithful: minutes of waiting against minutes of eruption), the panel
    squeezes those circles into flat ellipses: horizontal bands.
    """
    if state.covariance_type != "spherical":
        return ""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ratio = (y1 - y0) / (x1 - x0) if x1 > x0 else 1.0
    if 1 / 3 <= ratio <= 3:
        return ""
    return f"\naxes {max(ratio, 1 / ratio):.0f}:1 in data units: circles look like bands"


def draw_choosing_k(state: ChoosingKState):
    """The choosing-K figure for ``state``."""
    return draw_state(ChoosingKView, state)


_ALT = (
    "Left: the data coloured by the responsibilities of the mixture with the selected "
    "number of components K, with its ellipses. Right: BIC (solid) and AIC (dashed) against "
    "K, with their minima circled and a dotted vertical line at the selected K."
)


def choosing_k(
    data="overlapping",
    *,
    k_max: int = 8,
    covariance_type: str = "full",
    seed: int = 0,
    mode: str | None = None,
):
    """The choosing-K lab: BIC and AIC for ``K = 1 .. k_max``, and the fit for the K you
    pick.

    Parameters
    ----------
    data, k_max, covariance_type, seed
        See :class:`ChoosingKState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = ChoosingKState(data, k_max=k_max, covariance_type=covariance_type, seed=seed)
    title = "Choosing K with BIC and AIC"
    if resolve_mode(mode) == "static":
        return web_lab(ChoosingKView, state, title=title, alt=_ALT)
    from ._live import LabWidget, dropdown, int_text, slider

    controls = {
        "dataset": dropdown(
            "data",
            [(label, name) for name, label in DATASETS.items()]
            + ([("your data", "custom")] if state.data_name == "custom" else []),
            state.data_name,
            width="270px",
        ),
        "covariance_type": dropdown(
            "covariance", [(t, t) for t in COVARIANCE_TYPES], state.covariance_type, width="190px"
        ),
        "seed": int_text("seed", state.seed, width="120px"),
        "k": slider("show K", state.selected, 1, state.k_max, 1, integer=True, width="260px"),
    }
    custom = state.dataset if state.data_name == "custom" else None

    def set_dataset(name):
        state.set_dataset(custom if name == "custom" else name)
        state.data_name = name

    def sync(lab) -> None:
        lab.set_value("k", lab.state.selected)

    lab = LabWidget(
        state,
        ChoosingKView,
        title=title,
        controls=controls,
        rows=[["dataset", "covariance_type", "seed"], ["k"]],
        sync=sync,
    )
    lab.on_value("dataset", set_dataset)
    lab.on_value("covariance_type", state.set_covariance_type)
    lab.on_value("seed", state.set_seed)
    lab.on_value("k", state.select)
    return lab
