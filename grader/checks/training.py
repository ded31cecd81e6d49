"""Checks of training: the rubric's run with the student's classes, and the student's own loop."""
import numpy as np

from grader import wire
from grader.checks.base import Check, Verdict, arg, show
from grader.conventions import loss_order
from grader.results import Training
from grader.wire import Raised


def data(ctx):
    xx = np.arange(0, 1, 0.01)
    return xx, np.exp(ctx.training["target"]["w"] * xx + ctx.training["target"]["b"])


class Convergence(Check):
    """The rubric's training loop, with every class of the student's: it must reach the target."""

    id = "training.convergence"
    subject = "my_composition.backward"
    uses_mutants = False  # a run of thousands of steps per mutant: the layer checks name the cause
    uses_reference = False  # judged against the rubric's target

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
        return {f"w after {n} steps": final(run["ws"]), f"b after {n} steps": final(run["bs"])}

    def verdict(self, student, reference, ctx):
        return near_target(student, ctx)

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


def own_loop(ctx, n_steps, calls):
    """The student's own loop: `train(xx, yy, learning_rate, n_steps)`, or a notebook's training
    cell; `calls`: whether to record every call it makes on its composition."""
    xx, yy = data(ctx)
    return [{"key": "own", "op": "own_train", "x": arg(xx), "y": arg(yy), "calls": calls,
             "learning_rate": ctx.training["learning_rate"], "n_steps": n_steps, "seed": ctx.seed}]


class OwnRun(Check):
    """The student's own loop, run in full: where it ends."""

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
        return {"the last w your loop kept": np.float64(w), "the last b your loop kept": np.float64(b)}

    def verdict(self, student, reference, ctx):
        return near_target(student, ctx)


class Protocol(Check):
    """The student's own train: forward, compute_loss(estimate, target), backward, step, every step."""

    id = "training.protocol"
    subject = "train"

    def scenario(self, ctx):
        return own_loop(ctx, ctx.training["protocol_steps"], calls=True)

    def observe(self, records, ctx):
        record = records["own"]
        steps = record["events"].split("S")[:-1]
        asked = record["asked"]
        observation = {
            "the loop runs the number of steps asked": yes(asked is None and steps or len(steps) == asked),
            "every step runs forward, then compute_loss": yes(steps and all(has_order(s, "FL") for s in steps)),
            "every step runs backward after compute_loss and before step": yes(
                steps and all(has_order(s, "LB") for s in steps)),
            "compute_loss gets the estimate where its parameters expect it": loss_arguments(record),
            "the loop keeps (my_fit, losses, ws, bs)": yes(record["kept"]),
        }
        if record.get("raised"):  # every aspect is then the error: it is what the loop did
            return dict.fromkeys(observation, wire.decode(record["raised"]))
        return observation


def has_order(segment, pair):
    first, then = segment.rfind(pair[0]), segment.rfind(pair[1])
    return first != -1 and then > first


def yes(condition):
    return "yes" if condition else "no"


def loss_arguments(record):
    """Each compute_loss call must get the last forward output in the estimate's position."""
    if not record["loss_args"]:
        return "compute_loss never called"
    estimate_at = loss_order(record["loss_params"]).index("estimate")
    outputs, arguments = iter(record["forward_out"]), iter(record["loss_args"])
    last_output = None
    for kind in record["events"]:
        if kind == "F":
            last_output = next(outputs)
        elif kind == "L":
            args = next(arguments)
            if len(args) < 2 or args[estimate_at] == last_output:
                continue
            if args[1 - estimate_at] == last_output:
                return "no, estimate and target swapped"
            return "no, neither argument is the estimate forward returned"
    return "yes"
