"""The live front end of a lab: a thin ipywidgets wrapper around a state and a view.

Only core ipywidgets are used (Button, sliders, Dropdown, IntText, HTML, Image, boxes), in
ways that behave the same on ipywidgets 7.7.1 (Colab) and 8.x (JupyterLab 4, VS Code).
The figure is rendered to PNG bytes and shown in a ``widgets.Image``: a redraw replaces
the image in place, so nothing stacks up in Colab, and no matplotlib backend is involved.

The image is shown at its natural CSS size (the view's ``figsize`` at ``dpi`` CSS pixels per
inch, e.g. 608 x 248 px), never stretched to the width of the output area; it is rendered at
:data:`PIXEL_RATIO` times that size, so that it stays sharp on HiDPI screens. It only shrinks
(keeping its aspect ratio) when the output area is narrower than that.

Controls are laid out in rows that must fit, without wrapping, in :data:`ROW_WIDTH` CSS
pixels: the output area of JupyterLab or Colab in a 1024-pixel window with a sidebar open.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from ._framework import LabView

#: Device pixels per CSS pixel of the live image (2: sharp on HiDPI screens).
PIXEL_RATIO = 2
#: Width (CSS px) that a row of controls must fit in: a notebook's output area in a
#: 1024-pixel-wide window with the file browser open (JupyterLab 4: about 640 px).
ROW_WIDTH = 600


def _layout(**kwargs) -> widgets.Layout:
    return widgets.Layout(**kwargs)


def button(description: str, tooltip: str = "", *, width: str = "auto") -> widgets.Button:
    """A button (the ``tooltip`` trait exists on ipywidgets 7 and 8 for buttons)."""
    return widgets.Button(description=description, tooltip=tooltip, layout=_layout(width=width))


def slider(
    description: str,
    value: float,
    lo: float,
    hi: float,
    step: float,
    *,
    integer: bool = False,
    width: str = "260px",
    readout_format: str = ".2f",
) -> widgets.Widget:
    """A slider that updates on release (``continuous_update=False``): one redraw per move."""
    common = dict(
        description=description,
        min=lo,
        max=hi,
        step=step,
        value=value,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=_layout(width=width),
    )
    if integer:
        return widgets.IntSlider(**common)
    return widgets.FloatSlider(readout_format=readout_format, **common)


def dropdown(description: str, options: Sequence[tuple[str, Any]], value: Any, *, width="220px"):
    """A dropdown of ``(label, value)`` pairs."""
    return widgets.Dropdown(
        description=description,
        options=list(options),
        value=value,
        style={"description_width": "initial"},
        layout=_layout(width=width),
    )


def int_text(description: str, value: int, *, width: str = "150px") -> widgets.IntText:
    """An integer box (e.g. a random seed)."""
    return widgets.IntText(
        description=description,
        value=value,
        style={"description_width": "initial"},
        layout=_layout(width=width),
    )


class LabWidget(widgets.VBox):
    """A lab in a notebook: controls, the figure as an image, and a status line.

    Parameters
    ----------
    state : object
        The lab's state; the widget only calls its methods.
    view_cls : type of LabView
        Draws the state; rebuilt when its ``structure_key`` changes.
    title : str
        Heading.
    controls : dict of str to ipywidgets.Widget
        The controls, by name (tests press ``lab.controls["e_step"].click()``).
    rows : sequence of sequence of str
        How the controls are laid out, one row per inner sequence.
    describe : callable, optional
        ``describe(state) -> str`` for the status line (default ``state.describe()``).
    sync : callable, optional
        ``sync(lab)`` after every change, to enable/disable buttons or move sliders; it
        runs with ``lab.syncing`` True, so value observers ignore the changes it makes.

    Attributes
    ----------
    state, view, controls, image, status : the parts above.
    error : str or None
        The message of the last action that failed with a ValueError, shown in the status.
    """

    def __init__(
        self,
        state: Any,
        view_cls: type[LabView],
        *,
        title: str,
        controls: dict[str, widgets.Widget],
        rows: Sequence[Sequence[str]],
        describe: Callable[[Any], str] | None = None,
        sync: Callable[[LabWidget], None] | None = None,
    ) -> None:
        self.state = state
        self.view_cls = view_cls
        self.view = view_cls(state, blit=True, dpi=view_cls.dpi * PIXEL_RATIO)
        self.controls = dict(controls)
        self.error: str | None = None
        self.syncing = False
        self._describe = describe or (lambda s: s.describe())
        self._sync = sync
        self.image = widgets.Image(format="png", layout=_layout(**self.image_size(view_cls)))
        self.status = widgets.HTML(value="")
        heading = widgets.HTML(value=f"<b>{html.escape(title)}</b>")
        boxes = [
            widgets.HBox(
                [self.controls[name] for name in row],
                layout=_layout(flex_flow="row wrap", align_items="center"),
            )
            for row in rows
        ]
        super().__init__([heading, *boxes, self.image, self.status])
        self.refresh()

    @staticmethod
    def image_size(view_cls: type[LabView]) -> dict[str, str]:
        """Layout of the image: its natural CSS size, shrinking (never growing) to fit."""
        width = round(view_cls.figsize[0] * view_cls.dpi)
        return {
            "width": f"{width}px",
            "height": "auto",
            "max_width": "100%",
            # height: auto keeps the aspect ratio when max-width shrinks the image
            "object_fit": "contain",
        }

    # -------------------------------------------------------------- wiring helpers
    def run(self, action: Callable[[], Any]) -> None:
        """Apply ``action`` to the state, then redraw; a ValueError becomes the status."""
        try:
            action()
        except ValueError as err:
            self.error = str(err)
        else:
            self.error = None
        self.refresh()

    def on_click(self, name: str, action: Callable[[], Any]) -> None:
        """Run ``action()`` when the button ``name`` is pressed."""
        self.controls[name].on_click(lambda _button: self.run(action))

    def on_value(self, name: str, action: Callable[[Any], Any]) -> None:
        """Run ``action(new_value)`` when the control ``name`` changes (not during sync)."""

        def handler(change):
            if not self.syncing:
                self.run(lambda: action(change["new"]))

        self.controls[name].observe(handler, names="value")

    def set_value(self, name: str, value: Any) -> None:
        """Set a control's value without triggering its action (used by ``sync``)."""
        was = self.syncing
        self.syncing = True
        try:
            self.controls[name].value = value
        finally:
            self.syncing = was

    # -------------------------------------------------------------------- drawing
    def refresh(self) -> None:
        """Redraw the figure from the state and update the status line and controls."""
        if self.view.needs_rebuild(self.state):
            self.view.rebuild(self.state)
        self.view.update(self.state)
        self.image.value = self.view.png()
        text = html.escape(self._describe(self.state))
        if self.error:
            text += (
                f'<br><span style="color:#A04000"><b>Error:</b> {html.escape(self.error)}</span>'
            )
        self.status.value = f'<div role="status" aria-live="polite">{text}</div>'
        if self._sync is not None:
            self.syncing = True
            try:
                self._sync(self)
            finally:
                self.syncing = False


def point_lab(state, view: type[LabView], *, title: str, limits) -> LabWidget:
    """A lab whose one control is a point in the plane: sliders for ``x1`` and ``x2`` and
    Reset, for a state with ``point``, ``move_to(x, y)`` and ``reset()``.

    ``limits`` is ``((x0, x1), (y0, y1))``, the sliders' ranges.
    """
    (x0, x1), (y0, y1) = limits
    controls = {
        "x": slider("x1", float(state.point[0]), x0, x1, 0.05, width="250px"),
        "y": slider("x2", float(state.point[1]), y0, y1, 0.05, width="250px"),
        "reset": button("Reset", "Back to the starting position"),
    }

    def sync(lab) -> None:
        lab.set_value("x", float(lab.state.point[0]))
        lab.set_value("y", float(lab.state.point[1]))

    lab = LabWidget(
        state, view, title=title, controls=controls, rows=[["x", "y", "reset"]], sync=sync
    )
    lab.on_value("x", lambda x: state.move_to(x, state.point[1]))
    lab.on_value("y", lambda y: state.move_to(state.point[0], y))
    lab.on_click("reset", state.reset)
    return lab
