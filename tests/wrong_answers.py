"""Submissions for the checks: plausible wrong answers and correct alternatives, as edits of
the solution notebooks (test fixtures, not part of the course package).

Each :class:`Submission` edits the code of ``solutions/NN_*_solution.ipynb``: ``replace``
is a list of ``(old, new)`` text substitutions (each ``old`` must occur) and ``append`` is
code added after the notebook's definitions (e.g. a whole new version of the function).
``expect`` is the mistake id the check must report, or ``None`` for a correct alternative
that must get full marks.

``tests/test_check_framework.py`` grades every submission in process with
``Exercise.grade`` on the function the edited notebook defines; ``tests/test_grade.py`` grades
a few through the grader's kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Submission:
    """One edited solution: what it does, how, and the verdict it must get."""

    key: str  # "ch03.responsibilities"
    description: str
    expect: str | None  # a mistake id, or None: must pass
    replace: tuple[tuple[str, str], ...] = ()
    append: str = ""
    localised: bool = field(default=False)  # the hint must localise ("right when ...")

    @property
    def assignment(self) -> str:
        return self.key.split(".")[0]

    @property
    def name(self) -> str:
        return self.key.split(".")[1]


S = Submission
PDF = "np.exp(-0.5 * (x - means) ** 2 / stds**2) / np.sqrt(2 * np.pi * stds**2)"
LSE = "return m[:, 0] + np.log(np.exp(a - m).sum(axis=1))"
RESP_RETURN = "return np.exp(log_joint - log_sum_exp(log_joint)[:, None])"
EM_BODY = (
    "        resp, ll = e_step(X, params)\n"
    "        log_likelihoods.append(ll)\n"
    "        params = m_step(X, resp)\n"
)
ELBO_SUM = "return np.sum(resp[positive] * (log_joint[positive] - np.log(resp[positive])))"
KL_SUM = "return np.sum(resp[positive] * (np.log(resp[positive]) - log_post[positive]))"
KL_POST = "log_post = log_joint - logsumexp(log_joint, axis=1, keepdims=True)"
FLAG_SCORES = "scores = logsumexp(log_joint, axis=1)"
BERN_RETURN = "return np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True))"

SUBMISSIONS: list[Submission] = [
    # ------------------------------------------------------------------ 1.1 mixture_pdf
    S("ch01.mixture_pdf", "leaves out the weights", "no-weights",
      (("return densities @ weights", "return densities.sum(axis=1)"),)),
    S("ch01.mixture_pdf", "standard deviation as the variance", "std-as-variance",
      ((PDF, "np.exp(-0.5 * (x - means) ** 2 / stds) / np.sqrt(2 * np.pi * stds)"),)),
    S("ch01.mixture_pdf", "weighted components, not summed", "not-summed",
      (("return densities @ weights", "return densities * weights"),)),
    S("ch01.mixture_pdf", "averages the components", "equal-weights",
      (("return densities @ weights", "return densities.mean(axis=1)"),)),
    S("ch01.mixture_pdf", "forgets the 2 pi in the normaliser", "wrong-values",
      (("np.sqrt(2 * np.pi * stds**2)", "np.sqrt(stds**2)"),)),
    S("ch01.mixture_pdf", "forgets the 1/2 in the exponent", "wrong-values",
      (("np.exp(-0.5 * (x - means) ** 2", "np.exp(-(x - means) ** 2"),)),
    S("ch01.mixture_pdf", "scipy.stats.norm", "forbidden-call",
      (("return densities @ weights",
        "import scipy.stats\n    return scipy.stats.norm.pdf(x, means, stds) @ weights"),)),
    S("ch01.mixture_pdf", "emlib through __import__ and getattr", "forbidden-call",
      (("return densities @ weights",
        "lib = __import__('em' + 'lib')\n"
        "    p = lib.MixtureParams(weights, means[:, None], stds**2, 'spherical')\n"
        "    lr = getattr(lib, 'log_' + 'responsibilities')(x, p)\n"
        "    return np.exp(lr[1])"),)),
    S("ch01.mixture_pdf", "a loop over the components and a helper named norm", None,
      append="def norm(x, mu, sigma):\n"
             "    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))\n\n"
             "def mixture_pdf(x, weights, means, stds):\n"
             "    x = np.asarray(x, dtype=float)\n"
             "    total = np.zeros_like(x)\n"
             "    for w, m, s in zip(weights, means, stds):\n"
             "        total += w * norm(x, m, s)\n"
             "    return total\n"),
    # ------------------------------------------------------------------ 1.2 sample_components
    S("ch01.sample_components", "strict comparison", "boundary-off-by-one",
      (("u[:, None] >= boundaries", "u[:, None] > boundaries"),)),
    S("ch01.sample_components", "labels from 1", "labels-start-at-one",
      (("return (u[:, None] >= boundaries).sum(axis=1)",
        "return (u[:, None] >= boundaries).sum(axis=1) + 1"),)),
    S("ch01.sample_components", "weights, not cumulative sums", "not-cumulative",
      (("boundaries = np.cumsum(weights)[:-1]", "boundaries = np.asarray(weights)"),)),
    S("ch01.sample_components", "floats instead of integer labels", "wrong-type",
      (("return (u[:, None] >= boundaries).sum(axis=1)",
        "return (u[:, None] >= boundaries).sum(axis=1).astype(float)"),)),
    S("ch01.sample_components", "a loop over all K cumulative sums", None,
      append="def sample_components(u, weights):\n"
             "    c = np.cumsum(weights)\n"
             "    return np.array([int(np.argmax(ui < c)) if ui < c[-1] else len(c) - 1\n"
             "                     for ui in u])\n"),
    S("ch01.sample_components", "a loop with searchsorted", None,
      append="def sample_components(u, weights):\n"
             "    edges = np.cumsum(weights)[:-1]\n"
             "    labels = [np.searchsorted(edges, v, side='right') for v in u]\n"
             "    return np.array(labels, dtype=int)\n"),
    # ------------------------------------------------------------------ 1.3 sample_mixture_1d
    S("ch01.sample_mixture_1d", "squares the standard deviations", "scale-is-variance",
      (("stds[z] * rng.standard_normal", "stds[z] ** 2 * rng.standard_normal"),)),
    S("ch01.sample_mixture_1d", "uniform components", "ignores-weights",
      (("z = sample_components(rng.random(n_samples), weights)",
        "z = rng.integers(0, len(weights), size=n_samples)"),)),
    S("ch01.sample_mixture_1d", "x from other labels than returned", "labels-do-not-match",
      (("    return x, z", "    return x, sample_components(rng.random(n_samples), weights)"),)),
    S("ch01.sample_mixture_1d", "ignores its seed (an unseeded generator)", "not-reproducible",
      (("rng = np.random.default_rng(seed)", "rng = np.random.default_rng()"),)),
    S("ch01.sample_mixture_1d", "always seed 42", "not-reproducible",
      (("rng = np.random.default_rng(seed)", "rng = np.random.default_rng(42)"),)),
    S("ch01.sample_mixture_1d", "noise not scaled", "noise-not-scaled",
      (("stds[z] * rng.standard_normal", "rng.standard_normal"),)),
    S("ch01.sample_mixture_1d", "emlib.sample_mixture", "forbidden-call",
      (("    return x, z",
        "    params = MixtureParams(weights, means[:, None], stds**2, 'spherical')\n"
        "    X, z = sample_mixture(params, n_samples, seed)\n    return X[:, 0], z"),)),
    S("ch01.sample_mixture_1d", "rng.choice and rng.normal (a correct sampler)", None,
      append="def sample_mixture_1d(n_samples, weights, means, stds, seed):\n"
             "    rng = np.random.default_rng(seed)\n"
             "    z = rng.choice(len(weights), size=n_samples, p=weights)\n"
             "    return rng.normal(np.asarray(means)[z], np.asarray(stds)[z]), z\n"),
    # ------------------------------------------------------------------ 2.1 fit_with_labels
    S("ch02.fit_with_labels", "np.cov (N_k - 1)", "unbiased-covariance",
      (("covariances[k] = diff.T @ diff / n_k", "covariances[k] = np.cov(members.T)"),)),
    S("ch02.fit_with_labels", "counts as weights", "weights-not-normalised",
      (("weights[k] = n_k / len(X)", "weights[k] = n_k"),)),
    S("ch02.fit_with_labels", "not centred", "covariance-not-centred",
      (("diff = members - means[k]", "diff = members"),)),
    S("ch02.fit_with_labels", "divides the covariance by N", "divides-by-n",
      (("covariances[k] = diff.T @ diff / n_k", "covariances[k] = diff.T @ diff / len(X)"),)),
    S("ch02.fit_with_labels", "centred on the data mean", "centred-on-data-mean",
      (("diff = members - means[k]", "diff = members - X.mean(axis=0)"),)),
    S("ch02.fit_with_labels", "emlib.m_step", "forbidden-call",
      (("    return weights, means, covariances",
        "    from emlib import m_step\n"
        "    fitted = m_step(X, np.eye(K)[z], reg_covar=0.0)\n"
        "    return fitted.weights, fitted.means, fitted.covariances"),)),
    S("ch02.fit_with_labels", "np.cov with bias=True, vectorised weights", None,
      append="def fit_with_labels(X, z, K):\n"
             "    X = np.asarray(X, dtype=float)\n"
             "    weights = np.bincount(z, minlength=K) / len(X)\n"
             "    means = np.array([X[z == k].mean(axis=0) for k in range(K)])\n"
             "    covs = np.array([np.atleast_2d(np.cov(X[z == k].T, bias=True))\n"
             "                     for k in range(K)])\n"
             "    return weights, means, covs\n"),
    # ------------------------------------------------------------------ 2.2 label_posterior
    S("ch02.label_posterior", "forgets the weights", "no-weights",
      (("joint = weights * normal_pdf(", "joint = normal_pdf("),)),
    S("ch02.label_posterior", "not normalised", "rows-do-not-sum-to-one",
      (("return joint / joint.sum(axis=1, keepdims=True)", "return joint"),)),
    S("ch02.label_posterior", "normalised over points", "normalised-over-points",
      (("return joint / joint.sum(axis=1, keepdims=True)",
        "return joint / joint.sum(axis=0, keepdims=True)"),)),
    S("ch02.label_posterior", "variance passed as std", "wrong-values",
      (("normal_pdf(x[:, None], means, stds)", "normal_pdf(x[:, None], means, stds**2)"),)),
    S("ch02.label_posterior", "scipy.stats.norm (allowed here)", None,
      (("joint = weights * normal_pdf(x[:, None], means, stds)",
        "from scipy.stats import norm\n"
        "    joint = weights * norm.pdf(x[:, None], means, stds)"),)),
    S("ch02.label_posterior", "emlib.e_step through an alias", "forbidden-call",
      (("    x = np.asarray(x, dtype=float)\n    joint",
        "    import emlib as E\n"
        "    p = E.MixtureParams(weights, np.asarray(means)[:, None], np.asarray(stds)**2,"
        " 'spherical')\n"
        "    return E.e_step(np.asarray(x, dtype=float)[:, None], p)[0]\n"
        "    x = np.asarray(x, dtype=float)\n    joint"),)),
    # ------------------------------------------------------------------ 2.3 complete_log_likelihood
    S("ch02.complete_log_likelihood", "forgets the log-weights", "no-weights",
      (("log_joint = np.log(params.weights) + component_log_densities(X, params)",
        "log_joint = component_log_densities(X, params)"),)),
    S("ch02.complete_log_likelihood", "sums over all components", "summed-over-all-components",
      (("return log_joint[np.arange(len(X)), z].sum()", "return log_joint.sum()"),)),
    S("ch02.complete_log_likelihood", "averages", "mean-not-sum",
      (("return log_joint[np.arange(len(X)), z].sum()",
        "return log_joint[np.arange(len(X)), z].mean()"),)),
    S("ch02.complete_log_likelihood", "weights not logged", "weights-not-logged",
      (("np.log(params.weights) + component_log_densities",
        "params.weights + component_log_densities"),)),
    S("ch02.complete_log_likelihood", "log-likelihood without labels", "incomplete-log-likelihood",
      (("return log_joint[np.arange(len(X)), z].sum()",
        "m = log_joint.max(axis=1, keepdims=True)\n"
        "    return (m[:, 0] + np.log(np.exp(log_joint - m).sum(axis=1))).sum()"),)),
    S("ch02.complete_log_likelihood", "a loop with scipy.stats.multivariate_normal", None,
      append="def complete_log_likelihood(X, z, params):\n"
             "    from scipy.stats import multivariate_normal\n"
             "    total = 0.0\n"
             "    for x, k in zip(X, z):\n"
             "        total += np.log(params.weights[k]) + multivariate_normal.logpdf(\n"
             "            x, params.means[k], params.full_covariances()[k])\n"
             "    return total\n"),
    # ------------------------------------------------------------------ 3.1 log_sum_exp
    S("ch03.log_sum_exp", "textbook formula", "overflow",
      ((LSE, "return np.log(np.exp(a).sum(axis=1))"),)),
    S("ch03.log_sum_exp", "max not added back", "max-not-added-back",
      (("return m[:, 0] + np.log(", "return np.log("),)),
    S("ch03.log_sum_exp", "keeps dims", "kept-dims",
      ((LSE, "return m + np.log(np.exp(a - m).sum(axis=1, keepdims=True))"),)),
    S("ch03.log_sum_exp", "subtracts the row mean", "shifted-by-the-mean",
      (("m = a.max(axis=1, keepdims=True)", "m = a.mean(axis=1, keepdims=True)"),)),
    S("ch03.log_sum_exp", "global maximum", "global-max",
      (("m = a.max(axis=1, keepdims=True)", "m = np.full((len(a), 1), a.max())"),)),
    S("ch03.log_sum_exp", "sums over the wrong axis", "wrong-axis",
      (("m = a.max(axis=1, keepdims=True)\n    " + LSE,
        "m = a.max(axis=0, keepdims=True)\n"
        "    return m[0] + np.log(np.exp(a - m).sum(axis=0))"),)),
    S("ch03.log_sum_exp", "scipy logsumexp", "forbidden-call",
      ((LSE, "from scipy.special import logsumexp\n    return logsumexp(a, axis=1)"),)),
    S("ch03.log_sum_exp", "a loop over rows with max", None,
      append="def log_sum_exp(a):\n"
             "    out = []\n"
             "    for row in np.asarray(a, dtype=float):\n"
             "        top = max(row)\n"
             "        out.append(top + np.log(sum(np.exp(v - top) for v in row)))\n"
             "    return np.array(out)\n"),
    # ------------------------------------------------------------------ 3.2 responsibilities
    S("ch03.responsibilities", "leaves out the weights", "no-weights",
      (("np.log(params.weights) + component_log_densities(", "component_log_densities("),)),
    S("ch03.responsibilities", "normalises in linear space", "underflow",
      ((RESP_RETURN, "joint = np.exp(log_joint)\n"
                     "    return joint / joint.sum(axis=1, keepdims=True)"),)),
    S("ch03.responsibilities", "not normalised", "rows-do-not-sum-to-one",
      ((RESP_RETURN, "return np.exp(log_joint)"),)),
    S("ch03.responsibilities", "normalised over points", "normalised-over-points",
      (("log_sum_exp(log_joint)[:, None]", "log_sum_exp(log_joint.T)[None, :]"),)),
    S("ch03.responsibilities", "returns log responsibilities", "log-responsibilities",
      ((RESP_RETURN, "return log_joint - log_sum_exp(log_joint)[:, None]"),)),
    S("ch03.responsibilities", "weights not logged", "weights-not-logged",
      (("np.log(params.weights) + component_log_densities(",
        "params.weights + component_log_densities("),)),
    S("ch03.responsibilities", "emlib.e_step", "forbidden-call",
      ((RESP_RETURN, "from emlib import e_step\n    return e_step(X, params)[0]"),)),
    S("ch03.responsibilities", "e_step by a computed name", "forbidden-call",
      ((RESP_RETURN, "import importlib\n"
                     "    f = getattr(importlib.import_module('emlib'), 'e' + '_step')\n"
                     "    return f(X, params)[0]"),)),
    S("ch03.responsibilities", "scipy multivariate_normal and logsumexp (allowed)", None,
      append="def responsibilities(X, params):\n"
             "    from scipy.special import logsumexp\n"
             "    from scipy.stats import multivariate_normal\n"
             "    cov = params.full_covariances()\n"
             "    lj = np.column_stack([np.log(w) + multivariate_normal.logpdf(X, m, c)\n"
             "                          for w, m, c in zip(params.weights, params.means, cov)])\n"
             "    lj = lj.reshape(len(X), -1)\n"
             "    return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))\n"),
    # ------------------------------------------------------------------ 4.1 m_step
    S("ch04.m_step", "divides by N", "divides-by-n",
      (("means = resp.T @ X / nk[:, None]", "means = resp.T @ X / len(X)"),
       ("@ diff / nk[k]", "@ diff / len(X)"))),
    S("ch04.m_step", "effective counts as weights", "weights-not-normalised",
      (("weights = nk / len(X)", "weights = nk"),)),
    S("ch04.m_step", "forgets gamma in the covariance", "unweighted-scatter",
      (("covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]",
        "covariances[k] = diff.T @ diff / nk[k]"),)),
    S("ch04.m_step", "not centred", "covariance-not-centred",
      (("diff = X - means[k]", "diff = X"),)),
    S("ch04.m_step", "hard assignments", "hard-assignments",
      (("    resp = np.asarray(resp, dtype=float)\n",
        "    resp = np.asarray(resp, dtype=float)\n"
        "    resp = np.eye(resp.shape[1])[resp.argmax(axis=1)]\n"),)),
    S("ch04.m_step", "divides by N_k - 1", "divides-by-nk-minus-one",
      (("@ diff / nk[k]", "@ diff / (nk[k] - 1)"),)),
    S("ch04.m_step", "gamma squared in the covariance", "squared-responsibilities",
      (("covariances[k] = (resp[:, k, None] * diff).T @ diff / nk[k]",
        "covariances[k] = (resp[:, k, None] * diff).T @ (resp[:, k, None] * diff) / nk[k]"),)),
    S("ch04.m_step", "emlib.m_step", "forbidden-call",
      (("    return weights, means, covariances",
        "    import emlib\n    p = emlib.m_step(X, resp, reg_covar=0.0)\n"
        "    return p.weights, p.means, p.covariances"),)),
    S("ch04.m_step", "np.cov with aweights and bias=True, loops", None,
      append="def m_step(X, resp):\n"
             "    X = np.asarray(X, dtype=float)\n"
             "    nk = resp.sum(axis=0)\n"
             "    means = np.array([np.average(X, axis=0, weights=resp[:, k])\n"
             "                      for k in range(resp.shape[1])])\n"
             "    covs = np.array([np.atleast_2d(np.cov(X.T, aweights=resp[:, k], bias=True))\n"
             "                     for k in range(resp.shape[1])])\n"
             "    return nk / len(X), means, covs\n"),
    # ------------------------------------------------------------------ 4.2 m_step_diag
    S("ch04.m_step_diag", "standard deviations", "standard-deviations",
      (("variances = (resp.T @ X**2) / nk[:, None] - means**2",
        "variances = np.sqrt((resp.T @ X**2) / nk[:, None] - means**2)"),)),
    S("ch04.m_step_diag", "forgets the squared mean", "variance-not-centred",
      (("variances = (resp.T @ X**2) / nk[:, None] - means**2",
        "variances = (resp.T @ X**2) / nk[:, None]"),)),
    S("ch04.m_step_diag", "full matrices", "full-matrices",
      (("    return weights, means, variances",
        "    return weights, means, np.array([np.diag(v) for v in variances])"),)),
    S("ch04.m_step_diag", "averaged over features", "averaged-over-features",
      (("    return weights, means, variances",
        "    return weights, means, variances.mean(axis=1)"),)),
    S("ch04.m_step_diag", "divides by N_k - 1", "divides-by-nk-minus-one",
      (("variances = (resp.T @ X**2) / nk[:, None] - means**2",
        "variances = ((resp.T @ X**2) / nk[:, None] - means**2) * (nk / (nk - 1))[:, None]"),)),
    S("ch04.m_step_diag", "emlib.m_step", "forbidden-call",
      (("    return weights, means, variances",
        "    from emlib import m_step\n"
        "    fitted = m_step(X, resp, covariance_type='diag', reg_covar=0.0)\n"
        "    return fitted.weights, fitted.means, fitted.covariances"),)),
    S("ch04.m_step_diag", "centred differences in a loop", None,
      append="def m_step_diag(X, resp):\n"
             "    X = np.asarray(X, dtype=float)\n"
             "    nk = resp.sum(axis=0)\n"
             "    means = resp.T @ X / nk[:, None]\n"
             "    var = np.array([(resp[:, k, None] * (X - means[k]) ** 2).sum(axis=0) / nk[k]\n"
             "                    for k in range(len(nk))])\n"
             "    return nk / len(X), means, var\n"),
    # ------------------------------------------------------------------ 5.1 em
    S("ch05.em", "records after the M-step", "recorded-after-m-step",
      ((EM_BODY, "        resp, _ = e_step(X, params)\n"
                 "        params = m_step(X, resp)\n"
                 "        log_likelihoods.append(e_step(X, params)[1])\n"),)),
    S("ch05.em", "total change", "change-not-per-sample",
      (("change = abs(log_likelihoods[-1] - log_likelihoods[-2]) / len(X)",
        "change = abs(log_likelihoods[-1] - log_likelihoods[-2])"),)),
    S("ch05.em", "stops on the value", "never-stops",
      (("change = abs(log_likelihoods[-1] - log_likelihoods[-2]) / len(X)",
        "change = abs(log_likelihoods[-1]) / len(X)"),)),
    S("ch05.em", "parameters not fed back", "params-not-updated",
      (("        params = m_step(X, resp)\n", "        new_params = m_step(X, resp)\n"),
       ("    return params, np.array(log_likelihoods)",
        "    return new_params, np.array(log_likelihoods)"))),
    S("ch05.em", "first convergence test one iteration late", "convergence-test-late",
      (("if len(log_likelihoods) > 1:", "if len(log_likelihoods) > 2:"),)),
    S("ch05.em", "relative change", "relative-change",
      (("change = abs(log_likelihoods[-1] - log_likelihoods[-2]) / len(X)",
        "change = abs(log_likelihoods[-1] - log_likelihoods[-2]) / abs(log_likelihoods[-1])"),)),
    S("ch05.em", "GaussianMixture", "forbidden-call",
      (("    return params, np.array(log_likelihoods)",
        "    GaussianMixture(len(params.weights)).fit(X)\n"
        "    return params, np.array(log_likelihoods)"),)),
    S("ch05.em", "a while loop", None,
      append="def em(X, params, tol, max_iter):\n"
             "    lls = []\n"
             "    while len(lls) < max_iter:\n"
             "        resp, ll = e_step(X, params)\n"
             "        lls.append(ll)\n"
             "        params = m_step(X, resp)\n"
             "        if len(lls) >= 2 and abs(lls[-1] - lls[-2]) < tol * len(X):\n"
             "            break\n"
             "    return params, np.array(lls)\n"),
    # ------------------------------------------------------------------ 5.2 best_of_restarts
    S("ch05.best_of_restarts", "lowest", "kept-the-worst",
      (("np.argmax(finals)", "np.argmin(finals)"),)),
    S("ch05.best_of_restarts", "starting log-likelihoods", "judged-by-the-start",
      (("finals = [trace[-1] for", "finals = [trace[0] for"),)),
    S("ch05.best_of_restarts", "last run", "kept-the-last-run",
      (("return runs[int(np.argmax(finals))]", "return runs[-1]"),)),
    S("ch05.best_of_restarts", "first run", "kept-the-first-run",
      (("return runs[int(np.argmax(finals))]", "return runs[0]"),)),
    S("ch05.best_of_restarts", "a loop keeping the best so far", None,
      append="def best_of_restarts(X, starts, tol, max_iter):\n"
             "    best = None\n"
             "    for start in starts:\n"
             "        run = em(X, start, tol, max_iter)\n"
             "        if best is None or run[1][-1] > best[1][-1]:\n"
             "            best = run\n"
             "    return best\n"),
    # ------------------------------------------------------------------ 6.1 hard_responsibilities
    S("ch06.hard_responsibilities", "farthest mean", "farthest-mean",
      (("nearest = sq_dist.argmin(axis=1)", "nearest = sq_dist.argmax(axis=1)"),)),
    S("ch06.hard_responsibilities", "argmin over points", "argmin-over-points",
      (("nearest = sq_dist.argmin(axis=1)", "nearest = sq_dist.argmin(axis=0)"),)),
    S("ch06.hard_responsibilities", "soft", "soft-responsibilities",
      (("return np.eye(means.shape[0])[nearest]",
        "logits = -sq_dist / 2\n"
        "    soft = np.exp(logits - logits.max(axis=1, keepdims=True))\n"
        "    return soft / soft.sum(axis=1, keepdims=True)"),)),
    S("ch06.hard_responsibilities", "returns the labels", "labels-not-one-hot",
      (("return np.eye(means.shape[0])[nearest]", "return nearest"),)),
    S("ch06.hard_responsibilities", "sums over the wrong axis", "summed-over-components",
      ((".sum(axis=2)  # (N, K)", ".sum(axis=1)"),)),
    S("ch06.hard_responsibilities", "emlib.hard_e_step", "forbidden-call",
      (("return np.eye(means.shape[0])[nearest]",
        "from emlib import hard_e_step\n    return hard_e_step(X, means)"),)),
    S("ch06.hard_responsibilities", "own helper named squared_distances, loops", None,
      append="def squared_distances(X, means):\n"
             "    return np.array([[np.sum((x - m) ** 2) for m in means] for x in X])\n\n"
             "def hard_responsibilities(X, means):\n"
             "    d = squared_distances(np.asarray(X, float), np.asarray(means, float))\n"
             "    out = np.zeros_like(d)\n"
             "    out[np.arange(len(d)), d.argmin(axis=1)] = 1.0\n"
             "    return out\n"),
    # ------------------------------------------------------------------ 6.2 kmeans
    S("ch06.kmeans", "divides by N", "divides-by-n",
      (("/ counts[filled, None]", "/ len(X)"),)),
    S("ch06.kmeans", "never recomputes the assignments", "assignments-not-updated",
      (("    for _ in range(n_iter):\n        resp = hard_responsibilities(X, means)\n",
        "    resp = hard_responsibilities(X, means)\n    for _ in range(n_iter):\n"),)),
    S("ch06.kmeans", "empty cluster 0/0", "empty-cluster",
      (("means[filled] = (resp.T @ X)[filled] / counts[filled, None]",
        "means = (resp.T @ X) / counts[:, None]"),)),
    S("ch06.kmeans", "modifies means_init", "modified-input",
      (("np.array(means_init, dtype=float)", "np.asarray(means_init, dtype=float)"),)),
    S("ch06.kmeans", "one iteration too few", "wrong-values",
      (("for _ in range(n_iter):", "for _ in range(n_iter - 1):"),)),
    S("ch06.kmeans", "emlib.KMeans", "forbidden-call",
      (("    return means",
        "    from emlib import KMeans\n"
        "    km = KMeans(len(means), init=means_init, max_iter=n_iter)\n"
        "    return km.fit(X).cluster_centers_"),)),
    S("ch06.kmeans", "own helper named m_step", None,
      append="def m_step(X, resp, means):\n"
             "    counts = resp.sum(axis=0)\n"
             "    new = means.copy()\n"
             "    for k in range(len(counts)):\n"
             "        if counts[k] > 0:\n"
             "            new[k] = X[resp[:, k] == 1].mean(axis=0)\n"
             "    return new\n\n"
             "def kmeans(X, means_init, n_iter):\n"
             "    X = np.asarray(X, float)\n"
             "    means = np.array(means_init, float)\n"
             "    for _ in range(n_iter):\n"
             "        means = m_step(X, hard_responsibilities(X, means), means)\n"
             "    return means\n"),
    # ------------------------------------------------------------------ 7.1 elbo
    S("ch07.elbo", "no entropy", "no-entropy",
      (("resp[positive] * (log_joint[positive] - np.log(resp[positive]))",
        "resp[positive] * log_joint[positive]"),)),
    S("ch07.elbo", "0 log 0 as NaN", "zero-log-zero",
      ((ELBO_SUM, "return np.sum(resp * (log_joint - np.log(resp)))"),)),
    S("ch07.elbo", "weights not logged", "weights-not-logged",
      (("log_joint = np.log(params.weights) + component_log_densities(X, params)",
        "log_joint = params.weights + component_log_densities(X, params)"),)),
    S("ch07.elbo", "entropy sign", "entropy-sign",
      (("log_joint[positive] - np.log(resp[positive])",
        "log_joint[positive] + np.log(resp[positive])"),)),
    S("ch07.elbo", "mean instead of sum", "mean-not-sum",
      ((ELBO_SUM, ELBO_SUM.replace("np.sum(", "np.sum(").replace("return ", "return (")
        + ") / len(X)"),)),
    S("ch07.elbo", "emlib.elbo under another name", "forbidden-call",
      (("    positive = resp > 0  # 0 log 0",
        "    from emlib import elbo as library_elbo\n"
        "    return library_elbo(X, resp, params)\n"
        "    positive = resp > 0  # 0 log 0"),)),
    S("ch07.elbo", "np.where for 0 log 0, scipy multivariate_normal", None,
      append="def elbo(X, resp, params):\n"
             "    from scipy.stats import multivariate_normal\n"
             "    cov = params.full_covariances()\n"
             "    lj = np.column_stack([np.log(w) + multivariate_normal.logpdf(X, m, c)\n"
             "                          for w, m, c in zip(params.weights, params.means, cov)])\n"
             "    lj = lj.reshape(len(X), -1)\n"
             "    safe = np.where(resp > 0, resp, 1.0)\n"
             "    return float(np.sum(np.where(resp > 0, resp * (lj - np.log(safe)), 0.0)))\n"),
    # ------------------------------------------------------------------ 7.2 kl_gap
    S("ch07.kl_gap", "swaps the arguments", "arguments-swapped",
      ((KL_SUM, "post = np.exp(log_post)\n    return np.sum(post * (log_post - np.log(resp)))"),)),
    S("ch07.kl_gap", "posterior not normalised", "posterior-not-normalised",
      ((KL_POST, "log_post = log_joint"),)),
    S("ch07.kl_gap", "0 log 0 as NaN", "zero-log-zero",
      ((KL_SUM, "return np.sum(resp * (np.log(resp) - log_post))"),)),
    S("ch07.kl_gap", "wrong sign", "wrong-sign",
      (("np.log(resp[positive]) - log_post[positive]",
        "log_post[positive] - np.log(resp[positive])"),)),
    S("ch07.kl_gap", "log p - ELBO with emlib", "forbidden-call",
      (("    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
        "    log_post",
        "    return log_likelihood(X, params) - elbo(X, resp, params)\n"
        "    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
        "    log_post"),)),
    S("ch07.kl_gap", "own log p minus own elbo", "forbidden-call",
      (("    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
        "    log_post",
        "    lj = np.log(params.weights) + component_log_densities(X, params)\n"
        "    return logsumexp(lj, axis=1).sum() - elbo(X, resp, params)\n"
        "    log_joint = np.log(params.weights) + component_log_densities(X, params)\n"
        "    log_post"),)),
    S("ch07.kl_gap", "no weights", "no-weights",
      (("log_joint = np.log(params.weights) + component_log_densities(X, params)\n    log_post",
        "log_joint = component_log_densities(X, params)\n    log_post"),)),
    S("ch07.kl_gap", "loops over the points, scipy softmax, np.where for 0 log 0", None,
      append="def kl_gap(X, resp, params):\n"
             "    from scipy.special import log_softmax\n"
             "    lj = np.log(params.weights) + component_log_densities(X, params)\n"
             "    total = 0.0\n"
             "    for q, lp in zip(resp, log_softmax(lj, axis=1)):\n"
             "        safe = np.where(q > 0, q, 1.0)\n"
             "        total += np.sum(np.where(q > 0, q * (np.log(safe) - lp), 0.0))\n"
             "    return total\n"),
    # ------------------------------------------------------------------ 7.3 decomposition
    S("ch07.decomposition", "recomputes the responsibilities after the M-step",
      "responsibilities-recomputed",
      (("elbo(X, resp, params1), kl_gap(X, resp, params1)",
        "elbo(X, e_step(X, params1)[0], params1), kl_gap(X, e_step(X, params1)[0], params1)"),)),
    S("ch07.decomposition", "keeps the old log-likelihood", "old-log-likelihood",
      (("[log_likelihood(X, params1),", "[log_likelihood(X, params),"),)),
    S("ch07.decomposition", "second row with the old parameters", "parameters-not-updated",
      (("[log_likelihood(X, params1), elbo(X, resp, params1), kl_gap(X, resp, params1)]",
        "[log_likelihood(X, params), elbo(X, resp, params), kl_gap(X, resp, params)]"),)),
    S("ch07.decomposition", "KL = log p - ELBO", "own-function-unused",
      (("kl_gap(X, resp, params)]", "log_likelihood(X, params) - elbo(X, resp, params)]"),
       ("kl_gap(X, resp, params1)]", "log_likelihood(X, params1) - elbo(X, resp, params1)]"))),
    S("ch07.decomposition", "hard-coded Old Faithful numbers", "constant-output",
      append="_TABLE = decomposition(X, params0)\n\n"
             "def decomposition(X, params):\n"
             "    return _TABLE.copy()\n"),
    S("ch07.decomposition", "emlib.elbo_decomposition", "forbidden-call",
      (("    return np.array([",
        "    import emlib\n"
        "    return np.array([list(emlib.elbo_decomposition(X, resp, params)),\n"
        "                     list(emlib.elbo_decomposition(X, resp, params1))])\n"
        "    return np.array(["),)),
    S("ch07.decomposition", "one row at a time with a helper", None,
      append="def _row(X, q, theta):\n"
             "    return [log_likelihood(X, theta), elbo(X, q, theta), kl_gap(X, q, theta)]\n\n"
             "def decomposition(X, params):\n"
             "    q = e_step(X, params)[0]\n"
             "    return np.array([_row(X, q, params), _row(X, q, m_step(X, q))])\n"),
    # ------------------------------------------------------------------ 8.1 n_parameters
    S("ch08.n_parameters", "forgets the weights", "weights-not-counted",
      (("return covariance + K * d + (K - 1)", "return covariance + K * d"),)),
    S("ch08.n_parameters", "d squared", "covariance-counted-as-d-squared",
      (("per_matrix = d * (d + 1) // 2", "per_matrix = d * d"),)),
    S("ch08.n_parameters", "tied per component", "tied-counted-per-component",
      (('"tied": per_matrix,', '"tied": K * per_matrix,'),)),
    S("ch08.n_parameters", "all K weights", "all-weights-counted",
      (("return covariance + K * d + (K - 1)", "return covariance + K * d + K"),)),
    S("ch08.n_parameters", "spherical counted as diag", "wrong-values",
      (('"spherical": K,', '"spherical": K * d,'),)),
    S("ch08.n_parameters", "hard-coded 17", "constant-output",
      append="def n_parameters(n_components, n_features, covariance_type):\n    return 17\n"),
    S("ch08.n_parameters", "if/elif chain", None,
      append="def n_parameters(n_components, n_features, covariance_type):\n"
             "    K, d = n_components, n_features\n"
             "    if covariance_type == 'full':\n"
             "        cov = K * d * (d + 1) / 2\n"
             "    elif covariance_type == 'tied':\n"
             "        cov = d * (d + 1) / 2\n"
             "    elif covariance_type == 'diag':\n"
             "        cov = K * d\n"
             "    else:\n"
             "        cov = K\n"
             "    return int(cov + K * d + K - 1)\n"),
    # ------------------------------------------------------------------ 8.2 bic
    S("ch08.bic", "sign", "log-likelihood-sign",
      (("return -2 * log_likelihood", "return 2 * log_likelihood"),)),
    S("ch08.bic", "log10", "log10",
      (("n_params * np.log(n_samples)", "n_params * np.log10(n_samples)"),)),
    S("ch08.bic", "AIC penalty", "aic-penalty",
      (("n_params * np.log(n_samples)", "2 * n_params"),)),
    S("ch08.bic", "missing factor 2", "missing-factor-two",
      (("return -2 * log_likelihood", "return -log_likelihood"),)),
    S("ch08.bic", "half the penalty", "wrong-values",
      (("n_params * np.log(n_samples)", "0.5 * n_params * np.log(n_samples)"),)),
    S("ch08.bic", "math.log", None,
      (("return -2 * log_likelihood + n_params * np.log(n_samples)",
        "import math\n    return n_params * math.log(n_samples) - 2.0 * log_likelihood"),)),
    # ------------------------------------------------------------------ 8.3 choose_k
    S("ch08.choose_k", "forgets times N on score()", "mean-not-total",
      (("bic(mean_ll * n_samples,", "bic(mean_ll,"),)),
    S("ch08.choose_k", "argmax", "largest-bic",
      (("best_k = int(np.argmin(bic_scores)) + 1", "best_k = int(np.argmax(bic_scores)) + 1"),)),
    S("ch08.choose_k", "position not K", "index-not-k",
      (("best_k = int(np.argmin(bic_scores)) + 1", "best_k = int(np.argmin(bic_scores))"),)),
    S("ch08.choose_k", "always counts full covariances", "parameter-count",
      (("n_parameters(k, n_features, covariance_type)", "n_parameters(k, n_features, 'full')"),)),
    S("ch08.choose_k", "K counted from 0 in n_parameters", "parameter-count",
      (("for k, mean_ll in enumerate(mean_log_likelihoods, start=1)",
        "for k, mean_ll in enumerate(mean_log_likelihoods, start=0)"),)),
    S("ch08.choose_k", "hard-coded Old Faithful answer", "constant-output",
      append="_VALUES = np.array([gm.bic(X) for gm in fits.values()])\n\n"
             "def choose_k(mean_log_likelihoods, n_samples, n_features, covariance_type):\n"
             "    return _VALUES.copy(), 4\n"),
    S("ch08.choose_k", "gm.bic through the notebook's fits", "forbidden-call",
      append="def choose_k(mean_log_likelihoods, n_samples, n_features, covariance_type):\n"
             "    values = np.array([fits[k].bic(X) for k in fits])\n"
             "    return values, int(np.argmin(values)) + 1\n"),
    S("ch08.choose_k", "a loop keeping the best", None,
      append="def choose_k(mean_log_likelihoods, n_samples, n_features, covariance_type):\n"
             "    scores, best, best_k = [], None, None\n"
             "    for i, m in enumerate(mean_log_likelihoods):\n"
             "        k = i + 1\n"
             "        value = bic(m * n_samples, n_parameters(k, n_features, covariance_type),\n"
             "                    n_samples)\n"
             "        scores.append(value)\n"
             "        if best is None or value < best:\n"
             "            best, best_k = value, k\n"
             "    return np.array(scores), best_k\n"),
    # ------------------------------------------------------------------ 8.4 flag_anomalies
    S("ch08.flag_anomalies", "highest scores", "flags-most-likely",
      (("threshold = np.percentile(scores, 100 * fraction)\n    return scores < threshold",
        "threshold = np.percentile(scores, 100 * (1 - fraction))\n"
        "    return scores > threshold"),)),
    S("ch08.flag_anomalies", "wrong side", "threshold-wrong-side",
      (("return scores < threshold", "return scores > threshold"),)),
    S("ch08.flag_anomalies", "largest responsibility", "uses-responsibilities",
      ((FLAG_SCORES,
        "scores = np.exp(log_joint - logsumexp(log_joint, axis=1, keepdims=True)).max(axis=1)"),)),
    S("ch08.flag_anomalies", "percent not fraction", "percent-not-fraction",
      (("np.percentile(scores, 100 * fraction)", "np.percentile(scores, fraction)"),)),
    S("ch08.flag_anomalies", "thresholds p(x), not log p(x)", "density-not-log",
      ((FLAG_SCORES, "scores = np.exp(logsumexp(log_joint, axis=1))"),)),
    S("ch08.flag_anomalies", "no weights", "no-weights",
      (("log_joint = np.log(params.weights) + component_log_densities(X, params)",
        "log_joint = component_log_densities(X, params)"),)),
    S("ch08.flag_anomalies", "indices", "indices-not-mask",
      (("return scores < threshold", "return np.flatnonzero(scores < threshold)"),)),
    S("ch08.flag_anomalies", "GaussianMixture.score_samples", "forbidden-call",
      ((FLAG_SCORES,
        "gm = GaussianMixture(n_components=len(params.weights))\n"
        "    gm.fit(X)\n    scores = gm.score_samples(X)"),)),
    S("ch08.flag_anomalies", "sorting and a count instead of percentile", "wrong-values",
      (("threshold = np.percentile(scores, 100 * fraction)\n    return scores < threshold",
        "n = int(fraction * len(scores))\n"
        "    return scores < np.sort(scores)[n]"),)),
    S("ch08.flag_anomalies", "scipy multivariate_normal and np.quantile", None,
      append="def flag_anomalies(params, X, fraction):\n"
             "    from scipy.stats import multivariate_normal\n"
             "    cov = params.full_covariances()\n"
             "    lj = np.column_stack([np.log(w) + multivariate_normal.logpdf(X, m, c)\n"
             "                          for w, m, c in zip(params.weights, params.means, cov)])\n"
             "    s = logsumexp(lj.reshape(len(X), -1), axis=1)\n"
             "    return s < np.quantile(s, fraction)\n"),
    # ------------------------------------------------------------------ 9.1 e_step_bernoulli
    S("ch09.e_step_bernoulli", "leaves out the weights", "no-weights",
      (("log_joint = np.log(weights) + X @", "log_joint = X @"),)),
    S("ch09.e_step_bernoulli", "adds the weights, not their logs", "weights-not-logged",
      (("log_joint = np.log(weights) + X @", "log_joint = weights + X @"),)),
    S("ch09.e_step_bernoulli", "forgets the zeros", "zeros-ignored",
      ((" + (1 - X) @ np.log1p(-probs).T", ""),)),
    S("ch09.e_step_bernoulli", "multiplies probabilities, which underflows", "underflow",
      ((BERN_RETURN, "joint = np.exp(log_joint)\n"
                     "    return joint / joint.sum(axis=1, keepdims=True)"),)),
    S("ch09.e_step_bernoulli", "returns log responsibilities", "log-responsibilities",
      ((BERN_RETURN, "return log_joint - logsumexp(log_joint, axis=1, keepdims=True)"),)),
    S("ch09.e_step_bernoulli", "normalises over the data points", "normalised-over-points",
      ((BERN_RETURN, "return np.exp(log_joint - logsumexp(log_joint, axis=0, keepdims=True))"),)),
    S("ch09.e_step_bernoulli", "not normalised", "rows-do-not-sum-to-one",
      ((BERN_RETURN, "return np.exp(log_joint)"),)),
    S("ch09.e_step_bernoulli", "emlib.bernoulli_e_step", "forbidden-call",
      ((BERN_RETURN, "import emlib\n"
                     "    params = emlib.BernoulliMixtureParams(weights, probs)\n"
                     "    return emlib.bernoulli_e_step(X, params)[0]"),)),
    S("ch09.e_step_bernoulli", "a loop over components, own max shift, np.log(1 - p)", None,
      append="def e_step_bernoulli(X, weights, probs):\n"
             "    a = np.empty((len(X), len(weights)))\n"
             "    for k in range(len(weights)):\n"
             "        on, off = X * np.log(probs[k]), (1 - X) * np.log(1 - probs[k])\n"
             "        a[:, k] = np.log(weights[k]) + (on + off).sum(axis=1)\n"
             "    a -= a.max(axis=1, keepdims=True)\n"
             "    e = np.exp(a)\n"
             "    return e / e.sum(axis=1, keepdims=True)\n"),
    # ------------------------------------------------------------------ 9.2 m_step_bernoulli
    S("ch09.m_step_bernoulli", "divides by N", "divides-by-n",
      (("/ (nk[:, None] + 2 * pseudocount)", "/ (len(X) + 2 * pseudocount)"),)),
    S("ch09.m_step_bernoulli", "adds the pseudocount once to the denominator", "pseudocount-once",
      (("(nk[:, None] + 2 * pseudocount)", "(nk[:, None] + pseudocount)"),)),
    S("ch09.m_step_bernoulli", "ignores the pseudocount", "no-pseudocount",
      (("probs = (resp.T @ X + pseudocount) / (nk[:, None] + 2 * pseudocount)",
        "probs = (resp.T @ X) / nk[:, None]"),)),
    S("ch09.m_step_bernoulli", "weights are the counts", "weights-not-normalised",
      (("weights = nk / len(X)", "weights = nk"),)),
    S("ch09.m_step_bernoulli", "returns probs transposed", "wrong-shape",
      (("return weights, probs", "return weights, probs.T"),)),
    S("ch09.m_step_bernoulli", "emlib.bernoulli_m_step", "forbidden-call",
      (("return weights, probs",
        "import emlib\n"
        "    p = emlib.bernoulli_m_step(X, resp, pseudocount)\n"
        "    return p.weights, p.probs"),)),
    S("ch09.m_step_bernoulli", "a loop over components and a helper named bernoulli_m_step", None,
      append="def bernoulli_m_step(X, resp, a):\n"
             "    w, p = [], []\n"
             "    for k in range(resp.shape[1]):\n"
             "        g = resp[:, k]\n"
             "        w.append(g.sum() / len(X))\n"
             "        p.append(((g[:, None] * X).sum(axis=0) + a) / (g.sum() + 2 * a))\n"
             "    return np.array(w), np.array(p)\n\n"
             "def m_step_bernoulli(X, resp, pseudocount):\n"
             "    return bernoulli_m_step(X, resp, pseudocount)\n"),
]


def edited_notebook(submission: Submission, solution):
    """A copy of the solution notebook (an ``nbformat`` node) with the submission's edits.

    ``replace`` edits the code cells; ``append`` becomes a new code cell at the end (the
    notebook's own globals, such as ``X`` or ``fits``, exist by then). For the grader's tests.
    """
    import copy

    import nbformat

    nb = copy.deepcopy(solution)
    for old, new in submission.replace:
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        if not cells:
            raise AssertionError(f"{submission.description}: {old!r} is not in the solution")
        for cell in cells:
            cell.source = cell.source.replace(old, new)
    if submission.append:
        nb.cells.append(nbformat.v4.new_code_cell(submission.append))
    return nb
