// Unit tests of emmath.js that need no Python (the parity with emlib is tests/test_js_parity.py).
// Run: node --test site/labs/test/
import { test } from "node:test";
import assert from "node:assert/strict";
import * as em from "../emmath.js";

const X = [
  [0, 0], [1, 0.5], [0.5, -0.4], [5, 5], [6, 5.5], [5.5, 4], [4.8, 6.1],
];
const full = {
  weights: [0.5, 0.5],
  means: [[0, 0], [5, 5]],
  covariances: [[[1, 0], [0, 1]], [[1, 0.2], [0.2, 1]]],
  covariance_type: "full",
};

function close(a, b, tol = 1e-12) {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b)), `${a} != ${b}`);
}

test("logsumexp does not overflow or underflow", () => {
  close(em.logsumexp([1000, 1000]), 1000 + Math.log(2));
  close(em.logsumexp([-1000, -1000]), -1000 + Math.log(2));
  assert.equal(em.logsumexp([-Infinity, -Infinity]), -Infinity);
  close(em.logsumexp([0, -Infinity]), 0);
});

test("responsibilities sum to 1 even for a point far from every component", () => {
  const { resp, logLikelihood } = em.eStep([[1e4, -1e4], [0.3, 0.2]], full);
  for (const row of resp) close(row.reduce((s, v) => s + v, 0), 1);
  assert.ok(Number.isFinite(logLikelihood));
  assert.ok(resp[0].every((v) => v >= 0 && v <= 1));
});

test("a weight of exactly 0 gives responsibility 0, not NaN", () => {
  const p = { ...full, weights: [1, 0] };
  const { resp } = em.eStep(X, p);
  for (const row of resp) assert.deepEqual(row, [1, 0]);
});

test("log p(X) = ELBO + KL for any q, and KL = 0 at the posterior", () => {
  const q = X.map((_, i) => (i % 2 ? [0.3, 0.7] : [0.9, 0.1]));
  close(em.elbo(X, q, full) + em.klDivergence(X, q, full), em.logLikelihood(X, full), 1e-12);
  assert.ok(em.klDivergence(X, q, full) > 0);
  const { resp } = em.eStep(X, full);
  assert.ok(Math.abs(em.klDivergence(X, resp, full)) < 1e-9);
});

test("EM never decreases the log-likelihood, for every covariance type", () => {
  for (const type of em.COVARIANCE_TYPES) {
    let params = em.initialParams(X, [[0, 1], [4, 4]], type);
    let previous = -Infinity;
    for (let t = 0; t < 20; t++) {
      const step = em.emIteration(X, params, 1e-6);
      assert.ok(step.logLikelihood >= previous - 1e-9, `${type}: ${step.logLikelihood} < ${previous}`);
      previous = step.logLikelihood;
      params = step.params;
    }
  }
});

test("emIteration equals eStep then mStep", () => {
  const a = em.emIteration(X, full, 1e-3);
  const { resp, logLikelihood } = em.eStep(X, full);
  const b = em.mStep(X, resp, "full", 1e-3);
  close(a.logLikelihood, logLikelihood);
  a.params.means.flat().forEach((v, i) => close(v, b.means.flat()[i], 1e-12));
});

test("a component collapsed onto one point throws CovarianceError at reg_covar 0", () => {
  const resp = X.map((_, i) => (i === 0 ? [0, 1] : [1, 0]));
  assert.throws(() => em.mStep(X, resp, "full", 0), (err) => err instanceof em.CovarianceError && err.component === 1);
  const ok = em.mStep(X, resp, "full", 1e-3);
  close(ok.covariances[1][0][0], 1e-3);
  close(ok.covariances[1][0][1], 0);
  assert.throws(() => em.mStep(X, resp, "diag", 0), em.CovarianceError);
  assert.throws(() => em.mStep(X, resp, "spherical", 0), em.CovarianceError);
});

test("bad input gets a sentence, not NaN", () => {
  assert.throws(() => em.eStep([[0, NaN]], full), /finite/);
  assert.throws(() => em.eStep([[0, 0, 0]], full), /features/);
  assert.throws(() => em.eStep(X, { ...full, weights: [0.5, 0.6] }), /sum to 1/);
  assert.throws(() => em.eStep(X, { ...full, covariance_type: "banana" }), /covariance_type/);
  assert.throws(() => em.mStep(X, X.map(() => [0.5, 0.6]), "full"), /sum to 1/);
  assert.throws(() => em.mStep(X, X.map(() => [0.5, 0.5]), "full", -1), /reg_covar/);
  assert.throws(
    () => em.eStep(X, { ...full, covariances: [[[1, 2], [2, 1]], [[1, 0], [0, 1]]] }),
    (err) => err instanceof em.CovarianceError && err.component === 0,
  );
});

