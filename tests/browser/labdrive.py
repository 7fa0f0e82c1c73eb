"""Drive the website's live labs as a reader does: the helpers of the labs' browser tests.

The labs follow one contract (``site/labs/SPEC.md``, documented in ``site/README.md``): a lab
root ``[data-emlib-lab="<name>"]`` gets ``data-emlib-ready="true"`` and ``root.emlibLab``
once mounted; ``root.emlibLab.state()`` returns plain JSON; draggable things carry
``data-emlib-handle``; buttons are ``<button>`` elements named by their text. This module
drives labs through that contract only, with real input events (Playwright's mouse and
keyboard; Chrome DevTools Protocol touch events on a phone), so a test exercises what a
reader's browser does.

Fixtures (defined in ``tests/browser/conftest.py``; all share one Chromium and one built site):

``lab_pages``
    Desktop pages (1280 x 900). It reuses the site visitor's open page of each chapter (so
    its console errors, blocked requests and failed requests are recorded in the same
    report) and waits until its labs are ready.
``phone_lab_pages``
    Pages in a phone context: 390 x 844 CSS px, ``has_touch=True``, ``is_mobile=True``,
    every request not for 127.0.0.1 blocked and recorded, like the visitor.

Typical test::

    from labdrive import LabPages, lab_paths

    def test_border_point_mouse(lab_pages: LabPages) -> None:
        page = lab_pages.open_lab("border_point")     # the chapter page that holds it
        lab = page.lab("border_point")
        before = lab.state()
        lab.drag_to("point", (1.5, 0.3), position=lambda s: s["point"])   # mouse drag
        after = lab.state()
        ...compare after["responsibilities"] with emlib.e_step([after["point"]], params)...
        lab.press("Reset")                               # a <button> by its visible text
        lab.key("point", "ArrowRight", shift=True)       # keyboard on a focused handle
        page.assert_no_problems()                        # zero console errors etc.

    def test_border_point_touch(phone_lab_pages: LabPages) -> None:
        page = phone_lab_pages.open_lab("border_point")
        lab = page.lab("border_point")
        moved = lab.touch_drag_by("point", 60, -30)   # CDP touchStart/touchMove/touchEnd;
        ...                                           # asserts that the page did not scroll

What a :class:`Lab` offers (``name`` arguments are ``data-emlib-handle`` values):

* ``state()``: ``root.emlibLab.state()`` passed through ``JSON.stringify`` (so it must be
  plain JSON); ``wait_for_state(predicate)`` polls it;
* ``handle(name)`` (a Locator), ``handle_center(name)`` (viewport CSS px);
* ``drag_by(name, dx, dy)``: a mouse drag from the handle's centre by pixels (y down);
* ``drag_to(name, (x, y), position=...)``: a mouse drag to DATA coordinates. ``position(state)``
  says where the handle is in data coordinates (e.g. ``lambda s: s["point"]``). The drag
  starts at the handle's centre, moves 24 px towards the target, reads the state to learn
  the panel's scale, then moves on to the target and releases: one continuous drag;
* ``touch_drag_by`` / ``touch_drag_to``: the same with a finger (phone context only), through
  CDP ``Input.dispatchTouchEvent`` touchStart / touchMove / touchEnd; each asserts that the
  page did not scroll while dragging (``check_scroll=False`` turns that off);
* ``key(name, key, shift=False, times=1)``: focus the handle and press a key (arrows move it);
* ``press(text)``: click the ``<button>`` whose accessible name is ``text`` (``tap`` on a
  phone); ``button(text)`` gives its Locator;
* ``set_range(label, value)``: set an ``<input type="range">`` found by its label and fire
  ``input`` and ``change``; ``select(label, value)``: choose an option of a ``<select>``;
* ``live_text()``: the text of the lab's ARIA live region.

A :class:`LabPage` has ``lab(name, index=0)``, ``problems`` (console errors, uncaught
exceptions, blocked or failed requests since it was opened), ``mark()`` and
``assert_no_problems(since=mark)``, ``scroll()`` (window scroll position) and ``reload()``.

:func:`lab_paths` maps each lab name to the built pages holding it (from the HTML files).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pagecheck import PageReport, PageVisitor, _is_local

#: The phone of the touch tests: CSS pixels, touch, a mobile browser.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}
#: How long a page may take until all its labs have been mounted.
READY_TIMEOUT_MS = 15_000
#: Pixels of each pointer/touch move while dragging (a drag is many small moves).
STEP_PX = 6

_LAB_ROOT = re.compile(
    r'data-emlib-lab="([a-z_]+)"[^>]*>\s*<script type="application/json" class="emlib-lab-config"'
)


def lab_paths(site_html: Path) -> dict[str, list[str]]:
    """Each live lab's name -> the pages (paths relative to the site root) that hold it."""
    found: dict[str, list[str]] = {}
    for page in sorted(site_html.rglob("*.html")):
        if "_vendor" in page.parts or "_static" in page.parts:
            continue
        for name in _LAB_ROOT.findall(page.read_text(encoding="utf-8")):
            rel = page.relative_to(site_html).as_posix()
            if rel not in found.setdefault(name, []):
                found[name].append(rel)
    return found


