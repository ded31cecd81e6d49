"""The sandboxed child: loads the submission, then answers the parent's scenarios one by one.

Runs in its own process, forked by `grader.zygote` for `grader.sandbox`. It imports nothing of
the reference: it only ever sees the inputs the parent sends, and sends back what the student's
code did.
Requests and answers are JSON lines on two pipes of their own, so whatever the student's
code prints (on stdout and stderr) never mixes with them.
"""

import json
import os
import sys
import types
import warnings

GRADER_FOLDER = os.path.dirname(os.path.abspath(__file__)) + os.sep


def main(config, request_fd, answer_fd):
    original = os.getpid()
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    answers = os.fdopen(answer_fd, "w", encoding="utf-8")
    path, limits = config["path"], config["limits"]
    source = read(path)
    from grader import confine, homework, scenario, wire

    notebook = path.endswith(".ipynb")
    confine.confine(
        limits,
        limits["notebook_seconds"] if notebook else limits["load_seconds"],
        config["uid"],
        config["workdir"],
        config["readable"],
    )
    cap_output(limits["output_kb"] * 1024)
    warnings.showwarning = shown_at_the_students_line(warnings.showwarning, path)
    silence_the_checker(homework.CHECKER)
    namespace = {"__name__": "submission", "__file__": path, "__builtins__": __builtins__}
    if isinstance(source, OSError):
        loaded = unparsed(wire.Raised("OSError", f"cannot read the submission: {source.strerror}"))
    else:
        loaded = (load_notebook if notebook else load)(path, source, namespace, config)
    answer(answers, original, {"ready": True, "definitions": scenario.definitions(namespace), **loaded})
    for line in requests:
        confine.allow_cpu(limits["cpu_seconds"])
        try:
            request = json.loads(line)
            ops, order, snapshots = request["ops"], request.get("loss_order"), request.get("snapshots", True)
            message = {"records": scenario.run(namespace, ops, path, order, snapshots)}
        except Exception as error:  # noqa: BLE001  (the submission broke the interpreter itself, e.g. patched numpy)
            message = {"broken": f"{type(error).__name__}: {error}"[:500]}
        answer(answers, original, message)


def silence_the_checker(name):
    """The hand-out's notebook calls its checker (`check()`) after each exercise: in a grading those
    calls do nothing, whether or not the checker is installed (the child is the grading)."""
    checker = types.ModuleType(name)
    checker.check = lambda *names, **options: None
    sys.modules[name] = checker


def answer(stream, original, message):
    """Only the child itself answers: a copy the submission forked leaves without a word."""
    if os.getpid() != original:
        os._exit(0)
    stream.write(json.dumps(message) + "\n")
    stream.flush()


class CappedStream:
    """stdout or stderr that passes on the first `cap` characters and drops the rest on the spot,
    so printing in a loop costs the submission nothing but its own time."""

    def __init__(self, stream, cap):
        self.stream, self.room = stream, cap

    def write(self, text):
        if self.room > 0:
            self.stream.write(text[: self.room])
            self.room -= len(text[: self.room])
            if self.room <= 0:
                self.stream.write("\n[… output cut at the limit]\n")
        return len(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def cap_output(cap):
    sys.stdout, sys.stderr = CappedStream(sys.stdout, cap), CappedStream(sys.stderr, cap)


def shown_at_the_students_line(show, path):
    """A warning the student's method raises for its caller (stacklevel=2) would name the grader's
    line that called it (the loop watch sits between the student's loop and the method): it is
    shown at the student's line the call came from, as a run of the student's own file shows it."""

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if filename.startswith(GRADER_FOLDER):
            filename, lineno = students_caller(filename, lineno, path)
            line = None
        return show(message, category, filename, lineno, file, line)

    return showwarning


def students_caller(filename, lineno, path):
    """(file, line) of the nearest frame of the submission (its file, or a notebook cell) beyond the
    grader's frame at filename:lineno; the submission's frame that warned, when only the grader
    called it (the parent's scenarios)."""
    places, frame = [], sys._getframe(1)  # (file, line) of each frame, from the innermost outwards
    while frame:
        places.append((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    if (filename, lineno) not in places:
        return filename, lineno
    at = places.index((filename, lineno))
    students = [i for i, (file, _) in enumerate(places) if file == path or file.startswith("<cell ")]
    callers, warned = [i for i in students if i > at], [i for i in students if i < at]
    return places[callers[0]] if callers else places[warned[-1]] if warned else (filename, lineno)


MAX_PROBLEMS = 20

# imported by the zygote, before its children drop their privileges: the unprivileged user may not
# be able to read the interpreter's library, and numpy loads some submodules lazily
PRELOAD = (
    "numpy",
    "numpy.random",
    "numpy.linalg",
    "grader.scenario",
    "grader.confine",
    "grader.notebook",
    "landlockpy",
    "json",
    "ast",
    "tokenize",
    "io",
    "math",
    "random",
    "functools",
    "itertools",
    "collections",
    "copy",
    "typing",
    "time",
    "traceback",
    "inspect",
)


def preload():
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)
    # landlockpy finds libc at its first call, by running ldconfig: once here, not in every child
    importlib.import_module("landlockpy").abi_version()


def read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        return error


def load(path, source, namespace, config):
    """Executes a .py submission statement by statement, like a notebook run with errors allowed:
    a failing `import torch` at the top costs what needs torch, not every definition after it."""
    import ast

    from grader import scenario, wire

    try:
        tree = ast.parse(decode(source), path)
    except SyntaxError as error:
        return unparsed(wire.Raised("SyntaxError", error.msg or "", error.lineno))
    except ValueError as error:
        return unparsed(wire.Raised("SyntaxError", str(error)[: wire.REPR_LIMIT]))
    problems = []
    for statement in tree.body:
        try:
            scenario.run_statement(statement, path, namespace)
        except scenario.CAUGHT as error:
            problems.append(scenario.Interpreter(namespace, path).raised(error, None))
    return {"unparsed": None, "problems": problems[:MAX_PROBLEMS], "notes": []}


def load_notebook(path, source, namespace, config):
    """Runs a notebook's code cells in order, errors allowed (see grader.notebook)."""
    from grader import notebook, wire

    try:
        limits = config["limits"]
        run = notebook.run_notebook(
            source,
            os.path.basename(path),
            namespace,
            limits["notebook_seconds"],
            config["seed"],
            limits["cell_seconds"],
        )
    except ValueError as error:  # not JSON (the parent checks notebooks first: a last resort)
        return unparsed(wire.Raised("SyntaxError", f"not a notebook: {error}"[: wire.REPR_LIMIT]))
    return {"unparsed": None, "problems": run.problems[:MAX_PROBLEMS], "notes": run.notes}


def unparsed(raised):
    from grader import wire

    return {"unparsed": wire.encode(raised), "problems": [], "notes": []}


def decode(source):
    """The source as text, strictly as Python reads a file (BOM and coding line honoured)."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    try:
        return source.decode(encoding)
    except UnicodeDecodeError as error:
        line = source[: error.start].count(b"\n") + 1
        raise SyntaxError(
            f"the file is not valid {encoding} text (byte 0x{source[error.start]:02x} "
            f"on line {line}); save it as UTF-8",
            ("", line, 0, ""),
        ) from None
