"""Property tests of the EM core (hypothesis)."""

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import emlib

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
# In CI the examples are derandomised, so that a run is reproducible; locally every run
# explores new examples.
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=bool(os.environ.get("CI")),
)


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(10, 120))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    offset = draw(st.sampled_from([0.0, 50.0]))
    covariance_type = draw(st.sampled_from(COVARIANCE_TYPES))
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(k, d))
    X = (centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))) * scale + offset
    return X, k, covariance_type, seed


@SETTINGS
@given(problems())
def test_responsibilities_are_probabilities(problem):
    X, k, covariance_type, seed = problem
    rng = np.random.default_rng(seed)
    resp0 = rng.dirichlet(np.ones(k), size=len(X))
    params = emlib.m_step(X, resp0, covariance_type)
    # a query set that includes points far away from every centre
    far = X[:3] + 1e6 * np.abs(X).max()
    resp, ll = emlib.e_step(np.vstack([X, far]), params)
    assert np.isfinite(resp).all() and np.isfinite(ll)
    assert (resp >= 0).all() and (resp <= 1).all()
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, atol=1e-12)


@SETTINGS
@given(problems())
def test_log_likelihood_never_decreases(problem):
    X, k, covariance_type, seed = problem
    # Exact EM (reg_covar=0): adding reg_covar after the M-step is not part of EM and may
    # lower the likelihood when the data's variance is as small as reg_covar itself.
    gm = emlib.GaussianMixture(
        k,
        covariance_type=covariance_type,
        max_iter=30,
        tol=0,
        random_state=seed,
        record_history=True,
        init_params="random",
        reg_covar=0.0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        try:
            gm.fit(X)
        except emlib.CovarianceError:
            assume(False)  # a component collapsed: EM is undefined without reg_covar
    # A component collapsed onto a point has a variance made of rounding noise and an
    # unbounded likelihood: monotonicity is only meaningful while every variance is real.
    floor = 1e-9 * X.var(axis=0).min()
    smallest = min(np.linalg.eigvalsh(r.params.full_covariances()).min() for r in gm.history_)
    assume(smallest > floor)
    lls = np.array([record.log_likelihood for record in gm.history_])
    # EM is monotone in exact arithmetic; allow only rounding-size decreases.
    steps = np.diff(lls)
    assert (steps >= -1e-9 * np.abs(lls[1:]).clip(1.0)).all(), steps.min()


@SETTINGS
@given(problems(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_sample_order(problem, shuffler):
    X, k, covariance_type, seed = problem
    rng = np.random.default_rng(seed)
    resp = rng.dirichlet(np.ones(k), size=len(X))
    perm = np.arange(len(X))
    shuffler.shuffle(perm)
    a = emlib.m_step(X, resp, covariance_type)
    b = emlib.m_step(X[perm], resp[perm], covariance_type)
    for name in ("weights", "means", "covariances"):
        np.testing.assert_allclose(
            getattr(a, name), getattr(b, name), rtol=1e-9, atol=1e-9 * np.abs(X).max() ** 2
        )
    ra, lla = emlib.e_step(X, a)
    rb, llb = emlib.e_step(X[perm], a)
    np.testing.assert_allclose(ra[perm], rb, atol=1e-12)
    assert lla == pytest.approx(llb, rel=1e-12, abs=1e-9)


@SETTINGS
@given(problems())
def test_whole_fit_does_not_depend_on_sample_order(problem):
    X, k, covariance_type, seed = problem
    # Near-degenerate fits (a handful of points per component) amplify rounding from one
    # iteration to the next; order-independence is asserted on well-posed problems.
    assume(len(X) >= 15 * k)
    rng = np.random.default_rng(seed)
    # Every initial parameter is given, so nothing random or order-dependent remains.
    var = X.var(axis=0) + 1e-3 * X.var()
    d = X.shape[1]
    precisions = {
        "full": np.stack([np.diag(1 / var)] * k),
        "tied": np.diag(1 / var),
        "diag": np.tile(1 / var, (k, 1)),
        "spherical": np.full(k, 1 / var.mean()),
    }[covariance_type]
    init = dict(
        weights_init=np.full(k, 1 / k),
        means_init=X[rng.choice(len(X), k, replace=False)],
        precisions_init=precisions,
    )
    assert d == var.size
    perm = rng.permutation(len(X))
    kwargs = dict(covariance_type=covariance_type, max_iter=10, tol=0, **init)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        a = emlib.GaussianMixture(k, **kwargs).fit(X)
        b = emlib.GaussianMixture(k, **kwargs).fit(X[perm])
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-7, abs=1e-7)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-6, atol=1e-6 * np.abs(X).max())


@SETTINGS
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(5, 150),
    d=st.integers(1, 4),
    k=st.integers(1, 5),
)
def test_hard_em_with_fixed_spherical_covariance_is_kmeans(seed, n, d, k):
    rng = np.random.default_rng(seed)
    if n < k:
        n = k
    X = rng.normal(size=(n, d)) + rng.normal(scale=3, size=(k, d))[rng.integers(k, size=n)]
    means_init = X[rng.choice(n, k, replace=False)]
    km = emlib.KMeans(k, init=means_init, max_iter=300, tol=0).fit(X)
    hard = emlib.fixed_variance_em(X, means_init, variance=1.0, hard=True, max_iter=300, tol=0)
    np.testing.assert_array_equal(hard.resp.argmax(axis=1), km.labels_)
    np.testing.assert_allclose(hard.means, km.cluster_centers_, rtol=1e-10, atol=1e-10)


