"""Helpers shared by the grader's tests: paths, grading (CLI and library), sources and rubrics.

    from helpers import REFERENCE, grade, summary

tests/ is on sys.path through pytest's `pythonpath` (pyproject.toml); fixtures and hooks live in conftest.py."""

import ast
import functools
import json
import subprocess
import sys
import sysconfig
import types
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

TESTS = ROOT / "tests"
SUBMISSIONS = TESTS / "submissions"
REFERENCE = ROOT / "reference" / "backprop.py"
TEMPLATE = ROOT / "student_template" / "backprop.py"
RUBRIC = ROOT / "rubrics" / "backprop.yaml"
CLI_TIMEOUT = 120  # seconds: a grading that takes this long is a failure in itself

CORRECT_STYLES = sorted(SUBMISSIONS.glob("correct_style_*.py"))


# grading


def run_cli(*args, timeout=CLI_TIMEOUT):
    """`python3 -m grader ARGS`, from the project root; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def grade_cli_json(path, *args):
    """Grades through the CLI with --format json; returns (CompletedProcess, parsed report)."""
    proc = run_cli("grade", path, "--format", "json", *args)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
    return proc, json.loads(proc.stdout)


def grade(path, rubric_path=None, seed=None):
    from grader.api import grade as api_grade

    return api_grade(path, rubric_path, seed)


@functools.cache
def default_grader():
    """One Grader of the default rubric and seed per worker, as a batch worker keeps one: the reference's
    observations and the mutants' are made once (api.grade makes a Grader for each submission)."""
    from grader import grading, rubric

    return grading.Grader(rubric.load(None))


@functools.cache
def graded(path):
    """The grading of a file that does not change during the run: once per worker, by the default grader."""
    from grader.submission import open_submission

    with open_submission(Path(path)) as submission:
        return default_grader().grade(submission)


def diagnosis_ids(result):
    """The diagnosis ids of a GradeResult or of a JSON report dict."""
    diagnoses = result["diagnoses"] if isinstance(result, dict) else result.diagnoses
    return [d["id"] if isinstance(d, dict) else d.id for d in diagnoses]


def diagnosis(result, diagnosis_id):
    found = [d for d in result.diagnoses if d.id == diagnosis_id]
    assert found, f"{diagnosis_id} not diagnosed; got {diagnosis_ids(result)}"
    return found[0]


def checks_by_id(result):
    return {c.id: c for c in result.checks}


def checks_starting(result, *prefixes):
    selected = [c for c in result.checks if c.id.startswith(prefixes)]
    assert selected, f"no check of the rubric starts with {prefixes}"
    return selected


def assert_full_points(checks):
    lost = [
        (c.id, c.status, c.score, c.max_score, c.diagnoses, c.message[:300])
        for c in checks
        if c.score != c.max_score or c.status != "passed"
    ]
    assert not lost, f"checks that should keep their points lost them: {lost}"


def summary(result):
    """What to print when an assertion about a GradeResult fails."""
    lines = [f"score {result.score}/{result.max_score}, diagnoses {[(d.id, d.where) for d in result.diagnoses]}"]
    lines += [
        f"  {c.id}: {c.status} {c.score}/{c.max_score} {c.diagnoses} {c.message[:200]!r}"
        for c in result.checks
        if c.status != "passed"
    ]
    return "\n".join(lines)


# rendering


def markdown_html(markdown):
    """Markdown as a CommonMark renderer with GitHub's tables shows it: HTML, raw HTML let through."""
    from markdown_it import MarkdownIt  # markdown-it-py, which rich depends on

    return MarkdownIt("commonmark").enable("table").render(markdown)


# sources


def reference_source():
    return REFERENCE.read_text(encoding="utf-8")


def edit(source, old, new):
    """Replaces the one occurrence of old (the edit must apply exactly once)."""
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
    return source.replace(old, new)


def write_submission(directory, source, name="backprop.py"):
    path = Path(directory) / name
    path.write_text(source, encoding="utf-8")
    return path


def definition_line(path_or_source, qualified):
    """Line of `def`/`class` for "Class.method", "Class" or "function", found with ast."""
    source = path_or_source.read_text(encoding="utf-8") if isinstance(path_or_source, Path) else path_or_source
    owner, _, member = qualified.partition(".")
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == owner:
            if not member:
                return node.lineno
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == member:
                    return item.lineno
    raise LookupError(f"{qualified} is not defined")


def line_containing(source, text):
    lines = [n for n, line in enumerate(source.splitlines(), start=1) if text in line]
    assert len(lines) == 1, f"{text!r} on lines {lines}"
    return lines[0]


# what the sandbox leaves behind, read from /proc independently of the grader's own scan


def sandbox_token(pid):
    """The sandbox token in a process's environment, or None (no marker, the zygote's placeholder,
    a zombie, or gone)."""
    from grader.zygote import TOKEN_PLACEHOLDER, TOKEN_VARIABLE

    try:
        variables = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    prefix = f"{TOKEN_VARIABLE}=".encode()
    token = next((v[len(prefix) :].decode() for v in variables if v.startswith(prefix)), None)
    return None if token == TOKEN_PLACEHOLDER else token


def marked_processes(tokens):
    """Pids of the live processes carrying one of these sandbox tokens."""
    return [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and sandbox_token(e.name) in tokens]


# rubrics


def rubric_data():
    return yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))


def write_rubric(directory, data, name="rubric.yaml"):
    path = Path(directory) / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# the students' hand-out (make handout)


def unpacked(zipped):
    """{name: bytes} of a hand-out zip, and the folder it unpacks into (beside it)."""
    with zipfile.ZipFile(zipped) as archive:
        files = {info.filename.removeprefix("handout/"): archive.read(info) for info in archive.infolist()}
        archive.extractall(zipped.parent)
    return files, zipped.parent / "handout"


def checker_python(folder):
    """A Python whose packages are the grader's environment's, but neither the grader nor the
    solution (they are installed there as the project's own, which the hand-out must not need)."""
    env = folder.parent / "env"
    if not env.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        site = env / "lib" / version / "site-packages"
        (site / "packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return env / "bin" / "python"


class Shell:
    """What check() reads of IPython's kernel: the namespace and the cells run, in order."""

    def __init__(self, cells, namespace):
        self.user_ns = namespace
        self.history_manager = types.SimpleNamespace(input_hist_raw=["", *cells])
        self.events = types.SimpleNamespace(register=lambda event, callback: self.hooks.append((event, callback)))
        self.hooks = []

    def ran(self, number, error=None):
        """Tells the hooks that In [number] ended, raising `error` (or not)."""
        for event, callback in self.hooks:
            if event == "post_run_cell":
                callback(types.SimpleNamespace(execution_count=number, error_in_exec=error))
