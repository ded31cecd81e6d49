"""Checks of my_composition and its compute_loss, with the grader's stand-in layers:
a wrong my_exp or multiplication_weight never costs these points.

A check's scenario and its observation are made from the same handles (`composition_of` below):
each names its records' keys once, scenario() makes the ops with them and observe() reads the
records by them."""

from typing import NamedTuple

import numpy as np

from grader import homework, wire
from grader.check import (
    Check,
    Finding,
    Tolerance,
    agree,
    central_difference,
    changed,
    fd_precision,
    fd_steps,
    finite_difference_verdict,
    first_error,
    is_numeric,
    num,
    show,
    state_after,
)
from grader.check import value as result
from grader.ops import arg, call, items, log, new, state
from grader.wire import Raised


class StandIn(NamedTuple):
    """One of the grader's stand-in layers in a scenario: its index in the log of calls, its name, and
    the keys of its construction's record and of the record of its numbers read at the end (by the
    checks that read them)."""

    log_index: int
    name: str
    new: str
    numbers: str


class Composition(NamedTuple):
    """A my_composition of stand-in layers in a scenario: its name, its layers, and the keys of its
    records: its construction (after its layers'), forward, compute_loss, backward and step (a check
    that calls less leaves the last ones unmade)."""

    name: str
    layers: tuple[StandIn, ...]
    new: str
    forward: str
    loss: str
    backward: str
    step: str

    @property
    def indices(self):
        return [layer.log_index for layer in self.layers]


def composition_of(name, indices):
    """The handle of the my_composition `name` (unique in its scenario) of stand-in layers with these
    log indices. Its keys are named here and nowhere else."""
    layers = tuple(StandIn(k, f"{name}.s{k}", f"{name}.s{k}.new", f"{name}.s{k}.numbers") for k in indices)
    return Composition(name, layers, *(f"{name}.{what}" for what in ("new", "forward", "loss", "backward", "step")))


LOG = "log"  # the key of every log op: the last one's record holds the stand-ins' calls of the whole scenario


def build(composition, standin, args=None):
    """The stand-in layers of a composition, of class `standin` (the n-th given args[n]), and the
    my_composition of them."""
    built = [
        new(layer.new, layer.name, standin, *(args[n] if args else []), index=layer.log_index)
        for n, layer in enumerate(composition.layers)
    ]
    layers = items(layer.name for layer in composition.layers)
    return built + [new(composition.new, composition.name, homework.COMPOSITION, layers)]


def build_curves(composition, ctx, linear=False):
    """A composition of curve stand-ins. `linear`: layers whose derivative does not depend on their
    input, so that what backward hands each one shows the order and the chaining of backward alone,
    whatever forward did."""
    curves = [(w, 0.0) if linear else (w, c) for w, c in ctx.inputs.curves]
    return build(composition, "standin.Curve", [list(map(arg, curve)) for curve in curves])


def loss_call(composition, estimate, target):
    """compute_loss with the estimate and target where the student's parameter names put them."""
    roles = {"estimate": arg(estimate), "target": arg(target)}
    return call(composition.loss, composition.name, "compute_loss", roles=roles)


def train_once(composition, ctx, linear=False):
    """forward, compute_loss, backward, step on a composition of curve stand-ins."""
    estimate, target = ctx.inputs.losses[0]
    return build_curves(composition, ctx, linear) + [
        call(composition.forward, composition.name, "forward", arg(ctx.inputs.composition_x)),
        loss_call(composition, estimate, target),
        call(composition.backward, composition.name, "backward"),
        call(composition.step, composition.name, "step", arg(ctx.inputs.learning_rate)),
        log(LOG),
    ]


def calls(records, kind, composition):
    """The calls of this kind the composition's layers logged: [(index, value)]."""
    indices = composition.indices
    return [(index, wire.decode(v)) for k, index, v in records[LOG]["log"] if k == kind and index in indices]


