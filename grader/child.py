"""The sandboxed child: loads the submission, then answers the parent's scenarios one by one.

Runs in its own process, started by `grader.sandbox`. It imports nothing of the reference:
it only ever sees the inputs the parent sends, and sends back what the student's code did.
Requests and answers are JSON lines on two pipes of their own, so whatever the student's
code prints (on stdout and stderr) never mixes with them.
"""
import json
import os
import sys


def main(argv):
    config, request_fd, answer_fd = json.loads(argv[0]), int(argv[1]), int(argv[2])
    original = os.getpid()
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    answers = os.fdopen(answer_fd, "w", encoding="utf-8")
    path, limits = config["path"], config["limits"]
    source = read(path)
    preload()
    from grader import confine, scenario

    confine.confine(limits)
    cap_output(limits["output_kb"] * 1024)
    namespace, load_error = load(path, source)
    answer(answers, original, {"ready": True, "load_error": load_error})
    for line in requests:
        confine.allow_cpu(limits["cpu_seconds"])
        try:
            message = {"records": scenario.run(namespace, json.loads(line)["ops"], source_path=path)}
        except Exception as error:  # the submission broke the interpreter itself (e.g. patched numpy)
            message = {"broken": f"{type(error).__name__}: {error}"[:500]}
        answer(answers, original, message)


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
            self.stream.write(text[:self.room])
            self.room -= len(text[:self.room])
            if self.room <= 0:
                self.stream.write("\n[… output cut at the limit]\n")
        return len(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def cap_output(cap):
    sys.stdout, sys.stderr = CappedStream(sys.stdout, cap), CappedStream(sys.stderr, cap)


# imported before the child drops its privileges: the unprivileged user may not be able to read
# the interpreter's library, and numpy loads some submodules lazily
PRELOAD = ("numpy", "numpy.random", "numpy.linalg", "grader.scenario", "grader.confine", "math", "random",
           "functools", "itertools", "collections", "copy", "typing", "time", "traceback", "inspect")


def preload():
    import importlib

    for module in PRELOAD:
        importlib.import_module(module)


def read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        return error


def load(path, source):
    """Executes the submission statement by statement, like a notebook run with errors allowed:
    a failing `import torch` at the top costs what needs torch, not every definition after it.
    Returns the namespace and the first error (None if none)."""
    import ast

    from grader import scenario, wire

    namespace = {"__name__": "submission", "__file__": path, "__builtins__": __builtins__}
    if isinstance(source, OSError):
        return namespace, wire.encode(wire.Raised("OSError", f"cannot read the submission: {source.strerror}"))
    try:
        tree = ast.parse(decode(source), path)
    except SyntaxError as error:
        return namespace, wire.encode(wire.Raised("SyntaxError", error.msg or "", error.lineno))
    except (UnicodeDecodeError, ValueError) as error:
        return namespace, wire.encode(wire.Raised("SyntaxError", str(error)[:wire.REPR_LIMIT]))
    first_error = None
    for statement in tree.body:
        try:
            exec(compile(ast.Module([statement], type_ignores=[]), path, "exec"), namespace)
        except scenario.CAUGHT as error:
            first_error = first_error or scenario.Interpreter(namespace, path).raised(error, None)
    return namespace, first_error


def decode(source):
    """The source as text, strictly as Python reads a file (BOM and coding line honoured)."""
    import io
    import tokenize

    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    try:
        return source.decode(encoding)
    except UnicodeDecodeError as error:
        line = source[:error.start].count(b"\n") + 1
        raise SyntaxError(f"the file is not valid {encoding} text (byte 0x{source[error.start]:02x} "
                          f"on line {line}); save it as UTF-8", ("", line, 0, "")) from None
