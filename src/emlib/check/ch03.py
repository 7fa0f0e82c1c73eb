"""Checks for the chapter 3 exercises (``exercises/03_responsibilities.ipynb``): the E-step.

* ``log_sum_exp(a)``: row-wise log-sum-exp of an ``(n, K)`` array, without overflow;
* ``responsibilities(X, params)``: the E-step's responsibilities, computed in log space.

In the notebook::

    from emlib.check import ch03
    ch03.check_log_sum_exp(log_sum_exp)
    ch03.check_responsibilities(responsibilities)
    ch03.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import diagnoses as dx
from ._framework import Case, Exercise, fixed, random_cases, register, show_score

__all__ = [
    "LOG_SUM_EXP",
    "RESPONSIBILITIES",
    "check_log_sum_exp",
    "check_responsibilities",
    "score",
]

ASSIGNMENT = "ch03"


def _lse(a: Any, axis: int = 1, keepdims: bool = False) -> np.ndarray:
    """A correct log-sum-exp along any axis (to express the wrong-axis mistakes)."""
    a = np.asarray(a, dtype=np.float64)
    top = a.max(axis=axis, keepdims=True)
    out = top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


# --------------------------------------------------------------------------- 3.1 log-sum-exp


def _random_log_values(rng: np.random.Generator) -> dict[str, Any]:
    n, k = int(rng.integers(4, 12)), int(rng.integers(2, 6))
    scale = 10 ** rng.uniform(0, 2.5)  # spread from 1 to about 300
    offset = rng.uniform(-900, 900)  # far enough from 0 that exp() over- or underflows
    return {"a": offset + scale * rng.standard_normal((n, k))}


def _naive_max_not_added(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.log(np.exp(a - a.max(axis=1, keepdims=True)).sum(axis=1))


def _row_mean_shift(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    centre = a.mean(axis=1, keepdims=True)
    with np.errstate(over="ignore", divide="ignore"):
        return centre[:, 0] + np.log(np.exp(a - centre).sum(axis=1))


def _global_max(a: Any) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.max() + np.log(np.exp(a - a.max()).sum(axis=1))


LOG_SUM_EXP = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="log_sum_exp",
        title="Exercise 3.1: log-sum-exp",
        points=2,
        reference=lambda a: emlib.logsumexp_rows(np.asarray(a, dtype=np.float64)),
        cases=[
            fixed(
                "small numbers",
                a=np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [-1.0, 0.5, 2.0], [0.0, -2.0, 4.0]]),
            ),
            fixed(
                "large numbers, where exp overflows",
                a=np.array([[1000.0, 1001.0, 999.0], [710.0, 700.0, 705.0]]),
            ),
            fixed(
                "very negative numbers, where exp underflows",
                a=np.array([[-1000.0, -1001.0, -1002.0], [-800.0, -750.0, -760.0]]),
            ),
            fixed(
                "rows on very different scales",
                a=np.array(
                    [[0.0, 1.0, 2.0], [-2000.0, -2001.0, -1999.0], [3000.0, 2999.0, 2998.0]]
                ),
            ),
            fixed("a single column", a=np.array([[1.5], [-3.0], [700.0]])),
            fixed(
                "rows spread over a thousand nats",
                a=np.array([[0.0, 1500.0], [-1200.0, 0.0], [3.0, -2000.0]]),
            ),
            *random_cases(_random_log_values, seeds=(0, 1, 2), label="random numbers"),
        ],
        diagnoses=[
            dx.matches(
                _row_mean_shift,
                name="shifted-by-the-mean",
                hint="You shift each row by its mean. On a row spread over more than about "
                "1400 nats, such as [0, 1500], exp(a − mean) still overflows (or every term "
                "underflows). Shift by the row MAXIMUM m: then the largest term is "
                "exp(0) = 1, nothing overflows, and m + log Σ_k exp(a_k − m) is exact.",
            ),
            dx.matches(
                _naive_max_not_added,
                name="max-not-added-back",
                hint="You subtract the row maximum m before `exp` but never add it back: "
                "log Σ_k exp(a_k) = m + log Σ_k exp(a_k − m).",
            ),
            dx.matches(
                _global_max,
                name="global-max",
                hint="You subtract the maximum of the whole array, so rows far below it still "
                "underflow to log 0 = -inf. Subtract each row's own maximum: "
                "`a.max(axis=1, keepdims=True)`.",
            ),
            dx.matches(
                lambda a: _lse(a, axis=0),
                name="wrong-axis",
                hint="You summed down the columns (axis=0). Log-sum-exp runs over the K entries "
                "of each row (axis=1) and gives one number per row.",
            ),
            dx.matches(
                lambda a: _lse(a, axis=1, keepdims=True),
                name="kept-dims",
                hint="Your values are right but your result has shape (n, 1); return a 1-D array "
                "of shape (n,), e.g. with `keepdims=False` or by indexing `[:, 0]`.",
            ),
            dx.non_finite(
                name="overflow",
                hint="`exp` overflows to inf for numbers above about 709 and underflows to 0 "
                "(then log 0 = -inf) below about -745. Subtract each row's maximum before `exp` "
                "and add it back after the `log`.",
            ),
        ],
        forbidden=("scipy.special.logsumexp", "emlib.logsumexp_rows"),
    )
)


# --------------------------------------------------------------------------- 3.2 responsibilities


def _softmax_rows(log_values: np.ndarray, axis: int = 1) -> np.ndarray:
    return np.exp(log_values - _lse(log_values, axis=axis, keepdims=True))


def _log_joint(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    return emlib.log_joint(X, params)


def _overlapping_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_overlapping(n_samples=40, random_state=3)
    return {"X": data.X, "params": data.params}


def _one_dimensional_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.8, 0.2], means=[[0.0], [1.0]], covariances=[[[1.0]], [[0.25]]]
    )
    return {"X": np.array([[-2.0], [0.0], [0.5], [1.0], [3.0]]), "params": params}


def _equal_weights_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.5, 0.5], means=[[0.0], [1.0]], covariances=[[[1.0]], [[0.25]]]
    )
    return {"X": np.array([[-2.0], [0.0], [0.5], [1.0], [3.0]]), "params": params}


def _far_points_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.5, 0.3, 0.2],
        means=[[0.0, 0.0], [2.0, 1.0], [-1.0, 2.0]],
        covariances=[
            [[1.0, 0.3], [0.3, 1.0]],
            [[0.5, 0.0], [0.0, 2.0]],
            [[1.5, -0.4], [-0.4, 0.8]],
        ],
    )
    X = np.array([[0.0, 0.0], [1.0, 1.0], [40.0, -30.0], [-60.0, 25.0], [250.0, 400.0]])
    return {"X": X, "params": params}


def _random_mixture_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d = int(rng.integers(2, 5)), int(rng.integers(1, 4))
    n = int(rng.integers(15, 40))
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(scale=3.0, size=(k, d))
    if rng.random() < 0.5:
        factors = rng.normal(size=(k, d, d))
        covariances = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
        covariance_type = "full"
    else:
        covariances = rng.uniform(0.3, 2.0, size=(k, d))
        covariance_type = "diag"
    params = emlib.MixtureParams(weights, means, covariances, covariance_type)
    z = rng.choice(k, size=n, p=weights)
    X = means[z] + 1.5 * rng.standard_normal((n, d))
    return {"X": X, "params": params}


RESPONSIBILITIES = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="responsibilities",
        title="Exercise 3.2: responsibilities",
        points=3,
        reference=lambda X, params: emlib.e_step(X, params)[0],
        cases=[
            Case(
                "two components in 1-D with equal weights",
                _equal_weights_case,
                special="all the weights are equal",
                focus="look at how π_k enters",
            ),
            Case("two components in 1-D with unequal weights", _one_dimensional_case),
            Case("overlapping clusters in 2-D", _overlapping_case),
            Case("points far from every centre", _far_points_case),
            *random_cases(_random_mixture_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                lambda X, params: _softmax_rows(emlib.component_log_densities(X, params)),
                name="no-weights",
                hint="Your responsibilities leave out the mixing weights π_k. Bayes' rule "
                "multiplies each density by its prior π_k: add `np.log(params.weights)` to the "
                "log densities before normalising.",
            ),
            dx.matches(
                lambda X, params: _softmax_rows(
                    params.weights + emlib.component_log_densities(X, params)
                ),
                name="weights-not-logged",
                hint="You added the weights π_k to the log densities; in log space you must add "
                "their logarithms, `np.log(params.weights)`.",
            ),
            dx.matches(
                lambda X, params: (
                    _log_joint(X, params) - _lse(_log_joint(X, params), keepdims=True)
                ),
                name="log-responsibilities",
                hint="These are the logarithms of the responsibilities: apply `np.exp` before "
                "returning them.",
            ),
            dx.matches(
                lambda X, params: _softmax_rows(_log_joint(X, params), axis=0),
                name="normalised-over-points",
                hint="You normalised each column, over the data points (axis=0). For each point, "
                "the responsibilities are a distribution over the K components: normalise each "
                "row (axis=1).",
            ),
            dx.rows_not_normalised(
                hint="Each row of the responsibilities must sum to 1. Divide π_k N(x_i | μ_k, Σ_k) "
                "by its sum over k; in log space, subtract `log_sum_exp(log_joint)[:, None]` "
                "before exponentiating.",
            ),
            dx.non_finite(
                name="underflow",
                hint="NaN for points far from every centre: there every π_k N(x_i | μ_k, Σ_k) "
                "underflows to 0 and you compute 0/0. Stay in log space: subtract each row's "
                "log-sum-exp from the log joint, then exponentiate.",
            ),
        ],
        forbidden=(
            "emlib.e_step",
            "emlib.log_responsibilities",
            "emlib.em_iteration",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)

check_log_sum_exp = LOG_SUM_EXP.check
check_responsibilities = RESPONSIBILITIES.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch03")`` gives the numbers)."""
    show_score(ASSIGNMENT)
