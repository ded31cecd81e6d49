"""Checks of training: the rubric's run with the student's classes, and the student's own loop."""

import numpy as np

from grader import ops, wire
from grader.loops import CALLS
from grader.check import Check, Finding, Verdict, compare, is_numeric, show
from grader.conventions import loss_order
from grader.results import Training
from grader.scenario import samples
from grader.wire import Raised


# the keys of the records of the training checks' one op: a training run (the rubric's, or the reference's
# replay of a loop's steps), and the student's own loop (which grading.py reads too, for compute_loss's order)
RUN, OWN = "train", "own"


def data(ctx):
    xx = np.arange(0, 1, 0.01)
    return xx, truth(xx, ctx)


def truth(x, ctx):
    """The exercise's target at x: y = exp(0.5·x + 2)."""
    with np.errstate(all="ignore"):
        return np.exp(ctx.training["target"]["w"] * x + ctx.training["target"]["b"])


class Convergence(Check):
    """The rubric's training loop, with every class of the student's: after every step it must be where
    the reference is on the same samples (plain SGD: a step that jumps to the answer or moves by a
    fixed amount, momentum, a decaying rate, all leave that path) and it must reach the target."""

    id = "training.convergence"
    subject = "my_composition.backward"
    calls_loss = True
    uses_mutants = False  # a run of thousands of steps per mutant: the layer checks name the cause
    stand_in = "training.own_run"  # the check whose records may be this one's (see from_own_run)

    def scenario(self, ctx):
        xx, yy = data(ctx)
        t = ctx.training
        w0, b0 = run_start(ctx)
        return [ops.train(RUN, xx, yy, w0, b0, t["learning_rate"], t["n_steps"], ctx.seed)]

    def observe(self, records, ctx):
        run = self.details(records)
        if run["raised"] is not None:
            return {"training run": run["raised"]}
        n = ctx.training["n_steps"]
        return {"w after each step": padded(run["ws"], n), "b after each step": padded(run["bs"], n)}

    def verdict(self, student, reference, ctx):
        ended = near_target(ends(student), ctx)
        if not ended.passed:
            return ended
        left = departure(student, reference, ctx)
        if left:
            return Verdict(
                False,
                f"the run left the reference's path on the same samples: {left} (is step plain SGD, w ← w − lr·∂L/∂w?)",
            )
        return Verdict(True)

    def from_own_run(self, records, ctx):
        """This run's records, read from the student's own loop (the records of OwnRun) when that loop
        made this run: the hand-out's model from the hand-out's start, on the same samples in the
        same order at the rate asked, each step forward, compute_loss (passed the estimate where this
        run passes it), backward and step, once each, on numbers (not arrays of one). The same calls
        on the same classes with the same arguments are then not made a second time, right or wrong.
        None when the loop did anything else."""
        record, t = records[OWN], ctx.training
        if (
            record["raised"]
            or record["plain_numbers"] is not True
            or record["handout_model"] is not True
            or record["events"] != "FLBS" * t["n_steps"]
        ):
            return None
        order = list(ctx.loss_order or loss_order(record["loss_params"]))
        steps = loop_steps(record)
        xx, _ = data(ctx)
        same_run = (
            record["loss_roles"] == [order]
            and list(steps["start"]) == list(run_start(ctx))
            and np.array_equal(steps["x"], xx[samples(ctx.seed, len(xx), t["n_steps"])])
            and np.all(steps["lr"] == t["learning_rate"])
        )
        if not same_run:
            return None
        return {
            RUN: {
                "losses": wire.encode(steps["loss"]),
                "ws": wire.encode(steps["w"]),
                "bs": wire.encode(steps["b"]),
                "raised": None,
            }
        }

    @staticmethod
    def details(records):
        record = records[RUN]
        return {
            "ws": wire.decode(record["ws"]),
            "bs": wire.decode(record["bs"]),
            "losses": wire.decode(record["losses"]),
            "raised": record["raised"] and wire.decode(record["raised"]),
        }

    def training(self, records, ctx):
        """The run's trajectory and the rubric's target, for the report."""
        run = self.details(records)
        return Training(
            float(final(run["ws"])),
            float(final(run["bs"])),
            run["losses"].tolist(),
            ctx.training["target"],
            run["ws"].tolist(),
            run["bs"].tolist(),
        )


