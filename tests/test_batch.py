"""TA batch mode: `python -m grader batch DIR -o OUT` grades a folder of students into a gradebook,
one report per student and a cohort summary; it keeps what it did when interrupted, `--resume`
grades only what is missing, and the same folder gives the same gradebook.

The cohort (one folder of 38 mixed submissions, graded once per test session through the CLI and
shared by the pytest workers) is graded with rubrics/backprop.yaml whose limits are cut down, so
that the hostile submissions in it cost seconds, not minutes.
"""

import contextlib
import csv
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

import notebooks as nbs
from helpers import (
    CLI_TIMEOUT,
    CORRECT_STYLES,
    REFERENCE,
    ROOT,
    SUBMISSIONS,
    TESTS,
    markdown_html,
    marked_processes,
    reference_source,
    rubric_data,
    run_cli,
    sandbox_token,
    write_rubric,
    write_submission,
)
from grader.batch import find_students
from reference.mutants import MUTANTS

pytestmark = pytest.mark.slow  # batches of many students through the command line

HOSTILE = TESTS / "hostile"
LIMITS = {"check_seconds": 1, "cpu_seconds": 1, "load_seconds": 3, "notebook_seconds": 5}
LIMIT_DIAGNOSES = ("timeout", "memory-limit", "crash")
FORUM = sorted(SUBMISSIONS.glob("forum_*.py"))
# hostile file -> the diagnosis its row must list (None: it must list no limit at all)
HOSTILE_FILES = {
    "exp_backward_infinite_loop.py": "timeout",
    "os_exit_in_forward.py": "crash",
    "print_flood.py": None,
    "empty.py": None,
}
UNGRADABLE = "empty_folder"
JOBS = 2
HIDDEN = (".hidden_student.py", ".ipynb_checkpoints")


def cut_rubric(directory):
    """rubrics/backprop.yaml with short limits, in a folder of its own (it is made unreadable to the child)."""
    data = rubric_data()
    data["limits"].update(LIMITS)
    folder = Path(directory) / "rubric"
    folder.mkdir(parents=True, exist_ok=True)
    return write_rubric(folder, data)


def batch_cli(folder, out, rubric, *args, timeout=CLI_TIMEOUT):
    return run_cli("batch", folder, "-o", out, "--rubric", rubric, "--quiet", *args, timeout=timeout)


