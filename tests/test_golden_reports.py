"""A change that is not meant to change reports leaves every report of the test corpora as it was
recorded (tests/golden.py; `python tests/golden.py` records them again when a change means to)."""

import json

import pytest

import golden

pytestmark = pytest.mark.slow  # every report of every corpus, in every format

RECORDED = json.loads(golden.RECORDED.read_text(encoding="utf-8"))
MUTANTS = golden.mutant_sources()


def test_every_file_of_the_corpora_and_every_mutant_has_recorded_reports():
    assert set(RECORDED) == set(golden.corpus()) | set(MUTANTS)


@pytest.mark.parametrize("name", golden.grouped(golden.corpus()))
def test_a_submission_of_the_corpora_gets_the_reports_recorded(name):
    assert golden.digests(golden.corpus()[name]) == RECORDED[name]


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_mutant_gets_the_reports_recorded(name, tmp_path):
    path = tmp_path / (name.replace("/", "_") + ".py")
    path.write_text(MUTANTS[name], encoding="utf-8")
    assert golden.digests(path) == RECORDED[name]


def test_a_report_that_changes_gets_another_digest(tmp_path):
    path = tmp_path / "backprop.py"
    path.write_text(golden.corpus()["reference/backprop.py"].read_text().replace("2 * (y_est", "-2 * (y_est"))
    assert golden.digests(path) != RECORDED["reference/backprop.py"]
