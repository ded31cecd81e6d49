"""Gradescope's and PrairieLearn's steps, replayed in a folder of our own instead of /autograder and
/grade: what tests/test_lms_deploy.py checks and bench/lms_bench.py times.

Gradescope (its autograder specification): the zip is unpacked into ROOT/source, setup.sh is run
once as root, run_autograder is copied to ROOT and run from ROOT with no argument for each
submission, which is in ROOT/submission, and ROOT/results/results.json is read back.
PrairieLearn (its external grading docs): the course's serverFilesCourse entries are copied to
ROOT/serverFilesCourse, the files the student uploaded to ROOT/student, the question's data to
ROOT/data/data.json; the entrypoint is run, and ROOT/results/results.json is read back.
"""

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

SETUP_SECONDS = 900  # a cold pip cache downloads matplotlib and numpy
RUN_SECONDS = 300  # the LMS's own timeout is longer than the grader's total limit
# what a grading takes beyond the submission's own total_seconds (the rubric's limit): Python's start,
# the reference's and the mutants' runs, killing and reaping the children, the report
GRADER_OVERHEAD_SECONDS = 30


def unpack_gradescope(bundle, root):
    """ROOT/source from the zip (modes kept, as Gradescope's unzip does) and ROOT/run_autograder."""
    source = root / "source"
    with zipfile.ZipFile(bundle) as zipped:
        for member in zipped.infolist():
            path = Path(zipped.extract(member, source))
            path.chmod(member.external_attr >> 16 & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    return root


def setup_gradescope(root):
    """bash ROOT/source/setup.sh, as Gradescope runs it when it builds the image."""
    return subprocess.run(
        ["bash", str(root / "source" / "setup.sh")],
        env=lms_environment("AUTOGRADER_ROOT", root),
        capture_output=True,
        text=True,
        timeout=SETUP_SECONDS,
    )


def run_gradescope(root):
    """ROOT/run_autograder from ROOT with no argument; returns the process and results.json's text."""
    return run_and_read(root / "run_autograder", root, lms_environment("AUTOGRADER_ROOT", root))


def hand_in(folder, files):
    """The student's upload, as the LMS leaves it: `folder` holding exactly these (name, bytes) files."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, content in files:
        (folder / name).write_bytes(content)


def grading_options(course):
    """externalGradingOptions of the example question in the course folder `make bundle` wrote."""
    info = json.loads((course / "questions" / "backprop" / "info.json").read_text(encoding="utf-8"))
    return info["externalGradingOptions"]


def install_prairielearn(course, root):
    """ROOT/serverFilesCourse/ holding what the question's serverFilesCourse option lists."""
    for entry in grading_options(course)["serverFilesCourse"]:
        shutil.copytree(course / "serverFilesCourse" / entry, root / "serverFilesCourse" / entry)
    return root


def run_prairielearn(course, root, python_bin):
    """The question's entrypoint, with /grade read as ROOT, and the image's Python (here: python3 in
    `python_bin`) on PATH."""
    entrypoint = Path(grading_options(course)["entrypoint"])
    env = lms_environment("GRADE_ROOT", root)
    env["PATH"] = f"{python_bin}{os.pathsep}{env['PATH']}"
    return run_and_read(root / entrypoint.relative_to("/grade"), root, env)


def run_and_read(entrypoint, root, env):
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    proc = subprocess.run([str(entrypoint)], cwd=root, env=env, capture_output=True, text=True, timeout=RUN_SECONDS)
    return proc, results.read_text(encoding="utf-8") if results.exists() else None


def lms_environment(variable, root):
    """The LMS's environment: ours, less what would point the scripts elsewhere, with the root's variable."""
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOGRADER_PYTHON", "PYTHONPATH", "VIRTUAL_ENV")}
    env[variable] = str(root)
    return env