def order(records, kind, composition):
    called = [index - composition.indices[0] for index, _ in calls(records, kind, composition)]
    return ", ".join(map(str, called)) or "none"


def relative_gradients(records, composition):
    """Gradients handed to the layers, divided by the first one (the loss gradient), so a
    wrong loss gradient does not make the chaining look wrong."""
    grads = [
        np.reshape(g, ()) if is_numeric(g) and np.shape(g) == (1,) else g
        for _, g in calls(records, "backward", composition)
    ]
    odd = [g for g in grads if not (is_numeric(g) and np.ndim(g) == 0)]
    if odd:
        return odd[0]  # not a number: shown as it is
    grads = np.array(grads, dtype=float)
    if not len(grads) or grads[0] == 0:
        return grads
    with np.errstate(over="ignore", invalid="ignore"):  # huge or infinite gradients: shown as they are
        return grads / grads[0]


class CompositionCheck(Check):
    """One training step through a composition of three stand-in layers."""

    subject = "my_composition.forward"
    indices = (0, 1, 2)

    def composition(self):
        """The composition the scenario builds, of stand-ins with these log indices."""
        return composition_of("c", self.indices)

    def scenario(self, ctx):
        return train_once(self.composition(), ctx)


class Forward(CompositionCheck):
    id = "my_composition.forward"
    reads_state = False

    def scenario(self, ctx):
        c = self.composition()
        return build_curves(c, ctx) + [call(c.forward, c.name, "forward", arg(ctx.inputs.composition_x)), log(LOG)]

    def observe(self, records, ctx):
        x, c = num(ctx.inputs.composition_x), self.composition()
        return {
            f"forward(x={x}) through 3 layers": result(records, c.forward),
            "order of the layers' forward calls": first_error(records, c.new, c.forward)
            or order(records, "forward", c),
        }


class AnyLength(CompositionCheck):
    """Stacks of 1 to 4 stand-in layers (2: two of the same class in a row). The hand-out's length,
    3, is among them, so that a composition hard-wired to it shows as one: right for 3 only."""

    id = "my_composition.any_length"
    reads_state = False
    stacks = {1: (10,), 2: (20, 21), 3: (30, 31, 32), 4: (40, 41, 42, 43)}

    def compositions(self):
        """{length: the composition of that many stand-ins}: what scenario() builds and observe() reads."""
        return {n: composition_of(f"c{n}", indices) for n, indices in self.stacks.items()}

    def scenario(self, ctx):
        return [op for c in self.compositions().values() for op in train_once(c, ctx)]

    @staticmethod
    def keys(n):
        layers = f"{n} layer{'s' if n > 1 else ''}"
        return (
            f"forward through {layers}",
            f"order of forward calls, {layers}",
            f"order of backward calls, {layers}",
            f"gradients handed back, {layers} (relative to the loss gradient)",
        )

    def observe(self, records, ctx):
        observation = {}
        for n, c in self.compositions().items():
            failed = first_error(records, c.new, c.forward, c.backward)
            values = (
                result(records, c.forward),
                failed or order(records, "forward", c),
                failed or order(records, "backward", c),
                failed or relative_gradients(records, c),
            )
            observation.update(zip(self.keys(n), values))
        return observation

    def wrong_lengths(self, observation, reference, ctx):
        return {
            n
            for n in self.stacks
            if any(not agree(observation.get(key), reference[key], ctx.tolerance) for key in self.keys(n))
        }

    def same_bug(self, student, mutant, reference, ctx):
        """Besides the mutant's own symptoms: a composition right for the hand-out's 3 layers only
        is wrong in the same lengths as a hard-wired mutant, however it fails in them."""
        if super().same_bug(student, mutant, reference, ctx):
            return True
        wrong = self.wrong_lengths(mutant, reference, ctx)
        return 3 not in wrong and bool(wrong) and self.wrong_lengths(student, reference, ctx) == wrong


