"""Unit tests of the layer checks' `verdict` and `same_bug` (grader/homework/checks/layers.py) on hand-made
observations: copies of what the reference and the mutants observe, spoiled by hand. No sandbox."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

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

LAYERS = ("add_bias", "multiplication_weight", "my_exp")
WITH_PARAMETER = ("add_bias", "multiplication_weight")
VALUE_CHECKS = [f"{layer}.{aspect}" for layer in LAYERS for aspect in ("forward", "backward.input_grad")]
FEW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def nonzero_key(observation):
    return next(key for key in numbers(observation) if observation[key] != 0)


def negated(observation, keys):
    return with_values(observation, {key: -observation[key] for key in keys})


# forward and the returned gradient: values against the reference's


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_a_value_off_by_its_sign_fails_and_the_message_says_what_was_expected_and_what_came(check_id):
    reference = expected(check_id)
    key = nonzero_key(reference)
    result = verdict(check_id, negated(reference, [key]))
    assert not result.passed
    value = float(reference[key])
    assert result.message == f"{key}: expected {value:.6g}, got {-value:.6g}"
    assert result.wrong == (key,)


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_every_wrong_case_is_counted_and_the_first_is_shown(check_id):
    reference = expected(check_id)
    wrong = [key for key in numbers(reference) if reference[key] != 0]
    result = verdict(check_id, negated(reference, wrong))
    assert not result.passed and result.wrong == tuple(wrong)
    assert result.message.startswith(f"{wrong[0]}: expected ")
    assert result.message.endswith(f" (and {len(wrong) - 1} more cases)")


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_values_just_inside_the_rubric_s_tolerance_pass(check_id):
    reference = expected(check_id)
    near = with_values(reference, {key: off_by(reference[key], TOLERANCE, 0.5) for key in numbers(reference)})
    near_below = with_values(reference, {key: off_by(reference[key], TOLERANCE, -0.5) for key in numbers(reference)})
    assert verdict(check_id, near).passed and verdict(check_id, near_below).passed


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_a_value_just_outside_the_rubric_s_tolerance_fails(check_id):
    reference = expected(check_id)
    for key in numbers(reference):
        result = verdict(check_id, with_values(reference, {key: off_by(reference[key], TOLERANCE, 2)}))
        assert not result.passed and result.wrong == (key,), key


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_an_error_where_a_value_was_expected_fails_and_shows_the_error_and_its_line(check_id):
    reference = expected(check_id)
    key = numbers(reference)[0]
    result = verdict(check_id, with_values(reference, {key: error("TypeError", "can't multiply")}))
    assert not result.passed
    assert result.message.startswith(f"{key}: expected ")
    assert result.message.endswith("got an error, TypeError: can't multiply (line 7)")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_a_value_that_is_not_finite_fails(check_id, bad):
    reference = expected(check_id)
    key = numbers(reference)[0]
    result = verdict(check_id, with_values(reference, {key: np.float64(bad)}))
    assert not result.passed and result.message.endswith(f"got {bad}")


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_something_that_is_not_a_number_fails_showing_what_it_was(check_id):
    """A stub that returns None: an Opaque value, never equal to anything."""
    reference = expected(check_id)
    key = numbers(reference)[0]
    result = verdict(check_id, with_values(reference, {key: Opaque("NoneType", "None")}))
    assert not result.passed and result.message.endswith("got None (a NoneType)")


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_a_missing_value_fails_as_nothing(check_id):
    reference = expected(check_id)
    key = numbers(reference)[0]
    student = with_values(reference, {})
    del student[key]
    result = verdict(check_id, student)
    assert not result.passed and result.message.endswith("got nothing")


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
def test_a_one_element_array_stands_for_a_number_but_two_elements_do_not(check_id):
    reference = expected(check_id)
    key = numbers(reference)[0]
    assert verdict(check_id, with_values(reference, {key: np.array([reference[key]])})).passed
    assert not verdict(check_id, with_values(reference, {key: np.array([reference[key]] * 2)})).passed


def test_a_float32_value_is_judged_at_float32_s_precision_and_a_float64_one_at_the_rubric_s():
    check_id = "my_exp.forward"
    reference = expected(check_id)
    key = nonzero_key(reference)
    off = reference[key] * (1 + 1e-5)  # ten times the rubric's rtol; some 80 float32 resolutions
    assert verdict(check_id, with_values(reference, {key: np.float32(off)})).passed
    assert not verdict(check_id, with_values(reference, {key: np.float64(off)})).passed


@pytest.mark.parametrize("check_id", VALUE_CHECKS)
@FEW
@given(st.data())
def test_any_observation_within_the_tolerance_of_the_reference_s_passes(check_id, data):
    reference = expected(check_id)
    moved = {
        key: off_by(reference[key], TOLERANCE, data.draw(st.floats(-0.9, 0.9), label=key)) for key in numbers(reference)
    }
    assert verdict(check_id, with_values(reference, moved)).passed


@pytest.mark.parametrize("check_id", [f"{layer}.backward.input_grad" for layer in LAYERS])
@FEW
@given(factor=st.one_of(st.floats(-10, 1 - 1e-4), st.floats(1 + 1e-4, 10)))
def test_a_returned_gradient_scaled_by_any_factor_outside_the_tolerance_fails(check_id, factor):
    reference = expected(check_id)
    result = verdict(check_id, with_values(reference, {key: factor * reference[key] for key in numbers(reference)}))
    assert not result.passed


# same_bug on values: the mutants' own observations, the reference's, and unrelated wrong ones


@pytest.mark.parametrize(
    "check_id, mutant_name",
    [
        ("multiplication_weight.backward.input_grad", "mul-returns-grad-w"),
        ("my_exp.backward.input_grad", "exp-backward-missing-local-grad"),
    ],
)
def test_a_returned_gradient_is_the_mutant_s_bug_only_where_it_departs_as_the_mutant_does(check_id, mutant_name):
    mutant, reference = of_mutant(check_id, mutant_name), expected(check_id)
    assert same_bug(check_id, mutant, mutant)
    assert same_bug(check_id, with_values(mutant, {key: off_by(mutant[key], TOLERANCE, 0.5) for key in mutant}), mutant)
    assert not same_bug(check_id, reference, mutant)
    assert not same_bug(check_id, negated(reference, numbers(reference)), mutant)  # wrong, but otherwise
    key = numbers(reference)[0]
    assert not same_bug(check_id, with_values(mutant, {key: reference[key]}), mutant)  # right in one case


@pytest.mark.parametrize(
    "check_id", ["add_bias.forward", "add_bias.backward.input_grad", "multiplication_weight.forward", "my_exp.forward"]
)
def test_where_the_catalogue_has_no_mutant_a_hand_made_one_is_shared_by_the_same_values_only(check_id):
    reference = expected(check_id)
    mutant = with_values(reference, {key: 2 * reference[key] + 1 for key in numbers(reference)})
    assert same_bug(check_id, with_values(mutant, {}), mutant)
    assert not same_bug(check_id, reference, mutant)
    assert not same_bug(check_id, negated(reference, numbers(reference)), mutant)


def test_an_error_is_the_mutant_s_when_it_is_the_same_failure_in_the_same_method():
    """missing-cache raises AttributeError on self in backward: a student's AttributeError on self in
    backward is that bug whatever the attribute's name; one in forward, or a TypeError, is not."""
    check_id = "multiplication_weight.backward.input_grad"
    mutant = of_mutant(check_id, "missing-cache")
    raised = mutant[numbers(expected(check_id))[0]]
    assert (raised.type, raised.on_self, raised.function) == ("AttributeError", True, "backward")

    def every_case(failure):
        return {key: failure for key in mutant}

    own_name = error("AttributeError", "no attribute 'inp'", on_self=True, missing="inp")
    assert same_bug(check_id, every_case(own_name), mutant)
    in_forward = error("AttributeError", "no attribute 'inp'", function="forward", on_self=True, missing="inp")
    assert not same_bug(check_id, every_case(in_forward), mutant)
    assert not same_bug(check_id, every_case(error("TypeError", "unsupported operand")), mutant)
    assert not same_bug(check_id, expected(check_id), mutant)


