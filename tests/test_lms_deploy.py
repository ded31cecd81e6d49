"""The LMS bundles deployed as the LMS deploys them (lms/replay.py): `make bundle`'s zip unpacked into
ROOT/source, setup.sh run for real (pip from the lock), run_autograder copied to ROOT and run from
there with no argument; PrairieLearn's /grade layout with the question's own entrypoint. Every
submission, gradable or not, ends in a results.json valid against the LMS's schema.

setup.sh skips its package-manager step where /usr/bin/python3 already has venv, as here; its pip
steps install into ROOT/venv (from pip's cache when it has the wheels). The tests share one
deployment per test process (session fixtures)."""

import base64
import io
import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import jsonschema
import pytest

from helpers import CLI_TIMEOUT, REFERENCE, ROOT, SUBMISSIONS, TESTS, rubric_data
from lms import replay

pytestmark = pytest.mark.slow  # builds the bundles and deploys them

BUGGY = SUBMISSIONS / "forum_mul_returns_grad_w.py"
NOTEBOOK = TESTS / "notebooks" / "reference.ipynb"
FORGED = "FORGED-BY-SUBMISSION"
FORGERY = f"""

import json as _json
for _path in ("/autograder/results/results.json", "/grade/results/results.json", "results/results.json",
              "../results/results.json"):
    try:
        with open(_path, "w") as _handle:
            _json.dump({{"score": 100.0, "gradable": True, "output": "{FORGED}", "tests": []}}, _handle)
    except OSError:
        pass
"""


def schema(name):
    return json.loads((TESTS / "schemas" / f"{name}_results.schema.json").read_text(encoding="utf-8"))


# what the student hands in: (file name, bytes) pairs


def one_file(path, name=None):
    return lambda: [(name or path.name, path.read_bytes())]


def zipped(path):
    def files():
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as handle:
            handle.write(path, path.name)
        return [("backprop.zip", archive.getvalue())]

    return files


def forging():
    return [("backprop.py", BUGGY.read_bytes() + FORGERY.encode())]


SUBMISSIONS_HANDED_IN = {
    "correct-py": one_file(REFERENCE),
    "buggy-py": one_file(BUGGY, "backprop.py"),
    "notebook": one_file(NOTEBOOK, "backprop.ipynb"),
    "zip": zipped(REFERENCE),
    "empty-folder": lambda: [],
    "two-candidates": lambda: [("backprop.py", REFERENCE.read_bytes()), ("backprop_old.py", BUGGY.read_bytes())],
    "forges-results": forging,
}
UNGRADABLE = {"empty-folder": "no .py or .ipynb file", "two-candidates": "several files to grade"}


@pytest.fixture(scope="session")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, ROOT / "lms" / "build_bundle.py", out], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def gradescope(dist, tmp_path_factory):
    root = replay.unpack_gradescope(dist / "autograder.zip", tmp_path_factory.mktemp("autograder"))
    setup = replay.setup_gradescope(root)
    assert setup.returncode == 0, f"setup.sh failed:\n{setup.stdout[-3000:]}\n{setup.stderr[-3000:]}"
    return root


@pytest.fixture(scope="session")
def prairielearn(dist, gradescope, tmp_path_factory):
    root = replay.install_prairielearn(dist / "prairielearn", tmp_path_factory.mktemp("grade"))
    (root / "data").mkdir()
    (root / "data" / "data.json").write_text(json.dumps({"params": {}, "submitted_answers": {}}), encoding="utf-8")
    return root


def test_the_zip_holds_the_scripts_at_its_root_and_no_tests(dist):
    names = set(zipfile.ZipFile(dist / "autograder.zip").namelist())
    assert {
        "setup.sh",
        "run_autograder",
        "requirements.lock",
        "pyproject.toml",
        "grader/autograder.py",
        "reference/backprop.py",
        "rubrics/backprop.yaml",
    } <= names
    assert not [n for n in names if n.startswith(("tests/", ".git", "source/")) or "__pycache__" in n]
    assert (dist / "autograder.zip").stat().st_mode & 0o077 == 0, "the zip holds the solution: owner only"


