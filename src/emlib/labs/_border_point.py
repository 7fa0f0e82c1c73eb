"""Lab 1, the border point: hard (k-means) against soft (GMM) membership of one point."""

from __future__ import annotations

import contourpy
import numpy as np

from .. import GaussianMixture, KMeans, MixtureParams, e_step, sample_mixture, squared_distances
from ..plotting import blend_colors, component_colors, covariance_ellipse, style_axes
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import N_STD, bar_panel, data_limits, params_json, set_bars

#: The two clusters: a broad one on the left and a tight one on the right, so that the
#: GMM's border (where gamma = 0.5) is not k-means' border (halfway between the centres).
BORDER_TRUTH = dict(weights=[0.6, 0.4], means=[[-2.0, 0.0], [2.0, 0.0]], variances=[2.2, 0.3])


class BorderPointState:
    """State of the border-point lab (no widgets).

    Two clusters are sampled with :func:`emlib.sample_mixture` and fitted once with
    :class:`emlib.KMeans` and :class:`emlib.GaussianMixture` (``K = 2``). The reader moves
    one point; k-means gives it one cluster, the GMM responsibilities ``gamma_k``.

    Parameters
    ----------
    point : (float, float), default (0.0, 0.0)
        Where the point starts.
    n_samples : int, default 200
    seed : int, default 0
        Seed of the sample and of both fits.

    Attributes
    ----------
    X : numpy.ndarray of shape (N, 2)
    kmeans : emlib.KMeans
    gmm : emlib.GaussianMixture
    point : numpy.ndarray of shape (2,)
    """

    def __init__(self, point=(0.0, 0.0), *, n_samples: int = 200, seed: int = 0) -> None:
        truth = MixtureParams(
            BORDER_TRUTH["weights"],
            BORDER_TRUTH["means"],
            BORDER_TRUTH["variances"],
            "spherical",
        )
        self.X, _ = sample_mixture(truth, n_samples, random_state=seed)
        self.kmeans = KMeans(2, random_state=seed).fit(self.X)
        self.gmm = GaussianMixture(2, random_state=seed, n_init=3).fit(self.X)
        # Show both models with component 1 on the left.
        self._km_order = np.argsort(self.kmeans.cluster_centers_[:, 0])
        self._gm_order = np.argsort(self.gmm.means_[:, 0])
        self.start = np.asarray(point, dtype=np.float64)
        self.point = self.start.copy()
        self.move_to(*self.start)

    @property
    def centers(self) -> np.ndarray:
        """k-means centres, left one first."""
        return self.kmeans.cluster_centers_[self._km_order]

    @property
    def gmm_means(self) -> np.ndarray:
        return self.gmm.means_[self._gm_order]

    @property
    def gmm_covariances(self) -> np.ndarray:
        return self.gmm.params_.full_covariances()[self._gm_order]

    @property
    def gmm_params(self) -> MixtureParams:
        """The fitted GMM's parameters with component 1 on the left (as the bars show them)."""
        p = self.gmm.params_
        order = self._gm_order
        covariances = p.covariances if p.covariance_type == "tied" else p.covariances[order]
        return MixtureParams(p.weights[order], p.means[order], covariances, p.covariance_type)

    def move_to(self, x: float, y: float) -> None:
        """Put the point at ``(x, y)``.

        Raises
        ------
        ValueError
            If a coordinate is not a finite number.
        """
        point = np.array([x, y], dtype=np.float64)
        if not np.all(np.isfinite(point)):
            raise ValueError(f"the point's coordinates must be finite numbers; got ({x}, {y}).")
        self.point = point

    def reset(self) -> None:
        """Back to the starting position."""
        self.point = self.start.copy()

    @property
    def hard(self) -> np.ndarray:
        """k-means membership: 1 for the nearest centre, 0 for the other."""
        label = int(self.kmeans.predict(self.point[None])[0])
        out = np.zeros(2)
        out[int(np.flatnonzero(self._km_order == label)[0])] = 1.0
        return out

    @property
    def soft(self) -> np.ndarray:
        """GMM responsibilities ``gamma_k`` of the point (sum to 1)."""
        return self.gmm.predict_proba(self.point[None])[0][self._gm_order]

    def describe(self) -> str:
        hard = int(np.argmax(self.hard)) + 1
        g = self.soft
        return (
            f"Point at ({self.point[0]:.2f}, {self.point[1]:.2f}): k-means puts it in cluster "
            f"{hard} only; the GMM gives responsibilities gamma_1 = {g[0]:.2f} and "
            f"gamma_2 = {g[1]:.2f}."
        )


