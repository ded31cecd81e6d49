"""Checks of one layer class: forward, backward (returned and saved gradients), step,
finite differences, arrays, and two instances not sharing state.

A check's scenario and its observation are made from the same handles (`fresh` below): each names
its records' keys once, scenario() makes the ops with them and observe() reads the records by them."""

from dataclasses import replace
from typing import NamedTuple

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
from grader.homework.inputs import LayerCase
from grader.ops import arg, bind, call, new, read, ref
from grader.state import equal, same
from grader.wire import Raised


# a consistency check (arrays, two instances) earns its points only when what it compares with is right
RIGHT_TOO = "which must be right too"


class Use(NamedTuple):
    """One use of a layer instance: the case its forward and backward are given, and the keys of its
    records: the one it starts from (the instance's construction, or its previous step), then its
    forward, backward and step (a check whose instances live shorter leaves the last ones unmade)."""

    case: LayerCase
    start: str
    forward: str
    backward: str
    step: str


class Instance(NamedTuple):
    """A fresh instance of the layer in a scenario: its name, the key of its construction's record,
    its first use and its second (`again`, made by the checks that use an instance twice)."""

    name: str
    new: str
    first: Use
    again: Use

    @property
    def case(self):
        """The case it is built for (the parameter it holds) and first used on."""
        return self.first.case


def fresh(label, case, again=None):
    """The handle of the instance labelled `label` (unique in its scenario), built for `case` and used
    again on `again` (the same case, unless given). Its keys are named here and nowhere else."""
    first = Use(case, f"new{label}", f"fwd{label}", f"bwd{label}", f"step{label}")
    second = [f"again.{key}" for key in (first.forward, first.backward, first.step)]
    return Instance(f"l{label}", first.start, first, Use(case if again is None else again, first.step, *second))


class LayerCheck(Check):
    @property
    def reads_state(self):
        """Where the layer keeps its parameter and the gradient it saved: only a layer with a parameter."""
        return self.param is not None

    def __init__(self, layer):
        self.layer = layer
        self.param = homework.LAYERS[layer]
        self.id = f"{layer}.{self.aspect}"
        self.subject = f"{layer}.{self.method}"
        self.made_for, self.made = None, []  # the inputs the instances' handles were made for, and those

    def cases(self, ctx):
        return ctx.inputs.scalar[self.layer]

    def instances(self, ctx):
        """A fresh instance per case: what scenario() builds and observe() reads, in the same order.
        Made once per inputs: observe() reads them for every submission and every mutant."""
        if self.made_for is not ctx.inputs:
            self.made_for, self.made = ctx.inputs, [fresh(i, case) for i, case in enumerate(self.cases(ctx))]
        return self.made

    def construct(self, instance):
        param = [] if self.param is None else [arg(instance.case.param)]
        return new(instance.new, instance.name, self.layer, *param)

    life: tuple[str, ...] = ("forward", "backward", "step")  # the calls after new the check needs of an instance

    def calls(self, instance, use, lr, methods):
        """The ops of one use of an instance: the calls of `methods`, in their order, forward given the
        use's x, backward its grad and step the learning rate."""
        given = {
            "forward": (use.forward, use.case.x),
            "backward": (use.backward, use.case.grad),
            "step": (use.step, lr),
        }
        return [call(given[method][0], instance.name, method, arg(given[method][1])) for method in methods]

    def run_case(self, instance, lr, methods=None):
        """The life of one instance, new then the calls of `life` (or of `methods`), and no further: a
        hang in backward must not cost the forward check."""
        return [self.construct(instance)] + self.calls(instance, instance.first, lr, methods or self.life)

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        return [op for instance in self.instances(ctx) for op in self.run_case(instance, lr)]

    def holding(self, case):
        return "" if self.param is None else f" with {self.param}={num(case.param)}"


class Forward(LayerCheck):
    aspect = method = "forward"
    life = ("forward",)
    reads_state = False

    def observe(self, records, ctx):
        return {
            f"forward(x={num(instance.case.x)}){self.holding(instance.case)}": value(records, instance.first.forward)
            for instance in self.instances(ctx)
        }


