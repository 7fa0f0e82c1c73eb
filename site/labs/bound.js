// SPDX-License-Identifier: MIT
/**
 * Lab "bound" (chapter 7): the picture that makes the proof click, live. log p(X | θ) along
 * a one-dimensional slice of θ (only the mean μ₁ of component 1 moves) and the bound
 * L(q, θ) of the current q. The E-step makes q the posterior at θ_t, so the bound touches
 * log p(X) there (KL gap 0); the M-step moves μ₁ to the top of the bound with q fixed
 * (emlib's M-step, of which only μ₁ is kept). Dragging θ_t starts elsewhere and leaves q
 * stale until the next E-step, so the gap shows.
 *
 * config (from emlib.labs._bound.web_config): X (N x 1), theta (params at the start;
 * component `component`'s mean moves), component, start, mu_range, n_grid, reg_covar.
 *
 * state(): lab, X, reg_covar, params (θ_t), mu, resp (q), q_mu (where q was computed),
 * iteration, phase ("start" | "E" | "M" | "moved"), log_likelihood (log p(X | θ_t)),
 * elbo (L(q, θ_t)), gap (log_likelihood − elbo), bound_top (the μ₁ an M-step goes to).
 * @module bound
 */

import { elbo, eStep, logLikelihood, mStep } from "./emmath.js";
import * as ui from "./ui.js";
import { numberTable, sub } from "./em_common.js";

