// SPDX-License-Identifier: MIT
/**
 * The course's EM maths for the browser: Gaussian mixture densities, the E-step and M-step,
 * the log-likelihood, ELBO and KL, k-means steps, BIC/AIC and seeded sampling.
 *
 * This module is the browser's copy of `emlib.core` and is held to it by
 * `tests/test_js_parity.py` (random cases made by emlib, run here under Node, agreeing to
 * 1e-10 relative). It follows emlib's conventions exactly:
 *
 * - Notation: K components, N samples, d features; weights `pi_k`, means `mu_k`,
 *   covariances `Sigma_k`, responsibilities `gamma_ik`.
 * - Params are plain objects in emlib's shapes:
 *   `{weights: [K], means: [K][d], covariance_type, covariances}` with `covariances`
 *   `[K][d][d]` ("full"), `[d][d]` ("tied"), `[K][d]` variances ("diag") or `[K]` variances
 *   ("spherical").
 * - Everything is computed in log space with log-sum-exp; covariances enter through the
 *   Cholesky factors `U_k` of their precisions (`Sigma_k^{-1} = U_k U_k^T`), never through an
 *   explicit inverse.
 * - The M-step adds `regCovar` to the diagonal of every covariance, after setting to exactly
 *   zero the eigenvalues (variances) that are below the rounding noise, as `emlib.m_step`
 *   does; a covariance that is then not positive definite throws {@link CovarianceError}.
 * - `logLikelihood` values are totals over samples, not means.
 * - k-means: an empty cluster keeps its centre; ties go to the lowest index.
 *
 * All functions are pure: they never modify their arguments.
 *
 * @module emmath
 */

/** @typedef {number[][]} Matrix  rows of numbers, e.g. X (N x d) or resp (N x K) */
/**
 * @typedef {Object} Params  a Gaussian mixture in emlib's shapes
 * @property {number[]} weights            pi_k, K numbers >= 0 summing to 1
 * @property {number[][]} means            mu_k, K x d
 * @property {("full"|"tied"|"diag"|"spherical")} covariance_type
 * @property {number[][][]|number[][]|number[]} covariances  see the module docstring
 */

/** The covariance types, as in emlib. */
export const COVARIANCE_TYPES = Object.freeze(["full", "tied", "diag", "spherical"]);

/** log(2 pi). */
export const LOG_2PI = Math.log(2 * Math.PI);

const EPS = 2.220446049250313e-16;
/** Added to every N_k (as emlib and scikit-learn do), so an empty component divides by a tiny
 * positive number instead of zero. */
export const NK_EPS = 10 * EPS;
/** Relative size of rounding noise in the M-step's covariances (emlib's `_NOISE`). */
export const NOISE = 1e4 * EPS;
// Up to this many features, emlib takes second moments about one common centre.
const SMALL_N_FEATURES = 4;

/**
 * A covariance (or variance) that is not positive definite: a component has collapsed.
 * `component` is its 0-based index, or null for the shared ("tied") covariance.
 */
export class CovarianceError extends Error {
  /**
   * @param {string} message
   * @param {number|null} component
   */
  constructor(message, component) {
    super(message);
    this.name = "CovarianceError";
    /** @type {number|null} */
    this.component = component;
  }
}

function singularMessage(component, what) {
  const where = component === null ? "the shared (tied) component" : `component ${component}`;
  return (
    `The ${what} of ${where} is not positive definite, so its Cholesky factorisation ` +
    "failed. This happens when a component collapses onto a single point or onto a line " +
    "(a singular covariance). Increase reg_covar (for example to 1e-3), use fewer " +
    "components, or rescale the data."
  );
}

// ------------------------------------------------------------------------------ checks
function isFiniteNumber(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * Check data X: a non-empty array of rows of finite numbers, all of the same length.
 * @param {Matrix} X
 * @param {number} [nFeatures]  the number of columns X must have
 * @returns {number} d
 */
export function checkData(X, nFeatures) {
  if (!Array.isArray(X) || X.length === 0) {
    throw new TypeError("X must be a non-empty array of samples (rows of numbers), N x d.");
  }
  const d = Array.isArray(X[0]) ? X[0].length : -1;
  if (d < 1) throw new TypeError("each sample of X must be an array of at least one number.");
  for (let i = 0; i < X.length; i++) {
    const row = X[i];
    if (!Array.isArray(row) || row.length !== d) {
      throw new TypeError(`X must be N x d with the same d in every row; row ${i} differs.`);
    }
    for (let j = 0; j < d; j++) {
      if (!isFiniteNumber(row[j])) {
        throw new TypeError(`X must hold finite numbers; X[${i}][${j}] is ${row[j]}.`);
      }
    }
  }
  if (nFeatures !== undefined && d !== nFeatures) {
    throw new TypeError(`X has ${d} features (columns) but the mixture has ${nFeatures}.`);
  }
  return d;
}

function checkFiniteArray(values, name) {
  for (let i = 0; i < values.length; i++) {
    if (!isFiniteNumber(values[i])) throw new TypeError(`${name} must be finite; entry ${i} is ${values[i]}.`);
  }
}

function checkCovarianceType(covarianceType) {
  if (!COVARIANCE_TYPES.includes(covarianceType)) {
    throw new TypeError(
      `covariance_type must be one of ${COVARIANCE_TYPES.join(", ")}; got ${JSON.stringify(covarianceType)}.`,
    );
  }
  return covarianceType;
}

function checkRegCovar(regCovar) {
  if (!isFiniteNumber(regCovar) || regCovar < 0) {
    throw new TypeError(`reg_covar must be a finite number >= 0; got ${regCovar}.`);
  }
  return regCovar;
}

/**
 * Check responsibilities: N x K, non-negative, rows summing to 1 (within 1e-6, as emlib).
 * @param {Matrix} resp
 * @param {number} n
 * @param {number} [k]
 * @returns {number} K
 */
function checkResp(resp, n, k) {
  if (!Array.isArray(resp) || resp.length !== n) {
    throw new TypeError(`resp must have one row per sample (${n} rows); got ${resp && resp.length}.`);
  }
  const kk = k === undefined ? resp[0].length : k;
  for (let i = 0; i < n; i++) {
    const row = resp[i];
    if (!Array.isArray(row) || row.length !== kk) {
      throw new TypeError(`resp must be N x K with K = ${kk}; row ${i} has another length.`);
    }
    let s = 0;
    for (let j = 0; j < kk; j++) {
      const v = row[j];
      if (!isFiniteNumber(v) || v < 0) {
        throw new TypeError(`resp must hold finite numbers >= 0; resp[${i}][${j}] is ${v}.`);
      }
      s += v;
    }
    if (Math.abs(s - 1) > 1e-6) {
      throw new TypeError(`each row of resp must sum to 1, but row ${i} sums to ${s}.`);
    }
  }
  return kk;
}

// ------------------------------------------------------------------------- linear algebra
/**
 * Lower Cholesky factor L of a symmetric positive-definite matrix (A = L L^T).
 * @param {number[][]} A  d x d
 * @returns {number[][]|null}  null if A is not positive definite
 */
export function cholesky(A) {
  const d = A.length;
  const L = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let j = 0; j < d; j++) {
    let s = A[j][j];
    for (let k = 0; k < j; k++) s -= L[j][k] * L[j][k];
    if (!(s > 0)) return null;
    const ljj = Math.sqrt(s);
    L[j][j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i][j];
      for (let k = 0; k < j; k++) t -= L[i][k] * L[j][k];
      L[i][j] = t / ljj;
    }
  }
  return L;
}

