"""Builds the hand-out notebook backprop.ipynb from backprop.py, so the two never drift apart.

    python student_template/build_notebook.py [PY_PATH [OUT_PATH]]

writes student_template/backprop.ipynb from student_template/backprop.py (the defaults).

The code cells take, verbatim (ast.get_source_segment), the import lines, the `xx` / `yy`
set-up and the four classes of the .py; everything else (markdown, the worked example, the
training loop, the plots) is the course's notebook layout, written here. The .py's `train`
function is not copied: in the notebook the student writes the training loop in its own cell.

`build(py_path, loop_body=None)` works on any .py with these definitions (the tests build
notebooks from the reference and from sample submissions with it). Every cell gets a fixed,
meaningful id (CELL_IDS), so building twice gives the same file, byte for byte.
"""
import ast
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
DEFAULT_PY = HERE / "backprop.py"
DEFAULT_NOTEBOOK = HERE / "backprop.ipynb"

GIVEN_CLASS = "add_bias"
STUDENT_CLASSES = ("multiplication_weight", "my_exp", "my_composition")
CLASSES = (GIVEN_CLASS, *STUDENT_CLASSES)
DATA_NAMES = ("xx", "yy")
PLOT_IMPORT = "import matplotlib.pyplot as plt"

# the id of each cell of the layout, in order; a class cell's id is the class name
TRAINING_CELL = "training"
CELL_IDS = ("title", "imports", "data", "plot-data", "add-bias-intro", GIVEN_CLASS, "add-bias-example",
            "your-turn", *STUDENT_CLASSES, "training-intro", TRAINING_CELL, "plot-losses", "plot-ws", "plot-bs")

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

TITLE = r"""# Backpropagation by hand

We want to fit the model $y = \exp(w x + b)$ to the data below, which was made with
$w^* = 0.5$ and $b^* = 2$: starting from $w = 1$, $b = 1$, the training must recover
$w^*$ and $b^*$.

We train by stochastic gradient descent (SGD), **one sample per step**: pick an index $j$ at
random, compute the estimate $\hat y$ of $y_j$ from $x_j$ (forward), the loss, its gradient with
respect to each parameter (backward), and move each parameter against its gradient (step).

The model is a chain of three layers:

$$x \xrightarrow{\ \times w\ } z_1 = w x \xrightarrow{\ +b\ } z_2 = z_1 + b
\xrightarrow{\ \exp\ } \hat y = \exp(z_2)$$

with the L2 loss $L = (\hat y - y)^2$, so $\frac{\partial L}{\partial \hat y} = 2(\hat y - y)$.
The backward pass goes through the chain in reverse order, each layer multiplying the gradient
it receives by its local derivative (chain rule):

$$\frac{\partial L}{\partial z_2} = \frac{\partial L}{\partial \hat y}\,\exp(z_2), \qquad
\frac{\partial L}{\partial b} = \frac{\partial L}{\partial z_1} = \frac{\partial L}{\partial z_2},
\qquad \frac{\partial L}{\partial w} = \frac{\partial L}{\partial z_1}\,x, \qquad
\frac{\partial L}{\partial x} = \frac{\partial L}{\partial z_1}\,w$$

and a step with learning rate $\eta$ does $w \leftarrow w - \eta\,\frac{\partial L}{\partial w}$,
$b \leftarrow b - \eta\,\frac{\partial L}{\partial b}$.

Each layer is a class with three methods:
- `forward(x)` returns the layer's output (and saves what `backward` will need);
- `backward(grad)` receives $\frac{\partial L}{\partial \text{output}}$, saves the gradient of
  the loss with respect to the layer's parameter (if it has one) and returns
  $\frac{\partial L}{\partial x}$, the gradient with respect to the layer's input;
- `step(learning_rate)` updates the parameter with the saved gradient.

Keep the class, method and argument names: the grader calls them."""

ADD_BIAS_INTRO = r"""## The layer `add_bias` is given

`add_bias` computes $x + b$. Since $\frac{\partial (x + b)}{\partial b} = 1$ and
$\frac{\partial (x + b)}{\partial x} = 1$, `backward` saves the gradient it receives (for `step`)
and returns it unchanged."""

ADD_BIAS_EXAMPLE = """# example: one gradient step of add_bias alone, to fit z = x + 5 at the point x = xx[j]
My_add_bias = add_bias(1)
j = 10
z_pred = My_add_bias.forward(xx[j])
grad = 2*(z_pred - (xx[j]+5))  # gradient of the L2 loss (z_pred - (xx[j]+5))**2
My_add_bias.backward(grad)
My_add_bias.step(1e-2)
My_add_bias.b"""

YOUR_TURN = r"""## Your turn

Fill in the three classes below (each method still raises `NotImplementedError`; the comments
say what it must do):
- `multiplication_weight(w)`: the layer $x \mapsto w x$, with the parameter $w$;
- `my_exp()`: the layer $x \mapsto \exp(x)$, without parameter;
- `my_composition(layers)`: the chain of the given layers, in order. `compute_loss(y_est, y_target)`
  returns the L2 loss $(\hat y - y)^2$ and saves its gradient $2(\hat y - y)$ with respect to the
  estimate; `backward()` starts from that saved gradient and goes through the layers in reverse
  order, passing each layer's returned gradient to the layer before it; `step(learning_rate)`
  calls `step` on every layer."""

