"""Shared matplotlib helpers for the course's figures and widget labs.

Everything here draws on a :class:`matplotlib.figure.Figure` made by :func:`new_figure`,
which is *not* registered with pyplot: such a figure is never shown twice by Jupyter's or
Colab's inline backend, and it needs no ``plt.close``. Chapters that use pyplot can still
call the ellipse and colour helpers on their own axes.

Colours come from the Okabe-Ito palette (Okabe and Ito, *Color Universal Design*, 2008),
which stays distinguishable under the common forms of colour-vision deficiency.

Notation (the course's notation table): ``K`` components, ``N`` samples, weights ``pi_k``,
means ``mu_k``, covariances ``Sigma_k``, responsibilities ``gamma_ik`` (``resp`` in code),
log-likelihood ``log p(X)``. :data:`LABELS` holds the matching matplotlib math labels.
"""

from __future__ import annotations

import io
import re

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse
from PIL import Image

__all__ = [
    "COMPONENT_COLORS",
    "LABELS",
    "MAX_COMPONENTS",
    "NEUTRAL_COLOR",
    "OKABE_ITO",
    "FigureRenderer",
    "alt_text",
    "blend_colors",
    "component_colors",
    "covariance_ellipse",
    "ellipse_geometry",
    "new_figure",
    "plot_mixture_ellipses",
    "style_axes",
    "update_ellipse",
]

#: The eight Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colours of components 1, 2, ..., in this order (the first three are the most distinct).
COMPONENT_COLORS: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["yellow"],
    OKABE_ITO["black"],
)

#: The largest ``K`` that has its own colour.
MAX_COMPONENTS = len(COMPONENT_COLORS)

#: Points that have no responsibilities yet (before the first E-step).
NEUTRAL_COLOR = "#8C8C8C"

#: Axis and legend labels in the course's notation.
LABELS: dict[str, str] = {
    "weights": r"$\pi_k$",
    "means": r"$\mu_k$",
    "covariances": r"$\Sigma_k$",
    "resp": r"$\gamma_{ik}$",
    "loglik": r"$\log p(X)$",
    "elbo": r"ELBO$(q, \theta)$",
    "kl": r"KL$(q \,\|\, p(z \mid x))$",
}


# --------------------------------------------------------------------------- colours
def component_colors(n_components: int) -> np.ndarray:
    """RGB colours (rows in ``[0, 1]``) of the first ``n_components`` components.

    Parameters
    ----------
    n_components : int
        Number of components ``K``, at most :data:`MAX_COMPONENTS`.

    Returns
    -------
    numpy.ndarray of shape (K, 3)

    Raises
    ------
    ValueError
        If ``n_components`` is not between 1 and :data:`MAX_COMPONENTS`.
    """
    if isinstance(n_components, bool) or int(n_components) != n_components:
        raise ValueError(f"n_components must be an integer; got {n_components!r}.")
    n_components = int(n_components)
    if not 1 <= n_components <= MAX_COMPONENTS:
        raise ValueError(
            f"n_components must be between 1 and {MAX_COMPONENTS} (the colour-blind-safe "
            f"palette has {MAX_COMPONENTS} colours); got {n_components}."
        )
    return np.array([to_rgb(c) for c in COMPONENT_COLORS[:n_components]])


