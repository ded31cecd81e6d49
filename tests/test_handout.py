"""The students' hand-out (make handout): what it holds, that it holds nothing of the solution or of
a hidden check, that its checker runs without the grader's other packages, in a notebook and in the
shell, and that it gives the full grader's verdicts on every submission of the test corpora."""

import ast
import functools
import json
import os
import shutil
import subprocess
import sys

import pytest

import golden
import notebooks as nbs
from helpers import REFERENCE, TEMPLATE, checker_python, graded, rubric_data, unpacked, write_rubric
from grader import checker, handout, homework
from grader.expected import same_value
from grader.submission import open_submission
from reference.mutants import MUTANTS

STUDENT_FILES = {
    "backprop.ipynb",
    "backprop.py",
    "backprop_check.py",
    "Makefile",
    "README.md",
    "requirements.txt",
    "constraints.txt",
}
# where the hand-out cannot give the full grader's verdict, and why (the README says it too)
KNOWN_DIFFERENCES = {
    "tests/offcatalogue/bugs/composition_returns_activations.py": (
        "training.own_run",
        "the rubric's loop cannot train these classes (forward returns every layer's output), so the "
        "checker has no classes it may trust to replay the student's own loop, which is right",
    ),
}


def test_the_handout_holds_the_exercise_its_makefile_readme_and_a_checker_with_its_recording(default_handout):
    files, _ = default_handout
    assert set(files) >= STUDENT_FILES
    assert "grader/recording.json" in files and "grader/checker.py" in files
    assert b"from backprop_check import check" in files["backprop.ipynb"]
    assert files["backprop.py"] == TEMPLATE.read_bytes()


def test_the_handout_holds_no_code_of_the_solution_or_of_the_mutants(default_handout):
    """No statement of the solution's (or a mutant's) methods that computes something the hand-out does
    not give: not as a line of its code, nor inside its texts (hints, messages, the recording)."""
    files, _ = default_handout
    assert not [name for name in files if name.startswith("reference") or "__pycache__" in name]
    assert not [name for name in files if name.endswith((".pyc", ".pyo", ".so"))]
    given = statements(TEMPLATE.read_text(encoding="utf-8")) | notebook_statements(files["backprop.ipynb"])
    secret = solution_statements() - given
    assert len(secret) > 15  # the search has something to find
    code = {name: content for name, content in files.items() if name.endswith(".py")}
    leaks = {name: found for name, content in code.items() if (found := secret & statements(content, anywhere=True))}
    assert not leaks
    text = b"\n".join(content for name, content in files.items() if name not in code).decode("utf-8", "replace")
    assert not [statement for statement in secret if statement in text]


def statements(source, anywhere=False):
    """The statements of the graded classes' methods (or of the whole module) that compute something,
    as ast writes them."""
    found = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if node is tree if anywhere else isinstance(node, ast.ClassDef) and node.name in homework.GRADED:
            for inner in ast.walk(node):
                if isinstance(inner, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)) and computes(inner):
                    found.add(ast.unparse(inner))
                elif isinstance(inner, ast.For):
                    found.add(f"for {ast.unparse(inner.target)} in {ast.unparse(inner.iter)}:")
    return found


def computes(statement):
    return any(isinstance(node, (ast.BinOp, ast.Call, ast.UnaryOp)) for node in ast.walk(statement)) or isinstance(
        statement, ast.AugAssign
    )


def solution_statements():
    return statements(REFERENCE.read_text(encoding="utf-8")).union(*(statements(m.source()) for m in MUTANTS))


def notebook_statements(notebook):
    cells = json.loads(notebook)["cells"]
    return set().union(*(statements("".join(c["source"])) for c in cells if c["cell_type"] == "code"))


def test_the_search_for_the_solution_finds_a_statement_of_it_where_there_is_one():
    source = "class my_exp:\n    def backward(self, grad):\n        return grad * self.output\n"
    assert statements(source) == {"return grad * self.output"} <= solution_statements()


