"""The Gaussian mixture estimator, with scikit-learn's names.

:class:`GaussianMixture` takes the constructor arguments and exposes the fitted attributes
of :class:`sklearn.mixture.GaussianMixture`, so that what a student learns here carries
over. It runs :func:`emlib.core.em.em_iteration`, which is built from the same E-step and
M-step code that the chapters call one step at a time.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from ._validation import (
    INIT_PARAMS,
    check_covariance_type,
    check_data,
    check_matrix_array,
    check_means,
    check_n_samples,
    check_nonnegative_float,
    check_positive_int,
    check_random_state,
    check_weights,
)
from .datasets import sample_mixture
from .em import (
    MixtureParams,
    _em_iteration,
    _log_responsibilities,
    _log_weighted_prob,
    logsumexp_rows,
    m_step,
)
from .kmeans import KMeans, kmeans_plusplus, squared_distances
from .selection import aic, bic


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the lower bound changed by less than ``tol``."""


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before ``fit``."""


class EMRecord(NamedTuple):
    """One entry of ``GaussianMixture.history_``."""

    iteration: int
    """0 for the initial parameters, t after the t-th M-step."""
    params: MixtureParams
    """The parameters at this iteration."""
    log_likelihood: float
    """``log p(X)`` under ``params`` (a total over samples)."""
    responsibilities: np.ndarray | None
    """The E-step's ``resp`` under ``params``, if ``record_responsibilities``."""


