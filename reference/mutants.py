"""The catalogue of known wrong variants: each is the reference with one mistake made, the way
students make it, and carries the diagnosis id the grader names when a submission behaves alike.

A mutant is a list of source edits of `backprop.py` (a mistake may have several sites, such as
step's sign in every layer with a parameter), so the catalogue reads as a list of diffs.
"""
import functools
from dataclasses import dataclass
from pathlib import Path

REFERENCE = Path(__file__).with_name("backprop.py")

# a loop that steps before backward needs the gradients to exist before the first backward
GRADIENTS_FROM_INIT = (("self.w = w\n", "self.w = w\n        self.grad = 0\n"),
                       ("self.b = b\n", "self.b = b\n        self.grad = 0\n"))
LOOP_STEPS = "        my_fit.backward()\n        my_fit.step(learning_rate)\n"


@dataclass(frozen=True)
class Mutant:
    id: str
    edits: tuple
    variant: str = ""

    @property
    def name(self):
        return f"{self.id} ({self.variant})" if self.variant else self.id

    def source(self):
        source = REFERENCE.read_text()
        for old, new in self.edits:
            if source.count(old) != 1:
                raise ValueError(f"mutant {self.name}: {old!r} must occur once in {REFERENCE.name}")
            source = source.replace(old, new)
        return source

    @property
    def filename(self):
        return f"<mutant {self.name}>"

    def namespace(self):
        return load(self.source(), self.filename)


def load(source, filename):
    namespace = {"__name__": "mutant"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


MUTANTS = (
    Mutant("loss-grad-sign", (("2 * (y_est - y_target)", "2 * (y_target - y_est)"),)),
    Mutant("loss-grad-scale", (("self.grad = 2 * (y_est - y_target)", "self.grad = y_est - y_target"),)),
    Mutant("loss-value", (("return (y_est - y_target) ** 2", "return y_est - y_target"),)),
    Mutant("mul-grad-w-missing-x", (("self.grad = grad * self.x", "self.grad = grad"),)),
    Mutant("mul-returns-grad-w", (("return grad * self.w", "return grad * self.x"),)),
    Mutant("exp-backward-missing-local-grad", (("return grad * self.output", "return grad"),)),
    Mutant("step-assign", (("self.w -= learning_rate", "self.w = learning_rate"),
                           ("self.b -= learning_rate", "self.b = learning_rate"))),
    Mutant("step-ascent", (("self.w -= learning_rate", "self.w += learning_rate"),
                           ("self.b -= learning_rate", "self.b += learning_rate"))),
    Mutant("composition-forward-order", (("for layer in self.layers:\n            x =",
                                          "for layer in reversed(self.layers):\n            x ="),)),
    Mutant("composition-backward-order", (("for layer in reversed(self.layers):\n            grad =",
                                           "for layer in self.layers:\n            grad ="),)),
    Mutant("composition-backward-no-chain", (("grad = layer.backward(grad)", "layer.backward(grad)"),)),
    Mutant("composition-fixed-arity", (
        ("for layer in self.layers:\n            x = layer.forward(x)\n        return x",
         "return self.layers[2].forward(self.layers[1].forward(self.layers[0].forward(x)))"),
        ("for layer in reversed(self.layers):\n            grad = layer.backward(grad)\n        return grad",
         "return self.layers[0].backward(self.layers[1].backward(self.layers[2].backward(grad)))"))),
    Mutant("composition-fixed-arity", (
        ("for layer in self.layers:\n            x = layer.forward(x)\n        return x",
         "return self.layers[2].forward(self.layers[1].forward(self.layers[0].forward(x)))"),),
        variant="forward only"),
    Mutant("shared-state", (("self.x = x", "multiplication_weight.x = x"),
                            ("self.output = np.exp(x)", "my_exp.output = np.exp(x)"))),
    Mutant("shared-state", (("self.x = x", "multiplication_weight.saved_x = x"),
                            ("self.grad = grad * self.x", "self.grad = grad * multiplication_weight.saved_x")),
           variant="the input kept on the class"),
    Mutant("missing-cache", (("        self.x = x\n", ""),
                             ("self.output = np.exp(x)\n        return self.output", "return np.exp(x)"))),
    Mutant("scalar-only", (("import numpy as np\n", "import math\n\nimport numpy as np\n"),
                           ("self.output = np.exp(x)", "self.output = math.exp(x)"),
                           ("return self.w * x", "return self.w * float(x)"))),
    Mutant("mutates-input", (("return self.w * x", "x *= self.w\n        return x"),)),
    Mutant("mutates-input", (("return x + self.b", "x += self.b\n        return x"),), variant="add_bias in place"),
    Mutant("mutates-input", (("self.output = np.exp(x)",
                              "self.output = np.exp(x, out=x) if isinstance(x, np.ndarray) else np.exp(x)"),),
           variant="my_exp in place"),
    Mutant("loop-order", GRADIENTS_FROM_INIT + (
        (LOOP_STEPS, "        my_fit.step(learning_rate)\n        my_fit.backward()\n"),)),
    Mutant("loop-order", GRADIENTS_FROM_INIT + ((LOOP_STEPS, "        my_fit.step(learning_rate)\n"),),
           variant="never calls backward"),
    Mutant("grad-accumulates", (("self.w = w\n", "self.w = w\n        self.grad = 0\n"),
                                ("self.grad = grad * self.x", "self.grad += grad * self.x"))),
    Mutant("loop-loss-args", (("my_fit.compute_loss(y_est, yy[j])", "my_fit.compute_loss(yy[j], y_est)"),)),
)


@functools.cache
def namespaces():
    """(mutant, namespace) for the whole catalogue, built once per process."""
    return tuple((mutant, mutant.namespace()) for mutant in MUTANTS)
