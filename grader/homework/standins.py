"""The grader's own layers, for testing my_composition whatever the student's layers do.

Each logs its calls into a list shared by one scenario, so the order of calls is observable.
Forward is not linear and backward reads the cached input, so applying the layers in the
wrong order, or skipping the chaining, changes what is logged. They take what a student's
compute_loss may hand them (a one-element list) as the number it stands for, and a layer that
forward never reached still answers backward, so one wrong method costs its own check only.
"""

import numpy as np


class Curve:
    """x -> w*x + c*x**2, a layer whose derivative depends on its input. It looks like the hand-out's
    layers with a parameter (a w, and a gradient backward saves, grad), so that a composition that
    steps only the layers that have something to update still steps it. The gradient it saves is c's:
    w's would be the hand-out's weight gradient, which this module ships to students (make handout)."""

    def __init__(self, w, c, *, log, index):
        self.w, self.c, self.log, self.index = w, c, log, index
        self.x = 0.0

    def forward(self, x):
        self.log.append(("forward", self.index, x))
        self.x = x
        return self.w * x + self.c * x**2

    def backward(self, grad):
        self.log.append(("handed", self.index, grad))  # as given: a loss gradient saved as a list is one
        grad = np.asarray(grad, dtype=float) if isinstance(grad, (list, tuple)) else grad
        self.log.append(("backward", self.index, grad))
        self.grad = grad * self.x**2  # d(w*x + c*x**2)/dc
        return grad * (self.w + 2 * self.c * self.x)  # d(w*x + c*x**2)/dx

    def step(self, learning_rate):
        self.log.append(("step", self.index, learning_rate))

    def __deepcopy__(self, memo):  # a composition that copies its layers still logs into the scenario
        twin = self.__copy__()
        memo[id(self)] = twin
        return twin

    def __copy__(self):
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin


class Identity(Curve):
    """Passes values through; records the gradient it is handed (the loss gradient, when last)."""

    def __init__(self, *, log, index):
        super().__init__(1.0, 0.0, log=log, index=index)


STANDINS = {"Curve": Curve, "Identity": Identity}
