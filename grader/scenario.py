"""Runs a scenario, a list of operations on the classes of one namespace (the language of
grader.ops), and records what happened.

The same interpreter runs the student's code (inside the sandboxed child) and the reference
and its mutants (inside the parent), so all of them are observed on exactly the same inputs.
Operations and records are plain JSON-able data; values go through `wire`.
"""

import ast
import inspect
import json
import traceback
from collections import OrderedDict

import numpy as np

from grader import homework, loops, state, wire
from grader.conventions import loss_order
from grader.homework.standins import STANDINS
from grader.ops import CLASS_OPS, replay

CAUGHT = loops.CAUGHT  # what the student's code may raise, and the interpreter catches
NOTEBOOK_LOOP = "__grader_notebook_loop__"  # a notebook's training cell, recorded when it ran


def classes_built(ops):
    """The submission's classes a scenario builds, when it uses nothing else of it (no training
    loop): what decides its records, with the inputs; None otherwise."""
    if any(op["op"] not in CLASS_OPS for op in ops):
        return None
    return {op["cls"] for op in ops if op["op"] == "new" and not op["cls"].startswith("standin.")}


def run(namespace, ops, source_path=None, loss_order=None, snapshots=True):
    """`loss_order`: the order in which the submission's compute_loss takes ("estimate", "target"),
    as the parent decided it from the student's own loop; None: read from its parameter names.
    `snapshots`: records hold the numbers each object holds after its calls ("state"); False for a
    check that never reads them."""
    return Interpreter(namespace, source_path, loss_order, snapshots).run(ops)


