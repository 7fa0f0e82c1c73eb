"""Checks for the chapter 6 exercises (``exercises/06_kmeans_as_hard_em.ipynb``): k-means as
hard EM.

* ``hard_responsibilities(X, means)``: the hard E-step, one-hot responsibilities of the nearest
  mean;
* ``kmeans(X, means_init, n_iter)``: Lloyd's k-means, written as hard E-steps alternating with
  the M-step for the means.

In the notebook::

    from emlib.check import ch06
    ch06.check_hard_responsibilities(hard_responsibilities)
    ch06.check_kmeans(kmeans)
    ch06.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import diagnoses as dx
from ._framework import (
    Case,
    Diagnosis,
    Exercise,
    Trial,
    fixed,
    random_cases,
    register,
    show_score,
)

__all__ = [
    "HARD_RESPONSIBILITIES",
    "KMEANS",
    "check_hard_responsibilities",
    "check_kmeans",
    "score",
]

ASSIGNMENT = "ch06"


def _squared_distances(X: Any, means: Any) -> np.ndarray:
    """``||x_i - mu_k||^2`` as an ``(N, K)`` array."""
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    return ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)


def _one_hot(labels: np.ndarray, n_components: int) -> np.ndarray:
    return np.eye(n_components)[labels]


def _random_data(rng: np.random.Generator, n: int, d: int, k: int) -> np.ndarray:
    """``n`` points around ``k`` random centres in ``d`` dimensions."""
    centres = rng.normal(scale=4.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.standard_normal((n, d))


# --------------------------------------------------------------------------- 6.1 hard E-step


def _random_hard_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    n = int(rng.integers(12, 40))
    X = _random_data(rng, n, d, k)
    means = rng.normal(scale=4.0, size=(k, d))
    return {"X": X, "means": means}


def _three_clusters(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_blobs(n_samples=30, random_state=2)
    return {"X": data.X, "means": data.params.means}


def _hard_soft_rows(trial: Trial) -> str | bool:
    """Rows that sum to 1 but are not one-hot: soft responsibilities."""
    out = np.asarray(trial.output, dtype=np.float64)
    if out.shape != np.shape(trial.expected) or not np.isfinite(out).all():
        return False
    if not np.allclose(out.sum(axis=1), 1.0, atol=1e-6):
        return False
    softness = np.minimum(np.abs(out), np.abs(1.0 - out)).max(axis=1)
    if not (softness > 1e-9).any():
        return False
    row = int(softness.argmax())
    return f"row {row} is {np.round(out[row], 3).tolist()}"


def _labels_instead_of_one_hot(trial: Trial) -> bool:
    out = np.asarray(trial.output, dtype=np.float64)
    expected = np.asarray(trial.expected)
    return out.shape == expected.shape[:1] and np.array_equal(out, expected.argmax(axis=1))


def _argmin_over_points(trial: Trial) -> str | bool:
    """An IndexError, or a (K, K) answer: labels of length K, one per mean, not per point."""
    if trial.raised:
        return trial.error_type == "IndexError" and f"your function raised `{trial.error}`"
    out = np.asarray(trial.output, dtype=np.float64)
    n, k = np.shape(trial.expected)
    return n != k and out.shape[:1] == (k,)


HARD_RESPONSIBILITIES = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="hard_responsibilities",
        title="Exercise 6.1: the hard E-step",
        points=2,
        reference=lambda X, means: emlib.hard_e_step(X, means),
        cases=[
            Case("three round clusters, means at the true centres", _three_clusters),
            fixed(
                "one dimension",
                X=np.array([[-3.0], [-0.4], [0.2], [1.9], [2.2], [7.5]]),
                means=np.array([[-1.0], [2.0], [5.0]]),
            ),
            fixed(
                "a mean that is nearest to no point",
                X=np.array([[0.0, 0.0], [1.0, 0.5], [8.0, 8.0], [9.0, 7.5], [0.5, 1.0]]),
                means=np.array([[0.5, 0.5], [8.5, 8.0], [-40.0, 30.0]]),
            ),
            fixed(
                "large coordinates",
                X=np.array([[1000.0, -2000.0], [1010.0, -1990.0], [3000.0, 500.0]]),
                means=np.array([[2990.0, 480.0], [1004.0, -1996.0]]),
            ),
            *random_cases(_random_hard_case, seeds=(0, 1, 2), label="random points and means"),
        ],
        diagnoses=[
            dx.matches(
                lambda X, means: _one_hot(
                    _squared_distances(X, means).argmax(axis=1), np.shape(means)[0]
                ),
                name="farthest-mean",
                hint="You gave each point to its FARTHEST mean. The most probable component is "
                "the nearest mean: take the `argmin` of the squared distances over k, not the "
                "`argmax`.",
            ),
            dx.matches(
                lambda X, means: _one_hot(
                    ((np.asarray(X)[:, None, :] - np.asarray(means)[None]) ** 2)
                    .sum(axis=1)
                    .argmin(axis=1),
                    np.shape(means)[0],
                ),
                name="summed-over-components",
                hint="Your squared distances are summed over the components (axis=1 of the "
                "(N, K, d) array of differences) instead of over the d coordinates (axis=2). "
                "Sum over the last axis to get the (N, K) array of ||x_i - mu_k||².",
            ),
            Diagnosis(
                "argmin-over-points",
                "Did you take the `argmin` over the points (axis=0)? That gives, for each of the "
                "K means, the index (up to N - 1) of its nearest point. For each point you need "
                "the index of its nearest mean: the `argmin` over the K columns (axis=1) of the "
                "(N, K) squared distances.",
                _argmin_over_points,
            ),
            Diagnosis(
                "labels-not-one-hot",
                "You returned the label k of each point's nearest mean. Return the one-hot "
                "(N, K) responsibilities instead: row i has a 1 in column k and 0 elsewhere "
                "(e.g. `np.eye(K)[labels]`).",
                _labels_instead_of_one_hot,
            ),
            Diagnosis(
                "soft-responsibilities",
                "Your responsibilities are soft: some rows share a point between components. "
                "The hard E-step gives each point entirely to its nearest mean: a 1 for that "
                "component and 0 for all the others.",
                _hard_soft_rows,
            ),
            dx.rows_not_normalised(
                hint="Each row must contain exactly one 1 (the nearest mean) and zeros "
                "elsewhere, so it sums to 1.",
            ),
        ],
        forbidden=(
            "emlib.hard_e_step",
            "emlib.squared_distances",
            "emlib.fixed_variance_em",
            "emlib.KMeans",
            "emlib.e_step",
            "emlib.log_responsibilities",
            "sklearn.cluster.KMeans",
        ),
    )
)


# --------------------------------------------------------------------------- 6.2 k-means


def _lloyd(
    X: Any, means_init: Any, n_iter: int, *, divide_by_n: bool = False, update_once: bool = False
) -> np.ndarray:
    """k-means with an optional mistake, for the diagnoses."""
    X = np.asarray(X, dtype=np.float64)
    means = np.array(means_init, dtype=np.float64)
    resp = _one_hot(_squared_distances(X, means).argmin(axis=1), means.shape[0])
    for _ in range(int(n_iter)):
        if not update_once:
            resp = _one_hot(_squared_distances(X, means).argmin(axis=1), means.shape[0])
        counts = resp.sum(axis=0)
        filled = counts > 0
        sums = resp.T @ X
        if divide_by_n:
            means[filled] = sums[filled] / X.shape[0]
        else:
            means[filled] = sums[filled] / counts[filled, None]
    return means


def _has_empty_cluster(X: Any, means_init: Any, n_iter: int) -> bool:
    """Whether some cluster is empty at some iteration of the correct algorithm."""
    X = np.asarray(X, dtype=np.float64)
    means = np.array(means_init, dtype=np.float64)
    for _ in range(int(n_iter)):
        resp = _one_hot(_squared_distances(X, means).argmin(axis=1), means.shape[0])
        if (resp.sum(axis=0) == 0).any():
            return True
        means = resp.T @ X / resp.sum(axis=0)[:, None]
    return False


def _empty_cluster_broken(trial: Trial) -> str | bool:
    if not _has_empty_cluster(**trial.inputs):
        return False
    if trial.raised:
        return f"your function raised `{trial.error}`"
    out = np.asarray(trial.output, dtype=np.float64)
    if out.shape == np.shape(trial.expected) and not np.isfinite(out).all():
        return "your means contain NaN"
    return False


def _random_kmeans_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    n = int(rng.integers(20, 50))
    X = _random_data(rng, n, d, k)
    means_init = X[rng.choice(n, size=k, replace=False)] + 0.1 * rng.standard_normal((k, d))
    return {"X": X, "means_init": means_init, "n_iter": int(rng.integers(2, 9))}


def _blobs_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_blobs(n_samples=60, random_state=1).X
    return {"X": X, "means_init": X[[0, 1, 2]], "n_iter": 10}


def _elongated_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_elongated(n_samples=90, random_state=0).X
    return {"X": X, "means_init": X[[0, 30, 60]], "n_iter": 20}


_EMPTY_X = np.array(
    [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [6.0, 6.0], [7.0, 6.0], [6.0, 7.5]]
)

KMEANS = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="kmeans",
        title="Exercise 6.2: k-means as hard EM",
        points=3,
        reference=lambda X, means_init, n_iter: (
            emlib.fixed_variance_em(
                X, means_init, variance=1.0, hard=True, max_iter=n_iter, tol=0.0
            ).means
        ),
        cases=[
            Case("three round clusters", _blobs_case),
            Case("three long, tilted clusters", _elongated_case),
            fixed(
                "one dimension",
                X=np.array([[-2.0], [-1.5], [-1.0], [0.2], [0.4], [3.0], [3.5], [4.5]]),
                means_init=np.array([[-1.5], [-1.0], [0.2]]),
                n_iter=6,
            ),
            fixed(
                "an initial mean far from every point: its cluster stays empty",
                X=_EMPTY_X,
                means_init=np.array([[0.0, 0.0], [6.0, 6.0], [50.0, -50.0]]),
                n_iter=4,
            ),
            fixed(
                "a single iteration",
                special="n_iter = 1",
                focus="look at what must be redone at every iteration with the new means",
                X=_EMPTY_X,
                means_init=np.array([[0.0, 0.5], [1.0, 1.0]]),
                n_iter=1,
            ),
            *random_cases(_random_kmeans_case, seeds=(0, 1, 2), label="random data"),
        ],
        diagnoses=[
            dx.matches(
                lambda X, means_init, n_iter: _lloyd(X, means_init, n_iter, divide_by_n=True),
                name="divides-by-n",
                hint="Each new mean is the average of ITS OWN points: divide the sum of the "
                "points of cluster k by the number of points in cluster k, "
                "N_k = Σ_i γ_ik, not by the total number of points N.",
            ),
            dx.matches(
                lambda X, means_init, n_iter: _lloyd(X, means_init, n_iter, update_once=True),
                name="assignments-not-updated",
                hint="Your means are updated with the assignments of the INITIAL means at every "
                "iteration. Each iteration must first redo the hard E-step with the current "
                "means, then move every mean to the average of its new points.",
            ),
            Diagnosis(
                "empty-cluster",
                "A cluster that gets no point has no average (0 / 0). Keep the mean of an "
                "empty cluster where it is: update only the means whose count N_k is positive.",
                _empty_cluster_broken,
            ),
        ],
        forbidden=(
            "emlib.KMeans",
            "emlib.fixed_variance_em",
            "emlib.hard_e_step",
            "emlib.m_step",
            "emlib.em_iteration",
            "emlib.GaussianMixture",
            "sklearn.cluster.KMeans",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)

check_hard_responsibilities = HARD_RESPONSIBILITIES.check
check_kmeans = KMEANS.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch06")`` gives the numbers)."""
    show_score(ASSIGNMENT)
