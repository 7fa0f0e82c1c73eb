"""Every bad input gets a ValueError that names the argument and says how to fix it.

The estimators check their data and parameters with scikit-learn's validation (so their
messages are scikit-learn's); the step functions and emlib's own checks of initial
parameters have emlib's messages.
"""

import numpy as np
import pytest

import emlib

X = emlib.make_blobs(60, random_state=0).X


def fit(**kwargs):
    data = kwargs.pop("X", X)
    return emlib.GaussianMixture(**{"n_components": 2, **kwargs}).fit(data)


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        (np.where(np.arange(120).reshape(60, 2) == 7, np.nan, X), r"Input X contains NaN"),
        (np.where(np.arange(120).reshape(60, 2) == 0, np.inf, X), r"Input X contains infinity"),
        (X[:, 0], r"(?s)Expected 2D array, got 1D array.*reshape\(-1, 1\)"),
        (X[None], r"Found array with dim 3"),
        (np.empty((0, 2)), r"0 sample\(s\)"),
        ([["a", "b"]], r"could not convert string to float"),
        (X[:1], r"1 sample\(s\).*minimum of 2"),
        (X[:3], r"n_samples >= n_components.*n_samples=3 and n_components=4"),
        (X.astype(complex), r"Complex data not supported"),
    ],
)
def test_bad_data(data, pattern):
    with pytest.raises(ValueError, match=pattern):
        fit(X=data, n_components=4 if len(data) == 3 else 2)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        (dict(n_components=0), r"'n_components' parameter .* must be an int in the range \[1"),
        (dict(n_components=2.5), r"'n_components' parameter .* must be an int.*Got 2.5"),
        (dict(covariance_type="ful"), r"'covariance_type' parameter .*'full'.*Got 'ful'"),
        (dict(init_params="kmean"), r"'init_params' parameter .*'k-means\+\+'.*Got 'kmean'"),
        (dict(reg_covar=-1e-6), r"'reg_covar' parameter .* range \[0.0, inf\)"),
        (dict(tol=float("nan")), r"'tol' parameter .*Got nan"),
        (dict(max_iter=-1), r"'max_iter' parameter .* range \[0, inf\)"),
        (dict(n_init=0), r"'n_init' parameter .* range \[1, inf\)"),
        (dict(weights_init=[0.5, 0.3]), r"weights_init must sum to 1.*0\.8.*weights_init.sum\(\)"),
        (dict(weights_init=[1.0]), r"weights_init must have shape \(2,\)"),
        (dict(weights_init=[1.2, -0.2]), r"weights_init must be non-negative"),
        (
            dict(means_init=np.zeros((3, 2))),
            r"means_init must have shape .*\(2, 2\); got shape \(3, 2\)",
        ),
        (dict(means_init=[[0, np.nan], [1, 1]]), r"means_init contains NaN"),
        (
            dict(precisions_init=np.zeros((2, 3, 3))),
            r"precisions_init .* must have shape \(2, 2, 2\)",
        ),
        (
            dict(precisions_init=np.stack([np.eye(2), -np.eye(2)])),
            r"precision of component 1 is not positive definite.*reg_covar",
        ),
        (
            dict(precisions_init=np.stack([np.eye(2), [[1, 2], [0, 1]]])),
            r"precisions_init of component 1 must be symmetric",
        ),
        (
            dict(covariance_type="diag", precisions_init=np.array([[1.0, 1.0], [1.0, 0.0]])),
            r"precisions_init must be positive.*component 1",
        ),
        (
            dict(covariance_type="spherical", precisions_init=np.ones((2, 2))),
            r"must have shape \(2,\)",
        ),
        (dict(random_state="seed"), r"'random_state' parameter .*Got 'seed'"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        fit(**kwargs)


def test_collapse_during_em_warns_names_component_and_keeps_the_last_parameters():
    data = np.vstack([X, np.repeat([[9.0, 9.0]], 4, axis=0)])
    start = dict(weights_init=[0.9, 0.1], means_init=[[0, 0], [9, 9]])
    precisions = np.stack([np.eye(2)] * 2)
    # Component 1 starts on 4 identical points and soon sits on them alone, with a zero
    # covariance: EM cannot go on, and says so; the parameters before that M-step are kept.
    with pytest.warns(emlib.ConvergenceWarning) as caught:
        gm = fit(X=data, precisions_init=precisions, reg_covar=0.0, **start)
    t = gm.n_iter_
    (message,) = [str(w.message) for w in caught]
    assert f"iteration {t}:" in message and f"those of iteration {t - 1}," in message
    assert "component 1 is not positive definite" in message and "Increase reg_covar" in message
    assert not gm.converged_ and len(gm.lower_bounds_) == t
    params = emlib.MixtureParams(start["weights_init"], start["means_init"], precisions, "full")
    for _ in range(t - 1):
        params = emlib.em_iteration(data, params, reg_covar=0.0).params
    np.testing.assert_allclose(gm.covariances_, params.covariances, rtol=1e-12)
    np.testing.assert_allclose(gm.means_, params.means, rtol=1e-12)
    with pytest.raises(emlib.CovarianceError, match="component 1"):
        emlib.em_iteration(data, params, reg_covar=0.0)
    assert gm.lower_bound_ == gm.lower_bounds_[-1] == pytest.approx(gm.score(data), rel=1e-12)


def test_collapse_of_the_initial_parameters_raises():
    """No parameters to keep: k-means puts each component on identical points."""
    data = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    for covariance_type in ("full", "tied", "diag", "spherical"):
        with pytest.raises(emlib.CovarianceError, match=r"not positive definite.*reg_covar"):
            fit(X=data, reg_covar=0.0, covariance_type=covariance_type, random_state=0)
    for covariance_type in ("tied", "diag", "spherical"):
        gm = fit(
            X=data, means_init=[[0, 0], [9, 9]], reg_covar=1e-6, covariance_type=covariance_type
        )
        assert np.isfinite(gm.lower_bound_) and np.isfinite(gm.covariances_).all()


def test_step_functions_reject_bad_input():
    params = emlib.m_step(X, np.full((60, 2), 0.5))
    with pytest.raises(ValueError, match=r"row 0 sums to 1\.5.*resp / resp.sum"):
        emlib.m_step(X, np.full((60, 2), 0.75))
    with pytest.raises(ValueError, match=r"resp must have shape .*n_samples=60"):
        emlib.m_step(X, np.full((59, 2), 0.5))
    with pytest.raises(ValueError, match=r"resp must be non-negative"):
        emlib.m_step(X, np.tile([1.5, -0.5], (60, 1)))
    with pytest.raises(ValueError, match=r"X has 3 features, but the model was built for 2"):
        emlib.e_step(np.ones((5, 3)), params)
    with pytest.raises(ValueError, match=r"params must be an emlib.MixtureParams"):
        emlib.e_step(X, {"weights": [0.5, 0.5]})
    with pytest.raises(ValueError, match=r"covariances for covariance_type='full' must have shape"):
        emlib.MixtureParams([0.5, 0.5], [[0, 0], [1, 1]], np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"covariance of component 1 is not positive definite"):
        emlib.MixtureParams([0.5, 0.5], [[0, 0], [1, 1]], [np.eye(2), [[1, 2], [2, 1]]])
    with pytest.raises(ValueError, match=r"weights must sum to 1"):
        emlib.MixtureParams([0.5, 0.6], [[0, 0], [1, 1]], [1.0, 1.0], "spherical")


def test_unfitted_model_says_fit_first():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"not fitted yet. Call 'fit'"):
        emlib.GaussianMixture(2).predict(X)
    with pytest.raises(NotFittedError, match=r"not fitted yet. Call 'fit'"):
        emlib.KMeans(2).predict(X)


