/**
 * MathJax for jupyterquiz quizzes shown by emlib.quiz (inlined around each quiz's script).
 *
 * jupyterquiz typesets its questions with the page's global MathJax. Where there is none
 * that works (JupyterLab 4 keeps its MathJax to itself; an offline Colab or Jupyter cannot
 * fetch one), it used to ask a CDN for MathJax 3 and then failed with a TypeError. The quiz
 * script is run with `MathJax` bound to the object below instead: it hands the work to the
 * page's MathJax when there is a usable one, and otherwise rewrites the TeX of the quiz as
 * readable text (Greek letters, operators, sub- and superscripts in Unicode).
 */

/** TeX commands and their plain-text forms. @type {Record<string, string>} */
const EMLIB_TEX_SYMBOLS = {
  alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε",
  theta: "θ", kappa: "κ", lambda: "λ", mu: "μ", nu: "ν", xi: "ξ", pi: "π", rho: "ρ",
  sigma: "σ", tau: "τ", phi: "φ", varphi: "φ", chi: "χ", psi: "ψ", omega: "ω",
  Gamma: "Γ", Delta: "Δ", Theta: "Θ", Lambda: "Λ", Pi: "Π", Sigma: "Σ", Phi: "Φ",
  Psi: "Ψ", Omega: "Ω", sum: "∑", prod: "∏", int: "∫", infty: "∞", mid: "|",
  times: "×", cdot: "·", le: "≤", leq: "≤", ge: "≥", geq: "≥", ne: "≠", neq: "≠",
  approx: "≈", to: "→", rightarrow: "→", leftarrow: "←", in: "∈", sim: "~", pm: "±",
  partial: "∂", nabla: "∇", top: "ᵀ", ldots: "…", dots: "…", cdots: "⋯", log: "log",
  exp: "exp", det: "det", max: "max", min: "min", arg: "arg", KL: "KL", Vert: "‖",
  "|": "‖", lVert: "‖", rVert: "‖", langle: "⟨", rangle: "⟩",
};
/** @type {Record<string, string>} */
const EMLIB_SUB = {
  0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉",
  i: "ᵢ", j: "ⱼ", k: "ₖ", n: "ₙ", m: "ₘ", t: "ₜ", "+": "₊", "-": "₋",
};
/** @type {Record<string, string>} */
const EMLIB_SUP = {
  0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹",
  n: "ⁿ", i: "ⁱ", T: "ᵀ", "+": "⁺", "-": "⁻", "(": "⁽", ")": "⁾",
};

/**
 * TeX as readable plain text, e.g. `\pi_k \, \mathcal{N}(x \mid \mu_k)` -> `πₖ 𝒩(x | μₖ)`.
 * @param {string} tex
 * @returns {string}
 */
function emlibTexToText(tex) {
  let text = tex
    .replace(/\\mathcal\{N\}/g, "𝒩")
    .replace(/\\(?:mathrm|mathbf|mathcal|text|operatorname|boldsymbol)\{([^{}]*)\}/g, "$1")
    .replace(/\\(?:left|right|big|Big|bigg|Bigg)\b/g, "")
    .replace(/\\[,;:!]|~/g, " ")
    .replace(/\\([A-Za-z]+|\|)/g, (all, name) => EMLIB_TEX_SYMBOLS[name] ?? name);
  const script = (table) => (all, body) => {
    const chars = [...body];
    return chars.every((c) => c in table) ? chars.map((c) => table[c]).join("") : all;
  };
  text = text
    .replace(/_\{([^{}]*)\}|_(\S)/g, (all, a, b) => script(EMLIB_SUB)(all, a ?? b))
    .replace(/\^\{([^{}]*)\}|\^(\S)/g, (all, a, b) => script(EMLIB_SUP)(all, a ?? b))
    .replace(/\\?[{}]/g, "");
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Rewrite the TeX ($...$, $$...$$, \(...\)) in the text of `elements` as readable text.
 * @param {Element[]} elements
 */
function emlibMathAsText(elements) {
  const tex = /\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)/g;
  for (const element of elements) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    const texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    for (const node of texts) {
      const value = node.nodeValue ?? "";
      const next = value.replace(tex, (all, a, b, c) => emlibTexToText(a ?? b ?? c));
      if (next !== value) node.nodeValue = next;
    }
  }
}

/**
 * The `MathJax` seen by a quiz: the page's own when it can typeset, else the text fallback.
 * @returns {{version: string, typeset: (elements?: Element[]) => void}}
 */
function emlibQuizMathJax() {
  return {
    version: "3-emlib",
    typeset(elements) {
      const page = window.MathJax;
      const list = elements ?? [];
      if (page && typeof page.typeset === "function" && page.version) {
        page.typeset(list);
      } else if (page && page.Hub && typeof page.Hub.Queue === "function") {
        page.Hub.Queue(["Typeset", page.Hub].concat(list.slice(0, 1)));
      } else {
        emlibMathAsText(list);
      }
    },
  };
}
