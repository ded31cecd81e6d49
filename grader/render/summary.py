"""The cohort's picture for the TA: scores, which mistakes which students make, which checks fail most,
and whose grading hit a limit; every student named is a link to their report. Markdown and one
self-contained HTML page.

Student ids are file names, so anything a file name may hold: escaped as text (HTML, or Markdown's
specials) and percent-encoded in the links, which are relative to the summary's folder.
"""
from collections import Counter
from dataclasses import dataclass
from html import escape
from typing import Callable
from urllib.parse import quote

from grader.diagnosis import LIMITS
from grader.render import plots
from grader.render.markdown_report import prose

BINS = 10
MOST_FAILED = 10


@dataclass(frozen=True)
class Cohort:
    total: float
    scores: dict  # student -> score, of those graded
    problems: dict  # student -> why it could not be graded
    diagnoses: list  # (id, title, the students named with it), most frequent first
    failed_checks: list  # (id, name, number of students), most frequent first
    diagnosed: dict  # student -> its diagnosis ids, of those graded
    links: dict  # student -> its report, relative to the summary's folder
    confinement_gaps: tuple = ()  # what the kernel did not offer of the sandbox (sandbox.confinement_gaps)

    @classmethod
    def of(cls, reports, rubric, links, confinement_gaps=()):
        graded = [(s.id, r) for s, r in reports if "problem" not in r]
        diagnosed = {sid: sorted({d["id"] for d in r["diagnoses"]}) for sid, r in graded}
        named = Counter(d for ids in diagnosed.values() for d in ids)
        failed = Counter(c["id"] for _, r in graded for c in r["checks"] if c["status"] != "passed")
        return cls(
            total=rubric.total,
            scores={sid: r["score"] for sid, r in graded},
            problems={s.id: r["problem"] for s, r in reports if "problem" in r},
            diagnoses=[(d, rubric.diagnoses[d].title, [sid for sid, ids in diagnosed.items() if d in ids])
                       for d, _ in by_count(named)],
            failed_checks=[(c, rubric.checks[c].name, n) for c, n in by_count(failed)][:MOST_FAILED],
            diagnosed=diagnosed,
            links=links,
            confinement_gaps=tuple(confinement_gaps))

    @property
    def limited(self):
        """student -> the limits its grading hit, of those that hit one."""
        return {sid: limits_hit(ids) for sid, ids in self.diagnosed.items() if limits_hit(ids)}

    def histogram(self):
        """[(low, high, count)] over BINS equal bins of the score range, the top bin closed."""
        width = self.total / BINS
        counts = Counter(min(int(score // width), BINS - 1) for score in self.scores.values())
        return [(i * width, (i + 1) * width, counts[i]) for i in range(BINS)]


def by_count(counter):
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def limits_hit(diagnosis_ids):
    return [d for d in diagnosis_ids if d in LIMITS]


def heading(cohort):
    return f"Cohort summary: {len(cohort.scores)} graded, {len(cohort.problems)} could not be graded"


@dataclass(frozen=True)
class Cells:
    """How a format writes what goes into the summary's tables and lists."""
    text: Callable  # the grader's and the rubric's words
    untrusted: Callable  # text from a submission (why it could not be graded)
    code: Callable  # a diagnosis or check id
    student: Callable  # (student id, its report's path) -> the id as a link to the report

    def linked(self, cohort, sid):
        return self.student(sid, cohort.links[sid])


def tables(cohort, cells):
    """(heading, columns, the columns aligned right, rows) of each table after the histogram."""
    return [
        ("Diagnoses", ["diagnosis", "what", "students", "who"], {2},
         [[cells.code(d), cells.text(title), len(who), ", ".join(cells.linked(cohort, sid) for sid in who)]
          for d, title, who in cohort.diagnoses]),
        ("Checks failed most often", ["check", "", "students"], {2},
         [[cells.code(c), cells.text(name), n] for c, name, n in cohort.failed_checks]),
        ("Students", ["student", "score", "diagnoses", "limits hit"], {1},
         [[cells.linked(cohort, sid), f"{cohort.scores[sid]:g}", " ".join(map(cells.code, ids)),
           cells.text(", ".join(limits_hit(ids)))] for sid, ids in cohort.diagnosed.items()]),
    ]


def lists(cohort, cells):
    """(heading, items) of each list after the tables; the sandbox's gaps only when there are some."""
    gaps = [("Confinement", [cells.text(gap) for gap in cohort.confinement_gaps])] if cohort.confinement_gaps else []
    return gaps + [
        ("Gradings that hit a limit",
         [f"{cells.linked(cohort, sid)}: {cells.text(', '.join(limits))}" for sid, limits in cohort.limited.items()]),
        ("Could not be graded",
         [f"{cells.linked(cohort, sid)}: {cells.untrusted(problem)}" for sid, problem in cohort.problems.items()]),
    ]


def placeholder(columns):
    return ["none"] + [""] * (len(columns) - 1)


# Markdown

def markdown(cohort):
    histogram = [[f"{low:g}–{high:g}", n, "█" * n] for low, high, n in cohort.histogram()]
    lines = [f"# {heading(cohort)}", "", "## Scores", "", *md_table(["score", "students", ""], histogram, {1})]
    for title, columns, right, rows in tables(cohort, MARKDOWN):
        lines += ["", f"## {title}", "", *md_table(columns, rows or [placeholder(columns)], right)]
    for title, items in lists(cohort, MARKDOWN):
        lines += ["", f"## {title}", "", *([f"- {item}" for item in items] or ["none"])]
    return "\n".join(lines) + "\n"


def md_table(columns, rows, right):
    """The lines of a Markdown table; the columns whose index is in `right` are aligned right (numbers)."""
    rule = ["---:" if i in right else "---" for i in range(len(columns))]
    return [md_row(columns), md_row(rule)] + [md_row(row) for row in rows]


def md_row(cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def md_student(sid, path):
    return f"[{prose(sid)}]({quote(path)})"


# the rubric's words are written for Markdown already (and an id holds no backtick)
MARKDOWN = Cells(text=str, untrusted=prose, code=lambda text: f"`{text}`", student=md_student)


# HTML

def html(cohort):
    sections = [f"<h2>{escape(title)}</h2>{html_table(columns, rows or [placeholder(columns)])}"
                for title, columns, _, rows in tables(cohort, HTML)]
    sections += [f"<h2>{escape(title)}</h2><ul>{''.join(f'<li>{item}</li>' for item in items or ['none'])}</ul>"
                 for title, items in lists(cohort, HTML)]
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Cohort summary</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; }}</style>
</head><body>
<h1>{escape(heading(cohort))}</h1>
<h2>Scores</h2>{plots.histogram_svg(cohort.histogram(), cohort.total)}
{body}
</body></html>
"""


def html_table(columns, rows):
    header = "".join(f"<th>{escape(column)}</th>" for column in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{header}</tr>{body}</table>"


def html_student(sid, path):
    return f'<a href="{escape(quote(path))}">{escape(sid)}</a>'  # quote leaves no & or ": escaped all the same


HTML = Cells(text=escape, untrusted=escape, code=lambda text: f"<code>{escape(text)}</code>", student=html_student)
