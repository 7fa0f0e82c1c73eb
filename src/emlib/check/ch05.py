"""Checks for the chapter 5 exercises (``exercises/05_em_loop.ipynb``): the EM loop.

* ``em(X, params, tol, max_iter)``: alternate :func:`emlib.e_step` and :func:`emlib.m_step`,
  record ``log p(X | theta^(t))`` at every iteration and stop when its change per sample is
  below ``tol`` (the loop of :class:`emlib.GaussianMixture`); returns the final parameters
  and the log-likelihoods;
* ``best_of_restarts(X, starts, tol, max_iter)``: run ``em`` from every start and keep the
  run whose last log-likelihood is highest (what ``n_init`` does).

Here the student may call ``e_step`` and ``m_step``: the exercise is the loop.

In the notebook::

    from emlib.check import ch05
    ch05.check_em(em)
    ch05.check_best_of_restarts(best_of_restarts)
    ch05.score()
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
from .compare import Mismatch, compare_arrays, values_close

__all__ = [
    "BEST_OF_RESTARTS",
    "EM",
    "check_best_of_restarts",
    "check_em",
    "score",
]

ASSIGNMENT = "ch05"
FORBIDDEN = (
    "emlib.em_iteration",
    "emlib.fixed_variance_em",
    "emlib.GaussianMixture",
    "sklearn.mixture.GaussianMixture",
)

Run = tuple[emlib.MixtureParams, np.ndarray]


_RUNS: dict[bytes, Run] = {}
_FIELDS = ("weights", "means", "covariances")


def _em_loop(X: Any, params: emlib.MixtureParams, tol: float, max_iter: int, **options) -> Run:
    """:func:`_run_em_loop`, remembered: the cases, the reference and the diagnoses run the
    same loops again and again (the restart exercise runs every start several times)."""
    X = np.asarray(X, dtype=np.float64)
    key = b"|".join(
        [
            X.tobytes(),
            str(X.shape).encode(),
            *(np.asarray(getattr(params, f), dtype=np.float64).tobytes() for f in _FIELDS),
            params.covariance_type.encode(),
            repr((float(tol), int(max_iter), sorted(options.items()))).encode(),
        ]
    )
    if key not in _RUNS:
        if len(_RUNS) > 512:
            _RUNS.clear()
        _RUNS[key] = _run_em_loop(X, params, tol, max_iter, **options)
    return _RUNS[key]


def _run_em_loop(
    X: Any,
    params: emlib.MixtureParams,
    tol: float,
    max_iter: int,
    *,
    record: str = "before",
    change: str = "per-sample",
    update: bool = True,
    test_before_m_step: bool = False,
    extra_iterations: int = 0,
    first_test: int = 2,
) -> Run:
    """The EM loop, with switches that reproduce the plausible mistakes.

    The defaults give the reference: the loop of :class:`emlib.GaussianMixture`, in which
    iteration ``t`` records ``log p(X | theta^(t))`` from its E-step, then runs the M-step,
    then stops if ``|ll_t - ll_{t-1}| / N < tol``.
    """
    X = np.asarray(X, dtype=np.float64)
    n_samples = len(X)
    current = params
    recorded: list[float] = []
    for _ in range(int(max_iter) + extra_iterations):
        resp, ll = emlib.e_step(X, current)
        if record == "before":
            recorded.append(ll)
        elif record == "mean":
            recorded.append(ll / n_samples)
        stopped = len(recorded) >= first_test and _converged(recorded, n_samples, tol, change)
        if test_before_m_step and stopped:
            break
        new = emlib.m_step(X, resp)
        if update:
            current = new
        if record == "after":
            recorded.append(emlib.log_likelihood(X, current))
            stopped = len(recorded) >= first_test and _converged(recorded, n_samples, tol, change)
        if stopped:
            break
    return current, np.array(recorded)


def _converged(recorded: list[float], n_samples: int, tol: float, change: str) -> bool:
    step = abs(recorded[-1] - recorded[-2])
    if change == "per-sample":
        return step / n_samples < tol
    if change == "total":
        return step < tol
    if change == "relative":
        return step / abs(recorded[-1]) < tol
    if change == "value":
        return abs(recorded[-1]) / n_samples < tol
    raise ValueError(change)


def _em(X: Any, params: emlib.MixtureParams, tol: Any, max_iter: Any) -> Run:
    """The reference."""
    return _em_loop(X, params, float(tol), int(max_iter))


# --------------------------------------------------------------------------- comparing runs


def _compare_run(output: Any, expected: Any) -> Mismatch | None:
    """``(params, log_likelihoods)``: the number of iterations, the values, the parameters."""
    if output is None:
        return Mismatch("returned-none", "Your function returned None: did you forget `return`?")
    if not isinstance(output, (tuple, list)) or len(output) != 2:
        return Mismatch(
            "wrong-type",
            "Your function should return a pair `params, log_likelihoods`: the final "
            "parameters and the log-likelihood recorded at every iteration.",
        )
    params, trace = output
    expected_params, expected_trace = expected
    try:
        arr = np.asarray(trace, dtype=np.float64)
    except (TypeError, ValueError):
        return Mismatch("wrong-type", "`log_likelihoods` should be a list or array of numbers.")
    if arr.ndim != 1:
        return Mismatch(
            "wrong-shape",
            f"`log_likelihoods` should be 1-D, one number per iteration; it has shape {arr.shape}.",
        )
    if len(arr) != len(expected_trace):
        return Mismatch(
            "wrong-values",
            f"Your loop ran {len(arr)} iteration(s) (it recorded {len(arr)} log-likelihoods); "
            f"it should have stopped after {len(expected_trace)}.",
        )
    problem = compare_arrays(arr, expected_trace, 1e-6, 1e-6, "log_likelihoods")
    if problem is not None:
        return problem
    return cmp.close_params(rtol=1e-5, atol=1e-7)(params, expected_params)


def _as_run(value: Any) -> tuple[Any, np.ndarray]:
    """``(params, trace as a float array)``: a trace returned as a list still matches."""
    return value[0], np.asarray(value[1], dtype=np.float64)


def _trace(value: Any) -> np.ndarray:
    return np.asarray(value[1], dtype=np.float64).ravel()


def _runs_on_after_convergence(extra: int):
    """The answer's trace starts like the reference's and then goes on (to ``max_iter``)."""

    def detect(trial: Trial) -> bool:
        mine, ref = _trace(trial.output), _trace(trial.expected)
        max_iter = int(trial.inputs["max_iter"])
        return (
            len(mine) == max_iter + extra
            and len(mine) > len(ref)
            and bool(np.allclose(mine[: len(ref)], ref, rtol=1e-6, atol=1e-6))
        )

    return detect


def _params_not_updated(trial: Trial) -> bool:
    mine, ref = _trace(trial.output), _trace(trial.expected)
    return len(mine) >= 2 and len(ref) >= 2 and bool(np.allclose(mine, ref[0], rtol=1e-9))


def _one_too_many(trial: Trial) -> bool:
    mine, ref = _trace(trial.output), _trace(trial.expected)
    return len(ref) == int(trial.inputs["max_iter"]) and len(mine) == len(ref) + 1


# --------------------------------------------------------------------------- the cases


def _start(X: np.ndarray, rows: Any) -> emlib.MixtureParams:
    """Equal weights, means at the given data points, the data's variance on the diagonal."""
    K, d = len(rows), X.shape[1]
    covariance = X.var(axis=0).mean() * np.eye(d)
    return emlib.MixtureParams(np.full(K, 1 / K), X[list(rows)], np.tile(covariance, (K, 1, 1)))


