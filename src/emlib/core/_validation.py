"""Input checks shared by the numerical core.

Every public function of :mod:`emlib.core` validates its input here, so that bad input
raises a :class:`ValueError` that names the argument, says what is wrong and how to fix it,
instead of propagating a silent NaN.
"""

from __future__ import annotations

import numbers

import numpy as np

#: The covariance types, defined here once (exported as ``emlib.COVARIANCE_TYPES``).
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
#: The ways :class:`emlib.GaussianMixture` can initialise its responsibilities.
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


class CovarianceError(ValueError):
    """A covariance (or precision) is not positive definite: a component has collapsed."""


def check_data(X, *, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array of shape (n_samples, n_features).

    Parameters
    ----------
    X : array_like
        The data.
    name : str
        The argument's name, used in error messages.
    n_features : int, optional
        If given, the number of columns ``X`` must have.

    Returns
    -------
    numpy.ndarray
        The validated data.

    Raises
    ------
    ValueError
        If ``X`` is not numeric, not 2-D, empty, or holds NaN or infinity.
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a numeric array of shape (n_samples, n_features); "
            f"it could not be converted to float64 ({exc})."
        ) from None
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), but it is 1-D with shape "
            f"{arr.shape}. For a single feature use {name}.reshape(-1, 1); "
            f"for a single sample use {name}.reshape(1, -1)."
        )
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), but it has "
            f"{arr.ndim} dimensions (shape {arr.shape})."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); pass at least one sample and one feature."
        )
    # A finite sum proves every entry finite without an (n_samples, n_features) mask;
    # only when it is not (NaN, inf, or an overflowing sum) are the entries inspected.
    if not np.isfinite(np.add.reduce(arr, axis=None)) and not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        value = arr[bad[0], bad[1]]
        raise ValueError(
            f"{name} contains {value} at row {bad[0]}, column {bad[1]} "
            f"({int((~np.isfinite(arr)).sum())} non-finite entries in all). "
            "Remove or impute the missing or infinite values before fitting."
        )
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the model was built for {n_features}. "
            "Pass data with the same columns as the data the model was fitted on."
        )
    return np.ascontiguousarray(arr)


def check_covariance_type(covariance_type: str) -> str:
    """Return ``covariance_type`` if it is one of the four supported types."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type={covariance_type!r} is not supported; "
            f"choose one of {', '.join(repr(t) for t in COVARIANCE_TYPES)}."
        )
    return covariance_type


def check_positive_int(value, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an integer of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def check_nonnegative_float(value, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number >= 0; got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0; got {value}. "
            + ("Use a small positive value such as 1e-6." if name == "reg_covar" else "")
        )
    return value


def check_n_samples(n_samples: int, n_components: int, *, name: str = "n_components") -> None:
    """Raise if there are fewer samples than components (or clusters: ``name``)."""
    if n_samples < n_components:
        raise ValueError(
            f"Expected n_samples >= {name}, but got n_samples={n_samples} and "
            f"{name}={n_components}. Use fewer {name.removeprefix('n_')} or more data."
        )


def check_weights(weights, n_components: int, *, name: str = "weights") -> np.ndarray:
    """Return mixture weights of shape (n_components,), non-negative and summing to 1."""
    arr = _as_finite(weights, name)
    if arr.shape != (n_components,):
        raise ValueError(
            f"{name} must have shape ({n_components},), one weight per component; "
            f"got shape {arr.shape}."
        )
    if (arr < 0).any():
        raise ValueError(f"{name} must be non-negative; got {arr}.")
    total = float(arr.sum())
    if not np.isclose(total, 1.0, rtol=0.0, atol=1e-6):
        raise ValueError(
            f"{name} must sum to 1 (they are probabilities), but they sum to {total:.6g}. "
            f"Divide them by their sum: {name} / {name}.sum()."
        )
    return arr


def check_means(means, n_components: int, n_features: int, *, name: str = "means") -> np.ndarray:
    """Return component means of shape (n_components, n_features)."""
    arr = _as_finite(means, name)
    if arr.shape != (n_components, n_features):
        raise ValueError(
            f"{name} must have shape (n_components, n_features) = ({n_components}, {n_features}); "
            f"got shape {arr.shape}."
        )
    return arr


def covariance_shape(covariance_type: str, n_components: int, n_features: int) -> tuple[int, ...]:
    """The shape of the covariance (or precision) array for a covariance type."""
    return {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }[covariance_type]


def check_matrix_array(
    values, covariance_type: str, n_components: int, n_features: int, *, name: str
) -> np.ndarray:
    """Check the shape and symmetry of covariances or precisions (Cholesky checks the rest)."""
    arr = _as_finite(values, name)
    expected = covariance_shape(covariance_type, n_components, n_features)
    if arr.shape != expected:
        raise ValueError(
            f"{name} for covariance_type={covariance_type!r} must have shape {expected}; "
            f"got shape {arr.shape}."
        )
    if covariance_type in ("full", "tied"):
        mats = arr if covariance_type == "full" else arr[np.newaxis]
        for k, mat in enumerate(mats):
            if not np.allclose(mat, mat.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(mat).max())):
                where = f" of component {k}" if covariance_type == "full" else ""
                raise ValueError(
                    f"{name}{where} must be symmetric; use (A + A.T) / 2 to symmetrise it."
                )
    elif (arr <= 0).any():
        bad = int(np.argwhere(arr.reshape(arr.shape[0], -1) <= 0)[0][0])
        raise CovarianceError(
            f"{name} must be positive for covariance_type={covariance_type!r}; "
            f"component {bad} has a value <= 0. If this came from fitting, a component "
            "collapsed onto a point: increase reg_covar (for example to 1e-3)."
        )
    return arr


def check_responsibilities(resp, n_samples: int, n_components: int | None = None) -> np.ndarray:
    """Return responsibilities of shape (n_samples, n_components) whose rows sum to 1."""
    arr = _as_finite(resp, "resp")
    if arr.ndim != 2 or arr.shape[0] != n_samples:
        raise ValueError(
            f"resp must have shape (n_samples, n_components) with n_samples={n_samples}; "
            f"got shape {arr.shape}."
        )
    if n_components is not None and arr.shape[1] != n_components:
        raise ValueError(
            f"resp has {arr.shape[1]} columns but there are {n_components} components."
        )
    if (arr < 0).any():
        raise ValueError("resp must be non-negative: responsibilities are probabilities.")
    row_sums = arr.sum(axis=1)
    bad = np.flatnonzero(np.abs(row_sums - 1.0) > 1e-6)
    if bad.size:
        raise ValueError(
            f"each row of resp must sum to 1, but row {bad[0]} sums to {row_sums[bad[0]]:.6g} "
            f"({bad.size} rows in all). Normalise each row: resp / resp.sum(axis=1, keepdims=True)."
        )
    return np.ascontiguousarray(arr)


def check_random_state(seed) -> np.random.Generator:
    """Turn ``None``, an int, or a Generator into a :class:`numpy.random.Generator`."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.RandomState):
        return np.random.default_rng(seed.randint(0, 2**31 - 1))
    raise ValueError(
        f"random_state must be None, an int or a numpy.random.Generator; got {seed!r}."
    )


def _as_finite(values, name: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array; got {type(values).__name__}.") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; every entry must be finite.")
    return arr
