"""`make bench`, batch part: how fast `python -m grader batch` grades a class, against one
`python -m grader grade` process per submission, measured in the same run.

    .venv/bin/python bench/batch_bench.py [--count 200] [--notebooks 200] [--jobs 2] [--baseline-sample 40] [--runs 3]

It builds, in a temporary folder, a batch of --count .py submissions (the reference, the correct
styles, every mutant and the forum files, cycled), a batch of each of those once (no student
repeating another, whose answers a batch would judge once), a batch of --notebooks notebooks of the same,
and 20 notebooks of the reference of which one has a cell `while True: pass` before its training
cell (and the same 19 without it). Then, in --runs interleaved rounds (medians reported):
(a) `python -m grader batch DIR -o OUT --jobs 2 --quiet` over each batch: wall time, submissions
    per second, and CPU seconds per submission of the whole process tree (workers, zygotes and
    sandboxed children: the batch's resource usage once it has waited for them all);
(b) the baseline: `python -m grader grade FILE --format json`, one process per submission, one
    after the other, over a random sample (fixed seed) of the .py batch, its rate extrapolated to
    the batch; --baseline-sample 0 runs it over the whole batch;
(c) the .py batch and the batch of each once graded by an earlier commit (--before);
and, in one more batch run of its own (so that sampling /proc costs the timed runs nothing), the
peak memory of the .py batch's whole process tree: summed PSS, the memory the batch takes (the
target), and summed RSS, which counts the pages a zygote shares with its forks once per process
(see bench.py's Memory).
"""

import argparse
import csv
import importlib.util
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reference.mutants import MUTANTS  # noqa: E402

SUBMISSIONS = ROOT / "tests" / "submissions"
SAMPLE_SEED = 0
TARGET_RATE = 20.0  # .py submissions per second
TARGET_CPU = 0.1  # CPU seconds per .py submission, the whole process tree
TARGET_NOTEBOOK_RATE = 10.0  # notebooks per second
TARGET_PEAK_MB = 400.0
TARGET_HANG_SECONDS = 10.0  # 20 notebooks, one of which hangs in a cell
HANGING_CELL = "while True:\n    pass"
BEFORE_SPEED = "184ca4af5c9e4ed7cea9df443d9671ebe72f3599"  # the grader before issue 13's speed work
SAMPLE_SECONDS = 0.01  # between two samples of RSS: often enough for the sandboxed children, cheap on 2 CPUs
PSS_SECONDS = 0.05  # between two samples of PSS: 1 ms of the kernel's time per process, a few % of a CPU


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


single = load_by_path("bench_single", ROOT / "bench" / "bench.py")
notebooks = load_by_path("tests_notebooks", ROOT / "tests" / "notebooks.py")


def sources():
    """(label, source) of every distinct submission the batch is cycled from."""
    found = [("reference", (ROOT / "reference" / "backprop.py").read_text(encoding="utf-8"))]
    found += [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SUBMISSIONS.glob("correct_style_*.py"))]
    found += [(m.name.replace(" ", "_").replace("(", "").replace(")", ""), m.source()) for m in MUTANTS]
    found += [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(SUBMISSIONS.glob("forum_*.py"))]
    return found


def build_batch(folder, count, notebook=False, scratch=None):
    """count submissions in folder, each with a line of its own (no two files alike): .py files, or
    notebooks (built from .py files in scratch); returns their paths."""
    folder.mkdir(parents=True)
    distinct = sources()
    paths = []
    for n in range(count):
        label, source = distinct[n % len(distinct)]
        student = f"s{n:04d}_{label}"
        if notebook:
            py = scratch / f"{label}.py"
            py.write_text(source, encoding="utf-8")
            nb = notebooks.filled(py, extra_cells=[notebooks.markdown(f"student {n}")])
            paths.append(notebooks.write(nb, folder / f"{student}.ipynb"))
        else:
            path = folder / f"{student}.py"
            path.write_text(f"# student {n}\n{source}", encoding="utf-8")
            paths.append(path)
    return paths


