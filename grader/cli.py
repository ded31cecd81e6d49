"""`backprop-grader …` (the console script; also `python -m grader …`): a thin command line over grader.api."""

import argparse
import gc
import os
import sys
from pathlib import Path

from grader import __version__, autograder
from grader.render import FORMATS, render

USAGE_ERROR = 2
INTERRUPTED = 130  # the shell's code for a command ended by Ctrl-C


class Parser(argparse.ArgumentParser):
    def error(self, message):
        """Usage errors in one line, as the exit code 2 promises."""
        self.exit(USAGE_ERROR, f"grader: {message} (see backprop-grader --help)\n")


def parser():
    p = Parser(prog="backprop-grader", description="Grades a backprop homework submission.")
    p.add_argument("--version", action="version", version=f"backprop-grader {__version__}")
    commands = p.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade one submission and print its report")
    grade.add_argument("path", help="the submission: a .py file, a .ipynb notebook, or a folder or .zip holding one")
    grade.add_argument("--rubric", help="the rubric YAML (default: rubrics/backprop.yaml)")
    grade.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    grade.add_argument("--seed", type=int, help="seed of the random inputs (default: the rubric's)")
    grade.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    batch = commands.add_parser("batch", help="grade a folder of submissions: gradebook, reports, summary")
    batch.add_argument("folder", help="one entry per student: a .py, .ipynb or .zip file, or a folder")
    batch.add_argument("-o", "--output", required=True, help="the folder to write the results into")
    batch.add_argument("--jobs", type=int, default=2, help="worker processes (default: 2)")
    batch.add_argument("--rubric", help="the rubric YAML (default: rubrics/backprop.yaml)")
    batch.add_argument("--seed", type=int, help="seed of the random inputs (default: the rubric's)")
    batch.add_argument("--resume", action="store_true", help="grade only the students without a report")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    handout = commands.add_parser("handout", help="write the students' hand-out zip: the exercise and its checker")
    handout.add_argument("-o", "--output", default="dist/handout.zip", help="the zip (default: dist/handout.zip)")
    handout.add_argument("--rubric", help="the rubric YAML (default: rubrics/backprop.yaml)")
    for name, lms, what in (
        ("autograder", autograder.GRADESCOPE, "Gradescope"),
        ("prairielearn", autograder.PRAIRIELEARN, "PrairieLearn's external grader"),
    ):
        root = lms.default_root
        command = commands.add_parser(
            name, help=f"grade ROOT/{lms.submission_folder}, write ROOT/results/results.json ({what})"
        )
        command.add_argument("--root", type=Path, default=root, help=f"the folder the LMS prepared (default: {root})")
        command.add_argument("--rubric", help="the rubric YAML (default: rubrics/backprop.yaml)")
        command.set_defaults(lms=lms)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return COMMANDS[args.command](args)


def run():
    """main() for a process that exits after it: the console script and `python -m grader`."""
    code = main()
    # the exit frees what the command made; the interpreter's last collections would first walk all
    # of it (a tenth of a single grading's time)
    gc.freeze()
    return code


def start_fork_server():
    """Started before the grader's own imports, so that its Python and numpy load beside them."""
    from grader.zygote import Zygote

    Zygote.shared()


def grade_command(args):
    start_fork_server()
    from grader import api
    from grader.rubric import RubricError
    from grader.submission import SubmissionError

    try:
        result = api.grade(args.path, args.rubric, args.seed)
    except (RubricError, SubmissionError) as error:
        print(f"grader: {error}", file=sys.stderr)
        return USAGE_ERROR
    report = render(result, args.format)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as error:
            print(f"grader: cannot write {args.output}: {error.strerror}", file=sys.stderr)
            return USAGE_ERROR
    else:
        sys.stdout.write(report)
    return 0


def lms_command(args):
    """0 once results.json is written, whatever it says (an ungradable submission included)."""
    start_fork_server()
    try:
        written = autograder.run(args.lms, args.root, args.rubric)
    except OSError as error:
        print(f"grader: cannot write the results in {args.root}: {error}", file=sys.stderr)
        return USAGE_ERROR
    print(f"grader: wrote {written}")
    return 0


def batch_command(args):
    from grader import batch
    from grader.rubric import RubricError

    if not os.path.isdir(args.folder):
        print(f"grader: {args.folder}: not a folder", file=sys.stderr)
        return USAGE_ERROR
    try:
        graded = batch.run_batch(
            args.folder, args.output, args.jobs, args.rubric, args.seed, args.resume, progress=not args.quiet
        )
    except RubricError as error:
        print(f"grader: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(
            f"grader: interrupted; the gradebook in {args.output} has the students done so far "
            "(--resume grades the rest)",
            file=sys.stderr,
        )
        return INTERRUPTED
    print(f"grader: graded {graded} submissions into {args.output}", file=sys.stderr)
    return 0


def handout_command(args):
    from grader import handout
    from grader.rubric import RubricError

    try:
        written = handout.build(args.output, args.rubric)
    except RubricError as error:
        print(f"grader: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OSError as error:
        print(f"grader: cannot write {args.output}: {error.strerror or error}", file=sys.stderr)
        return USAGE_ERROR
    print(f"grader: wrote {written}")
    return 0


COMMANDS = {
    "grade": grade_command,
    "handout": handout_command,
    "batch": batch_command,
    "autograder": lms_command,
    "prairielearn": lms_command,
}