class Backward(CompositionCheck):
    id = "my_composition.backward"
    subject = "my_composition.backward"

    def scenario(self, ctx):
        return train_once(self.composition(), ctx, linear=True)

    def observe(self, records, ctx):
        c = self.composition()
        failed = first_error(records, c.new, c.forward, c.loss, c.backward)
        saved, handed = saved_by_loss(records, c), first_handed(records, c, "backward")
        return {
            "order of the layers' backward calls": failed or order(records, "backward", c),
            "gradient handed to each layer in turn, relative to the loss gradient": failed
            or relative_gradients(records, c),
            "backward starts from the gradient compute_loss saved": failed
            or Finding(
                len(saved) != 1 or agree(handed, saved[0], ctx.tolerance),
                f"it handed the last layer {show(handed)}, compute_loss saved {show(saved[0]) if saved else '-'}",
            ),
        }


class Step(CompositionCheck):
    """step calls step(learning_rate) on every layer, and leaves the layers' numbers to them: a step
    that also sets a layer's parameter itself (w = 0.5, the answer) is wrong."""

    id = "my_composition.step"
    subject = "my_composition.step"

    def scenario(self, ctx):
        return super().scenario(ctx) + [state(layer.numbers, layer.name) for layer in self.composition().layers]

    def observe(self, records, ctx):
        c = self.composition()
        failed = first_error(records, c.new, c.step)
        stepped = calls(records, "step", c)
        return {
            "layers stepped": failed or ", ".join(str(i) for i in sorted(i for i, _ in stepped)) or "none",
            "learning rate each layer got": failed or np.array([lr for _, lr in sorted(stepped)]),
            "each layer's own numbers (w, c) after the step": failed or layer_numbers(records, c),
        }


def layer_numbers(records, composition):
    """The numbers of the stand-in layers, which their own step never changes; the first that is gone
    or not a number instead."""
    numbers = [state_after(records, layer.numbers).get(name) for layer in composition.layers for name in ("w", "c")]
    odd = [v for v in numbers if not is_numeric(v)]
    return odd[0] if odd else np.array(numbers, dtype=float)


IDENTITIES = 3  # compute_loss is checked on a composition of the hand-out's length: a hard-wired
# composition costs its own checks, not these


def identities(name, case):
    """The handle of a my_composition `name` of stand-in layers that pass values and gradients through
    unchanged, for loss case `case` (with log indices of its own)."""
    return composition_of(name, [case * 10 + k for k in range(IDENTITIES)])


def build_identities(composition):
    return build(composition, "standin.Identity")


class LossCheck(Check):
    subject = "my_composition.compute_loss"
    calls_loss = True

    def compositions(self, ctx):
        """A composition per loss case: what scenario() builds and observe() reads, in the same order."""
        return [identities(f"c{i}", i) for i, _ in enumerate(ctx.inputs.losses)]

    def scenario(self, ctx):
        ops = []
        for c, (estimate, target) in zip(self.compositions(ctx), ctx.inputs.losses):
            ops += build_identities(c) + [
                call(c.forward, c.name, "forward", arg(estimate)),
                loss_call(c, estimate, target),
                call(c.backward, c.name, "backward"),
            ]
        return ops + [log(LOG)]

    @staticmethod
    def case(estimate, target):
        return f"compute_loss(estimate={num(estimate)}, target={num(target)})"


class LossValue(LossCheck):
    """The returned loss. Any number that is not (ŷ − y)² shows the one bug this check names
    (loss-value), however it is wrong: halved, not squared, an absolute value."""

    id = "my_composition.compute_loss.value"
    reads_state = False

    def same_bug(self, student, mutant, reference, ctx):
        symptoms = [key for key in reference if not agree(mutant.get(key), reference[key], ctx.tolerance)]
        return bool(symptoms) and all(
            is_numeric(student.get(key)) and not agree(student[key], reference[key], ctx.tolerance) for key in symptoms
        )

    def observe(self, records, ctx):
        return {
            f"loss returned by {self.case(e, t)}": result(records, c.loss)
            for c, (e, t) in zip(self.compositions(ctx), ctx.inputs.losses)
        }