def build_hanging_batch(folder, with_hang):
    """20 notebooks of the reference (19 without the hang), the eighth hanging in a cell of its own."""
    folder.mkdir(parents=True)
    for n in range(20):
        nb = notebooks.filled(ROOT / "reference" / "backprop.py", extra_cells=[notebooks.markdown(f"student {n}")])
        if n == 7:
            if not with_hang:
                continue
            notebooks.insert_before(nb, notebooks.TRAINING_CELL, notebooks.code(HANGING_CELL))
        notebooks.write(nb, folder / f"s{n:02d}.ipynb")
    return folder


class Run:
    """One timed run of a command: wall seconds and CPU seconds of its whole process tree."""

    def __init__(self, command, tree=ROOT, memory=None):
        """`memory`: a bench.Memory the tree's memory is sampled into while it runs (else nothing
        is done while it runs, so that the times carry no sampling)."""
        with tempfile.TemporaryFile() as stderr:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=tree, stdout=subprocess.DEVNULL, stderr=stderr)
            if memory:
                single.follow(process, memory, every=SAMPLE_SECONDS)
            else:
                process.wait()
            self.seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode(errors="replace")
        # every process of the tree was waited for by its parent, up to this one's child
        self.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if process.returncode != 0:
            sys.exit(f"batch_bench: {' '.join(map(str, command[2:]))} exited with {process.returncode}\n{tail}")


def check_gradebook(out, count):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    problems = [r["student"] for r in rows if r["problem"]]
    if len(rows) != count or problems:
        sys.exit(f"batch_bench: {len(rows)} gradebook rows for {count} submissions, ungradable: {problems[:5]}")


def grader(*args):
    return [sys.executable, "-m", "grader", *map(str, args)]


def verdict(ok):
    return "ok" if ok else "MISSED"


class Batches:
    """The batches of one bench, graded by `python -m grader batch` into numbered output folders."""

    def __init__(self, scratch, jobs):
        self.scratch, self.jobs, self.outputs = scratch, jobs, 0

    def grade(self, folder, tree=ROOT, memory=None, expect=None):
        self.outputs += 1
        out = self.scratch / f"out-{self.outputs}"
        run = Run(grader("batch", folder, "-o", out, "--jobs", self.jobs, "--quiet"), tree, memory)
        if expect is not None:
            check_gradebook(out, expect)
        return run


