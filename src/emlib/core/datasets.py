"""Data sets with known truth, a sampler for any mixture, and Old Faithful."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._validation import check_positive_int, check_random_state
from .em import MixtureParams


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set for the course.

    Attributes
    ----------
    X : numpy.ndarray of shape (N, d)
        The samples.
    z : numpy.ndarray of shape (N,) or None
        The true component of each sample, when it is known.
    params : MixtureParams or None
        The mixture the samples were drawn from, when it is known.
    name : str
        A short name, for titles and legends.
    feature_names : tuple of str
        One name per column of ``X``.
    description : str
        Where the data come from.
    """

    X: np.ndarray
    z: np.ndarray | None
    params: MixtureParams | None
    name: str
    feature_names: tuple[str, ...]
    description: str = ""


def sample_mixture(
    params: MixtureParams, n_samples: int, random_state=None
) -> tuple[np.ndarray, np.ndarray]:
    """Draw samples by the generative story of a Gaussian mixture.

    For each sample, pick a component ``z ~ Categorical(pi)``, then draw
    ``x ~ N(mu_z, Sigma_z)`` as ``mu_z + L_z e`` with ``Sigma_z = L_z L_z^T`` and
    ``e ~ N(0, I)``.

    Parameters
    ----------
    params : MixtureParams
        The mixture.
    n_samples : int
        Number of samples ``N``.
    random_state : None, int or numpy.random.Generator
        Seed or generator.

    Returns
    -------
    X : numpy.ndarray of shape (N, d)
    z : numpy.ndarray of shape (N,)
        The component of each sample.
    """
    if not isinstance(params, MixtureParams):
        raise ValueError("params must be an emlib.MixtureParams.")
    n_samples = check_positive_int(n_samples, "n_samples")
    rng = check_random_state(random_state)
    z = rng.choice(params.n_components, size=n_samples, p=params.weights)
    noise = rng.standard_normal((n_samples, params.n_features))
    chol = np.linalg.cholesky(params.full_covariances())
    X = params.means[z] + np.einsum("nij,nj->ni", chol[z], noise)
    return X, z


def _rotation(angle_degrees: float) -> np.ndarray:
    theta = np.deg2rad(angle_degrees)
    return np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def _tilted(variances: tuple[float, float], angle_degrees: float) -> np.ndarray:
    rot = _rotation(angle_degrees)
    return rot @ np.diag(variances) @ rot.T


def _make(params, n_samples, random_state, name, description) -> Dataset:
    X, z = sample_mixture(params, n_samples, random_state)
    return Dataset(X, z, params, name, ("x1", "x2"), description)


def make_blobs(n_samples: int = 300, random_state=None) -> Dataset:
    """Three well separated, round clusters in 2-D (k-means' favourite case)."""
    params = MixtureParams(
        [0.3, 0.4, 0.3],
        [[-4.0, 0.0], [0.0, 4.0], [4.0, -1.0]],
        [0.8, 1.0, 0.6],
        "spherical",
    )
    return _make(params, n_samples, random_state, "blobs", "Three separated spherical Gaussians.")


def make_elongated(n_samples: int = 300, random_state=None) -> Dataset:
    """Three long, tilted clusters in 2-D, close side by side (where k-means cuts wrongly)."""
    params = MixtureParams(
        [1 / 3, 1 / 3, 1 / 3],
        [[-3.0, 0.0], [0.0, 0.0], [3.0, 0.0]],
        np.stack([_tilted((6.0, 0.08), 70.0)] * 3),
        "full",
    )
    return _make(params, n_samples, random_state, "elongated", "Three parallel tilted ellipses.")


def make_overlapping(n_samples: int = 300, random_state=None) -> Dataset:
    """Two overlapping clusters of different size and spread, plus a small third one."""
    params = MixtureParams(
        [0.5, 0.35, 0.15],
        [[0.0, 0.0], [2.0, 1.0], [-1.5, 2.5]],
        np.stack([_tilted((2.5, 0.8), 30.0), _tilted((0.5, 0.3), -20.0), 0.3 * np.eye(2)]),
        "full",
    )
    return _make(params, n_samples, random_state, "overlapping", "Three overlapping Gaussians.")


OLD_FAITHFUL_DESCRIPTION = (
    "Old Faithful geyser, Yellowstone National Park: 272 eruptions; eruption duration and "
    "waiting time to the next eruption, both in minutes. Source: W. Härdle (1991), "
    "Smoothing Techniques with Implementation in S, Springer; as distributed in R's "
    "datasets package (faithful). See also Azzalini and Bowman (1990), Applied Statistics "
    "39, 357-365. Eruption times are rounded (many are multiples of 5 seconds)."
)


def load_old_faithful() -> Dataset:
    """The Old Faithful geyser data: 272 eruptions, two features in minutes.

    Column 0 is the eruption duration (``eruptions``), column 1 the waiting time to the
    next eruption (``waiting``). Shipped with the package; nothing is downloaded.

    Returns
    -------
    Dataset
        With ``X`` of shape (272, 2), ``z`` and ``params`` None.
    """
    text = resources.files("emlib").joinpath("data/old_faithful.csv").read_text("utf-8")
    rows = list(csv.reader(text.splitlines()))
    header, body = rows[0], rows[1:]
    X = np.array([[float(value) for value in row] for row in body])
    return Dataset(X, None, None, "Old Faithful", tuple(header), OLD_FAITHFUL_DESCRIPTION)
