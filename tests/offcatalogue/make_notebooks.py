"""Writes the notebook submissions of tests/offcatalogue/ (correct/*.ipynb and bugs/*.ipynb).

    .venv/bin/python tests/offcatalogue/make_notebooks.py

Most notebooks are the course's layout (student_template/build_notebook.py, through the helpers
of tests/notebooks.py) filled with the classes of one of this corpus's .py files, then edited the
way a student edits a notebook: a Challenge section after the exercise, experiment cells, a
training function defined in one cell and called in another. One is written cell by cell in
nbgrader's release format. Every notebook runs in well under 5 s.
"""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
for folder in (TESTS.parent, TESTS):  # a script: the project and tests/notebooks.py, as pytest's pythonpath has them
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import notebooks as nbs  # noqa: E402  (tests/notebooks.py)
from notebooks import filled  # noqa: E402

CORRECT = HERE / "correct"
BUGS = HERE / "bugs"
REFERENCE = TESTS.parent / "reference" / "backprop.py"

FROZEN_BIAS_CHALLENGE = """\
class add_bias:
    def __init__(self, b):
        self.b = b

    def forward(self, x):
        return x + self.b

    def backward(self, grad):
        self.grad = grad
        return grad

    def step(self, learning_rate):
        pass  # the bias is frozen on purpose: only w learns


frozen = my_composition([multiplication_weight(1), add_bias(2), my_exp()])
frozen_losses, frozen_ws = [], []
for i in range(50000):
    j = np.random.randint(1, len(xx))
    y_est = frozen.forward(xx[j])
    frozen_losses.append(frozen.compute_loss(y_est, yy[j]))
    frozen.backward()
    frozen.step(1e-4)
    frozen_ws.append(frozen.layers[0].w)
print("with b frozen at 2, w ends at", frozen.layers[0].w)"""


# correct notebooks


def challenge_frozen_bias():
    """The exercise, then a Challenge section that redefines add_bias with a step that does
    nothing (frozen bias, on purpose) and trains 50,000 steps: only the exercise's loop counts."""
    nb = filled(CORRECT / "exp_recompute.py")
    intro = nbs.append(
        nb,
        nbs.markdown(
            "## Challenge (optional, not graded)\n\n"
            "Freeze the bias at its true value 2 and train only $w$, for much longer. "
            "Does $w$ reach 0.5 exactly?",
            "challenge-intro",
        ),
    )
    nbs.insert_after(nb, intro.id, nbs.code(FROZEN_BIAS_CHALLENGE, "challenge"))
    nbs.append(nb, nbs.code("plt.plot(frozen_ws)\nplt.axhline(0.5, color='k')", "challenge-plot"))
    return nb


NBGRADER_SOLUTION = {"grade": False, "locked": False, "solution": True, "schema_version": 3, "task": False}
NBGRADER_LOCKED = {"grade": False, "locked": True, "solution": False, "schema_version": 3, "task": False}
NBGRADER_TEST = {"grade": True, "locked": True, "solution": False, "schema_version": 3, "task": False, "points": 1}


def nbgrader_cell(kind, source, grade_id, meta):
    cell = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    cell.id = grade_id
    cell.metadata["nbgrader"] = {**meta, "grade_id": grade_id}
    if kind == "markdown":
        cell.metadata["nbgrader"].pop("points", None)
    return cell


