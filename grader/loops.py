"""The student's own training loops, watched as they run (in the child): which model they train,
the calls they make on it, how they pass the estimate to compute_loss, and where the model ends.

Every my_composition the submission builds is a recording subclass of the student's class, so each
instance has its own log. The exercise's loop is the first that trains a model built like the
hand-out's; what the submission trains after it (an extension, a challenge) is seen, not graded.
"""
import inspect
import types

import numpy as np

from grader import state

HANDOUT_LAYERS = ("multiplication_weight", "add_bias", "my_exp")  # the hand-out's model, in order
HANDOUT_STEPS = 5000  # the steps the hand-out's training loop takes
PARAMETERS = {"multiplication_weight": "w", "add_bias": "b"}  # the layers whose parameter the loop trains
CALLS = {"forward": "F", "compute_loss": "L", "backward": "B", "step": "S"}
WATCHED_STEPS = 50  # steps watched for the first that moves a parameter
CAUGHT = (Exception, SystemExit, KeyboardInterrupt, GeneratorExit)  # all a student's code may raise at us


class ModelLog:
    """One composition instance's life in a loop."""

    def __init__(self, instance, layers, cell):
        self.instance = instance  # kept alive, so that no later instance reuses its id()
        self.layers = list(layers) if isinstance(layers, (list, tuple)) else []
        self.layer_names = tuple(type(layer).__name__ for layer in self.layers)
        self.layer_classes = [type(layer) for layer in self.layers]
        self.built_in = cell
        self.trained_in = None  # the cell of its first step
        self.calls = []  # "F", "L", "B", "S"
        self.loss_roles = []  # each way compute_loss was called: the arguments' roles, in its parameters' order
        self.last_output = None
        self.parameter_paths = None  # per layer: where the first step that moved anything moved a number
        self.initial = [state.leaves(layer) for layer in self.layers]
        self.busy = False  # inside one of the loop's calls

    @property
    def trained(self):
        return "S" in self.calls

    def hold(self, layers):
        """The layers the composition actually holds (copies of those it was given, say)."""
        if layers is not self.layers:
            self.layers = layers
            self.initial = [state.leaves(layer) for layer in layers]

    def called(self, name, inner, args, kwargs, cell):
        """One call of the loop on the model: logged, and the steps watched until one moves a parameter."""
        kind = CALLS[name]
        if kind == "F":
            self.last_output = out = inner(*args, **kwargs)
            self.calls.append("F")
            return out
        self.calls.append(kind)
        if kind != "S" or self.parameter_paths is not None:
            return inner(*args, **kwargs)
        self.trained_in = self.trained_in or cell
        before = [state.leaves(layer) for layer in self.layers]
        returned = inner(*args, **kwargs)
        moved = [state.moved(b, a, list(a)) for b, a in zip(before, [state.leaves(layer) for layer in self.layers])]
        if any(moved) or self.calls.count("S") >= WATCHED_STEPS:  # a step before backward may move nothing
            self.parameter_paths = moved
        return returned

    def loss_called(self, arguments):
        roles = [role(value, self.last_output) for value in arguments]
        if roles not in self.loss_roles:
            self.loss_roles.append(roles)

    def final_parameters(self):
        """{"w": value, "b": value} the model ends with: the numbers its step moved, read now."""
        found = {}
        for index, (layer, name) in enumerate(zip(self.layers, self.layer_names)):
            if name in PARAMETERS and PARAMETERS[name] not in found:
                found[PARAMETERS[name]] = self.parameter_of(index, layer)
        return found

    def parameter_of(self, index, layer):
        now = state.leaves(layer)
        moved = (self.parameter_paths or [[]] * len(self.layers))[index]
        if not moved:  # no watched step moved anything: what changed since it was built
            moved = state.moved(self.initial[index], now, [p for p in self.initial[index] if np.ndim(now.get(p)) == 0])
        if len(moved) != 1:  # none or several (a dict shared by the layers): the one forward uses
            used = probe(layer)
            moved = [p for p in moved if state.equal(now.get(p), used)] or moved
            if not moved:
                return used
        return state.as_float(now.get(moved[0]))


