"""The report as one self-contained HTML page (templates/report.html.j2): the score and each bug with where
and how to fix it first, then the checks, the notes, the inputs that showed each failure, and plots of the
training runs.

Everything is inline (CSS, plots as SVG), so the file can be mailed, uploaded to an LMS or opened offline
on its own. Messages, notes, locations and output carry the student's values and prints; the template
escapes every one of them, and the page's Content-Security-Policy forbids scripts and any network access
besides, so a string that slipped through could still do nothing.
"""

from grader.render import pages, plots
from grader.render.text_report import training_summary


def render(result):
    title = f"{result.assignment}: {result.score:g} / {result.max_score:g}"
    return pages.render("report.html.j2", result=result, title=title, runs=training_runs(result))


def training_runs(result):
    """(label, summary, figure or None when there is nothing to plot) of each run; none when neither ran."""
    if result.training is None and result.reference_training is None:
        return []
    return [(label, run_summary(run), run_figure(run, label)) for label, run in plots.runs(result)]


def run_summary(training):
    return "there was none." if training is None else training_summary(training)


def run_figure(training, label):
    svg = plots.training_svg(training, label)
    return None if svg is None else pages.figure(svg)
