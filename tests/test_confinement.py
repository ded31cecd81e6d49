"""The sandbox against a dishonest student (grader/confine.py, grader/sandbox.py): what the child may
read, write, reach and signal is an allow-list the kernel enforces (Landlock), what it hands in is
read by the parent as bytes, nothing it starts outlives its grading, and nothing it sends back can
crash the grader.

Each attack is the template with the attack appended: it runs at import, and whatever it manages
(stolen code exec'd into the namespace) would raise the score above the template's. Tests that
need root (the unprivileged user, the namespaces) or Landlock skip saying so.
"""

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import REFERENCE, TEMPLATE, grade, rubric_data, run_cli, write_rubric
from grader import sandbox as sandbox_module
from grader.rubric import load as load_rubric
from grader.sandbox import OWN_UIDS

pytestmark = pytest.mark.slow  # the attacks of a dishonest student, each graded end to end in the sandbox

ROOT_ONLY = pytest.mark.root(reason="the child drops to an unprivileged user only as root")
LANDLOCK = pytest.mark.skipif(
    __import__("landlockpy").abi_version() < sandbox_module.SIGNAL_SCOPE_ABI,
    reason="needs Landlock with signal scoping (ABI 6, Linux 6.12)",
)
LIMITS = {"check_seconds": 1, "cpu_seconds": 1, "load_seconds": 3, "notebook_seconds": 5}
FOUND = "FOUND:"  # what an attack prints for each thing it reached


@pytest.fixture(scope="module")
def rubric(tmp_path_factory):
    data = rubric_data()
    data["limits"].update(LIMITS)
    return write_rubric(tmp_path_factory.mktemp("confinement-rubric"), data)


@pytest.fixture(scope="module")
def template_score(rubric):
    return grade(TEMPLATE, rubric).score


