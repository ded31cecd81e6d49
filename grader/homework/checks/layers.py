"""Checks of one layer class: forward, backward (returned and saved gradients), step,
finite differences, arrays, and two instances not sharing state."""

import numpy as np

from grader import homework
from grader.check import (
    Check,
    Finding,
    Tolerance,
    agree,
    central_difference,
    changed,
    compare,
    fd_precision,
    fd_steps,
    finite_difference_verdict,
    first_error,
    is_numeric,
    num,
    show,
    state_after,
    value,
)
from grader.ops import arg, bind, call, new, read, ref
from grader.state import equal, same
from grader.wire import Raised


# a consistency check (arrays, two instances) earns its points only when what it compares with is right
RIGHT_TOO = "which must be right too"


class LayerCheck(Check):
    def __init__(self, layer):
        self.layer = layer
        self.param = homework.LAYERS[layer]
        self.id = f"{layer}.{self.aspect}"
        self.subject = f"{layer}.{self.method}"

    def cases(self, ctx):
        return ctx.inputs.scalar[self.layer]

    def construct(self, key, name, param):
        return new(key, name, self.layer, *([] if self.param is None else [arg(param)]))

    life: tuple[str, ...] = ("forward", "backward", "step")  # the calls after new the check needs of an instance

    def run_case(self, i, case, lr):
        """The life of one instance, new then the calls of `life`, and no further: a hang in backward
        must not cost the forward check."""
        given = {"forward": ("fwd", case.x), "backward": ("bwd", case.grad), "step": ("step", lr)}
        return [self.construct(f"new{i}", f"l{i}", case.param)] + [
            call(f"{given[method][0]}{i}", f"l{i}", method, arg(given[method][1])) for method in self.life
        ]

    def scenario(self, ctx):
        return [op for i, case in enumerate(self.cases(ctx)) for op in self.run_case(i, case, ctx.inputs.learning_rate)]

    def holding(self, case):
        return "" if self.param is None else f" with {self.param}={num(case.param)}"


class Forward(LayerCheck):
    aspect = method = "forward"
    life = ("forward",)

    def observe(self, records, ctx):
        return {
            f"forward(x={num(c.x)}){self.holding(c)}": value(records, f"fwd{i}") for i, c in enumerate(self.cases(ctx))
        }


class InputGrad(LayerCheck):
    aspect, method = "backward.input_grad", "backward"
    life = ("forward", "backward")

    def observe(self, records, ctx):
        returned = "gradient returned by backward(grad={}) after forward(x={}){}"
        return {
            returned.format(num(c.grad), num(c.x), self.holding(c)): backward_value(records, i)
            for i, c in enumerate(self.cases(ctx))
        }


class WholeLayer(LayerCheck):
    """A check whose saved numbers are also judged by what the layer does with them: a saved number
    that is not ∂L/∂w (minus it, say) is right when step moves the parameter by −lr·∂L/∂w with it,
    since the layer as a whole descends the gradient. `rescues(reference)`: {judged key: evidence key}."""

    def rescues(self, reference):
        raise NotImplementedError

    def verdict(self, student, reference, ctx):
        return compare(student, reference, ctx.tolerance, rescued_by=self.rescues(reference))

    def same_bug(self, student, mutant, reference, ctx):
        """The mutant's symptoms are where its judged keys are wrong (the rule, the saved number) or,
        when they are all right, where its evidence is (a step that moves by the sum of every
        gradient). The student shares them when it is wrong, as the mutant, on most of them: a
        parameter left at 0 by one use makes the next use's rules coincide, and no better."""
        rescues = self.rescues(reference)
        evidence = set(rescues.values())

        def right(observation, key):
            return any(agree(observation.get(k), reference[k], ctx.tolerance) for k in (key, rescues.get(key, key)))

        symptoms = [key for key in reference if key not in evidence and not right(mutant, key)] or [
            key for key in evidence if not right(mutant, key)
        ]
        shared = [key for key in symptoms if not right(student, key)]
        return (
            bool(symptoms)
            and 2 * len(shared) >= len(symptoms)
            and all(agree(student.get(key), mutant.get(key), ctx.tolerance) for key in shared)
        )


