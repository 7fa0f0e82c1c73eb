"""Checks for the chapter 1 exercises (``exercises/01_sample_a_mixture.ipynb``): the mixture
model as a recipe that makes data.

* ``mixture_pdf(x, weights, means, stds)``: the density of a 1-D Gaussian mixture;
* ``sample_components(u, weights)``: turn uniform numbers into component labels through the
  cumulative weights (step 1 of the generative story);
* ``sample_mixture_1d(n_samples, weights, means, stds, seed)``: both steps of the story,
  checked statistically against :func:`emlib.sample_mixture`.

In the notebook::

    from emlib.check import ch01
    ch01.check_mixture_pdf(mixture_pdf)
    ch01.check_sample_components(sample_components)
    ch01.check_sample_mixture_1d(sample_mixture_1d)
    ch01.score()
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import emlib

from . import diagnoses as dx
from ._codec import same_value
from ._framework import (
    Diagnosis,
    Exercise,
    Trial,
    fixed,
    random_cases,
    register,
    show_score,
)
from .compare import Mismatch, compare_arrays

__all__ = [
    "MIXTURE_PDF",
    "SAMPLE_COMPONENTS",
    "SAMPLE_MIXTURE_1D",
    "check_mixture_pdf",
    "check_sample_components",
    "check_sample_mixture_1d",
    "score",
]

ASSIGNMENT = "ch01"


def _floats(*arrays: Any) -> list[np.ndarray]:
    return [np.asarray(a, dtype=np.float64) for a in arrays]


def _params_1d(weights: Any, means: Any, stds: Any) -> emlib.MixtureParams:
    """A 1-D mixture as :class:`emlib.MixtureParams` (one variance per component)."""
    weights, means, stds = _floats(weights, means, stds)
    return emlib.MixtureParams(weights, means.reshape(-1, 1), stds**2, "spherical")


def _random_mixture_1d(rng: np.random.Generator) -> dict[str, np.ndarray]:
    k = int(rng.integers(2, 5))
    return {
        "weights": rng.dirichlet(np.full(k, 3.0)),
        "means": np.sort(rng.normal(scale=4.0, size=k)),
        "stds": rng.uniform(0.3, 2.5, size=k),
    }


# --------------------------------------------------------------------------- 1.1 the density


def _mixture_pdf(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    """The reference: ``sum_k pi_k N(x | mu_k, sigma_k^2)``, from emlib's log-densities."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    return np.exp(emlib.log_responsibilities(x, _params_1d(weights, means, stds))[1])


def _component_densities(x: Any, means: Any, variances: Any) -> np.ndarray:
    """``N(x_i | mu_k, variance_k)`` as an ``(n, K)`` array (to write the mistakes)."""
    x, means, variances = _floats(x, means, variances)
    diff = x[:, None] - means[None, :]
    return np.exp(-0.5 * diff**2 / variances) / np.sqrt(2 * np.pi * variances)


