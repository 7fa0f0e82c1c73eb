"""Checks for the chapter 2 exercises (``exercises/02_fit_with_known_labels.ipynb``): the two
easy halves of the chicken-and-egg problem.

* ``fit_with_labels(X, z, K)``: maximum-likelihood weights, means and covariances when every
  point's component is known (:func:`emlib.m_step` with one-hot responsibilities);
* ``label_posterior(x, weights, means, stds)``: the probabilities of the components for each
  point of a 1-D mixture with known parameters, by Bayes' rule (:func:`emlib.e_step`);
* ``complete_log_likelihood(X, z, params)``: ``log p(X, z | theta)``, the quantity that the
  known-labels fit maximises (:func:`emlib.elbo` with one-hot responsibilities).

In the notebook::

    from emlib.check import ch02
    ch02.check_fit_with_labels(fit_with_labels)
    ch02.check_label_posterior(label_posterior)
    ch02.check_complete_log_likelihood(complete_log_likelihood)
    ch02.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import compare as cmp
from . import diagnoses as dx
from ._framework import Case, Exercise, fixed, random_cases, register, show_score

__all__ = [
    "COMPLETE_LOG_LIKELIHOOD",
    "FIT_WITH_LABELS",
    "LABEL_POSTERIOR",
    "check_complete_log_likelihood",
    "check_fit_with_labels",
    "check_label_posterior",
    "score",
]

ASSIGNMENT = "ch02"


def _one_hot(z: Any, n_components: int) -> np.ndarray:
    return np.eye(int(n_components))[np.asarray(z, dtype=int)]


# --------------------------------------------------------------------------- 2.1 labels known


def _fit_with_labels(X: Any, z: Any, K: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reference: :func:`emlib.m_step` with one-hot responsibilities and no ``reg_covar``."""
    params = emlib.m_step(X, _one_hot(z, K), covariance_type="full", reg_covar=0.0)
    return params.weights, params.means, params.covariances


def _per_component(X: Any, z: Any, K: Any, covariance) -> tuple[np.ndarray, ...]:
    """Shares, means and ``covariance(members, mean, n)`` per component (to write mistakes)."""
    X = np.asarray(X, dtype=np.float64)
    z = np.asarray(z, dtype=int)
    groups = [X[z == k] for k in range(int(K))]
    weights = np.array([len(g) / len(X) for g in groups])
    means = np.array([g.mean(axis=0) for g in groups])
    covariances = np.array([covariance(g, m, len(X)) for g, m in zip(groups, means, strict=True)])
    return weights, means, covariances


def _unbiased(X: Any, z: Any, K: Any) -> tuple[np.ndarray, ...]:
    return _per_component(X, z, K, lambda g, m, n: (g - m).T @ (g - m) / (len(g) - 1))


def _divided_by_n(X: Any, z: Any, K: Any) -> tuple[np.ndarray, ...]:
    return _per_component(X, z, K, lambda g, m, n: (g - m).T @ (g - m) / n)


def _not_centred(X: Any, z: Any, K: Any) -> tuple[np.ndarray, ...]:
    return _per_component(X, z, K, lambda g, m, n: g.T @ g / len(g))


def _centred_on_all_data(X: Any, z: Any, K: Any) -> tuple[np.ndarray, ...]:
    centre = np.asarray(X, dtype=np.float64).mean(axis=0)
    return _per_component(X, z, K, lambda g, m, n: (g - centre).T @ (g - centre) / len(g))


def _counts_as_weights(X: Any, z: Any, K: Any) -> tuple[np.ndarray, ...]:
    _, means, covariances = _fit_with_labels(X, z, K)
    counts = np.bincount(np.asarray(z, dtype=int), minlength=int(K)).astype(float)
    return counts, means, covariances