WAIT_READY = """
async (timeout) => {
  const t0 = performance.now();
  while (document.documentElement.dataset.emlibLabs !== 'ready') {
    if (performance.now() - t0 > timeout) return {timeout: true};
    await new Promise((r) => setTimeout(r, 20));
  }
  const roots = [...document.querySelectorAll('[data-emlib-lab]')]
    .filter((r) => r.querySelector('script.emlib-lab-config'));
  return {
    ms: performance.now() - t0,
    labs: roots.map((r) => ({name: r.dataset.emlibLab, ready: r.dataset.emlibReady === 'true',
                              error: r.dataset.emlibError || null})),
  };
}
"""


class LabError(AssertionError):
    """A lab did not mount, or did not behave as the contract says."""


@dataclass
class LabPage:
    """One open chapter page with live labs."""

    page: Any
    path: str
    report: PageReport
    touch: bool = False
    cdp: Any = field(default=None, repr=False)

    @property
    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, blocked or failed requests so far."""
        return self.report.problems

    def mark(self) -> int:
        """A bookmark in :attr:`problems` (for :meth:`assert_no_problems`)."""
        return len(self.report.problems)

    def assert_no_problems(self, since: int = 0) -> None:
        """Fail if a console error, exception or bad request happened after ``since``."""
        new = self.report.problems[since:]
        assert not new, f"{self.path}: " + "\n  ".join(new)

    def wait_ready(self) -> dict:
        """Wait until every lab of the page is mounted; fail with the labs' own errors."""
        result = self.page.evaluate(WAIT_READY, READY_TIMEOUT_MS)
        if result.get("timeout"):
            raise LabError(f"{self.path}: the labs were not mounted within {READY_TIMEOUT_MS} ms")
        broken = [f"{lab['name']}: {lab['error']}" for lab in result["labs"] if not lab["ready"]]
        if broken:
            raise LabError(f"{self.path}: labs failed to start:\n  " + "\n  ".join(broken))
        return result

    def reload(self) -> LabPage:
        """Load the page again (labs back to their first state) and wait for the labs."""
        self.page.reload(wait_until="load")
        self.wait_ready()
        return self

    def scroll(self) -> tuple[float, float]:
        """The window's scroll position (CSS px)."""
        x, y = self.page.evaluate("() => [window.scrollX, window.scrollY]")
        return float(x), float(y)

    def lab(self, name: str, index: int = 0) -> Lab:
        """The ``index``-th lab called ``name`` on this page."""
        root = self.page.locator(f'[data-emlib-lab="{name}"][data-emlib-ready="true"]')
        count = root.count()
        if count <= index:
            raise LabError(f"{self.path}: {count} mounted lab(s) {name!r}; wanted #{index}")
        return Lab(self, name, root.nth(index))

    # --- touch, through the Chrome DevTools Protocol ---------------------------------------
    def _touch(self, kind: str, points: Sequence[tuple[float, float]]) -> None:
        if not self.touch:
            raise LabError("touch drags need the phone context (the phone_lab_pages fixture)")
        if self.cdp is None:
            self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [
                    {"x": x, "y": y, "id": i, "radiusX": 8, "radiusY": 8, "force": 1}
                    for i, (x, y) in enumerate(points)
                ],
            },
        )


def _steps(start: tuple[float, float], end: tuple[float, float]) -> list[tuple[float, float]]:
    n = max(1, int(max(abs(end[0] - start[0]), abs(end[1] - start[1])) / STEP_PX))
    return [
        (start[0] + (end[0] - start[0]) * i / n, start[1] + (end[1] - start[1]) * i / n)
        for i in range(1, n + 1)
    ]


