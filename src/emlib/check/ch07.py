"""Checks for the chapter 7 exercises (``exercises/07_elbo_identity.ipynb``): the ELBO identity.

* ``elbo(X, resp, params)``: the evidence lower bound L(q, θ) for ``q(z_i = k) = resp[i, k]``;
* ``kl_gap(X, resp, params)``: KL(q ‖ p(z | x, θ)), computed directly from the posterior;
* ``decomposition(X, params)``: the table of log p(X | θ), ELBO and KL after an E-step from
  ``params`` and after the M-step that follows it (KL from the student's own ``kl_gap``).

In the notebook::

    from emlib.check import ch07
    ch07.check_elbo(elbo)
    ch07.check_kl_gap(kl_gap)
    ch07.check_decomposition(decomposition)
    ch07.score()
"""

from __future__ import annotations

from typing import Any

import numpy as np

import emlib

from . import compare as cmp
from . import diagnoses as dx
from ._framework import (
    Case,
    Exercise,
    random_cases,
    register,
    show_score,
)

__all__ = [
    "DECOMPOSITION",
    "ELBO",
    "KL_GAP",
    "check_decomposition",
    "check_elbo",
    "check_kl_gap",
    "faithful_start",
    "score",
]

ASSIGNMENT = "ch07"


# --------------------------------------------------------------------------- shared pieces


def faithful_start() -> tuple[np.ndarray, emlib.MixtureParams]:
    """Old Faithful and the starting parameters of Chapter 7 (the notebook builds the same).

    Two components with equal weights, the first two eruptions as means and the covariance
    of the whole data set for both.
    """
    X = emlib.load_old_faithful().X
    start_cov = np.cov(X, rowvar=False)
    params = emlib.MixtureParams(
        weights=[0.5, 0.5], means=X[[0, 1]], covariances=np.stack([start_cov, start_cov])
    )
    return X, params


def _log_joint(X: Any, params: emlib.MixtureParams, weights: str = "log") -> np.ndarray:
    """``log pi_k + log N(x_i | mu_k, Sigma_k)``; ``weights`` "none" or "raw" for mistakes."""
    if weights == "none":
        return emlib.component_log_densities(X, params)
    if weights == "raw":
        return np.asarray(params.weights) + emlib.component_log_densities(X, params)
    return emlib.log_joint(X, params)


def _lse(a: np.ndarray) -> np.ndarray:
    top = a.max(axis=1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=1, keepdims=True))


def _sum_where_positive(resp: Any, values: np.ndarray) -> float:
    """``sum resp * values`` over the entries with ``resp > 0`` (0 log 0 = 0)."""
    resp = np.asarray(resp, dtype=np.float64)
    positive = resp > 0
    return float((resp[positive] * values[positive]).sum())


def _log_q(resp: Any) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(resp, dtype=np.float64))


def _wrong_elbo(
    X: Any, resp: Any, params: emlib.MixtureParams, *, entropy: float = -1.0, weights: str = "log"
) -> float:
    """The ELBO with a wrong entropy coefficient or wrong weights (for the diagnoses)."""
    log_joint = _log_joint(X, params, weights)
    return _sum_where_positive(resp, log_joint + entropy * _log_q(resp))


def _mixture_case(
    rng: np.random.Generator, k: int, d: int, n: int
) -> tuple[np.ndarray, emlib.MixtureParams]:
    weights = rng.dirichlet(np.full(k, 2.0))
    means = rng.normal(scale=3.0, size=(k, d))
    if rng.random() < 0.5:
        factors = rng.normal(size=(k, d, d))
        covariances = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(d)
        params = emlib.MixtureParams(weights, means, covariances, "full")
    else:
        params = emlib.MixtureParams(weights, means, rng.uniform(0.3, 2.0, size=(k, d)), "diag")
    z = rng.choice(k, size=n, p=weights)
    return means[z] + 1.5 * rng.standard_normal((n, d)), params


def _random_q_case(rng: np.random.Generator) -> dict[str, Any]:
    """A random mixture and a random q, with some exact zeros in q."""
    k, d, n = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(15, 40))
    X, params = _mixture_case(rng, k, d, n)
    resp = rng.dirichlet(np.full(k, 0.8), size=n)
    zero = rng.random((n, k)) < 0.3
    zero[np.arange(n), resp.argmax(axis=1)] = False  # every row keeps a positive entry
    resp[zero] = 0.0
    resp /= resp.sum(axis=1, keepdims=True)
    return {"X": X, "resp": resp, "params": params}


