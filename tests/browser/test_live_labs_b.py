"""Live labs 1-4 on their chapter pages, driven as a reader drives them, checked with emlib.

For each lab (border point, sampling, responsibilities, the E/M stepper and its chapter-4
M-step view), in Debian's Chromium with no route to the internet: mouse drags, touch drags
in a 390-pixel phone context with touch (the page must not scroll), the keyboard and the
buttons. After every action the lab's state (``element.emlibLab.state()``) must have changed
as it should and must equal what emlib computes in Python from that state. No console errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from labdrive import Lab, LabPages

import emlib
from emlib.labs import EMStepperState, ResponsibilitiesState, SamplingState
from emlib.labs._border_point import BorderPointState

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

RTOL = 1e-9


# --------------------------------------------------------------------------- helpers
def fields(lab: Lab, *keys: str) -> dict:
    """Some entries of the lab's state (quicker than :meth:`Lab.state` in a long loop)."""
    return lab.root.evaluate(
        "(el, keys) => { const s = el.emlibLab.state();"
        " return Object.fromEntries(keys.map((k) => [k, s[k]])); }",
        list(keys),
    )


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


def check_finger_sized(lab: Lab, name: str) -> None:
    width, height = lab.handle_size(name)
    assert width >= 44 and height >= 44, (width, height)


def open_lab(pages: LabPages, path: str, name: str, *, reload: bool = False) -> tuple[Any, Lab]:
    """The lab on its chapter page (pages are shared by tests: ``reload`` for a first state)."""
    page = pages.open(path)
    if reload:
        page.reload()
    return page, page.lab(name)


# --------------------------------------------------------------------------- border point
CH0 = "book/00_why_soft_clustering.html"


def test_border_point(lab_pages: LabPages) -> None:
    page, lab = open_lab(lab_pages, CH0, "border_point")
    mark = page.mark()
    s0 = lab.press("Reset")
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
        assert f"γ₁ = {resp[0]:.2f}" in lab.live_text()
        return resp

    check_finger_sized(lab, "point")
    s1 = lab.drag_to("point", (-1.5, 1.0), position=lambda s: s["point"])
    np.testing.assert_allclose(s1["point"], [-1.5, 1.0], atol=0.1)
    assert check(s1)[0] > 0.9

    # Keyboard: one step right, then ten (Shift), from the focused star.
    s2 = lab.key("point", "ArrowRight")
    step = s2["point"][0] - s1["point"][0]
    assert step > 0 and s2["point"][1] == s1["point"][1]
    s3 = lab.key("point", "ArrowRight", shift=True)
    assert s3["point"][0] - s2["point"][0] == pytest.approx(10 * step, rel=1e-9)
    check(s3)

    # Along the line y = 0, left to right, with the keyboard: the GMM changes its mind
    # twice (its 50/50 point near the tight cluster, and the reversal far to the right)
    # while k-means changes once.
    assert lab.press("Reset")["point"] == [0.0, 0.0]
    lab.key("point", "ArrowLeft", shift=True, times=6)
    gammas, labels, xs = [], [], []
    for _ in range(55):
        s = {**s0, **fields(lab, "point", "responsibilities", "kmeans_label", "hard")}
        xs.append(s["point"][0])
        gammas.append(check(s)[0])
        labels.append(s["kmeans_label"])
        lab.page.keyboard.press("ArrowRight")
    g = np.asarray(gammas) - 0.5
    soft_changes = np.flatnonzero(np.diff(np.sign(g)))
    hard_changes = np.flatnonzero(np.diff(labels))
    assert len(soft_changes) == 2, (xs, gammas)
    assert len(hard_changes) == 1
    assert xs[soft_changes[0]] > xs[hard_changes[0]], "the GMM's 50/50 point is not k-means'"
    assert labels[-1] == 1 and gammas[-1] > 0.5, "the reversal far to the right must be reachable"
    page.assert_no_problems(since=mark)


def test_border_point_touch_on_a_phone(phone_lab_pages: LabPages) -> None:
    page, lab = open_lab(phone_lab_pages, CH0, "border_point")
    mark = page.mark()
    box = lab.root.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    check_finger_sized(lab, "point")
    s0 = lab.press("Reset")
    s = lab.touch_drag_by("point", 60, -90)  # asserts that the page did not scroll
    assert s["point"][0] > s0["point"][0] + 0.5 and s["point"][1] > s0["point"][1] + 0.8
    check_point_lab(s)
    s = lab.touch_drag_to("point", (1.0, -2.0), position=lambda s: s["point"])
    np.testing.assert_allclose(s["point"], [1.0, -2.0], atol=0.1)
    check_point_lab(s)
    page.assert_no_problems(since=mark)


# --------------------------------------------------------------------------- sampling
CH1 = "book/01_mixture_model.html"


