"""Backprop by hand; the loop watches the fit at x = 0 between backward and step."""
import numpy as np

xx = np.arange(0, 1, 0.01)
yy = np.exp(0.5 * xx + 2)


class add_bias:
    def __init__(self, b):
        self.b = b

    def forward(self, x):
        return x + self.b

    def backward(self, grad):
        self.grad = grad  # d(x + b)/db = 1
        return grad  # d(x + b)/dx = 1

    def step(self, learning_rate):
        self.b -= learning_rate * self.grad


class multiplication_weight:
    def __init__(self, w):
        self.w = w

    def forward(self, x):
        self.x = x
        return self.w * x

    def backward(self, grad):
        self.grad = grad * self.x  # d(w * x)/dw = x
        return grad * self.w  # d(w * x)/dx = w

    def step(self, learning_rate):
        self.w -= learning_rate * self.grad


class my_exp:
    def forward(self, x):
        self.output = np.exp(x)
        return self.output

    def backward(self, grad):
        return grad * self.output  # d exp(x)/dx = exp(x)

    def step(self, learning_rate):
        pass


class my_composition:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def compute_loss(self, y_est, y_target):
        self.grad = 2 * (y_est - y_target)  # d(y_est - y_target)^2 / dy_est
        return (y_est - y_target) ** 2

    def backward(self):
        grad = self.grad
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
        monitored = my_fit.forward(xx[0])  # the fit at x = 0, watched as it trains
        my_fit.step(learning_rate)
        ws.append(my_fit.layers[0].w)
        bs.append(my_fit.layers[1].b)
    return my_fit, losses, ws, bs

