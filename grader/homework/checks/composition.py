"""Checks of my_composition and its compute_loss, with the grader's stand-in layers:
a wrong my_exp or multiplication_weight never costs these points."""

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


def build(prefix, indices, ctx, linear=False):
    """Stand-in layers with the given log indices, and a my_composition of them. `linear`: layers
    whose derivative does not depend on their input, so that what backward hands each one shows
    the order and the chaining of backward alone, whatever forward did."""
    curves = [(w, 0.0) if linear else (w, c) for w, c in ctx.inputs.curves]
    built = [
        new(f"{prefix}new{k}", f"{prefix}s{k}", "standin.Curve", *map(arg, curves[n]), index=k)
        for n, k in enumerate(indices)
    ]
    layers = items(f"{prefix}s{k}" for k in indices)
    return built + [new(f"{prefix}new", prefix, homework.COMPOSITION, layers)]


def loss_call(key, name, estimate, target):
    """compute_loss with the estimate and target where the student's parameter names put them."""
    return call(key, name, "compute_loss", roles={"estimate": arg(estimate), "target": arg(target)})


def train_once(prefix, indices, ctx, linear=False):
    """forward, compute_loss, backward, step on a composition of stand-ins."""
    estimate, target = ctx.inputs.losses[0]
    return build(prefix, indices, ctx, linear) + [
        call(f"{prefix}fwd", prefix, "forward", arg(ctx.inputs.composition_x)),
        loss_call(f"{prefix}loss", prefix, estimate, target),
        call(f"{prefix}bwd", prefix, "backward"),
        call(f"{prefix}step", prefix, "step", arg(ctx.inputs.learning_rate)),
        log(),
    ]


def calls(records, kind, indices):
    return [(index, wire.decode(v)) for k, index, v in records["log"]["log"] if k == kind and index in indices]


def order(records, kind, indices):
    called = [index - indices[0] for index, _ in calls(records, kind, indices)]
    return ", ".join(map(str, called)) or "none"