def nbgrader_release():
    """nbgrader's release format: every cell carries nbgrader metadata, the solution cells keep
    the "# YOUR CODE HERE" comment above the student's code, locked test cells check a few
    values, and the training loop keeps no ws/bs lists: it prints the final w and b."""
    cells = [
        (
            "markdown",
            "# Homework 3: backpropagation by hand\n\nFit $y = \\exp(wx + b)$ by SGD. "
            "Fill in the cells marked `YOUR CODE HERE`; do not change the other cells.",
            "cell-intro",
            NBGRADER_LOCKED,
        ),
        ("code", "import numpy as np\nimport matplotlib.pyplot as plt", "cell-imports", NBGRADER_LOCKED),
        ("code", "xx = np.arange(0, 1, .01)\nyy = np.exp(0.5*xx + 2)\nplt.plot(xx, yy)", "cell-data", NBGRADER_LOCKED),
        (
            "code",
            """\
class add_bias:
    def __init__(self, b):
        # initialize with a bias b
        self.b = b

    def forward(self, x):
        # return the result of adding the bias
        return x + self.b

    def backward(self, grad):
        # save the gradient (to update the bias in the step method) and return the gradient backward
        self.grad = grad
        return grad

    def step(self, learning_rate):
        # update the bias
        self.b -= learning_rate*self.grad""",
            "cell-add-bias",
            NBGRADER_LOCKED,
        ),
        (
            "code",
            """\
class multiplication_weight:
    def __init__(self, w):
        # initialize with a weight w
        # YOUR CODE HERE
        self.w = w

    def forward(self, x):
        # return the result of multiplying by weight
        # YOUR CODE HERE
        self.x = x
        return self.w*x

    def backward(self, grad):
        # save the gradient and return the gradient backward
        # YOUR CODE HERE
        self.grad = grad*self.x
        return grad*self.w

    def step(self, learning_rate):
        # update the weight
        # YOUR CODE HERE
        self.w -= learning_rate*self.grad""",
            "cell-multiplication-weight",
            NBGRADER_SOLUTION,
        ),
        (
            "code",
            """\
m = multiplication_weight(2.)
assert np.isclose(m.forward(3.), 6.)
assert np.isclose(m.backward(1.), 2.)
assert np.isclose(m.grad, 3.)""",
            "cell-test-multiplication-weight",
            NBGRADER_TEST,
        ),
        (
            "code",
            """\
class my_exp:
    # no parameter
    def forward(self, x):
        # return exp(x)
        # YOUR CODE HERE
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        # return the gradient backward
        # YOUR CODE HERE
        return grad*self.out

    def step(self, learning_rate):
        # any parameter to update?
        # YOUR CODE HERE
        pass""",
            "cell-my-exp",
            NBGRADER_SOLUTION,
        ),
        (
            "code",
            """\
class my_composition:
    def __init__(self, layers):
        # initialize with all the operations (called layers here!) in the right order...
        # YOUR CODE HERE
        self.layers = layers

    def forward(self, x):
        # apply the forward method of each layer
        # YOUR CODE HERE
        for l in self.layers:
            x = l.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        # use the L2 loss
        # return the loss and save the gradient of the loss
        # YOUR CODE HERE
        self.grad = 2*(y_est - y_target)
        return (y_est - y_target)**2

    def backward(self):
        # apply backprop sequentially, starting from the gradient of the loss
        # YOUR CODE HERE
        g = self.grad
        for l in self.layers[::-1]:
            g = l.backward(g)
        return g

    def step(self, learning_rate):
        # apply the step method of each layer
        # YOUR CODE HERE
        for l in self.layers:
            l.step(learning_rate)""",
            "cell-my-composition",
            NBGRADER_SOLUTION,
        ),
        (
            "markdown",
            "## Training\n\nTrain `my_fit` with 5000 SGD steps and print the final $w$ and $b$.",
            "cell-training-intro",
            NBGRADER_LOCKED,
        ),
        (
            "code",
            """\
my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
learning_rate = 1e-4
losses = []
for i in range(5000):
    j = np.random.randint(1, len(xx))
    # YOUR CODE HERE
    y_est = my_fit.forward(xx[j])
    losses.append(my_fit.compute_loss(y_est, yy[j]))
    my_fit.backward()
    my_fit.step(learning_rate)
print('w =', my_fit.layers[0].w, ' b =', my_fit.layers[1].b)""",
            "cell-training",
            NBGRADER_SOLUTION,
        ),
        ("code", "plt.plot(losses)", "cell-plot-losses", NBGRADER_LOCKED),
    ]
    nb = new_notebook(
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
    )
    nb.cells = [nbgrader_cell(kind, source, grade_id, meta) for kind, source, grade_id, meta in cells]
    return nb


def extra_experiments():
    """After the training cell: the same model with other learning rates, and another
    my_composition with a different list of layers."""
    nb = filled(CORRECT / "grads_in_dict.py")
    nbs.append(nb, nbs.markdown("### Experiments: other learning rates", "lr-intro"))
    nbs.append(
        nb,
        nbs.code(
            """\
for lr in [1e-3, 1e-5]:
    fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    for i in range(1000):
        j = np.random.randint(1, len(xx))
        est = fit.forward(xx[j])
        fit.compute_loss(est, yy[j])
        fit.backward()
        fit.step(lr)
    print(lr, fit.layers[0].w, fit.layers[1].b)""",
            "other-learning-rates",
        ),
    )
    nbs.append(nb, nbs.markdown("### Experiment: no bias, two weights", "two-weights-intro"))
    nbs.append(
        nb,
        nbs.code(
            """\
two_weights = my_composition([multiplication_weight(2), multiplication_weight(0.5), my_exp()])
tw_losses = []
for i in range(500):
    j = np.random.randint(1, len(xx))
    est = two_weights.forward(xx[j])
    tw_losses.append(two_weights.compute_loss(est, yy[j]))
    two_weights.backward()
    two_weights.step(1e-4)
plt.plot(tw_losses)""",
            "two-weights",
        ),
    )
    return nb