class Interpreter:
    def __init__(self, namespace, source_path, loss_order=None, snapshots=True):
        self.namespace = namespace
        self.snapshots = snapshots
        self.source_path = source_path
        self.loss_order = tuple(loss_order) if loss_order else None
        self.objects = {}
        self.unborn = {}
        self.log = []

    def run(self, ops):
        return {op["key"]: self.HANDLERS[op["op"]](self, op) for op in ops}

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
        if inspect.isabstract(cls):  # a method its abstract base asks for is not defined
            absent = ", ".join(f"`{name}`" for name in sorted(getattr(cls, "__abstractmethods__", ())))
            self.unborn[op["name"]] = missing(f"`{cls_name}` does not define {absent} (abstract in its base class)")
            return {"value": self.unborn[op["name"]]}
        try:
            obj = cls(*self.args(op))
        except CAUGHT as error:
            self.unborn[op["name"]] = self.raised(error, None)
            return {"value": self.unborn[op["name"]]}
        self.objects[op["name"]] = obj
        return self.with_state({"value": wire.encode(None)}, obj)

    def op_call(self, op):
        if op["name"] in self.unborn:  # its constructor failed: that error is the answer
            return {"value": self.unborn[op["name"]]}
        obj = self.objects[op["name"]]
        try:  # the method as the student's own code would call it: on the class or set on the instance
            method = getattr(obj, op["method"])
        except CAUGHT:
            method = None
        if not callable(method):
            return {"value": missing(f"`{type(obj).__name__}` has no method `{op['method']}`")}
        args = self.args(op) + [decode_arg(op["roles"][role], {}) for role in self.roles_order(method, op)]
        try:
            value = wire.encode(method(*args))
        except CAUGHT as error:
            value = self.raised(error, obj)
        return self.with_state({"value": value}, obj)

    def op_bind(self, op):
        self.objects[op["name"]] = decode_arg(op["value"], self.objects)
        return {"value": wire.encode(None)}

    def op_read(self, op):
        return {"value": wire.encode(self.objects.get(op["name"]))}

    def op_state(self, op):
        """The numbers an object holds now, wherever it keeps them."""
        return self.with_state({"value": wire.encode(None)}, self.objects[op["name"]])

    def with_state(self, record, obj):
        """The record, with the numbers the object holds now when the scenario asks for them."""
        if self.snapshots:
            record["state"] = snapshot(obj)
        return record

    def op_log(self, op):
        return {"log": [[kind, index, wire.encode(value)] for kind, index, value in self.log]}

    def op_train(self, op):
        """The rubric's training run, with the submission's own classes; on the reference, also the
        replay of a student's own loop (see `training_steps`)."""
        absent = [name for name in homework.GRADED if not inspect.isclass(self.namespace.get(name))]
        if absent:
            return train_record([], [], [], missing(f"no class `{absent[0]}` in the submission"))
        x, y = decode_arg(op["x"], {}), decode_arg(op["y"], {})
        losses, ws, bs = [], [], []
        try:
            # each layer's candidates read as it is built, and never one the layer before holds: two
            # layers that keep their parameters in one dict on a base class must not read each other's
            weight_class, bias_class, activation_class = (self.namespace[name] for name in homework.MODEL)
            weight = weight_class(op["w0"])
            weight_holders = state.holding(weight, op["w0"])
            bias = bias_class(op["b0"])
            holders = [
                weight_holders,
                [
                    p
                    for p in state.holding(bias, op["b0"])
                    if p not in weight_holders or not state.shared(weight, bias, p)
                ],
            ]
            given = [weight, bias, activation_class()]
            fit = self.namespace[homework.COMPOSITION](given)
            held = loops.held_layers(fit, given)
            if held is not given:  # the composition keeps copies of its layers: theirs are the parameters
                weight, bias = held[0], held[1]
                holders = [
                    [p for p in holders[0] if p in state.leaves(weight)],
                    [p for p in holders[1] if p in state.leaves(bias)],
                ]
            layers = (weight, bias)
            estimate_first = (
                tuple(self.loss_order or loss_order(loops.parameters(type(fit).compute_loss)))[0] == "estimate"
            )
            for j, learning_rate in training_steps(op, len(x)):
                y_est = fit.forward(x[j])
                loss = fit.compute_loss(y_est, y[j]) if estimate_first else fit.compute_loss(y[j], y_est)
                losses.append(state.as_float(loss))
                fit.backward()
                before = None if ws else [state.leaves(layer) for layer in layers]
                fit.step(learning_rate)
                if before:  # the parameters: of the numbers set from the constructor, those step moves
                    read_w, read_b = (
                        parameter_reader(layer, paths, leaves) for layer, paths, leaves in zip(layers, holders, before)
                    )
                ws.append(state.as_float(read_w(weight)))
                bs.append(state.as_float(read_b(bias)))
        except CAUGHT as error:
            return train_record(losses, ws, bs, self.raised(error, None))
        return train_record(losses, ws, bs, None)

    def op_own_train(self, op):
        """The submission's own training loop: its `train`, watched, or, for a notebook, the
        training cell as it ran when loaded."""
        if NOTEBOOK_LOOP in self.namespace:
            return self.namespace[NOTEBOOK_LOOP]
        train = self.namespace.get(homework.LOOP)
        composition = self.namespace.get(homework.COMPOSITION)
        if not callable(train) or not inspect.isclass(composition):
            return loops.record(
                None, composition, missing(f"no function `{homework.LOOP}` or class `{homework.COMPOSITION}`")
            )
        watch = loops.LoopWatch()
        module_globals = getattr(train, "__globals__", {})
        module_globals[homework.COMPOSITION] = watch.recording(composition)
        np.random.seed(op["seed"])
        try:
            returned = loops.call_train(
                train, decode_arg(op["x"], {}), decode_arg(op["y"], {}), op["learning_rate"], op["n_steps"]
            )
            raised = None
        except CAUGHT as error:
            returned, raised = None, self.raised(error, None)
        finally:
            module_globals[homework.COMPOSITION] = composition
        model = watch.exercise()
        return loops.record(
            model,
            composition,
            raised,
            asked=op["n_steps"],
            returned=None if raised else loops.returns_model(returned, model),
        )

    HANDLERS = {
        "new": op_new,
        "call": op_call,
        "bind": op_bind,
        "read": op_read,
        "state": op_state,
        "log": op_log,
        "train": op_train,
        "own_train": op_own_train,
    }  # the language of grader.ops, op by op

    # helpers

    def roles_order(self, method, op):
        """The order in which compute_loss takes the estimate and the target."""
        if "roles" not in op:
            return ()
        return self.loss_order or loss_order(loops.parameters(method, bound=True))

    def args(self, op):
        return [decode_arg(a, self.objects) for a in op.get("args", [])]

    def raised(self, error, obj, cell=None):
        """The error as the report shows it; `cell`: the notebook cell that ran, if the traceback
        has no frame of the submission (an error raised by a builtin called from the cell)."""
        on_self = isinstance(error, AttributeError) and obj is not None and getattr(error, "obj", None) is obj
        frame_cell, line, function = self.student_frame(error)
        missing_name = getattr(error, "name", None) if isinstance(error, (AttributeError, NameError)) else None
        return wire.encode(
            wire.Raised(
                type(error).__name__,
                str(error)[: wire.REPR_LIMIT],
                line,
                on_self,
                frame_cell or cell,
                missing_name if isinstance(missing_name, str) else None,
                function,
            )
        )

    def student_frame(self, error):
        """(cell or None, line, function) of the innermost frame in the submission's code, or Nones."""
        found = (None, None, None)
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename == self.source_path or cell_number(frame.filename):
                found = (cell_number(frame.filename), frame.lineno, frame.name)
        return found


def run_statement(statement, filename, namespace):
    """One top-level statement of a parsed submission, compiled and run on its own: submissions run
    statement by statement, so that what fails costs only what depends on it."""
    exec(compile(ast.Module([statement], type_ignores=[]), filename, "exec"), namespace)


def cell_number(filename):
    """The notebook cell a code object comes from ("<cell 5>" -> 5), or None for a file."""
    return int(filename[6:-1]) if filename.startswith("<cell ") and filename.endswith(">") else None


