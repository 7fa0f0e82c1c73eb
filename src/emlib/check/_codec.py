"""A safe, JSON-based encoding of exercise inputs and answers.

The grader sends test inputs to a student's kernel and reads the student's answers back.
Those answers come from untrusted code, so they are never unpickled: this module turns
plain values (``None``, numbers, strings, lists, tuples, dicts with string keys, numeric
numpy arrays and :class:`emlib.MixtureParams`) into JSON and back, and anything else into
an inert :class:`Opaque` placeholder that only remembers its type name and a short repr.
Arrays travel as ``.npy`` bytes read with ``allow_pickle=False``.
"""

from __future__ import annotations

from base64 import b64decode, b64encode
from dataclasses import dataclass
from io import BytesIO
from json import dumps as json_dumps
from json import loads as json_loads
from reprlib import repr as short_repr
from typing import Any

import numpy as np

__all__ = ["Opaque", "RawParams", "decode", "dumps", "encode", "loads", "same_value"]

# Everything this module calls is bound here, at import time: the grader loads a private
# copy of this module into the student's kernel before any student code runs, so that
# monkey-patching json, base64... in the notebook later cannot change how answers travel.
_np_save, _np_load, _asarray, _array_equal = np.save, np.load, np.asarray, np.array_equal
_ndarray, _bool_, _integer, _floating, _complexfloating = (
    np.ndarray,
    np.bool_,
    np.integer,
    np.floating,
    np.complexfloating,
)
_isfinite, _contiguous = np.isfinite, np.ascontiguousarray

_MAX_DEPTH = 32
_ARRAY = "__ndarray__"
_TUPLE = "__tuple__"
_DICT = "__dict__"
_PARAMS = "__mixture_params__"
_OPAQUE = "__opaque__"
_FLOAT = "__float__"
_PARAM_FIELDS = ("weights", "means", "covariances", "covariance_type")


@dataclass(frozen=True)
class Opaque:
    """Stand-in for a value that cannot be transported (a function, a custom object...).

    Attributes
    ----------
    type_name : str
        The name of the value's type, e.g. ``"function"``.
    text : str
        A short ``repr`` of the value.
    """

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


@dataclass(frozen=True, eq=False)
class RawParams:
    """Mixture parameters that :class:`emlib.MixtureParams` refused (e.g. not symmetric).

    It has the same attributes, unchecked, so that a diagnosis can still look at them.
    """

    weights: Any
    means: Any
    covariances: Any
    covariance_type: str


def _is_params(value: Any) -> bool:
    if isinstance(value, RawParams):
        return True
    try:
        from emlib import MixtureParams
    except ImportError:  # pragma: no cover - emlib.check lives inside emlib
        return False
    return isinstance(value, MixtureParams)


def _encode_array(arr: np.ndarray) -> dict[str, str] | dict[str, list[str]]:
    if arr.dtype.kind not in "biufc":
        return {_OPAQUE: ["ndarray", f"array of dtype {arr.dtype}, shape {arr.shape}"]}
    buffer = BytesIO()
    _np_save(buffer, _contiguous(arr), allow_pickle=False)
    return {_ARRAY: b64encode(buffer.getvalue()).decode("ascii")}


def _encode_float(value: float) -> float | dict[str, str]:
    if _isfinite(value):
        return value
    return {_FLOAT: repr(value)}  # 'nan', 'inf' or '-inf': strict JSON has no NaN


def encode(value: Any, _depth: int = 0) -> Any:
    """Turn ``value`` into something :func:`json.dumps` accepts (see the module docstring)."""
    if _depth > _MAX_DEPTH:
        return {_OPAQUE: [type(value).__name__, "nested too deeply"]}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, _bool_):
        return bool(value)
    if isinstance(value, (int, _integer)):
        return int(value)
    if isinstance(value, (float, _floating)):
        return _encode_float(float(value))
    if isinstance(value, (complex, _complexfloating)):
        return _encode_array(_asarray(value))
    if isinstance(value, _ndarray):
        return _encode_array(value)
    if _is_params(value):
        return {_PARAMS: {f: encode(getattr(value, f), _depth + 1) for f in _PARAM_FIELDS}}
    if isinstance(value, tuple):
        return {_TUPLE: [encode(v, _depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {_DICT: {k: encode(v, _depth + 1) for k, v in value.items()}}
    try:
        text = short_repr(value)
    except Exception:  # a broken __repr__ must not break the transport
        text = "?"
    return {_OPAQUE: [type(value).__name__, text[:200]]}


def _decode_array(text: str) -> np.ndarray:
    raw = b64decode(text.encode("ascii"), validate=True)
    arr = _np_load(BytesIO(raw), allow_pickle=False)
    if not isinstance(arr, _ndarray) or arr.dtype.kind not in "biufc":
        raise ValueError("only numeric arrays can be decoded")
    return arr


def _decode_params(fields: dict[str, Any]) -> Any:
    values = {f: fields.get(f) for f in _PARAM_FIELDS}
    if not isinstance(values["covariance_type"], str):
        return Opaque("MixtureParams", "with a covariance_type that is not a string")
    try:
        from emlib import MixtureParams

        return MixtureParams(**values)
    except Exception:  # invalid parameters: keep them raw so that diagnoses can see why
        return RawParams(**values)


def decode(value: Any) -> Any:
    """Invert :func:`encode`. Never executes code from ``value``."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise ValueError("malformed encoded value")
    ((tag, content),) = value.items()
    if tag == _ARRAY:
        return _decode_array(content)
    if tag == _FLOAT:
        return float(content)
    if tag == _TUPLE:
        return tuple(decode(v) for v in content)
    if tag == _DICT:
        return {str(k): decode(v) for k, v in content.items()}
    if tag == _PARAMS:
        return _decode_params({k: decode(v) for k, v in content.items()})
    if tag == _OPAQUE:
        type_name, text = content
        return Opaque(str(type_name), str(text))
    raise ValueError(f"unknown tag {tag!r} in encoded value")


def dumps(value: Any) -> str:
    """``json.dumps(encode(value))`` in strict JSON."""
    return json_dumps(encode(value), allow_nan=False)


def loads(text: str) -> Any:
    """``decode(json.loads(text))``."""
    return decode(json_loads(text))


def same_value(a: Any, b: Any) -> bool:
    """Exact equality (NaN equal to NaN) of inputs or answers, e.g. to detect in-place changes."""
    if isinstance(a, _ndarray) or isinstance(b, _ndarray):
        if not (isinstance(a, _ndarray) and isinstance(b, _ndarray)) or a.shape != b.shape:
            return False
        equal_nan = a.dtype.kind in "fc" and b.dtype.kind in "fc"
        return bool(_array_equal(a, b, equal_nan=equal_nan))
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same_value(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
        )
    fields = ("weights", "means", "covariances")
    if all(hasattr(a, f) for f in fields):
        return all(same_value(getattr(a, f), getattr(b, f)) for f in fields)
    try:
        return bool(a == b)
    except Exception:
        return a is b
