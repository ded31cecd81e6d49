"""Fixtures and hooks of the grader's tests; the shared helpers are in helpers.py."""
import pytest

from helpers import reference_source


@pytest.fixture
def reference_src():
    return reference_source()
