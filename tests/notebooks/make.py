"""Writes the sample notebook submissions of tests/notebooks/ (committed; a test checks the
committed files equal what this script builds).

    .venv/bin/python tests/notebooks/make.py

Each notebook is the course's layout (student_template/build_notebook.py) built with
tests/notebooks.py from the reference or from a sample submission, plus the edits below.
"""

import io
import math
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
for folder in (ROOT, TESTS):  # run as a script: the project and tests/notebooks.py, as pytest's pythonpath has them
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import notebooks as nbs  # noqa: E402  (tests/notebooks.py)
from notebooks import SWAPPED_LOSS_ARGS_LOOP, filled  # noqa: E402

REFERENCE = ROOT / "reference" / "backprop.py"
SUBMISSIONS = TESTS / "submissions"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the zip's bytes do not depend on when it was built


def reference():
    return filled(REFERENCE)


def reference_messy():
    """A notebook as students hand it in: magics, a shell line, an exploratory cell that raises
    before the training cell, extra plots, and after the training cell an extension exercise
    that redefines add_bias with a step that does nothing, and uses it. The grader must grade the
    add_bias the training cell used (the given, correct one)."""
    nb = filled(REFERENCE)
    nbs.replace_source(nb, "imports", "%matplotlib inline\n" + nbs.cell(nb, "imports").source)
    nbs.insert_before(nb, "imports", nbs.code("!pip install numpy", "pip-install"))
    nbs.insert_after(
        nb,
        "plot-data",
        nbs.code("plt.plot(xx, yy, 'o')\nplt.xlabel('x')\nplt.ylabel('y')\nplt.show()", "plot-data-points"),
    )
    nbs.insert_after(
        nb,
        "my_composition",
        nbs.code(
            "# trying things out\n"
            "my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])\n"
            "print(my_fit.forward(xx[10]))\n"
            "my_fit.layers[5]",
            "exploration",
        ),
    )
    extension = nbs.insert_after_training(
        nb,
        nbs.markdown(
            "## Extension exercise\n\nWhat happens if the bias is frozen? Redefine `add_bias` so that "
            "`step` does nothing and train again.",
            "extension-intro",
        ),
    )
    nbs.insert_after(
        nb,
        extension.id,
        nbs.code(
            "class add_bias:\n"
            "    def __init__(self, b):\n"
            "        self.b = b\n"
            "\n"
            "    def forward(self, x):\n"
            "        return x + self.b\n"
            "\n"
            "    def backward(self, grad):\n"
            "        self.grad = grad\n"
            "        return grad\n"
            "\n"
            "    def step(self, learning_rate):\n"
            "        pass  # frozen bias\n"
            "\n"
            "\n"
            "frozen_fit = my_composition([multiplication_weight(1), add_bias(2), my_exp()])\n"
            "frozen_ws = []\n"
            "for i in range(200):\n"
            "    j = np.random.randint(1, len(xx))\n"
            "    y_est = frozen_fit.forward(xx[j])\n"
            "    frozen_fit.compute_loss(y_est, yy[j])\n"
            "    frozen_fit.backward()\n"
            "    frozen_fit.step(learning_rate)\n"
            "    frozen_ws.append(frozen_fit.layers[0].w)\n"
            "plt.plot(frozen_ws)\n"
            "print(frozen_fit.layers[0].w, frozen_fit.layers[1].b)",
            "extension",
        ),
    )
    nbs.append(
        nb, nbs.code("plt.plot(xx, yy, 'o')\nplt.plot(xx, np.exp(ws[-1] * xx + bs[-1]))\nplt.show()", "plot-fit")
    )
    return nb


def composition_syntax_error():
    nb = filled(REFERENCE)
    nbs.edit_cell(nb, "my_composition", "    def backward(self):\n", "    def backward(self)\n")
    return nb


def missing_cache():
    """Partly done: my_exp.forward returns np.exp(x) without saving it, backward reads self.output."""
    nb = filled(REFERENCE)
    nbs.replace_class(
        nb,
        "my_exp",
        """\
class my_exp:
    # no parameter

    def forward(self, x):
        # save what backward needs, return exp(x)
        return np.exp(x)

    def backward(self, grad):
        # return the gradient with respect to the input x: grad times the derivative of exp at x
        return grad * self.output

    def step(self, learning_rate):
        # no parameter to update: do nothing
        pass""",
    )
    return nb


