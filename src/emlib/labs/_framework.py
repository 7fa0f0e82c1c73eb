"""What every lab shares: the live/static switch, the static player, the view base class.

A lab is three separate things:

* a **state** class (pure Python and numpy, no widgets): the reader's choices and what
  emlib computed from them, changed by methods such as ``e_step()`` or ``move_to(x, y)``;
* a **view** (:class:`LabView`): a matplotlib figure built once per state "shape" and
  updated in place from a state, so that a redraw reuses its artists;
* two front ends: a thin ipywidgets wrapper (:mod:`emlib.labs._live`), and a static
  player of precomputed frames (:func:`static_lab`) for the website, where no kernel runs.

The same public call (e.g. ``emlib.labs.em_stepper()``) returns one front end or the other;
see :func:`resolve_mode`.
"""

from __future__ import annotations

import base64
import copy
import html
import importlib
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np
from matplotlib.animation import FuncAnimation, HTMLWriter
from PIL import Image

from ..plotting import FigureRenderer, alt_text, new_figure
from ._web import WebLab

#: The environment variable that switches every lab to its static player. The book build
#: sets ``EMLIB_LAB_MODE=static``; unset (or ``live``) gives the live widgets.
MODE_ENV = "EMLIB_LAB_MODE"
MODES = ("live", "static")

#: Upper bound for one lab's static HTML (bytes). A chapter page embeds one or two labs
#: and must stay under 3 MB in total.
MAX_STATIC_BYTES = 1_000_000

#: Shown under every static player.
LIVE_NOTE = (
    "This is a recording of the lab, with a few precomputed frames. In Jupyter or Colab the "
    "same cell gives the live lab, where you make the choices: open this page in Colab with "
    "the launch (rocket) button at the top and run the cells."
)


def resolve_mode(mode: str | None = None) -> str:
    """Decide whether a lab is live (widgets) or static (precomputed animation).

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
            "widgets in Jupyter or Colab, 'static' for a precomputed animation (the website)."
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
        :func:`draw`-style use and the static player (full redraws, ``savefig`` works).
    """

    figsize: tuple[float, float] = (7.6, 3.1)
    #: Resolution of the live image (small: it is re-rendered on every interaction).
    dpi: float = 80
    #: Resolution of the static player's frames (rendered once, at build time).
    static_dpi: float = 100

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


# --------------------------------------------------------------------------- static
class StaticLab:
    """A lab as a self-contained HTML player of precomputed frames (for the website).

    Displaying it in Jupyter (or in a Jupyter Book page) shows the player: play, pause,
    step, a slider, a caption that follows the frame, alt text on the image, and a text
    description of every frame. Nothing is loaded from a CDN.

    Attributes
    ----------
    html : str
        The HTML.
    title : str
    alt : str
        Alt text of the image.
    captions : list of str
        One caption per frame.
    """

    def __init__(self, html_text: str, *, title: str, alt: str, captions: Sequence[str]) -> None:
        self.html = html_text
        self.title = title
        self.alt = alt
        self.captions = list(captions)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return len(self.captions)

    @property
    def nbytes(self) -> int:
        """Size of the HTML in bytes (UTF-8): what it adds to a page."""
        return len(self.html.encode("utf-8"))

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return (
            f"<StaticLab {self.title!r}: {self.n_frames} frames, {self.nbytes / 1e3:.0f} kB. "
            "Display it in a notebook to see the player.>"
        )


# Matplotlib's player asks a CDN for Font Awesome icons; the book must work offline, so the
# icons are replaced by small inline SVGs (the buttons keep their title and aria-label).
def _svg(body: str) -> str:
    return (
        '<svg width="12" height="12" viewBox="0 0 12 12" fill="currentColor" '
        f'aria-hidden="true" focusable="false">{body}</svg>'
    )


