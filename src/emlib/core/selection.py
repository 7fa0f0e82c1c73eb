"""Choosing the number of components with BIC and AIC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ._validation import check_data, check_positive_int
from .em import MixtureParams, log_likelihood
from .gaussian import n_parameters


def bic(X, params: MixtureParams) -> float:
    """Bayesian information criterion ``-2 log p(X) + p log N`` (lower is better).

    ``p`` is :func:`emlib.n_parameters` for the parameters' covariance type.
    """
    X = check_data(X)
    p = n_parameters(params.n_components, params.n_features, params.covariance_type)
    return -2.0 * log_likelihood(X, params) + p * np.log(X.shape[0])


def aic(X, params: MixtureParams) -> float:
    """Akaike information criterion ``-2 log p(X) + 2 p`` (lower is better)."""
    X = check_data(X)
    p = n_parameters(params.n_components, params.n_features, params.covariance_type)
    return -2.0 * log_likelihood(X, params) + 2.0 * p


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
    from .mixture import GaussianMixture  # mixture.py imports bic and aic from here

    X = check_data(X)
    ks = np.array([check_positive_int(k, "n_components") for k in n_components])
    if ks.size == 0:
        raise ValueError("n_components is empty; give at least one candidate, e.g. range(1, 7).")
    models = [
        GaussianMixture(
            int(k),
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