class InputGrad(LayerCheck):
    aspect, method = "backward.input_grad", "backward"
    life = ("forward", "backward")
    reads_state = False

    def observe(self, records, ctx):
        returned = "gradient returned by backward(grad={}) after forward(x={}){}"
        observation = {}
        for instance in self.instances(ctx):
            c = instance.case
            words = returned.format(num(c.grad), num(c.x), self.holding(c))
            observation[words] = backward_value(records, instance.first)
        return observation


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

    def instances(self, ctx):
        """Each case's instance, used again on the next case."""
        cases = self.cases(ctx)
        return [fresh(i, case, again=cases[(i + 1) % len(cases)]) for i, case in enumerate(cases)]

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        again = [op for instance in self.instances(ctx) for op in self.calls(instance, instance.again, lr, self.life)]
        return super().scenario(ctx) + again

    def rescues(self, reference):
        keys = list(reference)  # observed in pairs: what is judged (a saved number, a rule), then how far step moved
        return dict(zip(keys[::2], keys[1::2]))

    def uses(self, instance):
        """(words for each use of the instance, that use)."""
        c, second = instance.case, instance.again.case
        return (
            (f"backward(grad={num(c.grad)}) after forward(x={num(c.x)}){self.holding(c)}", instance.first),
            (
                f"the same instance's second forward(x={num(second.x)}) and backward(grad={num(second.grad)})",
                instance.again,
            ),
        )


class ParamGrad(TwoUses):
    """The saved gradient, after a first backward and after a second one on the same instance."""

    aspect, method = "backward.param_grad", "backward"

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for instance in self.instances(ctx):
            for words, use in self.uses(instance):
                saved, _ = saved_gradient(records, instance, use, lr)
                observation[f"gradient saved for {self.param} by {words}"] = saved
                observation[f"how far step then moved {self.param}, after {words}"] = move(records, instance, use)
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
        for instance in self.instances(ctx):
            for words, use in self.uses(instance):
                observation[f"step({lr:g}) after {words}"] = update_rule(records, instance, use, lr, self.param)
                observation[f"how far step({lr:g}) moved {self.param} after {words}"] = move(records, instance, use)
        return observation


class NoStep(LayerCheck):
    """A layer without parameters: step must exist and change nothing."""

    aspect = method = "step"
    reads_state = False

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        return [
            op
            for instance in self.instances(ctx)
            for op in self.run_case(instance, lr) + self.calls(instance, instance.again, lr, ("forward",))
        ]

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for instance in self.instances(ctx):
            observation[f"step({lr:g}) after backward"] = error_only(value(records, instance.first.step))
            observation[f"forward(x={num(instance.case.x)}) after step"] = value(records, instance.again.forward)
        return observation


DIFFERENCE_IN = "grad × finite difference in"


class Difference(NamedTuple):
    """A central difference of forward in one variable: its step h, and the keys of the records of
    forward at the variable + h and at − h."""

    h: float
    plus: str
    minus: str


class Differences(NamedTuple):
    """The finite differences at one case in one precision's steps: in x, of fresh instances (`moved`);
    in x again, of the case's own instance after its step; in the parameter, of fresh instances holding
    it ± h (`shifted`; None and none for a layer without one)."""

    x: Difference
    stepped: Difference
    param: Difference | None
    moved: list
    shifted: list