def test_predict_checks_features():
    gm = fit()
    with pytest.raises(ValueError, match=r"X has 3 features, but GaussianMixture is expecting 2"):
        gm.predict_proba(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        gm.score_samples(np.array([[np.nan, 1.0]]))


def test_kmeans_bad_input():
    with pytest.raises(ValueError, match=r"'n_clusters' parameter .* range \[1, inf\)"):
        emlib.KMeans(0).fit(X)
    with pytest.raises(ValueError, match=r"'init' parameter .*Got 'kmeans'"):
        emlib.KMeans(2, init="kmeans").fit(X)
    with pytest.raises(ValueError, match=r"n_samples >= n_clusters.*n_clusters=5"):
        emlib.KMeans(5).fit(X[:4])
    with pytest.raises(ValueError, match=r"init must have shape"):
        emlib.KMeans(2, init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match=r"variance must be > 0"):
        emlib.fixed_variance_em(X, X[:2], variance=0.0)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("n_features", [2, 6])
def test_a_point_mass_is_exactly_singular_not_rounding_noise(covariance_type, n_features):
    """A component on identical points has covariance exactly 0 (+ reg_covar), whatever
    rounding the sums went through, far from the origin and from the other component."""
    rng = np.random.default_rng(1)
    far = np.full(n_features, 1e3)
    data = np.vstack([rng.normal(size=(40, n_features)), np.repeat(far[None], 6, axis=0)])
    resp = np.zeros((46, 2))
    resp[:40, 0] = 1.0
    resp[40:, 1] = 1.0
    params = emlib.m_step(data, resp, covariance_type, reg_covar=1e-6)
    expected = 1e-6 * np.eye(n_features)
    np.testing.assert_allclose(params.full_covariances()[1], expected, rtol=1e-9, atol=0)
    with pytest.raises(emlib.CovarianceError, match="component 1"):
        emlib.m_step(data, resp, covariance_type, reg_covar=0.0)
