/**
 * Chapter 9's lab, two coins (Do and Batzoglou, 2008): five sets of ten tosses, each made
 * with coin A or coin B (equally likely); one probability of heads per coin. The map shows
 * log p(X | θA, θB) over the unit square; the reader drags the start (θA, θB) and presses
 * E-step, M-step, Step or Run to watch EM climb: to one of two mirror-image maxima (coins A
 * and B swap names), or, from a start on the diagonal θA = θB, along the diagonal only.
 * The heads of each set can be edited.
 *
 * All the maths is emmath.js's Bernoulli mixture (bernoulliEStep, bernoulliMStep,
 * bernoulliTie), held to emlib's bernoulli_* by tests/test_js_parity.py.
 *
 * config (from emlib.labs._two_coins.web_config): heads, n_tosses, X, start [θA, θB],
 * weights, pseudocount, theta_range, map_size, run_tol, run_max_iter.
 * @module two_coins
 */

import { bernoulliEStep, bernoulliMStep, bernoulliTie } from "./emmath.js";
import * as ui from "./ui.js";

const PHASE = { init: "start (no E-step yet)", E: "after the E-step", M: "after the M-step" };
const COINS = ["A", "B"];
/** A start this close to the diagonal θA = θB snaps onto it. */
const SNAP = 0.006;

/**
 * The tosses as binary rows: set i is heads[i] ones, then zeros (as emlib's coin_data).
 * @param {number[]} heads
 * @param {number} nTosses
 * @returns {number[][]}
 */