def gradebook(out):
    """(header, rows as dicts) of OUT/gradebook.csv."""
    with open(Path(out) / "gradebook.csv", newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def report(out, student):
    return json.loads((Path(out) / "reports" / f"{student}.json").read_text(encoding="utf-8"))


def listed(row):
    return row["diagnoses"].split()


# the cohort


def build_cohort(folder):
    """The submissions, one entry per student; returns {student id: what it is}."""
    folder.mkdir(parents=True)
    students = {}

    def add(name, text, what):
        (folder / name).write_text(text, encoding="utf-8")
        students[name.rsplit(".", 1)[0]] = what

    add("reference.py", REFERENCE.read_text(encoding="utf-8"), "reference")
    for path in CORRECT_STYLES:
        add(path.name, path.read_text(encoding="utf-8"), "correct")
    for mutant in MUTANTS:  # names such as "loop-order (never calls backward)": spaces and brackets in an id
        add(f"{mutant.name}.py", mutant.source(), f"mutant:{mutant.id}")
    for path in FORUM:
        add(path.name, path.read_text(encoding="utf-8"), "forum")
    for name in HOSTILE_FILES:
        add(f"hostile_{name}", (HOSTILE / name).read_text(encoding="utf-8"), f"hostile:{name}")

    nbs.write(nbs.filled(REFERENCE), folder / "nb_reference.ipynb")
    students["nb_reference"] = "correct"
    # its compute_loss(self, y, y_est) is wrong for a loop that passes the target first, as it does here
    nbs.write(
        nbs.filled(SUBMISSIONS / "forum_loss_grad_sign.py", loop_body=nbs.SWAPPED_LOSS_ARGS_LOOP),
        folder / "nb_forum_loss_grad_sign.ipynb",
    )
    students["nb_forum_loss_grad_sign"] = "mutant:loss-grad-sign"

    # a zip holding a folder holding a mutant's .py, and a folder holding the reference notebook and data
    mutant = next(m for m in MUTANTS if m.id == "step-ascent")
    with zipfile.ZipFile(folder / "zipped_student.zip", "w") as archive:
        archive.writestr("homework/backprop.py", mutant.source())
        archive.writestr("homework/README.txt", "my homework\n")
    students["zipped_student"] = "mutant:step-ascent"
    shutil.copytree(nbs.NOTEBOOKS / "folder_submission", folder / "folder_student")
    students["folder_student"] = "correct"

    (folder / UNGRADABLE).mkdir()
    students[UNGRADABLE] = "ungradable"

    # what is not a student
    (folder / HIDDEN[0]).write_text("raise SystemExit('a hidden file is no student')\n", encoding="utf-8")
    (folder / HIDDEN[1]).mkdir()
    (folder / HIDDEN[1] / "backprop.ipynb").write_text("{}", encoding="utf-8")
    return students


@dataclass
class Cohort:
    folder: Path
    out: Path
    rubric: Path
    students: dict  # id -> "reference", "correct", "forum", "mutant:<id>", "hostile:<file>", "ungradable"
    returncode: int
    stderr: str
    seconds: float

    def of_kind(self, prefix):
        return [s for s, what in self.students.items() if what.startswith(prefix)]


@contextlib.contextmanager
def locked(path):
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def cohort(tmp_path_factory):
    """The cohort graded once per session: the pytest workers share it (the first builds it, under a lock)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = tmp_path_factory.getbasetemp().parent / "batch-cohort"  # the session's folder, shared
    else:
        root = tmp_path_factory.mktemp("batch-cohort")
    root.mkdir(exist_ok=True)
    with locked(root.parent / f"{root.name}.lock"):
        record = root / "record.json"
        if not record.exists():
            folder, out = root / "submissions", root / "out"
            students = build_cohort(folder)
            rubric = cut_rubric(root)
            start = time.monotonic()
            proc = batch_cli(folder, out, rubric)
            seconds = time.monotonic() - start
            record.write_text(
                json.dumps(
                    {"students": students, "returncode": proc.returncode, "stderr": proc.stderr, "seconds": seconds}
                ),
                encoding="utf-8",
            )
        saved = json.loads(record.read_text(encoding="utf-8"))
    return Cohort(
        root / "submissions",
        root / "out",
        root / "rubric" / "rubric.yaml",
        saved["students"],
        saved["returncode"],
        saved["stderr"],
        saved["seconds"],
    )


@pytest.fixture(scope="session")
def book(cohort):
    assert cohort.returncode == 0, f"exit {cohort.returncode}\n{cohort.stderr[-3000:]}"
    header, rows = gradebook(cohort.out)
    return header, {row["student"]: row for row in rows}


# the gradebook


def test_the_cohort_is_big_and_mixed(cohort):
    assert len(cohort.students) >= 30
    kinds = {what.split(":")[0] for what in cohort.students.values()}
    assert kinds == {"reference", "correct", "mutant", "forum", "hostile", "ungradable"}


def test_the_gradebook_has_one_row_per_student_with_the_rubrics_columns(cohort, book):
    header, rows = book
    check_ids = list(rubric_data()["checks"])
    assert header == ["student", "total", "max", *check_ids, "diagnoses", "problem"]
    _, in_order = gradebook(cohort.out)
    ids = [row["student"] for row in in_order]
    assert len(ids) == len(set(ids)), "a student has several rows"
    assert set(ids) == set(cohort.students), (
        f"missing: {set(cohort.students) - set(ids)}; not students: {set(ids) - set(cohort.students)}"
    )


def test_two_submissions_of_one_name_are_two_students_with_reports_of_their_own(tmp_path):
    """ana.py and ana.ipynb, graded at the same time by two workers, once wrote the same report."""
    for name in ("ana.py", "ana.ipynb", "ana", "bo.py"):
        (tmp_path / name).mkdir() if "." not in name else (tmp_path / name).write_text("")
    assert [(s.id, s.path.name) for s in find_students(tmp_path)] == [
        ("ana", "ana"),
        ("ana.ipynb", "ana.ipynb"),
        ("ana.py", "ana.py"),
        ("bo", "bo.py"),
    ]


def test_the_gradebook_rows_are_sorted_by_student_id(cohort, book):
    # "composition-fixed-arity" comes before "composition-fixed-arity (forward only)", whose file
    # name "composition-fixed-arity (forward only).py" sorts before "composition-fixed-arity.py"
    ids = [row["student"] for row in gradebook(cohort.out)[1]]
    assert ids == sorted(ids), [(a, b) for a, b in zip(ids, sorted(ids)) if a != b][:3]


def test_hidden_entries_are_not_students(cohort, book):
    _, rows = book
    assert not [s for s in rows if s.startswith(".")]
    assert not [p.name for p in (cohort.out / "reports").iterdir() if p.name.startswith((".hidden", ".ipynb"))]


def test_totals_and_check_columns_equal_the_reports(cohort, book):
    header, rows = book
    check_ids = header[3:-2]
    for student, row in rows.items():
        data = report(cohort.out, student)
        assert float(row["total"]) == pytest.approx(data["score"]), student
        if student == UNGRADABLE:
            continue
        assert float(row["max"]) == pytest.approx(data["max_score"]) == 100, student
        points = {c["id"]: c["score"] for c in data["checks"]}
        assert set(points) == set(check_ids), student
        for check_id in check_ids:
            assert float(row[check_id]) == pytest.approx(points[check_id]), f"{student}: {check_id}"
        assert sum(float(row[c]) for c in check_ids) == pytest.approx(float(row["total"])), student
        assert listed(row) == [d["id"] for d in data["diagnoses"]], student
        assert row["problem"] == "", student


def test_every_gradable_student_has_a_json_and_an_html_report(cohort, book):
    _, rows = book
    for student in rows:
        assert (cohort.out / "reports" / f"{student}.json").is_file(), student
        if student != UNGRADABLE:
            html = (cohort.out / "reports" / f"{student}.html").read_text(encoding="utf-8")
            assert html.lstrip().lower().startswith("<!doctype html"), student
    leftovers = [p.name for p in (cohort.out / "reports").iterdir() if p.suffix not in (".json", ".html")]
    assert leftovers == [], "scratch files left in reports/"


def test_correct_submissions_get_full_points(cohort, book):
    _, rows = book
    for student in cohort.of_kind("reference") + cohort.of_kind("correct"):
        assert float(rows[student]["total"]) == 100 and listed(rows[student]) == [], (student, rows[student])


def test_each_mutants_row_lists_its_id(cohort, book):
    _, rows = book
    mutants = cohort.of_kind("mutant")
    assert len(mutants) >= len(MUTANTS) + 2  # the catalogue, the forum notebook and the zip
    for student in mutants:
        expected = cohort.students[student].split(":", 1)[1]
        assert expected in listed(rows[student]), f"{student}: {rows[student]['diagnoses']!r}"
        assert float(rows[student]["total"]) < 100, student


def test_forum_rows_are_marked_down(cohort, book):
    _, rows = book
    for student in cohort.of_kind("forum"):
        assert float(rows[student]["total"]) < 100 and listed(rows[student]), student


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_rows(name, cohort, book):
    _, rows = book
    row = rows[f"hostile_{name[:-3]}"]
    expected = HOSTILE_FILES[name]
    if expected:
        assert expected in listed(row), row
        assert float(row["total"]) >= 50, row  # the hang or crash costs only the checks it touches
    else:
        assert not set(listed(row)) & set(LIMIT_DIAGNOSES), row
    if name == "print_flood.py":
        assert float(row["total"]) == 100, row
    if name == "empty.py":
        assert "missing-definition" in listed(row) and float(row["total"]) == 0, row
    assert row["problem"] == "", row


def test_the_ungradable_row_has_a_problem_and_no_points(cohort, book):
    _, rows = book
    row = rows[UNGRADABLE]
    assert row["problem"].strip(), row
    assert float(row["total"]) == 0 and listed(row) == [], row
    data = report(cohort.out, UNGRADABLE)
    assert data["score"] == 0 and data["problem"].strip(), data
    ungradable = [s for s, r in rows.items() if r["problem"]]
    assert ungradable == [UNGRADABLE], f"only the empty folder is ungradable: {ungradable}"


def test_a_grader_failure_on_one_student_is_recorded_on_its_row(tmp_path, monkeypatch):
    """A fault of the grader's own on one submission must not stop the batch (the other workers'
    students go on): grade_student writes that student's report with the problem, and says so."""
    from grader import batch

    class Failing:
        def grade(self, submission):
            raise RuntimeError("an unforeseen case")

    monkeypatch.setattr(batch, "_grader", Failing())
    (tmp_path / "reports").mkdir()
    student = batch.Student("s1", REFERENCE)
    student_id, entry = batch.grade_student(student, tmp_path)
    data = json.loads((tmp_path / "reports" / "s1.json").read_text(encoding="utf-8"))
    assert data["score"] == 0 and "RuntimeError: an unforeseen case" in data["problem"], data
    assert (student_id, entry) == ("s1", batch.entry(data))


