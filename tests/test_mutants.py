"""Every mutant of the catalogue is named by its diagnosis and loses some, not all, points."""
import pytest

from helpers import diagnosis_ids, grade, summary, write_submission
from grader.diagnoses import BEHAVIOURAL
from reference.mutants import MUTANTS

pytestmark = pytest.mark.slow  # every mutant of the catalogue, graded


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_diagnosed(mutant, tmp_path):
    result = grade(write_submission(tmp_path, mutant.source()))
    assert mutant.id in diagnosis_ids(result), summary(result)
    assert 0 < result.score < 100, summary(result)


def test_every_behavioural_diagnosis_has_a_mutant():
    assert sorted(set(BEHAVIOURAL) - {m.id for m in MUTANTS}) == []


def test_every_mutant_id_is_a_behavioural_diagnosis():
    assert [m.name for m in MUTANTS if m.id not in BEHAVIOURAL] == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_edits_apply(mutant, reference_src):
    source = mutant.source()  # raises when an edit does not occur exactly once
    assert source != reference_src
    compile(source, f"<mutant {mutant.name}>", "exec")
