"""Checks for the chapter 4 exercises (``exercises/04_m_step.ipynb``): the M-step.

* ``m_step(X, resp)``: new weights, means and full covariances from responsibilities;
* ``m_step_diag(X, resp)``: the same with diagonal covariances (one variance per feature).

Both are compared with :func:`emlib.m_step` with ``reg_covar=0``, on soft and on one-hot
responsibilities.

In the notebook::

    from emlib.check import ch04
    ch04.check_m_step(m_step)
    ch04.check_m_step_diag(m_step_diag)
    ch04.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import compare as cmp
from . import diagnoses as dx
from ._framework import (
    Case,
    Diagnosis,
    Exercise,
    Trial,
    random_cases,
    register,
    show_score,
)

__all__ = [
    "M_STEP",
    "M_STEP_DIAG",
    "check_m_step",
    "check_m_step_diag",
    "score",
]

ASSIGNMENT = "ch04"
FORBIDDEN = (
    "emlib.m_step",
    "emlib.em_iteration",
    "emlib.GaussianMixture",
    "sklearn.mixture.GaussianMixture",
)


def _reference(covariance_type: str):
    def reference(X: Any, resp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        params = emlib.m_step(X, resp, covariance_type=covariance_type, reg_covar=0.0)
        return params.weights, params.means, params.covariances

    reference.__name__ = f"m_step_{covariance_type}_reference"
    return reference


# --------------------------------------------------------------------------- the cases


def _two_groups(rng: np.random.Generator) -> dict[str, Any]:
    X = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 1.0], [8.0, 8.0], [9.0, 8.5], [8.5, 9.5]])
    resp = np.repeat([[0.9, 0.1], [0.2, 0.8]], 3, axis=0)
    return {"X": X, "resp": resp}


def _one_hot_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_blobs(n_samples=45, random_state=1)
    return {"X": data.X, "resp": np.eye(3)[data.z]}


def _after_an_e_step(rng: np.random.Generator) -> dict[str, Any]:
    # as in chapter 4: responsibilities of the overlapping data under a rough guess
    data = emlib.make_overlapping(n_samples=60, random_state=0)
    guess = emlib.MixtureParams(
        weights=[1 / 3, 1 / 3, 1 / 3],
        means=[[-1.0, -1.0], [1.0, 0.0], [0.0, 2.0]],
        covariances=[1.0, 1.0, 1.0],
        covariance_type="spherical",
    )
    return {"X": data.X, "resp": emlib.e_step(data.X, guess)[0]}


def _one_dimensional(rng: np.random.Generator) -> dict[str, Any]:
    X = np.array([[-2.0], [-1.0], [0.0], [0.5], [3.0], [4.0], [4.5]])
    resp = np.array(
        [[1.0, 0.0], [0.9, 0.1], [0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.05, 0.95], [0.0, 1.0]]
    )
    return {"X": X, "resp": resp}


def _single_component(rng: np.random.Generator) -> dict[str, Any]:
    X = np.array(
        [[1.0, 2.0, 0.0], [2.0, 0.0, 1.0], [0.0, 1.0, 3.0], [3.0, 3.0, 1.0], [1.0, 1.0, 1.0]]
    )
    return {"X": X, "resp": np.ones((5, 1))}


def _random_soft(rng: np.random.Generator) -> dict[str, Any]:
    K, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    n = int(rng.integers(4 * d + 8, 50))
    centres = rng.normal(scale=4.0, size=(K, d))
    X = centres[rng.integers(0, K, size=n)] + rng.standard_normal((n, d))
    X += rng.normal(scale=20.0, size=d)  # data away from the origin
    resp = rng.dirichlet(np.full(K, 0.7), size=n)
    return {"X": X, "resp": resp}


CASES = [
    Case("two groups, soft responsibilities", _two_groups),
    Case("one-hot responsibilities (known labels)", _one_hot_case),
    Case("responsibilities after an E-step", _after_an_e_step),
    Case("one dimension", _one_dimensional),
    Case("a single component (K = 1)", _single_component),
    *random_cases(_random_soft, seeds=(0, 1, 2), label="random soft responsibilities"),
]


# --------------------------------------------------------------------------- the mistakes


def _pieces(X: Any, resp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    resp = np.asarray(resp, dtype=np.float64)
    return X, resp, resp.sum(axis=0)


def _scatter(X: np.ndarray, weights_i: np.ndarray, centre: np.ndarray) -> np.ndarray:
    diff = X - centre
    return (weights_i[:, None] * diff).T @ diff


def _full(X: Any, resp: Any, *, weights=None, means=None, covariance=None) -> tuple:
    """A full M-step whose pieces can be swapped for wrong ones."""
    X, resp, nk = _pieces(X, resp)
    n, K = resp.shape
    w = nk / n if weights is None else weights(X, resp, nk)
    mu = (resp.T @ X) / nk[:, None] if means is None else means(X, resp, nk)
    cov = np.array(
        [
            _scatter(X, resp[:, k], mu[k]) / nk[k]
            if covariance is None
            else covariance(X, resp, nk, mu, k)
            for k in range(K)
        ]
    )
    return w, mu, cov


def _divides_by_n(X: Any, resp: Any) -> tuple:
    n = len(X)
    return _full(
        X,
        resp,
        means=lambda X, r, nk: r.T @ X / n,
        covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k], mu[k]) / n,
    )


def _covariance_divides_by_n(X: Any, resp: Any) -> tuple:
    n = len(X)
    return _full(X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k], mu[k]) / n)


def _divides_by_nk_minus_one(X: Any, resp: Any) -> tuple:
    return _full(
        X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k], mu[k]) / (nk[k] - 1)
    )


def _diag_divides_by_nk_minus_one(X: Any, resp: Any) -> tuple:
    nk = np.asarray(resp, dtype=np.float64).sum(axis=0)
    return _diag(X, resp, _diag_variances(X, resp) * (nk / (nk - 1))[:, None])


NK_MINUS_ONE_HINT = (
    "You divided the weighted scatter by N_k − 1, the unbiased estimate (what `np.cov` does "
    "by default). The M-step maximises the likelihood, and the maximum-likelihood estimate "
    "divides by N_k = Σ_i γ_ik (the chapter's warning): use `/ nk[k]`, or "
    "`np.cov(..., aweights=resp[:, k], bias=True)`."
)


def _counts_as_weights(X: Any, resp: Any) -> tuple:
    return _full(X, resp, weights=lambda X, r, nk: nk)


def _unweighted_means(X: Any, resp: Any) -> tuple:
    return _full(X, resp, means=lambda X, r, nk: np.tile(X.mean(axis=0), (r.shape[1], 1)))


def _unweighted_covariance(X: Any, resp: Any) -> tuple:
    return _full(
        X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, np.ones(len(X)), mu[k]) / len(X)
    )


def _unweighted_covariance_over_nk(X: Any, resp: Any) -> tuple:
    return _full(
        X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, np.ones(len(X)), mu[k]) / nk[k]
    )


def _not_centred(X: Any, resp: Any) -> tuple:
    return _full(
        X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k], 0.0 * mu[k]) / nk[k]
    )


def _centred_on_data_mean(X: Any, resp: Any) -> tuple:
    return _full(
        X,
        resp,
        covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k], X.mean(axis=0)) / nk[k],
    )


def _squared_responsibilities(X: Any, resp: Any) -> tuple:
    return _full(
        X, resp, covariance=lambda X, r, nk, mu, k: _scatter(X, r[:, k] ** 2, mu[k]) / nk[k]
    )


def _hard_assignments(X: Any, resp: Any) -> tuple:
    resp = np.asarray(resp, dtype=np.float64)
    hard = np.eye(resp.shape[1])[resp.argmax(axis=1)]
    return _full(X, hard)


def _pick_covariances(out: Any) -> Any:
    return out[2]


def _pick_means(out: Any) -> Any:
    return out[1]


def _pick_weights(out: Any) -> Any:
    return out[0]


NOT_NORMALISED_HINT = (
    "Your weights are the effective counts N_k = Σ_i γ_ik. The weights are shares, "
    "π_k = N_k / N, so that they sum to 1."
)
HARD_HINT = (
    "You turned the responsibilities into hard labels (each point to its most responsible "
    "component). The M-step keeps them soft: point i counts as γ_ik of a point in every "
    "component k, in N_k, μ_k and Σ_k."
)

M_STEP = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="m_step",
        title="Exercise 4.1: the M-step",
        points=4,
        reference=_reference("full"),
        cases=CASES,
        compare=cmp.close_each(["weights", "means", "covariances"]),
        diagnoses=[
            dx.matches(
                _hard_assignments,
                name="hard-assignments",
                hint=HARD_HINT,
            ),
            dx.matches(
                _divides_by_nk_minus_one,
                name="divides-by-nk-minus-one",
                hint=NK_MINUS_ONE_HINT,
                select=_pick_covariances,
            ),
            dx.matches(
                _divides_by_n,
                name="divides-by-n",
                hint="You divided the weighted sums by N, the number of points. Component k "
                "owns N_k = Σ_i γ_ik points' worth of data: μ_k = Σ_i γ_ik x_i / N_k, and "
                "Σ_k is divided by N_k too.",
                select=_pick_means,
            ),
            dx.matches(
                _covariance_divides_by_n,
                name="covariance-divides-by-n",
                hint="Your means are right, but you divided the covariances by N. Divide "
                "component k's weighted scatter matrix by N_k = Σ_i γ_ik.",
                select=_pick_covariances,
            ),
            dx.matches(
                _unweighted_means,
                name="unweighted-means",
                hint="Every component got the plain mean of all the data. Weight each point by "
                "its responsibility: μ_k = Σ_i γ_ik x_i / N_k, i.e. `resp.T @ X / nk[:, None]`.",
                select=_pick_means,
            ),
            dx.matches(
                _unweighted_covariance,
                name="unweighted-covariance",
                hint="Your covariances forget the responsibilities: every point counts fully "
                "for every component. Weight each outer product (x_i − μ_k)(x_i − μ_k)ᵀ by "
                "γ_ik and divide by N_k.",
                select=_pick_covariances,
            ),
            dx.matches(
                _unweighted_covariance_over_nk,
                name="unweighted-scatter",
                hint="Your covariances sum the outer products (x_i − μ_k)(x_i − μ_k)ᵀ of all "
                "points without their weights γ_ik. Multiply each by γ_ik, e.g. "
                "`(resp[:, k, None] * diff).T @ diff`, then divide by N_k.",
                select=_pick_covariances,
            ),
            dx.matches(
                _squared_responsibilities,
                name="squared-responsibilities",
                hint="You weighted each outer product by γ_ik² (multiplying both factors by "
                "the responsibility). Weight it once: `(resp[:, k, None] * diff).T @ diff`.",
                select=_pick_covariances,
            ),
            dx.matches(
                _not_centred,
                name="covariance-not-centred",
                hint="Your covariances are Σ_i γ_ik x_i x_iᵀ / N_k: subtract the new mean μ_k "
                "from every point first, Σ_k = Σ_i γ_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k.",
                select=_pick_covariances,
            ),
            dx.matches(
                _centred_on_data_mean,
                name="centred-on-data-mean",
                hint="You centred the covariances on the mean of all the data. Each component's "
                "covariance is measured around its own new mean μ_k.",
                select=_pick_covariances,
            ),
            dx.matches(
                _counts_as_weights,
                name="weights-not-normalised",
                hint=NOT_NORMALISED_HINT,
                select=_pick_weights,
            ),
            dx.not_symmetric(select=_pick_covariances),
        ],
        forbidden=FORBIDDEN,
    )
)


# --------------------------------------------------------------------------- diagonal


def _diag_variances(X: Any, resp: Any, centre=None) -> np.ndarray:
    X, resp, nk = _pieces(X, resp)
    means = (resp.T @ X) / nk[:, None]
    centres = means if centre is None else centre(X, means)
    return np.array(
        [
            (resp[:, k, None] * (X - centres[k]) ** 2).sum(axis=0) / nk[k]
            for k in range(resp.shape[1])
        ]
    )


def _diag(X: Any, resp: Any, variances: np.ndarray) -> tuple:
    X, resp, nk = _pieces(X, resp)
    return nk / len(X), (resp.T @ X) / nk[:, None], variances


def _diag_stds(X: Any, resp: Any) -> tuple:
    return _diag(X, resp, np.sqrt(_diag_variances(X, resp)))


def _diag_not_centred(X: Any, resp: Any) -> tuple:
    return _diag(X, resp, _diag_variances(X, resp, centre=lambda X, m: np.zeros_like(m)))


def _diag_divides_by_n(X: Any, resp: Any) -> tuple:
    nk = np.asarray(resp, dtype=np.float64).sum(axis=0)
    return _diag(X, resp, _diag_variances(X, resp) * (nk / len(X))[:, None])


def _returned_matrices(trial: Trial) -> bool:
    shape = np.shape(trial.output[2])
    K, d = np.shape(trial.expected[2])
    return shape == (K, d, d)


def _diag_spherical(X: Any, resp: Any) -> tuple:
    return _diag(X, resp, _diag_variances(X, resp).mean(axis=1))


M_STEP_DIAG = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="m_step_diag",
        title="Exercise 4.2: the M-step with diagonal covariances",
        points=2,
        reference=_reference("diag"),
        cases=CASES,
        compare=cmp.close_each(["weights", "means", "variances"]),
        diagnoses=[
            Diagnosis(
                "full-matrices",
                "You returned (K, d, d) matrices. A diagonal covariance is stored as its "
                "diagonal only: a (K, d) array of variances, one per component and feature.",
                _returned_matrices,
            ),
            dx.matches(
                _diag_spherical,
                name="averaged-over-features",
                hint="You averaged the variances over the features, one number per component "
                "(that is the 'spherical' type). Keep one variance per component and feature: "
                "shape (K, d).",
                select=_pick_covariances,
            ),
            dx.matches(
                _diag_stds,
                name="standard-deviations",
                hint="These are standard deviations. The covariances are variances: "
                "σ²_kj = Σ_i γ_ik (x_ij − μ_kj)² / N_k, without a square root.",
                select=_pick_covariances,
            ),
            dx.matches(
                _diag_not_centred,
                name="variance-not-centred",
                hint="Your variances are Σ_i γ_ik x_ij² / N_k: subtract the new mean first, "
                "σ²_kj = Σ_i γ_ik (x_ij − μ_kj)² / N_k.",
                select=_pick_covariances,
            ),
            dx.matches(
                _diag_divides_by_nk_minus_one,
                name="divides-by-nk-minus-one",
                hint=NK_MINUS_ONE_HINT,
                select=_pick_covariances,
            ),
            dx.matches(
                _diag_divides_by_n,
                name="divides-by-n",
                hint="You divided the weighted sums of squares by N. Divide component k's by "
                "its effective count N_k = Σ_i γ_ik.",
                select=_pick_covariances,
            ),
            dx.matches(
                _counts_as_weights,
                name="weights-not-normalised",
                hint=NOT_NORMALISED_HINT,
                select=_pick_weights,
            ),
            dx.matches(
                _hard_assignments, name="hard-assignments", hint=HARD_HINT, select=_pick_means
            ),
            dx.negative_values(
                name="negative-variance",
                hint="A variance cannot be negative: compute it as a weighted average of "
                "squares, Σ_i γ_ik (x_ij − μ_kj)² / N_k.",
                select=_pick_covariances,
            ),
        ],
        forbidden=FORBIDDEN,
    )
)

check_m_step = M_STEP.check
check_m_step_diag = M_STEP_DIAG.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch04")`` gives the numbers)."""
    show_score(ASSIGNMENT)
