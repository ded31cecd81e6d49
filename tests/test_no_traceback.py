"""No student value crashes the grader: whatever the child sends back, every check observes it,
judges it and compares it with the mutants, or says it could not; a report, never a traceback.

The parent only ever sees what the child sends: JSON made of wire values. Hypothesis replaces the
values of real records (the reference's, for each check's own scenario) with any wire value:
numbers with nan and inf, arrays of any shape, opaque objects, errors, garbage.
"""

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import reference.backprop
from helpers import diagnosis_ids, grade, run_cli, summary, write_submission
from grader import rubric as rubrics, wire
from grader.homework.checks import all_checks
from grader.grading import UNREADABLE, Grader
from grader.scenario import InProcess

pytestmark = pytest.mark.slow  # hypothesis: any answer of the child, for every check

GRADER = Grader(rubrics.load())
PLANS = {plan.spec.id: plan for plan in GRADER.plans}
REFERENCE = InProcess(vars(reference.backprop), reference.backprop.__file__)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324]),
)
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=3)


@st.composite
def arrays(draw):
    shape = draw(shapes)
    size = int(np.prod(shape)) if shape else 1
    data = draw(st.lists(numbers, min_size=size, max_size=size))
    encoded = {"kind": "array", "shape": shape, "data": [wire._float(v) for v in data]}
    if draw(st.booleans()):
        encoded["dtype"] = draw(st.sampled_from(["float32", "float16", "float64", "int8", "nonsense"]))
    return encoded


raised = st.builds(
    lambda kind, name, on_self, function: {
        "kind": "raised",
        "type": kind,
        "message": "boom",
        "line": 3,
        "on_self": on_self,
        "cell": None,
        "missing": name,
        "function": function,
    },
    st.sampled_from(
        [
            "AttributeError",
            "TypeError",
            "ValueError",
            "NotImplementedError",
            "MissingDefinition",
            "Timeout",
            "SystemExit",
        ]
    ),
    st.one_of(st.none(), st.sampled_from(["x", "output", "grad", "w"])),
    st.booleans(),
    st.one_of(st.none(), st.sampled_from(["forward", "backward", "step", "compute_loss"])),
)
wire_values = st.one_of(
    numbers.map(lambda v: {"kind": "num", "number": wire._float(v)}),
    arrays(),
    raised,
    st.sampled_from(["list", "tuple", "NoneType", "str", "Liar", "bool"]).map(
        lambda kind: {"kind": "opaque", "type": kind, "repr": f"<a {kind}>"}
    ),
)
garbage = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def replace_values(draw, record):
    """A record of one operation with its values redrawn, keeping its shape (or not, sometimes)."""
    if draw(st.integers(0, 30)) == 0:
        return draw(garbage)
    if not isinstance(record, dict):
        return record
    new = dict(record)
    if "value" in new:
        new["value"] = draw(wire_values)
    if "state" in new:
        new["state"] = draw(
            st.dictionaries(
                st.sampled_from(["w", "b", "x", "grad", "dw", "grads['w']", "out"]), wire_values, max_size=4
            )
        )
    if "log" in new:
        new["log"] = [[kind, index, draw(wire_values)] for kind, index, _ in new["log"]]
    for key in ("ws", "bs", "losses"):
        if key in new:
            new[key] = draw(st.one_of(arrays(), wire_values))
    if "events" in new:  # a training loop's record
        new.update(
            events=draw(st.text(alphabet="FLBSN", max_size=40)),
            loss_roles=draw(st.lists(st.lists(st.sampled_from(["estimate", "target"]), max_size=3), max_size=3)),
            final=draw(st.lists(numbers, min_size=2, max_size=2)),
            moved=draw(st.booleans()),
            returns_model=draw(st.sampled_from([True, False, None])),
            raised=draw(st.one_of(st.none(), raised)),
        )
    return new


@st.composite
def student_records(draw, reference_records):
    return {key: replace_values(draw, record) for key, record in reference_records.items()}


