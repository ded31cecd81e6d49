"""Running a notebook's code cells inside the child, as Jupyter does with errors allowed.

A cell that does not parse, or raises, is recorded and the next cell runs; IPython magics and
shell lines are skipped with a note; the whole notebook runs under a time budget, so a slow
exploratory cell stops there without costing the definitions before it. Every composition is
watched as it trains (grader.loops); the exercise's loop (the first that trains a model built like
the hand-out's) decides which of several definitions of a class are graded: those it used.
Later cells (extensions, challenges) never change the grade.
"""

import ast
import json
import re
import signal
import time

import numpy as np

from grader import homework, loops, scenario, wire


PYTHON_CELL_MAGICS = ("time", "timeit", "capture", "prun")  # cell magics whose body is the cell's own Python
# lines that are IPython's, not Python's: a magic or a shell command (%time …, !pip …), help (np.exp?,
# ??np.exp), or either assigned (files = !ls, t = %timeit -o …)
IPYTHON_LINE = re.compile(r"\s*([%!]|\?{1,2}[\w.*]+\s*$|[\w.*]+\?{1,2}\s*$|[\w.\[\], ]+=\s*[%!])")


class OutOfTime(BaseException):
    """Raised in the notebook when its time budget runs out (a BaseException: `except Exception`
    in a cell does not swallow it)."""


def code_cells(source):
    """[(cell number counting every cell from 1, source)] of a notebook's code cells."""
    notebook = json.loads(source)
    cells = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            cells.append((number, "".join(source) if isinstance(source, list) else str(source)))
    return cells


