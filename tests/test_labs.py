"""Kernel-free tests of the widget labs and the plotting helpers.

Widgets are created and driven without a kernel (``button.click()`` and setting
``.value`` call the handlers directly), on ipywidgets 7.7.1 (Colab) and 8.x alike. Each
test sets controls, presses buttons, and checks that the lab's state changed as the EM
theory says it must, and that the picture changed.
"""

from __future__ import annotations

import io
import itertools
import json
import re

import numpy as np
import pytest

pytest.importorskip("ipywidgets")

import emlib
from emlib import labs, plotting
from emlib.labs import LABS, MAX_WEB_BYTES, WebLab
from emlib.labs._live import LabWidget


def png_of(lab: LabWidget) -> bytes:
    value = lab.image.value
    assert value[:8] == b"\x89PNG\r\n\x1a\n", "the lab's image is not a PNG"
    return bytes(value)


def assert_non_decreasing(values, rtol: float = 1e-10) -> None:
    values = np.asarray(values, dtype=float)
    assert np.all(np.isfinite(values))
    drops = np.diff(values)
    tolerance = rtol * np.maximum(1.0, np.abs(values[1:]))
    assert np.all(drops >= -tolerance), f"log-likelihood decreased: {values}"


# --------------------------------------------------------------------------- mode
def test_resolve_mode_reads_environment(monkeypatch):
    monkeypatch.delenv("EMLIB_LAB_MODE", raising=False)
    assert labs.resolve_mode() == "live"
    monkeypatch.setenv("EMLIB_LAB_MODE", "static")
    assert labs.resolve_mode() == "static"
    assert labs.resolve_mode("auto") == "static"
    assert labs.resolve_mode("live") == "live"  # an explicit argument wins
    monkeypatch.setenv("EMLIB_LAB_MODE", " Live ")
    assert labs.resolve_mode(None) == "live"


def test_resolve_mode_rejects_unknown_values(monkeypatch):
    with pytest.raises(ValueError, match="'live', 'static'"):
        labs.resolve_mode("interactive")
    monkeypatch.setenv("EMLIB_LAB_MODE", "website")
    with pytest.raises(ValueError, match="EMLIB_LAB_MODE"):
        labs.resolve_mode()


def test_same_call_gives_web_lab_during_book_build(monkeypatch):
    monkeypatch.setenv("EMLIB_LAB_MODE", "static")
    static = labs.em_stepper()
    assert isinstance(static, WebLab) and static.name == "em_stepper"
    monkeypatch.delenv("EMLIB_LAB_MODE")
    live = labs.em_stepper()
    assert isinstance(live, LabWidget)