def run_start(ctx):
    """(w, b) where the rubric's training run starts: the hand-out model's start (w0, b0), unless the
    rubric gives the run one of its own (`run_start`: the hand-out's checker's, so that the path it
    records is the replay of no loop a grading replays, those all starting at w0, b0)."""
    t = ctx.training
    start = t.get("run_start") or {"w": t["w0"], "b": t["b0"]}
    return start["w"], start["b"]


def near_target(observation, ctx):
    """An observation {…w: value, …b: value} of a training run, against the rubric's target."""
    errors = [v for v in observation.values() if isinstance(v, Raised)]
    if errors:
        return Verdict(False, f"the training run stopped: {show(errors[0])}")
    target, tolerance = ctx.training["target"], ctx.training["tolerance"]
    w, b = observation.values()
    if abs(w - target["w"]) <= tolerance and abs(b - target["b"]) <= tolerance:
        return Verdict(True)
    return Verdict(
        False,
        f"training ended at w = {show(w)}, b = {show(b)}; the target is "
        f"w = {target['w']:g}, b = {target['b']:g} within {tolerance:g}",
    )


def final(values):
    return values[-1] if len(values) else np.float64("nan")


def padded(values, n):
    """The values after each of n steps; nan after a run that stopped before."""
    path = np.full(n, np.nan)
    values = np.asarray(values, dtype=float).ravel()[:n]
    path[: len(values)] = values
    return path


def ends(observation):
    """{…: the value after the last step} of an observation of paths (errors as they are)."""
    return {key: final(path) if is_numeric(path) else path for key, path in observation.items()}


def departure(student, reference, ctx):
    """The first step after which a path of the student's observation ({"w after each step": …}) is
    more than the rubric's path tolerance from the reference's (nan is off every path), in words;
    None when there is none."""
    tolerance = ctx.training["path_tolerance"]
    off = []
    for key, expected in reference.items():
        with np.errstate(invalid="ignore"):
            steps = np.flatnonzero(~(np.abs(student[key] - expected) <= tolerance))
        off += [(steps[0], key)] if len(steps) else []
    if not off:
        return None
    step, key = min(off)
    return (
        f"{key.split(' after ')[0]} after step {step + 1} is {show(student[key][step])}, the reference's "
        f"{show(reference[key][step])}, more than {tolerance:g} apart"
    )


def own_loop(ctx, n_steps):
    """The student's own loop, watched: `train(xx, yy, learning_rate, n_steps)`, or a notebook's
    training cell."""
    xx, yy = data(ctx)
    return [ops.own_train(OWN, xx, yy, ctx.training["learning_rate"], n_steps, ctx.seed)]


class OwnRun(Check):
    """The student's own loop, run in full: where the model it trained ends, and how it got there. The
    child's record of the loop is a claim: the reference replays the loop's steps from the hand-out's
    start, on the samples its forward was given (with the exercise's targets) at the learning rates
    its step was given, and must land where the record says after every step."""

    id = "training.own_run"
    subject = "train"
    uses_mutants = uses_reference = False

    def scenario(self, ctx):
        return own_loop(ctx, ctx.training["n_steps"])

    def observe(self, records, ctx):
        record = records[OWN]
        if record["raised"]:
            return {"your training run": wire.decode(record["raised"])}
        steps = loop_steps(record)
        return {
            "w of the model your loop trained, at its end": final(steps["w"]),
            "b of the model your loop trained, at its end": final(steps["b"]),
            REPLAYED: replayed(steps, ctx),
        }

    def verdict(self, student, reference, ctx):
        ended = near_target({key: found for key, found in student.items() if key != REPLAYED}, ctx)
        if ended.passed and not student[REPLAYED].ok:
            return Verdict(False, f"{REPLAYED}: {student[REPLAYED].detail}")
        return ended


