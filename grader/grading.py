"""Grading one submission: every check of the rubric, run in the sandbox, judged in the parent."""

import functools
import importlib
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from grader import __version__, homework
from grader.check import Context, raised_in, show
from grader.conventions import named_order
from grader.diagnosis import (
    CATALOGUE,
    ERROR_TYPES,
    changed_names,
    collect,
    from_errors,
    from_mutants,
    observe_mutants,
    reached,
    top_level,
)
from grader.results import CheckResult, Diagnosis, GradeResult
from grader.sandbox import Failure, Sandbox, Zygote, claim_uid, confinement_gaps, request
from grader.scenario import InProcess, RecentRuns, classes_built
from grader.wire import Raised
from grader.homework.checks import all_checks
from grader.homework.checks.training import loop_loss_order
from grader.homework.inputs import make_inputs

UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)
UNDECIDED = object()
REFERENCE = importlib.import_module(homework.REFERENCE)


class Plan(NamedTuple):
    check: object
    spec: object
    ctx: Context
    ops: list
    expected: dict | None


class Grader:
    """Grades submissions against one rubric and seed. What depends only on those (the inputs, the
    reference's observations, its training run, the mutants) is computed once, so a batch reuses it."""

    def __init__(self, rubric, seed=None):
        self.rubric = rubric
        self.seed = rubric.seed if seed is None else seed
        self.uid = claim_uid()  # of the sandboxed children, when the grader is root
        self.reference = InProcess(vars(REFERENCE), REFERENCE.__file__)
        self.ctx = Context.of(rubric, make_inputs(self.seed), self.seed, reference=RecentRuns(self.reference))
        self.checks = all_checks()
        self.observed_mutants = {}  # check id -> observe_mutants() of its plan, made at its first failure
        self.reference_records = {}  # scenario -> the reference's records of it
        self.requests = {}  # (check id, compute_loss order) -> the line asking the child for its records
        Zygote.shared()  # started now: it imports numpy while the reference's observations are made

    def prepare(self):
        """Computes what every submission's grading reads (the reference's observations and training run)."""
        return self.plans, self.reference_training

    @functools.cached_property
    def plans(self):
        return [self.plan(self.checks[spec.id], spec) for spec in self.rubric.checks.values()]

    @functools.cached_property
    def by_id(self):
        return {plan.spec.id: plan for plan in self.plans}

    @functools.cached_property
    def reference_training(self):
        """The reference's run of the rubric's training, on the same samples: what plots compare with."""
        convergence = self.checks["training.convergence"]
        return convergence.training(self.reference_run(convergence.scenario(self.ctx)), self.ctx)

    def reference_run(self, ops):
        """The reference's records of a scenario, run once per process (its training runs 5000 steps)."""
        key = json.dumps(ops, sort_keys=True)
        if key not in self.reference_records:
            self.reference_records[key] = self.reference.run(ops)
        return self.reference_records[key]

    @functools.cached_property
    def mutants(self):
        """(mutant, runner, the names its edits change) of the catalogue, built at the first failed
        check: none for a clean run."""
        return [
            (mutant, InProcess(namespace, mutant.filename), changed_names(self.reference_source, mutant.source()))
            for mutant, namespace in CATALOGUE.namespaces()
        ]

    @functools.cached_property
    def reference_source(self):
        return Path(REFERENCE.__file__).read_text(encoding="utf-8")

    @functools.cached_property
    def reference_definitions(self):
        return top_level(self.reference_source)[0]

    def mutants_on(self, plan):
        """The mutants' observations on a plan's scenario, made once for every submission: of the
        mutants whose edits can change what the scenario records (the others record there what the
        reference does, so they share no departure from it with anyone)."""
        if plan.spec.id not in self.observed_mutants:
            built = classes_built(plan.ops)
            used = None if built is None else reached(self.reference_definitions, built)
            showing = [
                (mutant, runner)
                for mutant, runner, changed in self.mutants
                if used is None or changed is None or changed & used
            ]
            self.observed_mutants[plan.spec.id] = observe_mutants(plan.check, plan.ops, plan.ctx, showing)
        return self.observed_mutants[plan.spec.id]

    def request(self, plan, order):
        """The line asking the child for a plan's records (the same for every submission)."""
        key = (plan.spec.id, order)
        if key not in self.requests:
            self.requests[key] = request(plan.ops, order)
        return self.requests[key]

    def plan(self, check, spec):
        """What to run for one check, and what the reference makes of it."""
        ctx = self.ctx.for_check(spec)
        ops = check.scenario(ctx)
        expected = check.observe(self.reference_run(ops), ctx) if check.uses_reference else None
        return Plan(check, spec, ctx, ops, expected)

    def grade(self, submission):
        return SubmissionGrading(self, submission).run()


