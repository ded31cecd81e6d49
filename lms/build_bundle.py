"""Builds autograder.zip in Gradescope's layout: setup.sh and run_autograder at the zip's root, the
grader under source/ (what Gradescope unpacks to /autograder/source).

    python lms/build_bundle.py [OUTPUT]      (default: autograder.zip at the project's root)

Only what grading needs goes in: not tests/ (its submissions include correct solutions), not .git.
"""
import stat
import sys
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SCRIPTS = PROJECT / "lms" / "gradescope"  # setup.sh, run_autograder
SOURCE = ("pyproject.toml", "README.md", "grader", "reference", "rubrics")
SKIPPED = ("__pycache__",)


def build(output=PROJECT / "autograder.zip"):
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as bundle:
        for script in sorted(SCRIPTS.iterdir()):
            add(bundle, script, script.name)
        for path in source_files():
            add(bundle, path, f"source/{path.relative_to(PROJECT).as_posix()}")
    return output


def source_files():
    for name in SOURCE:
        top = PROJECT / name
        if top.is_file():
            yield top
        else:
            yield from sorted(p for p in top.rglob("*") if p.is_file() and wanted(p))


def wanted(path):
    return not any(part.startswith(".") or part in SKIPPED for part in path.relative_to(PROJECT).parts)


def add(bundle, path, name):
    info = zipfile.ZipInfo.from_file(path, name)
    # modes normalised: a grader run as root leaves reference/ and the rubric unreadable to others,
    # and the bundle must not depend on that; executables stay executable (run_autograder, setup.sh)
    info.external_attr = (stat.S_IFREG | normal_mode(path)) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, path.read_bytes())


def normal_mode(path):
    return 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644


if __name__ == "__main__":
    output = build(Path(sys.argv[1])) if len(sys.argv) > 1 else build()
    print(f"built {output}")
