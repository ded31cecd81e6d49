"""Builds what a course uploads to its LMS, in dist/:

- autograder.zip, for Gradescope: setup.sh, run_autograder and the grader at the zip's root, as
  Gradescope unpacks it into /autograder/source;
- prairielearn/, for a PrairieLearn course: serverFilesCourse/backprop_grader/ (the grader and its
  entrypoint), questions/backprop/ (an example question) and image/ (the grading image's Dockerfile).

    python lms/build_bundle.py [DIST]      (default: dist/ at the project's root)

Only what grading needs goes in: not tests/ (its submissions include correct solutions), not .git.
Both hold the reference solution, so both are readable by their owner only.
"""

import shutil
import stat
import sys
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
LMS = PROJECT / "lms"
SOURCE = ("pyproject.toml", "README.md", "requirements.lock", "grader", "reference", "rubrics")
SKIPPED = ("__pycache__",)
PRIVATE_FILE, PRIVATE_FOLDER = 0o600, 0o700


def build(dist=PROJECT / "dist"):
    dist.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    return gradescope_zip(dist / "autograder.zip"), prairielearn_course(dist / "prairielearn")


def gradescope_zip(output):
    files = [(script, script.name) for script in sorted((LMS / "gradescope").iterdir())]
    files += [(path, name) for path, name in source_files()]
    output.unlink(missing_ok=True)
    output.touch(mode=PRIVATE_FILE)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path, name in files:
            add(bundle, path, name)
    return output


def prairielearn_course(output):
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(mode=PRIVATE_FOLDER)
    grader = output / "serverFilesCourse" / "backprop_grader"
    for path, name in [(LMS / "prairielearn" / "run_prairielearn", "run_prairielearn"), *source_files()]:
        copy(path, grader / name)
    for folder in ("questions", "image"):
        for path in sorted((LMS / "prairielearn" / folder).rglob("*")):
            if path.is_file():
                copy(path, output / path.relative_to(LMS / "prairielearn"))
    for name in ("requirements.lock", "pyproject.toml"):  # the image installs the locked dependencies
        copy(PROJECT / name, output / "image" / name)
    return output


def source_files():
    """(path, name in the bundle) of the grader's files."""
    for name in SOURCE:
        top = PROJECT / name
        paths = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file() and wanted(p))
        yield from ((path, path.relative_to(PROJECT).as_posix()) for path in paths)


def wanted(path):
    return not any(part.startswith(".") or part in SKIPPED for part in path.relative_to(PROJECT).parts)


def add(bundle, path, name):
    info = zipfile.ZipInfo.from_file(path, name)
    # modes normalised: a grader run as root leaves reference/ and the rubric unreadable to others,
    # and the bundle must not depend on that; executables stay executable (run_autograder, setup.sh)
    info.external_attr = (stat.S_IFREG | normal_mode(path)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, path.read_bytes())


def copy(path, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(path.read_bytes())
    target.chmod(normal_mode(path))


def normal_mode(path):
    return 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644


if __name__ == "__main__":
    for built in build(Path(sys.argv[1])) if len(sys.argv) > 1 else build():
        print(f"built {built.relative_to(Path.cwd()) if built.is_relative_to(Path.cwd()) else built}")
