/**
 * The labs' shared user-interface kit (no maths: EM lives in ./emmath.js).
 *
 * - pure helpers (unit-tested under Node): palette, colour blending, linear scales and
 *   ticks, equal-aspect limits, marker shapes, ellipse outlines, number formatting;
 * - DOM helpers: a lab shell, responsive SVG panels with axes, draggable handles
 *   (Pointer Events + keyboard), buttons, sliders, selects, one ARIA live region per lab,
 *   bar charts, and a requestAnimationFrame run loop that honours prefers-reduced-motion.
 *
 * Conventions: component index k is 0-based in code and state, 1-based on screen.
 * Every SVG uses a viewBox and `width: 100%`, so it scales to the page (a 390-px phone too).
 * @module ui
 */

import { ellipse as ellipseGeometry, fullCovariances } from "./emmath.js";

export const SVG_NS = "http://www.w3.org/2000/svg";

/** Okabe-Ito colours of components 1, 2, ... in the order of emlib.plotting.COMPONENT_COLORS. */
export const COLORS = Object.freeze([
  "#0072B2", // blue
  "#E69F00", // orange
  "#009E73", // bluish green
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#D55E00", // vermillion
  "#F0E442", // yellow
  "#000000", // black
]);

/** Grey of points that belong to no component yet (emlib.plotting.NEUTRAL_COLOR). */
export const NEUTRAL = "#8C8C8C";

/** Marker shapes of components 1, 2, ...: the cue besides colour. */
export const MARKERS = Object.freeze([
  "circle", "square", "triangle", "diamond", "triangle-down", "plus", "cross", "star",
]);

// ------------------------------------------------------------------------- pure helpers

/**
 * `[r, g, b]` in 0..1 of a `#rrggbb` colour.
 * @param {string} hex
 * @returns {number[]}
 */
export function hexToRgb(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`hexToRgb: expected a colour like "#0072B2"; got ${JSON.stringify(hex)}.`);
  const v = parseInt(m[1], 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255].map((c) => c / 255);
}

/**
 * The colour of a point shared between components: `sum_k gamma_k colour_k`, as
 * emlib.plotting.blend_colors (clipped to 0..1).
 * @param {number[]} resp responsibilities (K, summing to 1)
 * @param {string[]} [colors] K colours, default {@link COLORS}
 * @returns {number[]} `[r, g, b]` in 0..1
 */
export function blendRgb(resp, colors = COLORS) {
  if (resp.length > colors.length) {
    throw new Error(`blendRgb: ${resp.length} responsibilities but only ${colors.length} colours.`);
  }
  const out = [0, 0, 0];
  resp.forEach((g, k) => {
    const c = hexToRgb(colors[k]);
    for (let j = 0; j < 3; j++) out[j] += g * c[j];
  });
  return out.map((v) => Math.min(1, Math.max(0, v)));
}

/**
 * CSS `rgb(...)` string of {@link blendRgb}.
 * @param {number[]} resp
 * @param {string[]} [colors]
 * @returns {string}
 */
export function blendColor(resp, colors = COLORS) {
  const [r, g, b] = blendRgb(resp, colors).map((v) => Math.round(255 * v));
  return `rgb(${r},${g},${b})`;
}

/**
 * A linear map from `domain` to `range`, with `invert` and `ticks`.
 * @param {[number, number]} domain
 * @param {[number, number]} range
 * @returns {((v: number) => number) & {invert: (p: number) => number, domain: number[],
 *   range: number[], ticks: (n?: number) => number[]}}
 */
export function linearScale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (!(Number.isFinite(d0) && Number.isFinite(d1)) || d0 === d1) {
    throw new Error(`linearScale: the domain must be two different finite numbers; got [${domain}].`);
  }
  const k = (r1 - r0) / (d1 - d0);
  const scale = (v) => r0 + (v - d0) * k;
  scale.invert = (p) => d0 + (p - r0) / k;
  scale.domain = [d0, d1];
  scale.range = [r0, r1];
  scale.ticks = (n = 5) => niceTicks(Math.min(d0, d1), Math.max(d0, d1), n);
  return scale;
}

/**
 * Round tick values (steps of 1, 2 or 5 times a power of ten) inside `[lo, hi]`.
 * @param {number} lo
 * @param {number} hi
 * @param {number} [n] about how many ticks
 * @returns {number[]}
 */
export function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  const raw = (hi - lo) / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw * 0.999) ?? 10 * mag;
  const out = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
  }
  return out;
}

/**
 * Widen `xlim` or `ylim` (about their centres) so that one data unit is as long on both
 * axes of a `width` x `height` box: circles look round.
 * @param {[number, number]} xlim
 * @param {[number, number]} ylim
 * @param {number} width
 * @param {number} height
 * @returns {{xlim: number[], ylim: number[]}}
 */
export function equalAspectLimits(xlim, ylim, width, height) {
  const dx = xlim[1] - xlim[0];
  const dy = ylim[1] - ylim[0];
  const unit = Math.max(dx / width, dy / height);
  const cx = (xlim[0] + xlim[1]) / 2;
  const cy = (ylim[0] + ylim[1]) / 2;
  const hx = (unit * width) / 2;
  const hy = (unit * height) / 2;
  return { xlim: [cx - hx, cx + hx], ylim: [cy - hy, cy + hy] };
}

/**
 * Axis limits around 2-D points with a margin (a fraction of the range), as the notebook
 * labs' `data_limits`.
 * @param {number[][]} X N x 2
 * @param {number} [margin]
 * @returns {{xlim: number[], ylim: number[]}}
 */
