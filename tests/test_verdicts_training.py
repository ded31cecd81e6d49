"""Unit tests of the training checks' `verdict` and `same_bug` (grader/homework/checks/training.py) on hand-made
observations: copies of what the reference and the mutants observe, spoiled by hand. The reference runs
in-process (its 5000 steps take milliseconds); no sandbox, no submission file."""

import functools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from grader.check import Finding
from grader.homework.checks.training import OWN, REPLAYED, call_order, loop_steps, replayed
from grader.grading import partial_score
from observations import (
    CHECKS,
    RUBRIC,
    base_context,
    error,
    expected,
    of_mutant,
    reference_runner,
    same_bug,
    verdict,
    with_values,
)

CONVERGENCE, OWN_RUN, PROTOCOL = "training.convergence", "training.own_run", "training.protocol"
TRAINING = RUBRIC.training
PATH_TOLERANCE, TARGET_TOLERANCE = TRAINING["path_tolerance"], TRAINING["tolerance"]
W_PATH, B_PATH = "w after each step", "b after each step"
FEW = settings(max_examples=25, deadline=None)


# the rubric's training run with the student's classes


def shifted(observation, w=0.0, b=0.0, from_step=0):
    """The paths moved by a constant from a step on (steps counted from 0)."""
    moved = with_values(observation, {})
    moved[W_PATH][from_step:] += w
    moved[B_PATH][from_step:] += b
    return moved


def test_a_run_that_stays_within_the_path_tolerance_of_the_reference_s_passes():
    reference = expected(CONVERGENCE)
    assert verdict(CONVERGENCE, shifted(reference, w=0.9 * PATH_TOLERANCE, b=-0.9 * PATH_TOLERANCE)).passed


def test_a_run_that_leaves_the_reference_s_path_fails_naming_the_first_step_off_it():
    reference = expected(CONVERGENCE)
    student = shifted(reference, b=1.1 * PATH_TOLERANCE, from_step=2499)
    result = verdict(CONVERGENCE, student)
    assert not result.passed
    assert result.message == (
        f"the run left the reference's path on the same samples: b after step 2500 is "
        f"{student[B_PATH][2499]:.6g}, the reference's {reference[B_PATH][2499]:.6g}, more than 0.001 apart "
        f"(is step plain SGD, w ← w − lr·∂L/∂w?)"
    )


def test_of_two_paths_left_the_one_left_first_is_named():
    reference = expected(CONVERGENCE)
    student = shifted(shifted(reference, b=0.01, from_step=300), w=0.01, from_step=200)
    assert "w after step 201 is" in verdict(CONVERGENCE, student).message


@FEW
@given(offset=st.floats(-0.9, 0.9), step=st.integers(0, 4999))
def test_any_offset_within_the_path_tolerance_passes_and_any_beyond_it_fails(offset, step):
    reference = expected(CONVERGENCE)
    assert verdict(CONVERGENCE, shifted(reference, w=offset * PATH_TOLERANCE, from_step=step)).passed
    beyond = (1.1 + abs(offset)) * PATH_TOLERANCE * (1 if offset >= 0 else -1)
    assert not verdict(CONVERGENCE, shifted(reference, w=beyond, from_step=step)).passed


def ending_at(w, b):
    """A hand-made run (and reference) whose paths end at (w, b)."""
    paths = with_values(expected(CONVERGENCE), {})
    paths[W_PATH][-1], paths[B_PATH][-1] = w, b
    return paths


@pytest.mark.parametrize("check_id", [CONVERGENCE, OWN_RUN])
def test_a_run_must_end_within_the_rubric_s_tolerance_of_the_target(check_id):
    target = TRAINING["target"]
    inside, outside = 0.99 * TARGET_TOLERANCE, 1.01 * TARGET_TOLERANCE
    for w, b, passes in (
        (target["w"] + inside, target["b"] - inside, True),
        (target["w"] + outside, target["b"], False),
        (target["w"], target["b"] - outside, False),
    ):
        if check_id == CONVERGENCE:
            result = verdict(check_id, ending_at(w, b), ending_at(w, b))  # its own path: only the target judges
        else:
            result = verdict(check_id, with_values(own_run(), dict(zip(list(own_run())[:2], (w, b)))))
        assert result.passed == passes, (w, b, result.message)
        if not passes:
            assert result.message == (
                f"training ended at w = {w:.6g}, b = {b:.6g}; the target is "
                f"w = {target['w']:g}, b = {target['b']:g} within {TARGET_TOLERANCE:g}"
            )


