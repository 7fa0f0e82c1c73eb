// SPDX-License-Identifier: MIT
/**
 * Pieces shared by the stepping labs 5-9 (EM lab, k-means versus GMM, convergence, break it,
 * choosing K): an EM run that remembers its log-likelihood per iteration and stops by
 * emlib's GaussianMixture rule, a data figure (points, ellipses, means) that can be rebuilt
 * when K or the data change, and a small line chart. No maths of its own: every number
 * comes from ./emmath.js.
 * @module em_common
 */

import { eStep, mStep } from "./emmath.js";
import * as ui from "./ui.js";

const SUB = "₀₁₂₃₄₅₆₇₈₉";
/** @param {number} n @returns {string} n as subscript digits */
export const sub = (n) => String(n).replace(/\d/g, (c) => SUB[Number(c)]);

/**
 * A number in the style `1e-6`, `3e-12`, `0` (for tolerances and reg_covar).
 * @param {number} v
 * @returns {string}
 */
export function fmtSci(v) {
  if (v === 0) return "0";
  const e = Math.floor(Math.log10(v) + 1e-9);
  const m = v / 10 ** e;
  const mm = Math.abs(m - Math.round(m)) < 1e-6 ? String(Math.round(m)) : m.toPrecision(2);
  if (e >= -2 && e <= 2) return String(Number(v.toPrecision(3)));
  return `${mm === "1" ? "" : `${mm}×`}10${e < 0 ? "⁻" : ""}${String(Math.abs(e)).replace(/\d/g, (c) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[Number(c)])}`;
}

/**
 * EM from a start, one iteration at a time (emlib.labs.EMRun with emlib.GaussianMixture's
 * stopping rule). Each step is emlib's E-step followed by its M-step: the M-step uses the
 * responsibilities of the current parameters, then the new parameters' E-step gives the
 * colours and log p(X). After n iterations the run has converged when n >= 2 and
 * |log p(X | θ⁽ⁿ⁻¹⁾) − log p(X | θ⁽ⁿ⁻²⁾)| / N < tol, exactly when GaussianMixture stops.
 */
export class EMRun {
  /**
   * @param {number[][]} X
   * @param {any} start params
   * @param {{regCovar: number, tol?: number}} opts
   */
  constructor(X, start, { regCovar, tol = 1e-3 }) {
    this.X = X;
    this.regCovar = regCovar;
    this.tol = tol;
    this.reset(start);
  }

  /** Back to iteration 0 at `start` (default: the current start). @param {any} [start] */
  reset(start = this.start) {
    this.start = start;
    this.params = start;
    const e = eStep(this.X, start);
    this.resp = e.resp;
    this.logLikelihood = e.logLikelihood;
    this.iteration = 0;
    this.history = [e.logLikelihood];
    this.converged = false;
  }

  /**
   * One EM iteration (E-step then M-step). Throws emmath's CovarianceError when a component
   * collapses (the run is left unchanged).
   */
  step() {
    const next = mStep(this.X, this.resp, this.params.covariance_type, this.regCovar);
    const e = eStep(this.X, next);
    this.params = next;
    this.resp = e.resp;
    this.logLikelihood = e.logLikelihood;
    this.iteration += 1;
    this.history.push(e.logLikelihood);
    this.updateConverged();
  }

  /** Re-evaluate the stopping rule (after a step, or when tol changes). */
  updateConverged() {
    const n = this.iteration;
    const h = this.history;
    this.converged = n >= 2 && Math.abs(h[n - 1] - h[n - 2]) / this.X.length < this.tol;
  }

  /** The change of log p(X) in the last iteration (NaN at iteration 0). @returns {number} */
  lastChange() {
    const h = this.history;
    return h.length > 1 ? h[h.length - 1] - h[h.length - 2] : NaN;
  }
}

/**
 * The data figure: points coloured by their responsibilities, one ellipse and one numbered
 * mean marker per component, a title line. `rebuild(X, K, names)` makes it again (new data
 * or a new K) in the same place.
 * @param {HTMLElement} parent
 * @param {{width?: number, height?: number, label: string, pointRadius?: number}} opts
 */
export function dataFigure(parent, opts) {
  const width = opts.width || 400;
  const height = opts.height || 320;
  const fig = { svg: null, panel: null, points: null, mixture: null, title: null, K: 0 };
  fig.rebuild = (X, K, names, limits) => {
    const old = fig.svg ? fig.svg.parentNode : null;
    const svg = ui.createSvg(parent, { width, height, label: opts.label });
    if (old) {
      parent.replaceChild(svg.parentNode, old);
    } else if (parent.firstChild !== svg.parentNode) {
      parent.insertBefore(svg.parentNode, parent.firstChild);
    }
    const lim = limits || ui.dataLimits(X, 0.1);
    const panel = ui.createPanel(svg, {
      width, height, xlim: lim.xlim, ylim: lim.ylim, equal: true,
      xlabel: names[0], ylabel: names[1], margin: { top: 22 },
    });
    fig.svg = svg;
    fig.panel = panel;
    fig.points = ui.pointsLayer(panel, X, { r: opts.pointRadius || 2.4 });
    fig.mixture = ui.mixtureLayer(panel, K);
    fig.title = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 8, class: "emlib-caption" }, panel.g);
    fig.K = K;
    return fig;
  };
  fig.show = (params, resp, title) => {
    if (params) fig.mixture.update(params);
    if (resp) fig.points.setColors(resp.map((r) => ui.blendColor(r)));
    if (title !== undefined) fig.title.textContent = title;
  };
  return fig;
}

