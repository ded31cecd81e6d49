"""The Markdown, HTML and JUnit reports: each shows what the JSON report says, and student strings stay text."""

import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from helpers import (
    REFERENCE,
    SUBMISSIONS,
    TEMPLATE,
    TESTS,
    edit,
    grade,
    graded,
    markdown_html,
    reference_source,
    rubric_data,
    write_rubric,
    write_submission,
)
from grader.render import FORMATS, plots, render
from grader.render import lms_text
from grader.results import Training

TWO_BUGS = SUBMISSIONS / "two_bugs.py"
TARGET = {"w": 0.5, "b": 2.0}
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
    source = edit(
        source,
        "    def step(self, learning_rate):\n        pass\n",
        f"    def step(self, learning_rate):\n        print({SCRIPT!r})\n",
    )
    return write_submission(directory, source)


ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True)


# What a student reads first

STUDENT_VIEWS = {
    "text": lambda report: report,
    "markdown": lambda report: text_of(markdown_html(report)),
    "html": text_of,
}


@pytest.mark.parametrize("report_format", sorted(STUDENT_VIEWS))
def test_a_report_opens_with_the_score_then_what_is_wrong_then_the_checks_then_the_notes(report_format):
    result = dataclasses.replace(graded(TWO_BUGS), notes=["a note, read after the checks"])
    shown = STUDENT_VIEWS[report_format](render(result, report_format))
    in_order = [
        f"{result.score:g} / {result.max_score:g}",
        "What is wrong, and where",
        result.diagnoses[0].title,
        result.checks[0].name,
        "a note, read after the checks",
    ]
    assert [shown.index(text) for text in in_order] == sorted(shown.index(text) for text in in_order), in_order


def test_the_lms_summary_opens_with_the_score_then_what_is_wrong_then_the_notes():
    """The LMS shows the checks itself (its tests), after the summary."""
    result = dataclasses.replace(graded(TWO_BUGS), notes=["a note, read after what is wrong"])
    shown = lms_text.summary(result)
    assert shown.startswith(f"Score: {result.score:g} / {result.max_score:g}")
    assert (
        shown.index("What is wrong, and where")
        < shown.index(result.diagnoses[0].title)
        < shown.index("a note, read after what is wrong")
    )


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


# JSON


@pytest.mark.parametrize("path", [REFERENCE, TEMPLATE, TWO_BUGS], ids=lambda p: p.stem)
def test_the_json_report_is_what_json_dumps_writes(path):
    result = graded(path)
    assert render(result, "json") == json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=100, deadline=None)
@given(st.lists(ANY_FLOAT, max_size=30), st.text(max_size=30))
def test_the_json_report_of_any_losses_is_what_json_dumps_writes(losses, message):
    """Whatever the losses and the messages hold (a message naming "losses", say)."""
    result = graded(TWO_BUGS)
    result = dataclasses.replace(
        result, training=Training(w=1.0, b=math.nan, losses=losses, target=TARGET), notes=[f'"losses": [] {message}']
    )
    assert render(result, "json") == json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


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
        "tests": len(checks),
        "failures": counts["failed"],
        "errors": counts["error"],
        "skipped": counts["skipped"],
    }
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
    figures = page.named("svg")
    assert len(figures) == 2 and all(f["role"] == "img" and f["aria-label"] for f in figures)
    assert not page.named("img") and not page.named("script")
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
    assert len(page.named("svg")) == 1  # the reference's run only
    assert "stopped before its first step" in "".join(page.text)
    no_runs = Elements(render(dataclasses.replace(result, training=None, reference_training=None), "html"))
    assert not no_runs.named("svg")


def test_html_is_deterministic():
    result = graded(TWO_BUGS)
    assert render(result, "html") == render(result, "html")


@pytest.mark.filterwarnings("error")  # an overflow warning would mean an axis gave up on the values
@settings(max_examples=200, deadline=None)
@given(st.lists(ANY_FLOAT, min_size=1, max_size=50), st.lists(ANY_FLOAT, max_size=50), st.lists(ANY_FLOAT, max_size=50))
def test_a_run_of_any_numbers_is_drawn_as_well_formed_svg_with_finite_coordinates(losses, ws, bs):
    svg = plots.training_svg(Training(w=1.0, b=1.0, losses=losses, target=TARGET, ws=ws, bs=bs), "a run")
    drawing = ET.fromstring(svg)
    for element in drawing.iter():
        numbers = [v for key, v in element.attrib.items() if key in ("x", "y", "x1", "x2", "y1", "y2", "d")]
        assert not re.search(r"nan|inf", " ".join(numbers)), element.attrib


def drawn_points(svg, panel):
    """(x, y) pixels of the lines of one panel (0: loss, 1: w, 2: b) of a run's SVG, per line."""
    paths = [p.get("d") for p in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}path")]
    per_panel = {0: paths[:2], 1: paths[2:3], 2: paths[3:4]}[panel]
    return [[tuple(map(float, point.split())) for point in re.split(r"[ML]", d) if point.strip()] for d in per_panel]


