"""Everything a lab draws lies inside its axes, and its labels do not sit on its data.

For each lab, its live (notebook) version is driven as a reader would (every slider to its
ends, menus, buttons, Reset) and after every change each axes of its figure is checked: the
patches' and the lines' extents (with their markers) against the axes' box, and the text
labels placed in the axes against the data points of the lines there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from emlib import labs

#: Slack (display pixels) for antialiasing and line caps.
TOLERANCE_PX = 1.0


def _interactions(lab) -> list[tuple[str, Any]]:
    """A reader's session with a live lab: every control moved to its extremes or clicked.

    Sliders go to their minimum and maximum (the far-away point, the largest K), menus
    through their first options, buttons are pressed (steps a few times), and Reset last.
    Each entry is ``(what was done, a function that does it)``.
    """
    import ipywidgets as widgets

    actions = []
    controls = dict(lab.controls)
    reset = controls.pop("reset", None)
    for key, control in controls.items():
        if isinstance(control, (widgets.FloatSlider, widgets.IntSlider)):
            for value in (control.min, control.max, control.value):
                act = lambda c=control, v=value: setattr(c, "value", v)  # noqa: E731
                actions.append((f"{key} = {value}", act))
        elif isinstance(control, widgets.Dropdown):
            options = [value for _, value in control.options][:3]
            for value in [*options, control.value]:
                act = lambda c=control, v=value: setattr(c, "value", v)  # noqa: E731
                actions.append((f"{key} = {value!r}", act))
        elif isinstance(control, widgets.IntText):
            actions.append((f"{key} = 1", lambda c=control: setattr(c, "value", 1)))
        elif isinstance(control, widgets.Button):
            presses = 1 if "run" in key.lower() else 3
            actions += [(f"press {control.description}", control.click)] * presses
    if reset is not None:
        actions.append(("press Reset", reset.click))
    return actions


def _inside(inner, outer, slack: float) -> bool:
    return (
        inner.x0 >= outer.x0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y0 >= outer.y0 - slack
        and inner.y1 <= outer.y1 + slack
    )


def _along(line: Line2D, per_segment: int = 16) -> np.ndarray:
    """Points along a line (its vertices and between them), in display coordinates."""
    xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
    xy = xy[np.all(np.isfinite(xy), axis=1)]
    if len(xy) < 2 or line.get_linestyle() in ("None", "", " "):
        return xy
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None, None]
    between = xy[:-1] + t * (xy[1:] - xy[:-1])
    return np.concatenate([between.reshape(-1, 2), xy[-1:]])


def figure_problems(fig) -> list[str]:
    """What sticks out of its axes, or a label lying on data, in ``fig`` (drawn)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    problems = []
    for number, ax in enumerate(fig.axes):
        if not ax.get_visible() or (not ax.axison and not ax.patches and not ax.lines):
            continue
        box = ax.get_window_extent(renderer)
        where = f"axes {number} ({ax.get_title() or ax.get_ylabel() or 'untitled'})"
        for artist in [*ax.patches, *ax.lines]:
            if not artist.get_visible():
                continue
            if isinstance(artist, Line2D):
                xy = np.asarray(artist.get_xydata(), dtype=float)
                if not np.isfinite(xy).any() or artist.get_transform() != ax.transData:
                    continue
            if isinstance(artist, Rectangle) and artist.get_transform() != ax.transData:
                continue
            extent = artist.get_window_extent(renderer)
            if extent.width == 0 and extent.height == 0:
                continue
            slack = TOLERANCE_PX + (artist.get_linewidth() or 0) * fig.dpi / 72 / 2
            if not _inside(extent, box, slack):
                kind = type(artist).__name__
                label = artist.get_label()
                problems.append(
                    f"{where}: {kind} {label!r} spans x {extent.x0:.0f}..{extent.x1:.0f}, "
                    f"y {extent.y0:.0f}..{extent.y1:.0f} px, outside the axes "
                    f"x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f}"
                )
        points = [_along(line) for line in ax.lines if line.get_visible()]
        points = np.concatenate(points) if points else np.empty((0, 2))
        for text in ax.texts:
            if not isinstance(text, Text) or not text.get_visible() or not text.get_text():
                continue
            extent = text.get_window_extent(renderer)
            inside = (
                (points[:, 0] > extent.x0)
                & (points[:, 0] < extent.x1)
                & (points[:, 1] > extent.y0)
                & (points[:, 1] < extent.y1)
            )
            if inside.any():
                problems.append(f"{where}: the label {text.get_text()!r} lies on a line")
    return problems


