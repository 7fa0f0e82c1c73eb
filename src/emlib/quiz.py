"""Self-check quizzes that read well in every front end: jupyterquiz, with a MathJax fallback.

The chapters end with a quiz written for `jupyterquiz <https://pypi.org/project/jupyterquiz/>`_::

    from emlib.quiz import display_quiz
    display_quiz(questions)

:func:`display_quiz` takes jupyterquiz's arguments and shows jupyterquiz's quiz, with one
change: the quiz's script runs with ``MathJax`` bound to a small adapter
(``quiz_fallback.js``) instead of the page's global. Where the page has a working MathJax
(the website, classic Notebook) the adapter hands the typesetting to it, as before. Where it
has none (JupyterLab 4 keeps its MathJax private; Colab's output frames have none; an
offline notebook cannot fetch one), jupyterquiz used to ask a CDN for MathJax and, offline,
failed with a TypeError; the adapter instead rewrites the quiz's TeX as readable text
(``$\\pi_k$`` becomes ``πₖ``). Nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

__all__ = ["display_quiz", "quiz_outputs"]

_JS = "application/javascript"


def _fallback_js() -> str:
    return resources.files("emlib").joinpath("quiz_fallback.js").read_text(encoding="utf-8")


def wrap_script(script: str) -> str:
    """jupyterquiz's ``script`` run with ``MathJax`` bound to the adapter (see module doc)."""
    return (
        "(function () {\n"
        + _fallback_js()
        + "\n(function (MathJax) {\n"
        + script
        + "\n})(emlibQuizMathJax());\n})();\n"
    )


def quiz_outputs(questions: Any, **options: Any) -> list[dict[str, Any]]:
    """The display outputs (MIME bundles) of jupyterquiz's quiz, its scripts wrapped.

    Parameters
    ----------
    questions : list of dict or str
        What ``jupyterquiz.display_quiz`` accepts: the questions, or a file name or URL.
    **options
        Passed on to ``jupyterquiz.display_quiz`` (``shuffle_answers``, ``colors``, ...).

    Returns
    -------
    list of dict
        One MIME bundle per output, in order.

    Raises
    ------
    ValueError
        If jupyterquiz showed no script (an unexpected version of jupyterquiz).
    """
    from IPython.utils.capture import capture_output
    from jupyterquiz import display_quiz as jupyterquiz_display

    with capture_output(stdout=False, stderr=False, display=True) as captured:
        jupyterquiz_display(questions, **options)
    bundles = [dict(output.data) for output in captured.outputs]
    scripts = [b for b in bundles if _JS in b]
    if not scripts:
        raise ValueError(
            "jupyterquiz displayed no script, so emlib.quiz cannot show the quiz; install a "
            "jupyterquiz version >= 2.7 (pip install -U jupyterquiz)"
        )
    for bundle in scripts:
        bundle[_JS] = wrap_script(bundle[_JS])
    return bundles


def display_quiz(questions: Any, **options: Any) -> None:
    """Show a jupyterquiz quiz whose maths degrades to readable text without MathJax.

    Takes the same arguments as ``jupyterquiz.display_quiz`` (see :func:`quiz_outputs`).
    """
    from IPython.display import display

    for bundle in quiz_outputs(questions, **options):
        display(bundle, raw=True)