REPLAYED = "your loop's steps, replayed by the reference on the same samples"
STEP_COLUMNS = ("x", "lr", "loss", "w", "b")


def loop_steps(record):
    """The steps of the student's own loop as its record gives them: {"x": the samples forward was
    given, "lr": the learning rates, "loss": what compute_loss returned last, "w", "b": after each
    step, "start": (w, b) before the first}."""
    trace = record["trace"]
    steps = {key: np.asarray(wire.decode(trace[key]), dtype=float).ravel() for key in STEP_COLUMNS + ("start",)}
    if len({len(steps[key]) for key in STEP_COLUMNS}) != 1 or len(steps["start"]) != 2:
        raise ValueError("a loop's trace whose columns do not match")
    return steps


def replayed(steps, ctx):
    """Whether the loop's steps are SGD steps on the exercise's data: each on a sample of it, at no more
    than the learning rate asked, and, replayed by the reference from the hand-out's start on the
    same samples at the same rates, landing where the loop's record says after each of them."""
    if not len(steps["x"]):
        return Finding(False, "the loop took no step")
    problem = foreign_sample(steps["x"], ctx) or excess_rate(steps["lr"], ctx) or left_replay(steps, ctx)
    return Finding(problem is None, problem or "")


SAME_X = 1e-6  # a sample this near an x of the data is that x (kept in float32, say)


def foreign_sample(samples, ctx):
    """The first sample that is not an x of the exercise's data, in words; None when all are."""
    xx = np.sort(data(ctx)[0])
    at = np.clip(np.searchsorted(xx, samples), 1, len(xx) - 1)  # the data's x on each side of each sample
    with np.errstate(invalid="ignore"):
        nearest = np.minimum(np.abs(samples - xx[at - 1]), np.abs(samples - xx[at]))
        foreign = np.flatnonzero(~(nearest <= SAME_X))
    if not len(foreign):
        return None
    step, x = foreign[0] + 1, samples[foreign[0]]
    if np.isnan(x):
        return f"step {step} followed no backward of a forward on one number x (none yet, or a whole array)"
    return f"step {step} trained on x = {show(x)}, not an x of the exercise's data"


def excess_rate(rates, ctx):
    """The first learning rate above the one asked, in words; None when there is none."""
    asked = ctx.training["learning_rate"]
    excess = np.flatnonzero(rates > asked * (1 + 1e-6))  # a rate kept in float32 may round up
    if len(excess):
        return f"step {excess[0] + 1} used the learning rate {show(rates[excess[0]])}, more than the {asked:g} asked"
    return None


def left_replay(steps, ctx):
    """Where the loop's record leaves the reference's replay of its steps, in words; None when it
    never does. A step given no number for a learning rate is replayed at the rate asked."""
    rates = np.where(np.isfinite(steps["lr"]), steps["lr"], ctx.training["learning_rate"])
    replay = ops.replay(RUN, steps["x"], truth(steps["x"], ctx), rates, ctx.training["w0"], ctx.training["b0"])
    with np.errstate(all="ignore"):
        run = Convergence.details(ctx.reference.run([replay]))
    paths = {"w after each step": steps["w"], "b after each step": steps["b"]}
    left = departure(paths, {key: padded(run[name], len(steps["x"])) for key, name in zip(paths, ("ws", "bs"))}, ctx)
    return left and f"{left}, on the same samples from w = {ctx.training['w0']:g}, b = {ctx.training['b0']:g}"


