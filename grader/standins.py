"""The grader's own layers, for testing my_composition whatever the student's layers do.

Each logs its calls into a list shared by one scenario, so the order of calls is observable.
Forward is not linear and backward reads the cached input, so applying the layers in the
wrong order, or skipping the chaining, changes what is logged.
"""


class Curve:
    """x -> a*x + c*x**2, a parameterless layer whose derivative depends on its input."""

    def __init__(self, a, c, *, log, index):
        self.a, self.c, self.log, self.index = a, c, log, index

    def forward(self, x):
        self.log.append(("forward", self.index, x))
        self.x = x
        return self.a * x + self.c * x**2

    def backward(self, grad):
        self.log.append(("backward", self.index, grad))
        return grad * (self.a + 2 * self.c * self.x)  # d(a*x + c*x**2)/dx

    def step(self, learning_rate):
        self.log.append(("step", self.index, learning_rate))


class Identity(Curve):
    """Passes values through; records the gradient it is handed (the loss gradient, when last)."""

    def __init__(self, *, log, index):
        super().__init__(1.0, 0.0, log=log, index=index)


STANDINS = {"Curve": Curve, "Identity": Identity}