def test_soft_em_converges_to_kmeans_as_variance_shrinks():
    ds = emlib.make_blobs(300, random_state=1)
    init = ds.X[[0, 1, 2]]
    km = emlib.KMeans(3, init=init, tol=0).fit(ds.X)
    disagreements = []
    for variance in [10.0, 1.0, 0.1, 0.01, 0.001]:
        soft = emlib.fixed_variance_em(ds.X, init, variance)
        disagreements.append(int((soft.resp.argmax(axis=1) != km.labels_).sum()))
        hardness = soft.resp.max(axis=1).mean()
    assert disagreements[-1] == 0
    assert hardness > 0.999
    np.testing.assert_allclose(soft.means, km.cluster_centers_, atol=1e-6)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_elbo_identity(covariance_type):
    ds = emlib.make_overlapping(200, random_state=2)
    rng = np.random.default_rng(0)
    params = emlib.m_step(ds.X, rng.dirichlet(np.ones(3), size=200), covariance_type)
    q = rng.dirichlet(np.ones(3), size=200)
    parts = emlib.elbo_decomposition(ds.X, q, params)
    assert parts.kl > 0
    assert parts.elbo < parts.log_likelihood
    assert parts.log_likelihood == pytest.approx(parts.elbo + parts.kl, rel=1e-12)
    # The E-step closes the gap.
    resp, ll = emlib.e_step(ds.X, params)
    tight = emlib.elbo_decomposition(ds.X, resp, params)
    assert tight.kl == pytest.approx(0.0, abs=1e-9)
    assert tight.elbo == pytest.approx(ll, rel=1e-12)
    # Hard responsibilities have zero entries: 0 log 0 is 0, not NaN.
    hard = np.eye(3)[resp.argmax(axis=1)]
    parts = emlib.elbo_decomposition(ds.X, hard, params)
    assert np.isfinite([parts.elbo, parts.kl]).all()
    assert parts.log_likelihood == pytest.approx(parts.elbo + parts.kl, rel=1e-12)


def test_m_step_with_hard_labels_is_per_cluster_mle():
    ds = emlib.make_blobs(300, random_state=4)
    resp = np.eye(3)[ds.z]
    params = emlib.m_step(ds.X, resp, "full", reg_covar=0.0)
    for k in range(3):
        members = ds.X[ds.z == k]
        np.testing.assert_allclose(params.weights[k], len(members) / len(ds.X))
        np.testing.assert_allclose(params.means[k], members.mean(axis=0))
        np.testing.assert_allclose(params.covariances[k], np.cov(members.T, bias=True), atol=1e-12)


def test_far_point_does_not_underflow():
    params = emlib.MixtureParams([0.5, 0.5], [[0.0], [1.0]], [[[1.0]], [[1.0]]])
    resp, ll = emlib.e_step(np.array([[1e4], [-1e4]]), params)
    np.testing.assert_allclose(resp, [[0.0, 1.0], [1.0, 0.0]], atol=1e-300)
    assert np.isfinite(ll)