# The mistakes, written as code: (x, weights, means, stds) -> what the wrong answer returns.
def _weighted_components(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    return _component_densities(x, means, np.square(stds)) * np.asarray(weights)


def _no_weights(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    return _component_densities(x, means, np.square(stds)).sum(axis=1)


def _equal_weights(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    return _component_densities(x, means, np.square(stds)).mean(axis=1)


def _std_as_variance(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    return _component_densities(x, means, stds) @ np.asarray(weights)


def _squared_twice(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    return _component_densities(x, means, np.power(stds, 4)) @ np.asarray(weights)


def _missing_normaliser(x: Any, weights: Any, means: Any, stds: Any) -> np.ndarray:
    scale = np.sqrt(2 * np.pi) * np.asarray(stds, dtype=np.float64)
    return (_component_densities(x, means, np.square(stds)) * scale) @ np.asarray(weights)


def _random_pdf_case(rng: np.random.Generator) -> dict[str, np.ndarray]:
    mixture = _random_mixture_1d(rng)
    x = np.sort(rng.uniform(-10.0, 10.0, size=int(rng.integers(8, 30))))
    return {"x": x, **mixture}


MIXTURE_PDF = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="mixture_pdf",
        title="Exercise 1.1: the mixture density",
        points=2,
        reference=_mixture_pdf,
        cases=[
            fixed(
                "one standard normal component",
                special="there is a single standard normal component, N(x | 0, 1)",
                focus="look at how the weights, the means and the standard deviations enter",
                x=np.array([-2.0, -1.0, 0.0, 0.5, 3.0]),
                weights=np.array([1.0]),
                means=np.array([0.0]),
                stds=np.array([1.0]),
            ),
            fixed(
                "two components with unequal weights",
                x=np.linspace(-4.0, 4.0, 9),
                weights=np.array([0.7, 0.3]),
                means=np.array([-1.5, 1.5]),
                stds=np.array([1.0, 0.6]),
            ),
            fixed(
                "a narrow, a wide and a far component",
                x=np.array([-6.0, -0.5, -0.05, 0.0, 0.1, 2.0, 4.0, 4.5, 9.0]),
                weights=np.array([0.2, 0.5, 0.3]),
                means=np.array([0.0, 0.0, 4.0]),
                stds=np.array([0.1, 3.0, 0.5]),
            ),
            *random_cases(_random_pdf_case, seeds=(0, 1, 2), label="random mixture"),
        ],
        diagnoses=[
            dx.matches(
                _weighted_components,
                name="not-summed",
                hint="You return one column per component, π_k N(x | μ_k, σ_k²). The mixture "
                "density is their sum over k: add up each row (`.sum(axis=1)`), or multiply "
                "the (n, K) densities by the weights with `densities @ weights`.",
            ),
            dx.matches(
                _no_weights,
                name="no-weights",
                hint="You left out the mixing weights: p(x) = Σ_k π_k N(x | μ_k, σ_k²), each "
                "component's density multiplied by its weight π_k before summing. Without "
                "them the density integrates to K instead of 1.",
            ),
            dx.matches(
                _equal_weights,
                name="equal-weights",
                hint="You averaged the component densities, as if every weight were 1/K. Use "
                "the mixing weights: p(x) = Σ_k π_k N(x | μ_k, σ_k²).",
            ),
            dx.matches(
                _std_as_variance,
                name="std-as-variance",
                hint="`stds` holds standard deviations σ_k, and you used them where the "
                "variance σ_k² belongs. N(x | μ, σ²) = exp(−(x − μ)² / (2σ²)) / √(2π σ²): "
                "square the standard deviations.",
            ),
            dx.matches(
                _squared_twice,
                name="squared-twice",
                hint="You squared σ_k twice (used σ_k⁴ as the variance). `stds` are standard "
                "deviations σ_k; the variance is `stds ** 2`.",
            ),
            dx.matches(
                _missing_normaliser,
                name="missing-normaliser",
                hint="Your Gaussian lacks its normalising constant 1 / √(2π σ_k²): without it "
                "the density does not integrate to 1, and narrow components get too little "
                "height.",
            ),
            dx.matches(
                lambda x, weights, means, stds: _weighted_components(x, weights, means, stds).sum(
                    axis=0
                ),
                name="summed-over-points",
                hint="You summed over the points (axis=0) and got one number per component. "
                "Sum over the components (axis=1): one density value per point.",
            ),
            dx.negative_values(
                name="negative-density",
                hint="A density is never negative: check the sign inside the exponential, "
                "exp(−(x − μ)² / (2σ²)).",
            ),
        ],
        # `norm` and `stats` catch scipy.stats.norm; a local variable named `norm` (say, a
        # normalising constant) is not a use of a forbidden name.
        forbidden=(
            "scipy.stats.norm",
            "scipy.stats.multivariate_normal",
            "emlib.component_log_densities",
            "emlib.estimate_log_gaussian_prob",
            "emlib.log_responsibilities",
            "emlib.e_step",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
    )
)


# --------------------------------------------------------------------------- 1.2 the labels


def _sample_components(u: Any, weights: Any) -> np.ndarray:
    """The reference: ``z = k`` when ``c_{k-1} <= u < c_k``, ``c`` the cumulative weights.

    This is how :meth:`numpy.random.Generator.choice` picks (``searchsorted(cdf, u,
    side="right")``), and so how :func:`emlib.sample_mixture` picks components. Comparing
    ``u`` with the first ``K - 1`` cumulative sums only keeps a rounded ``c_K < 1`` from
    producing the label ``K``.
    """
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    return np.searchsorted(cumulative[:-1], np.asarray(u, dtype=np.float64), side="right")


def _random_labels_case(rng: np.random.Generator) -> dict[str, np.ndarray]:
    k = int(rng.integers(2, 7))
    weights = rng.dirichlet(np.ones(k))
    u = rng.random(int(rng.integers(20, 60)))
    # a few numbers exactly on the boundaries between the intervals
    u[:3] = np.cumsum(weights)[rng.integers(0, k - 1, size=3)]
    return {"u": rng.permutation(u), "weights": weights}


def _compare_labels(output: Any, expected: Any) -> Mismatch | None:
    problem = compare_arrays(output, expected, 0.0, 1e-9, "your labels")
    if problem is not None:
        return problem
    if np.asarray(output).dtype.kind not in "iu":
        return Mismatch(
            "wrong-type",
            "Your labels have the right values but are not integers (dtype "
            f"{np.asarray(output).dtype}); labels index arrays, as in `means[z]`, so return "
            "an integer array, e.g. with `.astype(int)`.",
        )
    return None


WEIGHTS_ON_QUARTERS = np.array([0.25, 0.5, 0.25])  # cumulative sums 0.25, 0.75, 1 are exact

SAMPLE_COMPONENTS = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="sample_components",
        title="Exercise 1.2: from uniform numbers to components",
        points=2,
        reference=_sample_components,
        cases=[
            fixed(
                "one number inside every interval",
                u=np.array([0.1, 0.3, 0.6, 0.8, 0.99, 0.2]),
                weights=WEIGHTS_ON_QUARTERS,
            ),
            fixed(
                "numbers exactly on the boundaries",
                u=np.array([0.0, 0.25, 0.75, 0.5, 0.2499, 0.7501]),
                weights=WEIGHTS_ON_QUARTERS,
            ),
            fixed(
                "a component with weight zero, never picked",
                u=np.array([0.2, 0.4, 0.5, 0.7, 0.0, 0.9]),
                weights=np.array([0.4, 0.0, 0.6]),
            ),
            fixed(
                "a single component",
                u=np.array([0.0, 0.3, 0.999]),
                weights=np.array([1.0]),
            ),
            *random_cases(_random_labels_case, seeds=(0, 1, 2), label="random weights"),
        ],
        compare=_compare_labels,
        diagnoses=[
            dx.matches(
                lambda u, weights: _sample_components(u, weights) + 1,
                name="labels-start-at-one",
                hint="Your labels run from 1 to K; Python counts from 0, so the components are "
                "0, 1, ..., K − 1 (they index `weights[z]` and `means[z]`).",
            ),
            dx.matches(
                lambda u, weights: np.searchsorted(
                    np.cumsum(weights)[:-1], np.asarray(u), side="left"
                ),
                name="boundary-off-by-one",
                hint="A number exactly on a boundary gets the wrong component. Component k "
                "owns the interval [c_{k−1}, c_k), closed on the left: z is the number of "
                "cumulative sums c_k that are ≤ u (use `>=`, not `>`, when comparing u with "
                "them). A component of weight 0 owns an empty interval and is never picked.",
            ),
            dx.matches(
                lambda u, weights: (np.asarray(u)[:, None] >= np.asarray(weights)[None, :]).sum(
                    axis=1
                ),
                name="not-cumulative",
                hint="You compared u with the weights themselves. The interval of component k "
                "starts where the previous ones end, at c_{k−1} = π_1 + ... + π_{k−1}: "
                "compare u with the cumulative sums `np.cumsum(weights)`.",
            ),
        ],
        forbidden=("emlib.sample_mixture", "emlib.GaussianMixture"),
    )
)


# --------------------------------------------------------------------------- 1.3 the sampler

N_SAMPLES = 20_000  # in the first case; the others draw 15 000 to 25 000 samples
#: How many standard errors a statistic of the sample may be off (two-sided, per statistic);
#: a right sampler fails one of the roughly ten statistics of a case about once in 10^5 cases.
Z_LIMIT = 5.0


def _sample_mixture_1d(
    n_samples: Any, weights: Any, means: Any, stds: Any, seed: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The reference: :func:`emlib.sample_mixture` on the 1-D mixture, as ``(x, z)``."""
    X, z = emlib.sample_mixture(_params_1d(weights, means, stds), int(n_samples), int(seed))
    return X[:, 0], z


def _random_sampler_case(rng: np.random.Generator) -> dict[str, Any]:
    k = int(rng.integers(2, 5))
    weights = rng.dirichlet(np.full(k, 4.0))
    weights = np.maximum(weights, 0.05)  # every component gets about 1000 samples or more
    return {
        "n_samples": int(rng.integers(15_000, 25_000)),
        "weights": weights / weights.sum(),
        "means": rng.normal(scale=5.0, size=k),
        "stds": rng.uniform(0.3, 3.0, size=k),
        "seed": int(rng.integers(0, 2**31)),
    }


def _as_sample(output: Any, n: int) -> tuple[np.ndarray, np.ndarray] | Mismatch:
    """The answer as float ``x`` and label ``z`` arrays of length ``n``, or what is wrong."""
    if output is None:
        return Mismatch("returned-none", "Your function returned None: did you forget `return`?")
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        return Mismatch(
            "wrong-type",
            "Your function should return a pair `x, z`: the samples and their components.",
        )
    try:
        x = np.asarray(output[0], dtype=np.float64)
        z = np.asarray(output[1], dtype=np.float64)
    except (TypeError, ValueError):
        return Mismatch("wrong-type", "`x` and `z` should be numpy arrays of numbers.")
    for name, arr in (("x", x), ("z", z)):
        if arr.shape != (n,):
            return Mismatch(
                "wrong-shape",
                f"`{name}` has shape {arr.shape}; expected ({n},), one entry per sample.",
            )
    if not np.isfinite(x).all():
        return Mismatch("non-finite", "`x` contains NaN or infinite values.")
    return x, z


def _compare_samples(output: Any, expected: Any) -> Mismatch | None:
    """Statistical comparison of the answer's sample with the reference's sample.

    Two-sample tests, component by component: the share of the samples, their mean and
    their standard deviation must agree within ``Z_LIMIT`` standard errors.
    """
    x_ref, z_ref = expected
    n = len(x_ref)
    sample = _as_sample(output, n)
    if isinstance(sample, Mismatch):
        return sample
    x, z = sample
    n_components = int(z_ref.max()) + 1
    if not np.isin(z, np.arange(n_components)).all():
        bad = z[~np.isin(z, np.arange(n_components))][0]
        return Mismatch(
            "wrong-values",
            f"`z` contains {bad:g}, which is not a component: labels are the integers "
            f"0, ..., {n_components - 1}.",
        )
    for k in range(n_components):
        share, share_ref = np.mean(z == k), np.mean(z_ref == k)
        error = np.sqrt(2 * share_ref * (1 - share_ref) / n)
        if abs(share - share_ref) > Z_LIMIT * error:
            return Mismatch(
                "wrong-values",
                f"Component {k} makes up {share:.1%} of your samples; it should be close to "
                f"its weight, {share_ref:.1%}.",
            )
    for k in range(n_components):
        mine, ref = x[z == k], x_ref[z_ref == k]
        spread = ref.std()
        error_mean = spread * np.sqrt(1 / len(mine) + 1 / len(ref))
        if abs(mine.mean() - ref.mean()) > Z_LIMIT * error_mean:
            return Mismatch(
                "wrong-values",
                f"Your samples of component {k} have mean {mine.mean():.4g}; they should "
                f"average about {ref.mean():.4g}, its mean μ_{k}.",
            )
        error_std = spread * np.sqrt(1 / (2 * len(mine)) + 1 / (2 * len(ref)))
        if abs(mine.std() - spread) > Z_LIMIT * error_std:
            return Mismatch(
                "wrong-values",
                f"Your samples of component {k} have standard deviation {mine.std():.4g}; "
                f"it should be about {spread:.4g}, its σ_{k}.",
            )
    return None


def _sample_statistic(trial: Trial) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    sample = _as_sample(trial.output, int(trial.inputs["n_samples"]))
    if isinstance(sample, Mismatch):
        raise ValueError(sample.message)
    x, z = sample
    names = ("weights", "means", "stds")
    return x, z, {k: np.asarray(trial.inputs[k], dtype=np.float64) for k in names}


def _close_in_each_component(x: np.ndarray, z: np.ndarray, what: np.ndarray, stat) -> bool:
    """``stat(x[z == k])`` is within 5% (relative) of ``what[k]`` for every component."""
    return all(
        (z == k).sum() > 30 and abs(stat(x[z == k]) - what[k]) <= 0.05 * abs(what[k]) + 0.02
        for k in range(len(what))
    )


def _spread_is_variance(trial: Trial) -> bool:
    x, z, p = _sample_statistic(trial)
    if np.allclose(p["stds"], p["stds"] ** 2, rtol=0.1):
        return False
    return _close_in_each_component(x, z, p["stds"] ** 2, np.std)


def _spread_is_sqrt(trial: Trial) -> bool:
    x, z, p = _sample_statistic(trial)
    if np.allclose(p["stds"], np.sqrt(p["stds"]), rtol=0.1):
        return False
    return _close_in_each_component(x, z, np.sqrt(p["stds"]), np.std)


def _unit_spread(trial: Trial) -> bool:
    x, z, p = _sample_statistic(trial)
    if np.allclose(p["stds"], 1.0, rtol=0.1):
        return False
    return _close_in_each_component(x, z, np.ones_like(p["stds"]), np.std)


def _equal_shares(trial: Trial) -> bool:
    _, z, p = _sample_statistic(trial)
    k = len(p["weights"])
    if np.allclose(p["weights"], 1 / k, atol=0.02):
        return False
    shares = np.bincount(z.astype(int), minlength=k)[:k] / len(z)
    return bool(np.allclose(shares, 1 / k, atol=0.02))


def _labels_do_not_match(trial: Trial) -> bool:
    """Shares are right but x does not depend on z (x and z drawn separately)."""
    x, z, p = _sample_statistic(trial)
    k = len(p["weights"])
    shares = np.bincount(z.astype(int), minlength=k)[:k] / len(z)
    if not np.allclose(shares, p["weights"], atol=0.02):
        return False
    overall = x.mean()
    group_means = [x[z == j].mean() for j in range(k) if (z == j).sum() > 30]
    spread = x.std() / np.sqrt(len(x) / k)
    return all(abs(m - overall) < 6 * spread for m in group_means) and bool(
        np.ptp(p["means"]) > 1.0
    )


THREE_COMPONENTS = "three components with unequal weights"
SAME_SEED_AGAIN = "the same mixture and the same seed again"
ANOTHER_SEED = "the same mixture with another seed"
_THREE = {
    "n_samples": N_SAMPLES,
    "weights": np.array([0.6, 0.3, 0.1]),
    "means": np.array([-4.0, 0.0, 5.0]),
    "stds": np.array([0.5, 1.5, 2.5]),
}


def _seeds_matter(trials: Sequence[Trial]) -> Mismatch | None:
    """The same seed gives the same sample; another seed another sample."""
    by_label = {t.case.label: t.output for t in trials}
    first, again, other = (
        by_label.get(k) for k in (THREE_COMPONENTS, SAME_SEED_AGAIN, ANOTHER_SEED)
    )
    if first is None or again is None or other is None:
        return None
    if not same_value(np.asarray(first[0]), np.asarray(again[0])):
        return Mismatch(
            "not-reproducible",
            "Your samples have the right distribution, but two calls with the same `seed` "
            "gave different samples: the seed must fix them. Make every random draw from "
            "`rng = np.random.default_rng(seed)`, never from `np.random` directly or from an "
            "unseeded generator.",
        )
    if same_value(np.asarray(first[0]), np.asarray(other[0])):
        return Mismatch(
            "not-reproducible",
            "Your samples have the right distribution, but `seed=0` and `seed=1` gave the "
            "SAME samples: your function ignores its `seed` argument. Create the generator "
            "with it: `rng = np.random.default_rng(seed)`.",
        )
    return None


SAMPLE_MIXTURE_1D = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="sample_mixture_1d",
        title="Exercise 1.3: sample a mixture",
        points=3,
        reference=_sample_mixture_1d,
        cases=[
            fixed(THREE_COMPONENTS, **_THREE, seed=0),
            fixed(SAME_SEED_AGAIN, **_THREE, seed=0),
            fixed(ANOTHER_SEED, **_THREE, seed=1),
            fixed(
                "two overlapping components",
                n_samples=16_000,
                weights=np.array([0.25, 0.75]),
                means=np.array([0.0, 1.0]),
                stds=np.array([2.0, 0.4]),
                seed=1,
            ),
            *random_cases(_random_sampler_case, seeds=(0, 1), label="random mixture"),
        ],
        compare=_compare_samples,
        diagnoses=[
            Diagnosis(
                "scale-is-variance",
                "Your samples spread like σ_k², not σ_k. `rng.normal(loc, scale)` and "
                "`mean + std * rng.standard_normal(n)` take the standard deviation, and "
                "`stds` already holds standard deviations: do not square them.",
                _spread_is_variance,
            ),
            Diagnosis(
                "scale-is-sqrt",
                "Your samples spread like √σ_k, not σ_k: `stds` already holds standard "
                "deviations, so use them as they are, without a square root.",
                _spread_is_sqrt,
            ),
            Diagnosis(
                "noise-not-scaled",
                "Every component of your sample has standard deviation 1: multiply the "
                "standard normal noise by the component's standard deviation, "
                "`stds[z] * rng.standard_normal(n_samples)`.",
                _unit_spread,
            ),
            Diagnosis(
                "ignores-weights",
                "Your components are picked equally often, whatever their weights. Pick "
                "them with your `sample_components(u, weights)`, with `u` uniform numbers "
                "from `rng.random(n_samples)`.",
                _equal_shares,
            ),
            Diagnosis(
                "labels-do-not-match",
                "Your shares of the components are right, but the samples do not depend on "
                "their labels: x_i must be drawn from the Gaussian of *its own* component "
                "z_i, e.g. `means[z] + stds[z] * rng.standard_normal(n_samples)`.",
                _labels_do_not_match,
            ),
        ],
        forbidden=(
            "emlib.sample_mixture",
            "emlib.GaussianMixture",
            "sklearn.mixture.GaussianMixture",
        ),
        consistency=_seeds_matter,
    )
)

check_mixture_pdf = MIXTURE_PDF.check
check_sample_components = SAMPLE_COMPONENTS.check
check_sample_mixture_1d = SAMPLE_MIXTURE_1D.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch01")`` gives the numbers)."""
    show_score(ASSIGNMENT)
