"""The run-time detector of forbidden calls: which library code ran while an answer ran.

An exercise declares as ``forbidden`` the library functions and classes that would do it
for the student, by their dotted names (``"emlib.e_step"``, ``"scipy.special.logsumexp"``,
``"sklearn.mixture.GaussianMixture"``). While the student's function runs, a profile hook
(:func:`sys.setprofile`, also installed for new threads) records the code object of every
Python function that starts. Afterwards the targets are looked up in the modules loaded by
then, and a recorded code object counts as a forbidden call when it *is* the code of a target
(a function; every method of a class and of its base classes from the same subpackage;
nested functions included) or is a copy of one (its source compiled again, under any name:
same arguments, names, local variables and constants).

So a call is caught whatever name, alias, ``getattr``, ``__import__("em" + "lib")`` or
``exec`` leads to it, while a student's own function that happens to be called ``m_step``
or ``norm`` is different code and is not. Calling :func:`sys.setprofile` or
:func:`threading.setprofile` during the answer (to turn the hook off) is itself reported, as
is a target replaced in its module by an object defined elsewhere (a monkey-patch).

An exercise may also name the student's *own* functions of other exercises that the answer
must not run (``avoid``: computing the KL gap with your ``elbo`` would make an identity true
by construction) or must run (``require``); they are looked up by name in the notebook's
namespace and recognised by their code objects too.

Everything this module calls is bound at import time: the grader loads a private copy into
the student's kernel before any student code runs. Limits: functions written in C (numpy's
``Generator.choice``, say) run no Python code and cannot be seen, so they are not valid
targets; a thread started *before* the answer runs is not watched.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

__all__ = ["Monitor"]

_setprofile = sys.setprofile
_getprofile = sys.getprofile
_thread_setprofile = threading.setprofile
_thread_getprofile = getattr(threading, "getprofile", lambda: None)
_thread_setprofile_code = getattr(threading.setprofile, "__code__", None)
_modules = sys.modules
_CodeType = types.CodeType
_FunctionType = types.FunctionType
_isinstance = isinstance
_getattr = getattr
_type = type
_set = set
_tuple = tuple
_len = len
_str = str
_BaseException = BaseException

#: Code using fewer names than this is compared by identity only: tiny functions such as
#: ``return self._n`` look the same everywhere.
_MIN_FINGERPRINT_NAMES = 5


def _fingerprint(code: types.CodeType) -> tuple | None:
    """What a copy of ``code`` compiled from the same source keeps (not the byte code itself,
    whose encoding depends on how it was compiled), or ``None`` for tiny functions."""
    if _len(code.co_names) + _len(code.co_varnames) < _MIN_FINGERPRINT_NAMES:
        return None
    constants = _tuple(c for c in code.co_consts if not _isinstance(c, _CodeType))
    try:
        hash(constants)
    except TypeError:
        return None
    return (code.co_argcount, code.co_names, code.co_varnames, constants)


def _nested_codes(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if _isinstance(const, _CodeType):
            yield from _nested_codes(const)


def _functions_of(obj: Any, depth: int = 0) -> Iterator[Any]:
    """The Python functions that make up ``obj``: itself, or a class's methods."""
    if depth > 3:
        return
    wrapped = _getattr(obj, "__wrapped__", None)
    if wrapped is not None and wrapped is not obj:
        yield from _functions_of(wrapped, depth + 1)
    if _isinstance(obj, (types.MethodType, staticmethod, classmethod)):
        yield from _functions_of(obj.__func__, depth + 1)
        return
    if _isinstance(obj, property):
        for part in (obj.fget, obj.fset, obj.fdel):
            if part is not None:
                yield from _functions_of(part, depth + 1)
        return
    if _isinstance(obj, _FunctionType):
        yield obj
        return
    cls = obj if _isinstance(obj, _type) else _type(obj)
    # the class and its bases from the same subpackage (sklearn.mixture's BaseMixture, not
    # sklearn.base's BaseEstimator, which every estimator shares)
    home = (_getattr(cls, "__module__", "") or "").rsplit(".", 1)[0]
    for klass in cls.__mro__:
        module = _getattr(klass, "__module__", "") or ""
        if not (module == home or module.startswith(home + ".")):
            continue
        for value in klass.__dict__.values():
            yield from _functions_of(value, depth + 1)