def median(runs, field="seconds"):
    return statistics.median(getattr(run, field) for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help=".py submissions in the batch (default: 200)")
    parser.add_argument("--notebooks", type=int, default=200, help="notebooks in the notebook batch (default: 200)")
    parser.add_argument("--jobs", type=int, default=2, help="the batch's --jobs (default: 2)")
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=40,
        help="submissions graded one process each (default: 40; 0: the whole batch)",
    )
    parser.add_argument("--runs", type=int, default=3, help="rounds, interleaved (default: 3)")
    parser.add_argument(
        "--before",
        default=BEFORE_SPEED,
        help="an earlier commit whose .py batch runs in the same rounds (default: the one before "
        "issue 13's speed work; '' for none)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batch-bench-") as scratch:
        scratch = Path(scratch)
        (scratch / "py").mkdir()
        paths = build_batch(scratch / "students", args.count)
        distinct = build_batch(scratch / "distinct", len(sources()))
        build_batch(scratch / "notebooks", args.notebooks, notebook=True, scratch=scratch / "py")
        hanging, calm = (build_hanging_batch(scratch / name, name == "hanging") for name in ("hanging", "calm"))
        print(
            f"python {sys.version.split()[0]}; a batch of {len(paths)} .py submissions and one of {args.notebooks} "
            f"notebooks, from {len(sources())} distinct ones; 20 notebooks, one hanging in a cell\n"
        )

        sampled = args.baseline_sample and args.baseline_sample < len(paths)
        chosen = random.Random(SAMPLE_SEED).sample(paths, args.baseline_sample) if sampled else paths
        before = single.checkout(args.before, scratch) if args.before else None
        batches = Batches(scratch, args.jobs)
        py, nb, hang, calm_runs, baseline, earlier = [], [], [], [], [], []
        once, once_earlier = [], []
        for _ in range(args.runs):
            py.append(batches.grade(scratch / "students", expect=len(paths)))
            once.append(batches.grade(scratch / "distinct", expect=len(distinct)))
            nb.append(batches.grade(scratch / "notebooks", expect=args.notebooks))
            hang.append(batches.grade(hanging, expect=20))
            calm_runs.append(batches.grade(calm, expect=19))
            baseline.append(sum(Run(grader("grade", path, "--format", "json")).seconds for path in chosen))
            if before:
                earlier.append(batches.grade(scratch / "students", tree=before))
                once_earlier.append(batches.grade(scratch / "distinct", tree=before))
        memory = single.Memory(pss_every=PSS_SECONDS)
        batches.grade(scratch / "students", memory=memory)

        rate, cpu = len(paths) / median(py), median(py, "cpu") / len(paths)
        nb_rate = args.notebooks / median(nb)
        base_rate = len(chosen) / statistics.median(baseline)
        print(
            f".py batch, --jobs {args.jobs}: median {median(py):.2f} s: {rate:6.2f} submissions/s, "
            f"{cpu * 1000:.0f} ms of CPU per submission (whole tree)"
        )
        how = (
            f"a random sample of {len(chosen)} (seed {SAMPLE_SEED}), extrapolated: {len(paths) / base_rate:.1f} s"
            if sampled
            else "the whole batch"
        )
        print(
            f"  baseline, one `grade` process per submission, sequential, over {how}: "
            f"{base_rate:6.2f} submissions/s; "
            f"batch / baseline: {rate / base_rate:.2f}×"
        )
        if before:
            print(
                f"  the same batch at {args.before[:12]}: median {median(earlier):.2f} s "
                f"({len(paths) / median(earlier):.2f}/s, {median(earlier, 'cpu') / len(paths) * 1000:.0f} ms of CPU "
                f"per submission); now / then: {median(py) / median(earlier):.2f}× the time"
            )
        print(f"  memory, in a run of its own: peak PSS {memory.pss:6.1f} MiB (summed RSS {memory.rss:6.1f} MiB)")
        # the .py batch cycles through the distinct sources: its later students repeat earlier ones'
        # answers, which a batch judges once; each distinct one once shows the rate without repeats
        print(
            f"  each of the {len(distinct)} distinct ones once: median {median(once):.2f} s "
            f"({len(distinct) / median(once):.2f}/s, {median(once, 'cpu') / len(distinct) * 1000:.0f} ms of CPU per "
            "submission, the batch's start included)"
            + (
                f"; at {args.before[:12]}: {median(once_earlier):.2f} s, now / then: "
                f"{median(once) / median(once_earlier):.2f}× the time"
                if before
                else ""
            )
        )
        print(
            f"notebook batch: median {median(nb):.2f} s: {nb_rate:6.2f} notebooks/s, "
            f"{median(nb, 'cpu') / args.notebooks * 1000:.0f} ms of CPU per notebook"
        )
        print(f"20 notebooks, one hanging: median {median(hang):.2f} s; the 19 others alone: {median(calm_runs):.2f} s")
        checks = [
            (f".py rate {rate:.2f}/s >= {TARGET_RATE:g}/s", rate >= TARGET_RATE),
            (f"CPU {cpu * 1000:.0f} ms <= {TARGET_CPU * 1000:g} ms per .py", cpu <= TARGET_CPU),
            (f"notebook rate {nb_rate:.2f}/s >= {TARGET_NOTEBOOK_RATE:g}/s", nb_rate >= TARGET_NOTEBOOK_RATE),
            (f"peak PSS {memory.pss:.1f} MiB <= {TARGET_PEAK_MB:g} MiB", memory.pss <= TARGET_PEAK_MB),
            (f"hanging batch {median(hang):.1f} s < {TARGET_HANG_SECONDS:g} s", median(hang) < TARGET_HANG_SECONDS),
        ]
        print("\ntargets: " + "; ".join(f"{label} {verdict(ok)}" for label, ok in checks))
        if args.strict and not all(ok for _, ok in checks):
            sys.exit(1)


if __name__ == "__main__":
    main()
