"""k-means, and k-means as a special case of EM.

:func:`_lloyd` is Lloyd's algorithm written directly in terms of distances (the maths of
:class:`emlib.KMeans`, which adds scikit-learn's estimator interface). The functions
:func:`hard_e_step` and :func:`fixed_variance_em` reach the same algorithm from the other
side: EM with equal weights and a fixed, shared spherical covariance ``sigma^2 I``, whose
responsibilities are either made hard (``hard=True``: exactly Lloyd's algorithm) or left
soft (they harden as ``sigma^2 -> 0``). Chapter 6 compares the two numerically.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import (
    check_data,
    check_means,
    check_n_samples,
    check_nonnegative_float,
    check_positive_int,
    check_random_state,
)
from .em import MixtureParams, _chunk_rows, _chunks, _row_argmax, log_responsibilities, m_step


def squared_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x_i - c_k||^2`` for every sample and centre, from differences (no cancellation).

    Returns
    -------
    numpy.ndarray of shape (N, K)
    """
    out = np.empty((X.shape[0], centers.shape[0]))
    rows = _chunk_rows(X.shape[0], X.shape[1] * centers.shape[0])
    for part in _chunks(X.shape[0], rows):
        diff = X[part, None, :] - centers[None]
        out[part] = np.einsum("ikj,ikj->ik", diff, diff)
    return out


