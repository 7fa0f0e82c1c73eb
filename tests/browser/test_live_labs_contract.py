"""Every live lab on the website keeps the contract that tests and readers rely on.

Generic checks over all labs of the built site (the per-lab behaviour is tested in
``test_live_labs_*.py``): each lab mounts, its ``state()`` is plain JSON in emlib's shapes,
its numbers are emlib's, its handles are keyboard-focusable, named, finger-sized on a phone
and move with the mouse, a finger and the arrow keys without scrolling the page; no console
errors. Driven through :mod:`labdrive`.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from labdrive import LabPages, lab_paths
from site_support import locate_site

import emlib
from emlib.labs import LABS


def _config(page, name: str) -> dict:
    text = page.page.locator(f'[data-emlib-lab="{name}"] script.emlib-lab-config').first
    return json.loads(text.text_content())


def _check_numbers(name: str, state: dict) -> None:
    """What the state says must be emlib's numbers."""
    params = None
    if "params" in state and "probs" in state["params"]:
        # A Bernoulli mixture (chapter 9's two coins): emlib.BernoulliMixtureParams' shapes.
        emlib.BernoulliMixtureParams(**state["params"])
    elif "params" in state:
        p = state["params"]
        assert set(p) >= {"weights", "means", "covariances", "covariance_type"}, p.keys()
        keys = ("weights", "means", "covariances", "covariance_type")
        params = emlib.MixtureParams(**{k: p[k] for k in keys})
    if "X" in state:
        X = np.asarray(state["X"], dtype=float)
        # (N x d; a lab that draws its samples, like sampling, starts with none)
        assert X.ndim == 2 or X.size == 0, f"{name}: X has shape {X.shape}"
        if X.ndim == 2 and X.shape[1] == 2:
            assert "reg_covar" in state, f"{name}: a lab with 2-D data must report reg_covar"
    if "point" in state:
        assert len(state["point"]) == 2 and "responsibilities" in state, name
        if params is not None:
            want = emlib.e_step(np.array([state["point"]]), params)[0][0]
            np.testing.assert_allclose(state["responsibilities"], want, rtol=1e-9, atol=1e-12)


@pytest.fixture(scope="module")
def labs_on_site(request) -> dict[str, list[str]]:
    found = lab_paths(locate_site(request))
    if not found:
        pytest.fail("no page of the built site holds a live lab")
    return found


def test_every_lab_is_live_on_some_page(labs_on_site) -> None:
    missing = sorted(set(LABS) - set(labs_on_site))
    unknown = sorted(set(labs_on_site) - set(LABS))
    assert not unknown, f"pages hold labs that emlib.labs.LABS does not know: {unknown}"
    if missing:
        pytest.xfail(f"labs without a live web version yet: {missing}")


@pytest.mark.parametrize("name", list(LABS))
def test_lab_contract_desktop(lab_pages: LabPages, labs_on_site, name: str) -> None:
    if name not in labs_on_site:
        pytest.skip(f"{name} has no live web version on the site")
    for path in labs_on_site[name]:
        page = lab_pages.open(path)
        mark = page.mark()
        roots = page.page.locator(f'[data-emlib-lab="{name}"]')
        for index in range(roots.count()):
            lab = page.lab(name, index)
            state = lab.state()
            _check_numbers(name, state)
            if "X" in state:
                config = _config(page, name)
                if "X" in config:
                    assert state["X"] == config["X"], f"{name}: X on the page is not emlib's X"
            assert not lab.root.locator(".emlib-lab-still").first.is_visible(), (
                f"{name}: the still image is still shown on a live lab"
            )
            assert lab.root.locator('[aria-live="polite"]').count() >= 1, f"{name}: no live region"
            handles = lab.root.locator("[data-emlib-handle]")
            for h in range(handles.count()):
                handle = handles.nth(h)
                if not handle.is_visible():
                    continue
                handle_name = handle.get_attribute("data-emlib-handle")
                assert handle.get_attribute("tabindex") == "0", f"{name}: {handle_name} tabindex"
                assert handle.get_attribute("aria-label"), f"{name}: {handle_name} has no name"
                before = lab.state()
                after = lab.drag_by(handle_name, 25, -15)
                assert after != before, f"{name}: dragging {handle_name!r} changed nothing"
                _check_numbers(name, after)
                keyed = lab.key(handle_name, "ArrowLeft", shift=True)
                assert keyed != after, f"{name}: the arrow key did not move {handle_name!r}"
                _check_numbers(name, keyed)
            for button in lab.root.locator("button").all():
                assert re.search(r"\w", button.inner_text()), f"{name}: a button has no text"
        page.assert_no_problems(since=mark)


@pytest.mark.parametrize("name", list(LABS))
def test_lab_contract_phone(phone_lab_pages: LabPages, labs_on_site, name: str) -> None:
    if name not in labs_on_site:
        pytest.skip(f"{name} has no live web version on the site")
    page = phone_lab_pages.open(labs_on_site[name][0])
    mark = page.mark()
    lab = page.lab(name)
    width = page.page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"{name}: the page is {width} px wide on a 390-px phone"
    box = lab.root.bounding_box()
    assert box["x"] >= -1 and box["x"] + box["width"] <= 391, f"{name}: the lab overflows: {box}"
    handles = lab.root.locator("[data-emlib-handle]")
    visible = [handles.nth(i) for i in range(handles.count()) if handles.nth(i).is_visible()]
    for handle in visible:
        handle_name = handle.get_attribute("data-emlib-handle")
        w, h = lab.handle_size(handle_name)
        assert min(w, h) >= 44, f"{name}: handle {handle_name!r} is {w:.0f} x {h:.0f} px"
    if visible:
        handle_name = visible[0].get_attribute("data-emlib-handle")
        before = lab.state()
        after = lab.touch_drag_by(handle_name, 30, -20)  # asserts that the page did not scroll
        assert after != before, f"{name}: a touch drag of {handle_name!r} changed nothing"
        _check_numbers(name, after)
    page.assert_no_problems(since=mark)