export function dataLimits(X, margin = 0.08) {
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (const p of X) {
    for (let j = 0; j < 2; j++) {
      lo[j] = Math.min(lo[j], p[j]);
      hi[j] = Math.max(hi[j], p[j]);
    }
  }
  const lim = [0, 1].map((j) => {
    const span = hi[j] - lo[j] > 0 ? hi[j] - lo[j] : 1;
    return [lo[j] - margin * span, hi[j] + margin * span];
  });
  return { xlim: lim[0], ylim: lim[1] };
}

/**
 * `v` limited to `[lo, hi]`.
 * @param {number} v
 * @param {number} lo
 * @param {number} hi
 * @returns {number}
 */
export function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * A number for people: fixed digits, a real minus sign, no "-0.00".
 * @param {number} v
 * @param {number} [digits]
 * @returns {string}
 */
export function fmt(v, digits = 2) {
  if (!Number.isFinite(v)) return v > 0 ? "∞" : v < 0 ? "−∞" : "undefined";
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s.replace("-", "−");
}

/**
 * SVG path data of a marker centred at `(x, y)` with "radius" `r` (pixels).
 * @param {string} shape one of {@link MARKERS}
 * @param {number} x
 * @param {number} y
 * @param {number} r
 * @returns {string}
 */
export function markerPath(shape, x, y, r) {
  const poly = (pts) => `M${pts.map(([a, b]) => `${(x + a).toFixed(2)},${(y + b).toFixed(2)}`).join("L")}Z`;
  const t = 0.35 * r;
  switch (shape) {
    case "circle":
      return `M${x - r},${y}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case "square":
      return poly([[-0.85 * r, -0.85 * r], [0.85 * r, -0.85 * r], [0.85 * r, 0.85 * r], [-0.85 * r, 0.85 * r]]);
    case "triangle":
      return poly([[0, -1.15 * r], [r, 0.75 * r], [-r, 0.75 * r]]);
    case "triangle-down":
      return poly([[0, 1.15 * r], [r, -0.75 * r], [-r, -0.75 * r]]);
    case "diamond":
      return poly([[0, -1.2 * r], [r, 0], [0, 1.2 * r], [-r, 0]]);
    case "plus":
      return poly([[-t, -r], [t, -r], [t, -t], [r, -t], [r, t], [t, t], [t, r], [-t, r], [-t, t], [-r, t], [-r, -t], [-t, -t]]);
    case "cross": {
      const c = Math.SQRT1_2;
      const rot = ([a, b]) => [c * (a - b), c * (a + b)];
      return poly([[-t, -r], [t, -r], [t, -t], [r, -t], [r, t], [t, t], [t, r], [-t, r], [-t, t], [-r, t], [-r, -t], [-t, -t]].map(rot));
    }
    case "star": {
      const pts = [];
      for (let i = 0; i < 10; i++) {
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        const rr = i % 2 ? 0.45 * r : 1.2 * r;
        pts.push([rr * Math.cos(a), rr * Math.sin(a)]);
      }
      return poly(pts);
    }
    default:
      throw new Error(`markerPath: unknown shape ${JSON.stringify(shape)}; use one of ${MARKERS.join(", ")}.`);
  }
}

/**
 * Points (in data coordinates) on an ellipse with semi-axes `rx`, `ry`, its first axis at
 * `angleDegrees` counter-clockwise from the x axis, centred at `center`.
 * @param {number[]} center `[x, y]`
 * @param {{rx: number, ry: number, angleDegrees: number}} geom
 * @param {number} [n] number of points
 * @returns {number[][]}
 */
export function ellipsePoints(center, geom, n = 64) {
  const a = (geom.angleDegrees * Math.PI) / 180;
  const ca = Math.cos(a);
  const sa = Math.sin(a);
  const pts = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    const u = geom.rx * Math.cos(t);
    const v = geom.ry * Math.sin(t);
    pts.push([center[0] + ca * u - sa * v, center[1] + sa * u + ca * v]);
  }
  return pts;
}

/**
 * SVG path data of the `nStd` contour of N(mean, cov) drawn through scales `sx`, `sy`
 * (exact for any aspect ratio, since the outline is mapped point by point).
 * @param {number[]} mean
 * @param {number[][]} cov 2 x 2
 * @param {number} nStd
 * @param {(v: number) => number} sx
 * @param {(v: number) => number} sy
 * @returns {string}
 */
export function covariancePath(mean, cov, nStd, sx, sy) {
  const pts = ellipsePoints(mean, ellipseGeometry(cov, nStd), 72);
  return `M${pts.map(([x, y]) => `${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join("L")}Z`;
}

/**
 * Line segments where a grid function crosses `level` (marching squares, no joining).
 * `values[j * nx + i]` is the value at grid node (i, j); segment ends are in fractional
 * grid coordinates `[i, j]` (map them to data with the grid's spacing).
 * @param {ArrayLike<number>} values nx * ny values, row by row
 * @param {number} nx
 * @param {number} ny
 * @param {number} level
 * @returns {number[][][]} segments `[[i0, j0], [i1, j1]]`
 */
export function contourSegments(values, nx, ny, level) {
  const segs = [];
  const at = (i, j) => values[j * nx + i] - level;
  const cross = (a, b) => a / (a - b);
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const v = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
      const corners = [[i, j], [i + 1, j], [i + 1, j + 1], [i, j + 1]];
      const pts = [];
      for (let e = 0; e < 4; e++) {
        const a = v[e];
        const b = v[(e + 1) % 4];
        if ((a < 0) !== (b < 0)) {
          const t = cross(a, b);
          const p = corners[e];
          const q = corners[(e + 1) % 4];
          pts.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
      }
      if (pts.length === 2) segs.push(pts);
      else if (pts.length === 4) segs.push([pts[0], pts[1]], [pts[2], pts[3]]);
    }
  }
  return segs;
}

/**
 * A regular grid over a panel's limits: `points` (row by row, y from the bottom) and a
 * function mapping fractional grid coordinates back to data.
 * @param {number[]} xlim
 * @param {number[]} ylim
 * @param {number} nx
 * @param {number} ny
 * @returns {{points: number[][], nx: number, ny: number, toData: (g: number[]) => number[]}}
 */
export function grid(xlim, ylim, nx, ny) {
  const dx = (xlim[1] - xlim[0]) / (nx - 1);
  const dy = (ylim[1] - ylim[0]) / (ny - 1);
  const points = [];
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) points.push([xlim[0] + i * dx, ylim[0] + j * dy]);
  return { points, nx, ny, toData: ([i, j]) => [xlim[0] + i * dx, ylim[0] + j * dy] };
}

/**
 * Whether the reader asked the system for reduced motion.
 * @returns {boolean}
 */
export function prefersReducedMotion() {
  return typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
}

// ------------------------------------------------------------------------- DOM helpers

/**
 * Create an element (HTML, or SVG when `tag` is an SVG tag and `ns` is SVG_NS).
 * @param {string} tag
 * @param {Object<string, any>} [attrs] attributes; `text` sets textContent, `class` the class
 * @param {Element} [parent]
 * @param {string} [ns]
 * @returns {any}
 */
export function el(tag, attrs = {}, parent = undefined, ns = undefined) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  if (parent) parent.appendChild(node);
  return node;
}

