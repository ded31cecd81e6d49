"""The student's own training loops, watched as they run (in the child): which model they train,
the calls they make on it, how they pass the estimate to compute_loss, and each step's sample,
learning rate and parameters after it (the parent replays them with the reference's math).

Every composition the submission builds is a recording subclass of the student's class, so each
instance has its own log. The exercise's loop is the first that trains a model built like the
hand-out's; what the submission trains after it (an extension, a challenge) is seen, not graded.
"""

import inspect
import types

import numpy as np

from grader import homework, state, wire
from grader.state import PLAIN_FLOATS, as_float

WATCHED_STEPS = 50  # steps watched for the first that moves a parameter
FIRST_READER = 3  # in a step's row, after its sample, learning rate and loss: the parameters read
CAUGHT = (Exception, SystemExit, KeyboardInterrupt, GeneratorExit)  # all a student's code may raise at us


class ModelLog:
    """One composition instance's life in a loop."""

    def __init__(self, instance, layers, cell, loss_arguments=None):
        self.instance = instance  # kept alive, so that no later instance reuses its id()
        self.layers = list(layers) if isinstance(layers, (list, tuple)) else []
        self.layer_names = tuple(type(layer).__name__ for layer in self.layers)
        self.layer_classes = [type(layer) for layer in self.layers]
        self.built_in = cell
        self.trained_in = None  # the cell of its first step
        self.calls = []  # "F", "L", "B", "S"
        self.loss_roles = []  # each way compute_loss was called: the arguments' roles, in its parameters' order
        self.last_output = None
        self.last_input = None  # what the last forward was given
        self.sample = None  # what forward was given before the last backward: what the gradients are of
        self.parameter_paths = None  # per layer: where the first step that moved anything moved a number
        self.readers = []  # (layer index, path, the steps to it) of the numbers that step moved
        self.read_after_step = []  # (layer, a function reading one of those numbers from it)
        self.steps = []  # per step: [sample, learning rate, loss, each reader's number after it]
        self.loss = float("nan")  # what compute_loss returned last, as a float
        self.plain_numbers = True  # every sample and loss a float, not an array of one
        self.first_before = None  # the layers' numbers before the first step
        self.initial = [state.leaves(layer) for layer in self.layers]
        self.busy = False  # inside one of the loop's calls
        self.loss_arguments = loss_arguments  # (composition, args, kwargs) -> compute_loss's arguments (binder)

    @property
    def trained(self):
        return "S" in self.calls

    def hold(self, layers):
        """The layers the composition actually holds (copies of those it was given, say)."""
        if layers is not self.layers:
            self.layers = layers
            self.initial = [state.leaves(layer) for layer in layers]

    # what the loop's calls record, one function per kind of call (picked once, when the method is
    # wrapped, so that the loop's 20000 calls pay for no dispatch): `function` is the student's method,
    # called on `obj`, the composition

    def forward_called(self, function, obj, args, kwargs, watch):
        self.calls.append("F")
        self.last_input = args[0] if args else first_argument(args, kwargs)
        self.last_output = out = function(obj, *args, **kwargs)
        return out

    def loss_called(self, function, obj, args, kwargs, watch):
        out = self.last_output
        roles = ["estimate" if value is out else role(value, out) for value in self.loss_arguments(obj, args, kwargs)]
        if roles not in self.loss_roles:
            self.loss_roles.append(roles)
        self.calls.append("L")
        loss = function(obj, *args, **kwargs)
        self.loss = as_float(loss)
        self.plain_numbers = self.plain_numbers and type(loss) in PLAIN_FLOATS
        return loss

    def backward_called(self, function, obj, args, kwargs, watch):
        self.calls.append("B")
        self.sample = self.last_input
        self.plain_numbers = self.plain_numbers and type(self.sample) in PLAIN_FLOATS
        return function(obj, *args, **kwargs)

    def step_called(self, function, obj, args, kwargs, watch):
        """A step: logged and traced (its sample, learning rate, loss and the parameters after it)."""
        self.calls.append("S")
        self.trained_in = self.trained_in or watch.cell
        if self.parameter_paths is not None:
            returned = function(obj, *args, **kwargs)
        else:
            before = [state.leaves(layer) for layer in self.layers]
            returned = function(obj, *args, **kwargs)
            self.first_before = self.first_before or before
            self.find_parameters(before)
        row = [as_float(self.sample), as_float(args[0] if args else first_argument(args, kwargs)), self.loss]
        for layer, read in self.read_after_step:
            row.append(as_float(read(layer)))
        self.steps.append(row)
        return returned

    def find_parameters(self, before):
        """Watches the steps until one moves a number: those numbers are then read after every step
        (the steps before it moved nothing, so they held what they held before it)."""
        moved = [state.moved(b, a, list(a)) for b, a in zip(before, [state.leaves(layer) for layer in self.layers])]
        if any(moved) or self.calls.count("S") >= WATCHED_STEPS:  # a step before backward may move nothing
            self.parameter_paths = moved
            self.readers = [
                (index, path, state.paths(self.layers[index])[path])
                for index in self.parameter_layers().values()
                for path in moved[index]
            ]
            self.read_after_step = [(self.layers[index], state.reader(steps)) for index, _, steps in self.readers]
            unmoved = [state.as_float(before[index].get(path)) for index, path, _ in self.readers]
            for step in self.steps:
                step[FIRST_READER:] = unmoved

    def parameter_layers(self):
        """{"w": index, "b": index} of the first layer of each class with a parameter."""
        found = {}
        for index, name in enumerate(self.layer_names):
            if name in homework.PARAMETERS:
                found.setdefault(homework.PARAMETERS[name], index)
        return found

    def trace(self):
        """The loop's steps as numbers: the sample forward was given before each step's backward (nan
        when it is not one number), the learning rate, the loss compute_loss returned last, w and b
        after each step (nan where they were not found), and w and b before the first step."""
        trace = {
            "x": [step[0] for step in self.steps],
            "lr": [step[1] for step in self.steps],
            "loss": [step[2] for step in self.steps],
        }
        (trace["w"], w), (trace["b"], b) = self.parameter_trace("w"), self.parameter_trace("b")
        trace["start"] = [w, b]
        return {key: wire.encode(np.array(values, dtype=float)) for key, values in trace.items()}

    def parameter_trace(self, name):
        """(the parameter after each step, before the first), read where the steps moved it; nan
        where it was not found."""
        index = self.parameter_layers().get(name)
        path = None if index is None else self.parameter_path(index, self.layers[index])
        column = next((k for k, (i, p, _) in enumerate(self.readers) if (i, p) == (index, path)), None)
        if column is None:
            return [float("nan")] * len(self.steps), float("nan")
        before = (self.first_before or self.initial)[index]
        return [step[FIRST_READER + column] for step in self.steps], state.as_float(before.get(path))

    def parameter_path(self, index, layer):
        """Where the layer keeps its parameter: the number its watched step moved; of several, or of
        those changed since it was built, the one forward uses (None when forward uses none)."""
        now = state.leaves(layer)
        moved = (self.parameter_paths or [[]] * len(self.layers))[index]
        if not moved:  # no watched step moved anything: what changed since it was built
            moved = state.moved(self.initial[index], now, [p for p in self.initial[index] if np.ndim(now.get(p)) == 0])
        if len(moved) != 1:  # none or several (a dict shared by the layers): the one forward uses
            used = probe(layer)
            moved = [p for p in moved if state.equal(now.get(p), used)] or moved
        return moved[0] if moved else None


