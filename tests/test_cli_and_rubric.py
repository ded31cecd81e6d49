"""The command line: exit codes, one-line errors naming what is wrong, output files and formats."""

import json

import pytest

from helpers import REFERENCE, RUBRIC, run_cli, rubric_data, write_rubric


def one_line(stderr):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {stderr!r}"
    return lines[0]


def assert_usage_error(proc, *names):
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout: {proc.stdout[-1000:]}\nstderr: {proc.stderr}"
    assert proc.stdout == ""
    line = one_line(proc.stderr)
    assert "Traceback" not in proc.stderr
    for name in names:
        assert name in line, f"{name!r} not named in {line!r}"


def test_missing_submission(tmp_path):
    missing = tmp_path / "no_such_submission.py"
    assert_usage_error(run_cli("grade", missing), str(missing))


def test_directory_as_submission(tmp_path):
    assert_usage_error(run_cli("grade", tmp_path), str(tmp_path))


def test_unknown_format_is_a_usage_error():
    assert_usage_error(run_cli("grade", REFERENCE, "--format", "xml"), "xml")


def test_missing_rubric_file(tmp_path):
    missing = tmp_path / "no_such_rubric.yaml"
    assert_usage_error(run_cli("grade", REFERENCE, "--rubric", missing), str(missing))


def without_seed(data):
    del data["seed"]


def points_as_text(data):
    data["checks"]["my_exp.forward"]["points"] = "five"


def unknown_check(data):
    data["checks"]["my_exp.nonexistent_check"] = dict(data["checks"]["my_exp.forward"])
    data["checks"]["my_exp.forward"]["points"] = 0  # keep the total right: only the id is wrong


def unknown_diagnosis(data):
    data["diagnoses"]["no-such-diagnosis"] = {"title": "Nothing", "hint": "Nothing at all."}


def points_off_total(data):
    data["checks"]["my_exp.forward"]["points"] += 1


def negative_points(data):
    data["checks"]["my_exp.forward"]["points"] = -5
    data["checks"]["my_exp.backward.input_grad"]["points"] += 10


MALFORMED = {
    "missing key": (without_seed, ["seed"]),
    "wrong type": (points_as_text, ["points", "my_exp.forward"]),
    "unknown check id": (unknown_check, ["my_exp.nonexistent_check"]),
    "unknown diagnosis id": (unknown_diagnosis, ["no-such-diagnosis"]),
    "points not adding up to total": (points_off_total, ["points"]),
    "negative points": (negative_points, ["points", "my_exp.forward"]),
}


@pytest.mark.parametrize("change, names", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_rubric(tmp_path, change, names):
    data = rubric_data()
    change(data)
    rubric = write_rubric(tmp_path, data)
    assert_usage_error(run_cli("grade", REFERENCE, "--rubric", rubric), *names)


def test_unchanged_copy_of_the_rubric_is_accepted(tmp_path):
    """The rubric round trip the malformed cases rely on: only their one change makes them fail."""
    rubric = write_rubric(tmp_path, rubric_data())
    proc = run_cli("grade", REFERENCE, "--rubric", rubric, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["score"] == 100


def test_invalid_yaml_rubric(tmp_path):
    rubric = tmp_path / "broken.yaml"
    rubric.write_text(RUBRIC.read_text(encoding="utf-8") + "\nchecks: [unclosed, {\n", encoding="utf-8")
    assert_usage_error(run_cli("grade", REFERENCE, "--rubric", rubric), str(rubric))


def test_a_rubric_reads_as_pythons_yaml_parser_reads_it_and_its_errors_are_worded_as_that_parser_words_them(tmp_path):
    """libyaml parses the rubric, when PyYAML has it; what it reads and how a broken file is named must
    not depend on that."""
    import yaml

    from grader import rubric as rubrics

    text = RUBRIC.read_text(encoding="utf-8")
    assert rubrics.read(RUBRIC) == yaml.safe_load(text)
    broken = tmp_path / "alias.yaml"
    broken.write_text(text + "\nextra: *nowhere\n", encoding="utf-8")
    with pytest.raises(rubrics.RubricError, match="found undefined alias 'nowhere'"):
        rubrics.read(broken)


def test_json_report_written_to_file(tmp_path):
    out = tmp_path / "report.json"
    proc = run_cli("grade", REFERENCE, "--format", "json", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["assignment"] == "backprop"
    assert report["submission"] == str(REFERENCE)
    assert (report["score"], report["max_score"]) == (100, 100)
    assert {"seed", "checks", "diagnoses", "training", "grader_version"} <= set(report)
    assert report["training"]["w"] == pytest.approx(0.5, abs=0.05)
    assert report["training"]["b"] == pytest.approx(2.0, abs=0.05)


def test_text_report_score_line():
    proc = run_cli("grade", REFERENCE, "--format", "text")
    assert proc.returncode == 0, proc.stderr
    assert "Score: 100 / 100" in proc.stdout.splitlines()


def test_text_is_the_default_format():
    proc = run_cli("grade", REFERENCE)
    assert proc.returncode == 0, proc.stderr
    assert "Score: 100 / 100" in proc.stdout.splitlines()