@pytest.mark.parametrize("check_id", sorted(PLANS))
def test_any_answer_from_the_child_is_judged_or_reported_never_a_traceback(check_id):
    plan = PLANS[check_id]
    check = plan.check
    mutants = GRADER.mutants_on(plan) if check.uses_mutants else []
    reference_records = REFERENCE.run(plan.ops)

    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(student_records(reference_records))
    def judged(records):
        for order in (None, ("target", "estimate")):
            ctx = replace(plan.ctx, loss_order=order, reference=GRADER.expected.replays)
            try:
                observed = check.observe(records, ctx)
            except UNREADABLE:
                continue  # reported as "the submission's answer was malformed" (grading.SubmissionGrading.grade_check)
            verdict = check.verdict(observed, plan.expected, ctx)
            assert isinstance(verdict.passed, bool) and isinstance(verdict.message, str)
            for _, mutant_observation in mutants:
                assert isinstance(check.same_bug(observed, mutant_observation, plan.expected, ctx), bool)

    judged()


def test_every_check_is_fed_garbage():
    assert set(PLANS) == set(all_checks())


# end to end: student code that returns what no method should

HOSTILE_VALUES = {
    "a list": "[x]",
    "a tuple": "(x, x)",
    "None": "None",
    "a string": "'x'",
    "nan": "float('nan')",
    "inf": "float('inf')",
    "a wrongly shaped array": "np.zeros((7, 1))",
    "an object whose __eq__ lies": "Liar()",
    "an array subclass whose __array__ lies": "LyingArray()",
    "a float whose __float__ raises": "BadFloat(1.0)",
}
LIARS = """

class Liar:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __float__(self):
        return 0.5

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array for you")

    def __len__(self):
        raise RuntimeError("no length either")

    def __iter__(self):
        while True:
            yield self


class LyingArray(np.ndarray):
    def __new__(cls):
        return np.zeros(3).view(cls)

    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.full(3, np.nan)


class BadFloat(float):
    def __float__(self):
        raise ValueError("not today")

    def __eq__(self, other):
        raise ValueError("no comparing")
"""
# the return statements of the reference that a hostile value replaces: a layer's forward, a
# backward, and compute_loss
SITES = (
    "        return self.w * x\n",
    "        return grad * self.output  # d exp(x)/dx = exp(x)\n",
    "        return (y_est - y_target) ** 2\n",
)


def hostile_source(reference_src, value, site):
    assert reference_src.count(site) == 1, site
    with_liars = reference_src.replace("import numpy as np\n", "import numpy as np\n" + LIARS, 1)
    return with_liars.replace(site, f"        return {value}\n")


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(value=st.sampled_from(sorted(HOSTILE_VALUES)), site=st.sampled_from(SITES))
def test_a_method_returning_anything_gets_a_report(reference_src, tmp_path_factory, value, site):
    source = hostile_source(reference_src, HOSTILE_VALUES[value], site)
    result = grade(write_submission(tmp_path_factory.mktemp("hostile"), source))
    assert 0 <= result.score < result.max_score, summary(result)
    assert "crash" not in diagnosis_ids(result), summary(result)


def list_forward(reference_src):
    return reference_src.replace("        return self.w * x\n", "        return [self.w * x]\n", 1)


def test_a_forward_returning_a_list_gets_a_report_from_grade(reference_src, tmp_path):
    proc = run_cli("grade", write_submission(tmp_path, list_forward(reference_src)), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert 0 < report["score"] < 100
    forward = next(c for c in report["checks"] if c["id"] == "multiplication_weight.forward")
    assert forward["status"] == "failed" and "(a list)" in forward["message"]


def test_a_forward_returning_a_list_gets_a_report_from_the_autograder(reference_src, tmp_path):
    (tmp_path / "submission").mkdir()
    write_submission(tmp_path / "submission", list_forward(reference_src))
    proc = run_cli("autograder", "--root", tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert 0 < results["score"] < 100 and "could not be graded" not in results.get("output", "")


def test_a_forward_returning_a_list_gets_a_row_in_a_batch(reference_src, tmp_path):
    folder = tmp_path / "cohort"
    folder.mkdir()
    write_submission(folder, list_forward(reference_src), name="listy.py")
    write_submission(folder, reference_src, name="right.py")
    proc = run_cli("batch", folder, "-o", tmp_path / "out", "--jobs", "1", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = (tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8")
    listy = next(line for line in rows.splitlines() if line.startswith("listy,"))
    assert "grader failed" not in listy and not listy.startswith("listy,0,"), listy
