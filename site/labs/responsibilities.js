/**
 * Lab 3, responsibilities (chapter 3): drag a query point over three fixed Gaussians; the
 * bars show γ_k(x) = π_k N(x | μ_k, Σ_k) / Σ_j π_j N(x | μ_j, Σ_j), the point is filled with
 * the blend of the component colours, and the background shows who wins where. The view
 * reaches well beyond the components, where one component takes everything.
 *
 * config (from emlib.labs._responsibilities.web_config): params, point, xlim, ylim.
 * @module responsibilities
 */

import { eStep, responsibilitiesAt } from "./emmath.js";
import * as ui from "./ui.js";

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const { params } = config;
  const K = params.weights.length;
  const shell = ui.labShell(root, {
    title: "Responsibilities of a query point",
    description:
      "Drag the circle (or focus it and use the arrow keys; Shift for big steps). The background " +
      "shows which component wins where; take the point far away from all three too.",
  });
  const svg = ui.createSvg(shell.figures, { width: 400, height: 320, label: "Three Gaussian components and the query point" });
  const panel = ui.createPanel(svg, { width: 400, height: 320, xlim: config.xlim, ylim: config.ylim, equal: true, xlabel: "x1", ylabel: "x2" });
  const g = ui.grid(panel.xlim, panel.ylim, 110, 90);
  const gridResp = eStep(g.points, params).resp;
  ui.heatmap(panel, g, (i) => ui.blendRgb(gridResp[i]).map((c) => 0.55 + 0.45 * c));
  ui.mixtureLayer(panel, K).update(params);

  const barSvg = ui.createSvg(shell.figures, { width: 300, height: 250, label: "Responsibilities of the query point" });
  const bars = ui.barChart(barSvg, {
    width: 300, height: 250, labels: Array.from({ length: K }, (_, k) => `k = ${k + 1}`), colors: ui.COLORS.slice(0, K),
    ymax: 1.15, caption: "responsibilities γₖ(x)",
  });

  let point = [...config.point];
  let resp = new Array(K).fill(1 / K);
  const query = ui.handle(panel, {
    name: "point",
    label: "The query point x: drag it, or use the arrow keys",
    value: point,
    shape: "circle",
    radius: 9,
    onMove: (p) => update(p),
    onEnd: () => announce(),
  });

  function update(p) {
    point = p;
    resp = responsibilitiesAt(point, params);
    bars.set(resp);
    query.setColor(ui.blendColor(resp));
  }

  // The live region speaks when a drag ends or a key moved the point (not on every
  // pointer move, which would flood a screen reader).
  function announce() {
    const parts = resp.map((v, k) => `γ${"₀₁₂₃₄₅₆₇₈₉"[k + 1] ?? k + 1} = ${ui.fmt(v)}`).join(", ");
    shell.live.say(`Query point x = (${ui.fmt(point[0])}, ${ui.fmt(point[1])}): ${parts}.`);
  }

  ui.button(shell.controls, "Reset", () => {
    query.set(config.point);
    update(query.get());
    announce();
  }, { title: "Back to the starting position" });
  update(query.get());
  announce();

  return {
    // A deep copy: what a caller does with it cannot change the lab.
    state: () => structuredClone({
      lab: "responsibilities",
      params,
      point: [...point],
      responsibilities: [...resp],
    }),
  };
}
