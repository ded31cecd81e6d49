"""The cohort's picture for the TA: scores, which mistakes which students make, which checks fail most,
and whose grading hit a limit; every student named is a link to their report. Markdown and one
self-contained HTML page.

Student ids are file names, so anything a file name may hold: escaped as text (HTML, by the template
templates/summary.html.j2, or Markdown's specials) and percent-encoded in the links, which are relative
to the summary's folder.
"""

from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

from grader.diagnosis import LIMITS
from grader.render import pages, plots
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
            diagnoses=[
                (d, rubric.diagnoses[d].title, [sid for sid, ids in diagnosed.items() if d in ids])
                for d, _ in by_count(named)
            ],
            failed_checks=[(c, rubric.checks[c].name, n) for c, n in by_count(failed)][:MOST_FAILED],
            diagnosed=diagnosed,
            links=links,
            confinement_gaps=tuple(confinement_gaps),
        )

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
class Cell:
    """What a table's cell, or a part of a list's item, shows: values of one kind joined by `sep`. Each format
    writes each kind its own way (markdown_cells here, the macro `show` of templates/summary.html.j2):
    "text", the grader's and the rubric's words; "untrusted", text from a submission (why it could not be
    graded); "code", diagnosis and check ids; "student", student ids, each linked to its report."""

    kind: str
    values: tuple
    sep: str = ""


def text(value):
    return Cell("text", (value,))


def tables(cohort):
    """(heading, columns, the columns aligned right, rows of Cells) of each table after the histogram."""
    return [
        table(
            "Diagnoses",
            ["diagnosis", "what", "students", "who"],
            {2},
            [
                [Cell("code", (d,)), text(title), text(len(who)), Cell("student", tuple(who), ", ")]
                for d, title, who in cohort.diagnoses
            ],
        ),
        table(
            "Checks failed most often",
            ["check", "", "students"],
            {2},
            [[Cell("code", (c,)), text(name), text(n)] for c, name, n in cohort.failed_checks],
        ),
        table(
            "Students",
            ["student", "score", "diagnoses", "limits hit"],
            {1},
            [
                [
                    Cell("student", (sid,)),
                    text(f"{cohort.scores[sid]:g}"),
                    Cell("code", tuple(ids), " "),
                    text(", ".join(limits_hit(ids))),
                ]
                for sid, ids in cohort.diagnosed.items()
            ],
        ),
    ]


def table(heading, columns, right, rows):
    """A table with nothing to show has one row saying so."""
    return heading, columns, right, rows or [[text("none")] + [text("")] * (len(columns) - 1)]


def lists(cohort):
    """(heading, items) of each list after the tables, an item being Cells joined by ": "; the sandbox's gaps
    only when there are some."""
    gaps = [("Confinement", [[text(gap)] for gap in cohort.confinement_gaps])] if cohort.confinement_gaps else []
    return gaps + [
        (
            "Gradings that hit a limit",
            [[Cell("student", (sid,)), text(", ".join(limits))] for sid, limits in cohort.limited.items()],
        ),
        (
            "Could not be graded",
            [[Cell("student", (sid,)), Cell("untrusted", (problem,))] for sid, problem in cohort.problems.items()],
        ),
    ]


def report_hrefs(cohort):
    """student -> the link to its report, percent-encoded (a student id is a file name: anything)."""
    return {sid: quote(path) for sid, path in cohort.links.items()}


# Markdown


def markdown(cohort):
    write = markdown_cells(cohort)
    histogram = [[f"{low:g}–{high:g}", n, "█" * n] for low, high, n in cohort.histogram()]
    lines = [f"# {heading(cohort)}", "", "## Scores", "", *md_table(["score", "students", ""], histogram, {1})]
    for title, columns, right, rows in tables(cohort):
        lines += ["", f"## {title}", "", *md_table(columns, [list(map(write, row)) for row in rows], right)]
    for title, items in lists(cohort):
        lines += ["", f"## {title}", "", *([f"- {': '.join(map(write, item))}" for item in items] or ["none"])]
    return "\n".join(lines) + "\n"


def markdown_cells(cohort):
    """Cell -> its Markdown. The rubric's words are written for Markdown already (and an id holds no backtick)."""
    hrefs = report_hrefs(cohort)
    kinds = {
        "text": str,
        "untrusted": prose,
        "code": lambda text: f"`{text}`",
        "student": lambda sid: f"[{prose(sid)}]({hrefs[sid]})",
    }
    return lambda cell: cell.sep.join(kinds[cell.kind](value) for value in cell.values)


def md_table(columns, rows, right):
    """The lines of a Markdown table; the columns whose index is in `right` are aligned right (numbers)."""
    rule = ["---:" if i in right else "---" for i in range(len(columns))]
    return [md_row(columns), md_row(rule)] + [md_row(row) for row in rows]


def md_row(cells):
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


# HTML


def html(cohort):
    histogram = pages.figure(plots.histogram_svg(cohort.histogram(), cohort.total))
    return pages.render(
        "summary.html.j2",
        heading=heading(cohort),
        histogram=histogram,
        tables=tables(cohort),
        lists=lists(cohort),
        hrefs=report_hrefs(cohort),
    )
