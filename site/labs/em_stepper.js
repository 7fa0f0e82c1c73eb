/**
 * Lab 4, the E/M stepper (chapter 2), and its M-step view (chapter 4, `focus: "m_step"`).
 *
 * E-step: recompute the responsibilities γ_ik (the colours) from the current ellipses.
 * M-step: refit π_k, μ_k, Σ_k (the ellipses) to the current colours. The log-likelihood
 * log p(X) is plotted against the iteration. The M-step view also shows the ellipses before
 * the last M-step (dashed, with arrows to the new means), the points weighted by γ_ik of
 * one component, and a table of N_k, π_k, μ_k and Σ_k before and after.
 *
 * config (from emlib.labs._em_stepper.web_config): X, start (params), reg_covar, dataset,
 * feature_names, focus ("em" or "m_step"), xlim, ylim.
 * @module em_stepper
 */

import { CovarianceError, eStep, fullCovariances, logLikelihood, mStep } from "./emmath.js";
import * as ui from "./ui.js";

const PHASE = { init: "start (no E-step yet)", E: "after the E-step", M: "after the M-step" };
const SUB = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n) => String(n).replace(/\d/g, (c) => SUB[Number(c)]);

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { X, start } = config;
  const regCovar = config.reg_covar;
  const focus = config.focus === "m_step" ? "m_step" : "em";
  const K = start.weights.length;
  const N = X.length;
  const names = config.feature_names || ["x1", "x2"];
  const shell = ui.labShell(root, {
    title: focus === "m_step" ? "E/M stepper: what the M-step recomputes" : "E/M stepper",
    description: focus === "m_step"
      ? "E-step recolours the points; M-step refits every ellipse to the points weighted by their " +
        "γᵢₖ (dashed: the ellipses before the M-step, arrows: how the means moved). Pick a component " +
        "to see its weights; the table shows Nₖ, πₖ, μₖ and Σₖ before and after."
      : "Press E-step to recolour the points by their responsibilities, M-step to refit the " +
        "ellipses to the colours; E + M does both, Reset goes back to the start.",
  });

  const svg = ui.createSvg(shell.figures, { width: 400, height: 320, label: "The data coloured by responsibilities, with the mixture's ellipses" });
  const panel = ui.createPanel(svg, { width: 400, height: 320, xlim: config.xlim, ylim: config.ylim, equal: true, xlabel: names[0], ylabel: names[1], margin: { top: 22 } });
  const points = ui.pointsLayer(panel, X, { r: 2.6 });
  const mixture = ui.mixtureLayer(panel, K);
  const title = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 8, class: "emlib-caption" }, panel.g);

  const llSvg = ui.createSvg(shell.figures, { width: 300, height: 250, label: "The log-likelihood against the iteration" });
  const ll = ui.createPanel(llSvg, { width: 300, height: 250, xlim: [0, 5], ylim: [-1, 0], xlabel: "iteration", margin: { left: 52, top: 22 } });
  const llLine = ui.svgEl("path", { fill: "none", stroke: "#000", "stroke-width": 1.4, "aria-hidden": "true" }, ll.plot);
  const llDots = ui.svgEl("path", { fill: "#000", "aria-hidden": "true" }, ll.plot);
  const llNow = ui.svgEl("path", { fill: ui.COLORS[5], stroke: "#000", "aria-hidden": "true" }, ll.plot);
  const llText = ui.svgEl("text", { x: 4, y: ll.box.y - 8, class: "emlib-caption" }, ll.g);

  // The run (like emlib.labs.EMRun): parameters, responsibilities, a log per iteration.
  let params;
  let resp;
  let iteration;
  let phase;
  let logLik;
  let history;
  let previous = null;
  let shown = "all";

  let weightSelect = null;
  let table = null;
  if (focus === "m_step") {
    weightSelect = ui.select(shell.controls, {
      label: "Points show",
      options: [{ value: "all", text: "all components (blended colours)" },
        ...Array.from({ length: K }, (_, k) => ({ value: String(k), text: `weights γᵢ${sub(k + 1)} of component ${k + 1}` }))],
      value: "all",
      onChange: (v) => {
        shown = v;
        colourPoints();
        shell.live.say(v === "all" ? "Points coloured by the blend of their responsibilities."
          : `Points of component ${Number(v) + 1}'s colour, as opaque as their weight γᵢ${sub(Number(v) + 1)} in its M-step.`);
      },
    });
    const wrap = ui.el("div", { class: "emlib-live-table-wrap" }, shell.container);
    table = ui.el("table", { class: "emlib-live-table" }, wrap);
    ui.el("caption", { text: "What the M-step computes from the responsibilities: Nₖ = Σᵢ γᵢₖ, πₖ = Nₖ / N, μₖ = Σᵢ γᵢₖ xᵢ / Nₖ, Σₖ = Σᵢ γᵢₖ (xᵢ − μₖ)(xᵢ − μₖ)ᵀ / Nₖ + reg_covar·I" }, table);
    shell.container.insertBefore(wrap, shell.live.node);
  }

  const buttons = {
    e: ui.button(shell.controls, "E-step", () => act("E"), { title: "Recompute the responsibilities γᵢₖ (colours)" }),
    m: ui.button(shell.controls, "M-step", () => act("M"), { title: "Re-estimate πₖ, μₖ, Σₖ (ellipses)" }),
    em: ui.button(shell.controls, "E + M", () => act("EM"), { title: "One full iteration" }),
    reset: ui.button(shell.controls, "Reset", () => act("reset"), { title: "Back to the starting parameters" }),
  };

  function reset() {
    params = start;
    resp = null;
    iteration = 0;
    phase = "init";
    logLik = logLikelihood(X, params);
    history = [logLik];
    previous = null;
  }

  function eStepNow() {
    const out = eStep(X, params);
    resp = out.resp;
    logLik = out.logLikelihood;
    phase = "E";
  }

  function mStepNow() {
    const next = mStep(X, resp, params.covariance_type, regCovar);
    previous = params;
    params = next;
    iteration += 1;
    phase = "M";
    logLik = logLikelihood(X, params);
    history.push(logLik);
  }

  function act(what) {
    try {
      if (what === "reset") reset();
      if (what === "E" || what === "EM") eStepNow();
      if (what === "M" || what === "EM") mStepNow();
    } catch (err) {
      if (err instanceof CovarianceError) {
        render();
        shell.live.say(`The M-step failed: component ${err.component + 1}'s covariance is not positive definite (it collapsed). Press Reset.`);
        return;
      }
      throw err;
    }
    render();
    const what2 = { E: " Points recoloured.", M: " Ellipses moved.", EM: " One full iteration.", reset: " Back to the start." }[what];
    shell.live.say(describe() + what2);
  }

  function describe() {
    return `Iteration ${iteration}, ${PHASE[phase]}: log p(X) = ${ui.fmt(logLik)} (N = ${N}, K = ${K}).`;
  }

  function colourPoints() {
    if (!resp) {
      points.setColors(ui.NEUTRAL);
      points.setOpacity(0.85);
    } else if (shown === "all") {
      points.setColors(resp.map((r) => ui.blendColor(r)));
      points.setOpacity(0.85);
    } else {
      const k = Number(shown);
      points.setColors(ui.COLORS[k]);
      points.setOpacity(resp.map((r) => Math.max(0.03, r[k])));
    }
  }

  function render() {
    colourPoints();
    mixture.update(params);
    mixture.ghost(focus === "m_step" && phase !== "init" ? previous : null);
    title.textContent = `iteration ${iteration}, ${PHASE[phase]}`;
    buttons.m.disabled = resp === null;
    // The log-likelihood curve (one point per iteration).
    const its = history.map((_, i) => i);
    const lo = Math.min(...history);
    const hi = Math.max(...history);
    const pad = Math.max(1e-6, 0.08 * (hi - lo || Math.abs(hi) * 0.01 || 1));
    ll.setLimits([-0.4, Math.max(5, iteration + 1)], [lo - pad, hi + pad]);
    llLine.setAttribute("d", ui.linePath(ll, its, history));
    llDots.setAttribute("d", its.map((i) => ui.markerPath("circle", ll.sx(i), ll.sy(history[i]), 2.4)).join(""));
    llNow.setAttribute("d", ui.markerPath("circle", ll.sx(iteration), ll.sy(logLik), 5));
    llText.textContent = `log p(X) = ${ui.fmt(logLik)}`;
    if (table) renderTable();
  }

  function renderTable() {
    const nk = resp ? Array.from({ length: K }, (_, k) => resp.reduce((s, r) => s + r[k], 0)) : null;
    const covs = fullCovariances(params);
    const before = previous && phase !== "init" ? previous : null;
    const covsBefore = before ? fullCovariances(before) : null;
    const vec = (v) => `(${v.map((x) => ui.fmt(x)).join(", ")})`;
    const mat = (c) => `[${ui.fmt(c[0][0])} ${ui.fmt(c[0][1])}; ${ui.fmt(c[1][0])} ${ui.fmt(c[1][1])}]`;
    const arrow = (a, b) => (a === null || a === b ? b : `${a} → ${b}`);
    const rows = [["k", "Nₖ = Σᵢ γᵢₖ", "πₖ", "μₖ", "Σₖ"]];
    for (let k = 0; k < K; k++) {
      rows.push([
        String(k + 1),
        nk ? ui.fmt(nk[k], 1) : "—",
        arrow(before ? ui.fmt(before.weights[k], 3) : null, ui.fmt(params.weights[k], 3)),
        arrow(before ? vec(before.means[k]) : null, vec(params.means[k])),
        arrow(covsBefore ? mat(covsBefore[k]) : null, mat(covs[k])),
      ]);
    }
    [...table.querySelectorAll("tr")].forEach((tr) => tr.remove());
    rows.forEach((r, i) => {
      const tr = ui.el("tr", {}, table);
      r.forEach((cell, j) => {
        const td = ui.el(i === 0 || j === 0 ? "th" : "td", { text: cell, scope: i === 0 ? "col" : j === 0 ? "row" : undefined }, tr);
        if (i > 0 && j === 0) td.style.color = "#000";
      });
    });
  }

  reset();
  render();
  shell.live.say(describe());

  return {
    // A deep copy: what a caller does with it cannot change the lab.
    state: () => structuredClone({
      lab: "em_stepper",
      focus,
      X,
      reg_covar: regCovar,
      params,
      iteration,
      phase,
      log_likelihood: logLik,
      log_likelihood_history: [...history],
      resp,
      previous_params: previous,
      shown,
    }),
  };
}
