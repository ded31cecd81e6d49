"""The report in Markdown, for a merge-request comment, a CI job summary or a README of results.

Ids, locations, messages and output go in code spans and fenced blocks, which show student values
as they are and keep the Markdown (and any HTML a renderer would let through) from being read
into them; the prose from the result (notes, names, titles, hints) has Markdown's special characters
escaped, for the same reason.
"""

import re

from grader.render.text_report import training_summary

SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~&])")  # & too: `&amp;` would show as &
# what opens a list (`- `, `+ `, `1. `, `1) `) at the start of a line: a note starting so (a file named
# "1. backprop.py") would be read as a list inside the note's list item, its marker lost
LIST_MARKER = re.compile(r"^(\d{0,9})([-+.)])")
STATUS_MARKS = {"passed": "✅", "failed": "❌", "error": "⛔", "skipped": "➖"}


def render(result):
    blocks = [
        header(result),
        diagnoses(result),
        checks_table(result),
        notes(result),
        failed_checks(result),
        training(result),
        printed_output(result),
    ]
    return "\n\n".join(block for block in blocks if block) + "\n"


def header(result):
    return (
        f"# {prose(result.assignment)}: {code(result.submission)}\n\n**Score: {result.score:g} / {result.max_score:g}**"
    )


def notes(result):
    if not result.notes:
        return ""
    return "## Notes\n\n" + "\n".join(f"- {prose(note)}" for note in result.notes)


def checks_table(result):
    rows = [
        f"| {STATUS_MARKS[c.status]} {c.status} | {c.score:g}/{c.max_score:g} | {prose(c.name)} | {code(c.id)} |"
        for c in result.checks
    ]
    return "\n".join(["## Checks", "", "| status | points | check | id |", "|---|---:|---|---|", *rows])


def diagnoses(result):
    if not result.diagnoses:
        return ""
    return "## What is wrong, and where\n\n" + "\n\n".join(diagnosis(d) for d in result.diagnoses)


def diagnosis(d):
    where = f"At {code(d.where)}. " if d.where else ""
    checks = ", ".join(code(c) for c in d.checks)
    return f"### {prose(d.title)} {code(d.id)}\n\n{where}{prose(d.hint)}\n\nChecks it costs: {checks}"


def failed_checks(result):
    failed = result.failed
    if not failed:
        return ""
    return "## Failed checks, with the inputs that showed it\n\n" + "\n\n".join(
        f"### {code(c.id)} ({c.status}, {c.score:g}/{c.max_score:g})\n\n{fenced(c.message)}" for c in failed
    )


def training(result):
    if result.training is None:
        return ""
    return f"Training run with your classes: {prose(training_summary(result.training))}"


def printed_output(result):
    if not result.output:
        return ""
    return f"## What your code printed (not graded)\n\n{fenced(result.output)}"


def prose(text):
    """Text read as written: Markdown's special characters escaped, lines joined (a table cell is one line)."""
    line = " ".join(str(text).splitlines()).strip()  # leading spaces could make an indented code block
    return LIST_MARKER.sub(r"\1\\\2", SPECIAL.sub(r"\\\1", line))


def code(text):
    """A code span that holds any text: its fence is longer than any run of backticks inside."""
    text = " ".join(str(text).splitlines())
    fence = "`" * (longest_backtick_run(text) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def fenced(text):
    """A fenced block that holds any text, for the same reason."""
    fence = "`" * max(3, longest_backtick_run(text) + 1)
    body = text.rstrip("\n")
    return f"{fence}text\n{body}\n{fence}"


def longest_backtick_run(text):
    return max((len(run) for run in re.findall(r"`+", text)), default=0)
