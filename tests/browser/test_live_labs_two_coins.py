"""Chapter 9's live lab, two coins, driven as a reader drives it, checked against emlib.

On the chapter's page, in Debian's Chromium with no route to the internet: drag the start
(θ_A, θ_B) with the mouse and, in a 390-pixel phone context, with a finger (the page must not
scroll); press Step, E-step, M-step, Run and Reset. After every action the lab's state must
equal what emlib computes in Python (``bernoulli_e_step``, ``bernoulli_m_step`` and chapter
9's tie) to 1e-9, log p(X) must never decrease, and a start on the diagonal must stay on it.
No console errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from labdrive import Lab, LabPages

import emlib
from emlib.labs._two_coins import coin_data

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

RTOL = 1e-9
NAME = "two_coins"


def start_of(s: dict) -> list[float]:
    """the start (θ_A, θ_B)"""
    return s["start"]


def tie(params: emlib.BernoulliMixtureParams) -> emlib.BernoulliMixtureParams:
    """Chapter 9's tie: one probability per coin, equal weights."""
    pooled = np.repeat(params.probs.mean(axis=1, keepdims=True), params.n_features, axis=1)
    return emlib.BernoulliMixtureParams(weights=[0.5, 0.5], probs=pooled)


def params_of(s: dict) -> emlib.BernoulliMixtureParams:
    return emlib.BernoulliMixtureParams(**s["params"])


def check_state(s: dict) -> None:
    """The state is self-consistent and its log p(X) is emlib's."""
    X = np.asarray(s["X"], dtype=float)
    assert np.array_equal(X, coin_data(s["heads"]))
    params = params_of(s)
    assert params.weights.tolist() == [0.5, 0.5]
    assert np.ptp(params.probs, axis=1).max() == 0.0  # tied: one probability per coin
    assert s["theta"] == [params.probs[0, 0], params.probs[1, 0]]
    log_lik = emlib.bernoulli_log_likelihood(X, params)
    np.testing.assert_allclose(s["log_likelihood"], log_lik, rtol=RTOL)


