"""Hostile submissions: code that hangs, exits, floods, forks, forges, patches or steals.

Each file of tests/hostile/ is graded with the rubric's limits cut down (1 s per check, 3 s to
load) and its report checked against tests/hostile/expected.yaml (the keys are described there).
The sandbox's promises (DESIGN.md principles 1-3 and 5): a hang, crash or limit costs only the
checks it touches, whatever the child prints, writes, patches or exits with changes no score,
nothing it starts outlives the grading, and the same submission gets the same report.
"""

import functools
import json
import os
import re
import time
from pathlib import Path

import pytest
import yaml

from helpers import (
    REFERENCE,
    TEMPLATE,
    assert_full_points,
    checks_by_id,
    checks_starting,
    diagnosis_ids,
    grade,
    marked_processes,
    rubric_data,
    run_cli,
    summary,
    write_rubric,
)
from grader import sandbox as sandbox_module

pytestmark = pytest.mark.slow  # the hostile corpus: hangs, floods and forks run to their limits

HOSTILE = Path(__file__).resolve().parent / "hostile"
EXPECTED = yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
KEYS = {
    "diagnoses",
    "absent",
    "min_score",
    "max_score",
    "score_as",
    "full_points",
    "zero_points",
    "messages",
    "notes",
    "output",
    "no_checks",
    "max_seconds",
    "root_only",
}
LIMITS = {"check_seconds": 1, "cpu_seconds": 1, "load_seconds": 3}
DEFAULT_MAX_SECONDS = 30
FORGED = "FORGED-BY-SUBMISSION"  # what forge_results.py writes into its results.json files


# the rubric and the template's score under it


@pytest.fixture(scope="session")
def rubric(tmp_path_factory):
    """rubrics/backprop.yaml with short limits, in a folder of its own (it is made unreadable to the child)."""
    data = rubric_data()
    data["limits"].update(LIMITS)
    return write_rubric(tmp_path_factory.mktemp("hostile-rubric"), data)


@functools.cache
def template_score(rubric_path):
    return grade(TEMPLATE, rubric_path).score


def timed_grade(path, rubric_path):
    start = time.monotonic()
    result = grade(path, rubric_path)
    return result, time.monotonic() - start


# the corpus


def test_every_file_has_an_expected_report_and_back():
    files = {p.name for p in HOSTILE.glob("*.py")}
    assert files == set(EXPECTED), f"without an entry: {files - set(EXPECTED)}; without a file: {set(EXPECTED) - files}"
    for name, expected in EXPECTED.items():
        assert set(expected) <= KEYS, f"{name}: unknown keys {set(expected) - KEYS}"


ROOT_ONLY = pytest.mark.root(reason="the reference is hidden from the child only when the grader runs as root")


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=ROOT_ONLY) if EXPECTED[name].get("root_only") else name for name in sorted(EXPECTED)],
)
def test_hostile_submission(name, rubric):  # noqa: C901  (one branch per key of expected.yaml)
    expected = EXPECTED[name]
    try:
        result, elapsed = timed_grade(HOSTILE / name, rubric)
    finally:
        remove_forged_results()
    report = summary(result)
    named = diagnosis_ids(result)

    # what every report must be, whatever the submission did
    assert result.max_score == 100, report
    assert 0 <= result.score <= result.max_score, report
    json.dumps(result.to_dict(), allow_nan=False)
    cap = rubric_data()["limits"]["output_kb"] * 1024
    assert len(result.output) <= 2 * (cap + 200), f"{len(result.output)} characters of output kept"
    assert elapsed < expected.get("max_seconds", DEFAULT_MAX_SECONDS), f"grading took {elapsed:.1f} s\n{report}"

    for diagnosis_id in expected.get("diagnoses", []):
        assert diagnosis_id in named, f"{diagnosis_id} not named\n{report}"
    for diagnosis_id in expected.get("absent", []):
        assert diagnosis_id not in named, f"{diagnosis_id} named\n{report}"
    if "min_score" in expected:
        assert result.score >= expected["min_score"], report
    if "max_score" in expected:
        assert result.score <= expected["max_score"], report
    if expected.get("score_as") == "template":
        assert result.score == template_score(rubric), f"the template gets {template_score(rubric)}\n{report}"
    if "full_points" in expected:
        assert_full_points(checks_starting(result, *expected["full_points"]))
    if "zero_points" in expected:
        for check in checks_starting(result, *expected["zero_points"]):
            assert check.status in ("error", "failed") and check.score == 0, f"{check.id} kept its points\n{report}"
    checks = checks_by_id(result)
    for check_id, words in expected.get("messages", {}).items():
        for word in words:
            assert word in checks[check_id].message, f"{check_id}: {word!r} not in {checks[check_id].message!r}"
    for word in expected.get("notes", []):
        assert any(word in note for note in result.notes), f"{word!r} in no note: {result.notes}"
    for word in expected.get("output", []):
        assert word in result.output, f"{word!r} not in the captured output ({len(result.output)} characters)"
    for diagnosis_id in expected.get("no_checks", []):
        found = [d for d in result.diagnoses if d.id == diagnosis_id]
        assert found and all(d.checks == [] for d in found), f"{diagnosis_id} with checks\n{report}"


def remove_forged_results():
    """forge_results.py writes results.json into the child's working folder and its parent, the
    system's temporary folder: take away what it left there."""
    import tempfile

    for folder in (Path(tempfile.gettempdir()), Path("/autograder/results"), Path("/autograder")):
        forged = folder / "results.json"
        try:
            if FORGED in forged.read_text(encoding="utf-8", errors="replace"):
                forged.unlink()
        except OSError:
            pass


# what the sandbox leaves behind