def _posterior_case(rng: np.random.Generator) -> dict[str, Any]:
    X, params = faithful_start()
    return {"X": X, "resp": emlib.e_step(X, params)[0], "params": params}


def _hard_q_case(rng: np.random.Generator) -> dict[str, Any]:
    X, params = faithful_start()
    X = X[::4]
    labels = emlib.e_step(X, params)[0].argmax(axis=1)
    return {"X": X, "resp": np.eye(2)[labels], "params": params}


def _uniform_q_case(rng: np.random.Generator) -> dict[str, Any]:
    data = emlib.make_overlapping(n_samples=40, random_state=3)
    k = data.params.n_components
    return {"X": data.X, "resp": np.full((40, k), 1.0 / k), "params": data.params}


def _far_points_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.7, 0.2, 0.1],
        means=[[0.0, 0.0], [2.0, 1.0], [-1.0, 2.0]],
        covariances=[
            [[1.0, 0.3], [0.3, 1.0]],
            [[0.5, 0.0], [0.0, 2.0]],
            [[1.5, -0.4], [-0.4, 0.8]],
        ],
    )
    X = np.array([[0.0, 0.0], [1.0, 1.0], [40.0, -30.0], [-60.0, 25.0], [250.0, 400.0]])
    resp = np.array(
        [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.1, 0.1, 0.8]]
    )
    return {"X": X, "resp": resp, "params": params}


def _one_dimensional_case(rng: np.random.Generator) -> dict[str, Any]:
    params = emlib.MixtureParams(
        weights=[0.8, 0.2], means=[[0.0], [1.0]], covariances=[[[1.0]], [[0.25]]]
    )
    X = np.array([[-2.0], [0.0], [0.5], [1.0], [3.0]])
    resp = np.array([[0.9, 0.1], [0.5, 0.5], [0.3, 0.7], [0.0, 1.0], [1.0, 0.0]])
    return {"X": X, "resp": resp, "params": params}


_CASES = [
    Case("Old Faithful, q = the E-step's responsibilities", _posterior_case),
    Case("Old Faithful, a hard (one-hot) q", _hard_q_case),
    Case("three overlapping clusters, a uniform q", _uniform_q_case),
    Case("points far from every centre", _far_points_case),
    Case("one dimension, unequal weights", _one_dimensional_case),
    *random_cases(_random_q_case, seeds=(0, 1, 2), label="random mixture and q"),
]

_ZERO_LOG_ZERO = (
    "You get NaN where q has zeros: 0 · log 0 is `0 * -inf = nan` in numpy, but the "
    "convention (and the limit of t log t as t → 0) is 0 · log 0 = 0. Sum only over the "
    "entries with γ_ik > 0, e.g. with a boolean mask `positive = resp > 0`."
)


def _elbo_unmasked(X: Any, resp: Any, params: emlib.MixtureParams) -> float:
    resp = np.asarray(resp, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float((resp * (_log_joint(X, params) - _log_q(resp))).sum())


# --------------------------------------------------------------------------- 7.1 the ELBO

ELBO = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="elbo",
        title="Exercise 7.1: the ELBO",
        points=3,
        reference=lambda X, resp, params: emlib.elbo(X, resp, params),
        cases=list(_CASES),
        diagnoses=[
            dx.matches(
                lambda X, resp, params: _wrong_elbo(X, resp, params, entropy=0.0),
                name="no-entropy",
                hint="You left out the entropy term −Σ_i Σ_k γ_ik log γ_ik. The ELBO is "
                "Σ_i Σ_k γ_ik [log π_k + log N(x_i | μ_k, Σ_k) − log γ_ik]: subtract log γ_ik "
                "inside the bracket.",
            ),
            dx.matches(
                lambda X, resp, params: _wrong_elbo(X, resp, params, entropy=+1.0),
                name="entropy-sign",
                hint="Your entropy term has the wrong sign: the bracket is "
                "log π_k + log N(x_i | μ_k, Σ_k) − log γ_ik, with a MINUS before log γ_ik.",
            ),
            dx.matches(
                lambda X, resp, params: _wrong_elbo(X, resp, params, weights="none"),
                name="no-weights",
                rtol=1e-9,  # far from the centres the weights change the ELBO by little
                hint="You left out the mixing weights: the bracket needs log π_k, "
                "`np.log(params.weights)`, added to the log densities.",
            ),
            dx.matches(
                lambda X, resp, params: _wrong_elbo(X, resp, params, weights="raw"),
                name="weights-not-logged",
                rtol=1e-9,
                hint="You added the weights π_k to the log densities; the ELBO needs their "
                "logarithms, `np.log(params.weights)`.",
            ),
            dx.matches(
                lambda X, resp, params: emlib.elbo(X, resp, params) / len(X),
                name="mean-not-sum",
                hint="You returned the ELBO per sample (a mean). Return the total, the sum "
                "over all N samples, like log p(X | θ).",
            ),
            dx.matches(_elbo_unmasked, name="zero-log-zero", hint=_ZERO_LOG_ZERO),
        ],
        forbidden=(
            "emlib.elbo",
            "emlib.elbo_decomposition",
            "emlib.kl_divergence",
            "emlib.log_likelihood",
        ),
        avoid=("kl_gap",),
    )
)


