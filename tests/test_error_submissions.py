"""Submissions that cannot run as written: each error is named, and costs only the checks it touches."""

import time

import pytest

from helpers import (
    assert_full_points,
    checks_starting,
    diagnosis,
    diagnosis_ids,
    edit,
    grade,
    line_containing,
    reference_source,
    rubric_data,
    summary,
    write_rubric,
    write_submission,
)

MY_EXP = """class my_exp:
    def forward(self, x):
        self.output = np.exp(x)
        return self.output

    def backward(self, grad):
        return grad * self.output  # d exp(x)/dx = exp(x)

    def step(self, learning_rate):
        pass


"""


def test_missing_class(tmp_path):
    result = grade(write_submission(tmp_path, edit(reference_source(), MY_EXP, "")))
    assert "missing-definition" in diagnosis_ids(result), summary(result)
    for check in checks_starting(result, "my_exp."):
        assert (check.status, check.score) == ("error", 0), summary(result)
        assert "missing-definition" in check.diagnoses, summary(result)
    assert_full_points(checks_starting(result, "add_bias.", "multiplication_weight.", "my_composition."))


def test_syntax_error(tmp_path):
    source = edit(
        reference_source(), "self.w = w\n\n    def forward(self, x):", "self.w = w\n\n    def forward(self x):"
    )
    path = write_submission(tmp_path, source)
    result = grade(path)
    assert result.score == 0, summary(result)
    assert result.max_score == 100
    not_errors = [(c.id, c.status) for c in result.checks if c.status != "error"]
    assert not_errors == [], summary(result)
    assert all("syntax-error" in c.diagnoses for c in result.checks), summary(result)
    line = line_containing(source, "def forward(self x):")
    assert diagnosis(result, "syntax-error").where == f"{path.name}:{line}", summary(result)


@pytest.mark.slow  # runs to the check's time limit
def test_infinite_loop_times_out_and_costs_only_its_checks(tmp_path):
    source = edit(
        reference_source(), "return grad * self.output  # d exp(x)/dx = exp(x)", "while True:\n            pass"
    )
    data = rubric_data()
    data["limits"]["check_seconds"] = 1
    rubric = write_rubric(tmp_path, data)
    start = time.monotonic()
    result = grade(write_submission(tmp_path, source), rubric)
    elapsed = time.monotonic() - start
    assert "timeout" in diagnosis_ids(result), summary(result)
    assert elapsed < 30, f"grading took {elapsed:.1f} s"
    assert_full_points(checks_starting(result, "multiplication_weight.", "add_bias."))
    assert checks_starting(result, "my_exp.backward")[0].status == "error"
    assert "timeout" in checks_starting(result, "my_exp.backward")[0].diagnoses


def test_exit_in_forward_is_a_crash_that_costs_only_its_checks(tmp_path):
    source = edit(
        reference_source(), "self.output = np.exp(x)\n", "import os; os._exit(3)\n        self.output = np.exp(x)\n"
    )
    result = grade(write_submission(tmp_path, source))
    assert "crash" in diagnosis_ids(result), summary(result)
    forward = checks_starting(result, "my_exp.forward")[0]
    assert (forward.status, forward.score) == ("error", 0), summary(result)
    assert "crash" in forward.diagnoses
    assert_full_points(checks_starting(result, "multiplication_weight.", "my_composition.", "add_bias."))


@pytest.mark.parametrize("size", ["1 << 34", "1 << 28"], ids=["128GiB", "2GiB"])
def test_huge_allocation_hits_the_memory_limit(tmp_path, size):
    """1 << 28 float64 is 2 GiB: over the 1 GiB default limit, yet an allocation the machine could
    make, so it is named only if the limit is really set."""
    limits = rubric_data()["limits"]
    if "memory_mb" not in limits:
        pytest.xfail("the rubric has no limits.memory_mb yet")
    assert limits["memory_mb"] <= 1024
    source = edit(
        reference_source(), "self.output = np.exp(x)\n", f"self.output = np.exp(x) + np.ones(({size},)).sum() * 0\n"
    )
    result = grade(write_submission(tmp_path, source))
    assert "memory-limit" in diagnosis_ids(result), summary(result)
    forward = checks_starting(result, "my_exp.forward")[0]
    assert (forward.status, forward.score) == ("error", 0), summary(result)
    assert "memory-limit" in forward.diagnoses
    assert_full_points(checks_starting(result, "multiplication_weight.", "my_composition.", "add_bias."))