# the saved parameter gradient, judged with how far step moved the parameter by it


def saved_and_moved(check_id):
    reference = expected(check_id)
    return reference, keys_with(reference, "gradient saved for"), keys_with(reference, "how far step")


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_a_saved_gradient_of_the_wrong_sign_passes_when_step_still_descends_with_it(layer):
    """−∂L/∂w saved, and step adding lr times it: the layer as a whole descends the gradient."""
    check_id = f"{layer}.backward.param_grad"
    reference, saved, _ = saved_and_moved(check_id)
    assert verdict(check_id, negated(reference, saved)).passed


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_a_saved_gradient_of_the_wrong_sign_fails_when_step_moves_the_parameter_the_wrong_way(layer):
    check_id = f"{layer}.backward.param_grad"
    reference, saved, moved = saved_and_moved(check_id)
    result = verdict(check_id, negated(reference, saved + moved))
    assert not result.passed
    wrong = [key for key in saved if reference[key] != 0]  # −0 is 0: at x = 0, ∂L/∂w = grad·0 has no sign
    assert result.wrong == tuple(wrong)  # what step did is evidence, never a failure of its own
    assert result.message == (
        f"{wrong[0]}: expected {float(reference[wrong[0]]):.6g}, "
        f"got {-float(reference[wrong[0]]):.6g} (and {len(wrong) - 1} more cases)"
    )


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_a_wrong_move_with_the_right_saved_gradient_is_left_to_the_step_check(layer):
    check_id = f"{layer}.backward.param_grad"
    reference, _, moved = saved_and_moved(check_id)
    assert verdict(check_id, negated(reference, moved)).passed


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_a_saved_gradient_and_its_move_just_inside_the_tolerance_pass_and_just_outside_fail(layer):
    check_id = f"{layer}.backward.param_grad"
    reference, saved, moved = saved_and_moved(check_id)

    def both_off_by(times):
        return with_values(reference, {key: off_by(reference[key], TOLERANCE, times) for key in saved + moved})

    assert verdict(check_id, both_off_by(0.5)).passed
    assert not verdict(check_id, both_off_by(2)).passed


