"""What every lab shares: the live/static switch, the web output, the view base class.

A lab is separate things:

* a **state** class (pure Python and numpy, no widgets): the reader's choices and what
  emlib computed from them, changed by methods such as ``e_step()`` or ``move_to(x, y)``;
* a **view** (:class:`LabView`): a matplotlib figure built once per state "shape" and
  updated in place from a state, so that a redraw reuses its artists;
* two front ends: a thin ipywidgets wrapper (:mod:`emlib.labs._live`) for Jupyter and
  Colab, and, for the website, :func:`web_lab`: the lab's ``web_config(state)`` (JSON for
  the browser lab in ``site/labs/<name>.js``, which computes with ``site/labs/emmath.js``)
  and a still image of the first state drawn by the view (see :mod:`emlib.labs._web`).

The same public call (e.g. ``emlib.labs.em_stepper()``) returns one front end or the other;
see :func:`resolve_mode`.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ..plotting import FigureRenderer, new_figure
from ._web import WebLab

#: The environment variable that switches every lab to its website output (a WebLab). The
#: book build sets ``EMLIB_LAB_MODE=static``; unset (or ``live``) gives the live widgets.
MODE_ENV = "EMLIB_LAB_MODE"
MODES = ("live", "static")


def resolve_mode(mode: str | None = None) -> str:
    """Decide whether a lab is live (widgets) or static (its website output, a WebLab).

    Parameters
    ----------
    mode : {"live", "static", "auto"} or None, default None
        ``"live"`` or ``"static"`` force the mode. ``None`` or ``"auto"`` read the
        environment variable ``EMLIB_LAB_MODE`` (``static`` during the book build), and
        fall back to ``"live"``.

    Returns
    -------
    str
        ``"live"`` or ``"static"``.

    Raises
    ------
    ValueError
        If ``mode`` (or the environment variable) is not one of the accepted values.
    """
    source = "mode"
    if mode is None or (isinstance(mode, str) and mode.strip().lower() == "auto"):
        env = os.environ.get(MODE_ENV, "").strip().lower()
        if not env or env == "auto":
            return "live"
        mode, source = env, f"the environment variable {MODE_ENV}"
    if not isinstance(mode, str) or mode.strip().lower() not in MODES:
        raise ValueError(
            f"{source} must be 'live', 'static' or 'auto'; got {mode!r}. Use 'live' for "
            "widgets in Jupyter or Colab, 'static' for the website's live lab (a WebLab)."
        )
    return mode.strip().lower()


# --------------------------------------------------------------------------- views
class LabView:
    """Base class of a lab's figure: built once, then updated in place from a state.

    Subclasses implement :meth:`_build` (create axes and artists, register the ones that
    change with ``self.renderer.add_animated``) and :meth:`update` (set their data from a
    state). :meth:`structure_key` says when the figure must be rebuilt instead (for example
    when the number of components changes).

    Parameters
    ----------
    state : object
        The lab's state.
    blit : bool, default False
        True for the live widget (only the animated artists are redrawn); False for
        :func:`draw_state` and the website's still image (full redraws, ``savefig`` works).
    """

    figsize: tuple[float, float] = (7.6, 3.1)
    #: Resolution of the live image (small: it is re-rendered on every interaction).
    dpi: float = 80

    def __init__(self, state: Any, *, blit: bool = False, dpi: float | None = None) -> None:
        self.fig = new_figure(self.figsize, self.dpi if dpi is None else dpi)
        self.renderer = FigureRenderer(self.fig, blit=blit)
        self.key = self.structure_key(state)
        self._build(state)

    @staticmethod
    def structure_key(state: Any) -> Any:
        """A value that changes when the figure needs a rebuild (default: never)."""
        return None

    def needs_rebuild(self, state: Any) -> bool:
        """Whether :meth:`update` cannot handle ``state`` and a new view is needed."""
        return self.structure_key(state) != self.key

    def rebuild(self, state: Any) -> None:
        """Clear the figure and build it again for ``state`` (same figure object)."""
        self.fig.clear()
        self.renderer = FigureRenderer(self.fig, blit=self.renderer.blit)
        self.key = self.structure_key(state)
        self._build(state)

    def _build(self, state: Any) -> None:
        raise NotImplementedError

    def update(self, state: Any) -> None:
        """Show ``state`` (set the artists' data; nothing is rendered yet)."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The current figure as PNG bytes."""
        return self.renderer.render_png()


def draw_state(view_cls: type[LabView], state: Any):
    """Build a full (non-blitting) view of ``state`` and return its figure."""
    view = view_cls(state, blit=False)
    view.update(state)
    return view.fig


# --------------------------------------------------------------------------- web
def lab_name(view_cls: type[LabView]) -> str:
    """The public name of a lab (its key in :data:`emlib.labs.LABS`): its module's name."""
    return view_cls.__module__.rsplit(".", 1)[-1].lstrip("_")


def has_web_version(view_cls: type[LabView]) -> bool:
    """Whether the lab of ``view_cls`` has a live website version (a ``web_config``)."""
    module = importlib.import_module(view_cls.__module__)
    return callable(getattr(module, "web_config", None))


def web_lab(view_cls: type[LabView], state: Any, *, title: str, alt: str) -> WebLab:
    """The static-mode output of a lab that runs live on the website.

    The lab's module provides ``web_config(state) -> dict`` (what the browser lab starts
    from); the still image is ``state`` drawn by ``view_cls`` (the lab's ``draw_<lab>``).

    Parameters
    ----------
    view_cls : type of LabView
        The lab's view; its module names the lab and provides ``web_config``.
    state : object
        The lab's first state (what the notebook cell starts from).
    title : str
        The lab's title.
    alt : str
        What the figure shows (``state.describe()`` is appended, if the state has one).

    Returns
    -------
    WebLab

    Raises
    ------
    ValueError
        If the lab's module has no ``web_config``.
    """
    if not has_web_version(view_cls):
        raise ValueError(
            f"the lab {lab_name(view_cls)!r} has no web_config(state) in "
            f"{view_cls.__module__}; write one (see site/labs/SPEC.md)."
        )
    config = importlib.import_module(view_cls.__module__).web_config(state)
    figure = draw_state(view_cls, state)
    return WebLab.from_state(lab_name(view_cls), state, config, figure, alt=alt, title=title)
