"""Same submission + rubric + seed: same report. Another seed: other inputs, the same bugs named."""

import json

import pytest

from helpers import diagnosis_ids, grade, grade_cli_json, summary, write_submission
from reference.mutants import MUTANTS

pytestmark = pytest.mark.slow  # every grading made twice

BY_NAME = {m.name: m for m in MUTANTS}


def test_grading_twice_gives_the_same_report(tmp_path):
    path = write_submission(tmp_path, BY_NAME["mul-returns-grad-w"].source())
    first, second = grade(path), grade(path)
    assert first.score < 100  # a buggy submission: a report with failures, messages and diagnoses
    assert json.dumps(first.to_dict(), sort_keys=True) == json.dumps(second.to_dict(), sort_keys=True)


def test_grading_twice_through_the_cli_gives_the_same_json(tmp_path):
    path = write_submission(tmp_path, BY_NAME["loop-order"].source())
    first = grade_cli_json(path)[0].stdout
    second = grade_cli_json(path)[0].stdout
    assert json.loads(first)["score"] < 100
    assert first == second


def test_another_seed_through_the_cli_names_the_same_bugs(tmp_path):
    path = write_submission(tmp_path, BY_NAME["exp-backward-missing-local-grad"].source())
    _, default = grade_cli_json(path)
    _, seeded = grade_cli_json(path, "--seed", "7")
    assert seeded["seed"] == 7 and default["seed"] != 7
    assert diagnosis_ids(seeded) == diagnosis_ids(default) == ["exp-backward-missing-local-grad"]
    # the inputs did change: the messages quote them
    assert [c["message"] for c in seeded["checks"]] != [c["message"] for c in default["checks"]]


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_diagnoses_do_not_depend_on_the_seed(mutant, tmp_path):
    path = write_submission(tmp_path, mutant.source())
    default, other = grade(path), grade(path, seed=12345)
    assert other.seed == 12345
    assert sorted(diagnosis_ids(other)) == sorted(diagnosis_ids(default)), summary(other)
    assert mutant.id in diagnosis_ids(other), summary(other)
