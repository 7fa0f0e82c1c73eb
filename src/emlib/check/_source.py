"""Static analysis of a notebook's code, for the grader (it never runs the code).

:func:`forbidden_call_in_notebook` finds whether the top-level function ``target`` uses a
forbidden name, directly, through an alias (``from emlib import e_step as f``,
``f = emlib.e_step``) or through a helper function defined in the notebook.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

__all__ = [
    "GRADER_INTERNALS",
    "code_cells_as_python",
    "forbidden_call_in_notebook",
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


def code_cells_as_python(sources: Iterable[str]) -> list[ast.Module]:
    """Parse each code cell; cells with syntax errors are skipped."""
    modules = []
    for source in sources:
        try:
            modules.append(ast.parse(_to_python(source)))
        except (SyntaxError, ValueError):
            continue
    return modules


def _used_names(node: ast.AST) -> set[str]:
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.alias):
            names.add(sub.name.rsplit(".", 1)[-1])
    return names


def _local_names(node: ast.AST) -> set[str]:
    """Parameters and assigned names of a function or lambda: its local variables.

    A name the function assigns is local everywhere in its body, so it neither is the
    notebook's global of the same name nor uses it (``resp`` in ``def kl(X, resp)`` has
    nothing to do with a top-level ``resp = e_step(...)``).
    """
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        return set()
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    names = {a.arg for a in every if a is not None}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
    return names


def forbidden_call_in_notebook(
    sources: Sequence[str], target: str, forbidden: Iterable[str]
) -> str | None:
    """The forbidden name that ``target`` ends up using, or ``None``.

    Parameters
    ----------
    sources : sequence of str
        The notebook's code cells, in order.
    target : str
        Name of the student's top-level function.
    forbidden : iterable of str
        Names that must not be used (e.g. ``"e_step"``).
    """
    forbidden = set(forbidden)
    if not forbidden:
        return None
    defs: dict[str, ast.AST] = {}
    aliases: dict[str, str] = {}  # local name -> forbidden name it stands for
    for module in code_cells_as_python(sources):
        for stmt in module.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defs[stmt.name] = stmt
            elif isinstance(stmt, ast.ImportFrom):
                for alias in stmt.names:
                    if alias.name in forbidden:
                        aliases[alias.asname or alias.name] = alias.name
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                used = _used_names(stmt.value)
                bad = sorted(used & forbidden) or sorted(aliases[u] for u in used if u in aliases)
                for tgt in targets:
                    for sub in ast.walk(tgt):
                        if isinstance(sub, ast.Name):
                            if isinstance(stmt.value, ast.Lambda) or not bad:
                                defs[sub.id] = stmt.value
                            if bad:
                                aliases[sub.id] = bad[0]
    seen: set[str] = set()

    def visit(name: str) -> str | None:
        if name in seen or name not in defs:
            return None
        seen.add(name)
        used = _used_names(defs[name]) - _local_names(defs[name])
        direct = sorted(used & forbidden)
        if direct:
            return direct[0]
        via_alias = sorted(aliases[u] for u in used if u in aliases)
        if via_alias:
            return via_alias[0]
        for other in sorted(used):
            if other != name:
                found = visit(other)
                if found:
                    return found
        return None

    if target in aliases:
        return aliases[target]
    return visit(target)


#: Names that only code poking at the checks or the grader would mention.
GRADER_INTERNALS = (
    "_harness",
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