TRAINING_INTRO = r"""## Training

Complete the loop below: at each of the 5000 steps, with the sample $j$ already drawn,
1. compute the estimate `y_est` of `yy[j]` with the forward pass of `my_fit` on `xx[j]`;
2. compute the loss with `my_fit.compute_loss(y_est, yy[j])` (estimate first, then target)
   and append it to `losses`;
3. backpropagate with `my_fit.backward()`;
4. update the parameters with `my_fit.step(learning_rate)`.

The loop records $w$ and $b$ after each step; the plots below should show the loss going down,
$w$ going to 0.5 and $b$ going to 2."""

HANDOUT_LOOP_BODY = """\
# compute y_est, the estimate of yy[j], with the forward pass of my_fit on xx[j]
# compute the loss with my_fit.compute_loss(y_est, yy[j]) and append it to losses
# backpropagate with my_fit.backward()
# update the parameters with my_fit.step(learning_rate)"""

TRAINING_HEAD = """\
my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
learning_rate = 1e-4
losses, ws, bs = [], [], []
for i in range(5000):
    j = np.random.randint(1, len(xx))
"""

TRAINING_TAIL = """\
    ws.append(my_fit.layers[0].w)
    bs.append(my_fit.layers[1].b)"""


def definitions(source, filename="<source>"):
    """The import lines, the xx/yy set-up and each class of `source`, verbatim.

    Returns (imports, data, classes): two strings and a dict class name -> source segment.
    Raises LookupError naming what is missing."""
    tree = ast.parse(source, filename)
    imports, data, classes = [], [], {}
    for node in tree.body:
        segment = ast.get_source_segment(source, node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(segment)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DATA_NAMES
                                                  for t in node.targets):
            data.append(segment)
        elif isinstance(node, ast.ClassDef) and node.name in CLASSES:
            classes[node.name] = segment
    missing = [name for name in CLASSES if name not in classes]
    if not data:
        missing.append("the xx / yy set-up")
    if missing:
        raise LookupError(f"{filename}: no {', '.join(missing)}")
    return "\n".join(imports), "\n".join(data), classes


def training_source(loop_body=None):
    """The training cell. loop_body: the statements that replace the hand-out's comments in the
    loop body, between the `j = ...` line and the appends of w and b, as one string (lines
    separated by newlines) written at the loop body's level WITHOUT its indentation (any common
    indentation is removed); build() indents it by 4 spaces. None gives the hand-out's comments."""
    body = textwrap.dedent(HANDOUT_LOOP_BODY if loop_body is None else loop_body).strip("\n")
    return TRAINING_HEAD + textwrap.indent(body, "    ", lambda line: True) + "\n" + TRAINING_TAIL


def _cell(kind, cell_id, source):
    cell = (new_markdown_cell if kind == "markdown" else new_code_cell)(source)
    cell.id = cell_id
    return cell


CHECKER_IMPORT = """\
# check("a class") grades it as the course's grader will, on the visible checks (it holds no solution)
from backprop_check import check"""


def with_checks(cells):
    """The hand-out's cells with the checker: imported after the imports, called after each
    exercise (a class of the student's, then the training and its plots)."""
    checked = []
    for cell_id, cell in cells:
        checked.append((cell_id, cell))
        if cell_id == "imports":
            checked.append(("checker", ("code", CHECKER_IMPORT)))
        elif cell_id in STUDENT_CLASSES:
            checked.append((f"check-{cell_id}", ("code", f'check("{cell_id}")')))
    return checked + [("check-all", ("code", "check()"))]


def build(py_path, loop_body=None, checks=False):
    """The course's notebook, with the imports, data and classes of the .py at py_path.

    loop_body: see training_source (a string, unindented; build indents it). None: the
    hand-out's comments. checks: with the hand-out's cells that call its checker.
    Returns an nbformat v4 NotebookNode, code cells without outputs."""
    py_path = Path(py_path)
    imports, data, classes = definitions(py_path.read_text(encoding="utf-8"), str(py_path))
    if PLOT_IMPORT not in imports.splitlines():
        imports = f"{imports}\n{PLOT_IMPORT}" if imports else PLOT_IMPORT
    cells = [
        ("markdown", TITLE),
        ("code", imports),
        ("code", data),
        ("code", "plt.plot(xx, yy)"),
        ("markdown", ADD_BIAS_INTRO),
        ("code", classes[GIVEN_CLASS]),
        ("code", ADD_BIAS_EXAMPLE),
        ("markdown", YOUR_TURN),
        *(("code", classes[name]) for name in STUDENT_CLASSES),
        ("markdown", TRAINING_INTRO),
        ("code", training_source(loop_body)),
        ("code", "plt.plot(losses)"),
        ("code", "plt.plot(ws)"),
        ("code", "plt.plot(bs)"),
    ]
    nb = new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)})
    cells = list(zip(CELL_IDS, cells, strict=True))
    cells = with_checks(cells) if checks else cells
    nb.cells = [_cell(kind, cell_id, source) for cell_id, (kind, source) in cells]
    nbformat.validate(nb)
    return nb


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    py_path = Path(argv[0]) if argv else DEFAULT_PY
    out_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_NOTEBOOK
    nbformat.write(build(py_path, checks=True), str(out_path))
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
