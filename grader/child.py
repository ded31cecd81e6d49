"""The sandboxed child: loads the submission, then answers the parent's scenarios one by one.

Runs in its own process, started by `grader.sandbox`. It imports nothing of the reference:
it only ever sees the inputs the parent sends, and sends back what the student's code did.
Requests and answers are JSON lines on two pipes of their own, so whatever the student's
code prints (on stdout and stderr) never mixes with them.
"""
import json
import os
import sys


def main(argv=None):
    path, request_fd, answer_fd = (argv or sys.argv[1:])[:3]
    requests = os.fdopen(int(request_fd), "r", encoding="utf-8")
    answers = os.fdopen(int(answer_fd), "w", encoding="utf-8")
    namespace, load_error = load(path)
    send(answers, {"ready": True, "load_error": load_error})
    from grader import scenario

    for line in requests:
        records = scenario.run(namespace, json.loads(line)["ops"], source_path=path)
        send(answers, {"records": records})


def load(path):
    """Executes the submission as a module; keeps what it defined before any error."""
    from grader import scenario, wire

    namespace = {"__name__": "submission", "__file__": path, "__builtins__": __builtins__}
    try:
        with open(path, "rb") as handle:
            code = compile(handle.read(), path, "exec")
    except SyntaxError as error:
        return namespace, wire.encode(wire.Raised("SyntaxError", error.msg or "", error.lineno))
    except (UnicodeDecodeError, ValueError) as error:
        return namespace, wire.encode(wire.Raised(type(error).__name__, str(error)[:wire.REPR_LIMIT]))
    try:
        exec(code, namespace)
    except scenario.CAUGHT as error:
        return namespace, scenario.Interpreter(namespace, path).raised(error, None)
    return namespace, None


def send(stream, message):
    stream.write(json.dumps(message) + "\n")
    stream.flush()


if __name__ == "__main__":
    main()
