"""`make bench`: wall time and peak memory of `python -m grader grade`, median over several runs.

The machines are shared and noisy, so every figure comes with a baseline measured in the same
run: a bare `python -c "import numpy"`, the least any grading (or any numpy homework) costs.
Memory is the peak of the summed resident memory of the grader and its child, sampled from /proc.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = {
    "reference": ROOT / "reference" / "backprop.py",
    "buggy (forum: weight gradient without x)": ROOT / "tests" / "submissions" / "forum_mul_grad_w_missing_x.py",
    "template (not implemented)": ROOT / "student_template" / "backprop.py",
}
BASELINE = [sys.executable, "-c", "import numpy"]


def tree_rss_kb(pid):
    """Resident memory of a process and all its descendants, in KiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def measure(command):
    """(wall seconds, peak MiB) of one run of command."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss_kb(process.pid))
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(map(str, command))} exited with {process.returncode}")
    return elapsed, peak / 1024


def summarize(label, runs, baseline_median):
    times = [t for t, _ in runs]
    median = statistics.median(times)
    print(f"{label:45s} median {median:6.3f} s  (min {min(times):.3f}, max {max(times):.3f})  "
          f"{median / baseline_median:4.1f}× baseline  peak {max(m for _, m in runs):6.1f} MiB")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{args.runs} runs each, interleaved; python {sys.version.split()[0]}")
    commands = {"baseline: python -c 'import numpy'": BASELINE}
    commands.update({name: [sys.executable, "-m", "grader", "grade", str(path), "--format", "json"]
                     for name, path in SUBMISSIONS.items()})
    runs = {name: [] for name in commands}
    for _ in range(args.runs):  # interleaved, so that load on the machine hits all alike
        for name, command in commands.items():
            runs[name].append(measure(command))
    baseline = statistics.median(t for t, _ in runs[next(iter(runs))])
    for name in commands:
        summarize(name, runs[name], baseline)
    print("targets: grading median <= 0.5 s and peak <= 150 MiB")


if __name__ == "__main__":
    main()
