"""The report as one self-contained HTML page: the score and each bug with where and how to fix it first,
then the checks, the notes, the inputs that showed each failure, and plots of the training runs.

Everything is inline (CSS, plots as SVG), so the file can be mailed, uploaded to an LMS or
opened offline on its own. Messages, notes, locations and output carry the student's values and
prints, so every string taken from the result is escaped; the page's Content-Security-Policy forbids
scripts and any network access besides, so a string that slipped through could still do nothing.
"""
from html import escape

from grader.render import plots
from grader.render.text_report import training_summary

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

STYLE = """
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff;
       max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
h1 { margin-bottom: 0; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2rem; }
h3 { margin-bottom: .3rem; }
.submission { color: #555; margin-top: .2rem; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .9em; }
pre { background: #f6f6f6; border: 1px solid #e2e2e2; padding: .6rem .8rem; white-space: pre-wrap;
      overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #eee; vertical-align: top; }
td.points, th.points { text-align: right; white-space: nowrap; }
td.check code { color: #666; font-size: .8em; }
.passed .status { color: #1a7f37; }
.failed .status, .error .status { color: #c62828; font-weight: bold; }
.skipped .status { color: #9a6700; }
tr.failed, tr.error { background: #fff5f5; }
.diagnosis { border-left: 4px solid #c62828; padding: .1rem 1rem; margin: 1rem 0; background: #fffafa; }
.where { font-family: ui-monospace, "DejaVu Sans Mono", monospace; color: #444; margin: 0; }
.runs { display: flex; flex-wrap: wrap; gap: 1.5rem; }
figure { margin: 0; flex: 1 1 22rem; max-width: 30rem; }
figure svg { width: 100%; height: auto; border: 1px solid #eee; }
figcaption, .no-plot { color: #444; font-size: .95em; }
"""

def render(result):
    title = f"{result.assignment}: {result.score:g} / {result.max_score:g}"
    sections = [header(result, title), diagnoses(result), checks_table(result), notes(result),
                failed_checks(result), training(result), printed_output(result)]
    return page(title, "\n".join(s for s in sections if s))


def page(title, body):
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">
<link rel="icon" href="data:,">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


def section(heading, content):
    return f"<section>\n<h2>{escape(heading)}</h2>\n{content}\n</section>"


def header(result, title):
    return f'<h1>{escape(title)}</h1>\n<p class="submission">{escape(result.submission)}</p>'


def notes(result):
    if not result.notes:
        return ""
    items = "\n".join(f"<li>{escape(note)}</li>" for note in result.notes)
    return section("Notes", f"<ul>\n{items}\n</ul>")


def checks_table(result):
    rows = "\n".join(check_row(check) for check in result.checks)
    return section("Checks", f"""<table>
<thead><tr><th>status</th><th class="points">points</th><th>check</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>""")


def check_row(check):
    # A check that lost points links to its message below, where the inputs that showed it are.
    name = escape(check.name)
    if check.status != "passed":
        name = f'<a href="#{check_anchor(check.id)}">{name}</a>'
    return (f'<tr class="{escape(check.status)}"><td class="status">{escape(check.status)}</td>'
            f'<td class="points">{points(check)}</td><td class="check">{name} <code>{escape(check.id)}</code></td></tr>')


def check_anchor(check_id):
    return escape(f"check-{check_id}")


def points(check):
    return f"{check.score:g}/{check.max_score:g}"


def diagnoses(result):
    if not result.diagnoses:
        return ""
    return section("What is wrong, and where", "\n".join(diagnosis(d) for d in result.diagnoses))


def diagnosis(d):
    where = f'<p class="where">{escape(d.where)}</p>\n' if d.where else ""
    checks = ", ".join(f'<a href="#{check_anchor(c)}"><code>{escape(c)}</code></a>' for c in d.checks)
    return (f'<article class="diagnosis">\n<h3>{escape(d.title)} <code>[{escape(d.id)}]</code></h3>\n{where}'
            f"<p>{escape(d.hint)}</p>\n<p>Checks it costs: {checks}</p>\n</article>")


def failed_checks(result):
    failed = result.failed
    if not failed:
        return ""
    return section("Failed checks, with the inputs that showed it", "\n".join(failed_check(c) for c in failed))


def failed_check(check):
    return (f'<article id="{check_anchor(check.id)}">\n<h3><code>{escape(check.id)}</code> '
            f"({escape(check.status)}, {points(check)})</h3>\n<pre>{escape(check.message)}</pre>\n</article>")


def training(result):
    if result.training is None and result.reference_training is None:
        return ""
    runs = [run_figure(label, run) for label, run in plots.runs(result)]
    return section("Training", '<div class="runs">\n' + "\n".join(runs) + "\n</div>")


def run_summary(training):
    return "there was none." if training is None else training_summary(training)


def run_figure(label, training):
    """One run's plots above its summary, or the summary alone when there is nothing to plot."""
    caption = f"{escape(label)}: {escape(run_summary(training))}"
    svg = plots.training_svg(training, label)
    if svg is None:
        return f'<figure>\n<p class="no-plot">{caption} Nothing to plot.</p>\n</figure>'
    return f"<figure>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"


def printed_output(result):
    if not result.output:
        return ""
    return section("What your code printed (not graded)", f'<pre class="output">{escape(result.output)}</pre>')
