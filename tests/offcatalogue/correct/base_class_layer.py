"""Backprop by hand, with a small Layer base class: parameters are listed by name and
step() is written once for all layers."""
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)


class Layer:
    param_names = ()

    def step(self, learning_rate):
        for name in self.param_names:
            setattr(self, name, getattr(self, name) - learning_rate * getattr(self, "d" + name))


class add_bias(Layer):
    param_names = ("b",)

    def __init__(self, b):
        self.b = b

    def forward(self, x):
        return x + self.b

    def backward(self, grad):
        self.db = grad
        return grad


class multiplication_weight(Layer):
    param_names = ("w",)

    def __init__(self, w):
        self.w = w

    def forward(self, x):
        self.x = x
        return self.w * x

    def backward(self, grad):
        self.dw = grad * self.x
        return grad * self.w


class my_exp(Layer):
    # no parameter: Layer.step loops over nothing

    def forward(self, x):
        self.y = np.exp(x)
        return self.y

    def backward(self, grad):
        return grad * self.y


class my_composition(Layer):
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        self.dy = 2 * (y_est - y_target)
        return (y_est - y_target) ** 2

    def backward(self):
        grad = self.dy
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad

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
        ws.append(my_fit.layers[0].w)
        bs.append(my_fit.layers[1].b)
    return my_fit, losses, ws, bs
