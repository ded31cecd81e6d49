"""Report formats: each renders the one GradeResult to a string (principle 6)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the results module imports numpy; an LMS's failure report renders without it
    from grader.results import GradeResult

FORMATS = ("text", "json", "markdown", "html", "junit", "gradescope", "prairielearn")


def render(result: GradeResult, fmt: str) -> str:
    """The report in format `fmt`: the module grader/render/<fmt>_report.py renders it."""
    return importlib.import_module(f"grader.render.{fmt}_report").render(result)
