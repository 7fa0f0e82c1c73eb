"""Behaviour of the estimator, k-means, model selection, data sets and Old Faithful."""

import warnings

import numpy as np
import pytest

import emlib


@pytest.fixture(scope="module")
def faithful():
    return emlib.load_old_faithful()


def test_old_faithful_is_shipped(faithful):
    assert faithful.X.shape == (272, 2)
    assert faithful.feature_names == ("eruptions", "waiting")
    assert faithful.X[0].tolist() == [3.6, 79.0]
    assert "Härdle" in faithful.description


def test_old_faithful_two_groups_of_eruption_durations(faithful):
    X = faithful.X[:, :1]
    gm = emlib.GaussianMixture(2, n_init=5, random_state=0).fit(X)
    order = np.argsort(gm.means_[:, 0])
    means, weights = gm.means_[order, 0], gm.weights_[order]
    assert means[0] == pytest.approx(2.0, abs=0.1)
    assert means[1] == pytest.approx(4.3, abs=0.1)
    assert weights[0] == pytest.approx(0.35, abs=0.03)
    assert weights[1] == pytest.approx(0.65, abs=0.03)


def test_bic_prefers_two_components_in_1d(faithful):
    result = emlib.select_n_components(faithful.X[:, :1], [1, 2, 3], n_init=5, random_state=0)
    assert result.best_bic == 2
    assert result.bic[1] < result.bic[0] and result.bic[1] < result.bic[2]


@pytest.mark.parametrize(
    ("covariance_type", "expected"),
    [
        ("full", 3 * 3 + 3 * 2 + 2),
        ("tied", 3 + 3 * 2 + 2),
        ("diag", 3 * 2 + 3 * 2 + 2),
        ("spherical", 3 + 3 * 2 + 2),
    ],
)
def test_parameter_count(covariance_type, expected):
    assert emlib.n_parameters(3, 2, covariance_type) == expected


def test_bic_function_matches_estimator(faithful):
    gm = emlib.GaussianMixture(2, covariance_type="diag", random_state=0).fit(faithful.X)
    assert emlib.bic(faithful.X, gm.params_) == pytest.approx(gm.bic(faithful.X))
    assert emlib.aic(faithful.X, gm.params_) == pytest.approx(gm.aic(faithful.X))


def test_restarts_keep_the_best_lower_bound():
    X = emlib.make_overlapping(300, random_state=0).X
    singles = [
        emlib.GaussianMixture(3, init_params="random", random_state=seed, max_iter=200)
        .fit(X)
        .lower_bound_
        for seed in range(1)
    ]
    best = emlib.GaussianMixture(
        3, init_params="random", n_init=6, random_state=0, max_iter=200
    ).fit(X)
    assert best.lower_bound_ >= max(singles) - 1e-12


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_every_init_recovers_blobs(init_params):
    ds = emlib.make_blobs(600, random_state=0)
    # tol=1e-6: from "random" responsibilities all means start near the data mean, and the
    # default tol would stop EM before the symmetry breaks (scikit-learn behaves alike).
    gm = emlib.GaussianMixture(3, init_params=init_params, n_init=3, random_state=0, tol=1e-6)
    gm.fit(ds.X)
    found = np.sort(gm.means_[:, 0])
    np.testing.assert_allclose(found, np.sort(ds.params.means[:, 0]), atol=0.3)


def test_history_replays_the_fit():
    ds = emlib.make_elongated(300, random_state=0)
    gm = emlib.GaussianMixture(
        3, random_state=0, record_history=True, record_responsibilities=True
    ).fit(ds.X)
    history = gm.history_
    assert [r.iteration for r in history] == list(range(gm.n_iter_ + 1))
    assert history[-1].params.means.tolist() == gm.means_.tolist()
    assert history[-1].log_likelihood == pytest.approx(gm.score(ds.X) * len(ds.X))
    for record in history:
        resp, ll = emlib.e_step(ds.X, record.params)
        np.testing.assert_allclose(record.responsibilities, resp, atol=1e-12)
        assert record.log_likelihood == pytest.approx(ll)
    with pytest.raises(ValueError):
        history[0].params.means[0, 0] = 1.0  # read-only: history cannot be corrupted


