"""No correct implementation is ever marked down, whatever the inputs (hypothesis).

The reference and each correct_style_*.py are run in-process (trusted code) on inputs drawn by
hypothesis, and every check except the training runs must pass against the reference's observation.
"""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import reference.backprop
from helpers import CORRECT_STYLES, REFERENCE
from grader import rubric as rubrics
from grader.homework.checks import all_checks
from grader.check import Context
from grader.homework.inputs import Inputs, LayerCase
from grader.scenario import InProcess

pytestmark = pytest.mark.slow  # hypothesis over every check of every correct style

LAYERS = ("add_bias", "multiplication_weight", "my_exp")
PARAMETERS = {"add_bias": True, "multiplication_weight": True, "my_exp": False}
X_RANGE = {"add_bias": 50.0, "multiplication_weight": 50.0, "my_exp": 3.0}


def floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


params = st.one_of(floats(-3, -0.1), floats(0.1, 3))
grads = st.one_of(floats(-3, -0.05), floats(0.05, 3))


def scalar_case(layer):
    return st.builds(
        LayerCase, params if PARAMETERS[layer] else st.none(), floats(-X_RANGE[layer], X_RANGE[layer]), grads
    )


@st.composite
def array_case(draw, layer):
    shape = draw(st.one_of(st.tuples(st.integers(1, 4)), st.just((2, 3))))
    x = draw(hnp.arrays(np.float64, shape, elements=floats(-X_RANGE[layer], X_RANGE[layer])))
    grad = draw(hnp.arrays(np.float64, shape, elements=grads))
    return LayerCase(draw(params) if PARAMETERS[layer] else None, x, grad)


@st.composite
def loss_pair(draw):
    estimate = draw(floats(-50, 50))
    target = draw(floats(-50, 50).filter(lambda t: abs(estimate - t) > 0.01))
    return estimate, target


@st.composite
def inputs(draw):
    return Inputs(
        scalar={layer: draw(st.lists(scalar_case(layer), min_size=1, max_size=4)) for layer in LAYERS},
        array={layer: draw(st.lists(array_case(layer), min_size=1, max_size=3)) for layer in LAYERS},
        pairs={layer: (draw(scalar_case(layer)), draw(scalar_case(layer))) for layer in LAYERS},
        curves=tuple(draw(st.tuples(floats(0.5, 1.5), floats(0.1, 0.5))) for _ in range(4)),
        composition_x=draw(floats(-2, 2)),
        losses=tuple(draw(st.lists(loss_pair(), min_size=1, max_size=4))),
        learning_rate=0.1,
    )


def load(path):
    namespace = {"__name__": "submission", "__file__": str(path)}
    exec(compile(Path(path).read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


RUBRIC = rubrics.load()
CHECKS = {cid: check for cid, check in all_checks().items() if not cid.startswith("training.")}
REFERENCE_RUNNER = InProcess(vars(reference.backprop))
CANDIDATES = [REFERENCE] + CORRECT_STYLES


def test_every_layer_and_composition_check_is_covered():
    assert {cid.split(".")[0] for cid in CHECKS} == {"add_bias", "multiplication_weight", "my_exp", "my_composition"}
    assert len(CANDIDATES) >= 4


@pytest.mark.parametrize("path", CANDIDATES, ids=lambda p: p.name if p != REFERENCE else "reference")
def test_correct_implementations_pass_every_check(path):
    runner = InProcess(load(path))

    @settings(max_examples=25, deadline=None, database=None)
    @given(inputs())
    def passes(generated):
        base = Context.of(RUBRIC, generated, RUBRIC.seed)
        failures = []
        for cid, check in CHECKS.items():
            ctx = base.for_check(RUBRIC.checks[cid])
            ops = check.scenario(ctx)
            expected = check.observe(REFERENCE_RUNNER.run(ops), ctx)
            observed = check.observe(runner.run(ops), ctx)
            verdict = check.verdict(observed, expected, ctx)
            if not verdict.passed:
                failures.append(f"{cid}: {verdict.message}")
        assert failures == []

    passes()


any_float = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=300, deadline=None)
@given(a=any_float, b=any_float, nudge=st.sampled_from([0.0, 1e-12, 1e-7, 1e-5, -1e-7, -1e-5]))
def test_scalars_agree_exactly_when_numpy_allclose_says_so(a, b, nudge):
    """agree() decides scalars without numpy: it must say what np.allclose says, near the
    tolerance's edge too (b nudged from a) and on nan and inf."""
    from grader.check import Tolerance, agree

    tolerance = Tolerance()
    for other in (b, a * (1 + nudge) + nudge * tolerance.atol * 10):
        expected = bool(
            np.allclose(np.array([a]), np.array([other]), rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
        )
        assert agree(a, other, tolerance) == expected, (a, other)
