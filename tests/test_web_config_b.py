"""What the website's labs 1-4 start from (``web_config``), without a browser.

The browser tests (``tests/browser/test_live_labs_b.py``) drive the labs; these check that
each config holds emlib's own data and parameters, and a view in which the chapter's
experiments can be done.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import emlib
from emlib import labs
from emlib.labs import _border_point, _em_stepper, _responsibilities, _sampling


def params(config: dict) -> emlib.MixtureParams:
    return emlib.MixtureParams(**config)


def test_border_point_config_reaches_both_borders() -> None:
    state = _border_point.BorderPointState()
    config = _border_point.web_config(state)
    json.dumps(config)
    np.testing.assert_array_equal(config["X"], state.X)
    gmm = params(config["params"])
    means = np.asarray(config["params"]["means"])
    assert means[0, 0] < means[1, 0], "component 1 is the left one, as on the bars"
    # The same responsibilities as the fitted model, in the bars' order.
    grid = np.random.default_rng(0).normal(scale=3, size=(50, 2))
    resp, _ = emlib.e_step(grid, gmm)
    np.testing.assert_allclose(resp, state.gmm.predict_proba(grid)[:, state._gm_order], atol=1e-12)
    # Along the starting row, the GMM changes its mind twice inside the view.
    (x0, x1), y = config["xlim"], config["point"][1]
    xs = np.linspace(x0, x1, 2001)
    gamma = emlib.e_step(np.column_stack([xs, np.full_like(xs, y)]), gmm)[0][:, 0]
    assert np.count_nonzero(np.diff(np.sign(gamma - 0.5))) == 2
    assert gamma[-1] > 0.5, "far to the right the broad cluster wins again"
    assert config["ylim"][0] < state.X[:, 1].min() and config["ylim"][1] > state.X[:, 1].max()


def test_responsibilities_config_reaches_far_away() -> None:
    state = _responsibilities.ResponsibilitiesState()
    config = _responsibilities.web_config(state)
    mixture = params(config["params"])
    np.testing.assert_array_equal(mixture.means, state.params.means)
    far = np.array([config["xlim"][1], state.point[1]])
    resp = emlib.e_step(far[None], mixture)[0][0]
    nearest = np.argmin(((mixture.means - far) ** 2).sum(axis=1))
    assert resp.max() > 0.99 and np.argmax(resp) != nearest


def test_sampling_config_is_the_notebook_mixture() -> None:
    state = _sampling.SamplingState((2.0, 1.0, 1.0), seed=3)
    config = _sampling.web_config(state)
    mixture = params(config["params"])
    np.testing.assert_allclose(mixture.weights, [0.5, 0.25, 0.25])
    np.testing.assert_array_equal(mixture.means[:, 0], _sampling.SAMPLING_MEANS)
    assert config["raw_weights"] == [2.0, 1.0, 1.0] and config["seed"] == 3
    assert 1 in config["counts"] and 1000 in config["counts"]


@pytest.mark.parametrize("focus", ["em", "m_step"])
def test_em_stepper_config_and_focus(focus: str) -> None:
    state = _em_stepper.EMStepperState(focus=focus)
    config = _em_stepper.web_config(state)
    assert config["focus"] == focus
    start = params(config["start"])
    np.testing.assert_array_equal(start.means, state.run.start.means)
    np.testing.assert_array_equal(config["X"], state.X)
    assert config["reg_covar"] == state.run.reg_covar
    # The notebook's lab takes the same argument.
    from emlib.labs._live import LabWidget

    assert isinstance(labs.em_stepper(focus=focus, mode="live"), LabWidget)


def test_em_stepper_rejects_an_unknown_focus() -> None:
    with pytest.raises(ValueError, match="'m_step'"):
        labs.em_stepper(focus="m", mode="live")


def test_chapter_4_shows_the_m_step_view() -> None:
    from pathlib import Path

    nb = json.loads(
        (Path(__file__).resolve().parents[1] / "book" / "04_m_step.ipynb").read_text("utf-8")
    )
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert any('labs.em_stepper(focus="m_step")' in c for c in code)