def test_a_run_that_stopped_fails_with_its_error():
    result = verdict(
        CONVERGENCE, {"training run": error("ZeroDivisionError", "float division by zero", function="step")}
    )
    assert not result.passed
    assert result.message == "the training run stopped: an error, ZeroDivisionError: float division by zero (line 7)"


def test_a_run_cut_short_ends_nowhere_and_fails():
    """Paths are padded with nan after a run that stopped before its last step."""
    reference = expected(CONVERGENCE)
    student = with_values(reference, {})
    student[W_PATH][4000:] = np.nan
    student[B_PATH][4000:] = np.nan
    result = verdict(CONVERGENCE, student)
    assert not result.passed and result.message.startswith("training ended at w = nan, b = nan")


def test_a_run_that_jumps_to_the_answer_leaves_the_path_and_fails():
    """The forgery the path exists for: w and b set to the target at once, then left there."""
    reference = expected(CONVERGENCE)
    forged = {W_PATH: np.full(5000, 0.5), B_PATH: np.full(5000, 2.0)}
    result = verdict(CONVERGENCE, forged)
    assert not result.passed and "b after step 1 is 2, the reference's 1.00425" in result.message  # b, then w
    assert verdict(CONVERGENCE, forged, forged).passed  # the target alone would have let it through
    assert reference[W_PATH][0] != 0.5


# the student's own loop: where it ends, and whether the reference lands there too


@functools.cache
def own_records():
    """The records of the reference's own loop, run once (its 5000 steps watched)."""
    return reference_runner().run(CHECKS[OWN_RUN].scenario(base_context()))


def own_run():
    """The reference's own loop as OwnRun observes it (OwnRun judges without the reference's observation)."""
    return CHECKS[OWN_RUN].observe(own_records(), base_context())


def own_steps():
    """The steps of the reference's own loop, as the check reads them from its record (fresh arrays)."""
    return loop_steps(own_records()[OWN])


def test_the_reference_s_own_loop_passes_with_no_reference_to_compare_with():
    observation = own_run()
    assert observation[REPLAYED] == Finding(True)
    assert verdict(OWN_RUN, observation, None).passed


def test_a_loop_that_ends_on_target_but_not_where_its_steps_lead_fails_saying_where_it_left_them():
    detail = "w after step 12 is 0.7, the reference's 1.01, more than 0.001 apart"
    result = verdict(OWN_RUN, with_values(own_run(), {REPLAYED: Finding(False, detail)}), None)
    assert not result.passed and result.message == f"{REPLAYED}: {detail}"


def test_a_loop_off_target_is_told_so_before_how_its_steps_went():
    observation = own_run()
    w_key = list(observation)[0]
    result = verdict(OWN_RUN, with_values(observation, {w_key: 0.9, REPLAYED: Finding(False, "left it")}), None)
    assert not result.passed and result.message.startswith("training ended at w = 0.9")


def test_a_loop_that_raised_fails_with_its_error():
    result = verdict(
        OWN_RUN, {"your training run": error("NameError", "name 'my_fit' is not defined", function="train")}, None
    )
    assert not result.passed and result.message.startswith("the training run stopped: an error, NameError")


def test_the_replay_of_the_reference_s_own_loop_lands_where_its_record_says():
    assert replayed(own_steps(), base_context()) == Finding(True)


@pytest.mark.parametrize(
    "column, step, value, says",
    [
        ("x", 9, 0.123456, "step 10 trained on x = 0.123456, not an x of the exercise's data"),
        ("x", 0, np.nan, "step 1 followed no backward of a forward on one number x"),
        ("lr", 4, 2e-4, "step 5 used the learning rate 0.0002, more than the 0.0001 asked"),
        ("w", 99, None, "w after step 100 is "),
        ("b", 4999, None, "b after step 5000 is "),
    ],
)
def test_a_loop_record_that_its_steps_do_not_explain_fails_the_replay_saying_where(column, step, value, says):
    steps = own_steps()
    steps[column][step] = steps[column][step] + 0.01 if value is None else value
    found = replayed(steps, base_context())
    assert not found.ok and says in found.detail


