"""The Bernoulli mixture of chapter 9: step functions against brute force, EM's guarantees."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emlib
from emlib import BernoulliMixtureParams


def _brute_force_joint(X, weights, probs):
    """pi_k prod_j theta_kj^x_ij (1 - theta_kj)^(1 - x_ij), by loops, in plain probabilities."""
    out = np.zeros((len(X), len(weights)))
    for i, k in itertools.product(range(len(X)), range(len(weights))):
        p = weights[k]
        for j, x in enumerate(X[i]):
            p *= probs[k, j] if x == 1 else 1 - probs[k, j]
        out[i, k] = p
    return out


def _random_problem(rng, n=40, d=6, k=3):
    X = (rng.random((n, d)) < 0.4).astype(float)
    params = BernoulliMixtureParams(rng.dirichlet(np.ones(k)), rng.uniform(0.05, 0.95, (k, d)))
    return X, params


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1))
def test_e_step_equals_bayes_rule_by_brute_force(seed):
    X, params = _random_problem(np.random.default_rng(seed))
    joint = _brute_force_joint(X, params.weights, params.probs)
    resp, log_lik = emlib.bernoulli_e_step(X, params)
    np.testing.assert_allclose(resp, joint / joint.sum(axis=1, keepdims=True), rtol=1e-10)
    np.testing.assert_allclose(log_lik, np.log(joint.sum(axis=1)).sum(), rtol=1e-12)
    np.testing.assert_allclose(emlib.bernoulli_log_joint(X, params), np.log(joint), rtol=1e-12)


def test_e_step_does_not_underflow_on_many_pixels():
    # 2000 pixels: every joint probability underflows to 0 in plain arithmetic.
    rng = np.random.default_rng(0)
    X = (rng.random((5, 2000)) < 0.5).astype(float)
    params = BernoulliMixtureParams([0.5, 0.5], np.vstack([np.full(2000, 0.4), np.full(2000, 0.6)]))
    assert _brute_force_joint(X[:1], params.weights, params.probs).max() == 0.0
    resp, log_lik = emlib.bernoulli_e_step(X, params)
    assert np.isfinite(resp).all() and np.isfinite(log_lik)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0)
    ones = X.sum(axis=1)
    # log odds of component 1 against 0 = (ones - zeros) * log(0.6 / 0.4)
    expected = 1 / (1 + np.exp(-(2 * ones - 2000) * np.log(1.5)))
    np.testing.assert_allclose(resp[:, 1], expected, rtol=1e-9)


def test_m_step_is_the_weighted_frequency():
    rng = np.random.default_rng(1)
    X, _ = _random_problem(rng)
    resp = rng.dirichlet(np.ones(3), size=len(X))
    params = emlib.bernoulli_m_step(X, resp)
    nk = resp.sum(axis=0)
    for k in range(3):
        np.testing.assert_allclose(params.probs[k], (resp[:, k] @ X) / nk[k], rtol=1e-12)
    np.testing.assert_allclose(params.weights, nk / len(X), rtol=1e-12)
    smoothed = emlib.bernoulli_m_step(X, resp, pseudocount=2.0)
    np.testing.assert_allclose(smoothed.probs[0], (resp[:, 0] @ X + 2) / (nk[0] + 4), rtol=1e-12)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1))
def test_em_never_decreases_the_log_likelihood(seed):
    rng = np.random.default_rng(seed)
    X, _ = _random_problem(rng, n=60, d=8, k=3)
    fit = emlib.bernoulli_em(X, 3, random_state=seed, max_iter=50, tol=0.0)
    assert (np.diff(fit.log_likelihoods) >= -1e-9 * np.abs(fit.log_likelihoods[:-1])).all()
    resp, log_lik = emlib.bernoulli_e_step(X, fit.params)
    np.testing.assert_allclose(fit.log_likelihoods[-1], log_lik, rtol=1e-12)
    np.testing.assert_allclose(fit.resp, resp)


def test_recovers_two_well_separated_prototypes():
    rng = np.random.default_rng(3)
    truth = np.array([[0.9] * 5 + [0.1] * 5, [0.1] * 5 + [0.9] * 5])
    z = rng.integers(0, 2, size=400)
    X = (rng.random((400, 10)) < truth[z]).astype(float)
    fit = emlib.bernoulli_em(X, 2, random_state=0)
    assert fit.converged
    order = np.argsort(fit.params.probs[:, 0])[::-1]
    np.testing.assert_allclose(fit.params.probs[order], truth, atol=0.07)


def test_two_coins_matches_the_published_numbers():
    # Do and Batzoglou (2008), Nature Biotechnology 26, 897-899: five sets of ten tosses,
    # start theta_A = 0.6, theta_B = 0.5; EM converges to about 0.80 and 0.52.
    heads = [5, 9, 8, 4, 7]
    X = np.array([[1.0] * h + [0.0] * (10 - h) for h in heads])
    # The paper's model has no mixing weights to learn (equal ones), and one probability per
    # coin shared by its ten tosses: averaging the M-step's ten column frequencies pools them.
    start = BernoulliMixtureParams([0.5, 0.5], np.array([[0.6] * 10, [0.5] * 10]))
    params = start
    for _ in range(10):
        resp, _ = emlib.bernoulli_e_step(X, params)
        new = emlib.bernoulli_m_step(X, resp)
        pooled = np.repeat(new.probs.mean(axis=1, keepdims=True), 10, axis=1)
        params = BernoulliMixtureParams([0.5, 0.5], pooled)
    theta = params.probs.mean(axis=1)
    np.testing.assert_allclose(theta, [0.80, 0.52], atol=0.005)


def test_impossible_sample_is_a_clear_error_not_a_nan():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    params = BernoulliMixtureParams([0.5, 0.5], [[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="pseudocount"):
        emlib.bernoulli_e_step(X, params)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: emlib.bernoulli_e_step([[0, 2]], BernoulliMixtureParams([1.0], [[0.5, 0.5]])),
         "binary"),
        (lambda: BernoulliMixtureParams([1.0], [[0.5, 1.5]]), r"\[0, 1\]"),
        (lambda: BernoulliMixtureParams([0.5, 0.6], [[0.5], [0.5]]), "sum to 1"),
        (lambda: emlib.bernoulli_m_step([[0, 1]], [[0.5, 0.4]]), "sum to 1"),
        (lambda: emlib.bernoulli_m_step([[0, 1], [1, 1]], [[1.0, 0.0], [1.0, 0.0]]), "N_k = 0"),
        (lambda: emlib.bernoulli_e_step([[0, 1]], "params"), "BernoulliMixtureParams"),
        (lambda: emlib.bernoulli_em([[0, 1]], 3), "n_components|samples"),
    ],
)
def test_bad_input_gets_a_sentence(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
