"""TA batch runs: a folder of submissions to a gradebook, per-student reports and a summary.

Each entry of the folder is one student (a .py, .ipynb or .zip file, or a folder holding one).
Worker processes grade them in parallel, forked from the batch's process once it has read the
rubric and made what every grading reads (the reference's observations and training run, the
mutants'); every submission still runs in a sandboxed child of its own. Reports are written as each
student finishes, and the gradebook and the summary are built from what each grading sent back and,
for the students of earlier runs, from their reports on disk, so an interrupted batch keeps what it
did and `--resume` only grades what is missing.
"""

import csv
import gc
import itertools
import json
import multiprocessing
import multiprocessing.util
import signal
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from grader import grading, rubric as rubrics
from grader.diagnosis import LIMITS
from grader.files import write_replacing
from grader.render import render
from grader.sandbox import confinement_gaps
from grader.submission import IGNORED, SOURCES, SubmissionError, open_submission
from grader.zygote import Zygote

SUFFIXES = (*SOURCES, ".zip")


@dataclass(frozen=True)
class Student:
    id: str
    path: Path


def find_students(folder, out=None):
    """One student per entry of the folder: a submission file, or a folder holding one. A student's id
    is the file's name without its suffix, or the folder's name; the whole name when that is not
    unique (ana.py and ana.ipynb), since each id names the student's reports."""
    entries = [
        entry
        for entry in Path(folder).iterdir()
        if not (entry.name.startswith(".") or entry.name in IGNORED or out and entry.resolve() == Path(out).resolve())
        and (entry.is_dir() or entry.suffix in SUFFIXES)
    ]
    stems = Counter(entry.stem if entry.is_file() else entry.name for entry in entries)
    students = [
        Student(entry.stem if entry.is_file() and stems[entry.stem] == 1 else entry.name, entry) for entry in entries
    ]
    return sorted(students, key=lambda student: student.id)


def run_batch(folder, out, jobs=2, rubric_path=None, seed=None, resume=False, progress=False):
    """Grades the folder into `out`; returns how many were graded. Raises KeyboardInterrupt after
    writing the gradebook and summary of what finished, when interrupted."""
    rubric = rubrics.load(rubric_path)  # a bad rubric stops the batch before any work
    out = Path(out)
    for private in (out, out / "reports"):  # the reports name each student's bugs: the TA's only
        private.mkdir(mode=0o700, parents=True, exist_ok=True)
    students = find_students(folder, out)
    todo = [s for s in students if not (resume and report_path(out, s, "json").exists())]
    entries = {}  # student id -> its gradebook entry, as each grading of this run ends
    try:
        graded = grade_all(todo, out, jobs, rubric, seed, progress, entries)
    finally:
        done = reports(out, students, entries)
        write_gradebook(out, done, rubric)
        write_summary(out, done, rubric)
    return graded


def grade_all(todo, out, jobs, rubric, seed, progress, entries):
    if not todo:  # all graded before (--resume)
        return 0
    queue = iter(todo)
    grader = grading.Grader(rubric, seed)
    grader.prepare(mutants=True)  # here, once: the workers are forked with it made
    gc.freeze()  # the workers share these pages with this process: the collector would copy them in each
    # forked at the first submit, before any thread of this process (the pool's, the progress bar's)
    # has started: a thread's locks would be copied held
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=start_worker, initargs=(grader,)
    ) as pool:
        # no more in flight than workers: after Ctrl-C, only the gradings under way finish
        pending = {pool.submit(grade_student, student, out) for student in itertools.islice(queue, jobs)}
        gc.unfreeze()
        with Progress(len(todo), progress) as bar:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    student_id, entry = future.result()
                    entries[student_id] = entry
                    bar.advance(any(d["id"] in LIMITS for d in entry["diagnoses"]) or "problem" in entry)
                    pending |= {pool.submit(grade_student, student, out) for student in itertools.islice(queue, 1)}
    return len(todo)


# in the worker processes

_grader = None