/** U = (L^{-1})^T for lower-triangular L, by forward substitution (a triangular solve). */
function precisionCholeskyFromLower(L) {
  const d = L.length;
  const inv = Array.from({ length: d }, () => new Array(d).fill(0)); // L^{-1}, lower
  for (let c = 0; c < d; c++) {
    for (let i = c; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= L[i][k] * inv[k][c];
      inv[i][c] = s / L[i][i];
    }
  }
  return inv[0].map((_, i) => inv.map((row) => row[i]));
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations.
 * @param {number[][]} A  symmetric d x d
 * @returns {{values: number[], vectors: number[][]}}  values ascending; vectors[i][j] is
 *   component i of eigenvector j (columns, as numpy.linalg.eigh)
 */
export function symmetricEigen(A) {
  const d = A.length;
  const a = A.map((row) => row.slice());
  const v = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p][q] * a[p][q];
    if (off === 0) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = 0;
        a[q][p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => a[i][i] - a[j][j]);
  return {
    values: order.map((i) => a[i][i]),
    vectors: v.map((row) => order.map((j) => row[j])),
  };
}

// ------------------------------------------------------------------------------ params
/**
 * Check params and prepare what the densities need (cached per params object).
 * @param {Params} params
 */
function prepare(params) {
  const cached = PREPARED.get(params);
  if (cached) return cached;
  if (params === null || typeof params !== "object") {
    throw new TypeError("params must be an object {weights, means, covariances, covariance_type}.");
  }
  const type = checkCovarianceType(params.covariance_type);
  const { weights, means, covariances } = params;
  if (!Array.isArray(means) || means.length === 0 || !Array.isArray(means[0])) {
    throw new TypeError("params.means must be a K x d array (one mean per component).");
  }
  const K = means.length;
  const d = means[0].length;
  means.forEach((m, k) => {
    if (!Array.isArray(m) || m.length !== d) throw new TypeError(`params.means[${k}] must have ${d} numbers.`);
    checkFiniteArray(m, `params.means[${k}]`);
  });
  if (!Array.isArray(weights) || weights.length !== K) {
    throw new TypeError(`params.weights must have ${K} numbers, one per component.`);
  }
  checkFiniteArray(weights, "params.weights");
  let total = 0;
  for (const w of weights) {
    if (w < 0) throw new TypeError("params.weights must be non-negative.");
    total += w;
  }
  if (Math.abs(total - 1) > 1e-6) {
    throw new TypeError(`params.weights must sum to 1 (they are probabilities); they sum to ${total}.`);
  }
  const shapeError = (shape) => new TypeError(`params.covariances must have shape ${shape} for covariance_type "${type}".`);
  let precChol;
  if (type === "full" || type === "tied") {
    const mats = type === "full" ? covariances : [covariances];
    if (!Array.isArray(mats) || mats.length !== (type === "full" ? K : 1)) {
      throw shapeError(type === "full" ? `[${K}][${d}][${d}]` : `[${d}][${d}]`);
    }
    precChol = mats.map((m, k) => {
      if (!Array.isArray(m) || m.length !== d || m.some((r) => !Array.isArray(r) || r.length !== d)) {
        throw shapeError(type === "full" ? `[${K}][${d}][${d}]` : `[${d}][${d}]`);
      }
      m.forEach((r, i) => checkFiniteArray(r, `params.covariances row ${i}`));
      const L = cholesky(m);
      const component = type === "full" ? k : null;
      if (L === null) throw new CovarianceError(singularMessage(component, "covariance"), component);
      return precisionCholeskyFromLower(L);
    });
  } else {
    const rows = covariances;
    if (!Array.isArray(rows) || rows.length !== K) throw shapeError(type === "diag" ? `[${K}][${d}]` : `[${K}]`);
    precChol = rows.map((r, k) => {
      const vars = type === "diag" ? r : [r];
      if (type === "diag" && (!Array.isArray(r) || r.length !== d)) throw shapeError(`[${K}][${d}]`);
      checkFiniteArray(vars, `params.covariances[${k}]`);
      if (vars.some((v) => !(v > 0))) throw new CovarianceError(singularMessage(k, "variance"), k);
      return type === "diag" ? vars.map((v) => 1 / Math.sqrt(v)) : 1 / Math.sqrt(r);
    });
  }
  const centre = new Array(d).fill(0);
  for (const m of means) for (let j = 0; j < d; j++) centre[j] += m[j];
  for (let j = 0; j < d; j++) centre[j] /= K;
  const logWeights = weights.map((w) => Math.log(w));
  let halfLogDet;
  let muU = null;
  if (type === "full") {
    halfLogDet = precChol.map((U) => U.reduce((s, row, i) => s + Math.log(row[i]), 0));
    muU = means.map((m, k) => rowTimesMatrix(m.map((v, j) => v - centre[j]), precChol[k]));
  } else if (type === "tied") {
    const h = precChol[0].reduce((s, row, i) => s + Math.log(row[i]), 0);
    halfLogDet = new Array(K).fill(h);
    muU = means.map((m) => rowTimesMatrix(m.map((v, j) => v - centre[j]), precChol[0]));
  } else if (type === "diag") {
    halfLogDet = precChol.map((p) => p.reduce((s, v) => s + Math.log(v), 0));
  } else {
    halfLogDet = precChol.map((p) => d * Math.log(p));
  }
  const constant = halfLogDet.map((h) => h - 0.5 * d * LOG_2PI);
  const prepared = { type, K, d, means, precChol, centre, muU, logWeights, constant };
  PREPARED.set(params, prepared);
  return prepared;
}

