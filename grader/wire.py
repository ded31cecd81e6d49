"""Values crossing the process boundary: JSON only, so the child can never make the parent run code.

Shared by the child (encodes what the student's code returned) and the parent (decodes it). A finite
double (a float or a numpy float64: most values) is a JSON number; every other value is an object whose
"kind" says what it holds: "num" (its "number": another real, or nan and inf spelled as strings),
"array" (its "shape" and float64 bytes, "packed"), "raised" (an exception, as Raised), "opaque"
(anything else: its type and repr); the scenarios' arguments add "ref" (an object the scenario built)
and "list".
"""

import base64
import binascii
import decimal
import functools
import math
import numbers
from dataclasses import dataclass

import numpy as np

from grader.state import PLAIN_FLOATS

MAX_ARRAY_SIZE = 100_000
REPR_LIMIT = 200


@dataclass(frozen=True, eq=False)
class Opaque:
    """A returned value that is not a real number or a real numeric array: shown, never compared equal,
    not even to itself (two Nones, or two objects whose __eq__ says yes, say nothing about being right)."""

    type: str
    repr: str

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    __hash__ = object.__hash__

    def __str__(self):
        return f"{self.repr} (a {self.type})"


@dataclass(frozen=True)
class Raised:
    """An exception the student's code raised (or a definition it lacks)."""

    type: str
    message: str
    line: int | None = None
    on_self: bool = False  # an AttributeError about the object whose method was called
    cell: int | None = None  # the notebook cell of `line`
    missing: str | None = None  # the attribute or name an AttributeError or NameError could not find
    function: str | None = None  # the submission's innermost function on the traceback

    def same_failure(self, other):
        """The same kind of failure in the same function: what makes an error a diagnosis's symptom,
        rather than any error of the same type. A missing name must be the same name, except an
        attribute the object itself lacks (its name is the student's choice: self.x, self.inp)."""
        names_agree = self.missing == other.missing or (
            self.type == other.type == "AttributeError" and self.on_self and other.on_self
        )
        return (self.type, self.on_self, self.function) == (other.type, other.on_self, other.function) and names_agree

    def __str__(self):
        return f"{self.type}: {self.message}" if self.message else self.type


def encode(value):
    if type(value) in PLAIN_FLOATS:  # most values of every answer: a bare number, and no abstract base class to ask
        number = float(value)
        return number if math.isfinite(number) else {"kind": "num", "number": repr(number)}
    if isinstance(value, (bool, np.bool_)):
        return {"kind": "opaque", "type": "bool", "repr": repr(bool(value))}
    if isinstance(value, (numbers.Real, decimal.Decimal, np.integer, np.floating)) and not isinstance(value, bool):
        # Fraction and Decimal as the floats they are
        return {"kind": "num", "number": _float(value), **_precision(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf" and value.size <= MAX_ARRAY_SIZE:
        # packed as float64 bytes: a 5000-step trace costs microseconds, not a list of numbers in JSON
        packed = base64.b64encode(value.astype("<f8").tobytes()).decode("ascii")
        return {"kind": "array", "shape": list(value.shape), "packed": packed, **_precision(value)}
    if isinstance(value, Raised):
        return {
            "kind": "raised",
            "type": value.type,
            "message": value.message,
            "line": value.line,
            "on_self": value.on_self,
            "cell": value.cell,
            "missing": value.missing,
            "function": value.function,
        }
    return {"kind": "opaque", "type": _type_name(value), "repr": _short_repr(value)}


def decode(obj):
    if type(obj) is float:  # a double: most values of every answer
        return np.float64(obj)
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind == "num":
        return _LOW_PRECISION.get(obj.get("dtype"), np.float64)(_unfloat(obj["number"]))
    if kind == "array":
        data = _unpacked(obj["packed"]) if "packed" in obj else _floats(obj["data"])
        array = data.reshape([int(n) for n in obj["shape"]])
        if obj.get("dtype") not in _LOW_PRECISION:
            return array
        with np.errstate(over="ignore"):  # a float32 the child sent is in range; anything else is inf
            return array.astype(_LOW_PRECISION[obj["dtype"]])
    if kind == "raised":
        return Raised(
            str(obj["type"]),
            str(obj["message"])[: REPR_LIMIT * 5],
            _int(obj.get("line")),
            bool(obj.get("on_self")),
            _int(obj.get("cell")),
            _text(obj.get("missing")),
            _text(obj.get("function")),
        )
    if kind == "opaque":
        return Opaque(str(obj["type"])[:REPR_LIMIT], str(obj["repr"])[:REPR_LIMIT])
    raise ValueError(f"not a wire value: {str(obj)[:REPR_LIMIT]}")


# a student computing in lower precision is judged at that precision (grader.check.agree)
_LOW_PRECISION = {"float32": np.float32, "float16": np.float16}


def _precision(value):
    dtype = getattr(value, "dtype", None)
    return {"dtype": dtype.name} if dtype is not None and dtype.name in _LOW_PRECISION else {}


def _text(v):
    return v[:REPR_LIMIT] if isinstance(v, str) else None


def _int(v):
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _float(v):
    v = float(v)
    # JSON has no nan or inf: spell them as strings
    return v if math.isfinite(v) else repr(v)


def _floats(data):
    """A list of numbers from the wire as an array; checked, as everything the child sends."""
    if not isinstance(data, list):
        raise ValueError("not a list of numbers on the wire")
    if set(map(type, data)) <= {int, float}:  # no nan or inf spelled as a string: converted at once
        try:
            return np.array(data, dtype=np.float64)
        except OverflowError:  # an int too large: refused below, by the element-wise check
            pass
    return np.array([_unfloat(v) for v in data], dtype=np.float64)


def _unpacked(text):
    """float64 numbers packed as base64 on the wire, as an array of the reader's own."""
    return np.frombuffer(_packed_bytes(str(text)[: MAX_ARRAY_SIZE * 12]), dtype="<f8").astype(np.float64)


@functools.lru_cache(maxsize=64)  # a run's 5000-step trace is read by several checks
def _packed_bytes(text):
    """The bytes of packed numbers; checked, as everything the child sends."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("packed numbers that are not base64 on the wire") from None
    if len(raw) % 8 or len(raw) > MAX_ARRAY_SIZE * 8:
        raise ValueError("packed numbers of a length that is not that of float64s on the wire")
    return raw


def _unfloat(v):
    if isinstance(v, str) and v in ("nan", "inf", "-inf"):
        return float(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        try:
            return float(v)
        except OverflowError:
            raise ValueError("a number too large for a float on the wire") from None
    raise ValueError(f"not a number on the wire: {str(v)[:REPR_LIMIT]}")


def _type_name(value):
    if isinstance(value, np.ndarray):
        return f"numpy array of dtype {value.dtype}"
    return type(value).__name__


def _short_repr(value):
    try:
        text = repr(value)
    except Exception as error:  # noqa: BLE001  (a student's __repr__ may raise anything)
        text = f"<unprintable: {type(error).__name__}>"
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "…"
