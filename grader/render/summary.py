"""The cohort's picture for the TA: scores, which mistakes how many students make, which checks
fail most, and whose grading hit a limit. Markdown and one self-contained HTML page."""
import base64
import io
from collections import Counter
from dataclasses import dataclass
from html import escape

LIMITS = ("timeout", "memory-limit", "crash")
BINS = 10
MOST_FAILED = 10


@dataclass(frozen=True)
class Cohort:
    total: float
    scores: dict  # student -> score, of those graded
    problems: dict  # student -> why it could not be graded
    diagnoses: list  # (id, title, number of students), most frequent first
    failed_checks: list  # (id, name, number of students), most frequent first
    limited: dict  # student -> the limits its grading hit

    @classmethod
    def of(cls, reports, rubric):
        graded = [(s.id, r) for s, r in reports if "problem" not in r]
        per_student = {sid: sorted({d["id"] for d in r["diagnoses"]}) for sid, r in graded}
        named = Counter(d for ids in per_student.values() for d in ids)
        failed = Counter(c["id"] for _, r in graded for c in r["checks"] if c["status"] != "passed")
        return cls(
            total=rubric.total,
            scores={sid: r["score"] for sid, r in graded},
            problems={s.id: r["problem"] for s, r in reports if "problem" in r},
            diagnoses=[(d, rubric.diagnoses[d].title, n) for d, n in by_count(named)],
            failed_checks=[(c, rubric.checks[c].name, n) for c, n in by_count(failed)][:MOST_FAILED],
            limited={sid: [d for d in ids if d in LIMITS] for sid, ids in per_student.items()
                     if any(d in LIMITS for d in ids)})

    def histogram(self):
        """[(low, high, count)] over BINS equal bins of the score range, the top bin closed."""
        width = self.total / BINS
        counts = Counter(min(int(score // width), BINS - 1) for score in self.scores.values())
        return [(i * width, (i + 1) * width, counts[i]) for i in range(BINS)]


def by_count(counter):
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def markdown(cohort):
    lines = [f"# Cohort summary: {len(cohort.scores)} graded, {len(cohort.problems)} could not be graded", ""]
    lines += ["## Scores", "", "| score | students | |", "|---|---:|---|"]
    lines += [f"| {low:g}–{high:g} | {n} | {'█' * n} |" for low, high, n in cohort.histogram()]
    lines += ["", "## Diagnoses", "", "| diagnosis | what | students |", "|---|---|---:|"]
    lines += [f"| `{d}` | {title} | {n} |" for d, title, n in cohort.diagnoses] or ["| | none | 0 |"]
    lines += ["", "## Checks failed most often", "", "| check | | students |", "|---|---|---:|"]
    lines += [f"| `{c}` | {name} | {n} |" for c, name, n in cohort.failed_checks] or ["| | none | 0 |"]
    lines += ["", "## Gradings that hit a limit", ""]
    lines += [f"- {sid}: {', '.join(limits)}" for sid, limits in cohort.limited.items()] or ["none"]
    if cohort.problems:
        lines += ["", "## Could not be graded", ""]
        lines += [f"- {sid}: {problem}" for sid, problem in cohort.problems.items()]
    return "\n".join(lines) + "\n"


def html(cohort):
    rows = lambda items: "".join(  # noqa: E731 - a table body, three columns
        f"<tr><td><code>{escape(a)}</code></td><td>{escape(b)}</td><td>{n}</td></tr>" for a, b, n in items)
    limited = "".join(f"<li>{escape(sid)}: {escape(', '.join(lim))}</li>" for sid, lim in cohort.limited.items())
    problems = "".join(f"<li>{escape(sid)}: {escape(p)}</li>" for sid, p in cohort.problems.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Cohort summary</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; }} td, th {{ padding: .2rem .6rem; border-bottom: 1px solid #eee; text-align: left; }}</style>
</head><body>
<h1>Cohort summary: {len(cohort.scores)} graded, {len(cohort.problems)} could not be graded</h1>
<h2>Scores</h2><img alt="histogram of the scores" src="data:image/png;base64,{histogram_png(cohort)}">
<h2>Diagnoses</h2><table><tr><th>diagnosis</th><th>what</th><th>students</th></tr>{rows(cohort.diagnoses)}</table>
<h2>Checks failed most often</h2><table><tr><th>check</th><th></th><th>students</th></tr>{rows(cohort.failed_checks)}</table>
<h2>Gradings that hit a limit</h2><ul>{limited or "<li>none</li>"}</ul>
<h2>Could not be graded</h2><ul>{problems or "<li>none</li>"}</ul>
</body></html>
"""


def histogram_png(cohort):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 2.8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    bins = cohort.histogram()
    axes.bar([low for low, _, _ in bins], [n for _, _, n in bins], width=cohort.total / BINS, align="edge",
             color="#1f5fa8", edgecolor="white")
    axes.set_xlabel("score")
    axes.set_ylabel("students")
    axes.set_xlim(0, cohort.total)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()
