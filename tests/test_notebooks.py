"""Grading notebooks: the hand-out, the committed samples of tests/notebooks/ (built by
tests/notebooks/make.py), folders and zips holding one, and the submissions that cannot be graded.

Cell numbers count every cell from 1 (markdown too); the expected numbers are found from the cell
ids tests/notebooks.py sets, never written by hand."""

import io
import json
import re
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

import notebooks as nbs
from helpers import (
    ROOT,
    SUBMISSIONS,
    TEMPLATE,
    assert_full_points,
    checks_by_id,
    checks_starting,
    diagnosis,
    diagnosis_ids,
    grade,
    grade_cli_json,
    graded,
    rubric_data,
    run_cli,
    summary,
    write_rubric,
)

NOTEBOOKS = nbs.NOTEBOOKS
TEMPLATE_NOTEBOOK = ROOT / "student_template" / "backprop.ipynb"
TRAINING = nbs.TRAINING_CELL
WHERE = re.compile(r"^(?P<name>[^,]+), cell (?P<cell>\d+)(?:, line (?P<line>\d+))?$")
FORUM = {
    "forum_loss_grad_sign": ("loss-grad-sign", "my_composition"),
    "forum_mul_grad_w_missing_x": ("mul-grad-w-missing-x", "multiplication_weight"),
    "forum_mul_returns_grad_w": ("mul-returns-grad-w", "multiplication_weight"),
}


def sample(name):
    return NOTEBOOKS / name


def read(path):
    return nbformat.read(str(path), as_version=4)


def number(path, cell_id):
    """The cell number (counting every cell from 1) of the cell cell_id in the notebook at path."""
    return nbs.index(read(path), cell_id) + 1


def parse_where(where):
    """(file name, cell, line or None) of "NAME.ipynb, cell N, line M"."""
    match = WHERE.match(where or "")
    assert match, f"not a notebook location: {where!r}"
    line = match["line"]
    return match["name"], int(match["cell"]), None if line is None else int(line)


def assert_in_cell(path, where, cell_id):
    """where is "NAME.ipynb, cell N, line M" with N the cell cell_id of path and M one of its lines."""
    name, cell, line = parse_where(where)
    assert name == path.name, where
    assert cell == number(path, cell_id), f"{where}: expected cell {number(path, cell_id)} ({cell_id})"
    lines = len(nbs.cell(read(path), cell_id).source.splitlines())
    assert line is not None and 1 <= line <= lines, f"{where}: the cell {cell_id} has {lines} lines"
    return line


def graded_note(result):
    """The "graded the definitions in effect when cell N trained: ..." note, parsed:
    (training cell, {class name: cell})."""
    found = [n for n in result.notes if n.startswith("graded the definitions in effect when cell")]
    assert len(found) == 1, result.notes
    match = re.match(r"graded the definitions in effect when cell (\d+) trained: (.*)$", found[0])
    assert match, found[0]
    classes = dict((name, int(cell)) for name, cell in re.findall(r"(\w+) \(cell (\d+)\)", match[2]))
    return int(match[1]), classes


def expected_graded_note(path):
    return (number(path, TRAINING), {name: number(path, name) for name in nbs.build_notebook.CLASSES})


def essentials(result):
    """What must be equal between two gradings of the same notebook, whatever its path."""
    data = result if isinstance(result, dict) else result.to_dict()
    return (
        data["score"],
        data["max_score"],
        [(c["id"], c["score"], c["status"], c["diagnoses"]) for c in data["checks"]],
        [(d["id"], d["checks"]) for d in data["diagnoses"]],
    )


# the hand-out


@pytest.mark.slow  # the command line, on a notebook
def test_template_notebook_gets_a_report_from_the_cli():
    proc = run_cli("grade", TEMPLATE_NOTEBOOK)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-3000:]
    assert "Score:" in proc.stdout and "not-implemented" in proc.stdout, proc.stdout[:3000]


@pytest.mark.slow  # the whole hand-out notebook
def test_template_notebook_is_not_implemented():
    result = graded(TEMPLATE_NOTEBOOK)
    assert "not-implemented" in diagnosis_ids(result), summary(result)
    assert result.score <= 15, summary(result)
    assert_full_points(checks_starting(result, "add_bias."))  # handed out complete


# the reference


def test_reference_notebook_gets_full_marks():
    result = graded(sample("reference.ipynb"))
    assert (result.score, result.max_score) == (100, 100), summary(result)
    assert diagnosis_ids(result) == [], summary(result)
    assert_full_points(result.checks)