_ICONS = {
    "fa fa-minus": _svg('<rect x="2" y="5.25" width="8" height="1.5"/>'),
    "fa fa-fast-backward": _svg(
        '<rect x="0.5" y="2" width="1.3" height="8"/><polygon points="6.5,2 1.5,6 6.5,10"/>'
        '<polygon points="11,2 6,6 11,10"/>'
    ),
    "fa fa-step-backward": _svg(
        '<rect x="2" y="2" width="1.5" height="8"/><polygon points="10,2 4,6 10,10"/>'
    ),
    "fa fa-play fa-flip-horizontal": _svg('<polygon points="9,2 2,6 9,10"/>'),
    "fa fa-pause": _svg(
        '<rect x="3" y="2" width="2" height="8"/><rect x="7" y="2" width="2" height="8"/>'
    ),
    "fa fa-play": _svg('<polygon points="3,2 10,6 3,10"/>'),
    "fa fa-step-forward": _svg(
        '<polygon points="2,2 8,6 2,10"/><rect x="8.5" y="2" width="1.5" height="8"/>'
    ),
    "fa fa-fast-forward": _svg(
        '<polygon points="1,2 6,6 1,10"/><polygon points="5.5,2 10.5,6 5.5,10"/>'
        '<rect x="10.2" y="2" width="1.3" height="8"/>'
    ),
    "fa fa-plus": _svg(
        '<rect x="2" y="5.25" width="8" height="1.5"/><rect x="5.25" y="2" width="1.5" height="8"/>'
    ),
}
_CDN_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>", re.IGNORECASE)
_FRAME_RE = re.compile(r'frames\[\d+\] = "data:image/png;base64,')


def count_frames(html_text: str) -> int:
    """How many PNG frames a player embeds."""
    return len(_FRAME_RE.findall(html_text))


def _offline_player(raw: str) -> str:
    text = _CDN_LINK.sub("", raw)
    for cls, symbol in _ICONS.items():
        text = text.replace(f'<i class="{cls}"></i>', symbol)
    return text


#: Colours kept per static frame. Lab figures are flat graphics, so a 128-colour palette
#: looks the same as full colour and makes the PNGs about three times smaller.
PALETTE_COLORS = 128