def definitions(namespace):
    """Where the graded code is defined, from its code objects: {"Class.method": (cell, line),
    "Class": (cell, line of its first method), the loop's name: (cell, line)}; cell is None for a file."""
    found = {}
    for name in (*homework.GRADED, homework.LOOP):
        obj = namespace.get(name)
        members = list(vars(obj).items()) if isinstance(obj, type) else [(None, obj)]
        for member_name, member in members:
            code = getattr(member, "__code__", None)
            if code is not None:
                found[f"{name}.{member_name}" if member_name else name] = (
                    cell_number(code.co_filename),
                    code.co_firstlineno,
                )
        methods = [where for key, where in found.items() if key.startswith(f"{name}.")]
        if methods:
            found[name] = min(methods, key=lambda where: where[1])
    if namespace.get(NOTEBOOK_LOOP, {}).get("cell"):  # a notebook's training loop is its training cell
        found[homework.LOOP] = (namespace[NOTEBOOK_LOOP]["cell"], 1)
    return found


def missing(message):
    return wire.encode(wire.Raised("MissingDefinition", message))


def training_steps(op, n):
    """(sample index, learning rate) of each step: drawn from the op's seed as the hand-out's loop
    draws them, at the rubric's rate; or, to replay a loop's own steps, each sample in turn at the
    rate it was given (`rates`)."""
    if "seed" not in op:
        return enumerate(float(rate) for rate in decode_arg(op["rates"], {}))
    return ((j, op["learning_rate"]) for j in samples(op["seed"], n, op["n_steps"]))


def run_key(ops):
    """A scenario as one string, the key of its records. A rubric's run (a train op that draws its
    samples from a seed) is written as the replay of its steps, which makes the same steps on the
    same samples at the same rate: a student's loop that made that run is replayed from its records."""
    return json.dumps([as_replay(op) for op in ops], sort_keys=True)


def as_replay(op):
    if op["op"] != "train" or "seed" not in op:
        return op
    x, y = decode_arg(op["x"], {}), decode_arg(op["y"], {})
    drawn = samples(op["seed"], len(x), op["n_steps"])
    rates = np.full(len(drawn), float(op["learning_rate"]))
    return replay(op["key"], x[drawn], y[drawn], rates, op["w0"], op["b0"])


def samples(seed, n, n_steps):
    """The index of each step's sample, as the hand-out's loop draws them after np.random.seed(seed):
    np.random.randint(1, n) at every step (one call for all of them draws the same numbers)."""
    return np.random.RandomState(seed).randint(1, n, size=n_steps).tolist()


def train_record(losses, ws, bs, raised):
    return {
        "losses": wire.encode(np.array(losses)),
        "ws": wire.encode(np.array(ws)),
        "bs": wire.encode(np.array(bs)),
        "raised": raised,
    }


def parameter_reader(layer, paths, before):
    """A function reading, of the paths holding the constructor's value, the one the first step moved
    (the first, if none did); nothing (None) when there is none."""
    moved = state.moved(before, state.leaves(layer), paths)
    steps = state.paths(layer).get((moved or paths or [None])[0])
    return state.reader(steps) if steps else lambda _: None


def snapshot(obj):
    """The numbers an object holds, wherever it keeps them (grader.state): parameters, caches, gradients."""
    return {path: wire.encode(value) for path, value in state.leaves(obj).items()}


def decode_arg(arg, objects):
    if type(arg) is float:
        return arg  # a plain Python float, as the course's code passes
    kind = arg.get("kind")
    if kind == "ref":
        return objects[arg["name"]]
    if kind == "list":
        return [decode_arg(item, objects) for item in arg["items"]]
    if kind == "num":
        return float(wire.decode(arg))  # a plain Python float, as the course's code passes
    return wire.decode(arg)


class InProcess:
    """Runs scenarios on one namespace in this process: trusted code only (the reference, its mutants)."""

    def __init__(self, namespace, source_path=None):
        self.namespace = namespace
        self.source_path = source_path  # where its code objects say they come from: its errors' frames

    def run(self, ops):
        return run(self.namespace, ops, self.source_path)


class RecentRuns:
    """A runner that keeps the records of the last few scenarios it ran: the reference's replays of
    the students' own loops repeat (most loops draw the samples the hand-out draws). `known`: records
    kept elsewhere by `run_key` (the runs of the rubric's checks), read before running anything."""

    def __init__(self, runner, size=8, known=None):
        self.runner, self.size = runner, size
        self.known = {} if known is None else known
        self.records = OrderedDict()  # scenario -> its records, the most recent last

    def run(self, ops):
        key = run_key(ops)
        if key in self.known:
            return self.known[key]
        if key not in self.records:
            self.records[key] = self.runner.run(ops)
            if len(self.records) > self.size:
                self.records.popitem(last=False)
        self.records.move_to_end(key)
        return self.records[key]
