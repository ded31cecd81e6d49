"""`make bench`: wall time and peak memory of `python -m grader grade`, median over several runs.

The machines are shared and noisy, so every figure comes with a baseline measured in the same
run: a bare `python -c "import numpy"`, the least any grading (or any numpy homework) costs.
Memory is the peak of the summed proportional set size (PSS) of the grader, its zygote and its
child, sampled from /proc; the summed resident size (RSS), which counts shared pages once per
process, is shown beside it (see Memory).
"""

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tests/notebooks.py builds the notebook from the project's student_template
    sys.path.insert(0, str(ROOT))
SUBMISSIONS = {
    "reference": ROOT / "reference" / "backprop.py",
    "buggy (forum: weight gradient without x)": ROOT / "tests" / "submissions" / "forum_mul_grad_w_missing_x.py",
    "template (not implemented)": ROOT / "student_template" / "backprop.py",
    "notebook filled with the reference": ROOT / "tests" / "notebooks" / "reference.ipynb",
}
BASELINE = [sys.executable, "-c", "import numpy"]
# earlier versions of the grader, graded with in the same run: the last commit before the sandbox
# was hardened (time limits only, no other confinement), and the last before verdicts rested on
# behaviour everywhere (issue 10: state found wherever it lives, loops watched per model)
EARLIER = {
    "sandbox before hardening": "9c8e266588fad28fc0d4eab93cfc71378301397a",
    "before verdicts by behaviour": "79b99296a9144ef4eca9005bfe70ccf7959c329f",
    "before the LMS bundles": "efe810e47dd93bbe92a0a81568217c738bb42d50",
    "before the allow-list confinement": "4895f5634c6b211ed12ee63155cbeaf5be46166d",
    "before the speed work": "184ca4af5c9e4ed7cea9df443d9671ebe72f3599",
    "before the anatomy work": "08d0d64ea20b5529e190b241dbf4b032628d304c",
    "before the hand-out and the scenario handles": "434ff1a4aa9cbad81870798d44cf605bb30f048b",
    "before the second round of speed work": "10e5629979bc496beb181af1cb492723128e0326",
    "before the third round of speed work": "4fa695b673d227128a5315ba798ed1fdd8cf0263",
}
NO_MATPLOTLIB = "notebook of the reference, no matplotlib"
TARGET_PY_SECONDS = 0.2
TARGET_NOTEBOOK_RATIO = 1.2  # a notebook that does not use matplotlib, to the .py of the same classes
REFERENCE_SOURCE = SUBMISSIONS["reference"].read_text()
HANGING = {
    "infinite loop at import": "while True:\n    pass\n" + REFERENCE_SOURCE,
    "infinite loop in my_exp.backward": REFERENCE_SOURCE.replace(
        "        return grad * self.output", "        while True:\n            pass"
    ),
    "amplifier: 9.5 s per load, hangs everywhere": REFERENCE_SOURCE
    + """
import signal, time
signal.signal(signal.SIGALRM, signal.SIG_IGN)
time.sleep(9.5)
for layer in (multiplication_weight, add_bias, my_exp, my_composition):
    layer.__init__ = lambda self, *args: time.sleep(3600)
""",
}


def notebook_without_matplotlib(folder):
    """The course's notebook filled with the reference, its lines that use matplotlib left out."""
    spec = importlib.util.spec_from_file_location("tests_notebooks", ROOT / "tests" / "notebooks.py")
    notebooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notebooks)
    nb = notebooks.filled(SUBMISSIONS["reference"])
    for cell in nb.cells:
        kept = [line for line in cell.source.splitlines() if "plt" not in line and "matplotlib" not in line]
        cell.source = "\n".join(kept)
    return notebooks.write(nb, Path(folder) / "no_matplotlib.ipynb")


def tree(pid):
    """A process and all its descendants."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def summed_kib(pids, path, field):
    """The sum over the processes of one field of a /proc file, in KiB (processes gone count 0)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/{path}").read_text()
            total += int(next(line.split()[1] for line in text.splitlines() if line.startswith(field + ":")))
        except (OSError, StopIteration, ValueError):
            continue
    return total


