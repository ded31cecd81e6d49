"""Grading one submission: every check of the rubric, run in the sandbox, judged in the parent."""
from dataclasses import replace
from typing import NamedTuple

import reference.backprop
from grader import __version__
from grader.checks import all_checks
from grader.checks.base import Context, raised_in, show
from grader.diagnose import collect, from_errors, from_mutants
from grader.inputs import make_inputs
from grader.diagnoses import ERROR_TYPES
from grader.results import CheckResult, Diagnosis, GradeResult
from grader.runners import LocalRunner
from grader.sandbox import Failure, Sandbox, hide_from_child
from grader.wire import Raised
from reference.mutants import namespaces

UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


class Plan(NamedTuple):
    check: object
    spec: object
    ctx: Context
    ops: list
    expected: dict | None


class Grading:
    def __init__(self, submission, rubric, seed=None):
        self.submission = submission
        self.rubric = rubric
        self.seed = rubric.seed if seed is None else seed
        self.ctx = Context(inputs=make_inputs(self.seed), tolerance=rubric.tolerance,
                           fd_tolerance=rubric.fd_tolerance, fd_step=rubric.fd_step,
                           training=rubric.training, seed=self.seed)
        self.reference = LocalRunner(vars(reference.backprop))
        hide_from_child(rubric.path)
        self.locations = {}
        self.training = None

    def run(self):
        checks = all_checks()
        with Sandbox(self.submission.path, self.rubric.limits) as sandbox:
            # the reference runs while the child starts: the two overlap on two cores
            plans = [self.plan(checks[spec.id], spec) for spec in self.rubric.checks.values()]
            sandbox.ready()
            results = [self.grade(plan, sandbox) for plan in plans]
        diagnoses = collect(results, self.rubric.diagnoses, self.locations)
        named = {d.id for d in diagnoses}
        return GradeResult(
            assignment=self.rubric.assignment, submission=self.submission.given, seed=self.seed,
            checks=results, diagnoses=[d for d in self.load_diagnoses(sandbox) if d.id not in named] + diagnoses,
            training=self.training, grader_version=__version__, output=sandbox.captured_output(),
            notes=self.notes(sandbox))

    def plan(self, check, spec):
        """What to run for one check, and what the reference makes of it."""
        ctx = replace(self.ctx, tolerance=spec.tolerance or self.ctx.tolerance)
        ops = check.scenario(ctx)
        expected = check.observe(self.reference.run(ops), ctx) if check.uses_reference else None
        return Plan(check, spec, ctx, ops, expected)

    def grade(self, plan, sandbox):
        check, spec, ctx, ops, expected = plan
        if isinstance(sandbox.load_error, Raised) and sandbox.load_error.type == "SyntaxError":
            return self.unrunnable(spec, check, sandbox.load_error, "syntax-error")
        answer = sandbox.run(ops)
        if isinstance(answer, Failure):
            return self.unrunnable(spec, check, answer, answer.kind)
        try:
            observed = check.observe(answer, ctx)
        except UNREADABLE:
            return self.unrunnable(spec, check, Failure("crash", "the submission's answer was malformed"), "crash")
        if hasattr(check, "training"):
            self.training = check.training(answer)
        verdict = check.verdict(observed, expected, ctx)
        if verdict.passed:
            return self.result(spec, "passed", "", [], spec.points)
        diagnoses = from_errors(observed)
        if check.uses_mutants:
            mutants = [(m, LocalRunner(ns)) for m, ns in namespaces()]
            diagnoses += [d for d in from_mutants(check, ops, observed, expected, ctx, mutants) if d not in diagnoses]
        # an error points at the line that raised it; a wrong value at the method that computed it
        error_line = next((e.line for e in raised_in(observed) if e.line), None)
        for diagnosis_id in diagnoses:
            self.locations.setdefault((spec.id, diagnosis_id),
                                      self.submission.at(error_line) or self.submission.locate(check.subject))
        status = "error" if raised_in(observed) else "failed"
        return self.result(spec, status, self.explain(verdict.message, spec, sandbox), diagnoses, 0.0)

    def unrunnable(self, spec, check, problem, diagnosis_id):
        line = getattr(problem, "line", None)
        self.locations.setdefault((spec.id, diagnosis_id),
                                  self.submission.at(line) or self.submission.locate(check.subject))
        where = f" at line {line}" if line else ""
        return self.result(spec, "error", f"{show(problem)}{where}", [diagnosis_id], 0.0)

    def load_diagnoses(self, sandbox):
        """An exit or a limit hit while loading the file is named even if no check paid for it."""
        load = sandbox.load_error
        if not isinstance(load, Raised) or load.type not in ERROR_TYPES or load.type == "SyntaxError":
            return []
        diagnosis_id = ERROR_TYPES[load.type]
        text = self.rubric.diagnoses[diagnosis_id]
        return [Diagnosis(diagnosis_id, text.title, text.hint, [], self.submission.at(load.line))]

    def notes(self, sandbox):
        load = sandbox.load_error
        if not isinstance(load, Raised) or load.type == "SyntaxError":
            return []  # a syntax error is a diagnosis of its own
        return [f"Loading your file raised {load} at line {load.line}; the statements after it still ran."]

    def explain(self, message, spec, sandbox):
        load = sandbox.load_error
        note = f"\n(loading your file raised {load} at line {load.line})" if isinstance(load, Raised) else ""
        return f"{message}\n{spec.feedback}{note}"

    def result(self, spec, status, message, diagnoses, score):
        return CheckResult(spec.id, spec.name, score, spec.points, status, message, diagnoses, spec.visibility)


def grade(submission, rubric, seed=None):
    return Grading(submission, rubric, seed).run()
