"""A score cannot be faked: a submission that earns points without the work gets no more than an
honest submission that does the same work.

Each dishonest submission below is built from the hand-out (or the reference) and graded beside its
honest counterpart: the hand-out itself, or the same classes with the faked part done plainly and
wrongly. The attacks: stubs that return nothing, zeros, nan or a value equal to everything; identity
layers with zero gradients and a step that jumps to the answer; a step that walks to the answer
without a gradient; and a child that patches the grader's own modules, whose records are claims the
parent checks against the reference's math.
"""

import re

import pytest

from helpers import TEMPLATE, edit, grade, graded, reference_source, summary, write_submission

pytestmark = pytest.mark.slow  # dishonest submissions, each graded beside its honest counterpart

HAND_OUT = TEMPLATE.read_text(encoding="utf-8")


def stubbed(returned):
    """The hand-out with every method left to fill returning `returned` (its __init__ doing nothing)."""
    source = re.sub(r"(def __init__\(.*\):\n(?:\s*#.*\n)*\s*)raise NotImplementedError", r"\1pass", HAND_OUT)
    return source.replace("raise NotImplementedError", f"return {returned}")


def appended(source, code):
    return source + "\n\n" + code.strip() + "\n"


EQUAL_TO_EVERYTHING = '''
class Anything(float):
    """A number that says it equals whatever it is compared with."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__


class Whatever:
    """Not a number, but equal to everything."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__
'''

# the rubric's run and the student's own loop, as records of runs that went straight to the answer
CONVERGED_RECORDS = """
import grader.loops
import grader.scenario
from grader import wire

STEPS = 5000


def converged_run(losses, ws, bs, raised):
    return {"losses": wire.encode(np.zeros(STEPS)), "ws": wire.encode(np.full(STEPS, 0.5)),
            "bs": wire.encode(np.full(STEPS, 2.0)), "raised": None}


def converged_loop(model, composition, raised, asked=None, returned=None):
    steps = asked or STEPS
    trace = {"x": xx[1 + np.arange(steps) % 99], "lr": np.full(steps, 1e-4), "w": np.full(steps, 0.5),
             "b": np.full(steps, 2.0), "start": np.array([0.5, 2.0])}
    return {"events": "FLBS" * steps, "loss_roles": [["estimate", "target"]], "loss_params": ["y_est", "y_target"],
            "asked": asked, "returns_model": True, "raised": None,
            "trace": {key: wire.encode(value) for key, value in trace.items()}}


grader.scenario.train_record = converged_run
grader.loops.record = converged_loop
"""

# every answer of the child replaced: numbers where numbers are expected, and converged training
EVERY_ANSWER_FORGED = (
    CONVERGED_RECORDS
    + """

def forged(namespace, ops, *args, **kwargs):
    answers = {}
    for op in ops:
        if op["op"] == "train":
            answers[op["key"]] = converged_run(None, None, None, None)
        elif op["op"] == "own_train":
            answers[op["key"]] = converged_loop(None, None, None, op["n_steps"])
        elif op["op"] == "log":
            answers[op["key"]] = {"log": []}
        else:
            answers[op["key"]] = {"value": wire.encode(1.0), "state": {"w": wire.encode(1.0)}}
    return answers


grader.scenario.run = forged
"""
)

# what the child-side grader computes with, patched so that every comparison says "the same"
NUMPY_PATCHED = """
np.array_equal = lambda *args, **kwargs: True
np.allclose = lambda *args, **kwargs: True
np.isfinite = lambda value: np.ones(np.shape(value), dtype=bool)
np.shape = lambda value: ()
"""


def edited(*edits):
    """The reference with source edits (old, new), each of which must apply exactly once."""
    source = reference_source()
    for old, new in edits:
        source = edit(source, old, new)
    return source


def steps_replaced(w_step, b_step):
    """The reference with each layer's step replaced (w and b keep their names)."""
    return edited(("self.w -= learning_rate * self.grad", w_step), ("self.b -= learning_rate * self.grad", b_step))


def gradients_replaced(w_gradient, b_gradient):
    """The reference with the gradient each layer's backward saves replaced."""
    return edited(
        ("self.grad = grad * self.x", f"self.grad = {w_gradient}"),
        ("self.grad = grad  #", f"self.grad = {b_gradient}  #"),
    )


