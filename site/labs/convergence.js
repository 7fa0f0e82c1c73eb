// SPDX-License-Identifier: MIT
/**
 * Lab 7, convergence (chapter 7): E-step and M-step one half-step at a time, with log p(X),
 * the ELBO and the KL gap after each (log p(X) = ELBO + KL). The E-step sets q to the
 * posterior, so KL becomes 0; the M-step raises the ELBO with q fixed, and log p(X) rises
 * at least as much, opening a gap until the next E-step.
 *
 * config (from emlib.labs._convergence.web_config): X, feature_names, dataset_name, start
 * (params of the notebook cell), n_components, covariance_type, seed, starts[seed] (rows of
 * X), reg_covar.
 *
 * state(): lab, X, reg_covar, seed, params, resp (q, null before the first E-step), phase
 * ("init" | "E" | "M"), iteration, log_likelihood, history [{kind, iteration,
 * log_likelihood, elbo, kl}] (one entry per half-step).
 * @module convergence
 */

import { elbo, eStep, initialParams, klDivergence, logLikelihood, mStep } from "./emmath.js";
import * as ui from "./ui.js";
import { dataFigure, lineChart, numberTable, rows } from "./em_common.js";

const KIND = { init: "start", E: "E-step", M: "M-step" };

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { X } = config;
  const K = config.n_components;
  const shell = ui.labShell(root, {
    title: "Convergence: log-likelihood, ELBO and KL gap",
    description:
      "E-step: q becomes the posterior, so the gap KL closes (0). M-step: new parameters raise " +
      "the ELBO with q fixed; log p(X) rises at least as much and a gap opens. " +
      "log p(X) = ELBO + KL after every half-step.",
  });
  let seed = config.seed;
  let params;
  let resp;
  let phase;
  let iteration;
  let history;

  const fig = dataFigure(shell.figures, { width: 340, height: 290, label: "The data coloured by the current q, with the ellipses" });
  fig.rebuild(X, K, config.feature_names);
  const chart = lineChart(shell.figures, {
    width: 320, height: 250, label: "log p(X) and the ELBO after every half-step", xlabel: "half-step",
    series: [{ color: "#000", dots: true }, { color: "#0072B2", dash: "5 4", dots: true }],
  });
  const legend = ui.svgEl("text", { x: chart.panel.box.x + 4, y: chart.panel.box.y + chart.panel.box.height - 6, class: "emlib-tick-label" }, chart.panel.g);
  legend.textContent = "solid: log p(X); dashed blue: ELBO";
  const gap = lineChart(shell.figures, {
    width: 260, height: 250, maxWidth: 340, label: "The KL gap after every half-step", xlabel: "half-step",
    series: [{ color: "#D55E00", dots: true }], minY: 0,
  });
  gap.caption.textContent = "KL gap = log p(X) − ELBO";

  const { table, tbody } = numberTable(shell.controls, {
    caption: "The last half-steps", columns: ["half-step", "log p(X)", "ELBO", "KL"],
  });

  function record(kind) {
    const ll = logLikelihood(X, params);
    if (resp) {
      history.push({ kind, iteration, log_likelihood: ll, elbo: elbo(X, resp, params), kl: klDivergence(X, resp, params) });
    } else {
      history.push({ kind, iteration, log_likelihood: ll, elbo: null, kl: null });
    }
  }

  function reset(start) {
    params = start;
    resp = null;
    phase = "init";
    iteration = 0;
    history = [];
    record("init");
  }

  function eHalf() {
    resp = eStep(X, params).resp;
    phase = "E";
    record("E");
  }

  function mHalf() {
    params = mStep(X, resp, params.covariance_type, config.reg_covar);
    iteration += 1;
    phase = "M";
    record("M");
  }

  function draw() {
    const xs = history.map((_, i) => i);
    chart.set(0, xs, history.map((h) => h.log_likelihood));
    chart.set(1, xs, history.map((h) => (h.elbo === null ? NaN : h.elbo)));
    chart.draw();
    gap.set(0, xs, history.map((h) => (h.kl === null ? NaN : Math.max(0, h.kl))));
    gap.draw();
    const h = history[history.length - 1];
    chart.caption.textContent = `log p(X) = ${ui.fmt(h.log_likelihood)}`;
    fig.show(params, resp, `${KIND[phase]}, iteration ${iteration}`);
    if (!resp) fig.points.setColors(ui.NEUTRAL);
    tbody.replaceChildren();
    for (const [i, r] of history.entries()) {
      if (i < history.length - 6) continue;
      const tr = ui.el("tr", {}, tbody);
      ui.el("td", { text: `${i} (${KIND[r.kind]})` }, tr);
      ui.el("td", { text: ui.fmt(r.log_likelihood, 4) }, tr);
      ui.el("td", { text: r.elbo === null ? "—" : ui.fmt(r.elbo, 4) }, tr);
      ui.el("td", { text: r.kl === null ? "—" : ui.fmt(r.kl, 6) }, tr);
    }
    eBtn.disabled = phase === "E";
    mBtn.disabled = phase !== "E";
  }

  function announce() {
    const h = history[history.length - 1];
    let text = `Half-step ${history.length - 1} (${KIND[h.kind]}, iteration ${h.iteration}): log p(X) = ${ui.fmt(h.log_likelihood, 4)}`;
    if (h.elbo === null) {
      text += "; no q yet, so no ELBO: press E-step.";
    } else {
      text += `, ELBO = ${ui.fmt(h.elbo, 4)}, KL = ${ui.fmt(h.kl, 6)}.`;
      const before = history[history.length - 2];
      if (h.kind === "E") text += " The E-step closed the gap: KL = 0 and the ELBO touches log p(X).";
      else if (before && before.elbo !== null) {
        text += ` The M-step raised the ELBO by ${ui.fmt(h.elbo - before.elbo, 4)} and log p(X) by ${ui.fmt(h.log_likelihood - before.log_likelihood, 4)}, opening a gap of ${ui.fmt(h.kl, 6)}.`;
      }
    }
    shell.live.say(text);
  }

  const row = ui.el("div", { class: "emlib-live-controls" }, shell.controls);
  shell.controls.insertBefore(row, table);
  const eBtn = ui.button(row, "E-step", () => { eHalf(); draw(); announce(); }, { title: "q = posterior: closes the gap" });
  const mBtn = ui.button(row, "M-step", () => { mHalf(); draw(); announce(); }, { title: "Maximise the ELBO over the parameters, q fixed" });
  ui.button(row, "E + M", () => {
    if (phase !== "E") eHalf();
    mHalf();
    draw();
    announce();
  });
  ui.button(row, "Reset", () => { reset(startFor(seed)); draw(); announce(); }, { title: "Back to the start" });
  ui.button(row, "Restart", () => {
    seed = (seed + 1) % config.starts.length;
    reset(startFor(seed));
    draw();
    shell.live.say(`New start (seed ${seed}). log p(X) = ${ui.fmt(history[0].log_likelihood, 4)}; press E-step.`);
  }, { title: "A new start: the next seed" });

  function startFor(s) {
    return s === config.seed ? config.start : initialParams(X, rows(X, config.starts[s]), config.covariance_type);
  }

  reset(config.start);
  draw();
  announce();

  return {
    state: () => ({
      lab: "convergence",
      X,
      reg_covar: config.reg_covar,
      seed,
      params,
      resp,
      phase,
      iteration,
      log_likelihood: history[history.length - 1].log_likelihood,
      history: history.map((h) => ({ ...h })),
    }),
  };
}
