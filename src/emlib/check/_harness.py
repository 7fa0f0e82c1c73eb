"""Runs a student's answer on the cases: the one code path of the notebook check and the grader.

:func:`run_answer` calls the answer on every case under the run-time forbidden-call detector
(:class:`emlib.check._detector.Monitor`), encodes what came back with :mod:`._codec` and
returns a JSON-able *record*. It decides nothing: the verdict comes from
:meth:`emlib.check.Exercise.evaluate_record`, which reads the record.

* In a notebook, :meth:`emlib.check.Exercise.grade` calls :func:`run_answer` directly.
* The grader loads *private* copies of this module, ``_codec`` and ``_detector`` into each
  new kernel before any student code runs (see :func:`install_source`) and keeps the
  collector (:func:`make_collector`) under a random name. Everything the collector calls is
  bound at that moment, so a notebook that later replaces ``emlib.check._harness``,
  ``json.dumps``, ``sys.setprofile`` or ``open`` does not change how answers are collected.

The record::

    {"status": "ok", "trials": [{"output": <encoded>} | {"error_type": str, "error": str},
                                 each with "mutated": [argument names changed in place]],
     "forbidden": None | "`emlib.e_step`", "unused": [own functions required but not run]}

or ``{"status": "missing"}`` (no such name) or ``{"status": "not-callable", "type": str}``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from copy import deepcopy
from json import dump as json_dump
from json import dumps as json_dumps
from os import replace as os_replace
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["install_source", "make_collector", "run_answer"]

_MAX_CHARS = 64 * 1024 * 1024
_open = builtins.open
_callable = builtins.callable
_len = builtins.len
_list = builtins.list
_type = builtins.type
_str = builtins.str
_BaseException = builtins.BaseException
_KeyboardInterrupt = builtins.KeyboardInterrupt


def _error_entry(exc: BaseException) -> dict[str, str]:
    text = f"{_type(exc).__name__}: {exc}".strip()
    if _len(text) > 500:
        text = text[:497] + "..."
    return {"error_type": _type(exc).__name__, "error": text}


def run_answer(
    answer: Callable[..., Any],
    cases: Sequence[Mapping[str, Any]],
    watch: Mapping[str, Sequence[str]],
    namespace: Mapping[str, Any],
    codec: ModuleType,
    detector: ModuleType,
) -> dict[str, Any]:
    """Call ``answer(*inputs.values())`` on every case, watched; the record (module docstring).

    ``watch`` is :attr:`emlib.check.Exercise.watch`: ``{"forbidden": [...], "avoid": [...],
    "require": [...]}``; ``namespace`` the notebook's globals. The inputs are the answer's to
    keep: pass copies. Encoding the output happens under the detector too, so an object whose
    conversion runs library code is seen as well.
    """
    monitor = detector.Monitor(
        _list(watch.get("forbidden", ())),
        _list(watch.get("avoid", ())),
        _list(watch.get("require", ())),
        namespace,
    )
    trials = []
    for inputs in cases:
        pristine = deepcopy(inputs)
        try:
            entry: dict[str, Any] = {
                "output": monitor.call(lambda inputs=inputs: codec.encode(answer(*inputs.values())))
            }
            if _len(json_dumps(entry, allow_nan=False)) > _MAX_CHARS:
                entry = {"error_type": "OutputTooLarge", "error": "the answer is larger than 64 MB"}
        except _KeyboardInterrupt:
            raise  # the grader's time limit: let it through
        except _BaseException as exc:  # the student's bug (SystemExit included), reported
            entry = _error_entry(exc)
        try:
            entry["mutated"] = [
                k for k in pristine if not codec.same_value(pristine[k], inputs.get(k))
            ]
        except _BaseException:
            entry["mutated"] = []
        trials.append(entry)
    return {
        "status": "ok",
        "trials": trials,
        "forbidden": monitor.found(),
        "unused": monitor.unused(),
    }


def make_collector(codec: ModuleType, detector: ModuleType) -> Callable[..., None]:
    """The kernel-side collector, bound to the given copies of ``_codec`` and ``_detector``.

    ``collect(namespace, target, watch, in_path, out_path)`` looks ``target`` up in
    ``namespace``, runs it with :func:`run_answer` on the inputs in ``in_path`` (written by
    the grader with ``_codec.dumps``) and writes the record to ``out_path`` as JSON.
    """

    def collect(
        namespace: MutableMapping[str, Any],
        target: str,
        watch: Mapping[str, Sequence[str]],
        in_path: str,
        out_path: str,
    ) -> None:
        record: dict[str, Any]
        if target not in namespace:
            record = {"status": "missing"}
        elif not _callable(namespace[target]):
            record = {"status": "not-callable", "type": _type(namespace[target]).__name__}
        else:
            with _open(in_path, encoding="utf-8") as handle:
                cases = codec.loads(handle.read())
            record = run_answer(namespace[target], cases, watch, namespace, codec, detector)
        tmp = out_path + ".tmp"
        with _open(tmp, "w", encoding="utf-8") as handle:
            json_dump(record, handle, allow_nan=False)
        os_replace(tmp, out_path)

    return collect


def install_source(name: str) -> str:
    """Kernel code that loads private copies of this module, ``_codec`` and ``_detector``.

    ``name`` should be unguessable (the grader adds a random token); the code leaves only
    that one global behind: the collector of :func:`make_collector`.
    """
    here = Path(__file__).resolve().parent
    return f"""
def {name}():
    import importlib.util as util
    import sys
    def load(module_name, path):
        spec = util.spec_from_file_location(module_name, path)
        module = util.module_from_spec(spec)
        sys.modules[module_name] = module  # dataclasses look their module up while loading
        try:
            spec.loader.exec_module(module)
        finally:
            del sys.modules[module_name]
        return module
    codec = load({name + "_codec"!r}, {_str(here / "_codec.py")!r})
    detector = load({name + "_detector"!r}, {_str(here / "_detector.py")!r})
    harness = load({name + "_harness"!r}, {_str(here / "_harness.py")!r})
    return harness.make_collector(codec, detector)
{name} = {name}()
try:  # exit() and quit() must not end the kernel in the middle of grading
    get_ipython().ask_exit = lambda *args, **kwargs: None
except Exception:
    pass
"""
