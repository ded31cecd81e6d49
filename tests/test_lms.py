"""The LMS side: Gradescope's results.json and PrairieLearn's results, validated against the schemas of
their documented fields, and the LMS entry point, which writes a results.json whatever happens
(tests/test_lms_deploy.py deploys the bundles as the LMS does)."""

import json
import math

import jsonschema
import pytest

from helpers import REFERENCE, SUBMISSIONS, TEMPLATE, TESTS, graded, run_cli, rubric_data, write_rubric

pytestmark = pytest.mark.slow  # every LMS entry point run through the command line

SCHEMAS = TESTS / "schemas"
BUGGY = SUBMISSIONS / "forum_mul_returns_grad_w.py"
# the wrong formula costs its own check, its finite differences, and the consistency checks that
# compare arrays and two instances with a scalar result that is wrong
BUGGY_CHECKS = (
    "multiplication_weight.backward.input_grad",
    "multiplication_weight.finite_diff",
    "multiplication_weight.arrays",
    "multiplication_weight.independent_instances",
)
LOOPING = TESTS / "hostile" / "exp_backward_infinite_loop.py"


def schema(name):
    return json.loads((SCHEMAS / f"{name}_results.schema.json").read_text(encoding="utf-8"))


def assert_gradescope_results(results):
    jsonschema.validate(results, schema("gradescope"))
    assert math.isclose(results["score"], sum(t["score"] for t in results["tests"]), abs_tol=1e-9)
    assert [t["number"] for t in results["tests"]] == [str(n) for n in range(1, len(results["tests"]) + 1)]


def autograde(root, *options, submission=None):
    """`python -m grader autograder --root ROOT`, with `submission` (a file) alone in ROOT/submission
    when given; returns ROOT/results/results.json, parsed and validated."""
    if submission is not None:
        (root / "submission").mkdir(parents=True, exist_ok=True)
        (root / "submission" / submission.name).write_bytes(submission.read_bytes())
    proc = run_cli("autograder", "--root", root, *options)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    return read_results(root)


def read_results(root):
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert_gradescope_results(results)
    return results


def rubric_with(tmp_path, change):
    data = rubric_data()
    change(data)
    return write_rubric(tmp_path, data)


def entries_named(results, names):
    return [t for t in results["tests"] if t["name"] in names]


def check_names(check_ids):
    checks = rubric_data()["checks"]
    return {checks[cid]["name"] for cid in check_ids}


# Gradescope: graded submissions


def test_reference_gets_full_points(tmp_path):
    results = autograde(tmp_path, submission=REFERENCE)
    assert results["score"] == 100
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])
    assert len(results["tests"]) == len(rubric_data()["checks"])
    assert results["stdout_visibility"] == "hidden"


def test_buggy_submission_names_the_bug_in_its_tests(tmp_path):
    results = autograde(tmp_path, submission=BUGGY)
    assert 0 < results["score"] < 100
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert {t["name"] for t in failed} == check_names(BUGGY_CHECKS)
    for test in failed:
        assert test["score"] == 0 and test["tags"] == ["mul-returns-grad-w"]
        assert "∂L/∂x = grad·w" in test["output"]  # the fix
    input_grad = entries_named(results, check_names(BUGGY_CHECKS[:1]))[0]
    assert "1.02389" in input_grad["output"]  # the value that showed it
    assert "forum_mul_returns_grad_w.py:34" in results["output"] and "[mul-returns-grad-w]" in results["output"]


def test_looping_method_costs_its_checks_only(tmp_path):
    def one_second_checks(data):
        data["limits"].update(check_seconds=1, cpu_seconds=1)

    results = autograde(tmp_path, "--rubric", rubric_with(tmp_path, one_second_checks), submission=LOOPING)
    timed_out = [t for t in results["tests"] if "timeout" in t["tags"]]
    assert timed_out and all(t["status"] == "failed" and t["score"] == 0 for t in timed_out)
    assert results["score"] >= 50


