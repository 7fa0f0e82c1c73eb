"""The EM loop and its initialisation: what :class:`emlib.GaussianMixture` runs.

These functions trust their input: the estimator validates ``X`` and its parameters once,
at its boundary, and then calls them. They are built from the same E-step and M-step code
that the chapters call one step at a time (:mod:`emlib.core.em`), streamed over chunks of
samples so that no ``(N, K)`` array is made (unless responsibilities are recorded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ._validation import CovarianceError
from .em import (
    MixtureParams,
    _chunk_rows,
    _chunks,
    _em_iteration,
    _log_responsibilities,
    _m_step,
    _score_samples,
)
from .kmeans import _lloyd, _nearest, kmeans_plusplus


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


class EMRun(NamedTuple):
    """The outcome of one EM run (one initialisation) of :func:`run_em`."""

    params: MixtureParams
    """The parameters after the last M-step."""
    lower_bound: float
    """Mean log-likelihood per sample, from the last iteration's E-step."""
    lower_bounds: list[float]
    """``lower_bound`` after each iteration."""
    n_iter: int
    """Iterations run."""
    converged: bool
    """Whether the lower bound changed by less than ``tol`` before ``max_iter``."""
    history: list[EMRecord]
    """Parameters at every iteration (empty unless ``record_history``)."""
    collapse: str | None = None
    """If EM stopped because an M-step made a singular covariance: the
    :class:`emlib.CovarianceError` message of that iteration (``params`` are then those
    before it)."""


def run_em(
    X: np.ndarray,
    params: MixtureParams,
    *,
    reg_covar: float,
    tol: float,
    max_iter: int,
    lower_bound: float = -np.inf,
    record_history: bool = False,
    record_responsibilities: bool = False,
    on_iteration: Callable[[int, float, float], None] | None = None,
) -> EMRun:
    """Run EM from ``params`` until the lower bound changes by less than ``tol``.

    Parameters
    ----------
    X : numpy.ndarray of shape (N, d)
        Validated float64 data (not checked again).
    params : MixtureParams
        The starting parameters.
    reg_covar, tol, max_iter
        As in :class:`emlib.GaussianMixture`.
    lower_bound : float, default=-inf
        The lower bound before the first iteration (a warm start passes the last one).
    record_history, record_responsibilities : bool
        Keep an :class:`EMRecord` per iteration (with responsibilities).
    on_iteration : callable, optional
        Called as ``on_iteration(n_iter, lower_bound, change)`` after every iteration.

    Returns
    -------
    EMRun
        If the M-step of iteration ``t`` makes a covariance singular (a component collapsed
        and ``reg_covar`` is too small to hold it), EM stops there: ``params`` are those of
        iteration ``t - 1``, ``lower_bound`` is their mean log-likelihood (from the E-step
        of iteration ``t``, which did run; ``n_iter`` is ``t``), and ``collapse`` holds the
        error message.
    """
    n_samples = X.shape[0]
    collapse = None
    history: list[EMRecord] = []
    lower_bounds: list[float] = []
    keep_resp = record_history and record_responsibilities
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        previous = lower_bound
        try:
            step = _em_iteration(X, params, reg_covar, keep_resp)
        except CovarianceError as error:
            collapse = str(error)
            lower_bound = float(_score_samples(X, params).mean())
            lower_bounds.append(lower_bound)
            if on_iteration is not None:
                on_iteration(n_iter, lower_bound, lower_bound - previous)
            break
        if record_history:
            history.append(EMRecord(n_iter - 1, params, step.log_likelihood, step.resp))
        params = step.params
        lower_bound = step.log_likelihood / n_samples
        lower_bounds.append(lower_bound)
        change = lower_bound - previous
        if on_iteration is not None:
            on_iteration(n_iter, lower_bound, change)
        if abs(change) < tol:
            converged = True
            break
    if record_history:
        last = n_iter - 1 if collapse else n_iter  # the iteration ``params`` come from
        if keep_resp:
            log_resp, log_prob = _log_responsibilities(X, params)
            history.append(EMRecord(last, params, float(log_prob.sum()), np.exp(log_resp)))
        else:
            history.append(EMRecord(last, params, float(_score_samples(X, params).sum()), None))
    if max_iter == 0:
        lower_bound = float(_score_samples(X, params).mean())
    return EMRun(params, lower_bound, lower_bounds, n_iter, converged, history, collapse)


def _one_hot_blocks(labels: np.ndarray, n_components: int):
    def block(part: slice) -> np.ndarray:
        rows = labels[part]
        out = np.zeros((rows.shape[0], n_components))
        out[np.arange(rows.shape[0]), rows] = 1.0
        return out

    return block


def _random_blocks(n_samples: int, n_components: int, rng: np.random.Generator):
    # Uniform responsibilities, drawn row block by row block and drawn again for the M-step's
    # second pass from a copy of the generator's state: the same numbers as one (N, K) draw,
    # without ever holding them all. ``rng`` is advanced as that one draw would advance it.
    state = rng.bit_generator.state
    replay = np.random.Generator(type(rng.bit_generator)())
    for part in _chunks(n_samples, _chunk_rows(n_samples, n_components)):
        rng.uniform(size=(part.stop - part.start, n_components))

    def block(part: slice) -> np.ndarray:
        if part.start == 0:
            replay.bit_generator.state = state
        draw = replay.uniform(size=(part.stop - part.start, n_components))
        return draw / draw.sum(axis=1, keepdims=True)

    return block


def initial_params(
    X: np.ndarray,
    n_components: int,
    covariance_type: str,
    reg_covar: float,
    init_params: str,
    rng: np.random.Generator,
    weights_init: np.ndarray | None = None,
    means_init: np.ndarray | None = None,
    precisions_init: np.ndarray | None = None,
) -> MixtureParams:
    """Initial parameters: an M-step on initial responsibilities, then the given values.

    ``init_params`` chooses the responsibilities: ``"kmeans"`` (k-means labels),
    ``"k-means++"`` or ``"random_from_data"`` (each sample to its nearest of ``K`` seeds:
    k-means++ seeds or random samples), ``"random"`` (uniform random, normalised). Any of
    ``weights_init``, ``means_init``, ``precisions_init`` (already validated) replaces the
    initialised value; when all three are given no M-step is run.

    Returns
    -------
    MixtureParams
    """
    given = (weights_init, means_init, precisions_init)
    weights = means = covariances = None
    if any(value is None for value in given):
        n_samples = X.shape[0]
        if init_params == "random":
            resp_of = _random_blocks(n_samples, n_components, rng)
        else:
            if init_params == "kmeans":
                labels = _lloyd(X, n_components, "k-means++", 1, 300, 1e-4, rng).labels
            else:
                if init_params == "k-means++":
                    seeds = kmeans_plusplus(X, n_components, rng)[0]
                else:  # random_from_data
                    seeds = X[rng.choice(n_samples, size=n_components, replace=False)]
                labels = _nearest(X, seeds)[0]
            resp_of = _one_hot_blocks(labels, n_components)
        start = _m_step(X, resp_of, n_components, covariance_type, reg_covar)
        weights, means, covariances = start.weights, start.means, start.covariances
    weights = weights if weights_init is None else weights_init
    means = means if means_init is None else means_init
    if precisions_init is None:
        return MixtureParams._trusted(weights, means, covariances, covariance_type)
    return MixtureParams.from_precisions(weights, means, precisions_init, covariance_type)