def _belongs_to(obj: Any, package: str) -> bool:
    module = _getattr(obj, "__module__", None)
    if not _isinstance(module, _str):
        module = _getattr(_type(obj), "__module__", "") or ""
    return module == package or module.startswith(package + ".")


def _resolve(spec: str) -> tuple[Any, str] | None:
    """The object named ``spec`` and its top-level package, if its module is loaded."""
    parts = spec.split(".")
    for cut in range(_len(parts) - 1, 0, -1):
        module = _modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        for name in parts[cut:]:
            obj = _getattr(obj, name, None)
            if obj is None:
                return None
        return obj, parts[0]
    return None


class Monitor:
    """Runs an answer and tells which forbidden library code ran meanwhile.

    Parameters
    ----------
    forbidden : iterable of str
        Dotted names of the library functions or classes the answer must not run, e.g.
        ``("emlib.e_step", "sklearn.mixture.GaussianMixture")``.
    avoid, require : iterable of str
        Names of the notebook's own functions that the answer must not run / must run.
    namespace : mapping, optional
        The notebook's globals, where ``avoid`` and ``require`` are looked up.

    Examples
    --------
    >>> monitor = Monitor(["emlib.e_step"])
    >>> value = monitor.call(lambda: 1 + 1)
    >>> monitor.found() is None
    True
    """

    def __init__(
        self,
        forbidden: Iterable[str],
        avoid: Iterable[str] = (),
        require: Iterable[str] = (),
        namespace: Mapping[str, Any] | None = None,
    ) -> None:
        self.forbidden = _tuple(forbidden)
        self.avoid = _tuple(avoid)
        self.require = _tuple(require)
        self._own = {} if namespace is None else namespace
        self._watching = _len(self.forbidden) + _len(self.avoid) + _len(self.require) > 0
        self._codes: set[types.CodeType] = _set()
        self._disabled: list[str] = []

    def _own_code(self, name: str) -> types.CodeType | None:
        try:
            function = self._own.get(name)
        except _BaseException:
            return None
        code = _getattr(function, "__code__", None)
        return code if _isinstance(code, _CodeType) else None

    def unused(self) -> list[str]:
        """The names of ``require`` whose code did not run."""
        return [name for name in self.require if self._own_code(name) not in self._codes]

    def call(self, function: Callable[[], Any]) -> Any:
        """``function()``, watched; exceptions propagate (after the hook is removed)."""
        if not self._watching:
            return function()
        codes, disabled = self._codes, self._disabled
        active = [True]

        def hook(frame: Any, event: str, arg: Any) -> None:
            if not active[0]:
                return
            if event == "call":
                code = frame.f_code
                codes.add(code)
                if code is _thread_setprofile_code:
                    disabled.append("`threading.setprofile`")
            elif event == "c_call" and arg is _setprofile:
                disabled.append("`sys.setprofile`")

        previous, previous_threads = _getprofile(), _thread_getprofile()
        _thread_setprofile(hook)
        _setprofile(hook)
        try:
            return function()
        finally:
            intact = _getprofile() is hook
            active[0] = False
            _setprofile(previous)
            _thread_setprofile(previous_threads)
            if not intact:
                disabled.append("a replaced profile hook")

    def found(self) -> str | None:
        """What forbidden code ran during the calls so far, as a phrase; else ``None``."""
        if self._disabled:
            return (
                f"{self._disabled[0]}, which turns off the check's monitor of the functions "
                "your code calls"
            )
        for name in self.avoid:
            code = self._own_code(name)
            if code is not None and code in self._codes:
                return f"your own `{name}`"
        identity: dict[types.CodeType, str] = {}
        copies: dict[tuple, str] = {}
        for spec in self.forbidden:
            resolved = _resolve(spec)
            if resolved is None:
                continue  # its module was never loaded: none of its code can have run
            obj, package = resolved
            if not _belongs_to(obj, package):
                return f"`{spec}`, which your notebook replaced by its own object"
            for function in _functions_of(obj):
                for code in _nested_codes(function.__code__):
                    identity.setdefault(code, spec)
                    fingerprint = _fingerprint(code)
                    if fingerprint is not None:
                        copies.setdefault(fingerprint, spec)
        for code in self._codes:
            spec = identity.get(code)
            if spec is None:
                fingerprint = _fingerprint(code)
                spec = None if fingerprint is None else copies.get(fingerprint)
            if spec is not None:
                return f"`{spec}`"
        return None