class NotebookRun:
    def __init__(self, source, name, namespace, seconds, seed, cell_seconds=None):
        self.source, self.name, self.namespace, self.seconds, self.seed = source, name, namespace, seconds, seed
        self.cell_seconds = cell_seconds or seconds  # one cell's limit, within the notebook's
        self.problems = []  # encoded Raised of each cell that did not parse or raised
        self.failed = {}  # cell -> what it raised (the line may be in another cell, where a method is)
        self.notes = []
        self.watch = loops.LoopWatch()  # every composition built, and the calls on it
        self.recorders = {}  # the student's composition class -> its recording subclass
        self.before = {}  # cell -> the graded names' values when it started

    def run(self):
        np.random.seed(self.seed)
        deadline = time.monotonic() + self.seconds
        previous = signal.signal(signal.SIGALRM, out_of_time)
        try:
            for number, source in code_cells(self.source):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.notes.append(
                        f"{self.name}, cell {number} and those after it did not run: "
                        f"the notebook ran out of its {self.seconds:g} s"
                    )
                    break
                self.run_cell(number, source, min(remaining, self.cell_seconds))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        self.settle()

    def run_cell(self, number, source, seconds):
        self.watch.cell = number
        self.before[number] = {name: self.original(self.namespace.get(name)) for name in homework.GRADED}
        try:
            tree = ast.parse(self.without_magics(number, source), f"<cell {number}>")
        except SyntaxError as error:
            self.fail(number, wire.encode(wire.Raised("SyntaxError", error.msg or "", error.lineno, cell=number)))
            return
        except ValueError as error:  # a null byte: Python 3.11's parser says so with a ValueError
            self.fail(number, wire.encode(wire.Raised("SyntaxError", str(error), None, cell=number)))
            return
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            for statement in tree.body:  # one by one, so a composition class defined here is recorded below
                scenario.run_statement(statement, f"<cell {number}>", self.namespace)
                self.record_compositions()
        except OutOfTime:
            self.fail(number, wire.encode(wire.Raised("Timeout", self.stopped_because(seconds), cell=number)))
        except scenario.CAUGHT as error:
            self.fail(number, scenario.Interpreter(self.namespace, None).raised(error, None, cell=number))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def stopped_because(self, seconds):
        if seconds < self.cell_seconds:
            return f"the notebook ran out of its {self.seconds:g} s in this cell"
        return f"this cell ran past its limit of {self.cell_seconds:g} s (each cell has its own)"

    def fail(self, number, raised):
        self.problems.append(raised)
        self.failed[number] = raised

    def without_magics(self, number, source):
        """IPython magics, shell and help lines become comments (line numbers stay). A cell that parses as
        it is has none: its lines are Python's, even one that starts with % or != (an expression going
        on from the line before)."""
        try:
            ast.parse(source)
            return source
        except (SyntaxError, ValueError):  # ValueError: a null byte, which Python 3.11 reports so
            pass
        magic = source.lstrip().split(None, 1)[0] if source.lstrip().startswith("%%") else None
        if magic and magic[2:] not in PYTHON_CELL_MAGICS:
            self.notes.append(f"{self.name}, cell {number}: skipped, a cell magic ({source.strip().splitlines()[0]})")
            return ""
        lines = source.splitlines()
        if magic:  # %%time and the like run the cell's Python: the cell runs, once, without the magic
            first = next(i for i, line in enumerate(lines) if line.strip())
            lines[first] = "# " + lines[first]
        for i, line in enumerate(lines):
            if IPYTHON_LINE.match(line):
                self.notes.append(
                    f"{self.name}, cell {number}, line {i + 1}: skipped `{line.strip()}` (IPython, not Python)"
                )
                lines[i] = "# " + line
        return "\n".join(lines)

    def record_compositions(self):
        composition = self.namespace.get(homework.COMPOSITION)
        if isinstance(composition, type) and not hasattr(composition, "original"):
            if composition not in self.recorders:
                self.recorders[composition] = self.watch.recording(composition)
            self.namespace[homework.COMPOSITION] = self.recorders[composition]

    @staticmethod
    def original(value):
        return getattr(value, "original", value)

    def settle(self):
        """Puts the student's own classes back, the graded ones in place, and the loop's record."""
        for name in homework.GRADED:
            self.namespace[name] = self.original(self.namespace.get(name))
        model = self.watch.exercise()
        if model is None:
            self.notes.append(f"no cell trains a {homework.COMPOSITION}: graded the last definitions")
            self.namespace[scenario.NOTEBOOK_LOOP] = loops.record(
                None,
                self.namespace.get(homework.COMPOSITION),
                scenario.missing(f"no cell of the notebook builds and trains a {homework.COMPOSITION}"),
            )
            return
        cell = model.trained_in or model.built_in
        self.namespace.update({k: v for k, v in self.loop_classes(model).items() if v is not None})
        cells = ", ".join(f"{name} (cell {where})" for name, where in self.definition_cells().items())
        self.notes.append(f"graded the definitions in effect when cell {cell} trained: {cells}")
        self.note_later_training(model)
        self.namespace[scenario.NOTEBOOK_LOOP] = {
            **loops.record(model, self.namespace[homework.COMPOSITION], self.failed.get(cell)),
            "cell": cell,
        }

    def loop_classes(self, model):
        """The classes the exercise's loop used: its composition's and its layers', and for the
        rest those in effect when its model was built."""
        classes = dict(self.before[model.built_in]) if model.built_in in self.before else {}
        classes[homework.COMPOSITION] = self.original(type(model.instance))
        classes.update({used.__name__: used for used in model.layer_classes if used.__name__ in homework.GRADED})
        return classes

    def note_later_training(self, model):
        later = sorted(
            {
                log.trained_in
                for log in self.watch.models.values()
                if log is not model and log.trained and (log.trained_in or 0) > (model.trained_in or 0)
            }
        )
        if later:
            where = ", ".join(map(str, later))
            self.notes.append(
                f"cell{'s' if len(later) > 1 else ''} {where} trained another model after the "
                "exercise's loop: seen, not graded"
            )

    def definition_cells(self):
        """name -> the cell its graded class was defined in."""
        cells = {}
        for qualified, (cell, _) in scenario.definitions(self.namespace).items():
            cells.setdefault(qualified.split(".")[0], cell)
        return {name: cells[name] for name in homework.GRADED if name in cells}


def out_of_time(signum, frame):
    raise OutOfTime()


def run_notebook(source, name, namespace, seconds, seed, cell_seconds=None):
    run = NotebookRun(source, name, namespace, seconds, seed, cell_seconds)
    run.run()
    return run
