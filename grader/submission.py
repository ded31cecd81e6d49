"""A submission as the parent sees it: a path, and its source only to point at lines (principle 4)."""
import ast
from dataclasses import dataclass
from functools import cached_property
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

    def locate(self, subject):
        """'file:line' of a class's method ("my_exp.backward") or of a function ("train")."""
        line = self.definitions.get(subject) or self.definitions.get(subject.split(".")[0])
        return f"{self.name}:{line}" if line else None

    def at(self, line):
        return f"{self.name}:{line}" if line else None

    @cached_property
    def definitions(self):
        try:
            tree = ast.parse(self.path.read_bytes())
        except (SyntaxError, ValueError):
            return {}
        found = {}
        for node in tree.body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
                found[node.name] = node.lineno
            if isinstance(node, ast.ClassDef):
                found.update({f"{node.name}.{item.name}": item.lineno for item in node.body
                              if isinstance(item, ast.FunctionDef)})
        return found


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
