"""EM beyond Gaussians: a mixture of multivariate Bernoulli distributions.

The same E-step / M-step recipe as for the Gaussian mixture, for binary vectors
``x_i`` in ``{0, 1}^D`` (a binarised image, ten coin tosses, ...). Component ``k`` has a
weight ``pi_k`` and a vector of probabilities ``theta_k`` with ``theta_kj = p(x_ij = 1 | z_i = k)``;
the pixels (tosses) are independent given the component:

    log p(x_i | z_i = k) = sum_j [ x_ij log theta_kj + (1 - x_ij) log(1 - theta_kj) ].

Everything is computed in log space: with D = 64 pixels the product of the pixel
probabilities underflows long before a Gaussian's density would. Chapter 9 uses these
functions; their names follow the Gaussian ones (:func:`emlib.e_step`, :func:`emlib.m_step`).

Reference: C. M. Bishop (2006), *Pattern Recognition and Machine Learning*, §9.3.3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._validation import (
    check_data,
    check_n_samples,
    check_nonnegative_float,
    check_positive_int,
    check_random_state,
    check_responsibilities,
    check_weights,
)
from .em import logsumexp_rows

__all__ = [
    "BernoulliEMResult",
    "BernoulliMixtureParams",
    "bernoulli_e_step",
    "bernoulli_em",
    "bernoulli_log_joint",
    "bernoulli_log_likelihood",
    "bernoulli_m_step",
    "check_binary_data",
]


def check_binary_data(X, *, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a float64 (N, D) array whose entries lie in ``[0, 1]``.

    Entries are normally 0 or 1; a value in between counts as a fraction of a success
    (an expected count), which the formulas accept unchanged.

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D array, or has entries outside ``[0, 1]``.
    """
    arr = check_data(X, name=name, n_features=n_features)
    outside = (arr < 0) | (arr > 1)
    if outside.any():
        row, col = np.argwhere(outside)[0]
        raise ValueError(
            f"{name} must hold binary values (0 or 1); {name}[{row}, {col}] = {arr[row, col]:g}. "
            f"Binarise the data first, for example {name} = ({name} > threshold).astype(float)."
        )
    return arr


