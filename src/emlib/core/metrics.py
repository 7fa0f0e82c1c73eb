"""Comparing a clustering with the true components."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def _as_labels(values, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of labels; got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.number) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer labels 0, 1, ...; got dtype {arr.dtype}.")
        arr = arr.astype(np.intp)
    if arr.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0; got {int(arr.min())}.")
    return arr


def matched_accuracy(labels, truth, n_components: int | None = None) -> float:
    """Fraction of samples whose label is their true component, after the best renaming.

    Cluster labels are arbitrary names: cluster 0 of a fit may be true component 2. The
    labels are renamed one-to-one so that as many samples as possible agree with the truth
    (the Hungarian algorithm on the contingency table,
    :func:`scipy.optimize.linear_sum_assignment`), and the fraction that agrees is returned.

    Parameters
    ----------
    labels : array_like of shape (N,)
        Cluster labels, integers >= 0 (``predict``'s output, or ``KMeans.labels_``).
    truth : array_like of shape (N,)
        True components, integers >= 0 (a dataset's ``z``).
    n_components : int, optional
        Number of components; by default the largest label in either array, plus one.

    Returns
    -------
    float
        Between 0 and 1.
    """
    labels = _as_labels(labels, "labels")
    truth = _as_labels(truth, "truth")
    if labels.shape != truth.shape:
        raise ValueError(
            f"labels and truth must have the same length; got {labels.size} and {truth.size}."
        )
    size = max(int(labels.max()), int(truth.max())) + 1
    if n_components is not None:
        size = max(size, int(n_components))
    table = np.zeros((size, size))
    np.add.at(table, (labels, truth), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / labels.size)
