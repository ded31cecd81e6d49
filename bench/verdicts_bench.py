"""`make bench`: how often the grader's verdicts are ones a TA would sign, over every corpus of the
tests whose outcome is known, and over a sample of the generated style space.

Two shares: of the correct submissions, those that get full marks (must be 100%); of the buggy
ones, those given a diagnosis id that is not the bug's (must be 0%). Every submission is graded
the way `grade` grades it (sandboxed), two at a time.
"""

import argparse
import itertools
import os
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
sys.path[:0] = [str(ROOT), str(TESTS)]

from reference.mutants import MUTANTS  # noqa: E402
from style_space import BUGS, source  # noqa: E402
from test_corpus import NAMED  # noqa: E402
from test_style_space import names_allowed, spread_styles  # noqa: E402

_grader = None


def correct_files():
    yield ROOT / "reference" / "backprop.py"
    yield from sorted((TESTS / "submissions").glob("correct_style_*.py"))
    yield from (TESTS / "notebooks" / name for name in ("reference.ipynb", "reference_messy.ipynb"))
    yield from sorted((TESTS / "offcatalogue" / "correct").iterdir())


def buggy_files(scratch):
    """(path, the ids a TA would sign for it)."""
    for name, named in NAMED.items():
        yield TESTS / "submissions" / name, set(named)
    expected = yaml.safe_load((TESTS / "offcatalogue" / "expected.yaml").read_text(encoding="utf-8"))
    for entry in expected["bugs"]:
        yield TESTS / "offcatalogue" / entry["file"], set(entry["ids"])
    for n, mutant in enumerate(MUTANTS):
        path = scratch / f"mutant_{n}.py"
        path.write_text(mutant.source(), encoding="utf-8")
        yield path, {mutant.id}


def style_space(scratch, examples):
    """(path, allowed ids or None for a correct one) of generated styles: every state, dtype and
    composition loop, the other choices cycling; each style also with one bug, the bugs in turn."""
    for n, style in enumerate(itertools.islice(spread_styles(), examples)):
        path = scratch / f"style_{n}.py"
        path.write_text(source(style), encoding="utf-8")
        yield path, None
        bug = BUGS[n % len(BUGS)]
        path = scratch / f"style_{n}_{bug}.py"
        path.write_text(source(style, bug), encoding="utf-8")
        yield path, names_allowed(bug, style)


def start():
    global _grader
    from grader import grading, rubric

    _grader = grading.Grader(rubric.load())


def verdict(path):
    from grader.submission import open_submission

    with open_submission(path) as submission:
        result = _grader.grade(submission)
    return result.score, result.max_score, [d.id for d in result.diagnoses]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", type=int, default=100, help="generated styles (each also graded with a bug)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        cases = [(path, None) for path in correct_files()] + list(buggy_files(scratch))
        cases += list(style_space(scratch, args.styles))
        with ProcessPoolExecutor(max_workers=int(os.environ.get("JOBS", 2)), initializer=start) as pool:
            results = list(pool.map(verdict, [path for path, _ in cases]))
    correct = [(path, result) for (path, allowed), result in zip(cases, results) if allowed is None]
    buggy = [(path, allowed, result) for (path, allowed), result in zip(cases, results) if allowed is not None]
    marked_down = [(path, result) for path, result in correct if result[0] != result[1] or result[2]]
    misnamed = [(path, result, allowed) for path, allowed, result in buggy if set(result[2]) - allowed]
    full_marks = [(path, result) for path, _, result in buggy if result[0] == result[1]]
    print(
        f"verdicts: correct submissions at full marks {len(correct) - len(marked_down)}/{len(correct)} "
        f"({100 * (1 - len(marked_down) / len(correct)):.1f}%, must be 100%); buggy submissions given a "
        f"wrong id {len(misnamed)}/{len(buggy)} ({100 * len(misnamed) / len(buggy):.1f}%, must be 0%); "
        f"buggy at full marks {len(full_marks)}/{len(buggy)}"
    )
    for path, (score, max_score, ids) in marked_down:
        print(f"  marked down: {path.name}: {score:g}/{max_score:g} {ids}")
    for path, (_, _, ids), allowed in misnamed:
        print(f"  misnamed: {path.name}: {sorted(set(ids) - allowed)} (expected {sorted(allowed)})")
    for path, _ in full_marks:
        print(f"  full marks with a bug: {path.name}")


if __name__ == "__main__":
    main()
