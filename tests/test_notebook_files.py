"""The notebook files: the hand-out is built from backprop.py, the sample notebooks are what
tests/notebooks/make.py builds, all are valid nbformat v4, and the builders make notebooks that
run (in-process here; the grader itself runs submissions only in its sandboxed child)."""

import importlib.util
import io
import zipfile

import matplotlib
import nbformat
import numpy as np
import pytest

import notebooks as nbs
from helpers import REFERENCE, ROOT, TEMPLATE

matplotlib.use("Agg")
import matplotlib.pyplot as plt

TEMPLATE_NOTEBOOK = ROOT / "student_template" / "backprop.ipynb"
NOTEBOOKS = nbs.NOTEBOOKS
REBUILD = "run `.venv/bin/python student_template/build_notebook.py` and `.venv/bin/python tests/notebooks/make.py`"


def load_make():
    spec = importlib.util.spec_from_file_location("tests_notebooks_make", NOTEBOOKS / "make.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = load_make()
BUILT = make.files()


def run_cells(nb, stop_on_error=True):
    """Executes the code cells in order in one namespace, skipping the lines starting with % or !
    (magics, shell lines). Returns (namespace, {cell id: exception} of the cells that raised)."""
    namespace, errors = {"__name__": "__main__"}, {}
    try:
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                exec(compile(source, f"<cell {cell.id}>", "exec"), namespace)
            except Exception as error:  # a notebook run with errors allowed
                if stop_on_error:
                    raise
                errors[cell.id] = error
    finally:
        plt.close("all")
    return namespace, errors


# the files are up to date


def test_template_notebook_is_built_from_template_py():
    built = nbs.dumps(nbs.build(TEMPLATE, checks=True))
    assert TEMPLATE_NOTEBOOK.read_text(encoding="utf-8") == built, (
        f"student_template/backprop.ipynb is stale: {REBUILD}"
    )


@pytest.mark.parametrize("name", sorted(BUILT))
def test_committed_sample_equals_what_make_builds(name):
    path = NOTEBOOKS / name
    assert path.is_file(), f"{name} is missing: {REBUILD}"
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as committed, zipfile.ZipFile(io.BytesIO(BUILT[name])) as built:
            assert committed.namelist() == built.namelist()
            for member in built.namelist():
                assert committed.read(member) == built.read(member), f"{name}:{member} is stale: {REBUILD}"
    else:
        assert path.read_bytes() == BUILT[name], f"{name} is stale: {REBUILD}"


def test_no_stray_sample_notebooks():
    committed = {p.relative_to(NOTEBOOKS).as_posix() for p in NOTEBOOKS.rglob("*.ipynb")}
    assert committed == {name for name in BUILT if name.endswith(".ipynb")}


def test_zip_and_folder_hold_the_reference_notebook():
    reference = (NOTEBOOKS / "reference.ipynb").read_bytes()
    with zipfile.ZipFile(NOTEBOOKS / "zipped.zip") as archive:
        assert sorted(archive.namelist()) == ["README.txt", "some_folder/backprop.ipynb"]
        assert archive.read("some_folder/backprop.ipynb") == reference
    assert (NOTEBOOKS / "folder_submission" / "backprop.ipynb").read_bytes() == reference
    assert (NOTEBOOKS / "folder_submission" / "data.csv").is_file()


# the files are valid


def all_notebook_files():
    return [TEMPLATE_NOTEBOOK, *sorted(NOTEBOOKS.rglob("*.ipynb"))]


@pytest.mark.parametrize("path", all_notebook_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_notebook_file_validates(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata.kernelspec.name == "python3"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and all(c.outputs == [] and c.execution_count is None for c in code_cells)
    assert len({c.id for c in nb.cells}) == len(nb.cells)


def test_zipped_notebook_validates():
    with zipfile.ZipFile(NOTEBOOKS / "zipped.zip") as archive:
        nbformat.validate(nbformat.reads(archive.read("some_folder/backprop.ipynb").decode("utf-8"), as_version=4))


# the layout


def test_template_notebook_layout():
    nb = nbformat.read(str(TEMPLATE_NOTEBOOK), as_version=4)
    assert [c.id for c in nb.cells] == [cell_id for cell_id, _ in nbs.build_notebook.with_checks(CELLS)]
    assert [c.source for c in nb.cells if c.id.startswith("check-")] == [
        'check("multiplication_weight")',
        'check("my_exp")',
        'check("my_composition")',
        "check()",
    ]
    source = TEMPLATE.read_text(encoding="utf-8")
    for name in ("add_bias", "multiplication_weight", "my_exp", "my_composition"):
        assert nbs.cell(nb, name).source in source  # verbatim from the .py
    assert nbs.cell(nb, "imports").source == "import numpy as np\nimport matplotlib.pyplot as plt"
    training = nbs.cell(nb, nbs.TRAINING_CELL).source
    assert "my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])" in training
    assert "learning_rate = 1e-4" in training and "for i in range(5000):" in training
    statements = [line.strip() for line in training.splitlines() if not line.strip().startswith("#")]
    assert statements[-3:] == [
        "j = np.random.randint(1, len(xx))",
        "ws.append(my_fit.layers[0].w)",
        "bs.append(my_fit.layers[1].b)",
    ]  # the rest of the body is left to the student


CELLS = [(cell_id, None) for cell_id in nbs.CELL_IDS]


def test_template_notebook_runs_until_the_student_parts():
    nb = nbformat.read(str(TEMPLATE_NOTEBOOK), as_version=4)
    nb.cells = [cell for cell in nb.cells if not cell.id.startswith("check")]  # the checker's (test_handout.py)
    namespace, errors = run_cells(nb, stop_on_error=False)
    assert namespace["My_add_bias"].b == pytest.approx(1 - 1e-2 * 2 * (1 + 0.1 - 5.1))
    # the training cell fails at its first line, in the template's multiplication_weight(1);
    # the plots of the never-filled lists fail after it
    assert isinstance(errors.pop(nbs.TRAINING_CELL), NotImplementedError)
    assert set(errors) == {"plot-losses", "plot-ws", "plot-bs"}


def test_filled_takes_the_classes_from_the_given_file():
    forum = ROOT / "tests" / "submissions" / "forum_mul_returns_grad_w.py"
    nb = nbs.filled(forum, extra_cells=["print('done')"])
    assert "return self.grad" in nbs.cell(nb, "multiplication_weight").source
    assert nb.cells[-1].source == "print('done')" and nb.cells[-1].id == "extra-1"
    assert "y_est = my_fit.forward(xx[j])" in nbs.cell(nb, nbs.TRAINING_CELL).source
    nbformat.validate(nb)


# the builders make working notebooks


def test_reference_notebook_trains_to_the_expected_parameters():
    nb = nbformat.read(str(NOTEBOOKS / "reference.ipynb"), as_version=4)
    np.random.seed(0)
    namespace, _ = run_cells(nb)
    my_fit = namespace["my_fit"]
    assert my_fit.layers[0].w == pytest.approx(0.5057, abs=1e-3)
    assert my_fit.layers[1].b == pytest.approx(1.9966, abs=1e-3)
    assert len(namespace["losses"]) == len(namespace["ws"]) == 5000


def test_messy_notebook_trains_the_same_and_fails_only_where_meant_to():
    nb = nbformat.read(str(NOTEBOOKS / "reference_messy.ipynb"), as_version=4)
    np.random.seed(0)
    namespace, errors = run_cells(nb, stop_on_error=False)
    assert set(errors) == {"exploration"} and isinstance(errors["exploration"], IndexError)
    assert namespace["ws"][-1] == pytest.approx(0.5057, abs=1e-3)
    assert namespace["bs"][-1] == pytest.approx(1.9966, abs=1e-3)
    assert namespace["frozen_fit"].layers[1].b == 2  # the extension's add_bias does not learn


def test_syntax_error_notebook_fails_only_in_the_composition_cell():
    nb = nbformat.read(str(NOTEBOOKS / "composition_syntax_error.ipynb"), as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            if c.id == "my_composition":
                with pytest.raises(SyntaxError):
                    compile(c.source, c.id, "exec")
            else:
                compile(
                    "\n".join(line for line in c.source.splitlines() if not line.startswith(("%", "!"))), c.id, "exec"
                )


def test_template_filled_twice_defines_the_wrong_version_first():
    nb = nbformat.read(str(NOTEBOOKS / "template_filled_twice.ipynb"), as_version=4)
    ids = [c.id for c in nb.cells]
    training = ids.index(nbs.TRAINING_CELL)
    assert ids.index("multiplication_weight") < training < ids.index("multiplication_weight-fixed")
    wrong = nbs.cell(nb, "multiplication_weight").source
    assert "return grad * self.x" in wrong and "return grad * self.w" not in wrong
    assert "return grad * self.w" in nbs.cell(nb, "multiplication_weight-fixed").source


@pytest.mark.parametrize("name", ["forum_loss_grad_sign.ipynb", "loop_loss_args.ipynb"])
def test_swapped_loss_argument_notebooks(name):
    training = nbs.cell(nbformat.read(str(NOTEBOOKS / name), as_version=4), nbs.TRAINING_CELL).source
    assert "my_fit.compute_loss(yy[j], y_est)" in training


def test_reference_py_is_what_reference_notebook_holds():
    nb = nbformat.read(str(NOTEBOOKS / "reference.ipynb"), as_version=4)
    source = REFERENCE.read_text(encoding="utf-8")
    assert all(
        nbs.cell(nb, name).source in source
        for name in ("add_bias", "multiplication_weight", "my_exp", "my_composition")
    )
