"""emlib agrees with scikit-learn to 1e-8, from the same initial parameters.

Both estimators start from the same weights, means and precisions; after every iteration
(``max_iter = t`` with ``tol = 0``) and at convergence, parameters, responsibilities and the
lower bound must agree.
"""

import warnings

import numpy as np
import pytest

import emlib

sklearn_mixture = pytest.importorskip("sklearn.mixture")

TOL = 1e-8
COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]


def _data(seed=0):
    ds = emlib.make_overlapping(400, random_state=seed)
    return ds.X


def _initial(X, covariance_type, k=3, seed=1):
    rng = np.random.default_rng(seed)
    means = X[rng.choice(len(X), k, replace=False)]
    weights = np.array([0.5, 0.3, 0.2])
    d = X.shape[1]
    precisions = {
        "full": np.stack([np.eye(d) * (1.0 + i) for i in range(k)]),
        "tied": np.array([[1.5, 0.2], [0.2, 0.8]]),
        "diag": np.array([[1.0, 2.0], [0.5, 1.5], [2.0, 0.7]]),
        "spherical": np.array([1.0, 0.5, 2.0]),
    }[covariance_type]
    return dict(weights_init=weights, means_init=means, precisions_init=precisions)


def _pair(covariance_type, max_iter, tol, init):
    kwargs = dict(
        n_components=3, covariance_type=covariance_type, max_iter=max_iter, tol=tol, **init
    )
    return emlib.GaussianMixture(**kwargs), sklearn_mixture.GaussianMixture(**kwargs)


def _assert_same(ours, theirs, X):
    for name in ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"):
        np.testing.assert_allclose(
            getattr(ours, name), getattr(theirs, name), rtol=0, atol=TOL, err_msg=name
        )
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=0, atol=TOL)
    assert abs(ours.lower_bound_ - theirs.lower_bound_) <= TOL
    assert abs(ours.bic(X) - theirs.bic(X)) <= 1e-6 * abs(theirs.bic(X))
    assert abs(ours.aic(X) - theirs.aic(X)) <= 1e-6 * abs(theirs.aic(X))
    assert ours.bic(X) == pytest.approx(theirs.bic(X), abs=1e-6)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), abs=1e-6)
    assert ours.score(X) == pytest.approx(theirs.score(X), abs=TOL)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_iteration_agrees(covariance_type):
    X = _data()
    init = _initial(X, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in range(1, 8):
            ours, theirs = _pair(covariance_type, t, 0.0, init)
            ours.fit(X)
            theirs.fit(X)
            _assert_same(ours, theirs, X)
            assert ours.n_iter_ == theirs.n_iter_ == t


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_convergence_agrees(covariance_type):
    X = _data(seed=3)
    init = _initial(X, covariance_type)
    ours, theirs = _pair(covariance_type, 500, 1e-10, init)
    ours.fit(X)
    theirs.fit(X)
    assert ours.converged_ and theirs.converged_
    assert ours.n_iter_ == theirs.n_iter_
    _assert_same(ours, theirs, X)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_step_functions_match_the_estimator(covariance_type):
    """The functions the chapters call are the ones the estimator runs."""
    X = _data(seed=5)
    init = _initial(X, covariance_type)
    params = emlib.MixtureParams.from_precisions(
        init["weights_init"], init["means_init"], init["precisions_init"], covariance_type
    )
    _, theirs = _pair(covariance_type, 4, 0.0, init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X)
    lower = None
    for _ in range(4):
        resp, ll = emlib.e_step(X, params)
        lower = ll / len(X)
        params = emlib.m_step(X, resp, covariance_type)
    np.testing.assert_allclose(params.means, theirs.means_, atol=TOL, rtol=0)
    np.testing.assert_allclose(params.covariances, theirs.covariances_, atol=TOL, rtol=0)
    np.testing.assert_allclose(params.weights, theirs.weights_, atol=TOL, rtol=0)
    assert abs(lower - theirs.lower_bound_) <= TOL


def test_higher_dimension_full():
    rng = np.random.default_rng(7)
    X = np.concatenate([rng.normal(size=(200, 6)) + 3 * i for i in range(3)])
    means = X[[0, 250, 500]]
    init = dict(
        weights_init=np.full(3, 1 / 3), means_init=means, precisions_init=np.stack([np.eye(6)] * 3)
    )
    ours, theirs = _pair("full", 200, 1e-9, init)
    ours.fit(X)
    theirs.fit(X)
    _assert_same(ours, theirs, X)
