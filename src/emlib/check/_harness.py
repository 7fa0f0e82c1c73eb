"""Collects a student's answers inside their kernel, on behalf of the grader.

The grader (:mod:`emlib.grade`) loads a *private* copy of this module and of
:mod:`emlib.check._codec` into each new kernel before any student code runs (see
:func:`install_source`), and keeps the collector under a random name. Everything the
collector calls is bound at that moment, so a notebook that later replaces
``emlib.check._harness``, ``json.dumps`` or ``open`` does not change how answers are collected.

The collector decides nothing. It looks the student's function (or value) up by name, calls
it on the inputs the grader wrote to a file, and writes what came back, encoded as JSON, to
another file. The verdict is computed by the grader in its own process.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, MutableMapping
from copy import deepcopy
from json import dump as json_dump
from json import dumps as json_dumps
from os import replace as os_replace
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["install_source", "make_collector"]

_MAX_CHARS = 64 * 1024 * 1024
_open = builtins.open
_callable = builtins.callable
_isinstance = builtins.isinstance
_len = builtins.len
_list = builtins.list
_type = builtins.type
_str = builtins.str
_Exception = builtins.Exception
_SystemExit = builtins.SystemExit


def make_collector(codec: ModuleType) -> Callable[..., None]:
    """The function that collects answers, bound to the given copy of ``_codec``."""
    encode, loads, same_value = codec.encode, codec.loads, codec.same_value

    def error_entry(exc: BaseException) -> dict[str, str]:
        text = f"{_type(exc).__name__}: {exc}".strip()
        return {"error_type": _type(exc).__name__, "error": text[:500]}

    def sized(entry: dict[str, Any]) -> dict[str, Any]:
        if _len(json_dumps(entry, allow_nan=False)) > _MAX_CHARS:
            return {"error_type": "OutputTooLarge", "error": "the answer is larger than 64 MB"}
        return entry

    def collect(
        namespace: MutableMapping[str, Any], target: str, kind: str, in_path: str, out_path: str
    ) -> None:
        record: dict[str, Any]
        if target not in namespace:
            record = {"status": "missing"}
        elif kind == "value":
            try:
                record = {"status": "ok", "value": sized({"v": encode(namespace[target])})["v"]}
            except _Exception as exc:
                record = {"status": "ok", "trials": [error_entry(exc)]}
        elif not _callable(namespace[target]):
            record = {"status": "not-callable", "type": _type(namespace[target]).__name__}
        else:
            answer = namespace[target]
            with _open(in_path, encoding="utf-8") as handle:
                cases = loads(handle.read())
            trials = []
            for inputs in cases:
                pristine = deepcopy(inputs)
                try:
                    entry: dict[str, Any] = sized({"output": encode(answer(*inputs.values()))})
                except (_Exception, _SystemExit) as exc:
                    entry = error_entry(exc)
                try:
                    entry["mutated"] = [
                        k for k in pristine if not same_value(pristine[k], inputs[k])
                    ]
                except _Exception:
                    entry["mutated"] = []
                trials.append(entry)
            record = {"status": "ok", "trials": trials}
        tmp = out_path + ".tmp"
        with _open(tmp, "w", encoding="utf-8") as handle:
            json_dump(record, handle, allow_nan=False)
        os_replace(tmp, out_path)

    return collect


def install_source(name: str) -> str:
    """Kernel code that loads private copies of this module and ``_codec`` as ``name``.

    ``name`` should be unguessable (the grader adds a random token); the code leaves only
    that one global behind.
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
    harness = load({name + "_harness"!r}, {_str(here / "_harness.py")!r})
    return harness.make_collector(codec)
{name} = {name}()
try:  # exit() and quit() must not end the kernel in the middle of grading
    get_ipython().ask_exit = lambda *args, **kwargs: None
except Exception:
    pass
"""