class FiniteDifferences(LayerCheck):
    """Gradients against central differences of the student's own forward: independent of the
    reference. Also on the same instance after a step, so a backward that uses a stale copy of the
    parameter shows. Code that computes in float32 is differenced with a step and judged with a
    tolerance that float32 can resolve."""

    aspect, method = "finite_diff", "backward"

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        instances = self.instances(ctx)
        ops = super().scenario(ctx)
        for precision, relative in fd_steps(ctx).items():
            for i, instance in enumerate(instances):
                ops += self.difference_ops(self.differences(i, instance, precision, relative), instance, lr)
        for instance in instances:  # the stepped instance's own forward and backward, last
            ops += self.calls(instance, instance.again, lr, ("forward", "backward"))
        return ops

    def differences(self, i, instance, precision, relative):
        """The handles of the finite differences at the case of instance i in one precision's steps:
        scenario() builds their ops (difference_ops), observe() reads their records."""
        c = instance.case
        h = step_size(c.x, relative)
        moved = [fresh(f"{precision}x{sign}{i}", replace(c, x=x)) for sign, x in (("+", c.x + h), ("-", c.x - h))]
        stepped = Difference(h, *(f"{precision}after.fx{sign}{i}" for sign in "+-"))
        x = Difference(h, *(each.first.forward for each in moved))
        if self.param is None:
            return Differences(x, stepped, None, moved, [])
        hp = step_size(c.param, relative)
        shifted = [
            fresh(f"{precision}p{sign}{i}", replace(c, param=p))
            for sign, p in (("+", c.param + hp), ("-", c.param - hp))
        ]
        return Differences(x, stepped, Difference(hp, *(each.first.forward for each in shifted)), moved, shifted)

    def difference_ops(self, differences, instance, lr):
        """Forward at x ± h of fresh instances and of the case's own, then at the parameter ± h."""
        ops = []
        for moved, key in zip(differences.moved, (differences.stepped.plus, differences.stepped.minus)):
            ops += self.run_case(moved, lr, ("forward",)) + [call(key, instance.name, "forward", arg(moved.case.x))]
        return ops + [op for each in differences.shifted for op in self.run_case(each, lr, ("forward",))]

    def observe(self, records, ctx):
        observation = {}
        lr = ctx.inputs.learning_rate
        instances = self.instances(ctx)
        precision = fd_precision([value(records, instance.first.forward) for instance in instances])
        relative = fd_steps(ctx)[precision]
        for i, instance in enumerate(instances):
            c, differences = instance.case, self.differences(i, instance, precision, relative)
            at = f"x={num(c.x)}{self.holding(c)}, grad={num(c.grad)}"
            fd = central(records, differences.x)
            observation[f"returned gradient at {at}"] = backward_value(records, instance.first)
            observation[f"{DIFFERENCE_IN} x at {at}"] = times(c.grad, fd)
            observation[f"returned gradient after a step, at {at}"] = backward_value(records, instance.again)
            observation[f"{DIFFERENCE_IN} x after a step, at {at}"] = times(
                c.grad, central(records, differences.stepped)
            )
            if differences.param is not None:
                fd_param = times(c.grad, central(records, differences.param))
                observation[f"saved gradient for {self.param} at {at}"] = descended_gradient(
                    records, instance, lr, fd_param, ctx
                )
                observation[f"{DIFFERENCE_IN} {self.param} at {at}"] = fd_param
        return observation

    def verdict(self, student, reference, ctx):
        variables = ["x"] + ([self.param] if self.param else [])
        return finite_difference_verdict(
            student, reference, ctx, "of your forward", {v: f"{DIFFERENCE_IN} {v} " for v in variables}
        )


def descended_gradient(records, instance, lr, fd, ctx):
    """The saved gradient; or, when step moved the parameter by exactly −lr·fd with a saved number
    that is not fd (minus it, say), the gradient the layer descends: fd."""
    saved = saved_gradient(records, instance, instance.first, lr)[0]
    moved = move(records, instance, instance.first)
    if is_numeric(moved) and is_numeric(fd) and agree(moved, -lr * fd, ctx.fd_tolerance):
        return -moved / lr
    return saved


class OnArrays(NamedTuple):
    """One case on arrays: an instance given the whole arrays, bound to names (`x`, `grad`) so that
    what its forward and backward do to them can be read back, and a fresh instance per element; the
    keys of the bindings' records and of the arrays read back."""

    whole: Instance
    elements: list[Instance]
    x: str
    grad: str
    x_bound: str
    grad_bound: str
    x_after_forward: str
    x_after_backward: str
    grad_after_backward: str


def on_arrays(i, case):
    """The handle of case i on arrays. Its keys are named here and nowhere else."""
    each = zip(case.x.ravel(), case.grad.ravel())
    return OnArrays(
        whole=fresh(i, case),
        elements=[fresh(f"{i}.{k}", LayerCase(case.param, float(x), float(g))) for k, (x, g) in enumerate(each)],
        x=f"x{i}",
        grad=f"g{i}",
        x_bound=f"bind{i}",
        grad_bound=f"bindg{i}",
        x_after_forward=f"input{i}",
        x_after_backward=f"input.after.bwd{i}",
        grad_after_backward=f"grad.after.bwd{i}",
    )


