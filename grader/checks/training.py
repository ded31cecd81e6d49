"""Checks of training: the rubric's run with the student's classes, and the student's own loop."""
import numpy as np

from grader import wire
from grader.checks.base import Check, Finding, Tolerance, Verdict, agree, arg, compare, show
from grader.conventions import loss_order
from grader.results import Training
from grader.wire import Raised


def data(ctx):
    xx = np.arange(0, 1, 0.01)
    return xx, np.exp(ctx.training["target"]["w"] * xx + ctx.training["target"]["b"])


class Convergence(Check):
    """The rubric's training loop, with every class of the student's: it must follow the reference's
    path on the same samples (plain SGD: momentum or a decaying rate leave it) and reach the target."""

    id = "training.convergence"
    subject = "my_composition.backward"
    calls_loss = True
    uses_mutants = False  # a run of thousands of steps per mutant: the layer checks name the cause
    checkpoints = 10  # places along the run where it is compared with the reference's

    def scenario(self, ctx):
        xx, yy = data(ctx)
        t = ctx.training
        return [{"key": "train", "op": "train", "x": arg(xx), "y": arg(yy), "w0": t["w0"], "b0": t["b0"],
                 "learning_rate": t["learning_rate"], "n_steps": t["n_steps"], "seed": ctx.seed}]

    def observe(self, records, ctx):
        run = self.details(records)
        if run["raised"] is not None:
            return {"training run": run["raised"]}
        n = ctx.training["n_steps"]
        observation = {}
        for step in range(n // self.checkpoints, n + 1, max(n // self.checkpoints, 1)):
            observation[f"w after {step} steps"] = at_step(run["ws"], step)
            observation[f"b after {step} steps"] = at_step(run["bs"], step)
        return observation

    def verdict(self, student, reference, ctx):
        ended = near_target(dict(list(student.items())[-2:]), ctx)
        if not ended.passed:
            return ended
        tolerance = Tolerance(0.0, ctx.training["tolerance"])
        left = [key for key in reference if not agree(student.get(key), reference[key], tolerance)]
        if left:
            return Verdict(False, f"the run left the reference's path on the same samples: {left[0]} is "
                                  f"{show(student.get(left[0]))}, the reference's {show(reference[left[0]])}, "
                                  f"more than {ctx.training['tolerance']:g} apart (is step plain SGD?)")
        return Verdict(True)

    @staticmethod
    def details(records):
        record = records["train"]
        return {"ws": wire.decode(record["ws"]), "bs": wire.decode(record["bs"]),
                "losses": wire.decode(record["losses"]),
                "raised": record["raised"] and wire.decode(record["raised"])}

    def training(self, records):
        """The run's trajectory, for the report."""
        run = self.details(records)
        return Training(float(final(run["ws"])), float(final(run["bs"])), run["losses"].tolist(),
                        run["ws"].tolist(), run["bs"].tolist())


def near_target(observation, ctx):
    """An observation {…w: value, …b: value} of a training run, against the rubric's target."""
    errors = [v for v in observation.values() if isinstance(v, Raised)]
    if errors:
        return Verdict(False, f"the training run stopped: {show(errors[0])}")
    target, tolerance = ctx.training["target"], ctx.training["tolerance"]
    w, b = observation.values()
    if abs(w - target["w"]) <= tolerance and abs(b - target["b"]) <= tolerance:
        return Verdict(True)
    return Verdict(False, f"training ended at w = {show(w)}, b = {show(b)}; the target is "
                          f"w = {target['w']:g}, b = {target['b']:g} within {tolerance:g}")


def final(values):
    return values[-1] if len(values) else np.float64("nan")


def at_step(values, step):
    """The value after `step` steps; nan for a run that stopped before."""
    return values[step - 1] if len(values) >= step else np.float64("nan")


def own_loop(ctx, n_steps, calls):
    """The student's own loop, watched: `train(xx, yy, learning_rate, n_steps)`, or a notebook's
    training cell. `calls`: every call on its model logged, or only until its parameters are found."""
    xx, yy = data(ctx)
    return [{"key": "own", "op": "own_train", "x": arg(xx), "y": arg(yy), "calls": calls,
             "learning_rate": ctx.training["learning_rate"], "n_steps": n_steps, "seed": ctx.seed}]


class OwnRun(Check):
    """The student's own loop, run in full: where the model it trained ends."""

    id = "training.own_run"
    subject = "train"
    uses_mutants = uses_reference = False

    def scenario(self, ctx):
        return own_loop(ctx, ctx.training["n_steps"], calls=False)

    def observe(self, records, ctx):
        record = records["own"]
        if record["raised"]:
            return {"your training run": wire.decode(record["raised"])}
        w, b = record["final"]
        return {"w of the model your loop trained, at its end": np.float64(w),
                "b of the model your loop trained, at its end": np.float64(b)}

    def verdict(self, student, reference, ctx):
        return near_target(student, ctx)


class Protocol(Check):
    """The student's own loop: forward, compute_loss(estimate, target), backward, step, every step.
    Each aspect is scored on its own (the rubric's `aspects`)."""

    id = "training.protocol"
    subject = "train"
    calls_loss = True
    aspects = {"steps": "the loop runs the number of steps asked",
               "order": "every step runs forward, compute_loss, backward, then step",
               "loss_arguments": "compute_loss gets the estimate where compute_loss expects it",
               "returns": "train() returns the model it trained"}

    def scenario(self, ctx):
        return own_loop(ctx, ctx.training["protocol_steps"], calls=True)

    def observe(self, records, ctx):
        record = records["own"]
        raised = wire.decode(record["raised"]) if record["raised"] else None
        steps = record["events"].split("S")[:-1]  # the calls of each step that was taken
        expected_order = ctx.loss_order or loss_order(record["loss_params"])
        observation = {
            self.aspects["steps"]: raised or step_count(steps, record["asked"] or ctx.training["n_steps"]),
            self.aspects["order"]: call_order(steps) if steps or not raised else raised,
            self.aspects["loss_arguments"]: loss_arguments(record["loss_roles"], expected_order) or raised
            or "compute_loss never called",
            self.aspects["returns"]: raised or ("yes" if record["returns_model"] in (True, None) else Finding(
                False, "train() should return (my_fit, losses, ws, bs), with the model it trained"))}
        if not raised and not record["moved"]:  # a loop that trains nothing earns nothing for its form
            return {key: TRAINS_NOTHING if found == "yes" else found for key, found in observation.items()}
        return observation


    def verdict(self, student, reference, ctx):
        verdict = compare(student, reference, ctx.tolerance)
        if verdict.passed:
            return verdict
        return Verdict(False, "\n".join(f"{key}: {show(student.get(key))}" for key in verdict.wrong), verdict.wrong)


TRAINS_NOTHING = "no: its steps never moved w or b"


def step_count(steps, asked):
    """train(n_steps=asked) takes `asked` steps; a notebook's loop, the hand-out's (the rubric's n_steps)."""
    return "yes" if len(steps) == asked else Finding(False, f"the loop took {len(steps)} steps of the {asked} asked")


def call_order(steps):
    """"yes", or what is wrong, in one of two kinds that compare apart: a step taken with no backward
    since its compute_loss (the loop-order bug), or any other order of the calls."""
    if not steps:
        return Finding(False, "the loop never calls step")
    for number, calls in enumerate(steps, start=1):
        ran = f"step {number} ran {' → '.join(NAMES[c] for c in calls + 'S')}"
        if not has_order(calls, "LB"):
            return Finding(False, ran, kind="steps before backward")
        if not has_order(calls, "FL") or calls.rfind("F") > calls.rfind("L"):
            return Finding(False, ran, kind="calls in another order")
    return "yes"


NAMES = {"F": "forward", "L": "compute_loss", "B": "backward", "S": "step"}


def has_order(segment, pair):
    first, then = segment.rfind(pair[0]), segment.rfind(pair[1])
    return first != -1 and then > first


def loop_loss_order(record):
    """The order of ("estimate", "target") in which the student's own loop calls compute_loss,
    or None when it never passes what forward returned (or never calls it)."""
    for roles in record.get("loss_roles", []):
        if len(roles) >= 2 and roles[:2].count("estimate") == 1:
            return tuple(roles[:2])
    return None


def loss_arguments(calls, expected_order):
    """Each compute_loss call must pass what forward returned where compute_loss expects the
    estimate: "yes", "swapped", "neither is the estimate", or None when it was never called."""
    if not calls:
        return None
    for roles in calls:
        if len(roles) < 2 or roles[:2].count("estimate") != 1:
            return "no, neither argument is what forward returned"
        if tuple(roles[:2]) != tuple(expected_order):
            return "no, estimate and target swapped"
    return "yes"