# the summary


@dataclass
class Cell:
    text: str = ""
    links: list = field(default_factory=list)  # (text, href)


class SummaryPage(HTMLParser):
    """The summary as a reader sees it (summary.html, or summary.md rendered): under each h2 heading, its
    tables' rows (not the header) or its list's items, each a list of cells, a cell's text and links."""

    def __init__(self, page):
        super().__init__()
        self.sections, self.heading, self.rows = {}, None, None
        self.cell = self.link = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.heading = ""
        elif tag in ("tr", "li"):
            self.rows.append([])
        if tag in ("td", "li"):
            self.cell = Cell()
            self.rows[-1].append(self.cell)
        elif tag == "a" and self.cell:
            self.link = ["", dict(attrs)["href"]]

    def handle_endtag(self, tag):
        if tag == "h2":
            self.rows = self.sections[self.heading.strip()] = []
            self.heading = None
        elif tag == "a" and self.link:
            self.cell.links.append(tuple(self.link))
            self.link = None
        elif tag in ("td", "li"):
            self.cell = None
        elif tag == "tr" and not self.rows[-1]:
            self.rows.pop()  # the header row: its cells are <th>, the columns' names

    def handle_data(self, data):
        if self.heading is not None:
            self.heading += data
        if self.cell:
            self.cell.text += data
        if self.link:
            self.link[0] += data

    def table(self, heading):
        """{first cell's text: the row's cells} of the table under that heading."""
        return {row[0].text: row for row in self.sections[heading]}