/**
 * An SVG element.
 * @param {string} tag
 * @param {Object<string, any>} [attrs]
 * @param {Element} [parent]
 * @returns {any}
 */
export function svgEl(tag, attrs = {}, parent = undefined) {
  return el(tag, attrs, parent, SVG_NS);
}

let uid = 0;
/** @param {string} prefix @returns {string} a page-unique id */
export function uniqueId(prefix = "emlib") {
  uid += 1;
  return `${prefix}-${uid}-${Math.random().toString(36).slice(2, 7)}`;
}

/**
 * The live lab's frame inside the lab root: hides the still image, adds a heading, a
 * figure area (panels wrap under each other on a phone), a control area and the lab's one
 * ARIA live region.
 * @param {HTMLElement} root the `[data-emlib-lab]` element
 * @param {{title: string, description?: string}} opts
 * @returns {{container: HTMLElement, figures: HTMLElement, controls: HTMLElement,
 *   live: {say: (text: string) => void, node: HTMLElement}}}
 */
export function labShell(root, { title, description }) {
  for (const still of root.querySelectorAll(".emlib-lab-still")) still.hidden = true;
  root.querySelector(".emlib-live")?.remove();
  const container = el("section", { class: "emlib-live", "aria-label": title }, root);
  el("p", { class: "emlib-live-title", text: title }, container);
  if (description) el("p", { class: "emlib-live-help", text: description }, container);
  const figures = el("div", { class: "emlib-live-figures" }, container);
  const controls = el("div", { class: "emlib-live-controls" }, container);
  const live = liveRegion(container);
  return { container, figures, controls, live };
}

/**
 * The lab's ARIA live region (polite): `say(text)` announces what changed in words and
 * shows it as the lab's status line.
 * @param {HTMLElement} parent
 * @returns {{say: (text: string) => void, node: HTMLElement}}
 */
export function liveRegion(parent) {
  const node = el("p", { class: "emlib-live-status", role: "status", "aria-live": "polite" }, parent);
  return {
    node,
    say(text) {
      if (node.textContent !== text) node.textContent = text;
    },
  };
}

/**
 * A responsive SVG: viewBox `0 0 width height`, 100 % of its container's width.
 * @param {HTMLElement} parent
 * @param {{width: number, height: number, label: string, maxWidth?: number}} opts
 *   `maxWidth` (CSS px, default 1.4 x width) caps how far the figure grows.
 *   `label` is the figure's accessible name (role="img" is not used: the SVG holds
 *   focusable handles).
 * @returns {SVGSVGElement}
 */
export function createSvg(parent, { width, height, label, maxWidth }) {
  const wrap = el("div", { class: "emlib-live-figure" }, parent);
  // Side by side where they fit, one under the other on a phone; never blown up much
  // beyond their design size (text stays readable, bars do not fill a desktop column).
  wrap.style.maxWidth = `${maxWidth ?? Math.round(1.4 * width)}px`;
  wrap.style.flexBasis = `${Math.round(0.85 * Math.min(width, 420))}px`;
  const svg = svgEl("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "emlib-live-svg",
    "aria-label": label,
    role: "group",
    preserveAspectRatio: "xMidYMid meet",
  }, wrap);
  return svg;
}

