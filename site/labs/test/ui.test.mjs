// Unit tests of ui.js's pure helpers (run: node --test site/labs/test/).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  COLORS, MARKERS, contourSegments, grid, tickFormat, NEUTRAL, blendColor, blendRgb, clamp, covariancePath, dataLimits,
  ellipsePoints, equalAspectLimits, fmt, hexToRgb, linearScale, markerPath,
  niceTicks,
} from "../ui.js";

const close = (a, b, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test("palette is emlib.plotting.COMPONENT_COLORS in the same order", () => {
  const py = readFileSync(new URL("../../../src/emlib/plotting.py", import.meta.url), "utf8");
  const okabe = Object.fromEntries([...py.matchAll(/"(\w+)": "(#[0-9A-Fa-f]{6})"/g)].map((m) => [m[1], m[2]]));
  const order = /COMPONENT_COLORS[^=]*=\s*\(([^)]*)\)/s.exec(py)[1];
  const names = [...order.matchAll(/OKABE_ITO\["(\w+)"\]/g)].map((m) => m[1]);
  assert.deepEqual([...COLORS], names.map((n) => okabe[n]));
  assert.equal(NEUTRAL, /NEUTRAL_COLOR = "(#[0-9A-Fa-f]{6})"/.exec(py)[1]);
  assert.equal(MARKERS.length, COLORS.length);
});

test("hexToRgb and blending follow emlib.plotting.blend_colors", () => {
  assert.deepEqual(hexToRgb("#000000"), [0, 0, 0]);
  assert.deepEqual(hexToRgb("#ffffff"), [1, 1, 1]);
  assert.throws(() => hexToRgb("blue"), /#0072B2/);
  assert.deepEqual(blendRgb([1, 0]), hexToRgb(COLORS[0]));
  const mix = blendRgb([0.25, 0.75]);
  const a = hexToRgb(COLORS[0]);
  const b = hexToRgb(COLORS[1]);
  mix.forEach((v, j) => close(v, 0.25 * a[j] + 0.75 * b[j]));
  assert.equal(blendColor([0, 1]), "rgb(230,159,0)");
  assert.throws(() => blendRgb(new Array(9).fill(1 / 9)), /colours/);
});

test("linear scale maps, inverts and flips", () => {
  const s = linearScale([-2, 2], [100, 0]);
  close(s(-2), 100);
  close(s(2), 0);
  close(s(0), 50);
  close(s.invert(25), 1);
  assert.throws(() => linearScale([1, 1], [0, 1]), /different/);
});

test("nice ticks are round and inside the range", () => {
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(-4.3, 3.7, 4), [-4, -2, 0, 2]);
  assert.deepEqual(niceTicks(-3.1, 3.1, 7), [-3, -2, -1, 0, 1, 2, 3]);
  const t = niceTicks(-1234.5, -1100.2, 5);
  assert.ok(t.length >= 2 && t.every((v) => v >= -1234.5 && v <= -1100.2));
  assert.deepEqual(niceTicks(1, 1), []);
});

test("equal-aspect limits keep the data and make one unit equally long", () => {
  const { xlim, ylim } = equalAspectLimits([0, 10], [0, 2], 200, 100);
  close((xlim[1] - xlim[0]) / 200, (ylim[1] - ylim[0]) / 100);
  assert.ok(xlim[0] <= 0 && xlim[1] >= 10 && ylim[0] <= 0 && ylim[1] >= 2);
  close((ylim[0] + ylim[1]) / 2, 1);
});

test("data limits add a margin", () => {
  const { xlim, ylim } = dataLimits([[0, 0], [10, 1]], 0.1);
  assert.deepEqual(xlim, [-1, 11]);
  close(ylim[0], -0.1);
  close(ylim[1], 1.1);
});

test("clamp and fmt", () => {
  assert.equal(clamp(5, 0, 1), 1);
  assert.equal(clamp(-5, 0, 1), 0);
  assert.equal(fmt(-0.001), "0.00");
  assert.equal(fmt(-1.5), "−1.50");
  assert.equal(fmt(0.523, 2), "0.52");
  assert.equal(fmt(-Infinity), "−∞");
});