SUMMARY_FILES = {"html": "summary.html", "markdown": "summary.md"}


def summary_page(out, kind):
    text = (Path(out) / SUMMARY_FILES[kind]).read_text(encoding="utf-8")
    return SummaryPage(text if kind == "html" else markdown_html(text))


def linked_students(cell):
    return [text for text, _ in cell.links]


def student_links(out, page):
    """{student id: the names of the reports its links open}, over every link of the page; each link must
    be percent-encoded, and open a report of the student it names, which exists."""
    links = {}
    for rows in page.sections.values():
        for cell in (cell for row in rows for cell in row):
            for text, href in cell.links:
                assert re.fullmatch(r"[A-Za-z0-9_.~/%-]+", href), f"{text!r} links to {href!r}, not percent-encoded"
                report = Path(out) / unquote(href)
                assert report.is_file(), f"{text!r} links to {href!r}: no such file"
                assert report.parent == Path(out) / "reports" and report.stem == text, (text, href)
                links.setdefault(text, set()).add(report.name)
    return links


def report_of(student, row):
    return f"{student}.json" if row["problem"] else f"{student}.html"


@pytest.mark.parametrize("kind", sorted(SUMMARY_FILES))
def test_every_student_named_in_the_summary_links_to_their_report(kind, cohort, book):
    _, rows = book
    links = student_links(cohort.out, summary_page(cohort.out, kind))
    assert links == {student: {report_of(student, row)} for student, row in rows.items()}