class _PaletteHTMLWriter(HTMLWriter):
    """Matplotlib's HTML player writer, with each frame saved as a palette PNG."""

    def grab_frame(self, **savefig_kwargs):
        if not self.embed_frames or not hasattr(self, "_saved_frames"):
            return super().grab_frame(**savefig_kwargs)  # pragma: no cover
        canvas = self.fig.canvas
        canvas.draw()
        rgb = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])
        image = Image.fromarray(rgb).quantize(
            colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
        out = io.BytesIO()
        image.save(out, format="png", compress_level=9)
        self._saved_frames.append(base64.encodebytes(out.getvalue()).decode("ascii"))
        return None


def _to_jshtml(animation: FuncAnimation, fps: float) -> str:
    """``animation.to_jshtml()``, through :class:`_PaletteHTMLWriter`."""
    with TemporaryDirectory() as tmpdir:
        path = Path(tmpdir, "player.html")
        writer = _PaletteHTMLWriter(fps=fps, embed_frames=True, default_mode="once")
        animation.save(str(path), writer=writer)
        return path.read_text(encoding="utf-8")


# Keeps the caption under the player, and the image's alt text, in step with the frame.
_CAPTION_SCRIPT = """<script>
(function() {
  var uid = "@UID@", captions = @CAPTIONS@, alt = @ALT@;
  function hook(tries) {
    var anim = window["anim" + uid];
    if (!anim) {
      if (tries < 100) { setTimeout(function() { hook(tries + 1); }, 50); }
      return;
    }
    var img = document.getElementById("_anim_img" + uid);
    var caption = document.getElementById("emlib_caption" + uid);
    var setFrame = anim.set_frame;
    anim.set_frame = function(frame) {
      setFrame.call(anim, frame);
      var i = anim.current_frame, text = captions[i] || "";
      caption.textContent = "Frame " + (i + 1) + " of " + captions.length + ": " + text;
      img.alt = alt + " " + text;
    };
  }
  hook(0);
})();
</script>"""


def _script_json(value: Any) -> str:
    return json.dumps(value).replace("</", "<\\/")


def static_lab(
    view_cls: type[LabView],
    frames: Sequence[tuple[Any, str]],
    *,
    title: str,
    alt: str,
    fps: float = 1.5,
    note: str = LIVE_NOTE,
    max_bytes: int = MAX_STATIC_BYTES,
) -> StaticLab:
    """Render precomputed states into an offline HTML player.

    Parameters
    ----------
    view_cls : type of LabView
        The lab's view; it is built once (from the first state) and updated per frame
        (rebuilt in the same figure when a frame has a different structure, e.g. K).
    frames : sequence of (state, caption)
        Snapshots of the state (see :func:`snapshot`) and a one-line caption for each.
    title : str
        The lab's name (heading of the player, and its aria-label).
    alt : str
        What the figure shows, for the image's alt text (the current caption is appended
        as the frames change).
    fps : float, default 1.5
        Frames per second when playing.
    note : str
        The line under the player (by default: the lab is live in Jupyter and Colab).
    max_bytes : int, default :data:`MAX_STATIC_BYTES`
        Fail instead of producing a heavier page.

    Returns
    -------
    StaticLab

    Raises
    ------
    ValueError
        If there are no frames, or the HTML would exceed ``max_bytes`` (use fewer frames
        or a smaller figure).
    """
    if not frames:
        raise ValueError("a static lab needs at least one frame.")
    states = [state for state, _ in frames]
    captions = [alt_text(caption) for _, caption in frames]
    alt = alt_text(alt)
    view = view_cls(states[0], blit=False, dpi=view_cls.static_dpi)

    def show(index: int):
        if view.needs_rebuild(states[index]):
            view.rebuild(states[index])
        view.update(states[index])
        return []

    animation = FuncAnimation(
        view.fig,
        show,
        frames=len(states),
        interval=1000.0 / fps,
        repeat=False,
        blit=False,
        cache_frame_data=False,
    )
    raw = _to_jshtml(animation, fps)
    embedded = count_frames(raw)
    if embedded != len(states):
        raise ValueError(
            f"only {embedded} of {len(states)} frames fit in {max_bytes / 1e6:.1f} MB; use "
            "fewer frames or a smaller figure."
        )
    match = re.search(r'id="_anim_img([0-9a-f]+)"', raw)
    if match is None:  # pragma: no cover - depends on matplotlib's template
        raise RuntimeError("matplotlib's animation player changed; cannot find its image.")
    uid = match.group(1)
    player = _offline_player(raw).replace(
        f'<img id="_anim_img{uid}">',
        f'<img id="_anim_img{uid}" alt="{html.escape(alt + " " + captions[0], quote=True)}" '
        'style="max-width:100%;height:auto">',
    )
    items = "".join(f"<li>{html.escape(c)}</li>" for c in captions)
    script = (
        _CAPTION_SCRIPT.replace("@UID@", uid)
        .replace("@CAPTIONS@", _script_json(captions))
        .replace("@ALT@", _script_json(alt))
    )
    n = len(captions)
    # The lab's public name (the key of emlib.labs.LABS) is its module's name: tests count
    # the labs on the website by this attribute.
    lab_name = view_cls.__module__.rsplit(".", 1)[-1].lstrip("_")
    page = "\n".join(
        [
            f'<figure class="emlib-lab emlib-lab-static" data-emlib-lab="{lab_name}" role="group" '
            f'aria-label="{html.escape(title, quote=True)}" style="margin:0 0 1em 0">',
            f'<div style="font-weight:bold;margin-bottom:0.3em">{html.escape(title)}</div>',
            player,
            f'<p id="emlib_caption{uid}" class="emlib-lab-caption" aria-live="polite" '
            f'style="margin:0.3em 0">Frame 1 of {n}: {html.escape(captions[0])}</p>',
            f'<figcaption style="font-size:90%"><em>{html.escape(note)}</em></figcaption>',
            f'<details style="font-size:90%"><summary>Text description of the {n} frames'
            f"</summary><ol>{items}</ol></details>",
            "</figure>",
            script,
        ]
    )
    out = StaticLab(page, title=title, alt=alt, captions=captions)
    if out.nbytes > max_bytes:
        raise ValueError(
            f"the static lab {title!r} weighs {out.nbytes / 1e6:.2f} MB, more than "
            f"{max_bytes / 1e6:.2f} MB; use fewer frames or a smaller figure."
        )
    return out


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


def snapshot(state: Any) -> Any:
    """An independent copy of a state, to keep as an animation frame."""
    return copy.deepcopy(state)


def record_frames(
    state: Any,
    actions: Sequence[tuple[Callable[[Any], Any] | None, str | Callable[[Any], str]]],
):
    """Apply actions to ``state`` one by one and snapshot it after each.

    Parameters
    ----------
    state : object
        Mutated in place.
    actions : sequence of (callable or None, caption)
        ``callable(state)`` is applied before the snapshot; ``None`` just takes one. The
        caption is a string, or a function of the state (called after the action).

    Returns
    -------
    list of (state, caption)
    """
    frames = []
    for action, caption in actions:
        if action is not None:
            action(state)
        text = caption(state) if callable(caption) else caption
        frames.append((snapshot(state), text))
    return frames