LOOP_FUNCTION = """\
def run_sgd(xx, yy, learning_rate=1e-4, n_steps=5000):
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses, ws, bs = [], [], []
    for i in range(n_steps):
        j = np.random.randint(1, len(xx))
        y_est = my_fit.forward(xx[j])
        losses.append(my_fit.compute_loss(y_est, yy[j]))
        my_fit.backward()
        my_fit.step(learning_rate)
        ws.append(my_fit.layers[0].w)
        bs.append(my_fit.layers[1].b)
    return my_fit, losses, ws, bs"""


def loop_in_function(py_path, function_source):
    """The training loop written as a function in the training cell, called in the next cell."""
    nb = filled(py_path)
    nbs.replace_source(nb, nbs.TRAINING_CELL, function_source)
    nbs.insert_after_training(
        nb, nbs.code("my_fit, losses, ws, bs = run_sgd(xx, yy)\nprint(ws[-1], bs[-1])", "training-call")
    )
    return nb


def handout_2019_loss():
    """compute_loss(self, y, y_est) with 2*(y - y_est), called compute_loss(y_est, yy[j])."""
    return filled(CORRECT / "loss_handout_2019.py")


def params_in_dict():
    nb = filled(CORRECT / "params_in_dict.py")
    nbs.edit_cell(nb, "add-bias-example", "step(1e-2)\nMy_add_bias.b", "step(1e-2)\nMy_add_bias.params['b']")
    nbs.edit_cell(nb, nbs.TRAINING_CELL, "ws.append(my_fit.layers[0].w)", "ws.append(my_fit.layers[0].params['w'])")
    nbs.edit_cell(nb, nbs.TRAINING_CELL, "bs.append(my_fit.layers[1].b)", "bs.append(my_fit.layers[1].params['b'])")
    return nb


def truth_guess_target_first():
    return filled(
        CORRECT / "loss_truth_guess.py",
        loop_body="""\
guess = my_fit.forward(xx[j])
losses.append(my_fit.compute_loss(yy[j], guess))
my_fit.backward()
my_fit.step(learning_rate)""",
    )


# buggy notebooks

STEP_BEFORE_BACKWARD_LOOP = """\
y_est = my_fit.forward(xx[j])
losses.append(my_fit.compute_loss(y_est, yy[j]))
my_fit.step(learning_rate)
my_fit.backward()"""

CORRECT_MY_EXP = """\
# Challenge: I found my mistake in my_exp, here is the fixed version, trained much longer
class my_exp:
    def forward(self, x):
        self.e = np.exp(x)
        return self.e

    def backward(self, grad):
        return grad * self.e

    def step(self, learning_rate):
        pass


long_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
for i in range(50000):
    j = np.random.randint(1, len(xx))
    y_est = long_fit.forward(xx[j])
    long_fit.compute_loss(y_est, yy[j])
    long_fit.backward()
    long_fit.step(1e-4)
print(long_fit.layers[0].w, long_fit.layers[1].b)"""


def challenge_fixes_exp():
    """The exercise's my_exp forgets the local derivative; a Challenge cell after the exercise
    redefines a correct my_exp and trains 50,000 steps. The exercise's loop is what is graded."""
    nb = filled(BUGS / "recursive_exp_missing_local_grad.py")
    intro = nbs.append(nb, nbs.markdown("## Challenge\n\nTrain ten times longer.", "challenge-intro"))
    nbs.insert_after(nb, intro.id, nbs.code(CORRECT_MY_EXP, "challenge"))
    return nb


def three_layers_with_experiment():
    """A composition hard-wired to three layers; a later experiment cell with two layers
    raises (ValueError), as it would in the student's Jupyter."""
    nb = filled(BUGS / "composition_three_layers_unpacked.py")
    nbs.append(
        nb,
        nbs.code(
            """\
# experiment: without the bias
small = my_composition([multiplication_weight(0.5), my_exp()])
small.forward(xx[3])""",
            "experiment-two-layers",
        ),
    )
    return nb


