"""Live labs 1-4 on their chapter pages, driven as a reader drives them, checked with emlib.

For each lab (border point, sampling, responsibilities, the E/M stepper and its chapter-4
M-step view), in Debian's Chromium with no route to the internet: mouse drags, touch drags
in a 390-pixel phone context with touch (the page must not scroll), the keyboard and the
buttons. After every action the lab's state (``element.emlibLab.state()``) must have changed
as it should and must equal what emlib computes in Python from that state. No console errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import emlib
from emlib.labs import EMStepperState, ResponsibilitiesState, SamplingState
from emlib.labs._border_point import BorderPointState

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

RTOL = 1e-9


# --------------------------------------------------------------------------- helpers
# (Shaped to move into tests/browser/labdrive.py.)
class LabPage:
    """A chapter page open in its own browser context, with its console errors recorded."""

    def __init__(self, browser: Any, url: str, *, phone: bool = False) -> None:
        if phone:
            self.context = browser.new_context(
                viewport={"width": 390, "height": 844},
                device_scale_factor=2,
                is_mobile=True,
                has_touch=True,
                service_workers="block",
            )
        else:
            self.context = browser.new_context(
                viewport={"width": 1280, "height": 900}, service_workers="block"
            )
        self.context.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.page = self.context.new_page()
        origin = url.split("/", 3)[:3]
        base = "/".join(origin)
        self.page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(base) else route.abort()
            ),
        )
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_selector("html[data-emlib-labs='ready']", state="attached")

    def lab(self, name: str, index: int = 0) -> Any:
        root = self.page.locator(f"[data-emlib-lab='{name}']").nth(index)
        assert root.get_attribute("data-emlib-error") is None, root.get_attribute(
            "data-emlib-error"
        )
        assert root.get_attribute("data-emlib-ready") == "true", f"the {name} lab did not mount"
        root.scroll_into_view_if_needed()
        return root

    def close(self) -> None:
        self.context.close()


def state(root: Any, *keys: str) -> dict:
    """The lab's state, as the contract defines it (only ``keys``, if given: quicker)."""
    if not keys:
        return root.evaluate("el => el.emlibLab.state()")
    return root.element_handle().evaluate(
        "(el, keys) => { const s = el.emlibLab.state();"
        " return Object.fromEntries(keys.map((k) => [k, s[k]])); }",
        list(keys),
    )


def centre(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "the element is not visible"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def mouse_drag(page: Any, handle: Any, dx: float, dy: float, steps: int = 8) -> None:
    """Press the mouse on a handle, move it by (dx, dy) CSS pixels, release."""
    x, y = centre(handle)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=steps)
    page.mouse.up()


def touch_drag(page: Any, handle: Any, dx: float, dy: float, steps: int = 8) -> None:
    """A one-finger drag on a handle (real touch events through the DevTools protocol)."""
    x, y = centre(handle)
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]}
        )
        for i in range(1, steps + 1):
            point = {"x": x + dx * i / steps, "y": y + dy * i / steps}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def scroll_y(page: Any) -> float:
    return page.evaluate("() => window.scrollY")


def live_text(root: Any) -> str:
    return root.locator("[aria-live='polite']").inner_text()


def params_of(s: dict) -> emlib.MixtureParams:
    return emlib.MixtureParams(**s["params"])


def assert_params_close(got: dict, want: emlib.MixtureParams) -> None:
    assert got["covariance_type"] == want.covariance_type
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            np.asarray(got[key]), getattr(want, key), rtol=RTOL, atol=1e-12, err_msg=key
        )


def check_point_lab(s: dict) -> np.ndarray:
    """The responsibilities in the state equal emlib's at the state's point."""
    point = np.asarray(s["point"], dtype=float)
    resp, _ = emlib.e_step(point[None], params_of(s))
    np.testing.assert_allclose(s["responsibilities"], resp[0], rtol=RTOL, atol=1e-12)
    return resp[0]


def check_handle_is_finger_sized(handle: Any) -> None:
    box = handle.locator("circle").first.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44, box


@pytest.fixture(scope="module")
def open_page(browser: Any, site_url: str) -> Iterator[Any]:
    pages: list[LabPage] = []

    def opener(path: str, *, phone: bool = False) -> LabPage:
        page = LabPage(browser, site_url + path, phone=phone)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


