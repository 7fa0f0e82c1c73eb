/**
 * Lab 1, the border point (chapter 0): drag a point between two clusters; k-means' hard
 * membership and the GMM's responsibilities follow. The view reaches far enough to the
 * right to show where the GMM changes its mind a second time (its border is a closed curve
 * around the tight cluster, k-means' a straight line).
 *
 * config (from emlib.labs._border_point.web_config): X, reg_covar, params (the fitted GMM,
 * component 1 on the left), kmeans_centers (left first), point, xlim, ylim.
 * @module border_point
 */

import { eStep, kmeansAssign, responsibilitiesAt } from "./emmath.js";
import * as ui from "./ui.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { X, params, kmeans_centers: centres } = config;
  const shell = ui.labShell(root, {
    title: "Border point: hard versus soft membership",
    description:
      "Drag the star (or focus it and use the arrow keys; Shift for big steps). The bars show " +
      "k-means' all-or-nothing membership and the GMM's responsibilities γ₁, γ₂.",
  });
  const svg = ui.createSvg(shell.figures, { width: 400, height: 320, label: "The data, both borders and the point" });
  const panel = ui.createPanel(svg, { width: 400, height: 320, xlim: config.xlim, ylim: config.ylim, equal: true, xlabel: "x1", ylabel: "x2" });

  // Who wins where, lightly, and the GMM border gamma_1 = 0.5 (from emmath's E-step).
  const g = ui.grid(panel.xlim, panel.ylim, 90, 72);
  const gridResp = eStep(g.points, params).resp;
  ui.heatmap(panel, g, (i) => ui.blendRgb(gridResp[i]).map((c) => 0.72 + 0.28 * c));
  const gamma1 = gridResp.map((r) => r[0]);
  ui.svgEl("path", {
    d: ui.contourPath(panel, ui.contourSegments(gamma1, g.nx, g.ny, 0.5), g.toData),
    stroke: "#000", "stroke-width": 1.6, fill: "none", "aria-hidden": "true",
  }, panel.plot);
  // k-means border: the points as near to one centre as to the other (a straight line).
  const mid = [(centres[0][0] + centres[1][0]) / 2, (centres[0][1] + centres[1][1]) / 2];
  const dir = [-(centres[1][1] - centres[0][1]), centres[1][0] - centres[0][0]];
  const far = 1e3;
  ui.svgEl("line", {
    x1: panel.sx(mid[0] - far * dir[0]), y1: panel.sy(mid[1] - far * dir[1]),
    x2: panel.sx(mid[0] + far * dir[0]), y2: panel.sy(mid[1] + far * dir[1]),
    stroke: "#000", "stroke-width": 1.4, "stroke-dasharray": "6 4", "aria-hidden": "true",
  }, panel.plot);
  const points = ui.pointsLayer(panel, X, { r: 2.2 });
  points.setColors(eStep(X, params).resp.map((r) => ui.blendColor(r)));
  points.setOpacity(0.6);
  ui.mixtureLayer(panel, 2).update(params);
  for (const c of centres) {
    ui.svgEl("path", { d: ui.markerPath("plus", panel.sx(c[0]), panel.sy(c[1]), 7), fill: "#000", "aria-hidden": "true" }, panel.plot);
  }
  const legend = ui.svgEl("g", { class: "emlib-legend", "aria-hidden": "true" }, panel.g);
  const lx = panel.box.x + 6;
  const ly = panel.box.y + panel.box.height - 30;
  ui.svgEl("rect", { x: lx - 3, y: ly - 11, width: 186, height: 38, fill: "#fff", "fill-opacity": 0.85 }, legend);
  ui.svgEl("line", { x1: lx, x2: lx + 22, y1: ly - 2, y2: ly - 2, stroke: "#000", "stroke-dasharray": "6 4", "stroke-width": 1.4 }, legend);
  ui.svgEl("text", { x: lx + 27, y: ly + 1, text: "k-means border (+ centres)" }, legend);
  ui.svgEl("line", { x1: lx, x2: lx + 22, y1: ly + 14, y2: ly + 14, stroke: "#000", "stroke-width": 1.6 }, legend);
  ui.svgEl("text", { x: lx + 27, y: ly + 17, text: "GMM border (γ = 0.5)" }, legend);

  const barSvg = ui.createSvg(shell.figures, { width: 300, height: 250, label: "Membership of the point" });
  const bars = ui.barChart(barSvg, {
    width: 300, height: 250, labels: ["1", "2", "γ₁", "γ₂"], colors: [ui.COLORS[0], ui.COLORS[1], ui.COLORS[0], ui.COLORS[1]],
    gaps: [0, 0, 0.8, 0], ymax: 1.15, caption: "membership of the starred point",
    groupLabels: [{ text: "k-means (hard)", from: 0, to: 1 }, { text: "GMM, γₖ (soft)", from: 2, to: 3 }],
  });

  let point = [...config.point];
  let resp = [0.5, 0.5];
  let label = 0;
  const star = ui.handle(panel, {
    name: "point",
    label: "The starred point: drag it, or use the arrow keys",
    value: point,
    shape: "star",
    radius: 10,
    onMove: (p) => update(p),
    onEnd: () => announce(),
  });

  function update(p) {
    point = p;
    resp = responsibilitiesAt(point, params);
    label = kmeansAssign([point], centres)[0];
    const hard = [label === 0 ? 1 : 0, label === 1 ? 1 : 0];
    bars.set([...hard, ...resp]);
    star.setColor(ui.blendColor(resp));
  }

  // The live region speaks when a drag ends or a key moved the point (not on every
  // pointer move, which would flood a screen reader).
  function announce() {
    shell.live.say(
      `Point at (${ui.fmt(point[0])}, ${ui.fmt(point[1])}): k-means puts it in cluster ${label + 1} only; ` +
      `the GMM gives γ₁ = ${ui.fmt(resp[0])}, γ₂ = ${ui.fmt(resp[1])}.`,
    );
  }

  ui.button(shell.controls, "Reset", () => {
    star.set(config.point);
    update(star.get());
    announce();
  }, { title: "Back to the starting position" });
  update(star.get());
  announce();

  return {
    // A deep copy: what a caller does with it cannot change the lab.
    state: () => structuredClone({
      lab: "border_point",
      X,
      reg_covar: config.reg_covar,
      params,
      point: [...point],
      responsibilities: [...resp],
      kmeans_centers: centres,
      kmeans_label: label,
      hard: [label === 0 ? 1 : 0, label === 1 ? 1 : 0],
    }),
  };
}