def test_the_zip_holds_the_html_templates_and_the_deployed_grader_renders_the_html_report(dist, gradescope, tmp_path):
    templates = {path.relative_to(ROOT).as_posix() for path in (ROOT / "grader" / "render" / "templates").iterdir()}
    assert templates and templates <= set(zipfile.ZipFile(dist / "autograder.zip").namelist())
    proc = subprocess.run(
        [gradescope / "venv" / "bin" / "python", "-m", "grader", "grade", BUGGY, "--format", "html"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("<!DOCTYPE html>") and "[mul-returns-grad-w]" in proc.stdout


@pytest.mark.parametrize("name", sorted(SUBMISSIONS_HANDED_IN))
def test_gradescope_grades_every_submission_into_a_valid_results_json(gradescope, name):
    replay.hand_in(gradescope / "submission", SUBMISSIONS_HANDED_IN[name]())
    proc, text = replay.run_gradescope(gradescope)
    assert proc.returncode == 0 and text is not None, proc.stderr[-3000:]
    results = json.loads(text)
    jsonschema.validate(results, schema("gradescope"))
    assert FORGED not in text
    if name in UNGRADABLE:
        assert results["score"] == 0 and results["tests"] == [] and UNGRADABLE[name] in results["output"]
    elif name in ("buggy-py", "forges-results"):
        assert 0 < results["score"] < 100 and "[mul-returns-grad-w]" in results["output"]
    else:
        assert results["score"] == rubric_data()["total"], results["output"]


def test_gradescope_without_its_environment_still_gets_a_results_json(dist, tmp_path):
    """setup.sh failed, or the venv is gone: run_autograder says so instead of leaving Gradescope nothing."""
    broken = replay.unpack_gradescope(dist / "autograder.zip", tmp_path)
    (broken / "submission").mkdir()
    proc, text = replay.run_gradescope(broken)
    assert proc.returncode == 0 and text is not None
    results = json.loads(text)
    jsonschema.validate(results, schema("gradescope"))
    assert results["score"] == 0 and "instructor" in results["output"]


@pytest.mark.parametrize("name", sorted(SUBMISSIONS_HANDED_IN))
def test_prairielearn_grades_every_submission_into_a_valid_results_json(dist, gradescope, prairielearn, name):
    replay.hand_in(prairielearn / "student", SUBMISSIONS_HANDED_IN[name]())
    proc, text = replay.run_prairielearn(dist / "prairielearn", prairielearn, gradescope / "venv" / "bin")
    assert proc.returncode == 0 and text is not None, proc.stderr[-3000:]
    results = json.loads(text)
    jsonschema.validate(results, schema("prairielearn"))
    assert FORGED not in text
    if name in UNGRADABLE:
        assert results["gradable"] is False and any(UNGRADABLE[name] in e for e in results["format_errors"])
        return
    assert results["gradable"] is True
    if name in ("buggy-py", "forges-results"):
        assert 0 < results["score"] < 1 and "[mul-returns-grad-w]" in results["output"]
    else:
        assert results["score"] == 1
    assert math.isclose(sum(t["points"] for t in results["tests"]), results["score"] * rubric_data()["total"])
    assert [image["label"] for image in results["images"]] == ["Your classes", "The reference solution"]
    for image in results["images"]:  # the runs, as SVG data URLs
        svg = base64.b64decode(image["url"].removeprefix("data:image/svg+xml;base64,"))
        assert ET.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


def test_the_prairielearn_timeout_covers_the_longest_grading_the_limits_allow(dist):
    limits = rubric_data()["limits"]
    timeout = replay.grading_options(dist / "prairielearn")["timeout"]
    assert timeout <= 600, "PrairieLearn's largest timeout"
    assert timeout >= limits["total_seconds"] + replay.GRADER_OVERHEAD_SECONDS
