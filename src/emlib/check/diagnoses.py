"""Ready-made diagnoses: recognisers of plausible mistakes, each with a hint.

Every factory returns a :class:`~emlib.check.Diagnosis`. Diagnoses only look at cases the
answer failed, in the order they are listed in the exercise, so put the most specific first
(typically :func:`matches` of a known wrong implementation) and the generic property checks
(:func:`rows_not_normalised`, :func:`non_finite`...) after.

``select`` arguments pick the part of the answer to look at, e.g.
``select=lambda out: out.covariances`` for an M-step that returns parameters, or
``select=lambda out: out[0]`` for the first element of a tuple.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from ._framework import Diagnosis, Trial
from .compare import values_close

__all__ = [
    "Diagnosis",
    "decreasing",
    "matches",
    "negative_values",
    "non_finite",
    "not_symmetric",
    "rows_not_normalised",
]

Selector = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _numeric(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    return arr


def matches(
    mistake: Callable[..., Any],
    *,
    name: str,
    hint: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    select: Selector | None = None,
) -> Diagnosis:
    """The answer equals what a known wrong implementation returns.

    This is the most precise diagnosis: write the mistake as code (e.g. an E-step without
    the weights) and the student gets the hint exactly when their answer equals it on every
    case where the mistake changes the result (``everywhere=True``).

    Parameters
    ----------
    mistake : callable
        Called like the reference, ``mistake(*inputs.values())``, on a copy of the inputs.
    name, hint : str
        The diagnosis's id and hint.
    rtol, atol : float
        Tolerances for "equal".
    select : callable, optional
        Compare only ``select(answer)`` with ``select(mistake(...))``.
    """
    pick = select or _identity

    def detect(trial: Trial) -> bool | None:
        if trial.raised:
            return None
        wrong = mistake(*copy.deepcopy(trial.inputs).values())
        if values_close(pick(trial.expected), pick(wrong), rtol, atol):
            return None  # on this case the mistake makes no difference
        return values_close(pick(trial.output), pick(wrong), rtol, atol)

    return Diagnosis(name, hint, detect, everywhere=True)


def rows_not_normalised(
    *,
    name: str = "rows-do-not-sum-to-one",
    hint: str = "Each row should sum to 1 (a probability distribution over the components). "
    "Divide every row by its sum.",
    axis: int = -1,
    atol: float = 1e-6,
    select: Selector | None = None,
) -> Diagnosis:
    """Rows (sums along ``axis``) of a 2-D answer do not sum to 1."""
    pick = select or _identity

    def detect(trial: Trial) -> str | bool:
        if trial.raised:
            return False
        arr = _numeric(pick(trial.output))
        if arr.ndim != 2 or arr.shape != np.shape(pick(trial.expected)):
            return False
        sums = arr.sum(axis=axis)
        # NaN rows are the business of non_finite(): only finite sums count here
        bad = np.flatnonzero(np.isfinite(sums) & ~np.isclose(sums, 1.0, rtol=0, atol=atol))
        if bad.size == 0:
            return False
        what = "row" if axis in (-1, 1) else "column"
        return f"{what} {bad[0]} sums to {sums[bad[0]]:.6g}; {bad.size} {what}s do not sum to 1"

    return Diagnosis(name, hint, detect)


def non_finite(
    *,
    name: str,
    hint: str,
    select: Selector | None = None,
) -> Diagnosis:
    """NaN or infinite values where the reference is finite (underflow, overflow, 0/0)."""
    pick = select or _identity

    def detect(trial: Trial) -> str | bool:
        if trial.raised:
            return False
        arr = _numeric(pick(trial.output))
        expected = _numeric(pick(trial.expected))
        if arr.shape != expected.shape:
            return False
        bad = ~np.isfinite(arr) & np.isfinite(expected)
        if not bad.any():
            return False
        if arr.ndim == 0:
            return f"you got {arr.item()}"
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return f"{int(bad.sum())} value(s) are NaN or infinite, the first at index {list(first)}"

    return Diagnosis(name, hint, detect)


def negative_values(
    *,
    name: str,
    hint: str,
    select: Selector | None = None,
) -> Diagnosis:
    """Negative entries where the reference has none (e.g. log-probabilities, not probabilities)."""
    pick = select or _identity

    def detect(trial: Trial) -> str | bool:
        if trial.raised:
            return False
        arr = _numeric(pick(trial.output))
        expected = _numeric(pick(trial.expected))
        if arr.shape != expected.shape or (expected < 0).any() or not (arr < 0).any():
            return False
        return f"{int((arr < 0).sum())} value(s) are negative"

    return Diagnosis(name, hint, detect)


def not_symmetric(
    *,
    name: str = "covariance-not-symmetric",
    hint: str = "A covariance matrix must be symmetric. Build it as a sum of outer products "
    "(x - mu)(x - mu)^T, e.g. `diff.T @ (resp[:, k, None] * diff)`, without mixing up the axes.",
    select: Selector | None = None,
    atol: float = 1e-8,
) -> Diagnosis:
    """A square matrix (or each of a stack of matrices) is not symmetric.

    By default it looks at ``answer.covariances`` if the answer has that attribute, else at
    the answer itself.
    """

    def pick(value: Any) -> Any:
        if select is not None:
            return select(value)
        return getattr(value, "covariances", value)

    def detect(trial: Trial) -> str | bool:
        if trial.raised:
            return False
        arr = _numeric(pick(trial.output))
        if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
            return False
        gap = np.abs(arr - np.swapaxes(arr, -1, -2))
        if not (gap > atol * max(1.0, float(np.nanmax(np.abs(arr))))).any():
            return False
        if arr.ndim == 3:
            k = int(np.argmax(gap.reshape(arr.shape[0], -1).max(axis=1)))
            return f"matrix {k} differs from its transpose by up to {gap[k].max():.3g}"
        return f"it differs from its transpose by up to {gap.max():.3g}"

    return Diagnosis(name, hint, detect)


def decreasing(
    *,
    name: str = "log-likelihood-decreases",
    hint: str = "The log-likelihood must never decrease from one EM iteration to the next: "
    "check that the E-step uses the current parameters and that the M-step uses the new "
    "responsibilities.",
    select: Selector | None = None,
    tol: float = 1e-8,
) -> Diagnosis:
    """A sequence (e.g. the log-likelihood per EM iteration) goes down somewhere."""
    pick = select or _identity

    def detect(trial: Trial) -> str | bool:
        if trial.raised:
            return False
        seq = _numeric(pick(trial.output)).ravel()
        if seq.size < 2 or not np.isfinite(seq).all():
            return False
        steps = np.diff(seq)
        drops = np.flatnonzero(steps < -tol * np.maximum(1.0, np.abs(seq[:-1])))
        if drops.size == 0:
            return False
        i = int(drops[0])
        return f"it goes from {seq[i]:.6g} to {seq[i + 1]:.6g} at step {i + 1}"

    return Diagnosis(name, hint, detect)
