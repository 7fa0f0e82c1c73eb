"""Lab 6, k-means versus GMM on the same data, side by side."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment

from .. import ConvergenceWarning, GaussianMixture, KMeans, MixtureParams, matched_accuracy
from ..plotting import blend_colors, component_colors
from ._em import (
    COVARIANCE_TYPES,
    DATASETS,
    check_covariance_type,
    check_n_components,
    load_dataset,
    web_datasets,
    web_starts,
)
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import MixturePanel, data_key, data_limits


def permute_params(params: MixtureParams, order) -> MixtureParams:
    """The same mixture with its components listed in ``order``."""
    order = np.asarray(order)
    cov = params.covariances if params.covariance_type == "tied" else params.covariances[order]
    return MixtureParams(params.weights[order], params.means[order], cov, params.covariance_type)


class KMeansVsGMMState:
    """State of the k-means versus GMM lab (no widgets).

    Both models are fitted by emlib (:class:`emlib.KMeans`, :class:`emlib.GaussianMixture`)
    on the same data with the same ``K``; the GMM's components are renamed to match the
    nearest k-means centres, so that colours correspond.

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2), default "elongated"
    n_components : int, default 3
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    seed : int, default 0
        Seed of both fits.

    Attributes
    ----------
    kmeans : emlib.KMeans
    gmm : emlib.GaussianMixture
    gmm_params : emlib.MixtureParams
        The GMM's parameters, components in k-means' order.
    gmm_order : numpy.ndarray of shape (K,)
        ``gmm_order[j]`` is the GMM component shown as component ``j``.
    km_labels, gmm_labels : numpy.ndarray of shape (N,)
    resp : numpy.ndarray of shape (N, K)
        GMM responsibilities, columns in k-means' order.
    """

    def __init__(
        self,
        data="elongated",
        *,
        n_components: int = 3,
        covariance_type: str = "full",
        seed: int = 0,
        n_samples: int = 300,
        data_seed: int = 0,
    ) -> None:
        self.n_samples, self.data_seed = n_samples, data_seed
        self.data_name = data if isinstance(data, str) else "custom"
        self.dataset = load_dataset(data, n_samples=n_samples, random_state=data_seed)
        self.X = np.asarray(self.dataset.X)
        self.n_components = check_n_components(n_components, len(self.X))
        self.covariance_type = check_covariance_type(covariance_type)
        self.seed = int(seed)
        self.fit()

    def fit(self) -> None:
        """Fit both models (called by every ``set_...``)."""
        k = self.n_components
        self.kmeans = KMeans(k, random_state=self.seed).fit(self.X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.gmm = GaussianMixture(
                k,
                covariance_type=self.covariance_type,
                n_init=3,
                random_state=self.seed,
                max_iter=300,
            ).fit(self.X)
        centers = self.kmeans.cluster_centers_
        cost = ((centers[:, None, :] - self.gmm.means_[None]) ** 2).sum(axis=2)
        _, order = linear_sum_assignment(cost)
        self.gmm_order = order
        self.gmm_params = permute_params(self.gmm.params_, order)
        self.resp = self.gmm.predict_proba(self.X)[:, order]
        self.km_labels = self.kmeans.labels_
        self.gmm_labels = self.resp.argmax(axis=1)

    def set_dataset(self, data) -> None:
        dataset = load_dataset(data, n_samples=self.n_samples, random_state=self.data_seed)
        check_n_components(self.n_components, len(dataset.X))
        self.dataset, self.X = dataset, np.asarray(dataset.X)
        self.data_name = data if isinstance(data, str) else "custom"
        self.fit()

    def set_n_components(self, n_components: int) -> None:
        self.n_components = check_n_components(n_components, len(self.X))
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
    def agreement(self) -> float:
        """Fraction of samples that k-means and the GMM (most probable component) put in
        the same (matched) cluster."""
        return float(np.mean(self.km_labels == self.gmm_labels))

    def accuracies(self) -> tuple[float, float] | None:
        """``(k-means, GMM)`` accuracy against the true components, when they are known."""
        z = self.dataset.z
        if z is None:
            return None
        k = self.n_components
        return (matched_accuracy(self.km_labels, z, k), matched_accuracy(self.gmm_labels, z, k))

    def describe(self) -> str:
        text = (
            f"{self.dataset.name}, K = {self.n_components}: k-means and the GMM "
            f"({self.covariance_type}) agree on {100 * self.agreement:.0f}% of the points."
        )
        acc = self.accuracies()
        if acc is not None:
            text += (
                f" Against the true components: k-means {100 * acc[0]:.0f}%, "
                f"GMM {100 * acc[1]:.0f}% correct."
            )
        return text


class KMeansVsGMMView(LabView):
    """Left: k-means (hard colours, centres, regions); right: the GMM (blended colours,
    ellipses, regions of the most probable component)."""

    figsize = (7.6, 3.2)

    @staticmethod
    def structure_key(state):
        return (data_key(state.X), state.n_components)

    def _build(self, state) -> None:
        k = state.n_components
        ax_km, ax_gm = self.fig.subplots(1, 2, sharex=True, sharey=True)
        self.fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.88, wspace=0.12)
        limits = data_limits(state.X, 0.06)
        (x0, x1), (y0, y1) = limits
        gx, gy = np.meshgrid(np.linspace(x0, x1, 120), np.linspace(y0, y1, 90))
        self.grid = np.column_stack([gx.ravel(), gy.ravel()])
        self.grid_shape = gx.shape
        blank = np.ones((*gx.shape, 3))
        # The tinted regions first, so that they are drawn under the points.
        self.regions = [
            ax.imshow(
                blank,
                origin="lower",
                extent=(x0, x1, y0, y1),
                aspect="auto",
                interpolation="nearest",
                zorder=0,
            )
            for ax in (ax_km, ax_gm)
        ]
        self.renderer.add_animated(*self.regions)
        names = state.dataset.feature_names
        self.km = MixturePanel(
            ax_km,
            self.renderer,
            state.X,
            k,
            feature_names=names,
            limits=limits,
            show_ellipses=False,
        )
        self.gm = MixturePanel(ax_gm, self.renderer, state.X, k, feature_names=names, limits=limits)
        ax_gm.set_ylabel("")
        self.colors = component_colors(k)

    def _region(self, labels: np.ndarray) -> np.ndarray:
        rgb = 0.82 + 0.18 * self.colors[labels]
        return rgb.reshape(*self.grid_shape, 3)

    def update(self, state) -> None:
        self.km.update(
            None,
            self.colors[state.km_labels],
            title="k-means: hard clusters, centres (crosses)",
            means=state.kmeans.cluster_centers_,
        )
        self.gm.update(
            state.gmm_params,
            blend_colors(state.resp),
            title=f"GMM ({state.covariance_type}): responsibilities, ellipses",
        )
        km_grid = state.kmeans.predict(self.grid)
        # Same renaming as the fit: k-means label j keeps colour j.
        self.regions[0].set_data(self._region(km_grid))
        gm_grid = np.argsort(state.gmm_order)[state.gmm.predict(self.grid)]
        self.regions[1].set_data(self._region(gm_grid))


def web_config(state: KMeansVsGMMState) -> dict:
    """What the website's k-means versus GMM lab starts from (plain JSON, from emlib).

    The browser steps both methods together from the same start: the k-means++ centres that
    emlib draws for seeds ``0 .. 19`` and ``K = 1 .. 8`` (rows of ``X``) are k-means'
    starting centres and the GMM's starting means (equal weights, every covariance the
    spread of the data, as the EM lab starts).
    """
    custom = state.dataset if state.data_name == "custom" else None
    datasets = web_datasets(
        state.data_name,
        custom,
        n_samples=state.n_samples,
        data_seed=state.data_seed,
        with_labels=True,
    )
    return {
        "datasets": datasets,
        "starts": {d["name"]: web_starts(np.asarray(d["X"]), 8, ("k-means++",)) for d in datasets},
        "dataset": state.data_name,
        "n_components": state.n_components,
        "covariance_type": state.covariance_type,
        "covariance_types": list(COVARIANCE_TYPES),
        "seed": state.seed,
        "reg_covar": 1e-6,
        "tol": 1e-3,
        "max_iter": 300,
    }


def draw_kmeans_vs_gmm(state: KMeansVsGMMState):
    """The k-means versus GMM figure for ``state``."""
    return draw_state(KMeansVsGMMView, state)


_ALT = (
    "Two scatter plots of the same data. Left: k-means, every point in the colour of its "
    "cluster, crosses at the centres, the background tinted by the cluster each place "
    "would join. Right: the Gaussian mixture, every point coloured by the blend of its "
    "responsibilities, an ellipse at 2 standard deviations per component, the background "
    "tinted by the most probable component."
)


def kmeans_vs_gmm(
    data="elongated",
    *,
    n_components: int = 3,
    covariance_type: str = "full",
    seed: int = 0,
    mode: str | None = None,
):
    """k-means and a Gaussian mixture fitted to the same data, side by side.

    Parameters
    ----------
    data, n_components, covariance_type, seed
        See :class:`KMeansVsGMMState`.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = KMeansVsGMMState(
        data, n_components=n_components, covariance_type=covariance_type, seed=seed
    )
    title = "k-means versus Gaussian mixture"
    if resolve_mode(mode) == "static":
        return web_lab(KMeansVsGMMView, state, title=title, alt=_ALT)
    from ._live import LabWidget, dropdown, int_text, slider

    controls = {
        "dataset": dropdown(
            "data",
            [(label, name) for name, label in DATASETS.items()]
            + ([("your data", "custom")] if state.data_name == "custom" else []),
            state.data_name,
            width="270px",
        ),
        "n_components": slider("K", state.n_components, 1, 8, 1, integer=True, width="200px"),
        "covariance_type": dropdown(
            "GMM covariance",
            [(t, t) for t in COVARIANCE_TYPES],
            state.covariance_type,
            width="220px",
        ),
        "seed": int_text("seed", state.seed, width="120px"),
    }
    custom = state.dataset if state.data_name == "custom" else None

    def set_dataset(name):
        state.set_dataset(custom if name == "custom" else name)
        state.data_name = name

    lab = LabWidget(
        state,
        KMeansVsGMMView,
        title=title,
        controls=controls,
        rows=[["dataset", "n_components"], ["covariance_type", "seed"]],
    )
    lab.on_value("dataset", set_dataset)
    lab.on_value("n_components", state.set_n_components)
    lab.on_value("covariance_type", state.set_covariance_type)
    lab.on_value("seed", state.set_seed)
    return lab