# --------------------------------------------------------------------------- 7.2 the KL gap


def _log_posterior(X: Any, params: emlib.MixtureParams, weights: str = "log") -> np.ndarray:
    log_joint = _log_joint(X, params, weights)
    return log_joint - _lse(log_joint)


def _kl_swapped(X: Any, resp: Any, params: emlib.MixtureParams) -> float:
    """KL(p(z | x) || q) as numpy computes it: +inf or NaN where q has zeros."""
    log_post = _log_posterior(X, params)
    with np.errstate(all="ignore"):
        return float((np.exp(log_post) * (log_post - _log_q(resp))).sum())


def _kl_unmasked(X: Any, resp: Any, params: emlib.MixtureParams) -> float:
    """The KL without leaving out the zeros of q: 0 · log 0 = nan."""
    resp = np.asarray(resp, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float((resp * (_log_q(resp) - _log_posterior(X, params))).sum())


def _kl_linear_posterior(X: Any, resp: Any, params: emlib.MixtureParams) -> float:
    """The posterior normalised in linear space, then logged: -inf where it underflows."""
    with np.errstate(all="ignore"):
        joint = np.exp(_log_joint(X, params))
        log_post = np.log(joint / joint.sum(axis=1, keepdims=True))
    return _sum_where_positive(resp, _log_q(resp) - log_post)


def _kl_from(log_post: np.ndarray, resp: Any, sign: float = 1.0) -> float:
    return sign * _sum_where_positive(resp, _log_q(resp) - log_post)


KL_GAP = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="kl_gap",
        title="Exercise 7.2: the KL gap",
        points=2,
        reference=lambda X, resp, params: emlib.kl_divergence(X, resp, params),
        cases=list(_CASES),
        diagnoses=[
            dx.matches(
                _kl_swapped,
                name="arguments-swapped",
                hint="You computed KL(p(z | x, θ) ‖ q), with the arguments swapped. The gap is "
                "KL(q ‖ p(z | x, θ)) = Σ_i Σ_k γ_ik [log γ_ik − log p(z_i = k | x_i, θ)]: the "
                "weights of the sum are q's, γ_ik. (KL is not symmetric, and the swapped one is "
                "infinite where γ_ik = 0.)",
            ),
            dx.matches(
                lambda X, resp, params: _kl_from(_log_joint(X, params), resp),
                name="posterior-not-normalised",
                hint="You used the log joint log π_k + log N(x_i | μ_k, Σ_k) where the "
                "log POSTERIOR is needed: log p(z_i = k | x_i, θ) = log joint − log p(x_i | θ), "
                "where log p(x_i | θ) is the log-sum-exp of row i of the log joint.",
            ),
            dx.matches(
                lambda X, resp, params: _kl_from(_log_posterior(X, params), resp, sign=-1.0),
                name="wrong-sign",
                hint="Your KL has the wrong sign: it is Σ γ_ik [log γ_ik − log p(z_i = k | x_i)], "
                "which is never negative.",
            ),
            dx.matches(
                lambda X, resp, params: _kl_from(_log_posterior(X, params, "none"), resp),
                name="no-weights",
                hint="Your posterior leaves out the mixing weights: the log joint is "
                "log π_k + log N(x_i | μ_k, Σ_k), with `np.log(params.weights)`.",
            ),
            dx.matches(_kl_unmasked, name="zero-log-zero", hint=_ZERO_LOG_ZERO),
            dx.matches(
                _kl_linear_posterior,
                name="posterior-underflow",
                hint="Far from every centre π_k N(x_i | μ_k, Σ_k) underflows to 0, so a "
                "posterior normalised with `np.exp` is 0/0 or 0 there and its log is −inf or "
                "NaN. Compute the log posterior in log space: the log joint minus its "
                "row-wise log-sum-exp.",
            ),
        ],
        forbidden=(
            "emlib.kl_divergence",
            "emlib.elbo_decomposition",
            "emlib.elbo",
            "emlib.log_likelihood",
            "emlib.e_step",
            "emlib.log_responsibilities",
        ),
        avoid=("elbo",),
    )
)


