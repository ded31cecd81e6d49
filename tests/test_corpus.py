"""The corpus of sample submissions: each gets the report it must get, pointing at the right line."""

import pytest

from helpers import (
    CORRECT_STYLES,
    SUBMISSIONS,
    assert_full_points,
    checks_by_id,
    checks_starting,
    definition_line,
    diagnosis,
    diagnosis_ids,
    edit,
    grade,
    graded,
    line_containing,
    reference_source,
    rubric_data,
    summary,
    write_submission,
)

# submission -> {diagnosis id: where it must point: the definition of a method or function that
# computes a wrong value, or ("raised", text) the line that raised, when the bug shows as an error}
NAMED = {
    "forum_loss_grad_sign.py": {"loss-grad-sign": "my_composition.compute_loss"},
    # saves grad as the weight's gradient and returns grad·x: both bugs at once
    "forum_mul_grad_w_missing_x.py": {
        "mul-grad-w-missing-x": "multiplication_weight.backward",
        "mul-returns-grad-w": "multiplication_weight.backward",
    },
    "forum_mul_returns_grad_w.py": {"mul-returns-grad-w": "multiplication_weight.backward"},
    "two_bugs.py": {"step-ascent": "multiplication_weight.step", "exp-backward-missing-local-grad": "my_exp.backward"},
    # my_composition.any_length runs first and fails with an IndexError on the hard-wired line
    "composition_fixed_arity.py": {"composition-fixed-arity": ("raised", "return self.layers[2].forward(")},
    "loop_order.py": {"loop-order": "train"},
}
CASES = [
    (name, diagnosis_id, definition) for name, named in NAMED.items() for diagnosis_id, definition in named.items()
]


def test_correct_styles_exist():
    assert len(CORRECT_STYLES) >= 3


@pytest.mark.parametrize("name, diagnosis_id, definition", CASES, ids=[f"{n}-{d}" for n, d, _ in CASES])
def test_bug_is_named(name, diagnosis_id, definition):
    result = graded(SUBMISSIONS / name)
    assert diagnosis_id in diagnosis_ids(result), summary(result)
    assert 0 < result.score < 100, summary(result)


@pytest.mark.parametrize("name, diagnosis_id, definition", CASES, ids=[f"{n}-{d}" for n, d, _ in CASES])
def test_where_points_at_the_definition(name, diagnosis_id, definition):
    path = SUBMISSIONS / name
    result = graded(path)
    found = diagnosis(result, diagnosis_id)
    if isinstance(definition, tuple):
        line = line_containing(path.read_text(encoding="utf-8"), definition[1])
    else:
        line = definition_line(path, definition)
    assert found.where == f"{name}:{line}", summary(result)


@pytest.mark.parametrize("path", CORRECT_STYLES, ids=lambda p: p.name)
def test_correct_style_gets_full_marks(path):
    result = graded(path)
    assert (result.score, result.max_score) == (100, 100), summary(result)
    assert diagnosis_ids(result) == [], summary(result)
    assert_full_points(result.checks)


def test_two_bugs_keeps_points_for_what_is_right():
    result = graded(SUBMISSIONS / "two_bugs.py")
    keep = checks_starting(
        result, "my_composition.", "multiplication_weight.forward", "multiplication_weight.backward."
    )
    assert {
        "my_composition.compute_loss.value",
        "my_composition.compute_loss.grad",
        "my_composition.compute_loss.finite_diff",
        "multiplication_weight.backward.input_grad",
        "multiplication_weight.backward.param_grad",
    } <= {c.id for c in keep}
    assert_full_points(keep)
    checks = checks_by_id(result)
    assert checks["multiplication_weight.step"].score == 0
    assert "step-ascent" in checks["multiplication_weight.step"].diagnoses
    assert checks["my_exp.backward.input_grad"].score == 0
    assert "exp-backward-missing-local-grad" in checks["my_exp.backward.input_grad"].diagnoses


def test_loop_order_keeps_the_points_of_its_correct_layers():
    """loop_order.py's layers are right (they only start with grad = 0 so that its loop can step
    first): only the checks of its own training loop may cost points."""
    result = graded(SUBMISSIONS / "loop_order.py")
    assert_full_points([c for c in result.checks if not c.id.startswith("training.")])
    protocol = rubric_data()["checks"]["training.protocol"]
    assert checks_by_id(result)["training.protocol"].score == protocol["points"] - protocol["aspects"]["order"]


def test_forum_loss_grad_sign_keeps_its_layer_points():
    result = graded(SUBMISSIONS / "forum_loss_grad_sign.py")
    assert_full_points(checks_starting(result, "add_bias.", "multiplication_weight.", "my_exp."))
    assert "loss-grad-sign" in checks_by_id(result)["my_composition.compute_loss.grad"].diagnoses


def test_gradient_initialised_in_init_is_not_marked_down(tmp_path):
    """Starting the saved gradient at 0 in __init__ (as loop_order.py does) is still a correct layer."""
    source = edit(reference_source(), "self.w = w\n", "self.w = w\n        self.grad = 0.0\n")
    result = grade(write_submission(tmp_path, source))
    assert result.score == 100, summary(result)
    assert diagnosis_ids(result) == [], summary(result)