# --------------------------------------------------------------------------- border point
def test_border_point(open_page: Any) -> None:
    lp = open_page("book/00_why_soft_clustering.html")
    root = lp.lab("border_point")
    s0 = state(root)
    truth = BorderPointState()
    np.testing.assert_array_equal(s0["X"], truth.X)  # the notebook's data and fits
    assert_params_close(s0["params"], truth.gmm_params)
    np.testing.assert_allclose(s0["kmeans_centers"], truth.centers, rtol=RTOL)
    assert s0["point"] == [0.0, 0.0]
    check_point_lab(s0)

    def check(s: dict) -> np.ndarray:
        resp = check_point_lab(s)
        nearest = int(np.argmin(emlib.squared_distances(np.array([s["point"]]), truth.centers)))
        assert s["kmeans_label"] == nearest
        assert s["hard"] == [1 - nearest, nearest]
        assert f"γ₁ = {resp[0]:.2f}" in live_text(root)
        return resp

    handle = root.locator("[data-emlib-handle='point']")
    check_handle_is_finger_sized(handle)
    mouse_drag(lp.page, handle, -40, -25)
    s1 = state(root)
    assert s1["point"][0] < -0.5 and s1["point"][1] > 0.3, s1["point"]
    assert check(s1)[0] > 0.9

    # Keyboard: one step right, then ten (Shift), from the focused star.
    handle.focus()
    lp.page.keyboard.press("ArrowRight")
    s2 = state(root)
    step = s2["point"][0] - s1["point"][0]
    assert step > 0 and s2["point"][1] == pytest.approx(s1["point"][1], abs=1e-12)
    lp.page.keyboard.press("Shift+ArrowRight")
    s3 = state(root)
    assert s3["point"][0] - s2["point"][0] == pytest.approx(10 * step, rel=1e-9)
    check(s3)

    # Along the line y = 0, left to right, with the keyboard: the GMM changes its mind
    # twice (the 50/50 point near the tight cluster, and the reversal far to the right)
    # while k-means changes once.
    lp.page.get_by_role("button", name="Reset").click()
    assert state(root)["point"] == [0.0, 0.0]
    handle.focus()
    for _ in range(6):
        lp.page.keyboard.press("Shift+ArrowLeft")
    gammas, labels, xs = [], [], []
    for _ in range(55):
        s = {**s0, **state(root, "point", "responsibilities", "kmeans_label", "hard")}
        xs.append(s["point"][0])
        gammas.append(check(s)[0])
        labels.append(s["kmeans_label"])
        lp.page.keyboard.press("ArrowRight")
    g = np.asarray(gammas) - 0.5
    soft_changes = np.flatnonzero(np.diff(np.sign(g)))
    hard_changes = np.flatnonzero(np.diff(labels))
    assert len(soft_changes) == 2, (xs, gammas)
    assert len(hard_changes) == 1
    assert xs[soft_changes[0]] > xs[hard_changes[0]], "the GMM's 50/50 point is not k-means'"
    assert labels[-1] == 1 and gammas[-1] > 0.5, "the reversal far to the right must be reachable"
    assert lp.errors == []


def test_border_point_touch_on_a_phone(open_page: Any) -> None:
    lp = open_page("book/00_why_soft_clustering.html", phone=True)
    root = lp.lab("border_point")
    box = root.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    handle = root.locator("[data-emlib-handle='point']")
    check_handle_is_finger_sized(handle)
    before = scroll_y(lp.page)
    touch_drag(lp.page, handle, 60, -90)
    s = state(root)
    assert s["point"][0] > 0.5 and s["point"][1] > 0.8, s["point"]
    check_point_lab(s)
    assert scroll_y(lp.page) == before, "dragging the point scrolled the page"
    assert lp.errors == []


