"""Comparators: decide whether a student's answer equals the reference answer.

A comparator is a callable ``compare(output, expected) -> Mismatch | None``: ``None`` when
``output`` is acceptable, otherwise a :class:`Mismatch` naming the kind of difference (one of
the built-in mistake ids ``returned-none``, ``wrong-type``, ``wrong-shape``, ``non-finite``,
``wrong-values``) with a message for the student. A comparator may also return a plain
string, which counts as ``wrong-values``.

Use :func:`close` for arrays and numbers (the default), :func:`close_each` for tuples such as
``(resp, log_likelihood)`` and :func:`close_params` for :class:`emlib.MixtureParams`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Comparator", "Mismatch", "close", "close_each", "close_params", "values_close"]


@dataclass(frozen=True)
class Mismatch:
    """How an answer differs from the reference.

    Attributes
    ----------
    mistake : str
        A built-in mistake id: ``"returned-none"``, ``"wrong-type"``, ``"wrong-shape"``,
        ``"non-finite"`` or ``"wrong-values"``.
    message : str
        What is wrong, for the student (Markdown-style backticks allowed).
    """

    mistake: str
    message: str


Comparator = Callable[[Any, Any], "Mismatch | str | None"]


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if idx else ""


def _as_numeric(output: Any, name: str) -> tuple[np.ndarray | None, Mismatch | None]:
    if output is None:
        return None, Mismatch(
            "returned-none", f"`{name}` is None: did you forget the `return` statement?"
        )
    if isinstance(output, (str, bytes, dict)) or callable(output):
        return None, Mismatch(
            "wrong-type",
            f"`{name}` should be a number or a numpy array; got a {type(output).__name__}.",
        )
    try:
        arr = np.asarray(output, dtype=np.float64)
    except (TypeError, ValueError):
        return None, Mismatch(
            "wrong-type",
            f"`{name}` should be a number or a numpy array of numbers; got a "
            f"{type(output).__name__} that numpy cannot turn into numbers.",
        )
    return arr, None


def compare_arrays(
    output: Any, expected: Any, rtol: float, atol: float, name: str
) -> Mismatch | None:
    """Compare one array (or number) ``output`` with ``expected``; see :func:`close`."""
    expected = np.asarray(expected, dtype=np.float64)
    arr, problem = _as_numeric(output, name)
    if problem is not None:
        return problem
    assert arr is not None
    if expected.ndim == 0:
        if arr.size != 1:
            return Mismatch(
                "wrong-shape",
                f"`{name}` should be a single number; got an array of shape {arr.shape}.",
            )
        arr = arr.reshape(())
    elif arr.shape != expected.shape:
        extra = ""
        if arr.shape == expected.shape[::-1]:
            extra = " It looks transposed."
        elif arr.size == expected.size:
            extra = " It has the right number of entries: check for a missing or extra axis."
        return Mismatch(
            "wrong-shape",
            f"`{name}` has shape {arr.shape}; expected shape {expected.shape}.{extra}",
        )
    bad_finite = np.isfinite(expected) & ~np.isfinite(arr)
    if bad_finite.any():
        first = tuple(np.argwhere(bad_finite)[0]) if arr.ndim else ()
        return Mismatch(
            "non-finite",
            f"`{name}` contains {int(bad_finite.sum())} NaN or infinite value(s) (the first at "
            f"index {_index(first) or '()'}: {arr[first] if arr.ndim else arr}) where the "
            "expected values are finite.",
        )
    if not np.allclose(arr, expected, rtol=rtol, atol=atol, equal_nan=True):
        with np.errstate(invalid="ignore"):
            diff = np.abs(arr - expected)
            wrong = ~np.isclose(arr, expected, rtol=rtol, atol=atol, equal_nan=True)
        first = tuple(np.argwhere(wrong)[0]) if arr.ndim else ()
        where = f" at index {_index(first)}" if first else ""
        return Mismatch(
            "wrong-values",
            f"`{name}` has wrong values: {int(wrong.sum())} of {arr.size} entries differ from "
            f"the expected ones (for instance{where} you have {_fmt(arr[first])}, expected "
            f"{_fmt(expected[first])}; the largest difference is {_fmt(np.nanmax(diff[wrong]))}).",
        )
    return None


def close(rtol: float = 1e-5, atol: float = 1e-8, name: str = "your result") -> Comparator:
    """Comparator for one array or number, with :func:`numpy.allclose` tolerances.

    It reports, in this order: ``None`` returned, something that is not numbers, a wrong
    shape (mentioning a transposition), NaN or infinities where the reference is finite,
    and wrong values (with the first differing index).

    Parameters
    ----------
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`.
    name : str
        How the answer is called in messages.
    """

    def compare(output: Any, expected: Any) -> Mismatch | None:
        return compare_arrays(output, expected, rtol, atol, name)

    return compare


def close_each(names: Sequence[str], rtol: float = 1e-5, atol: float = 1e-8) -> Comparator:
    """Comparator for a tuple of arrays/numbers, e.g. ``close_each(["resp", "log_likelihood"])``.

    Parameters
    ----------
    names : sequence of str
        The name of each element of the tuple, used in messages.
    rtol, atol : float
        Tolerances of :func:`numpy.allclose`.
    """
    names = list(names)

    def compare(output: Any, expected: Any) -> Mismatch | None:
        if output is None:
            return Mismatch(
                "returned-none", "Your function returned None: did you forget `return`?"
            )
        if not isinstance(output, (tuple, list)) or len(output) != len(names):
            return Mismatch(
                "wrong-type",
                f"Your function should return a tuple of {len(names)} values "
                f"({', '.join(names)}); got {_describe(output)}.",
            )
        for value, exp, name in zip(output, expected, names, strict=True):
            problem = compare_arrays(value, exp, rtol, atol, name)
            if problem is not None:
                return problem
        return None

    return compare


def close_params(rtol: float = 1e-5, atol: float = 1e-8) -> Comparator:
    """Comparator for mixture parameters (weights, means, covariances, covariance_type).

    The answer may be an :class:`emlib.MixtureParams` or anything with those four attributes.
    """

    def compare(output: Any, expected: Any) -> Mismatch | None:
        if output is None:
            return Mismatch(
                "returned-none", "Your function returned None: did you forget `return`?"
            )
        if not all(hasattr(output, f) for f in ("weights", "means", "covariances")):
            return Mismatch(
                "wrong-type",
                "Your function should return mixture parameters, e.g. "
                f"`emlib.MixtureParams(weights, means, covariances)`; got {_describe(output)}.",
            )
        for name in ("weights", "means", "covariances"):
            problem = compare_arrays(
                getattr(output, name), getattr(expected, name), rtol, atol, name
            )
            if problem is not None:
                return problem
        got_type = getattr(output, "covariance_type", None)
        if got_type != expected.covariance_type:
            return Mismatch(
                "wrong-values",
                f"covariance_type is {got_type!r}; expected {expected.covariance_type!r}.",
            )
        return None

    return compare


def _describe(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def values_close(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether two answers are equal up to tolerances, recursing into tuples and parameters.

    Never raises: values that cannot be compared are not close.
    """
    try:
        if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
            return (
                isinstance(a, (tuple, list))
                and isinstance(b, (tuple, list))
                and len(a) == len(b)
                and all(values_close(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
            )
        fields = ("weights", "means", "covariances")
        if all(hasattr(b, f) for f in fields):
            return all(hasattr(a, f) for f in fields) and all(
                values_close(getattr(a, f), getattr(b, f), rtol, atol) for f in fields
            )
        if a is None or b is None or callable(a) or isinstance(a, (str, bytes, dict)):
            return a is b
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
        return x.shape == y.shape and bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))
    except Exception:
        return False