def _labelled_groups(
    rng: np.random.Generator, sizes: list[int], d: int, spread: float = 4.0
) -> dict[str, Any]:
    """Groups of the given sizes around random centres, labels shuffled."""
    K = len(sizes)
    centres = rng.normal(scale=spread, size=(K, d))
    z = np.repeat(np.arange(K), sizes)
    factors = rng.normal(size=(K, d, d)) * rng.uniform(0.3, 1.5, size=(K, 1, 1))
    X = centres[z] + np.einsum("nij,nj->ni", factors[z], rng.standard_normal((len(z), d)))
    order = rng.permutation(len(z))
    return {"X": X[order], "z": z[order], "K": K}


def _random_labelled_case(rng: np.random.Generator) -> dict[str, Any]:
    K, d = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    sizes = [int(s) for s in rng.integers(d + 2, 25, size=K)]
    return _labelled_groups(rng, sizes, d)


def _small_groups_case(rng: np.random.Generator) -> dict[str, Any]:
    # groups of 3, 4 and 12 points in 2-D: there N_k - 1 and N_k differ a lot
    return _labelled_groups(np.random.default_rng(5), [3, 4, 12], 2)


def _overlapping_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_overlapping(n_samples=90, random_state=4)
    return {"X": data.X, "z": data.z, "K": data.params.n_components}


FIT_WITH_LABELS = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="fit_with_labels",
        title="Exercise 2.1: fit with known labels",
        points=3,
        reference=_fit_with_labels,
        cases=[
            fixed(
                "two groups in one dimension",
                X=np.array([[0.0], [1.0], [2.0], [10.0], [12.0]]),
                z=np.array([0, 0, 0, 1, 1]),
                K=2,
            ),
            fixed(
                "three groups in 2-D, labels not sorted",
                X=np.array(
                    [
                        [0.0, 0.0],
                        [5.0, 5.0],
                        [1.0, 0.5],
                        [-4.0, 3.0],
                        [6.0, 4.0],
                        [0.5, 1.5],
                        [-5.0, 2.0],
                        [5.5, 6.5],
                        [-3.0, 4.5],
                        [-4.5, 5.0],
                    ]
                ),
                z=np.array([0, 1, 0, 2, 1, 0, 2, 1, 2, 2]),
                K=3,
            ),
            Case("groups of 3, 4 and 12 points", _small_groups_case),
            Case("overlapping clusters", _overlapping_case),
            *random_cases(_random_labelled_case, seeds=(0, 1, 2), label="random labelled data"),
        ],
        compare=cmp.close_each(["weights", "means", "covariances"]),
        diagnoses=[
            dx.matches(
                _unbiased,
                name="unbiased-covariance",
                hint="You divided the scatter matrix by N_k − 1 (the unbiased estimate, which "
                "is what `np.cov` does by default). The maximum-likelihood covariance divides "
                "by N_k: use `np.cov(members.T, bias=True)` or `diff.T @ diff / N_k`.",
                select=lambda out: out[2],
            ),
            dx.matches(
                _divided_by_n,
                name="divides-by-n",
                hint="You divided component k's scatter matrix by N, the number of all points. "
                "Only the N_k points of component k belong to it: divide by N_k.",
                select=lambda out: out[2],
            ),
            dx.matches(
                _not_centred,
                name="covariance-not-centred",
                hint="Your covariances are Σ_i x_i x_iᵀ / N_k: subtract the component's mean "
                "first, Σ_k = Σ_{i: z_i = k} (x_i − μ_k)(x_i − μ_k)ᵀ / N_k.",
                select=lambda out: out[2],
            ),
            dx.matches(
                _centred_on_all_data,
                name="centred-on-data-mean",
                hint="You centred every component on the mean of all the data. Each covariance "
                "is measured around its own component's mean μ_k.",
                select=lambda out: out[2],
            ),
            dx.matches(
                _counts_as_weights,
                name="weights-not-normalised",
                hint="Your weights are the counts N_k. Weights are shares: π_k = N_k / N, so "
                "that they sum to 1.",
                select=lambda out: out[0],
            ),
            dx.not_symmetric(select=lambda out: out[2]),
        ],
        forbidden=(
            "emlib.m_step",
            "emlib.em_iteration",
            "emlib.GaussianMixture",
            "emlib.KMeans",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)