EXP_WITHOUT_LOCAL_GRAD = """\
class my_exp:
    # no parameter

    def forward(self, x):
        # save what backward needs, return exp(x)
        self.e = np.exp(x)
        return self.e

    def backward(self, grad):
        # return the gradient with respect to the input x: grad times the derivative of exp at x
        return grad

    def step(self, learning_rate):
        # no parameter to update: do nothing
        pass"""


def challenge_fixes_exp_plain():
    """The course's classes with a my_exp.backward that returns grad unchanged; the Challenge
    cell after the exercise redefines a correct my_exp and trains 50,000 steps."""
    nb = filled(REFERENCE)
    nbs.replace_class(nb, "my_exp", EXP_WITHOUT_LOCAL_GRAD)
    intro = nbs.append(nb, nbs.markdown("## Challenge\n\nTrain ten times longer.", "challenge-intro"))
    nbs.insert_after(nb, intro.id, nbs.code(CORRECT_MY_EXP, "challenge"))
    return nb


RECURSIVE_COMPOSITION = """\
class my_composition:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x, i=0):
        # apply layer i, then the rest of the chain, recursively
        if i == len(self.layers):
            return x
        return self.forward(self.layers[i].forward(x), i + 1)

    def compute_loss(self, y_est, y_target):
        self.grad = 2 * (y_est - y_target)
        return (y_est - y_target) ** 2

    def backward(self, grad=None, i=None):
        # from the last layer down to layer 0, recursively
        if i is None:
            grad, i = self.grad, len(self.layers) - 1
        if i < 0:
            return grad
        return self.backward(self.layers[i].backward(grad), i - 1)

    def step(self, learning_rate, i=0):
        if i < len(self.layers):
            self.layers[i].step(learning_rate)
            self.step(learning_rate, i + 1)"""


def recursive_composition():
    """my_composition's forward, backward and step call themselves (with an index argument)."""
    nb = filled(REFERENCE)
    nbs.replace_class(nb, "my_composition", RECURSIVE_COMPOSITION)
    return nb


SWAPPED_LOOP_FUNCTION = LOOP_FUNCTION.replace("my_fit.compute_loss(y_est, yy[j])", "my_fit.compute_loss(yy[j], y_est)")

NOTEBOOKS = {
    CORRECT / "challenge_frozen_bias.ipynb": challenge_frozen_bias,
    CORRECT / "nbgrader_release.ipynb": nbgrader_release,
    CORRECT / "extra_experiments.ipynb": extra_experiments,
    CORRECT / "loop_in_function.ipynb": lambda: loop_in_function(CORRECT / "comp_reduce.py", LOOP_FUNCTION),
    CORRECT / "handout_2019_loss.ipynb": handout_2019_loss,
    CORRECT / "params_in_dict.ipynb": params_in_dict,
    CORRECT / "truth_guess_target_first.ipynb": truth_guess_target_first,
    CORRECT / "recursive_composition.ipynb": recursive_composition,
    BUGS / "loop_step_before_backward.ipynb": lambda: filled(REFERENCE, loop_body=STEP_BEFORE_BACKWARD_LOOP),
    BUGS / "grad_accumulates.ipynb": lambda: filled(BUGS / "grad_accumulates.py"),
    BUGS / "challenge_fixes_exp.ipynb": challenge_fixes_exp,
    BUGS / "challenge_fixes_exp_plain.ipynb": challenge_fixes_exp_plain,
    BUGS / "exp_cache_on_class.ipynb": lambda: filled(BUGS / "exp_cache_on_class.py"),
    BUGS / "loss_abs.ipynb": lambda: filled(BUGS / "loss_abs.py"),
    BUGS / "loop_in_function_swapped.ipynb": lambda: loop_in_function(
        CORRECT / "cache_input_cache.py", SWAPPED_LOOP_FUNCTION
    ),
    BUGS / "three_layers_with_experiment.ipynb": three_layers_with_experiment,
}


def main():
    assert SWAPPED_LOOP_FUNCTION != LOOP_FUNCTION
    for path, make in NOTEBOOKS.items():
        nb = make()
        nbformat.validate(nb)
        nbs.write(nb, path)
        print(f"wrote {path.relative_to(HERE)}")


if __name__ == "__main__":
    main()