class TwoUses(WholeLayer):
    """Each instance used twice: a gradient that accumulates is right once, then wrong; a step
    with momentum is plain SGD at first, then not."""

    def again(self, i, ctx):
        """The case the instance of case i is used for the second time."""
        cases = self.cases(ctx)
        return cases[(i + 1) % len(cases)]

    def scenario(self, ctx):
        ops = super().scenario(ctx)
        for i, _ in enumerate(self.cases(ctx)):
            second = self.again(i, ctx)
            ops += [
                call(f"again.fwd{i}", f"l{i}", "forward", arg(second.x)),
                call(f"again.bwd{i}", f"l{i}", "backward", arg(second.grad)),
                call(f"again.step{i}", f"l{i}", "step", arg(ctx.inputs.learning_rate)),
            ]
        return ops

    def rescues(self, reference):
        keys = list(reference)  # observed in pairs: what is judged (a saved number, a rule), then how far step moved
        return dict(zip(keys[::2], keys[1::2]))

    def uses(self, i, c, ctx):
        """(words for each use of case i's instance, its `again` prefix)."""
        second = self.again(i, ctx)
        return (
            (f"backward(grad={num(c.grad)}) after forward(x={num(c.x)}){self.holding(c)}", ""),
            (f"the same instance's second forward(x={num(second.x)}) and backward(grad={num(second.grad)})", "again."),
        )


class ParamGrad(TwoUses):
    """The saved gradient, after a first backward and after a second one on the same instance."""

    aspect, method = "backward.param_grad", "backward"

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for i, c in enumerate(self.cases(ctx)):
            for use, again in self.uses(i, c, ctx):
                observation[f"gradient saved for {self.param} by {use}"] = saved_gradient(
                    records, i, c.param, lr, again
                )[0]
                observation[f"how far step then moved {self.param}, after {use}"] = move(records, i, c.param, lr, again)
        return observation


class Step(TwoUses):
    aspect = method = "step"

    def cases(self, ctx):
        """Only where the parameter's gradient is not 0 (when some case has one): there, a step that
        leaves the parameter alone would be right, and would show nothing about step."""
        cases = super().cases(ctx)
        return [c for c in cases if parameter_gradient(self.layer, c) != 0] or cases

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for i, c in enumerate(self.cases(ctx)):
            for use, again in self.uses(i, c, ctx):
                observation[f"step({lr:g}) after {use}"] = update_rule(records, i, c.param, lr, self.param, again)
                observation[f"how far step({lr:g}) moved {self.param} after {use}"] = move(
                    records, i, c.param, lr, again
                )
        return observation


class NoStep(LayerCheck):
    """A layer without parameters: step must exist and change nothing."""

    aspect = method = "step"

    def scenario(self, ctx):
        return [
            op
            for i, c in enumerate(self.cases(ctx))
            for op in self.run_case(i, c, ctx.inputs.learning_rate) + [call(f"again{i}", f"l{i}", "forward", arg(c.x))]
        ]

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for i, c in enumerate(self.cases(ctx)):
            observation[f"step({lr:g}) after backward"] = error_only(value(records, f"step{i}"))
            observation[f"forward(x={num(c.x)}) after step"] = value(records, f"again{i}")
        return observation


DIFFERENCE_IN = "grad × finite difference in"