def test_sampling(lab_pages: LabPages) -> None:
    page, lab = open_lab(lab_pages, CH1, "sampling", reload=True)
    mark = page.mark()
    truth = SamplingState()
    s0 = lab.state()
    assert_params_close(s0["params"], truth.params)
    assert s0["n_samples"] == 0 and s0["counts"] == [0, 0, 0]

    def check(s: dict) -> None:
        labels = np.asarray(s["labels"], dtype=int)
        assert len(s["X"]) == len(labels) == s["n_samples"] == sum(s["counts"])
        np.testing.assert_array_equal(np.bincount(labels, minlength=3), s["counts"])
        truth.set_weights(s["raw_weights"])
        assert_params_close(s["params"], truth.params)

    s1 = lab.press("Sample")
    assert s1["n_samples"] == 100
    check(s1)
    # The count slider, from the keyboard: End = the largest batch (1000).
    lab.root.get_by_label("samples per draw").focus()
    page.page.keyboard.press("End")
    for _ in range(4):
        lab.press("Sample")
    s2 = lab.state()
    assert s2["n_samples"] == 4100
    check(s2)
    n = s2["n_samples"]
    w = np.asarray(s2["params"]["weights"])
    shares = np.asarray(s2["counts"]) / n
    assert np.all(np.abs(shares - w) < 4 * np.sqrt(w * (1 - w) / n)), (shares, w)
    assert f"N = {n} samples" in lab.live_text()

    # A weight slider to 0 (Home): the samples are discarded and component 3 disappears.
    lab.root.get_by_label("relative weight 3").focus()
    page.page.keyboard.press("Home")
    s3 = lab.state()
    assert s3["raw_weights"][2] == 0 and s3["params"]["weights"][2] == 0
    assert s3["n_samples"] == 0
    s4 = lab.press("Sample")
    check(s4)
    assert s4["counts"][2] == 0 and s4["n_samples"] == 1000
    # Equal relative weights, whatever their value: pi_k = 1/3.
    for k in (1, 2, 3):
        s5 = lab.set_range(f"relative weight {k}", 0.4)
    np.testing.assert_allclose(s5["params"]["weights"], [1 / 3] * 3, rtol=1e-12)
    assert s5["raw_weights"] == [0.4, 0.4, 0.4]
    check(s5)
    assert lab.press("Reset")["n_samples"] == 0
    page.assert_no_problems(since=mark)


def test_sampling_on_a_phone(phone_lab_pages: LabPages) -> None:
    page, lab = open_lab(phone_lab_pages, CH1, "sampling")
    mark = page.mark()
    lab.press("Reset")
    assert lab.press("Sample")["n_samples"] == 100  # a tap
    box = lab.root.get_by_label("relative weight 1").bounding_box()
    assert box is not None and box["width"] >= 200, "weight sliders must be long enough"
    assert box["x"] + box["width"] <= 390
    page.assert_no_problems(since=mark)


# --------------------------------------------------------------------------- responsibilities
CH3 = "book/03_e_step.html"


def test_responsibilities(lab_pages: LabPages) -> None:
    page, lab = open_lab(lab_pages, CH3, "responsibilities")
    mark = page.mark()
    truth = ResponsibilitiesState()
    s0 = lab.press("Reset")
    assert_params_close(s0["params"], truth.params)
    np.testing.assert_array_equal(s0["point"], truth.point)
    check_point_lab(s0)
    check_finger_sized(lab, "point")
    s1 = lab.drag_by("point", 50, 30)
    assert s1["point"][0] > s0["point"][0] + 0.5 and s1["point"][1] < s0["point"][1] - 0.3
    resp = check_point_lab(s1)
    assert lab.live_text().endswith(f"γ₃ = {resp[2]:.2f}.")
    # Exactly between the means of components 1 and 2: the bars are not equal.
    means = np.asarray(s0["params"]["means"])
    s2 = lab.drag_to("point", (means[0] + means[1]) / 2, position=lambda s: s["point"])
    np.testing.assert_allclose(s2["point"], (means[0] + means[1]) / 2, atol=0.1)
    resp = check_point_lab(s2)
    assert abs(resp[0] - resp[1]) > 0.1
    s3 = lab.key("point", "ArrowUp")
    assert s3["point"][1] > s2["point"][1] and s3["point"][0] == s2["point"][0]
    check_point_lab(s3)

    # Far away to the right: one component takes everything, and it is not the nearest.
    lab.press("Reset")
    s4 = lab.drag_by("point", 2000, 0)
    assert s4["point"][0] > 8 and s4["point"][1] == pytest.approx(truth.point[1], abs=0.05)
    resp = check_point_lab(s4)
    nearest = int(np.argmin(((means - np.asarray(s4["point"])) ** 2).sum(axis=1)))
    assert resp.max() > 0.9 and int(np.argmax(resp)) != nearest, (s4["point"], resp)
    np.testing.assert_array_equal(lab.press("Reset")["point"], truth.point)
    page.assert_no_problems(since=mark)


