"""The website's side of the labs (``emlib.labs._web``), without a browser.

What the browser does with this HTML is tested in ``tests/browser`` (labdrive.py).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from emlib.labs._web import MAX_WEB_BYTES, WEB_NOTE, WebLab, script_json, to_json
from emlib.plotting import new_figure


def small_figure():
    fig = new_figure((3.0, 2.0), 60)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    return fig


def config_of(page: str) -> dict:
    match = re.search(
        r'<script type="application/json" class="emlib-lab-config">(.*?)</script>', page, re.S
    )
    assert match, page[:300]
    return json.loads(match.group(1))


class Described:
    def describe(self) -> str:
        return "The point is at (1.00, 2.00)."


def test_html_carries_name_config_still_alt_and_note() -> None:
    X = np.random.default_rng(0).normal(size=(5, 2))
    config = {"X": X, "k": np.int64(3), "reg_covar": np.float64(1e-6), "label": "a </script> b"}
    lab = WebLab.from_state(
        "border_point", Described(), config, small_figure(), alt="Two clusters.", title="T"
    )
    page = lab._repr_html_()
    assert page.startswith('<div class="emlib-lab" data-emlib-lab="border_point"')
    assert page.count("</script>") == 1, "a '</script>' inside the config must be escaped"
    got = config_of(page)
    assert got["X"] == X.tolist(), "the data must reach the browser exactly (full precision)"
    assert got["k"] == 3 and got["reg_covar"] == 1e-6 and got["label"] == "a </script> b"
    src = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert src, "the still image must be an <img> with alt text"
    image = Image.open(io.BytesIO(base64.b64decode(src.group(1))))
    assert image.size == (180, 120)
    assert html.unescape(src.group(2)) == "Two clusters. The point is at (1.00, 2.00)."
    assert WEB_NOTE in page and "<figcaption>" in page
    assert lab.nbytes < 30_000


def test_bad_configs_get_sentences() -> None:
    fig = small_figure()
    with pytest.raises(ValueError, match="unknown lab 'nope'"):
        WebLab.from_state("nope", Described(), {}, fig)
    with pytest.raises(ValueError, match=r"config.X\[0\]\[1\] is nan"):
        to_json({"X": [[0.0, float("nan")]]})
    with pytest.raises(ValueError, match="not plain JSON"):
        to_json({"f": object()})
    with pytest.raises(ValueError, match="more than"):
        WebLab("sampling", {"X": np.zeros((MAX_WEB_BYTES // 4, 2))}, b"", "x")


def test_script_json_cannot_close_the_script() -> None:
    text = script_json({"s": "<!-- </script><script>alert(1)</script>"})
    assert "<" not in text and ">" not in text
    assert json.loads(text)["s"].startswith("<!--")
