"""Every mutant of the catalogue is named by its diagnosis and loses some, not all, points."""

import pytest

from helpers import diagnosis_ids, grade, summary, write_submission
from grader import diagnosis
from reference.mutants import MUTANTS

pytestmark = pytest.mark.slow  # every mutant of the catalogue, graded

# DESIGN.md's table of diagnosis ids, and the one the grader adds (README: grad-accumulates)
DESIGN_IDS = (
    "loss-grad-sign",
    "loss-grad-scale",
    "loss-value",
    "mul-grad-w-missing-x",
    "mul-returns-grad-w",
    "exp-backward-missing-local-grad",
    "step-assign",
    "step-ascent",
    "composition-forward-order",
    "composition-backward-order",
    "composition-backward-no-chain",
    "composition-fixed-arity",
    "shared-state",
    "missing-cache",
    "scalar-only",
    "mutates-input",
    "loop-order",
    "loop-loss-args",
    "not-implemented",
    "missing-definition",
    "syntax-error",
    "timeout",
    "memory-limit",
    "crash",
    "grad-accumulates",
)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_diagnosed(mutant, tmp_path):
    result = grade(write_submission(tmp_path, mutant.source()))
    assert mutant.id in diagnosis_ids(result), summary(result)
    assert 0 < result.score < 100, summary(result)


def test_the_grader_names_exactly_the_ids_of_the_design_the_catalogue_holding_one_mutant_for_each_bug():
    assert sorted(diagnosis.diagnosis_ids()) == sorted(DESIGN_IDS)
    assert set(diagnosis.behavioural_ids()) == {m.id for m in MUTANTS}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_edits_apply(mutant, reference_src):
    source = mutant.source()  # raises when an edit does not occur exactly once
    assert source != reference_src
    compile(source, f"<mutant {mutant.name}>", "exec")
