"""Submissions nobody on the project wrote, in styles the project's own authors would not use,
each with the outcome a teaching assistant signs (tests/offcatalogue/expected.yaml).

A correct one gets 100/100 and no diagnosis, whatever its style. A buggy one loses points, is
named with exactly the diagnosis ids that describe its code (none when no id does), loses the
points of the checks its bug touches and keeps those of everything else it got right.
"""

from pathlib import Path

import pytest
import yaml

from helpers import TESTS, checks_by_id, diagnosis_ids, graded, summary

pytestmark = pytest.mark.slow  # a corpus of some 140 submissions, each graded

CORPUS = TESTS / "offcatalogue"
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
SUFFIXES = (".py", ".ipynb")
CORRECT = EXPECTED["correct"]
BUGS = EXPECTED["bugs"]


def path_of(entry):
    return CORPUS / entry["file"]


def files_in(folder):
    return {f"{folder}/{p.name}" for p in (CORPUS / folder).iterdir() if p.suffix in SUFFIXES}


def test_every_file_has_an_entry_and_every_entry_a_file():
    listed = [entry["file"] for entry in CORRECT + BUGS]
    assert len(listed) == len(set(listed)), "a file is listed twice in expected.yaml"
    assert {e["file"] for e in CORRECT} == files_in("correct")
    assert {e["file"] for e in BUGS} == files_in("bugs")


def test_the_corpus_is_large_enough_and_has_notebooks():
    assert len(CORRECT) >= 30 and len(BUGS) >= 30
    assert sum(e["file"].endswith(".ipynb") for e in CORRECT) >= 6
    assert sum(e["file"].endswith(".ipynb") for e in BUGS) >= 6


def test_every_bug_says_what_it_must_cost():
    for entry in BUGS:
        assert entry.get("why") and "ids" in entry and entry.get("must_lose"), entry["file"]
        assert not set(entry["must_lose"]) & set(entry.get("must_keep", ())), entry["file"]


@pytest.mark.parametrize("entry", CORRECT, ids=lambda e: Path(e["file"]).name)
def test_correct_submission_gets_full_marks(entry):
    result = graded(path_of(entry))
    assert (result.score, result.max_score) == (100, 100), summary(result)
    assert diagnosis_ids(result) == [], summary(result)


@pytest.mark.parametrize("entry", BUGS, ids=lambda e: Path(e["file"]).name)
def test_bug_is_named_exactly_and_costs_its_checks_and_no_more(entry):
    result = graded(path_of(entry))
    assert result.score < result.max_score, summary(result)
    assert set(diagnosis_ids(result)) == set(entry["ids"]), (
        f"expected diagnoses {sorted(entry['ids'])}, got {sorted(set(diagnosis_ids(result)))}\n{summary(result)}"
    )
    checks = checks_by_id(result)
    unknown = [c for c in entry["must_lose"] + entry.get("must_keep", []) if c not in checks]
    assert not unknown, f"checks not in the report: {unknown}\n{summary(result)}"
    kept = [c for c in entry["must_lose"] if checks[c].score >= checks[c].max_score]
    assert not kept, f"checks that must lose points kept them: {kept}\n{summary(result)}"
    lost = [
        c for c in entry.get("must_keep", []) if checks[c].score != checks[c].max_score or checks[c].status != "passed"
    ]
    assert not lost, f"checks that must keep their points lost them: {lost}\n{summary(result)}"
    if "max_score" in entry:
        assert result.score <= entry["max_score"], summary(result)