@pytest.mark.parametrize("kind", sorted(SUMMARY_FILES))
def test_the_summary_lists_under_each_diagnosis_the_students_whose_rows_list_it(kind, cohort, book):
    _, rows = book
    having = {}
    for student, row in rows.items():
        for diagnosis_id in listed(row):
            having.setdefault(diagnosis_id, set()).add(student)
    assert {"timeout", "crash", "missing-definition", "loss-grad-sign"} <= set(having)
    titles = {d: spec["title"] for d, spec in rubric_data()["diagnoses"].items()}
    table = summary_page(cohort.out, kind).table("Diagnoses")
    assert set(table) == set(having)
    for diagnosis_id, (_, title, count, who) in table.items():
        assert title.text == titles[diagnosis_id]
        assert sorted(linked_students(who)) == sorted(having[diagnosis_id]), diagnosis_id
        assert int(count.text) == len(having[diagnosis_id]), diagnosis_id


@pytest.mark.parametrize("kind", sorted(SUMMARY_FILES))
def test_the_summarys_table_of_students_has_each_graded_students_score_diagnoses_and_limits(kind, cohort, book):
    _, rows = book
    graded = {student: row for student, row in rows.items() if not row["problem"]}
    table = summary_page(cohort.out, kind).table("Students")
    assert set(table) == set(graded)
    for student, (name, score, diagnoses, limits) in table.items():
        row = graded[student]
        assert linked_students(name) == [student]
        assert float(score.text) == pytest.approx(float(row["total"])), student
        assert diagnoses.text.split() == sorted(set(listed(row))), student
        assert limits.text == ", ".join(d for d in sorted(set(listed(row))) if d in LIMIT_DIAGNOSES), student


@pytest.mark.parametrize("kind", sorted(SUMMARY_FILES))
def test_the_summary_names_the_students_whose_grading_hit_a_limit(kind, cohort, book):
    _, rows = book
    limited = {s for s, row in rows.items() if set(listed(row)) & set(LIMIT_DIAGNOSES)}
    assert {"hostile_exp_backward_infinite_loop", "hostile_os_exit_in_forward"} <= limited
    items = summary_page(cohort.out, kind).sections["Gradings that hit a limit"]
    assert sorted(student for [item] in items for student in linked_students(item)) == sorted(limited)


@pytest.fixture(scope="module")
def odd_batch(tmp_path_factory):
    """Student ids are file names: these hold HTML's and Markdown's specials, and a link's."""
    folder = tmp_path_factory.mktemp("odd-names") / "students"
    folder.mkdir()
    write_submission(folder, reference_source(), "a b<c>&#.py")
    write_submission(folder, next(m for m in MUTANTS if m.id == "step-ascent").source(), "[x](y) |*z*`.py")
    (folder / "none & <here>").mkdir()
    out = folder.parent / "out"
    proc = batch_cli(folder, out, cut_rubric(folder.parent))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.mark.parametrize("kind", sorted(SUMMARY_FILES))
