"""Fixtures and hooks of the grader's tests; the shared helpers are in helpers.py."""

import os

import pytest

from helpers import reference_source


def pytest_runtest_setup(item):
    """A test marked `root` means something only when the grader runs as root: skipped otherwise, saying why."""
    mark = item.get_closest_marker("root")
    if mark is not None and os.geteuid() != 0:
        pytest.skip(mark.kwargs.get("reason", "needs root"))


@pytest.fixture
def reference_src():
    return reference_source()
