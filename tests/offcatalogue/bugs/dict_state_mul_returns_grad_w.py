"""HW3. Every layer keeps its parameters and gradients in dicts."""
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)


class add_bias:
    def __init__(self, b):
        self.params = {"b": b}
        self.grads = {}

    def forward(self, x):
        return x + self.params["b"]

    def backward(self, grad):
        self.grads["b"] = grad
        return grad

    def step(self, learning_rate):
        self.params["b"] -= learning_rate * self.grads["b"]


class multiplication_weight:
    def __init__(self, w):
        self.params = {"w": w}
        self.grads = {}
        self.cache = {}

    def forward(self, x):
        self.cache["x"] = x
        return self.params["w"] * x

    def backward(self, grad):
        self.grads["w"] = grad * self.cache["x"]
        return self.grads["w"]

    def step(self, learning_rate):
        self.params["w"] -= learning_rate * self.grads["w"]


class my_exp:
    def __init__(self):
        self.params, self.grads, self.cache = {}, {}, {}

    def forward(self, x):
        self.cache["y"] = np.exp(x)
        return self.cache["y"]

    def backward(self, grad):
        return grad * self.cache["y"]

    def step(self, learning_rate):
        for k in self.params:
            self.params[k] -= learning_rate * self.grads[k]


class my_composition:
    def __init__(self, layers):
        self.layers = layers
        self.grads = {}

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        self.grads["y_est"] = 2 * (y_est - y_target)
        return (y_est - y_target) ** 2

    def backward(self):
        g = self.grads["y_est"]
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return g

    def step(self, learning_rate):
        for layer in self.layers:
            layer.step(learning_rate)


def train(xx, yy, learning_rate=1e-4, n_steps=5000):
    my_fit = my_composition([multiplication_weight(1), add_bias(1), my_exp()])
    losses, ws, bs = [], [], []
    for _ in range(n_steps):
        j = np.random.randint(1, len(xx))
        y_est = my_fit.forward(xx[j])
        losses.append(my_fit.compute_loss(y_est, yy[j]))
        my_fit.backward()
        my_fit.step(learning_rate)
        ws.append(my_fit.layers[0].params["w"])
        bs.append(my_fit.layers[1].params["b"])
    return my_fit, losses, ws, bs
