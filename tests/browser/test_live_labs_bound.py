"""Chapter 7's live lab, bound, driven as a reader drives it, checked against emlib.

On the chapter's page, in Debian's Chromium with no route to the internet: drag theta_t
(the mean mu_1 on the slice) with the mouse, press E-step, M-step, Step and Reset, move
theta_t with the keyboard. After every action the lab's numbers (mu_1, log p(X | theta_t),
L(q, theta_t), the KL gap, q) must be emlib's, computed in Python from the page's state, to
1e-9; the E-step closes the gap, the M-step lands on the bound's maximiser and log p(X)
never decreases over steps. No console errors. (The generic contract checks, phone and
touch included, run over this lab in ``test_live_labs_contract.py``.)
"""

from __future__ import annotations

import numpy as np
import pytest
from labdrive import LabPages

import emlib
from emlib.labs import BoundState

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

RTOL = 1e-9
SLICE = BoundState(n_grid=11)  # only for the slice theta(mu_1) and its range


def check(s: dict) -> tuple[np.ndarray, emlib.MixtureParams]:
    """The page's numbers are emlib's for its theta_t and q."""
    X = np.asarray(s["X"], dtype=float)
    np.testing.assert_array_equal(X, SLICE.X)
    params = emlib.MixtureParams(**s["params"])
    want = SLICE.theta_at(s["mu"])
    for key in ("weights", "means", "covariances"):
        np.testing.assert_array_equal(getattr(params, key), getattr(want, key), err_msg=key)
    q = np.asarray(s["resp"], dtype=float)
    # q is the posterior where the last E-step was done (stale after a drag).
    np.testing.assert_allclose(
        q, emlib.e_step(X, SLICE.theta_at(s["q_mu"]))[0], rtol=RTOL, atol=1e-12
    )
    ll = emlib.log_likelihood(X, params)
    low = emlib.elbo(X, q, params)
    np.testing.assert_allclose([s["log_likelihood"], s["elbo"]], [ll, low], rtol=RTOL)
    np.testing.assert_allclose(s["gap"], ll - low, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s["gap"], emlib.kl_divergence(X, q, params), rtol=1e-6, atol=1e-9)
    top = emlib.m_step(X, q, "spherical").means[0, 0]
    np.testing.assert_allclose(s["bound_top"], top, rtol=RTOL)
    return X, q


def test_bound_drag_e_step_m_step(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("bound")
    lab = page.lab("bound")
    s0 = lab.press("Reset")  # (the contract test may have moved it on this shared page)
    check(s0)
    assert s0["mu"] == 3.4 and abs(s0["gap"]) < 1e-9  # the bound touches at the start

    # Drag theta_t to the left: a new start, q stale, a gap opens.
    s1 = lab.drag_by("theta", -150, 0)
    check(s1)
    assert s1["mu"] < s0["mu"] - 0.3 and s1["phase"] == "moved" and s1["iteration"] == 0
    assert s1["q_mu"] == s0["mu"] and s1["gap"] > 0.1
    assert "E-step" in lab.live_text()

    e = lab.press("E-step")
    X, q = check(e)
    assert e["q_mu"] == e["mu"] == s1["mu"] and abs(e["gap"]) < 1e-9

    m = lab.press("M-step")
    check(m)
    q1 = q[:, 0]
    np.testing.assert_allclose(m["mu"], (q1 @ X[:, 0]) / q1.sum(), rtol=RTOL)  # the bound's top
    fine = np.linspace(m["mu"] - 0.01, m["mu"] + 0.01, 201)
    assert m["elbo"] >= max(emlib.elbo(X, q, SLICE.theta_at(v)) for v in fine) - 1e-9
    assert m["log_likelihood"] >= m["elbo"] and m["log_likelihood"] > e["log_likelihood"]
    assert m["iteration"] == 1 and "top of the bound" in lab.live_text()

    lls = [e["log_likelihood"], m["log_likelihood"]]
    for _ in range(3):
        s = lab.press("Step")
        check(s)
        lls.append(s["log_likelihood"])
    assert np.all(np.diff(lls) >= -1e-9), lls

    # The keyboard moves theta_t along the slice; Reset goes back to the start.
    k = lab.key("theta", "ArrowRight")
    check(k)
    lo, hi = SLICE.mu_range
    np.testing.assert_allclose(k["mu"] - s["mu"], (hi - lo) / 150, rtol=1e-9)
    r = lab.press("Reset")
    check(r)
    assert r["mu"] == 3.4 and r["iteration"] == 0 and abs(r["gap"]) < 1e-9
    assert r["phase"] == "start"
    page.assert_no_problems()