const PREPARED = new WeakMap();

function rowTimesMatrix(row, M) {
  const d = M[0].length;
  const out = new Array(d).fill(0);
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < row.length; i++) s += row[i] * M[i][j];
    out[j] = s;
  }
  return out;
}

/**
 * Fill `out` (length K) with log N(x | mu_k, Sigma_k) + offset_k, as emlib computes it.
 * @param {number[]} x
 * @param {object} p  from prepare()
 * @param {boolean} withWeights  add log pi_k
 * @param {number[]} out
 */
function logRow(x, p, withWeights, out) {
  const { type, K, d, means, precChol, centre, muU, logWeights, constant } = p;
  if (type === "full" || type === "tied") {
    let xc = null;
    let xu = null;
    if (type === "tied") {
      xc = x.map((v, j) => v - centre[j]);
      xu = rowTimesMatrix(xc, precChol[0]);
    } else {
      xc = x.map((v, j) => v - centre[j]);
    }
    for (let k = 0; k < K; k++) {
      let half = 0;
      if (type === "full") {
        const U = precChol[k];
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += xc[i] * U[i][j];
          const y = s - muU[k][j];
          half += -0.5 * (y * y);
        }
      } else {
        for (let j = 0; j < d; j++) {
          const y = xu[j] - muU[k][j];
          half += -0.5 * (y * y);
        }
      }
      out[k] = half + (withWeights ? constant[k] + logWeights[k] : constant[k]);
    }
  } else if (type === "diag") {
    for (let k = 0; k < K; k++) {
      let half = 0;
      const prec = precChol[k];
      const mu = means[k];
      for (let j = 0; j < d; j++) {
        const y = (x[j] - mu[j]) * prec[j];
        half += -0.5 * (y * y);
      }
      out[k] = half + (withWeights ? constant[k] + logWeights[k] : constant[k]);
    }
  } else {
    for (let k = 0; k < K; k++) {
      let half = 0;
      const mu = means[k];
      for (let j = 0; j < d; j++) {
        const y = x[j] - mu[j];
        half += -0.5 * (y * y);
      }
      const prec = precChol[k];
      half *= prec * prec;
      out[k] = half + (withWeights ? constant[k] + logWeights[k] : constant[k]);
    }
  }
  return out;
}

// -------------------------------------------------------------------------- densities
/**
 * log sum_k exp(values_k), without overflow or underflow (the largest term is taken out).
 * @param {number[]} values
 * @returns {number}  -Infinity for an empty array or all -Infinity
 */
export function logsumexp(values) {
  let top = -Infinity;
  for (const v of values) if (v > top) top = v;
  if (top === -Infinity || top === Infinity || Number.isNaN(top)) return top;
  let s = 0;
  for (const v of values) s += Math.exp(v - top);
  return top + Math.log(s);
}

/**
 * log pi_k + log N(x_i | mu_k, Sigma_k) for every sample and component.
 * @param {Matrix} X  N x d
 * @param {Params} params
 * @returns {Matrix}  N x K
 */
export function logJoint(X, params) {
  const p = prepare(params);
  checkData(X, p.d);
  return X.map((x) => logRow(x, p, true, new Array(p.K)));
}

/**
 * log N(x_i | mu_k, Sigma_k) for every sample and component (without the weights).
 * @param {Matrix} X  N x d
 * @param {Params} params
 * @returns {Matrix}  N x K
 */
export function componentLogDensities(X, params) {
  const p = prepare(params);
  checkData(X, p.d);
  return X.map((x) => logRow(x, p, false, new Array(p.K)));
}

