// SPDX-License-Identifier: MIT
/**
 * Lab 5, the EM lab (chapter 5): choose the data set, K, the covariance type and the
 * starting means (from a seed, random data points or k-means++, or dragged onto the plot);
 * Step, Run (animated, until EM's stopping rule or max_iter), Pause, Reset and Restart (the
 * next seed), with the log-likelihood curve beside the fit. The previous run's curve stays
 * on the chart, dashed, to compare starts and covariance types. Presets set up chapter 5's
 * experiments (a start that stalls and then escapes, a genuine local maximum, spherical
 * versus full).
 *
 * config (from emlib.labs._em_lab.web_config): datasets [{name, label, X, feature_names}],
 * starts[dataset][init][K][seed] (rows of X), dataset, n_components, covariance_type,
 * covariance_types, init, inits, seed, manual_means, reg_covar, max_iter, tol, tols,
 * experiments.
 *
 * state(): lab, dataset, X, reg_covar, n_components, covariance_type, init, seed, tol,
 * max_iter, start_means, start (params at iteration 0), params, iteration, log_likelihood,
 * history (log p(X) per iteration), converged, running, previous_history, error.
 * @module em_lab
 */

import { CovarianceError, initialParams } from "./emmath.js";
import * as ui from "./ui.js";
import { EMRun, dataFigure, fitSelect, fmtSci, lineChart, note, rows, sub } from "./em_common.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const byName = Object.fromEntries(config.datasets.map((d) => [d.name, d]));
  const nSeeds = config.starts[config.datasets[0].name].random["1"].length;
  const shell = ui.labShell(root, {
    title: "EM lab",
    description:
      "Drag the white starting means (or focus one and use the arrow keys) to start EM from " +
      "there. Step does one iteration (E-step, then M-step); Run iterates until the change of " +
      "log p(X)/N is below tol; Restart draws the next seed's start. The dashed curve is the " +
      "previous run.",
  });

  let ds = byName[config.dataset] || config.datasets[0];
  let K = config.n_components;
  let covType = config.covariance_type;
  let init = config.init;
  let seed = config.seed;
  let tol = config.tol;
  let startMeans = config.manual_means ? config.manual_means.map((m) => m.slice()) : null;
  let previous = null; // {history, text}
  let run = null;
  let budget = 0;
  let failure = "";

  const fig = dataFigure(shell.figures, { label: "The data coloured by responsibilities, the ellipses, and the starting means" });
  const chart = lineChart(shell.figures, {
    label: "log p(X) against the iteration, for this run and the previous one",
    xlabel: "iteration",
    series: [{ color: "#000", dots: true }, { color: "#8C8C8C", dash: "6 4" }],
  });
  const legend = ui.svgEl("text", { x: chart.panel.box.x + 4, y: chart.panel.box.y + chart.panel.box.height - 6, class: "emlib-tick-label" }, chart.panel.g);
  let handles = [];

  const drawnMeans = () => {
    const which = init === "manual" ? "random" : init;
    return rows(ds.X, config.starts[ds.name][which][String(K)][seed]);
  };

  function buildFigure() {
    fig.rebuild(ds.X, K, ds.feature_names);
    handles = [];
    for (let k = 0; k < K; k++) {
      const h = ui.handle(fig.panel, {
        name: `mean-${k}`,
        label: `Starting mean μ${sub(k + 1)} of component ${k + 1}: drag it, or use the arrow keys`,
        value: startMeans[k],
        shape: ui.MARKERS[k],
        color: "#ffffff",
        radius: 8,
        onMove: (p) => placeMean(k, p),
        onEnd: (p) => announceMean(k, p),
      });
      handles.push(h);
    }
  }

  /** Start again from `startMeans` (keeps the previous run's curve for comparison). */
  function restart(keepCurve = true) {
    stopRun();
    if (keepCurve && run && run.iteration > 0) {
      previous = { history: run.history.slice(), text: describeRun() };
    }
    const start = initialParams(ds.X, startMeans, covType);
    run = new EMRun(ds.X, start, { regCovar: config.reg_covar, tol });
    failure = "";
  }

  function chooseStart() {
    if (init !== "manual" || !startMeans || startMeans.length !== K) {
      if (init === "manual") init = "random";
      startMeans = drawnMeans();
    }
  }

  function describeRun() {
    const what = init === "manual" ? "means placed by hand" : `${config.inits[init]}, seed ${seed}`;
    return `${ds.label}, K = ${K}, ${covType}, ${what}: log p(X) = ${ui.fmt(run.logLikelihood)} after ${run.iteration} iterations`;
  }

  function draw() {
    const conv = run.converged ? " (converged)" : "";
    fig.show(run.params, run.resp, `iteration ${run.iteration}${conv}: log p(X) = ${ui.fmt(run.logLikelihood)}`);
    startMeans.forEach((m, k) => handles[k]?.set(m));
    chart.set(0, run.history.map((_, i) => i), run.history);
    chart.set(1, previous ? previous.history.map((_, i) => i) : [], previous ? previous.history : []);
    chart.draw();
    chart.caption.textContent = `log p(X) = ${ui.fmt(run.logLikelihood)}${conv}`;
    legend.textContent = previous ? "dashed: the previous run" : "";
    prevNote.textContent = previous ? `Previous run: ${previous.text}.` : "";
    runBtn.disabled = loop.running();
    pauseBtn.disabled = !loop.running();
  }

  function say(text) {
    shell.live.say(text);
  }

  function announceStep() {
    const change = run.lastChange();
    let text = `Iteration ${run.iteration}: log p(X) = ${ui.fmt(run.logLikelihood)}`;
    if (Number.isFinite(change)) text += ` (${change >= 0 ? "up" : "down"} ${ui.fmt(Math.abs(change), 3)})`;
    if (run.converged) {
      text += `. Converged: the last change of log p(X)/N was below tol = ${fmtSci(tol)}.`;
    }
    say(text + (failure ? ` ${failure}` : ""));
  }

  function step() {
    try {
      run.step();
      return true;
    } catch (err) {
      if (!(err instanceof CovarianceError)) throw err;
      failure = `EM stopped: component ${(err.component ?? 0) + 1} collapsed (its covariance is singular). Press Reset or choose another start.`;
      return false;
    }
  }

  // ------------------------------------------------------------------------- controls
  const row1 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const dataSel = fitSelect(ui.select(row1, {
    label: "data", value: ds.name,
    options: config.datasets.map((d) => ({ value: d.name, text: d.label })),
    onChange: (v) => {
      ds = byName[v];
      if (init === "manual") init = "random";
      startMeans = null;
      previous = null;
      chooseStart();
      buildFigure();
      restart(false);
      sync();
      say(`Data: ${ds.label}. ${startText()}`);
    },
  }));
  const kSlider = ui.slider(row1, {
    label: "K", min: 1, max: 8, step: 1, value: K, format: (v) => String(v),
    onInput: (v) => {
      K = v;
      if (init === "manual") init = "random";
      startMeans = null;
      chooseStart();
      buildFigure();
      restart();
      sync();
      say(`K = ${K}. ${startText()}`);
    },
  });
  const covSel = ui.select(row1, {
    label: "covariance", value: covType, options: config.covariance_types,
    onChange: (v) => {
      covType = v;
      restart();
      sync();
      say(`Covariance type ${covType}, same starting means; iteration 0, log p(X) = ${ui.fmt(run.logLikelihood)}.`);
    },
  });
  const row2 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const initSel = fitSelect(ui.select(row2, {
    label: "start", value: init,
    options: Object.entries(config.inits).map(([value, text]) => ({ value, text })),
    onChange: (v) => {
      init = v;
      if (init !== "manual") startMeans = drawnMeans();
      restart();
      sync();
      say(startText());
    },
  }));
  const seedSlider = ui.slider(row2, {
    label: "seed", min: 0, max: nSeeds - 1, step: 1, value: seed, format: (v) => String(v),
    onInput: (v) => {
      seed = v;
      if (init === "manual") init = "random";
      startMeans = drawnMeans();
      restart();
      sync();
      say(startText());
    },
  });
  const tolSel = ui.select(row2, {
    label: "tol", value: String(tol),
    options: config.tols.map((t) => ({ value: String(t), text: fmtSci(t) })),
    onChange: (v) => {
      tol = Number(v);
      run.tol = tol;
      run.updateConverged();
      draw();
      say(`tol = ${fmtSci(tol)}: ${run.converged ? "the run counts as converged" : "Run continues until the change of log p(X)/N is below it"}.`);
    },
  });
  const row3 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const stepBtn = ui.button(row3, "Step", () => {
    stopRun();
    step();
    draw();
    announceStep();
  }, { title: "One EM iteration: E-step, then M-step" });
  const runBtn = ui.button(row3, "Run", () => startRun(), { title: "Iterate until converged (tol) or max_iter more iterations" });
  const pauseBtn = ui.button(row3, "Pause", () => {
    stopRun();
    say(`Paused at iteration ${run.iteration}: log p(X) = ${ui.fmt(run.logLikelihood)}.`);
  });
  ui.button(row3, "Reset", () => {
    stopRun();
    run.reset();
    failure = "";
    draw();
    say(`Back to the starting means: iteration 0, log p(X) = ${ui.fmt(run.logLikelihood)}.`);
  }, { title: "Back to the starting means" });
  ui.button(row3, "Restart", () => {
    seed = (seed + 1) % nSeeds;
    if (init === "manual") init = "random";
    startMeans = drawnMeans();
    restart();
    sync(true);
    say(`New start. ${startText()}`);
  }, { title: "A new start: the next seed" });
  const row4 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const expSel = fitSelect(ui.select(row4, {
    label: "experiment", value: "",
    options: [{ value: "", text: "(choose one of chapter 5's experiments)" },
      ...config.experiments.map((e, i) => ({ value: String(i), text: e.label }))],
    onChange: (v) => {
      if (v === "") return;
      const e = config.experiments[Number(v)];
      ds = byName[e.dataset];
      K = e.n_components;
      covType = e.covariance_type;
      init = e.init;
      seed = e.seed;
      tol = e.tol;
      startMeans = drawnMeans();
      previous = null;
      buildFigure();
      restart(false);
      sync(true);
      expNote.textContent = e.note;
      say(`Experiment: ${e.label}. ${e.note}`);
    },
  }));
  const expNote = note(shell.controls);
  const prevNote = note(shell.controls);

  const loop = ui.runLoop(() => {
    if (budget <= 0 || run.converged) return false;
    const ok = step();
    budget -= 1;
    draw();
    if (!ok || run.converged || budget <= 0) {
      announceStep();
      if (!ok) return false;
      if (!run.converged) say(`Stopped after max_iter = ${config.max_iter} iterations without converging: log p(X) = ${ui.fmt(run.logLikelihood)}. Press Run to continue.`);
      return false;
    }
    return true;
  }, {
    interval: 1000 / 40,
    onStop: () => draw(),
  });

  function startRun() {
    if (loop.running()) return;
    run.updateConverged();
    if (run.converged) {
      say(`Already converged at tol = ${fmtSci(tol)}: log p(X) = ${ui.fmt(run.logLikelihood)}. Choose a smaller tol to go on, or press Step.`);
      return;
    }
    budget = config.max_iter;
    say(`Running EM from iteration ${run.iteration}…`);
    loop.start();
    draw();
  }

  function stopRun() {
    if (loop.running()) loop.stop();
  }

  function announceMean(k, p) {
    say(`Starting mean μ${sub(k + 1)} at (${ui.fmt(p[0])}, ${ui.fmt(p[1])}); EM starts again from iteration 0, log p(X) = ${ui.fmt(run.logLikelihood)}.`);
  }

  function placeMean(k, p) {
    stopRun();
    if (init !== "manual") {
      init = "manual";
    }
    startMeans = startMeans.map((m, j) => (j === k ? [p[0], p[1]] : m.slice()));
    const start = initialParams(ds.X, startMeans, covType);
    if (run.iteration > 0) previous = { history: run.history.slice(), text: describeRun() };
    run = new EMRun(ds.X, start, { regCovar: config.reg_covar, tol });
    failure = "";
    // A drag moves only the start: touch only the controls that change (sync() rewrites
    // every control, which costs a style pass per pointer event).
    if (initSel.get() !== init) initSel.set(init);
    if (expSel.get() !== "") {
      expSel.set("");
      expNote.textContent = "";
    }
    draw();
  }

  function startText() {
    const what = init === "manual" ? "the means placed by hand" : `${config.inits[init]}, seed ${seed}`;
    return `Start: ${what}; iteration 0, log p(X) = ${ui.fmt(run.logLikelihood)}.`;
  }

  function sync(keepExperiment = false) {
    dataSel.set(ds.name);
    kSlider.set(K);
    covSel.set(covType);
    initSel.set(init);
    seedSlider.set(seed);
    tolSel.set(String(tol));
    if (!keepExperiment) {
      expSel.set("");
      expNote.textContent = "";
    }
    draw();
  }

  chooseStart();
  buildFigure();
  restart(false);
  sync();
  say(`${ds.label}, K = ${K}, ${covType} covariances. ${startText()}`);

  return {
    state: () => ({
      lab: "em_lab",
      dataset: ds.name,
      X: ds.X,
      reg_covar: config.reg_covar,
      n_components: K,
      covariance_type: covType,
      init,
      seed,
      tol,
      max_iter: config.max_iter,
      start_means: startMeans.map((m) => m.slice()),
      start: run.start,
      params: run.params,
      iteration: run.iteration,
      log_likelihood: run.logLikelihood,
      history: run.history.slice(),
      converged: run.converged,
      running: loop.running(),
      previous_history: previous ? previous.history.slice() : null,
      error: failure || null,
    }),
  };
}
