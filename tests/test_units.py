"""Small pieces: which compute_loss argument is the estimate, values across the process boundary, and
the reference runs kept for replays."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from grader.check import Tolerance, agree
from grader.conventions import loss_order, named_order
from grader.scenario import RecentRuns
from grader.wire import Opaque, Raised, decode, encode


@pytest.mark.parametrize(
    "params, order",
    [
        (("y_est", "y_target"), ("estimate", "target")),
        (("y", "y_est"), ("target", "estimate")),
        (("y_pred", "y_true"), ("estimate", "target")),
        (("y_true", "y_pred"), ("target", "estimate")),
        (("Y_HAT", "Y"), ("estimate", "target")),
        (("a", "b"), ("estimate", "target")),  # nothing to read: the template's order
        ((), ("estimate", "target")),
        (("y_actual", "y_estimated"), ("target", "estimate")),
        (("truth", "guess"), ("target", "estimate")),
        (("prediction", "observed"), ("estimate", "target")),
        (("y_est", "y_pred"), ("estimate", "target")),  # two estimates: the names say nothing, the template decides
    ],
)
def test_loss_order(params, order):
    assert tuple(loss_order(list(params))) == order


@pytest.mark.parametrize("params", [("a", "b"), ("x1", "x2"), ("y_est", "y_pred"), ("y", "t"), ()])
def test_names_that_do_not_say_which_is_the_estimate_give_no_order(params):
    assert named_order(list(params)) is None


def through_the_pipe(value):
    """encode, JSON without nan/inf (what the pipe carries), decode."""
    return decode(json.loads(json.dumps(encode(value), allow_nan=False)))


@pytest.mark.parametrize("value", [0.0, -2.5, 1e300, 5e-324, 3, np.int64(-7)])
def test_numbers_round_trip(value):
    decoded = through_the_pipe(value)
    assert isinstance(decoded, np.float64)
    assert decoded == float(value)


@pytest.mark.parametrize("value", [np.float32(0.25), np.full((2, 3), 1.5, dtype=np.float32)])
def test_float32_keeps_its_precision_across_the_pipe(value):
    """A student computing in float32 is judged at float32's precision, so the parent must know."""
    decoded = through_the_pipe(value)
    assert decoded.dtype == np.float32
    assert np.array_equal(decoded, value)


def test_negative_zero_keeps_its_sign():
    assert math.copysign(1.0, through_the_pipe(-0.0)) == -1.0


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinities_round_trip(value):
    assert through_the_pipe(value) == value


def test_nan_round_trips():
    assert math.isnan(through_the_pipe(float("nan")))


@pytest.mark.parametrize(
    "array",
    [
        np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
        np.array([1.0, np.nan, np.inf, -np.inf]),
        np.arange(4, dtype=np.int32).reshape(4, 1),
        np.zeros((0,)),
        np.array(2.5),
    ],
    ids=["float-2x3", "nonfinite", "int-4x1", "empty", "0-d"],
)
def test_arrays_round_trip(array):
    decoded = through_the_pipe(array)
    assert isinstance(decoded, np.ndarray)
    assert decoded.dtype == np.float64
    assert decoded.shape == array.shape
    assert np.array_equal(decoded, array.astype(np.float64), equal_nan=True)


@pytest.mark.parametrize(
    "value, type_name",
    [
        (1 + 2j, "complex"),
        (np.array([1 + 1j, 2]), "numpy array of dtype complex128"),
        (None, "NoneType"),
        ("hello", "str"),
        (True, "bool"),
        ([1.0, 2.0], "list"),
    ],
)
def test_other_values_are_opaque(value, type_name):
    decoded = through_the_pipe(value)
    assert isinstance(decoded, Opaque)
    assert decoded.type == type_name
    assert decoded.repr == repr(value)