/**
 * The E-step: responsibilities gamma_ik by Bayes' rule in log space, and log p(X).
 * @param {Matrix} X  N x d
 * @param {Params} params
 * @returns {{resp: Matrix, logLikelihood: number}}  resp N x K (rows sum to 1);
 *   logLikelihood = sum_i log p(x_i) under params (a total)
 */
export function eStep(X, params) {
  const p = prepare(params);
  checkData(X, p.d);
  const resp = new Array(X.length);
  let total = 0;
  for (let i = 0; i < X.length; i++) {
    const a = logRow(X[i], p, true, new Array(p.K));
    let top = -Infinity;
    for (let k = 0; k < p.K; k++) if (a[k] > top) top = a[k];
    let s = 0;
    for (let k = 0; k < p.K; k++) {
      a[k] = Math.exp(a[k] - top);
      s += a[k];
    }
    for (let k = 0; k < p.K; k++) a[k] /= s;
    resp[i] = a;
    total += top + Math.log(s);
  }
  return { resp, logLikelihood: total };
}

/**
 * Responsibilities at one point: gamma_k(x) for k = 0..K-1.
 * @param {number[]} point  length d
 * @param {Params} params
 * @returns {number[]}  K numbers summing to 1
 */
export function responsibilitiesAt(point, params) {
  return eStep([point], params).resp[0];
}

/**
 * The log-likelihood log p(X) = sum_i log sum_k pi_k N(x_i | mu_k, Sigma_k) (a total).
 * @param {Matrix} X
 * @param {Params} params
 * @returns {number}
 */
export function logLikelihood(X, params) {
  return eStep(X, params).logLikelihood;
}

function entropyAndWeighted(X, resp, params, logPosterior) {
  const p = prepare(params);
  checkData(X, p.d);
  checkResp(resp, X.length, p.K);
  let negEntropy = 0; // sum gamma log gamma (0 log 0 = 0)
  let weighted = 0; // sum gamma * log value, skipping gamma = 0
  const a = new Array(p.K);
  for (let i = 0; i < X.length; i++) {
    logRow(X[i], p, true, a);
    const norm = logPosterior ? logsumexp(a) : 0;
    for (let k = 0; k < p.K; k++) {
      const g = resp[i][k];
      if (g > 0) {
        negEntropy += g * Math.log(g);
        weighted += g * (a[k] - norm);
      }
    }
  }
  return { negEntropy, weighted };
}

/**
 * The evidence lower bound for q(z_i = k) = resp[i][k]:
 * sum_i sum_k gamma_ik [log pi_k + log N(x_i | mu_k, Sigma_k) - log gamma_ik] (a total).
 * @param {Matrix} X
 * @param {Matrix} resp
 * @param {Params} params
 * @returns {number}
 */
export function elbo(X, resp, params) {
  const { negEntropy, weighted } = entropyAndWeighted(X, resp, params, false);
  return weighted - negEntropy;
}

/**
 * sum_i KL(q_i || p(z_i | x_i)) between resp and the exact posterior, computed directly
 * (not as log p(X) - ELBO). Always >= 0.
 * @param {Matrix} X
 * @param {Matrix} resp
 * @param {Params} params
 * @returns {number}
 */
export function klDivergence(X, resp, params) {
  const { negEntropy, weighted } = entropyAndWeighted(X, resp, params, true);
  return negEntropy - weighted;
}

// ------------------------------------------------------------------------------ M-step
function symmetriseAndZeroNoise(cov, traceMoments) {
  const d = cov.length;
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const m = 0.5 * (cov[i][j] + cov[j][i]);
      cov[i][j] = m;
      cov[j][i] = m;
    }
  }
  const floor = NOISE * traceMoments;
  const { values, vectors } = symmetricEigen(cov);
  if (!(values[0] <= floor)) return cov;
  const w = values.map((v) => (v <= floor ? 0 : v));
  for (let i = 0; i < d; i++) {
    for (let l = 0; l < d; l++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += vectors[i][j] * w[j] * vectors[l][j];
      cov[i][l] = s;
    }
  }
  return cov;
}

/**
 * The M-step from sums about the given shift (emlib's `_SufficientStatistics`).
 * @param {Matrix} X
 * @param {Matrix} resp
 * @param {string} type
 * @param {number} regCovar
 * @param {Matrix} shiftMeans  K x d; for d <= 4 (and always for tied/diag/spherical) their
 *   average is used as one common centre, as in emlib
 * @returns {Params}
 */
