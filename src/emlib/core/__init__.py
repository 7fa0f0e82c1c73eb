"""The numerical core of emlib: numpy and scipy only, no plotting.

Everything here is re-exported by :mod:`emlib`.
"""

from .bernoulli import (
    BernoulliEMResult,
    BernoulliMixtureParams,
    bernoulli_e_step,
    bernoulli_em,
    bernoulli_log_joint,
    bernoulli_log_likelihood,
    bernoulli_m_step,
)
from .datasets import (
    Dataset,
    load_old_faithful,
    make_blobs,
    make_elongated,
    make_overlapping,
    sample_mixture,
)
from .em import (
    ELBODecomposition,
    EMIteration,
    MixtureParams,
    component_log_densities,
    e_step,
    elbo,
    elbo_decomposition,
    em_iteration,
    kl_divergence,
    log_likelihood,
    log_responsibilities,
    logsumexp_rows,
    m_step,
)
from .gaussian import CovarianceError, estimate_log_gaussian_prob, n_parameters
from .kmeans import (
    FixedVarianceEMResult,
    KMeans,
    fixed_variance_em,
    hard_e_step,
    kmeans_plusplus,
    squared_distances,
)
from .mixture import ConvergenceWarning, EMRecord, GaussianMixture, NotFittedError
from .selection import SelectionResult, aic, bic, select_n_components

__all__ = [
    "BernoulliEMResult",
    "BernoulliMixtureParams",
    "ConvergenceWarning",
    "CovarianceError",
    "Dataset",
    "ELBODecomposition",
    "EMIteration",
    "EMRecord",
    "FixedVarianceEMResult",
    "GaussianMixture",
    "KMeans",
    "MixtureParams",
    "NotFittedError",
    "SelectionResult",
    "aic",
    "bernoulli_e_step",
    "bernoulli_em",
    "bernoulli_log_joint",
    "bernoulli_log_likelihood",
    "bernoulli_m_step",
    "bic",
    "component_log_densities",
    "e_step",
    "elbo",
    "elbo_decomposition",
    "em_iteration",
    "estimate_log_gaussian_prob",
    "fixed_variance_em",
    "hard_e_step",
    "kl_divergence",
    "kmeans_plusplus",
    "load_old_faithful",
    "log_likelihood",
    "log_responsibilities",
    "logsumexp_rows",
    "m_step",
    "make_blobs",
    "make_elongated",
    "make_overlapping",
    "n_parameters",
    "sample_mixture",
    "select_n_components",
    "squared_distances",
]
