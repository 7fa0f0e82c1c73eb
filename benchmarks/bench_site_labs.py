"""How fast the website's live labs are, in headless Chromium, and how heavy their pages are.

Measured on the built website (``bash scripts/build_book.sh``), served from 127.0.0.1 and
opened in Debian's Chromium through Playwright with every other request blocked:

1. **One interaction** (the requirement: at most 8 ms median and 16 ms at the 95th
   percentile): a pointer drag event on a starting mean of the EM lab with N = 500 points
   and K = 3 (the page is the EM lab's web output, ``emlib.labs.em_lab(n_samples=500)``,
   loaded with the site's own modules). Each move of the mouse is one sample, dispatched
   through the Chrome DevTools Protocol like a real mouse. In the page, listeners on
   ``window`` time the lab's ``pointermove`` handler (capture-phase start to bubble-phase end:
   new starting parameters, the E-step for N = 500 and K = 3, the log-likelihood, the DOM
   updates), plus any ``requestAnimationFrame`` work it queued, plus the browser's rendering
   of the next frame (from the end of the frame's animation callbacks to a task posted from
   them: style, layout, paint). "work" is the sum: what the interaction costs the main
   thread. "latency" is from the event's timestamp to the end of that frame, which also
   waits for the next frame (up to 16.7 ms at 60 Hz) and is reported for information.
   The same is measured for the first handle of every lab on its chapter page.
2. **Run**: the EM lab's Run button on the same page: EM iterations drawn per second and the
   browser's frame rate while it runs (requirement: at least 30 frames per second).
3. **Page weight** of each chapter page with labs: the bytes it downloads that are its own,
   i.e. everything but the shared vendored assets (``_vendor/``: MathJax, the labs' modules),
   the theme's shared files (``_static/``) and the site-wide search index (requirement:
   at most 1 MB).
4. **Labs ready**: time from the page's load event to every lab of the page mounted and
   answering ``state()`` (requirement: within 1 s of the page loading).

Run::

    python benchmarks/bench_site_labs.py                 # prints a Markdown report
    python benchmarks/bench_site_labs.py --out report.md # the tables of benchmarks/README.md
    python benchmarks/bench_site_labs.py --quick         # fewer samples

Needs Playwright (``pip install -e ".[test]"``) and Chromium (``/usr/bin/chromium`` or
``$CHROMIUM``), and a built site (``--site``, default ``_build/html``).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "browser"))
from site_support import serve  # noqa: E402 (the browser tests' server of the built site)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
LIMITS = {"median_ms": 8.0, "p95_ms": 16.0, "fps": 30.0, "page_bytes": 1_000_000, "ready_ms": 1000}

# --- JavaScript run in the page ---------------------------------------------------------------

INSTRUMENT = """
() => {
  const b = window.__emlibBench = {samples: [], t0: 0, ts: 0, raf: 0, frames: []};
  const raf = window.requestAnimationFrame.bind(window);
  // Time the animation-frame callbacks the labs queue (deferred redraws count as work).
  window.requestAnimationFrame = (cb) => raf((now) => {
    const s = performance.now();
    try { cb(now); } finally { b.raf += performance.now() - s; }
  });
  const isDrag = (e) => e.target instanceof Element && e.target.closest('[data-emlib-handle]');
  window.addEventListener('pointermove', (e) => {
    if (!isDrag(e)) return;
    b.t0 = performance.now(); b.ts = e.timeStamp; b.raf = 0;
  }, {capture: true});
  window.addEventListener('pointermove', (e) => {
    if (!isDrag(e)) return;
    const t1 = performance.now(), t0 = b.t0, ts = b.ts;
    raf(() => {
      const tr = performance.now();   // after the frame's animation callbacks (ours is last)
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        const t2 = performance.now(); // after style, layout and paint of that frame
        b.samples.push({handler: t1 - t0, raf: b.raf, render: t2 - tr,
                        work: (t1 - t0) + b.raf + (t2 - tr), latency: t2 - ts});
      };
      ch.port2.postMessage(0);
    });
  });
}
"""

WATCH_RUN = """
async ([root, ms]) => {
  // The frames in which the lab's DOM changed (a MutationObserver, so that watching costs
  // the page nothing), until the run has been quiet for 500 ms; then the lab's iteration.
  const frames = [], changes = [];
  const it0 = root.emlibLab.state().iteration;
  let dirty = false, quiet = performance.now();
  const obs = new MutationObserver(() => { dirty = true; });
  obs.observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
  await new Promise((done) => {
    const t0 = performance.now();
    const tick = (now) => {
      frames.push(now);
      if (dirty) { changes.push(now); dirty = false; quiet = now; }
      const stopped = changes.length > 1 && now - quiet > 500;
      if (now - t0 < ms && !stopped) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  obs.disconnect();
  return {frames, changes, iterations: root.emlibLab.state().iteration - it0};
}
"""

# Runs before the page's scripts: note when main.js marks every lab of the page as tried.
MARK_READY = """
new MutationObserver((_, obs) => {
  if (document.documentElement && document.documentElement.dataset.emlibLabs === 'ready') {
    window.__emlibReadyAt = performance.now();
    obs.disconnect();
  }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-emlib-labs']});
"""

READY_TIME = """
() => new Promise((done, fail) => {
  const t0 = performance.now();
  const check = () => {
    if (performance.now() - t0 > 20000) fail(new Error('the labs were not ready within 20 s'));
    const nav = performance.getEntriesByType('navigation')[0];
    if (window.__emlibReadyAt !== undefined && nav && nav.loadEventEnd > 0) {
      done({ready: window.__emlibReadyAt, load: nav.loadEventEnd,
            mounts: performance.getEntriesByType('measure')
              .filter((m) => m.name.startsWith('emlib-lab-mount:'))
              .map((m) => [m.name.split(':')[1], m.duration]),
            labs: [...document.querySelectorAll('[data-emlib-lab]')]
              .filter((r) => r.querySelector('script.emlib-lab-config'))
              .map((r) => ({name: r.dataset.emlibLab, ready: r.dataset.emlibReady === 'true',
                            error: r.dataset.emlibError || null}))});
    } else setTimeout(check, 5);
  };
  check();
})
"""


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation."""
    data = sorted(values)
    pos = q * (len(data) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summary(samples: list[dict], key: str) -> tuple[float, float]:
    values = [s[key] for s in samples]
    return statistics.median(values), percentile(values, 0.95)


# --- serving and browsing ---------------------------------------------------------------------


class Browser:
    """A headless Chromium; pages see only the local server (other requests are recorded)."""

    def __init__(self, pw: Any) -> None:
        executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        self.browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(MARK_READY)
        self.problems: list[str] = []

    def open(self, url: str, *, record: dict | None = None) -> Any:
        page = self.context.new_page()
        base = url.split("/", 3)[:3]

        def route(route: Any) -> None:
            if route.request.url.split("/", 3)[:3] == base or route.request.url.startswith("data:"):
                route.continue_()
            else:
                self.problems.append(f"blocked: {route.request.url}")
                route.abort()

        def on_response(response: Any) -> None:
            if record is not None and response.status < 400:
                with contextlib.suppress(Exception):
                    record[response.url] = len(response.body())

        page.route("**/*", route)
        page.on("response", on_response)
        page.on(
            "console",
            lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"),
        )
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e}"))
        page.goto(url, wait_until="load")
        return page

    def close(self) -> None:
        self.context.close()
        self.browser.close()


def wait_ready(page: Any) -> dict:
    result = page.evaluate(READY_TIME)
    broken = [lab for lab in result["labs"] if not lab["ready"]]
    if broken:
        raise RuntimeError(f"labs failed to start on {page.url}: {broken}")
    return result


# --- measurements -----------------------------------------------------------------------------


def drag_samples(page: Any, root: Any, n: int) -> list[dict]:
    """``n`` pointer-move samples dragging the lab's first visible handle around a circle."""
    page.evaluate(INSTRUMENT)
    handles = root.locator("[data-emlib-handle]")
    handle = next(handles.nth(i) for i in range(handles.count()) if handles.nth(i).is_visible())
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    warm = 5
    for i in range(n + warm):
        angle = 2 * math.pi * i / 24
        page.mouse.move(cx + 18 * math.sin(angle), cy + 18 * (1 - math.cos(angle)) / 2)
        page.wait_for_function(
            "n => window.__emlibBench.samples.length >= n", arg=i + 1, timeout=10_000
        )
    page.mouse.up()
    return page.evaluate("() => window.__emlibBench.samples")[warm:]


def em_lab_page(folder: Path, site: Path, n_samples: int = 500, k: int = 3) -> str:
    """A page holding ``emlib.labs.em_lab(n_samples=500)`` (K = 3), with the site's modules."""
    from emlib.labs._em_lab import EMLabState, EMLabView
    from emlib.labs._framework import web_lab

    state = EMLabState("overlapping", n_components=k, n_samples=n_samples)
    lab = web_lab(EMLabView, state, title="EM lab", alt="The EM lab's first state.")
    shutil.copytree(site / "_vendor" / "labs", folder / "labs")  # the modules as built
    (folder / "bench.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>EM lab benchmark</title></head><body><main>"
        f"{lab._repr_html_()}</main>"
        "<script type='module' src='labs/main.js'></script></body></html>",
        encoding="utf-8",
    )
    return "bench.html"


def run_rate(page: Any, root: Any, seconds: float) -> dict:
    """Press Run (tol at its smallest) and watch every animation frame until the run stops:
    EM iterations drawn per second while running, and the browser's frame rate."""
    tol = root.get_by_label("tol", exact=True)
    if tol.count():
        smallest = min(tol.evaluate("(el) => [...el.options].map((o) => o.value)"), key=float)
        tol.select_option(value=smallest)
    root.get_by_role("button", name="Reset", exact=True).click()
    root.get_by_role("button", name="Run", exact=True).click()
    watched = page.evaluate(WATCH_RUN, [root.element_handle(), seconds * 1000])
    with contextlib.suppress(Exception):
        root.get_by_role("button", name="Pause", exact=True).click(timeout=1000)
    changes, frames = watched["changes"], watched["frames"]
    # The first change is the Run click itself (the button states); each later one an iteration.
    steps = changes[1:]
    span = (steps[-1] - steps[0]) / 1000 if len(steps) > 1 else float("nan")
    running = [t for t in frames if steps and steps[0] <= t <= steps[-1]]
    gaps = [b - a for a, b in itertools.pairwise(running)]
    return {
        "iterations": watched["iterations"],
        "frames_with_changes": len(steps),
        "seconds": span,
        "iterations_per_s": (len(steps) - 1) / span if len(steps) > 1 else 0.0,
        "fps": 1000 / statistics.median(gaps) if gaps else 0.0,
    }


def chapter_pages(site: Path) -> list[str]:
    pages = []
    for page in sorted((site / "book").glob("*.html")):
        if "emlib-lab-config" in page.read_text(encoding="utf-8"):
            pages.append(f"book/{page.name}")
    return pages


def own_bytes(record: dict[str, int]) -> int:
    """Bytes downloaded that are the page's own (shared assets aside)."""
    shared = ("/_vendor/", "/_static/", "/searchindex.js")
    return sum(size for url, size in record.items() if not any(s in url for s in shared))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=REPO_ROOT / "_build" / "html")
    parser.add_argument("--samples", type=int, default=120, help="drag events per measurement")
    parser.add_argument("--quick", action="store_true", help="30 samples, 1 s of Run")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    samples = 30 if args.quick else args.samples
    site = args.site.resolve()
    if not (site / "_vendor" / "labs" / "main.js").is_file():
        sys.exit(f"{site} is not a built site with live labs: run bash scripts/build_book.sh")
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {"chapters": [], "labs": []}
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        bench_page = em_lab_page(folder, site)
        browser = Browser(pw)
        try:
            with serve(folder) as url:
                page = browser.open(url + bench_page)
                wait_ready(page)
                root = page.locator('[data-emlib-lab="em_lab"]')
                state = root.evaluate("(r) => r.emlibLab.state()")
                results["requirement_case"] = {
                    "N": len(state["X"]),
                    "K": len(state["params"]["weights"]),
                    "samples": drag_samples(page, root, samples),
                }
                results["run"] = run_rate(page, root, 1.0 if args.quick else 3.0)
                page.close()
            with serve(site) as url:
                for path in chapter_pages(site):
                    record: dict[str, int] = {}
                    page = browser.open(url + path, record=record)
                    ready = wait_ready(page)
                    results["chapters"].append(
                        {
                            "path": path,
                            "labs": [lab["name"] for lab in ready["labs"]],
                            "ready_ms": ready["ready"],
                            "mounts": ready.get("mounts", []),
                            "load_ms": ready["load"],
                            "own_bytes": own_bytes(record),
                            "html_bytes": (site / path).stat().st_size,
                        }
                    )
                    roots = page.locator("[data-emlib-lab][data-emlib-ready]")
                    for i in range(roots.count()):
                        lab_root = roots.nth(i)
                        name = lab_root.get_attribute("data-emlib-lab")
                        if not lab_root.locator("[data-emlib-handle]").count():
                            continue
                        if any(row["lab"] == name for row in results["labs"]):
                            continue
                        got = drag_samples(page, lab_root, max(20, samples // 3))
                        results["labs"].append({"lab": name, "path": path, "samples": got})
                    page.close()
        finally:
            browser.close()
    results["problems"] = browser.problems
    results["environment"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, load average "
        f"{load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} when started; "
        f"Chromium {browser.browser.version}, headless; Python {platform.python_version()}"
    )
    text = report(results)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return results


def report(r: dict) -> str:
    case = r["requirement_case"]
    med, p95 = summary(case["samples"], "work")
    lines = [
        "Made by `python benchmarks/bench_site_labs.py` (headless Chromium, the built site served "
        "from 127.0.0.1). Times in milliseconds.",
        "",
        f"Machine: {r['environment']}.",
        "",
        "### One interaction: drag a starting mean of the EM lab "
        f"(N = {case['N']}, K = {case['K']}, {len(case['samples'])} pointer events)",
        "",
        "| part | median (ms) | 95th percentile (ms) |",
        "|---|---:|---:|",
    ]
    for key, label in (
        ("handler", "pointermove handler (new start, E-step, log-likelihood, DOM updates)"),
        ("raf", "animation-frame work it queued"),
        ("render", "rendering of the next frame (style, layout, paint, compositor commit)"),
        ("work", "**work: all of the above**"),
        ("latency", "latency: event timestamp to the end of the next frame (includes vsync wait)"),
    ):
        m, p = summary(case["samples"], key)
        lines.append(f"| {label} | {m:.2f} | {p:.2f} |")
    ok = med <= LIMITS["median_ms"] and p95 <= LIMITS["p95_ms"]
    lines += [
        "",
        f"Requirement: work at most {LIMITS['median_ms']:.0f} ms median and "
        f"{LIMITS['p95_ms']:.0f} ms at the 95th percentile. Measured: **{med:.2f} ms median, "
        f"{p95:.2f} ms p95** ({'meets' if ok else 'MISSES'} the budget).",
        "",
        "### Run (EM lab, N = 500, K = 3, smallest tol)",
        "",
    ]
    run = r["run"]
    fps_ok = run["iterations_per_s"] >= LIMITS["fps"] - 0.5
    lines += [
        f"{run['iterations']} EM iterations, drawn in {run['frames_with_changes']} frames over "
        f"{run['seconds']:.2f} s from the first to the last (until EM's stopping rule): "
        f"**{run['iterations_per_s']:.1f} EM frames per second**; the browser rendered "
        f"{run['fps']:.0f} frames per second meanwhile (the lab paces EM on a fixed clock, "
        "the interval of `ui.runLoop`, and catches up after a late frame). Requirement: at least "
        f"{LIMITS['fps']:.0f} ({'meets' if fps_ok else 'MISSES'} it).",
        "",
        "### Every lab: drag its first handle on its chapter page",
        "",
        "| lab | page | events | work median (ms) | work p95 (ms) | latency median (ms) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in r["labs"]:
        m, p = summary(row["samples"], "work")
        lat, _ = summary(row["samples"], "latency")
        lines.append(
            f"| {row['lab']} | {row['path']} | {len(row['samples'])} | {m:.2f} | {p:.2f} | "
            f"{lat:.2f} |"
        )
    lines += [
        "",
        "### Chapter pages: weight and time until the labs respond",
        "",
        "| page | labs | own bytes downloaded (kB) | HTML (kB) | load event (ms) | "
        "labs ready (ms) | labs ready after the load event (ms) | mount() of each lab (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for c in r["chapters"]:
        after = max(0.0, c["ready_ms"] - c["load_ms"])
        lines.append(
            f"| {c['path']} | {', '.join(c['labs'])} | {c['own_bytes'] / 1e3:.0f} | "
            f"{c['html_bytes'] / 1e3:.0f} | {c['load_ms']:.0f} | {c['ready_ms']:.0f} | "
            f"{after:.0f} | {', '.join(f'{n} {ms:.0f}' for n, ms in c['mounts'])} |"
        )
    heaviest = max(c["own_bytes"] for c in r["chapters"])
    slowest = max(max(0.0, c["ready_ms"] - c["load_ms"]) for c in r["chapters"])
    lines += [
        "",
        f"Heaviest chapter page: **{heaviest / 1e6:.2f} MB** of its own (limit "
        f"{LIMITS['page_bytes'] / 1e6:.0f} MB; shared `_vendor/`, `_static/` and the search "
        f"index aside). Slowest page: its labs were all mounted and answering **{slowest:.0f} "
        f"ms** after the page's load event (limit {LIMITS['ready_ms']} ms; times are from the "
        "start of the navigation, on 127.0.0.1; the load event waits for MathJax and the "
        "theme's scripts).",
    ]
    if r["problems"]:
        lines += ["", "Problems seen: " + "; ".join(r["problems"][:10])]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