def test_a_gradient_that_accumulates_is_its_mutant_s_bug_when_wrong_as_it_in_most_of_its_symptoms():
    """grad-accumulates is right at each instance's first backward and wrong at its second: a student
    wrong as it is (the saved number and step's move by it) in at least half of those cases, and right in
    the others, has its bug."""
    check_id = "multiplication_weight.backward.param_grad"
    mutant, reference = of_mutant(check_id, "grad-accumulates"), expected(check_id)
    keys = list(reference)
    move_by = dict(zip(keys[::2], keys[1::2]))  # observed in pairs: the saved number, then step's move
    symptoms = [
        key for key in keys_with(reference, "gradient saved for", "second forward") if mutant[key] != reference[key]
    ]
    assert len(symptoms) == 5  # the sixth second use follows a first at x = 0, which saved 0

    def as_the_mutant_in(cases):
        return with_values(reference, {key: mutant[key] for case in cases for key in (case, move_by[case])})

    half = as_the_mutant_in(symptoms[:3])
    assert same_bug(check_id, half, mutant)
    assert not same_bug(check_id, as_the_mutant_in(symptoms[:2]), mutant)
    otherwise = with_values(
        half, {symptoms[0]: 3 * mutant[symptoms[0]], move_by[symptoms[0]]: 3 * mutant[move_by[symptoms[0]]]}
    )
    assert not same_bug(check_id, otherwise, mutant)  # wrong there, but not as the mutant is
    assert not same_bug(check_id, of_mutant(check_id, "mul-grad-w-missing-x"), mutant)