def test_warm_start_continues():
    X = emlib.make_overlapping(300, random_state=1).X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        gm = emlib.GaussianMixture(3, max_iter=2, warm_start=True, random_state=0, tol=0).fit(X)
        first = gm.lower_bound_
        gm.fit(X)
    assert gm.lower_bound_ >= first


def test_not_converged_warns():
    X = emlib.make_overlapping(300, random_state=1).X
    with pytest.warns(emlib.ConvergenceWarning, match="max_iter=1"):
        emlib.GaussianMixture(3, max_iter=1, tol=0, random_state=0).fit(X)


def test_sample_and_predict():
    ds = emlib.make_blobs(500, random_state=3)
    gm = emlib.GaussianMixture(3, random_state=0).fit(ds.X)
    Xs, z = gm.sample(2000)
    assert Xs.shape == (2000, 2) and z.shape == (2000,)
    np.testing.assert_allclose(np.bincount(z, minlength=3) / 2000, gm.weights_, atol=0.05)
    assert (gm.fit_predict(ds.X) == gm.predict(ds.X)).all()
    proba = gm.predict_proba(ds.X)
    assert (proba.argmax(axis=1) == gm.predict(ds.X)).all()


def test_sample_mixture_matches_its_parameters():
    params = emlib.make_overlapping(10, random_state=0).params
    X, z = emlib.sample_mixture(params, 20000, random_state=0)
    for k in range(3):
        np.testing.assert_allclose(X[z == k].mean(axis=0), params.means[k], atol=0.1)
        np.testing.assert_allclose(np.cov(X[z == k].T), params.covariances[k], atol=0.15)


def test_kmeans_finds_blobs_and_its_inertia():
    ds = emlib.make_blobs(400, random_state=0)
    km = emlib.KMeans(3, random_state=0).fit(ds.X)
    d2 = emlib.squared_distances(ds.X, km.cluster_centers_)
    assert km.inertia_ == pytest.approx(d2.min(axis=1).sum())
    assert (km.predict(ds.X) == km.labels_).all()
    np.testing.assert_allclose(
        np.sort(km.cluster_centers_[:, 0]), np.sort(ds.params.means[:, 0]), atol=0.3
    )


def test_kmeans_plusplus_spreads_the_seeds():
    ds = emlib.make_blobs(600, random_state=0)
    hits = 0
    for seed in range(20):
        centers, idx = emlib.kmeans_plusplus(ds.X, 3, random_state=seed)
        assert (ds.X[idx] == centers).all()
        hits += len(set(ds.z[idx])) == 3
    assert hits >= 17  # almost always one seed per blob


def test_collapse_is_kept_alive_by_reg_covar():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(50, 2)), np.repeat([[5.0, 5.0]], 5, axis=0)])
    start = dict(
        weights_init=[0.9, 0.1],
        means_init=[[0, 0], [5, 5]],
        precisions_init=np.stack([np.eye(2)] * 2),
    )
    gm = emlib.GaussianMixture(2, reg_covar=1e-6, **start).fit(X)
    assert np.isfinite(gm.lower_bound_)
    # Component 1 sits on five identical points: only reg_covar keeps it alive.
    np.testing.assert_allclose(gm.covariances_[1], 1e-6 * np.eye(2), rtol=1e-3, atol=1e-12)
    with pytest.warns(emlib.ConvergenceWarning, match=r"component 1 .*reg_covar"):
        collapsed = emlib.GaussianMixture(2, reg_covar=0.0, **start).fit(X)
    assert not collapsed.converged_ and np.isfinite(collapsed.lower_bound_)