@pytest.mark.parametrize("name", list(labs.LABS))
def test_lab_draws_inside_its_axes(name: str) -> None:
    lab = labs.LABS[name](mode="live")
    problems = [f"at the start: {p}" for p in figure_problems(lab.view.fig)]
    for what, act in _interactions(lab):
        act()
        problems += [f"after {what}: {p}" for p in figure_problems(lab.view.fig)]
    assert not problems, f"lab {name}:\n  " + "\n  ".join(problems[:12])


def test_the_check_sees_clipping() -> None:
    """A patch past the limits, a marker on the axis and a label on a line are all reported."""
    from matplotlib.patches import Ellipse

    from emlib.plotting import new_figure

    fig = new_figure((4, 3), 80)
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 2], marker="o")
    ax.set_xlim(0, 2)
    ax.set_ylim(-0.5, 2.5)
    ax.add_patch(Ellipse((1.9, 1), 1.0, 0.5, fill=False))
    ax.text(1.5, 1.5, "on the line", ha="center", va="center")  # between two vertices
    found = "\n".join(figure_problems(fig))
    assert "Line2D" in found and "Ellipse" in found and "on the line" in found


# --------------------------------------------------------------------------------------------
# The live widget: a sharp image at its natural size, controls that fit in one row each


def _control_width(widget) -> float:
    """Width a control takes in a row (CSS px): its layout width, or a button's text."""
    import ipywidgets as widgets

    width = widget.layout.width or ""
    margin = 4.0  # ipywidgets' default margin, 2 px on each side
    if width.endswith("px"):
        return float(width[:-2]) + margin
    if isinstance(widget, widgets.Button):
        return 7.5 * len(widget.description) + 30 + margin  # padding, 13 px font
    raise AssertionError(f"{type(widget).__name__} {widget.description!r} has no fixed width")


@pytest.mark.parametrize("name", list(labs.LABS))
def test_live_lab_image_is_sharp_and_controls_fit(name: str) -> None:
    import io

    import ipywidgets as widgets
    from PIL import Image

    from emlib.labs import _live

    lab = labs.LABS[name](mode="live")
    view_cls = type(lab.view)
    css = [round(inches * view_cls.dpi) for inches in view_cls.figsize]
    png = Image.open(io.BytesIO(lab.image.value))
    assert png.size == (css[0] * _live.PIXEL_RATIO, css[1] * _live.PIXEL_RATIO)
    layout = lab.image.layout
    assert (layout.width, layout.height, layout.max_width) == (f"{css[0]}px", "auto", "100%")
    rows = [child for child in lab.children if isinstance(child, widgets.HBox)]
    assert rows, f"lab {name} has no row of controls"
    for row in rows:
        total = sum(_control_width(w) for w in row.children)
        names = [w.description for w in row.children]
        assert total <= _live.ROW_WIDTH, f"lab {name}: the row {names} needs {total:.0f} px"
    for control in lab.controls.values():
        if isinstance(control, widgets.FloatSlider):
            # description (about 7 px a character) and readout (about 45 px) leave the track
            track = _control_width(control) - 7 * len(control.description) - 60
            steps = (control.max - control.min) / (control.step or 1)
            assert track >= min(150, steps), f"lab {name}: {control.description} is {track} px"