function mStepAbout(X, resp, type, regCovar, shiftMeans) {
  const N = X.length;
  const K = resp[0].length;
  const d = X[0].length;
  const common = type !== "full" || d <= SMALL_N_FEATURES;
  let shift;
  if (common) {
    const c = new Array(d).fill(0);
    for (const m of shiftMeans) for (let j = 0; j < d; j++) c[j] += m[j];
    for (let j = 0; j < d; j++) c[j] /= K;
    shift = Array.from({ length: K }, () => c);
  } else {
    shift = shiftMeans;
  }
  const nk = new Array(K).fill(0);
  const first = Array.from({ length: K }, () => new Array(d).fill(0));
  let second;
  if (type === "full") second = Array.from({ length: K }, () => Array.from({ length: d }, () => new Array(d).fill(0)));
  else if (type === "tied") second = Array.from({ length: d }, () => new Array(d).fill(0));
  else second = Array.from({ length: K }, () => new Array(d).fill(0));
  const diff = new Array(d);
  for (let i = 0; i < N; i++) {
    const x = X[i];
    const r = resp[i];
    if (common) for (let j = 0; j < d; j++) diff[j] = x[j] - shift[0][j];
    if (type === "tied") {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) second[a][b] += diff[a] * diff[b];
    }
    for (let k = 0; k < K; k++) {
      const g = r[k];
      nk[k] += g;
      if (!common) for (let j = 0; j < d; j++) diff[j] = x[j] - shift[k][j];
      const f = first[k];
      for (let j = 0; j < d; j++) f[j] += g * diff[j];
      if (type === "full") {
        const S = second[k];
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) S[a][b] += g * (diff[a] * diff[b]);
      } else if (type !== "tied") {
        const S = second[k];
        for (let j = 0; j < d; j++) S[j] += g * (diff[j] * diff[j]);
      }
    }
  }
  let nkSum = 0;
  for (let k = 0; k < K; k++) {
    nk[k] += NK_EPS;
    nkSum += nk[k];
  }
  const weights = nk.map((v) => v / nkSum);
  const delta = first.map((f, k) => f.map((v) => v / nk[k]));
  const means = delta.map((dk, k) => dk.map((v, j) => shift[k][j] + v));
  let covariances;
  if (type === "tied") {
    const moments = second.map((row) => row.map((v) => v / nkSum));
    const cov = moments.map((row, a) =>
      row.map((v, b) => {
        let s = 0;
        for (let k = 0; k < K; k++) s += nk[k] * delta[k][a] * delta[k][b];
        return v - s / nkSum;
      }),
    );
    const trace = moments.reduce((s, row, a) => s + row[a], 0);
    symmetriseAndZeroNoise(cov, trace);
    for (let a = 0; a < d; a++) cov[a][a] += regCovar;
    covariances = cov;
  } else if (type === "full") {
    covariances = second.map((S, k) => {
      const moments = S.map((row) => row.map((v) => v / nk[k]));
      const cov = moments.map((row, a) => row.map((v, b) => v - delta[k][a] * delta[k][b]));
      const trace = moments.reduce((s, row, a) => s + row[a], 0);
      symmetriseAndZeroNoise(cov, trace);
      for (let a = 0; a < d; a++) cov[a][a] += regCovar;
      return cov;
    });
  } else {
    const variances = second.map((S, k) =>
      S.map((v, j) => {
        const moment = v / nk[k];
        const c = moment - delta[k][j] ** 2;
        return c <= NOISE * moment ? 0 : c;
      }),
    );
    if (type === "spherical") {
      covariances = variances.map((v) => v.reduce((s, x) => s + x, 0) / d + regCovar);
    } else {
      covariances = variances.map((v) => v.map((x) => x + regCovar));
    }
  }
  const params = { weights, means, covariances, covariance_type: type };
  prepare(params); // throws CovarianceError if a covariance is not positive definite
  return params;
}

/**
 * The M-step: pi_k = N_k / N, mu_k = sum_i gamma_ik x_i / N_k and
 * Sigma_k = sum_i gamma_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + regCovar I (for tied: one
 * pooled covariance; diag: the variances; spherical: their mean), as `emlib.m_step`.
 * @param {Matrix} X  N x d
 * @param {Matrix} resp  N x K, rows summing to 1
 * @param {string} covarianceType  "full" | "tied" | "diag" | "spherical"
 * @param {number} [regCovar=1e-6]  added to the diagonal of every covariance
 * @returns {Params}
 * @throws {CovarianceError}  when a new covariance is not positive definite (`.component`)
 */
export function mStep(X, resp, covarianceType, regCovar = 1e-6) {
  const type = checkCovarianceType(covarianceType);
  checkRegCovar(regCovar);
  const d = checkData(X);
  const K = checkResp(resp, X.length);
  // Means about the first sample first (a large offset in X costs no precision), then the
  // sums about the average of those means, as emlib does.
  const x0 = X[0];
  const nk = new Array(K).fill(0);
  const acc = Array.from({ length: K }, () => new Array(d).fill(0));
  for (let i = 0; i < X.length; i++) {
    for (let k = 0; k < K; k++) {
      const g = resp[i][k];
      nk[k] += g;
      for (let j = 0; j < d; j++) acc[k][j] += g * (X[i][j] - x0[j]);
    }
  }
  const means0 = acc.map((a, k) => a.map((v, j) => x0[j] + v / (nk[k] + NK_EPS)));
  return mStepAbout(X, resp, type, regCovar, means0);
}

/**
 * One EM iteration, E-step then M-step (emlib's `em_iteration`).
 * @param {Matrix} X
 * @param {Params} params
 * @param {number} [regCovar=1e-6]
 * @returns {{params: Params, resp: Matrix, logLikelihood: number}}  new params; the
 *   E-step's resp; logLikelihood = log p(X) under the INPUT params
 * @throws {CovarianceError}
 */
export function emIteration(X, params, regCovar = 1e-6) {
  checkRegCovar(regCovar);
  const { resp, logLikelihood: ll } = eStep(X, params);
  const next = mStepAbout(X, resp, params.covariance_type, regCovar, params.means);
  return { params: next, resp, logLikelihood: ll };
}

/**
 * Covariances as K full d x d matrices, whatever the covariance type (for drawing).
 * @param {Params} params
 * @returns {number[][][]}
 */
export function fullCovariances(params) {
  const { type, K, d } = prepare(params);
  const cov = params.covariances;
  const diagonal = (vars) => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? vars[i] : 0)));
  if (type === "full") return cov.map((m) => m.map((r) => r.slice()));
  if (type === "tied") return Array.from({ length: K }, () => cov.map((r) => r.slice()));
  if (type === "diag") return cov.map((v) => diagonal(v));
  return cov.map((v) => diagonal(new Array(d).fill(v)));
}

