"""Checks for the chapter 8 exercises (``exercises/08_choose_k_and_anomalies.ipynb``): choosing
K with BIC, and anomaly detection with the mixture's density.

* ``n_parameters(n_components, n_features, covariance_type)``: free parameters of a mixture;
* ``bic(log_likelihood, n_params, n_samples)``: the Bayesian information criterion;
* ``choose_k(mean_log_likelihoods, n_samples, n_features, covariance_type)``: the BIC of
  K = 1, 2, ... from the fits' mean log-likelihoods (``GaussianMixture.score``) and the K BIC
  picks;
* ``flag_anomalies(params, X, fraction)``: flag the ``fraction`` of points with the lowest
  log-density ``log p(x_i | θ)`` (what ``GaussianMixture.score_samples`` returns).

In the notebook::

    from emlib.check import ch08
    ch08.check_n_parameters(n_parameters)
    ch08.check_bic(bic)
    ch08.check_choose_k(choose_k)
    ch08.check_flag_anomalies(flag_anomalies)
    ch08.score()
"""

from __future__ import annotations

from functools import lru_cache
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
    fixed,
    random_cases,
    register,
    show_score,
)

__all__ = [
    "BIC",
    "CHOOSE_K",
    "FAITHFUL_FITS",
    "FLAG_ANOMALIES",
    "N_PARAMETERS",
    "check_bic",
    "check_choose_k",
    "check_flag_anomalies",
    "check_n_parameters",
    "score",
]

ASSIGNMENT = "ch08"


# --------------------------------------------------------------------------- 8.1 parameters


def _covariance_count(k: int, d: int, covariance_type: str, *, square: bool = False) -> int:
    """Covariance parameters; ``square=True`` counts a symmetric matrix as d² numbers."""
    matrix = d * d if square else d * (d + 1) // 2
    return {"full": k * matrix, "tied": matrix, "diag": k * d, "spherical": k}[covariance_type]


def _random_size_case(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "n_components": int(rng.integers(2, 9)),
        "n_features": int(rng.integers(2, 11)),
        "covariance_type": str(rng.choice(emlib.COVARIANCE_TYPES)),
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
        forbidden=("emlib.n_parameters", "emlib.bic", "sklearn.mixture.GaussianMixture"),
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
    """``-2 log p(X | θ) + n_θ log N``, the formula of :func:`emlib.bic` and ``gm.bic(X)``."""
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
                "+ n_θ log N. A better fit (higher log-likelihood) must LOWER the BIC.",
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
                hint="That is AIC's penalty, 2 n_θ. BIC charges log N per parameter: "
                "BIC = −2 log p(X | θ) + n_θ log N.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    -log_likelihood + n_params * np.log(n_samples)
                ),
                name="missing-factor-two",
                hint="The log-likelihood is multiplied by −2 in BIC: −2 log p(X | θ) + n_θ log N.",
            ),
            dx.matches(
                lambda log_likelihood, n_params, n_samples: (
                    log_likelihood - 0.5 * n_params * np.log(n_samples)
                ),
                name="higher-is-better-form",
                hint="You wrote BIC in its 'higher is better' form, log p(X | θ) − (n_θ/2) log N. "
                "This course, emlib and scikit-learn use −2 times that, "
                "−2 log p(X | θ) + n_θ log N, where LOWER is better.",
            ),
        ],
        forbidden=(
            "emlib.bic",
            "emlib.aic",
            "emlib.select_n_components",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)


# --------------------------------------------------------------------------- 8.3 choosing K

#: The fits of the Old Faithful case of exercise 8.3; the notebook uses the same settings.
FAITHFUL_FITS: dict[str, Any] = {"covariance_type": "diag", "n_init": 5, "random_state": 0}


def _bic_values(
    mean_log_likelihoods: Any,
    n_samples: Any,
    n_features: Any,
    covariance_type: Any,
    *,
    times_n: bool = True,
    count: Any = None,
) -> np.ndarray:
    """BIC of K = 1, 2, ... (``times_n=False`` and ``count``: for the mistakes)."""
    mll = np.asarray(mean_log_likelihoods, dtype=np.float64)
    n, d = int(n_samples), int(n_features)
    counter = count or emlib.n_parameters
    p = np.array([counter(k, d, str(covariance_type)) for k in range(1, len(mll) + 1)])
    return -2.0 * mll * (n if times_n else 1) + p * np.log(n)


def _choose_k(
    mean_log_likelihoods: Any, n_samples: Any, n_features: Any, covariance_type: Any
) -> tuple[np.ndarray, int]:
    """The reference: the BIC of each K and the K with the lowest (the first, if tied)."""
    values = _bic_values(mean_log_likelihoods, n_samples, n_features, covariance_type)
    return values, int(np.argmin(values)) + 1


@lru_cache(maxsize=1)
def _faithful_scores() -> tuple[float, ...]:
    X = emlib.load_old_faithful().X
    return tuple(
        emlib.GaussianMixture(n_components=k, **FAITHFUL_FITS).fit(X).score(X) for k in range(1, 7)
    )


def _faithful_k_case(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "mean_log_likelihoods": np.array(_faithful_scores()),
        "n_samples": 272,
        "n_features": 2,
        "covariance_type": "diag",
    }


def _random_k_case(rng: np.random.Generator) -> dict[str, Any]:
    """Mean log-likelihoods that rise with K, by less and less, from a random start."""
    k_max = int(rng.integers(3, 9))
    gains = np.sort(rng.exponential(0.4, size=k_max - 1))[::-1]
    return {
        "mean_log_likelihoods": rng.uniform(-8.0, 1.0) + np.concatenate([[0.0], np.cumsum(gains)]),
        "n_samples": int(rng.integers(50, 5000)),
        "n_features": int(rng.integers(1, 6)),
        "covariance_type": str(rng.choice(emlib.COVARIANCE_TYPES)),
    }


