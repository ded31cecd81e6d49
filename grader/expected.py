"""What a submission is compared with: the solution itself (`Solution`, the grader's), or what the
solution and its mutants did on the checks' inputs, recorded as data (`Recording`, the hand-out's
checker, which carries no code of the solution).

Both answer the same questions for the grading: the reference's observation of a check's
scenario, the mutants' observations of it (for naming a bug), the reference's training run (for the
plots), and who replays a student's own training loop.
"""

import dataclasses
import functools
import importlib
import json
from pathlib import Path
from typing import NamedTuple

from grader import homework, wire
from grader.check import Finding, Tolerance, agree
from grader.diagnosis import catalogue, changed_names, observe_mutants, reached, top_level
from grader.results import Training
from grader.scenario import InProcess, RecentRuns, classes_built, run_key

RECORDING_FORMAT = 1  # the version of the recording's layout: a checker refuses one it cannot read


class Solution:
    """The reference and the mutants, run in the grader's process (trusted code), once per scenario."""

    judges_by_answer = True  # a check's verdict depends on the answer alone: it replays loops here

    def __init__(self):
        module = importlib.import_module(homework.REFERENCE)
        self.reference = InProcess(vars(module), module.__file__)
        self.source_path = module.__file__
        self.records = {}  # scenario (its run_key) -> the reference's records of it
        self.observed_mutants = {}  # check id -> the mutants' observations of its scenario
        # the reference's replays of the students' own loops: a loop that made the rubric's run is
        # replayed by the records of that run
        self.replays = RecentRuns(self.reference, known=self.records)

    def replayer(self, sandbox, loss_order, classes_follow_reference):
        """Who replays a student's own loop: the reference."""
        return self.replays

    def run(self, ops):
        """The reference's records of a scenario, run once per process (its training runs 5000 steps)."""
        key = run_key(ops)
        if key not in self.records:
            self.records[key] = self.reference.run(ops)
        return self.records[key]

    def expected(self, check, spec, ops, ctx):
        return check.observe(self.run(ops), ctx) if check.uses_reference else None

    def training(self, convergence, ctx):
        """The reference's run of the rubric's training, on the same samples: what plots compare with."""
        return convergence.training(self.run(convergence.scenario(ctx)), ctx)

    @functools.cached_property
    def mutants(self):
        """(mutant, runner, the names its edits change) of the catalogue, built at the first failed
        check: none for a clean run."""
        return [
            (mutant, InProcess(namespace, mutant.filename), changed_names(self.source, mutant.source()))
            for mutant, namespace in catalogue().namespaces()
        ]

    @functools.cached_property
    def source(self):
        return Path(self.source_path).read_text(encoding="utf-8")

    @functools.cached_property
    def definitions(self):
        return top_level(self.source)[0]

    def mutants_on(self, plan):
        """The mutants' observations on a plan's scenario, made once for every submission: of the
        mutants whose edits can change what the scenario records (the others record there what the
        reference does, so they share no departure from it with anyone)."""
        if plan.spec.id not in self.observed_mutants:
            built = classes_built(plan.ops)
            used = None if built is None else reached(self.definitions, built)
            showing = [
                (mutant, runner)
                for mutant, runner, changed in self.mutants
                if used is None or changed is None or changed & used
            ]
            self.observed_mutants[plan.spec.id] = observe_mutants(plan.check, plan.ops, plan.ctx, showing)
        return self.observed_mutants[plan.spec.id]


class RecordedMutant(NamedTuple):
    """A mutant as a recording knows it: by its id, the diagnosis it stands for."""

    id: str


class RecordingError(Exception):
    """A recording this checker cannot use (another format, or inputs that differ from its own)."""


class Recording:
    """The solution's and the mutants' observations on the visible checks, read from data (`record`
    makes it). The student's own loop is replayed by the student's own classes: the hand-out has
    no others (training.convergence compares those with the reference's path, stored as numbers)."""

    judges_by_answer = False  # a loop's replay runs in the student's sandbox, once their classes pass

    def __init__(self, data):
        if not isinstance(data, dict) or data.get("format") != RECORDING_FORMAT:
            raise RecordingError(f"a recording of format {data.get('format') if isinstance(data, dict) else None}")
        try:  # read whole at once (a few milliseconds): a damaged recording is refused here, not mid-grading
            self.checks = {
                check_id: {
                    "ops": recorded["ops"],
                    "expected": decode_observation(recorded["expected"]),
                    "mutants": [
                        (RecordedMutant(str(mutant_id)), decode_observation(found))
                        for mutant_id, found in recorded["mutants"]
                    ],
                }
                for check_id, recorded in data["checks"].items()
            }
            self.reference_training = Training(**data["training"]) if data["training"] else None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise RecordingError(f"a damaged recording ({type(error).__name__}: {error})") from None

    def replayer(self, sandbox, loss_order, classes_follow_reference):
        """The student's classes, once they are shown to follow the reference's path. Both arguments
        are asked at the replay: how the student's compute_loss takes its arguments, and whether the
        classes follow the reference."""
        return StudentClasses(sandbox, loss_order, classes_follow_reference)

    def expected(self, check, spec, ops, ctx):
        recorded = self.checks[spec.id]
        if canonical(ops) != canonical(recorded["ops"]):
            raise RecordingError(f"{spec.id}: the recording was made on other inputs than this checker draws")
        return recorded["expected"]

    def training(self, convergence, ctx):
        return self.reference_training

    def mutants_on(self, plan):
        return self.checks[plan.spec.id]["mutants"]