/**
 * emlib's lab start (`emlib.labs._em.initial_params`): equal weights, the given means, and
 * every covariance equal to the spread of the whole data set (population variances).
 * @param {Matrix} X
 * @param {Matrix} means  K x d
 * @param {string} [covarianceType="full"]
 * @returns {Params}
 */
export function initialParams(X, means, covarianceType = "full") {
  const type = checkCovarianceType(covarianceType);
  const d = checkData(X);
  checkData(means, d);
  const K = means.length;
  const N = X.length;
  const variance = new Array(d).fill(0);
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (const x of X) m += x[j];
    m /= N;
    let s = 0;
    for (const x of X) s += (x[j] - m) ** 2;
    variance[j] = s / N;
  }
  const diag = () => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? variance[i] : 0)));
  let covariances;
  if (type === "full") covariances = Array.from({ length: K }, diag);
  else if (type === "tied") covariances = diag();
  else if (type === "diag") covariances = Array.from({ length: K }, () => variance.slice());
  else covariances = new Array(K).fill(variance.reduce((s, v) => s + v, 0) / d);
  const params = {
    weights: new Array(K).fill(1 / K),
    means: means.map((m) => m.slice()),
    covariances,
    covariance_type: type,
  };
  prepare(params);
  return params;
}

/**
 * The 1-D mixture density p(x) = sum_k pi_k N(x | mu_k, sigma_k^2) on a grid.
 * @param {number[]} xs  grid points
 * @param {Params} params  a mixture with d = 1
 * @returns {number[]}
 */
export function mixtureDensity1D(xs, params) {
  const p = prepare(params);
  if (p.d !== 1) throw new TypeError(`mixtureDensity1D needs a 1-D mixture; this one has d = ${p.d}.`);
  checkFiniteArray(xs, "xs");
  const a = new Array(p.K);
  return xs.map((x) => Math.exp(logsumexp(logRow([x], p, true, a))));
}

// ------------------------------------------------------------------------------ k-means
function squaredDistance(x, c) {
  let s = 0;
  for (let j = 0; j < x.length; j++) {
    const t = x[j] - c[j];
    s += t * t;
  }
  return s;
}

/**
 * The k-means assignment step: the index of the nearest centre of each sample (squared
 * Euclidean distance; a tie goes to the lowest index, like numpy's argmin).
 * @param {Matrix} X  N x d
 * @param {Matrix} centres  K x d
 * @returns {number[]}  labels
 */
export function kmeansAssign(X, centres) {
  const d = checkData(X);
  checkData(centres, d);
  return X.map((x) => {
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < centres.length; k++) {
      const dist = squaredDistance(x, centres[k]);
      if (dist < bestD) {
        bestD = dist;
        best = k;
      }
    }
    return best;
  });
}

/**
 * The k-means update step: each centre moves to the mean of its cluster; an empty cluster
 * keeps its centre (as emlib's KMeans).
 * @param {Matrix} X  N x d
 * @param {number[]} labels  N integers in 0..K-1
 * @param {Matrix} centres  K x d, the current centres
 * @returns {Matrix}  new centres
 */
export function kmeansUpdate(X, labels, centres) {
  const d = checkData(X);
  checkData(centres, d);
  const K = centres.length;
  if (!Array.isArray(labels) || labels.length !== X.length) {
    throw new TypeError(`labels must have one entry per sample (${X.length}).`);
  }
  const counts = new Array(K).fill(0);
  const sums = Array.from({ length: K }, () => new Array(d).fill(0));
  labels.forEach((k, i) => {
    if (!Number.isInteger(k) || k < 0 || k >= K) throw new TypeError(`labels[${i}] = ${k} is not a cluster index 0..${K - 1}.`);
    counts[k] += 1;
    for (let j = 0; j < d; j++) sums[k][j] += X[i][j];
  });
  return centres.map((c, k) => (counts[k] > 0 ? sums[k].map((s) => s / counts[k]) : c.slice()));
}

/**
 * k-means' objective: the sum of squared distances of the samples to their centres.
 * @param {Matrix} X
 * @param {Matrix} centres
 * @param {number[]} labels
 * @returns {number}
 */
export function kmeansInertia(X, centres, labels) {
  let s = 0;
  for (let i = 0; i < X.length; i++) s += squaredDistance(X[i], centres[labels[i]]);
  return s;
}

// ---------------------------------------------------------------------- model selection
/**
 * Number of free parameters: K - 1 weights, K d means and the covariance parameters
 * (K d (d + 1) / 2 full, d (d + 1) / 2 tied, K d diag, K spherical).
 * @param {number} K
 * @param {number} d
 * @param {string} covarianceType
 * @returns {number}
 */
export function nParameters(K, d, covarianceType) {
  if (!Number.isInteger(K) || K < 1 || !Number.isInteger(d) || d < 1) {
    throw new TypeError(`K and d must be positive integers; got K = ${K}, d = ${d}.`);
  }
  const cov = {
    full: (K * d * (d + 1)) / 2,
    tied: (d * (d + 1)) / 2,
    diag: K * d,
    spherical: K,
  }[checkCovarianceType(covarianceType)];
  return cov + K * d + K - 1;
}

/**
 * Bayesian information criterion -2 log p(X) + p log N (lower is better).
 * @param {Matrix} X
 * @param {Params} params
 * @returns {number}
 */
export function bic(X, params) {
  const p = prepare(params);
  return -2 * logLikelihood(X, params) + nParameters(p.K, p.d, p.type) * Math.log(X.length);
}

/**
 * Akaike information criterion -2 log p(X) + 2 p (lower is better).
 * @param {Matrix} X
 * @param {Params} params
 * @returns {number}
 */
