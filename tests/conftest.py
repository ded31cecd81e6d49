"""Fixtures and hooks of the grader's tests; the shared helpers are in helpers.py."""

import os
import sys
import types

import pytest

from helpers import Shell, reference_source, unpacked


def pytest_runtest_setup(item):
    """A test marked `root` means something only when the grader runs as root: skipped otherwise, saying why."""
    mark = item.get_closest_marker("root")
    if mark is not None and os.geteuid() != 0:
        pytest.skip(mark.kwargs.get("reason", "needs root"))


@pytest.fixture
def reference_src():
    return reference_source()


@pytest.fixture(scope="session")
def default_handout(tmp_path_factory):
    """The hand-out of the default rubric, built once per worker: ({name: bytes}, its unpacked folder)."""
    from grader import handout

    return unpacked(handout.build(tmp_path_factory.mktemp("handout") / "handout.zip"))


@pytest.fixture
def kernel(monkeypatch):
    """A stand-in for IPython in this process: kernel(*cells, defined=names) makes its shell, whose
    history is those cells and whose namespace holds those names."""
    from grader import checker

    state = {}
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: state.get("shell")
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(checker, "INTERRUPTED", set())

    def run(*cells, defined=()):
        state["shell"] = Shell(list(cells), dict.fromkeys(defined))
        return state["shell"]

    return run
