"""Lab 3, responsibilities: move a query point over three fixed Gaussians."""

from __future__ import annotations

import numpy as np

from .. import MixtureParams, component_log_densities, e_step
from ..plotting import blend_colors, component_colors, covariance_ellipse, style_axes
from ._framework import LabView, draw_state, resolve_mode, web_lab
from ._panels import N_STD, bar_panel, params_json, set_bars

#: Three fixed components: pi_k, mu_k and Sigma_k.
RESPONSIBILITY_MIXTURE = dict(
    weights=[0.45, 0.35, 0.20],
    means=[[-2.0, -0.5], [2.0, -0.5], [0.0, 2.2]],
    covariances=[
        [[1.2, 0.4], [0.4, 0.8]],
        [[0.6, -0.2], [-0.2, 1.0]],
        [[1.5, 0.0], [0.0, 0.3]],
    ],
)


def mixture_limits(params: MixtureParams, n_std: float = 3.0):
    """Axis limits that hold every component's ``n_std`` ellipse."""
    std = np.sqrt(np.diagonal(params.full_covariances(), axis1=1, axis2=2))
    lo = (params.means - n_std * std).min(axis=0)
    hi = (params.means + n_std * std).max(axis=0)
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


class ResponsibilitiesState:
    """State of the responsibilities lab (no widgets).

    Parameters
    ----------
    point : (float, float), default (0.0, 0.5)
        The query point ``x``.
    params : emlib.MixtureParams, optional
        A 2-D mixture (at most 8 components); by default three fixed Gaussians.

    Attributes
    ----------
    params : emlib.MixtureParams
    point : numpy.ndarray of shape (2,)
    """

    def __init__(self, point=(0.0, 0.5), *, params: MixtureParams | None = None) -> None:
        if params is None:
            params = MixtureParams(
                RESPONSIBILITY_MIXTURE["weights"],
                RESPONSIBILITY_MIXTURE["means"],
                RESPONSIBILITY_MIXTURE["covariances"],
                "full",
            )
        if not isinstance(params, MixtureParams) or params.n_features != 2:
            raise ValueError("params must be a 2-D emlib.MixtureParams.")
        component_colors(params.n_components)  # checks K <= 8
        self.params = params
        self.start = np.asarray(point, dtype=np.float64)
        self.point = self.start.copy()
        self.move_to(*self.start)

    def move_to(self, x: float, y: float) -> None:
        """Put the query point at ``(x, y)``.

        Raises
        ------
        ValueError
            If a coordinate is not a finite number.
        """
        point = np.array([x, y], dtype=np.float64)
        if not np.all(np.isfinite(point)):
            raise ValueError(f"the point's coordinates must be finite numbers; got ({x}, {y}).")
        self.point = point
        resp, _ = e_step(point[None], self.params)
        self.resp = resp[0]
        #: ``pi_k N(x | mu_k, Sigma_k)``, the numerators of Bayes' rule.
        self.joint = self.params.weights * np.exp(
            component_log_densities(point[None], self.params)[0]
        )

    def reset(self) -> None:
        self.move_to(*self.start)

    def describe(self) -> str:
        parts = ", ".join(f"gamma_{k + 1} = {g:.2f}" for k, g in enumerate(self.resp))
        return f"Query point x = ({self.point[0]:.2f}, {self.point[1]:.2f}): {parts}."