class Lab:
    """One mounted lab: its state, handles, buttons and controls."""

    def __init__(self, page: LabPage, name: str, root: Any) -> None:
        self.lab_page = page
        self.page = page.page
        self.name = name
        self.root = root

    # --- state ----------------------------------------------------------------------------
    def state(self) -> dict:
        """``root.emlibLab.state()`` as Python (through JSON, so it must be plain JSON)."""
        text = self.root.evaluate("(r) => JSON.stringify(r.emlibLab.state())")
        state = json.loads(text)
        if state.get("lab") != self.name:
            raise LabError(f"state()['lab'] is {state.get('lab')!r}, not {self.name!r}")
        return state

    def wait_for_state(
        self, predicate: Callable[[dict], bool], timeout: float = 10.0, what: str = ""
    ) -> dict:
        """Poll :meth:`state` until ``predicate(state)`` holds; return that state."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise LabError(f"{self.name}: state never satisfied {what or predicate}")
            self.page.wait_for_timeout(30)

    def live_text(self) -> str:
        """Text of the lab's ARIA live region."""
        return self.root.locator('[aria-live="polite"]').first.inner_text()

    # --- handles --------------------------------------------------------------------------
    def handle(self, name: str) -> Any:
        """The Locator of the handle ``data-emlib-handle=name``."""
        loc = self.root.locator(f'[data-emlib-handle="{name}"]')
        if loc.count() != 1:
            raise LabError(f"{self.name}: {loc.count()} handles named {name!r}")
        return loc

    def handle_center(self, name: str) -> tuple[float, float]:
        """Centre of the handle in viewport CSS pixels (scrolled into view first)."""
        loc = self.handle(name)
        loc.scroll_into_view_if_needed()
        box = loc.bounding_box()
        if box is None or box["width"] < 1:
            raise LabError(f"{self.name}: handle {name!r} is not visible")
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def handle_size(self, name: str) -> tuple[float, float]:
        """Width and height of the handle's pointer target, in CSS pixels."""
        box = self.handle(name).bounding_box()
        return (box["width"], box["height"]) if box else (0.0, 0.0)

    def key(self, name: str, key: str, *, shift: bool = False, times: int = 1) -> dict:
        """Focus the handle and press ``key`` (e.g. ``"ArrowRight"``) ``times`` times."""
        self.handle(name).focus()
        combo = f"Shift+{key}" if shift else key
        for _ in range(times):
            self.page.keyboard.press(combo)
        return self.state()

    # --- drags ----------------------------------------------------------------------------
    def _drag(self, name, start, targets, *, touch: bool, position=None, goal=None) -> dict:
        """Press at ``start``, move through pixel ``targets`` (or calibrate towards the data
        point ``goal``), release. Returns the state after the release."""
        lp = self.lab_page
        before_scroll = lp.scroll()
        if touch:
            lp._touch("touchStart", [start])
            move = lambda p: lp._touch("touchMove", [p])  # noqa: E731
        else:
            self.page.mouse.move(*start)
            self.page.mouse.down()
            move = lambda p: self.page.mouse.move(*p)  # noqa: E731
        here = start
        try:
            if goal is not None:
                p0 = list(map(float, position(self.state())))
                dx = 24.0 if goal[0] >= p0[0] else -24.0
                dy = -24.0 if goal[1] >= p0[1] else 24.0  # data y up = screen y down
                probe = (start[0] + dx, start[1] + dy)
                for p in _steps(here, probe):
                    move(p)
                here = probe
                p1 = list(map(float, position(self.state())))
                sx, sy = (p1[0] - p0[0]) / dx, (p1[1] - p0[1]) / dy
                if abs(sx) < 1e-12 or abs(sy) < 1e-12:
                    raise LabError(
                        f"{self.name}: dragging {name!r} by ({dx}, {dy}) px did not move "
                        f"{position.__doc__ or 'its position'} ({p0} -> {p1}); is it clamped?"
                    )
                targets = [(here[0] + (goal[0] - p1[0]) / sx, here[1] + (goal[1] - p1[1]) / sy)]
            for target in targets:
                for p in _steps(here, target):
                    move(p)
                here = target
        finally:
            if touch:
                lp._touch("touchEnd", [])
            else:
                self.page.mouse.up()
        self.page.wait_for_timeout(20)
        self._moved_page = lp.scroll() != before_scroll
        return self.state()

    def drag_by(self, name: str, dx: float, dy: float) -> dict:
        """Mouse-drag the handle by ``(dx, dy)`` CSS pixels (y down); the state after."""
        start = self.handle_center(name)
        return self._drag(name, start, [(start[0] + dx, start[1] + dy)], touch=False)

    def drag_to(
        self, name: str, goal: Sequence[float], *, position: Callable[[dict], Sequence[float]]
    ) -> dict:
        """Mouse-drag the handle to the data point ``goal``; ``position(state)`` is where the
        handle is in data coordinates. Returns the state after the release (the handle ends
        within about a pixel of ``goal``, unless the lab clamps it)."""
        start = self.handle_center(name)
        return self._drag(name, start, [], touch=False, position=position, goal=goal)

    def touch_drag_by(
        self, name: str, dx: float, dy: float, *, check_scroll: bool = True
    ) -> dict:
        """Drag the handle with a finger by ``(dx, dy)`` CSS px; the page must not scroll."""
        start = self.handle_center(name)
        state = self._drag(name, start, [(start[0] + dx, start[1] + dy)], touch=True)
        if check_scroll:
            assert not self._moved_page, f"{self.name}: the page scrolled during a touch drag"
        return state

    def touch_drag_to(
        self,
        name: str,
        goal: Sequence[float],
        *,
        position: Callable[[dict], Sequence[float]],
        check_scroll: bool = True,
    ) -> dict:
        """Drag the handle with a finger to the data point ``goal`` (see :meth:`drag_to`)."""
        start = self.handle_center(name)
        state = self._drag(name, start, [], touch=True, position=position, goal=goal)
        if check_scroll:
            assert not self._moved_page, f"{self.name}: the page scrolled during a touch drag"
        return state

    # --- buttons and controls -------------------------------------------------------------
    def button(self, text: str) -> Any:
        """The ``<button>`` of this lab whose accessible name is exactly ``text``."""
        loc = self.root.get_by_role("button", name=text, exact=True)
        if loc.count() != 1:
            names = self.root.locator("button").all_inner_texts()
            raise LabError(f"{self.name}: {loc.count()} buttons named {text!r}; buttons: {names}")
        return loc

    def press(self, text: str) -> dict:
        """Click (on a phone: tap) the button named ``text``; the state after."""
        loc = self.button(text)
        if self.lab_page.touch:
            loc.tap()
        else:
            loc.click()
        return self.state()

    def set_range(self, label: str, value: float) -> dict:
        """Set the ``<input type="range">`` labelled ``label`` and fire input and change."""
        loc = self.root.get_by_label(label, exact=True)
        loc.evaluate(
            """(el, v) => { el.value = String(v);
                 el.dispatchEvent(new Event('input', {bubbles: true}));
                 el.dispatchEvent(new Event('change', {bubbles: true})); }""",
            value,
        )
        return self.state()

    def select(self, label: str, value: str) -> dict:
        """Choose ``value`` (an option's value or label) in the ``<select>`` labelled ``label``."""
        loc = self.root.get_by_label(label, exact=True)
        options = loc.evaluate("(el) => [...el.options].map((o) => [o.value, o.text.trim()])")
        chosen = [v for v, text in options if value in (v, text)]
        if not chosen:
            raise LabError(f"{self.name}: {label!r} has no option {value!r}; options: {options}")
        loc.select_option(value=chosen[0])
        return self.state()