def attack(folder, code, name="backprop.py"):
    path = Path(folder) / name
    path.write_text(TEMPLATE.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
    return path


def found(result):
    return [line for line in result.output.splitlines() if line.startswith(FOUND)]


@pytest.fixture
def public_folder():
    """A world-readable folder outside the grader's tree, in the real temporary folder, as a copy of
    the course left by a TA would be."""
    folder = Path(tempfile.mkdtemp(prefix="course-copy-"))
    folder.chmod(0o755)
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    folder.rmdir()


EXEC_ANY_SOLUTION = f"""
import os as _os
def _steal(tops):
    for _top in tops:
        for _folder, _dirs, _files in _os.walk(_top):
            for _name in _files:
                _path = _os.path.join(_folder, _name)
                try:
                    _text = open(_path).read()
                except (OSError, UnicodeDecodeError):
                    continue
                if "class my_composition" in _text and "NotImplementedError" not in _text:
                    print("{FOUND}", _path)
                    exec(compile(_text, _path, "exec"), globals())
                    return
_steal(TOPS)
"""


@LANDLOCK
def test_a_world_readable_copy_of_the_reference_elsewhere_cannot_be_read(
    rubric, template_score, public_folder, tmp_path
):
    copy = public_folder / "backprop.py"
    copy.write_bytes(REFERENCE.read_bytes())
    copy.chmod(0o644)
    tops = [str(public_folder), tempfile.gettempdir(), "/dev/shm", str(Path.home()), str(REFERENCE.parent.parent)]
    result = grade(attack(tmp_path, EXEC_ANY_SOLUTION.replace("TOPS", repr(tops))), rubric)
    assert found(result) == [] and result.score == template_score


@ROOT_ONLY
@LANDLOCK
def test_nothing_of_the_machine_outside_the_allow_list_exists_for_the_child(rubric, tmp_path):
    written_in_tmp, written_in_shm = (f"{folder}/written-by-{tmp_path.name}" for folder in ("/tmp", "/dev/shm"))
    outside = [
        str(REFERENCE),
        str(REFERENCE.parent.parent / "rubrics"),
        "/tmp",
        "/dev/shm",
        "/root",
        "/home",
        "/proc/1/cmdline",
        str(tmp_path),
    ]
    probe = f"""
import os as _os
for _path in {outside!r} + [f"/proc/{{_os.getppid()}}/cmdline"]:
    try:
        _os.listdir(_path) if _os.path.isdir(_path) else open(_path, "rb").read(1)
        print("{FOUND}", _path)
    except OSError:
        pass
for _path in ({written_in_tmp!r}, {written_in_shm!r}, {str(tmp_path / "written")!r}):
    try:
        open(_path, "w").write("x")
        print("{FOUND}", _path)
    except OSError:
        pass
"""
    result = grade(attack(tmp_path, probe), rubric)
    assert found(result) == []
    assert not [p for p in (written_in_tmp, written_in_shm, tmp_path / "written") if Path(p).exists()]


@LANDLOCK
def test_the_child_opens_no_tcp_connection(rubric, template_score, tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.5)
        port = server.getsockname()[1]
        code = f"""
import socket as _socket
try:
    _socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"stolen")
    print("{FOUND} connected")
except OSError:
    pass
"""
        result = grade(attack(tmp_path, code), rubric)
        with pytest.raises(TimeoutError):
            server.accept()
    assert found(result) == [] and result.score == template_score


# the submission enters as bytes


@pytest.mark.parametrize("make", ["link to the reference", "fifo", "link to a fifo"])
def test_a_link_or_fifo_handed_in_is_refused_without_waiting(tmp_path, make):
    folder = tmp_path / "submission"
    folder.mkdir()
    target = folder / "backprop.py"
    if make == "link to the reference":
        target.symlink_to(REFERENCE)
    else:
        fifo = tmp_path / "pipe.py"
        os.mkfifo(fifo if make == "link to a fifo" else target)
        if make == "link to a fifo":
            target.symlink_to(fifo)
    for handed_in in (folder, target):
        proc = run_cli("grade", handed_in, timeout=30)
        assert proc.returncode == 2 and proc.stdout == "", proc.stdout[-500:]
        assert "symbolic link" in proc.stderr or "not a regular file" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_linked_submission_gets_a_results_json_saying_why(tmp_path):
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "backprop.py").symlink_to(REFERENCE)
    proc = run_cli("autograder", "--root", tmp_path, timeout=60)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert proc.returncode == 0 and results["score"] == 0 and "symbolic link" in results["output"]


# nothing outlives its grading, nobody reaches a classmate

SABOTEUR = """
import os as _os, sys as _sys
_LOOP = '''
import os, time  # SABOTEUR-LOOP
end = time.monotonic() + 20
while time.monotonic() < end:
    for pid in range(2, 1 << 16):
        try:
            os.kill(pid, 9)
        except OSError:
            pass
'''
if _os.fork() == 0:
    _os.setsid()
    if _os.fork() == 0:
        _os.execve(_sys.executable, [_sys.executable, "-c", _LOOP], {})
    _os._exit(0)
"""
CLASSMATE_THIEF = f"""
import os as _os
def _parents():
    pid = _os.getppid()
    for _ in range(4):
        try:
            yield open(f"/proc/{{pid}}/cmdline", "rb").read().decode(errors="replace")
            pid = int(open(f"/proc/{{pid}}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            return
for _cmdline in _parents():
    for _word in _cmdline.split("\\0"):
        if _os.path.isdir(_word):
            print("{FOUND}", _word)
""" + EXEC_ANY_SOLUTION.replace("TOPS", "[w for c in _parents() for w in c.split(chr(0)) if _os.path.isdir(w)]")