# --------------------------------------------------------------------------- sampling
def test_sampling(open_page: Any) -> None:
    lp = open_page("book/01_mixture_model.html")
    root = lp.lab("sampling")
    truth = SamplingState()
    s0 = state(root)
    assert_params_close(s0["params"], truth.params)
    assert s0["n_samples"] == 0 and s0["counts"] == [0, 0, 0]

    def check(s: dict) -> None:
        labels = np.asarray(s["labels"], dtype=int)
        assert len(s["X"]) == len(labels) == s["n_samples"] == sum(s["counts"])
        np.testing.assert_array_equal(np.bincount(labels, minlength=3), s["counts"])
        truth.set_weights(s["raw_weights"])
        assert_params_close(s["params"], truth.params)

    sample = root.get_by_role("button", name="Sample")
    sample.click()
    s1 = state(root)
    assert s1["n_samples"] == 100
    check(s1)
    # The count slider, from the keyboard: End = the largest batch (1000).
    root.get_by_label("samples per draw").focus()
    lp.page.keyboard.press("End")
    for _ in range(4):
        sample.click()
    s2 = state(root)
    assert s2["n_samples"] == 4100
    check(s2)
    n = s2["n_samples"]
    w = np.asarray(s2["params"]["weights"])
    shares = np.asarray(s2["counts"]) / n
    assert np.all(np.abs(shares - w) < 4 * np.sqrt(w * (1 - w) / n)), (shares, w)
    assert f"N = {n} samples" in live_text(root)

    # A weight slider to 0 (Home): the samples are discarded and component 3 disappears.
    root.get_by_label("relative weight 3").focus()
    lp.page.keyboard.press("Home")
    s3 = state(root)
    assert s3["raw_weights"][2] == 0 and s3["params"]["weights"][2] == 0
    assert s3["n_samples"] == 0
    sample.click()
    s4 = state(root)
    check(s4)
    assert s4["counts"][2] == 0 and s4["n_samples"] == 1000
    # Equal relative weights, whatever their value: pi_k = 1/3.
    for k in (1, 2, 3):
        root.get_by_label(f"relative weight {k}").focus()
        lp.page.keyboard.press("End")
    s5 = state(root)
    np.testing.assert_allclose(s5["params"]["weights"], [1 / 3] * 3, rtol=1e-12)
    check(s5)
    root.get_by_role("button", name="Reset").click()
    assert state(root)["n_samples"] == 0
    assert lp.errors == []


def test_sampling_on_a_phone(open_page: Any) -> None:
    lp = open_page("book/01_mixture_model.html", phone=True)
    root = lp.lab("sampling")
    root.get_by_role("button", name="Sample").tap()
    assert state(root)["n_samples"] == 100
    slider = root.get_by_label("relative weight 1")
    box = slider.bounding_box()
    assert box is not None and box["width"] >= 200, "weight sliders must be long enough"
    assert box["x"] + box["width"] <= 390
    assert lp.errors == []


# --------------------------------------------------------------------------- responsibilities
def test_responsibilities(open_page: Any) -> None:
    lp = open_page("book/03_e_step.html")
    root = lp.lab("responsibilities")
    truth = ResponsibilitiesState()
    s0 = state(root)
    assert_params_close(s0["params"], truth.params)
    np.testing.assert_array_equal(s0["point"], truth.point)
    check_point_lab(s0)
    handle = root.locator("[data-emlib-handle='point']")
    check_handle_is_finger_sized(handle)
    mouse_drag(lp.page, handle, 50, 30)
    s1 = state(root)
    assert s1["point"][0] > s0["point"][0] + 0.5 and s1["point"][1] < s0["point"][1] - 0.3
    resp = check_point_lab(s1)
    assert live_text(root).endswith(f"γ₃ = {resp[2]:.2f}.")
    handle.focus()
    lp.page.keyboard.press("ArrowUp")
    s2 = state(root)
    assert s2["point"][1] > s1["point"][1] and s2["point"][0] == s1["point"][0]
    check_point_lab(s2)

    # Far away to the right: one component takes everything, and it is not the nearest.
    root.get_by_role("button", name="Reset").click()
    mouse_drag(lp.page, handle, 2000, 0, steps=12)
    s3 = state(root)
    assert s3["point"][0] > 8 and s3["point"][1] == pytest.approx(truth.point[1], abs=0.05)
    resp = check_point_lab(s3)
    means = np.asarray(s3["params"]["means"])
    nearest = int(np.argmin(((means - np.asarray(s3["point"])) ** 2).sum(axis=1)))
    assert resp.max() > 0.9 and int(np.argmax(resp)) != nearest, (s3["point"], resp)
    root.get_by_role("button", name="Reset").click()
    np.testing.assert_array_equal(state(root)["point"], truth.point)
    assert lp.errors == []


def test_responsibilities_touch_on_a_phone(open_page: Any) -> None:
    lp = open_page("book/03_e_step.html", phone=True)
    root = lp.lab("responsibilities")
    handle = root.locator("[data-emlib-handle='point']")
    check_handle_is_finger_sized(handle)
    before = scroll_y(lp.page)
    s0 = state(root)
    touch_drag(lp.page, handle, -40, 80)
    s = state(root)
    assert s["point"][0] < s0["point"][0] and s["point"][1] < s0["point"][1] - 1.0
    check_point_lab(s)
    assert scroll_y(lp.page) == before, "dragging the point scrolled the page"
    assert lp.errors == []