def blend_colors(resp, colors=None) -> np.ndarray:
    """Colour each sample by its responsibilities: ``sum_k gamma_ik * colour_k``.

    A point that belongs to one component gets that component's colour; a point shared
    between components gets a mixture of their colours (for two strong colours, a muddy
    one), which is what "soft membership" looks like.

    Parameters
    ----------
    resp : array_like of shape (N, K)
        Responsibilities ``gamma_ik``; non-negative, each row summing to 1.
    colors : array_like of shape (K, 3), optional
        RGB colours; by default :func:`component_colors`.

    Returns
    -------
    numpy.ndarray of shape (N, 3)

    Raises
    ------
    ValueError
        If ``resp`` is not a finite, non-negative 2-D array whose rows sum to 1, or if
        ``colors`` does not have one row per component.
    """
    resp = np.asarray(resp, dtype=np.float64)
    if resp.ndim == 1:
        resp = resp[np.newaxis]
    if resp.ndim != 2:
        raise ValueError(f"resp must have shape (N, K); got shape {resp.shape}.")
    if not np.all(np.isfinite(resp)) or np.any(resp < 0):
        raise ValueError("resp must be finite and non-negative (responsibilities gamma_ik).")
    if resp.size and not np.allclose(resp.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError(
            "each row of resp must sum to 1 (the responsibilities of one sample); "
            "use the resp returned by emlib.e_step."
        )
    colors = component_colors(resp.shape[1]) if colors is None else np.asarray(colors, float)
    if colors.shape != (resp.shape[1], 3):
        raise ValueError(
            f"colors must have shape ({resp.shape[1]}, 3), one RGB row per component; "
            f"got {colors.shape}."
        )
    return np.clip(resp @ colors, 0.0, 1.0)


# --------------------------------------------------------------------------- ellipses
def ellipse_geometry(cov, n_std: float = 2.0) -> tuple[float, float, float]:
    """Width, height and angle (degrees) of the ``n_std`` contour of a 2-D Gaussian.

    The ellipse ``(x - mu)^T Sigma^{-1} (x - mu) = n_std^2`` has semi-axes
    ``n_std * sqrt(lambda_j)`` along the eigenvectors of ``Sigma``.

    Parameters
    ----------
    cov : array_like of shape (2, 2)
        A symmetric covariance matrix.
    n_std : float, default=2.0
        Mahalanobis radius of the contour.

    Returns
    -------
    width, height, angle : float
        Full axis lengths, and the angle of the first axis in degrees (matplotlib's
        :class:`~matplotlib.patches.Ellipse` convention).

    Raises
    ------
    ValueError
        If ``cov`` is not a finite 2 x 2 matrix or ``n_std`` is not positive.
    """
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (2, 2) or not np.all(np.isfinite(cov)):
        raise ValueError(f"cov must be a finite 2 x 2 matrix; got shape {cov.shape}.")
    if not n_std > 0:
        raise ValueError(f"n_std must be positive; got {n_std}.")
    eigvals, eigvecs = np.linalg.eigh(0.5 * (cov + cov.T))
    eigvals = np.clip(eigvals, 0.0, None)
    major = eigvecs[:, 1]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    width, height = 2.0 * n_std * np.sqrt(eigvals[::-1])
    return float(width), float(height), angle


def covariance_ellipse(mean, cov, n_std: float = 2.0, **kwargs) -> Ellipse:
    """An unfilled :class:`~matplotlib.patches.Ellipse` at the ``n_std`` contour.

    Parameters
    ----------
    mean : array_like of shape (2,)
    cov : array_like of shape (2, 2)
    n_std : float, default=2.0
    **kwargs
        Passed to :class:`~matplotlib.patches.Ellipse` (``fill=False`` unless given).

    Returns
    -------
    matplotlib.patches.Ellipse
    """
    width, height, angle = ellipse_geometry(cov, n_std)
    kwargs.setdefault("fill", False)
    return Ellipse(tuple(np.asarray(mean, float)[:2]), width, height, angle=angle, **kwargs)


def update_ellipse(ellipse: Ellipse, mean, cov, n_std: float = 2.0) -> None:
    """Move and reshape an existing ellipse (cheaper than drawing a new one)."""
    width, height, angle = ellipse_geometry(cov, n_std)
    ellipse.set_center(tuple(np.asarray(mean, float)[:2]))
    ellipse.set_width(width)
    ellipse.set_height(height)
    ellipse.set_angle(angle)


def _mixture_2d(params, dims: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    means = np.asarray(params.means)
    if means.ndim != 2 or means.shape[1] < 2:
        raise ValueError("ellipses need at least 2 features; for 1-D data plot densities instead.")
    idx = np.array(dims)
    covs = params.full_covariances()[:, idx[:, None], idx[None, :]]
    return means[:, idx], covs


def plot_mixture_ellipses(
    ax: Axes,
    params,
    n_std: float = 2.0,
    colors=None,
    dims: tuple[int, int] = (0, 1),
    **kwargs,
) -> list[Ellipse]:
    """Draw one ``n_std`` ellipse per component of a mixture (any covariance type).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    params : emlib.MixtureParams
        The mixture; its ``full_covariances()`` are used, so every covariance type works.
    n_std : float, default=2.0
        Mahalanobis radius of the contour.
    colors : array_like of shape (K, 3), optional
        By default :func:`component_colors`.
    dims : tuple of int, default=(0, 1)
        Which two features to draw.
    **kwargs
        Passed to each ellipse (default line width 2).

    Returns
    -------
    list of matplotlib.patches.Ellipse
    """
    means, covs = _mixture_2d(params, dims)
    colors = component_colors(len(means)) if colors is None else np.asarray(colors)
    kwargs.setdefault("linewidth", 2.0)
    out = []
    for mean, cov, color in zip(means, covs, colors, strict=True):
        out.append(ax.add_patch(covariance_ellipse(mean, cov, n_std, edgecolor=color, **kwargs)))
    return out


# --------------------------------------------------------------------------- figures
def new_figure(figsize: tuple[float, float] = (7.2, 3.0), dpi: float = 80) -> Figure:
    """A figure with its own Agg canvas, outside pyplot.

    Jupyter and Colab display pyplot figures automatically at the end of a cell; a figure
    made here is shown only when you ask (or when a lab turns it into an image), so labs
    that redraw do not stack copies of the figure. It needs no ``plt.close``.
    """
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def style_axes(ax: Axes, *, ticks: bool = True) -> None:
    """The course's quiet axis style: thin grey spines, small ticks, no top/right spine."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#555555")
        ax.spines[side].set_linewidth(0.8)
    ax.tick_params(labelsize=7, length=2.5, color="#555555")
    if not ticks:
        ax.set_xticks([])
        ax.set_yticks([])


def _encode_png(rgba: np.ndarray, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3])).save(
        buffer, format="png", compress_level=compress_level
    )
    return buffer.getvalue()


class FigureRenderer:
    """Renders a figure again and again, redrawing only what changed (blitting).

    The parts of the figure that do not change between interactions (axes, ticks,
    labels, fixed backgrounds) are drawn once and kept as a bitmap; each new frame
    restores that bitmap and draws only the *animated* artists on top. This is what keeps
    a lab's redraw well under 30 ms. Call :meth:`invalidate` after changing anything that
    is not animated (for example an axis limit).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A figure from :func:`new_figure`.
    blit : bool, default=True
        With False, every render is a full redraw and no artist is marked animated (use
        this when the figure will also be saved with ``savefig``, which skips animated
        artists).
    compress_level : int, default=1
        zlib level of the PNG (1 is fast; the live image is not stored anywhere).
    """

    def __init__(self, fig: Figure, *, blit: bool = True, compress_level: int = 1) -> None:
        self.fig = fig
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)
        self.blit = bool(blit)
        self.compress_level = int(compress_level)
        self._animated: list[Artist] = []
        self._background = None

    def add_animated(self, *artists: Artist) -> None:
        """Declare artists that change from frame to frame (drawn in this order)."""
        for artist in artists:
            if self.blit:
                artist.set_animated(True)
            self._animated.append(artist)
        self._background = None

    def remove_animated(self, *artists: Artist) -> None:
        """Forget artists declared with :meth:`add_animated` (e.g. before removing them)."""
        for artist in artists:
            if artist in self._animated:
                self._animated.remove(artist)
        self._background = None

    def invalidate(self) -> None:
        """Force a full redraw at the next :meth:`render_png`."""
        self._background = None

    def render_rgba(self) -> np.ndarray:
        """The current frame as an ``(height, width, 4)`` uint8 array."""
        canvas = self.fig.canvas
        if not self.blit:
            canvas.draw()
            return np.asarray(canvas.buffer_rgba())
        if self._background is None:
            canvas.draw()  # animated artists are skipped by a full draw
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return np.asarray(canvas.buffer_rgba())

    def render_png(self) -> bytes:
        """The current frame as PNG bytes."""
        return _encode_png(self.render_rgba(), self.compress_level)


# --------------------------------------------------------------------------- alt text
def alt_text(*parts: str, max_length: int = 600) -> str:
    """Join sentences into one alt text: single spaces, no markup, at most ``max_length``.

    Screen readers read alt text in one go, so it should be plain, short prose; longer
    descriptions belong in a caption or a ``<details>`` block next to the figure.

    Raises
    ------
    ValueError
        If the text is empty.
    """
    text = " ".join(str(p).strip() for p in parts if p and str(p).strip())
    text = re.sub(r"\$([^$]*)\$", r"\1", text)  # drop TeX dollars: "$\pi_k$" -> "\pi_k"
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)  # "\pi_k" -> "pi_k"
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValueError("alt text is empty; describe what the figure shows.")
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text
