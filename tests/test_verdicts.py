"""What every check's `verdict` and `same_bug` do, whatever the check: on the reference's own observation
and on the catalogue's mutants, observed in-process (no sandbox). The checks one by one are in
test_verdicts_layers.py, test_verdicts_composition.py and test_verdicts_training.py."""

import pytest

from observations import CHECKS, departures, expected, mutant_names, of_mutant, same_bug, verdict

JUDGED_AGAINST_THE_REFERENCE = [cid for cid, check in CHECKS.items() if check.uses_reference]
NAMING_MUTANTS = [cid for cid in JUDGED_AGAINST_THE_REFERENCE if CHECKS[cid].uses_mutants]


def test_every_check_of_the_grader_is_unit_tested_by_class():
    """The unit tests below name each check class; a new one must get tests of its own."""
    tested = {
        "layers.Forward",
        "layers.InputGrad",
        "layers.ParamGrad",
        "layers.Step",
        "layers.NoStep",
        "layers.FiniteDifferences",
        "layers.Arrays",
        "layers.IndependentInstances",
        "composition.Forward",
        "composition.AnyLength",
        "composition.Backward",
        "composition.Step",
        "composition.LossValue",
        "composition.LossGrad",
        "composition.LossFiniteDifferences",
        "training.Convergence",
        "training.OwnRun",
        "training.Protocol",
    }
    classes = {f"{type(check).__module__.rsplit('.', 1)[1]}.{type(check).__name__}" for check in CHECKS.values()}
    assert classes == tested


@pytest.mark.parametrize("check_id", JUDGED_AGAINST_THE_REFERENCE)
def test_the_reference_s_own_observation_passes_with_no_message(check_id):
    result = verdict(check_id, expected(check_id))
    assert result.passed, result.message
    assert result.message == "" and not result.wrong


@pytest.mark.parametrize("check_id", NAMING_MUTANTS)
def test_a_mutant_that_departs_from_the_reference_is_its_own_bug_and_the_reference_is_not(check_id):
    shown = [name for name in mutant_names() if departures(check_id, of_mutant(check_id, name))]
    for name in shown:
        mutant = of_mutant(check_id, name)
        assert same_bug(check_id, of_mutant(check_id, name), mutant), name
        assert not same_bug(check_id, expected(check_id), mutant), name


@pytest.mark.parametrize("check_id", NAMING_MUTANTS)
def test_a_mutant_that_shows_nothing_on_a_check_is_nobody_s_bug_there(check_id):
    """A mutant that observes what the reference observes has no symptom: no one shares it, not even itself."""
    silent = [name for name in mutant_names() if not departures(check_id, of_mutant(check_id, name))]
    for name in silent:
        assert not same_bug(check_id, of_mutant(check_id, name), of_mutant(check_id, name)), name


@pytest.mark.parametrize("check_id", NAMING_MUTANTS)
def test_no_mutant_s_observation_is_taken_for_the_bug_of_a_mutant_with_another_id(check_id):
    """A diagnosis is a claim: code that has one of the catalogue's bugs is never named with another."""
    observed = {name: of_mutant(check_id, name) for name in mutant_names()}
    shown = {name: mutant for name, mutant in observed.items() if departures(check_id, mutant)}
    confused = [
        (student, named)
        for student, seen in shown.items()
        for named, mutant in shown.items()
        if student.split(" (")[0] != named.split(" (")[0] and same_bug(check_id, seen, mutant)
    ]
    assert not confused