# --------------------------------------------------------------------------- 7.3 the identity


def _half_steps(X: Any, params: emlib.MixtureParams):
    """``resp`` (the E-step of ``params``) and ``params1`` (the M-step of ``resp``)."""
    resp = emlib.e_step(X, params)[0]
    return resp, emlib.m_step(X, resp)


def _table(rows: Any) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in rows])


def _decomposition(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    """The reference: ``[log p, ELBO, KL]`` after the E-step and after the M-step."""
    resp, params1 = _half_steps(X, params)
    return _table(
        [emlib.elbo_decomposition(X, resp, params), emlib.elbo_decomposition(X, resp, params1)]
    )


def _recomputed_responsibilities(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    resp, params1 = _half_steps(X, params)
    resp1 = emlib.e_step(X, params1)[0]
    return _table(
        [emlib.elbo_decomposition(X, resp, params), emlib.elbo_decomposition(X, resp1, params1)]
    )


def _parameters_not_updated(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    resp, _ = _half_steps(X, params)
    row = emlib.elbo_decomposition(X, resp, params)
    return _table([row, row])


def _old_log_likelihood(X: Any, params: emlib.MixtureParams) -> np.ndarray:
    resp, params1 = _half_steps(X, params)
    old = emlib.log_likelihood(X, params)
    return _table(
        [
            emlib.elbo_decomposition(X, resp, params),
            (old, emlib.elbo(X, resp, params1), emlib.kl_divergence(X, resp, params1)),
        ]
    )


def _random_start_case(rng: np.random.Generator) -> dict[str, Any]:
    k, d, n = int(rng.integers(2, 5)), int(rng.integers(1, 4)), int(rng.integers(25, 60))
    X, params = _mixture_case(rng, k, d, n)
    return {"X": X, "params": params}


def _faithful_case(rng: np.random.Generator) -> dict[str, Any]:
    X, params = faithful_start()
    return {"X": X, "params": params}


def _one_component_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_blobs(n_samples=30, random_state=5).X
    params = emlib.MixtureParams([1.0], X[:1], np.eye(2)[None])
    return {"X": X, "params": params}


def _far_start_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_overlapping(n_samples=40, random_state=3).X
    X = np.vstack([X, [[100.0, -100.0], [-120.0, 90.0]]])
    params = emlib.MixtureParams(
        [0.5, 0.3, 0.2], X[[0, 1, 2]], np.tile(np.eye(2), (3, 1, 1)), "full"
    )
    return {"X": X, "params": params}


DECOMPOSITION = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="decomposition",
        title="Exercise 7.3: the identity after an E-step and an M-step",
        points=2,
        reference=_decomposition,
        cases=[
            Case("Old Faithful, the starting parameters of Chapter 7", _faithful_case),
            Case(
                "one component (K = 1)",
                _one_component_case,
                special="there is a single component (KL = 0 in both rows)",
                focus="look at the rows after the M-step, where q is not the posterior",
            ),
            Case("points a hundred units from every mean", _far_start_case),
            *random_cases(_random_start_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        compare=cmp.close(rtol=1e-6, atol=1e-7, name="your table"),
        diagnoses=[
            dx.matches(
                _recomputed_responsibilities,
                name="responsibilities-recomputed",
                hint="Your second row has a KL of (almost) zero: you recomputed the "
                "responsibilities for the new parameters. After the M-step, q is still the "
                "responsibilities of the E-step, computed with the OLD parameters; that is why "
                "a gap opens. Use the same `resp` in both rows.",
            ),
            dx.matches(
                _parameters_not_updated,
                name="parameters-not-updated",
                hint="Your second row equals the first: it uses the parameters from before the "
                "M-step. Compute `params1 = m_step(X, resp)` and use it for all three numbers "
                "of the second row.",
            ),
            dx.matches(
                _old_log_likelihood,
                name="old-log-likelihood",
                hint="The first number of your second row is log p(X | θ) of the OLD "
                "parameters. After the M-step, compute the log-likelihood with the new "
                "parameters, `log_likelihood(X, params1)`.",
            ),
        ],
        forbidden=("emlib.elbo", "emlib.kl_divergence", "emlib.elbo_decomposition"),
        require=("kl_gap",),
    )
)

check_elbo = ELBO.check
check_kl_gap = KL_GAP.check
check_decomposition = DECOMPOSITION.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch07")`` gives the numbers)."""
    show_score(ASSIGNMENT)