def _blobs_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_blobs(n_samples=150, random_state=0).X
    return {"X": X, "params": _start(X, [121, 100, 41]), "tol": 1e-4, "max_iter": 200}


def _max_iter_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_overlapping(n_samples=150, random_state=1).X
    return {"X": X, "params": _start(X, [19, 69, 66]), "tol": 1e-9, "max_iter": 12}


def _loose_tol_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_elongated(n_samples=150, random_state=2).X
    return {"X": X, "params": _start(X, [56, 122, 145]), "tol": 0.05, "max_iter": 100}


def _one_dimensional_case(rng: np.random.Generator) -> dict[str, Any]:
    local = np.random.default_rng(11)
    X = np.concatenate([local.normal(-2.0, 0.8, 40), local.normal(1.5, 1.2, 60)])[:, None]
    return {"X": X, "params": _start(X, [0, 1]), "tol": 1e-5, "max_iter": 300}


def _second_iteration_case(rng: np.random.Generator) -> dict[str, Any]:
    X = emlib.make_blobs(n_samples=90, random_state=3).X
    return {"X": X, "params": _start(X, [5, 40, 77]), "tol": 10.0, "max_iter": 50}


def _random_data(rng: np.random.Generator) -> tuple[np.ndarray, int]:
    K, d = int(rng.integers(2, 4)), int(rng.integers(1, 3))
    truth = emlib.MixtureParams(
        rng.dirichlet(np.full(K, 5.0)),
        rng.normal(scale=3.0, size=(K, d)),
        rng.uniform(0.3, 1.5, size=(K, d)),
        "diag",
    )
    X = emlib.sample_mixture(truth, int(rng.integers(60, 120)), rng)[0]
    return X, K


