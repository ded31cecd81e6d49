"""PrairieLearn's external-grader results (results.json): score in 0..1, one test per check.

PrairieLearn has no per-test visibility: a check the rubric does not make visible keeps its name
and points here, and its feedback is withheld (see lms_text.shown_now).
"""
import json

from grader.render.lms_text import diagnoses_feedback, shown_now, summary

WITHHELD = "Details withheld until the course releases this check."


def render(result):
    return json.dumps({
        "gradable": True,
        "score": fraction(result.score, result.max_score),
        "message": f"Score: {result.score:g} / {result.max_score:g}",
        "output": summary(result),
        "tests": [test(result, check) for check in result.checks],
    }, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def fraction(score, max_score):
    return round(score / max_score, 6) if max_score else 0.0


def test(result, check):
    shown = shown_now(check)
    return {
        "name": check.name,
        "points": check.score,
        "max_points": check.max_score,
        "message": check.message if shown else WITHHELD,
        "output": diagnoses_feedback(result, check) if shown else "",
    }
