"""The numerical core of emlib: numpy and scipy only, no plotting, no scikit-learn.

Everything here is re-exported by :mod:`emlib`. The estimators built on it
(:class:`emlib.GaussianMixture`, :class:`emlib.KMeans`) live one layer up, in
:mod:`emlib.estimators`, the only module of emlib that imports scikit-learn.
"""

from ._validation import COVARIANCE_TYPES
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
    log_joint,
    log_likelihood,
    log_responsibilities,
    logsumexp_rows,
    m_step,
)
from .fit import EMRecord, EMRun
from .gaussian import CovarianceError, estimate_log_gaussian_prob, n_parameters
from .kmeans import (
    FixedVarianceEMResult,
    fixed_variance_em,
    hard_e_step,
    kmeans_plusplus,
    squared_distances,
)
from .metrics import matched_accuracy
from .selection import aic, bic

__all__ = [
    "COVARIANCE_TYPES",
    "BernoulliEMResult",
    "BernoulliMixtureParams",
    "CovarianceError",
    "Dataset",
    "ELBODecomposition",
    "EMIteration",
    "EMRecord",
    "EMRun",
    "FixedVarianceEMResult",
    "MixtureParams",
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
    "log_joint",
    "log_likelihood",
    "log_responsibilities",
    "logsumexp_rows",
    "m_step",
    "make_blobs",
    "make_elongated",
    "make_overlapping",
    "matched_accuracy",
    "n_parameters",
    "sample_mixture",
    "squared_distances",
]
