"""The Markdown, HTML and JUnit reports: each shows what the JSON report says, and student strings stay text."""
import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pytest

from conftest import REFERENCE, SUBMISSIONS, TEMPLATE, TESTS, edit, grade, graded, markdown_html, reference_source, \
    write_submission
from grader.render import plots, render
from grader.render import lms_text
from grader.results import Training

TWO_BUGS = SUBMISSIONS / "two_bugs.py"
SCRIPT = "<script>alert(1)</script>"
JUNIT_STATUS = {"failure": "failed", "error": "error", "skipped": "skipped"}


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and its text, as html.parser reads them."""

    def __init__(self, page):
        super().__init__()
        self.tags, self.text = [], []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def named(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


def text_of(page):
    """The text a browser shows of an HTML page or fragment: tags gone, entities decoded."""
    return "".join(Elements(page).text)


def script_submission(directory):
    """The reference, but my_exp.forward returns a <script> string and my_exp.step prints one."""
    source = edit(reference_source(), "        return self.output\n", f"        return {SCRIPT!r}\n")
    source = edit(source, "    def step(self, learning_rate):\n        pass\n",
                  f"    def step(self, learning_rate):\n        print({SCRIPT!r})\n")
    return write_submission(directory, source)


# What a student reads first

STUDENT_VIEWS = {"text": lambda report: report, "markdown": lambda report: text_of(markdown_html(report)),
                 "html": text_of}


@pytest.mark.parametrize("report_format", sorted(STUDENT_VIEWS))
def test_a_report_opens_with_the_score_then_what_is_wrong_then_the_checks_then_the_notes(report_format):
    result = dataclasses.replace(graded(TWO_BUGS), notes=["a note, read after the checks"])
    shown = STUDENT_VIEWS[report_format](render(result, report_format))
    in_order = [f"{result.score:g} / {result.max_score:g}", "What is wrong, and where", result.diagnoses[0].title,
                result.checks[0].name, "a note, read after the checks"]
    assert [shown.index(text) for text in in_order] == sorted(shown.index(text) for text in in_order), in_order


def test_the_lms_summary_opens_with_the_score_then_what_is_wrong_then_the_notes():
    """The LMS shows the checks itself (its tests), after the summary."""
    result = dataclasses.replace(graded(TWO_BUGS), notes=["a note, read after what is wrong"])
    shown = lms_text.summary(result)
    assert shown.startswith(f"Score: {result.score:g} / {result.max_score:g}")
    assert shown.index("What is wrong, and where") < shown.index(result.diagnoses[0].title) \
        < shown.index("a note, read after what is wrong")


# Markdown

def test_markdown_has_score_and_every_diagnosis():
    result = graded(TWO_BUGS)
    report = render(result, "markdown")
    assert f"Score: {result.score:g} / {result.max_score:g}" in report
    assert len(result.diagnoses) >= 2
    for d in result.diagnoses:
        assert f"`{d.id}`" in report
        assert f"`{d.where}`" in report
    for check in result.checks:
        assert f"`{check.id}`" in report


# JUnit

def junit_statuses(suite):
    """passed / failed / error / skipped of each test case, read from the XML alone."""
    statuses = {}
    for case in suite.iter("testcase"):
        outcomes = [JUNIT_STATUS[child.tag] for child in case if child.tag in JUNIT_STATUS]
        assert len(outcomes) <= 1, ET.tostring(case, encoding="unicode")
        statuses[case.get("name")] = outcomes[0] if outcomes else "passed"
    return statuses


@pytest.mark.parametrize("path", [REFERENCE, TWO_BUGS, TEMPLATE], ids=lambda p: p.stem)
def test_junit_counts_equal_the_json_statuses(path):
    result = graded(path)
    checks = json.loads(render(result, "json"))["checks"]
    suite = ET.fromstring(render(result, "junit"))
    assert suite.tag == "testsuite" and suite.get("name") == "backprop"
    assert junit_statuses(suite) == {c["id"]: c["status"] for c in checks}
    counts = Counter(c["status"] for c in checks)
    assert {key: int(suite.get(key)) for key in ("tests", "failures", "errors", "skipped")} == {
        "tests": len(checks), "failures": counts["failed"], "errors": counts["error"], "skipped": counts["skipped"]}
    assert all(case.get("classname") == case.get("name").split(".")[0] for case in suite.iter("testcase"))


def test_junit_failure_message_names_the_diagnoses():
    result = graded(TWO_BUGS)
    suite = ET.fromstring(render(result, "junit"))
    titles = {d.id: d.title for d in result.diagnoses}
    for check in (c for c in result.checks if c.status == "failed"):
        message = suite.find(f"testcase[@name='{check.id}']/failure").get("message")
        for diagnosis_id in check.diagnoses:
            assert diagnosis_id in message and titles[diagnosis_id] in message


def test_junit_declaration_and_student_control_characters():
    result = dataclasses.replace(graded(TWO_BUGS), output="\x1b[31mred\x00 <b>&")
    report = render(result, "junit")
    assert report.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "red" in ET.fromstring(report.encode("utf-8")).find("system-out").text


# HTML

def test_html_is_self_contained_with_plots():
    result = graded(TWO_BUGS)
    page = Elements(render(result, "html"))
    links = [attrs.get(key) for _, attrs in page.tags for key in ("src", "href") if attrs.get(key)]
    assert not [link for link in links if re.match(r"\s*(https?:)?//", link)], links
    images = page.named("img")
    assert len(images) >= 2
    assert all(img["src"].startswith("data:image/png;base64,") and img.get("alt") for img in images)
    assert not page.named("script")
    text = "".join(page.text)
    assert f"{result.score:g} / {result.max_score:g}" in text
    for d in result.diagnoses:
        assert d.id in text and d.where in text and d.hint in text


def test_html_escapes_student_strings(tmp_path):
    result = grade(script_submission(tmp_path))
    assert SCRIPT in result.output and any(SCRIPT in c.message for c in result.checks)
    report = render(result, "html")
    assert SCRIPT not in report
    page = Elements(report)
    assert not page.named("script")
    assert SCRIPT in "".join(page.text)  # shown as text, in the messages and in the output


def test_html_says_in_words_when_a_run_has_nothing_to_plot():
    result = graded(TEMPLATE)
    assert result.training is not None and not result.training.losses
    page = Elements(render(result, "html"))
    assert len(page.named("img")) == 1  # the reference's run only
    assert "stopped before its first step" in "".join(page.text)
    no_runs = Elements(render(dataclasses.replace(result, training=None, reference_training=None), "html"))
    assert not no_runs.named("img")


def test_html_is_deterministic():
    result = graded(TWO_BUGS)
    assert render(result, "html") == render(result, "html")


@pytest.mark.filterwarnings("error")  # an overflow warning would mean an axis gave up on the values
def test_plots_of_a_diverged_run():
    diverged = Training(w=math.inf, b=math.nan, losses=[1.0, 1e300, math.inf, math.nan],
                        ws=[1.0, 1e300, math.inf, math.nan], bs=[1.0, -1e300, math.nan, math.nan])
    assert plots.training_png(diverged, "diverged").startswith(b"\x89PNG")
    assert plots.training_png(Training(w=1.0, b=1.0, losses=[0.0, 0.0]), "no trajectory").startswith(b"\x89PNG")


def test_a_run_drawn_after_others_looks_as_if_drawn_first():
    """The figure is reused from one report to the next: nothing of a run may stay in the next one's
    picture (limits, a missing-trajectory note, titles)."""
    converging = graded(REFERENCE).training
    diverged = Training(w=math.inf, b=1.0, losses=[1.0, 1e300, math.inf, math.nan], ws=[1.0, 1e300, math.inf, math.nan],
                        bs=[1.0, 2.0, 3.0, 4.0])
    not_recorded = Training(w=1.0, b=1.0, losses=[0.0, 0.0])
    runs = {"converging": converging, "diverged": diverged, "not recorded": not_recorded}
    for name, run in runs.items():
        first = plots.TrainingFigure().png(run, "a run")
        for other in runs.values():
            reused = plots.TrainingFigure()
            reused.png(other, "another run")
            assert reused.png(run, "a run") == first, f"the {name} run's picture depends on the run drawn before"


def test_a_check_scored_by_aspect_shows_the_points_it_kept_in_every_format():
    """train() taking 4,999 of 5,000 steps loses the step count's point only, and every report says so."""
    result = graded(TESTS / "offcatalogue" / "bugs" / "train_4999_steps.py")
    protocol = next(c for c in result.checks if c.id == "training.protocol")
    assert 0 < protocol.score < protocol.max_score
    kept = f"{protocol.score:g}/{protocol.max_score:g}"
    for report_format in ("text", "markdown", "html"):
        assert kept in render(result, report_format), report_format
    assert f"(failed, {kept})" in render(result, "text")