export function coinData(heads, nTosses) {
  return heads.map((h) => Array.from({ length: nTosses }, (_, j) => (j < h ? 1 : 0)));
}

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const nTosses = config.n_tosses;
  const weights = config.weights;
  const pseudocount = config.pseudocount;
  const [lo, hi] = config.theta_range;
  const runTol = config.run_tol;
  const runMax = config.run_max_iter;
  let heads = [...config.heads];
  let X = config.X;
  let start = [...config.start];

  const shell = ui.labShell(root, {
    title: "Two coins: EM on the log-likelihood map",
    description:
      "Drag the white circle (the start θA, θB; or focus it and use the arrow keys, Shift for " +
      "big steps), then press E-step and M-step, Step or Run. The map is log p(X | θA, θB): " +
      "darker is lower. Try a start below the dashed diagonal, one above it, and one on it (the " +
      "circle snaps onto the diagonal when it comes close).",
  });

  const coinParams = (a, b) => ({ weights: [...weights], probs: [new Array(nTosses).fill(a), new Array(nTosses).fill(b)] });
  const thetaOf = (p) => [p.probs[0][0], p.probs[1][0]];

  // ---------------------------------------------------------------- the map
  const svg = ui.createSvg(shell.figures, { width: 360, height: 360, label: "The log-likelihood map over θA and θB, the start and the EM path" });
  const panel = ui.createPanel(svg, { width: 360, height: 360, xlim: [0, 1], ylim: [0, 1], equal: true, xlabel: "θA (coin A)", ylabel: "θB (coin B)", margin: { top: 40 } });
  let mapNodes = [];
  const diagonal = ui.svgEl("path", { d: "", fill: "none", stroke: "#555", "stroke-dasharray": "5 4", "stroke-width": 1, "aria-hidden": "true" }, panel.plot);
  const pathLine = ui.svgEl("path", { fill: "none", stroke: ui.COLORS[5], "stroke-width": 2, "aria-hidden": "true" }, panel.plot);
  const pathDots = ui.svgEl("path", { fill: ui.COLORS[5], "aria-hidden": "true" }, panel.plot);
  const nowMark = ui.svgEl("path", { fill: ui.COLORS[5], stroke: "#000", "stroke-width": 1, "aria-hidden": "true" }, panel.plot);
  const mapTitle = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 24, class: "emlib-caption" }, panel.g);
  const mapNote = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 7, class: "emlib-tick-label" }, panel.g);
  diagonal.setAttribute("d", `M${panel.sx(0)},${panel.sy(0)}L${panel.sx(1)},${panel.sy(1)}`);

  function drawMap() {
    for (const node of mapNodes) node.remove();
    const n = config.map_size;
    const g = ui.grid([lo, hi], [lo, hi], n, n);
    const values = g.points.map(([a, b]) => bernoulliEStep(X, coinParams(a, b)).logLikelihood);
    const top = Math.max(...values);
    const image = ui.heatmap(panel, g, (i) => {
      const t = ui.clamp((values[i] - top + 30) / 30, 0, 1);
      const v = 0.45 + 0.55 * t;
      return [v, v, v];
    });
    const lines = ui.svgEl("path", {
      d: [32, 16, 8, 4, 2, 1, 0.5].map((drop) => ui.contourPath(panel, ui.contourSegments(values, n, n, top - drop), g.toData)).join(""),
      fill: "none", stroke: "#444", "stroke-width": 0.7, "aria-hidden": "true",
    }, panel.plot);
    panel.plot.insertBefore(lines, diagonal);
    panel.plot.insertBefore(image, lines);
    mapNodes = [image, lines];
  }

  // ---------------------------------------------------------------- the bars
  const barSvg = ui.createSvg(shell.figures, { width: 360, height: 260, label: "Responsibilities of coins A and B for each set" });
  let bars = null;
  function makeBars() {
    barSvg.replaceChildren();
    bars = ui.barChart(barSvg, {
      width: 360, height: 260,
      labels: heads.flatMap(() => COINS),
      colors: heads.flatMap(() => [ui.COLORS[0], ui.COLORS[1]]),
      gaps: heads.flatMap((_, i) => [i === 0 ? 0 : 0.7, 0]),
      groupLabels: heads.map((h, i) => ({ text: `${h} H`, from: 2 * i, to: 2 * i + 1 })),
      ymax: 1.15,
      caption: "responsibilities of coins A and B, per set",
    });
  }

  // ---------------------------------------------------------------- controls
  const row1 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const buttons = {
    e: ui.button(row1, "E-step", () => act("E"), { title: "Responsibilities of coins A and B for each set" }),
    m: ui.button(row1, "M-step", () => act("M"), { title: "Pooled frequencies of heads, each set weighted by its responsibility" }),
    step: ui.button(row1, "Step", () => act("EM"), { title: "One iteration: E-step then M-step" }),
    run: ui.button(row1, "Run", () => startRun(), { title: "Iterate until θ stops moving" }),
    reset: ui.button(row1, "Reset", () => act("reset"), { title: "Back to the start" }),
  };
  const row2 = ui.el("fieldset", { class: "emlib-live-controls" }, shell.controls);
  row2.style.border = "1px solid #c8c8c8";
  row2.style.padding = "0.2rem 0.5rem 0.4rem";
  row2.style.margin = "0";
  const legend = ui.el("legend", { text: `Heads in each set of ${nTosses} tosses` }, row2);
  legend.style.fontSize = "0.9rem";
  legend.style.fontWeight = "600";
  legend.style.padding = "0 0.3rem";
  legend.style.margin = "0";
  legend.style.width = "auto";
  legend.style.float = "none";
  const headInputs = heads.map((h, i) => {
    const id = ui.uniqueId("heads");
    const wrap = ui.el("span", { class: "emlib-select" }, row2);
    ui.el("label", { for: id, text: `set ${i + 1}` }, wrap);
    const input = ui.el("input", { id, type: "number", min: 0, max: nTosses, step: 1, value: h, inputmode: "numeric" }, wrap);
    input.style.width = "3.8em";
    input.style.minHeight = "44px";
    input.style.font = "inherit";
    input.addEventListener("change", () => setHeads(i, input.value));
    return input;
  });

  // ---------------------------------------------------------------- the run
  let params;
  let resp;
  let iteration;
  let phase;
  let logLik;
  let history;
  let path;
  let converged;
  let failed = false;

  function reset() {
    params = coinParams(start[0], start[1]);
    resp = null;
    iteration = 0;
    phase = "init";
    logLik = bernoulliEStep(X, params).logLikelihood;
    history = [logLik];
    path = [thetaOf(params)];
    converged = false;
  }

  function eStepNow() {
    const out = bernoulliEStep(X, params);
    resp = out.resp;
    logLik = out.logLikelihood;
    phase = "E";
  }

  function mStepNow() {
    const before = thetaOf(params);
    params = bernoulliTie(bernoulliMStep(X, resp, pseudocount), weights);
    iteration += 1;
    phase = "M";
    logLik = bernoulliEStep(X, params).logLikelihood;
    history.push(logLik);
    const now = thetaOf(params);
    path.push(now);
    converged = Math.max(Math.abs(now[0] - before[0]), Math.abs(now[1] - before[1])) <= runTol;
  }

  const startHandle = ui.handle(panel, {
    name: "start",
    label: "The start (θA, θB): drag it, or use the arrow keys",
    value: start,
    shape: "circle",
    radius: 8,
    color: "#ffffff",
    step: [0.01, 0.01],
    bounds: { xlim: [lo, hi], ylim: [lo, hi] },
    onMove: (p) => {
      loop.stop();
      start = snap(p);
      reset();
      render();
    },
    onEnd: () => shell.live.say(describeStart()),
  });

  /**
   * A start within SNAP of the diagonal goes onto it (a finger or a mouse could never hit
   * θA = θB exactly, and that start is one of the lab's three experiments).
   * @param {number[]} p
   * @returns {number[]}
   */
  function snap(p) {
    if (Math.abs(p[0] - p[1]) > SNAP) return p;
    const m = Math.round(((p[0] + p[1]) / 2) * 1e6) / 1e6;
    return [m, m];
  }

  const loop = ui.runLoop(() => {
    if (converged || iteration >= runMax) return false;
    try {
      eStepNow();
      mStepNow();
    } catch (err) {
      fail(err);
      return false;
    }
    render();
    return !(converged || iteration >= runMax);
  }, {
    interval: 1000 / 12,
    onStop: () => {
      render();
      if (!failed) shell.live.say(describeRun());
      buttons.run.disabled = false;
    },
  });

  function startRun() {
    if (loop.running()) return;
    if (ui.prefersReducedMotion()) {
      // No animation: all the iterations at once, then one picture and one sentence.
      try {
        const stopAt = iteration + runMax;
        do {
          eStepNow();
          mStepNow();
        } while (!converged && iteration < stopAt);
      } catch (err) {
        fail(err);
        return;
      }
      render();
      shell.live.say(describeRun());
      return;
    }
    converged = false;
    failed = false;
    buttons.run.disabled = true;
    shell.live.say(`Running EM from iteration ${iteration}…`);
    loop.start(true);
  }

  function act(what) {
    loop.stop();
    if (what === "M" && resp === null) {
      shell.live.say("The M-step needs responsibilities: press E-step first.");
      return;
    }
    try {
      if (what === "reset") reset();
      if (what === "E" || what === "EM") eStepNow();
      if (what === "M" || what === "EM") mStepNow();
    } catch (err) {
      fail(err);
      return;
    }
    render();
    shell.live.say(describe() + { E: " Responsibilities updated.", M: " θ moved.", EM: "", reset: " Back to the start." }[what]);
  }

  function fail(err) {
    failed = true;
    render();
    shell.live.say(`EM could not go on: ${err.message} Press Reset or change the start.`);
  }

  function setHeads(i, value) {
    const h = Number(value);
    if (!Number.isInteger(h) || h < 0 || h > nTosses) {
      headInputs[i].value = String(heads[i]);
      shell.live.say(`Set ${i + 1} needs a whole number of heads from 0 to ${nTosses}; it keeps ${heads[i]}.`);
      return;
    }
    loop.stop();
    heads = heads.map((old, j) => (j === i ? h : old));
    X = coinData(heads, nTosses);
    drawMap();
    makeBars();
    reset();
    render();
    shell.live.say(`Set ${i + 1} now has ${h} heads; the map is redrawn and EM starts again: ${describe()}`);
  }

  // ---------------------------------------------------------------- words
  const f3 = (v) => ui.fmt(v, 3);
  function describe() {
    const [a, b] = thetaOf(params);
    let text = `Iteration ${iteration}, ${PHASE[phase]}: θA = ${f3(a)}, θB = ${f3(b)}, log p(X) = ${ui.fmt(logLik, 4)}.`;
    if (resp) text += ` Responsibility of coin A per set: ${heads.map((h, i) => `${h} heads ${ui.fmt(resp[i][0])}`).join(", ")}.`;
    return text;
  }
  function onDiagonal() {
    const [a, b] = thetaOf(params);
    return Math.abs(a - b) <= 1e-12;
  }
  function describeStart() {
    let text = `Start θA = ${f3(start[0])}, θB = ${f3(start[1])}: EM starts again, log p(X) = ${ui.fmt(logLik, 4)}.`;
    if (Math.abs(start[0] - start[1]) <= 1e-12) text += " The start is on the diagonal θA = θB: both coins look alike, so EM cannot tell them apart.";
    return text;
  }
  function describeRun() {
    const [a, b] = thetaOf(params);
    let text = `${converged ? "Converged" : "Stopped"} after ${iteration} iterations: θA = ${f3(a)}, θB = ${f3(b)}, log p(X) = ${ui.fmt(logLik, 4)}.`;
    if (onDiagonal()) {
      // Is the symmetric point a saddle? Step off the diagonal and compare log p.
      const off = bernoulliEStep(X, coinParams(ui.clamp(a + 0.01, lo, hi), ui.clamp(b - 0.01, lo, hi))).logLikelihood;
      text += off > logLik
        ? " EM stayed on the diagonal θA = θB: the symmetric fixed point, a saddle (moving off the diagonal raises log p), not a maximum."
        : " EM stayed on the diagonal θA = θB: for these heads the symmetric point is a maximum (one coin explains the data as well as two).";
    }
    else if (a < b) text += " Here coin A is the one with fewer heads (θA < θB): the mirror image of the other maximum, with the labels switched.";
    else text += " Here coin A is the one with more heads (θA > θB); a start on the other side of the diagonal ends at the mirror image, with the labels switched.";
    return text;
  }

  // ---------------------------------------------------------------- drawing
  function render() {
    startHandle.set(start);
    const px = path.map((p) => panel.sx(p[0]));
    const py = path.map((p) => panel.sy(p[1]));
    pathLine.setAttribute("d", px.map((x, i) => `${i ? "L" : "M"}${x.toFixed(1)},${py[i].toFixed(1)}`).join(""));
    pathDots.setAttribute("d", px.map((x, i) => ui.markerPath("circle", x, py[i], 2.6)).join(""));
    const [a, b] = thetaOf(params);
    nowMark.setAttribute("d", iteration > 0 ? ui.markerPath("star", panel.sx(a), panel.sy(b), 8) : "");
    mapTitle.textContent = `iteration ${iteration}: θA = ${f3(a)}, θB = ${f3(b)}`;
    mapNote.textContent = `log p(X) = ${ui.fmt(logLik, 4)}${onDiagonal() ? " (on the diagonal)" : ""}`;
    bars.set(resp ? resp.flatMap((r) => [r[0], r[1]]) : new Array(2 * heads.length).fill(0));
    buttons.m.disabled = resp === null;
  }

  drawMap();
  makeBars();
  reset();
  render();
  shell.live.say(describe());

  return {
    // A deep copy: what a caller does with it cannot change the lab.
    state: () => structuredClone({
      lab: "two_coins",
      heads,
      n_tosses: nTosses,
      X,
      params,
      theta: thetaOf(params),
      start,
      pseudocount,
      iteration,
      phase,
      log_likelihood: logLik,
      log_likelihood_history: history,
      path,
      responsibilities: resp,
      converged,
      running: loop.running(),
    }),
  };
}
