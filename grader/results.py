"""The one result object grading produces; every report format is a view of it."""

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class CheckResult:
    id: str
    name: str
    score: float
    max_score: float
    status: str  # passed, failed, error or skipped
    message: str
    diagnoses: list
    visibility: str


@dataclass
class Diagnosis:
    id: str
    title: str
    hint: str
    checks: list
    where: str | None


@dataclass
class Training:
    w: float
    b: float
    losses: list
    target: dict  # the rubric's {"w": ..., "b": ...}, which the reports show beside the run
    ws: list = field(default_factory=list, repr=False)
    bs: list = field(default_factory=list, repr=False)


@dataclass
class GradeResult:
    assignment: str
    submission: str
    seed: int
    checks: list
    diagnoses: list
    training: Training | None
    grader_version: str
    output: str = ""  # what the submission printed, truncated: shown, never scored
    notes: list = field(default_factory=list)  # what the student should know beyond the checks
    reference_training: Training | None = None  # the reference's run on the same samples, for plots
    seconds: float = 0.0  # wall time of the grading: for the LMS, never in the JSON report (principle 5)

    @property
    def score(self):
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self):
        return round(sum(c.max_score for c in self.checks), 6)

    @property
    def failed(self):
        """The checks that did not pass (failed, error or skipped)."""
        return [c for c in self.checks if c.status != "passed"]

    def to_dict(self):
        """The JSON report of DESIGN.md."""
        return {
            "assignment": self.assignment,
            "submission": self.submission,
            "seed": self.seed,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [
                {
                    "id": c.id,
                    "name": c.name,
                    "score": c.score,
                    "max_score": c.max_score,
                    "status": c.status,
                    "message": c.message,
                    "diagnoses": c.diagnoses,
                    "visibility": c.visibility,
                }
                for c in self.checks
            ],
            "diagnoses": [
                {"id": d.id, "title": d.title, "hint": d.hint, "checks": d.checks, "where": d.where}
                for d in self.diagnoses
            ],
            "training": None
            if self.training is None
            else {
                "w": finite(self.training.w),
                "b": finite(self.training.b),
                "losses": finite_list(self.training.losses),
            },
            "grader_version": self.grader_version,
            "notes": self.notes,
            "output": self.output,
        }


def finite(value):
    """JSON has no nan or inf: a diverged training run reports null."""
    value = float(value)
    return value if math.isfinite(value) else None


def finite_list(values):
    """`finite` of each value, at once (a run's 5000 losses)."""
    array = np.asarray(values, dtype=float)
    found = array.tolist()
    for index in np.flatnonzero(~np.isfinite(array)):
        found[index] = None
    return found