CALLS = {"forward": "F", "compute_loss": "L", "backward": "B", "step": "S"}  # the letters recorders log
RECORDERS = {
    "forward": ModelLog.forward_called,
    "compute_loss": ModelLog.loss_called,
    "backward": ModelLog.backward_called,
    "step": ModelLog.step_called,
}


class LoopWatch:
    """The logs of every composition built while it watches, in the order they were built."""

    def __init__(self):
        self.models = {}  # id(instance) -> ModelLog
        self.cell = None  # the notebook cell running now

    def recording(self, composition):
        """A subclass of the student's composition whose instances log into this watch."""
        watch, models, loss_arguments = self, self.models, binder(getattr(composition, "compute_loss", None))

        def watched(name):
            plain = inspect.getattr_static(composition, name, None)

            def looked_up(obj, *args, **kwargs):  # not a plain function: looked up at each call, as Python does
                return getattr(super(Recorded, obj), name)(*args, **kwargs)

            function = plain if isinstance(plain, types.FunctionType) else looked_up
            recorder = RECORDERS[name]

            def method(self, *args, **kwargs):
                log = models.get(id(self)) or watch.log_of(self, loss_arguments)
                if log.busy:  # the student's method calling itself (recursion): inside the loop's one call
                    return function(self, *args, **kwargs)
                log.busy = True
                try:
                    return recorder(log, function, self, args, kwargs, watch)
                finally:
                    log.busy = False

            method.__name__ = method.__qualname__ = name
            return method

        class Recorded(composition):
            def __init__(self, *args, **kwargs):
                layers = args[0] if args else next(iter(kwargs.values()), [])
                log = watch.models[id(self)] = ModelLog(self, layers, watch.cell, loss_arguments)
                super().__init__(*args, **kwargs)
                log.hold(held_layers(self, log.layers))

            forward, compute_loss = watched("forward"), watched("compute_loss")
            backward, step = watched("backward"), watched("step")

        Recorded.original = composition
        Recorded.__name__ = Recorded.__qualname__ = composition.__name__
        return Recorded

    def log_of(self, instance, loss_arguments):
        if id(instance) not in self.models:  # built by a path that skipped __init__ (copy, __new__)
            layers = state.read(instance, (("attr", "layers"),)) or []
            self.models[id(instance)] = ModelLog(instance, layers, self.cell, loss_arguments)
        return self.models[id(instance)]

    def exercise(self):
        """The model of the exercise's loop: the first built like the hand-out's and trained for the
        hand-out's number of steps (a shorter experiment before it is not the exercise, nor a
        longer challenge after it); failing that, the first trained one built like the hand-out's,
        the first trained one, the first one called at all."""
        logs = list(self.models.values())
        trained = [log for log in logs if log.trained]
        handout = [log for log in trained if log.layer_names == homework.MODEL]
        complete = [log for log in handout if log.calls.count("S") >= homework.LOOP_STEPS]
        return next(iter(complete or handout or trained or [log for log in logs if log.calls]), None)