def test_a_hidden_check_leaves_nothing_of_its_own_in_the_handout(tmp_path):
    data = rubric_data()
    hidden = {"my_exp.arrays": "hidden", "training.protocol": "after_due_date"}
    for check_id, visibility in hidden.items():
        data["checks"][check_id]["visibility"] = visibility
        data["checks"][check_id]["feedback"] = f"secret feedback of {check_id}"
    files, _ = unpacked(handout.build(tmp_path / "handout.zip", write_rubric(tmp_path, data)))
    checker_data = json.loads(files["grader/recording.json"])
    assert not set(hidden) & set(checker_data["recording"]["checks"])
    assert not set(hidden) & set(checker_data["rubric"]["checks"])
    everything = b"\n".join(files.values()).decode("utf-8", "replace")
    assert "secret feedback" not in everything
    visible_total = sum(spec["points"] for cid, spec in data["checks"].items() if cid not in hidden)
    assert checker_data["rubric"]["total"] == visible_total


def test_what_the_checker_expects_is_no_answer_key_for_the_graded_run(default_handout):
    """A student who reads every file learns what the solution returns on the hand-out's inputs:
    drawn from another seed than the graded run's, they share none of its random inputs (only the
    edge cases every seed has)."""
    files, _ = default_handout
    recorded = json.loads(files["grader/recording.json"])["recording"]["checks"]
    assert recorded
    for check_id, recording in recorded.items():
        shown, graded_run = arguments(recording["ops"]), arguments(scenario(check_id, rubric_data()["seed"]))
        seedless = arguments(scenario(check_id, 12345)) & arguments(scenario(check_id, 54321))
        assert shown & graded_run <= seedless, check_id


def scenario(check_id, seed):
    from grader import rubric
    from grader.check import Context
    from grader.homework.checks import all_checks
    from grader.homework.inputs import make_inputs

    return all_checks()[check_id].scenario(Context.of(rubric.load(), make_inputs(seed), seed))