def forum_loss_grad_sign():
    # that file's compute_loss(self, y, y_est): the loop passes the target first, consistently
    return filled(SUBMISSIONS / "forum_loss_grad_sign.py", loop_body=SWAPPED_LOSS_ARGS_LOOP)


def forum_mul_grad_w_missing_x():
    return filled(SUBMISSIONS / "forum_mul_grad_w_missing_x.py")


def forum_mul_returns_grad_w():
    return filled(SUBMISSIONS / "forum_mul_returns_grad_w.py")


def loop_loss_args():
    """Reference classes (compute_loss(self, y_est, y_target)); the loop swaps the arguments."""
    return filled(REFERENCE, loop_body=SWAPPED_LOSS_ARGS_LOOP)


def slow_exploration():
    nb = filled(REFERENCE)
    nbs.insert_after_training(nb, nbs.code("import time; time.sleep(600)", "slow-exploration"))
    return nb


CORRECT_MULTIPLICATION_WEIGHT = """\
class multiplication_weight:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        self.x = x
        return self.w * x

    def backward(self, grad):
        self.grad = grad * self.x
        return grad * self.w

    def step(self, learning_rate):
        self.w -= learning_rate * self.grad"""


def template_filled_twice():
    """multiplication_weight defined twice: a wrong version (backward returns grad * self.x) in
    its cell, before the training cell, and the correct one after it. The training cell used
    the wrong one: that is the one to grade."""
    nb = filled(REFERENCE)
    wrong = CORRECT_MULTIPLICATION_WEIGHT.replace("return grad * self.w", "return grad * self.x")
    assert wrong != CORRECT_MULTIPLICATION_WEIGHT
    nbs.replace_class(nb, "multiplication_weight", wrong)
    nbs.insert_after_training(
        nb, nbs.code("# fixed after the deadline\n" + CORRECT_MULTIPLICATION_WEIGHT, "multiplication_weight-fixed")
    )
    return nb


NOTEBOOKS = {
    "reference.ipynb": reference,
    "reference_messy.ipynb": reference_messy,
    "composition_syntax_error.ipynb": composition_syntax_error,
    "missing_cache.ipynb": missing_cache,
    "forum_loss_grad_sign.ipynb": forum_loss_grad_sign,
    "forum_mul_grad_w_missing_x.ipynb": forum_mul_grad_w_missing_x,
    "forum_mul_returns_grad_w.ipynb": forum_mul_returns_grad_w,
    "loop_loss_args.ipynb": loop_loss_args,
    "slow_exploration.ipynb": slow_exploration,
    "template_filled_twice.ipynb": template_filled_twice,
}

ZIP_NAME = "zipped.zip"
ZIP_README = "Homework 3: backprop by hand. My notebook is some_folder/backprop.ipynb.\n"
FOLDER = "folder_submission"


def data_csv():
    lines = ["x,y"] + [f"{i / 100:.2f},{math.exp(0.5 * i / 100 + 2):.6f}" for i in range(100)]
    return "\n".join(lines) + "\n"


def zip_members():
    """name -> bytes of the members of zipped.zip, in order."""
    return {
        "some_folder/backprop.ipynb": nbs.dumps(reference()).encode("utf-8"),
        "README.txt": ZIP_README.encode("utf-8"),
    }


def zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def files():
    """Relative path under tests/notebooks -> bytes, for every file this script writes."""
    out = {name: nbs.dumps(make()).encode("utf-8") for name, make in NOTEBOOKS.items()}
    out[ZIP_NAME] = zip_bytes(zip_members())
    out[f"{FOLDER}/backprop.ipynb"] = out["reference.ipynb"]
    out[f"{FOLDER}/data.csv"] = data_csv().encode("utf-8")
    return out


def main(out_dir=HERE):
    out_dir = Path(out_dir)
    for name, data in files().items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(out_dir)}")


if __name__ == "__main__":
    main()