def test_a_mutant_wrong_only_in_how_step_moves_is_shared_by_the_same_moves():
    """step-assign saves the right gradient: its symptoms are the moves, where judged keys are all right."""
    check_id = "add_bias.backward.param_grad"
    mutant, reference = of_mutant(check_id, "step-assign"), expected(check_id)
    moved = keys_with(reference, "how far step")
    assert same_bug(check_id, with_values(reference, {key: mutant[key] for key in moved}), mutant)
    assert not same_bug(check_id, reference, mutant)
    assert not same_bug(check_id, negated(reference, moved), mutant)


# step: the rule it follows with the saved gradient, judged with how far it moved the parameter


@pytest.mark.parametrize("layer, name", [("add_bias", "b"), ("multiplication_weight", "w")])
def test_gradient_ascent_fails_the_step_check_naming_the_rule_expected_and_followed(layer, name):
    check_id = f"{layer}.step"
    result = verdict(check_id, of_mutant(check_id, "step-ascent"))
    assert not result.passed
    rules = keys_with(expected(check_id), "step(0.1) after")
    assert result.message.startswith(f"{rules[0]}: expected {name} − lr·grad, got {name} + lr·grad")
    assert set(result.wrong) == set(rules)


@pytest.mark.parametrize("layer, name", [("add_bias", "b"), ("multiplication_weight", "w")])
def test_a_step_adding_a_saved_gradient_passes_when_it_moves_the_parameter_down_the_gradient(layer, name):
    check_id = f"{layer}.step"
    reference = expected(check_id)
    rules = keys_with(reference, "step(0.1) after")
    assert verdict(check_id, with_values(reference, {key: f"{name} + lr·grad" for key in rules})).passed
    moved = keys_with(reference, "how far step(0.1) moved")
    result = verdict(check_id, with_values(negated(reference, moved), {key: f"{name} + lr·grad" for key in rules}))
    assert not result.passed


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_a_step_that_raises_fails_the_step_check_with_its_error(layer):
    check_id = f"{layer}.step"
    reference = expected(check_id)
    rule, moved = first_key(reference, "step(0.1) after"), first_key(reference, "how far step(0.1) moved")
    failure = error("TypeError", "bad lr", function="step")
    result = verdict(check_id, with_values(reference, {rule: failure, moved: failure}))
    assert not result.passed and result.message.startswith(f"{rule}: expected ")
    assert "got an error, TypeError: bad lr" in result.message


@pytest.mark.parametrize("layer", WITH_PARAMETER)
def test_step_s_bugs_are_told_apart(layer):
    check_id = f"{layer}.step"
    ascent, assign = of_mutant(check_id, "step-ascent"), of_mutant(check_id, "step-assign")
    assert same_bug(check_id, ascent, ascent) and same_bug(check_id, assign, assign)
    assert not same_bug(check_id, ascent, assign) and not same_bug(check_id, assign, ascent)
    assert not same_bug(check_id, expected(check_id), ascent)


# my_exp.step: a layer without parameters


def test_a_step_without_parameters_must_run_and_change_nothing():
    check_id = "my_exp.step"
    reference = expected(check_id)
    ran = first_key(reference, "step(0.1)")
    after = first_key(reference, "after step")
    assert reference[ran] == "ran"
    raised = verdict(
        check_id, with_values(reference, {ran: error("NameError", "name 'w' is not defined", function="step")})
    )
    assert not raised.passed and raised.message.startswith(f"{ran}: expected ran, got an error, NameError")
    moved = verdict(check_id, with_values(reference, {after: off_by(reference[after], TOLERANCE, 2)}))
    assert not moved.passed and moved.wrong == (after,)
    assert verdict(check_id, with_values(reference, {after: off_by(reference[after], TOLERANCE, 0.5)})).passed


