"""emlib's estimators are scikit-learn estimators: they work wherever scikit-learn expects one."""

from __future__ import annotations

import pickle
import tracemalloc
import warnings

import numpy as np
import pytest

import emlib

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

X = emlib.make_blobs(300, random_state=0).X


@pytest.mark.parametrize(
    "estimator",
    [emlib.GaussianMixture(n_components=2, n_init=2, max_iter=20), emlib.KMeans(2, n_init=2)],
    ids=["GaussianMixture", "KMeans"],
)
def test_check_estimator_passes_with_no_expected_failures(estimator):
    # Every check must pass: none is marked as an expected failure, and a skipped check
    # would only be one that needs an optional package (pandas is a test dependency).
    results = check_estimator(estimator, on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], r["exception"]) for r in failed]
    assert not [r for r in results if r["status"] == "xfail"]
    assert len([r for r in results if r["status"] == "passed"]) >= 40


def test_exceptions_are_scikit_learns():
    assert emlib.NotFittedError is NotFittedError
    assert emlib.ConvergenceWarning is ConvergenceWarning
    with pytest.raises(NotFittedError):
        emlib.GaussianMixture(2).score_samples(X)
    with pytest.raises(NotFittedError):
        emlib.KMeans(2).predict(X)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        emlib.GaussianMixture(3, max_iter=1, random_state=0).fit(X)


def test_clone_gives_an_unfitted_copy_with_the_same_parameters():
    gm = emlib.GaussianMixture(3, covariance_type="diag", random_state=0).fit(X)
    copy = clone(gm)
    assert copy.get_params() == gm.get_params()
    assert not hasattr(copy, "means_")
    np.testing.assert_array_equal(copy.fit(X).means_, gm.means_)
    km = clone(emlib.KMeans(3, random_state=0))
    assert km.n_clusters == 3 and not hasattr(km, "labels_")


def test_grid_search_chooses_n_components_by_bic():
    def neg_bic(estimator, data, y=None):
        return -estimator.bic(data)

    everything = np.arange(len(X))
    search = GridSearchCV(
        emlib.GaussianMixture(random_state=0, n_init=2),
        {"n_components": [1, 2, 3, 4, 5]},
        scoring=neg_bic,
        cv=[(everything, everything)],
    ).fit(X)
    bics = [
        emlib.GaussianMixture(k, random_state=0, n_init=2).fit(X).bic(X) for k in range(1, 6)
    ]
    assert search.best_params_["n_components"] == 1 + int(np.argmin(bics)) == 3
    assert isinstance(search.best_estimator_, emlib.GaussianMixture)


def test_pipeline_with_standard_scaler():
    scaled = X * [1000.0, 0.001] + [5e4, -3.0]
    pipe = make_pipeline(StandardScaler(), emlib.GaussianMixture(3, random_state=0)).fit(scaled)
    standard = StandardScaler().fit_transform(scaled)
    direct = emlib.GaussianMixture(3, random_state=0).fit(standard)
    np.testing.assert_array_equal(pipe.predict(scaled), direct.predict(standard))
    np.testing.assert_allclose(pipe.score_samples(scaled), direct.score_samples(standard))
    km_pipe = make_pipeline(StandardScaler(), emlib.KMeans(3, random_state=0)).fit(scaled)
    assert emlib.matched_accuracy(km_pipe.predict(scaled), pipe.predict(scaled)) == 1.0


def test_html_repr_and_text_repr():
    gm = emlib.GaussianMixture(3, covariance_type="tied")
    assert repr(gm) == "GaussianMixture(covariance_type='tied', n_components=3)"
    html = gm._repr_html_()
    assert "GaussianMixture" in html and "tied" in html


def test_complex_and_sparse_input_are_refused():
    scipy_sparse = pytest.importorskip("scipy.sparse")
    for estimator in (emlib.GaussianMixture(2), emlib.KMeans(2)):
        with pytest.raises(ValueError, match="Complex data not supported"):
            estimator.fit(X + 0j)
        with pytest.raises(TypeError, match=r"[Ss]parse"):
            estimator.fit(scipy_sparse.csr_matrix(X))
    gm = emlib.GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="Complex data not supported"):
        gm.predict(X + 1j)
    with pytest.raises(TypeError, match=r"[Ss]parse"):
        gm.score_samples(scipy_sparse.csr_matrix(X))