def relative_gradients(records, indices):
    """Gradients handed to the layers, divided by the first one (the loss gradient), so a
    wrong loss gradient does not make the chaining look wrong."""
    grads = [
        np.reshape(g, ()) if is_numeric(g) and np.shape(g) == (1,) else g
        for _, g in calls(records, "backward", indices)
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

    def scenario(self, ctx):
        return train_once("c", self.indices, ctx)


class Forward(CompositionCheck):
    id = "my_composition.forward"

    def scenario(self, ctx):
        return build("c", self.indices, ctx) + [call("cfwd", "c", "forward", arg(ctx.inputs.composition_x)), log()]

    def observe(self, records, ctx):
        x = num(ctx.inputs.composition_x)
        return {
            f"forward(x={x}) through 3 layers": result(records, "cfwd"),
            "order of the layers' forward calls": first_error(records, "cnew", "cfwd")
            or order(records, "forward", self.indices),
        }


class AnyLength(CompositionCheck):
    """Stacks of 1 to 4 stand-in layers (2: two of the same class in a row). The hand-out's length,
    3, is among them, so that a composition hard-wired to it shows as one: right for 3 only."""

    id = "my_composition.any_length"
    stacks = {1: (10,), 2: (20, 21), 3: (30, 31, 32), 4: (40, 41, 42, 43)}

    def scenario(self, ctx):
        return [op for n, indices in self.stacks.items() for op in train_once(f"c{n}", indices, ctx)]

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
        for n, indices in self.stacks.items():
            failed = first_error(records, f"c{n}new", f"c{n}fwd", f"c{n}bwd")
            values = (
                result(records, f"c{n}fwd"),
                failed or order(records, "forward", indices),
                failed or order(records, "backward", indices),
                failed or relative_gradients(records, indices),
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
        return train_once("c", self.indices, ctx, linear=True)

    def observe(self, records, ctx):
        failed = first_error(records, "cnew", "cfwd", "closs", "cbwd")
        saved, handed = saved_by_loss(records, "cfwd", "closs"), first_handed(records, self.indices, "backward")
        return {
            "order of the layers' backward calls": failed or order(records, "backward", self.indices),
            "gradient handed to each layer in turn, relative to the loss gradient": failed
            or relative_gradients(records, self.indices),
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
        return super().scenario(ctx) + [state(f"layer{k}", f"cs{k}") for k in self.indices]

    def observe(self, records, ctx):
        failed = first_error(records, "cnew", "cstep")
        stepped = calls(records, "step", self.indices)
        return {
            "layers stepped": failed or ", ".join(str(i) for i in sorted(i for i, _ in stepped)) or "none",
            "learning rate each layer got": failed or np.array([lr for _, lr in sorted(stepped)]),
            "each layer's own numbers (w, c) after the step": failed or layer_numbers(records, self.indices),
        }


def layer_numbers(records, indices):
    """The numbers of the stand-in layers, which their own step never changes; the first that is gone
    or not a number instead."""
    numbers = [state_after(records, f"layer{k}").get(name) for k in indices for name in ("w", "c")]
    odd = [v for v in numbers if not is_numeric(v)]
    return odd[0] if odd else np.array(numbers, dtype=float)


IDENTITIES = 3  # compute_loss is checked on a composition of the hand-out's length: a hard-wired
# composition costs its own checks, not these


def identities(prefix, case):
    """A my_composition of stand-in layers that pass values and gradients through unchanged."""
    indices = [case * 10 + k for k in range(IDENTITIES)]
    built = [new(f"{prefix}snew{k}", f"{prefix}s{k}", "standin.Identity", index=k) for k in indices]
    layers = items(f"{prefix}s{k}" for k in indices)
    return built + [new(f"{prefix}new{case}", f"{prefix}c{case}", homework.COMPOSITION, layers)], indices


class LossCheck(Check):
    subject = "my_composition.compute_loss"
    calls_loss = True

    def scenario(self, ctx):
        ops = []
        for i, (estimate, target) in enumerate(ctx.inputs.losses):
            built, _ = identities("", i)
            ops += built + [
                call(f"fwd{i}", f"c{i}", "forward", arg(estimate)),
                loss_call(f"loss{i}", f"c{i}", estimate, target),
                call(f"bwd{i}", f"c{i}", "backward"),
            ]
        return ops + [log()]

    @staticmethod
    def case(estimate, target):
        return f"compute_loss(estimate={num(estimate)}, target={num(target)})"


class LossValue(LossCheck):
    """The returned loss. Any number that is not (ŷ − y)² shows the one bug this check names
    (loss-value), however it is wrong: halved, not squared, an absolute value."""

    id = "my_composition.compute_loss.value"

    def same_bug(self, student, mutant, reference, ctx):
        symptoms = [key for key in reference if not agree(mutant.get(key), reference[key], ctx.tolerance)]
        return bool(symptoms) and all(
            is_numeric(student.get(key)) and not agree(student[key], reference[key], ctx.tolerance) for key in symptoms
        )

    def observe(self, records, ctx):
        return {
            f"loss returned by {self.case(e, t)}": result(records, f"loss{i}")
            for i, (e, t) in enumerate(ctx.inputs.losses)
        }


def loss_gradient(records, i):
    """The gradient compute_loss saved: what backward hands the first layer it calls, unless that
    is a number compute_loss never saved while it did save one (a backward that starts from 1
    instead: its own check pays for that); the number compute_loss set when backward does not run."""
    loss = result(records, f"loss{i}")
    if isinstance(loss, Raised):
        return loss
    handed = first_handed(records, range(i * 10, i * 10 + IDENTITIES))
    saved = saved_by_loss(records, f"fwd{i}", f"loss{i}")
    if handed is not None and not (is_numeric(handed) and len(saved) == 1 and not agree(saved[0], handed, TIGHT)):
        return handed
    return saved[0] if saved else None


TIGHT = Tolerance()


def first_handed(records, indices, kind="handed"):
    """The first gradient backward handed a layer: as given ("handed"), or as the number a stand-in
    took it for ("backward": a one-element list is its element)."""
    handed = [g for _, g in calls(records, kind, indices)]
    return handed[0] if handed else None


def saved_by_loss(records, forward_key, loss_key):
    """The numbers compute_loss set on the composition, the loss value itself left out."""
    saved = list(changed(records, forward_key, loss_key).values())
    loss = result(records, loss_key)
    gradients = [v for v in saved if not (is_numeric(loss) and agree(v, loss, TIGHT))]
    return gradients or saved


class LossGrad(LossCheck):
    id = "my_composition.compute_loss.grad"

    def observe(self, records, ctx):
        return {
            f"gradient saved by {self.case(e, t)}": loss_gradient(records, i)
            for i, (e, t) in enumerate(ctx.inputs.losses)
        }


class LossFiniteDifferences(LossCheck):
    id = "my_composition.compute_loss.finite_diff"

    def scenario(self, ctx):
        ops = super().scenario(ctx)
        for precision, relative in fd_steps(ctx).items():
            for i, (estimate, target) in enumerate(ctx.inputs.losses):
                h = relative * max(1.0, abs(estimate))
                for sign, e in (("+", estimate + h), ("-", estimate - h)):
                    built, _ = identities(f"{precision}fd{sign}", i)
                    ops += built + [loss_call(f"{precision}fd{sign}{i}", f"{precision}fd{sign}c{i}", e, target)]
        return ops

    def observe(self, records, ctx):
        observation = {}
        precision = fd_precision([result(records, f"loss{i}") for i, _ in enumerate(ctx.inputs.losses)])
        relative = fd_steps(ctx)[precision]
        for i, (e, t) in enumerate(ctx.inputs.losses):
            h = relative * max(1.0, abs(e))
            fd = central_difference(result(records, f"{precision}fd+{i}"), result(records, f"{precision}fd-{i}"), h)
            observation[f"gradient saved by {self.case(e, t)}"] = loss_gradient(records, i)
            observation[f"{LOSS_DIFFERENCE} {self.case(e, t)}"] = fd
        return observation

    def verdict(self, student, reference, ctx):
        return finite_difference_verdict(
            student, reference, ctx, "of the loss you return", {"the estimate": LOSS_DIFFERENCE}
        )


LOSS_DIFFERENCE = "finite difference of the loss returned by"


def composition_checks():
    return [Forward(), AnyLength(), Backward(), Step(), LossValue(), LossGrad(), LossFiniteDifferences()]
