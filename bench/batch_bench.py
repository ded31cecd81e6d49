"""`make bench`, batch part: how fast `python -m grader batch` grades a class, against one
`python -m grader grade` process per submission, measured in the same run.

    .venv/bin/python bench/batch_bench.py [--count 200] [--jobs 2] [--baseline-sample 40] [--runs 3]

It builds a batch of --count submissions in a temporary folder (the reference, the correct
styles, every mutant and the forum files, cycled; every fifth one as a notebook), then measures,
in --runs interleaved rounds (medians reported):
(a) `python -m grader batch DIR -o OUT --jobs 2 --quiet`: wall time, submissions per second;
(b) the baseline: `python -m grader grade FILE --format json`, one process per submission, one
    after the other, over a random sample (fixed seed) of the same batch, its rate extrapolated to
    the batch; --baseline-sample 0 runs it over the whole batch;
and, in one more batch run of its own (so that sampling /proc costs the timed runs nothing), the
peak memory of the batch's whole process tree (workers, zygotes and sandboxed children included):
summed PSS, the memory the batch takes (the target), and summed RSS, which counts the pages a
zygote shares with its forks once per process (see bench.py's Memory).
"""
import argparse
import csv
import importlib.util
import random
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
NOTEBOOK_EVERY = 5  # every fifth submission is a notebook
SAMPLE_SEED = 0
TARGET_RATE = 10.0  # submissions per second
TARGET_SPEEDUP = 3.0  # × the one-process-per-submission baseline
TARGET_PEAK_MB = 500.0
BEFORE_CONFINEMENT = "4895f5634c6b211ed12ee63155cbeaf5be46166d"  # the grader before the Landlock allow-list
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


def build_batch(folder, count, scratch):
    """count submissions in folder, each with a line of its own (no two files alike); returns their paths."""
    folder.mkdir(parents=True)
    distinct = sources()
    paths = []
    for n in range(count):
        label, source = distinct[n % len(distinct)]
        student = f"s{n:04d}_{label}"
        if n % NOTEBOOK_EVERY == NOTEBOOK_EVERY - 1:
            py = scratch / f"{label}.py"
            py.write_text(source, encoding="utf-8")
            nb = notebooks.filled(py, extra_cells=[notebooks.markdown(f"student {n}")])
            paths.append(notebooks.write(nb, folder / f"{student}.ipynb"))
        else:
            path = folder / f"{student}.py"
            path.write_text(f"# student {n}\n{source}", encoding="utf-8")
            paths.append(path)
    return paths