@ROOT_ONLY
@LANDLOCK
def test_in_a_batch_no_student_reaches_a_classmate_or_outlives_the_grading(rubric, template_score, tmp_path):
    students = tmp_path / "students"
    students.mkdir()
    attack(students, SABOTEUR, "a_saboteur.py")
    attack(students, CLASSMATE_THIEF, "b_thief.py")
    for n in range(6):
        (students / f"c_classmate{n}.py").write_bytes(REFERENCE.read_bytes())
    out = tmp_path / "out"
    proc = run_cli("batch", students, "-o", out, "--rubric", rubric, "--quiet", "--jobs", "2", timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reports = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (out / "reports").glob("*.json")}
    assert all(reports[f"c_classmate{n}"]["score"] == 100 for n in range(6)), {
        sid: r["score"] for sid, r in reports.items()
    }
    assert reports["b_thief"]["score"] == template_score and FOUND not in reports["b_thief"]["output"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700 == stat.S_IMODE((out / "reports").stat().st_mode)
    assert not running_with(b"SABOTEUR-LOOP"), "the saboteur outlived its grading"


def running_with(marker):
    """The processes whose command line holds `marker` (other gradings may run on the machine meanwhile)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


# time, disk and the answer channel

IGNORES_ALARMS_AND_HANGS = """
import signal as _signal, time as _time
_signal.signal(_signal.SIGALRM, _signal.SIG_IGN)  # the notebook's own budget is an alarm
_time.sleep(1)  # paid again at each reload
multiplication_weight.__init__ = lambda self, w: _time.sleep(3600)
my_exp.__init__ = lambda self: _time.sleep(3600)
"""
SPINS_FOREVER = "while True:\n    pass"


@pytest.mark.parametrize("as_notebook", [False, True], ids=["py", "notebook"])
def test_a_submission_that_makes_every_check_wait_is_cut_at_the_total_budget(tmp_path, as_notebook):
    import notebooks as nbs

    data = rubric_data()
    data["limits"].update(LIMITS, total_seconds=6)
    rubric_path = write_rubric(tmp_path, data)
    path = attack(tmp_path, IGNORES_ALARMS_AND_HANGS)
    if as_notebook:
        hanging = [IGNORES_ALARMS_AND_HANGS, SPINS_FOREVER]
        path = nbs.write(nbs.filled(TEMPLATE, extra_cells=hanging), tmp_path / "backprop.ipynb")
    started = time.monotonic()
    result = grade(path, rubric_path)
    assert time.monotonic() - started < 6 + 10, "the budget, and the reference's and mutants' own runs"
    assert any("total time limit of 6 s" in c.message for c in result.checks)


@ROOT_ONLY
def test_what_the_child_writes_is_capped_in_all_and_left_nowhere(rubric, tmp_path):
    code = f"""
import os as _os
for _folder in ("/dev/shm", "/tmp", "."):
    try:
        for _n in range(30):
            with open(_os.path.join(_folder, f"filler-{{_n}}.bin"), "wb") as _out:
                _out.write(b"0" * (10 << 20))
        print("{FOUND}", _folder, "300 MB")
    except OSError:
        pass
"""
    before = {folder: set(os.listdir(folder)) for folder in ("/dev/shm", tempfile.gettempdir())}
    result = grade(attack(tmp_path, code), rubric)
    assert found(result) == []
    for folder, names in before.items():
        assert not [n for n in set(os.listdir(folder)) - names if n.startswith("filler-")]


RECURSION_BOMB = """
import os as _os, stat as _stat
for _fd in range(3, 16):
    try:
        if _stat.S_ISFIFO(_os.fstat(_fd).st_mode):
            _os.write(_fd, b"[" * 100000 + b"\\n")
    except OSError:
        pass
"""


def test_a_recursion_bomb_on_the_answer_channel_is_the_submissions_crash(rubric, template_score, tmp_path):
    result = grade(attack(tmp_path, RECURSION_BOMB), rubric)
    assert result.score <= template_score and "crash" in {d.id for d in result.diagnoses}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=4096) | st.text(alphabet='[]{}":,0123456789.eE-ntrufals \\', max_size=4096).map(str.encode))
def test_any_bytes_on_the_answer_channel_are_an_answer_or_a_failure(data):
    read_end, write_end = os.pipe()
    channel = sandbox_module.Sandbox.__new__(sandbox_module.Sandbox)
    channel.pending, channel.limits = b"", load_rubric().limits
    channel.listen(read_end)
    channel.deadline = time.monotonic() + 5
    try:
        os.write(write_end, data.replace(b"\n", b" ") + b"\n")
        answer = channel.receive(1)
        assert isinstance(answer, (dict, sandbox_module.Failure))
    finally:
        os.close(read_end)
        os.close(write_end)


# uid claims and the kernel's features


@ROOT_ONLY
@pytest.mark.parametrize("trap", ["link", "fifo", "open folder", "traps inside"])
def test_planted_claim_files_never_hang_or_crash_a_grading(tmp_path, trap):
    claims = tmp_path / sandbox_module.CLAIMS_FOLDER
    if trap == "link":
        claims.symlink_to(tmp_path)
    elif trap == "fifo":
        os.mkfifo(claims)
    elif trap == "open folder":
        claims.mkdir()
        claims.chmod(0o777)
    else:
        claims.mkdir(mode=0o700)
        os.mkfifo(claims / f"uid-{OWN_UIDS[0]}.lock")
        (claims / f"uid-{OWN_UIDS[1]}.lock").symlink_to(tmp_path / "elsewhere")
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "grade", REFERENCE, "--format", "json"],
        cwd=REFERENCE.parent.parent,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["score"] == 100, proc.stderr[-2000:]


def test_a_kernel_without_landlock_is_said_in_the_notes(monkeypatch):
    import landlockpy

    monkeypatch.setattr(landlockpy, "abi_version", lambda: 0)
    notes = sandbox_module.confinement_gaps()
    assert notes and notes[0].startswith("filesystem confinement unavailable on this kernel")
    from grader import grading

    monkeypatch.setattr(grading, "confinement_gaps", sandbox_module.confinement_gaps)
    assert notes[0] in grade(REFERENCE).notes


def test_the_rubric_file_keeps_its_permissions(tmp_path):
    rubric_path = write_rubric(tmp_path, rubric_data())
    rubric_path.chmod(0o644)
    grade(REFERENCE, rubric_path)
    assert stat.S_IMODE(rubric_path.stat().st_mode) == 0o644


# the same attacks through the LMS entry point


@LANDLOCK
@pytest.mark.parametrize("name", ["copy of the reference", "recursion bomb", "saboteur", "disk filler"])
def test_an_attack_through_the_lms_entry_point_earns_nothing_and_still_gets_results(
    name, template_score, rubric, public_folder, tmp_path
):
    (public_folder / "backprop.py").write_bytes(REFERENCE.read_bytes())
    (public_folder / "backprop.py").chmod(0o644)
    code = {
        "copy of the reference": EXEC_ANY_SOLUTION.replace("TOPS", repr([str(public_folder), "/tmp"])),
        "recursion bomb": RECURSION_BOMB,
        "saboteur": SABOTEUR,
        "disk filler": "open('/tmp/filler-lms.bin', 'wb').write(b'0' * (50 << 20))",
    }[name]
    (tmp_path / "submission").mkdir()
    attack(tmp_path / "submission", code)
    proc = run_cli("autograder", "--root", tmp_path, "--rubric", rubric, timeout=120)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert proc.returncode == 0 and results["score"] <= template_score, results["output"]
    assert FOUND not in results["output"] and not Path("/tmp/filler-lms.bin").exists()


def test_the_child_may_read_the_interpreters_folders_but_nothing_of_the_graders_tree(monkeypatch):
    import numpy

    tree, prefix = Path(sandbox_module.GRADER_PARENT), Path(sys.prefix).resolve()
    monkeypatch.setattr(sys, "path", [*sys.path, str(tree), str(tree / "tests"), str(tree / "reference"), "/"])
    sandbox_module.readable_roots.cache_clear()
    try:
        roots = [Path(root) for root in sandbox_module.readable_roots()]
    finally:
        sandbox_module.readable_roots.cache_clear()

    def in_the_tree(root):
        return root == tree or (tree in root.parents and prefix != root and prefix not in root.parents)

    assert not [root for root in roots if in_the_tree(root) or root in tree.parents]
    assert any(root in Path(numpy.__file__).resolve().parents for root in roots)
