"""The LMS entry point, in Gradescope's layout: grade the one file in ROOT/submission, write
ROOT/results/results.json.

The LMS shows the student whatever results.json says and nothing else, so a results.json is
always written: a submission that cannot be graded, a broken rubric, even a bug of the grader's,
each end as score 0 with a line saying what went wrong, never as an LMS error page.
"""
import os
import shutil
import tempfile
import traceback
from pathlib import Path

from grader import api
from grader.render import gradescope_report
from grader.rubric import RubricError
from grader.submission import SubmissionError

DEFAULT_ROOT = Path("/autograder")


def run(root=DEFAULT_ROOT, rubric_path=None):
    """Grades ROOT/submission; returns the path of the results.json written."""
    results = Path(root) / "results" / "results.json"
    report = results_json(Path(root) / "submission", rubric_path)
    # after grading: whatever the submission left there is replaced by the parent's verdict (principle 2)
    write_replacing(results, report)
    return results


def results_json(submission, rubric_path):
    try:
        return gradescope_report.render(api.grade(submission, rubric_path))
    except SubmissionError as error:
        return gradescope_report.render_failure(f"Your submission could not be graded: {error}")
    except RubricError as error:
        return gradescope_report.render_failure(
            f"The autograder is misconfigured, so nothing was graded; please tell your instructor. ({error})")
    except Exception as error:  # a bug of the grader's must still end in a results.json
        traceback.print_exc()  # into the LMS's log of the run, which only the instructor sees
        return gradescope_report.render_failure(
            f"The autograder failed ({type(error).__name__}) before it could grade your submission; "
            "this is not a judgement of your work. Please tell your instructor.")


def write_replacing(path, text):
    """Written beside `path`, then renamed over it: a file, a symlink or a folder the submission put
    there is replaced, never written through."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(scratch, 0o644)  # mkstemp's 0600 would hide it from an LMS harness not running as root
        os.replace(scratch, path)
    except BaseException:
        os.unlink(scratch)
        raise