class FiniteDifferences(LayerCheck):
    """Gradients against central differences of the student's own forward: independent of the
    reference. Also on the same instance after a step, so a backward that uses a stale copy of the
    parameter shows. Code that computes in float32 is differenced with a step and judged with a
    tolerance that float32 can resolve."""

    aspect, method = "finite_diff", "backward"

    def scenario(self, ctx):
        ops = super().scenario(ctx)
        for precision, relative in fd_steps(ctx).items():
            for i, c in enumerate(self.cases(ctx)):
                h = step_size(c.x, relative)
                for sign, x in (("+", c.x + h), ("-", c.x - h)):
                    ops += [
                        self.construct(f"{precision}newx{sign}{i}", f"{precision}x{sign}{i}", c.param),
                        call(f"{precision}fx{sign}{i}", f"{precision}x{sign}{i}", "forward", arg(x)),
                        call(f"{precision}after.fx{sign}{i}", f"l{i}", "forward", arg(x)),
                    ]  # stepped
                if self.param is not None:
                    hp = step_size(c.param, relative)
                    for sign, p in (("+", c.param + hp), ("-", c.param - hp)):
                        ops += [
                            self.construct(f"{precision}newp{sign}{i}", f"{precision}p{sign}{i}", p),
                            call(f"{precision}fp{sign}{i}", f"{precision}p{sign}{i}", "forward", arg(c.x)),
                        ]
        for i, c in enumerate(self.cases(ctx)):  # the stepped instance's own forward and backward, last
            ops += [
                call(f"after.fwd{i}", f"l{i}", "forward", arg(c.x)),
                call(f"after.bwd{i}", f"l{i}", "backward", arg(c.grad)),
            ]
        return ops

    def observe(self, records, ctx):
        observation = {}
        precision = fd_precision([value(records, f"fwd{i}") for i, _ in enumerate(self.cases(ctx))])
        relative = fd_steps(ctx)[precision]
        for i, c in enumerate(self.cases(ctx)):
            at = f"x={num(c.x)}{self.holding(c)}, grad={num(c.grad)}"
            h = step_size(c.x, relative)
            fd = central(records, f"{precision}fx", i, h)
            observation[f"returned gradient at {at}"] = backward_value(records, i)
            observation[f"{DIFFERENCE_IN} x at {at}"] = times(c.grad, fd)
            observation[f"returned gradient after a step, at {at}"] = backward_value(records, i, "after.")
            observation[f"{DIFFERENCE_IN} x after a step, at {at}"] = times(
                c.grad, central(records, f"{precision}after.fx", i, h)
            )
            if self.param is not None:
                fd_param = times(c.grad, central(records, f"{precision}fp", i, step_size(c.param, relative)))
                observation[f"saved gradient for {self.param} at {at}"] = descended_gradient(
                    records, i, c.param, ctx.inputs.learning_rate, fd_param, ctx
                )
                observation[f"{DIFFERENCE_IN} {self.param} at {at}"] = fd_param
        return observation

    def verdict(self, student, reference, ctx):
        variables = ["x"] + ([self.param] if self.param else [])
        return finite_difference_verdict(
            student, reference, ctx, "of your forward", {v: f"{DIFFERENCE_IN} {v} " for v in variables}
        )


def descended_gradient(records, i, param, lr, fd, ctx):
    """The saved gradient; or, when step moved the parameter by exactly −lr·fd with a saved number
    that is not fd (minus it, say), the gradient the layer descends: fd."""
    saved = saved_gradient(records, i, param, lr)[0]
    moved = move(records, i, param, lr)
    if is_numeric(moved) and is_numeric(fd) and agree(moved, -lr * fd, ctx.fd_tolerance):
        return -moved / lr
    return saved