def kmeans_plusplus(
    X, n_clusters: int, random_state=None, n_local_trials: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Choose initial centres by greedy k-means++.

    The first centre is a random sample. Each next centre is chosen among
    ``n_local_trials`` candidates, each drawn with probability proportional to its squared
    distance to the nearest centre chosen so far: the candidate that lowers the total
    squared distance most wins (Arthur and Vassilvitskii, 2007, "k-means++: the advantages
    of careful seeding"; the greedy variant with ``2 + log K`` trials is the one
    scikit-learn uses).

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    n_clusters : int
        Number of centres ``K``.
    random_state : None, int or numpy.random.Generator
        Seed or generator.
    n_local_trials : int, optional
        Candidates per centre; default ``2 + int(log K)``; 1 gives plain k-means++.

    Returns
    -------
    centers : numpy.ndarray of shape (K, d)
    indices : numpy.ndarray of shape (K,)
        The rows of ``X`` that were chosen.
    """
    X = check_data(X)
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    check_n_samples(X.shape[0], n_clusters)
    rng = check_random_state(random_state)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    n_local_trials = check_positive_int(n_local_trials, "n_local_trials")
    n_samples = X.shape[0]
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    closest = squared_distances(X, X[indices[:1]])[:, 0]
    for k in range(1, n_clusters):
        total = closest.sum()
        if total > 0:
            candidates = rng.choice(n_samples, size=n_local_trials, p=closest / total)
        else:  # every sample already coincides with a centre
            candidates = rng.integers(n_samples, size=n_local_trials)
        # One candidate at a time (vectors of N, no N x n_local_trials array); each total is
        # summed sequentially, as a column sum of that array would be.
        best_total = np.inf
        for candidate in candidates:
            trial = np.minimum(closest, squared_distances(X, X[candidate : candidate + 1])[:, 0])
            total = np.cumsum(trial)[-1]
            if total < best_total:
                best_total, best, best_trial = total, candidate, trial
        indices[k] = best
        closest = best_trial
    return X[indices].copy(), indices


def _lloyd_update(X: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Mean of each cluster; an empty cluster keeps its centre."""
    n_clusters = centers.shape[0]
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    sums = np.zeros_like(centers)
    np.add.at(sums, labels, X)
    new = centers.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    return new


def _nearest(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre and the squared distance to it, for every sample.

    Streamed over chunks of samples: no ``(N, K)`` array is made.
    """
    n_samples = X.shape[0]
    labels = np.empty(n_samples, dtype=np.intp)
    closest = np.empty(n_samples)
    rows = _chunk_rows(n_samples, X.shape[1] * centers.shape[0])
    for part in _chunks(n_samples, rows):
        diff = X[part, None, :] - centers[None]
        dist = np.einsum("ikj,ikj->ik", diff, diff)
        labels[part] = _row_argmax(-dist)
        closest[part] = dist[np.arange(dist.shape[0]), labels[part]]
    return labels, closest


class KMeansRun(NamedTuple):
    """The best run of :func:`_lloyd`."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def _lloyd(
    X: np.ndarray,
    n_clusters: int,
    init,
    n_init: int,
    max_iter: int,
    tol: float,
    rng: np.random.Generator,
) -> KMeansRun:
    """Lloyd's algorithm on validated data; the run with the lowest inertia of ``n_init``.

    ``init`` is ``"k-means++"``, ``"random"`` or a validated ``(K, d)`` array of centres
    (then one run). A run stops when no label changes, or when the centres move by less
    than ``tol`` times the mean variance of the features (sum of squared moves). An empty
    cluster keeps its centre.
    """
    if not isinstance(init, str):
        n_init = 1
    threshold = tol * float(np.var(X, axis=0).mean())
    best = None
    for _ in range(n_init):
        if isinstance(init, str) and init == "k-means++":
            centers = kmeans_plusplus(X, n_clusters, rng)[0]
        elif isinstance(init, str):  # random
            centers = X[rng.choice(X.shape[0], n_clusters, replace=False)].copy()
        else:
            centers = np.array(init, dtype=np.float64)
        labels = np.full(X.shape[0], -1)
        n_iter = 0
        for n_iter in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
            new_labels = _nearest(X, centers)[0]
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            new_centers = _lloyd_update(X, labels, centers)
            shift = float(((new_centers - centers) ** 2).sum())
            centers = new_centers
            if shift <= threshold:
                break
        labels, closest = _nearest(X, centers)
        inertia = float(closest.sum())
        if best is None or inertia < best.inertia:
            best = KMeansRun(centers, labels, inertia, n_iter)
    return best


def _fixed_variance_params(means: np.ndarray, variance: float) -> MixtureParams:
    n_components = means.shape[0]
    return MixtureParams(
        np.full(n_components, 1.0 / n_components),
        means,
        np.full(n_components, variance),
        "spherical",
    )


def hard_e_step(X, means, variance: float = 1.0) -> np.ndarray:
    """A hard E-step: each sample takes responsibility 1 for its most probable component.

    The model has equal weights and the same spherical covariance ``variance * I`` for
    every component, so the most probable component is the nearest mean, as in k-means.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    means : array_like of shape (K, d)
        Component means.
    variance : float, default=1.0
        The shared variance ``sigma^2`` (any positive value gives the same hard answer).

    Returns
    -------
    numpy.ndarray of shape (N, K)
        One-hot responsibilities.
    """
    X = check_data(X)
    means = np.asarray(means, dtype=np.float64)
    params = _fixed_variance_params(means, _check_variance(variance))
    log_resp, _ = log_responsibilities(X, params)
    resp = np.zeros_like(log_resp)
    resp[np.arange(X.shape[0]), log_resp.argmax(axis=1)] = 1.0
    return resp


def _check_variance(variance) -> float:
    variance = check_nonnegative_float(variance, "variance")
    if variance == 0:
        raise ValueError(
            "variance must be > 0; to get k-means use hard=True with any positive variance."
        )
    return variance


class FixedVarianceEMResult(NamedTuple):
    """Result of :func:`fixed_variance_em`."""

    means: np.ndarray
    resp: np.ndarray
    n_iter: int
    converged: bool


def fixed_variance_em(
    X,
    means_init,
    variance: float,
    *,
    hard: bool = False,
    max_iter: int = 300,
    tol: float = 1e-10,
) -> FixedVarianceEMResult:
    """EM for a mixture with equal weights and a fixed shared covariance ``variance * I``.

    Only the means are learned. The E-step is :func:`emlib.e_step` (soft) or
    :func:`hard_e_step` (``hard=True``); the M-step takes the means of
    :func:`emlib.m_step`. With ``hard=True`` this is exactly Lloyd's k-means; with
    ``hard=False`` the responsibilities approach k-means' hard ones as ``variance -> 0``.
    A component that receives no responsibility keeps its mean (as :class:`KMeans` keeps
    the centre of an empty cluster).

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    means_init : array_like of shape (K, d)
        Initial means.
    variance : float
        The fixed variance ``sigma^2 > 0``.
    hard : bool, default=False
        Use hard (one-hot) responsibilities.
    max_iter : int, default=300
        Maximum number of iterations.
    tol : float, default=1e-10
        Stop when the squared movement of the means is below ``tol``, or when hard
        assignments stop changing.

    Returns
    -------
    FixedVarianceEMResult
        ``(means, resp, n_iter, converged)``, ``resp`` from the final E-step.
    """
    X = check_data(X)
    means = np.asarray(means_init, dtype=np.float64)
    if means.ndim != 2:
        raise ValueError(f"means_init must have shape (K, d); got {means.shape}.")
    means = check_means(means, means.shape[0], X.shape[1], name="means_init")
    variance = _check_variance(variance)
    max_iter = check_positive_int(max_iter, "max_iter")
    tol = check_nonnegative_float(tol, "tol")

    def responsibilities(current):
        if hard:
            return hard_e_step(X, current, variance)
        return np.exp(log_responsibilities(X, _fixed_variance_params(current, variance))[0])

    resp = responsibilities(means)
    converged = False
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (read after the loop)
        new_means = m_step(X, resp, "spherical").means.copy()
        empty = resp.sum(axis=0) == 0
        new_means[empty] = means[empty]
        moved = float(((new_means - means) ** 2).sum())
        means = new_means
        new_resp = responsibilities(means)
        unchanged = hard and np.array_equal(new_resp, resp)
        resp = new_resp
        if moved <= tol or unchanged:
            converged = True
            break
    return FixedVarianceEMResult(means, resp, n_iter, converged)
