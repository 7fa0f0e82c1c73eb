"""Chapter 9's lab, two coins: its state, figure, notebook widget and website config,
without a kernel. The state's numbers must be emlib's (bernoulli_e_step / m_step + tie)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest

import emlib
from emlib import labs
from emlib.labs import LABS, TwoCoinsState, WebLab
from emlib.labs._two_coins import (
    HEADS,
    THETA_RANGE,
    coin_data,
    coin_params,
    log_likelihood_map,
    tie,
    web_config,
)


def chapter_tie(params: emlib.BernoulliMixtureParams) -> emlib.BernoulliMixtureParams:
    """Chapter 9's ``tie``, written out again here as the reference."""
    pooled = np.repeat(params.probs.mean(axis=1, keepdims=True), params.n_features, axis=1)
    return emlib.BernoulliMixtureParams(weights=[0.5, 0.5], probs=pooled)


def test_registered_and_static_mode_gives_a_web_lab():
    assert LABS["two_coins"] is labs.two_coins
    web = labs.two_coins(mode="static")
    assert isinstance(web, WebLab) and web.name == "two_coins"
    config = json.loads(
        re.search(r'class="emlib-lab-config">(.*?)</script>', web._repr_html_(), re.S).group(1)
    )
    assert config["heads"] == [5, 9, 8, 4, 7] and config["start"] == [0.6, 0.5]
    assert np.array_equal(np.array(config["X"]), coin_data(HEADS))
    assert "params" not in config  # Bernoulli params are not a MixtureParams
    assert "theta_A" in web.alt and "Iteration 0" in web.alt


def test_data_are_the_chapters():
    X = coin_data(HEADS)
    assert X.shape == (5, 10) and X.sum(axis=1).tolist() == [5, 9, 8, 4, 7]


def test_ten_iterations_reproduce_the_paper_and_emlib():
    state = TwoCoinsState()
    params = chapter_tie(emlib.BernoulliMixtureParams([0.5, 0.5], [[0.6] * 10, [0.5] * 10]))
    for _ in range(10):
        resp, log_lik = emlib.bernoulli_e_step(state.X, params)
        state.e_step()
        np.testing.assert_allclose(state.resp, resp, rtol=1e-12)
        assert state.log_likelihood == pytest.approx(log_lik, rel=1e-12)
        params = chapter_tie(emlib.bernoulli_m_step(state.X, resp))
        state.m_step()
        np.testing.assert_allclose(state.params.probs, params.probs, rtol=1e-12)
    assert state.iteration == 10
    assert state.theta == pytest.approx((0.80, 0.52), abs=0.005)  # Do and Batzoglou (2008)
    assert np.all(np.diff(state.history) >= -1e-12)
    assert len(state.path) == 11 and state.path[0] == (0.6, 0.5)


def test_label_switching_and_the_diagonal():
    state = TwoCoinsState(start=(0.6, 0.5))
    state.run()
    below = state.theta
    state.set_start(0.5, 0.6)
    state.run()
    above = state.theta
    assert below[0] > below[1] and above == pytest.approx(below[::-1], abs=1e-7)
    # On the diagonal every set is shared 50/50 and EM never leaves it.
    state.set_start(0.3, 0.3)
    for _ in range(5):
        state.step()
        assert state.theta[0] == state.theta[1]
        np.testing.assert_array_equal(state.resp[:, 0], state.resp[:, 1])
        np.testing.assert_allclose(state.resp, 0.5, rtol=1e-15)
    assert state.theta[0] == pytest.approx(33 / 50)
    # ... although that fixed point is a saddle of the map: off the diagonal is higher.
    off = emlib.bernoulli_log_likelihood(state.X, coin_params(0.67, 0.65))
    assert off > state.log_likelihood


def test_convergence_speed_depends_on_the_start():
    counts = {}
    for start in ((0.6, 0.5), (0.52, 0.5), (0.9, 0.1)):
        state = TwoCoinsState(start=start)
        counts[start] = state.run()
        assert state.iteration == counts[start] < 200
    assert counts[(0.52, 0.5)] > counts[(0.9, 0.1)]


def test_map_is_emlibs_log_likelihood():
    X = coin_data(HEADS)
    thetas, values = log_likelihood_map(X, n=21)
    assert thetas[0] == THETA_RANGE[0] and thetas[-1] == THETA_RANGE[1]
    for i, j in ((0, 0), (3, 17), (20, 5), (10, 10)):
        want = emlib.bernoulli_log_likelihood(X, coin_params(thetas[i], thetas[j]))
        assert values[j, i] == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(values, values.T, rtol=1e-12)  # A and B swap


def test_heads_and_start_can_change_and_bad_input_is_a_sentence():
    state = TwoCoinsState()
    state.step()
    state.set_heads(0, 10)
    assert state.heads == [10, 9, 8, 4, 7] and state.iteration == 0 and state.resp is None
    with pytest.raises(ValueError, match="whole number of heads from 0 to 10"):
        state.set_heads(1, 11)
    with pytest.raises(ValueError, match="whole number"):
        TwoCoinsState(heads=[5, 2.5])
    with pytest.raises(ValueError, match=r"from 0\.01 to 0\.99"):
        state.set_start(0.0, 0.5)
    with pytest.raises(ValueError, match="must be a number"):
        state.set_start("a", 0.5)
    with pytest.raises(ValueError, match="press E-step first"):
        TwoCoinsState().m_step()


def test_tie_pools_the_probabilities():
    params = emlib.BernoulliMixtureParams([0.3, 0.7], [[0.1, 0.3], [1.0, 0.0]])
    tied = tie(params)
    np.testing.assert_allclose(tied.probs, [[0.2, 0.2], [0.5, 0.5]])
    np.testing.assert_allclose(tied.weights, [0.5, 0.5])


def test_figure_and_web_config():
    from matplotlib.figure import Figure

    state = TwoCoinsState()
    state.step()
    fig = labs.draw_two_coins(state)
    assert isinstance(fig, Figure)
    ax_map = fig.axes[0]
    assert ax_map.get_aspect() == 1.0 and ax_map.get_xlim()[0] < 0.0 < 1.0 < ax_map.get_xlim()[1]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"
    config = web_config(state)
    assert config["start"] == [0.6, 0.5] and config["pseudocount"] == 0.0
    json.dumps(config)