def press_step_and_check(lab: Lab, s: dict, times: int) -> dict:
    """Press Step ``times`` times; each must be emlib's E-step, M-step and tie."""
    X = np.asarray(s["X"], dtype=float)
    for _ in range(times):
        before = params_of(s)
        resp, _ = emlib.bernoulli_e_step(X, before)
        want = tie(emlib.bernoulli_m_step(X, resp))
        after = lab.press("Step")
        check_state(after)
        assert after["iteration"] == s["iteration"] + 1 and after["phase"] == "M"
        np.testing.assert_allclose(after["responsibilities"], resp, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(after["params"]["probs"], want.probs, rtol=RTOL)
        assert after["log_likelihood"] >= s["log_likelihood"] - 1e-9, "log p(X) decreased"
        assert after["path"][-1] == after["theta"]
        s = after
    history = np.array(s["log_likelihood_history"])
    assert (np.diff(history) >= -1e-9).all()
    return s


def test_two_coins_mouse_steps_run_and_label_switching(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab(NAME).reload()  # other tests may have moved it
    mark = page.mark()
    lab = page.lab(NAME)
    s = lab.state()
    check_state(s)
    assert s["heads"] == [5, 9, 8, 4, 7] and s["start"] == [0.6, 0.5] and s["iteration"] == 0
    assert s["responsibilities"] is None

    # The paper's start: ten iterations reach theta_A ~ 0.80, theta_B ~ 0.52.
    s = press_step_and_check(lab, s, 10)
    assert s["theta"] == pytest.approx([0.797, 0.520], abs=2e-3)

    # Drag the start above the diagonal (mouse): EM starts again from there.
    s = lab.drag_to("start", (0.35, 0.7), position=start_of)
    assert s["start"] == pytest.approx([0.35, 0.7], abs=0.01)
    assert s["iteration"] == 0 and s["theta"] == s["start"] and s["path"] == [s["start"]]
    check_state(s)
    assert "Start" in lab.live_text()

    # Half-steps by hand, then Step.
    e = lab.press("E-step")
    resp, log_lik = emlib.bernoulli_e_step(np.asarray(e["X"]), params_of(e))
    np.testing.assert_allclose(e["responsibilities"], resp, rtol=RTOL, atol=1e-12)
    m = lab.press("M-step")
    want = tie(emlib.bernoulli_m_step(np.asarray(e["X"]), resp))
    np.testing.assert_allclose(m["params"]["probs"], want.probs, rtol=RTOL)
    assert m["log_likelihood"] >= log_lik - 1e-9
    s = press_step_and_check(lab, m, 4)

    # Run to convergence: the mirror image of the paper's answer (coins A and B swapped).
    lab.press("Run")
    s = lab.wait_for_state(lambda st: not st["running"] and st["converged"], what="converged")
    check_state(s)
    assert s["theta"] == pytest.approx([0.5196, 0.7968], abs=1e-3)
    assert (np.diff(s["log_likelihood_history"]) >= -1e-9).all()
    assert "fewer heads" in lab.live_text() and "labels switched" in lab.live_text()

    # Edit the heads of set 1: new data, a new map, EM starts again; a bad count is refused.
    set1 = lab.root.get_by_label("set 1", exact=True)
    change = "(el, v) => { el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); }"
    set1.evaluate(change, "10")
    edited = lab.state()
    assert edited["heads"] == [10, 9, 8, 4, 7] and edited["iteration"] == 0
    check_state(edited)
    press_step_and_check(lab, edited, 2)
    set1.evaluate(change, "11")
    assert lab.state()["heads"][0] == 10 and "from 0 to 10" in lab.live_text()
    set1.evaluate(change, "5")
    s = lab.state()
    assert s["heads"] == [5, 9, 8, 4, 7]

    # The keyboard moves the start too; Reset goes back to it.
    keyed = lab.key("start", "ArrowRight", shift=True)
    assert keyed["start"][0] == pytest.approx(s["start"][0] + 0.1, abs=1e-9)
    reset = lab.press("Reset")
    assert reset["iteration"] == 0 and reset["theta"] == reset["start"]
    page.assert_no_problems(since=mark)


def test_two_coins_touch_diagonal_start_stays_on_the_diagonal(phone_lab_pages: LabPages) -> None:
    page = phone_lab_pages.open_lab(NAME).reload()  # other tests may have moved it
    mark = page.mark()
    lab = page.lab(NAME)
    # A finger drags the start onto the diagonal (it snaps there); the page does not scroll.
    s = lab.touch_drag_to("start", (0.42, 0.42), position=start_of)
    assert s["start"][0] == s["start"][1] == pytest.approx(0.42, abs=0.015)
    check_state(s)
    assert "diagonal" in lab.live_text()
    s = press_step_and_check(lab, s, 4)
    for theta in s["path"]:
        assert theta[0] == theta[1], f"EM left the diagonal: {s['path']}"
    np.testing.assert_allclose(s["responsibilities"], 0.5, rtol=1e-12)
    assert s["theta"][0] == pytest.approx(33 / 50, rel=1e-12)  # the pooled frequency
    # Off the diagonal the map is higher: the symmetric fixed point is a saddle.
    X = np.asarray(s["X"], dtype=float)
    off = emlib.BernoulliMixtureParams([0.5, 0.5], [[0.67] * 10, [0.65] * 10])
    assert emlib.bernoulli_log_likelihood(X, off) > s["log_likelihood"]
    # A finger drag off the diagonal (below it) and Run: the paper's maximum.
    s = lab.touch_drag_to("start", (0.7, 0.3), position=start_of)
    assert s["start"][0] > s["start"][1] and s["iteration"] == 0
    # With prefers-reduced-motion, Run does not animate: it is done when the tap returns.
    page.page.emulate_media(reduced_motion="reduce")
    try:
        s = lab.press("Run")
    finally:
        page.page.emulate_media(reduced_motion="no-preference")
    assert s["converged"] and not s["running"] and s["iteration"] > 5
    check_state(s)
    assert (np.diff(s["log_likelihood_history"]) >= -1e-9).all()
    assert s["theta"] == pytest.approx([0.7968, 0.5196], abs=1e-3)
    page.assert_no_problems(since=mark)