def test_a_loop_that_took_no_step_fails_the_replay():
    steps = {key: values[:0] for key, values in own_steps().items() if key != "start"}
    steps["start"] = own_steps()["start"]
    assert replayed(steps, base_context()) == Finding(False, "the loop took no step")


# the student's own loop: its protocol, aspect by aspect

ASPECTS = CHECKS[PROTOCOL].aspects


def test_a_loop_passing_estimate_and_target_swapped_fails_that_aspect_alone_and_keeps_the_others_points():
    mutant = of_mutant(PROTOCOL, "loop-loss-args")
    result = verdict(PROTOCOL, mutant)
    assert not result.passed
    assert result.wrong == (ASPECTS["loss_arguments"],)
    assert result.message == f"{ASPECTS['loss_arguments']}: no, estimate and target swapped"
    spec = RUBRIC.checks[PROTOCOL]
    assert partial_score(CHECKS[PROTOCOL], spec, result) == spec.points - spec.aspects["loss_arguments"]


def test_every_wrong_aspect_of_the_protocol_is_listed_on_its_own_line():
    reference = expected(PROTOCOL)
    student = with_values(
        reference,
        {
            ASPECTS["steps"]: Finding(False, "the loop took 199 steps of the 200 asked"),
            ASPECTS["returns"]: Finding(False, "train() should return (my_fit, …)"),
        },
    )
    result = verdict(PROTOCOL, student)
    assert not result.passed and result.wrong == (ASPECTS["steps"], ASPECTS["returns"])
    assert result.message.splitlines() == [
        f"{ASPECTS['steps']}: no: the loop took 199 steps of the 200 asked",
        f"{ASPECTS['returns']}: no: train() should return (my_fit, …)",
    ]
    spec = RUBRIC.checks[PROTOCOL]
    assert (
        partial_score(CHECKS[PROTOCOL], spec, result) == spec.points - spec.aspects["steps"] - spec.aspects["returns"]
    )


def test_a_loop_that_stepped_before_backward_is_loop_order_whatever_step_showed_it():
    """Findings compare by their answer and kind, not their detail: the step that showed it may differ."""
    mutant, reference = of_mutant(PROTOCOL, "loop-order"), expected(PROTOCOL)
    order = ASPECTS["order"]
    assert mutant[order].kind == "steps before backward"
    later = with_values(reference, {order: Finding(False, "step 7 ran forward → step", kind="steps before backward")})
    assert same_bug(PROTOCOL, later, mutant)
    other = with_values(
        reference,
        {order: Finding(False, "step 1 ran compute_loss → forward → backward → step", kind="calls in another order")},
    )
    assert not verdict(PROTOCOL, other).passed
    assert not same_bug(PROTOCOL, other, mutant)
    assert not same_bug(PROTOCOL, reference, mutant)
    assert not same_bug(PROTOCOL, of_mutant(PROTOCOL, "loop-loss-args"), mutant)


@pytest.mark.parametrize(
    "events, answer",
    [
        (["FLB"] * 3, "yes"),
        (["FLB", "FFLB"], "yes"),  # a forward after the last step (to log a prediction) is no wrong order
        (["FLB", "FLBF"], "yes"),  # nor one between backward and step: the gradients are saved by then
        (
            ["FLB", "FLFB"],
            Finding(False, "", kind="calls in another order"),
        ),  # but one between the loss and backward is
        (["FLB", "FL"], Finding(False, "", kind="steps before backward")),
        ([""], Finding(False, "", kind="steps before backward")),
        (["LFB"], Finding(False, "", kind="calls in another order")),
        ([], Finding(False, "the loop never calls step")),
    ],
)
def test_the_order_of_a_loop_s_calls_is_read_step_by_step(events, answer):
    assert call_order(events) == answer


def test_protocol_findings_of_the_same_answer_and_kind_pass_whatever_their_detail():
    reference = expected(PROTOCOL)
    assert reference[ASPECTS["order"]] == "yes"
    assert not verdict(PROTOCOL, with_values(reference, {ASPECTS["order"]: Finding(True)})).passed  # "yes" is a word