def zombie_children():
    """Children of this process that died and were never reaped: (pid, uid)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                uid = entry.stat().st_uid
            except (OSError, IndexError):
                continue
            if fields[0] == "Z" and int(fields[1]) == os.getpid():
                found.append((int(entry.name), uid))
    return found


@pytest.fixture
def tokens(monkeypatch):
    """The token of every sandbox started while the test runs: its processes are told apart by it
    from those of a grading running in another pytest worker."""
    seen = []
    start = sandbox_module.Sandbox.start

    def recording_start(self):
        seen.append(self.token)
        return start(self)

    monkeypatch.setattr(sandbox_module.Sandbox, "start", recording_start)
    return seen


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_no_process_of_the_fork_sleepers_outlives_the_grading(rubric, tokens):
    result = grade(HOSTILE / "fork_sleepers.py", rubric)
    assert tokens, "no sandbox was started"
    left = marked_processes(set(tokens))
    assert left == [], f"still running after the grading: {left}\n{summary(result)}"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_the_fork_sleepers_leave_no_zombies(rubric):
    """Orphans handed to the grader (its child's workers) must be reaped: unreaped, they keep counting
    against the unprivileged user's process limit, for every later grading of the batch."""
    before = set(zombie_children())
    result = grade(HOSTILE / "fork_sleepers.py", rubric)
    time.sleep(0.2)
    left = sorted(set(zombie_children()) - before)
    assert left == [], f"{len(left)} unreaped children (pid, uid): {left[:5]}\n{summary(result)}"


# forged reports


def test_a_forged_report_does_not_reach_the_report_file(rubric, tmp_path):
    out = tmp_path / "results.json"
    try:
        proc = run_cli("grade", HOSTILE / "forge_results.py", "--rubric", rubric, "--format", "json", "-o", out)
    finally:
        remove_forged_results()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert FORGED not in proc.stdout, "the child's output reached the grader's stdout"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["score"] == template_score(rubric), report["score"]
    assert report["max_score"] == 100
    assert "not-implemented" in diagnosis_ids(report)
    assert all(check["id"] != "everything" for check in report["checks"])


# encodings, line endings, indentation and size


def reference_bytes():
    return REFERENCE.read_bytes()


def with_tabs(source):
    return re.sub(rb"(?m)^((?:    )+)", lambda m: b"\t" * (len(m.group(1)) // 4), source)


def with_ten_megabytes_of_comments(source):
    line = b"# " + b"scratch notes " * 5 + b"\n"
    return source + line * (10 * 1024 * 1024 // len(line))


VARIANTS = {
    "utf8_bom": lambda s: b"\xef\xbb\xbf" + s,
    "crlf": lambda s: s.replace(b"\n", b"\r\n"),
    "tabs": with_tabs,
    "ten_megabytes_of_comments": with_ten_megabytes_of_comments,
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_reference_written_differently_gets_full_marks(variant, rubric, tmp_path):
    path = tmp_path / "backprop.py"
    path.write_bytes(VARIANTS[variant](reference_bytes()))
    if variant == "tabs":
        assert b"\n\tdef forward" in path.read_bytes()
    result, elapsed = timed_grade(path, rubric)
    assert result.score == 100, summary(result)
    assert result.diagnoses == [] and result.notes == [], summary(result)
    assert elapsed < 20, f"grading took {elapsed:.1f} s"


def test_non_utf8_bytes_in_a_comment_are_a_clear_syntax_error(rubric, tmp_path):
    """`python backprop.py` refuses the file (Non-UTF-8 code ... but no encoding declared): the
    grader must say so, not grade a file the student cannot run."""
    source = reference_bytes().replace(b"class add_bias:\n", b"# biais ajout\xe9 (latin-1)\nclass add_bias:\n", 1)
    path = tmp_path / "backprop.py"
    path.write_bytes(source)
    proc = run_cli("grade", path, "--rubric", rubric, "--format", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert "syntax-error" in diagnosis_ids(report), (report["score"], diagnosis_ids(report))
    assert report["score"] == 0
    messages = " ".join(check["message"] for check in report["checks"])
    assert re.search(r"utf-?8|encoding|decode", messages, re.IGNORECASE), messages[:500]


# principle 5


def test_the_same_hostile_submission_gets_the_same_report(rubric):
    first = grade(HOSTILE / "print_flood.py", rubric).to_dict()
    second = grade(HOSTILE / "print_flood.py", rubric).to_dict()
    differing = [key for key in first if first[key] != second[key]]
    assert first == second, f"the reports differ in {differing}"


HANGS_EVERYWHERE = """
import time

time.sleep(0.5)  # each reload of the file costs this again


class multiplication_weight:
    def __init__(self, w):
        while True:
            pass


class my_exp:
    def __init__(self):
        while True:
            pass


class my_composition:
    def __init__(self, layers):
        while True:
            pass
"""


def test_a_submission_that_hangs_everywhere_is_stopped_by_the_total_time_limit(tmp_path):
    """Without the total limit each check would cost its reload and its own limit: minutes."""
    data = rubric_data()
    data["limits"].update(LIMITS, total_seconds=4)
    rubric_path = write_rubric(tmp_path, data)
    hanging = tmp_path / "backprop.py"
    hanging.write_text(HANGS_EVERYWHERE, encoding="utf-8")
    result, seconds = timed_grade(hanging, rubric_path)
    assert seconds < 4 + 8, f"took {seconds:.1f} s"  # the limit, and the reference's and the mutants' runs
    stopped = [c for c in result.checks if "total time limit of 4 s" in c.message]
    assert stopped and all(c.score == 0 and "timeout" in c.diagnoses for c in stopped)
    assert result.score <= template_score(rubric_path)
