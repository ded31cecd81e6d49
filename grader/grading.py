"""Grading one submission: every check of the rubric, run in the sandbox, judged in the parent."""

import functools
import hashlib
import time
from dataclasses import dataclass, replace

from grader import __version__, homework
from grader.check import Context, raised_in, show
from grader.conventions import named_order
from grader.diagnosis import ERROR_TYPES, collect, from_errors, from_mutants
from grader.expected import CannotJudge, Recording, Solution
from grader.results import CheckResult, Diagnosis, GradeResult
from grader.sandbox import Failure, Sandbox, claim_uid, confinement_gaps, request
from grader.wire import Raised
from grader.homework.checks import all_checks
from grader.homework.checks.training import OWN, loop_loss_order
from grader.homework.inputs import make_inputs

UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)
UNDECIDED = object()


@dataclass(eq=False)
class Plan:
    """One check's scenario, and what the reference makes of it (computed when first read)."""

    check: object
    spec: object
    ctx: Context
    ops: list
    source: Solution | Recording  # what the reference makes of a scenario

    @functools.cached_property
    def expected(self) -> dict | None:
        return self.source.expected(self.check, self.spec, self.ops, self.ctx)

    @functools.cached_property
    def takes_loss_order(self):
        """Whether the scenario calls compute_loss, so that the child's records depend on its order."""
        return any("roles" in op or op["op"] == "train" for op in self.ops)

    @functools.cached_property
    def trains(self):
        """Whether the scenario runs a training loop: the child's longest work by far."""
        return any(op["op"] in ("train", "own_train") for op in self.ops)


class Grader:
    """Grades submissions against one rubric and seed. What depends only on those (the inputs, the
    reference's observations, its training run, the mutants') is computed once, so a batch reuses
    it. `expected`: what submissions are compared with (grader.expected): the solution, or a
    recording of it (the hand-out's checker)."""

    def __init__(self, rubric, seed=None, expected=None, students_machine=False):
        self.rubric = rubric
        self.students_machine = students_machine  # the hand-out's checker: no secret for confinement to keep
        self.seed = rubric.seed if seed is None else seed
        self.expected = expected or Solution()
        self.ctx = Context.of(rubric, make_inputs(self.seed), self.seed)
        self.checks = all_checks()
        self.requests = {}  # (check id, compute_loss order) -> the line asking the child for its records
        # (check id, compute_loss order, a digest of the child's answer as it wrote it) -> the result of
        # a check that passed on that answer: a verdict depends on those alone (see
        # SubmissionGrading.written_key and judged_by_answer)
        self.passed = {}

    @functools.cached_property
    def uid(self):
        """The user of the sandboxed children, when the grader is root: claimed by the process that
        grades (each worker of a batch its own)."""
        return claim_uid()

    def prepare(self, mutants=False):
        """Computes what every submission's grading reads (the reference's observations and training
        run; `mutants`: and the mutants' observations, which a failed check reads): once for a batch,
        in the process its workers are forked from. A single grading makes them while the child works
        instead (see `preparing`), and the mutants' at its first failed check."""
        for _ in self.preparing():
            pass
        for plan in self.plans if mutants else ():
            if plan.check.uses_mutants:
                self.mutants_on(plan)

    def preparing(self):
        """prepare(), a plan at each step (see Sandbox.work_until_answered)."""
        for plan in self.plans:
            plan.expected  # noqa: B018  (computed and kept)
            yield plan
        self.reference_training  # noqa: B018

    @functools.cached_property
    def plans(self):
        return [self.plan(self.checks[spec.id], spec) for spec in self.rubric.checks.values()]

    @functools.cached_property
    def by_id(self):
        return {plan.spec.id: plan for plan in self.plans}

    @functools.cached_property
    def reference_training(self):
        """The reference's run of the rubric's training, on the same samples: what plots compare with."""
        return self.expected.training(self.checks[homework.TRAINING_RUN], self.ctx)

    def mutants_on(self, plan):
        """The mutants' observations on a plan's scenario, made once for every submission."""
        return self.expected.mutants_on(plan)

    def request(self, plan, order):
        """The line asking the child for a plan's records (the same for every submission)."""
        key = (plan.spec.id, order)
        if key not in self.requests:
            self.requests[key] = request(plan.ops, order, snapshots=plan.check.reads_state)
        return self.requests[key]

    def plan(self, check, spec):
        """What to run for one check, and what the reference makes of it."""
        ctx = self.ctx.for_check(spec)
        return Plan(check, spec, ctx, check.scenario(ctx), self.expected)

    def grade(self, submission, only=None):
        """The submission's result on every check of the rubric, or on the checks whose ids are in `only`."""
        return SubmissionGrading(self, submission, only).run()