def test_opaque_values_never_compare_equal_not_even_to_themselves():
    """Two Nones (stubs that return nothing) or two objects whose __eq__ always says yes must never
    make a student's observation equal the reference's."""
    hello = through_the_pipe("hello")
    assert hello != through_the_pipe("hello") and not hello == hello  # noqa: SIM201  (== itself, not !=)
    assert through_the_pipe(None) != through_the_pipe(None)
    assert not agree(hello, hello, Tolerance())


def test_long_repr_is_truncated():
    decoded = through_the_pipe("x" * 10_000)
    assert isinstance(decoded, Opaque) and len(decoded.repr) < 1000


def test_raised_round_trips():
    raised = Raised("ZeroDivisionError", "division by zero", 12, False)
    assert through_the_pipe(raised) == raised


@given(st.floats(allow_nan=False, allow_infinity=False) | st.floats(width=64).map(np.float64))
def test_a_double_crosses_as_a_bare_json_number_and_comes_back_with_the_same_bits(value):
    """Most values of an answer are doubles: a JSON number each, not an object, and not a bit lost."""
    sent = json.dumps(encode(value), allow_nan=False)
    if math.isfinite(value):
        assert json.loads(sent) == float(value) and not sent.startswith("{")
    decoded = decode(json.loads(sent))
    assert type(decoded) is np.float64
    assert np.float64(value).tobytes() == decoded.tobytes() or math.isnan(value) and math.isnan(decoded)


@pytest.mark.parametrize("bare", [3, True, "1.0", None, [1.0]], ids=["int", "bool", "string", "null", "list"])
def test_a_bare_json_value_that_is_not_a_double_is_refused(bare):
    """Only a JSON number with a fraction or an exponent (a float to the parser) is a bare double."""
    with pytest.raises(ValueError):
        decode(bare)


def test_unknown_wire_value_is_refused():
    with pytest.raises(ValueError):
        decode({"kind": "pickle", "data": "..."})
    with pytest.raises(ValueError):
        decode({"kind": "num", "number": "1e5"})


@pytest.mark.parametrize(
    "data",
    [["1.5"], [True, 1.0], [[1.0]], [None], [10**400], [1.0, "1e5"], "1.0"],
    ids=["number-as-string", "bool", "nested", "null", "huge-int", "string-after-a-number", "not-a-list"],
)
def test_forged_array_data_is_refused(data):
    """A submission can write on the answer channel itself: only numbers (nan and inf spelled as
    the encoder spells them) make an array, and whatever else is a ValueError the grading handles."""
    with pytest.raises(ValueError):
        decode({"kind": "array", "shape": [1], "data": data})


def test_arrays_cross_the_pipe_packed_with_every_float_as_it_was():
    values = np.array([[0.1, -0.0, np.nan], [np.inf, -np.inf, 5e-324]])
    decoded = through_the_pipe(values)
    assert decoded.shape == (2, 3) and np.array_equal(decoded, values, equal_nan=True)
    assert np.signbit(decoded[0, 1])
    assert through_the_pipe(np.float32([0.1, 2.5])).dtype == np.float32


@pytest.mark.parametrize(
    "packed",
    ["not base64!", "AAAA", 12, "AAAAAAAAAAA="],
    ids=["not-base64", "not-whole-floats", "not-text", "wrong-size-for-the-shape"],
)
def test_forged_packed_arrays_are_refused(packed):
    with pytest.raises(ValueError):
        decode({"kind": "array", "shape": [2], "packed": packed})


def test_recent_runs_are_run_once_and_only_the_last_few_are_kept():
    class Counting:
        runs = 0

        def run(self, ops):
            self.runs += 1
            return {"ran": ops}

    def scenario(n):
        return [{"op": "call", "n": n}]

    counting = Counting()
    recent = RecentRuns(counting, size=2)
    assert recent.run(scenario(1)) == recent.run(scenario(1)) == {"ran": scenario(1)} and counting.runs == 1
    recent.run(scenario(2)), recent.run(scenario(3))  # scenario 1 is the oldest: forgotten
    recent.run(scenario(1))
    assert counting.runs == 4 and len(recent.records) == 2
