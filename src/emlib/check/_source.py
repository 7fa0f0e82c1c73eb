"""Static reading of a notebook's code, for the grader (it never runs the code).

:func:`suspicious_code` lists code that tampers with modules or the grader, so that the
grader can flag the submission for a human. It decides no points: forbidden calls are found
at run time (:mod:`emlib.check._detector`).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

__all__ = [
    "GRADER_INTERNALS",
    "suspicious_code",
]


def _to_python(source: str) -> str:
    """IPython source (with ``%magics`` and ``!shell``) as plain Python, if IPython is there."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


#: Names that only code poking at the checks or the grader would mention.
GRADER_INTERNALS = (
    "_harness",
    "_detector",
    "_codec",
    "_framework",
    "_source",
    "_REGISTRY",
    "_SCOREBOARD",
    "_emlib_grader",
    "emlib.grade",
    "install_source",
    "make_collector",
)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression
        return "?"


def suspicious_code(sources: Sequence[str]) -> list[str]:
    """Sentences describing code that tampers with modules or the grader, one per finding.

    The grade does not depend on such code (checks run in the grader's process), but a
    human may want to look: the grader marks the submission ``flagged``. It looks for

    * mentions of the grader's internals (:data:`GRADER_INTERNALS`), also in strings;
    * monkey-patching: assigning to, or deleting, an attribute of an imported module or
      object (``ch03.check_responsibilities = ...``, ``np.allclose = ...``), ``setattr`` on
      one, and any use of ``__builtins__``.
    """
    findings: list[str] = []
    imported: set[str] = set()
    for number, source in enumerate(sources, start=1):
        try:
            tree = ast.parse(_to_python(source))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.update(a.asname or a.name for a in node.names)
        for node in ast.walk(tree):
            text = None
            if isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            elif isinstance(node, ast.alias):
                text = node.name
            elif isinstance(node, ast.ImportFrom):
                text = node.module or ""
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            if text:
                hits = [name for name in GRADER_INTERNALS if name in text]
                if hits or text == "__builtins__":
                    what = hits[0] if hits else "__builtins__"
                    findings.append(f"code cell {number} refers to `{what}`")
            targets: list[ast.AST] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            elif isinstance(node, ast.Delete):
                targets = list(node.targets)
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and _root_name(sub) in imported:
                        findings.append(f"code cell {number} replaces `{_dotted(sub)}`")
                        break
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("setattr", "delattr")
                and node.args
                and _root_name(node.args[0]) in imported
            ):
                findings.append(
                    f"code cell {number} calls {node.func.id} on `{_dotted(node.args[0])}`"
                )
    return list(dict.fromkeys(findings))