# --------------------------------------------------------------------------- 2.2 Gaussians known


def _params_1d(weights: Any, means: Any, stds: Any) -> emlib.MixtureParams:
    weights, means, stds = (np.asarray(a, dtype=np.float64) for a in (weights, means, stds))
    return emlib.MixtureParams(weights, means.reshape(-1, 1), stds**2, "spherical")


def _label_posterior(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    """The reference: :func:`emlib.e_step` on the 1-D mixture."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return emlib.e_step(x, _params_1d(weights, means, stds))[0]


def _normalised_over_points(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    params = _params_1d(weights, means, stds)
    with np.errstate(divide="ignore"):
        joint = np.exp(emlib.log_joint(x, params))
    return joint / joint.sum(axis=0, keepdims=True)


def _random_posterior_case(rng: np.random.Generator) -> dict[str, Any]:
    K = int(rng.integers(2, 5))
    weights = rng.dirichlet(np.full(K, 2.0))
    means = np.sort(rng.normal(scale=3.0, size=K))
    stds = rng.uniform(0.4, 2.0, size=K)
    z = rng.choice(K, size=int(rng.integers(10, 30)), p=weights)
    x = means[z] + stds[z] * rng.standard_normal(len(z))
    return {"x": x, "weights": weights, "means": means, "stds": stds}


LABEL_POSTERIOR = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="label_posterior",
        title="Exercise 2.2: labels from known Gaussians",
        points=2,
        reference=_label_posterior,
        cases=[
            fixed(
                "two components with equal weights",
                special="all the weights are equal",
                focus="look at how π_k enters",
                x=np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 4.0]),
                weights=np.array([0.5, 0.5]),
                means=np.array([-1.0, 1.5]),
                stds=np.array([1.0, 0.5]),
            ),
            fixed(
                "two components with unequal weights",
                x=np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0, 4.0]),
                weights=np.array([0.8, 0.2]),
                means=np.array([-1.0, 1.5]),
                stds=np.array([1.0, 0.5]),
            ),
            fixed(
                "three components, one of them wide",
                x=np.linspace(-6.0, 6.0, 13),
                weights=np.array([0.3, 0.2, 0.5]),
                means=np.array([-2.0, 0.0, 2.0]),
                stds=np.array([0.7, 3.0, 0.7]),
            ),
            *random_cases(_random_posterior_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                lambda x, weights, means, stds: _label_posterior(
                    x, np.full(len(weights), 1 / len(weights)), means, stds
                ),
                name="no-weights",
                hint="Your probabilities ignore the mixing weights π_k: Bayes' rule multiplies "
                "each density by its prior, π_k N(x_i | μ_k, σ_k²), before normalising.",
            ),
            dx.matches(
                _normalised_over_points,
                name="normalised-over-points",
                hint="You normalised each column, over the points (axis=0). For each point the "
                "probabilities form a distribution over the K components: divide each row by "
                "its sum (axis=1, `keepdims=True`).",
            ),
            dx.rows_not_normalised(
                hint="Each row must sum to 1: divide π_k N(x_i | μ_k, σ_k²) by its sum over "
                "the components, p(x_i) = Σ_j π_j N(x_i | μ_j, σ_j²).",
            ),
        ],
        forbidden=(
            "emlib.e_step",
            "emlib.log_responsibilities",
            "emlib.component_log_densities",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)


# --------------------------------------------------------------------------- 2.3 log p(X, z)


def _complete_log_likelihood(X: Any, z: Any, params: emlib.MixtureParams) -> float:
    """The reference: the ELBO of one-hot responsibilities, which is ``log p(X, z | theta)``."""
    return emlib.elbo(X, _one_hot(z, params.n_components), params)


def _log_joint(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    return emlib.log_joint(X, params)


def _picked(values: np.ndarray, z: Any) -> np.ndarray:
    return values[np.arange(len(values)), np.asarray(z, dtype=int)]


def _random_complete_case(rng: np.random.Generator) -> dict[str, Any]:
    K, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    weights = rng.dirichlet(np.full(K, 2.0))
    means = rng.normal(scale=3.0, size=(K, d))
    factors = rng.normal(size=(K, d, d))
    params = emlib.MixtureParams(weights, means, factors @ factors.transpose(0, 2, 1) + np.eye(d))
    X, z = emlib.sample_mixture(params, int(rng.integers(10, 40)), rng)
    return {"X": X, "z": z, "params": params}


def _labels_against_truth_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_overlapping(n_samples=60, random_state=2)
    return {"X": data.X, "z": data.z, "params": data.params}


def _wrong_labels_case(rng: np.random.Generator) -> dict[str, Any]:
    # the labels of the overlapping data, rotated: log p(X, z) is much lower
    data = emlib.make_overlapping(n_samples=60, random_state=2)
    return {"X": data.X, "z": (data.z + 1) % 3, "params": data.params}


COMPLETE_LOG_LIKELIHOOD = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="complete_log_likelihood",
        title="Exercise 2.3: the complete-data log-likelihood",
        points=2,
        reference=_complete_log_likelihood,
        cases=[
            fixed(
                "1-D, two components with unequal weights",
                X=np.array([[-1.0], [0.0], [0.5], [3.0], [4.0]]),
                z=np.array([0, 0, 1, 1, 1]),
                params=emlib.MixtureParams([0.3, 0.7], [[0.0], [3.0]], [[[1.0]], [[2.0]]]),
            ),
            Case("overlapping clusters with their true labels", _labels_against_truth_case),
            Case("overlapping clusters with wrong labels", _wrong_labels_case),
            *random_cases(_random_complete_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                lambda X, z, params: _picked(emlib.component_log_densities(X, params), z).sum(),
                name="no-weights",
                hint="You left out log π_{z_i}: the joint probability of a point and its label "
                "is p(x_i, z_i = k) = π_k N(x_i | μ_k, Σ_k), so each term is "
                "log π_{z_i} + log N(x_i | μ_{z_i}, Σ_{z_i}).",
            ),
            dx.matches(
                lambda X, z, params: _picked(
                    params.weights + emlib.component_log_densities(X, params), z
                ).sum(),
                name="weights-not-logged",
                hint="You added the weight π_k itself to a log-density; in log space add its "
                "logarithm, `np.log(params.weights)`.",
            ),
            dx.matches(
                lambda X, z, params: emlib.log_likelihood(X, params),
                name="incomplete-log-likelihood",
                hint="That is log p(X | θ) = Σ_i log Σ_k π_k N(x_i | μ_k, Σ_k), the "
                "log-likelihood *without* labels. With the labels known, each point only "
                "counts under its own component: Σ_i [log π_{z_i} + log N(x_i | μ_{z_i}, "
                "Σ_{z_i})].",
            ),
            dx.matches(
                lambda X, z, params: float(_log_joint(X, params).sum()),
                name="summed-over-all-components",
                hint="You summed log π_k + log N(x_i | μ_k, Σ_k) over every component k. Each "
                "point only contributes the term of its own label z_i: pick it with "
                "`log_joint[np.arange(len(X)), z]`.",
            ),
            dx.matches(
                lambda X, z, params: float(_picked(_log_joint(X, params), z).mean()),
                name="mean-not-sum",
                hint="You averaged over the points. log p(X, z | θ) is a sum over the points "
                "(the log of a product of independent terms).",
            ),
        ],
        forbidden=(
            "emlib.elbo",
            "emlib.elbo_decomposition",
            "emlib.kl_divergence",
            "emlib.GaussianMixture",
        ),
    )
)

check_fit_with_labels = FIT_WITH_LABELS.check
check_label_posterior = LABEL_POSTERIOR.check
check_complete_log_likelihood = COMPLETE_LOG_LIKELIHOOD.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch02")`` gives the numbers)."""
    show_score(ASSIGNMENT)