def test_a_step_without_parameters_shares_a_hand_made_mutant_s_error_only_when_it_is_the_same_failure():
    check_id = "my_exp.step"
    reference = expected(check_id)
    ran = keys_with(reference, "step(0.1)")
    failure = error("AttributeError", "no attribute 'grad'", function="step", on_self=True, missing="grad")
    mutant = with_values(reference, {key: failure for key in ran})
    other_name = error("AttributeError", "no attribute 'g'", function="step", on_self=True, missing="g")
    assert same_bug(check_id, with_values(reference, {key: other_name for key in ran}), mutant)
    assert not same_bug(check_id, with_values(reference, {key: error("TypeError", "bad") for key in ran}), mutant)
    assert not same_bug(check_id, reference, mutant)


# finite differences: the gradients against the student's own forward, not the reference


def fd_pairs(observation):
    keys = list(observation)
    return list(zip(keys[::2], keys[1::2]))


@pytest.mark.parametrize("layer", LAYERS)
def test_gradients_that_match_the_differences_of_a_wrong_forward_pass_the_finite_difference_check(layer):
    """Independent of the reference: a forward of 3·w·x with backward returning 3·grad·w is consistent."""
    check_id = f"{layer}.finite_diff"
    reference = expected(check_id)
    assert verdict(check_id, {key: 3 * value for key, value in reference.items()}).passed


@pytest.mark.parametrize("layer", LAYERS)
def test_a_gradient_off_by_its_sign_fails_the_finite_difference_check_and_says_by_how_much(layer):
    check_id = f"{layer}.finite_diff"
    reference = expected(check_id)
    gradient, fd = next((g, d) for g, d in fd_pairs(reference) if reference[g] != 0)
    result = verdict(check_id, negated(reference, [gradient]))
    assert not result.passed
    assert result.message == (
        f"{gradient} is {-float(reference[gradient]):.6g}, but the finite difference of your "
        f"forward gives {float(reference[fd]):.6g}"
    )


@pytest.mark.parametrize("layer", LAYERS)
def test_gradients_just_inside_the_finite_difference_tolerance_pass_and_just_outside_fail(layer):
    check_id = f"{layer}.finite_diff"
    reference = expected(check_id)

    def gradients_at(times):
        return with_values(reference, {g: off_by(reference[d], FD_TOLERANCE, times) for g, d in fd_pairs(reference)})

    assert verdict(check_id, gradients_at(0.5)).passed and verdict(check_id, gradients_at(-0.5)).passed
    for gradient, fd in fd_pairs(reference):
        spoiled = with_values(reference, {gradient: off_by(reference[fd], FD_TOLERANCE, 2)})
        assert not verdict(check_id, spoiled).passed, gradient


def test_float32_code_is_judged_by_the_differences_float32_can_resolve():
    """2·resolution^(1/3) of float32 is about 1%: a float32 gradient 0.3% off passes, a float64 one fails."""
    check_id = "my_exp.finite_diff"
    reference = expected(check_id)
    gradient, fd = fd_pairs(reference)[0]
    off = reference[fd] * 1.003
    assert verdict(check_id, with_values(reference, {gradient: np.float32(off)})).passed
    assert not verdict(check_id, with_values(reference, {gradient: np.float64(off)})).passed
    assert not verdict(check_id, with_values(reference, {gradient: np.float32(reference[fd] * 1.05)})).passed


