"""`make bench`, LMS part: how long a course admin waits for Gradescope's environment, and a student
for one grading through it, replayed as Gradescope runs them (lms/replay.py).

    .venv/bin/python bench/lms_bench.py [--runs 5]

(a) from `make bundle` to a built environment: build the zip, unpack it, run setup.sh (its pip steps
    for real, from pip's cache when it has the wheels; the package-manager step is skipped where
    /usr/bin/python3 has venv, as on a Gradescope image once Python is there);
(b) one graded submission through ROOT/run_autograder, for a correct .py and the same as a notebook,
    median of --runs interleaved runs, beside `python -c "import numpy"` with the same interpreter,
    the floor of any Python grader.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lms import replay  # noqa: E402

SUBMISSIONS = {
    "correct .py": ROOT / "reference" / "backprop.py",
    "notebook": ROOT / "tests" / "notebooks" / "reference.ipynb",
}


def timed(run):
    start = time.perf_counter()
    outcome = run()
    return time.perf_counter() - start, outcome


def deploy(folder):
    dist = folder / "dist"
    subprocess.run([sys.executable, ROOT / "lms" / "build_bundle.py", dist], check=True, capture_output=True)
    root = replay.unpack_gradescope(dist / "autograder.zip", folder / "autograder")
    setup = replay.setup_gradescope(root)
    if setup.returncode:
        sys.exit(f"setup.sh failed:\n{setup.stderr}")
    return root


def grade_once(root, submission):
    replay.hand_in(root / "submission", [(f"backprop{submission.suffix}", submission.read_bytes())])
    proc, text = replay.run_gradescope(root)
    if proc.returncode or text is None:
        sys.exit(f"run_autograder failed:\n{proc.stderr}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="lms-bench-") as scratch:
        built, root = timed(lambda: deploy(Path(scratch)))
        print(f"make bundle -> built environment (setup.sh): {built:.1f} s")
        python = root / "venv" / "bin" / "python"
        times = {label: [] for label in [*SUBMISSIONS, "import numpy"]}
        for _ in range(runs):
            for label, submission in SUBMISSIONS.items():
                times[label].append(timed(lambda submission=submission: grade_once(root, submission))[0])
            times["import numpy"].append(timed(lambda: subprocess.run([python, "-c", "import numpy"], check=True))[0])
        floor = statistics.median(times.pop("import numpy"))
        print(f'python -c "import numpy": median {floor:.2f} s over {runs} runs')
        for label, seconds in times.items():
            median = statistics.median(seconds)
            print(
                f"run_autograder, {label}: median {median:.2f} s over {runs} runs ({median / floor:.1f}x import numpy)"
            )


if __name__ == "__main__":
    main()
