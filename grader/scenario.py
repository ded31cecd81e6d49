"""Runs a scenario, a list of operations on the classes of one namespace, and records what happened.

The same interpreter runs the student's code (inside the sandboxed child) and the reference
and its mutants (inside the parent), so all of them are observed on exactly the same inputs.
Operations and records are plain JSON-able data; values go through `wire`.
"""
import inspect
import traceback

import numpy as np

from grader import wire
from grader.conventions import loss_order
from grader.standins import STANDINS

CAUGHT = (Exception, SystemExit, KeyboardInterrupt, GeneratorExit)
SNAPSHOT_LIMIT = 50
GRADED = ("add_bias", "multiplication_weight", "my_exp", "my_composition")  # the graded classes
NOTEBOOK_LOOP = "__grader_notebook_loop__"  # a notebook's training cell, recorded when it ran
LOOP_NAMES = ("my_fit", "losses", "ws", "bs")  # what a training loop keeps


def run(namespace, ops, source_path=None):
    return Interpreter(namespace, source_path).run(ops)


class Interpreter:
    def __init__(self, namespace, source_path):
        self.namespace = namespace
        self.source_path = source_path
        self.objects = {}
        self.unborn = {}
        self.log = []

    def run(self, ops):
        return {op["key"]: getattr(self, "op_" + op["op"])(op) for op in ops}

    # operations

    def op_new(self, op):
        cls_name = op["cls"]
        if cls_name.startswith("standin."):
            cls = STANDINS[cls_name.removeprefix("standin.")]
            self.objects[op["name"]] = cls(*self.args(op), log=self.log, index=op["index"])
            return {"value": wire.encode(None)}
        cls = self.namespace.get(cls_name)
        if not inspect.isclass(cls):
            self.unborn[op["name"]] = missing(f"no class `{cls_name}` in the submission")
            return {"value": self.unborn[op["name"]]}
        try:
            obj = cls(*self.args(op))
        except CAUGHT as error:
            self.unborn[op["name"]] = self.raised(error, None)
            return {"value": self.unborn[op["name"]]}
        self.objects[op["name"]] = obj
        return {"value": wire.encode(None), "state": snapshot(obj)}

    def op_call(self, op):
        if op["name"] in self.unborn:  # its constructor failed: that error is the answer
            return {"value": self.unborn[op["name"]]}
        obj = self.objects[op["name"]]
        method = getattr(type(obj), op["method"], None)
        if not callable(method):
            return {"value": missing(f"`{type(obj).__name__}` has no method `{op['method']}`")}
        args = self.args(op) + [decode_arg(op["roles"][role], {}) for role in roles_order(method, op)]
        try:
            value = wire.encode(getattr(obj, op["method"])(*args))
        except CAUGHT as error:
            value = self.raised(error, obj)
        return {"value": value, "state": snapshot(obj)}

    def op_bind(self, op):
        self.objects[op["name"]] = decode_arg(op["value"], self.objects)
        return {"value": wire.encode(None)}

    def op_read(self, op):
        return {"value": wire.encode(self.objects.get(op["name"]))}

    def op_log(self, op):
        return {"log": [[kind, index, wire.encode(value)] for kind, index, value in self.log]}

    def op_train(self, op):
        """The rubric's training run, with the submission's own classes."""
        absent = [name for name in GRADED if not inspect.isclass(self.namespace.get(name))]
        if absent:
            return train_record([], [], [], missing(f"no class `{absent[0]}` in the submission"))
        x, y = decode_arg(op["x"], {}), decode_arg(op["y"], {})
        rng = np.random.RandomState(op["seed"])
        losses, ws, bs = [], [], []
        try:
            weight = self.namespace["multiplication_weight"](op["w0"])
            bias = self.namespace["add_bias"](op["b0"])
            fit = self.namespace["my_composition"]([weight, bias, self.namespace["my_exp"]()])
            w_attr, b_attr = holder(weight, op["w0"]), holder(bias, op["b0"])
            order = loss_order(parameters(type(fit).compute_loss))
            for _ in range(op["n_steps"]):
                j = rng.randint(1, len(x))
                y_est = fit.forward(x[j])
                roles = {"estimate": y_est, "target": y[j]}
                losses.append(as_float(fit.compute_loss(*(roles[role] for role in order))))
                fit.backward()
                fit.step(op["learning_rate"])
                ws.append(as_float(getattr(weight, w_attr, None)))
                bs.append(as_float(getattr(bias, b_attr, None)))
        except CAUGHT as error:
            return train_record(losses, ws, bs, self.raised(error, None))
        return train_record(losses, ws, bs, None)

    def op_own_train(self, op):
        """The submission's own training loop: its `train`, with every call on its my_composition
        recorded (when op["calls"]), or, for a notebook, the training cell as it ran when loaded."""
        if NOTEBOOK_LOOP in self.namespace:
            record = self.namespace[NOTEBOOK_LOOP]
            return record if op["calls"] else without_calls(record)
        train = self.namespace.get("train")
        composition = self.namespace.get("my_composition")
        if not callable(train) or not inspect.isclass(composition):
            return protocol_record([], composition, missing("no function `train` or class `my_composition`"))
        events = []
        module_globals = getattr(train, "__globals__", {})
        if op["calls"]:
            module_globals["my_composition"] = recording(composition, events)
        np.random.seed(op["seed"])
        try:
            returned = train(decode_arg(op["x"], {}), decode_arg(op["y"], {}), op["learning_rate"], op["n_steps"])
            raised = None
        except CAUGHT as error:
            returned, raised = None, self.raised(error, None)
        finally:
            module_globals["my_composition"] = composition
        kept = dict(zip(LOOP_NAMES, returned)) if isinstance(returned, tuple) and len(returned) == 4 else {}
        return protocol_record(events, composition, raised, asked=op["n_steps"], kept=kept)

    # helpers

    def args(self, op):
        return [decode_arg(a, self.objects) for a in op.get("args", [])]

    def raised(self, error, obj, cell=None):
        """The error as the report shows it; `cell`: the notebook cell that ran, if the traceback
        has no frame of the submission (an error raised by a builtin called from the cell)."""
        on_self = isinstance(error, AttributeError) and obj is not None and getattr(error, "obj", None) is obj
        frame_cell, line = self.student_line(error)
        return wire.encode(wire.Raised(type(error).__name__, str(error)[:wire.REPR_LIMIT], line, on_self,
                                       frame_cell or cell))

    def student_line(self, error):
        """(cell or None, line) of the innermost frame in the submission's code, or (None, None)."""
        found = (None, None)
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename == self.source_path or cell_number(frame.filename):
                found = (cell_number(frame.filename), frame.lineno)
        return found


