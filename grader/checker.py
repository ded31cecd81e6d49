"""The hand-out's checker: the grader's engine, on the student's machine, judging from a recording
of what the solution and its mutants do on the visible checks' inputs (grader.expected.Recording),
never from the solution itself (`make handout` writes the recording; grader.handout).

In a notebook, `check("a class")` after writing the class, or `check()` for every class defined so far,
grades the cells the kernel has run, in order, in a child process (a cell that hangs costs its time
limit, never the kernel). In the shell, `python -m backprop_check FILE` (the hand-out's `make grade`)
grades a file. Where there is no recording (this repository), the solution itself is used.
"""

import argparse
import functools
import html
import json
import sys
import tempfile
from pathlib import Path

from grader import homework

RECORDING = Path(__file__).with_name("recording.json")  # written into the hand-out's copy of the grader
SHELL_FORMATS = ("text", "markdown", "json", "html")
# what the checker imports (the engine, its reports, notebooks, the child's confinement): {module:
# the package that installs it}, the hand-out's requirements.txt (grader.handout) and its README
PACKAGES = {"numpy": "numpy", "nbformat": "nbformat", "rich": "rich", "jinja2": "Jinja2", "landlockpy": "landlockpy"}


class CheckerError(Exception):
    """A request the checker cannot answer (a name it does not know, a grading it cannot make): said in
    one sentence, which is all a notebook shows of it (IPython's `_render_traceback_`)."""

    def _render_traceback_(self):
        return [f"check: {self}"]


def supported():
    """The sandbox counts on Linux (/proc, prctl, fork): elsewhere, one sentence instead of a traceback."""
    if not sys.platform.startswith("linux"):
        raise CheckerError(f"the checker runs on Linux (or in WSL on Windows), not on {sys.platform} yet")


def require_packages():
    """Raises a CheckerError naming the checker's packages this Python lacks (a student's own Jupyter),
    before a grading would fail deep inside the engine or its fork server."""
    from importlib.util import find_spec

    absent = [package for module, package in PACKAGES.items() if find_spec(module) is None]
    if absent:
        raise CheckerError(
            f"this Python lacks {', '.join(absent)}, which the checker needs: in the hand-out's folder, "
            "`make install` (then use .venv/bin/python), or `python -m pip install -r requirements.txt` "
            "with the Python that runs your notebook"
        )


@functools.cache
def grader():
    from grader import rubric as rubrics
    from grader.grading import Grader
    from grader.zygote import Zygote

    Zygote.shared()  # started first: its Python and numpy load while the grader is made
    if not RECORDING.exists():
        return Grader(rubrics.load(), students_machine=True)
    return grader_of(json.loads(RECORDING.read_text(encoding="utf-8")))


def grader_of(data):
    """The grader of a hand-out's data (grader.handout.checker_data): its rubric, its recording."""
    from grader import rubric as rubrics
    from grader.expected import Recording
    from grader.grading import Grader

    rubric = rubrics.build(data["rubric"], "the hand-out's rubric")
    return Grader(rubric, expected=Recording(data["recording"]), students_machine=True)


def groups():
    """{what `check` takes (a class, or "training"): the ids of its checks}, in the rubric's order."""
    found = {}
    for check_id in grader().rubric.checks:
        found.setdefault(check_id.split(".")[0], []).append(check_id)
    return found


TAKES = f"check takes the names of the exercise's classes, as check({homework.MODEL[-1]!r})"