@pytest.mark.parametrize("layer", LAYERS)
def test_an_error_in_a_pair_fails_the_finite_difference_check_with_it(layer):
    check_id = f"{layer}.finite_diff"
    reference = expected(check_id)
    gradient, fd = fd_pairs(reference)[1]
    result = verdict(
        check_id, with_values(reference, {fd: error("OverflowError", "math range error", function="forward")})
    )
    assert not result.passed
    assert result.message == f"{gradient}: an error, OverflowError: math range error (line 7)"


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
def test_a_finite_difference_that_is_not_finite_fails_even_when_the_gradient_is_the_same(bad):
    """nan = nan says nothing about a derivative."""
    check_id = "multiplication_weight.finite_diff"
    reference = expected(check_id)
    gradient, fd = fd_pairs(reference)[0]
    result = verdict(check_id, with_values(reference, {gradient: np.float64(bad), fd: np.float64(bad)}))
    assert not result.passed
    assert (
        result.message == f"{gradient}: no finite difference of your forward can be taken: it gives {bad}, "
        "not a finite number"
    )


@pytest.mark.parametrize("layer, variable", [("add_bias", "x"), ("multiplication_weight", "w"), ("my_exp", "x")])
def test_a_forward_that_ignores_a_variable_fails_since_0_equals_0_shows_nothing(layer, variable):
    """A stub returning 0 everywhere: its gradients are 0 and so are its differences."""
    check_id = f"{layer}.finite_diff"
    reference = expected(check_id)
    prefix = f"grad × finite difference in {variable} "
    flat = {d: np.float64(0.0) for g, d in fd_pairs(reference) if d.startswith(prefix)}
    flat.update({g: np.float64(0.0) for g, d in fd_pairs(reference) if d.startswith(prefix)})
    result = verdict(check_id, with_values(reference, flat))
    assert not result.passed
    assert result.message.startswith(f"the finite differences of your forward in {variable} are 0 in every case")


def test_a_finite_difference_failure_is_the_mutant_s_when_its_gradients_are_the_mutant_s():
    check_id = "multiplication_weight.finite_diff"
    returns_w, missing_x = of_mutant(check_id, "mul-returns-grad-w"), of_mutant(check_id, "mul-grad-w-missing-x")
    assert same_bug(check_id, returns_w, returns_w) and same_bug(check_id, missing_x, missing_x)
    assert not same_bug(check_id, returns_w, missing_x) and not same_bug(check_id, missing_x, returns_w)
    assert not same_bug(check_id, expected(check_id), returns_w)


# arrays: whole arrays against element by element, inputs left alone


@pytest.mark.parametrize("layer", LAYERS)
def test_a_forward_that_changes_its_input_array_fails_saying_what_it_became(layer):
    check_id = f"{layer}.arrays"
    reference = expected(check_id)
    key = first_key(reference, "the input array after forward")
    assert reference[key] == Finding(True, kind="forward")
    result = verdict(
        check_id, with_values(reference, {key: Finding(False, "forward changed it to [1, 2]", kind="forward")})
    )
    assert not result.passed
    assert result.message == f"{key}: expected yes, got no: forward changed it to [1, 2]"


@pytest.mark.parametrize("layer", LAYERS)
def test_results_on_arrays_consistent_with_wrong_elements_still_fail(layer):
    check_id = f"{layer}.arrays"
    reference = expected(check_id)
    elements = keys_with(reference, "backward on each element", "which must be right too")
    result = verdict(check_id, negated(reference, elements))
    assert not result.passed and result.wrong == tuple(elements)
    assert verdict(
        check_id, with_values(reference, {key: off_by(reference[key], TOLERANCE, 0.5) for key in elements})
    ).passed


@pytest.mark.parametrize("layer", LAYERS)
def test_a_whole_array_result_unlike_the_elements_fails(layer):
    check_id = f"{layer}.arrays"
    reference = expected(check_id)
    key = first_key(reference, "forward on an array", "against forward on each element")
    result = verdict(check_id, with_values(reference, {key: Finding(False, "got [1, 1], element by element [1, 2]")}))
    assert not result.passed and result.message == f"{key}: expected yes, got no: got [1, 1], element by element [1, 2]"