class LoopWatch:
    """The logs of every composition built while it watches, in the order they were built."""

    def __init__(self, calls=True):
        self.models = {}  # id(instance) -> ModelLog
        self.cell = None  # the notebook cell running now
        self.calls = calls  # False: watch a model only until its parameters are found, then let it run bare

    def recording(self, composition):
        """A subclass of the student's composition whose instances log into this watch."""
        watch, loss_arguments = self, binder(getattr(composition, "compute_loss", None))

        def watched(name):
            plain = inspect.getattr_static(composition, name, None)
            plain = plain if isinstance(plain, types.FunctionType) else None  # else: looked up at each call

            def method(self, *args, **kwargs):
                log = watch.log_of(self)
                inner = plain.__get__(self) if plain else getattr(super(Recorded, self), name)
                if log.busy:  # the student's method calling itself (recursion): inside the loop's one call
                    return inner(*args, **kwargs)
                log.busy = True
                try:
                    if name == "compute_loss":
                        log.loss_called(loss_arguments(self, args, kwargs))
                    return log.called(name, inner, args, kwargs, watch.cell)
                finally:
                    log.busy = False
                    if not watch.calls and log.parameter_paths is not None:
                        bare(self, composition)

            method.__name__ = method.__qualname__ = name
            return method

        class Recorded(composition):
            def __init__(self, *args, **kwargs):
                layers = args[0] if args else next(iter(kwargs.values()), [])
                log = watch.models[id(self)] = ModelLog(self, layers, watch.cell)
                super().__init__(*args, **kwargs)
                log.hold(held_layers(self, log.layers))

            forward, compute_loss = watched("forward"), watched("compute_loss")
            backward, step = watched("backward"), watched("step")

        Recorded.original = composition
        Recorded.__name__ = Recorded.__qualname__ = composition.__name__
        return Recorded

    def log_of(self, instance):
        if id(instance) not in self.models:  # built by a path that skipped __init__ (copy, __new__)
            self.models[id(instance)] = ModelLog(instance, state.read(instance, (("attr", "layers"),)) or [], self.cell)
        return self.models[id(instance)]

    def exercise(self):
        """The model of the exercise's loop: the first built like the hand-out's and trained for the
        hand-out's number of steps (a shorter experiment before it is not the exercise, nor a
        longer challenge after it); failing that, the first trained one built like the hand-out's,
        the first trained one, the first one called at all."""
        logs = list(self.models.values())
        trained = [log for log in logs if log.trained]
        handout = [log for log in trained if log.layer_names == HANDOUT_LAYERS]
        complete = [log for log in handout if log.calls.count("S") >= HANDOUT_STEPS]
        return next(iter(complete or handout or trained or [log for log in logs if log.calls]), None)


PROBES = {"multiplication_weight": 1.0, "add_bias": 0.0}  # forward(probe) is the parameter itself


def probe(layer):
    """The parameter as the layer's forward uses it: w·1, or 0 + b; nan when forward will not say."""
    try:
        return state.as_float(layer.forward(PROBES[type(layer).__name__]))
    except CAUGHT:
        return float("nan")


def held_layers(composition, given):
    """The list of layers a composition keeps, found as the list or tuple it holds whose items are
    of the classes it was given, in order: the given ones themselves, or copies of them."""
    classes = [type(layer) for layer in given]
    for _, value in state.attributes(composition):
        if type(value) in (list, tuple) and classes and [type(item) for item in value] == classes:
            return value if any(a is not b for a, b in zip(value, given)) else given
    return given


def bare(instance, composition):
    """The instance as the student's own class again: the rest of its loop runs unwatched, at full speed."""
    try:
        instance.__class__ = composition
    except TypeError:  # a layout the class cannot be swapped for (__slots__): it stays watched
        pass


def record(model, composition, raised, asked=None, returned=None):
    """What the exercise's loop did, as plain data for the parent (see grader.checks.training)."""
    final = model.final_parameters() if model else {}
    return {"events": "".join(model.calls) if model else "",
            "loss_roles": model.loss_roles if model else [],
            "loss_params": parameters(getattr(composition, "compute_loss", None)),
            "asked": asked, "returns_model": returned, "moved": bool(model and any(model.parameter_paths or [])),
            "final": [final.get("w", float("nan")), final.get("b", float("nan"))],
            "raised": raised}


def returns_model(returned, model):
    """Whether train() returned the model it trained: alone, or in a tuple, a list or a dict."""
    items = returned if type(returned) in (tuple, list) else list(returned.values()) if type(returned) is dict \
        else [returned]
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
    """"estimate" when the value is what forward returned last; "target" otherwise."""
    if value is estimate:
        return "estimate"
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
        return list(inspect.signature(method).parameters)[0 if bound else 1:]
    except CAUGHT:
        return []