class SubmissionGrading:
    """One submission's grading: its sandbox, and what its checks found."""

    def __init__(self, grader, submission):
        self.grader = grader
        self.rubric = grader.rubric
        self.submission = submission
        self.locations = {}
        self.training = None
        self.decided_loss_order = UNDECIDED  # how the student's compute_loss takes its arguments
        self.answers = {}  # check id -> the child's records for it, when already run
        self.withheld = set()  # ids the grading cannot claim for this submission, though a mutant matches
        self.grading_notes = []  # what the student should know about how a verdict was reached

    def run(self):
        started = time.monotonic()
        with Sandbox(self.submission.path, self.rubric.limits, self.grader.seed, self.grader.uid) as sandbox:
            # the reference runs (the first time) while the child loads the submission: two cores
            plans, reference_training = self.grader.prepare()
            sandbox.ready()
            results = [self.grade_check(plan, sandbox) for plan in plans]
        diagnoses = collect(results, self.rubric.diagnoses, self.locations)
        named = {d.id for d in diagnoses}
        return GradeResult(
            assignment=self.rubric.assignment,
            submission=self.submission.given,
            seed=self.grader.seed,
            checks=results,
            diagnoses=[d for d in self.load_diagnoses(sandbox) if d.id not in named] + diagnoses,
            training=self.training,
            grader_version=__version__,
            output=sandbox.captured_output(),
            notes=self.notes(sandbox),
            reference_training=reference_training,
            seconds=time.monotonic() - started,
        )

    def decide_loss_order(self, sandbox):
        """Which argument of compute_loss is the estimate: what the student's own loop passes it from
        forward. When compute_loss's gradient is wrong for that call but right for the other order,
        the parameter names say which is wrong: the loop (they name the other order) or the
        gradient (they name the loop's); names that say neither leave the bug unnamed (`withheld`).
        None: no loop called it, so the names decide (in the child)."""
        by_id = self.grader.by_id
        protocol, gradient = (by_id.get(check_id) for check_id in homework.LOSS_ORDER_CHECKS)
        if protocol is None or gradient is None or sandbox.loaded.unparsed:
            return None
        records = self.answer(protocol, sandbox, None)
        try:
            loop = loop_loss_order(records["own"])
            named = named_order(records["own"].get("loss_params") or [])
        except UNREADABLE:  # the loop could not run (a Failure), or the answer is malformed
            return None
        if loop is None or loop == named or self.gradient_right(gradient, sandbox, loop):
            return loop
        other = tuple(reversed(loop))
        if not self.gradient_right(gradient, sandbox, other):
            return loop
        if named == other:
            return other  # the loop passes them swapped
        self.withheld.update(homework.AMBIGUOUS_LOSS_IDS)
        self.grading_notes.append(homework.AMBIGUOUS_LOSS_NOTE)
        return loop

    def gradient_right(self, plan, sandbox, order):
        answer = self.answer(plan, sandbox, order)
        ctx = replace(plan.ctx, loss_order=order)
        try:
            return plan.check.verdict(plan.check.observe(answer, ctx), plan.expected, ctx).passed
        except UNREADABLE:  # a Failure, or a malformed answer
            return False

    def answer(self, plan, sandbox, order):
        """The child's records for a plan's scenario, run once (once per compute_loss order, for a
        scenario that calls compute_loss)."""
        order = order if any("roles" in op or op["op"] == "train" for op in plan.ops) else None
        key = (plan.spec.id, order)
        if key not in self.answers:
            stood_in = self.stand_in_answer(plan, sandbox, order)
            self.answers[key] = stood_in or sandbox.ask(self.grader.request(plan, order))
        return self.answers[key]

    def stand_in_answer(self, plan, sandbox, order):
        """The records of a check's scenario read from those of its stand-in (a run the student's own loop
        already made; see Convergence.from_own_run), or None: then the scenario runs."""
        stand_in = self.grader.by_id.get(plan.check.stand_in)
        if stand_in is None or sandbox.loaded.unparsed:
            return None
        records = self.answer(stand_in, sandbox, None)
        try:
            return (
                None
                if isinstance(records, Failure)
                else plan.check.from_own_run(records, replace(plan.ctx, loss_order=order))
            )
        except UNREADABLE:  # a malformed record: the scenario runs and says what it says
            return None

    def loss_order(self, sandbox):
        """Decided once, when the first check that calls compute_loss needs it."""
        if self.decided_loss_order is UNDECIDED:
            self.decided_loss_order = self.decide_loss_order(sandbox)
        return self.decided_loss_order

    def grade_check(self, plan, sandbox):
        check, spec, _, ops, expected = plan
        if sandbox.loaded.unparsed:
            return self.unrunnable(spec, check, sandbox.loaded.unparsed, "syntax-error", sandbox)
        order = self.loss_order(sandbox) if check.calls_loss else None
        ctx = replace(plan.ctx, loss_order=order)
        answer = self.answer(plan, sandbox, order)
        if isinstance(answer, Failure):
            return self.unrunnable(spec, check, answer, answer.kind, sandbox)
        try:
            observed = check.observe(answer, ctx)
        except UNREADABLE:
            return self.unrunnable(
                spec, check, Failure("crash", "the submission's answer was malformed"), "crash", sandbox
            )
        if hasattr(check, "training"):
            self.training = check.training(answer, ctx)
        verdict = check.verdict(observed, expected, ctx)
        if verdict.passed:
            return self.result(spec, "passed", "", [], spec.points)
        diagnoses = from_errors(observed)
        if check.uses_mutants:
            diagnoses += [
                d
                for d in from_mutants(check, observed, expected, ctx, self.grader.mutants_on(plan))
                if d not in diagnoses and d not in self.withheld
            ]
        # an error points at the line that raised it; a wrong value at the method that computed it
        error = next((e for e in raised_in(observed) if e.line), None)
        for diagnosis_id in diagnoses:
            self.locations.setdefault((spec.id, diagnosis_id), self.place(error, sandbox, check.subject))
        status = "error" if raised_in(observed) else "failed"
        return self.result(
            spec, status, self.explain(verdict.message, spec, sandbox), diagnoses, partial_score(check, spec, verdict)
        )

    def unrunnable(self, spec, check, problem, diagnosis_id, sandbox):
        where = self.place(problem, sandbox, check.subject)
        self.locations.setdefault((spec.id, diagnosis_id), where)
        at = f" ({where})" if isinstance(problem, Raised) and problem.line else ""
        return self.result(spec, "error", f"{show(problem)}{at}", [diagnosis_id], 0.0)

    def place(self, raised, sandbox, subject):
        """Where to point: the line that raised, else the definition of the method under test."""
        if isinstance(raised, Raised) and (raised.line or raised.cell):
            return self.submission.where(raised.cell, raised.line)
        definitions = sandbox.loaded.definitions
        found = definitions.get(subject) or definitions.get(subject.split(".")[0])
        return self.submission.where(*found) if found else None

    def load_diagnoses(self, sandbox):
        """An exit, a limit or a cell that does not parse, met while loading, is named even if no
        check paid for it."""
        found = []
        for problem in self.graded_problems(sandbox):
            diagnosis_id = ERROR_TYPES.get(problem.type)
            if diagnosis_id and diagnosis_id not in [d.id for d in found]:
                text = self.rubric.diagnoses[diagnosis_id]
                found.append(
                    Diagnosis(
                        diagnosis_id, text.title, text.hint, [], self.submission.where(problem.cell, problem.line)
                    )
                )
        return found

    @staticmethod
    def graded_problems(sandbox):
        """What went wrong while loading, but for a notebook's cells after the exercise's training
        cell: those are extensions and experiments, never graded (their problems are noted only)."""
        training_cell = sandbox.loaded.definitions.get(homework.LOOP, (None, None))[0]
        return [p for p in sandbox.loaded.problems if not (training_cell and p.cell and p.cell > training_cell)]

    def notes(self, sandbox):
        notes = []
        graded = self.graded_problems(sandbox)
        for problem in sandbox.loaded.problems:
            where = self.submission.where(problem.cell, problem.line) or self.submission.name
            after = "the cells after it" if problem.cell else "the statements after it"
            then = "" if problem.type == "Timeout" else f"; {after} still ran"
            later = "" if problem in graded else " (after the exercise's training cell: not graded)"
            notes.append(f"{where} raised {problem}{then}{later}.")
        return notes + list(sandbox.loaded.notes) + self.grading_notes + confinement_gaps()

    def explain(self, message, spec, sandbox):
        problems = self.graded_problems(sandbox)
        note = f"\n(loading raised {problems[0]} first; see the notes)" if problems else ""
        return f"{message}\n{spec.feedback}{note}"

    def result(self, spec, status, message, diagnoses, score):
        return CheckResult(spec.id, spec.name, score, spec.points, status, message, diagnoses, spec.visibility)


def partial_score(check, spec, verdict):
    """The points of the aspects that were right, for a check the rubric scores aspect by aspect."""
    if not spec.aspects:
        return 0.0
    lost = sum(spec.aspects[aspect] for aspect, key in check.aspects.items() if key in verdict.wrong)
    return float(max(spec.points - lost, 0.0))
