"""BIC and AIC: scores for choosing the number of components (lower is better)."""

from __future__ import annotations

import numpy as np

from ._validation import check_data
from .em import MixtureParams, _check_params, _score_samples
from .gaussian import n_parameters


def bic(X, params: MixtureParams) -> float:
    """Bayesian information criterion ``-2 log p(X) + p log N`` (lower is better).

    ``p`` is :func:`emlib.n_parameters` for the parameters' covariance type.
    """
    params = _check_params(params)
    return _bic(check_data(X, n_features=params.n_features), params)


def aic(X, params: MixtureParams) -> float:
    """Akaike information criterion ``-2 log p(X) + 2 p`` (lower is better)."""
    params = _check_params(params)
    return _aic(check_data(X, n_features=params.n_features), params)


def _n_free(params: MixtureParams) -> int:
    return n_parameters(params.n_components, params.n_features, params.covariance_type)


def _bic(X: np.ndarray, params: MixtureParams) -> float:
    """:func:`bic` on validated data."""
    return -2.0 * float(_score_samples(X, params).sum()) + _n_free(params) * np.log(X.shape[0])


def _aic(X: np.ndarray, params: MixtureParams) -> float:
    """:func:`aic` on validated data."""
    return -2.0 * float(_score_samples(X, params).sum()) + 2.0 * _n_free(params)