def cell_number(filename):
    """The notebook cell a code object comes from ("<cell 5>" -> 5), or None for a file."""
    return int(filename[6:-1]) if filename.startswith("<cell ") and filename.endswith(">") else None


def definitions(namespace):
    """Where the graded code is defined, from its code objects: {"my_exp.backward": (cell, line),
    "my_exp": (cell, line of its first method), "train": (cell, line)}; cell is None for a file."""
    found = {}
    for name in GRADED + ("train",):
        obj = namespace.get(name)
        members = list(vars(obj).items()) if isinstance(obj, type) else [(None, obj)]
        for member_name, member in members:
            code = getattr(member, "__code__", None)
            if code is not None:
                found[f"{name}.{member_name}" if member_name else name] = (cell_number(code.co_filename),
                                                                            code.co_firstlineno)
        methods = [where for key, where in found.items() if key.startswith(f"{name}.")]
        if methods:
            found[name] = min(methods, key=lambda where: where[1])
    if namespace.get(NOTEBOOK_LOOP, {}).get("cell"):  # a notebook's training loop is its training cell
        found["train"] = (namespace[NOTEBOOK_LOOP]["cell"], 1)
    return found


def missing(message):
    return wire.encode(wire.Raised("MissingDefinition", message))


def train_record(losses, ws, bs, raised):
    return {"losses": wire.encode(np.array(losses)), "ws": wire.encode(np.array(ws)),
            "bs": wire.encode(np.array(bs)), "raised": raised}


