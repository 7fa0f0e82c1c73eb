// Unit tests of the two-coins lab's data and of emmath's Bernoulli helpers (node --test).
import assert from "node:assert/strict";
import { test } from "node:test";

import { bernoulliEStep, bernoulliMStep, bernoulliTie } from "../emmath.js";
import { coinData } from "../two_coins.js";

test("coinData: heads first, then tails, ten tosses a set", () => {
  const X = coinData([5, 9, 0], 10);
  assert.deepEqual(X.map((r) => r.reduce((a, b) => a + b, 0)), [5, 9, 0]);
  assert.deepEqual(X[0], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
});

test("a start on the diagonal stays on it: every set is shared 50/50", () => {
  const X = coinData([5, 9, 8, 4, 7], 10);
  let params = { weights: [0.5, 0.5], probs: [new Array(10).fill(0.3), new Array(10).fill(0.3)] };
  for (let t = 0; t < 3; t++) {
    const { resp } = bernoulliEStep(X, params);
    for (const r of resp) assert.equal(r[0], r[1]);
    params = bernoulliTie(bernoulliMStep(X, resp), [0.5, 0.5]);
    assert.equal(params.probs[0][0], params.probs[1][0]);
  }
  assert.ok(Math.abs(params.probs[0][0] - 33 / 50) < 1e-12);
});

test("bad input is a sentence", () => {
  const X = coinData([5], 10);
  assert.throws(() => bernoulliMStep(X, [[1]], -1), /pseudocount must be a number >= 0/);
  assert.throws(() => bernoulliEStep([[2]], { weights: [1], probs: [[0.5]] }), /binary values/);
  assert.throws(() => bernoulliEStep(X, { weights: [1], probs: [new Array(10).fill(1.5)] }), /\[0, 1\]/);
  // A sample impossible under every component (theta exactly 0 and the sample has heads).
  assert.throws(() => bernoulliEStep(X, { weights: [1], probs: [new Array(10).fill(0)] }), /probability 0 under every component/);
});
