"""The grader as a library: what the CLI (and the LMS bundle, and batch runs) call."""

from pathlib import Path

from grader import grading, rubric as rubrics
from grader.results import GradeResult
from grader.submission import open_submission
from grader.zygote import Zygote


def grade(path: str | Path, rubric_path: str | Path | None = None, seed: int | None = None) -> GradeResult:
    """Grades one submission file; raises RubricError or SubmissionError when it cannot."""
    Zygote.shared()  # started first: its Python and numpy load while the rubric is read and checked
    rubric = rubrics.load(rubric_path)
    with open_submission(path) as submission:
        return grading.Grader(rubric, seed).grade(submission)
