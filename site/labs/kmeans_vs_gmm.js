// SPDX-License-Identifier: MIT
/**
 * Lab 6, k-means versus a GMM (chapter 6): the same data, the same start (k-means++ centres
 * drawn by emlib from the seed; the GMM starts with its means there, equal weights and every
 * covariance the spread of the data), stepped together. Left: k-means' hard clusters and
 * centres; right: the GMM's responsibilities and ellipses; behind each, the cluster (or most
 * probable component) every place of the plane would join. The status line says how many
 * points the two put in the same cluster.
 *
 * config (from emlib.labs._kmeans_vs_gmm.web_config): datasets [{name, label, X,
 * feature_names, z}], starts[dataset]["k-means++"][K][seed], dataset, n_components,
 * covariance_type, covariance_types, seed, reg_covar, tol, max_iter.
 *
 * state(): lab, dataset, X, reg_covar, n_components, covariance_type, seed, start_means,
 * start, params (the GMM), iteration, log_likelihood, history, converged, gmm_labels,
 * kmeans {centers, labels, iteration, converged}, agreement, running.
 * @module kmeans_vs_gmm
 */

import { CovarianceError, eStep, initialParams, kmeansAssign, kmeansInertia, kmeansUpdate } from "./emmath.js";
import * as ui from "./ui.js";
import { EMRun, dataFigure, fitSelect, rows } from "./em_common.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const byName = Object.fromEntries(config.datasets.map((d) => [d.name, d]));
  const nSeeds = config.starts[config.datasets[0].name]["k-means++"]["1"].length;
  const shell = ui.labShell(root, {
    title: "k-means versus Gaussian mixture",
    description:
      "Both start from the same centres (k-means++, from the seed). Step does one k-means " +
      "iteration (assign, update) and one EM iteration (E-step, M-step) side by side; Run " +
      "repeats until both have converged.",
  });
  let ds = byName[config.dataset] || config.datasets[0];
  let K = config.n_components;
  let covType = config.covariance_type;
  let seed = config.seed;
  let centres;
  let labels;
  let kmIter = 0;
  let kmDone = false;
  let run;
  let failure = "";

  const kmFig = dataFigure(shell.figures, { width: 360, height: 300, label: "k-means: hard clusters and centres" });
  const gmFig = dataFigure(shell.figures, { width: 360, height: 300, label: "Gaussian mixture: responsibilities and ellipses" });
  let kmMarks;
  let grid;
  const regions = { km: null, gm: null };
  const tint = (k) => ui.hexToRgb(ui.COLORS[k]).map((c) => 0.8 + 0.2 * c);

  /** A background image of the panel: the cluster (k-means) or most probable component
   * (GMM) each place of the plane would join; under the points. */
  function region(fig, key, labelsAt) {
    regions[key]?.remove();
    const img = ui.heatmap(fig.panel, grid, (i) => tint(labelsAt[i]));
    fig.panel.plot.insertBefore(img, fig.panel.plot.firstChild);
    regions[key] = img;
  }

  function build() {
    const lim = ui.dataLimits(ds.X, 0.08);
    gmFig.rebuild(ds.X, K, ds.feature_names, lim);
    kmFig.rebuild(ds.X, K, ds.feature_names, lim);
    // k-means' centres are drawn as the mixture layer's mean markers, without ellipses.
    kmMarks = kmFig.mixture;
    kmFig.panel.plot.querySelectorAll(".emlib-mixture path[fill='none']").forEach((e) => e.remove());
    grid = ui.grid(gmFig.panel.xlim, gmFig.panel.ylim, 64, 48);
    regions.km = null;
    regions.gm = null;
  }

  function restart() {
    stopRun();
    const start = rows(ds.X, config.starts[ds.name]["k-means++"][String(K)][seed]);
    centres = start.map((c) => c.slice());
    labels = kmeansAssign(ds.X, centres);
    kmIter = 0;
    kmDone = false;
    run = new EMRun(ds.X, initialParams(ds.X, start, covType), { regCovar: config.reg_covar, tol: config.tol });
    failure = "";
  }

  function agreement() {
    const gm = run.resp.map((r) => r.indexOf(Math.max(...r)));
    let same = 0;
    gm.forEach((g, i) => { if (g === labels[i]) same += 1; });
    return { gm, fraction: same / labels.length };
  }

  function step() {
    if (!kmDone) {
      const next = kmeansUpdate(ds.X, labels, centres);
      const newLabels = kmeansAssign(ds.X, next);
      kmDone = newLabels.every((l, i) => l === labels[i]);
      centres = next;
      labels = newLabels;
      kmIter += 1;
    }
    if (!run.converged && !failure) {
      try {
        run.step();
      } catch (err) {
        if (!(err instanceof CovarianceError)) throw err;
        failure = `The GMM stopped: component ${(err.component ?? 0) + 1} collapsed.`;
      }
    }
  }

  function draw() {
    const kmColors = labels.map((l) => ui.COLORS[l]);
    kmFig.points.setColors(kmColors);
    kmMarks.update({
      weights: centres.map(() => 1 / K), means: centres, covariance_type: "spherical",
      covariances: centres.map(() => 1e-12),
    });
    region(kmFig, "km", kmeansAssign(grid.points, centres));
    region(gmFig, "gm", eStep(grid.points, run.params).resp.map((r) => r.indexOf(Math.max(...r))));
    kmFig.title.textContent = `k-means, iteration ${kmIter}${kmDone ? " (converged)" : ""}`;
    gmFig.show(run.params, run.resp, `GMM (${covType}), iteration ${run.iteration}${run.converged ? " (converged)" : ""}`);
    runBtn.disabled = loop.running();
    pauseBtn.disabled = !loop.running();
  }

  function announce(prefix = "") {
    const a = agreement();
    let truth = "";
    if (ds.z) {
      truth = ` Against the true components: k-means ${Math.round(100 * matchedAccuracy(labels, ds.z))}%, ` +
        `GMM ${Math.round(100 * matchedAccuracy(a.gm, ds.z))}% correct.`;
    }
    shell.live.say(
      `${prefix}k-means iteration ${kmIter}${kmDone ? " (converged)" : ""}, inertia ${ui.fmt(kmeansInertia(ds.X, centres, labels))}; ` +
      `GMM iteration ${run.iteration}${run.converged ? " (converged)" : ""}, log p(X) = ${ui.fmt(run.logLikelihood)}. ` +
      `They put ${Math.round(100 * a.fraction)}% of the points in the same cluster.${truth}${failure ? ` ${failure}` : ""}`,
    );
  }

  const row1 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  const dataSel = fitSelect(ui.select(row1, {
    label: "data", value: ds.name, options: config.datasets.map((d) => ({ value: d.name, text: d.label })),
    onChange: (v) => { ds = byName[v]; build(); restart(); draw(); announce(`${ds.label}. `); },
  }));
  const kSlider = ui.slider(row1, {
    label: "K", min: 1, max: 8, step: 1, value: K, format: (v) => String(v),
    onInput: (v) => { K = v; build(); restart(); draw(); announce(`K = ${K}. `); },
  });
  const covSel = ui.select(row1, {
    label: "GMM covariance", value: covType, options: config.covariance_types,
    onChange: (v) => { covType = v; restart(); draw(); announce(`GMM covariance ${covType}. `); },
  });
  const seedSlider = ui.slider(row1, {
    label: "seed", min: 0, max: nSeeds - 1, step: 1, value: seed, format: (v) => String(v),
    onInput: (v) => { seed = v; restart(); draw(); announce(`Seed ${seed}: a new common start. `); },
  });
  const row2 = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  ui.button(row2, "Step", () => { stopRun(); step(); draw(); announce(); }, { title: "One k-means iteration and one EM iteration" });
  const runBtn = ui.button(row2, "Run", () => {
    budget = config.max_iter;
    loop.start();
    draw();
  }, { title: "Step both until both have converged" });
  const pauseBtn = ui.button(row2, "Pause", () => { stopRun(); announce("Paused. "); });
  ui.button(row2, "Reset", () => { restart(); draw(); announce("Back to the common start. "); });

  let budget = 0;
  const loop = ui.runLoop(() => {
    const done = () => kmDone && (run.converged || failure);
    if (done() || budget <= 0) return false;
    step();
    budget -= 1;
    draw();
    if (done() || budget <= 0) {
      announce(done() ? "Both converged. " : "Stopped at max_iter. ");
      return false;
    }
    return true;
  }, { interval: 1000 / 40, onStop: () => draw() });

  function stopRun() {
    if (loop.running()) loop.stop();
  }

  void dataSel;
  void kSlider;
  void covSel;
  void seedSlider;
  build();
  restart();
  draw();
  announce(`${ds.label}, K = ${K}. `);

  return {
    state: () => ({
      lab: "kmeans_vs_gmm",
      dataset: ds.name,
      X: ds.X,
      reg_covar: config.reg_covar,
      n_components: K,
      covariance_type: covType,
      seed,
      start_means: rows(ds.X, config.starts[ds.name]["k-means++"][String(K)][seed]),
      params: run.params,
      start: run.start,
      iteration: run.iteration,
      log_likelihood: run.logLikelihood,
      history: run.history.slice(),
      converged: run.converged,
      gmm_labels: agreement().gm,
      kmeans: { centers: centres.map((c) => c.slice()), labels: labels.slice(), iteration: kmIter, converged: kmDone },
      agreement: agreement().fraction,
      accuracy: ds.z ? { kmeans: matchedAccuracy(labels, ds.z), gmm: matchedAccuracy(agreement().gm, ds.z) } : null,
      running: loop.running(),
    }),
  };
}

/**
 * The fraction of samples whose label is their true component after the best one-to-one
 * renaming of the labels (emlib.labs._kmeans_vs_gmm.matched_accuracy; the assignment is
 * found exactly by dynamic programming over subsets, at most 8 clusters).
 * @param {number[]} labels
 * @param {number[]} truth
 * @returns {number}
 */
export function matchedAccuracy(labels, truth) {
  const size = Math.max(...labels, ...truth) + 1;
  const table = Array.from({ length: size }, () => new Array(size).fill(0));
  labels.forEach((l, i) => { table[l][truth[i]] += 1; });
  // best[mask]: the most matches when labels 0..popcount(mask)-1 take the truths in mask.
  const best = new Array(1 << size).fill(-1);
  best[0] = 0;
  for (let mask = 0; mask < 1 << size; mask++) {
    if (best[mask] < 0) continue;
    let l = 0;
    for (let m = mask; m; m &= m - 1) l += 1;
    if (l === size) continue;
    for (let t = 0; t < size; t++) {
      if (mask & (1 << t)) continue;
      const next = mask | (1 << t);
      best[next] = Math.max(best[next], best[mask] + table[l][t]);
    }
  }
  return best[(1 << size) - 1] / labels.length;
}
