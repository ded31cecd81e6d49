"""The parent's side of the child process that runs student code (DESIGN.md principles 1-3).

Everything that decides how student code is confined lives here: how the child is started,
what it may use, how long each request may take, and what happens when it dies.
"""
import json
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader import wire

GRADER_PARENT = str(Path(__file__).resolve().parent.parent)
BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from grader.child import main; main(sys.argv[2:])"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
OUTPUT_CAP = 64 * 1024


@dataclass(frozen=True)
class Limits:
    check_seconds: float = 5.0
    load_seconds: float = 10.0
    memory_mb: int = 1024  # address space of the child


@dataclass(frozen=True)
class Failure:
    """A request that got no answer: the child hung, died or hit a limit."""

    kind: str  # a diagnosis id: timeout, memory-limit or crash
    detail: str

    def __str__(self):
        return self.detail


class Sandbox:
    """One child at a time; a failed request kills it and the next request starts a fresh one."""

    def __init__(self, submission, limits=Limits()):
        self.submission = str(submission)
        self.limits = limits
        self.process = None
        self.load_error = None
        self.load_failure = None  # the child could not even load the submission: not worth retrying
        self.workdir = None
        self.loaded = False
        self.output = tempfile.TemporaryFile()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        self.workdir = tempfile.mkdtemp(prefix="grader-")
        to_child_read, self.to_child = os.pipe()
        self.from_child, from_child_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", BOOTSTRAP, GRADER_PARENT, os.path.abspath(self.submission),
             str(to_child_read), str(from_child_write)],
            pass_fds=(to_child_read, from_child_write), stdin=subprocess.DEVNULL,
            stdout=self.output, stderr=subprocess.STDOUT, cwd=self.workdir,
            env=child_environment(), start_new_session=True, preexec_fn=self.confine)
        os.close(to_child_read)
        os.close(from_child_write)
        self.pending = b""
        self.loaded = False

    def confine(self):
        """Runs in the child between fork and exec: limits that student code cannot lift."""
        memory = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    def ready(self):
        """Waits for the child to load the submission; returns a Failure or None."""
        if self.load_failure:
            return self.load_failure
        if self.process is None:
            self.start()
        if not self.loaded:
            answer = self.receive(self.limits.load_seconds)
            if isinstance(answer, Failure):
                self.load_failure = answer
                return self.fail(answer)
            self.load_error = answer.get("load_error") and wire.decode(answer["load_error"])
            self.loaded = True
        return None

    def run(self, ops, seconds=None):
        """Runs one scenario in the child; returns its records, or a Failure."""
        failure = self.ready()
        if failure:
            return failure
        try:
            os.write(self.to_child, (json.dumps({"ops": ops}) + "\n").encode())
        except BrokenPipeError:
            return self.fail(Failure("crash", "the process running the submission had exited"))
        answer = self.receive(seconds or self.limits.check_seconds)
        if isinstance(answer, Failure):
            return self.fail(answer)
        return answer["records"]

    def receive(self, seconds):
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(self.from_child, selectors.EVENT_READ)
            while b"\n" not in self.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    return Failure("timeout", f"no answer within {seconds:g} s")
                chunk = os.read(self.from_child, 1 << 16)
                if not chunk:
                    return self.death()
                self.pending += chunk
                if len(self.pending) > MAX_ANSWER_BYTES:
                    return Failure("crash", "the submission sent back an oversized answer")
        line, _, self.pending = self.pending.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError:
            return Failure("crash", "the submission corrupted the answer channel")

    def death(self):
        code = self.process.wait()
        if code < 0:
            return Failure("crash", f"the process was killed by signal {signal.Signals(-code).name}")
        return Failure("crash", f"the process exited with code {code}")

    def fail(self, failure):
        self.stop()
        return failure

    def stop(self):
        """Kills the child's whole process group, so nothing it started outlives the check."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
        for fd in (self.to_child, self.from_child):
            os.close(fd)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def captured_output(self):
        self.output.seek(0)
        return self.output.read(OUTPUT_CAP).decode("utf-8", "replace")

    def close(self):
        self.stop()
        self.output.close()


def child_environment():
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    return env