# multiplication_weight and my_exp pass values and gradients through, and every saved gradient is 0
IDENTITY_LAYERS = (
    ("self.x = x\n        return self.w * x", "return x"),
    ("self.grad = grad * self.x", "self.grad = 0.0"),
    ("return grad * self.w", "return grad"),
    ("self.output = np.exp(x)\n        return self.output", "return x"),
    ("return grad * self.output", "return grad"),
    ("self.grad = 2 * (y_est - y_target)", "self.grad = 0.0"),
    ("return (y_est - y_target) ** 2", "return 0.0"),
)


def composition_step_then(code):
    """my_composition.step steps every layer, then runs `code`."""
    return ("            layer.step(learning_rate)\n", f"            layer.step(learning_rate)\n{code}")


JUMP = "        self.layers[0].w, self.layers[1].b = 0.5, 2.0\n"  # the answer, set by the composition
JUMP_IN_THE_HANDOUT_MODEL = "        if isinstance(self.layers[0], multiplication_weight):\n    " + JUMP


# dishonest submission -> its honest counterpart (None: the hand-out)
CASES = {
    "stubs that pass": (stubbed("None"), None),
    "stubs that return 0": (stubbed("0.0"), None),
    "stubs that return nan": (stubbed("float('nan')"), None),
    "stubs that return a number equal to everything": (appended(stubbed("Anything(0.0)"), EQUAL_TO_EVERYTHING), None),
    "stubs that return an object equal to everything": (appended(stubbed("Whatever()"), EQUAL_TO_EVERYTHING), None),
    "the hand-out, with the grader's records of training patched to converged ones": (
        appended(HAND_OUT, CONVERGED_RECORDS),
        None,
    ),
    "the hand-out, with every answer of the child forged": (appended(HAND_OUT, EVERY_ANSWER_FORGED), None),
    "stubs, with the numpy the child-side grader uses patched": (appended(stubbed("0.0"), NUMPY_PATCHED), None),
    # the step walks to the answer without a gradient; honestly: a step that ignores the gradient
    "steps that walk to w = 0.5, b = 2 by a fixed amount": (
        steps_replaced("self.w += 2e-4 * np.sign(0.5 - self.w)", "self.b += 4e-4 * np.sign(2.0 - self.b)"),
        steps_replaced("self.w -= learning_rate", "self.b -= learning_rate"),
    ),
    # w − lr·nan is nan whatever the rule, so a nan gradient shows no rule: honestly, no gradient
    "gradients saved as nan": (gradients_replaced("float('nan')", "float('nan')"), gradients_replaced("0.0", "0.0")),
    # the jump leaves the grader's stand-in layers alone: honestly, the same layers without it
    "identity layers, zero gradients, and a jump to the answer in the hand-out's model only": (
        edited(*IDENTITY_LAYERS, composition_step_then(JUMP_IN_THE_HANDOUT_MODEL)),
        edited(*IDENTITY_LAYERS),
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_a_dishonest_submission_scores_no_more_than_its_honest_counterpart(name, tmp_path):
    dishonest, honest = CASES[name]
    result = grade(write_submission(tmp_path, dishonest))
    assert not result.notes, f"the attack did not load: {result.notes}"
    counterpart = graded(TEMPLATE) if honest is None else grade(write_submission(tmp_path, honest, "honest.py"))
    assert result.score <= counterpart.score, (
        f"{name}: {result.score}, its honest counterpart {counterpart.score}\n{summary(result)}"
    )


def test_identity_layers_with_zero_gradients_and_a_step_that_jumps_to_the_answer_score_little(tmp_path):
    result = grade(write_submission(tmp_path, edited(*IDENTITY_LAYERS, composition_step_then(JUMP))))
    assert result.score <= 15, summary(result)
    for check in (
        "training.convergence",
        "training.own_run",
        "training.protocol",
        "my_composition.step",
        "multiplication_weight.step",
        "multiplication_weight.finite_diff",
        "my_composition.compute_loss.finite_diff",
    ):
        assert next(c for c in result.checks if c.id == check).score == 0, f"{check} kept points\n{summary(result)}"