export function aic(X, params) {
  const p = prepare(params);
  return -2 * logLikelihood(X, params) + 2 * nParameters(p.K, p.d, p.type);
}

// ----------------------------------------------------------------------------- sampling
/**
 * A seeded pseudo-random generator (xoshiro128** with its state filled from the seed):
 * the same seed gives the same numbers in every browser. Not numpy's stream.
 * @param {number} seed  an integer
 * @returns {{uniform: () => number, normal: () => number}}  uniform in [0, 1) with 53
 *   random bits; standard normal by the Box-Muller transform
 */
export function makeRng(seed) {
  if (!Number.isInteger(seed)) throw new TypeError(`seed must be an integer; got ${seed}.`);
  let z = seed >>> 0;
  const splitmix = () => {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x85ebca6b) >>> 0;
    t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35) >>> 0;
    return (t ^ (t >>> 16)) >>> 0;
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()];
  if (s.every((v) => v === 0)) s[0] = 1;
  // xoshiro128** on four 32-bit words.
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    s[0] >>>= 0;
    s[1] >>>= 0;
    s[2] >>>= 0;
    s[3] >>>= 0;
    return result;
  };
  const uniform = () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  const normal = () => {
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

function rotl(x, k) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Draw samples by the generative story: z ~ Categorical(pi), then x = mu_z + L_z e with
 * Sigma_z = L_z L_z^T and e ~ N(0, I).
 * @param {Params} params
 * @param {number} n  number of samples
 * @param {{uniform: () => number, normal: () => number}} rng  from {@link makeRng}
 * @returns {{X: Matrix, labels: number[]}}
 */
export function sampleMixture(params, n, rng) {
  const p = prepare(params);
  if (!Number.isInteger(n) || n < 1) throw new TypeError(`n must be a positive integer; got ${n}.`);
  const chol = fullCovariances(params).map((c) => cholesky(c));
  const cumulative = [];
  let acc = 0;
  for (const w of params.weights) cumulative.push((acc += w));
  const X = [];
  const labels = [];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform() * acc;
    let k = 0;
    while (k < p.K - 1 && !(u < cumulative[k])) k++;
    while (params.weights[k] === 0 && k > 0) k--; // never pick a weight of exactly 0
    const e = Array.from({ length: p.d }, () => rng.normal());
    const L = chol[k];
    X.push(params.means[k].map((m, a) => {
      let s = m;
      for (let b = 0; b <= a; b++) s += L[a][b] * e[b];
      return s;
    }));
    labels.push(k);
  }
  return { X, labels };
}

// ------------------------------------------------------------------------------ drawing
/**
 * The nStd contour of a 2-D Gaussian, (x - mu)^T Sigma^{-1} (x - mu) = nStd^2: semi-axes
 * nStd sqrt(lambda) along the eigenvectors of Sigma (emlib's `ellipse_geometry`, with
 * semi-axes instead of full widths).
 * @param {number[][]} cov2x2  symmetric covariance
 * @param {number} [nStd=2]
 * @returns {{rx: number, ry: number, angleDegrees: number}}  rx along the major axis, whose
 *   angle is counter-clockwise from the x axis in data coordinates (negate it for SVG,
 *   whose y axis points down)
 */
export function ellipse(cov2x2, nStd = 2) {
  if (!Array.isArray(cov2x2) || cov2x2.length !== 2 || cov2x2.some((r) => !Array.isArray(r) || r.length !== 2)) {
    throw new TypeError("cov2x2 must be a 2 x 2 matrix.");
  }
  if (!(nStd > 0)) throw new TypeError(`nStd must be positive; got ${nStd}.`);
  const a = cov2x2[0][0];
  const c = cov2x2[1][1];
  const b = 0.5 * (cov2x2[0][1] + cov2x2[1][0]);
  checkFiniteArray([a, b, c], "cov2x2");
  const mid = 0.5 * (a + c);
  const rad = Math.hypot(0.5 * (a - c), b);
  const big = Math.max(mid + rad, 0);
  const small = Math.max(mid - rad, 0);
  const angle = (0.5 * Math.atan2(2 * b, a - c) * 180) / Math.PI;
  return { rx: nStd * Math.sqrt(big), ry: nStd * Math.sqrt(small), angleDegrees: angle };
}

// ------------------------------------------------------------- Bernoulli mixtures
/**
 * @typedef {Object} BernoulliParams  a mixture of multivariate Bernoulli distributions,
 *   in the shapes of emlib.BernoulliMixtureParams
 * @property {number[]} weights   pi_k, K numbers >= 0 summing to 1
 * @property {number[][]} probs   theta_kj = p(x_j = 1 | component k), K x D, each in [0, 1]
 */

function checkBernoulli(X, params) {
  const { weights, probs } = params || {};
  if (!Array.isArray(weights) || !Array.isArray(probs) || probs.length !== weights.length || probs.length === 0) {
    throw new TypeError("params must be {weights: [K], probs: [K][D]} with the same K >= 1.");
  }
  const D = Array.isArray(probs[0]) ? probs[0].length : 0;
  for (const row of probs) {
    if (!Array.isArray(row) || row.length !== D || D === 0) throw new TypeError("probs must be K x D with D >= 1.");
    for (const t of row) {
      if (!isFiniteNumber(t) || t < 0 || t > 1) {
        throw new RangeError(`probs are probabilities: every entry must lie in [0, 1]; got ${t}.`);
      }
    }
  }
  const sum = weights.reduce((s, w) => s + w, 0);
  if (weights.some((w) => !isFiniteNumber(w) || w < 0) || Math.abs(sum - 1) > 1e-8) {
    throw new RangeError("weights must be non-negative and sum to 1.");
  }
  checkData(X, D);
  for (let i = 0; i < X.length; i++) {
    for (let j = 0; j < D; j++) {
      const v = X[i][j];
      if (v < 0 || v > 1) {
        throw new RangeError(`X must hold binary values (0 or 1); X[${i}][${j}] = ${v}.`);
      }
    }
  }
  return D;
}