test("markers: every shape gives a closed path, unknown shapes a clear error", () => {
  for (const shape of MARKERS) assert.match(markerPath(shape, 10, 10, 5), /^M.*Z$/);
  assert.throws(() => markerPath("hexagon", 0, 0, 1), /unknown shape/);
});

test("ellipse outline: points satisfy the ellipse equation", () => {
  const pts = ellipsePoints([1, -1], { rx: 3, ry: 1, angleDegrees: 30 }, 16);
  const a = Math.PI / 6;
  for (const [x, y] of pts) {
    const dx = x - 1;
    const dy = y + 1;
    const u = Math.cos(a) * dx + Math.sin(a) * dy;
    const v = -Math.sin(a) * dx + Math.cos(a) * dy;
    close((u / 3) ** 2 + v ** 2, 1, 1e-12);
  }
});

test("covariance path: the 2-sigma contour of a diagonal covariance", () => {
  const id = (v) => v;
  const d = covariancePath([0, 0], [[4, 0], [0, 1]], 2, id, id);
  const pts = d.slice(1, -1).split("L").map((p) => p.split(",").map(Number));
  for (const [x, y] of pts) close((x / 4) ** 2 + (y / 2) ** 2, 1, 1e-2);
  assert.ok(Math.max(...pts.map((p) => Math.abs(p[0]))) > 3.99);
});

test("contour segments of a circle lie on the circle", () => {
  const g = grid([-2, 2], [-2, 2], 41, 41);
  const values = g.points.map(([x, y]) => x * x + y * y);
  const segs = contourSegments(values, g.nx, g.ny, 1);
  assert.ok(segs.length > 20);
  for (const s of segs) for (const q of s) {
    const [x, y] = g.toData(q);
    close(Math.hypot(x, y), 1, 0.02);
  }
  assert.deepEqual(contourSegments(values, g.nx, g.ny, 100), []);
});

test("tick labels have the decimals their spacing needs", () => {
  assert.deepEqual([-1179.5, -1179, -1178.5].map(tickFormat([-1179.5, -1179, -1178.5])), ["−1179.5", "−1179.0", "−1178.5"]);
  assert.deepEqual([0, 0.2].map(tickFormat([0, 0.2])), ["0.0", "0.2"]);
  assert.deepEqual([-200, 0, 200].map(tickFormat([-200, 0, 200])), ["−200", "0", "200"]);
});

test("run loop: steps at its interval, stops when step returns false, honours reduced motion", async () => {
  const { runLoop } = await import("../ui.js");
  let now = 0;
  const queue = [];
  globalThis.requestAnimationFrame = (f) => queue.push(f);
  globalThis.cancelAnimationFrame = () => queue.splice(0);
  const frames = (n) => {
    for (let i = 0; i < n && queue.length; i++) {
      now += 1000 / 60;
      queue.shift()(now);
    }
  };
  try {
    let steps = 0;
    let stopped = 0;
    const loop = runLoop(() => (steps += 1) < 5, { interval: 1000 / 30, onStop: () => (stopped += 1) });
    loop.start();
    assert.ok(loop.running());
    frames(4);
    assert.equal(steps, 2, "30 steps per second on a 60 Hz display: every other frame");
    frames(100);
    assert.equal(steps, 5);
    assert.ok(!loop.running() && stopped === 1);

    globalThis.matchMedia = (q) => ({ matches: q.includes("reduce") });
    steps = 0;
    const calm = runLoop(() => { steps += 1; }, {});
    calm.start();
    assert.equal(steps, 1, "with reduced motion, Run makes one step");
    assert.ok(!calm.running() && queue.length === 0);
    calm.start(true);
    assert.ok(calm.running(), "an explicit request still animates");
    calm.stop();
    assert.ok(!calm.running());
  } finally {
    delete globalThis.requestAnimationFrame;
    delete globalThis.cancelAnimationFrame;
    delete globalThis.matchMedia;
  }
});
