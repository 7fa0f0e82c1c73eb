"""Reusable pieces of lab figures: a data-and-ellipses panel, a growing curve, bars."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.ticker import MaxNLocator

from ..plotting import (
    NEUTRAL_COLOR,
    FigureRenderer,
    component_colors,
    covariance_ellipse,
    style_axes,
    update_ellipse,
)

N_STD = 2.0  # ellipses are drawn at Mahalanobis distance 2


def data_key(X: np.ndarray) -> tuple:
    """A hashable fingerprint of a data array (views rebuild when the data change)."""
    X = np.ascontiguousarray(X)
    return (X.shape, hash(X.tobytes()))


def params_json(params) -> dict:
    """``emlib.MixtureParams`` as plain JSON (emlib's names and shapes), for the website."""
    return {
        "weights": np.asarray(params.weights).tolist(),
        "means": np.asarray(params.means).tolist(),
        "covariances": np.asarray(params.covariances).tolist(),
        "covariance_type": params.covariance_type,
    }


def data_limits(
    X: np.ndarray, margin: float = 0.08
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits around 2-D data, with a margin (a fraction of the range)."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    lo, hi = lo - margin * span, hi + margin * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


class MixturePanel:
    """Scatter of the data coloured per point, one ellipse and one mean marker per component.

    Everything that changes (point colours, ellipses, means, the title line) is registered
    as animated with the renderer. The axes hold the data; when an ellipse reaches past
    them (wide starting covariances), they grow to hold it too, and shrink back when it no
    longer needs the room: nothing a panel draws is cut off by its axes.
    """

    #: Room left around an ellipse that sets the limits (fraction of the axis range).
    ELLIPSE_MARGIN = 0.03

    def __init__(
        self,
        ax: Axes,
        renderer: FigureRenderer,
        X: np.ndarray,
        n_components: int,
        *,
        feature_names: Sequence[str] = ("x1", "x2"),
        point_size: float = 9.0,
        limits=None,
        title: str = "",
        show_ellipses: bool = True,
    ) -> None:
        self.ax = ax
        self.X = X
        self.renderer = renderer
        self.colors = component_colors(n_components)
        xlim, ylim = limits if limits is not None else data_limits(X)
        self.base_limits = (tuple(xlim), tuple(ylim))
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel(feature_names[0], fontsize=8, labelpad=1)
        ax.set_ylabel(feature_names[1], fontsize=8, labelpad=1)
        style_axes(ax)
        ax.locator_params(nbins=5)
        self.neutral = np.tile(to_rgb(NEUTRAL_COLOR), (len(X), 1))
        self.scatter = ax.scatter(
            X[:, 0], X[:, 1], s=point_size, c=self.neutral, linewidths=0, alpha=0.85
        )
        self.ellipses = [
            ax.add_patch(covariance_ellipse((0, 0), np.eye(2), N_STD, edgecolor=c, linewidth=2.0))
            for c in (self.colors if show_ellipses else [])
        ]
        self.halo = ax.scatter(
            np.zeros(n_components),
            np.zeros(n_components),
            s=70,
            c="white",
            marker="o",
            linewidths=0,
        )
        self.means = ax.scatter(
            np.zeros(n_components),
            np.zeros(n_components),
            s=38,
            c=self.colors,
            marker="X",
            edgecolors="black",
            linewidths=0.7,
        )
        self.title = ax.text(
            0.0, 1.02, title, transform=ax.transAxes, fontsize=8.5, ha="left", va="bottom"
        )
        renderer.add_animated(self.scatter, *self.ellipses, self.halo, self.means, self.title)

    def update(
        self, params=None, point_colors=None, title: str | None = None, *, means=None
    ) -> None:
        """Show ``params`` (None hides ellipses and means) and per-point RGB colours.

        ``params`` may have fewer components than the panel was built for; the extra
        ellipses are hidden. A panel without ellipses can be given ``means`` alone.
        """
        self.scatter.set_facecolor(self.neutral if point_colors is None else point_colors)
        if params is not None:
            means = params.means
        k = 0 if means is None else len(means)
        if k > len(self.colors):
            raise ValueError(f"this panel shows at most {len(self.colors)} components; got {k}.")
        self.means.set_visible(k > 0)
        self.halo.set_visible(k > 0)
        if k:
            if self.ellipses and params is not None:
                covs = params.full_covariances()
                for ellipse, mean, cov in zip(self.ellipses, means, covs, strict=False):
                    update_ellipse(ellipse, mean, cov, N_STD)
            self.means.set_offsets(means)
            self.means.set_facecolor(self.colors[:k])
            self.halo.set_offsets(means)
        for j, ellipse in enumerate(self.ellipses):
            ellipse.set_visible(j < k and params is not None)
        if title is not None:
            self.title.set_text(title)
        self._fit_limits(params if k and self.ellipses else None)

    def _fit_limits(self, params) -> None:
        """Limits that hold the data and every ellipse shown (redraw the axes if they change)."""
        (x0, x1), (y0, y1) = self.base_limits
        if params is not None:
            means = np.asarray(params.means, float)[:, :2]
            covs = np.asarray(params.full_covariances(), float)[:, :2, :2]
            half = N_STD * np.sqrt(np.maximum(np.diagonal(covs, axis1=1, axis2=2), 0.0))
            lo, hi = (means - half).min(axis=0), (means + half).max(axis=0)
            if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
                pad = self.ELLIPSE_MARGIN * np.maximum(
                    np.array([x1 - x0, y1 - y0]), hi - lo
                )
                x0, y0 = min(x0, float(lo[0] - pad[0])), min(y0, float(lo[1] - pad[1]))
                x1, y1 = max(x1, float(hi[0] + pad[0])), max(y1, float(hi[1] + pad[1]))
        limits = ((x0, x1), (y0, y1))
        if limits != (self.ax.get_xlim(), self.ax.get_ylim()):
            self.ax.set_xlim(x0, x1)
            self.ax.set_ylim(y0, y1)
            self.renderer.invalidate()


def _nice_ceiling(value: float) -> float:
    """The smallest of 5, 10, 20, 50, 100, ... that is >= value."""
    for exponent in range(8):
        for mantissa in (1, 2, 5):
            top = float(mantissa * 10**exponent)
            if top >= max(value, 5.0):
                return top
    return float(value)


class CurvePanel:
    """Lines that grow step by step (e.g. log-likelihood against iteration).

    The axis limits only change when the data leave them (then the renderer redraws the
    ticks), so most updates redraw the lines alone. ``headroom`` is the room left below
    and above the data, as fractions of their range, when the limits do change.
    """

    def __init__(
        self,
        ax: Axes,
        renderer: FigureRenderer,
        *,
        xlabel: str,
        ylabel: str,
        styles: Sequence[dict],
        min_xmax: float = 5.0,
        xlim: tuple[float, float] | None = None,
        legend: bool = False,
        headroom: tuple[float, float] = (0.08, 0.2),
    ) -> None:
        self.ax = ax
        self.headroom = headroom
        self.renderer = renderer
        self.min_xmax = min_xmax
        self.fixed_xlim = xlim
        style_axes(ax)
        ax.set_xlabel(xlabel, fontsize=8, labelpad=1)
        ax.set_ylabel(ylabel, fontsize=8, labelpad=1)
        ax.grid(True, color="#dddddd", linewidth=0.6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        self.lines = [ax.plot([], [], **style)[0] for style in styles]
        if legend:
            # A legend of the (animated) lines drawn from proxies, so it stays static.
            proxies = [ax.plot([], [], **{**style, "visible": True})[0] for style in styles]
            ax.legend(handles=proxies, fontsize=7, loc="lower right", frameon=False)
            for proxy in proxies:
                proxy.set_visible(False)
        renderer.add_animated(*self.lines)
        ax.set_xlim(*self._padded(xlim or (0, min_xmax)))
        ax.set_ylim(0, 1)
        self._limits = None

    #: Room on each side of the x range (fraction): the first and last markers stay whole.
    X_MARGIN = 0.04

    def _padded(self, xlim: tuple[float, float]) -> tuple[float, float]:
        pad = self.X_MARGIN * (xlim[1] - xlim[0])
        return (float(xlim[0] - pad), float(xlim[1] + pad))

    def set_data(self, index: int, x, y) -> None:
        self.lines[index].set_data(np.asarray(x, float), np.asarray(y, float))

    def rescale(self) -> None:
        """Fit the limits to the data (only if needed; then a full redraw is scheduled)."""
        xs = [np.asarray(line.get_xdata(), float) for line in self.lines]
        ys = [np.asarray(line.get_ydata(), float) for line in self.lines]
        ys = np.concatenate([y[np.isfinite(y)] for y in ys]) if ys else np.array([])
        xs = np.concatenate([x[np.isfinite(x)] for x in xs]) if xs else np.array([])
        if self.fixed_xlim is not None:
            xlim = self.fixed_xlim
        else:
            xmax = float(xs.max()) if xs.size else 0.0
            xlim = (0.0, _nice_ceiling(max(self.min_xmax, xmax)))
        xlim = self._padded(xlim)
        if ys.size:
            lo, hi = float(ys.min()), float(ys.max())
        else:
            lo, hi = 0.0, 1.0
        span = hi - lo if hi > lo else max(1.0, abs(hi) * 0.05)
        current = self._limits
        if current is not None:
            # Keep the limits while the data stay inside and still fill a fair part of
            # them: then only the lines are redrawn, not the ticks.
            (cx0, cx1), (cy0, cy1) = current
            inside = cx0 <= xlim[0] and xlim[1] <= cx1 and cy0 <= lo and hi <= cy1
            tight = (cy1 - cy0) <= 3.0 * span and (cx1 - cx0) <= 2.5 * (xlim[1] - xlim[0])
            if inside and tight:
                return
        # Room to grow (by default above: most curves here climb).
        lo, hi = lo - self.headroom[0] * span, hi + self.headroom[1] * span
        if not (math.isfinite(lo) and math.isfinite(hi)):
            lo, hi = -1.0, 1.0
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(lo, hi)
        self._limits = (tuple(xlim), (lo, hi))
        self.renderer.invalidate()


def bar_panel(
    ax: Axes,
    renderer: FigureRenderer,
    positions: Sequence[float],
    colors,
    *,
    width: float = 0.7,
    ylim: tuple[float, float] = (0.0, 1.05),
    labels: Sequence[str] | None = None,
    ylabel: str = "",
    value_labels: bool = True,
):
    """Bars whose heights change (animated), with optional value labels above them."""
    style_axes(ax)
    bars = ax.bar(
        positions,
        np.zeros(len(positions)),
        width=width,
        color=colors,
        edgecolor="black",
        linewidth=0.6,
    )
    ax.set_ylim(*ylim)
    if labels is not None:
        ax.set_xticks(list(positions))
        ax.set_xticklabels(labels, fontsize=8)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8, labelpad=1)
    texts = []
    if value_labels:
        texts = [ax.text(x, 0, "", ha="center", va="bottom", fontsize=7.5) for x in positions]
    renderer.add_animated(*bars.patches, *texts)
    return list(bars.patches), texts


def set_bars(bars, texts, heights, fmt: str = "{:.2f}") -> None:
    """Set bar heights and their value labels."""
    for i, (bar, h) in enumerate(zip(bars, heights, strict=True)):
        bar.set_height(float(h))
        if texts:
            texts[i].set_y(float(h) + 0.02)
            texts[i].set_text(fmt.format(h))
