"""The LMS entry points: grade the file an LMS put in ROOT, write the results file it reads back.

    Gradescope:  ROOT=/autograder, the file in ROOT/submission, ROOT/results/results.json
    PrairieLearn: ROOT=/grade,     the file in ROOT/student,    ROOT/results/results.json

The LMS shows the student whatever the results file says and nothing else, so one is always
written: a submission that cannot be graded, a broken rubric, even a bug of the grader's, each end
as a results file saying what went wrong (Gradescope: score 0; PrairieLearn: not gradable, which
costs the student no attempt), never as an LMS error page.
"""

import importlib
import traceback
from dataclasses import dataclass
from pathlib import Path

from grader.files import write_replacing


@dataclass(frozen=True)
class Lms:
    default_root: Path
    submission_folder: str  # where the LMS puts the student's files, under ROOT
    report: str  # grader.render.<report>: render(result), render_ungradable(message), render_failure(message)


GRADESCOPE = Lms(Path("/autograder"), "submission", "gradescope_report")
PRAIRIELEARN = Lms(Path("/grade"), "student", "prairielearn_report")


def run(lms=GRADESCOPE, root=None, rubric_path=None):
    """Grades the submission in ROOT; returns the path of the results file written."""
    root = Path(root or lms.default_root)
    results = root / "results" / "results.json"
    renderer = importlib.import_module(f"grader.render.{lms.report}")
    report = results_json(renderer, root / lms.submission_folder, rubric_path)
    # after grading: whatever the submission left there is replaced by the parent's verdict (principle 2)
    write_replacing(results, report)
    return results


def results_json(report, submission, rubric_path):
    from grader import api
    from grader.rubric import RubricError
    from grader.submission import SubmissionError

    try:
        return report.render(api.grade(submission, rubric_path))
    except SubmissionError as error:
        return report.render_ungradable(f"Your submission could not be graded: {error}")
    except RubricError as error:
        return report.render_failure(
            f"The autograder is misconfigured, so nothing was graded; please tell your instructor. ({error})"
        )
    except Exception as error:  # noqa: BLE001  (a bug of the grader's must still end in a results file)
        traceback.print_exc()  # into the LMS's log of the run, which only the instructor sees
        return report.render_failure(
            f"The autograder failed ({type(error).__name__}) before it could grade your submission; "
            "this is not a judgement of your work. Please tell your instructor."
        )
