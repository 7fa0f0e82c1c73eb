"""The EM algorithm for Gaussian mixtures, one step at a time.

The chapters call these functions one at a time; :class:`emlib.GaussianMixture` runs the
very same building blocks (:func:`_log_resp_chunk`, :class:`_SufficientStatistics`), only
streamed over chunks of samples so that the ``(n_samples, n_components)`` responsibility
matrix never has to sit in memory (see :func:`em_iteration`).

Notation (the course's notation table): ``K`` components, ``N`` samples, weights
``pi_k`` (``weights``), means ``mu_k`` (``means``), covariances ``Sigma_k``
(``covariances``), responsibilities ``gamma_ik`` (``resp``), and the log-likelihood
``log p(X) = sum_i log sum_k pi_k N(x_i | mu_k, Sigma_k)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ._validation import (
    check_covariance_type,
    check_data,
    check_matrix_array,
    check_means,
    check_nonnegative_float,
    check_responsibilities,
    check_weights,
)
from .gaussian import (
    SMALL_N_FEATURES,
    covariances_from_precision_cholesky,
    estimate_log_gaussian_prob,
    precision_cholesky_from_covariances,
    precision_cholesky_from_precisions,
    precisions_from_cholesky,
)

#: Added to every N_k, as scikit-learn does, so that an empty component divides by a tiny
#: positive number instead of zero.
NK_EPS = 10 * np.finfo(np.float64).eps

# Samples are processed in chunks whose (rows x n_features x n_components) temporaries
# hold about 4 MiB: large enough for BLAS to run at full speed, small enough that the
# extra memory of an iteration does not grow with the number of samples.
_CHUNK_ELEMENTS = 1 << 19
_MIN_ROWS, _MAX_ROWS = 256, 16384


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.array(array, dtype=np.float64, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class MixtureParams:
    """The parameters of a Gaussian mixture: weights, means and covariances.

    Instances are immutable (their arrays are read-only), so a history of parameters can be
    kept and replayed safely. The Cholesky factors of the precisions are computed once, at
    construction, which also checks that every covariance is positive definite.

    Parameters
    ----------
    weights : array_like of shape (K,)
        Mixing weights ``pi_k``; non-negative, summing to 1.
    means : array_like of shape (K, d)
        Component means ``mu_k``.
    covariances : array_like
        ``(K, d, d)`` for ``"full"``, ``(d, d)`` for ``"tied"``, ``(K, d)`` variances for
        ``"diag"`` and ``(K,)`` variances for ``"spherical"``.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The covariance type.

    Raises
    ------
    ValueError
        If a shape is wrong, the weights do not sum to 1, or a covariance is not positive
        definite (the message names the component).
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    covariance_type: str = "full"
    precisions_cholesky: np.ndarray = field(default=None, repr=False)

    def __post_init__(self) -> None:
        covariance_type = check_covariance_type(self.covariance_type)
        means = np.asarray(self.means, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(
                f"means must have shape (n_components, n_features); got shape {means.shape}. "
                "For 1-D data use means.reshape(-1, 1)."
            )
        n_components, n_features = means.shape
        weights = check_weights(self.weights, n_components)
        means = check_means(means, n_components, n_features)
        covariances = check_matrix_array(
            self.covariances, covariance_type, n_components, n_features, name="covariances"
        )
        if self.precisions_cholesky is None:
            prec_chol = precision_cholesky_from_covariances(covariances, covariance_type)
        else:
            prec_chol = np.asarray(self.precisions_cholesky, dtype=np.float64)
            if prec_chol.shape != covariances.shape:
                raise ValueError(
                    f"precisions_cholesky must have shape {covariances.shape}; "
                    f"got {prec_chol.shape}."
                )
        object.__setattr__(self, "covariance_type", covariance_type)
        object.__setattr__(self, "weights", _readonly(weights))
        object.__setattr__(self, "means", _readonly(means))
        object.__setattr__(self, "covariances", _readonly(covariances))
        object.__setattr__(self, "precisions_cholesky", _readonly(prec_chol))

    @classmethod
    def _trusted(
        cls, weights, means, covariances, covariance_type: str, precisions_cholesky=None
    ) -> MixtureParams:
        """Build parameters that emlib computed itself: no input checks, only the Cholesky
        factorisation (which still raises :class:`CovarianceError` on a collapse)."""
        self = object.__new__(cls)
        if precisions_cholesky is None:
            precisions_cholesky = precision_cholesky_from_covariances(covariances, covariance_type)
        object.__setattr__(self, "covariance_type", covariance_type)
        for name, value in (
            ("weights", weights),
            ("means", means),
            ("covariances", covariances),
            ("precisions_cholesky", precisions_cholesky),
        ):
            value = np.asarray(value, dtype=np.float64)
            value.setflags(write=False)
            object.__setattr__(self, name, value)
        return self

    @classmethod
    def from_precisions(
        cls, weights, means, precisions, covariance_type: str = "full"
    ) -> MixtureParams:
        """Build parameters from precision matrices (inverse covariances).

        Raises
        ------
        ValueError
            If a precision matrix is not positive definite or has the wrong shape.
        """
        covariance_type = check_covariance_type(covariance_type)
        means = np.asarray(means, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(
                f"means must have shape (n_components, n_features); got {means.shape}."
            )
        precisions = check_matrix_array(
            precisions, covariance_type, means.shape[0], means.shape[1], name="precisions"
        )
        prec_chol = precision_cholesky_from_precisions(precisions, covariance_type)
        covariances = covariances_from_precision_cholesky(prec_chol, covariance_type)
        if covariance_type in ("full", "tied"):
            covariances = 0.5 * (covariances + np.swapaxes(covariances, -1, -2))
        return cls(weights, means, covariances, covariance_type, precisions_cholesky=prec_chol)

    @property
    def n_components(self) -> int:
        """Number of components ``K``."""
        return self.means.shape[0]

    @property
    def n_features(self) -> int:
        """Number of features ``d``."""
        return self.means.shape[1]

    @property
    def precisions(self) -> np.ndarray:
        """Precision matrices (inverse covariances), shaped like ``covariances``."""
        return precisions_from_cholesky(self.precisions_cholesky, self.covariance_type)

    def full_covariances(self) -> np.ndarray:
        """Covariances as ``(K, d, d)`` matrices, whatever the covariance type."""
        k, d = self.n_components, self.n_features
        cov = self.covariances
        if self.covariance_type == "full":
            return np.array(cov)
        if self.covariance_type == "tied":
            return np.broadcast_to(cov, (k, d, d)).copy()
        if self.covariance_type == "diag":
            return np.einsum("kj,ij->kij", cov, np.eye(d))
        return cov[:, None, None] * np.eye(d)[None]

    def __repr__(self) -> str:
        return (
            f"MixtureParams(n_components={self.n_components}, n_features={self.n_features}, "
            f"covariance_type={self.covariance_type!r},\n"
            f"  weights={np.array2string(self.weights, precision=4)},"
            f"\n  means={np.array2string(self.means, precision=4, prefix='  means=')})"
        )


def _check_params(params) -> MixtureParams:
    if not isinstance(params, MixtureParams):
        raise ValueError(
            f"params must be an emlib.MixtureParams; got {type(params).__name__}. "
            "Build one with MixtureParams(weights, means, covariances, covariance_type)."
        )
    return params


def _chunk_rows(n_samples: int, width: int) -> int:
    rows = min(_MAX_ROWS, max(_MIN_ROWS, _CHUNK_ELEMENTS // max(1, width)))
    return max(1, min(n_samples, rows))


def _chunks(n_samples: int, rows: int):
    for start in range(0, n_samples, rows):
        yield slice(start, min(start + rows, n_samples))


def _log_joint(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """:func:`log_joint` on data that is already validated."""
    with np.errstate(divide="ignore"):  # a weight of exactly 0 gives log 0 = -inf, by design
        log_weights = np.log(params.weights)
    return estimate_log_gaussian_prob(
        X, params.means, params.precisions_cholesky, params.covariance_type, log_weights
    )


def log_joint(X, params: MixtureParams) -> np.ndarray:
    """The log joint ``log p(x_i, z_i = k) = log pi_k + log N(x_i | mu_k, Sigma_k)``.

    Its row-wise log-sum-exp is ``log p(x_i)``; subtracting that gives the log
    responsibilities (:func:`log_responsibilities`). A weight of exactly 0 gives ``-inf``.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    params : MixtureParams
        The parameters.

    Returns
    -------
    numpy.ndarray of shape (N, K)
    """
    params = _check_params(params)
    return _log_joint(check_data(X, n_features=params.n_features), params)


# Reductions along the rows of an (n, K) block, one column at a time. With few columns,
# numpy's ``a.max(axis=1)`` pays a loop per row and is many times slower than K whole-column
# operations; the column order is the order numpy adds a short row in, so sums agree.
def _row_max(a: np.ndarray) -> np.ndarray:
    top = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        np.maximum(top, a[:, k], out=top)
    return top


def _row_sum(a: np.ndarray) -> np.ndarray:
    total = a[:, 0].copy()
    for k in range(1, a.shape[1]):
        total += a[:, k]
    return total


def _row_argmax(a: np.ndarray) -> np.ndarray:
    """First index of the row maximum, as ``a.argmax(axis=1)`` (rows without NaN)."""
    top = a[:, 0].copy()
    index = np.zeros(a.shape[0], dtype=np.intp)
    for k in range(1, a.shape[1]):
        better = a[:, k] > top
        index[better] = k
        np.maximum(top, a[:, k], out=top)
    return index


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log sum_k exp(a[i, k])`` for every row, without overflow or underflow.

    The largest entry of each row is taken out before exponentiating, so
    ``exp`` only sees numbers <= 0 and the largest term is exactly 1.

    Parameters
    ----------
    a : numpy.ndarray of shape (n, K)
        Log values; rows may contain ``-inf`` but not only ``-inf``.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    top = _row_max(a)
    return top + np.log(_row_sum(np.exp(a - top[:, None])))


def _log_resp_chunk(X: np.ndarray, params: MixtureParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step on a block of samples: log responsibilities and ``log p(x_i)``."""
    joint = _log_joint(X, params)
    log_norm = logsumexp_rows(joint)
    joint -= log_norm[:, None]
    return joint, log_norm


def _resp_chunk(X: np.ndarray, params: MixtureParams) -> tuple[np.ndarray, np.ndarray]:
    """The E-step on a block of samples: responsibilities and ``log p(x_i)``.

    Same as ``exp`` of :func:`_log_resp_chunk`, in fewer passes: with ``m_i`` the row
    maximum, ``e_ik = exp(a_ik - m_i)`` (the largest is exactly 1), ``gamma_ik = e_ik /
    sum_k e_ik`` and ``log p(x_i) = m_i + log sum_k e_ik``.
    """
    joint = _log_joint(X, params)
    top = _row_max(joint)
    joint -= top[:, None]
    resp = np.exp(joint, out=joint)
    total = _row_sum(resp)
    resp /= total[:, None]
    return resp, top + np.log(total)


def log_responsibilities(X, params: MixtureParams) -> tuple[np.ndarray, np.ndarray]:
    """Log responsibilities ``log gamma_ik`` and per-sample log-likelihoods ``log p(x_i)``.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    params : MixtureParams
        The current parameters.

    Returns
    -------
    log_resp : numpy.ndarray of shape (N, K)
        ``log gamma_ik``; rows satisfy ``logsumexp(log_resp[i]) == 0``.
    log_prob : numpy.ndarray of shape (N,)
        ``log p(x_i)``.
    """
    params = _check_params(params)
    return _log_responsibilities(check_data(X, n_features=params.n_features), params)


def _log_responsibilities(X: np.ndarray, params: MixtureParams) -> tuple[np.ndarray, np.ndarray]:
    """:func:`log_responsibilities` on data that is already validated."""
    n_samples = X.shape[0]
    log_resp = np.empty((n_samples, params.n_components))
    log_prob = np.empty(n_samples)
    rows = _chunk_rows(n_samples, params.n_features * params.n_components)
    for part in _chunks(n_samples, rows):
        log_resp[part], log_prob[part] = _log_resp_chunk(X[part], params)
    return log_resp, log_prob


def _score_samples(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """``log p(x_i)`` for validated data, streamed: shape (N,), no (N, K) array."""
    n_samples = X.shape[0]
    out = np.empty(n_samples)
    for part in _chunks(n_samples, _chunk_rows(n_samples, params.n_features * params.n_components)):
        out[part] = logsumexp_rows(_log_joint(X[part], params))
    return out


def _predict(X: np.ndarray, params: MixtureParams) -> np.ndarray:
    """The most probable component of each sample (validated data), streamed."""
    n_samples = X.shape[0]
    out = np.empty(n_samples, dtype=np.intp)
    for part in _chunks(n_samples, _chunk_rows(n_samples, params.n_features * params.n_components)):
        out[part] = _row_argmax(_log_joint(X[part], params))
    return out


def e_step(X, params: MixtureParams) -> tuple[np.ndarray, float]:
    """The E-step: responsibilities by Bayes' rule, computed in log space.

    ``gamma_ik = pi_k N(x_i | mu_k, Sigma_k) / sum_j pi_j N(x_i | mu_j, Sigma_j)``,
    evaluated as ``exp(log pi_k + log N_ik - logsumexp_j(log pi_j + log N_ij))`` so that a
    point far from every centre does not underflow to ``0 / 0``.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    params : MixtureParams
        The current parameters.

    Returns
    -------
    resp : numpy.ndarray of shape (N, K)
        Responsibilities; each row sums to 1.
    log_likelihood : float
        ``log p(X) = sum_i log p(x_i)`` under ``params`` (a total, not a mean).
    """
    params = _check_params(params)
    X = check_data(X, n_features=params.n_features)
    n_samples = X.shape[0]
    resp = np.empty((n_samples, params.n_components))
    total = 0.0
    for part in _chunks(n_samples, _chunk_rows(n_samples, params.n_features * params.n_components)):
        resp[part], log_prob = _resp_chunk(X[part], params)
        total += float(log_prob.sum())
    return resp, total


def log_likelihood(X, params: MixtureParams) -> float:
    """The log-likelihood ``log p(X) = sum_i log sum_k pi_k N(x_i | mu_k, Sigma_k)``.

    Returns
    -------
    float
        The total over samples (``GaussianMixture.score`` is the mean).
    """
    return float(log_responsibilities(X, params)[1].sum())


def component_log_densities(X, params: MixtureParams) -> np.ndarray:
    """``log N(x_i | mu_k, Sigma_k)`` for every sample and component, without the weights.

    Returns
    -------
    numpy.ndarray of shape (N, K)
    """
    params = _check_params(params)
    X = check_data(X, n_features=params.n_features)
    return estimate_log_gaussian_prob(
        X, params.means, params.precisions_cholesky, params.covariance_type
    )


class _SufficientStatistics:
    """Responsibility-weighted sums from which the M-step computes new parameters.

    Second moments are taken about a shift close to the new means (the old means in a
    streamed iteration, the new means themselves in :func:`m_step`), which avoids the
    cancellation of ``E[x x^T] - mu mu^T``. One private helper per covariance type, as in
    scikit-learn.
    """

    def __init__(self, shift: np.ndarray, covariance_type: str) -> None:
        n_components, n_features = shift.shape
        self.shift = np.asarray(shift, dtype=np.float64)
        self.covariance_type = covariance_type
        self.nk = np.zeros(n_components)
        self.first = np.zeros((n_components, n_features))  # sum_i r_ik (x_i - s_k)
        if covariance_type == "tied":
            self.second = np.zeros((n_features, n_features))
        elif covariance_type == "full":
            self.second = np.zeros((n_components, n_features, n_features))
        else:
            self.second = np.zeros((n_components, n_features))
        # With few features, second moments of all components come from one matrix
        # product of resp with the products of feature pairs, about one common centre; tied
        # covariances always use one centre, so that their resp-free second moment is shared.
        self.common_centre = covariance_type in ("tied", "diag", "spherical") or (
            covariance_type == "full" and n_features <= SMALL_N_FEATURES
        )
        if self.common_centre:
            self.shift = np.broadcast_to(self.shift.mean(axis=0), self.shift.shape)

    def add(self, X: np.ndarray, resp: np.ndarray) -> None:
        """Accumulate a block of samples with their responsibilities."""
        self.nk += resp.sum(axis=0)
        getattr(self, f"_add_{self.covariance_type}")(X, resp)

    def _add_full(self, X, resp):
        n_components, n_features = self.shift.shape
        if self.common_centre:
            diff = X - self.shift[0]
            self.first += resp.T @ diff
            pairs = (diff[:, :, np.newaxis] * diff[:, np.newaxis, :]).reshape(X.shape[0], -1)
            self.second += (resp.T @ pairs).reshape(n_components, n_features, n_features)
            return
        # Per component, W_k = sqrt(r_ik) (x_i - s_k): then sum_i r_ik (x_i - s_k) is
        # sqrt(r_k) W_k, and sum_i r_ik (x_i - s_k)(x_i - s_k)^T is W_k^T W_k (one BLAS
        # product); only one (rows, d) block is alive at a time.
        root = np.sqrt(resp.T)  # (K, rows): each component's weights contiguous
        weighted = np.empty_like(X)  # one buffer, reused by every component
        for k in range(n_components):
            np.subtract(X, self.shift[k], out=weighted)
            weighted *= root[k][:, np.newaxis]
            self.first[k] += root[k] @ weighted
            self.second[k] += weighted.T @ weighted

    def _add_tied(self, X, resp):
        diff = X - self.shift[0]
        self.first += resp.T @ diff
        self.second += diff.T @ diff

    def _add_diag(self, X, resp):
        diff = X - self.shift[0]
        self.first += resp.T @ diff
        self.second += resp.T @ (diff * diff)

    _add_spherical = _add_diag

    def params(self, reg_covar: float) -> MixtureParams:
        """The M-step: new weights, means and covariances from the sums."""
        nk = self.nk + NK_EPS
        weights = nk / nk.sum()
        delta = self.first / nk[:, None]  # new mean minus shift
        n_features = self.shift.shape[1]
        diagonal = np.arange(n_features)
        if self.covariance_type == "tied":
            means = self.shift + delta
            moments = self.second / nk.sum()
            cov = moments - np.einsum("k,ki,kj->ij", nk, delta, delta) / nk.sum()
            cov = _zero_rounding_noise(cov[np.newaxis], moments[np.newaxis])[0]
            cov[diagonal, diagonal] += reg_covar
        elif self.covariance_type == "full":
            means = self.shift + delta
            moments = self.second / nk[:, None, None]
            cov = _zero_rounding_noise(moments - np.einsum("ki,kj->kij", delta, delta), moments)
            cov[:, diagonal, diagonal] += reg_covar
        else:
            means = self.shift + delta
            moments = self.second / nk[:, None]
            cov = moments - delta**2
            cov[cov <= _NOISE * moments] = 0.0
            if self.covariance_type == "spherical":
                cov = cov.mean(axis=1)
            cov = cov + reg_covar
        return MixtureParams._trusted(weights, means, cov, self.covariance_type)


# Relative size of the rounding noise in ``E[(x - s)(x - s)^T] - delta delta^T``: an
# eigenvalue (or variance) below this fraction of the second moments is zero in exact
# arithmetic (a component collapsed onto a point or a line) and is set to exactly zero, so
# that ``reg_covar`` alone decides what happens, instead of noise.
_NOISE = 1e4 * np.finfo(np.float64).eps


def _zero_rounding_noise(cov: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """Symmetrise ``(K, d, d)`` covariances and zero their eigenvalues below the noise."""
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    floor = _NOISE * np.trace(moments, axis1=1, axis2=2)
    values = np.linalg.eigvalsh(cov)
    noisy = values[:, 0] <= floor
    if noisy.any():
        w, v = np.linalg.eigh(cov[noisy])
        w[w <= floor[noisy, np.newaxis]] = 0.0
        cov[noisy] = np.einsum("kij,kj,klj->kil", v, w, v)
    return cov


def m_step(X, resp, covariance_type: str = "full", reg_covar: float = 1e-6) -> MixtureParams:
    """The M-step: responsibility-weighted weights, means and covariances.

    With ``N_k = sum_i gamma_ik``::

        pi_k    = N_k / N
        mu_k    = sum_i gamma_ik x_i / N_k
        Sigma_k = sum_i gamma_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar * I

    With one-hot ``resp`` these are the ordinary per-cluster proportion, mean and
    (maximum-likelihood, divide-by-``N_k``) covariance.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    resp : array_like of shape (N, K)
        Responsibilities; rows must sum to 1.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        The covariance type of the new parameters.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, so that no component can collapse onto a
        single point.

    Returns
    -------
    MixtureParams
        The new parameters.
    """
    covariance_type = check_covariance_type(covariance_type)
    reg_covar = check_nonnegative_float(reg_covar, "reg_covar")
    X = check_data(X)
    resp = check_responsibilities(resp, X.shape[0])
    return _m_step(X, lambda part: resp[part], resp.shape[1], covariance_type, reg_covar)


def _m_step(X, resp_of, n_components, covariance_type, reg_covar) -> MixtureParams:
    """:func:`m_step` on validated data, streamed: ``resp_of(rows)`` gives a block of
    responsibilities (a slice of a stored array, or one-hot labels made block by block), so
    no ``(N, K)`` array need exist. Two passes: the means, then the second moments about
    them."""
    n_samples = X.shape[0]
    rows = _chunk_rows(n_samples, X.shape[1] * n_components)
    nk = np.zeros(n_components)
    first = np.zeros((n_components, X.shape[1]))
    # Means about the first sample, so that a large offset in X costs no precision.
    for part in _chunks(n_samples, rows):
        block = resp_of(part)
        nk += block.sum(axis=0)
        first += block.T @ (X[part] - X[0])
    means = X[0] + first / (nk + NK_EPS)[:, None]
    stats = _SufficientStatistics(means, covariance_type)
    for part in _chunks(n_samples, rows):
        stats.add(X[part], resp_of(part))
    return stats.params(reg_covar)


class EMIteration(NamedTuple):
    """What one streamed EM iteration returns."""

    params: MixtureParams
    """The parameters after the M-step."""
    log_likelihood: float
    """``log p(X)`` under the parameters *before* the M-step (from its E-step)."""
    resp: np.ndarray | None
    """The E-step's responsibilities, if they were asked for."""


def em_iteration(
    X, params: MixtureParams, reg_covar: float = 1e-6, *, return_resp: bool = False
) -> EMIteration:
    """One full EM iteration, E-step then M-step, streamed over chunks of samples.

    Equivalent to ``resp, ll = e_step(X, params); m_step(X, resp, ...)``, but the
    responsibilities of each chunk are folded into the M-step's sums at once, so the
    ``(N, K)`` matrix is never stored (unless ``return_resp``). This is what
    :class:`emlib.GaussianMixture` runs.

    Parameters
    ----------
    X : array_like of shape (N, d)
        The data.
    params : MixtureParams
        The current parameters.
    reg_covar : float, default=1e-6
        Added to the diagonal of every new covariance.
    return_resp : bool, default=False
        Also return the E-step's responsibilities.

    Returns
    -------
    EMIteration
        New parameters, the log-likelihood of the old ones, and optionally ``resp``.
    """
    params = _check_params(params)
    X = check_data(X, n_features=params.n_features)
    reg_covar = check_nonnegative_float(reg_covar, "reg_covar")
    return _em_iteration(X, params, reg_covar, return_resp)


def _em_iteration(X, params, reg_covar, return_resp) -> EMIteration:
    n_samples = X.shape[0]
    stats = _SufficientStatistics(params.means, params.covariance_type)
    resp_all = np.empty((n_samples, params.n_components)) if return_resp else None
    total = 0.0
    rows = _chunk_rows(n_samples, params.n_features * params.n_components)
    for part in _chunks(n_samples, rows):
        resp, log_norm = _resp_chunk(X[part], params)
        total += float(log_norm.sum())
        stats.add(X[part], resp)
        if return_resp:
            resp_all[part] = resp
    return EMIteration(stats.params(reg_covar), total, resp_all)


class ELBODecomposition(NamedTuple):
    """``log p(X) = ELBO(q) + KL(q || p(z | x))``, each term computed on its own."""

    log_likelihood: float
    elbo: float
    kl: float


def _log_joint_and_resp(X, resp, params):
    params = _check_params(params)
    X = check_data(X, n_features=params.n_features)
    resp = check_responsibilities(resp, X.shape[0], params.n_components)
    return X, resp, _log_joint(X, params)


def _entropy_terms(resp: np.ndarray) -> np.ndarray:
    """``gamma log gamma`` with the convention ``0 log 0 = 0``."""
    out = np.zeros_like(resp)
    positive = resp > 0
    out[positive] = resp[positive] * np.log(resp[positive])
    return out


def _weighted_sum(resp: np.ndarray, log_values: np.ndarray) -> float:
    """``sum gamma * log_values``, skipping entries with gamma = 0 (where log may be -inf)."""
    positive = resp > 0
    return float((resp[positive] * log_values[positive]).sum())


def elbo(X, resp, params: MixtureParams) -> float:
    """The evidence lower bound for a distribution ``q(z_i = k) = resp[i, k]``.

    ``ELBO(q) = sum_i sum_k gamma_ik [log pi_k + log N(x_i | mu_k, Sigma_k) - log gamma_ik]``,
    which is ``<= log p(X)`` by Jensen's inequality, with equality when ``resp`` is the
    E-step's posterior.

    Returns
    -------
    float
        The ELBO (a total over samples).
    """
    _, resp, joint = _log_joint_and_resp(X, resp, params)
    return _weighted_sum(resp, joint) - float(_entropy_terms(resp).sum())


def kl_divergence(X, resp, params: MixtureParams) -> float:
    """``sum_i KL(q_i || p(z_i | x_i))`` between ``resp`` and the exact posterior.

    Computed directly from the posterior, not as ``log p(X) - ELBO``, so that the identity
    ``log p(X) = ELBO + KL`` can be checked numerically.

    Returns
    -------
    float
        The KL divergence (a total over samples); ``>= 0``.
    """
    _, resp, joint = _log_joint_and_resp(X, resp, params)
    log_post = joint - logsumexp_rows(joint)[:, None]
    return float(_entropy_terms(resp).sum()) - _weighted_sum(resp, log_post)


def elbo_decomposition(X, resp, params: MixtureParams) -> ELBODecomposition:
    """``log p(X)``, ``ELBO(q)`` and ``KL(q || p(z|x))`` for ``q = resp``, computed separately.

    Returns
    -------
    ELBODecomposition
        A named tuple ``(log_likelihood, elbo, kl)``.
    """
    return ELBODecomposition(
        log_likelihood(X, params), elbo(X, resp, params), kl_divergence(X, resp, params)
    )
