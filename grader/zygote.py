"""The fork server: a clean process that has imported numpy once, and forks the sandboxed child of
each submission from that state (a fork costs milliseconds; starting Python and numpy, 70 ms).

Started by `Zygote` (below, the grader's side of it), it runs as the grader's user but holds nothing of the grader's
secrets: it imports only what the child imports (no reference, no rubric), and each fork becomes
a child exactly as `grader.child` describes (own session, own workdir, own environment, its own
sandbox token) before the submission's first line runs.

Requests and replies are JSON datagrams on a Unix socket: {"spawn": {...}} with the child's four
pipe ends attached, answered {"pid": N}; when a child ends, {"exited": N, "code": C}, C as
subprocess.Popen.returncode gives it (negative: killed by that signal).
"""

import atexit
import ctypes
import gc
import importlib
import importlib.util
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from grader import child

MAX_MESSAGE_BYTES = 1 << 16
GRADER_PARENT = str(Path(__file__).resolve().parent.parent)
BOOTSTRAP = "import sys; sys.path.insert(0, sys.argv[1]); from grader.zygote import main; main(sys.argv[2:])"
TOKEN_VARIABLE = "BACKPROP_GRADER_SANDBOX"  # marks every process a child starts, to find them all
TOKEN_PLACEHOLDER = "0" * 32  # the zygote's value, as long as a token (uuid4().hex) that replaces it
# imported before the fork of the first submission that names matplotlib, once, for all the forks
# after it (a batch): the hand-out notebook plots with pyplot, whose import costs more than all the
# checks; a submission that does not use it never pays for it
PLOTTING = b"matplotlib"
PLOTTING_PRELOAD = ("matplotlib.pyplot",)
ENV_START = 47  # env_start (field 50 of /proc/PID/stat, counted after the command name): where the
# kernel reads /proc/PID/environ from


def main(argv):
    server = socket.socket(fileno=int(argv[0]))
    die_with_parent()
    child.preload()
    gc.freeze()  # the forks share these pages; the collector would otherwise copy them in each
    ForkServer(server).serve()


class ForkServer:
    """Answers the grader's requests and tells it when a child ends (through a pidfd per child)."""

    def __init__(self, server):
        self.server = server
        self.children = {}  # pidfd -> pid
        self.selector = selectors.DefaultSelector()
        self.selector.register(server, selectors.EVENT_READ)

    def serve(self):
        while True:
            for key, _ in self.selector.select():
                if key.fileobj is self.server:
                    self.answer()
                else:
                    self.report_end(key.fd)

    def answer(self):
        message, fds, _, _ = socket.recv_fds(self.server, MAX_MESSAGE_BYTES, 4)
        if not message:  # the grader is gone: so are the children it did not stop
            self.stop_all()
            os._exit(0)  # at once: the grader waits for this exit
        reply = spawn(json.loads(message)["spawn"], fds, self.server)
        if "pid" in reply:
            pidfd = os.pidfd_open(reply["pid"])
            self.children[pidfd] = reply["pid"]
            self.selector.register(pidfd, selectors.EVENT_READ)
        self.server.send(json.dumps(reply).encode())

    def report_end(self, pidfd):
        self.selector.unregister(pidfd)
        os.close(pidfd)
        pid = self.children.pop(pidfd)
        _, status = os.waitpid(pid, 0)
        self.server.send(json.dumps({"exited": pid, "code": os.waitstatus_to_exitcode(status)}).encode())

    def stop_all(self):
        for pid in self.children.values():
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            os.waitpid(pid, 0)


def spawn(request, fds, server):
    if PLOTTING_PRELOAD[0] not in sys.modules and names_plotting(request["config"]["path"]):
        preload_plotting()
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(become_child(request, fds, server))  # never returns: the finally is the zygote's
    except OSError as error:
        return {"error": str(error)}
    finally:
        for fd in fds:
            os.close(fd)
    return {"pid": pid}


def preload_plotting():
    """matplotlib imported and warmed up once for the forks to come, where it is installed (a
    hand-out's environment may lack it: the submission's own import then fails, in its cell)."""
    if importlib.util.find_spec(PLOTTING_PRELOAD[0].split(".")[0]) is None:
        return
    for module in PLOTTING_PRELOAD:
        importlib.import_module(module)
    warm_up_plotting()
    gc.freeze()


def warm_up_plotting():
    """One plot made and closed: what matplotlib loads and caches at its first plot (figure, axes,
    ticks, fonts) is then loaded once for every fork rather than in each; no figure is left open."""
    import matplotlib.pyplot

    matplotlib.pyplot.plot([0.0, 1.0])
    matplotlib.pyplot.close("all")


def names_plotting(path):
    """Whether the submission's text names matplotlib (the parent's own copy of it: a plain file)."""
    try:
        with open(path, "rb") as handle:
            return PLOTTING in handle.read()
    except OSError:
        return False


def become_child(request, fds, server):
    """In the fork: turns the zygote's copy into the submission's child (what subprocess.Popen
    with start_new_session, cwd, env and the pipes would have made), runs it, returns its exit code."""
    try:
        server.close()
        request_fd, answer_fd, stdout_fd, stderr_fd = fds
        os.setsid()
        os.chdir(request["workdir"])
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        close_all_but(0, 1, 2, request_fd, answer_fd)
        os.environ.clear()
        os.environ.update(request["env"])
        mark(request["env"][TOKEN_VARIABLE])
        sys.argv = [request["config"]["path"]]
        child.main(request["config"], request_fd, answer_fd)
        return 0
    except SystemExit as exit:
        return exit_code(exit)
    except BaseException:  # noqa: BLE001  (whatever ends the child's main, the fork reports it and exits)
        traceback.print_exc()
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001  (a stream the submission broke or closed: nothing more to say)
                pass