class Arrays(LayerCheck):
    """forward and backward on numpy arrays of several shapes: the same as element by element,
    leaving the input array as it was. Earns its points only when the element-by-element results
    are right too (a wrong formula that is consistently wrong on arrays is still wrong)."""

    aspect, method = "arrays", "forward"

    def cases(self, ctx):
        return ctx.inputs.array[self.layer]

    def scenario(self, ctx):
        ops = []
        for i, c in enumerate(self.cases(ctx)):
            ops += [
                bind(f"bind{i}", f"x{i}", arg(c.x)),
                bind(f"bindg{i}", f"g{i}", arg(c.grad)),
                self.construct(f"new{i}", f"l{i}", c.param),
                call(f"fwd{i}", f"l{i}", "forward", ref(f"x{i}")),
                read(f"input{i}", f"x{i}"),
                call(f"bwd{i}", f"l{i}", "backward", ref(f"g{i}")),
                read(f"input.after.bwd{i}", f"x{i}"),
                read(f"grad.after.bwd{i}", f"g{i}"),
            ]
            for k, (x, g) in enumerate(zip(c.x.ravel(), c.grad.ravel())):
                ops += [
                    self.construct(f"new{i}.{k}", f"l{i}.{k}", c.param),
                    call(f"fwd{i}.{k}", f"l{i}.{k}", "forward", arg(float(x))),
                    call(f"bwd{i}.{k}", f"l{i}.{k}", "backward", arg(float(g))),
                ]
        return ops

    def observe(self, records, ctx):
        observation = {}
        for i, c in enumerate(self.cases(ctx)):
            shape = f"an array of shape {c.x.shape}"
            elements = range(c.x.size)
            for method, key in (("forward", "fwd"), ("backward", "bwd")):
                whole = value(records, f"fwd{i}") if method == "forward" else backward_value(records, i)
                each = [value(records, f"{key}{i}.{k}") for k in elements]
                observation[f"{method} on {shape}, against {method} on each element"] = elementwise(
                    whole, each, c.x.shape, ctx
                )
                observation[f"{method} on each element of {shape}, {RIGHT_TOO}"] = as_array(each, c.x.shape)
            for what, key, before, method in (
                ("the input array", f"input{i}", c.x, "forward"),
                ("the input array", f"input.after.bwd{i}", c.x, "backward"),
                ("the gradient array", f"grad.after.bwd{i}", c.grad, "backward"),
            ):
                after = value(records, key)
                observation[f"{what} after {method} on {shape}"] = Finding(
                    is_numeric(after) and np.shape(after) == before.shape and np.array_equal(after, before),
                    f"{method} changed it to {show(after)}",
                    kind=method,
                )
        return observation

    def same_bug(self, student, mutant, reference, ctx):
        """On arrays, code for single numbers fails converting them (math.exp, float(x), int(x)) with a
        TypeError or a ValueError, in forward or only in backward: one symptom, matched by kind
        when the mutant shows nothing else, and the student's element-by-element results are right."""

        def departures(observation):
            return [k for k in reference if not agree(observation.get(k), reference[k], ctx.tolerance)]

        def other_than_conversions(observation):
            return [
                k
                for k in departures(observation)
                if not (isinstance(observation.get(k), Raised) and observation[k].type in CONVERSION_ERRORS)
            ]

        if departures(mutant) and not other_than_conversions(mutant):
            return bool(departures(student)) and not other_than_conversions(student)
        return super().same_bug(student, mutant, reference, ctx)


CONVERSION_ERRORS = ("TypeError", "ValueError")


def single_number(value):
    """A number, or an array of shape (1,) standing for one (w kept as np.array([w]))."""
    return is_numeric(value) and np.shape(value) in ((), (1,))


def elementwise(whole, each, shape, ctx):
    """Whether the result on the whole equals the results on each element. When the code gives no
    numbers element by element there is nothing to compare, and so no evidence of consistency: it
    fails. When nothing was seen (a gradient kept in a closure), the check's other keys judge."""
    if isinstance(whole, Raised):
        return whole
    each = as_array(each, shape)
    if each is None:
        return Finding(True)
    if not is_numeric(each):
        return Finding(False, f"nothing to compare with: element by element it gives {show(each)}", kind="not numbers")
    return Finding(agree(whole, each, ctx.tolerance), f"got {show(whole)}, element by element {show(each)}")


def as_array(each, shape):
    """The results on each element as one array, or the first that is not a number."""
    odd = [v for v in each if not single_number(v)]
    return odd[0] if odd else np.array([np.reshape(v, ()) for v in each], dtype=float).reshape(shape)


INTERFERENCE = "of two instances used in turn, against the same instance alone"