@dataclass(frozen=True)
class BernoulliMixtureParams:
    """The parameters of a mixture of multivariate Bernoulli distributions.

    Parameters
    ----------
    weights : array_like of shape (K,)
        Mixing weights ``pi_k``; non-negative, summing to 1.
    probs : array_like of shape (K, D)
        ``theta_kj = p(x_j = 1 | component k)``, each in ``[0, 1]``.

    Raises
    ------
    ValueError
        If a shape is wrong, the weights do not sum to 1 or a probability is outside [0, 1].
    """

    weights: np.ndarray
    probs: np.ndarray
    log_probs: np.ndarray = field(init=False, repr=False)
    log_complements: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            probs = np.array(self.probs, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("probs must be a numeric array of shape (K, D).") from None
        if probs.ndim != 2 or probs.size == 0:
            raise ValueError(
                f"probs must have shape (n_components, n_features); got shape {probs.shape}."
            )
        if not np.isfinite(probs).all() or (probs < 0).any() or (probs > 1).any():
            raise ValueError(
                "probs are probabilities: every entry must lie in [0, 1]; got values from "
                f"{np.nanmin(probs):g} to {np.nanmax(probs):g}."
            )
        weights = check_weights(self.weights, probs.shape[0])
        with np.errstate(divide="ignore"):  # theta = 0 or 1 gives log 0 = -inf, by design
            log_probs = np.log(probs)
            log_complements = np.log1p(-probs)
        for name, value in (
            ("weights", weights),
            ("probs", probs),
            ("log_probs", log_probs),
            ("log_complements", log_complements),
        ):
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def n_components(self) -> int:
        """The number of components ``K``."""
        return self.probs.shape[0]

    @property
    def n_features(self) -> int:
        """The number of binary features ``D``."""
        return self.probs.shape[1]


def _check_params(params) -> BernoulliMixtureParams:
    if not isinstance(params, BernoulliMixtureParams):
        raise TypeError(
            "params must be an emlib.BernoulliMixtureParams(weights, probs); "
            f"got {type(params).__name__}."
        )
    return params


def _log_joint(X: np.ndarray, params: BernoulliMixtureParams) -> np.ndarray:
    with np.errstate(divide="ignore"):
        log_weights = np.log(params.weights)
    log_probs, log_complements = params.log_probs, params.log_complements
    if np.isfinite(log_probs).all() and np.isfinite(log_complements).all():
        return X @ log_probs.T + (1.0 - X) @ log_complements.T + log_weights
    # A probability of exactly 0 or 1: x log theta + (1 - x) log(1 - theta) with 0 log 0 = 0
    # (a pixel never on in component k costs nothing where it is off), and -inf where the
    # sample contradicts it.
    joint = (
        X @ np.where(np.isneginf(log_probs), 0.0, log_probs).T
        + (1.0 - X) @ np.where(np.isneginf(log_complements), 0.0, log_complements).T
        + log_weights
    )
    impossible = (X > 0).astype(float) @ np.isneginf(log_probs).T.astype(float) > 0
    impossible |= (X < 1).astype(float) @ np.isneginf(log_complements).T.astype(float) > 0
    joint[impossible] = -np.inf
    return joint


def bernoulli_log_joint(X, params: BernoulliMixtureParams) -> np.ndarray:
    """The log joint ``a_ik = log pi_k + log p(x_i | theta_k)`` for every sample and component.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Binary data.
    params : BernoulliMixtureParams
        The current parameters.

    Returns
    -------
    numpy.ndarray of shape (N, K)
        ``-inf`` where ``x_i`` is impossible under component ``k`` (a probability of exactly
        0 or 1 contradicted by the data) or where ``pi_k = 0``.
    """
    params = _check_params(params)
    return _log_joint(check_binary_data(X, n_features=params.n_features), params)


def _e_step(X: np.ndarray, params: BernoulliMixtureParams) -> tuple[np.ndarray, float]:
    joint = _log_joint(X, params)
    impossible = np.isneginf(joint).all(axis=1)
    if impossible.any():
        row = int(np.flatnonzero(impossible)[0])
        raise ValueError(
            f"sample {row} has probability 0 under every component (some probability theta "
            "is exactly 0 or 1 and the sample contradicts it). Fit with a pseudocount > 0 so "
            "that no probability reaches 0 or 1."
        )
    log_norm = logsumexp_rows(joint)
    return np.exp(joint - log_norm[:, None]), float(log_norm.sum())


def bernoulli_e_step(X, params: BernoulliMixtureParams) -> tuple[np.ndarray, float]:
    """The E-step: responsibilities ``gamma_ik = p(z_i = k | x_i)`` by Bayes' rule, in log space.

    ``gamma_ik = exp(a_ik - logsumexp_j a_ij)`` with ``a_ik`` from :func:`bernoulli_log_joint`.

    Returns
    -------
    resp : numpy.ndarray of shape (N, K)
        Responsibilities; each row sums to 1.
    log_likelihood : float
        ``log p(X) = sum_i log sum_k pi_k p(x_i | theta_k)`` (a total over samples).

    Raises
    ------
    ValueError
        If a sample is impossible under every component.
    """
    params = _check_params(params)
    return _e_step(check_binary_data(X, n_features=params.n_features), params)


def bernoulli_log_likelihood(X, params: BernoulliMixtureParams) -> float:
    """``log p(X)``, the total over samples (see :func:`bernoulli_e_step`)."""
    return bernoulli_e_step(X, params)[1]


def _m_step(X: np.ndarray, resp: np.ndarray, pseudocount: float) -> BernoulliMixtureParams:
    counts = resp.sum(axis=0)  # N_k
    if (counts <= 0).any():
        empty = int(np.flatnonzero(counts <= 0)[0])
        raise ValueError(
            f"component {empty} has no responsibility (N_k = 0): its probabilities are "
            "undefined. Use fewer components or another start."
        )
    ones = resp.T @ X  # sum_i gamma_ik x_ij
    probs = (ones + pseudocount) / (counts[:, None] + 2.0 * pseudocount)
    return BernoulliMixtureParams(weights=counts / counts.sum(), probs=np.clip(probs, 0.0, 1.0))


def bernoulli_m_step(X, resp, pseudocount: float = 0.0) -> BernoulliMixtureParams:
    """The M-step: weighted frequencies.

    ``pi_k = N_k / N`` and ``theta_kj = (sum_i gamma_ik x_ij + a) / (N_k + 2a)``, with
    ``N_k = sum_i gamma_ik`` and the pseudocount ``a``. With ``a = 0`` this is the
    maximum-likelihood update; ``a > 0`` adds ``a`` imagined ones and ``a`` imagined zeros to
    every pixel of every component (the mode of a Beta(1 + a, 1 + a) prior), which keeps
    every ``theta_kj`` strictly between 0 and 1, as ``reg_covar`` keeps a Gaussian's
    covariance away from singular.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Binary data.
    resp : array_like of shape (N, K)
        Responsibilities; rows sum to 1.
    pseudocount : float, default=0.0
        ``a >= 0``.

    Returns
    -------
    BernoulliMixtureParams
    """
    X = check_binary_data(X)
    resp = check_responsibilities(resp, X.shape[0])
    return _m_step(X, resp, check_nonnegative_float(pseudocount, "pseudocount"))


class BernoulliEMResult(NamedTuple):
    """Result of :func:`bernoulli_em`."""

    params: BernoulliMixtureParams
    """The fitted parameters."""
    resp: np.ndarray
    """Responsibilities under ``params`` (from a final E-step)."""
    log_likelihoods: np.ndarray
    """``log p(X)`` before each M-step, then under the final ``params``: non-decreasing
    when ``pseudocount = 0``."""
    n_iter: int
    """The number of M-steps."""
    converged: bool
    """Whether ``log p(X)`` changed by less than ``tol`` per sample before ``max_iter``."""


def bernoulli_em(
    X,
    n_components: int,
    *,
    pseudocount: float = 0.0,
    max_iter: int = 200,
    tol: float = 1e-6,
    init_params: BernoulliMixtureParams | None = None,
    random_state=None,
) -> BernoulliEMResult:
    """Fit a Bernoulli mixture by EM: :func:`bernoulli_e_step` and :func:`bernoulli_m_step`.

    Parameters
    ----------
    X : array_like of shape (N, D)
        Binary data.
    n_components : int
        ``K``.
    pseudocount : float, default=0.0
        See :func:`bernoulli_m_step`. Use a small positive value (e.g. 0.01) for images,
        where a pixel may be off in every training image of a component.
    max_iter : int, default=200
        Maximum number of EM iterations.
    tol : float, default=1e-6
        Stop when the mean log-likelihood per sample improves by less than ``tol``.
    init_params : BernoulliMixtureParams, optional
        The starting point. By default the M-step of random responsibilities (each row drawn
        from a flat Dirichlet distribution), seeded by ``random_state``.
    random_state : None, int or numpy.random.Generator
        Seeds the default start.

    Returns
    -------
    BernoulliEMResult
    """
    X = check_binary_data(X)
    n_components = check_positive_int(n_components, "n_components")
    check_n_samples(X.shape[0], n_components)
    pseudocount = check_nonnegative_float(pseudocount, "pseudocount")
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative_float(tol, "tol")
    if init_params is None:
        rng = check_random_state(random_state)
        params = _m_step(X, rng.dirichlet(np.ones(n_components), size=X.shape[0]), pseudocount)
    else:
        params = _check_params(init_params)
        if params.n_components != n_components or params.n_features != X.shape[1]:
            raise ValueError(
                f"init_params has {params.n_components} components and {params.n_features} "
                f"features; expected {n_components} and {X.shape[1]}."
            )
    history = []
    converged = False
    resp, current = _e_step(X, params)
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
        history.append(current)
        params = _m_step(X, resp, pseudocount)
        resp, current = _e_step(X, params)
        if abs(current - history[-1]) < tol * X.shape[0]:
            converged = True
            break
    history.append(current)
    return BernoulliEMResult(params, resp, np.array(history), n_iter, converged)