def _random_em_case(rng: np.random.Generator) -> dict[str, Any]:
    X, K = _random_data(rng)
    rows = rng.choice(len(X), size=K, replace=False)
    tol = float(rng.choice([1e-3, 1e-4]))
    return {"X": X, "params": _start(X, rows), "tol": tol, "max_iter": int(rng.integers(30, 80))}


EM = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="em",
        title="Exercise 5.1: the EM loop",
        points=4,
        reference=_em,
        cases=[
            Case("three blobs", _blobs_case),
            Case("a tolerance too small: stops at max_iter", _max_iter_case),
            Case("a loose tolerance", _loose_tol_case),
            Case("one dimension", _one_dimensional_case),
            Case(
                "a loose tolerance: converged at the second iteration",
                _second_iteration_case,
                special="the loop stops at the second iteration",
            ),
            *random_cases(_random_em_case, seeds=(0, 1, 2), label="random data and start"),
        ],
        compare=_compare_run,
        diagnoses=[
            Diagnosis(
                "params-not-updated",
                "Your log-likelihood never changes: the new parameters from `m_step` are not "
                "fed back, so every E-step uses the starting parameters. Assign the M-step's "
                "result to the variable the next E-step reads: `params = m_step(X, resp)`.",
                _params_not_updated,
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(X, params, tol, max_iter, record="after"),
                name="recorded-after-m-step",
                hint="You recorded the log-likelihood after the M-step, log p(X | θ^(t+1)). "
                "Record the one the E-step returns, log p(X | θ^(t)) of the parameters it "
                "used: the first entry is the log-likelihood of the starting parameters.",
                select=_trace,
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(X, params, tol, max_iter, record="mean"),
                name="mean-recorded",
                hint="You recorded the mean log-likelihood per sample. Record the total "
                "log p(X | θ^(t)) that `e_step` returns; divide by N only in the stopping test.",
                select=_trace,
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(X, params, tol, max_iter, change="total"),
                name="change-not-per-sample",
                select=_as_run,
                hint="You stopped when the *total* log-likelihood changed by less than tol, so "
                "your loop runs too long. The rule is per sample: "
                "|log p(X | θ^(t)) − log p(X | θ^(t−1))| / N < tol.",
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(
                    X, params, tol, max_iter, change="relative"
                ),
                name="relative-change",
                select=_as_run,
                hint="You stopped on the relative change |Δ| / |log p(X | θ)|. The rule "
                "divides the change by the number of samples N: |Δ| / N < tol.",
            ),
            Diagnosis(
                "never-stops",
                "Your loop ran all max_iter iterations although the log-likelihood had stopped "
                "changing. Stop on the *change* between two consecutive iterations, "
                "|log p(X | θ^(t)) − log p(X | θ^(t−1))| / N < tol, not on the value itself.",
                _runs_on_after_convergence(0),
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(X, params, tol, max_iter, first_test=3),
                name="convergence-test-late",
                select=_as_run,
                hint="Your loop never stops at the second iteration: your first convergence "
                "test comes one iteration late. As soon as two log-likelihoods are recorded "
                "(iteration t = 2), compare them.",
            ),
            Diagnosis(
                "one-iteration-too-many",
                "Your loop ran max_iter + 1 iterations. `for _ in range(max_iter)` runs exactly "
                "max_iter of them.",
                _one_too_many,
            ),
            dx.matches(
                lambda X, params, tol, max_iter: _em_loop(
                    X, params, tol, max_iter, test_before_m_step=True
                ),
                name="stopped-before-m-step",
                hint="Your log-likelihoods are right, but your parameters are one M-step "
                "behind: you test for convergence before the M-step. Run the M-step first, "
                "then test (as `GaussianMixture` does), so that you return the parameters of "
                "the last M-step.",
                select=lambda out: out[0],
            ),
            dx.decreasing(select=_trace),
        ],
        forbidden=FORBIDDEN,
    )
)


# --------------------------------------------------------------------------- restarts


def _best_index(runs: list[Run]) -> int:
    return int(np.argmax([trace[-1] for _, trace in runs]))


def _best(runs: list[Run]) -> Run:
    return runs[_best_index(runs)]


def _best_of_restarts(X: Any, starts: Any, tol: Any, max_iter: Any) -> Run:
    """The reference: the run with the highest last log-likelihood (the first, if tied)."""
    return _best([_em(X, start, tol, max_iter) for start in starts])


