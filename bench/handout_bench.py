"""`make bench`, hand-out part: what a student waits for, with the hand-out's checker.

    .venv/bin/python bench/handout_bench.py [--runs 5] [--install]

(a) the size of dist/handout.zip, packed and unpacked;
(b) `make grade` in the unpacked hand-out (its `python -m backprop_check FILE`) on a correct .py and
    on the same as a notebook, median of --runs interleaved runs, beside `python -c "import numpy"`
    with the same interpreter (the floor of any Python checker), and the full grader's `grade` of the
    same files;
(c) check() in a notebook kernel's process, as the hand-out's notebook calls it: the first call
    (imports and the fork server's start) and the median of the next --runs calls, of check("my_exp")
    and of check() (every class and the training); the kernel's history is the reference notebook's
    cells, read by a stand-in for IPython;
(d) with --install: the hand-out's install, as its first `make grade` does it (a venv, then pip from
    the package index without pip's cache: a clean machine; needs the network).

The checker runs in an interpreter whose packages are the project's .venv's, minus the grader and
the solution (installed there as the project's own): the hand-out's own, as on a student's machine.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import notebooks as nbs  # noqa: E402
from helpers import checker_python  # noqa: E402
from grader import handout  # noqa: E402

REFERENCE = ROOT / "reference" / "backprop.py"

KERNEL = """
import json, statistics, sys, time, types
cells = json.load(open(sys.argv[1]))
ipython = types.ModuleType("IPython")
shell = types.SimpleNamespace(user_ns={}, history_manager=types.SimpleNamespace(input_hist_raw=["", *cells]))
shell.user_ns.update(dict.fromkeys(["add_bias", "multiplication_weight", "my_exp", "my_composition"]))
ipython.get_ipython = lambda: shell
sys.modules["IPython"] = ipython
runs = int(sys.argv[2])
start = time.perf_counter()
import backprop_check
report = backprop_check.check("my_exp")
first = time.perf_counter() - start
assert report.result.score == report.result.max_score, repr(report)
times = {}
for name, args in (("check(\\"my_exp\\")", ("my_exp",)), ("check()", ())):
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        report = backprop_check.check(*args)
        spent.append(time.perf_counter() - start)
        assert report.result.score == report.result.max_score, repr(report)
    times[name] = statistics.median(spent)
print(json.dumps({"first": first, **times}))
"""


def timed(command, cwd):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def sizes(zipped):
    with zipfile.ZipFile(zipped) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        recording = archive.getinfo("handout/grader/recording.json").file_size
    return zipped.stat().st_size, unpacked, recording


def shell_times(python, folder, runs):
    notebook = folder / "backprop.ipynb"
    nbs.write(nbs.build_notebook.build(REFERENCE, loop_body=nbs.REFERENCE_LOOP, checks=True), notebook)
    files = {"correct .py": REFERENCE, "notebook": notebook}
    commands = {"import numpy": [str(python), "-c", "import numpy"]}
    for name, path in files.items():
        commands[f"hand-out, {name}"] = [str(python), "-m", "backprop_check", str(path)]
        commands[f"full grader, {name}"] = [sys.executable, "-m", "grader", "grade", str(path)]
    spent = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            spent[name].append(timed(command, folder / "handout" if "hand-out" in name else ROOT))
    return {name: statistics.median(values) for name, values in spent.items()}


def kernel_times(python, folder, runs):
    notebook = nbs.build_notebook.build(REFERENCE, loop_body=nbs.REFERENCE_LOOP, checks=True)
    cells = folder / "cells.json"
    cells.write_text(json.dumps([c.source for c in notebook.cells if c.cell_type == "code"]), encoding="utf-8")
    proc = subprocess.run(
        [str(python), "-c", KERNEL, str(cells), str(runs)],
        cwd=folder / "handout",
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.splitlines()[-1])


def install_time(zipped, folder):
    target = folder / "install"
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(target)
    start = time.perf_counter()
    subprocess.run(["/usr/bin/python3", "-m", "venv", ".venv"], cwd=target / "handout", check=True)
    pip = [".venv/bin/python", "-m", "pip", "install", "--quiet", "--no-cache-dir", "-r", "requirements.txt"]
    subprocess.run(pip, cwd=target / "handout", check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--install", action="store_true", help="time the hand-out's install (needs the network)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        zipped = handout.build(folder / "handout.zip")
        with zipfile.ZipFile(zipped) as archive:
            archive.extractall(folder)
        packed, unpacked, recording = sizes(zipped)
        print(
            f"hand-out: {packed / 1024:.0f} KiB zipped, {unpacked / 1024:.0f} KiB unpacked "
            f"(the recording {recording / 1024:.0f} KiB)"
        )
        python = checker_python(folder / "handout")
        for name, seconds in shell_times(python, folder, args.runs).items():
            print(f"  {name:<28} {seconds:6.3f} s (median of {args.runs})")
        kernel = kernel_times(python, folder, args.runs)
        print(f"  check() in a kernel: first call {kernel.pop('first'):.3f} s (imports, fork server), then")
        for name, seconds in kernel.items():
            print(f"    {name:<20} {seconds:6.3f} s (median of {args.runs})")
        if args.install:
            print(f"  install (venv + pip, no cache): {install_time(zipped, folder):.1f} s")


if __name__ == "__main__":
    main()
