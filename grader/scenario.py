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
TRAINED = ("multiplication_weight", "add_bias", "my_exp", "my_composition")


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
        absent = [name for name in TRAINED if not inspect.isclass(self.namespace.get(name))]
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
        """The submission's own `train`, with every call on its my_composition recorded."""
        train = self.namespace.get("train")
        composition = self.namespace.get("my_composition")
        if not callable(train) or not inspect.isclass(composition):
            return protocol_record([], [], None, missing("no function `train` or class `my_composition`"))
        recorder = recording(composition)
        module_globals = getattr(train, "__globals__", {})
        module_globals["my_composition"] = recorder
        np.random.seed(op["seed"])
        try:
            returned = train(decode_arg(op["x"], {}), decode_arg(op["y"], {}),
                             op["learning_rate"], op["n_steps"])
            raised = None
        except CAUGHT as error:
            returned, raised = None, self.raised(error, None)
        finally:
            module_globals["my_composition"] = composition
        return protocol_record(recorder.events, recorder.loss_params, returned, raised)

    # helpers

    def args(self, op):
        return [decode_arg(a, self.objects) for a in op.get("args", [])]

    def raised(self, error, obj):
        on_self = isinstance(error, AttributeError) and obj is not None and getattr(error, "obj", None) is obj
        return wire.encode(wire.Raised(type(error).__name__, str(error)[:wire.REPR_LIMIT],
                                       self.student_line(error), on_self))

    def student_line(self, error):
        frames = traceback.extract_tb(error.__traceback__)
        lines = [frame.lineno for frame in frames if frame.filename == self.source_path]
        return lines[-1] if lines else None


def missing(message):
    return wire.encode(wire.Raised("MissingDefinition", message))


def train_record(losses, ws, bs, raised):
    return {"losses": wire.encode(np.array(losses)), "ws": wire.encode(np.array(ws)),
            "bs": wire.encode(np.array(bs)), "raised": raised}


def protocol_record(events, loss_params, returned, raised):
    return {"events": "".join(kind for kind, _ in events),
            "forward_out": [as_float(v) for kind, v in events if kind == "F"],
            "loss_args": [[as_float(a) for a in v] for kind, v in events if kind == "L"],
            "loss_params": loss_params,
            "returned": wire.encode(f"tuple of {len(returned)}" if isinstance(returned, tuple) else returned),
            "raised": raised}


def recording(composition):
    """A subclass of the student's composition that logs the training loop's calls on it."""
    events = []
    try:
        loss_signature = inspect.signature(composition.compute_loss)
    except CAUGHT:
        loss_signature = None

    class Recorded(composition):
        def forward(self, x):
            out = super().forward(x)
            events.append(("F", out))
            return out

        def compute_loss(self, *args, **kwargs):
            events.append(("L", bound_values(loss_signature, self, args, kwargs)))
            return super().compute_loss(*args, **kwargs)

        def backward(self, *args, **kwargs):
            events.append(("B", None))
            return super().backward(*args, **kwargs)

        def step(self, *args, **kwargs):
            events.append(("S", None))
            return super().step(*args, **kwargs)

    Recorded.events = events
    Recorded.loss_params = [] if loss_signature is None else list(loss_signature.parameters)[1:]
    Recorded.__name__ = composition.__name__
    return Recorded


def bound_values(signature, obj, args, kwargs):
    if signature is None:
        return list(args)
    try:
        bound = signature.bind(obj, *args, **kwargs)
    except TypeError:
        return list(args)
    return list(bound.arguments.values())[1:]


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