class Arrays(LayerCheck):
    """forward and backward on numpy arrays of several shapes: the same as element by element,
    leaving the input array as it was. Earns its points only when the element-by-element results
    are right too (a wrong formula that is consistently wrong on arrays is still wrong)."""

    reads_state = False

    aspect, method = "arrays", "forward"
    life = ("forward", "backward")

    def cases(self, ctx):
        return ctx.inputs.array[self.layer]

    def plan(self, ctx):
        """A case on arrays per case: what scenario() builds and observe() reads, in the same order."""
        return [on_arrays(i, case) for i, case in enumerate(self.cases(ctx))]

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        ops = []
        for arrays in self.plan(ctx):
            whole = arrays.whole
            ops += [
                bind(arrays.x_bound, arrays.x, arg(whole.case.x)),
                bind(arrays.grad_bound, arrays.grad, arg(whole.case.grad)),
                self.construct(whole),
                call(whole.first.forward, whole.name, "forward", ref(arrays.x)),
                read(arrays.x_after_forward, arrays.x),
                call(whole.first.backward, whole.name, "backward", ref(arrays.grad)),
                read(arrays.x_after_backward, arrays.x),
                read(arrays.grad_after_backward, arrays.grad),
            ]
            ops += [op for element in arrays.elements for op in self.run_case(element, lr)]
        return ops

    def observe(self, records, ctx):
        observation = {}
        for arrays in self.plan(ctx):
            use, c = arrays.whole.first, arrays.whole.case
            shape = f"an array of shape {c.x.shape}"
            for method in ("forward", "backward"):
                whole = value(records, use.forward) if method == "forward" else backward_value(records, use)
                each = [value(records, getattr(element.first, method)) for element in arrays.elements]
                observation[f"{method} on {shape}, against {method} on each element"] = elementwise(
                    whole, each, c.x.shape, ctx
                )
                observation[f"{method} on each element of {shape}, {RIGHT_TOO}"] = as_array(each, c.x.shape)
            for what, key, before, method in (
                ("the input array", arrays.x_after_forward, c.x, "forward"),
                ("the input array", arrays.x_after_backward, c.x, "backward"),
                ("the gradient array", arrays.grad_after_backward, c.grad, "backward"),
            ):
                after = value(records, key)
                kept = is_numeric(after) and np.shape(after) == before.shape and np.array_equal(after, before)
                detail = "" if kept else f"{method} changed it to {show(after)}"  # shown only when wrong
                observation[f"{what} after {method} on {shape}"] = Finding(kept, detail, kind=method)
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
    if agree(whole, each, ctx.tolerance):
        return Finding(True)  # no detail: a Finding that holds is shown as "yes"
    return Finding(False, f"got {show(whole)}, element by element {show(each)}")


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

    def alone(self, ctx):
        """The same cases' instances, used one after the other once the two of `instances` are done."""
        cases = self.cases(ctx)
        return [fresh(i, case) for i, case in enumerate(cases, start=len(cases))]

    def scenario(self, ctx):
        lr = ctx.inputs.learning_rate
        together = self.instances(ctx)
        ops = [self.construct(instance) for instance in together]
        for method in self.life:  # each call made on one instance, then on the other
            ops += [op for instance in together for op in self.calls(instance, instance.first, lr, (method,))]
        return ops + [op for instance in self.alone(ctx) for op in self.run_case(instance, lr)]

    def observe(self, records, ctx):
        lr = ctx.inputs.learning_rate
        observation = {}
        for which, in_turn, by_itself in zip(("first", "second"), self.instances(ctx), self.alone(ctx)):
            seen = {"backward": (backward_value(records, in_turn.first), backward_value(records, by_itself.first))}
            if self.param is not None:
                seen[f"the gradient saved for {self.param} by backward"] = (
                    saved_gradient(records, in_turn, in_turn.first, lr)[0],
                    saved_gradient(records, by_itself, by_itself.first, lr)[0],
                )
            for what, (together, alone) in seen.items():
                observation[f"{what} of the {which} {INTERFERENCE}"] = elementwise(together, [alone], (), ctx)
                observation[f"{what} of the {which} instance used alone, {RIGHT_TOO}"] = alone
            if self.param is not None:  # evidence for the saved number (see ParamGrad.rescues)
                observation[f"how far step moved {self.param} of the {which} instance used alone, {RIGHT_TOO}"] = move(
                    records, by_itself, by_itself.first
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


def backward_value(records, use):
    """What backward returned; when forward already failed, that failure (backward's own error
    would only be its consequence)."""
    return first_error(records, use.forward, use.backward) or value(records, use.backward)


def saved_gradient(records, instance, use, lr):
    """The gradient backward saved for the parameter in one use of the instance, wherever the
    student keeps it.

    Candidates are the numbers backward created or changed (failing that, those it may have
    rewritten with the same value: neither the parameter nor a cache of forward's). When there are
    several, the one the student's step actually moved the parameter by wins, so extra attributes
    game nothing.
    Returns (gradient or None, parameter's path or None).
    """
    failed = first_error(records, use.forward, use.backward)
    if failed and not changed(records, use.forward, use.backward):
        return failed, None
    attr = param_attribute(records, instance)
    candidates = {k: v for k, v in changed(records, use.forward, use.backward).items() if k != attr}
    if not candidates:  # backward may have saved the value the attribute already had (0 at x = 0)
        cached = changed(records, use.start, use.forward)
        candidates = {k: v for k, v in state_after(records, use.backward).items() if k != attr and k not in cached}
    if not candidates:
        return None, attr
    before, after = state_after(records, use.backward).get(attr), state_after(records, use.step).get(attr)
    for gradient in candidates.values():
        if after is not None and before is not None and classify(before, after, gradient, lr) in GRADIENT_RULES:
            return gradient, attr
    return next(iter(candidates.values())), attr


def param_attribute(records, instance):
    """Where the parameter is kept: of the numbers equal to the constructor's value after __init__,
    the one step moves (the first, if step moves none)."""
    initial = state_after(records, instance.new)
    holders = [k for k, v in initial.items() if equal(v, instance.case.param)]
    stepped = [state_after(records, use.step) for use in (instance.first, instance.again) if use.step in records]
    moved = [k for k in holders if any(k in after and not same(after[k], initial[k]) for after in stepped)]
    return (moved or holders or [None])[0]


# how step may move a parameter; an assignment is one rule whatever its sign (w = lr·grad, or the
# typo w =- lr·grad)
GRADIENT_RULES = ("param − lr·grad", "param + lr·grad", "param set to ±lr·grad")
RULES = (*GRADIENT_RULES, "unchanged")


def move(records, instance, use):
    """How far step moved the parameter in one use of the instance (after − before), or what kept it
    from moving."""
    failed = first_error(records, use.forward, use.backward, use.step)
    if failed:
        return failed
    attr = param_attribute(records, instance)
    before, after = state_after(records, use.backward).get(attr), state_after(records, use.step).get(attr)
    if before is None or after is None:
        return None
    return after - before


def update_rule(records, instance, use, lr, name):
    """How step moved the parameter, relative to the gradient the student's own backward saved."""
    failed = first_error(records, use.forward, use.backward, use.step)
    if failed:
        return failed
    gradient, attr = saved_gradient(records, instance, use, lr)
    if attr is None:
        return f"no attribute holding {name} (it should start at the value passed to __init__)"
    if gradient is None or isinstance(gradient, Raised):
        return "no gradient saved by backward to step with"
    if not shows_a_rule(gradient):
        return f"backward saved {show(gradient)} as the gradient of {name}, so no step can show its rule"
    before = state_after(records, use.backward).get(attr, instance.case.param)
    after = state_after(records, use.step).get(attr)
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


def central(records, difference):
    return central_difference(value(records, difference.plus), value(records, difference.minus), difference.h)


def times(grad, fd):
    return grad * fd if is_numeric(fd) else fd