def kernel():
    """The notebook's IPython shell, or None (a plain Python, or no IPython at all)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def names_of(given):
    """The names of what `check` was given: names, the classes themselves (check(a_class) for
    check("a_class")), or lists of either (check(["a_class", "another"]))."""
    names = []
    for item in given:
        if isinstance(item, (list, tuple)):
            names += names_of(item)
        elif isinstance(item, str):
            names.append(item)
        elif isinstance(item, type):
            names.append(item.__name__)
        else:
            raise CheckerError(f"check({item!r:.60}): {TAKES}")
    return names


def chosen(names, defined):
    """The ids of the checks of the classes named; with no name, of every class in `defined` (and of
    what needs them all, the training, once they all are)."""
    known = groups()
    unknown = [name for name in names if name not in known]
    if unknown:
        raise CheckerError(f"check({unknown[0]!r}): no such class or part; try one of {', '.join(map(repr, known))}")
    if not names:
        every_class = all(name in defined for name in homework.GRADED)
        names = [name for name in known if name in defined or (name not in homework.GRADED and every_class)]
    return [check_id for name in names for check_id in known[name]]


def grade_file(path, only=None):
    from grader.submission import open_submission

    with open_submission(path) as submission:
        return grader().grade(submission, only)


def grade_cells(sources, only):
    """The result of the cells run so far (`sources`: In [1], In [2], …), as one notebook whose cell n
    is In [n]; the report points at "In [n], line …"."""
    import nbformat

    from grader.submission import Submission

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    with tempfile.TemporaryDirectory(prefix="check-") as scratch:
        path = Path(scratch) / "notebook.ipynb"
        nbformat.write(notebook, str(path))
        submission = Submission(path, "the cells run so far", cell_name="In [{cell}]")
        return grader().grade(submission, only)


class Report:
    """A result as Jupyter shows it (the HTML report, in a frame of its own so its styles stay
    there) and as a terminal or a plain console shows it (the text report)."""

    def __init__(self, result):
        self.result = result

    def _repr_html_(self):
        from grader.render import render

        page = html.escape(render(self.result, "html"), quote=True)
        return f'<iframe srcdoc="{page}" style="width: 100%; height: 36em; border: 1px solid #ccc"></iframe>'

    def __repr__(self):
        from grader.render import render

        return render(self.result, "text")


def check(*names, **options):
    """Grades what this notebook's kernel has run so far: the checks of the classes named
    (check("the class")), or of every class defined so far (check()). What it cannot do, it says in
    one line (a CheckerError), never with a traceback."""
    shell = kernel()
    if shell is None:
        raise CheckerError("check() grades a notebook's cells: in the shell, run `make grade` instead")
    supported()
    if options:
        raise CheckerError(f"{TAKES}, not {next(iter(options))}=…")
    require_packages()
    only = chosen(names_of(names), shell.user_ns)
    if not only:
        raise CheckerError("nothing to check yet: check() checks the classes defined so far, and none is")
    try:
        return Report(grade_cells(cells_run(shell), only))
    except cannot_grade() as error:
        raise CheckerError(told(error)) from None
    except KeyboardInterrupt:
        raise CheckerError("stopped (the kernel was interrupted) before the report was made") from None


INTERRUPTED: set = set()  # the execution counts of the cells the student interrupted (watch_the_kernel)


def watch_the_kernel():
    """Notes, from now on, the cells the student interrupts (a loop that never ended): check() leaves
    them out, where replaying them would cost their time limit at every check and say "timeout" about
    code the student already stopped."""
    shell = kernel()
    events = getattr(shell, "events", None)
    if events is not None:
        events.register("post_run_cell", noted_if_interrupted)


def noted_if_interrupted(result):
    if isinstance(getattr(result, "error_in_exec", None), KeyboardInterrupt):
        INTERRUPTED.add(result.execution_count)


def cells_run(shell):
    """The sources of In [1], In [2], …, the interrupted ones left empty (so that In [n] stays cell n)."""
    sources = shell.history_manager.input_hist_raw[1:]
    return ["" if number in INTERRUPTED else source for number, source in enumerate(sources, start=1)]


def cannot_grade():
    """What a grading may end with that the student can only be told: a recording that does not fit
    the inputs this checker draws (an edited file, another numpy), a rubric or a submission it cannot
    read, a file it cannot write."""
    from grader.expected import RecordingError
    from grader.rubric import RubricError
    from grader.submission import SubmissionError

    return (RecordingError, RubricError, SubmissionError, OSError)


def told(error):
    """The one line a student reads of what the checker could not do."""
    from grader.expected import RecordingError

    if isinstance(error, RecordingError):
        return f"this hand-out's recording does not fit its checker ({error}): ask for the hand-out again"
    return str(error)


def main(argv=None):
    from grader.render import render

    parser = argparse.ArgumentParser(prog="python -m backprop_check", description="Checks your homework.")
    parser.add_argument("path", help="your backprop.py or backprop.ipynb")
    parser.add_argument("--format", choices=SHELL_FORMATS, default="text", help="report format (default: text)")
    args = parser.parse_args(argv)
    try:
        supported()
        require_packages()
        result = grade_file(args.path)
    except (CheckerError, *cannot_grade()) as error:
        print(f"check: {told(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("check: stopped (Ctrl-C) before the report was made", file=sys.stderr)
        return 130
    sys.stdout.write(render(result, args.format))
    return 0