def test_forged_results_are_replaced_by_the_graders(tmp_path):
    results_file = tmp_path / "results" / "results.json"
    forged = {"score": 100.0, "output": "FORGED-BY-SUBMISSION", "tests": []}
    results_file.parent.mkdir()
    results_file.write_text(json.dumps(forged))  # as if written before the grader's turn
    forger = tmp_path / "backprop.py"
    forger.write_text(
        BUGGY.read_text(encoding="utf-8") + FORGERY.replace("RESULTS_FILE", repr(str(results_file))), encoding="utf-8"
    )
    results = autograde(tmp_path, submission=forger)
    assert "FORGED" not in results_file.read_text(encoding="utf-8")
    assert results["score"] == autograde(tmp_path / "honest", submission=BUGGY)["score"] < 100


FORGERY = """

# --- appended: writes a perfect results.json wherever the LMS might read it
import json as _json, os as _os

_forged = {"score": 100.0, "output": "FORGED-BY-SUBMISSION", "tests": []}
for _path in (RESULTS_FILE, "results.json", "../results/results.json", "/autograder/results/results.json"):
    try:
        with open(_path, "w") as _handle:
            _json.dump(_forged, _handle)
    except OSError:
        pass
print(_json.dumps(_forged))
"""


def test_hidden_check_stays_hidden(tmp_path):
    def hide_the_buggy_checks(data):
        for cid in BUGGY_CHECKS:
            data["checks"][cid]["visibility"] = "hidden"

    results = autograde(tmp_path, "--rubric", rubric_with(tmp_path, hide_the_buggy_checks), submission=BUGGY)
    hidden = entries_named(results, check_names(BUGGY_CHECKS))
    assert len(hidden) == len(BUGGY_CHECKS)
    assert all(t["visibility"] == "hidden" and t["status"] == "failed" for t in hidden)
    assert all(t["visibility"] == "visible" for t in results["tests"] if t not in hidden)
    # the summary is always shown: neither the bug the hidden checks found nor a total that counts them
    assert "mul-returns-grad-w" not in results["output"]
    visible = 100 - sum(rubric_data()["checks"][cid]["points"] for cid in BUGGY_CHECKS)
    assert f"Visible checks: {visible:g} / {visible:g}" in results["output"]


# Gradescope: submissions that cannot be graded still get a results.json


def several_files(submission):
    submission.mkdir()
    for name in ("backprop.py", "backprop_old.py"):
        (submission / name).write_bytes(REFERENCE.read_bytes())


@pytest.mark.parametrize(
    "prepare, said",
    [
        (lambda submission: None, "no such file or folder"),
        (lambda submission: submission.mkdir(), "no .py or .ipynb file"),
        (several_files, "several files to grade"),
    ],
    ids=["missing", "empty", "several"],
)
def test_ungradable_submission_scores_zero_and_says_why(tmp_path, prepare, said):
    prepare(tmp_path / "submission")
    results = autograde(tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert said in results["output"]


def test_broken_rubric_scores_zero_and_says_so(tmp_path):
    def points_off_total(data):
        data["checks"]["my_exp.forward"]["points"] += 1

    results = autograde(tmp_path, "--rubric", rubric_with(tmp_path, points_off_total), submission=REFERENCE)
    assert results["score"] == 0 and results["tests"] == []
    assert "instructor" in results["output"]


def test_grader_bug_scores_zero_without_a_traceback(tmp_path, monkeypatch, capsys):
    from grader import api, autograder

    def broken_grade(*args):
        raise ZeroDivisionError("deep inside the grader")

    monkeypatch.setattr(api, "grade", broken_grade)
    autograder.run(autograder.GRADESCOPE, tmp_path)
    results = read_results(tmp_path)
    assert results["score"] == 0 and results["tests"] == []
    assert "ZeroDivisionError" in results["output"] and "Traceback" not in results["output"]
    assert "Traceback" in capsys.readouterr().err  # the instructor's log keeps it


# PrairieLearn


@pytest.mark.parametrize("submission", [REFERENCE, BUGGY, TEMPLATE], ids=["reference", "buggy", "template"])
def test_prairielearn_results(submission):
    proc = run_cli("grade", submission, "--format", "prairielearn")
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    jsonschema.validate(results, schema("prairielearn"))
    expected = graded(submission)
    assert results["gradable"] is True
    assert math.isclose(results["score"], expected.score / expected.max_score, abs_tol=1e-6)
    assert math.isclose(sum(t["points"] for t in results["tests"]), expected.score, abs_tol=1e-6)
