"""HW3 - backprop by hand"""
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)


class add_bias:
    def __init__(self, b):
        # initialize with a bias b
        self.bias = b

    def forward(self, x):
        # return the result of adding the bias
        return x + self.bias

    def backward(self, grad):
        # save the gradient (to update the bias in the step method) and return the gradient backward
        self.db = grad
        return grad

    def step(self, learning_rate):
        # update the bias
        self.bias = self.bias - learning_rate * self.db


class multiplication_weight:
    def __init__(self, w):
        self.weight = w

    def forward(self, x):
        self.inp = x  # keep x for backward
        return self.weight * x

    def backward(self, grad):
        self.dw = grad * self.inp
        dx = grad * self.weight
        return dx

    def step(self, learning_rate):
        self.weight = self.weight - learning_rate * self.dw


class my_exp:
    # no parameter

    def forward(self, x):
        self.inp = x
        return np.exp(x)

    def backward(self, grad):
        # derivative of exp is exp
        return grad * np.exp(self.inp)

    def step(self, learning_rate):
        pass  # nothing to learn


class my_composition:
    def __init__(self, layers):
        self.ops = layers

    def forward(self, x):
        out = x
        for op in self.ops:
            out = op.forward(out)
        return out

    def compute_loss(self, y_est, y_target):
        diff = y_est - y_target
        self.dloss = 2 * diff
        return diff ** 2

    def backward(self):
        g = self.dloss
        for op in reversed(self.ops):
            g = op.backward(g)
        return g

    def step(self, learning_rate):
        for op in self.ops:
            op.step(learning_rate)


def train(xx, yy, learning_rate=1e-4, n_steps=5000):
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses = []
    ws = []
    bs = []
    for step in range(n_steps):
        j = np.random.randint(1, len(xx))
        y_est = my_fit.forward(xx[j])
        loss = my_fit.compute_loss(y_est, yy[j])
        my_fit.backward()
        my_fit.step(learning_rate)
        losses.append(loss)
        ws.append(my_fit.ops[0].weight)
        bs.append(my_fit.ops[1].bias)
    return my_fit, losses, ws, bs