class ResponsibilitiesView(LabView):
    """Left: the components (ellipses), a background coloured by the blend of
    responsibilities everywhere, the query point; right: its responsibilities."""

    figsize = (7.6, 3.0)

    @staticmethod
    def structure_key(state):
        return (state.params.n_components, mixture_limits(state.params))

    def _build(self, state) -> None:
        k = state.params.n_components
        colors = component_colors(k)
        ax, ax_bar = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1]})
        self.fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.86, wspace=0.22)
        (x0, x1), (y0, y1) = mixture_limits(state.params)
        gx, gy = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 110))
        resp, _ = e_step(np.column_stack([gx.ravel(), gy.ravel()]), state.params)
        field = blend_colors(resp).reshape(*gx.shape, 3)
        ax.imshow(
            0.55 + 0.45 * field,
            origin="lower",
            extent=(x0, x1, y0, y1),
            aspect="auto",
            interpolation="bilinear",
        )
        for mean, cov, color in zip(
            state.params.means, state.params.full_covariances(), colors, strict=True
        ):
            ax.add_patch(covariance_ellipse(mean, cov, N_STD, edgecolor=color, linewidth=2))
        ax.scatter(
            *state.params.means.T, marker="X", s=40, c=colors, edgecolors="black", linewidths=0.7
        )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        style_axes(ax)
        ax.set_xlabel("x1", fontsize=8, labelpad=1)
        ax.set_ylabel("x2", fontsize=8, labelpad=1)
        self.point = ax.scatter(
            [0], [0], s=150, marker="o", c=[colors[0]], edgecolors="black", linewidths=1.8, zorder=5
        )
        self.title = ax.text(0, 1.02, "", transform=ax.transAxes, fontsize=8.5, va="bottom")
        self.renderer.add_animated(self.point, self.title)
        ax_bar.set_title(r"responsibilities $\gamma_k(x)$", fontsize=8.5, loc="left")
        self.bars, self.texts = bar_panel(
            ax_bar,
            self.renderer,
            list(range(k)),
            colors,
            labels=[f"k = {j + 1}" for j in range(k)],
            ylim=(0, 1.15),
        )

    def update(self, state) -> None:
        self.point.set_offsets(state.point[None])
        self.point.set_facecolor(blend_colors(state.resp[None]))
        set_bars(self.bars, self.texts, state.resp)
        self.title.set_text(f"x = ({state.point[0]:.2f}, {state.point[1]:.2f})")


def web_config(state: ResponsibilitiesState) -> dict:
    """What the website's live lab needs (plain JSON): the fixed mixture, the starting
    query point, and a view half as wide again on every side as the components' 3-sigma
    box, so the reader can take the point far from all of them."""
    (x0, x1), (y0, y1) = mixture_limits(state.params)
    px, py = 0.5 * (x1 - x0), 0.5 * (y1 - y0)
    return {
        "params": params_json(state.params),
        "point": state.point.tolist(),
        "xlim": [x0 - px, x1 + px],
        "ylim": [y0 - py, y1 + py],
    }


def draw_responsibilities(state: ResponsibilitiesState):
    """The responsibilities figure for ``state``."""
    return draw_state(ResponsibilitiesView, state)


_ALT = (
    "Left: three Gaussian components drawn as coloured ellipses over a background whose "
    "colour at every place is the blend of the three component colours weighted by the "
    "responsibilities there; a large circle is the query point, filled with its own blend. "
    "Right: a bar chart of the query point's responsibilities gamma_1, gamma_2, gamma_3, "
    "which sum to 1."
)


def responsibilities(point=(0.0, 0.5), *, params=None, mode: str | None = None):
    """The responsibilities lab: move a query point over fixed Gaussians; bars show its
    responsibilities ``gamma_k(x) = pi_k N(x | mu_k, Sigma_k) / sum_j pi_j N(x | mu_j,
    Sigma_j)`` and the point is coloured by their blend.

    Parameters
    ----------
    point : (float, float), default (0.0, 0.5)
    params : emlib.MixtureParams, optional
        Another 2-D mixture to explore (default: three fixed Gaussians).
    mode : {"live", "static", "auto"} or None
        See :func:`emlib.labs.resolve_mode`.

    Returns
    -------
    LabWidget or WebLab
    """
    state = ResponsibilitiesState(point, params=params)
    title = "Responsibilities of a query point"
    if resolve_mode(mode) == "static":
        return web_lab(ResponsibilitiesView, state, title=title, alt=_ALT)
    from ._live import point_lab

    return point_lab(state, ResponsibilitiesView, title=title, limits=mixture_limits(state.params))