def _border_limits(state) -> tuple[tuple[float, float], tuple[float, float]]:
    """Limits that hold the data, the GMM's ellipses and the closed loops of its border.

    With unequal covariances the GMM border (responsibility 0.5) is a closed curve around
    the tighter cluster, which can reach past the data: the limits grow to hold it.
    """
    (x0, x1), (y0, y1) = data_limits(state.X, 0.05)
    boxes = []
    for mean, cov in zip(state.gmm_means, state.gmm_covariances, strict=True):
        half = N_STD * np.sqrt(np.diag(np.asarray(cov, float))[:2])
        boxes.append((np.asarray(mean, float)[:2] - half, np.asarray(mean, float)[:2] + half))
    wx, wy = x1 - x0, y1 - y0
    gx, gy = np.meshgrid(np.linspace(x0 - wx, x1 + wx, 240), np.linspace(y0 - wy, y1 + wy, 180))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    gamma = state.gmm.predict_proba(grid)[:, state._gm_order[0]].reshape(gx.shape)
    for line in contourpy.contour_generator(gx, gy, gamma).lines(0.5):
        if len(line) > 2 and np.allclose(line[0], line[-1]):  # a closed loop
            boxes.append((line.min(axis=0), line.max(axis=0)))
    lo = np.min([np.array([x0, y0]), *(b[0] for b in boxes)], axis=0)
    hi = np.max([np.array([x1, y1]), *(b[1] for b in boxes)], axis=0)
    pad = 0.03 * (hi - lo)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


class BorderPointView(LabView):
    """Left: the data, the GMM ellipses, both borders, the point; right: membership bars."""

    figsize = (7.6, 3.0)

    def _build(self, state) -> None:
        ax, ax_bar = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
        self.fig.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.88, wspace=0.22)
        colors = component_colors(2)
        xlim, ylim = _border_limits(state)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        style_axes(ax)
        ax.locator_params(nbins=5)
        ax.set_xlabel("x1", fontsize=8, labelpad=1)
        ax.set_ylabel("x2", fontsize=8, labelpad=1)
        ax.scatter(
            state.X[:, 0],
            state.X[:, 1],
            s=7,
            c=blend_colors(state.gmm.predict_proba(state.X)[:, state._gm_order]),
            linewidths=0,
            alpha=0.45,
        )
        for mean, cov, color in zip(state.gmm_means, state.gmm_covariances, colors, strict=True):
            ax.add_patch(covariance_ellipse(mean, cov, N_STD, edgecolor=color, linewidth=1.8))
        # Both borders from the fitted models' own predictions on a grid.
        gx, gy = np.meshgrid(np.linspace(*xlim, 160), np.linspace(*ylim, 120))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        gamma = state.gmm.predict_proba(grid)[:, state._gm_order[0]].reshape(gx.shape)
        # k-means' border: equal squared distance to both centres (a straight line).
        dist = squared_distances(grid, state.centers)
        ax.contour(
            gx,
            gy,
            (dist[:, 0] - dist[:, 1]).reshape(gx.shape),
            levels=[0.0],
            colors="black",
            linestyles="--",
            linewidths=1.2,
        )
        ax.contour(gx, gy, gamma, levels=[0.5], colors="black", linestyles="-", linewidths=1.2)
        ax.plot([], [], "k--", lw=1.2, label="k-means border")
        ax.plot([], [], "k-", lw=1.2, label=r"GMM border ($\gamma_k = 0.5$)")
        ax.scatter(
            *state.centers.T, marker="+", s=60, c="black", linewidths=1.5, label="k-means centres"
        )
        ax.legend(fontsize=6.5, loc="lower left", frameon=True, framealpha=0.85)
        self.point = ax.scatter(
            [0], [0], s=170, marker="*", c=[colors[0]], edgecolors="black", linewidths=1.2, zorder=5
        )
        self.title = ax.text(0, 1.02, "", transform=ax.transAxes, fontsize=8.5, va="bottom")
        self.renderer.add_animated(self.point, self.title)
        ax_bar.set_title("membership of the starred point", fontsize=8.5, loc="left")
        self.bars, self.texts = bar_panel(
            ax_bar,
            self.renderer,
            [0, 1, 2.6, 3.6],
            [colors[0], colors[1]] * 2,
            labels=["1", "2", "1", "2"],
            ylim=(0, 1.18),
        )
        ax_bar.text(
            0.5,
            -0.2,
            "k-means (hard)",
            ha="center",
            fontsize=8,
            transform=ax_bar.get_xaxis_transform(),
        )
        ax_bar.text(
            3.1,
            -0.2,
            r"GMM, $\gamma_k$ (soft)",
            ha="center",
            fontsize=8,
            transform=ax_bar.get_xaxis_transform(),
        )

    def update(self, state) -> None:
        soft = state.soft
        self.point.set_offsets(state.point[None])
        self.point.set_facecolor(blend_colors(soft[None]))
        set_bars(self.bars, self.texts, [*state.hard, *soft])
        self.title.set_text(f"point at ({state.point[0]:.2f}, {state.point[1]:.2f})")


