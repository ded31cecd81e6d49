"""Unit tests of the composition checks' `verdict` and `same_bug` (grader/homework/checks/composition.py) on
hand-made observations: copies of what the reference and the mutants observe, spoiled by hand. No sandbox."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from grader.check import Finding
from grader.wire import Opaque
from observations import (
    FD_TOLERANCE,
    TOLERANCE,
    error,
    expected,
    first_key,
    keys_with,
    numbers,
    of_mutant,
    off_by,
    same_bug,
    verdict,
    with_values,
)

FORWARD, ANY_LENGTH, BACKWARD, STEP = (
    "my_composition.forward",
    "my_composition.any_length",
    "my_composition.backward",
    "my_composition.step",
)
LOSS_VALUE, LOSS_GRAD, LOSS_FD = (
    "my_composition.compute_loss.value",
    "my_composition.compute_loss.grad",
    "my_composition.compute_loss.finite_diff",
)
FEW = settings(max_examples=30, deadline=None)


# forward


def test_layers_applied_in_the_wrong_order_fail_forward_saying_in_which_order_they_ran():
    reference = expected(FORWARD)
    order = first_key(reference, "order of the layers' forward calls")
    assert reference[order] == "0, 1, 2"
    result = verdict(FORWARD, with_values(reference, {order: "2, 1, 0"}))
    assert not result.passed and result.message == f"{order}: expected 0, 1, 2, got 2, 1, 0"


def test_forward_s_value_just_inside_the_tolerance_passes_and_just_outside_fails():
    reference = expected(FORWARD)
    value = first_key(reference, "through 3 layers")
    assert verdict(FORWARD, with_values(reference, {value: off_by(reference[value], TOLERANCE, 0.5)})).passed
    result = verdict(FORWARD, with_values(reference, {value: off_by(reference[value], TOLERANCE, 2)}))
    assert not result.passed and result.wrong == (value,)
    assert result.message.startswith(f"{value}: expected {float(reference[value]):.6g}, got ")


def test_a_forward_that_returns_nothing_fails_showing_what_it_returned():
    reference = expected(FORWARD)
    value = first_key(reference, "through 3 layers")
    result = verdict(FORWARD, with_values(reference, {value: Opaque("NoneType", "None")}))
    assert not result.passed and result.message.endswith("got None (a NoneType)")


def test_the_wrong_order_is_the_forward_order_mutant_s_bug_and_a_wrong_value_alone_is_not():
    mutant, reference = of_mutant(FORWARD, "composition-forward-order"), expected(FORWARD)
    assert same_bug(FORWARD, with_values(mutant, {}), mutant)
    value = first_key(reference, "through 3 layers")
    assert not same_bug(FORWARD, with_values(reference, {value: mutant[value]}), mutant)  # the right order
    assert not same_bug(FORWARD, reference, mutant)


# any length


def lengths(observation, ns, value):
    """The observation with every key of stacks of the given lengths set to `value`."""
    return with_values(observation, {key: value for key in observation if any(f" {n} layer" in key for n in ns)})


def test_a_composition_that_fails_for_one_length_fails_any_length_on_that_length_only():
    reference = expected(ANY_LENGTH)
    result = verdict(
        ANY_LENGTH, lengths(reference, [2], error("IndexError", "list index out of range", function="forward"))
    )
    assert not result.passed and all(" 2 layers" in key for key in result.wrong) and len(result.wrong) == 4
    assert result.message.startswith("forward through 2 layers: expected ")
    assert result.message.endswith("got an error, IndexError: list index out of range (line 7) (and 3 more cases)")


def test_a_composition_right_for_three_layers_only_is_fixed_arity_however_it_fails_for_the_others():
    """The hard-wired mutant raises IndexError for 1 and 2 layers and ignores the fourth; a student's
    composition may raise something else, or return nothing, in those same lengths."""
    mutant, reference = of_mutant(ANY_LENGTH, "composition-fixed-arity"), expected(ANY_LENGTH)
    assert same_bug(ANY_LENGTH, mutant, mutant)
    otherwise = lengths(reference, [1, 2, 4], Opaque("NoneType", "None"))
    assert same_bug(ANY_LENGTH, otherwise, mutant)
    assert not same_bug(ANY_LENGTH, lengths(otherwise, [3], Opaque("NoneType", "None")), mutant)  # 3 too
    assert not same_bug(ANY_LENGTH, lengths(reference, [1], Opaque("NoneType", "None")), mutant)  # 1 only
    assert not same_bug(ANY_LENGTH, reference, mutant)


def test_any_length_tells_the_forward_order_mutant_from_the_backward_order_one():
    forward, backward = (
        of_mutant(ANY_LENGTH, "composition-forward-order"),
        of_mutant(ANY_LENGTH, "composition-backward-order"),
    )
    assert not same_bug(ANY_LENGTH, forward, backward) and not same_bug(ANY_LENGTH, backward, forward)


# backward


def test_backward_in_the_wrong_order_fails_saying_in_which_order_it_ran():
    reference = expected(BACKWARD)
    order = first_key(reference, "order of the layers' backward calls")
    assert reference[order] == "2, 1, 0"
    result = verdict(BACKWARD, with_values(reference, {order: "0, 1, 2"}))
    assert not result.passed and result.message == f"{order}: expected 2, 1, 0, got 0, 1, 2"


def test_gradients_handed_back_are_compared_as_arrays_within_the_tolerance():
    reference = expected(BACKWARD)
    handed = first_key(reference, "gradient handed to each layer in turn")
    gradients = reference[handed]
    assert verdict(BACKWARD, with_values(reference, {handed: off_by(gradients, TOLERANCE, 0.5)})).passed
    assert not verdict(BACKWARD, with_values(reference, {handed: off_by(gradients, TOLERANCE, 2)})).passed
    unchained = with_values(reference, {handed: np.ones_like(gradients)})  # each layer given the loss gradient
    result = verdict(BACKWARD, unchained)
    assert not result.passed and result.message.startswith(f"{handed}: expected array of shape (3,) [")
    assert not verdict(BACKWARD, with_values(reference, {handed: gradients[:2]})).passed  # a layer left out


def test_backward_that_does_not_start_from_the_saved_loss_gradient_fails_with_both_numbers():
    reference = expected(BACKWARD)
    start = first_key(reference, "backward starts from the gradient compute_loss saved")
    detail = "it handed the last layer 1, compute_loss saved -6.1764"
    result = verdict(BACKWARD, with_values(reference, {start: Finding(False, detail)}))
    assert not result.passed and result.message == f"{start}: expected yes, got no: {detail}"


def test_backward_s_order_and_chaining_bugs_are_told_apart():
    order, no_chain = (
        of_mutant(BACKWARD, "composition-backward-order"),
        of_mutant(BACKWARD, "composition-backward-no-chain"),
    )
    assert same_bug(BACKWARD, order, order) and same_bug(BACKWARD, no_chain, no_chain)
    assert not same_bug(BACKWARD, order, no_chain) and not same_bug(BACKWARD, no_chain, order)
    assert not same_bug(BACKWARD, expected(BACKWARD), no_chain)


# step


def test_a_step_that_skips_a_layer_fails_naming_the_layers_stepped():
    reference = expected(STEP)
    stepped = first_key(reference, "layers stepped")
    assert reference[stepped] == "0, 1, 2"
    result = verdict(STEP, with_values(reference, {stepped: "0, 1"}))
    assert not result.passed and result.message == f"{stepped}: expected 0, 1, 2, got 0, 1"


def test_a_step_that_passes_another_learning_rate_to_a_layer_fails():
    reference = expected(STEP)
    rates = first_key(reference, "learning rate each layer got")
    assert verdict(STEP, with_values(reference, {rates: off_by(reference[rates], TOLERANCE, 0.5)})).passed
    halved = reference[rates].copy()
    halved[2] /= 2
    result = verdict(STEP, with_values(reference, {rates: halved}))
    assert not result.passed and result.message == (
        f"{rates}: expected array of shape (3,) [0.1, 0.1, 0.1], got array of shape (3,) [0.1 , 0.1 , 0.05]"
    )


def test_a_step_that_sets_a_layer_s_numbers_itself_fails():
    reference = expected(STEP)
    numbers_after = first_key(reference, "each layer's own numbers")
    answer = reference[numbers_after].copy()
    answer[0] = 0.5  # w set to the answer by the composition's step
    assert not verdict(STEP, with_values(reference, {numbers_after: answer})).passed


def test_a_step_that_skips_a_layer_shares_a_hand_made_mutant_s_bug_only_when_it_skips_the_same_one():
    reference = expected(STEP)
    stepped, rates = first_key(reference, "layers stepped"), first_key(reference, "learning rate each layer got")
    mutant = with_values(reference, {stepped: "0, 1", rates: reference[rates][:2]})
    assert same_bug(STEP, with_values(mutant, {}), mutant)
    assert not same_bug(STEP, with_values(reference, {stepped: "1, 2", rates: reference[rates][:2]}), mutant)
    assert not same_bug(STEP, reference, mutant)


# compute_loss: its value


def test_a_loss_that_is_not_squared_fails_with_the_value_expected_and_returned():
    mutant, reference = of_mutant(LOSS_VALUE, "loss-value"), expected(LOSS_VALUE)
    result = verdict(LOSS_VALUE, mutant)
    key = list(reference)[0]
    assert not result.passed
    assert result.message.startswith(f"{key}: expected {float(reference[key]):.6g}, got {float(mutant[key]):.6g}")


def test_a_loss_just_inside_the_tolerance_passes_and_just_outside_fails():
    reference = expected(LOSS_VALUE)
    assert verdict(LOSS_VALUE, {key: off_by(value, TOLERANCE, 0.5) for key, value in reference.items()}).passed
    assert verdict(LOSS_VALUE, {key: off_by(value, TOLERANCE, -0.5) for key, value in reference.items()}).passed
    assert not verdict(LOSS_VALUE, {key: off_by(value, TOLERANCE, 2) for key, value in reference.items()}).passed


@FEW
@given(factor=st.one_of(st.floats(-10, 1 - 1e-4), st.floats(1 + 1e-4, 10)))
def test_any_number_that_is_not_the_squared_error_is_the_loss_value_bug(factor):
    """Halved, not squared, an absolute value: any wrong number shows loss-value, and it fails."""
    mutant, reference = of_mutant(LOSS_VALUE, "loss-value"), expected(LOSS_VALUE)
    wrong = {key: factor * value for key, value in reference.items()}
    assert not verdict(LOSS_VALUE, wrong).passed
    assert same_bug(LOSS_VALUE, wrong, mutant)


def test_a_loss_that_raises_or_is_right_somewhere_is_not_the_loss_value_bug():
    mutant, reference = of_mutant(LOSS_VALUE, "loss-value"), expected(LOSS_VALUE)
    first = list(reference)[0]
    assert not same_bug(
        LOSS_VALUE, {key: error("TypeError", "bad operand", function="compute_loss") for key in reference}, mutant
    )
    assert not same_bug(LOSS_VALUE, with_values(mutant, {first: reference[first]}), mutant)
    assert not same_bug(LOSS_VALUE, reference, mutant)


# compute_loss: the gradient it saves


@pytest.mark.parametrize("factor, mutant_name", [(-1, "loss-grad-sign"), (0.5, "loss-grad-scale")])
def test_a_saved_loss_gradient_off_by_a_sign_or_a_scale_fails_and_is_its_mutant_s_bug(factor, mutant_name):
    mutant, reference = of_mutant(LOSS_GRAD, mutant_name), expected(LOSS_GRAD)
    student = {key: factor * value for key, value in reference.items()}
    key = list(reference)[0]
    result = verdict(LOSS_GRAD, student)
    assert not result.passed and result.wrong == tuple(reference)
    assert result.message.startswith(
        f"{key}: expected {float(reference[key]):.6g}, got {factor * float(reference[key]):.6g}"
    )
    assert same_bug(LOSS_GRAD, student, mutant)
    assert not same_bug(LOSS_GRAD, reference, mutant)
    assert not same_bug(LOSS_GRAD, {key: 3 * value for key, value in reference.items()}, mutant)


def test_the_sign_and_the_scale_of_the_loss_gradient_are_told_apart():
    sign, scale = of_mutant(LOSS_GRAD, "loss-grad-sign"), of_mutant(LOSS_GRAD, "loss-grad-scale")
    assert not same_bug(LOSS_GRAD, sign, scale) and not same_bug(LOSS_GRAD, scale, sign)


def test_a_saved_loss_gradient_just_inside_the_tolerance_passes_and_just_outside_fails():
    reference = expected(LOSS_GRAD)
    assert verdict(LOSS_GRAD, {key: off_by(value, TOLERANCE, 0.5) for key, value in reference.items()}).passed
    assert not verdict(LOSS_GRAD, {key: off_by(value, TOLERANCE, 2) for key, value in reference.items()}).passed


def test_no_saved_loss_gradient_fails_as_nothing():
    reference = expected(LOSS_GRAD)
    result = verdict(LOSS_GRAD, {key: None for key in reference})
    assert not result.passed and result.message.split(" (and")[0].endswith("got nothing")


# compute_loss: its gradient against finite differences of the loss it returns


def loss_pairs(observation):
    keys = list(observation)
    return list(zip(keys[::2], keys[1::2]))


def test_a_loss_gradient_that_matches_the_differences_of_a_wrong_loss_passes_the_finite_difference_check():
    """(ŷ − y)²/2 with ŷ − y saved is consistent: the reference has nothing to say here."""
    reference = expected(LOSS_FD)
    assert verdict(LOSS_FD, {key: value / 2 for key, value in reference.items()}).passed


def test_a_loss_gradient_unlike_the_differences_of_its_loss_fails_with_both_numbers():
    mutant = of_mutant(LOSS_FD, "loss-value")  # the gradient of (ŷ − y)², the loss ŷ − y
    gradient, fd = loss_pairs(mutant)[0]
    result = verdict(LOSS_FD, mutant)
    assert not result.passed
    assert result.message == (
        f"{gradient} is {float(mutant[gradient]):.6g}, but the finite difference of the loss "
        f"you return gives {float(mutant[fd]):.6g}"
    )
    assert same_bug(LOSS_FD, mutant, mutant) and not same_bug(LOSS_FD, expected(LOSS_FD), mutant)
    assert not same_bug(LOSS_FD, of_mutant(LOSS_FD, "loss-grad-sign"), mutant)


def test_a_loss_gradient_just_inside_the_finite_difference_tolerance_passes_and_just_outside_fails():
    reference = expected(LOSS_FD)
    pairs = loss_pairs(reference)
    assert verdict(
        LOSS_FD, with_values(reference, {g: off_by(reference[d], FD_TOLERANCE, 0.5) for g, d in pairs})
    ).passed
    for gradient, fd in pairs:
        assert not verdict(LOSS_FD, with_values(reference, {gradient: off_by(reference[fd], FD_TOLERANCE, 2)})).passed


def test_a_loss_that_does_not_depend_on_the_estimate_fails_the_finite_difference_check():
    reference = expected(LOSS_FD)
    flat = {key: np.float64(0.0) for key in reference}
    result = verdict(LOSS_FD, flat)
    assert not result.passed
    assert result.message.startswith(
        "the finite differences of the loss you return in the estimate are 0 in every case"
    )


@pytest.mark.parametrize(
    "bad", [math.nan, error("TypeError", "bad operand", function="compute_loss")], ids=["nan", "error"]
)
def test_a_loss_with_no_finite_difference_fails_saying_why(bad):
    reference = expected(LOSS_FD)
    gradient, fd = loss_pairs(reference)[0]
    result = verdict(LOSS_FD, with_values(reference, {fd: bad}))
    assert not result.passed and result.message.startswith(f"{gradient}: ")
    assert ("no finite difference" in result.message) == (bad is math.nan)


def test_every_loss_key_is_a_number_in_the_reference_s_observation():
    """The tests above spoil numbers: the reference's observations of compute_loss are all numbers."""
    for check_id in (LOSS_VALUE, LOSS_GRAD, LOSS_FD):
        assert numbers(expected(check_id)) == list(expected(check_id))
    assert keys_with(expected(LOSS_FD), "finite difference of the loss returned by")
