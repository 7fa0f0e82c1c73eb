/**
 * Lab 2, sampling (chapter 1): draw samples from a 3-component 1-D mixture (pick
 * z ~ Categorical(π), then x ~ N(μ_z, σ_z²)); the shares N_k / N approach the weights π_k;
 * the weight sliders reshape the density p(x).
 *
 * config (from emlib.labs._sampling.web_config): params (1-D, spherical), raw_weights, seed,
 * grid [lo, hi, n], bins [lo, hi, n], counts (batch sizes), max_samples.
 * @module sampling
 */

import { makeRng, mixtureDensity1D, sampleMixture } from "./emmath.js";
import * as ui from "./ui.js";

const K = 3;

/**
 * @param {HTMLElement} root
 * @param {any} config
 * @returns {{state: () => any}}
 */
export function mount(root, config) {
  const means = config.params.means;
  const variances = config.params.covariances;
  const shell = ui.labShell(root, {
    title: "Sampling from a mixture",
    description:
      "Pick how many samples to draw and press Sample; move the weight sliders to change the " +
      "mixture (the samples drawn so far are discarded: they came from the old mixture).",
  });
  const [g0, g1, gn] = config.grid;
  const xs = Array.from({ length: gn }, (_, i) => g0 + ((g1 - g0) * i) / (gn - 1));
  const [b0, b1, nb] = config.bins;
  const width = (b1 - b0) / nb;

  const svg = ui.createSvg(shell.figures, { width: 400, height: 280, label: "Histogram of the samples under the mixture density" });
  const panel = ui.createPanel(svg, { width: 400, height: 280, xlim: [g0, g1], ylim: [0, 0.5], xlabel: "x", ylabel: "density", margin: { left: 40, top: 22 } });
  const hist = [0, 1, 2].map((k) => ui.svgEl("path", { fill: ui.COLORS[k], "fill-opacity": 0.55, "aria-hidden": "true" }, panel.plot));
  const comps = [0, 1, 2].map((k) => ui.svgEl("path", { fill: "none", stroke: ui.COLORS[k], "stroke-width": 1.6, "stroke-dasharray": "5 3", "aria-hidden": "true" }, panel.plot));
  const compLabels = [0, 1, 2].map((k) => ui.svgEl("text", { class: "emlib-mean-label", "text-anchor": "middle", text: String(k + 1), "aria-hidden": "true" }, panel.plot));
  const mixture = ui.svgEl("path", { fill: "none", stroke: "#000", "stroke-width": 2, "aria-hidden": "true" }, panel.plot);
  const title = ui.svgEl("text", { x: panel.box.x, y: panel.box.y - 8, class: "emlib-caption" }, panel.g);
  const legend = ui.svgEl("g", { class: "emlib-legend", "aria-hidden": "true" }, panel.g);
  const lx = panel.box.x + panel.box.width - 132;
  ui.svgEl("line", { x1: lx, x2: lx + 20, y1: panel.box.y + 10, y2: panel.box.y + 10, stroke: "#000", "stroke-width": 2 }, legend);
  ui.svgEl("text", { x: lx + 24, y: panel.box.y + 13, text: "p(x)" }, legend);
  ui.svgEl("line", { x1: lx, x2: lx + 20, y1: panel.box.y + 24, y2: panel.box.y + 24, stroke: "#555", "stroke-width": 1.6, "stroke-dasharray": "5 3" }, legend);
  ui.svgEl("text", { x: lx + 24, y: panel.box.y + 27, text: "πₖ N(x | μₖ, σₖ²)" }, legend);

  const barSvg = ui.createSvg(shell.figures, { width: 300, height: 250, label: "Shares of the components against their weights" });
  const bars = ui.barChart(barSvg, {
    width: 300, height: 250, labels: ["k = 1", "k = 2", "k = 3"], colors: ui.COLORS.slice(0, K), ymax: 1,
    caption: "Nₖ / N (bars) and πₖ (black lines)",
  });

  let raw = [...config.raw_weights];
  let weights = normalise(raw);
  let rng;
  let samples = [];
  let labels = [];
  let counts = [0, 0, 0];
  let ymax = 0;

  const params = () => ({ weights, means, covariances: variances, covariance_type: "spherical" });

  function normalise(w) {
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / total);
  }

  function reset() {
    rng = makeRng(config.seed);
    samples = [];
    labels = [];
    counts = [0, 0, 0];
  }

  function draw(n) {
    if (samples.length + n > config.max_samples) {
      shell.live.say(`At most ${config.max_samples} samples: press Reset to start again.`);
      return false;
    }
    const out = sampleMixture(params(), n, rng);
    for (let i = 0; i < n; i++) {
      samples.push(out.X[i][0]);
      labels.push(out.labels[i]);
      counts[out.labels[i]] += 1;
    }
    return true;
  }

  function render() {
    const dens = [0, 1, 2].map((k) =>
      mixtureDensity1D(xs, { weights: [1], means: [means[k]], covariances: [variances[k]], covariance_type: "spherical" }).map((v) => weights[k] * v));
    const total = mixtureDensity1D(xs, params());
    const top = Math.max(0.05, ...total);
    if (!ymax || top > 0.95 * ymax || top < 0.45 * ymax) {
      ymax = 1.3 * top;
      panel.setLimits([g0, g1], [0, ymax]);
    }
    // Histogram stacked by component, as a density (area 1 in total).
    const n = Math.max(samples.length, 1);
    const heights = [0, 1, 2].map(() => new Float64Array(nb));
    for (let i = 0; i < samples.length; i++) {
      const b = Math.floor((samples[i] - b0) / width);
      if (b >= 0 && b < nb) heights[labels[i]][b] += 1 / (n * width);
    }
    const bottom = new Float64Array(nb);
    for (let k = 0; k < K; k++) {
      let d = "";
      for (let b = 0; b < nb; b++) {
        const h = heights[k][b];
        if (h > 0) {
          const x = panel.sx(b0 + b * width);
          const w = panel.sx(b0 + (b + 1) * width) - x;
          const y = panel.sy(Math.min(bottom[b] + h, ymax));
          const y0 = panel.sy(Math.min(bottom[b], ymax));
          d += `M${x.toFixed(1)},${y0.toFixed(1)}h${w.toFixed(1)}V${y.toFixed(1)}h${(-w).toFixed(1)}Z`;
        }
        bottom[b] += h;
      }
      hist[k].setAttribute("d", d);
      comps[k].setAttribute("d", ui.linePath(panel, xs, dens[k]));
      let peak = 0;
      dens[k].forEach((v, i) => { if (v > dens[k][peak]) peak = i; });
      compLabels[k].setAttribute("x", panel.sx(xs[peak]));
      compLabels[k].setAttribute("y", panel.sy(dens[k][peak]) - 4);
      compLabels[k].setAttribute("visibility", weights[k] > 0 ? "visible" : "hidden");
    }
    mixture.setAttribute("d", ui.linePath(panel, xs, total));
    title.textContent = `N = ${samples.length} samples`;
    bars.set(counts.map((c) => c / n), weights);
  }

  function describe() {
    const w = weights.map((v, k) => `π${sub(k + 1)} = ${ui.fmt(v)}`).join(", ");
    if (!samples.length) return `Weights ${w}. No samples yet.`;
    const f = counts.map((c, k) => `N${sub(k + 1)}/N = ${ui.fmt(c / samples.length)}`).join(", ");
    return `Weights ${w}. N = ${samples.length} samples: ${f}.`;
  }

  // Controls: a wide slider per weight, the batch size, Sample and Reset.
  const weightSliders = [0, 1, 2].map((k) => ui.slider(shell.controls, {
    label: `relative weight ${k + 1}`, min: 0, max: 1, step: 0.01, value: raw[k], wide: true, name: `weight-${k + 1}`,
    onInput: (v) => {
      const next = [...raw];
      next[k] = v;
      if (next.every((x) => x === 0)) {
        weightSliders[k].set(raw[k]);
        shell.live.say("At least one weight must be above 0: the weights are relative, so they cannot all be 0.");
        return;
      }
      raw = next;
      weights = normalise(raw);
      reset();
      render();
      shell.live.say(`New weights, samples discarded. ${describe()}`);
    },
  }));
  const countIndex = Math.max(0, config.counts.indexOf(100));
  const count = ui.slider(shell.controls, {
    label: "samples per draw", min: 0, max: config.counts.length - 1, step: 1, value: countIndex, name: "count",
    format: (i) => String(config.counts[i]), onInput: () => {},
  });
  ui.button(shell.controls, "Sample", () => {
    const n = config.counts[count.get()];
    if (draw(n)) {
      render();
      shell.live.say(`Drew ${n}. ${describe()}`);
    }
  }, { title: "Draw that many more samples" });
  ui.button(shell.controls, "Reset", () => {
    reset();
    render();
    shell.live.say(`Samples forgotten. ${describe()}`);
  }, { title: "Forget the samples" });

  reset();
  render();
  shell.live.say(describe());

  return {
    // A deep copy: what a caller does with it cannot change the lab.
    state: () => structuredClone({
      lab: "sampling",
      params: { ...params(), weights: [...weights] },
      raw_weights: [...raw],
      seed: config.seed,
      n_samples: samples.length,
      counts: [...counts],
      X: samples.map((x) => [x]),
      labels: [...labels],
    }),
  };
}

function sub(n) {
  return String(n).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[Number(c)]);
}