/**
 * A line chart with a few series (solid or dashed, with or without dots) that rescales to
 * what it shows.
 * @param {HTMLElement} parent
 * @param {{width?: number, height?: number, label: string, xlabel: string, ylabel?: string,
 *   series: Array<{color: string, dash?: string, dots?: boolean, width?: number}>,
 *   integerX?: boolean, minY?: number}} opts
 * @returns {{set: (i: number, xs: number[], ys: number[]) => void, draw: () => void,
 *   panel: any, caption: SVGTextElement}}
 */
export function lineChart(parent, opts) {
  const width = opts.width || 300;
  const height = opts.height || 250;
  const svg = ui.createSvg(parent, { width, height, label: opts.label, maxWidth: opts.maxWidth || 1.4 * width });
  const panel = ui.createPanel(svg, {
    width, height, xlim: [0, 5], ylim: [-1, 0], xlabel: opts.xlabel, ylabel: opts.ylabel,
    margin: { left: 66, top: 22 },
  });
  const caption = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 8, class: "emlib-caption" }, panel.g);
  const data = opts.series.map(() => ({ xs: [], ys: [] }));
  const lines = opts.series.map((s) => ({
    line: ui.svgEl("path", {
      fill: "none", stroke: s.color, "stroke-width": s.width || 1.5, "stroke-dasharray": s.dash, "aria-hidden": "true",
    }, panel.plot),
    dots: s.dots ? ui.svgEl("path", { fill: s.color, "aria-hidden": "true" }, panel.plot) : null,
  }));
  const draw = () => {
    let x1 = 1;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (const d of data) {
      d.xs.forEach((x, i) => {
        const y = d.ys[i];
        if (!Number.isFinite(y)) return;
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      });
    }
    if (!Number.isFinite(y0)) {
      y0 = opts.minY ?? -1;
      y1 = y0 + 1;
    }
    if (opts.minY !== undefined) y0 = Math.min(y0, opts.minY);
    const pad = Math.max((y1 - y0) * 0.08, 1e-9 + Math.abs(y1) * 1e-6, 0.05);
    panel.setLimits([0, Math.max(x1, 4)], [y0 - pad, y1 + pad]);
    data.forEach((d, i) => {
      const keep = d.ys.map((y) => Number.isFinite(y));
      const xs = d.xs.filter((_, j) => keep[j]);
      const ys = d.ys.filter((_, j) => keep[j]);
      lines[i].line.setAttribute("d", xs.length ? ui.linePath(panel, xs, ys) : "");
      if (lines[i].dots) {
        const r = xs.length > 60 ? 1.2 : 2.2;
        lines[i].dots.setAttribute("d", xs.map((x, j) => ui.markerPath("circle", panel.sx(x), panel.sy(ys[j]), r)).join(""));
      }
    });
  };
  return {
    panel,
    caption,
    set(i, xs, ys) {
      data[i] = { xs: [...xs], ys: [...ys] };
    },
    draw,
  };
}

/**
 * A small table of numbers (tabular figures, right-aligned) with a caption and column heads.
 * @param {HTMLElement} parent
 * @param {{caption: string, columns: string[]}} opts
 * @returns {{table: HTMLTableElement, tbody: HTMLTableSectionElement}}
 */
export function numberTable(parent, { caption, columns }) {
  const table = ui.el("table", {
    class: "emlib-table",
    style: "border-spacing: 0.9em 0.1em; font-variant-numeric: tabular-nums; text-align: right",
  }, parent);
  ui.el("caption", { text: caption, style: "text-align: left" }, table);
  const head = ui.el("tr", {}, ui.el("thead", {}, table));
  for (const h of columns) ui.el("th", { scope: "col", text: h }, head);
  return { table, tbody: ui.el("tbody", {}, table) };
}

/**
 * A `<p>` for a longer message (e.g. what an experiment asks, or why EM broke down).
 * @param {HTMLElement} parent
 * @param {string} [cls]
 * @returns {HTMLParagraphElement}
 */
export function note(parent, cls = "emlib-live-help") {
  return ui.el("p", { class: cls }, parent);
}

/**
 * Let a `<select>` with long option texts shrink to the width of a phone.
 * @param {{select: HTMLSelectElement}} control from ui.select
 * @returns {{select: HTMLSelectElement}}
 */
export function fitSelect(control) {
  for (const node of [control.select, control.select.parentNode, control.select.parentNode.parentNode]) {
    node.style.maxWidth = "100%";
    node.style.minWidth = "0";
  }
  return control;
}

/**
 * The rows `indices` of X.
 * @param {number[][]} X
 * @param {number[]} indices
 * @returns {number[][]}
 */
export function rows(X, indices) {
  return indices.map((i) => X[i].slice());
}
