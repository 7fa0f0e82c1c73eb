"""Live labs 5-9 on their chapter pages, driven as a reader drives them, checked with emlib.

The EM lab (chapter 5), k-means versus GMM (chapter 6), convergence (chapter 7), break it
and choosing K (chapter 8), in Debian's Chromium with no route to the internet: mouse drags
of the starting means, a touch drag in a 390-pixel phone context, the keyboard, the buttons,
sliders and menus. After every action the lab's state (``element.emlibLab.state()``) must
have changed as it should and must equal what emlib computes in Python from that state:
parameters after a step are emlib's E-step then M-step, a run stops where
``emlib.GaussianMixture`` stops, the log-likelihood never decreases, ELBO + KL = log p(X),
a component collapses at ``reg_covar = 0``, and the BIC minimum is where emlib finds it.
No console errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from labdrive import Lab, LabPages

import emlib
from emlib import matched_accuracy
from emlib.labs._em import initial_indices, initial_params, load_dataset

pytestmark = pytest.mark.book  # needs the built website (see tests/conftest.py)

RTOL = 1e-9


def _params(p: dict) -> emlib.MixtureParams:
    keys = ("weights", "means", "covariances", "covariance_type")
    return emlib.MixtureParams(**{k: p[k] for k in keys})


def _assert_params(got: dict, want: emlib.MixtureParams, rtol: float = RTOL) -> None:
    assert got["covariance_type"] == want.covariance_type
    for key in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            np.asarray(got[key]), np.asarray(getattr(want, key)), rtol=rtol, atol=rtol, err_msg=key
        )


def _em_step(state: dict, before: dict) -> None:
    """``state`` holds emlib's E-step then M-step from the parameters of ``before``."""
    X = np.asarray(before["X"])
    resp, _ = emlib.e_step(X, _params(before["params"]))
    want = emlib.m_step(X, resp, before["params"]["covariance_type"], before["reg_covar"])
    _assert_params(state["params"], want)
    np.testing.assert_allclose(state["log_likelihood"], emlib.log_likelihood(X, want), rtol=RTOL)


def _wait_stopped(lab: Lab, timeout: float = 30.0) -> dict:
    return lab.wait_for_state(lambda s: not s["running"], timeout=timeout, what="run finished")


def _fit_from_start(state: dict, tol: float, max_iter: int) -> emlib.GaussianMixture:
    start = _params(state["start"])
    return emlib.GaussianMixture(
        start.n_components,
        covariance_type=start.covariance_type,
        tol=tol,
        max_iter=max_iter,
        reg_covar=state["reg_covar"],
        weights_init=start.weights,
        means_init=start.means,
        precisions_init=start.precisions,
    ).fit(np.asarray(state["X"]))


def _monotone(history) -> None:
    h = np.asarray(history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), f"log p(X) went down: {np.diff(h).min()}"


