"""The report as JUnit XML, for CI systems that show test results: one test case per check.

A failed check's message names its diagnoses, so the CI's one-line summary says what is wrong;
the check's own message (the inputs that showed it) is the failure's text. The score, which JUnit
has no place for, goes in the suite's properties. No time attributes: the same submission must
give the same report (principle 5).
"""

import re
import xml.etree.ElementTree as ET

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# The JUnit element for each status that is not a pass; XML-wise, a pass is a test case with no child.
OUTCOME_ELEMENTS = {"failed": "failure", "error": "error", "skipped": "skipped"}
# Characters XML 1.0 cannot hold at all, not even as references; a student's values and prints may.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(result):
    suite = test_suite(result)
    ET.indent(suite)
    # ElementTree writes such characters as they are, so replacing them in its output catches every one.
    return DECLARATION + NOT_XML.sub("\ufffd", ET.tostring(suite, encoding="unicode")) + "\n"


def test_suite(result):
    statuses = [check.status for check in result.checks]
    suite = ET.Element(
        "testsuite",
        {
            "name": result.assignment,
            "tests": str(len(statuses)),
            "failures": str(statuses.count("failed")),
            "errors": str(statuses.count("error")),
            "skipped": str(statuses.count("skipped")),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("submission", result.submission),
        ("score", f"{result.score:g}"),
        ("max_score", f"{result.max_score:g}"),
        ("grader_version", result.grader_version),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    diagnoses = {d.id: d for d in result.diagnoses}
    for check in result.checks:
        suite.append(test_case(check, diagnoses))
    if result.output:
        ET.SubElement(suite, "system-out").text = f"What the submission printed (not graded):\n{result.output}"
    return suite


def test_case(check, diagnoses):
    # The classname groups the checks of one class (or of training) the way CI tools group tests.
    case = ET.Element("testcase", {"classname": check.id.split(".")[0], "name": check.id})
    outcome = OUTCOME_ELEMENTS.get(check.status)
    if outcome:
        element = ET.SubElement(case, outcome, {"message": outcome_message(check, diagnoses)})
        element.text = outcome_text(check, diagnoses)
    return case


def outcome_message(check, diagnoses):
    """The diagnoses' ids and titles, or the first line of the check's message when none was named."""
    named = [f"{d} ({diagnoses[d].title})" if d in diagnoses else d for d in check.diagnoses]
    lines = check.message.splitlines()
    summary = "; ".join(named) or (lines[0] if lines else check.status)
    return f"{check.name} ({check.score:g}/{check.max_score:g}): {summary}"


def outcome_text(check, diagnoses):
    """The check's message, then where each diagnosis points and how to fix it."""
    parts = [check.message]
    for d in (diagnoses[d] for d in check.diagnoses if d in diagnoses):
        where = f"{d.where}: " if d.where else ""
        parts.append(f"{where}{d.title} [{d.id}]\n{d.hint}")
    return "\n\n".join(part for part in parts if part)