class Protocol(Check):
    """The student's own loop: forward, compute_loss(estimate, target), backward, step, every step.
    Each aspect is scored on its own (the rubric's `aspects`)."""

    id = "training.protocol"
    subject = "train"
    calls_loss = True
    aspects = {
        "steps": "the loop runs the number of steps asked",
        "order": "every step runs forward, compute_loss, backward, then step",
        "loss_arguments": "compute_loss gets the estimate where compute_loss expects it",
        "returns": "train() returns the model it trained",
    }

    def scenario(self, ctx):
        return own_loop(ctx, ctx.training["protocol_steps"])

    def observe(self, records, ctx):
        record = records[OWN]
        raised = wire.decode(record["raised"]) if record["raised"] else None
        steps = calls_before_each_step(record["events"])
        expected_order = ctx.loss_order or loss_order(record["loss_params"])
        observation = {
            self.aspects["steps"]: raised or step_count(steps, record["asked"] or ctx.training["n_steps"]),
            self.aspects["order"]: call_order(steps) if steps or not raised else raised,
            self.aspects["loss_arguments"]: loss_arguments(record["loss_roles"], expected_order)
            or raised
            or "compute_loss never called",
            self.aspects["returns"]: raised
            or (
                "yes"
                if record["returns_model"] in (True, None)
                else Finding(False, "train() should return (my_fit, losses, ws, bs), with the model it trained")
            ),
        }
        if not raised and not trains(loop_steps(record)):  # a loop that trains nothing earns nothing for its form
            return {key: TRAINS_NOTHING if found == "yes" else found for key, found in observation.items()}
        return observation

    def verdict(self, student, reference, ctx):
        verdict = compare(student, reference, ctx.tolerance)
        if verdict.passed:
            return verdict
        return Verdict(False, "\n".join(f"{key}: {show(student.get(key))}" for key in verdict.wrong), verdict.wrong)


TRAINS_NOTHING = "no: its steps do not train the model (most of them leave w and b where they were)"


def trains(steps):
    """Whether the loop's steps keep moving w or b: most of them take them from one number to another
    (nan and inf are nowhere: a gradient of nan moves nothing). A model that jumps to the answer
    once and then stays there is not trained by its loop."""
    w, b = (np.concatenate([[start], steps[name]]) for start, name in zip(steps["start"], ("w", "b")))
    numbers = np.isfinite(w) & np.isfinite(b)
    moves = ((np.diff(w) != 0) | (np.diff(b) != 0)) & numbers[1:] & numbers[:-1]
    return 2 * np.count_nonzero(moves) > len(moves)


def step_count(steps, asked):
    """train(n_steps=asked) takes `asked` steps; a notebook's loop, the hand-out's (the rubric's n_steps)."""
    return "yes" if len(steps) == asked else Finding(False, f"the loop took {len(steps)} steps of the {asked} asked")


def calls_before_each_step(events):
    """The calls the loop made before each step it took: its events (the letters of NAMES, in order)
    cut at each step; what it called after its last step is no step's."""
    return events.split("S")[:-1]


def call_order(steps):
    """ "yes", or what is wrong, in one of two kinds that compare apart: a step taken with no backward
    since its compute_loss (the loop-order bug), or any other order of the calls. What a step's calls
    do after its last backward (a forward to watch the fit) changes no gradient that step uses."""
    if not steps:
        return Finding(False, "the loop never calls step")
    if set(steps) == {"FLB"}:  # the usual loop, every step alike: no need to read 5000 of them one by one
        return "yes"
    for number, calls in enumerate(steps, start=1):
        ran = f"step {number} ran {' → '.join(NAMES[c] for c in calls + 'S')}"
        if not has_order(calls, "LB"):
            return Finding(False, ran, kind="steps before backward")
        to_backward = calls[: calls.rfind("B")]
        if not has_order(to_backward, "FL") or to_backward.rfind("F") > to_backward.rfind("L"):
            return Finding(False, ran, kind="calls in another order")
    return "yes"


NAMES = {letter: name for name, letter in CALLS.items()}  # the loop's events: one letter per call


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
