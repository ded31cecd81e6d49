"""requirements.lock: one exact version of every package, agreeing with pyproject.toml's ranges,
and what `make install` installed (the LMS bundles install from the same file)."""

import importlib.metadata
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers import ROOT
from tools.lock import requirements

LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s=;]+)$")


def pins():
    lines = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    unpinned = [line for line in lines if not PIN.match(line)]
    assert not unpinned, f"lines of requirements.lock that are not name==version: {unpinned}"
    return {canonicalize_name(m[1]): m[2] for m in map(PIN.match, lines)}


def test_every_line_of_the_lock_pins_one_exact_version():
    lines = [line for line in LOCK.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    assert len(pins()) == len(lines), "a package pinned twice"


def test_everything_pyproject_asks_for_is_pinned_within_its_range():
    locked = pins()
    for text in requirements():
        wanted = Requirement(text)
        name = canonicalize_name(wanted.name)
        assert name in locked, f"{text} (pyproject.toml) is not in requirements.lock: run `make lock`"
        assert wanted.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside pyproject.toml's {text}: run `make lock`"
        )


def test_what_is_installed_is_what_the_lock_pins():
    locked = pins()
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    installed.pop("backprop-grader", None)
    differing = {
        name: (version, locked.get(name)) for name, version in installed.items() if locked.get(name) != version
    }
    assert not differing, (
        f"installed (version, locked version) that differ; `make install` installs from the lock: {differing}"
    )