def loss_gradient(records, composition):
    """The gradient compute_loss saved: what backward hands the first layer it calls, unless that
    is a number compute_loss never saved while it did save one (a backward that starts from 1
    instead: its own check pays for that); the number compute_loss set when backward does not run."""
    loss = result(records, composition.loss)
    if isinstance(loss, Raised):
        return loss
    handed = first_handed(records, composition)
    saved = saved_by_loss(records, composition)
    if handed is not None and not (is_numeric(handed) and len(saved) == 1 and not agree(saved[0], handed, TIGHT)):
        return handed
    return saved[0] if saved else None


TIGHT = Tolerance()


def first_handed(records, composition, kind="handed"):
    """The first gradient backward handed a layer: as given ("handed"), or as the number a stand-in
    took it for ("backward": a one-element list is its element)."""
    handed = [g for _, g in calls(records, kind, composition)]
    return handed[0] if handed else None


def saved_by_loss(records, composition):
    """The numbers compute_loss set on the composition, the loss value itself left out."""
    saved = list(changed(records, composition.forward, composition.loss).values())
    loss = result(records, composition.loss)
    gradients = [v for v in saved if not (is_numeric(loss) and agree(v, loss, TIGHT))]
    return gradients or saved


class LossGrad(LossCheck):
    id = "my_composition.compute_loss.grad"

    def observe(self, records, ctx):
        return {
            f"gradient saved by {self.case(e, t)}": loss_gradient(records, c)
            for c, (e, t) in zip(self.compositions(ctx), ctx.inputs.losses)
        }


class LossDifference(NamedTuple):
    """A central difference of compute_loss in the estimate: its step h, and the compositions whose
    compute_loss is given the estimate + h and − h."""

    h: float
    plus: Composition
    minus: Composition


class LossFiniteDifferences(LossCheck):
    id = "my_composition.compute_loss.finite_diff"

    def differences(self, ctx, precision, relative):
        """A difference per loss case, in one precision's steps: what scenario() builds and observe()
        reads, in the same order."""
        return [
            LossDifference(
                relative * max(1.0, abs(estimate)), *(identities(f"{precision}fd{sign}c{i}", i) for sign in "+-")
            )
            for i, (estimate, _) in enumerate(ctx.inputs.losses)
        ]

    def scenario(self, ctx):
        ops = super().scenario(ctx)
        for precision, relative in fd_steps(ctx).items():
            for d, (estimate, target) in zip(self.differences(ctx, precision, relative), ctx.inputs.losses):
                for c, e in ((d.plus, estimate + d.h), (d.minus, estimate - d.h)):
                    ops += build_identities(c) + [loss_call(c, e, target)]
        return ops

    def observe(self, records, ctx):
        observation = {}
        precision = fd_precision([result(records, c.loss) for c in self.compositions(ctx)])
        differences = self.differences(ctx, precision, fd_steps(ctx)[precision])
        for c, d, (e, t) in zip(self.compositions(ctx), differences, ctx.inputs.losses):
            fd = central_difference(result(records, d.plus.loss), result(records, d.minus.loss), d.h)
            observation[f"gradient saved by {self.case(e, t)}"] = loss_gradient(records, c)
            observation[f"{LOSS_DIFFERENCE} {self.case(e, t)}"] = fd
        return observation

    def verdict(self, student, reference, ctx):
        return finite_difference_verdict(
            student, reference, ctx, "of the loss you return", {"the estimate": LOSS_DIFFERENCE}
        )


LOSS_DIFFERENCE = "finite difference of the loss returned by"


def composition_checks():
    return [Forward(), AnyLength(), Backward(), Step(), LossValue(), LossGrad(), LossFiniteDifferences()]