def close_all_but(*kept):
    """Closes every other descriptor: the zygote's socket and its other children's pidfds."""
    for fd in map(int, os.listdir("/proc/self/fd")):
        if fd not in kept:
            try:
                os.close(fd)
            except OSError:  # the descriptor listdir itself used
                pass


def exit_code(exit):
    """The process's exit code for a SystemExit, as the interpreter makes it."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code & 0xFF
    print(exit.code, file=sys.stderr)
    return 1


def mark(token):
    """Writes the child's token into the environment the kernel shows in /proc/PID/environ, over
    the zygote's placeholder of the same length: the grader finds every process of the sandbox by
    it, forks of the child included (programs it executes get it from os.environ)."""
    placeholder = f"{TOKEN_VARIABLE}={TOKEN_PLACEHOLDER}".encode()
    with open("/proc/self/environ", "rb") as handle:
        shown = b"\0" + handle.read()
    offset = shown.find(b"\0" + placeholder + b"\0")
    if offset < 0 or len(token) != len(TOKEN_PLACEHOLDER):
        raise RuntimeError("the zygote's environment has no placeholder for the sandbox token")
    with open("/proc/self/stat") as handle:
        env_start = int(handle.read().rsplit(")", 1)[1].split()[ENV_START])
    ctypes.memmove(env_start + offset + len(placeholder) - len(token), token.encode(), len(token))


def die_with_parent():
    """The zygote ends with the grader process that started it, even when that one is killed."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# the grader's side: imports neither numpy nor anything of the grader's, so a grading starts it first


class Zygote:
    """The grader process's fork server (grader.zygote), one per process, started by the first
    Grader or sandbox: each child is forked from it with numpy already imported, instead of
    starting Python anew."""

    _shared = None

    @classmethod
    def shared(cls):
        """This process's fork server, started at the first call. Not one a forked process inherits:
        its replies would go to whichever process reads the socket first."""
        if cls._shared is None or cls._shared.owner != os.getpid() or cls._shared.process.poll() is not None:
            cls._shared = cls()  # a submission may have killed the one before
        return cls._shared

    @classmethod
    def close_shared(cls):
        """Stops this process's fork server, for a process that ends without atexit (a forked worker)."""
        if cls._shared is not None and cls._shared.owner == os.getpid():
            cls._shared.close()

    def __init__(self):
        self.owner = os.getpid()
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # where matplotlib keeps its font cache, built once for every child
        self.configdir = tempfile.mkdtemp(prefix="grader-zygote-")
        os.chmod(self.configdir, 0o755)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-u", "-c", BOOTSTRAP, GRADER_PARENT, str(there.fileno())],
            pass_fds=(there.fileno(),),
            stdin=subprocess.DEVNULL,
            cwd=self.configdir,
            env=child_environment(TOKEN_PLACEHOLDER, self.configdir),
            start_new_session=True,
        )
        there.close()
        self.socket = here
        self.replies = selectors.DefaultSelector()
        self.replies.register(here, selectors.EVENT_READ)
        self.exits = {}  # pid -> exit code, of children that ended before anyone waited for them
        atexit.register(self.close)

    def spawn(self, request, fds):
        socket.send_fds(self.socket, [json.dumps({"spawn": request}).encode()], list(fds))
        reply = self.receive(None)
        while "exited" in reply:  # an earlier child's end, told before this answer
            reply = self.receive(None)
        if "pid" not in reply:
            raise OSError(f"the sandbox's child could not be started: {reply.get('error')}")
        return Forked(self, reply["pid"])

    def wait(self, pid, timeout=None):
        """The exit code of a child (as Popen.returncode), None if the zygote died before telling
        it; subprocess.TimeoutExpired past timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid not in self.exits:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise subprocess.TimeoutExpired(f"child {pid}", timeout)
            try:
                self.receive(remaining)
            except OSError:  # the orphaned child is the grader's now, reaped with the other orphans
                return None
        return self.exits.pop(pid)

    def receive(self, timeout):
        """The zygote's next reply ({} at the timeout); a child's exit code is kept for wait."""
        if not self.replies.select(timeout):
            return {}
        message = self.socket.recv(MAX_MESSAGE_BYTES)
        if not message:
            raise OSError("the sandbox's fork server died")
        reply = json.loads(message)
        if "exited" in reply:
            self.exits[reply["exited"]] = reply["code"]
        return reply

    def close(self):
        self.replies.close()
        self.socket.close()
        self.process.wait()
        shutil.rmtree(self.configdir, ignore_errors=True)


class Forked:
    """A child forked by the zygote, waited for through it (as subprocess.Popen would be)."""

    def __init__(self, zygote, pid):
        self.zygote, self.pid = zygote, pid
        self.returncode = None
        self.ended = False

    def wait(self, timeout=None):
        if not self.ended:
            self.returncode = self.zygote.wait(self.pid, timeout)
            self.ended = True
        return self.returncode


def child_environment(token, workdir):
    keep = ("PATH", "LANG", "LC_ALL", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        PYTHONHASHSEED="0",
        HOME=workdir,
        MPLBACKEND="Agg",
        MPLCONFIGDIR=os.path.join(workdir, ".matplotlib"),
        **{TOKEN_VARIABLE: token},
    )
    return env
