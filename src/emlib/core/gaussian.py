"""Gaussian densities for the four covariance types, through Cholesky factors.

Conventions (the same as scikit-learn's ``GaussianMixture``, so that students can carry
them over):

===========  ======================  ==========================================
type         covariances             precisions_cholesky
===========  ======================  ==========================================
full         (K, d, d)               (K, d, d), upper triangular ``U_k``
tied         (d, d)                  (d, d), upper triangular ``U``
diag         (K, d) variances        (K, d), ``1 / sqrt(variance)``
spherical    (K,) variances          (K,), ``1 / sqrt(variance)``
===========  ======================  ==========================================

For a full covariance ``Sigma_k = L_k L_k^T`` (Cholesky), ``U_k = L_k^{-T}`` so that the
precision is ``Sigma_k^{-1} = U_k U_k^T``. The Mahalanobis term is then
``||(x - mu_k) U_k||^2`` and ``log det Sigma_k = -2 sum(log diag U_k)``: no matrix is ever
inverted explicitly, and ``U_k`` comes from a triangular solve.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from ._validation import CovarianceError, check_covariance_type, check_positive_int

LOG_2PI = float(np.log(2.0 * np.pi))


def _singular_message(component: int | None, what: str) -> str:
    where = f"component {component}" if component is not None else "the shared (tied) component"
    return (
        f"The {what} of {where} is not positive definite, so its Cholesky factorisation "
        "failed. This happens when a component collapses onto a single point or onto a line "
        "(a singular covariance). Increase reg_covar (for example to 1e-3), use fewer "
        "components, or remove duplicated records (rescaling does not help)."
    )


def _cholesky_lower(matrix: np.ndarray, component: int | None, what: str) -> np.ndarray:
    try:
        return linalg.cholesky(matrix, lower=True, check_finite=False)
    except linalg.LinAlgError:
        raise CovarianceError(_singular_message(component, what)) from None


def precision_cholesky_from_covariances(
    covariances: np.ndarray, covariance_type: str
) -> np.ndarray:
    """Cholesky factors of the precision matrices, from covariances.

    Parameters
    ----------
    covariances : numpy.ndarray
        Covariances, shaped as in the table of this module.
    covariance_type : {"full", "tied", "diag", "spherical"}
        The covariance type.

    Returns
    -------
    numpy.ndarray
        ``precisions_cholesky``, shaped like ``covariances``.

    Raises
    ------
    CovarianceError
        If a covariance is not positive definite; the message names the component.
    """
    if covariance_type == "full":
        n_components, n_features, _ = covariances.shape
        out = np.empty_like(covariances)
        eye = np.eye(n_features)
        for k in range(n_components):
            chol = _cholesky_lower(covariances[k], k, "covariance")
            out[k] = linalg.solve_triangular(chol, eye, lower=True, check_finite=False).T
        return out
    if covariance_type == "tied":
        chol = _cholesky_lower(covariances, None, "covariance")
        return linalg.solve_triangular(
            chol, np.eye(covariances.shape[0]), lower=True, check_finite=False
        ).T
    bad = np.argwhere(~(covariances > 0))
    if bad.size:
        raise CovarianceError(_singular_message(int(bad[0][0]), "variance"))
    return 1.0 / np.sqrt(covariances)


def precision_cholesky_from_precisions(precisions: np.ndarray, covariance_type: str) -> np.ndarray:
    """Upper-triangular Cholesky factors ``U`` with ``precision = U U^T``.

    Raises
    ------
    CovarianceError
        If a precision matrix is not positive definite.
    """
    if covariance_type in ("full", "tied"):
        mats = precisions if covariance_type == "full" else precisions[np.newaxis]
        out = np.empty_like(mats)
        for k, mat in enumerate(mats):
            # Cholesky of the row-and-column-reversed matrix, reversed back, is upper
            # triangular with mat = U U^T.
            flipped = _cholesky_lower(
                mat[::-1, ::-1], k if covariance_type == "full" else None, "precision"
            )
            out[k] = flipped[::-1, ::-1]
        return out if covariance_type == "full" else out[0]
    bad = np.argwhere(~(precisions > 0))
    if bad.size:
        raise CovarianceError(_singular_message(int(bad[0][0]), "precision"))
    return np.sqrt(precisions)


def covariances_from_precision_cholesky(
    precisions_cholesky: np.ndarray, covariance_type: str
) -> np.ndarray:
    """Covariances ``(U U^T)^{-1} = U^{-T} U^{-1}`` from precision Cholesky factors."""
    if covariance_type in ("full", "tied"):
        mats = precisions_cholesky if covariance_type == "full" else precisions_cholesky[np.newaxis]
        out = np.empty_like(mats)
        eye = np.eye(mats.shape[-1])
        for k, upper in enumerate(mats):
            upper_inv = linalg.solve_triangular(upper, eye, lower=False, check_finite=False)
            out[k] = upper_inv.T @ upper_inv
        return out if covariance_type == "full" else out[0]
    return 1.0 / precisions_cholesky**2


def precisions_from_cholesky(precisions_cholesky: np.ndarray, covariance_type: str) -> np.ndarray:
    """Precision matrices ``U U^T`` (or ``U**2`` for diag and spherical)."""
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", precisions_cholesky, precisions_cholesky)
    if covariance_type == "tied":
        return precisions_cholesky @ precisions_cholesky.T
    return precisions_cholesky**2


def _reference(means: np.ndarray) -> np.ndarray:
    # Samples and means are shifted by the centre of the means before any product, so
    # that a large common offset in the data costs no precision in ``x U - mu U``.
    return means.mean(axis=0)


# Below this many features, sums of squares over features are taken by one matrix product
# with a block indicator (fast for tiny blocks); above it, by einsum.
SMALL_N_FEATURES = 4


def _half_squared_norms(y: np.ndarray, n_components: int, n_features: int) -> np.ndarray:
    """``-0.5 * ||y_k||^2`` for each block ``k`` of ``n_features`` columns of ``y``."""
    if n_features <= SMALL_N_FEATURES:
        np.square(y, out=y)
        blocks = np.kron(np.eye(n_components), np.full((n_features, 1), -0.5))
        return y @ blocks
    y3 = y.reshape(y.shape[0], n_components, n_features)
    return np.einsum("ikj,ikj->ik", y3, y3) * -0.5


def _log_gaussian_full(X, means, precisions_cholesky):
    n_components, n_features = means.shape
    centre = _reference(means)
    # One matrix product for all components: column block k of ``X @ u_all`` is X U_k.
    u_all = precisions_cholesky.transpose(1, 0, 2).reshape(n_features, -1)
    y = (X - centre) @ u_all
    y -= np.einsum("kj,kjl->kl", means - centre, precisions_cholesky).reshape(1, -1)
    log_det = np.log(np.diagonal(precisions_cholesky, axis1=1, axis2=2)).sum(axis=1)
    return _half_squared_norms(y, n_components, n_features), log_det


def _log_gaussian_tied(X, means, precisions_cholesky):
    n_components, n_features = means.shape
    centre = _reference(means)
    x_u = (X - centre) @ precisions_cholesky
    mu_u = (means - centre) @ precisions_cholesky
    y = (x_u[:, np.newaxis, :] - mu_u[np.newaxis]).reshape(X.shape[0], -1)
    log_det = np.log(np.diagonal(precisions_cholesky)).sum()
    return _half_squared_norms(y, n_components, n_features), np.full(n_components, log_det)


def _log_gaussian_diag(X, means, precisions_cholesky):
    n_components, n_features = means.shape
    y = (X[:, np.newaxis, :] - means[np.newaxis]) * precisions_cholesky[np.newaxis]
    y = y.reshape(X.shape[0], -1)
    log_det = np.log(precisions_cholesky).sum(axis=1)
    return _half_squared_norms(y, n_components, n_features), log_det


def _log_gaussian_spherical(X, means, precisions_cholesky):
    n_components, n_features = means.shape
    y = (X[:, np.newaxis, :] - means[np.newaxis]).reshape(X.shape[0], -1)
    half = _half_squared_norms(y, n_components, n_features) * precisions_cholesky**2
    return half, n_features * np.log(precisions_cholesky)


_LOG_GAUSSIAN = {
    "full": _log_gaussian_full,
    "tied": _log_gaussian_tied,
    "diag": _log_gaussian_diag,
    "spherical": _log_gaussian_spherical,
}


def estimate_log_gaussian_prob(
    X: np.ndarray,
    means: np.ndarray,
    precisions_cholesky: np.ndarray,
    covariance_type: str,
    offset: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Log density ``log N(x_i | mu_k, Sigma_k)`` of every sample under every component.

    ``log N = -0.5 ||(x - mu_k) U_k||^2 + sum(log diag U_k) - 0.5 d log(2 pi)``.

    Parameters
    ----------
    X : numpy.ndarray of shape (n_samples, n_features)
        Validated float64 data.
    means : numpy.ndarray of shape (n_components, n_features)
        Component means ``mu_k``.
    precisions_cholesky : numpy.ndarray
        Cholesky factors of the precisions (see the module docstring).
    covariance_type : {"full", "tied", "diag", "spherical"}
        The covariance type.
    offset : numpy.ndarray of shape (n_components,) or float, default=0
        Added to column ``k`` (the E-step passes ``log pi_k``, saving a pass over the
        result).

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_components)
        The log densities (plus ``offset``).
    """
    # Each helper returns -0.5 * Mahalanobis term, and 0.5 * log det of the precision.
    out, half_log_det = _LOG_GAUSSIAN[covariance_type](X, means, precisions_cholesky)
    out += half_log_det - 0.5 * X.shape[1] * LOG_2PI + offset
    return out


def n_parameters(n_components: int, n_features: int, covariance_type: str) -> int:
    """Number of free parameters of a Gaussian mixture.

    ``K - 1`` weights (they sum to 1), ``K d`` means, and the covariance parameters:
    ``K d (d + 1) / 2`` (full), ``d (d + 1) / 2`` (tied), ``K d`` (diag), ``K`` (spherical).

    Parameters
    ----------
    n_components, n_features : int
        ``K`` and ``d``.
    covariance_type : {"full", "tied", "diag", "spherical"}
        The covariance type.

    Returns
    -------
    int
        The parameter count used by BIC and AIC.
    """
    k = check_positive_int(n_components, "n_components")
    d = check_positive_int(n_features, "n_features")
    cov = {
        "full": k * d * (d + 1) // 2,
        "tied": d * (d + 1) // 2,
        "diag": k * d,
        "spherical": k,
    }[check_covariance_type(covariance_type)]
    return int(cov + k * d + k - 1)