class IndependentInstances(WholeLayer):
    """Two instances used in turn, as in a stack of two layers of the same class, must each give
    what they give when used alone, and that must be right."""

    aspect, method = "independent_instances", "forward"

    def cases(self, ctx):
        return ctx.inputs.pairs[self.layer]

    def scenario(self, ctx):
        first, second = self.cases(ctx)
        lr = ctx.inputs.learning_rate
        together = [
            self.construct("new0", "a", first.param),
            self.construct("new1", "b", second.param),
            call("fwd0", "a", "forward", arg(first.x)),
            call("fwd1", "b", "forward", arg(second.x)),
            call("bwd0", "a", "backward", arg(first.grad)),
            call("bwd1", "b", "backward", arg(second.grad)),
            call("step0", "a", "step", arg(lr)),
            call("step1", "b", "step", arg(lr)),
        ]
        alone = [op for i, c in enumerate((first, second), start=2) for op in self.run_case(i, c, lr)]
        return together + alone

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for i, (which, case) in enumerate(zip(("first", "second"), self.cases(ctx))):
            seen = {"backward": (backward_value(records, i), backward_value(records, i + 2))}
            if self.param is not None:
                seen[f"the gradient saved for {self.param} by backward"] = (
                    saved_gradient(records, i, case.param, lr)[0],
                    saved_gradient(records, i + 2, case.param, lr)[0],
                )
            for what, (together, alone) in seen.items():
                observation[f"{what} of the {which} {INTERFERENCE}"] = elementwise(together, [alone], (), ctx)
                observation[f"{what} of the {which} instance used alone, {RIGHT_TOO}"] = alone
            if self.param is not None:  # evidence for the saved number (see ParamGrad.rescues)
                observation[f"how far step moved {self.param} of the {which} instance used alone, {RIGHT_TOO}"] = move(
                    records, i + 2, case.param, lr
                )
        return observation

    def same_bug(self, student, mutant, reference, ctx):
        """Two instances that interfere share state, whatever they share and however it shows: a
        mutant that only interferes is matched by any code that interferes while right alone."""
        evidence = set(self.rescues(reference).values())

        def departs(observation, keys):
            return [key for key in keys if not agree(observation.get(key), reference[key], ctx.tolerance)]

        interference = [key for key in reference if key.endswith(INTERFERENCE)]
        alone = [key for key in reference if key not in interference and key not in evidence]
        if departs(mutant, interference) and not departs(mutant, alone):
            return bool(departs(student, interference)) and not departs(student, alone)
        return super().same_bug(student, mutant, reference, ctx)

    def rescues(self, reference):
        """The saved number of an instance alone is right when its step descends the gradient with it."""
        if self.param is None:
            return {}
        saved = "the gradient saved for {} by backward of the {} instance used alone, {}"
        moved = "how far step moved {} of the {} instance used alone, {}"
        return {
            saved.format(self.param, which, RIGHT_TOO): moved.format(self.param, which, RIGHT_TOO)
            for which in ("first", "second")
        }


def parameter_gradient(layer, case):
    """∂L/∂w = grad·x, ∂L/∂b = grad: what the reference saves for the parameter in this case."""
    return case.grad * case.x if layer == "multiplication_weight" else case.grad


def layer_checks(layer):
    kinds = [Forward, InputGrad, FiniteDifferences, Arrays]
    kinds += [ParamGrad, Step] if homework.LAYERS[layer] else [NoStep]
    if layer not in homework.HANDED_OUT:
        kinds.append(IndependentInstances)
    return [kind(layer) for kind in kinds]


# what the records say about parameters and their gradients


def backward_value(records, i, prefix=""):
    """What backward returned; when forward already failed, that failure (backward's own error
    would only be its consequence)."""
    return first_error(records, f"{prefix}fwd{i}", f"{prefix}bwd{i}") or value(records, f"{prefix}bwd{i}")


def saved_gradient(records, i, param, lr, again=""):
    """The gradient backward saved for the parameter, wherever the student keeps it; `again`:
    "again." for the instance's second forward, backward and step.

    Candidates are the numbers backward created or changed (failing that, those it may have
    rewritten with the same value: neither the parameter nor a cache of forward's). When there are
    several, the one the student's step actually moved the parameter by wins, so extra attributes
    game nothing.
    Returns (gradient or None, parameter's path or None).
    """
    start, forward, backward, step = use_keys(i, again)
    failed = first_error(records, forward, backward)
    if failed and not changed(records, forward, backward):
        return failed, None
    attr = param_attribute(records, i, param)
    candidates = {k: v for k, v in changed(records, forward, backward).items() if k != attr}
    if not candidates:  # backward may have saved the value the attribute already had (0 at x = 0)
        cached = changed(records, start, forward)
        candidates = {k: v for k, v in state_after(records, backward).items() if k != attr and k not in cached}
    if not candidates:
        return None, attr
    before, after = state_after(records, backward).get(attr), state_after(records, step).get(attr)
    for gradient in candidates.values():
        if after is not None and before is not None and classify(before, after, gradient, lr) in GRADIENT_RULES:
            return gradient, attr
    return next(iter(candidates.values())), attr