def test_a_student_id_with_markup_and_link_characters_is_shown_and_linked_as_it_is(kind, odd_batch):
    page = summary_page(odd_batch, kind)
    assert student_links(odd_batch, page) == {
        "a b<c>&#": {"a b<c>&#.html"},
        "[x](y) |*z*`": {"[x](y) |*z*`.html"},
        "none & <here>": {"none & <here>.json"},
    }
    assert set(page.table("Students")) == {"a b<c>&#", "[x](y) |*z*`"}
    assert linked_students(page.table("Diagnoses")["step-ascent"][3]) == ["[x](y) |*z*`"]
    [[ungradable]] = page.sections["Could not be graded"]
    assert linked_students(ungradable) == ["none & <here>"] and ungradable.text.startswith("none & <here>: ")


def test_summary_html_draws_the_histogram_of_the_gradebooks_scores(cohort, book):
    html = (cohort.out / "summary.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "hostile_exp_backward_infinite_loop" in html
    header, rows = book
    scores = [float(row["total"]) for row in rows.values() if not row["problem"]]
    total = float(next(iter(rows.values()))["max"])
    counts = Counter(min(int(score // (total / 10)), 9) for score in scores)
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    bars = [
        (float(x), float(height))
        for x, height in re.findall(
            r'<rect x="([\d.]+)" y="[\d.]+" width="[\d.]+" '
            r'height="([\d.]+)" fill="#',
            svg,
        )
    ]
    assert len(bars) == len(counts) and 'aria-label="histogram of the scores"' in svg
    tallest = max(height for _, height in bars)
    assert [round(height / tallest * max(counts.values())) for _, height in sorted(bars)] == [
        counts[b] for b in sorted(counts)
    ]


# determinism


def test_a_second_run_gives_a_byte_identical_gradebook(cohort, book, tmp_path):
    proc = batch_cli(cohort.folder, tmp_path / "again", cohort.rubric)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = (cohort.out / "gradebook.csv").read_bytes()
    second = (tmp_path / "again" / "gradebook.csv").read_bytes()
    assert first == second, "\n".join(
        f"- {a}\n+ {b}" for a, b in zip(first.decode().splitlines(), second.decode().splitlines()) if a != b
    )


# usage errors


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "students").mkdir()
    assert run_cli("batch", tmp_path / "no-such-folder", "-o", tmp_path / "out").returncode == 2
    assert run_cli("batch", tmp_path / "students").returncode == 2  # no -o
    assert run_cli("batch", tmp_path / "students", "-o", tmp_path / "out", "--jobs", "two").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("checks: [\n", encoding="utf-8")
    assert run_cli("batch", tmp_path / "students", "-o", tmp_path / "out", "--rubric", bad).returncode == 2


# resume


def test_resume_grades_only_the_students_without_a_report(tmp_path):
    from grader.batch import run_batch

    folder = tmp_path / "students"
    folder.mkdir()
    for mutant in MUTANTS[:6]:
        (folder / f"{mutant.name}.py").write_text(mutant.source(), encoding="utf-8")
    shutil.copy(REFERENCE, folder / "reference.py")
    nbs.write(nbs.filled(SUBMISSIONS / "forum_mul_returns_grad_w.py"), folder / "notebook.ipynb")
    students = sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir())
    out, rubric = tmp_path / "out", cut_rubric(tmp_path)

    run_batch(folder, out, jobs=2, rubric_path=rubric)
    written = ("gradebook.csv", "summary.md", "summary.html")  # from this run's gradings, as they came back
    full = {name: (out / name).read_bytes() for name in written}
    assert [r["student"] for r in gradebook(out)[1]] == students
    removed = [students[1], "notebook"]
    for student in removed:
        (out / "reports" / f"{student}.json").unlink()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "reports").glob("*.json")}
    time.sleep(0.05)  # so that a rewritten report gets another mtime even on a coarse clock

    run_batch(folder, out, jobs=2, rubric_path=rubric, resume=True)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "reports").glob("*.json")}
    assert set(after) == {f"{s}.json" for s in students}
    rewritten = sorted(name for name in after if before.get(name) != after[name])
    assert rewritten == sorted(f"{s}.json" for s in removed), "--resume graded others than the missing ones"
    assert {name: (out / name).read_bytes() for name in written} == full  # mostly from the reports on disk