const PHASE = { start: "start", E: "E-step", M: "M-step", moved: "moved by hand" };
const BLUE = ui.COLORS[0];
const RED = "#D55E00"; // Okabe-Ito vermillion

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { X, component: k } = config;
  const [lo, hi] = config.mu_range;
  const mu1 = `μ${sub(k + 1)}`;
  /** θ on the slice at μ₁ = mu. @param {number} mu */
  const thetaAt = (mu) => ({
    ...config.theta,
    means: config.theta.means.map((m, j) => (j === k ? [mu] : [...m])),
  });
  const n = config.n_grid;
  const grid = Array.from({ length: n }, (_, i) => (i === n - 1 ? hi : lo + ((hi - lo) * i) / (n - 1)));
  const ell = grid.map((m) => logLikelihood(X, thetaAt(m)));

  const shell = ui.labShell(root, {
    title: "The bound that makes the proof click: E-step touches, M-step climbs",
    description:
      `Black: log p(X | θ) as ${mu1} moves. Dashed blue: the bound L(q, θ) of the current q. ` +
      `E-step: q becomes the posterior at θ_t and the bound touches. M-step: ${mu1} jumps to the ` +
      "top of the bound (triangle). Drag θ_t (the dot; or focus it and use the arrow keys) to " +
      "start elsewhere: q stays stale, and the gap (red) shows, until the next E-step.",
  });
  // 400 units wide, like the other labs: the handle's 56-unit hit circle stays >= 44 CSS px
  // on a 390-px phone.
  const W = 400;
  const H = 290;
  const svg = ui.createSvg(shell.figures, { width: W, height: H, label: `log p(X | θ) and the bound L(q, θ) against ${mu1}`, maxWidth: 620 });
  const lows = Math.min(...ell);
  const highs = Math.max(...ell);
  const span = highs - lows;
  const pad = 0.04 * (hi - lo);
  const ylim = [lows - 0.15 * span, highs + 0.12 * span];
  const panel = ui.createPanel(svg, {
    width: W, height: H, xlim: [lo - pad, hi + pad], ylim,
    xlabel: `${mu1} (min), mean of the short eruptions`,
    margin: { left: 46, top: 26 },
  });
  const title = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 9, class: "emlib-caption" }, panel.g);
  const path = (attrs) => ui.svgEl("path", { fill: "none", "aria-hidden": "true", ...attrs }, panel.plot);
  path({ d: ui.linePath(panel, grid, ell), stroke: "#000", "stroke-width": 2.2 });
  const boundLine = path({ stroke: BLUE, "stroke-width": 1.8, "stroke-dasharray": "7 5" });
  const jumpLine = path({ stroke: RED, "stroke-width": 1.6, "stroke-dasharray": "2 4" });
  const gapLine = path({ stroke: RED, "stroke-width": 3 });
  const topMark = path({ stroke: BLUE, "stroke-width": 1.6, fill: "#fff" });
  const lowMark = path({ stroke: BLUE, "stroke-width": 1.6, fill: "#fff" });

  const legend = ui.svgEl("g", { class: "emlib-legend", "aria-hidden": "true" }, panel.g);
  const entries = [
    [{ stroke: "#000", "stroke-width": 2.2 }, "log p(X | θ), nats"],
    [{ stroke: BLUE, "stroke-width": 1.8, "stroke-dasharray": "7 5" }, "bound L(q, θ)"],
    [{ stroke: RED, "stroke-width": 3 }, "KL gap at θ_t"],
    [{ stroke: RED, "stroke-width": 1.6, "stroke-dasharray": "2 4" }, "last M-step"],
  ];
  const lx = panel.box.x + panel.box.width / 2 - 136;
  const ly = panel.box.y + panel.box.height - 34;
  ui.svgEl("rect", { x: lx - 4, y: ly - 12, width: 276, height: 36, fill: "#fff", "fill-opacity": 0.85 }, legend);
  entries.forEach(([style, text], i) => {
    const x = lx + (i % 2) * 136;
    const y = ly + Math.floor(i / 2) * 16;
    ui.svgEl("path", { d: `M${x},${y - 4}h22`, fill: "none", ...style }, legend);
    ui.svgEl("text", { x: x + 27, y, text }, legend);
  });

  let mu;
  let q;
  let qMu;
  let bound;
  let boundTop;
  let iteration;
  let phase;
  let previous;

  const point = ui.handle(panel, {
    name: "theta",
    label: "",
    value: [config.start, ell[0]],
    color: BLUE,
    radius: 8,
    step: [(hi - lo) / 150, 0],
    bounds: { xlim: [lo, hi], ylim },
    onMove: (p) => {
      move(p[0]);
      draw();
    },
    onEnd: () => announce(),
  });

  const { table, tbody } = numberTable(shell.controls, { caption: "θ_t and the bound there", columns: ["", "value"] });
  const cells = ["iteration", mu1, "log p(X | θ_t)", "L(q, θ_t)", "KL gap = log p − L"].map((name) => {
    const tr = ui.el("tr", {}, tbody);
    ui.el("th", { scope: "row", text: name, style: "text-align: left" }, tr);
    return ui.el("td", {}, tr);
  });

  function eHalf() {
    q = eStep(X, thetaAt(mu)).resp;
    qMu = mu;
    bound = grid.map((m) => elbo(X, q, thetaAt(m)));
    boundTop = mStep(X, q, config.theta.covariance_type, config.reg_covar).means[k][0];
    previous = null;
    phase = "E";
  }

  function mHalf() {
    if (!(boundTop >= lo && boundTop <= hi)) {
      throw new Error(`the M-step would move ${mu1} to ${boundTop}, outside [${lo}, ${hi}]`);
    }
    previous = mu;
    mu = boundTop;
    iteration += 1;
    phase = "M";
  }

  function move(m) {
    mu = ui.clamp(m, lo, hi);
    iteration = 0;
    previous = null;
    phase = "moved";
  }

  function reset() {
    mu = config.start;
    iteration = 0;
    eHalf();
    phase = "start";
  }

  function numbers() {
    const ll = logLikelihood(X, thetaAt(mu));
    const low = elbo(X, q, thetaAt(mu));
    return { ll, low, gap: ll - low };
  }

  const visible = (y) => y >= ylim[0];
  function draw() {
    const { ll, low, gap } = numbers();
    const keep = bound.map(visible);
    boundLine.setAttribute("d", ui.linePath(panel, grid.filter((_, i) => keep[i]), bound.filter((_, i) => keep[i])));
    const topValue = elbo(X, q, thetaAt(boundTop));
    topMark.setAttribute("d", visible(topValue) ? ui.markerPath("triangle", panel.sx(boundTop), panel.sy(topValue), 7) : "");
    lowMark.setAttribute("d", visible(low) ? ui.markerPath("square", panel.sx(mu), panel.sy(low), 5) : "");
    const x = panel.sx(mu);
    const yLow = panel.sy(Math.max(low, ylim[0]));
    gapLine.setAttribute("d", `M${x.toFixed(1)},${panel.sy(ll).toFixed(1)}V${yLow.toFixed(1)}`);
    if (previous === null) {
      jumpLine.setAttribute("d", "");
    } else {
      const before = logLikelihood(X, thetaAt(previous));
      jumpLine.setAttribute("d", `M${panel.sx(previous).toFixed(1)},${panel.sy(before).toFixed(1)}L${x.toFixed(1)},${yLow.toFixed(1)}`);
    }
    point.set([mu, ll]);
    point.setLabel(`θ_t: ${mu1} = ${ui.fmt(mu, 3)}. Drag it along the curve, or use the arrow keys.`);
    title.textContent = `iteration ${iteration} (${PHASE[phase]}) · q from ${mu1} = ${ui.fmt(qMu, 3)}`;
    const values = [String(iteration), ui.fmt(mu, 4), ui.fmt(ll, 4), ui.fmt(low, 4), ui.fmt(gap, 6)];
    values.forEach((v, i) => { cells[i].textContent = v; });
  }

  function announce() {
    const { ll, low, gap } = numbers();
    let text = `Iteration ${iteration} (${PHASE[phase]}): ${mu1} = ${ui.fmt(mu, 4)}, log p(X) = ${ui.fmt(ll, 4)}, ` +
      `L(q, θ_t) = ${ui.fmt(low, 4)}, KL gap = ${ui.fmt(gap, 6)}.`;
    if (phase === "E" || phase === "start") text += " The bound touches log p(X) at θ_t.";
    else if (phase === "M") text += " The M-step jumped to the top of the bound; log p(X) lies above it.";
    else text += ` q is still the posterior at ${mu1} = ${ui.fmt(qMu, 4)}: press E-step.`;
    shell.live.say(text);
  }

  const row = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  shell.controls.insertBefore(row, table);
  const act = (f) => () => { f(); draw(); announce(); };
  ui.button(row, "E-step", act(eHalf), { title: "q = the posterior at θ_t: the bound touches" });
  ui.button(row, "M-step", act(mHalf), { title: `${mu1} = the top of the bound, q fixed` });
  ui.button(row, "Step", act(() => { eHalf(); mHalf(); }), { title: "E-step, then M-step" });
  ui.button(row, "Reset", act(reset), { title: "Back to the start" });

  reset();
  draw();
  announce();

  return {
    state: () => {
      const { ll, low, gap } = numbers();
      return {
        lab: "bound",
        X,
        reg_covar: config.reg_covar,
        params: thetaAt(mu),
        mu,
        resp: q,
        q_mu: qMu,
        iteration,
        phase,
        log_likelihood: ll,
        elbo: low,
        gap,
        bound_top: boundTop,
      };
    },
  };
}