class GaussianMixture:
    """A Gaussian mixture model fitted by expectation-maximisation.

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
        Added to the diagonal of every covariance so that no component collapses.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the run with the highest lower bound is kept.
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        How initial responsibilities are made: from k-means labels; from the nearest of
        k-means++ centres; at random; or from the nearest of ``K`` random samples. The
        first M-step turns them into initial parameters. (scikit-learn's "k-means++" and
        "random_from_data" put all of a component's responsibility on its one seed sample;
        here every sample goes to its nearest seed, which avoids starting with covariances
        equal to ``reg_covar``.)
    weights_init, means_init, precisions_init : array_like, optional
        Initial parameters; any that is given replaces the initialised one.
    random_state : None, int or numpy.random.Generator
        Seed for the initialisation and for :meth:`sample`.
    warm_start : bool, default=False
        If True, a second ``fit`` starts from the fitted parameters (and ``n_init`` is 1).
    verbose : int, default=0
        Ignored; kept for scikit-learn compatibility.
    record_history : bool, default=False
        Keep ``history_``, a list of :class:`EMRecord` (parameters and log-likelihood at
        every iteration of the kept run), for chapters and labs to replay.
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
    """

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
        self.record_history = record_history
        self.record_responsibilities = record_responsibilities

    def __repr__(self) -> str:
        defaults = GaussianMixture()
        changed = [
            f"{name}={value!r}"
            for name, value in vars(self).items()
            if not name.endswith("_")
            and not isinstance(value, np.ndarray)
            and getattr(defaults, name) is not value
            and getattr(defaults, name) != value
        ]
        return f"GaussianMixture({', '.join(changed)})"

    # ------------------------------------------------------------------ checks
    def _check_parameters(self, X: np.ndarray) -> None:
        k = check_positive_int(self.n_components, "n_components")
        check_covariance_type(self.covariance_type)
        check_nonnegative_float(self.tol, "tol")
        check_nonnegative_float(self.reg_covar, "reg_covar")
        check_positive_int(self.max_iter, "max_iter", minimum=0)
        check_positive_int(self.n_init, "n_init")
        if self.init_params not in INIT_PARAMS:
            raise ValueError(
                f"init_params={self.init_params!r} is not supported; choose one of "
                f"{', '.join(repr(p) for p in INIT_PARAMS)}."
            )
        check_n_samples(X.shape[0], k)
        d = X.shape[1]
        if self.weights_init is not None:
            check_weights(self.weights_init, k, name="weights_init")
        if self.means_init is not None:
            check_means(self.means_init, k, d, name="means_init")
        if self.precisions_init is not None:
            check_matrix_array(
                self.precisions_init, self.covariance_type, k, d, name="precisions_init"
            )

    # ---------------------------------------------------------- initialisation
    def _initial_resp(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n_samples, k = X.shape[0], self.n_components
        if self.init_params == "random":
            resp = rng.uniform(size=(n_samples, k))
            return resp / resp.sum(axis=1, keepdims=True)
        if self.init_params == "kmeans":
            labels = KMeans(k, n_init=1, random_state=rng).fit(X).labels_
        else:
            if self.init_params == "k-means++":
                seeds = kmeans_plusplus(X, k, rng)[0]
            else:  # random_from_data
                seeds = X[rng.choice(n_samples, size=k, replace=False)]
            labels = squared_distances(X, seeds).argmin(axis=1)
        resp = np.zeros((n_samples, k))
        resp[np.arange(n_samples), labels] = 1.0
        return resp

    def _initial_params(self, X: np.ndarray, rng: np.random.Generator) -> MixtureParams:
        given = (self.weights_init, self.means_init, self.precisions_init)
        if any(value is None for value in given):
            start = m_step(X, self._initial_resp(X, rng), self.covariance_type, self.reg_covar)
            weights, means = start.weights, start.means
        weights = weights if self.weights_init is None else self.weights_init
        means = means if self.means_init is None else self.means_init
        if self.precisions_init is None:
            return MixtureParams(weights, means, start.covariances, self.covariance_type)
        return MixtureParams.from_precisions(
            weights, means, self.precisions_init, self.covariance_type
        )

    # --------------------------------------------------------------- fitting
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
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most probable component of each sample.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        X = check_data(X)
        self._check_parameters(X)
        continuing = self.warm_start and hasattr(self, "params_")
        if continuing and self.params_.n_features != X.shape[1]:
            raise ValueError(
                f"warm_start: X has {X.shape[1]} features, the fitted model has "
                f"{self.params_.n_features}."
            )
        rng = check_random_state(self.random_state)
        n_init = 1 if continuing else self.n_init
        best = None
        for _ in range(n_init):
            start = self.params_ if continuing else self._initial_params(X, rng)
            run = self._run_em(X, start, self.lower_bound_ if continuing else -np.inf)
            if best is None or run[1] > best[1]:
                best = run
        params, lower_bound, lower_bounds, n_iter, converged, history = best
        if not converged and self.max_iter > 0:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations (best of "
                f"n_init={n_init}); increase max_iter or tol, or check the initialisation.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._set_params(params)
        self.lower_bound_ = lower_bound
        self.lower_bounds_ = lower_bounds
        self.n_iter_ = n_iter
        self.converged_ = converged
        self.n_features_in_ = X.shape[1]
        if self.record_history:
            self.history_ = history
        elif hasattr(self, "history_"):
            del self.history_
        return self.predict(X)

    def _run_em(self, X, params, lower_bound):
        n_samples = X.shape[0]
        history, lower_bounds = [], []
        keep_resp = self.record_history and self.record_responsibilities
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            previous = lower_bound
            step = _em_iteration(X, params, self.reg_covar, keep_resp)
            if self.record_history:
                history.append(EMRecord(n_iter - 1, params, step.log_likelihood, step.resp))
            params = step.params
            lower_bound = step.log_likelihood / n_samples
            lower_bounds.append(lower_bound)
            if abs(lower_bound - previous) < self.tol:
                converged = True
                break
        if self.record_history:
            log_resp, log_prob = _log_responsibilities(X, params)
            resp = np.exp(log_resp) if keep_resp else None
            history.append(EMRecord(n_iter, params, float(log_prob.sum()), resp))
        if self.max_iter == 0:
            lower_bound = float(_log_responsibilities(X, params)[1].mean())
        return params, lower_bound, lower_bounds, n_iter, converged, history

    def _set_params(self, params: MixtureParams) -> None:
        self.params_ = params
        self.weights_ = np.array(params.weights)
        self.means_ = np.array(params.means)
        self.covariances_ = np.array(params.covariances)
        self.precisions_cholesky_ = np.array(params.precisions_cholesky)
        self.precisions_ = params.precisions

    # ------------------------------------------------------------- inference
    def _fitted_data(self, X) -> np.ndarray:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                "This GaussianMixture is not fitted yet; call fit(X) before using it."
            )
        return check_data(X, n_features=self.params_.n_features)

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities ``gamma_ik``: the posterior probability of each component.

        Returns
        -------
        numpy.ndarray of shape (N, K)
        """
        return np.exp(_log_responsibilities(self._fitted_data(X), self.params_)[0])

    def predict(self, X) -> np.ndarray:
        """The most probable component of each sample."""
        return _log_responsibilities(self._fitted_data(X), self.params_)[0].argmax(axis=1)

    def score_samples(self, X) -> np.ndarray:
        """``log p(x_i)`` of each sample under the fitted mixture.

        Returns
        -------
        numpy.ndarray of shape (N,)
        """
        return logsumexp_rows(_log_weighted_prob(self._fitted_data(X), self.params_))

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per sample."""
        return float(self.score_samples(X).mean())

    def bic(self, X) -> float:
        """Bayesian information criterion ``-2 log p(X) + p log N``; lower is better."""
        return bic(self._fitted_data(X), self.params_)

    def aic(self, X) -> float:
        """Akaike information criterion ``-2 log p(X) + 2 p``; lower is better."""
        return aic(self._fitted_data(X), self.params_)

    def sample(self, n_samples: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Draw samples from the fitted mixture.

        Returns
        -------
        X : numpy.ndarray of shape (n_samples, d)
        z : numpy.ndarray of shape (n_samples,)
            The component each sample came from.
        """
        if not hasattr(self, "params_"):
            raise NotFittedError("This GaussianMixture is not fitted yet; call fit(X) first.")
        n_samples = check_positive_int(n_samples, "n_samples")
        return sample_mixture(self.params_, n_samples, random_state=self.random_state)