def test_reference_notebook_note_names_the_training_cell_and_the_graded_cells():
    path = sample("reference.ipynb")
    assert graded_note(graded(path)) == expected_graded_note(path)


def test_messy_reference_gets_full_marks():
    result = graded(sample("reference_messy.ipynb"))
    assert (result.score, result.max_score) == (100, 100), summary(result)
    assert diagnosis_ids(result) == [], summary(result)
    assert_full_points(result.checks)


def test_messy_reference_notes_the_skipped_ipython_lines():
    path = sample("reference_messy.ipynb")
    notes = graded(path).notes
    for cell_id, line in (("imports", "%matplotlib inline"), ("pip-install", "!pip install numpy")):
        assert line in nbs.cell(read(path), cell_id).source.splitlines()[0]
        found = [n for n in notes if f"`{line}`" in n and "skipped" in n]
        assert found, notes
        assert f"cell {number(path, cell_id)}, line 1" in found[0], found


def test_messy_reference_grades_the_add_bias_the_training_cell_used():
    """The extension cell after the training cell redefines add_bias with a step that does nothing;
    the add_bias graded is the given one, and the note names its cell."""
    path = sample("reference_messy.ipynb")
    result = graded(path)
    training, classes = graded_note(result)
    assert (training, classes) == expected_graded_note(path)
    extension = number(path, "extension")
    assert training < extension and classes["add_bias"] != extension
    assert "class add_bias" in nbs.cell(read(path), "extension").source
    assert_full_points(checks_starting(result, "add_bias."))


def test_the_extension_add_bias_would_lose_points_if_it_were_graded(tmp_path):
    """Makes the test above meaningful: the frozen add_bias, in add_bias's own cell, loses add_bias.step."""
    messy = read(sample("reference_messy.ipynb"))
    frozen = nbs.cell(messy, "extension").source.split("\n\n\nfrozen_fit")[0]
    assert frozen.startswith("class add_bias") and "pass  # frozen bias" in frozen
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.replace_class(nb, "add_bias", frozen)
    result = grade(nbs.write(nb, tmp_path / "frozen.ipynb"))
    assert checks_by_id(result)["add_bias.step"].score == 0, summary(result)


def test_a_short_experiment_before_the_training_is_not_the_exercises_loop(tmp_path):
    """A first try of the hand-out's model for 100 steps, then the real training: the real one is graded."""
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.insert_before(
        nb,
        TRAINING,
        nbs.code(
            "trial = my_composition([multiplication_weight(1), add_bias(1), my_exp()])\n"
            "for _ in range(100):\n"
            "    j = np.random.randint(1, len(xx))\n"
            "    trial.compute_loss(trial.forward(xx[j]), yy[j])\n"
            "    trial.backward()\n"
            "    trial.step(1e-4)\n"
            "print(trial.layers[0].w, trial.layers[1].b)",
            "trial",
        ),
    )
    result = grade(nbs.write(nb, tmp_path / "trial_first.ipynb"))
    assert (result.score, diagnosis_ids(result)) == (100, []), summary(result)
    assert any(f"cell {nbs.index(nb, TRAINING) + 1} trained" in note for note in result.notes), result.notes


def test_a_loop_that_trains_too_few_steps_is_still_the_exercises_loop(tmp_path):
    """With no loop of the hand-out's length, the first training of the hand-out's model is graded."""
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.edit_cell(nb, TRAINING, "5000", "100")
    result = grade(nbs.write(nb, tmp_path / "short.ipynb"))
    checks = checks_by_id(result)
    assert checks["training.own_run"].score == 0, summary(result)
    protocol = rubric_data()["checks"]["training.protocol"]  # fewer steps than the hand-out's: that aspect only
    assert checks["training.protocol"].score == protocol["points"] - protocol["aspects"]["steps"], summary(result)
    assert_full_points([c for c in result.checks if not c.id.startswith("training.")])


@pytest.mark.parametrize("magic, runs", [("%%time", True), ("%%capture", True), ("%%bash", False)])
def test_a_cell_magic_runs_the_cell_when_its_body_is_python(tmp_path, magic, runs):
    """%%time and the like run the cell's Python (the training cell here); %%bash is not Python."""
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.replace_source(nb, TRAINING, f"{magic}\n" + nbs.cell(nb, TRAINING).source)
    result = grade(nbs.write(nb, tmp_path / "magic.ipynb"))
    assert (result.score == 100) == runs, summary(result)
    assert any("skipped, a cell magic" in note for note in result.notes) != runs, result.notes


