"""A submission as the parent sees it: which file to grade, and how to point at its lines."""
from dataclasses import dataclass
from pathlib import Path


class SubmissionError(Exception):
    """The submission cannot be graded at all (missing, unreadable, not a Python file)."""


@dataclass(frozen=True)
class Submission:
    path: Path
    given: str  # the path as the user gave it, for the report

    @property
    def name(self):
        return self.path.name

    def where(self, cell, line):
        """How a report points at a line: "backprop.py:27", or "backprop.ipynb, cell 7, line 3"."""
        if not line:
            return None
        return f"{self.name}, cell {cell}, line {line}" if cell else f"{self.name}:{line}"


def open_submission(path):
    resolved = Path(path)
    if not resolved.exists():
        raise SubmissionError(f"{path}: no such file")
    if resolved.is_dir():
        raise SubmissionError(f"{path}: is a directory; give the .py file to grade")
    try:
        with resolved.open("rb"):
            pass
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    return Submission(resolved.resolve(), str(path))