/**
 * A plotting panel inside an SVG: scales, clip path, axes with ticks and labels.
 * @param {SVGSVGElement} svg
 * @param {{x?: number, y?: number, width: number, height: number, xlim: number[],
 *   ylim: number[], equal?: boolean, xlabel?: string, ylabel?: string,
 *   margin?: {left: number, right: number, top: number, bottom: number}, ticks?: number,
 *   yTicks?: boolean}} opts the box (viewBox units) includes the margins for the axes
 * @returns {{g: SVGGElement, plot: SVGGElement, sx: any, sy: any, xlim: number[],
 *   ylim: number[], box: {x: number, y: number, width: number, height: number},
 *   axes: SVGGElement, setLimits: (xlim: number[], ylim: number[]) => void,
 *   toData: (evt: {clientX: number, clientY: number}) => number[]}}
 */
export function createPanel(svg, opts) {
  const m = { left: 38, right: 8, top: 10, bottom: 36, ...(opts.margin || {}) };
  const box = {
    x: (opts.x || 0) + m.left,
    y: (opts.y || 0) + m.top,
    width: opts.width - m.left - m.right,
    height: opts.height - m.top - m.bottom,
  };
  const g = svgEl("g", { class: "emlib-panel" }, svg);
  const clipId = uniqueId("clip");
  const clip = svgEl("clipPath", { id: clipId }, svgEl("defs", {}, g));
  svgEl("rect", { x: box.x, y: box.y, width: box.width, height: box.height }, clip);
  svgEl("rect", { x: box.x, y: box.y, width: box.width, height: box.height, class: "emlib-plot-bg" }, g);
  const axes = svgEl("g", { class: "emlib-axes", "aria-hidden": "true" }, g);
  const plot = svgEl("g", { "clip-path": `url(#${clipId})` }, g);
  const panel = { g, plot, axes, box, sx: null, sy: null, xlim: null, ylim: null };
  panel.setLimits = (xlim, ylim) => {
    let lim = { xlim: [...xlim], ylim: [...ylim] };
    if (opts.equal) lim = equalAspectLimits(lim.xlim, lim.ylim, box.width, box.height);
    panel.xlim = lim.xlim;
    panel.ylim = lim.ylim;
    panel.sx = linearScale(lim.xlim, [box.x, box.x + box.width]);
    panel.sy = linearScale(lim.ylim, [box.y + box.height, box.y]);
    drawAxes(axes, panel, opts);
  };
  panel.toData = (evt) => {
    const p = clientToSvg(svg, evt.clientX, evt.clientY);
    return [panel.sx.invert(p.x), panel.sy.invert(p.y)];
  };
  panel.setLimits(opts.xlim, opts.ylim);
  return panel;
}

/**
 * (Re)draw a panel's frame, ticks and axis labels.
 * @param {SVGGElement} axes
 * @param {any} panel
 * @param {{xlabel?: string, ylabel?: string, ticks?: number, xTicks?: boolean,
 *   yTicks?: boolean, xTickFormat?: (v: number) => string}} opts `xTicks`/`yTicks` false:
 *   no ticks on that axis
 */
export function drawAxes(axes, panel, opts) {
  axes.replaceChildren();
  const { box, sx, sy } = panel;
  const n = opts.ticks || 5;
  svgEl("rect", { x: box.x, y: box.y, width: box.width, height: box.height, class: "emlib-frame" }, axes);
  const bottom = box.y + box.height;
  const xt = opts.xTicks === false ? [] : sx.ticks(n);
  const xf = opts.xTickFormat || tickFormat(xt);
  for (const t of xt) {
    const x = sx(t);
    svgEl("line", { x1: x, x2: x, y1: bottom, y2: bottom + 4, class: "emlib-tick" }, axes);
    svgEl("text", { x, y: bottom + 15, "text-anchor": "middle", class: "emlib-tick-label", text: xf(t) }, axes);
  }
  if (opts.yTicks !== false) {
    const yt = sy.ticks(Math.max(3, n - 1));
    const yf = tickFormat(yt);
    for (const t of yt) {
      const y = sy(t);
      svgEl("line", { x1: box.x - 4, x2: box.x, y1: y, y2: y, class: "emlib-tick" }, axes);
      svgEl("text", { x: box.x - 6, y: y + 4, "text-anchor": "end", class: "emlib-tick-label", text: yf(t) }, axes);
    }
  }
  if (opts.xlabel) {
    svgEl("text", { x: box.x + box.width / 2, y: bottom + 29, "text-anchor": "middle", class: "emlib-axis-label", text: opts.xlabel }, axes);
  }
  if (opts.ylabel) {
    svgEl("text", {
      x: 0, y: 0, "text-anchor": "middle", class: "emlib-axis-label", text: opts.ylabel,
      transform: `translate(${box.x - 28},${box.y + box.height / 2}) rotate(-90)`,
    }, axes);
  }
}

/**
 * A formatter for a list of ticks: as many decimals as their spacing needs.
 * @param {number[]} ticks
 * @returns {(v: number) => string}
 */
export function tickFormat(ticks) {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const digits = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => fmt(v, digits);
}

/**
 * Client (CSS pixel) coordinates to the SVG's viewBox coordinates.
 * @param {SVGSVGElement} svg
 * @param {number} clientX
 * @param {number} clientY
 * @returns {{x: number, y: number}}
 */
export function clientToSvg(svg, clientX, clientY) {
  const ctm = svg.getScreenCTM();
  if (!ctm) return { x: 0, y: 0 };
  const inv = ctm.inverse();
  return { x: inv.a * clientX + inv.c * clientY + inv.e, y: inv.b * clientX + inv.d * clientY + inv.f };
}

