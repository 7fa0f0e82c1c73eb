// SPDX-License-Identifier: MIT
/**
 * Mounts the live labs of a page. `site/course_site.py` loads this module (as
 * `<script type="module">`) on every page that holds a lab, from `_vendor/labs/main.js`.
 *
 * A lab is an element `<div class="emlib-lab" data-emlib-lab="<name>">` (made by
 * `emlib.labs._web.WebLab` when the book is built) holding its JSON config in
 * `<script type="application/json" class="emlib-lab-config">` and a still image of its first
 * state. For each one, this module imports `./<name>.js` and calls its
 * `mount(root, config)`, which builds the live lab inside `root` and returns an API with at
 * least `state()`. Then:
 *
 * - `root.emlibLab` is that API (`root.emlibLab.state()` gives the lab's state as plain
 *   JSON: see site/labs/SPEC.md for what it holds);
 * - `root.dataset.emlibReady === "true"` (the attribute `data-emlib-ready="true"`), and a
 *   `emlib-lab-ready` event bubbles from `root`.
 *
 * If a lab cannot start, the reason is shown in the lab's box (role="alert"), the still image
 * stays visible, `data-emlib-error` holds the message and the error goes to the console.
 * When every lab of the page has been tried, `<html>` gets `data-emlib-labs="ready"`.
 *
 * @module main
 */

/** Lab names are module names: lower-case words joined by underscores. */
const NAME = /^[a-z][a-z0-9_]*$/;

/** Add the labs' stylesheet (next to this module) once. */
function addStylesheet(doc) {
  const href = new URL("./labs.css", import.meta.url).href;
  if (doc.querySelector(`link[data-emlib-labs-css]`)) return;
  const link = doc.createElement("link");
  link.rel = "stylesheet";
  link.href = href;
  link.dataset.emlibLabsCss = "";
  doc.head.appendChild(link);
}

/**
 * Show why a lab could not start, inside its box, and keep the still image visible.
 * @param {HTMLElement} root
 * @param {string} name
 * @param {unknown} err
 */
function reportError(root, name, err) {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  console.error(`emlib lab "${name}" could not start:`, err);
  root.dataset.emlibError = message;
  for (const still of root.querySelectorAll(".emlib-lab-still")) still.hidden = false;
  let box = root.querySelector(".emlib-lab-error");
  if (!box) {
    box = root.ownerDocument.createElement("p");
    box.className = "emlib-lab-error";
    box.setAttribute("role", "alert");
    root.prepend(box);
  }
  box.textContent =
    `This lab could not start (${message}). The picture below shows its first state; ` +
    "the lab also runs in Colab.";
}

/**
 * Mount one lab.
 * @param {HTMLElement} root  an element with `data-emlib-lab`
 * @returns {Promise<object|null>}  the lab's API, or null if it failed (reported in the box)
 */
export async function mountLab(root) {
  const name = root.dataset.emlibLab || "";
  try {
    if (root.emlibLab) return root.emlibLab;
    if (!NAME.test(name)) throw new Error(`"${name}" is not a lab name`);
    const node = root.querySelector("script.emlib-lab-config");
    if (!node) throw new Error("the lab has no configuration (script.emlib-lab-config)");
    const t0 = performance.now();
    const config = JSON.parse(node.textContent);
    const module = await import(`./${name}.js`);
    if (typeof module.mount !== "function") throw new Error(`${name}.js has no mount(root, config)`);
    const t1 = performance.now();
    const api = await module.mount(root, config);
    // For benchmarks: how long the lab's module took to load and its mount() to run.
    performance.measure(`emlib-lab-load:${name}`, { start: t0, end: t1 });
    performance.measure(`emlib-lab-mount:${name}`, { start: t1, end: performance.now() });
    if (!api || typeof api.state !== "function") {
      throw new Error(`${name}.js mount() must return an object with a state() method`);
    }
    root.emlibLab = api;
    delete root.dataset.emlibError;
    root.dataset.emlibReady = "true";
    root.dispatchEvent(new CustomEvent("emlib-lab-ready", { bubbles: true, detail: { name } }));
    return api;
  } catch (err) {
    reportError(root, name, err);
    return null;
  }
}

/**
 * Mount every live lab of a document (elements with `data-emlib-lab` and a config; the
 * labs start independently, so one that fails does not stop the others).
 * @param {Document} [doc=document]
 * @returns {Promise<Array<object|null>>}
 */
export async function mountAll(doc = document) {
  const roots = [...doc.querySelectorAll("[data-emlib-lab]")].filter((root) =>
    root.querySelector("script.emlib-lab-config"),
  );
  if (roots.length) addStylesheet(doc);
  const apis = await Promise.all(roots.map((root) => mountLab(root)));
  doc.documentElement.dataset.emlibLabs = "ready";
  return apis;
}

// Module scripts run after the document has been parsed.
if (typeof document !== "undefined") {
  mountAll(document);
}
