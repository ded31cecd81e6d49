"""PrairieLearn's external-grader results (results.json): score in 0..1, one test per check.

PrairieLearn has no per-test visibility: a check the rubric does not make visible keeps its name
and points here, and its feedback is withheld (see lms_text.shown_now). The plots of the student's
run and the reference's go in `images`, as SVG data URLs (an image format every browser shows
in the `<img>` PrairieLearn puts them in).
"""

import base64
import json

from grader.render import plots
from grader.render.lms_text import diagnoses_feedback, shown_now, summary

WITHHELD = "Details withheld until the course releases this check."
ESCAPE_CHARACTER, ESCAPE_SYMBOL = "\x1b", "\u241b"  # ESC, and ␛ that shows it


def render(result):
    return dump(
        {
            "gradable": True,
            "score": fraction(result.score, result.max_score),
            "message": f"Score: {result.score:g} / {result.max_score:g}",
            "output": as_text(summary(result)),
            "images": [image(label, svg) for label, svg in plots.run_svgs(result)],
            "tests": [test(result, check) for check in result.checks],
        }
    )


def render_ungradable(message):
    """Not gradable: PrairieLearn shows the reason and charges the student no attempt."""
    return dump(
        {"gradable": False, "format_errors": [as_text(message)], "message": as_text(message), "output": "", "tests": []}
    )


render_failure = render_ungradable  # the grader's failure is not the student's: no attempt charged either


def dump(data):
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def image(label, svg):
    return {"label": label, "url": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")}


def fraction(score, max_score):
    return round(score / max_score, 6) if max_score else 0.0


def test(result, check):
    shown = shown_now(check)
    return {
        "name": check.name,
        "description": check.id,
        "points": check.score,
        "max_points": check.max_score,
        "message": as_text(check.message) if shown else WITHHELD,
        "output": as_text(diagnoses_feedback(result, check)) if shown else "",
    }


def as_text(text):
    """Text PrairieLearn shows as written. It shows every message and output in a <pre> through ansi2html,
    which escapes & < > itself (html.escape here would show as &lt;) but makes markup of escape sequences:
    colours, and OSC 8 links whose URL lands in an href unescaped. The student's ESC characters (in
    exception messages and file names) are shown as a symbol instead, so no sequence starts."""
    return text.replace(ESCAPE_CHARACTER, ESCAPE_SYMBOL)
