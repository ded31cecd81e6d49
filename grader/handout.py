"""The students' hand-out (`make handout` writes dist/handout.zip): the notebook and the .py to fill
in, their Makefile and README, and a checker that grades them on the student's machine.

The checker is the grader's engine (grader/, but for what only TAs and LMSs run) with a recording
of the solution's behaviour in place of the solution: for each visible check, its scenario on the
inputs of the rubric's `handout_seed` (not the graded `seed`: what the checker expects is no answer
key for the graded run), the reference's observation of it and the mutants'. Nothing of
reference/, and nothing of a check the rubric does not mark visible, goes in.
"""

import io
import json
import zipfile
from pathlib import Path

from grader import checker, expected, grading, rubric as rubrics
from grader.diagnosis import FROM_ERRORS

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT / "student_template"
LOCK = PROJECT / "requirements.lock"

# what the student receives from the template folder, and under which name
STUDENT_FILES = {
    "backprop.ipynb": "backprop.ipynb",
    "backprop.py": "backprop.py",
    "backprop_check.py": "backprop_check.py",
    "handout.mk": "Makefile",
    "HANDOUT.md": "README.md",
}
# the checker's packages (the engine, the reports, notebooks, the child's confinement), pinned from the lock
CHECKER_NEEDS = tuple(checker.PACKAGES.values())
NOTEBOOK_NEEDS = ("matplotlib",)  # what the hand-out's notebook imports besides numpy: its child runs it
# what only TAs and LMSs run: batches, LMS results, the command line, this builder
LEFT_OUT = {
    "__main__.py",
    "api.py",
    "autograder.py",
    "batch.py",
    "cli.py",
    "handout.py",
    "render/gradescope_report.py",
    "render/junit_report.py",
    "render/lms_text.py",
    "render/prairielearn_report.py",
    "render/summary.py",
    "render/templates/summary.html.j2",
}
SHIPPED_SUFFIXES = (".py", ".j2")
VISIBLE = "visible"


def build(output, rubric_path=None):
    """Writes the hand-out zip at `output`; returns its path."""
    files = {name: (TEMPLATE / source).read_bytes() for source, name in STUDENT_FILES.items()}
    files["requirements.txt"] = requirements(LOCK.read_text(encoding="utf-8"))
    files["constraints.txt"] = LOCK.read_bytes()
    files.update(engine_files())
    files["grader/recording.json"] = json.dumps(checker_data(rubric_path), separators=(",", ":")).encode()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_zip(output, files)
    return output


def checker_data(rubric_path=None, seed=None):
    """What the checker reads (grader.checker): the students' rubric and the recording, made on the
    inputs of `seed` (default: the rubric's handout_seed)."""
    path = Path(rubric_path or rubrics.DEFAULT_RUBRIC)
    data = rubrics.read(path)
    # the hand-out's training check runs from handout_start (see rubrics/backprop.yaml)
    data = {**data, "training": {**data["training"], "run_start": data["handout_start"]}}
    rubric = rubrics.build(data, path)
    seed = rubric.handout_seed if seed is None else seed
    visible = [check_id for check_id, spec in rubric.checks.items() if spec.visibility == VISIBLE]
    recording = expected.record(grading.Grader(rubric, seed=seed), visible)
    return {"rubric": students_rubric(data, visible, recording, seed), "recording": recording}


def students_rubric(data, visible, recording, seed):
    """The rubric as the checker reads it: the visible checks only, scored out of their points, on
    the inputs of `seed`, with the texts of the diagnoses they can name."""
    checks = {check_id: data["checks"][check_id] for check_id in visible}
    named = {mutant_id for check in recording["checks"].values() for mutant_id, _ in check["mutants"]}
    return {
        **data,
        "seed": seed,
        "total": sum(spec["points"] for spec in checks.values()),
        "checks": checks,
        "diagnoses": {d: text for d, text in data["diagnoses"].items() if d in named or d in FROM_ERRORS},
    }


def requirements(lock):
    """The checker's packages and the notebook's at the lock's versions; the lock itself constrains
    what they pull in."""
    pins = {
        line.split("==")[0].lower(): line for line in lock.splitlines() if "==" in line and not line.startswith("#")
    }
    lines = [pins[name.lower()] for name in CHECKER_NEEDS + NOTEBOOK_NEEDS] + ["-c constraints.txt"]
    return ("\n".join(lines) + "\n").encode()


def engine_files():
    """{path in the hand-out: bytes} of the grader's package, but for what only TAs and LMSs run."""
    package = PROJECT / "grader"
    return {
        f"grader/{relative}": path.read_bytes()
        for path in sorted(package.rglob("*"))
        if path.suffix in SHIPPED_SUFFIXES
        and "__pycache__" not in path.parts
        and (relative := path.relative_to(package).as_posix()) not in LEFT_OUT
    }


def write_zip(output, files):
    """The zip, with fixed dates so that the same sources make the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"handout/{name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, files[name])
    output.write_bytes(buffer.getvalue())