def _parameter_count_off(trial: Trial) -> str | bool:
    """Each BIC differs from the right one by a whole number of log N: the counts p are off."""
    bic_values = np.asarray(trial.output[0], dtype=np.float64)
    expected = np.asarray(trial.expected[0])
    if bic_values.shape != expected.shape or not np.isfinite(bic_values).all():
        return False
    steps = (bic_values - expected) / np.log(int(trial.inputs["n_samples"]))
    whole = np.round(steps)
    if not np.allclose(steps, whole, atol=1e-6) or not whole.any():
        return False
    k = int(np.flatnonzero(whole)[0]) + 1
    right = emlib.n_parameters(k, int(trial.inputs["n_features"]), trial.inputs["covariance_type"])
    return f"for K = {k} you count {right + int(whole[k - 1])} parameters; there are {right}"


def _picks(choose: Any) -> Any:
    """The BIC values are right and best_k is what ``choose(bic_values)`` gives (wrongly)."""

    def detect(trial: Trial) -> bool:
        values, expected_k = trial.expected
        got = trial.output[1]
        wrong = int(choose(np.asarray(values)))
        return (
            wrong != expected_k
            and np.allclose(np.asarray(trial.output[0], dtype=np.float64), values, rtol=1e-6)
            and float(got) == wrong
        )

    return detect


CHOOSE_K = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="choose_k",
        title="Exercise 8.3: choosing K with BIC",
        points=2,
        reference=_choose_k,
        cases=[
            Case("Old Faithful, diagonal covariances, K = 1 to 6", _faithful_k_case),
            fixed(
                "the best K is the first",
                mean_log_likelihoods=np.array([-2.0, -1.99, -1.985]),
                n_samples=400,
                n_features=3,
                covariance_type="full",
            ),
            fixed(
                "spherical components in one dimension",
                mean_log_likelihoods=np.array([-3.0, -2.2, -2.1, -2.09]),
                n_samples=1000,
                n_features=1,
                covariance_type="spherical",
            ),
            *random_cases(_random_k_case, seeds=(0, 1, 2), label="random log-likelihoods"),
        ],
        compare=cmp.close_each(["bic_scores", "best_k"], rtol=1e-6),
        diagnoses=[
            dx.matches(
                lambda mll, n, d, cov: (_bic_values(mll, n, d, cov, times_n=False), 0),
                name="mean-not-total",
                hint="Your BIC values use the mean log-likelihood per sample (what "
                "`GaussianMixture.score` returns) where BIC needs the total, "
                "log p(X | θ) = N × mean: multiply by `n_samples` first.",
                select=lambda out: out[0],
            ),
            Diagnosis(
                "parameter-count",
                "Your BIC values are off by a whole number of log N from the right ones: the "
                "numbers of free parameters n_θ are wrong. Count them with your `n_parameters` "
                "for this `covariance_type` and `n_features`.",
                _parameter_count_off,
            ),
            dx.matches(
                lambda mll, n, d, cov: (-_bic_values(mll, n, d, cov), 0),
                name="bic-sign",
                hint="Your BIC values have the wrong sign: BIC = −2 log p(X | θ) + n_θ log N, "
                "a positive penalty added to minus twice the log-likelihood.",
                select=lambda out: out[0],
            ),
            Diagnosis(
                "largest-bic",
                "Your BIC values are right, but you picked the K with the LARGEST BIC. Lower "
                "BIC is better: take the position of the minimum.",
                _picks(lambda values: int(np.argmax(values)) + 1),
            ),
            Diagnosis(
                "index-not-k",
                "Your BIC values are right, but `best_k` is the position of the smallest BIC "
                "(counted from 0), not K: the first value is K = 1, so add 1.",
                _picks(lambda values: int(np.argmin(values))),
            ),
        ],
        forbidden=(
            "emlib.bic",
            "emlib.n_parameters",
            "emlib.select_n_components",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)


# --------------------------------------------------------------------------- 8.4 anomalies


def _log_density(params: emlib.MixtureParams, X: Any, weights: bool = True) -> np.ndarray:
    """``log p(x_i | θ)`` (``weights=False``: the mistake that leaves out the weights)."""
    if weights:
        return emlib.logsumexp_rows(emlib.log_joint(X, params))
    return emlib.logsumexp_rows(emlib.component_log_densities(X, params))


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


def _underflow_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_blobs(n_samples=54, random_state=6)
    far = np.array(
        [[100.0, 0.0], [0.0, -100.0], [-100.0, 5.0], [90.0, 90.0], [-80.0, -85.0], [3.0, 120.0]]
    )
    return {"params": data.params, "X": np.vstack([data.X, far]), "fraction": 0.05}


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
            Case(
                "six points a hundred units away, whose density underflows to 0, 5%",
                _underflow_case,
            ),
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
                    np.exp(_log_density(params, X))
                    < np.percentile(np.exp(_log_density(params, X)), 100 * fraction)
                ),
                name="density-not-log",
                hint="You thresholded the density p(x_i | θ) itself. Far from every component "
                "it underflows to exactly 0, so the farthest points all tie at 0 and none of "
                "them falls below the threshold. Score and threshold the log-density "
                "log p(x_i | θ), the log-sum-exp of the log joint.",
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
        forbidden=(
            "emlib.log_responsibilities",
            "emlib.e_step",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)

check_n_parameters = N_PARAMETERS.check
check_bic = BIC.check
check_choose_k = CHOOSE_K.check
check_flag_anomalies = FLAG_ANOMALIES.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch08")`` gives the numbers)."""
    show_score(ASSIGNMENT)