def web_config(state: BorderPointState) -> dict:
    """What the website's live lab needs (plain JSON): the data, the fitted GMM (component 1
    on the left), the k-means centres, the starting point and a view wide enough to reach the
    GMM's second border far to the right of the tight cluster and the empty space above and
    below both clusters."""
    (x0, x1), (y0, y1) = data_limits(state.X, 0.05)
    gmm = state.gmm_params
    # The GMM's border gamma = 0.5 is a closed curve around the tight cluster; show all of it.
    gx = np.linspace(x0, x1 + 3 * (x1 - x0), 2000)
    g = e_step(np.column_stack([gx, np.full_like(gx, state.point[1])]), gmm)[0][:, 0]
    crossings = gx[1:][np.diff(np.sign(g - 0.5)) != 0]
    right = max(x1, float(crossings.max()) + 0.25 * (x1 - x0) / 2 if crossings.size else x1)
    pad = 0.15 * (y1 - y0)
    return {
        "X": state.X.tolist(),
        "reg_covar": float(state.gmm.reg_covar),
        "params": params_json(gmm),
        "kmeans_centers": state.centers.tolist(),
        "point": state.point.tolist(),
        "xlim": [x0, right],
        "ylim": [y0 - pad, y1 + pad],
    }


def draw_border_point(state: BorderPointState):
    """The border-point figure for ``state``."""
    return draw_state(BorderPointView, state)


_ALT = (
    "Left: two clusters, a broad one on the left and a tight one on the right, with the "
    "fitted Gaussian ellipses, the k-means border (dashed, halfway between the k-means "
    "centres) and the GMM border where gamma = 0.5 (solid, closer to the tight cluster); a "
    "star marks the point being moved. Right: bar charts of the point's membership: k-means "
    "gives 1 and 0, the GMM gives two responsibilities that sum to 1."
)


def border_point(point=(0.0, 0.0), *, seed: int = 0, mode: str | None = None):
    """The border-point lab: move a point between two clusters and compare k-means' hard
    membership with the GMM's responsibilities.

    Parameters
    ----------
    point : (float, float), default (0.0, 0.0)
        Starting position of the point.
    seed : int, default 0
        Seed of the data and the fits.
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = BorderPointState(point, seed=seed)
    title = "Border point: hard versus soft membership"
    if resolve_mode(mode) == "static":
        return web_lab(BorderPointView, state, title=title, alt=_ALT)
    from ._live import point_lab

    return point_lab(state, BorderPointView, title=title, limits=data_limits(state.X, 0.05))