/**
 * The log joint a_ik = log pi_k + sum_j [x_ij log theta_kj + (1 - x_ij) log(1 - theta_kj)]
 * of a Bernoulli mixture (as `emlib.bernoulli_log_joint`): 0 log 0 counts as 0, and a
 * sample that contradicts a probability of exactly 0 or 1 gets -Infinity.
 * @param {Matrix} X  N x D, entries in [0, 1] (normally 0 or 1)
 * @param {BernoulliParams} params
 * @returns {Matrix}  N x K
 */
export function bernoulliLogJoint(X, params) {
  const D = checkBernoulli(X, params);
  const K = params.weights.length;
  const logW = params.weights.map((w) => Math.log(w));
  const logP = params.probs.map((row) => row.map((t) => Math.log(t)));
  const logQ = params.probs.map((row) => row.map((t) => Math.log1p(-t)));
  return X.map((x) => {
    const a = new Array(K);
    for (let k = 0; k < K; k++) {
      let on = 0;
      let off = 0;
      let impossible = false;
      for (let j = 0; j < D; j++) {
        const v = x[j];
        if (logP[k][j] === -Infinity) {
          if (v > 0) impossible = true;
        } else on += v * logP[k][j];
        if (logQ[k][j] === -Infinity) {
          if (v < 1) impossible = true;
        } else off += (1 - v) * logQ[k][j];
      }
      a[k] = impossible ? -Infinity : on + off + logW[k];
    }
    return a;
  });
}

/**
 * The E-step of a Bernoulli mixture (as `emlib.bernoulli_e_step`): gamma_ik by Bayes' rule
 * in log space, and log p(X) (a total over samples).
 * @param {Matrix} X  N x D
 * @param {BernoulliParams} params
 * @returns {{resp: Matrix, logLikelihood: number}}
 * @throws {RangeError} if a sample is impossible under every component
 */
export function bernoulliEStep(X, params) {
  const joint = bernoulliLogJoint(X, params);
  let total = 0;
  const resp = joint.map((a, i) => {
    const norm = logsumexp(a);
    if (norm === -Infinity) {
      throw new RangeError(
        `sample ${i} has probability 0 under every component (some probability theta is ` +
        "exactly 0 or 1 and the sample contradicts it). Use a pseudocount > 0.");
    }
    total += norm;
    return a.map((v) => Math.exp(v - norm));
  });
  return { resp, logLikelihood: total };
}

/**
 * log p(X) of a Bernoulli mixture (a total over samples).
 * @param {Matrix} X
 * @param {BernoulliParams} params
 * @returns {number}
 */
export function bernoulliLogLikelihood(X, params) {
  return bernoulliEStep(X, params).logLikelihood;
}

/**
 * The M-step of a Bernoulli mixture (as `emlib.bernoulli_m_step`): pi_k = N_k / N and
 * theta_kj = (sum_i gamma_ik x_ij + a) / (N_k + 2a), with the pseudocount a >= 0.
 * @param {Matrix} X  N x D
 * @param {Matrix} resp  N x K, rows sum to 1
 * @param {number} [pseudocount=0]
 * @returns {BernoulliParams}
 * @throws {RangeError} if a component has no responsibility (N_k = 0)
 */
export function bernoulliMStep(X, resp, pseudocount = 0) {
  const D = checkData(X);
  if (!isFiniteNumber(pseudocount) || pseudocount < 0) {
    throw new RangeError(`pseudocount must be a number >= 0; got ${pseudocount}.`);
  }
  if (!Array.isArray(resp) || resp.length !== X.length) {
    throw new TypeError("resp must have one row per sample of X.");
  }
  const K = resp[0].length;
  const counts = new Array(K).fill(0);
  const ones = Array.from({ length: K }, () => new Array(D).fill(0));
  for (let i = 0; i < X.length; i++) {
    for (let k = 0; k < K; k++) {
      const g = resp[i][k];
      counts[k] += g;
      for (let j = 0; j < D; j++) ones[k][j] += g * X[i][j];
    }
  }
  const empty = counts.findIndex((c) => !(c > 0));
  if (empty >= 0) {
    throw new RangeError(
      `component ${empty} has no responsibility (N_k = 0): its probabilities are undefined.`);
  }
  const total = counts.reduce((s, c) => s + c, 0);
  return {
    weights: counts.map((c) => c / total),
    probs: ones.map((row, k) => row.map((s) => clip01((s + pseudocount) / (counts[k] + 2 * pseudocount)))),
  };
}

function clip01(v) {
  return Math.min(1, Math.max(0, v));
}

/**
 * Tie the probabilities of each component (the two-coins model of chapter 9): every
 * feature of component k gets the mean of its D probabilities, and the weights become
 * `weights` (default: equal). After an M-step this is the pooled frequency of ones.
 * @param {BernoulliParams} params
 * @param {number[]} [weights]  default 1/K each
 * @returns {BernoulliParams}
 */
export function bernoulliTie(params, weights) {
  const K = params.probs.length;
  return {
    weights: weights ? [...weights] : new Array(K).fill(1 / K),
    probs: params.probs.map((row) => {
      const mean = row.reduce((s, t) => s + t, 0) / row.length;
      return new Array(row.length).fill(mean);
    }),
  };
}