# bugs, and where they are


def test_composition_syntax_error_keeps_the_layers_points():
    path = sample("composition_syntax_error.ipynb")
    result = graded(path)
    assert_full_points(checks_starting(result, "add_bias.", "multiplication_weight.", "my_exp."))
    found = diagnosis(result, "syntax-error")
    line = assert_in_cell(path, found.where, "my_composition")
    assert nbs.cell(read(path), "my_composition").source.splitlines()[line - 1].strip() == "def backward(self)"
    assert f"cell {number(path, 'my_composition')}, line {line}" in found.where


def test_missing_cache_is_named_in_my_exps_cell_with_partial_credit():
    path = sample("missing_cache.ipynb")
    result = graded(path)
    line = assert_in_cell(path, diagnosis(result, "missing-cache").where, "my_exp")
    assert "self.output" in nbs.cell(read(path), "my_exp").source.splitlines()[line - 1]
    assert_full_points(checks_starting(result, "multiplication_weight.", "my_composition."))
    assert 0 < result.score < 100, summary(result)


@pytest.mark.parametrize("stem", sorted(FORUM))
def test_forum_bug_is_named_in_its_class_cell(stem):
    diagnosis_id, class_name = FORUM[stem]
    path = sample(f"{stem}.ipynb")
    result = graded(path)
    assert_in_cell(path, diagnosis(result, diagnosis_id).where, class_name)
    assert 0 < result.score < 100, summary(result)


def test_loop_loss_args_points_at_the_training_cell():
    path = sample("loop_loss_args.ipynb")
    result = graded(path)
    assert_in_cell(path, diagnosis(result, "loop-loss-args").where, TRAINING)
    protocol = rubric_data()["checks"]["training.protocol"]
    expected = protocol["points"] - protocol["aspects"]["loss_arguments"]  # the loop is right otherwise
    assert checks_by_id(result)["training.protocol"].score == expected, summary(result)
    assert "loop-loss-args" in checks_by_id(result)["training.protocol"].diagnoses, summary(result)


def test_loop_in_its_own_signatures_order_is_not_loop_loss_args():
    """forum_loss_grad_sign's compute_loss(self, y, y_est): its loop passing the target first is right."""
    result = graded(sample("forum_loss_grad_sign.ipynb"))
    assert "loop-loss-args" not in diagnosis_ids(result), summary(result)
    assert_full_points([checks_by_id(result)["training.protocol"]])


def test_template_filled_twice_grades_the_definition_the_loop_used():
    path = sample("template_filled_twice.ipynb")
    result = graded(path)
    assert number(path, "multiplication_weight") < number(path, TRAINING) < number(path, "multiplication_weight-fixed")
    assert_in_cell(path, diagnosis(result, "mul-returns-grad-w").where, "multiplication_weight")
    assert graded_note(result)[1]["multiplication_weight"] == number(path, "multiplication_weight")


# the time budget


@pytest.mark.slow  # a notebook whose cells take seconds
def test_slow_exploration_costs_no_points(tmp_path):
    data = rubric_data()
    data["limits"]["notebook_seconds"] = 5
    rubric = write_rubric(tmp_path, data)
    path = sample("slow_exploration.ipynb")
    start = time.monotonic()
    result = grade(path, rubric)
    elapsed = time.monotonic() - start
    assert elapsed < 20, f"took {elapsed:.1f} s"
    assert (result.score, result.max_score) == (100, 100), summary(result)
    assert_full_points(result.checks)
    # a cell after the exercise's training cell is not graded: its timeout is told in the notes, not named
    assert "timeout" not in diagnosis_ids(result), summary(result)
    slow = f"{path.name}, cell {number(path, 'slow-exploration')}"
    assert any(note.startswith(slow) and "not graded" in note for note in result.notes), result.notes
    assert graded_note(result) == expected_graded_note(path)


@pytest.mark.slow  # a notebook whose cells take seconds
def test_slow_exploration_notes_do_not_contradict_each_other(tmp_path):
    data = rubric_data()
    data["limits"]["notebook_seconds"] = 1
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.insert_before(nb, "title", nbs.code("import time; time.sleep(600)", "slow"))
    result = grade(nbs.write(nb, tmp_path / "slow.ipynb"), write_rubric(tmp_path, data))
    assert not any("still ran" in n for n in result.notes), result.notes