# interruption


def process_start(pid):
    """The start time of a process (to tell it from a later one with the same pid), or None when it
    is gone or has ended: a zombie handed to init (multiprocessing's resource tracker ends just
    after the batch that started it) runs nothing, and init reaps it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == "Z" else fields[19]


def descendants(pid):
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found += children
                pending += children
        except OSError:
            continue
    return found


def watch(process, seconds):
    """Polls the process tree of `process` for `seconds` (or until it ends): the processes and sandbox
    tokens seen, so that after the batch only those are looked for (other pytest workers grade too)."""
    seen, tokens = {}, set()
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        for pid in descendants(process.pid):
            start = process_start(pid)
            if start:
                seen[pid] = start
            token = sandbox_token(pid)
            if token:
                tokens.add(token)
        time.sleep(0.05)
    return seen, tokens


@pytest.fixture
def slow_folder(tmp_path):
    folder = tmp_path / "students"
    folder.mkdir()
    source = (HOSTILE / "import_infinite_loop.py").read_text(encoding="utf-8")
    for n in range(6):
        (folder / f"slow_{n}.py").write_text(source, encoding="utf-8")
    return folder


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
@pytest.mark.parametrize("target", ["process", "group"])
def test_an_interrupted_batch_keeps_what_it_did_and_resume_completes_it(target, slow_folder, tmp_path):
    """SIGINT to the batch process alone, or to its whole process group as Ctrl-C at a terminal does."""
    out, rubric = tmp_path / "out", cut_rubric(tmp_path)
    command = [
        sys.executable,
        "-m",
        "grader",
        "batch",
        slow_folder,
        "-o",
        out,
        "--rubric",
        rubric,
        "--quiet",
        "--jobs",
        JOBS,
    ]
    process = subprocess.Popen(
        list(map(str, command)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        seen, tokens = watch(process, 4)
        assert process.poll() is None, f"the batch ended before the interruption:\n{process.stderr.read()}"
        if target == "group":
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGINT)
        done_before = len(list((out / "reports").glob("*.json")))  # counted after: a report in between is not
        interrupted = time.monotonic()
        more_seen, more_tokens = watch(process, 30)
        seen.update(more_seen)
        tokens |= more_tokens
        _, stderr = process.communicate(timeout=5)
        drained = time.monotonic() - interrupted
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, f"exit {process.returncode}\n{stderr[-3000:]}"
    assert "Traceback" not in stderr, stderr[-3000:]
    assert tokens, "no sandbox was seen running"

    time.sleep(0.2)
    assert marked_processes(tokens) == [], "sandboxed processes outlived the interrupted batch"
    alive = [pid for pid, start in seen.items() if process_start(pid) == start]
    assert alive == [], f"processes of the batch still running: {alive}"

    header, rows = gradebook(out)
    assert header[:3] == ["student", "total", "max"] and header[-2:] == ["diagnoses", "problem"]
    done = sorted(p.name[:-5] for p in (out / "reports").glob("*.json"))
    assert [r["student"] for r in rows] == done, "the gradebook lacks students whose reports were written"
    started_after = len(done) - done_before - JOBS  # what was being graded may finish, nothing may start
    for row in rows:
        assert float(row["total"]) == 0 and "timeout" in listed(row), row
    assert not [p.name for p in (out / "reports").iterdir() if p.suffix not in (".json", ".html")]
    if target == "process":  # resuming is the same either way: once is enough
        resume_completes(slow_folder, out, rubric)
    assert started_after <= 0, (
        f"{done_before} reports at the interruption, {len(done)} after it: gradings "
        f"started after Ctrl-C (the batch took {drained:.1f} s to stop)"
    )


def resume_completes(slow_folder, out, rubric):
    before = {p.name: p.stat().st_mtime_ns for p in (out / "reports").glob("*.json")}
    proc = batch_cli(slow_folder, out, rubric, "--resume")
    assert proc.returncode == 0, proc.stderr[-3000:]
    header, rows = gradebook(out)
    assert [r["student"] for r in rows] == [f"slow_{n}" for n in range(6)]
    assert all("timeout" in listed(r) for r in rows), rows
    assert all((out / "reports" / name).stat().st_mtime_ns == mtime for name, mtime in before.items()), (
        "--resume graded again students done before the interruption"
    )


# one student's processes against another's

CLAIM = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); from grader.sandbox import claim_uid; "
    "print(claim_uid(), claim_uid(), flush=True); time.sleep(5)"
)


@pytest.mark.root(reason="children run as other users only when the grader is root")
def test_grader_processes_running_at_once_give_their_children_different_users():
    claimants = [
        subprocess.Popen([sys.executable, "-c", CLAIM, str(ROOT)], stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    try:
        claimed = [process.stdout.readline().split() for process in claimants]
    finally:
        for process in claimants:
            process.kill()
            process.wait()
    uids = [int(first) for first, again in claimed if first == again]  # a process keeps its user
    assert len(set(uids)) == 3 and 65534 not in uids, claimed


@pytest.mark.root(reason="children run as other users only when the grader is root")
def test_a_submission_killing_every_process_it_may_touches_no_other_students(tmp_path):
    """kill(-1) signals every process of the sender's user: a child sharing its user with the other
    worker's child would take that student's grading down with its own."""
    folder = tmp_path / "students"
    folder.mkdir()
    # the victim sleeps at import while the other worker grades the killers one after the other
    write_submission(folder, "import time\ntime.sleep(2)\n" + reference_source(), "a_victim.py")
    for n in range(4):
        write_submission(
            folder, "import os, signal\nos.kill(-1, signal.SIGKILL)\n" + reference_source(), f"b_killer_{n}.py"
        )
    out, rubric = tmp_path / "out", cut_rubric(tmp_path)
    proc = batch_cli(folder, out, rubric, "--jobs", JOBS)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {row["student"]: row for row in gradebook(out)[1]}
    assert rows["a_victim"]["total"] == rows["a_victim"]["max"], rows["a_victim"]
    # Linux spares the sender of kill(-1): alone with its user, a killer's own code earns its points
    assert len(rows) == 5 and all(row["total"] == row["max"] for row in rows.values()), rows


FORKS_COUNTED = """
import json, os, sys, threading
sys.path.insert(0, sys.argv[1])
from grader import batch

threads_at_fork, real_fork = [], os.fork


def fork():
    threads_at_fork.append(threading.active_count())
    return real_fork()


os.fork = fork
before = threading.active_count()
batch.run_batch(sys.argv[2], sys.argv[3], jobs=2, rubric_path=sys.argv[4], progress=True)
print(json.dumps({"before": before, "at_fork": threads_at_fork}))
"""


def test_a_batchs_workers_are_forked_before_it_starts_any_thread(tmp_path):
    """A fork copies the other threads' locks as they are, held ones included: the pool's and the
    progress bar's threads start once the workers are forked."""
    folder = tmp_path / "students"
    folder.mkdir()
    for n in range(3):
        write_submission(folder, reference_source(), f"s{n}.py")
    args = [str(ROOT), str(folder), str(tmp_path / "out"), str(cut_rubric(tmp_path))]
    done = subprocess.run(
        [sys.executable, "-c", FORKS_COUNTED, *args], capture_output=True, text=True, timeout=CLI_TIMEOUT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    counted = json.loads(done.stdout.splitlines()[-1])
    assert len(counted["at_fork"]) == 2 and set(counted["at_fork"]) == {counted["before"]}, counted