/**
 * A draggable point: a visible marker, a transparent hit circle of at least 44 CSS px,
 * Pointer Events with pointer capture (mouse, pen, touch; `touch-action: none` so a drag
 * does not scroll the page), and the keyboard (arrow keys; Shift for ten times larger steps).
 * The handle is clamped to the panel's limits (or `bounds`).
 *
 * @param {any} panel from {@link createPanel}
 * @param {{name: string, label: string, value: number[], onMove: (p: number[], how: string) => void,
 *   onEnd?: (p: number[]) => void, shape?: string, color?: string, radius?: number,
 *   step?: number[], bounds?: {xlim: number[], ylim: number[]}}} opts
 *   `onMove(point, how)` gets the clamped data point; `how` is "pointer" or "key".
 * @returns {{node: SVGGElement, get: () => number[], set: (p: number[]) => void,
 *   setColor: (c: string) => void, setLabel: (s: string) => void}}
 */
export function handle(panel, opts) {
  const g = svgEl("g", {
    class: "emlib-handle",
    "data-emlib-handle": opts.name,
    tabindex: 0,
    role: "button",
    "aria-label": opts.label,
    "aria-roledescription": "draggable point",
  }, panel.g);
  const r = opts.radius || 9;
  const hit = svgEl("circle", { r: 28, class: "emlib-hit" }, g);
  const mark = svgEl("path", { class: "emlib-handle-mark", fill: opts.color || "#ffffff" }, g);
  let pos = [...opts.value];
  const bounds = () => opts.bounds || { xlim: panel.xlim, ylim: panel.ylim };
  const limit = (p) => {
    const b = bounds();
    return [clamp(p[0], Math.min(...b.xlim), Math.max(...b.xlim)), clamp(p[1], Math.min(...b.ylim), Math.max(...b.ylim))];
  };
  const draw = () => {
    const x = panel.sx(pos[0]);
    const y = panel.sy(pos[1]);
    hit.setAttribute("cx", x);
    hit.setAttribute("cy", y);
    mark.setAttribute("d", markerPath(opts.shape || "circle", x, y, r));
  };
  const move = (p, how) => {
    pos = limit(p);
    draw();
    opts.onMove([...pos], how);
  };
  let dragging = null;
  // Inside an SVG, Chromium ignores `touch-action` on child elements, so a finger on the
  // handle would also pan the page: cancel the touches' default action (the pointer events
  // still arrive and drive the drag).
  const noScroll = (evt) => {
    if (evt.cancelable) evt.preventDefault();
  };
  g.addEventListener("touchstart", noScroll, { passive: false });
  g.addEventListener("touchmove", noScroll, { passive: false });
  g.addEventListener("pointerdown", (evt) => {
    if (evt.button !== undefined && evt.button > 0) return;
    evt.preventDefault();
    g.setPointerCapture?.(evt.pointerId);
    const p = panel.toData(evt);
    dragging = { id: evt.pointerId, dx: pos[0] - p[0], dy: pos[1] - p[1] };
    g.classList.add("emlib-dragging");
    g.focus({ preventScroll: true });
  });
  g.addEventListener("pointermove", (evt) => {
    if (!dragging || evt.pointerId !== dragging.id) return;
    evt.preventDefault();
    const p = panel.toData(evt);
    move([p[0] + dragging.dx, p[1] + dragging.dy], "pointer");
  });
  const end = (evt) => {
    if (!dragging || evt.pointerId !== dragging.id) return;
    dragging = null;
    g.classList.remove("emlib-dragging");
    opts.onEnd?.([...pos]);
  };
  g.addEventListener("pointerup", end);
  g.addEventListener("pointercancel", end);
  g.addEventListener("lostpointercapture", end);
  g.addEventListener("keydown", (evt) => {
    const dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    const d = dirs[evt.key];
    if (!d) return;
    evt.preventDefault();
    const b = bounds();
    const step = opts.step || [Math.abs(b.xlim[1] - b.xlim[0]) / 50, Math.abs(b.ylim[1] - b.ylim[0]) / 50];
    const f = evt.shiftKey ? 10 : 1;
    move([pos[0] + d[0] * step[0] * f, pos[1] + d[1] * step[1] * f], "key");
    opts.onEnd?.([...pos]);
  });
  draw();
  return {
    node: g,
    get: () => [...pos],
    set(p) {
      pos = limit(p);
      draw();
    },
    setColor(c) {
      mark.setAttribute("fill", c);
    },
    setLabel(s) {
      g.setAttribute("aria-label", s);
    },
  };
}

/**
 * A background image of a panel: `colorAt(index)` gives `[r, g, b]` (0..1) for each node of
 * a {@link grid} over the panel's limits; drawn on a small canvas and shown, smoothed, as
 * an SVG `<image>` under the data (one element, whatever the resolution).
 * @param {any} panel
 * @param {{nx: number, ny: number}} g
 * @param {(index: number) => number[]} colorAt
 * @returns {SVGImageElement}
 */