@pytest.mark.slow  # runs to a cell's time limit
def test_a_cell_that_spins_costs_its_own_limit_and_the_cells_after_it_still_run(tmp_path):
    """Each cell has its own limit within the notebook's: a hung exploration cell costs seconds, not
    the whole notebook's budget, and the exercise's cells after it are graded."""
    data = rubric_data()
    data["limits"].update(notebook_seconds=30, cell_seconds=1)
    nb = nbs.filled(ROOT / "reference" / "backprop.py")
    nbs.insert_before(nb, "title", nbs.code("while True:\n    pass", "spin"))
    started = time.monotonic()
    result = grade(nbs.write(nb, tmp_path / "spin.ipynb"), write_rubric(tmp_path, data))
    assert time.monotonic() - started < 1 + 10
    assert_full_points(result.checks)
    assert any("ran past its limit of 1 s" in note for note in result.notes), result.notes


# folders and zips


@pytest.mark.parametrize("name", ["zipped.zip", "folder_submission"])
def test_zip_and_folder_grade_as_the_reference(name):
    assert essentials(graded(sample(name))) == essentials(graded(sample("reference.ipynb")))
    assert graded_note(graded(sample(name))) == expected_graded_note(sample("reference.ipynb"))


@pytest.mark.slow  # the command line, on a notebook
@pytest.mark.parametrize("name", ["zipped.zip", "folder_submission"])
def test_zip_and_folder_grade_as_the_reference_from_the_cli(name):
    _, report = grade_cli_json(sample(name))
    assert essentials(report) == essentials(graded(sample("reference.ipynb")))


@pytest.mark.slow  # the command line, on a notebook
def test_a_folder_holding_only_a_zip_grades_what_the_zip_holds(tmp_path):
    """As an LMS keeps an uploaded archive: the folder's one .zip is opened; a .py beside it wins."""
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "handed_in.zip").write_bytes(sample("zipped.zip").read_bytes())
    assert essentials(grade(folder)) == essentials(graded(sample("reference.ipynb")))
    (folder / "backprop.py").write_bytes(TEMPLATE.read_bytes())
    assert grade(folder).score == graded(TEMPLATE).score


def two_candidates_zip(directory):
    path = Path(directory) / "two.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hw/backprop.ipynb", nbs.dumps(nbs.filled(ROOT / "reference" / "backprop.py")))
        archive.writestr("hw/scratch/backprop.py", (ROOT / "reference" / "backprop.py").read_text())
        archive.writestr("hw/README.txt", "two tries\n")
    path.write_bytes(buffer.getvalue())
    return path


def test_zip_with_two_candidates_is_refused(tmp_path):
    proc = run_cli("grade", two_candidates_zip(tmp_path))
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "hw/backprop.ipynb" in proc.stderr and "hw/scratch/backprop.py" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr


def test_empty_folder_is_refused(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing here\n")
    proc = run_cli("grade", folder)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "no .py or .ipynb" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr


@pytest.mark.parametrize(
    "text",
    ["this is not JSON {\n", json.dumps({"cells": "nope", "hello": 1}), json.dumps({"name": "backprop", "version": 3})],
    ids=["not-json", "json-not-notebook", "json-no-cells"],
)
def test_invalid_notebook_is_refused(tmp_path, text):
    path = tmp_path / "backprop.ipynb"
    path.write_text(text, encoding="utf-8")
    proc = run_cli("grade", path)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "not a valid jupyter notebook" in proc.stderr.lower(), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == "", proc.stderr


# determinism, and the .py files the notebooks were built from


def test_messy_notebook_grades_identically_twice():
    path = sample("reference_messy.ipynb")
    assert grade(path).to_dict() == grade(path).to_dict()


@pytest.mark.parametrize("stem", sorted(FORUM))
def test_py_file_gets_the_same_diagnoses_as_its_notebook(stem):
    from_py = graded(SUBMISSIONS / f"{stem}.py")
    from_notebook = graded(sample(f"{stem}.ipynb"))
    assert FORUM[stem][0] in diagnosis_ids(from_py), summary(from_py)
    assert sorted(diagnosis_ids(from_py)) == sorted(diagnosis_ids(from_notebook)), (
        summary(from_py),
        summary(from_notebook),
    )
