"""Student text shows as written in every report format, as that format's renderer displays it: a tag
(or rich's [markup], in the terminal) in an exception message, a file name or a printed line is shown,
not obeyed; an entity is not decoded; a backtick or a fake closing tag closes none of the report's own
code spans, blocks or elements.

The student text reaches the reports by the ways a submission has: what it printed, an exception in a
check (the check's message), an exception at import (a note), and the file's name, which holds markup
too (a diagnosis' `where`). The two HTML pages, the report and the cohort summary, are rendered from Jinja2
templates: student text that holds template syntax is shown as written too, never run.
"""

import dataclasses
import json
import xml.etree.ElementTree as ET

import pytest

from helpers import edit, grade, markdown_html, reference_source, write_submission
from grader.render import FORMATS, render, summary
from grader.render.gradescope_report import render_failure
from test_reports import Elements, text_of

STUDENT_TEXT = "<b>bold</b> &amp; `tick` ``` [red]rich[/red] </pre></section></td><script>alert(1)</script>"
FILE_NAME = "hw <i>&amp;`x`.py"
# markup, a quote that would end an attribute, and Jinja2's syntax, which would not show as written if run
TEMPLATE_TEXT = '<script>alert(1)</script> " onclick="alert(2)" \' {{ 7 * 7 }} {% if true %}evaluated{% endif %}'
STUDENT_ID = TEMPLATE_TEXT.replace("/", "")  # a file name
PRINTED, AT_IMPORT = f"printed {STUDENT_TEXT}", f"at import {STUDENT_TEXT}"
IN_FORWARD, IN_STEP = f"in forward {STUDENT_TEXT}", f"in step {STUDENT_TEXT}"
WAYS = ("printed", "message", "note", "where")
# the ways each format carries: the LMS's show no printed output, JUnit no notes and no locations
SHOWN = {
    "text": WAYS,
    "json": WAYS,
    "markdown": WAYS,
    "html": WAYS,
    "junit": ("printed", "message"),
    "gradescope": ("message", "note", "where"),
    "prairielearn": ("message", "note", "where"),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """The reference, but it prints the student text and raises it at import (ValueError: a note), and
    my_exp.forward raises it (TypeError: the check's message) and my_exp.step too (NotImplementedError:
    not-implemented, which points into the file)."""
    source = edit(
        reference_source(),
        "import numpy as np\n",
        f"import numpy as np\nprint({PRINTED!r})\nraise ValueError({AT_IMPORT!r})\n",
    )
    source = edit(source, "        self.output = np.exp(x)\n", f"        raise TypeError({IN_FORWARD!r})\n")
    source = edit(
        source,
        "    def step(self, learning_rate):\n        pass\n",
        f"    def step(self, learning_rate):\n        raise NotImplementedError({IN_STEP!r})\n",
    )
    return grade(write_submission(tmp_path_factory.mktemp("escaping"), source, FILE_NAME))


@pytest.fixture(scope="module")
def student_text(result):
    """Each way the student's text reaches the result, as the result holds it: a whole note and a whole
    location, so that each is looked for where it is shown, not found inside another."""
    assert PRINTED in result.output  # or the test would pass for nothing
    assert any(IN_FORWARD in check.message for check in result.checks)
    note = next(note for note in result.notes if AT_IMPORT in note)
    where = next(d.where for d in result.diagnoses if d.id == "not-implemented")
    assert where.startswith(FILE_NAME) and where not in note
    return {"printed": PRINTED, "message": IN_FORWARD, "note": note, "where": where}


def gradescope_shows(report):
    """The top-level simple_format output as Gradescope shows it (line breaks made <br/>, then HTML), and
    each test's text output as it is."""
    data = json.loads(report)
    return "\n".join([text_of(data["output"].replace("\n", "<br/>"))] + [test["output"] for test in data["tests"]])


def prairielearn_field(text):
    """A message or output as PrairieLearn shows it: ansi2html escapes & < > (in that order), the page
    puts the result in a <pre> unescaped. An escape character would start a sequence made markup."""
    assert "\x1b" not in text
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text_of(f"<pre>{escaped}</pre>")


def prairielearn_fields(data):
    return [data["message"], data["output"]] + [test[key] for test in data["tests"] for key in ("message", "output")]


def prairielearn_shows(report):
    return "\n".join(prairielearn_field(field) for field in prairielearn_fields(json.loads(report)))


SHOWS = {
    "text": lambda report: report,
    "json": lambda report: report,
    "markdown": lambda report: text_of(markdown_html(report)),
    "html": text_of,
    "junit": lambda report: "".join(ET.fromstring(report.encode("utf-8")).itertext()),
    "gradescope": gradescope_shows,
    "prairielearn": prairielearn_shows,
}


def test_every_format_is_covered():
    assert set(SHOWS) == set(SHOWN) == set(FORMATS)


@pytest.mark.parametrize("report_format", FORMATS)
def test_student_text_shows_as_written(result, student_text, report_format):
    shown = SHOWS[report_format](render(result, report_format))
    for way in SHOWN[report_format]:
        assert student_text[way] in shown, f"{report_format} does not show the {way} as written"


def test_gradescope_shows_why_a_submission_could_not_be_graded_as_written():
    why = f"several files to grade: {FILE_NAME}, {STUDENT_TEXT}.py"
    assert why in gradescope_shows(render_failure(why))


def test_prairielearn_shows_an_escape_character_instead_of_obeying_it(result):
    """ansi2html would make colours of an ANSI sequence (here: hidden text) and a link of an OSC 8 one,
    whose URL it puts in an href unescaped."""
    sequences = '\x1b[8mhidden \x1b]8;;https://example.com/" onclick="x\x07link\x1b]8;;\x07'
    check = dataclasses.replace(result.checks[0], message=sequences, visibility="visible")
    report = render(dataclasses.replace(result, checks=[check], notes=[sequences]), "prairielearn")
    shown = prairielearn_shows(report)  # no escape character left in any field
    assert sequences.replace("\x1b", "\u241b") in shown


def test_markdown_notes_that_look_like_list_items_show_as_written(result):
    notes = ["- a dash", "+ a plus", "1. backprop.py raised", "2) another"]
    shown = text_of(markdown_html(render(dataclasses.replace(result, notes=notes), "markdown")))
    for note in notes:
        assert note in shown, note


def shown_inert(page):
    """The text of an HTML page, after checking that no student text made an element or an attribute of it,
    and that the page forbids scripts all the same."""
    elements = Elements(page)
    assert not elements.named("script") and not [attrs for _, attrs in elements.tags if "onclick" in attrs]
    [policy] = [
        meta["content"] for meta in elements.named("meta") if meta.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy.startswith("default-src 'none';") and "script-src" not in policy
    return "".join(elements.text)


def test_student_text_with_template_syntax_shows_as_written_in_the_html_report(result):
    failed = dataclasses.replace(result.failed[0], message=TEMPLATE_TEXT)
    result = dataclasses.replace(
        result,
        submission=TEMPLATE_TEXT,
        output=TEMPLATE_TEXT,
        notes=[TEMPLATE_TEXT],
        checks=[failed if check.id == failed.id else check for check in result.checks],
    )
    shown = shown_inert(render(result, "html"))
    assert shown.count(TEMPLATE_TEXT) == 4  # the submission, the check's message, the note, the output


def test_student_ids_and_problems_with_template_syntax_show_as_written_in_the_html_summary():
    ungradable = f"{STUDENT_ID} 2"
    cohort = summary.Cohort(
        total=100.0,
        scores={STUDENT_ID: 50.0},
        problems={ungradable: TEMPLATE_TEXT},
        diagnoses=[("timeout", "A check ran past its time limit", [STUDENT_ID])],
        failed_checks=[],
        diagnosed={STUDENT_ID: ["timeout"]},
        confinement_gaps=(TEMPLATE_TEXT,),
        links={STUDENT_ID: f"reports/{STUDENT_ID}.html", ungradable: f"reports/{ungradable}.json"},
    )
    page = summary.html(cohort)
    shown = shown_inert(page)
    # the tables of diagnoses and of students, the lists of the limits hit and of what could not be graded
    assert shown.count(STUDENT_ID) == 4 and f"{ungradable}: {TEMPLATE_TEXT}" in shown
    assert f"Confinement{TEMPLATE_TEXT}" in shown
    links = {attrs["href"] for tag, attrs in Elements(page).tags if tag == "a"}
    assert links == {summary.quote(path) for path in cohort.links.values()}