class CannotJudge(Exception):
    """A check the grading cannot judge for this submission; the message says why (to the student)."""


class StudentClasses:
    """Replays a student's own loop with the student's classes, in their sandbox: a faithful stand-in
    for the reference only once those classes follow the reference's path on the rubric's training
    run (`follow_reference()`, asked at the replay)."""

    def __init__(self, sandbox, loss_order, follow_reference):
        self.sandbox, self.loss_order, self.follow_reference = sandbox, loss_order, follow_reference

    def run(self, ops):
        if not self.follow_reference():
            raise CannotJudge(
                f"not judged here before {homework.TRAINING_RUN} passes: this checker replays your loop "
                "with your own classes, and those do not follow the reference's path yet"
            )
        records = self.sandbox.run(ops, loss_order=self.loss_order())
        if not isinstance(records, dict):  # a Failure: the grading reads it as an answer it cannot use
            raise ValueError(f"the replay could not run: {records}")
        return records


def record(grader, check_ids):
    """The recording of `grader`'s plans for the checks named (the hand-out's visible checks): their
    scenarios, the reference's observations and the mutants' (each checked to read back the same), and
    the reference's training run (for the plots) only when its check is named: that run, w and b after
    every step, is the expected value of a check the rubric may keep hidden."""
    checks = {}
    for plan in grader.plans:
        if plan.spec.id in check_ids:
            mutants = grader.mutants_on(plan) if plan.check.uses_mutants else []
            checks[plan.spec.id] = {
                "ops": plan.ops,
                "expected": encode_observation(plan.expected),
                "mutants": [[mutant.id, encode_observation(anonymous(found))] for mutant, found in mutants],
            }
    training = grader.reference_training if homework.TRAINING_RUN in check_ids else None
    return {
        "format": RECORDING_FORMAT,
        "checks": checks,
        "training": training and dataclasses.asdict(training),
    }


def anonymous(observation):
    """A mutant's observation with its errors told only as far as matching reads them (their type, whose
    attribute, in which function: Raised.same_failure), not their message, line, or the attribute the
    object itself lacked: those would name the solution's own attributes and lines in the hand-out."""
    return {
        key: anonymous_error(found) if isinstance(found, wire.Raised) else found for key, found in observation.items()
    }


def anonymous_error(raised):
    told_by_name = not (raised.type == "AttributeError" and raised.on_self)
    return dataclasses.replace(
        raised, message="", line=None, cell=None, missing=raised.missing if told_by_name else None
    )


def canonical(ops):
    """A scenario as one string: the key of its records, and what two recordings compare."""
    return json.dumps(ops, sort_keys=True)


def encode_observation(observation):
    """An observation as JSON: {what was looked at: value}, each value as `encode_value` makes it."""
    if observation is None:
        return None
    encoded = {key: encode_value(found) for key, found in observation.items()}
    read_back = decode_observation(encoded)
    unfaithful = [key for key, found in observation.items() if not same_value(read_back[key], found)]
    if unfaithful:
        raise ValueError(f"{unfaithful[0]}: {observation[unfaithful[0]]!r} does not read back as itself")
    return encoded


def encode_value(found):
    """Words, findings, and the values that cross the process boundary (grader.wire)."""
    if found is None or isinstance(found, str):
        return found
    if isinstance(found, Finding):
        return {"kind": "finding", "ok": found.ok, "detail": found.detail, "finding": found.kind}
    return wire.encode(found)


def decode_observation(encoded):
    return None if encoded is None else {key: decode_value(found) for key, found in encoded.items()}


def decode_value(found):
    if found is None or isinstance(found, str):
        return found
    if isinstance(found, dict) and found.get("kind") == "finding":
        return Finding(bool(found["ok"]), str(found["detail"]), str(found["finding"]))
    return wire.decode(found)


def same_value(read_back, found):
    """Whether a value read back from the recording is the value recorded (exactly: same type, same number)."""
    if isinstance(found, Finding):
        return read_back == found and read_back.detail == found.detail
    if isinstance(found, wire.Opaque):
        return isinstance(read_back, wire.Opaque) and (read_back.type, read_back.repr) == (found.type, found.repr)
    exact = type(read_back) is type(found) and agree(read_back, found, ZERO)
    return exact and getattr(read_back, "dtype", None) == getattr(found, "dtype", None)


ZERO = Tolerance(rtol=0.0, atol=0.0)
