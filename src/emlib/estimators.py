"""emlib's estimators: scikit-learn estimators whose maths is emlib's own.

:class:`GaussianMixture` and :class:`KMeans` are built on scikit-learn's estimator
machinery (:class:`~sklearn.base.BaseEstimator`, the density and cluster mixins, its
parameter constraints, input validation, ``check_is_fitted``, ``NotFittedError``,
``ConvergenceWarning`` and HTML repr), so they work wherever scikit-learn expects an
estimator: ``clone``, ``Pipeline``, ``GridSearchCV``, ``check_estimator``. What they run is
:mod:`emlib.core`: the same E-step, M-step and k-means code that the chapters call one step
at a time, streamed over chunks of samples.

This is the one layer of emlib that imports scikit-learn. ``import emlib`` does not import
it: ``emlib.GaussianMixture`` and friends load this module on first use.

``X`` is validated once, at each public method, by scikit-learn's ``validate_data``; the
core functions called after that trust it.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, DensityMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .core import n_parameters, sample_mixture
from .core._validation import (
    COVARIANCE_TYPES,
    INIT_PARAMS,
    CovarianceError,
    check_matrix_array,
    check_means,
    check_n_samples,
    check_random_state,
    check_weights,
)
from .core.em import _log_responsibilities, _predict, _score_samples
from .core.fit import EMRun, initial_params, run_em
from .core.kmeans import _lloyd, _nearest
from .core.selection import _aic, _bic

try:
    from sklearn.utils.validation import validate_data
except ImportError:  # scikit-learn < 1.6: the same check is a method of BaseEstimator

    def validate_data(estimator, X, **kwargs):
        return estimator._validate_data(X, **kwargs)


__all__ = [
    "ConvergenceWarning",
    "GaussianMixture",
    "KMeans",
    "NotFittedError",
    "SelectionResult",
    "select_n_components",
]

# How X is checked at every public method: scikit-learn's validation (2-D, finite, numeric,
# not complex, not sparse, feature names), then float64 and C-contiguous, as emlib computes.
_X_CHECKS = dict(dtype=np.float64, order="C")


def _better(run: EMRun, best: EMRun) -> bool:
    """Whether ``run`` is a better initialisation than ``best``: one that did not collapse
    beats one that did (whose lower bound was running away), then the higher lower bound."""
    return (run.collapse is None, run.lower_bound) > (best.collapse is None, best.lower_bound)


class GaussianMixture(DensityMixin, BaseEstimator):
    """A Gaussian mixture model fitted by expectation-maximisation.

    The constructor arguments and fitted attributes are those of
    :class:`sklearn.mixture.GaussianMixture`; from the same initial parameters both give
    the same numbers (to 1e-8, tested). Computation is in float64: float32 (or integer)
    input is converted, and the fitted attributes are float64.

    Parameters
    ----------
    n_components : int, default=1
        Number of components ``K``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        ``full``: each component its own covariance; ``tied``: one shared covariance;
        ``diag``: each component a diagonal covariance; ``spherical``: each component a
        single variance.
    tol : float, default=1e-3
        EM stops when the lower bound (the mean log-likelihood per sample) changes by less
        than ``tol``.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance so that no component collapses. If a
        component collapses all the same (an M-step leaves its covariance singular, as
        ``reg_covar=0`` allows), EM stops at that iteration and keeps the parameters before
        it, ``converged_`` is False and a ``ConvergenceWarning`` names the component. A
        start whose *initial* covariances are singular is skipped; if every start is,
        ``fit`` raises :class:`emlib.CovarianceError`.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the run with the highest lower bound is kept (a run that
        collapsed only if every run did).
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How initial responsibilities are made: from k-means labels; from the nearest of
        k-means++ centres; at random; or from the nearest of ``K`` random samples. The
        first M-step turns them into initial parameters. (scikit-learn's "k-means++" and
        "random_from_data" put all of a component's responsibility on its one seed sample;
        here every sample goes to its nearest seed, which avoids starting with covariances
        equal to ``reg_covar``.)
    weights_init, means_init, precisions_init : array_like, optional
        Initial parameters; any that is given replaces the initialised one.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seed for the initialisation and for :meth:`sample`.
    warm_start : bool, default=False
        If True, a second ``fit`` starts from the fitted parameters (and ``n_init`` is 1).
    verbose : int, default=0
        1 prints the start and end of each initialisation and every ``verbose_interval``-th
        iteration; 2 also prints the time and the change of the lower bound.
    verbose_interval : int, default=10
        Iterations between two progress lines.
    record_history : bool, default=False
        Keep ``history_``, a list of :class:`emlib.EMRecord` (parameters and
        log-likelihood at every iteration of the kept run), for chapters and labs to replay.
    record_responsibilities : bool, default=False
        Also keep the responsibilities in each record (``N x K`` numbers each).

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_ : numpy.ndarray
        The fitted parameters.
    converged_ : bool
    n_iter_ : int
    lower_bound_ : float
        Mean log-likelihood per sample of the kept run at its last iteration (as
        scikit-learn, computed in the E-step of that iteration).
    lower_bounds_ : list of float
        ``lower_bound_`` after each iteration of the kept run.
    params_ : MixtureParams
        The fitted parameters as one object, for :func:`emlib.e_step` and friends.
    history_ : list of EMRecord
        Only with ``record_history=True``.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Only when ``X`` had column names (a pandas DataFrame).
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_PARAMS))],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state", np.random.Generator],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "record_history": ["boolean"],
        "record_responsibilities": ["boolean"],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start: bool = False,
        verbose: int = 0,
        verbose_interval: int = 10,
        record_history: bool = False,
        record_responsibilities: bool = False,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.record_history = record_history
        self.record_responsibilities = record_responsibilities

    # --------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> GaussianMixture:
        """Estimate the parameters with EM.

        Parameters
        ----------
        X : array_like of shape (N, d)
            The data.
        y : ignored

        Returns
        -------
        GaussianMixture
            The fitted estimator.
        """
        self._fit(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most probable component of each sample.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return _predict(self._fit(X), self.params_)

    def _check_inits(self, n_features: int) -> tuple:
        k = self.n_components
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = check_weights(self.weights_init, k, name="weights_init")
        if self.means_init is not None:
            means = check_means(self.means_init, k, n_features, name="means_init")
        if self.precisions_init is not None:
            precisions = check_matrix_array(
                self.precisions_init, self.covariance_type, k, n_features, name="precisions_init"
            )
        return weights, means, precisions

    def _fit(self, X) -> np.ndarray:
        """Fit on ``X``; return ``X`` as validated (float64, C-contiguous)."""
        continuing = self.warm_start and hasattr(self, "params_")
        previous = self.params_.n_features if continuing else None
        X = validate_data(self, X, ensure_min_samples=2, **_X_CHECKS)
        check_n_samples(X.shape[0], self.n_components)
        if continuing and previous != X.shape[1]:
            raise ValueError(
                f"warm_start: X has {X.shape[1]} features, the fitted model has {previous}. "
                "Fit on data with the same columns, or set warm_start=False."
            )
        if continuing and self.params_.covariance_type != self.covariance_type:
            continuing = False
        inits = self._check_inits(X.shape[1])
        rng = check_random_state(self.random_state)
        n_init = 1 if continuing else self.n_init
        best: EMRun | None = None
        unusable: CovarianceError | None = None
        for init in range(n_init):
            self._report_start(init)
            if continuing:
                start, lower_bound = self.params_, self.lower_bound_
            else:
                try:
                    start = initial_params(
                        X,
                        self.n_components,
                        self.covariance_type,
                        self.reg_covar,
                        self.init_params,
                        rng,
                        *inits,
                    )
                except CovarianceError as error:  # a start with a singular covariance
                    unusable = unusable or error
                    if self.verbose:
                        print("Initialisation skipped: its initial covariances are singular.")
                    continue
                lower_bound = -np.inf
            began = time.perf_counter()
            run = run_em(
                X,
                start,
                reg_covar=self.reg_covar,
                tol=self.tol,
                max_iter=self.max_iter,
                lower_bound=lower_bound,
                record_history=self.record_history,
                record_responsibilities=self.record_responsibilities,
                on_iteration=self._progress() if self.verbose else None,
            )
            self._report_end(run, time.perf_counter() - began)
            if best is None or _better(run, best):
                best = run
        if best is None:  # every start was unusable: nothing to keep
            raise unusable
        if best.collapse:
            warnings.warn(
                f"EM stopped at iteration {best.n_iter}: its M-step left a covariance "
                f"singular. {best.collapse} The fitted parameters are those of iteration "
                f"{best.n_iter - 1}, before the collapse.",
                ConvergenceWarning,
                stacklevel=4,  # the caller of fit (fit -> _fit_context -> _fit)
            )
        elif not best.converged and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init "
                "parameters, or increase max_iter, tol, or check for degenerate data. "
                f"(EM stopped at max_iter={self.max_iter} in the best of {n_init} "
                f"initialisation{'s' if n_init > 1 else ''}.)",
                ConvergenceWarning,
                stacklevel=4,  # the caller of fit (fit -> _fit_context -> _fit)
            )
        self._set_fitted(best)
        return X

    def _set_fitted(self, run: EMRun) -> None:
        params = run.params
        self.params_ = params
        self.weights_ = np.array(params.weights)
        self.means_ = np.array(params.means)
        self.covariances_ = np.array(params.covariances)
        self.precisions_cholesky_ = np.array(params.precisions_cholesky)
        self.precisions_ = params.precisions
        self.lower_bound_ = run.lower_bound
        self.lower_bounds_ = run.lower_bounds
        self.n_iter_ = run.n_iter
        self.converged_ = run.converged
        if self.record_history:
            self.history_ = run.history
        elif hasattr(self, "history_"):
            del self.history_

    # ------------------------------------------------------------- progress
    def _report_start(self, init: int) -> None:
        if self.verbose:
            print(f"Initialisation {init}")

    def _progress(self):
        state = {"last": time.perf_counter()}

        def report(n_iter: int, lower_bound: float, change: float) -> None:
            if n_iter % self.verbose_interval:
                return
            now = time.perf_counter()
            if self.verbose >= 2:
                print(
                    f"  Iteration {n_iter}\t time lapse {now - state['last']:.5f}s\t "
                    f"lower bound change {change:.5f}"
                )
            else:
                print(f"  Iteration {n_iter}")
            state["last"] = now

        return report

    def _report_end(self, run: EMRun, seconds: float) -> None:
        if not self.verbose:
            return
        outcome = (
            "converged"
            if run.converged
            else f"collapsed at iteration {run.n_iter}"
            if run.collapse
            else "did not converge"
        )
        if self.verbose >= 2:
            print(
                f"Initialisation {outcome}. time lapse {seconds:.5f}s\t "
                f"lower bound {run.lower_bound:.5f}"
            )
        else:
            print(f"Initialisation {outcome}.")
        sys.stdout.flush()

    # ------------------------------------------------------------- inference
    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **_X_CHECKS)

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities ``gamma_ik``: the posterior probability of each component.

        Returns
        -------
        numpy.ndarray of shape (N, K)
        """
        log_resp = _log_responsibilities(self._validated(X), self.params_)[0]
        return np.exp(log_resp, out=log_resp)

    def predict(self, X) -> np.ndarray:
        """The most probable component of each sample.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return _predict(self._validated(X), self.params_)

    def score_samples(self, X) -> np.ndarray:
        """``log p(x_i)`` of each sample under the fitted mixture.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return _score_samples(self._validated(X), self.params_)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per sample."""
        return float(self.score_samples(X).mean())

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log p(X) + p log N``; lower is better."""
        return _bic(self._validated(X), self.params_)

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log p(X) + 2 p``; lower is better."""
        return _aic(self._validated(X), self.params_)

    def _n_parameters(self) -> int:
        """Number of free parameters (scikit-learn's name; see :func:`emlib.n_parameters`)."""
        return n_parameters(self.n_components, self.means_.shape[1], self.covariance_type)

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, d)
        z : numpy.ndarray of shape (n_samples,)
            The component each sample came from.
        """
        check_is_fitted(self)
        if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}. sample draws at least one "
                "sample: pass an integer n_samples >= 1."
            )
        return sample_mixture(self.params_, int(n_samples), random_state=self.random_state)


class KMeans(ClusterMixin, BaseEstimator):
    """k-means clustering by Lloyd's algorithm, with k-means++ initialisation.

    Computation is in float64: other input dtypes are converted.

    Parameters
    ----------
    n_clusters : int, default=3
        Number of clusters ``K``.
    init : {"k-means++", "random"} or array_like of shape (K, d), default="k-means++"
        How to choose the initial centres; an array gives them explicitly.
    n_init : int, default=10
        Number of runs from different initial centres; the run with the lowest inertia is
        kept. Ignored (1 run) when ``init`` is an array.
    max_iter : int, default=300
        Maximum number of Lloyd iterations per run.
    tol : float, default=1e-4
        Stop when the centres move by less than ``tol`` times the mean variance of the
        features (sum of squared moves), or when no label changes.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seed for the initialisation.

    Attributes
    ----------
    cluster_centers_ : numpy.ndarray of shape (K, d)
    labels_ : numpy.ndarray of shape (N,)
    inertia_ : float
        Sum of squared distances of the samples to their centre.
    n_iter_ : int
        Lloyd iterations of the kept run.
    n_features_in_ : int
    feature_names_in_ : numpy.ndarray
        Only when ``X`` had column names (a pandas DataFrame).
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"k-means++", "random"}), "array-like"],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
    }

    def __init__(
        self,
        n_clusters: int = 3,
        *,
        init="k-means++",
        n_init: int = 10,
        max_iter: int = 300,
        tol: float = 1e-4,
        random_state=None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> KMeans:
        """Cluster ``X``.

        Returns
        -------
        KMeans
            The fitted estimator.
        """
        X = validate_data(self, X, **_X_CHECKS)
        check_n_samples(X.shape[0], self.n_clusters, name="n_clusters")
        init = self.init
        if not isinstance(init, str):
            init = check_means(init, self.n_clusters, X.shape[1], name="init")
        run = _lloyd(
            X,
            self.n_clusters,
            init,
            self.n_init,
            self.max_iter,
            self.tol,
            check_random_state(self.random_state),
        )
        self.cluster_centers_ = run.centers
        self.labels_ = run.labels
        self.inertia_ = run.inertia
        self.n_iter_ = run.n_iter
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest centre for each sample."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, **_X_CHECKS)
        return _nearest(X, self.cluster_centers_)[0]


@dataclass(frozen=True)
class SelectionResult:
    """BIC and AIC for each candidate number of components.

    Attributes
    ----------
    n_components : numpy.ndarray
        The candidate values of ``K``.
    bic, aic : numpy.ndarray
        One value per candidate.
    models : list of GaussianMixture
        The fitted models, in the same order.
    """

    n_components: np.ndarray
    bic: np.ndarray
    aic: np.ndarray
    models: list

    @property
    def best_bic(self) -> int:
        """The ``K`` with the lowest BIC."""
        return int(self.n_components[np.argmin(self.bic)])

    @property
    def best_aic(self) -> int:
        """The ``K`` with the lowest AIC."""
        return int(self.n_components[np.argmin(self.aic)])


def select_n_components(
    X,
    n_components: Iterable[int] = range(1, 7),
    *,
    covariance_type: str = "full",
    n_init: int = 5,
    random_state=0,
    **kwargs,
) -> SelectionResult:
    """Fit one mixture per candidate ``K`` and score each with BIC and AIC.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    n_components : iterable of int, default=range(1, 7)
        Candidate numbers of components.
    covariance_type : str, default="full"
        The covariance type of every candidate.
    n_init : int, default=5
        Restarts per candidate (BIC needs each model's best fit).
    random_state : None or int, default=0
        Seed for every fit.
    **kwargs
        Passed on to :class:`GaussianMixture`.

    Returns
    -------
    SelectionResult
    """
    ks = np.array(list(n_components))
    if ks.size == 0:
        raise ValueError("n_components is empty; give at least one candidate, e.g. range(1, 7).")
    models = [
        GaussianMixture(
            k.item() if isinstance(k, np.generic) else k,
            covariance_type=covariance_type,
            n_init=n_init,
            random_state=random_state,
            **kwargs,
        ).fit(X)
        for k in ks
    ]
    return SelectionResult(
        ks,
        np.array([m.bic(X) for m in models]),
        np.array([m.aic(X) for m in models]),
        models,
    )
