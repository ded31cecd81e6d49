"""Every report of the test corpora, recorded: a refactoring must leave each format of each report
as it was (the grader's version aside). `python tests/golden.py` records them again, after a change
meant to change reports; the test is tests/test_golden_reports.py.

A report is kept as a digest of its text with what differs between runs and machines written out:
the version line, the time it took, the submission's folder, the checkout's folder and the temporary
folder a submission is copied to."""

import dataclasses
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
RECORDED = TESTS / "golden" / "reports.json"
CORPORA = {
    "submissions": (".py",),
    "notebooks": (".ipynb",),  # notebooks/make.py builds them: no submission
    "offcatalogue/correct": (".py", ".ipynb"),
    "offcatalogue/bugs": (".py", ".ipynb"),
}
UNSTABLE = {  # entries whose reports change from run to run, by the student's own doing
    "tests/offcatalogue/correct/progress_bar_cr.ipynb": "prints how long its training took",
}
TEMPORARY = re.compile(r"/tmp/[\w.-]*submission[\w.-]*")


def corpus():
    """{entry name: path} of every file the golden reports cover (the mutants come from their catalogue)."""
    entries = {
        "reference/backprop.py": ROOT / "reference" / "backprop.py",
        "student_template/backprop.py": ROOT / "student_template" / "backprop.py",
        "student_template/backprop.ipynb": ROOT / "student_template" / "backprop.ipynb",
    }
    for folder, suffixes in CORPORA.items():
        entries.update(
            {f"tests/{folder}/{p.name}": p for p in sorted((TESTS / folder).iterdir()) if p.suffix in suffixes}
        )
    return {name: path for name, path in entries.items() if name not in UNSTABLE}


def grouped(entries):
    """The entries as test parameters, each in a group of its own name: the tests of one entry (its
    reports here, the hand-out's verdicts in test_handout.py) run in one worker, which grades it once."""
    import pytest

    return [pytest.param(name, marks=pytest.mark.xdist_group(name)) for name in sorted(entries)]


def mutant_sources():
    from reference.mutants import MUTANTS

    return {f"mutant/{m.name}": m.source() for m in MUTANTS}


def digests(path):
    """{format: digest} of the reports of one submission, graded with the default rubric and seed."""
    from grader.render import FORMATS, render
    from helpers import graded

    result = dataclasses.replace(graded(path), seconds=0.0)  # the time it took: not a verdict
    return {fmt: digest(render(result, fmt), result.grader_version, path.parent) for fmt in FORMATS}


def digest(report, version, folder):
    report = report.replace(str(folder), "<folder>").replace(str(ROOT), "<checkout>").replace(version, "<version>")
    return hashlib.sha256(TEMPORARY.sub("<submission>", report).encode()).hexdigest()[:20]


def record(directory):
    reports = {name: digests(path) for name, path in corpus().items()}
    for name, source in mutant_sources().items():
        path = Path(directory) / (name.replace("/", "_") + ".py")
        path.write_text(source, encoding="utf-8")
        reports[name] = digests(path)
    RECORDED.write_text(json.dumps(reports, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return len(reports)


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as scratch:
        print(f"recorded the reports of {record(scratch)} submissions in {RECORDED.relative_to(ROOT)}")
