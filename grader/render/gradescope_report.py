"""Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder Specifications").

Each check is a test with its rubric visibility, so Gradescope itself withholds the hidden ones; the
top-level output is always shown, so it describes only the visible checks (see lms_text).
"""

import json
from html import escape

from grader.render.lms_text import check_feedback, summary

SUMMARY_FORMAT = "simple_format"  # plain text with its line breaks: hints hold `*` that markdown would eat
TEST_FORMAT = "text"  # shown in a <pre>: the observed and expected values keep their alignment


def render(result):
    tests = [test(result, number, check) for number, check in enumerate(result.checks, start=1)]
    return dump(
        {
            "score": round(sum(t["score"] for t in tests), 6),  # Gradescope takes this total over its own sum
            "execution_time": round(result.seconds, 3),
            "output": simple_format(summary(result)),
            "output_format": SUMMARY_FORMAT,
            "visibility": "visible",
            "stdout_visibility": "hidden",  # the grader's own log, for the instructor
            "tests": tests,
        }
    )


def test(result, number, check):
    return {
        "name": check.name,
        "number": str(number),
        "score": check.score,
        "max_score": check.max_score,
        "status": "passed" if check.status == "passed" else "failed",
        "output": check_feedback(result, check),
        "output_format": TEST_FORMAT,
        "tags": list(check.diagnoses),
        "visibility": check.visibility,
    }


def render_failure(message):
    """The results.json of a submission that could not be graded at all: score 0, the reason why."""
    return dump(
        {
            "score": 0.0,
            "output": simple_format(message),
            "output_format": SUMMARY_FORMAT,
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [],
        }
    )


render_ungradable = render_failure  # Gradescope has no "not gradable": a submission it cannot grade scores 0


def simple_format(text):
    """Gradescope shows simple_format as HTML, its line breaks made <br/>: the text is escaped, since it
    carries the student's exception messages and file names, and no markup of ours. (A test's "text"
    output is shown as plain text by Gradescope itself.)"""
    return escape(text, quote=False)  # element content: quotes are text there, and stay readable


def dump(data):
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
