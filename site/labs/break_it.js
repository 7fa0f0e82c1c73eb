// SPDX-License-Identifier: MIT
/**
 * Lab 8, break it (chapter 8): a small data set, many components and reg_covar = 0. Step EM
 * (or run it until it breaks) and watch log p(X) run away while the smallest variance
 * plunges, until a component collapses onto a point: its covariance becomes singular and
 * emmath's M-step throws a CovarianceError. Raising reg_covar (a log-scaled slider with an
 * exact 0) continues from the last valid parameters with a floor under every variance: EM
 * recovers, and log p(X) drops, because the regularised fit gives up the infinite spike to
 * keep a sane covariance.
 *
 * config (from emlib.labs._break_it.web_config): X, feature_names, dataset_name,
 * n_components, reg_covar, reg_stops, covariance_type, seed, starts[K][seed], max_iter.
 *
 * state(): lab, X, reg_covar, n_components, seed, covariance_type, params (the last valid
 * ones after a collapse), start, iteration, log_likelihood, history, min_variance (per
 * iteration), reg_history [[iteration, reg_covar]], collapsed, collapsed_component,
 * message (why it collapsed, or why log p(X) dropped after reg_covar was raised), running.
 * @module break_it
 */

import { CovarianceError, fullCovariances, initialParams, symmetricEigen } from "./emmath.js";
import * as ui from "./ui.js";
import { EMRun, dataFigure, fmtSci, lineChart, rows } from "./em_common.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { X } = config;
  const stops = config.reg_stops;
  const nSeeds = config.starts["1"].length;
  const shell = ui.labShell(root, {
    title: "Break it: collapse and regularisation",
    description:
      "With reg_covar = 0, step EM or run it until it breaks: a component shrinks onto a single " +
      "point, its variance falls to 0 and log p(X) runs away to +∞. Then slide reg_covar up: " +
      "every variance gets a floor and EM continues.",
  });
  let K = config.n_components;
  let seed = config.seed;
  let reg = config.reg_covar;
  let run;
  let minVar;
  let regHistory;
  let collapse = null; // {component, iteration, message}
  let why = "";
  let lastRegChange = null; // {iteration, logLikelihood, from, to}

  const fig = dataFigure(shell.figures, { width: 340, height: 290, label: "The data with the fitted ellipses", pointRadius: 3.2 });
  const ring = () => ui.svgEl("circle", { r: 16, fill: "none", stroke: "#D55E00", "stroke-width": 3, "stroke-dasharray": "4 3", visibility: "hidden", "aria-hidden": "true" }, fig.panel.plot);
  let ringEl;
  const llChart = lineChart(shell.figures, { width: 280, height: 240, label: "log p(X) against the iteration", xlabel: "iteration", series: [{ color: "#000", dots: true }] });
  const varChart = lineChart(shell.figures, {
    width: 280, height: 240, label: "log10 of the smallest variance against the iteration; dashed: log10 reg_covar", xlabel: "iteration",
    series: [{ color: "#D55E00", dots: true }, { color: "#555", dash: "5 4" }],
  });
  varChart.caption.textContent = "log₁₀ smallest variance";
  ui.svgEl("text", { x: varChart.panel.box.x + 4, y: varChart.panel.box.y + varChart.panel.box.height - 6, class: "emlib-tick-label", text: "dashed: log₁₀ reg_covar" }, varChart.panel.g);
  const alarm = ui.el("p", { class: "emlib-live-help emlib-alarm", role: "note" }, shell.figures);

  function smallestVariance(params) {
    return Math.min(...fullCovariances(params).map((c) => symmetricEigen(c).values[0]));
  }

  function thinnest(params) {
    const v = fullCovariances(params).map((c) => symmetricEigen(c).values[0]);
    return v.indexOf(Math.min(...v));
  }

  function build() {
    fig.rebuild(X, K, config.feature_names);
    ringEl = ring();
  }

  function reset() {
    stopRun();
    const start = initialParams(X, rows(X, config.starts[String(K)][seed]), config.covariance_type);
    run = new EMRun(X, start, { regCovar: reg, tol: 0 });
    minVar = [smallestVariance(start)];
    regHistory = [[0, reg]];
    collapse = null;
    why = "";
    lastRegChange = null;
  }

  /** One EM iteration; a singular covariance sets `collapse` (parameters stay the last valid ones). */
  function step() {
    if (collapse) return false;
    try {
      run.step();
    } catch (err) {
      if (!(err instanceof CovarianceError)) throw err;
      const k = err.component ?? thinnest(run.params);
      collapse = {
        component: k,
        iteration: run.iteration + 1,
        message:
          `COLLAPSED at iteration ${run.iteration + 1}: component ${k + 1} shrank onto a single point ` +
          `(its smallest variance went from ${fmtSci(minVar[minVar.length - 1])} to 0), so its covariance is ` +
          "singular and its density at that point, and log p(X), are unbounded (→ +∞). EM cannot continue. " +
          "Raise reg_covar to bring it back, or press Reset.",
      };
      return false;
    }
    minVar.push(smallestVariance(run.params));
    if (lastRegChange && run.iteration === lastRegChange.iteration + 1) {
      const drop = lastRegChange.logLikelihood - run.logLikelihood;
      why = drop > 0
        ? `log p(X) dropped by ${ui.fmt(drop)} after reg_covar went from ${fmtSci(lastRegChange.from)} to ${fmtSci(lastRegChange.to)}: ` +
          `no variance may now fall below ${fmtSci(lastRegChange.to)}, so the component that sat on a single point can no ` +
          "longer put a spike of near-infinite density there. The regularised fit gives up likelihood to keep a sane covariance."
        : `log p(X) still rose after reg_covar went to ${fmtSci(lastRegChange.to)}: that floor is so small that a component ` +
          "can still sit on a point with a tiny variance. Raise reg_covar further (e.g. to 10⁻²).";
    }
    return true;
  }

  function draw() {
    const its = run.history.map((_, i) => i);
    llChart.set(0, its, run.history);
    llChart.draw();
    llChart.caption.textContent = collapse ? "log p(X) → +∞ (collapsed)" : `log p(X) = ${ui.fmt(run.logLikelihood)}`;
    varChart.set(0, its, minVar.map((v) => (v > 0 ? Math.log10(v) : NaN)));
    const xs = [];
    const ys = [];
    regHistory.forEach(([i0, r], j) => {
      const i1 = j + 1 < regHistory.length ? regHistory[j + 1][0] : Math.max(run.iteration, i0 + 1);
      xs.push(i0, i1);
      ys.push(r > 0 ? Math.log10(r) : NaN, r > 0 ? Math.log10(r) : NaN);
    });
    varChart.set(1, xs, ys);
    varChart.draw();
    fig.show(run.params, run.resp, `iteration ${run.iteration}, reg_covar = ${fmtSci(reg)}`);
    if (collapse) {
      const m = run.params.means[collapse.component];
      ringEl.setAttribute("cx", fig.panel.sx(m[0]));
      ringEl.setAttribute("cy", fig.panel.sy(m[1]));
      ringEl.setAttribute("visibility", "visible");
    } else {
      ringEl.setAttribute("visibility", "hidden");
    }
    alarm.textContent = collapse ? collapse.message : why;
    runBtn.disabled = loop.running();
    pauseBtn.disabled = !loop.running();
  }

  function announce() {
    if (collapse) {
      shell.live.say(collapse.message);
      return;
    }
    shell.live.say(
      `Iteration ${run.iteration}, K = ${K}, reg_covar = ${fmtSci(reg)}: log p(X) = ${ui.fmt(run.logLikelihood)}; ` +
      `smallest variance ${fmtSci(Number(minVar[minVar.length - 1].toPrecision(2)))} (component ${thinnest(run.params) + 1}).${why ? ` ${why}` : ""}`,
    );
  }

  const row1 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const kSlider = ui.slider(row1, {
    label: "K", min: 1, max: 8, step: 1, value: K, format: (v) => String(v),
    onInput: (v) => { K = v; build(); reset(); draw(); announce(); },
  });
  const nearest = (v) => stops.reduce((best, s, i) => (Math.abs(s - v) < Math.abs(stops[best] - v) ? i : best), 0);
  const regSlider = ui.slider(row1, {
    label: "reg_covar", min: 0, max: stops.length - 1, step: 1, value: nearest(reg), format: (i) => fmtSci(stops[i]), wide: true,
    onInput: (i) => setReg(stops[i]),
  });
  regSlider.input.setAttribute("aria-valuetext", fmtSci(reg));
  const seedSlider = ui.slider(row1, {
    label: "seed", min: 0, max: nSeeds - 1, step: 1, value: seed, format: (v) => String(v),
    onInput: (v) => { seed = v; reset(); draw(); announce(); },
  });
  const row2 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  ui.button(row2, "Step", () => { stopRun(); step(); draw(); announce(); }, { title: "One EM iteration" });
  const runBtn = ui.button(row2, "Run until it breaks", () => { budget = config.max_iter; loop.start(); draw(); }, { title: `Up to ${config.max_iter} iterations` });
  const pauseBtn = ui.button(row2, "Pause", () => { stopRun(); announce(); });
  ui.button(row2, "Reset", () => { reset(); draw(); announce(); }, { title: "Start again from the starting means with this K and reg_covar" });

  function setReg(value) {
    const from = reg;
    reg = value;
    run.regCovar = reg;
    regHistory.push([run.iteration, reg]);
    lastRegChange = { iteration: run.iteration, logLikelihood: run.logLikelihood, from, to: reg };
    const was = collapse;
    collapse = null;
    why = "";
    draw();
    shell.live.say(
      `reg_covar = ${fmtSci(reg)}${reg === 0 ? " (no floor under the variances)" : `: every variance now has a floor of ${fmtSci(reg)}`}. ` +
      (was ? "EM continues from the last valid parameters: press Step or Run." : "Press Step or Run to continue."),
    );
  }

  let budget = 0;
  const loop = ui.runLoop(() => {
    if (budget <= 0 || collapse) return false;
    const ok = step();
    budget -= 1;
    draw();
    if (!ok || budget <= 0) {
      announce();
      return false;
    }
    return true;
  }, { interval: 1000 / 40, onStop: () => draw() });

  function stopRun() {
    if (loop.running()) loop.stop();
  }

  void kSlider;
  void seedSlider;
  build();
  reset();
  draw();
  announce();

  return {
    state: () => ({
      lab: "break_it",
      X,
      reg_covar: reg,
      n_components: K,
      seed,
      covariance_type: config.covariance_type,
      params: run.params,
      start: run.start,
      iteration: run.iteration,
      log_likelihood: run.logLikelihood,
      history: run.history.slice(),
      min_variance: minVar.slice(),
      reg_history: regHistory.map((r) => r.slice()),
      collapsed: Boolean(collapse),
      collapsed_component: collapse ? collapse.component : null,
      message: collapse ? collapse.message : why || null,
      running: loop.running(),
    }),
  };
}