class LabPages:
    """Opens chapter pages with labs (once each) and hands out :class:`LabPage` objects."""

    def __init__(
        self,
        site_html: Path,
        *,
        visitor: PageVisitor | None = None,
        context: Any = None,
        base_url: str = "",
        touch: bool = False,
    ) -> None:
        self.site_html = site_html
        self.visitor = visitor
        self.context = context
        self.base_url = base_url
        self.touch = touch
        self._pages: dict[str, LabPage] = {}
        self._paths: dict[str, list[str]] | None = None

    def paths(self) -> dict[str, list[str]]:
        """:func:`lab_paths` of the site (computed once)."""
        if self._paths is None:
            self._paths = lab_paths(self.site_html)
        return self._paths

    def open(self, path: str) -> LabPage:
        """The page ``path`` (relative to the site root), loaded once, its labs ready."""
        if path not in self._pages:
            if self.visitor is not None:
                page, report = self.visitor.visit(path)
            else:
                page, report = self._open(path)
            lab_page = LabPage(page, path, report, touch=self.touch)
            lab_page.wait_ready()
            self._pages[path] = lab_page
        return self._pages[path]

    def open_lab(self, name: str, index: int = 0) -> LabPage:
        """The ``index``-th page that holds the lab ``name``."""
        paths = self.paths().get(name, [])
        if len(paths) <= index:
            raise LabError(f"no built page holds the live lab {name!r} (pages: {paths})")
        return self.open(paths[index])

    def _open(self, path: str) -> tuple[Any, PageReport]:
        report = PageReport(path=path, url=self.base_url + path)
        page = self.context.new_page()

        def route(route: Any) -> None:
            if _is_local(route.request.url, self.base_url):
                route.continue_()
            else:
                report.problems.append(f"blocked (not 127.0.0.1): {route.request.url}")
                route.abort("blockedbyclient")

        def on_console(msg: Any) -> None:
            if msg.type == "error":
                report.problems.append(f"console error: {msg.text}")

        page.route("**/*", route)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: report.problems.append(f"uncaught exception: {exc}"))
        page.on(
            "response",
            lambda r: r.status >= 400
            and report.problems.append(f"failed request: {r.url}: HTTP {r.status}"),
        )
        page.goto(report.url, wait_until="load")
        return page, report

    def close(self) -> None:
        """Close the pages this object opened itself (the visitor closes its own)."""
        if self.visitor is None:
            for lab_page in self._pages.values():
                lab_page.page.close()
        self._pages.clear()