def arguments(ops):
    """Every number and array a scenario passes the code (as their JSON)."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            if value.get("kind") in ("num", "array"):
                found.add(json.dumps(value, sort_keys=True))
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(ops)
    return found


def test_the_recording_reads_back_as_the_solutions_own_observations():
    from helpers import default_grader

    grader = default_grader()
    recording = handout.expected.Recording(json.loads(json.dumps(handout.expected.record(grader, grader.by_id))))
    for plan in grader.plans:
        expected = recording.expected(plan.check, plan.spec, plan.ops, plan.ctx)
        if plan.expected is not None:
            assert all(same_value(expected[key], value) for key, value in plan.expected.items()), plan.spec.id
        if plan.check.uses_mutants:
            solution = [(m.id, found) for m, found in grader.mutants_on(plan)]
            recorded = [(m.id, found) for m, found in recording.mutants_on(plan)]
            assert [i for i, _ in recorded] == [i for i, _ in solution], plan.spec.id
            for (_, read_back), (_, found) in zip(recorded, solution):
                assert all(same_value(read_back[key], value) for key, value in found.items()), plan.spec.id


def test_a_recording_made_on_other_inputs_is_refused():
    from helpers import default_grader

    grader = default_grader()
    data = json.loads(json.dumps(handout.expected.record(grader, ["my_exp.forward"])))
    data["checks"]["my_exp.forward"]["ops"][-1]["args"] = [{"kind": "num", "number": 99.0}]
    with pytest.raises(handout.expected.RecordingError, match="other inputs"):
        plan = grader.by_id["my_exp.forward"]
        handout.expected.Recording(data).expected(plan.check, plan.spec, plan.ops, plan.ctx)


# the checker, run in the hand-out as a student runs it


RUN_CHECKER = """
import sys, json
import backprop_check
code = backprop_check.main(sys.argv[1:])
sys.stdout.flush()
loaded = sorted({name.split(".")[0] for name in sys.modules})
print("\\nMODULES " + json.dumps(loaded), file=sys.stderr)
sys.exit(code)
"""


def run_checker(handout_folder, path, *args):
    folder = handout_folder
    proc = subprocess.run(
        [str(checker_python(folder)), "-c", RUN_CHECKER, str(path), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = json.loads(proc.stderr.rsplit("MODULES ", 1)[1]) if "MODULES " in proc.stderr else None
    return proc, modules


@pytest.mark.slow
def test_make_grade_in_the_handout_grades_a_correct_file_full_marks_without_the_solution(default_handout, tmp_path):
    submission = tmp_path / "backprop.py"
    submission.write_bytes(REFERENCE.read_bytes())
    proc, modules = run_checker(default_handout[1], submission, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["score"] == report["max_score"] == 100, report
    assert report["seed"] == rubric_data()["handout_seed"]
    assert "reference" not in modules and not {"yaml", "matplotlib", "jsonschema"} & set(modules), modules


@pytest.mark.slow
def test_make_grade_in_the_handout_names_a_bug_where_it_is(default_handout, tmp_path):
    proc, _ = run_checker(default_handout[1], write_mutant(tmp_path, "mul-grad-w-missing-x"))
    assert proc.returncode == 0, proc.stderr
    assert "[mul-grad-w-missing-x]" in proc.stdout and "backprop.py:" in proc.stdout, proc.stdout


@pytest.mark.slow
def test_make_grade_in_the_handout_grades_its_notebook_with_its_check_cells(default_handout, tmp_path):
    notebook = tmp_path / "backprop.ipynb"
    nbs.write(nbs.build_notebook.build(REFERENCE, loop_body=nbs.REFERENCE_LOOP, checks=True), notebook)
    proc, _ = run_checker(default_handout[1], notebook, "--format", "json")
    report = json.loads(proc.stdout)
    assert report["score"] == 100, report
    assert not [note for note in report["notes"] if "raised" in note or "backprop_check" in note], report["notes"]


@pytest.mark.slow
def test_the_template_gets_in_the_handout_what_the_grader_gives_it(default_handout):
    proc, _ = run_checker(default_handout[1], "backprop.py", "--format", "json")
    report = json.loads(proc.stdout)
    assert report["score"] == graded(TEMPLATE).score and "not-implemented" in [d["id"] for d in report["diagnoses"]]


def test_an_unreadable_submission_is_one_line_not_a_traceback(default_handout, tmp_path):
    proc, _ = run_checker(default_handout[1], tmp_path / "missing.py")
    assert proc.returncode == 2 and "no such file" in proc.stderr and "Traceback" not in proc.stderr


# check() in a notebook: the kernel's history of cells, graded


def notebook_cells(path=REFERENCE):
    notebook = nbs.build_notebook.build(path, loop_body=nbs.REFERENCE_LOOP, checks=True)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.slow
def test_check_of_a_class_grades_its_checks_on_the_cells_run_so_far(kernel):
    cells = notebook_cells()
    kernel(*cells[:11], defined=("add_bias", "multiplication_weight", "my_exp"))
    result = checker.check("my_exp").result
    assert {c.id.split(".")[0] for c in result.checks} == {"my_exp"}
    assert result.score == result.max_score > 0, result


@pytest.mark.slow
def test_check_points_at_the_cell_as_jupyter_numbers_it(kernel, tmp_path):
    cells = notebook_cells(write_mutant(tmp_path, "exp-backward-missing-local-grad"))
    kernel(*cells, defined=("my_exp",))
    report = checker.check("my_exp")
    where = [d.where for d in report.result.diagnoses]
    number = next(n for n, cell in enumerate(cells, start=1) if cell.startswith("class my_exp"))
    assert where and where[0].startswith(f"In [{number}]"), where
    assert "exp-backward-missing-local-grad" in repr(report) and "<iframe" in report._repr_html_()


def write_mutant(folder, mutant_id):
    mutant = next(m for m in MUTANTS if m.id == mutant_id)
    path = folder / "backprop.py"
    path.write_text(mutant.source(), encoding="utf-8")
    return path


def test_check_without_a_name_grades_every_class_defined_so_far_and_the_training_once_all_are():
    assert set(checker.chosen([], {"my_exp": 1})) == {c for c in checker.groups()["my_exp"]}
    every = dict.fromkeys(("add_bias", "multiplication_weight", "my_exp", "my_composition"))
    assert "training.convergence" in checker.chosen([], every)


def test_check_of_an_unknown_name_says_which_it_knows():
    with pytest.raises(checker.CheckerError, match="'my_exp'"):
        checker.chosen(["my_expp"], {})


def test_check_outside_a_notebook_says_to_use_make_grade(kernel):
    with pytest.raises(checker.CheckerError, match="make grade"):
        checker.check()


# the same verdicts as the full grader


@functools.cache
def handout_grader():
    """The checker's grader on the inputs of the graded run's seed, so that its verdicts compare
    with the full grader's (the hand-out's own seed differs only in the inputs)."""
    return checker.grader_of(json.loads(json.dumps(handout.checker_data(seed=golden_seed()))))


def golden_seed():
    return rubric_data()["seed"]


def compared():
    """The corpus files compared: every one in `make bench` (HANDOUT_CORPUS=all), a third of them and
    the known differences in `make test` (each comparison grades the file twice, half a second)."""
    names = sorted(golden.corpus())
    if os.environ.get("HANDOUT_CORPUS") == "all":
        return names
    return sorted(set(names[::3]) | set(KNOWN_DIFFERENCES))


@pytest.mark.slow
@pytest.mark.parametrize("name", golden.grouped(compared()))
def test_the_handout_gives_the_full_graders_scores_and_diagnoses(name):
    path = golden.corpus()[name]
    with open_submission(path) as submission:
        mine = handout_grader().grade(submission)
    full = {c.id: (c.score, c.diagnoses) for c in graded(path).checks}
    differences = {c.id for c in mine.checks if (c.score, c.diagnoses) != full[c.id]}
    known = {KNOWN_DIFFERENCES[name][0]} if name in KNOWN_DIFFERENCES else set()
    assert differences == known, name
    assert [d.id for d in mine.diagnoses] == [d.id for d in graded(path).diagnoses]


def test_the_checker_elsewhere_than_linux_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert checker.main([str(TEMPLATE)]) == 2
    assert "runs on Linux" in capsys.readouterr().err


def test_a_recording_the_checker_cannot_read_is_one_line_not_a_traceback(default_handout, tmp_path):
    folder = tmp_path / "handout"
    shutil.copytree(default_handout[1], folder)
    recording = folder / "grader" / "recording.json"
    data = json.loads(recording.read_text(encoding="utf-8"))
    data["recording"]["format"] = 99
    recording.write_text(json.dumps(data), encoding="utf-8")
    proc, _ = run_checker(folder, "backprop.py")
    assert proc.returncode == 2 and "ask for the hand-out again" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_cell_the_student_interrupted_is_left_out_of_the_next_checks(kernel):
    cells = notebook_cells()
    hung = "while True:\n    pass"
    shell = kernel(*cells[:11], hung, *cells[11:], defined=("my_exp",))
    checker.watch_the_kernel()
    shell.ran(12, KeyboardInterrupt())
    shell.ran(13)
    result = checker.check("my_exp").result
    assert result.score == result.max_score and not [n for n in result.notes if "Timeout" in n], result.notes


def test_check_before_any_class_is_defined_says_there_is_nothing_to_check_yet(kernel):
    kernel("import numpy as np")
    with pytest.raises(checker.CheckerError, match="nothing to check yet"):
        checker.check()


def test_a_damaged_recording_is_refused_whole_before_any_grading():
    damaged = {"format": 1, "checks": {"my_exp.forward": {"ops": [], "expected": {"x": {"kind": "?"}}, "mutants": []}}}
    with pytest.raises(handout.expected.RecordingError, match="damaged"):
        handout.expected.Recording({**damaged, "training": None})


def test_every_package_the_handouts_notebook_imports_is_installed_by_its_make_grade(default_handout):
    """The checker runs the student's notebook: what the hand-out's notebook imports, its requirements
    install (a notebook of the course's imports matplotlib, which the checker itself never needs)."""
    files, _ = default_handout
    cells = json.loads(files["backprop.ipynb"])["cells"]
    imported = set()
    for cell in cells:
        if cell["cell_type"] == "code":
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module:
                    imported.add(node.module.split(".")[0])
    required = {line.split("==")[0].lower() for line in files["requirements.txt"].decode().splitlines() if "==" in line}
    assert "matplotlib" in imported
    assert imported - {"backprop_check"} <= required