# --------------------------------------------------------------------------- website
@pytest.mark.parametrize("name", list(LABS))
def test_web_lab(name):
    """Static mode gives the website's lab: emlib's starting point as JSON, a still image."""
    web = LABS[name](mode="static")
    assert isinstance(web, WebLab)
    html = web._repr_html_()
    assert html.startswith(f'<div class="emlib-lab" data-emlib-lab="{name}"')
    config = re.search(
        r'<script type="application/json" class="emlib-lab-config">(.*?)</script>', html, re.S
    )
    assert config is not None and json.loads(config.group(1)) == web.config and web.config
    # The still image (what a reader sees without JavaScript) with alt text, and the note.
    img = re.search(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', html)
    assert img is not None and len(img.group(1)) > 80
    assert "live on the page with JavaScript, or in Colab" in html
    # Offline (nothing fetched from elsewhere), and light: a chapter page stays under 1 MB.
    assert "://" not in html.replace("data:image/png;base64,", "")
    assert web.nbytes <= MAX_WEB_BYTES
    if "params" in web.config:  # emlib's shapes: they rebuild a MixtureParams
        emlib.MixtureParams(**web.config["params"])


# --------------------------------------------------------------------------- lab 1
def test_border_point_hard_versus_soft():
    lab = labs.border_point(mode="live")
    state = lab.state
    before = png_of(lab)
    lab.controls["x"].value = -4.0
    assert state.point[0] == pytest.approx(-4.0)
    np.testing.assert_array_equal(state.hard, [1.0, 0.0])
    assert state.soft[0] > 0.95 and state.soft.sum() == pytest.approx(1.0)
    left = png_of(lab)
    assert left != before
    lab.controls["x"].value = 2.0
    np.testing.assert_array_equal(state.hard, [0.0, 1.0])
    assert state.soft[1] > 0.95
    # Between the two borders the models disagree: k-means is halfway between the
    # centres, the GMM border hugs the tight cluster.
    lab.controls["x"].value = 0.3
    lab.controls["y"].value = 0.0
    assert np.argmax(state.hard) == 1 and np.argmax(state.soft) == 0
    assert png_of(lab) != left
    lab.controls["reset"].click()
    np.testing.assert_allclose(state.point, state.start)
    assert lab.controls["x"].value == pytest.approx(state.start[0])


def test_border_point_rejects_non_finite_point():
    state = labs.BorderPointState()
    with pytest.raises(ValueError, match="finite"):
        state.move_to(np.nan, 0.0)


# --------------------------------------------------------------------------- lab 2
def test_sampling_counts_approach_weights():
    lab = labs.sampling(mode="live")
    state = lab.state
    empty = png_of(lab)
    lab.controls["draw10"].click()
    assert state.n_samples == 10
    lab.controls["draw1000"].click()
    lab.controls["draw1000"].click()
    assert state.n_samples == 2010
    assert state.counts.sum() == 2010
    assert np.abs(state.counts / state.n_samples - state.weights).max() < 0.04
    drawn = png_of(lab)
    assert drawn != empty
    # New weights: normalised, and the old samples are dropped.
    lab.controls["w0"].value = 0.0
    np.testing.assert_allclose(state.weights, [0.0, 0.6, 0.4])
    assert state.n_samples == 0
    lab.controls["draw1000"].click()
    assert state.counts[0] == 0
    assert png_of(lab) != drawn
    # The density drawn, sum_k pi_k N(x | mu_k, sigma_k^2), integrates to 1.
    grid = np.linspace(-8, 8.5, 4001)
    density = state.component_densities(grid).sum(axis=1)
    assert density.sum() * (grid[1] - grid[0]) == pytest.approx(1.0, abs=1e-3)
    lab.controls["reset"].click()
    assert state.n_samples == 0


def test_sampling_bad_weights_are_reported_not_applied():
    lab = labs.sampling(weights=(1, 0, 0), mode="live")
    before = lab.state.weights.copy()
    lab.controls["w0"].value = 0.0  # all three zero
    assert lab.error is not None and "not all zero" in lab.error
    np.testing.assert_array_equal(lab.state.weights, before)
    with pytest.raises(ValueError, match="positive integer"):
        lab.state.draw(0)


# --------------------------------------------------------------------------- lab 3
def test_responsibilities_follow_bayes_rule():
    lab = labs.responsibilities(mode="live")
    state = lab.state
    before = png_of(lab)
    mu2 = state.params.means[1]
    lab.controls["x"].value = float(mu2[0])
    lab.controls["y"].value = float(mu2[1])
    np.testing.assert_allclose(state.point, mu2, atol=0.05)
    assert state.resp[1] > 0.9
    assert state.resp.sum() == pytest.approx(1.0)
    # gamma_k = pi_k N(x | mu_k, Sigma_k) / sum_j pi_j N(x | mu_j, Sigma_j)
    np.testing.assert_allclose(state.resp, state.joint / state.joint.sum(), rtol=1e-10)
    assert png_of(lab) != before


# --------------------------------------------------------------------------- lab 4
def test_em_stepper_buttons():
    lab = labs.em_stepper(mode="live")
    state = lab.state
    start = state.params
    assert state.phase == "init" and state.resp is None
    assert lab.controls["m_step"].disabled and not lab.controls["e_step"].disabled
    grey = png_of(lab)

    lab.controls["e_step"].click()
    assert state.phase == "E" and state.iteration == 0
    assert state.resp.shape == (len(state.X), 3)
    np.testing.assert_allclose(state.resp.sum(axis=1), 1.0)
    assert state.params is start  # the E-step does not touch the parameters
    assert not lab.controls["e_step"].disabled and not lab.controls["m_step"].disabled
    coloured = png_of(lab)
    assert coloured != grey

    lab.controls["m_step"].click()
    assert state.phase == "M" and state.iteration == 1
    assert not np.allclose(state.params.means, start.means)
    assert png_of(lab) != coloured
    # A second M-step from the same responsibilities changes nothing (chapter 2 asks).
    after_one = state.params
    assert not lab.controls["m_step"].disabled
    lab.controls["m_step"].click()
    np.testing.assert_allclose(state.params.means, after_one.means, rtol=1e-12)

    for _ in range(10):
        lab.controls["step"].click()
    assert state.iteration == 12
    assert_non_decreasing(state.run.loglik_history)
    assert_non_decreasing([h.log_likelihood for h in state.run.history])
    assert len(state.run.loglik_history) == 13

    lab.controls["reset"].click()
    assert state.iteration == 0 and state.params is start and state.resp is None
    assert png_of(lab) == grey


def test_m_step_needs_an_e_step():
    state = labs.EMStepperState()
    with pytest.raises(ValueError, match="E-step first"):
        state.m_step()


def test_em_stepper_rejects_bad_input():
    with pytest.raises(ValueError, match="n_components"):
        labs.EMStepperState(n_components=0)
    with pytest.raises(ValueError, match="unknown data set"):
        labs.EMStepperState("iris")
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        labs.EMStepperState(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="NaN"):
        labs.EMStepperState(np.full((10, 2), np.nan))


# --------------------------------------------------------------------------- lab 5
def test_em_lab_controls():
    lab = labs.em_lab(mode="live")
    state = lab.state
    first = png_of(lab)

    lab.controls["dataset"].value = "old_faithful"
    assert state.dataset.name == "Old Faithful" and state.X.shape == (272, 2)
    assert state.iteration == 0
    faithful = png_of(lab)
    assert faithful != first

    lab.controls["n_components"].value = 2
    assert state.params.n_components == 2
    assert [o[1] for o in lab.controls["mean"].options] == [0, 1]

    lab.controls["covariance_type"].value = "diag"
    assert state.params.covariance_type == "diag" and state.params.covariances.shape == (2, 2)

    old_start = state.run.start.means.copy()
    lab.controls["seed"].value = 5
    assert not np.allclose(state.run.start.means, old_start)

    # Place mu_2 by hand.
    lab.controls["mean"].value = 1
    lab.controls["x"].value = 2.0
    assert state.init == "manual" and lab.controls["init"].value == "manual"
    assert state.run.start.means[1, 0] == pytest.approx(2.0)
    lab.controls["y"].value = 60.0
    assert state.run.start.means[1, 1] == pytest.approx(60.0, abs=1e-9)
    placed = png_of(lab)

    lab.controls["step"].click()
    assert state.iteration == 1
    assert png_of(lab) != placed
    lab.controls["run"].click()
    assert state.run.converged and state.iteration > 2
    assert_non_decreasing(state.run.loglik_history)
    # Old Faithful has two clusters: short and long eruptions.
    assert sorted(np.round(state.params.means[:, 0])) == [2.0, 4.0]

    lab.controls["reset"].click()
    assert state.iteration == 0
    np.testing.assert_allclose(state.params.means[1], [2.0, 60.0])


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_em_lab_log_likelihood_never_decreases(covariance_type):
    state = labs.EMLabState("overlapping", covariance_type=covariance_type, seed=1)
    for _ in range(5):
        state.step()
    state.run_to_convergence()
    assert state.run.converged
    assert_non_decreasing(state.run.loglik_history)
    # Stepping and GaussianMixture's run agree (same EM, same start).
    manual = labs.EMLabState("overlapping", covariance_type=covariance_type, seed=1)
    for _ in range(state.iteration):
        manual.step()
    assert manual.log_likelihood == pytest.approx(state.log_likelihood, rel=1e-8)


def test_em_lab_rejects_bad_means():
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        labs.EMLabState(means_init=[[0, 0], [1, 1]])
    state = labs.EMLabState()
    with pytest.raises(ValueError, match="between 0 and 2"):
        state.place_mean(3, 0.0, 0.0)
    with pytest.raises(ValueError, match="init must be"):
        state.set_init("magic")


# --------------------------------------------------------------------------- lab 6
def test_kmeans_vs_gmm():
    lab = labs.kmeans_vs_gmm(mode="live")
    state = lab.state
    km_acc, gm_acc = state.accuracies()
    # Elongated clusters: k-means cuts across them, the full-covariance GMM does not.
    assert gm_acc > 0.95 and km_acc < 0.9
    elongated = png_of(lab)
    lab.controls["dataset"].value = "blobs"
    assert state.dataset.name == "blobs"
    assert min(state.accuracies()) > 0.95 and state.agreement > 0.95
    blobs = png_of(lab)
    assert blobs != elongated
    lab.controls["n_components"].value = 4
    assert state.kmeans.cluster_centers_.shape == (4, 2) and state.gmm_params.n_components == 4
    lab.controls["covariance_type"].value = "spherical"
    assert state.gmm.covariance_type == "spherical"
    assert png_of(lab) != blobs
    # Colours correspond: GMM component j is matched to k-means centre j so that the total
    # squared distance between matched centres is the smallest over all renamings.
    d = ((state.kmeans.cluster_centers_[:, None] - state.gmm_params.means[None]) ** 2).sum(-1)
    best = min(sum(d[i, p[i]] for i in range(4)) for p in itertools.permutations(range(4)))
    assert np.trace(d) == pytest.approx(best)


# --------------------------------------------------------------------------- lab 7
def test_convergence_elbo_and_kl():
    lab = labs.convergence(mode="live")
    state = lab.state
    before = png_of(lab)
    for _ in range(6):
        lab.controls["e_step"].click()
        e = state.history[-1]
        assert e.kind == "E"
        assert abs(e.kl) <= 1e-8 * abs(e.log_likelihood)  # q is the posterior: no gap
        assert e.elbo == pytest.approx(e.log_likelihood, rel=1e-10)
        lab.controls["m_step"].click()
        m = state.history[-1]
        assert m.kind == "M"
        assert m.elbo >= e.elbo - 1e-9  # the M-step maximises the ELBO over theta
        assert m.log_likelihood >= m.elbo - 1e-9  # the ELBO is a lower bound
        assert m.log_likelihood == pytest.approx(m.elbo + m.kl, rel=1e-10)
    assert state.history[2].kl > 0  # a gap opened after the first M-step
    with_q = [h for h in state.history if h.elbo is not None]
    assert_non_decreasing([h.elbo for h in with_q])
    assert_non_decreasing([h.log_likelihood for h in state.history])
    assert png_of(lab) != before
    lab.controls["reset"].click()
    assert len(state.history) == 1 and state.history[0].elbo is None


# --------------------------------------------------------------------------- lab 7a
def test_bound_e_step_touches_m_step_climbs():
    lab = labs.bound(mode="live")
    state = lab.state
    X = state.X
    before = png_of(lab)
    # The start: q is the posterior at theta_t, so the bound touches log p there.
    assert abs(state.gap) <= 1e-9 and state.elbo == pytest.approx(state.log_likelihood, rel=1e-12)
    lls = [state.log_likelihood]
    for _ in range(4):
        lab.controls["e_step"].click()
        theta = state.theta_at(state.mu)
        assert abs(state.gap) <= 1e-9
        assert emlib.kl_divergence(X, state.q, theta) == pytest.approx(0, abs=1e-9)
        # ... and lies below log p everywhere on the slice (a lower bound).
        assert np.all(state.bound <= state.ell + 1e-9)
        start_elbo = state.elbo
        lab.controls["m_step"].click()
        q1 = state.q[:, 0]
        assert state.mu == pytest.approx((q1 @ X[:, 0]) / q1.sum(), rel=1e-12)
        fine = np.linspace(state.mu - 0.02, state.mu + 0.02, 401)
        values = [emlib.elbo(X, state.q, state.theta_at(m)) for m in fine]
        assert abs(fine[int(np.argmax(values))] - state.mu) <= 1e-4  # the bound's maximiser
        assert state.elbo >= max(values) - 1e-9 and state.elbo >= start_elbo - 1e-9
        assert state.log_likelihood >= state.elbo - 1e-9  # log p lies above the bound there
        assert state.gap == pytest.approx(emlib.kl_divergence(X, state.q, state.params), rel=1e-8)
        lls.append(state.log_likelihood)
    assert_non_decreasing(lls)
    assert lls[1] > lls[0] + 50  # the first step from 3.4 min climbs a long way
    assert lab.controls["mu"].value == pytest.approx(state.mu)  # the slider follows
    assert png_of(lab) != before
    # Move theta_t by hand: q is stale, a gap opens, and it is emlib's KL.
    lab.controls["mu"].value = 1.5
    assert state.mu == 1.5 and state.phase == "moved" and state.iteration == 0
    assert state.gap > 1 and state.q_mu != 1.5
    assert state.gap == pytest.approx(emlib.kl_divergence(X, state.q, state.params), rel=1e-9)
    assert "E-step" in lab.status.value
    # An M-step on a stale bound still climbs the bound, but log p can go down (the prose
    # of chapter 7 says so): from near the top of log p with q from 3.4 minutes.
    lab.controls["reset"].click()
    assert state.mu == 3.4 and state.iteration == 0 and abs(state.gap) <= 1e-9
    lab.controls["mu"].value = 2.1
    ell_before, elbo_before = state.log_likelihood, state.elbo
    lab.controls["m_step"].click()
    assert state.elbo >= elbo_before and state.log_likelihood < ell_before - 1
    stale_top = state.mu
    lab.controls["step"].click()  # E-step at the new point, then M-step
    assert state.phase == "M" and state.iteration == 2 and state.q_mu == stale_top


def test_bound_rejects_bad_input():
    for kwargs, match in [
        (dict(start=5.0), r"range \[1.0, 4.0\]"),
        (dict(start="three"), "number"),
        (dict(mu_range=(4.0, 1.0)), "low < high"),
        (dict(mu_range=(1.0, 5.0)), "below component 2"),
        (dict(mu_range=3.0), "two numbers"),
        (dict(n_grid=3), "n_grid"),
    ]:
        with pytest.raises(ValueError, match=match):
            labs.BoundState(**kwargs)
    state = labs.BoundState(n_grid=21)
    with pytest.raises(ValueError, match="finite"):
        state.move_to(float("nan"))
    with pytest.raises(ValueError, match="range"):
        state.move_to(0.5)
    assert state.mu == 3.4  # unchanged


def test_bound_web_config_is_emlibs_slice():
    from emlib.labs._bound import web_config

    state = labs.BoundState()
    config = web_config(state)
    np.testing.assert_array_equal(config["X"], emlib.load_old_faithful().X[:, [0]])
    theta = emlib.MixtureParams(**config["theta"])
    np.testing.assert_array_equal(theta.means, state.theta_at(config["start"]).means)
    assert config["component"] == 0 and config["mu_range"] == [1.0, 4.0]


# --------------------------------------------------------------------------- lab 8
def test_break_it_collapses_and_reg_covar_brings_it_back():
    lab = labs.break_it(mode="live")
    state = lab.state
    assert state.reg_covar == 0.0
    healthy = png_of(lab)
    lab.controls["run"].click()
    assert state.collapsed is not None and "positive definite" in state.collapsed
    assert state.min_variance[-1] < 1e-3 * state.min_variance[0]  # it shrank before breaking
    assert_non_decreasing(state.run.loglik_history)  # EM climbs all the way into the hole
    runaway = state.log_likelihood
    assert runaway > state.run.loglik_history[0] + 50
    broken = png_of(lab)
    assert broken != healthy
    lab.controls["step"].click()  # refuses to continue
    assert lab.error is not None and "reg_covar" in lab.error
    iteration = state.iteration

    lab.controls["reg_covar"].value = 1e-2
    assert state.collapsed is None and lab.error is None
    for _ in range(5):
        lab.controls["step"].click()
    assert state.iteration == iteration + 5
    assert min(state.min_variance[-5:]) >= 1e-2 * (1 - 1e-9)  # reg_covar is a floor
    assert np.isfinite(state.log_likelihood) and state.log_likelihood < runaway
    assert png_of(lab) != broken

    lab.controls["reset"].click()
    assert state.iteration == 0 and state.reg_covar == 1e-2
    state.run_until_collapse(60)
    assert state.collapsed is None  # with reg_covar > 0 nothing collapses


def test_break_it_rejects_negative_reg_covar():
    with pytest.raises(ValueError, match="reg_covar"):
        labs.BreakItState(reg_covar=-1.0)


# --------------------------------------------------------------------------- lab 9
def test_choosing_k():
    lab = labs.choosing_k(mode="live")
    state = lab.state
    assert lab.controls["k"].value == state.selected == state.result.best_bic
    before = png_of(lab)
    lab.controls["k"].value = 6
    assert state.selected == 6 and state.model.n_components == 6
    assert png_of(lab) != before
    lab.controls["dataset"].value = "blobs"
    assert state.result.best_bic == 3  # three separated blobs
    assert state.selected == 3 and lab.controls["k"].value == 3
    bic_full = state.result.bic.copy()
    lab.controls["covariance_type"].value = "spherical"
    assert not np.allclose(state.result.bic, bic_full)
    assert all(m.covariance_type == "spherical" for m in state.result.models)


# --------------------------------------------------------------------------- drawing
@pytest.mark.parametrize(
    ("draw", "state"),
    [
        (labs.draw_border_point, lambda: labs.BorderPointState()),
        (labs.draw_sampling, lambda: labs.SamplingState()),
        (labs.draw_responsibilities, lambda: labs.ResponsibilitiesState()),
        (labs.draw_em_stepper, lambda: labs.EMStepperState()),
        (labs.draw_em_lab, lambda: labs.EMLabState()),
        (labs.draw_kmeans_vs_gmm, lambda: labs.KMeansVsGMMState()),
        (labs.draw_bound, lambda: labs.BoundState()),
        (labs.draw_convergence, lambda: labs.ConvergenceState()),
        (labs.draw_break_it, lambda: labs.BreakItState()),
        (labs.draw_choosing_k, lambda: labs.ChoosingKState(k_max=3)),
        (labs.draw_two_coins, lambda: labs.TwoCoinsState()),
    ],
)
def test_draw_functions_return_figures(draw, state):
    from matplotlib.figure import Figure

    fig = draw(state())
    assert isinstance(fig, Figure)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = buffer.getvalue()
    assert png[:4] == b"\x89PNG" and len(png) > 5000


def test_blitted_frame_matches_full_redraw():
    # The live widget redraws only the changing artists over a cached background; the
    # picture must be the one a full redraw gives (same sequence of states for both).
    state = labs.EMStepperState()
    live = labs._em_stepper.EMStepperView(state, blit=True)
    full = labs._em_stepper.EMStepperView(state, blit=False)
    for action in (state.e_step, state.m_step, state.e_step, state.m_step, state.e_step):
        action()
        live.update(state)
        full.update(state)
        blitted = live.renderer.render_rgba().copy()
        reference = full.renderer.render_rgba()
        differ = np.any(blitted != reference, axis=-1).mean()
        assert differ < 0.002, f"{differ:.2%} of the pixels differ"


# --------------------------------------------------------------------------- two coins
def test_two_coins_widget_buttons_sliders_and_heads():
    # Chapter 9's lab; its state and website config: tests/test_two_coins_lab.py.
    lab = labs.two_coins(mode="live")
    assert lab.controls["m_step"].disabled
    lab.controls["e_step"].click()
    assert lab.state.phase == "E" and not lab.controls["m_step"].disabled
    lab.controls["m_step"].click()
    lab.controls["step"].click()
    assert lab.state.iteration == 2
    lab.controls["run"].click()
    assert lab.state.theta == pytest.approx((0.7968, 0.5196), abs=1e-3)
    lab.controls["start_a"].value = 0.4
    lab.controls["start_b"].value = 0.4
    assert lab.state.start == (0.4, 0.4) and lab.state.iteration == 0
    lab.controls["step"].click()
    assert lab.state.theta[0] == lab.state.theta[1]
    lab.controls["heads_2"].value = 2
    assert lab.state.heads[2] == 2 and "Iteration 0" in lab.status.value
    lab.controls["reset"].click()
    assert lab.state.iteration == 0


# --------------------------------------------------------------------------- plotting
def test_palette_is_okabe_ito_and_bounded():
    colors = plotting.component_colors(8)
    assert colors.shape == (8, 3)
    assert len({tuple(c) for c in colors}) == 8
    assert set(plotting.COMPONENT_COLORS) == set(plotting.OKABE_ITO.values())
    with pytest.raises(ValueError, match="between 1 and 8"):
        plotting.component_colors(9)


def test_blend_colors():
    colors = plotting.component_colors(2)
    out = plotting.blend_colors([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(out[0], colors[0])
    np.testing.assert_allclose(out[1], colors.mean(axis=0))
    with pytest.raises(ValueError, match="sum to 1"):
        plotting.blend_colors([[0.5, 0.2]])
    with pytest.raises(ValueError, match="non-negative"):
        plotting.blend_colors([[1.5, -0.5]])


def test_ellipse_geometry():
    width, height, angle = plotting.ellipse_geometry([[4.0, 0.0], [0.0, 1.0]], n_std=1.0)
    assert (width, height) == pytest.approx((4.0, 2.0))
    assert angle % 180 == pytest.approx(0.0, abs=1e-9)
    # A covariance stretched along the diagonal has its long axis at 45 degrees.
    width, height, angle = plotting.ellipse_geometry([[2.0, 1.0], [1.0, 2.0]], n_std=2.0)
    assert (width, height) == pytest.approx((4 * np.sqrt(3), 4.0))
    assert angle % 180 == pytest.approx(45.0)
    with pytest.raises(ValueError, match="2 x 2"):
        plotting.ellipse_geometry(np.eye(3))


def test_plot_mixture_ellipses_any_covariance_type():
    fig = plotting.new_figure()
    ax = fig.subplots()
    for covariance_type, cov in [
        ("full", np.tile(np.eye(2), (2, 1, 1))),
        ("tied", np.eye(2)),
        ("diag", np.ones((2, 2))),
        ("spherical", np.ones(2)),
    ]:
        params = emlib.MixtureParams([0.5, 0.5], [[0, 0], [3, 3]], cov, covariance_type)
        patches = plotting.plot_mixture_ellipses(ax, params, n_std=1.0)
        assert [p.width for p in patches] == pytest.approx([2.0, 2.0])
        np.testing.assert_allclose(patches[1].center, (3, 3))


def test_alt_text():
    text = plotting.alt_text("Weights $\\pi_k$", "  and   means $\\mu_k$.")
    assert text == "Weights pi_k and means mu_k."
    with pytest.raises(ValueError, match="alt text"):
        plotting.alt_text(" ")
