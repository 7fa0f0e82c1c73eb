"""Checks for the chapter 9 exercises (``exercises/09_bernoulli_mixture.ipynb``).

* ``e_step_bernoulli(X, weights, probs)``: responsibilities of a Bernoulli mixture, in log space;
* ``m_step_bernoulli(X, resp, pseudocount)``: its M-step, ``(weights, probs)``.

In the notebook::

    from emlib.check import ch09
    ch09.check_e_step_bernoulli(e_step_bernoulli)
    ch09.check_m_step_bernoulli(m_step_bernoulli)
    ch09.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import compare as cmp
from . import diagnoses as dx
from ._framework import Case, Exercise, random_cases, register, show_score

__all__ = [
    "E_STEP_BERNOULLI",
    "M_STEP_BERNOULLI",
    "check_e_step_bernoulli",
    "check_m_step_bernoulli",
    "score",
]

ASSIGNMENT = "ch09"


def _params(weights: Any, probs: Any) -> emlib.BernoulliMixtureParams:
    return emlib.BernoulliMixtureParams(weights=weights, probs=probs)


def _softmax_rows(log_values: np.ndarray, axis: int = 1) -> np.ndarray:
    top = log_values.max(axis=axis, keepdims=True)
    shifted = np.exp(log_values - top)
    return shifted / shifted.sum(axis=axis, keepdims=True)


def _log_joint(X: Any, weights: Any, probs: Any) -> np.ndarray:
    return emlib.bernoulli_log_joint(X, _params(weights, probs))


def _binary(rng: np.random.Generator, n: int, d: int, p: float = 0.4) -> np.ndarray:
    return (rng.random((n, d)) < p).astype(float)


# --------------------------------------------------------------------------- 9.1 E-step


def _random_e_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d, n = int(rng.integers(2, 5)), int(rng.integers(3, 12)), int(rng.integers(8, 30))
    return {
        "X": _binary(rng, n, d),
        "weights": rng.dirichlet(np.full(k, 1.5)),
        "probs": rng.uniform(0.05, 0.95, size=(k, d)),
    }


def _many_features_case(rng: np.random.Generator) -> dict[str, Any]:
    # 3000 features: every joint probability underflows to 0 in plain arithmetic.
    probs = np.vstack([np.full(3000, 0.3), np.full(3000, 0.5), np.full(3000, 0.7)])
    X = np.vstack([rng.random(3000) < p for p in (0.3, 0.5, 0.7, 0.52)]).astype(float)
    return {"X": X, "weights": np.array([0.2, 0.5, 0.3]), "probs": probs}


def _one_component_case(rng: np.random.Generator) -> dict[str, Any]:
    return {"X": _binary(rng, 6, 5), "weights": np.array([1.0]), "probs": np.full((1, 5), 0.3)}


def _equal_weights_case(rng: np.random.Generator) -> dict[str, Any]:
    case = _random_e_case(np.random.default_rng(7))
    k = len(case["weights"])
    case["weights"] = np.full(k, 1.0 / k)
    return case


def _two_coins_case(rng: np.random.Generator) -> dict[str, Any]:
    heads = [5, 9, 8, 4, 7]
    X = np.array([[1.0] * h + [0.0] * (10 - h) for h in heads])
    return {"X": X, "weights": np.array([0.3, 0.7]), "probs": np.array([[0.6] * 10, [0.5] * 10])}


def _no_complement(X: Any, weights: Any, probs: Any) -> np.ndarray:
    return _softmax_rows(np.log(weights) + np.asarray(X) @ np.log(probs).T)


E_STEP_BERNOULLI = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="e_step_bernoulli",
        title="Exercise 9.1: the E-step of a Bernoulli mixture",
        points=3,
        reference=lambda X, weights, probs: emlib.bernoulli_e_step(X, _params(weights, probs))[0],
        cases=[
            Case("two coins, unequal weights", _two_coins_case),
            Case(
                "one component",
                _one_component_case,
                special="there is a single component",
                focus="look at how the features' probabilities θ_kj enter the log joint",
            ),
            Case(
                "equal weights",
                _equal_weights_case,
                special="all the weights are equal",
                focus="look at how π_k enters",
            ),
            Case("3000 features: the product of probabilities underflows", _many_features_case),
            *random_cases(_random_e_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                lambda X, weights, probs: _softmax_rows(
                    _log_joint(X, weights, probs) - np.log(weights)
                ),
                name="no-weights",
                hint="Your responsibilities leave out the mixing weights π_k: add "
                "`np.log(weights)` to each row of the log joint before normalising.",
            ),
            dx.matches(
                lambda X, weights, probs: _softmax_rows(
                    _log_joint(X, weights, probs) - np.log(weights) + weights
                ),
                name="weights-not-logged",
                hint="You added the weights π_k themselves; in log space add `np.log(weights)`.",
            ),
            dx.matches(
                _no_complement,
                name="zeros-ignored",
                hint="Your log joint only counts the features that are 1 (x log θ). A 0 has "
                "probability 1 − θ: add (1 − x) log(1 − θ), e.g. `(1 - X) @ np.log1p(-probs).T`.",
            ),
            dx.matches(
                lambda X, weights, probs: (
                    _log_joint(X, weights, probs)
                    - emlib.logsumexp_rows(_log_joint(X, weights, probs))[:, None]
                ),
                name="log-responsibilities",
                hint="These are the logarithms of the responsibilities: apply `np.exp` before "
                "returning them.",
            ),
            dx.matches(
                lambda X, weights, probs: _softmax_rows(_log_joint(X, weights, probs), axis=0),
                name="normalised-over-points",
                hint="You normalised each column, over the data points (axis=0). For each point "
                "the responsibilities are a distribution over the K components: normalise each "
                "row (axis=1).",
            ),
            dx.rows_not_normalised(
                hint="Each row of the responsibilities must sum to 1: subtract each row's "
                "log-sum-exp from the log joint before exponentiating.",
            ),
            dx.non_finite(
                name="underflow",
                hint="NaN with many features: the product of thousands of probabilities "
                "underflows to 0 for every component, and you compute 0/0. Stay in log space: "
                "a sum of logs, then subtract each row's log-sum-exp before exponentiating.",
            ),
        ],
        forbidden=(
            "emlib.bernoulli_e_step",
            "emlib.bernoulli_log_joint",
            "emlib.bernoulli_log_likelihood",
            "emlib.bernoulli_em",
        ),
    )
)


# --------------------------------------------------------------------------- 9.2 M-step


def _random_m_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d, n = int(rng.integers(2, 5)), int(rng.integers(3, 12)), int(rng.integers(10, 40))
    return {
        "X": _binary(rng, n, d),
        "resp": rng.dirichlet(np.ones(k), size=n),
        "pseudocount": float(rng.choice([0.0, 0.01, 1.0])),
    }


def _hard_case(rng: np.random.Generator) -> dict[str, Any]:
    X = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 1], [0, 0, 1]], dtype=float)
    resp = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)
    return {"X": X, "resp": resp, "pseudocount": 0.0}


def _smoothed_case(rng: np.random.Generator) -> dict[str, Any]:
    case = _hard_case(rng)
    case["pseudocount"] = 0.5
    return case


def _m_reference(X: Any, resp: Any, pseudocount: Any) -> tuple[np.ndarray, np.ndarray]:
    params = emlib.bernoulli_m_step(X, resp, pseudocount=pseudocount)
    return params.weights, params.probs


def _m_variant(X: Any, resp: Any, pseudocount: Any, *, denominator, weights_scale=None):
    X, resp = np.asarray(X, dtype=float), np.asarray(resp, dtype=float)
    nk = resp.sum(axis=0)
    probs = (resp.T @ X + pseudocount) / denominator(nk, len(X), pseudocount)[:, None]
    weights = nk / len(X) if weights_scale is None else nk * weights_scale
    return weights, probs


M_STEP_BERNOULLI = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="m_step_bernoulli",
        title="Exercise 9.2: the M-step of a Bernoulli mixture",
        points=3,
        reference=_m_reference,
        cases=[
            Case(
                "hard responsibilities, no pseudocount",
                _hard_case,
                special="the responsibilities are 0 or 1 and there is no pseudocount",
                focus="look at the pseudocount a",
            ),
            Case("hard responsibilities, pseudocount 0.5", _smoothed_case),
            *random_cases(_random_m_case, seeds=(0, 1, 2), label="random responsibilities"),
        ],
        compare=cmp.close_each(["weights", "probs"]),
        diagnoses=[
            dx.matches(
                lambda X, resp, pseudocount: _m_variant(
                    X, resp, pseudocount, denominator=lambda nk, n, a: np.full_like(nk, n) + 2 * a
                ),
                name="divides-by-n",
                hint="θ_kj divides by N, the number of points; divide by N_k = Σ_i γ_ik (plus "
                "2a), the points component k is responsible for.",
                select=lambda out: out[1],
            ),
            dx.matches(
                lambda X, resp, pseudocount: _m_variant(
                    X, resp, pseudocount, denominator=lambda nk, n, a: nk + a
                ),
                name="pseudocount-once",
                hint="The pseudocount adds a imagined ones AND a imagined zeros, so the "
                "denominator is N_k + 2a, not N_k + a.",
                select=lambda out: out[1],
            ),
            dx.matches(
                lambda X, resp, pseudocount: _m_variant(
                    X, resp, 0.0, denominator=lambda nk, n, a: nk
                ),
                name="no-pseudocount",
                hint="Your θ_kj ignores the pseudocount a: add a to the weighted count of ones "
                "and 2a to N_k.",
                select=lambda out: out[1],
            ),
            dx.matches(
                lambda X, resp, pseudocount: _m_variant(
                    X, resp, pseudocount, denominator=lambda nk, n, a: nk + 2 * a, weights_scale=1.0
                ),
                name="weights-not-normalised",
                hint="Your weights are N_k; the mixing weights are π_k = N_k / N and sum to 1.",
                select=lambda out: out[0],
            ),
        ],
        forbidden=("emlib.bernoulli_m_step", "emlib.bernoulli_em"),
    )
)

check_e_step_bernoulli = E_STEP_BERNOULLI.check
check_m_step_bernoulli = M_STEP_BERNOULLI.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch09")`` gives the numbers)."""
    show_score(ASSIGNMENT)
