// SPDX-License-Identifier: MIT
/**
 * Lab 9, choosing K (chapter 8): BIC and AIC against K = 1 .. k_max, their minima circled,
 * beside the fit for the K the reader selects. The fits are emlib's
 * (emlib.select_n_components at build time, for every data set and covariance type); the
 * browser computes BIC and AIC from their parameters with emmath.
 *
 * config (from emlib.labs._choosing_k.web_config): datasets [{name, label, X,
 * feature_names}], fits[dataset][covariance_type] = {params: [K = 1 ..], bic, aic, best_bic,
 * best_aic}, dataset, covariance_type, covariance_types, k_max, selected, seed, n_init,
 * reg_covar.
 *
 * state(): lab, dataset, X, reg_covar, covariance_type, n_components (the Ks), k (the
 * selected K), params (its fit), log_likelihood, bic, aic (per K), best_bic, best_aic,
 * seed, n_init.
 * @module choosing_k
 */

import { aic, bic, eStep, logLikelihood, nParameters } from "./emmath.js";
import * as ui from "./ui.js";
import { dataFigure, fitSelect, lineChart } from "./em_common.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const byName = Object.fromEntries(config.datasets.map((d) => [d.name, d]));
  const kMax = config.k_max;
  const ks = Array.from({ length: kMax }, (_, i) => i + 1);
  const shell = ui.labShell(root, {
    title: "Choosing K with BIC and AIC",
    description:
      "BIC = −2 log p(X) + p log N and AIC = −2 log p(X) + 2p for the best fit with each K " +
      "(lower is better; circled: the minimum). Slide K to see that fit; change the data set " +
      "and the covariance type and watch where the minima move.",
  });
  let ds = byName[config.dataset] || config.datasets[0];
  let covType = config.covariance_type;
  let k = config.selected;
  let scores;

  const fig = dataFigure(shell.figures, { width: 380, height: 310, label: "The data coloured by the selected fit, with its ellipses" });
  const chart = lineChart(shell.figures, {
    width: 320, height: 260, label: "BIC and AIC against K", xlabel: "K (number of components)",
    series: [{ color: "#0072B2", dots: true }, { color: "#E69F00", dash: "6 4", dots: true }],
  });
  chart.caption.textContent = "lower is better (circled: minimum)";
  const marks = ui.svgEl("g", { "aria-hidden": "true" }, chart.panel.plot);
  const legend = ui.svgEl("text", { x: chart.panel.box.x + 4, y: chart.panel.box.y + 12, class: "emlib-tick-label" }, chart.panel.g);
  legend.textContent = "solid blue: BIC, dashed orange: AIC";

  function compute() {
    const fits = config.fits[ds.name][covType];
    const b = fits.params.map((p) => bic(ds.X, p));
    const a = fits.params.map((p) => aic(ds.X, p));
    const argmin = (v) => v.indexOf(Math.min(...v)) + 1;
    scores = { fits, bic: b, aic: a, bestBic: argmin(b), bestAic: argmin(a) };
  }

  function build() {
    fig.rebuild(ds.X, k, ds.feature_names);
  }

  function draw() {
    chart.set(0, ks, scores.bic);
    chart.set(1, ks, scores.aic);
    chart.draw();
    const p = chart.panel;
    marks.replaceChildren();
    const ring = (kk, v, color) => ui.svgEl("circle", { cx: p.sx(kk), cy: p.sy(v), r: 8, fill: "none", stroke: color, "stroke-width": 2 }, marks);
    ring(scores.bestBic, scores.bic[scores.bestBic - 1], "#0072B2");
    ring(scores.bestAic, scores.aic[scores.bestAic - 1], "#E69F00");
    ui.svgEl("line", { x1: p.sx(k), x2: p.sx(k), y1: p.box.y, y2: p.box.y + p.box.height, stroke: "#000", "stroke-dasharray": "2 3" }, marks);
    const params = scores.fits.params[k - 1];
    if (fig.K !== k) fig.rebuild(ds.X, k, ds.feature_names);
    fig.show(params, eStep(ds.X, params).resp, `fit with K = ${k}`);
  }

  function announce(prefix = "") {
    const i = k - 1;
    const p = nParameters(k, 2, covType);
    shell.live.say(
      `${prefix}${ds.label}, ${covType} covariances. K = ${k} (${p} parameters): BIC = ${ui.fmt(scores.bic[i], 1)}, ` +
      `AIC = ${ui.fmt(scores.aic[i], 1)}. Lowest BIC at K = ${scores.bestBic}, lowest AIC at K = ${scores.bestAic}` +
      `${scores.bestBic === scores.bestAic ? " (they agree)." : " (they disagree: AIC's lighter penalty buys more components)."}`,
    );
  }

  const row = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  fitSelect(ui.select(row, {
    label: "data", value: ds.name, options: config.datasets.map((d) => ({ value: d.name, text: d.label })),
    onChange: (v) => { ds = byName[v]; build(); compute(); k = scores.bestBic; kSlider.set(k); draw(); announce(); },
  }));
  ui.select(row, {
    label: "covariance", value: covType, options: config.covariance_types,
    onChange: (v) => { covType = v; compute(); k = scores.bestBic; kSlider.set(k); draw(); announce(); },
  });
  const kSlider = ui.slider(row, {
    label: "show K", min: 1, max: kMax, step: 1, value: k, format: (v) => String(v),
    onInput: (v) => { k = v; draw(); announce(); },
  });

  build();
  compute();
  draw();
  announce();

  return {
    state: () => ({
      lab: "choosing_k",
      dataset: ds.name,
      X: ds.X,
      reg_covar: config.reg_covar,
      covariance_type: covType,
      n_components: ks,
      k,
      params: scores.fits.params[k - 1],
      log_likelihood: logLikelihood(ds.X, scores.fits.params[k - 1]),
      bic: scores.bic.slice(),
      aic: scores.aic.slice(),
      best_bic: scores.bestBic,
      best_aic: scores.bestAic,
      seed: config.seed,
      n_init: config.n_init,
    }),
  };
}