test("k-means: nearest centre, ties to the lowest index, an empty cluster keeps its centre", () => {
  const centres = [[0, 0], [5, 5], [100, 100]];
  const labels = em.kmeansAssign(X, centres);
  assert.deepEqual(labels, [0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual(em.kmeansAssign([[1, 1]], [[0, 0], [2, 2]]), [0]);
  const next = em.kmeansUpdate(X, labels, centres);
  assert.deepEqual(next[2], [100, 100]);
  close(next[0][0], 0.5);
  close(em.kmeansInertia(X, next, labels), X.reduce((s, x, i) => s + (x[0] - next[labels[i]][0]) ** 2 + (x[1] - next[labels[i]][1]) ** 2, 0));
});

test("seeded sampling is deterministic and its proportions approach the weights", () => {
  const a = em.makeRng(7);
  const b = em.makeRng(7);
  for (let i = 0; i < 5; i++) assert.equal(a.uniform(), b.uniform());
  assert.notEqual(em.makeRng(8).uniform(), em.makeRng(7).uniform());
  const params = { weights: [0.2, 0.8], means: [[-3], [3]], covariances: [1, 0.25], covariance_type: "spherical" };
  const { X: S, labels } = em.sampleMixture(params, 20000, em.makeRng(1));
  const frac = labels.filter((k) => k === 1).length / labels.length;
  assert.ok(Math.abs(frac - 0.8) < 0.02, `fraction ${frac}`);
  const ones = S.filter((_, i) => labels[i] === 1).map((x) => x[0]);
  const mean = ones.reduce((s, v) => s + v, 0) / ones.length;
  const variance = ones.reduce((s, v) => s + (v - mean) ** 2, 0) / ones.length;
  assert.ok(Math.abs(mean - 3) < 0.03 && Math.abs(variance - 0.25) < 0.02, `${mean} ${variance}`);
  const rng = em.makeRng(3);
  const u = Array.from({ length: 10000 }, () => rng.uniform());
  assert.ok(u.every((v) => v >= 0 && v < 1));
});

test("the 1-D mixture density integrates to 1", () => {
  const params = { weights: [0.3, 0.7], means: [[-2], [1.5]], covariances: [[0.5], [1.2]], covariance_type: "diag" };
  const xs = Array.from({ length: 4001 }, (_, i) => -12 + (24 * i) / 4000);
  const p = em.mixtureDensity1D(xs, params);
  const integral = p.reduce((s, v) => s + v, 0) * (24 / 4000);
  close(integral, 1, 1e-6);
});

test("ellipse: semi-axes along the eigenvectors, angle of the major axis", () => {
  assert.deepEqual(em.ellipse([[4, 0], [0, 1]], 1), { rx: 2, ry: 1, angleDegrees: 0 });
  const e = em.ellipse([[1, 0.9], [0.9, 1]], 2);
  close(e.angleDegrees, 45);
  close(e.rx, 2 * Math.sqrt(1.9));
  close(e.ry, 2 * Math.sqrt(0.1));
  close(em.ellipse([[1, 0], [0, 9]], 1).angleDegrees, 90);
});

test("symmetricEigen reconstructs the matrix", () => {
  const A = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 1]];
  const { values, vectors } = em.symmetricEigen(A);
  assert.ok(values[0] <= values[1] && values[1] <= values[2]);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < 3; k++) s += vectors[i][k] * values[k] * vectors[j][k];
    close(s, A[i][j], 1e-13);
  }
});

test("nParameters matches the formula for each covariance type", () => {
  assert.equal(em.nParameters(3, 2, "full"), 3 * 3 + 6 + 2);
  assert.equal(em.nParameters(3, 2, "tied"), 3 + 6 + 2);
  assert.equal(em.nParameters(3, 2, "diag"), 6 + 6 + 2);
  assert.equal(em.nParameters(3, 2, "spherical"), 3 + 6 + 2);
  close(em.bic(X, full) - em.aic(X, full), em.nParameters(2, 2, "full") * (Math.log(X.length) - 2));
});
