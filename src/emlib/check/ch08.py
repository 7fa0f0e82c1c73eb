"""Checks for the chapter 8 exercises (``exercises/08_choose_k_and_anomalies.ipynb``): choosing
K with BIC, and anomaly detection with the mixture's density.

* ``n_parameters(n_components, n_features, covariance_type)``: free parameters of a mixture;
* ``bic(log_likelihood, n_params, n_samples)``: the Bayesian information criterion;
* ``best_k``: a value, the number of diagonal-covariance components BIC picks for Old Faithful;
* ``flag_anomalies(params, X, fraction)``: flag the ``fraction`` of points with the lowest
  log-density ``log p(x_i | θ)`` (what ``GaussianMixture.score_samples`` returns).

In the notebook::

    from emlib.check import ch08
    ch08.check_n_parameters(n_parameters)
    ch08.check_bic(bic)
    ch08.check_best_k(best_k)
    ch08.check_flag_anomalies(flag_anomalies)
    ch08.score()
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

import emlib

from . import diagnoses as dx
from ._framework import (
    Case,
    Diagnosis,
    Exercise,
    Trial,
    WrongAnswer,
    fixed,
    random_cases,
    register,
    show_score,
)

__all__ = [
    "BEST_K",
    "BEST_K_SETTINGS",
    "BIC",
    "FLAG_ANOMALIES",
    "N_PARAMETERS",
    "check_best_k",
    "check_bic",
    "check_flag_anomalies",
    "check_n_parameters",
    "score",
]

ASSIGNMENT = "ch08"
_COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


# --------------------------------------------------------------------------- 8.1 parameters


def _covariance_count(k: int, d: int, covariance_type: str, *, square: bool = False) -> int:
    """Covariance parameters; ``square=True`` counts a symmetric matrix as d² numbers."""
    matrix = d * d if square else d * (d + 1) // 2
    return {"full": k * matrix, "tied": matrix, "diag": k * d, "spherical": k}[covariance_type]


def _random_size_case(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "n_components": int(rng.integers(2, 9)),
        "n_features": int(rng.integers(2, 11)),
        "covariance_type": str(rng.choice(_COVARIANCE_TYPES)),
    }


N_PARAMETERS = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="n_parameters",
        title="Exercise 8.1: counting parameters",
        points=2,
        reference=lambda n_components, n_features, covariance_type: emlib.n_parameters(
            n_components, n_features, covariance_type
        ),
        cases=[
            fixed("K = 3, d = 2, full", n_components=3, n_features=2, covariance_type="full"),
            fixed("K = 4, d = 3, tied", n_components=4, n_features=3, covariance_type="tied"),
            fixed("K = 2, d = 5, diag", n_components=2, n_features=5, covariance_type="diag"),
            fixed(
                "K = 5, d = 4, spherical",
                n_components=5,
                n_features=4,
                covariance_type="spherical",
            ),
            fixed("K = 1, d = 4, full", n_components=1, n_features=4, covariance_type="full"),
            fixed("K = 3, d = 1, full", n_components=3, n_features=1, covariance_type="full"),
            *random_cases(_random_size_case, seeds=(0, 1, 2, 3, 4), label="random K, d and type"),
        ],
        diagnoses=[
            dx.matches(
                lambda n_components, n_features, covariance_type: (
                    _covariance_count(n_components, n_features, covariance_type)
                    + n_components * n_features
                ),
                name="weights-not-counted",
                hint="You did not count the mixing weights. There are K of them, but they sum "
                "to 1, so only K − 1 are free: add K − 1.",
            ),
            dx.matches(
                lambda n_components, n_features, covariance_type: (
                    _covariance_count(n_components, n_features, covariance_type)
                    + n_components * n_features
                    + n_components
                ),
                name="all-weights-counted",
                hint="You counted K mixing weights, but they sum to 1: once K − 1 are known the "
                "last one is fixed, so only K − 1 are free parameters.",
            ),
            dx.matches(
                lambda n_components, n_features, covariance_type: (
                    _covariance_count(n_components, n_features, covariance_type, square=True)
                    + n_components * n_features
                    + n_components
                    - 1
                ),
                name="covariance-counted-as-d-squared",
                hint="A covariance matrix is symmetric: its d × d entries hold only "
                "d (d + 1) / 2 free numbers (the diagonal and one triangle), not d².",
            ),
            dx.matches(
                lambda n_components, n_features, covariance_type: (
                    _covariance_count(
                        n_components,
                        n_features,
                        "full" if covariance_type == "tied" else covariance_type,
                    )
                    + n_components * n_features
                    + n_components
                    - 1
                ),
                name="tied-counted-per-component",
                hint="With `tied` covariances all K components share ONE covariance matrix: "
                "count its d (d + 1) / 2 numbers once, not K times.",
            ),
        ],
        forbidden=("n_parameters", "_n_parameters"),
        wrong_answers=[
            WrongAnswer(
                "forgets the weights",
                replace=[("return covariance + K * d + (K - 1)", "return covariance + K * d")],
                expect="weights-not-counted",
            ),
            WrongAnswer(
                "counts a full covariance as d² numbers",
                replace=[("per_matrix = d * (d + 1) // 2", "per_matrix = d * d")],
                expect="covariance-counted-as-d-squared",
            ),
            WrongAnswer(
                "counts the tied covariance once per component",
                replace=[('"tied": per_matrix,', '"tied": K * per_matrix,')],
                expect="tied-counted-per-component",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- 8.2 BIC


def _random_bic_case(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "log_likelihood": float(rng.uniform(-5000.0, 200.0)),
        "n_params": int(rng.integers(1, 60)),
        "n_samples": int(rng.integers(10, 5000)),
    }


def _blobs_bic_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_blobs(n_samples=150, random_state=0)
    return {
        "log_likelihood": emlib.log_likelihood(data.X, data.params),
        "n_params": emlib.n_parameters(3, 2, data.params.covariance_type),
        "n_samples": 150,
    }


def _bic_reference(log_likelihood: float, n_params: int, n_samples: int) -> float:
    """``-2 log p(X | θ) + p log N``, the formula of :func:`emlib.bic` and ``gm.bic(X)``."""
    return -2.0 * float(log_likelihood) + int(n_params) * np.log(int(n_samples))


BIC = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="bic",
        title="Exercise 8.2: the Bayesian information criterion",
        points=2,
        reference=_bic_reference,
        cases=[
            Case("three blobs, the true parameters", _blobs_bic_case),
            fixed("a negative log-likelihood", log_likelihood=-1160.5, n_params=11, n_samples=272),
            fixed("a positive log-likelihood", log_likelihood=85.25, n_params=5, n_samples=40),
            fixed("a single parameter", log_likelihood=-10.0, n_params=1, n_samples=1000),
            *random_cases(_random_bic_case, seeds=(0, 1, 2), label="random numbers"),
        ],
        diagnoses=[
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    2.0 * log_likelihood + n_params * np.log(n_samples)
                ),
                name="log-likelihood-sign",
                hint="The log-likelihood enters BIC with a minus sign: BIC = −2 log p(X | θ) "
                "+ p log N. A better fit (higher log-likelihood) must LOWER the BIC.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    -2.0 * log_likelihood + n_params * np.log10(n_samples)
                ),
                name="log10",
                hint="The penalty uses the natural logarithm, `np.log(n_samples)`, not `np.log10`.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: -2.0 * log_likelihood + 2 * n_params,
                name="aic-penalty",
                hint="That is AIC's penalty, 2p. BIC charges log N per parameter: "
                "BIC = −2 log p(X | θ) + p log N.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    -log_likelihood + n_params * np.log(n_samples)
                ),
                name="missing-factor-two",
                hint="The log-likelihood is multiplied by −2 in BIC: −2 log p(X | θ) + p log N.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    log_likelihood - 0.5 * n_params * np.log(n_samples)
                ),
                name="higher-is-better-form",
                hint="You wrote BIC in its 'higher is better' form, log p(X | θ) − (p/2) log N. "
                "This course, emlib and scikit-learn use −2 times that, "
                "−2 log p(X | θ) + p log N, where LOWER is better.",
            ),
        ],
        forbidden=("bic", "aic", "select_n_components"),
        wrong_answers=[
            WrongAnswer(
                "gets the sign of the log-likelihood wrong",
                replace=[("return -2 * log_likelihood", "return 2 * log_likelihood")],
                expect="log-likelihood-sign",
            ),
            WrongAnswer(
                "takes the decimal logarithm",
                replace=[("n_params * np.log(n_samples)", "n_params * np.log10(n_samples)")],
                expect="log10",
            ),
            WrongAnswer(
                "uses AIC's penalty",
                replace=[("n_params * np.log(n_samples)", "2 * n_params")],
                expect="aic-penalty",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- 8.3 choosing K

#: The fits of exercise 8.3; the notebook uses the same settings.
BEST_K_SETTINGS: dict[str, Any] = {
    "n_components": range(1, 7),
    "covariance_type": "diag",
    "n_init": 5,
    "random_state": 0,
}


@lru_cache(maxsize=1)
def _faithful_selection() -> emlib.SelectionResult:
    settings = dict(BEST_K_SETTINGS)
    return emlib.select_n_components(
        emlib.load_old_faithful().X, settings.pop("n_components"), **settings
    )


def _best_k_reference() -> int:
    return _faithful_selection().best_bic


def _is_k(choose: Any) -> Any:
    """A detector: the answer is the K that ``choose(selection)`` gives (and it is wrong)."""

    def detect(trial: Trial) -> bool:
        wrong = int(choose(_faithful_selection()))
        out = np.asarray(trial.output, dtype=np.float64)
        return wrong != trial.expected and out.shape == () and float(out) == wrong

    return detect


def _highest_likelihood_k(selection: emlib.SelectionResult) -> int:
    X = emlib.load_old_faithful().X
    return int(selection.n_components[np.argmax([m.score(X) for m in selection.models])])


BEST_K = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="best_k",
        title="Exercise 8.3: choosing K for Old Faithful",
        points=2,
        kind="value",
        reference=_best_k_reference,
        diagnoses=[
            Diagnosis(
                "largest-bic",
                "You picked the K with the LARGEST BIC. Lower BIC is better: use `np.argmin`.",
                _is_k(lambda s: s.n_components[np.argmax(s.bic)]),
            ),
            Diagnosis(
                "index-not-k",
                "Your answer is the position of the smallest BIC in your list, but the list "
                "starts at K = 1, so position 0 is K = 1: convert the position back to K "
                "(e.g. `list(fits)[position]`).",
                _is_k(lambda s: s.best_bic - 1),
            ),
            Diagnosis(
                "highest-likelihood",
                "You picked the K with the highest log-likelihood: that is always (close to) "
                "the largest K you try, because more components can always fit the same data "
                "at least as well. Compare the models with BIC, which pays for the parameters.",
                _is_k(_highest_likelihood_k),
            ),
        ],
        wrong_answers=[
            WrongAnswer(
                "takes the argmax of BIC",
                replace=[("int(np.argmin(bic_scores))", "int(np.argmax(bic_scores))")],
                expect="largest-bic",
            ),
            WrongAnswer(
                "returns the position instead of K",
                replace=[
                    (
                        "best_k = list(fits)[int(np.argmin(bic_scores))]",
                        "best_k = int(np.argmin(bic_scores))",
                    )
                ],
                expect="index-not-k",
            ),
            WrongAnswer(
                "chooses by log-likelihood",
                replace=[
                    (
                        'bic_scores.append(bic(log_lik, n_parameters(k, X.shape[1], "diag"), '
                        "len(X)))",
                        "bic_scores.append(-log_lik)",
                    )
                ],
                expect="highest-likelihood",
            ),
        ],
    )
)


# --------------------------------------------------------------------------- 8.4 anomalies


def _log_density(params: emlib.MixtureParams, X: Any, weights: bool = True) -> np.ndarray:
    """``log p(x_i | θ)`` (``weights=False``: the mistake that leaves out the weights)."""
    log_joint = emlib.component_log_densities(X, params)
    if weights:
        log_joint = log_joint + np.log(params.weights)
    return emlib.logsumexp_rows(log_joint)


def _flag_reference(params: emlib.MixtureParams, X: Any, fraction: float) -> np.ndarray:
    scores = emlib.log_responsibilities(X, params)[1]  # = GaussianMixture.score_samples(X)
    return scores < np.percentile(scores, 100 * fraction)


def _max_responsibility(params: emlib.MixtureParams, X: Any) -> np.ndarray:
    return np.exp(emlib.log_responsibilities(X, params)[0]).max(axis=1)


@lru_cache(maxsize=1)
def _faithful_fit() -> emlib.MixtureParams:
    X = emlib.load_old_faithful().X
    return emlib.GaussianMixture(n_components=2, random_state=0).fit(X).params_


def _faithful_case(rng: np.random.Generator) -> dict[str, Any]:
    return {"params": _faithful_fit(), "X": emlib.load_old_faithful().X, "fraction": 0.02}


def _outliers_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_blobs(n_samples=100, random_state=4)
    outliers = np.array([[12.0, 12.0], [-12.0, 10.0], [0.0, -14.0], [15.0, -3.0], [-9.0, -9.0]])
    return {"params": data.params, "X": np.vstack([data.X, outliers]), "fraction": 0.03}


def _small_wide_component_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.9, 0.1], means=[[0.0], [0.5]], covariances=[[[0.2]], [[9.0]]]
    )
    X, _ = emlib.sample_mixture(params, 60, random_state=7)
    return {"params": params, "X": X, "fraction": 0.15}


def _random_anomaly_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d, n = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(30, 80))
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(scale=3.0, size=(k, d))
    factors = rng.normal(size=(k, d, d))
    covariances = factors @ factors.transpose(0, 2, 1) + 0.3 * np.eye(d)
    params = emlib.MixtureParams(weights, means, covariances, "full")
    z = rng.choice(k, size=n, p=weights)
    X = means[z] + 1.6 * rng.standard_normal((n, d))
    # a continuous fraction: 100 * fraction never lands exactly on a sample of the percentile
    return {"params": params, "X": X, "fraction": float(rng.uniform(0.03, 0.25))}


def _indices_not_mask(trial: Trial) -> bool:
    out = np.asarray(trial.output)
    expected = np.asarray(trial.expected, dtype=bool)
    return out.ndim == 1 and np.array_equal(out, np.flatnonzero(expected))


FLAG_ANOMALIES = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="flag_anomalies",
        title="Exercise 8.4: flagging anomalies",
        points=3,
        reference=_flag_reference,
        cases=[
            Case("Old Faithful, a 2-component fit, 2%", _faithful_case),
            Case("three blobs and five far outliers, 3%", _outliers_case),
            Case("1-D, a small but wide component, 15%", _small_wide_component_case),
            *random_cases(_random_anomaly_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                lambda params, X, fraction: (
                    _log_density(params, X)
                    > np.percentile(_log_density(params, X), 100 * (1 - fraction))
                ),
                name="flags-most-likely",
                hint="You flagged the points with the HIGHEST density, the most typical ones. "
                "Anomalies are the points the model finds least likely: the lowest scores "
                "log p(x_i), below the `100 * fraction` percentile.",
            ),
            dx.matches(
                lambda params, X, fraction: (
                    _log_density(params, X) > np.percentile(_log_density(params, X), 100 * fraction)
                ),
                name="threshold-wrong-side",
                hint="You flagged everything ABOVE the threshold, almost all the points. Flag the "
                "points whose score is below it: `scores < threshold`.",
            ),
            dx.matches(
                lambda params, X, fraction: (
                    _max_responsibility(params, X)
                    < np.percentile(_max_responsibility(params, X), 100 * fraction)
                ),
                name="uses-responsibilities",
                hint="You scored the points by their largest responsibility max_k γ_ik (what "
                "`predict_proba` gives). That measures how sure the model is about WHICH "
                "component a point belongs to, not how likely the point is: a point far from "
                "everything still has a responsibility of 1 for its nearest component. Score "
                "by the density log p(x_i | θ), what `score_samples` gives.",
            ),
            dx.matches(
                lambda params, X, fraction: (
                    _log_density(params, X) < np.percentile(_log_density(params, X), fraction)
                ),
                name="percent-not-fraction",
                hint="`np.percentile` takes a percentage between 0 and 100; `fraction` is "
                "between 0 and 1. Use `np.percentile(scores, 100 * fraction)`.",
            ),
            dx.matches(
                lambda params, X, fraction: (
                    _log_density(params, X, weights=False)
                    < np.percentile(_log_density(params, X, weights=False), 100 * fraction)
                ),
                name="no-weights",
                hint="Your density leaves out the mixing weights: "
                "p(x_i | θ) = Σ_k π_k N(x_i | μ_k, Σ_k); add `np.log(params.weights)` to the "
                "log densities before the log-sum-exp.",
            ),
            Diagnosis(
                "indices-not-mask",
                "You returned the indices of the flagged points. Return a boolean array of "
                "shape (N,) instead, True for the flagged points (e.g. `scores < threshold`).",
                _indices_not_mask,
            ),
        ],
        forbidden=("score_samples", "GaussianMixture"),
        wrong_answers=[
            WrongAnswer(
                "flags the highest scores",
                replace=[
                    (
                        "threshold = np.percentile(scores, 100 * fraction)\n"
                        "    return scores < threshold",
                        "threshold = np.percentile(scores, 100 * (1 - fraction))\n"
                        "    return scores > threshold",
                    )
                ],
                expect="flags-most-likely",
            ),
            WrongAnswer(
                "puts the threshold on the wrong side",
                replace=[("return scores < threshold", "return scores > threshold")],
                expect="threshold-wrong-side",
            ),
            WrongAnswer(
                "scores by the largest responsibility (predict_proba)",
                replace=[
                    (
                        "scores = logsumexp(log_joint, axis=1)",
                        "scores = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))"
                        ".max(axis=1)",
                    )
                ],
                expect="uses-responsibilities",
            ),
            WrongAnswer(
                "passes the fraction as a percentage",
                replace=[
                    ("np.percentile(scores, 100 * fraction)", "np.percentile(scores, fraction)")
                ],
                expect="percent-not-fraction",
            ),
        ],
    )
)

check_n_parameters = N_PARAMETERS.check
check_bic = BIC.check
check_best_k = BEST_K.check
check_flag_anomalies = FLAG_ANOMALIES.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch08")`` gives the numbers)."""
    show_score(ASSIGNMENT)