def test_starts_that_collapse_are_not_kept_when_another_start_did_not(capsys):
    """Three clusters and three copies of one record, ``reg_covar=0``, four random starts:
    one is singular from the outset (skipped), one collapses onto the copies at iteration
    17 with the highest lower bound of all (running away), two converge. A converged run is
    kept, without a warning."""
    rng = np.random.default_rng(0)
    X = np.vstack(
        [
            rng.normal(size=(50, 2)),
            rng.normal(size=(50, 2)) + np.array([6.0, 0.0]),
            np.repeat([[3.0, 3.0]], 3, axis=0),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all
        gm = emlib.GaussianMixture(
            3,
            reg_covar=0.0,
            n_init=4,
            init_params="random_from_data",
            random_state=0,
            verbose=2,
        ).fit(X)
    report = capsys.readouterr().out
    assert report.count("Initialisation skipped: its initial covariances are singular") == 1
    bounds = {
        line.split(".")[0]: float(line.rsplit(" ", 1)[1])
        for line in report.splitlines()
        if line.startswith("Initialisation ") and "lower bound" in line
    }
    collapsed = [b for outcome, b in bounds.items() if "collapsed" in outcome]
    converged = [b for outcome, b in bounds.items() if outcome == "Initialisation converged"]
    assert len(collapsed) == 1 and converged and collapsed[0] > max(converged)
    assert gm.converged_ and gm.lower_bound_ == pytest.approx(max(converged), abs=1e-5)


def test_datasets_have_truth():
    for maker in (emlib.make_blobs, emlib.make_elongated, emlib.make_overlapping):
        ds = maker(100, random_state=0)
        assert ds.X.shape == (100, 2) and ds.z.shape == (100,)
        assert isinstance(ds.params, emlib.MixtureParams)
        again = maker(100, random_state=0)
        np.testing.assert_array_equal(ds.X, again.X)


def test_log_joint_is_log_weight_plus_log_density():
    ds = emlib.make_overlapping(200, random_state=1)
    params = emlib.MixtureParams(
        [0.2, 0.3, 0.5], [[0, 0], [2, 2], [-2, 1]], [1.0, 0.5, 2.0], "spherical"
    )
    joint = emlib.log_joint(ds.X, params)
    expected = np.log(params.weights) + emlib.component_log_densities(ds.X, params)
    np.testing.assert_allclose(joint, expected, rtol=1e-12, atol=1e-12)
    log_resp, log_prob = emlib.log_responsibilities(ds.X, params)
    np.testing.assert_allclose(emlib.logsumexp_rows(joint), log_prob, rtol=1e-12)
    np.testing.assert_allclose(joint - log_prob[:, None], log_resp, atol=1e-12)
    with pytest.raises(ValueError, match="X has 3 features"):
        emlib.log_joint(np.ones((4, 3)), params)


def test_matched_accuracy_renames_labels():
    truth = np.array([0, 0, 1, 1, 2, 2])
    assert emlib.matched_accuracy([2, 2, 0, 0, 1, 1], truth) == 1.0
    assert emlib.matched_accuracy([2, 2, 0, 1, 1, 1], truth) == pytest.approx(5 / 6)
    # More clusters than true components: the extra cluster matches nothing.
    assert emlib.matched_accuracy([0, 0, 1, 1, 3, 2], truth) == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="same length"):
        emlib.matched_accuracy([0, 1], truth)
    with pytest.raises(ValueError, match="labels >= 0"):
        emlib.matched_accuracy([-1, 0, 1, 1, 2, 2], truth)


def test_run_em_returns_a_named_run_that_the_estimator_keeps():
    from emlib.core.fit import EMRun, run_em

    X = emlib.make_blobs(150, random_state=2).X
    gm = emlib.GaussianMixture(3, random_state=0, tol=1e-6).fit(X)
    start = emlib.GaussianMixture(3, random_state=0, max_iter=0).fit(X).params_
    run = run_em(X, start, reg_covar=1e-6, tol=1e-6, max_iter=100)
    assert isinstance(run, EMRun) and run._fields == (
        "params",
        "lower_bound",
        "lower_bounds",
        "n_iter",
        "converged",
        "history",
        "collapse",
    )
    fitted = (gm.n_iter_, gm.converged_, gm.lower_bound_)
    assert (run.n_iter, run.converged, run.lower_bound) == fitted
    np.testing.assert_array_equal(run.params.means, gm.means_)


def test_random_initialisation_is_streamed_but_draws_as_one_array():
    from emlib.core.fit import initial_params

    X = emlib.make_blobs(40_000, random_state=3).X  # several chunks
    ours = initial_params(X, 4, "full", 1e-6, "random", np.random.default_rng(7))
    resp = np.random.default_rng(7).uniform(size=(len(X), 4))
    reference = emlib.m_step(X, resp / resp.sum(axis=1, keepdims=True), "full", 1e-6)
    np.testing.assert_allclose(ours.means, reference.means, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.covariances, reference.covariances, rtol=0, atol=1e-12)