# --------------------------------------------------------------------------- E/M stepper
def check_stepper(lp: LabPage, root: Any, focus: str) -> None:
    truth = EMStepperState()
    s0 = state(root)
    assert s0["focus"] == focus
    X = np.asarray(s0["X"])
    np.testing.assert_array_equal(X, truth.X)
    assert s0["reg_covar"] == truth.run.reg_covar
    assert_params_close(s0["params"], truth.run.start)  # the notebook's start (seed 2)
    assert s0["iteration"] == 0 and s0["resp"] is None
    assert s0["log_likelihood"] == pytest.approx(emlib.log_likelihood(X, truth.run.start), rel=RTOL)
    e_button = root.get_by_role("button", name="E-step")
    m_button = root.get_by_role("button", name="M-step")
    assert m_button.is_disabled(), "there is nothing to re-estimate before an E-step"

    e_button.click()
    s1 = state(root)
    resp, ll = emlib.e_step(X, params_of(s0))
    np.testing.assert_allclose(s1["resp"], resp, rtol=RTOL, atol=1e-12)
    assert s1["log_likelihood"] == pytest.approx(ll, rel=RTOL)
    assert s1["phase"] == "E" and s1["iteration"] == 0
    m_button.click()
    s2 = state(root)
    want = emlib.m_step(X, np.asarray(s1["resp"]), "full", s0["reg_covar"])
    assert_params_close(s2["params"], want)
    assert s2["iteration"] == 1
    assert s2["log_likelihood"] == pytest.approx(emlib.log_likelihood(X, want), rel=RTOL)
    assert s2["log_likelihood"] >= s0["log_likelihood"]
    assert f"log p(X) = {s2['log_likelihood']:.2f}".replace("-", "−") in live_text(root)

    # A second M-step with the same responsibilities changes nothing.
    m_button.click()
    assert_params_close(state(root)["params"], want)

    # Full iterations from the keyboard (Enter on the focused button): log p(X) never falls.
    both = root.get_by_role("button", name="E + M")
    history = [state(root)["log_likelihood"]]
    for _ in range(5):
        before = state(root)
        both.focus()
        lp.page.keyboard.press("Enter")
        after = state(root)
        step = emlib.em_iteration(X, params_of(before), reg_covar=before["reg_covar"])
        assert_params_close(after["params"], step.params)
        history.append(after["log_likelihood"])
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:])), history
    assert state(root)["log_likelihood_history"][-len(history) :] == history

    root.get_by_role("button", name="Reset").click()
    s3 = state(root)
    assert s3["iteration"] == 0 and s3["resp"] is None
    assert_params_close(s3["params"], truth.run.start)


def test_em_stepper(open_page: Any) -> None:
    lp = open_page("book/02_chicken_and_egg.html")
    root = lp.lab("em_stepper")
    check_stepper(lp, root, "em")
    assert lp.errors == []


def test_em_stepper_m_step_view(open_page: Any) -> None:
    lp = open_page("book/04_m_step.html")
    root = lp.lab("em_stepper")
    check_stepper(lp, root, "m_step")
    # What the M-step recomputes: N_k from the responsibilities, before -> after.
    root.get_by_role("button", name="E-step").click()
    s1 = state(root)
    root.get_by_role("button", name="M-step").click()
    s2 = state(root)
    assert_params_close(s2["previous_params"], params_of(s1))
    rows = root.locator("table tr")
    assert rows.count() == 4
    nk = np.asarray(s1["resp"]).sum(axis=0)
    for k in range(3):
        cells = rows.nth(k + 1).locator("th, td").all_inner_texts()
        assert float(cells[1]) == pytest.approx(nk[k], abs=0.051)
        assert "→" in cells[3], "the table shows each mean before and after"
    np.testing.assert_allclose(np.asarray(s2["params"]["weights"]) * len(s1["X"]), nk, rtol=1e-9)
    # The points weighted by one component's responsibilities.
    root.get_by_label("Points show").select_option("1")
    assert state(root)["shown"] == "1"
    assert "component 2" in live_text(root)
    assert lp.errors == []