export function heatmap(panel, g, colorAt) {
  const canvas = document.createElement("canvas");
  canvas.width = g.nx;
  canvas.height = g.ny;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(g.nx, g.ny);
  for (let j = 0; j < g.ny; j++) {
    for (let i = 0; i < g.nx; i++) {
      const c = colorAt(j * g.nx + i);
      const o = 4 * ((g.ny - 1 - j) * g.nx + i);
      img.data[o] = Math.round(255 * c[0]);
      img.data[o + 1] = Math.round(255 * c[1]);
      img.data[o + 2] = Math.round(255 * c[2]);
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  const { sx, sy, xlim, ylim } = panel;
  const hx = (xlim[1] - xlim[0]) / (g.nx - 1) / 2;
  const hy = (ylim[1] - ylim[0]) / (g.ny - 1) / 2;
  const x0 = sx(xlim[0] - hx);
  const y0 = sy(ylim[1] + hy);
  return svgEl("image", {
    href: canvas.toDataURL(), x: x0, y: y0, width: sx(xlim[1] + hx) - x0, height: sy(ylim[0] - hy) - y0,
    preserveAspectRatio: "none", "aria-hidden": "true",
  }, panel.plot);
}

/**
 * SVG path data of a contour (from {@link contourSegments}) drawn through a panel.
 * @param {any} panel
 * @param {number[][][]} segs
 * @param {(g: number[]) => number[]} toData grid-to-data map from {@link grid}
 * @returns {string}
 */
export function contourPath(panel, segs, toData) {
  return segs.map((s) => {
    const [a, b] = s.map((q) => toData(q));
    return `M${panel.sx(a[0]).toFixed(1)},${panel.sy(a[1]).toFixed(1)}L${panel.sx(b[0]).toFixed(1)},${panel.sy(b[1]).toFixed(1)}`;
  }).join("");
}

/**
 * A mixture drawn on a 2-D panel: one `nStd` ellipse per component in its colour, and its
 * mean as a marker of the component's shape with its number beside it (colour is never the
 * only cue). `update(params)` redraws in place; `ghost(params)` shows earlier parameters
 * dashed (or hides them with `null`).
 * @param {any} panel
 * @param {number} K
 * @param {{nStd?: number, colors?: string[]}} [opts]
 * @returns {{update: (params: any) => void, ghost: (params: any|null) => void}}
 */
export function mixtureLayer(panel, K, opts = {}) {
  const nStd = opts.nStd ?? 2;
  const colors = opts.colors || COLORS;
  const ghostG = svgEl("g", { class: "emlib-ghost", "aria-hidden": "true" }, panel.plot);
  const g = svgEl("g", { class: "emlib-mixture", "aria-hidden": "true" }, panel.plot);
  const items = [];
  const ghosts = [];
  for (let k = 0; k < K; k++) {
    ghosts.push({
      ell: svgEl("path", { fill: "none", stroke: colors[k], "stroke-width": 1.6, "stroke-dasharray": "5 4", opacity: 0.9 }, ghostG),
      mean: svgEl("path", { fill: "#ffffff", stroke: colors[k], "stroke-width": 1.4 }, ghostG),
      arrow: svgEl("line", { stroke: "#000", "stroke-width": 1.2 }, ghostG),
    });
    items.push({
      ell: svgEl("path", { fill: "none", stroke: colors[k], "stroke-width": 2.4 }, g),
      mean: svgEl("path", { fill: colors[k], stroke: "#000", "stroke-width": 1 }, g),
      label: svgEl("text", { class: "emlib-mean-label", text: String(k + 1) }, g),
    });
  }
  ghostG.setAttribute("visibility", "hidden");
  let current = null;
  return {
    update(params) {
      current = params;
      const covs = fullCovariances(params);
      for (let k = 0; k < K; k++) {
        const m = params.means[k];
        items[k].ell.setAttribute("d", covariancePath(m, covs[k], nStd, panel.sx, panel.sy));
        const x = panel.sx(m[0]);
        const y = panel.sy(m[1]);
        items[k].mean.setAttribute("d", markerPath(MARKERS[k], x, y, 6));
        items[k].label.setAttribute("x", x + 8);
        items[k].label.setAttribute("y", y - 7);
      }
    },
    ghost(params) {
      if (!params) {
        ghostG.setAttribute("visibility", "hidden");
        return;
      }
      ghostG.setAttribute("visibility", "visible");
      const covs = fullCovariances(params);
      for (let k = 0; k < K; k++) {
        const m = params.means[k];
        ghosts[k].ell.setAttribute("d", covariancePath(m, covs[k], nStd, panel.sx, panel.sy));
        ghosts[k].mean.setAttribute("d", markerPath(MARKERS[k], panel.sx(m[0]), panel.sy(m[1]), 5));
        const to = current ? current.means[k] : m;
        for (const [a, v] of [["x1", panel.sx(m[0])], ["y1", panel.sy(m[1])], ["x2", panel.sx(to[0])], ["y2", panel.sy(to[1])]]) {
          ghosts[k].arrow.setAttribute(a, v);
        }
      }
    },
  };
}

/**
 * The data points of a 2-D panel as small filled circles, painted on one canvas (inside an
 * SVG `<foreignObject>` over the plot box, in the layer order of the call): recolouring
 * hundreds of points on every pointer move then costs one canvas redraw instead of restyling
 * and repainting hundreds of SVG elements (measured with Chromium's tracing: style recalc
 * and paint per frame fell about five-fold for N = 500). The canvas has as many pixels as
 * the panel shows on screen (device pixels, at least one per viewBox unit) and follows the
 * window's size; redraws are coalesced to one per task.
 * @param {any} panel
 * @param {number[][]} X N x 2
 * @param {{r?: number, color?: string}} [opts] `r` in viewBox units
 * @returns {{canvas: HTMLCanvasElement, setColors: (c: string|string[]) => void,
 *   setOpacity: (o: number|number[]) => void}}
 */
export function pointsLayer(panel, X, opts = {}) {
  const r = opts.r ?? 2.6;
  const { x: bx, y: by, width: bw, height: bh } = panel.box;
  const fo = svgEl("foreignObject", {
    x: bx, y: by, width: bw, height: bh, class: "emlib-points", "aria-hidden": "true",
  }, panel.plot);
  fo.style.pointerEvents = "none";
  const canvas = document.createElement("canvas");
  canvas.style.cssText = "display:block;width:100%;height:100%;pointer-events:none";
  fo.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  const px = X.map((p) => panel.sx(p[0]) - bx);
  const py = X.map((p) => panel.sy(p[1]) - by);
  let colors = opts.color || NEUTRAL;
  let opacity = 1;
  let queued = false;
  let scale = 0;
  const fit = () => {
    // device pixels per viewBox unit, as the panel is shown now
    const ctm = panel.plot.getScreenCTM?.();
    const k = clamp((ctm ? Math.hypot(ctm.a, ctm.b) : 1) * (window.devicePixelRatio || 1), 1, 4);
    if (Math.abs(k - scale) < 0.05) return false;
    scale = k;
    canvas.width = Math.max(1, Math.round(bw * scale));
    canvas.height = Math.max(1, Math.round(bh * scale));
    return true;
  };
  const draw = () => {
    queued = false;
    if (!ctx) return;
    if (!scale) fit();
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, bw, bh);
    for (let i = 0; i < px.length; i++) {
      ctx.globalAlpha = Array.isArray(opacity) ? opacity[i] : opacity;
      ctx.fillStyle = Array.isArray(colors) ? colors[i] : colors;
      ctx.beginPath();
      ctx.arc(px[i], py[i], r, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  };
  const redraw = () => {
    if (queued) return;
    queued = true;
    queueMicrotask(draw);
  };
  window.addEventListener("resize", () => {
    if (fit()) draw();
  });
  requestAnimationFrame(() => {
    if (fit()) draw(); // once the panel is laid out
  });
  draw();
  return {
    canvas,
    setColors(c) {
      colors = Array.isArray(c) ? c.slice() : c;
      redraw();
    },
    setOpacity(o) {
      opacity = Array.isArray(o) ? o.slice() : o;
      redraw();
    },
  };
}

/**
 * SVG path data of a polyline through `(xs[i], ys[i])` on a panel.
 * @param {any} panel
 * @param {number[]} xs
 * @param {number[]} ys
 * @returns {string}
 */
export function linePath(panel, xs, ys) {
  return xs.map((x, i) => `${i ? "L" : "M"}${panel.sx(x).toFixed(1)},${panel.sy(ys[i]).toFixed(1)}`).join("");
}

/**
 * A real `<button>` named by its visible text.
 * @param {HTMLElement} parent
 * @param {string} text
 * @param {() => void} onClick
 * @param {{title?: string}} [opts]
 * @returns {HTMLButtonElement}
 */
export function button(parent, text, onClick, opts = {}) {
  const b = el("button", { type: "button", class: "emlib-button", text, title: opts.title }, parent);
  b.addEventListener("click", () => onClick());
  return b;
}

/**
 * A labelled range slider with its value shown beside it.
 * @param {HTMLElement} parent
 * @param {{label: string, min: number, max: number, step: number, value: number,
 *   onInput: (v: number) => void, format?: (v: number) => string, name?: string,
 *   wide?: boolean}} opts
 * @returns {{input: HTMLInputElement, get: () => number, set: (v: number) => void}}
 */
export function slider(parent, opts) {
  const id = uniqueId("slider");
  const wrap = el("div", { class: `emlib-slider${opts.wide ? " emlib-slider-wide" : ""}` }, parent);
  el("label", { for: id, text: opts.label }, wrap);
  const input = el("input", {
    id, type: "range", min: opts.min, max: opts.max, step: opts.step, value: opts.value,
    name: opts.name,
  }, wrap);
  const format = opts.format || ((v) => fmt(v, 2));
  const out = el("output", { for: id, text: format(opts.value) }, wrap);
  input.addEventListener("input", () => {
    const v = Number(input.value);
    out.textContent = format(v);
    input.setAttribute("aria-valuetext", format(v));
    opts.onInput(v);
  });
  return {
    input,
    get: () => Number(input.value),
    set(v) {
      input.value = String(v);
      out.textContent = format(Number(input.value));
      input.setAttribute("aria-valuetext", format(Number(input.value)));
    },
  };
}

/**
 * A labelled `<select>`.
 * @param {HTMLElement} parent
 * @param {{label: string, options: Array<{value: string, text: string}|string>,
 *   value: string, onChange: (v: string) => void, name?: string}} opts
 * @returns {{select: HTMLSelectElement, get: () => string, set: (v: string) => void}}
 */
export function select(parent, opts) {
  const id = uniqueId("select");
  const wrap = el("div", { class: "emlib-select" }, parent);
  el("label", { for: id, text: opts.label }, wrap);
  const sel = el("select", { id, name: opts.name }, wrap);
  for (const o of opts.options) {
    const { value, text } = typeof o === "string" ? { value: o, text: o } : o;
    el("option", { value, text }, sel);
  }
  sel.value = String(opts.value);
  sel.addEventListener("change", () => opts.onChange(sel.value));
  return { select: sel, get: () => sel.value, set: (v) => { sel.value = String(v); } };
}

/**
 * A bar chart of values in `[0, ymax]` with a label under each bar and its value above it.
 * Bars carry a hatch-free second cue: the label text (component number or name).
 * @param {SVGSVGElement} svg
 * @param {{x?: number, y?: number, width: number, height: number, labels: string[],
 *   colors: string[], ymax?: number, gaps?: number[], caption?: string,
 *   groupLabels?: Array<{text: string, from: number, to: number}>,
 *   format?: (v: number) => string}} opts `gaps[i]` extra space before bar i
 * @returns {{set: (values: number[], targets?: number[]) => void, panel: any}}
 */
export function barChart(svg, opts) {
  const n = opts.labels.length;
  const gaps = opts.gaps || new Array(n).fill(0);
  const units = n + gaps.reduce((a, b) => a + b, 0);
  const panel = createPanel(svg, {
    x: opts.x, y: opts.y, width: opts.width, height: opts.height,
    xlim: [0, units], ylim: [0, opts.ymax || 1.1], xTicks: false, ticks: 4,
    margin: { left: 34, right: 6, top: opts.caption ? 24 : 10, bottom: opts.groupLabels ? 44 : 28 },
  });
  if (opts.caption) {
    svgEl("text", { x: panel.box.x, y: panel.box.y - 8, class: "emlib-caption", text: opts.caption }, panel.g);
  }
  const format = opts.format || ((v) => fmt(v, 2));
  const bars = [];
  let u = 0;
  const centres = [];
  for (let i = 0; i < n; i++) {
    u += gaps[i];
    const c = u + 0.5;
    centres.push(c);
    u += 1;
    const x0 = panel.sx(c - 0.36);
    const w = panel.sx(c + 0.36) - x0;
    const rect = svgEl("rect", { x: x0, width: w, y: panel.sy(0), height: 0, fill: opts.colors[i], class: "emlib-bar" }, panel.plot);
    const target = svgEl("line", { x1: x0 - 3, x2: x0 + w + 3, class: "emlib-bar-target", visibility: "hidden" }, panel.g);
    const value = svgEl("text", { x: panel.sx(c), "text-anchor": "middle", class: "emlib-bar-value" }, panel.g);
    svgEl("text", { x: panel.sx(c), y: panel.box.y + panel.box.height + 15, "text-anchor": "middle", class: "emlib-tick-label", text: opts.labels[i] }, panel.g);
    bars.push({ rect, value, target });
  }
  for (const gl of opts.groupLabels || []) {
    const cx = (panel.sx(centres[gl.from]) + panel.sx(centres[gl.to])) / 2;
    svgEl("text", { x: cx, y: panel.box.y + panel.box.height + 34, "text-anchor": "middle", class: "emlib-axis-label", text: gl.text }, panel.g);
  }
  return {
    panel,
    set(values, targets) {
      values.forEach((v, i) => {
        const top = panel.sy(clamp(v, 0, panel.ylim[1]));
        const b = bars[i];
        b.rect.setAttribute("y", top);
        b.rect.setAttribute("height", Math.max(0, panel.sy(0) - top));
        let labelY = top - 3;
        if (targets && targets[i] !== undefined) {
          const ty = panel.sy(clamp(targets[i], 0, panel.ylim[1]));
          b.target.setAttribute("y1", ty);
          b.target.setAttribute("y2", ty);
          b.target.setAttribute("visibility", "visible");
          labelY = Math.min(labelY, ty - 3);
        }
        b.value.setAttribute("y", Math.max(panel.box.y + 8, labelY));
        b.value.textContent = format(v);
      });
    },
  };
}

/**
 * A requestAnimationFrame loop that calls `step()` at most every `interval` ms while running.
 * `step` returns false to stop the loop. With prefers-reduced-motion, `start()` does one
 * step and stops (the reader steps explicitly), unless `force` is given.
 * @param {() => boolean|void} step
 * @param {{interval?: number, onStop?: () => void}} [opts]
 * @returns {{start: (force?: boolean) => void, stop: () => void, running: () => boolean}}
 */
export function runLoop(step, opts = {}) {
  const interval = opts.interval ?? 1000 / 30;
  let frame = null;
  let last = -Infinity;
  const stop = () => {
    if (frame !== null) cancelAnimationFrame(frame);
    const was = frame !== null;
    frame = null;
    if (was) opts.onStop?.();
  };
  const tick = (now) => {
    if (frame === null) return;
    // Half a 60-Hz frame of slack, and steps paced on a fixed clock (a late frame makes the
    // next step come sooner): the rate holds at 1000 / interval whether the browser draws at
    // 30, 60 or 120 Hz, and a frame that is a little early or late does not skip a step.
    if (now - last >= interval - 8) {
      last = now - last > 2 * interval ? now : last + interval;
      if (step() === false) {
        stop();
        return;
      }
    }
    frame = requestAnimationFrame(tick);
  };
  return {
    start(force = false) {
      if (frame !== null) return;
      if (prefersReducedMotion() && !force) {
        step();
        opts.onStop?.();
        return;
      }
      last = -Infinity;
      frame = requestAnimationFrame(tick);
    },
    stop,
    running: () => frame !== null,
  };
}

/**
 * The JSON config a lab root carries (`<script type="application/json" class="emlib-lab-config">`).
 * @param {HTMLElement} root
 * @returns {any}
 */
export function readConfig(root) {
  const node = root.querySelector("script.emlib-lab-config");
  return node ? JSON.parse(node.textContent) : {};
}