def measure(command, memory=None, tree=ROOT):
    """(wall seconds, returncode, stderr tail) of one run; its process tree's memory sampled into
    `memory` (a bench.Memory) if given, else nothing done while it runs (no sampling in the times)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=tree, stdout=subprocess.DEVNULL, stderr=stderr)
        if memory:
            single.follow(process, memory, every=SAMPLE_SECONDS)
        else:
            process.wait()
        elapsed = time.perf_counter() - start
        stderr.seek(0)
        tail = stderr.read()[-2000:].decode(errors="replace")
    if process.returncode != 0:
        sys.exit(f"batch_bench: {' '.join(map(str, command[2:]))} exited with {process.returncode}\n{tail}")
    return elapsed


def check_gradebook(out, paths):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    problems = [r["student"] for r in rows if r["problem"]]
    if len(rows) != len(paths) or problems:
        sys.exit(f"batch_bench: {len(rows)} gradebook rows for {len(paths)} submissions, ungradable: {problems[:5]}")


def grader(*args):
    return [sys.executable, "-m", "grader", *map(str, args)]


def verdict(ok):
    return "ok" if ok else "MISSED"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="submissions in the batch (default: 200)")
    parser.add_argument("--jobs", type=int, default=2, help="the batch's --jobs (default: 2)")
    parser.add_argument("--baseline-sample", type=int, default=40,
                        help="submissions graded one process each (default: 40; 0: the whole batch)")
    parser.add_argument("--runs", type=int, default=3, help="rounds of batch and baseline, interleaved (default: 3)")
    parser.add_argument("--before", default=BEFORE_CONFINEMENT,
                        help="an earlier commit whose batch runs in the same rounds (default: the one before the "
                             "allow-list confinement; '' for none)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="batch-bench-") as scratch:
        scratch = Path(scratch)
        (scratch / "py").mkdir()
        paths = build_batch(scratch / "students", args.count, scratch / "py")
        notebooks_in = sum(p.suffix == ".ipynb" for p in paths)
        print(f"python {sys.version.split()[0]}; batch of {len(paths)} submissions "
              f"({len(paths) - notebooks_in} .py, {notebooks_in} .ipynb) from {len(sources())} distinct ones\n")

        sampled = args.baseline_sample and args.baseline_sample < len(paths)
        chosen = random.Random(SAMPLE_SEED).sample(paths, args.baseline_sample) if sampled else paths

        def batch(out, memory=None):
            return measure(grader("batch", scratch / "students", "-o", out, "--jobs", args.jobs, "--quiet"), memory)

        before = single.checkout(args.before, scratch) if args.before else None
        # rounds of (a) the batch, (b) one process per submission, sequentially, (c) the earlier batch, interleaved
        batch_seconds, baseline_seconds, before_seconds = [], [], []
        for round_ in range(args.runs):
            out = scratch / f"out-{round_}"
            batch_seconds.append(batch(out))
            check_gradebook(out, paths)
            baseline_seconds.append(sum(measure(grader("grade", path, "--format", "json")) for path in chosen))
            if before:
                before_seconds.append(measure(grader("batch", scratch / "students", "-o", scratch / f"before-{round_}",
                                                     "--jobs", args.jobs, "--quiet"), tree=before))
        memory = single.Memory(pss_every=PSS_SECONDS)
        batch(scratch / "out-memory", memory)

        rate = len(paths) / statistics.median(batch_seconds)
        print(f"batch --jobs {args.jobs}, {args.runs} runs: median {statistics.median(batch_seconds):.2f} s "
              f"(min {min(batch_seconds):.2f}, max {max(batch_seconds):.2f}): {rate:6.2f} submissions/s")
        print(f"  memory, in a run of its own: peak PSS {memory.pss:6.1f} MiB (summed RSS {memory.rss:6.1f} MiB) "
              "of the process tree")
        base_rate = len(chosen) / statistics.median(baseline_seconds)
        how = (f"a random sample of {len(chosen)} (seed {SAMPLE_SEED}, {sum(p.suffix == '.ipynb' for p in chosen)} "
               f"notebooks), extrapolated: {len(paths) / base_rate:.1f} s for the batch"
               if sampled else "the whole batch")
        print(f"baseline, one `grade` process per submission, sequential, over {how}")
        print(f"  median of {args.runs} passes: {base_rate:6.2f} submissions/s")

        if before:
            ratio = statistics.median(batch_seconds) / statistics.median(before_seconds)
            print(f"the same batch at {args.before[:12]}: median {statistics.median(before_seconds):.2f} s; "
                  f"now / then: {ratio:.2f}× the time")
        speedup = rate / base_rate
        print(f"\nbatch / baseline: {speedup:.2f}×")
        checks = [(f"batch rate {rate:.2f}/s >= {TARGET_RATE:g}/s", rate >= TARGET_RATE),
                  (f"speed-up {speedup:.2f}× >= {TARGET_SPEEDUP:g}×", speedup >= TARGET_SPEEDUP),
                  (f"peak PSS {memory.pss:.1f} MiB <= {TARGET_PEAK_MB:g} MiB", memory.pss <= TARGET_PEAK_MB)]
        print("targets: " + "; ".join(f"{label} {verdict(ok)}" for label, ok in checks))
        if args.strict and not all(ok for _, ok in checks):
            sys.exit(1)


if __name__ == "__main__":
    main()
