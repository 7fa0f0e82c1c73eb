"""The website's side of a lab: a JSON config for the browser and a still image.

In static mode (the book build sets ``EMLIB_LAB_MODE=static``) every lab call returns a
:class:`WebLab` instead of a widget. Its HTML is a ``<div data-emlib-lab="<name>">`` that
holds

* the lab's configuration as JSON (``<script type="application/json"
  class="emlib-lab-config">``): the data, the starting parameters, seeds and options, all
  computed here by emlib, so that the page starts exactly where the notebook cell starts;
* a still PNG of the lab's first state (drawn by the lab's own ``draw_<lab>(state)``), with
  alt text and a note, which is what a reader sees without JavaScript.

On the website, ``_vendor/labs/main.js`` finds every ``[data-emlib-lab]`` element, imports
``<name>.js`` and mounts the live lab in it; the browser computes with ``emmath.js``, which is
held to emlib by ``tests/test_js_parity.py``. See ``site/labs/SPEC.md`` for the contract.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..plotting import alt_text

#: Shown under the still image (visible when the page has no JavaScript).
WEB_NOTE = "This lab is live on the page with JavaScript, or in Colab."

#: Upper bound for one lab's HTML (config and still image), in bytes. A chapter page with
#: its labs must stay under 1 MB, shared vendored assets aside.
MAX_WEB_BYTES = 400_000

#: Colours kept in the still image: lab figures are flat graphics, so a palette PNG looks
#: the same as full colour and is several times smaller.
STILL_COLORS = 128


def to_json(value: Any, *, where: str = "config") -> Any:
    """``value`` as plain JSON types (numpy arrays and scalars become lists and numbers).

    Parameters
    ----------
    value : object
        Dicts with string keys, lists, tuples, numpy arrays, numbers, strings, bools, None.
    where : str
        Where ``value`` sits, for error messages.

    Returns
    -------
    object
        Made of ``dict``, ``list``, ``float``, ``int``, ``str``, ``bool`` and ``None`` only.

    Raises
    ------
    ValueError
        If a number is NaN or infinite (JSON has no such numbers) or a value has a type
        JSON cannot hold; the message says where.
    """
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: keys must be strings; got {key!r}.")
            out[key] = to_json(item, where=f"{where}.{key}")
        return out
    if isinstance(value, np.ndarray):
        return to_json(value.tolist(), where=where)
    if isinstance(value, (list, tuple)):
        return [to_json(item, where=f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(
                f"{where} is {number}, which JSON cannot hold; the browser needs finite "
                "numbers (compute the lab's start so that it is finite, or drop the entry)."
            )
        return number
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{where} has type {type(value).__name__}, which is not plain JSON.")


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>``)."""
    text = json.dumps(to_json(value), separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def still_png(fig: Figure) -> bytes:
    """A small PNG of a figure: its own size and dpi, a 128-colour palette."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[..., :3])
    image = Image.fromarray(rgb).quantize(
        colors=STILL_COLORS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


class WebLab:
    """A lab on the website: JSON config for the live browser lab, and a still image.

    Parameters
    ----------
    name : str
        The lab's name, a key of :data:`emlib.labs.LABS` (the browser imports
        ``<name>.js``).
    config : dict
        What the browser lab starts from (see :func:`to_json` for what it may hold).
    png : bytes
        The still image of the lab's first state.
    alt : str
        Alt text of the still image.
    title : str, optional
        The lab's title (its accessible name).
    note : str, default :data:`WEB_NOTE`
        The line under the still image.
    max_bytes : int, default :data:`MAX_WEB_BYTES`
        Fail instead of producing a heavier page.

    Raises
    ------
    ValueError
        If ``name`` is not a lab, the config is not plain JSON, the alt text is empty, or
        the HTML would exceed ``max_bytes``.
    """

    def __init__(
        self,
        name: str,
        config: dict,
        png: bytes,
        alt: str,
        *,
        title: str | None = None,
        note: str = WEB_NOTE,
        max_bytes: int = MAX_WEB_BYTES,
    ) -> None:
        from . import LABS  # the registry imports every lab module, which imports this one

        if name not in LABS:
            raise ValueError(f"unknown lab {name!r}; the labs are {', '.join(LABS)}.")
        if not isinstance(config, dict):
            raise ValueError(f"config must be a dict; got {type(config).__name__}.")
        self.name = name
        self.config = to_json(config)
        self.png = bytes(png)
        self.alt = alt_text(alt)
        self.title = title
        self.note = note
        self.html = self._render()
        if self.nbytes > max_bytes:
            raise ValueError(
                f"the web lab {name!r} weighs {self.nbytes / 1e3:.0f} kB, more than "
                f"{max_bytes / 1e3:.0f} kB; send less data in its config or draw a smaller "
                "still image."
            )

    @classmethod
    def from_state(
        cls,
        name: str,
        state: Any,
        config: dict,
        figure: Figure,
        *,
        alt: str | None = None,
        title: str | None = None,
        note: str = WEB_NOTE,
    ) -> WebLab:
        """The web lab for a state: ``config`` from ``web_config(state)``, the still image
        from ``figure`` (the lab's ``draw_<lab>(state)``).

        The alt text is ``alt`` (what the figure shows) followed by ``state.describe()`` when
        the state has one (the numbers of this state).
        """
        described = state.describe() if callable(getattr(state, "describe", None)) else ""
        text = " ".join(part for part in (alt, described) if part)
        if not text:
            text = f"The first state of the {name.replace('_', ' ')} lab."
        png = still_png(figure)
        figure.clear()  # the figure is not needed any more; free its artists
        return cls(name, config, png, text, title=title, note=note)

    @property
    def nbytes(self) -> int:
        """Size of the HTML in bytes (UTF-8): what the lab adds to a page."""
        return len(self.html.encode("utf-8"))

    def _render(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        label = ""
        if self.title:
            label = f' role="group" aria-label="{html.escape(self.title, quote=True)}"'
        return "\n".join(
            [
                f'<div class="emlib-lab" data-emlib-lab="{html.escape(self.name, quote=True)}"'
                f"{label}>",
                '<script type="application/json" class="emlib-lab-config">'
                f"{script_json(self.config)}</script>",
                '<figure class="emlib-lab-still">'
                f'<img src="data:image/png;base64,{data}" '
                f'alt="{html.escape(self.alt, quote=True)}" style="max-width:100%;height:auto"/>',
                f"<figcaption><em>{html.escape(self.note)}</em></figcaption></figure>",
                "</div>",
            ]
        )

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return (
            f"<WebLab {self.name!r}: {self.nbytes / 1e3:.0f} kB. Display it on the website "
            "(or in a notebook) to see the still image; the page's JavaScript makes it live.>"
        )