def _restarts_case(dataset: str, random_state: int, rows: list[list[int]]):
    def make(rng: np.random.Generator) -> dict[str, Any]:
        maker = {
            "blobs": emlib.make_blobs,
            "elongated": emlib.make_elongated,
            "overlapping": emlib.make_overlapping,
        }[dataset]
        X = maker(n_samples=150, random_state=random_state).X
        return {"X": X, "starts": [_start(X, r) for r in rows], "tol": 1e-4, "max_iter": 200}

    return make


def _random_restarts_case(rng: np.random.Generator) -> dict[str, Any]:
    """Three random starts whose best two runs end clearly apart (no near-tie to break)."""
    while True:
        X, K = _random_data(rng)
        starts = [_start(X, rng.choice(len(X), size=K, replace=False)) for _ in range(3)]
        finals = np.sort([_em(X, s, 1e-3, 60)[1][-1] for s in starts])
        if finals[-1] - finals[-2] > 0.5:
            return {"X": X, "starts": starts, "tol": 1e-3, "max_iter": 60}


#: How a wrong answer may choose among the runs, by mistake id.
_CHOICES = {
    "kept-the-worst": lambda runs: int(np.argmin([trace[-1] for _, trace in runs])),
    "judged-by-the-start": lambda runs: int(np.argmax([trace[0] for _, trace in runs])),
    "kept-the-last-run": lambda runs: len(runs) - 1,
    "kept-the-first-run": lambda runs: 0,
}


def _chose_by(mistake: str):
    """The answer is the run that ``mistake`` picks, and no other listed mistake picks it.

    A run that two mistakes would both pick (say the first run is also the worst) says
    nothing about which mistake was made, so such a case is not used as evidence.
    """

    def detect(trial: Trial) -> bool:
        inputs = trial.inputs
        runs = [_em(inputs["X"], s, inputs["tol"], inputs["max_iter"]) for s in inputs["starts"]]
        picks = {name: choose(runs) for name, choose in _CHOICES.items()}
        mine, right = picks[mistake], _best_index(runs)
        if mine == right or sum(pick == mine for pick in picks.values()) > 1:
            return False
        return values_close(_as_run(trial.output), runs[mine], rtol=1e-6, atol=1e-6)

    return detect


BEST_OF_RESTARTS = register(
    Exercise(
        assignment=ASSIGNMENT,
        name="best_of_restarts",
        title="Exercise 5.2: restarts",
        points=2,
        reference=_best_of_restarts,
        cases=[
            Case(
                "three blobs, three starts",
                _restarts_case("blobs", 0, [[107, 81, 94], [121, 100, 41], [126, 82, 5]]),
            ),
            Case(
                "elongated clusters, three starts",
                _restarts_case("elongated", 2, [[118, 80, 88], [56, 122, 145], [143, 6, 120]]),
            ),
            Case(
                "overlapping clusters, five starts",
                _restarts_case(
                    "overlapping",
                    1,
                    [[56, 58, 64], [30, 77, 134], [7, 15, 83], [9, 57, 142], [18, 51, 52]],
                ),
            ),
            *random_cases(_random_restarts_case, seeds=(0, 1), label="random data and starts"),
        ],
        compare=_compare_run,
        diagnoses=[
            Diagnosis(
                "kept-the-worst",
                "You kept the run with the *lowest* final log-likelihood. Keep the highest "
                "(`np.argmax`): a higher log-likelihood means the parameters explain the data "
                "better.",
                _chose_by("kept-the-worst"),
            ),
            Diagnosis(
                "judged-by-the-start",
                "You compared the runs by their *first* log-likelihood, that of the starting "
                "parameters. A good start can still end in a poor local maximum: compare the "
                "last log-likelihood of each run, `log_likelihoods[-1]`.",
                _chose_by("judged-by-the-start"),
            ),
            Diagnosis(
                "kept-the-last-run",
                "You return the last run, whatever its log-likelihood. Keep the run whose last "
                "log-likelihood is the highest.",
                _chose_by("kept-the-last-run"),
            ),
            Diagnosis(
                "kept-the-first-run",
                "You return the first run, whatever its log-likelihood. Keep the run whose last "
                "log-likelihood is the highest.",
                _chose_by("kept-the-first-run"),
            ),
        ],
        forbidden=FORBIDDEN,
    )
)

check_em = EM.check
check_best_of_restarts = BEST_OF_RESTARTS.check


def score() -> None:
    """Show the chapter's score table (``emlib.check.score("ch05")`` gives the numbers)."""
    show_score(ASSIGNMENT)
