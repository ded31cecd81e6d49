"""Re-resolves requirements.lock: every package the project installs, pinned to one exact version.

    python tools/lock.py [PYTHON]     (default: python3.10, the oldest Python the lock serves)

The lock is a pip constraints file: `make install` (the project with its test extra), Gradescope's
setup.sh and the PrairieLearn image (the project alone) each install what they need, all at the
versions written here, whatever the index holds on the day. It is resolved with the oldest Python
the project supports, so that no pin needs a newer one; tests/test_lock.py checks that it agrees
with pyproject.toml and with what is installed.
"""

import json
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency reads TOML there
    import tomli as tomllib

PROJECT = Path(__file__).resolve().parent.parent
LOCK = PROJECT / "requirements.lock"
HEADER = """\
# Exact versions of everything backprop-grader installs (a pip constraints file), resolved by
# tools/lock.py for the oldest supported Python and installable on the newer ones.
# Used by `make install`, the Gradescope bundle's setup.sh and the PrairieLearn image.
"""


def requirements(pyproject=PROJECT / "pyproject.toml"):
    """What the project asks for: its build backend, its dependencies, its extras, and pip itself."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    extras = data["project"].get("optional-dependencies", {}).values()
    return ["pip", *data["build-system"]["requires"], *data["project"]["dependencies"], *(r for e in extras for r in e)]


def resolve(python, wanted):
    report = subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--ignore-installed",
            "--only-binary=:all:",
            "--report",
            "-",
            *wanted,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted((item["metadata"]["name"], item["metadata"]["version"]) for item in json.loads(report)["install"])


def main(python="python3.10"):
    pins = resolve(python, requirements())
    LOCK.write_text(HEADER + "".join(f"{name}=={version}\n" for name, version in pins), encoding="utf-8")
    print(f"wrote {len(pins)} pins to {LOCK.relative_to(PROJECT)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