def probe(layer):
    """The parameter as the layer's forward uses it: w·1, or 0 + b; nan when forward will not say."""
    try:
        return state.as_float(layer.forward(homework.PROBES[type(layer).__name__]))
    except CAUGHT:
        return float("nan")


def first_argument(args, kwargs):
    """What a call was given first (forward's x, step's learning rate), by position or by name."""
    return args[0] if args else next(iter(kwargs.values()), None)


def held_layers(composition, given):
    """The list of layers a composition keeps, found as the list or tuple it holds whose items are
    of the classes it was given, in order: the given ones themselves, or copies of them."""
    classes = [type(layer) for layer in given]
    for _, value in state.attributes(composition):
        if type(value) in (list, tuple) and classes and [type(item) for item in value] == classes:
            return value if any(a is not b for a, b in zip(value, given)) else given
    return given


def record(model, composition, raised, asked=None, returned=None):
    """What the exercise's loop did, as plain data for the parent (see grader.homework.checks.training)."""
    return {
        "events": "".join(model.calls) if model else "",
        "loss_roles": model.loss_roles if model else [],
        "loss_params": parameters(getattr(composition, "compute_loss", None)),
        "asked": asked,
        "returns_model": returned,
        "trace": (model or ModelLog(None, [], None)).trace(),
        "plain_numbers": bool(model and model.plain_numbers),
        "handout_model": bool(model and model.layer_names == homework.MODEL),
        "raised": raised,
    }


def returns_model(returned, model):
    """Whether train() returned the model it trained: alone, or in a tuple, a list or a dict."""
    items = (
        returned
        if type(returned) in (tuple, list)
        else list(returned.values())
        if type(returned) is dict
        else [returned]
    )
    return model is not None and any(item is model.instance for item in items)


def call_train(train, x, y, learning_rate, n_steps):
    """train(x, y, learning_rate, n_steps), the last two by name when its signature takes them so
    (keyword-only parameters, or names in another order)."""
    try:
        signature = inspect.signature(train)
        if {"learning_rate", "n_steps"} <= set(signature.parameters):
            signature.bind(x, y, learning_rate=learning_rate, n_steps=n_steps)
            return train(x, y, learning_rate=learning_rate, n_steps=n_steps)
    except (TypeError, ValueError):  # no signature to read, or it does not bind that way
        pass
    return train(x, y, learning_rate, n_steps)


def role(value, estimate):
    """ "estimate" when the value is what forward returned last; "target" otherwise."""
    if value is estimate:
        return "estimate"
    if type(value) in PLAIN_FLOATS and type(estimate) in PLAIN_FLOATS:  # the usual case, at every step: quick
        return "estimate" if value == estimate else "target"
    try:
        same = np.shape(value) == np.shape(estimate) and bool(np.array_equal(value, estimate))
    except CAUGHT:
        same = False
    return "estimate" if same else "target"


def binder(method):
    """A function (obj, args, kwargs) -> the values a call passed to the method, in the order of
    its parameters (self excluded); the arguments as given when they do not fit its signature."""
    try:
        signature = inspect.signature(method)
    except CAUGHT:
        return lambda obj, args, kwargs: list(args)
    plain = all(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in signature.parameters.values())

    kinds = {name: p.kind for name, p in signature.parameters.items()}

    def bound_values(obj, args, kwargs):
        if plain and not kwargs:  # already in the parameters' order: spares a bind() at each of 5000 steps
            return list(args)
        try:
            bound = signature.bind(obj, *args, **kwargs)
        except TypeError:
            return list(args)
        values = []
        for name, value in list(bound.arguments.items())[1:]:  # *args and **kwargs give theirs in order
            kind = kinds[name]
            values += list(value) if kind == VARIADIC else list(value.values()) if kind == KEYWORDS else [value]
        return values

    return bound_values


VARIADIC, KEYWORDS = inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD


def parameters(method, bound=False):
    """A method's parameter names, self excluded (`bound`: it is already bound, self is not there)."""
    try:
        return list(inspect.signature(method).parameters)[0 if bound else 1 :]
    except CAUGHT:
        return []
