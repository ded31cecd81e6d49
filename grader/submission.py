"""A submission as the parent sees it: which file to grade, and how to point at its lines.

A submission is a .py file, a .ipynb notebook, or a folder or .zip holding exactly one of them
(anywhere inside), as LMSs export them.
"""

import contextlib
import errno
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

SOURCES = (".py", ".ipynb")
IGNORED = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")  # what exports and editors add
MAX_SUBMISSION_BYTES = 50 * 1024 * 1024  # a notebook with its outputs; the zip's member too
A_LINK = "a symbolic link; hand in the file itself"


class SubmissionError(Exception):
    """The submission cannot be graded at all: missing, unreadable, no or several candidates."""


@dataclass(frozen=True)
class Submission:
    path: Path  # the file graded
    given: str  # the path as the user gave it, for the report
    cell_name: str = "{name}, cell {cell}"  # how a report names a notebook's cell (the checker: "In [7]")

    @property
    def name(self):
        return self.path.name

    @property
    def is_notebook(self):
        return self.path.suffix == ".ipynb"

    def where(self, cell, line):
        """How a report points at a line: "backprop.py:27", "backprop.ipynb, cell 7, line 3"."""
        if cell:
            return self.cell_name.format(name=self.name, cell=cell) + (f", line {line}" if line else "")
        return f"{self.name}:{line}" if line else None


@contextlib.contextmanager
def open_submission(path):
    """The Submission to grade at `path`. What is graded is always the parent's own copy, in a folder
    removed afterwards: read without following links or blocking, a regular file only, and never
    larger than MAX_SUBMISSION_BYTES, so a link to the reference, a FIFO or a device is refused
    before the child exists, and the child reads only what the parent wrote."""
    given = Path(path)
    if not given.exists() and not given.is_symlink():
        raise SubmissionError(f"{path}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="submission-") as scratch:
        if given.is_symlink():
            raise SubmissionError(f"{path}: {A_LINK}")
        if given.is_dir():
            file = folder_candidate(path, given, Path(scratch))
        elif given.suffix == ".zip":
            file = unzip_candidate(path, copied(path, given, Path(scratch)), Path(scratch))
        elif given.suffix in SOURCES:
            file = copied(path, given, Path(scratch))
        else:
            raise SubmissionError(f"{path}: not a .py file, a .ipynb notebook, a folder or a .zip")
        if file.suffix == ".ipynb":
            check_notebook(path, file)
        yield Submission(file, str(path))


def is_candidate(relative, suffixes=SOURCES):
    parts = relative.parts
    return relative.suffix in suffixes and not any(p.startswith(".") or p in IGNORED for p in parts)


def folder_candidate(path, folder, scratch):
    """The folder's one .py or .ipynb; with none, the one inside its one .zip (an LMS may keep an
    uploaded archive as it was handed in). Links are not followed: one inside the folder is refused."""
    entries = list(walk(folder))
    candidates, archives = (
        [p for p in entries if is_candidate(p.relative_to(folder), suffixes)] for suffixes in (SOURCES, (".zip",))
    )
    if not candidates and len(archives) == 1:
        return unzip_candidate(path, copied(path, archives[0], scratch), scratch)
    return copied(path, only_candidate(path, candidates), scratch)


def walk(folder):
    """Every entry under `folder`, links included but never followed."""
    for top, folders, files in os.walk(folder, followlinks=False):
        yield from (Path(top) / name for name in files + [f for f in folders if (Path(top) / f).is_symlink()])


def only_candidate(path, candidates, name=str):
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise SubmissionError(f"{path}: no .py or .ipynb file to grade in it")
    found = ", ".join(sorted(name(c) for c in candidates))
    raise SubmissionError(f"{path}: several files to grade ({found}); keep exactly one .py or .ipynb")


def copied(path, file, scratch):
    """The parent's copy of `file` in `scratch`: its bytes read without following a link or waiting
    on a FIFO, from a regular file no larger than the limit."""
    try:
        handle = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        reason = A_LINK if error.errno == errno.ELOOP else error.strerror
        raise SubmissionError(f"{path}: cannot read {file.name} ({reason})") from None
    with os.fdopen(handle, "rb") as source:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise SubmissionError(f"{path}: {file.name} is not a regular file")
        content = source.read(MAX_SUBMISSION_BYTES + 1)
    refuse_larger(path, file.name, len(content))
    target = scratch / file.name
    target.write_bytes(content)
    return target


def refuse_larger(path, name, size):
    if size > MAX_SUBMISSION_BYTES:
        raise SubmissionError(f"{path}: {name} is larger than {MAX_SUBMISSION_BYTES >> 20} MB")


def unzip_candidate(path, archive, scratch):
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.infolist() if not m.is_dir() and is_candidate(Path(m.filename))]
            member = only_candidate(path, members, name=lambda m: m.filename)
            refuse_larger(path, member.filename, member.file_size)
            target = scratch / Path(member.filename).name
            target.write_bytes(zipped.read(member))
            return target
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionError(f"{path}: not a readable .zip ({error})") from None


def check_notebook(path, file):
    import nbformat  # only for notebooks: it takes a while to import

    try:
        nbformat.read(str(file), as_version=4)
    except Exception as error:  # noqa: BLE001  (nbformat raises many kinds: JSON, schema, encoding, version)
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise SubmissionError(f"{path}: not a valid Jupyter notebook ({reason})") from None
