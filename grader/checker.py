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


class CheckerError(Exception):
    """A request the checker cannot answer (a name it does not know): said in one sentence."""


def supported():
    """The sandbox counts on Linux (/proc, prctl, fork): elsewhere, one sentence instead of a traceback."""
    if not sys.platform.startswith("linux"):
        raise CheckerError(f"the checker runs on Linux (or in WSL on Windows), not on {sys.platform} yet")


@functools.cache
def grader():
    from grader import rubric as rubrics
    from grader.grading import Grader

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


def check(*names):
    """Grades what this notebook's kernel has run so far: the checks of the classes named
    (check("the class")), or of every class defined so far (check())."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise CheckerError("check() grades a notebook's cells: in the shell, run `make grade` instead")
    supported()
    only = chosen(list(names), shell.user_ns)
    return Report(grade_cells(shell.history_manager.input_hist_raw[1:], only))


def main(argv=None):
    from grader.expected import RecordingError
    from grader.render import render
    from grader.submission import SubmissionError

    parser = argparse.ArgumentParser(prog="python -m backprop_check", description="Checks your homework.")
    parser.add_argument("path", help="your backprop.py or backprop.ipynb")
    parser.add_argument("--format", choices=SHELL_FORMATS, default="text", help="report format (default: text)")
    args = parser.parse_args(argv)
    try:
        supported()
        result = grade_file(args.path)
    except RecordingError as error:
        print(
            f"check: this hand-out's recording does not fit its checker ({error}): ask for the hand-out again",
            file=sys.stderr,
        )
        return 2
    except (CheckerError, SubmissionError) as error:
        print(f"check: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render(result, args.format))
    return 0