def start_worker(grader):
    """A worker takes the grader its batch prepared, and starts a fork server of its own; Ctrl-C is the
    parent's to handle."""
    global _grader
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _grader = grader
    Zygote.shared()
    multiprocessing.util.Finalize(None, Zygote.close_shared, exitpriority=0)  # a forked worker ends without atexit


def grade_student(student, out):
    """Grades one student and writes its reports; returns (its id, its gradebook entry)."""
    try:
        with open_submission(student.path) as submission:
            result = _grader.grade(submission)
    except SubmissionError as error:
        return write_ungradable(out, student, error)
    except Exception as error:  # noqa: BLE001  (the grader's fault, on this submission only: its row says so)
        problem = f"the grader failed on it ({type(error).__name__}: {error}); grade it alone to see the traceback"
        return write_ungradable(out, student, problem)
    write_report(out, student, "html", render(result, "html"))
    write_report(out, student, "json", render(result, "json"))  # last: its presence means done
    return student.id, json.loads(json.dumps(entry(result.to_dict())))  # as read back from the report


def write_ungradable(out, student, problem):
    report = ungradable(student, problem)
    write_report(out, student, "json", json.dumps(report, indent=2) + "\n")
    return student.id, entry(report)


def ungradable(student, error):
    return {"submission": str(student.path), "score": 0.0, "checks": [], "diagnoses": [], "problem": str(error)}


def report_path(out, student, kind):
    return out / "reports" / f"{student.id}.{kind}"


def readable_report(student, report):
    """The path, from OUT (the summary's folder), of the report a TA opens: the HTML page, or the JSON that
    says why for a student who could not be graded (no page is written then; one left by an earlier run
    would be stale)."""
    kind = "json" if "problem" in report else "html"
    return report_path(Path(), student, kind).as_posix()


def write_report(out, student, kind, text):
    write_replacing(report_path(out, student, kind), text)  # whole or absent, even when the batch is interrupted


# gradebook and summary: from the gradings of this run, and the reports on disk of earlier ones


def reports(out, students, entries):
    """(student, gradebook entry) of every student with a report, in the folder's order: the entries
    of this run's gradings as they came back, the others read from the reports on disk (--resume)."""
    found = []
    for student in students:
        path = report_path(out, student, "json")
        if student.id in entries:
            found.append((student, entries[student.id]))
        elif path.exists():
            found.append((student, entry(json.loads(path.read_text(encoding="utf-8")))))
    return found


def entry(report):
    """What the gradebook and the summary read of a report: not its training runs, the bulk of it."""
    return {key: report[key] for key in ("score", "checks", "diagnoses", "problem") if key in report}


def write_gradebook(out, done, rubric):
    check_ids = list(rubric.checks)
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "max", *check_ids, "diagnoses", "problem"])
        for student, report in done:
            points = {check["id"]: check["score"] for check in report["checks"]}
            writer.writerow(
                [
                    student.id,
                    f"{report['score']:g}",
                    f"{rubric.total:g}",
                    *(f"{points.get(c, 0):g}" for c in check_ids),
                    " ".join(d["id"] for d in report["diagnoses"]),
                    report.get("problem", ""),
                ]
            )


def write_summary(out, done, rubric):
    from grader.render import summary

    links = {student.id: readable_report(student, report) for student, report in done}
    cohort = summary.Cohort.of(done, rubric, links, confinement_gaps())
    (out / "summary.md").write_text(summary.markdown(cohort), encoding="utf-8")
    (out / "summary.html").write_text(summary.html(cohort), encoding="utf-8")


class Progress:
    """Students done, failures so far and time left, on the terminal (rich); silent when off."""

    def __init__(self, total, shown):
        self.total, self.shown, self.failures = total, shown, 0

    def __enter__(self):
        if self.shown:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeRemainingColumn

            self.bar = Bar(
                TextColumn("grading"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failures]} failed"),
                TimeRemainingColumn(),
            )
            self.bar.start()
            self.task = self.bar.add_task("grading", total=self.total, failures=0)
        return self

    def advance(self, failed):
        self.failures += bool(failed)
        if self.shown:
            self.bar.update(self.task, advance=1, failures=self.failures)

    def __exit__(self, *exc):
        if self.shown:
            self.bar.stop()
