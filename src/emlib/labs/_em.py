"""EM bookkeeping shared by the stepping labs: data sets, starting points, a half-step log.

All the mathematics is emlib's (:func:`emlib.e_step`, :func:`emlib.m_step`,
:func:`emlib.log_likelihood`, :func:`emlib.elbo_decomposition`,
:class:`emlib.GaussianMixture`); this module only remembers what happened.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import (
    ConvergenceWarning,
    Dataset,
    GaussianMixture,
    MixtureParams,
    e_step,
    elbo_decomposition,
    kmeans_plusplus,
    load_old_faithful,
    log_likelihood,
    m_step,
    make_blobs,
    make_elongated,
    make_overlapping,
)
from ..core._validation import COVARIANCE_TYPES, check_covariance_type  # noqa: F401 (for the labs)
from ..plotting import MAX_COMPONENTS

#: Data sets offered by the labs, by name, with a label for menus.
DATASETS: dict[str, str] = {
    "blobs": "Blobs (separated, round)",
    "elongated": "Elongated (tilted, side by side)",
    "overlapping": "Overlapping",
    "old_faithful": "Old Faithful (real data)",
}

INITS = {
    "random": "K random data points (seed)",
    "k-means++": "k-means++ (seed)",
    "manual": "placed by hand",
}


def load_dataset(data, *, n_samples: int = 300, random_state: int = 0) -> Dataset:
    """A 2-D :class:`emlib.Dataset` from a name, a Dataset or an array.

    Parameters
    ----------
    data : str, emlib.Dataset or array_like of shape (N, 2)
        One of :data:`DATASETS` (``"blobs"``, ``"elongated"``, ``"overlapping"``,
        ``"old_faithful"``), a Dataset, or the samples themselves.
    n_samples : int, default 300
        Size of a generated data set (Old Faithful always has 272).
    random_state : int, default 0
        Seed of a generated data set.

    Raises
    ------
    ValueError
        For an unknown name, or data that are not finite, 2-D with two columns.
    """
    if isinstance(data, str):
        if data == "blobs":
            return make_blobs(n_samples, random_state=random_state)
        if data == "elongated":
            return make_elongated(n_samples, random_state=random_state)
        if data == "overlapping":
            return make_overlapping(n_samples, random_state=random_state)
        if data == "old_faithful":
            return load_old_faithful()
        raise ValueError(f"unknown data set {data!r}; choose one of {sorted(DATASETS)}.")
    if isinstance(data, Dataset):
        dataset = data
    else:
        X = np.asarray(data, dtype=np.float64)
        dataset = Dataset(X, None, None, "your data", ("x1", "x2"))
    X = np.asarray(dataset.X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"the labs draw 2-D data: X must have shape (N, 2); got {X.shape}. "
            "Pick two columns, e.g. X[:, :2]."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; remove or impute them first.")
    return dataset


def check_n_components(n_components: int, n_samples: int) -> int:
    """``K`` as an int between 1 and :data:`emlib.plotting.MAX_COMPONENTS` (and < N)."""
    if isinstance(n_components, bool) or int(n_components) != n_components:
        raise ValueError(f"n_components must be an integer; got {n_components!r}.")
    k = int(n_components)
    top = min(MAX_COMPONENTS, n_samples)
    if not 1 <= k <= top:
        raise ValueError(f"n_components (K) must be between 1 and {top}; got {k}.")
    return k


def initial_indices(
    X: np.ndarray, n_components: int, init: str = "random", seed: int = 0
) -> np.ndarray:
    """The rows of ``X`` that :func:`initial_means` starts from: ``K`` distinct random
    samples, or the k-means++ choice (:func:`emlib.kmeans_plusplus`), both from ``seed``.

    Raises
    ------
    ValueError
        For an unknown ``init`` (``"manual"`` means are given, not drawn).
    """
    rng = np.random.default_rng(seed)
    if init == "random":
        return rng.choice(X.shape[0], size=n_components, replace=False)
    if init == "k-means++":
        return kmeans_plusplus(X, n_components, rng)[1]
    raise ValueError(f"init must be 'random' or 'k-means++' to draw means; got {init!r}.")


def initial_means(X: np.ndarray, n_components: int, init: str = "random", seed: int = 0):
    """Starting means: ``K`` distinct random samples, or k-means++ (:func:`emlib.kmeans_plusplus`).

    Raises
    ------
    ValueError
        For an unknown ``init`` (``"manual"`` means are given, not drawn).
    """
    return X[initial_indices(X, n_components, init, seed)].copy()


#: Seeds whose starting means the website labs carry (the browser cannot run numpy's
#: generator, so emlib draws the starts at build time): seeds ``0 .. WEB_SEEDS - 1``.
WEB_SEEDS = 20


def web_starts(
    X: np.ndarray, k_max: int, inits=("random",), seeds: int = WEB_SEEDS
) -> dict[str, dict[str, list[list[int]]]]:
    """Starting rows of ``X`` for the website: ``table[init][str(K)][seed]`` is the list of
    the ``K`` row indices that :func:`initial_means` picks for ``K = 1 .. k_max`` (at most
    ``N``) and ``seed = 0 .. seeds - 1``."""
    top = min(int(k_max), X.shape[0])
    return {
        init: {
            str(k): [initial_indices(X, k, init, seed).tolist() for seed in range(seeds)]
            for k in range(1, top + 1)
        }
        for init in inits
    }


def web_dataset(dataset: Dataset, name: str, label: str, *, with_labels: bool = False) -> dict:
    """A data set as plain JSON for a website lab: name, label, ``X`` (N x 2), the feature
    names and (``with_labels``) the true component of each sample when it is known."""
    out = {
        "name": name,
        "label": label,
        "X": np.asarray(dataset.X).tolist(),
        "feature_names": list(dataset.feature_names),
    }
    if with_labels:
        out["z"] = None if dataset.z is None else np.asarray(dataset.z).tolist()
    return out


def web_datasets(
    current: str, custom: Dataset | None, *, n_samples: int, data_seed: int, **kwargs
) -> list[dict]:
    """The data sets of :data:`DATASETS` (and ``custom``, the reader's own data, when the
    lab was called with it) for a website lab, made by :func:`load_dataset` with the lab's
    ``n_samples`` and ``data_seed``."""
    out = [
        web_dataset(
            load_dataset(name, n_samples=n_samples, random_state=data_seed), name, label, **kwargs
        )
        for name, label in DATASETS.items()
    ]
    if custom is not None or current == "custom":
        out.append(web_dataset(custom, "custom", "your data", **kwargs))
    return out


def initial_params(X: np.ndarray, means, covariance_type: str = "full") -> MixtureParams:
    """A deliberately plain start: equal weights, the given means, and every covariance
    equal to the spread of the whole data set (so the first ellipses are large).

    Raises
    ------
    ValueError
        If ``means`` is not finite with shape (K, 2).
    """
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != X.shape[1] or not np.all(np.isfinite(means)):
        raise ValueError(
            f"means must be a finite array of shape (K, {X.shape[1]}); got shape {means.shape}."
        )
    k = means.shape[0]
    var = X.var(axis=0)
    if covariance_type == "full":
        cov = np.tile(np.diag(var), (k, 1, 1))
    elif covariance_type == "tied":
        cov = np.diag(var)
    elif covariance_type == "diag":
        cov = np.tile(var, (k, 1))
    else:
        cov = np.full(k, var.mean())
    return MixtureParams(np.full(k, 1.0 / k), means, cov, covariance_type)


@dataclass(frozen=True)
class HalfStep:
    """One entry of :attr:`EMRun.history`.

    Attributes
    ----------
    kind : {"init", "E", "M"}
        What just happened.
    iteration : int
        Number of M-steps done so far.
    log_likelihood : float
        ``log p(X)`` under the current parameters.
    elbo, kl : float or None
        ``ELBO(q, theta)`` and ``KL(q || p(z|x))`` for the current ``q = resp`` and
        parameters (only when the run tracks them and ``resp`` exists).
    """

    kind: str
    iteration: int
    log_likelihood: float
    elbo: float | None = None
    kl: float | None = None


class EMRun:
    """EM from given starting parameters, one half-step at a time, with a log.

    Parameters
    ----------
    X : numpy.ndarray of shape (N, d)
    start : emlib.MixtureParams
        Parameters at iteration 0.
    reg_covar : float, default 1e-6
        Passed to :func:`emlib.m_step`.
    track_elbo : bool, default False
        Also log ``ELBO`` and ``KL`` after every half-step (via
        :func:`emlib.elbo_decomposition`).
    tol : float, default 1e-3
        :attr:`converged` becomes True when an M-step changes ``log p(X) / N`` by less
        than ``tol`` (the test of :class:`emlib.GaussianMixture`).

    Attributes
    ----------
    params : emlib.MixtureParams
        Current parameters ``theta``.
    resp : numpy.ndarray of shape (N, K) or None
        Responsibilities from the last E-step (None before the first one).
    iteration : int
        M-steps done.
    phase : {"init", "E", "M"}
        The last half-step.
    history : list of HalfStep
        Every half-step, starting with ``"init"``.
    params_history, loglik_history : list
        Parameters and ``log p(X)`` after each iteration (index = iteration).
    converged : bool
        Whether the last iteration changed ``log p(X) / N`` by less than ``tol``.
    """

    def __init__(
        self,
        X: np.ndarray,
        start: MixtureParams,
        *,
        reg_covar: float = 1e-6,
        track_elbo: bool = False,
        tol: float = 1e-3,
    ) -> None:
        self.X = X
        self.start = start
        self.tol = float(tol)
        self.reg_covar = float(reg_covar)
        self.track_elbo = bool(track_elbo)
        self.reset()

    @property
    def covariance_type(self) -> str:
        return self.start.covariance_type

    def reset(self) -> None:
        """Back to iteration 0 (the starting parameters, no responsibilities)."""
        self.params = self.start
        self.resp: np.ndarray | None = None
        self.iteration = 0
        self.phase = "init"
        self.converged = False
        ll = log_likelihood(self.X, self.start)
        self.history = [HalfStep("init", 0, ll)]
        self.params_history = [self.start]
        self.loglik_history = [ll]
        self._display = None

    @property
    def log_likelihood(self) -> float:
        """``log p(X)`` under the current parameters."""
        return self.history[-1].log_likelihood

    def _log(self, kind: str, ll: float | None = None) -> None:
        if self.track_elbo and self.resp is not None:
            parts = elbo_decomposition(self.X, self.resp, self.params)
            self.history.append(
                HalfStep(kind, self.iteration, parts.log_likelihood, parts.elbo, parts.kl)
            )
        else:
            if ll is None:
                ll = log_likelihood(self.X, self.params)
            self.history.append(HalfStep(kind, self.iteration, ll))

    def e_step(self) -> None:
        """E-step: responsibilities ``gamma_ik`` under the current parameters."""
        self.resp, ll = e_step(self.X, self.params)
        self.phase = "E"
        self._display = (self.params, self.resp)
        self._log("E", ll)

    def m_step(self) -> None:
        """M-step: new ``pi_k, mu_k, Sigma_k`` from the last responsibilities.

        Raises
        ------
        ValueError
            Before the first E-step; or (:class:`emlib.CovarianceError`) when a component
            collapses and its covariance is singular (the run is left unchanged).
        """
        if self.resp is None:
            raise ValueError(
                "there are no responsibilities yet: do an E-step first (the M-step "
                "re-estimates pi_k, mu_k and Sigma_k from the responsibilities gamma_ik)."
            )
        new = m_step(self.X, self.resp, self.covariance_type, self.reg_covar)
        self.params = new
        self.iteration += 1
        self.phase = "M"
        self._log("M")
        self.params_history.append(new)
        self.loglik_history.append(self.log_likelihood)
        change = (self.loglik_history[-1] - self.loglik_history[-2]) / len(self.X)
        self.converged = bool(abs(change) < self.tol)

    def step(self) -> None:
        """One EM iteration: E-step, then M-step."""
        self.e_step()
        self.m_step()

    def run(self, max_iter: int = 100, tol: float | None = None) -> None:
        """Continue with :class:`emlib.GaussianMixture` (``record_history=True``) from the
        current parameters until it converges (``tol`` on the mean log-likelihood per
        sample) or ``max_iter`` more iterations; log every iteration.

        Raises
        ------
        ValueError
            If a component collapses on the way (the run is left unchanged).
        """
        p = self.params
        gm = GaussianMixture(
            p.n_components,
            covariance_type=p.covariance_type,
            tol=self.tol if tol is None else tol,
            reg_covar=self.reg_covar,
            max_iter=max_iter,
            weights_init=p.weights,
            means_init=p.means,
            precisions_init=p.precisions,
            record_history=True,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gm.fit(self.X)
        previous = self.log_likelihood
        for record in gm.history_[1:]:
            self.history.append(HalfStep("E", self.iteration, previous))
            self.iteration += 1
            self.history.append(HalfStep("M", self.iteration, record.log_likelihood))
            self.params_history.append(record.params)
            self.loglik_history.append(record.log_likelihood)
            previous = record.log_likelihood
        self.params = gm.history_[-1].params
        self.converged = bool(gm.converged_)
        self.e_step()

    def display_resp(self) -> np.ndarray:
        """Responsibilities under the *current* parameters (computed once per parameters),
        so that colours match the drawn ellipses."""
        if self._display is None or self._display[0] is not self.params:
            resp, _ = e_step(self.X, self.params)
            self._display = (self.params, resp)
        return self._display[1]


class RunState:
    """Base of the lab states that hold one :class:`EMRun` as ``self.run``: its current
    parameters, responsibilities, iteration, phase and log-likelihood, read through."""

    run: EMRun

    @property
    def params(self):
        """Current parameters (``emlib.MixtureParams``)."""
        return self.run.params

    @property
    def resp(self):
        """Responsibilities from the last E-step, or None."""
        return self.run.resp

    @property
    def iteration(self) -> int:
        """M-steps done."""
        return self.run.iteration

    @property
    def phase(self) -> str:
        """``"init"``, ``"E"`` or ``"M"``: the last half-step."""
        return self.run.phase

    @property
    def log_likelihood(self) -> float:
        """``log p(X)`` under the current parameters."""
        return self.run.log_likelihood
