"""Where an object keeps its numbers: attributes, __slots__, and the dicts, lists and tuples they
hold, whatever the names. A parameter is then found by what it does (it starts at the value given
to the constructor and step moves it), never by its name or its type.

Shared by the child (which reads the student's objects) and the parent (which reads the reference's).
"""

import decimal
import numbers
import operator
import types

import numpy as np

LEAF_LIMIT = 50  # numbers read from one object
DEPTH_LIMIT = 3  # containers inside containers


def leaves(obj):
    """{path: number} of what an object holds: "w", "grads['w']", "state[0]"; a number is a Python
    or numpy real, or a numpy array of reals (0-d included)."""
    return {path: value for path, (value, _) in numbers_in(obj).items()}


def paths(obj):
    """{path: the steps that reach it}, to read the same place again cheaply (see `read`)."""
    return {path: steps for path, (_, steps) in numbers_in(obj).items()}


def numbers_in(obj):
    found = {}
    for name, value in attributes(obj):
        collect(name, (("attr", name),), value, found, DEPTH_LIMIT)
    return found


def attributes(obj):
    """(name, value) of the instance's own attributes and filled __slots__, then of what its classes
    hold for it: mutable containers (a dict or list on the class is state too, shared by every
    instance) and properties (w computed from state kept out of sight, in a closure). None when the
    object will not say: a student's __getattribute__ may raise anything."""
    try:
        own = list(vars(obj).items())
    except TypeError:
        own = []
    except Exception:  # noqa: BLE001  (student code: any exception means "nothing to read")
        return []
    own += slots(obj)
    names = {name for name, _ in own}
    for cls in type(obj).__mro__[:-1]:  # object holds nothing of the student's
        for name, value in vars(cls).items():
            if name not in names and not name.startswith("__"):
                names.add(name)  # shadows the same name on the classes after it, whatever it is
                if type(value) in (dict, list) or isinstance(value, property):
                    own += held_by_class(obj, name, value)
    return own[:LEAF_LIMIT]


def slots(obj):
    found = []
    for cls in type(obj).__mro__[:-1]:
        names = cls.__dict__.get("__slots__", ())
        for name in (names,) if isinstance(names, str) else names:
            if name in ("__dict__", "__weakref__"):
                continue
            try:
                found.append((name, object.__getattribute__(obj, name)))
            except Exception:  # noqa: BLE001  (an empty slot, or worse)
                continue
    return found


def held_by_class(obj, name, value):
    if type(value) in (dict, list):
        return [(name, value)]
    if isinstance(value, property):
        try:
            return [(name, value.__get__(obj))]
        except Exception:  # noqa: BLE001  (a property may raise anything)
            return []
    return []


def collect(path, steps, value, found, depth):
    if len(found) >= LEAF_LIMIT:
        return
    if is_number(value):  # arrays copied (as plain arrays): a step that works in place must still show as a move
        found[path] = (np.array(value) if isinstance(value, np.ndarray) else value, steps)
    elif depth > 0 and type(value) is dict:
        for key, item in list(value.items())[:LEAF_LIMIT]:
            collect(f"{path}[{key!r}]", steps + (("item", key),), item, found, depth - 1)
    elif depth > 0 and type(value) in (list, tuple):
        for index, item in enumerate(value[:LEAF_LIMIT]):
            collect(f"{path}[{index}]", steps + (("item", index),), item, found, depth - 1)
    elif depth > 0 and holds_state(value):  # self.p = SimpleNamespace(w=…), a parameter object
        for name, item in attributes(value):
            collect(f"{path}.{name}", steps + (("attr", name),), item, found, depth - 1)


def holds_state(value):
    """A plain object that keeps numbers for its owner: not a class, a function, a module, nor a
    layer of its own (which has a forward: the composition's layers are not its state)."""
    kind = type(value)
    return (
        hasattr(value, "__dict__")
        and not isinstance(value, (type, types.FunctionType, types.MethodType, types.ModuleType))
        and kind.__module__ not in ("builtins", "numpy")
        and not hasattr(kind, "forward")
    )


def is_number(value):
    if type(value) in PLAIN_FLOATS:  # the usual case: no abstract base class to ask
        return True
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (numbers.Real, decimal.Decimal, np.integer, np.floating)):  # Fraction, Decimal too
        return True
    return isinstance(value, np.ndarray) and value.dtype.kind in "iuf"


def reader(steps):
    """A function of an object giving the value at the end of `steps`, as `read` does; a path of
    attributes alone is read by one attrgetter (the loop's parameters, read after each of its steps)."""
    names = [key for kind, key in steps if kind == "attr"]
    if not names or len(names) != len(steps) or not all(isinstance(n, str) and n.isidentifier() for n in names):
        return lambda obj: read(obj, steps)
    get = operator.attrgetter(".".join(names))

    def read_attributes(obj):
        try:
            return get(obj)
        except Exception:  # noqa: BLE001  (student code)
            return None

    return read_attributes


def read(obj, steps):
    """The value at the end of `steps` (from `paths`), or None when it is no longer there."""
    try:
        for kind, key in steps:
            obj = getattr(obj, key) if kind == "attr" else obj[key]
        return obj
    except Exception:  # noqa: BLE001  (student code)
        return None


def equal(value, number):
    """A leaf holding `number`: exactly, or as close as its own precision allows (float32); a
    one-element array holds its element."""
    try:
        if type(value) in PLAIN_FLOATS:  # a double, most of the time: its precision without numpy's help
            return bool(abs(float(value) - number) <= DOUBLE_EPSILON * max(1.0, abs(number)))
        if np.size(value) != 1:
            return False
        dtype = getattr(value, "dtype", np.dtype(np.float64))
        eps = np.finfo(dtype).eps if dtype.kind == "f" else 0.0
        return bool(abs(as_float(value) - number) <= eps * max(1.0, abs(number)))
    except Exception:  # noqa: BLE001
        return False


def holding(obj, number):
    """The paths of the leaves that hold `number` now, in the object's own order."""
    return [path for path, value in leaves(obj).items() if equal(value, number)]


def moved(before, after, candidates):
    """Of the candidate paths, those whose value differs between two `leaves` snapshots."""
    return [path for path in candidates if path in after and not same(before.get(path), after[path])]


def same(a, b):
    if type(a) in PLAIN_FLOATS and type(b) in PLAIN_FLOATS:  # two numbers, most of the time: no array made
        return a == b or (a != a and b != b)  # nan is the same as nan
    try:
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))
    except Exception:  # noqa: BLE001
        return False


def shared(a, b, path):
    """Whether the number at `path` lives in one container both objects reach (a dict on their class)."""
    steps_a, steps_b = paths(a).get(path), paths(b).get(path)
    if not steps_a or not steps_b or len(steps_a) < 2:
        return False
    return read(a, steps_a[:-1]) is read(b, steps_b[:-1])


def as_float(value):
    """A number as a float; a one-element array as its element; nan for anything else."""
    if type(value) in PLAIN_FLOATS:  # the usual case, at each of a loop's steps: quick
        return float(value)
    try:
        if isinstance(value, np.ndarray) and value.size == 1:
            return float(np.asarray(value).reshape(()))
        return float(value)
    except Exception:  # noqa: BLE001  (a student's __float__ may raise anything)
        return float("nan")


PLAIN_FLOATS = (float, np.float64)
DOUBLE_EPSILON = float(np.finfo(np.float64).eps)