class SubmissionGrading:
    """One submission's grading: its sandbox, and what its checks found."""

    def __init__(self, grader, submission, only=None):
        self.grader = grader
        self.only = only
        self.rubric = grader.rubric
        self.submission = submission
        self.locations = {}
        self.training = None
        self.decided_loss_order = UNDECIDED  # how the student's compute_loss takes its arguments
        self.answers = {}  # answer_key -> the child's records for a plan, when already run
        self.written = {}  # answer_key -> a digest of the child's answer, as it wrote it
        self.withheld = set()  # ids the grading cannot claim for this submission, though a mutant matches
        self.grading_notes = []  # what the student should know about how a verdict was reached
        self.sandbox = None
        self.preparation = iter(())  # the Grader's preparation, left to make while the child works
        self.results = {}  # check id -> its CheckResult, as they are graded

    def run(self):
        started = time.monotonic()
        with Sandbox(self.submission.path, self.rubric.limits, self.grader.seed, self.grader.uid) as sandbox:
            self.sandbox = sandbox
            # the reference's part of every check, made while the child loads and trains
            self.preparation = self.grader.preparing()
            sandbox.ready(meanwhile=self.preparation)
            for plan in self.grader.plans:
                if self.only is None or plan.spec.id in self.only:
                    self.results[plan.spec.id] = self.grade_check(plan)
            results = list(self.results.values())
            reference_training = self.grader.reference_training
        diagnoses = collect(results, self.rubric.diagnoses, self.locations)
        named = {d.id for d in diagnoses}
        return GradeResult(
            assignment=self.rubric.assignment,
            submission=self.submission.given,
            seed=self.grader.seed,
            checks=results,
            diagnoses=[d for d in self.load_diagnoses() if d.id not in named] + diagnoses,
            training=self.training,
            grader_version=__version__,
            output=sandbox.captured_output(),
            notes=self.notes(),
            reference_training=reference_training,
            seconds=time.monotonic() - started,
        )

    def decide_loss_order(self):
        """Which argument of compute_loss is the estimate: what the student's own loop passes it from
        forward. When compute_loss's gradient is wrong for that call but right for the other order,
        the parameter names say which is wrong: the loop (they name the other order) or the
        gradient (they name the loop's); names that say neither leave the bug unnamed (`withheld`).
        None: no loop called it, so the names decide (in the child)."""
        by_id = self.grader.by_id
        protocol, gradient = (by_id.get(check_id) for check_id in homework.LOSS_ORDER_CHECKS)
        if protocol is None or gradient is None or self.sandbox.loaded.unparsed:
            return None
        records = self.answer(protocol, None)
        try:
            loop = loop_loss_order(records[OWN])
            named = named_order(records[OWN].get("loss_params") or [])
        except UNREADABLE:  # the loop could not run (a Failure), or the answer is malformed
            return None
        if loop is None or loop == named or self.gradient_right(gradient, loop):
            return loop
        other = tuple(reversed(loop))
        if not self.gradient_right(gradient, other):
            return loop
        if named == other:
            return other  # the loop passes them swapped
        self.withheld.update(homework.AMBIGUOUS_LOSS_IDS)
        self.grading_notes.append(homework.AMBIGUOUS_LOSS_NOTE)
        return loop

    def gradient_right(self, plan, order):
        answer = self.answer(plan, order)
        ctx = self.context(plan, order)
        try:
            return plan.check.verdict(plan.check.observe(answer, ctx), plan.expected, ctx).passed
        except UNREADABLE:  # a Failure, or a malformed answer
            return False

    def answer(self, plan, order):
        """The child's records for a plan's scenario, run once (once per compute_loss order, for a
        scenario that calls compute_loss)."""
        key = answer_key(plan, order)
        if key not in self.answers:
            stood_in = self.stand_in_answer(plan, order)
            if stood_in:
                self.answers[key] = stood_in
            else:
                self.answers[key] = self.sandbox.ask(self.grader.request(plan, order), meanwhile=self.meanwhile(plan))
                if isinstance(self.answers[key], dict) and self.judged_by_answer(plan.check):
                    self.written[key] = hashlib.blake2b(self.sandbox.answered, digest_size=16).digest()
        return self.answers[key]

    def meanwhile(self, plan):
        """The parent's work while the child runs a plan, a step at a time: the reference's part of
        the plan, then, while the child trains, what is left of the Grader's preparation. A quick
        request takes no more: the child would wait for the parent instead."""
        plan.expected  # noqa: B018  (computed and kept)
        yield plan
        if plan.trains:
            for step in self.preparation:  # noqa: UP028  (`yield from` would close the preparation with this wait)
                yield step

    def stand_in_answer(self, plan, order):
        """The records of a check's scenario read from those of its stand-in (a run the student's own loop
        already made; see Convergence.from_own_run), or None: then the scenario runs."""
        stand_in = self.grader.by_id.get(plan.check.stand_in)
        if stand_in is None or self.sandbox.loaded.unparsed:
            return None
        records = self.answer(stand_in, None)
        try:
            return None if isinstance(records, Failure) else plan.check.from_own_run(records, self.context(plan, order))
        except UNREADABLE:  # a malformed record: the scenario runs and says what it says
            return None

    def context(self, plan, order):
        """The plan's context for this submission: its compute_loss order, and who replays its loop."""
        replayer = self.grader.expected.replayer(self.sandbox, self.loss_order, self.classes_follow_reference)
        return replace(plan.ctx, loss_order=order, reference=replayer)

    def classes_follow_reference(self):
        """Whether the student's classes, trained by the rubric's loop, followed the reference's path."""
        result = self.results.get(homework.TRAINING_RUN)
        return result is not None and result.status == "passed"

    def loss_order(self):
        """Decided once, when the first check that calls compute_loss needs it."""
        if self.decided_loss_order is UNDECIDED:
            self.decided_loss_order = self.decide_loss_order()
        return self.decided_loss_order

    def grade_check(self, plan):
        check, spec = plan.check, plan.spec
        if self.sandbox.loaded.unparsed:
            return self.unrunnable(spec, check, self.sandbox.loaded.unparsed, "syntax-error")
        order = self.loss_order() if check.calls_loss else None
        ctx = self.context(plan, order)
        answer = self.answer(plan, order)
        if isinstance(answer, Failure):
            return self.unrunnable(spec, check, answer, answer.kind)
        kept = self.passed_before(plan, order)
        if kept:
            return kept
        try:
            observed = check.observe(answer, ctx)
        except CannotJudge as reason:
            return self.result(spec, "skipped", f"{reason}\n{spec.feedback}", [], 0.0)
        except UNREADABLE:
            return self.unrunnable(spec, check, Failure("crash", "the submission's answer was malformed"), "crash")
        if hasattr(check, "training"):
            self.training = check.training(answer, ctx)
        verdict = check.verdict(observed, plan.expected, ctx)
        if verdict.passed:
            return self.passing(plan, order)
        diagnoses = from_errors(observed)
        if check.uses_mutants:
            diagnoses += [
                d
                for d in from_mutants(check, observed, plan.expected, ctx, self.grader.mutants_on(plan))
                if d not in diagnoses and d not in self.withheld
            ]
        # an error points at the line that raised it; a wrong value at the method that computed it
        error = next((e for e in raised_in(observed) if e.line), None)
        for diagnosis_id in diagnoses:
            self.locations.setdefault((spec.id, diagnosis_id), self.place(error, check.subject))
        status = "error" if raised_in(observed) else "failed"
        return self.result(
            spec, status, self.explain(verdict.message, spec), diagnoses, partial_score(check, spec, verdict)
        )

    def passed_before(self, plan, order):
        """The result of a check whose answer, to the byte, passed before; None otherwise."""
        kept = self.grader.passed.get(self.written_key(plan, order))
        return kept and replace(kept, diagnoses=[])

    def passing(self, plan, order):
        """A check's result when it passes, kept for the next answer like this one."""
        result = self.result(plan.spec, "passed", "", [], plan.spec.points)
        written = self.written_key(plan, order)
        if written is not None:
            self.grader.passed[written] = replace(result)
        return result

    def written_key(self, plan, order):
        """What a check's result on this answer is kept under: its id, the compute_loss order it is
        judged with (which other answers decide: training.protocol's records do not depend on it, its
        verdict does) and the answer's digest. None for an answer the child did not write as it is
        (read from a stand-in's), or one whose check is not judged by it alone."""
        digest = self.written.get(answer_key(plan, order))
        return None if digest is None else (plan.spec.id, order, digest)

    def judged_by_answer(self, check):
        """Whether what the check makes of an answer depends on that answer alone: not where a loop's
        replay runs in the student's sandbox (the hand-out's checker), nor for a check that also
        makes the report's training run (its numbers are kept with the submission's result)."""
        return self.grader.expected.judges_by_answer and not hasattr(check, "training")

    def unrunnable(self, spec, check, problem, diagnosis_id):
        where = self.place(problem, check.subject)
        self.locations.setdefault((spec.id, diagnosis_id), where)
        at = f" ({where})" if isinstance(problem, Raised) and problem.line else ""
        return self.result(spec, "error", f"{show(problem)}{at}", [diagnosis_id], 0.0)

    def place(self, raised, subject):
        """Where to point: the line that raised, else the definition of the method under test."""
        if isinstance(raised, Raised) and (raised.line or raised.cell):
            return self.submission.where(raised.cell, raised.line)
        definitions = self.sandbox.loaded.definitions
        found = definitions.get(subject) or definitions.get(subject.split(".")[0])
        return self.submission.where(*found) if found else None

    def load_diagnoses(self):
        """An exit, a limit or a cell that does not parse, met while loading, is named even if no
        check paid for it."""
        found = []
        for problem in self.graded_problems():
            diagnosis_id = ERROR_TYPES.get(problem.type)
            if diagnosis_id and diagnosis_id not in [d.id for d in found]:
                text = self.rubric.diagnoses[diagnosis_id]
                found.append(
                    Diagnosis(
                        diagnosis_id, text.title, text.hint, [], self.submission.where(problem.cell, problem.line)
                    )
                )
        return found

    def graded_problems(self):
        """What went wrong while loading, but for a notebook's cells after the exercise's training
        cell: those are extensions and experiments, never graded (their problems are noted only)."""
        training_cell = self.sandbox.loaded.definitions.get(homework.LOOP, (None, None))[0]
        return [p for p in self.sandbox.loaded.problems if not (training_cell and p.cell and p.cell > training_cell)]

    def notes(self):
        notes = []
        graded = self.graded_problems()
        for problem in self.sandbox.loaded.problems:
            where = self.submission.where(problem.cell, problem.line) or self.submission.name
            after = "the cells after it" if problem.cell else "the statements after it"
            then = "" if problem.type == "Timeout" else f"; {after} still ran"
            later = "" if problem in graded else " (after the exercise's training cell: not graded)"
            notes.append(f"{where} raised {problem}{then}{later}.")
        gaps = [] if self.grader.students_machine else confinement_gaps()
        return notes + list(self.sandbox.loaded.notes) + self.grading_notes + gaps

    def explain(self, message, spec):
        problems = self.graded_problems()
        note = f"\n(loading raised {problems[0]} first; see the notes)" if problems else ""
        return f"{message}\n{spec.feedback}{note}"

    def result(self, spec, status, message, diagnoses, score):
        return CheckResult(spec.id, spec.name, score, spec.points, status, message, diagnoses, spec.visibility)


def answer_key(plan, order):
    """What a plan's answer is kept under: its id, and the compute_loss order when its scenario calls it."""
    return plan.spec.id, order if plan.takes_loss_order else None


def partial_score(check, spec, verdict):
    """The points of the aspects that were right, for a check the rubric scores aspect by aspect."""
    if not spec.aspects:
        return 0.0
    lost = sum(spec.aspects[aspect] for aspect, key in check.aspects.items() if key in verdict.wrong)
    return float(max(spec.points - lost, 0.0))
