"""The instructor's solution gets every point; the hand-out gets almost none, cleanly."""

from helpers import REFERENCE, TEMPLATE, grade_cli_json, run_cli


def test_reference_gets_full_marks_and_no_diagnosis():
    _, report = grade_cli_json(REFERENCE)
    assert report["score"] == 100
    assert report["max_score"] == 100
    assert report["diagnoses"] == []
    not_passed = [(c["id"], c["status"], c["message"]) for c in report["checks"] if c["status"] != "passed"]
    assert not_passed == []
    assert all(c["score"] == c["max_score"] for c in report["checks"])
    assert all(c["diagnoses"] == [] for c in report["checks"])


def test_template_is_graded_without_traceback():
    proc = run_cli("grade", TEMPLATE, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout
    assert "Traceback" not in proc.stderr


def test_template_is_diagnosed_not_implemented_with_low_score():
    _, report = grade_cli_json(TEMPLATE)
    assert "not-implemented" in [d["id"] for d in report["diagnoses"]]
    assert report["score"] <= 15
    assert report["max_score"] == 100
    # the unimplemented methods are errors named not-implemented, not silent failures
    my_exp = [c for c in report["checks"] if c["id"].startswith("my_exp.")]
    assert my_exp and all(c["score"] == 0 and "not-implemented" in c["diagnoses"] for c in my_exp)