def test_dataframes_keep_feature_names_and_refuse_renamed_columns():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["eruption", "waiting"])
    for estimator in (emlib.GaussianMixture(2, random_state=0), emlib.KMeans(2, random_state=0)):
        estimator.fit(frame)
        np.testing.assert_array_equal(estimator.feature_names_in_, ["eruption", "waiting"])
        estimator.predict(frame)
        with pytest.raises(ValueError, match="feature names should match"):
            estimator.predict(frame.rename(columns={"waiting": "wait"}))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(UserWarning, match="does not have valid feature names"):
                estimator.predict(X)


def test_float32_and_integers_are_computed_in_float64():
    ours = emlib.GaussianMixture(2, random_state=0).fit(X.astype(np.float32))
    assert ours.means_.dtype == np.float64
    ref = emlib.GaussianMixture(2, random_state=0).fit(X.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(ours.means_, ref.means_)
    assert emlib.KMeans(2, random_state=0).fit(np.round(X).astype(int)).cluster_centers_.dtype == (
        np.float64
    )


def test_verbose_reports_progress(capsys):
    emlib.GaussianMixture(3, random_state=0, max_iter=25, tol=0, verbose=1, verbose_interval=5).fit(
        X
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Initialisation 0"
    assert [line.strip() for line in lines[1:6]] == [f"Iteration {i}" for i in range(5, 26, 5)]
    assert lines[-1] == "Initialisation did not converge."
    emlib.GaussianMixture(3, random_state=0, n_init=2, verbose=2, verbose_interval=1).fit(X)
    out = capsys.readouterr().out
    assert out.count("Initialisation converged. time lapse") == 2
    assert "Iteration 1\t time lapse" in out and "lower bound change" in out
    emlib.GaussianMixture(3, random_state=0).fit(X)
    assert capsys.readouterr().out == ""


def test_pickle_round_trip_predicts_the_same():
    gm = emlib.GaussianMixture(3, random_state=0).fit(X)
    again = pickle.loads(pickle.dumps(gm))
    np.testing.assert_array_equal(again.predict_proba(X), gm.predict_proba(X))


def test_numpy_generator_is_accepted_as_random_state():
    a = emlib.GaussianMixture(3, random_state=np.random.default_rng(5)).fit(X)
    b = emlib.GaussianMixture(3, random_state=np.random.default_rng(5)).fit(X)
    np.testing.assert_array_equal(a.means_, b.means_)


def test_no_n_by_k_array_in_fit_predict_or_score_samples():
    """Streaming: fit (from given starts, from k-means++ seeds, from random responsibilities),
    predict, score_samples and k-means never hold an (N, K) array (vectors of N and chunks
    of fixed size only); predict_proba returns one, by definition."""
    rng = np.random.default_rng(0)
    n, k = 150_000, 32
    # k separated clusters, so that the k-means initialisation (tested too) converges fast
    data = rng.uniform(-100, 100, size=(k, 2))[rng.integers(k, size=n)] + rng.normal(size=(n, 2))
    limit = 0.5 * n * k * 8

    def peak(fn):
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top - base

    seeds = emlib.kmeans_plusplus(data[:5000], k, random_state=0)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # means_init alone: weights and covariances come from the k-means initialisation
        gm = emlib.GaussianMixture(k, means_init=seeds, max_iter=2, random_state=0)
        assert peak(lambda: gm.fit(data)) < limit
        start = dict(weights_init=gm.weights_, means_init=gm.means_, precisions_init=gm.precisions_)
        assert peak(lambda: emlib.GaussianMixture(k, max_iter=2, **start).fit(data)) < limit
        for init in ("k-means++", "random"):
            other = emlib.GaussianMixture(k, init_params=init, random_state=0, max_iter=1)
            assert peak(lambda other=other: other.fit(data)) < limit
    assert peak(lambda: gm.predict(data)) < limit
    assert peak(lambda: gm.score_samples(data)) < limit
    assert peak(lambda: gm.predict_proba(data)) >= 2 * limit
    assert peak(lambda: emlib.KMeans(k, init=seeds, max_iter=3).fit(data)) < limit