class Memory:
    """Peak memory of a process tree, sampled from /proc while it runs, two ways:
    RSS summed over the processes counts a page shared by several of them (the zygote's numpy in
    each of its forks, the workers' copy-on-write pages) once per process; PSS divides each shared
    page among its processes, so the sum is what the tree takes from the machine. PSS is read from
    smaps_rollup, which costs the kernel a walk of the page tables: it is sampled less often."""

    def __init__(self, pss_every):
        self.pss_every, self.last_pss = pss_every, -pss_every
        self.rss = self.pss = 0

    def sample(self, pid):
        pids = tree(pid)
        self.rss = max(self.rss, summed_kib(pids, "status", "VmRSS") / 1024)
        if time.monotonic() - self.last_pss >= self.pss_every:
            self.last_pss = time.monotonic()
            self.pss = max(self.pss, summed_kib(pids, "smaps_rollup", "Pss") / 1024)


def follow(process, memory, every):
    """Samples memory every `every` seconds until the process ends (no wait added after it ends)."""
    while True:
        memory.sample(process.pid)
        try:
            process.wait(timeout=every)
            return
        except subprocess.TimeoutExpired:
            pass


def measure(command, tree=ROOT):
    """(wall seconds, Memory) of one run of command in the source tree `tree`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    memory = Memory(pss_every=0.02)
    follow(process, memory, every=0.002)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} exited with {process.returncode}")
    return elapsed, memory


def summarize(label, runs, baseline_median):
    times = [t for t, _ in runs]
    median = median_time(runs)
    print(
        f"{label:45s} median {median:6.3f} s  (min {min(times):.3f}, max {max(times):.3f})  "
        f"{median / baseline_median:5.2f}× baseline  peak PSS {max(m.pss for _, m in runs):6.1f} MiB "
        f"(RSS {max(m.rss for _, m in runs):6.1f})"
    )


def checkout(commit, scratch):
    """The project's tree at an earlier commit, in a folder of its own."""
    tree = Path(scratch) / commit[:12]
    tree.mkdir()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def grade_command(path, tree=ROOT):
    return [sys.executable, "-m", "grader", "grade", str(path), "--format", "json"], tree


def interleaved(commands, runs):
    """Runs every command `runs` times, interleaved, so that load on the machine hits all alike."""
    results = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, tree) in commands.items():
            results[name].append(measure(command, tree))
    return results


def median_time(runs):
    return statistics.median(t for t, _ in runs)


def report(results, baseline_name):
    baseline = median_time(results[baseline_name])
    for name, runs in results.items():
        summarize(name, runs, baseline)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--hanging-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; {args.runs} runs each, interleaved\n")
    with tempfile.TemporaryDirectory() as scratch:
        commands = {"baseline: python -c 'import numpy'": (BASELINE, ROOT)}
        commands.update({name: grade_command(path) for name, path in SUBMISSIONS.items()})
        commands[NO_MATPLOTLIB] = grade_command(notebook_without_matplotlib(scratch))
        for name, commit in EARLIER.items():
            commands[f"reference, {name}"] = grade_command(SUBMISSIONS["reference"], checkout(commit, scratch))
        results = interleaved(commands, args.runs)
        report(results, "baseline: python -c 'import numpy'")
        for name in EARLIER:
            ratio = median_time(results["reference"]) / median_time(results[f"reference, {name}"])
            print(f"reference now / {name}: {ratio:.2f}×")
        py, notebook = median_time(results["reference"]), median_time(results[NO_MATPLOTLIB])
        checks = [
            (f"grading a .py {py:.3f} s <= {TARGET_PY_SECONDS:g} s", py <= TARGET_PY_SECONDS),
            (
                f"a notebook without matplotlib {notebook / py:.2f}× the .py <= {TARGET_NOTEBOOK_RATIO:g}×",
                notebook / py <= TARGET_NOTEBOOK_RATIO,
            ),
        ]
        print("targets: " + "; ".join(f"{label} {'ok' if ok else 'MISSED'}" for label, ok in checks) + "\n")

        if args.hanging_runs < 1:
            return
        hanging = {}
        for name, source in HANGING.items():
            path = Path(scratch) / f"{len(hanging)}.py"
            path.write_text(source)
            hanging[name] = grade_command(path)
        print(f"hanging submissions, end to end with the default rubric ({args.hanging_runs} runs each):")
        report(
            interleaved({"reference": grade_command(SUBMISSIONS["reference"]), **hanging}, args.hanging_runs),
            "reference",
        )


if __name__ == "__main__":
    main()