@pytest.mark.parametrize("layer", ["multiplication_weight", "my_exp"])
def test_code_for_single_numbers_is_scalar_only_whatever_conversion_fails_and_where(layer):
    """scalar-only's math.exp or float(x) raises TypeError in forward; a student's int(x) in backward
    raises ValueError: the same bug, as long as the element-by-element results are right."""
    check_id = f"{layer}.arrays"
    mutant, reference = of_mutant(check_id, "scalar-only"), expected(check_id)
    assert same_bug(check_id, mutant, mutant)
    backward = keys_with(reference, "backward on an array", "against backward on each element")
    in_backward = with_values(reference, {key: error("ValueError", "only one element") for key in backward})
    assert same_bug(check_id, in_backward, mutant)
    wrong_elements = with_values(
        in_backward, {key: -reference[key] for key in keys_with(reference, "backward on each element", "right too")}
    )
    assert not same_bug(check_id, wrong_elements, mutant)
    other_error = with_values(reference, {key: error("ZeroDivisionError", "division by zero") for key in backward})
    assert not same_bug(check_id, other_error, mutant)
    assert not same_bug(check_id, reference, mutant)


def test_changing_the_input_array_is_the_mutant_s_bug_and_not_a_scalar_only_one():
    check_id = "multiplication_weight.arrays"
    mutates, scalar_only = of_mutant(check_id, "mutates-input"), of_mutant(check_id, "scalar-only")
    assert same_bug(check_id, mutates, mutates)
    assert not same_bug(check_id, mutates, scalar_only) and not same_bug(check_id, scalar_only, mutates)


# two instances used in turn


@pytest.mark.parametrize("layer", ["multiplication_weight", "my_exp"])
def test_two_instances_that_interfere_fail_even_when_each_is_right_alone(layer):
    check_id = f"{layer}.independent_instances"
    reference = expected(check_id)
    key = first_key(reference, "backward of the second of two instances used in turn")
    result = verdict(check_id, with_values(reference, {key: Finding(False, "got 1, element by element 2")}))
    assert not result.passed and result.message == f"{key}: expected yes, got no: got 1, element by element 2"


def test_an_instance_alone_that_saves_a_wrong_gradient_passes_when_its_step_descends():
    check_id = "multiplication_weight.independent_instances"
    reference = expected(check_id)
    saved = keys_with(reference, "the gradient saved for w by backward of the", "instance used alone")
    assert verdict(check_id, negated(reference, saved)).passed
    moved = keys_with(reference, "how far step moved w")
    assert not verdict(check_id, negated(reference, saved + moved)).passed


@pytest.mark.parametrize("layer", ["multiplication_weight", "my_exp"])
def test_any_interference_while_right_alone_is_shared_state(layer):
    """shared-state's symptom is where its instances interfere; a student's may show elsewhere."""
    check_id = f"{layer}.independent_instances"
    mutant, reference = of_mutant(check_id, "shared-state"), expected(check_id)
    shown = [key for key in keys_with(reference, "used in turn") if mutant[key] != reference[key]]
    elsewhere = [key for key in keys_with(reference, "used in turn") if key not in shown]
    assert shown and elsewhere
    interferes = with_values(reference, {elsewhere[0]: Finding(False, "got 3, element by element 2")})
    assert same_bug(check_id, interferes, mutant)
    alone = first_key(reference, "backward of the first instance used alone")
    assert not same_bug(check_id, with_values(interferes, {alone: -reference[alone]}), mutant)
    assert not same_bug(check_id, reference, mutant)


@pytest.mark.parametrize("layer", ["multiplication_weight", "my_exp"])
def test_an_instance_used_alone_is_judged_within_the_rubric_s_tolerance(layer):
    check_id = f"{layer}.independent_instances"
    reference = expected(check_id)
    alone = first_key(reference, "backward of the first instance used alone")
    assert verdict(check_id, with_values(reference, {alone: off_by(reference[alone], TOLERANCE, 0.5)})).passed
    result = verdict(check_id, with_values(reference, {alone: off_by(reference[alone], TOLERANCE, 2)}))
    assert not result.passed and result.wrong == (alone,)