# --------------------------------------------------------------------------- EM lab (ch. 5)
def test_em_lab_drag_step_and_chapter_5_experiments(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("em_lab")
    lab = page.lab("em_lab")
    s0 = lab.state()
    X = np.asarray(s0["X"])
    assert s0["iteration"] == 0 and s0["init"] == "random"
    np.testing.assert_array_equal(
        s0["start_means"], X[initial_indices(X, s0["n_components"], "random", s0["seed"])]
    )
    _assert_params(
        s0["params"], initial_params(X, np.asarray(s0["start_means"]), s0["covariance_type"])
    )

    # Drag the first starting mean onto a data point with the mouse: EM starts again there.
    goal = X[5]
    s1 = lab.drag_to("mean-0", goal, position=lambda s: s["start_means"][0])
    span = X.max(axis=0) - X.min(axis=0)
    assert np.all(np.abs(np.asarray(s1["start_means"][0]) - goal) < 0.03 * span)
    assert s1["init"] == "manual" and s1["iteration"] == 0
    _assert_params(s1["params"], initial_params(X, np.asarray(s1["start_means"]), "full"))
    assert "μ₁" in lab.live_text()

    # Step: emlib's E-step then M-step, twice.
    s2 = lab.press("Step")
    assert s2["iteration"] == 1
    _em_step(s2, s1)
    s3 = lab.press("Step")
    _em_step(s3, s2)

    # The keyboard moves a focused starting mean and starts again.
    s4 = lab.key("mean-1", "ArrowRight", shift=True)
    assert s4["start_means"][1][0] > s3["start_means"][1][0] and s4["iteration"] == 0

    # Experiment 1: a start that stalls (tol 1e-3), then escapes with tol 1e-6, exactly where
    # emlib.GaussianMixture stops from the same start.
    s = lab.select("experiment", "0")
    assert (s["dataset"], s["seed"], s["tol"]) == ("elongated", 0, 1e-3)
    lab.press("Run")
    stalled = _wait_stopped(lab)
    gm = _fit_from_start(stalled, 1e-3, stalled["max_iter"])
    assert stalled["converged"] and stalled["iteration"] == gm.n_iter_
    _assert_params(stalled["params"], gm.params_, rtol=1e-7)
    _monotone(stalled["history"])
    lab.select("tol", "10⁻⁶")
    lab.press("Run")
    escaped = _wait_stopped(lab)
    gm6 = _fit_from_start(escaped, 1e-6, 500)
    assert escaped["iteration"] == gm6.n_iter_
    _assert_params(escaped["params"], gm6.params_, rtol=1e-6)
    _monotone(escaped["history"])
    assert escaped["log_likelihood"] > stalled["log_likelihood"] + 100, "EM did not escape"

    # Restart: the next seed's start, drawn by emlib; the previous curve is kept.
    r = lab.press("Restart")
    assert r["seed"] == 1 and r["iteration"] == 0 and r["previous_history"]
    np.testing.assert_array_equal(
        r["start_means"], np.asarray(r["X"])[initial_indices(np.asarray(r["X"]), 3, "random", 1)]
    )
    # Spherical versus full: the same start, another covariance type, emlib's step.
    sph = lab.select("covariance", "spherical")
    assert sph["params"]["covariance_type"] == "spherical" and sph["iteration"] == 0
    _em_step(lab.press("Step"), sph)
    page.assert_no_problems()


def test_em_lab_touch_drag_on_a_phone(phone_lab_pages: LabPages) -> None:
    page = phone_lab_pages.open_lab("em_lab")
    lab = page.lab("em_lab")
    before = lab.state()
    w, h = lab.handle_size("mean-2")
    assert min(w, h) >= 44, f"a starting mean is {w} x {h} px, too small for a finger"
    after = lab.touch_drag_by("mean-2", -40, 30)  # asserts that the page did not scroll
    moved = np.asarray(after["start_means"][2]) - np.asarray(before["start_means"][2])
    assert moved[0] < 0 and moved[1] < 0 and after["iteration"] == 0
    _em_step(lab.press("Step"), after)
    page.assert_no_problems()


# --------------------------------------------------------------------- k-means vs GMM (ch. 6)
def test_kmeans_vs_gmm_step_together_from_one_start(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("kmeans_vs_gmm")
    lab = page.lab("kmeans_vs_gmm")
    s0 = lab.state()
    X = np.asarray(s0["X"])
    start = np.asarray(s0["start_means"])
    k = s0["n_components"]
    np.testing.assert_array_equal(start, X[initial_indices(X, k, "k-means++", s0["seed"])])
    np.testing.assert_array_equal(s0["kmeans"]["centers"], start)
    np.testing.assert_array_equal(s0["params"]["means"], start)

    s1 = lab.press("Step")
    one = emlib.KMeans(k, init=start, n_init=1, max_iter=1).fit(X)
    np.testing.assert_allclose(s1["kmeans"]["centers"], one.cluster_centers_, rtol=RTOL)
    _em_step(s1, s0)

    lab.press("Run")
    done = _wait_stopped(lab)
    km = emlib.KMeans(k, init=start, n_init=1, tol=0.0).fit(X)
    assert done["kmeans"]["converged"] and done["converged"]
    np.testing.assert_allclose(done["kmeans"]["centers"], km.cluster_centers_, rtol=RTOL)
    np.testing.assert_array_equal(done["kmeans"]["labels"], km.labels_)
    gm = _fit_from_start(done, 1e-3, 300)
    assert done["iteration"] == gm.n_iter_
    _assert_params(done["params"], gm.params_, rtol=1e-7)
    _monotone(done["history"])
    gm_labels = emlib.e_step(X, _params(done["params"]))[0].argmax(axis=1)
    assert done["agreement"] == pytest.approx(np.mean(gm_labels == km.labels_))
    assert f"{round(100 * done['agreement'])}%" in lab.live_text()
    z = load_dataset(done["dataset"]).z
    assert done["accuracy"]["kmeans"] == pytest.approx(matched_accuracy(km.labels_, z, k))
    assert done["accuracy"]["gmm"] == pytest.approx(matched_accuracy(gm_labels, z, k))

    # Another data set and the spherical GMM: a new common start, still emlib's steps.
    s2 = lab.select("data", "blobs")
    s3 = lab.select("GMM covariance", "spherical")
    assert s2["dataset"] == s3["dataset"] == "blobs" and s3["iteration"] == 0
    _em_step(lab.press("Step"), s3)
    page.assert_no_problems()


# ----------------------------------------------------------------------- convergence (ch. 7)
def test_convergence_half_steps_elbo_and_kl(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("convergence")
    lab = page.lab("convergence")
    s0 = lab.state()
    X = np.asarray(s0["X"])
    assert s0["phase"] == "init" and s0["history"][0]["elbo"] is None
    previous = None
    for _ in range(3):
        e = lab.press("E-step")
        h = e["history"][-1]
        parts = emlib.elbo_decomposition(X, np.asarray(e["resp"]), _params(e["params"]))
        np.testing.assert_allclose(
            [h["log_likelihood"], h["elbo"], h["kl"]],
            [parts.log_likelihood, parts.elbo, parts.kl],
            rtol=RTOL,
            atol=1e-8,
        )
        assert abs(h["kl"]) < 1e-8, "after the E-step the KL gap must be 0"
        m = lab.press("M-step")
        g = m["history"][-1]
        _em_step(m, e)
        np.testing.assert_allclose(g["elbo"] + g["kl"], g["log_likelihood"], rtol=RTOL)
        assert g["elbo"] > h["elbo"], "the M-step must raise the ELBO"
        assert g["log_likelihood"] - h["log_likelihood"] >= g["elbo"] - h["elbo"] - 1e-9
        assert g["kl"] >= 0
        if previous is not None:
            assert h["log_likelihood"] >= previous - 1e-9
        previous = g["log_likelihood"]
        assert "KL" in lab.live_text()
    _monotone([h["log_likelihood"] for h in m["history"]])
    r = lab.press("Reset")
    assert r["iteration"] == 0 and len(r["history"]) == 1
    # The keyboard: Enter on the focused E-step button.
    lab.button("E-step").focus()
    lab.page.keyboard.press("Enter")
    k = lab.state()
    assert k["phase"] == "E" and abs(k["history"][-1]["kl"]) < 1e-8
    page.assert_no_problems()


def test_convergence_buttons_by_touch(phone_lab_pages: LabPages) -> None:
    page = phone_lab_pages.open_lab("convergence")
    lab = page.lab("convergence")
    s0 = lab.press("Reset")
    s1 = lab.press("E + M")
    _em_step(s1, s0)
    page.assert_no_problems()


# ------------------------------------------------------------------------- break it (ch. 8)
def test_break_it_collapses_at_reg_covar_0_and_recovers(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("break_it")
    lab = page.lab("break_it")
    s0 = lab.state()
    X = np.asarray(s0["X"])
    assert s0["reg_covar"] == 0.0 and not s0["collapsed"]
    lab.press("Run until it breaks")
    broken = _wait_stopped(lab)
    assert broken["collapsed"], "no component collapsed at reg_covar = 0"
    assert "COLLAPSED" in lab.live_text() and "singular" in lab.live_text()
    # emlib agrees: from the last valid parameters, the next M-step at reg_covar 0 fails.
    resp, _ = emlib.e_step(X, _params(broken["params"]))
    with pytest.raises(emlib.CovarianceError):
        emlib.m_step(X, resp, "full", 0.0)
    # ... and the likelihood ran away while the smallest variance plunged.
    h = np.asarray(broken["history"])
    assert h[-1] > h[0] + 50 and min(broken["min_variance"]) < 1e-4
    steps = np.asarray(broken["history"])
    _monotone(steps)

    # Raise reg_covar (the log slider) to 1e-2: EM continues from the last valid parameters.
    stops = lab.root.get_by_label("reg_covar", exact=True)
    assert stops.get_attribute("min") == "0"
    index = lab.root.evaluate(
        "(r) => JSON.parse(r.querySelector('script.emlib-lab-config').textContent)"
        ".reg_stops.indexOf(0.01)"
    )
    raised = lab.set_range("reg_covar", index)
    assert raised["reg_covar"] == 0.01 and not raised["collapsed"]
    after = lab.press("Step")
    _em_step(after, raised)
    assert after["log_likelihood"] < raised["log_likelihood"], "log p(X) should drop"
    assert "gives up likelihood" in after["message"]
    assert after["min_variance"][-1] >= 0.01 * (1 - 1e-9)
    # Back to 0 exactly (the slider's first stop), then one log step up with the keyboard.
    zero = lab.set_range("reg_covar", 0)
    assert zero["reg_covar"] == 0.0
    stops.focus()
    lab.page.keyboard.press("ArrowRight")
    assert lab.state()["reg_covar"] == 1e-12
    page.assert_no_problems()


# ------------------------------------------------------------------------ choosing K (ch. 8)
def test_choosing_k_bic_minimum_is_emlibs(lab_pages: LabPages) -> None:
    page = lab_pages.open_lab("choosing_k")
    lab = page.lab("choosing_k")
    for dataset in ("overlapping", "old_faithful"):
        s = lab.select("data", dataset) if dataset != "overlapping" else lab.state()
        X = np.asarray(s["X"])
        ks = s["n_components"]
        result = emlib.select_n_components(
            X, ks, covariance_type=s["covariance_type"], n_init=s["n_init"], random_state=s["seed"]
        )
        np.testing.assert_allclose(s["bic"], result.bic, rtol=RTOL)
        np.testing.assert_allclose(s["aic"], result.aic, rtol=RTOL)
        assert s["best_bic"] == result.best_bic and s["best_aic"] == result.best_aic
        assert s["k"] == result.best_bic
        assert f"Lowest BIC at K = {result.best_bic}" in lab.live_text()
    # Old Faithful, full: BIC picks 2 (the two eruption types), AIC more.
    assert s["best_bic"] == 2 and s["best_aic"] > 2
    # The fit of the K the reader slides to.
    t = lab.set_range("show K", 4)
    assert t["k"] == 4 and len(t["params"]["weights"]) == 4
    np.testing.assert_allclose(
        emlib.bic(np.asarray(t["X"]), _params(t["params"])), t["bic"][3], rtol=RTOL
    )
    page.assert_no_problems()