def test_the_figure_shows_the_runs_values_at_every_pixel_column():
    """The drawn w line: every point is a step's value where the axes put it (to the SVG's tenth of a
    pixel), from end to end with no pixel column left out, from the lowest w to the highest (which
    steps each column keeps: the envelope's test)."""
    ws = np.asarray(graded(REFERENCE).training.ws)
    run = Training(w=ws[-1], b=1.0, losses=[1.0] * len(ws), target=TARGET, ws=list(ws), bs=[1.0] * len(ws))
    svg = plots.training_svg(run, "w")
    x_axis = plots.Axis(0, len(ws) - 1, plots.LEFT, plots.WIDTH - plots.RIGHT, integers=True)
    top = plots.TOP + plots.PANEL_HEIGHT + plots.PANEL_GAP
    y_axis = plots.Axis(*plots.value_limits(np.append(ws, TARGET["w"])), top + plots.PANEL_HEIGHT, top)
    points = np.array(drawn_points(svg, 1)[0])
    step_at = (points[:, 0] - x_axis.start) / (x_axis.end - x_axis.start) * (len(ws) - 1)
    for step, y in zip(step_at, points[:, 1]):
        near = np.arange(max(int(step) - 1, 0), min(int(step) + 3, len(ws)))
        assert np.min(np.abs(y_axis.pixel(ws[near]) - y)) <= 0.051, (step, y)
    assert np.diff(points[:, 0]).max() <= 2 and points[0, 0] == x_axis.start and points[-1, 0] == x_axis.end
    assert points[:, 1].min() == pytest.approx(y_axis.pixel(ws.max()), abs=0.051)  # up to the highest w
    assert points[:, 1].max() == pytest.approx(y_axis.pixel(ws.min()), abs=0.051)


@settings(max_examples=200, deadline=None)
@given(st.lists(ANY_FLOAT, min_size=1, max_size=400), st.integers(1, 60))
def test_the_envelope_keeps_each_columns_lowest_and_highest_finite_values(values, columns):
    values = np.asarray(values)
    kept = plots.envelope(values, columns)
    assert list(kept) == sorted(set(kept)) and set(kept) <= set(range(len(values)))
    if len(values) <= 2 * columns:
        assert len(kept) == len(values)
        return
    assert {0, len(values) - 1} <= set(kept)
    column = np.arange(len(values)) * columns // len(values)
    for c in range(columns):
        steps = np.flatnonzero(column == c)
        finite = steps[np.isfinite(values[steps])]
        if len(finite):
            assert values[finite].min() in values[kept] and values[finite].max() in values[kept]


def test_a_line_breaks_where_its_values_are_not_finite():
    values = np.array([1.0, 2.0, np.nan, 3.0, 4.0, np.inf, 5.0])
    axis = plots.Axis(0, 6, 0, 600)
    assert plots.line_path(values, axis, plots.Axis(0, 5, 100, 0)).split(" ")[0::2] == [
        "M0.0",
        "L100.0",
        "M300.0",
        "L400.0",
        "M600.0",
    ]


def test_a_check_scored_by_aspect_shows_the_points_it_kept_in_every_format():
    """train() taking 4,999 of 5,000 steps loses the step count's point only, and every report says so."""
    result = graded(TESTS / "offcatalogue" / "bugs" / "train_4999_steps.py")
    protocol = next(c for c in result.checks if c.id == "training.protocol")
    assert 0 < protocol.score < protocol.max_score
    kept = f"{protocol.score:g}/{protocol.max_score:g}"
    for report_format in ("text", "markdown", "html"):
        assert kept in render(result, report_format), report_format
    assert f"(failed, {kept})" in render(result, "text")


def test_every_format_shows_the_rubrics_target_not_the_hand_outs(tmp_path):
    data = rubric_data()
    data["training"]["target"] = {"w": 0.7, "b": 1.5}
    for spec in data["checks"].values():  # the rubric's own words, which a course edits with its target
        for key in ("name", "feedback"):
            spec[key] = spec[key].replace("0.5", "0.7").replace("b ≈ 2", "b ≈ 1.5").replace("b = 2", "b = 1.5")
    result = grade(REFERENCE, write_rubric(tmp_path, data))
    assert result.training.target == {"w": 0.7, "b": 1.5}
    reports = {fmt: render(result, fmt) for fmt in FORMATS}
    for fmt in ("text", "markdown", "html"):
        assert "target w = 0.7, b = 1.5" in reports[fmt], fmt
    assert "w: ends at" in reports["html"] and "target 0.7 (dashed)" in reports["html"]
    assert "target 1.5 (dashed)" in reports["html"]
    for fmt, report in reports.items():  # the convergence check fails here: its message names the target too
        assert "the target is w = 0.7, b = 1.5" in report, fmt
        assert not re.search(r"target[^\n]{0,12}\b0\.5\b|\bb ≈ 2\b|target 2\b", report), fmt


def test_a_warning_for_the_callers_line_names_the_students_loop_not_the_grader(tmp_path):
    source = edit(
        reference_source(),
        "    def step(self, learning_rate):\n        for layer in self.layers:",
        "    def step(self, learning_rate):\n        warnings.warn('stepped', stacklevel=2)\n"
        "        for layer in self.layers:",
    )
    source = "import warnings\n" + source
    path = write_submission(tmp_path, source)
    caller = next(n for n, line in enumerate(source.splitlines(), 1) if "my_fit.step(learning_rate)" in line)
    output = grade(path).output
    assert f"backprop.py:{caller}: UserWarning: stepped" in output
    assert "grader" not in output
