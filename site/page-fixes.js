/* Inlined by site/course_site.py into pages that show Jupyter widgets or jupyterquiz quizzes
 * (before the widget manager, when there is one).  Third-party output is patched here so that
 * every page works offline with MathJax 3 and passes an axe-core accessibility audit:
 *
 * 1. @jupyter-widgets/controls typesets widget labels with the MathJax 2 API,
 *    MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); MathJax 3 has no Hub, so the
 *    call threw.  MathJax 3 gets a Hub whose Queue forwards to typesetPromise.
 * 2. Widget slider handles (role="slider") get the widget's description as their name;
 *    widget images (an ipywidgets Image showing a lab's figure) get alt text naming the lab.
 * 3. jupyterquiz answer buttons whose text is only mathematics have no accessible name:
 *    each radio input is named after its answer, with the TeX source of the typeset maths;
 *    the "Type numeric answer here:" label is tied to its input box.
 * 4. jupyterquiz's default palette puts #fafafa text on a #c0c0c0 input box (contrast
 *    1.7:1) and uses a green (#009113) too light for text on white or under white text
 *    (4:1): the input gets dark-on-white text, the green is darkened to 6.3:1.
 */
(function () {
  "use strict";

  var CSS = [
    // green of the "correct" feedback text and button: 6.3:1 against white both ways
    "div[data-shufflequestions] { --jq-correct-color: #00701a !important; }",
    "div[data-shufflequestions] .Input-text,",
    "div[data-shufflequestions] .Input-text:focus {",
    "  background-color: #ffffff !important; color: #1a1a1a !important;",
    "  border: 1px solid #595959 !important; }",
  ].join("\n");

  function addStyle() {
    var style = document.createElement("style");
    style.id = "course-site-page-fixes";
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  function addMathJaxHub() {
    var mj = window.MathJax;
    if (!mj || !mj.version || mj.version[0] === "2" || mj.Hub) return;
    mj.Hub = {
      Queue: function (command) {
        var element = Array.isArray(command) ? command[2] : undefined;
        var ready = (mj.startup && mj.startup.promise) || Promise.resolve();
        ready
          .then(function () {
            return mj.typesetPromise(element ? [element] : undefined);
          })
          .catch(function (err) {
            console.warn("MathJax could not typeset a widget label", err);
          });
      },
    };
  }

  // Text of a node, with each typeset formula replaced by its TeX source.
  function textWithTex(node) {
    if (node.nodeType === Node.TEXT_NODE) return node.textContent;
    if (node.nodeType !== Node.ELEMENT_NODE) return "";
    if (node.tagName === "MJX-CONTAINER") {
      try {
        var items = window.MathJax.startup.document.getMathItemsWithin(node);
        if (items.length) return items[0].math;
      } catch (err) {
        /* fall through to the assistive MathML */
      }
      var mml = node.querySelector("mjx-assistive-mml");
      return mml ? mml.textContent : node.textContent;
    }
    var out = "";
    node.childNodes.forEach(function (child) {
      out += textWithTex(child);
    });
    return out;
  }

  function fix(root) {
    if (!root.querySelectorAll) return;
    root
      .querySelectorAll('[role="slider"]:not([aria-label]):not([aria-labelledby])')
      .forEach(function (handle) {
        var widget = handle.closest(".widget-slider, .jupyter-widgets");
        var label = widget && widget.querySelector(".widget-label");
        handle.setAttribute("aria-label", (label && label.textContent.trim()) || "Slider");
      });
    root.querySelectorAll("img.widget-image:not([alt])").forEach(function (img) {
      var box = img.closest(".widget-vbox, .widget-box");
      var heading = box && box.querySelector(".widget-html");
      var title = heading && heading.textContent.trim();
      img.setAttribute(
        "alt",
        title ? "Figure of the interactive lab: " + title : "Figure of an interactive lab"
      );
    });
    root.querySelectorAll("label.InpLabel:not([for])").forEach(function (label) {
      var input = label.parentElement && label.parentElement.querySelector("input.Input-text");
      if (input && input.id) label.htmlFor = input.id;
    });
    root.querySelectorAll("label.MCButton").forEach(function (label) {
      var input = label.querySelector('input[type="radio"], input[type="checkbox"]');
      if (!input) return;
      var name = textWithTex(label).replace(/\s+/g, " ").trim();
      if (name && input.getAttribute("aria-label") !== name) {
        input.setAttribute("aria-label", name);
      }
    });
  }

  function start() {
    addStyle();
    addMathJaxHub();
    fix(document);
    var pending = false;
    new MutationObserver(function () {
      // widgets draw and MathJax typesets in bursts: fix once per animation frame
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        fix(document);
      });
    }).observe(document.body, { childList: true, subtree: true });
  }

  // Deferred scripts (MathJax) have run by DOMContentLoaded; this listener is registered
  // before the widget manager's, so the Hub is in place before any widget is drawn.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