def test_responsibilities_touch_on_a_phone(phone_lab_pages: LabPages) -> None:
    page, lab = open_lab(phone_lab_pages, CH3, "responsibilities")
    mark = page.mark()
    check_finger_sized(lab, "point")
    s0 = lab.press("Reset")
    s = lab.touch_drag_by("point", -40, 80)  # asserts that the page did not scroll
    assert s["point"][0] < s0["point"][0] and s["point"][1] < s0["point"][1] - 1.0
    check_point_lab(s)
    page.assert_no_problems(since=mark)


# --------------------------------------------------------------------------- E/M stepper
def check_stepper(lab: Lab, focus: str) -> None:
    truth = EMStepperState()
    s0 = lab.press("Reset")
    assert s0["focus"] == focus
    X = np.asarray(s0["X"])
    np.testing.assert_array_equal(X, truth.X)
    assert s0["reg_covar"] == truth.run.reg_covar
    assert_params_close(s0["params"], truth.run.start)  # the notebook's start (seed 2)
    assert s0["iteration"] == 0 and s0["resp"] is None
    assert s0["log_likelihood"] == pytest.approx(emlib.log_likelihood(X, truth.run.start), rel=RTOL)
    assert lab.button("M-step").is_disabled(), "nothing to re-estimate before an E-step"

    s1 = lab.press("E-step")
    resp, ll = emlib.e_step(X, params_of(s0))
    np.testing.assert_allclose(s1["resp"], resp, rtol=RTOL, atol=1e-12)
    assert s1["log_likelihood"] == pytest.approx(ll, rel=RTOL)
    assert s1["phase"] == "E" and s1["iteration"] == 0
    s2 = lab.press("M-step")
    want = emlib.m_step(X, np.asarray(s1["resp"]), "full", s0["reg_covar"])
    assert_params_close(s2["params"], want)
    assert s2["iteration"] == 1
    assert s2["log_likelihood"] == pytest.approx(emlib.log_likelihood(X, want), rel=RTOL)
    assert s2["log_likelihood"] >= s0["log_likelihood"]
    assert f"log p(X) = {s2['log_likelihood']:.2f}".replace("-", "−") in lab.live_text()

    # A second M-step with the same responsibilities changes nothing.
    assert_params_close(lab.press("M-step")["params"], want)

    # Full iterations from the keyboard (Enter on the focused button): log p(X) never falls.
    history = [lab.state()["log_likelihood"]]
    for _ in range(5):
        before = lab.state()
        lab.button("E + M").focus()
        lab.page.keyboard.press("Enter")
        after = lab.state()
        step = emlib.em_iteration(X, params_of(before), reg_covar=before["reg_covar"])
        assert_params_close(after["params"], step.params)
        history.append(after["log_likelihood"])
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[1:])), history
    assert lab.state()["log_likelihood_history"][-len(history) :] == history

    s3 = lab.press("Reset")
    assert s3["iteration"] == 0 and s3["resp"] is None
    assert_params_close(s3["params"], truth.run.start)


def test_em_stepper(lab_pages: LabPages) -> None:
    page, lab = open_lab(lab_pages, "book/02_chicken_and_egg.html", "em_stepper")
    mark = page.mark()
    check_stepper(lab, "em")
    page.assert_no_problems(since=mark)


def test_em_stepper_m_step_view(lab_pages: LabPages) -> None:
    page, lab = open_lab(lab_pages, "book/04_m_step.html", "em_stepper")
    mark = page.mark()
    check_stepper(lab, "m_step")
    # What the M-step recomputes: N_k from the responsibilities, before -> after.
    s1 = lab.press("E-step")
    s2 = lab.press("M-step")
    assert_params_close(s2["previous_params"], params_of(s1))
    rows = lab.root.locator("table tr")
    assert rows.count() == 4
    nk = np.asarray(s1["resp"]).sum(axis=0)
    for k in range(3):
        cells = rows.nth(k + 1).locator("th, td").all_inner_texts()
        assert float(cells[1]) == pytest.approx(nk[k], abs=0.051)
        assert "→" in cells[3], "the table shows each mean before and after"
    np.testing.assert_allclose(np.asarray(s2["params"]["weights"]) * len(s1["X"]), nk, rtol=1e-9)
    # The points weighted by one component's responsibilities.
    assert lab.select("Points show", "1")["shown"] == "1"
    assert "component 2" in lab.live_text()
    page.assert_no_problems(since=mark)


def test_em_stepper_on_a_phone(phone_lab_pages: LabPages) -> None:
    page, lab = open_lab(phone_lab_pages, "book/04_m_step.html", "em_stepper")
    mark = page.mark()
    lab.press("Reset")
    s = lab.press("E + M")  # taps
    assert s["iteration"] == 1 and s["phase"] == "M"
    box = lab.root.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390, box
    page.assert_no_problems(since=mark)