def protocol_record(events, composition, raised, asked=None, kept=()):
    """What a training loop did: its calls on the composition (F, L, B, S), the values it passed,
    whether it kept (my_fit, losses, ws, bs), and the w and b it ended with."""
    calls = [(kind, v) for kind, v in events if kind in "FLBS"]
    kept = dict(kept)
    ws, bs = kept.get("ws"), kept.get("bs")
    return {"events": "".join(kind for kind, _ in calls),
            "forward_out": [as_float(v) for kind, v in calls if kind == "F"],
            "loss_args": [[as_float(a) for a in v] for kind, v in calls if kind == "L"],
            "loss_params": parameters(getattr(composition, "compute_loss", None)),
            "asked": asked, "kept": all(name in kept for name in LOOP_NAMES),
            "final": [as_float(last(ws)), as_float(last(bs))],
            "raised": raised}


def without_calls(record):
    return {**record, "events": "", "forward_out": [], "loss_args": []}


def last(values):
    try:
        return values[-1]
    except CAUGHT:
        return None


def recording(composition, events):
    """A subclass of the student's composition that logs a training loop's calls on it into
    `events`, and the classes of the layers it is built with (an "N" event)."""
    loss_arguments = binder(getattr(composition, "compute_loss", None))

    class Recorded(composition):
        def __init__(self, *args, **kwargs):
            layers = args[0] if args else next(iter(kwargs.values()), [])
            used = [type(layer) for layer in layers] if isinstance(layers, (list, tuple)) else []
            events.append(("N", [composition] + used))
            super().__init__(*args, **kwargs)

        def forward(self, x):
            out = super().forward(x)
            events.append(("F", out))
            return out

        def compute_loss(self, *args, **kwargs):
            events.append(("L", loss_arguments(self, args, kwargs)))
            return super().compute_loss(*args, **kwargs)

        def backward(self, *args, **kwargs):
            events.append(("B", None))
            return super().backward(*args, **kwargs)

        def step(self, *args, **kwargs):
            events.append(("S", None))
            return super().step(*args, **kwargs)

    Recorded.original = composition
    Recorded.__name__ = Recorded.__qualname__ = composition.__name__
    return Recorded


def binder(method):
    """A function (obj, args, kwargs) -> the values a call passed to the method, in the order of
    its parameters (self excluded); the arguments as given when they do not fit its signature."""
    try:
        signature = inspect.signature(method)
    except CAUGHT:
        return lambda obj, args, kwargs: list(args)
    plain = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in signature.parameters.values())

    def bound_values(obj, args, kwargs):
        if plain and not kwargs:  # already in the parameters' order: spares a bind() at each of 5000 steps
            return list(args)
        try:
            bound = signature.bind(obj, *args, **kwargs)
        except TypeError:
            return list(args)
        return list(bound.arguments.values())[1:]

    return bound_values


def parameters(method):
    """A method's parameter names, self excluded."""
    try:
        return list(inspect.signature(method).parameters)[1:]
    except CAUGHT:
        return []


def roles_order(method, op):
    """The order in which compute_loss takes the estimate and the target, read from its names."""
    return loss_order(parameters(method)) if "roles" in op else ()


def holder(layer, initial):
    """The name of the attribute holding a parameter: the first one equal to its initial value."""
    for name, value in vars(layer).items():
        if isinstance(value, (int, float, np.number)) and value == initial:
            return name
    return None


def snapshot(obj):
    """The numeric attributes of an object: where parameters, caches and gradients live."""
    state = {}
    for name, value in list(getattr(obj, "__dict__", {}).items())[:SNAPSHOT_LIMIT]:
        encoded = wire.encode(value)
        if encoded["t"] in ("num", "array"):
            state[name] = encoded
    return state


def decode_arg(arg, objects):
    kind = arg.get("t")
    if kind == "ref":
        return objects[arg["name"]]
    if kind == "list":
        return [decode_arg(item, objects) for item in arg["items"]]
    if kind == "num":
        return float(wire.decode(arg))  # a plain Python float, as the course's code passes
    return wire.decode(arg)


def as_float(value):
    try:
        return float(value)
    except CAUGHT:
        return float("nan")