def param_attribute(records, i, param):
    """Where the parameter is kept: of the numbers equal to the constructor's value after __init__,
    the one step moves (the first, if step moves none)."""
    initial = state_after(records, f"new{i}")
    holders = [k for k, v in initial.items() if equal(v, param)]
    stepped = [state_after(records, key) for key in (f"step{i}", f"again.step{i}") if key in records]
    moved = [k for k in holders if any(k in after and not same(after[k], initial[k]) for after in stepped)]
    return (moved or holders or [None])[0]


# how step may move a parameter; an assignment is one rule whatever its sign (w = lr·grad, or the
# typo w =- lr·grad)
GRADIENT_RULES = ("param − lr·grad", "param + lr·grad", "param set to ±lr·grad")
RULES = (*GRADIENT_RULES, "unchanged")


def use_keys(i, again=""):
    """The records of one use of instance i: (before it, forward, backward, step); `again`:
    "again." for its second use, which starts where its first step left it."""
    start = f"step{i}" if again else f"new{i}"
    return start, f"{again}fwd{i}", f"{again}bwd{i}", f"{again}step{i}"


def move(records, i, param, lr, again=""):
    """How far step moved the parameter (after − before), or what kept it from moving."""
    _, forward, backward, step = use_keys(i, again)
    failed = first_error(records, forward, backward, step)
    if failed:
        return failed
    attr = param_attribute(records, i, param)
    before, after = state_after(records, backward).get(attr), state_after(records, step).get(attr)
    if before is None or after is None:
        return None
    return after - before


def update_rule(records, i, param, lr, name, again=""):
    """How step moved the parameter, relative to the gradient the student's own backward saved."""
    _, forward, backward, step = use_keys(i, again)
    failed = first_error(records, forward, backward, step)
    if failed:
        return failed
    gradient, attr = saved_gradient(records, i, param, lr, again)
    if attr is None:
        return f"no attribute holding {name} (it should start at the value passed to __init__)"
    if gradient is None or isinstance(gradient, Raised):
        return "no gradient saved by backward to step with"
    if not shows_a_rule(gradient):
        return f"backward saved {show(gradient)} as the gradient of {name}, so no step can show its rule"
    before, after = state_after(records, backward).get(attr, param), state_after(records, step).get(attr)
    rule = classify(before, after, gradient, lr)
    return rule.replace("param", name) if rule else f"{name} went from {show(before)} to {show(after)}"


def shows_a_rule(gradient):
    """Whether a step with this gradient can show which rule it follows: not with 0 (w − lr·0 is w
    unchanged) nor with nan or inf (w − lr·nan is nan, whatever the rule). The checks' own
    gradients are never 0 nor infinite."""
    return bool(np.all(np.isfinite(gradient)) and np.all(gradient != 0))


def classify(before, after, gradient, lr):
    """Which rule moved the parameter from `before` to `after`, at the precision it is kept in."""
    predictions = ((before - lr * gradient,), (before + lr * gradient,), (lr * gradient, -lr * gradient), (before,))
    tolerance = Tolerance(1e-9, 1e-12).at_precision_of(before, after, gradient)
    for rule, predicted in zip(RULES, predictions):
        if any(np.shape(after) == np.shape(p) and agree(after, p, tolerance) for p in predicted):
            return rule
    return None


def error_only(result):
    return result if isinstance(result, Raised) else "ran"


def step_size(x, relative):
    return relative * np.maximum(1.0, np.abs(x))


def central(records, prefix, i, h):
    return central_difference(value(records, f"{prefix}+{i}"), value(records, f"{prefix}-{i}"), h)


def times(grad, fd):
    return grad * fd if is_numeric(fd) else fd
