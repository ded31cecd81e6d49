"""The fork server (grader.zygote): each child is forked from a process that has imported numpy,
and must still be the sandbox's child DESIGN.md asks for (principle 1): nothing of the grader in
it, none of the zygote's descriptors, its own session, workdir and token; a zygote that dies is
replaced for the next grading."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REFERENCE, grade, reference_source, sandbox_token, summary, write_submission
from grader import rubric, sandbox as sandbox_module
from grader.zygote import TOKEN_PLACEHOLDER

PROBE = """
import os, sys
print("modules:", sorted(m for m in sys.modules if m.split(".")[0] in ("reference", "tests", "yaml", "rich")))
print("descriptors:", len(os.listdir("/proc/self/fd")) - 1)  # listdir's own not counted
print("session leader:", os.getsid(0) == os.getpid())
print("workdir:", os.getcwd() == os.environ["HOME"])
print("argv:", sys.argv == [__file__])
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    path = write_submission(tmp_path_factory.mktemp("probe"), PROBE + reference_source())
    result = grade(path)
    assert result.score == result.max_score, summary(result)
    return dict(re.findall(r"^([a-z ]+): (.*)$", result.output, re.MULTILINE))


def test_the_child_holds_no_module_of_the_grader_beyond_its_own(probed):
    assert probed["modules"] == "[]"


def test_the_child_has_only_its_standard_streams_and_two_pipes(probed):
    assert probed["descriptors"] == "5"


def test_the_child_leads_its_own_session_in_its_workdir_run_as_its_file(probed):
    assert (probed["session leader"], probed["workdir"], probed["argv"]) == ("True", "True", "True")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_the_child_carries_its_sandbox_token_not_the_zygotes():
    with sandbox_module.Sandbox(str(REFERENCE), rubric.load(None).limits) as sandbox:
        assert sandbox.ready() is None
        assert sandbox_token(sandbox.process.pid) == sandbox.token != TOKEN_PLACEHOLDER


def test_the_zygote_is_not_taken_for_a_sandboxed_process():
    zygote = sandbox_module.Zygote.shared()
    assert sandbox_token(zygote.process.pid) is None


def test_a_dead_zygote_is_replaced_for_the_next_grading():
    first = grade(REFERENCE)
    zygote = sandbox_module.Zygote.shared()
    zygote.process.kill()
    zygote.process.wait()
    second = grade(REFERENCE)
    assert sandbox_module.Zygote.shared() is not zygote
    assert second.score == first.score == first.max_score, summary(second)


@pytest.mark.root(reason="the child runs as another user only when the grader is root")
def test_the_child_cannot_signal_its_zygote(tmp_path):
    source = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + reference_source()
    before = sandbox_module.Zygote.shared()
    result = grade(write_submission(tmp_path, source))
    assert "PermissionError" in " ".join(result.notes), summary(result)
    assert before.process.poll() is None and sandbox_module.Zygote.shared() is before
    assert Path(f"/proc/{before.process.pid}").exists()


def test_a_notebook_naming_matplotlib_where_it_is_not_installed_leaves_the_fork_server_alive(monkeypatch):
    """A hand-out's environment may lack matplotlib: the preload is skipped, and the submission's own
    import fails in its cell instead of the fork server dying."""
    from grader import zygote

    monkeypatch.setattr(zygote, "PLOTTING_PRELOAD", ("no_such_plotting_package.pyplot",))
    zygote.preload_plotting()
    assert "no_such_plotting_package" not in sys.modules


# a batch's workers are forked from the process that prepared the grading: each must have its own
FORKED = """
import json, os, sys
sys.path.insert(0, sys.argv[1])
from grader.sandbox import claim_uid
from grader.zygote import Zygote

def mine():
    zygote = Zygote.shared()
    return {"process": os.getpid(), "owner": zygote.owner, "server": zygote.process.pid, "uid": claim_uid()}

parent = mine()
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, json.dumps(mine()).encode())
    Zygote.close_shared()
    os._exit(0)
os.close(write)
print(json.dumps([parent, json.loads(os.read(read, 4096))]))
"""


@pytest.fixture(scope="module")
def forked():
    ROOT = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "-c", FORKED, str(ROOT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_forked_process_starts_a_fork_server_of_its_own(forked):
    parent, child = forked
    assert child["owner"] == child["process"] != parent["process"] == parent["owner"]
    assert child["server"] != parent["server"]


@pytest.mark.root(reason="children run as other users only when the grader is root")
def test_a_forked_process_claims_a_user_of_its_own(forked):
    parent, child = forked
    assert child["uid"] != parent["uid"]
