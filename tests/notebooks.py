"""Helpers for tests that need notebooks: build the course's notebook from any filled .py, edit
cells, write files. The layout and cell ids are those of student_template/build_notebook.py:
a class cell's id is the class name, the training cell's id is TRAINING_CELL.

    nb = filled(REFERENCE)                                   # reference classes, correct loop
    nb = filled(SUBMISSIONS / "forum_loss_grad_sign.py", loop_body=SWAPPED_LOSS_ARGS_LOOP)
    replace_class(nb, "my_exp", "class my_exp:\n    ...")    # a class cell's new source
    insert_after_training(nb, "import time; time.sleep(600)")
    write(nb, tmp_path / "backprop.ipynb")
"""

import itertools
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

from student_template import build_notebook  # a namespace package of the project's root (on sys.path)
from student_template.build_notebook import CELL_IDS, TRAINING_CELL, build  # noqa: F401  (CELL_IDS for the tests)


NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

# the course's correct loop body (without the j line and the appends, which the layout has);
# a loop body is written unindented, build() indents it
REFERENCE_LOOP = """\
y_est = my_fit.forward(xx[j])
losses.append(my_fit.compute_loss(y_est, yy[j]))
my_fit.backward()
my_fit.step(learning_rate)"""

# the same loop passing target and estimate to compute_loss in the other order
SWAPPED_LOSS_ARGS_LOOP = REFERENCE_LOOP.replace("compute_loss(y_est, yy[j])", "compute_loss(yy[j], y_est)")


def filled(py_path, loop_body=REFERENCE_LOOP, extra_cells=()):
    """The course's notebook with the imports, data and classes of py_path and the given loop
    body (a string, unindented). extra_cells: cells (nbformat cells, or strings for code cells)
    appended at the end, after the plots; give them ids with code()/markdown() or let
    append() number them."""
    nb = build(py_path, loop_body=loop_body)
    for cell in extra_cells:
        append(nb, cell)
    return nb


def write(nb, path):
    """Validates nb and writes it (nbformat's JSON: indent 1, sorted keys, final newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path


def dumps(nb):
    """The text write() would put in a file."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


# cells


def code(source, cell_id=None):
    cell = new_code_cell(source)
    cell.id = cell_id or "unnamed"  # replaced by a unique id when inserted, if left unnamed
    return cell


def markdown(source, cell_id=None):
    cell = new_markdown_cell(source)
    cell.id = cell_id or "unnamed"
    return cell


def _as_cell(nb, cell):
    cell = code(cell) if isinstance(cell, str) else cell
    taken = {c.id for c in nb.cells}
    if cell.get("id", "unnamed") == "unnamed" or cell.id in taken:
        base = "extra" if cell.get("id", "unnamed") == "unnamed" else cell.id
        cell.id = next(f"{base}-{n}" for n in itertools.count(1) if f"{base}-{n}" not in taken)
    return cell


def index(nb, cell_id):
    found = [n for n, cell in enumerate(nb.cells) if cell.get("id") == cell_id]
    assert len(found) == 1, f"cell id {cell_id!r} found {len(found)} times in {[c.get('id') for c in nb.cells]}"
    return found[0]


def cell(nb, cell_id):
    return nb.cells[index(nb, cell_id)]


def insert_after(nb, cell_id, new_cell):
    """Inserts new_cell (a cell, or a string for a code cell) right after the cell cell_id."""
    new_cell = _as_cell(nb, new_cell)
    nb.cells.insert(index(nb, cell_id) + 1, new_cell)
    return new_cell


def insert_before(nb, cell_id, new_cell):
    new_cell = _as_cell(nb, new_cell)
    nb.cells.insert(index(nb, cell_id), new_cell)
    return new_cell


def insert_after_training(nb, new_cell):
    """Inserts new_cell right after the training cell (before the plots)."""
    return insert_after(nb, TRAINING_CELL, new_cell)


def append(nb, new_cell):
    new_cell = _as_cell(nb, new_cell)
    nb.cells.append(new_cell)
    return new_cell


def replace_source(nb, cell_id, source):
    cell(nb, cell_id).source = source


def replace_class(nb, class_name, source):
    """Replaces the source of the class cell class_name (add_bias, multiplication_weight, my_exp,
    my_composition) with source; it need not parse."""
    assert class_name in build_notebook.CLASSES, class_name
    replace_source(nb, class_name, source)


def edit_cell(nb, cell_id, old, new):
    """Replaces the one occurrence of old in the cell's source (the edit must apply exactly once)."""
    source = cell(nb, cell_id).source
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times in cell {cell_id!r}"
    replace_source(nb, cell_id, source.replace(old, new))


def code_sources(nb):
    """The sources of the code cells, in order."""
    return [c.source for c in nb.cells if c.cell_type == "code"]
